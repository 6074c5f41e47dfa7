/*
 * test_tcp_close.c - closing (core/tcp_usr.c CLOSE and shutdown,
 * tcp_input.c FIN processing, tcp_timer.c FIN-WAIT-2 and orphan
 * retries): the four-way close from either side, simultaneous close
 * through CLOSING, half-close with data still arriving, the orphan
 * FIN-WAIT-2 timeout, orphan FIN retries, tcp_max_orphans.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tcp_fixture.h"

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
	h = NULL;
}

START_TEST(test_active_close_four_way)
{
	struct fx_conn c;
	struct tcp_seg seg;

	fx_establish(h, &c);
	ck_assert_int_eq(tcpx_close(h->e, c.s), 0);
	/* FIN-WAIT-1: our FIN, sequence ISS+1. */
	fx_expect(h, &c, &seg, TH_FIN | TH_ACK, c.iss + 1, c.rcv);
	ck_assert_int_eq(fx_state_of(h, c.lport), TCP_ST_FIN_WAIT_1);
	ck_assert_int_eq(tcpx_state(h->e, c.s), -EBADF);
	ck_assert_uint_eq(h->e->tcp.orphans, 1);
	c.snd++;
	/* The peer ACKs the FIN: FIN-WAIT-2, nothing sent. */
	fx_peer(h, &c, TH_ACK, NULL, 0);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(fx_state_of(h, c.lport), TCP_ST_FIN_WAIT_2);
	/* Its FIN: ACKed at once, TIME-WAIT. */
	h_advance(h, 1000);
	fx_peer(h, &c, TH_FIN | TH_ACK, NULL, 0);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(fx_state_of(h, c.lport), TCP_ST_TIME_WAIT);
	ck_assert_uint_eq(h->e->tcp.orphans, 0);
	ck_assert_uint_eq(h_mib(h, "Tcp:CurrEstab"), 0);
	ck_assert_uint_eq(h_mib(h, "Tcp:EstabResets"), 0);
}
END_TEST

START_TEST(test_passive_close_four_way)
{
	struct fx_conn c;
	struct tcp_seg seg;
	char buf[4];
	uint64_t t;

	fx_establish(h, &c);
	/*
	 * The peer's FIN: CLOSE-WAIT, EOF; the ACK waits (delayed).  No data
	 * came before it, so the delayed-ACK engine has no ato yet: Linux
	 * sends the ACK at the next tick (4 ms at HZ=250), not after 40 ms.
	 */
	fx_peer(h, &c, TH_FIN | TH_ACK, NULL, 0);
	t = h->now;
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_CLOSE_WAIT);
	ck_assert(h_events(h, c.s) & TCPX_EV_IN);
	ck_assert(tcpx_poll(h->e, c.s) & POLLRDHUP);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 0);
	H_EXPECT_NONE(h);
	h_run_until(h, t + 3999);
	H_EXPECT_NONE(h);
	h_run_until(h, t + 40000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_eq(h->last_sent_us - t, 4000);
	ck_assert_uint_eq(h_mib(h, "TcpExt:DelayedACKs"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:CurrEstab"), 1);	/* CLOSE-WAIT */
	/* The application closes: our FIN, LAST-ACK. */
	ck_assert_int_eq(tcpx_close(h->e, c.s), 0);
	fx_expect(h, &c, &seg, TH_FIN | TH_ACK, c.snd, c.rcv);
	ck_assert_int_eq(fx_state_of(h, c.lport), TCP_ST_LAST_ACK);
	c.snd++;
	/* Its ACK: CLOSED, the connection is gone, no TIME-WAIT here. */
	fx_peer(h, &c, TH_ACK, NULL, 0);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(fx_state_of(h, c.lport), 0);
	ck_assert_uint_eq(h_mib(h, "Tcp:CurrEstab"), 0);
	ck_assert_uint_eq(h_mib(h, "Tcp:EstabResets"), 0);
	ck_assert_uint_eq(h->e->tcp.orphans, 0);
	ck_assert_uint_eq(tcpx_next_deadline(h->e), UINT64_MAX);
}
END_TEST

START_TEST(test_passive_close_fin_carries_ack)
{
	struct fx_conn c;
	struct tcp_seg seg;

	fx_establish(h, &c);
	fx_peer(h, &c, TH_FIN | TH_ACK, NULL, 0);
	h_advance(h, 2000);
	/* Closing within the delayed-ACK time: one FIN|ACK does both. */
	tcpx_close(h->e, c.s);
	fx_expect(h, &c, &seg, TH_FIN | TH_ACK, c.snd, c.rcv);
	h_run_until(h, h->now + 100000);
	H_EXPECT_NONE(h);
}
END_TEST

START_TEST(test_simultaneous_close)
{
	struct fx_conn c;
	struct tcp_seg seg;

	fx_establish(h, &c);
	tcpx_close(h->e, c.s);
	fx_expect(h, &c, &seg, TH_FIN | TH_ACK, c.iss + 1, c.rcv);
	/* The peer's FIN crosses ours (it has not seen ours: ack = ISS+1). */
	fx_peer(h, &c, TH_FIN | TH_ACK, NULL, 0);
	fx_expect(h, &c, &seg, TH_ACK, c.iss + 2, c.rcv);
	ck_assert_int_eq(fx_state_of(h, c.lport), TCP_ST_CLOSING);
	/* Then its ACK of our FIN: TIME-WAIT. */
	c.snd = c.iss + 2;
	fx_send(h, &c, TH_ACK, c.rcv, c.snd, NULL, 0, 65535);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(fx_state_of(h, c.lport), TCP_ST_TIME_WAIT);
}
END_TEST

START_TEST(test_half_close)
{
	struct fx_conn c;
	struct tcp_seg seg;
	char buf[64];

	fx_establish(h, &c);
	ck_assert_int_eq(tcpx_send(h->e, c.s, "req", 3, 0), 3);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH, c.snd, c.rcv);
	c.snd += 3;
	ck_assert_int_eq(tcpx_shutdown(h->e, c.s, SHUT_WR), 0);
	fx_expect(h, &c, &seg, TH_FIN | TH_ACK, c.snd, c.rcv);
	c.snd++;
	ck_assert_int_eq(tcpx_send(h->e, c.s, "x", 1, 0), -EPIPE);
	fx_peer(h, &c, TH_ACK, NULL, 0);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_FIN_WAIT_2);
	/* The peer keeps sending; we keep receiving and acknowledging. */
	for (int i = 0; i < 3; i++) {
		h_advance(h, 1000);
		fx_peer(h, &c, TH_ACK | TH_PSH, "response", 8);
		fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	}
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 24);
	ck_assert_mem_eq(buf, "responseresponseresponse", 24);
	/* A socket the application holds waits in FIN-WAIT-2 for ever. */
	h_run_until(h, h->now + 3600ULL * 1000000);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_FIN_WAIT_2);
	fx_peer(h, &c, TH_FIN | TH_ACK, NULL, 0);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_int_eq(fx_state_of(h, c.lport), TCP_ST_TIME_WAIT);
	/* The application's socket reads EOF. */
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(tcpx_close(h->e, c.s), 0);
}
END_TEST

