/*
 * test_tcp_active.c - the active open (core/tcp_usr.c, tcp_input.c
 * SYN-SENT, tcp_output.c, tcp_timer.c): the SYN byte for byte as Linux
 * lays it out, the handshake's ACK and what it negotiated, SYN
 * retransmission timing and give-up, RST and bad ACKs in SYN-SENT,
 * simultaneous open (scripted, and two engines whose SYNs cross), and
 * the Fast Open client.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
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

static void
sysctl_set(struct harness *hh, const char *name, const char *val)
{
	ck_assert_int_eq(tcpx_sysctl_set(hh->e, name, val), 0);
}

START_TEST(test_syn_layout)
{
	struct sockaddr_in sin;
	const uint8_t *f, *opt;
	struct tcp_tuple t;
	struct tcp_seg seg;
	uint32_t tsval;
	size_t len;
	int s;

	s = tcpx_socket(h->e);
	h_peer_sockaddr(&sin, FX_RPORT);
	ck_assert_int_eq(tcpx_connect(h->e, s, &sin), -EINPROGRESS);
	ck_assert_int_eq(tcpx_state(h->e, s), TCP_ST_SYN_SENT);
	ck_assert_uint_eq(h_mib(h, "Tcp:ActiveOpens"), 1);
	/* The raw frame: IPv4 (20) + TCP header (20) + 20 option bytes. */
	f = h_take_frame(h, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(len, 60);
	ck_assert_uint_eq(f[20 + 12] >> 4, 10);		/* data offset 40 */
	ck_assert_uint_eq(f[20 + 13], TH_SYN);
	ck_assert_uint_eq((f[20 + 14] << 8) | f[20 + 15], 64240);
	opt = f + 40;
	/*
	 * mss 1460, sackOK, TS val/ecr, nop, wscale 10: Linux's layout;
	 * the scale covers tcp_rmem[2], 32 MB (ilog2 - 15).
	 */
	ck_assert_uint_eq(opt[0], 2);
	ck_assert_uint_eq(opt[1], 4);
	ck_assert_uint_eq((opt[2] << 8) | opt[3], 1460);
	ck_assert_uint_eq(opt[4], 4);
	ck_assert_uint_eq(opt[5], 2);
	ck_assert_uint_eq(opt[6], 8);
	ck_assert_uint_eq(opt[7], 10);
	tsval = (uint32_t)opt[8] << 24 | (uint32_t)opt[9] << 16 |
	    (uint32_t)opt[10] << 8 | opt[11];
	ck_assert_uint_eq(opt[12] | opt[13] | opt[14] | opt[15], 0);
	ck_assert_uint_eq(opt[16], 1);
	ck_assert_uint_eq(opt[17], 3);
	ck_assert_uint_eq(opt[18], 3);
	ck_assert_uint_eq(opt[19], 10);
	/* ISN per RFC 6528 and TSval with the per-pair offset. */
	t.laddr = H_LOCAL_ADDR;
	t.raddr = H_PEER_ADDR;
	t.lport = (uint16_t)((f[20] << 8) | f[21]);
	t.rport = FX_RPORT;
	ck_assert_uint_eq((uint32_t)f[24] << 24 | (uint32_t)f[25] << 16 |
	    (uint32_t)f[26] << 8 | f[27], tcp_isn(h->e, &t));
	ck_assert_uint_eq(tsval, tcp_tsval(h->e, tcp_ts_off(h->e, &t)));
	ck_assert(!h_take(h, &seg));
}
END_TEST

/*
 * A receive buffer the program sized (SO_RCVBUF 65536 before connect or
 * listen: 131072 bytes, 65536 of window) bounds the window scale, as
 * Linux's SOCK_RCVBUF_LOCK does: wscale 1, not tcp_rmem[2]'s 10, in the
 * SYN and in a listener's SYN-ACK (Linux 6.18 sends the same two).  An
 * untouched socket keeps 10.
 */
