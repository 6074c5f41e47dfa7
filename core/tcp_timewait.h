/*
 * tcp_timewait.h - the TIME-WAIT bucket, Linux's inet_timewait_sock in
 * miniature.  A connection in TIME-WAIT needs only enough to ACK a
 * retransmitted FIN, to answer PAWS, and to decide whether a new SYN or
 * connect() may take its tuple over; the full tcp_sock is freed.
 */
#ifndef TCPX_TCP_TIMEWAIT_H
#define TCPX_TCP_TIMEWAIT_H

#include <stdint.h>
#include <sys/queue.h>

#include "tcp_var.h"

#define TW_F_REUSEADDR	0x01	/* the socket had SO_REUSEADDR (bind rules) */
#define TW_F_REUSEPORT	0x02	/* ... SO_REUSEPORT */

struct tcp_tw {
	struct tcp_hnode h;		/* first member; h.kind = TCP_HK_TW */
	TAILQ_ENTRY(tcp_tw) q_link;	/* e->tcp.tw_queue, in expiry order */
	uint64_t expire_us;		/* absolute engine time */
	uint32_t snd_nxt, rcv_nxt;	/* the seq and ack of our ACKs */
	uint32_t ts_recent;		/* peer's last TSval (PAWS, TSecr) */
	uint32_t ts_stamp_ms;		/* ms clock at ts_recent; 0: no TS */
	uint32_t ts_off;		/* our timestamp offset */
	uint32_t last_oow_ms;		/* ms clock of our last rate-limited ACK */
	uint16_t wnd;			/* window field of our ACKs, scaled */
	uint8_t flags;			/* TW_F_* */
};

/*
 * The port table counts TIME-WAIT buckets per port by their reuse flags
 * (every bucket's local address is the stack's one address, so the
 * flags are all bind() needs to judge a conflict).  tcp_hash.c.
 */
int tcp_port_tw_add(struct tcpx_engine *e, uint16_t lport, uint8_t flags);
void tcp_port_tw_del(struct tcpx_engine *e, uint16_t lport, uint8_t flags);

/* tcp_timewait.c: the queue's timer, set up by tcp_stack_init. */
void tcp_tw_init(struct tcpx_engine *e);
/* Kill a bucket, telling the host's state trace why. */
void tcp_tw_end(struct tcpx_engine *e, struct tcp_tw *tw, const char *cause);
/* Free every bucket (engine teardown). */
void tcp_tw_free_all(struct tcpx_engine *e);
/* One ss-style record (tcpx_foreach). */
void tcp_tw_info_fill(struct tcpx_engine *e, const struct tcp_tw *tw,
    struct tcpx_sockinfo *info);

#endif /* TCPX_TCP_TIMEWAIT_H */
