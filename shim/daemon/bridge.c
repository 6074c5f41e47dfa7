/*
 * bridge.c - every application socket is a real kernel fd (design.md):
 * per connected socket, tcpxd keeps one end of an AF_UNIX stream
 * socketpair, non-blocking in epoll, and pumps bytes between it and the
 * engine's TCP connection.
 *
 *   app -> TCP: read our end only while the engine's send buffer takes
 *	it (stop on -EAGAIN, resume on TCPX_EV_OUT).
 *   TCP -> app: bridge_in.c.  Bytes received in order are written
 *	from the frames they came in, once per receive batch; what has to
 *	wait stays in the engine, where it counts against the window,
 *	until EPOLLOUT.
 *   app closed (EOF + POLLHUP): tcpx_close, FIN after the queued data;
 *	RST instead when the program left data unread (RFC 2525): our
 *	read returns ECONNRESET, or a write to our end found it gone with
 *	bytes still to deliver, or the engine still holds received data.
 *   app shut its write half (EOF, no POLLHUP): tcpx_shutdown(SHUT_WR).
 *   peer's FIN delivered and written: shutdown(SHUT_WR) of our end, so
 *	the program reads EOF after the last byte.
 *   connection failed / reset / timed out: the data already received is
 *	delivered, then our end is shut both ways (EOF for reads, EPIPE for
 *	writes) and the error waits for GET_ERROR.
 *
 * Before the handshake completes the application's end is filled with
 * filler bytes until it is not writable, so the program sees no POLLOUT
 * while connecting; the filler is drained when the connect resolves.
 *
 * bsock handles are tcpxd's own numbers, not engine ids: an engine id is
 * reused as soon as it is closed, while the program may still hold an
 * fd (and ask for SO_ERROR) long after.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tcpxd.h"

#define GC_INTERVAL_US	2000000ull

static int
handle_cmp(struct bsock *a, struct bsock *b)
{
	return a->handle < b->handle ? -1 : a->handle > b->handle;
}

/* RB_GENERATE_STATIC needs BSD's __unused, which glibc lacks. */
RB_GENERATE_INTERNAL(bsock_tree, bsock, by_handle, handle_cmp,
    __attribute__((__unused__)) static)

static void conn_service(struct tcpxd *d, struct bsock *b);

/* ---- the handle table ------------------------------------------------- */

static int
eid_slot(struct tcpxd *d, int eid)
{
	size_t n;
	struct bsock **nt;

	if (eid < 0)
		return -1;
	if ((size_t)eid < d->by_eid_len)
		return 0;
	n = d->by_eid_len ? d->by_eid_len : 64;
	while (n <= (size_t)eid)
		n *= 2;
	nt = realloc(d->by_eid, n * sizeof(*nt));
	if (nt == NULL)
		return -1;
	memset(nt + d->by_eid_len, 0, (n - d->by_eid_len) * sizeof(*nt));
	d->by_eid = nt;
	d->by_eid_len = n;
	return 0;
}

void
bsock_set_eid(struct tcpxd *d, struct bsock *b, int eid)
{
	if (b->eid >= 0 && (size_t)b->eid < d->by_eid_len &&
	    d->by_eid[b->eid] == b)
		d->by_eid[b->eid] = NULL;
	b->eid = eid;
	if (eid >= 0 && eid_slot(d, eid) == 0)
		d->by_eid[eid] = b;
}

struct bsock *
bsock_new(struct tcpxd *d, int eid, enum bsock_kind kind, uid_t uid,
    pid_t pid)
{
	struct bsock *b, key;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	/* The next free handle; wraps long before anything is exhausted. */
	for (;;) {
		if (d->next_handle <= 0 || d->next_handle == INT_MAX)
			d->next_handle = 1;
		key.handle = d->next_handle++;
		if (RB_FIND(bsock_tree, &d->handles, &key) == NULL)
			break;
	}
	b->handle = key.handle;
	b->eid = -1;
	b->kind = kind;
	b->uid = uid;
	b->pid = pid;
	b->w.fd = -1;
	b->wait_fd = -1;
	RB_INSERT(bsock_tree, &d->handles, b);
	LIST_INSERT_HEAD(&d->bsocks, b, all);
	d->nbsocks++;
	bsock_set_eid(d, b, eid);
	return b;
}

