/*
 * tcp_sock.h - one full TCP connection (Linux's struct tcp_sock, BSD's
 * tcpcb).  Request socks (tcp_listen.c) and TIME-WAIT buckets
 * (tcp_timewait.c) are much smaller objects of their own.
 *
 * The sequence variables keep RFC 9293's names (snd_una, snd_nxt,
 * snd_wnd, snd_wl1, snd_wl2, rcv_nxt, rcv_wnd); deadlines are absolute
 * microseconds on the engine clock, 0 when not armed, and the single
 * embedded engine timer is kept at the earliest of them (tcp_timer.c).
 */
#ifndef TCPX_TCP_SOCK_H
#define TCPX_TCP_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "tcp_var.h"
#include "timer.h"

/* A byte ring: the send queue (unacked + unsent) or the receive queue. */
struct tcp_ring {
	uint8_t *buf;
	uint32_t cap;		/* allocated bytes (grows up to `max`) */
	uint32_t max;		/* SO_SNDBUF / SO_RCVBUF limit in bytes */
	uint32_t head;		/* offset of the first byte */
	uint32_t len;		/* bytes held */
};

/* One out-of-order segment held for reassembly (kept sorted by seq). */
struct tcp_ofo {
	TAILQ_ENTRY(tcp_ofo) link;
	uint32_t seq;
	uint32_t len;
	bool fin;		/* a FIN follows the last byte */
	uint8_t data[];
};
TAILQ_HEAD(tcp_ofoq, tcp_ofo);

struct tcp_sockopts {
	bool reuseaddr, reuseport, keepalive, nodelay, cork, linger,
	    fastopen_connect, fastopen_no_cookie;
	int linger_secs, rcvbuf, sndbuf, keepidle, keepintvl, keepcnt,
	    user_mss, syncnt, fastopen_qlen, defer_accept;
	uint32_t uid;
};

struct tcp_sock {
	struct tcp_hnode h;	/* first member; h.kind = TCP_HK_SOCK */
	int id;			/* host socket id or -1 (orphan / not accepted) */
	int state;		/* enum tcp_state */
	bool orphan;
	bool bound, hashed;	/* in the port table / in the connection hash */
	LIST_ENTRY(tcp_sock) port_link;	/* port table membership (tcp_hash.c) */
	struct tcp_listen *listen;	/* non-NULL while LISTEN (tcp_listen.c) */
	struct tcp_sock *parent;	/* the listener while in its accept queue */
	TAILQ_ENTRY(tcp_sock) accept_link;
	struct tcpx_timer timer;	/* earliest of the deadlines below */
	int so_error;		/* positive errno, SO_ERROR */
	struct tcp_sockopts opt;

	/* Application side. */
	bool shut_rd;		/* shutdown(SHUT_RD) or closed */
	bool shut_wr;		/* shutdown(SHUT_WR) or closed: FIN is due */
	bool connecting;	/* tcpx_connect in progress (SYN-SENT) */
	bool passive;		/* created from a listener */
	bool userbound;		/* bind() chose the port (tcp_usrreq.c) */

	/* RFC 9293 send sequence variables. */
	uint32_t iss;
	uint32_t snd_una, snd_nxt;
	uint32_t snd_max;	/* highest sequence sent + 1 */
	uint32_t snd_wnd;	/* peer's window, scaled */
	uint32_t max_window;	/* largest window the peer offered */
	uint32_t snd_wl1, snd_wl2;
	bool fin_sent;		/* our FIN has a sequence number: fin_seq */
	uint32_t fin_seq;

	/* RFC 9293 receive sequence variables. */
	uint32_t irs;
	uint32_t rcv_nxt;
	uint32_t rcv_wnd;	/* window last advertised (bytes) */
	uint32_t rcv_adv;	/* rcv_nxt + rcv_wnd when last advertised */
	bool rcv_fin;		/* peer's FIN received (in order) */

	/* Negotiated at the handshake. */
	uint16_t mss;		/* effective send MSS (payload, no options) */
	uint16_t peer_mss;	/* peer's MSS option */
	uint16_t advmss;	/* MSS we advertised */
	uint16_t rcv_mss;	/* estimate of the peer's segment size */
	bool wscale_ok, sack_ok, ts_ok;
	uint8_t snd_wscale, rcv_wscale;
	uint32_t ts_recent;	/* RFC 7323 TS.Recent */
	uint64_t ts_recent_stamp;	/* engine time TS.Recent was set (us) */
	uint32_t ts_off;	/* our timestamp offset */

	/* Buffers. */
	struct tcp_ring snd;	/* from snd_una: unacked then unsent bytes */
	struct tcp_ring rcv;	/* in-order bytes not yet read */
	struct tcp_ofoq ofo;	/* out-of-order segments beyond rcv_nxt */
	uint32_t ofo_bytes;

	/* Retransmission (RFC 6298) and congestion control (NewReno). */
	uint32_t srtt_us, rttvar_us, rto_us;
	bool rtt_valid;
	bool rtt_timing;	/* a segment is being timed (no timestamps) */
	uint32_t rtt_seq;	/* ... ending at this sequence */
	uint64_t rtt_start;	/* ... sent at this time */
	uint32_t retransmits;	/* consecutive timeouts of the same data */
	uint32_t backoff;	/* RTO doublings now in effect */
	uint64_t retrans_stamp;	/* first (re)transmission of the head, us */
	uint32_t snd_cwnd;	/* segments */
	uint32_t snd_ssthresh;	/* segments */
	uint32_t cwnd_acked;	/* bytes acked towards the next cwnd step */
	uint32_t dupacks;
	bool in_recovery;
	uint32_t recover;	/* NewReno: snd_max when recovery started */

	/* Deadlines (absolute us; 0 = off). */
	uint64_t rto_at;	/* SYN / data / FIN retransmission */
	uint64_t delack_at;	/* delayed ACK */
	uint64_t keep_at;	/* keepalive */
	uint64_t persist_at;	/* zero-window probe */
	uint64_t fw2_at;	/* orphaned FIN-WAIT-2 */

	/* Delayed ACK (Linux's icsk_ack). */
	uint32_t ato_us;
	uint32_t quickack;	/* segments still to ACK at once */
	uint32_t ack_pending;	/* bytes received since our last ACK */
	bool ack_now;		/* an ACK is owed right now */
	uint64_t lrcv_us;	/* time of the last data segment */

	/* Probes. */
	uint32_t probes_out;	/* keepalive or window probes unanswered */
	uint32_t keepalive_probes;	/* total keepalive probes sent */

	/* RFC 5961 per-socket challenge-ACK rate limit. */
	uint64_t last_oow_ack_us;

	/* Fast Open, client side. */
	bool tfo_req;		/* our SYN asked for a cookie */
	bool tfo_syn_data;	/* our SYN carried data (snd has it) */
	uint32_t tfo_syn_len;	/* bytes of data carried in the SYN */

	/* Timestamps of activity for TCP_INFO (us). */
	uint64_t last_snd_us, last_rcv_us, last_ack_us;

	/* Counters for TCP_INFO. */
	uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
	uint32_t segs_out, segs_in, total_retrans;
};

#endif /* TCPX_TCP_SOCK_H */
