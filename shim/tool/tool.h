/*
 * tool.h - the tcpx command: one file per subcommand, dispatched by
 * main.c from the table below.
 */
#ifndef TCPX_TOOL_H
#define TCPX_TOOL_H

#include <stddef.h>
#include <stdint.h>

struct tool_cmd {
	const char *name;
	const char *summary;		/* one line for `tcpx --help` */
	int (*run)(int argc, char **argv);	/* argv[0] is the name */
};

/* run.c */
int cmd_run(int argc, char **argv);

/* sysctl.c, nstat.c, trace.c */
int cmd_sysctl(int argc, char **argv);
int cmd_nstat(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/* ss.c */
int cmd_ss(int argc, char **argv);
int cmd_status(int argc, char **argv);

struct tcpx_client;
struct tcpx_ctl_req;
struct tcpx_ctl_rep;
/* Connect to the tcpxd of the configured interface, or say why not. */
int tool_connect(struct tcpx_client *c);
/* A listing request: cb per record; the count, or -errno. */
int tool_list(struct tcpx_client *c, uint32_t op, struct tcpx_ctl_req *req,
    void (*cb)(void *arg, const struct tcpx_ctl_rep *rep), void *arg);

/* The directory holding this executable (no trailing slash); 0/-1. */
int tool_self_dir(char *buf, size_t len);

#endif /* TCPX_TOOL_H */
