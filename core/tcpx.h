/*
 * tcpx.h - the public interface of the sans-IO TCP/IPv4 engine.
 *
 * The engine makes no system call.  The host (tcpxd, or a test) gives it
 * frames, the current time and random bytes; it gives back frames to send
 * (ops->output), socket events (ops->event) and its next deadline
 * (tcpx_next_deadline()).  Everything the seeds describe - states, queues,
 * timers, cookies, options, resets - lives behind this interface, so all
 * of it can be driven with a fake clock.
 *
 * Conventions:
 *   - time is microseconds on a monotonic clock the host chooses;
 *   - IPv4 addresses are in network byte order (struct in_addr style),
 *     ports in sockaddr_in are network byte order as with the socket API;
 *   - functions that can fail return -errno (Linux's errno for the case).
 */
#ifndef TCPX_H
#define TCPX_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

struct tcpx_engine;

enum tcpx_link {
	TCPX_LINK_ETHER,	/* veth, NICs: Ethernet header, ARP */
	TCPX_LINK_RAWIP,	/* tun: frames are bare IPv4 packets */
};

/* RFC 9293 state names; values match Linux's TCP_ESTABLISHED.. order. */
enum tcp_state {
	TCP_ST_ESTABLISHED = 1,
	TCP_ST_SYN_SENT,
	TCP_ST_SYN_RECEIVED,
	TCP_ST_FIN_WAIT_1,
	TCP_ST_FIN_WAIT_2,
	TCP_ST_TIME_WAIT,
	TCP_ST_CLOSED,
	TCP_ST_CLOSE_WAIT,
	TCP_ST_LAST_ACK,
	TCP_ST_LISTEN,
	TCP_ST_CLOSING,
};
#define TCP_ST_MAX TCP_ST_CLOSING

/* "ESTABLISHED", "SYN-SENT", ... (RFC spelling). */
const char *tcp_state_name(int state);
/* "ESTAB", "SYN-SENT", "TIME-WAIT", "UNCONN"... as ss(8) prints them. */
const char *tcp_state_ss_name(int state);

/* Bits passed to ops->event; the host re-reads state with tcpx_poll(). */
#define TCPX_EV_IN	0x01	/* readable: data, EOF, or a queued connection */
#define TCPX_EV_OUT	0x02	/* send buffer has room / connect resolved */
#define TCPX_EV_ERR	0x04	/* a pending error (read it with tcpx_sock_error) */
#define TCPX_EV_CLOSED	0x08	/* the socket id is gone: forget it */

/* Direction for ops->trace_seg. */
#define TCPX_DIR_IN	0
#define TCPX_DIR_OUT	1

