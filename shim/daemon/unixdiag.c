/*
 * unixdiag.c - does an AF_UNIX socket still exist?  Asked of the kernel
 * with NETLINK_SOCK_DIAG (UNIX_DIAG), by inode.
 *
 * tcpxd hands the application an fd and keeps no copy, so the only way
 * to learn that every copy is closed (a listener, or a socketpair end
 * whose events tcpxd can no longer watch) is to ask the kernel.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcpxd.h"

/* "Any cookie" (INET_DIAG_NOCOOKIE in linux/inet_diag.h). */
#define UNIXDIAG_NOCOOKIE	(~0U)

/*
 * One NETLINK_SOCK_DIAG socket for the daemon's life: a connection that
 * ends asks once (after its peer's FIN, POLLHUP is ambiguous), and four
 * system calls per question were a tenth of tcpxd's in a connect loop.
 */
static int diag_fd = -1;
static uint32_t diag_seq;

static int
diag_sock(void)
{
	if (diag_fd < 0)
		diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		    NETLINK_SOCK_DIAG);
	return diag_fd < 0 ? -errno : diag_fd;
}

/*
 * Query one socket; *peer gets UNIX_DIAG_PEER (0 if none), *rqueue (if
 * not NULL) UNIX_DIAG_RQLEN's receive queue: for a connected stream
 * socket, the bytes in it not yet read.  1/0/-errno.
 */
static int
diag_query_rq(ino_t ino, uint32_t *peer, uint32_t *rqueue)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} msg;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nlh;
		char buf[8192];
	} rep;
	struct nlmsghdr *h;
	ssize_t n;
	int fd, rc = -EIO;

	*peer = 0;
	if ((fd = diag_sock()) < 0)
		return fd;
	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	msg.nlh.nlmsg_seq = ++diag_seq;
	msg.req.sdiag_family = AF_UNIX;
	msg.req.udiag_states = ~0u;
	msg.req.udiag_ino = (uint32_t)ino;
	msg.req.udiag_show = UDIAG_SHOW_PEER |
	    (rqueue != NULL ? UDIAG_SHOW_RQLEN : 0);
	msg.req.udiag_cookie[0] = UNIXDIAG_NOCOOKIE;
	msg.req.udiag_cookie[1] = UNIXDIAG_NOCOOKIE;
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&nl,
	    sizeof(nl)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, &rep, sizeof(rep), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	for (h = &rep.nlh; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_seq != diag_seq) {
			rc = -EIO;	/* an older answer: out of step */
			break;
		}
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			rc = e->error == -ENOENT ? 0 : e->error;
			break;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			struct unix_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a = (struct rtattr *)(m + 1);
			int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));

			for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
				if (a->rta_type == UNIX_DIAG_PEER)
					memcpy(peer, RTA_DATA(a), 4);
				if (a->rta_type == UNIX_DIAG_RQLEN &&
				    rqueue != NULL) {
					struct unix_diag_rqlen q;

					memcpy(&q, RTA_DATA(a), sizeof(q));
					*rqueue = q.udiag_rqueue;
				}
			}
			rc = 1;
			break;
		}
	}
out:
	if (rc < 0 && rc != -ENOENT) {
		/* Out of step or broken: a fresh socket next time. */
		close(diag_fd);
		diag_fd = -1;
	}
	return rc;
}

static int
diag_query(ino_t ino, uint32_t *peer)
{
	return diag_query_rq(ino, peer, NULL);
}

int
unixdiag_unread(struct tcpxd *d, ino_t ino, uint32_t *bytes)
{
	uint32_t peer, other;
	int rc;

	*bytes = 0;
	if (!d->diag_ok)
		return -ENOTSUP;
	if ((rc = diag_query(ino, &peer)) <= 0 || peer == 0)
		return rc < 0 ? rc : 0;
	return diag_query_rq(peer, &other, bytes);
}

int
unixdiag_alive(struct tcpxd *d, ino_t ino)
{
	uint32_t peer;

	if (!d->diag_ok)
		return -ENOTSUP;
	return diag_query(ino, &peer);
}

int
unixdiag_peer(struct tcpxd *d, ino_t ino, uint32_t *peer)
{
	if (!d->diag_ok)
		return -ENOTSUP;
	return diag_query(ino, peer);
}

int
unixdiag_peer_alive(struct tcpxd *d, ino_t ino)
{
	uint32_t peer;
	int rc;

	if (!d->diag_ok)
		return -ENOTSUP;
	rc = diag_query(ino, &peer);
	if (rc <= 0)
		return rc;
	/* A closed peer keeps its struct sock but loses its inode. */
	return peer != 0;
}

int
unixdiag_init(struct tcpxd *d)
{
	struct stat st;
	uint32_t peer;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	d->diag_ok = false;
	if (fstat(sv[0], &st) == 0 && diag_query(st.st_ino, &peer) == 1 &&
	    peer != 0) {
		close(sv[1]);
		/* The self-test: the peer is gone now, the inode must say so. */
		rc = diag_query(st.st_ino, &peer);
		d->diag_ok = rc == 1 && peer == 0;
	} else {
		close(sv[1]);
	}
	close(sv[0]);
	if (!d->diag_ok)
		logi("sock_diag for AF_UNIX unavailable: closed listeners are "
		    "noticed only when the next connection arrives");
	return 0;
}
