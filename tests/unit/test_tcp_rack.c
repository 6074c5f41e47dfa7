/*
 * test_tcp_rack.c - RACK time-based loss detection (core/tcp_rack.c,
 * RFC 8985 6.2, Linux's tcp_recovery.c), segment by segment against a
 * scripted peer on the fake clock.  The handshake takes 10 ms, so SRTT
 * and the minimum RTT are 10 ms and the reordering window a quarter of
 * that, 2.5 ms:
 *   - a segment still missing when one sent 5 ms after it is SACKed,
 *     10 ms after that one went, is lost: fast retransmit with two
 *     segments SACKed, where DupThresh wants three;
 *   - a segment overtaken but arriving within the window is not
 *     resent; with bit 4 (no DupThresh) not even with four SACKed;
 *   - with no further ACK the reordering timer (2.5 ms rounded up to
 *     a 4 ms jiffy, plus two) resends it 12 ms after the SACK, and the
 *     RTO restarts from there;
 *   - a retransmission is lost in its turn: a segment sent after it
 *     is SACKed an RTT later, and it goes again (TCPLostRetransmit);
 *   - net.ipv4.tcp_recovery 0: nothing of this; the loss probe, which
 *     no reordering timer replaced, resends the last segment, and the
 *     RTO the head;
 *   - a D-SACK after reordering (a spurious resend) widens the window
 *     a step (Linux's tcp_rack_update_reo_wnd): a segment 14 ms late
 *     is waited for; D-SACKs beyond what was resent are dubious and
 *     widen nothing (Linux's dsack_dups filter); back to one step
 *     after 16 recoveries without D-SACK; never with bit 2;
 *   - a timeout marks lost the head and what went more than RACK's RTT
 *     before it, not a segment sent 5 ms before (Linux's
 *     tcp_timeout_mark_lost): that one still counts as in flight, so
 *     the next ACK lets one hole go, not two;
 *   - in Loss, a resend lost in its turn (a later resend is SACKed) is
 *     sent again at once and the connection moves to Recovery, as
 *     Linux's FLAG_LOST_RETRANS, instead of waiting for the RTO; with
 *     reordering seen, RACK's timer does it a window later;
 *   - the reordering degree (tcpi_reordering) is how far data was
 *     overtaken: five segments, 5; two, DupThresh's 3 stays;
 *   - RACK's timer, the loss probe and the RTO share one slot, as in
 *     Linux: an RTO deadline RACK's timer replaced does not fire; a
 *     resent head restarts the RTO; an ACK that ends RACK's wait gives
 *     the RTO back counted from the head's send.
 */
#include <check.h>
#include <netinet/tcp.h>
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

static void
set_recovery(const char *v)
{
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_recovery", v), 0);
}

/*
 * The initial window, S0..S9, goes out; an RTT later S1..S4 are SACKed
 * and S0 is not (four segments: DupThresh would call S0 lost).
 * Returns what that ACK released into s; *ts is S9's TSval.
 */
static unsigned
first_flight_head_missing(struct fx_conn *c, struct bk_seg *s, unsigned max,
    uint32_t *ts)
{
	uint32_t blk[2];

	bk_establish(h, c, 10000, true, NULL);
	bk_fill(h, c);
	ck_assert_uint_eq(bk_take(h, c, s, max), 10);
	*ts = s[9].tsval;
	h_advance(h, 10000);
	blk[0] = bk_seg_at(c, 1);
	blk[1] = bk_seg_at(c, 5);
	bk_ack(h, c, bk_seg_at(c, 0), *ts, blk, 1);
	return bk_take(h, c, s, max);
}

/*
 * S0..S2 go at t0, S3 at t0 + 5 ms; S0 is lost.  S1 is SACKed at
 * t0 + 10 ms, S3 at t0 + 15 ms: two segments SACKed, two blocks.
 * Returns what the second SACK released.
 */
