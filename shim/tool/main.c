/*
 * main.c - `tcpx SUBCOMMAND ...`: the dispatcher and the top-level help.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const struct tool_cmd cmds[] = {
	{ "run", "run a program over the tcpx stack (LD_PRELOAD=libtcpx.so)",
	    cmd_run },
	{ "ss", "list the stack's sockets, as ss(8) does the kernel's",
	    cmd_ss },
	{ "status", "is tcpxd running here, and what does it serve",
	    cmd_status },
	{ "sysctl", "read or set the stack's tunables, as sysctl(8)",
	    cmd_sysctl },
	{ "nstat", "the stack's counters, as nstat(8)", cmd_nstat },
	{ "trace", "watch segments, state changes and timers live",
	    cmd_trace },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: tcpx COMMAND [ARGS...]\n"
	    "       tcpx COMMAND --help\n"
	    "\n"
	    "tcpx is a user-level TCP/IPv4 stack; unmodified programs use it\n"
	    "through libtcpx.so, and one tcpxd per interface runs the stack.\n"
	    "\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
	    "\n"
	    "configuration (environment, or /etc/tcpx.conf; inside the lab's\n"
	    "tcpx-host namespace the lab's values are the defaults):\n"
	    "  TCPX_IFACE=NAME  TCPX_ADDR=a.b.c.d/len  TCPX_GATEWAY=a.b.c.d\n"
	    "  TCPX_LISTEN=kernel  leave wildcard listeners to the kernel\n"
	    "  TCPX_DEBUG=1        trace the shim's decisions on stderr\n"
	    "\n"
	    "example, in the lab:\n"
	    "  scripts/lab exec host tcpx run curl http://10.77.0.1:8000/\n");
}

int
tool_self_dir(char *buf, size_t len)
{
	char path[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		return -1;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	if (strlen(path) >= len)
		return -1;
	strcpy(buf, path);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < NCMDS; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tcpx: unknown command '%s' (see tcpx --help)\n",
	    argv[1]);
	return 2;
}
