/*
 * test_tcp_cc.c - congestion control (core/tcp_cc.c, tcp_cubic.c) on a
 * scripted bulk transfer with the fake clock: slow start doubling from
 * the initial window of 10, Reno's one segment per RTT in congestion
 * avoidance and its halving on loss, CUBIC's 0.7 reduction and its
 * cubic curve back to W_max (concave, then convex), the choice of
 * algorithm by TCP_CONGESTION and net.ipv4.tcp_congestion_control, the
 * restart window after idle (tcp_slow_start_after_idle), and CUBIC's
 * HyStart ending slow start on rising delay or on an ACK train (also
 * through a modelled bottleneck, where the pacing rate sizes the
 * train's GSO cushion).
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

static int
sndbuf(struct fx_conn *c)
{
	int v = 0;
	socklen_t len = sizeof(v);

	ck_assert_int_eq(tcpx_getsockopt(h->e, c->s, SOL_SOCKET, SO_SNDBUF,
	    &v, &len), 0);
	return v;
}

/*
 * The send buffer grows with cwnd as Linux's tcp_sndbuf_expand: two
 * windows of 2304 bytes a segment (MSS 1460 plus the header room and
 * skb overhead Linux charges, rounded as it does); 46080 when
 * established, as Linux 6.18 reports; never past tcp_wmem[2]; not at
 * all once the program set SO_SNDBUF.
 */
START_TEST(test_sndbuf_grows_with_cwnd)
{
	struct fx_conn c;
	uint32_t cwnd;

	bk_establish(h, &c, 10000, true, NULL);
	ck_assert_int_eq(sndbuf(&c), 2 * 10 * 2304);
	bk_fill(h, &c);
	ck_assert_uint_eq(bk_info(h, &c).send_q, 46080);
	for (int r = 0; r < 4; r++)
		bk_round(h, &c, 10000);
	cwnd = bk_info(h, &c).snd_cwnd;
	ck_assert_uint_ge(cwnd, 160);
	ck_assert_int_eq(sndbuf(&c), (int)(2 * cwnd * 2304));
	/* The send queue holds that much data. */
	ck_assert_uint_eq(bk_info(h, &c).send_q, 2 * cwnd * 2304);
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_wmem",
	    "4096 16384 1000000"), 0);
	bk_round(h, &c, 10000);
	ck_assert_int_eq(sndbuf(&c), 1000000);
}
END_TEST

