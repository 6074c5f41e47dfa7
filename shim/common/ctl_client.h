/*
 * ctl_client.h - a client of tcpxd's control socket: connect, HELLO,
 * check that the peer is the daemon it says it is, then numbered calls.
 * Used by libtcpx.so (one per process) and the tcpx tool.  libc only.
 */
#ifndef TCPX_CTL_CLIENT_H
#define TCPX_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_proto.h"

struct tcpx_client {
	int fd;				/* -1 when closed */
	uint32_t seq;
	struct tcpx_ctl_hello hello;	/* tcpxd's answer to HELLO */
	pid_t peer_pid;			/* SO_PEERCRED of the control socket */
	uid_t peer_uid;
};

/*
 * Connect to the tcpxd serving ifname and exchange HELLO.  Returns 0, or
 * -errno: -ECONNREFUSED when no tcpxd listens (abstract name unbound),
 * -EPROTO when the peer speaks another version or is run by a user
 * other than root or ourselves (SO_PEERCRED).  The fd is moved to a high number
 * (>= min_fd, when possible) and is O_CLOEXEC.
 */
int tcpx_client_open(struct tcpx_client *c, const char *ifname, int min_fd);
void tcpx_client_close(struct tcpx_client *c);
/* Fill req's header (op, fresh seq, sock; flags are the caller's), send,
 * wait for the reply.
 * Returns rep->result or -errno for a transport failure (then the
 * connection is closed). */
int tcpx_client_call(struct tcpx_client *c, uint32_t op, int sock,
    struct tcpx_ctl_req *req, size_t reqlen, struct tcpx_ctl_rep *rep,
    int *fdp);
/*
 * Same, sending fd_in (>= 0) with the request as SCM_RIGHTS: the
 * application's fd for the socket, which proves that the caller holds it
 * (a forked worker running as another user, as with the kernel, may use
 * any socket it holds).
 */
int tcpx_client_call_fd(struct tcpx_client *c, uint32_t op, int sock,
    struct tcpx_ctl_req *req, size_t reqlen, struct tcpx_ctl_rep *rep,
    int *fdp, int fd_in);

#endif /* TCPX_CTL_CLIENT_H */
