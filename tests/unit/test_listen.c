/*
 * test_listen.c - the passive open (core/tcp_listen.c): SYN-ACK options
 * byte for byte as Linux lays them out for every combination the SYN
 * offers, the values negotiated, SYN-ACK retransmission timing and give
 * up, the accept queue's backlog + 1 limit in both tcp_abort_on_overflow
 * modes, somaxconn clamping, accept errors, and closing a listener with
 * connections nobody accepted.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define LPORT	80

static struct harness *h;
static int ls;			/* the listener */

static void
setup(void)
{
	h = h_new();
}

static void
teardown(void)
{
	h_free(h);
	h = NULL;
}

static int
listener(int backlog)
{
	struct sockaddr_in sin;
	int s;

	s = tcpx_socket(h->e);
	ck_assert_int_ge(s, 0);
	h_local_sockaddr(&sin, LPORT);
	ck_assert_int_eq(tcpx_bind(h->e, s, &sin), 0);
	ck_assert_int_eq(tcpx_listen(h->e, s, backlog), 0);
	return s;
}

static struct tcp_tuple
tuple_for(uint16_t rport)
{
	struct tcp_tuple t = { .laddr = H_LOCAL_ADDR, .raddr = H_PEER_ADDR,
	    .lport = LPORT, .rport = rport };

	return t;
}

/* The peer's SYN from `rport` with ISN `seq` and options `o`. */
static void
send_syn(uint16_t rport, uint32_t seq, const struct tcp_opts *o)
{
	struct h_seg s = { .sport = rport, .dport = LPORT, .seq = seq,
	    .flags = TH_SYN, .wnd = 64240 };

	if (o != NULL)
		s.opt = *o;
	h_inject(h, &s);
}

static void
send_ack(uint16_t rport, uint32_t seq, uint32_t ack, uint32_t tsval,
    uint32_t tsecr, bool ts)
{
	struct h_seg s = { .sport = rport, .dport = LPORT, .seq = seq,
	    .ack = ack, .flags = TH_ACK, .wnd = 502 };

	if (ts) {
		s.opt.has_ts = true;
		s.opt.ts_val = tsval;
		s.opt.ts_ecr = tsecr;
	}
	h_inject(h, &s);
}

/*
 * Take the next frame (a bare IPv4 packet on the RAWIP link) and parse
 * it, keeping the raw option bytes to check their order.
 */
static void
take_raw(struct tcp_seg *seg, uint8_t *opts, size_t *optlen)
{
	struct ipv4_view ip;
	const uint8_t *f;
	size_t len;

	f = h_take_frame(h, &len);
	ck_assert_msg(f != NULL, "no frame sent");
	ck_assert_int_eq(ipv4_parse(f, len, &ip), WIRE_OK);
	ck_assert_int_eq(tcp_parse(&ip, seg), WIRE_OK);
	*optlen = (size_t)(ip.payload[12] >> 4) * 4 - 20;
	memcpy(opts, ip.payload + 20, *optlen);
}

struct combo {
	const char *name;
	bool ts, sack, ws;
	uint8_t want[40];	/* TS fields zero here: filled in per run */
	size_t want_len;
	size_t ts_at;		/* offset of the TS option's kind byte */
	uint16_t wnd;		/* SYN-ACK window */
	uint32_t snd_mss;
};

/*
 * Linux's SYN-ACK layouts (tcp_options_write) for each offer; window
 * scale 10 covers tcp_rmem[2], 32 MB.
 */
static const struct combo combos[] = {
	{ "all", true, true, true,
	  { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0,
	    1, 3, 3, 10 }, 20, 6, 65160, 1448 },
	{ "none", false, false, false,
	  { 2, 4, 0x05, 0xb4 }, 4, 0, 64240, 536 },
	{ "ts", true, false, false,
	  { 2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0 }, 16, 6,
	  65160, 1448 },
	{ "sack", false, true, false,
	  { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 }, 8, 0, 64240, 1460 },
	{ "ws", false, false, true,
	  { 2, 4, 0x05, 0xb4, 1, 3, 3, 10 }, 8, 0, 64240, 1460 },
};

