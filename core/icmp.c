/*
 * icmp.c - ICMP input: answer echo requests, count the rest.
 *
 * Counting follows Linux's icmp_rcv(): InMsgs for every message, then
 * InCsumErrors + InErrors for a bad checksum, InErrors for a short one.
 * The reply copies the request's TOS, id, sequence and data, and is sent
 * without DF, as Linux's icmp_reply() does.
 */
#include <stdint.h>
#include <string.h>

#include "engine.h"
#include "link.h"

#define ICMP_ECHO	8
#define IP_OFF_TOS	1
#define IP_OFF_FRAG	6
#define IP_OFF_CSUM	10

void
icmp_input(struct tcpx_engine *e, const struct ipv4_view *ip)
{
	struct icmp_view ic;
	uint8_t *p = e->tx + LINK_IP_OFF;
	size_t n, cap;
	uint16_t sum;

	MIB_INC(e, ICMP_INMSGS);
	switch (icmp_parse(ip->payload, ip->payload_len, &ic)) {
	case WIRE_OK:
		break;
	case WIRE_E_ICMP_CSUM:
		MIB_INC(e, ICMP_INCSUMERRORS);
		MIB_INC(e, ICMP_INERRORS);
		return;
	default:
		MIB_INC(e, ICMP_INERRORS);
		return;
	}
	if (ic.type != ICMP_ECHO)
		return;
	MIB_INC(e, ICMP_INECHOS);
	cap = TCPX_FRAME_MAX - LINK_IP_OFF - IPV4_HLEN_MIN;
	n = icmp_build_echo_reply(p + IPV4_HLEN_MIN, cap, ic.id, ic.seq,
	    ic.data, ic.data_len);
	if (n == 0)
		return;
	ipv4_build(p, IPV4_HLEN_MIN, e->cfg.addr.s_addr, ip->src,
	    IPPROTO_ICMP_, (uint8_t)e->sysctl.ip_default_ttl, e->ip_id++,
	    (uint16_t)n);
	p[IP_OFF_TOS] = ip->tos;
	p[IP_OFF_FRAG] = 0;
	p[IP_OFF_CSUM] = p[IP_OFF_CSUM + 1] = 0;
	sum = inet_csum_fold(inet_csum_add(0, p, IPV4_HLEN_MIN));
	p[IP_OFF_CSUM] = sum >> 8;
	p[IP_OFF_CSUM + 1] = sum & 0xff;
	if (ip_send(e, ip->src, IPV4_HLEN_MIN + n) == 0) {
		MIB_INC(e, ICMP_OUTMSGS);
		MIB_INC(e, ICMP_OUTECHOREPS);
	}
}
