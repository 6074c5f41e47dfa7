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

/* SACKed ranges the sender remembers (more are merged or dropped). */
#define TCP_SB_MAX	16
/* Retransmissions watched for loss of their own (tcp_recovery.c). */
#define TCP_RXT_MAX	8

struct tcp_cc_ops;

/*
 * When each stretch of the sequence space was last sent: one entry per
 * transmission, as Linux keeps one timestamp per skb (skb_mstamp), so
 * that an ACK yields the RTT of the segments it newly covers
 * (tcp_txstamp.c).
 */
struct tcp_txstamp {
	uint32_t seq, end;
	uint64_t sent_us;
	bool retrans;		/* ever sent again: no sample (Karn) */
	bool sacked;		/* SACKed: its sample was taken then */
};
struct tcp_txstamps {
	struct tcp_txstamp *v;	/* v[head .. head + n), sorted by seq */
	uint32_t head, n, cap;
	/* Entries went missing (no memory): no samples until all is ACKed. */
	bool blind;
};

/* A byte ring: the send queue (unacked + unsent) or the receive queue. */
struct tcp_ring {
	uint8_t *buf;
	uint32_t cap;		/* allocated bytes (grows up to `max`) */
	uint32_t max;		/* SO_SNDBUF / SO_RCVBUF limit in bytes */
	uint32_t head;		/* offset of the first byte */
	uint32_t len;		/* bytes held */
};

