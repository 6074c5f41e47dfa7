/*
 * preload.h - what the files of libtcpx.so share: the table of the real
 * libc functions, the fd table, the configuration and the control
 * connection.  Everything here has hidden visibility; only the
 * interposers themselves are exported (PRELOAD_EXPORT).
 *
 * Every interposer has the same prologue:
 *
 *	tcpx_init();				lazy, once per process
 *	e = fd_lookup(fd);			ours or the kernel's?
 *	if (e == NULL)
 *		return real.fn(...);		kernel: untouched
 *	... tcpx path ...
 *
 * The fd table says which application fds are tcpx sockets.  A kernel
 * AF_INET stream socket is tracked from socket() on (FDK_INET) so that
 * options set before connect/listen can be carried over; it becomes
 * FDK_BOUND when it has an engine socket but still the kernel fd, and
 * FDK_CONN / FDK_LISTEN once tcpxd's AF_UNIX fd has been dup3()ed onto
 * the application's fd number.
 *
 * Choices, where the design left room:
 *  - Ours: the stack's subnet, and with a gateway everything that is not
 *    loopback, multicast or on a subnet of another kernel interface
 *    (route.c).  Only AF_INET stream sockets; AF_INET6 (even a dual-stack
 *    [::] listener) stays the kernel's until tcpx serves IPv6.
 *  - bind() to the wildcard makes the engine socket at once (servers bind
 *    0.0.0.0 then listen), so EADDRINUSE and EACCES come from bind() as on
 *    Linux; a client that bound the wildcard and then connects to a
 *    kernel destination is handed back to the kernel at connect().
 *    TCPX_LISTEN=kernel leaves wildcard binds to the kernel.
 *  - Requests about a socket carry its fd, as proof of possession, and
 *    remember which tcpxd made it: a socket of a tcpxd that died reads as
 *    reset, never as another daemon's id.
 *  - A tcpx listener inherited across exec is recognised by its abstract
 *    name (adopt.c); inherited connections keep working for data but lose
 *    the error reporting of io.c.
 */
#ifndef TCPX_PRELOAD_H
#define TCPX_PRELOAD_H

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "ctl_proto.h"
#include "tcpx.h"
#include "tcpx_conf.h"

#define PRELOAD_EXPORT	__attribute__((visibility("default")))

/* The real functions, found with dlsym(RTLD_NEXT) by tcpx_init(). */
struct real_fns {
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*shutdown)(int, int);
	int (*close)(int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *,
	    socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int,
	    const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);	/* NULL before glibc 2.28 */
};
extern struct real_fns real;

/* ---- init.c: configuration and lazy initialisation ---------------------- */

struct preload_conf {
	bool enabled;		/* an interface and address are configured */
	bool listen_kernel;	/* TCPX_LISTEN=kernel: wildcard listens stay */
	bool debug;		/* TCPX_DEBUG=1 */
	struct tcpx_conf c;
	uint32_t mask;		/* network order */
};
extern struct preload_conf pconf;

void tcpx_init(void);
void tcpx_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- route.c: ours or the kernel's -------------------------------------- */

/* true if a TCP connect to sin should go through tcpx. */
bool route_is_ours(const struct sockaddr_in *sin);
/* true if bind(sin) should make the socket a tcpx socket now. */
bool route_bind_is_ours(const struct sockaddr_in *sin);
/* Copy sa/len to sin if it is a usable AF_INET address; else -errno. */
int sa_to_sin(const struct sockaddr *sa, socklen_t len,
    struct sockaddr_in *sin);
/* Copy sin out as getsockname(2) does (truncating, *len = full size). */
void sin_copy_out(const struct sockaddr_in *sin, struct sockaddr *sa,
    socklen_t *len);

/* ---- fdtable.c: which fds are ours -------------------------------------- */

enum fd_kind {
	FDK_NONE = 0,
	FDK_INET,	/* kernel AF_INET stream socket, watched */
	FDK_BOUND,	/* engine socket exists, fd is still the kernel's */
	FDK_CONN,	/* fd is tcpxd's socketpair end */
	FDK_LISTEN,	/* fd is tcpxd's AF_UNIX listener */
};

/*
 * Options set on the kernel socket, replayed on the engine socket: kept
 * in the form CONNECT carries them (ctl_proto.h struct tcpx_ctl_optval).
 */
#define FD_MAX_OPTS	TCPX_CTL_CONNECT_OPTS
#define FD_OPT_VALLEN	TCPX_CTL_CONNECT_OPTLEN

