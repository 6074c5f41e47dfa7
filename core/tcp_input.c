/*
 * tcp_input.c - a validated TCP segment arrives: demultiplex first
 * (connection hash, then listeners, else a RST), then RFC 9293 3.10.7
 * "SEGMENT ARRIVES" for SYN-SENT and the synchronized states, with the
 * checks RFC 7323 (PAWS) and RFC 5961 (RST/SYN/ACK injection) add, in
 * the order Linux's tcp_rcv_state_process() applies them.
 *
 * A handler that may free the socket - tcp_done, tcp_time_wait - is the
 * last thing done with it.
 */
#include <errno.h>
#include <string.h>

#include "engine.h"

/* Linux's tcp_oow_rate_limited(), for ACKs to out-of-window segments. */
static bool
oow_rate_limited(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg)
{
	/* Data without SYN is not part of an ACK loop: always answer. */
	if (seg->len > 0 && !(seg->flags & TH_SYN))
		return false;
	if (sk->last_oow_ack_us != 0 && e->now >= sk->last_oow_ack_us &&
	    e->now - sk->last_oow_ack_us <
	    (uint64_t)e->sysctl.tcp_invalid_ratelimit * 1000)
		return true;
	sk->last_oow_ack_us = e->now != 0 ? e->now : 1;
	return false;
}

/* Linux's tcp_incr_quickack(). */
static void
incr_quickack(struct tcp_sock *sk, uint32_t max)
{
	uint32_t q = sk->rcv_wnd / (2u * (sk->rcv_mss != 0 ? sk->rcv_mss : 1));

	if (q == 0)
		q = 2;
	if (q > max)
		q = max;
	if (q > sk->quickack)
		sk->quickack = q;
}

/* Linux's tcp_event_data_recv(): adapt ato to the arrival gaps. */
static void
event_data_recv(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t len)
{
	uint64_t m;

	if (len >= sk->rcv_mss) {
		if (len != sk->rcv_mss)
			tcp_measure_scaling_ratio(e, sk, len);
		sk->rcv_mss = (uint16_t)(len < tcp_adv_mss(sk) ? len :
		    tcp_adv_mss(sk));
	}
	tcp_rcv_rtt_measure(e, sk);
	if (sk->ato_us == 0) {
		/* The first data: start the delayed-ACK engine quick. */
		incr_quickack(sk, TCP_MAX_QUICKACKS);
		sk->ato_us = TCP_ATO_MIN_US;
	} else {
		m = e->now - sk->lrcv_us;
		if (m <= TCP_ATO_MIN_US / 2) {
			sk->ato_us = sk->ato_us / 2 + TCP_ATO_MIN_US / 2;
		} else if (m < sk->ato_us) {
			sk->ato_us = (uint32_t)(sk->ato_us / 2 + m);
			if (sk->ato_us > sk->rto_us)
				sk->ato_us = sk->rto_us;
		} else if (m > sk->rto_us) {
			incr_quickack(sk, TCP_MAX_QUICKACKS);
		}
	}
	sk->lrcv_us = e->now;
	if (len >= 128)
		tcp_grow_window(sk, len);
}

/*
 * ACK at once, or arm the delayed ACK (Linux's __tcp_ack_snd_check):
 * at once when more than one full segment is unacknowledged and the
 * ACK would not pull the window's right edge back, or in quick-ACK
 * mode; with a hole in the sequence space, as SACK compression says.
 * (Linux compares window sizes; that amounts to the right-edge test,
 * which the engine applies directly.)  Bytes the host took and its
 * program has not read yet count as read here, though not in the
 * window: Linux's reader sends the ACK this would hold back as soon as
 * it reads, and tcpxd does not see a program's reads as they happen.
 */
static void
ack_snd_check(struct tcpx_engine *e, struct tcp_sock *sk)
{
	if (sk->ack_now)
		return;
	if ((sk->rcv_nxt - sk->rcv_wup > sk->rcv_mss &&
	    SEQ_GEQ(sk->rcv_nxt + tcp_rcv_space_taken(sk), sk->rcv_adv)) ||
	    (sk->quickack > 0 && sk->pingpong < TCP_PINGPONG_THRESH)) {
		sk->ack_now = true;
		return;
	}
	if (!TAILQ_EMPTY(&sk->ofo))
		tcp_sack_compress(e, sk);
	else
		tcp_delack_schedule(e, sk);
}

