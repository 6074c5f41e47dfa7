/*
 * test_tcp_rst.c - resets (core/tcp_input.c, tcp_subr.c, tcp_usr.c):
 * RFC 5961 RST acceptance (exact sequence accepted, in-window answered
 * with a challenge ACK, out of window dropped), SYN in ESTABLISHED, the
 * per-socket and host-wide challenge-ACK rate limits, duplicate ACKs for
 * segments outside the window, PAWS, RFC 9293 replies for segments no
 * connection takes, and the resets we send on close (unread data,
 * SO_LINGER {1, 0}, data for an application that closed).
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

START_TEST(test_rst_exact_accepted)
{
	struct fx_conn c;
	char buf[8];

	fx_establish(h, &c);
	fx_peer(h, &c, TH_ACK | TH_PSH, "abc", 3);
	h_clear_out(h);
	fx_send(h, &c, TH_RST, c.rcv, 0, NULL, 0, 0);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_CLOSED);
	ck_assert(h_events(h, c.s) & TCPX_EV_ERR);
	ck_assert(tcpx_poll(h->e, c.s) & (POLLERR | POLLHUP));
	/* Queued data first, then the error once, then EOF (Linux). */
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 3);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0),
	    -ECONNRESET);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(tcpx_send(h->e, c.s, "x", 1, 0), -EPIPE);
	ck_assert_uint_eq(h_mib(h, "Tcp:EstabResets"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:CurrEstab"), 0);
	ck_assert_uint_eq(tcpx_next_deadline(h->e), UINT64_MAX);
	/* The tuple is free: a segment for it now gets a RST. */
	fx_peer(h, &c, TH_ACK, NULL, 0);
	ck_assert_uint_eq(h_out_count(h), 1);
	tcpx_close(h->e, c.s);
}
END_TEST

START_TEST(test_rst_in_window_challenged)
{
	struct fx_conn c;
	struct tcp_seg seg;

	fx_establish(h, &c);
	/* RFC 5961 3.2: in the window but not RCV.NXT: challenge ACK. */
	fx_send(h, &c, TH_RST, c.rcv + 100, 0, NULL, 0, 0);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPChallengeACK"), 1);
	/* Out of the window: dropped silently. */
	h_advance(h, 1000000);
	fx_send(h, &c, TH_RST, c.rcv + 10000000, 0, NULL, 0, 0);
	fx_send(h, &c, TH_RST, c.rcv - 1, 0, NULL, 0, 0);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPChallengeACK"), 1);
	/* The peer's answer to the challenge: the exact RST. */
	fx_send(h, &c, TH_RST, c.rcv, 0, NULL, 0, 0);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_CLOSED);
	ck_assert_int_eq(tcpx_sock_error(h->e, c.s), ECONNRESET);
}
END_TEST

START_TEST(test_syn_in_established)
{
	struct fx_conn c;
	struct tcp_seg seg;
	struct h_seg s;

	fx_establish(h, &c);
	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c.lport;
	s.seq = c.rcv + 5;
	s.flags = TH_SYN;
	s.wnd = 1000;
	h_inject(h, &s);
	/* RFC 5961 4.2: never a reset, a challenge ACK. */
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSYNChallenge"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPChallengeACK"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:InErrs"), 1);
	/* Out of the window too. */
	h_advance(h, 600000);
	s.seq = c.rcv - 100000;
	h_inject(h, &s);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSYNChallenge"), 2);
}
END_TEST

