/*
 * tcpx-selftest - two tcpx engines joined in memory, a client fetching
 * from a server, traced the way tcpdump and the state machine see it:
 * the three-way handshake, a request and its answer, the four-way close,
 * TIME-WAIT and its expiry 60 s later.  Needs no network, no privilege;
 * the clock is simulated, so the minute of TIME-WAIT passes at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segfmt.h"
#include "tcpx.h"

#define HOP_US		500	/* one-way delay between the engines */
#define MAX_QUEUE	256

struct frame {
	uint64_t at;
	int to;			/* 0: client, 1: server */
	size_t len;
	uint8_t data[2048];
};

struct world {
	struct tcpx_engine *eng[2];
	const char *name[2];
	uint64_t now;
	struct frame q[MAX_QUEUE];
	int nq;
	struct segfmt fmt;
};

static struct world W;

static void
on_output(void *ctx, const uint8_t *frame, size_t len)
{
	int from = *(int *)ctx;
	struct frame *f;

	if (W.nq == MAX_QUEUE || len > sizeof(f->data)) {
		fprintf(stderr, "selftest: frame dropped (queue full)\n");
		return;
	}
	f = &W.q[W.nq++];
	f->at = W.now + HOP_US;
	f->to = !from;
	f->len = len;
	memcpy(f->data, frame, len);
}

static void
on_trace_seg(void *ctx, int dir, const uint8_t *ip, size_t len, uint64_t now)
{
	char line[512];

	/* Print each segment once, as it leaves its sender. */
	if (dir != TCPX_DIR_OUT || segfmt_tcp(&W.fmt, ip, len, line,
	    sizeof(line)) < 0)
		return;
	printf("%4lu.%06lu %s\n", (unsigned long)(now / 1000000),
	    (unsigned long)(now % 1000000), line);
}

static void
on_trace_state(void *ctx, int sock, const struct sockaddr_in *l,
    const struct sockaddr_in *r, int from, int to, const char *cause,
    uint64_t now)
{
	int side = *(int *)ctx;

	printf("%11s %s: %s -> %s (%s)\n", "", W.name[side],
	    tcp_state_name(from), tcp_state_name(to), cause);
}

/* Deliver queued frames and fire timers until `until` or nothing is left. */
static void
run(uint64_t until)
{
	for (;;) {
		uint64_t next = until;
		int fi = -1;

		for (int i = 0; i < W.nq; i++)
			if (W.q[i].at <= next) {
				next = W.q[i].at;
				fi = i;
			}
		for (int s = 0; s < 2; s++) {
			uint64_t d = tcpx_next_deadline(W.eng[s]);

			if (d < next) {
				next = d;
				fi = -1;
			}
		}
		if (next >= until && fi < 0) {
			W.now = until;
			tcpx_advance(W.eng[0], W.now);
			tcpx_advance(W.eng[1], W.now);
			return;
		}
		W.now = next;
		if (fi >= 0) {
			struct frame f = W.q[fi];

			memmove(&W.q[fi], &W.q[fi + 1],
			    (size_t)(W.nq - fi - 1) * sizeof(W.q[0]));
			W.nq--;
			tcpx_input(W.eng[f.to], f.data, f.len, W.now);
		} else {
			tcpx_advance(W.eng[0], W.now);
			tcpx_advance(W.eng[1], W.now);
		}
	}
}

static void
die(const char *what, int err)
{
	fprintf(stderr, "tcpx-selftest: %s: %s\n", what, strerror(-err));
	exit(1);
}

static void
ss_line(void *arg, const struct tcpx_sockinfo *si)
{
	char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &si->local.sin_addr, l, sizeof(l));
	inet_ntop(AF_INET, &si->remote.sin_addr, r, sizeof(r));
	printf("  %-10s %6u %6u %15s:%-5u %15s:%-5u", tcp_state_ss_name(si->state),
	    si->recv_q, si->send_q, l, ntohs(si->local.sin_port), r,
	    ntohs(si->remote.sin_port));
	if (si->timer == TCPX_TIMER_TIMEWAIT)
		printf("  timer:(timewait,%.1fsec,0)",
		    (double)si->timer_expires_us / 1e6);
	printf("\n");
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: tcpx-selftest [-h]\n"
	    "Runs a client and a server tcpx engine joined in memory and\n"
	    "prints every segment (tcpdump style) and state change of a\n"
	    "request/response exchange, its close, and TIME-WAIT.\n");
}

