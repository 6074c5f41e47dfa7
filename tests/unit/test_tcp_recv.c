/*
 * test_tcp_recv.c - the zero-copy read (tcpx_recv_peek and
 * tcpx_recv_consume, core/tcp_usr.c) against tcpx_recv.  Two engines
 * with the same secret and clock get the same segments; one reads with
 * tcpx_recv, the other with peek + consume, and both must return the
 * same bytes and results and send the same segments (window updates,
 * held-back ACKs), across a ring wrap, partial consumes, a closed
 * window, autotuning, EOF, reset and misuse.
 *
 * The zero-copy write (tcpx_send_reserve and tcpx_send_commit) the same
 * way against tcpx_send: the same segments from both engines, through a
 * full send buffer, a wrap of the send ring and the errors send(2)
 * reports.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "harness.h"
#include "tcp_fixture.h"

/* [0] reads with tcpx_recv, [1] with tcpx_recv_peek + consume. */
static struct harness *h[2];
static struct fx_conn c[2];

static void
setup(void)
{
	h[0] = h_new();
	h[1] = h_new();
}

static void
teardown(void)
{
	h_free(h[0]);
	h_free(h[1]);
	h[0] = h[1] = NULL;
}

static uint8_t pattern[1 << 20];

static void
fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 13 + (i >> 10));
}

static void
tw_establish(void)
{
	fx_establish(h[0], &c[0]);
	fx_establish(h[1], &c[1]);
	ck_assert_int_eq(c[0].s, c[1].s);
	ck_assert_uint_eq(c[0].iss, c[1].iss);
}

/* The same peer segment to both engines. */
static void
tw_peer(uint8_t flags, const void *data, uint32_t len)
{
	fx_peer(h[0], &c[0], flags, data, len);
	fx_peer(h[1], &c[1], flags, data, len);
}

static void
tw_advance(uint64_t us)
{
	h_run_until(h[0], h[0]->now + us);
	h_run_until(h[1], h[1]->now + us);
}

/*
 * Both engines sent the same segments since the last call; returns how
 * many, the last one in *last (if any); *end (if given) moves up to the
 * end of the highest data.
 */
static unsigned
tw_same_output_end(struct tcp_seg *last, uint32_t *end)
{
	struct tcp_seg a, b;
	unsigned n = 0;

	ck_assert_uint_eq(h_out_count(h[0]), h_out_count(h[1]));
	while (h_take(h[0], &a)) {
		ck_assert(h_take(h[1], &b));
		ck_assert_uint_eq(a.flags, b.flags);
		ck_assert_uint_eq(a.seq, b.seq);
		ck_assert_uint_eq(a.ack, b.ack);
		ck_assert_uint_eq(a.wnd, b.wnd);
		ck_assert_uint_eq(a.len, b.len);
		if (a.len > 0)		/* the same bytes, too */
			ck_assert_mem_eq(a.data, b.data, a.len);
		if (a.len > 0 && end != NULL && SEQ_GT(a.seq + a.len, *end))
			*end = a.seq + a.len;
		ck_assert_uint_eq(a.opt.ts_val, b.opt.ts_val);
		ck_assert_uint_eq(a.opt.nsack, b.opt.nsack);
		c[0].our_ts = c[1].our_ts = a.opt.ts_val;
		if (last != NULL)
			*last = a;
		n++;
	}
	H_EXPECT_NONE(h[1]);
	return n;
}

static unsigned
tw_same_output(struct tcp_seg *last)
{
	return tw_same_output_end(last, NULL);
}

/* tcpx_recv made of peek, copy and consume; the result as tcpx_recv's. */
static ssize_t
zc_read(int s, void *buf, size_t len)
{
	struct iovec iov[2];
	int iovcnt = 2;
	ssize_t n;
	size_t done = 0, k;

	n = tcpx_recv_peek(h[1]->e, s, iov, &iovcnt);
	if (n <= 0) {
		ck_assert_int_eq(iovcnt, 0);
		return n;
	}
	ck_assert_int_ge(iovcnt, 1);
	ck_assert_int_le(iovcnt, 2);
	for (int i = 0; i < iovcnt && done < len; i++) {
		k = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
		memcpy((uint8_t *)buf + done, iov[i].iov_base, k);
		done += k;
	}
	ck_assert_int_eq(tcpx_recv_consume(h[1]->e, s, done), 0);
	return (ssize_t)done;
}

