/*
 * arp.c - the neighbour cache for Ethernet links (RFC 826), with the
 * states and timings of Linux's neighbour code, reduced (see arp.h).
 *
 * The entry timer: one per entry, its meaning set by the state.
 *   INCOMPLETE  armed at each request for now + retrans_time_ms; expiry
 *               sends the next request or, after mcast_solicit of them,
 *               gives up: the queued frames are dropped, the entry freed.
 *   REACHABLE   armed on confirmation for + base_reachable_time_ms;
 *               expiry makes the entry STALE.
 *   STALE       armed for last use + 60 s (gc_staletime); expiry frees
 *               the entry unless it was used since (then re-armed).
 *   DELAY       armed on the first use of a STALE entry for + 5 s;
 *               expiry moves to PROBE and sends the first unicast probe.
 *   PROBE       as INCOMPLETE, but unicast to the cached MAC; expiry after
 *               the last probe frees the entry.
 *   PERMANENT   never armed.
 * Any confirmation (a reply to us) cancels the round and re-arms for
 * REACHABLE; freeing the entry cancels the timer.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "link.h"

#define ARP_FRAME_LEN	(ETH_HLEN_ + 28)

static const uint8_t arp_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t arp_zero[6];

static void arp_timer_fire(struct tcpx_engine *e, struct tcpx_timer *t);

void
arp_init(struct tcpx_engine *e)
{
	LIST_INIT(&e->arp.entries);
	e->arp.count = 0;
}

static void
arp_drop_pending(struct tcpx_engine *e, struct arp_entry *ent, bool count)
{
	struct arp_pending *pp;

	while ((pp = STAILQ_FIRST(&ent->pending)) != NULL) {
		STAILQ_REMOVE_HEAD(&ent->pending, link);
		if (count)
			MIB_INC(e, TCPX_ARPQUEUEDROPS);
		free(pp);
	}
	ent->npending = 0;
}

static void
arp_entry_free(struct tcpx_engine *e, struct arp_entry *ent, bool count)
{
	timer_cancel(e, &ent->timer);
	arp_drop_pending(e, ent, count);
	LIST_REMOVE(ent, link);
	e->arp.count--;
	free(ent);
}

void
arp_free(struct tcpx_engine *e)
{
	struct arp_entry *ent;

	while ((ent = LIST_FIRST(&e->arp.entries)) != NULL)
		arp_entry_free(e, ent, false);
}

struct arp_entry *
arp_lookup(struct tcpx_engine *e, uint32_t ip)
{
	struct arp_entry *ent;

	LIST_FOREACH(ent, &e->arp.entries, link)
		if (ent->ip == ip)
			return ent;
	return NULL;
}

/* A new entry; at the size limit a STALE one makes room, as Linux's GC. */
static struct arp_entry *
arp_entry_new(struct tcpx_engine *e, uint32_t ip, enum arp_state state)
{
	struct arp_entry *ent, *victim = NULL;

	if (e->arp.count >= ARP_CACHE_MAX) {
		LIST_FOREACH(ent, &e->arp.entries, link)
			if (ent->state == ARP_STALE &&
			    (victim == NULL || ent->used < victim->used))
				victim = ent;
		if (victim == NULL)
			return NULL;
		arp_entry_free(e, victim, true);
	}
	if ((ent = calloc(1, sizeof(*ent))) == NULL)
		return NULL;
	ent->ip = ip;
	ent->state = state;
	ent->updated = ent->used = e->now;
	STAILQ_INIT(&ent->pending);
	timer_init(&ent->timer, arp_timer_fire);
	LIST_INSERT_HEAD(&e->arp.entries, ent, link);
	e->arp.count++;
	return ent;
}

static void
arp_send(struct tcpx_engine *e, uint16_t op, const uint8_t eth_dst[6],
    const uint8_t tha[6], uint32_t tpa)
{
	struct arp_pkt a;
	uint8_t f[ARP_FRAME_LEN];

	memset(&a, 0, sizeof(a));
	a.op = op;
	memcpy(a.sha, e->cfg.mac, 6);
	a.spa = e->cfg.addr.s_addr;
	memcpy(a.tha, tha, 6);
	a.tpa = tpa;
	eth_build(f, sizeof(f), eth_dst, e->cfg.mac, ETHERTYPE_ARP_);
	arp_build(f + ETH_HLEN_, sizeof(f) - ETH_HLEN_, &a);
	MIB_INC(e, TCPX_ARPOUT);
	if (e->ops.output != NULL)
		e->ops.output(e->ops.ctx, f, sizeof(f));
}

