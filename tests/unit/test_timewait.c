/*
 * test_timewait.c - TIME-WAIT as Linux keeps it: 60 s, restarted by a
 * retransmitted FIN, killed by a RST (unless tcp_rfc1337), reopened by a
 * newer SYN, capped by tcp_max_tw_buckets, taken over by connect()
 * under tcp_tw_reuse, and in the way of bind() unless SO_REUSEADDR.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define PEER_ISS	1000000u
#define SEC		1000000ULL
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

/* One connection as the peer sees it. */
struct conn {
	int s;			/* our socket id (-1 once closed) */
	uint16_t lport, rport;
	uint32_t iss;		/* our ISN */
	uint32_t our_ts;	/* last TSval we sent */
	uint32_t fin_ts;	/* TSval of the peer's FIN */
	bool ts;
};

/* The peer's timestamp clock: one tick a millisecond of engine time. */
static uint32_t
peer_tsval(void)
{
	return (uint32_t)(h->now / 1000) + 7;
}

static void
seg_init(struct h_seg *g, const struct conn *c, uint8_t flags, uint32_t seq,
    uint32_t ack)
{
	memset(g, 0, sizeof(*g));
	g->sport = c->rport;
	g->dport = c->lport;
	g->flags = flags;
	g->seq = seq;
	g->ack = ack;
	g->wnd = 65535;
	if (c->ts) {
		g->opt.has_ts = true;
		g->opt.ts_val = peer_tsval();
		g->opt.ts_ecr = c->our_ts;
	}
}

static void
take(struct conn *c, struct tcp_seg *seg, uint8_t flags, uint32_t seq,
    uint32_t ack)
{
	H_EXPECT(h, seg, flags, seq, ack);
	if (seg->opt.has_ts)
		c->our_ts = seg->opt.ts_val;
}

/* connect() to the peer's `rport` and finish the handshake. */
static void
active_open(struct conn *c, uint16_t rport, bool ts)
{
	struct sockaddr_in sin;
	struct tcp_seg seg;
	struct h_seg g;

	memset(c, 0, sizeof(*c));
	c->ts = ts;
	c->rport = rport;
	if (!ts)
		ck_assert_int_eq(tcpx_sysctl_set(h->e,
		    "net.ipv4.tcp_timestamps", "0"), 0);
	c->s = tcpx_socket(h->e);
	ck_assert_int_ge(c->s, 0);
	h_peer_sockaddr(&sin, rport);
	ck_assert_int_eq(tcpx_connect(h->e, c->s, &sin), -EINPROGRESS);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.flags, TH_SYN);
	c->lport = seg.sport;
	c->iss = seg.seq;
	c->our_ts = seg.opt.ts_val;
	seg_init(&g, c, TH_SYN | TH_ACK, PEER_ISS, c->iss + 1);
	g.opt.has_mss = true;
	g.opt.mss = 1460;
	g.opt.sack_perm = true;
	g.opt.has_wscale = true;
	g.opt.wscale = 7;
	h_inject(h, &g);
	take(c, &seg, TH_ACK, c->iss + 1, PEER_ISS + 1);
	ck_assert_int_eq(tcpx_state(h->e, c->s), TCP_ST_ESTABLISHED);
	if (!ts)
		ck_assert_int_eq(tcpx_sysctl_set(h->e,
		    "net.ipv4.tcp_timestamps", "1"), 0);
}

/* A peer connects to our listener `ls` on `lport`; we accept. */
static void
passive_open(struct conn *c, int ls, uint16_t lport, uint16_t rport,
    uint32_t peer_iss)
{
	struct sockaddr_in peer;
	struct tcp_seg seg;
	struct h_seg g;

	memset(c, 0, sizeof(*c));
	c->ts = true;
	c->lport = lport;
	c->rport = rport;
	seg_init(&g, c, TH_SYN, peer_iss, 0);
	g.opt.has_mss = true;
	g.opt.mss = 1460;
	g.opt.sack_perm = true;
	g.opt.has_wscale = true;
	g.opt.wscale = 7;
	h_inject(h, &g);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(seg.ack, peer_iss + 1);
	c->iss = seg.seq;
	c->our_ts = seg.opt.ts_val;
	seg_init(&g, c, TH_ACK, peer_iss + 1, c->iss + 1);
	h_inject(h, &g);
	H_EXPECT_NONE(h);
	c->s = tcpx_accept(h->e, ls, &peer);
	ck_assert_int_ge(c->s, 0);
}

