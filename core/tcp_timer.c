/*
 * tcp_timer.c - a connection's deadlines.  Each is an absolute time in
 * struct tcp_sock (0 = not armed); the one engine timer embedded in the
 * socket is kept at the earliest (tcp_timer_update), and on expiry
 * tcp_timer_fire() runs whichever are due.  No scan of all connections.
 */
#include <errno.h>
#include <stddef.h>

#include "engine.h"

static void tcp_timer_fire(struct tcpx_engine *e, struct tcpx_timer *t);

void
tcp_timer_init(struct tcp_sock *sk)
{
	timer_init(&sk->timer, tcp_timer_fire);
}

void
tcp_timer_update(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint64_t d[] = { sk->rto_at, sk->persist_at, sk->delack_at,
	    sk->keep_at, sk->fw2_at, sk->tlp_at, sk->reo_at, sk->comp_ack_at };
	uint64_t when = UINT64_MAX;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (d[i] != 0 && d[i] < when)
			when = d[i];
	timer_arm(e, &sk->timer, when);
}

static void
trace_timer(struct tcpx_engine *e, struct tcp_sock *sk, const char *name)
{
	if (e->ops.trace_timer != NULL)
		e->ops.trace_timer(e->ops.ctx, sk->id, name, e->now);
}

uint64_t
tcp_model_timeout_ms(unsigned boundary, uint64_t rto_base_ms)
{
	unsigned thresh = 0;
	uint64_t q = (TCP_RTO_MAX_US / 1000) / rto_base_ms;

	/* Linux's tcp_model_timeout(): doubling up to TCP_RTO_MAX, then flat. */
	while (q > 1) {
		q >>= 1;
		thresh++;
	}
	if (boundary <= thresh)
		return ((2ULL << boundary) - 1) * rto_base_ms;
	return ((2ULL << thresh) - 1) * rto_base_ms +
	    (uint64_t)(boundary - thresh) * (TCP_RTO_MAX_US / 1000);
}

static bool
synchronized(const struct tcp_sock *sk)
{
	return sk->state != TCP_ST_CLOSED && sk->state != TCP_ST_LISTEN &&
	    sk->state != TCP_ST_SYN_SENT && sk->state != TCP_ST_SYN_RECEIVED &&
	    sk->state != TCP_ST_TIME_WAIT;
}

/*
 * Retransmission timer (RFC 6298; Linux's tcp_retransmit_timer).
 * Armed: when a SYN, data or FIN goes out and the timer is not running;
 *   restarted on every ACK of new data (RFC 6298 5.3).
 * Cleared: when everything sent is acknowledged (5.2), or the
 *   connection ends.
 * Expiry: SYN-SENT / SYN-RECEIVED: give up with ETIMEDOUT after
 *   TCP_SYNCNT or tcp_syn_retries retransmissions (1 s doubling: sent at
 *   0, 1, 3, 7, 15, 31, 63 s, dead at 127 s; tcp_syn_linear_timeouts
 *   adds that many 1 s retries first), else resend the SYN.
 *   Otherwise: give up with ETIMEDOUT (no RST) once the time since the
 *   first retransmission exceeds what tcp_retries2 (tcp_orphan_retries
 *   for an orphan; 0 means 8) retries would take from 200 ms doubling to
 *   120 s, as Linux's retransmits_timed_out(); else enter CA_Loss
 *   (tcp_recovery.c: cwnd 1, all un-SACKed data lost), resend the head,
 *   double the RTO (max 120 s).  Each expiry counts TCPTimeouts.  A
 *   peer that closed its window under data in flight is probed instead,
 *   without a retry limit while it is heard from (Linux).
 */
