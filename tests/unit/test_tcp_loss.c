/*
 * test_tcp_loss.c - retransmission timeouts and the small-segment rules
 * (core/tcp_timer.c, tcp_recovery.c, tcp_output.c):
 *   - RTO (RFC 6298 + Linux): the head alone is resent, the RTO doubles
 *     (210, 420 ms...), cwnd falls to 1 (CA_Loss); then slow start
 *     resends every un-SACKed segment and never a SACKed one, and a
 *     timestamp echo restores the RTO;
 *   - TCP_CORK: only full segments until uncorked (Linux), even with
 *     TCP_NODELAY;
 *   - delayed ACKs in Linux's pingpong (interactive) mode: a request
 *     answered within ato makes later ACKs wait for the answer;
 *   - tail loss probes (RFC 8985 7): a lost tail is probed 2 SRTT
 *     after the last ACK, and the probe's SACK starts fast recovery
 *     for the rest; none with net.ipv4.tcp_early_retrans 0;
 *   - a peer that closes its window under data in flight is probed by
 *     the RTO with no retry limit while it answers (Linux).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/tcp.h>
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

START_TEST(test_rto_backoff_and_holes)
{
	struct fx_conn c;
	struct bk_seg s[64];
	uint32_t S[32], blk[2], una;
	uint64_t t0;
	struct tcpx_sockinfo info;
	unsigned n, resent[32] = { 0 };

	/* DupThresh alone: RACK would resend S0 after 22 ms (test_tcp_rack). */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_recovery", "0"),
	    0);
	/* Conventional recovery: F-RTO would try new data first. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_frto", "0"), 0);
	bk_establish(h, &c, 10000, true, NULL);
	bk_fill(h, &c);
	t0 = h->now;
	ck_assert_uint_eq(bk_take(h, &c, s, 64), 10);
	for (unsigned i = 0; i < 32; i++)
		S[i] = c.iss + 1 + i * BK_MSS;
	/* Only S8 and S9 arrive: two SACKed, not enough to call S0 lost. */
	h_advance(h, 10000);
	blk[0] = S[8];
	blk[1] = S[10];
	bk_ack(h, &c, S[0], s[9].tsval, blk, 1);
	/* Limited transmit: two new segments for the two SACKed. */
	ck_assert_uint_eq(bk_take(h, &c, s, 64), 2);
	ck_assert_uint_eq(s[0].seq, S[10]);
	ck_assert_uint_eq(s[1].seq, S[11]);
	/* Silence.  The RTO (10 + 200 ms) resends the head alone. */
	h_run_until(h, t0 + 210000 - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, t0 + 210000);
	ck_assert_uint_eq(bk_take(h, &c, s, 64), 1);
	ck_assert_uint_eq(s[0].seq, S[0]);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.snd_cwnd, 1);
	ck_assert_uint_eq(info.rto_us, 420000);
	ck_assert_uint_eq(info.retransmits, 1);
	/* CUBIC's ssthresh from cwnd 10 (RFC 9438: 0.7). */
	ck_assert_uint_eq(info.snd_ssthresh, 7);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 1);
	/* Doubling: the next one 420 ms later, ssthresh kept. */
	h_run_until(h, t0 + 210000 + 420000 - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, t0 + 210000 + 420000);
	ck_assert_uint_eq(bk_take(h, &c, s, 64), 1);
	ck_assert_uint_eq(s[0].seq, S[0]);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.rto_us, 840000);
	ck_assert_uint_eq(info.backoff, 2);
	ck_assert_uint_eq(info.snd_ssthresh, 7);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 2);
	/*
	 * It arrives (10 ms later).  Slow start from 1 in CA_Loss: every
	 * un-SACKed segment is lost and goes again, S8 and S9 never.
	 */
	h_advance(h, 10000);
	bk_ack(h, &c, S[1], s[0].tsval, blk, 1);
	info = bk_info(h, &c);
	/* The echoed timestamp gives a sample: the RTO is itself again. */
	ck_assert_uint_lt(info.rto_us, 300000);
	ck_assert_uint_eq(info.backoff, 0);
	una = S[1];
	while ((n = bk_take(h, &c, s, 64)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (SEQ_LT(s[i].seq, S[12])) {
				ck_assert_uint_eq((s[i].seq - S[0]) % BK_MSS, 0);
				resent[(s[i].seq - S[0]) / BK_MSS]++;
			}
		}
		h_advance(h, 10000);
		for (unsigned i = 0; i < n; i++) {
			uint32_t end = s[i].seq + s[i].len;

			/* The peer holds S8, S9: its ACK jumps over them. */
			if (end == S[8])
				end = S[10];
			if (SEQ_GT(end, una))
				una = end;
			bk_ack(h, &c, una, s[i].tsval, SEQ_LT(una, S[8]) ?
			    blk : NULL, SEQ_LT(una, S[8]) ? 1 : 0);
		}
		if (SEQ_GT(una, S[16]))
			break;
	}
	for (unsigned i = 1; i < 12; i++)
		ck_assert_uint_eq(resent[i], i == 8 || i == 9 ? 0 : 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 2 + 9);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSlowStartRetrans"), 2 + 9);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastRetrans"), 0);
}
END_TEST