START_TEST(test_sndbuf_set_stays)
{
	struct fx_conn d;
	int fixed = 100000;

	bk_establish(h, &d, 10000, true, NULL);
	ck_assert_int_eq(tcpx_setsockopt(h->e, d.s, SOL_SOCKET, SO_SNDBUF,
	    &fixed, sizeof(fixed)), 0);
	bk_fill(h, &d);
	for (int r = 0; r < 3; r++)
		bk_round(h, &d, 10000);
	ck_assert_uint_ge(bk_info(h, &d).snd_cwnd, 80);
	ck_assert_int_eq(sndbuf(&d), 2 * fixed);
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
	/*
	 * beta 717/1024: 80 -> 56 (RFC 9438 4.6, Linux).  Recovery ends at
	 * ssthresh; the ACKs of new data sent with the retransmission,
	 * after it, may add one already (CUBIC's first step up).
	 */
	ck_assert_uint_eq(info.snd_ssthresh, 56);
	ck_assert_uint_ge(info.snd_cwnd, 56);
	ck_assert_uint_le(info.snd_cwnd, 57);
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

/*
 * HyStart.  The peer's ACKs come at chosen times; the RTT sample of an
 * ACK is the time since the segment it newly covers was sent.
 */

/* Where, in a round, a counter went up, and cwnd just before that ACK. */
struct hs_hit {
	int at;			/* index of the ACK in the round; -1: none */
	uint32_t cwnd;
};

/*
 * One round trip: take what was sent, wait `rtt`, ACK the first
 * segment, then each next one `gap` later; refill.  Notes the first ACK
 * after which `mib` (if not NULL) went up.  Returns the segments taken.
 */
static unsigned
hs_round(struct fx_conn *c, uint64_t rtt, uint64_t gap, const char *mib,
    struct hs_hit *hit)
{
	static struct bk_seg segs[BK_MAXSEGS];
	unsigned n = bk_take(h, c, segs, BK_MAXSEGS);
	uint64_t before = mib != NULL ? h_mib(h, mib) : 0;
	uint32_t cwnd;

	if (hit != NULL) {
		hit->at = -1;
		hit->cwnd = 0;
	}
	h_advance(h, rtt);
	for (unsigned i = 0; i < n; i++) {
		if (i > 0 && gap > 0)
			h_advance(h, gap);
		cwnd = bk_info(h, c).snd_cwnd;
		bk_ack(h, c, segs[i].seq + segs[i].len, segs[i].tsval, NULL, 0);
		if (mib != NULL && hit != NULL && hit->at < 0 &&
		    h_mib(h, mib) != before) {
			hit->at = (int)i;
			hit->cwnd = cwnd;
		}
	}
	bk_fill(h, c);
	return n;
}

/*
 * Two rounds at 10 ms: cwnd 10 -> 20 -> 40, with a send buffer that
 * never runs short (autotuned, it holds over three windows), so every
 * ACK in slow start sends two segments.
 * HyStart starts watching at the 7th ACK of the first (cwnd 16): its
 * first round ends with what was sent by then, segment 22 (the first
 * 10, two more for each of six ACKs).  Its second round starts at the
 * ACK of segment 23 and ends with segment 54 (30 sent, then two for
 * each of its 12 ACKs before that one).
 */
static void
hs_two_rounds(struct fx_conn *c, const char *cc)
{
	bk_establish(h, c, 10000, true, cc);
	bk_fill(h, c);
	ck_assert_uint_eq(hs_round(c, 10000, 0, NULL, NULL), 10);
	ck_assert_uint_eq(hs_round(c, 10000, 0, NULL, NULL), 20);
	ck_assert_uint_eq(bk_info(h, c).snd_cwnd, 40);
}

START_TEST(test_hystart_delay)
{
	struct fx_conn c;
	struct hs_hit hit;
	struct tcpx_sockinfo info;

	hs_two_rounds(&c, NULL);
	/*
	 * The RTT doubles to 20 ms: a queue.  Segments 31..54 finish
	 * the HyStart round whose smallest sample is still 10 ms; the
	 * round from segment 55 takes 8 samples of 20 ms, and the 9th
	 * (segment 63, the 33rd ACK, cwnd 40 + 32) finds 20 ms above 10
	 * + 4 ms: ssthresh = cwnd, so slow start ends there.
	 */
	ck_assert_uint_eq(hs_round(&c, 20000, 0, "TcpExt:TCPHystartDelayDetect",
	    &hit), 40);
	ck_assert_int_eq(hit.at, 32);
	ck_assert_uint_eq(hit.cwnd, 72);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.snd_ssthresh, 72);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayDetect"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayCwnd"), 72);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartTrainDetect"), 0);
	/* The last 7 ACKs were congestion avoidance: +2 at most. */
	ck_assert_uint_le(info.snd_cwnd, 74);
	/* Once per slow start: a worse queue changes nothing more. */
	hs_round(&c, 40000, 0, NULL, NULL);
	hs_round(&c, 40000, 0, NULL, NULL);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayDetect"), 1);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 72);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 0);
}
END_TEST

/*
 * Linux's tcp_cubic module parameters: HyStart off, the same queue as
 * test_hystart_delay ends nothing; delay detection off alone, neither;
 * initial_ssthresh applies only with HyStart off, as in Linux.
 */
START_TEST(test_cubic_module_params)
{
	struct fx_conn c;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "tcp_cubic.hystart", "0"), 0);
	hs_two_rounds(&c, NULL);
	hs_round(&c, 20000, 0, NULL, NULL);
	hs_round(&c, 40000, 0, NULL, NULL);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 0x7fffffff);
	ck_assert_uint_ge(bk_info(h, &c).snd_cwnd, 160);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayDetect"), 0);
	h_free(h);

	h = h_new();
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "tcp_cubic.hystart_detect",
	    "1"), 0);
	hs_two_rounds(&c, NULL);
	hs_round(&c, 20000, 0, NULL, NULL);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayDetect"), 0);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 0x7fffffff);
	h_free(h);

	h = h_new();
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "tcp_cubic.initial_ssthresh",
	    "15"), 0);
	bk_establish(h, &c, 10000, true, NULL);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 0x7fffffff);
	h_free(h);

	h = h_new();
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "tcp_cubic.hystart", "0"), 0);
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "tcp_cubic.initial_ssthresh",
	    "15"), 0);
	bk_establish(h, &c, 10000, true, NULL);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 15);
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "tcp_cubic.hystart_detect",
	    "4"), -EINVAL);
}
END_TEST

