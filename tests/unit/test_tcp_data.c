/*
 * test_tcp_data.c - moving data on one connection (core/tcp_output.c,
 * tcp_input.c, tcp_buf.c): MSS segmentation within the initial window
 * of 10 segments, Nagle (and TCP_NODELAY), out-of-order reassembly with
 * SACK blocks in the duplicate ACKs, fast retransmit on the third
 * duplicate ACK, and the receive window following free buffer space
 * down to zero and back.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "bulk_fixture.h"

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
	h = NULL;
}

static uint8_t pattern[200000];

static void
fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 31 + (i >> 8));
}

START_TEST(test_initial_window)
{
	struct fx_conn c;
	struct tcp_seg seg;
	fill_pattern();
	fx_establish(h, &c);
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, SOL_SOCKET, SO_SNDBUF,
	    &(int){ 100000 }, sizeof(int)), 0);
	ck_assert_int_eq(tcpx_send(h->e, c.s, pattern, 30000, 0), 30000);
	/* IW10 (RFC 6928): ten full segments, then wait for ACKs. */
	for (int i = 0; i < 10; i++) {
		fx_expect(h, &c, &seg, TH_ACK, c.snd + (uint32_t)i * 1448,
		    c.rcv);
		ck_assert_uint_eq(seg.len, 1448);
		ck_assert_mem_eq(seg.data, pattern + i * 1448, 1448);
	}
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPOrigDataSent"), 10);
	/* An ACK of two segments opens room for more (slow start: +2). */
	c.snd += 2 * 1448;
	fx_peer(h, &c, TH_ACK, NULL, 0);
	for (int i = 10; i < 14; i++) {
		fx_expect(h, &c, &seg, TH_ACK, c.iss + 1 + (uint32_t)i * 1448,
		    c.rcv);
		ck_assert_uint_eq(seg.len, 1448);
	}
	H_EXPECT_NONE(h);
}
END_TEST

START_TEST(test_nagle)
{
	struct fx_conn c;
	struct tcp_seg seg;
	int one = 1;

	fx_establish(h, &c);
	ck_assert_int_eq(tcpx_send(h->e, c.s, "a", 1, 0), 1);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd, c.rcv);
	/* A small segment is unacknowledged: the next small one waits. */
	ck_assert_int_eq(tcpx_send(h->e, c.s, "b", 1, 0), 1);
	ck_assert_int_eq(tcpx_send(h->e, c.s, "c", 1, 0), 1);
	H_EXPECT_NONE(h);
	c.snd += 1;
	fx_peer(h, &c, TH_ACK, NULL, 0);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd, c.rcv);
	ck_assert_uint_eq(seg.len, 2);
	ck_assert_mem_eq(seg.data, "bc", 2);
	c.snd += 2;
	/* TCP_NODELAY: every write goes at once. */
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, IPPROTO_TCP, TCP_NODELAY,
	    &one, sizeof(one)), 0);
	ck_assert_int_eq(tcpx_send(h->e, c.s, "d", 1, 0), 1);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd, c.rcv);
	ck_assert_int_eq(tcpx_send(h->e, c.s, "e", 1, 0), 1);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd + 1, c.rcv);
}
END_TEST

