/*
 * ctl_server.c - the control socket (ctl_proto.h): one SOCK_SEQPACKET
 * connection per process, its credentials taken from SO_PEERCRED when it
 * connects, one reply per request, nothing that blocks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tcpxd.h"

#define CAP_NET_BIND_SERVICE_BIT	10

/* ---- clients ------------------------------------------------------------ */

/* CAP_NET_BIND_SERVICE in the process's effective set (or uid 0). */
static bool
pid_can_bind(pid_t pid, uid_t uid)
{
	char path[64], line[256];
	unsigned long long caps;
	bool found = false, ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return uid == 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			ok = (caps >> CAP_NET_BIND_SERVICE_BIT) & 1;
			found = true;
			break;
		}
	}
	fclose(f);
	return found ? ok : uid == 0;
}

static void
client_free(struct tcpxd *d, struct client *c)
{
	if (c->zombie)
		return;
	logd("client pid %d uid %u: disconnected", (int)c->pid,
	    (unsigned)c->uid);
	bridge_client_gone(d, c);
	watch_close(d, &c->w);
	LIST_REMOVE(c, link);
	d->nclients--;
	c->zombie = true;
	LIST_INSERT_HEAD(&d->clients, c, link);
}

void
ctl_reap(struct tcpxd *d)
{
	struct client *c, *nc;

	for (c = LIST_FIRST(&d->clients); c != NULL; c = nc) {
		nc = LIST_NEXT(c, link);
		if (c->zombie) {
			LIST_REMOVE(c, link);
			free(c);
		}
	}
}

bool
ctl_tracing(const struct tcpxd *d, uint32_t kind)
{
	const struct client *c;

	LIST_FOREACH(c, &d->clients, link)
		if (!c->zombie && (c->trace_mask & kind))
			return true;
	return false;
}