static void
update_ts_recent(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg)
{
	/* RFC 7323 4.3: only from a segment covering Last.ACK.sent. */
	if (ts_present(sk, seg) && SEQ_LEQ(seg->seq, sk->rcv_wup) &&
	    (int32_t)(seg->opt.ts_val - sk->ts_recent) >= 0) {
		sk->ts_recent = seg->opt.ts_val;
		sk->ts_recent_stamp = e->now;
	}
}

/*
 * The peer's FIN is in order (RFC 9293, eighth step; Linux's tcp_fin).
 * Returns true if sk is gone.
 */
static bool
tcp_fin(struct tcpx_engine *e, struct tcp_sock *sk)
{
	sk->rcv_fin = true;
	sk->rcv_nxt++;
	tcp_ofo_purge(sk);
	tcp_sock_event(e, sk, TCPX_EV_IN);
	switch (sk->state) {
	case TCP_ST_SYN_RECEIVED:
	case TCP_ST_ESTABLISHED:
		tcp_set_state(e, sk, TCP_ST_CLOSE_WAIT, "rcv FIN");
		/*
		 * Linux delays this ACK (pingpong mode), hoping the
		 * application's close will carry it with our FIN.
		 */
		if (sk->quickack > 0)
			sk->quickack = 0;
		tcp_delack_schedule(e, sk);
		return false;
	case TCP_ST_FIN_WAIT_1:
		/* Simultaneous close: our FIN is not acknowledged yet. */
		sk->ack_now = true;
		tcp_send_ack(e, sk);
		tcp_set_state(e, sk, TCP_ST_CLOSING, "rcv FIN");
		return false;
	case TCP_ST_FIN_WAIT_2:
		sk->ack_now = true;
		tcp_send_ack(e, sk);
		sk->fw2_at = 0;
		tcp_set_state(e, sk, TCP_ST_TIME_WAIT, "rcv FIN");
		tcp_time_wait(e, sk);
		return true;
	default:
		/* CLOSE-WAIT, CLOSING, LAST-ACK: a retransmitted FIN. */
		sk->ack_now = true;
		return false;
	}
}

/*
 * RFC 9293 seventh step, segment text; then the FIN.  In-order data
 * goes to the receive ring, the rest waits in the reassembly queue.
 * Returns true if sk is gone.
 */
