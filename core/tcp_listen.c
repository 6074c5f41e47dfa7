/*
 * tcp_listen.c - the passive open: listen(2), accept(2), LISTEN-state
 * input, request socks (SYN-RECEIVED without a full socket) and their
 * SYN-ACK retransmission, as Linux's tcp_conn_request(), tcp_check_req()
 * and reqsk_timer_handler() behave.
 *
 * A SYN to a listener makes a request sock (or, when the SYN queue is
 * full and tcp_syncookies allows, only a cookie), answered by a SYN-ACK
 * that mirrors the options the SYN offered.  The third ACK turns the
 * request into a full socket on the accept queue; tcpx_accept takes it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define TCP_TIMEOUT_INIT_US	1000000ULL	/* RFC 6298 initial RTO */
#define TCP_RTO_MAX_US		120000000ULL
#define TCPOLEN_TSTAMP_ALIGNED	12

#define REQ_OF_TIMER(t) \
	((struct tcp_req *)((char *)(t) - offsetof(struct tcp_req, timer)))

static void req_timer_fire(struct tcpx_engine *e, struct tcpx_timer *t);

/* A peer's SYN options as the listener accepts them (tcp_parse_options). */
static void
syn_parse_opts(struct tcpx_engine *e, const struct tcp_sock *lsk,
    const struct tcp_seg *seg, struct tcp_synopts *o)
{
	const struct tcp_opts *p = &seg->opt;

	memset(o, 0, sizeof(*o));
	o->mss = p->has_mss && p->mss != 0 ? p->mss : TCP_MSS_DEFAULT;
	if (lsk->opt.user_mss > 0 && lsk->opt.user_mss < o->mss)
		o->mss = (uint16_t)lsk->opt.user_mss;
	if (p->has_ts && e->sysctl.tcp_timestamps) {
		o->ts_ok = true;
		o->ts_recent = p->ts_val;
	}
	if (p->sack_perm && e->sysctl.tcp_sack)
		o->sack_ok = true;
	if (p->has_wscale && e->sysctl.tcp_window_scaling) {
		o->wscale_ok = true;
		o->snd_wscale = p->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE :
		    p->wscale;
	}
}

/*
 * Our MSS and initial window for a passive open, as Linux's tcp_openreq_init_rwin:
 * the listener's receive buffer, in whole segments of our MSS less the
 * timestamp option, at most 64 KB (tcp_select_initial_window); our
 * window scale from the largest buffer we may grow to.  A request
 * rebuilt from a SYN cookie (cookie_mss, else 0) counts segments of the
 * MSS the cookie carries, timestamps or not, as Linux's
 * cookie_v4_check: such a child starts at 64240 where the SYN-ACK
 * offered 65160.
 */
static void
req_init_rwin(struct tcpx_engine *e, const struct tcp_sock *lsk,
    uint32_t raddr, uint16_t cookie_mss, struct tcp_synopts *o,
    uint16_t *advmss, uint32_t *rcv_wnd)
{
	uint32_t full, clamp, space, mss;

	mss = tcp_mss_for_route(e, raddr);
	if (lsk->opt.user_mss > 0 && (uint32_t)lsk->opt.user_mss < mss)
		mss = (uint32_t)lsk->opt.user_mss;
	*advmss = (uint16_t)mss;
	full = tcp_full_space(e, lsk);
	clamp = tcp_initial_clamp(e, lsk);
	space = full < clamp ? full : clamp;
	if (cookie_mss != 0)
		mss = cookie_mss;
	else if (o->ts_ok)
		mss -= TCPOLEN_TSTAMP_ALIGNED;
	if (space > mss)
		space -= space % mss;
	*rcv_wnd = space < 65535 ? space : 65535;
	o->rcv_wscale = o->wscale_ok ? tcp_initial_wscale(e, space, clamp) : 0;
}

/* A SYN-ACK, or the bare ACK a request sock sends to an out-of-window segment. */
struct synack {
	const struct tcp_tuple *t;
	uint32_t seq, ack;
	uint8_t flags;
	uint32_t rcv_wnd;
	uint16_t advmss;
	const struct tcp_synopts *o;
	uint32_t tsval;
	const uint8_t *cookie;		/* Fast Open cookie to hand out */
	uint8_t cookie_len;
};

