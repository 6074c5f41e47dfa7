/*
 * ss.c - `tcpx ss`: the stack's sockets, the way ss(8) shows the
 * kernel's, taking ss's own flags as people type them (-tan, -tlnp,
 * -o, -i, -e, -H, state filters, `exclude`, simple address filters).
 *
 * As ss(8): with no -a/-l/state, listeners, TIME-WAIT and SYN-RECV are
 * hidden; when `state` selects exactly one state the State column goes.
 * Listeners show their accept queue as Recv-Q (queued) and Send-Q (the
 * backlog), and the SYN queue as "synq:N/MAX" after the addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "ssfilter.h"
#include "tcpx.h"
#include "tool.h"

#define ST_BIT(s)	(1u << (s))
#define ST_ALL		(((1u << (TCP_ST_MAX + 1)) - 1) & ~1u)
/* ss's default: SS_CONN, every state but these four. */
#define ST_CONN		(ST_ALL & ~(ST_BIT(TCP_ST_LISTEN) | \
	ST_BIT(TCP_ST_CLOSED) | ST_BIT(TCP_ST_TIME_WAIT) | \
	ST_BIT(TCP_ST_SYN_RECEIVED)))

static const struct {
	const char *name;
	uint32_t mask;
} state_names[] = {
	{ "all", ST_ALL },
	{ "connected", ST_ALL & ~(ST_BIT(TCP_ST_LISTEN) |
	    ST_BIT(TCP_ST_CLOSED)) },
	{ "synchronized", ST_ALL & ~(ST_BIT(TCP_ST_LISTEN) |
	    ST_BIT(TCP_ST_CLOSED) | ST_BIT(TCP_ST_SYN_SENT)) },
	{ "bucket", ST_BIT(TCP_ST_SYN_RECEIVED) | ST_BIT(TCP_ST_TIME_WAIT) },
	{ "big", ST_ALL & ~(ST_BIT(TCP_ST_SYN_RECEIVED) |
	    ST_BIT(TCP_ST_TIME_WAIT)) },
	{ "established", ST_BIT(TCP_ST_ESTABLISHED) },
	{ "syn-sent", ST_BIT(TCP_ST_SYN_SENT) },
	{ "syn-recv", ST_BIT(TCP_ST_SYN_RECEIVED) },
	{ "syn-received", ST_BIT(TCP_ST_SYN_RECEIVED) },
	{ "fin-wait-1", ST_BIT(TCP_ST_FIN_WAIT_1) },
	{ "fin-wait-2", ST_BIT(TCP_ST_FIN_WAIT_2) },
	{ "time-wait", ST_BIT(TCP_ST_TIME_WAIT) },
	{ "closed", ST_BIT(TCP_ST_CLOSED) },
	{ "close-wait", ST_BIT(TCP_ST_CLOSE_WAIT) },
	{ "last-ack", ST_BIT(TCP_ST_LAST_ACK) },
	{ "listening", ST_BIT(TCP_ST_LISTEN) },
	{ "listen", ST_BIT(TCP_ST_LISTEN) },
	{ "closing", ST_BIT(TCP_ST_CLOSING) },
};

struct ss_opts {
	uint32_t states;
	int info, timers, procs, ext, json, header, tcp;
	int numeric;			/* -n: rates in bits/s, unscaled */
	int no_state_col;		/* `state X`: ss drops the column */
	struct ss_filter *filter;
	unsigned shown;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tcpx ss [-tanlopieH] [--json] [state STATE...] "
	    "[exclude STATE...] [FILTER...]\n"
	    "  the tcpx stack's sockets, as ss(8) shows the kernel's\n"
	    "  -a all  -l listening only  -o timers  -i TCP internals\n"
	    "  -p process  -e extended (socket id)  -H no header  -s summary\n"
	    "  -t -n -4 accepted as ss takes them (tcpx: TCP, numeric, IPv4)\n"
	    "  --json  one JSON array\n"
	    "  states: established syn-sent syn-recv fin-wait-1 fin-wait-2\n"
	    "    time-wait closed close-wait last-ack listening closing,\n"
	    "    or all connected synchronized bucket big\n"
	    "  filter: sport|dport OP :PORT  src|dst ADDR[/LEN][:PORT],\n"
	    "    joined by and, or, not and ( ); OP: = != < > <= >=\n"
	    "    e.g. tcpx ss -tn '( dport = :80 or sport = :80 )'\n"
	    "  listeners: Recv-Q/Send-Q = accept queue length/backlog; "
	    "synq:N/MAX = SYN queue\n");
}