/* One out-of-order segment held for reassembly (kept sorted by seq). */
/* A range of sequence space, [start, end). */
struct tcp_sack_blk {
	uint32_t start, end;
};

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
	/* The program sized a buffer (Linux's SOCK_SNDBUF_LOCK and
	 * SOCK_RCVBUF_LOCK): no autotuning, and the window scale fits
	 * the receive buffer, not tcp_rmem[2]. */
	bool sndbuf_lock, rcvbuf_lock;
	int linger_secs, rcvbuf, sndbuf, keepidle, keepintvl, keepcnt,
	    user_mss, syncnt, fastopen_qlen, defer_accept;
	uint32_t uid;
	uint8_t congestion;	/* TCP_CONGESTION: enum tcpx_cc + 1; 0 = sysctl */
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
	bool ss_connecting;	/* Linux's SS_CONNECTING: set by connect(), */
				/* cleared when connect() reports the end */

	/* RFC 9293 send sequence variables. */
	uint32_t iss;
	uint32_t snd_una, snd_nxt;
	uint32_t snd_max;	/* highest sequence sent + 1 */
	uint32_t snd_wnd;	/* peer's window, scaled */
	uint32_t max_window;	/* largest window the peer offered */
	uint32_t snd_wl1, snd_wl2;
	bool fin_queued;	/* our FIN is due: it takes sequence fin_seq */
	bool fin_acked;
	uint32_t fin_seq;
	uint32_t snd_sml;	/* end of the last small segment (Minshall) */
	bool more;		/* last send had MSG_MORE: hold a partial segment */

	/* RFC 9293 receive sequence variables. */
	uint32_t irs;
	uint32_t rcv_nxt;
	uint32_t rcv_wnd;	/* window last advertised (bytes) */
	uint32_t rcv_adv;	/* rcv_nxt + rcv_wnd when last advertised */
	uint32_t rcv_wup;	/* rcv_nxt when the window was last sent */
	uint32_t rcv_ssthresh;	/* window growth limit (Linux) */
	uint32_t window_clamp;	/* largest window we will advertise */
	uint8_t scaling_ratio;	/* window per buffer byte, /256 (Linux 6.6+) */
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
	bool sndbuf_auto, rcvbuf_auto;	/* grown as Linux's autotuning */
	uint32_t rcvq_space;	/* bytes the application read per RTT (DRS) */
	uint64_t rcvq_seq;	/* tcp_bytes_app_read at the measure's start */
	uint64_t rcvq_time;
	uint64_t bytes_read;	/* taken by the host (read or delivered) */
	/*
	 * What the host took and the program has not read yet (tcpxd: what
	 * waits in the program's socketpair), in bytes of the host's memory,
	 * counted against the receive buffer as Linux counts its unread
	 * receive queue.  Only once the host reports it (held_tracked,
	 * tcpx_recv_held); until its next report, bytes taken add to it.
	 */
	uint32_t rcv_held;
	bool held_tracked;
	/*
	 * Linux's rcv_rtt_est: the receiver's own RTT, in us << 3 (0: no
	 * sample yet), which paces autotuning and SACK compression.  One
	 * measure runs from rcv_rtt_time until RCV.NXT reaches rcv_rtt_seq
	 * (a window's worth); timestamps give the others.
	 */
	uint32_t rcv_rtt_us8;
	uint32_t rcv_rtt_seq;
	uint64_t rcv_rtt_time;
	bool rcv_rtt_running;
	uint32_t rcv_rtt_last_tsecr;
	struct tcp_ring snd;	/* from snd_una: unacked then unsent bytes */
	struct tcp_ring rcv;	/* in-order bytes not yet read */
	struct tcp_ofoq ofo;	/* out-of-order segments beyond rcv_nxt */
	uint32_t ofo_bytes;
	/*
	 * The SACK blocks our ACKs carry (Linux's selective_acks): the one
	 * the latest out-of-order segment went into first, then the others
	 * in the order they last changed; at most 4, the oldest forgotten
	 * when a fifth starts (tcp_input.c, rx_sack_add).
	 */
	struct tcp_sack_blk rx_sack[TCP_SACK_MAX_BLOCKS];
	uint8_t rx_nsack;

	/* Retransmission (RFC 6298) and congestion control (NewReno). */
	uint32_t srtt_us, rttvar_us, rto_us;
	bool rtt_valid;
	uint32_t retransmits;	/* consecutive timeouts of the same data */
	uint32_t backoff;	/* RTO doublings now in effect */
	uint64_t retrans_stamp;	/* first (re)transmission of the head, us */
	struct tcp_txstamps txs;	/* send times of what is in flight */
	uint32_t snd_cwnd;	/* segments */
	uint32_t snd_ssthresh;	/* segments */
	uint32_t cwnd_acked;	/* bytes acked towards the next cwnd step */
	uint32_t dupacks;
	bool in_recovery;	/* ca_state == TCP_CAS_RECOVERY (TCP_INFO) */
	uint32_t recover;	/* snd_max when recovery / loss started */

	/* Congestion control (tcp_cc.c, tcp_cubic.c). */
	const struct tcp_cc_ops *cc;
	uint8_t cc_id;		/* enum tcpx_cc the ops were chosen for */
	uint8_t ca_state;	/* TCP_CAS_OPEN .. TCP_CAS_LOSS (Linux's) */
	bool cwnd_limited;	/* the last send stopped at cwnd */
	uint32_t max_packets_out;	/* most segments in flight this RTT */
	uint32_t max_packets_seq;	/* ... measured until snd_una passes it */
	uint32_t cwnd_usage_seq;	/* cwnd_limited holds until then */
	uint32_t prior_cwnd, prior_ssthresh;	/* before the reduction */
	uint32_t prr_delivered, prr_out;	/* RFC 6937, in segments */
	uint32_t delay_min_us;	/* smallest RTT sample (CUBIC) */
	uint64_t pacing_rate;	/* bytes/s, Linux's sk_pacing_rate (HyStart) */
	/*
	 * The smallest RTT over the last tcp_min_rtt_wlen seconds (Linux's
	 * rtt_min, a windowed min-filter): the best sample and the best
	 * ones of the window's later quarter and half, each with its time
	 * in ms, so that the minimum can age out without keeping every
	 * sample.
	 */
	struct tcp_minmax {
		struct { uint32_t t, v; } s[3];
	} rtt_min;
	struct tcp_cubic {
		uint32_t cnt;		/* ACKs per cwnd increment */
		uint32_t last_max_cwnd;	/* W_max */
		uint32_t last_cwnd;
		uint32_t last_time;	/* ms */
		uint32_t origin_point;
		uint32_t k;		/* K in 1/1024 s */
		uint32_t epoch_start;	/* ms, 0 = no epoch */
		uint32_t ack_cnt;
		uint32_t tcp_cwnd;	/* the Reno-friendly estimate */
		/* HyStart: slow start's round in progress. */
		uint32_t round_start;	/* us (32-bit clock), when it began */
		uint32_t last_ack;	/* us, the last ACK of the train */
		uint32_t end_seq;	/* it ends when SND.UNA passes this */
		uint32_t curr_rtt;	/* its smallest RTT sample, us */
		uint8_t sample_cnt;	/* samples it has taken */
		bool found;		/* slow start's exit point was found */
	} cubic;

	/* RFC 6675 SACK scoreboard and loss marks (tcp_sack.c). */
	struct tcp_sack_blk sb[TCP_SB_MAX];
	uint8_t sb_n;		/* SACKed ranges above SND.UNA, sorted */
	uint32_t sacked_bytes;	/* bytes the scoreboard covers */
	uint32_t reno_sacked;	/* no SACK: duplicate ACKs stand for segments */
	uint32_t lost_end;	/* un-SACKed bytes below this are lost */
	uint32_t high_rxt;	/* RFC 6675 HighRxt */
	/*
	 * Undo (Linux's undo_marker, undo_retrans, retrans_stamp): a
	 * reduction found spurious is taken back.  undo_marker is SND.UNA
	 * when it began; undo_retrans counts its retransmissions not yet
	 * D-SACKed (-1: none yet, for 0 means "all came back twice");
	 * undo_stamp_us is when the first retransmission since CA_Open
	 * went: an ACK echoing an older TSval was sent for an original.
	 * It stays armed after the episode, so that late D-SACKs undo.
	 */
	uint32_t undo_marker;
	bool undo_armed;
	int32_t undo_retrans;
	uint64_t undo_stamp_us;
	uint32_t dsack_dups;	/* segments D-SACKed, ever (Linux's) */
	/* F-RTO (RFC 5682, net.ipv4.tcp_frto): this timeout is on trial. */
	bool frto;
	bool frto_new;		/* step 2b: new data, not the holes, now */
	/* Recent retransmissions: where, and snd_max when they went. */
	struct tcp_rxt_rec { uint32_t seq, mark; } rxt[TCP_RXT_MAX];
	uint8_t rxt_n;
	/*
	 * RACK (RFC 8985, Linux's tp->rack; tcp_rack.c): the send time and
	 * end of the most recently sent segment among those delivered, the
	 * RTT it gave, and whether an ACK moved it since the last look;
	 * the reordering window's adaptation to D-SACKs.
	 */
	struct tcp_rack {
		uint64_t mstamp;
		uint32_t end_seq;
		uint32_t rtt_us;
		uint8_t reo_wnd_steps;	/* reo_wnd in min_rtt / 4 */
		uint8_t reo_wnd_persist;	/* recoveries the steps last */
		bool dsack_seen;	/* a D-SACK since the last step */
		bool advanced;
		/* Resends the last look found lost again, and sent again. */
		uint32_t lost_rxt;
		/* When the last step was taken (Linux's last_delivered). */
		uint64_t last_step_us;
	} rack;
	uint32_t reord_seen;	/* reorderings observed (tcpi_reord_seen) */
	/*
	 * Linux's tp->reordering: how far (in segments) data has been seen
	 * overtaken, from net.ipv4.tcp_reordering up to tcp_max_reordering;
	 * DupThresh where RFC 6675 or NewReno marks losses, and the SACK
	 * count that zeroes RACK's window before reordering is seen.
	 */
	uint32_t reordering;

	/* RFC 2883 D-SACK to report in our next ACK. */
	bool dsack;
	uint32_t dsack_start, dsack_end;

	/*
	 * Linux's SACK compression (tcp_input.c, sack_compress): past the
	 * third duplicate ACK for one RCV.NXT, the ACKs out-of-order data
	 * asks for wait a little, so that a burst gets one.
	 */
	uint32_t comp_acks;	/* ACKs held back (tp->compressed_ack) */
	uint32_t comp_rcv_nxt;	/* the RCV.NXT they are counted for */
	uint8_t dupacks_sent;	/* dup_ack_counter */
	uint64_t comp_ack_at;	/* the held ACK goes then */

	/* Linux's tcp_rtt_estimator state (us). */
	uint32_t srtt8_us;	/* srtt << 3 */
	uint32_t mdev_us, mdev_max_us, rttvar4_us;
	uint32_t rtt_est_seq;	/* end of the RTT the variance is kept for */

	/* Delayed ACK: Linux's pingpong (interactive) mode. */
	uint8_t pingpong;

	/* Deadlines (absolute us; 0 = off). */
	uint64_t syn_sent_us;	/* first SYN (or SYN-ACK) sent */
	uint64_t rto_at;	/* SYN / data / FIN retransmission */
	uint64_t delack_at;	/* delayed ACK */
	uint64_t keep_at;	/* keepalive */
	uint64_t persist_at;	/* zero-window probe */
	uint64_t fw2_at;	/* orphaned FIN-WAIT-2 */
	uint64_t tlp_at;	/* tail loss probe (RFC 8985 7) */
	uint64_t reo_at;	/* RACK reordering timeout (RFC 8985 6.2) */
	uint32_t tlp_high_seq;	/* snd_max when the probe went; 0 = none */
	bool tlp_retrans;	/* the probe resent old data */

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
	bool tfo_req;		/* our SYN had a Fast Open option */
	bool tfo_opt;		/* the next SYN carries it (first one only) */
	uint8_t tfo_cookie_len;
	uint8_t tfo_cookie[TCP_FASTOPEN_COOKIE_MAX];
	bool tfo_syn_data;	/* our SYN carried data (snd has it) */
	uint32_t tfo_syn_len;	/* bytes of data carried in the SYN */
	/*
	 * Linux's sk_write_pending: a blocking sendto(MSG_FASTOPEN) whose
	 * data did not go in the SYN waits to send it once connected, so
	 * the SYN-ACK's ACK can wait for that data.
	 */
	bool write_pending;

	/* Timestamps of activity for TCP_INFO (us). */
	uint64_t last_snd_us, last_rcv_us, last_ack_us;
	uint64_t lsndtime_us;	/* last data sent (cwnd restart after idle) */

	/* Counters for TCP_INFO. */
	uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
	uint32_t segs_out, segs_in, total_retrans;
};

