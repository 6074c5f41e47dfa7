/*
 * test_usrreq.c - the socket calls as an application sees them: Linux's
 * errno for each misuse, the non-blocking connect() sequence, option
 * round trips with Linux's clamps, and TCP_INFO after a scripted
 * handshake.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* glibc's 536U clashes with the engine's TCP_MSS_DEFAULT. */
#undef TCP_MSS_DEFAULT
#include "harness.h"

#define PEER_ISS	5000u
#define MS		1000ULL

static struct harness *h;

static void
setup(void)
{
	h = h_new();
}

static void
teardown(void)
{
	h_free(h);
}

/* Linux's struct tcp_info past glibc's end, as far as we fill it. */
struct linux_tcp_info {
	struct tcp_info base;
	uint64_t pacing_rate, max_pacing_rate;
	uint64_t bytes_acked, bytes_received;
	uint32_t segs_out, segs_in;
	uint32_t notsent_bytes, min_rtt;
};

struct conn {
	int s;
	uint16_t lport;
	uint32_t iss, our_ts, our_wscale;
};

static void
peer_seg(struct h_seg *g, const struct conn *c, uint8_t flags, uint32_t seq,
    uint32_t ack)
{
	memset(g, 0, sizeof(*g));
	g->sport = 80;
	g->dport = c->lport;
	g->flags = flags;
	g->seq = seq;
	g->ack = ack;
	g->wnd = 1000;		/* << 7 = 128000 bytes */
	g->opt.has_ts = true;
	g->opt.ts_val = (uint32_t)(h->now / 1000);
	g->opt.ts_ecr = c->our_ts;
}

/* connect(); returns with the SYN taken, nothing answered yet. */
static void
start_connect(struct conn *c)
{
	struct sockaddr_in sin;
	struct tcp_seg seg;

	memset(c, 0, sizeof(*c));
	c->s = tcpx_socket(h->e);
	ck_assert_int_ge(c->s, 0);
	h_peer_sockaddr(&sin, 80);
	ck_assert_int_eq(tcpx_connect(h->e, c->s, &sin), -EINPROGRESS);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.flags, TH_SYN);
	c->lport = seg.sport;
	c->iss = seg.seq;
	c->our_ts = seg.opt.ts_val;
	c->our_wscale = seg.opt.wscale;
}

/* The peer's SYN-ACK, `rtt` after the SYN, with every option. */
static void
finish_connect(struct conn *c, uint64_t rtt)
{
	struct tcp_seg seg;
	struct h_seg g;

	h_advance(h, rtt);
	peer_seg(&g, c, TH_SYN | TH_ACK, PEER_ISS, c->iss + 1);
	g.wnd = 65535;
	g.opt.has_mss = true;
	g.opt.mss = 1460;
	g.opt.sack_perm = true;
	g.opt.has_wscale = true;
	g.opt.wscale = 7;
	h_inject(h, &g);
	H_EXPECT(h, &seg, TH_ACK, c->iss + 1, PEER_ISS + 1);
	c->our_ts = seg.opt.ts_val;
}

START_TEST(bad_ids)
{
	struct sockaddr_in sin;
	char b[4];
	int v = 1;
	socklen_t len = sizeof(v);

	h_local_sockaddr(&sin, 80);
	ck_assert_int_eq(tcpx_bind(h->e, 42, &sin), -EBADF);
	ck_assert_int_eq(tcpx_connect(h->e, -1, &sin), -EBADF);
	ck_assert_int_eq(tcpx_send(h->e, 42, b, 1, 0), -EBADF);
	ck_assert_int_eq(tcpx_recv(h->e, 42, b, 1, 0), -EBADF);
	ck_assert_int_eq(tcpx_shutdown(h->e, 42, SHUT_RDWR), -EBADF);
	ck_assert_int_eq(tcpx_close(h->e, 42), -EBADF);
	ck_assert_int_eq(tcpx_state(h->e, 42), -EBADF);
	ck_assert_int_eq(tcpx_sock_error(h->e, 42), -EBADF);
	ck_assert_int_eq(tcpx_setsockopt(h->e, 42, SOL_SOCKET, SO_KEEPALIVE,
	    &v, sizeof(v)), -EBADF);
	ck_assert_int_eq(tcpx_getsockopt(h->e, 42, SOL_SOCKET, SO_KEEPALIVE,
	    &v, &len), -EBADF);
	ck_assert_uint_eq(tcpx_poll(h->e, 42), POLLNVAL);
}
END_TEST

