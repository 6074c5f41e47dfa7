/*
 * tcp_subr.c - a connection's life: allocation and freeing, state
 * changes (with the counters Linux keeps on them), the end of a
 * connection (tcp_done / tcp_reset / tcp_abort), resets for segments
 * nobody takes, socket ids, TCP_INFO-style introspection and names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static const char *const state_names[] = {
	[0] = "CLOSED",
	[TCP_ST_ESTABLISHED] = "ESTABLISHED",
	[TCP_ST_SYN_SENT] = "SYN-SENT",
	[TCP_ST_SYN_RECEIVED] = "SYN-RECEIVED",
	[TCP_ST_FIN_WAIT_1] = "FIN-WAIT-1",
	[TCP_ST_FIN_WAIT_2] = "FIN-WAIT-2",
	[TCP_ST_TIME_WAIT] = "TIME-WAIT",
	[TCP_ST_CLOSED] = "CLOSED",
	[TCP_ST_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCP_ST_LAST_ACK] = "LAST-ACK",
	[TCP_ST_LISTEN] = "LISTEN",
	[TCP_ST_CLOSING] = "CLOSING",
};

static const char *const state_ss_names[] = {
	[0] = "UNCONN",
	[TCP_ST_ESTABLISHED] = "ESTAB",
	[TCP_ST_SYN_SENT] = "SYN-SENT",
	[TCP_ST_SYN_RECEIVED] = "SYN-RECV",
	[TCP_ST_FIN_WAIT_1] = "FIN-WAIT-1",
	[TCP_ST_FIN_WAIT_2] = "FIN-WAIT-2",
	[TCP_ST_TIME_WAIT] = "TIME-WAIT",
	[TCP_ST_CLOSED] = "UNCONN",
	[TCP_ST_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCP_ST_LAST_ACK] = "LAST-ACK",
	[TCP_ST_LISTEN] = "LISTEN",
	[TCP_ST_CLOSING] = "CLOSING",
};

const char *
tcp_state_name(int state)
{
	if (state < 0 || state > TCP_ST_MAX)
		return "UNKNOWN";
	return state_names[state];
}

const char *
tcp_state_ss_name(int state)
{
	if (state < 0 || state > TCP_ST_MAX)
		return "UNKNOWN";
	return state_ss_names[state];
}

void
tcp_sockaddr_set(struct sockaddr_in *sin, uint32_t addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	sin->sin_port = htons(port);
}

static uint32_t tcp_minmax_reset(struct tcp_minmax *m, uint32_t t,
    uint32_t v);

struct tcp_sock *
tcp_sock_alloc(struct tcpx_engine *e)
{
	struct tcp_sock *sk;

	if ((sk = calloc(1, sizeof(*sk))) == NULL)
		return NULL;
	sk->h.kind = TCP_HK_SOCK;
	sk->id = -1;
	sk->state = TCP_ST_CLOSED;
	TAILQ_INIT(&sk->ofo);
	tcp_timer_init(sk);
	sk->opt.rcvbuf = (int)e->sysctl.tcp_rmem[1];
	sk->opt.sndbuf = (int)e->sysctl.tcp_wmem[1];
	sk->opt.linger_secs = 0;
	sk->rto_us = TCP_TIMEOUT_INIT_US;
	sk->snd_cwnd = TCP_INIT_CWND;
	sk->snd_ssthresh = 0x7fffffff;
	sk->pacing_rate = UINT64_MAX;	/* Linux's ~0: unknown yet */
	tcp_minmax_reset(&sk->rtt_min, 0, UINT32_MAX);	/* none yet */
	sk->rack.reo_wnd_steps = 1;
	sk->reordering = (uint32_t)e->sysctl.tcp_reordering;
	sk->mss = TCP_MSS_DEFAULT;
	sk->rcv_mss = TCP_MSS_DEFAULT;
	sk->scaling_ratio = TCP_DEFAULT_SCALING_RATIO;
	return sk;
}

