/*
 * tcp_fastopen.c - TCP Fast Open (RFC 7413) cookies.
 *
 * Server side: the cookie for a client is 8 bytes of SipHash over the
 * client's and our address under the engine's Fast Open key, as Linux's
 * __tcp_fastopen_cookie_gen_cipher does, so a cookie is checked by
 * recomputing it and no per-client state is kept.
 *
 * Client side: the cookie (and MSS) each server gave us, kept per server
 * address as Linux keeps them in its tcp_metrics cache.  The cache is
 * bounded; the least recently used entry makes room for a new one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define TFO_COOKIE_SIZE		8
#define TFO_CACHE_MAX		64

struct tfo_entry {
	TAILQ_ENTRY(tfo_entry) lru;	/* most recently used first */
	uint32_t raddr;
	uint16_t mss;
	uint8_t len;
	uint8_t cookie[TCP_FASTOPEN_COOKIE_MAX];
};
TAILQ_HEAD(tfo_lru, tfo_entry);

struct tfo_cache {
	struct tfo_lru lru;
	unsigned count;
};

void
tcp_fastopen_cookie_gen(struct tcpx_engine *e, uint32_t raddr,
    uint8_t *cookie, uint8_t *len)
{
	uint32_t w[2] = { raddr, e->cfg.addr.s_addr };
	uint64_t h = siphash24(e->tcp.tfo_key, w, sizeof(w));

	for (int i = 0; i < TFO_COOKIE_SIZE; i++)
		cookie[i] = (uint8_t)(h >> (8 * i));
	*len = TFO_COOKIE_SIZE;
}

bool
tcp_fastopen_cookie_ok(struct tcpx_engine *e, uint32_t raddr,
    const uint8_t *cookie, uint8_t len)
{
	uint8_t want[TFO_COOKIE_SIZE], wlen;

	if (len != TFO_COOKIE_SIZE)
		return false;
	tcp_fastopen_cookie_gen(e, raddr, want, &wlen);
	return memcmp(want, cookie, TFO_COOKIE_SIZE) == 0;
}

static struct tfo_entry *
cache_find(struct tfo_cache *c, uint32_t raddr)
{
	struct tfo_entry *t;

	if (c == NULL)
		return NULL;
	TAILQ_FOREACH(t, &c->lru, lru)
		if (t->raddr == raddr)
			return t;
	return NULL;
}

bool
tcp_fastopen_cache_get(struct tcpx_engine *e, uint32_t raddr,
    uint8_t *cookie, uint8_t *len, uint16_t *mss)
{
	struct tfo_cache *c = e->tcp.tfo_cache;
	struct tfo_entry *t;

	if ((t = cache_find(c, raddr)) == NULL)
		return false;
	TAILQ_REMOVE(&c->lru, t, lru);
	TAILQ_INSERT_HEAD(&c->lru, t, lru);
	memcpy(cookie, t->cookie, t->len);
	*len = t->len;
	*mss = t->mss;
	return true;
}

void
tcp_fastopen_cache_set(struct tcpx_engine *e, uint32_t raddr,
    const uint8_t *cookie, uint8_t len, uint16_t mss)
{
	struct tfo_cache *c = e->tcp.tfo_cache;
	struct tfo_entry *t;

	if (len > TCP_FASTOPEN_COOKIE_MAX)
		return;
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return;
		TAILQ_INIT(&c->lru);
		e->tcp.tfo_cache = c;
	}
	if ((t = cache_find(c, raddr)) != NULL) {
		TAILQ_REMOVE(&c->lru, t, lru);
	} else if (c->count >= TFO_CACHE_MAX) {
		/* Full: the least recently used server gives its slot up. */
		t = TAILQ_LAST(&c->lru, tfo_lru);
		TAILQ_REMOVE(&c->lru, t, lru);
	} else {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			return;
		c->count++;
	}
	t->raddr = raddr;
	t->mss = mss;
	t->len = len;
	memcpy(t->cookie, cookie, len);
	TAILQ_INSERT_HEAD(&c->lru, t, lru);
}

