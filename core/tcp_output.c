/*
 * tcp_output.c - the one place that decides what a connection sends
 * next (BSD's tcp_output, smoltcp's dispatch): the SYN; lost ranges
 * first (tcp_recovery.c decides which), then new data cut into
 * MSS-sized segments, or GSO super-segments, within the peer's window
 * and what cwnd leaves of pipe (Nagle / TCP_NODELAY / TCP_CORK); the
 * FIN after the queued data; pure ACKs with the window we advertise and
 * SACK / D-SACK blocks; probes and resets.
 *
 * Every segment leaves through xmit(), which fills in the ACK, window
 * and options, hands the segment to ip_send_tcp() and counts it.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

uint32_t
tcp_data_seq0(const struct tcp_sock *sk)
{
	/*
	 * Until our SYN is acknowledged the first data byte is ISS+1 (once
	 * it is, SND.UNA is past ISS for good).
	 */
	return sk->snd_una == sk->iss ? sk->iss + 1 : sk->snd_una;
}

/* Unscaled bytes of receive buffer still free (Linux's tcp_space). */
static uint32_t
free_space(const struct tcp_sock *sk, uint64_t used)
{
	return used >= sk->rcv.max ? 0 : sk->rcv.max - (uint32_t)used;
}

/*
 * Linux's __tcp_select_window(): offer free space, limited by the
 * slowly growing rcv_ssthresh; avoid silly windows when the buffer is
 * more than half full; round up to the scale so it is not scaled away.
 */
static uint32_t
select_space(const struct tcp_sock *sk, uint32_t space)
{
	uint32_t full = sk->rcv.max;
	uint32_t mss = sk->rcv_mss, gran = 1u << sk->rcv_wscale, win;

	if (mss > full)
		mss = full;
	if (space < full / 2) {
		space &= ~(gran - 1);
		if (space < full / 16 || space < mss)
			return 0;
	}
	if (space > sk->rcv_ssthresh)
		space = sk->rcv_ssthresh;
	if (sk->rcv_wscale != 0) {
		win = (space + gran - 1) & ~(gran - 1);
	} else {
		win = sk->rcv_wnd;
		if (win + mss <= space || win > space)
			win = mss != 0 ? space / mss * mss : space;
	}
	return win;
}

uint32_t
tcp_rcv_space_now(const struct tcp_sock *sk)
{
	return select_space(sk, free_space(sk, tcp_rcv_used(sk)));
}

uint32_t
tcp_rcv_space_taken(const struct tcp_sock *sk)
{
	return select_space(sk, free_space(sk, tcp_rcv_used(sk) -
	    sk->rcv_held));
}

/* Linux's tcp_select_window(): never shrink what was offered. */
static uint16_t
select_window(struct tcp_sock *sk)
{
	uint32_t cur = 0, nw, maxw;

	if (SEQ_GT(sk->rcv_adv, sk->rcv_nxt))
		cur = sk->rcv_adv - sk->rcv_nxt;
	nw = tcp_rcv_space_now(sk);
	if (nw < cur) {
		uint32_t gran = 1u << sk->rcv_wscale;

		nw = (cur + gran - 1) & ~(gran - 1);
	}
	maxw = sk->rcv_wscale != 0 ? 65535u << sk->rcv_wscale : 65535u;
	if (nw > maxw)
		nw = maxw;
	sk->rcv_wnd = nw;
	sk->rcv_wup = sk->rcv_nxt;
	sk->rcv_adv = sk->rcv_nxt + nw;
	return (uint16_t)(nw >> sk->rcv_wscale);
}

/*
 * The MSS for the next data segment (Linux's tcp_current_mss): SACK
 * blocks in the header leave less room for data within the MTU.
 */
static uint32_t
cur_mss(const struct tcp_sock *sk)
{
	unsigned n, max = sk->ts_ok ? 3 : 4;

	if (!sk->sack_ok || (sk->rx_nsack == 0 && !sk->dsack))
		return sk->mss;
	n = sk->rx_nsack + (sk->dsack ? 1u : 0u);
	if (n > max)
		n = max;
	return sk->mss - (4 + 8 * n);
}