static void
synack_send(struct tcpx_engine *e, const struct synack *s)
{
	struct tcp_out out;

	memset(&out, 0, sizeof(out));
	out.saddr = s->t->laddr;
	out.daddr = s->t->raddr;
	out.sport = s->t->lport;
	out.dport = s->t->rport;
	out.seq = s->seq;
	out.ack = s->ack;
	out.flags = s->flags;
	if (s->flags & TH_SYN) {
		/* RFC 7323: a SYN's window is never scaled. */
		out.wnd = (uint16_t)(s->rcv_wnd > 65535 ? 65535 : s->rcv_wnd);
		/* Only what the SYN offered (tcp_synack_options); MSS always. */
		out.opt.has_mss = true;
		out.opt.mss = s->advmss;
		out.opt.has_wscale = s->o->wscale_ok;
		out.opt.wscale = s->o->rcv_wscale;
		out.opt.sack_perm = s->o->sack_ok;
		if (s->cookie != NULL) {
			out.opt.has_fastopen = true;
			out.opt.fastopen_len = s->cookie_len;
			memcpy(out.opt.fastopen_cookie, s->cookie,
			    s->cookie_len);
		}
	} else {
		out.wnd = (uint16_t)(s->rcv_wnd >> s->o->rcv_wscale);
	}
	if (s->o->ts_ok) {
		out.opt.has_ts = true;
		out.opt.ts_val = s->tsval;
		out.opt.ts_ecr = s->o->ts_recent;
	}
	MIB_INC(e, TCP_OUTSEGS);
	(void)ip_send_tcp(e, &out);
}

static void
req_send_synack(struct tcpx_engine *e, struct tcp_req *req,
    const uint8_t *cookie, uint8_t cookie_len)
{
	struct synack s = {
		.t = &req->h.tuple, .seq = req->iss, .ack = req->irs + 1,
		.flags = TH_SYN | TH_ACK, .rcv_wnd = req->rcv_wnd,
		.advmss = req->advmss, .o = &req->o,
		.tsval = tcp_tsval(e, req->o.ts_off),
		.cookie = cookie, .cookie_len = cookie_len,
	};

	synack_send(e, &s);
}

void
tcp_listen_send_synack(struct tcpx_engine *e, const struct tcp_tuple *t,
    uint32_t iss, uint32_t ack, const struct tcp_synopts *o, uint16_t advmss,
    uint32_t rcv_wnd, const uint8_t *cookie, uint8_t cookie_len)
{
	struct synack s = {
		.t = t, .seq = iss, .ack = ack, .flags = TH_SYN | TH_ACK,
		.rcv_wnd = rcv_wnd, .advmss = advmss, .o = o,
		.tsval = tcp_tsval(e, o->ts_off),
		.cookie = cookie, .cookie_len = cookie_len,
	};

	synack_send(e, &s);
}

/* Linux's inet_rtx_syn_ack(): a SYN-ACK again, counted as a retransmission. */
static void
req_rtx_synack(struct tcpx_engine *e, struct tcp_req *req)
{
	req_send_synack(e, req, NULL, 0);
	MIB_INC(e, TCP_RETRANSSEGS);
	MIB_INC(e, TCPEXT_TCPSYNRETRANS);
	req->num_retrans++;
}

/* min(1 s << num_timeout, TCP_RTO_MAX): Linux's reqsk_timeout(). */
static uint64_t
req_timeout(const struct tcp_req *req)
{
	uint64_t t = TCP_TIMEOUT_INIT_US << (req->num_timeout < 16 ?
	    req->num_timeout : 16);

	return t < TCP_RTO_MAX_US ? t : TCP_RTO_MAX_US;
}

void
tcp_req_free(struct tcpx_engine *e, struct tcp_req *req)
{
	struct tcp_listen *l;

	timer_cancel(e, &req->timer);
	tcp_hash_remove(e, &req->h);
	if (req->listener != NULL && (l = req->listener->listen) != NULL) {
		TAILQ_REMOVE(&l->reqs, req, link);
		l->qlen--;
		if (req->num_timeout == 0)
			l->young--;
	}
	free(req);
}