START_TEST(test_rcvbuf_set_bounds_wscale)
{
	struct h_seg syn = { .sport = 40000, .dport = 8080, .seq = 5000,
	    .flags = TH_SYN, .wnd = 64240, .opt = fx_syn_opts(7) };
	struct sockaddr_in sin;
	struct tcp_seg seg;
	int s, l, v = 65536;

	s = tcpx_socket(h->e);
	ck_assert_int_eq(tcpx_setsockopt(h->e, s, SOL_SOCKET, SO_RCVBUF, &v,
	    sizeof(v)), 0);
	h_peer_sockaddr(&sin, FX_RPORT);
	ck_assert_int_eq(tcpx_connect(h->e, s, &sin), -EINPROGRESS);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.flags, TH_SYN);
	ck_assert_uint_eq(seg.wnd, 64240);
	ck_assert(seg.opt.has_wscale);
	ck_assert_uint_eq(seg.opt.wscale, 1);

	l = tcpx_socket(h->e);
	ck_assert_int_eq(tcpx_setsockopt(h->e, l, SOL_SOCKET, SO_RCVBUF, &v,
	    sizeof(v)), 0);
	h_local_sockaddr(&sin, 8080);
	ck_assert_int_eq(tcpx_bind(h->e, l, &sin), 0);
	ck_assert_int_eq(tcpx_listen(h->e, l, 8), 0);
	h_inject(h, &syn);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(seg.wnd, 65160);
	ck_assert_uint_eq(seg.opt.wscale, 1);

	s = tcpx_socket(h->e);
	h_peer_sockaddr(&sin, FX_RPORT + 1);
	ck_assert_int_eq(tcpx_connect(h->e, s, &sin), -EINPROGRESS);
	ck_assert(h_take(h, &seg));
	ck_assert_uint_eq(seg.opt.wscale, 10);
}
END_TEST

START_TEST(test_handshake_negotiates)
{
	struct tcpx_sockinfo info;
	struct fx_conn c;
	struct tcp_seg seg;
	struct h_seg s;

	fx_connect(h, &c);
	h_advance(h, 5000);
	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c.lport;
	s.seq = FX_PEER_ISN;
	s.ack = c.iss + 1;
	s.flags = TH_SYN | TH_ACK;
	s.wnd = 65160;
	s.opt = fx_syn_opts(9);
	s.opt.ts_ecr = c.our_ts;
	h_inject(h, &s);
	/* The ACK: window 64240 >> 10, rounded up: 63; TS echoes the peer's. */
	H_EXPECT(h, &seg, TH_ACK, c.iss + 1, FX_PEER_ISN + 1);
	ck_assert_uint_eq(seg.wnd, 63);
	ck_assert(seg.opt.has_ts);
	ck_assert_uint_eq(seg.opt.ts_ecr, FX_PEER_TS);
	ck_assert(!seg.opt.has_mss && !seg.opt.has_wscale && !seg.opt.sack_perm);
	ck_assert_uint_eq(seg.len, 0);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
	ck_assert(h_events(h, c.s) & TCPX_EV_OUT);
	ck_assert_int_eq(tcpx_connect(h->e, c.s, &(struct sockaddr_in){
	    .sin_family = AF_INET, .sin_port = htons(FX_RPORT),
	    .sin_addr.s_addr = H_PEER_ADDR }), 0);
	ck_assert_uint_eq(h_mib(h, "Tcp:CurrEstab"), 1);
	ck_assert_int_eq(tcpx_sock_info(h->e, c.s, &info), 0);
	ck_assert_uint_eq(info.snd_mss, 1448);		/* 1460 - TS */
	ck_assert_uint_eq(info.snd_wscale, 9);
	ck_assert_uint_eq(info.rcv_wscale, 10);
	ck_assert_uint_eq(info.options, TCPX_OPT_TS | TCPX_OPT_SACK |
	    TCPX_OPT_WSCALE);
	ck_assert_uint_eq(info.snd_wnd, 65160);		/* SYN: unscaled */
	{
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);

		/*
		 * Linux's tcp_init_buffer_space: the window grows within
		 * 64 KB less a segment, as ss shows (rcv_ssthresh:64088).
		 */
		ck_assert_int_eq(tcpx_getsockopt(h->e, c.s, IPPROTO_TCP,
		    TCP_INFO, &ti, &tl), 0);
		ck_assert_uint_eq(ti.tcpi_rcv_ssthresh, 64088);
	}
	ck_assert_uint_eq(info.snd_cwnd, 10);
	/* RTT 5 ms: RTO = 5 + max(4 * 2.5, 200) ms. */
	ck_assert_uint_eq(info.rtt_us, 5000);
	ck_assert_uint_eq(info.rto_us, 205000);
}
END_TEST

