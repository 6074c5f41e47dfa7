/*
 * test_wire.c - parsers and builders of core/wire*.c: option layouts
 * byte for byte against Linux's, round trips, and every rejection.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"


static uint32_t
ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl(a << 24 | b << 16 | c << 8 | d);
}

/* Build one segment's options and return them (after the 20-byte header). */
static size_t
build_opts(const struct tcp_opts *o, uint8_t flags, uint8_t *out)
{
	struct tcp_out s;
	uint8_t buf[128];
	size_t n;

	memset(&s, 0, sizeof(s));
	s.saddr = ip4(10, 0, 0, 2);
	s.daddr = ip4(10, 0, 0, 1);
	s.sport = 40000;
	s.dport = 80;
	s.flags = flags;
	s.opt = *o;
	n = tcp_build(buf, sizeof(buf), &s);
	ck_assert_uint_ge(n, 20);
	ck_assert_uint_eq(n - 20, tcp_options_len(o, flags));
	ck_assert_uint_eq((buf[12] >> 4) * 4u, n);
	memcpy(out, buf + 20, n - 20);
	return n - 20;
}

START_TEST(syn_ts_sack_layout)
{
	/* tcpdump: mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7 */
	static const uint8_t want[] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
		1, 3, 3, 7 };
	struct tcp_opts o = { .has_mss = true, .mss = 1460, .sack_perm = true,
	    .has_ts = true, .ts_val = 1, .has_wscale = true, .wscale = 7 };
	uint8_t got[40];

	ck_assert_uint_eq(build_opts(&o, TH_SYN, got), sizeof(want));
	ck_assert_mem_eq(got, want, sizeof(want));
}
END_TEST

START_TEST(syn_sack_no_ts_layout)
{
	static const uint8_t want[] = {
		2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };
	struct tcp_opts o = { .has_mss = true, .mss = 1460, .sack_perm = true,
	    .has_wscale = true, .wscale = 7 };
	uint8_t got[40];

	ck_assert_uint_eq(build_opts(&o, TH_SYN | TH_ACK, got), sizeof(want));
	ck_assert_mem_eq(got, want, sizeof(want));
}
END_TEST

START_TEST(syn_ts_no_sack_layout)
{
	static const uint8_t want[] = {
		2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef,
		0, 0, 0, 9, 1, 3, 3, 14 };
	struct tcp_opts o = { .has_mss = true, .mss = 1460, .has_ts = true,
	    .ts_val = 0xdeadbeef, .ts_ecr = 9, .has_wscale = true,
	    .wscale = 14 };
	uint8_t got[40];

	ck_assert_uint_eq(build_opts(&o, TH_SYN, got), sizeof(want));
	ck_assert_mem_eq(got, want, sizeof(want));
}
END_TEST

START_TEST(ack_ts_sack_layout)
{
	static const uint8_t want[] = {
		1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6,
		1, 1, 5, 18, 0, 0, 0x03, 0xe8, 0, 0, 0x07, 0xd0,
		0, 0, 0x0b, 0xb8, 0, 0, 0x0f, 0xa0 };
	struct tcp_opts o = { .has_ts = true, .ts_val = 5, .ts_ecr = 6,
	    .nsack = 2, .sack = { { 1000, 2000 }, { 3000, 4000 } } };
	uint8_t got[40];

	ck_assert_uint_eq(build_opts(&o, TH_ACK, got), sizeof(want));
	ck_assert_mem_eq(got, want, sizeof(want));
}
END_TEST

START_TEST(ack_syn_only_options_omitted)
{
	/* MSS, wscale, sackOK never go on a non-SYN, as with Linux. */
	struct tcp_opts o = { .has_mss = true, .mss = 1460, .sack_perm = true,
	    .has_wscale = true, .wscale = 7, .has_fastopen = true };
	uint8_t got[40];

	ck_assert_uint_eq(build_opts(&o, TH_ACK, got), 0);
}
END_TEST

START_TEST(sack_blocks_clamped_to_space)
{
	struct tcp_opts o = { .has_ts = true, .nsack = 4,
	    .sack = { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } } };
	uint8_t got[40];

	/* 12 for TS leaves room for 3 blocks: 12 + 4 + 24 = 40. */
	ck_assert_uint_eq(build_opts(&o, TH_ACK, got), 40);
	ck_assert_uint_eq(got[15], 2 + 3 * 8);
	o.has_ts = false;
	ck_assert_uint_eq(build_opts(&o, TH_ACK, got), 36);
	ck_assert_uint_eq(got[3], 2 + 4 * 8);
}
END_TEST