/* After any segment carrying our ACK: nothing is owed any more. */
static void
ack_sent(struct tcpx_engine *e, struct tcp_sock *sk)
{
	bool scheduled = sk->ack_now || sk->delack_at != 0;

	if (scheduled && sk->quickack > 0) {
		/* Linux's tcp_dec_quickack_mode(). */
		if (--sk->quickack == 0)
			sk->ato_us = TCP_ATO_MIN_US;
	}
	sk->ack_now = false;
	sk->ack_pending = 0;
	/* Linux's tcp_event_ack_sent(): this ACK stands for the held ones. */
	if (sk->comp_acks > 0) {
		MIB_ADD(e, TCPEXT_TCPACKCOMPRESSED, sk->comp_acks);
		sk->comp_acks = 0;
	}
	if (sk->delack_at != 0 || sk->comp_ack_at != 0) {
		sk->delack_at = 0;
		sk->comp_ack_at = 0;
		tcp_timer_update(e, sk);
	}
}

/*
 * SACK blocks for our ACK: a pending D-SACK first (RFC 2883), then
 * rx_sack, the most recent first (RFC 2018), as many as fit.
 */
static void
sack_blocks(const struct tcp_sock *sk, struct tcp_opts *o, unsigned max)
{
	unsigned i;

	o->nsack = 0;
	if (sk->dsack && max > 0) {
		o->sack[0].start = sk->dsack_start;
		o->sack[0].end = sk->dsack_end;
		o->nsack = 1;
	}
	for (i = 0; i < sk->rx_nsack && o->nsack < max; i++) {
		o->sack[o->nsack].start = sk->rx_sack[i].start;
		o->sack[o->nsack].end = sk->rx_sack[i].end;
		o->nsack++;
	}
}

static uint32_t tso_segs(const struct tcpx_engine *e,
    const struct tcp_sock *sk, uint32_t mss);
static uint32_t gso_len(struct tcpx_engine *e, const struct tcp_sock *sk,
    uint32_t unsent, uint32_t cwnd_room, uint32_t wnd_room, uint32_t mss,
    uint32_t segs);

/*
 * Send one segment of this connection.  `data` may be NULL with len 0;
 * `stays`: it lies in the send ring (tcp_out.data_stays).  SYN segments
 * carry the SYN options; others the timestamp and, with out-of-order
 * data held, SACK blocks.
 */
static void
xmit_gso(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint8_t flags, const uint8_t *data, uint32_t len, uint16_t gso_size,
    bool stays)
{
	struct tcp_out out;
	bool passive;
	uint32_t pcount = 1;

	memset(&out, 0, sizeof(out));
	out.saddr = sk->h.tuple.laddr;
	out.daddr = sk->h.tuple.raddr;
	out.sport = sk->h.tuple.lport;
	out.dport = sk->h.tuple.rport;
	out.seq = seq;
	out.flags = flags;
	out.data = data;
	out.len = len;
	out.data_stays = stays;
	if (flags & TH_ACK)
		out.ack = sk->rcv_nxt;
	if (flags & TH_SYN) {
		out.wnd = (uint16_t)(sk->rcv_wnd < 65535 ? sk->rcv_wnd : 65535);
		sk->rcv_wup = sk->rcv_nxt;
		sk->rcv_adv = sk->rcv_nxt + out.wnd;
		/*
		 * A passive SYN-ACK (a Fast Open child's) offers only what
		 * the SYN did; our own SYN, or the SYN-ACK of a simultaneous
		 * open, what the sysctls allow, as Linux's tcp_syn_options.
		 */
		passive = sk->passive && (flags & TH_ACK);
		out.opt.has_mss = true;
		out.opt.mss = sk->advmss;
		out.opt.sack_perm = e->sysctl.tcp_sack != 0 &&
		    (!passive || sk->sack_ok);
		if (e->sysctl.tcp_timestamps != 0 && (!passive || sk->ts_ok)) {
			out.opt.has_ts = true;
			out.opt.ts_val = tcp_tsval(e, sk->ts_off);
			out.opt.ts_ecr = (flags & TH_ACK) ? sk->ts_recent : 0;
		}
		if (e->sysctl.tcp_window_scaling != 0 &&
		    (!passive || sk->wscale_ok)) {
			out.opt.has_wscale = true;
			out.opt.wscale = sk->rcv_wscale;
		}
		if (sk->tfo_opt) {
			out.opt.has_fastopen = true;
			out.opt.fastopen_len = sk->tfo_cookie_len;
			memcpy(out.opt.fastopen_cookie, sk->tfo_cookie,
			    sk->tfo_cookie_len);
		}
	} else {
		out.wnd = (flags & TH_RST) && !(flags & TH_ACK) ? 0 :
		    select_window(sk);
		if (sk->ts_ok) {
			out.opt.has_ts = true;
			out.opt.ts_val = tcp_tsval(e, sk->ts_off);
			out.opt.ts_ecr = sk->ts_recent;
		}
		if (sk->sack_ok && !(flags & TH_RST) &&
		    (sk->rx_nsack > 0 || sk->dsack))
			sack_blocks(sk, &out.opt, sk->ts_ok ? 3 : 4);
	}
	/* Data and FIN take sequence space: remember when it went. */
	if (!(flags & TH_RST))
		tcp_txstamp_sent(e, sk, seq + ((flags & TH_SYN) ? 1 : 0),
		    seq + ((flags & TH_SYN) ? 1 : 0) + len +
		    ((flags & TH_FIN) ? 1 : 0));
	if (gso_size != 0 && len > gso_size) {
		/* One super-segment stands for this many (tcp_skb_pcount). */
		pcount = (len + gso_size - 1) / gso_size;
		(void)ip_send_tcp_gso(e, &out, gso_size);
	} else {
		(void)ip_send_tcp(e, &out);
	}
	MIB_ADD(e, TCP_OUTSEGS, pcount);
	sk->segs_out += pcount;
	sk->last_snd_us = e->now;
	if (len > 0) {
		sk->bytes_sent += len;
		sk->lsndtime_us = e->now;
	}
	if (flags & TH_ACK) {
		sk->dsack = false;
		ack_sent(e, sk);
	}
}

