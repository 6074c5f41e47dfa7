/*
 * ip_output.c - IPv4 output: route, build, resolve the next hop, send.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"
#include "link.h"

#define IP_TCP_OFF	(LINK_IP_OFF + IPV4_HLEN_MIN)

int
ip_route(const struct tcpx_engine *e, uint32_t dst, uint32_t *nexthop)
{
	unsigned plen = e->cfg.prefixlen > 32 ? 32 : e->cfg.prefixlen;
	uint32_t mask = plen == 0 ? 0 : htonl(~0u << (32 - plen));

	if (((dst ^ e->cfg.addr.s_addr) & mask) == 0) {
		*nexthop = dst;
		return 0;
	}
	if (e->cfg.gateway.s_addr != 0) {
		*nexthop = e->cfg.gateway.s_addr;
		return 0;
	}
	return -ENETUNREACH;
}

void
link_xmit_ip(struct tcpx_engine *e, const uint8_t mac[6], const uint8_t *ip,
    size_t len)
{
	uint8_t *p = e->tx + LINK_IP_OFF;

	if (len > TCPX_FRAME_MAX - LINK_IP_OFF)
		return;
	if (ip != p)
		memmove(p, ip, len);
	if (len >= IPV4_HLEN_MIN && p[9] == IPPROTO_TCP_ &&
	    e->ops.trace_seg != NULL)
		e->ops.trace_seg(e->ops.ctx, TCPX_DIR_OUT, p, len, e->now);
	if (e->tx_gso_size != 0 && e->ops.output_gso != NULL) {
		/* A super-segment (ip_send_tcp_gso): csum_start is the TCP header. */
		if (e->cfg.link == TCPX_LINK_RAWIP) {
			e->ops.output_gso(e->ops.ctx, p, len, e->tx_gso_size,
			    (uint16_t)((p[0] & 0x0f) * 4), 16);
			return;
		}
		eth_build(e->tx, ETH_HLEN_, mac, e->cfg.mac,
		    ETHERTYPE_IPV4_);
		if (e->tx_payload != NULL) {
			/* Headers here, the payload where it lies; set
			 * after the call, in which the host may send what
			 * it holds (and say so with tcpx_tx_sent). */
			e->ops.output_gso_gather(e->ops.ctx, e->tx,
			    ETH_HLEN_ + len, e->tx_payload, e->tx_payload_len,
			    e->tx_gso_size,
			    (uint16_t)(ETH_HLEN_ + (p[0] & 0x0f) * 4), 16);
			e->tx_gathered = true;
			return;
		}
		e->ops.output_gso(e->ops.ctx, e->tx, ETH_HLEN_ + len,
		    e->tx_gso_size, (uint16_t)(ETH_HLEN_ + (p[0] & 0x0f) * 4),
		    16);
		return;
	}
	if (e->ops.output == NULL)
		return;
	if (e->cfg.link == TCPX_LINK_RAWIP) {
		e->ops.output(e->ops.ctx, p, len);
		return;
	}
	eth_build(e->tx, ETH_HLEN_, mac, e->cfg.mac, ETHERTYPE_IPV4_);
	e->ops.output(e->ops.ctx, e->tx, ETH_HLEN_ + len);
}

int
ip_send(struct tcpx_engine *e, uint32_t dst, size_t len)
{
	uint32_t nexthop;
	int err;

	if ((err = ip_route(e, dst, &nexthop)) != 0) {
		MIB_INC(e, IP_OUTNOROUTES);
		return err;
	}
	MIB_INC(e, IP_OUTREQUESTS);
	if (e->cfg.link == TCPX_LINK_RAWIP) {
		link_xmit_ip(e, NULL, e->tx + LINK_IP_OFF, len);
		return 0;
	}
	return arp_output(e, nexthop, e->tx + LINK_IP_OFF, len);
}

/*
 * Build the next TCP frame where the host will send it from, if it
 * lends room (ops->tx_frame): the payload is then copied once, from
 * the send queue to the host's batch, not twice.  Super-segments only:
 * they go out at once (ip_gso_ok saw the next hop resolved), where a
 * frame waiting for ARP would have the lent room overwritten by the
 * ARP request that arp_output sends before it queues the frame.
 */
static void
tx_borrow(struct tcpx_engine *e)
{
	uint8_t *p;

	/* Raw IP frames start past the link header's room: no match. */
	if (e->cfg.link == TCPX_LINK_ETHER && e->ops.tx_frame != NULL &&
	    (p = e->ops.tx_frame(e->ops.ctx, TCPX_FRAME_MAX)) != NULL)
		e->tx = p;
}

static int
tx_return(struct tcpx_engine *e, int err)
{
	e->tx = e->txbuf;
	return err;
}

