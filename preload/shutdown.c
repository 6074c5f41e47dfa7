/*
 * shutdown.c - shutdown().
 *
 * On a connection the app's end of the socketpair is shut too: SHUT_WR
 * makes tcpxd read EOF after the last byte written, and it sends the FIN
 * then (so nothing written before shutdown() is lost); SHUT_RD makes the
 * program's reads return 0 as Linux's do, and tcpxd is told so that the
 * engine shuts its receive side.  A listener or an fd-less engine socket
 * is the engine's business alone.
 */
#include <string.h>
#include <sys/socket.h>

#include "preload.h"

static int
shutdown_op(struct fd_ent *e, int fd, int how)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;

	memset(&req, 0, sizeof(req));
	req.op = TCPX_OP_SHUTDOWN;
	req.u.how = how;
	return ctl_call_sock(e, &req, TCPX_CTL_REQ_HDR + sizeof(req.u.how),
	    &rep, fd);
}

PRELOAD_EXPORT int
shutdown(int fd, int how)
{
	struct fd_ent *e;
	int rc;

	tcpx_init();
	if (fd_lookup(fd) == NULL || (e = fd_lookup_checked(fd)) == NULL ||
	    e->kind == FDK_INET)
		return real.shutdown(fd, how);
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return set_errno(EINVAL);
	if (e->kind != FDK_CONN) {
		rc = shutdown_op(e, fd, how);
		return rc < 0 ? set_errno(-rc) : 0;
	}
	if (real.shutdown(fd, how) < 0)
		return -1;
	if (how == SHUT_WR)
		return 0;
	rc = shutdown_op(e, fd, how);
	return rc < 0 ? set_errno(-rc) : 0;
}