static void
xmit(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq, uint8_t flags,
    const uint8_t *data, uint32_t len)
{
	xmit_gso(e, sk, seq, flags, data, len, 0, false);
}

/*
 * Data segment from the send ring at `seq`: in place when the bytes do
 * not wrap around the ring, else through a scratch copy.  `gso` is the
 * MSS of a super-segment, 0 for a plain one.
 */
static void
xmit_data_gso(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint32_t len, uint8_t flags, uint16_t gso)
{
	uint8_t stackbuf[2048], *buf = stackbuf;
	uint32_t off = seq - tcp_data_seq0(sk);
	const uint8_t *p;

	if ((p = tcp_ring_ptr(&sk->snd, off, len)) != NULL) {
		xmit_gso(e, sk, seq, flags, p, len, gso, true);
		return;
	}
	if (len > sizeof(stackbuf) && (buf = malloc(len)) == NULL)
		return;
	tcp_ring_peek(&sk->snd, off, buf, len);
	xmit_gso(e, sk, seq, flags, buf, len, gso, false);
	if (buf != stackbuf)
		free(buf);
}

static void
xmit_data(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint32_t len, uint8_t flags)
{
	xmit_data_gso(e, sk, seq, len, flags, 0);
}

void
tcp_send_syn(struct tcpx_engine *e, struct tcp_sock *sk, bool retrans)
{
	uint8_t flags = TH_SYN;
	uint32_t dlen = 0;
	uint8_t buf[1500];

	if (sk->state == TCP_ST_SYN_RECEIVED)
		flags |= TH_ACK;
	if (!retrans && sk->tfo_syn_len > 0 && sk->tfo_syn_len <= sizeof(buf)) {
		dlen = sk->tfo_syn_len;
		tcp_ring_peek(&sk->snd, 0, buf, dlen);
	}
	xmit(e, sk, sk->iss, flags, dlen > 0 ? buf : NULL, dlen);
	/* Retries carry no Fast Open option, as Linux's. */
	sk->tfo_opt = false;
	if (retrans) {
		MIB_INC(e, TCP_RETRANSSEGS);
		MIB_INC(e, TCPEXT_TCPSYNRETRANS);
		sk->total_retrans++;
	} else {
		sk->syn_sent_us = e->now;
		if (dlen > 0) {
			MIB_INC(e, TCPEXT_TCPORIGDATASENT);
			sk->tfo_syn_data = true;
		}
	}
	sk->snd_nxt = sk->iss + 1 + dlen;
	if (SEQ_GT(sk->snd_nxt, sk->snd_max))
		sk->snd_max = sk->snd_nxt;
	if (tcp_xmit_timer_idle(sk))
		tcp_rto_arm(e, sk);
}

