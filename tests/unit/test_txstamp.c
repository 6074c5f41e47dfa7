/*
 * test_txstamp.c - the send-time record (core/tcp_txstamp.c) on its
 * own: what an ACK or a SACK newly covers of it, the RTT samples Linux
 * takes from that (first and last original segment, nothing from a
 * resent one), the cuts a resend or a SACK makes in a GSO stretch, and
 * a partial ACK counting only whole segments.  The clock is the fake
 * one; sequence numbers start at SEQ0 with a 1000-byte MSS.
 */
#include <check.h>
#include <string.h>

#include "harness.h"

#define SEQ0	0xfffff000u	/* the record must not mind the wrap */
#define MSS	1000u

static struct harness *h;
static struct tcp_sock *sk;

static void
setup(void)
{
	h = h_new();
	sk = tcp_sock_alloc(h->e);
	ck_assert_ptr_nonnull(sk);
	sk->mss = MSS;
	sk->snd_una = sk->snd_max = SEQ0;
}

static void
teardown(void)
{
	tcp_sock_free(h->e, sk);
	h_free(h);
	h = NULL;
}

/* [SEQ0 + a, SEQ0 + b) goes out `dt` us after the last one did. */
static void
sent(uint32_t a, uint32_t b, uint64_t dt)
{
	h_advance(h, dt);
	tcp_txstamp_sent(h->e, sk, SEQ0 + a, SEQ0 + b);
	if (SEQ_GT(SEQ0 + b, sk->snd_max))
		sk->snd_max = SEQ0 + b;
}

/* SND.UNA moves to SEQ0 + a; returns what the ACK newly covered. */
static struct tcp_ackstamp
acked(uint32_t a)
{
	struct tcp_ackstamp as;

	memset(&as, 0, sizeof(as));
	tcp_txstamp_acked(h->e, sk, SEQ0 + a, &as);
	sk->snd_una = SEQ0 + a;
	return as;
}

static struct tcp_ackstamp
sacked(uint32_t a, uint32_t b)
{
	struct tcp_ackstamp as;

	memset(&as, 0, sizeof(as));
	tcp_txstamp_sacked(h->e, sk, SEQ0 + a, SEQ0 + b, &as);
	return as;
}

START_TEST(test_first_and_last_acked)
{
	struct tcp_ackstamp as;
	uint64_t t0 = h->now;

	sent(0, 1000, 0);
	sent(1000, 2000, 5000);
	sent(2000, 3000, 5000);
	/* One ACK for two: the first went at t0, the last 5 ms later. */
	as = acked(2000);
	ck_assert(as.acked && as.have_acked && !as.retrans_acked);
	ck_assert_uint_eq(as.first_acked_sent, t0);
	ck_assert_uint_eq(as.acked_sent, t0 + 5000);
	ck_assert_uint_eq(sk->txs.n, 1);
	/* A duplicate ACK covers nothing new. */
	as = acked(2000);
	ck_assert(!as.acked && !as.have_acked);
	as = acked(3000);
	ck_assert_uint_eq(as.first_acked_sent, t0 + 10000);
	ck_assert_uint_eq(sk->txs.n, 0);
}
END_TEST

START_TEST(test_resent_is_no_sample)
{
	struct tcp_ackstamp as;
	uint64_t t0 = h->now;

	sent(0, 1000, 0);
	sent(1000, 2000, 1000);
	sent(0, 1000, 200000);	/* resent (an RTO) */
	/* Karn: the ACK covers a resent segment, so no cumulative sample. */
	as = acked(2000);
	ck_assert(as.acked && as.retrans_acked);
	/* The original one among them is still told (Linux's last_ackt). */
	ck_assert(as.have_acked);
	ck_assert_uint_eq(as.acked_sent, t0 + 1000);
}
END_TEST

START_TEST(test_resend_cuts_gso_stretch)
{
	struct tcp_ackstamp as;
	uint64_t t0 = h->now;

	/* A 4-segment super-segment; its second segment is resent. */
	sent(0, 4000, 0);
	sent(1000, 2000, 50000);
	ck_assert_uint_eq(sk->txs.n, 3);
	as = acked(1000);
	ck_assert(as.have_acked && !as.retrans_acked);
	ck_assert_uint_eq(as.acked_sent, t0);
	as = acked(2000);
	ck_assert(as.retrans_acked);
	as = acked(4000);
	ck_assert(as.have_acked && !as.retrans_acked);
	ck_assert_uint_eq(as.acked_sent, t0);
}
END_TEST

