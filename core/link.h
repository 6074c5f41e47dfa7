/*
 * link.h - what link.c, arp.c, ip_output.c and icmp.c share below the
 * TCP layer.  Outgoing IPv4 packets are built at e->txbuf + ETH_HLEN_ so
 * the Ethernet header can be put in front without a copy.
 */
#ifndef TCPX_LINK_H
#define TCPX_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct tcpx_engine;

#define LINK_IP_OFF	ETH_HLEN_

/*
 * Hand the IPv4 packet `ip` to ops->output, behind an Ethernet header to
 * `mac` on Ethernet links; TCP packets go to ops->trace_seg first.  `ip`
 * may be e->txbuf + LINK_IP_OFF or any other buffer.
 */
void link_xmit_ip(struct tcpx_engine *e, const uint8_t mac[6],
    const uint8_t *ip, size_t len);
/*
 * Route and send the IPv4 packet of `len` bytes at e->txbuf + LINK_IP_OFF
 * to `dst`.  0, -ENETUNREACH (counted Ip:OutNoRoutes) or -ENOBUFS.
 */
int ip_send(struct tcpx_engine *e, uint32_t dst, size_t len);
/* Next hop for `dst`: itself on-link, else the gateway; -ENETUNREACH. */
int ip_route(const struct tcpx_engine *e, uint32_t dst, uint32_t *nexthop);
void icmp_input(struct tcpx_engine *e, const struct ipv4_view *ip);

#endif /* TCPX_LINK_H */