START_TEST(test_challenge_rate_limit)
{
	struct fx_conn c, d;
	struct tcp_seg seg;

	fx_establish(h, &c);
	/* Per socket: one per tcp_invalid_ratelimit (500 ms). */
	fx_send(h, &c, TH_RST, c.rcv + 1, 0, NULL, 0, 0);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	h_advance(h, 499000);
	fx_send(h, &c, TH_RST, c.rcv + 2, 0, NULL, 0, 0);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPACKSkippedChallenge"), 1);
	h_advance(h, 1000);
	fx_send(h, &c, TH_RST, c.rcv + 3, 0, NULL, 0, 0);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPChallengeACK"), 2);

	/* Host-wide: tcp_challenge_ack_limit per second, over all sockets. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e,
	    "net.ipv4.tcp_challenge_ack_limit", "1"), 0);
	h_advance(h, 1000000 - h->now % 1000000);	/* a fresh second */
	fx_establish(h, &d);
	fx_send(h, &c, TH_RST, c.rcv + 4, 0, NULL, 0, 0);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	fx_send(h, &d, TH_RST, d.rcv + 4, 0, NULL, 0, 0);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPChallengeACK"), 3);
	/* The next second has a new budget. */
	h_advance(h, 1000000);
	fx_send(h, &d, TH_RST, d.rcv + 5, 0, NULL, 0, 0);
	fx_expect(h, &d, &seg, TH_ACK, d.snd, d.rcv);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPChallengeACK"), 4);
}
END_TEST

START_TEST(test_out_of_window_dupack)
{
	struct fx_conn c;
	struct tcp_seg seg;
	char buf[8];

	fx_establish(h, &c);
	/* Data far beyond the window: dropped, duplicate ACK. */
	fx_send(h, &c, TH_ACK, c.rcv + 1000000, c.snd, "far", 3, 1000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	/* Old data (a retransmission): ACKed again, not delivered twice. */
	fx_peer(h, &c, TH_ACK | TH_PSH, "new", 3);
	h_clear_out(h);
	fx_send(h, &c, TH_ACK, c.rcv - 3, c.snd, "new", 3, 1000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 3);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), -EAGAIN);
	/* An ACK for data never sent: challenge ACK, dropped. */
	h_advance(h, 600000);
	fx_send(h, &c, TH_ACK, c.rcv, c.snd + 5000, "zz", 2, 1000);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
}
END_TEST

/*
 * RFC 7323 5: after a fresh segment sets TS.Recent, data `lag` ticks
 * older is dropped and ACKed, the `estab`th PAWSEstab.
 */
static void
paws_rejects(struct fx_conn *c, uint32_t lag, unsigned estab)
{
	struct tcp_seg seg;
	char buf[8];

	fx_peer(h, c, TH_ACK | TH_PSH, "one", 3);
	h_clear_out(h);
	c->peer_ts -= lag;
	fx_send(h, c, TH_ACK | TH_PSH, c->rcv, c->snd, "two", 3, 1000);
	fx_expect(h, c, &seg, TH_ACK, c->snd, c->rcv);
	ck_assert_uint_eq(h_mib(h, "TcpExt:PAWSEstab"), estab);
	ck_assert_int_eq(tcpx_recv(h->e, c->s, buf, sizeof(buf), 0), 3);
	ck_assert_int_eq(tcpx_recv(h->e, c->s, buf, sizeof(buf), 0), -EAGAIN);
	c->peer_ts += lag;
}

START_TEST(test_paws)
{
	struct fx_conn c;
	char buf[8];

	fx_establish(h, &c);
	paws_rejects(&c, 100, 1);
	/*
	 * An old pure ACK (below RCV.NXT) lagging as far: common with
	 * reordering, so Linux 6.18 drops it without a word (PAWSOldAck).
	 */
	c.peer_ts -= 100;
	fx_send(h, &c, TH_ACK, c.rcv - 3, c.snd, NULL, 0, 1000);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "TcpExt:PAWSOldAck"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:PAWSEstab"), 1);
	/*
	 * One tick behind TS.Recent passes (Linux's TCP_PAWS_WINDOW): a
	 * retransmission's fresher TSval may set TS.Recent just before
	 * the original, held up by reordering, arrives one tick older.
	 */
	c.peer_ts += 100 - 1;
	fx_peer(h, &c, TH_ACK | TH_PSH, "three", 5);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "three", 5);
	ck_assert_uint_eq(h_mib(h, "TcpExt:PAWSEstab"), 1);
	c.peer_ts += 1;
	/* Two ticks behind do not. */
	paws_rejects(&c, 2, 2);
}
END_TEST

