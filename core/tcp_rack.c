/*
 * tcp_rack.c - RACK, time-based loss detection (RFC 8985 6.2; Linux's
 * net/ipv4/tcp_recovery.c, on with bit 1 of net.ipv4.tcp_recovery).
 *
 * A segment is lost once one sent after it has been delivered and
 * more than that delivery's RTT plus a reordering window has passed
 * since it was sent.  Counting time, not segments as RFC 6675's
 * DupThresh does, catches a loss with fewer than three segments behind
 * it, and a lost retransmission.  What it finds lost feeds the marks
 * RFC 6675 uses (lost_end, tcp_sack.c), so that retransmission and PRR
 * go as they do for DupThresh; a lost retransmission goes again at
 * once, as tcp_recovery.c's check_lost_retrans would send it.
 *
 * As Linux since 4.18: SACK connections only (without SACK, NewReno's
 * marks stay), and RACK alone: RFC 6675's DupThresh survives only as a
 * zero reordering window while no reordering has been seen and
 * DupThresh segments are SACKed, unless bit 4 of tcp_recovery is set
 * (TCP_RACK_NO_DUPTHRESH).  net.ipv4.tcp_recovery 0 brings RFC 6675
 * back.
 *
 * The reordering window widens by a step (min_rtt / 4) when D-SACKs
 * say a retransmission was spurious, at most once a round trip, and
 * narrows back to one step after 16 recoveries without one (Linux's
 * tcp_rack_update_reo_wnd); bit 2 of tcp_recovery keeps it at one.
 *
 * In CA_Loss too, as Linux's tcp_identify_packet_loss: a timeout
 * spares what went within RACK's RTT (tcp_rack_timeout_lost_end), and
 * RACK finds it lost later or not; a resend lost in its turn is sent
 * again and takes the connection from Loss to Recovery (Linux's
 * FLAG_LOST_RETRANS), rather than waiting for a backed-off RTO.
 *
 * Not here: the TSecr test of tcp_skb_spurious_retrans.
 */
#include "engine.h"

/* Bits of net.ipv4.tcp_recovery (Linux's TCP_RACK_*). */
#define TCP_RACK_LOSS_DETECTION	0x1
#define TCP_RACK_STATIC_REO_WND	0x2
#define TCP_RACK_NO_DUPTHRESH	0x4

bool
tcp_rack_on(const struct tcpx_engine *e, const struct tcp_sock *sk)
{
	return sk->sack_ok &&
	    (e->sysctl.tcp_recovery & TCP_RACK_LOSS_DETECTION) != 0;
}

/*
 * RACK is the only loss detection where it runs (Linux 4.18's "tcp:
 * disable RFC6675 loss detection"): RFC 6675's count of SACKed
 * segments lives on inside it, as a reordering window of zero
 * (rack_reo_wnd), and goes once reordering has been seen.
 */
bool
tcp_rack_dupthresh(const struct tcpx_engine *e, const struct tcp_sock *sk)
{
	return !tcp_rack_on(e, sk);
}

/*
 * Linux's tcp_rack_sent_after(): t1 went after t2; segments sent at
 * the same instant (a burst, one GSO write) go in sequence order.
 */
static bool
sent_after(uint64_t t1, uint64_t t2, uint32_t seq1, uint32_t seq2)
{
	return t1 > t2 || (t1 == t2 && SEQ_GT(seq1, seq2));
}

/* The minimum RTT, UINT32_MAX with no sample yet (Linux's tcp_min_rtt). */
static uint32_t
min_rtt(const struct tcp_sock *sk)
{
	return sk->rtt_min.s[0].v;
}

void
tcp_rack_delivered(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_txstamp *r, struct tcp_ackstamp *as)
{
	uint64_t rtt;

	if (!sk->sack_ok)
		return;
	/* The rate sample's newest segment, resends included (Linux's
	 * tcp_rate_skb_delivered): it dates the ACK's round trip. */
	if (!as->delivered || r->sent_us > as->delivered_sent)
		as->delivered_sent = r->sent_us;
	as->delivered = true;
	/*
	 * An original segment delivered below what was SACKed before
	 * this ACK was overtaken on the way: reordering (Linux's
	 * tcp_check_sack_reordering, from tcp_sacktag_one and
	 * tcp_clean_rtx_queue).
	 */
	if (!r->retrans && SEQ_LT(r->seq, as->prior_fack)) {
		if (!as->reord || SEQ_LT(r->seq, as->reord_low))
			as->reord_low = r->seq;
		as->reord = true;
	}
	/*
	 * Linux's tcp_rack_advance().  A resent segment delivered sooner
	 * than the minimum RTT after the resend was most likely the
	 * original arriving late: its time says nothing.
	 */
	rtt = e->now - r->sent_us;
	if (r->retrans && rtt < min_rtt(sk))
		return;
	sk->rack.advanced = true;
	sk->rack.rtt_us = rtt < UINT32_MAX ? (uint32_t)rtt : UINT32_MAX;
	if (sent_after(r->sent_us, sk->rack.mstamp, r->end, sk->rack.end_seq)) {
		sk->rack.mstamp = r->sent_us;
		sk->rack.end_seq = r->end;
	}
}

