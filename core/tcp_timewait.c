/*
 * tcp_timewait.c - TIME-WAIT (RFC 9293 3.10.7.4, Linux's
 * tcp_minisocks.c).
 *
 * When a connection enters TIME-WAIT its tcp_sock gives way to a small
 * tcp_tw bucket that keeps the tuple for tcp_timewait_len seconds (60,
 * Linux's TCP_TIMEWAIT_LEN, not RFC 793's 2MSL of 4 minutes): it ACKs a
 * retransmitted FIN, answers PAWS, lets a new SYN reopen the tuple, and
 * lets connect() take the tuple over under tcp_tw_reuse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "tcp_timewait.h"

#define TW_REUSE_DELAY_MS	1000	/* tcp_tw_reuse: TS.Recent this old */
#define PAWS_24DAYS_MS		(24u * 24 * 3600 * 1000)
#define PAWS_MSL_MS		(60u * 1000)

static uint64_t
tw_len_us(const struct tcpx_engine *e)
{
	return (uint64_t)e->sysctl.tcp_timewait_len * 1000000;
}

/*
 * The TIME-WAIT timer.  One engine timer serves the whole queue: it is
 * armed at the expiry of the oldest bucket whenever the head changes
 * (a bucket queued, restarted or killed), and cancelled when the queue
 * empties.  On expiry every bucket whose time is up is freed and
 * counted in TcpExt:TW; after that any segment for the tuple meets no
 * connection and is answered with a RST by tcp_input.
 */
static void
tw_rearm(struct tcpx_engine *e)
{
	struct tcp_tw *head = TAILQ_FIRST(&e->tcp.tw_queue);

	timer_arm(e, &e->tcp.tw_timer, head != NULL ? head->expire_us :
	    UINT64_MAX);
}

/*
 * Queue in expiry order.  Every bucket gets the same lifetime, so the
 * walk from the tail stops at once unless tcp_timewait_len was lowered
 * while older buckets wait.
 */
static void
tw_enqueue(struct tcpx_engine *e, struct tcp_tw *tw)
{
	struct tcp_tw *prev;

	tw->expire_us = e->now + tw_len_us(e);
	prev = TAILQ_LAST(&e->tcp.tw_queue, tcp_twq);
	while (prev != NULL && prev->expire_us > tw->expire_us)
		prev = TAILQ_PREV(prev, tcp_twq, q_link);
	if (prev == NULL)
		TAILQ_INSERT_HEAD(&e->tcp.tw_queue, tw, q_link);
	else
		TAILQ_INSERT_AFTER(&e->tcp.tw_queue, prev, tw, q_link);
}

/* Linux's inet_twsk_reschedule(tw, TCP_TIMEWAIT_LEN). */
static void
tw_restart(struct tcpx_engine *e, struct tcp_tw *tw)
{
	TAILQ_REMOVE(&e->tcp.tw_queue, tw, q_link);
	tw_enqueue(e, tw);
	tw_rearm(e);
}

/* The end of the connection, for the host's state trace. */
static void
tw_trace_end(struct tcpx_engine *e, const struct tcp_tw *tw,
    const char *cause)
{
	struct sockaddr_in l, r;

	if (e->ops.trace_state == NULL)
		return;
	memset(&l, 0, sizeof(l));
	memset(&r, 0, sizeof(r));
	l.sin_family = r.sin_family = AF_INET;
	l.sin_addr.s_addr = tw->h.tuple.laddr;
	l.sin_port = htons(tw->h.tuple.lport);
	r.sin_addr.s_addr = tw->h.tuple.raddr;
	r.sin_port = htons(tw->h.tuple.rport);
	e->ops.trace_state(e->ops.ctx, -1, &l, &r, TCP_ST_TIME_WAIT,
	    TCP_ST_CLOSED, cause, e->now);
}

static void
tw_destroy(struct tcpx_engine *e, struct tcp_tw *tw)
{
	tcp_hash_remove(e, &tw->h);
	TAILQ_REMOVE(&e->tcp.tw_queue, tw, q_link);
	tcp_port_tw_del(e, tw->h.tuple.lport, tw->flags);
	e->tcp.tw_count--;
	free(tw);
}

void
tcp_tw_kill(struct tcpx_engine *e, struct tcp_tw *tw)
{
	tw_destroy(e, tw);
	tw_rearm(e);
}

