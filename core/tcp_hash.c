/*
 * tcp_hash.c - where connections are found.
 *
 * The connection hash holds full sockets, request socks and TIME-WAIT
 * buckets in one table keyed by the 4-tuple, as Linux's ehash: a
 * power-of-two array of lists that doubles (rehashing in one go) when
 * the load passes one entry per bucket, so lookups stay O(1) at 100,000
 * connections.  The hash is keyed from the host's secret so that a peer
 * cannot aim many tuples at one chain.
 *
 * The port table (Linux's bind hash) lists, for each local port, the
 * sockets bound to it and how many TIME-WAIT buckets still use it.  It
 * decides bind() conflicts, finds listeners, and chooses ephemeral
 * ports for connect() the way __inet_hash_connect does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "tcp_listen.h"
#include "tcp_timewait.h"

#define EHASH_MIN	64
#define PORT_BUCKETS	4096	/* chains stay short over all 65536 ports */
#define PERTURB_SIZE	256	/* Linux's table_perturb (2^16 there) */

/* Linux's inet_bind_bucket: everything bound to one local port. */
struct tcp_port {
	LIST_ENTRY(tcp_port) link;
	uint16_t port;
	/*
	 * Some owner came by bind(): connect() then leaves the port alone
	 * (Linux skips buckets whose fastreuse >= 0).  A bucket made by
	 * connect() is shared by any number of distinct 4-tuples.
	 */
	bool bind_owned;
	LIST_HEAD(, tcp_sock) socks;
	uint32_t tw[4];		/* TIME-WAIT buckets, by their TW_F_* flags */
};
LIST_HEAD(tcp_portchain, tcp_port);

/* What e->tcp.ports points to. */
struct tcp_hashinfo {
	struct tcp_portchain chains[PORT_BUCKETS];
	uint32_t perturb[PERTURB_SIZE];
	uint64_t rnd_count;
	uint64_t key[2];	/* connection-hash key */
};

static struct tcp_hashinfo *
hinfo(struct tcpx_engine *e)
{
	return e->tcp.ports;
}

/* Random bits for port choice: SipHash of a counter, keyed from the secret. */
static uint32_t
hash_random(struct tcpx_engine *e)
{
	struct tcp_hashinfo *hi = hinfo(e);
	uint64_t c = hi->rnd_count++;

	return (uint32_t)siphash24(e->tcp.port_key, &c, sizeof(c));
}

static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * A cheap keyed mix of the 4-tuple.  SipHash would do, but the lookup
 * runs for every segment, and two rounds of a 64-bit finalizer over
 * keyed input spread the tuple well enough for chaining.
 */
static uint32_t
tuple_hash(const struct tcp_hashinfo *hi, const struct tcp_tuple *t)
{
	uint64_t a, b;

	a = ((uint64_t)t->laddr << 32 | t->raddr) ^ hi->key[0];
	b = ((uint64_t)t->lport << 16 | t->rport) ^ hi->key[1];
	return (uint32_t)mix64(mix64(a) ^ b);
}

static bool
tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
	return a->laddr == b->laddr && a->raddr == b->raddr &&
	    a->lport == b->lport && a->rport == b->rport;
}

/* Connection hash */

static void
ehash_grow(struct tcpx_engine *e)
{
	struct tcp_stack *st = &e->tcp;
	uint32_t nsize = (st->ehash_mask + 1) * 2;
	struct tcp_hbucket *nb;
	struct tcp_hnode *n;

	/* Out of memory: keep the old table; chains only get longer. */
	if ((nb = calloc(nsize, sizeof(*nb))) == NULL)
		return;
	for (uint32_t i = 0; i <= st->ehash_mask; i++) {
		while ((n = LIST_FIRST(&st->ehash[i])) != NULL) {
			LIST_REMOVE(n, link);
			LIST_INSERT_HEAD(&nb[n->hash & (nsize - 1)], n, link);
		}
	}
	free(st->ehash);
	st->ehash = nb;
	st->ehash_mask = nsize - 1;
}

void
tcp_hash_insert(struct tcpx_engine *e, struct tcp_hnode *n)
{
	struct tcp_stack *st = &e->tcp;

	n->hash = tuple_hash(hinfo(e), &n->tuple);
	if (st->ehash_count + 1 > st->ehash_mask + 1)
		ehash_grow(e);
	LIST_INSERT_HEAD(&st->ehash[n->hash & st->ehash_mask], n, link);
	st->ehash_count++;
}

