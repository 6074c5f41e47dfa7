/*
 * test_syncookie.c - SYN cookies (core/tcp_syncookie.c and the listen
 * path): a flood of 10,000 spoofed SYNs against a backlog of 128 with
 * tcp_syncookies 1, the memory it may cost, a real client completing its
 * handshake through a cookie in the middle of the flood with MSS, window
 * scale and SACK recovered, forged and aged cookies refused, and the
 * 0 and 2 settings.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define LPORT	80

static struct harness *h;
static int ls;
static uint64_t rng;

/* A fixed xorshift64* stream, so every run floods the same way. */
static uint32_t
prng(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}

static void
setup(void)
{
	struct sockaddr_in sin;

	h = h_new();
	rng = 0x9e3779b97f4a7c15ULL;
	ls = tcpx_socket(h->e);
	h_local_sockaddr(&sin, LPORT);
	ck_assert_int_eq(tcpx_bind(h->e, ls, &sin), 0);
	ck_assert_int_eq(tcpx_listen(h->e, ls, 128), 0);
}

static void
teardown(void)
{
	h_free(h);
	h = NULL;
}

/* One spoofed SYN from a random on-link address and port. */
static void
spoofed_syn(void)
{
	uint32_t r = prng();
	struct h_seg s = {
		.saddr = htonl(0x0a000000 | (3 + r % 250)),
		.sport = (uint16_t)(1024 + (r >> 8) % 60000),
		.dport = LPORT, .seq = prng(), .flags = TH_SYN, .wnd = 29200,
		.opt = { .has_mss = true, .mss = 1460 },
	};

	h_inject(h, &s);
}

static void
flood(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		spoofed_syn();
		h_clear_out(h);
	}
}

static uint32_t
syn_q(void)
{
	struct tcpx_sockinfo info;

	ck_assert_int_eq(tcpx_sock_info(h->e, ls, &info), 0);
	return info.syn_q;
}

/*
 * The legitimate client: SYN with MSS 1400, SACK, TS, window scale 9;
 * returns the SYN-ACK.
 */
