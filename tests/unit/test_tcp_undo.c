/*
 * test_tcp_undo.c - a reduction found spurious is undone, as Linux's
 * tcp_try_undo_* (core/tcp_recovery.c), segment by segment against a
 * scripted peer on the fake clock (handshake 10 ms, so the RTO is
 * 210 ms):
 *   - Eifel (RFC 3522, Linux's tcp_packet_delayed): the ACK that ends a
 *     fast recovery echoes the TSval of the original, sent before the
 *     resend: cwnd and ssthresh as before (TCPFullUndo); the same ACK
 *     echoing the resend's TSval: no undo, cwnd = ssthresh;
 *   - a D-SACK for the resend, after the recovery ended: undone late
 *     (TCPDSACKUndo), once; a repeat is dubious;
 *   - after a timeout, an ACK echoing the original's TSval: TCPLossUndo;
 *   - F-RTO (RFC 5682, net.ipv4.tcp_frto): after a timeout the ACK of
 *     the resent head lets new data go, not the next hole; an ACK of
 *     data never resent then calls the timeout spurious
 *     (TCPSpuriousRTOs, TCPLossUndo); a SACK of the new data instead
 *     says the loss was real, and the holes go;
 *   - net.ipv4.tcp_frto 0: the holes go at once.
 */
#include <check.h>
#include <string.h>

#include "harness.h"
#include "bulk_fixture.h"

static struct harness *h;

static void
setup(void)
{
	h = h_new();
	/* No loss probe: the timeouts below come from the RTO alone. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_early_retrans",
	    "0"), 0);
}

static void
teardown(void)
{
	h_free(h);
	h = NULL;
}

/*
 * S0..S9 go at t0 (cwnd 10; 20 segments queued); an RTT later S1..S4
 * are SACKed: S0 is lost (DupThresh), fast retransmit.  *orig is the
 * TSval of the first flight, *rxt that of the resend.
 */
static void
fast_retransmit(struct fx_conn *c, uint32_t *orig, uint32_t *rxt)
{
	struct bk_seg s[32];
	uint32_t blk[2];

	bk_establish(h, c, 10000, true, NULL);
	bk_send_n(h, c, 20 * BK_MSS);
	ck_assert_uint_eq(bk_take(h, c, s, 32), 10);
	*orig = s[0].tsval;
	h_advance(h, 10000);
	blk[0] = bk_seg_at(c, 1);
	blk[1] = bk_seg_at(c, 5);
	bk_ack(h, c, bk_seg_at(c, 0), s[9].tsval, blk, 1);
	ck_assert(bk_ca_state(h, c) == TCP_CAS_RECOVERY);
	ck_assert_uint_ge(bk_take(h, c, s, 32), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(c, 0));
	*rxt = s[0].tsval;
	ck_assert_uint_lt(*orig, *rxt);
	ck_assert_uint_eq(bk_info(h, c).snd_ssthresh, 7);
}

START_TEST(test_full_undo_by_timestamp)
{
	struct fx_conn c;
	uint32_t orig, rxt;

	fast_retransmit(&c, &orig, &rxt);
	/* The original S0 was only late: the ACK echoes its TSval. */
	h_advance(h, 2000);
	bk_ack(h, &c, bk_seg_at(&c, 10), orig, NULL, 0);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_OPEN);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFullUndo"), 1);
	ck_assert_uint_ge(bk_info(h, &c).snd_cwnd, 10);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 0x7fffffff);
}
END_TEST

START_TEST(test_no_undo_for_needed_resend)
{
	struct fx_conn c;
	uint32_t orig, rxt;

	fast_retransmit(&c, &orig, &rxt);
	/* The resend filled the hole: its TSval is echoed; cwnd 7. */
	h_advance(h, 10000);
	bk_ack(h, &c, bk_seg_at(&c, 10), rxt, NULL, 0);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_OPEN);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFullUndo"), 0);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, 7);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 7);
}
END_TEST