static bool
tcp_out_of_resources(struct tcpx_engine *e, struct tcp_sock *sk,
    bool do_reset)
{
	unsigned shift = 0;

	if (e->now - sk->last_snd_us > 2 * TCP_RTO_MAX_US || !do_reset)
		shift++;
	if (((uint64_t)e->tcp.orphans << shift) <=
	    (uint64_t)e->sysctl.tcp_max_orphans)
		return false;
	if (e->now - sk->last_snd_us <=
	    (uint64_t)e->sysctl.tcp_timewait_len * 1000000 ||
	    (sk->snd_wnd == 0 && sk->snd_una == sk->snd_max))
		do_reset = true;
	if (do_reset)
		tcp_send_active_reset(e, sk);
	MIB_INC(e, TCPEXT_TCPABORTONMEMORY);
	tcp_done(e, sk, 0, "too many orphans");
	return true;
}

static unsigned
orphan_retries(struct tcpx_engine *e, bool alive)
{
	unsigned r = (unsigned)e->sysctl.tcp_orphan_retries;

	return r == 0 && alive ? 8 : r;
}

/* Linux's tcp_write_err(): the connection timed out. */
static bool
write_err(struct tcpx_engine *e, struct tcp_sock *sk, const char *cause)
{
	MIB_INC(e, TCPEXT_TCPABORTONTIMEOUT);
	return tcp_done(e, sk, sk->so_error != 0 ? sk->so_error : ETIMEDOUT,
	    cause);
}

static bool
tcp_retransmit_timer(struct tcpx_engine *e, struct tcp_sock *sk)
{
	unsigned retry_until, linear;
	uint64_t tmo;
	bool alive, do_reset;

	trace_timer(e, sk, "retransmit");
	if (sk->state == TCP_ST_SYN_SENT ||
	    (sk->state == TCP_ST_SYN_RECEIVED && sk->snd_una == sk->iss)) {
		retry_until = sk->opt.syncnt > 0 ? (unsigned)sk->opt.syncnt :
		    (unsigned)e->sysctl.tcp_syn_retries;
		/* A Fast Open child: tcp_synack_retries, plus one (Linux). */
		if (sk->passive && sk->opt.syncnt <= 0)
			retry_until = (unsigned)e->sysctl.tcp_synack_retries + 1;
		/*
		 * tcp_syn_linear_timeouts (Linux 6.x): an active open first
		 * retransmits that many times at the initial RTO, without
		 * backoff, and gets that many more retries.
		 */
		linear = sk->state == TCP_ST_SYN_SENT && !sk->passive ?
		    (unsigned)e->sysctl.tcp_syn_linear_timeouts : 0;
		/* Linux 6.x counts every expiry, the last one too. */
		MIB_INC(e, TCPEXT_TCPTIMEOUTS);
		if (sk->retransmits >= retry_until + linear)
			return write_err(e, sk, "SYN timeout");
		sk->retransmits++;
		if (sk->retransmits > linear) {
			sk->backoff++;
			sk->rto_us = sk->rto_us * 2 > TCP_RTO_MAX_US ?
			    (uint32_t)TCP_RTO_MAX_US : sk->rto_us * 2;
		}
		sk->snd_nxt = sk->iss;
		tcp_send_syn(e, sk, true);
		tcp_rto_arm(e, sk);
		return false;
	}
	if (sk->snd_una == sk->snd_max)
		return false;
	if (sk->snd_wnd == 0 && !sk->orphan) {
		/*
		 * The peer shrank its window to zero under data in flight:
		 * our retransmissions are window probes, and no timeout
		 * while the peer is heard from within TCP_RTO_MAX (Linux).
		 */
		if (e->now - sk->last_rcv_us > TCP_RTO_MAX_US)
			return write_err(e, sk, "retransmit timeout");
		tcp_enter_loss(e, sk);
		tcp_xmit_retransmit(e, sk, true);
		sk->rto_us = sk->rto_us * 2 > TCP_RTO_MAX_US ?
		    (uint32_t)TCP_RTO_MAX_US : sk->rto_us * 2;
		tcp_rto_arm(e, sk);
		return false;
	}

	/* Linux 6.x counts every expiry, the last one too. */
	MIB_INC(e, TCPEXT_TCPTIMEOUTS);
	/* Linux's tcp_write_timeout(). */
	retry_until = (unsigned)e->sysctl.tcp_retries2;
	if (sk->orphan) {
		alive = sk->rto_us < TCP_RTO_MAX_US;
		retry_until = orphan_retries(e, alive);
		do_reset = alive || !(sk->retransmits > 0 &&
		    e->now - sk->retrans_stamp >=
		    tcp_model_timeout_ms(retry_until, 200) * 1000);
		if (tcp_out_of_resources(e, sk, do_reset))
			return true;
	}
	if (sk->retransmits > 0 && e->now - sk->retrans_stamp >=
	    tcp_model_timeout_ms(retry_until, 200) * 1000)
		return write_err(e, sk, "retransmit timeout");

	/*
	 * CA_Loss: ssthresh from the congestion control, cwnd 1, every
	 * un-SACKed byte lost but what went within RACK's RTT; the head
	 * goes now, slow start resends the rest of the holes (only the
	 * holes: SACKed data stays).
	 */
	tcp_enter_loss(e, sk);
	tmo = sk->rto_us;
	/*
	 * The head goes whatever the window (Linux's tcp_retransmit_skb
	 * of the queue's head): segments the timeout spared may fill it.
	 */
	tcp_xmit_retransmit(e, sk, true);
	tcp_output(e, sk);
	if (sk->retrans_stamp == 0)
		sk->retrans_stamp = e->now;
	sk->retransmits++;
	sk->backoff++;
	sk->rto_us = tmo * 2 > TCP_RTO_MAX_US ? (uint32_t)TCP_RTO_MAX_US :
	    (uint32_t)(tmo * 2);
	tcp_rto_arm(e, sk);
	return false;
}