static void
client_syn(uint16_t port, uint32_t isn, struct tcp_seg *sa)
{
	struct h_seg s = { .sport = port, .dport = LPORT, .seq = isn,
	    .flags = TH_SYN, .wnd = 64240,
	    .opt = { .has_mss = true, .mss = 1400, .sack_perm = true,
	    .has_ts = true, .ts_val = 4242, .has_wscale = true, .wscale = 9 } };

	h_clear_out(h);
	h_inject(h, &s);
	ck_assert(h_take(h, sa));
	ck_assert_uint_eq(sa->flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(sa->ack, isn + 1);
}

static void
client_ack(uint16_t port, uint32_t seq, uint32_t ack, uint32_t tsecr)
{
	struct h_seg s = { .sport = port, .dport = LPORT, .seq = seq,
	    .ack = ack, .flags = TH_ACK, .wnd = 1000,
	    .opt = { .has_ts = true, .ts_val = 4243, .ts_ecr = tsecr } };

	h_inject(h, &s);
}

START_TEST(flood_with_legit_client)
{
	struct tcp_tuple t = { .laddr = H_LOCAL_ADDR, .raddr = H_PEER_ADDR,
	    .lport = LPORT, .rport = 5555 };
	struct tcpx_sockinfo info;
	struct tcp_seg sa;
	uint32_t max_q = 0, off, sent_before;
	int cs;

	for (unsigned i = 0; i < 5000; i++) {
		spoofed_syn();
		ck_assert_uint_eq(h_out_count(h), 1);	/* every SYN answered */
		h_clear_out(h);
		if (syn_q() > max_q)
			max_q = syn_q();
	}
	/*
	 * The SYN queue stops at backlog + 1 request socks (Linux 6.x:
	 * inet_csk_reqsk_queue_is_full is qlen > backlog); the rest are
	 * cookies.
	 */
	ck_assert_uint_eq(max_q, 129);
	sent_before = (uint32_t)h_mib(h, "TcpExt:SyncookiesSent");
	ck_assert_uint_ge(sent_before, 5000 - 129 - 20);
	ck_assert_uint_eq(sent_before, h_mib(h, "TcpExt:TCPReqQFullDoCookies"));

	client_syn(5555, 777000, &sa);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesSent"), sent_before + 1);
	/* Our MSS, and WS/SACK/TS mirrored as offered. */
	ck_assert(sa.opt.has_mss);
	ck_assert_uint_eq(sa.opt.mss, 1460);
	ck_assert(sa.opt.has_ts && sa.opt.sack_perm && sa.opt.has_wscale);
	ck_assert_uint_eq(sa.opt.ts_ecr, 4242);
	/* The TSval's low 6 bits carry wscale 9 and SACK (0x10). */
	off = tcp_ts_off(h->e, &t);
	ck_assert_uint_eq((sa.opt.ts_val - off) & 0x3f, 9 | 0x10);
	/* ... and stay at or behind our clock. */
	ck_assert_uint_le(sa.opt.ts_val - off, tcpx_now_ms(h->e));
	ck_assert_uint_gt(sa.opt.ts_val - off, tcpx_now_ms(h->e) - 64);

	flood(5000);
	ck_assert_uint_le(syn_q(), 129);

	h_advance(h, 30000);
	client_ack(5555, 777001, sa.seq + 1, sa.opt.ts_val);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesRecv"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesFailed"), 0);
	cs = tcpx_accept(h->e, ls, NULL);
	ck_assert_int_ge(cs, 0);
	ck_assert_int_eq(tcpx_state(h->e, cs), TCP_ST_ESTABLISHED);
	ck_assert_int_eq(tcpx_sock_info(h->e, cs, &info), 0);
	/* 1400 is encoded as the table's 1300; TS takes 12 of it. */
	ck_assert_uint_eq(info.snd_mss, 1300 - 12);
	ck_assert_uint_eq(info.snd_wscale, 9);
	ck_assert_uint_eq(info.rcv_wscale, 10);
	ck_assert_uint_eq(info.options,
	    TCPX_OPT_TS | TCPX_OPT_SACK | TCPX_OPT_WSCALE);
}
END_TEST

START_TEST(cookie_without_timestamps)
{
	struct h_seg s = { .sport = 6000, .dport = LPORT, .seq = 50,
	    .flags = TH_SYN, .wnd = 64240,
	    .opt = { .has_mss = true, .mss = 1460, .sack_perm = true,
	    .has_wscale = true, .wscale = 5 } };
	struct tcpx_sockinfo info;
	struct tcp_seg sa;
	int cs;

	flood(200);
	h_inject(h, &s);
	ck_assert(h_take(h, &sa));
	/* No timestamps: nowhere to keep WS and SACK, so only MSS. */
	ck_assert(sa.opt.has_mss);
	ck_assert(!sa.opt.has_ts && !sa.opt.sack_perm && !sa.opt.has_wscale);
	s.seq = 51;
	s.ack = sa.seq + 1;
	s.flags = TH_ACK;
	memset(&s.opt, 0, sizeof(s.opt));
	h_inject(h, &s);
	H_EXPECT_NONE(h);
	cs = tcpx_accept(h->e, ls, NULL);
	ck_assert_int_ge(cs, 0);
	ck_assert_int_eq(tcpx_sock_info(h->e, cs, &info), 0);
	ck_assert_uint_eq(info.snd_mss, 1460);
	ck_assert_uint_eq(info.options, 0);
}
END_TEST

/*
 * The window a child offers first, as Linux 6.18 on the wire (the
 * compare scenarios syncookies and overflow-abort): both SYN-ACKs offer
 * 65160 (45 segments of 1448, the MSS less the timestamp option), and a
 * child from a request sock keeps that window, so its ACK of 5 bytes
 * says 64 (65536 >> 10, never shrinking below 65155); a child rebuilt
 * from a cookie counts whole segments of the cookie's MSS, 1460, as
 * cookie_v4_check does: 64240, and the ACK says 63.
 */