START_TEST(test_handshake_no_options)
{
	struct tcpx_sockinfo info;
	struct fx_conn c;
	struct tcp_seg seg;
	struct h_seg s;

	fx_connect(h, &c);
	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c.lport;
	s.seq = FX_PEER_ISN;
	s.ack = c.iss + 1;
	s.flags = TH_SYN | TH_ACK;
	s.wnd = 8192;
	h_inject(h, &s);
	/* Without window scaling our window goes out unscaled. */
	H_EXPECT(h, &seg, TH_ACK, c.iss + 1, FX_PEER_ISN + 1);
	ck_assert(!seg.opt.has_ts);
	ck_assert_uint_eq(seg.wnd, 64240);
	ck_assert_int_eq(tcpx_sock_info(h->e, c.s, &info), 0);
	ck_assert_uint_eq(info.snd_mss, 536);		/* RFC 9293 default */
	ck_assert_uint_eq(info.advmss, 1460);		/* no timestamps */
	ck_assert_uint_eq(info.options, 0);
	ck_assert_uint_eq(info.rcv_wscale, 0);
}
END_TEST

/* SYN retransmissions at `times` (s after the first), death at `dead`. */
static void
check_syn_timing(const unsigned *times, unsigned n, unsigned dead)
{
	struct fx_conn c;
	struct tcp_seg seg;
	uint64_t t0;

	fx_connect(h, &c);
	t0 = h->last_sent_us;
	for (unsigned i = 0; i < n; i++) {
		h_run_until(h, t0 + (uint64_t)times[i] * 1000000 - 1);
		H_EXPECT_NONE(h);
		h_run_until(h, t0 + (uint64_t)times[i] * 1000000);
		H_EXPECT(h, &seg, TH_SYN, c.iss, 0);
		ck_assert_uint_eq(h->last_sent_us - t0,
		    (uint64_t)times[i] * 1000000);
		ck_assert(seg.opt.has_mss && seg.opt.has_ts);
		ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_SYN_SENT);
	}
	h_run_until(h, t0 + (uint64_t)dead * 1000000 - 1);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_SYN_SENT);
	h_run_until(h, t0 + (uint64_t)dead * 1000000);
	/* Given up: no RST, ETIMEDOUT, counted as Linux does. */
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_CLOSED);
	ck_assert(h_events(h, c.s) & TCPX_EV_ERR);
	ck_assert_int_eq(tcpx_sock_error(h->e, c.s), ETIMEDOUT);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPSynRetrans"), n);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), n);
	/* Linux 6.x: every expiry, the last (giving up) too. */
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), n + 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:AttemptFails"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPAbortOnTimeout"), 1);
	ck_assert_uint_eq(tcpx_next_deadline(h->e), UINT64_MAX);
}

START_TEST(test_syn_retries_default)
{
	static const unsigned times[] = { 1, 3, 7, 15, 31, 63 };

	check_syn_timing(times, 6, 127);
}
END_TEST

START_TEST(test_syn_retries_sysctl)
{
	static const unsigned times[] = { 1, 3 };

	sysctl_set(h, "net.ipv4.tcp_syn_retries", "2");
	check_syn_timing(times, 2, 7);
}
END_TEST

/*
 * Linux 6.x's tcp_syn_linear_timeouts=4 (this kernel's default) with
 * tcp_syn_retries=3: four extra retries at the initial 1 s RTO, then
 * doubling: SYNs at 0, 1, 2, 3, 4, 5, 7, 11 s, ETIMEDOUT at 19 s.
 */
START_TEST(test_syn_linear_timeouts)
{
	static const unsigned times[] = { 1, 2, 3, 4, 5, 7, 11 };

	sysctl_set(h, "net.ipv4.tcp_syn_retries", "3");
	sysctl_set(h, "net.ipv4.tcp_syn_linear_timeouts", "4");
	check_syn_timing(times, 7, 19);
}
END_TEST

