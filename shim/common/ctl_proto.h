/*
 * ctl_proto.h - the control protocol between libtcpx.so / the tcpx tool
 * and tcpxd, plus the names, paths and environment variables they share.
 *
 * Transport.  An AF_UNIX SOCK_SEQPACKET socket in the ABSTRACT namespace,
 * so there is one per network namespace with nothing to clean up:
 *
 *	sun_path = "\0" "tcpx/" <ifname>		(TCPX_CTL_NAME_FMT)
 *
 * One connection per process (a fork child opens its own).  tcpxd reads
 * SO_PEERCRED on accept and records pid/uid/gid; every request is checked
 * against them (sockets belong to the uid that created them; ports below
 * 1024 need CAP_NET_BIND_SERVICE in the requesting process's CapEff, or
 * uid 0).
 *
 * Messages.  Each request is exactly one datagram `struct tcpx_ctl_req`
 * (the header is fixed; payload bytes past what the op uses may be
 * omitted, but the whole struct is always accepted).  Each request gets
 * exactly one reply `struct tcpx_ctl_rep` with the same seq, except the
 * listing ops (SS_LIST, NSTAT, SYSCTL_LIST), which answer with a sequence
 * of replies flagged TCPX_REP_MORE, ended by one reply without it.  No
 * request blocks inside tcpxd: the client blocks, when the program asked
 * to block, by polling its own data fd.
 *
 * result is >= 0 on success or -errno (Linux's errno for the case).
 *
 * File descriptors travel with SCM_RIGHTS on the reply datagram:
 *
 *  CONNECT / SENDTO_FASTOPEN -> one end of an AF_UNIX SOCK_STREAM
 *	socketpair; tcpxd pumps the other end to and from the TCP
 *	connection.  The fd arrives pre-filled with filler so that it is
 *	NOT writable: POLLOUT on it means "the connect resolved" (tcpxd
 *	drains the filler when the handshake completes or fails).  For a
 *	failed connect tcpxd shuts its read half before the drain (the
 *	fd's writes then fail with EPIPE) and both halves after it, so
 *	POLLOUT alone (no POLLIN, POLLRDHUP, POLLHUP, POLLERR) plus a
 *	zero-length send that succeeds means connected, with no question
 *	asked; anything else: ask GET_ERROR (0 = connected) and STATE.
 *	The reply's result is -EINPROGRESS.
 *
 *  LISTEN -> an AF_UNIX SOCK_STREAM listening socket (abstract name
 *	"\0tcpx/<ifname>/l/<sock>.<gen>", listen(2)ed with the program's
 *	backlog).  tcpxd delivers each accepted TCP connection by
 *	connecting to it and writing `struct tcpx_accept_hdr` first; the
 *	shim's accept() reads that header and must check that SO_PEERCRED
 *	on the accepted socket names tcpxd's pid (TCPX_REP hello.pid), so
 *	only tcpxd can deliver connections.  A second LISTEN on the same
 *	socket (changing the backlog) returns 0 with no fd.
 *
 *	With TCPX_LISTEN_CLAIM in the LISTEN request's flags (recommended),
 *	the engine's accept queue stays THE accept queue, sized by the
 *	backlog exactly as Linux's: tcpxd connects to the listener once per
 *	connection waiting in the engine's queue (a reservation: it makes
 *	the listener readable) and writes nothing yet; the shim's accept()
 *	writes one byte (any value) on the connection it accepted, and only
 *	then does tcpxd take the next connection off the engine's queue and
 *	write its header.  If the connection vanished meanwhile (reset while
 *	queued), tcpxd closes instead: the shim sees EOF where the header
 *	should be and accepts again.  Without the flag tcpxd moves every
 *	connection into the AF_UNIX queue at once, so about twice the
 *	backlog can be queued before the engine's queue overflows.
 *
 * Lifetime.  A socket created by SOCKET (or BIND) has no fd yet: it
 * belongs to the control connection and is closed when that connection
 * closes.  Once it has a data fd (CONNECT, LISTEN, accepted), it lives as
 * long as any process holds the fd: the program's close/exit is seen by
 * tcpxd as EOF/POLLHUP on its end (FIN after queued data; RST if the
 * program left received data unread, RFC 2525), or for a listener by
 * the AF_UNIX socket disappearing.  CLOSE is only a hint ("one fd
 * closed; check now"); tcpxd decides from the kernel's view.
 *
 * SO_LINGER {1, t>0}: the shim's close() closes the fd, sends CLOSE, then
 * polls STATE until it is neither FIN-WAIT-1, CLOSING nor LAST-ACK (our
 * FIN acknowledged), -EBADF (gone), or t elapsed; tcpxd keeps the id
 * valid while it lingers.
 *
 * Errors the socketpair cannot carry (ECONNREFUSED, ECONNRESET,
 * ETIMEDOUT) are kept per socket in tcpxd and read with GET_ERROR
 * (SO_ERROR semantics: read and clear).  After a connection dies tcpxd
 * delivers the data it already has, then EOF; the program's writes then
 * fail with EPIPE (tcpxd shuts its end for reading too).
 *
 * Everything is host byte order except addresses and ports inside
 * struct sockaddr_in (network order, as the socket API).  Client and
 * server run on the same host, so no packing games beyond fixed widths.
 */