static bool
data_queue(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg)
{
	uint32_t seq = seg->seq, len = seg->len, d, n, room, taken;
	struct tcp_sack_blk dup;
	const uint8_t *data = seg->data;
	bool fin = (seg->flags & TH_FIN) != 0;

	if (seg->flags & TH_SYN)
		seq++;
	if (len == 0 && !fin)
		return false;
	/* Trim what we already have. */
	if (SEQ_LT(seq, sk->rcv_nxt)) {
		d = sk->rcv_nxt - seq;
		if (d > len || (d == len && !fin)) {
			/*
			 * A retransmission: ACK at once (RFC 9293), with a
			 * D-SACK for it (RFC 2883), and leave interactive
			 * mode (Linux's tcp_enter_quickack_mode).
			 */
			tcp_dsack_set(e, sk, seq, seq + len + (fin ? 1 : 0));
			sk->ack_now = true;
			sk->pingpong = 0;
			incr_quickack(sk, TCP_MAX_QUICKACKS);
			return false;
		}
		/* Partly old: report the old part. */
		tcp_dsack_set(e, sk, seq, sk->rcv_nxt);
		seq += d;
		data += d;
		len -= d;
	}
	/* Nothing beyond what the buffer can hold. */
	room = TCP_RCV_LIMIT(sk) > sk->rcv.len + sk->ofo_bytes ?
	    TCP_RCV_LIMIT(sk) - sk->rcv.len - sk->ofo_bytes : 0;
	if (len > 0 && seq == sk->rcv_nxt && (room == 0 ||
	    (!SEQ_GT(sk->rcv_adv, sk->rcv_nxt) &&
	    tcp_rcv_space_now(sk) == 0))) {
		/* Zero window: drop, and say so (RFC 9293 3.8.6.2.1). */
		sk->ack_now = true;
		return false;
	}
	if (seq != sk->rcv_nxt) {
		/* Out of order: hold it and send a duplicate ACK with SACK. */
		d = seq - sk->rcv_nxt;
		if (d >= room) {
			sk->ack_now = true;
			return false;
		}
		if (len > room - d) {
			len = room - d;
			fin = false;
		}
		/* Bytes held already: a D-SACK for the first stretch of
		 * them (RFC 2883), as Linux's tcp_data_queue_ofo. */
		if (len > 0 && tcp_ofo_overlap(sk, seq, seq + len, &dup))
			tcp_dsack_set(e, sk, dup.start, dup.end);
		if (TAILQ_EMPTY(&sk->ofo))
			sk->rx_nsack = 0;
		MIB_INC(e, TCPEXT_TCPOFOQUEUE);
		(void)tcp_ofo_insert(sk, seq, data, len, fin);
		if (sk->sack_ok)
			tcp_rx_sack_add(e, sk, seq, seq + len + (fin ? 1 : 0));
		/*
		 * Linux's tcp_data_queue_ofo: no tcp_event_data_recv (the
		 * delayed-ACK clock and the MSS estimate follow in-order
		 * data), but the window may grow, with SACK only, so that
		 * without it duplicate ACKs stay duplicates.
		 */
		if (len > 0) {
			if (sk->sack_ok)
				tcp_grow_window(sk, len);
			sk->last_rcv_us = e->now;
		}
		/* The buffer makes room for what is held out of order
		 * (Linux 6.17+), once the program has the socket. */
		if (sk->id >= 0)
			tcp_rcvbuf_grow(e, sk, sk->rcvq_space);
		ack_snd_check(e, sk);
		return false;
	}
	taken = tcp_usr_deliver(e, sk, data, len < TCP_RCV_LIMIT(sk) ? len :
	    TCP_RCV_LIMIT(sk));
	n = taken + tcp_ring_write_max(&sk->rcv, data + taken, len - taken,
	    TCP_RCV_LIMIT(sk));
	sk->rcv_nxt += n;
	sk->bytes_received += n;
	if (n < len)
		fin = false;
	if (n > 0) {
		event_data_recv(e, sk, n);
		sk->last_rcv_us = e->now;
	}
	if (!TAILQ_EMPTY(&sk->ofo)) {
		tcp_ofo_dsack(e, sk);
		if (tcp_ofo_pull(sk))
			fin = true;
		/* RFC 5681 4.2: ACK at once when a gap is filled. */
		if (TAILQ_EMPTY(&sk->ofo))
			sk->ack_now = true;
	}
	if (sk->rx_nsack > 0)
		tcp_rx_sack_remove(sk);
	if (n > 0)
		tcp_sock_event(e, sk, TCPX_EV_IN);
	if (fin)
		return tcp_fin(e, sk);
	if (n > 0)
		ack_snd_check(e, sk);
	/*
	 * Bytes the host took were read as they came: what Linux's
	 * tcp_cleanup_rbuf does after a read applies, and sends an ACK
	 * held back with more than a segment unacknowledged (the window
	 * test above holds it whenever the clamp is under the window
	 * already offered; a reading program would send it at once).
	 */
	if (taken > 0 && !sk->held_tracked && sk->delack_at != 0 &&
	    sk->rcv_nxt - sk->rcv_wup > sk->rcv_mss)
		sk->ack_now = true;
	return false;
}

/* The peer's options in its SYN or SYN-ACK (RFC 7323, RFC 2018). */
static void
syn_options(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg)
{
	sk->peer_mss = seg->opt.has_mss ? seg->opt.mss : TCP_MSS_DEFAULT;
	sk->ts_ok = seg->opt.has_ts && e->sysctl.tcp_timestamps != 0;
	if (sk->ts_ok) {
		sk->ts_recent = seg->opt.ts_val;
		sk->ts_recent_stamp = e->now;
	}
	sk->wscale_ok = seg->opt.has_wscale && e->sysctl.tcp_window_scaling;
	if (sk->wscale_ok) {
		sk->snd_wscale = seg->opt.wscale > 14 ? 14 : seg->opt.wscale;
	} else {
		sk->snd_wscale = 0;
		sk->rcv_wscale = 0;
		if (sk->rcv_wnd > 65535)
			sk->rcv_wnd = 65535;
		if (sk->window_clamp > 65535)
			sk->window_clamp = 65535;
	}
	sk->sack_ok = seg->opt.sack_perm && e->sysctl.tcp_sack != 0;
}