START_TEST(test_reassembly_sack)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint32_t base;
	char buf[64];

	fx_establish(h, &c);
	base = c.rcv;
	/* Segments 2 and 4 (of 10 bytes each) arrive before 1 and 3. */
	fx_send(h, &c, TH_ACK, base + 10, c.snd, "BBBBBBBBBB", 10, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base);
	ck_assert_uint_eq(seg.opt.nsack, 1);
	ck_assert_uint_eq(seg.opt.sack[0].start, base + 10);
	ck_assert_uint_eq(seg.opt.sack[0].end, base + 20);
	fx_send(h, &c, TH_ACK, base + 30, c.snd, "DDDDDDDDDD", 10, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base);
	/* RFC 2018: the block with the latest segment first. */
	ck_assert_uint_eq(seg.opt.nsack, 2);
	ck_assert_uint_eq(seg.opt.sack[0].start, base + 30);
	ck_assert_uint_eq(seg.opt.sack[1].start, base + 10);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPOFOQueue"), 2);
	/* The first hole fills: ACK up to the second hole. */
	fx_send(h, &c, TH_ACK, base, c.snd, "AAAAAAAAAA", 10, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base + 20);
	ck_assert_uint_eq(seg.opt.nsack, 1);
	/* An overlapping retransmission fills the last one. */
	fx_send(h, &c, TH_ACK, base + 15, c.snd, "BBBBBCCCCCCCCCCDD", 17,
	    65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base + 40);
	/* Its first five bytes came twice: a D-SACK for them (RFC 2883). */
	ck_assert_uint_eq(seg.opt.nsack, 1);
	ck_assert_uint_eq(seg.opt.sack[0].start, base + 15);
	ck_assert_uint_eq(seg.opt.sack[0].end, base + 20);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKOldSent"), 1);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 40);
	ck_assert_mem_eq(buf, "AAAAAAAAAABBBBBBBBBBCCCCCCCCCCDDDDDDDDDD",
	    40);
}
END_TEST

START_TEST(test_fast_retransmit)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint32_t s0;

	fill_pattern();
	fx_establish(h, &c);
	s0 = c.snd;
	ck_assert_int_eq(tcpx_send(h->e, c.s, pattern, 5 * 1448, 0),
	    5 * 1448);
	for (int i = 0; i < 5; i++)
		ck_assert(h_take(h, &seg));
	/*
	 * The first segment is lost: three duplicate ACKs, SACKing S1,
	 * S1..S2, S1..S3 (the connection has SACK, and Linux recovers on
	 * what is SACKed, not on a count of bare duplicates), a round
	 * trip after they went.  S0 goes again once, without waiting for
	 * the RTO.
	 */
	h_advance(h, 10000);
	for (uint32_t i = 0; i < 3; i++) {
		h_advance(h, 100);
		bk_ack(h, &c, s0, c.our_ts, (uint32_t[]){ s0 + 1448,
		    s0 + (i + 2) * 1448 }, 1);
	}
	fx_expect(h, &c, &seg, TH_ACK, s0, c.rcv);
	ck_assert_uint_eq(seg.len, 1448);
	ck_assert_mem_eq(seg.data, pattern, 1448);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastRetrans"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 0);
	/* Everything acknowledged: recovery ends, cwnd = ssthresh. */
	c.snd = s0 + 5 * 1448;
	fx_peer(h, &c, TH_ACK, NULL, 0);
	{
		struct tcpx_sockinfo info;

		ck_assert_int_eq(tcpx_sock_info(h->e, c.s, &info), 0);
		ck_assert_uint_eq(info.snd_cwnd, info.snd_ssthresh);
		/* CUBIC by default: 717/1024 of cwnd 10 (Linux). */
		ck_assert_uint_eq(info.snd_ssthresh, 7);
		ck_assert_uint_eq(info.timer, TCPX_TIMER_NONE);
	}
}
END_TEST

