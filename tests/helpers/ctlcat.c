/*
 * ctlcat - a tiny netcat that speaks tcpxd's control protocol directly
 * (no libtcpx.so), for the daemon-level lab tests:
 *
 *   ctlcat IFACE connect A.B.C.D PORT [LINGER]
 *                                       connect, then stdin -> TCP,
 *                                       TCP -> stdout (SHUT_WR at EOF);
 *                                       with LINGER (seconds): SO_LINGER
 *                                       {1, LINGER} and close(2) at
 *                                       stdin's EOF instead, then wait
 *                                       as the shim's close() does and
 *                                       print the state it ended in
 *   ctlcat IFACE listen PORT [BACKLOG [HOLD]]
 *                                       accept one connection (claiming
 *                                       it with a byte, as the shim
 *                                       does; CTLCAT_EAGER=1: the old
 *                                       eager delivery), relay; HOLD > 0:
 *                                       accept nothing for HOLD seconds
 *   ctlcat IFACE status                 sockets / clients / frames
 *   ctlcat IFACE nstat                  "Group:Name value" per counter
 *   ctlcat IFACE ss                     one line per engine socket:
 *                                       state number (enum tcp_state),
 *                                       local, remote
 *
 * It checks what the shim must check: the connect fd is not writable
 * before the handshake resolves, an accepted connection starts with a
 * valid struct tcpx_accept_hdr, and SO_PEERCRED on it names tcpxd.
 * Exit status 0, or 1 with the reason on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_msg.c"	/* the protocol helpers, linked into this binary */
#include "tcpx.h"

static int ctl = -1;
static uint32_t seqno;

static int
call(struct tcpx_ctl_req *req, struct tcpx_ctl_rep *rep, int *fdp)
{
	req->seq = ++seqno;
	return tcpx_ctl_call(ctl, req, sizeof(*req), rep, fdp);
}

static int
simple(uint32_t op, int sock)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.sock = sock;
	return call(&req, &rep, NULL);
}

static void
die(const char *what, int err)
{
	fprintf(stderr, "ctlcat: %s: %s\n", what, strerror(err));
	exit(1);
}

/* stdin -> fd, fd -> stdout, until fd reaches EOF. */
static void
relay(int fd, int sock)
{
	struct pollfd p[2];
	char buf[65536];
	bool in_open = true;
	ssize_t n;
	int err;

	for (;;) {
		p[0].fd = in_open ? 0 : -1;
		p[0].events = POLLIN;
		p[1].fd = fd;
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll", errno);
		}
		if (p[0].revents) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				in_open = false;
				shutdown(fd, SHUT_WR);
			} else {
				char *q = buf;

				while (n > 0) {
					ssize_t w = write(fd, q, (size_t)n);

					if (w < 0)
						die("write to the connection",
						    errno);
					q += w;
					n -= w;
				}
			}
		}
		if (p[1].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n < 0)
				die("read from the connection", errno);
			if (n == 0)
				break;
			if (write(1, buf, (size_t)n) != n)
				die("write to stdout", errno);
		}
	}
	err = simple(TCPX_OP_GET_ERROR, sock);
	if (err > 0)
		die("connection", err);
}

/* SO_LINGER {1, secs}; close at stdin EOF; wait like the shim. */
static int
linger_close(int fd, int sock, int secs)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	char buf[65536];
	ssize_t n;
	int st, i;

	memset(&req, 0, sizeof(req));
	req.op = TCPX_OP_SETSOCKOPT;
	req.sock = sock;
	req.u.opt.level = SOL_SOCKET;
	req.u.opt.name = SO_LINGER;
	req.u.opt.len = sizeof(struct linger);
	memcpy(req.u.opt.val, &(struct linger){ 1, secs },
	    sizeof(struct linger));
	if (call(&req, &rep, NULL) < 0)
		die("SO_LINGER", EPROTO);
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			die("write to the connection", errno);
	close(fd);
	(void)simple(TCPX_OP_CLOSE, sock);
	st = -1;
	for (i = 0; i < (secs + 1) * 200; i++) {
		/* Done once our FIN is acknowledged (or the socket gone). */
		st = simple(TCPX_OP_STATE, sock);
		if (st < 0 || st == TCP_ST_FIN_WAIT_2 ||
		    st == TCP_ST_TIME_WAIT || st == TCP_ST_CLOSED)
			break;
		usleep(5000);
	}
	printf("%d\n", st);
	return 0;
}

static int
do_connect(const char *addr, const char *port, int linger)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	struct pollfd p;
	int fd, rc;

	memset(&req, 0, sizeof(req));
	req.op = TCPX_OP_CONNECT;
	req.sock = -1;
	req.u.addr.sin_family = AF_INET;
	req.u.addr.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &req.u.addr.sin_addr) != 1)
		die("address", EINVAL);
	rc = call(&req, &rep, &fd);
	if (rc != -EINPROGRESS || fd < 0)
		die("connect", rc < 0 ? -rc : EPROTO);
	/* Not writable before the handshake resolves (the filler). */
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, 0) != 0 && simple(TCPX_OP_STATE, rep.sock) ==
	    TCP_ST_SYN_SENT) {
		fprintf(stderr, "ctlcat: fd writable while SYN-SENT\n");
		exit(1);
	}
	if (poll(&p, 1, 30000) != 1)
		die("connect: no POLLOUT in 30 s", ETIMEDOUT);
	rc = simple(TCPX_OP_GET_ERROR, rep.sock);
	if (rc != 0)
		die("connect", rc > 0 ? rc : -rc);
	if (linger >= 0)
		return linger_close(fd, rep.sock, linger);
	relay(fd, rep.sock);
	return 0;
}

