/*
 * tcp_recovery.c - what a connection does about loss, as Linux's
 * congestion-avoidance states (tcp_fastretrans_alert, tcp_enter_loss):
 *
 *   Open      nothing outstanding is in doubt;
 *   Disorder  SACKs or duplicate ACKs arrived, not yet enough to call
 *             anything lost (RACK's clock; without RACK, fewer than
 *             DupThresh = tcp_reordering);
 *   Recovery  fast retransmit (RFC 6675 with SACK, RFC 6582 NewReno
 *             without): ssthresh from the congestion control; cwnd
 *             brought down to it by Proportional Rate Reduction (RFC
 *             6937, as Linux), lost ranges first, until SND.UNA passes
 *             the recovery point; then cwnd = ssthresh;
 *   Loss      the RTO fired: every un-SACKed byte is lost (with RACK,
 *             but what went within its RTT), cwnd 1, slow start
 *             resends the holes (and only the holes); a resend RACK
 *             finds lost again moves it to Recovery.
 *
 * A reduction found spurious is undone, as Linux's tcp_try_undo_*:
 * cwnd back to what it was, ssthresh no lower than before.  The proof:
 *   every retransmission of the episode came back D-SACKed (DSACKUndo,
 *     late D-SACKs in Open too);
 *   the ACK ending it echoes a TSval older than the first retransmission
 *     (RFC 3522 Eifel, Linux's tcp_packet_delayed): the originals got
 *     through (FullUndo, after a timeout LossUndo);
 *   a partial ACK does so while no retransmission is in flight: the hole
 *     was reordering, Recovery is left (PartialUndo);
 *   F-RTO (RFC 5682, SACK form, net.ipv4.tcp_frto): after a timeout the
 *     first ACK that moves SND.UNA lets new data go instead of the
 *     holes, and an ACK or SACK of data never resent then calls the
 *     timeout spurious (SpuriousRTOs).
 *
 * Counters as Linux: TCPFastRetrans (each retransmission in Recovery),
 * TCPSlowStartRetrans (each in Loss), TCPSackRecovery /
 * TCPRenoRecovery (entries), TCPDSACKUndo, TCPFullUndo, TCPPartialUndo,
 * TCPLossUndo, TCPSpuriousRTOs, TCPTSReorder, and the D-SACK ones.
 */
#include <string.h>

#include "engine.h"

static void
set_ca_state(struct tcp_sock *sk, uint8_t st)
{
	sk->ca_state = st;
	sk->in_recovery = st == TCP_CAS_RECOVERY;
}

/*
 * Back to Open: the scoreboard and loss marks start over.  The undo
 * state stays armed: D-SACKs for the episode's resends come late.
 */
static void
ca_open(struct tcp_sock *sk)
{
	sk->rxt_n = 0;
	set_ca_state(sk, TCP_CAS_OPEN);
	sk->lost_end = sk->high_rxt = sk->snd_una;
	sk->reno_sacked = 0;
	sk->dupacks = 0;
	sk->frto = sk->frto_new = false;
}

/* Linux's tcp_current_ssthresh(): what a reduction starting now undoes to. */
static uint32_t
current_ssthresh(const struct tcp_sock *sk)
{
	uint32_t w = (sk->snd_cwnd >> 1) + (sk->snd_cwnd >> 2);

	if (sk->ca_state == TCP_CAS_RECOVERY || sk->ca_state == TCP_CAS_CWR)
		return sk->snd_ssthresh;
	return sk->snd_ssthresh > w ? sk->snd_ssthresh : w;
}

/*
 * Linux's tcp_init_undo(): a reduction begins, and may be undone.
 * Resends still in flight may yet come back D-SACKed; -1, not 0, when
 * there are none, for 0 means "all came back".
 */
static void
init_undo(struct tcp_sock *sk, uint32_t retrans_out)
{
	sk->undo_marker = sk->snd_una;
	sk->undo_armed = true;
	sk->undo_retrans = retrans_out > 0 ? (int32_t)retrans_out : -1;
}

