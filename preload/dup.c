/*
 * dup.c - dup(), dup2(), dup3().
 *
 * The kernel does the real work (both numbers name one open file); we
 * only keep the fd table in step: the new number is the same socket as
 * the old, and whatever the new number was before is gone.  XXX:
 * fcntl(F_DUPFD) is not followed (fcntl is variadic); such a copy is
 * still a working socket, only without the error reporting of io.c.
 */
#include <fcntl.h>
#include <unistd.h>

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
