/*
 * test_badinput.c - malformed frames are dropped without a reply and
 * without a crash, and each moves exactly the counters Linux would move
 * (plus our Tcpx: ones) by exactly one; every other counter stays put.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct harness *h;
static uint64_t *snap;

static void
setup_rawip(void)
{
	h = h_new();
	snap = calloc(tcpx_mib_count(), sizeof(*snap));
}

static void
setup_ether(void)
{
	h = h_new_ether();
	snap = calloc(tcpx_mib_count(), sizeof(*snap));
}

static void
teardown(void)
{
	h_free(h);
	free(snap);
	h = NULL;
}

static void
mib_snapshot(void)
{
	size_t i;

	for (i = 0; i < tcpx_mib_count(); i++)
		snap[i] = tcpx_mib_value(h->e, i);
}

/*
 * Since the snapshot, exactly the named counters ("Group:Name", NULL
 * terminated) moved, each by one, and nothing was sent.
 */
static void
expect_moved(const char *first, ...)
{
	const struct tcpx_mib_desc *d;
	const char *names[16], *n;
	char full[64];
	size_t i, k, nn = 0;
	uint64_t want;
	va_list ap;

	va_start(ap, first);
	for (n = first; n != NULL && nn < 16; n = va_arg(ap, const char *))
		names[nn++] = n;
	va_end(ap);
	for (i = 0; i < tcpx_mib_count(); i++) {
		d = tcpx_mib_desc(i);
		snprintf(full, sizeof(full), "%s:%s", d->group, d->name);
		want = snap[i];
		for (k = 0; k < nn; k++)
			if (strcmp(names[k], full) == 0)
				want++;
		ck_assert_msg(tcpx_mib_value(h->e, i) == want,
		    "%s is %llu, want %llu", full,
		    (unsigned long long)tcpx_mib_value(h->e, i),
		    (unsigned long long)want);
	}
	H_EXPECT_NONE(h);
}

/* Offset of the IPv4 header in the frames this harness builds. */
static size_t
ipoff(void)
{
	return h->cfg.link == TCPX_LINK_ETHER ? ETH_HLEN_ : 0;
}

static void
fix_ip_csum(uint8_t *f)
{
	uint8_t *p = f + ipoff();
	uint16_t c;

	p[10] = p[11] = 0;
	c = inet_csum_fold(inet_csum_add(0, p, (p[0] & 15) * 4u));
	p[10] = c >> 8;
	p[11] = c & 0xff;
}

/* TCP checksum over the IP payload as the IP header says it is. */
static void
fix_tcp_csum(uint8_t *f)
{
	uint8_t *p = f + ipoff(), *th = p + 20;
	uint16_t tl = (uint16_t)((p[2] << 8 | p[3]) - 20), c;
	uint32_t src, dst;

	memcpy(&src, p + 12, 4);
	memcpy(&dst, p + 16, 4);
	th[16] = th[17] = 0;
	c = inet_csum_fold(inet_csum_add(inet_pseudo_sum(src, dst,
	    IPPROTO_TCP_, tl), th, tl));
	th[16] = c >> 8;
	th[17] = c & 0xff;
}

/* A SYN with options and 4 bytes of data to port 80. */
static size_t
good_frame(uint8_t *f, size_t cap)
{
	struct h_seg s = { .sport = 40000, .dport = 80, .seq = 1000,
	    .flags = TH_SYN, .wnd = 65535, .data = "data", .len = 4,
	    .opt = { .has_mss = true, .mss = 1460, .sack_perm = true,
	    .has_ts = true, .ts_val = 1, .has_wscale = true, .wscale = 7 } };

	return h_build_frame(h, &s, f, cap);
}

/*
 * An ACK whose 8 "data" bytes become options: doff is raised to cover
 * them and the checksum fixed, so only the options are wrong.
 */
static size_t
frame_with_options(uint8_t *f, size_t cap, const uint8_t opt[8])
{
	struct h_seg s = { .sport = 40000, .dport = 80, .seq = 1000,
	    .ack = 1, .flags = TH_ACK, .wnd = 100, .data = opt, .len = 8 };
	size_t n = h_build_frame(h, &s, f, cap);

	f[ipoff() + 20 + 12] = 7 << 4;
	fix_tcp_csum(f);
	return n;
}

