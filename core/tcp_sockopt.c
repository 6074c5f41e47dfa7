/*
 * tcp_sockopt.c - setsockopt and getsockopt on an engine socket
 * (tcpx_setsockopt, tcpx_getsockopt): the SOL_SOCKET and IPPROTO_TCP
 * options, checked and clamped as Linux's sock.c and tcp.c do, and
 * TCP_INFO laid out as the kernel lays it out.
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
#define SYSCTL_WMEM_MAX		212992	/* net.core.wmem_max */
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
		sk->opt.rcvbuf_lock = true;
		sk->rcvbuf_auto = false;
		if (sk->rcv.max != 0 && sk->listen == NULL) {
			uint32_t space = tcp_full_space(e, sk);

			sk->rcv.max = space > sk->rcv.len ? space : sk->rcv.len;
		}
		return 0;
	case SO_SNDBUF:
		sk->opt.sndbuf = buf_size(v, SYSCTL_WMEM_MAX, SOCK_MIN_SNDBUF);
		sk->opt.sndbuf_lock = true;
		sk->sndbuf_auto = false;
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

	tcp_sockinfo_fill(e, sk, &in);
	memset(ti, 0, sizeof(*ti));
	b->tcpi_state = (uint8_t)in.state;
	b->tcpi_ca_state = in.ca_state;	/* Linux's numbers */
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
		b->tcpi_unacked = in.unacked;
		b->tcpi_sacked = in.sacked;
	}
	b->tcpi_lost = in.lost;
	b->tcpi_retrans = in.retrans;
	b->tcpi_last_data_sent = in.lastsnd_ms;
	b->tcpi_last_data_recv = in.lastrcv_ms;
	b->tcpi_last_ack_recv = in.lastack_ms;
	b->tcpi_pmtu = in.pmtu;
	b->tcpi_rcv_ssthresh = sk->rcv_ssthresh;
	b->tcpi_rtt = in.rtt_us;
	b->tcpi_rttvar = in.rttvar_us;
	b->tcpi_snd_ssthresh = in.snd_ssthresh;
	b->tcpi_snd_cwnd = in.snd_cwnd;
	b->tcpi_advmss = tcp_adv_mss(sk);
	b->tcpi_reordering = in.reordering;
	b->tcpi_rcv_rtt = in.rcv_rtt_us;
	b->tcpi_rcv_space = in.rcv_space;
	b->tcpi_total_retrans = in.total_retrans;
	ti->tcpi_bytes_acked = in.bytes_acked;
	ti->tcpi_bytes_received = in.bytes_received;
	ti->tcpi_segs_out = in.segs_out;
	ti->tcpi_segs_in = in.segs_in;
	ti->tcpi_notsent_bytes = sk->snd.len > sk->snd_max - sk->snd_una ?
	    sk->snd.len - (sk->snd_max - sk->snd_una) : 0;
	ti->tcpi_bytes_sent = in.bytes_sent;
	ti->tcpi_bytes_retrans = in.bytes_retrans;
	ti->tcpi_reord_seen = in.reord_seen;
	ti->tcpi_dsack_dups = in.dsack_dups;
	ti->tcpi_snd_wnd = in.snd_wnd;
	ti->tcpi_min_rtt = in.min_rtt_us;
	ti->tcpi_pacing_rate = in.pacing_rate;
	ti->tcpi_max_pacing_rate = UINT64_MAX;	/* SO_MAX_PACING_RATE unset */
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