/* Read up to len on both; same result and bytes; returns the result. */
static ssize_t
tw_read(size_t len)
{
	static uint8_t a[1 << 20], b[1 << 20];
	ssize_t na, nb;

	ck_assert_uint_le(len, sizeof(a));
	na = tcpx_recv(h[0]->e, c[0].s, a, len, 0);
	nb = zc_read(c[1].s, b, len);
	ck_assert_int_eq(na, nb);
	if (na > 0)
		ck_assert_mem_eq(a, b, (size_t)na);
	return na;
}

/*
 * tcpx_send made of reserve, copy and commit on engine 1; tcpx_send on
 * engine 0; the same result.  Returns the bytes taken.
 */
static ssize_t
tw_write(const uint8_t *p, size_t len)
{
	struct iovec iov[2];
	int iovcnt = 2;
	ssize_t na, room;
	size_t done = 0, k;

	na = tcpx_send(h[0]->e, c[0].s, p, len, 0);
	room = tcpx_send_reserve(h[1]->e, c[1].s, len, iov, &iovcnt);
	if (room <= 0) {
		ck_assert_int_eq(iovcnt, 0);
		ck_assert_int_eq(room, na);
		return na;
	}
	ck_assert_int_le(room, (ssize_t)len);
	for (int i = 0; i < iovcnt; i++) {
		k = iov[i].iov_len;
		memcpy(iov[i].iov_base, p + done, k);
		done += k;
	}
	ck_assert_uint_eq(done, (size_t)room);
	/* As tcpxd: MSG_MORE while the write is not all in (bridge.c). */
	ck_assert_int_eq(tcpx_send_commit(h[1]->e, c[1].s, done,
	    (ssize_t)done < na ? MSG_MORE : 0), 0);
	/* One reservation may be short of what tcpx_send took: go on. */
	while ((ssize_t)done < na) {
		iovcnt = 2;
		room = tcpx_send_reserve(h[1]->e, c[1].s, (size_t)na - done,
		    iov, &iovcnt);
		ck_assert_int_gt(room, 0);
		k = 0;
		for (int i = 0; i < iovcnt; i++) {
			memcpy(iov[i].iov_base, p + done + k,
			    iov[i].iov_len);
			k += iov[i].iov_len;
		}
		done += k;
		ck_assert_int_eq(tcpx_send_commit(h[1]->e, c[1].s, k,
		    (ssize_t)done < na ? MSG_MORE : 0), 0);
	}
	ck_assert_int_eq((ssize_t)done, na);
	return na;
}

/* Both engines' output so far, the same; the end of the last data. */
static uint32_t
tw_sent_end(uint32_t end)
{
	(void)tw_same_output_end(NULL, &end);
	return end;
}

/* The peer acknowledges what both engines sent. */
static void
tw_ack(uint32_t upto)
{
	for (int i = 0; i < 2; i++) {
		c[i].snd = upto;
		fx_peer(h[i], &c[i], TH_ACK, NULL, 0);
	}
}

START_TEST(reserve_commit_as_send)
{
	struct tcp_seg last;
	uint32_t start, end;
	size_t off = 0;
	ssize_t n;
	int rounds, wraps = 0;

	fill_pattern();
	tw_establish();
	start = c[0].iss + 1;
	/*
	 * A small write grows the send ring a little only (one doubling
	 * per reservation), a big one as far as the buffer allows; either
	 * way the segments are tcpx_send's.
	 */
	ck_assert_int_eq(tw_write(pattern, 100), 100);
	(void)tw_same_output(&last);
	ck_assert_uint_eq(last.len, 100);
	ck_assert_uint_eq(last.seq, start);
	off = 100;
	end = start + 100;
	tw_ack(end);
	end = tw_sent_end(end);
	/* Fill the send buffer: both stop at the same byte with EAGAIN. */
	for (rounds = 0; rounds < 64; rounds++) {
		n = tw_write(pattern + off, 60000);
		if (n < 0)
			break;
		off += (size_t)n;
		end = tw_sent_end(end);
	}
	ck_assert_int_eq(n, -EAGAIN);
	/*
	 * ACKs of what went out free room, new writes fill it: the ring
	 * wraps, and both engines still send the same bytes.
	 */
	for (rounds = 0; rounds < 40 && off < sizeof(pattern) - 65536;
	    rounds++) {
		tw_ack(end);
		end = tw_sent_end(end);
		n = tw_write(pattern + off, 65536);
		if (n > 0) {
			off += (size_t)n;
			if (SEQ_LT(end, start + (uint32_t)off))
				wraps++;
		}
		end = tw_sent_end(end);
	}
	ck_assert_int_gt(wraps, 0);
	ck_assert_uint_gt(off, 400000);	/* more than one buffer's worth */
	while (SEQ_LT(end, start + (uint32_t)off) && rounds++ < 400) {
		tw_ack(end);
		end = tw_sent_end(end);
	}
	ck_assert_uint_eq(end, start + (uint32_t)off);
}
END_TEST