/* TCP_DEFER_ACCEPT seconds as SYN-ACK timeouts (Linux's secs_to_retrans). */
static unsigned
defer_retrans(int seconds)
{
	unsigned res = 0;
	int timeout = 1, period = 1;

	if (seconds <= 0)
		return 0;
	res = 1;
	while (seconds > period && res < 255) {
		res++;
		timeout <<= 1;
		if (timeout > 120)
			timeout = 120;
		period += timeout;
	}
	return res;
}

static void
req_timer_fire(struct tcpx_engine *e, struct tcpx_timer *t)
{
	struct tcp_req *req = REQ_OF_TIMER(t);
	struct tcp_sock *lsk = req->listener;
	struct tcp_listen *l = lsk->listen;
	unsigned max_retries, defer, young;
	bool expire, resend;

	if (e->ops.trace_timer != NULL)
		e->ops.trace_timer(e->ops.ctx, lsk->id, "syn-ack", e->now);
	max_retries = lsk->opt.syncnt > 0 ? (unsigned)lsk->opt.syncnt :
	    (unsigned)e->sysctl.tcp_synack_retries;
	/*
	 * As reqsk_timer_handler: when the SYN queue is more than half
	 * full, old requests (those that already timed out) get fewer
	 * retries, so a flood of dead peers cannot crowd out young ones.
	 */
	if ((l->qlen << 1) > (l->backlog > 8 ? (unsigned)l->backlog : 8u)) {
		young = l->young << 1;
		while (max_retries > 2) {
			if (l->qlen < young)
				break;
			max_retries--;
			young <<= 1;
		}
	}
	defer = defer_retrans(lsk->opt.defer_accept);
	if (defer == 0) {
		expire = req->num_timeout >= max_retries;
		resend = true;
	} else {
		expire = req->num_timeout >= max_retries &&
		    (!req->acked || req->num_timeout >= defer);
		resend = !req->acked || (unsigned)req->num_timeout + 1 >= defer;
	}
	if (expire) {
		/* Given up: Linux drops the request without telling the peer. */
		tcp_req_free(e, req);
		return;
	}
	if (resend)
		req_rtx_synack(e, req);
	if (req->num_timeout++ == 0)
		l->young--;
	timer_arm(e, &req->timer, e->now + req_timeout(req));
}

/* Linux's tcp_synq_overflow(): remember that cookies were sent (1 s grain). */
static void
synq_overflow(struct tcpx_engine *e, struct tcp_listen *l)
{
	if (!l->overflowed || e->now - l->last_overflow_us > 1000000) {
		l->last_overflow_us = e->now;
		l->overflowed = true;
	}
}

/* tcp_synq_no_recent_overflow(): no cookie sent in the last two minutes. */
static bool
synq_no_recent_overflow(const struct tcpx_engine *e,
    const struct tcp_listen *l)
{
	return !l->overflowed ||
	    e->now - l->last_overflow_us > 2 * 60 * 1000000ULL;
}

static bool
acceptq_is_full(const struct tcp_listen *l)
{
	/* sk_acceptq_is_full(): more than backlog, so backlog + 1 fit. */
	return l->acceptq_len > (uint32_t)l->backlog;
}

bool
tcp_listen_acceptq_full(const struct tcp_sock *lsk)
{
	return acceptq_is_full(lsk->listen);
}

static void
listen_drop(struct tcpx_engine *e)
{
	MIB_INC(e, TCPEXT_LISTENDROPS);
}

void
tcp_listen_acceptq_add(struct tcpx_engine *e, struct tcp_sock *lsk,
    struct tcp_sock *child)
{
	struct tcp_listen *l = lsk->listen;

	child->parent = lsk;
	TAILQ_INSERT_TAIL(&l->acceptq, child, accept_link);
	l->acceptq_len++;
}

/*
 * A handshake completed (third ACK to a request sock, or a valid cookie
 * ACK): make the full socket, ESTABLISHED, queue it for accept, and let
 * it take the ACK's data.  NULL when it could not be made.
 */