void
tcp_send_ack(struct tcpx_engine *e, struct tcp_sock *sk)
{
	if (sk->state == TCP_ST_CLOSED || sk->state == TCP_ST_LISTEN ||
	    sk->state == TCP_ST_SYN_SENT)
		return;
	xmit(e, sk, sk->snd_max, TH_ACK, NULL, 0);
}

void
tcp_send_active_reset(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t seq = sk->snd_max;

	/* Linux's tcp_acceptable_seq(): not beyond the peer's window. */
	if (SEQ_GT(seq, sk->snd_una + sk->snd_wnd) && sk->snd_wnd != 0)
		seq = sk->snd_una + sk->snd_wnd;
	xmit(e, sk, seq, TH_RST | TH_ACK, NULL, 0);
	MIB_INC(e, TCP_OUTRSTS);
}

void
tcp_send_probe(struct tcpx_engine *e, struct tcp_sock *sk)
{
	/* An old sequence number: the peer must answer with an ACK. */
	xmit(e, sk, sk->snd_una - 1, TH_ACK, NULL, 0);
}

void
tcp_write_wakeup(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t seq0 = tcp_data_seq0(sk), end = seq0 + sk->snd.len;
	uint32_t wnd_end = sk->snd_una + sk->snd_wnd, len;
	bool prior;

	/* Linux's tcp_write_wakeup(): what fits of the window, else a probe. */
	if (SEQ_LT(sk->snd_nxt, end) && SEQ_LT(sk->snd_nxt, wnd_end)) {
		len = end - sk->snd_nxt;
		if (len > wnd_end - sk->snd_nxt)
			len = wnd_end - sk->snd_nxt;
		if (len > cur_mss(sk))
			len = cur_mss(sk);
		xmit_data(e, sk, sk->snd_nxt, len, TH_ACK | TH_PSH);
		if (SEQ_LT(sk->snd_nxt, sk->snd_max)) {
			MIB_INC(e, TCP_RETRANSSEGS);
			sk->total_retrans++;
			sk->bytes_retrans += len;
		} else {
			MIB_INC(e, TCPEXT_TCPORIGDATASENT);
		}
		sk->snd_nxt += len;
		prior = sk->snd_max != sk->snd_una;
		if (SEQ_GT(sk->snd_nxt, sk->snd_max))
			sk->snd_max = sk->snd_nxt;
		tcp_new_data_timer(e, sk, prior);
		return;
	}
	tcp_send_probe(e, sk);
}

uint32_t
tcp_retransmit_gso(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint32_t len, uint32_t room, uint32_t *segs)
{
	uint32_t seq0 = tcp_data_seq0(sk), dend = seq0 + sk->snd.len;
	uint32_t mss = cur_mss(sk), wnd_end = sk->snd_una + sk->snd_wnd;
	uint32_t sent, pcount = 1;
	uint8_t flags = TH_ACK;
	bool fin = sk->fin_queued && !sk->fin_acked &&
	    SEQ_LT(sk->fin_seq, sk->snd_max);

	*segs = 0;
	/* Data only: a SYN not yet acknowledged is tcp_send_syn's. */
	if (SEQ_LT(seq, seq0)) {
		if (len <= seq0 - seq)
			return 0;
		len -= seq0 - seq;
		seq = seq0;
	}
	if (SEQ_GT(seq + len, dend))
		len = SEQ_GT(dend, seq) ? dend - seq : 0;
	/*
	 * More than a segment goes as one super-segment, as far as cwnd's
	 * room and the peer's window allow, in whole segments (Linux's
	 * tcp_retransmit_skb: segs, avail_wnd), so that a loss is repaired
	 * as it was sent, not one packet at a time; else one segment, cut
	 * to the MSS the header leaves room for.  The FIN rides on the
	 * data it follows, or goes alone.
	 */
	if (len > mss && ip_gso_ok(e, sk->h.tuple.raddr) && mss == sk->mss)
		len = gso_len(e, sk, len, room,
		    SEQ_GT(wnd_end, seq) ? wnd_end - seq : mss, mss,
		    tso_segs(e, sk, mss));
	else if (len > mss)
		len = mss;
	if (len > 0) {
		sent = len;
		if (seq + len == dend) {
			flags |= TH_PSH;
			if (fin) {
				flags |= TH_FIN;
				sent++;
			}
		}
		pcount = (len + mss - 1) / mss;
		xmit_data_gso(e, sk, seq, len, flags,
		    len > mss ? (uint16_t)mss : 0);
		sk->bytes_retrans += len;
	} else if (fin && seq == sk->fin_seq) {
		xmit(e, sk, sk->fin_seq, TH_FIN | TH_ACK, NULL, 0);
		sent = 1;
	} else {
		return 0;
	}
	MIB_ADD(e, TCP_RETRANSSEGS, pcount);
	sk->total_retrans += pcount;
	*segs = pcount;
	/* The retry budget (tcp_retries2) counts from the first resend. */
	if (sk->retrans_stamp == 0)
		sk->retrans_stamp = e->now;
	/* Who resends sets the slot (tcp_xmit_retransmit, the timers);
	 * never left empty with data in flight. */
	if (tcp_xmit_timer_idle(sk))
		tcp_rto_arm(e, sk);
	return sent;
}