START_TEST(test_syn_retries_syncnt)
{
	static const unsigned times[] = { 1 };
	struct sockaddr_in sin;
	struct tcp_seg seg;
	int s, one = 1;
	uint64_t t0;

	s = tcpx_socket(h->e);
	ck_assert_int_eq(tcpx_setsockopt(h->e, s, IPPROTO_TCP, TCP_SYNCNT,
	    &one, sizeof(one)), 0);
	h_peer_sockaddr(&sin, FX_RPORT);
	ck_assert_int_eq(tcpx_connect(h->e, s, &sin), -EINPROGRESS);
	ck_assert(h_take(h, &seg));
	t0 = h->last_sent_us;
	h_run_until(h, t0 + times[0] * 1000000ULL);
	ck_assert(h_take(h, &seg));
	h_run_until(h, t0 + 3000000ULL - 1);
	ck_assert_int_eq(tcpx_state(h->e, s), TCP_ST_SYN_SENT);
	h_run_until(h, t0 + 3000000ULL);
	ck_assert_int_eq(tcpx_state(h->e, s), TCP_ST_CLOSED);
	ck_assert_int_eq(tcpx_sock_error(h->e, s), ETIMEDOUT);
}
END_TEST

START_TEST(test_synsent_rst_refused)
{
	struct fx_conn c;

	fx_connect(h, &c);
	/* RST without ACK, and RST|ACK with a bad ACK: both ignored. */
	fx_send(h, &c, TH_RST, 0, 0, NULL, 0, 0);
	fx_send(h, &c, TH_RST | TH_ACK, 0, c.iss + 5, NULL, 0, 0);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_SYN_SENT);
	/* RST|ACK acknowledging the SYN: connection refused. */
	fx_send(h, &c, TH_RST | TH_ACK, 0, c.iss + 1, NULL, 0, 0);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_CLOSED);
	ck_assert_int_eq(tcpx_sock_error(h->e, c.s), ECONNREFUSED);
	ck_assert_uint_eq(h_mib(h, "Tcp:AttemptFails"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:EstabResets"), 0);
	ck_assert_uint_eq(tcpx_next_deadline(h->e), UINT64_MAX);
}
END_TEST

START_TEST(test_synsent_bad_ack)
{
	struct fx_conn c;
	struct tcp_seg seg;

	fx_connect(h, &c);
	/* RFC 9293: an ACK of something never sent: <SEQ=SEG.ACK><CTL=RST>. */
	fx_send(h, &c, TH_SYN | TH_ACK, FX_PEER_ISN, c.iss + 100, NULL, 0,
	    1000);
	H_EXPECT(h, &seg, TH_RST, c.iss + 100, 0);
	fx_send(h, &c, TH_ACK, FX_PEER_ISN, c.iss, NULL, 0, 1000);
	H_EXPECT(h, &seg, TH_RST, c.iss, 0);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_SYN_SENT);
	ck_assert_uint_eq(h_mib(h, "Tcp:OutRsts"), 2);
}
END_TEST

START_TEST(test_synsent_paws_active)
{
	struct fx_conn c;
	struct tcp_seg seg;
	struct h_seg s;

	fx_connect(h, &c);
	/* A SYN-ACK echoing a TSval we never sent: an old duplicate. */
	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c.lport;
	s.seq = FX_PEER_ISN;
	s.ack = c.iss + 1;
	s.flags = TH_SYN | TH_ACK;
	s.wnd = 1000;
	s.opt = fx_syn_opts(7);
	s.opt.ts_ecr = c.our_ts + 100000;
	h_inject(h, &s);
	H_EXPECT(h, &seg, TH_RST, c.iss + 1, 0);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_SYN_SENT);
	ck_assert_uint_eq(h_mib(h, "TcpExt:PAWSActive"), 1);
	/* The genuine one still completes the handshake. */
	s.opt.ts_ecr = c.our_ts;
	h_inject(h, &s);
	H_EXPECT(h, &seg, TH_ACK, c.iss + 1, FX_PEER_ISN + 1);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
}
END_TEST