/*
 * We close first and the peer answers with its FIN: the connection
 * ends in TIME-WAIT on our side.  `peer_iss` is where the peer's
 * sequence space started.
 */
static void
close_to_timewait(struct conn *c, uint32_t peer_iss)
{
	struct tcp_seg seg;
	struct h_seg g;

	ck_assert_int_eq(tcpx_close(h->e, c->s), 0);
	c->s = -1;
	take(c, &seg, TH_FIN | TH_ACK, c->iss + 1, peer_iss + 1);
	seg_init(&g, c, TH_ACK, peer_iss + 1, c->iss + 2);
	h_inject(h, &g);
	H_EXPECT_NONE(h);
	seg_init(&g, c, TH_FIN | TH_ACK, peer_iss + 1, c->iss + 2);
	c->fin_ts = g.opt.ts_val;
	h_inject(h, &g);
	take(c, &seg, TH_ACK, c->iss + 2, peer_iss + 2);
}

/* The peer, in LAST-ACK, sends its FIN again (our ACK was "lost"). */
static void
retransmit_fin(struct conn *c, uint32_t peer_iss)
{
	struct h_seg g;

	seg_init(&g, c, TH_FIN | TH_ACK, peer_iss + 1, c->iss + 2);
	h_inject(h, &g);
}

struct tw_find {
	uint16_t lport, rport;
	int found;
	struct tcpx_sockinfo info;
	int ntw;
};

static void
tw_cb(void *arg, const struct tcpx_sockinfo *info)
{
	struct tw_find *f = arg;

	if (info->state != TCP_ST_TIME_WAIT)
		return;
	f->ntw++;
	if (ntohs(info->local.sin_port) == f->lport &&
	    ntohs(info->remote.sin_port) == f->rport) {
		f->found++;
		f->info = *info;
	}
}

/* The TIME-WAIT entry of c, as ss(8) would list it. */
static struct tw_find
tw_lookup(const struct conn *c)
{
	struct tw_find f;

	memset(&f, 0, sizeof(f));
	f.lport = c->lport;
	f.rport = c->rport;
	tcpx_foreach(h->e, tw_cb, &f);
	return f;
}