START_TEST(reserve_errors)
{
	struct iovec iov[2];
	int iovcnt;

	tw_establish();
	/*
	 * A first reservation, however large, grows the ring to 4096 only:
	 * the host asks for what it could read, not what the program wrote.
	 */
	iovcnt = 2;
	ck_assert_int_eq(tcpx_send_reserve(h[1]->e, c[1].s, 60000, iov,
	    &iovcnt), 4096);
	ck_assert_int_eq(iovcnt, 1);
	/* Too little room for a wrapped reservation; nothing to reserve. */
	iovcnt = 1;
	ck_assert_int_eq(tcpx_send_reserve(h[1]->e, c[1].s, 10, iov, &iovcnt),
	    -EINVAL);
	iovcnt = 2;
	ck_assert_int_eq(tcpx_send_reserve(h[1]->e, c[1].s, 0, iov, &iovcnt),
	    -EINVAL);
	iovcnt = 2;
	ck_assert_int_eq(tcpx_send_reserve(h[1]->e, 999, 10, iov, &iovcnt),
	    -EBADF);
	/* More than reserved room cannot be committed. */
	iovcnt = 2;
	ck_assert_int_gt(tcpx_send_reserve(h[1]->e, c[1].s, 10, iov, &iovcnt),
	    0);
	ck_assert_int_eq(tcpx_send_commit(h[1]->e, c[1].s, 1u << 30, 0),
	    -EINVAL);
	H_EXPECT_NONE(h[1]);
	/* After shutdown(SHUT_WR): EPIPE, as send(2). */
	ck_assert_int_eq(tcpx_shutdown(h[1]->e, c[1].s, SHUT_WR), 0);
	iovcnt = 2;
	ck_assert_int_eq(tcpx_send_reserve(h[1]->e, c[1].s, 10, iov, &iovcnt),
	    -EPIPE);
	ck_assert_int_eq(iovcnt, 0);
	/* A reset: the error once (taken), then EPIPE. */
	tw_peer(TH_RST, NULL, 0);
	iovcnt = 2;
	ck_assert_int_eq(tcpx_send_reserve(h[0]->e, c[0].s, 10, iov, &iovcnt),
	    -ECONNRESET);
	iovcnt = 2;
	ck_assert_int_eq(tcpx_send_reserve(h[0]->e, c[0].s, 10, iov, &iovcnt),
	    -EPIPE);
}
END_TEST