void
tcp_undo_note_rxt(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t segs)
{
	if (sk->undo_retrans < 0)
		sk->undo_retrans = 0;
	sk->undo_retrans += (int32_t)segs;
	if (sk->undo_stamp_us == 0)
		sk->undo_stamp_us = e->now;
}

/*
 * Linux's tcp_packet_delayed(): the ACK echoes a TSval sent before the
 * first retransmission, so an original made it (RFC 3522); or nothing
 * was retransmitted at all.
 */
static bool
packet_delayed(const struct tcp_sock *sk, const struct tcp_seg *seg)
{
	uint32_t first;

	if (sk->undo_stamp_us == 0)
		return true;
	if (!sk->ts_ok || !seg->opt.has_ts || seg->opt.ts_ecr == 0)
		return false;
	first = (uint32_t)(sk->undo_stamp_us / 1000) + sk->ts_off;
	return (int32_t)(seg->opt.ts_ecr - first) < 0;
}

/* Linux's tcp_may_undo(). */
static bool
may_undo(const struct tcp_sock *sk, const struct tcp_seg *seg)
{
	return sk->undo_armed &&
	    (sk->undo_retrans == 0 || packet_delayed(sk, seg));
}

/*
 * Linux's tcp_undo_cwnd_reduction(): cwnd and ssthresh as before the
 * reduction; with `unmark_loss`, nothing counts as lost any more (the
 * next ACK's loss detection looks again).
 */
static void
undo_cwnd_reduction(struct tcpx_engine *e, struct tcp_sock *sk,
    bool unmark_loss)
{
	if (unmark_loss) {
		sk->lost_end = sk->high_rxt = sk->snd_una;
		sk->rxt_n = 0;
	}
	if (sk->prior_ssthresh != 0) {
		sk->snd_cwnd = sk->cc->undo_cwnd(e, sk);
		if (sk->prior_ssthresh > sk->snd_ssthresh)
			sk->snd_ssthresh = sk->prior_ssthresh;
	}
	sk->cwnd_acked = 0;
	sk->undo_armed = false;
	sk->rack.advanced = true;
}

/*
 * Linux's tcp_try_undo_recovery(), when SND.UNA passes the recovery
 * point: true if undone.  Either way the episode is over.
 */
static bool
try_undo_recovery(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg)
{
	if (may_undo(sk, seg)) {
		undo_cwnd_reduction(e, sk, false);
		if (sk->ca_state == TCP_CAS_LOSS)
			MIB_INC(e, TCPEXT_TCPLOSSUNDO);
		else
			MIB_INC(e, TCPEXT_TCPFULLUNDO);
		return true;
	}
	tcp_rack_recovery_done(sk);
	return false;
}

/*
 * Linux's tcp_try_undo_dsack(): every resend came back D-SACKed.  An
 * undone recovery keeps RACK's window wider for one more.
 */
static bool
try_undo_dsack(struct tcpx_engine *e, struct tcp_sock *sk)
{
	if (!sk->undo_armed || sk->undo_retrans != 0)
		return false;
	if (sk->rack.reo_wnd_persist < TCP_RACK_RECOVERY_THRESH)
		sk->rack.reo_wnd_persist++;
	undo_cwnd_reduction(e, sk, false);
	MIB_INC(e, TCPEXT_TCPDSACKUNDO);
	return true;
}

/*
 * Linux's tcp_try_undo_loss(): in CA_Loss, the timeout was spurious
 * (the timestamps or D-SACKs say so, or F-RTO does).
 */
static bool
try_undo_loss(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg, bool frto_undo)
{
	if (!frto_undo && !may_undo(sk, seg))
		return false;
	undo_cwnd_reduction(e, sk, true);
	MIB_INC(e, TCPEXT_TCPLOSSUNDO);
	if (frto_undo)
		MIB_INC(e, TCPEXT_TCPSPURIOUSRTOS);
	sk->retransmits = 0;
	/* Without SACK, Linux stays in Loss until the recovery point. */
	if (frto_undo || sk->sack_ok)
		ca_open(sk);
	return true;
}