START_TEST(fastopen_layouts)
{
	static const uint8_t want_req[] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
		1, 3, 3, 7, 34, 2, 1, 1 };
	static const uint8_t want_cookie[] = {
		2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7,
		34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1 };
	struct tcp_opts o = { .has_mss = true, .mss = 1460, .sack_perm = true,
	    .has_ts = true, .ts_val = 1, .has_wscale = true, .wscale = 7,
	    .has_fastopen = true };
	uint8_t got[40];

	ck_assert_uint_eq(build_opts(&o, TH_SYN, got), sizeof(want_req));
	ck_assert_mem_eq(got, want_req, sizeof(want_req));
	o.has_ts = false;
	o.fastopen_len = 8;
	memcpy(o.fastopen_cookie, "\1\2\3\4\5\6\7\10", 8);
	ck_assert_uint_eq(build_opts(&o, TH_SYN | TH_ACK, got),
	    sizeof(want_cookie));
	ck_assert_mem_eq(got, want_cookie, sizeof(want_cookie));
	/* A 16-byte cookie with MSS+TS+WS fills the 40 bytes exactly. */
	o.has_ts = true;
	o.fastopen_len = 16;
	ck_assert_uint_eq(build_opts(&o, TH_SYN, got), 40);
	ck_assert_uint_eq(got[20], 34);
	ck_assert_uint_eq(got[21], 18);
	ck_assert_uint_eq(got[38], 1);
	ck_assert_uint_eq(got[39], 1);
}
END_TEST

START_TEST(options_len_agrees_with_build)
{
	struct tcp_opts o;
	uint8_t got[40];
	unsigned bits, fl, nsack;

	/* Every combination of options, SYN or not, 0..4 SACK blocks. */
	for (bits = 0; bits < 32; bits++)
		for (fl = 0; fl < 2; fl++)
			for (nsack = 0; nsack <= 4; nsack++) {
				memset(&o, 0, sizeof(o));
				o.has_mss = bits & 1;
				o.mss = 536;
				o.sack_perm = bits & 2;
				o.has_ts = bits & 4;
				o.has_wscale = bits & 8;
				o.has_fastopen = bits & 16;
				o.fastopen_len = (uint8_t)(nsack * 4);
				o.nsack = (uint8_t)nsack;
				/* build_opts asserts len == built size. */
				ck_assert_uint_le(build_opts(&o,
				    fl ? TH_SYN : TH_ACK, got), 40);
				ck_assert_uint_eq(tcp_options_len(&o,
				    fl ? TH_SYN : TH_ACK) % 4, 0);
			}
}
END_TEST

/* Wrap a TCP segment in IPv4 and parse both back. */
static enum wire_err
roundtrip(const struct tcp_out *s, uint8_t *pkt, struct tcp_seg *seg)
{
	struct ipv4_view ip;
	size_t n;
	enum wire_err err;

	n = tcp_build(pkt + 20, 1500, s);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(ipv4_build(pkt, 20, s->saddr, s->daddr,
	    IPPROTO_TCP_, 64, 7, (uint16_t)n), 20);
	err = ipv4_parse(pkt, 20 + n, &ip);
	ck_assert_int_eq(err, WIRE_OK);
	ck_assert_uint_eq(ip.payload_len, n);
	return tcp_parse(&ip, seg);
}