static void
id_release(struct tcpx_engine *e, struct tcp_sock *sk)
{
	struct tcp_stack *ts = &e->tcp;

	if (sk->id < 0 || sk->id >= ts->nids || ts->ids[sk->id] != sk)
		return;
	ts->ids[sk->id] = NULL;
	if (sk->id < ts->id_hint)
		ts->id_hint = sk->id;
	sk->id = -1;
}

void
tcp_sock_orphan(struct tcpx_engine *e, struct tcp_sock *sk)
{
	id_release(e, sk);
	if (!sk->orphan) {
		sk->orphan = true;
		e->tcp.orphans++;
	}
}

uint64_t
tcp_fin_time_us(const struct tcpx_engine *e, const struct tcp_sock *sk)
{
	uint64_t t = (uint64_t)e->sysctl.tcp_fin_timeout * 1000000;
	uint64_t rto = sk->rto_us;

	/* Never shorter than 3.5 RTO (Linux's tcp_fin_time). */
	if (t < (rto << 2) - (rto >> 1))
		t = (rto << 2) - (rto >> 1);
	return t;
}

void
tcp_sock_free(struct tcpx_engine *e, struct tcp_sock *sk)
{
	int id = sk->id;

	if (sk->listen != NULL)
		tcp_listen_close(e, sk);
	if (sk->parent != NULL)
		tcp_listen_unlink_child(e, sk);
	if (sk->hashed) {
		tcp_hash_remove(e, &sk->h);
		sk->hashed = false;
	}
	if (sk->bound)
		tcp_port_unbind(e, sk);
	timer_cancel(e, &sk->timer);
	if (sk->orphan && e->tcp.orphans > 0)
		e->tcp.orphans--;
	if (sk->state == TCP_ST_ESTABLISHED || sk->state == TCP_ST_CLOSE_WAIT)
		MIB_DEC(e, TCP_CURRESTAB);
	id_release(e, sk);
	if (sk->snd.buf != NULL)
		ip_tx_fence(e);	/* frames may point into it */
	tcp_ring_free(&sk->snd);
	tcp_ring_free(&sk->rcv);
	tcp_ofo_purge(sk);
	tcp_txstamp_free(sk);
	if (id >= 0 && e->ops.event != NULL)
		e->ops.event(e->ops.ctx, id, TCPX_EV_CLOSED);
	free(sk);
}

void
tcp_set_state(struct tcpx_engine *e, struct tcp_sock *sk, int state,
    const char *cause)
{
	int old = sk->state;
	struct sockaddr_in l, r;

	if (old == state)
		return;
	/*
	 * Linux's tcp_set_state(): CurrEstab counts ESTABLISHED and
	 * CLOSE-WAIT; leaving either for CLOSED is an EstabReset.
	 */
	if ((state == TCP_ST_ESTABLISHED || state == TCP_ST_CLOSE_WAIT) &&
	    old != TCP_ST_ESTABLISHED && old != TCP_ST_CLOSE_WAIT)
		MIB_INC(e, TCP_CURRESTAB);
	if ((old == TCP_ST_ESTABLISHED || old == TCP_ST_CLOSE_WAIT) &&
	    state != TCP_ST_ESTABLISHED && state != TCP_ST_CLOSE_WAIT) {
		MIB_DEC(e, TCP_CURRESTAB);
		if (state == TCP_ST_CLOSED)
			MIB_INC(e, TCP_ESTABRESETS);
	}
	sk->state = state;
	if (e->ops.trace_state != NULL) {
		tcp_sockaddr_set(&l, sk->h.tuple.laddr, sk->h.tuple.lport);
		tcp_sockaddr_set(&r, sk->h.tuple.raddr, sk->h.tuple.rport);
		e->ops.trace_state(e->ops.ctx, sk->id, &l, &r, old, state,
		    cause, e->now);
	}
}

void
tcp_sock_event(struct tcpx_engine *e, struct tcp_sock *sk, unsigned events)
{
	if (sk->id >= 0 && !sk->orphan && e->ops.event != NULL)
		e->ops.event(e->ops.ctx, sk->id, events);
}

