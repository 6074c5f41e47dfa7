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

/* ss.c; common.c */
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

#include <stdio.h>
/* s as a JSON string, quotes included. */
void tool_json_str(FILE *f, const char *s);

/* The directory holding this executable (no trailing slash); 0/-1. */
int tool_self_dir(char *buf, size_t len);

/*
 * mermaid.c: the TCP header of an IPv4 packet that may be cut short
 * after its headers (trace events carry the first 128 bytes); iplen is
 * the IP total length, so plen is the payload length on the wire.
 */
struct tool_tcph {
	uint32_t saddr, daddr;		/* network order */
	uint16_t sport, dport;		/* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint32_t plen;
	uint8_t optlen;
	uint8_t opt[40];
};
int tool_tcp_hdr(const uint8_t *ip, size_t cap, struct tool_tcph *h);

/*
 * A sequenceDiagram of one connection in the style of the seeds: the
 * tcpx side ("T") and its peer ("P") with their states, one arrow per
 * segment (flags, relative seq/ack, options), state changes as notes
 * (the peer's inferred from the segments, and marked so).
 */
struct mmd;
struct mmd *mmd_new(void);
void mmd_segment(struct mmd *m, int dir, const struct tool_tcph *h);
void mmd_state(struct mmd *m, int from, int to, const char *cause);
void mmd_timer(struct mmd *m, const char *name);
/* Write the diagram (fenced with ```mermaid when fenced); 0 or -errno. */
int mmd_write(const struct mmd *m, const char *path, int fenced);
void mmd_free(struct mmd *m);

#endif /* TCPX_TOOL_H */