START_TEST(handshake_options)
{
	const struct combo *c = &combos[_i];
	struct tcp_opts o;
	struct tcp_tuple t = tuple_for(40000);
	struct tcp_seg sa;
	struct tcpx_sockinfo info;
	struct sockaddr_in peer;
	uint8_t opts[40], want[40];
	size_t optlen;
	uint32_t iss, tsval = 0;
	int cs;

	ls = listener(8);
	memset(&o, 0, sizeof(o));
	/* "none" also leaves out MSS: the server must assume 536. */
	if (c->ts || c->sack || c->ws) {
		o.has_mss = true;
		o.mss = 1460;
	}
	o.has_ts = c->ts;
	o.ts_val = 7777;
	o.sack_perm = c->sack;
	o.has_wscale = c->ws;
	o.wscale = 9;
	iss = tcp_isn(h->e, &t);
	if (c->ts)
		tsval = tcp_tsval(h->e, tcp_ts_off(h->e, &t));
	send_syn(40000, 1000, &o);

	take_raw(&sa, opts, &optlen);
	ck_assert_uint_eq(sa.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(sa.seq, iss);
	ck_assert_uint_eq(sa.ack, 1001);
	ck_assert_uint_eq(sa.wnd, c->wnd);
	memcpy(want, c->want, c->want_len);
	if (c->ts) {
		wire_put32(want + c->ts_at + 2, tsval);
		wire_put32(want + c->ts_at + 6, 7777);
	}
	ck_assert_msg(optlen == c->want_len, "%s: %zu option bytes, want %zu",
	    c->name, optlen, c->want_len);
	ck_assert_mem_eq(opts, want, optlen);
	H_EXPECT_NONE(h);

	/* The listener shows one request sock until the third ACK. */
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.syn_q, 1);
	ck_assert_int_eq(tcpx_accept(h->e, ls, &peer), -EAGAIN);

	send_ack(40000, 1001, iss + 1, 7778, tsval, c->ts);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "Tcp:PassiveOpens"), 1);
	ck_assert_uint_ne(h_events(h, ls) & TCPX_EV_IN, 0);
	cs = tcpx_accept(h->e, ls, &peer);
	ck_assert_int_ge(cs, 0);
	ck_assert_uint_eq(peer.sin_addr.s_addr, H_PEER_ADDR);
	ck_assert_uint_eq(ntohs(peer.sin_port), 40000);
	ck_assert_int_eq(tcpx_state(h->e, cs), TCP_ST_ESTABLISHED);

	ck_assert_int_eq(tcpx_sock_info(h->e, cs, &info), 0);
	ck_assert_uint_eq(info.options,
	    (c->ts ? TCPX_OPT_TS : 0) | (c->sack ? TCPX_OPT_SACK : 0) |
	    (c->ws ? TCPX_OPT_WSCALE : 0));
	ck_assert_uint_eq(info.snd_wscale, c->ws ? 9 : 0);
	ck_assert_uint_eq(info.rcv_wscale, c->ws ? 10 : 0);
	ck_assert_uint_eq(info.snd_mss, c->snd_mss);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.syn_q, 0);
	ck_assert_uint_eq(info.recv_q, 0);
}
END_TEST

