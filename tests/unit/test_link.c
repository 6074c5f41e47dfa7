/*
 * test_link.c - below TCP: ARP (reply, learn, queue while resolving,
 * flush, give up, expiry and re-probe), ICMP echo, IPv4 input checks and
 * output routing (on-link, via the gateway, no route).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "link.h"

static const uint8_t mac_us[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t mac_peer[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t mac_gw[6] = { 2, 0, 0, 0, 0, 0xfe };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[6];

static struct harness *h;

static uint32_t
ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl(a << 24 | b << 16 | c << 8 | d);
}

static void
setup_ether(void)
{
	struct tcpx_config cfg;

	h_default_cfg(&cfg, TCPX_LINK_ETHER);
	cfg.gateway.s_addr = ip4(10, 0, 0, 254);
	h = h_new_opts(&cfg, H_START_US, H_NO_STATIC_ARP);
}

static void
setup_rawip(void)
{
	h = h_new();
}

static void
teardown(void)
{
	h_free(h);
	h = NULL;
}

/* An ARP frame as a neighbour sends it. */
static size_t
arp_frame(uint8_t *f, const uint8_t eth_dst[6], uint16_t op,
    const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
	struct arp_pkt a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	memcpy(a.sha, sha, 6);
	a.spa = spa;
	memcpy(a.tha, tha, 6);
	a.tpa = tpa;
	eth_build(f, 14, eth_dst, sha, ETHERTYPE_ARP_);
	return 14 + arp_build(f + 14, 28, &a);
}

/* Take the next frame and check it is the ARP packet described. */
static void
expect_arp(const uint8_t eth_dst[6], uint16_t op, const uint8_t tha[6],
    uint32_t tpa)
{
	const uint8_t *f;
	struct eth_hdr_view eh;
	struct arp_pkt a;
	size_t len;

	ck_assert_ptr_nonnull(f = h_take_frame(h, &len));
	ck_assert_uint_eq(len, 42);
	ck_assert_int_eq(eth_parse(f, len, &eh), WIRE_OK);
	ck_assert_mem_eq(eh.dst, eth_dst, 6);
	ck_assert_mem_eq(eh.src, mac_us, 6);
	ck_assert_uint_eq(eh.type, ETHERTYPE_ARP_);
	ck_assert_int_eq(arp_parse(eh.payload, eh.payload_len, &a), WIRE_OK);
	ck_assert_uint_eq(a.op, op);
	ck_assert_mem_eq(a.sha, mac_us, 6);
	ck_assert_uint_eq(a.spa, H_LOCAL_ADDR);
	ck_assert_mem_eq(a.tha, tha, 6);
	ck_assert_uint_eq(a.tpa, tpa);
}

/* A TCP segment from us to dst:80 with sequence number seq. */
static int
send_tcp(uint32_t dst, uint32_t seq)
{
	struct tcp_out o;

	memset(&o, 0, sizeof(o));
	o.saddr = H_LOCAL_ADDR;
	o.daddr = dst;
	o.sport = 5000;
	o.dport = 80;
	o.seq = seq;
	o.flags = TH_ACK;
	o.wnd = 1000;
	return ip_send_tcp(h->e, &o);
}

/* Take the next frame: TCP to eth_dst / ip dst with sequence seq. */
static void
expect_tcp(const uint8_t eth_dst[6], uint32_t dst, uint32_t seq)
{
	struct tcp_seg s;

	ck_assert_uint_gt(h_out_count(h), 0);
	if (eth_dst != NULL)
		ck_assert_mem_eq(STAILQ_FIRST(&h->out)->data, eth_dst, 6);
	ck_assert(h_take(h, &s));
	ck_assert_uint_eq(s.daddr, dst);
	ck_assert_uint_eq(s.seq, seq);
}

static void
peer_reply(const uint8_t sha[6], uint32_t spa)
{
	uint8_t f[64];
	size_t n;

	n = arp_frame(f, mac_us, ARP_OP_REPLY, sha, spa, mac_us, H_LOCAL_ADDR);
	h_inject_raw(h, f, n);
}