static uint16_t
child_first_window(uint16_t port, const char *cookies)
{
	struct h_seg s = { .sport = port, .dport = LPORT, .seq = 1000,
	    .flags = TH_SYN, .wnd = 64240,
	    .opt = { .has_mss = true, .mss = 1460, .sack_perm = true,
	    .has_ts = true, .ts_val = 100, .has_wscale = true, .wscale = 10 } };
	struct tcpx_sockinfo info;
	struct tcp_seg sa, ack;
	int cs;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_syncookies",
	    cookies), 0);
	h_clear_out(h);
	h_inject(h, &s);
	ck_assert(h_take(h, &sa));
	ck_assert_uint_eq(sa.wnd, 65160);
	s.seq = 1001;
	s.ack = sa.seq + 1;
	s.flags = TH_ACK | TH_PSH;
	s.opt = (struct tcp_opts){ .has_ts = true, .ts_val = 101,
	    .ts_ecr = sa.opt.ts_val };
	s.data = "hello";
	s.len = 5;
	h_inject(h, &s);
	cs = tcpx_accept(h->e, ls, NULL);
	ck_assert_int_ge(cs, 0);
	ck_assert_int_eq(tcpx_sock_info(h->e, cs, &info), 0);
	ck_assert_uint_eq(info.rcv_wscale, 10);
	/* The data is ACKed at once (quick ACKs at the start). */
	ck_assert(h_take(h, &ack));
	ck_assert_uint_eq(ack.ack, 1006);
	return ack.wnd;
}

START_TEST(cookie_child_window)
{
	ck_assert_uint_eq(child_first_window(6100, "0"), 64);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesRecv"), 0);
	ck_assert_uint_eq(child_first_window(6101, "2"), 63);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesRecv"), 1);
}
END_TEST

START_TEST(forged_cookie_rejected)
{
	struct tcp_seg sa;

	flood(200);
	client_ack(5555, 1001, 0xdeadbeef, 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesFailed"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesRecv"), 0);
	H_EXPECT(h, &sa, TH_RST, 0xdeadbeef, 0);
	ck_assert_int_eq(tcpx_accept(h->e, ls, NULL), -EAGAIN);
}
END_TEST

START_TEST(aged_cookie_rejected)
{
	struct tcp_seg sa;
	uint32_t cookie;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_syncookies", "2"),
	    0);
	client_syn(5555, 9000, &sa);
	cookie = sa.seq;
	/* Two cookie periods later (a fresh flood keeps cookies checked). */
	h_advance(h, 150 * 1000000ULL);
	flood(1);
	client_ack(5555, 9001, cookie + 1, sa.opt.ts_val);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesFailed"), 1);
	H_EXPECT(h, &sa, TH_RST, cookie + 1, 0);
	ck_assert_int_eq(tcpx_accept(h->e, ls, NULL), -EAGAIN);
}
END_TEST

START_TEST(cookie_one_period_old_accepted)
{
	struct tcp_seg sa;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_syncookies", "2"),
	    0);
	client_syn(5555, 9000, &sa);
	h_advance(h, 61 * 1000000ULL);
	client_ack(5555, 9001, sa.seq + 1, sa.opt.ts_val);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesRecv"), 1);
	ck_assert_int_ge(tcpx_accept(h->e, ls, NULL), 0);
}
END_TEST