START_TEST(synack_retransmit_timing)
{
	static const uint64_t at[] = { 1, 3, 7, 15, 31 };
	struct tcp_tuple t = tuple_for(40001);
	struct tcp_seg sa;
	struct tcpx_sockinfo info;
	uint64_t t0;
	uint32_t iss;

	ls = listener(8);
	iss = tcp_isn(h->e, &t);
	send_syn(40001, 5000, NULL);
	t0 = h->now;
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 5001);
	H_EXPECT_NONE(h);

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		/* Nothing just before the deadline, one SYN-ACK at it. */
		h_run_until(h, t0 + at[i] * 1000000 - 1);
		H_EXPECT_NONE(h);
		h_run_until(h, t0 + at[i] * 1000000);
		H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 5001);
		ck_assert_uint_eq(h->last_sent_us, t0 + at[i] * 1000000);
		H_EXPECT_NONE(h);
	}
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSynRetrans"), 5);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 5);

	/* Still there just before 63 s; gone at 63 s, silently. */
	h_run_until(h, t0 + 63 * 1000000ULL - 1);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.syn_q, 1);
	h_run_until(h, t0 + 63 * 1000000ULL);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.syn_q, 0);

	/* A late third ACK now meets only the listener: RST. */
	send_ack(40001, 5001, iss + 1, 0, 0, false);
	H_EXPECT(h, &sa, TH_RST, iss + 1, 0);
}
END_TEST

START_TEST(retransmitted_syn_resends_synack)
{
	struct tcp_tuple t = tuple_for(40002);
	struct tcp_seg sa;
	uint32_t iss;

	ls = listener(8);
	iss = tcp_isn(h->e, &t);
	send_syn(40002, 77, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 78);
	h_advance(h, 200000);
	send_syn(40002, 77, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 78);
	H_EXPECT_NONE(h);
	/* A bad ACK number is answered with a RST; the request stays. */
	send_ack(40002, 78, iss + 5, 0, 0, false);
	H_EXPECT(h, &sa, TH_RST, iss + 5, 0);
	send_ack(40002, 78, iss + 1, 0, 0, false);
	H_EXPECT_NONE(h);
	ck_assert_int_ge(tcpx_accept(h->e, ls, NULL), 0);
}
END_TEST

/* Complete a handshake from `rport`; returns our ISN. */
static uint32_t
handshake(uint16_t rport)
{
	struct tcp_tuple t = tuple_for(rport);
	struct tcp_seg sa;
	uint32_t iss = tcp_isn(h->e, &t);

	send_syn(rport, 100, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 101);
	send_ack(rport, 101, iss + 1, 0, 0, false);
	H_EXPECT_NONE(h);
	return iss;
}

static void
overflow_case(int abort_on_overflow)
{
	struct tcp_tuple t3 = tuple_for(40003);
	struct tcp_seg sa;
	struct tcpx_sockinfo info;
	uint32_t iss2, iss3;
	uint64_t t3_sent;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_abort_on_overflow",
	    abort_on_overflow ? "1" : "0"), 0);
	ls = listener(1);
	handshake(40001);
	/* Two more SYNs while the queue holds one: both get SYN-ACKs. */
	iss2 = tcp_isn(h->e, &(struct tcp_tuple){ .laddr = H_LOCAL_ADDR,
	    .raddr = H_PEER_ADDR, .lport = LPORT, .rport = 40002 });
	send_syn(40002, 100, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss2, 101);
	iss3 = tcp_isn(h->e, &t3);
	send_syn(40003, 300, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss3, 301);
	t3_sent = h->last_sent_us;
	/* backlog 1 holds two connections... */
	send_ack(40002, 101, iss2 + 1, 0, 0, false);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.recv_q, 2);
	ck_assert_uint_eq(info.send_q, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:ListenOverflows"), 0);
	/* ... and the third one's ACK overflows. */
	send_ack(40003, 301, iss3 + 1, 0, 0, false);
	ck_assert_uint_eq(h_mib(h, "TcpExt:ListenOverflows"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:ListenDrops"), 1);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.recv_q, 2);
	if (abort_on_overflow) {
		H_EXPECT(h, &sa, TH_RST, iss3 + 1, 0);
		ck_assert_uint_eq(info.syn_q, 0);
		h_run_until(h, t3_sent + 1000000);
		H_EXPECT_NONE(h);
		return;
	}
	/* Silently dropped; the request stays and its timer asks again. */
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(info.syn_q, 1);
	h_run_until(h, t3_sent + 1000000);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss3, 301);
	/* Room again after an accept: the peer's next ACK completes it. */
	ck_assert_int_ge(tcpx_accept(h->e, ls, NULL), 0);
	send_ack(40003, 301, iss3 + 1, 0, 0, false);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.recv_q, 2);
	ck_assert_uint_eq(info.syn_q, 0);
}

