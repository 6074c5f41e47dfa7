/*
 * io.c - the read/recv and write/send families, touched only where the
 * socketpair cannot say what Linux says.
 *
 * Reading: the bytes flow through the kernel untouched; only an EOF on a
 * tcpx connection asks tcpxd whether the connection died (ECONNRESET,
 * ETIMEDOUT, ECONNREFUSED) rather than ended, and returns that error
 * once, as tcp_recvmsg() does with sk_err.
 *
 * Writing: a write to a connection tcpxd has shut gets EPIPE from the
 * kernel, which would also raise SIGPIPE at once.  Linux first returns a
 * pending error without a signal (sk_stream_error(): ECONNRESET after a
 * reset), and only then EPIPE with SIGPIPE.  So writes on our fds go out
 * as send(MSG_NOSIGNAL), and on EPIPE we ask tcpxd for the error, and
 * raise SIGPIPE ourselves when Linux would.
 *
 * The addresses: TCP ignores a destination on a connected socket and
 * reports no source address on receive; AF_UNIX would fail the first
 * (EISCONN) and fill in the second, so both are dropped here.
 */
#include <dlfcn.h>
#include <signal.h>
#include <string.h>

#include "preload.h"

static ssize_t (*real_read_chk)(int, void *, size_t, size_t);
static ssize_t (*real_recv_chk)(int, void *, size_t, size_t, int);
static ssize_t (*real_recvfrom_chk)(int, void *, size_t, size_t, int,
    struct sockaddr *, socklen_t *);
/* Fortified callers (_FORTIFY_SOURCE) reach read/recv through these. */
ssize_t __read_chk(int, void *, size_t, size_t);
ssize_t __recv_chk(int, void *, size_t, size_t, int);
ssize_t __recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *,
    socklen_t *);

static pthread_once_t chk_once = PTHREAD_ONCE_INIT;

static void
chk_init(void)
{
	real_read_chk = (__typeof__(real_read_chk))dlsym(RTLD_NEXT,
	    "__read_chk");
	real_recv_chk = (__typeof__(real_recv_chk))dlsym(RTLD_NEXT,
	    "__recv_chk");
	real_recvfrom_chk = (__typeof__(real_recvfrom_chk))dlsym(RTLD_NEXT,
	    "__recvfrom_chk");
}

/* A connection we bridge (kind checked without a system call). */
static struct fd_ent *
conn(int fd)
{
	struct fd_ent *e = fd_lookup(fd);

	return e != NULL && e->kind == FDK_CONN ? e : NULL;
}

/* read() & co returned 0 on fd: EOF, or a connection that died? */
static ssize_t
at_eof(int fd)
{
	struct fd_ent *e;
	int err;

	if (conn(fd) == NULL || (e = fd_lookup_checked(fd)) == NULL)
		return 0;
	err = ctl_simple(TCPX_OP_GET_ERROR, e, fd);
	if (err > 0)
		return set_errno(err);
	return 0;
}

/* A send on fd failed with EPIPE: the pending error, or EPIPE+SIGPIPE. */
static ssize_t
at_epipe(int fd, int flags)
{
	struct fd_ent *e = fd_lookup_checked(fd);
	int err = 0;

	if (e != NULL)
		err = ctl_simple(TCPX_OP_GET_ERROR, e, fd);
	if (err > 0)
		return set_errno(err);
	if (!(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return set_errno(EPIPE);
}

/* ---- reading ------------------------------------------------------------ */

PRELOAD_EXPORT ssize_t
read(int fd, void *buf, size_t n)
{
	ssize_t r;

	tcpx_init();
	r = real.read(fd, buf, n);
	return r == 0 && n > 0 ? at_eof(fd) : r;
}

PRELOAD_EXPORT ssize_t
__read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	ssize_t r;

	tcpx_init();
	pthread_once(&chk_once, chk_init);
	r = real_read_chk != NULL ? real_read_chk(fd, buf, n, buflen) :
	    real.read(fd, buf, n);
	return r == 0 && n > 0 ? at_eof(fd) : r;
}

PRELOAD_EXPORT ssize_t
readv(int fd, const struct iovec *iov, int cnt)
{
	ssize_t r;
	size_t total = 0;
	int i;

	tcpx_init();
	r = real.readv(fd, iov, cnt);
	if (r != 0)
		return r;
	for (i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	return total > 0 ? at_eof(fd) : 0;
}

PRELOAD_EXPORT ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	ssize_t r;

	tcpx_init();
	r = real.recv(fd, buf, n, flags);
	return r == 0 && n > 0 ? at_eof(fd) : r;
}

PRELOAD_EXPORT ssize_t
__recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	ssize_t r;

	tcpx_init();
	pthread_once(&chk_once, chk_init);
	r = real_recv_chk != NULL ? real_recv_chk(fd, buf, n, buflen, flags) :
	    real.recv(fd, buf, n, flags);
	return r == 0 && n > 0 ? at_eof(fd) : r;
}

PRELOAD_EXPORT ssize_t
recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *sa,
    socklen_t *salen)
{
	ssize_t r;

	tcpx_init();
	if (conn(fd) == NULL)
		return real.recvfrom(fd, buf, n, flags, sa, salen);
	r = real.recv(fd, buf, n, flags);
	if (r >= 0 && salen != NULL)
		*salen = 0;
	return r == 0 && n > 0 ? at_eof(fd) : r;
}