bool
tcp_done(struct tcpx_engine *e, struct tcp_sock *sk, int err,
    const char *cause)
{
	if (sk->state == TCP_ST_SYN_SENT || sk->state == TCP_ST_SYN_RECEIVED)
		MIB_INC(e, TCP_ATTEMPTFAILS);
	if (err != 0)
		sk->so_error = err;
	tcp_set_state(e, sk, TCP_ST_CLOSED, cause);
	sk->shut_rd = sk->shut_wr = true;
	sk->rto_at = sk->delack_at = sk->keep_at = sk->persist_at = 0;
	sk->comp_ack_at = 0;
	sk->fw2_at = sk->tlp_at = sk->reo_at = 0;
	timer_cancel(e, &sk->timer);
	tcp_ring_drop(&sk->snd, sk->snd.len);
	tcp_ofo_purge(sk);
	/* The tuple (and an ephemeral port) is free from now on. */
	tcp_port_release(e, sk);
	/*
	 * As Linux: an owned socket stays, CLOSED, until the application
	 * closes it (reads return the queued data, then the error, then
	 * EOF); so does a child waiting in an accept queue.
	 */
	if (!sk->orphan && (sk->id >= 0 || sk->parent != NULL)) {
		tcp_sock_event(e, sk, TCPX_EV_IN | TCPX_EV_OUT |
		    (sk->so_error != 0 ? TCPX_EV_ERR : 0));
		return false;
	}
	tcp_sock_free(e, sk);
	return true;
}

bool
tcp_reset(struct tcpx_engine *e, struct tcp_sock *sk)
{
	int err;

	/* Linux's tcp_reset(): the error a RST means in each state. */
	switch (sk->state) {
	case TCP_ST_SYN_SENT:
		err = ECONNREFUSED;
		break;
	case TCP_ST_CLOSE_WAIT:
		err = EPIPE;
		break;
	case TCP_ST_CLOSED:
		return false;
	default:
		err = ECONNRESET;
		break;
	}
	return tcp_done(e, sk, err, "rcv RST");
}

void
tcp_abort(struct tcpx_engine *e, struct tcp_sock *sk, int err, bool send_rst)
{
	if (send_rst && sk->state != TCP_ST_CLOSED &&
	    sk->state != TCP_ST_LISTEN && sk->state != TCP_ST_SYN_SENT)
		tcp_send_active_reset(e, sk);
	if (sk->state == TCP_ST_CLOSED) {
		if (err != 0)
			sk->so_error = err;
		if (sk->orphan || (sk->id < 0 && sk->parent == NULL))
			tcp_sock_free(e, sk);
		return;
	}
	tcp_done(e, sk, err, "abort");
}

void
tcp_send_reset_reply(struct tcpx_engine *e, const struct tcp_seg *seg)
{
	struct tcp_out out;

	/* RFC 9293 3.10.7.1: never answer a RST. */
	if (seg->flags & TH_RST)
		return;
	memset(&out, 0, sizeof(out));
	out.saddr = seg->daddr;
	out.daddr = seg->saddr;
	out.sport = seg->dport;
	out.dport = seg->sport;
	if (seg->flags & TH_ACK) {
		out.seq = seg->ack;
		out.flags = TH_RST;
	} else {
		out.seq = 0;
		out.ack = seg->seq + tcp_seg_seqlen(seg);
		out.flags = TH_RST | TH_ACK;
	}
	out.wnd = 0;
	(void)ip_send_tcp(e, &out);
	MIB_INC(e, TCP_OUTSEGS);
	MIB_INC(e, TCP_OUTRSTS);
}

uint16_t
tcp_mss_for_route(struct tcpx_engine *e, uint32_t raddr)
{
	(void)raddr;
	/* One link, one MTU: IPv4 and TCP headers without options. */
	return (uint16_t)(e->cfg.mtu - 40);
}

uint32_t
tcp_initial_clamp(struct tcpx_engine *e, const struct tcp_sock *sk)
{
	return sk->opt.rcvbuf_lock ? tcp_full_space(e, sk) :
	    (uint32_t)65535 << TCP_MAX_WSCALE;
}