uint32_t
tcp_retransmit_range(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t seq, uint32_t len)
{
	uint32_t segs;

	if (len > cur_mss(sk))
		len = cur_mss(sk);
	return tcp_retransmit_gso(e, sk, seq, len, 0, &segs);
}

bool
tcp_send_new_segment(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t seq0 = tcp_data_seq0(sk), end = seq0 + sk->snd.len, len;
	uint32_t wnd_end = sk->snd_una + sk->snd_wnd, mss = cur_mss(sk);
	uint8_t flags = TH_ACK;
	bool prior;

	if (!SEQ_LT(sk->snd_nxt, end) || SEQ_LT(sk->snd_nxt, seq0))
		return false;
	len = end - sk->snd_nxt < mss ? end - sk->snd_nxt : mss;
	if (SEQ_GT(sk->snd_nxt + len, wnd_end))
		return false;
	if (sk->snd_nxt + len == end)
		flags |= TH_PSH;
	xmit_data(e, sk, sk->snd_nxt, len, flags);
	MIB_INC(e, TCPEXT_TCPORIGDATASENT);
	sk->snd_nxt += len;
	prior = sk->snd_max != sk->snd_una;
	if (SEQ_GT(sk->snd_nxt, sk->snd_max))
		sk->snd_max = sk->snd_nxt;
	tcp_new_data_timer(e, sk, prior);
	return true;
}

void
tcp_send_challenge_ack(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg)
{
	struct tcp_stack *ts = &e->tcp;
	long limit = e->sysctl.tcp_challenge_ack_limit;
	uint64_t sec;

	(void)seg;
	/* Per socket: one per tcp_invalid_ratelimit ms (Linux). */
	if (sk->last_oow_ack_us != 0 && e->now >= sk->last_oow_ack_us &&
	    e->now - sk->last_oow_ack_us <
	    (uint64_t)e->sysctl.tcp_invalid_ratelimit * 1000) {
		MIB_INC(e, TCPEXT_TCPACKSKIPPEDCHALLENGE);
		return;
	}
	sk->last_oow_ack_us = e->now != 0 ? e->now : 1;
	/*
	 * Host-wide: tcp_challenge_ack_limit per second (RFC 5961 7).
	 * Linux draws the per-second budget at random around the limit
	 * to hide it from blind attackers; here it is exactly the limit,
	 * so a run stays repeatable.
	 */
	if (limit < 2147483647) {
		sec = e->now / 1000000;
		if (sec != ts->challenge_window_start ||
		    ts->challenge_count == UINT32_MAX) {
			ts->challenge_window_start = sec;
			ts->challenge_count = (uint32_t)limit;
		}
		if (ts->challenge_count == 0)
			return;
		ts->challenge_count--;
	}
	MIB_INC(e, TCPEXT_TCPCHALLENGEACK);
	tcp_send_ack(e, sk);
}

/*
 * Arm the zero-window probe timer (Linux's tcp_check_probe_timer):
 * data waits, nothing is in flight, so no ACK will reopen the window
 * unless we ask.
 */
static void
persist_check(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint64_t when;

	if (sk->snd_nxt != sk->snd_una || sk->rto_at != 0 ||
	    sk->persist_at != 0)
		return;
	when = (uint64_t)sk->rto_us << sk->backoff;
	if (when < TCP_RTO_MIN_US)
		when = TCP_RTO_MIN_US;
	if (when > TCP_RTO_MAX_US)
		when = TCP_RTO_MAX_US;
	sk->persist_at = e->now + when;
	tcp_timer_update(e, sk);
}