static struct tcp_sock *
passive_establish(struct tcpx_engine *e, struct tcp_sock *lsk,
    const struct tcp_tuple *t, uint32_t iss, uint32_t irs,
    const struct tcp_synopts *o, uint32_t rcv_wnd, const struct tcp_seg *seg)
{
	struct tcp_sock *child;

	child = tcp_sock_create_child(e, lsk, t, iss, irs, o, seg->wnd, rcv_wnd);
	if (child == NULL)
		return NULL;
	MIB_INC(e, TCP_PASSIVEOPENS);
	/* The third ACK's window is scaled (RFC 7323), unlike a SYN's. */
	child->snd_wnd = (uint32_t)seg->wnd << child->snd_wscale;
	child->max_window = child->snd_wnd;
	child->snd_wl1 = seg->seq;
	child->snd_wl2 = seg->ack;
	tcp_set_state(e, child, TCP_ST_ESTABLISHED, "rcv ACK");
	tcp_listen_acceptq_add(e, lsk, child);
	/* The ACK may carry data or a FIN: the new socket processes it. */
	if (seg->len > 0 || (seg->flags & TH_FIN))
		tcp_input(e, seg);
	tcp_sock_event(e, lsk, TCPX_EV_IN);
	return child;
}

/*
 * An ACK to the listener with no request sock: a SYN cookie coming back
 * (Linux's cookie_v4_check).  Returns true when it was taken (a
 * connection made, or dropped for a full accept queue); false means the
 * caller answers as LISTEN does to any ACK, with a RST.
 */
static bool
listen_cookie_ack(struct tcpx_engine *e, struct tcp_sock *lsk,
    const struct tcp_seg *seg)
{
	struct tcp_listen *l = lsk->listen;
	struct tcp_synopts o;
	struct tcp_tuple t;
	uint16_t mss, advmss;
	uint32_t rcv_wnd;

	if (e->sysctl.tcp_syncookies == 0 || synq_no_recent_overflow(e, l))
		return false;
	if (tcp_cookie_check(e, seg, &mss) != 0) {
		MIB_INC(e, TCPEXT_SYNCOOKIESFAILED);
		return false;
	}
	MIB_INC(e, TCPEXT_SYNCOOKIESRECV);
	t.laddr = seg->daddr;
	t.raddr = seg->saddr;
	t.lport = seg->dport;
	t.rport = seg->sport;
	memset(&o, 0, sizeof(o));
	o.mss = mss;
	if (seg->opt.has_ts) {
		/* Window scale and SACK come back in the echoed timestamp. */
		o.ts_ok = true;
		o.ts_recent = seg->opt.ts_val;
		if (seg->opt.ts_ecr != 0)
			o.ts_off = tcp_ts_off(e, &t);
		if (!e->sysctl.tcp_timestamps)
			return false;
		tcp_cookie_ts_decode(seg->opt.ts_ecr - o.ts_off, &o);
		if (o.sack_ok && !e->sysctl.tcp_sack)
			return false;
		if (o.wscale_ok && !e->sysctl.tcp_window_scaling)
			return false;
	}
	req_init_rwin(e, lsk, t.raddr, mss, &o, &advmss, &rcv_wnd);
	if (acceptq_is_full(l)) {
		MIB_INC(e, TCPEXT_LISTENOVERFLOWS);
		listen_drop(e);
		return true;
	}
	if (passive_establish(e, lsk, &t, seg->ack - 1, seg->seq - 1, &o,
	    rcv_wnd, seg) == NULL)
		listen_drop(e);
	return true;
}

/*
 * A SYN to a listener: Linux's tcp_conn_request().  The order of the
 * checks is Linux's: SYN queue full (cookie or drop), accept queue full
 * (drop), then a request sock, a cookie, or a Fast Open child.
 */
