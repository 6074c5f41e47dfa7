/*
 * tcp_ack.c - RFC 9293's fifth step for the synchronized states, the
 * ACK field, as Linux's tcp_ack(): window update, SACK scoreboard, new
 * data acknowledged, the RTT samples it yields, then loss recovery
 * (tcp_recovery.c) and the congestion window.  tcp_input.c calls it
 * once a segment has passed the sequence, RST and SYN checks.
 */
#include <string.h>

#include "engine.h"

/*
 * The RTT the echoed timestamp gives (RFC 7323 4.1, in ms; a
 * retransmission carries its own TSval, so it is no ambiguity), as
 * Linux's tcp_rtt_tsopt_us.  0 when there is none.
 */
static uint64_t
ts_rtt(struct tcpx_engine *e, struct tcp_sock *sk, const struct tcp_seg *seg)
{
	uint32_t ms;

	if (ts_present(sk, seg) && seg->opt.ts_ecr != 0) {
		ms = tcp_tsval(e, sk->ts_off) - seg->opt.ts_ecr;
		if ((int32_t)ms >= 0)
			return (uint64_t)(ms != 0 ? ms : 1) * 1000;
	}
	return 0;
}

/*
 * The sample for the RTT estimator (Linux's seq_rtt_us in
 * tcp_ack_update_rtt): the first original segment newly acknowledged,
 * unless a resent one is among them (Karn), else the first newly
 * SACKed, else the timestamp.  -1: none.
 */
static int64_t
seq_rtt(struct tcpx_engine *e, struct tcp_sock *sk, const struct tcp_seg *seg,
    const struct tcp_ackstamp *as)
{
	uint64_t ts;

	if (as->have_acked && !as->retrans_acked)
		return (int64_t)(e->now - as->first_acked_sent);
	if (as->have_sacked)
		return (int64_t)(e->now - as->first_sacked_sent);
	if (as->acked && (ts = ts_rtt(e, sk, seg)) != 0)
		return (int64_t)ts;
	return -1;
}

/*
 * The sample congestion control gets (Linux's ca_rtt_us): the latest
 * original segment newly SACKed, else the latest newly acknowledged
 * unless a resent one is among them, else the timestamp.  -1: none.
 */
static int64_t
ca_rtt(struct tcpx_engine *e, struct tcp_sock *sk, const struct tcp_seg *seg,
    const struct tcp_ackstamp *as)
{
	uint64_t ts;

	if (as->have_sacked)
		return (int64_t)(e->now - as->sacked_sent);
	if (as->have_acked && !as->retrans_acked)
		return (int64_t)(e->now - as->acked_sent);
	if (as->acked && (ts = ts_rtt(e, sk, seg)) != 0)
		return (int64_t)ts;
	return -1;
}

/*
 * RFC 9293 fifth step for the synchronized states: the ACK field
 * (Linux's tcp_ack): window update, SACK scoreboard, new data
 * acknowledged, RTT, then loss recovery (tcp_recovery.c) and the
 * congestion window.  Returns -1 to drop the segment (a challenge ACK
 * was sent), 0 to go on.
 */