#ifndef TCPX_CTL_PROTO_H
#define TCPX_CTL_PROTO_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#define TCPX_CTL_VERSION	1

/* ---- names, paths, environment ---------------------------------------- */

/* Abstract AF_UNIX names (sun_path[0] == '\0', then this text). */
#define TCPX_CTL_NAME_FMT	"tcpx/%s"		/* ifname */
#define TCPX_LISTEN_NAME_FMT	"tcpx/%s/l/%d.%u"	/* ifname, sock, gen */

#define TCPX_ENV_IFACE		"TCPX_IFACE"	/* interface name */
#define TCPX_ENV_ADDR		"TCPX_ADDR"	/* a.b.c.d/len */
#define TCPX_ENV_GATEWAY	"TCPX_GATEWAY"	/* a.b.c.d, off-link route */
#define TCPX_ENV_CONFIG		"TCPX_CONFIG"	/* config file path */
#define TCPX_ENV_TCPXD		"TCPX_TCPXD"	/* tcpxd binary to start */
#define TCPX_ENV_LOG		"TCPX_LOG"	/* tcpxd log file when started by the shim */
#define TCPX_ENV_DEBUG		"TCPX_DEBUG"	/* shim: 1 = trace decisions on stderr */

/*
 * Config file: "key = value" lines, '#' comments; keys iface, addr,
 * gateway, mtu, idle_exit, and any sysctl name ("net.ipv4.tcp_syncookies
 * = 2").  Environment variables override the file.
 */
#define TCPX_DEFAULT_CONFIG	"/etc/tcpx.conf"
#define TCPX_RUN_DIR		"/run/tcpx"		/* pidfiles, logs */
/* ifname, inode of /proc/self/ns/net: /run is shared by namespaces. */
#define TCPX_PIDFILE_FMT	TCPX_RUN_DIR "/tcpxd-%.16s-%lu.pid"
#define TCPX_LOGFILE_FMT	TCPX_RUN_DIR "/tcpxd-%.16s.log"	/* ifname */

/*
 * The lab (scripts/lab): when nothing is configured and the interface
 * TCPX_LAB_IFACE exists in this namespace (i.e. inside netns tcpx-host),
 * these are the defaults.
 */
#define TCPX_LAB_IFACE		"tcpx-h0"
#define TCPX_LAB_ADDR		"10.77.0.2/24"
#define TCPX_LAB_PEER		"10.77.0.1"
#define TCPX_LAB_GATEWAY	"10.77.0.1"

#define TCPX_DEFAULT_IDLE_EXIT	30	/* seconds without any socket */

/* ---- operations -------------------------------------------------------- */

enum tcpx_ctl_op {
	TCPX_OP_HELLO = 1,	/* -> u.hello; result 0 */
	TCPX_OP_SOCKET,		/* new engine socket, no fd; result = sock id */
	TCPX_OP_BIND,		/* sock (or -1: create), u.addr; result = sock id */
	TCPX_OP_LISTEN,		/* sock, u.backlog; fd: AF_UNIX listener */
	TCPX_OP_CONNECT,	/* sock (or -1: create), u.conn; fd: data end;
				   result -EINPROGRESS, or -errno without fd
				   (-EALREADY/-EISCONN once it has one) */
	TCPX_OP_SENDTO_FASTOPEN, /* as CONNECT, u.conn.data: for the SYN;
				   rep u.sent = bytes taken */
	TCPX_OP_SHUTDOWN,	/* sock, u.how (SHUT_RD/WR/RDWR); for the write
				   half the shim also shutdown(2)s its fd and
				   tcpxd sends the FIN after the last byte */
	TCPX_OP_CLOSE,		/* sock: the program closed one fd (hint; send
				   it after close(2)); a socket without an
				   fd yet (SOCKET/BIND only) is closed */
	TCPX_OP_SETSOCKOPT,	/* sock, u.opt */
	TCPX_OP_GETSOCKOPT,	/* sock, u.opt (level, name, len); rep u.opt */
	TCPX_OP_GETSOCKNAME,	/* sock; rep u.addr */
	TCPX_OP_GETPEERNAME,	/* sock; rep u.addr */
	TCPX_OP_GET_ERROR,	/* sock; result = pending errno (>0) or 0, cleared */
	TCPX_OP_STATE,		/* sock; result = enum tcp_state or -EBADF */
	TCPX_OP_POLL,		/* sock; result = tcpx_poll() bits */