START_TEST(truncated_at_every_length)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f)), k, off = ipoff();

	for (k = 0; k < n; k++) {
		mib_snapshot();
		h_inject_raw(h, f, k);
		if (k == 0 || (off > 0 && k < off))
			expect_moved("Tcpx:FrameTruncated", NULL);
		else if (k < off + 20)
			expect_moved("Ip:InReceives", "Ip:InHdrErrors",
			    "Tcpx:FrameTruncated", NULL);
		else
			expect_moved("Ip:InReceives", "IpExt:InTruncatedPkts",
			    "Tcpx:FrameTruncated", NULL);
	}
	/* The whole frame does reach TCP. */
	mib_snapshot();
	h_inject_raw(h, f, n);
	ck_assert_uint_eq(h_mib(h, "Tcp:InSegs"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:InErrs"), 0);
	h_clear_out(h);
}
END_TEST

START_TEST(bad_ip_checksum)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f));

	f[ipoff() + 8] ^= 1;			/* TTL changed, checksum not */
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:InCsumErrors", "Ip:InHdrErrors",
	    NULL);
}
END_TEST

START_TEST(bad_tcp_checksum)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f));

	f[n - 1] ^= 0x20;			/* a data byte */
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:InDelivers", "Tcp:InSegs",
	    "Tcp:InCsumErrors", "Tcp:InErrs", NULL);
}
END_TEST

START_TEST(tcp_data_offset_past_segment)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f));

	f[ipoff() + 32] = 15 << 4;		/* 60 > 44 + 4 bytes */
	fix_tcp_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:InDelivers", "Tcp:InSegs",
	    "Tcpx:TcpBadHeaderLen", "Tcpx:FrameTruncated", NULL);
}
END_TEST

START_TEST(tcp_data_offset_below_5)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f));

	f[ipoff() + 32] = 4 << 4;
	fix_tcp_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:InDelivers", "Tcp:InSegs",
	    "Tcpx:TcpBadHeaderLen", "Tcp:InErrs", NULL);
}
END_TEST

START_TEST(tcp_segment_shorter_than_header)
{
	uint8_t f[256];
	size_t off = ipoff();

	good_frame(f, sizeof(f));
	/* IP says 20 + 12: a TCP header cut short, consistently. */
	f[off + 2] = 0;
	f[off + 3] = 32;
	fix_ip_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, off + 32);
	expect_moved("Ip:InReceives", "Ip:InDelivers", "Tcp:InSegs",
	    "Tcpx:FrameTruncated", NULL);
}
END_TEST

static void
bad_option(const uint8_t opt[8])
{
	uint8_t f[256];
	size_t n = frame_with_options(f, sizeof(f), opt);

	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:InDelivers", "Tcp:InSegs",
	    "Tcpx:TcpBadOptions", "Tcp:InErrs", NULL);
}

START_TEST(tcp_option_length_0)
{
	static const uint8_t opt[8] = { 1, 1, 99, 0, 1, 1, 1, 1 };

	bad_option(opt);
}
END_TEST

START_TEST(tcp_option_length_1)
{
	static const uint8_t opt[8] = { 1, 1, 1, 1, 1, 1, 99, 1 };

	bad_option(opt);
}
END_TEST

START_TEST(tcp_option_overruns_header)
{
	static const uint8_t opt[8] = { 1, 1, 8, 10, 0, 0, 0, 1 };

	bad_option(opt);
}
END_TEST

START_TEST(tcp_option_kind_in_last_byte)
{
	static const uint8_t opt[8] = { 1, 1, 1, 1, 1, 1, 1, 2 };

	bad_option(opt);
}
END_TEST

START_TEST(tcp_unknown_option_accepted)
{
	static const uint8_t opt[8] = { 99, 6, 1, 2, 3, 4, 1, 0 };
	uint8_t f[256];
	size_t n = frame_with_options(f, sizeof(f), opt);

	mib_snapshot();
	h_inject_raw(h, f, n);
	/* Handed to TCP: whatever it answers, no input error was counted. */
	ck_assert_uint_eq(h_mib(h, "Tcp:InSegs"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:InErrs"), 0);
	ck_assert_uint_eq(h_mib(h, "Tcpx:TcpBadOptions"), 0);
	ck_assert_uint_eq(h->ntrace_in, 1);
	h_clear_out(h);
}
END_TEST

START_TEST(ip_fragments)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f)), off = ipoff();

	f[off + 6] = 0x20;			/* MF, offset 0 */
	f[off + 7] = 0;
	fix_ip_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:ReasmFails", NULL);
	f[off + 6] = 0x00;			/* last fragment, offset 8 */
	f[off + 7] = 0x01;
	fix_ip_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:ReasmFails", NULL);
}
END_TEST

