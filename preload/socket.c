/*
 * socket.c - socket(), bind(), getsockname(), getpeername().
 *
 * socket() always returns a real kernel socket; an AF_INET stream socket
 * is watched (FDK_INET) so that a later bind/connect/listen can make it
 * ours.  bind() to the stack's address, or to the wildcard (servers),
 * creates the engine socket at once so that EADDRINUSE and EACCES come
 * from bind() itself, as with Linux; the program's fd stays the kernel
 * socket until listen() or connect().
 */
#include <string.h>

#include "preload.h"

PRELOAD_EXPORT int
socket(int domain, int type, int protocol)
{
	int fd;

	tcpx_init();
	fd = real.socket(domain, type, protocol);
	if (fd < 0)
		return fd;
	if (pconf.enabled && domain == AF_INET &&
	    (type & 0xf) == SOCK_STREAM &&
	    (protocol == 0 || protocol == IPPROTO_TCP))
		(void)fd_track(fd, FDK_INET);
	else
		fd_forget(fd);
	return fd;
}

PRELOAD_EXPORT int
bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	struct sockaddr_in sin;
	struct fd_ent *e;
	bool fresh;
	int rc;

	tcpx_init();
	e = fd_lookup_checked(fd);
	if (e == NULL)
		return real.bind(fd, sa, len);
	if (e->kind != FDK_INET)
		return set_errno(EINVAL);	/* already bound, as Linux */
	if (sa_to_sin(sa, len, &sin) < 0 || !route_bind_is_ours(&sin))
		return real.bind(fd, sa, len);
	fresh = e->sock < 0;
	rc = conv_engine_socket(fd, e);
	if (rc < 0)
		return set_errno(-rc);
	memset(&req, 0, sizeof(req));
	req.op = TCPX_OP_BIND;
	req.sock = e->sock;
	req.u.addr = sin;
	rc = ctl_call(&req, TCPX_CTL_REQ_HDR + sizeof(req.u.addr), &rep, NULL);
	if (rc < 0) {
		if (fresh)
			conv_drop_engine(e);
		return set_errno(-rc);
	}
	e->kind = FDK_BOUND;
	e->bound = sin;
	tcpx_debug("fd %d bound in tcpx as sock %d", fd, e->sock);
	return 0;
}

static int
names(int fd, struct sockaddr *sa, socklen_t *len, bool peer)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	struct fd_ent *e;
	int rc;

	e = fd_lookup_checked(fd);
	if (e == NULL && !peer) {
		/* An AF_UNIX name may be a tcpx listener inherited across
		 * exec; any other answer is the kernel's, as it is. */
		rc = real.getsockname(fd, sa, len);
		if (rc < 0 || sa == NULL || len == NULL ||
		    *len < sizeof(sa_family_t) || sa->sa_family != AF_UNIX ||
		    (e = fd_adopt(fd)) == NULL)
			return rc;
	}
	if (e == NULL || e->kind == FDK_INET)
		return peer ? real.getpeername(fd, sa, len) :
		    real.getsockname(fd, sa, len);
	if (len == NULL || (sa == NULL && *len > 0))
		return set_errno(EFAULT);
	if ((int)*len < 0)
		return set_errno(EINVAL);
	if (e->have_names) {
		sin_copy_out(peer ? &e->peer : &e->local, sa, len);
		return 0;
	}
	memset(&req, 0, TCPX_CTL_REQ_HDR);
	req.op = peer ? TCPX_OP_GETPEERNAME : TCPX_OP_GETSOCKNAME;
	rc = ctl_call_sock(e, &req, TCPX_CTL_REQ_HDR, &rep,
	    e->kind == FDK_BOUND ? -1 : fd);
	if (rc < 0)
		return set_errno(-rc);
	sin_copy_out(&rep.u.addr, sa, len);
	return 0;
}

PRELOAD_EXPORT int
getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	tcpx_init();
	return names(fd, sa, len, false);
}

PRELOAD_EXPORT int
getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	tcpx_init();
	return names(fd, sa, len, true);
}
