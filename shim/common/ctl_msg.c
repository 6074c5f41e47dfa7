/*
 * ctl_msg.c - control-protocol plumbing shared by tcpxd, the tcpx tool
 * and libtcpx.so: abstract socket names, one-datagram send/receive with
 * an optional SCM_RIGHTS fd, and a blocking request/reply call.
 *
 * libc only (no libbsd, no pcap): libtcpx.so links this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"

socklen_t
tcpx_abstract_addr(struct sockaddr_un *sun, const char *name)
{
	size_t n = strlen(name);

	if (n > sizeof(sun->sun_path) - 1)
		n = sizeof(sun->sun_path) - 1;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

socklen_t
tcpx_ctl_name(struct sockaddr_un *sun, const char *ifname)
{
	char name[sizeof(sun->sun_path)];

	snprintf(name, sizeof(name), TCPX_CTL_NAME_FMT, ifname);
	return tcpx_abstract_addr(sun, name);
}

int
tcpx_ctl_connect(const char *ifname)
{
	struct sockaddr_un sun;
	socklen_t len = tcpx_ctl_name(&sun, ifname);
	int fd, err;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, len) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int
tcpx_ctl_send(int sock, const void *msg, size_t len, int fd)
{
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (fd >= 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

ssize_t
tcpx_ctl_recv(int sock, void *buf, size_t len, int *fdp)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;
	int fd = -1;

	if (fdp != NULL)
		*fdp = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t i, nfd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			/* Keep the first; an unexpected extra fd must not leak. */
			if (fd < 0 && fdp != NULL)
				fd = f;
			else
				close(f);
		}
	}
	if (fdp != NULL)
		*fdp = fd;
	return n;
}

int
tcpx_ctl_exchange(int sock, struct tcpx_ctl_req *req, size_t reqlen,
    int fd_in, struct tcpx_ctl_rep *rep, int *fdp)
{
	ssize_t n;
	int rc, fd;

	if (fdp != NULL)
		*fdp = -1;
	rc = tcpx_ctl_send(sock, req, reqlen, fd_in);
	if (rc < 0)
		return rc;
	for (;;) {
		n = tcpx_ctl_recv(sock, rep, sizeof(*rep), &fd);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ECONNRESET;
		if ((size_t)n >= TCPX_CTL_REP_HDR && rep->seq == req->seq &&
		    !(rep->flags & TCPX_REP_EVENT))
			break;
		/* A trace event or a stale reply: not ours. */
		if (fd >= 0)
			close(fd);
	}
	if (fdp != NULL)
		*fdp = fd;
	else if (fd >= 0)
		close(fd);
	return 0;
}

int
tcpx_ctl_call(int sock, struct tcpx_ctl_req *req, size_t reqlen,
    struct tcpx_ctl_rep *rep, int *fdp)
{
	int rc = tcpx_ctl_exchange(sock, req, reqlen, -1, rep, fdp);

	return rc < 0 ? rc : rep->result;
}

const char *
tcpx_ctl_op_name(uint32_t op)
{
	static const char *const names[] = {
		[TCPX_OP_HELLO] = "HELLO",
		[TCPX_OP_SOCKET] = "SOCKET",
		[TCPX_OP_BIND] = "BIND",
		[TCPX_OP_LISTEN] = "LISTEN",
		[TCPX_OP_CONNECT] = "CONNECT",
		[TCPX_OP_SENDTO_FASTOPEN] = "SENDTO_FASTOPEN",
		[TCPX_OP_SHUTDOWN] = "SHUTDOWN",
		[TCPX_OP_CLOSE] = "CLOSE",
		[TCPX_OP_SETSOCKOPT] = "SETSOCKOPT",
		[TCPX_OP_GETSOCKOPT] = "GETSOCKOPT",
		[TCPX_OP_GETSOCKNAME] = "GETSOCKNAME",
		[TCPX_OP_GETPEERNAME] = "GETPEERNAME",
		[TCPX_OP_GET_ERROR] = "GET_ERROR",
		[TCPX_OP_STATE] = "STATE",
		[TCPX_OP_POLL] = "POLL",
		[TCPX_OP_SS_LIST] = "SS_LIST",
		[TCPX_OP_NSTAT] = "NSTAT",
		[TCPX_OP_SYSCTL_GET] = "SYSCTL_GET",
		[TCPX_OP_SYSCTL_SET] = "SYSCTL_SET",
		[TCPX_OP_SYSCTL_LIST] = "SYSCTL_LIST",
		[TCPX_OP_TRACE] = "TRACE",
		[TCPX_OP_STATUS] = "STATUS",
	};

	if (op < sizeof(names) / sizeof(names[0]) && names[op] != NULL)
		return names[op];
	return "?";
}
