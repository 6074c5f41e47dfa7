/*
 * test_tcp_sack.c - loss recovery with and without SACK, D-SACK, and
 * the RTT estimator (core/tcp_sack.c, tcp_recovery.c, tcp_input.c,
 * tcp_subr.c), segment by segment against a scripted peer:
 *   - RFC 6675: with two holes and SACK blocks from the peer, exactly
 *     the two holes are resent, each when IsLost (DupThresh 3) and
 *     pipe < cwnd say so, with new data in between as PRR (RFC 6937,
 *     Linux) paces it; nothing SACKed is ever resent;
 *   - RFC 6582 NewReno without SACK: fast retransmit on the third
 *     duplicate ACK, new data as later duplicates arrive (PRR), the
 *     next hole resent at once on the partial ACK, cwnd = ssthresh at
 *     the end;
 *   - RFC 2883: a duplicate segment is reported in the first SACK block
 *     (TCPDSACKOldSent; TCPDSACKOfoSent for one already held out of
 *     order), not when net.ipv4.tcp_dsack is 0; a D-SACK from the peer
 *     is counted (TCPDSACKRecv) and is no loss;
 *   - Linux's tcp_rtt_estimator from timed segments and timestamps.
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

/* Next segment must be new data at *next (full MSS); advances *next. */
static void
expect_new(struct fx_conn *c, uint32_t *next, unsigned n)
{
	struct bk_seg s[8];

	ck_assert_uint_le(n, 8);
	ck_assert_uint_eq(bk_take(h, c, s, 8), n);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_uint_eq(s[i].seq, *next);
		ck_assert_uint_eq(s[i].len, BK_MSS);
		*next += BK_MSS;
	}
}

/*
 * What one ACK released: the resend of [rexmit, rexmit + MSS) first if
 * rexmit is not 0, then nnew new segments at *next.  Returns the
 * resend's TSval, which the ACK for it echoes.
 */
static uint32_t
expect_step(struct fx_conn *c, uint32_t rexmit, uint32_t *next,
    unsigned nnew)
{
	struct bk_seg s[16];
	unsigned n = bk_take(h, c, s, 16), i = 0;
	uint32_t tsval = 0;

	ck_assert_uint_eq(n, (rexmit != 0 ? 1 : 0) + nnew);
	if (rexmit != 0) {
		ck_assert_uint_eq(s[0].seq, rexmit);
		ck_assert_uint_eq(s[0].len, BK_MSS);
		tsval = s[0].tsval;
		i++;
	}
	for (; i < n; i++) {
		ck_assert_uint_eq(s[i].seq, *next);
		ck_assert_uint_eq(s[i].len, BK_MSS);
		*next += BK_MSS;
	}
	return tsval;
}

/* Next (only) segment must resend [seq, seq + MSS). */
static uint32_t
expect_rexmit(struct fx_conn *c, uint32_t seq)
{
	struct bk_seg s[8];

	ck_assert_uint_eq(bk_take(h, c, s, 8), 1);
	ck_assert_uint_eq(s[0].seq, seq);
	ck_assert_uint_eq(s[0].len, BK_MSS);
	return s[0].tsval;
}

