/*
 * tcp_buf.c - a connection's byte queues: the send and receive rings,
 * and out-of-order reassembly (RFC 9293 3.10.7.4, step "seventh,
 * process the segment text"; BSD's tcp_reass.c).
 *
 * A ring grows by doubling up to its limit, so an idle connection costs
 * no buffer memory.  Out-of-order data is a sorted list of disjoint
 * segments; overlapping bytes are trimmed on insertion, so each byte is
 * held once.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

void
tcp_ring_free(struct tcp_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

uint32_t
tcp_ring_space(const struct tcp_ring *r)
{
	return r->len >= r->max ? 0 : r->max - r->len;
}

/* Grow to hold `need` bytes, keeping the content contiguous from 0. */
static bool
ring_grow(struct tcp_ring *r, uint32_t need)
{
	uint32_t ncap;
	uint8_t *nb;

	if (need <= r->cap)
		return true;
	ncap = r->cap != 0 ? r->cap : 4096;
	while (ncap < need)
		ncap *= 2;
	if ((nb = malloc(ncap)) == NULL)
		return false;
	tcp_ring_peek(r, 0, nb, r->len);
	free(r->buf);
	r->buf = nb;
	r->cap = ncap;
	r->head = 0;
	return true;
}

uint32_t
tcp_ring_write(struct tcp_ring *r, const uint8_t *data, uint32_t len)
{
	return tcp_ring_write_max(r, data, len, r->max);
}

/* The n free bytes after the content (n <= cap - len): one or two runs. */
static int
ring_room(struct tcp_ring *r, uint32_t n, struct iovec iov[2])
{
	uint32_t tail = (r->head + r->len) % r->cap;
	uint32_t first = r->cap - tail < n ? r->cap - tail : n;

	iov[0].iov_base = r->buf + tail;
	iov[0].iov_len = first;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = n - first;
	return n > first ? 2 : 1;
}

uint32_t
tcp_ring_write_max(struct tcp_ring *r, const uint8_t *data, uint32_t len,
    uint32_t max)
{
	struct iovec iov[2];
	uint32_t n;

	n = r->len >= max ? 0 : max - r->len;
	if (len < n)
		n = len;
	if (n == 0 || !ring_grow(r, r->len + n))
		return 0;
	(void)ring_room(r, n, iov);
	memcpy(iov[0].iov_base, data, iov[0].iov_len);
	memcpy(iov[1].iov_base, data + iov[0].iov_len, iov[1].iov_len);
	r->len += n;
	return n;
}

uint32_t
tcp_ring_reserve(struct tcp_ring *r, uint32_t len, struct iovec iov[2],
    int *iovcnt)
{
	uint32_t n, need;

	n = r->len >= r->max ? 0 : r->max - r->len;
	if (len < n)
		n = len;
	*iovcnt = 0;
	if (n == 0)
		return 0;
	/*
	 * Grow by one doubling at most (ring_grow starts at 4096): the
	 * caller asks for what it could take, not what it has, and a
	 * connection that writes a little must keep a little buffer
	 * (tcp_ring_write grows to what it is given).
	 */
	if (r->cap - r->len < n) {
		need = r->len + n;
		if (need > (r->cap != 0 ? 2 * r->cap : 4096))
			need = r->cap != 0 ? 2 * r->cap : 4096;
		if (!ring_grow(r, need))
			return 0;
		if (r->cap - r->len < n)
			n = r->cap - r->len;
	}
	*iovcnt = ring_room(r, n, iov);
	return n;
}

void
tcp_ring_commit(struct tcp_ring *r, uint32_t n)
{
	r->len += n;
}

void
tcp_ring_peek(const struct tcp_ring *r, uint32_t off, uint8_t *dst,
    uint32_t len)
{
	uint32_t pos, first;

	if (len == 0)
		return;
	pos = (r->head + off) % r->cap;
	first = r->cap - pos < len ? r->cap - pos : len;
	memcpy(dst, r->buf + pos, first);
	memcpy(dst + first, r->buf, len - first);
}

const uint8_t *
tcp_ring_ptr(const struct tcp_ring *r, uint32_t off, uint32_t len)
{
	uint32_t pos;

	if (r->cap == 0)
		return NULL;
	pos = (r->head + off) % r->cap;
	return r->cap - pos >= len ? r->buf + pos : NULL;
}