START_TEST(peek_across_wrap)
{
	struct iovec iov[2];
	int iovcnt;
	ssize_t n;
	uint8_t buf[8192];

	fill_pattern();
	tw_establish();
	/*
	 * 3000 bytes in a ring of 4096, 2000 read: the next 2500 go in
	 * behind the rest and wrap at the ring's end.
	 */
	tw_peer(TH_ACK, pattern, 1460);
	tw_peer(TH_ACK, pattern + 1460, 1540);
	(void)tw_same_output(NULL);
	ck_assert_int_eq(tw_read(2000), 2000);
	(void)tw_same_output(NULL);
	tw_peer(TH_ACK, pattern + 3000, 1250);
	tw_peer(TH_ACK | TH_PSH, pattern + 4250, 1250);
	(void)tw_same_output(NULL);

	iovcnt = 2;
	n = tcpx_recv_peek(h[1]->e, c[1].s, iov, &iovcnt);
	ck_assert_int_eq(n, 3500);
	ck_assert_int_eq(iovcnt, 2);	/* the wrap is exercised */
	ck_assert_uint_eq(iov[0].iov_len + iov[1].iov_len, 3500);
	memcpy(buf, iov[0].iov_base, iov[0].iov_len);
	memcpy(buf + iov[0].iov_len, iov[1].iov_base, iov[1].iov_len);
	ck_assert_mem_eq(buf, pattern + 2000, 3500);
	/* Peeking consumes nothing: the same again. */
	iovcnt = 2;
	ck_assert_int_eq(tcpx_recv_peek(h[1]->e, c[1].s, iov, &iovcnt), 3500);
	/* Room for one iovec: the run up to the ring's end only. */
	iovcnt = 1;
	n = tcpx_recv_peek(h[1]->e, c[1].s, iov, &iovcnt);
	ck_assert_int_eq(iovcnt, 1);
	ck_assert_int_lt(n, 3500);
	ck_assert_mem_eq(iov[0].iov_base, pattern + 2000, (size_t)n);
	H_EXPECT_NONE(h[1]);

	/* Reading it all, both ways: the same bytes, the same ACKs. */
	ck_assert_int_eq(tw_read(sizeof(buf)), 3500);
	(void)tw_same_output(NULL);
	ck_assert_int_eq(tw_read(sizeof(buf)), -EAGAIN);
	H_EXPECT_NONE(h[0]);
}
END_TEST

START_TEST(consume_then_peek)
{
	struct iovec iov[2];
	int iovcnt;
	size_t off = 0, step;

	fill_pattern();
	tw_establish();
	for (int i = 0; i < 8; i++)
		tw_peer(TH_ACK, pattern + i * 1000, 1000);
	(void)tw_same_output(NULL);
	/* Consume in uneven steps; each peek starts where consume ended. */
	for (step = 1; off < 8000; step = step * 3 + 7) {
		iovcnt = 2;
		ck_assert_int_eq(tcpx_recv_peek(h[1]->e, c[1].s, iov, &iovcnt),
		    (ssize_t)(8000 - off));
		ck_assert_mem_eq(iov[0].iov_base, pattern + off,
		    iov[0].iov_len);
		if (step > 8000 - off)
			step = 8000 - off;
		ck_assert_int_eq(tw_read(step), (ssize_t)step);
		(void)tw_same_output(NULL);
		off += step;
	}
	/* More than is queued: refused, nothing dropped. */
	tw_peer(TH_ACK, "abc", 3);
	(void)tw_same_output(NULL);
	ck_assert_int_eq(tcpx_recv_consume(h[1]->e, c[1].s, 4), -EINVAL);
	ck_assert_int_eq(tcpx_recv_consume(h[1]->e, c[1].s, 0), 0);
	iovcnt = 2;
	ck_assert_int_eq(tcpx_recv_peek(h[1]->e, c[1].s, iov, &iovcnt), 3);
	ck_assert_mem_eq(iov[0].iov_base, "abc", 3);
	ck_assert_int_eq(tw_read(100), 3);
	(void)tw_same_output(NULL);
}
END_TEST

/* The peer fills the window we offer until it is zero; returns bytes sent. */
static uint32_t
tw_fill_window(void)
{
	struct tcp_seg seg;
	uint32_t edge, sent = 0, n;

	edge = c[0].rcv + c[0].our_wnd;
	while (SEQ_LT(c[0].rcv, edge)) {
		n = edge - c[0].rcv < 1448 ? edge - c[0].rcv : 1448;
		tw_peer(TH_ACK, pattern + sent, n);
		sent += n;
		tw_advance(200000);
		while (tw_same_output(&seg) > 0)
			edge = seg.ack + ((uint32_t)seg.wnd << c[0].our_ws);
	}
	ck_assert_uint_eq(seg.wnd, 0);
	return sent;
}