/*
 * Nagle (RFC 896), Minshall's variant as Linux: must a segment shorter
 * than the MSS wait?  Always under TCP_CORK or MSG_MORE; without
 * TCP_NODELAY, while an earlier short segment is unacknowledged.
 */
static bool
nagle_holds(const struct tcp_sock *sk, uint32_t inflight)
{
	if (sk->opt.cork || sk->more)
		return true;
	return !sk->opt.nodelay && inflight > 0 &&
	    SEQ_GT(sk->snd_sml, sk->snd_una) &&
	    SEQ_LEQ(sk->snd_sml, sk->snd_nxt);
}

/*
 * RFC 5681 4.1 / Linux's tcp_cwnd_restart: after an idle RTO the old
 * cwnd no longer describes the path; halve it per RTO idle, down to the
 * initial window, remembering 3/4 of it in ssthresh.  The congestion
 * control hears of the idle time either way (CUBIC's epoch moves).
 */
static void
idle_restart(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint64_t idle, d;
	uint32_t restart, cwnd = sk->snd_cwnd, keep;

	if (sk->lsndtime_us == 0)
		return;
	idle = e->now - sk->lsndtime_us;
	if (sk->cc->tx_start != NULL)
		sk->cc->tx_start(e, sk, idle);
	if (!e->sysctl.tcp_slow_start_after_idle || idle <= sk->rto_us)
		return;
	keep = cwnd - cwnd / 4;
	if (sk->snd_ssthresh < keep)
		sk->snd_ssthresh = keep;
	restart = cwnd < TCP_INIT_CWND ? cwnd : TCP_INIT_CWND;
	d = idle;
	while (d > sk->rto_us && cwnd > restart) {
		cwnd >>= 1;
		d -= sk->rto_us;
	}
	sk->snd_cwnd = cwnd > restart ? cwnd : restart;
	sk->cwnd_acked = 0;
}

/*
 * Linux's pingpong (interactive) mode: data sent within ato of the
 * last data received means a request/response exchange; the ACKs of
 * such a peer are delayed, to ride on our answers.
 */
static void
data_sent(struct tcpx_engine *e, struct tcp_sock *sk)
{
	if (sk->lrcv_us != 0 && e->now - sk->lrcv_us < sk->ato_us &&
	    sk->pingpong < 255)
		sk->pingpong++;
}

/*
 * Linux's tcp_tso_segs(): the most MSS one super-segment carries.  Its
 * tcp_tso_autosize spreads the pacing rate over 1024 sends a second
 * (sk_pacing_shift 10), so that a slow or distant flow sends small
 * bursts, and adds gso_max_size halved for each doubling of min_rtt past
 * 2^tcp_tso_rtt_log us, so that a near one sends 64 KB; at most
 * gso_max_size, at least tcp_min_tso_segs, then at most gso_max_segs.
 * Before the first RTT sample (rate and min_rtt unknown): 64 KB.
 */
static uint32_t
tso_segs(const struct tcpx_engine *e, const struct tcp_sock *sk,
    uint32_t mss)
{
	uint64_t bytes = sk->pacing_rate >> 10;
	uint32_t log = (uint32_t)e->sysctl.tcp_tso_rtt_log, r, segs;

	r = log < 32 ? sk->rtt_min.s[0].v >> log : 0;
	if (r < 32)
		bytes += e->cfg.gso_max_size >> r;
	if (bytes > e->cfg.gso_max_size)
		bytes = e->cfg.gso_max_size;
	segs = (uint32_t)bytes / mss;
	if (segs < (uint32_t)e->sysctl.tcp_min_tso_segs)
		segs = (uint32_t)e->sysctl.tcp_min_tso_segs;
	if (e->cfg.gso_max_segs != 0 && segs > e->cfg.gso_max_segs)
		segs = e->cfg.gso_max_segs;
	return segs;
}

/*
 * How much one super-segment carries (Linux's tcp_tso_segs and
 * tcp_mss_split_point in spirit): what cwnd and the peer's window
 * allow, at most `segs` MSS (tso_segs()) and an IPv4 packet, in whole
 * MSS pieces unless it takes the last bytes queued.
 */