/*
 * Zero-window probe timer (persist; Linux's tcp_probe_timer).
 * Armed: by tcp_output when data (or the FIN) waits for a window and
 *   nothing is in flight, at RTO << backoff (max 120 s).
 * Cleared: when the peer opens its window or data goes in flight.
 * Expiry: after tcp_retries2 unanswered probes (orphans:
 *   tcp_orphan_retries) give up with ETIMEDOUT; else send what fits the
 *   window or an ACK with SEQ = SND.UNA - 1, count TCPWinProbe, back off.
 */
static bool
tcp_probe_timer(struct tcpx_engine *e, struct tcp_sock *sk)
{
	unsigned max_probes;
	uint64_t when;
	bool alive;

	trace_timer(e, sk, "probe");
	if (sk->snd_una != sk->snd_max || (sk->snd.len == 0 &&
	    !(sk->fin_queued && !sk->fin_acked)) || !synchronized(sk)) {
		sk->probes_out = 0;
		return false;
	}
	max_probes = (unsigned)e->sysctl.tcp_retries2;
	if (sk->orphan) {
		when = (uint64_t)sk->rto_us << sk->backoff;
		alive = when < TCP_RTO_MAX_US;
		max_probes = orphan_retries(e, alive);
		if (!alive && sk->backoff >= max_probes)
			return write_err(e, sk, "probe timeout");
		if (tcp_out_of_resources(e, sk, true))
			return true;
	}
	if (sk->probes_out >= max_probes)
		return write_err(e, sk, "probe timeout");
	MIB_INC(e, TCPEXT_TCPWINPROBE);
	tcp_write_wakeup(e, sk);
	if (sk->snd_una != sk->snd_max) {
		/* Data went into a reopened window: the RTO takes over. */
		sk->probes_out = 0;
		return false;
	}
	if (sk->backoff < (unsigned)e->sysctl.tcp_retries2)
		sk->backoff++;
	sk->probes_out++;
	when = (uint64_t)(sk->rto_us < TCP_RTO_MIN_US ? TCP_RTO_MIN_US :
	    sk->rto_us) << sk->backoff;
	if (when > TCP_RTO_MAX_US)
		when = TCP_RTO_MAX_US;
	sk->persist_at = e->now + when;
	return false;
}