START_TEST(consume_opens_window)
{
	struct tcp_seg seg;
	uint32_t sent;

	fill_pattern();
	tw_establish();
	sent = tw_fill_window();
	ck_assert_uint_ge(sent, 60000);
	/* A little read opens too little to tell the peer. */
	ck_assert_int_eq(tw_read(100), 100);
	ck_assert_uint_eq(tw_same_output(NULL), 0);
	/* The rest: a window update, the same from consume as from recv. */
	ck_assert_int_eq(tw_read(sizeof(pattern)), (ssize_t)(sent - 100));
	ck_assert_uint_eq(tw_same_output(&seg), 1);
	ck_assert_uint_eq(seg.flags, TH_ACK);
	ck_assert_uint_eq(seg.ack, c[0].rcv);
	ck_assert_uint_gt((uint32_t)seg.wnd << c[0].our_ws, 50000);
}
END_TEST

START_TEST(consume_autotunes)
{
	struct tcp_seg seg;
	uint32_t edge, n, wnd = 0;

	fill_pattern();
	tw_establish();
	edge = c[0].rcv + c[0].our_wnd;
	/* test_tcp_data's autotuning run, read both ways. */
	for (int round = 0; round < 12; round++) {
		while (SEQ_LT(c[0].rcv, edge)) {
			n = edge - c[0].rcv < 1448 ? edge - c[0].rcv : 1448;
			tw_peer(TH_ACK, pattern, n);
		}
		h_advance(h[0], 10000);
		h_advance(h[1], 10000);
		while (tw_read(sizeof(pattern)) > 0)
			;
		tw_advance(1000);
		while (tw_same_output(&seg) > 0) {
			edge = seg.ack + ((uint32_t)seg.wnd << c[0].our_ws);
			wnd = (uint32_t)seg.wnd << c[0].our_ws;
		}
	}
	ck_assert_uint_gt(wnd, 2 * 65536);
}
END_TEST

START_TEST(eof_after_data)
{
	fill_pattern();
	tw_establish();
	tw_peer(TH_ACK | TH_PSH | TH_FIN, pattern, 1000);
	(void)tw_same_output(NULL);
	ck_assert_int_eq(tw_read(600), 600);
	ck_assert_int_eq(tw_read(600), 400);
	ck_assert_int_eq(tw_read(600), 0);
	ck_assert_int_eq(tw_read(600), 0);
	(void)tw_same_output(NULL);
}
END_TEST

START_TEST(reset_after_data)
{
	fill_pattern();
	tw_establish();
	tw_peer(TH_ACK | TH_PSH, pattern, 1000);
	(void)tw_same_output(NULL);
	fx_send(h[0], &c[0], TH_RST, c[0].rcv, 0, NULL, 0, 0);
	fx_send(h[1], &c[1], TH_RST, c[1].rcv, 0, NULL, 0, 0);
	/* The queued data, then the error once, then EOF. */
	ck_assert_int_eq(tw_read(4096), 1000);
	ck_assert_int_eq(tw_read(4096), -ECONNRESET);
	ck_assert_int_eq(tw_read(4096), 0);
	(void)tw_same_output(NULL);
}
END_TEST

START_TEST(shut_rd_and_misuse)
{
	struct iovec iov[2];
	struct sockaddr_in sin;
	int iovcnt = 2, l;

	tw_establish();
	ck_assert_int_eq(tw_read(10), -EAGAIN);
	ck_assert_int_eq(tcpx_shutdown(h[0]->e, c[0].s, SHUT_RD), 0);
	ck_assert_int_eq(tcpx_shutdown(h[1]->e, c[1].s, SHUT_RD), 0);
	ck_assert_int_eq(tw_read(10), 0);
	/* Not a socket, not connected, a listener, no room for an iovec. */
	ck_assert_int_eq(tcpx_recv_peek(h[1]->e, 99, iov, &iovcnt), -EBADF);
	ck_assert_int_eq(tcpx_recv_consume(h[1]->e, 99, 0), -EBADF);
	l = tcpx_socket(h[1]->e);
	ck_assert_int_ge(l, 0);
	iovcnt = 2;
	ck_assert_int_eq(tcpx_recv_peek(h[1]->e, l, iov, &iovcnt),
	    tcpx_recv(h[1]->e, l, iov, 10, 0));
	ck_assert_int_eq(iovcnt, 0);
	h_local_sockaddr(&sin, 9000);
	ck_assert_int_eq(tcpx_bind(h[1]->e, l, &sin), 0);
	ck_assert_int_eq(tcpx_listen(h[1]->e, l, 5), 0);
	iovcnt = 2;
	ck_assert_int_eq(tcpx_recv_peek(h[1]->e, l, iov, &iovcnt), -ENOTCONN);
	ck_assert_int_eq(tcpx_recv_consume(h[1]->e, l, 0), -ENOTCONN);
	iovcnt = 0;
	ck_assert_int_eq(tcpx_recv_peek(h[1]->e, c[1].s, iov, &iovcnt),
	    -EINVAL);
	tcpx_close(h[1]->e, l);
}
END_TEST