/*
 * Internal calls between the state-machine files (tcp_subr.c,
 * tcp_input.c, tcp_output.c, tcp_timer.c, tcp_usr.c, tcp_buf.c).
 */

/* Linux's constants, in microseconds. */
#define TCP_RTO_MIN_US		200000ULL
#define TCP_RTO_MAX_US		120000000ULL
#define TCP_TIMEOUT_INIT_US	1000000ULL
#define TCP_TIMEOUT_FALLBACK_US	3000000ULL
#define TCP_ATO_MIN_US		40000ULL
#define TCP_DELACK_MAX_US	200000ULL
#define TCP_DELACK_TICK_US	4000ULL		/* one jiffy at HZ=250 */
#define TCP_INIT_CWND		10
#define TCP_MAX_QUICKACKS	16
#define TCP_FASTRETRANS_THRESH	3	/* duplicate ACKs before SACK compression */
/* SACK blocks an ACK is expected to carry (Linux): changing one
 * further down sends a compressed ACK first. */
#define TCP_SACK_BLOCKS_EXPECTED 2
#define TCP_MSS_DEFAULT		536U	/* as <netinet/tcp.h>, so both may be included */
#define TCP_PAWS_24DAYS_US	(24ULL * 24 * 3600 * 1000000)
/* TSval ticks PAWS lets a segment lag TS.Recent by (Linux's TCP_PAWS_WINDOW). */
#define TCP_PAWS_WINDOW		1
#define TCP_PINGPONG_THRESH	1	/* Linux 6.x */

