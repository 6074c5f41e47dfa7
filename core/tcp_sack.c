/*
 * tcp_sack.c - the sender's SACK scoreboard (RFC 2018) and the RFC 6675
 * quantities loss recovery is built on: IsLost, pipe and NextSeg.
 *
 * The scoreboard is a short sorted array of SACKed ranges above
 * SND.UNA, merged as blocks arrive.  Loss is kept as one boundary,
 * lost_end: IsLost() is monotonic in the sequence (fewer bytes are
 * SACKed above a higher sequence), so "every un-SACKed byte below
 * lost_end is lost" says all of it.  HighRxt (high_rxt) is the end of
 * the last retransmission; NextSeg rule 1 resends un-SACKed bytes from
 * there up to lost_end.  Without SACK the same model runs on Linux's
 * Reno emulation: each duplicate ACK stands for one segment that left
 * the network (reno_sacked), and only the head is ever marked lost.
 */
#include <string.h>

#include "engine.h"

void
tcp_sack_reset(struct tcp_sock *sk)
{
	sk->sb_n = 0;
	sk->sacked_bytes = 0;
	tcp_txstamp_unsack(sk);
}

static void
sb_recount(struct tcp_sock *sk)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i < sk->sb_n; i++)
		sum += sk->sb[i].end - sk->sb[i].start;
	sk->sacked_bytes = sum;
}

/* Merge [start, end) into the sorted, disjoint scoreboard. */
static void
sb_add(struct tcp_sock *sk, uint32_t start, uint32_t end)
{
	struct tcp_sack_blk out[TCP_SB_MAX + 1];
	unsigned n = 0, i;
	bool placed = false;

	for (i = 0; i < sk->sb_n; i++) {
		struct tcp_sack_blk b = sk->sb[i];

		if (SEQ_LT(b.end, start)) {
			out[n++] = b;
		} else if (SEQ_GT(b.start, end)) {
			if (!placed) {
				out[n].start = start;
				out[n++].end = end;
				placed = true;
			}
			out[n++] = b;
		} else {
			/* Overlapping or touching: absorb it. */
			start = SEQ_MIN(start, b.start);
			end = SEQ_MAX(end, b.end);
		}
	}
	if (!placed) {
		out[n].start = start;
		out[n++].end = end;
	}
	/*
	 * Full: forget the highest range.  Bytes no longer known as SACKed
	 * are only resent too early, never lost.
	 */
	if (n > TCP_SB_MAX)
		n = TCP_SB_MAX;
	memcpy(sk->sb, out, n * sizeof(out[0]));
	sk->sb_n = (uint8_t)n;
}

uint32_t
tcp_sack_input(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg, bool *dsack, struct tcp_ackstamp *as)
{
	const struct tcp_opts *o = &seg->opt;
	uint32_t before = sk->sacked_bytes, s, end;

	for (unsigned i = 0; i < o->nsack; i++) {
		s = o->sack[i].start;
		end = o->sack[i].end;
		if (!SEQ_LT(s, end))
			continue;
		/*
		 * RFC 2883: a first block below the cumulative ACK, or
		 * inside the second block, reports a duplicate (D-SACK):
		 * data that arrived twice, not a hole.
		 */
		if (i == 0 && (SEQ_LT(s, seg->ack) || (o->nsack > 1 &&
		    SEQ_GEQ(s, o->sack[1].start) &&
		    SEQ_LEQ(end, o->sack[1].end)))) {
			if (SEQ_LT(s, seg->ack))
				MIB_INC(e, TCPEXT_TCPDSACKRECV);
			else
				MIB_INC(e, TCPEXT_TCPDSACKOFORECV);
			if (tcp_dsack_seen(e, sk, s, end,
			    SEQ_LT(s, seg->ack))) {
				*dsack = true;
				tcp_rack_dsack(sk, s, end);
			}
			continue;
		}
		/* Linux's tcp_is_sackblock_valid(): nothing we never sent. */
		if (SEQ_GT(end, sk->snd_max) || !SEQ_GT(end, seg->ack))
			continue;
		if (SEQ_LT(s, seg->ack))
			s = seg->ack;
		sb_add(sk, s, end);
		tcp_txstamp_sacked(e, sk, s, end, as);
	}
	sb_recount(sk);
	return sk->sacked_bytes > before ? sk->sacked_bytes - before : 0;
}

