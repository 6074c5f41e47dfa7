/*
 * tcpxd.h - the engine process: shared state of the daemon's files.
 *
 * Follow a frame by file name:
 *   link_packet.c  AF_PACKET (TPACKET_V3 RX ring, BPF, batched TX) or a
 *                  layer-3 (tun) link, frames in and out
 *   iface.c        what the interface is: index, MAC, MTU, type, and
 *                  whether the kernel already owns our address on it
 *   loop.c         epoll loop, clock, timerfd from tcpx_next_deadline,
 *                  engine callbacks, idle exit
 *   ctl_server.c   the control socket: clients, credentials, requests
 *   ctl_tools.c    requests of the tcpx tool (ss, nstat, sysctl, status)
 *   bridge.c       per application socket: socketpair <-> TCP pump
 *   connecting.c   the socketpair a CONNECT gets: filler, spares, the
 *                  answer held for a blocking connect
 *   listen.c       listeners: AF_UNIX listener, delivering accepted
 *                  connections
 *   unixdiag.c     "does this AF_UNIX socket still exist?" (sock_diag)
 *   log.c          timestamped log on stderr
 *   main.c         options, configuration, privileges, pidfile
 */
#ifndef TCPXD_H
#define TCPXD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/types.h>

#include "tcpx.h"
#include "ctl_proto.h"
#include "tcpx_conf.h"

struct tcpxd;
struct bsock;

/* Something registered in epoll; data.ptr points at it. */
struct watch {
	int fd;
	void (*cb)(struct tcpxd *d, struct watch *w, uint32_t events);
	uint32_t events;	/* current interest */
	bool on;		/* registered in epoll */
};

/* One control connection (one process). */
struct client {
	struct watch w;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool cap_bind;		/* CAP_NET_BIND_SERVICE or uid 0 */
	uint32_t trace_mask;	/* TCPX_TRACE_* after TCPX_OP_TRACE */
	bool zombie;
	int proof_fd;		/* fd sent with the request being handled, or -1 */
	LIST_ENTRY(client) link;
};

/* A connection into a claim-mode listener, waiting for the shim's byte. */
struct resv {
	struct watch w;
	struct bsock *l;	/* the listener; NULL once it is gone */
	TAILQ_ENTRY(resv) link;
};
TAILQ_HEAD(resv_list, resv);

enum bsock_kind {
	BS_NEW,			/* engine socket, no fd yet (owned by a client) */
	BS_CONN,		/* connected: socketpair pump */
	BS_LISTEN,		/* listener: AF_UNIX listener handed out */
};

/* The staging buffer for app -> engine bytes (and filler): one per daemon. */
#define BRIDGE_BUF	(256u << 10)

/* One application socket: the handle the shim knows it by. */
struct bsock {
	int handle;		/* id in the control protocol */
	int eid;		/* engine socket id, -1 once closed in the engine */
	enum bsock_kind kind;
	uid_t uid;
	pid_t pid;
	struct client *owner;	/* BS_NEW: closed with this client */
	struct watch w;		/* BS_CONN: our end of the socketpair */
	ino_t app_ino;		/* our end / the listener, for liveness */
	struct sockaddr_in local, peer;	/* kept for after the engine id */
	unsigned pending_ev;	/* TCPX_EV_* not yet handled */
	bool dirty;

	/* BS_CONN */
	size_t filler;		/* filler bytes still queued toward us */
	bool established;	/* handshake done (filler drained) */
	bool app_eof;		/* read 0 from our end: app shut its write half */
	bool rd_ready;		/* epoll said readable; no EAGAIN read since */
	bool app_gone;		/* every app fd closed (POLLHUP) */
	bool app_reset;		/* app closed with unread data (ECONNRESET) */
	bool app_rd_shut;	/* app shut its read half: received bytes are dropped */
	bool eng_eof;		/* tcpx_recv returned 0: peer's FIN delivered */
	bool eng_dead;		/* connection failed / reset / timed out */
	bool shut_wr;		/* tcpx_shutdown(SHUT_WR) done */
	bool fd_shut;		/* shutdown(2) of our end done */
	bool linger_on;
	int linger_s;
	uint64_t linger_until;	/* us; lingering close in progress */
	int err;		/* errno kept after the engine socket is gone */
	bool in_wait;		/* the engine holds bytes our end could not take */
	unsigned ndefer;	/* of d->defer: received bytes not yet written */
	/*
	 * What the program has not read of what we wrote to it (SIOCOUTQ
	 * on our end), as the engine last heard it (tcpx_recv_held); our
	 * end's send buffer as sized for the engine's receive buffer
	 * (held_full, its size in window bytes, when we sized it); and
	 * whether EPOLLOUT is wanted to see the program read.
	 */
	uint32_t held;
	uint32_t held_full;
	int held_sndbuf;
	bool held_watch;
	bool held_listed;	/* on d->held: held > 0 */
	bool out_full;		/* the engine's send buffer is full */
	/* A blocking connect's reply, held until it resolves (ctl_proto.h
	 * TCPX_CONNECT_WAIT): the client, its request, the program's end. */
	struct client *waiter;
	uint32_t wait_seq;
	int wait_fd;
	uint64_t wait_until;

