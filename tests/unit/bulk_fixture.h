/*
 * bulk_fixture.h - a bulk sender and a scripted receiver for the loss
 * recovery and congestion-control tests (test_tcp_cc.c, test_tcp_sack.c,
 * test_tcp_loss.c): we send from a large buffer, the test plays the
 * peer, taking what we sent and acknowledging (or SACKing, or dropping)
 * it segment by segment, one round trip at a time.
 */
#ifndef TCPX_BULK_FIXTURE_H
#define TCPX_BULK_FIXTURE_H

#include "tcp_fixture.h"

#define BK_MSS		1448	/* 1460 less the timestamp option */
#define BK_MAXSEGS	4096

/* A segment we sent, as the peer saw it. */
struct bk_seg {
	uint32_t seq, len;
	uint8_t flags;
	uint32_t tsval;
};

/* The byte at stream offset `off`: a function of it, to check resends. */
static inline uint8_t
bk_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

static uint64_t bk_queued;	/* stream bytes handed to tcpx_send */

FX_UNUSED static void
bk_init_data(void)
{
	bk_queued = 0;
}

/* Queue the next n bytes of the stream. */
FX_UNUSED static void
bk_send_n(struct harness *h, struct fx_conn *c, size_t n)
{
	static uint8_t b[65536];

	ck_assert_uint_le(n, sizeof(b));
	for (size_t i = 0; i < n; i++)
		b[i] = bk_byte(bk_queued + i);
	ck_assert_int_eq(tcpx_send(h->e, c->s, b, n, 0), (ssize_t)n);
	bk_queued += n;
}

/* Queue as much of the endless stream as the send buffer takes. */
FX_UNUSED static void
bk_fill(struct harness *h, struct fx_conn *c)
{
	static uint8_t chunk[65536];
	ssize_t r;

	for (;;) {
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = bk_byte(bk_queued + i);
		r = tcpx_send(h->e, c->s, chunk, sizeof(chunk), 0);
		if (r == -EAGAIN)
			return;
		ck_assert_int_gt(r, 0);
		bk_queued += (uint64_t)r;
		if ((size_t)r < sizeof(chunk))
			return;
	}
}

/*
 * ESTABLISHED with window scale 7 from the peer (room for a large
 * cwnd), SACK and timestamps as fx_establish, `rtt_us` handshake RTT;
 * the send buffer autotunes (2 cwnd).  `sack` false: no SACK-permitted;
 * `cc` a TCP_CONGESTION name or NULL.
 */
FX_UNUSED static void
bk_establish(struct harness *h, struct fx_conn *c, uint64_t rtt_us,
    bool sack, const char *cc)
{
	struct tcp_seg seg;
	struct h_seg s;

	bk_init_data();
	fx_connect(h, c);
	if (cc != NULL)
		ck_assert_int_eq(tcpx_setsockopt(h->e, c->s, IPPROTO_TCP,
		    TCP_CONGESTION, cc, (socklen_t)strlen(cc)), 0);
	h_advance(h, rtt_us);
	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c->lport;
	s.seq = FX_PEER_ISN;
	s.ack = c->iss + 1;
	s.flags = TH_SYN | TH_ACK;
	s.wnd = 65535;
	s.opt = fx_syn_opts(7);
	s.opt.sack_perm = sack;
	s.opt.ts_ecr = c->our_ts;
	h_inject(h, &s);
	c->rcv = FX_PEER_ISN + 1;
	c->ts = true;
	c->peer_ws = 7;
	c->peer_ts = FX_PEER_TS + 1;
	fx_expect(h, c, &seg, TH_ACK, c->iss + 1, FX_PEER_ISN + 1);
	H_EXPECT_NONE(h);
	/* The peer's first scaled window, so later ACKs are duplicates. */
	fx_send(h, c, TH_ACK, c->rcv, c->iss + 1, NULL, 0, 65535);
	H_EXPECT_NONE(h);
}

/* Take everything we sent since the last call; returns the count. */
FX_UNUSED static unsigned
bk_take(struct harness *h, struct fx_conn *c, struct bk_seg *out,
    unsigned max)
{
	struct tcp_seg seg;
	unsigned n = 0;

	while (h_out_count(h) > 0) {
		ck_assert(h_take(h, &seg));
		ck_assert_uint_lt(n, max);
		/* Every byte we (re)send is the byte at its offset. */
		for (uint32_t i = 0; i < seg.len; i++)
			if (seg.data[i] != bk_byte(seg.seq - c->iss - 1 + i))
				ck_abort_msg("wrong byte at seq %u", seg.seq + i);
		out[n].seq = seg.seq;
		out[n].len = seg.len;
		out[n].flags = seg.flags;
		out[n].tsval = seg.opt.ts_val;
		n++;
	}
	return n;
}

/*
 * The peer's ACK: cumulative `ack`, echoing `tsval`, with up to four
 * SACK blocks (pairs in `sack`, `nsack` of them).
 */
FX_UNUSED static void
bk_ack(struct harness *h, struct fx_conn *c, uint32_t ack, uint32_t tsval,
    const uint32_t *sack, unsigned nsack)
{
	struct h_seg s;

	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c->lport;
	s.seq = c->rcv;
	s.ack = ack;
	s.flags = TH_ACK;
	s.wnd = 65535;
	s.opt.has_ts = true;
	s.opt.ts_val = c->peer_ts;
	s.opt.ts_ecr = tsval;
	for (unsigned i = 0; i < nsack && i < 3; i++) {
		s.opt.sack[i].start = sack[2 * i];
		s.opt.sack[i].end = sack[2 * i + 1];
	}
	s.opt.nsack = (uint8_t)(nsack < 3 ? nsack : 3);
	h_inject(h, &s);
	if (SEQ_GT(ack, c->snd))
		c->snd = ack;
}