/* One request of a resolution round: broadcast, or unicast when probing. */
static void
arp_solicit(struct tcpx_engine *e, struct arp_entry *ent)
{
	arp_send(e, ARP_OP_REQUEST,
	    ent->state == ARP_PROBE ? ent->mac : arp_bcast, arp_zero, ent->ip);
	ent->probes++;
	timer_arm(e, &ent->timer, e->now +
	    (uint64_t)e->sysctl.neigh_retrans_ms * 1000);
}

static void
arp_arm_stale_gc(struct tcpx_engine *e, struct arp_entry *ent)
{
	timer_arm(e, &ent->timer, ent->used + ARP_GC_STALE_US);
}

static void
arp_flush(struct tcpx_engine *e, struct arp_entry *ent)
{
	struct arp_pending *pp;

	while ((pp = STAILQ_FIRST(&ent->pending)) != NULL) {
		STAILQ_REMOVE_HEAD(&ent->pending, link);
		ent->npending--;
		link_xmit_ip(e, ent->mac, pp->ip, pp->len);
		free(pp);
	}
}

/*
 * New link-layer information for an entry, as Linux's neigh_update():
 * REACHABLE when a reply came to us, STALE when only overheard.  A STALE
 * update with the MAC we have keeps the state; frames waiting for
 * resolution leave as soon as the entry is valid.
 */
static void
arp_update(struct tcpx_engine *e, struct arp_entry *ent, const uint8_t mac[6],
    enum arp_state state)
{
	bool same = ent->state != ARP_INCOMPLETE &&
	    memcmp(ent->mac, mac, 6) == 0;

	if (ent->state == ARP_PERMANENT)
		return;
	if (state == ARP_STALE && same)
		return;
	memcpy(ent->mac, mac, 6);
	ent->state = state;
	ent->probes = 0;
	ent->updated = e->now;
	if (state == ARP_REACHABLE)
		timer_arm(e, &ent->timer, e->now +
		    (uint64_t)e->sysctl.neigh_reachable_ms * 1000);
	else
		arp_arm_stale_gc(e, ent);
	arp_flush(e, ent);
}

static void
arp_timer_fire(struct tcpx_engine *e, struct tcpx_timer *t)
{
	struct arp_entry *ent = (struct arp_entry *)(void *)
	    ((char *)t - offsetof(struct arp_entry, timer));

	switch (ent->state) {
	case ARP_INCOMPLETE:
	case ARP_PROBE:
		if (ent->probes >= (unsigned)e->sysctl.neigh_mcast_solicit) {
			if (ent->state == ARP_INCOMPLETE)
				MIB_INC(e, TCPX_ARPFAILED);
			arp_entry_free(e, ent, true);
			return;
		}
		arp_solicit(e, ent);
		break;
	case ARP_REACHABLE:
		ent->state = ARP_STALE;
		ent->updated = e->now;
		arp_arm_stale_gc(e, ent);
		break;
	case ARP_STALE:
		if (e->now >= ent->used + ARP_GC_STALE_US) {
			arp_entry_free(e, ent, false);
			return;
		}
		arp_arm_stale_gc(e, ent);
		break;
	case ARP_DELAY:
		ent->state = ARP_PROBE;
		ent->probes = 0;
		arp_solicit(e, ent);
		break;
	case ARP_PERMANENT:
		break;
	}
}