/* RFC 9293 3.10.7.3: SEGMENT ARRIVES in SYN-SENT. */
static void
synsent_input(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg)
{
	uint32_t adata, syn_data;

	/* First, check the ACK. */
	if (seg->flags & TH_ACK) {
		if (SEQ_LEQ(seg->ack, sk->iss) ||
		    SEQ_GT(seg->ack, sk->snd_max)) {
			tcp_send_reset_reply(e, seg);
			return;
		}
		/*
		 * RFC 7323 5.2 (Linux): an echoed timestamp we never sent
		 * means an old duplicate: reset it.
		 */
		if (seg->opt.has_ts && seg->opt.ts_ecr != 0 &&
		    e->sysctl.tcp_timestamps != 0) {
			uint32_t ecr = seg->opt.ts_ecr - sk->ts_off;
			uint32_t first = (uint32_t)(sk->syn_sent_us / 1000);

			if ((int32_t)(ecr - first) < 0 ||
			    (int32_t)(tcpx_now_ms(e) - ecr) < 0) {
				MIB_INC(e, TCPEXT_PAWSACTIVE);
				if (!(seg->flags & TH_RST))
					tcp_send_reset_reply(e, seg);
				return;
			}
		}
	}
	/* Second, the RST: refused if it acknowledges our SYN. */
	if (seg->flags & TH_RST) {
		if (seg->flags & TH_ACK)
			(void)tcp_reset(e, sk);
		return;
	}
	/* Fourth, the SYN. */
	if (!(seg->flags & TH_SYN))
		return;
	sk->irs = seg->seq;
	sk->rcv_nxt = seg->seq + 1;
	sk->rcv_wup = sk->rcv_nxt;
	sk->rcv_adv = sk->rcv_nxt + sk->rcv_wnd;
	syn_options(e, sk, seg);
	sk->snd_wnd = seg->wnd;	/* never scaled in a SYN */
	sk->snd_wl1 = seg->seq;
	sk->snd_wl2 = seg->ack;
	sk->last_rcv_us = e->now;

	if (!(seg->flags & TH_ACK)) {
		/* Simultaneous open: SYN-RECEIVED, SYN-ACK from our ISS. */
		tcp_set_state(e, sk, TCP_ST_SYN_RECEIVED,
		    "rcv SYN (simultaneous open)");
		tcp_sync_mss(e, sk);
		sk->snd_nxt = sk->iss;
		tcp_send_syn(e, sk, false);
		return;
	}

	/* Our SYN is acknowledged: ESTABLISHED. */
	if (sk->retransmits == 0)
		tcp_ack_update_rtt(e, sk, e->now - sk->syn_sent_us,
		    e->now - sk->syn_sent_us);
	syn_data = sk->tfo_syn_data ? sk->tfo_syn_len : 0;
	/* Fast Open client: keep the server's cookie (RFC 7413 4.1). */
	if (sk->tfo_req && seg->opt.has_fastopen &&
	    seg->opt.fastopen_len > 0)
		tcp_fastopen_cache_set(e, sk->h.tuple.raddr,
		    seg->opt.fastopen_cookie, seg->opt.fastopen_len,
		    sk->peer_mss);
	adata = seg->ack - (sk->iss + 1);
	tcp_ring_drop(&sk->snd, adata);
	sk->bytes_acked += adata;
	sk->snd_una = seg->ack;
	tcp_set_state(e, sk, TCP_ST_ESTABLISHED, "rcv SYN+ACK");
	tcp_init_transfer(e, sk);
	sk->connecting = false;
	if (syn_data > 0) {
		if (adata >= syn_data) {
			MIB_INC(e, TCPEXT_TCPFASTOPENACTIVE);
		} else {
			/*
			 * RFC 7413 4.2.2: the data was not taken; resend it
			 * as a loss that is no congestion signal (Linux's
			 * tcp_non_congestion_loss_retransmit): CA_Loss with
			 * cwnd and ssthresh left alone.
			 */
			MIB_INC(e, TCPEXT_TCPFASTOPENACTIVEFAIL);
			sk->lost_end = sk->recover = sk->snd_max;
			sk->high_rxt = sk->snd_una;
			if (sk->cc->on_loss != NULL)
				sk->cc->on_loss(e, sk);
			sk->ca_state = TCP_CAS_LOSS;
		}
	}
	if (SEQ_LT(sk->snd_nxt, sk->snd_una))
		sk->snd_nxt = sk->snd_una;
	tcp_sock_event(e, sk, TCPX_EV_OUT);
	/* Sixth onwards: data or a FIN on the SYN-ACK. */
	if ((seg->len > 0 || (seg->flags & TH_FIN)) && data_queue(e, sk, seg))
		return;
	if (sk->write_pending && sk->snd.len == 0) {
		/*
		 * tcp_rcv_synsent_state_process: a writer is about to send;
		 * save the pure ACK, its data carries it.  Quick-ACK mode,
		 * and the delayed-ACK timer at TCP_DELACK_MAX in case the
		 * data never comes.
		 */
		sk->write_pending = false;
		incr_quickack(sk, TCP_MAX_QUICKACKS);
		sk->pingpong = 0;
		sk->ato_us = TCP_ATO_MIN_US;
		/*
		 * tcp_finish_connect's lrcvtime, which only counts here:
		 * elsewhere Linux's ato is still 0 at this point.  The
		 * data sent within ato of it makes the connection
		 * interactive (pingpong), so the reply's ACK is delayed.
		 */
		sk->lrcv_us = e->now;
		sk->delack_at = e->now + TCP_DELACK_MAX_US;
		tcp_timer_update(e, sk);
		return;
	}
	sk->write_pending = false;
	sk->ack_now = true;
	tcp_output(e, sk);
	tcp_timer_update(e, sk);
}