static int
parse_state(const char *s, uint32_t *mask)
{
	size_t i;

	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcasecmp(s, state_names[i].name) == 0) {
			*mask = state_names[i].mask;
			return 0;
		}
	return -1;
}

/* ss's print_ms_timer(): "200ms", "1.500ms", "59sec", "119min". */
static void
fmt_ms(unsigned ms, char *buf, size_t len)
{
	unsigned secs = ms / 1000, mins = secs / 60, msecs = ms % 1000;
	size_t off = 0;

	secs %= 60;
	buf[0] = '\0';
	if (mins) {
		msecs = 0;
		off += (size_t)snprintf(buf + off, len - off, "%umin", mins);
		if (mins > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			msecs = 0;
		off += (size_t)snprintf(buf + off, len - off, "%u%s", secs,
		    msecs ? "." : "sec");
	}
	if (msecs && off < len)
		snprintf(buf + off, len - off, "%03ums", msecs);
}

static const char *
timer_name(int t)
{
	switch (t) {
	case TCPX_TIMER_RETRANS: return "on";
	case TCPX_TIMER_KEEPALIVE: return "keepalive";
	case TCPX_TIMER_TIMEWAIT: return "timewait";
	case TCPX_TIMER_PROBE: return "persist";
	/* An orphaned FIN-WAIT-2 lives in Linux as a timewait socket. */
	case TCPX_TIMER_FINWAIT2: return "timewait";
	default: return "off";
	}
}

/* The counter ss shows third: retransmits, or keepalive/zero-window probes. */
static unsigned
timer_count(const struct tcpx_sockinfo *si)
{
	if (si->timer == TCPX_TIMER_KEEPALIVE)
		return si->keepalive_probes;
	if (si->timer == TCPX_TIMER_PROBE)
		return si->probes;
	if (si->timer == TCPX_TIMER_RETRANS)
		return si->retransmits;
	return 0;
}

static void
addr_port(const struct sockaddr_in *sin, int wild_peer, char *buf,
    size_t len)
{
	char a[INET_ADDRSTRLEN];

	if (wild_peer && sin->sin_addr.s_addr == 0 && sin->sin_port == 0) {
		snprintf(buf, len, "0.0.0.0:*");
		return;
	}
	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
}

static void
comm_of(int pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fgets(comm, (int)len, f) != NULL)
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/* A rate as ss writes it: scaled, 3 digits, or with -n whole. */
static const char *
bw(const struct ss_opts *o, char *buf, size_t len, double bps)
{
	if (o->numeric)
		snprintf(buf, len, "%.0f", bps);
	else if (bps >= 1e12)
		snprintf(buf, len, "%.3gT", bps / 1e12);
	else if (bps >= 1e9)
		snprintf(buf, len, "%.3gG", bps / 1e9);
	else if (bps >= 1e6)
		snprintf(buf, len, "%.3gM", bps / 1e6);
	else if (bps >= 1e3)
		snprintf(buf, len, "%.3gK", bps / 1e3);
	else
		snprintf(buf, len, "%g", bps);
	return buf;
}

/* ss -i's line, in ss's order and words. */
static void
print_info(const struct ss_opts *o, const struct tcpx_sockinfo *si)
{
	char b[32];

	printf("\n\t");
	if (si->options & TCPX_OPT_TS)
		printf(" ts");
	if (si->options & TCPX_OPT_SACK)
		printf(" sack");
	if (si->options & TCPX_OPT_TFO)
		printf(" fastopen");
	if (si->cc[0] != '\0')
		printf(" %.*s", (int)sizeof(si->cc), si->cc);
	if (si->options & TCPX_OPT_WSCALE)
		printf(" wscale:%u,%u", si->snd_wscale, si->rcv_wscale);
	printf(" rto:%g", si->rto_us / 1000.0);
	if (si->backoff)
		printf(" backoff:%u", si->backoff);
	printf(" rtt:%g/%g", si->rtt_us / 1000.0, si->rttvar_us / 1000.0);
	if (si->ato_us)
		printf(" ato:%g", si->ato_us / 1000.0);
	printf(" mss:%u", si->snd_mss);
	if (si->pmtu)
		printf(" pmtu:%u", si->pmtu);
	if (si->rcv_mss)
		printf(" rcvmss:%u", si->rcv_mss);
	if (si->advmss)
		printf(" advmss:%u", si->advmss);
	printf(" cwnd:%u", si->snd_cwnd);
	if (si->snd_ssthresh < 0xFFFF)
		printf(" ssthresh:%u", si->snd_ssthresh);
	printf(" bytes_sent:%llu", (unsigned long long)si->bytes_sent);
	if (si->bytes_retrans)
		printf(" bytes_retrans:%llu",
		    (unsigned long long)si->bytes_retrans);
	printf(" bytes_acked:%llu bytes_received:%llu segs_out:%u segs_in:%u",
	    (unsigned long long)si->bytes_acked,
	    (unsigned long long)si->bytes_received, si->segs_out, si->segs_in);
	/* ss's estimate of what cwnd allows: cwnd * mss per srtt. */
	if (si->rtt_us != 0 && si->snd_mss != 0 && si->snd_cwnd != 0)
		printf(" send %sbps", bw(o, b, sizeof(b), (double)si->snd_cwnd *
		    si->snd_mss * 8e6 / si->rtt_us));
	printf(" lastsnd:%u lastrcv:%u lastack:%u", si->lastsnd_ms,
	    si->lastrcv_ms, si->lastack_ms);
	if (si->pacing_rate != 0 && si->pacing_rate != UINT64_MAX)
		printf(" pacing_rate %sbps", bw(o, b, sizeof(b),
		    (double)si->pacing_rate * 8));
	/* The scoreboard, as iproute2's ss: resends in flight / all. */
	if (si->unacked)
		printf(" unacked:%u", si->unacked);
	if (si->retrans || si->total_retrans)
		printf(" retrans:%u/%u", si->retrans, si->total_retrans);
	if (si->lost)
		printf(" lost:%u", si->lost);
	if (si->sacked)
		printf(" sacked:%u", si->sacked);
	if (si->dsack_dups)
		printf(" dsack_dups:%u", si->dsack_dups);
	if (si->reordering != 0 && si->reordering != 3)
		printf(" reordering:%u", si->reordering);
	if (si->reord_seen)
		printf(" reord_seen:%u", si->reord_seen);
	if (si->rcv_rtt_us)
		printf(" rcv_rtt:%g", si->rcv_rtt_us / 1000.0);
	if (si->rcv_space)
		printf(" rcv_space:%u", si->rcv_space);
	if (si->rcv_ssthresh)
		printf(" rcv_ssthresh:%u", si->rcv_ssthresh);
	/* Unset (no sample yet) shows as nothing, not as 4294967.295. */
	if (si->min_rtt_us != 0 && si->min_rtt_us != UINT32_MAX)
		printf(" minrtt:%g", si->min_rtt_us / 1000.0);
	printf(" snd_wnd:%u rcv_wnd:%u", si->snd_wnd, si->rcv_wnd);
}

static void
print_json(struct ss_opts *o, const struct tcpx_sockinfo *si,
    const struct tcpx_ctl_owner *owner)
{
	char l[32], r[32], comm[64];

	addr_port(&si->local, 0, l, sizeof(l));
	addr_port(&si->remote, 1, r, sizeof(r));
	printf("%s\n  {\"state\": \"%s\", \"recv_q\": %u, \"send_q\": %u, "
	    "\"local\": \"%s\", \"peer\": \"%s\"", o->shown ? "," : "",
	    tcp_state_ss_name(si->state), si->recv_q, si->send_q, l, r);
	if (si->state == TCP_ST_LISTEN)
		printf(", \"syn_q\": %u, \"syn_max\": %u", si->syn_q,
		    si->syn_max);
	if (si->timer != TCPX_TIMER_NONE)
		printf(", \"timer\": {\"name\": \"%s\", \"expires_ms\": %llu, "
		    "\"retrans\": %u}", timer_name(si->timer),
		    (unsigned long long)(si->timer_expires_us / 1000),
		    timer_count(si));
	if (si->state != TCP_ST_LISTEN && si->id >= 0)
		printf(", \"info\": {\"rto_ms\": %g, \"rtt_ms\": %g, "
		    "\"rttvar_ms\": %g, \"mss\": %u, \"cwnd\": %u, "
		    "\"ssthresh\": %u, \"snd_wscale\": %u, \"rcv_wscale\": %u, "
		    "\"ts\": %s, \"sack\": %s, \"retrans\": %u, "
		    "\"total_retrans\": %u, \"unacked\": %u, "
		    "\"sacked\": %u, \"lost\": %u, \"retrans_out\": %u, "
		    "\"ca_state\": %u, \"bytes_sent\": %llu, "
		    "\"bytes_acked\": %llu, \"bytes_received\": %llu}",
		    si->rto_us / 1000.0, si->rtt_us / 1000.0,
		    si->rttvar_us / 1000.0, si->snd_mss, si->snd_cwnd,
		    si->snd_ssthresh, si->snd_wscale, si->rcv_wscale,
		    si->options & TCPX_OPT_TS ? "true" : "false",
		    si->options & TCPX_OPT_SACK ? "true" : "false",
		    si->retransmits, si->total_retrans, si->unacked,
		    si->sacked, si->lost, si->retrans, si->ca_state,
		    (unsigned long long)si->bytes_sent,
		    (unsigned long long)si->bytes_acked,
		    (unsigned long long)si->bytes_received);
	if (owner->pid > 0) {
		comm_of(owner->pid, comm, sizeof(comm));
		printf(", \"process\": {\"name\": ");
		tool_json_str(stdout, comm);
		printf(", \"pid\": %d, \"uid\": %u, \"sock\": %d}",
		    (int)owner->pid, (unsigned)owner->uid, (int)owner->handle);
	}
	printf("}");
}

static int
single_state(uint32_t m)
{
	return m != 0 && (m & (m - 1)) == 0;
}

static void
ss_one(void *arg, const struct tcpx_ctl_rep *rep)
{
	struct ss_opts *o = arg;
	struct tcpx_sockinfo si;
	struct tcpx_ctl_owner owner;
	char l[32], r[32], t[32], comm[64];

	memcpy(&si, rep->u.raw, sizeof(si));
	memcpy(&owner, rep->u.raw + sizeof(si), sizeof(owner));
	if (si.state < 0 || si.state > TCP_ST_MAX ||
	    !(o->states & ST_BIT(si.state)) || !o->tcp)
		return;
	if (!ss_filter_match(o->filter, &si.local, &si.remote))
		return;
	if (o->json) {
		print_json(o, &si, &owner);
		o->shown++;
		return;
	}
	addr_port(&si.local, 0, l, sizeof(l));
	addr_port(&si.remote, 1, r, sizeof(r));
	if (!o->no_state_col)
		printf("%-10s ", tcp_state_ss_name(si.state));
	printf("%-6u %-6u %-21s %-21s", si.recv_q, si.send_q, l, r);
	if (o->procs && owner.pid > 0) {
		comm_of(owner.pid, comm, sizeof(comm));
		printf(" users:((\"%s\",pid=%d,sock=%d))", comm,
		    (int)owner.pid, (int)owner.handle);
	}
	if (si.state == TCP_ST_LISTEN)
		printf(" synq:%u/%u", si.syn_q, si.syn_max);
	if (o->timers && si.timer != TCPX_TIMER_NONE) {
		fmt_ms((unsigned)(si.timer_expires_us / 1000), t, sizeof(t));
		printf(" timer:(%s,%s,%u)", timer_name(si.timer), t,
		    timer_count(&si));
	}
	if (o->ext) {
		printf(" uid:%u sk:%d", (unsigned)owner.uid, si.id);
		/* Closed by the program but still working (FIN-WAIT,
		 * LAST-ACK...); every TIME-WAIT entry is, so unsaid there. */
		if (si.orphan && si.state != TCP_ST_TIME_WAIT)
			printf(" orphan");
	}
	if (o->info && si.state != TCP_ST_LISTEN && si.id >= 0)
		print_info(o, &si);
	printf("\n");
	o->shown++;
}

struct summary {
	unsigned n[TCP_ST_MAX + 1], total, orphan;
};

static void
sum_one(void *arg, const struct tcpx_ctl_rep *rep)
{
	struct summary *s = arg;
	struct tcpx_sockinfo si;

	memcpy(&si, rep->u.raw, sizeof(si));
	if (si.state >= 0 && si.state <= TCP_ST_MAX)
		s->n[si.state]++;
	s->total++;
	if (si.orphan && si.state != TCP_ST_TIME_WAIT)
		s->orphan++;
}

/* ss -s, the TCP line. */
static int
summary(struct tcpx_client *c)
{
	struct summary s;
	struct tcpx_ctl_req req;
	int rc;

	memset(&s, 0, sizeof(s));
	memset(&req, 0, sizeof(req));
	rc = tool_list(c, TCPX_OP_SS_LIST, &req, sum_one, &s);
	if (rc < 0)
		return rc;
	printf("Total: %u\nTCP:   %u (estab %u, closed %u, orphaned %u, "
	    "timewait %u, synrecv %u, listen %u)\n", s.total, s.total,
	    s.n[TCP_ST_ESTABLISHED], s.n[TCP_ST_CLOSED], s.orphan,
	    s.n[TCP_ST_TIME_WAIT], s.n[TCP_ST_SYN_RECEIVED],
	    s.n[TCP_ST_LISTEN]);
	return 0;
}

/* Short flags, alone or bundled as ss takes them ("-tlnp"). */
static int
short_flags(struct ss_opts *o, const char *arg, int *all, int *listen,
    int *sum, int *other_proto)
{
	for (; *arg != '\0'; arg++) {
		switch (*arg) {
		case 't': o->tcp = 2; break;
		case 'a': *all = 1; break;
		case 'l': *listen = 1; break;
		case 'o': o->timers = 1; break;
		case 'i': o->info = 1; break;
		case 'p': o->procs = 1; break;
		case 'e': o->ext = 1; break;
		case 'H': o->header = 0; break;
		case 's': *sum = 1; break;
		case 'n': o->numeric = 1; break;
		case 'r': case '4': case 'm': case 'O': break;
		case 'u': case 'w': case 'x': case 'd': case 'S':
			*other_proto = 1;
			break;
		case '6':
			*other_proto = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "tcpx ss: unknown option -%c (see tcpx "
			    "ss --help)\n", *arg);
			return -1;
		}
	}
	return 0;
}