uint8_t
tcp_initial_wscale(struct tcpx_engine *e, uint32_t space, uint32_t clamp)
{
	uint8_t ws = 0;

	if (space < (uint32_t)e->sysctl.tcp_rmem[2])
		space = (uint32_t)e->sysctl.tcp_rmem[2];
	if (space < SYSCTL_RMEM_MAX)
		space = SYSCTL_RMEM_MAX;
	if (space > clamp)
		space = clamp;
	while (space > 65535 && ws < TCP_MAX_WSCALE) {
		space >>= 1;
		ws++;
	}
	return ws;
}

void
tcp_sync_mss(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t mss = tcp_mss_for_route(e, sk->h.tuple.raddr);

	if (sk->peer_mss != 0 && sk->peer_mss < mss)
		mss = sk->peer_mss;
	if (sk->opt.user_mss > 0 && (uint32_t)sk->opt.user_mss < mss)
		mss = (uint32_t)sk->opt.user_mss;
	if (sk->ts_ok)
		mss -= 12;	/* nop, nop, timestamps on every segment */
	if (mss < 48)
		mss = 48;
	sk->mss = (uint16_t)mss;
}

void
tcp_init_transfer(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t hint;

	tcp_sync_mss(e, sk);
	sk->max_window = sk->snd_wnd;
	/* Linux's tcp_initialize_rcv_mss(). */
	hint = tcp_adv_mss(sk) < sk->mss ? tcp_adv_mss(sk) : sk->mss;
	if (hint > sk->rcv_wnd / 2)
		hint = sk->rcv_wnd / 2;
	if (hint > TCP_MSS_DEFAULT)
		hint = TCP_MSS_DEFAULT;
	if (hint < 88)
		hint = 88;
	sk->rcv_mss = (uint16_t)hint;
	sk->snd_cwnd = TCP_INIT_CWND;
	tcp_cc_init(e, sk);
	/* Linux sets it from the handshake's ACK, the SYN's RTT known. */
	tcp_update_pacing_rate(sk);
	/* Loss recovery starts Open, with an empty scoreboard. */
	tcp_sack_reset(sk);
	sk->reordering = (uint32_t)e->sysctl.tcp_reordering;
	sk->ca_state = TCP_CAS_OPEN;
	sk->in_recovery = false;
	sk->lost_end = sk->high_rxt = sk->recover = sk->snd_una;
	sk->max_packets_seq = sk->cwnd_usage_seq = sk->snd_una;
	/* RFC 6298 5.7: a retransmitted SYN without an RTT sample: 3 s. */
	if (!sk->rtt_valid && sk->retransmits > 0)
		sk->rto_us = TCP_TIMEOUT_FALLBACK_US;
	sk->retransmits = 0;
	sk->backoff = 0;
	sk->rto_at = 0;
	sk->last_rcv_us = sk->last_ack_us = e->now;
	if (sk->opt.keepalive)
		tcp_keepalive_reset(e, sk);
	/* Buffers the program did not size itself grow with the
	 * connection, as Linux's. */
	sk->sndbuf_auto = !sk->opt.sndbuf_lock;
	sk->rcvbuf_auto = !sk->opt.rcvbuf_lock &&
	    e->sysctl.tcp_moderate_rcvbuf != 0;
	tcp_init_buffer_space(e, sk);
	sk->rcvq_seq = tcp_bytes_app_read(sk);
	sk->rcvq_time = e->now;
	tcp_sndbuf_expand(e, sk);
}

/*
 * Linux's tcp_sndbuf_expand(): room for two congestion windows (CUBIC
 * needs 1.7 for Fast Recovery; 2 leaves a cushion), of at least the
 * initial window or the reordering degree plus one, each segment charged
 * what its buffer costs Linux: the larger of the peer's MSS and ours,
 * plus MAX_TCP_HEADER and skb_shared_info, rounded up to a power of two,
 * plus the sk_buff itself.  An MSS of 1460 costs 2304, so a connection
 * has SO_SNDBUF 46080 once established, as Linux 6.18 reports, and holds
 * that much data: Linux charges a large skb little more than its data.
 */
