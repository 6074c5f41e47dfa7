/*
 * tool.h - the tcpx command: one file per subcommand, dispatched by
 * main.c from the table below.
 */
#ifndef TCPX_TOOL_H
#define TCPX_TOOL_H

struct tool_cmd {
	const char *name;
	const char *summary;		/* one line for `tcpx --help` */
	int (*run)(int argc, char **argv);	/* argv[0] is the name */
};

/* run.c */
int cmd_run(int argc, char **argv);

/* The directory holding this executable (no trailing slash); 0/-1. */
int tool_self_dir(char *buf, size_t len);

#endif /* TCPX_TOOL_H */
