/*
 * tcp_usrreq.c - the socket calls (tcpx_* of tcpx.h, but listen and
 * accept, which live in tcp_listen.c).
 *
 * This is the socket layer (Linux's af_inet.c and the option parts of
 * sock.c and tcp.c): argument checks and errnos exactly as Linux gives
 * them, then the state machine's tcp_usr_* entry points.  Calls are
 * non-blocking; the host blocks, if its application asked to, by
 * waiting for events.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* glibc's 536U would clash with the engine's own TCP_MSS_DEFAULT. */
#undef TCP_MSS_DEFAULT
#include "engine.h"
#include "link.h"
#include "tcp_listen.h"
#include "tcp_timewait.h"

/* Linux's limits for the options below. */
#define SYSCTL_RMEM_MAX		212992	/* net.core.rmem_max */
#define SYSCTL_WMEM_MAX		212992	/* net.core.wmem_max */
#define SOCK_MIN_RCVBUF		2304	/* 2048 + an sk_buff, x86-64 */
#define SOCK_MIN_SNDBUF		(2 * SOCK_MIN_RCVBUF)
#define TCP_MIN_MSS		88
#define MAX_TCP_WINDOW		32767
#define MAX_TCP_KEEPIDLE	32767
#define MAX_TCP_KEEPINTVL	32767
#define MAX_TCP_KEEPCNT		127
#define MAX_TCP_SYNCNT		127
#define TCP_CA_NAME_MAX		16
#define LINGER_MAX_SECS		(0x7fffffff / 1000)	/* MAX_SCHEDULE_TIMEOUT/HZ */

/*
 * struct tcp_info as the kernel lays it out: glibc's struct stops at
 * tcpi_total_retrans, Linux goes on.  A caller gets as much of it as
 * its buffer holds, as from getsockopt(2).
 */
struct tcpx_tcp_info {
	struct tcp_info base;
	uint64_t tcpi_pacing_rate;
	uint64_t tcpi_max_pacing_rate;
	uint64_t tcpi_bytes_acked;
	uint64_t tcpi_bytes_received;
	uint32_t tcpi_segs_out;
	uint32_t tcpi_segs_in;
	uint32_t tcpi_notsent_bytes;
	uint32_t tcpi_min_rtt;
	uint32_t tcpi_data_segs_in;
	uint32_t tcpi_data_segs_out;
	uint64_t tcpi_delivery_rate;
	uint64_t tcpi_busy_time;
	uint64_t tcpi_rwnd_limited;
	uint64_t tcpi_sndbuf_limited;
	uint32_t tcpi_delivered;
	uint32_t tcpi_delivered_ce;
	uint64_t tcpi_bytes_sent;
	uint64_t tcpi_bytes_retrans;
	uint32_t tcpi_dsack_dups;
	uint32_t tcpi_reord_seen;
	uint32_t tcpi_rcv_ooopack;
	uint32_t tcpi_snd_wnd;
};

int
tcpx_socket(struct tcpx_engine *e)
{
	struct tcp_sock *sk;
	int id;

	if ((sk = tcp_sock_alloc(e)) == NULL)
		return -ENOBUFS;
	if ((id = tcp_sock_assign_id(e, sk)) < 0) {
		tcp_sock_free(e, sk);
		return -ENFILE;
	}
	return id;
}

/*
 * A connection that ended left the port connect() chose it; Linux gives
 * that back when the connection closes (tcp_done), so a later bind() or
 * connect() starts afresh.
 */
static void
release_stale_port(struct tcpx_engine *e, struct tcp_sock *sk)
{
	if (sk->state == TCP_ST_CLOSED && sk->bound && !sk->userbound &&
	    !sk->hashed && sk->h.tuple.rport != 0)
		tcp_port_unbind(e, sk);
}

