/*
 * listen.c - listening sockets.  The program gets a real AF_UNIX
 * listening socket (abstract name TCPX_LISTEN_NAME_FMT); each TCP
 * connection the engine accepts is delivered by connecting to it and
 * writing struct tcpx_accept_hdr first, so accept(), blocking, EAGAIN,
 * epoll and herds of forked workers are the kernel's own.
 *
 * Claim mode (TCPX_LISTEN_CLAIM, what the shim asks for): the engine's
 * accept queue stays the accept queue, so the backlog means what it
 * means on Linux (backlog + 1 connections, then SYNs are dropped or
 * answered per tcp_abort_on_overflow).  For each connection waiting in
 * it tcpxd makes one reservation, an AF_UNIX connection with nothing
 * written yet; the program's accept() takes one and writes a byte; only
 * then is a connection taken off the engine's queue (tcpx_accept) and
 * its header written.  Connections are interchangeable until then, so
 * the order in which workers claim does not matter.
 *
 * Eager mode (an older shim): every connection leaves the engine's queue
 * as soon as the AF_UNIX connect succeeds; when the program's queue is
 * full (connect gives EAGAIN) it stays in the engine, whose own queue
 * then fills: about twice the backlog can be queued.  Delivery is
 * retried shortly after an EAGAIN in both modes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tcpxd.h"

#define RETRY_US	2000	/* AF_UNIX accept queue full: try again */

/* Create, bind and listen the AF_UNIX socket for b; returns its fd. */
int
listen_make(struct tcpxd *d, struct bsock *b, int backlog, bool claim)
{
	struct sockaddr_un sun;
	struct stat st;
	socklen_t len;
	int fd, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(b->lname, sizeof(b->lname), TCPX_LISTEN_NAME_FMT,
	    d->conf.ifname, b->handle, ++d->listen_gen);
	len = tcpx_abstract_addr(&sun, b->lname);
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 ||
	    listen(fd, backlog) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	if (fstat(fd, &st) == 0)
		b->app_ino = st.st_ino;
	b->backlog = backlog;
	b->kind = BS_LISTEN;
	b->owner = NULL;
	b->claim = claim;
	TAILQ_INIT(&b->resvs);
	return fd;
}

/* Connect to the program's listener; fd, -EAGAIN (full) or -errno. */
static int
deliver_connect(struct bsock *b)
{
	struct sockaddr_un sun;
	socklen_t len = tcpx_abstract_addr(&sun, b->lname);
	int fd, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, len) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static void
listener_gone(struct tcpxd *d, struct bsock *b)
{
	logd("sock %d: the application closed its listener", b->handle);
	if (b->eid >= 0)
		tcpx_close(d->eng, b->eid);
	bsock_set_eid(d, b, -1);
	bsock_free(d, b);
}

/*
 * One connect into the application's listener, or -1 when delivery must
 * stop for now: its queue is full or a call failed (retry shortly), or
 * the listener is gone (every copy closed).
 */
static int
deliver_one(struct tcpxd *d, struct bsock *b)
{
	int fd = deliver_connect(b);

	if (fd >= 0)
		return fd;
	if (fd == -ECONNREFUSED || fd == -ENOENT) {
		listener_gone(d, b);
		return -1;
	}
	if (fd != -EAGAIN)
		logx("sock %d: delivering a connection: %s", b->handle,
		    strerror(-fd));
	b->retry_at = now_us() + RETRY_US;
	bsock_timed(d, b);
	return -1;
}

/*
 * Take the next connection off the engine's queue and hand it over on
 * fd (header, then the bridge).  Returns 0, or -1 if there was none (fd
 * is then closed: the program reads EOF instead of a header).
 */
