/*
 * listen_accept.c - listen(), accept(), accept4().
 *
 * A tcpx listener is a real AF_UNIX listening socket made by tcpxd and
 * dup3()ed onto the program's fd: blocking, EAGAIN, poll/epoll and the
 * herd of forked workers sharing it are the kernel's own.  tcpxd
 * delivers each accepted TCP connection by connecting to it and writing
 * struct tcpx_accept_hdr first, once accept() has claimed the connection
 * with one byte (TCPX_LISTEN_CLAIM: until then the connection waits in
 * the engine's accept queue, which so stays backlog+1 long as on Linux).
 * accept() reads that header, checks with
 * SO_PEERCRED that tcpxd made the connection (anyone may connect to an
 * abstract name), and only then hands the fd to the program, with the
 * peer's address and the flags it asked for.
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>

#include "preload.h"

#define HDR_WAIT_MS	2000	/* tcpxd writes the header right away */

static int
listen_tcpx(int fd, struct fd_ent *e, int backlog)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	int rc, newfd;

	if (e->kind == FDK_INET) {
		/* listen() on an unbound socket binds a wildcard ephemeral
		 * port first, as Linux's inet_autobind(). */
		rc = conv_engine_socket(fd, e);
		if (rc < 0)
			return set_errno(-rc);
		memset(&req, 0, sizeof(req));
		req.op = TCPX_OP_BIND;
		req.sock = e->sock;
		req.u.addr.sin_family = AF_INET;
		rc = ctl_call(&req, TCPX_CTL_REQ_HDR + sizeof(req.u.addr), &rep,
		    NULL);
		if (rc < 0) {
			conv_drop_engine(e);
			return set_errno(-rc);
		}
		e->kind = FDK_BOUND;
	}
	memset(&req, 0, sizeof(req));
	req.op = TCPX_OP_LISTEN;
	req.sock = e->sock;
	/* The engine's accept queue stays the accept queue (backlog+1, as
	 * Linux); accept() claims each connection (accept_tcpx). */
	req.flags = TCPX_LISTEN_CLAIM;
	req.u.backlog = backlog;
	rc = ctl_call(&req, TCPX_CTL_REQ_HDR + sizeof(req.u.backlog), &rep,
	    &newfd);
	if (rc < 0) {
		if (newfd >= 0)
			real.close(newfd);
		return set_errno(-rc);
	}
	if (newfd < 0) {
		/* A second listen(): tcpxd took the new backlog; the AF_UNIX
		 * listener's own queue follows it. */
		if (e->kind == FDK_LISTEN)
			(void)real.listen(fd, backlog);
		return 0;
	}
	if (conv_install(fd, newfd, e) < 0)
		return -1;
	e->kind = FDK_LISTEN;
	fd_stamp(e, fd);
	tcpx_debug("fd %d listening as sock %d", fd, e->sock);
	return 0;
}

PRELOAD_EXPORT int
listen(int fd, int backlog)
{
	struct sockaddr_in b;
	socklen_t bl = sizeof(b);
	struct fd_ent *e;

	tcpx_init();
	if (fd_lookup(fd) == NULL || (e = fd_lookup_checked(fd)) == NULL)
		return real.listen(fd, backlog);
	switch (e->kind) {
	case FDK_INET:
		/* Bound by the kernel (loopback, a kernel address), or the
		 * program asked for kernel listeners: not ours. */
		if (pconf.listen_kernel ||
		    (real.getsockname(fd, (struct sockaddr *)&b, &bl) == 0 &&
		    b.sin_port != 0))
			return real.listen(fd, backlog);
		return listen_tcpx(fd, e, backlog);
	case FDK_BOUND:
	case FDK_LISTEN:
		return listen_tcpx(fd, e, backlog);
	default:
		return set_errno(EINVAL);	/* connected */
	}
}