void
tcp_fastopen_cache_free(struct tcpx_engine *e)
{
	struct tfo_cache *c = e->tcp.tfo_cache;
	struct tfo_entry *t;

	if (c == NULL)
		return;
	while ((t = TAILQ_FIRST(&c->lru)) != NULL) {
		TAILQ_REMOVE(&c->lru, t, lru);
		free(t);
	}
	free(c);
	e->tcp.tfo_cache = NULL;
}

/*
 * Server side of a SYN.  The sysctl's bits, as Linux's: 0x2 serves Fast
 * Open at all, 0x200 takes data without a cookie, 0x400 gives every
 * listener a queue (tcpx_listen sets it); a listener also needs a
 * TCP_FASTOPEN queue length, which bounds the children still in
 * SYN-RECEIVED.
 */
#define TFO_SERVER_ENABLE		0x2
#define TFO_SERVER_COOKIE_NOT_REQD	0x200
#define TFO_COOKIE_MIN			4

/* Drop tuples of children that left SYN-RECEIVED (or are gone). */
static void
tfo_prune(struct tcpx_engine *e, struct tcp_listen *l)
{
	struct tcp_hnode *n;
	struct tcp_sock *sk;
	uint32_t i = 0;

	while (i < l->tfo_qlen) {
		n = tcp_hash_lookup(e, &l->tfo_pending[i]);
		sk = (struct tcp_sock *)n;
		if (n != NULL && n->kind == TCP_HK_SOCK &&
		    sk->state == TCP_ST_SYN_RECEIVED && sk->passive) {
			i++;
			continue;
		}
		l->tfo_pending[i] = l->tfo_pending[--l->tfo_qlen];
	}
}

static int
tfo_max_qlen(const struct tcpx_engine *e, const struct tcp_sock *lsk)
{
	int q = lsk->opt.fastopen_qlen;

	if (q <= 0)
		return lsk->listen->tfo_max_qlen;
	return q > e->sysctl.somaxconn ? (int)e->sysctl.somaxconn : q;
}

/* tcp_fastopen_queue_check(): room for one more child in SYN-RECEIVED? */
static bool
tfo_queue_check(struct tcpx_engine *e, struct tcp_sock *lsk)
{
	struct tcp_listen *l = lsk->listen;
	int max = tfo_max_qlen(e, lsk);

	if (max <= 0)
		return false;
	tfo_prune(e, l);
	if (l->tfo_qlen >= (uint32_t)max) {
		MIB_INC(e, TCPEXT_TCPFASTOPENLISTENOVERFLOW);
		return false;
	}
	return true;
}

static bool
tfo_pending_add(struct tcp_listen *l, const struct tcp_tuple *t)
{
	struct tcp_tuple *p;
	uint32_t cap;

	if (l->tfo_qlen == l->tfo_pending_cap) {
		cap = l->tfo_pending_cap ? l->tfo_pending_cap * 2 : 8;
		if ((p = realloc(l->tfo_pending, cap * sizeof(*p))) == NULL)
			return false;
		l->tfo_pending = p;
		l->tfo_pending_cap = cap;
	}
	l->tfo_pending[l->tfo_qlen++] = *t;
	return true;
}

/*
 * tcp_fastopen_create_child(): the full socket straight from the SYN, in
 * SYN-RECEIVED, the SYN's data already queued to be read, put on the
 * accept queue at once; its SYN-ACK acknowledges SYN and data.
 */