/* Linux's congestion-avoidance states (tcpi_ca_state). */
#define TCP_CAS_OPEN	0
#define TCP_CAS_DISORDER	1
#define TCP_CAS_CWR	2
#define TCP_CAS_RECOVERY	3
#define TCP_CAS_LOSS	4

/* tcp_buf.c: byte rings and out-of-order reassembly. */
void tcp_ring_free(struct tcp_ring *r);
uint32_t tcp_ring_space(const struct tcp_ring *r);
/* Append up to len bytes (as many as `max` allows); returns bytes taken. */
uint32_t tcp_ring_write(struct tcp_ring *r, const uint8_t *data,
    uint32_t len);
/* The same, with a limit other than r->max. */
uint32_t tcp_ring_write_max(struct tcp_ring *r, const uint8_t *data,
    uint32_t len, uint32_t max);
/*
 * Room for up to len more bytes (as many as r->max allows), as one or
 * two pieces after the content (iov[0..2)); returns their total, 0 when
 * full or out of memory.  tcp_ring_commit(r, n) then appends the n bytes
 * written there, n at most that total.
 */
uint32_t tcp_ring_reserve(struct tcp_ring *r, uint32_t len,
    struct iovec iov[2], int *iovcnt);
void tcp_ring_commit(struct tcp_ring *r, uint32_t n);
/*
 * Would tcp_ring_write or tcp_ring_reserve of len bytes move the ring's
 * memory (grow it)?  They take at most what r->max leaves room for; a
 * ring without memory yet has nothing to move.
 */
static inline bool
tcp_ring_would_move(const struct tcp_ring *r, uint32_t len)
{
	uint32_t n = r->len >= r->max ? 0 : r->max - r->len;

	return r->buf != NULL && r->cap - r->len < (len < n ? len : n);
}
/*
 * Linux's tp->advmss: the MSS our SYN advertised, less the timestamp
 * option once it is in use (both ends, as ss's advmss shows: 1448 with
 * timestamps on a 1500-byte link, 1460 without).  Window growth, the
 * first autotuning measure and TCP_INFO count in it.
 */
static inline uint32_t
tcp_adv_mss(const struct tcp_sock *sk)
{
	return sk->advmss - (sk->ts_ok ? 12u : 0u);
}
/*
 * Receive buffer in use, as Linux's sk_rmem_alloc counts it: the
 * in-order bytes not yet read, what is held out of order, and what the
 * host took that the program has not read yet (rcv_held).
 */
static inline uint64_t
tcp_rcv_used(const struct tcp_sock *sk)
{
	return (uint64_t)sk->rcv.len + sk->ofo_bytes + sk->rcv_held;
}
/*
 * Linux's TCP_RMEM_TO_WIN_SCALE and TCP_DEFAULT_SCALING_RATIO: until the
 * first full segment is measured, half the receive buffer is window.
 */
#define SOCK_MIN_RCVBUF		2304	/* 2048 + an sk_buff, x86-64 */
#define SOCK_MIN_SNDBUF		(2 * SOCK_MIN_RCVBUF)
#define TCP_RMEM_TO_WIN_SCALE	8
#define TCP_DEFAULT_SCALING_RATIO (1 << (TCP_RMEM_TO_WIN_SCALE - 1))
/*
 * What the receive ring and the reassembly queue may hold: the window is
 * offered from rcv.max, but a window never shrinks and is rounded up to
 * the scale each time (as Linux's), so with a large scale the right edge
 * creeps past rcv.max while nothing is read.  Linux absorbs that in its
 * truesize slack and by collapsing its queue; this engine takes every
 * byte of the window it offered, and a quarter more than rcv.max.
 */
#define TCP_RCV_LIMIT(sk)	tcp_rcv_limit(sk)
static inline uint32_t
tcp_rcv_limit(const struct tcp_sock *sk)
{
	uint32_t lim = sk->rcv.max + sk->rcv.max / 4, adv;

	adv = sk->rcv.len + (SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ?
	    sk->rcv_adv - sk->rcv_nxt : 0);
	return adv > lim ? adv : lim;
}
/* Copy len bytes starting `off` bytes into the ring, without consuming. */
void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, uint8_t *dst,
    uint32_t len);
void tcp_ring_drop(struct tcp_ring *r, uint32_t len);
/* Put len bytes back in front of the content (growing as needed). */
bool tcp_ring_unshift(struct tcp_ring *r, const uint8_t *data, uint32_t len);
/* The bytes at `off` in place if they do not wrap, else NULL. */
const uint8_t *tcp_ring_ptr(const struct tcp_ring *r, uint32_t off,
    uint32_t len);
/* Hold [seq, seq+len) (+FIN) beyond rcv_nxt; false if out of memory. */
bool tcp_ofo_insert(struct tcp_sock *sk, uint32_t seq, const uint8_t *data,
    uint32_t len, bool fin);
/* Move what became in order into sk->rcv; true if a FIN is now in order. */
bool tcp_ofo_pull(struct tcp_sock *sk);
void tcp_ofo_purge(struct tcp_sock *sk);
/*
 * The first stretch of [seq, end) the reassembly queue already holds,
 * in *dup (false if none): what Linux's tcp_data_queue_ofo reports as a
 * D-SACK.
 */