START_TEST(test_hystart_flat_rtt_keeps_slow_start)
{
	struct fx_conn c;
	unsigned want = 40;

	/* The same RTT every round: cwnd doubles as long as we look. */
	hs_two_rounds(&c, NULL);
	for (int r = 0; r < 4; r++) {
		hs_round(&c, 10000, 0, NULL, NULL);
		want *= 2;
		ck_assert_uint_ge(bk_info(h, &c).snd_cwnd, want);
	}
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 0x7fffffff);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayDetect"), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartTrainDetect"), 0);
}
END_TEST

START_TEST(test_hystart_ack_train)
{
	struct fx_conn c;
	struct hs_hit hit;

	hs_two_rounds(&c, NULL);
	/*
	 * The ACKs come 1 ms apart.  The HyStart round from segment 55
	 * (the 25th ACK) sees them close together; the train is long
	 * enough once it spans more than half of delay_min plus the 1 ms
	 * cushion (the pacing rate, a few MB/s, makes it the full 1 ms):
	 * (10 + 1) / 2 = 5.5 ms, at the 7th ACK of the round, segment 61
	 * (cwnd 40 + 30).  The delay test would need 9 samples.
	 */
	ck_assert_uint_eq(hs_round(&c, 10000, 1000,
	    "TcpExt:TCPHystartTrainDetect", &hit), 40);
	ck_assert_int_eq(hit.at, 30);
	ck_assert_uint_eq(hit.cwnd, 70);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 70);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartTrainDetect"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartTrainCwnd"), 70);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayDetect"), 0);
}
END_TEST

START_TEST(test_hystart_ack_gaps_are_no_train)
{
	struct fx_conn c;

	/* ACKs 3 ms apart are no train (more than hystart_ack_delta_us). */
	hs_two_rounds(&c, NULL);
	hs_round(&c, 10000, 3000, NULL, NULL);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartTrainDetect"), 0);
}
END_TEST

START_TEST(test_hystart_not_below_low_window)
{
	struct fx_conn c;

	/*
	 * The first round trip, cwnd 10 -> 20, with its ACKs 1 ms apart
	 * over 9 ms.  HyStart looks only from cwnd 16, the 7th ACK: its
	 * round starts there and lasts 3 ms, under the 5.5 ms a train
	 * needs.  (Counted from the first ACK, the 7th would be one.)
	 */
	bk_establish(h, &c, 10000, true, NULL);
	bk_fill(h, &c);
	ck_assert_uint_eq(hs_round(&c, 10000, 1000, NULL, NULL), 10);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, 20);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 0x7fffffff);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartTrainDetect"), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayDetect"), 0);
}
END_TEST

START_TEST(test_hystart_again_after_timeout)
{
	struct fx_conn c;
	static struct bk_seg segs[BK_MAXSEGS];
	struct hs_hit hit;
	uint32_t cwnd, ssthresh;
	int r;

	/*
	 * The peer below acknowledges whatever arrives, as if the lost
	 * flight came after all: F-RTO would call the timeout spurious.
	 */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_frto", "0"), 0);
	hs_two_rounds(&c, NULL);
	hs_round(&c, 20000, 0, "TcpExt:TCPHystartDelayDetect", &hit);
	ck_assert_uint_eq(hit.cwnd, 72);
	/*
	 * The whole next flight is lost, and the loss probe after it: the
	 * RTO resends the head.
	 */
	(void)bk_take(h, &c, segs, BK_MAXSEGS);
	for (r = 0; r < 100; r++) {
		h_advance(h, 10000);
		if (bk_info(h, &c).snd_cwnd == 1)
			break;
		(void)bk_take(h, &c, segs, BK_MAXSEGS);
	}
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 1);
	ssthresh = bk_info(h, &c).snd_ssthresh;
	ck_assert_uint_gt(ssthresh, 32);
	/*
	 * CA_Loss starts HyStart over (found, delay_min, the round).  Slow
	 * start resends the flight at 10 ms until cwnd is 16, then the RTT
	 * is 20 ms.  The samples are the timestamps' (Karn: resent data
	 * gives no other); the round begun at the timeout lasts past all
	 * of this, and its 9th sample at cwnd 16 + 8 finds the queue.
	 */
	hit.at = -1;
	for (r = 0; r < 10 && hit.at < 0; r++) {
		cwnd = bk_info(h, &c).snd_cwnd;
		hs_round(&c, cwnd >= 16 ? 20000 : 10000, 0,
		    "TcpExt:TCPHystartDelayDetect", &hit);
	}
	ck_assert_int_ge(hit.at, 0);
	ck_assert_uint_eq(hit.cwnd, 24);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 24);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayDetect"), 2);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayCwnd"), 72 + 24);
}
END_TEST