START_TEST(tcp_roundtrip)
{
	struct tcp_out s = { .saddr = ip4(10, 0, 0, 2),
	    .daddr = ip4(10, 0, 0, 1), .sport = 40000, .dport = 80,
	    .seq = 0xfffffff0, .ack = 12345, .flags = TH_SYN | TH_ACK,
	    .wnd = 64240, .data = (const uint8_t *)"hello", .len = 5,
	    .opt = { .has_mss = true, .mss = 1460, .sack_perm = true,
	    .has_ts = true, .ts_val = 100, .ts_ecr = 200, .has_wscale = true,
	    .wscale = 7, .has_fastopen = true, .fastopen_len = 8,
	    .fastopen_cookie = { 9, 8, 7, 6, 5, 4, 3, 2 } } };
	struct tcp_seg seg;
	uint8_t pkt[1600];

	ck_assert_int_eq(roundtrip(&s, pkt, &seg), WIRE_OK);
	ck_assert_uint_eq(seg.saddr, s.saddr);
	ck_assert_uint_eq(seg.daddr, s.daddr);
	ck_assert_uint_eq(seg.sport, 40000);
	ck_assert_uint_eq(seg.dport, 80);
	ck_assert_uint_eq(seg.seq, 0xfffffff0);
	ck_assert_uint_eq(seg.ack, 12345);
	ck_assert_uint_eq(seg.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(seg.wnd, 64240);
	ck_assert_uint_eq(seg.len, 5);
	ck_assert_mem_eq(seg.data, "hello", 5);
	ck_assert_uint_eq(seg.ttl, 64);
	ck_assert_uint_eq(tcp_seg_seqlen(&seg), 6);
	ck_assert(seg.opt.has_mss && seg.opt.mss == 1460);
	ck_assert(seg.opt.sack_perm);
	ck_assert(seg.opt.has_ts && seg.opt.ts_val == 100 &&
	    seg.opt.ts_ecr == 200);
	ck_assert(seg.opt.has_wscale && seg.opt.wscale == 7);
	ck_assert(seg.opt.has_fastopen && seg.opt.fastopen_len == 8);
	ck_assert_mem_eq(seg.opt.fastopen_cookie, "\11\10\7\6\5\4\3\2", 8);

	/* The same options on a non-SYN: only TS survives, as Linux reads. */
	s.flags = TH_ACK;
	s.opt.nsack = 1;
	s.opt.sack[0].start = 1;
	s.opt.sack[0].end = 2;
	ck_assert_int_eq(roundtrip(&s, pkt, &seg), WIRE_OK);
	ck_assert(!seg.opt.has_mss && !seg.opt.sack_perm &&
	    !seg.opt.has_wscale && !seg.opt.has_fastopen);
	ck_assert(seg.opt.has_ts);
	ck_assert_uint_eq(seg.opt.nsack, 1);
	ck_assert_uint_eq(seg.opt.sack[0].end, 2);
}
END_TEST

START_TEST(tcp_bad_checksum_and_offsets)
{
	struct tcp_out s = { .saddr = ip4(10, 0, 0, 2),
	    .daddr = ip4(10, 0, 0, 1), .sport = 1, .dport = 2,
	    .flags = TH_ACK, .data = (const uint8_t *)"xy", .len = 2 };
	struct ipv4_view ip;
	struct tcp_seg seg;
	uint8_t pkt[100];

	ck_assert_int_eq(roundtrip(&s, pkt, &seg), WIRE_OK);
	ck_assert_int_eq(ipv4_parse(pkt, 42, &ip), WIRE_OK);
	pkt[40] ^= 1;			/* payload bit flip */
	ck_assert_int_eq(tcp_parse(&ip, &seg), WIRE_E_TCP_CSUM);
	pkt[40] ^= 1;
	pkt[32] = 4 << 4;		/* data offset 4 */
	ck_assert_int_eq(tcp_parse(&ip, &seg), WIRE_E_TCP_HLEN);
	pkt[32] = 6 << 4;		/* 24 > 22 bytes of segment */
	ck_assert_int_eq(tcp_parse(&ip, &seg), WIRE_E_TCP_HLEN);
	ip.payload_len = 19;
	ck_assert_int_eq(tcp_parse(&ip, &seg), WIRE_E_TRUNCATED);
}
END_TEST

START_TEST(option_parser)
{
	struct tcp_opts o;
	/* unknown kind 99 len 4, then MSS. */
	static const uint8_t unk[] = { 99, 4, 0, 0, 2, 4, 0x02, 0x18 };
	/* MSS after EOL is not read. */
	static const uint8_t eol[] = { 3, 3, 5, 0, 2, 4, 0x02, 0x18 };
	static const uint8_t len0[] = { 3, 3, 5, 7, 0, 1, 1, 1 };
	static const uint8_t len1[] = { 3, 3, 5, 7, 1 };
	static const uint8_t over[] = { 2, 4, 1, 1, 8, 10, 0, 0 };
	static const uint8_t lastbyte[] = { 1, 1, 1, 2 };
	/* MSS of length 3, TS of length 8, wscale 4, sackOK 3: ignored. */
	static const uint8_t wrong[] = { 2, 3, 1, 8, 8, 0, 0, 0, 0, 0, 0,
	    3, 4, 1, 1, 4, 3, 0, 1 };
	static const uint8_t mss0[] = { 2, 4, 0, 0 };
	static const uint8_t badsack[] = { 5, 6, 0, 0, 0, 1 };
	static const uint8_t tfo_odd[] = { 34, 5, 1, 2, 3 };
	static const uint8_t tfo_exp[] = { 254, 8, 0xf9, 0x89, 1, 2, 3, 4 };

	ck_assert_int_eq(tcp_parse_options(unk, sizeof(unk), &o), WIRE_OK);
	ck_assert(o.has_mss && o.mss == 536);
	ck_assert_int_eq(tcp_parse_options(eol, sizeof(eol), &o), WIRE_OK);
	ck_assert(o.has_wscale && o.wscale == 5 && !o.has_mss);
	/* Silly lengths stop parsing; what came before is kept. */
	ck_assert_int_eq(tcp_parse_options(len0, sizeof(len0), &o),
	    WIRE_E_TCP_OPT);
	ck_assert(o.has_wscale && o.wscale == 5);
	ck_assert_int_eq(tcp_parse_options(len1, sizeof(len1), &o),
	    WIRE_E_TCP_OPT);
	ck_assert_int_eq(tcp_parse_options(over, sizeof(over), &o),
	    WIRE_E_TCP_OPT);
	ck_assert(o.has_mss && o.mss == 0x101 && !o.has_ts);
	ck_assert_int_eq(tcp_parse_options(lastbyte, sizeof(lastbyte), &o),
	    WIRE_E_TCP_OPT);
	ck_assert_int_eq(tcp_parse_options(wrong, sizeof(wrong), &o),
	    WIRE_OK);
	ck_assert(!o.has_mss && !o.has_ts && !o.has_wscale && !o.sack_perm);
	ck_assert_int_eq(tcp_parse_options(mss0, sizeof(mss0), &o), WIRE_OK);
	ck_assert(!o.has_mss);
	ck_assert_int_eq(tcp_parse_options(badsack, sizeof(badsack), &o),
	    WIRE_OK);
	ck_assert_uint_eq(o.nsack, 0);
	ck_assert_int_eq(tcp_parse_options(tfo_odd, sizeof(tfo_odd), &o),
	    WIRE_OK);
	ck_assert(!o.has_fastopen);
	ck_assert_int_eq(tcp_parse_options(tfo_exp, sizeof(tfo_exp), &o),
	    WIRE_OK);
	ck_assert(o.has_fastopen && o.fastopen_len == 4);
	ck_assert_int_eq(tcp_parse_options(NULL, 0, &o), WIRE_OK);
}
END_TEST

static size_t
good_ip(uint8_t *p)
{
	memset(p, 0xaa, 64);
	ipv4_build(p, 64, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), IPPROTO_TCP_,
	    64, 0x1234, 20);
	return 40;
}