START_TEST(arp_request_answered_and_sender_learned)
{
	uint8_t f[64];
	size_t n;
	struct arp_entry *ent;

	n = arp_frame(f, mac_bcast, ARP_OP_REQUEST, mac_peer, H_PEER_ADDR,
	    mac_zero, H_LOCAL_ADDR);
	h_inject_raw(h, f, n);
	ck_assert_uint_eq(h_out_count(h), 1);
	expect_arp(mac_peer, ARP_OP_REPLY, mac_peer, H_PEER_ADDR);
	/* Learned STALE, as Linux's neigh_event_ns(). */
	ck_assert_ptr_nonnull(ent = arp_lookup(h->e, H_PEER_ADDR));
	ck_assert_int_eq(ent->state, ARP_STALE);
	ck_assert_mem_eq(ent->mac, mac_peer, 6);
	ck_assert_uint_eq(h_mib(h, "Tcpx:ArpIn"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcpx:ArpOut"), 1);
	/* So the first packet needs no resolution. */
	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 7), 0);
	expect_tcp(mac_peer, H_PEER_ADDR, 7);
	H_EXPECT_NONE(h);
}
END_TEST

START_TEST(arp_request_for_other_ignored)
{
	uint8_t f[64];
	size_t n;

	n = arp_frame(f, mac_bcast, ARP_OP_REQUEST, mac_peer, H_PEER_ADDR,
	    mac_zero, ip4(10, 0, 0, 3));
	h_inject_raw(h, f, n);
	H_EXPECT_NONE(h);
	ck_assert_ptr_null(arp_lookup(h->e, H_PEER_ADDR));
	/* An unsolicited reply creates nothing either (arp_accept=0). */
	peer_reply(mac_peer, H_PEER_ADDR);
	H_EXPECT_NONE(h);
	ck_assert_ptr_null(arp_lookup(h->e, H_PEER_ADDR));
	/* Not ARP for IPv4 over Ethernet. */
	f[14 + 3] = 0xdd;
	h_inject_raw(h, f, n);
	ck_assert_uint_eq(h_mib(h, "Tcpx:ArpBad"), 1);
}
END_TEST

START_TEST(arp_probe_answered)
{
	uint8_t f[64];
	size_t n;

	/* RFC 5227 probe: sender 0.0.0.0; answered, nothing learned. */
	n = arp_frame(f, mac_bcast, ARP_OP_REQUEST, mac_peer, 0, mac_zero,
	    H_LOCAL_ADDR);
	h_inject_raw(h, f, n);
	expect_arp(mac_peer, ARP_OP_REPLY, mac_peer, 0);
	ck_assert_uint_eq(h->e->arp.count, 0);
}
END_TEST

START_TEST(arp_queue_then_flush)
{
	struct arp_entry *ent;

	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 1), 0);
	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 2), 0);
	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 3), 0);
	/* One broadcast request; the segments wait. */
	ck_assert_uint_eq(h_out_count(h), 1);
	expect_arp(mac_bcast, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
	ck_assert_ptr_nonnull(ent = arp_lookup(h->e, H_PEER_ADDR));
	ck_assert_int_eq(ent->state, ARP_INCOMPLETE);
	ck_assert_uint_eq(ent->npending, 3);
	ck_assert_uint_eq(h->ntrace_out, 0);
	h_advance(h, 100000);
	peer_reply(mac_peer, H_PEER_ADDR);
	ck_assert_uint_eq(h_out_count(h), 3);
	expect_tcp(mac_peer, H_PEER_ADDR, 1);
	expect_tcp(mac_peer, H_PEER_ADDR, 2);
	expect_tcp(mac_peer, H_PEER_ADDR, 3);
	ck_assert_uint_eq(h->ntrace_out, 3);
	ck_assert_int_eq(ent->state, ARP_REACHABLE);
	ck_assert_uint_eq(ent->npending, 0);
	/* No more requests: the entry is confirmed for 30 s. */
	h_advance(h, 29000000);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(ent->state, ARP_REACHABLE);
}
END_TEST