void
tcp_hash_remove(struct tcpx_engine *e, struct tcp_hnode *n)
{
	LIST_REMOVE(n, link);
	e->tcp.ehash_count--;
}

struct tcp_hnode *
tcp_hash_lookup(struct tcpx_engine *e, const struct tcp_tuple *t)
{
	struct tcp_stack *st = &e->tcp;
	uint32_t h = tuple_hash(hinfo(e), t);
	struct tcp_hnode *n;

	LIST_FOREACH(n, &st->ehash[h & st->ehash_mask], link) {
		if (n->hash == h && tuple_eq(&n->tuple, t))
			return n;
	}
	return NULL;
}

/* Port table */

static struct tcp_port *
port_find(struct tcp_hashinfo *hi, uint16_t port)
{
	struct tcp_port *p;

	LIST_FOREACH(p, &hi->chains[port & (PORT_BUCKETS - 1)], link) {
		if (p->port == port)
			return p;
	}
	return NULL;
}

static struct tcp_port *
port_get(struct tcp_hashinfo *hi, uint16_t port)
{
	struct tcp_port *p;

	if ((p = port_find(hi, port)) != NULL)
		return p;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->port = port;
	LIST_INIT(&p->socks);
	LIST_INSERT_HEAD(&hi->chains[port & (PORT_BUCKETS - 1)], p, link);
	return p;
}

/* Free the bucket once nothing uses the port (Linux frees tb then too). */
static void
port_put(struct tcp_port *p)
{
	if (!LIST_EMPTY(&p->socks) || p->tw[0] || p->tw[1] || p->tw[2] ||
	    p->tw[3])
		return;
	LIST_REMOVE(p, link);
	free(p);
}

static bool
addr_overlap(uint32_t a, uint32_t b)
{
	return a == b || a == 0 || b == 0;
}

/*
 * One owner against the binding socket, as Linux's inet_bind_conflict():
 * with `relax` two SO_REUSEADDR sockets may share a port unless the
 * other listens; with `reuseport_ok` two SO_REUSEPORT sockets of one
 * user may (a TIME-WAIT bucket counts as any user's).
 */
static bool
owner_conflicts(const struct tcp_sock *sk, bool reuse2, bool reuseport2,
    bool listen2, bool tw2, uint32_t uid2, bool relax, bool reuseport_ok)
{
	bool reuse = sk->opt.reuseaddr, reuseport = sk->opt.reuseport;
	bool uid_ok = tw2 || uid2 == sk->opt.uid;

	if (reuse && reuse2 && !listen2)
		return !relax ||
		    (!reuseport_ok && reuseport && reuseport2 && uid_ok);
	return !reuseport_ok || !reuseport || !reuseport2 || !uid_ok;
}

/* Linux's inet_csk_bind_conflict() over every owner of the port. */
static bool
port_conflict(struct tcpx_engine *e, const struct tcp_port *p,
    const struct tcp_sock *sk, uint32_t laddr, bool relax, bool reuseport_ok)
{
	const struct tcp_sock *sk2;

	LIST_FOREACH(sk2, &p->socks, port_link) {
		if (sk2 == sk || !addr_overlap(laddr, sk2->h.tuple.laddr))
			continue;
		if (owner_conflicts(sk, sk2->opt.reuseaddr, sk2->opt.reuseport,
		    sk2->state == TCP_ST_LISTEN, false, sk2->opt.uid, relax,
		    reuseport_ok))
			return true;
	}
	/* TIME-WAIT buckets all hold the stack's own address. */
	if (!addr_overlap(laddr, e->cfg.addr.s_addr))
		return false;
	for (unsigned f = 0; f < 4; f++) {
		if (p->tw[f] != 0 && owner_conflicts(sk,
		    (f & TW_F_REUSEADDR) != 0, (f & TW_F_REUSEPORT) != 0,
		    false, true, 0, relax, reuseport_ok))
			return true;
	}
	return false;
}

static void
port_range(struct tcpx_engine *e, uint32_t *low, uint32_t *high)
{
	*low = (uint32_t)e->sysctl.ip_local_port_range[0];
	/* [32768, 60999] -> [32768, 61000[ as Linux counts it. */
	*high = (uint32_t)e->sysctl.ip_local_port_range[1] + 1;
	if (*high <= *low)
		*high = *low + 1;
}

/*
 * bind() to port 0: Linux's inet_csk_find_open_port().  Odd offsets
 * first (connect() favours even ones), a socket with SO_REUSEADDR tries
 * the lower half of the range before the upper, and any owner whose
 * address overlaps is a conflict here.  Returns the port or -1.
 */