enum paws { PAWS_OK, PAWS_REJECT, PAWS_OLD_ACK };

/*
 * RFC 7323 5.3 as Linux 6.18 applies it (tcp_paws_check with
 * TCP_PAWS_WINDOW, then tcp_disordered_ack_check).  A TSval one tick
 * behind TS.Recent passes: a retransmission's fresher TSval may set
 * TS.Recent just before the original, held up by reordering, arrives
 * (dropping that original stalls the sender until its RTO).  A stale
 * TS.Recent (24 days) or none (0) checks nothing.  Of the rest, a pure
 * ACK passes if it is a duplicate ACK at RCV.NXT that changes no window
 * and lags by no more than the replay window, 1.2 ticks per ms of RTO
 * (tcp_tsval_replay); one for older data or an older ACK is an old ACK.
 */
static enum paws
paws_check(struct tcpx_engine *e, const struct tcp_sock *sk,
    const struct tcp_seg *seg)
{
	int32_t behind = (int32_t)(sk->ts_recent - seg->opt.ts_val);
	uint32_t nwin = (uint32_t)seg->wnd << sk->snd_wscale;

	if (behind <= TCP_PAWS_WINDOW || sk->ts_recent == 0 ||
	    e->now - sk->ts_recent_stamp > TCP_PAWS_24DAYS_US)
		return PAWS_OK;
	if (!(seg->flags & TH_ACK) || tcp_seg_seqlen(seg) != 0)
		return PAWS_REJECT;
	if (seg->seq != sk->rcv_nxt)
		return SEQ_LT(seg->seq, sk->rcv_nxt) ? PAWS_OLD_ACK :
		    PAWS_REJECT;
	if (seg->ack != sk->snd_una)
		return SEQ_LT(seg->ack, sk->snd_una) ? PAWS_OLD_ACK :
		    PAWS_REJECT;
	if (SEQ_GT(seg->seq, sk->snd_wl1) ||
	    (seg->seq == sk->snd_wl1 && (nwin > sk->snd_wnd || nwin == 0)))
		return PAWS_REJECT;
	if ((int64_t)behind > (int64_t)sk->rto_us / 1000 * 1200 / 1000)
		return PAWS_REJECT;
	return PAWS_OK;
}

/*
 * RFC 9293 3.10.7.4: SEGMENT ARRIVES in SYN-RECEIVED and the
 * synchronized states.
 */
