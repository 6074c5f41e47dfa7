/*
 * tcp_recovery.c - what a connection does about loss, as Linux's
 * congestion-avoidance states (tcp_fastretrans_alert, tcp_enter_loss):
 *
 *   Open      nothing outstanding is in doubt;
 *   Disorder  SACKs or duplicate ACKs arrived, not yet enough to call
 *             anything lost (fewer than DupThresh = tcp_reordering);
 *   Recovery  fast retransmit (RFC 6675 with SACK, RFC 6582 NewReno
 *             without): ssthresh from the congestion control; cwnd
 *             brought down to it by Proportional Rate Reduction (RFC
 *             6937, as Linux), lost ranges first, until SND.UNA passes
 *             the recovery point; then cwnd = ssthresh;
 *   Loss      the RTO fired: every un-SACKed byte is lost, cwnd 1,
 *             slow start resends the holes (and only the holes).
 *
 * Counters as Linux: TCPFastRetrans (each retransmission in Recovery),
 * TCPSlowStartRetrans (each in Loss), TCPSackRecovery /
 * TCPRenoRecovery (entries), TCPDSACKUndo.
 */
#include <string.h>

#include "engine.h"

static void
set_ca_state(struct tcp_sock *sk, uint8_t st)
{
	sk->ca_state = st;
	sk->in_recovery = st == TCP_CAS_RECOVERY;
}