#define SKB_HEAD_OVERHEAD	(256 + 320)	/* MAX_TCP_HEADER, shinfo */
#define SKB_STRUCT_SIZE		256		/* sk_buff, cache-aligned */

void
tcp_sndbuf_expand(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t segs = sk->snd_cwnd > TCP_INIT_CWND ? sk->snd_cwnd :
	    TCP_INIT_CWND;
	uint32_t per_mss, head;
	uint64_t want;

	if (!sk->sndbuf_auto)
		return;
	if (segs < sk->reordering + 1)
		segs = sk->reordering + 1;
	head = (sk->peer_mss > sk->mss ? sk->peer_mss : sk->mss) +
	    SKB_HEAD_OVERHEAD;
	for (per_mss = 1; per_mss < head; per_mss <<= 1)
		;
	per_mss += SKB_STRUCT_SIZE;
	want = 2ULL * segs * per_mss;
	if (want > (uint64_t)e->sysctl.tcp_wmem[2])
		want = (uint64_t)e->sysctl.tcp_wmem[2];
	if (want > sk->snd.max) {
		sk->snd.max = (uint32_t)want;
		sk->opt.sndbuf = (int)want;
	}
}

static uint32_t
tcp_minmax_reset(struct tcp_minmax *m, uint32_t t, uint32_t v)
{
	m->s[0].t = m->s[1].t = m->s[2].t = t;
	m->s[0].v = m->s[1].v = m->s[2].v = v;
	return v;
}

/*
 * Linux's minmax_running_min (Kathleen Nichols' windowed filter): s[0]
 * is the minimum, s[1] and s[2] the best later candidates.  A new
 * minimum, or a window with nothing left in it, starts over; otherwise
 * the candidates take the sample where it beats them, and move up as
 * s[0] ages out, a quarter and a half of the window on taking fresh
 * ones, so the minimum a path no longer has lasts one window at most.
 */
static void
tcp_minmax_min(struct tcp_minmax *m, uint32_t win, uint32_t t, uint32_t v)
{
	uint32_t dt;

	if (v <= m->s[0].v || t - m->s[2].t > win) {
		(void)tcp_minmax_reset(m, t, v);
		return;
	}
	if (v <= m->s[1].v) {
		m->s[1].t = m->s[2].t = t;
		m->s[1].v = m->s[2].v = v;
	} else if (v <= m->s[2].v) {
		m->s[2].t = t;
		m->s[2].v = v;
	}
	dt = t - m->s[0].t;
	if (dt > win) {
		m->s[0] = m->s[1];
		m->s[1] = m->s[2];
		m->s[2].t = t;
		m->s[2].v = v;
		if (t - m->s[0].t > win) {
			m->s[0] = m->s[1];
			m->s[1] = m->s[2];
		}
	} else if (m->s[1].t == m->s[0].t && dt > win / 4) {
		m->s[1].t = m->s[2].t = t;
		m->s[1].v = m->s[2].v = v;
	} else if (m->s[2].t == m->s[1].t && dt > win / 2) {
		m->s[2].t = t;
		m->s[2].v = v;
	}
}

static void
rtt_min_update(struct tcpx_engine *e, struct tcp_sock *sk, uint64_t rtt_us)
{
	uint32_t win = (uint32_t)e->sysctl.tcp_min_rtt_wlen * 1000u;

	/* Linux floors a 0 sample at one jiffy; a microsecond here. */
	if (rtt_us == 0)
		rtt_us = 1;
	tcp_minmax_min(&sk->rtt_min, win, tcpx_now_ms(e),
	    rtt_us < UINT32_MAX ? (uint32_t)rtt_us : UINT32_MAX - 1);
}