START_TEST(test_cork_full_segments_only)
{
	struct fx_conn c;
	struct tcp_seg seg;
	static uint8_t buf[4000];
	int one = 1, zero = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	fx_establish(h, &c);
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, IPPROTO_TCP, TCP_NODELAY,
	    &one, sizeof(one)), 0);
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, IPPROTO_TCP, TCP_CORK,
	    &one, sizeof(one)), 0);
	/* Small writes wait, NODELAY or not. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tcpx_send(h->e, c.s, buf + i * 100, 100, 0),
		    100);
	H_EXPECT_NONE(h);
	/* A full segment's worth goes as one full segment; the rest waits. */
	ck_assert_int_eq(tcpx_send(h->e, c.s, buf + 300, 1448, 0), 1448);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_eq(seg.len, 1448);
	ck_assert_mem_eq(seg.data, buf, 1448);
	H_EXPECT_NONE(h);
	/* Even with nothing in flight and time passing. */
	c.snd += 1448;
	fx_peer(h, &c, TH_ACK, NULL, 0);
	h_run_until(h, h->now + 1000000);
	H_EXPECT_NONE(h);
	/* Uncork: the tail goes at once, pushed. */
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, IPPROTO_TCP, TCP_CORK,
	    &zero, sizeof(zero)), 0);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd, c.rcv);
	ck_assert_uint_eq(seg.len, 300);
	ck_assert_mem_eq(seg.data, buf + 1448, 300);
}
END_TEST

START_TEST(test_pingpong_delays_acks)
{
	struct fx_conn c;
	struct tcp_seg seg;
	char buf[64];

	fx_establish(h, &c);
	/* The first request is ACKed at once (quick-ACK start). */
	fx_peer(h, &c, TH_ACK | TH_PSH, "req1", 4);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_eq(seg.len, 0);
	/* Answered within ato (40 ms): interactive. */
	h_advance(h, 5000);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(tcpx_send(h->e, c.s, "resp1", 5, 0), 5);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd, c.rcv);
	c.snd += 5;
	/* The next request's ACK waits, to ride on the answer. */
	h_advance(h, 10000);
	fx_peer(h, &c, TH_ACK | TH_PSH, "req2", 4);
	H_EXPECT_NONE(h);
	h_advance(h, 5000);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(tcpx_send(h->e, c.s, "resp2", 5, 0), 5);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd, c.rcv);
	ck_assert_uint_eq(seg.len, 5);
	c.snd += 5;
	ck_assert_uint_eq(h_mib(h, "TcpExt:DelayedACKs"), 0);
	/* No answer this time: the delayed ACK fires and ends the mode. */
	h_advance(h, 10000);
	fx_peer(h, &c, TH_ACK | TH_PSH, "req3", 4);
	H_EXPECT_NONE(h);
	h_run_until(h, h->now + 200000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_eq(h_mib(h, "TcpExt:DelayedACKs"), 1);
}
END_TEST

