/*
 * ctl_tools.c - requests of the tcpx tool: socket listing (ss), counters
 * (nstat), tunables (sysctl), trace subscription and daemon status.
 * Listings answer with one reply per record, flagged TCPX_REP_MORE, and
 * a last reply without it whose result is the record count.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tcpxd.h"

_Static_assert(sizeof(struct tcpx_sockinfo) + sizeof(struct tcpx_ctl_owner) <=
    sizeof(union tcpx_ctl_reply_args), "a sockinfo fits in a reply");

struct ss_ctx {
	struct tcpxd *d;
	struct client *c;
	struct tcpx_ctl_rep *rep;
	int n;
};

/*
 * A listing can outrun the client's socket buffer (100,000 sockets):
 * wait for room, up to a second per reply, rather than lose the end of
 * the listing, which would leave the tool waiting forever.
 */
static void
send_wait(struct client *c, struct tcpx_ctl_rep *rep)
{
	struct pollfd p = { c->w.fd, POLLOUT, 0 };
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (tcpx_ctl_send(c->w.fd, rep, sizeof(*rep), -1) != -EAGAIN)
			return;
		(void)poll(&p, 1, 1000);
	}
}

static void
send_more(struct client *c, struct tcpx_ctl_rep *rep)
{
	rep->flags = TCPX_REP_MORE;
	rep->result = 0;
	send_wait(c, rep);
}

static void
ss_cb(void *arg, const struct tcpx_sockinfo *info)
{
	struct ss_ctx *x = arg;

	struct tcpx_ctl_owner o = { -1, 0, 0 };
	struct bsock *b = info->id >= 0 ? bsock_by_eid(x->d, info->id) : NULL;
	struct tcpx_sockinfo si = *info;
	uint32_t unread;

	if (b != NULL) {
		o.handle = b->handle;
		o.pid = (int32_t)b->pid;
		o.uid = (uint32_t)b->uid;
	}
	/*
	 * The engine's Recv-Q counts what waits in the program's socketpair
	 * as its memory (what the window is made of); ss shows bytes, and
	 * sock_diag has them exactly.
	 */
	if (b != NULL && b->kind == BS_CONN && b->held > 0 &&
	    si.recv_q >= b->held &&
	    unixdiag_unread(x->d, b->app_ino, &unread) == 1)
		si.recv_q = si.recv_q - b->held + unread;
	memset(&x->rep->u, 0, sizeof(x->rep->u));
	memcpy(x->rep->u.raw, &si, sizeof(si));
	memcpy(x->rep->u.raw + sizeof(*info), &o, sizeof(o));
	send_more(x->c, x->rep);
	x->n++;
}

/* Who may change tunables: root, or the user tcpxd runs as. */
static bool
may_admin(const struct client *c)
{
	return c->uid == 0 || c->uid == getuid();
}

int
ctl_tools_request(struct tcpxd *d, struct client *c,
    const struct tcpx_ctl_req *req, size_t len)
{
	struct tcpx_ctl_rep rep;
	struct ss_ctx x;
	const char *name;
	size_t i;
	int rc = 0;

	(void)len;
	memset(&rep, 0, sizeof(rep));
	rep.seq = req->seq;
	rep.sock = -1;
	switch (req->op) {
	case TCPX_OP_SS_LIST:
		x.d = d;
		x.c = c;
		x.rep = &rep;
		x.n = 0;
		/* Recv-Q counts what the programs have not read, as of now. */
		bridge_held_refresh_all(d);
		tcpx_foreach(d->eng, ss_cb, &x);
		rc = x.n;
		break;
	case TCPX_OP_NSTAT:
		for (i = 0; i < tcpx_mib_count(); i++) {
			const struct tcpx_mib_desc *m = tcpx_mib_desc(i);

			memset(&rep.u, 0, sizeof(rep.u));
			snprintf(rep.u.mib.name, sizeof(rep.u.mib.name),
			    "%s:%s", m->group, m->name);
			rep.u.mib.value = tcpx_mib_value(d->eng, i);
			send_more(c, &rep);
		}
		rc = (int)i;
		break;
	case TCPX_OP_SYSCTL_LIST:
		for (i = 0; (name = tcpx_sysctl_name(i)) != NULL; i++) {
			memset(&rep.u, 0, sizeof(rep.u));
			snprintf(rep.u.sysctl.name, sizeof(rep.u.sysctl.name),
			    "%s", name);
			(void)tcpx_sysctl_get(d->eng, name, rep.u.sysctl.value,
			    sizeof(rep.u.sysctl.value));
			send_more(c, &rep);
		}
		rc = (int)i;
		break;
	case TCPX_OP_SYSCTL_GET:
	case TCPX_OP_SYSCTL_SET: {
		char nm[TCPX_CTL_NAMELEN], val[TCPX_CTL_VALLEN];

		memcpy(nm, req->u.sysctl.name, sizeof(nm));
		nm[sizeof(nm) - 1] = '\0';
		if (req->op == TCPX_OP_SYSCTL_SET) {
			memcpy(val, req->u.sysctl.value, sizeof(val));
			val[sizeof(val) - 1] = '\0';
			if (!may_admin(c)) {
				rc = -EPERM;
				break;
			}
			rc = tcpx_sysctl_set(d->eng, nm, val);
			if (rc == 0)
				logi("sysctl %s = %s (set by pid %d)", nm, val,
				    (int)c->pid);
			if (rc < 0)
				break;
		}
		snprintf(rep.u.sysctl.name, sizeof(rep.u.sysctl.name), "%s", nm);
		rc = tcpx_sysctl_get(d->eng, nm, rep.u.sysctl.value,
		    sizeof(rep.u.sysctl.value));
		break;
	}
	case TCPX_OP_TRACE:
		c->trace_mask = req->u.trace_mask;
		rc = 0;
		break;
	case TCPX_OP_STATUS:
		rep.u.status.pid = (int32_t)getpid();
		rep.u.status.clients = d->nclients;
		rep.u.status.sockets = engine_socket_count(d);
		rep.u.status.bridged = d->nbsocks;
		rep.u.status.uptime_us = now_us() - d->start_us;
		rep.u.status.rx_frames = d->rx_frames;
		rep.u.status.tx_frames = d->tx_frames;
		rep.u.status.rx_dropped = d->rx_dropped;
		rep.u.status.tx_dropped = d->tx_dropped;
		rc = 0;
		break;
	default:
		return 0;
	}
	memset(&rep.u, 0, req->op == TCPX_OP_SS_LIST ||
	    req->op == TCPX_OP_NSTAT || req->op == TCPX_OP_SYSCTL_LIST ?
	    sizeof(rep.u) : 0);
	rep.flags = 0;
	rep.result = rc;
	send_wait(c, &rep);
	return 1;
}
