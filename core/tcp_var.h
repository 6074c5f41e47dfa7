/*
 * tcp_var.h - TCP's internal structures and the functions the TCP files
 * call across each other.  Public API: tcpx.h.  Wire formats: wire.h.
 *
 * Who owns what (one file per concern, as BSD netinet):
 *   tcp_hash.c      connection hash (full sockets, request socks and
 *                   TIME-WAIT entries share it, as Linux's ehash) and the
 *                   port table (bind, listeners, ephemeral ports)
 *   tcp_input.c     demultiplex, then RFC 9293 "SEGMENT ARRIVES" for
 *                   synchronized states and SYN-SENT
 *   tcp_ack.c       its ACK step (Linux's tcp_ack): window, SACK, RTT,
 *                   recovery, congestion window
 *   tcp_output.c    the one place that decides the next segment
 *   tcp_timer.c     retransmit, delayed ACK, keepalive, persist, FIN-WAIT-2
 *   tcp_timewait.c  TIME-WAIT buckets (small, as Linux's inet_timewait_sock)
 *   tcp_usrreq.c    the tcpx_* socket calls (but listen/accept)
 *   tcp_sockopt.c   tcpx_setsockopt/tcpx_getsockopt, TCP_INFO
 *   tcp_subr.c      alloc/free, state changes, resets, ISN use, state names
 *   tcp_listen.c    LISTEN input, SYN queue (request socks), accept queue,
 *                   tcpx_listen/tcpx_accept, SYN-ACK retransmission
 *   tcp_syncookie.c SYN cookies
 *   tcp_fastopen.c  Fast Open: server cookies and client cookie cache
 *   tcp_secure.c    SipHash; ISN (RFC 6528), timestamp offsets, port offsets
 *   tcp_sack.c      the sender's SACK scoreboard; RFC 6675 IsLost, pipe,
 *                   NextSeg
 *   tcp_recovery.c  loss recovery states (fast retransmit, NewReno,
 *                   CA_Loss after an RTO), lost retransmissions, D-SACK undo
 *   tcp_tlp.c       tail loss probes (RFC 8985 7)
 *   tcp_rack.c      RACK time-based loss detection (RFC 8985 6)
 *   tcp_txstamp.c   when each stretch in flight was sent: the RTT samples
 *                   an ACK gives
 *   tcp_cc.c        the congestion-control interface, Reno
 *   tcp_cubic.c     CUBIC (RFC 9438), the default
 */
#ifndef TCPX_TCP_VAR_H
#define TCPX_TCP_VAR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "tcpx.h"
#include "timer.h"
#include "wire.h"

struct tcpx_engine;

/* A connection's identity.  Addresses network order, ports host order. */
struct tcp_tuple {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
};

/* Kinds of object in the connection hash. */
enum tcp_hkind { TCP_HK_SOCK, TCP_HK_REQ, TCP_HK_TW };

/* Embedded first in every object the connection hash holds. */
struct tcp_hnode {
	LIST_ENTRY(tcp_hnode) link;
	struct tcp_tuple tuple;
	uint32_t hash;
	uint8_t kind;		/* enum tcp_hkind */
};
LIST_HEAD(tcp_hbucket, tcp_hnode);

/*
 * What the three-way handshake negotiated; the boundary between the
 * listen side (which negotiates, possibly from a SYN cookie) and the
 * full socket it creates.
 */
struct tcp_synopts {
	uint16_t mss;		/* peer's MSS option (536 if absent) */
	bool wscale_ok, sack_ok, ts_ok;
	uint8_t snd_wscale;	/* peer's shift */
	uint8_t rcv_wscale;	/* ours */
	uint32_t ts_recent;	/* peer's TSval from the SYN / last segment */
	uint32_t ts_off;	/* our per-connection timestamp offset */
};

struct tcp_sock;
struct tcp_listen;
struct tcp_req;
struct tcp_tw;

