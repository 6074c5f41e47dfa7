/*
 * test_tcp_cc.c - congestion control (core/tcp_cc.c, tcp_cubic.c) on a
 * scripted bulk transfer with the fake clock: slow start doubling from
 * the initial window of 10, Reno's one segment per RTT in congestion
 * avoidance and its halving on loss, CUBIC's 0.7 reduction and its
 * cubic curve back to W_max (concave, then convex), the choice of
 * algorithm by TCP_CONGESTION and net.ipv4.tcp_congestion_control, and
 * the restart window after idle (tcp_slow_start_after_idle).
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

START_TEST(test_slow_start_doubles)
{
	struct fx_conn c;
	unsigned want = 10;

	bk_establish(h, &c, 10000, true, NULL);
	bk_fill(h, &c);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, 10);
	/*
	 * Each RTT the whole window is acknowledged: cwnd doubles.  (The
	 * end of the send buffer may add one short segment to a round.)
	 */
	for (int r = 0; r < 5; r++) {
		unsigned n = bk_round(h, &c, 10000);

		ck_assert_msg(n == want || n == want + 1, "%u segments, "
		    "want %u", n, want);
		want *= 2;
		ck_assert_uint_ge(bk_info(h, &c).snd_cwnd, want);
		ck_assert_uint_le(bk_info(h, &c).snd_cwnd, want + 1);
	}
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 0);
}
END_TEST

START_TEST(test_reno_halves_then_linear)
{
	struct fx_conn c;
	struct tcpx_sockinfo info;
	uint32_t at_loss;
	char name[16];
	socklen_t len = sizeof(name);

	bk_establish(h, &c, 10000, true, "reno");
	ck_assert_int_eq(tcpx_getsockopt(h->e, c.s, IPPROTO_TCP,
	    TCP_CONGESTION, name, &len), 0);
	ck_assert_str_eq(name, "reno");
	bk_fill(h, &c);
	bk_round(h, &c, 10000);
	bk_round(h, &c, 10000);
	at_loss = bk_loss_round(h, &c, 10000);
	ck_assert_uint_eq(at_loss, 40);
	info = bk_info(h, &c);
	/* Reno: ssthresh = cwnd / 2, cwnd = ssthresh after recovery. */
	ck_assert_uint_eq(info.snd_ssthresh, 20);
	ck_assert_uint_eq(info.snd_cwnd, 20);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastRetrans"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSackRecovery"), 1);
	/* Congestion avoidance: one segment more per round trip. */
	bk_round(h, &c, 10000);
	for (uint32_t r = 1; r <= 6; r++) {
		uint32_t before = bk_info(h, &c).snd_cwnd;

		bk_round(h, &c, 10000);
		ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, before + 1);
	}
}
END_TEST

START_TEST(test_sysctl_selects_reno)
{
	struct fx_conn c;

	ck_assert_int_eq(tcpx_sysctl_set(h->e,
	    "net.ipv4.tcp_congestion_control", "reno"), 0);
	bk_establish(h, &c, 10000, true, NULL);
	bk_fill(h, &c);
	bk_round(h, &c, 10000);
	ck_assert_uint_eq(bk_loss_round(h, &c, 10000), 20);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 10);
}
END_TEST