START_TEST(unconnected_errnos)
{
	struct sockaddr_in sin;
	char b[4];
	int s = tcpx_socket(h->e);

	ck_assert_int_eq(tcpx_state(h->e, s), TCP_ST_CLOSED);
	/* Linux: EPIPE for send on a never-connected TCP socket. */
	ck_assert_int_eq(tcpx_send(h->e, s, "x", 1, 0), -EPIPE);
	ck_assert_int_eq(tcpx_recv(h->e, s, b, sizeof(b), 0), -ENOTCONN);
	ck_assert_int_eq(tcpx_shutdown(h->e, s, SHUT_WR), -ENOTCONN);
	ck_assert_int_eq(tcpx_shutdown(h->e, s, 3), -EINVAL);
	ck_assert_int_eq(tcpx_getpeername(h->e, s, &sin), -ENOTCONN);
	ck_assert_int_eq(tcpx_getsockname(h->e, s, &sin), 0);
	ck_assert_uint_eq(sin.sin_family, AF_INET);
	ck_assert_uint_eq(sin.sin_addr.s_addr, 0);
	ck_assert_uint_eq(sin.sin_port, 0);
	ck_assert_int_eq(tcpx_sock_error(h->e, s), 0);
	H_EXPECT_NONE(h);
	tcpx_close(h->e, s);
}
END_TEST

START_TEST(connect_sequence)
{
	struct conn c;
	struct sockaddr_in sin;
	uint16_t port;

	start_connect(&c);
	h_peer_sockaddr(&sin, 80);
	/* In progress: EALREADY, and no second SYN. */
	ck_assert_int_eq(tcpx_connect(h->e, c.s, &sin), -EALREADY);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_getpeername(h->e, c.s, &sin), -ENOTCONN);
	finish_connect(&c, 10 * MS);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
	ck_assert(tcpx_poll(h->e, c.s) & POLLOUT);
	/* The first connect() after completion reports success, then EISCONN. */
	h_peer_sockaddr(&sin, 80);
	ck_assert_int_eq(tcpx_connect(h->e, c.s, &sin), 0);
	ck_assert_int_eq(tcpx_connect(h->e, c.s, &sin), -EISCONN);
	h_local_sockaddr(&sin, 0);
	ck_assert_int_eq(tcpx_bind(h->e, c.s, &sin), -EINVAL);
	ck_assert_int_eq(tcpx_getpeername(h->e, c.s, &sin), 0);
	ck_assert_uint_eq(sin.sin_addr.s_addr, H_PEER_ADDR);
	ck_assert_uint_eq(ntohs(sin.sin_port), 80);
	ck_assert_int_eq(tcpx_getsockname(h->e, c.s, &sin), 0);
	ck_assert_uint_eq(sin.sin_addr.s_addr, H_LOCAL_ADDR);
	port = ntohs(sin.sin_port);
	ck_assert_uint_eq(port, c.lport);
	/* __inet_hash_connect: even ports first, inside the range. */
	ck_assert_uint_eq(port & 1, 0);
	ck_assert_uint_ge(port, 32768);
	ck_assert_uint_le(port, 60999);
	tcpx_close(h->e, c.s);
}
END_TEST

START_TEST(refused_then_retry)
{
	struct conn c;
	struct sockaddr_in sin;
	struct tcp_seg seg;
	struct h_seg g;

	start_connect(&c);
	peer_seg(&g, &c, TH_RST | TH_ACK, 0, c.iss + 1);
	g.opt.has_ts = false;
	h_inject(h, &g);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_CLOSED);
	ck_assert(tcpx_poll(h->e, c.s) & POLLERR);
	ck_assert_uint_eq(h_mib(h, "Tcp:AttemptFails"), 1);
	/* SO_ERROR reports it once... */
	ck_assert_int_eq(tcpx_sock_error(h->e, c.s), ECONNREFUSED);
	ck_assert_int_eq(tcpx_sock_error(h->e, c.s), 0);
	/* ...the next connect() closes the failed attempt (Linux)... */
	h_peer_sockaddr(&sin, 80);
	ck_assert_int_eq(tcpx_connect(h->e, c.s, &sin), -ECONNABORTED);
	/* ...and the one after starts over. */
	ck_assert_int_eq(tcpx_connect(h->e, c.s, &sin), -EINPROGRESS);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.flags, TH_SYN);
	tcpx_close(h->e, c.s);
}
END_TEST

