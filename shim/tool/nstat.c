/*
 * nstat.c - `tcpx nstat`: the stack's counters, named as in
 * /proc/net/snmp and /proc/net/netstat and printed as nstat(8) -a does
 * (absolute values; tcpx keeps no history file).
 *
 *   tcpx nstat [-z] [PATTERN...]   -z: zeros too; PATTERN: substring of
 *                                  "Group:Name" or a Name ("TcpExtListenDrops")
 */
#include <stdio.h>
#include <string.h>

#include "ctl_client.h"
#include "tool.h"

struct nstat_opts {
	int zeros;
	int npat;
	char **pat;
};

static int
matches(const struct nstat_opts *o, const char *name, const char *joined)
{
	int i;

	if (o->npat == 0)
		return 1;
	for (i = 0; i < o->npat; i++)
		if (strstr(joined, o->pat[i]) != NULL ||
		    strstr(name, o->pat[i]) != NULL)
			return 1;
	return 0;
}

static void
one(void *arg, const struct tcpx_ctl_rep *rep)
{
	const struct nstat_opts *o = arg;
	char group[TCPX_CTL_NAMELEN], joined[TCPX_CTL_NAMELEN * 2];
	const char *colon = strchr(rep->u.mib.name, ':');
	const char *name;

	if (colon == NULL)
		return;
	snprintf(group, sizeof(group), "%.*s", (int)(colon - rep->u.mib.name),
	    rep->u.mib.name);
	name = colon + 1;
	/* nstat(8) prints "TcpExtListenDrops": group and name joined. */
	snprintf(joined, sizeof(joined), "%s%s", group, name);
	if (rep->u.mib.value == 0 && !o->zeros)
		return;
	if (!matches(o, name, joined))
		return;
	printf("%-32s %-12llu %s\n", joined,
	    (unsigned long long)rep->u.mib.value, "0.0");
}

int
cmd_nstat(int argc, char **argv)
{
	struct nstat_opts o = { 0 };
	struct tcpx_client c;
	struct tcpx_ctl_req req;
	int i, rc;

	o.pat = argv;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-z") == 0 ||
		    strcmp(argv[i], "--zeros") == 0)
			o.zeros = 1;
		else if (strcmp(argv[i], "-a") == 0 ||
		    strcmp(argv[i], "-s") == 0)
			;	/* absolute values are all there is */
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			printf("usage: tcpx nstat [-z] [PATTERN...]\n"
			    "  the stack's counters as nstat -a prints the "
			    "kernel's; -z: zeros too\n");
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "tcpx nstat: unknown option %s\n",
			    argv[i]);
			return 2;
		} else
			o.pat[o.npat++] = argv[i];
	}
	if (tool_connect(&c) < 0)
		return 1;
	printf("#kernel\n");
	memset(&req, 0, sizeof(req));
	rc = tool_list(&c, TCPX_OP_NSTAT, &req, one, &o);
	tcpx_client_close(&c);
	return rc < 0 ? 1 : 0;
}