static void
sock_input(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg)
{
	uint32_t seglen = tcp_seg_seqlen(seg), end = seg->seq + seglen;
	uint32_t wnd = SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ?
	    sk->rcv_adv - sk->rcv_nxt : 0;
	bool closed_rd;
	enum paws paws;

	/* RFC 7323 5.3: PAWS, before the sequence test; not for RSTs. */
	paws = ts_present(sk, seg) && !(seg->flags & TH_RST) ?
	    paws_check(e, sk, seg) : PAWS_OK;
	if (paws != PAWS_OK) {
		if (seg->flags & TH_SYN)
			goto syn_challenge;
		/* Old ACKs are common (reordering): dropped without a word. */
		if (paws == PAWS_OLD_ACK) {
			MIB_INC(e, TCPEXT_PAWSOLDACK);
			return;
		}
		MIB_INC(e, TCPEXT_PAWSESTAB);
		if (!oow_rate_limited(e, sk, seg)) {
			sk->ack_now = true;
			tcp_send_ack(e, sk);
		}
		return;
	}

	/* First: is the sequence acceptable (Linux's tcp_sequence)? */
	if (SEQ_LT(end, sk->rcv_wup) || SEQ_GT(seg->seq, sk->rcv_nxt + wnd)) {
		if (seg->flags & TH_RST)
			return;
		if (seg->flags & TH_SYN)
			goto syn_challenge;
		/* Old data: a D-SACK for it (Linux's tcp_send_dupack). */
		if (seg->len > 0 && SEQ_LT(seg->seq, sk->rcv_nxt)) {
			tcp_dsack_set(e, sk, seg->seq, SEQ_MIN(end, sk->rcv_nxt));
			sk->pingpong = 0;
			incr_quickack(sk, TCP_MAX_QUICKACKS);
		}
		/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, rate limited. */
		if (!oow_rate_limited(e, sk, seg)) {
			sk->ack_now = true;
			tcp_send_ack(e, sk);
		}
		return;
	}

	/* Second: RST (RFC 5961 3.2). */
	if (seg->flags & TH_RST) {
		if (seg->seq == sk->rcv_nxt ||
		    (seg->seq == sk->rcv_nxt - 1 && sk->rcv_fin &&
		    (sk->state == TCP_ST_CLOSE_WAIT ||
		    sk->state == TCP_ST_LAST_ACK ||
		    sk->state == TCP_ST_CLOSING))) {
			(void)tcp_reset(e, sk);
			return;
		}
		tcp_send_challenge_ack(e, sk, seg);
		return;
	}

	/* Fourth: SYN (RFC 5961 4.2), but the crossing SYN-ACK of a
	 * simultaneous open. */
	if (seg->flags & TH_SYN) {
		if (sk->state == TCP_ST_SYN_RECEIVED &&
		    (seg->flags & TH_ACK) && seg->seq == sk->irs &&
		    seg->ack == sk->iss + 1)
			goto pass;
syn_challenge:
		MIB_INC(e, TCP_INERRS);
		MIB_INC(e, TCPEXT_TCPSYNCHALLENGE);
		tcp_send_challenge_ack(e, sk, seg);
		return;
	}
pass:
	/* Fifth: ACK off means drop. */
	if (!(seg->flags & TH_ACK))
		return;
	update_ts_recent(e, sk, seg);
	sk->last_rcv_us = e->now;

	if (sk->state == TCP_ST_SYN_RECEIVED) {
		if (!SEQ_LT(sk->snd_una, seg->ack) ||
		    SEQ_GT(seg->ack, sk->snd_max)) {
			/* <SEQ=SEG.ACK><CTL=RST> */
			tcp_send_reset_reply(e, seg);
			return;
		}
		if (sk->snd_una == sk->iss) {
			if (sk->retransmits == 0 && sk->syn_sent_us != 0)
				tcp_ack_update_rtt(e, sk,
				    e->now - sk->syn_sent_us,
				    e->now - sk->syn_sent_us);
			sk->snd_una = sk->iss + 1;
		}
		sk->snd_wnd = (seg->flags & TH_SYN) ? seg->wnd :
		    (uint32_t)seg->wnd << sk->snd_wscale;
		sk->snd_wl1 = seg->seq;
		sk->snd_wl2 = seg->ack;
		tcp_set_state(e, sk, TCP_ST_ESTABLISHED, "rcv ACK");
		tcp_init_transfer(e, sk);
		sk->connecting = false;
		/* The crossing SYN-ACK of a simultaneous open is ACKed. */
		if (seg->flags & TH_SYN)
			sk->ack_now = true;
		tcp_sock_event(e, sk, TCPX_EV_OUT);
	}
	if (tcp_ack(e, sk, seg) < 0)
		return;

	switch (sk->state) {
	case TCP_ST_FIN_WAIT_1:
		if (!sk->fin_acked)
			break;
		tcp_set_state(e, sk, TCP_ST_FIN_WAIT_2, "rcv ACK of FIN");
		if (sk->orphan) {
			sk->fw2_at = e->now + tcp_fin_time_us(e, sk);
			tcp_timer_update(e, sk);
		}
		tcp_sock_event(e, sk, TCPX_EV_OUT);
		break;
	case TCP_ST_CLOSING:
		if (sk->fin_acked) {
			tcp_set_state(e, sk, TCP_ST_TIME_WAIT, "rcv ACK of FIN");
			tcp_time_wait(e, sk);
			return;
		}
		break;
	case TCP_ST_LAST_ACK:
		if (sk->fin_acked) {
			(void)tcp_done(e, sk, 0, "rcv ACK of FIN");
			return;
		}
		break;
	default:
		break;
	}

	/* Seventh: text (RFC 9293), as Linux sorts it by state. */
	closed_rd = sk->shut_rd || sk->orphan;
	switch (sk->state) {
	case TCP_ST_CLOSE_WAIT:
	case TCP_ST_CLOSING:
	case TCP_ST_LAST_ACK:
		if (!SEQ_LT(seg->seq, sk->rcv_nxt))
			break;		/* nothing more can come after a FIN */
		/* FALLTHROUGH */
	case TCP_ST_FIN_WAIT_1:
	case TCP_ST_FIN_WAIT_2:
		/*
		 * RFC 1122 4.2.2.13: new data for an application that
		 * closed its read side means RST (Linux: TCPAbortOnData).
		 */
		if ((closed_rd || sk->rcv_fin) && seg->len + ((seg->flags &
		    TH_FIN) ? 1 : 0) > 0 &&
		    SEQ_GT(end - ((seg->flags & TH_FIN) ? 1 : 0), sk->rcv_nxt)) {
			MIB_INC(e, TCPEXT_TCPABORTONDATA);
			tcp_send_reset_reply(e, seg);
			(void)tcp_reset(e, sk);
			return;
		}
		/* FALLTHROUGH */
	case TCP_ST_ESTABLISHED:
		/* Linux's tcp_rcv_established(), before the data. */
		if (sk->state == TCP_ST_ESTABLISHED && seg->len > 0 &&
		    seg->opt.has_ts)
			tcp_rcv_rtt_measure_ts(e, sk, seg->opt.ts_ecr, seg->len);
		if (data_queue(e, sk, seg))
			return;
		break;
	default:
		break;
	}
	/* Anything the ACK or window let go, and any ACK owed. */
	tcp_output(e, sk);
	if (sk->opt.keepalive && sk->keep_at == 0)
		tcp_keepalive_reset(e, sk);
}