	/* BS_LISTEN */
	char lname[108];	/* abstract name (without the leading NUL) */
	int backlog;
	bool claim;		/* TCPX_LISTEN_CLAIM delivery */
	unsigned nresv;		/* reservations not yet claimed */
	struct resv_list resvs;
	uint64_t retry_at;	/* deliver again at (AF_UNIX queue was full) */

	bool zombie;		/* freed; memory released after the epoll batch */
	bool timed;		/* on the timed list */
	RB_ENTRY(bsock) by_handle;
	TAILQ_ENTRY(bsock) timed_link;
	TAILQ_ENTRY(bsock) dirty_link;
	TAILQ_ENTRY(bsock) held_link;
	LIST_ENTRY(bsock) all;
};

RB_HEAD(bsock_tree, bsock);
TAILQ_HEAD(bsock_dirty, bsock);

struct link;

/*
 * A socketpair made ahead of time, so that a CONNECT is answered without
 * the ~40 us that socketpair(), the buffer sizes and the filler cost
 * (connecting.c).  Two pools: filled for non-blocking connects, bare for
 * blocking ones (TCPX_CONNECT_WAIT).
 */
struct pair_spare {
	int ours, app;
	size_t filler;
	ino_t ino;		/* of ours */
};
#define BRIDGE_SPARES	4
struct pair_pool {
	struct pair_spare s[BRIDGE_SPARES];
	unsigned n;
	unsigned want;		/* 0 until the first connect of its kind */
};

#define DEFER_MAX	64	/* frames of one receive batch (RX_BATCH), and room */

struct tcpxd {
	struct tcpx_conf conf;
	int verbose;
	bool foreground;
	int idle_exit;		/* seconds, 0 = never */
	char progname[32];

	/* interface */
	int ifindex;
	uint8_t mac[6];
	uint16_t mtu;
	enum tcpx_link linktype;
	struct link *link;

	struct tcpx_engine *eng;
	int epfd;
	struct watch timer;	/* timerfd */
	struct watch ctl;	/* control listener */
	struct watch sig;	/* signalfd */
	struct watch linkw;	/* the AF_PACKET socket */
	int rtnl_fd;		/* for the GSO limits (vnet path), or -1 */
	uint32_t gso_dev_size;	/* the interface's limits the engine has */
	uint32_t gso_dev_segs;
	uint64_t start_us;
	uint64_t last_busy_us;
	uint64_t gc_at;		/* next liveness sweep */
	uint64_t busy_poll_us;	/* net.core.busy_poll: spin before sleeping */
	int wmem_default;	/* net.core.wmem_default, AF_UNIX's send buffer */
	uint64_t timer_armed;	/* the timerfd's deadline, 0 when unknown */
	bool quit;

	LIST_HEAD(, client) clients;
	unsigned nclients;
	struct bsock_tree handles;
	LIST_HEAD(, bsock) bsocks;
	unsigned nbsocks;
	struct bsock **by_eid;	/* engine id -> bsock */
	size_t by_eid_len;
	struct bsock_dirty dirty;
	LIST_HEAD(, bsock) zombies;	/* freed during this epoll batch */
	struct resv_list resv_zombies;
	struct bsock_dirty timed;	/* linger_until or retry_at set */
	struct bsock_dirty held;	/* the program has bytes to read */
	int next_handle;
	unsigned listen_gen;
	bool diag_ok;		/* sock_diag for AF_UNIX works */

	struct pair_pool pools[2];	/* [filled] */

	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped;
	/*
	 * In-order bytes the engine handed over (ops->deliver) from the
	 * receive batch's frames, written at its end, one writev per
	 * connection (bridge_flush_deferred); only while rx_defer is set,
	 * for the frames stay where recvmmsg put them until then.
	 */
	bool rx_defer;
	unsigned ndefer;
	struct deferred {
		struct bsock *b;
		struct iovec iov;
	} defer[DEFER_MAX];
	uint8_t iobuf[BRIDGE_BUF];
};