START_TEST(test_sack_resends_holes_only)
{
	struct fx_conn c;
	struct bk_seg s[16];
	uint32_t S[32], next, blk[4], ts, ts2, ts5;
	struct tcpx_sockinfo info;

	/*
	 * RFC 6675 on its own: RACK (on by default, as Linux) would call
	 * S5 lost as soon as S6, sent after it, is SACKed.
	 */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_recovery", "0"),
	    0);
	bk_establish(h, &c, 10000, true, NULL);
	/* Data enough for all that recovery may send. */
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, SOL_SOCKET, SO_SNDBUF,
	    &(int){ 1 << 20 }, sizeof(int)), 0);
	bk_fill(h, &c);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 10);
	for (unsigned i = 0; i < 32; i++)
		S[i] = c.iss + 1 + i * BK_MSS;	/* start of segment i */
	ts = s[9].tsval;
	h_advance(h, 10000);
	/* S0, S1 acknowledged: slow start, cwnd 12, S10..S13 go. */
	bk_ack(h, &c, S[2], ts, NULL, 0);
	next = S[10];
	expect_new(&c, &next, 4);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, 12);
	/* S2 and S5 are lost.  S3 arrives: one SACK; limited transmit. */
	blk[0] = S[3]; blk[1] = S[4];
	bk_ack(h, &c, S[2], ts, blk, 1);
	expect_new(&c, &next, 1);
	blk[1] = S[5];
	bk_ack(h, &c, S[2], ts, blk, 1);
	expect_new(&c, &next, 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 0);
	/*
	 * S6 arrives: three segments SACKed above S2, so IsLost(S2):
	 * recovery, ssthresh = cwnd 12 * 0.7 = 8.  From here cwnd follows
	 * PRR (RFC 6937, as Linux): pipe (14 sent - 3 SACKed - S2 lost =
	 * 10) plus ceil(8/12 * delivered) - sent: S2 goes at once.
	 */
	blk[0] = S[6]; blk[1] = S[7]; blk[2] = S[3]; blk[3] = S[5];
	bk_ack(h, &c, S[2], ts, blk, 2);
	ts2 = expect_step(&c, S[2], &next, 0);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.snd_ssthresh, 8);
	ck_assert_uint_eq(info.snd_cwnd, 11);
	/* S7: S5 not lost yet (two SACKed above); PRR allows one: new. */
	blk[1] = S[8];
	bk_ack(h, &c, S[2], ts, blk, 2);
	expect_step(&c, 0, &next, 1);
	/* S8: S5 is lost now; pipe 9, PRR's share is used up. */
	blk[1] = S[9];
	bk_ack(h, &c, S[2], ts, blk, 2);
	H_EXPECT_NONE(h);
	/* S9: pipe 8 = ssthresh: nothing. */
	blk[1] = S[10];
	bk_ack(h, &c, S[2], ts, blk, 2);
	H_EXPECT_NONE(h);
	/* S10: pipe 7, below ssthresh: S5 is resent (only it). */
	blk[1] = S[11];
	bk_ack(h, &c, S[2], ts, blk, 2);
	ts5 = expect_step(&c, S[5], &next, 0);
	/*
	 * The resent S2 arrives: partial ACK up to the S5 hole, echoing
	 * the resend's TSval (it was needed: no undo); one new.
	 */
	blk[0] = S[6]; blk[1] = S[11];
	bk_ack(h, &c, S[5], ts2, blk, 1);
	expect_step(&c, 0, &next, 1);
	/* S11..S15 SACKed: pipe 3, back up to ssthresh 8: five new. */
	blk[1] = S[16];
	bk_ack(h, &c, S[5], ts2, blk, 1);
	expect_step(&c, 0, &next, 5);
	/* The resent S5 fills it all: recovery is over. */
	bk_ack(h, &c, next, ts5, NULL, 0);
	h_clear_out(h);
	/* Exactly the two holes were resent, as fast retransmits. */
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 2);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastRetrans"), 2);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSackRecovery"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFullUndo"), 0);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.snd_cwnd, 8);
	ck_assert_uint_eq(info.total_retrans, 2);
}
END_TEST