void
tcp_rtt_sample(struct tcp_sock *sk, uint64_t rtt_us)
{
	int64_t m;
	uint64_t rto;
	uint32_t srtt = sk->srtt8_us;

	/*
	 * Linux's tcp_rtt_estimator(): srtt kept << 3 and mdev << 2 (RFC
	 * 6298's gains 1/8 and 1/4), with Linux's twists: a falling RTT
	 * moves mdev with gain 1/32 only; rttvar is the largest mdev of
	 * the last RTT, floored at tcp_rto_min, and decays a quarter of
	 * the way toward it once per RTT.  RTO = srtt + rttvar.
	 */
	if (rtt_us == 0)
		rtt_us = 1;
	if (rtt_us > 0x7fffffff)
		rtt_us = 0x7fffffff;
	m = (int64_t)rtt_us;
	if (srtt != 0) {
		m -= srtt >> 3;
		srtt = (uint32_t)((int64_t)srtt + m);
		if (m < 0) {
			m = -m;
			m -= sk->mdev_us >> 2;
			if (m > 0)
				m >>= 3;
		} else {
			m -= sk->mdev_us >> 2;
		}
		sk->mdev_us = (uint32_t)((int64_t)sk->mdev_us + m);
		if (sk->mdev_us > sk->mdev_max_us) {
			sk->mdev_max_us = sk->mdev_us;
			if (sk->mdev_max_us > sk->rttvar4_us)
				sk->rttvar4_us = sk->mdev_max_us;
		}
		if (SEQ_GT(sk->snd_una, sk->rtt_est_seq)) {
			if (sk->mdev_max_us < sk->rttvar4_us)
				sk->rttvar4_us -= (sk->rttvar4_us -
				    sk->mdev_max_us) >> 2;
			sk->rtt_est_seq = sk->snd_nxt;
			sk->mdev_max_us = (uint32_t)TCP_RTO_MIN_US;
		}
	} else {
		/* The first sample: RTO = 3 RTT, at least RTT + 200 ms. */
		srtt = (uint32_t)m << 3;
		sk->mdev_us = (uint32_t)m << 1;
		sk->rttvar4_us = sk->mdev_us > TCP_RTO_MIN_US ? sk->mdev_us :
		    (uint32_t)TCP_RTO_MIN_US;
		sk->mdev_max_us = sk->rttvar4_us;
		sk->rtt_est_seq = sk->snd_nxt;
	}
	sk->srtt8_us = srtt > 1 ? srtt : 1;
	sk->rtt_valid = true;
	/* What TCP_INFO shows: tcpi_rtt = srtt, tcpi_rttvar = mdev / 4. */
	sk->srtt_us = sk->srtt8_us >> 3;
	sk->rttvar_us = sk->mdev_us >> 2;
	rto = (uint64_t)(sk->srtt8_us >> 3) + sk->rttvar4_us;
	if (rto > TCP_RTO_MAX_US)
		rto = TCP_RTO_MAX_US;
	sk->rto_us = (uint32_t)rto;
}

void
tcp_ack_update_rtt(struct tcpx_engine *e, struct tcp_sock *sk,
    uint64_t seq_rtt_us, uint64_t ca_rtt_us)
{
	rtt_min_update(e, sk, ca_rtt_us);
	tcp_rtt_sample(sk, seq_rtt_us);
}

