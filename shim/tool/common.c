/*
 * common.c - what every subcommand of the tcpx tool shares: reaching
 * the tcpxd of the configured interface, listing requests, and
 * `tcpx status`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_client.h"
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

/* JSON string body: quotes, backslashes and control bytes escaped. */
void
tool_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
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