int
tcpx_bind(struct tcpx_engine *e, int s, const struct sockaddr_in *sin)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);
	uint32_t addr;
	uint16_t port;
	int err;

	if (sk == NULL)
		return -EBADF;
	if (sin == NULL)
		return -EINVAL;
	/* inet_bind: AF_UNSPEC is tolerated for INADDR_ANY only. */
	if (sin->sin_family != AF_INET &&
	    (sin->sin_family != AF_UNSPEC || sin->sin_addr.s_addr != INADDR_ANY))
		return -EAFNOSUPPORT;
	addr = sin->sin_addr.s_addr;
	port = ntohs(sin->sin_port);
	if (addr != INADDR_ANY && addr != e->cfg.addr.s_addr)
		return -EADDRNOTAVAIL;
	release_stale_port(e, sk);
	/* Bound already, or not a fresh socket: inet_bind says EINVAL. */
	if (sk->state != TCP_ST_CLOSED || sk->bound)
		return -EINVAL;
	if ((err = tcp_port_bind(e, sk, addr, port)) != 0)
		return err;
	sk->userbound = port != 0;
	return 0;
}

/*
 * The part of __inet_stream_connect() that runs before a new attempt.
 * `ss_connecting` is Linux's SS_CONNECTING: it stays set after the
 * attempt resolves, until connect() is called again and reports the
 * outcome.
 * Returns 1 if a new attempt may start.
 */
static int
connect_prologue(struct tcpx_engine *e, struct tcp_sock *sk, bool sendmsg)
{
	int err;

	if (sk->ss_connecting) {
		switch (sk->state) {
		case TCP_ST_SYN_SENT:
		case TCP_ST_SYN_RECEIVED:
			return -EALREADY;
		case TCP_ST_CLOSED:
			/* Refused, timed out or reset: report it once. */
			sk->ss_connecting = sk->connecting = false;
			err = sk->so_error;
			sk->so_error = 0;
			return err != 0 ? -err : -ECONNABORTED;
		default:
			/* It completed; the caller learns so now. */
			sk->ss_connecting = sk->connecting = false;
			return sendmsg ? -EISCONN : 0;
		}
	}
	if (sk->state != TCP_ST_CLOSED)
		return -EISCONN;
	return 1;
}

/* tcp_v4_connect: a tuple, a port, then the SYN. */
static int
connect_start(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct sockaddr_in *sin, const void *data, size_t len)
{
	uint32_t raddr = sin->sin_addr.s_addr, nexthop;
	int err;

	if (ip_route(e, raddr, &nexthop) != 0)
		return -ENETUNREACH;
	if (raddr == INADDR_ANY || raddr == INADDR_BROADCAST ||
	    IN_MULTICAST(ntohl(raddr)))
		return -ENETUNREACH;
	release_stale_port(e, sk);
	sk->so_error = 0;
	if ((err = tcp_port_pick_ephemeral(e, sk, raddr,
	    ntohs(sin->sin_port))) != 0) {
		e->tcp.tw_isn = 0;
		return err;
	}
	sk->connecting = sk->ss_connecting = true;
	err = tcp_active_open(e, sk, data, len);
	e->tcp.tw_isn = 0;
	if (err != -EINPROGRESS && err != 0) {
		sk->connecting = sk->ss_connecting = false;
		tcp_port_release(e, sk);
	}
	return err;
}

int
tcpx_connect(struct tcpx_engine *e, int s, const struct sockaddr_in *sin)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);
	int err;

	if (sk == NULL)
		return -EBADF;
	if (sin == NULL)
		return -EINVAL;
	if (sin->sin_family == AF_UNSPEC && sk->state == TCP_ST_CLOSED) {
		/* Dissolving an association that does not exist. */
		sk->connecting = sk->ss_connecting = false;
		return 0;
	}
	if (sin->sin_family != AF_INET) {
		/* XXX AF_UNSPEC on a live connection (tcp_disconnect) is not done. */
		return sin->sin_family == AF_UNSPEC ? -EOPNOTSUPP :
		    -EAFNOSUPPORT;
	}
	if (sk->state == TCP_ST_LISTEN)
		return -EISCONN;
	if ((err = connect_prologue(e, sk, false)) <= 0)
		return err;
	return connect_start(e, sk, sin, NULL, 0);
}

