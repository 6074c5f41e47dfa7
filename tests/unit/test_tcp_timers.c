/*
 * test_tcp_timers.c - a connection's timers (core/tcp_timer.c):
 * keepalive probes and death after the last, the tcp_retries2 give-up
 * as Linux models it, retransmission backoff, delayed ACK timing (quick
 * ACKs at the start, 40 ms after, every second full segment at once),
 * and zero-window probes.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tcp_fixture.h"

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

static void
setopt(int s, int level, int name, int v)
{
	ck_assert_int_eq(tcpx_setsockopt(h->e, s, level, name, &v, sizeof(v)),
	    0);
}

START_TEST(test_keepalive_probes_and_death)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint64_t t0;

	fx_establish(h, &c);
	setopt(c.s, IPPROTO_TCP, TCP_KEEPIDLE, 10);
	setopt(c.s, IPPROTO_TCP, TCP_KEEPINTVL, 2);
	setopt(c.s, IPPROTO_TCP, TCP_KEEPCNT, 3);
	setopt(c.s, SOL_SOCKET, SO_KEEPALIVE, 1);
	t0 = h->now;	/* last heard from the peer: the SYN-ACK */
	h_run_until(h, t0 + 10000000 - 1);
	H_EXPECT_NONE(h);
	/* Probes: an ACK with SEQ = SND.UNA - 1 and no data. */
	for (int i = 0; i < 3; i++) {
		h_run_until(h, t0 + 10000000 + (uint64_t)i * 2000000);
		fx_expect(h, &c, &seg, TH_ACK, c.snd - 1, c.rcv);
		ck_assert_uint_eq(seg.len, 0);
		ck_assert_uint_eq(h->last_sent_us, t0 + 10000000 +
		    (uint64_t)i * 2000000);
	}
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPKeepAlive"), 3);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
	/* None answered: a RST, then ETIMEDOUT (Linux). */
	h_run_until(h, t0 + 16000000);
	fx_expect(h, &c, &seg, TH_RST | TH_ACK, c.snd, c.rcv);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_CLOSED);
	ck_assert_int_eq(tcpx_sock_error(h->e, c.s), ETIMEDOUT);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAbortOnTimeout"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:EstabResets"), 1);
}
END_TEST

START_TEST(test_keepalive_defaults)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint64_t t0;
	unsigned n = 0;

	/* The sysctl defaults: 7200 s idle, 9 probes 75 s apart. */
	fx_establish(h, &c);
	setopt(c.s, SOL_SOCKET, SO_KEEPALIVE, 1);
	t0 = h->now;
	h_run_until(h, t0 + 7200000000ULL - 1);
	H_EXPECT_NONE(h);
	while (tcpx_state(h->e, c.s) == TCP_ST_ESTABLISHED) {
		h_run_until(h, tcpx_next_deadline(h->e));
		if (h_take(h, &seg) && seg.flags == TH_ACK) {
			ck_assert_uint_eq(h->last_sent_us - t0,
			    7200000000ULL + n * 75000000ULL);
			n++;
		}
	}
	ck_assert_uint_eq(n, 9);
	ck_assert_uint_eq(h->now - t0, 7200000000ULL + 9 * 75000000ULL);
	ck_assert_int_eq(tcpx_sock_error(h->e, c.s), ETIMEDOUT);
}
END_TEST

START_TEST(test_keepalive_answered)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint64_t t1;

	fx_establish(h, &c);
	setopt(c.s, IPPROTO_TCP, TCP_KEEPIDLE, 10);
	setopt(c.s, IPPROTO_TCP, TCP_KEEPINTVL, 2);
	setopt(c.s, IPPROTO_TCP, TCP_KEEPCNT, 1);
	setopt(c.s, SOL_SOCKET, SO_KEEPALIVE, 1);
	h_run_until(h, h->now + 10000000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd - 1, c.rcv);
	/* The peer answers the probe: idle again for TCP_KEEPIDLE. */
	h_advance(h, 500000);
	fx_peer(h, &c, TH_ACK, NULL, 0);
	H_EXPECT_NONE(h);
	t1 = h->now;
	h_run_until(h, t1 + 10000000 - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, t1 + 10000000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd - 1, c.rcv);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
	/* Off again: no more probes, nothing armed. */
	setopt(c.s, SOL_SOCKET, SO_KEEPALIVE, 0);
	ck_assert_uint_eq(tcpx_next_deadline(h->e), UINT64_MAX);
}
END_TEST