START_TEST(lasts_exactly_60s)
{
	struct conn c;
	struct tcp_seg seg;
	struct tw_find f;
	uint64_t t0;

	active_open(&c, 80, true);
	close_to_timewait(&c, PEER_ISS);
	t0 = h->now;
	f = tw_lookup(&c);
	ck_assert_int_eq(f.found, 1);
	ck_assert_int_eq(f.info.timer, TCPX_TIMER_TIMEWAIT);
	ck_assert_uint_eq(f.info.timer_expires_us, 60 * SEC);
	/* The socket itself is gone: the id was closed, a bucket remains. */
	ck_assert_int_eq(f.info.id, -1);
	ck_assert_int_eq(h->last_state_from, TCP_ST_FIN_WAIT_2);
	ck_assert_int_eq(h->last_state_to, TCP_ST_TIME_WAIT);

	h_run_until(h, t0 + 60 * SEC - 1);
	f = tw_lookup(&c);
	ck_assert_int_eq(f.found, 1);
	ck_assert_uint_eq(f.info.timer_expires_us, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TW"), 0);
	H_EXPECT_NONE(h);

	h_run_until(h, t0 + 60 * SEC);
	f = tw_lookup(&c);
	ck_assert_int_eq(f.found, 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TW"), 1);
	/* The state trace hears of the end. */
	ck_assert_int_eq(h->last_state_from, TCP_ST_TIME_WAIT);
	ck_assert_int_eq(h->last_state_to, TCP_ST_CLOSED);
	ck_assert_str_eq(h->last_state_cause, "TIME-WAIT expired");
	/* Now the tuple is free: the peer's FIN meets no connection. */
	retransmit_fin(&c, PEER_ISS);
	H_EXPECT(h, &seg, TH_RST, c.iss + 2, 0);
}
END_TEST

START_TEST(fin_is_acked_and_restarts)
{
	struct conn c;
	struct tcp_seg seg;
	struct tw_find f;
	uint64_t t0, t1;

	active_open(&c, 80, true);
	close_to_timewait(&c, PEER_ISS);
	t0 = h->now;
	h_run_until(h, t0 + 59 * SEC);
	retransmit_fin(&c, PEER_ISS);
	H_EXPECT(h, &seg, TH_ACK, c.iss + 2, PEER_ISS + 2);
	/*
	 * The copy is below RCV.NXT, so TS.Recent stays the first FIN's
	 * (RFC 7323 4.3: only in-window segments update it); Linux echoes
	 * that.
	 */
	ck_assert(seg.opt.has_ts);
	ck_assert_uint_eq(seg.opt.ts_ecr, c.fin_ts);
	t1 = h->now;
	/* The wait starts over from the retransmitted FIN. */
	h_run_until(h, t0 + 60 * SEC);
	ck_assert_int_eq(tw_lookup(&c).found, 1);
	h_run_until(h, t1 + 60 * SEC - 1);
	f = tw_lookup(&c);
	ck_assert_int_eq(f.found, 1);
	h_run_until(h, t1 + 60 * SEC);
	ck_assert_int_eq(tw_lookup(&c).found, 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TW"), 1);
}
END_TEST

START_TEST(rst_kills_unless_rfc1337)
{
	struct conn c, d;
	struct h_seg g;

	active_open(&c, 80, true);
	close_to_timewait(&c, PEER_ISS);
	seg_init(&g, &c, TH_RST, PEER_ISS + 2, 0);
	g.opt.has_ts = false;
	h_inject(h, &g);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tw_lookup(&c).found, 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TWKilled"), 1);

	/* RFC 1337: TIME-WAIT ignores the RST and waits on. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_rfc1337", "1"), 0);
	active_open(&d, 81, true);
	close_to_timewait(&d, PEER_ISS);
	seg_init(&g, &d, TH_RST, PEER_ISS + 2, 0);
	g.opt.has_ts = false;
	h_inject(h, &g);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tw_lookup(&d).found, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TWKilled"), 1);
}
END_TEST

START_TEST(old_timestamp_is_paws_rejected)
{
	struct conn c;
	struct tcp_seg seg;
	struct h_seg g;

	active_open(&c, 80, true);
	h_advance(h, 10 * MS);
	close_to_timewait(&c, PEER_ISS);
	/* A duplicate from long ago: older TSval.  ACKed, counted, no change. */
	seg_init(&g, &c, TH_ACK, PEER_ISS + 2, c.iss + 2);
	g.opt.ts_val = peer_tsval() - 1000;
	g.data = "x";
	g.len = 1;
	h_inject(h, &g);
	H_EXPECT(h, &seg, TH_ACK, c.iss + 2, PEER_ISS + 2);
	ck_assert_uint_eq(h_mib(h, "TcpExt:PAWSEstab"), 1);
	ck_assert_int_eq(tw_lookup(&c).found, 1);
}
END_TEST

START_TEST(new_syn_reopens_via_listener)
{
	struct conn c, d;
	struct tcp_seg seg;
	struct h_seg g;
	int ls, one = 1;
	struct sockaddr_in sin;

	ls = tcpx_socket(h->e);
	tcpx_setsockopt(h->e, ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	h_local_sockaddr(&sin, 8080);
	ck_assert_int_eq(tcpx_bind(h->e, ls, &sin), 0);
	ck_assert_int_eq(tcpx_listen(h->e, ls, 16), 0);
	passive_open(&c, ls, 8080, 50000, PEER_ISS);
	close_to_timewait(&c, PEER_ISS);
	ck_assert_int_eq(tw_lookup(&c).found, 1);
	h_advance(h, 2 * SEC);
	/* The same client port, a sequence number past the old one. */
	memset(&d, 0, sizeof(d));
	d.ts = true;
	d.lport = 8080;
	d.rport = 50000;
	seg_init(&g, &d, TH_SYN, PEER_ISS + 100000, 0);
	g.opt.has_mss = true;
	g.opt.mss = 1460;
	h_inject(h, &g);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(seg.ack, PEER_ISS + 100001);
	/* Linux's tcp_tw_isn: past anything the old incarnation sent. */
	ck_assert_uint_eq(seg.seq, c.iss + 2 + 65535 + 2);
	ck_assert_int_eq(tw_lookup(&c).found, 0);
	tcpx_close(h->e, ls);
}
END_TEST

START_TEST(old_syn_gets_ack)
{
	struct conn c, d;
	struct tcp_seg seg;
	struct h_seg g;
	int ls;
	struct sockaddr_in sin;

	ls = tcpx_socket(h->e);
	h_local_sockaddr(&sin, 8080);
	ck_assert_int_eq(tcpx_bind(h->e, ls, &sin), 0);
	ck_assert_int_eq(tcpx_listen(h->e, ls, 16), 0);
	passive_open(&c, ls, 8080, 50000, PEER_ISS);
	close_to_timewait(&c, PEER_ISS);
	/* A SYN below RCV.NXT with an old timestamp: not a new connection. */
	d = c;
	seg_init(&g, &d, TH_SYN, PEER_ISS - 5000, 0);
	g.opt.ts_val = peer_tsval() - 100;
	h_inject(h, &g);
	H_EXPECT(h, &seg, TH_ACK, c.iss + 2, PEER_ISS + 2);
	ck_assert_int_eq(tw_lookup(&c).found, 1);
	tcpx_close(h->e, ls);
}
END_TEST

START_TEST(max_tw_buckets_overflow)
{
	struct conn c[3];
	struct tw_find f;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_max_tw_buckets",
	    "2"), 0);
	for (int i = 0; i < 3; i++) {
		active_open(&c[i], (uint16_t)(80 + i), true);
		close_to_timewait(&c[i], PEER_ISS);
	}
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeWaitOverflow"), 1);
	f = tw_lookup(&c[2]);
	ck_assert_int_eq(f.ntw, 2);
	ck_assert_int_eq(f.found, 0);
	ck_assert_int_eq(tw_lookup(&c[0]).found, 1);
	ck_assert_int_eq(tw_lookup(&c[1]).found, 1);
	ck_assert_uint_eq(h->e->tcp.tw_count, 2);
}
END_TEST

/* Reconnect to the same peer and port from the only port there is. */
static int
reconnect(int *s)
{
	struct sockaddr_in sin;

	*s = tcpx_socket(h->e);
	h_peer_sockaddr(&sin, 80);
	return tcpx_connect(h->e, *s, &sin);
}

static void
one_port_timewait(struct conn *c, bool ts)
{
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.ip_local_port_range",
	    "40000 40000"), 0);
	active_open(c, 80, ts);
	ck_assert_uint_eq(c->lport, 40000);
	close_to_timewait(c, PEER_ISS);
}