START_TEST(arp_gives_up)
{
	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 1), 0);
	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 2), 0);
	expect_arp(mac_bcast, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
	/* mcast_solicit = 3 requests, retrans_time_ms = 1000 apart. */
	ck_assert_uint_eq(tcpx_next_deadline(h->e), H_START_US + 1000000);
	h_advance(h, 999999);
	H_EXPECT_NONE(h);
	h_advance(h, 1);
	expect_arp(mac_bcast, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
	h_advance(h, 1000000);
	expect_arp(mac_bcast, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
	h_advance(h, 1000000);
	H_EXPECT_NONE(h);
	ck_assert_ptr_null(arp_lookup(h->e, H_PEER_ADDR));
	ck_assert_uint_eq(h_mib(h, "Tcpx:ArpResolveFailed"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcpx:ArpQueueDrops"), 2);
	ck_assert_uint_eq(tcpx_next_deadline(h->e), UINT64_MAX);
	/* A late reply creates nothing and sends nothing. */
	peer_reply(mac_peer, H_PEER_ADDR);
	H_EXPECT_NONE(h);
	/* The next packet starts over. */
	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 3), 0);
	expect_arp(mac_bcast, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
}
END_TEST

START_TEST(arp_queue_limit_drops_oldest)
{
	ck_assert_int_eq(tcpx_sysctl_set(h->e,
	    "net.ipv4.neigh.default.unres_qlen", "2"), 0);
	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 1), 0);
	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 2), 0);
	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 3), 0);
	ck_assert_uint_eq(h_mib(h, "Tcpx:ArpQueueDrops"), 1);
	expect_arp(mac_bcast, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
	peer_reply(mac_peer, H_PEER_ADDR);
	expect_tcp(mac_peer, H_PEER_ADDR, 2);
	expect_tcp(mac_peer, H_PEER_ADDR, 3);
	H_EXPECT_NONE(h);
}
END_TEST