int
arp_output(struct tcpx_engine *e, uint32_t nexthop, const uint8_t *ip,
    size_t len)
{
	struct arp_entry *ent;
	struct arp_pending *pp, *old;

	if ((ent = arp_lookup(e, nexthop)) == NULL) {
		if ((ent = arp_entry_new(e, nexthop, ARP_INCOMPLETE)) == NULL) {
			MIB_INC(e, TCPX_ARPQUEUEDROPS);
			return -ENOBUFS;
		}
		/* Linux sends the first request at once, then every retrans. */
		arp_solicit(e, ent);
	}
	ent->used = e->now;
	switch (ent->state) {
	case ARP_INCOMPLETE:
		break;
	case ARP_STALE:
		/* Use the old MAC now; confirm it within 5 s or probe. */
		ent->state = ARP_DELAY;
		ent->updated = e->now;
		timer_arm(e, &ent->timer, e->now + ARP_DELAY_FIRST_PROBE_US);
		/* FALLTHROUGH */
	default:
		link_xmit_ip(e, ent->mac, ip, len);
		return 0;
	}
	if (e->sysctl.neigh_unres_qlen == 0) {
		MIB_INC(e, TCPX_ARPQUEUEDROPS);
		return 0;
	}
	/* Full queue: the oldest frame goes, as in Linux's __neigh_event_send. */
	if (ent->npending >= (unsigned long)e->sysctl.neigh_unres_qlen) {
		old = STAILQ_FIRST(&ent->pending);
		STAILQ_REMOVE_HEAD(&ent->pending, link);
		ent->npending--;
		free(old);
		MIB_INC(e, TCPX_ARPQUEUEDROPS);
	}
	if ((pp = malloc(sizeof(*pp) + len)) == NULL) {
		MIB_INC(e, TCPX_ARPQUEUEDROPS);
		return -ENOBUFS;
	}
	pp->len = len;
	memcpy(pp->ip, ip, len);
	STAILQ_INSERT_TAIL(&ent->pending, pp, link);
	ent->npending++;
	return 0;
}

int
arp_add_permanent(struct tcpx_engine *e, uint32_t ip, const uint8_t mac[6])
{
	struct arp_entry *ent;

	if ((ent = arp_lookup(e, ip)) == NULL &&
	    (ent = arp_entry_new(e, ip, ARP_PERMANENT)) == NULL)
		return -ENOMEM;
	timer_cancel(e, &ent->timer);
	memcpy(ent->mac, mac, 6);
	ent->state = ARP_PERMANENT;
	ent->probes = 0;
	arp_flush(e, ent);
	return 0;
}

/* Sources no neighbour may claim: Linux's arp_process() drops these. */
static bool
arp_bad_sender(uint32_t spa)
{
	const uint8_t *b = (const uint8_t *)&spa;

	return (b[0] & 0xf0) == 0xe0 || b[0] == 127 || spa == 0xffffffff;
}

void
arp_input(struct tcpx_engine *e, const uint8_t *p, size_t len, bool unicast)
{
	struct arp_pkt a;
	struct arp_entry *ent;
	uint32_t us = e->cfg.addr.s_addr;

	if (arp_parse(p, len, &a) != WIRE_OK || arp_bad_sender(a.spa) ||
	    (*(const uint8_t *)&a.tpa & 0xf0) == 0xe0) {
		MIB_INC(e, TCPX_ARPBAD);
		return;
	}
	MIB_INC(e, TCPX_ARPIN);
	/* Our own frame reflected back, or someone claiming our address. */
	if (memcmp(a.sha, e->cfg.mac, 6) == 0 || a.spa == us)
		return;
	/* Duplicate address detection probe (RFC 5227): answer, learn nothing. */
	if (a.spa == 0) {
		if (a.op == ARP_OP_REQUEST && a.tpa == us)
			arp_send(e, ARP_OP_REPLY, a.sha, a.sha, 0);
		return;
	}
	ent = arp_lookup(e, a.spa);
	if (a.op == ARP_OP_REQUEST && a.tpa == us) {
		/* neigh_event_ns(): the asker is learned STALE, then answered. */
		if (ent == NULL)
			ent = arp_entry_new(e, a.spa, ARP_INCOMPLETE);
		if (ent != NULL)
			arp_update(e, ent, a.sha, ARP_STALE);
		arp_send(e, ARP_OP_REPLY, a.sha, a.sha, a.spa);
		return;
	}
	/* Without arp_accept, Linux updates only neighbours it already has. */
	if (ent == NULL)
		return;
	arp_update(e, ent, a.sha, a.op == ARP_OP_REPLY && unicast ?
	    ARP_REACHABLE : ARP_STALE);
}