bool tcp_ofo_overlap(const struct tcp_sock *sk, uint32_t seq, uint32_t end,
    struct tcp_sack_blk *dup);

/* tcp_output.c */
void tcp_send_ack(struct tcpx_engine *e, struct tcp_sock *sk);
/* RST|ACK at the acceptable sequence (Linux's tcp_send_active_reset). */
void tcp_send_active_reset(struct tcpx_engine *e, struct tcp_sock *sk);
/* SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED); `retrans` counts it so. */
void tcp_send_syn(struct tcpx_engine *e, struct tcp_sock *sk, bool retrans);
/* ACK with SEQ = SND.UNA - 1 and no data: keepalive / zero-window probe. */
void tcp_send_probe(struct tcpx_engine *e, struct tcp_sock *sk);
/* Persist-timer probe: data into a small window, else tcp_send_probe. */
void tcp_write_wakeup(struct tcpx_engine *e, struct tcp_sock *sk);
/* RFC 5961 challenge ACK, with the per-socket and global rate limits. */
void tcp_send_challenge_ack(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg);
/* Window we would advertise now (bytes, unscaled). */
uint32_t tcp_rcv_space_now(const struct tcp_sock *sk);
/* The same if the program had read what the host took (rcv_held). */
uint32_t tcp_rcv_space_taken(const struct tcp_sock *sk);
/* Sequence of the first data byte: SND.UNA, or ISS+1 while SYN unacked. */
uint32_t tcp_data_seq0(const struct tcp_sock *sk);

/* tcp_timer.c */
void tcp_timer_init(struct tcp_sock *sk);
/* Re-arm the engine timer at the earliest of the socket's deadlines. */
void tcp_timer_update(struct tcpx_engine *e, struct tcp_sock *sk);
/* (Re)start the retransmission timer at now + RTO << backoff. */
void tcp_rto_arm(struct tcpx_engine *e, struct tcp_sock *sk);
/*
 * The retransmission slot.  The RTO, the tail loss probe and RACK's
 * reordering timer take turns in it, as in Linux's one retransmit
 * timer (icsk_pending ICSK_TIME_RETRANS, _LOSS_PROBE, _REO_TIMEOUT):
 * arming one replaces whichever was pending, so at most one of rto_at,
 * tlp_at and reo_at is set, and a deadline a probe or RACK replaced
 * can no longer fire.
 */
enum tcp_xmit_timer { TCP_XT_RTO, TCP_XT_TLP, TCP_XT_REO };
void tcp_xmit_timer_set(struct tcpx_engine *e, struct tcp_sock *sk,
    enum tcp_xmit_timer kind, uint64_t at);
void tcp_xmit_timer_clear(struct tcpx_engine *e, struct tcp_sock *sk);
bool tcp_xmit_timer_idle(const struct tcp_sock *sk);
/* Linux's tcp_rto_delta_us(): the RTO left, from the head's last send. */
int64_t tcp_rto_delta_us(const struct tcpx_engine *e,
    const struct tcp_sock *sk);
/*
 * Linux's tcp_rearm_rto(): nothing in flight, the slot empties; else
 * the RTO, from now, or from the head's send when the probe or RACK's
 * timer held the slot.
 */
void tcp_rearm_rto(struct tcpx_engine *e, struct tcp_sock *sk);
/*
 * New data went out (Linux's tcp_event_new_data_sent): the RTO starts
 * with the first segment in flight, or takes over from a pending probe.
 */
void tcp_new_data_timer(struct tcpx_engine *e, struct tcp_sock *sk,
    bool prior_in_flight);
void tcp_keepalive_reset(struct tcpx_engine *e, struct tcp_sock *sk);
void tcp_delack_schedule(struct tcpx_engine *e, struct tcp_sock *sk);
/* Linux's tcp_model_timeout(): ms until `boundary` retries are spent. */
uint64_t tcp_model_timeout_ms(unsigned boundary, uint64_t rto_base_ms);

/* tcp_subr.c */
/*
 * The connection is over (Linux's tcp_done): CLOSED, timers off, report
 * `err` (positive errno, 0 for none) to the owner.  Frees sk unless the
 * host still owns it or it waits in an accept queue.  True if freed.
 */
bool tcp_done(struct tcpx_engine *e, struct tcp_sock *sk, int err,
    const char *cause);
/* A RST was accepted (Linux's tcp_reset): error by state, then tcp_done. */
bool tcp_reset(struct tcpx_engine *e, struct tcp_sock *sk);
/* RFC 6298 update from one RTT sample. */
void tcp_rtt_sample(struct tcp_sock *sk, uint64_t rtt_us);
/*
 * Linux's tcp_ack_update_rtt: the estimator takes seq_rtt, the windowed
 * minimum (tcpi_min_rtt) the latest segment's RTT, ca_rtt.
 */
void tcp_ack_update_rtt(struct tcpx_engine *e, struct tcp_sock *sk,
    uint64_t seq_rtt_us, uint64_t ca_rtt_us);