static uint32_t
gso_len(struct tcpx_engine *e, const struct tcp_sock *sk, uint32_t unsent,
    uint32_t cwnd_room, uint32_t wnd_room, uint32_t mss, uint32_t segs)
{
	uint32_t max = e->cfg.gso_max_size, hdr;
	uint32_t quota = (cwnd_room + mss - 1) / mss * mss;

	/* IPv4 total length: 20 + TCP header (options) + payload. */
	hdr = IPV4_HLEN_MIN + TCP_HLEN_MIN + (sk->ts_ok ? 12 : 0);
	if (max > 65535 - hdr)
		max = 65535 - hdr;
	if (max / mss > segs)
		max = segs * mss;
	if (quota < max)
		max = quota;
	if (wnd_room < max)
		max = wnd_room;
	if (unsent <= max)
		return unsent;
	max -= max % mss;
	return max > mss ? max : mss;
}

/*
 * Linux's tcp_tso_should_defer() (John Heffner's "TSO Nagle"): with
 * more than a segment to send but room for only a small super-segment,
 * wait for the ACK that is about due and send a bigger one then.
 * Never in Recovery or Loss, nor when nothing went out for 1 ms (no
 * burst after a pause), nor with room for a full super-segment or
 * cwnd / tcp_tso_win_divisor (with 0, more than three segments, what
 * one ACK of a receiver that ACKs every other segment frees), nor while
 * the oldest segment in flight went less than half an srtt ago: its ACK
 * is not due yet.  Else it waits: cwnd-limited, window-limited, or for
 * more data, unless the FIN rides on what would go.  tcpx keeps no skb
 * boundaries in its send queue, so what Linux would hold in the head
 * skb is taken as all that is unsent, up to the largest super-segment
 * (`segs` MSS, tso_segs()).
 */
static bool
tso_should_defer(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t unsent,
    uint32_t cong_win, uint32_t send_win, uint32_t mss, uint32_t segs,
    bool *cwnd_limited)
{
	uint32_t limit, chunk, skb_len, div;
	uint32_t max = segs * mss;

	if (sk->ca_state >= TCP_CAS_RECOVERY)
		return false;
	if (e->now - sk->last_snd_us > 1000)
		return false;
	limit = cong_win < send_win ? cong_win : send_win;
	if (limit >= max)
		return false;
	div = (uint32_t)e->sysctl.tcp_tso_win_divisor;
	if (div != 0) {
		chunk = sk->snd_cwnd * mss;
		if (sk->snd_wnd < chunk)
			chunk = sk->snd_wnd;
		if (limit >= chunk / div)
			return false;
	} else if (limit > 3 * mss) {
		return false;
	}
	if (sk->txs.n == 0 || sk->snd_una == sk->snd_nxt)
		return false;
	if (e->now - sk->txs.v[sk->txs.head].sent_us < sk->srtt8_us >> 4)
		return false;
	skb_len = unsent < max ? unsent : max;
	if (cong_win < send_win) {
		if (cong_win <= skb_len) {
			*cwnd_limited = true;
			return true;
		}
	} else if (send_win <= skb_len) {
		return true;
	}
	return !(sk->fin_queued && unsent == skb_len);
}