struct bsock *
bsock_by_handle(struct tcpxd *d, int handle)
{
	struct bsock key;

	key.handle = handle;
	return RB_FIND(bsock_tree, &d->handles, &key);
}

struct bsock *
bsock_by_eid(struct tcpxd *d, int eid)
{
	if (eid < 0 || (size_t)eid >= d->by_eid_len)
		return NULL;
	return d->by_eid[eid];
}

/* Forget b; the engine socket must already be closed (or handed over). */
void
bsock_free(struct tcpxd *d, struct bsock *b)
{
	if (b->zombie)
		return;
	logd("sock %d (engine %d): released", b->handle, b->eid);
	if (b->ndefer > 0)
		bridge_flush_deferred(d);	/* no entry may outlive b */
	if (b->kind == BS_LISTEN)
		listen_drop_resv(d, b);
	bsock_set_eid(d, b, -1);
	if (b->w.fd >= 0 && b->kind == BS_CONN) {
		watch_close(d, &b->w);	/* our end of the socketpair */
	} else if (b->w.fd >= 0) {
		watch_del(d, &b->w);
		close(b->w.fd);
		b->w.fd = -1;
	}
	if (b->wait_fd >= 0) {
		/* Never answered (tcpxd stopping): the program sees the
		 * control connection close. */
		close(b->wait_fd);
		b->wait_fd = -1;
	}
	b->waiter = NULL;
	if (b->dirty)
		TAILQ_REMOVE(&d->dirty, b, dirty_link);
	b->dirty = false;
	if (b->timed)
		TAILQ_REMOVE(&d->timed, b, timed_link);
	b->timed = false;
	bridge_held_forget(d, b);
	RB_REMOVE(bsock_tree, &d->handles, b);
	LIST_REMOVE(b, all);
	d->nbsocks--;
	b->zombie = true;
	/* epoll may still hold a pointer to b in this batch. */
	LIST_INSERT_HEAD(&d->zombies, b, all);
}

void
bridge_reap(struct tcpxd *d)
{
	struct bsock *b;

	while ((b = LIST_FIRST(&d->zombies)) != NULL) {
		LIST_REMOVE(b, all);
		free(b);
	}
	listen_reap(d);
}

void
bsock_timed(struct tcpxd *d, struct bsock *b)
{
	if (!b->timed && !b->zombie) {
		b->timed = true;
		TAILQ_INSERT_TAIL(&d->timed, b, timed_link);
	}
}

void
bridge_mark_dirty(struct tcpxd *d, struct bsock *b)
{
	if (!b->dirty && !b->zombie) {
		b->dirty = true;
		TAILQ_INSERT_TAIL(&d->dirty, b, dirty_link);
	}
}

/* Close the engine side of b, with RST when abort is set. */
static void
engine_close(struct tcpxd *d, struct bsock *b, bool abort)
{
	if (b->eid < 0)
		return;
	if (abort) {
		struct linger l = { 1, 0 };

		(void)tcpx_setsockopt(d->eng, b->eid, SOL_SOCKET, SO_LINGER,
		    &l, sizeof(l));
	}
	logd("sock %d (engine %d): close%s", b->handle, b->eid,
	    abort ? " with RST (unread data)" : "");
	tcpx_close(d->eng, b->eid);
	bsock_set_eid(d, b, -1);
}

/* ---- engine events ------------------------------------------------------ */

void
bridge_engine_event(struct tcpxd *d, int eid, unsigned ev)
{
	struct bsock *b = bsock_by_eid(d, eid);

	if (b == NULL)
		return;
	b->pending_ev |= ev;
	if (ev & TCPX_EV_CLOSED) {
		/* The id is gone from the engine; it may be reused at once. */
		bsock_set_eid(d, b, -1);
		b->eng_dead = true;
	}
	bridge_mark_dirty(d, b);
}