START_TEST(test_newreno_partial_ack)
{
	struct fx_conn c;
	struct bk_seg s[16];
	uint32_t S[32], next, ts, ts0;
	struct tcpx_sockinfo info;

	bk_establish(h, &c, 10000, false, NULL);
	ck_assert_uint_eq(bk_info(h, &c).options & TCPX_OPT_SACK, 0);
	bk_fill(h, &c);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 10);
	for (unsigned i = 0; i < 32; i++)
		S[i] = c.iss + 1 + i * BK_MSS;
	ts = s[9].tsval;
	next = S[10];
	h_advance(h, 10000);
	/*
	 * S0 and S4 lost; S1, S2 bring duplicate ACKs: each lets one new
	 * segment out (limited transmit, RFC 3042; Linux's Reno SACK
	 * emulation).
	 */
	bk_ack(h, &c, S[0], ts, NULL, 0);
	expect_new(&c, &next, 1);
	bk_ack(h, &c, S[0], ts, NULL, 0);
	expect_new(&c, &next, 1);
	/*
	 * The third duplicate: fast retransmit; ssthresh 7, cwnd by PRR:
	 * pipe (12 sent - 3 gone - S0 lost = 8) + 1.
	 */
	bk_ack(h, &c, S[0], ts, NULL, 0);
	ts0 = expect_rexmit(&c, S[0]);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.snd_ssthresh, 7);
	ck_assert_uint_eq(info.snd_cwnd, 9);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPRenoRecovery"), 1);
	/*
	 * S5..S9: each duplicate is a segment gone from the network; PRR
	 * sends 7 for every 10 delivered (ssthresh / prior cwnd) while
	 * pipe is above ssthresh, then keeps pipe at ssthresh.
	 */
	bk_ack(h, &c, S[0], ts, NULL, 0);
	expect_new(&c, &next, 1);
	bk_ack(h, &c, S[0], ts, NULL, 0);
	expect_new(&c, &next, 1);
	bk_ack(h, &c, S[0], ts, NULL, 0);
	H_EXPECT_NONE(h);
	bk_ack(h, &c, S[0], ts, NULL, 0);
	H_EXPECT_NONE(h);
	bk_ack(h, &c, S[0], ts, NULL, 0);
	expect_new(&c, &next, 1);
	/*
	 * Partial ACK up to the S4 hole (for the resent S0, whose TSval
	 * it echoes): resent at once, then new data.
	 */
	bk_ack(h, &c, S[4], ts0, NULL, 0);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 2);
	ck_assert_uint_eq(s[0].seq, S[4]);
	ck_assert_uint_eq(s[0].len, BK_MSS);
	ck_assert_uint_eq(s[1].seq, next);
	next += BK_MSS;
	/* The full ACK ends recovery: cwnd = ssthresh (RFC 6582 3.2). */
	bk_ack(h, &c, S[12], s[0].tsval, NULL, 0);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.snd_cwnd, 7);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 2);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastRetrans"), 2);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 0);
}
END_TEST

/*
 * More duplicate ACKs than segments beyond the hole cannot all be
 * segments that got through: Linux's Reno emulation caps the count and
 * takes the excess for reordering (tcp_check_reno_reordering).
 */
START_TEST(test_newreno_reordering)
{
	struct fx_conn c;
	struct bk_seg s[16];
	struct tcpx_sockinfo info;
	uint32_t ts;

	bk_establish(h, &c, 10000, false, NULL);
	bk_send_n(h, &c, 5 * BK_MSS);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 5);
	ts = s[4].tsval;
	h_advance(h, 10000);
	/* Three duplicates: fast retransmit of the head. */
	for (int i = 0; i < 3; i++)
		bk_ack(h, &c, c.iss + 1, ts, NULL, 0);
	(void)expect_rexmit(&c, c.iss + 1);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.sacked, 3);
	ck_assert_uint_eq(info.reordering, 3);
	ck_assert_uint_eq(info.reord_seen, 0);
	/* The fourth is the last the four segments after the hole allow. */
	bk_ack(h, &c, c.iss + 1, ts, NULL, 0);
	ck_assert_uint_eq(bk_info(h, &c).reord_seen, 0);
	/* A fifth: the count stays at four, the degree becomes 5 in flight. */
	bk_ack(h, &c, c.iss + 1, ts, NULL, 0);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.sacked, 4);
	ck_assert_uint_eq(info.reordering, 5);
	ck_assert_uint_eq(info.reord_seen, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPRenoReorder"), 1);
}
END_TEST