void
tcp_output(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t seq0, end, len, unsent, wnd_end, inflight, mss, pipe;
	uint32_t cwnd_bytes, segs = 0;
	bool wnd_limited = false, cwnd_limited = false, fin, gso;
	bool sent_new = false, prior;
	uint8_t flags;

	switch (sk->state) {
	case TCP_ST_CLOSED:
	case TCP_ST_LISTEN:
	case TCP_ST_TIME_WAIT:
		return;
	case TCP_ST_SYN_SENT:
		if (sk->snd_nxt == sk->iss)
			tcp_send_syn(e, sk, sk->snd_max != sk->iss);
		return;
	case TCP_ST_SYN_RECEIVED:
		if (sk->snd_una == sk->iss) {
			if (sk->snd_nxt == sk->iss)
				tcp_send_syn(e, sk, sk->snd_max != sk->iss);
			/*
			 * A Fast Open child may send data right after its
			 * SYN-ACK, before the handshake completes (Linux's
			 * tcp_passive_fast_open); others wait.
			 */
			if (!sk->passive)
				return;
		}
		break;
	default:
		break;
	}

	seq0 = tcp_data_seq0(sk);
	end = seq0 + sk->snd.len;
	wnd_end = sk->snd_una + sk->snd_wnd;
	tcp_cc_check(e, sk);
	if (SEQ_LT(sk->snd_nxt, seq0))
		sk->snd_nxt = seq0;
	if (sk->snd_una == sk->snd_max && SEQ_LT(sk->snd_nxt, end))
		idle_restart(e, sk);
	/*
	 * Lost ranges first (RFC 6675 NextSeg rule 1), then new data; once
	 * new data alone, when F-RTO tries the path (RFC 5682 step 2b).
	 */
	if (sk->frto_new)
		sk->frto_new = false;
	else
		tcp_xmit_retransmit(e, sk, false);
	mss = cur_mss(sk);
	gso = ip_gso_ok(e, sk->h.tuple.raddr) && mss == sk->mss;
	/* Once per call, as Linux's tcp_write_xmit takes max_segs. */
	if (gso)
		segs = tso_segs(e, sk, mss);
	while (SEQ_LT(sk->snd_nxt, end)) {
		unsent = end - sk->snd_nxt;
		len = unsent < mss ? unsent : mss;
		if (SEQ_GT(sk->snd_nxt + len, wnd_end)) {
			wnd_limited = true;
			break;
		}
		pipe = tcp_pipe(sk);
		cwnd_bytes = sk->snd_cwnd * (uint32_t)sk->mss;
		if (pipe >= cwnd_bytes) {
			cwnd_limited = true;
			break;
		}
		inflight = sk->snd_nxt - sk->snd_una;
		if (gso && unsent > mss && tso_should_defer(e, sk, unsent,
		    cwnd_bytes - pipe, wnd_end - sk->snd_nxt, mss, segs,
		    &cwnd_limited))
			break;
		if (gso && unsent > mss) {
			len = gso_len(e, sk, unsent, cwnd_bytes - pipe,
			    wnd_end - sk->snd_nxt, mss, segs);
			/* A short last piece only if Nagle would send it. */
			if (len % mss != 0 && !(sk->fin_queued &&
			    len == unsent) && nagle_holds(sk, inflight))
				len -= len % mss;
		}
		fin = sk->fin_queued && len == unsent &&
		    SEQ_LEQ(sk->snd_nxt + len + 1, wnd_end);
		if (len < mss && !fin && nagle_holds(sk, inflight))
			break;
		flags = TH_ACK;
		if (len == unsent)
			flags |= TH_PSH;
		if (fin)
			flags |= TH_FIN;
		data_sent(e, sk);
		xmit_data_gso(e, sk, sk->snd_nxt, len, flags,
		    len > mss ? (uint16_t)mss : 0);
		MIB_ADD(e, TCPEXT_TCPORIGDATASENT, (len + mss - 1) / mss);
		if (sk->ca_state == TCP_CAS_RECOVERY)
			sk->prr_out += (len + mss - 1) / mss;
		sk->snd_nxt += len + (fin ? 1 : 0);
		sent_new = true;
		if (len % mss != 0)
			sk->snd_sml = sk->snd_nxt;
		prior = sk->snd_max != sk->snd_una;
		if (SEQ_GT(sk->snd_nxt, sk->snd_max))
			sk->snd_max = sk->snd_nxt;
		tcp_new_data_timer(e, sk, prior);
	}
	/* A FIN of its own once all data is out (RFC 9293 CLOSE). */
	if (sk->fin_queued && sk->snd_nxt == sk->fin_seq && !sk->fin_acked) {
		if (SEQ_LEQ(sk->fin_seq + 1, wnd_end)) {
			xmit(e, sk, sk->fin_seq, TH_FIN | TH_ACK, NULL, 0);
			sk->snd_nxt = sk->fin_seq + 1;
			prior = sk->snd_max != sk->snd_una;
			if (SEQ_GT(sk->snd_nxt, sk->snd_max))
				sk->snd_max = sk->snd_nxt;
			tcp_new_data_timer(e, sk, prior);
			sent_new = true;
		} else {
			wnd_limited = true;
		}
	}
	/* New data out: a tail loss probe two RTTs on (Linux). */
	if (sent_new)
		(void)tcp_tlp_schedule(e, sk, false);
	tcp_cwnd_validate(sk, cwnd_limited);
	if (sk->ack_now)
		tcp_send_ack(e, sk);
	if (wnd_limited)
		persist_check(e, sk);
}
