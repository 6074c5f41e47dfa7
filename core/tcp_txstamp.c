/*
 * tcp_txstamp.c - when each stretch of the sequence space was last
 * sent, and what an ACK newly covers of it: the RTT samples of Linux's
 * tcp_clean_rtx_queue and tcp_sacktag_one.
 *
 * Linux stamps every skb with its transmit time.  An ACK gives the RTT
 * estimator the first segment it newly acknowledges (first_ackt, for
 * seq_rtt_us) or else the first it newly SACKs (first_sackt), and the
 * congestion control the latest one SACKed (last_sackt) or else the
 * latest acknowledged (last_ackt, for ca_rtt_us).  A segment ever sent
 * twice gives no sample (Karn), and an ACK that covers one gives no
 * cumulative sample at all.  The engine keeps the same facts in a
 * sorted array of stretches, one per transmission: a segment, or a GSO
 * super-segment as Linux's TSO skb.  A resend or a SACK that covers
 * part of a stretch splits it, as Linux fragments the skb.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/*
 * Entries kept after the queue empties; a larger array is given back,
 * so that an idle connection holds 192 bytes at most, whatever it once
 * had in flight, and a request/response one does not allocate per reply.
 */
#define TXS_KEEP	8

static struct tcp_txstamp *
txs_at(struct tcp_txstamps *q, uint32_t k)
{
	return &q->v[q->head + k];
}

/* Segments in a stretch (Linux's tcp_skb_pcount). */
static uint32_t
txs_pcount(uint32_t len, uint32_t mss)
{
	return (len + mss - 1) / mss;
}