static unsigned
lost_head_two_sacked(struct fx_conn *c, struct bk_seg *s, unsigned max)
{
	uint32_t blk[4];
	uint32_t ts;

	bk_establish(h, c, 10000, true, NULL);
	bk_send_n(h, c, 3 * BK_MSS);
	ck_assert_uint_eq(bk_take(h, c, s, max), 3);
	ts = s[2].tsval;
	h_advance(h, 5000);
	bk_send_n(h, c, BK_MSS);
	ck_assert_uint_eq(bk_take(h, c, s, max), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(c, 3));
	h_advance(h, 5000);
	blk[0] = bk_seg_at(c, 1);
	blk[1] = bk_seg_at(c, 2);
	bk_ack(h, c, bk_seg_at(c, 0), ts, blk, 1);
	H_EXPECT_NONE(h);
	h_advance(h, 5000);
	blk[0] = bk_seg_at(c, 3);
	blk[1] = bk_seg_at(c, 4);
	blk[2] = bk_seg_at(c, 1);
	blk[3] = bk_seg_at(c, 2);
	bk_ack(h, c, bk_seg_at(c, 0), ts, blk, 2);
	return bk_take(h, c, s, max);
}

START_TEST(test_rack_lost_with_two_sacked)
{
	struct fx_conn c;
	struct bk_seg s[16];

	/*
	 * S3 went 5 ms after S0 and is SACKed 10 ms after it went: S0,
	 * 15 ms old, is past RTT + reo_wnd (12.5 ms).  Recovery, and PRR
	 * lets the head go at once.
	 */
	ck_assert_uint_eq(lost_head_two_sacked(&c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 0));
	ck_assert_uint_eq(s[0].len, BK_MSS);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSackRecovery"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastRetrans"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 1);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_RECOVERY);
	/* S2, sent with S0 and as old, is lost too: next ACK, it goes. */
	h_advance(h, 1000);
	bk_ack(h, &c, bk_seg_at(&c, 2), s[0].tsval, (uint32_t[]){ bk_seg_at(&c, 3),
	    bk_seg_at(&c, 4) }, 1);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 2));
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 2);
}
END_TEST

START_TEST(test_rack_reordering_within_window)
{
	struct fx_conn c;
	struct bk_seg s[64];
	struct tcp_sock *sk;
	uint32_t blk[2], ts;
	uint64_t t0;

	/* S0 overtaken by S1, arriving 2 ms later: within the window. */
	bk_establish(h, &c, 10000, true, NULL);
	sk = tcp_sock_by_id(h->e, c.s);
	bk_send_n(h, &c, 3 * BK_MSS);
	ck_assert_uint_eq(bk_take(h, &c, s, 64), 3);
	ts = s[2].tsval;
	t0 = h->now;
	h_advance(h, 10000);
	blk[0] = bk_seg_at(&c, 1);
	blk[1] = bk_seg_at(&c, 2);
	bk_ack(h, &c, bk_seg_at(&c, 0), ts, blk, 1);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(sk->reo_at, t0 + 22000);
	h_advance(h, 2000);
	bk_ack(h, &c, bk_seg_at(&c, 3), ts, NULL, 0);
	ck_assert_uint_eq(sk->reo_at, 0);
	h_run_until(h, t0 + 100000);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 0);
	/* Linux's tcp_check_sack_reordering counted it (tcpi_reord_seen). */
	ck_assert_uint_eq(sk->reord_seen, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSACKReorder"), 1);
	/* Overtaken by two segments: under DupThresh, which stays 3. */
	ck_assert_uint_eq(bk_info(h, &c).reordering, 3);
}
END_TEST

START_TEST(test_rack_no_dupthresh_reordering)
{
	struct fx_conn c;
	struct bk_seg s[64];
	uint32_t ts;
	unsigned n;

	/*
	 * Bit 4: DupThresh does not count.  S1..S4 are SACKed (DupThresh
	 * would call S0 lost), S0 arrives 1 ms later: only new data goes.
	 */
	set_recovery("5");
	n = first_flight_head_missing(&c, s, 64, &ts);
	for (unsigned i = 0; i < n; i++)
		ck_assert(SEQ_GEQ(s[i].seq, bk_seg_at(&c, 10)));
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_DISORDER);
	h_advance(h, 1000);
	bk_ack(h, &c, bk_seg_at(&c, 5), ts, NULL, 0);
	n = bk_take(h, &c, s, 64);
	for (unsigned i = 0; i < n; i++)
		ck_assert(SEQ_GEQ(s[i].seq, bk_seg_at(&c, 10)));
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSackRecovery"), 0);
	/*
	 * S0 came five segments late (S1..S4 SACKed, up to S5): the
	 * reordering degree, tcpi_reordering, is 5 now (Linux's
	 * tp->reordering), and the event counted as TCPSACKReorder.
	 */
	ck_assert_uint_eq(bk_info(h, &c).reordering, 5);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSACKReorder"), 1);
}
END_TEST