void
bridge_run_dirty(struct tcpxd *d)
{
	struct bsock *b;

	while ((b = TAILQ_FIRST(&d->dirty)) != NULL) {
		TAILQ_REMOVE(&d->dirty, b, dirty_link);
		b->dirty = false;
		b->pending_ev = 0;
		switch (b->kind) {
		case BS_CONN:
			conn_service(d, b);
			break;
		case BS_LISTEN:
			listen_deliver(d, b);
			break;
		case BS_NEW:
			break;
		}
	}
}

/* ---- connected sockets -------------------------------------------------- */

void
bridge_conn_watch_cb(struct tcpxd *d, struct watch *w, uint32_t events)
{
	struct bsock *b = (struct bsock *)((char *)w -
	    offsetof(struct bsock, w));

	/*
	 * POLLHUP while we have not shut our write half means the last
	 * application fd is closed: unambiguous.  After our own shutdown
	 * the app's SHUT_WR alone also yields it, so ask the kernel then.
	 */
	if (events & (EPOLLHUP | EPOLLERR)) {
		if (!b->fd_shut || unixdiag_peer_alive(d, b->app_ino) == 0)
			b->app_gone = true;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		b->rd_ready = true;
	/* The program read down to where its window opens again. */
	if ((events & EPOLLOUT) && b->held_watch)
		bridge_held_refresh(d, b);
	conn_service(d, b);
}

/*
 * Socketpair buffers.  AF_UNIX's default (about 200 KB) is what a kernel
 * TCP socket starts with, but the kernel autotunes TCP to megabytes; a
 * bigger socketpair lets tcpxd hand over a whole burst per wakeup.  It
 * costs nothing while empty.  SO_SNDBUFFORCE needs CAP_NET_ADMIN; without
 * it SO_SNDBUF gets what net.core.wmem_max allows.
 */

void
bridge_pair_bufs(int fd)
{
	int v = TCPX_PAIR_SNDBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/*
 * The program's end of a pair whose connect has not resolved within
 * TCPX_CONNECT_WAIT_US, before it is filled: back to AF_UNIX's default,
 * so the filler stays about 200 KB.  A bare pair's end is made
 * TCPX_PAIR_SNDBUF (connecting.c), where the program's writes wait
 * until tcpxd reads them: with AF_UNIX's default tcpxd read them 200 KB
 * at a time and woke the writer as often (upload through tcpx measured
 * 19.2-22.6 Gbit/s, against 20.4-25.2 with TCPX_PAIR_SNDBUF).
 */
void
bridge_app_default(struct tcpxd *d, int fd)
{
	int v = d->wmem_default / 2;	/* SO_SNDBUF doubles it */

	if (v > 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

void
bridge_attach_accepted(struct tcpxd *d, struct bsock *b, int fd)
{
	struct stat st;

	b->kind = BS_CONN;
	b->established = true;
	b->w.fd = fd;
	b->w.cb = bridge_conn_watch_cb;
	if (fstat(fd, &st) == 0)
		b->app_ino = st.st_ino;
	bridge_pair_bufs(fd);
	if (watch_add(d, &b->w, EPOLLIN) < 0) {
		logx("sock %d: cannot bridge an accepted connection",
		    b->handle);
		engine_close(d, b, true);
		bsock_free(d, b);
		return;
	}
	bridge_held_start(d, b);
	bridge_mark_dirty(d, b);
}

/*
 * app -> TCP, without a copy of our own: the socketpair read lands in
 * the engine's send buffer (tcpx_send_reserve), and only as much is
 * read as the buffer has room for, so nothing is ever held here.  When
 * it is full, out_full takes EPOLLIN off until the engine frees room
 * (EV_OUT), and the program's writes wait in the socketpair, as they
 * would wait in a kernel socket's buffer.
 */
static void
pump_out(struct tcpxd *d, struct bsock *b)
{
	struct iovec iov[2];
	ssize_t room, n;
	bool more = false;
	int iovcnt;

	while (!b->app_eof && b->eid >= 0 && !b->eng_dead) {
		/*
		 * Nothing readable, and no full buffer to look at again:
		 * no reservation either (it would give a connection that
		 * only receives a send buffer).
		 */
		if (!b->rd_ready && !b->out_full)
			break;
		iovcnt = 2;
		room = tcpx_send_reserve(d->eng, b->eid, BRIDGE_BUF, iov,
		    &iovcnt);
		if (room == -EAGAIN) {
			b->out_full = true;	/* wait EV_OUT */
			break;
		}
		if (room < 0) {
			/* EPIPE etc.: the connection cannot take data. */
			b->eng_dead = true;
			break;
		}
		b->out_full = false;
		/*
		 * Read only what epoll said is there: most passes come from
		 * the engine (data or ACKs arrived), and a read that says
		 * EAGAIN is a system call for nothing.  EPOLLIN is watched
		 * whenever the engine has room, and the watch is
		 * level-triggered, so nothing written is left unread.
		 */
		if (!b->rd_ready)
			break;
		n = readv(b->w.fd, iov, iovcnt);
		if (n > 0) {
			/*
			 * A read that filled the room leaves more behind,
			 * likely: MSG_MORE holds a short tail back until the
			 * rest is in, so the segments are those of the
			 * program's write, not of our read sizes.  A short
			 * read drained the socketpair: stop without the read
			 * that would say EAGAIN (epoll is level-triggered, so
			 * more data or EOF wakes us again).
			 */
			more = n == room;
			(void)tcpx_send_commit(d->eng, b->eid, (size_t)n,
			    more ? MSG_MORE : 0);
			if (!more) {
				b->rd_ready = false;
				break;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (more)	/* nothing followed after all: send the tail */
			(void)tcpx_send_commit(d->eng, b->eid, 0, 0);
		more = false;
		b->rd_ready = false;
		if (n == 0) {
			b->app_eof = true;
			/*
			 * Closed, or only shut for writing?  Before our own
			 * shutdown POLLHUP tells (bridge_conn_watch_cb); ask
			 * now, while it is unambiguous and costs one poll, not
			 * the sock_diag query it takes once we have shut ours.
			 */
			if (!b->fd_shut && !b->app_gone)
				b->app_gone = bridge_app_hup(b->w.fd);
		} else if (errno == ECONNRESET) {
			/* The app closed with data it never read. */
			b->app_reset = true;
			b->app_eof = true;
			b->app_gone = true;
		}
		break;
	}
}

/* Is anything received still unread by the program? */
static bool
unread(struct tcpxd *d, struct bsock *b)
{
	(void)d;
	return b->app_reset || b->in_wait;
}

static void
conn_finish(struct tcpxd *d, struct bsock *b)
{
	uint64_t now;

	if (b->eid >= 0 && b->linger_on && b->linger_s > 0 &&
	    !unread(d, b)) {
		/* SO_LINGER {1, t}: FIN now, close when acked or at t. */
		if (!b->shut_wr)
			(void)tcpx_shutdown(d->eng, b->eid, SHUT_WR);
		b->shut_wr = true;
		if (b->linger_until == 0) {
			now = now_us();
			b->linger_until = now + (uint64_t)b->linger_s * 1000000u;
			bsock_timed(d, b);
		}
		watch_close(d, &b->w);
		return;
	}
	engine_close(d, b, unread(d, b));
	bsock_free(d, b);
}

static void
conn_service(struct tcpxd *d, struct bsock *b)
{
	uint32_t want = 0;
	bool fresh = false;
	int st;

	if (b->zombie)
		return;
	if (b->linger_until != 0) {
		/* Lingering close: the fd is gone; wait for the FIN's ACK. */
		st = b->eid >= 0 ? tcpx_state(d->eng, b->eid) : -1;
		if (st != TCP_ST_FIN_WAIT_1 && st != TCP_ST_CLOSING &&
		    st != TCP_ST_LAST_ACK) {
			engine_close(d, b, false);
			bsock_free(d, b);
		}
		return;
	}
	if (!b->established) {
		st = b->eid >= 0 ? tcpx_state(d->eng, b->eid) : TCP_ST_CLOSED;
		if (st == TCP_ST_SYN_SENT || st == TCP_ST_SYN_RECEIVED) {
			if (!b->app_gone)
				return;
			/* Closed while connecting: nothing to deliver. */
			engine_close(d, b, false);
			bsock_free(d, b);
			return;
		}
		b->established = true;
		if (st == TCP_ST_CLOSED) {
			/*
			 * Failed.  Shut our read half before the filler goes:
			 * the program's end then refuses writes (EPIPE),
			 * which poll does not show but a zero-length send
			 * does, so POLLOUT alone is never taken for success
			 * (ctl_proto.h).  POLLHUP follows right after the
			 * drain, as Linux shows POLLOUT|POLLHUP together.
			 */
			b->eng_dead = true;
			if (b->w.fd >= 0)
				(void)shutdown(b->w.fd, SHUT_RD);
		}
		bridge_drain_filler(b, d->iobuf);
		/* From now on its unread bytes count against the window. */
		if (st != TCP_ST_CLOSED)
			bridge_held_start(d, b);
		if (b->waiter != NULL) {
			int err = 0;

			if (st == TCP_ST_CLOSED) {
				/* connect(2) reads the error; shut both
				 * ways, as after any failure (below). */
				err = bridge_take_error(d, b);
				if (err == 0)
					err = ECONNABORTED;
				if (b->w.fd >= 0)
					(void)shutdown(b->w.fd, SHUT_RDWR);
				b->fd_shut = true;
			}
			bridge_connect_answer(b, -err);
		}
		logd("sock %d: connect resolved: %s", b->handle,
		    tcp_state_name(st));
		fresh = true;
	}

	bridge_pump_in(d, b);
	/*
	 * Until now the program could not write (its connect had no answer
	 * or its fd was full of filler), so a read now would say EAGAIN;
	 * EPOLLIN brings what it writes next.
	 */
	if (!fresh)
		pump_out(d, b);

	if (b->app_gone && b->app_eof) {
		conn_finish(d, b);
		return;
	}
	if (b->app_gone && (b->app_reset || b->in_wait || b->eng_dead)) {
		/* Gone with unread data, or nothing left to send to. */
		conn_finish(d, b);
		return;
	}
	if (b->app_gone && !b->app_eof) {
		/* Read what it left (EOF or ECONNRESET) on the next pass. */
		b->rd_ready = true;
		pump_out(d, b);
		if (b->app_eof) {
			conn_finish(d, b);
			return;
		}
	}
	if (b->app_eof && !b->app_gone && !b->shut_wr &&
	    b->eid >= 0 && !b->eng_dead) {
		/* shutdown(SHUT_WR) by the program: FIN after the data. */
		(void)tcpx_shutdown(d->eng, b->eid, SHUT_WR);
		b->shut_wr = true;
	}
	if ((b->eng_eof || b->eng_dead) && !b->in_wait &&
	    !b->fd_shut && b->w.fd >= 0) {
		/* EOF for the program after the last byte. */
		shutdown(b->w.fd, b->eng_dead ? SHUT_RDWR : SHUT_WR);
		b->fd_shut = true;
	}
	if (b->w.fd < 0)
		return;
	if (b->eng_dead && b->fd_shut) {
		/* Our end is HUP for good: the GC sweep watches the app. */
		watch_off(d, &b->w);
		return;
	}
	if (b->fd_shut && b->app_eof) {
		/*
		 * Both directions done, but the program still holds the fd
		 * (it may ask TCP_INFO or SO_ERROR): POLLHUP is ours for good
		 * now, so the sweep notices its close and then we close.
		 */
		watch_off(d, &b->w);
		return;
	}
	if (b->app_gone) {
		/* Stop the level-triggered HUP; engine events drive us now. */
		watch_off(d, &b->w);
		return;
	}
	if (b->established && !b->app_eof && !b->out_full &&
	    !b->eng_dead)
		want |= EPOLLIN;
	if (b->in_wait || b->held_watch)
		want |= EPOLLOUT;
	/* want 0 still reports POLLHUP: the app closing is seen. */
	watch_mod(d, &b->w, want);
}

void
bridge_note_sockopt(struct bsock *b, int level, int name, const void *val,
    socklen_t len)
{
	const struct linger *l = val;

	if (level == SOL_SOCKET && name == SO_LINGER &&
	    len >= sizeof(struct linger)) {
		b->linger_on = l->l_onoff != 0;
		b->linger_s = l->l_linger;
	}
}

/* ---- liveness, timers, teardown ----------------------------------------- */

void
bridge_check_alive(struct tcpxd *d, struct bsock *b)
{
	int alive;

	switch (b->kind) {
	case BS_LISTEN:
		alive = unixdiag_alive(d, b->app_ino);
		if (alive == 0) {
			logd("sock %d: listener closed by the application",
			    b->handle);
			engine_close(d, b, false);
			bsock_free(d, b);
		}
		break;
	case BS_CONN:
		if (b->linger_until != 0 || b->w.fd < 0)
			break;
		alive = unixdiag_peer_alive(d, b->app_ino);
		if (alive == 0) {
			/* What it wrote before closing is still ours to send. */
			b->app_gone = true;
			conn_service(d, b);
		}
		break;
	case BS_NEW:
		break;
	}
}

void
bridge_gc(struct tcpxd *d, uint64_t now)
{
	struct bsock *b, *nb;

	for (b = LIST_FIRST(&d->bsocks); b != NULL; b = nb) {
		nb = LIST_NEXT(b, all);
		if (b->kind == BS_LISTEN ||
		    (b->kind == BS_CONN && b->fd_shut))
			bridge_check_alive(d, b);
	}
	d->gc_at = now + GC_INTERVAL_US;
}

uint64_t
bridge_next_deadline(struct tcpxd *d)
{
	struct bsock *b;
	uint64_t next = UINT64_MAX;

	TAILQ_FOREACH(b, &d->timed, timed_link) {
		if (b->wait_until != 0 && b->wait_until < next)
			next = b->wait_until;
		if (b->linger_until != 0 && b->linger_until < next)
			next = b->linger_until;
		if (b->retry_at != 0 && b->retry_at < next)
			next = b->retry_at;
	}
	/* Listeners and half-dead connections: sweep for closed fds. */
	if (d->nbsocks > 0 && d->diag_ok) {
		if (d->gc_at == 0)
			d->gc_at = now_us() + GC_INTERVAL_US;
		if (d->gc_at < next)
			next = d->gc_at;
	}
	return next;
}

void
bridge_timers(struct tcpxd *d, uint64_t now)
{
	struct bsock *b, *nb;

	for (b = TAILQ_FIRST(&d->timed); b != NULL; b = nb) {
		nb = TAILQ_NEXT(b, timed_link);
		if (b->wait_until != 0 && now >= b->wait_until)
			bridge_connect_late(d, b);
		if (b->linger_until != 0 && now >= b->linger_until) {
			logd("sock %d: linger time over", b->handle);
			engine_close(d, b, false);
			bsock_free(d, b);
			continue;
		}
		if (b->linger_until != 0) {
			/* Lingering: look at the state on every pass. */
			bridge_mark_dirty(d, b);
			continue;
		}
		if (b->retry_at != 0 && now >= b->retry_at) {
			b->retry_at = 0;
			bridge_mark_dirty(d, b);
		}
		if (b->retry_at == 0 && b->wait_until == 0) {
			TAILQ_REMOVE(&d->timed, b, timed_link);
			b->timed = false;
		}
	}
	if (d->gc_at != 0 && now >= d->gc_at)
		bridge_gc(d, now);
}

void
bridge_client_gone(struct tcpxd *d, struct client *c)
{
	struct bsock *b, *nb;

	for (b = LIST_FIRST(&d->bsocks); b != NULL; b = nb) {
		nb = LIST_NEXT(b, all);
		if (b->kind == BS_NEW && b->owner == c) {
			engine_close(d, b, false);
			bsock_free(d, b);
		} else if (b->waiter == c) {
			/* It died in connect(2): nobody holds the fd. */
			close(b->wait_fd);
			b->wait_fd = -1;
			b->waiter = NULL;
			b->wait_until = 0;
			b->app_gone = true;
			bridge_mark_dirty(d, b);
		}
	}
	/* A process exited: its listeners may be gone with it; sweep soon. */
	if (d->diag_ok)
		d->gc_at = 1;
}

void
bridge_close_all(struct tcpxd *d)
{
	struct bsock *b;

	while ((b = LIST_FIRST(&d->bsocks)) != NULL) {
		engine_close(d, b, false);
		bsock_free(d, b);
	}
	bridge_reap(d);
	bridge_spares_free(d);
	free(d->by_eid);
	d->by_eid = NULL;
	d->by_eid_len = 0;
}