int
tcp_ack(struct tcpx_engine *e, struct tcp_sock *sk, const struct tcp_seg *seg)
{
	uint32_t ack = seg->ack, nwin, acked, seq0, dend, adata, segs;
	uint32_t old_wnd = sk->snd_wnd, sacked = 0, mss, sb_before;
	uint32_t acked_sacked = 0;
	int64_t rtt, ca;
	struct tcp_ackstamp as;
	bool dupack, dsack = false, reducing, in_flight, reo;
	uint32_t reno_before, lost_before;

	/* RFC 5961 5.2: an ACK for data never sent, or far too old. */
	if (SEQ_GT(ack, sk->snd_max)) {
		tcp_send_challenge_ack(e, sk, seg);
		return -1;
	}
	if (SEQ_LT(ack, sk->snd_una)) {
		if (SEQ_LT(ack, sk->snd_una - sk->max_window)) {
			tcp_send_challenge_ack(e, sk, seg);
			return -1;
		}
		return 0;	/* old duplicate: ignore the ACK field */
	}
	tcp_cc_check(e, sk);
	in_flight = sk->snd_una != sk->snd_max;
	mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT;
	sk->last_ack_us = e->now;
	sk->probes_out = 0;
	acked = ack - sk->snd_una;
	memset(&as, 0, sizeof(as));
	as.prior_fack = sk->sb_n > 0 ? sk->sb[sk->sb_n - 1].end : sk->snd_una;

	/* Window update (RFC 9293 SND.WL1/WL2; Linux's tcp_may_update_window). */
	nwin = (seg->flags & TH_SYN) ? seg->wnd :
	    (uint32_t)seg->wnd << sk->snd_wscale;
	if (SEQ_GT(ack, sk->snd_una) || SEQ_GT(seg->seq, sk->snd_wl1) ||
	    (seg->seq == sk->snd_wl1 && (nwin > sk->snd_wnd || nwin == 0))) {
		sk->snd_wnd = nwin;
		sk->snd_wl1 = seg->seq;
		sk->snd_wl2 = ack;
		if (nwin > sk->max_window)
			sk->max_window = nwin;
		if (nwin > 0 && sk->persist_at != 0) {
			sk->persist_at = 0;
			sk->backoff = 0;
			tcp_timer_update(e, sk);
		}
	}
	/* RFC 2018 / RFC 6675: what the peer holds above the ACK. */
	if (sk->sack_ok && seg->opt.nsack > 0)
		sacked = tcp_sack_input(e, sk, seg, &dsack, &as);
	/*
	 * RFC 5681 2: a duplicate ACK; not one reporting a duplicate
	 * segment (D-SACK), as Linux's FLAG_DSACKING_ACK.
	 */
	dupack = acked == 0 && seg->len == 0 && !dsack &&
	    !(seg->flags & (TH_SYN | TH_FIN)) && nwin == old_wnd &&
	    sk->snd_una != sk->snd_max;

	adata = 0;
	if (acked > 0) {
		/* New data acknowledged (SND.UNA < SEG.ACK =< SND.NXT). */
		seq0 = tcp_data_seq0(sk);
		dend = seq0 + sk->snd.len;
		adata = SEQ_GT(ack, seq0) ? SEQ_MIN(ack, dend) - seq0 : 0;
		tcp_ring_drop(&sk->snd, adata);
		sk->bytes_acked += adata;
		if (sk->fin_queued && SEQ_GT(ack, sk->fin_seq))
			sk->fin_acked = true;
		tcp_txstamp_acked(e, sk, ack, &as);
		sk->snd_una = ack;
		if (SEQ_LT(sk->snd_nxt, ack))
			sk->snd_nxt = ack;
		sb_before = sk->sacked_bytes;
		tcp_sack_clean(sk);
		/* SACKed bytes now acknowledged were delivered before. */
		acked_sacked = sb_before - sk->sacked_bytes;
		sk->retransmits = 0;
		sk->retrans_stamp = 0;
	}
	/* RTT (Linux's tcp_ack_update_rtt): from a SACK alone too. */
	ca = ca_rtt(e, sk, seg, &as);
	if ((rtt = seq_rtt(e, sk, seg, &as)) >= 0) {
		tcp_ack_update_rtt(e, sk, (uint64_t)rtt,
		    (uint64_t)(ca >= 0 ? ca : rtt));
		sk->backoff = 0;
	}
	/* Linux's pkts_acked, from tcp_clean_rtx_queue: SACKs alone too. */
	if (ca >= 0 && sk->cc->pkts_acked != NULL)
		sk->cc->pkts_acked(e, sk, ca < UINT32_MAX ? (uint32_t)ca :
		    UINT32_MAX);

	reducing = sk->ca_state == TCP_CAS_RECOVERY;
	reno_before = sk->reno_sacked;
	lost_before = sk->lost_end;
	/* An original overtaken (tcpi_reord_seen, tcpi_reordering). */
	if (as.reord)
		tcp_check_sack_reordering(e, sk, as.reord_low, false);
	tcp_rack_update_reo_wnd(e, sk, &as);
	reo = tcp_fastretrans_alert(e, sk, seg, &as, acked, sacked, dupack);
	/*
	 * Segments this ACK newly delivered (Linux's acked_sacked): newly
	 * acknowledged bytes not SACKed before, newly SACKed bytes; without
	 * SACK, one per duplicate ACK, as Linux's Reno emulation counts.
	 */
	if (sk->sack_ok) {
		segs = (acked - acked_sacked + mss - 1) / mss + sacked / mss;
	} else {
		int64_t d = (int64_t)((acked + mss - 1) / mss) +
		    ((int64_t)sk->reno_sacked - reno_before);

		segs = d > 0 ? (uint32_t)d : 0;
	}
	if (sk->ca_state == TCP_CAS_RECOVERY)
		tcp_cwnd_reduction(sk, segs, acked > 0,
		    lost_before != sk->lost_end);

	/*
	 * Congestion window (Linux's tcp_cong_control): an ACK that moves
	 * SND.UNA grows it by what it newly delivered, acknowledged or
	 * SACKed, except while recovery is bringing cwnd down (the ACK
	 * that ends it included: cwnd = ssthresh then, RFC 6582 3.2).
	 */
	if (acked > 0 && !reducing && sk->ca_state != TCP_CAS_RECOVERY) {
		sk->cc->cong_avoid(e, sk, segs);
		tcp_sndbuf_expand(e, sk);
	}
	/* Linux's tcp_cong_control ends so, for any ACK to data in flight. */
	if (in_flight)
		tcp_update_pacing_rate(sk);

	tcp_tlp_ack(e, sk, dupack && sacked == 0, dsack);
	/*
	 * RFC 6298 5.2 / 5.3, a loss probe before it (RFC 8985 7.2): Linux's
	 * tcp_set_xmit_timer, unless RACK's timer took the slot just now.
	 */
	if (acked > 0) {
		if (sk->snd_una == sk->snd_max)
			tcp_xmit_timer_clear(e, sk);
		else if (!reo && !tcp_tlp_schedule(e, sk, true))
			tcp_rearm_rto(e, sk);
	}
	if (adata > 0 && !sk->shut_wr && tcp_ring_space(&sk->snd) * 2 >=
	    sk->snd.len)
		tcp_sock_event(e, sk, TCPX_EV_OUT);
	return 0;
}
