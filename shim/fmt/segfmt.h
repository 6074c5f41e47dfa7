/*
 * segfmt.h - one TCP segment as tcpdump prints it on one line:
 *   IP 10.77.0.2.40000 > 10.77.0.1.80: Flags [S], seq 1, win 64240,
 *   options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
 * With relative sequence numbers (tcpdump's default) the formatter keeps
 * the ISN of each direction it has seen a SYN for.
 */
#ifndef TCPX_SEGFMT_H
#define TCPX_SEGFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEGFMT_FLOWS 64

struct segfmt_flow {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t isn;
	bool used;
};

struct segfmt {
	bool absolute;		/* tcpdump -S */
	unsigned next;		/* round-robin replacement */
	struct segfmt_flow flows[SEGFMT_FLOWS];
};

/* Format the IPv4 packet `ip`; returns the length written, -1 if not TCP. */
int segfmt_tcp(struct segfmt *f, const uint8_t *ip, size_t len, char *buf,
    size_t cap);
/* "S", "S.", "F.", "R.", "P." ... as tcpdump writes the flags. */
void segfmt_flags(uint8_t flags, char *buf, size_t cap);

#endif /* TCPX_SEGFMT_H */
