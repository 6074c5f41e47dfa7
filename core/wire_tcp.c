/*
 * wire_tcp.c - TCP headers and options.
 *
 * The option parser follows Linux's tcp_parse_options(): EOL ends the
 * list, NOP is skipped, every other option is skipped by its length.  A
 * known option with the wrong length (MSS not 4, TS not 10, ...) is
 * ignored, not an error, exactly as Linux ignores it.  A length of 0 or 1
 * or one past the header makes Linux stop parsing ("silly options"); we
 * stop at the same place and return WIRE_E_TCP_OPT with what was parsed
 * so far in `out`, and the link layer drops the segment (Linux would
 * process it with the options before the bad one; see link.c).
 *
 * The builder writes Linux's tcp_options_write() layouts byte for byte,
 * so a capture of tcpx looks like a capture of Linux.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

#define TCPOLEN_MSS		4
#define TCPOLEN_WSCALE		3
#define TCPOLEN_SACK_PERM	2
#define TCPOLEN_TIMESTAMP	10
#define TCPOLEN_SACK_BASE	2
#define TCPOLEN_SACK_PERBLOCK	8
#define TCPOLEN_FASTOPEN_BASE	2
#define TCPOPT_EXP		254
#define TCPOPT_FASTOPEN_MAGIC	0xf989
#define TCP_FASTOPEN_COOKIE_MIN	4

/*
 * Linux's tcp_parse_fastopen_option(): an even cookie of 4..16 bytes, or
 * none at all (a cookie request); anything else is ignored.
 */
static void
tcp_parse_fastopen(const uint8_t *cookie, int len, struct tcp_opts *out)
{
	if (len < 0 || (len & 1))
		return;
	if (len != 0 && (len < TCP_FASTOPEN_COOKIE_MIN ||
	    len > TCP_FASTOPEN_COOKIE_MAX))
		return;
	out->has_fastopen = true;
	out->fastopen_len = (uint8_t)len;
	memcpy(out->fastopen_cookie, cookie, (size_t)len);
}