START_TEST(test_reset_reply_no_connection)
{
	struct tcp_seg seg;
	struct h_seg s;

	/* RFC 9293 3.10.7.1: SYN to a closed port: <SEQ=0><ACK=SEQ+LEN>. */
	memset(&s, 0, sizeof(s));
	s.sport = 40000;
	s.dport = 9;
	s.seq = 1000;
	s.flags = TH_SYN;
	s.wnd = 1000;
	h_inject(h, &s);
	H_EXPECT(h, &seg, TH_RST | TH_ACK, 0, 1001);
	ck_assert_uint_eq(seg.wnd, 0);
	/* With data and FIN: ACK = SEQ + LEN + FIN. */
	s.flags = TH_FIN;
	s.data = "12345";
	s.len = 5;
	h_inject(h, &s);
	H_EXPECT(h, &seg, TH_RST | TH_ACK, 0, 1006);
	/* An ACK: <SEQ=SEG.ACK><CTL=RST>. */
	s.flags = TH_ACK;
	s.ack = 777;
	s.len = 0;
	h_inject(h, &s);
	H_EXPECT(h, &seg, TH_RST, 777, 0);
	/* Never a RST to a RST. */
	s.flags = TH_RST | TH_ACK;
	h_inject(h, &s);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "Tcp:OutRsts"), 3);
	ck_assert_uint_eq(h_mib(h, "Tcp:OutSegs"), 3);
}
END_TEST

START_TEST(test_close_unread_data_rst)
{
	struct fx_conn c;
	struct tcp_seg seg;

	fx_establish(h, &c);
	fx_peer(h, &c, TH_ACK | TH_PSH, "unread", 6);
	h_clear_out(h);
	tcpx_close(h->e, c.s);
	/* RFC 2525 2.17: RST, not FIN. */
	fx_expect(h, &c, &seg, TH_RST | TH_ACK, c.snd, c.rcv);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(fx_state_of(h, c.lport), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAbortOnClose"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:EstabResets"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:OutRsts"), 1);
	ck_assert_uint_eq(h->e->tcp.orphans, 0);
}
END_TEST

START_TEST(test_linger_zero_rst)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	struct fx_conn c;
	struct tcp_seg seg;

	fx_establish(h, &c);
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, SOL_SOCKET, SO_LINGER,
	    &l, sizeof(l)), 0);
	tcpx_close(h->e, c.s);
	fx_expect(h, &c, &seg, TH_RST | TH_ACK, c.snd, c.rcv);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(fx_state_of(h, c.lport), 0);
	/* Linux counts SO_LINGER {1, 0} aborts as TCPAbortOnData. */
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAbortOnData"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:EstabResets"), 1);
}
END_TEST

START_TEST(test_data_after_close_rst)
{
	struct fx_conn c;
	struct tcp_seg seg;

	fx_establish(h, &c);
	tcpx_close(h->e, c.s);
	fx_expect(h, &c, &seg, TH_FIN | TH_ACK, c.snd, c.rcv);
	c.snd++;
	fx_peer(h, &c, TH_ACK, NULL, 0);
	ck_assert_int_eq(fx_state_of(h, c.lport), TCP_ST_FIN_WAIT_2);
	/* Nobody will read this: RST (RFC 1122 4.2.2.13). */
	fx_peer(h, &c, TH_ACK | TH_PSH, "late", 4);
	H_EXPECT(h, &seg, TH_RST, c.snd, 0);
	ck_assert_int_eq(fx_state_of(h, c.lport), 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAbortOnData"), 1);
}
END_TEST

static Suite *
rst_suite(void)
{
	Suite *s = suite_create("tcp_rst");
	TCase *tc = tcase_create("rst");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rst_exact_accepted);
	tcase_add_test(tc, test_rst_in_window_challenged);
	tcase_add_test(tc, test_syn_in_established);
	tcase_add_test(tc, test_challenge_rate_limit);
	tcase_add_test(tc, test_out_of_window_dupack);
	tcase_add_test(tc, test_paws);
	tcase_add_test(tc, test_reset_reply_no_connection);
	tcase_add_test(tc, test_close_unread_data_rst);
	tcase_add_test(tc, test_linger_zero_rst);
	tcase_add_test(tc, test_data_after_close_rst);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rst_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
