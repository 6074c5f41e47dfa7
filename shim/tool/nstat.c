/*
 * nstat.c - `tcpx nstat`: the stack's counters with the names nstat(8)
 * gives the kernel's ("TcpActiveOpens", "TcpExtSyncookiesSent": group
 * and name of /proc/net/snmp and /proc/net/netstat joined).
 *
 * As nstat: by default the change since the previous call, kept in a
 * history file per user and per stack; -a absolute values; -r forgets
 * the history first; -n does not update it; -z shows zeros too.  The
 * history lives in $TCPX_NSTAT_HISTORY, else $XDG_RUNTIME_DIR, else
 * /run/tcpx (mode 0600 files), named after the uid, the interface and
 * the network namespace; it records tcpxd's pid, so that a restarted
 * tcpxd (counters back at zero) starts a fresh history.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_client.h"
#include "tool.h"

#define NSTAT_MAX	512

struct counter {
	char name[TCPX_CTL_NAMELEN * 2];	/* "TcpExtListenDrops" */
	uint64_t value;
};

struct nstat_opts {
	int zeros, absolute, reset, nohist, json;
	int npat;
	char **pat;
	struct counter cur[NSTAT_MAX];
	size_t ncur;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tcpx nstat [-azrnsj] [--json] [PATTERN...]\n"
	    "  the tcpx stack's counters, named as nstat(8) names the "
	    "kernel's\n"
	    "  (TcpActiveOpens, TcpExtSyncookiesSent...)\n"
	    "  default: the change since your previous 'tcpx nstat' "
	    "(history file)\n"
	    "  -a, --absolute  absolute values\n"
	    "  -z, --zeros     show zero values too\n"
	    "  -r, --reset     forget the history (show absolute, start "
	    "over)\n"
	    "  -n, --nooutput  update the history only;  -s, --noupdate  "
	    "do not update it\n"
	    "  -j, --json      JSON output\n"
	    "  PATTERN: a counter name or a part of it (TcpExtListen)\n"
	    "  history: $TCPX_NSTAT_HISTORY, $XDG_RUNTIME_DIR or /run/tcpx\n");
}

static int
matches(const struct nstat_opts *o, const char *name)
{
	int i;

	if (o->npat == 0)
		return 1;
	for (i = 0; i < o->npat; i++)
		if (strstr(name, o->pat[i]) != NULL)
			return 1;
	return 0;
}

static void
collect(void *arg, const struct tcpx_ctl_rep *rep)
{
	struct nstat_opts *o = arg;
	const char *colon = strchr(rep->u.mib.name, ':');
	struct counter *k;

	if (colon == NULL || o->ncur == NSTAT_MAX)
		return;
	k = &o->cur[o->ncur++];
	snprintf(k->name, sizeof(k->name), "%.*s%s",
	    (int)(colon - rep->u.mib.name), rep->u.mib.name, colon + 1);
	k->value = rep->u.mib.value;
}

static void
history_path(const struct tcpx_client *c, char *buf, size_t len)
{
	const char *env = getenv("TCPX_NSTAT_HISTORY");
	const char *dir = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	unsigned long ino = 0;

	if (env != NULL && *env != '\0') {
		snprintf(buf, len, "%s", env);
		return;
	}
	if (stat("/proc/self/ns/net", &st) == 0)
		ino = (unsigned long)st.st_ino;
	if (dir == NULL || *dir == '\0' || access(dir, W_OK) != 0) {
		dir = TCPX_RUN_DIR;
		(void)mkdir(dir, 01777);
	}
	snprintf(buf, len, "%s/nstat.u%u.%s.%lu", dir, (unsigned)getuid(),
	    c->hello.ifname, ino);
}

/* Lines "#tcpxd PID", then "NAME VALUE"; 0 if read and from this tcpxd. */
static int
history_load(const char *path, int pid, struct counter *h, size_t *nh)
{
	FILE *f = fopen(path, "re");
	char line[256], name[TCPX_CTL_NAMELEN * 2];
	unsigned long long v;
	int hpid = -1;

	*nh = 0;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "#tcpxd %d", &hpid) == 1)
			continue;
		if (*nh < NSTAT_MAX &&
		    sscanf(line, "%127s %llu", name, &v) == 2) {
			snprintf(h[*nh].name, sizeof(h[*nh].name), "%s", name);
			h[*nh].value = v;
			(*nh)++;
		}
	}
	fclose(f);
	if (hpid != pid) {
		*nh = 0;
		return -1;
	}
	return 0;
}