ssize_t
tcpx_sendto_fastopen(struct tcpx_engine *e, int s, const void *buf,
    size_t len, int flags, const struct sockaddr_in *sin)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);
	int err;

	if (sk == NULL)
		return -EBADF;
	/* tcp_sendmsg_fastopen: the client bit of tcp_fastopen, an address. */
	if (!(e->sysctl.tcp_fastopen & 1))
		return -EOPNOTSUPP;
	if (sin == NULL) {
		/* Plain send on a connected socket, as sendto without an address. */
		return tcpx_send(e, s, buf, len, 0);
	}
	if (sin->sin_family != AF_INET)
		return sin->sin_family == AF_UNSPEC ? -EOPNOTSUPP :
		    -EAFNOSUPPORT;
	if (sk->state == TCP_ST_LISTEN)
		return -EISCONN;
	if ((err = connect_prologue(e, sk, true)) <= 0)
		return err == -EALREADY ? -EALREADY : err;
	err = connect_start(e, sk, sin, buf, len);
	/* Bytes that went with the SYN count as sent; else EINPROGRESS. */
	if (err == -EINPROGRESS && sk->tfo_syn_data && sk->tfo_syn_len > 0) {
		if (sk->tfo_syn_len < len && !(flags & MSG_DONTWAIT))
			sk->write_pending = true;
		return (ssize_t)sk->tfo_syn_len;
	}
	/* tcp_sendmsg_locked: the writer now waits for the handshake. */
	if (err == -EINPROGRESS && len > 0 && !(flags & MSG_DONTWAIT))
		sk->write_pending = true;
	return err;
}

ssize_t
tcpx_send(struct tcpx_engine *e, int s, const void *buf, size_t len,
    int flags)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	/* sk_stream_wait_connect: neither connected nor connecting. */
	if (sk->state == TCP_ST_LISTEN)
		return -EPIPE;
	return tcp_usr_send(e, sk, buf, len, flags);
}

ssize_t
tcpx_recv(struct tcpx_engine *e, int s, void *buf, size_t len, int flags)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (sk->state == TCP_ST_LISTEN)
		return -ENOTCONN;
	return tcp_usr_recv(e, sk, buf, len, flags);
}

ssize_t
tcpx_recv_peek(struct tcpx_engine *e, int s, struct iovec *iov, int *iovcnt)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (iov == NULL || iovcnt == NULL || *iovcnt < 1)
		return -EINVAL;
	if (sk->state == TCP_ST_LISTEN) {
		*iovcnt = 0;
		return -ENOTCONN;
	}
	return tcp_usr_recv_peek(e, sk, iov, iovcnt);
}

int
tcpx_recv_consume(struct tcpx_engine *e, int s, size_t n)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (sk->state == TCP_ST_LISTEN)
		return -ENOTCONN;
	return tcp_usr_recv_consume(e, sk, n);
}

int
tcpx_shutdown(struct tcpx_engine *e, int s, int how)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	/* inet_shutdown, state by state. */
	switch (sk->state) {
	case TCP_ST_CLOSED:
		return -ENOTCONN;
	case TCP_ST_LISTEN:
		/* Stopping the read half of a listener stops listening. */
		if (how == SHUT_WR)
			return 0;
		tcp_listen_close(e, sk);
		tcp_set_state(e, sk, TCP_ST_CLOSED, "shutdown");
		if (!sk->userbound)
			tcp_port_unbind(e, sk);
		return 0;
	default:
		return tcp_usr_shutdown(e, sk, how);
	}
}