	/* Tools (tcpx ss / nstat / sysctl / trace). */
	TCPX_OP_SS_LIST = 64,	/* rep*: u.raw = struct tcpx_sockinfo, then
				   struct tcpx_ctl_owner; MORE until the last */
	TCPX_OP_NSTAT,		/* rep*: u.mib, MORE until the last */
	TCPX_OP_SYSCTL_GET,	/* u.sysctl.name; rep u.sysctl.value */
	TCPX_OP_SYSCTL_SET,	/* u.sysctl.name, .value; needs uid 0 or tcpxd's uid */
	TCPX_OP_SYSCTL_LIST,	/* rep*: u.sysctl name+value, MORE */
	TCPX_OP_TRACE,		/* subscribe this connection to trace events
				   (u.trace_mask, 0 = stop); tcpxd then sends
				   replies with seq 0 and TCPX_REP_EVENT whose
				   u.raw holds a struct tcpx_ctl_event */
	TCPX_OP_STATUS,		/* rep u.status */
};

/* Largest option value carried (struct tcp_info is ~250 bytes on 6.x). */
#define TCPX_CTL_OPTLEN		256
#define TCPX_CTL_NAMELEN	64
#define TCPX_CTL_VALLEN		64
#define TCPX_CTL_FASTOPEN_MAX	1400	/* bytes of SYN data per request */
#define TCPX_IFNAMSIZ		16

struct tcpx_ctl_sockopt {
	int32_t level;
	int32_t name;
	uint32_t len;
	uint8_t val[TCPX_CTL_OPTLEN];
};

/*
 * CONNECT and SENDTO_FASTOPEN: the destination, the options the program
 * set on the socket before it was ours (applied in order, as SETSOCKOPT
 * would, when the request creates the socket: sock -1), and for
 * SENDTO_FASTOPEN the data for the SYN.  One datagram instead of SOCKET,
 * one SETSOCKOPT per option, CONNECT: a connect is one round trip.
 * Only as much of the struct as the op uses needs to be sent.
 */
#define TCPX_CTL_CONNECT_OPTS	16
#define TCPX_CTL_CONNECT_OPTLEN	16

struct tcpx_ctl_optval {
	int32_t level;
	int32_t name;
	uint32_t len;			/* <= TCPX_CTL_CONNECT_OPTLEN */
	uint8_t val[TCPX_CTL_CONNECT_OPTLEN];
};

struct tcpx_ctl_connect {
	struct sockaddr_in addr;	/* first: u.addr names it too */
	uint32_t nopt;			/* <= TCPX_CTL_CONNECT_OPTS */
	struct tcpx_ctl_optval opt[TCPX_CTL_CONNECT_OPTS];
	uint32_t len;			/* SENDTO_FASTOPEN: bytes of data */
	uint8_t data[TCPX_CTL_FASTOPEN_MAX];
};

struct tcpx_ctl_sysctl {
	char name[TCPX_CTL_NAMELEN];	/* "net.ipv4.tcp_syncookies" */
	char value[TCPX_CTL_VALLEN];	/* text as in /proc/sys */
};

struct tcpx_ctl_hello {
	uint32_t version;		/* TCPX_CTL_VERSION */
	int32_t pid;			/* tcpxd's pid, for SO_PEERCRED checks */
	struct in_addr addr;		/* the stack's address */
	uint8_t prefixlen;
	uint8_t pad[3];
	struct in_addr gateway;		/* 0.0.0.0 if none */
	char ifname[TCPX_IFNAMSIZ];
	uint16_t mtu;
	uint16_t pad2;
};