/*
 * Delayed ACK timer (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3; Linux's
 * tcp_delack_timer).
 * Armed: when data arrived that does not need an immediate ACK (less
 *   than two full segments unacknowledged, not in quick-ACK mode), at
 *   now + ato (40 ms at first, adapting to the arrival gaps, at most
 *   200 ms).
 * Cleared: by any segment we send, since each carries the ACK.
 * Expiry: send the ACK, count DelayedACKs, and inflate ato (x2, at most
 *   the RTO) since the delay was too short to piggyback; in pingpong
 *   (interactive) mode, leave it and go back to ato 40 ms (Linux).
 */
static void
tcp_delack_timer(struct tcpx_engine *e, struct tcp_sock *sk)
{
	trace_timer(e, sk, "delack");
	if (sk->state == TCP_ST_CLOSED || sk->state == TCP_ST_SYN_SENT)
		return;
	if (sk->pingpong >= TCP_PINGPONG_THRESH) {
		/* No answer came to carry it: not interactive after all. */
		sk->pingpong = 0;
		sk->ato_us = TCP_ATO_MIN_US;
	} else {
		sk->ato_us = sk->ato_us * 2 < sk->rto_us ? sk->ato_us * 2 :
		    sk->rto_us;
		if (sk->ato_us < TCP_ATO_MIN_US)
			sk->ato_us = TCP_ATO_MIN_US;
	}
	MIB_INC(e, TCPEXT_DELAYEDACKS);
	sk->ack_now = true;
	tcp_send_ack(e, sk);
}

void
tcp_delack_schedule(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint64_t ato = sk->ato_us, max_ato = 500000;

	/*
	 * Linux's tcp_send_delayed_ack().  An ato of 0 means no data has
	 * arrived yet to start the delayed-ACK engine (a lone FIN, say):
	 * Linux then arms the timer for "now" in jiffies, which fires at the
	 * next tick, one tick of an HZ=250 kernel (Debian's) here.
	 */
	if (ato == 0)
		ato = TCP_DELACK_TICK_US;
	if (ato > TCP_ATO_MIN_US) {
		max_ato = TCP_DELACK_MAX_US;
		if (sk->rtt_valid) {
			uint64_t rtt = sk->srtt_us > TCP_ATO_MIN_US ?
			    sk->srtt_us : TCP_ATO_MIN_US;
			if (rtt < max_ato)
				max_ato = rtt;
		}
		if (ato > max_ato)
			ato = max_ato;
	}
	/* An earlier deadline already set stays. */
	if (sk->delack_at != 0 && sk->delack_at <= e->now + ato)
		return;
	sk->delack_at = e->now + ato;
	tcp_timer_update(e, sk);
}

/*
 * Keepalive timer (RFC 1122 4.2.3.6; Linux's tcp_keepalive_timer).
 * Armed: on entering ESTABLISHED with SO_KEEPALIVE, or when the option
 *   or TCP_KEEPIDLE changes (tcp_keepalive_reset), TCP_KEEPIDLE
 *   (tcp_keepalive_time) after the last segment received.
 * Cleared: SO_KEEPALIVE off, or the connection ends.
 * Expiry: if data is in flight, the retransmission timer watches the
 *   peer: re-arm.  If something arrived since, re-arm for the rest.
 *   Else, after TCP_KEEPCNT unanswered probes send a RST and die with
 *   ETIMEDOUT (as Linux); otherwise send a probe (SEQ = SND.UNA - 1, no
 *   data), count TCPKeepAlive, re-arm TCP_KEEPINTVL later.
 *   An ACK from the peer resets the probe count.
 */
static uint64_t
keepidle_us(const struct tcpx_engine *e, const struct tcp_sock *sk)
{
	return (uint64_t)(sk->opt.keepidle > 0 ? sk->opt.keepidle :
	    e->sysctl.tcp_keepalive_time) * 1000000;
}