/* All TCP state of one engine. */
struct tcp_stack {
	/* Connection hash, grown by doubling to keep lookups O(1). */
	struct tcp_hbucket *ehash;
	uint32_t ehash_mask;
	uint32_t ehash_count;
	/* Port table: sockets bound to each local port (bind, listen). */
	void *ports;
	/* Socket ids handed to the host -> struct tcp_sock *. */
	struct tcp_sock **ids;
	int nids, id_hint;
	/* Gauges Linux keeps too. */
	uint32_t orphans;	/* tcp_max_orphans */
	uint32_t tw_count;	/* tcp_max_tw_buckets */
	/* RFC 5961 global challenge-ACK budget (tcp_challenge_ack_limit). */
	uint64_t challenge_window_start;
	uint32_t challenge_count;
	/* Fast Open: client cookie cache (per peer address). */
	void *tfo_cache;
	/*
	 * TIME-WAIT buckets in expiry order and the one timer for all of
	 * them (tcp_timewait.c): every bucket lives tcp_timewait_len, so a
	 * FIFO keeps them small (FreeBSD's 2MSL queue does the same).
	 */
	TAILQ_HEAD(tcp_twq, tcp_tw) tw_queue;
	struct tcpx_timer tw_timer;
	/*
	 * Nonzero: the ISN the open that is taking over a TIME-WAIT tuple
	 * should use (Linux's tcp_tw_isn / tw_snd_nxt + 65535 + 2), set by
	 * tcp_tw_input before tcp_listen_input and by tcp_port_pick_ephemeral
	 * before tcp_active_open.  The open that uses it sets it back to 0.
	 */
	uint32_t tw_isn;
	/* Secrets derived from cfg.secret at engine creation. */
	uint8_t isn_key[16], ts_key[16], port_key[16], cookie_key[2][16],
	    tfo_key[16];
};

/* tcp_hash.c */
int tcp_stack_init(struct tcpx_engine *e);
void tcp_stack_free(struct tcpx_engine *e);
void tcp_hash_insert(struct tcpx_engine *e, struct tcp_hnode *n);
void tcp_hash_remove(struct tcpx_engine *e, struct tcp_hnode *n);
struct tcp_hnode *tcp_hash_lookup(struct tcpx_engine *e,
    const struct tcp_tuple *t);
/* Listener for (daddr, dport): exact address first, then INADDR_ANY. */
struct tcp_sock *tcp_listener_lookup(struct tcpx_engine *e, uint32_t laddr,
    uint16_t lport);
/* The same, choosing among SO_REUSEPORT listeners by a hash of `t`. */
struct tcp_sock *tcp_listener_lookup_tuple(struct tcpx_engine *e,
    const struct tcp_tuple *t);
/* listen(2) re-checks the port: -EADDRINUSE if another socket conflicts. */
int tcp_port_check_listen(struct tcpx_engine *e, struct tcp_sock *sk);
/*
 * A connection reached CLOSED: leave the connection hash, and give the
 * port back unless bind() chose it (Linux's tcp_done: inet_put_port
 * unless SOCK_BINDPORT_LOCK).  Safe to call twice.
 */
void tcp_port_release(struct tcpx_engine *e, struct tcp_sock *sk);

/* Port table (tcp_hash.c).  Bind rules as Linux: SO_REUSEADDR, SO_REUSEPORT. */
int tcp_port_bind(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t laddr,
    uint16_t lport);
void tcp_port_unbind(struct tcpx_engine *e, struct tcp_sock *sk);
/*
 * Choose a local port for a connect to (raddr, rport) from
 * ip_local_port_range, Linux-style (offset from tcp_port_offset, step 2
 * for connect), skipping tuples in use; a TIME-WAIT tuple is taken over
 * when tcp_tw_may_reuse() says so.  Sets sk->h.tuple; -EADDRNOTAVAIL.
 */
int tcp_port_pick_ephemeral(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t raddr, uint16_t rport);

/* State machine entry points for the socket calls (tcp_subr.c etc). */
/* A CLOSED socket with defaults from the sysctls (buffers, keepalive). */
struct tcp_sock *tcp_sock_alloc(struct tcpx_engine *e);
/* Unhash, unbind, cancel timers, free; notifies TCPX_EV_CLOSED if owned. */
void tcp_sock_free(struct tcpx_engine *e, struct tcp_sock *sk);
/*
 * Active open on a socket whose tuple is chosen and hashed: pick ISN and
 * options, send the SYN (with `data` for Fast Open when a cookie allows),
 * arm the SYN timer.  Returns -EINPROGRESS.  `data` non-NULL means
 * sendto(MSG_FASTOPEN) (-EOPNOTSUPP without tcp_fastopen bit 0x1): the
 * bytes that went into the SYN are sk->tfo_syn_len; none go when the SYN
 * asks for a cookie (the application sends them after the handshake).
 */
int tcp_active_open(struct tcpx_engine *e, struct tcp_sock *sk,
    const void *data, size_t len);
ssize_t tcp_usr_send(struct tcpx_engine *e, struct tcp_sock *sk,
    const void *buf, size_t len, int flags);
