/*
 * harness.h - drive one engine from a Check test: a fake clock, a fixed
 * secret, frames captured as the engine sends them, segments built and
 * injected as a peer would send them.
 *
 * Addresses: we are 10.0.0.2/24, the peer is 10.0.0.1; on Ethernet our
 * MAC is 02:00:00:00:00:02 and the peer's 02:00:00:00:00:01, and the
 * peer's ARP entry is installed permanently (as `ip neigh add ... nud
 * permanent`) so TCP tests see no ARP traffic; ARP tests use
 * h_new_opts(..., H_NO_STATIC_ARP).
 */
#ifndef TCPX_HARNESS_H
#define TCPX_HARNESS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "engine.h"
#include "tcpx.h"
#include "wire.h"

#define H_START_US	1000000ULL

/* One frame the engine sent, copied. */
struct h_frame {
	STAILQ_ENTRY(h_frame) link;
	uint64_t sent_us;
	size_t len;
	uint8_t data[];
};
STAILQ_HEAD(h_frame_q, h_frame);

/* One ops->trace_seg call, copied (only kept when h->keep_trace). */
struct h_trace {
	STAILQ_ENTRY(h_trace) link;
	int dir;
	uint64_t now_us;
	size_t len;
	uint8_t ip[];
};
STAILQ_HEAD(h_trace_q, h_trace);

struct harness {
	struct tcpx_engine *e;
	uint64_t now;
	struct tcpx_config cfg;
	struct h_frame_q out;
	size_t nout;
	struct h_frame *cur;		/* the frame h_take returned last */
	uint64_t last_sent_us;
	bool skip_arp;			/* h_take passes over ARP (default) */
	unsigned *events;		/* per socket id, ORed TCPX_EV_* */
	int nevents;
	bool keep_trace;		/* record trace_seg calls */
	struct h_trace_q trace;
	unsigned ntrace_in, ntrace_out;	/* trace_seg calls counted always */
	unsigned nstate;		/* trace_state calls */
	int last_state_from, last_state_to;
	char last_state_cause[64];
	unsigned ntimer;		/* trace_timer calls */
	char last_timer[32];
	uint8_t peer_mac[6];
	uint32_t peer_addr;		/* network order */
	uint16_t peer_ip_id;
	/*
	 * ops->deliver: the engine's call goes here when this is set; it
	 * returns what the "reader" took.
	 */
	size_t (*deliver)(struct harness *h, int sock, const uint8_t *data,
	    size_t len);
	void *deliver_arg;
	unsigned ndeliver;		/* ops->deliver calls */
};

#define H_NO_STATIC_ARP	0x01	/* Ethernet: do not install the peer's entry */

struct harness *h_new(void);		/* RAWIP, 10.0.0.2/24, clock 1 s */
struct harness *h_new_ether(void);	/* Ethernet, see above */
struct harness *h_new_cfg(const struct tcpx_config *cfg, uint64_t now);
struct harness *h_new_opts(const struct tcpx_config *cfg, uint64_t now,
    unsigned flags);
/* The config h_new / h_new_ether use, to modify and pass to h_new_cfg. */
void h_default_cfg(struct tcpx_config *cfg, enum tcpx_link link);
void h_free(struct harness *h);

/* now += us, then tcpx_advance. */
void h_advance(struct harness *h, uint64_t us);
/* Fire timers one deadline at a time up to abs_us (h->now ends there). */
void h_run_until(struct harness *h, uint64_t abs_us);

struct h_seg {
	uint32_t saddr, daddr;	/* network order; 0 = peer / us */
	uint16_t sport, dport;	/* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	struct tcp_opts opt;
	const void *data;
	uint32_t len;
	uint8_t ttl;		/* 0 = 64 */
};
/* Build, checksum, wrap in IPv4 (+Ethernet), tcpx_input at h->now. */
void h_inject(struct harness *h, const struct h_seg *s);
void h_inject_raw(struct harness *h, const uint8_t *frame, size_t len);
/* Build the frame h_inject would send, into buf; returns its length. */
size_t h_build_frame(struct harness *h, const struct h_seg *s, uint8_t *buf,
    size_t cap);
/* Wrap an IPv4 packet in the peer's Ethernet header when on Ethernet. */
size_t h_wrap_ip(struct harness *h, const uint8_t *ip, size_t len,
    uint8_t *buf, size_t cap);

/* Frames captured and not yet taken (ARP included). */
size_t h_out_count(struct harness *h);
/*
 * Pop the next TCP segment the engine sent, parsed (ARP frames skipped
 * when h->skip_arp).  false if none is queued or the next frame is not a
 * valid TCP segment (it is consumed).  Data valid until the next take.
 */
bool h_take(struct harness *h, struct tcp_seg *out);
/* Pop the next frame raw; *len set; valid until the next take. */
const uint8_t *h_take_frame(struct harness *h, size_t *len);
void h_clear_out(struct harness *h);
/* TCPX_EV_* bits seen for `sock` since the last call, then cleared. */
unsigned h_events(struct harness *h, int sock);

void h_peer_sockaddr(struct sockaddr_in *sin, uint16_t port);
void h_local_sockaddr(struct sockaddr_in *sin, uint16_t port);
/* "SYN|ACK" style, for messages. */
const char *h_flags_str(uint8_t flags, char buf[48]);
/* A counter by "Group:Name"; aborts the test on an unknown name. */
uint64_t h_mib(struct harness *h, const char *name);

#define H_PEER_ADDR	htonl(0x0a000001)
#define H_LOCAL_ADDR	htonl(0x0a000002)

/* Check-assert helpers (include <check.h> before using them). */
#define H_EXPECT(h, sp, FLAGS, SEQ, ACK) do {				\
	char h_fb1_[48], h_fb2_[48];					\
	ck_assert_msg(h_take((h), (sp)), "no segment sent");		\
	ck_assert_msg((sp)->flags == (uint8_t)(FLAGS),			\
	    "flags %s, want %s", h_flags_str((sp)->flags, h_fb1_),	\
	    h_flags_str((uint8_t)(FLAGS), h_fb2_));			\
	ck_assert_uint_eq((sp)->seq, (uint32_t)(SEQ));			\
	ck_assert_uint_eq((sp)->ack, (uint32_t)(ACK));			\
} while (0)

#define H_EXPECT_NONE(h)						\
	ck_assert_msg(h_out_count(h) == 0, "%zu unexpected frame(s) sent", \
	    h_out_count(h))

#endif /* TCPX_HARNESS_H */