/* log.c */
void log_init(const char *progname, int verbose);
void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define LOG_ERRORS	0
#define LOG_INFO	1
#define LOG_DEBUG	2
#define LOG_TRACE	3
#define logx(...)	log_msg(LOG_ERRORS, __VA_ARGS__)
#define logi(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define logd(...)	log_msg(LOG_DEBUG, __VA_ARGS__)
bool log_enabled(int level);

/* iface.c */
int iface_probe(struct tcpxd *d, char *err, size_t errlen);
void iface_offloads_off(struct tcpxd *d);
/* The vnet path: GRO/GSO/TSO/checksum offloads on, logged. */
void iface_offloads_on(struct tcpxd *d);
/* A NETLINK_ROUTE socket for iface_gso_refresh, or -1. */
int iface_rtnl_open(void);
/*
 * Ask for the interface's gso_max_size (IPv4) and gso_max_segs, and give
 * the engine the super-segment limits they allow if they changed.
 */
void iface_gso_refresh(struct tcpxd *d);
/* true if the kernel has `addr` on any interface here; names it in *where. */
bool iface_kernel_owns(struct in_addr addr, char *where, size_t wlen);

/* link_packet.c */
int link_open(struct tcpxd *d, char *err, size_t errlen);
void link_close(struct tcpxd *d);
int link_fd(const struct tcpxd *d);
/*
 * Read every frame queued, give them to the engine; returns the count.
 * The engine's clock is read again for every batch: a busy link can
 * keep this going for many milliseconds, and frames stamped with the
 * time of the first would make RTTs and timers wrong.
 */
unsigned link_rx(struct tcpxd *d);
/* Queue one frame (engine output callback); flushed by link_flush. */
void link_tx(struct tcpxd *d, const uint8_t *frame, size_t len);
/* Queue one TCP super-segment (ops->output_gso); vnet path only. */
void link_tx_gso(struct tcpxd *d, const uint8_t *frame, size_t len,
    uint16_t gso_size, uint16_t csum_start, uint16_t csum_offset);
void link_flush(struct tcpxd *d);
/* The same, the payload sent from the engine's send queue (gathered). */
void link_tx_gather(struct tcpxd *d, const uint8_t *hdr, size_t hdrlen,
    const uint8_t *payload, size_t plen, uint16_t gso_size,
    uint16_t csum_start, uint16_t csum_offset);
/* Room in the send batch for the engine's next frame (ops->tx_frame). */
uint8_t *link_tx_room(struct tcpxd *d, size_t max);
/* Frames carry a virtio_net_hdr: GSO out, GRO'd frames in. */
bool link_vnet(const struct tcpxd *d);

/* loop.c */
uint64_t now_us(void);
int loop_init(struct tcpxd *d, char *err, size_t errlen);
int loop_run(struct tcpxd *d);
void loop_fini(struct tcpxd *d);
int watch_add(struct tcpxd *d, struct watch *w, uint32_t events);
void watch_mod(struct tcpxd *d, struct watch *w, uint32_t events);
void watch_del(struct tcpxd *d, struct watch *w);
/* close(2) of an fd only tcpxd holds, which ends its watch too. */
void watch_close(struct tcpxd *d, struct watch *w);
/* Out of epoll until the next watch_mod (even POLLHUP is not reported). */
void watch_off(struct tcpxd *d, struct watch *w);
/* Run the deferred work after any engine call (events, link flush). */
void loop_settle(struct tcpxd *d);
void loop_engine_ops(struct tcpxd *d, struct tcpx_ops *ops);
unsigned engine_socket_count(struct tcpxd *d);

/* ctl_server.c */
/* Bind the control name: 0, 1 if another tcpxd serves it, -1 (err). */
int ctl_open(struct tcpxd *d, char *err, size_t errlen);
int ctl_listen(struct tcpxd *d, char *err, size_t errlen);
void ctl_close_all(struct tcpxd *d);
void ctl_trace_event(struct tcpxd *d, const struct tcpx_ctl_event *ev);
/* The reply to a CONNECT that waited (TCPX_CONNECT_WAIT). */
void ctl_reply_connect(struct client *c, uint32_t seq, int sock, int result,
    int fd);
bool ctl_tracing(const struct tcpxd *d, uint32_t kind);

/* ctl_tools.c: requests that stream replies; returns 1 if handled. */
int ctl_tools_request(struct tcpxd *d, struct client *c,
    const struct tcpx_ctl_req *req, size_t len);

/* bridge.c */
struct bsock *bsock_new(struct tcpxd *d, int eid, enum bsock_kind kind,
    uid_t uid, pid_t pid);