int
main(int argc, char **argv)
{
	static int side[2] = { 0, 1 };
	struct tcpx_config cfg[2];
	struct tcpx_ops ops[2];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[256];
	const char *req = "GET / HTTP/1.0\r\n\r\n";
	const char *resp = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";
	int c, ls, cs, as, rc;
	ssize_t n;

	while ((c = getopt(argc, argv, "h")) != -1) {
		usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	W.name[0] = "client";
	W.name[1] = "server";
	for (int s = 0; s < 2; s++) {
		memset(&cfg[s], 0, sizeof(cfg[s]));
		cfg[s].link = TCPX_LINK_RAWIP;
		inet_pton(AF_INET, s == 0 ? "10.77.0.2" : "10.77.0.1",
		    &cfg[s].addr);
		cfg[s].prefixlen = 24;
		for (int i = 0; i < 32; i++)
			cfg[s].secret[i] = (uint8_t)(i * 7 + s);
		memset(&ops[s], 0, sizeof(ops[s]));
		ops[s].ctx = &side[s];
		ops[s].output = on_output;
		ops[s].trace_seg = on_trace_seg;
		ops[s].trace_state = on_trace_state;
		if ((W.eng[s] = tcpx_engine_new(&cfg[s], &ops[s], 0)) == NULL)
			die("engine", -ENOMEM);
	}

	printf("tcpx self-test: a client (10.77.0.2) and a server "
	    "(10.77.0.1:80),\ntwo tcpx engines joined in memory with a %d us "
	    "hop; simulated clock.\n\n", HOP_US);

	ls = tcpx_socket(W.eng[1]);
	sin.sin_port = htons(80);
	if ((rc = tcpx_bind(W.eng[1], ls, &sin)) < 0)
		die("bind", rc);
	if ((rc = tcpx_listen(W.eng[1], ls, 128)) < 0)
		die("listen", rc);

	cs = tcpx_socket(W.eng[0]);
	inet_pton(AF_INET, "10.77.0.1", &sin.sin_addr);
	rc = tcpx_connect(W.eng[0], cs, &sin);
	if (rc < 0 && rc != -EINPROGRESS)
		die("connect", rc);
	run(W.now + 10000);
	if ((as = tcpx_accept(W.eng[1], ls, NULL)) < 0)
		die("accept", as);

	if ((n = tcpx_send(W.eng[0], cs, req, strlen(req), 0)) < 0)
		die("send", (int)n);
	run(W.now + 10000);
	if ((n = tcpx_recv(W.eng[1], as, buf, sizeof(buf), 0)) < 0)
		die("server recv", (int)n);
	if ((n = tcpx_send(W.eng[1], as, resp, strlen(resp), 0)) < 0)
		die("server send", (int)n);
	run(W.now + 300000);	/* let the client's delayed ACK go out */
	if ((n = tcpx_recv(W.eng[0], cs, buf, sizeof(buf) - 1, 0)) < 0)
		die("client recv", (int)n);
	buf[n] = '\0';
	printf("%11s client read %zd bytes: \"%.15s...\"\n", "", n, buf);

	/* The client closes first, as curl does; then the server. */
	tcpx_close(W.eng[0], cs);
	run(W.now + 10000);
	tcpx_close(W.eng[1], as);
	run(W.now + 10000);

	printf("\nclient sockets (ss -tano style):\n");
	tcpx_foreach(W.eng[0], ss_line, NULL);
	printf("\n... 60 s of TIME-WAIT (Linux's TCP_TIMEWAIT_LEN) pass ...\n\n");
	run(W.now + 60 * 1000000ULL + 1000);
	printf("client sockets after 60 s:\n");
	tcpx_foreach(W.eng[0], ss_line, NULL);
	printf("  (no sockets: TIME-WAIT expired)\n\nclient counters:");
	for (size_t i = 0; i < tcpx_mib_count(); i++) {
		const struct tcpx_mib_desc *d = tcpx_mib_desc(i);
		uint64_t v = tcpx_mib_value(W.eng[0], i);

		if (v != 0 && strcmp(d->group, "Tcpx") != 0)
			printf(" %s:%s=%lu", d->group, d->name, (unsigned long)v);
	}
	printf("\n");
	tcpx_close(W.eng[1], ls);
	tcpx_engine_free(W.eng[0]);
	tcpx_engine_free(W.eng[1]);
	return 0;
}