/*
 * S0..S2 at t0, S0 lost; S1 and S2 SACKed at t0 + 10 ms, then silence.
 * Returns t0.
 */
static uint64_t
lost_head_then_silence(struct fx_conn *c)
{
	struct bk_seg s[16];
	uint32_t blk[2], ts;
	uint64_t t0;

	bk_establish(h, c, 10000, true, NULL);
	bk_send_n(h, c, 3 * BK_MSS);
	t0 = h->now;
	ck_assert_uint_eq(bk_take(h, c, s, 16), 3);
	ts = s[2].tsval;
	h_advance(h, 10000);
	blk[0] = bk_seg_at(c, 1);
	blk[1] = bk_seg_at(c, 2);
	bk_ack(h, c, bk_seg_at(c, 0), ts, blk, 1);
	blk[1] = bk_seg_at(c, 3);
	bk_ack(h, c, bk_seg_at(c, 0), ts, blk, 1);
	H_EXPECT_NONE(h);
	return t0;
}

START_TEST(test_rack_reo_timer_fires)
{
	struct fx_conn c;
	struct bk_seg s[16];
	struct tcpx_sockinfo info;
	uint64_t t0 = lost_head_then_silence(&c);

	/* 2.5 ms: one jiffy, plus TCP_TIMEOUT_MIN's two: 12 ms on. */
	h_run_until(h, t0 + 22000 - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, t0 + 22000);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 0));
	info = bk_info(h, &c);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_RECOVERY);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSackRecovery"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 0);
	/* The RTO counts from the resent head (Linux's tcp_rearm_rto). */
	ck_assert_uint_eq(info.timer_expires_us, info.rto_us);
	/* It arrives: all acknowledged, recovery over, nothing more. */
	h_advance(h, 10000);
	bk_ack(h, &c, bk_seg_at(&c, 3), s[0].tsval, NULL, 0);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_OPEN);
	h_run_until(h, h->now + 2000000);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 1);
}
END_TEST

START_TEST(test_rack_lost_retransmission)
{
	struct fx_conn c;
	struct bk_seg s[64];
	uint32_t blk[4], ts, nxt = 0;
	unsigned n;

	/* S1..S4 SACKed: S0 lost, resent with new data after it (PRR). */
	n = first_flight_head_missing(&c, s, 64, &ts);
	ck_assert_uint_ge(n, 2);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 0));
	ck_assert_uint_eq(s[1].seq, bk_seg_at(&c, 10));
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 1);
	/*
	 * An RTT later S10, sent just after the resend, is SACKed and S0
	 * is not: the resend is lost too, and goes again at once.
	 */
	h_advance(h, 10000);
	blk[0] = bk_seg_at(&c, 10);
	blk[1] = bk_seg_at(&c, 11);
	blk[2] = bk_seg_at(&c, 1);
	blk[3] = bk_seg_at(&c, 5);
	bk_ack(h, &c, bk_seg_at(&c, 0), ts, blk, 2);
	n = bk_take(h, &c, s, 64);
	for (unsigned i = 0; i < n; i++)
		if (s[i].seq == bk_seg_at(&c, 0))
			nxt++;
	ck_assert_uint_eq(nxt, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLostRetransmit"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSackRecovery"), 1);
}
END_TEST

START_TEST(test_rack_off_keeps_rfc6675)
{
	struct fx_conn c;
	struct bk_seg s[16];
	uint64_t t0, rto;

	/* The same two scripts: DupThresh waits, the RTO resends. */
	set_recovery("0");
	ck_assert_uint_eq(lost_head_two_sacked(&c, s, 16), 0);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 0);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_DISORDER);
	ck_assert_uint_eq(tcp_sock_by_id(h->e, c.s)->reo_at, 0);
	h_free(h);

	/*
	 * Without RACK nothing replaces the loss probe scheduled with the
	 * flight (2 SRTT + 2 ms): as Linux's, it goes in Disorder too and
	 * resends the last segment, S2.  The RTO then counts from the
	 * probe, not from the flight, and resends the head.
	 */
	h = h_new();
	set_recovery("0");
	t0 = lost_head_then_silence(&c);
	rto = bk_info(h, &c).rto_us;
	h_run_until(h, t0 + 22000 - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, t0 + 22000);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 2));
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLossProbes"), 1);
	h_run_until(h, t0 + 22000 + rto - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, t0 + 22000 + rto);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 0));
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSackRecovery"), 0);
}
END_TEST

