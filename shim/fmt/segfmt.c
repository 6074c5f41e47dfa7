/*
 * segfmt.c - tcpdump-style one-line rendering of TCP segments.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "segfmt.h"
#include "wire.h"

/* Append to buf at *off, never past cap; output is cut, not overrun. */
static void
put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n < cap ? *off + (size_t)n : cap - 1;
}

void
segfmt_flags(uint8_t flags, char *buf, size_t cap)
{
	size_t off = 0;

	buf[0] = '\0';
	if (flags & TH_SYN)
		put(buf, cap, &off, "S");
	if (flags & TH_FIN)
		put(buf, cap, &off, "F");
	if (flags & TH_RST)
		put(buf, cap, &off, "R");
	if (flags & TH_PSH)
		put(buf, cap, &off, "P");
	if (flags & TH_URG)
		put(buf, cap, &off, "U");
	if (flags & TH_ECE)
		put(buf, cap, &off, "E");
	if (flags & TH_CWR)
		put(buf, cap, &off, "W");
	if (flags & TH_ACK)
		put(buf, cap, &off, ".");
	if (off == 0)
		put(buf, cap, &off, "none");
}

static struct segfmt_flow *
flow_find(struct segfmt *f, uint32_t sa, uint32_t da, uint16_t sp,
    uint16_t dp)
{
	for (unsigned i = 0; i < SEGFMT_FLOWS; i++) {
		struct segfmt_flow *fl = &f->flows[i];

		if (fl->used && fl->saddr == sa && fl->daddr == da &&
		    fl->sport == sp && fl->dport == dp)
			return fl;
	}
	return NULL;
}

static struct segfmt_flow *
flow_add(struct segfmt *f, uint32_t sa, uint32_t da, uint16_t sp,
    uint16_t dp, uint32_t isn)
{
	struct segfmt_flow *fl = flow_find(f, sa, da, sp, dp);

	if (fl == NULL) {
		fl = &f->flows[f->next++ % SEGFMT_FLOWS];
		fl->used = true;
		fl->saddr = sa;
		fl->daddr = da;
		fl->sport = sp;
		fl->dport = dp;
	}
	fl->isn = isn;
	return fl;
}

/* Option list exactly as on the wire, in tcpdump's words. */
static void
put_options(const uint8_t *opt, size_t len, char *buf, size_t cap,
    size_t *off)
{
	size_t i = 0;

	if (len == 0)
		return;
	put(buf, cap, off, ", options [");
	while (i < len) {
		uint8_t kind = opt[i], olen;

		if (i > 0)
			put(buf, cap, off, ",");
		if (kind == TCPOPT_EOL) {
			put(buf, cap, off, "eol");
			break;
		}
		if (kind == TCPOPT_NOP) {
			put(buf, cap, off, "nop");
			i++;
			continue;
		}
		if (i + 1 >= len || (olen = opt[i + 1]) < 2 || i + olen > len) {
			put(buf, cap, off, "bad opt");
			break;
		}
		const uint8_t *v = opt + i + 2;
		switch (kind) {
		case TCPOPT_MSS:
			if (olen == 4)
				put(buf, cap, off, "mss %u", (v[0] << 8) | v[1]);
			break;
		case TCPOPT_WSCALE:
			if (olen == 3)
				put(buf, cap, off, "wscale %u", v[0]);
			break;
		case TCPOPT_SACK_PERM:
			put(buf, cap, off, "sackOK");
			break;
		case TCPOPT_TIMESTAMP:
			if (olen == 10)
				put(buf, cap, off, "TS val %u ecr %u",
				    (unsigned)v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3],
				    (unsigned)v[4] << 24 | v[5] << 16 | v[6] << 8 | v[7]);
			break;
		case TCPOPT_SACK:
			put(buf, cap, off, "sack %u", (olen - 2) / 8);
			for (size_t b = 0; b + 8 <= (size_t)olen - 2; b += 8)
				put(buf, cap, off, " {%u:%u}",
				    (unsigned)v[b] << 24 | v[b + 1] << 16 |
				    v[b + 2] << 8 | v[b + 3],
				    (unsigned)v[b + 4] << 24 | v[b + 5] << 16 |
				    v[b + 6] << 8 | v[b + 7]);
			break;
		case TCPOPT_FASTOPEN:
			if (olen == 2)
				put(buf, cap, off, "tfo cookiereq");
			else {
				put(buf, cap, off, "tfo cookie ");
				for (size_t b = 0; b < (size_t)olen - 2; b++)
					put(buf, cap, off, "%02x", v[b]);
			}
			break;
		default:
			put(buf, cap, off, "unknown-%u", kind);
			break;
		}
		i += olen;
	}
	put(buf, cap, off, "]");
}

