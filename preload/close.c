/*
 * close.c - close().
 *
 * Closing a tcpx fd needs nothing from us in the common case: tcpxd sees
 * EOF/POLLHUP on its end once the last copy of the fd is gone (fork,
 * dup), and sends the FIN after the queued data, or a RST if the program
 * left data unread or set SO_LINGER {1, 0}.  The exceptions:
 *
 *  - an engine socket that never got an fd (bound, not yet listening or
 *    connected) lives in tcpxd only: CLOSE frees it;
 *  - a listener: CLOSE makes tcpxd look now, so the port is free for the
 *    next bind() at once rather than at its next sweep;
 *  - SO_LINGER {1, t>0} on a blocking socket: close() waits up to t for
 *    our FIN to be acknowledged (XXX: as on the last close, even when a
 *    fork child still holds a copy: we cannot count the copies);
 *  - our own control fd, closed by a program that closes every fd.
 */
#include <fcntl.h>
#include <poll.h>
#include <time.h>

#include <unistd.h>
#include "preload.h"

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait up to linger seconds for the FIN to be acknowledged. */
static void
linger_wait(struct fd_ent *e, int secs)
{
	uint64_t end = mono_ms() + (uint64_t)secs * 1000;
	int st;

	for (;;) {
		st = ctl_simple(TCPX_OP_STATE, e, -1);
		if (st < 0 || st == TCP_ST_FIN_WAIT_2 ||
		    st == TCP_ST_TIME_WAIT || st == TCP_ST_CLOSED)
			return;
		if (mono_ms() >= end)
			return;
		poll(NULL, 0, 5);
	}
}

PRELOAD_EXPORT int
close(int fd)
{
	struct fd_ent *e, copy;
	int rc, saved, fl;
	bool linger;

	tcpx_init();
	ctl_fd_gone(fd);
	if (fd_lookup(fd) == NULL || (e = fd_lookup_checked(fd)) == NULL)
		return real.close(fd);
	copy = *e;	/* the slot may be reused once the fd is closed */
	linger = copy.kind == FDK_CONN && copy.linger.l_onoff &&
	    copy.linger.l_linger > 0 && (fl = fcntl(fd, F_GETFL)) >= 0 &&
	    !(fl & O_NONBLOCK);
	fd_forget(fd);
	if (linger || copy.kind == FDK_BOUND)
		(void)ctl_simple(TCPX_OP_CLOSE, &copy, -1);
	rc = real.close(fd);
	saved = errno;
	if (linger)
		linger_wait(&copy, copy.linger.l_linger);
	else if (copy.kind == FDK_LISTEN)
		(void)ctl_simple(TCPX_OP_CLOSE, &copy, -1);
	errno = saved;
	return rc;
}