static void
listen_syn(struct tcpx_engine *e, struct tcp_sock *lsk,
    const struct tcp_seg *seg)
{
	struct tcp_listen *l = lsk->listen;
	long syncookies = e->sysctl.tcp_syncookies;
	long max_syn_backlog = e->sysctl.tcp_max_syn_backlog;
	struct tcp_synopts o;
	struct tcp_tuple t;
	struct tcp_req *req;
	struct tcp_fastopen_res tfo;
	uint32_t isn = e->tcp.tw_isn, rcv_wnd;
	uint16_t advmss;
	bool want_cookie = false;

	e->tcp.tw_isn = 0;
	/* TIME-WAIT takeovers skip the queue limits: the peer is real. */
	if ((syncookies == 2 || l->qlen > (uint32_t)l->backlog) && isn == 0) {
		if (syncookies) {
			MIB_INC(e, TCPEXT_TCPREQQFULLDOCOOKIES);
			want_cookie = true;
		} else {
			MIB_INC(e, TCPEXT_TCPREQQFULLDROP);
			goto drop;
		}
	}
	if (acceptq_is_full(l)) {
		MIB_INC(e, TCPEXT_LISTENOVERFLOWS);
		goto drop;
	}

	t.laddr = seg->daddr;
	t.raddr = seg->saddr;
	t.lport = seg->dport;
	t.rport = seg->sport;
	syn_parse_opts(e, lsk, seg, &o);
	/* A cookie without timestamps has nowhere to keep WS and SACK. */
	if (want_cookie && !o.ts_ok) {
		o.wscale_ok = o.sack_ok = false;
		o.snd_wscale = 0;
	}
	if (o.ts_ok)
		o.ts_off = tcp_ts_off(e, &t);
	if (!want_cookie && isn == 0) {
		/*
		 * Without cookies Linux keeps the last quarter of
		 * tcp_max_syn_backlog for peers proven alive; we keep no
		 * per-destination history, so none is proven.
		 */
		if (!syncookies && max_syn_backlog - (long)l->qlen <
		    (max_syn_backlog >> 2))
			goto drop;
		isn = tcp_isn(e, &t);
	}
	if (want_cookie) {
		isn = tcp_cookie_make(e, seg, &o.mss);
		synq_overflow(e, l);
		MIB_INC(e, TCPEXT_SYNCOOKIESSENT);
	}
	req_init_rwin(e, lsk, t.raddr, 0, &o, &advmss, &rcv_wnd);

	if (want_cookie) {
		/* No state: the SYN-ACK is all that is left of this SYN. */
		struct synack s = {
			.t = &t, .seq = isn, .ack = seg->seq + 1,
			.flags = TH_SYN | TH_ACK, .rcv_wnd = rcv_wnd,
			.advmss = advmss, .o = &o,
			.tsval = tcp_cookie_ts(e, &o, tcpx_now_ms(e)) + o.ts_off,
		};

		synack_send(e, &s);
		return;
	}

	if (tcp_fastopen_try(e, lsk, seg, &t, isn, &o, advmss, rcv_wnd,
	    &tfo))
		return;		/* a Fast Open child sent its own SYN-ACK */

	if ((req = calloc(1, sizeof(*req))) == NULL)
		goto drop;
	req->h.tuple = t;
	req->h.kind = TCP_HK_REQ;
	req->listener = lsk;
	req->iss = isn;
	req->irs = seg->seq;
	req->rcv_wnd = rcv_wnd;
	req->advmss = advmss;
	req->o = o;
	req->created_us = e->now;
	timer_init(&req->timer, req_timer_fire);
	tcp_hash_insert(e, &req->h);
	TAILQ_INSERT_TAIL(&l->reqs, req, link);
	l->qlen++;
	l->young++;
	timer_arm(e, &req->timer, e->now + req_timeout(req));
	req_send_synack(e, req, tfo.cookie_len > 0 ? tfo.cookie : NULL,
	    tfo.cookie_len);
	return;
drop:
	listen_drop(e);
}

void
tcp_listen_input(struct tcpx_engine *e, struct tcp_sock *lsk,
    const struct tcp_seg *seg)
{
	/* RFC 9293 3.10.7.2 LISTEN, first: an incoming RST is ignored. */
	if (seg->flags & TH_RST)
		return;
	/*
	 * Second, check for an ACK: it is bad in LISTEN (RST), unless it
	 * returns one of our SYN cookies.
	 */
	if (seg->flags & TH_ACK) {
		if (!(seg->flags & TH_SYN) && listen_cookie_ack(e, lsk, seg))
			return;
		tcp_send_reset_reply(e, seg);
		return;
	}
	/* Third, check for a SYN (Linux drops SYN+FIN). */
	if ((seg->flags & TH_SYN) && !(seg->flags & TH_FIN)) {
		listen_syn(e, lsk, seg);
		return;
	}
	/* Fourth, other text or control: drop. */
}