struct fd_ent {
	int kind;		/* enum fd_kind */
	int sock;		/* engine socket id (FDK_BOUND and after) */
	dev_t dev;		/* identity of the open file, to notice a */
	ino_t ino;		/* number reused behind our back */
	bool connecting;	/* FDK_CONN: connect not yet resolved */
	bool have_names;	/* local/peer valid (from the accept header) */
	bool gone_told;		/* ECONNRESET reported for a lost tcpxd */
	bool timeouts;		/* SO_RCVTIMEO/SO_SNDTIMEO set by the program */
	pid_t daemon;		/* the tcpxd that made it (0: unknown) */
	struct sockaddr_in local, peer;
	struct sockaddr_in bound;	/* FDK_BOUND: what the program asked */
	struct linger linger;	/* as set by the program */
	unsigned nopt;
	struct tcpx_ctl_optval opt[FD_MAX_OPTS];
};

/* The entry for fd if it is tracked (kind != FDK_NONE), else NULL. */
struct fd_ent *fd_lookup(int fd);
/* As fd_lookup, but checks the fd still names the same open file. */
struct fd_ent *fd_lookup_checked(int fd);
/* A fresh entry of kind for fd (previous contents cleared); NULL if fd
 * is out of range or memory is short. */
struct fd_ent *fd_track(int fd, int kind);
/* Record the open file behind fd in e (after socket(), dup3()...). */
void fd_stamp(struct fd_ent *e, int fd);
void fd_forget(int fd);
/* dup: newfd names the same socket as oldfd. */
void fd_copy(int oldfd, int newfd);
/* adopt.c: fd is a tcpx listener this process does not know (inherited
 * across exec): track it and return its entry; else NULL. */
struct fd_ent *fd_adopt(int fd);
/* Remember an option set on a kernel socket (FDK_INET). */
void fd_record_opt(struct fd_ent *e, int level, int name, const void *val,
    socklen_t len);

/* ---- ctl.c: the control connection -------------------------------------- */

/*
 * One request/reply with tcpxd, under the process's control mutex;
 * opens the connection (starting tcpxd if none answers) on first use.
 * Returns rep->result (>= 0 or -errno); *fdp the fd that came with the
 * reply, or -1.  fdp may be NULL.
 */
int ctl_call(struct tcpx_ctl_req *req, size_t len, struct tcpx_ctl_rep *rep,
    int *fdp);
/*
 * A request about e's socket (req->sock is set from e): never starts
 * tcpxd, and sends fd_in (the program's fd for the socket, or -1) with
 * the request as proof that this process holds it.  If the tcpxd that
 * made the socket is gone (it died; another may run now, whose ids mean
 * other sockets), nothing is asked: GET_ERROR says ECONNRESET once, as
 * for a connection reset, then 0; STATE says -EBADF; the rest -ENOTCONN.
 */
int ctl_call_sock(struct fd_ent *e, struct tcpx_ctl_req *req, size_t len,
    struct tcpx_ctl_rep *rep, int fd_in);
/* tcpxd's pid from HELLO (0 if not connected). */
pid_t ctl_daemon_pid(void);
/* Simple calls about e's socket, whose fd (or -1) goes along. */
int ctl_simple(uint32_t op, struct fd_ent *e, int fd);
int ctl_sockopt(uint32_t op, struct fd_ent *e, int fd, int level, int name,
    void *val, socklen_t *len);
/* The program closed or replaced fd; if it is ours, forget it. */
void ctl_fd_gone(int fd);
/* fork.c hooks. */
void ctl_atfork_prepare(void);
void ctl_atfork_parent(void);
void ctl_atfork_child(void);

/* ---- spawn.c: start tcpxd ----------------------------------------------- */

/* Start tcpxd for ifname and wait for its control socket; 0 or -errno,
 * with one line on stderr saying why when it fails. */
int spawn_tcpxd(const char *ifname);

/* ---- convert.c: turning a kernel socket into a tcpx one ----------------- */

/* Make sure e (FDK_INET) has an engine socket with the program's options:
 * SOCKET, replay options; e becomes FDK_BOUND-like (sock set). 0/-errno. */
int conv_engine_socket(int fd, struct fd_ent *e);
/* Put newfd on fd's number, keeping O_NONBLOCK, FD_CLOEXEC and (if the
 * program set any: e->timeouts) the timeouts of the old file; closes
 * newfd.  0 or -errno. */
int conv_install(int fd, int newfd, const struct fd_ent *e);
/* Back to a plain kernel socket: drop the engine socket. */
void conv_drop_engine(struct fd_ent *e);

/* ---- connect.c ---------------------------------------------------------- */

/* sendto(MSG_FASTOPEN) on a socket not yet connected, to sin (ours). */
ssize_t connect_fastopen(int fd, struct fd_ent *e, const void *buf,
    size_t len, int flags, const struct sockaddr_in *sin);
/* The connecting fd says, without asking tcpxd, that it is connected. */
bool connect_seen_done(int fd);

/* ---- helpers ------------------------------------------------------------ */

/* errno = err; return -1, the usual failure return of a wrapper. */
static inline int
set_errno(int err)
{
	errno = err;
	return -1;
}

#endif /* TCPX_PRELOAD_H */