int
cmd_ss(int argc, char **argv)
{
	struct ss_opts o;
	struct tcpx_client c;
	struct tcpx_ctl_req req;
	int i, rc, all = 0, listen = 0, sum = 0, other = 0, saw_state = 0;
	int nfw = 0;
	char *fw[argc > 0 ? argc : 1], err[160];
	uint32_t m;

	memset(&o, 0, sizeof(o));
	o.header = 1;
	o.tcp = 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
			o.json = 1;
		} else if (strcmp(a, "--all") == 0) {
			all = 1;
		} else if (strcmp(a, "--listening") == 0) {
			listen = 1;
		} else if (strcmp(a, "--options") == 0) {
			o.timers = 1;
		} else if (strcmp(a, "--info") == 0) {
			o.info = 1;
		} else if (strcmp(a, "--processes") == 0) {
			o.procs = 1;
		} else if (strcmp(a, "--extended") == 0) {
			o.ext = 1;
		} else if (strcmp(a, "--no-header") == 0) {
			o.header = 0;
		} else if (strcmp(a, "--numeric") == 0) {
			o.numeric = 1;
		} else if (strcmp(a, "--tcp") == 0 || strcmp(a, "--ipv4") == 0) {
			;
		} else if (strcmp(a, "--summary") == 0) {
			sum = 1;
		} else if (a[0] == '-' && a[1] != '-' && a[1] != '\0') {
			if (short_flags(&o, a + 1, &all, &listen, &sum,
			    &other) < 0)
				return 2;
		} else if (strcmp(a, "state") == 0 ||
		    strcmp(a, "exclude") == 0 || strcmp(a, "excl") == 0) {
			if (i + 1 >= argc || parse_state(argv[i + 1], &m) < 0) {
				fprintf(stderr, "tcpx ss: %s: unknown state "
				    "'%s' (see tcpx ss --help)\n", a,
				    i + 1 < argc ? argv[i + 1] : "");
				return 2;
			}
			if (a[0] == 's') {
				if (!saw_state)
					o.states = 0;
				o.states |= m;
			} else {
				if (!saw_state)
					o.states = ST_ALL;
				o.states &= ~m;
			}
			saw_state = 1;
			i++;
		} else {
			/* Filter words, parsed together below. */
			fw[nfw++] = argv[i];
		}
	}
	if (nfw > 0 && (o.filter = ss_filter_parse(fw, nfw, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "tcpx ss: filter: %s (see tcpx ss --help)\n",
		    err);
		return 2;
	}
	if (!saw_state)
		o.states = all ? ST_ALL : listen ? ST_BIT(TCP_ST_LISTEN) :
		    ST_CONN;
	o.no_state_col = saw_state && single_state(o.states);
	/* ss -u/-x...: other families; tcpx has only TCP, shown with -t. */
	if (other && o.tcp != 2)
		o.tcp = 0;
	if (tool_connect(&c) < 0) {
		ss_filter_free(o.filter);
		return 1;
	}
	if (sum) {
		rc = summary(&c);
		tcpx_client_close(&c);
		ss_filter_free(o.filter);
		return rc < 0 ? 1 : 0;
	}
	if (o.json)
		printf("[");
	else if (o.header) {
		if (!o.no_state_col)
			printf("%-10s ", "State");
		printf("%-6s %-6s %-21s %-21s%s\n", "Recv-Q", "Send-Q",
		    "Local Address:Port", "Peer Address:Port",
		    o.procs ? " Process" : "");
	}
	memset(&req, 0, sizeof(req));
	rc = tool_list(&c, TCPX_OP_SS_LIST, &req, ss_one, &o);
	tcpx_client_close(&c);
	ss_filter_free(o.filter);
	if (o.json)
		printf("%s]\n", o.shown ? "\n" : "");
	if (rc < 0) {
		fprintf(stderr, "tcpx ss: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}
