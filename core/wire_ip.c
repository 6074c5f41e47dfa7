/*
 * wire_ip.c - IPv4 headers and ICMP echo.
 *
 * ipv4_parse checks in the order Linux's ip_rcv_core() does (version and
 * IHL, header in the frame, header checksum, total length against the
 * frame), then the source address as ip_route_input() would, then
 * fragments: we do not reassemble.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

#define IP_DF		0x4000
#define IP_MF		0x2000
#define IP_OFFMASK	0x1fff
#define ICMP_HLEN	8
#define ICMP_ECHOREPLY	0

/*
 * A source no host may use: multicast, limited broadcast, "this network"
 * 0/8 and loopback 127/8 (Linux's martian sources, route_localnet off).
 */
static bool
ipv4_martian_src(uint32_t src_n)
{
	const uint8_t *b = (const uint8_t *)&src_n;

	return (b[0] & 0xf0) == 0xe0 || src_n == 0xffffffff ||
	    b[0] == 0 || b[0] == 127;
}

enum wire_err
ipv4_parse(const uint8_t *p, size_t len, struct ipv4_view *out)
{
	return ipv4_parse_ex(p, len, out, true);
}

enum wire_err
ipv4_parse_ex(const uint8_t *p, size_t len, struct ipv4_view *out,
    bool verify_csum)
{
	unsigned hlen, total, frag;

	if (len < IPV4_HLEN_MIN)
		return WIRE_E_TRUNCATED;
	if ((p[0] >> 4) != 4)
		return WIRE_E_IP_VERSION;
	hlen = (p[0] & 0x0f) * 4u;
	if (hlen < IPV4_HLEN_MIN || hlen > len)
		return WIRE_E_IP_HLEN;
	if (verify_csum && inet_csum_fold(inet_csum_add(0, p, hlen)) != 0)
		return WIRE_E_IP_CSUM;
	total = wire_get16(p + 2);
	/* Link padding (short Ethernet frames) past total_len is trimmed. */
	if (total > len || total < hlen)
		return WIRE_E_IP_LEN;
	memcpy(&out->src, p + 12, 4);
	memcpy(&out->dst, p + 16, 4);
	if (ipv4_martian_src(out->src))
		return WIRE_E_IP_ADDR;
	frag = wire_get16(p + 6);
	if (frag & (IP_MF | IP_OFFMASK))
		return WIRE_E_IP_FRAG;
	out->tos = p[1];
	out->id = wire_get16(p + 4);
	out->df = (frag & IP_DF) != 0;
	out->ttl = p[8];
	out->proto = p[9];
	out->hlen = (uint16_t)hlen;
	out->total_len = (uint16_t)total;
	out->hdr = p;
	out->payload = p + hlen;
	out->payload_len = total - hlen;
	return WIRE_OK;
}

size_t
ipv4_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst,
    uint8_t proto, uint8_t ttl, uint16_t id, uint16_t payload_len)
{
	if (cap < IPV4_HLEN_MIN ||
	    (size_t)payload_len + IPV4_HLEN_MIN > 0xffff)
		return 0;
	buf[0] = 0x45;
	buf[1] = 0;
	wire_put16(buf + 2, (uint16_t)(IPV4_HLEN_MIN + payload_len));
	wire_put16(buf + 4, id);
	wire_put16(buf + 6, IP_DF);
	buf[8] = ttl;
	buf[9] = proto;
	wire_put16(buf + 10, 0);
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	wire_put16(buf + 10, inet_csum_fold(inet_csum_add(0, buf, IPV4_HLEN_MIN)));
	return IPV4_HLEN_MIN;
}

enum wire_err
icmp_parse(const uint8_t *p, size_t len, struct icmp_view *out)
{
	if (len < ICMP_HLEN)
		return WIRE_E_TRUNCATED;
	if (inet_csum_fold(inet_csum_add(0, p, len)) != 0)
		return WIRE_E_ICMP_CSUM;
	out->type = p[0];
	out->code = p[1];
	out->id = wire_get16(p + 4);
	out->seq = wire_get16(p + 6);
	out->data = p + ICMP_HLEN;
	out->data_len = len - ICMP_HLEN;
	return WIRE_OK;
}

size_t
icmp_build_echo_reply(uint8_t *buf, size_t cap, uint16_t id, uint16_t seq,
    const uint8_t *data, size_t data_len)
{
	if (cap < ICMP_HLEN || data_len > cap - ICMP_HLEN)
		return 0;
	buf[0] = ICMP_ECHOREPLY;
	buf[1] = 0;
	wire_put16(buf + 2, 0);
	wire_put16(buf + 4, id);
	wire_put16(buf + 6, seq);
	if (data_len > 0)
		memmove(buf + ICMP_HLEN, data, data_len);
	wire_put16(buf + 2, inet_csum_fold(inet_csum_add(0, buf,
	    ICMP_HLEN + data_len)));
	return ICMP_HLEN + data_len;
}