struct tcpx_ops {
	void *ctx;
	/* Transmit one frame (with Ethernet header on TCPX_LINK_ETHER). */
	void (*output)(void *ctx, const uint8_t *frame, size_t len);
	/* Socket `sock` changed; see TCPX_EV_*.  May be NULL. */
	void (*event)(void *ctx, int sock, unsigned events);
	/* Every TCP segment in/out (IPv4 packet, header included).  May be NULL. */
	void (*trace_seg)(void *ctx, int dir, const uint8_t *ip, size_t len,
	    uint64_t now_us);
	/* Every state change, with a short cause ("rcv SYN+ACK").  May be NULL. */
	void (*trace_state)(void *ctx, int sock, const struct sockaddr_in *local,
	    const struct sockaddr_in *remote, int from, int to,
	    const char *cause, uint64_t now_us);
	/* A timer expired on a connection ("retransmit", "keepalive"...).  May be NULL. */
	void (*trace_timer)(void *ctx, int sock, const char *timer,
	    uint64_t now_us);
	/*
	 * Transmit one TCP super-segment (GSO/TSO), only when
	 * cfg.gso_max_size is set too.  The frame (link header included)
	 * carries up to gso_max_size bytes of payload to be cut into
	 * gso_size pieces (the MSS; the last may be shorter).  The TCP
	 * checksum is CHECKSUM_PARTIAL as Linux leaves it: the field at
	 * csum_start + csum_offset holds the folded pseudo-header sum
	 * (addresses, protocol 6, TCP length of the whole super-segment),
	 * not complemented; the checksum is to be completed over
	 * frame[csum_start..].  The IPv4 header checksum is complete.
	 * Segments of one MSS or less still go through output.  May be NULL.
	 */
	void (*output_gso)(void *ctx, const uint8_t *frame, size_t len,
	    uint16_t gso_size, uint16_t csum_start, uint16_t csum_offset);
	/*
	 * Where to build the next super-segment: room for `max` bytes that
	 * the host will send from, so that output_gso, handed that same
	 * pointer, need not copy the frame (tcpxd builds it in its send
	 * batch).  Returning NULL, or a NULL op: the engine's own buffer.
	 * No other frame is output between this call and the frame's.
	 * Ethernet links only (TCPX_LINK_ETHER).  May be NULL.
	 */
	uint8_t *(*tx_frame)(void *ctx, size_t max);
	/*
	 * A gathered super-segment: as output_gso, but the frame is `hdr`
	 * (hdrlen bytes: link, IPv4 and TCP headers; the IPv4 length counts
	 * the payload) followed by the `plen` bytes at `payload`, which lie
	 * in the connection's send queue and are not copied.  They stay
	 * there, unchanged, until the host has sent the frame and said so
	 * with tcpx_tx_sent, or until the engine calls tx_fence, which must
	 * send every such frame before it returns; the engine calls it
	 * before it moves or frees a send queue.  (Bytes the peer has
	 * acknowledged meanwhile may be rewritten: a resent segment then
	 * carries new bytes where the peer discards old ones.)  Ethernet
	 * links; used only with tx_fence set too.  trace_seg sees the
	 * headers only.  May be NULL.
	 */
	void (*output_gso_gather)(void *ctx, const uint8_t *hdr, size_t hdrlen,
	    const uint8_t *payload, size_t plen, uint16_t gso_size,
	    uint16_t csum_start, uint16_t csum_offset);
	void (*tx_fence)(void *ctx);
	/*
	 * Hand in-order bytes to the reader at once, as Linux's fast path
	 * once copied straight into a waiting reader's buffer: called when
	 * a segment arrives in order while the receive queue of `sock` is
	 * empty, with the segment's bytes the window admits, where they
	 * lie in the frame the host passed to tcpx_input.  Returns how
	 * many of them, from the first, the host took; the engine queues
	 * the rest.  A host may keep the frame and write the bytes out
	 * later, giving back with tcpx_recv_unread what it then cannot.
	 * Taken bytes count as read (window, autotuning, TCP_INFO).  It
	 * must not call into the engine.  May be NULL.
	 */
	size_t (*deliver)(void *ctx, int sock, const uint8_t *data,
	    size_t len);
};

struct tcpx_config {
	enum tcpx_link link;
	uint8_t mac[6];		/* our MAC (TCPX_LINK_ETHER) */
	struct in_addr addr;	/* the stack's own address */
	uint8_t prefixlen;	/* on-link subnet */
	struct in_addr gateway;	/* 0.0.0.0: no off-link route */
	uint16_t mtu;		/* 0 means 1500 */
	/*
	 * Random bytes from the host.  Every secret the engine needs (ISN
	 * offsets per RFC 6528, SYN cookie keys, the Fast Open key, port
	 * selection and timestamp offsets) is derived from these, so a fixed
	 * secret and a fake clock make a run exactly repeatable.
	 */
	uint8_t secret[32];
	/*
	 * Largest TCP payload of one super-segment handed to
	 * ops->output_gso; 0 (the default) sends MSS-sized segments only.
	 */
	uint32_t gso_max_size;
	/* And of at most this many MSS pieces (the device's gso_max_segs); 0: any. */
	uint32_t gso_max_segs;
};

struct tcpx_engine *tcpx_engine_new(const struct tcpx_config *cfg,
    const struct tcpx_ops *ops, uint64_t now_us);
void tcpx_engine_free(struct tcpx_engine *e);

/* One received frame (link header included on Ethernet links). */
void tcpx_input(struct tcpx_engine *e, const uint8_t *frame, size_t len,
    uint64_t now_us);