void
tcp_check_sack_reordering(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t low_seq, bool ts)
{
	uint32_t fack = sk->sb_n > 0 ? sk->sb[sk->sb_n - 1].end : sk->snd_una;
	uint32_t mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT, metric;

	if (!SEQ_LT(low_seq, fack))
		return;
	/* The degree: how far beyond it data had been SACKed, in segments. */
	metric = fack - low_seq;
	if (metric > (uint64_t)sk->reordering * mss) {
		sk->reordering = (metric + mss - 1) / mss;
		if (sk->reordering > (uint32_t)e->sysctl.tcp_max_reordering)
			sk->reordering = (uint32_t)e->sysctl.tcp_max_reordering;
	}
	sk->reord_seen++;
	if (ts)
		MIB_INC(e, TCPEXT_TCPTSREORDER);
	else
		MIB_INC(e, TCPEXT_TCPSACKREORDER);
}

/* Linux's tcp_try_keep_open(): out of Recovery, the scoreboard kept. */
static void
try_keep_open(struct tcp_sock *sk)
{
	sk->rxt_n = 0;
	set_ca_state(sk, sk->sb_n > 0 ? TCP_CAS_DISORDER : TCP_CAS_OPEN);
}

/*
 * Linux's tcp_try_undo_partial(), on an ACK that moves SND.UNA short of
 * the recovery point.  Returns true to hold: the hole was reordering,
 * but resends are still out, so this ACK marks and resends nothing.
 */
static bool
try_undo_partial(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg, uint32_t prior_una)
{
	if (!sk->undo_armed || !packet_delayed(sk, seg))
		return false;
	/* The hole was reordering (the timestamps tell), not loss. */
	tcp_check_sack_reordering(e, sk, prior_una, true);
	if (tcp_txstamp_retrans_out(sk) > 0)
		return true;
	undo_cwnd_reduction(e, sk, true);
	MIB_INC(e, TCPEXT_TCPPARTIALUNDO);
	try_keep_open(sk);
	return false;
}

/*
 * Linux's tcp_process_loss(): CA_Loss after a timeout.  Returns true
 * when the connection left it by an undo.
 */
static bool
process_loss(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg, const struct tcp_ackstamp *as,
    uint32_t acked, uint32_t sacked, bool dupack)
{
	bool recovered = !SEQ_LT(sk->snd_una, sk->recover);
	uint32_t end;

	if (acked > 0 && try_undo_loss(e, sk, seg, false))
		return true;
	if (sk->frto) {
		/* Step 3b: data never resent got through: spurious. */
		if (as->have_orig && SEQ_LEQ(as->orig_end, sk->recover) &&
		    try_undo_loss(e, sk, seg, true))
			return true;
		if (SEQ_GT(sk->snd_max, sk->recover)) {
			/* Step 3a: new data went, and holes are reported. */
			if (sacked > 0 || dupack)
				sk->frto = false;
		} else if (acked > 0 && !recovered) {
			/*
			 * Step 2b: new data instead of the holes, if there
			 * is any and the window takes it; else conventional
			 * recovery.
			 */
			sk->recover = sk->snd_max;
			end = tcp_data_seq0(sk) + sk->snd.len;
			if (SEQ_LT(sk->snd_nxt, end) &&
			    SEQ_GT(sk->snd_una + sk->snd_wnd, sk->snd_nxt)) {
				sk->frto_new = true;
				return false;
			}
			sk->frto = false;
		}
	}
	if (recovered) {
		/* Step 2a (a timeout that took only the head resend). */
		(void)try_undo_recovery(e, sk, seg);
		ca_open(sk);
		return true;
	}
	return false;
}