static uint64_t
last_heard(const struct tcp_sock *sk)
{
	return sk->lrcv_us > sk->last_ack_us ? sk->lrcv_us : sk->last_ack_us;
}

void
tcp_keepalive_reset(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint64_t when;

	if (!sk->opt.keepalive || !synchronized(sk)) {
		if (sk->keep_at != 0) {
			sk->keep_at = 0;
			tcp_timer_update(e, sk);
		}
		return;
	}
	when = last_heard(sk) + keepidle_us(e, sk);
	if (when < e->now)
		when = e->now;
	sk->keep_at = when;
	tcp_timer_update(e, sk);
}

static bool
tcp_keepalive_timer(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint64_t idle = keepidle_us(e, sk), elapsed;
	unsigned cnt;

	trace_timer(e, sk, "keepalive");
	if (!sk->opt.keepalive || !synchronized(sk))
		return false;
	if (sk->snd_una != sk->snd_max || sk->snd.len > 0) {
		sk->keep_at = e->now + idle;
		return false;
	}
	elapsed = e->now - last_heard(sk);
	if (elapsed < idle) {
		sk->keep_at = e->now + (idle - elapsed);
		return false;
	}
	cnt = (unsigned)(sk->opt.keepcnt > 0 ? sk->opt.keepcnt :
	    e->sysctl.tcp_keepalive_probes);
	if (sk->probes_out >= cnt) {
		tcp_send_active_reset(e, sk);
		return write_err(e, sk, "keepalive timeout");
	}
	MIB_INC(e, TCPEXT_TCPKEEPALIVE);
	tcp_send_probe(e, sk);
	sk->probes_out++;
	sk->keepalive_probes++;
	sk->keep_at = e->now + (uint64_t)(sk->opt.keepintvl > 0 ?
	    sk->opt.keepintvl : e->sysctl.tcp_keepalive_intvl) * 1000000;
	return false;
}

/*
 * FIN-WAIT-2 timer for orphans (tcp_fin_timeout).
 * Armed: when an orphaned connection enters FIN-WAIT-2 (our FIN was
 *   acknowledged, the application has closed), tcp_fin_timeout seconds
 *   out.  A socket the application still holds waits in FIN-WAIT-2
 *   forever, as Linux's.
 * Cleared: the peer's FIN moves the connection to TIME-WAIT.
 * Expiry: the connection is dropped silently.  Linux moves such a
 *   socket into a timewait bucket in its FIN-WAIT-2 substate, which then
 *   expires silently after the same time; keeping the full socket
 *   instead gives the same behaviour on the wire.
 */
static bool
tcp_fw2_timer(struct tcpx_engine *e, struct tcp_sock *sk)
{
	trace_timer(e, sk, "finwait2");
	if (sk->state != TCP_ST_FIN_WAIT_2)
		return false;
	return tcp_done(e, sk, 0, "FIN-WAIT-2 timeout");
}

void
tcp_rto_arm(struct tcpx_engine *e, struct tcp_sock *sk)
{
	tcp_xmit_timer_set(e, sk, TCP_XT_RTO, e->now + sk->rto_us);
}

void
tcp_xmit_timer_set(struct tcpx_engine *e, struct tcp_sock *sk,
    enum tcp_xmit_timer kind, uint64_t at)
{
	/* Linux's zero-window probe timer is that slot's fourth user. */
	sk->persist_at = 0;
	sk->rto_at = kind == TCP_XT_RTO ? at : 0;
	sk->tlp_at = kind == TCP_XT_TLP ? at : 0;
	sk->reo_at = kind == TCP_XT_REO ? at : 0;
	tcp_timer_update(e, sk);
}

void
tcp_xmit_timer_clear(struct tcpx_engine *e, struct tcp_sock *sk)
{
	sk->rto_at = sk->tlp_at = sk->reo_at = 0;
	tcp_timer_update(e, sk);
}

bool
tcp_xmit_timer_idle(const struct tcp_sock *sk)
{
	return sk->rto_at == 0 && sk->tlp_at == 0 && sk->reo_at == 0;
}