static unsigned
steps(const struct fx_conn *c)
{
	return tcp_sock_by_id(h->e, c->s)->rack.reo_wnd_steps;
}

/* S0..S2 go; S0 is overtaken by S1, S2, 2 ms late: reordering seen. */
static void
reordering_seen(struct fx_conn *c)
{
	struct bk_seg s[16];
	uint32_t blk[2], ts;

	bk_establish(h, c, 10000, true, NULL);
	bk_send_n(h, c, 3 * BK_MSS);
	ck_assert_uint_eq(bk_take(h, c, s, 16), 3);
	ts = s[2].tsval;
	h_advance(h, 10000);
	blk[0] = bk_seg_at(c, 1);
	blk[1] = bk_seg_at(c, 3);
	bk_ack(h, c, bk_seg_at(c, 0), ts, blk, 1);
	h_advance(h, 2000);
	bk_ack(h, c, bk_seg_at(c, 3), ts, NULL, 0);
	ck_assert_uint_eq(tcp_sock_by_id(h->e, c->s)->reord_seen, 1);
}

/*
 * Reordering seen (S0 overtaken, 2 ms late), then S3 overtaken by more
 * than the window: the reordering timer resends it, spuriously, and
 * the peer reports the duplicate (D-SACK).  Returns the next segment.
 */
static unsigned
spurious_resend(struct fx_conn *c)
{
	struct bk_seg s[16];
	uint32_t blk[2], ts;

	reordering_seen(c);
	/* S3..S5; S4, S5 SACKed an RTT on; the timer resends S3 12 ms later. */
	bk_send_n(h, c, 3 * BK_MSS);
	ck_assert_uint_eq(bk_take(h, c, s, 16), 3);
	ts = s[2].tsval;
	h_advance(h, 10000);
	blk[0] = bk_seg_at(c, 4);
	blk[1] = bk_seg_at(c, 6);
	bk_ack(h, c, bk_seg_at(c, 3), ts, blk, 1);
	h_advance(h, 12000);
	ck_assert_uint_eq(bk_take(h, c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(c, 3));
	/* The original arrives, then the resend: D-SACK. */
	h_advance(h, 2000);
	bk_ack(h, c, bk_seg_at(c, 6), ts, NULL, 0);
	ck_assert(bk_ca_state(h, c) == TCP_CAS_OPEN);
	h_advance(h, 8000);
	blk[0] = bk_seg_at(c, 3);
	blk[1] = bk_seg_at(c, 4);
	bk_ack(h, c, bk_seg_at(c, 6), s[0].tsval, blk, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKRecv"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 1);
	return 6;
}

/*
 * S(i)..S(i+2) go; S(i+1), S(i+2) SACKed an RTT on, S(i) 14 ms after
 * it went: past one step's timer (12 ms), within two steps' (16 ms).
 * Returns the retransmissions meanwhile.
 */
static uint64_t
late_by_14ms(struct fx_conn *c, unsigned i)
{
	struct bk_seg s[16];
	uint32_t blk[2], ts;
	uint64_t t0, before = h_mib(h, "Tcp:RetransSegs");

	bk_send_n(h, c, 3 * BK_MSS);
	ck_assert_uint_eq(bk_take(h, c, s, 16), 3);
	ts = s[2].tsval;
	t0 = h->now;
	h_advance(h, 10000);
	blk[0] = bk_seg_at(c, i + 1);
	blk[1] = bk_seg_at(c, i + 3);
	bk_ack(h, c, bk_seg_at(c, i), ts, blk, 1);
	h_run_until(h, t0 + 24000);
	bk_ack(h, c, bk_seg_at(c, i + 3), ts, NULL, 0);
	h_run_until(h, h->now + 100000);
	return h_mib(h, "Tcp:RetransSegs") - before;
}

START_TEST(test_rack_dsack_widens_window)
{
	struct fx_conn c;
	unsigned i = spurious_resend(&c);

	/* The D-SACK waits for an ACK delivering something (a sample). */
	ck_assert_uint_eq(steps(&c), 1);
	ck_assert_uint_eq(late_by_14ms(&c, i), 0);
	ck_assert_uint_eq(steps(&c), 2);
	ck_assert_uint_eq(tcp_sock_by_id(h->e, c.s)->rack.reo_wnd_persist,
	    16);
}
END_TEST

START_TEST(test_rack_dsack_step_then_dubious)
{
	struct fx_conn c;
	struct bk_seg s[16];
	uint32_t blk[4], ts;
	unsigned i = spurious_resend(&c);

	/* S6..S9; S7 SACKed: the pending D-SACK takes its step. */
	bk_send_n(h, &c, 4 * BK_MSS);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 4);
	ts = s[3].tsval;
	h_advance(h, 10000);
	blk[0] = bk_seg_at(&c, i + 1);
	blk[1] = bk_seg_at(&c, i + 2);
	bk_ack(h, &c, bk_seg_at(&c, i), ts, blk, 1);
	ck_assert_uint_eq(steps(&c), 2);
	/*
	 * The same D-SACK again, with SACKs of data sent before that step:
	 * S3 was resent once, so Linux's filter calls the repeats dubious
	 * (more duplicates reported than resends); no further step.
	 */
	for (unsigned k = 2; k < 4; k++) {
		h_advance(h, 500);
		blk[0] = bk_seg_at(&c, 3);
		blk[1] = bk_seg_at(&c, 4);
		blk[2] = bk_seg_at(&c, i + 1);
		blk[3] = bk_seg_at(&c, i + k + 1);
		bk_ack(h, &c, bk_seg_at(&c, i), ts, blk, 2);
		ck_assert_uint_eq(steps(&c), 2);
	}
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKRecv"), 3);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKIgnoredDubious"), 2);
	/*
	 * S6 goes again when RACK's timer fires (the window two steps
	 * now; RACK alone decides, as in Linux); the original arrives
	 * too.  Its D-SACK is dubious by count as well (four reported,
	 * two resends), so the window stays: Linux's dsack_dups keeps
	 * what the repeats added.
	 */
	H_EXPECT_NONE(h);
	h_run_until(h, h->now + 20000);
	ck_assert_uint_ge(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, i));
	h_advance(h, 10000);
	blk[0] = bk_seg_at(&c, i);
	blk[1] = bk_seg_at(&c, i + 1);
	bk_ack(h, &c, bk_seg_at(&c, i + 4), s[0].tsval, blk, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKIgnoredDubious"), 3);
	ck_assert_uint_eq(steps(&c), 2);
}
END_TEST