START_TEST(test_simultaneous_open_scripted)
{
	struct fx_conn c;
	struct tcp_seg seg;
	struct h_seg s;

	fx_connect(h, &c);
	/* The peer's SYN crosses ours. */
	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c.lport;
	s.seq = FX_PEER_ISN;
	s.flags = TH_SYN;
	s.wnd = 65535;
	s.opt = fx_syn_opts(7);
	h_inject(h, &s);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_SYN_RECEIVED);
	/* SYN-ACK from our ISS, with our SYN options. */
	H_EXPECT(h, &seg, TH_SYN | TH_ACK, c.iss, FX_PEER_ISN + 1);
	ck_assert(seg.opt.has_mss && seg.opt.has_wscale && seg.opt.sack_perm);
	ck_assert_uint_eq(seg.opt.ts_ecr, FX_PEER_TS);
	/* Its SYN-ACK crosses ours: ESTABLISHED, and an ACK. */
	s.flags = TH_SYN | TH_ACK;
	s.ack = c.iss + 1;
	s.opt.ts_val = FX_PEER_TS + 1;
	s.opt.ts_ecr = seg.opt.ts_val;
	h_inject(h, &s);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
	H_EXPECT(h, &seg, TH_ACK, c.iss + 1, FX_PEER_ISN + 1);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "Tcp:CurrEstab"), 1);
	ck_assert(h_events(h, c.s) & TCPX_EV_OUT);
}
END_TEST

/* Move every frame `from` sent into `to`. */
static unsigned
pump(struct harness *from, struct harness *to)
{
	const uint8_t *f;
	unsigned n = 0;
	size_t len;

	while ((f = h_take_frame(from, &len)) != NULL) {
		to->now = from->now > to->now ? from->now : to->now;
		h_inject_raw(to, f, len);
		n++;
	}
	return n;
}

START_TEST(test_simultaneous_open_two_engines)
{
	struct tcpx_config cfg;
	struct harness *b;
	struct sockaddr_in sin;
	int sa, sb;
	char buf[8];

	/* Engine b is the peer, 10.0.0.1; each connects to the other. */
	h_default_cfg(&cfg, TCPX_LINK_RAWIP);
	cfg.addr.s_addr = H_PEER_ADDR;
	cfg.secret[0] ^= 0x5a;
	b = h_new_cfg(&cfg, h->now);
	sa = tcpx_socket(h->e);
	sb = tcpx_socket(b->e);
	h_local_sockaddr(&sin, 5000);
	ck_assert_int_eq(tcpx_bind(h->e, sa, &sin), 0);
	sin.sin_addr.s_addr = H_PEER_ADDR;
	sin.sin_port = htons(6000);
	ck_assert_int_eq(tcpx_bind(b->e, sb, &sin), 0);
	ck_assert_int_eq(tcpx_connect(h->e, sa, &sin), -EINPROGRESS);
	h_local_sockaddr(&sin, 5000);
	ck_assert_int_eq(tcpx_connect(b->e, sb, &sin), -EINPROGRESS);
	/* Both SYNs are in flight before either arrives. */
	ck_assert_uint_eq(h_out_count(h), 1);
	ck_assert_uint_eq(h_out_count(b), 1);
	ck_assert_uint_eq(pump(h, b), 1);
	ck_assert_uint_eq(pump(b, h), 2);	/* b's SYN, b's SYN-ACK */
	ck_assert_int_eq(tcpx_state(h->e, sa), TCP_ST_ESTABLISHED);
	for (int i = 0; i < 4 && (pump(h, b) + pump(b, h)) > 0; i++)
		;
	ck_assert_int_eq(tcpx_state(h->e, sa), TCP_ST_ESTABLISHED);
	ck_assert_int_eq(tcpx_state(b->e, sb), TCP_ST_ESTABLISHED);
	/* And they talk. */
	ck_assert_int_eq(tcpx_send(h->e, sa, "ping", 4, 0), 4);
	pump(h, b);
	ck_assert_int_eq(tcpx_recv(b->e, sb, buf, sizeof(buf), 0), 4);
	ck_assert_mem_eq(buf, "ping", 4);
	h_free(b);
}
END_TEST