START_TEST(test_dsack_sent_for_duplicate)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint32_t base;

	fx_establish(h, &c);
	base = c.rcv;
	fx_peer(h, &c, TH_ACK | TH_PSH, "0123456789", 10);
	h_run_until(h, h->now + 200000);	/* the delayed ACK */
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base + 10);
	ck_assert_uint_eq(seg.opt.nsack, 0);
	/* The same segment again: ACK at once with a D-SACK for it. */
	fx_send(h, &c, TH_ACK | TH_PSH, base, c.snd, "0123456789", 10, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base + 10);
	ck_assert_uint_eq(seg.opt.nsack, 1);
	ck_assert_uint_eq(seg.opt.sack[0].start, base);
	ck_assert_uint_eq(seg.opt.sack[0].end, base + 10);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKOldSent"), 1);
	/* Reported once: the next ACK has no block. */
	fx_peer(h, &c, TH_ACK | TH_PSH, "abcdefghij", 10);
	h_run_until(h, h->now + 200000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base + 20);
	ck_assert_uint_eq(seg.opt.nsack, 0);
	/* net.ipv4.tcp_dsack = 0: a plain duplicate ACK. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_dsack", "0"), 0);
	fx_send(h, &c, TH_ACK | TH_PSH, base + 10, c.snd, "abcdefghij", 10,
	    65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base + 20);
	ck_assert_uint_eq(seg.opt.nsack, 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKOldSent"), 1);
}
END_TEST

START_TEST(test_dsack_sent_for_ofo_duplicate)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint32_t base;

	fx_establish(h, &c);
	base = c.rcv;
	/* Held out of order, then the same bytes again. */
	fx_send(h, &c, TH_ACK, base + 10, c.snd, "BBBBBBBBBB", 10, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base);
	ck_assert_uint_eq(seg.opt.nsack, 1);
	fx_send(h, &c, TH_ACK, base + 10, c.snd, "BBBBBBBBBB", 10, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base);
	/* First the D-SACK, then the block that holds it (RFC 2883 4.2). */
	ck_assert_uint_eq(seg.opt.nsack, 2);
	ck_assert_uint_eq(seg.opt.sack[0].start, base + 10);
	ck_assert_uint_eq(seg.opt.sack[0].end, base + 20);
	ck_assert_uint_eq(seg.opt.sack[1].start, base + 10);
	ck_assert_uint_eq(seg.opt.sack[1].end, base + 20);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKOfoSent"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKOldSent"), 0);
}
END_TEST

/* Our ACK's SACK blocks, in order: n of them, as (start, end) offsets. */
static void
expect_blocks(const struct tcp_seg *seg, uint32_t base, unsigned n,
    const uint32_t *want)
{
	unsigned i;

	ck_assert_uint_eq(seg->opt.nsack, n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(seg->opt.sack[i].start - base, want[2 * i]);
		ck_assert_uint_eq(seg->opt.sack[i].end - base, want[2 * i + 1]);
	}
}

/* Ten bytes at base + off, out of order; take our duplicate ACK. */
static void
ofo_ten(struct fx_conn *c, struct tcp_seg *seg, uint32_t base, uint32_t off)
{
	fx_send(h, c, TH_ACK, base + off, c->snd, "0123456789", 10, 65535);
	fx_expect(h, c, seg, TH_ACK, c->snd, c->rcv);
}

/*
 * Linux's receiver keeps four SACK blocks in the order they last
 * changed (tcp_sack_new_ofo_skb) and sends as many as fit, three beside
 * timestamps.  A fifth hole pushes the oldest block out of the list,
 * even though the data stays queued.
 */
