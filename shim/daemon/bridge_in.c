/*
 * bridge_in.c - TCP -> app: the receive direction of bridge.c.
 *
 * Bytes the engine receives in order, while its queue for the
 * connection is empty, are taken where they lie in the received frame
 * (ops->deliver) and written once the receive batch has been read, one
 * writev per connection (bridge_flush_deferred): the engine copies none
 * of them.  Bytes that had to wait (out of order, or the socketpair
 * full) are written from the engine's queue in place (bridge_pump_in:
 * tcpx_recv_peek, then tcpx_recv_consume of what the write took).
 * Either way, what the socketpair does not take stays with the engine,
 * counted against its window, and in_wait asks for EPOLLOUT; nothing is
 * ever held here past the batch.
 *
 * What the program has not read yet counts against the window too, as
 * Linux counts its unread receive queue (bridge_held_refresh): so the
 * window closes when the program stops reading, after a receive
 * buffer's worth, not after the socketpair's megabytes besides.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include "tcpxd.h"

/* POLLHUP on our end: every fd of the program's end is closed. */
bool
bridge_app_hup(int fd)
{
	struct pollfd p = { .fd = fd };

	return poll(&p, 1, 0) > 0 && (p.revents & POLLHUP);
}

/*
 * Our end's send buffer, for an engine receive buffer of `full` window
 * bytes.  AF_UNIX reports EPOLLOUT once what is unread is at most a
 * quarter of the send buffer: made 4 (full - full/8 - 2 KB), that is
 * when the program has read enough to free an eighth and a segment.
 * Linux offers no window while less than a sixteenth (or a segment) is
 * free (__tcp_select_window), so when the program stopped reading and
 * the window closed, EPOLLOUT is not yet due, and its reads wake us
 * once the window can open again, whatever the rounding to the scale.
 * At most TCPX_PAIR_SNDBUF (doubled), as before (a bigger one measured
 * no faster, and holds more): then the socketpair fills before the
 * window closes, and what the window admits beyond it waits in the
 * engine (in_wait) for EPOLLOUT, the same wakeup.
 */