/*
 * The same with flags.  TCPX_RX_CSUM_OK: the host (the kernel, through
 * virtio_net_hdr) vouches for the IPv4 and TCP checksums, or they are
 * partial: they are not verified.  Large (GRO) frames, IPv4 total
 * length up to 65535, are accepted either way.
 */
#define TCPX_RX_CSUM_OK	0x1
void tcpx_input_ex(struct tcpx_engine *e, const uint8_t *frame, size_t len,
    uint64_t now_us, unsigned flags);
/* Move the clock forward and run every timer that is due. */
void tcpx_advance(struct tcpx_engine *e, uint64_t now_us);
/* The host has sent every frame output_gso_gather gave it (tcpx.h ops). */
void tcpx_tx_sent(struct tcpx_engine *e);
/*
 * The link's limits changed (cfg.gso_max_size and gso_max_segs, the same
 * meaning): every super-segment built from now on keeps to them, on every
 * connection.  0 sends MSS-sized segments only.
 */
void tcpx_set_gso_limits(struct tcpx_engine *e, uint32_t max_size,
    uint32_t max_segs);
/* Earliest pending deadline, or UINT64_MAX when nothing is armed. */
uint64_t tcpx_next_deadline(const struct tcpx_engine *e);

/*
 * Sockets.  Ids are small non-negative integers, valid until the host
 * calls tcpx_close() (after which the connection may live on, orphaned,
 * exactly as a kernel socket after close(2)) or until TCPX_EV_CLOSED.
 * They use the clock of the last tcpx_input/tcpx_advance call.
 */
int tcpx_socket(struct tcpx_engine *e);
int tcpx_bind(struct tcpx_engine *e, int s, const struct sockaddr_in *sin);
int tcpx_listen(struct tcpx_engine *e, int s, int backlog);
/* Returns the new socket id, or -EAGAIN when the accept queue is empty. */
int tcpx_accept(struct tcpx_engine *e, int s, struct sockaddr_in *peer);
/* -EINPROGRESS once the SYN is queued; -EALREADY, -EISCONN as Linux. */
int tcpx_connect(struct tcpx_engine *e, int s, const struct sockaddr_in *sin);
/*
 * sendto(MSG_FASTOPEN): connect, with `buf` in the SYN when a cookie
 * allows.  Without MSG_DONTWAIT in flags the caller is a blocking sender
 * that will send what the SYN did not carry as soon as the connection is
 * up: the ACK of the SYN-ACK then waits for that data (as Linux).
 */
ssize_t tcpx_sendto_fastopen(struct tcpx_engine *e, int s, const void *buf,
    size_t len, int flags, const struct sockaddr_in *sin);
/* Bytes taken into the send buffer, or -EAGAIN, -EPIPE, -ENOTCONN... */
ssize_t tcpx_send(struct tcpx_engine *e, int s, const void *buf, size_t len,
    int flags);
/*
 * Zero-copy writes: tcpx_send without its copy, for a host that reads
 * the application's bytes straight into the send buffer (tcpxd reads
 * the application's socketpair there).  tcpx_send_reserve points
 * iov[0..*iovcnt) (*iovcnt is the room on entry, at least 2: the send
 * queue is a ring that may wrap) at free room for up to len bytes and
 * returns its total; or, taking nothing, what tcpx_send would return
 * instead: -EAGAIN when the buffer is full or the connection not yet
 * up, the pending error (cleared), -EPIPE.  The pointers are valid
 * until the next call into the engine other than tcpx_send_commit.
 *
 * tcpx_send_commit queues the first n bytes written there exactly as
 * tcpx_send queues what it copied (flags: MSG_MORE), and sends what is
 * due.  0, or -EINVAL if n is more than the room reserved.  A host
 * that filled the whole room commits with MSG_MORE (more is likely
 * waiting, and a short tail should not go on its own), and commits 0
 * bytes without it when it finds there is no more: that sends what
 * MSG_MORE held back.
 */
ssize_t tcpx_send_reserve(struct tcpx_engine *e, int s, size_t len,
    struct iovec *iov, int *iovcnt);
int tcpx_send_commit(struct tcpx_engine *e, int s, size_t n, int flags);
/* Bytes read, 0 at EOF, -EAGAIN when nothing is there; flags: MSG_PEEK. */
ssize_t tcpx_recv(struct tcpx_engine *e, int s, void *buf, size_t len,
    int flags);