START_TEST(test_tail_loss_probe)
{
	struct fx_conn c;
	struct bk_seg s[16];
	uint32_t S[12], blk[2];
	struct tcpx_sockinfo info;

	bk_establish(h, &c, 10000, true, NULL);
	for (int i = 0; i < 10; i++)
		bk_send_n(h, &c, BK_MSS);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 10);
	for (unsigned i = 0; i < 12; i++)
		S[i] = c.iss + 1 + i * BK_MSS;
	/* The tail, S7..S9, is lost: the ACK stops at S7. */
	h_advance(h, 10000);
	bk_ack(h, &c, S[7], s[6].tsval, NULL, 0);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, 17);	/* slow start */
	/*
	 * No duplicate ACK will come.  Two SRTT + 2 ms after that ACK
	 * (not the 210 ms RTO), the last segment goes again as a probe.
	 */
	h_run_until(h, h->now + 22000 - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, h->now + 1);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, S[9]);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLossProbes"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 0);
	/* A probe is no timeout: cwnd stays. */
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.snd_cwnd, 17);
	ck_assert_uint_eq(info.retransmits, 0);
	/*
	 * The probe arrives: its SACK shows S7 and S8 missing though sent
	 * before it: fast recovery resends exactly those, one per segment
	 * delivered (PRR's slow start from an empty pipe).
	 */
	h_advance(h, 10000);
	blk[0] = S[9];
	blk[1] = S[10];
	bk_ack(h, &c, S[7], s[0].tsval, blk, 1);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, S[7]);
	h_advance(h, 10000);
	bk_ack(h, &c, S[8], s[0].tsval, blk, 1);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, S[8]);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastRetrans"), 2);
	h_advance(h, 10000);
	bk_ack(h, &c, S[10], s[0].tsval, NULL, 0);
	/* One reduction, CUBIC's: 17 * 0.7. */
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.snd_cwnd, 11);
	ck_assert_uint_eq(info.timer, TCPX_TIMER_NONE);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 0);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 3);
}
END_TEST

START_TEST(test_loss_probe_off)
{
	struct fx_conn c;
	struct bk_seg s[16];

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_early_retrans",
	    "0"), 0);
	bk_establish(h, &c, 10000, true, NULL);
	for (int i = 0; i < 10; i++)
		bk_send_n(h, &c, BK_MSS);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 10);
	h_advance(h, 10000);
	bk_ack(h, &c, s[7].seq, s[6].tsval, NULL, 0);
	/* Only the RTO, 210 ms after that ACK, resends: S7. */
	h_run_until(h, h->now + 210000 - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, h->now + 1);
	ck_assert_uint_eq(bk_take(h, &c, s + 10, 6), 1);
	ck_assert_uint_eq(s[10].seq, s[7].seq);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLossProbes"), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 1);
}
END_TEST

START_TEST(test_window_shrunk_under_flight)
{
	struct fx_conn c;
	struct bk_seg s[8];
	uint64_t t0;
	int probes = 0;

	/* A tight retry budget: 3 retries, about 3 s. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_retries2", "3"),
	    0);
	bk_establish(h, &c, 10000, true, NULL);
	bk_send_n(h, &c, 2 * BK_MSS);
	ck_assert_uint_eq(bk_take(h, &c, s, 8), 2);
	/* The peer takes nothing and closes its window. */
	fx_send(h, &c, TH_ACK, c.rcv, s[0].seq, NULL, 0, 0);
	ck_assert_uint_eq(bk_info(h, &c).snd_wnd, 0);
	/*
	 * Our retransmissions are window probes now: while the peer
	 * answers them, no retry limit applies (Linux).
	 */
	t0 = h->now;
	while (h->now - t0 < 20000000) {
		h_run_until(h, tcpx_next_deadline(h->e));
		if (bk_take(h, &c, s, 8) > 0) {
			ck_assert_uint_eq(s[0].seq, c.iss + 1);
			probes++;
			fx_send(h, &c, TH_ACK, c.rcv, c.iss + 1, NULL, 0, 0);
		}
	}
	ck_assert_int_ge(probes, 5);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
	ck_assert_uint_eq(bk_info(h, &c).retransmits, 0);
	/* Silence for TCP_RTO_MAX: then it is given up, ETIMEDOUT. */
	while (tcpx_state(h->e, c.s) == TCP_ST_ESTABLISHED) {
		ck_assert_uint_lt(h->now - t0, 600000000ULL);
		h_run_until(h, tcpx_next_deadline(h->e));
		h_clear_out(h);
	}
	ck_assert_int_eq(tcpx_sock_error(h->e, c.s), ETIMEDOUT);
}
END_TEST

static Suite *
loss_suite(void)
{
	Suite *s = suite_create("tcp_loss");
	TCase *tc = tcase_create("loss");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rto_backoff_and_holes);
	tcase_add_test(tc, test_cork_full_segments_only);
	tcase_add_test(tc, test_pingpong_delays_acks);
	tcase_add_test(tc, test_tail_loss_probe);
	tcase_add_test(tc, test_loss_probe_off);
	tcase_add_test(tc, test_window_shrunk_under_flight);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(loss_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