static const uint8_t cookie8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* The peer's SYN-ACK to a Fast Open SYN, acking `acked` data bytes. */
static void
tfo_synack(struct fx_conn *c, uint32_t acked, bool with_cookie)
{
	struct h_seg s;

	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c->lport;
	s.seq = FX_PEER_ISN;
	s.ack = c->iss + 1 + acked;
	s.flags = TH_SYN | TH_ACK;
	s.wnd = 65535;
	s.opt = fx_syn_opts(7);
	s.opt.ts_ecr = c->our_ts;
	if (with_cookie) {
		s.opt.has_fastopen = true;
		s.opt.fastopen_len = 8;
		memcpy(s.opt.fastopen_cookie, cookie8, 8);
	}
	h_inject(h, &s);
	c->rcv = FX_PEER_ISN + 1;
	c->ts = true;
}

static void
tfo_connect_flags(struct fx_conn *c, const void *data, size_t len, int flags,
    ssize_t want, struct tcp_seg *syn)
{
	struct sockaddr_in sin;

	memset(c, 0, sizeof(*c));
	c->s = tcpx_socket(h->e);
	h_peer_sockaddr(&sin, FX_RPORT);
	ck_assert_int_eq(tcpx_sendto_fastopen(h->e, c->s, data, len, flags,
	    &sin), want);
	ck_assert(h_take(h, syn));
	ck_assert_uint_eq(syn->flags, TH_SYN);
	c->lport = syn->sport;
	c->iss = syn->seq;
	c->our_ts = syn->opt.ts_val;
}

/* A non-blocking sendto(MSG_FASTOPEN). */
static void
tfo_connect(struct fx_conn *c, const void *data, size_t len, ssize_t want,
    struct tcp_seg *syn)
{
	tfo_connect_flags(c, data, len, MSG_DONTWAIT, want, syn);
}

START_TEST(test_fastopen_client)
{
	static const char msg[] = "GET / HTTP/1.0\r\n\r\n";
	uint8_t ck[TCP_FASTOPEN_COOKIE_MAX], cl;
	struct fx_conn c;
	struct tcp_seg seg;
	uint16_t mss;

	/* 1. No cookie yet: an empty option asks for one, no data. */
	tfo_connect(&c, msg, sizeof(msg) - 1, -EINPROGRESS, &seg);
	ck_assert(seg.opt.has_fastopen);
	ck_assert_uint_eq(seg.opt.fastopen_len, 0);
	ck_assert_uint_eq(seg.len, 0);
	tfo_synack(&c, 0, true);
	H_EXPECT(h, &seg, TH_ACK, c.iss + 1, FX_PEER_ISN + 1);
	ck_assert(tcp_fastopen_cache_get(h->e, H_PEER_ADDR, ck, &cl, &mss));
	ck_assert_uint_eq(cl, 8);
	ck_assert_mem_eq(ck, cookie8, 8);
	ck_assert_uint_eq(mss, 1460);
	tcpx_close(h->e, c.s);
	h_clear_out(h);

	/* 2. With the cookie: SYN carries cookie and data; both acked. */
	tfo_connect(&c, msg, sizeof(msg) - 1, (ssize_t)sizeof(msg) - 1, &seg);
	ck_assert(seg.opt.has_fastopen);
	ck_assert_uint_eq(seg.opt.fastopen_len, 8);
	ck_assert_mem_eq(seg.opt.fastopen_cookie, cookie8, 8);
	ck_assert_uint_eq(seg.len, sizeof(msg) - 1);
	ck_assert_mem_eq(seg.data, msg, sizeof(msg) - 1);
	tfo_synack(&c, sizeof(msg) - 1, false);
	H_EXPECT(h, &seg, TH_ACK, c.iss + sizeof(msg), FX_PEER_ISN + 1);
	ck_assert_uint_eq(seg.len, 0);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenActive"), 1);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenActiveFail"), 0);
	tcpx_close(h->e, c.s);
	h_clear_out(h);

	/* 3. The server took only the SYN: the data goes again. */
	tfo_connect(&c, msg, sizeof(msg) - 1, (ssize_t)sizeof(msg) - 1, &seg);
	tfo_synack(&c, 0, false);
	H_EXPECT(h, &seg, TH_ACK | TH_PSH, c.iss + 1, FX_PEER_ISN + 1);
	ck_assert_uint_eq(seg.len, sizeof(msg) - 1);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastOpenActiveFail"), 1);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 1);
}
END_TEST