START_TEST(refused_reported_by_connect)
{
	struct conn c;
	struct sockaddr_in sin;
	struct h_seg g;

	start_connect(&c);
	peer_seg(&g, &c, TH_RST | TH_ACK, 0, c.iss + 1);
	g.opt.has_ts = false;
	h_inject(h, &g);
	/* Without SO_ERROR read first, connect() itself says it. */
	h_peer_sockaddr(&sin, 80);
	ck_assert_int_eq(tcpx_connect(h->e, c.s, &sin), -ECONNREFUSED);
	ck_assert_int_eq(tcpx_sock_error(h->e, c.s), 0);
	/* The port connect() took went back: the socket may bind again. */
	h_local_sockaddr(&sin, 4444);
	ck_assert_int_eq(tcpx_bind(h->e, c.s, &sin), 0);
	tcpx_close(h->e, c.s);
}
END_TEST

START_TEST(connect_unreachable)
{
	struct sockaddr_in sin;
	int s = tcpx_socket(h->e);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0xc0a80101);	/* 192.168.1.1, no gateway */
	sin.sin_port = htons(80);
	ck_assert_int_eq(tcpx_connect(h->e, s, &sin), -ENETUNREACH);
	sin.sin_family = AF_INET6;
	ck_assert_int_eq(tcpx_connect(h->e, s, &sin), -EAFNOSUPPORT);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_state(h->e, s), TCP_ST_CLOSED);
	tcpx_close(h->e, s);
}
END_TEST

