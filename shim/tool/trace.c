/*
 * trace.c - `tcpx trace`: watch the stack work, live: every TCP segment
 * as tcpdump prints it, every state change with its cause, every timer
 * that fires.
 *
 *   tcpx trace [-s] [-S] [-t] [-c COUNT] [-T SECONDS] [--absolute]
 *   -s segments  -S state changes  -t timers  (default: all three)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_client.h"
#include "segfmt.h"
#include "tcpx.h"
#include "tool.h"

static void
addr_str(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	snprintf(buf, len, "%s.%u", a, ntohs(sin->sin_port));
}

/*
 * A data segment arrives cut to its first bytes (ev->data), which the
 * full formatter rejects (lengths and checksum no longer add up): its
 * header fields, tcpdump-style, from what is there; len is the IP total
 * length the header gives.
 */
/* The ISN segfmt recorded for this direction, to print relative numbers
 * as it does; 0 when unknown. */
static uint32_t
isn_of(const struct segfmt *f, uint32_t sa, uint32_t da, uint16_t sp,
    uint16_t dp)
{
	unsigned i;

	if (f->absolute)
		return 0;
	for (i = 0; i < SEGFMT_FLOWS; i++) {
		const struct segfmt_flow *fl = &f->flows[i];

		if (fl->used && fl->saddr == sa && fl->daddr == da &&
		    fl->sport == sp && fl->dport == dp)
			return fl->isn;
	}
	return 0;
}

static int
seg_short(const struct segfmt *f, const uint8_t *ip, size_t cap,
    uint32_t len, char *buf, size_t bl)
{
	char fl[16], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	size_t ihl;
	const uint8_t *th;
	uint32_t seq, ack, plen, sa, da;
	uint16_t sp, dp;
	unsigned thl;

	if (cap < 20 || (ip[0] >> 4) != 4)
		return -1;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ip[9] != IPPROTO_TCP || cap < ihl + 20)
		return -1;
	th = ip + ihl;
	thl = (unsigned)(th[12] >> 4) * 4;
	seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 |
	    (uint32_t)th[6] << 8 | th[7];
	ack = (uint32_t)th[8] << 24 | (uint32_t)th[9] << 16 |
	    (uint32_t)th[10] << 8 | th[11];
	plen = len > ihl + thl ? len - (uint32_t)(ihl + thl) : 0;
	memcpy(&sa, ip + 12, 4);
	memcpy(&da, ip + 16, 4);
	sp = (uint16_t)(th[0] << 8 | th[1]);
	dp = (uint16_t)(th[2] << 8 | th[3]);
	seq -= isn_of(f, sa, da, sp, dp);
	ack -= isn_of(f, da, sa, dp, sp);
	inet_ntop(AF_INET, ip + 12, a, sizeof(a));
	inet_ntop(AF_INET, ip + 16, b, sizeof(b));
	segfmt_flags(th[13], fl, sizeof(fl));
	return snprintf(buf, bl, "IP %s.%u > %s.%u: Flags [%s], seq %u:%u, "
	    "ack %u, win %u, length %u", a, sp, b, dp, fl, seq, seq + plen,
	    ack, (unsigned)(th[14] << 8 | th[15]), plen);
}

static void
print_event(struct segfmt *f, const struct tcpx_ctl_event *ev)
{
	char line[512], l[32], r[32];
	double t = (double)ev->now_us / 1e6;
	size_t cap;

	switch (ev->kind) {
	case TCPX_TRACE_SEG:
		cap = ev->len < sizeof(ev->data) ? ev->len : sizeof(ev->data);
		if (segfmt_tcp(f, ev->data, cap, line, sizeof(line)) >= 0 ||
		    (cap >= 4 && seg_short(f, ev->data, cap,
		    (uint32_t)(ev->data[2] << 8 | ev->data[3]), line,
		    sizeof(line)) >= 0))
			printf("%12.6f %s %s\n", t,
			    ev->dir == TCPX_DIR_IN ? "<" : ">", line);
		break;
	case TCPX_TRACE_STATE:
		addr_str(&ev->local, l, sizeof(l));
		addr_str(&ev->remote, r, sizeof(r));
		printf("%12.6f sock %d %s > %s: %s -> %s (%.*s)\n", t, ev->sock,
		    l, r, tcp_state_name(ev->from), tcp_state_name(ev->to),
		    (int)sizeof(ev->text), ev->text);
		break;
	case TCPX_TRACE_TIMER:
		printf("%12.6f sock %d timer %.*s\n", t, ev->sock,
		    (int)sizeof(ev->text), ev->text);
		break;
	default:
		break;
	}
	fflush(stdout);
}