/*
 * ops->deliver: a reader that takes up to `direct_budget` bytes per call
 * into direct_got, and checks what the engine hands it.
 */
static uint8_t direct_got[1 << 20];
static size_t direct_len, direct_budget;
static bool direct_discard;	/* take without keeping (long runs) */

static size_t
direct_take(struct harness *hh, int sock, const uint8_t *data, size_t len)
{
	size_t take = len < direct_budget ? len : direct_budget;

	ck_assert_int_eq(sock, c[1].s);
	(void)hh;
	if (direct_discard)
		return take;
	ck_assert_uint_le(direct_len + take, sizeof(direct_got));
	memcpy(direct_got + direct_len, data, take);
	direct_len += take;
	return take;
}

static void
direct_setup(void)
{
	setup();
	h[1]->deliver = direct_take;
	direct_len = 0;
	direct_budget = SIZE_MAX;
	direct_discard = false;
}

/* Engine 1's reader: what deliver took, then what it reads now. */
static size_t
direct_drain(void)
{
	ssize_t n;

	while ((n = tcpx_recv(h[1]->e, c[1].s, direct_got + direct_len,
	    sizeof(direct_got) - direct_len, 0)) > 0)
		direct_len += (size_t)n;
	return direct_len;
}

START_TEST(direct_takes_in_order)
{
	struct tcp_seg seg;
	struct tcpx_sockinfo info;
	struct iovec iov[2];
	int iovcnt = 2;
	uint16_t wnd0 = 0, wnd1 = 1;

	fill_pattern();
	tw_establish();
	/* Everything taken at once: nothing queued, same ACKs and window. */
	for (int i = 0; i < 20; i++)
		tw_peer(TH_ACK, pattern + i * 1448, 1448);
	ck_assert_uint_eq(direct_len, 20 * 1448);
	ck_assert_mem_eq(direct_got, pattern, direct_len);
	ck_assert_int_eq(tcpx_recv_peek(h[1]->e, c[1].s, iov, &iovcnt),
	    -EAGAIN);
	ck_assert_int_eq(tcpx_sock_info(h[1]->e, c[1].s, &info), 0);
	ck_assert_uint_eq(info.bytes_received, 20 * 1448);
	/* Engine 0 reads it all now; its window, held back, is no wider. */
	ck_assert_int_eq(tcpx_recv(h[0]->e, c[0].s, direct_got + direct_len,
	    sizeof(direct_got) - direct_len, 0), 20 * 1448);
	ck_assert_mem_eq(direct_got + direct_len, pattern, 20 * 1448);
	tw_advance(200000);
	tw_peer(TH_ACK, "x", 1);
	tw_advance(200000);
	while (h_take(h[0], &seg))
		wnd0 = seg.wnd;
	while (h_take(h[1], &seg))
		wnd1 = seg.wnd;
	ck_assert_uint_le(wnd0, wnd1);
	ck_assert_uint_eq(direct_len, 20 * 1448 + 1);
}
END_TEST

