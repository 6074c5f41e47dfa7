/*
 * test_fastopen.c - TCP Fast Open, server side (core/tcp_fastopen.c and
 * the listen path): cookie requests, SYN+data with a good cookie read
 * before the third ACK, bad and missing cookies falling back to a normal
 * handshake, the server switched off by the sysctl or by a zero queue,
 * data without a cookie under 0x200, the queue limit; and the client's
 * cookie cache.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define LPORT	80
#ifndef TCP_FASTOPEN
#define TCP_FASTOPEN	23	/* <netinet/tcp.h>, whose TCP_MSS_DEFAULT clashes */
#endif

static struct harness *h;
static int ls;

static void
setup(void)
{
	h = h_new();
}

static void
teardown(void)
{
	h_free(h);
	h = NULL;
}

/* A listener with tcp_fastopen = `sysctl` and TCP_FASTOPEN = `qlen`. */
static void
tfo_listener(const char *sysctl, int qlen)
{
	struct sockaddr_in sin;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_fastopen",
	    sysctl), 0);
	ls = tcpx_socket(h->e);
	h_local_sockaddr(&sin, LPORT);
	ck_assert_int_eq(tcpx_bind(h->e, ls, &sin), 0);
	if (qlen > 0)
		ck_assert_int_eq(tcpx_setsockopt(h->e, ls, IPPROTO_TCP,
		    TCP_FASTOPEN, &qlen, sizeof(qlen)), 0);
	ck_assert_int_eq(tcpx_listen(h->e, ls, 16), 0);
}

static uint32_t
isn_for(uint16_t rport)
{
	struct tcp_tuple t = { .laddr = H_LOCAL_ADDR, .raddr = H_PEER_ADDR,
	    .lport = LPORT, .rport = rport };

	return tcp_isn(h->e, &t);
}

/* SYN from `rport`, TFO option with `cookie` (len -1: no option), data. */
static void
tfo_syn(uint16_t rport, uint32_t seq, const uint8_t *cookie, int clen,
    const char *data)
{
	struct h_seg s = { .sport = rport, .dport = LPORT, .seq = seq,
	    .flags = TH_SYN, .wnd = 64240,
	    .opt = { .has_mss = true, .mss = 1460 } };

	if (clen >= 0) {
		s.opt.has_fastopen = true;
		s.opt.fastopen_len = (uint8_t)clen;
		if (clen > 0)
			memcpy(s.opt.fastopen_cookie, cookie, (size_t)clen);
	}
	if (data != NULL) {
		s.data = data;
		s.len = (uint32_t)strlen(data);
	}
	h_inject(h, &s);
}

static void
peer_ack(uint16_t rport, uint32_t seq, uint32_t ack)
{
	struct h_seg s = { .sport = rport, .dport = LPORT, .seq = seq,
	    .ack = ack, .flags = TH_ACK, .wnd = 502 };

	h_inject(h, &s);
}

static void
good_cookie(uint8_t *c, uint8_t *len)
{
	tcp_fastopen_cookie_gen(h->e, H_PEER_ADDR, c, len);
	ck_assert_uint_eq(*len, 8);
}

START_TEST(cookie_request)
{
	struct tcp_seg sa;
	uint8_t want[16], wlen;

	tfo_listener("3", 5);
	good_cookie(want, &wlen);
	tfo_syn(41000, 100, NULL, 0, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, isn_for(41000), 101);
	ck_assert(sa.opt.has_fastopen);
	ck_assert_uint_eq(sa.opt.fastopen_len, 8);
	ck_assert_mem_eq(sa.opt.fastopen_cookie, want, 8);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenCookieReqd"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenPassive"), 0);
	/* The cookie depends on the client's address. */
	tcp_fastopen_cookie_gen(h->e, htonl(0x0a000003), want, &wlen);
	ck_assert_mem_ne(sa.opt.fastopen_cookie, want, 8);
}
END_TEST

