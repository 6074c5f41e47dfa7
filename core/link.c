/*
 * link.c - a frame arrives: check the link header, then the IPv4 header,
 * then hand TCP and ICMP to their layers.  Every drop is counted.
 *
 * The checks and the counters follow Linux's receive path:
 *   eth_type_trans    frame not for our MAC or broadcast: Tcpx:NotForUs
 *                     (Linux: PACKET_OTHERHOST, dropped by ip_rcv_core)
 *   ip_rcv_core       Ip:InReceives, then version/IHL/checksum errors as
 *                     Ip:InHdrErrors (+ Ip:InCsumErrors), total length
 *                     past the frame as IpExt:InTruncatedPkts
 *   ip_route_input    not our address: Ip:InAddrErrors (also martian
 *                     sources, which Linux drops uncounted)
 *   ip_local_deliver  fragments: Ip:ReasmFails (we never reassemble)
 *   ip_protocol_deliver_rcu  Ip:InDelivers, or Ip:InUnknownProtos
 *   tcp_v4_rcv        TCP in a broadcast frame: Tcpx:NotForUs (Linux drops
 *                     it uncounted); Tcp:InSegs before any TCP check; bad
 *                     data offset and bad checksum as Tcp:InErrs
 *                     (+ Tcp:InCsumErrors)
 * Frames shorter than a header says also count Tcpx:FrameTruncated.
 * TTL is not checked: Linux delivers TTL 0 packets addressed to it.
 */
#include <stdint.h>
#include <string.h>

#include "engine.h"
#include "link.h"

static const uint8_t link_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void
link_tcp_input(struct tcpx_engine *e, const struct ipv4_view *ip,
    bool unicast)
{
	struct tcp_seg seg;
	unsigned doff;

	/* tcp_v4_rcv(): TCP in a link-layer broadcast is not for a socket. */
	if (!unicast) {
		MIB_INC(e, TCPX_NOTFORUS);
		return;
	}
	MIB_INC(e, TCP_INSEGS);
	if (e->ops.trace_seg != NULL)
		e->ops.trace_seg(e->ops.ctx, TCPX_DIR_IN, ip->hdr,
		    ip->total_len, e->now);
	switch (tcp_parse_ex(ip, &seg, !(e->rx_flags & TCPX_RX_CSUM_OK))) {
	case WIRE_OK:
		break;
	case WIRE_E_TRUNCATED:
		MIB_INC(e, TCPX_FRAMETRUNCATED);
		return;
	case WIRE_E_TCP_HLEN:
		MIB_INC(e, TCPX_TCPBADHDRLEN);
		/* Linux counts InErrs for doff < 5, nothing for doff too big. */
		doff = ip->payload[12] >> 4;
		if (doff < 5)
			MIB_INC(e, TCP_INERRS);
		else
			MIB_INC(e, TCPX_FRAMETRUNCATED);
		return;
	case WIRE_E_TCP_CSUM:
		MIB_INC(e, TCP_INCSUMERRORS);
		MIB_INC(e, TCP_INERRS);
		return;
	case WIRE_E_TCP_OPT:
		/*
		 * XXX Linux stops parsing at a silly option length and still
		 * processes the segment; we drop it (the wire.h contract).
		 * seg.opt holds what Linux would have seen, should that change.
		 */
		MIB_INC(e, TCPX_TCPBADOPTIONS);
		MIB_INC(e, TCP_INERRS);
		return;
	default:
		MIB_INC(e, TCP_INERRS);
		return;
	}
	tcp_input(e, &seg);
}

static void
link_ip_input(struct tcpx_engine *e, const uint8_t *p, size_t len,
    bool unicast)
{
	struct ipv4_view ip;

	MIB_INC(e, IP_INRECEIVES);
	switch (ipv4_parse_ex(p, len, &ip, !(e->rx_flags & TCPX_RX_CSUM_OK))) {
	case WIRE_OK:
		break;
	case WIRE_E_TRUNCATED:
		MIB_INC(e, IP_INHDRERRORS);
		MIB_INC(e, TCPX_FRAMETRUNCATED);
		return;
	case WIRE_E_IP_HLEN:
		MIB_INC(e, IP_INHDRERRORS);
		if ((p[0] & 0x0f) >= 5)		/* header longer than the frame */
			MIB_INC(e, TCPX_FRAMETRUNCATED);
		return;
	case WIRE_E_IP_CSUM:
		MIB_INC(e, IP_INCSUMERRORS);
		MIB_INC(e, IP_INHDRERRORS);
		return;
	case WIRE_E_IP_LEN:
		if (((size_t)p[2] << 8 | p[3]) > len) {
			MIB_INC(e, IPEXT_INTRUNCATEDPKTS);
			MIB_INC(e, TCPX_FRAMETRUNCATED);
		} else
			MIB_INC(e, IP_INHDRERRORS);
		return;
	case WIRE_E_IP_ADDR:
		MIB_INC(e, IP_INADDRERRORS);
		return;
	case WIRE_E_IP_FRAG:
		/* ipv4_parse filled the addresses before the fragment test. */
		if (ip.dst != e->cfg.addr.s_addr)
			MIB_INC(e, IP_INADDRERRORS);
		else
			MIB_INC(e, IP_REASMFAILS);
		return;
	default:
		MIB_INC(e, IP_INHDRERRORS);
		return;
	}
	if (ip.dst != e->cfg.addr.s_addr) {
		MIB_INC(e, IP_INADDRERRORS);
		return;
	}
	switch (ip.proto) {
	case IPPROTO_TCP_:
		MIB_INC(e, IP_INDELIVERS);
		link_tcp_input(e, &ip, unicast);
		break;
	case IPPROTO_ICMP_:
		MIB_INC(e, IP_INDELIVERS);
		icmp_input(e, &ip);
		break;
	default:
		/* XXX Linux also answers with ICMP protocol unreachable. */
		MIB_INC(e, IP_INUNKNOWNPROTOS);
		break;
	}
}

void
link_input(struct tcpx_engine *e, const uint8_t *frame, size_t len)
{
	struct eth_hdr_view eh;
	enum wire_err err;
	bool unicast;

	if (e->cfg.link == TCPX_LINK_RAWIP) {
		if (len == 0) {
			MIB_INC(e, TCPX_FRAMETRUNCATED);
			return;
		}
		/* A tun carries IPv6 too; that is another protocol, not an error. */
		if ((frame[0] >> 4) != 4) {
			MIB_INC(e, TCPX_BADETHERTYPE);
			return;
		}
		link_ip_input(e, frame, len, true);
		return;
	}
	err = eth_parse(frame, len, &eh);
	if (err == WIRE_E_TRUNCATED) {
		MIB_INC(e, TCPX_FRAMETRUNCATED);
		return;
	}
	unicast = memcmp(eh.dst, e->cfg.mac, 6) == 0;
	if (!unicast && memcmp(eh.dst, link_bcast, 6) != 0) {
		MIB_INC(e, TCPX_NOTFORUS);
		return;
	}
	if (err != WIRE_OK) {
		MIB_INC(e, TCPX_BADETHERTYPE);
		return;
	}
	if (eh.type == ETHERTYPE_ARP_) {
		arp_input(e, eh.payload, eh.payload_len, unicast);
		return;
	}
	link_ip_input(e, eh.payload, eh.payload_len, unicast);
}