int
tcpx_close(struct tcpx_engine *e, int s)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (sk->listen != NULL) {
		/* Queued children are reset, request socks dropped. */
		tcp_listen_close(e, sk);
		tcp_sock_free(e, sk);
		return 0;
	}
	tcp_usr_close(e, sk);
	return 0;
}

int
tcpx_getsockname(struct tcpx_engine *e, int s, struct sockaddr_in *sin)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (sin == NULL)
		return -EINVAL;
	tcp_sockaddr_set(sin, sk->h.tuple.laddr, sk->h.tuple.lport);
	return 0;
}

int
tcpx_getpeername(struct tcpx_engine *e, int s, struct sockaddr_in *sin)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (sin == NULL)
		return -EINVAL;
	/* inet_getname: no peer before the handshake, nor after it ended. */
	if (sk->h.tuple.rport == 0 || sk->state == TCP_ST_CLOSED ||
	    sk->state == TCP_ST_SYN_SENT || sk->state == TCP_ST_LISTEN)
		return -ENOTCONN;
	tcp_sockaddr_set(sin, sk->h.tuple.raddr, sk->h.tuple.rport);
	return 0;
}

int
tcpx_sock_error(struct tcpx_engine *e, int s)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);
	int err;

	if (sk == NULL)
		return -EBADF;
	err = sk->so_error;
	sk->so_error = 0;
	return err;
}

unsigned
tcpx_poll(struct tcpx_engine *e, int s)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return POLLNVAL;
	/* inet_csk_listen_poll: readable when a connection is queued. */
	if (sk->listen != NULL)
		return sk->listen->acceptq_len > 0 ? POLLIN | POLLRDNORM : 0;
	return tcp_usr_poll(e, sk);
}

int
tcpx_state(struct tcpx_engine *e, int s)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	return sk != NULL ? sk->state : -EBADF;
}

static void
info_fill(struct tcpx_engine *e, struct tcp_sock *sk,
    struct tcpx_sockinfo *info)
{
	memset(info, 0, sizeof(*info));
	tcp_sock_info_fill(e, sk, info);
	/* A listener's queues replace Recv-Q and Send-Q, as in ss(8). */
	if (sk->listen != NULL)
		tcp_listen_info_fill(e, sk, info);
}

int
tcpx_sock_info(struct tcpx_engine *e, int s, struct tcpx_sockinfo *info)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	info_fill(e, sk, info);
	return 0;
}

void
tcpx_foreach(struct tcpx_engine *e,
    void (*cb)(void *arg, const struct tcpx_sockinfo *info), void *arg)
{
	struct tcp_stack *st = &e->tcp;
	struct tcpx_sockinfo info;
	struct tcp_hnode *n;
	struct tcp_sock *sk;
	struct tcp_tw *tw;

	/* Sockets the host holds: listeners, connections, closed ones. */
	for (int i = 0; i < st->nids; i++) {
		if ((sk = st->ids[i]) != NULL) {
			info_fill(e, sk, &info);
			cb(arg, &info);
		}
	}
	/* Connections nobody holds: orphans and children not accepted. */
	for (uint32_t b = 0; b <= st->ehash_mask; b++) {
		LIST_FOREACH(n, &st->ehash[b], link) {
			if (n->kind != TCP_HK_SOCK)
				continue;
			sk = (struct tcp_sock *)n;
			if (sk->id >= 0 && tcp_sock_by_id(e, sk->id) == sk)
				continue;
			info_fill(e, sk, &info);
			cb(arg, &info);
		}
	}
	TAILQ_FOREACH(tw, &st->tw_queue, q_link) {
		tcp_tw_info_fill(e, tw, &info);
		cb(arg, &info);
	}
	tcp_listen_foreach_req(e, cb, arg);
}

/* Options */

