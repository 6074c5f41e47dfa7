/*
 * test_tcp_gso.c - the engine's offload hooks (core/tcpx.h):
 *   - TX: with cfg.gso_max_size and ops->output_gso, a bulk send leaves
 *     as TCP super-segments of whole MSS pieces, as much as cwnd allows
 *     (10, 20, 40 segments...), at most 64 KB of IPv4; each with
 *     gso_size = MSS, the TCP checksum CHECKSUM_PARTIAL (the folded
 *     pseudo-header sum, not complemented), a complete IPv4 checksum,
 *     csum_start at the TCP header and csum_offset 16; counted as the
 *     segments it stands for; seen once by trace_seg; a short last
 *     piece only when Nagle/TCP_CORK would send it.  A lost
 *     super-segment is recovered segment by segment, SACK-driven.
 *     Sized by Linux's TSO autosizing (pacing rate, min_rtt,
 *     tcp_min_tso_segs), held back by its TSO deferral while an ACK is
 *     due (tcp_tso_win_divisor).
 *   - RX: tcpx_input_ex with TCPX_RX_CSUM_OK takes a 60 KB GRO frame
 *     whose TCP checksum is garbage; tcpx_input drops it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "bulk_fixture.h"

#define GSO_MAX		64
/*
 * The handshake's RTT: a near peer, under 2^tcp_tso_rtt_log (512) us, so
 * that TSO autosizing allows 64 KB super-segments (test_gso_autosize
 * has the far ones).
 */
#define NEAR_RTT_US	200

static struct harness *h;

/* Super-segments handed to output_gso, copied. */
static struct gso_frame {
	uint8_t *data;
	size_t len;
	uint16_t gso_size, csum_start, csum_offset;
} gso[GSO_MAX];
static unsigned ngso, gso_taken;

/*
 * Room lent for super-segments (ops->tx_frame), at an odd offset as
 * tcpxd's is after a virtio-net header.
 */
static uint8_t lent_room[65536 + 128];
static unsigned nlent;

static uint8_t *
tx_frame(void *ctx, size_t max)
{
	(void)ctx;
	ck_assert_uint_le(max, sizeof(lent_room) - 10);
	nlent++;
	return lent_room + 10;
}

static void
output_gso(void *ctx, const uint8_t *frame, size_t len, uint16_t gso_size,
    uint16_t csum_start, uint16_t csum_offset)
{
	(void)ctx;
	/* Lent room: the frame was built in it, not copied out of it. */
	if (h->e->ops.tx_frame != NULL && h->cfg.link == TCPX_LINK_ETHER)
		ck_assert_ptr_eq(frame, lent_room + 10);
	ck_assert_uint_lt(ngso, GSO_MAX);
	gso[ngso].data = malloc(len);
	ck_assert_ptr_nonnull(gso[ngso].data);
	memcpy(gso[ngso].data, frame, len);
	gso[ngso].len = len;
	gso[ngso].gso_size = gso_size;
	gso[ngso].csum_start = csum_start;
	gso[ngso].csum_offset = csum_offset;
	ngso++;
}

/*
 * Gathered super-segments (ops->output_gso_gather), as tcpxd sends them:
 * the headers copied at once, the payload only when the "host" sends
 * the batch (gather_send, before each take_gso) or the engine fences.
 * Until then the engine must leave those bytes where they are.
 */
static struct {
	const uint8_t *payload;
	size_t hdrlen, plen;
} pend[GSO_MAX];
static unsigned npend, nfence;

static void
gather_send(void)
{
	for (unsigned i = 0; i < npend; i++) {
		struct gso_frame *f = &gso[ngso - npend + i];

		memcpy(f->data + pend[i].hdrlen, pend[i].payload, pend[i].plen);
	}
	npend = 0;
	tcpx_tx_sent(h->e);
}

