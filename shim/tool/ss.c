/*
 * ss.c - `tcpx ss` and `tcpx status`: what tcpxd holds, the way ss(8)
 * shows the kernel's sockets.  Default: every socket but listeners (as
 * ss -t); -l listeners only; -a both; -i TCP details; -o timers;
 * -p the process that made it; -H no header.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl_client.h"
#include "tcpx.h"
#include "tcpx_conf.h"
#include "tool.h"

int
tool_connect(struct tcpx_client *c)
{
	struct tcpx_conf conf;
	char err[512];
	int rc;

	if (tcpx_conf_load(&conf, err, sizeof(err)) < 0 ||
	    tcpx_conf_complete(&conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "tcpx: %s\n", err);
		return -1;
	}
	rc = tcpx_client_open(c, conf.ifname, 0);
	if (rc < 0) {
		fprintf(stderr, "tcpx: no tcpxd answers for %s here (%s); it "
		    "starts with the first program under 'tcpx run', or by "
		    "hand: tcpxd --foreground\n", conf.ifname, strerror(-rc));
		return -1;
	}
	return 0;
}

int
tool_list(struct tcpx_client *c, uint32_t op, struct tcpx_ctl_req *req,
    void (*cb)(void *arg, const struct tcpx_ctl_rep *rep), void *arg)
{
	struct tcpx_ctl_rep rep;
	ssize_t n;
	int rc;

	req->op = op;
	req->seq = ++c->seq;
	req->sock = -1;
	req->flags = 0;
	rc = tcpx_ctl_send(c->fd, req, sizeof(*req), -1);
	if (rc < 0)
		return rc;
	for (;;) {
		n = tcpx_ctl_recv(c->fd, &rep, sizeof(rep), NULL);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ECONNRESET;
		if ((size_t)n < TCPX_CTL_REP_HDR || rep.seq != req->seq)
			continue;
		if (!(rep.flags & TCPX_REP_MORE))
			return rep.result;
		cb(arg, &rep);
	}
}

struct ss_opts {
	int listen, all, info, timers, procs;
	unsigned shown;
};

/* users:(("curl",pid=123,uid=0)) as ss -p prints it. */
static void
print_owner(const struct tcpx_ctl_owner *o)
{
	char path[64], comm[64] = "?";
	FILE *f;

	if (o->pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)o->pid);
	f = fopen(path, "re");
	if (f != NULL) {
		if (fgets(comm, sizeof(comm), f) != NULL)
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	printf(" users:((\"%s\",pid=%d,uid=%u,sock=%d))", comm, (int)o->pid,
	    (unsigned)o->uid, (int)o->handle);
}

static const char *const timer_names[] = {
	[TCPX_TIMER_NONE] = "",
	[TCPX_TIMER_RETRANS] = "on",
	[TCPX_TIMER_KEEPALIVE] = "keepalive",
	[TCPX_TIMER_TIMEWAIT] = "timewait",
	[TCPX_TIMER_PROBE] = "persist",
	[TCPX_TIMER_FINWAIT2] = "timewait",
};

static void
ss_one(void *arg, const struct tcpx_ctl_rep *rep)
{
	struct ss_opts *o = arg;
	struct tcpx_sockinfo si;
	struct tcpx_ctl_owner owner;
	char l[32], r[32], a[INET_ADDRSTRLEN];

	memcpy(&si, rep->u.raw, sizeof(si));
	memcpy(&owner, rep->u.raw + sizeof(si), sizeof(owner));
	if (si.state == TCP_ST_LISTEN ? !(o->listen || o->all) :
	    (o->listen && !o->all))
		return;
	inet_ntop(AF_INET, &si.local.sin_addr, a, sizeof(a));
	snprintf(l, sizeof(l), "%s:%u", a, ntohs(si.local.sin_port));
	if (si.remote.sin_addr.s_addr == 0 && si.remote.sin_port == 0) {
		snprintf(r, sizeof(r), "0.0.0.0:*");
	} else {
		inet_ntop(AF_INET, &si.remote.sin_addr, a, sizeof(a));
		snprintf(r, sizeof(r), "%s:%u", a, ntohs(si.remote.sin_port));
	}
	printf("%-10s %-6u %-6u %-21s %-21s", tcp_state_ss_name(si.state),
	    si.recv_q, si.send_q, l, r);
	if (o->timers && si.timer != TCPX_TIMER_NONE &&
	    si.timer < (int)(sizeof(timer_names) / sizeof(timer_names[0])))
		printf(" timer:(%s,%.3fsec,%u)", timer_names[si.timer],
		    (double)si.timer_expires_us / 1e6, si.retransmits);
	if (o->info && si.state != TCP_ST_LISTEN && si.id >= 0)
		printf("\n\t rto:%.3f rtt:%.3f/%.3f mss:%u cwnd:%u%s%s%s "
		    "bytes_sent:%llu bytes_acked:%llu bytes_received:%llu "
		    "retrans:%u/%u", si.rto_us / 1000.0, si.rtt_us / 1000.0,
		    si.rttvar_us / 1000.0, si.snd_mss, si.snd_cwnd,
		    si.options & TCPX_OPT_TS ? " ts" : "",
		    si.options & TCPX_OPT_SACK ? " sack" : "",
		    si.options & TCPX_OPT_WSCALE ? " wscale" : "",
		    (unsigned long long)si.bytes_sent,
		    (unsigned long long)si.bytes_acked,
		    (unsigned long long)si.bytes_received, si.retransmits,
		    si.total_retrans);
	if (o->procs)
		print_owner(&owner);
	/* Closed by the program but still working (FIN-WAIT, LAST-ACK...);
	 * every TIME-WAIT entry is, so it goes unsaid there. */
	if (si.orphan && si.state != TCP_ST_TIME_WAIT)
		printf(" orphan");
	printf("\n");
	o->shown++;
}