/* tcpx_send_reserve / tcpx_send_commit (tcpx.h), the socket checked. */
ssize_t tcp_usr_send_reserve(struct tcpx_engine *e, struct tcp_sock *sk,
    size_t len, struct iovec *iov, int *iovcnt);
int tcp_usr_send_commit(struct tcpx_engine *e, struct tcp_sock *sk,
    size_t n, int flags);
ssize_t tcp_usr_recv(struct tcpx_engine *e, struct tcp_sock *sk, void *buf,
    size_t len, int flags);
/* tcpx_recv_peek / tcpx_recv_consume (tcpx.h), the socket checked. */
ssize_t tcp_usr_recv_peek(struct tcpx_engine *e, struct tcp_sock *sk,
    struct iovec *iov, int *iovcnt);
int tcp_usr_recv_consume(struct tcpx_engine *e, struct tcp_sock *sk,
    size_t n);
int tcp_usr_recv_unread(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct iovec *iov, int iovcnt);
void tcp_usr_recv_held(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t held);
uint32_t tcp_usr_deliver(struct tcpx_engine *e, struct tcp_sock *sk,
    const uint8_t *data, uint32_t len);
int tcp_usr_shutdown(struct tcpx_engine *e, struct tcp_sock *sk, int how);
/* RFC 9293 CLOSE call per state; RST per RFC 2525 / SO_LINGER {1,0}. */
void tcp_usr_close(struct tcpx_engine *e, struct tcp_sock *sk);
unsigned tcp_usr_poll(struct tcpx_engine *e, struct tcp_sock *sk);
/* Decide and send what is due now (data, ACK, FIN, window probe). */
void tcp_output(struct tcpx_engine *e, struct tcp_sock *sk);

/* tcp_input.c: one validated segment addressed to our IP. */
void tcp_input(struct tcpx_engine *e, const struct tcp_seg *seg);

/* tcp_subr.c */
/*
 * RST in reply to `seg` when no connection takes it (RFC 9293 3.10.7.1):
 * ACK set -> <SEQ=SEG.ACK><CTL=RST>; else <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <CTL=RST,ACK>.  Never in reply to a RST.  Counts Tcp:OutRsts.
 */
void tcp_send_reset_reply(struct tcpx_engine *e, const struct tcp_seg *seg);
/*
 * Create the full socket for a completed passive open (or a Fast Open
 * SYN): state SYN-RECEIVED -> ESTABLISHED is the caller's to set.
 * rcv_wnd is the window the request chose (Linux's req->rsk_rcv_wnd).
 * Inserts it in the connection hash.  NULL if memory or orphan limits say no.
 */
struct tcp_sock *tcp_sock_create_child(struct tcpx_engine *e,
    struct tcp_sock *listener, const struct tcp_tuple *t, uint32_t iss,
    uint32_t irs, const struct tcp_synopts *o, uint16_t peer_wnd,
    uint32_t rcv_wnd);
/* An AF_INET sockaddr from a network-order address and a host-order port. */
void tcp_sockaddr_set(struct sockaddr_in *sin, uint32_t addr, uint16_t port);
void tcp_set_state(struct tcpx_engine *e, struct tcp_sock *sk, int state,
    const char *cause);
/*
 * Abort: send RST if `send_rst` (synchronized states), report `err` to
 * the owner.  The socket is freed if it is an orphan or nobody holds it
 * (id -1, no parent); a socket the host holds, or a child still on an
 * accept queue, stays CLOSED until tcpx_close / tcp_listen_close.
 */
void tcp_abort(struct tcpx_engine *e, struct tcp_sock *sk, int err,
    bool send_rst);
/* Queue data received with a Fast Open SYN on a new child. */
int tcp_sock_queue_rcv(struct tcpx_engine *e, struct tcp_sock *sk,
    const uint8_t *data, uint32_t len);
/* Socket id for the host (allocated by tcpx_accept), -1 if none. */
int tcp_sock_assign_id(struct tcpx_engine *e, struct tcp_sock *sk);
struct tcp_sock *tcp_sock_by_id(struct tcpx_engine *e, int id);
/* tcpx_sock_info's answer for sk: the socket, or a listener's queues. */
void tcp_sockinfo_fill(struct tcpx_engine *e, struct tcp_sock *sk,
    struct tcpx_sockinfo *info);
void tcp_sock_info_fill(struct tcpx_engine *e, struct tcp_sock *sk,
    struct tcpx_sockinfo *info);
/* Notify the host of TCPX_EV_* on sk (no-op for orphans). */
void tcp_sock_event(struct tcpx_engine *e, struct tcp_sock *sk,
    unsigned events);