START_TEST(arp_expiry_and_reprobe)
{
	struct arp_entry *ent;

	send_tcp(H_PEER_ADDR, 1);
	expect_arp(mac_bcast, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
	peer_reply(mac_peer, H_PEER_ADDR);
	expect_tcp(mac_peer, H_PEER_ADDR, 1);
	ent = arp_lookup(h->e, H_PEER_ADDR);
	/* base_reachable_time_ms = 30000: then STALE. */
	h_advance(h, 30000000);
	ck_assert_int_eq(ent->state, ARP_STALE);
	H_EXPECT_NONE(h);
	/* A STALE entry is still used at once, then confirmed within 5 s. */
	send_tcp(H_PEER_ADDR, 2);
	expect_tcp(mac_peer, H_PEER_ADDR, 2);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(ent->state, ARP_DELAY);
	h_advance(h, 5000000);
	/* The probe is unicast to the MAC we have. */
	expect_arp(mac_peer, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
	ck_assert_int_eq(ent->state, ARP_PROBE);
	send_tcp(H_PEER_ADDR, 3);
	expect_tcp(mac_peer, H_PEER_ADDR, 3);
	peer_reply(mac_peer, H_PEER_ADDR);
	ck_assert_int_eq(ent->state, ARP_REACHABLE);
	H_EXPECT_NONE(h);

	/* Again, but the neighbour is gone: three probes, then forgotten. */
	h_advance(h, 30000000);
	send_tcp(H_PEER_ADDR, 4);
	expect_tcp(mac_peer, H_PEER_ADDR, 4);
	h_advance(h, 5000000);
	expect_arp(mac_peer, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
	h_advance(h, 1000000);
	expect_arp(mac_peer, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
	h_advance(h, 1000000);
	expect_arp(mac_peer, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
	h_advance(h, 1000000);
	H_EXPECT_NONE(h);
	ck_assert_ptr_null(arp_lookup(h->e, H_PEER_ADDR));
	/* Re-resolved on the next use. */
	send_tcp(H_PEER_ADDR, 5);
	expect_arp(mac_bcast, ARP_OP_REQUEST, mac_zero, H_PEER_ADDR);
}
END_TEST

START_TEST(arp_stale_entry_collected)
{
	uint8_t f[64];
	size_t n;

	n = arp_frame(f, mac_bcast, ARP_OP_REQUEST, mac_peer, H_PEER_ADDR,
	    mac_zero, H_LOCAL_ADDR);
	h_inject_raw(h, f, n);
	h_clear_out(h);
	ck_assert_ptr_nonnull(arp_lookup(h->e, H_PEER_ADDR));
	/* gc_staletime: an unused STALE entry is gone after 60 s. */
	h_advance(h, 59999999);
	ck_assert_ptr_nonnull(arp_lookup(h->e, H_PEER_ADDR));
	h_advance(h, 1);
	ck_assert_ptr_null(arp_lookup(h->e, H_PEER_ADDR));
}
END_TEST

START_TEST(permanent_entry_never_expires)
{
	struct arp_entry *ent;
	uint8_t f[64];
	size_t n;

	ck_assert_int_eq(arp_add_permanent(h->e, H_PEER_ADDR, mac_peer), 0);
	h_advance(h, 3600000000ULL);
	/* Overheard ARP does not change a permanent entry. */
	n = arp_frame(f, mac_bcast, ARP_OP_REQUEST, mac_gw, H_PEER_ADDR,
	    mac_zero, H_LOCAL_ADDR);
	h_inject_raw(h, f, n);
	h_clear_out(h);
	ck_assert_ptr_nonnull(ent = arp_lookup(h->e, H_PEER_ADDR));
	ck_assert_int_eq(ent->state, ARP_PERMANENT);
	ck_assert_mem_eq(ent->mac, mac_peer, 6);
	send_tcp(H_PEER_ADDR, 1);
	expect_tcp(mac_peer, H_PEER_ADDR, 1);
	H_EXPECT_NONE(h);
}
END_TEST

START_TEST(off_subnet_via_gateway)
{
	uint32_t far = ip4(192, 0, 2, 7);

	ck_assert_int_eq(send_tcp(far, 9), 0);
	/* The gateway is resolved, not the far host. */
	expect_arp(mac_bcast, ARP_OP_REQUEST, mac_zero, ip4(10, 0, 0, 254));
	H_EXPECT_NONE(h);
	peer_reply(mac_gw, ip4(10, 0, 0, 254));
	expect_tcp(mac_gw, far, 9);
	H_EXPECT_NONE(h);
	ck_assert_ptr_null(arp_lookup(h->e, far));
}
END_TEST

START_TEST(no_route)
{
	ck_assert_int_eq(send_tcp(ip4(192, 0, 2, 7), 1), -ENETUNREACH);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "Ip:OutNoRoutes"), 1);
	ck_assert_uint_eq(h_mib(h, "Ip:OutRequests"), 0);
	/* On-link still works on the tun. */
	ck_assert_int_eq(send_tcp(H_PEER_ADDR, 2), 0);
	expect_tcp(NULL, H_PEER_ADDR, 2);
	ck_assert_uint_eq(h_mib(h, "Ip:OutRequests"), 1);
}
END_TEST

START_TEST(tcp_output_ip_header)
{
	const uint8_t *f;
	size_t len;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.ip_default_ttl",
	    "33"), 0);
	send_tcp(H_PEER_ADDR, 1);
	send_tcp(H_PEER_ADDR, 2);
	ck_assert_ptr_nonnull(f = h_take_frame(h, &len));
	ck_assert_uint_eq(len, 40);		/* bare IPv4 on the tun */
	ck_assert_uint_eq(f[0], 0x45);
	ck_assert_uint_eq(f[6], 0x40);		/* DF */
	ck_assert_uint_eq(f[8], 33);
	ck_assert_uint_eq(f[9], IPPROTO_TCP_);
	ck_assert_uint_eq(f[4] << 8 | f[5], 0);
	ck_assert_ptr_nonnull(f = h_take_frame(h, &len));
	ck_assert_uint_eq(f[4] << 8 | f[5], 1);	/* ID increments */
	ck_assert_uint_eq(h->ntrace_out, 2);
}
END_TEST

/* An echo request from the peer, as a bare IPv4 packet. */
static size_t
echo_request(uint8_t *p, uint8_t tos, const char *data)
{
	size_t dl = strlen(data), n = 8 + dl;
	uint16_t c;

	p[20] = 8;
	p[21] = 0;
	p[22] = p[23] = 0;
	p[24] = 0x12;
	p[25] = 0x34;
	p[26] = 0;
	p[27] = 1;
	memcpy(p + 28, data, dl);
	c = inet_csum_fold(inet_csum_add(0, p + 20, n));
	p[22] = c >> 8;
	p[23] = c & 0xff;
	ipv4_build(p, 20, H_PEER_ADDR, H_LOCAL_ADDR, IPPROTO_ICMP_, 64, 77,
	    (uint16_t)n);
	p[1] = tos;
	p[10] = p[11] = 0;
	c = inet_csum_fold(inet_csum_add(0, p, 20));
	p[10] = c >> 8;
	p[11] = c & 0xff;
	return 20 + n;
}

START_TEST(ping_reply_bytes_exact)
{
	/* Worked out by hand: no DF, ID 0, TTL 64, checksums. */
	static const uint8_t want[] = {
		0x45, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01,
		0x66, 0xd7, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x5c, 0x35, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62,
		0x63, 0x64, 0x65, 0x66, 0x67, 0x68 };
	uint8_t p[128];
	const uint8_t *f;
	size_t n, len;

	n = echo_request(p, 0, "abcdefgh");
	h_inject_raw(h, p, n);
	ck_assert_ptr_nonnull(f = h_take_frame(h, &len));
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(f, want, sizeof(want));
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "Icmp:InMsgs"), 1);
	ck_assert_uint_eq(h_mib(h, "Icmp:InEchos"), 1);
	ck_assert_uint_eq(h_mib(h, "Icmp:OutEchoReps"), 1);
	ck_assert_uint_eq(h_mib(h, "Ip:InDelivers"), 1);
	/* No TCP: no trace. */
	ck_assert_uint_eq(h->ntrace_out + h->ntrace_in, 0);
	/* A bad checksum is counted and not answered. */
	p[30] ^= 1;
	h_inject_raw(h, p, n);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "Icmp:InCsumErrors"), 1);
	ck_assert_uint_eq(h_mib(h, "Icmp:InErrors"), 1);
}
END_TEST