START_TEST(listener_calls)
{
	struct sockaddr_in sin;
	char b[4];
	int s = tcpx_socket(h->e), v = 0;
	socklen_t len = sizeof(v);

	h_local_sockaddr(&sin, 8080);
	ck_assert_int_eq(tcpx_bind(h->e, s, &sin), 0);
	ck_assert_int_eq(tcpx_getsockopt(h->e, s, SOL_SOCKET, SO_ACCEPTCONN,
	    &v, &len), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(tcpx_listen(h->e, s, 8), 0);
	ck_assert_int_eq(tcpx_getsockopt(h->e, s, SOL_SOCKET, SO_ACCEPTCONN,
	    &v, &len), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(tcpx_send(h->e, s, "x", 1, 0), -EPIPE);
	ck_assert_int_eq(tcpx_recv(h->e, s, b, sizeof(b), 0), -ENOTCONN);
	h_peer_sockaddr(&sin, 80);
	ck_assert_int_eq(tcpx_connect(h->e, s, &sin), -EISCONN);
	ck_assert_int_eq(tcpx_getpeername(h->e, s, &sin), -ENOTCONN);
	ck_assert_uint_eq(tcpx_poll(h->e, s), 0);
	/* inet_shutdown: SHUT_WR does nothing to a listener, SHUT_RD stops it. */
	ck_assert_int_eq(tcpx_shutdown(h->e, s, SHUT_WR), 0);
	ck_assert_int_eq(tcpx_state(h->e, s), TCP_ST_LISTEN);
	ck_assert_int_eq(tcpx_shutdown(h->e, s, SHUT_RD), 0);
	ck_assert_int_eq(tcpx_state(h->e, s), TCP_ST_CLOSED);
	ck_assert_int_eq(tcpx_close(h->e, s), 0);
	ck_assert_int_eq(tcpx_state(h->e, s), -EBADF);
}
END_TEST

static int
geti(int s, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	ck_assert_int_eq(tcpx_getsockopt(h->e, s, level, name, &v, &len), 0);
	ck_assert_uint_eq(len, sizeof(int));
	return v;
}

static int
seti(int s, int level, int name, int v)
{
	return tcpx_setsockopt(h->e, s, level, name, &v, sizeof(v));
}

START_TEST(socket_options)
{
	int s = tcpx_socket(h->e), v = 1;
	struct linger l = { 1, 5 }, lg;
	socklen_t len;

	/* Defaults: tcp_rmem[1] and tcp_wmem[1]. */
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_RCVBUF), 131072);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_SNDBUF), 16384);
	/* Linux doubles the value, caps it at rmem_max, floors it. */
	ck_assert_int_eq(seti(s, SOL_SOCKET, SO_RCVBUF, 10000), 0);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_RCVBUF), 20000);
	ck_assert_int_eq(seti(s, SOL_SOCKET, SO_RCVBUF, 100), 0);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_RCVBUF), 2304);
	ck_assert_int_eq(seti(s, SOL_SOCKET, SO_RCVBUF, 1 << 30), 0);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_RCVBUF), 425984);
	ck_assert_int_eq(seti(s, SOL_SOCKET, SO_SNDBUF, 100), 0);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_SNDBUF), 4608);
	ck_assert_int_eq(seti(s, SOL_SOCKET, SO_SNDBUF, 65536), 0);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_SNDBUF), 131072);

	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_KEEPALIVE), 0);
	ck_assert_int_eq(seti(s, SOL_SOCKET, SO_KEEPALIVE, 7), 0);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_KEEPALIVE), 1);
	ck_assert_int_eq(seti(s, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_REUSEADDR), 1);
	ck_assert_int_eq(seti(s, SOL_SOCKET, SO_REUSEPORT, 1), 0);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_REUSEPORT), 1);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	ck_assert_int_eq(geti(s, SOL_SOCKET, SO_ERROR), 0);

	ck_assert_int_eq(tcpx_setsockopt(h->e, s, SOL_SOCKET, SO_LINGER, &l,
	    sizeof(l)), 0);
	len = sizeof(lg);
	ck_assert_int_eq(tcpx_getsockopt(h->e, s, SOL_SOCKET, SO_LINGER, &lg,
	    &len), 0);
	ck_assert_uint_eq(len, sizeof(lg));
	ck_assert_int_eq(lg.l_onoff, 1);
	ck_assert_int_eq(lg.l_linger, 5);
	ck_assert_int_eq(tcpx_setsockopt(h->e, s, SOL_SOCKET, SO_LINGER, &l,
	    sizeof(int)), -EINVAL);

	/* Short values, unknown names and levels. */
	ck_assert_int_eq(tcpx_setsockopt(h->e, s, SOL_SOCKET, SO_KEEPALIVE, &v,
	    2), -EINVAL);
	ck_assert_int_eq(seti(s, SOL_SOCKET, 9999, 1), -ENOPROTOOPT);
	ck_assert_int_eq(seti(s, 4242, SO_KEEPALIVE, 1), -ENOPROTOOPT);
	len = sizeof(v);
	ck_assert_int_eq(tcpx_getsockopt(h->e, s, SOL_SOCKET, 9999, &v, &len),
	    -ENOPROTOOPT);
	tcpx_close(h->e, s);
}
END_TEST

START_TEST(tcp_options)
{
	int s = tcpx_socket(h->e);
	char name[16];
	socklen_t len;

	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_NODELAY), 1);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_CORK, 1), 0);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_CORK), 1);

	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_MAXSEG), 536);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_MAXSEG, 87), -EINVAL);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_MAXSEG, 32768), -EINVAL);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_MAXSEG, 1000), 0);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_MAXSEG), 1000);

	/* Keepalive: sysctl defaults, then Linux's ranges. */
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_KEEPINTVL), 75);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_KEEPCNT), 9);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_KEEPIDLE, 0), -EINVAL);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_KEEPIDLE, 32768), -EINVAL);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_KEEPIDLE, 600), 0);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_KEEPIDLE), 600);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_KEEPINTVL, 0), -EINVAL);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_KEEPINTVL, 30), 0);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_KEEPINTVL), 30);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_KEEPCNT, 128), -EINVAL);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_KEEPCNT, 3), 0);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_KEEPCNT), 3);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_SYNCNT), 6);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_SYNCNT, 0), -EINVAL);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_SYNCNT, 128), -EINVAL);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_SYNCNT, 2), 0);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_SYNCNT), 2);
	/* Kept as SYN-ACK timeouts: 5 s reads back as the 7 s they take. */
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5), 0);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_DEFER_ACCEPT), 7);

	/* TCP_CONGESTION: the sysctl's algorithm, then by name. */
	len = sizeof(name);
	ck_assert_int_eq(tcpx_getsockopt(h->e, s, IPPROTO_TCP, TCP_CONGESTION,
	    name, &len), 0);
	ck_assert_str_eq(name, "cubic");
	ck_assert_int_eq(tcpx_setsockopt(h->e, s, IPPROTO_TCP, TCP_CONGESTION,
	    "reno", 4), 0);
	len = sizeof(name);
	ck_assert_int_eq(tcpx_getsockopt(h->e, s, IPPROTO_TCP, TCP_CONGESTION,
	    name, &len), 0);
	ck_assert_str_eq(name, "reno");
	ck_assert_int_eq(tcpx_setsockopt(h->e, s, IPPROTO_TCP, TCP_CONGESTION,
	    "bbr", 3), -ENOENT);

	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_FASTOPEN, 5), 0);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_FASTOPEN), 5);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_FASTOPEN, -1), -EINVAL);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 2),
	    -EINVAL);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1), 0);
	ck_assert_int_eq(geti(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT), 1);
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_fastopen", "0"),
	    0);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1),
	    -EOPNOTSUPP);
	ck_assert_int_eq(seti(s, IPPROTO_TCP, 9999, 1), -ENOPROTOOPT);
	tcpx_close(h->e, s);
}
END_TEST