START_TEST(test_rack_reo_wnd_back_after_16_recoveries)
{
	struct fx_conn c;
	struct tcp_sock *sk;
	unsigned i = spurious_resend(&c);

	ck_assert_uint_eq(late_by_14ms(&c, i), 0);
	sk = tcp_sock_by_id(h->e, c.s);
	ck_assert_uint_eq(steps(&c), 2);
	/* Recoveries with a real loss: no D-SACK, no undo. */
	bk_fill(h, &c);
	for (unsigned k = 1; k <= 15; k++) {
		/* Enough in flight for a loss round (cwnd grew back). */
		while (bk_info(h, &c).snd_cwnd < 6)
			(void)bk_round(h, &c, 10000);
		(void)bk_loss_round(h, &c, 10000);
		ck_assert_uint_eq(sk->rack.reo_wnd_persist, 16 - k);
		ck_assert_uint_eq(steps(&c), 2);
	}
	while (bk_info(h, &c).snd_cwnd < 6)
		(void)bk_round(h, &c, 10000);
	ck_assert_uint_eq(steps(&c), 2);
	(void)bk_loss_round(h, &c, 10000);
	ck_assert_uint_eq(sk->rack.reo_wnd_persist, 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSackRecovery"), 17);
	/* The next ACK delivering data narrows it. */
	(void)bk_round(h, &c, 10000);
	ck_assert_uint_eq(steps(&c), 1);
}
END_TEST

START_TEST(test_rack_static_reo_wnd)
{
	struct fx_conn c;
	unsigned i;

	/* Bit 2: the same D-SACK, the window stays; S6 is resent. */
	set_recovery("3");
	i = spurious_resend(&c);
	ck_assert_uint_eq(late_by_14ms(&c, i), 1);
	ck_assert_uint_eq(steps(&c), 1);
}
END_TEST

/* Timeouts alone: no loss probe, and no F-RTO (the holes go at once). */
static void
rto_only(void)
{
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_early_retrans",
	    "0"), 0);
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_frto", "0"), 0);
}