/* Back to Open: the scoreboard and loss marks start over. */
static void
ca_open(struct tcp_sock *sk)
{
	sk->rxt_n = 0;
	set_ca_state(sk, TCP_CAS_OPEN);
	sk->lost_end = sk->high_rxt = sk->snd_una;
	sk->reno_sacked = 0;
	sk->dupacks = 0;
	sk->undo_retrans = 0;
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
	uint32_t thresh = ((uint32_t)e->sysctl.tcp_reordering - 1) *
	    (uint32_t)sk->mss;
	unsigned i = 0, n = 0;

	for (i = 0; i < sk->rxt_n; i++) {
		struct tcp_rxt_rec r = sk->rxt[i];

		if (SEQ_LT(r.seq, sk->snd_una) || tcp_sack_is_sacked(sk, r.seq))
			continue;	/* it arrived */
		if (sk->sack_ok && sacked_above(sk, r.mark) > thresh &&
		    tcp_retransmit_range(e, sk, r.seq, sk->mss) > 0) {
			sk->prr_out++;
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
	sk->prior_ssthresh = sk->snd_ssthresh;
	sk->snd_ssthresh = sk->cc->ssthresh(e, sk);
	sk->recover = sk->snd_max;
	sk->high_rxt = sk->snd_una;
	sk->undo_retrans = 0;
	/*
	 * Duplicate ACKs alone (no SACK information) say the head is
	 * lost (Linux's tcp_mark_head_lost, RFC 6582 step 2).
	 */
	if (!SEQ_GT(sk->lost_end, sk->snd_una)) {
		if (head > sk->snd_max - sk->snd_una)
			head = sk->snd_max - sk->snd_una;
		sk->lost_end = sk->snd_una + head;
	}
	/* Recovery takes over from a pending loss probe. */
	sk->tlp_at = 0;
	sk->tlp_high_seq = 0;
	/*
	 * cwnd comes down to ssthresh gradually, by PRR (Linux); this
	 * ACK's tcp_cwnd_reduction lets the first lost segment go.
	 */
	sk->prr_delivered = sk->prr_out = 0;
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

void
tcp_dsack_seen(struct tcpx_engine *e, struct tcp_sock *sk)
{
	/*
	 * Linux's tcp_try_undo_dsack(): once every retransmission of
	 * this episode came back as a duplicate, none was needed; the
	 * reduction is undone.
	 */
	if (sk->undo_retrans == 0)
		return;
	if (--sk->undo_retrans > 0 || sk->ca_state != TCP_CAS_RECOVERY)
		return;
	/* An undone recovery keeps RACK's window wider for one more. */
	if (sk->rack.reo_wnd_persist < TCP_RACK_RECOVERY_THRESH)
		sk->rack.reo_wnd_persist++;
	sk->snd_cwnd = sk->cc->undo_cwnd(e, sk);
	if (sk->prior_ssthresh > sk->snd_ssthresh)
		sk->snd_ssthresh = sk->prior_ssthresh;
	MIB_INC(e, TCPEXT_TCPDSACKUNDO);
}

bool
tcp_fastretrans_alert(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t acked, bool dupack)
{
	bool rack = tcp_rack_on(e, sk), dupthresh_on, reo = false;
	uint32_t dupthresh = (uint32_t)e->sysctl.tcp_reordering;
	uint32_t flight = sk->snd_max - sk->snd_una, mss = sk->mss;

	if (sk->snd_una == sk->snd_max && sk->ca_state != TCP_CAS_LOSS &&
	    sk->ca_state != TCP_CAS_RECOVERY) {
		ca_open(sk);
		return false;
	}
	/* Reno emulation: a duplicate ACK is a segment that got through. */
	if (!sk->sack_ok) {
		if (acked > 0) {
			uint32_t segs = (acked + mss - 1) / mss;

			/* One acked the hole; the rest used up duplicates. */
			sk->reno_sacked = segs - 1 >= sk->reno_sacked ? 0 :
			    sk->reno_sacked - (segs - 1);
		}
		if (dupack)
			sk->reno_sacked++;
		/* Linux's tcp_limit_reno_sacked(). */
		if (flight / mss > 0 && sk->reno_sacked > flight / mss - 1)
			sk->reno_sacked = flight / mss > 0 ? flight / mss - 1 :
			    0;
	}
	/*
	 * RFC 6675's DupThresh, then RACK's clock (Linux's
	 * tcp_identify_packet_loss); with bit 4 of tcp_recovery RACK
	 * decides alone.  In CA_Loss all is lost already.
	 */
	dupthresh_on = tcp_rack_dupthresh(e, sk);
	if (dupthresh_on)
		tcp_sack_mark_lost(e, sk);
	if (rack && sk->ca_state != TCP_CAS_LOSS)
		reo = tcp_rack_mark_lost(e, sk);

	switch (sk->ca_state) {
	case TCP_CAS_RECOVERY:
		if (!SEQ_LT(sk->snd_una, sk->recover)) {
			/* Full ACK (RFC 6582 3.2 step 3): deflate, done. */
			sk->snd_cwnd = sk->snd_ssthresh;
			sk->cwnd_acked = 0;
			tcp_rack_recovery_done(sk);
			ca_open(sk);
			break;
		}
		if (acked > 0 && !sk->sack_ok) {
			/*
			 * Partial ACK (RFC 6582 3.2 step 4): the next hole
			 * is at SND.UNA; resend it.  (With SACK, IsLost
			 * decides from the scoreboard, RFC 6675.)
			 */
			if (SEQ_LT(sk->lost_end, sk->snd_una + mss))
				sk->lost_end = SEQ_MIN(sk->snd_una + mss,
				    sk->snd_max);
			sk->high_rxt = sk->snd_una;
		}
		/* RACK finds lost retransmissions by their send time. */
		if (!rack)
			check_lost_retrans(e, sk);
		break;
	case TCP_CAS_LOSS:
		if (!SEQ_LT(sk->snd_una, sk->recover)) {
			tcp_rack_recovery_done(sk);
			ca_open(sk);
		}
		break;
	default:
		if (dupack)
			sk->dupacks++;
		/*
		 * The loss probe, sent last, got through (its range is
		 * SACKed): whatever was sent before it and is still
		 * missing is lost, as RACK (RFC 8985 6) would conclude a
		 * probe timeout (two RTTs) later.
		 */
		if (sk->tlp_high_seq != 0 && sk->sb_n > 0 &&
		    sk->sb[sk->sb_n - 1].end == sk->tlp_high_seq &&
		    SEQ_GT(sk->sb[sk->sb_n - 1].start, sk->lost_end))
			sk->lost_end = sk->sb[sk->sb_n - 1].start;
		if (SEQ_GT(sk->lost_end, sk->snd_una) ||
		    (dupthresh_on && sk->dupacks >= dupthresh)) {
			tcp_enter_recovery(e, sk);
			break;
		}
		set_ca_state(sk, sk->sb_n > 0 || sk->reno_sacked > 0 ||
		    sk->dupacks > 0 ? TCP_CAS_DISORDER : TCP_CAS_OPEN);
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
	if (sk->ca_state <= TCP_CAS_DISORDER ||
	    !SEQ_GT(sk->recover, sk->snd_una) ||
	    (sk->ca_state == TCP_CAS_LOSS && sk->retransmits == 0)) {
		sk->prior_cwnd = sk->snd_cwnd;
		sk->prior_ssthresh = sk->snd_ssthresh;
		sk->snd_ssthresh = sk->cc->ssthresh(e, sk);
	}
	/* A SACKed head means the receiver reneged: trust nothing. */
	if (sk->sb_n > 0 && !SEQ_GT(sk->sb[0].start, sk->snd_una))
		tcp_sack_reset(sk);
	sk->reno_sacked = 0;
	sk->dupacks = 0;
	sk->undo_retrans = 0;
	/* RFC 5681 3.1 / Linux's loss window: one segment. */
	sk->snd_cwnd = 1;
	sk->cwnd_acked = 0;
	sk->lost_end = sk->snd_max;
	sk->high_rxt = sk->snd_una;
	sk->recover = sk->snd_max;
	sk->rxt_n = 0;
	sk->tlp_at = 0;
	sk->tlp_high_seq = 0;
	sk->reo_at = 0;
	/* Linux's set_state(TCP_CA_Loss): on every timeout, backoffs too. */
	if (sk->cc->on_loss != NULL)
		sk->cc->on_loss(e, sk);
	set_ca_state(sk, TCP_CAS_LOSS);
}

void
tcp_xmit_retransmit(struct tcpx_engine *e, struct tcp_sock *sk, bool force)
{
	uint32_t seq, len, pipe, cwnd_bytes, wnd_end, mss = sk->mss;

	if (sk->ca_state != TCP_CAS_RECOVERY && sk->ca_state != TCP_CAS_LOSS)
		return;
	wnd_end = sk->snd_una + sk->snd_wnd;
	while (tcp_next_lost(sk, mss, &seq, &len)) {
		pipe = tcp_pipe(sk);
		cwnd_bytes = sk->snd_cwnd * mss;
		if (!force && pipe >= cwnd_bytes)
			break;
		/* Linux's tcp_retransmit_skb(): the head always, else in window. */
		if (seq != sk->snd_una && !SEQ_LT(seq, wnd_end))
			break;
		if ((len = tcp_retransmit_range(e, sk, seq, len)) == 0)
			break;
		if (sk->ca_state == TCP_CAS_RECOVERY) {
			rxt_record(sk, seq);
			sk->prr_out++;
		}
		sk->high_rxt = seq + len;
		sk->undo_retrans++;
		if (sk->ca_state == TCP_CAS_LOSS)
			MIB_INC(e, TCPEXT_TCPSLOWSTARTRETRANS);
		else
			MIB_INC(e, TCPEXT_TCPFASTRETRANS);
		force = false;
	}
}