static void
output_gso_gather(void *ctx, const uint8_t *hdr, size_t hdrlen,
    const uint8_t *payload, size_t plen, uint16_t gso_size,
    uint16_t csum_start, uint16_t csum_offset)
{
	(void)ctx;
	ck_assert_uint_lt(ngso, GSO_MAX);
	ck_assert_uint_gt(plen, 0);
	gso[ngso].data = malloc(hdrlen + plen);
	ck_assert_ptr_nonnull(gso[ngso].data);
	memcpy(gso[ngso].data, hdr, hdrlen);
	gso[ngso].len = hdrlen + plen;
	gso[ngso].gso_size = gso_size;
	gso[ngso].csum_start = csum_start;
	gso[ngso].csum_offset = csum_offset;
	ngso++;
	pend[npend].payload = payload;
	pend[npend].hdrlen = hdrlen;
	pend[npend].plen = plen;
	npend++;
}

static void
tx_fence(void *ctx)
{
	(void)ctx;
	nfence++;
	gather_send();
}

static void
gather_on(void)
{
	h->e->ops.output_gso_gather = output_gso_gather;
	h->e->ops.tx_fence = tx_fence;
	npend = nfence = 0;
}

static uint32_t max_segs;	/* cfg.gso_max_segs of the next setup_link */

static void
setup_link(enum tcpx_link link)
{
	struct tcpx_config cfg;

	h_default_cfg(&cfg, link);
	cfg.gso_max_size = 65536;
	cfg.gso_max_segs = max_segs;
	h = h_new_cfg(&cfg, H_START_US);
	h->e->ops.output_gso = output_gso;
	ngso = gso_taken = 0;
}

/* A send buffer that holds several windows, so each ACK finds data. */
static void
big_sndbuf(struct fx_conn *c)
{
	ck_assert_int_eq(tcpx_setsockopt(h->e, c->s, SOL_SOCKET, SO_SNDBUF,
	    &(int){ 1 << 20 }, sizeof(int)), 0);
}

static void
setup(void)
{
	setup_link(TCPX_LINK_RAWIP);
}

static void
teardown(void)
{
	npend = 0;
	for (unsigned i = 0; i < ngso; i++)
		free(gso[i].data);
	ngso = 0;
	h_free(h);
	h = NULL;
}

/*
 * The next super-segment: check its IPv4 header, its partial checksum
 * and its payload bytes; return seq and payload length.
 */
