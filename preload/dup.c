/*
 * dup.c - dup(), dup2(), dup3().
 *
 * The kernel does the real work (both numbers name one open file); we
 * only keep the fd table in step: the new number is the same socket as
 * the old, and whatever the new number was before is gone.  fcntl() is
 * followed for F_DUPFD and F_DUPFD_CLOEXEC only (Python's socket.dup()
 * uses it); its variadic argument is passed on as glibc itself does.
 * Programs built with _FILE_OFFSET_BITS=64 call it as fcntl64.
 */
#include <fcntl.h>
#include <unistd.h>

#include <stdarg.h>

#include "preload.h"

PRELOAD_EXPORT int
dup(int fd)
{
	int n;

	tcpx_init();
	n = real.dup(fd);
	if (n >= 0)
		fd_copy(fd, n);
	return n;
}

PRELOAD_EXPORT int
dup2(int fd, int fd2)
{
	int n;

	tcpx_init();
	if (fd != fd2)
		ctl_fd_gone(fd2);
	n = real.dup2(fd, fd2);
	if (n >= 0 && fd != fd2)
		fd_copy(fd, n);
	return n;
}

PRELOAD_EXPORT int
dup3(int fd, int fd2, int flags)
{
	int n;

	tcpx_init();
	ctl_fd_gone(fd2);
	n = real.dup3(fd, fd2, flags);
	if (n >= 0)
		fd_copy(fd, n);
	return n;
}

static int
fcntl_common(int (*fn)(int, int, ...), int fd, int cmd, void *arg)
{
	int n;

	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
		n = fn(fd, cmd, arg);
		if (n >= 0)
			fd_copy(fd, n);
		return n;
	}
	return fn(fd, cmd, arg);
}

PRELOAD_EXPORT int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	tcpx_init();
	return fcntl_common(real.fcntl, fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...);

PRELOAD_EXPORT int
fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	tcpx_init();
	return fcntl_common(real.fcntl64 != NULL ? real.fcntl64 : real.fcntl,
	    fd, cmd, arg);
}
