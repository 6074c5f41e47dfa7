/*
 * trace.c - `tcpx trace`: watch the stack work, live: every TCP segment
 * as tcpdump prints it, every state change with its cause, every timer
 * that fires; optionally a pcap file (libpcap's pcap_dump, DLT_RAW, so
 * tcpdump -r and Wireshark read it) and a mermaid sequenceDiagram of
 * the first connection seen (mermaid.c).
 *
 *   tcpx trace [-sStq] [-c COUNT] [-T SECONDS] [--until-closed]
 *              [--pcap FILE] [--mermaid FILE] [--absolute] [FILTER]
 *
 * FILTER is tcpdump's language ("port 80", "host 10.77.0.1 and port
 * 8000"), compiled by libpcap and run on each segment; a state change
 * matches when a segment of its connection would, a timer when its
 * socket had a matching state change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_client.h"
#include "segfmt.h"
#include "tcpx.h"
#include "tool.h"

#define MAX_SOCKS	256

struct trace {
	struct segfmt fmt;
	int quiet;
	int64_t wall_off_us;		/* realtime - monotonic */
	pcap_t *dead;
	int have_filter;
	struct bpf_program prog;
	pcap_dumper_t *dump;
	struct mmd *mmd;
	/* The connection the diagram and --until-closed follow. */
	int have_conn, conn_done;
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	int socks[MAX_SOCKS];		/* socket ids that matched the filter */
	int nsocks;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tcpx trace [-sStq] [-c COUNT] [-T SECONDS] "
	    "[--until-closed]\n"
	    "                  [--pcap FILE] [--mermaid FILE] [--absolute] "
	    "[FILTER]\n"
	    "  live view of the tcpx stack:\n"
	    "  -s segments, as tcpdump prints them   -S state changes with "
	    "their cause\n"
	    "  -t timer expiries                     (default: all three)\n"
	    "  -c COUNT        stop after COUNT events\n"
	    "  -T SECONDS      stop after SECONDS\n"
	    "  -u, --until-closed  stop when the first connection seen "
	    "reaches CLOSED\n"
	    "                  or TIME-WAIT (and its last segment is out)\n"
	    "  -w, --pcap FILE write the segments to a pcap file "
	    "(tcpdump -r FILE)\n"
	    "  -m, --mermaid FILE  write a mermaid sequenceDiagram of the "
	    "first connection\n"
	    "  -A, --absolute  absolute sequence numbers (tcpdump -S)\n"
	    "  -q, --quiet     print nothing (with --pcap/--mermaid)\n"
	    "  FILTER          tcpdump's filter language: port 80, host "
	    "10.77.0.1, ...\n"
	    "examples:\n"
	    "  tcpx trace port 8000\n"
	    "  tcpx trace -u --pcap /tmp/c.pcap --mermaid /tmp/c.md host "
	    "10.77.0.1\n");
}

static void
wall_time(const struct trace *t, uint64_t mono_us, char *buf, size_t len)
{
	int64_t us = (int64_t)mono_us + t->wall_off_us;
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%06d", tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)(us % 1000000));
}

static int
filter_ok(struct trace *t, const uint8_t *ip, uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h;

	if (!t->have_filter)
		return 1;
	memset(&h, 0, sizeof(h));
	h.caplen = caplen;
	h.len = len;
	return pcap_offline_filter(&t->prog, &h, ip) != 0;
}

/* A state change matches if a segment between its two ends would. */
static int
state_matches(struct trace *t, const struct tcpx_ctl_event *ev)
{
	uint8_t pkt[40];
	int dir;

	if (!t->have_filter)
		return 1;
	for (dir = 0; dir < 2; dir++) {
		const struct sockaddr_in *s = dir ? &ev->remote : &ev->local;
		const struct sockaddr_in *d = dir ? &ev->local : &ev->remote;

		memset(pkt, 0, sizeof(pkt));
		pkt[0] = 0x45;
		pkt[3] = sizeof(pkt);
		pkt[8] = 64;
		pkt[9] = IPPROTO_TCP;
		memcpy(pkt + 12, &s->sin_addr, 4);
		memcpy(pkt + 16, &d->sin_addr, 4);
		memcpy(pkt + 20, &s->sin_port, 2);
		memcpy(pkt + 22, &d->sin_port, 2);
		pkt[32] = 5 << 4;
		if (filter_ok(t, pkt, sizeof(pkt), sizeof(pkt)))
			return 1;
	}
	return 0;
}