/*
 * Zero-copy reads: tcpx_recv without its copy, for a host that passes
 * received bytes straight on (tcpxd writes them to the application's
 * socketpair).  tcpx_recv_peek points iov[0..*iovcnt) (*iovcnt is the
 * room on entry, at least 1; 2 takes everything, as the receive queue
 * is a ring that may wrap) at the in-order bytes not yet read, sets
 * *iovcnt, and returns their total; the bytes stay queued.  When none
 * are queued it returns what tcpx_recv would, and has the same effect:
 * 0 at EOF, the pending error (cleared), -EAGAIN, -ENOTCONN; *iovcnt
 * is 0.  The pointers are valid until the next call into the engine
 * other than tcpx_recv_consume.
 *
 * tcpx_recv_consume drops the first n of those bytes exactly as
 * tcpx_recv does after copying them: receive-buffer autotuning, and
 * the window update or held-back ACK that reading makes due.  0, or
 * -EINVAL if fewer than n bytes are queued.
 */
ssize_t tcpx_recv_peek(struct tcpx_engine *e, int s, struct iovec *iov,
    int *iovcnt);
int tcpx_recv_consume(struct tcpx_engine *e, int s, size_t n);
/*
 * Bytes a host took with ops->deliver and could not hand on, given back:
 * they go in front of the receive queue, unread again, in order.  0,
 * -ENOMEM (nothing lost from the queue, but these bytes are not in it),
 * -EBADF, -ENOTCONN on a listener.
 */
int tcpx_recv_unread(struct tcpx_engine *e, int s, const struct iovec *iov,
    int iovcnt);
/*
 * For a host that hands received bytes on to a program that reads them
 * later (tcpxd: through the program's socketpair): what the program has
 * not read yet, in bytes of the host's memory (tcpxd: SIOCOUTQ on its
 * end).  From the first call on, the bytes the host takes (ops->deliver,
 * tcpx_recv_consume) count against the receive buffer, as Linux counts
 * its unread queue, until a later call says they are read; a smaller
 * figure than before is a read, which may send a window update.  So the
 * window closes when the program stops reading.  Returns the receive
 * buffer's size in window bytes (it grows with autotuning), for the host
 * to size its own buffer by; -EBADF, -ENOTCONN on a listener.
 */
int tcpx_recv_held(struct tcpx_engine *e, int s, uint32_t held);
int tcpx_shutdown(struct tcpx_engine *e, int s, int how);
/*
 * The application is done with the socket: FIN after queued data, RST if
 * unread data remains (RFC 2525) or SO_LINGER {1, 0} is set.  The id is
 * invalid afterwards.  Returns 0.  SO_LINGER {1, t>0} is the host's to
 * honour: shutdown(SHUT_WR), wait up to t for tcpx_state() to leave
 * FIN-WAIT-1/CLOSING/LAST-ACK (our FIN acknowledged), then close.
 */
int tcpx_close(struct tcpx_engine *e, int s);
int tcpx_setsockopt(struct tcpx_engine *e, int s, int level, int name,
    const void *val, socklen_t len);
int tcpx_getsockopt(struct tcpx_engine *e, int s, int level, int name,
    void *val, socklen_t *len);
int tcpx_getsockname(struct tcpx_engine *e, int s, struct sockaddr_in *sin);
int tcpx_getpeername(struct tcpx_engine *e, int s, struct sockaddr_in *sin);
/* SO_ERROR: the pending error as a positive errno (0 if none), then cleared. */
int tcpx_sock_error(struct tcpx_engine *e, int s);
/* POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP as poll(2) would report them. */
unsigned tcpx_poll(struct tcpx_engine *e, int s);
/* The socket's enum tcp_state, or -EBADF. */
int tcpx_state(struct tcpx_engine *e, int s);

/*
 * Introspection for ss(8)-style listings: one record per socket,
 * request sock (SYN-RECEIVED) and TIME-WAIT entry.
 */
#define TCPX_TIMER_NONE		0
#define TCPX_TIMER_RETRANS	1	/* ss "on": retransmit / SYN / SYN-ACK */
#define TCPX_TIMER_KEEPALIVE	2
#define TCPX_TIMER_TIMEWAIT	3
#define TCPX_TIMER_PROBE	4	/* zero-window probe */
#define TCPX_TIMER_FINWAIT2	5