struct bsock *bsock_by_handle(struct tcpxd *d, int handle);
struct bsock *bsock_by_eid(struct tcpxd *d, int eid);
void bsock_set_eid(struct tcpxd *d, struct bsock *b, int eid);
void bsock_free(struct tcpxd *d, struct bsock *b);
/* b->linger_until or b->retry_at was just set: watch the deadline. */
void bsock_timed(struct tcpxd *d, struct bsock *b);
/* Connected socket: make the socketpair; returns the app's end or -errno. */
/* The program's end for b; `filled` unless the CONNECT waits for the
 * handshake (the filler is written only if that wait runs out). */
int bridge_attach_connect(struct tcpxd *d, struct bsock *b, bool filled);
/* Accepted connection: our end already connected (listen.c). */
void bridge_attach_accepted(struct tcpxd *d, struct bsock *b, int fd);
void bridge_engine_event(struct tcpxd *d, int eid, unsigned ev);
size_t bridge_deliver(struct tcpxd *d, int eid, const uint8_t *data,
    size_t len);
void bridge_flush_deferred(struct tcpxd *d);
void bridge_pump_in(struct tcpxd *d, struct bsock *b);
/* Tell the engine what b's program has not read yet (bridge_in.c). */
void bridge_held_start(struct tcpxd *d, struct bsock *b);
void bridge_held_refresh(struct tcpxd *d, struct bsock *b);
/* The same for every socket whose program had bytes to read. */
void bridge_held_refresh_all(struct tcpxd *d);
void bridge_held_forget(struct tcpxd *d, struct bsock *b);
bool bridge_app_hup(int fd);
void bridge_app_default(struct tcpxd *d, int fd);
void bridge_run_dirty(struct tcpxd *d);
/* Close hint or liveness sweep: free what the application let go. */
void bridge_check_alive(struct tcpxd *d, struct bsock *b);
void bridge_gc(struct tcpxd *d, uint64_t now);
uint64_t bridge_next_deadline(struct tcpxd *d);
void bridge_timers(struct tcpxd *d, uint64_t now);
void bridge_client_gone(struct tcpxd *d, struct client *c);
void bridge_close_all(struct tcpxd *d);
/* Answer c's CONNECT (seq) about b, with app_fd, when it resolves. */
void bridge_connect_wait(struct tcpxd *d, struct bsock *b, struct client *c,
    uint32_t seq, int app_fd);
/* SO_ERROR: b's pending error (errno > 0, or 0), read and cleared. */
int bridge_take_error(struct tcpxd *d, struct bsock *b);
/* connecting.c, for bridge.c: the held reply goes now, with the fd. */
void bridge_connect_answer(struct bsock *b, int result);
/* The wait ran out: fill the fd, answer -EINPROGRESS. */
void bridge_connect_late(struct tcpxd *d, struct bsock *b);
/* The connect resolved (either way): take our filler back. */
void bridge_drain_filler(struct bsock *b, uint8_t *buf);
void bridge_spares_free(struct tcpxd *d);
/* bridge.c, for connecting.c. */
void bridge_conn_watch_cb(struct tcpxd *d, struct watch *w, uint32_t events);
void bridge_mark_dirty(struct tcpxd *d, struct bsock *b);
void bridge_pair_bufs(int fd);
/* Idle time: true if a spare socketpair is wanted; make one. */
bool bridge_spares_wanted(const struct tcpxd *d);
void bridge_spare_make(struct tcpxd *d);
void bridge_note_sockopt(struct bsock *b, int level, int name,
    const void *val, socklen_t len);

/* listen.c */
int listen_make(struct tcpxd *d, struct bsock *b, int backlog, bool claim);
void listen_deliver(struct tcpxd *d, struct bsock *b);
/* The listener is being freed: drop its reservations. */
void listen_drop_resv(struct tcpxd *d, struct bsock *b);
void listen_reap(struct tcpxd *d);

/*
 * unixdiag.c (sock_diag for AF_UNIX).  unixdiag_alive: 1 if the socket
 * with inode ino exists, 0 if not, -errno if it cannot tell.
 * unixdiag_peer_alive: 1 if the socket connected to ours (inode ino) is
 * still open somewhere, 0 if every fd of it is closed, -errno.
 */
int unixdiag_init(struct tcpxd *d);
int unixdiag_alive(struct tcpxd *d, ino_t ino);
int unixdiag_peer_alive(struct tcpxd *d, ino_t ino);
/* The inode of the socket connected to `ino` in *peer (0: none); 1/0/-errno. */
int unixdiag_peer(struct tcpxd *d, ino_t ino, uint32_t *peer);
/* Bytes the socket connected to `ino` has not read yet; 1/0/-errno. */
int unixdiag_unread(struct tcpxd *d, ino_t ino, uint32_t *bytes);
void bridge_reap(struct tcpxd *d);
void ctl_reap(struct tcpxd *d);

#endif /* TCPXD_H */
