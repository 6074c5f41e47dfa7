/*
 * sysctl.c - `tcpx sysctl`: the stack's tunables, named and printed as
 * sysctl(8) names and prints the kernel's.
 *
 *   tcpx sysctl -a                     every tunable
 *   tcpx sysctl NAME...                one each, "NAME = VALUE"
 *   tcpx sysctl [-w] NAME=VALUE...     set (root, or tcpxd's user)
 *   tcpx sysctl -p FILE                set from "NAME = VALUE" lines
 *   -n: values only;  -q: do not echo what was set
 *
 * All or nothing: every name is checked before anything is set, and if
 * a value is refused, the settings already made by this command are put
 * back, so a bad name or value leaves the stack as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "tool.h"

#define SYSCTL_MAXARGS	64

struct setting {
	char name[TCPX_CTL_NAMELEN];
	char value[TCPX_CTL_VALLEN];
	char old[TCPX_CTL_VALLEN];
	int set;			/* has a value to set */
	int done;			/* set by us: roll back on failure */
};

struct sysctl_opts {
	int values_only, quiet;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tcpx sysctl [-n] [-q] -a | NAME... | [-w] NAME=VALUE... | "
	    "-p FILE\n"
	    "  the tcpx stack's tunables, named after Linux's "
	    "(net.ipv4.tcp_syncookies...)\n"
	    "  -a all   -n values only   -q quiet when setting   "
	    "-p FILE  settings from a file\n"
	    "  a bad name or value is an error and nothing is changed\n");
}

static void
print_one(const struct sysctl_opts *o, const char *name, const char *value)
{
	if (o->values_only)
		printf("%s\n", value);
	else
		printf("%s = %s\n", name, value);
}

static void
list_cb(void *arg, const struct tcpx_ctl_rep *rep)
{
	print_one(arg, rep->u.sysctl.name, rep->u.sysctl.value);
}