START_TEST(test_late_dsack_undo)
{
	struct fx_conn c;
	uint32_t orig, rxt, blk[2];

	fast_retransmit(&c, &orig, &rxt);
	h_advance(h, 10000);
	bk_ack(h, &c, bk_seg_at(&c, 10), rxt, NULL, 0);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, 7);
	(void)bk_take(h, &c, (struct bk_seg[32]){ 0 }, 32);
	/* Then the original S0 arrives after all: D-SACK, in Open. */
	h_advance(h, 1000);
	blk[0] = bk_seg_at(&c, 0);
	blk[1] = bk_seg_at(&c, 1);
	bk_ack(h, &c, bk_seg_at(&c, 10), rxt, blk, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKRecv"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKUndo"), 1);
	ck_assert_uint_ge(bk_info(h, &c).snd_cwnd, 10);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 0x7fffffff);
	/* Once: the same D-SACK again is more than was resent. */
	bk_ack(h, &c, bk_seg_at(&c, 10), rxt, blk, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKUndo"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKIgnoredDubious"), 1);
}
END_TEST

START_TEST(test_loss_undo_by_timestamp)
{
	struct fx_conn c;
	uint32_t orig;

	(void)bk_timeout(h, &c, &orig);
	/* The flight was only delayed: its ACK echoes the original. */
	h_advance(h, 5000);
	bk_ack(h, &c, bk_seg_at(&c, 10), orig, NULL, 0);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_OPEN);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLossUndo"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSpuriousRTOs"), 0);
	ck_assert_uint_ge(bk_info(h, &c).snd_cwnd, 10);
}
END_TEST

/* The resent S0 is ACKed (its TSval echoed): F-RTO sends S10, S11. */
static void
frto_new_data(struct fx_conn *c, struct bk_seg *s, uint32_t rxt)
{
	h_advance(h, 10000);
	bk_ack(h, c, bk_seg_at(c, 1), rxt, NULL, 0);
	ck_assert_uint_eq(bk_take(h, c, s, 32), 2);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(c, 10));
	ck_assert_uint_eq(s[1].seq, bk_seg_at(c, 11));
	ck_assert(bk_ca_state(h, c) == TCP_CAS_LOSS);
}

START_TEST(test_frto_spurious_timeout)
{
	struct fx_conn c;
	struct bk_seg s[32];
	uint32_t orig, rxt = bk_timeout(h, &c, &orig);

	frto_new_data(&c, s, rxt);
	/* S1..S9, never resent, are ACKed with S10, S11: spurious. */
	h_advance(h, 10000);
	bk_ack(h, &c, bk_seg_at(&c, 12), s[1].tsval, NULL, 0);
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_OPEN);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSpuriousRTOs"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLossUndo"), 1);
	ck_assert_uint_ge(bk_info(h, &c).snd_cwnd, 10);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 0x7fffffff);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 1);
}
END_TEST

START_TEST(test_frto_real_loss)
{
	struct fx_conn c;
	struct bk_seg s[32];
	uint32_t orig, rxt = bk_timeout(h, &c, &orig), blk[2];

	frto_new_data(&c, s, rxt);
	/* S10, S11 SACKed, S1 still missing: the loss was real. */
	h_advance(h, 10000);
	blk[0] = bk_seg_at(&c, 10);
	blk[1] = bk_seg_at(&c, 12);
	bk_ack(h, &c, bk_seg_at(&c, 1), s[1].tsval, blk, 1);
	ck_assert_uint_ge(bk_take(h, &c, s, 32), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 1));
	ck_assert(bk_ca_state(h, &c) == TCP_CAS_LOSS);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSpuriousRTOs"), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLossUndo"), 0);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 7);
}
END_TEST

START_TEST(test_frto_off)
{
	struct fx_conn c;
	struct bk_seg s[32];
	uint32_t orig, rxt;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_frto", "0"), 0);
	rxt = bk_timeout(h, &c, &orig);
	/* The resent head is ACKed: the next hole goes, in slow start. */
	h_advance(h, 10000);
	bk_ack(h, &c, bk_seg_at(&c, 1), rxt, NULL, 0);
	ck_assert_uint_eq(bk_take(h, &c, s, 32), 2);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(&c, 1));
	ck_assert_uint_eq(s[1].seq, bk_seg_at(&c, 2));
}
END_TEST

static Suite *
undo_suite(void)
{
	Suite *s = suite_create("tcp_undo");
	TCase *tc = tcase_create("undo");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full_undo_by_timestamp);
	tcase_add_test(tc, test_no_undo_for_needed_resend);
	tcase_add_test(tc, test_late_dsack_undo);
	tcase_add_test(tc, test_loss_undo_by_timestamp);
	tcase_add_test(tc, test_frto_spurious_timeout);
	tcase_add_test(tc, test_frto_real_loss);
	tcase_add_test(tc, test_frto_off);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(undo_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