struct tcp_sock *
tcp_sock_create_child(struct tcpx_engine *e, struct tcp_sock *listener,
    const struct tcp_tuple *t, uint32_t iss, uint32_t irs,
    const struct tcp_synopts *o, uint16_t peer_wnd, uint32_t rcv_wnd)
{
	struct tcp_sock *sk;

	if ((sk = tcp_sock_alloc(e)) == NULL)
		return NULL;
	/* Options a child inherits from its listener, as Linux's clone. */
	sk->opt = listener->opt;
	sk->h.tuple = *t;
	sk->passive = true;
	sk->state = TCP_ST_SYN_RECEIVED;
	sk->iss = iss;
	sk->snd_una = sk->snd_nxt = sk->snd_max = iss + 1;
	sk->irs = irs;
	sk->rcv_nxt = sk->rcv_wup = irs + 1;
	sk->wscale_ok = o->wscale_ok;
	sk->sack_ok = o->sack_ok;
	sk->ts_ok = o->ts_ok;
	sk->snd_wscale = o->wscale_ok ? o->snd_wscale : 0;
	sk->ts_recent = o->ts_recent;
	sk->ts_recent_stamp = e->now;
	sk->ts_off = o->ts_off;
	sk->peer_mss = o->mss;
	sk->advmss = tcp_mss_for_route(e, t->raddr);
	if (sk->opt.user_mss > 0 && sk->opt.user_mss < sk->advmss)
		sk->advmss = (uint16_t)sk->opt.user_mss;
	tcp_init_rcv_window(e, sk, (uint16_t)(sk->advmss -
	    (o->ts_ok ? 12 : 0)));
	/* Linux's tcp_create_openreq_child: the request's window, and
	 * the scale the SYN-ACK sent. */
	sk->rcv_wnd = sk->rcv_ssthresh = rcv_wnd;
	sk->rcv_wscale = o->wscale_ok ? o->rcv_wscale : 0;
	if (!o->wscale_ok && sk->rcv_wnd > 65535)
		sk->rcv_wnd = 65535;
	sk->rcv_adv = sk->rcv_nxt + sk->rcv_wnd;
	/* The SYN's window is never scaled (RFC 7323 2.2). */
	sk->snd_wnd = peer_wnd;
	sk->snd_wl1 = irs;
	sk->snd_wl2 = iss + 1;
	sk->snd.max = (uint32_t)sk->opt.sndbuf;
	tcp_init_transfer(e, sk);
	tcp_hash_insert(e, &sk->h);
	sk->hashed = true;
	return sk;
}

int
tcp_sock_queue_rcv(struct tcpx_engine *e, struct tcp_sock *sk,
    const uint8_t *data, uint32_t len)
{
	uint32_t n;

	(void)e;
	n = tcp_ring_write(&sk->rcv, data, len);
	sk->rcv_nxt += n;
	sk->rcv_wup = sk->rcv_nxt;
	sk->bytes_received += n;
	return n == len ? 0 : -ENOMEM;
}

int
tcp_sock_assign_id(struct tcpx_engine *e, struct tcp_sock *sk)
{
	struct tcp_stack *ts = &e->tcp;
	struct tcp_sock **nids;
	int i, n;

	if (sk->id >= 0)
		return sk->id;
	/* Lowest free id, as file descriptors are. */
	for (i = ts->id_hint; i < ts->nids; i++)
		if (ts->ids[i] == NULL)
			break;
	if (i == ts->nids) {
		n = ts->nids != 0 ? ts->nids * 2 : 16;
		if ((nids = realloc(ts->ids, (size_t)n * sizeof(*nids))) ==
		    NULL)
			return -ENOMEM;
		memset(nids + ts->nids, 0, (size_t)(n - ts->nids) *
		    sizeof(*nids));
		ts->ids = nids;
		ts->nids = n;
	}
	ts->ids[i] = sk;
	ts->id_hint = i + 1;
	sk->id = i;
	return i;
}

struct tcp_sock *
tcp_sock_by_id(struct tcpx_engine *e, int id)
{
	if (id < 0 || id >= e->tcp.nids)
		return NULL;
	return e->tcp.ids[id];
}

static uint64_t
rel(const struct tcpx_engine *e, uint64_t when)
{
	return when > e->now ? when - e->now : 0;
}

static uint32_t
ms_since(const struct tcpx_engine *e, uint64_t t)
{
	return t != 0 && e->now > t ? (uint32_t)((e->now - t) / 1000) : 0;
}

/* tcpi_unacked, _sacked, _lost, _retrans: segments, rounded up. */
static void
scoreboard_fill(const struct tcp_sock *sk, struct tcpx_sockinfo *info)
{
	uint32_t mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT;

	info->unacked = (sk->snd_max - sk->snd_una + mss - 1) / mss;
	/* Without SACK, Linux counts duplicate ACKs as SACKed segments. */
	info->sacked = (sk->sacked_bytes + mss - 1) / mss + sk->reno_sacked;
	info->lost = (tcp_lost_bytes(sk) + mss - 1) / mss;
	info->retrans = tcp_txstamp_retrans_out(sk);
	info->ca_state = sk->ca_state;
	info->dsack_dups = sk->dsack_dups;
	info->reord_seen = sk->reord_seen;
	info->reordering = sk->reordering;
}

