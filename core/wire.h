/*
 * wire.h - parse and build Ethernet, ARP, IPv4, ICMP and TCP.
 *
 * Frames are parsed once, at the edge, into validated structs; nothing
 * above this layer touches raw bytes.  Every parser checks lengths before
 * it reads and returns a WIRE_E_* reason on failure so the caller can drop
 * and count the frame.  Builders write into a caller-supplied buffer and
 * return the number of bytes written (0 if it does not fit).
 */
#ifndef TCPX_WIRE_H
#define TCPX_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_HLEN_	14
#define ETHERTYPE_IPV4_	0x0800
#define ETHERTYPE_ARP_	0x0806
#define IPV4_HLEN_MIN	20
#define TCP_HLEN_MIN	20
#define TCP_HLEN_MAX	60
#define TCP_OPT_SPACE	40

/* Why a frame was dropped; the engine counts each. */
enum wire_err {
	WIRE_OK = 0,
	WIRE_E_TRUNCATED,	/* shorter than a header says */
	WIRE_E_ETHERTYPE,	/* not IPv4 or ARP */
	WIRE_E_IP_VERSION,
	WIRE_E_IP_HLEN,		/* IHL < 5 or past the frame */
	WIRE_E_IP_LEN,		/* total length < header or past the frame */
	WIRE_E_IP_CSUM,
	WIRE_E_IP_FRAG,		/* MF set or fragment offset != 0 */
	WIRE_E_IP_ADDR,		/* martian source (broadcast, multicast) */
	WIRE_E_TCP_HLEN,	/* data offset < 5 or past the segment */
	WIRE_E_TCP_CSUM,
	WIRE_E_TCP_OPT,		/* option length 0/1 or overrunning the header */
	WIRE_E_ICMP_CSUM,
	WIRE_E_ARP,		/* not Ethernet/IPv4 ARP, or bad lengths */
};
const char *wire_err_name(enum wire_err err);

/* Ethernet */
struct eth_hdr_view {
	uint8_t dst[6], src[6];
	uint16_t type;		/* host order */
	const uint8_t *payload;
	size_t payload_len;
};
enum wire_err eth_parse(const uint8_t *frame, size_t len,
    struct eth_hdr_view *out);
size_t eth_build(uint8_t *buf, size_t cap, const uint8_t dst[6],
    const uint8_t src[6], uint16_t type);	/* header only: 14 */

/* ARP (Ethernet/IPv4 only) */
#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2
struct arp_pkt {
	uint16_t op;
	uint8_t sha[6], tha[6];
	uint32_t spa, tpa;	/* network order */
};
enum wire_err arp_parse(const uint8_t *p, size_t len, struct arp_pkt *out);
size_t arp_build(uint8_t *buf, size_t cap, const struct arp_pkt *arp); /* 28 */

/* IPv4 */
#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
struct ipv4_view {
	uint32_t src, dst;	/* network order */
	uint8_t proto, ttl, tos;
	uint16_t id;
	uint16_t hlen, total_len;
	bool df;
	const uint8_t *hdr;	/* start of the IPv4 header */
	const uint8_t *payload;
	size_t payload_len;	/* total_len - hlen (link padding excluded) */
};
/* Validates version, IHL, total length, checksum; rejects fragments. */
enum wire_err ipv4_parse(const uint8_t *p, size_t len, struct ipv4_view *out);
enum wire_err ipv4_parse_ex(const uint8_t *p, size_t len,
    struct ipv4_view *out, bool verify_csum);
/* Header only (20 bytes, DF set as Linux does for TCP); checksum filled. */
size_t ipv4_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst,
    uint8_t proto, uint8_t ttl, uint16_t id, uint16_t payload_len);

/* ICMP echo */
struct icmp_view {
	uint8_t type, code;
	uint16_t id, seq;
	const uint8_t *data;	/* after the 8-byte header */
	size_t data_len;
};
enum wire_err icmp_parse(const uint8_t *p, size_t len, struct icmp_view *out);
/* Echo reply (type 0) carrying `data`; checksum filled. */
size_t icmp_build_echo_reply(uint8_t *buf, size_t cap, uint16_t id,
    uint16_t seq, const uint8_t *data, size_t data_len);

/* TCP */
#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10
#define TH_URG	0x20
#define TH_ECE	0x40
#define TH_CWR	0x80

#define TCPOPT_EOL		0
#define TCPOPT_NOP		1
#define TCPOPT_MSS		2
#define TCPOPT_WSCALE		3
#define TCPOPT_SACK_PERM	4
#define TCPOPT_SACK		5
#define TCPOPT_TIMESTAMP	8
#define TCPOPT_FASTOPEN		34
#define TCP_FASTOPEN_COOKIE_MAX	16
#define TCP_SACK_MAX_BLOCKS	4

