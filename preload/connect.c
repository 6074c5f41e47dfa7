/*
 * connect.c - connect(), and the connecting half of sendto(MSG_FASTOPEN).
 *
 * A connect to a destination tcpx serves asks tcpxd for the connection;
 * the reply carries our end of a socketpair, pre-filled so that it is not
 * writable until the handshake resolves, and we dup3() it onto the
 * program's fd.  Linux's inet_stream_connect() is followed to the letter:
 *
 *	first call		EINPROGRESS (non-blocking), or wait for
 *				POLLOUT and return SO_ERROR (blocking;
 *				EINTR on a signal, EINPROGRESS when
 *				SO_SNDTIMEO runs out)
 *	again, pending		EALREADY (non-blocking) or wait
 *	again, established	0 the first time, then EISCONN
 *	again, failed		the error (read and cleared), after which
 *				the socket may connect again
 *	on a listener		EISCONN
 */
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "preload.h"

static bool
is_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_NONBLOCK);
}

/* ms to wait for a blocking connect: SO_SNDTIMEO, or forever (-1). */
static int
send_timeout_ms(int fd)
{
	struct timeval tv;
	socklen_t l = sizeof(tv);
	struct fd_ent *e = fd_lookup(fd);

	if (e == NULL || !e->timeouts ||
	    real.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &l) < 0 ||
	    (tv.tv_sec == 0 && tv.tv_usec == 0))
		return -1;
	return (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

/* The handshake failed: the error, and the socket can connect again. */
static int
connect_failed(struct fd_ent *e, int err)
{
	e->connecting = false;
	e->kind = FDK_BOUND;	/* the engine socket stays; a new fd later */
	return set_errno(err);
}

/* Is the connection still being set up?  1 yes, 0 no (err in *errp). */
static int
still_pending(struct fd_ent *e, int fd, int *errp)
{
	int st, err;

	err = ctl_simple(TCPX_OP_GET_ERROR, e, fd);
	if (err > 0) {
		*errp = err;
		return 0;
	}
	st = ctl_simple(TCPX_OP_STATE, e, fd);
	*errp = 0;
	if (st == TCP_ST_SYN_SENT || st == TCP_ST_SYN_RECEIVED)
		return 1;
	if (st < 0 || st == TCP_ST_CLOSED)
		*errp = ECONNABORTED;	/* as Linux when no error is left */
	return 0;
}

/*
 * POLLOUT and nothing else, and writes not refused: connected.  tcpxd
 * refuses our writes before it drains the filler of a failed connect
 * (ctl_proto.h); a zero-length send checks that and sends nothing.
 */
#define CONNECT_POLL	(POLLOUT | POLLIN | POLLRDHUP)

static bool
connected_now(int fd, short revents)
{
	return revents == POLLOUT &&
	    real.send(fd, "", 0, MSG_DONTWAIT | MSG_NOSIGNAL) == 0;
}

bool
connect_seen_done(int fd)
{
	struct pollfd p = { .fd = fd, .events = CONNECT_POLL };
	int saved = errno;
	bool done;

	done = poll(&p, 1, 0) == 1 && connected_now(fd, p.revents);
	errno = saved;
	return done;
}

/*
 * Block until the connect resolves, as a blocking connect() does.  POLLOUT
 * alone means connected; any other wake-up asks tcpxd.
 */
static int
connect_wait(int fd, struct fd_ent *e)
{
	struct pollfd p = { .fd = fd, .events = CONNECT_POLL };
	int tmo = send_timeout_ms(fd), rc, err;

	for (;;) {
		rc = poll(&p, 1, tmo);
		if (rc < 0)
			return -1;	/* EINTR: the connect goes on */
		if (rc == 0)
			return set_errno(EINPROGRESS);
		if (connected_now(fd, p.revents)) {
			err = 0;
			break;
		}
		if (!still_pending(e, fd, &err))
			break;
		/* Woken but not resolved (data written meanwhile?): a short
		 * sleep rather than a busy loop on POLLHUP. */
		poll(NULL, 0, 5);
	}
	if (err != 0)
		return connect_failed(e, err);
	e->connecting = false;
	return 0;
}

/*
 * Make e a tcpx connection with op CONNECT or SENDTO_FASTOPEN (req->u.conn
 * filled but for the options).  A socket tcpxd has not made yet (not
 * bound) is made by this same request, with the options the program set
 * on the kernel socket: one round trip.
 */
static int
connect_start(int fd, struct fd_ent *e, struct tcpx_ctl_req *req)
{
	struct tcpx_ctl_connect *cn = &req->u.conn;
	struct tcpx_ctl_rep rep;
	size_t len;
	int rc, newfd;

	req->sock = e->sock;
	cn->nopt = e->sock < 0 ? e->nopt : 0;
	memcpy(cn->opt, e->opt, cn->nopt * sizeof(cn->opt[0]));
	/* What the op uses: the data only for Fast Open. */
	len = req->op == TCPX_OP_SENDTO_FASTOPEN ?
	    TCPX_CTL_REQ_HDR + offsetof(struct tcpx_ctl_connect, data) + cn->len :
	    TCPX_CTL_REQ_HDR + offsetof(struct tcpx_ctl_connect, len);
	rc = ctl_call(req, len, &rep, &newfd);
	if (e->sock < 0 && rep.sock >= 0) {
		e->sock = rep.sock;
		e->daemon = ctl_daemon_pid();
	}
	if (newfd < 0) {
		/* A socket this request made stays, bound or not, as after
		 * a failed connect(2) on Linux. */
		e->kind = e->sock >= 0 ? FDK_BOUND : FDK_INET;
		return rc < 0 ? rc : -EPROTO;
	}
	if (conv_install(fd, newfd, e) < 0)
		return -errno;
	e->kind = FDK_CONN;
	e->have_names = false;
	fd_stamp(e, fd);
	e->connecting = rc == -EINPROGRESS;
	tcpx_debug("fd %d connecting as sock %d: %d", fd, e->sock, rc);
	return rc;
}

/*
 * A kernel destination for a socket bound in tcpx (a client that bound
 * the wildcard first): give it back to the kernel, bound as the program
 * asked (port 0 stays "any port").
 */
static int
connect_kernel(int fd, struct fd_ent *e, const struct sockaddr *sa,
    socklen_t len)
{
	struct sockaddr_in b = e->bound;

	conv_drop_engine(e);
	if (b.sin_addr.s_addr == pconf.c.addr.s_addr)
		return set_errno(ENETUNREACH);	/* bound where the kernel isn't */
	b.sin_family = AF_INET;
	if (real.bind(fd, (struct sockaddr *)&b, sizeof(b)) < 0)
		return -1;
	return real.connect(fd, sa, len);
}

PRELOAD_EXPORT int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct tcpx_ctl_req req;
	struct sockaddr_in sin;
	struct fd_ent *e;
	bool nonblock;
	int rc, err;

	tcpx_init();
	if (fd_lookup(fd) == NULL || (e = fd_lookup_checked(fd)) == NULL)
		return real.connect(fd, sa, len);
	switch (e->kind) {
	case FDK_INET:
	case FDK_BOUND:
		if (sa_to_sin(sa, len, &sin) < 0 || !route_is_ours(&sin)) {
			if (e->kind == FDK_BOUND)
				return connect_kernel(fd, e, sa, len);
			return real.connect(fd, sa, len);
		}
		memset(&req, 0, TCPX_CTL_REQ_HDR +
		    offsetof(struct tcpx_ctl_connect, len));
		req.op = TCPX_OP_CONNECT;
		req.u.conn.addr = sin;
		nonblock = is_nonblocking(fd);
		/* Blocking: tcpxd answers when the handshake resolves
		 * (for up to TCPX_CONNECT_WAIT_US; ctl_proto.h). */
		if (!nonblock)
			req.flags |= TCPX_CONNECT_WAIT;
		rc = connect_start(fd, e, &req);
		if (rc == 0)
			return 0;	/* connected, or TCP_FASTOPEN_CONNECT */
		if (rc != -EINPROGRESS) {
			if (e->kind == FDK_CONN)	/* waited, and failed */
				return connect_failed(e, -rc);
			return set_errno(-rc);
		}
		if (nonblock)
			return set_errno(EINPROGRESS);
		return connect_wait(fd, e);
	case FDK_CONN:
		if (!e->connecting)
			return set_errno(EISCONN);
		if (still_pending(e, fd, &err)) {
			if (is_nonblocking(fd))
				return set_errno(EALREADY);
			return connect_wait(fd, e);
		}
		if (err != 0)
			return connect_failed(e, err);
		e->connecting = false;
		return 0;
	default:
		return set_errno(EISCONN);	/* a listener */
	}
}