START_TEST(test_rack_timeout_spares_recent)
{
	struct fx_conn c;
	struct bk_seg s[16];
	uint64_t t1;
	uint32_t rto;

	rto_only();
	bk_establish(h, &c, 10000, true, NULL);
	/* S0 is ACKed 10 ms after it went: RACK's RTT is 10 ms. */
	bk_send_n(h, &c, BK_MSS);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	h_advance(h, 10000);
	bk_ack(h, &c, bk_seg_at(&c, 1), s[0].tsval, NULL, 0);
	rto = bk_info(h, &c).rto_us;
	/* S1..S3 go at t1, S4 5 ms before their RTO; all are lost. */
	t1 = h->now;
	bk_send_n(h, &c, 3 * BK_MSS);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 3);
	h_run_until(h, t1 + rto - 5000);
	H_EXPECT_NONE(h);
	bk_send_n(h, &c, BK_MSS);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 4));
	h_run_until(h, t1 + rto);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 1));
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_LOSS);
	/* S1..S3 are lost; S4, 5 ms old against a 10 ms RTT, is not. */
	ck_assert_uint_eq(bk_info(h, &c).unacked, 4);
	ck_assert_uint_eq(bk_info(h, &c).lost, 3);
	/*
	 * The resent S1 is ACKed 5 ms later, sooner than the minimum RTT:
	 * RACK cannot date it (the original may have arrived), so S4 still
	 * counts as in flight, and cwnd 2 lets one hole go: S2.
	 */
	h_advance(h, 5000);
	bk_ack(h, &c, bk_seg_at(&c, 2), s[0].tsval, NULL, 0);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, 2);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 2));
	ck_assert_uint_eq(bk_info(h, &c).lost, 2);
	ck_assert_uint_eq(bk_info(h, &c).retrans, 1);
}
END_TEST

START_TEST(test_rack_lost_resend_in_loss)
{
	struct fx_conn c;
	struct bk_seg s[32];
	struct tcp_info ti;
	socklen_t len;
	uint32_t blk[2], orig, rxt;

	rto_only();
	/* S0..S9 are lost: the RTO resends S0 with cwnd 1. */
	rxt = bk_timeout(h, &c, &orig);
	ck_assert_uint_eq(bk_info(h, &c).lost, 10);
	/* Its ACK: cwnd 2, and S1, S2 are resent. */
	h_advance(h, 10000);
	bk_ack(h, &c, bk_seg_at(&c, 1), rxt, NULL, 0);
	ck_assert_uint_eq(bk_take(h, &c, s, 32), 2);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 1));
	ck_assert_uint_eq(s[1].seq, bk_seg_at(&c, 2));
	ck_assert_uint_eq(bk_info(h, &c).retrans, 2);
	/*
	 * An RTT later the resent S2 is SACKed and the resent S1, sent
	 * with it, is not: lost again.  It goes now, and fast recovery
	 * takes over, with ssthresh from cwnd 2.
	 */
	h_advance(h, 10000);
	blk[0] = bk_seg_at(&c, 2);
	blk[1] = bk_seg_at(&c, 3);
	bk_ack(h, &c, bk_seg_at(&c, 1), s[1].tsval, blk, 1);
	ck_assert_uint_ge(bk_take(h, &c, s, 32), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 1));
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLostRetransmit"), 1);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_RECOVERY);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 2);
	ck_assert_uint_eq(bk_info(h, &c).sacked, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 1);
	/* The program sees the same through TCP_INFO, as ss -i shows it. */
	len = sizeof(ti);
	ck_assert_int_eq(tcpx_getsockopt(h->e, c.s, IPPROTO_TCP, TCP_INFO,
	    &ti, &len), 0);
	ck_assert_uint_eq(ti.tcpi_ca_state, TCP_CAS_RECOVERY);
	ck_assert_uint_eq(ti.tcpi_sacked, 1);
	ck_assert_uint_eq(ti.tcpi_lost, bk_info(h, &c).lost);
	ck_assert_uint_eq(ti.tcpi_lost, 8);	/* S1, S3..S9 */
	ck_assert_uint_eq(ti.tcpi_retrans, bk_info(h, &c).retrans);
	ck_assert_uint_eq(ti.tcpi_unacked, 9);
}
END_TEST