START_TEST(ip_ihl_below_5)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f));

	f[ipoff()] = 0x44;
	fix_ip_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:InHdrErrors", NULL);
}
END_TEST

START_TEST(ip_total_length_past_frame)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f)), off = ipoff();

	f[off + 3] += 1;
	fix_ip_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "IpExt:InTruncatedPkts",
	    "Tcpx:FrameTruncated", NULL);
}
END_TEST

START_TEST(ip_total_length_below_header)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f)), off = ipoff();

	f[off + 2] = 0;
	f[off + 3] = 19;
	fix_ip_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:InHdrErrors", NULL);
}
END_TEST

START_TEST(ip_version_6)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f));

	f[ipoff()] = 0x65;
	fix_ip_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, n);
	/* On a tun an IPv6 packet is another protocol, not a bad header. */
	if (h->cfg.link == TCPX_LINK_RAWIP)
		expect_moved("Tcpx:BadEtherType", NULL);
	else
		expect_moved("Ip:InReceives", "Ip:InHdrErrors", NULL);
}
END_TEST

START_TEST(ip_martian_source)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f)), off = ipoff();

	f[off + 12] = 127;
	fix_ip_csum(f);
	fix_tcp_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:InAddrErrors", NULL);
}
END_TEST

START_TEST(ip_not_our_address)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f)), off = ipoff();

	f[off + 19] = 3;			/* 10.0.0.3 */
	fix_ip_csum(f);
	fix_tcp_csum(f);
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:InAddrErrors", NULL);
}
END_TEST

START_TEST(ether_not_for_us_and_bad_type)
{
	uint8_t f[256];
	size_t n = good_frame(f, sizeof(f));

	f[0] = 0x03;				/* a multicast MAC, not ours */
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Tcpx:NotForUs", NULL);
	f[0] = 0x02;
	f[12] = 0x81;				/* 802.1Q */
	f[13] = 0x00;
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Tcpx:BadEtherType", NULL);
	/* TCP in a broadcast frame, to our IP: Linux's tcp_v4_rcv drops it. */
	memset(f, 0xff, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	mib_snapshot();
	h_inject_raw(h, f, n);
	expect_moved("Ip:InReceives", "Ip:InDelivers", "Tcpx:NotForUs", NULL);
	/* A short ARP. */
	f[12] = 0x08;
	f[13] = 0x06;
	mib_snapshot();
	h_inject_raw(h, f, 14 + 27);
	expect_moved("Tcpx:ArpBad", NULL);
}
END_TEST

static void
add_common(TCase *tc)
{
	tcase_add_test(tc, truncated_at_every_length);
	tcase_add_test(tc, bad_ip_checksum);
	tcase_add_test(tc, bad_tcp_checksum);
	tcase_add_test(tc, tcp_data_offset_past_segment);
	tcase_add_test(tc, tcp_data_offset_below_5);
	tcase_add_test(tc, tcp_segment_shorter_than_header);
	tcase_add_test(tc, tcp_option_length_0);
	tcase_add_test(tc, tcp_option_length_1);
	tcase_add_test(tc, tcp_option_overruns_header);
	tcase_add_test(tc, tcp_option_kind_in_last_byte);
	tcase_add_test(tc, tcp_unknown_option_accepted);
	tcase_add_test(tc, ip_fragments);
	tcase_add_test(tc, ip_ihl_below_5);
	tcase_add_test(tc, ip_total_length_past_frame);
	tcase_add_test(tc, ip_total_length_below_header);
	tcase_add_test(tc, ip_version_6);
	tcase_add_test(tc, ip_martian_source);
	tcase_add_test(tc, ip_not_our_address);
}

static Suite *
badinput_suite(void)
{
	Suite *s = suite_create("badinput");
	TCase *tr = tcase_create("rawip");
	TCase *te = tcase_create("ether");

	tcase_add_checked_fixture(tr, setup_rawip, teardown);
	add_common(tr);
	suite_add_tcase(s, tr);
	tcase_add_checked_fixture(te, setup_ether, teardown);
	add_common(te);
	tcase_add_test(te, ether_not_for_us_and_bad_type);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(badinput_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