/* Effective send MSS from the peer's MSS, ours and the options in use. */
void tcp_sync_mss(struct tcpx_engine *e, struct tcp_sock *sk);
/* Set up the send side after the handshake (cwnd, RTO, keepalive). */
void tcp_init_transfer(struct tcpx_engine *e, struct tcp_sock *sk);
/* The application closed: its id goes, the connection lives on. */
void tcp_sock_orphan(struct tcpx_engine *e, struct tcp_sock *sk);
/* How long an orphan may sit in FIN-WAIT-2 (Linux's tcp_fin_time). */
uint64_t tcp_fin_time_us(const struct tcpx_engine *e,
    const struct tcp_sock *sk);
/* Grow the send buffer with cwnd (Linux's tcp_sndbuf_expand). */
void tcp_sndbuf_expand(struct tcpx_engine *e, struct tcp_sock *sk);

/* tcp_rxsack.c: the receiver's SACK blocks, D-SACKs and ACK compression. */
/* [seq, end) came twice: a D-SACK in the next ACK. */
void tcp_dsack_set(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint32_t end);
/* [seq, end) went into the reassembly queue. */
void tcp_rx_sack_add(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t seq,
    uint32_t end);
/* RCV.NXT moved: drop the blocks it reached. */
void tcp_rx_sack_remove(struct tcp_sock *sk);
/* In-order data moved over bytes the queue held: report them. */
void tcp_ofo_dsack(struct tcpx_engine *e, struct tcp_sock *sk);
/* Out-of-order data wants an ACK: now, or after the compression delay. */
void tcp_sack_compress(struct tcpx_engine *e, struct tcp_sock *sk);

/* tcp_rcvbuf.c: the receive buffer and the window it is worth. */
uint32_t tcp_win_from_space(const struct tcp_sock *sk, uint64_t space);
uint64_t tcp_space_from_win(const struct tcp_sock *sk, uint64_t win);
void tcp_set_window_clamp(struct tcp_sock *sk, uint32_t val);
/* Bytes of receive buffer the window may cover (tcp_full_space). */
uint32_t tcp_full_space(const struct tcpx_engine *e,
    const struct tcp_sock *sk);
/* Initial receive window and scale (Linux's tcp_select_initial_window). */
void tcp_init_rcv_window(struct tcpx_engine *e, struct tcp_sock *sk,
    uint16_t mss);
/* At the handshake's end (Linux's tcp_init_buffer_space). */
void tcp_init_buffer_space(struct tcpx_engine *e, struct tcp_sock *sk);
/* A data segment of len bytes arrived (tcp_measure_rcv_mss's ratio). */
void tcp_measure_scaling_ratio(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t len);
void tcp_grow_window(struct tcp_sock *sk, uint32_t len);
/* The application read: grow the buffer if it reads fast (DRS). */
void tcp_rcv_space_adjust(struct tcpx_engine *e, struct tcp_sock *sk);
uint64_t tcp_bytes_app_read(const struct tcp_sock *sk);
/* Size the buffer for newval bytes per RTT, and what is held out of order. */
void tcp_rcvbuf_grow(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t newval);
/* The receiver's RTT: in-order data arrived (RCV.NXT moved). */
void tcp_rcv_rtt_measure(struct tcpx_engine *e, struct tcp_sock *sk);
/* ... and the echo of one of our timestamps on a segment of len bytes. */
void tcp_rcv_rtt_measure_ts(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t tsecr, uint32_t len);

/*
 * tcp_cc.c: congestion control.  One ops table per algorithm, chosen
 * per socket (TCP_CONGESTION, else net.ipv4.tcp_congestion_control) as
 * Linux's tcp_congestion_ops.  cwnd and ssthresh count segments.
 */
struct tcp_cc_ops {
	const char *name;
	void (*init)(struct tcpx_engine *e, struct tcp_sock *sk);
	/* New ssthresh on loss (recovery or RTO), from the current cwnd. */
	uint32_t (*ssthresh)(struct tcpx_engine *e, struct tcp_sock *sk);
	/* `acked` segments acknowledged or SACKed while cwnd-limited. */
	void (*cong_avoid)(struct tcpx_engine *e, struct tcp_sock *sk,
	    uint32_t acked);
	/*
	 * The ACK newly acknowledged or SACKed segments: the RTT (us) of
	 * the latest one sent (Linux's pkts_acked, ack_sample.rtt_us).
	 * Not called when the ACK gives no sample; may be NULL.
	 */
	void (*pkts_acked)(struct tcpx_engine *e, struct tcp_sock *sk,
	    uint32_t rtt_us);
	/*
	 * Entering CA_Loss (Linux's set_state(TCP_CA_Loss)): each RTO,
	 * and a Fast Open SYN's data resent; may be NULL.
	 */
	void (*on_loss)(struct tcpx_engine *e, struct tcp_sock *sk);
	/* First transmission after the connection went idle; may be NULL. */
	void (*tx_start)(struct tcpx_engine *e, struct tcp_sock *sk,
	    uint64_t idle_us);
	/* cwnd to go back to when a reduction proves spurious. */
	uint32_t (*undo_cwnd)(struct tcpx_engine *e, struct tcp_sock *sk);
};
extern const struct tcp_cc_ops tcp_reno_ops;
extern const struct tcp_cc_ops tcp_cubic_ops;
uint32_t tcp_reno_undo_cwnd(struct tcpx_engine *e, struct tcp_sock *sk);
/* Choose and initialise the algorithm (again if TCP_CONGESTION changed). */
void tcp_cc_init(struct tcpx_engine *e, struct tcp_sock *sk);
void tcp_cc_check(struct tcpx_engine *e, struct tcp_sock *sk);
/* Linux's tcp_slow_start(): returns the acked segments left over. */
uint32_t tcp_slow_start(struct tcp_sock *sk, uint32_t acked);
/* Linux's tcp_cong_avoid_ai(): +1 segment per `w` segments acked. */
void tcp_cong_avoid_ai(struct tcp_sock *sk, uint32_t w, uint32_t acked);
bool tcp_is_cwnd_limited(const struct tcp_sock *sk);
/* After a send: remember whether cwnd was what stopped us. */
void tcp_cwnd_validate(struct tcp_sock *sk, bool limited);
/* Linux's tcp_update_pacing_rate(), after each ACK's cwnd update. */
void tcp_update_pacing_rate(struct tcp_sock *sk);