START_TEST(options_need_closed_state)
{
	struct conn c;

	start_connect(&c);
	finish_connect(&c, 10 * MS);
	ck_assert_int_eq(seti(c.s, IPPROTO_TCP, TCP_FASTOPEN, 5), -EINVAL);
	ck_assert_int_eq(seti(c.s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1),
	    -EINVAL);
	/* Connected: TCP_MAXSEG is the MSS in use (1460 - 12 for TS). */
	ck_assert_int_eq(geti(c.s, IPPROTO_TCP, TCP_MAXSEG), 1448);
	tcpx_close(h->e, c.s);
}
END_TEST

START_TEST(tcp_info_after_handshake)
{
	struct conn c;
	struct linux_tcp_info ti;
	struct tcp_seg seg;
	struct h_seg g;
	socklen_t len;
	char buf[128];

	memset(buf, 'z', sizeof(buf));
	start_connect(&c);
	len = sizeof(ti.base);
	ck_assert_int_eq(tcpx_getsockopt(h->e, c.s, IPPROTO_TCP, TCP_INFO,
	    &ti, &len), 0);
	ck_assert_uint_eq(ti.base.tcpi_state, TCP_ST_SYN_SENT);
	finish_connect(&c, 10 * MS);

	memset(&ti, 0xff, sizeof(ti));
	len = sizeof(ti);
	ck_assert_int_eq(tcpx_getsockopt(h->e, c.s, IPPROTO_TCP, TCP_INFO,
	    &ti, &len), 0);
	ck_assert_uint_eq(len, sizeof(ti));
	ck_assert_uint_eq(ti.base.tcpi_state, TCP_ST_ESTABLISHED);
	ck_assert_uint_eq(ti.base.tcpi_options,
	    TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
	ck_assert_uint_eq(ti.base.tcpi_snd_wscale, 7);
	ck_assert_uint_eq(ti.base.tcpi_rcv_wscale, c.our_wscale);
	ck_assert_uint_eq(ti.base.tcpi_snd_mss, 1448);
	ck_assert_uint_eq(ti.base.tcpi_retransmits, 0);
	ck_assert_uint_eq(ti.base.tcpi_total_retrans, 0);
	/* One 10 ms sample: srtt 10 ms, rttvar 5 ms, RTO 10 + 200 ms. */
	ck_assert_uint_eq(ti.base.tcpi_rtt, 10000);
	ck_assert_uint_eq(ti.base.tcpi_rttvar, 5000);
	ck_assert_uint_eq(ti.base.tcpi_rto, 210000);
	ck_assert_uint_eq(ti.base.tcpi_snd_cwnd, 10);
	ck_assert_uint_eq(ti.base.tcpi_unacked, 0);
	ck_assert_uint_eq(ti.bytes_acked, 0);
	ck_assert_uint_eq(ti.bytes_received, 0);

	/* 100 bytes out and acknowledged, 50 in. */
	ck_assert_int_eq(tcpx_send(h->e, c.s, buf, 100, 0), 100);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.len, 100);
	c.our_ts = seg.opt.ts_val;
	len = sizeof(ti);
	tcpx_getsockopt(h->e, c.s, IPPROTO_TCP, TCP_INFO, &ti, &len);
	ck_assert_uint_eq(ti.base.tcpi_unacked, 1);
	h_advance(h, 10 * MS);
	memset(buf, 'a', sizeof(buf));
	peer_seg(&g, &c, TH_ACK | TH_PSH, PEER_ISS + 1, c.iss + 101);
	g.data = buf;
	g.len = 50;
	h_inject(h, &g);
	h_advance(h, 300 * MS);
	len = sizeof(ti);
	ck_assert_int_eq(tcpx_getsockopt(h->e, c.s, IPPROTO_TCP, TCP_INFO,
	    &ti, &len), 0);
	ck_assert_uint_eq(ti.bytes_acked, 100);
	ck_assert_uint_eq(ti.bytes_received, 50);
	ck_assert_uint_eq(ti.base.tcpi_unacked, 0);
	ck_assert_uint_eq(ti.base.tcpi_last_data_recv, 300);
	tcpx_close(h->e, c.s);
}
END_TEST