/* Read the delivery header; 0, or -1 if the connection is not usable. */
static int
read_header(int nfd, struct tcpx_accept_hdr *h)
{
	struct pollfd p = { .fd = nfd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(*h)) {
		n = real.recv(nfd, (char *)h + got, sizeof(*h) - got,
		    MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		if (poll(&p, 1, HDR_WAIT_MS) == 0)
			return -1;
	}
	return h->magic == TCPX_ACCEPT_MAGIC ? 0 : -1;
}

static bool
from_tcpxd(int nfd, pid_t d)
{
	struct ucred uc;
	socklen_t l = sizeof(uc);

	if (real.getsockopt(nfd, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0)
		return false;
	return d > 0 && uc.pid == d;
}

static int
accept_tcpx(int fd, const struct fd_ent *e, struct sockaddr *sa,
    socklen_t *len, int flags)
{
	struct tcpx_accept_hdr h;
	struct fd_ent *ne;
	int nfd, saved;
	pid_t d = 0;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return set_errno(EINVAL);
	for (;;) {
		nfd = real.accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (nfd < 0)
			return -1;
		/* A reservation: claim it with a byte, and tcpxd takes the
		 * connection off the engine's queue and writes the header
		 * (EOF instead if it was reset while queued). */
		if (real.send(nfd, "", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1 &&
		    read_header(nfd, &h) == 0 &&
		    from_tcpxd(nfd, (d = ctl_daemon_pid())))
			break;
		/* Not delivered by tcpxd (or broken): never the program's. */
		tcpx_debug("fd %d: dropped a connection not from tcpxd", fd);
		saved = errno;
		real.close(nfd);
		errno = saved;
	}
	/* As tcpxd sizes the ends it makes (TCPX_PAIR_SNDBUF), as far
	 * as net.core.wmem_max lets a program. */
	{
		int v = TCPX_PAIR_SNDBUF;

		(void)real.setsockopt(nfd, SOL_SOCKET, SO_SNDBUF, &v,
		    sizeof(v));
	}
	ne = fd_track(nfd, FDK_CONN);
	if (ne != NULL) {
		ne->sock = h.sock;
		ne->daemon = d;
		/* Linux's accepted socket inherits the listener's options;
		 * the engine's copy does so itself, ours is the linger. */
		ne->linger = e->linger;
		ne->local = h.local;
		ne->peer = h.peer;
		ne->have_names = true;
	}
	if (!(flags & SOCK_CLOEXEC))
		(void)fcntl(nfd, F_SETFD, 0);
	if (flags & SOCK_NONBLOCK)
		(void)fcntl(nfd, F_SETFL, fcntl(nfd, F_GETFL) | O_NONBLOCK);
	sin_copy_out(&h.peer, sa, len);
	return nfd;
}

/* fd's entry if it is a tcpx socket (a listener inherited across exec
 * included), NULL for the kernel's. */
static struct fd_ent *
lookup_listener(int fd)
{
	struct fd_ent *e = fd_lookup(fd);

	if (e == NULL)
		return fd_adopt(fd);
	if (e->kind == FDK_INET)
		return NULL;
	return fd_lookup_checked(fd);
}

/* A kernel connection: whatever the table said about its number is old. */
static int
kernel_accepted(int nfd)
{
	if (nfd >= 0)
		fd_forget(nfd);
	return nfd;
}

PRELOAD_EXPORT int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct fd_ent *e;

	tcpx_init();
	e = lookup_listener(fd);
	if (e == NULL)
		return kernel_accepted(real.accept(fd, sa, len));
	if (e->kind != FDK_LISTEN)
		return set_errno(EINVAL);
	return accept_tcpx(fd, e, sa, len, 0);
}

PRELOAD_EXPORT int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	struct fd_ent *e;

	tcpx_init();
	e = lookup_listener(fd);
	if (e == NULL)
		return kernel_accepted(real.accept4(fd, sa, len, flags));
	if (e->kind != FDK_LISTEN)
		return set_errno(EINVAL);
	return accept_tcpx(fd, e, sa, len, flags);
}