START_TEST(direct_partial_keeps_order)
{
	uint32_t off = 0;
	unsigned calls;

	fill_pattern();
	tw_establish();
	/* A reader that takes 1000 bytes a call: the rest is queued... */
	direct_budget = 1000;
	tw_peer(TH_ACK, pattern, 1448);
	off += 1448;
	ck_assert_uint_eq(direct_len, 1000);
	/* ...and what comes next waits behind it, not offered. */
	calls = h[1]->ndeliver;
	tw_peer(TH_ACK, pattern + off, 1448);
	off += 1448;
	ck_assert_uint_eq(h[1]->ndeliver, calls);
	ck_assert_uint_eq(direct_drain(), off);
	/* A reader that takes nothing: plain queueing. */
	direct_budget = 0;
	tw_peer(TH_ACK, pattern + off, 1448);
	off += 1448;
	ck_assert_uint_eq(h[1]->ndeliver, calls + 1);
	ck_assert_uint_eq(direct_drain(), off);
	/* A hole: the segment after it waits in reassembly, not offered. */
	direct_budget = SIZE_MAX;
	fx_send(h[1], &c[1], TH_ACK, c[1].rcv + 1448, c[1].snd,
	    pattern + off + 1448, 1448, 65535);
	ck_assert_uint_eq(h[1]->ndeliver, calls + 1);
	/* Filling it: the filler is taken, the held one follows queued. */
	tw_peer(TH_ACK, pattern + off, 1448);
	off += 2 * 1448;
	ck_assert_uint_eq(direct_len, off - 1448);
	ck_assert_uint_eq(direct_drain(), off);
	ck_assert_mem_eq(direct_got, pattern, off);
}
END_TEST

START_TEST(direct_autotunes)
{
	struct tcp_seg seg;
	uint32_t edge, n, wnd = 0;

	fill_pattern();
	tw_establish();
	edge = c[1].rcv + c[1].our_wnd;
	direct_discard = true;
	/* Bytes taken at once count as read: the buffer grows (DRS). */
	for (int round = 0; round < 8; round++) {
		while (SEQ_LT(c[1].rcv, edge)) {
			n = edge - c[1].rcv < 1448 ? edge - c[1].rcv : 1448;
			fx_peer(h[1], &c[1], TH_ACK, pattern, n);
		}
		h_advance(h[1], 10000);
		h_run_until(h[1], h[1]->now + 1000);
		while (h_take(h[1], &seg)) {
			c[1].our_ts = seg.opt.ts_val;
			edge = seg.ack + ((uint32_t)seg.wnd << c[1].our_ws);
			wnd = (uint32_t)seg.wnd << c[1].our_ws;
		}
	}
	ck_assert_uint_gt(wnd, 4 * 131072);
}
END_TEST

START_TEST(direct_unread_goes_first)
{
	struct iovec back[2];
	struct tcpx_sockinfo after;
	uint8_t got[4096];

	fill_pattern();
	tw_establish();
	/* The host takes the whole segment, then writes only 948 bytes. */
	tw_peer(TH_ACK, pattern, 1448);
	ck_assert_uint_eq(direct_len, 1448);
	/* Later bytes, queued meanwhile by a reader that takes nothing. */
	direct_budget = 0;
	tw_peer(TH_ACK, pattern + 1448, 1000);
	/* The 500 unwritten go back in two pieces, ahead of those. */
	back[0].iov_base = direct_got + 948;
	back[0].iov_len = 200;
	back[1].iov_base = direct_got + 1148;
	back[1].iov_len = 300;
	ck_assert_int_eq(tcpx_recv_unread(h[1]->e, c[1].s, back, 2), 0);
	ck_assert_int_eq(tcpx_sock_info(h[1]->e, c[1].s, &after), 0);
	ck_assert_uint_eq(after.recv_q, 1500);
	ck_assert_int_eq(tcpx_recv(h[1]->e, c[1].s, got, sizeof(got), 0), 1500);
	ck_assert_mem_eq(got, pattern + 948, 1500);
	/* Misuse. */
	ck_assert_int_eq(tcpx_recv_unread(h[1]->e, 999, back, 1), -EBADF);
	ck_assert_int_eq(tcpx_recv_unread(h[1]->e, c[1].s, NULL, 1), -EINVAL);
	ck_assert_int_eq(tcpx_recv_unread(h[1]->e, c[1].s, back, 0), 0);
}
END_TEST

/*
 * A host that says what its program has not read yet (tcpx_recv_held):
 * the bytes deliver took count against the window until it reports them
 * read, so it offers the same windows as a socket whose program reads
 * at the same moments (engine 0, tcpx_recv): down to zero, and the same
 * window update when the program reads.
 */