static void
take_gso(struct fx_conn *c, uint32_t *seq, uint32_t *len, uint32_t *tsval)
{
	struct gso_frame *f;
	struct ipv4_view ip;
	struct tcp_seg seg;
	size_t off = h->cfg.link == TCPX_LINK_ETHER ? ETH_HLEN_ : 0;
	uint32_t sum;
	uint16_t partial, full;
	uint8_t *th;

	gather_send();
	ck_assert_uint_lt(gso_taken, ngso);
	f = &gso[gso_taken++];
	ck_assert_uint_eq(f->gso_size, BK_MSS);
	ck_assert_uint_eq(f->csum_start, off + 20);
	ck_assert_uint_eq(f->csum_offset, 16);
	/* The IPv4 header is complete: ipv4_parse checks its checksum. */
	ck_assert_int_eq(ipv4_parse(f->data + off, f->len - off, &ip), WIRE_OK);
	ck_assert_uint_eq(ip.total_len, f->len - off);
	ck_assert_uint_le(ip.total_len, 65535);
	th = f->data + f->csum_start;
	/* CHECKSUM_PARTIAL: the folded pseudo-header sum, as is. */
	sum = inet_pseudo_sum(ip.src, ip.dst, IPPROTO_TCP_,
	    (uint16_t)ip.payload_len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	partial = (uint16_t)(th[16] << 8 | th[17]);
	ck_assert_uint_eq(partial, sum);
	/* Completing it over the segment gives the real checksum. */
	full = inet_csum_fold(inet_csum_add(0, th, ip.payload_len));
	th[16] = th[17] = 0;
	ck_assert_uint_eq(full, inet_csum_fold(inet_csum_add(
	    inet_pseudo_sum(ip.src, ip.dst, IPPROTO_TCP_,
	    (uint16_t)ip.payload_len), th, ip.payload_len)));
	th[16] = (uint8_t)(full >> 8);
	th[17] = (uint8_t)full;
	ck_assert_int_eq(tcp_parse(&ip, &seg), WIRE_OK);
	ck_assert_uint_gt(seg.len, BK_MSS);
	for (uint32_t i = 0; i < seg.len; i++)
		if (seg.data[i] != bk_byte(seg.seq - c->iss - 1 + i))
			ck_abort_msg("wrong byte at seq %u", seg.seq + i);
	*seq = seg.seq;
	*len = seg.len;
	*tsval = seg.opt.ts_val;
}

static void
bulk_send(void)
{
	struct fx_conn c;
	uint32_t seq, len, ts, next;
	unsigned trace0;
	uint64_t out0;

	bk_establish(h, &c, NEAR_RTT_US, true, NULL);
	big_sndbuf(&c);
	out0 = h_mib(h, "Tcp:OutSegs");
	trace0 = h->ntrace_out;
	bk_fill(h, &c);
	/* IW10: one super-segment of ten MSS, nothing through output. */
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(ngso, 1);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(seq, c.iss + 1);
	ck_assert_uint_eq(len, 10 * BK_MSS);
	ck_assert_uint_eq(h_mib(h, "Tcp:OutSegs") - out0, 10);
	ck_assert_uint_eq(h->ntrace_out - trace0, 1);
	next = seq + len;
	/* Its ACK doubles cwnd: twenty MSS in one. */
	h_advance(h, NEAR_RTT_US);
	bk_ack(h, &c, next, ts, NULL, 0);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(seq, next);
	ck_assert_uint_eq(len, 20 * BK_MSS);
	next += len;
	h_advance(h, NEAR_RTT_US);
	bk_fill(h, &c);
	bk_ack(h, &c, next, ts, NULL, 0);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(len, 40 * BK_MSS);
	next += len;
	/* cwnd 80: no more than an IPv4 packet holds, 45 MSS, then 35. */
	h_advance(h, NEAR_RTT_US);
	bk_fill(h, &c);
	bk_ack(h, &c, next, ts, NULL, 0);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(seq, next);
	ck_assert_uint_eq(len, 45 * BK_MSS);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(seq, next + 45 * BK_MSS);
	ck_assert_uint_eq(len, 35 * BK_MSS);
	ck_assert_uint_eq(gso_taken, ngso);
	H_EXPECT_NONE(h);
	ck_assert_uint_eq(h_mib(h, "Tcp:OutSegs") - out0, 10 + 20 + 40 + 80);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPOrigDataSent"),
	    10 + 20 + 40 + 80);
}

START_TEST(test_gso_bulk_send)
{
	bulk_send();
}
END_TEST

/*
 * With room lent by the host, each super-segment is built there and
 * handed over in place: the same segments, checksums and payload
 * bytes; MSS-sized segments and pure ACKs use the engine's buffer.
 */
/* bulk_send on Ethernet with room lent, gathered or not. */
static void
bulk_send_ether(bool gather)
{
	teardown();
	setup_link(TCPX_LINK_ETHER);
	h->e->ops.tx_frame = tx_frame;
	nlent = 0;
	if (gather)
		gather_on();
	bulk_send();
}

START_TEST(test_gso_bulk_send_lent_room)
{
	bulk_send_ether(false);
	ck_assert_uint_eq(nlent, ngso);
	ck_assert_uint_eq(ngso, 5);
}
END_TEST

/* Raw IP has no room to lend into (tcpxd's tun path has no GSO). */
START_TEST(test_gso_raw_ip_borrows_nothing)
{
	h->e->ops.tx_frame = tx_frame;
	nlent = 0;
	bulk_send();
	ck_assert_uint_eq(nlent, 0);
}
END_TEST