void
tcp_tw_end(struct tcpx_engine *e, struct tcp_tw *tw, const char *cause)
{
	tw_trace_end(e, tw, cause);
	tcp_tw_kill(e, tw);
}

static void
tw_timer_fire(struct tcpx_engine *e, struct tcpx_timer *t)
{
	struct tcp_tw *tw;

	while ((tw = TAILQ_FIRST(&e->tcp.tw_queue)) != NULL &&
	    tw->expire_us <= e->now) {
		if (e->ops.trace_timer != NULL)
			e->ops.trace_timer(e->ops.ctx, -1, "timewait", e->now);
		MIB_INC(e, TCPEXT_TW);
		tw_trace_end(e, tw, "TIME-WAIT expired");
		tw_destroy(e, tw);
	}
	tw_rearm(e);
}

void
tcp_tw_init(struct tcpx_engine *e)
{
	TAILQ_INIT(&e->tcp.tw_queue);
	timer_init(&e->tcp.tw_timer, tw_timer_fire);
	e->tcp.tw_count = 0;
}

void
tcp_tw_free_all(struct tcpx_engine *e)
{
	struct tcp_tw *tw;

	while ((tw = TAILQ_FIRST(&e->tcp.tw_queue)) != NULL)
		tw_destroy(e, tw);
	timer_cancel(e, &e->tcp.tw_timer);
}

/* The bucket's copy of what it needs from the connection. */
static void
tw_fill(struct tcpx_engine *e, struct tcp_tw *tw, const struct tcp_sock *sk)
{
	uint32_t win = 0;

	tw->h.tuple = sk->h.tuple;
	tw->h.kind = TCP_HK_TW;
	tw->snd_nxt = sk->snd_nxt;
	tw->rcv_nxt = sk->rcv_nxt;
	tw->ts_off = sk->ts_off;
	if (sk->ts_ok) {
		uint64_t stamp = sk->ts_recent_stamp != 0 ?
		    sk->ts_recent_stamp : e->now;

		tw->ts_recent = sk->ts_recent;
		tw->ts_stamp_ms = (uint32_t)(stamp / 1000);
		if (tw->ts_stamp_ms == 0)
			tw->ts_stamp_ms = 1;
	}
	/* Linux's tcp_receive_window(): what is left of the last offer. */
	if (SEQ_GT(sk->rcv_adv, sk->rcv_nxt))
		win = (sk->rcv_adv - sk->rcv_nxt) >> sk->rcv_wscale;
	tw->wnd = win > 65535 ? 65535 : (uint16_t)win;
	tw->flags = (sk->opt.reuseaddr ? TW_F_REUSEADDR : 0) |
	    (sk->opt.reuseport ? TW_F_REUSEPORT : 0);
}

/*
 * The socket the bucket replaced.  An orphan is simply freed: its
 * connection lives on in the bucket, whose expiry the trace reports.
 * One the application still holds becomes CLOSED, out of the hash, its
 * port given back unless bind() chose it, and it can still read what
 * was left and see EOF (Linux's tcp_done()).
 */
static void
tw_done(struct tcpx_engine *e, struct tcp_sock *sk)
{
	tcp_port_release(e, sk);
	if (sk->orphan)
		tcp_sock_free(e, sk);
	else
		tcp_done(e, sk, 0, "TIME-WAIT bucket took over");
}

void
tcp_time_wait(struct tcpx_engine *e, struct tcp_sock *sk)
{
	struct tcp_tw *tw;

	/*
	 * Past tcp_max_tw_buckets the connection closes at once without
	 * a bucket, as Linux does (and says in TCPTimeWaitOverflow).
	 */
	if (e->tcp.tw_count >= (uint64_t)e->sysctl.tcp_max_tw_buckets ||
	    (tw = calloc(1, sizeof(*tw))) == NULL) {
		MIB_INC(e, TCPEXT_TCPTIMEWAITOVERFLOW);
		tw_done(e, sk);
		return;
	}
	tw_fill(e, tw, sk);
	/* The bucket holds the port before the socket lets go of it. */
	if (tcp_port_tw_add(e, tw->h.tuple.lport, tw->flags) != 0) {
		free(tw);
		MIB_INC(e, TCPEXT_TCPTIMEWAITOVERFLOW);
		tw_done(e, sk);
		return;
	}
	if (sk->hashed) {
		tcp_hash_remove(e, &sk->h);
		sk->hashed = false;
	}
	tcp_hash_insert(e, &tw->h);
	e->tcp.tw_count++;
	tw_enqueue(e, tw);
	tw_rearm(e);
	tw_done(e, sk);
}