START_TEST(ping_reply_ether_tos)
{
	uint8_t p[128], f[160];
	const uint8_t *o;
	size_t n, len;

	arp_add_permanent(h->e, H_PEER_ADDR, mac_peer);
	n = echo_request(p, 0x10, "xyz");
	n = h_wrap_ip(h, p, n, f, sizeof(f));
	h_inject_raw(h, f, n);
	ck_assert_ptr_nonnull(o = h_take_frame(h, &len));
	ck_assert_uint_eq(len, 14 + 20 + 8 + 3);
	ck_assert_mem_eq(o, mac_peer, 6);
	ck_assert_mem_eq(o + 6, mac_us, 6);
	ck_assert_uint_eq(o[14 + 1], 0x10);	/* TOS copied */
	ck_assert_uint_eq(o[14 + 20], 0);	/* echo reply */
	ck_assert_mem_eq(o + 14 + 28, "xyz", 3);
	ck_assert_uint_eq(inet_csum_fold(inet_csum_add(0, o + 14, 20)), 0);
	ck_assert_uint_eq(inet_csum_fold(inet_csum_add(0, o + 34, 11)), 0);
}
END_TEST

START_TEST(ip_input_routing)
{
	uint8_t p[128], f[160];
	size_t n, m;

	/* Not our address. */
	n = echo_request(p, 0, "a");
	memcpy(p + 16, "\x0a\x00\x00\x03", 4);
	p[10] = p[11] = 0;
	m = inet_csum_fold(inet_csum_add(0, p, 20));
	p[10] = (uint8_t)(m >> 8);
	p[11] = m & 0xff;
	h_inject_raw(h, f, h_wrap_ip(h, p, n, f, sizeof(f)));
	ck_assert_uint_eq(h_mib(h, "Ip:InAddrErrors"), 1);
	/* UDP: unknown protocol. */
	n = echo_request(p, 0, "a");
	p[9] = 17;
	p[10] = p[11] = 0;
	m = inet_csum_fold(inet_csum_add(0, p, 20));
	p[10] = (uint8_t)(m >> 8);
	p[11] = m & 0xff;
	h_inject_raw(h, f, h_wrap_ip(h, p, n, f, sizeof(f)));
	ck_assert_uint_eq(h_mib(h, "Ip:InUnknownProtos"), 1);
	/* Ethernet frame for another MAC. */
	n = echo_request(p, 0, "a");
	m = h_wrap_ip(h, p, n, f, sizeof(f));
	f[5] = 9;
	h_inject_raw(h, f, m);
	ck_assert_uint_eq(h_mib(h, "Tcpx:NotForUs"), 1);
	/* IPv6 EtherType. */
	f[5] = 2;
	f[12] = 0x86;
	f[13] = 0xdd;
	h_inject_raw(h, f, m);
	ck_assert_uint_eq(h_mib(h, "Tcpx:BadEtherType"), 1);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "Ip:InReceives"), 2);
	ck_assert_uint_eq(h_mib(h, "Ip:InDelivers"), 0);
}
END_TEST