static void
fix_ip_csum(uint8_t *p)
{
	uint16_t c;

	p[10] = p[11] = 0;
	c = inet_csum_fold(inet_csum_add(0, p, (p[0] & 15) * 4u));
	p[10] = c >> 8;
	p[11] = c & 0xff;
}

START_TEST(ipv4_parse_rejects)
{
	struct ipv4_view ip;
	uint8_t p[64];
	size_t n = good_ip(p);

	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_OK);
	ck_assert(ip.df);
	ck_assert_uint_eq(ip.id, 0x1234);
	ck_assert_uint_eq(ip.ttl, 64);
	ck_assert_uint_eq(ip.proto, IPPROTO_TCP_);
	ck_assert_uint_eq(ip.src, ip4(10, 0, 0, 1));
	/* Ethernet padding past total_len is trimmed. */
	ck_assert_int_eq(ipv4_parse(p, n + 6, &ip), WIRE_OK);
	ck_assert_uint_eq(ip.payload_len, 20);
	ck_assert_int_eq(ipv4_parse(p, 19, &ip), WIRE_E_TRUNCATED);
	ck_assert_int_eq(ipv4_parse(p, n - 1, &ip), WIRE_E_IP_LEN);

	good_ip(p); p[0] = 0x65;
	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_E_IP_VERSION);
	good_ip(p); p[0] = 0x44; fix_ip_csum(p);
	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_E_IP_HLEN);
	good_ip(p); p[0] = 0x4f;
	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_E_IP_HLEN);
	good_ip(p); p[8] = 63;
	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_E_IP_CSUM);
	good_ip(p); p[3] = 19; fix_ip_csum(p);
	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_E_IP_LEN);
	good_ip(p); p[6] = 0x20; fix_ip_csum(p);		/* MF */
	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_E_IP_FRAG);
	good_ip(p); p[6] = 0x40; p[7] = 1; fix_ip_csum(p);	/* offset 8 */
	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_E_IP_FRAG);
	good_ip(p); p[12] = 224; fix_ip_csum(p);
	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_E_IP_ADDR);
	good_ip(p); memset(p + 12, 0xff, 4); fix_ip_csum(p);
	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_E_IP_ADDR);
	/* 24-byte header with an option: accepted, payload after it. */
	good_ip(p); p[0] = 0x46; p[3] = 40; p[20] = 1; p[21] = 1;
	p[22] = 1; p[23] = 0; fix_ip_csum(p);
	ck_assert_int_eq(ipv4_parse(p, n, &ip), WIRE_OK);
	ck_assert_uint_eq(ip.hlen, 24);
	ck_assert_uint_eq(ip.payload_len, 16);
}
END_TEST