#define TCPX_OPT_TS	0x01
#define TCPX_OPT_SACK	0x02
#define TCPX_OPT_WSCALE	0x04
#define TCPX_OPT_TFO	0x08

struct tcpx_sockinfo {
	int id;			/* -1 for request socks and TIME-WAIT entries */
	int state;
	int orphan;		/* closed by the application */
	struct sockaddr_in local, remote;
	uint32_t recv_q, send_q;	/* listener: accept queue len / backlog */
	uint32_t syn_q, syn_max;	/* listener only */
	int timer;			/* TCPX_TIMER_* */
	uint64_t timer_expires_us;	/* relative to now */
	uint32_t retransmits, probes, backoff;
	uint32_t rtt_us, rttvar_us, rto_us, ato_us;
	uint32_t snd_mss, rcv_mss, pmtu, advmss;
	uint32_t snd_cwnd, snd_ssthresh;
	uint8_t snd_wscale, rcv_wscale, options; /* TCPX_OPT_* */
	uint32_t snd_wnd, rcv_wnd;
	/* The receiver's RTT estimate (0: none yet), the bytes it reads
	 * per RTT as autotuning measured them, the window's growth limit:
	 * TCP_INFO's tcpi_rcv_rtt, tcpi_rcv_space, tcpi_rcv_ssthresh. */
	uint32_t rcv_rtt_us, rcv_space, rcv_ssthresh;
	uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
	uint32_t segs_out, segs_in, total_retrans;
	/*
	 * The scoreboard in segments, as TCP_INFO's tcpi_unacked,
	 * tcpi_sacked, tcpi_lost and tcpi_retrans (resends in flight);
	 * Linux's congestion-avoidance state (tcpi_ca_state: 0 Open,
	 * 1 Disorder, 3 Recovery, 4 Loss); D-SACKed segments and
	 * reorderings seen.
	 */
	uint32_t unacked, sacked, lost, retrans;
	uint8_t ca_state;
	uint32_t dsack_dups, reord_seen;
	uint32_t reordering;	/* tcpi_reordering: DupThresh, in segments */
	uint32_t lastsnd_ms, lastrcv_ms, lastack_ms;
	uint32_t keepalive_probes;
	uint32_t min_rtt_us;		/* UINT32_MAX: no sample yet */
	uint64_t pacing_rate;		/* bytes/s; UINT64_MAX: unknown */
	char cc[16];			/* congestion control: "cubic" */
};
int tcpx_sock_info(struct tcpx_engine *e, int s, struct tcpx_sockinfo *info);
void tcpx_foreach(struct tcpx_engine *e,
    void (*cb)(void *arg, const struct tcpx_sockinfo *info), void *arg);

/*
 * Tunables, named after Linux's sysctls ("net.ipv4.tcp_syncookies"),
 * starting at Linux's defaults.  Values are text as in /proc/sys
 * ("32768\t60999" for ip_local_port_range).
 */
int tcpx_sysctl_get(const struct tcpx_engine *e, const char *name,
    char *buf, size_t len);
/* -ENOENT for an unknown name, -EINVAL for a bad value; nothing changes then. */
int tcpx_sysctl_set(struct tcpx_engine *e, const char *name, const char *val);
/* Names in table order; NULL past the end. */
const char *tcpx_sysctl_name(size_t i);

/* Counters, named as in /proc/net/snmp and /proc/net/netstat. */
struct tcpx_mib_desc {
	const char *group;	/* "Tcp", "TcpExt", "Ip", "Icmp", "Arp" */
	const char *name;	/* "ActiveOpens", "SyncookiesSent", ... */
};
size_t tcpx_mib_count(void);
const struct tcpx_mib_desc *tcpx_mib_desc(size_t i);
uint64_t tcpx_mib_value(const struct tcpx_engine *e, size_t i);
/* Value by "Group:Name" or "Name"; UINT64_MAX if unknown. */
uint64_t tcpx_mib_get(const struct tcpx_engine *e, const char *name);

#endif /* TCPX_H */
