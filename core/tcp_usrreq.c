/*
 * tcp_usrreq.c - the socket calls (tcpx_* of tcpx.h, but listen and
 * accept, which live in tcp_listen.c).
 *
 * This is the socket layer (Linux's af_inet.c; the options are in
 * tcp_sockopt.c): argument checks and errnos exactly as Linux gives
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
tcpx_send_reserve(struct tcpx_engine *e, int s, size_t len, struct iovec *iov,
    int *iovcnt)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (iov == NULL || iovcnt == NULL || *iovcnt < 2)
		return -EINVAL;
	if (sk->state == TCP_ST_LISTEN) {
		*iovcnt = 0;
		return -EPIPE;
	}
	return tcp_usr_send_reserve(e, sk, len, iov, iovcnt);
}

int
tcpx_send_commit(struct tcpx_engine *e, int s, size_t n, int flags)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (sk->state == TCP_ST_LISTEN)
		return -EPIPE;
	return tcp_usr_send_commit(e, sk, n, flags);
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
tcpx_recv_unread(struct tcpx_engine *e, int s, const struct iovec *iov,
    int iovcnt)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL))
		return -EINVAL;
	if (sk->state == TCP_ST_LISTEN)
		return -ENOTCONN;
	return tcp_usr_recv_unread(e, sk, iov, iovcnt);
}

int
tcpx_recv_held(struct tcpx_engine *e, int s, uint32_t held)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);

	if (sk == NULL)
		return -EBADF;
	if (sk->state == TCP_ST_LISTEN)
		return -ENOTCONN;
	tcp_usr_recv_held(e, sk, held);
	return sk->rcv.max < INT32_MAX ? (int)sk->rcv.max : INT32_MAX;
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
	/* What the program left unread went with its socket. */
	sk->rcv_held = 0;
	sk->held_tracked = false;
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

void
tcp_sockinfo_fill(struct tcpx_engine *e, struct tcp_sock *sk,
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
	tcp_sockinfo_fill(e, sk, info);
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
			tcp_sockinfo_fill(e, sk, &info);
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
			tcp_sockinfo_fill(e, sk, &info);
			cb(arg, &info);
		}
	}
	TAILQ_FOREACH(tw, &st->tw_queue, q_link) {
		tcp_tw_info_fill(e, tw, &info);
		cb(arg, &info);
	}
	tcp_listen_foreach_req(e, cb, arg);
}