START_TEST(tw_reuse_1_takes_over_after_1s)
{
	struct conn c;
	struct tcp_seg seg;
	uint64_t t0;
	int s;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_tw_reuse", "1"),
	    0);
	one_port_timewait(&c, true);
	t0 = h->now;
	h_run_until(h, t0 + 500 * MS);
	ck_assert_int_eq(reconnect(&s), -EADDRNOTAVAIL);
	H_EXPECT_NONE(h);
	tcpx_close(h->e, s);
	h_run_until(h, t0 + 1500 * MS);
	ck_assert_int_eq(reconnect(&s), -EINPROGRESS);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.flags, TH_SYN);
	ck_assert_uint_eq(seg.sport, 40000);
	/* tcp_twsk_unique: the new ISN starts past the old snd_nxt. */
	ck_assert_uint_eq(seg.seq, c.iss + 2 + 65535 + 2);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TWRecycled"), 1);
	ck_assert_int_eq(tw_lookup(&c).found, 0);
	tcpx_close(h->e, s);
}
END_TEST

START_TEST(tw_reuse_needs_timestamps)
{
	struct conn c;
	int s;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_tw_reuse", "1"),
	    0);
	one_port_timewait(&c, false);
	h_advance(h, 5 * SEC);
	ck_assert_int_eq(reconnect(&s), -EADDRNOTAVAIL);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TWRecycled"), 0);
	tcpx_close(h->e, s);
}
END_TEST

static void
no_reuse_with(const char *val)
{
	struct conn c;
	int s;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_tw_reuse", val),
	    0);
	one_port_timewait(&c, true);
	h_advance(h, 5 * SEC);
	ck_assert_int_eq(reconnect(&s), -EADDRNOTAVAIL);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tw_lookup(&c).found, 1);
	tcpx_close(h->e, s);
	/* Once TIME-WAIT is over, the port is there again. */
	h_run_until(h, h->now + 60 * SEC);
	ck_assert_int_eq(reconnect(&s), -EINPROGRESS);
	tcpx_close(h->e, s);
}

START_TEST(tw_reuse_0_never)
{
	no_reuse_with("0");
}
END_TEST

START_TEST(tw_reuse_2_is_loopback_only)
{
	/* 2, Linux's default: our address is never loopback. */
	no_reuse_with("2");
}
END_TEST