/* RFC 1071's definition, two bytes at a time: the reference. */
static uint32_t
csum_ref(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

START_TEST(checksum_matches_reference)
{
	uint8_t buf[1600];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (uint8_t)(x >> 16);
	}
	/* Every length and unaligned start, whole and in even chunks. */
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len < 300; len++) {
			uint16_t want = inet_csum_fold(csum_ref(buf + off, len));
			uint32_t part;

			ck_assert_uint_eq(inet_csum_fold(inet_csum_add(0,
			    buf + off, len)), want);
			part = inet_csum_add(0, buf + off, len & ~(size_t)7);
			part = inet_csum_add(part, buf + off + (len & ~(size_t)7),
			    len & 7);
			ck_assert_uint_eq(inet_csum_fold(part), want);
		}
	/* All ones: the carries must fold, not vanish. */
	memset(buf, 0xff, sizeof(buf));
	ck_assert_uint_eq(inet_csum_fold(inet_csum_add(0xffffffff, buf,
	    sizeof(buf))), inet_csum_fold(csum_ref(buf, sizeof(buf)) +
	    0xffffffffULL % 0xffff));
}
END_TEST

START_TEST(checksum_rfc1071)
{
	/* RFC 1071 section 3 example: the sum is 0xddf2. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
	    0xf6, 0xf7 };
	static const uint8_t odd[] = { 0x01, 0x02, 0x03 };

	ck_assert_uint_eq(inet_csum_fold(inet_csum_add(0, b, sizeof(b))),
	    (uint16_t)~0xddf2);
	/* An odd tail is padded with zero: 0x0102 + 0x0300. */
	ck_assert_uint_eq(inet_csum_fold(inet_csum_add(0, odd, 3)),
	    (uint16_t)~0x0402);
}
END_TEST