/* Remember a retransmission, to notice if it is lost in its turn. */
static void
rxt_record(struct tcp_sock *sk, uint32_t seq)
{
	if (sk->rxt_n == TCP_RXT_MAX) {
		memmove(sk->rxt, sk->rxt + 1, (TCP_RXT_MAX - 1) *
		    sizeof(sk->rxt[0]));
		sk->rxt_n--;
	}
	sk->rxt[sk->rxt_n].seq = seq;
	sk->rxt[sk->rxt_n].mark = sk->snd_max;
	sk->rxt_n++;
}

/* Bytes SACKed at or above `seq`. */
static uint32_t
sacked_above(const struct tcp_sock *sk, uint32_t seq)
{
	uint32_t above = 0, s;

	for (unsigned i = 0; i < sk->sb_n; i++) {
		s = SEQ_MAX(sk->sb[i].start, seq);
		if (SEQ_LT(s, sk->sb[i].end))
			above += sk->sb[i].end - s;
	}
	return above;
}

/*
 * Lost retransmissions (Linux's tcp_mark_lost_retrans in spirit, RACK's
 * job in newer kernels): more than DupThresh - 1 segments sent after a
 * retransmission are SACKed, yet it is neither acknowledged nor SACKed.
 * RFC 6675 never resends below HighRxt, so without this only the RTO
 * would.  Each such range goes again at once.
 */
static void
check_lost_retrans(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t thresh = (sk->reordering - 1) *
	    (uint32_t)sk->mss;
	unsigned i = 0, n = 0;

	for (i = 0; i < sk->rxt_n; i++) {
		struct tcp_rxt_rec r = sk->rxt[i];

		if (SEQ_LT(r.seq, sk->snd_una) || tcp_sack_is_sacked(sk, r.seq))
			continue;	/* it arrived */
		if (sk->sack_ok && sacked_above(sk, r.mark) > thresh &&
		    tcp_retransmit_range(e, sk, r.seq, sk->mss) > 0) {
			sk->prr_out++;
			tcp_undo_note_rxt(e, sk, 1);
			MIB_INC(e, TCPEXT_TCPLOSTRETRANSMIT);
			MIB_INC(e, TCPEXT_TCPFASTRETRANS);
			r.mark = sk->snd_max;
		}
		sk->rxt[n++] = r;
	}
	sk->rxt_n = (uint8_t)n;
}

void
tcp_enter_recovery(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t head = sk->mss;

	if (sk->sack_ok)
		MIB_INC(e, TCPEXT_TCPSACKRECOVERY);
	else
		MIB_INC(e, TCPEXT_TCPRENORECOVERY);
	sk->prior_cwnd = sk->snd_cwnd;
	sk->prior_ssthresh = current_ssthresh(sk);
	sk->snd_ssthresh = sk->cc->ssthresh(e, sk);
	sk->recover = sk->snd_max;
	/*
	 * From Loss (RACK found a resend lost again): what the timeout's
	 * slow start resent is in flight; only lost resends go again.
	 */
	if (sk->ca_state != TCP_CAS_LOSS)
		sk->high_rxt = sk->snd_una;
	sk->frto = sk->frto_new = false;
	init_undo(sk, tcp_txstamp_retrans_out(sk));
	/*
	 * Duplicate ACKs alone (no SACK information) say the head is
	 * lost (Linux's tcp_mark_head_lost, RFC 6582 step 2).
	 */
	if (!SEQ_GT(sk->lost_end, sk->snd_una)) {
		if (head > sk->snd_max - sk->snd_una)
			head = sk->snd_max - sk->snd_una;
		sk->lost_end = sk->snd_una + head;
	}
	/*
	 * Recovery takes over from a pending loss probe: the RTO gets the
	 * slot back, from the head's send (a resend of the head restarts
	 * it from then on, tcp_xmit_retransmit).
	 */
	if (sk->tlp_at != 0)
		tcp_rearm_rto(e, sk);
	sk->tlp_high_seq = 0;
	/*
	 * cwnd comes down to ssthresh gradually, by PRR (Linux); this
	 * ACK's tcp_cwnd_reduction lets the first lost segment go.
	 */
	sk->prr_delivered = 0;
	/* From Loss, the lost resends RACK just sent again count as PRR's. */
	sk->prr_out = sk->ca_state == TCP_CAS_LOSS ? sk->rack.lost_rxt : 0;
	sk->cwnd_acked = 0;
	set_ca_state(sk, TCP_CAS_RECOVERY);
}