static int
find_open_port(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t laddr)
{
	struct tcp_hashinfo *hi = hinfo(e);
	uint32_t low, high, remaining, offset, port;
	int attempt_half = sk->opt.reuseaddr ? 1 : 0;
	struct tcp_port *p;

other_half_scan:
	port_range(e, &low, &high);
	if (high - low < 4)
		attempt_half = 0;
	if (attempt_half) {
		uint32_t half = low + (((high - low) >> 2) << 1);

		if (attempt_half == 1)
			high = half;
		else
			low = half;
	}
	remaining = high - low;
	if (remaining > 1)
		remaining &= ~1U;
	offset = hash_random(e) % remaining;
	offset |= 1U;
other_parity_scan:
	port = low + offset;
	for (uint32_t i = 0; i < remaining; i += 2, port += 2) {
		if (port >= high)
			port -= remaining;
		p = port_find(hi, (uint16_t)port);
		if (p == NULL || !port_conflict(e, p, sk, laddr, false, false))
			return (int)port;
	}
	offset--;
	if (!(offset & 1))
		goto other_parity_scan;
	if (attempt_half == 1) {
		attempt_half = 2;
		goto other_half_scan;
	}
	return -1;
}

static void
port_link_sock(struct tcp_port *p, struct tcp_sock *sk, uint32_t laddr)
{
	sk->h.tuple.laddr = laddr;
	sk->h.tuple.lport = p->port;
	LIST_INSERT_HEAD(&p->socks, sk, port_link);
	sk->bound = true;
}

int
tcp_port_bind(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t laddr,
    uint16_t lport)
{
	struct tcp_hashinfo *hi = hinfo(e);
	struct tcp_port *p;
	int port;

	if (sk->bound)
		return -EINVAL;
	if (lport == 0) {
		if ((port = find_open_port(e, sk, laddr)) < 0)
			return -EADDRINUSE;
		lport = (uint16_t)port;
	} else if ((p = port_find(hi, lport)) != NULL &&
	    port_conflict(e, p, sk, laddr, true, true))
		return -EADDRINUSE;
	if ((p = port_get(hi, lport)) == NULL)
		return -ENOMEM;
	p->bind_owned = true;
	port_link_sock(p, sk, laddr);
	return 0;
}

int
tcp_port_check_listen(struct tcpx_engine *e, struct tcp_sock *sk)
{
	struct tcp_port *p;

	if (!sk->bound || (p = port_find(hinfo(e), sk->h.tuple.lport)) == NULL)
		return -EINVAL;
	return port_conflict(e, p, sk, sk->h.tuple.laddr, true, true) ?
	    -EADDRINUSE : 0;
}

void
tcp_port_unbind(struct tcpx_engine *e, struct tcp_sock *sk)
{
	struct tcp_port *p;

	if (!sk->bound)
		return;
	LIST_REMOVE(sk, port_link);
	sk->bound = false;
	if ((p = port_find(hinfo(e), sk->h.tuple.lport)) != NULL)
		port_put(p);
}

void
tcp_port_release(struct tcpx_engine *e, struct tcp_sock *sk)
{
	if (sk->hashed) {
		tcp_hash_remove(e, &sk->h);
		sk->hashed = false;
	}
	if (!sk->userbound)
		tcp_port_unbind(e, sk);
}

int
tcp_port_tw_add(struct tcpx_engine *e, uint16_t lport, uint8_t flags)
{
	struct tcp_port *p;

	if ((p = port_get(hinfo(e), lport)) == NULL)
		return -ENOMEM;
	p->tw[flags & 3]++;
	return 0;
}

void
tcp_port_tw_del(struct tcpx_engine *e, uint16_t lport, uint8_t flags)
{
	struct tcp_port *p;

	if ((p = port_find(hinfo(e), lport)) == NULL || p->tw[flags & 3] == 0)
		return;
	p->tw[flags & 3]--;
	port_put(p);
}

/*
 * A new connection takes a TIME-WAIT tuple over (Linux's
 * tcp_twsk_unique): its ISN starts past anything the old incarnation
 * sent, and PAWS carries on from the old TS.Recent.
 */
static void
tw_takeover(struct tcpx_engine *e, struct tcp_sock *sk, struct tcp_tw *tw)
{
	uint32_t isn = tw->snd_nxt + 65535 + 2;

	e->tcp.tw_isn = isn != 0 ? isn : 1;
	sk->ts_recent = tw->ts_recent;
	sk->ts_recent_stamp = e->now;
	tcp_tw_end(e, tw, "taken over by connect");
	MIB_INC(e, TCPEXT_TWRECYCLED);
}

