/*
 * tcp_rxsack.c - what a receiver tells the sender about the holes in
 * what it got, as Linux does: the SACK blocks (most recent first, four
 * kept), D-SACKs for data that came twice (RFC 2883), and the
 * compression of duplicate ACKs while a hole lasts.  tcp_input.c's
 * data path calls these.
 */
#include <stdint.h>
#include <string.h>

#include "engine.h"

/*
 * Linux's tcp_sack_compress_send_ack(): a held ACK goes now, before
 * what it would report drops out of the blocks that fit in an ACK.
 */
static void
sack_compress_flush(struct tcpx_engine *e, struct tcp_sock *sk)
{
	if (sk->comp_acks == 0)
		return;
	/* The ACK that goes is not counted as compressed (Linux). */
	sk->comp_acks--;
	tcp_send_ack(e, sk);
}

/*
 * Linux's tcp_dsack_set(): report [seq, end) as received twice in the
 * first SACK block of our next ACK (RFC 2883), if SACK and
 * net.ipv4.tcp_dsack are on.
 */
void
tcp_dsack_set(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint32_t end)
{
	if (!sk->sack_ok || !e->sysctl.tcp_dsack || !SEQ_LT(seq, end))
		return;
	if (SEQ_LT(seq, sk->rcv_nxt))
		MIB_INC(e, TCPEXT_TCPDSACKOLDSENT);
	else
		MIB_INC(e, TCPEXT_TCPDSACKOFOSENT);
	sk->dsack = true;
	sk->dsack_start = seq;
	sk->dsack_end = end;
}

/* Linux's tcp_sack_extend(): widen b by [seq, end) if the two touch. */
static bool
sack_extend(struct tcp_sack_blk *b, uint32_t seq, uint32_t end)
{
	if (SEQ_GT(seq, b->end) || SEQ_GT(b->start, end))
		return false;
	if (SEQ_LT(seq, b->start))
		b->start = seq;
	if (SEQ_GT(end, b->end))
		b->end = end;
	return true;
}

/* Linux's tcp_dsack_extend(): a pending D-SACK only grows by what
 * touches it. */
static void
dsack_extend(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint32_t end)
{
	struct tcp_sack_blk b;

	if (!sk->dsack) {
		tcp_dsack_set(e, sk, seq, end);
		return;
	}
	b.start = sk->dsack_start;
	b.end = sk->dsack_end;
	if (sack_extend(&b, seq, end)) {
		sk->dsack_start = b.start;
		sk->dsack_end = b.end;
	}
}

/*
 * Linux's tcp_sack_new_ofo_skb(): [seq, end) just went into the
 * reassembly queue.  The block it joins, or a new one, moves to the
 * front (RFC 2018: the most recent first, then the most recently
 * reported); a fifth block pushes out the oldest.  A block that grew
 * may now reach others: they merge into it (tcp_sack_maybe_coalesce).
 * A held ACK goes first when the change is to a block beyond the
 * second (TCP_SACK_BLOCKS_EXPECTED).
 */
void
tcp_rx_sack_add(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint32_t end)
{
	struct tcp_sack_blk *sp = sk->rx_sack, b;
	unsigned n = sk->rx_nsack, i, j;

	for (i = 0; i < n; i++) {
		if (!sack_extend(&sp[i], seq, end))
			continue;
		if (i >= TCP_SACK_BLOCKS_EXPECTED)
			sack_compress_flush(e, sk);
		b = sp[i];
		memmove(&sp[1], &sp[0], i * sizeof(*sp));
		sp[0] = b;
		for (j = 1; j < sk->rx_nsack;) {
			if (sack_extend(&sp[0], sp[j].start, sp[j].end)) {
				memmove(&sp[j], &sp[j + 1],
				    (sk->rx_nsack - j - 1) * sizeof(*sp));
				sk->rx_nsack--;
				continue;
			}
			j++;
		}
		return;
	}
	if (n >= TCP_SACK_BLOCKS_EXPECTED)
		sack_compress_flush(e, sk);
	if (n == TCP_SACK_MAX_BLOCKS)
		n--;
	memmove(&sp[1], &sp[0], n * sizeof(*sp));
	sp[0].start = seq;
	sp[0].end = end;
	sk->rx_nsack = (uint8_t)(n + 1);
}

/* Linux's tcp_sack_remove(): blocks that RCV.NXT has reached go. */
void
tcp_rx_sack_remove(struct tcp_sock *sk)
{
	unsigned i;

	if (TAILQ_EMPTY(&sk->ofo)) {
		sk->rx_nsack = 0;
		return;
	}
	for (i = 0; i < sk->rx_nsack;) {
		if (!SEQ_LT(sk->rcv_nxt, sk->rx_sack[i].start)) {
			memmove(&sk->rx_sack[i], &sk->rx_sack[i + 1],
			    (sk->rx_nsack - i - 1) * sizeof(sk->rx_sack[0]));
			sk->rx_nsack--;
			continue;
		}
		i++;
	}
}

/*
 * In-order data reached the reassembly queue: what it held below the
 * new RCV.NXT came twice, reported as Linux's tcp_ofo_queue does.
 */
void
tcp_ofo_dsack(struct tcpx_engine *e, struct tcp_sock *sk)
{
	const struct tcp_ofo *q;
	uint32_t high = sk->rcv_nxt, qend;

	TAILQ_FOREACH(q, &sk->ofo, link) {
		if (!SEQ_LT(q->seq, high))
			break;
		qend = q->seq + q->len + (q->fin ? 1 : 0);
		dsack_extend(e, sk, q->seq, high);
		if (SEQ_LT(qend, high))
			high = qend;
	}
}

/*
 * Out-of-order data wants an ACK (Linux's SACK compression in
 * __tcp_ack_snd_check): the first three duplicate ACKs for one RCV.NXT
 * go at once, for fast retransmit; the next ones wait 5% of the RTT
 * (tcp_comp_sack_delay_ns at most) so that a burst of out-of-order
 * segments gets one ACK, unless tcp_comp_sack_nr are held already.
 */
void
tcp_sack_compress(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint64_t delay_ns, rtt8;

	if (!sk->sack_ok ||
	    sk->comp_acks >= (uint32_t)e->sysctl.tcp_comp_sack_nr) {
		sk->ack_now = true;
		return;
	}
	if (sk->comp_rcv_nxt != sk->rcv_nxt) {
		sk->comp_rcv_nxt = sk->rcv_nxt;
		sk->dupacks_sent = 0;
	}
	if (sk->dupacks_sent < TCP_FASTRETRANS_THRESH) {
		sk->dupacks_sent++;
		sk->ack_now = true;
		return;
	}
	sk->comp_acks++;
	if (sk->comp_ack_at != 0)
		return;
	/* The receiver's RTT, or the srtt if smaller; none yet means no
	 * delay (Linux 6.18, whose RTTs are in us << 3). */
	rtt8 = sk->rcv_rtt_us8;
	if (sk->rtt_valid && sk->srtt_us != 0 &&
	    (uint64_t)sk->srtt_us << 3 < rtt8)
		rtt8 = (uint64_t)sk->srtt_us << 3;
	delay_ns = rtt8 * (1000 >> 3) / 20;
	if (delay_ns > (uint64_t)e->sysctl.tcp_comp_sack_delay_ns)
		delay_ns = (uint64_t)e->sysctl.tcp_comp_sack_delay_ns;
	sk->comp_ack_at = e->now + delay_ns / 1000;
	if (sk->comp_ack_at == 0)
		sk->comp_ack_at = 1;
	tcp_timer_update(e, sk);
}