static struct linux_tcp_info
info_of(int s)
{
	struct linux_tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0xff, sizeof(ti));
	ck_assert_int_eq(tcpx_getsockopt(h->e, s, IPPROTO_TCP, TCP_INFO, &ti,
	    &len), 0);
	ck_assert_uint_eq(len, sizeof(ti));
	return ti;
}

/* 100 bytes out, answered after `rtt` by an ACK. */
static void
exchange(struct conn *c, uint32_t *snd_nxt, uint64_t rtt)
{
	struct tcp_seg seg;
	struct h_seg g;
	char buf[100];

	memset(buf, 'm', sizeof(buf));
	ck_assert_int_eq(tcpx_send(h->e, c->s, buf, sizeof(buf), 0), 100);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.seq, *snd_nxt);
	c->our_ts = seg.opt.ts_val;
	*snd_nxt += 100;
	h_advance(h, rtt);
	peer_seg(&g, c, TH_ACK, PEER_ISS + 1, *snd_nxt);
	h_inject(h, &g);
}

/*
 * tcpi_min_rtt is Linux's windowed minimum: the handshake's 10 ms holds
 * while it is less than tcp_min_rtt_wlen (300 s) old, then the 20 ms of
 * the samples since is the minimum; tcpi_pacing_rate is 200% of cwnd
 * segments per srtt in slow start, tcpi_max_pacing_rate unlimited.
 */