/* tcp_in_window() for a request sock: the segment touches rcv_nxt..+wnd. */
static bool
req_in_window(uint32_t seq, uint32_t end_seq, uint32_t s_win, uint32_t e_win)
{
	if (seq == s_win)
		return true;
	if (SEQ_GT(end_seq, s_win) && SEQ_LT(seq, e_win))
		return true;
	return seq == e_win && seq == end_seq;
}

/* Linux's tcp_oow_rate_limited() for a request sock's replies. */
static bool
req_oow_rate_limited(struct tcpx_engine *e, struct tcp_req *req)
{
	uint64_t limit = (uint64_t)e->sysctl.tcp_invalid_ratelimit * 1000;

	if (req->last_oow_us != 0 && e->now - req->last_oow_us < limit)
		return true;
	req->last_oow_us = e->now;
	return false;
}

/* The third ACK came but the accept queue is full (listen_overflow). */
static void
req_overflow(struct tcpx_engine *e, struct tcp_req *req,
    const struct tcp_seg *seg)
{
	MIB_INC(e, TCPEXT_LISTENOVERFLOWS);
	listen_drop(e);
	if (!e->sysctl.tcp_abort_on_overflow) {
		/* Keep the request: the SYN-ACK timer will ask again. */
		req->acked = true;
		return;
	}
	tcp_send_reset_reply(e, seg);
	tcp_req_free(e, req);
	MIB_INC(e, TCPEXT_EMBRYONICRSTS);
}

/*
 * A segment for a request sock: RFC 9293 3.10.7.4 for SYN-RECEIVED, in
 * the form Linux's tcp_check_req() gives it.
 */
void
tcp_req_input(struct tcpx_engine *e, struct tcp_req *req,
    const struct tcp_seg *seg)
{
	struct tcp_sock *lsk = req->listener, *child;
	uint32_t end_seq = seg->seq + tcp_seg_seqlen(seg);
	uint32_t rcv_nxt = req->irs + 1, wnd;
	uint8_t flags = seg->flags;
	bool paws_reject = false;
	unsigned defer;

	if (lsk->listen == NULL)
		return;
	/* RFC 7323 PAWS against the SYN's timestamp. */
	if (seg->opt.has_ts && req->o.ts_ok && req->o.ts_recent != 0 &&
	    (int32_t)(req->o.ts_recent - seg->opt.ts_val) > 0 &&
	    !(flags & TH_RST))
		paws_reject = true;

	/* A retransmitted SYN: the SYN-ACK was lost, send it again. */
	if (seg->seq == req->irs && flags == TH_SYN && !paws_reject) {
		if (!req_oow_rate_limited(e, req)) {
			req_rtx_synack(e, req);
			timer_arm(e, &req->timer, e->now + req_timeout(req));
		}
		return;
	}

	/* An ACK of something we did not send: RST (the listener's answer). */
	if ((flags & TH_ACK) && seg->ack != req->iss + 1) {
		tcp_send_reset_reply(e, seg);
		return;
	}

	/* First, check the sequence number (our window never scales in a SYN-ACK). */
	wnd = req->rcv_wnd;
	if (wnd > ((uint32_t)65535 << req->o.rcv_wscale))
		wnd = (uint32_t)65535 << req->o.rcv_wscale;
	if (paws_reject || !req_in_window(seg->seq, end_seq, rcv_nxt,
	    rcv_nxt + wnd)) {
		if (!(flags & TH_RST) && !req_oow_rate_limited(e, req)) {
			struct synack s = {
				.t = &req->h.tuple, .seq = req->iss + 1,
				.ack = rcv_nxt, .flags = TH_ACK,
				.rcv_wnd = req->rcv_wnd, .o = &req->o,
				.tsval = tcp_tsval(e, req->o.ts_off),
			};

			synack_send(e, &s);
		}
		if (paws_reject)
			MIB_INC(e, TCPEXT_PAWSESTAB);
		return;
	}
	if (seg->opt.has_ts && req->o.ts_ok && !SEQ_GT(seg->seq, rcv_nxt))
		req->o.ts_recent = seg->opt.ts_val;
	/* The SYN's own sequence number is left of the window: ignore the bit. */
	if (seg->seq == req->irs)
		flags &= ~TH_SYN;

	/* Second (RST) and fourth (SYN): the attempt is over. */
	if (flags & (TH_RST | TH_SYN)) {
		MIB_INC(e, TCP_ATTEMPTFAILS);
		if (!(flags & TH_RST))
			tcp_send_reset_reply(e, seg);
		tcp_req_free(e, req);
		MIB_INC(e, TCPEXT_EMBRYONICRSTS);
		return;
	}
	/* Fifth, the ACK field: without it, drop. */
	if (!(flags & TH_ACK))
		return;
	/* TCP_DEFER_ACCEPT: a bare ACK waits for data (Linux drops it). */
	defer = defer_retrans(lsk->opt.defer_accept);
	if (req->num_timeout < defer && end_seq == rcv_nxt) {
		req->acked = true;
		return;
	}
	if (acceptq_is_full(lsk->listen)) {
		req_overflow(e, req, seg);
		return;
	}
	/*
	 * The request leaves the hash before the child enters it under the
	 * same tuple; if no child can be made it goes back, as on overflow.
	 */
	timer_cancel(e, &req->timer);
	tcp_hash_remove(e, &req->h);
	child = passive_establish(e, lsk, &req->h.tuple, req->iss, req->irs,
	    &req->o, req->rcv_wnd, seg);
	if (child == NULL) {
		tcp_hash_insert(e, &req->h);
		timer_arm(e, &req->timer, e->now + req_timeout(req));
		req_overflow(e, req, seg);
		return;
	}
	/* tcp_req_free would unhash again: unlink by hand. */
	TAILQ_REMOVE(&lsk->listen->reqs, req, link);
	lsk->listen->qlen--;
	if (req->num_timeout == 0)
		lsk->listen->young--;
	free(req);
}