int
cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "segments", no_argument, NULL, 's' },
		{ "states", no_argument, NULL, 'S' },
		{ "timers", no_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "time", required_argument, NULL, 'T' },
		{ "absolute", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tcpx_client c;
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	struct tcpx_ctl_event ev;
	struct segfmt *f;
	struct timespec ts;
	uint32_t mask = 0;
	long count = -1, secs = -1;
	double end = 0;
	int ch, rc, seen = 0;
	ssize_t n;

	while ((ch = getopt_long(argc, argv, "sStc:T:Ah", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's': mask |= TCPX_TRACE_SEG; break;
		case 'S': mask |= TCPX_TRACE_STATE; break;
		case 't': mask |= TCPX_TRACE_TIMER; break;
		case 'c': count = strtol(optarg, NULL, 10); break;
		case 'T': secs = strtol(optarg, NULL, 10); break;
		case 'A': break;
		case 'h':
			printf("usage: tcpx trace [-s] [-S] [-t] [-c COUNT] "
			    "[-T SECONDS] [--absolute]\n"
			    "  live view of the stack: -s segments (as "
			    "tcpdump), -S state changes, -t timers\n");
			return 0;
		default:
			return 2;
		}
	}
	if (mask == 0)
		mask = TCPX_TRACE_SEG | TCPX_TRACE_STATE | TCPX_TRACE_TIMER;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return 1;
	for (ch = 1; ch < argc; ch++)
		if (strcmp(argv[ch], "--absolute") == 0 ||
		    strcmp(argv[ch], "-A") == 0)
			f->absolute = true;
	if (tool_connect(&c) < 0) {
		free(f);
		return 1;
	}
	memset(&req, 0, sizeof(req));
	req.u.trace_mask = mask;
	rc = tcpx_client_call(&c, TCPX_OP_TRACE, -1, &req, sizeof(req), &rep,
	    NULL);
	if (rc < 0) {
		fprintf(stderr, "tcpx trace: %s\n", strerror(-rc));
		tcpx_client_close(&c);
		free(f);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (secs >= 0)
		end = (double)ts.tv_sec + ts.tv_nsec / 1e9 + (double)secs;
	while (count < 0 || seen < count) {
		struct pollfd p = { .fd = c.fd, .events = POLLIN };
		int tmo = -1;

		if (secs >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			double left = end - ((double)ts.tv_sec +
			    ts.tv_nsec / 1e9);
			if (left <= 0)
				break;
			tmo = (int)(left * 1000) + 1;
		}
		rc = poll(&p, 1, tmo);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		/* Events come as replies of seq 0 flagged TCPX_REP_EVENT, the
		 * event in u.raw. */
		n = tcpx_ctl_recv(c.fd, &rep, sizeof(rep), NULL);
		if (n <= 0) {
			fprintf(stderr, "tcpx trace: tcpxd went away\n");
			break;
		}
		if ((size_t)n < TCPX_CTL_REP_HDR + offsetof(struct tcpx_ctl_event,
		    text) || !(rep.flags & TCPX_REP_EVENT))
			continue;
		memcpy(&ev, rep.u.raw, sizeof(ev));
		print_event(f, &ev);
		seen++;
	}
	tcpx_client_close(&c);
	free(f);
	return 0;
}