enum wire_err
tcp_parse_options(const uint8_t *p, size_t len, struct tcp_opts *out)
{
	size_t i = 0, opsize, n, k;
	uint8_t kind;

	memset(out, 0, sizeof(*out));
	while (i < len) {
		kind = p[i];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return WIRE_E_TCP_OPT;
		opsize = p[i + 1];
		/* Linux: "silly options" and partial options end parsing. */
		if (opsize < 2 || opsize > len - i)
			return WIRE_E_TCP_OPT;
		switch (kind) {
		case TCPOPT_MSS:
			/* A zero MSS is ignored, as Linux ignores it. */
			if (opsize == TCPOLEN_MSS && wire_get16(p + i + 2) != 0) {
				out->has_mss = true;
				out->mss = wire_get16(p + i + 2);
			}
			break;
		case TCPOPT_WSCALE:
			if (opsize == TCPOLEN_WSCALE) {
				out->has_wscale = true;
				out->wscale = p[i + 2];
			}
			break;
		case TCPOPT_SACK_PERM:
			if (opsize == TCPOLEN_SACK_PERM)
				out->sack_perm = true;
			break;
		case TCPOPT_TIMESTAMP:
			if (opsize == TCPOLEN_TIMESTAMP) {
				out->has_ts = true;
				out->ts_val = wire_get32(p + i + 2);
				out->ts_ecr = wire_get32(p + i + 6);
			}
			break;
		case TCPOPT_SACK:
			if (opsize < TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK ||
			    (opsize - TCPOLEN_SACK_BASE) %
			    TCPOLEN_SACK_PERBLOCK != 0)
				break;
			n = (opsize - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_PERBLOCK;
			if (n > TCP_SACK_MAX_BLOCKS)
				n = TCP_SACK_MAX_BLOCKS;
			for (k = 0; k < n; k++) {
				out->sack[k].start = wire_get32(p + i + 2 + 8 * k);
				out->sack[k].end = wire_get32(p + i + 6 + 8 * k);
			}
			out->nsack = (uint8_t)n;
			break;
		case TCPOPT_FASTOPEN:
			tcp_parse_fastopen(p + i + 2,
			    (int)opsize - TCPOLEN_FASTOPEN_BASE, out);
			break;
		case TCPOPT_EXP:
			/* The pre-RFC 7413 experimental form, magic 0xF989. */
			if (opsize >= 4 &&
			    wire_get16(p + i + 2) == TCPOPT_FASTOPEN_MAGIC)
				tcp_parse_fastopen(p + i + 4, (int)opsize - 4,
				    out);
			break;
		default:
			break;
		}
		i += opsize;
	}
	return WIRE_OK;
}

enum wire_err
tcp_parse(const struct ipv4_view *ip, struct tcp_seg *out)
{
	return tcp_parse_ex(ip, out, true);
}

enum wire_err
tcp_parse_ex(const struct ipv4_view *ip, struct tcp_seg *out,
    bool verify_csum)
{
	const uint8_t *th = ip->payload;
	size_t len = ip->payload_len, hlen;
	uint32_t sum;
	enum wire_err err;

	if (len < TCP_HLEN_MIN)
		return WIRE_E_TRUNCATED;
	hlen = (th[12] >> 4) * 4u;
	if (hlen < TCP_HLEN_MIN || hlen > len)
		return WIRE_E_TCP_HLEN;
	if (verify_csum) {
		sum = inet_pseudo_sum(ip->src, ip->dst, IPPROTO_TCP_,
		    (uint16_t)len);
		if (inet_csum_fold(inet_csum_add(sum, th, len)) != 0)
			return WIRE_E_TCP_CSUM;
	}
	out->saddr = ip->src;
	out->daddr = ip->dst;
	out->sport = wire_get16(th);
	out->dport = wire_get16(th + 2);
	out->seq = wire_get32(th + 4);
	out->ack = wire_get32(th + 8);
	out->flags = th[13];
	out->wnd = wire_get16(th + 14);
	out->urp = wire_get16(th + 18);
	out->data = th + hlen;
	out->len = (uint32_t)(len - hlen);
	out->ttl = ip->ttl;
	err = tcp_parse_options(th + TCP_HLEN_MIN, hlen - TCP_HLEN_MIN,
	    &out->opt);
	/* Linux reads MSS, window scale, SACK-permitted and Fast Open on SYNs only. */
	if (!(out->flags & TH_SYN)) {
		out->opt.has_mss = false;
		out->opt.mss = 0;
		out->opt.has_wscale = false;
		out->opt.wscale = 0;
		out->opt.sack_perm = false;
		out->opt.has_fastopen = false;
		out->opt.fastopen_len = 0;
	}
	return err;
}

/*
 * Write the options of `o` in Linux's layout into `p`, or only count them
 * when `p` is NULL; one function for both keeps tcp_options_len and
 * tcp_build in agreement.  MSS, window scale, SACK-permitted and Fast Open
 * go on SYNs only, SACK blocks on non-SYNs only, as many as fit.
 */
static size_t
tcp_options_write(uint8_t *p, const struct tcp_opts *o, uint8_t flags)
{
	bool syn = (flags & TH_SYN) != 0;
	size_t n = 0, nsack, k, folen;

	if (syn && o->has_mss) {
		if (p != NULL) {
			p[n] = TCPOPT_MSS;
			p[n + 1] = TCPOLEN_MSS;
			wire_put16(p + n + 2, o->mss);
		}
		n += 4;
	}
	if (o->has_ts) {
		if (p != NULL) {
			/* SACK-permitted rides in the two bytes before TS. */
			if (syn && o->sack_perm) {
				p[n] = TCPOPT_SACK_PERM;
				p[n + 1] = TCPOLEN_SACK_PERM;
			} else {
				p[n] = TCPOPT_NOP;
				p[n + 1] = TCPOPT_NOP;
			}
			p[n + 2] = TCPOPT_TIMESTAMP;
			p[n + 3] = TCPOLEN_TIMESTAMP;
			wire_put32(p + n + 4, o->ts_val);
			wire_put32(p + n + 8, o->ts_ecr);
		}
		n += 12;
	} else if (syn && o->sack_perm) {
		if (p != NULL) {
			p[n] = TCPOPT_NOP;
			p[n + 1] = TCPOPT_NOP;
			p[n + 2] = TCPOPT_SACK_PERM;
			p[n + 3] = TCPOLEN_SACK_PERM;
		}
		n += 4;
	}
	if (syn && o->has_wscale) {
		if (p != NULL) {
			p[n] = TCPOPT_NOP;
			p[n + 1] = TCPOPT_WSCALE;
			p[n + 2] = TCPOLEN_WSCALE;
			p[n + 3] = o->wscale;
		}
		n += 4;
	}
	if (!syn && o->nsack > 0) {
		nsack = o->nsack;
		if (nsack > TCP_SACK_MAX_BLOCKS)
			nsack = TCP_SACK_MAX_BLOCKS;
		if (4 + nsack * TCPOLEN_SACK_PERBLOCK > TCP_OPT_SPACE - n)
			nsack = (TCP_OPT_SPACE - n - 4) /
			    TCPOLEN_SACK_PERBLOCK;
		if (nsack > 0) {
			if (p != NULL) {
				p[n] = TCPOPT_NOP;
				p[n + 1] = TCPOPT_NOP;
				p[n + 2] = TCPOPT_SACK;
				p[n + 3] = (uint8_t)(TCPOLEN_SACK_BASE +
				    nsack * TCPOLEN_SACK_PERBLOCK);
				for (k = 0; k < nsack; k++) {
					wire_put32(p + n + 4 + 8 * k,
					    o->sack[k].start);
					wire_put32(p + n + 8 + 8 * k,
					    o->sack[k].end);
				}
			}
			n += 4 + nsack * TCPOLEN_SACK_PERBLOCK;
		}
	}
	if (syn && o->has_fastopen) {
		folen = o->fastopen_len;
		if (folen > TCP_FASTOPEN_COOKIE_MAX)
			folen = TCP_FASTOPEN_COOKIE_MAX;
		if (((TCPOLEN_FASTOPEN_BASE + folen + 3) & ~(size_t)3) <=
		    TCP_OPT_SPACE - n) {
			if (p != NULL) {
				p[n] = TCPOPT_FASTOPEN;
				p[n + 1] = (uint8_t)(TCPOLEN_FASTOPEN_BASE +
				    folen);
				memcpy(p + n + 2, o->fastopen_cookie, folen);
				for (k = 2 + folen; k & 3; k++)
					p[n + k] = TCPOPT_NOP;
			}
			n += (TCPOLEN_FASTOPEN_BASE + folen + 3) &
			    ~(size_t)3;
		}
	}
	return n;
}

size_t
tcp_options_len(const struct tcp_opts *o, uint8_t flags)
{
	return tcp_options_write(NULL, o, flags);
}

size_t
tcp_build(uint8_t *buf, size_t cap, const struct tcp_out *seg)
{
	size_t optlen, hlen, total;
	uint32_t sum;

	optlen = tcp_options_len(&seg->opt, seg->flags);
	hlen = TCP_HLEN_MIN + optlen;
	total = hlen + seg->len;
	if ((seg->hdr_only ? hlen : total) > cap ||
	    total > 0xffff - IPV4_HLEN_MIN ||
	    (seg->hdr_only && !seg->csum_partial))
		return 0;
	wire_put16(buf, seg->sport);
	wire_put16(buf + 2, seg->dport);
	wire_put32(buf + 4, seg->seq);
	wire_put32(buf + 8, seg->ack);
	buf[12] = (uint8_t)((hlen / 4) << 4);
	buf[13] = seg->flags;
	wire_put16(buf + 14, seg->wnd);
	wire_put16(buf + 16, 0);
	wire_put16(buf + 18, 0);
	tcp_options_write(buf + TCP_HLEN_MIN, &seg->opt, seg->flags);
	if (seg->len > 0 && !seg->hdr_only)
		memcpy(buf + hlen, seg->data, seg->len);
	sum = inet_pseudo_sum(seg->saddr, seg->daddr, IPPROTO_TCP_,
	    (uint16_t)total);
	if (seg->csum_partial) {
		/* CHECKSUM_PARTIAL: the folded pseudo-header sum, as is. */
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		wire_put16(buf + 16, (uint16_t)sum);
		return total;
	}
	wire_put16(buf + 16, inet_csum_fold(inet_csum_add(sum, buf, total)));
	return total;
}