void
tcp_input(struct tcpx_engine *e, const struct tcp_seg *seg)
{
	struct tcp_tuple t;
	struct tcp_hnode *n;
	struct tcp_sock *sk;

	/* Demultiplex first: the connection hash, then listeners. */
	t.laddr = seg->daddr;
	t.raddr = seg->saddr;
	t.lport = seg->dport;
	t.rport = seg->sport;
	if ((n = tcp_hash_lookup(e, &t)) != NULL) {
		switch (n->kind) {
		case TCP_HK_TW:
			tcp_tw_input(e, (struct tcp_tw *)(void *)n, seg);
			return;
		case TCP_HK_REQ:
			tcp_req_input(e, (struct tcp_req *)(void *)n, seg);
			return;
		default:
			break;
		}
		sk = (struct tcp_sock *)(void *)n;
		sk->segs_in++;
		switch (sk->state) {
		case TCP_ST_SYN_SENT:
			synsent_input(e, sk, seg);
			return;
		case TCP_ST_CLOSED:
		case TCP_ST_LISTEN:
		case TCP_ST_TIME_WAIT:
			tcp_send_reset_reply(e, seg);
			return;
		default:
			sock_input(e, sk, seg);
			return;
		}
	}
	if ((sk = tcp_listener_lookup_tuple(e, &t)) != NULL) {
		tcp_listen_input(e, sk, seg);
		return;
	}
	/* RFC 9293 3.10.7.1: CLOSED - a RST for anything but a RST. */
	tcp_send_reset_reply(e, seg);
}