START_TEST(ether_padding_trimmed)
{
	uint8_t p[128], f[160];
	const uint8_t *o;
	size_t n, len;

	arp_add_permanent(h->e, H_PEER_ADDR, mac_peer);
	n = echo_request(p, 0, "z");
	n = h_wrap_ip(h, p, n, f, sizeof(f));
	ck_assert_uint_eq(n, 43);
	/* A NIC pads short frames to 60 bytes; the padding is not data. */
	memset(f + n, 0, 60 - n);
	h_inject_raw(h, f, 60);
	ck_assert_ptr_nonnull(o = h_take_frame(h, &len));
	ck_assert_uint_eq(len, 43);
	ck_assert_uint_eq(o[14 + 28], 'z');
}
END_TEST

START_TEST(trace_in_gets_ip_packet)
{
	struct h_seg s = { .sport = 40000, .dport = 81, .seq = 5,
	    .flags = TH_SYN, .wnd = 1000 };
	uint8_t f[128];
	struct h_trace *t;
	size_t n;

	h->keep_trace = true;
	n = h_build_frame(h, &s, f, sizeof(f));
	h_inject_raw(h, f, n);
	ck_assert_ptr_nonnull(t = STAILQ_FIRST(&h->trace));
	ck_assert_int_eq(t->dir, TCPX_DIR_IN);
	ck_assert_uint_eq(t->len, n);
	ck_assert_mem_eq(t->ip, f, n);
	ck_assert_uint_eq(t->now_us, H_START_US);
	h_clear_out(h);
}
END_TEST

START_TEST(segment_larger_than_mtu)
{
	static uint8_t big[1461];
	struct tcp_out o;

	memset(&o, 0, sizeof(o));
	o.saddr = H_LOCAL_ADDR;
	o.daddr = H_PEER_ADDR;
	o.sport = 5000;
	o.dport = 80;
	o.flags = TH_ACK;
	o.data = big;
	o.len = sizeof(big);
	/* 20 + 20 + 1461 > 1500, and DF is set. */
	ck_assert_int_eq(ip_send_tcp(h->e, &o), -EMSGSIZE);
	H_EXPECT_NONE(h);
	o.len = 1460;
	ck_assert_int_eq(ip_send_tcp(h->e, &o), 0);
	ck_assert_uint_eq(h_out_count(h), 1);
	h_clear_out(h);
}
END_TEST

static Suite *
link_suite(void)
{
	Suite *s = suite_create("link");
	TCase *te = tcase_create("ether");
	TCase *tr = tcase_create("rawip");

	tcase_add_checked_fixture(te, setup_ether, teardown);
	tcase_add_test(te, arp_request_answered_and_sender_learned);
	tcase_add_test(te, arp_request_for_other_ignored);
	tcase_add_test(te, arp_probe_answered);
	tcase_add_test(te, arp_queue_then_flush);
	tcase_add_test(te, arp_gives_up);
	tcase_add_test(te, arp_queue_limit_drops_oldest);
	tcase_add_test(te, arp_expiry_and_reprobe);
	tcase_add_test(te, arp_stale_entry_collected);
	tcase_add_test(te, permanent_entry_never_expires);
	tcase_add_test(te, off_subnet_via_gateway);
	tcase_add_test(te, ping_reply_ether_tos);
	tcase_add_test(te, ip_input_routing);
	tcase_add_test(te, ether_padding_trimmed);
	suite_add_tcase(s, te);
	tcase_add_checked_fixture(tr, setup_rawip, teardown);
	tcase_add_test(tr, no_route);
	tcase_add_test(tr, tcp_output_ip_header);
	tcase_add_test(tr, ping_reply_bytes_exact);
	tcase_add_test(tr, trace_in_gets_ip_packet);
	tcase_add_test(tr, segment_larger_than_mtu);
	suite_add_tcase(s, tr);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(link_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