/*
 * tcp_txstamp.c: send times, and what an ACK newly covered of them,
 * for the RTT samples (Linux's seq_rtt_us and ca_rtt_us).
 */
struct tcp_ackstamp {
	bool acked;		/* segments newly acknowledged (FLAG_ACKED) */
	bool retrans_acked;	/* ... one sent more than once among them */
	bool have_acked, have_sacked;
	/* When the first and the latest original segment ACKed went. */
	uint64_t first_acked_sent, acked_sent;
	/* The same for those SACKed, and where they start. */
	uint64_t first_sacked_sent, sacked_sent;
	uint32_t first_sacked_seq, sacked_seq;
	/* Where SACKs reached before this ACK (Linux's prior_fack). */
	uint32_t prior_fack;
	bool reord;		/* an original segment was overtaken */
	uint32_t reord_low;	/* ... the lowest such sequence */
	/* Anything newly delivered, and when the latest of it was sent. */
	bool delivered;
	uint64_t delivered_sent;
	/*
	 * Data never resent newly acknowledged or SACKed, and the lowest
	 * end among it (F-RTO's FLAG_ORIG_SACK_ACKED).
	 */
	bool have_orig;
	uint32_t orig_end;
};
/* [seq, end) went out now (again, where it overlaps what went before). */
void tcp_txstamp_sent(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t seq, uint32_t end);
/* SND.UNA (not yet updated) moves to `ack`: note, forget what it passes. */
void tcp_txstamp_acked(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t ack, struct tcp_ackstamp *as);
/* [start, end) is SACKed: note what it newly covers. */
void tcp_txstamp_sacked(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t start, uint32_t end, struct tcp_ackstamp *as);
/* The receiver reneged: nothing counts as SACKed any more. */
void tcp_txstamp_unsack(struct tcp_sock *sk);
/* Segments resent and neither ACKed nor SACKed since (Linux's retrans_out). */
uint32_t tcp_txstamp_retrans_out(const struct tcp_sock *sk);
void tcp_txstamp_free(struct tcp_sock *sk);

/* tcp_sack.c: the sender's SACK scoreboard (RFC 2018, RFC 6675). */
void tcp_sack_reset(struct tcp_sock *sk);
/*
 * Take in the ACK's SACK blocks, noting in `as` what they newly cover;
 * returns bytes newly SACKed.
 */
uint32_t tcp_sack_input(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg, bool *dsack, struct tcp_ackstamp *as);
/* Forget what SND.UNA has passed. */
void tcp_sack_clean(struct tcp_sock *sk);
bool tcp_sack_is_sacked(const struct tcp_sock *sk, uint32_t seq);
/* RFC 6675 IsLost: move lost_end up to where DupThresh says. */
void tcp_sack_mark_lost(struct tcpx_engine *e, struct tcp_sock *sk);
/*
 * Data below low_seq's segment arrived after data up to the highest
 * SACK: reordering (Linux's tcp_check_sack_reordering; ts: the
 * timestamps told).  Raises sk->reordering, counts reord_seen.
 */
void tcp_check_sack_reordering(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t low_seq, bool ts);
/* RFC 6675 pipe, in bytes. */
uint32_t tcp_pipe(const struct tcp_sock *sk);
/* Bytes marked lost and neither ACKed nor SACKed (Linux's lost_out). */
uint32_t tcp_lost_bytes(const struct tcp_sock *sk);
/*
 * RFC 6675 NextSeg rule 1: the next lost range to resend, up to `max`
 * bytes; past one segment (`mss`), only what is marked lost.
 */
bool tcp_next_lost(const struct tcp_sock *sk, uint32_t mss, uint32_t max,
    uint32_t *seq, uint32_t *len);

/* tcp_recovery.c: Linux's congestion-avoidance state machine. */
/*
 * After an ACK was processed: leave or enter recovery (fast retransmit,
 * RFC 6675 / RFC 6582, RACK), undo on D-SACK.  `acked` bytes of new
 * data, `dupack` whether it was a duplicate ACK.  True if RACK armed
 * the reordering timer (then the ACK leaves the RTO alone, as Linux).
 */
bool tcp_fastretrans_alert(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg, const struct tcp_ackstamp *as,
    uint32_t acked, uint32_t sacked, bool dupack);
