/*
 * ctl_client.c - connect to tcpxd, HELLO, numbered calls (ctl_client.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_client.h"

int
tcpx_client_open(struct tcpx_client *c, const char *ifname, int min_fd)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	struct ucred uc;
	socklen_t ulen = sizeof(uc);
	int fd, nfd, rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	fd = tcpx_ctl_connect(ifname);
	if (fd < 0)
		return fd;
	/* Out of the way of programs that expect the lowest free numbers. */
	if (min_fd > fd) {
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
		if (nfd >= 0) {
			close(fd);
			fd = nfd;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ulen) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	c->fd = fd;
	c->peer_pid = uc.pid;
	c->peer_uid = uc.uid;
	memset(&req, 0, sizeof(req));
	rc = tcpx_client_call(c, TCPX_OP_HELLO, -1, &req, TCPX_CTL_REQ_HDR,
	    &rep, NULL);
	if (rc < 0) {
		tcpx_client_close(c);
		return rc;
	}
	c->hello = rep.u.hello;
	/*
	 * Anyone can bind an abstract name: trust only a daemon run by root
	 * or by ourselves.  (Its pid may differ from the socket's SO_PEERCRED
	 * pid, which names the process that called listen(): tcpxd opens
	 * the socket before it daemonises.)
	 */
	if (c->hello.version != TCPX_CTL_VERSION ||
	    (c->peer_uid != 0 && c->peer_uid != geteuid())) {
		tcpx_client_close(c);
		return -EPROTO;
	}
	return 0;
}

void
tcpx_client_close(struct tcpx_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int
tcpx_client_call(struct tcpx_client *c, uint32_t op, int sock,
    struct tcpx_ctl_req *req, size_t reqlen, struct tcpx_ctl_rep *rep,
    int *fdp)
{
	return tcpx_client_call_fd(c, op, sock, req, reqlen, rep, fdp, -1);
}

int
tcpx_client_call_fd(struct tcpx_client *c, uint32_t op, int sock,
    struct tcpx_ctl_req *req, size_t reqlen, struct tcpx_ctl_rep *rep,
    int *fdp, int fd_in)
{
	int rc;

	if (fdp != NULL)
		*fdp = -1;
	if (c->fd < 0)
		return -ENOTCONN;
	req->op = op;
	/* Trace events carry seq 0, so a request never uses it. */
	if (++c->seq == 0)
		c->seq = 1;
	req->seq = c->seq;
	req->sock = sock;
	if (reqlen < TCPX_CTL_REQ_HDR)
		reqlen = TCPX_CTL_REQ_HDR;
	rc = tcpx_ctl_exchange(c->fd, req, reqlen, fd_in, rep, fdp);
	if (rc < 0)
		goto broken;
	return rep->result;
broken:
	/* The daemon is gone or the stream is out of step: start over on
	 * the next call. */
	tcpx_client_close(c);
	return rc;
}