static void
held_size(struct bsock *b, uint32_t full)
{
	uint64_t quarter = full - full / 8 > 4096 ? full - full / 8 - 2048 :
	    full / 2;
	uint64_t want = 2 * quarter;	/* SO_SNDBUF doubles it again */
	int v = want < TCPX_PAIR_SNDBUF ? (int)want : TCPX_PAIR_SNDBUF, got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(b->w.fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(b->w.fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	/* What the kernel made of it (doubled, clamped); else its rule. */
	b->held_sndbuf = getsockopt(b->w.fd, SOL_SOCKET, SO_SNDBUF, &got,
	    &len) == 0 ? got : 2 * v;
	b->held_full = full;
}

/*
 * The connection is the program's now: from here on what we write it
 * counts as unread until SIOCOUTQ says otherwise.  Nothing is written
 * yet (an accepted connection's header aside, counted from the first
 * refresh), so no system call: the first write sizes our end.
 */
void
bridge_held_start(struct tcpxd *d, struct bsock *b)
{
	if (b->eid >= 0)
		(void)tcpx_recv_held(d->eng, b->eid, 0);
}

void
bridge_held_forget(struct tcpxd *d, struct bsock *b)
{
	if (b->held_listed)
		TAILQ_REMOVE(&d->held, b, held_link);
	b->held_listed = false;
	b->held = 0;
	b->held_watch = false;
}

/*
 * Tell the engine what the program has not read of what we wrote to it:
 * SIOCOUTQ on our end, the memory the socketpair still holds, as Linux
 * counts a receive queue's memory against its buffer.  Called after
 * every write to the program, before every receive batch while it has
 * bytes to read (bridge_held_refresh_all, so that the ACKs the batch
 * brings carry the window as the program's reads left it), and on
 * EPOLLOUT while held_watch says the window waits for a read.
 */
void
bridge_held_refresh(struct tcpxd *d, struct bsock *b)
{
	int n = 0, full;
	bool watch;

	if (b->kind != BS_CONN || b->w.fd < 0 || b->eid < 0 || b->app_gone) {
		bridge_held_forget(d, b);
		return;
	}
	/* After the program's SHUT_RD what arrives is dropped (app_writev). */
	if (!b->app_rd_shut && (ioctl(b->w.fd, SIOCOUTQ, &n) < 0 || n < 0))
		return;
	if ((full = tcpx_recv_held(d->eng, b->eid, (uint32_t)n)) < 0) {
		bridge_held_forget(d, b);
		return;
	}
	if ((uint32_t)full != b->held_full)
		held_size(b, (uint32_t)full);
	b->held = (uint32_t)n;
	if (n > 0 && !b->held_listed)
		TAILQ_INSERT_TAIL(&d->held, b, held_link);
	else if (n == 0 && b->held_listed)
		TAILQ_REMOVE(&d->held, b, held_link);
	b->held_listed = n > 0;
	/*
	 * Watch for the program's reads only where they matter: while what
	 * it holds is past EPOLLOUT's quarter and takes half the buffer or
	 * more (Linux's reader sends a window update only when the window
	 * left is at most half the clamp).  A wide window with a megabyte
	 * unread needs no wakeup per read.
	 */
	watch = (uint64_t)n * 4 > (uint64_t)b->held_sndbuf &&
	    2 * (uint64_t)n >= (uint64_t)full;
	if (watch != b->held_watch) {
		b->held_watch = watch;
		bridge_mark_dirty(d, b);	/* conn_service sets EPOLLOUT */
	}
}

void
bridge_held_refresh_all(struct tcpxd *d)
{
	struct bsock *b, *next;

	TAILQ_FOREACH_SAFE(b, &d->held, held_link, next)
		bridge_held_refresh(d, b);
}

/*
 * Bytes for the app, from the engine's receive queue in place.  After
 * shutdown(SHUT_RD) the app end refuses them (EPIPE) while the
 * connection lives on: Linux keeps taking and ACKing data then, so they
 * are dropped here (taken as written), not counted as unread.
 */
static ssize_t
app_writev(struct bsock *b, const struct iovec *iov, int iovcnt, size_t len)
{
	ssize_t n;

	if (b->app_rd_shut)
		return (ssize_t)len;
	do
		n = writev(b->w.fd, iov, iovcnt);
	while (n < 0 && errno == EINTR);
	if (n >= 0 || (errno != EPIPE && errno != ECONNRESET))
		return n;
	/* Every app fd closed shuts both halves of ours: POLLHUP. */
	if (errno == EPIPE && !bridge_app_hup(b->w.fd)) {
		b->app_rd_shut = true;
		return (ssize_t)len;
	}
	b->app_gone = true;
	return -1;
}

/*
 * TCP -> app, without a copy of our own: the socketpair write reads the
 * engine's ring, and only what it took is consumed, so nothing is ever
 * taken from the engine and left undelivered.  What the socketpair
 * cannot take stays in the engine (its window closes as a kernel
 * socket's would) and in_wait asks for EPOLLOUT.
 */
void
bridge_pump_in(struct tcpxd *d, struct bsock *b)
{
	struct iovec iov[2];
	int iovcnt;
	ssize_t n, w;
	bool wrote = false;

	/* Bytes taken from this batch's frames go before the queue's. */
	if (b->ndefer > 0)
		bridge_flush_deferred(d);
	/* The engine socket is gone, and its bytes with it. */
	if (b->eid < 0)
		b->in_wait = false;
	while (!b->app_gone && !b->eng_eof && b->eid >= 0) {
		iovcnt = 2;
		n = tcpx_recv_peek(d->eng, b->eid, iov, &iovcnt);
		if (n > 0) {
			w = app_writev(b, iov, iovcnt, (size_t)n);
			if (w > 0) {
				(void)tcpx_recv_consume(d->eng, b->eid,
				    (size_t)w);
				wrote = true;
			}
			if (w == n) {
				b->in_wait = false;
				continue;	/* EOF or an error may follow */
			}
			if (w < 0 && b->app_gone) {
				/* Gone with bytes still to deliver: unread. */
				b->app_reset = true;
				break;
			}
			/* The socketpair is full: the rest waits EPOLLOUT. */
			b->in_wait = true;
			break;
		}
		b->in_wait = false;
		if (n == 0) {
			b->eng_eof = true;
		} else if (n != -EAGAIN) {
			/* Reset or timed out: keep the error for SO_ERROR. */
			b->err = (int)-n;
			b->eng_dead = true;
		}
		break;
	}
	if (wrote)
		bridge_held_refresh(d, b);
}

/*
 * TCP -> app, from the received frames themselves (engine ops->deliver):
 * while a receive batch is read, in-order bytes that find the engine's
 * queue for b empty are taken as they lie in the frame and written at
 * the batch's end, all of b's in one writev (bridge_flush_deferred), so
 * the engine copies none of them and the program wakes once.  Not while
 * the socketpair is known full (in_wait: EPOLLOUT and bridge_pump_in go on
 * then), nor before connect(2) has had its answer; then, and whenever
 * the engine already queues bytes, it queues these too, behind them.
 */
size_t
bridge_deliver(struct tcpxd *d, int eid, const uint8_t *data, size_t len)
{
	struct bsock *b = bsock_by_eid(d, eid);

	if (!d->rx_defer || d->ndefer == DEFER_MAX ||
	    b == NULL || b->kind != BS_CONN || !b->established ||
	    b->app_gone || b->eng_eof || b->in_wait || b->w.fd < 0)
		return 0;
	d->defer[d->ndefer].b = b;
	d->defer[d->ndefer].iov.iov_base = (void *)(uintptr_t)data;
	d->defer[d->ndefer].iov.iov_len = len;
	d->ndefer++;
	b->ndefer++;
	return len;
}

/*
 * Write out what bridge_deliver took, connection by connection, in the
 * order it came.  What a socketpair does not take goes back to the head
 * of the engine's queue (tcpx_recv_unread), ahead of anything queued
 * since, and waits for EPOLLOUT like any other.
 */
void
bridge_flush_deferred(struct tcpxd *d)
{
	struct iovec iov[DEFER_MAX];
	struct bsock *b;
	unsigned i, j, n, k;
	size_t total, skip;
	ssize_t w;

	for (i = 0; i < d->ndefer; i++) {
		if ((b = d->defer[i].b) == NULL)
			continue;
		for (j = i, n = 0, total = 0; j < d->ndefer; j++) {
			if (d->defer[j].b != b)
				continue;
			iov[n++] = d->defer[j].iov;
			total += d->defer[j].iov.iov_len;
			d->defer[j].b = NULL;
		}
		b->ndefer = 0;
		w = app_writev(b, iov, (int)n, total);
		if (w < 0 && b->app_gone)
			b->app_reset = true;	/* gone: the bytes stay unread */
		if (w >= 0 && (size_t)w == total) {
			bridge_held_refresh(d, b);
			continue;
		}
		/* The rest, back in the engine: from the first byte unwritten. */
		skip = w > 0 ? (size_t)w : 0;
		for (k = 0; k < n && skip >= iov[k].iov_len; k++)
			skip -= iov[k].iov_len;
		iov[k].iov_base = (uint8_t *)iov[k].iov_base + skip;
		iov[k].iov_len -= skip;
		if (b->eid >= 0 &&
		    tcpx_recv_unread(d->eng, b->eid, iov + k, (int)(n - k)) < 0)
			logx("sock %d: %zu received bytes lost: out of memory",
			    b->handle, total - (w > 0 ? (size_t)w : 0));
		if (!b->app_gone)
			b->in_wait = true;	/* bridge_pump_in asks for EPOLLOUT */
		bridge_held_refresh(d, b);
		bridge_mark_dirty(d, b);
	}
	d->ndefer = 0;
}
