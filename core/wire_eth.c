/*
 * wire_eth.c - Ethernet II headers and Ethernet/IPv4 ARP packets.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

#define ARP_HTYPE_ETHER	1
#define ARP_LEN		28

/*
 * Fills `out` whenever the header is there, even for an EtherType we do
 * not speak, so the caller can first decide whether the frame was for us.
 */
enum wire_err
eth_parse(const uint8_t *frame, size_t len, struct eth_hdr_view *out)
{
	if (len < ETH_HLEN_)
		return WIRE_E_TRUNCATED;
	memcpy(out->dst, frame, 6);
	memcpy(out->src, frame + 6, 6);
	out->type = wire_get16(frame + 12);
	out->payload = frame + ETH_HLEN_;
	out->payload_len = len - ETH_HLEN_;
	if (out->type != ETHERTYPE_IPV4_ && out->type != ETHERTYPE_ARP_)
		return WIRE_E_ETHERTYPE;
	return WIRE_OK;
}

size_t
eth_build(uint8_t *buf, size_t cap, const uint8_t dst[6],
    const uint8_t src[6], uint16_t type)
{
	if (cap < ETH_HLEN_)
		return 0;
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	wire_put16(buf + 12, type);
	return ETH_HLEN_;
}

/* Only Ethernet/IPv4 requests and replies; anything else is WIRE_E_ARP. */
enum wire_err
arp_parse(const uint8_t *p, size_t len, struct arp_pkt *out)
{
	if (len < ARP_LEN)
		return WIRE_E_TRUNCATED;
	if (wire_get16(p) != ARP_HTYPE_ETHER || wire_get16(p + 2) != ETHERTYPE_IPV4_ ||
	    p[4] != 6 || p[5] != 4)
		return WIRE_E_ARP;
	out->op = wire_get16(p + 6);
	if (out->op != ARP_OP_REQUEST && out->op != ARP_OP_REPLY)
		return WIRE_E_ARP;
	memcpy(out->sha, p + 8, 6);
	memcpy(&out->spa, p + 14, 4);
	memcpy(out->tha, p + 18, 6);
	memcpy(&out->tpa, p + 24, 4);
	return WIRE_OK;
}

size_t
arp_build(uint8_t *buf, size_t cap, const struct arp_pkt *arp)
{
	if (cap < ARP_LEN)
		return 0;
	wire_put16(buf, ARP_HTYPE_ETHER);
	wire_put16(buf + 2, ETHERTYPE_IPV4_);
	buf[4] = 6;
	buf[5] = 4;
	wire_put16(buf + 6, arp->op);
	memcpy(buf + 8, arp->sha, 6);
	memcpy(buf + 14, &arp->spa, 4);
	memcpy(buf + 18, arp->tha, 6);
	memcpy(buf + 24, &arp->tpa, 4);
	return ARP_LEN;
}