START_TEST(test_cubic_reduction_and_curve)
{
	struct fx_conn c;
	struct tcpx_sockinfo info;
	uint32_t cw[80];
	uint64_t rtt = 100000;
	int k, r;

	bk_establish(h, &c, rtt, true, NULL);
	bk_fill(h, &c);
	bk_round(h, &c, rtt);
	bk_round(h, &c, rtt);
	bk_round(h, &c, rtt);
	ck_assert_uint_eq(bk_loss_round(h, &c, rtt), 80);
	info = bk_info(h, &c);
	/* beta 717/1024: 80 -> 56 (RFC 9438 4.6, Linux). */
	ck_assert_uint_eq(info.snd_ssthresh, 56);
	ck_assert_uint_eq(info.snd_cwnd, 56);
	/*
	 * W_max 80, C 0.4: K = cbrt(24 / 0.4) = 3.9 s.  One round per
	 * 100 ms; the curve is evaluated one RTT ahead, so cwnd reaches
	 * W_max a round early.
	 */
	for (r = 0; r < 70; r++) {
		bk_round(h, &c, rtt);
		cw[r] = bk_info(h, &c).snd_cwnd;
	}
	k = 38;
	ck_assert_msg(cw[k] >= 78 && cw[k] <= 82, "cwnd %u at K", cw[k]);
	/* Concave: fast growth first, almost flat just before K. */
	ck_assert_uint_gt(cw[9] - cw[0], 3 * (cw[k] - cw[k - 10]));
	ck_assert_uint_le(cw[k] - cw[k - 10], 3);
	/* Convex: after K it speeds up again. */
	ck_assert_uint_gt(cw[k + 30] - cw[k + 20], cw[k + 10] - cw[k]);
	/* W(K + 3 s) = 0.4 * 27 + 80 = 90.8. */
	ck_assert_msg(cw[k + 30] >= 89 && cw[k + 30] <= 93, "cwnd %u at K+3s",
	    cw[k + 30]);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 1);
}
END_TEST

/* ACK everything in flight, round by round, adding no data, until idle. */
static void
drain(struct fx_conn *c, uint64_t rtt)
{
	static struct bk_seg segs[BK_MAXSEGS];
	unsigned n;

	while ((n = bk_take(h, c, segs, BK_MAXSEGS)) > 0) {
		h_advance(h, rtt);
		bk_ack_each(h, c, segs, n);
	}
	ck_assert_uint_eq(bk_info(h, c).send_q, 0);
}

START_TEST(test_restart_after_idle)
{
	struct fx_conn c;
	static struct bk_seg segs[BK_MAXSEGS];
	struct tcpx_sockinfo info;
	uint32_t cwnd;

	bk_establish(h, &c, 100000, true, NULL);
	bk_fill(h, &c);
	bk_round(h, &c, 100000);
	bk_round(h, &c, 100000);
	drain(&c, 100000);
	cwnd = bk_info(h, &c).snd_cwnd;
	ck_assert_uint_ge(cwnd, 80);
	/*
	 * Idle for 1 s (RTO 100 + 200 ms): cwnd is halved per RTO idle
	 * (three times), not below the initial window.
	 */
	h_advance(h, 1000000);
	bk_fill(h, &c);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.snd_cwnd, cwnd / 8 > 10 ? cwnd / 8 : 10);
	/* Linux keeps max(ssthresh, 3/4 cwnd): still unbounded here. */
	ck_assert_uint_eq(info.snd_ssthresh, 0x7fffffff);
	ck_assert_uint_eq(bk_take(h, &c, segs, BK_MAXSEGS), info.snd_cwnd);
}
END_TEST

START_TEST(test_no_restart_when_disabled)
{
	struct fx_conn c;
	static struct bk_seg segs[BK_MAXSEGS];
	uint32_t cwnd, n;

	ck_assert_int_eq(tcpx_sysctl_set(h->e,
	    "net.ipv4.tcp_slow_start_after_idle", "0"), 0);
	bk_establish(h, &c, 100000, true, NULL);
	bk_fill(h, &c);
	bk_round(h, &c, 100000);
	bk_round(h, &c, 100000);
	drain(&c, 100000);
	cwnd = bk_info(h, &c).snd_cwnd;
	h_advance(h, 1000000);
	bk_fill(h, &c);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, cwnd);
	n = bk_take(h, &c, segs, BK_MAXSEGS);
	ck_assert_msg(n == cwnd || n == cwnd + 1, "%u segments", n);
}
END_TEST

static Suite *
cc_suite(void)
{
	Suite *s = suite_create("tcp_cc");
	TCase *tc = tcase_create("cc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_slow_start_doubles);
	tcase_add_test(tc, test_reno_halves_then_linear);
	tcase_add_test(tc, test_sysctl_selects_reno);
	tcase_add_test(tc, test_cubic_reduction_and_curve);
	tcase_add_test(tc, test_restart_after_idle);
	tcase_add_test(tc, test_no_restart_when_disabled);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