START_TEST(tcp_info_min_rtt_and_pacing)
{
	struct linux_tcp_info ti;
	struct conn c;
	uint32_t nxt;
	int i;

	start_connect(&c);
	ti = info_of(c.s);
	ck_assert_uint_eq(ti.min_rtt, UINT32_MAX);	/* no sample yet */
	finish_connect(&c, 10 * MS);
	ti = info_of(c.s);
	ck_assert_uint_eq(ti.min_rtt, 10000);
	/* 1448 * 10 segments / 10 ms at 200%: 2896000 bytes/s. */
	ck_assert_uint_eq(ti.pacing_rate, 2896000);
	ck_assert_uint_eq(ti.max_pacing_rate, UINT64_MAX);

	nxt = c.iss + 1;
	for (i = 0; i < 9; i++) {		/* 20 ms RTTs, 30 s apart */
		h_advance(h, 30000 * MS);
		exchange(&c, &nxt, 20 * MS);
	}
	ti = info_of(c.s);			/* 270 s on: still 10 ms */
	ck_assert_uint_eq(ti.min_rtt, 10000);
	for (i = 0; i < 2; i++) {
		h_advance(h, 30000 * MS);
		exchange(&c, &nxt, 20 * MS);
	}
	ti = info_of(c.s);			/* 330 s on: aged out */
	ck_assert_uint_eq(ti.min_rtt, 20000);
	/* A lower sample is the minimum at once. */
	h_advance(h, 1000 * MS);
	exchange(&c, &nxt, 5 * MS);
	ck_assert_uint_eq(info_of(c.s).min_rtt, 5000);

	/* A window of 60 s: the 5 ms goes after a minute of 20 ms. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_min_rtt_wlen",
	    "60"), 0);
	for (i = 0; i < 4; i++) {
		h_advance(h, 20000 * MS);
		exchange(&c, &nxt, 20 * MS);
	}
	ck_assert_uint_eq(info_of(c.s).min_rtt, 20000);
	tcpx_close(h->e, c.s);
}
END_TEST

START_TEST(sendto_fastopen_calls)
{
	struct sockaddr_in sin;
	struct tcp_seg seg;
	int s = tcpx_socket(h->e), t;

	h_peer_sockaddr(&sin, 80);
	/* No cookie yet: a SYN asking for one, no data, EINPROGRESS. */
	ck_assert_int_eq(tcpx_sendto_fastopen(h->e, s, "hello", 5,
	    MSG_DONTWAIT, &sin), -EINPROGRESS);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.flags, TH_SYN);
	ck_assert_uint_eq(seg.len, 0);
	ck_assert(seg.opt.has_fastopen);
	ck_assert_uint_eq(seg.opt.fastopen_len, 0);
	ck_assert_int_eq(tcpx_sendto_fastopen(h->e, s, "hello", 5,
	    MSG_DONTWAIT, &sin), -EALREADY);
	/* The client bit of tcp_fastopen off: EOPNOTSUPP. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_fastopen", "0"),
	    0);
	t = tcpx_socket(h->e);
	ck_assert_int_eq(tcpx_sendto_fastopen(h->e, t, "hello", 5,
	    MSG_DONTWAIT, &sin), -EOPNOTSUPP);
	H_EXPECT_NONE(h);
	tcpx_close(h->e, s);
	tcpx_close(h->e, t);
}
END_TEST

struct count {
	int all, listen, estab, orphan;
};

static void
count_cb(void *arg, const struct tcpx_sockinfo *info)
{
	struct count *n = arg;

	n->all++;
	n->listen += info->state == TCP_ST_LISTEN;
	n->estab += info->state == TCP_ST_ESTABLISHED;
	n->orphan += info->orphan != 0;
}

START_TEST(foreach_lists_everything)
{
	struct conn c;
	struct count n;
	struct sockaddr_in sin;
	struct tcp_seg seg;
	int ls = tcpx_socket(h->e), idle = tcpx_socket(h->e);

	h_local_sockaddr(&sin, 8080);
	ck_assert_int_eq(tcpx_bind(h->e, ls, &sin), 0);
	ck_assert_int_eq(tcpx_listen(h->e, ls, 8), 0);
	start_connect(&c);
	finish_connect(&c, 10 * MS);
	memset(&n, 0, sizeof(n));
	tcpx_foreach(h->e, count_cb, &n);
	ck_assert_int_eq(n.all, 3);
	ck_assert_int_eq(n.listen, 1);
	ck_assert_int_eq(n.estab, 1);
	ck_assert_int_eq(n.orphan, 0);
	/* Closed by the application, the connection is still listed. */
	tcpx_close(h->e, c.s);
	ck_assert(h_take(h, &seg));
	memset(&n, 0, sizeof(n));
	tcpx_foreach(h->e, count_cb, &n);
	ck_assert_int_eq(n.all, 3);
	ck_assert_int_eq(n.orphan, 1);
	tcpx_close(h->e, idle);
	tcpx_close(h->e, ls);
}
END_TEST

static Suite *
usrreq_suite(void)
{
	Suite *s = suite_create("usrreq");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bad_ids);
	tcase_add_test(tc, unconnected_errnos);
	tcase_add_test(tc, connect_sequence);
	tcase_add_test(tc, refused_then_retry);
	tcase_add_test(tc, refused_reported_by_connect);
	tcase_add_test(tc, connect_unreachable);
	tcase_add_test(tc, listener_calls);
	tcase_add_test(tc, socket_options);
	tcase_add_test(tc, tcp_options);
	tcase_add_test(tc, options_need_closed_state);
	tcase_add_test(tc, tcp_info_after_handshake);
	tcase_add_test(tc, tcp_info_min_rtt_and_pacing);
	tcase_add_test(tc, sendto_fastopen_calls);
	tcase_add_test(tc, foreach_lists_everything);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(usrreq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