START_TEST(accept_queue_overflow_drop)
{
	overflow_case(0);
}
END_TEST

START_TEST(accept_queue_overflow_abort)
{
	overflow_case(1);
}
END_TEST

START_TEST(syn_to_full_accept_queue_dropped)
{
	struct tcp_seg sa;

	ls = listener(0);
	handshake(40001);	/* backlog 0 still takes one */
	send_syn(40002, 100, NULL);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "TcpExt:ListenOverflows"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:ListenDrops"), 1);
	ck_assert_int_ge(tcpx_accept(h->e, ls, NULL), 0);
	send_syn(40002, 100, NULL);
	ck_assert(h_take(h, &sa));
	ck_assert_uint_eq(sa.flags, TH_SYN | TH_ACK);
}
END_TEST

START_TEST(backlog_clamped_by_somaxconn)
{
	struct tcpx_sockinfo info;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.core.somaxconn", "2"), 0);
	ls = listener(100);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.send_q, 2);
	/* listen() again changes the backlog; negative means the maximum. */
	ck_assert_int_eq(tcpx_listen(h->e, ls, 1), 0);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.send_q, 1);
	ck_assert_int_eq(tcpx_listen(h->e, ls, -1), 0);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.send_q, 2);
	ck_assert_int_eq(tcpx_state(h->e, ls), TCP_ST_LISTEN);
}
END_TEST

START_TEST(accept_errors)
{
	struct sockaddr_in sin;
	int s;

	ls = listener(4);
	ck_assert_int_eq(tcpx_accept(h->e, ls, NULL), -EAGAIN);
	s = tcpx_socket(h->e);
	ck_assert_int_eq(tcpx_accept(h->e, s, NULL), -EINVAL);
	ck_assert_int_eq(tcpx_accept(h->e, 999, NULL), -EBADF);
	/* An unbound socket is given an ephemeral port by listen(). */
	ck_assert_int_eq(tcpx_listen(h->e, s, 4), 0);
	ck_assert_int_eq(tcpx_getsockname(h->e, s, &sin), 0);
	ck_assert_uint_ge(ntohs(sin.sin_port), 32768);
	ck_assert_uint_le(ntohs(sin.sin_port), 60999);
}
END_TEST

START_TEST(listen_on_connected_socket)
{
	struct tcp_seg sa;
	int cs;

	ls = listener(4);
	handshake(40001);
	cs = tcpx_accept(h->e, ls, NULL);
	ck_assert_int_ge(cs, 0);
	ck_assert_int_eq(tcpx_listen(h->e, cs, 4), -EINVAL);
	H_EXPECT_NONE(h);
	(void)sa;
}
END_TEST

START_TEST(close_listener_resets_queued)
{
	struct tcp_seg sa;
	uint32_t iss1, iss2;

	ls = listener(4);
	iss1 = handshake(40001);
	iss2 = handshake(40002);
	send_syn(40003, 100, NULL);	/* a request sock: freed, no RST */
	ck_assert(h_take(h, &sa));
	ck_assert_int_eq(tcpx_close(h->e, ls), 0);
	ck_assert(h_take(h, &sa));
	ck_assert_uint_ne(sa.flags & TH_RST, 0);
	ck_assert_uint_eq(sa.dport, 40001);
	ck_assert_uint_eq(sa.seq, iss1 + 1);
	ck_assert(h_take(h, &sa));
	ck_assert_uint_ne(sa.flags & TH_RST, 0);
	ck_assert_uint_eq(sa.dport, 40002);
	ck_assert_uint_eq(sa.seq, iss2 + 1);
	H_EXPECT_NONE(h);
	/* Nothing listens any more: a SYN is refused. */
	send_syn(40004, 100, NULL);
	H_EXPECT(h, &sa, TH_RST | TH_ACK, 0, 101);
}
END_TEST

