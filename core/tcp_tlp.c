/*
 * tcp_tlp.c - tail loss probes (RFC 8985 section 7; Linux's
 * tcp_schedule_loss_probe, tcp_send_loss_probe, tcp_process_tlp_ack).
 *
 * When the last segments of a flight are lost no duplicate ACK comes
 * back and only the RTO would notice.  A probe two round trips after
 * the last transmission (new data if there is any, else the last
 * segment again) draws an ACK whose SACK information starts fast
 * recovery instead.  As Linux (net.ipv4.tcp_early_retrans 3 or 4):
 * SACK connections only, in CA_Open, one probe per tail.
 */
#include "engine.h"

/*
 * Probe timer (Linux's ICSK_TIME_LOSS_PROBE).
 * Armed: after new data goes out, and after an ACK that leaves data in
 *   flight, when the connection is Open and SACK is on: 2 SRTT later
 *   (+ 200 ms, for a delayed ACK, when one segment is out; 2 ms
 *   otherwise), but no later than the RTO would fire.
 *   It takes the retransmission slot (tcp_xmit_timer_set): the RTO is
 *   not pending meanwhile, hence that limit.
 * Replaced: by the RTO when new data goes out, or recovery resends the
 *   head; emptied when everything is acknowledged; when it fires.
 * Expiry: send one new segment (cwnd aside) if the window allows, else
 *   resend the last segment; count TCPLossProbes; restart the RTO from
 *   now.  One probe per tail (tlp_high_seq) until it is answered; with
 *   one outstanding, the RTO takes the slot, counted from the head.
 */
bool
tcp_tlp_schedule(struct tcpx_engine *e, struct tcp_sock *sk,
    bool advancing_rto)
{
	uint64_t pto;
	int64_t rto_left;
	long er = e->sysctl.tcp_early_retrans;

	if ((er != 3 && er != 4) || sk->snd_una == sk->snd_max ||
	    !sk->sack_ok || (sk->ca_state != TCP_CAS_OPEN &&
	    sk->ca_state != TCP_CAS_CWR) ||
	    (sk->state != TCP_ST_ESTABLISHED &&
	    sk->state != TCP_ST_CLOSE_WAIT &&
	    sk->state != TCP_ST_FIN_WAIT_1 &&
	    sk->state != TCP_ST_CLOSING && sk->state != TCP_ST_LAST_ACK))
		return false;	/* the slot stays as it is (Linux) */
	if (sk->rtt_valid) {
		pto = 2ULL * sk->srtt_us;
		pto += sk->snd_max - sk->snd_una <= sk->mss ? TCP_RTO_MIN_US :
		    2000;
	} else {
		pto = TCP_TIMEOUT_INIT_US;
	}
	/* Never after the RTO would have fired, counted from the head. */
	rto_left = advancing_rto ? (int64_t)sk->rto_us :
	    tcp_rto_delta_us(e, sk);
	if (rto_left > 0 && (uint64_t)rto_left < pto)
		pto = (uint64_t)rto_left;
	tcp_xmit_timer_set(e, sk, TCP_XT_TLP, e->now + pto);
	return true;
}

void
tcp_tlp_fire(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t seq0 = tcp_data_seq0(sk), dend = seq0 + sk->snd.len, start;
	bool sent = false;

	/*
	 * As Linux's tcp_send_loss_probe: whatever the state the probe was
	 * scheduled to leave in (Disorder after SACKs too), and at most one
	 * probe outstanding.
	 */
	if (sk->snd_una != sk->snd_max && sk->tlp_high_seq == 0) {
		/* New data first: it probes and makes progress at once. */
		if (tcp_send_new_segment(e, sk)) {
			sk->tlp_retrans = false;
			sent = true;
		} else {
			/* Else the last segment (with the FIN, if last). */
			start = SEQ_GT(dend, seq0 + sk->mss) ? dend - sk->mss :
			    seq0;
			/* As any resend: the head always, else in window. */
			if ((start == sk->snd_una || SEQ_LT(start,
			    sk->snd_una + sk->snd_wnd)) &&
			    tcp_retransmit_range(e, sk, start, dend - start) > 0) {
				sk->tlp_retrans = true;
				sent = true;
			}
		}
	}
	if (sent) {
		sk->tlp_high_seq = sk->snd_max;
		MIB_INC(e, TCPEXT_TCPLOSSPROBES);
		/* The RTO counts from the probe (Linux empties the slot
		 * before its tcp_rearm_rto). */
		tcp_xmit_timer_set(e, sk, TCP_XT_RTO, e->now + sk->rto_us);
	} else if (sk->rto_at == 0) {
		/* No probe: the RTO from the head's send, or nothing. */
		tcp_rearm_rto(e, sk);
	}
}

void
tcp_tlp_ack(struct tcpx_engine *e, struct tcp_sock *sk, bool dupack,
    bool dsack)
{
	if (sk->tlp_high_seq == 0 || SEQ_LT(sk->snd_una, sk->tlp_high_seq))
		return;
	if (!sk->tlp_retrans || dsack) {
		/* New data probed, or a D-SACK says both copies arrived. */
		sk->tlp_high_seq = 0;
	} else if (SEQ_GT(sk->snd_una, sk->tlp_high_seq)) {
		/*
		 * Acknowledged past the probe with no D-SACK for it: the
		 * probe repaired a loss.  Reduce cwnd once, as recovery
		 * would have (Linux: CWR, TCPLossProbeRecovery).
		 */
		sk->snd_ssthresh = sk->cc->ssthresh(e, sk);
		sk->snd_cwnd = sk->snd_ssthresh;
		sk->cwnd_acked = 0;
		sk->tlp_high_seq = 0;
		MIB_INC(e, TCPEXT_TCPLOSSPROBERECOVERY);
	} else if (dupack) {
		/* A pure duplicate: original and probe both arrived. */
		sk->tlp_high_seq = 0;
	}
}