void
tcp_cwnd_reduction(struct tcp_sock *sk, uint32_t delivered,
    bool una_advanced, bool newly_lost)
{
	uint32_t mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT;
	uint32_t in_flight = tcp_pipe(sk) / mss;
	int64_t sndcnt, delta = (int64_t)sk->snd_ssthresh - in_flight;

	if (delivered == 0 || sk->prior_cwnd == 0)
		return;
	sk->prr_delivered += delivered;
	if (delta < 0) {
		/* Above ssthresh: send in proportion, ssthresh / prior_cwnd. */
		sndcnt = ((uint64_t)sk->snd_ssthresh * sk->prr_delivered +
		    sk->prior_cwnd - 1) / sk->prior_cwnd;
		sndcnt -= sk->prr_out;
	} else {
		/* Below: slow start back up to it (PRR-SSRB). */
		sndcnt = (int64_t)sk->prr_delivered - sk->prr_out;
		if (sndcnt < (int64_t)delivered)
			sndcnt = delivered;
		if (una_advanced && !newly_lost)
			sndcnt++;
		if (sndcnt > delta)
			sndcnt = delta;
	}
	/* The fast retransmit itself always goes. */
	if (sndcnt < (sk->prr_out != 0 ? 0 : 1))
		sndcnt = sk->prr_out != 0 ? 0 : 1;
	sk->snd_cwnd = in_flight + (uint32_t)sndcnt;
}

bool
tcp_dsack_seen(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t start,
    uint32_t end, bool below)
{
	uint32_t len = end - start, segs = 1;
	uint32_t mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT;

	/*
	 * Dubious (Linux's tcp_dsack_seen): longer than any window we were
	 * given, or more duplicates reported than we ever resent.
	 */
	if (len > sk->max_window) {
		segs = 0;
	} else {
		if (len > mss)
			segs = (len + mss - 1) / mss;
		sk->dsack_dups += segs;
		if (sk->dsack_dups > sk->total_retrans)
			segs = 0;
	}
	if (segs == 0) {
		MIB_INC(e, TCPEXT_TCPDSACKIGNOREDDUBIOUS);
		return false;
	}
	MIB_ADD(e, TCPEXT_TCPDSACKRECVSEGS, segs);
	/* Linux's tcp_is_sackblock_valid(), for one wholly below SND.UNA. */
	if (below && !SEQ_GT(end, sk->snd_una)) {
		if (!sk->undo_armed) {
			MIB_INC(e, TCPEXT_TCPDSACKIGNOREDNOUNDO);
			return true;
		}
		if (!SEQ_GT(end, sk->undo_marker)) {
			MIB_INC(e, TCPEXT_TCPDSACKIGNOREDOLD);
			return true;
		}
	}
	/* One of this episode's resends was needless. */
	if (sk->undo_armed && sk->undo_retrans > 0 &&
	    SEQ_GT(end, sk->undo_marker))
		sk->undo_retrans = (uint32_t)sk->undo_retrans > segs ?
		    sk->undo_retrans - (int32_t)segs : 0;
	return true;
}

/*
 * RACK's clock, or RFC 6675's DupThresh without it (Linux's
 * tcp_identify_packet_loss).
 */
static bool
mark_lost(struct tcpx_engine *e, struct tcp_sock *sk, bool rack,
    bool dupthresh_on)
{
	if (dupthresh_on)
		tcp_sack_mark_lost(e, sk);
	/* In CA_Loss all is lost already. */
	if (rack && sk->ca_state != TCP_CAS_LOSS)
		return tcp_rack_mark_lost(e, sk);
	return false;
}

