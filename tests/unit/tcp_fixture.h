/*
 * tcp_fixture.h - state fixtures for the state-machine tests
 * (test_tcp_*.c): an active open scripted by hand against the harness,
 * and a peer that sends segments with the right sequence numbers and
 * timestamps.  Static functions only; each test program includes it.
 */
#ifndef TCPX_TCP_FIXTURE_H
#define TCPX_TCP_FIXTURE_H

#include <arpa/inet.h>
#include <check.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <string.h>

#include "harness.h"

#define FX_UNUSED	__attribute__((unused))
#define FX_RPORT	8080
#define FX_PEER_ISN	0x10000000u
#define FX_PEER_TS	5000u

/* One connection as both ends see it. */
struct fx_conn {
	int s;			/* our socket id */
	uint16_t lport;		/* our ephemeral port */
	uint32_t iss;		/* our ISN, read from the captured SYN */
	uint32_t snd;		/* our next sequence number (peer's view) */
	uint32_t rcv;		/* peer's next sequence number */
	bool ts;		/* timestamps negotiated */
	uint32_t peer_ts;	/* peer's TSval to send next */
	uint32_t our_ts;	/* our last TSval seen */
	uint8_t peer_ws;	/* peer's window scale */
	uint8_t our_ws;		/* ours, from our SYN */
	uint32_t our_wnd;	/* the window our handshake ACK offered */
};

FX_UNUSED static struct tcp_opts
fx_syn_opts(uint8_t ws)
{
	struct tcp_opts o;

	memset(&o, 0, sizeof(o));
	o.has_mss = true;
	o.mss = 1460;
	o.sack_perm = true;
	o.has_ts = true;
	o.ts_val = FX_PEER_TS;
	o.has_wscale = true;
	o.wscale = ws;
	return o;
}

/* A segment from the peer on `c`. */
FX_UNUSED static void
fx_send(struct harness *h, struct fx_conn *c, uint8_t flags, uint32_t seq,
    uint32_t ack, const void *data, uint32_t len, uint16_t wnd)
{
	struct h_seg s;

	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c->lport;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.wnd = wnd;
	s.data = data;
	s.len = len;
	if (c->ts) {
		s.opt.has_ts = true;
		s.opt.ts_val = c->peer_ts;
		s.opt.ts_ecr = c->our_ts;
	}
	h_inject(h, &s);
}

/* The peer's in-order segment: seq = c->rcv, ack = c->snd; advances rcv. */
FX_UNUSED static void
fx_peer(struct harness *h, struct fx_conn *c, uint8_t flags,
    const void *data, uint32_t len)
{
	fx_send(h, c, flags, c->rcv, c->snd, data, len, 65535);
	c->rcv += len + ((flags & TH_FIN) ? 1 : 0);
}

/* Take our next segment, check flags/seq/ack, remember its TSval. */
FX_UNUSED static void
fx_expect(struct harness *h, struct fx_conn *c, struct tcp_seg *sp,
    uint8_t flags, uint32_t seq, uint32_t ack)
{
	H_EXPECT(h, sp, flags, seq, ack);
	if (sp->opt.has_ts)
		c->our_ts = sp->opt.ts_val;
}

/* connect() to the peer; take and check the SYN; fill c. */
FX_UNUSED static void
fx_connect(struct harness *h, struct fx_conn *c)
{
	struct sockaddr_in sin;
	struct tcp_seg seg;

	memset(c, 0, sizeof(*c));
	c->s = tcpx_socket(h->e);
	ck_assert_int_ge(c->s, 0);
	h_peer_sockaddr(&sin, FX_RPORT);
	ck_assert_int_eq(tcpx_connect(h->e, c->s, &sin), -EINPROGRESS);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.flags, TH_SYN);
	c->lport = seg.sport;
	c->iss = seg.seq;
	c->snd = seg.seq + 1;
	c->rcv = FX_PEER_ISN;
	c->our_ts = seg.opt.ts_val;
	c->our_ws = seg.opt.has_wscale ? seg.opt.wscale : 0;
}

/*
 * An ESTABLISHED connection: our SYN, the peer's SYN-ACK (all options,
 * window scale `ws`) `rtt_us` later, our ACK.  Nothing left queued.
 */
FX_UNUSED static void
fx_establish_rtt(struct harness *h, struct fx_conn *c, uint8_t ws,
    uint64_t rtt_us)
{
	struct tcp_seg seg;
	struct h_seg s;

	fx_connect(h, c);
	if (rtt_us > 0)
		h_advance(h, rtt_us);
	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c->lport;
	s.seq = FX_PEER_ISN;
	s.ack = c->iss + 1;
	s.flags = TH_SYN | TH_ACK;
	s.wnd = 65535;
	s.opt = fx_syn_opts(ws);
	s.opt.ts_ecr = c->our_ts;
	h_inject(h, &s);
	c->rcv = FX_PEER_ISN + 1;
	c->ts = true;
	c->peer_ws = ws;
	c->peer_ts = FX_PEER_TS + 1;
	fx_expect(h, c, &seg, TH_ACK, c->iss + 1, FX_PEER_ISN + 1);
	c->our_wnd = (uint32_t)seg.wnd << c->our_ws;
	ck_assert_int_eq(tcpx_state(h->e, c->s), TCP_ST_ESTABLISHED);
	H_EXPECT_NONE(h);
	(void)h_events(h, c->s);
}

FX_UNUSED static void
fx_establish(struct harness *h, struct fx_conn *c)
{
	/* 10 ms RTT: srtt 10 ms, RTO = 10 + max(4 * 5, 200) = 210 ms. */
	fx_establish_rtt(h, c, 0, 10000);
}

struct fx_find {
	uint16_t lport;
	int state;
	int n;
	int timer;
	uint64_t expires;
};

FX_UNUSED static void
fx_find_cb(void *arg, const struct tcpx_sockinfo *info)
{
	struct fx_find *f = arg;

	if (ntohs(info->local.sin_port) == f->lport &&
	    ntohs(info->remote.sin_port) == FX_RPORT) {
		f->state = info->state;
		f->timer = info->timer;
		f->expires = info->timer_expires_us;
		f->n++;
	}
}

/* State of the connection on `lport` (also orphans, TIME-WAIT); 0 if none. */
FX_UNUSED static int
fx_state_of(struct harness *h, uint16_t lport)
{
	struct fx_find f = { .lport = lport };

	tcpx_foreach(h->e, fx_find_cb, &f);
	return f.n > 0 ? f.state : 0;
}

#endif /* TCPX_TCP_FIXTURE_H */