START_TEST(test_gso_lost_super_segment)
{
	struct fx_conn c;
	uint32_t seq, len, ts, next, a_seq, a_len, b_seq, b_len, blk[2];
	uint32_t last_ts = 0, una, high;
	struct bk_seg s[128];
	unsigned n, nsuper = 0;

	bk_establish(h, &c, NEAR_RTT_US, true, NULL);
	big_sndbuf(&c);
	bk_fill(h, &c);
	take_gso(&c, &seq, &len, &ts);
	next = seq + len;
	for (int r = 0; r < 2; r++) {
		h_advance(h, NEAR_RTT_US);
		bk_ack(h, &c, next, ts, NULL, 0);
		bk_fill(h, &c);
		while (gso_taken < ngso) {
			take_gso(&c, &seq, &len, &ts);
			next = seq + len;
		}
	}
	/* cwnd 80 now, after one more ACK: A (45 MSS) then B (35 MSS). */
	h_advance(h, NEAR_RTT_US);
	bk_ack(h, &c, next, ts, NULL, 0);
	take_gso(&c, &a_seq, &a_len, &ts);
	take_gso(&c, &b_seq, &b_len, &ts);
	ck_assert_uint_eq(a_len, 45 * BK_MSS);
	ck_assert_uint_eq(b_seq, a_seq + a_len);
	ck_assert_uint_eq(b_len, 35 * BK_MSS);
	ck_assert_uint_eq(gso_taken, ngso);
	/* A is lost, B arrives: the peer SACKs B piece by piece. */
	h_advance(h, NEAR_RTT_US);
	for (unsigned i = 1; i <= 3; i++) {
		blk[0] = b_seq;
		blk[1] = b_seq + i * BK_MSS;
		bk_ack(h, &c, a_seq, ts, blk, 1);
	}
	/*
	 * IsLost: all 45 MSS pieces of A.  They are resent as Linux's
	 * tcp_retransmit_skb resends a TSO skb: as many as PRR's room
	 * allows in one super-segment (through ops->output_gso), a lone
	 * piece through ops->output; in order, each once, as B's SACKs and
	 * then the resent pieces' own ACKs make room (new data, beyond B,
	 * may go in between).
	 */
	n = 0;
	una = a_seq;
	high = b_seq + b_len;
	for (unsigned i = 4, rounds = 0; n < 45; rounds++) {
		unsigned k = bk_take(h, &c, s, 128), got = 0;

		ck_assert_uint_lt(rounds, 200);
		/* Super-segments, after the plain ones: order by seq. */
		for (; gso_taken < ngso && k < 128; k++) {
			take_gso(&c, &s[k].seq, &s[k].len, &s[k].tsval);
			if (SEQ_LT(s[k].seq, b_seq))
				nsuper++;
		}
		for (unsigned j = 1; j < k; j++)
			for (unsigned m = j; m > 0 &&
			    SEQ_LT(s[m].seq, s[m - 1].seq); m--) {
				struct bk_seg t = s[m];

				s[m] = s[m - 1];
				s[m - 1] = t;
			}
		for (unsigned j = 0; j < k; j++) {
			if (SEQ_GT(s[j].seq + s[j].len, high))
				high = s[j].seq + s[j].len;
			if (SEQ_GEQ(s[j].seq, b_seq + b_len))
				continue;
			ck_assert_uint_eq(s[j].seq, a_seq + n * BK_MSS);
			ck_assert_uint_eq(s[j].len % BK_MSS, 0);
			last_ts = s[j].tsval;
			n += s[j].len / BK_MSS;
			got++;
		}
		if (i <= 35) {
			/* Another piece of B arrives. */
			blk[1] = b_seq + i++ * BK_MSS;
			bk_ack(h, &c, una, ts, blk, 1);
		} else if (got > 0 || SEQ_LT(una, a_seq + n * BK_MSS)) {
			/* A resent piece of A arrives: the ACK moves. */
			una += BK_MSS;
			bk_ack(h, &c, una, last_ts, blk, 1);
		}
	}
	ck_assert_uint_gt(nsuper, 0);
	ck_assert_uint_eq(n, 45);
	ck_assert_uint_eq(h_mib(h, "Tcp:RetransSegs"), 45);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPFastRetrans"), 45);
	ck_assert_uint_eq(h_mib(h, "TcpExt:TCPTimeouts"), 0);
	/* All of A arrives: one ACK covers all sent; recovery is over. */
	h_advance(h, NEAR_RTT_US);
	bk_ack(h, &c, high, last_ts, NULL, 0);
	ck_assert_uint_eq(bk_info(h, &c).snd_cwnd, bk_info(h, &c).snd_ssthresh);
	ck_assert_uint_eq(bk_info(h, &c).snd_ssthresh, 56);
}
END_TEST