/* Send 100 bytes nobody ACKs; return the retransmission times (us after
 * the original) in t[], their count, and when the connection died. */
static unsigned
retrans_until_death(struct fx_conn *c, uint64_t *t, unsigned max,
    uint64_t *dead)
{
	static uint8_t data[100];
	struct tcp_seg seg;
	unsigned n = 0;
	uint64_t t0;

	ck_assert_int_eq(tcpx_send(h->e, c->s, data, sizeof(data), 0), 100);
	fx_expect(h, c, &seg, TH_ACK | TH_PSH, c->snd, c->rcv);
	t0 = h->last_sent_us;
	while (tcpx_state(h->e, c->s) == TCP_ST_ESTABLISHED) {
		h_run_until(h, tcpx_next_deadline(h->e));
		while (h_take(h, &seg)) {
			ck_assert_uint_eq(seg.seq, c->snd);
			ck_assert_uint_eq(seg.len, 100);
			if (n < max)
				t[n] = h->last_sent_us - t0;
			n++;
		}
	}
	*dead = h->now - t0;
	return n;
}

START_TEST(test_retries2_give_up)
{
	struct fx_conn c;
	uint64_t t[32], dead, rto = 210000, when = 0, first = 0;
	unsigned n, i;

	fx_establish(h, &c);
	n = retrans_until_death(&c, t, 32, &dead);
	/*
	 * Linux: first a tail loss probe, at min(2 SRTT + 200 ms, RTO) =
	 * 210 ms; the RTO restarts from it, 210 ms doubling to 120 s.  It
	 * gives up once the time since the first retransmission (the
	 * probe) reaches what 15 retries take from 200 ms:
	 * (2^10 - 1) * 0.2 + 6 * 120 = 924.6 s.
	 */
	ck_assert_uint_eq(t[0], rto);
	first = when = rto;
	for (i = 1; ; i++) {
		when += rto;
		if (when - first >= 924600000ULL)
			break;
		ck_assert_uint_lt(i, n);
		ck_assert_uint_eq(t[i], when);
		rto = rto * 2 > 120000000 ? 120000000 : rto * 2;
	}
	ck_assert_uint_eq(n, i);
	ck_assert_uint_eq(n, 16);
	ck_assert_uint_eq(dead, when);
	/* No RST at the end; ETIMEDOUT. */
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_sock_error(h->e, c.s), ETIMEDOUT);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAbortOnTimeout"), 1);
	/* Every RTO expiry (15 resends and the last), not the probe. */
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 16);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLossProbes"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 16);
	ck_assert_uint_eq(h_mib(h, "Tcp:EstabResets"), 1);
}
END_TEST

START_TEST(test_retries2_sysctl)
{
	struct fx_conn c;
	uint64_t t[8], dead;

	/* tcp_retries2 3: budget (2^4 - 1) * 0.2 = 3 s from the first
	 * retransmission, the loss probe at 0.21 s; RTOs at 0.42, 0.84,
	 * 1.68 s; dead at 3.36 s (3.15 s after the probe). */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_retries2", "3"),
	    0);
	fx_establish(h, &c);
	ck_assert_uint_eq(retrans_until_death(&c, t, 8, &dead), 4);
	ck_assert_uint_eq(t[0], 210000);
	ck_assert_uint_eq(t[1], 420000);
	ck_assert_uint_eq(t[2], 840000);
	ck_assert_uint_eq(t[3], 1680000);
	ck_assert_uint_eq(dead, 3360000);
}
END_TEST