/* A retransmission of `segs` segments went (Linux's tcp_retransmit_skb). */
void tcp_undo_note_rxt(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t segs);
/* Fast recovery starts (Linux's tcp_enter_recovery). */
void tcp_enter_recovery(struct tcpx_engine *e, struct tcp_sock *sk);
/*
 * In recovery, after each ACK: cwnd from Proportional Rate Reduction
 * (RFC 6937, Linux's tcp_cwnd_reduction), `delivered` segments newly
 * acknowledged or SACKed by it.
 */
void tcp_cwnd_reduction(struct tcp_sock *sk, uint32_t delivered,
    bool una_advanced, bool newly_lost);
/* The RTO fired: CA_Loss, everything un-SACKed lost, cwnd 1. */
void tcp_enter_loss(struct tcpx_engine *e, struct tcp_sock *sk);
/* Retransmit lost ranges pipe allows (one even if not, with `force`). */
void tcp_xmit_retransmit(struct tcpx_engine *e, struct tcp_sock *sk,
    bool force);
/*
 * The ACK's first SACK block [start, end) reports a duplicate (RFC
 * 2883), below the cumulative ACK or not (`below`); SND.UNA is still
 * the ACK's prior one.  Counts it as Linux's tcp_check_dsack, filters
 * the dubious ones out, and credits the undo.  False if ignored.
 */
bool tcp_dsack_seen(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t start, uint32_t end, bool below);

/* tcp_rack.c: RACK loss detection (RFC 8985 6.2, Linux's tcp_rack_*). */
/* RACK decides losses here (SACK, net.ipv4.tcp_recovery bit 1). */
bool tcp_rack_on(const struct tcpx_engine *e, const struct tcp_sock *sk);
/* RFC 6675's DupThresh marks losses: RACK is off. */
bool tcp_rack_dupthresh(const struct tcpx_engine *e,
    const struct tcp_sock *sk);
/* A stretch newly ACKed or SACKed (Linux's tcp_rack_advance). */
void tcp_rack_delivered(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_txstamp *r, struct tcp_ackstamp *as);
/* After an ACK: mark what RACK finds lost; true if it armed reo_at. */
bool tcp_rack_mark_lost(struct tcpx_engine *e, struct tcp_sock *sk);
/* Where a timeout's lost stretch ends (Linux's tcp_timeout_mark_lost). */
uint32_t tcp_rack_timeout_lost_end(const struct tcpx_engine *e,
    const struct tcp_sock *sk);
/* Recoveries a widened reo_wnd outlives (Linux's name). */
#define TCP_RACK_RECOVERY_THRESH	16
/* The peer reported [start, end) twice (from Linux's tcp_dsack_seen). */
void tcp_rack_dsack(struct tcp_sock *sk, uint32_t start, uint32_t end);
/* After an ACK's deliveries (Linux's tcp_rack_update_reo_wnd). */
void tcp_rack_update_reo_wnd(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_ackstamp *as);
/* Recovery or Loss ended and no undo was possible. */
void tcp_rack_recovery_done(struct tcp_sock *sk);
/* reo_at expired (Linux's tcp_rack_reo_timeout). */
void tcp_rack_reo_timeout(struct tcpx_engine *e, struct tcp_sock *sk);

/* tcp_output.c: one new segment, cwnd aside (a loss probe); false if none. */
bool tcp_send_new_segment(struct tcpx_engine *e, struct tcp_sock *sk);

/* tcp_tlp.c: tail loss probes (RFC 8985 7, Linux's TLP). */
/*
 * Arm the probe timer if a probe may go (SACK, CA_Open, data in
 * flight): 2 SRTT (+200 ms with one segment out), never later than
 * the RTO.  `advancing_rto`: the RTO is being restarted from now.
 * Returns false if no probe is armed.
 */
bool tcp_tlp_schedule(struct tcpx_engine *e, struct tcp_sock *sk,
    bool advancing_rto);
/* The probe timer expired: new data, else the last segment again. */
void tcp_tlp_fire(struct tcpx_engine *e, struct tcp_sock *sk);
/* An ACK arrived: did it answer the probe (and was there a loss)? */
void tcp_tlp_ack(struct tcpx_engine *e, struct tcp_sock *sk, bool dupack,
    bool dsack);

/*
 * tcp_output.c: send [seq, seq+len) again (+FIN if it ends there), cut
 * to the MSS the header leaves room for.  Returns the sequence space
 * sent, 0 if nothing was.
 */
uint32_t tcp_retransmit_range(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t seq, uint32_t len);
/*
 * The same, up to `room` bytes (what cwnd leaves) in one GSO
 * super-segment where the route allows, as Linux's tcp_retransmit_skb
 * resends a TSO skb whole.  *segs is set to the segments sent.
 */
uint32_t tcp_retransmit_gso(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t seq, uint32_t len, uint32_t room, uint32_t *segs);

/* The segment carries a timestamp and the connection negotiated them. */
static inline bool
ts_present(const struct tcp_sock *sk, const struct tcp_seg *seg)
{
	return sk->ts_ok && seg->opt.has_ts;
}

/*
 * tcp_ack.c: the ACK field of a segment in a synchronized state (Linux's
 * tcp_ack).  Returns -1 to drop the segment (a challenge ACK was sent),
 * 0 to go on.
 */
int tcp_ack(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct tcp_seg *seg);

#endif /* TCPX_TCP_SOCK_H */