/*
 * Open or Disorder (Linux's default case): recovery starts when
 * something is lost (tcp_time_to_recover).
 */
static void
open_state(struct tcpx_engine *e, struct tcp_sock *sk, bool dupack,
    bool dupthresh_on)
{
	uint32_t dupthresh = sk->reordering;

	if (dupack)
		sk->dupacks++;
	/*
	 * The loss probe, sent last, got through (its range is SACKed):
	 * whatever was sent before it and is still missing is lost, as
	 * RACK (RFC 8985 6) would conclude a probe timeout (two RTTs)
	 * later.
	 */
	if (sk->tlp_high_seq != 0 && sk->sb_n > 0 &&
	    sk->sb[sk->sb_n - 1].end == sk->tlp_high_seq &&
	    SEQ_GT(sk->sb[sk->sb_n - 1].start, sk->lost_end))
		sk->lost_end = sk->sb[sk->sb_n - 1].start;
	/*
	 * Duplicate ACKs count without SACK only (Linux's Reno emulation):
	 * with it, what is SACKed decides (IsLost, RACK), and an ACK that
	 * carries nothing new, a dubious D-SACK say, proves no loss.
	 */
	if (SEQ_GT(sk->lost_end, sk->snd_una) || (dupthresh_on &&
	    !sk->sack_ok && sk->dupacks >= dupthresh)) {
		tcp_enter_recovery(e, sk);
		return;
	}
	set_ca_state(sk, sk->sb_n > 0 || sk->reno_sacked > 0 ||
	    sk->dupacks > 0 ? TCP_CAS_DISORDER : TCP_CAS_OPEN);
}

/*
 * Linux's tcp_limit_reno_sacked() and tcp_check_reno_reordering(): more
 * duplicate ACKs than segments beyond the hole cannot all be segments
 * that got through, so the count is cut back, and the excess is taken
 * for reordering: the degree becomes the segments in flight, plus those
 * this ACK took when it acked some.
 */
static void
reno_limit_sacked(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t packets_out, uint32_t addend)
{
	uint64_t reo;

	if (packets_out == 0 || sk->reno_sacked + 1 <= packets_out)
		return;
	sk->reno_sacked = packets_out - 1;
	reo = (uint64_t)packets_out + addend;
	sk->reordering = reo < (uint64_t)e->sysctl.tcp_max_reordering ?
	    (uint32_t)reo : (uint32_t)e->sysctl.tcp_max_reordering;
	sk->reord_seen++;
	MIB_INC(e, TCPEXT_TCPRENOREORDER);
}

