/*
 * arp.h - ARP cache (owned by the wire/link helper; fields may grow).
 */
#ifndef TCPX_ARP_H
#define TCPX_ARP_H

#include <stdint.h>
#include <sys/queue.h>

struct arp_entry;
LIST_HEAD(arp_list, arp_entry);

struct arp_cache {
	struct arp_list entries;
	unsigned count;
};

struct tcpx_engine;
void arp_init(struct tcpx_engine *e);
void arp_free(struct tcpx_engine *e);

#endif /* TCPX_ARP_H */