ssize_t
connect_fastopen(int fd, struct fd_ent *e, const void *buf, size_t len,
    int flags, const struct sockaddr_in *sin)
{
	struct tcpx_ctl_req req;
	size_t n = len;
	bool nonblock;
	int rc;

	if (n > TCPX_CTL_FASTOPEN_MAX)
		n = TCPX_CTL_FASTOPEN_MAX;
	memset(&req, 0, TCPX_CTL_REQ_HDR +
	    offsetof(struct tcpx_ctl_connect, data));
	req.op = TCPX_OP_SENDTO_FASTOPEN;
	nonblock = is_nonblocking(fd) || (flags & MSG_DONTWAIT);
	if (!nonblock)
		req.flags |= TCPX_FASTOPEN_BLOCKING;
	req.u.conn.addr = *sin;
	req.u.conn.len = (uint32_t)n;
	if (n > 0)
		memcpy(req.u.conn.data, buf, n);
	rc = connect_start(fd, e, &req);
	if (rc >= 0)
		return rc;	/* bytes that went with the SYN */
	if (rc != -EINPROGRESS)
		return set_errno(-rc);
	if (nonblock)
		return set_errno(EINPROGRESS);
	if (connect_wait(fd, e) < 0)
		return -1;
	return real.send(fd, buf, len, (flags & ~MSG_FASTOPEN) | MSG_NOSIGNAL);
}
