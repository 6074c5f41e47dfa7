/*
 * ctl.c - the process's one control connection to tcpxd.
 *
 * Opened on first need, under ctl_lock (threads share it; a call holds
 * the lock from request to reply, which is short because no request
 * blocks inside tcpxd).  A fork child must not share the parent's
 * connection: the atfork child handler drops it, and a pid check catches
 * children made without fork handlers (clone, vfork).  When nobody
 * answers on the control socket, tcpxd is started (spawn.c).
 *
 * The program may close or dup2() over our fd without knowing it is
 * ours (daemons closing every fd); close.c and dup.c tell us through
 * ctl_fd_gone(), and we reconnect on the next call.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "preload.h"

#define CTL_MIN_FD	900

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tcpx_client client = { .fd = -1 };
static pid_t client_pid;
/* Said once per process: later calls fail quietly with the same errno. */
static int start_failed;
/*
 * Set while this thread holds ctl_lock: the client closes its own fd
 * through close(), whose wrapper must then not take the lock again.
 */
static __thread bool ctl_held;

static void
ctl_lock_take(void)
{
	pthread_mutex_lock(&ctl_lock);
	ctl_held = true;
}

static void
ctl_lock_drop(void)
{
	ctl_held = false;
	pthread_mutex_unlock(&ctl_lock);
}

static int
ctl_open_locked(bool start)
{
	int rc;

	if (client.fd >= 0 && client_pid == getpid())
		return 0;
	if (client.fd >= 0) {
		/* Inherited without our fork handler: not ours to use. */
		real.close(client.fd);
		client.fd = -1;
	}
	if (!pconf.enabled)
		return -ENETUNREACH;
	rc = tcpx_client_open(&client, pconf.c.ifname, CTL_MIN_FD);
	if ((rc == -ECONNREFUSED || rc == -ENOENT) && start) {
		if (start_failed != 0)
			return -start_failed;
		rc = spawn_tcpxd(pconf.c.ifname);
		if (rc < 0) {
			start_failed = -rc;
			return rc;
		}
		rc = tcpx_client_open(&client, pconf.c.ifname, CTL_MIN_FD);
	}
	if (rc < 0) {
		tcpx_debug("control connection to tcpxd (%s): %s",
		    pconf.c.ifname, strerror(-rc));
		if (rc == -EPROTO)
			rc = -ENETUNREACH;
		return rc;
	}
	client_pid = getpid();
	tcpx_debug("connected to tcpxd pid %d (%s)", (int)client.hello.pid,
	    pconf.c.ifname);
	return 0;
}

/* What a request about a socket of a tcpxd that is gone gets. */
static int
ctl_stale(struct fd_ent *e, uint32_t op)
{
	if (op == TCPX_OP_GET_ERROR) {
		if (e->gone_told)
			return 0;
		e->gone_told = true;
		return ECONNRESET;
	}
	return op == TCPX_OP_STATE ? -EBADF : -ENOTCONN;
}

static int
ctl_do(struct tcpx_ctl_req *req, size_t len, struct tcpx_ctl_rep *rep,
    int *fdp, bool start, int fd_in, struct fd_ent *e)
{
	int rc, saved = errno;

	if (fdp != NULL)
		*fdp = -1;
	ctl_lock_take();
	rc = ctl_open_locked(start);
	if (e != NULL && e->daemon != 0 &&
	    (rc < 0 || client.hello.pid != e->daemon))
		rc = ctl_stale(e, req->op);
	else if (rc == 0) {
		rc = tcpx_client_call_fd(&client, req->op, req->sock, req,
		    len, rep, fdp, fd_in);
		/* The connection broke under the call (client closed): the
		 * daemon died, or dropped us.  Ask once more, of whoever
		 * answers now, unless the socket was the old daemon's. */
		if (client.fd < 0 && ctl_open_locked(start) == 0) {
			if (e != NULL && e->daemon != 0 &&
			    client.hello.pid != e->daemon)
				rc = ctl_stale(e, req->op);
			else
				rc = tcpx_client_call_fd(&client, req->op,
				    req->sock, req, len, rep, fdp, fd_in);
		} else if (client.fd < 0 && e != NULL && e->daemon != 0) {
			rc = ctl_stale(e, req->op);
		}
	}
	ctl_lock_drop();
	tcpx_debug("%s sock %d -> %d%s", tcpx_ctl_op_name(req->op), req->sock,
	    rc, fdp != NULL && *fdp >= 0 ? " +fd" : "");
	errno = saved;
	return rc;
}

int
ctl_call(struct tcpx_ctl_req *req, size_t len, struct tcpx_ctl_rep *rep,
    int *fdp)
{
	return ctl_do(req, len, rep, fdp, true, -1, NULL);
}

int
ctl_call_sock(struct fd_ent *e, struct tcpx_ctl_req *req, size_t len,
    struct tcpx_ctl_rep *rep, int fd_in)
{
	req->sock = e->sock;
	return ctl_do(req, len, rep, NULL, false, fd_in, e);
}

pid_t
ctl_daemon_pid(void)
{
	pid_t pid = 0;

	ctl_lock_take();
	if (ctl_open_locked(false) == 0)
		pid = client.hello.pid;
	ctl_lock_drop();
	return pid;
}

int
ctl_simple(uint32_t op, struct fd_ent *e, int fd)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;

	memset(&req, 0, TCPX_CTL_REQ_HDR);
	req.op = op;
	return ctl_call_sock(e, &req, TCPX_CTL_REQ_HDR, &rep, fd);
}

int
ctl_sockopt(uint32_t op, struct fd_ent *e, int fd, int level, int name,
    void *val, socklen_t *len)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	socklen_t n = *len;
	int rc;

	if (n > TCPX_CTL_OPTLEN)
		n = TCPX_CTL_OPTLEN;
	memset(&req, 0, sizeof(req));
	req.op = op;
	req.u.opt.level = level;
	req.u.opt.name = name;
	req.u.opt.len = n;
	if (op == TCPX_OP_SETSOCKOPT && val != NULL)
		memcpy(req.u.opt.val, val, n);
	rc = ctl_call_sock(e, &req, sizeof(req), &rep, fd);
	if (rc >= 0 && op == TCPX_OP_GETSOCKOPT) {
		n = rep.u.opt.len < n ? rep.u.opt.len : n;
		memcpy(val, rep.u.opt.val, n);
		*len = n;
	}
	return rc;
}

void
ctl_fd_gone(int fd)
{
	/* Called from close/dup2 before the fd changes; no lock taken if
	 * it is not ours, which is nearly always. */
	if (ctl_held || fd < 0 ||
	    fd != __atomic_load_n(&client.fd, __ATOMIC_RELAXED))
		return;
	ctl_lock_take();
	if (fd == client.fd) {
		tcpx_debug("program closed the control fd %d; will reconnect",
		    fd);
		client.fd = -1;
	}
	ctl_lock_drop();
}

void
ctl_atfork_prepare(void)
{
	pthread_mutex_lock(&ctl_lock);
}

void
ctl_atfork_parent(void)
{
	pthread_mutex_unlock(&ctl_lock);
}

void
ctl_atfork_child(void)
{
	/* The child opens its own connection when it first needs one:
	 * tcpxd checks credentials per connection, and replies on a shared
	 * socket would go to whichever process reads first. */
	if (client.fd >= 0 && real.close != NULL)
		real.close(client.fd);
	client.fd = -1;
	start_failed = 0;
	pthread_mutex_unlock(&ctl_lock);
}