START_TEST(test_sack_blocks_most_recent_first)
{
	static const uint32_t five[] = { 100, 110, 80, 90, 60, 70 };
	static const uint32_t joined[] = { 30, 50, 100, 110, 80, 90 };
	static const uint32_t dup[] = { 80, 90, 80, 90, 30, 50 };
	static const uint32_t filled[] = { 80, 90, 100, 110, 60, 70 };
	struct fx_conn c;
	struct tcp_seg seg;
	uint32_t base, off;

	fx_establish(h, &c);
	base = c.rcv;
	/* Every duplicate ACK at once (test_sack_compression holds some). */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_comp_sack_nr",
	    "0"), 0);
	/* Five holes: each new block goes first. */
	for (off = 20; off <= 100; off += 20) {
		ofo_ten(&c, &seg, base, off);
		ck_assert_uint_eq(seg.opt.sack[0].start - base, off);
	}
	expect_blocks(&seg, base, 3, five);
	/* [30, 40) joins [40, 50), which goes first.  [20, 30), forgotten
	 * with the fifth hole, is not reported again. */
	ofo_ten(&c, &seg, base, 30);
	expect_blocks(&seg, base, 3, joined);
	/* A duplicate: the D-SACK, then its block, moved to the front. */
	ofo_ten(&c, &seg, base, 80);
	expect_blocks(&seg, base, 3, dup);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKOfoSent"), 1);
	/* In order up to 50: the block that RCV.NXT reached goes. */
	fx_send(h, &c, TH_ACK, base, c.snd, "01234567890123456789", 20, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base + 50);
	expect_blocks(&seg, base, 3, filled);
}
END_TEST

/*
 * Bytes that come twice are reported as Linux does: the first stretch a
 * segment shares with the reassembly queue (tcp_data_queue_ofo), and
 * what in-order data shares with it (tcp_ofo_queue).
 */
START_TEST(test_dsack_sent_for_overlaps)
{
	static const uint32_t part[] = { 15, 20, 10, 25 };
	static const uint32_t span[] = { 30, 35, 28, 40, 10, 25 };
	static const uint32_t pulled[] = { 10, 15, 28, 40 };
	struct fx_conn c;
	struct tcp_seg seg;
	uint32_t base;

	fx_establish(h, &c);
	base = c.rcv;
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_comp_sack_nr",
	    "0"), 0);
	ofo_ten(&c, &seg, base, 10);
	/* [15, 25) over [10, 20): D-SACK [15, 20), block [10, 25). */
	fx_send(h, &c, TH_ACK, base + 15, c.snd, "0123456789", 10, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base);
	expect_blocks(&seg, base, 2, part);
	/* [28, 40) over [30, 35): D-SACK [30, 35), which grows to the
	 * block [28, 40). */
	fx_send(h, &c, TH_ACK, base + 30, c.snd, "01234", 5, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base);
	fx_send(h, &c, TH_ACK, base + 28, c.snd, "012345678901", 12, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base);
	expect_blocks(&seg, base, 3, span);
	/* In order [0, 15) over [10, 25): D-SACK [10, 15), old data. */
	fx_send(h, &c, TH_ACK, base, c.snd, "012345678901234", 15, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base + 25);
	expect_blocks(&seg, base, 2, pulled);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKOldSent"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKOfoSent"), 2);
}
END_TEST

/*
 * Linux's SACK compression: the first three duplicate ACKs for one
 * RCV.NXT go at once; later ones are held 5% of the RTT (here 10 ms:
 * 500 us) and go as one.  tcp_comp_sack_nr = 0 turns it off.
 */
START_TEST(test_sack_compression)
{
	static const uint32_t all[] = { 10, 1508 };
	static const uint8_t full[1448];
	struct fx_conn c;
	struct tcp_seg seg;
	uint32_t base, off;
	uint64_t t0;

	fx_establish(h, &c);
	base = c.rcv;
	/*
	 * The first hole's segment is full-sized and echoes our ACK's
	 * TSval 10 ms later: the receiver's RTT is 10 ms, as the srtt.
	 * (In-order data would put a new connection in quick-ACK mode,
	 * which sends every ACK at once.)
	 */
	h_advance(h, 10000);
	fx_send(h, &c, TH_ACK, base + 10, c.snd, full, sizeof(full), 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base);
	for (off = 1458; off < 1478; off += 10)
		ofo_ten(&c, &seg, base, off);
	t0 = h->now;
	/* Three more in the same burst: held. */
	for (; off < 1508; off += 10) {
		fx_send(h, &c, TH_ACK, base + off, c.snd, "0123456789", 10,
		    65535);
		H_EXPECT_NONE(h);
	}
	h_run_until(h, t0 + 499);
	H_EXPECT_NONE(h);
	h_run_until(h, t0 + 500);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base);
	expect_blocks(&seg, base, 1, all);
	/* One went for three: two are counted, as Linux counts them. */
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAckCompressed"), 2);
	H_EXPECT_NONE(h);
	/* The hole fills: the ACK goes at once, and the count starts
	 * again for the new RCV.NXT. */
	fx_send(h, &c, TH_ACK, base, c.snd, "0123456789", 10, 65535);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base + 1508);
	ck_assert_uint_eq(seg.opt.nsack, 0);
	c.rcv = base + 1508;
	ofo_ten(&c, &seg, base, 1518);
	/* Off: every duplicate ACK at once. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_comp_sack_nr",
	    "0"), 0);
	for (off = 1538; off < 1598; off += 10)
		ofo_ten(&c, &seg, base, off);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAckCompressed"), 2);
}
END_TEST

/*
 * Without a receiver RTT estimate yet, Linux's delay is 0 ns: the held
 * ACK goes when the timer runs, with no time passing.
 */