/* Hash a connecting socket under its full tuple. */
static void
hash_connected(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_tuple *t)
{
	sk->h.tuple = *t;
	sk->h.kind = TCP_HK_SOCK;
	tcp_hash_insert(e, &sk->h);
	sk->hashed = true;
}

/*
 * connect() on a socket bind() already gave a port: the 4-tuple must be
 * unique (Linux's __inet_check_established without a tw pointer), and a
 * TIME-WAIT bucket with timestamps gives way whatever tcp_tw_reuse says.
 */
static int
connect_bound(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_tuple *t)
{
	struct tcp_hnode *n;

	if ((n = tcp_hash_lookup(e, t)) != NULL) {
		if (n->kind != TCP_HK_TW ||
		    ((struct tcp_tw *)n)->ts_stamp_ms == 0)
			return -EADDRNOTAVAIL;
		tw_takeover(e, sk, (struct tcp_tw *)n);
	}
	hash_connected(e, sk, t);
	return 0;
}

int
tcp_port_pick_ephemeral(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t raddr, uint16_t rport)
{
	struct tcp_hashinfo *hi = hinfo(e);
	struct tcp_tuple t;
	uint32_t low, high, remaining, offset, port, off, idx, i, step;
	struct tcp_port *p;
	struct tcp_hnode *n;
	struct tcp_tw *victim = NULL;

	t.laddr = sk->bound && sk->h.tuple.laddr != 0 ? sk->h.tuple.laddr :
	    e->cfg.addr.s_addr;
	t.raddr = raddr;
	t.rport = rport;
	if (sk->bound) {
		t.lport = sk->h.tuple.lport;
		return connect_bound(e, sk, &t);
	}

	/*
	 * Linux's __inet_hash_connect(): start from a keyed hash of the
	 * destination plus a perturbation that moves on after each use,
	 * walk even offsets first (bind() takes odd ones), then odd.
	 */
	port_range(e, &low, &high);
	remaining = high - low;
	if (remaining > 1)
		remaining &= ~1U;
	off = tcp_port_offset(e, t.laddr, raddr, rport);
	idx = off & (PERTURB_SIZE - 1);
	offset = (hi->perturb[idx] + (off >> 8)) % remaining;
	offset &= ~1U;
other_parity_scan:
	port = low + offset;
	for (i = 0; i < remaining; i += 2, port += 2) {
		if (port >= high)
			port -= remaining;
		if ((p = port_find(hi, (uint16_t)port)) == NULL)
			goto ok;
		if (p->bind_owned)
			continue;
		t.lport = (uint16_t)port;
		if ((n = tcp_hash_lookup(e, &t)) == NULL)
			goto ok;
		if (n->kind == TCP_HK_TW &&
		    tcp_tw_may_reuse(e, (struct tcp_tw *)n)) {
			victim = (struct tcp_tw *)n;
			goto ok;
		}
	}
	offset++;
	if ((offset & 1) && remaining > 1)
		goto other_parity_scan;
	return -EADDRNOTAVAIL;

ok:
	/* A little randomness for the next choice, little under contention. */
	step = (hash_random(e) % 8) * 2;
	hi->perturb[idx] += (i > step ? i : step) + 2;
	t.lport = (uint16_t)port;
	if (victim != NULL)
		tw_takeover(e, sk, victim);
	if ((p = port_get(hi, (uint16_t)port)) == NULL)
		return -ENOMEM;
	port_link_sock(p, sk, t.laddr);
	hash_connected(e, sk, &t);
	return 0;
}

struct tcp_sock *
tcp_listener_lookup_tuple(struct tcpx_engine *e, const struct tcp_tuple *t)
{
	struct tcp_port *p;
	struct tcp_sock *sk, *best = NULL;
	int score, best_score = 0;
	uint32_t n = 0, pick;

	if ((p = port_find(hinfo(e), t->lport)) == NULL)
		return NULL;
	/* Linux's compute_score(): a listener on the exact address wins. */
	LIST_FOREACH(sk, &p->socks, port_link) {
		if (sk->state != TCP_ST_LISTEN)
			continue;
		if (sk->h.tuple.laddr == t->laddr)
			score = 2;
		else if (sk->h.tuple.laddr == 0)
			score = 1;
		else
			continue;
		if (score > best_score) {
			best = sk;
			best_score = score;
		}
	}
	if (best == NULL || !best->opt.reuseport)
		return best;

	/*
	 * The SO_REUSEPORT group (same address, same user) shares the
	 * connections: choose by a hash of the 4-tuple, so every segment
	 * of one handshake reaches the same listener.
	 */
#define IN_GROUP(s) ((s)->state == TCP_ST_LISTEN && (s)->opt.reuseport && \
	(s)->h.tuple.laddr == best->h.tuple.laddr && \
	(s)->opt.uid == best->opt.uid)
	LIST_FOREACH(sk, &p->socks, port_link) {
		if (IN_GROUP(sk))
			n++;
	}
	pick = (uint32_t)(((uint64_t)tuple_hash(hinfo(e), t) * n) >> 32);
	LIST_FOREACH(sk, &p->socks, port_link) {
		if (IN_GROUP(sk) && pick-- == 0)
			return sk;
	}