START_TEST(test_gso_cork_holds_tail)
{
	struct fx_conn c;
	uint32_t seq, len, ts;
	struct bk_seg s[4];

	bk_establish(h, &c, NEAR_RTT_US, true, NULL);
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, IPPROTO_TCP, TCP_CORK,
	    &(int){ 1 }, sizeof(int)), 0);
	/* 3.5 MSS corked: one super-segment of 3, the half waits. */
	bk_send_n(h, &c, 3 * BK_MSS + BK_MSS / 2);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(len, 3 * BK_MSS);
	ck_assert_uint_eq(gso_taken, ngso);
	H_EXPECT_NONE(h);
	/* Uncorked, the half goes, through output. */
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, IPPROTO_TCP, TCP_CORK,
	    &(int){ 0 }, sizeof(int)), 0);
	ck_assert_uint_eq(bk_take(h, &c, s, 4), 1);
	ck_assert_uint_eq(s[0].seq, seq + len);
	ck_assert_uint_eq(s[0].len, BK_MSS / 2);
}
END_TEST

START_TEST(test_gso_ether_csum_start)
{
	struct fx_conn c;
	uint32_t seq, len, ts;

	teardown();
	setup_link(TCPX_LINK_ETHER);
	bk_establish(h, &c, NEAR_RTT_US, true, NULL);
	bk_fill(h, &c);
	ck_assert_uint_eq(ngso, 1);
	/* take_gso checks csum_start = 14 + 20 on Ethernet. */
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(len, 10 * BK_MSS);
	ck_assert_uint_eq(gso[0].data[12], 0x08);
	ck_assert_uint_eq(gso[0].data[13], 0x00);
}
END_TEST

/*
 * Gathered: the same segments, checksums and bytes, each payload sent
 * from the send ring, not copied into lent room.
 */
START_TEST(test_gso_gather_bulk_send)
{
	bulk_send_ether(true);
	ck_assert_uint_eq(ngso, 5);
	ck_assert_uint_eq(nlent, 0);
}
END_TEST

/*
 * A write that grows the send ring, and a socket that goes away, first
 * have the host send the frames that point into the ring (tx_fence):
 * their bytes are still the stream's when it does.
 */
START_TEST(test_gso_gather_fences)
{
	struct fx_conn c;
	uint32_t seq, len, ts;
	struct linger lg = { 1, 0 };

	teardown();
	setup_link(TCPX_LINK_ETHER);
	gather_on();
	bk_establish(h, &c, NEAR_RTT_US, true, NULL);
	/* 10 MSS into a 16 KB ring: IW10 leaves as one gathered frame. */
	bk_send_n(h, &c, 10 * BK_MSS);
	ck_assert_uint_eq(ngso, 1);
	ck_assert_uint_eq(npend, 1);
	/* Room left for a small write: the ring stays, no fence. */
	bk_send_n(h, &c, 100);
	ck_assert_uint_eq(nfence, 0);
	ck_assert_uint_eq(npend, 1);
	/* A larger one grows the ring: fenced before it moved. */
	bk_send_n(h, &c, 20000);
	ck_assert_uint_eq(nfence, 1);
	ck_assert_uint_eq(npend, 0);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(len, 10 * BK_MSS);
	/* Its ACK sends the rest, gathered from the new ring. */
	h_advance(h, NEAR_RTT_US);
	bk_ack(h, &c, seq + len, ts, NULL, 0);
	ck_assert_uint_eq(npend, 1);
	/* An abortive close frees the ring: fenced first. */
	ck_assert_int_eq(tcpx_setsockopt(h->e, c.s, SOL_SOCKET, SO_LINGER,
	    &lg, sizeof(lg)), 0);
	ck_assert_int_eq(tcpx_close(h->e, c.s), 0);
	ck_assert_uint_eq(nfence, 2);
	ck_assert_uint_eq(npend, 0);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(seq, c.iss + 1 + 10 * BK_MSS);
	ck_assert_uint_eq(len, 100 + 20000);
}
END_TEST

