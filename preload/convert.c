/*
 * convert.c - turning the program's kernel socket into a tcpx socket.
 *
 * socket() gave the program a real kernel TCP socket, and the options it
 * set since landed there (and were recorded by sockopt.c).  When the
 * socket turns out to be ours (bind to our address, connect to a
 * destination we serve, listen on the wildcard) we ask tcpxd for an
 * engine socket, replay those options on it, and later dup3() tcpxd's
 * fd onto the program's fd number, keeping the file flags the program
 * gave the old one (O_NONBLOCK, FD_CLOEXEC) and its timeouts.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "preload.h"

int
conv_engine_socket(int fd, struct fd_ent *e)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	unsigned i;
	int rc;

	if (e->sock >= 0)
		return 0;
	memset(&req, 0, TCPX_CTL_REQ_HDR);
	req.op = TCPX_OP_SOCKET;
	req.sock = -1;
	rc = ctl_call(&req, TCPX_CTL_REQ_HDR, &rep, NULL);
	if (rc < 0)
		return rc;
	e->sock = rep.sock >= 0 ? rep.sock : rc;
	e->daemon = ctl_daemon_pid();
	for (i = 0; i < e->nopt; i++) {
		struct tcpx_ctl_optval *o = &e->opt[i];
		socklen_t len = o->len;

		rc = ctl_sockopt(TCPX_OP_SETSOCKOPT, e, -1, o->level,
		    o->name, o->val, &len);
		/* The kernel took it; an option the engine does not know
		 * must not fail a connect that Linux would make. */
		if (rc < 0)
			tcpx_debug("fd %d: option %d/%d not carried over: %s",
			    fd, o->level, o->name, strerror(-rc));
	}
	return 0;
}

void
conv_drop_engine(struct fd_ent *e)
{
	if (e->sock >= 0)
		(void)ctl_simple(TCPX_OP_CLOSE, e, -1);
	e->sock = -1;
	e->kind = FDK_INET;
}

int
conv_install(int fd, int newfd, const struct fd_ent *e)
{
	struct timeval rcvto, sndto;
	socklen_t l1 = sizeof(rcvto), l2 = sizeof(sndto);
	int fl, fdfl, err;

	memset(&rcvto, 0, sizeof(rcvto));
	memset(&sndto, 0, sizeof(sndto));
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0) {
		err = errno;
		real.close(newfd);
		return -err;
	}
	/* Two system calls per connect saved when there are none. */
	if (e->timeouts &&
	    real.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcvto, &l1) < 0)
		memset(&rcvto, 0, sizeof(rcvto));
	if (e->timeouts &&
	    real.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sndto, &l2) < 0)
		memset(&sndto, 0, sizeof(sndto));
	if (real.dup3(newfd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		err = errno;
		real.close(newfd);
		return -err;
	}
	real.close(newfd);
	if (fl & O_NONBLOCK)
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (rcvto.tv_sec != 0 || rcvto.tv_usec != 0)
		(void)real.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcvto,
		    sizeof(rcvto));
	if (sndto.tv_sec != 0 || sndto.tv_usec != 0)
		(void)real.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sndto,
		    sizeof(sndto));
	return 0;
}