START_TEST(test_receive_window)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint32_t sent = 0, n, edge;
	static uint8_t buf[256 << 10];

	fill_pattern();
	fx_establish(h, &c);
	edge = c.rcv + c.our_wnd;
	/* The peer fills the window we offer; nothing is read. */
	while (SEQ_LT(c.rcv, edge)) {
		n = edge - c.rcv < 1448 ? edge - c.rcv : 1448;
		fx_peer(h, &c, TH_ACK, pattern + sent, n);
		sent += n;
		h_run_until(h, h->now + 200000);
		while (h_take(h, &seg)) {
			c.our_ts = seg.opt.ts_val;
			edge = seg.ack + ((uint32_t)seg.wnd << c.our_ws);
		}
	}
	/* The buffer is full: the last ACK offered a zero window. */
	ck_assert_uint_eq(seg.ack, c.rcv);
	ck_assert_uint_eq(seg.wnd, 0);
	/*
	 * The first full segment measured the buffer's worth (Linux's
	 * scaling_ratio): nearly all of tcp_rmem[1], 128 KB, is window, and
	 * the scale's rounding lets it creep a little past.
	 */
	ck_assert_uint_ge(sent, 120000);
	ck_assert_uint_le(sent, 131072 * 3 / 2);
	/* Data beyond a zero window is not taken, and we say so. */
	fx_peer(h, &c, TH_ACK, "x", 1);
	c.rcv -= 1;
	H_EXPECT(h, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_eq(seg.wnd, 0);
	/* Reading it all reopens the window with an update. */
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0),
	    (ssize_t)sent);
	ck_assert_mem_eq(buf, pattern, sent);
	H_EXPECT(h, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_gt((uint32_t)seg.wnd << c.our_ws, 50000);
}
END_TEST

START_TEST(test_receive_autotuning)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint32_t edge, n, first_wnd = 0, wnd = 0;
	static uint8_t buf[1 << 20];
	int round;

	fill_pattern();
	fx_establish(h, &c);
	edge = c.rcv + c.our_wnd;
	/*
	 * A bulk sender fills every window we offer, one round trip
	 * (10 ms) at a time, and the application reads it all at once:
	 * the buffer, and so the window, grows (Linux's DRS).
	 */
	for (round = 0; round < 12; round++) {
		while (SEQ_LT(c.rcv, edge)) {
			n = edge - c.rcv < 1448 ? edge - c.rcv : 1448;
			fx_peer(h, &c, TH_ACK, pattern, n);
		}
		h_advance(h, 10000);
		while (tcpx_recv(h->e, c.s, buf, sizeof(buf), 0) > 0)
			;
		h_run_until(h, h->now + 1000);
		while (h_take(h, &seg)) {
			c.our_ts = seg.opt.ts_val;
			edge = seg.ack + ((uint32_t)seg.wnd << c.our_ws);
			wnd = (uint32_t)seg.wnd << c.our_ws;
		}
		if (round == 0)
			first_wnd = wnd;
	}
	/* Within tcp_rmem[1] first; a good part of tcp_rmem[2] in 12 RTTs. */
	ck_assert_uint_le(first_wnd, 131072);
	ck_assert_uint_gt(wnd, 8u << 20);
	ck_assert_uint_le(wnd, 33554432);
}
END_TEST

/* TCP_INFO as a program reads it. */
static struct tcp_info
data_info(int s)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	ck_assert_int_eq(tcpx_getsockopt(h->e, s, IPPROTO_TCP, TCP_INFO, &ti,
	    &l), 0);
	return ti;
}

/* Take every segment we sent, remembering the last TSval; the right
 * edge of the window the last one offered. */
static uint32_t
data_drain(struct fx_conn *c)
{
	struct tcp_seg seg;
	uint32_t edge = c->rcv;

	while (h_take(h, &seg)) {
		if (seg.opt.has_ts)
			c->our_ts = seg.opt.ts_val;
		edge = seg.ack + ((uint32_t)seg.wnd << c->our_ws);
	}
	return edge;
}

/*
 * The receiver's own RTT (Linux's rcv_rtt_est, tcpi_rcv_rtt): a full
 * segment that echoes a timestamp of ours dates a round trip; an echo
 * from this same ms is no sample (6.16+); a smaller sample replaces
 * the estimate, a larger one counts an eighth and only once the queue
 * is read; a window the sender fills in less time brings it down.
 */