START_TEST(third_ack_with_data)
{
	struct tcp_tuple t = tuple_for(40005);
	struct tcp_seg sa;
	struct h_seg s = { .sport = 40005, .dport = LPORT, .seq = 11,
	    .flags = TH_ACK | TH_PSH, .wnd = 502, .data = "hello", .len = 5 };
	char buf[16];
	uint32_t iss;
	int cs;

	ls = listener(4);
	iss = tcp_isn(h->e, &t);
	send_syn(40005, 10, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 11);
	s.ack = iss + 1;
	h_inject(h, &s);
	cs = tcpx_accept(h->e, ls, NULL);
	ck_assert_int_ge(cs, 0);
	ck_assert_int_eq(tcpx_recv(h->e, cs, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "hello", 5);
}
END_TEST

START_TEST(rst_kills_request)
{
	struct tcp_tuple t = tuple_for(40006);
	struct tcp_seg sa;
	struct tcpx_sockinfo info;
	struct h_seg r = { .sport = 40006, .dport = LPORT, .seq = 11,
	    .flags = TH_RST };
	uint32_t iss;

	ls = listener(4);
	iss = tcp_isn(h->e, &t);
	send_syn(40006, 10, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 11);
	h_inject(h, &r);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.syn_q, 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:EmbryonicRsts"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:AttemptFails"), 1);
}
END_TEST

struct seen {
	int n;
	struct tcpx_sockinfo req;
};

static void
foreach_cb(void *arg, const struct tcpx_sockinfo *info)
{
	struct seen *sn = arg;

	if (info->state == TCP_ST_SYN_RECEIVED) {
		sn->n++;
		sn->req = *info;
	}
}

START_TEST(request_sock_listed)
{
	struct tcp_opts o = { .has_mss = true, .mss = 1460, .has_ts = true,
	    .ts_val = 1, .sack_perm = true, .has_wscale = true, .wscale = 2 };
	struct seen sn = { 0 };
	struct tcp_seg sa;

	ls = listener(4);
	send_syn(40007, 10, &o);
	ck_assert(h_take(h, &sa));
	h_advance(h, 250000);
	tcpx_foreach(h->e, foreach_cb, &sn);
	/* As ss shows it: SYN-RECV, no socket id, the SYN-ACK timer on. */
	ck_assert_int_eq(sn.n, 1);
	ck_assert_int_eq(sn.req.id, -1);
	ck_assert_uint_eq(ntohs(sn.req.remote.sin_port), 40007);
	ck_assert_uint_eq(ntohs(sn.req.local.sin_port), LPORT);
	ck_assert_int_eq(sn.req.timer, TCPX_TIMER_RETRANS);
	ck_assert_uint_eq(sn.req.timer_expires_us, 750000);
	ck_assert_uint_eq(sn.req.options,
	    TCPX_OPT_TS | TCPX_OPT_SACK | TCPX_OPT_WSCALE);
	ck_assert_uint_eq(sn.req.snd_wscale, 2);
}
END_TEST

START_TEST(defer_accept_waits_for_data)
{
	struct tcp_tuple t = tuple_for(40008);
	struct h_seg d = { .sport = 40008, .dport = LPORT, .seq = 11,
	    .flags = TH_ACK | TH_PSH, .wnd = 502, .data = "x", .len = 1 };
	struct tcp_seg sa;
	uint32_t iss;
	int v = 5;

	ls = listener(4);
	ck_assert_int_eq(tcpx_setsockopt(h->e, ls, IPPROTO_TCP,
	    9 /* TCP_DEFER_ACCEPT */, &v, sizeof(v)), 0);
	iss = tcp_isn(h->e, &t);
	send_syn(40008, 10, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 11);
	/* A bare ACK is held back: no connection to accept yet. */
	send_ack(40008, 11, iss + 1, 0, 0, false);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_accept(h->e, ls, NULL), -EAGAIN);
	/* The first data completes it. */
	d.ack = iss + 1;
	h_inject(h, &d);
	ck_assert_int_ge(tcpx_accept(h->e, ls, NULL), 0);
}
END_TEST

