/*
 * test_hash.c - the connection hash at 100,000 entries, and the port
 * table: Linux's bind() conflict rules, ephemeral port choice, and
 * listener lookup.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tcp_listen.h"
#include "tcp_timewait.h"

#define NCONN	100000

static struct harness *h;

static void
setup(void)
{
	h = h_new();
}

static void
teardown(void)
{
	h_free(h);
}

static struct tcp_tuple
tuple_n(uint32_t i)
{
	struct tcp_tuple t;

	/* Many peers, many client ports, one server port: a busy server. */
	t.laddr = H_LOCAL_ADDR;
	t.raddr = htonl(0x0a010000 + (i >> 10));
	t.lport = 80;
	t.rport = (uint16_t)(32768 + (i & 1023));
	return t;
}

START_TEST(hash_100k)
{
	struct tcp_hnode *n = calloc(NCONN, sizeof(*n));
	struct tcp_stack *st = &h->e->tcp;
	struct tcp_tuple t;
	struct tcp_hnode *x;
	uint32_t longest = 0, len;

	ck_assert_ptr_nonnull(n);
	ck_assert_uint_le(st->ehash_mask + 1, 1024);
	for (uint32_t i = 0; i < NCONN; i++) {
		n[i].tuple = tuple_n(i);
		n[i].kind = TCP_HK_REQ;
		tcp_hash_insert(h->e, &n[i]);
	}
	ck_assert_uint_eq(st->ehash_count, NCONN);
	/* Doubled past load factor one: at least one bucket per entry. */
	ck_assert_uint_ge(st->ehash_mask + 1, NCONN);
	for (uint32_t i = 0; i < NCONN; i++) {
		t = tuple_n(i);
		ck_assert_ptr_eq(tcp_hash_lookup(h->e, &t), &n[i]);
	}
	/* Misses: a port, an address or the local side that is not there. */
	for (uint32_t i = 0; i < 1000; i++) {
		t = tuple_n(i);
		t.lport = 81;
		ck_assert_ptr_null(tcp_hash_lookup(h->e, &t));
		t = tuple_n(i);
		t.raddr = htonl(0x0b000000 + i);
		ck_assert_ptr_null(tcp_hash_lookup(h->e, &t));
	}
	/* O(1): no chain is long, even with tuples that differ in few bits. */
	for (uint32_t b = 0; b <= st->ehash_mask; b++) {
		len = 0;
		LIST_FOREACH(x, &st->ehash[b], link)
			len++;
		if (len > longest)
			longest = len;
	}
	ck_assert_uint_le(longest, 12);
	for (uint32_t i = 0; i < NCONN; i++)
		tcp_hash_remove(h->e, &n[i]);
	ck_assert_uint_eq(st->ehash_count, 0);
	t = tuple_n(7);
	ck_assert_ptr_null(tcp_hash_lookup(h->e, &t));
	free(n);
}
END_TEST

START_TEST(sizes_reported)
{
	/* The numbers the issue asks for; a TIME-WAIT bucket stays small. */
	fprintf(stderr, "sizeof(struct tcp_sock) = %zu, sizeof(struct tcp_tw) "
	    "= %zu, sizeof(struct tcp_req) = %zu\n", sizeof(struct tcp_sock),
	    sizeof(struct tcp_tw), sizeof(struct tcp_req));
	ck_assert_uint_le(sizeof(struct tcp_tw), 96);
	ck_assert_uint_le(sizeof(struct tcp_tw) * 4, sizeof(struct tcp_sock));
}
END_TEST