void
ctl_trace_event(struct tcpxd *d, const struct tcpx_ctl_event *ev)
{
	struct tcpx_ctl_rep rep;
	struct client *c;

	memset(&rep, 0, TCPX_CTL_REP_HDR);
	rep.flags = TCPX_REP_EVENT;
	rep.sock = ev->sock;
	memcpy(rep.u.raw, ev, sizeof(*ev));
	/* Best effort: a tracer that does not keep up loses events. */
	LIST_FOREACH(c, &d->clients, link)
		if (!c->zombie && (c->trace_mask & ev->kind))
			(void)send(c->w.fd, &rep, TCPX_CTL_REP_HDR +
			    sizeof(*ev), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* ---- requests ----------------------------------------------------------- */

static int
reply(struct client *c, struct tcpx_ctl_rep *rep, int fd)
{
	int rc;

	if (fd >= 0)
		rep->flags |= TCPX_REP_FD;
	rc = tcpx_ctl_send(c->w.fd, rep, sizeof(*rep), fd);
	if (rc < 0)
		logd("client pid %d: reply lost: %s", (int)c->pid,
		    strerror(-rc));
	return rc;
}

void
ctl_reply_connect(struct client *c, uint32_t seq, int sock, int result,
    int fd)
{
	struct tcpx_ctl_rep rep;

	memset(&rep, 0, sizeof(rep));
	rep.seq = seq;
	rep.sock = sock;
	rep.result = result;
	logd("client pid %d: CONNECT sock %d -> %d (waited)%s", (int)c->pid,
	    sock, result, fd >= 0 ? " +fd" : "");
	(void)reply(c, &rep, fd);
}

/*
 * Does the fd sent with the request stand for socket b?  Holding the fd is
 * what entitles a process to use a socket, as with the kernel (nginx's
 * workers run as nobody on connections accepted from root's listener).
 * A listener is the very AF_UNIX socket tcpxd handed out; a connection is
 * the socket whose peer is tcpxd's end of it.
 */
static bool
fd_proves(struct tcpxd *d, const struct bsock *b, int fd)
{
	struct stat st;
	uint32_t peer = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    b->app_ino == 0)
		return false;
	if (st.st_ino == b->app_ino)
		return true;
	return unixdiag_peer(d, st.st_ino, &peer) == 1 &&
	    (ino_t)peer == b->app_ino;
}

/* The socket named by the request, if this client may use it. */
static struct bsock *
req_sock(struct tcpxd *d, struct client *c, int handle, int *err)
{
	struct bsock *b = bsock_by_handle(d, handle);

	if (b == NULL) {
		*err = -EBADF;
		return NULL;
	}
	if (c->uid != 0 && b->uid != c->uid && !fd_proves(d, b, c->proof_fd)) {
		*err = -EPERM;
		return NULL;
	}
	return b;
}

/* An existing BS_NEW socket, or a new one when handle < 0. */
static struct bsock *
req_sock_or_new(struct tcpxd *d, struct client *c, int handle, int *err,
    bool *created)
{
	struct bsock *b;
	int eid;

	*created = false;
	if (handle >= 0)
		return req_sock(d, c, handle, err);
	eid = tcpx_socket(d->eng);
	if (eid < 0) {
		*err = eid;
		return NULL;
	}
	b = bsock_new(d, eid, BS_NEW, c->uid, c->pid);
	if (b == NULL) {
		tcpx_close(d->eng, eid);
		*err = -ENOMEM;
		return NULL;
	}
	b->owner = c;
	*created = true;
	return b;
}

static void
drop_new(struct tcpxd *d, struct bsock *b)
{
	if (b->eid >= 0)
		tcpx_close(d->eng, b->eid);
	bsock_set_eid(d, b, -1);
	bsock_free(d, b);
}

static void
op_hello(struct tcpxd *d, struct tcpx_ctl_rep *rep)
{
	struct tcpx_ctl_hello *h = &rep->u.hello;

	h->version = TCPX_CTL_VERSION;
	h->pid = (int32_t)getpid();
	h->addr = d->conf.addr;
	h->prefixlen = d->conf.prefixlen;
	h->gateway = d->conf.gateway;
	snprintf(h->ifname, sizeof(h->ifname), "%s", d->conf.ifname);
	h->mtu = d->mtu;
}

static int
op_bind(struct tcpxd *d, struct client *c, const struct tcpx_ctl_req *req,
    struct tcpx_ctl_rep *rep)
{
	struct sockaddr_in sin = req->u.addr;
	struct bsock *b;
	bool created;
	int rc = 0;

	if (sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	if (ntohs(sin.sin_port) != 0 && ntohs(sin.sin_port) < 1024 &&
	    !pid_can_bind(c->pid, c->uid))
		return -EACCES;
	b = req_sock_or_new(d, c, req->sock, &rc, &created);
	if (b == NULL)
		return rc;
	if (b->kind != BS_NEW || b->eid < 0)
		return -EINVAL;
	rc = tcpx_bind(d->eng, b->eid, &sin);
	if (rc < 0) {
		if (created)
			drop_new(d, b);
		return rc;
	}
	rep->sock = b->handle;
	return b->handle;
}

static int
op_listen(struct tcpxd *d, struct client *c, const struct tcpx_ctl_req *req,
    struct tcpx_ctl_rep *rep, int *fdp)
{
	struct bsock *b;
	bool created;
	int rc = 0, fd, backlog = req->u.backlog;

	b = req_sock_or_new(d, c, req->sock, &rc, &created);
	if (b == NULL)
		return rc;
	rep->sock = b->handle;
	if (b->eid < 0)
		return -EINVAL;
	if (b->kind == BS_CONN)
		return -EINVAL;
	rc = tcpx_listen(d->eng, b->eid, backlog);
	if (rc < 0 || b->kind == BS_LISTEN) {
		/* A second listen(2) only changes the backlog. */
		if (rc < 0 && created)
			drop_new(d, b);
		return rc;
	}
	if (backlog < 0)
		backlog = 0;
	fd = listen_make(d, b, backlog, (req->flags & TCPX_LISTEN_CLAIM) != 0);
	if (fd < 0) {
		drop_new(d, b);
		return fd;
	}
	tcpx_getsockname(d->eng, b->eid, &b->local);
	*fdp = fd;
	logd("sock %d: listening on port %u (%s%s)", b->handle,
	    ntohs(b->local.sin_port), b->lname, b->claim ? ", claim" : "");
	return 0;
}

/* SETSOCKOPT on b, as the program's setsockopt(2) would do it. */
static int
set_opt(struct tcpxd *d, struct bsock *b, int level, int name,
    const void *val, socklen_t len)
{
	bridge_note_sockopt(b, level, name, val, len);
	if (b->eid < 0)
		return 0;
	return tcpx_setsockopt(d->eng, b->eid, level, name, val, len);
}

/*
 * The options the program set before the socket was ours, on the socket
 * this CONNECT created.  The kernel took each of them already, so one the
 * engine refuses must not fail a connect Linux would make: logged only.
 */
static void
connect_opts(struct tcpxd *d, struct bsock *b,
    const struct tcpx_ctl_connect *cn)
{
	uint32_t i, n = cn->nopt;

	if (n > TCPX_CTL_CONNECT_OPTS)
		n = TCPX_CTL_CONNECT_OPTS;
	for (i = 0; i < n; i++) {
		const struct tcpx_ctl_optval *o = &cn->opt[i];
		socklen_t len = o->len > TCPX_CTL_CONNECT_OPTLEN ?
		    TCPX_CTL_CONNECT_OPTLEN : o->len;
		int rc = set_opt(d, b, o->level, o->name, o->val, len);

		if (rc < 0)
			logd("sock %d: option %d/%d not carried over: %s",
			    b->handle, o->level, o->name, strerror(-rc));
	}
}

/* *fdp is the program's end; -1 and *waitp when the reply waits. */
static int
op_connect(struct tcpxd *d, struct client *c, const struct tcpx_ctl_req *req,
    struct tcpx_ctl_rep *rep, int *fdp, bool *waitp)
{
	const struct tcpx_ctl_connect *cn = &req->u.conn;
	struct sockaddr_in sin = cn->addr;
	struct bsock *b;
	bool created, wait;
	ssize_t rc = 0;
	int fd, err = 0;

	b = req_sock_or_new(d, c, req->sock, &err, &created);
	if (b == NULL)
		return err;
	rep->sock = b->handle;
	if (b->eid < 0)
		return b->err ? -b->err : -EISCONN;
	if (b->kind == BS_LISTEN)
		return -EISCONN;
	if (created)
		connect_opts(d, b, cn);
	if (req->op == TCPX_OP_SENDTO_FASTOPEN) {
		uint32_t len = cn->len;

		if (len > TCPX_CTL_FASTOPEN_MAX)
			len = TCPX_CTL_FASTOPEN_MAX;
		if (b->kind == BS_CONN)
			return -EISCONN;
		rc = tcpx_sendto_fastopen(d->eng, b->eid, cn->data, len,
		    (req->flags & TCPX_FASTOPEN_BLOCKING) ? 0 : MSG_DONTWAIT,
		    &sin);
		if (rc >= 0)
			rep->u.sent = rc;
	} else {
		if (sin.sin_family != AF_INET) {
			if (created) {
				drop_new(d, b);
				rep->sock = -1;
			}
			return -EAFNOSUPPORT;
		}
		rc = tcpx_connect(d->eng, b->eid, &sin);
		/* EALREADY / EISCONN on a bridged socket: no new fd. */
		if (b->kind == BS_CONN)
			return (int)rc;
	}
	if (rc < 0 && rc != -EINPROGRESS) {
		if (created) {
			drop_new(d, b);
			rep->sock = -1;
		}
		return (int)rc;
	}
	wait = req->op == TCPX_OP_CONNECT && rc == -EINPROGRESS &&
	    (req->flags & TCPX_CONNECT_WAIT);
	fd = bridge_attach_connect(d, b, !wait);
	if (fd < 0) {
		drop_new(d, b);
		rep->sock = -1;
		return fd;
	}
	tcpx_getsockname(d->eng, b->eid, &b->local);
	b->peer = sin;
	if (wait) {
		bridge_connect_wait(d, b, c, req->seq, fd);
		*waitp = true;
		return -EINPROGRESS;
	}
	*fdp = fd;
	return req->op == TCPX_OP_SENDTO_FASTOPEN && rc >= 0 ? (int)rc :
	    -EINPROGRESS;
}

static int
op_sockopt(struct tcpxd *d, struct bsock *b, const struct tcpx_ctl_req *req,
    struct tcpx_ctl_rep *rep)
{
	const struct tcpx_ctl_sockopt *o = &req->u.opt;
	socklen_t len = o->len > TCPX_CTL_OPTLEN ? TCPX_CTL_OPTLEN : o->len;
	int rc;

	if (req->op == TCPX_OP_SETSOCKOPT)
		return set_opt(d, b, o->level, o->name, o->val, len);
	rep->u.opt.level = o->level;
	rep->u.opt.name = o->name;
	if (o->level == SOL_SOCKET && o->name == SO_ERROR) {
		int v = bridge_take_error(d, b);

		len = sizeof(int);
		memcpy(rep->u.opt.val, &v, sizeof(v));
		rep->u.opt.len = len;
		return 0;
	}
	if (b->eid < 0) {
		/* Gone from the engine: answer as a closed socket. */
		memset(rep->u.opt.val, 0, len);
		if (o->level == IPPROTO_TCP && o->name == TCP_INFO && len > 0)
			rep->u.opt.val[0] = TCP_ST_CLOSED;
		rep->u.opt.len = len;
		return 0;
	}
	rc = tcpx_getsockopt(d->eng, b->eid, o->level, o->name,
	    rep->u.opt.val, &len);
	rep->u.opt.len = len;
	return rc;
}

static int
op_name(struct tcpxd *d, struct bsock *b, uint32_t op,
    struct tcpx_ctl_rep *rep)
{
	int rc;

	if (op == TCPX_OP_GETSOCKNAME) {
		if (b->eid >= 0 &&
		    tcpx_getsockname(d->eng, b->eid, &rep->u.addr) == 0)
			return 0;
		rep->u.addr = b->local;
		rep->u.addr.sin_family = AF_INET;
		return 0;
	}
	if (b->eid >= 0) {
		rc = tcpx_getpeername(d->eng, b->eid, &rep->u.addr);
		if (rc == 0 || b->kind != BS_CONN)
			return rc;
	}
	if (b->kind != BS_CONN || b->peer.sin_family != AF_INET)
		return -ENOTCONN;
	rep->u.addr = b->peer;
	return 0;
}

static int
op_close(struct tcpxd *d, struct bsock *b)
{
	if (b->kind == BS_NEW) {
		drop_new(d, b);
		return 0;
	}
	/* Only a hint: the kernel knows whether other fds remain. */
	bridge_check_alive(d, b);
	return 0;
}

static int
op_shutdown(struct tcpxd *d, struct bsock *b, int how)
{
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (b->kind == BS_NEW)
		return -ENOTCONN;
	if (b->eid < 0)
		return b->kind == BS_CONN ? 0 : -ENOTCONN;
	/*
	 * The write half closes through the socketpair (the shim shuts the
	 * app's end too), so the FIN goes after every byte already written.
	 */
	if (b->kind == BS_CONN && how != SHUT_RD)
		how = how == SHUT_RDWR ? SHUT_RD : -1;
	if (how < 0)
		return 0;
	return tcpx_shutdown(d->eng, b->eid, how);
}

static void
handle_request(struct tcpxd *d, struct client *c,
    const struct tcpx_ctl_req *req, size_t len)
{
	struct tcpx_ctl_rep rep;
	struct bsock *b = NULL;
	int rc = 0, fd = -1;
	bool waiting = false;

	memset(&rep, 0, sizeof(rep));
	rep.seq = req->seq;
	rep.sock = req->sock;
	if (len < TCPX_CTL_REQ_HDR) {
		rep.result = -EINVAL;
		reply(c, &rep, -1);
		return;
	}
	tcpx_advance(d->eng, now_us());
	if (ctl_tools_request(d, c, req, len))
		return;
	switch (req->op) {
	case TCPX_OP_HELLO:
		op_hello(d, &rep);
		break;
	case TCPX_OP_SOCKET: {
		bool created;

		b = req_sock_or_new(d, c, -1, &rc, &created);
		if (b != NULL)
			rc = rep.sock = b->handle;
		break;
	}
	case TCPX_OP_BIND:
		rc = op_bind(d, c, req, &rep);
		break;
	case TCPX_OP_LISTEN:
		rc = op_listen(d, c, req, &rep, &fd);
		break;
	case TCPX_OP_CONNECT:
	case TCPX_OP_SENDTO_FASTOPEN:
		rc = op_connect(d, c, req, &rep, &fd, &waiting);
		break;
	default:
		if ((b = req_sock(d, c, req->sock, &rc)) == NULL)
			break;
		switch (req->op) {
		case TCPX_OP_SHUTDOWN:
			rc = op_shutdown(d, b, req->u.how);
			break;
		case TCPX_OP_CLOSE:
			rc = op_close(d, b);
			break;
		case TCPX_OP_SETSOCKOPT:
		case TCPX_OP_GETSOCKOPT:
			rc = op_sockopt(d, b, req, &rep);
			break;
		case TCPX_OP_GETSOCKNAME:
		case TCPX_OP_GETPEERNAME:
			rc = op_name(d, b, req->op, &rep);
			break;
		case TCPX_OP_GET_ERROR:
			rc = bridge_take_error(d, b);
			break;
		case TCPX_OP_STATE:
			rc = b->eid >= 0 ? tcpx_state(d->eng, b->eid) :
			    TCP_ST_CLOSED;
			break;
		case TCPX_OP_POLL:
			rc = b->eid >= 0 ? (int)tcpx_poll(d->eng, b->eid) : 0;
			break;
		default:
			rc = -EOPNOTSUPP;
			break;
		}
	}
	rep.result = rc;
	logd("client pid %d: %s sock %d -> %d%s%s", (int)c->pid,
	    tcpx_ctl_op_name(req->op), req->sock, rc, fd >= 0 ? " +fd" : "",
	    waiting ? " (reply when it resolves)" : "");
	if (!waiting)
		reply(c, &rep, fd);
	if (fd >= 0)
		close(fd);	/* the program holds the only copy now */
	/* Work the request caused (frames, events) goes out now. */
	loop_settle(d);
}

static void
on_client(struct tcpxd *d, struct watch *w, uint32_t events)
{
	struct client *c = (struct client *)((char *)w -
	    offsetof(struct client, w));
	struct tcpx_ctl_req req;
	ssize_t n;
	int proof;

	/*
	 * One request per wakeup.  A program waits for each reply, so a
	 * second read would nearly always say EAGAIN: a system call per
	 * request for nothing.  The watch is level-triggered, so a request
	 * already queued behind this one (threads, a fork) wakes us again,
	 * after the other clients' turn.
	 */
	memset(&req, 0, sizeof(req));	/* past what was sent reads as 0 */
	proof = -1;
	n = tcpx_ctl_recv(w->fd, &req, sizeof(req), &proof);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return;
	if (n <= 0) {
		if (proof >= 0)
			close(proof);
		client_free(d, c);
		return;
	}
	c->proof_fd = proof;
	handle_request(d, c, &req, (size_t)n);
	c->proof_fd = -1;
	if (proof >= 0)
		close(proof);
	(void)events;
}

static void
on_accept(struct tcpxd *d, struct watch *w, uint32_t events)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct client *c;
	int fd, sndbuf = 1 << 20;

	(void)events;
	for (;;) {
		fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				logx("control accept: %s", strerror(errno));
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    sizeof(sndbuf));
		c->w.fd = fd;
		c->w.cb = on_client;
		c->pid = cr.pid;
		c->uid = cr.uid;
		c->gid = cr.gid;
		c->proof_fd = -1;
		c->cap_bind = pid_can_bind(cr.pid, cr.uid);
		if (watch_add(d, &c->w, EPOLLIN) < 0) {
			close(fd);
			free(c);
			continue;
		}
		LIST_INSERT_HEAD(&d->clients, c, link);
		d->nclients++;
		logd("client pid %d uid %u: connected", (int)c->pid,
		    (unsigned)c->uid);
	}
}