/*
 * A path of base RTT `rtt` through a bottleneck that passes a segment
 * every `gap`: each segment is ACKed alone, at its send time + `rtt`
 * or `gap` after the ACK before, whichever is later; the application
 * keeps the buffer full.  Runs until `mib` goes up (returns the cwnd
 * just before that ACK) or for `max` ACKs (returns 0).
 */
static uint32_t
hs_pipe(struct fx_conn *c, uint64_t rtt, uint64_t gap, const char *mib,
    unsigned max)
{
	static struct bk_seg segs[BK_MAXSEGS];
	static struct { uint32_t end, tsval; uint64_t at; } q[BK_MAXSEGS];
	unsigned head = 0, tail = 0, n, k;
	uint64_t last = 0, before = h_mib(h, mib);
	uint32_t cwnd;

	for (unsigned a = 0; a < max; a++) {
		n = bk_take(h, c, segs, BK_MAXSEGS);
		for (unsigned i = 0; i < n; i++, tail++) {
			ck_assert_uint_lt(tail - head, BK_MAXSEGS);
			last = h->now + rtt > last + gap ? h->now + rtt :
			    last + gap;
			k = tail % BK_MAXSEGS;
			q[k].end = segs[i].seq + segs[i].len;
			q[k].tsval = segs[i].tsval;
			q[k].at = last;
		}
		if (head == tail)
			break;
		k = head++ % BK_MAXSEGS;
		if (q[k].at > h->now)
			h_run_until(h, q[k].at);
		cwnd = bk_info(h, c).snd_cwnd;
		bk_ack(h, c, q[k].end, q[k].tsval, NULL, 0);
		bk_fill(h, c);
		if (h_mib(h, mib) != before)
			return cwnd;
	}
	return 0;
}

START_TEST(test_hystart_train_cushion)
{
	struct fx_conn c;

	/*
	 * Slow start at 4 ms through a 1448 B / 6 us (1.9 Gbit/s)
	 * bottleneck.  Once a round's ACKs come back to back, the train
	 * ends it when it has lasted half of delay_min, 4 ms, plus the
	 * cushion for GSO/GRO bursts: four 64 KB bursts at the pacing
	 * rate, 200% of 1448 B * cwnd 1355 / srtt 4.2 ms = 934 MB/s here,
	 * so 280 us (not the 1 ms cap): (4000 + 280) / 2 = 2140 us, 331
	 * ACKs into the round that began at cwnd 1024.
	 */
	bk_establish(h, &c, 4000, true, NULL);
	bk_fill(h, &c);
	ck_assert_uint_eq(hs_pipe(&c, 4000, 6, "TcpExt:TCPHystartTrainDetect",
	    20000), 1355);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 1355);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartTrainCwnd"), 1355);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayDetect"), 0);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 0);
}
END_TEST

START_TEST(test_hystart_not_reno)
{
	struct fx_conn c;

	/* The delay and the train of the tests above: Reno slow-starts on. */
	hs_two_rounds(&c, "reno");
	hs_round(&c, 20000, 0, NULL, NULL);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, 80);
	hs_round(&c, 10000, 1000, NULL, NULL);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, 160);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 0x7fffffff);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartDelayDetect"), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPHystartTrainDetect"), 0);
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
	tcase_add_test(tc, test_sndbuf_grows_with_cwnd);
	tcase_add_test(tc, test_sndbuf_set_stays);
	tcase_add_test(tc, test_reno_halves_then_linear);
	tcase_add_test(tc, test_sysctl_selects_reno);
	tcase_add_test(tc, test_cubic_module_params);
	tcase_add_test(tc, test_cubic_reduction_and_curve);
	tcase_add_test(tc, test_restart_after_idle);
	tcase_add_test(tc, test_no_restart_when_disabled);
	tcase_add_test(tc, test_hystart_delay);
	tcase_add_test(tc, test_hystart_flat_rtt_keeps_slow_start);
	tcase_add_test(tc, test_hystart_ack_train);
	tcase_add_test(tc, test_hystart_ack_gaps_are_no_train);
	tcase_add_test(tc, test_hystart_not_below_low_window);
	tcase_add_test(tc, test_hystart_again_after_timeout);
	tcase_add_test(tc, test_hystart_train_cushion);
	tcase_add_test(tc, test_hystart_not_reno);
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