START_TEST(old_requests_pruned_when_half_full)
{
	struct tcpx_sockinfo info;
	uint64_t t0;

	/*
	 * reqsk_timer_handler: while the SYN queue is more than half full
	 * (qlen * 2 > max(8, backlog)) of requests that already timed out,
	 * they get 2 retries, not 5.  Ten dead peers, backlog 16: SYN-ACKs
	 * at 0, 1 and 3 s; at 7 s the first two expire, which brings the
	 * queue down to half, so the other eight go on (resent at 7 s).
	 */
	ls = listener(16);
	t0 = h->now;
	for (uint16_t p = 0; p < 10; p++)
		send_syn((uint16_t)(41000 + p), 100, NULL);
	ck_assert_uint_eq(h_out_count(h), 10);
	h_clear_out(h);
	h_run_until(h, t0 + 3000000);
	ck_assert_uint_eq(h_out_count(h), 20);
	h_clear_out(h);
	h_run_until(h, t0 + 7000000 - 1);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.syn_q, 10);
	H_EXPECT_NONE(h);
	h_run_until(h, t0 + 7000000);
	ck_assert_uint_eq(h_out_count(h), 8);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.syn_q, 8);
	h_clear_out(h);
	/* Without pruning the rest live to the usual 63 s. */
	h_run_until(h, t0 + 63000000 - 1);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.syn_q, 8);
	h_run_until(h, t0 + 63000000);
	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	ck_assert_uint_eq(info.syn_q, 0);
}
END_TEST

START_TEST(out_of_window_gets_ack)
{
	struct tcp_tuple t = tuple_for(40009);
	struct tcp_seg sa;
	uint32_t iss;

	ls = listener(4);
	iss = tcp_isn(h->e, &t);
	send_syn(40009, 10, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 11);
	/* Beyond the 64240-byte window we offered: ACK, stay. */
	send_ack(40009, 11 + 70000, iss + 1, 0, 0, false);
	H_EXPECT(h, &sa, TH_ACK, iss + 1, 11);
	ck_assert_int_eq(tcpx_accept(h->e, ls, NULL), -EAGAIN);
	send_ack(40009, 11, iss + 1, 0, 0, false);
	ck_assert_int_ge(tcpx_accept(h->e, ls, NULL), 0);
}
END_TEST

static Suite *
listen_suite(void)
{
	Suite *s = suite_create("listen");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, handshake_options, 0,
	    (int)(sizeof(combos) / sizeof(combos[0])));
	tcase_add_test(tc, synack_retransmit_timing);
	tcase_add_test(tc, retransmitted_syn_resends_synack);
	tcase_add_test(tc, accept_queue_overflow_drop);
	tcase_add_test(tc, accept_queue_overflow_abort);
	tcase_add_test(tc, syn_to_full_accept_queue_dropped);
	tcase_add_test(tc, backlog_clamped_by_somaxconn);
	tcase_add_test(tc, accept_errors);
	tcase_add_test(tc, listen_on_connected_socket);
	tcase_add_test(tc, close_listener_resets_queued);
	tcase_add_test(tc, third_ack_with_data);
	tcase_add_test(tc, rst_kills_request);
	tcase_add_test(tc, request_sock_listed);
	tcase_add_test(tc, defer_accept_waits_for_data);
	tcase_add_test(tc, old_requests_pruned_when_half_full);
	tcase_add_test(tc, out_of_window_gets_ack);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(listen_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
