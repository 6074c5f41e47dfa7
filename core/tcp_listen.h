/*
 * tcp_listen.h - the passive-open side: a listener's queues and the
 * request sock that stands for a connection in SYN-RECEIVED until the
 * third ACK (Linux's struct request_sock, BSD's syncache entry).
 *
 * A listener has two queues, sized as Linux sizes them:
 *   - the SYN queue: request socks, at most `backlog` of them
 *     (inet_csk_reqsk_queue_is_full: qlen >= sk_max_ack_backlog), beyond
 *     which a SYN gets a cookie (tcp_syncookies 1) or is dropped (0);
 *   - the accept queue: established children not yet accepted, full
 *     when it holds more than `backlog` (sk_acceptq_is_full), so
 *     backlog + 1 connections fit.
 * The backlog is listen()'s argument clamped to net.core.somaxconn.
 */
#ifndef TCPX_TCP_LISTEN_H
#define TCPX_TCP_LISTEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "tcp_var.h"
#include "timer.h"

/*
 * A connection in SYN-RECEIVED that has no full socket yet.  Lives in the
 * connection hash (h.kind = TCP_HK_REQ) and on its listener's list.
 */
struct tcp_req {
	struct tcp_hnode h;		/* first member */
	struct tcp_sock *listener;
	TAILQ_ENTRY(tcp_req) link;	/* listener's SYN queue */
	/*
	 * SYN-ACK retransmission timer.  Armed when the first SYN-ACK is
	 * sent, 1 s (TCP_TIMEOUT_INIT) out, then 1 s << num_timeout.
	 * Cleared when the request becomes a connection or is dropped.
	 * Expiry: after tcp_synack_retries timeouts (fewer for old
	 * requests when the queue is half full, as Linux's
	 * reqsk_timer_handler prunes) drop the request silently; else
	 * retransmit the SYN-ACK and re-arm.
	 */
	struct tcpx_timer timer;
	uint32_t iss, irs;		/* our ISN, the peer's */
	uint32_t rcv_wnd;		/* our initial window (SYN-ACK: min 65535) */
	uint16_t advmss;		/* the MSS we advertised */
	struct tcp_synopts o;		/* what the SYN negotiated */
	uint8_t num_timeout;		/* SYN-ACK timeouts so far */
	uint8_t num_retrans;		/* SYN-ACKs resent (timeouts or SYNs) */
	bool acked;			/* third ACK came while accept queue full */
	uint64_t created_us;
	uint64_t last_oow_us;		/* rate limit for SYN-ACKs to dup SYNs */
};
TAILQ_HEAD(tcp_reqq, tcp_req);
TAILQ_HEAD(tcp_acceptq, tcp_sock);

/* Per-listener state, hanging off tcp_sock->listen while in LISTEN. */
struct tcp_listen {
	int backlog;			/* sk_max_ack_backlog */
	uint32_t acceptq_len;		/* sk_ack_backlog */
	struct tcp_acceptq acceptq;	/* oldest first */
	struct tcp_reqq reqs;		/* SYN queue, oldest first */
	uint32_t qlen;			/* request socks */
	uint32_t young;			/* ... not yet timed out once */
	/* tcp_synq_overflow: when cookies were last sent (us), 0 = never. */
	uint64_t last_overflow_us;
	bool overflowed;
	/* Fast Open: TCP_FASTOPEN qlen, and children still in SYN-RECEIVED. */
	int tfo_max_qlen;
	uint32_t tfo_qlen;
	struct tcp_tuple *tfo_pending;	/* tuples of those children */
	uint32_t tfo_pending_cap;
};

/* What tcp_fastopen_try leaves for a normal SYN-ACK: a cookie to hand out. */
struct tcp_fastopen_res {
	uint8_t cookie[TCP_FASTOPEN_COOKIE_MAX];
	uint8_t cookie_len;		/* 0: no cookie option in the SYN-ACK */
};

/*
 * tcp_fastopen.c, server side of a SYN (Linux's tcp_try_fastopen): true
 * when a Fast Open child was made, queued for accept and its SYN-ACK
 * sent; false for a normal handshake, with `res` saying which cookie (if
 * any) the SYN-ACK carries.
 */
bool tcp_fastopen_try(struct tcpx_engine *e, struct tcp_sock *lsk,
    const struct tcp_seg *syn, const struct tcp_tuple *t, uint32_t iss,
    const struct tcp_synopts *o, uint16_t advmss, uint32_t rcv_wnd,
    struct tcp_fastopen_res *res);

/* tcp_listen.c helpers shared with tcp_fastopen.c. */
void tcp_listen_send_synack(struct tcpx_engine *e, const struct tcp_tuple *t,
    uint32_t iss, uint32_t ack, const struct tcp_synopts *o, uint16_t advmss,
    uint32_t rcv_wnd, const uint8_t *cookie, uint8_t cookie_len);
void tcp_listen_acceptq_add(struct tcpx_engine *e, struct tcp_sock *lsk,
    struct tcp_sock *child);
bool tcp_listen_acceptq_full(const struct tcp_sock *lsk);

/* Free a request sock (unhash, cancel its timer, unlink from the listener). */
void tcp_req_free(struct tcpx_engine *e, struct tcp_req *req);

/* Fast Open (tcp_fastopen.c): engine-teardown of the client cookie cache. */
void tcp_fastopen_cache_free(struct tcpx_engine *e);

/* SYN cookie time counter (Linux's tcp_cookie_time: one tick a minute). */
uint32_t tcp_cookie_time(const struct tcpx_engine *e);

#endif /* TCPX_TCP_LISTEN_H */