START_TEST(test_sack_compression_without_rtt)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint32_t base, off;
	uint64_t t0;

	fx_establish(h, &c);
	base = c.rcv;
	for (off = 10; off < 40; off += 10)
		ofo_ten(&c, &seg, base, off);
	t0 = h->now;
	fx_send(h, &c, TH_ACK, base + 40, c.snd, "0123456789", 10, 65535);
	h_run_until(h, t0);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, base);
	ck_assert_uint_eq(h->now, t0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAckCompressed"), 0);
	H_EXPECT_NONE(h);
}
END_TEST

START_TEST(test_dsack_received_is_no_loss)
{
	struct fx_conn c;
	struct bk_seg s[16];
	uint32_t blk[4], S0, ts;
	struct tcpx_sockinfo before, after;

	bk_establish(h, &c, 10000, true, NULL);
	bk_fill(h, &c);
	ck_assert_uint_eq(bk_take(h, &c, s, 16), 10);
	S0 = s[0].seq;
	ts = s[9].tsval;
	h_advance(h, 10000);
	bk_ack(h, &c, s[4].seq, ts, NULL, 0);
	h_clear_out(h);
	before = bk_info(h, &c);
	/*
	 * Three duplicate ACKs that each carry a D-SACK (a block below
	 * the ACK: S1 arrived twice).  Duplicates, yet no loss.
	 */
	blk[0] = S0 + BK_MSS;
	blk[1] = S0 + 2 * BK_MSS;
	for (int i = 0; i < 3; i++)
		bk_ack(h, &c, s[4].seq, ts, blk, 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKRecv"), 3);
	/* A D-SACK inside the second block is one too (RFC 2883 4.2). */
	blk[0] = s[6].seq; blk[1] = s[7].seq;
	blk[2] = s[6].seq; blk[3] = s[8].seq;
	bk_ack(h, &c, s[4].seq, ts, blk, 2);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKRecv"), 3);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKOfoRecv"), 1);
	/*
	 * We never resent anything: the network duplicated them, and
	 * Linux's filter calls such D-SACKs dubious (no undo, no reorder
	 * window step from them).
	 */
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKIgnoredDubious"), 4);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPDSACKRecvSegs"), 0);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastRetrans"), 0);
	after = bk_info(h, &c);
	ck_assert_uint_eq(after.snd_ssthresh, before.snd_ssthresh);
}
END_TEST