int
cmd_ss(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listening", no_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "info", no_argument, NULL, 'i' },
		{ "options", no_argument, NULL, 'o' },
		{ "processes", no_argument, NULL, 'p' },
		{ "no-header", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ss_opts o = { 0 };
	struct tcpx_client c;
	struct tcpx_ctl_req req;
	int ch, header = 1, rc;

	while ((ch = getopt_long(argc, argv, "laiopHh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': o.listen = 1; break;
		case 'a': o.all = 1; break;
		case 'i': o.info = 1; break;
		case 'o': o.timers = 1; break;
		case 'p': o.procs = 1; break;
		case 'H': header = 0; break;
		case 'h':
			printf("usage: tcpx ss [-laiopH]\n"
			    "  sockets of the tcpx stack, as ss(8) shows the "
			    "kernel's:\n"
			    "  -l listening only  -a all  -i TCP details  "
			    "-o timers  -p processes  -H no header\n");
			return 0;
		default:
			return 2;
		}
	}
	if (tool_connect(&c) < 0)
		return 1;
	if (header)
		printf("%-10s %-6s %-6s %-21s %-21s\n", "State", "Recv-Q",
		    "Send-Q", "Local Address:Port", "Peer Address:Port");
	memset(&req, 0, sizeof(req));
	rc = tool_list(&c, TCPX_OP_SS_LIST, &req, ss_one, &o);
	tcpx_client_close(&c);
	if (rc < 0) {
		fprintf(stderr, "tcpx ss: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}

int
cmd_status(int argc, char **argv)
{
	struct tcpx_client c;
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	int rc;

	if (argc > 1) {
		printf("usage: tcpx status\n  is tcpxd running here, and "
		    "what does it serve\n");
		return strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	if (tool_connect(&c) < 0)
		return 1;
	memset(&req, 0, sizeof(req));
	rc = tcpx_client_call(&c, TCPX_OP_STATUS, -1, &req, TCPX_CTL_REQ_HDR,
	    &rep, NULL);
	if (rc < 0) {
		fprintf(stderr, "tcpx status: %s\n", strerror(-rc));
		return 1;
	}
	inet_ntop(AF_INET, &c.hello.addr, a, sizeof(a));
	inet_ntop(AF_INET, &c.hello.gateway, g, sizeof(g));
	printf("tcpxd pid %d serving %s/%u on %s (gateway %s, mtu %u)\n"
	    "up %.1f s, %u programs connected, %u engine sockets, "
	    "%u with an application fd\n"
	    "link: %llu frames in, %llu out, %llu dropped\n",
	    rep.u.status.pid, a, c.hello.prefixlen, c.hello.ifname,
	    c.hello.gateway.s_addr ? g : "none", c.hello.mtu,
	    rep.u.status.uptime_us / 1e6, rep.u.status.clients - 1,
	    rep.u.status.sockets, rep.u.status.bridged,
	    (unsigned long long)rep.u.status.rx_frames,
	    (unsigned long long)rep.u.status.tx_frames,
	    (unsigned long long)rep.u.status.rx_dropped);
	tcpx_client_close(&c);
	return 0;
}