static int
sock_bound(bool reuseaddr, bool reuseport, uint32_t addr, uint16_t port,
    int *err)
{
	struct sockaddr_in sin;
	int s = tcpx_socket(h->e), one = 1;

	ck_assert_int_ge(s, 0);
	if (reuseaddr)
		ck_assert_int_eq(tcpx_setsockopt(h->e, s, SOL_SOCKET,
		    SO_REUSEADDR, &one, sizeof(one)), 0);
	if (reuseport)
		ck_assert_int_eq(tcpx_setsockopt(h->e, s, SOL_SOCKET,
		    SO_REUSEPORT, &one, sizeof(one)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = addr;
	sin.sin_port = htons(port);
	*err = tcpx_bind(h->e, s, &sin);
	return s;
}

START_TEST(bind_conflicts)
{
	int a, b, c, err;

	a = sock_bound(false, false, INADDR_ANY, 5000, &err);
	ck_assert_int_eq(err, 0);
	/* Same port, overlapping address, no SO_REUSEADDR: in use. */
	b = sock_bound(false, false, INADDR_ANY, 5000, &err);
	ck_assert_int_eq(err, -EADDRINUSE);
	c = sock_bound(false, false, H_LOCAL_ADDR, 5000, &err);
	ck_assert_int_eq(err, -EADDRINUSE);
	/* SO_REUSEADDR on one side only is not enough. */
	tcpx_close(h->e, b);
	b = sock_bound(true, false, INADDR_ANY, 5000, &err);
	ck_assert_int_eq(err, -EADDRINUSE);
	/* Closing the owner frees the port. */
	tcpx_close(h->e, a);
	tcpx_close(h->e, c);
	c = sock_bound(false, false, H_LOCAL_ADDR, 5000, &err);
	ck_assert_int_eq(err, 0);
	tcpx_close(h->e, b);
	tcpx_close(h->e, c);
}
END_TEST

START_TEST(bind_reuseaddr_then_listen)
{
	int a, b, err;

	a = sock_bound(true, false, INADDR_ANY, 6000, &err);
	ck_assert_int_eq(err, 0);
	b = sock_bound(true, false, H_LOCAL_ADDR, 6000, &err);
	ck_assert_int_eq(err, 0);
	/* Both may be bound; only one may listen (the other conflicts). */
	ck_assert_int_eq(tcpx_listen(h->e, a, 16), 0);
	ck_assert_int_eq(tcpx_listen(h->e, b, 16), -EADDRINUSE);
	/* And a new SO_REUSEADDR bind meets a listener now: in use. */
	tcpx_close(h->e, b);
	b = sock_bound(true, false, H_LOCAL_ADDR, 6000, &err);
	ck_assert_int_eq(err, -EADDRINUSE);
	tcpx_close(h->e, a);
	tcpx_close(h->e, b);
}
END_TEST

START_TEST(bind_reuseport_uid)
{
	int a, b, c, err;
	struct tcp_sock *sk;

	a = sock_bound(false, true, INADDR_ANY, 7000, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(tcpx_listen(h->e, a, 16), 0);
	b = sock_bound(false, true, INADDR_ANY, 7000, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(tcpx_listen(h->e, b, 16), 0);
	/* Another user may not join the group. */
	c = tcpx_socket(h->e);
	sk = tcp_sock_by_id(h->e, c);
	sk->opt.uid = 1000;
	sk->opt.reuseport = true;
	{
		struct sockaddr_in sin;

		h_local_sockaddr(&sin, 7000);
		sin.sin_addr.s_addr = INADDR_ANY;
		ck_assert_int_eq(tcpx_bind(h->e, c, &sin), -EADDRINUSE);
	}
	tcpx_close(h->e, a);
	tcpx_close(h->e, b);
	tcpx_close(h->e, c);
}
END_TEST

START_TEST(bind_errors)
{
	struct sockaddr_in sin;
	int s = tcpx_socket(h->e);

	h_local_sockaddr(&sin, 8000);
	sin.sin_addr.s_addr = htonl(0x0a000009);
	ck_assert_int_eq(tcpx_bind(h->e, s, &sin), -EADDRNOTAVAIL);
	sin.sin_family = AF_INET6;
	sin.sin_addr.s_addr = H_LOCAL_ADDR;
	ck_assert_int_eq(tcpx_bind(h->e, s, &sin), -EAFNOSUPPORT);
	h_local_sockaddr(&sin, 8000);
	ck_assert_int_eq(tcpx_bind(h->e, s, &sin), 0);
	/* inet_bind: a socket binds once. */
	h_local_sockaddr(&sin, 8001);
	ck_assert_int_eq(tcpx_bind(h->e, s, &sin), -EINVAL);
	ck_assert_int_eq(tcpx_bind(h->e, 999, &sin), -EBADF);
	tcpx_close(h->e, s);
}
END_TEST

START_TEST(bind_port_zero_odd)
{
	struct sockaddr_in sin, got;
	int s[20];
	uint16_t port;

	for (int i = 0; i < 20; i++) {
		s[i] = tcpx_socket(h->e);
		h_local_sockaddr(&sin, 0);
		ck_assert_int_eq(tcpx_bind(h->e, s[i], &sin), 0);
		ck_assert_int_eq(tcpx_getsockname(h->e, s[i], &got), 0);
		port = ntohs(got.sin_port);
		/* inet_csk_find_open_port: odd ports, leaving even to connect. */
		ck_assert_uint_ge(port, 32768);
		ck_assert_uint_le(port, 60999);
		ck_assert_uint_eq(port & 1, 1);
		for (int j = 0; j < i; j++) {
			struct sockaddr_in o;

			tcpx_getsockname(h->e, s[j], &o);
			ck_assert_uint_ne(o.sin_port, got.sin_port);
		}
	}
	for (int i = 0; i < 20; i++)
		tcpx_close(h->e, s[i]);
}
END_TEST

/* A socket given a tuple by tcp_port_pick_ephemeral (no SYN sent). */
static struct tcp_sock *
pick(uint32_t raddr, uint16_t rport, int *err)
{
	struct tcp_sock *sk = tcp_sock_alloc(h->e);

	ck_assert_ptr_nonnull(sk);
	*err = tcp_port_pick_ephemeral(h->e, sk, raddr, rport);
	return sk;
}

START_TEST(ephemeral_shared_port)
{
	struct tcp_sock *a, *b, *c, *d;
	struct tcp_tuple t;
	int err;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.ip_local_port_range",
	    "40000 40001"), 0);
	/* One even port: every destination may use it once. */
	a = pick(H_PEER_ADDR, 80, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(a->h.tuple.lport, 40000);
	ck_assert_uint_eq(a->h.tuple.laddr, H_LOCAL_ADDR);
	t = a->h.tuple;
	ck_assert_ptr_eq(tcp_hash_lookup(h->e, &t), &a->h);
	b = pick(H_PEER_ADDR, 81, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(b->h.tuple.lport, 40000);
	/* The same destination again: the odd port next. */
	c = pick(H_PEER_ADDR, 80, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(c->h.tuple.lport, 40001);
	/* And then nothing is left for it. */
	d = pick(H_PEER_ADDR, 80, &err);
	ck_assert_int_eq(err, -EADDRNOTAVAIL);
	tcp_sock_free(h->e, a);
	tcp_sock_free(h->e, b);
	tcp_sock_free(h->e, c);
	tcp_sock_free(h->e, d);
}
END_TEST

START_TEST(ephemeral_skips_bound_port)
{
	struct tcp_sock *a;
	int s, err;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.ip_local_port_range",
	    "40000 40003"), 0);
	s = sock_bound(false, false, INADDR_ANY, 40000, &err);
	ck_assert_int_eq(err, 0);
	/* A port bind() holds is not shared with connect(): 40002 next. */
	a = pick(H_PEER_ADDR, 80, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_ne(a->h.tuple.lport, 40000);
	ck_assert_uint_eq(a->h.tuple.lport & 1, 0);
	tcp_sock_free(h->e, a);
	tcpx_close(h->e, s);
}
END_TEST

START_TEST(ephemeral_spread)
{
	struct tcp_sock *sk[64];
	int err, even = 0;

	/* Different destinations start from different, keyed offsets. */
	for (int i = 0; i < 64; i++) {
		sk[i] = pick(htonl(0x0a000100 + i), 80, &err);
		ck_assert_int_eq(err, 0);
		ck_assert_uint_ge(sk[i]->h.tuple.lport, 32768);
		ck_assert_uint_le(sk[i]->h.tuple.lport, 60999);
		even += (sk[i]->h.tuple.lport & 1) == 0;
	}
	ck_assert_int_eq(even, 64);
	ck_assert_uint_ne(sk[0]->h.tuple.lport, sk[1]->h.tuple.lport);
	for (int i = 0; i < 64; i++)
		tcp_sock_free(h->e, sk[i]);
}
END_TEST

START_TEST(listener_exact_beats_any)
{
	int a, b, err;
	struct tcp_sock *l;

	a = sock_bound(false, true, INADDR_ANY, 9000, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(tcpx_listen(h->e, a, 8), 0);
	ck_assert_ptr_eq(tcp_listener_lookup(h->e, H_LOCAL_ADDR, 9000),
	    tcp_sock_by_id(h->e, a));
	b = sock_bound(false, true, H_LOCAL_ADDR, 9000, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(tcpx_listen(h->e, b, 8), 0);
	l = tcp_listener_lookup(h->e, H_LOCAL_ADDR, 9000);
	ck_assert_ptr_eq(l, tcp_sock_by_id(h->e, b));
	ck_assert_ptr_null(tcp_listener_lookup(h->e, H_LOCAL_ADDR, 9001));
	tcpx_close(h->e, b);
	ck_assert_ptr_eq(tcp_listener_lookup(h->e, H_LOCAL_ADDR, 9000),
	    tcp_sock_by_id(h->e, a));
	tcpx_close(h->e, a);
	ck_assert_ptr_null(tcp_listener_lookup(h->e, H_LOCAL_ADDR, 9000));
}
END_TEST

START_TEST(listener_reuseport_group)
{
	int s[4], err, hits[4] = { 0 };
	struct tcp_tuple t;
	struct tcp_sock *l, *again;

	for (int i = 0; i < 4; i++) {
		s[i] = sock_bound(false, true, INADDR_ANY, 9100, &err);
		ck_assert_int_eq(err, 0);
		ck_assert_int_eq(tcpx_listen(h->e, s[i], 8), 0);
	}
	for (uint32_t i = 0; i < 4000; i++) {
		t.laddr = H_LOCAL_ADDR;
		t.lport = 9100;
		t.raddr = htonl(0x0a000001 + (i >> 8));
		t.rport = (uint16_t)(40000 + i);
		l = tcp_listener_lookup_tuple(h->e, &t);
		again = tcp_listener_lookup_tuple(h->e, &t);
		/* One handshake always reaches the same listener. */
		ck_assert_ptr_eq(l, again);
		for (int k = 0; k < 4; k++)
			if (l == tcp_sock_by_id(h->e, s[k]))
				hits[k]++;
	}
	/* Spread over all four, roughly evenly. */
	for (int k = 0; k < 4; k++)
		ck_assert_int_gt(hits[k], 700);
	for (int i = 0; i < 4; i++)
		tcpx_close(h->e, s[i]);
}
END_TEST

static Suite *
hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hash_100k);
	tcase_add_test(tc, sizes_reported);
	tcase_add_test(tc, bind_conflicts);
	tcase_add_test(tc, bind_reuseaddr_then_listen);
	tcase_add_test(tc, bind_reuseport_uid);
	tcase_add_test(tc, bind_errors);
	tcase_add_test(tc, bind_port_zero_odd);
	tcase_add_test(tc, ephemeral_shared_port);
	tcase_add_test(tc, ephemeral_skips_bound_port);
	tcase_add_test(tc, ephemeral_spread);
	tcase_add_test(tc, listener_exact_beats_any);
	tcase_add_test(tc, listener_reuseport_group);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hash_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