/*
 * A device that takes at most 4 segments per super-segment
 * (gso_max_segs, as Linux's tcp_tso_segs honours it): IW10 leaves as
 * 4 + 4 MSS super-segments and 2 MSS.
 */
START_TEST(test_gso_max_segs)
{
	struct fx_conn c;
	uint32_t seq, len, ts;

	teardown();
	max_segs = 4;
	setup_link(TCPX_LINK_RAWIP);
	max_segs = 0;
	bk_establish(h, &c, NEAR_RTT_US, true, NULL);
	bk_fill(h, &c);
	ck_assert_uint_eq(ngso, 3);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(len, 4 * BK_MSS);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(len, 4 * BK_MSS);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(seq, c.iss + 1 + 8 * BK_MSS);
	ck_assert_uint_eq(len, 2 * BK_MSS);
}
END_TEST

/*
 * TSO autosizing (Linux's tcp_tso_autosize): after a handshake of
 * rtt_us, with the two sysctls given, IW10 leaves as super-segments of
 * the lengths in want[] (MSS), all ten segments in all.  The pacing
 * rate then is 2 * 10 MSS / rtt (slow start's 200%).
 */
static void
autosize_iw(uint64_t rtt_us, const char *rtt_log, const char *min_segs,
    const uint32_t *want, unsigned n)
{
	struct fx_conn c;
	uint32_t seq, len, ts, next;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_tso_rtt_log",
	    rtt_log), 0);
	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_min_tso_segs",
	    min_segs), 0);
	bk_establish(h, &c, rtt_us, true, NULL);
	bk_fill(h, &c);
	ck_assert_uint_eq(ngso, n);
	next = c.iss + 1;
	for (unsigned i = 0; i < n; i++) {
		take_gso(&c, &seq, &len, &ts);
		ck_assert_uint_eq(seq, next);
		ck_assert_uint_eq(len, want[i] * BK_MSS);
		next += len;
	}
	ck_assert_uint_eq(next, c.iss + 1 + 10 * BK_MSS);
	/* The SYN and the handshake's ACK, then the ten. */
	ck_assert_uint_eq(h_mib(h, "Tcp:OutSegs"), 2 + 10);
}

/*
 * 20 ms away: 2 * 14480 B / 20 ms is 1414 bytes per 1/1024 s, under one
 * MSS, and min_rtt adds nothing (20000 >> 9 = 39 halvings): two MSS, the
 * tcp_min_tso_segs floor, per super-segment, as Linux sends an initial
 * window on a long path.
 */
START_TEST(test_gso_autosize_far)
{
	static const uint32_t want[] = { 2, 2, 2, 2, 2 };

	autosize_iw(20000, "9", "2", want, 5);
}
END_TEST

/* The floor raised to ten: the same path gets IW10 in one. */
START_TEST(test_gso_autosize_min_segs)
{
	static const uint32_t want[] = { 10 };

	autosize_iw(20000, "9", "10", want, 1);
}
END_TEST

/*
 * 3 ms: 9427 bytes of the rate, plus 65536 >> (3000 >> 9 = 5) = 2048
 * for min_rtt, is 7 MSS; with tcp_tso_rtt_log 0 (the old autosizing,
 * the rate alone) 6.
 */
START_TEST(test_gso_autosize_rtt_log)
{
	static const uint32_t want9[] = { 7, 3 }, want0[] = { 6, 4 };

	autosize_iw(3000, "9", "2", want9, 2);
	teardown();
	setup();
	autosize_iw(3000, "0", "2", want0, 2);
}
END_TEST

/*
 * Linux's TSO deferral (tcp_tso_should_defer): IW10 went as one
 * super-segment; rtt_us later an ACK of its first segment leaves room
 * for two (cwnd 11, nine in flight), under cwnd / tcp_tso_win_divisor
 * (3), while the rest of the flight's ACK is due: held.  The next ACK,
 * `gap` us on, makes it four (cwnd 12, eight in flight): with the
 * divisor at 3 that is a third of cwnd, and they go as one.  Returns
 * how many super-segments each ACK brought out; take_gso checks them.
 */