START_TEST(test_fin_wait_2_timeout)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint64_t t;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_fin_timeout",
	    "10"), 0);
	fx_establish(h, &c);
	tcpx_close(h->e, c.s);
	fx_expect(h, &c, &seg, TH_FIN | TH_ACK, c.snd, c.rcv);
	c.snd++;
	fx_peer(h, &c, TH_ACK, NULL, 0);
	t = h->now;
	ck_assert_int_eq(fx_state_of(h, c.lport), TCP_ST_FIN_WAIT_2);
	h_run_until(h, t + 10000000 - 1);
	ck_assert_int_eq(fx_state_of(h, c.lport), TCP_ST_FIN_WAIT_2);
	h_run_until(h, t + 10000000);
	/* Gone silently, as Linux's FIN-WAIT-2 timewait bucket expires. */
	H_EXPECT_NONE(h);
	ck_assert_int_eq(fx_state_of(h, c.lport), 0);
	ck_assert_uint_eq(h->e->tcp.orphans, 0);
	/* A late FIN now meets no connection: RST. */
	fx_peer(h, &c, TH_FIN | TH_ACK, NULL, 0);
	H_EXPECT(h, &seg, TH_RST, c.snd, 0);
}
END_TEST

/* FIN retransmissions of an orphan until it gives up; returns the count. */
static unsigned
fin_retries(struct fx_conn *c, uint64_t *dead_after)
{
	struct tcp_seg seg;
	unsigned n = 0;
	uint64_t t0;

	tcpx_close(h->e, c->s);
	fx_expect(h, c, &seg, TH_FIN | TH_ACK, c->snd, c->rcv);
	t0 = h->last_sent_us;
	while (fx_state_of(h, c->lport) != 0) {
		h_run_until(h, tcpx_next_deadline(h->e));
		if (h_take(h, &seg)) {
			ck_assert_uint_eq(seg.flags, TH_FIN | TH_ACK);
			ck_assert_uint_eq(seg.seq, c->snd);
			n++;
		}
	}
	*dead_after = h->now - t0;
	return n;
}

