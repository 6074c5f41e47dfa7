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