#undef IN_GROUP
	return best;
}

struct tcp_sock *
tcp_listener_lookup(struct tcpx_engine *e, uint32_t laddr, uint16_t lport)
{
	struct tcp_tuple t = { .laddr = laddr, .lport = lport };

	return tcp_listener_lookup_tuple(e, &t);
}

/* The stack */

int
tcp_stack_init(struct tcpx_engine *e)
{
	struct tcp_stack *st = &e->tcp;
	struct tcp_hashinfo *hi;
	uint8_t lbl[8] = { 'e', 'h', 'a', 's', 'h', 0, 0, 0 };

	if ((hi = calloc(1, sizeof(*hi))) == NULL)
		return -ENOMEM;
	if ((st->ehash = calloc(EHASH_MIN, sizeof(*st->ehash))) == NULL) {
		free(hi);
		return -ENOMEM;
	}
	st->ehash_mask = EHASH_MIN - 1;
	st->ehash_count = 0;
	for (size_t i = 0; i < PORT_BUCKETS; i++)
		LIST_INIT(&hi->chains[i]);
	hi->key[0] = siphash24(st->port_key, lbl, sizeof(lbl));
	lbl[5] = 1;
	hi->key[1] = siphash24(st->port_key, lbl, sizeof(lbl));
	st->ports = hi;
	for (uint32_t i = 0; i < PERTURB_SIZE; i++)
		hi->perturb[i] = hash_random(e);
	tcp_tw_init(e);
	return 0;
}

void
tcp_stack_free(struct tcpx_engine *e)
{
	struct tcp_stack *st = &e->tcp;
	struct tcp_hashinfo *hi = hinfo(e);
	struct tcp_hnode *n;
	struct tcp_port *p;
	struct tcp_sock *sk;

	if (hi == NULL)
		return;
	/*
	 * The host is going away: nothing more is sent (no RSTs for the
	 * connections dropped here, as after a crash) and no event or
	 * trace reaches it.
	 */
	e->ops.output = NULL;
	e->ops.event = NULL;
	e->ops.trace_seg = NULL;
	e->ops.trace_state = NULL;
	e->ops.trace_timer = NULL;

	/* Listeners first: they drop their request socks and queued children. */
	for (int i = 0; i < st->nids; i++) {
		if ((sk = st->ids[i]) != NULL && sk->listen != NULL) {
			tcp_listen_close(e, sk);
			tcp_sock_free(e, sk);
		}
	}
	for (int i = 0; i < st->nids; i++) {
		if ((sk = st->ids[i]) != NULL)
			tcp_sock_free(e, sk);
	}
	/* Then orphans and TIME-WAIT buckets, found through the hash. */
	tcp_tw_free_all(e);
	for (uint32_t b = 0; b <= st->ehash_mask; b++) {
		while ((n = LIST_FIRST(&st->ehash[b])) != NULL) {
			if (n->kind == TCP_HK_SOCK)
				tcp_sock_free(e, (struct tcp_sock *)n);
			else if (n->kind == TCP_HK_REQ)
				tcp_req_free(e, (struct tcp_req *)n);
			else
				tcp_tw_kill(e, (struct tcp_tw *)n);
		}
	}
	for (size_t i = 0; i < PORT_BUCKETS; i++) {
		while ((p = LIST_FIRST(&hi->chains[i])) != NULL) {
			/* Sockets still here are freed already; just let go. */
			LIST_REMOVE(p, link);
			free(p);
		}
	}
	tcp_fastopen_cache_free(e);
	free(st->ehash);
	st->ehash = NULL;
	free(st->ids);
	st->ids = NULL;
	st->nids = 0;
	free(hi);
	st->ports = NULL;
}