START_TEST(test_rack_reo_timer_in_loss)
{
	struct fx_conn c;
	struct bk_seg s[32];
	uint32_t blk[2];
	uint64_t t1, t2;

	rto_only();
	reordering_seen(&c);
	/* S3..S12 are lost: the RTO resends S3; its ACK lets S4, S5 go. */
	bk_send_n(h, &c, 10 * BK_MSS);
	t1 = h->now;
	ck_assert_uint_eq(bk_take(h, &c, s, 32), 10);
	h_run_until(h, t1 + bk_info(h, &c).rto_us);
	ck_assert_uint_eq(bk_take(h, &c, s, 32), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 3));
	h_advance(h, 10000);
	bk_ack(h, &c, bk_seg_at(&c, 4), s[0].tsval, NULL, 0);
	t2 = h->now;
	ck_assert_uint_eq(bk_take(h, &c, s, 32), 2);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 4));
	/*
	 * The resent S5 is SACKed an RTT later, the resent S4 not: within
	 * the reordering window (a quarter of the minimum RTT, reordering
	 * having been seen) it may yet come, so RACK's timer waits.  The
	 * slow start goes on with the next hole, S6.
	 */
	h_advance(h, 10000);
	blk[0] = bk_seg_at(&c, 5);
	blk[1] = bk_seg_at(&c, 6);
	bk_ack(h, &c, bk_seg_at(&c, 4), s[1].tsval, blk, 1);
	ck_assert_uint_eq(bk_take(h, &c, s, 32), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 6));
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_LOSS);
	ck_assert_uint_ne(tcp_sock_by_id(h->e, c.s)->reo_at, 0);
	/* It fires: S4 is lost again, goes again, and Recovery begins. */
	h_run_until(h, t2 + 10000 + 12000);
	ck_assert_uint_ge(bk_take(h, &c, s, 32), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 4));
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLostRetransmit"), 1);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_RECOVERY);
}
END_TEST

/* n segments written, and all of them go at once (into s). */
static void
send_segs(struct fx_conn *c, struct bk_seg *s, unsigned n)
{
	bk_send_n(h, c, n * BK_MSS);
	ck_assert_uint_eq(bk_take(h, c, s, 16), n);
}

/* An ACK up to segment `ack` that SACKs segments [from, to). */
static void
sack_one(struct fx_conn *c, unsigned ack, unsigned from, unsigned to,
    uint32_t ts)
{
	uint32_t blk[2] = { bk_seg_at(c, from), bk_seg_at(c, to) };

	bk_ack(h, c, bk_seg_at(c, ack), ts, blk, 1);
}

/*
 * The retransmission slot (tcp_xmit_timer_set).  RACK's timer takes it
 * from the RTO: S0 is ACKed at t1, so the RTO is due at t1 + RTO.  S1
 * is lost; S2 and S3 go 15 and 14 ms before that, and S3 is SACKed an
 * RTT later.  S1 is lost (fast retransmit); S2 may still come, so
 * RACK's timer waits for it until 8 ms past the old RTO deadline.  As
 * in Linux that deadline is gone: no timeout at it, and RACK's timer
 * resends S2 in Recovery.
 */
START_TEST(test_rack_reo_timer_takes_rto_slot)
{
	struct fx_conn c;
	struct bk_seg s[16];
	uint64_t t1, rto;

	rto_only();
	bk_establish(h, &c, 10000, true, NULL);
	send_segs(&c, s, 2);
	h_advance(h, 10000);
	bk_ack(h, &c, bk_seg_at(&c, 1), s[0].tsval, NULL, 0);
	t1 = h->now;
	rto = bk_info(h, &c).rto_us;
	ck_assert_uint_eq(bk_info(h, &c).timer_expires_us, rto);
	h_run_until(h, t1 + rto - 15000);
	send_segs(&c, s, 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 2));
	h_advance(h, 1000);
	send_segs(&c, s, 1);
	h_advance(h, 10000);
	sack_one(&c, 1, 3, 4, s[0].tsval);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 1));
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_RECOVERY);
	/* 1.5 ms to S2's deadline: a jiffy, plus TCP_TIMEOUT_MIN's two. */
	ck_assert_uint_eq(h->now, t1 + rto - 4000);
	ck_assert_uint_eq(tcp_sock_by_id(h->e, c.s)->rto_at, 0);
	ck_assert_uint_eq(bk_info(h, &c).timer_expires_us, 12000);
	h_run_until(h, t1 + rto + 8000 - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, t1 + rto + 8000);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 2));
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 0);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_RECOVERY);
	/* The RTO has the slot again, from the resent head, S1. */
	ck_assert_uint_eq(tcp_sock_by_id(h->e, c.s)->reo_at, 0);
	ck_assert_uint_eq(bk_info(h, &c).timer_expires_us, rto - 12000);
}
END_TEST