/* "a.b = c", "a/b=c", "a.b": one setting; 0 or -1 with a message. */
static int
parse_arg(const char *arg, struct setting *s)
{
	const char *eq = strchr(arg, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	const char *val = eq != NULL ? eq + 1 : NULL;

	memset(s, 0, sizeof(*s));
	while (nlen > 0 && (arg[nlen - 1] == ' ' || arg[nlen - 1] == '\t'))
		nlen--;
	while (nlen > 0 && (*arg == ' ' || *arg == '\t')) {
		arg++;
		nlen--;
	}
	while (val != NULL && (*val == ' ' || *val == '\t'))
		val++;
	if (nlen == 0 || nlen >= sizeof(s->name)) {
		fprintf(stderr, "tcpx sysctl: bad setting '%s'\n", arg);
		return -1;
	}
	if (val != NULL && strlen(val) >= sizeof(s->value)) {
		fprintf(stderr, "tcpx sysctl: value too long in '%s'\n", arg);
		return -1;
	}
	memcpy(s->name, arg, nlen);
	for (char *p = s->name; *p != '\0'; p++)
		if (*p == '/')
			*p = '.';
	if (val != NULL) {
		snprintf(s->value, sizeof(s->value), "%s", val);
		s->value[strcspn(s->value, "\n")] = '\0';
		s->set = 1;
	}
	return 0;
}

static int
call(struct tcpx_client *c, uint32_t op, const char *name, const char *val,
    struct tcpx_ctl_rep *rep)
{
	struct tcpx_ctl_req req;

	memset(&req, 0, sizeof(req));
	snprintf(req.u.sysctl.name, sizeof(req.u.sysctl.name), "%.*s",
	    (int)sizeof(req.u.sysctl.name) - 1, name);
	if (val != NULL)
		snprintf(req.u.sysctl.value, sizeof(req.u.sysctl.value),
		    "%.*s", (int)sizeof(req.u.sysctl.value) - 1, val);
	return tcpx_client_call(c, op, -1, &req, sizeof(req), rep, NULL);
}

static const char *
why(int rc)
{
	return rc == -ENOENT ? "no such tunable (tcpx sysctl -a lists them)" :
	    rc == -EINVAL ? "invalid value" :
	    rc == -EPERM ? "permission denied (root or tcpxd's user only)" :
	    strerror(-rc);
}

/* Settings from a sysctl.conf-style file: '#' and ';' comments. */
static int
read_file(const char *path, struct setting *s, int *n)
{
	char line[256];
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");

	if (f == NULL) {
		fprintf(stderr, "tcpx sysctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line + strspn(line, " \t");

		p[strcspn(p, "\r\n")] = '\0';
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if (*n == SYSCTL_MAXARGS || parse_arg(p, &s[*n]) < 0) {
			if (f != stdin)
				fclose(f);
			return -1;
		}
		(*n)++;
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

int
cmd_sysctl(int argc, char **argv)
{
	static struct setting s[SYSCTL_MAXARGS];
	struct sysctl_opts o = { 0, 0 };
	struct tcpx_client c;
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	int i, all = 0, rc = 0, n = 0, failed = -1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "-a") == 0 || strcmp(a, "-A") == 0 ||
		    strcmp(a, "-X") == 0 || strcmp(a, "--all") == 0) {
			all = 1;
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "--values") == 0) {
			o.values_only = 1;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			o.quiet = 1;
		} else if (strcmp(a, "-w") == 0 || strcmp(a, "--write") == 0 ||
		    strcmp(a, "-e") == 0) {
			;
		} else if (strcmp(a, "-p") == 0 || strcmp(a, "--load") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tcpx sysctl: -p needs a "
				    "file\n");
				return 2;
			}
			if (read_file(argv[++i], s, &n) < 0)
				return 1;
		} else if (a[0] == '-') {
			fprintf(stderr, "tcpx sysctl: unknown option %s (see "
			    "tcpx sysctl --help)\n", a);
			return 2;
		} else {
			if (n == SYSCTL_MAXARGS) {
				fprintf(stderr, "tcpx sysctl: too many "
				    "arguments\n");
				return 2;
			}
			if (parse_arg(a, &s[n]) < 0)
				return 1;
			n++;
		}
	}
	if (!all && n == 0) {
		usage(stderr);
		return 2;
	}
	if (tool_connect(&c) < 0)
		return 1;
	if (all) {
		memset(&req, 0, sizeof(req));
		if (tool_list(&c, TCPX_OP_SYSCTL_LIST, &req, list_cb, &o) < 0)
			rc = 1;
	}
	/* Every name first: an unknown one stops everything. */
	for (i = 0; i < n; i++) {
		int r = call(&c, TCPX_OP_SYSCTL_GET, s[i].name, NULL, &rep);

		if (r < 0) {
			fprintf(stderr, "tcpx sysctl: %s: %s%s\n", s[i].name,
			    why(r), s[i].set || n > 1 ? "; nothing changed" :
			    "");
			tcpx_client_close(&c);
			return 1;
		}
		snprintf(s[i].old, sizeof(s[i].old), "%s",
		    rep.u.sysctl.value);
	}
	for (i = 0; i < n && failed < 0; i++) {
		int r;

		if (!s[i].set) {
			print_one(&o, s[i].name, s[i].old);
			continue;
		}
		r = call(&c, TCPX_OP_SYSCTL_SET, s[i].name, s[i].value, &rep);
		if (r < 0) {
			fprintf(stderr, "tcpx sysctl: %s: %s '%s'; nothing "
			    "changed\n", s[i].name, r == -EINVAL ?
			    "invalid value" : why(r), s[i].value);
			failed = i;
			break;
		}
		s[i].done = 1;
		if (!o.quiet)
			print_one(&o, rep.u.sysctl.name, rep.u.sysctl.value);
	}
	if (failed >= 0) {
		for (i = failed - 1; i >= 0; i--)
			if (s[i].done && call(&c, TCPX_OP_SYSCTL_SET, s[i].name,
			    s[i].old, &rep) < 0)
				fprintf(stderr, "tcpx sysctl: could not put "
				    "%s back to %s\n", s[i].name, s[i].old);
		rc = 1;
	}
	tcpx_client_close(&c);
	return rc;
}