static void
history_save(const char *path, int pid, const struct nstat_opts *o)
{
	char tmp[600];
	FILE *f;
	size_t i;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "tcpx nstat: cannot write the history %s: "
		    "%s\n", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	fprintf(f, "#tcpxd %d\n", pid);
	for (i = 0; i < o->ncur; i++)
		fprintf(f, "%s %llu\n", o->cur[i].name,
		    (unsigned long long)o->cur[i].value);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "tcpx nstat: cannot write the history %s: "
		    "%s\n", path, strerror(errno));
		unlink(tmp);
	}
}

static uint64_t
hist_value(const struct counter *h, size_t nh, const char *name)
{
	size_t i;

	for (i = 0; i < nh; i++)
		if (strcmp(h[i].name, name) == 0)
			return h[i].value;
	return 0;
}

int
cmd_nstat(int argc, char **argv)
{
	static struct nstat_opts o;
	static struct counter hist[NSTAT_MAX];
	struct tcpx_client c;
	struct tcpx_ctl_req req;
	char path[512];
	size_t nh = 0, i;
	int rc, noout = 0, shown = 0;

	o.pat = argv;
	for (int a = 1; a < argc; a++) {
		const char *s = argv[a];

		if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(s, "--json") == 0 || strcmp(s, "--j") == 0) {
			o.json = 1;
		} else if (strcmp(s, "--absolute") == 0) {
			o.absolute = 1;
		} else if (strcmp(s, "--zeros") == 0) {
			o.zeros = 1;
		} else if (strcmp(s, "--reset") == 0) {
			o.reset = 1;
		} else if (strcmp(s, "--nooutput") == 0) {
			noout = 1;
		} else if (strcmp(s, "--noupdate") == 0) {
			o.nohist = 1;
		} else if (s[0] == '-' && s[1] != '\0' && s[1] != '-') {
			for (const char *p = s + 1; *p != '\0'; p++) {
				switch (*p) {
				case 'a': o.absolute = 1; break;
				case 'z': o.zeros = 1; break;
				case 'r': o.reset = 1; break;
				case 'n': noout = 1; break;
				case 's': o.nohist = 1; break;
				case 'j': o.json = 1; break;
				default:
					fprintf(stderr, "tcpx nstat: unknown "
					    "option -%c (see tcpx nstat "
					    "--help)\n", *p);
					return 2;
				}
			}
		} else if (s[0] == '-') {
			fprintf(stderr, "tcpx nstat: unknown option %s (see "
			    "tcpx nstat --help)\n", s);
			return 2;
		} else
			o.pat[o.npat++] = argv[a];
	}
	if (tool_connect(&c) < 0)
		return 1;
	memset(&req, 0, sizeof(req));
	rc = tool_list(&c, TCPX_OP_NSTAT, &req, collect, &o);
	history_path(&c, path, sizeof(path));
	tcpx_client_close(&c);
	if (rc < 0) {
		fprintf(stderr, "tcpx nstat: %s\n", strerror(-rc));
		return 1;
	}
	if (!o.reset)
		(void)history_load(path, c.hello.pid, hist, &nh);
	if (!noout) {
		printf(o.json ? "{\"kernel\":{" : "#kernel\n");
		for (i = 0; i < o.ncur; i++) {
			const struct counter *k = &o.cur[i];
			uint64_t v = k->value;

			if (!o.absolute) {
				uint64_t old = hist_value(hist, nh, k->name);

				/* Gauges (CurrEstab) can go down: nstat
				 * shows them as they are, not as a delta. */
				v = v >= old ? v - old : v;
			}
			if ((v == 0 && !o.zeros) || !matches(&o, k->name))
				continue;
			if (o.json)
				printf("%s\"%s\":%llu", shown ? "," : "",
				    k->name, (unsigned long long)v);
			else
				printf("%-32s %-16llu %6.1f\n", k->name,
				    (unsigned long long)v, 0.0);
			shown++;
		}
		if (o.json)
			printf("}}\n");
	}
	if (!o.nohist)
		history_save(path, c.hello.pid, &o);
	return 0;
}