/*
 * Linux's tcp_rack_reo_wnd().  Without reordering seen, none in
 * recovery, nor once DupThresh segments are SACKed (that is where
 * RFC 6675 would start recovery anyway); else a quarter of the
 * minimum RTT, a path property, rather than of the smoothed one,
 * which queues and delayed ACKs inflate; never more than SRTT.
 */
static uint32_t
rack_reo_wnd(const struct tcpx_engine *e, const struct tcp_sock *sk)
{
	uint32_t mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT, w;
	uint32_t sacked_out = (sk->sacked_bytes + mss - 1) / mss;

	if (sk->reord_seen == 0) {
		if (sk->ca_state >= TCP_CAS_RECOVERY)
			return 0;
		if (sacked_out >= sk->reordering &&
		    (e->sysctl.tcp_recovery & TCP_RACK_NO_DUPTHRESH) == 0)
			return 0;
	}
	w = (min_rtt(sk) >> 2) * sk->rack.reo_wnd_steps;
	return w < sk->srtt_us ? w : sk->srtt_us;
}

/* Send a lost retransmission [seq, end) again, one segment of it. */
static void
rack_resend(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint32_t end)
{
	uint32_t len = end - seq;

	if (len > sk->mss)
		len = sk->mss;
	if (tcp_retransmit_range(e, sk, seq, len) == 0)
		return;
	sk->prr_out++;
	tcp_undo_note_rxt(e, sk, 1);
	MIB_INC(e, TCPEXT_TCPLOSTRETRANSMIT);
	MIB_INC(e, TCPEXT_TCPFASTRETRANS);
}

/*
 * Linux's tcp_rack_detect_loss().  Linux walks its queue in send-time
 * order and stops at the first segment not sent before the RACK
 * segment.  The send-time record here is in sequence order, and a
 * resend moves a stretch later in time; but a segment sent once went
 * after every one below it, and a resent one after its first sending,
 * so past the first original not sent before the RACK segment nothing
 * is: the walk stops there, as long as Linux's.  Originals found lost
 * are thus the first ones: lost_end moves up to the last, and NextSeg
 * resends them.  A stretch below HighRxt was resent in this recovery
 * or Loss episode: found lost again, it goes once more now, counted in
 * rack.lost_rxt.  Returns true if anything was newly found lost;
 * *timeout is the longest wait (us) until one still in doubt would be.
 */
static bool
rack_detect_loss(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t *timeout)
{
	struct tcp_txstamps *q = &sk->txs;
	uint32_t reo_wnd = rack_reo_wnd(e, sk), from;
	int64_t remaining;
	bool lost = false;

	*timeout = 0;
	sk->rack.lost_rxt = 0;
	if (q->blind)
		return false;
	/* Each resend may cut an entry in two: index, never a pointer. */
	for (uint32_t k = 0; k < q->n; k++) {
		struct tcp_txstamp r = q->v[q->head + k];

		from = SEQ_MAX(sk->high_rxt, sk->snd_una);
		if (!sent_after(sk->rack.mstamp, r.sent_us, sk->rack.end_seq,
		    r.end)) {
			if (!r.retrans)
				break;
			continue;
		}
		if (r.sacked || !SEQ_GT(r.end, sk->snd_una))
			continue;
		/* Marked lost already, not yet resent. */
		if (SEQ_GEQ(r.seq, from) && SEQ_LEQ(r.end, sk->lost_end))
			continue;
		remaining = (int64_t)sk->rack.rtt_us + reo_wnd -
		    (int64_t)(e->now - r.sent_us);
		if (remaining > 0) {
			if (remaining > *timeout)
				*timeout = (uint32_t)remaining;
			continue;
		}
		if (SEQ_GEQ(r.seq, from)) {
			if (SEQ_GT(r.end, sk->lost_end))
				sk->lost_end = r.end;
			lost = true;
		} else if (sk->ca_state == TCP_CAS_RECOVERY ||
		    sk->ca_state == TCP_CAS_LOSS) {
			rack_resend(e, sk, r.seq, r.end);
			sk->rack.lost_rxt++;
			lost = true;
		}
	}
	return lost;
}

/*
 * Reordering timer (Linux's ICSK_TIME_REO_TIMEOUT).
 * Armed: after an ACK that moved the RACK segment leaves segments sent
 *   before it neither delivered nor yet old enough to call lost: when
 *   the oldest of them will be, rounded up to jiffies (HZ 250) plus
 *   Linux's TCP_TIMEOUT_MIN of two, at most one RTO away.  It takes the
 *   retransmission slot: the RTO or probe pending before is gone, and
 *   that ACK restarts neither.
 * Replaced: by the RTO or a probe a later ACK of new data arms, and by
 *   nothing when all is acknowledged.
 * Expiry (tcp_rack_reo_timeout): look again; if anything is lost now,
 *   enter recovery if not in it (from Loss too, as Linux) and
 *   retransmit (the head's resend leaves the slot alone); then the RTO,
 *   counted from when the head went (tcp_rearm_rto).
 */