PRELOAD_EXPORT ssize_t
__recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
    struct sockaddr *sa, socklen_t *salen)
{
	tcpx_init();
	pthread_once(&chk_once, chk_init);
	if (conn(fd) == NULL && real_recvfrom_chk != NULL)
		return real_recvfrom_chk(fd, buf, n, buflen, flags, sa, salen);
	return recvfrom(fd, buf, n, flags, sa, salen);
}

PRELOAD_EXPORT ssize_t
recvmsg(int fd, struct msghdr *mh, int flags)
{
	struct msghdr m;
	ssize_t r;
	size_t total = 0, i;

	tcpx_init();
	if (conn(fd) == NULL || mh == NULL)
		return real.recvmsg(fd, mh, flags);
	m = *mh;
	m.msg_name = NULL;
	m.msg_namelen = 0;
	r = real.recvmsg(fd, &m, flags);
	mh->msg_namelen = 0;
	mh->msg_controllen = m.msg_controllen;
	mh->msg_flags = m.msg_flags;
	if (r != 0)
		return r;
	for (i = 0; i < (size_t)mh->msg_iovlen; i++)
		total += mh->msg_iov[i].iov_len;
	return total > 0 ? at_eof(fd) : 0;
}

/* ---- writing ------------------------------------------------------------ */

static ssize_t
send_conn(int fd, const void *buf, size_t n, int flags)
{
	ssize_t r;

	r = real.send(fd, buf, n, (flags & ~MSG_FASTOPEN) | MSG_NOSIGNAL);
	if (r < 0 && errno == EPIPE)
		return at_epipe(fd, flags);
	return r;
}

PRELOAD_EXPORT ssize_t
write(int fd, const void *buf, size_t n)
{
	ssize_t r;

	tcpx_init();
	if (conn(fd) == NULL)
		return real.write(fd, buf, n);
	r = send_conn(fd, buf, n, 0);
	if (r < 0 && errno == ENOTSOCK) {
		/* The number was reused for a file behind our back. */
		fd_forget(fd);
		return real.write(fd, buf, n);
	}
	return r;
}

static ssize_t
sendmsg_conn(int fd, const struct msghdr *mh, int flags)
{
	struct msghdr m = *mh;
	ssize_t r;

	m.msg_name = NULL;
	m.msg_namelen = 0;
	r = real.sendmsg(fd, &m, (flags & ~MSG_FASTOPEN) | MSG_NOSIGNAL);
	if (r < 0 && errno == EPIPE)
		return at_epipe(fd, flags);
	return r;
}

PRELOAD_EXPORT ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	struct msghdr m;
	ssize_t r;

	tcpx_init();
	if (conn(fd) == NULL)
		return real.writev(fd, iov, cnt);
	memset(&m, 0, sizeof(m));
	m.msg_iov = (struct iovec *)iov;
	m.msg_iovlen = (size_t)cnt;
	r = sendmsg_conn(fd, &m, 0);
	if (r < 0 && errno == ENOTSOCK) {
		fd_forget(fd);
		return real.writev(fd, iov, cnt);
	}
	return r;
}

PRELOAD_EXPORT ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	tcpx_init();
	if (conn(fd) == NULL)
		return real.send(fd, buf, n, flags);
	return send_conn(fd, buf, n, flags);
}

/* sendto/sendmsg(MSG_FASTOPEN) on a socket not connected yet. */
static bool
fastopen_target(int fd, int flags, const struct sockaddr *sa, socklen_t len,
    struct sockaddr_in *sin, struct fd_ent **ep)
{
	struct fd_ent *e;

	if (!(flags & MSG_FASTOPEN) || fd_lookup(fd) == NULL)
		return false;
	e = fd_lookup_checked(fd);
	if (e == NULL || (e->kind != FDK_INET && e->kind != FDK_BOUND))
		return false;
	if (sa_to_sin(sa, len, sin) < 0 || !route_is_ours(sin))
		return false;
	*ep = e;
	return true;
}

PRELOAD_EXPORT ssize_t
sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *sa,
    socklen_t len)
{
	struct sockaddr_in sin;
	struct fd_ent *e;

	tcpx_init();
	if (fastopen_target(fd, flags, sa, len, &sin, &e))
		return connect_fastopen(fd, e, buf, n, flags, &sin);
	if (conn(fd) == NULL)
		return real.sendto(fd, buf, n, flags, sa, len);
	return send_conn(fd, buf, n, flags);
}

PRELOAD_EXPORT ssize_t
sendmsg(int fd, const struct msghdr *mh, int flags)
{
	struct sockaddr_in sin;
	struct fd_ent *e;
	size_t n;

	tcpx_init();
	if (mh != NULL && fastopen_target(fd, flags, mh->msg_name,
	    mh->msg_namelen, &sin, &e)) {
		/* The SYN carries the first buffer; the rest follows once
		 * connected, as the program's next send would. */
		n = mh->msg_iovlen > 0 ? mh->msg_iov[0].iov_len : 0;
		return connect_fastopen(fd, e,
		    n > 0 ? mh->msg_iov[0].iov_base : NULL, n, flags, &sin);
	}
	if (conn(fd) == NULL || mh == NULL)
		return real.sendmsg(fd, mh, flags);
	return sendmsg_conn(fd, mh, flags);
}