/* A server closes first; its port sits in TIME-WAIT; it restarts. */
static void
server_timewait(bool reuseaddr)
{
	struct conn c;
	struct sockaddr_in sin;
	int ls, one = 1;

	ls = tcpx_socket(h->e);
	if (reuseaddr)
		tcpx_setsockopt(h->e, ls, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
	h_local_sockaddr(&sin, 8080);
	ck_assert_int_eq(tcpx_bind(h->e, ls, &sin), 0);
	ck_assert_int_eq(tcpx_listen(h->e, ls, 16), 0);
	passive_open(&c, ls, 8080, 50000, PEER_ISS);
	close_to_timewait(&c, PEER_ISS);
	ck_assert_int_eq(tcpx_close(h->e, ls), 0);
	ck_assert_int_eq(tw_lookup(&c).found, 1);
}

START_TEST(bind_against_timewait)
{
	struct sockaddr_in sin;
	int s, one = 1;

	server_timewait(true);
	h_local_sockaddr(&sin, 8080);
	/* Without SO_REUSEADDR the TIME-WAIT port is in use... */
	s = tcpx_socket(h->e);
	ck_assert_int_eq(tcpx_bind(h->e, s, &sin), -EADDRINUSE);
	tcpx_close(h->e, s);
	/* ...with it (on both sockets, as Linux wants) the server restarts. */
	s = tcpx_socket(h->e);
	tcpx_setsockopt(h->e, s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(tcpx_bind(h->e, s, &sin), 0);
	ck_assert_int_eq(tcpx_listen(h->e, s, 16), 0);
	tcpx_close(h->e, s);
}
END_TEST

START_TEST(bind_against_timewait_needs_both)
{
	struct sockaddr_in sin;
	int s, one = 1;

	/* The old listener had no SO_REUSEADDR: Linux still says in use. */
	server_timewait(false);
	h_local_sockaddr(&sin, 8080);
	s = tcpx_socket(h->e);
	tcpx_setsockopt(h->e, s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(tcpx_bind(h->e, s, &sin), -EADDRINUSE);
	tcpx_close(h->e, s);
	h_run_until(h, h->now + 60 * SEC);
	s = tcpx_socket(h->e);
	ck_assert_int_eq(tcpx_bind(h->e, s, &sin), 0);
	tcpx_close(h->e, s);
}
END_TEST

START_TEST(app_socket_stays_closed)
{
	struct conn c;
	struct tcp_seg seg;
	struct h_seg g;
	char buf[16];

	/* shutdown(SHUT_WR) keeps the socket: it sees EOF, then CLOSED. */
	active_open(&c, 80, true);
	ck_assert_int_eq(tcpx_shutdown(h->e, c.s, SHUT_WR), 0);
	take(&c, &seg, TH_FIN | TH_ACK, c.iss + 1, PEER_ISS + 1);
	seg_init(&g, &c, TH_FIN | TH_ACK, PEER_ISS + 1, c.iss + 2);
	g.data = "bye";
	g.len = 3;
	h_inject(h, &g);
	take(&c, &seg, TH_ACK, c.iss + 2, PEER_ISS + 5);
	ck_assert_int_eq(tw_lookup(&c).found, 1);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_CLOSED);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 3);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(tcpx_close(h->e, c.s), 0);
	ck_assert_int_eq(tw_lookup(&c).found, 1);
	H_EXPECT_NONE(h);
}
END_TEST

static Suite *
timewait_suite(void)
{
	Suite *s = suite_create("timewait");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lasts_exactly_60s);
	tcase_add_test(tc, fin_is_acked_and_restarts);
	tcase_add_test(tc, rst_kills_unless_rfc1337);
	tcase_add_test(tc, old_timestamp_is_paws_rejected);
	tcase_add_test(tc, new_syn_reopens_via_listener);
	tcase_add_test(tc, old_syn_gets_ack);
	tcase_add_test(tc, max_tw_buckets_overflow);
	tcase_add_test(tc, tw_reuse_1_takes_over_after_1s);
	tcase_add_test(tc, tw_reuse_needs_timestamps);
	tcase_add_test(tc, tw_reuse_0_never);
	tcase_add_test(tc, tw_reuse_2_is_loopback_only);
	tcase_add_test(tc, bind_against_timewait);
	tcase_add_test(tc, bind_against_timewait_needs_both);
	tcase_add_test(tc, app_socket_stays_closed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(timewait_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