static int
opt_int(const void *val, socklen_t len, int *out)
{
	if (val == NULL || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static bool
synchronized(const struct tcp_sock *sk)
{
	return sk->state != TCP_ST_CLOSED && sk->state != TCP_ST_LISTEN &&
	    sk->state != TCP_ST_SYN_SENT;
}

/* Linux: min(val, max) as unsigned, doubled for overhead, floored. */
static int
buf_size(int val, int max, int min)
{
	unsigned v = (unsigned)val;

	if (v > (unsigned)max)
		v = (unsigned)max;
	v *= 2;
	return (int)v < min ? min : (int)v;
}

static int
setsockopt_socket(struct tcpx_engine *e, struct tcp_sock *sk, int name,
    const void *val, socklen_t len)
{
	struct linger l;
	int v, err;

	if (name == SO_LINGER) {
		if (val == NULL || len < (socklen_t)sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		sk->opt.linger = l.l_onoff != 0;
		if (sk->opt.linger)
			sk->opt.linger_secs = (unsigned)l.l_linger >
			    LINGER_MAX_SECS ? LINGER_MAX_SECS : l.l_linger;
		return 0;
	}
	if ((err = opt_int(val, len, &v)) != 0)
		return err;
	switch (name) {
	case SO_REUSEADDR:
		sk->opt.reuseaddr = v != 0;
		return 0;
	case SO_REUSEPORT:
		sk->opt.reuseport = v != 0;
		return 0;
	case SO_KEEPALIVE:
		/* tcp_set_keepalive: the timer starts or stops at once. */
		if (sk->opt.keepalive != (v != 0)) {
			sk->opt.keepalive = v != 0;
			if (synchronized(sk))
				tcp_keepalive_reset(e, sk);
		}
		return 0;
	case SO_RCVBUF:
		sk->opt.rcvbuf = buf_size(v, SYSCTL_RMEM_MAX, SOCK_MIN_RCVBUF);
		if (sk->rcv.max != 0 && sk->listen == NULL) {
			uint32_t space = tcp_full_space(e, sk);

			sk->rcv.max = space > sk->rcv.len ? space : sk->rcv.len;
		}
		return 0;
	case SO_SNDBUF:
		sk->opt.sndbuf = buf_size(v, SYSCTL_WMEM_MAX, SOCK_MIN_SNDBUF);
		sk->snd.max = (uint32_t)sk->opt.sndbuf > sk->snd.len ?
		    (uint32_t)sk->opt.sndbuf : sk->snd.len;
		return 0;
	case SO_ERROR:
	case SO_TYPE:
	case SO_ACCEPTCONN:
	case SO_PROTOCOL:
	case SO_DOMAIN:
		return -ENOPROTOOPT;
	default:
		return -ENOPROTOOPT;
	}
}

static int
congestion_by_name(const void *val, socklen_t len)
{
	char name[TCP_CA_NAME_MAX];
	size_t n;

	if (val == NULL || len < 1)
		return -EINVAL;
	n = (size_t)len < sizeof(name) - 1 ? (size_t)len : sizeof(name) - 1;
	memcpy(name, val, n);
	name[n] = '\0';
	if (strcmp(name, "cubic") == 0)
		return TCPX_CC_CUBIC;
	if (strcmp(name, "reno") == 0)
		return TCPX_CC_RENO;
	return -ENOENT;
}

static int
setsockopt_tcp(struct tcpx_engine *e, struct tcp_sock *sk, int name,
    const void *val, socklen_t len)
{
	int v, err;

	if (name == TCP_CONGESTION) {
		if ((v = congestion_by_name(val, len)) < 0)
			return v;
		sk->opt.congestion = (uint8_t)(v + 1);
		return 0;
	}
	if ((err = opt_int(val, len, &v)) != 0)
		return err;
	switch (name) {
	case TCP_NODELAY:
		sk->opt.nodelay = v != 0;
		/* Whatever Nagle held back goes now. */
		if (v != 0 && synchronized(sk))
			tcp_output(e, sk);
		return 0;
	case TCP_CORK:
		sk->opt.cork = v != 0;
		if (v == 0 && synchronized(sk))
			tcp_output(e, sk);
		return 0;
	case TCP_MAXSEG:
		if (v != 0 && (v < TCP_MIN_MSS || v > MAX_TCP_WINDOW))
			return -EINVAL;
		sk->opt.user_mss = v;
		return 0;
	case TCP_KEEPIDLE:
		if (v < 1 || v > MAX_TCP_KEEPIDLE)
			return -EINVAL;
		sk->opt.keepidle = v;
		if (sk->opt.keepalive && synchronized(sk))
			tcp_keepalive_reset(e, sk);
		return 0;
	case TCP_KEEPINTVL:
		if (v < 1 || v > MAX_TCP_KEEPINTVL)
			return -EINVAL;
		sk->opt.keepintvl = v;
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > MAX_TCP_KEEPCNT)
			return -EINVAL;
		sk->opt.keepcnt = v;
		return 0;
	case TCP_SYNCNT:
		if (v < 1 || v > MAX_TCP_SYNCNT)
			return -EINVAL;
		sk->opt.syncnt = v;
		return 0;
	case TCP_DEFER_ACCEPT:
		sk->opt.defer_accept = v < 0 ? 0 : v;
		return 0;
	case TCP_FASTOPEN:
		/* fastopen_queue_tune: a listener's queue of SYN+data children. */
		if (v < 0 || (sk->state != TCP_ST_CLOSED &&
		    sk->state != TCP_ST_LISTEN))
			return -EINVAL;
		if (v > e->sysctl.somaxconn)
			v = (int)e->sysctl.somaxconn;
		sk->opt.fastopen_qlen = v;
		if (sk->listen != NULL)
			sk->listen->tfo_max_qlen = v;
		return 0;
	case TCP_FASTOPEN_CONNECT:
		if (v < 0 || v > 1)
			return -EINVAL;
		if (!(e->sysctl.tcp_fastopen & 1))
			return -EOPNOTSUPP;
		if (sk->state != TCP_ST_CLOSED)
			return -EINVAL;
		sk->opt.fastopen_connect = v != 0;
		return 0;
	case TCP_FASTOPEN_NO_COOKIE:
		if (v < 0 || v > 1 || (sk->state != TCP_ST_CLOSED &&
		    sk->state != TCP_ST_LISTEN))
			return -EINVAL;
		sk->opt.fastopen_no_cookie = v != 0;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int
tcpx_setsockopt(struct tcpx_engine *e, int s, int level, int name,
    const void *val, socklen_t len)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (level == SOL_SOCKET)
		return setsockopt_socket(e, sk, name, val, len);
	if (level == IPPROTO_TCP)
		return setsockopt_tcp(e, sk, name, val, len);
	return -ENOPROTOOPT;
}

/* Copy min(*len, size) bytes, as sock_getsockopt does. */
static int
opt_out(void *val, socklen_t *len, const void *src, size_t size)
{
	size_t n;

	if (len == NULL || (int)*len < 0)
		return -EINVAL;
	n = (size_t)*len < size ? (size_t)*len : size;
	if (n > 0 && val == NULL)
		return -EFAULT;
	memcpy(val, src, n);
	*len = (socklen_t)n;
	return 0;
}

static uint8_t
tcpi_options(uint8_t o)
{
	return ((o & TCPX_OPT_TS) ? TCPI_OPT_TIMESTAMPS : 0) |
	    ((o & TCPX_OPT_SACK) ? TCPI_OPT_SACK : 0) |
	    ((o & TCPX_OPT_WSCALE) ? TCPI_OPT_WSCALE : 0) |
	    ((o & TCPX_OPT_TFO) ? TCPI_OPT_SYN_DATA : 0);
}

/* TCP_INFO from the engine's own record of the connection. */
static void
tcp_info_fill(struct tcpx_engine *e, struct tcp_sock *sk,
    struct tcpx_tcp_info *ti)
{
	struct tcpx_sockinfo in;
	struct tcp_info *b = &ti->base;
	uint32_t mss;

	info_fill(e, sk, &in);
	memset(ti, 0, sizeof(*ti));
	b->tcpi_state = (uint8_t)in.state;
	b->tcpi_ca_state = sk->in_recovery ? 3 : 0;	/* Recovery : Open */
	b->tcpi_retransmits = (uint8_t)in.retransmits;
	b->tcpi_probes = (uint8_t)in.probes;
	b->tcpi_backoff = (uint8_t)in.backoff;
	b->tcpi_options = tcpi_options(in.options);
	if (in.options & TCPX_OPT_WSCALE) {
		b->tcpi_snd_wscale = in.snd_wscale & 0xf;
		b->tcpi_rcv_wscale = in.rcv_wscale & 0xf;
	}
	b->tcpi_rto = in.rto_us;
	b->tcpi_ato = in.ato_us;
	b->tcpi_snd_mss = in.snd_mss;
	b->tcpi_rcv_mss = in.rcv_mss;
	if (sk->listen != NULL) {
		/* A listener reports its accept queue and backlog here. */
		b->tcpi_unacked = in.recv_q;
		b->tcpi_sacked = in.send_q;
	} else {
		mss = in.snd_mss != 0 ? in.snd_mss : TCP_MSS_DEFAULT;
		b->tcpi_unacked = (sk->snd_max - sk->snd_una + mss - 1) / mss;
	}
	b->tcpi_last_data_sent = in.lastsnd_ms;
	b->tcpi_last_data_recv = in.lastrcv_ms;
	b->tcpi_last_ack_recv = in.lastack_ms;
	b->tcpi_pmtu = in.pmtu;
	b->tcpi_rcv_ssthresh = sk->rcv_ssthresh;
	b->tcpi_rtt = in.rtt_us;
	b->tcpi_rttvar = in.rttvar_us;
	b->tcpi_snd_ssthresh = in.snd_ssthresh;
	b->tcpi_snd_cwnd = in.snd_cwnd;
	b->tcpi_advmss = sk->advmss;
	b->tcpi_reordering = (uint32_t)e->sysctl.tcp_reordering;
	b->tcpi_rcv_space = in.rcv_wnd;
	b->tcpi_total_retrans = in.total_retrans;
	ti->tcpi_bytes_acked = in.bytes_acked;
	ti->tcpi_bytes_received = in.bytes_received;
	ti->tcpi_segs_out = in.segs_out;
	ti->tcpi_segs_in = in.segs_in;
	ti->tcpi_notsent_bytes = sk->snd.len > sk->snd_max - sk->snd_una ?
	    sk->snd.len - (sk->snd_max - sk->snd_una) : 0;
	ti->tcpi_bytes_sent = in.bytes_sent;
	ti->tcpi_bytes_retrans = in.bytes_retrans;
	ti->tcpi_snd_wnd = in.snd_wnd;
}

static int
getsockopt_socket(struct tcpx_engine *e, struct tcp_sock *sk, int name,
    void *val, socklen_t *len)
{
	struct linger l;
	int v;

	switch (name) {
	case SO_LINGER:
		memset(&l, 0, sizeof(l));
		l.l_onoff = sk->opt.linger;
		l.l_linger = sk->opt.linger_secs;
		return opt_out(val, len, &l, sizeof(l));
	case SO_REUSEADDR:
		v = sk->opt.reuseaddr;
		break;
	case SO_REUSEPORT:
		v = sk->opt.reuseport;
		break;
	case SO_KEEPALIVE:
		v = sk->opt.keepalive;
		break;
	case SO_RCVBUF:
		v = sk->opt.rcvbuf;
		break;
	case SO_SNDBUF:
		v = sk->opt.sndbuf;
		break;
	case SO_ERROR:
		v = sk->so_error;
		sk->so_error = 0;
		break;
	case SO_TYPE:
		v = SOCK_STREAM;
		break;
	case SO_PROTOCOL:
		v = IPPROTO_TCP;
		break;
	case SO_DOMAIN:
		v = AF_INET;
		break;
	case SO_ACCEPTCONN:
		v = sk->state == TCP_ST_LISTEN;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return opt_out(val, len, &v, sizeof(v));
}

/*
 * Linux keeps TCP_DEFER_ACCEPT as a count of SYN-ACK timeouts
 * (secs_to_retrans) and reports it back as the seconds those take
 * (retrans_to_secs), so 5 reads back as 7.
 */
static int
defer_accept_secs(int secs)
{
	int res = 0, timeout = 1, period = 1;

	if (secs <= 0)
		return 0;
	res = 1;
	while (secs > period && res < 255) {
		res++;
		timeout = timeout * 2 > 120 ? 120 : timeout * 2;
		period += timeout;
	}
	return period;
}

static int
getsockopt_tcp(struct tcpx_engine *e, struct tcp_sock *sk, int name,
    void *val, socklen_t *len)
{
	struct tcpx_tcp_info ti;
	const char *ca;
	char cabuf[TCP_CA_NAME_MAX];
	int v;

	switch (name) {
	case TCP_INFO:
		tcp_info_fill(e, sk, &ti);
		return opt_out(val, len, &ti, sizeof(ti));
	case TCP_CONGESTION:
		v = sk->opt.congestion != 0 ? sk->opt.congestion - 1 :
		    (int)e->sysctl.tcp_congestion_control;
		ca = v == TCPX_CC_RENO ? "reno" : "cubic";
		memset(cabuf, 0, sizeof(cabuf));
		memcpy(cabuf, ca, strlen(ca));
		return opt_out(val, len, cabuf, sizeof(cabuf));
	case TCP_NODELAY:
		v = sk->opt.nodelay;
		break;
	case TCP_CORK:
		v = sk->opt.cork;
		break;
	case TCP_MAXSEG:
		/* The user's clamp before the handshake, the real MSS after. */
		v = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT;
		if (sk->opt.user_mss != 0 && (sk->state == TCP_ST_CLOSED ||
		    sk->state == TCP_ST_LISTEN))
			v = sk->opt.user_mss;
		break;
	case TCP_KEEPIDLE:
		v = sk->opt.keepidle != 0 ? sk->opt.keepidle :
		    (int)e->sysctl.tcp_keepalive_time;
		break;
	case TCP_KEEPINTVL:
		v = sk->opt.keepintvl != 0 ? sk->opt.keepintvl :
		    (int)e->sysctl.tcp_keepalive_intvl;
		break;
	case TCP_KEEPCNT:
		v = sk->opt.keepcnt != 0 ? sk->opt.keepcnt :
		    (int)e->sysctl.tcp_keepalive_probes;
		break;
	case TCP_SYNCNT:
		v = sk->opt.syncnt != 0 ? sk->opt.syncnt :
		    (int)e->sysctl.tcp_syn_retries;
		break;
	case TCP_DEFER_ACCEPT:
		v = defer_accept_secs(sk->opt.defer_accept);
		break;
	case TCP_FASTOPEN:
		v = sk->listen != NULL ? sk->listen->tfo_max_qlen :
		    sk->opt.fastopen_qlen;
		break;
	case TCP_FASTOPEN_CONNECT:
		v = sk->opt.fastopen_connect;
		break;
	case TCP_FASTOPEN_NO_COOKIE:
		v = sk->opt.fastopen_no_cookie;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (len != NULL && (int)*len < 0)
		return -EINVAL;
	return opt_out(val, len, &v, sizeof(v));
}

int
tcpx_getsockopt(struct tcpx_engine *e, int s, int level, int name,
    void *val, socklen_t *len)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (level == SOL_SOCKET)
		return getsockopt_socket(e, sk, name, val, len);
	if (level == IPPROTO_TCP)
		return getsockopt_tcp(e, sk, name, val, len);
	return -ENOPROTOOPT;
}