bool
tcp_rack_mark_lost(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint64_t when;
	uint32_t timeout;

	sk->rack.lost_rxt = 0;
	if (!sk->rack.advanced)
		return false;
	/* Until the next delivery nothing can change. */
	sk->rack.advanced = false;
	(void)rack_detect_loss(e, sk, &timeout);
	if (timeout == 0)
		return false;
	when = ((uint64_t)timeout + TCP_DELACK_TICK_US - 1) /
	    TCP_DELACK_TICK_US * TCP_DELACK_TICK_US + 2 * TCP_DELACK_TICK_US;
	if (when > sk->rto_us)
		when = sk->rto_us;
	tcp_xmit_timer_set(e, sk, TCP_XT_REO, e->now + when);
	return true;
}

void
tcp_rack_reo_timeout(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t timeout;

	if (sk->snd_una != sk->snd_max && tcp_rack_on(e, sk) &&
	    rack_detect_loss(e, sk, &timeout)) {
		if (sk->ca_state != TCP_CAS_RECOVERY) {
			tcp_enter_recovery(e, sk);
			tcp_cwnd_reduction(sk, 1, false, true);
		}
		tcp_xmit_retransmit(e, sk, false);
	}
	/* The RTO takes the slot, from when the head went (a resend: now). */
	if (sk->rto_at == 0)
		tcp_rearm_rto(e, sk);
}

/*
 * Linux's tcp_timeout_mark_lost(), for RACK connections whose receiver
 * has not reneged: the head is lost, and so is every segment sent more
 * than RACK's RTT ago; one sent within it may yet be delivered, and
 * RACK decides when something sent after it is.  Returns where the
 * lost stretch ends (lost_end).  Here that stretch is a prefix of the
 * sequence space, so it stops at the first recent un-SACKed stretch:
 * originals above it went later still, as Linux spares them too; a
 * recent resend in the middle, which Linux alone would spare, keeps
 * older segments above it out of the stretch until RACK finds them lost
 * (the next delivery of a later resend).  With no RACK sample yet
 * (rtt 0) everything is lost, as in Linux.
 */
uint32_t
tcp_rack_timeout_lost_end(const struct tcpx_engine *e,
    const struct tcp_sock *sk)
{
	const struct tcp_txstamps *q = &sk->txs;
	uint32_t end = sk->snd_una;
	bool head = true;

	if (!tcp_rack_on(e, sk) || q->blind)
		return sk->snd_max;
	for (uint32_t k = 0; k < q->n; k++) {
		const struct tcp_txstamp *r = &q->v[q->head + k];

		if (r->sacked || !SEQ_GT(r->end, sk->snd_una))
			continue;
		if (!head && (int64_t)sk->rack.rtt_us -
		    (int64_t)(e->now - r->sent_us) > 0)
			return end;
		head = false;
		end = r->end;
	}
	return sk->snd_max;
}

/*
 * From Linux's tcp_dsack_seen().  Only a D-SACK that reordering may
 * explain widens the window: none before any reordering was seen, nor
 * one for the loss probe (a timer sent that, not RACK).
 */
void
tcp_rack_dsack(struct tcp_sock *sk, uint32_t start, uint32_t end)
{
	uint32_t mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT;

	if (sk->reord_seen == 0)
		return;
	if (sk->tlp_high_seq != 0 && end == sk->tlp_high_seq &&
	    end - start <= mss)
		return;
	sk->rack.dsack_seen = true;
}

/*
 * Linux's tcp_rack_update_reo_wnd(), after an ACK's deliveries and
 * before loss detection.  A spurious retransmission may mean the
 * window was too narrow for the path's reordering: one step wider.
 * Not again within the round trip, for a D-SACK then answers a
 * retransmission made with the old width: Linux compares delivered
 * counts (rack.last_delivered against the rate sample's
 * prior_delivered); here the send time of the newest segment this ACK
 * delivered against when the last step was taken, the same test.  The
 * width lasts TCP_RACK_RECOVERY_THRESH recoveries (tcp_rack_recovery_done).
 */
void
tcp_rack_update_reo_wnd(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_ackstamp *as)
{
	if ((e->sysctl.tcp_recovery & TCP_RACK_STATIC_REO_WND) != 0 ||
	    !as->delivered)
		return;
	if (as->delivered_sent < sk->rack.last_step_us)
		sk->rack.dsack_seen = false;
	if (sk->rack.dsack_seen) {
		if (sk->rack.reo_wnd_steps < 0xff)
			sk->rack.reo_wnd_steps++;
		sk->rack.dsack_seen = false;
		sk->rack.last_step_us = e->now;
		sk->rack.reo_wnd_persist = TCP_RACK_RECOVERY_THRESH;
	} else if (sk->rack.reo_wnd_persist == 0) {
		sk->rack.reo_wnd_steps = 1;
	}
}

/*
 * Linux's tcp_try_undo_recovery(): a recovery (or Loss) that ends
 * without undo counts towards narrowing the window again.
 */
void
tcp_rack_recovery_done(struct tcp_sock *sk)
{
	if (sk->rack.reo_wnd_persist > 0)
		sk->rack.reo_wnd_persist--;
}