static int
sock_known(const struct trace *t, int sock)
{
	int i;

	for (i = 0; i < t->nsocks; i++)
		if (t->socks[i] == sock)
			return 1;
	return 0;
}

static int
is_conn(const struct trace *t, uint32_t la, uint16_t lp, uint32_t ra,
    uint16_t rp)
{
	return t->have_conn && la == t->laddr && lp == t->lport &&
	    ra == t->raddr && rp == t->rport;
}

static void
follow(struct trace *t, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
	if (t->have_conn || rp == 0)
		return;
	t->have_conn = 1;
	t->laddr = la;
	t->lport = lp;
	t->raddr = ra;
	t->rport = rp;
}

/* Handle one event; 1 if it was shown (counts for -c). */
static int
handle(struct trace *t, const struct tcpx_ctl_event *ev)
{
	char line[512], ts[32], l[40], r[40], a[INET_ADDRSTRLEN];
	size_t cap;

	wall_time(t, ev->now_us, ts, sizeof(ts));
	switch (ev->kind) {
	case TCPX_TRACE_SEG: {
		struct tool_tcph h;
		uint32_t iplen;
		int out = ev->dir == TCPX_DIR_OUT;

		cap = ev->len < sizeof(ev->data) ? ev->len : sizeof(ev->data);
		if (tool_tcp_hdr(ev->data, cap, &h) < 0)
			return 0;
		iplen = (uint32_t)(ev->data[2] << 8 | ev->data[3]);
		if (!filter_ok(t, ev->data, (uint32_t)cap, iplen))
			return 0;
		follow(t, out ? h.saddr : h.daddr, out ? h.sport : h.dport,
		    out ? h.daddr : h.saddr, out ? h.dport : h.sport);
		if (t->mmd != NULL && !t->conn_done &&
		    is_conn(t, out ? h.saddr : h.daddr, out ? h.sport : h.dport,
		    out ? h.daddr : h.saddr, out ? h.dport : h.sport))
			mmd_segment(t->mmd, ev->dir, &h);
		if (t->dump != NULL) {
			struct pcap_pkthdr ph;
			int64_t us = (int64_t)ev->now_us + t->wall_off_us;

			ph.ts.tv_sec = (time_t)(us / 1000000);
			ph.ts.tv_usec = (suseconds_t)(us % 1000000);
			ph.caplen = (uint32_t)cap;
			ph.len = iplen > cap ? iplen : (uint32_t)cap;
			pcap_dump((u_char *)t->dump, &ph, ev->data);
			pcap_dump_flush(t->dump);
		}
		/* segfmt takes the headers alone (the event is cut short). */
		if (!t->quiet && segfmt_tcp(&t->fmt, ev->data, cap, line,
		    sizeof(line)) < 0)
			snprintf(line, sizeof(line), "IP %s.%u > ?.%u: (bad "
			    "headers)", inet_ntop(AF_INET, &h.saddr, a,
			    sizeof(a)), h.sport, h.dport);
		if (!t->quiet)
			printf("%s %s %s\n", ts, out ? ">" : "<", line);
		return 1;
	}
	case TCPX_TRACE_STATE: {
		uint32_t la = ev->local.sin_addr.s_addr;
		uint32_t ra = ev->remote.sin_addr.s_addr;
		uint16_t lp = ntohs(ev->local.sin_port);
		uint16_t rp = ntohs(ev->remote.sin_port);

		if (!state_matches(t, ev))
			return 0;
		/* The engine hands a TIME-WAIT socket over to a lighter
		 * TIME-WAIT entry and reports the full socket's end; on the
		 * wire and in ss the connection stays in TIME-WAIT, and its
		 * real end (2MSL) comes as its own TIME-WAIT -> CLOSED. */
		if (ev->from == TCP_ST_TIME_WAIT && ev->to == TCP_ST_CLOSED &&
		    strstr(ev->text, "took over") != NULL)
			return 0;
		if (ev->sock >= 0 && !sock_known(t, ev->sock) &&
		    t->nsocks < MAX_SOCKS)
			t->socks[t->nsocks++] = ev->sock;
		follow(t, la, lp, ra, rp);
		if (is_conn(t, la, lp, ra, rp) && !t->conn_done) {
			if (t->mmd != NULL)
				mmd_state(t->mmd, ev->from, ev->to, ev->text);
			if (ev->to == TCP_ST_CLOSED ||
			    ev->to == TCP_ST_TIME_WAIT)
				t->conn_done = 1;
		}
		if (t->quiet)
			return 1;
		inet_ntop(AF_INET, &ev->local.sin_addr, a, sizeof(a));
		snprintf(l, sizeof(l), "%s.%u", a, lp);
		inet_ntop(AF_INET, &ev->remote.sin_addr, a, sizeof(a));
		snprintf(r, sizeof(r), "%s.%u", a, rp);
		printf("%s sock %d %s > %s: %s -> %s (%.*s)\n", ts, ev->sock,
		    l, r, tcp_state_name(ev->from), tcp_state_name(ev->to),
		    (int)sizeof(ev->text), ev->text);
		return 1;
	}
	case TCPX_TRACE_TIMER:
		if (t->have_filter && !sock_known(t, ev->sock))
			return 0;
		if (t->mmd != NULL && !t->conn_done && t->nsocks > 0 &&
		    ev->sock == t->socks[0])
			mmd_timer(t->mmd, ev->text);
		if (!t->quiet)
			printf("%s sock %d timer %.*s expired\n", ts, ev->sock,
			    (int)sizeof(ev->text), ev->text);
		return 1;
	default:
		return 0;
	}
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
setup(struct trace *t, const char *expr, const char *pcap_path,
    const char *mmd_path)
{
	struct timespec rt, mt;
	char err[PCAP_ERRBUF_SIZE];

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	t->wall_off_us = ((int64_t)rt.tv_sec - mt.tv_sec) * 1000000 +
	    (rt.tv_nsec - mt.tv_nsec) / 1000;
	t->dead = pcap_open_dead(DLT_RAW, 65535);
	if (t->dead == NULL) {
		fprintf(stderr, "tcpx trace: pcap_open_dead failed\n");
		return -1;
	}
	if (expr != NULL && *expr != '\0') {
		if (pcap_compile(t->dead, &t->prog, expr, 1,
		    PCAP_NETMASK_UNKNOWN) < 0) {
			fprintf(stderr, "tcpx trace: bad filter '%s': %s\n",
			    expr, pcap_geterr(t->dead));
			return -1;
		}
		t->have_filter = 1;
	}
	if (pcap_path != NULL) {
		t->dump = pcap_dump_open(t->dead, pcap_path);
		if (t->dump == NULL) {
			fprintf(stderr, "tcpx trace: %s: %s\n", pcap_path,
			    pcap_geterr(t->dead));
			return -1;
		}
	}
	if (mmd_path != NULL) {
		FILE *f = fopen(mmd_path, "we");

		/* Fail now, not after the trace, if it cannot be written. */
		if (f == NULL) {
			fprintf(stderr, "tcpx trace: %s: %s\n", mmd_path,
			    strerror(errno));
			return -1;
		}
		fclose(f);
		t->mmd = mmd_new();
		(void)err;
	}
	return 0;
}

static void
finish(struct trace *t, const char *mmd_path, int fenced)
{
	int rc;

	if (t->dump != NULL)
		pcap_dump_close(t->dump);
	if (t->mmd != NULL) {
		rc = mmd_write(t->mmd, mmd_path, fenced);
		if (rc < 0)
			fprintf(stderr, "tcpx trace: %s: %s\n", mmd_path,
			    strerror(-rc));
		mmd_free(t->mmd);
	}
	if (t->have_filter)
		pcap_freecode(&t->prog);
	if (t->dead != NULL)
		pcap_close(t->dead);
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
		{ "until-closed", no_argument, NULL, 'u' },
		{ "pcap", required_argument, NULL, 'w' },
		{ "mermaid", required_argument, NULL, 'm' },
		{ "fenced", no_argument, NULL, 'F' },
		{ "absolute", no_argument, NULL, 'A' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct trace t;
	struct tcpx_client c;
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	struct tcpx_ctl_event ev;
	struct sigaction sa;
	const char *pcap_path = NULL, *mmd_path = NULL;
	char expr[1024] = "";
	uint32_t mask = 0;
	long count = -1;
	double secs = -1, end = 0, grace_end = 0;
	int ch, rc, seen = 0, until = 0, fenced = 0;
	ssize_t n;
	char *endp;

	while ((ch = getopt_long(argc, argv, "+sStc:T:uw:m:Aqh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's': mask |= TCPX_TRACE_SEG; break;
		case 'S': mask |= TCPX_TRACE_STATE; break;
		case 't': mask |= TCPX_TRACE_TIMER; break;
		case 'c':
			count = strtol(optarg, &endp, 10);
			if (*endp != '\0' || count <= 0) {
				fprintf(stderr, "tcpx trace: -c wants a count, "
				    "got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'T':
			secs = strtod(optarg, &endp);
			if (*endp != '\0' || secs < 0) {
				fprintf(stderr, "tcpx trace: -T wants seconds, "
				    "got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'u': until = 1; break;
		case 'w': pcap_path = optarg; break;
		case 'm': mmd_path = optarg; break;
		case 'F': fenced = 1; break;
		case 'A': t.fmt.absolute = true; break;
		case 'q': t.quiet = 1; break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	for (; optind < argc; optind++) {
		if (strlen(expr) + strlen(argv[optind]) + 2 >= sizeof(expr)) {
			fprintf(stderr, "tcpx trace: filter too long\n");
			return 2;
		}
		if (expr[0] != '\0')
			strcat(expr, " ");
		strcat(expr, argv[optind]);
	}
	if (mask == 0)
		mask = TCPX_TRACE_SEG | TCPX_TRACE_STATE | TCPX_TRACE_TIMER;
	/* The diagram and --until-closed need the states and segments. */
	if (mmd_path != NULL || until)
		mask |= TCPX_TRACE_SEG | TCPX_TRACE_STATE;
	if (setup(&t, expr, pcap_path, mmd_path) < 0) {
		finish(&t, NULL, 0);
		return 2;
	}
	if (tool_connect(&c) < 0) {
		finish(&t, mmd_path, fenced);
		return 1;
	}
	memset(&req, 0, sizeof(req));
	req.u.trace_mask = mask;
	rc = tcpx_client_call(&c, TCPX_OP_TRACE, -1, &req, sizeof(req), &rep,
	    NULL);
	if (rc < 0) {
		fprintf(stderr, "tcpx trace: %s\n", strerror(-rc));
		tcpx_client_close(&c);
		finish(&t, mmd_path, fenced);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (!t.quiet)
		fprintf(stderr, "tcpx trace: listening on %s (tcpxd pid %d)%s%s"
		    "\n", c.hello.ifname, (int)c.hello.pid,
		    expr[0] ? ", filter: " : "", expr);
	if (secs >= 0)
		end = mono_now() + secs;
	while (!stop && (count < 0 || seen < count)) {
		struct pollfd p = { .fd = c.fd, .events = POLLIN };
		double left = 0, now = mono_now();
		int tmo = -1, deadline = 0;

		if (secs >= 0) {
			left = end - now;
			deadline = 1;
		}
		/* After the followed connection closed: 300 ms for the last
		 * segments (the ACK of a FIN comes after TIME-WAIT starts). */
		if (until && t.conn_done) {
			if (grace_end == 0)
				grace_end = now + 0.3;
			if (!deadline || grace_end - now < left)
				left = grace_end - now;
			deadline = 1;
		}
		if (deadline) {
			if (left <= 0)
				break;
			tmo = (int)(left * 1000) + 1;
		}
		rc = poll(&p, 1, tmo);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			break;
		if (rc == 0)
			continue;
		n = tcpx_ctl_recv(c.fd, &rep, sizeof(rep), NULL);
		if (n <= 0) {
			fprintf(stderr, "tcpx trace: tcpxd went away\n");
			break;
		}
		if ((size_t)n < TCPX_CTL_REP_HDR + offsetof(struct tcpx_ctl_event,
		    text) || !(rep.flags & TCPX_REP_EVENT))
			continue;
		memset(&ev, 0, sizeof(ev));
		memcpy(&ev, rep.u.raw, (size_t)n - TCPX_CTL_REP_HDR <
		    sizeof(ev) ? (size_t)n - TCPX_CTL_REP_HDR : sizeof(ev));
		if (handle(&t, &ev)) {
			seen++;
			fflush(stdout);
		}
	}
	tcpx_client_close(&c);
	finish(&t, mmd_path, fenced);
	if (mmd_path != NULL && !t.quiet)
		fprintf(stderr, "tcpx trace: diagram written to %s\n",
		    mmd_path);
	return 0;
}
