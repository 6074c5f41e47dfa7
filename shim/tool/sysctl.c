/*
 * sysctl.c - `tcpx sysctl`: the stack's tunables, named and printed as
 * sysctl(8) names and prints the kernel's.
 *
 *   tcpx sysctl -a                     every tunable
 *   tcpx sysctl NAME...                one each, "NAME = VALUE"
 *   tcpx sysctl [-w] NAME=VALUE...     set (root, or tcpxd's user)
 *   -n: values only
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "tool.h"

static int values_only;

static void
print_one(const char *name, const char *value)
{
	if (values_only)
		printf("%s\n", value);
	else
		printf("%s = %s\n", name, value);
}

static void
list_cb(void *arg, const struct tcpx_ctl_rep *rep)
{
	(void)arg;
	print_one(rep->u.sysctl.name, rep->u.sysctl.value);
}

static int
get_or_set(struct tcpx_client *c, const char *arg)
{
	struct tcpx_ctl_req req;
	struct tcpx_ctl_rep rep;
	const char *eq = strchr(arg, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	const char *val = eq != NULL ? eq + 1 : NULL;
	int rc;

	memset(&req, 0, sizeof(req));
	/* "a.b = c" and "a.b=c" alike, as sysctl(8) takes them. */
	while (nlen > 0 && arg[nlen - 1] == ' ')
		nlen--;
	while (val != NULL && *val == ' ')
		val++;
	if (nlen == 0 || nlen >= sizeof(req.u.sysctl.name) ||
	    (val != NULL && strlen(val) >= sizeof(req.u.sysctl.value))) {
		fprintf(stderr, "tcpx sysctl: bad setting '%s'\n", arg);
		return 1;
	}
	memcpy(req.u.sysctl.name, arg, nlen);
	if (val != NULL)
		snprintf(req.u.sysctl.value, sizeof(req.u.sysctl.value), "%s",
		    val);
	/* Dashes and slashes as sysctl(8) accepts them. */
	for (char *p = req.u.sysctl.name; *p != '\0'; p++)
		if (*p == '/')
			*p = '.';
	rc = tcpx_client_call(c, val != NULL ? TCPX_OP_SYSCTL_SET :
	    TCPX_OP_SYSCTL_GET, -1, &req, sizeof(req), &rep, NULL);
	if (rc < 0) {
		fprintf(stderr, "tcpx sysctl: %s: %s\n", req.u.sysctl.name,
		    rc == -ENOENT ? "no such tunable (tcpx sysctl -a lists "
		    "them)" : rc == -EINVAL ? "invalid value" :
		    rc == -EPERM ? "permission denied (root or tcpxd's user "
		    "only)" : strerror(-rc));
		return 1;
	}
	print_one(rep.u.sysctl.name, rep.u.sysctl.value);
	return 0;
}

int
cmd_sysctl(int argc, char **argv)
{
	struct tcpx_client c;
	struct tcpx_ctl_req req;
	int i, all = 0, rc = 0, nargs = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-a") == 0)
			all = 1;
		else if (strcmp(argv[i], "-n") == 0)
			values_only = 1;
		else if (strcmp(argv[i], "-w") == 0 ||
		    strcmp(argv[i], "-q") == 0)
			;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			printf("usage: tcpx sysctl [-n] -a | NAME... | "
			    "[-w] NAME=VALUE...\n"
			    "  the stack's tunables, named after Linux's "
			    "(net.ipv4.tcp_syncookies...)\n");
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "tcpx sysctl: unknown option %s\n",
			    argv[i]);
			return 2;
		} else
			nargs++;
	}
	if (!all && nargs == 0) {
		fprintf(stderr, "usage: tcpx sysctl [-n] -a | NAME... | "
		    "[-w] NAME=VALUE...\n");
		return 2;
	}
	if (tool_connect(&c) < 0)
		return 1;
	if (all) {
		memset(&req, 0, sizeof(req));
		if (tool_list(&c, TCPX_OP_SYSCTL_LIST, &req, list_cb, NULL) < 0)
			rc = 1;
	}
	for (i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			rc |= get_or_set(&c, argv[i]);
	tcpx_client_close(&c);
	return rc;
}