int
ip_send_tcp(struct tcpx_engine *e, const struct tcp_out *seg)
{
	uint32_t nexthop;
	size_t n, cap;

	/* Route first, as ip_queue_xmit() does, so no work is wasted. */
	if (ip_route(e, seg->daddr, &nexthop) != 0) {
		MIB_INC(e, IP_OUTNOROUTES);
		return -ENETUNREACH;
	}
	cap = e->cfg.mtu - IPV4_HLEN_MIN;
	if (cap > TCPX_FRAME_MAX - IP_TCP_OFF)
		cap = TCPX_FRAME_MAX - IP_TCP_OFF;
	/* DF is set, so a segment larger than the MTU is the caller's bug. */
	if ((n = tcp_build(e->tx + IP_TCP_OFF, cap, seg)) == 0)
		return -EMSGSIZE;
	ipv4_build(e->tx + LINK_IP_OFF, IPV4_HLEN_MIN, seg->saddr,
	    seg->daddr, IPPROTO_TCP_, (uint8_t)e->sysctl.ip_default_ttl,
	    e->ip_id++, (uint16_t)n);
	return ip_send(e, seg->daddr, IPV4_HLEN_MIN + n);
}

bool
ip_gso_ok(struct tcpx_engine *e, uint32_t daddr)
{
	struct arp_entry *a;
	uint32_t nexthop;

	if (e->cfg.gso_max_size == 0 || e->ops.output_gso == NULL)
		return false;
	if (e->cfg.link == TCPX_LINK_RAWIP)
		return true;
	/*
	 * A frame queued behind ARP resolution would later leave through
	 * ops->output, which cannot take a super-segment.
	 */
	if (ip_route(e, daddr, &nexthop) != 0)
		return false;
	a = arp_lookup(e, nexthop);
	return a != NULL && a->state != ARP_INCOMPLETE;
}

int
ip_send_tcp_gso(struct tcpx_engine *e, const struct tcp_out *seg,
    uint16_t gso_size)
{
	struct tcp_out partial = *seg;
	uint32_t nexthop;
	size_t n, cap;
	int err;
	/*
	 * Data that stays in the send queue goes from there (one copy the
	 * fewer, into the kernel); else the frame is built whole, in room
	 * the host lends if it does.
	 */
	bool gather = seg->data_stays && seg->len > 0 &&
	    e->cfg.link == TCPX_LINK_ETHER &&
	    e->ops.output_gso_gather != NULL && e->ops.tx_fence != NULL;

	if (ip_route(e, seg->daddr, &nexthop) != 0) {
		MIB_INC(e, IP_OUTNOROUTES);
		return -ENETUNREACH;
	}
	cap = 65535 - IPV4_HLEN_MIN;
	if (cap > TCPX_FRAME_MAX - IP_TCP_OFF)
		cap = TCPX_FRAME_MAX - IP_TCP_OFF;
	/*
	 * CHECKSUM_PARTIAL, as Linux's tcp_v4_send_check() leaves it:
	 * whoever cuts the segment completes each piece's checksum, so
	 * the payload is not summed here.
	 */
	partial.csum_partial = true;
	partial.hdr_only = gather;
	if (!gather)
		tx_borrow(e);
	if ((n = tcp_build(e->tx + IP_TCP_OFF, cap, &partial)) == 0)
		return tx_return(e, -EMSGSIZE);
	ipv4_build(e->tx + LINK_IP_OFF, IPV4_HLEN_MIN, seg->saddr,
	    seg->daddr, IPPROTO_TCP_, (uint8_t)e->sysctl.ip_default_ttl,
	    e->ip_id++, (uint16_t)n);
	e->tx_gso_size = gso_size;
	if (gather) {
		e->tx_payload = seg->data;
		e->tx_payload_len = seg->len;
		n -= seg->len;	/* what lies in e->tx */
	}
	err = ip_send(e, seg->daddr, IPV4_HLEN_MIN + n);
	e->tx_gso_size = 0;
	e->tx_payload = NULL;
	e->tx_payload_len = 0;
	return tx_return(e, err);
}

void
tcpx_tx_sent(struct tcpx_engine *e)
{
	e->tx_gathered = false;
}

/*
 * Read by gso_len and ip_gso_ok at each send, so nothing built earlier
 * needs changing.  (Linux fixes sk_gso_max_size when a connection is
 * set up and lets the device cut what an older one sends too large; the
 * kernel cutting our frames in software is what this avoids.)
 */
void
tcpx_set_gso_limits(struct tcpx_engine *e, uint32_t max_size,
    uint32_t max_segs)
{
	e->cfg.gso_max_size = max_size;
	e->cfg.gso_max_segs = max_segs;
}