START_TEST(good_cookie_data_before_third_ack)
{
	struct tcp_seg sa;
	uint8_t c[16], clen;
	uint32_t iss = isn_for(41001);
	char buf[32];
	int cs;

	tfo_listener("3", 5);
	good_cookie(c, &clen);
	tfo_syn(41001, 1000, c, clen, "GET / HTTP/1.0\r\n");
	/* The SYN-ACK acknowledges SYN and data, and carries no cookie. */
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 1000 + 1 + 16);
	ck_assert(!sa.opt.has_fastopen);
	ck_assert(sa.opt.has_mss && !sa.opt.has_ts && !sa.opt.sack_perm &&
	    !sa.opt.has_wscale);
	ck_assert_uint_eq(sa.opt.mss, 1460);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenPassive"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:PassiveOpens"), 1);

	/* Accepted and readable before the third ACK. */
	ck_assert_uint_ne(h_events(h, ls) & TCPX_EV_IN, 0);
	cs = tcpx_accept(h->e, ls, NULL);
	ck_assert_int_ge(cs, 0);
	ck_assert_int_eq(tcpx_state(h->e, cs), TCP_ST_SYN_RECEIVED);
	ck_assert_int_eq(tcpx_recv(h->e, cs, buf, sizeof(buf), 0), 16);
	ck_assert_mem_eq(buf, "GET / HTTP/1.0\r\n", 16);

	peer_ack(41001, 1017, iss + 1);
	ck_assert_int_eq(tcpx_state(h->e, cs), TCP_ST_ESTABLISHED);
}
END_TEST

START_TEST(good_cookie_synack_retransmitted)
{
	struct tcp_seg sa;
	uint8_t c[16], clen;
	uint32_t iss = isn_for(41002);
	uint64_t t0;

	tfo_listener("3", 5);
	good_cookie(c, &clen);
	tfo_syn(41002, 1000, c, clen, "abc");
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 1004);
	t0 = h->last_sent_us;
	/* The child retransmits its own SYN-ACK from 1 s on. */
	h_run_until(h, t0 + 1000000);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 1004);
}
END_TEST

START_TEST(bad_cookie_falls_back)
{
	static const uint8_t bad[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct tcp_seg sa;
	uint8_t c[16], clen;
	uint32_t iss = isn_for(41003);
	char buf[32];
	int cs;

	tfo_listener("3", 5);
	good_cookie(c, &clen);
	tfo_syn(41003, 1000, bad, 8, "hello");
	/* Only the SYN acknowledged; a fresh, good cookie offered. */
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, iss, 1001);
	ck_assert(sa.opt.has_fastopen);
	ck_assert_uint_eq(sa.opt.fastopen_len, 8);
	ck_assert_mem_eq(sa.opt.fastopen_cookie, c, 8);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenPassiveFail"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenPassive"), 0);
	ck_assert_int_eq(tcpx_accept(h->e, ls, NULL), -EAGAIN);

	/* The peer resends its data after the handshake, as Linux does. */
	peer_ack(41003, 1001, iss + 1);
	cs = tcpx_accept(h->e, ls, NULL);
	ck_assert_int_ge(cs, 0);
	ck_assert_int_eq(tcpx_state(h->e, cs), TCP_ST_ESTABLISHED);
	ck_assert_int_eq(tcpx_recv(h->e, cs, buf, sizeof(buf), 0), -EAGAIN);
}
END_TEST

START_TEST(missing_cookie_normal)
{
	struct tcp_seg sa;

	tfo_listener("3", 5);
	tfo_syn(41004, 1000, NULL, -1, "hello");
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, isn_for(41004), 1001);
	ck_assert(!sa.opt.has_fastopen);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenPassive"), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenPassiveFail"), 0);
	ck_assert_int_eq(tcpx_accept(h->e, ls, NULL), -EAGAIN);
}
END_TEST

START_TEST(server_bit_clear_ignores)
{
	struct tcp_seg sa;
	uint8_t c[16], clen;

	tfo_listener("1", 5);
	good_cookie(c, &clen);
	tfo_syn(41005, 1000, c, clen, "hello");
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, isn_for(41005), 1001);
	ck_assert(!sa.opt.has_fastopen);
	tfo_syn(41006, 1000, NULL, 0, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, isn_for(41006), 1001);
	ck_assert(!sa.opt.has_fastopen);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenPassive"), 0);
	ck_assert_int_eq(tcpx_accept(h->e, ls, NULL), -EAGAIN);
}
END_TEST