/* <SEQ=snd_nxt><ACK=rcv_nxt><CTL=ACK>, with timestamps if the connection had them. */
static void
tw_send_ack(struct tcpx_engine *e, struct tcp_tw *tw)
{
	struct tcp_out o;

	memset(&o, 0, sizeof(o));
	o.saddr = tw->h.tuple.laddr;
	o.daddr = tw->h.tuple.raddr;
	o.sport = tw->h.tuple.lport;
	o.dport = tw->h.tuple.rport;
	o.seq = tw->snd_nxt;
	o.ack = tw->rcv_nxt;
	o.flags = TH_ACK;
	o.wnd = tw->wnd;
	if (tw->ts_stamp_ms != 0) {
		o.opt.has_ts = true;
		o.opt.ts_val = tcp_tsval(e, tw->ts_off);
		o.opt.ts_ecr = tw->ts_recent;
	}
	if (ip_send_tcp(e, &o) == 0)
		MIB_INC(e, TCP_OUTSEGS);
}

/*
 * Linux's tcp_oow_rate_limited(): a bare ACK or SYN out of window is
 * answered at most once per tcp_invalid_ratelimit ms, so two stacks
 * cannot ACK each other in a loop; data and FINs are always answered.
 */
static bool
tw_oow_limited(struct tcpx_engine *e, struct tcp_tw *tw,
    const struct tcp_seg *seg)
{
	uint32_t now = tcpx_now_ms(e);
	int32_t elapsed;

	if (tcp_seg_seqlen(seg) != 0 && !(seg->flags & TH_SYN))
		return false;
	if (tw->last_oow_ms != 0) {
		elapsed = (int32_t)(now - tw->last_oow_ms);
		if (elapsed >= 0 && elapsed < e->sysctl.tcp_invalid_ratelimit)
			return true;
	}
	tw->last_oow_ms = now != 0 ? now : 1;
	return false;
}

/* RFC 7323 5.3 R1 for a bucket (Linux's tcp_paws_reject()). */
static bool
tw_paws_reject(struct tcpx_engine *e, const struct tcp_tw *tw,
    const struct tcp_seg *seg)
{
	uint32_t now = tcpx_now_ms(e);

	if ((int32_t)(tw->ts_recent - seg->opt.ts_val) <= 0)
		return false;
	/* TS.Recent too old to compare (24 days), or never set. */
	if ((int32_t)(now - (tw->ts_stamp_ms + PAWS_24DAYS_MS)) >= 0 ||
	    tw->ts_recent == 0)
		return false;
	/* A RST is trusted once TS.Recent is an MSL old. */
	if ((seg->flags & TH_RST) &&
	    (int32_t)(now - (tw->ts_stamp_ms + PAWS_MSL_MS)) >= 0)
		return false;
	return true;
}

static void
tw_update_ts(struct tcpx_engine *e, struct tcp_tw *tw,
    const struct tcp_seg *seg)
{
	uint32_t now = tcpx_now_ms(e);

	tw->ts_recent = seg->opt.ts_val;
	tw->ts_stamp_ms = now != 0 ? now : 1;
}

/*
 * A segment for a tuple in TIME-WAIT (RFC 9293 3.10.7.4 "TIME-WAIT
 * STATE" in each step, as Linux's tcp_timewait_state_process()).
 */