START_TEST(no_recent_overflow_no_check)
{
	struct tcp_seg sa;

	/* No cookie was ever sent: an ACK is just an ACK to LISTEN. */
	client_ack(5555, 1001, 12345, 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesFailed"), 0);
	H_EXPECT(h, &sa, TH_RST, 12345, 0);
}
END_TEST

START_TEST(syncookies_off_drops)
{
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_syncookies", "0"),
	    0);
	for (unsigned i = 0; i < 200; i++)
		spoofed_syn();
	ck_assert_uint_eq(syn_q(), 129);
	ck_assert_uint_eq(h_out_count(h), 129);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPReqQFullDrop"), 71);
	ck_assert_uint_eq(h_mib(h, "TcpExt:ListenDrops"), 71);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesSent"), 0);
}
END_TEST

START_TEST(syncookies_always)
{
	struct tcp_tuple t = { .laddr = H_LOCAL_ADDR, .raddr = H_PEER_ADDR,
	    .lport = LPORT, .rport = 5555 };
	struct h_seg syn = { .sport = 5555, .dport = LPORT, .seq = 1,
	    .flags = TH_SYN, .wnd = 64240,
	    .opt = { .has_mss = true, .mss = 1460 } };
	struct tcp_seg sa, parsed;
	uint16_t mss = 1460;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_syncookies", "2"),
	    0);
	h_inject(h, &syn);
	ck_assert(h_take(h, &sa));
	ck_assert_uint_eq(syn_q(), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:SyncookiesSent"), 1);
	/* The ISN is the cookie, not the RFC 6528 one. */
	memset(&parsed, 0, sizeof(parsed));
	parsed.saddr = H_PEER_ADDR;
	parsed.daddr = H_LOCAL_ADDR;
	parsed.sport = 5555;
	parsed.dport = LPORT;
	parsed.seq = 1;
	ck_assert_uint_eq(sa.seq, tcp_cookie_make(h->e, &parsed, &mss));
	ck_assert_uint_ne(sa.seq, tcp_isn(h->e, &t));
	ck_assert_uint_eq(mss, 1460);
}
END_TEST

START_TEST(cookie_mss_table)
{
	static const struct { uint16_t in, out; } cases[] = {
		{ 100, 536 }, { 536, 536 }, { 1299, 536 }, { 1300, 1300 },
		{ 1439, 1300 }, { 1440, 1440 }, { 1459, 1440 }, { 1460, 1460 },
		{ 9000, 1460 },
	};
	struct tcp_seg syn, ack;
	uint16_t mss, got;

	memset(&syn, 0, sizeof(syn));
	syn.saddr = H_PEER_ADDR;
	syn.daddr = H_LOCAL_ADDR;
	syn.sport = 7000;
	syn.dport = LPORT;
	syn.seq = 0xfffffff0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mss = cases[i].in;
		ack = syn;
		ack.ack = tcp_cookie_make(h->e, &syn, &mss) + 1;
		ack.seq = syn.seq + 1;
		ck_assert_uint_eq(mss, cases[i].out);
		ck_assert_int_eq(tcp_cookie_check(h->e, &ack, &got), 0);
		ck_assert_uint_eq(got, cases[i].out);
		/*
		 * Another port, or another client ISN, does not match (the
		 * ISN is added linearly, so a small shift of it could land
		 * on another table index: shift by more than the table).
		 */
		ack.sport++;
		ck_assert_int_ne(tcp_cookie_check(h->e, &ack, &got), 0);
		ack.sport--;
		ack.seq += 1000;
		ck_assert_int_ne(tcp_cookie_check(h->e, &ack, &got), 0);
	}
}
END_TEST

static Suite *
syncookie_suite(void)
{
	Suite *s = suite_create("syncookie");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, flood_with_legit_client);
	tcase_add_test(tc, cookie_without_timestamps);
	tcase_add_test(tc, cookie_child_window);
	tcase_add_test(tc, forged_cookie_rejected);
	tcase_add_test(tc, aged_cookie_rejected);
	tcase_add_test(tc, cookie_one_period_old_accepted);
	tcase_add_test(tc, no_recent_overflow_no_check);
	tcase_add_test(tc, syncookies_off_drops);
	tcase_add_test(tc, syncookies_always);
	tcase_add_test(tc, cookie_mss_table);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(syncookie_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