int
tcpx_listen(struct tcpx_engine *e, int s, int backlog)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s);
	struct tcp_listen *l;
	unsigned somaxconn = (unsigned)e->sysctl.somaxconn;
	long tfo = e->sysctl.tcp_fastopen;
	int err;

	if (sk == NULL)
		return -EBADF;
	/* __sys_listen: negative is huge, so it clamps to somaxconn too. */
	if ((unsigned)backlog > somaxconn)
		backlog = (int)somaxconn;
	if (sk->state == TCP_ST_LISTEN) {
		/* listen() again only changes the backlog. */
		sk->listen->backlog = backlog;
		return 0;
	}
	if (sk->state != TCP_ST_CLOSED || sk->connecting || sk->passive)
		return -EINVAL;
	if (!sk->bound) {
		/* Linux autobinds an unbound listener to an ephemeral port. */
		if ((err = tcp_port_bind(e, sk, INADDR_ANY, 0)) != 0)
			return err;
	} else if ((err = tcp_port_check_listen(e, sk)) != 0) {
		return err;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -ENOBUFS;
	l->backlog = backlog;
	TAILQ_INIT(&l->acceptq);
	TAILQ_INIT(&l->reqs);
	/* tcp_fastopen 0x400: every listener does Fast Open, qlen = backlog. */
	if ((tfo & 0x400) && (tfo & 0x2) && sk->opt.fastopen_qlen == 0)
		l->tfo_max_qlen = backlog;
	sk->listen = l;
	tcp_set_state(e, sk, TCP_ST_LISTEN, "listen");
	return 0;
}