void
tcp_tw_input(struct tcpx_engine *e, struct tcp_tw *tw,
    const struct tcp_seg *seg)
{
	bool ts = seg->opt.has_ts && tw->ts_stamp_ms != 0;
	bool paws_reject = ts && tw_paws_reject(e, tw, seg);
	uint32_t seqlen = tcp_seg_seqlen(seg);
	struct tcp_sock *lsk;
	struct tcp_tuple t;
	uint32_t isn;

	/*
	 * In window (exactly RCV.NXT) there can only be a RST or a bare
	 * ACK.  RFC 9293 step 2 would have a RST close the connection;
	 * RFC 1337 warns that this "TIME-WAIT assassination" lets old
	 * duplicates into a new incarnation, so tcp_rfc1337 ignores it.
	 */
	if (!paws_reject && seg->seq == tw->rcv_nxt &&
	    (seqlen == 0 || (seg->flags & TH_RST))) {
		if ((seg->flags & TH_RST) && e->sysctl.tcp_rfc1337 == 0) {
			MIB_INC(e, TCPEXT_TWKILLED);
			tcp_tw_end(e, tw, "rcv RST");
			return;
		}
		tw_restart(e, tw);
		if (ts)
			tw_update_ts(e, tw, seg);
		return;
	}

	/*
	 * A new SYN may reopen the tuple (RFC 1122 4.2.2.13) when it
	 * cannot be an old duplicate: its sequence number is past
	 * everything of the old connection, or its timestamp is newer.
	 * The listener takes it, with an ISN past our old one.
	 */
	if ((seg->flags & (TH_SYN | TH_RST | TH_ACK)) == TH_SYN &&
	    !paws_reject && (SEQ_GT(seg->seq, tw->rcv_nxt) ||
	    (ts && (int32_t)(tw->ts_recent - seg->opt.ts_val) < 0))) {
		t = tw->h.tuple;
		if ((lsk = tcp_listener_lookup_tuple(e, &t)) != NULL) {
			isn = tw->snd_nxt + 65535 + 2;
			tcp_tw_end(e, tw, "rcv new SYN");
			e->tcp.tw_isn = isn != 0 ? isn : 1;
			tcp_listen_input(e, lsk, seg);
			e->tcp.tw_isn = 0;
			return;
		}
		/* No listener: ACK it, so the peer sees the old connection. */
		tw_send_ack(e, tw);
		return;
	}

	if (paws_reject)
		MIB_INC(e, TCPEXT_PAWSESTAB);

	/*
	 * Everything else - a retransmitted FIN above all - is answered
	 * with an ACK of what we received (step 1 for unacceptable
	 * segments, step 7 for the FIN), and the wait starts over, except
	 * for an ACK-less SYN, which may be a new SYN with a random
	 * sequence number below RCV.NXT.  A RST out of window is dropped.
	 */
	if (seg->flags & TH_RST)
		return;
	if (paws_reject || (seg->flags & TH_ACK))
		tw_restart(e, tw);
	if (!tw_oow_limited(e, tw, seg))
		tw_send_ack(e, tw);
}

static bool
is_loopback(uint32_t addr_net)
{
	return (((const uint8_t *)&addr_net)[0]) == 127;
}

bool
tcp_tw_may_reuse(struct tcpx_engine *e, struct tcp_tw *tw)
{
	long reuse = e->sysctl.tcp_tw_reuse;
	uint32_t now = tcpx_now_ms(e);

	/* 2 (the default) means loopback only, as Linux; ours never is. */
	if (reuse == 2 && !is_loopback(tw->h.tuple.laddr) &&
	    !is_loopback(tw->h.tuple.raddr))
		reuse = 0;
	/*
	 * Linux's tcp_twsk_unique(): safe when PAWS guards the new
	 * incarnation, so only with timestamps, and once the peer's last
	 * timestamp is more than a second old.
	 */
	return reuse != 0 && tw->ts_stamp_ms != 0 &&
	    (int32_t)(now - (tw->ts_stamp_ms + TW_REUSE_DELAY_MS)) > 0;
}

void
tcp_tw_info_fill(struct tcpx_engine *e, const struct tcp_tw *tw,
    struct tcpx_sockinfo *info)
{
	memset(info, 0, sizeof(*info));
	info->id = -1;
	info->state = TCP_ST_TIME_WAIT;
	info->orphan = 1;
	info->local.sin_family = AF_INET;
	info->local.sin_addr.s_addr = tw->h.tuple.laddr;
	info->local.sin_port = htons(tw->h.tuple.lport);
	info->remote.sin_family = AF_INET;
	info->remote.sin_addr.s_addr = tw->h.tuple.raddr;
	info->remote.sin_port = htons(tw->h.tuple.rport);
	info->timer = TCPX_TIMER_TIMEWAIT;
	info->timer_expires_us = tw->expire_us > e->now ?
	    tw->expire_us - e->now : 0;
	if (tw->ts_stamp_ms != 0)
		info->options |= TCPX_OPT_TS;
}