/*
 * Linux's tcp_xmit_retransmit_queue: resending the head restarts the
 * RTO.  S0 goes at t0 and S1..S3 50 ms later; the SACK for them, 10 ms
 * after, makes S0 lost and resent at t0 + 60 ms.  The RTO is due a
 * whole RTO after that resend, not after S0's first send.
 */
START_TEST(test_rack_head_resend_restarts_rto)
{
	struct fx_conn c;
	struct bk_seg s[16];
	uint64_t t0, rto;

	rto_only();
	bk_establish(h, &c, 10000, true, NULL);
	t0 = h->now;
	send_segs(&c, s, 1);
	h_advance(h, 50000);
	send_segs(&c, s, 3);
	h_advance(h, 10000);
	sack_one(&c, 0, 1, 4, s[2].tsval);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 0));
	rto = bk_info(h, &c).rto_us;
	ck_assert_uint_eq(bk_info(h, &c).timer_expires_us, rto);
	h_run_until(h, t0 + 60000 + rto - 1);
	H_EXPECT_NONE(h);
	h_run_until(h, t0 + 60000 + rto);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 0));
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 1);
}
END_TEST

/*
 * Linux's tcp_rearm_rto: an ACK of new data that finds RACK's timer in
 * the slot gives the RTO back, counted from when the head went, not
 * from the ACK.  S0 and S1 go at t0, S2 1 ms later; S2's SACK 10 ms on
 * finds S0 and S1 within the window (RACK's timer).  They arrive 1 ms
 * later: the head is now the SACKed S2, and the RTO is due at its send
 * plus RTO.
 */
START_TEST(test_rack_ack_rearms_rto_from_head)
{
	struct fx_conn c;
	struct bk_seg s[16];
	uint64_t t0;

	rto_only();
	bk_establish(h, &c, 10000, true, NULL);
	t0 = h->now;
	send_segs(&c, s, 2);
	h_advance(h, 1000);
	send_segs(&c, s, 1);
	h_advance(h, 10000);
	sack_one(&c, 0, 2, 3, s[0].tsval);
	H_EXPECT_NONE(h);
	ck_assert_uint_ne(tcp_sock_by_id(h->e, c.s)->reo_at, 0);
	h_advance(h, 1000);
	sack_one(&c, 2, 2, 3, s[0].tsval);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(tcp_sock_by_id(h->e, c.s)->reo_at, 0);
	ck_assert_uint_eq(tcp_sock_by_id(h->e, c.s)->rto_at,
	    t0 + 1000 + bk_info(h, &c).rto_us);
}
END_TEST

static Suite *
rack_suite(void)
{
	Suite *s = suite_create("tcp_rack");
	TCase *tc = tcase_create("rack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rack_lost_with_two_sacked);
	tcase_add_test(tc, test_rack_reordering_within_window);
	tcase_add_test(tc, test_rack_no_dupthresh_reordering);
	tcase_add_test(tc, test_rack_reo_timer_fires);
	tcase_add_test(tc, test_rack_lost_retransmission);
	tcase_add_test(tc, test_rack_off_keeps_rfc6675);
	tcase_add_test(tc, test_rack_dsack_widens_window);
	tcase_add_test(tc, test_rack_dsack_step_then_dubious);
	tcase_add_test(tc, test_rack_reo_wnd_back_after_16_recoveries);
	tcase_add_test(tc, test_rack_static_reo_wnd);
	tcase_add_test(tc, test_rack_timeout_spares_recent);
	tcase_add_test(tc, test_rack_lost_resend_in_loss);
	tcase_add_test(tc, test_rack_reo_timer_in_loss);
	tcase_add_test(tc, test_rack_reo_timer_takes_rto_slot);
	tcase_add_test(tc, test_rack_head_resend_restarts_rto);
	tcase_add_test(tc, test_rack_ack_rearms_rto_from_head);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rack_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