static int
do_listen(const char *port, pid_t tcpxd, int backlog, int hold, bool eager)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	struct tcpx_accept_hdr h;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char a[INET_ADDRSTRLEN];
	int lfd, fd, rc;

	memset(&req, 0, sizeof(req));
	req.op = TCPX_OP_BIND;
	req.sock = -1;
	req.u.addr.sin_family = AF_INET;
	req.u.addr.sin_port = htons((uint16_t)atoi(port));
	rc = call(&req, &rep, NULL);
	if (rc < 0)
		die("bind", -rc);
	memset(&req, 0, sizeof(req));
	req.op = TCPX_OP_LISTEN;
	req.sock = rc;
	req.flags = eager ? 0 : TCPX_LISTEN_CLAIM;
	req.u.backlog = backlog;
	rc = call(&req, &rep, &lfd);
	if (rc < 0 || lfd < 0)
		die("listen", rc < 0 ? -rc : EPROTO);
	fprintf(stderr, "ctlcat: listening on port %s\n", port);
	if (hold > 0) {
		/* Accept nothing: the queue fills as the backlog allows. */
		sleep((unsigned)hold);
		return 0;
	}
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept", errno);
		/* Claim it: tcpxd answers with the header (or EOF: again). */
		if (!eager && write(fd, "", 1) != 1)
			die("claim", errno);
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		die("SO_PEERCRED", errno);
	if (cr.pid != tcpxd) {
		fprintf(stderr, "ctlcat: connection delivered by pid %d, "
		    "tcpxd is %d\n", (int)cr.pid, (int)tcpxd);
		exit(1);
	}
	if (recv(fd, &h, sizeof(h), MSG_WAITALL) != (ssize_t)sizeof(h) ||
	    h.magic != TCPX_ACCEPT_MAGIC) {
		fprintf(stderr, "ctlcat: bad accept header\n");
		exit(1);
	}
	inet_ntop(AF_INET, &h.peer.sin_addr, a, sizeof(a));
	fprintf(stderr, "ctlcat: accepted %s:%u (sock %d)\n", a,
	    ntohs(h.peer.sin_port), h.sock);
	close(lfd);
	relay(fd, h.sock);
	return 0;
}

static int
do_list(uint32_t op)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.seq = ++seqno;
	if (tcpx_ctl_send(ctl, &req, sizeof(req), -1) < 0)
		die("send", errno);
	for (;;) {
		n = tcpx_ctl_recv(ctl, &rep, sizeof(rep), NULL);
		if (n <= 0)
			die("recv", n < 0 ? (int)-n : ECONNRESET);
		if (rep.seq != req.seq)
			continue;
		if (!(rep.flags & TCPX_REP_MORE))
			break;
		if (op == TCPX_OP_SS_LIST) {
			struct tcpx_sockinfo si;
			char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

			memcpy(&si, rep.u.raw, sizeof(si));
			inet_ntop(AF_INET, &si.local.sin_addr, l, sizeof(l));
			inet_ntop(AF_INET, &si.remote.sin_addr, r, sizeof(r));
			printf("%d %s:%u %s:%u\n", si.state,
			    l, ntohs(si.local.sin_port), r,
			    ntohs(si.remote.sin_port));
		} else if (op == TCPX_OP_NSTAT) {
			printf("%s %llu\n", rep.u.mib.name,
			    (unsigned long long)rep.u.mib.value);
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: ctlcat IFACE connect ADDR PORT | "
		    "listen PORT | status | ss\n");
		return 2;
	}
	ctl = tcpx_ctl_connect(argv[1]);
	if (ctl < 0)
		die("connecting to tcpxd", -ctl);
	memset(&req, 0, sizeof(req));
	req.op = TCPX_OP_HELLO;
	rc = call(&req, &rep, NULL);
	if (rc < 0 || rep.u.hello.version != TCPX_CTL_VERSION)
		die("hello", rc < 0 ? -rc : EPROTO);
	if (strcmp(argv[2], "connect") == 0 && (argc == 5 || argc == 6))
		return do_connect(argv[3], argv[4], argc == 6 ? atoi(argv[5]) :
		    -1);
	if (strcmp(argv[2], "listen") == 0 && argc >= 4 && argc <= 6)
		return do_listen(argv[3], rep.u.hello.pid,
		    argc >= 5 ? atoi(argv[4]) : 16,
		    argc >= 6 ? atoi(argv[5]) : 0,
		    getenv("CTLCAT_EAGER") != NULL);
	if (strcmp(argv[2], "ss") == 0)
		return do_list(TCPX_OP_SS_LIST);
	if (strcmp(argv[2], "nstat") == 0)
		return do_list(TCPX_OP_NSTAT);
	if (strcmp(argv[2], "status") == 0) {
		memset(&req, 0, sizeof(req));
		req.op = TCPX_OP_STATUS;
		if (call(&req, &rep, NULL) < 0)
			die("status", EPROTO);
		printf("pid %d clients %u sockets %u bridged %u rx %llu tx "
		    "%llu dropped %llu\n", rep.u.status.pid,
		    rep.u.status.clients, rep.u.status.sockets,
		    rep.u.status.bridged,
		    (unsigned long long)rep.u.status.rx_frames,
		    (unsigned long long)rep.u.status.tx_frames,
		    (unsigned long long)rep.u.status.rx_dropped);
		return 0;
	}
	fprintf(stderr, "ctlcat: bad arguments\n");
	return 2;
}