START_TEST(test_partial_ack_whole_segments)
{
	struct tcp_ackstamp as;

	sent(0, 3000, 0);
	sent(3000, 4000, 0);
	/* Half a segment of a 3-segment stretch: not a packet acked yet. */
	as = acked(500);
	ck_assert(!as.acked);
	/* Past the first whole segment: it counts (Linux's tcp_tso_acked). */
	as = acked(1000);
	ck_assert(as.acked && as.have_acked);
	as = acked(3000);
	ck_assert(as.acked && as.have_acked);
	/* A single segment partly acknowledged never counts. */
	as = acked(3500);
	ck_assert(!as.acked);
	as = acked(4000);
	ck_assert(as.acked);
}
END_TEST

START_TEST(test_sacked)
{
	struct tcp_ackstamp as;
	uint64_t t0 = h->now;

	sent(0, 1000, 0);
	sent(1000, 2000, 1000);
	sent(2000, 3000, 1000);
	sent(3000, 4000, 1000);
	/* The first and the last original segments newly SACKed. */
	as = sacked(1000, 3000);
	ck_assert(as.have_sacked);
	ck_assert_uint_eq(as.first_sacked_sent, t0 + 1000);
	ck_assert_uint_eq(as.sacked_sent, t0 + 2000);
	/* SACKed again: nothing new. */
	as = sacked(1000, 3000);
	ck_assert(!as.have_sacked);
	/* The hole filled: the SACKed ones were counted already. */
	as = acked(3000);
	ck_assert(as.acked && as.have_acked);
	ck_assert_uint_eq(as.first_acked_sent, t0);
	ck_assert_uint_eq(as.acked_sent, t0);
	/* A resent segment SACKed gives no sample either. */
	sent(3000, 4000, 300000);
	as = sacked(3000, 4000);
	ck_assert(!as.have_sacked);
}
END_TEST

START_TEST(test_sack_cuts_whole_segments)
{
	struct tcp_ackstamp as;

	/* A block from the middle of one segment to the middle of another. */
	sent(0, 4000, 0);
	as = sacked(1500, 3500);
	ck_assert(as.have_sacked);
	ck_assert_uint_eq(as.sacked_seq, SEQ0 + 2000);
	ck_assert_uint_eq(as.first_sacked_seq, SEQ0 + 2000);
	ck_assert_uint_eq(sk->txs.n, 3);
	/* A block inside one segment marks nothing. */
	as = sacked(500, 900);
	ck_assert(!as.have_sacked);
	ck_assert_uint_eq(sk->txs.n, 3);
}
END_TEST

START_TEST(test_reneging_unsacks)
{
	struct tcp_ackstamp as;

	sent(0, 1000, 0);
	sent(1000, 2000, 1000);
	(void)sacked(1000, 2000);
	/* The scoreboard starts over: the segment is news again. */
	tcp_sack_reset(sk);
	as = acked(2000);
	ck_assert_uint_eq(as.acked_sent, h->now);
}
END_TEST

START_TEST(test_passed_without_ack)
{
	struct tcp_ackstamp as;
	uint64_t t0 = h->now;

	/* A Fast Open SYN's data: SND.UNA passes it with the SYN-ACK. */
	sent(0, 1000, 0);
	sent(1000, 2000, 7000);
	sk->snd_una = SEQ0 + 1000;
	as = acked(2000);
	ck_assert_uint_eq(as.first_acked_sent, t0 + 7000);
}
END_TEST

START_TEST(test_many_in_flight)
{
	struct tcp_ackstamp as;

	/* Ten thousand segments out: the record grows, then lets go. */
	for (uint32_t i = 0; i < 10000; i++)
		sent(i * MSS, (i + 1) * MSS, 1);
	ck_assert_uint_eq(sk->txs.n, 10000);
	as = acked(5000 * MSS);
	ck_assert_uint_eq(as.acked_sent - as.first_acked_sent, 4999);
	as = acked(10000 * MSS);
	ck_assert_uint_eq(sk->txs.n, 0);
	ck_assert_ptr_null(sk->txs.v);
}
END_TEST

static Suite *
txstamp_suite(void)
{
	Suite *s = suite_create("tcp_txstamp");
	TCase *tc = tcase_create("txstamp");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_first_and_last_acked);
	tcase_add_test(tc, test_resent_is_no_sample);
	tcase_add_test(tc, test_resend_cuts_gso_stretch);
	tcase_add_test(tc, test_partial_ack_whole_segments);
	tcase_add_test(tc, test_sacked);
	tcase_add_test(tc, test_sack_cuts_whole_segments);
	tcase_add_test(tc, test_reneging_unsacks);
	tcase_add_test(tc, test_passed_without_ack);
	tcase_add_test(tc, test_many_in_flight);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(txstamp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
