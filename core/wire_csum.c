/*
 * wire_csum.c - the Internet checksum (RFC 1071) and the names of the
 * reasons a frame is dropped at the wire layer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

const char *
wire_err_name(enum wire_err err)
{
	switch (err) {
	case WIRE_OK:		return "ok";
	case WIRE_E_TRUNCATED:	return "truncated";
	case WIRE_E_ETHERTYPE:	return "bad ethertype";
	case WIRE_E_IP_VERSION:	return "bad IP version";
	case WIRE_E_IP_HLEN:	return "bad IP header length";
	case WIRE_E_IP_LEN:	return "bad IP total length";
	case WIRE_E_IP_CSUM:	return "bad IP checksum";
	case WIRE_E_IP_FRAG:	return "IP fragment";
	case WIRE_E_IP_ADDR:	return "martian IP source";
	case WIRE_E_TCP_HLEN:	return "bad TCP data offset";
	case WIRE_E_TCP_CSUM:	return "bad TCP checksum";
	case WIRE_E_TCP_OPT:	return "bad TCP option length";
	case WIRE_E_ICMP_CSUM:	return "bad ICMP checksum";
	case WIRE_E_ARP:	return "bad ARP";
	}
	return "unknown";
}

/*
 * Sum 16-bit big-endian words into a 32-bit accumulator.  An odd length
 * pads with a zero byte, so only the last chunk of a sum may be odd.
 *
 * The one's-complement sum does not depend on byte order except for a
 * final swap (RFC 1071 2(B)), so the data is summed as native 32-bit
 * words into 64 bits - eight at a time, the hot path of every segment -
 * folded to 16 bits and swapped into network-word order once.
 */
uint32_t
inet_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = 0, t;
	uint32_t w[8];
	uint16_t h;

	while (len >= sizeof(w)) {
		memcpy(w, p, sizeof(w));
		s += (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] +
		    w[7];
		p += sizeof(w);
		len -= sizeof(w);
	}
	while (len >= 4) {
		memcpy(w, p, 4);
		s += w[0];
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		s += h;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		const uint8_t last[2] = { p[0], 0 };

		memcpy(&h, last, 2);
		s += h;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = __builtin_bswap16((uint16_t)s);
#endif
	/* Fold the carries back now so the 32-bit result stays exact. */
	t = (uint64_t)sum + s;
	while (t >> 32)
		t = (t & 0xffffffff) + (t >> 32);
	return (uint32_t)t;
}

/* Fold to 16 bits and complement: the value to store, host order. */
uint16_t
inet_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t
inet_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint32_t sum = 0;

	/* Addresses are network order in memory: sum their bytes as is. */
	sum = inet_csum_add(sum, &src, 4);
	sum = inet_csum_add(sum, &dst, 4);
	sum += proto;
	sum += len;
	return sum;
}