START_TEST(eth_and_arp)
{
	static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t mac2[6] = { 2, 0, 0, 0, 0, 2 };
	struct eth_hdr_view eh;
	struct arp_pkt a = { .op = ARP_OP_REQUEST, .spa = ip4(10, 0, 0, 1),
	    .tpa = ip4(10, 0, 0, 2) }, b;
	uint8_t f[64];

	memcpy(a.sha, mac1, 6);
	ck_assert_uint_eq(eth_build(f, sizeof(f), mac2, mac1, ETHERTYPE_ARP_),
	    14);
	ck_assert_uint_eq(eth_build(f, 13, mac2, mac1, ETHERTYPE_ARP_), 0);
	ck_assert_uint_eq(arp_build(f + 14, 50, &a), 28);
	ck_assert_int_eq(eth_parse(f, 42, &eh), WIRE_OK);
	ck_assert_mem_eq(eh.dst, mac2, 6);
	ck_assert_mem_eq(eh.src, mac1, 6);
	ck_assert_uint_eq(eh.type, ETHERTYPE_ARP_);
	ck_assert_uint_eq(eh.payload_len, 28);
	ck_assert_int_eq(arp_parse(eh.payload, eh.payload_len, &b), WIRE_OK);
	ck_assert_uint_eq(b.op, ARP_OP_REQUEST);
	ck_assert_mem_eq(b.sha, mac1, 6);
	ck_assert_uint_eq(b.spa, a.spa);
	ck_assert_uint_eq(b.tpa, a.tpa);
	ck_assert_int_eq(arp_parse(eh.payload, 27, &b), WIRE_E_TRUNCATED);
	f[14 + 7] = 3;			/* RARP request */
	ck_assert_int_eq(arp_parse(eh.payload, 28, &b), WIRE_E_ARP);
	f[14 + 7] = 1;
	f[14 + 5] = 16;			/* plen 16 */
	ck_assert_int_eq(arp_parse(eh.payload, 28, &b), WIRE_E_ARP);
	ck_assert_int_eq(eth_parse(f, 13, &eh), WIRE_E_TRUNCATED);
	f[12] = 0x86;
	f[13] = 0xdd;
	ck_assert_int_eq(eth_parse(f, 60, &eh), WIRE_E_ETHERTYPE);
	ck_assert_uint_eq(eh.type, 0x86dd);
}
END_TEST

START_TEST(icmp_echo)
{
	struct icmp_view v;
	uint8_t b[64];
	size_t n;

	n = icmp_build_echo_reply(b, sizeof(b), 0x1234, 7,
	    (const uint8_t *)"abcdefg", 7);
	ck_assert_uint_eq(n, 15);
	ck_assert_uint_eq(b[0], 0);
	ck_assert_int_eq(icmp_parse(b, n, &v), WIRE_OK);
	ck_assert_uint_eq(v.id, 0x1234);
	ck_assert_uint_eq(v.seq, 7);
	ck_assert_uint_eq(v.data_len, 7);
	ck_assert_mem_eq(v.data, "abcdefg", 7);
	b[9] ^= 0x40;
	ck_assert_int_eq(icmp_parse(b, n, &v), WIRE_E_ICMP_CSUM);
	ck_assert_int_eq(icmp_parse(b, 7, &v), WIRE_E_TRUNCATED);
	ck_assert_uint_eq(icmp_build_echo_reply(b, 14, 1, 1,
	    (const uint8_t *)"abcdefg", 7), 0);
}
END_TEST

START_TEST(seq_macros_wrap)
{
	ck_assert(SEQ_LT(0xfffffff0u, 0x10u));
	ck_assert(SEQ_GT(0x10u, 0xfffffff0u));
	ck_assert(SEQ_LEQ(5u, 5u) && SEQ_GEQ(5u, 5u));
	ck_assert_uint_eq(SEQ_MAX(0xfffffff0u, 0x10u), 0x10u);
	ck_assert_uint_eq(SEQ_MIN(0xfffffff0u, 0x10u), 0xfffffff0u);
	ck_assert_str_eq(wire_err_name(WIRE_E_TCP_OPT),
	    "bad TCP option length");
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, syn_ts_sack_layout);
	tcase_add_test(tc, syn_sack_no_ts_layout);
	tcase_add_test(tc, syn_ts_no_sack_layout);
	tcase_add_test(tc, ack_ts_sack_layout);
	tcase_add_test(tc, ack_syn_only_options_omitted);
	tcase_add_test(tc, sack_blocks_clamped_to_space);
	tcase_add_test(tc, fastopen_layouts);
	tcase_add_test(tc, options_len_agrees_with_build);
	tcase_add_test(tc, tcp_roundtrip);
	tcase_add_test(tc, tcp_bad_checksum_and_offsets);
	tcase_add_test(tc, option_parser);
	tcase_add_test(tc, ipv4_parse_rejects);
	tcase_add_test(tc, checksum_rfc1071);
	tcase_add_test(tc, checksum_matches_reference);
	tcase_add_test(tc, eth_and_arp);
	tcase_add_test(tc, icmp_echo);
	tcase_add_test(tc, seq_macros_wrap);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wire_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