START_TEST(test_orphan_fin_retries_default)
{
	struct fx_conn c;
	uint64_t dead;

	/* RTO 210 ms; tcp_orphan_retries 0 means 8: Linux's model gives up
	 * once 0.2 * (2^9 - 1) = 102.2 s have passed since the first
	 * retransmission, the tail loss probe at 0.21 s; then RTOs at
	 * 0.42 s doubling: dead at 0.21 * 2^9 s, after the probe and 8
	 * retransmissions. */
	fx_establish(h, &c);
	ck_assert_uint_eq(fin_retries(&c, &dead), 9);
	ck_assert_uint_eq(dead, 210000ULL * 512);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAbortOnTimeout"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPLossProbes"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 9);
	ck_assert_uint_eq(h->e->tcp.orphans, 0);
}
END_TEST

START_TEST(test_orphan_fin_retries_sysctl)
{
	struct fx_conn c;
	uint64_t dead;

	/* tcp_orphan_retries 2: budget 1.4 s after the first retransmission
	 * (the probe at 0.21 s); RTOs at 0.42, 0.84 s; dead at 1.68 s. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_orphan_retries",
	    "2"), 0);
	fx_establish(h, &c);
	ck_assert_uint_eq(fin_retries(&c, &dead), 3);
	ck_assert_uint_eq(dead, 210000ULL * 8);
}
END_TEST

START_TEST(test_max_orphans)
{
	struct fx_conn c;
	struct tcp_seg seg;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_max_orphans",
	    "0"), 0);
	fx_establish(h, &c);
	tcpx_close(h->e, c.s);
	/* The FIN goes, then the orphan is one too many: RST. */
	fx_expect(h, &c, &seg, TH_FIN | TH_ACK, c.snd, c.rcv);
	fx_expect(h, &c, &seg, TH_RST | TH_ACK, c.snd + 1, c.rcv);
	ck_assert_int_eq(fx_state_of(h, c.lport), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAbortOnMemory"), 1);
	ck_assert_uint_eq(h->e->tcp.orphans, 0);
}
END_TEST

START_TEST(test_close_in_syn_sent)
{
	struct fx_conn c;

	fx_connect(h, &c);
	tcpx_close(h->e, c.s);
	/* Nothing to say to the peer; the attempt just ends. */
	H_EXPECT_NONE(h);
	ck_assert_int_eq(fx_state_of(h, c.lport), 0);
	ck_assert_uint_eq(tcpx_next_deadline(h->e), UINT64_MAX);
	/* Its SYN-ACK now gets a RST. */
	fx_send(h, &c, TH_SYN | TH_ACK, FX_PEER_ISN, c.iss + 1, NULL, 0,
	    1000);
	ck_assert_uint_eq(h_out_count(h), 1);
}
END_TEST

START_TEST(test_fin_after_data_queued)
{
	struct fx_conn c;
	struct tcp_seg seg;
	static uint8_t big[3000];
	int one = 1;

	fx_establish(h, &c);
	memset(big, 'z', sizeof(big));
	/* Corked: full segments go, the 104-byte tail waits. */
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, IPPROTO_TCP, TCP_CORK,
	    &one, sizeof(one)), 0);
	ck_assert_int_eq(tcpx_send(h->e, c.s, big, sizeof(big), 0), 3000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_eq(seg.len, 1448);
	fx_expect(h, &c, &seg, TH_ACK, c.snd + 1448, c.rcv);
	ck_assert_uint_eq(seg.len, 1448);
	H_EXPECT_NONE(h);
	/* close(): the FIN rides on the last data (FIN after data). */
	tcpx_close(h->e, c.s);
	fx_expect(h, &c, &seg, TH_ACK | TH_PSH | TH_FIN, c.snd + 2896, c.rcv);
	ck_assert_uint_eq(seg.len, 104);
	H_EXPECT_NONE(h);
}
END_TEST

static Suite *
close_suite(void)
{
	Suite *s = suite_create("tcp_close");
	TCase *tc = tcase_create("close");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_active_close_four_way);
	tcase_add_test(tc, test_passive_close_four_way);
	tcase_add_test(tc, test_passive_close_fin_carries_ack);
	tcase_add_test(tc, test_simultaneous_close);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_fin_wait_2_timeout);
	tcase_add_test(tc, test_orphan_fin_retries_default);
	tcase_add_test(tc, test_orphan_fin_retries_sysctl);
	tcase_add_test(tc, test_max_orphans);
	tcase_add_test(tc, test_close_in_syn_sent);
	tcase_add_test(tc, test_fin_after_data_queued);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(close_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