START_TEST(test_rtt_estimator)
{
	struct fx_conn c;
	struct bk_seg s[4];
	struct tcpx_sockinfo info;

	/* The handshake's 10 ms: srtt 10, rttvar 5, RTO 10 + 200 ms. */
	bk_establish(h, &c, 10000, true, NULL);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.rtt_us, 10000);
	ck_assert_uint_eq(info.rttvar_us, 5000);
	ck_assert_uint_eq(info.rto_us, 210000);
	/* A segment, acknowledged 30 ms after it went. */
	bk_send_n(h, &c, 1);
	ck_assert_uint_eq(bk_take(h, &c, s, 4), 1);
	h_advance(h, 30000);
	bk_ack(h, &c, s[0].seq + 1, s[0].tsval, NULL, 0);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.rtt_us, 12500);
	ck_assert_uint_eq(info.rttvar_us, 8750);
	ck_assert_uint_eq(info.rto_us, 212500);
	/* Two segments, each acknowledged alone: the first 20 ms... */
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, IPPROTO_TCP, TCP_NODELAY,
	    &(int){ 1 }, sizeof(int)), 0);
	bk_send_n(h, &c, 1);
	bk_send_n(h, &c, 1);
	ck_assert_uint_eq(bk_take(h, &c, s, 4), 2);
	h_advance(h, 20000);
	bk_ack(h, &c, s[0].seq + 1, s[0].tsval, NULL, 0);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.rtt_us, 13437);
	ck_assert_uint_eq(info.rttvar_us, 8437);
	/* ... the second 26 ms after it went. */
	h_advance(h, 6000);
	bk_ack(h, &c, s[1].seq + 1, s[1].tsval, NULL, 0);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.rtt_us, 15007);
	ck_assert_uint_eq(info.rttvar_us, 9469);
	ck_assert_uint_eq(info.rto_us, 215007);
	/* A 400 ms sample: the variance (and RTO) follow at once. */
	bk_send_n(h, &c, 1);
	ck_assert_uint_eq(bk_take(h, &c, s, 4), 1);
	h_advance(h, 400000);
	bk_ack(h, &c, s[0].seq + 1, s[0].tsval, NULL, 0);
	info = bk_info(h, &c);
	ck_assert_uint_eq(info.rtt_us, 63132);
	ck_assert_uint_eq(info.rttvar_us, 103350);
	ck_assert_uint_eq(info.rto_us, 476532);
}
END_TEST

START_TEST(test_rtt_from_send_times)
{
	struct fx_conn c;
	struct bk_seg s[4];

	/*
	 * The estimator's sample is the first segment an ACK newly
	 * covers, timed from when it went, in microseconds (Linux's
	 * seq_rtt_us), as CUBIC's is the last (ca_rtt_us).
	 */
	bk_establish(h, &c, 10000, true, NULL);
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, IPPROTO_TCP, TCP_NODELAY,
	    &(int){ 1 }, sizeof(int)), 0);
	bk_send_n(h, &c, 1);
	h_advance(h, 5000);
	bk_send_n(h, &c, 1);
	ck_assert_uint_eq(bk_take(h, &c, s, 4), 2);
	/* One ACK for both, 25 and 20 ms after they went: 25 counts. */
	h_advance(h, 20000);
	bk_ack(h, &c, s[1].seq + 1, s[0].tsval, NULL, 0);
	/* srtt 10 + (25 - 10) / 8 ms. */
	ck_assert_uint_eq(bk_info(h, &c).rtt_us, 11875);
	/* 300 us, which a millisecond timestamp would call 1 ms. */
	bk_send_n(h, &c, 1);
	ck_assert_uint_eq(bk_take(h, &c, s, 4), 1);
	h_advance(h, 300);
	bk_ack(h, &c, s[0].seq + 1, s[0].tsval, NULL, 0);
	ck_assert_uint_eq(bk_info(h, &c).rtt_us, 10428);
}
END_TEST

static Suite *
sack_suite(void)
{
	Suite *s = suite_create("tcp_sack");
	TCase *tc = tcase_create("sack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sack_resends_holes_only);
	tcase_add_test(tc, test_newreno_partial_ack);
	tcase_add_test(tc, test_newreno_reordering);
	tcase_add_test(tc, test_dsack_sent_for_duplicate);
	tcase_add_test(tc, test_dsack_sent_for_ofo_duplicate);
	tcase_add_test(tc, test_sack_blocks_most_recent_first);
	tcase_add_test(tc, test_dsack_sent_for_overlaps);
	tcase_add_test(tc, test_sack_compression);
	tcase_add_test(tc, test_sack_compression_without_rtt);
	tcase_add_test(tc, test_dsack_received_is_no_loss);
	tcase_add_test(tc, test_rtt_from_send_times);
	tcase_add_test(tc, test_rtt_estimator);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sack_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