int64_t
tcp_rto_delta_us(const struct tcpx_engine *e, const struct tcp_sock *sk)
{
	const struct tcp_txstamps *q = &sk->txs;

	/* The head's last transmission; unknown, now. */
	if (!q->blind)
		for (uint32_t k = 0; k < q->n; k++) {
			const struct tcp_txstamp *r = &q->v[q->head + k];

			if (SEQ_GT(r->end, sk->snd_una))
				return (int64_t)(r->sent_us + sk->rto_us) -
				    (int64_t)e->now;
		}
	return sk->rto_us;
}

void
tcp_rearm_rto(struct tcpx_engine *e, struct tcp_sock *sk)
{
	int64_t rto = sk->rto_us;

	if (sk->snd_una == sk->snd_max) {
		tcp_xmit_timer_clear(e, sk);
		return;
	}
	/* Offset what already elapsed under the probe or RACK's timer. */
	if (sk->tlp_at != 0 || sk->reo_at != 0) {
		rto = tcp_rto_delta_us(e, sk);
		if (rto < (int64_t)TCP_DELACK_TICK_US)
			rto = TCP_DELACK_TICK_US;	/* a jiffy at the least */
	}
	tcp_xmit_timer_set(e, sk, TCP_XT_RTO, e->now + (uint64_t)rto);
}

void
tcp_new_data_timer(struct tcpx_engine *e, struct tcp_sock *sk,
    bool prior_in_flight)
{
	/*
	 * Linux rearms only for a first segment in flight or over a
	 * pending probe; an empty slot with data in flight cannot happen
	 * there, and is filled here rather than left to stall.
	 */
	if (!prior_in_flight || sk->tlp_at != 0 || tcp_xmit_timer_idle(sk))
		tcp_rearm_rto(e, sk);
}


static void
tcp_timer_fire(struct tcpx_engine *e, struct tcpx_timer *t)
{
	struct tcp_sock *sk = (struct tcp_sock *)(void *)((char *)t -
	    offsetof(struct tcp_sock, timer));
	uint64_t now = e->now;

	/*
	 * The retransmission slot holds one of three (tcp_xmit_timer_set).
	 * The probe and RACK's timer stay pending while they run, as in
	 * Linux (what they resend or send leaves the RTO as their pending
	 * wants it), and each replaces itself before it returns.
	 */
	if (sk->tlp_at != 0 && sk->tlp_at <= now) {
		trace_timer(e, sk, "loss_probe");
		tcp_tlp_fire(e, sk);
	} else if (sk->reo_at != 0 && sk->reo_at <= now) {
		trace_timer(e, sk, "reo_timeout");
		tcp_rack_reo_timeout(e, sk);
	} else if (sk->rto_at != 0 && sk->rto_at <= now) {
		sk->rto_at = 0;
		if (tcp_retransmit_timer(e, sk))
			return;
	}
	if (sk->persist_at != 0 && sk->persist_at <= now) {
		sk->persist_at = 0;
		if (tcp_probe_timer(e, sk))
			return;
	}
	if (sk->delack_at != 0 && sk->delack_at <= now) {
		sk->delack_at = 0;
		tcp_delack_timer(e, sk);
	}
	if (sk->comp_ack_at != 0 && sk->comp_ack_at <= now) {
		/* Linux's tcp_compressed_ack_kick(). */
		sk->comp_ack_at = 0;
		trace_timer(e, sk, "comp_sack");
		if (sk->comp_acks > 0) {
			sk->comp_acks--;
			tcp_send_ack(e, sk);
		}
	}
	if (sk->keep_at != 0 && sk->keep_at <= now) {
		sk->keep_at = 0;
		if (tcp_keepalive_timer(e, sk))
			return;
	}
	if (sk->fw2_at != 0 && sk->fw2_at <= now) {
		sk->fw2_at = 0;
		if (tcp_fw2_timer(e, sk))
			return;
	}
	tcp_timer_update(e, sk);
}