bool
tcp_ring_unshift(struct tcp_ring *r, const uint8_t *data, uint32_t len)
{
	uint32_t first;

	if (len == 0)
		return true;
	/* Past r->max if need be: these bytes were taken already. */
	if (len > UINT32_MAX - r->len || !ring_grow(r, r->len + len))
		return false;
	r->head = (r->head + r->cap - len) % r->cap;
	first = r->cap - r->head < len ? r->cap - r->head : len;
	memcpy(r->buf + r->head, data, first);
	memcpy(r->buf, data + first, len - first);
	r->len += len;
	return true;
}

void
tcp_ring_drop(struct tcp_ring *r, uint32_t len)
{
	if (len >= r->len) {
		r->head = r->len = 0;
		return;
	}
	r->head = (r->head + len) % r->cap;
	r->len -= len;
}

bool
tcp_ofo_insert(struct tcp_sock *sk, uint32_t seq, const uint8_t *data,
    uint32_t len, bool fin)
{
	struct tcp_ofo *q, *next, *prev, *n;
	uint32_t end = seq + len, cut;

	/* Trim what an earlier segment already holds. */
	prev = NULL;
	TAILQ_FOREACH(q, &sk->ofo, link) {
		if (SEQ_GT(q->seq, seq))
			break;
		prev = q;
	}
	if (prev != NULL && SEQ_GT(prev->seq + prev->len, seq)) {
		cut = prev->seq + prev->len - seq;
		if (cut >= len) {
			if (fin && prev->seq + prev->len == end)
				prev->fin = true;
			return true;
		}
		seq += cut;
		data += cut;
		len -= cut;
	}
	/* Drop later segments this one covers entirely; trim a partial one. */
	for (q = prev != NULL ? TAILQ_NEXT(prev, link) :
	    TAILQ_FIRST(&sk->ofo); q != NULL; q = next) {
		next = TAILQ_NEXT(q, link);
		if (SEQ_GEQ(q->seq, end))
			break;
		if (SEQ_LEQ(q->seq + q->len, end)) {
			fin = fin || q->fin;
			sk->ofo_bytes -= q->len;
			TAILQ_REMOVE(&sk->ofo, q, link);
			free(q);
			continue;
		}
		len = q->seq - seq;	/* the rest is in q already */
		fin = false;
		break;
	}
	if ((n = malloc(sizeof(*n) + len)) == NULL)
		return false;
	n->seq = seq;
	n->len = len;
	n->fin = fin;
	memcpy(n->data, data, len);
	if (prev != NULL)
		TAILQ_INSERT_AFTER(&sk->ofo, prev, n, link);
	else
		TAILQ_INSERT_HEAD(&sk->ofo, n, link);
	sk->ofo_bytes += len;
	return true;
}

bool
tcp_ofo_pull(struct tcp_sock *sk)
{
	struct tcp_ofo *q;
	uint32_t skip, n;
	bool fin = false;

	while ((q = TAILQ_FIRST(&sk->ofo)) != NULL &&
	    SEQ_LEQ(q->seq, sk->rcv_nxt)) {
		skip = sk->rcv_nxt - q->seq;
		if (skip < q->len) {
			n = tcp_ring_write_max(&sk->rcv, q->data + skip,
			    q->len - skip, TCP_RCV_LIMIT(sk));
			sk->rcv_nxt += n;
			sk->bytes_received += n;
			if (n < q->len - skip)
				break;	/* no room: keep the rest */
		}
		fin = q->fin;
		sk->ofo_bytes -= q->len;
		TAILQ_REMOVE(&sk->ofo, q, link);
		free(q);
		if (fin)
			break;
	}
	return fin;
}

bool
tcp_ofo_overlap(const struct tcp_sock *sk, uint32_t seq, uint32_t end,
    struct tcp_sack_blk *dup)
{
	const struct tcp_ofo *q;
	uint32_t qend;
	bool found = false;

	/* The queue is sorted and disjoint: the first overlap, then the
	 * segments that continue it without a gap. */
	TAILQ_FOREACH(q, &sk->ofo, link) {
		qend = q->seq + q->len;
		if (found && q->seq != dup->end)
			break;
		if (!SEQ_LT(q->seq, end))
			break;
		if (!SEQ_GT(qend, seq))
			continue;
		if (!found) {
			dup->start = SEQ_MAX(q->seq, seq);
			found = true;
		}
		dup->end = SEQ_MIN(qend, end);
		if (SEQ_GEQ(dup->end, end))
			break;
	}
	return found;
}

void
tcp_ofo_purge(struct tcp_sock *sk)
{
	struct tcp_ofo *q;

	while ((q = TAILQ_FIRST(&sk->ofo)) != NULL) {
		TAILQ_REMOVE(&sk->ofo, q, link);
		free(q);
	}
	sk->ofo_bytes = 0;
	sk->rx_nsack = 0;
}