/* 0; 1 if another tcpxd already serves the name; -1 with err. */
int
ctl_open(struct tcpxd *d, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	socklen_t len = tcpx_ctl_name(&sun, d->conf.ifname);
	int fd, probe;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
		int e = errno;

		close(fd);
		if (e == EADDRINUSE) {
			probe = tcpx_ctl_connect(d->conf.ifname);
			if (probe >= 0) {
				close(probe);
				return 1;
			}
		}
		snprintf(err, errlen, "control socket @" TCPX_CTL_NAME_FMT
		    ": %s", d->conf.ifname, strerror(e));
		return -1;
	}
	d->ctl.fd = fd;
	d->ctl.cb = on_accept;
	return 0;
}

/*
 * listen(2) after daemonizing: a client's SO_PEERCRED on the control
 * connection carries the pid of the process that called listen, and the
 * shim compares it with the pid HELLO reports.
 */
int
ctl_listen(struct tcpxd *d, char *err, size_t errlen)
{
	if (listen(d->ctl.fd, 128) < 0) {
		snprintf(err, errlen, "listen on the control socket: %s",
		    strerror(errno));
		return -1;
	}
	if (watch_add(d, &d->ctl, EPOLLIN) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
ctl_close_all(struct tcpxd *d)
{
	struct client *c;
	bool again = true;

	/* client_free moves the client to the list's head: restart. */
	while (again) {
		again = false;
		LIST_FOREACH(c, &d->clients, link) {
			if (!c->zombie) {
				client_free(d, c);
				again = true;
				break;
			}
		}
	}
	ctl_reap(d);
	if (d->ctl.fd >= 0) {
		watch_del(d, &d->ctl);
		close(d->ctl.fd);
		d->ctl.fd = -1;
	}
}