static struct tcp_sock *
tfo_create_child(struct tcpx_engine *e, struct tcp_sock *lsk,
    const struct tcp_seg *syn, const struct tcp_tuple *t, uint32_t iss,
    const struct tcp_synopts *o, uint16_t advmss, uint32_t rcv_wnd)
{
	struct tcp_listen *l = lsk->listen;
	struct tcp_sock *child;

	if (tcp_listen_acceptq_full(lsk)) {
		MIB_INC(e, TCPEXT_LISTENOVERFLOWS);
		MIB_INC(e, TCPEXT_LISTENDROPS);
		return NULL;
	}
	if (!tfo_pending_add(l, t))
		return NULL;
	child = tcp_sock_create_child(e, lsk, t, iss, syn->seq, o, syn->wnd,
	    rcv_wnd);
	if (child == NULL) {
		l->tfo_qlen--;
		return NULL;
	}
	MIB_INC(e, TCP_PASSIVEOPENS);
	if (child->state != TCP_ST_SYN_RECEIVED)
		tcp_set_state(e, child, TCP_ST_SYN_RECEIVED, "rcv SYN");
	/* Our SYN is not acknowledged yet: the child sends the SYN-ACK. */
	child->snd_una = child->snd_nxt = child->snd_max = iss;
	child->snd_wl2 = iss;
	/* RFC 7323: the window in a SYN is never scaled. */
	child->snd_wnd = syn->wnd;
	child->max_window = syn->wnd;
	if (syn->len > 0)
		(void)tcp_sock_queue_rcv(e, child, syn->data, syn->len);
	/*
	 * The SYN-ACK acknowledges SYN and data and mirrors the SYN's
	 * options (tcp_make_synack); its retransmission at 1 s doubling
	 * belongs to the child, a full socket in SYN-RECEIVED, as Linux's
	 * tcp_fastopen_synack_timer.
	 */
	tcp_listen_send_synack(e, t, iss, child->rcv_nxt, o, advmss, rcv_wnd,
	    NULL, 0);
	child->segs_out++;
	child->snd_nxt = child->snd_max = iss + 1;
	child->rcv_wup = child->rcv_nxt;
	child->rcv_adv = child->rcv_nxt + (rcv_wnd < 65535 ? rcv_wnd : 65535);
	child->syn_sent_us = e->now;
	tcp_rto_arm(e, child);
	tcp_listen_acceptq_add(e, lsk, child);
	tcp_sock_event(e, lsk, TCPX_EV_IN);
	return child;
}

bool
tcp_fastopen_try(struct tcpx_engine *e, struct tcp_sock *lsk,
    const struct tcp_seg *syn, const struct tcp_tuple *t, uint32_t iss,
    const struct tcp_synopts *o, uint16_t advmss, uint32_t rcv_wnd,
    struct tcp_fastopen_res *res)
{
	long sysctl = e->sysctl.tcp_fastopen;
	bool syn_data = syn->len > 0;
	int foc_len = -1;

	res->cookie_len = 0;
	/* tcp_parse_fastopen_option: even lengths only, 4..16 or 0 (a request). */
	if (syn->opt.has_fastopen && !(syn->opt.fastopen_len & 1)) {
		foc_len = syn->opt.fastopen_len;
		if (foc_len != 0 && foc_len < TFO_COOKIE_MIN)
			foc_len = -1;
	}
	if (foc_len == 0)
		MIB_INC(e, TCPEXT_TCPFASTOPENCOOKIEREQD);
	if (!((sysctl & TFO_SERVER_ENABLE) && (syn_data || foc_len >= 0) &&
	    tfo_queue_check(e, lsk)))
		return false;

	if ((sysctl & TFO_SERVER_COOKIE_NOT_REQD) ||
	    lsk->opt.fastopen_no_cookie) {
		if (tfo_create_child(e, lsk, syn, t, iss, o, advmss,
		    rcv_wnd) != NULL) {
			MIB_INC(e, TCPEXT_TCPFASTOPENPASSIVE);
			return true;
		}
		MIB_INC(e, TCPEXT_TCPFASTOPENPASSIVEFAIL);
		return false;
	}
	if (foc_len == 0) {
		tcp_fastopen_cookie_gen(e, t->raddr, res->cookie,
		    &res->cookie_len);
		return false;
	}
	if (foc_len > 0) {
		if (tcp_fastopen_cookie_ok(e, t->raddr,
		    syn->opt.fastopen_cookie, (uint8_t)foc_len)) {
			/* Valid, even without data: the child may send first. */
			if (tfo_create_child(e, lsk, syn, t, iss, o, advmss,
			    rcv_wnd) != NULL) {
				MIB_INC(e, TCPEXT_TCPFASTOPENPASSIVE);
				return true;
			}
		}
		/* Bad cookie (or no child): normal handshake, a good cookie. */
		MIB_INC(e, TCPEXT_TCPFASTOPENPASSIVEFAIL);
		tcp_fastopen_cookie_gen(e, t->raddr, res->cookie,
		    &res->cookie_len);
	}
	return false;
}
