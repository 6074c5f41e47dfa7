/*
 * arp.h - ARP cache (owned by the wire/link helper; fields may grow).
 *
 * One entry per neighbour, in Linux's NUD states, reduced:
 *   INCOMPLETE  resolving: broadcast requests every retrans_time_ms, up to
 *               mcast_solicit of them; frames wait in the entry's queue
 *               (unres_qlen, oldest dropped first).  No answer: the queue
 *               is dropped and the entry freed (Linux keeps it FAILED).
 *   REACHABLE   confirmed by a reply or a request for us; lasts
 *               base_reachable_time_ms (Linux randomises 0.5x..1.5x).
 *   STALE       timed out; still used.  The first use moves it to DELAY.
 *   DELAY       5 s (delay_first_probe_time) for a confirmation, then PROBE.
 *   PROBE       unicast requests to the cached MAC every retrans_time_ms,
 *               up to mcast_solicit (Linux: ucast_solicit, also 3); frames
 *               still go to the cached MAC.  No answer: entry freed.
 *   PERMANENT   installed by the host; never expires.
 * STALE entries unused for 60 s (gc_staletime) are freed.
 */
#ifndef TCPX_ARP_H
#define TCPX_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "timer.h"

enum arp_state {
	ARP_INCOMPLETE,
	ARP_REACHABLE,
	ARP_STALE,
	ARP_DELAY,
	ARP_PROBE,
	ARP_PERMANENT,
};

/* A frame waiting for resolution: the IPv4 packet, without link header. */
struct arp_pending {
	STAILQ_ENTRY(arp_pending) link;
	size_t len;
	uint8_t ip[];
};
STAILQ_HEAD(arp_pending_q, arp_pending);

struct arp_entry {
	LIST_ENTRY(arp_entry) link;
	uint32_t ip;			/* network order */
	uint8_t mac[6];
	enum arp_state state;
	unsigned probes;		/* requests sent in this round */
	uint64_t updated;		/* last confirmation / state change */
	uint64_t used;			/* last frame sent through it */
	struct arp_pending_q pending;
	unsigned npending;
	struct tcpx_timer timer;
};
LIST_HEAD(arp_list, arp_entry);

/* Linux's gc_thresh3: the cache never holds more. */
#define ARP_CACHE_MAX		1024
#define ARP_DELAY_FIRST_PROBE_US	5000000ULL
#define ARP_GC_STALE_US		60000000ULL

struct arp_cache {
	struct arp_list entries;
	unsigned count;
};

struct tcpx_engine;
void arp_init(struct tcpx_engine *e);
void arp_free(struct tcpx_engine *e);

/* An ARP packet (Ethernet payload) arrived; link.c validated the frame. */
/* `unicast`: the Ethernet destination was our MAC (Linux PACKET_HOST). */
void arp_input(struct tcpx_engine *e, const uint8_t *p, size_t len,
    bool unicast);
/*
 * Send the IPv4 packet `ip` to on-link `nexthop`: at once if its MAC is
 * known, else queued until resolution.  The packet is copied.  Returns 0
 * or -ENOBUFS.
 */
int arp_output(struct tcpx_engine *e, uint32_t nexthop, const uint8_t *ip,
    size_t len);
/* `ip neigh replace ADDR lladdr MAC nud permanent`; 0 or -ENOMEM. */
int arp_add_permanent(struct tcpx_engine *e, uint32_t ip,
    const uint8_t mac[6]);
/* The entry for `ip`, or NULL (for tests and introspection). */
struct arp_entry *arp_lookup(struct tcpx_engine *e, uint32_t ip);

#endif /* TCPX_ARP_H */