bool
tcp_fastretrans_alert(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg, const struct tcp_ackstamp *as,
    uint32_t acked, uint32_t sacked, bool dupack)
{
	bool rack = tcp_rack_on(e, sk), dupthresh_on, reo;
	uint32_t flight = sk->snd_max - sk->snd_una, mss = sk->mss;
	uint32_t prior_una = sk->snd_una - acked, lost_before;

	/* Linux: in Open no resend awaits judgment (retrans_stamp = 0). */
	if (sk->ca_state == TCP_CAS_OPEN)
		sk->undo_stamp_us = 0;
	if (sk->snd_una == sk->snd_max && sk->ca_state != TCP_CAS_LOSS &&
	    sk->ca_state != TCP_CAS_RECOVERY) {
		(void)try_undo_dsack(e, sk);
		ca_open(sk);
		return false;
	}
	/* Reno emulation: a duplicate ACK is a segment that got through. */
	if (!sk->sack_ok) {
		uint32_t segs = acked > 0 ? (acked + mss - 1) / mss : 0;

		/* One acked the hole; the rest used up duplicates. */
		if (acked > 0)
			sk->reno_sacked = segs - 1 >= sk->reno_sacked ? 0 :
			    sk->reno_sacked - (segs - 1);
		if (dupack)
			sk->reno_sacked++;
		reno_limit_sacked(e, sk, flight / mss, segs);
	}
	/* With bit 4 of tcp_recovery RACK decides alone. */
	dupthresh_on = tcp_rack_dupthresh(e, sk);
	lost_before = sk->lost_end;
	reo = mark_lost(e, sk, rack, dupthresh_on);

	switch (sk->ca_state) {
	case TCP_CAS_RECOVERY:
		if (!SEQ_LT(sk->snd_una, sk->recover)) {
			/*
			 * Full ACK (RFC 6582 3.2 step 3): deflate to ssthresh,
			 * unless the reduction proves spurious; done.
			 */
			if (!try_undo_recovery(e, sk, seg))
				sk->snd_cwnd = sk->snd_ssthresh;
			sk->cwnd_acked = 0;
			ca_open(sk);
			break;
		}
		if (acked > 0 && try_undo_partial(e, sk, seg, prior_una)) {
			/* Hold: nothing newly lost, nothing resent now. */
			sk->lost_end = lost_before;
			break;
		}
		if (sk->ca_state == TCP_CAS_RECOVERY) {
			if (acked > 0 && !sk->sack_ok) {
				/*
				 * Partial ACK (RFC 6582 3.2 step 4): the next
				 * hole is at SND.UNA; resend it.  (With SACK,
				 * IsLost decides from the scoreboard, RFC
				 * 6675.)
				 */
				if (SEQ_LT(sk->lost_end, sk->snd_una + mss))
					sk->lost_end = SEQ_MIN(sk->snd_una +
					    mss, sk->snd_max);
				sk->high_rxt = sk->snd_una;
			}
			if (!try_undo_dsack(e, sk)) {
				/* RACK finds lost resends by their send time. */
				if (!rack)
					check_lost_retrans(e, sk);
				break;
			}
			try_keep_open(sk);
		}
		/* Undone: a loss still evident starts a new recovery. */
		if (mark_lost(e, sk, rack, dupthresh_on))
			reo = true;
		open_state(e, sk, false, dupthresh_on);
		break;
	case TCP_CAS_LOSS:
		if (process_loss(e, sk, seg, as, acked, sacked, dupack) &&
		    sk->ca_state != TCP_CAS_LOSS) {
			/* Out of Loss: on as in Open (Linux falls through). */
			if (mark_lost(e, sk, rack, dupthresh_on))
				reo = true;
			open_state(e, sk, false, dupthresh_on);
			break;
		}
		/* Linux's tcp_identify_packet_loss runs in Loss too. */
		if (rack && tcp_rack_mark_lost(e, sk))
			reo = true;
		/*
		 * A resend lost in its turn, and sent again
		 * (FLAG_LOST_RETRANS): fast recovery, with a new reduction,
		 * takes over from the slow start.
		 */
		if (sk->rack.lost_rxt > 0)
			tcp_enter_recovery(e, sk);
		break;
	default:
		/* Late D-SACKs for the last episode's resends. */
		(void)try_undo_dsack(e, sk);
		open_state(e, sk, dupack, dupthresh_on);
		break;
	}
	return reo;
}