uint16_t tcp_mss_for_route(struct tcpx_engine *e, uint32_t raddr);
/*
 * The initial window's limits, as Linux's tcp_select_initial_window():
 * the clamp (the receive buffer's space once the program sized it,
 * SOCK_RCVBUF_LOCK; else 65535 << 14), and our window scale for an
 * initial space: the smallest shift that lets the largest window we may
 * offer fit in 16 bits, that space grown to tcp_rmem[2] and rmem_max
 * but not past the clamp.
 */
#define TCP_MAX_WSCALE		14
#define SYSCTL_RMEM_MAX		212992		/* net.core.rmem_max */
uint32_t tcp_initial_clamp(struct tcpx_engine *e,
    const struct tcp_sock *sk);
uint8_t tcp_initial_wscale(struct tcpx_engine *e, uint32_t space,
    uint32_t clamp);

/* tcp_listen.c */
void tcp_listen_input(struct tcpx_engine *e, struct tcp_sock *lsk,
    const struct tcp_seg *seg);
void tcp_req_input(struct tcpx_engine *e, struct tcp_req *req,
    const struct tcp_seg *seg);
/* The listener is closing: reset queued children, drop request socks. */
void tcp_listen_close(struct tcpx_engine *e, struct tcp_sock *lsk);
/* A child left the accept queue for another reason (aborted). */
void tcp_listen_unlink_child(struct tcpx_engine *e, struct tcp_sock *child);
void tcp_listen_foreach_req(struct tcpx_engine *e,
    void (*cb)(void *arg, const struct tcpx_sockinfo *), void *arg);
void tcp_listen_info_fill(struct tcpx_engine *e, struct tcp_sock *lsk,
    struct tcpx_sockinfo *info);

/* tcp_timewait.c */
/* Move sk into TIME-WAIT: a small tcp_tw replaces it; sk is freed. */
void tcp_time_wait(struct tcpx_engine *e, struct tcp_sock *sk);
void tcp_tw_input(struct tcpx_engine *e, struct tcp_tw *tw,
    const struct tcp_seg *seg);
/* tcp_tw_reuse: may a new connection take this tuple over? */
bool tcp_tw_may_reuse(struct tcpx_engine *e, struct tcp_tw *tw);
void tcp_tw_kill(struct tcpx_engine *e, struct tcp_tw *tw);

/* tcp_secure.c */
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);
/* RFC 6528: M + F(localip, localport, remoteip, remoteport, secretkey). */
uint32_t tcp_isn(struct tcpx_engine *e, const struct tcp_tuple *t);
uint32_t tcp_ts_off(struct tcpx_engine *e, const struct tcp_tuple *t);
uint32_t tcp_port_offset(struct tcpx_engine *e, uint32_t laddr,
    uint32_t raddr, uint16_t rport);
/* Our TSval for a connection with offset `off`: ms clock + off. */
uint32_t tcp_tsval(struct tcpx_engine *e, uint32_t off);
void tcp_secure_init(struct tcpx_engine *e);

/* tcp_syncookie.c */
uint32_t tcp_cookie_make(struct tcpx_engine *e, const struct tcp_seg *syn,
    uint16_t *mss_inout);
/* 0 on a valid cookie ACK, with the MSS it encodes in *mss. */
int tcp_cookie_check(struct tcpx_engine *e, const struct tcp_seg *ack,
    uint16_t *mss);
/* Window scale / SACK / ECN encoded in the low bits of our TSval. */
uint32_t tcp_cookie_ts(struct tcpx_engine *e, const struct tcp_synopts *o,
    uint32_t tsval);
bool tcp_cookie_ts_decode(uint32_t tsecr, struct tcp_synopts *o);

/* tcp_fastopen.c */
/* Server: the cookie for a client address (len bytes, 8). */
void tcp_fastopen_cookie_gen(struct tcpx_engine *e, uint32_t raddr,
    uint8_t *cookie, uint8_t *len);
bool tcp_fastopen_cookie_ok(struct tcpx_engine *e, uint32_t raddr,
    const uint8_t *cookie, uint8_t len);
/* Client cache: what the server at raddr gave us last. */
bool tcp_fastopen_cache_get(struct tcpx_engine *e, uint32_t raddr,
    uint8_t *cookie, uint8_t *len, uint16_t *mss);
void tcp_fastopen_cache_set(struct tcpx_engine *e, uint32_t raddr,
    const uint8_t *cookie, uint8_t len, uint16_t mss);

#endif /* TCPX_TCP_VAR_H */

#include "tcp_sock.h"
#include "tcp_listen.h"
