/*
 * listen.c - listening sockets.  The program gets a real AF_UNIX
 * listening socket (abstract name TCPX_LISTEN_NAME_FMT); each TCP
 * connection the engine accepts is delivered by connecting to it and
 * writing struct tcpx_accept_hdr first, so accept(), blocking, EAGAIN,
 * epoll and herds of forked workers are the kernel's own.
 *
 * A connection leaves the engine's accept queue only once the AF_UNIX
 * connect succeeded: when the program's queue is full (connect gives
 * EAGAIN) it stays in the engine, whose own queue then fills and
 * overflows per tcp_abort_on_overflow, and delivery is retried shortly.
 * XXX the two queues add up: up to about twice the backlog is queued.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tcpxd.h"

#define RETRY_US	2000	/* AF_UNIX accept queue full: try again */

/* Create, bind and listen the AF_UNIX socket for b; returns its fd. */
int
listen_make(struct tcpxd *d, struct bsock *b, int backlog)
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

void
listen_deliver(struct tcpxd *d, struct bsock *b)
{
	struct tcpx_accept_hdr h;
	struct sockaddr_in peer;
	struct bsock *nb;
	int fd, eid;

	if (b->eid < 0) {
		bsock_free(d, b);
		return;
	}
	while (b->retry_at == 0 && (tcpx_poll(d->eng, b->eid) & POLLIN)) {
		fd = deliver_connect(b);
		if (fd == -EAGAIN) {
			b->retry_at = now_us() + RETRY_US;
			bsock_timed(d, b);
			return;
		}
		if (fd == -ECONNREFUSED || fd == -ENOENT) {
			listener_gone(d, b);
			return;
		}
		if (fd < 0) {
			logx("sock %d: delivering a connection: %s", b->handle,
			    strerror(-fd));
			b->retry_at = now_us() + RETRY_US;
			bsock_timed(d, b);
			return;
		}
		eid = tcpx_accept(d->eng, b->eid, &peer);
		if (eid < 0) {
			/* Nothing after all; the program sees EOF at once. */
			close(fd);
			return;
		}
		nb = bsock_new(d, eid, BS_CONN, b->uid, b->pid);
		if (nb == NULL) {
			close(fd);
			tcpx_close(d->eng, eid);
			continue;
		}
		memset(&h, 0, sizeof(h));
		h.magic = TCPX_ACCEPT_MAGIC;
		h.sock = nb->handle;
		tcpx_getsockname(d->eng, eid, &h.local);
		h.peer = peer;
		/* A fresh socket's buffer takes the header whole. */
		if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h)) {
			close(fd);
			nb->established = true;
			tcpx_close(d->eng, eid);
			bsock_set_eid(d, nb, -1);
			bsock_free(d, nb);
			continue;
		}
		if (log_enabled(LOG_DEBUG)) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &peer.sin_addr, a, sizeof(a));
			logd("sock %d: accepted %s:%u on listener %d", nb->handle,
			    a, ntohs(peer.sin_port), b->handle);
		}
		bridge_attach_accepted(d, nb, fd);
	}
}