START_TEST(test_retransmit_then_ack)
{
	static uint8_t data[100];
	struct tcpx_sockinfo info;
	struct fx_conn c;
	struct tcp_seg seg;

	fx_establish(h, &c);
	ck_assert_int_eq(tcpx_send(h->e, c.s, data, 100, 0), 100);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd, c.rcv);
	/* At 210 ms the tail loss probe: no timeout, cwnd kept. */
	h_run_until(h, h->now + 210000);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd, c.rcv);
	ck_assert_int_eq(tcpx_sock_info(h->e, c.s, &info), 0);
	ck_assert_uint_eq(info.retransmits, 0);
	ck_assert_uint_eq(info.snd_cwnd, 10);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLossProbes"), 1);
	/* 210 ms later the RTO proper. */
	h_run_until(h, h->now + 210000);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd, c.rcv);
	ck_assert_int_eq(tcpx_sock_info(h->e, c.s, &info), 0);
	ck_assert_uint_eq(info.retransmits, 1);
	ck_assert_uint_eq(info.rto_us, 420000);
	ck_assert_uint_eq(info.snd_cwnd, 1);
	/* The ACK ends it: nothing outstanding, no timer. */
	c.snd += 100;
	fx_peer(h, &c, TH_ACK, NULL, 0);
	ck_assert_int_eq(tcpx_sock_info(h->e, c.s, &info), 0);
	ck_assert_uint_eq(info.retransmits, 0);
	ck_assert_uint_eq(info.timer, TCPX_TIMER_NONE);
	ck_assert_uint_eq(info.send_q, 0);
	ck_assert_uint_eq(tcpx_next_deadline(h->e), UINT64_MAX);
}
END_TEST

START_TEST(test_delayed_ack)
{
	static uint8_t full[1448 * 2], sink[1448 * 2];
	struct fx_conn c;
	struct tcp_seg seg;
	unsigned i;
	uint64_t t;

	fx_establish(h, &c);
	/* Quick-ACK mode at the start: the first 16 are ACKed at once. */
	for (i = 0; i < 16; i++) {
		h_advance(h, 1000);
		fx_peer(h, &c, TH_ACK | TH_PSH, "x", 1);
		fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	}
	/* Then one small segment waits 40 ms (TCP_ATO_MIN). */
	h_advance(h, 100000);
	fx_peer(h, &c, TH_ACK | TH_PSH, "y", 1);
	t = h->now;
	H_EXPECT_NONE(h);
	h_run_until(h, t + 40000 - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, t + 40000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_eq(h_mib(h, "TcpExt:DelayedACKs"), 1);
	/*
	 * Full segments while the window grows are ACKed at once (Linux's
	 * tcp_grow_window asks a quick ACK each time it opens it), until
	 * it reaches the clamp.  The program reads each at once.
	 */
	ck_assert_int_eq(tcpx_recv(h->e, c.s, sink, sizeof(sink), 0), 17);
	h_advance(h, 100000);
	for (i = 0; i < 64; i++) {
		h_advance(h, 1000);
		fx_peer(h, &c, TH_ACK, full, 1448);
		ck_assert_int_eq(tcpx_recv(h->e, c.s, sink, sizeof(sink), 0),
		    1448);
		if (!h_take(h, &seg))
			break;
		c.our_ts = seg.opt.ts_val;
	}
	ck_assert_uint_gt(i, 8);
	ck_assert_uint_lt(i, 64);
	/*
	 * Then two full segments: the second is ACKed at once (RFC 5681
	 * 4.2).  (A gap longer than the RTO would restart quick ACKs.)
	 */
	h_advance(h, 1000);
	fx_peer(h, &c, TH_ACK, full + 1448, 1448);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	H_EXPECT_NONE(h);
}
END_TEST

/*
 * A receive path with GRO (veth, virtio) hands up frames of several
 * segments, in order, each read at once: every one leaves more than a
 * segment unacknowledged, so every one is ACKed at once (Linux's
 * __tcp_ack_snd_check), while the window grows to its clamp and after.
 * The frames' sizes change (20 segments in bulk, 2 or 3 in loss
 * recovery); that must not pull the window's clamp under the window
 * already offered, which holds each ACK back to the delayed-ACK timer
 * (the lossy download's 40 ms stalls).  Twice: the program reads each
 * frame (tcpx_recv), or the host takes it from the frame as it comes
 * (ops->deliver, as tcpxd does), which is a read too.
 */
static size_t
take_all(struct harness *hh, int sock, const uint8_t *data, size_t len)
{
	(void)hh;
	(void)sock;
	(void)data;
	return len;
}

START_TEST(test_ack_aggregated_frames)
{
	static uint8_t frame[1448 * 20], sink[1448 * 20];
	struct fx_conn c;
	struct tcp_seg seg;
	unsigned i, n, acked = 0;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_rmem",
	    "4096 33554432 33554432"), 0);
	if (_i == 1)
		h->deliver = take_all;
	fx_establish(h, &c);
	for (i = 0; i < 1600; i++) {
		n = (i < 800 ? 20 : 2 + i % 2) * 1448;
		h_advance(h, 100);
		fx_peer(h, &c, TH_ACK, frame, n);
		if (_i == 0)
			ck_assert_int_eq(tcpx_recv(h->e, c.s, sink,
			    sizeof(sink), 0), (ssize_t)n);
		if (h_take(h, &seg)) {
			acked++;
			c.our_ts = seg.opt.ts_val;
			ck_assert_uint_eq(seg.ack, c.rcv);
		}
		H_EXPECT_NONE(h);
	}
	/* The window did reach the clamp: a good part of tcp_rmem[2]. */
	ck_assert_uint_gt((uint32_t)seg.wnd << c.our_ws, 30u << 20);
	ck_assert_uint_eq(acked, i);
	ck_assert_uint_eq(h_mib(h, "TcpExt:DelayedACKs"), 0);
}
END_TEST