void
tcp_sock_info_fill(struct tcpx_engine *e, struct tcp_sock *sk,
    struct tcpx_sockinfo *info)
{
	memset(info, 0, sizeof(*info));
	info->id = sk->id;
	info->state = sk->state;
	info->orphan = sk->orphan;
	tcp_sockaddr_set(&info->local, sk->h.tuple.laddr, sk->h.tuple.lport);
	tcp_sockaddr_set(&info->remote, sk->h.tuple.raddr, sk->h.tuple.rport);
	/* ss's Recv-Q: bytes not yet read by the program. */
	info->recv_q = sk->rcv.len + sk->rcv_held;
	/* ss's Send-Q: bytes written and not yet acknowledged. */
	info->send_q = sk->snd.len;
	/* Which timer ss would show (Linux's tcp4_seq_show order). */
	if (!tcp_xmit_timer_idle(sk)) {
		/* Loss probe and RACK timers show as "on" too (timer 1); one
		 * of the three holds the slot, the others are 0. */
		info->timer = TCPX_TIMER_RETRANS;
		info->timer_expires_us = rel(e, sk->rto_at | sk->tlp_at |
		    sk->reo_at);
	} else if (sk->persist_at != 0) {
		info->timer = TCPX_TIMER_PROBE;
		info->timer_expires_us = rel(e, sk->persist_at);
	} else if (sk->fw2_at != 0) {
		info->timer = TCPX_TIMER_FINWAIT2;
		info->timer_expires_us = rel(e, sk->fw2_at);
	} else if (sk->keep_at != 0) {
		info->timer = TCPX_TIMER_KEEPALIVE;
		info->timer_expires_us = rel(e, sk->keep_at);
	}
	info->retransmits = sk->retransmits;
	info->probes = sk->probes_out;
	info->backoff = sk->backoff;
	info->rtt_us = sk->srtt_us;
	info->rttvar_us = sk->rttvar_us;
	info->rto_us = sk->rto_us;
	info->ato_us = sk->ato_us;
	info->snd_mss = sk->mss;
	info->rcv_mss = sk->rcv_mss;
	info->pmtu = e->cfg.mtu;
	info->advmss = tcp_adv_mss(sk);
	info->snd_cwnd = sk->snd_cwnd;
	info->snd_ssthresh = sk->snd_ssthresh;
	info->snd_wscale = sk->snd_wscale;
	info->rcv_wscale = sk->rcv_wscale;
	info->options = (sk->ts_ok ? TCPX_OPT_TS : 0) |
	    (sk->sack_ok ? TCPX_OPT_SACK : 0) |
	    (sk->wscale_ok ? TCPX_OPT_WSCALE : 0) |
	    (sk->tfo_syn_data ? TCPX_OPT_TFO : 0);
	info->snd_wnd = sk->snd_wnd;
	info->rcv_wnd = sk->rcv_wnd;
	info->rcv_rtt_us = sk->rcv_rtt_us8 >> 3;
	info->rcv_space = sk->rcvq_space;
	info->rcv_ssthresh = sk->rcv_ssthresh;
	info->bytes_acked = sk->bytes_acked;
	info->bytes_received = sk->bytes_received;
	info->bytes_sent = sk->bytes_sent;
	info->bytes_retrans = sk->bytes_retrans;
	info->segs_out = sk->segs_out;
	info->segs_in = sk->segs_in;
	info->total_retrans = sk->total_retrans;
	scoreboard_fill(sk, info);
	info->lastsnd_ms = ms_since(e, sk->last_snd_us);
	info->lastrcv_ms = ms_since(e, sk->last_rcv_us);
	info->lastack_ms = ms_since(e, sk->last_ack_us);
	info->keepalive_probes = sk->keepalive_probes;
	info->min_rtt_us = sk->rtt_min.s[0].v;
	info->pacing_rate = sk->pacing_rate;
	if (sk->cc != NULL)
		(void)snprintf(info->cc, sizeof(info->cc), "%s", sk->cc->name);
}