START_TEST(test_receiver_rtt)
{
	struct fx_conn c;
	uint32_t n, edge;

	fill_pattern();
	fx_establish_rtt(h, &c, 7, 10000);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_rtt, 0);
	/* Our ACK's TSval, echoed 10 ms later on a full segment. */
	h_advance(h, 10000);
	fx_peer(h, &c, TH_ACK, pattern, 1448);
	(void)data_drain(&c);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_rtt, 10000);
	/* Echoes of this ms: no sample, even on full segments. */
	fx_peer(h, &c, TH_ACK, pattern, 1448);
	(void)data_drain(&c);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_rtt, 10000);
	/* 30 ms, with the data unread: not taken. */
	h_advance(h, 30000);
	fx_peer(h, &c, TH_ACK, pattern, 1448);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_rtt, 10000);
	/* Read, then a newer echo 30 ms old: 7/8 of 10 ms plus 30/8 ms. */
	while (tcpx_recv(h->e, c.s, pattern + 100000, 100000, 0) > 0)
		;
	(void)data_drain(&c);
	h_advance(h, 30000);
	fx_peer(h, &c, TH_ACK, pattern, 1448);
	edge = data_drain(&c);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_rtt, 10000 - 1250 + 3750);
	/* The sender fills each window we offer in 2 ms: a measure runs
	 * until RCV.NXT passes the window offered when it began, and the
	 * smaller sample replaces the estimate (1.6 ms here, as the
	 * window grows from one to the next). */
	for (int w = 0; w < 4; w++) {
		uint32_t start = c.rcv;

		while (SEQ_LT(c.rcv, edge)) {
			n = edge - c.rcv < 1448 ? edge - c.rcv : 1448;
			fx_peer(h, &c, TH_ACK, pattern, n);
			h_advance(h, 2000ULL * n / (edge - start));
			while (tcpx_recv(h->e, c.s, pattern + 100000, 100000,
			    0) > 0)
				;
		}
		edge = data_drain(&c);
	}
	ck_assert_uint_le(data_info(c.s).tcpi_rcv_rtt, 2000);
	ck_assert_uint_gt(data_info(c.s).tcpi_rcv_rtt, 0);
}
END_TEST

/*
 * Autotuning as the lab's 6.18 kernel does it (its tcp_rcvbuf_grow
 * tracepoint showed rcvq_space 23872 -> 63504 give sk_rcvbuf 613418:
 * room for twice the new rate, plus twice that in proportion to its
 * growth, at scaling_ratio 229): once a receiver RTT, and only for what
 * the program read; tcpi_rcv_space is the bytes read in the last RTT.
 */