/* Parsed options; a `has_` flag says the option was present. */
struct tcp_opts {
	bool has_mss, has_wscale, sack_perm, has_ts, has_fastopen;
	uint16_t mss;
	uint8_t wscale;		/* as received; clamp to 14 is the user's job */
	uint32_t ts_val, ts_ecr;
	uint8_t nsack;
	struct { uint32_t start, end; } sack[TCP_SACK_MAX_BLOCKS];
	uint8_t fastopen_len;	/* 0 with has_fastopen: a cookie request */
	uint8_t fastopen_cookie[TCP_FASTOPEN_COOKIE_MAX];
};

/* A validated TCP segment: the only form the state machine sees. */
struct tcp_seg {
	uint32_t saddr, daddr;	/* network order, from the IPv4 header */
	uint16_t sport, dport;	/* host order */
	uint32_t seq, ack;	/* host order */
	uint8_t flags;		/* TH_* */
	uint16_t wnd;		/* raw, unscaled, host order */
	uint16_t urp;
	struct tcp_opts opt;
	const uint8_t *data;
	uint32_t len;		/* payload bytes */
	uint8_t ttl;
};
/* SEG.LEN as RFC 9293 counts it: payload + SYN + FIN. */
static inline uint32_t
tcp_seg_seqlen(const struct tcp_seg *s)
{
	return s->len + ((s->flags & TH_SYN) ? 1 : 0) + ((s->flags & TH_FIN) ? 1 : 0);
}

/*
 * Parse the TCP segment in `ip` (already validated by ipv4_parse), check
 * the checksum over the pseudo header, parse options.  Unknown options are
 * skipped by their length; a length of 0 or 1 or one that overruns the
 * header is WIRE_E_TCP_OPT.
 */
enum wire_err tcp_parse(const struct ipv4_view *ip, struct tcp_seg *out);
/* The same; verify_csum false when the host vouches for the checksum. */
enum wire_err tcp_parse_ex(const struct ipv4_view *ip, struct tcp_seg *out,
    bool verify_csum);
enum wire_err tcp_parse_options(const uint8_t *p, size_t len,
    struct tcp_opts *out);

/*
 * What tcp_build writes: the header fields, and which options in which
 * layout.  Layouts follow Linux's tcp_options_write():
 *   SYN:      mss, sackOK, TS val/ecr, nop, wscale    (sackOK folded
 *             into the NOP,NOP before TS when TS is on: "mss,sackOK,TS,nop,wscale")
 *   without TS: mss, nop, nop, sackOK, nop, wscale
 *   data/ACK: nop, nop, TS; then nop, nop, SACK blocks
 *   Fast Open: after the others, kind 34 (RFC 7413), padded with NOPs.
 * MSS, wscale, sackOK and Fast Open are written on SYNs only, SACK blocks
 * on non-SYNs only (as many as fit in the 40 bytes), as Linux does.
 * tcp_parse likewise clears MSS, wscale, sackOK and Fast Open on non-SYN
 * segments, and ignores known options of the wrong length (Linux).
 */
struct tcp_out {
	uint32_t saddr, daddr;	/* network order */
	uint16_t sport, dport;	/* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	struct tcp_opts opt;	/* has_* select options; fastopen_len 0 = request */
	const uint8_t *data;
	uint32_t len;
	/*
	 * Leave the checksum to the device (GSO): the field holds the
	 * folded pseudo-header sum, not complemented, as Linux's
	 * CHECKSUM_PARTIAL.
	 */
	bool csum_partial;
	/*
	 * The data lies in a send queue, where it stays until the host
	 * has sent the frame (a gathered send may point at it).
	 */
	bool data_stays;
	/* Headers only: the data follows them elsewhere (gathered send). */
	bool hdr_only;
};
/*
 * TCP header + options + data, checksum filled (hdr_only: header and
 * options, the checksum partial).  Returns the segment's length (with
 * its data, even when hdr_only) or 0.
 */
size_t tcp_build(uint8_t *buf, size_t cap, const struct tcp_out *seg);
/* Bytes the options of `o` take in tcp_build's layout (multiple of 4). */
size_t tcp_options_len(const struct tcp_opts *o, uint8_t flags);

/* Big-endian loads and stores for the wire files (any alignment). */
static inline uint16_t
wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
wire_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void
wire_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* Internet checksum helpers (RFC 1071). */
uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t inet_csum_fold(uint32_t sum);
uint32_t inet_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto,
    uint16_t len);

/* Wrap-safe sequence arithmetic (BSD tcp_seq.h); use nothing else. */
#define SEQ_LT(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define SEQ_MIN(a, b)	(SEQ_LT(a, b) ? (a) : (b))
#define SEQ_MAX(a, b)	(SEQ_GT(a, b) ? (a) : (b))

#endif /* TCPX_WIRE_H */