int
tcpx_accept(struct tcpx_engine *e, int s, struct sockaddr_in *peer)
{
	struct tcp_sock *sk = tcp_sock_by_id(e, s), *child;
	struct tcp_listen *l;
	int id;

	if (sk == NULL)
		return -EBADF;
	if (sk->state != TCP_ST_LISTEN || (l = sk->listen) == NULL)
		return -EINVAL;
	if ((child = TAILQ_FIRST(&l->acceptq)) == NULL)
		return -EAGAIN;
	if ((id = tcp_sock_assign_id(e, child)) < 0)
		return -ENFILE;
	TAILQ_REMOVE(&l->acceptq, child, accept_link);
	l->acceptq_len--;
	child->parent = NULL;
	if (peer != NULL) {
		memset(peer, 0, sizeof(*peer));
		peer->sin_family = AF_INET;
		peer->sin_addr.s_addr = child->h.tuple.raddr;
		peer->sin_port = htons(child->h.tuple.rport);
	}
	return id;
}

void
tcp_listen_unlink_child(struct tcpx_engine *e, struct tcp_sock *child)
{
	struct tcp_sock *lsk = child->parent;

	if (lsk == NULL || lsk->listen == NULL)
		return;
	TAILQ_REMOVE(&lsk->listen->acceptq, child, accept_link);
	lsk->listen->acceptq_len--;
	child->parent = NULL;
}

void
tcp_listen_close(struct tcpx_engine *e, struct tcp_sock *lsk)
{
	struct tcp_listen *l = lsk->listen;
	struct tcp_sock *child;
	struct tcp_req *req;

	if (l == NULL)
		return;
	/*
	 * inet_csk_listen_stop: children nobody accepted are disconnected,
	 * which resets every one that is synchronized (tcp_need_reset), and
	 * request socks simply go.
	 */
	while ((child = TAILQ_FIRST(&l->acceptq)) != NULL) {
		TAILQ_REMOVE(&l->acceptq, child, accept_link);
		l->acceptq_len--;
		child->parent = NULL;
		tcp_abort(e, child, ECONNRESET, true);
	}
	while ((req = TAILQ_FIRST(&l->reqs)) != NULL)
		tcp_req_free(e, req);
	free(l->tfo_pending);
	free(l);
	lsk->listen = NULL;
}

void
tcp_listen_foreach_req(struct tcpx_engine *e,
    void (*cb)(void *arg, const struct tcpx_sockinfo *), void *arg)
{
	struct tcpx_sockinfo info;
	struct tcp_hnode *n, *next;
	struct tcp_req *req;

	if (e->tcp.ehash == NULL)
		return;
	for (uint32_t i = 0; i <= e->tcp.ehash_mask; i++) {
		for (n = LIST_FIRST(&e->tcp.ehash[i]); n != NULL; n = next) {
			next = LIST_NEXT(n, link);
			if (n->kind != TCP_HK_REQ)
				continue;
			req = (struct tcp_req *)n;
			memset(&info, 0, sizeof(info));
			info.id = -1;
			info.state = TCP_ST_SYN_RECEIVED;
			tcp_sockaddr_set(&info.local, n->tuple.laddr,
			    n->tuple.lport);
			tcp_sockaddr_set(&info.remote, n->tuple.raddr,
			    n->tuple.rport);
			info.timer = TCPX_TIMER_RETRANS;
			info.timer_expires_us = req->timer.armed &&
			    req->timer.when > e->now ?
			    req->timer.when - e->now : 0;
			info.retransmits = req->num_retrans;
			info.snd_mss = req->o.mss;
			info.rcv_mss = req->advmss;
			info.snd_wscale = req->o.snd_wscale;
			info.rcv_wscale = req->o.rcv_wscale;
			info.options = (req->o.ts_ok ? TCPX_OPT_TS : 0) |
			    (req->o.sack_ok ? TCPX_OPT_SACK : 0) |
			    (req->o.wscale_ok ? TCPX_OPT_WSCALE : 0);
			info.rcv_wnd = req->rcv_wnd;
			cb(arg, &info);
		}
	}
}

void
tcp_listen_info_fill(struct tcpx_engine *e, struct tcp_sock *lsk,
    struct tcpx_sockinfo *info)
{
	struct tcp_listen *l = lsk->listen;

	if (l == NULL)
		return;
	/* As ss(8): Recv-Q is the accept queue, Send-Q the backlog. */
	info->recv_q = l->acceptq_len;
	info->send_q = (uint32_t)l->backlog;
	info->syn_q = l->qlen;
	info->syn_max = (uint32_t)l->backlog;
}