START_TEST(test_rcvbuf_grows_as_linux)
{
	struct fx_conn c;
	struct tcp_info ti;
	uint32_t space0, ratio, w;
	uint64_t want;
	int buf0, buf;
	socklen_t l = sizeof(buf);

	fill_pattern();
	fx_establish_rtt(h, &c, 7, 10000);
	ti = data_info(c.s);
	space0 = ti.tcpi_rcv_space;
	ck_assert_uint_eq(space0, 10 * 1448);
	ck_assert_int_eq(tcpx_getsockopt(h->e, c.s, SOL_SOCKET, SO_RCVBUF,
	    &buf0, &l), 0);
	/* No receiver RTT yet (the echo is of this ms): reading adjusts
	 * nothing. */
	fx_peer(h, &c, TH_ACK, pattern, 1448);
	h_advance(h, 50000);
	ck_assert_int_gt(tcpx_recv(h->e, c.s, pattern + 100000, 100000, 0), 0);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_rtt, 0);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_space, space0);
	fx_peer(h, &c, TH_ACK, pattern, 1448);
	(void)data_drain(&c);
	/* Our ACK's TSval echoed 10 ms later; the read ends a measure
	 * with little read. */
	h_advance(h, 10000);
	fx_peer(h, &c, TH_ACK, pattern, 1448);
	(void)data_drain(&c);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_rtt, 10000);
	ck_assert_int_gt(tcpx_recv(h->e, c.s, pattern + 100000, 100000, 0), 0);
	/* 20 segments arrive and wait; 9 ms is less than an RTT. */
	for (int i = 0; i < 20; i++)
		fx_peer(h, &c, TH_ACK, pattern, 1448);
	(void)data_drain(&c);
	h_advance(h, 9000);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, pattern + 100000, 1448, 0),
	    1448);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_space, space0);
	/* After the RTT: what was read counts, what waits does not. */
	h_advance(h, 1000);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, pattern + 100000, 1448, 0),
	    1448);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_space, space0);
	/* The next RTT, all of it read: 18 segments' worth. */
	h_advance(h, 10000);
	while (tcpx_recv(h->e, c.s, pattern + 100000, 100000, 0) > 0)
		;
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_space, 18 * 1448);
	w = 2 * 18 * 1448;
	w += 2 * (w * (18 * 1448 - space0) / space0);
	/* Our ratio of payload to memory for 1448-byte segments. */
	ratio = (1448u << 8) / (1448u + (uint32_t)sizeof(struct tcp_ofo));
	want = ((uint64_t)w << 8) / ratio;
	ck_assert_int_eq(tcpx_getsockopt(h->e, c.s, SOL_SOCKET, SO_RCVBUF,
	    &buf, &l), 0);
	ck_assert_int_eq(buf, want > (uint64_t)buf0 ? (int)want : buf0);
	ck_assert_int_gt(buf, buf0);
}
END_TEST

/*
 * Linux's tcp_grow_window counts in tp->advmss, the advertised MSS less
 * the timestamp option: a segment of 128 bytes or more opens the window
 * by two of them (2 * 1448, not 2 * 1460), a smaller one not at all.  ss
 * shows the same advmss (1448) on both ends of a connection with
 * timestamps.
 */
START_TEST(test_window_grows_by_advmss)
{
	struct fx_conn c;
	struct tcpx_sockinfo info;
	uint32_t t0;

	fill_pattern();
	fx_establish_rtt(h, &c, 7, 10000);
	ck_assert_uint_eq(data_info(c.s).tcpi_advmss, 1448);
	ck_assert_int_eq(tcpx_sock_info(h->e, c.s, &info), 0);
	ck_assert_uint_eq(info.advmss, 1448);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_ssthresh, 64088);
	/* The first full segment measures the buffer's worth, which lifts
	 * the clamp and the limit to the window offered (64088 rounded up
	 * to the scale, 63 * 1024), then grows it (tcp_set_window_clamp). */
	fx_peer(h, &c, TH_ACK, pattern, 1448);
	t0 = data_info(c.s).tcpi_rcv_ssthresh;
	ck_assert_uint_eq(t0, 63 * 1024 + 2 * 1448);
	fx_peer(h, &c, TH_ACK, pattern, 1448);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_ssthresh, t0 + 2 * 1448);
	fx_peer(h, &c, TH_ACK, pattern, 200);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_ssthresh, t0 + 4 * 1448);
	fx_peer(h, &c, TH_ACK, pattern, 127);
	ck_assert_uint_eq(data_info(c.s).tcpi_rcv_ssthresh, t0 + 4 * 1448);
	(void)data_drain(&c);
}
END_TEST

static Suite *
data_suite(void)
{
	Suite *s = suite_create("tcp_data");
	TCase *tc = tcase_create("data");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_initial_window);
	tcase_add_test(tc, test_nagle);
	tcase_add_test(tc, test_reassembly_sack);
	tcase_add_test(tc, test_fast_retransmit);
	tcase_add_test(tc, test_receive_window);
	tcase_add_test(tc, test_receive_autotuning);
	tcase_add_test(tc, test_receiver_rtt);
	tcase_add_test(tc, test_rcvbuf_grows_as_linux);
	tcase_add_test(tc, test_window_grows_by_advmss);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(data_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
