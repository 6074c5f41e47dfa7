/*
 * sockopt.c - setsockopt(), getsockopt().
 *
 * On a kernel socket that may still become ours (FDK_INET) the option
 * goes to the kernel, and is recorded when the kernel accepts it, to be
 * replayed on the engine socket (convert.c).  On a tcpx socket the TCP
 * and socket-level options go to tcpxd, except those about the fd itself
 * (timeouts, which the kernel enforces on the AF_UNIX fd) and the
 * constant answers (type, domain, protocol).  SO_ERROR is tcpxd's
 * read-and-clear pending error.
 */
#include <netinet/tcp.h>
#include <string.h>

#include "preload.h"

/* Options that belong to the fd, not to the TCP connection. */
static bool
fd_level_opt(int level, int name)
{
	return level == SOL_SOCKET && (name == SO_RCVTIMEO_OLD ||
	    name == SO_SNDTIMEO_OLD || name == SO_RCVTIMEO_NEW ||
	    name == SO_SNDTIMEO_NEW);
}

/* The fd that proves we hold the socket: only tcpxd's own fds prove it. */
static int
proof(const struct fd_ent *e, int fd)
{
	return e->kind == FDK_CONN || e->kind == FDK_LISTEN ? fd : -1;
}

PRELOAD_EXPORT int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct fd_ent *e;
	socklen_t l = len;
	int rc;

	tcpx_init();
	if (fd_lookup(fd) == NULL || (e = fd_lookup_checked(fd)) == NULL)
		return real.setsockopt(fd, level, name, val, len);
	if (e->kind == FDK_INET || fd_level_opt(level, name)) {
		rc = real.setsockopt(fd, level, name, val, len);
		if (rc == 0 && fd_level_opt(level, name))
			e->timeouts = true;
		if (rc == 0 && e->kind == FDK_INET && !fd_level_opt(level, name))
			fd_record_opt(e, level, name, val, len);
		if (rc == 0 && level == SOL_SOCKET && name == SO_LINGER &&
		    len >= sizeof(struct linger))
			memcpy(&e->linger, val, sizeof(struct linger));
		return rc;
	}
	if (val == NULL && len > 0)
		return set_errno(EFAULT);
	if (level == SOL_SOCKET && name == SO_LINGER &&
	    len >= sizeof(struct linger))
		memcpy(&e->linger, val, sizeof(struct linger));
	rc = ctl_sockopt(TCPX_OP_SETSOCKOPT, e, proof(e, fd), level,
	    name, (void *)val, &l);
	if (rc < 0)
		return set_errno(-rc);
	return 0;
}

static int
put_int(void *val, socklen_t *len, int v)
{
	if (val == NULL || len == NULL)
		return set_errno(EFAULT);
	if ((int)*len < 0)
		return set_errno(EINVAL);
	if (*len >= sizeof(int)) {
		memcpy(val, &v, sizeof(int));
		*len = sizeof(int);
	} else if (*len > 0) {
		/* Linux copies a short buffer's worth (sock_getsockopt). */
		memcpy(val, &v, *len);
	}
	return 0;
}

PRELOAD_EXPORT int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct fd_ent *e;
	int rc;

	tcpx_init();
	if (fd_lookup(fd) == NULL || (e = fd_lookup_checked(fd)) == NULL ||
	    e->kind == FDK_INET || fd_level_opt(level, name))
		return real.getsockopt(fd, level, name, val, len);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR:
			/* The usual check after a non-blocking connect and
			 * POLLOUT: the fd itself can say "connected". */
			if (e->kind == FDK_CONN && e->connecting &&
			    connect_seen_done(fd))
				return put_int(val, len, 0);
			rc = ctl_simple(TCPX_OP_GET_ERROR, e, proof(e, fd));
			return put_int(val, len, rc < 0 ? 0 : rc);
		case SO_TYPE:
			return put_int(val, len, SOCK_STREAM);
		case SO_DOMAIN:
			return put_int(val, len, AF_INET);
		case SO_PROTOCOL:
			return put_int(val, len, IPPROTO_TCP);
		case SO_ACCEPTCONN:
			return put_int(val, len, e->kind == FDK_LISTEN);
		default:
			break;
		}
	}
	if (val == NULL || len == NULL)
		return set_errno(EFAULT);
	if ((int)*len < 0)
		return set_errno(EINVAL);
	rc = ctl_sockopt(TCPX_OP_GETSOCKOPT, e, proof(e, fd), level,
	    name, val, len);
	if (rc < 0)
		return set_errno(-rc);
	return 0;
}
