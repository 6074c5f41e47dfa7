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
 * Cleared: when everything is acknowledged, when recovery or the RTO
 *   takes over, and when it fires.
 * Expiry: send one new segment (cwnd aside) if the window allows, else
 *   resend the last segment; count TCPLossProbes; restart the RTO from
 *   now.  One probe per tail (tlp_high_seq) until it is answered.
 */
bool
tcp_tlp_schedule(struct tcpx_engine *e, struct tcp_sock *sk,
    bool advancing_rto)
{
	uint64_t pto, rto_left;
	long er = e->sysctl.tcp_early_retrans;

	if ((er != 3 && er != 4) || sk->snd_una == sk->snd_max ||
	    !sk->sack_ok || (sk->ca_state != TCP_CAS_OPEN &&
	    sk->ca_state != TCP_CAS_CWR) ||
	    (sk->state != TCP_ST_ESTABLISHED &&
	    sk->state != TCP_ST_CLOSE_WAIT &&
	    sk->state != TCP_ST_FIN_WAIT_1 &&
	    sk->state != TCP_ST_CLOSING && sk->state != TCP_ST_LAST_ACK)) {
		if (sk->tlp_at != 0) {
			sk->tlp_at = 0;
			tcp_timer_update(e, sk);
		}
		return false;
	}
	if (sk->rtt_valid) {
		pto = 2ULL * sk->srtt_us;
		pto += sk->snd_max - sk->snd_una <= sk->mss ? TCP_RTO_MIN_US :
		    2000;
	} else {
		pto = TCP_TIMEOUT_INIT_US;
	}
	/* Never after the RTO. */
	rto_left = advancing_rto ? sk->rto_us : (sk->rto_at > e->now ?
	    sk->rto_at - e->now : 0);
	if (rto_left > 0 && rto_left < pto)
		pto = rto_left;
	sk->tlp_at = e->now + pto;
	tcp_timer_update(e, sk);
	return true;
}

void
tcp_tlp_fire(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t seq0 = tcp_data_seq0(sk), dend = seq0 + sk->snd.len, start;
	bool sent = false;

	if (sk->snd_una == sk->snd_max || sk->ca_state != TCP_CAS_OPEN)
		return;
	/* New data first: it probes and makes progress at once. */
	if (tcp_send_new_segment(e, sk)) {
		sk->tlp_retrans = false;
		sent = true;
	} else if (sk->tlp_high_seq == 0) {
		/* Else the last segment (with the FIN, if that was last). */
		start = SEQ_GT(dend, seq0 + sk->mss) ? dend - sk->mss : seq0;
		/* As any resend: the head always, else within the window. */
		if ((start == sk->snd_una || SEQ_LT(start, sk->snd_una +
		    sk->snd_wnd)) &&
		    tcp_retransmit_range(e, sk, start, dend - start) > 0) {
			sk->tlp_retrans = true;
			sent = true;
		}
	}
	if (sent) {
		sk->tlp_high_seq = sk->snd_max;
		MIB_INC(e, TCPEXT_TCPLOSSPROBES);
	}
	/* The RTO counts from the probe (Linux's tcp_rearm_rto). */
	sk->rto_at = e->now + sk->rto_us;
	tcp_timer_update(e, sk);
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