/*
 * The IPv4 and TCP headers of `ip`, as a capture shows them: the TCP
 * checksum is not checked (an outgoing super-segment's is partial, and
 * tcpdump shows bad ones too), and the packet may be cut short after
 * its headers (a trace event carries 128 bytes, a gathered send's
 * headers come alone): the lengths are the header's.  Nothing past the
 * TCP header is read.
 */
static int
parse_headers(const uint8_t *ip, size_t len, struct ipv4_view *iv,
    struct tcp_seg *s)
{
	size_t ihl, total;

	if (len < IPV4_HLEN_MIN)
		return -1;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	total = wire_get16(ip + 2);
	if (total > len) {
		if (ihl < IPV4_HLEN_MIN || len < ihl + TCP_HLEN_MIN ||
		    len < ihl + (size_t)(ip[ihl + 12] >> 4) * 4)
			return -1;
		len = total;	/* what the packet was; headers are here */
	}
	if (ipv4_parse(ip, len, iv) != WIRE_OK || iv->proto != IPPROTO_TCP_ ||
	    tcp_parse_ex(iv, s, false) != WIRE_OK)
		return -1;
	return 0;
}

int
segfmt_tcp(struct segfmt *f, const uint8_t *ip, size_t len, char *buf,
    size_t cap)
{
	struct ipv4_view iv;
	struct tcp_seg s;
	struct segfmt_flow *fl, *rev;
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], fl_s[16];
	size_t off = 0;
	uint32_t seq, ack;

	if (cap == 0 || parse_headers(ip, len, &iv, &s) < 0)
		return -1;
	inet_ntop(AF_INET, &s.saddr, src, sizeof(src));
	inet_ntop(AF_INET, &s.daddr, dst, sizeof(dst));
	segfmt_flags(s.flags, fl_s, sizeof(fl_s));

	if (s.flags & TH_SYN)
		flow_add(f, s.saddr, s.daddr, s.sport, s.dport, s.seq);
	fl = flow_find(f, s.saddr, s.daddr, s.sport, s.dport);
	rev = flow_find(f, s.daddr, s.saddr, s.dport, s.sport);
	/* tcpdump shows the SYN's own seq absolute, later ones relative. */
	seq = s.seq - (fl != NULL && !f->absolute && !(s.flags & TH_SYN) ?
	    fl->isn : 0);
	ack = s.ack - (rev != NULL && !f->absolute && !(s.flags & TH_SYN) ?
	    rev->isn : 0);

	put(buf, cap, &off, "IP %s.%u > %s.%u: Flags [%s]", src, s.sport, dst,
	    s.dport, fl_s);
	if (s.len > 0 || (s.flags & (TH_SYN | TH_FIN | TH_RST)))
		put(buf, cap, &off, s.len > 0 ? ", seq %u:%u" : ", seq %u",
		    seq, seq + s.len);
	if (s.flags & TH_ACK)
		put(buf, cap, &off, ", ack %u", ack);
	put(buf, cap, &off, ", win %u", s.wnd);
	/* tcp_parse validated the data offset, so the options lie in the packet. */
	{
		const uint8_t *th = iv.payload;
		size_t hlen = (size_t)(th[12] >> 4) * 4;

		put_options(th + TCP_HLEN_MIN, hlen - TCP_HLEN_MIN, buf, cap, &off);
	}
	put(buf, cap, &off, ", length %u", s.len);
	return (int)off;
}