/* Index of the first entry ending after `seq` (n if none). */
static uint32_t
txs_find(struct tcp_txstamps *q, uint32_t seq)
{
	uint32_t lo = 0, hi = q->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (SEQ_LEQ(txs_at(q, mid)->end, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Room for one more entry at the end: compact first, then grow. */
static bool
txs_room(struct tcp_txstamps *q)
{
	struct tcp_txstamp *v;
	uint32_t cap;

	if (q->head + q->n < q->cap)
		return true;
	if (q->head > 0) {
		memmove(q->v, q->v + q->head, q->n * sizeof(*q->v));
		q->head = 0;
		return true;
	}
	cap = q->cap != 0 ? q->cap * 2 : TXS_KEEP;
	if ((v = realloc(q->v, cap * sizeof(*v))) == NULL)
		return false;
	q->v = v;
	q->cap = cap;
	return true;
}

/* Cut entry k at `seq`, inside it: k keeps what is below. */
static bool
txs_split(struct tcp_txstamps *q, uint32_t k, uint32_t seq)
{
	struct tcp_txstamp *r;

	if (!txs_room(q))
		return false;
	r = txs_at(q, k);
	memmove(r + 1, r, (q->n - k) * sizeof(*r));
	q->n++;
	r[0].end = seq;
	r[1].seq = seq;
	return true;
}

/*
 * Without memory for an entry the record has a hole: a sample could
 * then span data resent unseen.  Take none until everything is ACKed.
 */
static void
txs_go_blind(struct tcp_txstamps *q)
{
	q->blind = true;
	q->head = q->n = 0;
}

void
tcp_txstamp_sent(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint32_t end)
{
	struct tcp_txstamps *q = &sk->txs;
	struct tcp_txstamp *r;
	uint32_t k, tail;

	if (q->blind || !SEQ_LT(seq, end))
		return;
	tail = q->n > 0 ? txs_at(q, q->n - 1)->end : seq;
	if (SEQ_LT(seq, tail)) {
		/*
		 * Sent before: Linux marks the resent part of the skb
		 * (tcp_fragment, TCPCB_RETRANS).  Where a cut finds no
		 * memory the whole entry is marked: fewer samples, never
		 * a wrong one.
		 */
		k = txs_find(q, seq);
		if (k < q->n && SEQ_GT(seq, txs_at(q, k)->seq) &&
		    txs_split(q, k, seq))
			k++;
		for (; k < q->n && SEQ_LT(txs_at(q, k)->seq, end); k++) {
			if (SEQ_GT(txs_at(q, k)->end, end))
				(void)txs_split(q, k, end);
			r = txs_at(q, k);
			r->retrans = true;
			r->sent_us = e->now;
		}
		if (!SEQ_GT(end, tail))
			return;
		seq = tail;
	}
	if (!txs_room(q)) {
		txs_go_blind(q);
		return;
	}
	r = txs_at(q, q->n++);
	r->seq = seq;
	r->end = end;
	r->sent_us = e->now;
	r->retrans = false;
	r->sacked = false;
}

/* One stretch newly acknowledged (Linux's tcp_clean_rtx_queue loop). */
/* An original stretch newly delivered (F-RTO's test). */
static void
txs_count_orig(const struct tcp_txstamp *r, struct tcp_ackstamp *as)
{
	if (!as->have_orig || SEQ_LT(r->end, as->orig_end))
		as->orig_end = r->end;
	as->have_orig = true;
}

static void
txs_count_acked(const struct tcp_txstamp *r, struct tcp_ackstamp *as)
{
	as->acked = true;
	if (r->retrans) {
		as->retrans_acked = true;
	} else if (!r->sacked) {
		txs_count_orig(r, as);
		if (!as->have_acked)
			as->first_acked_sent = r->sent_us;
		as->have_acked = true;
		as->acked_sent = r->sent_us;
	}
}

void
tcp_txstamp_acked(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t ack,
    struct tcp_ackstamp *as)
{
	struct tcp_txstamps *q = &sk->txs;
	struct tcp_txstamp *r;
	uint32_t mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT, pcount;

	while (q->n > 0) {
		r = txs_at(q, 0);
		if (SEQ_LEQ(r->end, ack)) {
			/*
			 * What SND.UNA passed without an ACK (the data of a
			 * Fast Open SYN, taken with the SYN-ACK) is no news.
			 */
			if (SEQ_GT(r->end, sk->snd_una)) {
				txs_count_acked(r, as);
				if (!r->sacked)
					tcp_rack_delivered(e, sk, r, as);
			}
			q->head++;
			q->n--;
			continue;
		}
		/*
		 * Partly acknowledged: Linux trims a multi-segment skb
		 * (tcp_tso_acked) and counts it if a whole segment went.
		 */
		if (!SEQ_GT(ack, r->seq))
			break;
		pcount = txs_pcount(r->end - r->seq, mss);
		if (pcount <= 1)
			break;
		r->seq = ack;
		if (txs_pcount(r->end - ack, mss) < pcount) {
			txs_count_acked(r, as);
			if (!r->sacked)
				tcp_rack_delivered(e, sk, r, as);
		}
		break;
	}
	if (q->n == 0) {
		q->head = 0;
		if (q->cap > TXS_KEEP) {
			free(q->v);
			q->v = NULL;
			q->cap = 0;
		}
	}
	if (q->blind && ack == sk->snd_max)
		q->blind = false;
}

void
tcp_txstamp_sacked(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t start,
    uint32_t end, struct tcp_ackstamp *as)
{
	struct tcp_txstamps *q = &sk->txs;
	struct tcp_txstamp *r;
	uint32_t mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT, k, lo, hi;

	for (k = txs_find(q, start); k < q->n; k++) {
		r = txs_at(q, k);
		if (!SEQ_LT(r->seq, end))
			break;
		if (r->sacked)
			continue;
		if (SEQ_LT(r->seq, start) || SEQ_GT(r->end, end)) {
			/*
			 * Partly covered: Linux's tcp_match_skb_to_sack
			 * takes the whole segments inside the block, cut
			 * on segment edges; a single segment not at all.
			 */
			if (txs_pcount(r->end - r->seq, mss) <= 1)
				continue;
			lo = r->seq;
			hi = r->end;
			if (SEQ_LT(lo, start))
				lo = r->seq +
				    txs_pcount(start - r->seq, mss) * mss;
			if (SEQ_GT(hi, end))
				hi = r->seq + (end - r->seq) / mss * mss;
			if (!SEQ_LT(lo, hi))
				continue;
			if (lo != r->seq) {
				if (!txs_split(q, k, lo))
					continue;
				k++;
			}
			if (hi != txs_at(q, k)->end && !txs_split(q, k, hi))
				continue;
			r = txs_at(q, k);
		}
		r->sacked = true;
		tcp_rack_delivered(e, sk, r, as);
		if (r->retrans)
			continue;
		txs_count_orig(r, as);
		if (!as->have_sacked || SEQ_LT(r->seq, as->first_sacked_seq)) {
			as->first_sacked_sent = r->sent_us;
			as->first_sacked_seq = r->seq;
		}
		if (!as->have_sacked || SEQ_GT(r->seq, as->sacked_seq)) {
			as->sacked_sent = r->sent_us;
			as->sacked_seq = r->seq;
		}
		as->have_sacked = true;
	}
}

void
tcp_txstamp_unsack(struct tcp_sock *sk)
{
	struct tcp_txstamps *q = &sk->txs;

	for (uint32_t k = 0; k < q->n; k++)
		txs_at(q, k)->sacked = false;
}

uint32_t
tcp_txstamp_retrans_out(const struct tcp_sock *sk)
{
	const struct tcp_txstamps *q = &sk->txs;
	const struct tcp_txstamp *r;
	uint32_t mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT, n = 0, k;

	for (k = 0; k < q->n; k++) {
		r = &q->v[q->head + k];
		if (r->retrans && !r->sacked)
			n += txs_pcount(r->end - r->seq, mss);
	}
	return n;
}

void
tcp_txstamp_free(struct tcp_sock *sk)
{
	free(sk->txs.v);
	memset(&sk->txs, 0, sizeof(sk->txs));
}