/* ACK each of segs[0..n) in turn, cumulatively. */
FX_UNUSED static void
bk_ack_each(struct harness *h, struct fx_conn *c, const struct bk_seg *segs,
    unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		bk_ack(h, c, segs[i].seq + segs[i].len, segs[i].tsval, NULL, 0);
}

/* Start of segment i of the stream. */
FX_UNUSED static uint32_t
bk_seg_at(const struct fx_conn *c, unsigned i)
{
	return c->iss + 1 + i * BK_MSS;
}

/* Linux's tcpi_ca_state, from the socket itself. */
FX_UNUSED static int
bk_ca_state(struct harness *h, const struct fx_conn *c)
{
	return tcp_sock_by_id(h->e, c->s)->ca_state;
}

FX_UNUSED static struct tcpx_sockinfo
bk_info(struct harness *h, struct fx_conn *c)
{
	struct tcpx_sockinfo info;

	ck_assert_int_eq(tcpx_sock_info(h->e, c->s, &info), 0);
	return info;
}

/* Stream offset of sequence `seq`. */
#define BK_OFF(c, seq)	((uint32_t)(seq) - (c)->iss - 1)

/*
 * One round trip of a bulk transfer: take what was sent, wait `rtt`,
 * ACK each segment, refill the buffer.  Returns the segments taken.
 */
FX_UNUSED static unsigned
bk_round(struct harness *h, struct fx_conn *c, uint64_t rtt)
{
	static struct bk_seg segs[BK_MAXSEGS];
	unsigned n = bk_take(h, c, segs, BK_MAXSEGS);

	h_advance(h, rtt);
	bk_ack_each(h, c, segs, n);
	bk_fill(h, c);
	return n;
}

/* Index of the segment starting at `seq` in segs[0..n), or n. */
FX_UNUSED static unsigned
bk_find(const struct bk_seg *segs, unsigned n, uint32_t seq)
{
	unsigned r;

	for (r = 0; r < n && segs[r].seq != seq; r++)
		;
	return r;
}

/*
 * A round trip in which the first segment is lost: the peer SACKs
 * each later one (so recovery starts at the third; once reordering has
 * been seen, when RACK's reordering timer fires), then, `rtt` after
 * the retransmission, acknowledges everything.  Returns the cwnd
 * seen when the loss was detected (before the reduction).
 */
FX_UNUSED static uint32_t
bk_loss_round(struct harness *h, struct fx_conn *c, uint64_t rtt)
{
	static struct bk_seg segs[BK_MAXSEGS], more[BK_MAXSEGS];
	unsigned n = bk_take(h, c, segs, BK_MAXSEGS), m, r;
	uint32_t sack[2], cwnd = bk_info(h, c).snd_cwnd, hole = segs[0].seq;
	uint32_t end;

	ck_assert_uint_ge(n, 4);
	h_advance(h, rtt);
	for (unsigned i = 1; i < n; i++) {
		sack[0] = segs[1].seq;
		sack[1] = segs[i].seq + segs[i].len;
		bk_ack(h, c, hole, segs[i].tsval, sack, 1);
	}
	m = bk_take(h, c, more, BK_MAXSEGS);
	/* Among new data (limited transmit), one retransmission of the hole. */
	if ((r = bk_find(more, m, hole)) == m) {
		/* RACK waits its window (at most SRTT) and a jiffy or three. */
		h_run_until(h, h->now + rtt + 12000);
		m += bk_take(h, c, more + m, BK_MAXSEGS - m);
		r = bk_find(more, m, hole);
	}
	ck_assert_uint_lt(r, m);
	h_advance(h, rtt);
	/*
	 * The resend fills the hole: what went before it (new data, above
	 * the hole) is there already, and one ACK covers it all; what went
	 * with or after it is acknowledged segment by segment.
	 */
	end = segs[n - 1].seq + segs[n - 1].len;
	for (unsigned i = 0; i < r; i++)
		end = SEQ_MAX(end, more[i].seq + more[i].len);
	bk_ack(h, c, end, more[r].tsval, NULL, 0);
	for (unsigned i = r + 1; i < m; i++)
		bk_ack(h, c, more[i].seq + more[i].len, more[i].tsval, NULL, 0);
	bk_fill(h, c);
	return cwnd;
}

/*
 * ESTABLISHED (10 ms RTT, SACK); S0..S9 go at t0 (20 segments
 * queued); nothing comes back: the RTO resends S0 at t0 + 210 ms with
 * cwnd 1, in Loss.  Returns the resend's TSval; *orig that of the first
 * flight.
 */
FX_UNUSED static uint32_t
bk_timeout(struct harness *h, struct fx_conn *c, uint32_t *orig)
{
	struct bk_seg s[32];
	uint64_t t0;

	bk_establish(h, c, 10000, true, NULL);
	bk_send_n(h, c, 20 * BK_MSS);
	t0 = h->now;
	ck_assert_uint_eq(bk_take(h, c, s, 32), 10);
	*orig = s[0].tsval;
	h_run_until(h, t0 + 210000);
	ck_assert_uint_eq(bk_take(h, c, s, 32), 1);
	ck_assert_uint_eq(s[0].seq, bk_seg_at(c, 0));
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 1);
	ck_assert_uint_eq(bk_info(h, c).snd_cwnd, 1);
	ck_assert(bk_ca_state(h, c) == TCP_CAS_LOSS);
	return s[0].tsval;
}

#endif /* TCPX_BULK_FIXTURE_H */