static int
hand_over(struct tcpxd *d, struct bsock *b, int fd)
{
	struct tcpx_accept_hdr h;
	struct sockaddr_in peer;
	struct bsock *nb;
	int eid;

	eid = tcpx_accept(d->eng, b->eid, &peer);
	if (eid < 0) {
		close(fd);
		return -1;
	}
	nb = bsock_new(d, eid, BS_CONN, b->uid, b->pid);
	if (nb == NULL) {
		close(fd);
		tcpx_close(d->eng, eid);
		return 0;
	}
	memset(&h, 0, sizeof(h));
	h.magic = TCPX_ACCEPT_MAGIC;
	h.sock = nb->handle;
	tcpx_getsockname(d->eng, eid, &h.local);
	h.peer = peer;
	nb->local = h.local;
	nb->peer = peer;
	/* A fresh socket's buffer takes the header whole. */
	if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h)) {
		close(fd);
		tcpx_close(d->eng, eid);
		bsock_set_eid(d, nb, -1);
		bsock_free(d, nb);
		return 0;
	}
	if (log_enabled(LOG_DEBUG)) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &peer.sin_addr, a, sizeof(a));
		logd("sock %d: accepted %s:%u on listener %d", nb->handle, a,
		    ntohs(peer.sin_port), b->handle);
	}
	bridge_attach_accepted(d, nb, fd);
	return 0;
}

/* ---- claim mode ---------------------------------------------------------- */

static void
resv_free(struct tcpxd *d, struct resv *r, bool close_fd)
{
	if (r->l != NULL) {
		TAILQ_REMOVE(&r->l->resvs, r, link);
		r->l->nresv--;
		r->l = NULL;
	}
	if (r->w.fd >= 0) {
		watch_del(d, &r->w);
		if (close_fd)
			close(r->w.fd);
		r->w.fd = -1;
	}
	/* epoll may still hold a pointer to r in this batch. */
	TAILQ_INSERT_TAIL(&d->resv_zombies, r, link);
}

void
listen_reap(struct tcpxd *d)
{
	struct resv *r;

	while ((r = TAILQ_FIRST(&d->resv_zombies)) != NULL) {
		TAILQ_REMOVE(&d->resv_zombies, r, link);
		free(r);
	}
}

void
listen_drop_resv(struct tcpxd *d, struct bsock *b)
{
	struct resv *r;

	if (b->kind != BS_LISTEN || !b->claim)
		return;
	while ((r = TAILQ_FIRST(&b->resvs)) != NULL)
		resv_free(d, r, true);
}

/* The program accepted a reservation (a byte), or it went away. */
static void
resv_cb(struct tcpxd *d, struct watch *w, uint32_t events)
{
	struct resv *r = (struct resv *)((char *)w -
	    offsetof(struct resv, w));
	struct bsock *l = r->l;
	char c;
	ssize_t n;
	int fd = w->fd;

	n = read(fd, &c, 1);
	if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
	    !(events & (EPOLLHUP | EPOLLERR)))
		return;
	if (n == 1 && l != NULL && l->eid >= 0) {
		resv_free(d, r, false);
		if (hand_over(d, l, fd) < 0)
			logd("sock %d: a claimed connection vanished",
			    l->handle);
	} else {
		/* EOF: the listener (and its queue) was closed unaccepted. */
		resv_free(d, r, true);
	}
	if (l != NULL && !l->zombie)
		listen_deliver(d, l);
}

static void
deliver_claim(struct tcpxd *d, struct bsock *b)
{
	struct tcpx_sockinfo si;
	struct resv *r;
	int fd;

	if (tcpx_sock_info(d->eng, b->eid, &si) < 0)
		return;
	while (b->retry_at == 0 && b->nresv < si.recv_q) {
		if ((fd = deliver_one(d, b)) < 0)
			return;
		r = calloc(1, sizeof(*r));
		if (r == NULL) {
			close(fd);
			return;
		}
		r->w.fd = fd;
		r->w.cb = resv_cb;
		r->l = b;
		if (watch_add(d, &r->w, EPOLLIN) < 0) {
			close(fd);
			free(r);
			return;
		}
		TAILQ_INSERT_TAIL(&b->resvs, r, link);
		b->nresv++;
	}
}

/* ---- both modes ---------------------------------------------------------- */

void
listen_deliver(struct tcpxd *d, struct bsock *b)
{
	int fd;

	if (b->eid < 0) {
		bsock_free(d, b);
		return;
	}
	if (b->claim) {
		deliver_claim(d, b);
		return;
	}
	while (b->retry_at == 0 && (tcpx_poll(d->eng, b->eid) & POLLIN)) {
		if ((fd = deliver_one(d, b)) < 0)
			return;
		if (hand_over(d, b, fd) < 0)
			return;
	}
}