static void
defer_acks(uint64_t rtt_us, uint64_t gap, unsigned *after1, unsigned *after2)
{
	struct fx_conn c;
	uint32_t seq, len, ts, start;

	bk_establish(h, &c, NEAR_RTT_US, true, NULL);
	big_sndbuf(&c);
	bk_fill(h, &c);
	take_gso(&c, &start, &len, &ts);
	ck_assert_uint_eq(len, 10 * BK_MSS);
	h_advance(h, rtt_us);
	bk_ack(h, &c, start + BK_MSS, ts, NULL, 0);
	H_EXPECT_NONE(h);
	*after1 = ngso - gso_taken;
	while (gso_taken < ngso)
		take_gso(&c, &seq, &len, &ts);
	h_advance(h, gap);
	bk_ack(h, &c, start + 2 * BK_MSS, ts, NULL, 0);
	H_EXPECT_NONE(h);
	*after2 = ngso - gso_taken;
	if (*after1 == 0 && *after2 == 1) {
		take_gso(&c, &seq, &len, &ts);
		ck_assert_uint_eq(seq, start + 10 * BK_MSS);
		ck_assert_uint_eq(len, 4 * BK_MSS);
	}
}

START_TEST(test_gso_defer)
{
	unsigned a, b;

	defer_acks(NEAR_RTT_US, 50, &a, &b);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, 1);
}
END_TEST

/*
 * Nothing sent for over 1 ms: no deferral (holding back after a pause
 * would only make a burst), the two go at once.  Those two went just
 * now: the next ACK's room for two (cwnd 12, ten in flight) is held.
 */
START_TEST(test_gso_defer_not_after_pause)
{
	unsigned a, b;

	defer_acks(1200, 50, &a, &b);
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 0);
}
END_TEST

/* tcp_tso_win_divisor 1: not even four of twelve will do; held again. */
START_TEST(test_gso_defer_win_divisor)
{
	unsigned a, b;

	ck_assert_int_eq(tcpx_sysctl_set(h->e, "net.ipv4.tcp_tso_win_divisor",
	    "1"), 0);
	defer_acks(NEAR_RTT_US, 50, &a, &b);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, 0);
}
END_TEST

/*
 * The link's limits change under a running connection (tcpxd follows
 * `ip link set DEV gso_max_size N`): the next super-segments keep to the
 * new size, then to a segment count; with 0, MSS-sized segments only.
 */
START_TEST(test_gso_limits_change)
{
	struct fx_conn c;
	uint32_t seq, len, ts, next;
	struct bk_seg s[128];
	unsigned n, i;

	bk_establish(h, &c, NEAR_RTT_US, true, NULL);
	big_sndbuf(&c);
	bk_fill(h, &c);
	take_gso(&c, &seq, &len, &ts);
	ck_assert_uint_eq(len, 10 * BK_MSS);
	next = seq + len;
	/* 3.5 MSS of payload: whole pieces, so 3 MSS each; cwnd 20. */
	tcpx_set_gso_limits(h->e, 3 * BK_MSS + BK_MSS / 2, 0);
	h_advance(h, NEAR_RTT_US);
	bk_ack(h, &c, next, ts, NULL, 0);
	ck_assert_uint_eq(ngso - gso_taken, 7);
	for (i = 0; i < 7; i++) {
		take_gso(&c, &seq, &len, &ts);
		ck_assert_uint_eq(seq, next);
		ck_assert_uint_eq(len, (i < 6 ? 3 : 2) * BK_MSS);
		next += len;
	}
	/* Any size, at most 8 pieces: cwnd 40 in five of 8. */
	tcpx_set_gso_limits(h->e, 65536, 8);
	h_advance(h, NEAR_RTT_US);
	bk_fill(h, &c);
	bk_ack(h, &c, next, ts, NULL, 0);
	ck_assert_uint_eq(ngso - gso_taken, 5);
	for (i = 0; i < 5; i++) {
		take_gso(&c, &seq, &len, &ts);
		ck_assert_uint_eq(len, 8 * BK_MSS);
		next += len;
	}
	/* None: cwnd 80 in 80 plain segments. */
	tcpx_set_gso_limits(h->e, 0, 0);
	h_advance(h, NEAR_RTT_US);
	bk_fill(h, &c);
	bk_ack(h, &c, next, ts, NULL, 0);
	ck_assert_uint_eq(ngso, gso_taken);
	n = bk_take(h, &c, s, 128);
	ck_assert_uint_eq(n, 80);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(s[i].seq, next);
		ck_assert_uint_eq(s[i].len, BK_MSS);
		next += BK_MSS;
	}
}
END_TEST