struct tcpx_ctl_mib {
	char name[TCPX_CTL_NAMELEN];	/* "Tcp:ActiveOpens" */
	uint64_t value;
};

/*
 * SS_LIST: who holds the socket, right after the struct tcpx_sockinfo in
 * u.raw (pid 0 and handle -1 for orphans, request socks, TIME-WAIT).
 */
struct tcpx_ctl_owner {
	int32_t handle;			/* the id the shim knows it by */
	int32_t pid;			/* the process that created it */
	uint32_t uid;
};

struct tcpx_ctl_status {
	int32_t pid;
	uint32_t clients;		/* control connections */
	uint32_t sockets;		/* engine sockets incl. TIME-WAIT */
	uint32_t bridged;		/* sockets with an application fd */
	uint64_t uptime_us;
	uint64_t rx_frames, tx_frames, rx_dropped;	/* link counters */
	uint64_t tx_dropped;
};

union tcpx_ctl_args {
	struct sockaddr_in addr;	/* BIND, CONNECT; rep of GET*NAME */
	int32_t backlog;		/* LISTEN */
	int32_t how;			/* SHUTDOWN */
	struct tcpx_ctl_sockopt opt;	/* SET/GETSOCKOPT */
	struct tcpx_ctl_connect conn;	/* CONNECT, SENDTO_FASTOPEN */
	struct tcpx_ctl_sysctl sysctl;	/* SYSCTL_* */
	uint32_t trace_mask;		/* TRACE: TCPX_TRACE_* bits */
};

union tcpx_ctl_reply_args {
	struct tcpx_ctl_hello hello;
	struct sockaddr_in addr;
	struct tcpx_ctl_sockopt opt;
	int64_t sent;			/* SENDTO_FASTOPEN: bytes taken */
	struct tcpx_ctl_sysctl sysctl;
	struct tcpx_ctl_mib mib;
	struct tcpx_ctl_status status;
	/* SS_LIST: struct tcpx_sockinfo (core/tcpx.h) */
	uint8_t raw[TCPX_CTL_FASTOPEN_MAX];
};

#define TCPX_LISTEN_CLAIM	0x01	/* LISTEN: claim-by-byte delivery */
/*
 * CONNECT: the program blocks in connect(2).  tcpxd answers when the
 * handshake resolves, result 0 or -errno with the fd (failed: shut both
 * ways, the error already read and cleared), or after at most
 * TCPX_CONNECT_WAIT_US with -EINPROGRESS and the usual pre-filled fd.
 * The one request that waits inside tcpxd, and only that long: the
 * process's other threads queue behind it on the control connection.
 * It saves the wake-up and the questions that would follow POLLOUT.
 */
#define TCPX_CONNECT_WAIT	0x02
#define TCPX_CONNECT_WAIT_US	2000
/*
 * The send buffer of each end of a connection's socketpair, as given to
 * SO_SNDBUF (which doubles it for overhead):
 * what the program writes waits there until tcpxd reads it (and what
 * tcpxd writes, until the program does), so a bigger one moves more per
 * read and wakes the writer less.  tcpxd sizes the ends it makes; the
 * preload sizes an accepted connection's, which the kernel made.
 */
#define TCPX_PAIR_SNDBUF	(1 << 20)
/*
 * SENDTO_FASTOPEN: the program's sendto(2) blocks (no O_NONBLOCK, no
 * MSG_DONTWAIT), so it sends what the SYN did not carry once connected;
 * the engine holds the ACK of the SYN-ACK for that data, as Linux does.
 */
#define TCPX_FASTOPEN_BLOCKING	0x04

struct tcpx_ctl_req {
	uint32_t op;			/* enum tcpx_ctl_op */
	uint32_t seq;			/* echoed in the reply */
	int32_t sock;			/* engine socket id, -1 for none */
	uint32_t flags;			/* TCPX_LISTEN_CLAIM for LISTEN, else 0 */
	union tcpx_ctl_args u;
};

#define TCPX_REP_MORE		0x01	/* more replies follow for this seq */
#define TCPX_REP_FD		0x02	/* an fd came with this reply */
#define TCPX_REP_EVENT		0x04	/* a trace event, not a reply (seq 0) */

struct tcpx_ctl_rep {
	uint32_t seq;
	int32_t result;			/* >= 0, or -errno */
	uint32_t flags;			/* TCPX_REP_* */
	int32_t sock;			/* the socket concerned (new id on create) */
	union tcpx_ctl_reply_args u;
};