void
tcp_sack_clean(struct tcp_sock *sk)
{
	unsigned i = 0, n = 0;

	for (i = 0; i < sk->sb_n; i++) {
		if (SEQ_LEQ(sk->sb[i].end, sk->snd_una))
			continue;
		sk->sb[n] = sk->sb[i];
		if (SEQ_LT(sk->sb[n].start, sk->snd_una))
			sk->sb[n].start = sk->snd_una;
		n++;
	}
	sk->sb_n = (uint8_t)n;
	sb_recount(sk);
	if (SEQ_LT(sk->lost_end, sk->snd_una))
		sk->lost_end = sk->snd_una;
	if (SEQ_LT(sk->high_rxt, sk->snd_una))
		sk->high_rxt = sk->snd_una;
}

bool
tcp_sack_is_sacked(const struct tcp_sock *sk, uint32_t seq)
{
	for (unsigned i = 0; i < sk->sb_n; i++)
		if (SEQ_GEQ(seq, sk->sb[i].start) && SEQ_LT(seq, sk->sb[i].end))
			return true;
	return false;
}

void
tcp_sack_mark_lost(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t dupthresh = sk->reordering;
	uint32_t thresh = (dupthresh - 1) * (uint32_t)sk->mss, cum = 0, l;
	unsigned blocks = 0;
	int i;

	/*
	 * RFC 6675 IsLost(seq): more than (DupThresh - 1) * SMSS bytes, or
	 * DupThresh discontiguous ranges, SACKed above it.  Walking down
	 * from the highest range, the first range where either holds
	 * bounds the lost region: every hole below its start is lost.
	 */
	l = sk->snd_una;
	for (i = (int)sk->sb_n - 1; i >= 0; i--) {
		cum += sk->sb[i].end - sk->sb[i].start;
		blocks++;
		if (cum > thresh || blocks >= dupthresh) {
			l = sk->sb[i].start;
			break;
		}
	}
	if (SEQ_GT(l, sk->lost_end))
		sk->lost_end = l;
}

/* Bytes of [a, b) the scoreboard holds. */
static uint32_t
sacked_within(const struct tcp_sock *sk, uint32_t a, uint32_t b)
{
	uint32_t sum = 0, s, end;

	for (unsigned i = 0; i < sk->sb_n; i++) {
		s = SEQ_MAX(sk->sb[i].start, a);
		end = SEQ_MIN(sk->sb[i].end, b);
		if (SEQ_LT(s, end))
			sum += end - s;
	}
	return sum;
}

uint32_t
tcp_lost_bytes(const struct tcp_sock *sk)
{
	/* Resent or not, as Linux's lost_out: until ACKed or SACKed. */
	if (!SEQ_GT(sk->lost_end, sk->snd_una))
		return 0;
	return sk->lost_end - sk->snd_una - sacked_within(sk, sk->snd_una,
	    sk->lost_end);
}

uint32_t
tcp_pipe(const struct tcp_sock *sk)
{
	uint32_t flight = sk->snd_max - sk->snd_una, gone, from, lost = 0;
	uint32_t reno = sk->reno_sacked * (uint32_t)sk->mss;

	/*
	 * RFC 6675 SetPipe, by bytes: what was sent and neither
	 * acknowledged, SACKed, nor lost without being sent again
	 * (Linux's packets_out - sacked_out - lost_out + retrans_out).
	 */
	gone = sk->sacked_bytes + reno;
	if (gone > flight)
		gone = flight;
	from = SEQ_MAX(sk->high_rxt, sk->snd_una);
	if (SEQ_LT(from, sk->lost_end)) {
		lost = sk->lost_end - from - sacked_within(sk, from,
		    sk->lost_end);
		/* Reno: the emulated SACKs sit above the head. */
		if (lost > flight - gone)
			lost = flight - gone;
	}
	return flight - gone - lost;
}

bool
tcp_next_lost(const struct tcp_sock *sk, uint32_t mss, uint32_t max,
    uint32_t *seq, uint32_t *len)
{
	uint32_t s = SEQ_MAX(sk->high_rxt, sk->snd_una), end;
	unsigned i;

	/* Skip SACKed ranges (the array is sorted). */
	for (i = 0; i < sk->sb_n; i++) {
		if (SEQ_LEQ(sk->sb[i].end, s))
			continue;
		if (SEQ_LEQ(sk->sb[i].start, s)) {
			s = sk->sb[i].end;
			continue;
		}
		break;
	}
	if (!SEQ_LT(s, sk->lost_end) || !SEQ_LT(s, sk->snd_max))
		return false;
	end = s + max;
	if (i < sk->sb_n && SEQ_LT(sk->sb[i].start, end))
		end = sk->sb[i].start;
	/* A multi-segment ask stops where the marks do. */
	if (max > mss && SEQ_GT(end, sk->lost_end))
		end = sk->lost_end;
	if (SEQ_GT(end, sk->snd_max))
		end = sk->snd_max;
	*seq = s;
	*len = end - s;
	return true;
}