void
tcp_enter_loss(struct tcpx_engine *e, struct tcp_sock *sk)
{
	/*
	 * Linux: ssthresh is recomputed on the first timeout of an
	 * episode only, not on each backoff (and not when the timeout
	 * cuts short a recovery whose reduction already happened).
	 */
	bool new_recovery = sk->ca_state < TCP_CAS_RECOVERY;
	bool reneged = sk->sb_n > 0 && !SEQ_GT(sk->sb[0].start, sk->snd_una);

	if (sk->ca_state <= TCP_CAS_DISORDER ||
	    !SEQ_GT(sk->recover, sk->snd_una) ||
	    (sk->ca_state == TCP_CAS_LOSS && sk->retransmits == 0)) {
		sk->prior_cwnd = sk->snd_cwnd;
		sk->prior_ssthresh = current_ssthresh(sk);
		sk->snd_ssthresh = sk->cc->ssthresh(e, sk);
		/* Every mark is redone: no resend is in flight any more. */
		init_undo(sk, 0);
	}
	/*
	 * A timeout in Disorder with DupThresh segments SACKed: the
	 * reordering degree was over-estimated (Linux's tcp_enter_loss).
	 */
	if (sk->ca_state <= TCP_CAS_DISORDER &&
	    sk->sacked_bytes >= (uint64_t)e->sysctl.tcp_reordering * sk->mss &&
	    sk->reordering > (uint32_t)e->sysctl.tcp_reordering)
		sk->reordering = (uint32_t)e->sysctl.tcp_reordering;
	/* A SACKed head means the receiver reneged: trust nothing. */
	if (reneged)
		tcp_sack_reset(sk);
	sk->reno_sacked = 0;
	sk->dupacks = 0;
	/* RFC 5681 3.1 / Linux's loss window: one segment. */
	sk->snd_cwnd = 1;
	sk->cwnd_acked = 0;
	sk->high_rxt = sk->snd_una;
	/* Lost: all, or (RACK) the head and what went before RACK's RTT. */
	sk->lost_end = reneged ? sk->snd_max :
	    tcp_rack_timeout_lost_end(e, sk);
	sk->recover = sk->snd_max;
	sk->rxt_n = 0;
	/* The RTO expired: the retransmission slot is empty (tcp_timer.c). */
	sk->tlp_high_seq = 0;
	/* Linux's set_state(TCP_CA_Loss): on every timeout, backoffs too. */
	if (sk->cc->on_loss != NULL)
		sk->cc->on_loss(e, sk);
	set_ca_state(sk, TCP_CAS_LOSS);
	/*
	 * F-RTO (RFC 5682 3.1 step 1) judges a timeout that starts an
	 * episode, or one that recurs on the same SND.UNA (3.2), not one
	 * that cuts a fast recovery short.
	 */
	sk->frto = e->sysctl.tcp_frto != 0 &&
	    (new_recovery || sk->retransmits > 0);
	sk->frto_new = false;
}

void
tcp_xmit_retransmit(struct tcpx_engine *e, struct tcp_sock *sk, bool force)
{
	uint32_t seq, len, pipe, cwnd_bytes, wnd_end, mss = sk->mss, segs;
	bool rearm = false;

	if (sk->ca_state != TCP_CAS_RECOVERY && sk->ca_state != TCP_CAS_LOSS)
		return;
	wnd_end = sk->snd_una + sk->snd_wnd;
	while (tcp_next_lost(sk, mss, 65535, &seq, &len)) {
		pipe = tcp_pipe(sk);
		cwnd_bytes = sk->snd_cwnd * mss;
		if (!force && pipe >= cwnd_bytes)
			break;
		/* Linux's tcp_retransmit_skb(): the head always, else in window. */
		if (seq != sk->snd_una && !SEQ_LT(seq, wnd_end))
			break;
		if ((len = tcp_retransmit_gso(e, sk, seq, len, pipe < cwnd_bytes ?
		    cwnd_bytes - pipe : 0, &segs)) == 0)
			break;
		if (sk->ca_state == TCP_CAS_RECOVERY) {
			rxt_record(sk, seq);
			sk->prr_out += segs;
		}
		sk->high_rxt = seq + len;
		tcp_undo_note_rxt(e, sk, segs);
		if (sk->ca_state == TCP_CAS_LOSS)
			MIB_ADD(e, TCPEXT_TCPSLOWSTARTRETRANS, segs);
		else
			MIB_ADD(e, TCPEXT_TCPFASTRETRANS, segs);
		/* Linux's tcp_xmit_retransmit_queue: the head's resend gets
		 * a whole RTO, unless RACK's timer holds the slot. */
		if (seq == sk->snd_una && sk->reo_at == 0)
			rearm = true;
		force = false;
	}
	if (rearm)
		tcp_rto_arm(e, sk);
}