START_TEST(held_counts_as_unread)
{
	struct tcpx_sockinfo info;
	struct tcp_seg seg;
	static uint8_t rest[1 << 18];
	uint8_t buf[100];
	uint32_t sent;

	fill_pattern();
	tw_establish();
	ck_assert_int_gt(tcpx_recv_held(h[1]->e, c[1].s, 0), 60000);
	sent = tw_fill_window();
	ck_assert_uint_ge(sent, 60000);
	ck_assert_uint_eq(direct_len, sent);
	ck_assert_mem_eq(direct_got, pattern, sent);
	/* ss's Recv-Q: what the program has not read, as the kernel's. */
	ck_assert_int_eq(tcpx_sock_info(h[1]->e, c[1].s, &info), 0);
	ck_assert_uint_eq(info.recv_q, sent);
	/* A little read opens too little to tell the peer. */
	ck_assert_int_eq(tcpx_recv(h[0]->e, c[0].s, buf, 100, 0), 100);
	ck_assert_int_gt(tcpx_recv_held(h[1]->e, c[1].s, sent - 100), 0);
	ck_assert_uint_eq(tw_same_output(NULL), 0);
	/* The rest at once: the same window update as the reading socket's. */
	ck_assert_int_eq(tcpx_recv(h[0]->e, c[0].s, rest, sizeof(rest), 0),
	    (ssize_t)(sent - 100));
	ck_assert_int_gt(tcpx_recv_held(h[1]->e, c[1].s, 0), 0);
	ck_assert_uint_eq(tw_same_output(&seg), 1);
	ck_assert_uint_eq(seg.flags, TH_ACK);
	ck_assert_uint_eq(seg.ack, c[0].rcv);
	ck_assert_uint_gt((uint32_t)seg.wnd << c[0].our_ws, 50000);
	ck_assert_int_eq(tcpx_sock_info(h[1]->e, c[1].s, &info), 0);
	ck_assert_uint_eq(info.recv_q, 0);
	/* Misuse. */
	ck_assert_int_eq(tcpx_recv_held(h[1]->e, 999, 0), -EBADF);
}
END_TEST

/*
 * Until the host's first report, what deliver takes is read; a listener
 * has nothing to read; a closed socket's id is gone.
 */
START_TEST(held_only_when_reported)
{
	struct tcpx_sockinfo info;
	int l;

	fill_pattern();
	tw_establish();
	fx_peer(h[1], &c[1], TH_ACK, pattern, 1000);
	ck_assert_int_eq(tcpx_sock_info(h[1]->e, c[1].s, &info), 0);
	ck_assert_uint_eq(info.recv_q, 0);
	ck_assert_int_gt(tcpx_recv_held(h[1]->e, c[1].s, 0), 0);
	fx_peer(h[1], &c[1], TH_ACK, pattern, 1000);
	ck_assert_int_eq(tcpx_sock_info(h[1]->e, c[1].s, &info), 0);
	ck_assert_uint_eq(info.recv_q, 1000);
	l = tcpx_socket(h[1]->e);
	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(tcpx_listen(h[1]->e, l, 4), 0);
	ck_assert_int_eq(tcpx_recv_held(h[1]->e, l, 0), -ENOTCONN);
	tcpx_close(h[1]->e, l);
	tcpx_close(h[1]->e, c[1].s);
	ck_assert_int_eq(tcpx_recv_held(h[1]->e, c[1].s, 0), -EBADF);
}
END_TEST

static Suite *
recv_suite(void)
{
	Suite *s = suite_create("tcp_recv");
	TCase *tc = tcase_create("zerocopy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, peek_across_wrap);
	tcase_add_test(tc, consume_then_peek);
	tcase_add_test(tc, consume_opens_window);
	tcase_add_test(tc, consume_autotunes);
	tcase_add_test(tc, eof_after_data);
	tcase_add_test(tc, reset_after_data);
	tcase_add_test(tc, shut_rd_and_misuse);
	tcase_add_test(tc, reserve_commit_as_send);
	tcase_add_test(tc, reserve_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("direct");
	tcase_add_checked_fixture(tc, direct_setup, teardown);
	tcase_add_test(tc, direct_takes_in_order);
	tcase_add_test(tc, direct_partial_keeps_order);
	tcase_add_test(tc, direct_autotunes);
	tcase_add_test(tc, direct_unread_goes_first);
	tcase_add_test(tc, held_counts_as_unread);
	tcase_add_test(tc, held_only_when_reported);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(recv_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