/* A 60 KB segment from the peer, as GRO hands it up; TCP checksum spoilt. */
static size_t
gro_frame(struct fx_conn *c, uint8_t *buf, size_t cap, const uint8_t *data,
    uint32_t len)
{
	struct h_seg s;
	size_t n;

	memset(&s, 0, sizeof(s));
	s.sport = FX_RPORT;
	s.dport = c->lport;
	s.seq = c->rcv;
	s.ack = c->snd;
	s.flags = TH_ACK | TH_PSH;
	s.wnd = 65535;
	s.opt.has_ts = true;
	s.opt.ts_val = c->peer_ts;
	s.opt.ts_ecr = c->our_ts;
	s.data = data;
	s.len = len;
	n = h_build_frame(h, &s, buf, cap);
	ck_assert_uint_gt(n, 60000);
	buf[20 + 16] ^= 0x5a;
	buf[20 + 17] ^= 0xa5;
	return n;
}

START_TEST(test_rx_csum_ok_large_frame)
{
	static uint8_t data[60000], frame[65536], got[65536];
	struct fx_conn c;
	size_t n;
	ssize_t r;
	struct tcp_seg seg;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	fx_establish_rtt(h, &c, 7, 10000);
	n = gro_frame(&c, frame, sizeof(frame), data, sizeof(data));
	/* Without the flag: a checksum error, dropped. */
	tcpx_input(h->e, frame, n, h->now);
	ck_assert_uint_eq(h_mib(h, "Tcp:InCsumErrors"), 1);
	ck_assert_int_eq(tcpx_recv(h->e, c.s, got, sizeof(got), 0), -EAGAIN);
	H_EXPECT_NONE(h);
	/* The host vouches for it: taken whole, and ACKed at once. */
	tcpx_input_ex(h->e, frame, n, h->now, TCPX_RX_CSUM_OK);
	ck_assert_uint_eq(h_mib(h, "Tcp:InCsumErrors"), 1);
	r = tcpx_recv(h->e, c.s, got, sizeof(got), 0);
	ck_assert_int_eq(r, (ssize_t)sizeof(data));
	ck_assert_mem_eq(got, data, sizeof(data));
	c.rcv += sizeof(data);
	fx_expect(h, &c, &seg, TH_ACK, c.snd, c.rcv);
}
END_TEST

static Suite *
gso_suite(void)
{
	Suite *s = suite_create("tcp_gso");
	TCase *tc = tcase_create("gso");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gso_bulk_send);
	tcase_add_test(tc, test_gso_bulk_send_lent_room);
	tcase_add_test(tc, test_gso_raw_ip_borrows_nothing);
	tcase_add_test(tc, test_gso_lost_super_segment);
	tcase_add_test(tc, test_gso_cork_holds_tail);
	tcase_add_test(tc, test_gso_ether_csum_start);
	tcase_add_test(tc, test_gso_gather_bulk_send);
	tcase_add_test(tc, test_gso_gather_fences);
	tcase_add_test(tc, test_gso_max_segs);
	tcase_add_test(tc, test_gso_autosize_far);
	tcase_add_test(tc, test_gso_autosize_min_segs);
	tcase_add_test(tc, test_gso_autosize_rtt_log);
	tcase_add_test(tc, test_gso_defer);
	tcase_add_test(tc, test_gso_defer_not_after_pause);
	tcase_add_test(tc, test_gso_defer_win_divisor);
	tcase_add_test(tc, test_gso_limits_change);
	tcase_add_test(tc, test_rx_csum_ok_large_frame);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(gso_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