START_TEST(zero_qlen_ignores)
{
	struct tcp_seg sa;
	uint8_t c[16], clen;

	tfo_listener("3", 0);
	good_cookie(c, &clen);
	tfo_syn(41007, 1000, c, clen, "hello");
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, isn_for(41007), 1001);
	ck_assert(!sa.opt.has_fastopen);
	ck_assert_int_eq(tcpx_accept(h->e, ls, NULL), -EAGAIN);
}
END_TEST

START_TEST(no_cookie_needed_0x202)
{
	struct tcp_seg sa;
	char buf[16];
	int cs;

	tfo_listener("0x202", 5);
	tfo_syn(41008, 1000, NULL, -1, "hello");
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, isn_for(41008), 1006);
	ck_assert(!sa.opt.has_fastopen);
	cs = tcpx_accept(h->e, ls, NULL);
	ck_assert_int_ge(cs, 0);
	ck_assert_int_eq(tcpx_recv(h->e, cs, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	/* A SYN without data and without the option stays a normal one. */
	tfo_syn(41009, 1000, NULL, -1, NULL);
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, isn_for(41009), 1001);
	ck_assert_int_eq(tcpx_accept(h->e, ls, NULL), -EAGAIN);
}
END_TEST

START_TEST(qlen_limit)
{
	struct tcp_seg sa;
	uint8_t c[16], clen;

	tfo_listener("3", 1);
	good_cookie(c, &clen);
	tfo_syn(41010, 1000, c, clen, "one");
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, isn_for(41010), 1004);
	/* One child still in SYN-RECEIVED fills a queue of one. */
	tfo_syn(41011, 2000, c, clen, "two");
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, isn_for(41011), 2001);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenListenOverflow"), 1);
	/* Once the first completes, there is room again. */
	peer_ack(41010, 1004, isn_for(41010) + 1);
	tfo_syn(41012, 3000, c, clen, "three");
	H_EXPECT(h, &sa, TH_SYN | TH_ACK, isn_for(41012), 3006);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenPassive"), 2);
}
END_TEST

START_TEST(client_cache_lru)
{
	uint8_t c[16], got[16], len;
	uint16_t mss;

	ck_assert(!tcp_fastopen_cache_get(h->e, htonl(0x0a000001), got, &len,
	    &mss));
	for (uint32_t i = 0; i < 65; i++) {
		memset(c, (int)i, sizeof(c));
		tcp_fastopen_cache_set(h->e, htonl(0x0b000000 + i), c, 8,
		    (uint16_t)(1000 + i));
		/* Keep the first server recently used. */
		if (i > 0)
			ck_assert(tcp_fastopen_cache_get(h->e,
			    htonl(0x0b000000), got, &len, &mss));
	}
	ck_assert(tcp_fastopen_cache_get(h->e, htonl(0x0b000000), got, &len,
	    &mss));
	ck_assert_uint_eq(mss, 1000);
	/* The least recently used (the second) gave its slot up. */
	ck_assert(!tcp_fastopen_cache_get(h->e, htonl(0x0b000001), got, &len,
	    &mss));
	ck_assert(tcp_fastopen_cache_get(h->e, htonl(0x0b000040), got, &len,
	    &mss));
	ck_assert_uint_eq(len, 8);
	ck_assert_uint_eq(got[0], 64);
	ck_assert_uint_eq(mss, 1064);
}
END_TEST

static Suite *
fastopen_suite(void)
{
	Suite *s = suite_create("fastopen");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cookie_request);
	tcase_add_test(tc, good_cookie_data_before_third_ack);
	tcase_add_test(tc, good_cookie_synack_retransmitted);
	tcase_add_test(tc, bad_cookie_falls_back);
	tcase_add_test(tc, missing_cookie_normal);
	tcase_add_test(tc, server_bit_clear_ignores);
	tcase_add_test(tc, zero_qlen_ignores);
	tcase_add_test(tc, no_cookie_needed_0x202);
	tcase_add_test(tc, qlen_limit);
	tcase_add_test(tc, client_cache_lru);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fastopen_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