START_TEST(test_zero_window_probe)
{
	static uint8_t data[2000];
	struct tcpx_sockinfo info;
	struct fx_conn c;
	struct tcp_seg seg;
	uint64_t t0;

	fx_establish(h, &c);
	/* The peer closes its window. */
	fx_send(h, &c, TH_ACK, c.rcv, c.snd, NULL, 0, 0);
	ck_assert_int_eq(tcpx_send(h->e, c.s, data, sizeof(data), 0), 2000);
	H_EXPECT_NONE(h);
	t0 = h->now;
	/* Probes at RTO 210 ms, then backing off: 420, 840 ms. */
	h_run_until(h, t0 + 210000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd - 1, c.rcv);
	ck_assert_uint_eq(seg.len, 0);
	h_run_until(h, t0 + 210000 + 420000 - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, t0 + 210000 + 420000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd - 1, c.rcv);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPWinProbe"), 2);
	/* The window opens: the data flows. */
	fx_send(h, &c, TH_ACK, c.rcv, c.snd, NULL, 0, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_eq(seg.len, 1448);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd + 1448, c.rcv);
	ck_assert_uint_eq(seg.len, 552);
	H_EXPECT_NONE(h);
	/*
	 * The probe timer is gone with the window: the retransmission
	 * timer took its place (one slot in Linux), and the next timeout
	 * resends the data, not a probe.
	 */
	ck_assert_int_eq(tcpx_sock_info(h->e, c.s, &info), 0);
	ck_assert_int_eq(info.timer, TCPX_TIMER_RETRANS);
	ck_assert_uint_eq(tcp_sock_by_id(h->e, c.s)->persist_at, 0);
}
END_TEST

static Suite *
timers_suite(void)
{
	Suite *s = suite_create("tcp_timers");
	TCase *tc = tcase_create("timers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_keepalive_probes_and_death);
	tcase_add_test(tc, test_keepalive_defaults);
	tcase_add_test(tc, test_keepalive_answered);
	tcase_add_test(tc, test_retries2_give_up);
	tcase_add_test(tc, test_retries2_sysctl);
	tcase_add_test(tc, test_retransmit_then_ack);
	tcase_add_test(tc, test_delayed_ack);
	tcase_add_loop_test(tc, test_ack_aggregated_frames, 0, 2);
	tcase_add_test(tc, test_zero_window_probe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(timers_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