/* Size of a request/reply header (before the payload union). */
#define TCPX_CTL_REQ_HDR	offsetof(struct tcpx_ctl_req, u)
#define TCPX_CTL_REP_HDR	offsetof(struct tcpx_ctl_rep, u)

/* ---- accepted connections ---------------------------------------------- */

#define TCPX_ACCEPT_MAGIC	0x74637841u	/* "tcxA" */

/*
 * Written by tcpxd on each delivered connection, before any data.  The
 * shim's accept() reads exactly sizeof(struct tcpx_accept_hdr) bytes.
 */
struct tcpx_accept_hdr {
	uint32_t magic;			/* TCPX_ACCEPT_MAGIC */
	int32_t sock;			/* engine socket id of the connection */
	struct sockaddr_in local;
	struct sockaddr_in peer;
};

/* ---- trace events (after TCPX_OP_TRACE) --------------------------------- */

#define TCPX_TRACE_SEG		0x01
#define TCPX_TRACE_STATE	0x02
#define TCPX_TRACE_TIMER	0x04

struct tcpx_ctl_event {
	uint32_t kind;			/* one TCPX_TRACE_* bit */
	int32_t sock;
	uint64_t now_us;
	int32_t dir;			/* SEG: TCPX_DIR_IN/OUT */
	int32_t from, to;		/* STATE */
	struct sockaddr_in local, remote;	/* STATE */
	char text[TCPX_CTL_NAMELEN];	/* STATE: cause; TIMER: timer name */
	uint32_t len;			/* SEG: bytes of IPv4 packet in data */
	uint8_t data[128];		/* SEG: IPv4 + TCP headers (truncated) */
};

_Static_assert(sizeof(struct tcpx_ctl_event) <=
    sizeof(union tcpx_ctl_reply_args), "a trace event fits in a reply");

/* ---- helpers in shim/common/ctl_msg.c (libc only: used by libtcpx.so) --- */

/* sun = "\0" name (abstract); returns the address length for bind/connect. */
socklen_t tcpx_abstract_addr(struct sockaddr_un *sun, const char *name);
/* Abstract control name for ifname; returns the address length. */
socklen_t tcpx_ctl_name(struct sockaddr_un *sun, const char *ifname);
/* Connect to tcpxd for ifname (SOCK_SEQPACKET|SOCK_CLOEXEC); fd or -errno. */
int tcpx_ctl_connect(const char *ifname);
/* Send one datagram of len bytes, with fd (or -1) as SCM_RIGHTS; 0 or -errno. */
int tcpx_ctl_send(int sock, const void *msg, size_t len, int fd);
/*
 * Receive one datagram into buf (at most len bytes); *fdp gets the fd that
 * came with it, or -1 (pass NULL to close any).  Returns bytes or -errno;
 * 0 means the peer closed.  Received fds are O_CLOEXEC.
 */
ssize_t tcpx_ctl_recv(int sock, void *buf, size_t len, int *fdp);
/* Send req, wait for its reply (skipping trace events); result or -errno. */
/*
 * Send req (with fd_in as SCM_RIGHTS if >= 0) and wait for its reply,
 * skipping trace events and stale replies.  0 with the daemon's answer in
 * rep (rep->result), or -errno when the channel itself failed.
 */
int tcpx_ctl_exchange(int sock, struct tcpx_ctl_req *req, size_t reqlen,
    int fd_in, struct tcpx_ctl_rep *rep, int *fdp);
int tcpx_ctl_call(int sock, struct tcpx_ctl_req *req, size_t reqlen,
    struct tcpx_ctl_rep *rep, int *fdp);
const char *tcpx_ctl_op_name(uint32_t op);

/*
 * Proof of possession (added by the preload helper).  A request about an
 * existing socket (GET_ERROR, SET/GETSOCKOPT, GET*NAME, SHUTDOWN, STATE)
 * may carry, as SCM_RIGHTS, the application's fd for that socket.  As
 * with the kernel, holding the fd is what entitles a process to use the
 * socket: nginx's workers run as nobody and use connections accepted on
 * a listener that root created.  tcpxd should accept the request when
 * the fd is the socket's application end (same st_ino), even if the
 * uids differ; without an fd the uid rule applies.  libtcpx.so sends it
 * whenever the fd is tcpxd's (connected or listening), tcpx_client_call_fd
 * in ctl_client.h.
 */

#endif /* TCPX_CTL_PROTO_H */