/*
 * A blocking sendto(MSG_FASTOPEN) without a cookie: the SYN asks for one,
 * the sender waits for the connection, and Linux (sk_write_pending) sends
 * no pure ACK for the SYN-ACK: the data that follows carries it.  If the
 * data does not come, the delayed ACK goes at TCP_DELACK_MAX (200 ms).
 */
START_TEST(test_fastopen_blocking_writer_saves_ack)
{
	static const char msg[] = "GET / HTTP/1.0\r\n\r\n";
	struct fx_conn c;
	struct tcp_seg seg;
	uint64_t t0;

	/* The writer never sends: the ACK goes 200 ms after the SYN-ACK.
	 * (This SYN-ACK has no cookie, so the next SYN asks again.) */
	tfo_connect_flags(&c, msg, sizeof(msg) - 1, 0, -EINPROGRESS, &seg);
	ck_assert(seg.opt.has_fastopen);
	ck_assert_uint_eq(seg.len, 0);
	tfo_synack(&c, 0, false);
	t0 = h->now;
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_state(h->e, c.s), TCP_ST_ESTABLISHED);
	h_run_until(h, t0 + 199000);
	H_EXPECT_NONE(h);
	h_run_until(h, t0 + 201000);
	H_EXPECT(h, &seg, TH_ACK, c.iss + 1, FX_PEER_ISN + 1);
	ck_assert_uint_eq(seg.len, 0);
	tcpx_close(h->e, c.s);
	h_clear_out(h);

	/* The writer's data: one segment, carrying the ACK. */
	tfo_connect_flags(&c, msg, sizeof(msg) - 1, 0, -EINPROGRESS, &seg);
	ck_assert_uint_eq(seg.len, 0);
	tfo_synack(&c, 0, true);
	H_EXPECT_NONE(h);
	ck_assert_int_eq(tcpx_send(h->e, c.s, msg, sizeof(msg) - 1, 0),
	    (ssize_t)sizeof(msg) - 1);
	H_EXPECT(h, &seg, TH_ACK | TH_PSH, c.iss + 1, FX_PEER_ISN + 1);
	ck_assert_uint_eq(seg.len, sizeof(msg) - 1);
	H_EXPECT_NONE(h);

}
END_TEST

START_TEST(test_fastopen_no_cookie_bit)
{
	struct fx_conn c;
	struct tcp_seg seg;

	/* tcp_fastopen 0x5: data in the SYN without any cookie or option. */
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_fastopen", "5"),
	    0);
	tfo_connect(&c, "hello", 5, 5, &seg);
	ck_assert(!seg.opt.has_fastopen);
	ck_assert_uint_eq(seg.len, 5);
	/* The SYN retry carries neither data nor option. */
	h_run_until(h, h->last_sent_us + 1000000);
	H_EXPECT(h, &seg, TH_SYN, c.iss, 0);
	ck_assert_uint_eq(seg.len, 0);
}
END_TEST

static Suite *
active_suite(void)
{
	Suite *s = suite_create("tcp_active");
	TCase *tc = tcase_create("active");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_syn_layout);
	tcase_add_test(tc, test_rcvbuf_set_bounds_wscale);
	tcase_add_test(tc, test_handshake_negotiates);
	tcase_add_test(tc, test_handshake_no_options);
	tcase_add_test(tc, test_syn_retries_default);
	tcase_add_test(tc, test_syn_retries_sysctl);
	tcase_add_test(tc, test_syn_retries_syncnt);
	tcase_add_test(tc, test_syn_linear_timeouts);
	tcase_add_test(tc, test_synsent_rst_refused);
	tcase_add_test(tc, test_synsent_bad_ack);
	tcase_add_test(tc, test_synsent_paws_active);
	tcase_add_test(tc, test_simultaneous_open_scripted);
	tcase_add_test(tc, test_simultaneous_open_two_engines);
	tcase_add_test(tc, test_fastopen_client);
	tcase_add_test(tc, test_fastopen_blocking_writer_saves_ack);
	tcase_add_test(tc, test_fastopen_no_cookie_bit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(active_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
