/*
 * sockapi - precise socket-call sequences whose results must be Linux's.
 *
 * Each scenario prints one line per call: the call, then its result as
 * an errno name or a value.  tests/integration/26_sockapi.sh runs a
 * scenario once on the kernel (in tcpx-peer) and once under tcpx (in
 * tcpx-host) and compares the transcripts, or compares with the
 * transcript Linux gives when the kernel cannot be run the same way.
 *
 *   sockapi connect-nb IP PORT LOCAL_IP	non-blocking connect, resolved
 *   sockapi refused IP PORT		non-blocking and blocking, refused
 *   sockapi pending IP PORT		a SYN nobody answers
 *   sockapi reset-write IP PORT		peer sends RST: write, write, read
 *   sockapi reset-read IP PORT		peer sends RST: read, read
 *   sockapi accept PORT PEER_IP		listener, accept4 flags, names
 *   sockapi forged PORT			a connection not from tcpxd
 *   sockapi options IP PORT		SO_TYPE & co, TCP_NODELAY, TCP_INFO
 *   sockapi threads IP PORT		8 threads, each its own connection
 *					to an echo server, at the same time
 *   sockapi bindrules PORT		EADDRINUSE, EINVAL, ephemeral ports,
 *					SO_REUSEPORT on PORT+1
 *   sockapi linger IP PORT		SO_LINGER {1,2} and {1,0} closes
 *   sockapi fastopen IP PORT		sendto(MSG_FASTOPEN) to an echo server
 *   sockapi tfo-connect IP PORT	TCP_FASTOPEN_CONNECT, then write
 *   sockapi shut IP PORT		SHUT_RD then SHUT_WR on an echo
 *   sockapi backlog PORT N		listen(N), accept nothing for 2 s,
 *					then count what is queued
 *   sockapi connect-many IP PORT K	K non-blocking connects; how many
 *					complete within 1 s
 *   sockapi keepalive IP PORT		keepalive 1 s, 1 s, 2 probes; prints
 *					"ready", then reads until the peer is
 *					declared dead (the caller cuts it off)
 *   sockapi fork IP PORT		a connection used by parent and child;
 *					the child makes one of its own too
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t sigpipes;

static void
on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static const char *
ename(int e)
{
	switch (e) {
#define E(x) case x: return #x
	E(EINPROGRESS); E(EALREADY); E(EISCONN); E(ECONNREFUSED);
	E(ECONNRESET); E(EPIPE); E(ETIMEDOUT); E(EAGAIN); E(EINVAL);
	E(ENOTCONN); E(EACCES); E(EADDRINUSE); E(ENETUNREACH);
	E(EHOSTUNREACH); E(ECONNABORTED); E(EBADF); E(ENOPROTOOPT);
#undef E
	default: {
		static char buf[32];
		snprintf(buf, sizeof(buf), "errno%d", e);
		return buf;
	}
	}
}

/* "name: 0" or "name: -1 ENAME". */
static void
show(const char *what, long rc)
{
	if (rc < 0)
		printf("%s: -1 %s\n", what, ename(errno));
	else
		printf("%s: %ld\n", what, rc);
	fflush(stdout);
}

static struct sockaddr_in
addr(const char *ip, int port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", ip);
		exit(2);
	}
	return a;
}

static int
so_error(int fd)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) < 0)
		return -1000 - errno;
	return v;
}

static void
show_so_error(int fd)
{
	int v = so_error(fd);

	printf("SO_ERROR: %s\n", v == 0 ? "0" : ename(v));
	fflush(stdout);
}

/* Writable (POLLOUT or POLLERR) within ms? */
static void
show_writable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int n = poll(&p, 1, ms);

	printf("poll(POLLOUT, %d ms): %s\n", ms, n == 0 ? "timeout" :
	    (p.revents & (POLLOUT | POLLERR)) ? "writable" : "other");
	fflush(stdout);
}

static int
nb_socket(void)
{
	return socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
}

static int
sc_connect_nb(char **av)
{
	struct sockaddr_in a = addr(av[0], atoi(av[1])), l;
	struct in_addr want;
	socklen_t ll = sizeof(l);
	int fd = nb_socket();

	inet_pton(AF_INET, av[2], &want);
	show("connect", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	show_writable(fd, 2000);
	show_so_error(fd);
	show("connect again", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	show("connect third", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	memset(&l, 0, sizeof(l));
	show("getpeername", getpeername(fd, (struct sockaddr *)&l, &ll));
	printf("peer: %s %s len %u\n", l.sin_family == AF_INET ? "AF_INET" :
	    "?", memcmp(&l.sin_addr, &a.sin_addr, 4) == 0 &&
	    l.sin_port == a.sin_port ? "same" : "DIFFERENT", (unsigned)ll);
	ll = sizeof(l);
	show("getsockname", getsockname(fd, (struct sockaddr *)&l, &ll));
	printf("local: %s port %s\n", l.sin_addr.s_addr == want.s_addr ?
	    "expected address" : inet_ntoa(l.sin_addr),
	    ntohs(l.sin_port) >= 32768 ? "ephemeral" : "LOW");
	show("close", close(fd));
	return 0;
}

static int
sc_refused(char **av)
{
	struct sockaddr_in a = addr(av[0], atoi(av[1]));
	int fd = nb_socket();

	show("connect", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	show_writable(fd, 2000);
	show_so_error(fd);
	show_so_error(fd);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	show("blocking connect", connect(fd, (struct sockaddr *)&a,
	    sizeof(a)));
	close(fd);
	return 0;
}

static int
sc_pending(char **av)
{
	struct sockaddr_in a = addr(av[0], atoi(av[1]));
	int fd = nb_socket();

	show("connect", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	show("connect again", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	show_writable(fd, 300);
	show_so_error(fd);
	show("write", write(fd, "x", 1));
	show("close", close(fd));
	return 0;
}

/*
 * A blocking connect that outlasts its SO_SNDTIMEO (the destination is
 * silent): EINPROGRESS, and the socket still connecting after it.  For
 * tcpx this is the blocking connect whose answer tcpxd stops holding
 * (ctl_proto.h TCPX_CONNECT_WAIT) and fills the fd late.
 */
static int
sc_blocking_timeout(char **av)
{
	struct sockaddr_in a = addr(av[0], atoi(av[1]));
	struct timeval tv = { 0, 300 * 1000 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	show("blocking connect, SO_SNDTIMEO 300 ms",
	    connect(fd, (struct sockaddr *)&a, sizeof(a)));
	show_writable(fd, 300);
	show_so_error(fd);
	show("blocking write", write(fd, "x", 1));
	show("close", close(fd));
	return 0;
}

static int
connected(const char *ip, int port)
{
	struct sockaddr_in a = addr(ip, port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	show("connect", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	return fd;
}

static int
sc_reset_write(char **av)
{
	int fd = connected(av[0], atoi(av[1]));
	char c;

	usleep(800 * 1000);	/* the server resets after 300 ms */
	show("write", write(fd, "x", 1));
	printf("sigpipes: %d\n", (int)sigpipes);
	show("write", write(fd, "x", 1));
	printf("sigpipes: %d\n", (int)sigpipes);
	show("send MSG_NOSIGNAL", send(fd, "x", 1, MSG_NOSIGNAL));
	printf("sigpipes: %d\n", (int)sigpipes);
	show("read", read(fd, &c, 1));
	show_so_error(fd);
	close(fd);
	return 0;
}

static int
sc_reset_read(char **av)
{
	int fd = connected(av[0], atoi(av[1]));
	char c;

	usleep(800 * 1000);
	show("read", read(fd, &c, 1));
	show("read", read(fd, &c, 1));
	show("recv", recv(fd, &c, 1, 0));
	close(fd);
	return 0;
}

static int
listener(int port)
{
	struct sockaddr_in a = addr("0.0.0.0", port);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	show("bind", bind(fd, (struct sockaddr *)&a, sizeof(a)));
	show("listen", listen(fd, 8));
	return fd;
}

static int
sc_accept(char **av)
{
	int port = atoi(av[0]), lfd = listener(port), fd, v, fl;
	struct sockaddr_in p, l;
	struct in_addr want;
	socklen_t pl = sizeof(p), ll = sizeof(l), vl = sizeof(v);
	struct pollfd pf = { .fd = lfd, .events = POLLIN | POLLOUT };

	inet_pton(AF_INET, av[1], &want);
	getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
	printf("SO_ACCEPTCONN: %d\n", v);
	ll = sizeof(l);
	getsockname(lfd, (struct sockaddr *)&l, &ll);
	printf("listener name: %s:%d len %u\n", inet_ntoa(l.sin_addr),
	    ntohs(l.sin_port), (unsigned)ll);
	printf("poll(listener, 100 ms): %d\n", poll(&pf, 1, 100));
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	show("accept (empty)", accept(lfd, NULL, NULL));
	printf("ready\n");
	fflush(stdout);
	pf.events = POLLIN;
	printf("poll(listener, 10 s): %d\n", poll(&pf, 1, 10000));
	memset(&p, 0, sizeof(p));
	fd = accept4(lfd, (struct sockaddr *)&p, &pl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	show("accept4", fd < 0 ? -1 : 0);
	if (fd < 0)
		return 1;
	fl = fcntl(fd, F_GETFL);
	printf("O_NONBLOCK: %d FD_CLOEXEC: %d\n", !!(fl & O_NONBLOCK),
	    !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	printf("peer: %s len %u\n", p.sin_addr.s_addr == want.s_addr ?
	    "expected address" : inet_ntoa(p.sin_addr), (unsigned)pl);
	ll = sizeof(l);
	getsockname(fd, (struct sockaddr *)&l, &ll);
	printf("local port: %d\n", ntohs(l.sin_port));
	pl = sizeof(l);
	getpeername(fd, (struct sockaddr *)&l, &pl);
	printf("getpeername: %s\n", l.sin_port == p.sin_port &&
	    l.sin_addr.s_addr == p.sin_addr.s_addr ? "same as accept" :
	    "DIFFERENT");
	show("write", write(fd, "hello\n", 6));
	close(fd);
	fcntl(lfd, F_SETFL, 0);
	fd = accept4(lfd, NULL, NULL, 0);
	show("accept4 (blocking, second)", fd < 0 ? -1 : 0);
	printf("FD_CLOEXEC: %d\n", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	close(fd);
	close(lfd);
	return 0;
}

/*
 * A process that is not tcpxd connects to the listener's AF_UNIX socket
 * and writes a well-formed header: accept() must never return it.  The
 * name is read with the raw system call, past libtcpx's getsockname.
 */
static int
sc_forged(char **av)
{
	int lfd = listener(atoi(av[0])), s, st;
	struct sockaddr_un un;
	socklen_t ul = sizeof(un);
	unsigned char hdr[40];
	pid_t pid;

	if (syscall(SYS_getsockname, lfd, &un, &ul) < 0 ||
	    un.sun_family != AF_UNIX) {
		printf("listener is not an AF_UNIX socket (not under tcpx?)\n");
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		s = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
		if (syscall(SYS_connect, s, &un, ul) < 0)
			_exit(3);
		memset(hdr, 0, sizeof(hdr));
		hdr[0] = 0x41; hdr[1] = 0x78; hdr[2] = 0x63; hdr[3] = 0x74;
		syscall(SYS_write, s, hdr, sizeof(hdr));
		sleep(2);
		_exit(0);
	}
	usleep(300 * 1000);
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	show("accept (forged only)", accept(lfd, NULL, NULL));
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	close(lfd);
	return 0;
}

static int
sc_options(char **av)
{
	int fd = connected(av[0], atoi(av[1])), v;
	socklen_t l;
	struct tcp_info ti;

#define GET(level, name) do {						\
	v = -1; l = sizeof(v);						\
	show("getsockopt " #name, getsockopt(fd, level, name, &v, &l));	\
	printf(#name " = %d (len %u)\n", v, (unsigned)l);		\
} while (0)
	GET(SOL_SOCKET, SO_TYPE);
	GET(SOL_SOCKET, SO_DOMAIN);
	GET(SOL_SOCKET, SO_PROTOCOL);
	GET(SOL_SOCKET, SO_ACCEPTCONN);
	GET(IPPROTO_TCP, TCP_NODELAY);
	v = 1;
	show("setsockopt TCP_NODELAY", setsockopt(fd, IPPROTO_TCP,
	    TCP_NODELAY, &v, sizeof(v)));
	GET(IPPROTO_TCP, TCP_NODELAY);
	v = 1;
	show("setsockopt SO_KEEPALIVE", setsockopt(fd, SOL_SOCKET,
	    SO_KEEPALIVE, &v, sizeof(v)));
	GET(SOL_SOCKET, SO_KEEPALIVE);
	v = 30;
	show("setsockopt TCP_KEEPIDLE", setsockopt(fd, IPPROTO_TCP,
	    TCP_KEEPIDLE, &v, sizeof(v)));
	GET(IPPROTO_TCP, TCP_KEEPIDLE);
#undef GET
	memset(&ti, 0, sizeof(ti));
	l = sizeof(ti);
	show("getsockopt TCP_INFO", getsockopt(fd, IPPROTO_TCP, TCP_INFO,
	    &ti, &l));
	printf("tcpi_state: %u\n", ti.tcpi_state);
	printf("tcpi: mss %s, rtt %s, rto %s, options%s%s%s, wscale %s\n",
	    ti.tcpi_snd_mss >= 536 ? ">= 536" : "BAD",
	    ti.tcpi_rtt > 0 ? "> 0" : "0",
	    ti.tcpi_rto >= 200000 ? ">= 200 ms" : "< 200 ms",
	    ti.tcpi_options & TCPI_OPT_TIMESTAMPS ? " ts" : "",
	    ti.tcpi_options & TCPI_OPT_SACK ? " sack" : "",
	    ti.tcpi_options & TCPI_OPT_WSCALE ? " wscale" : "",
	    ti.tcpi_snd_wscale > 0 && ti.tcpi_rcv_wscale > 0 ? "both" : "NONE");
	close(fd);
	return 0;
}

/* Send n bytes of a pattern to an echo server, read them back, compare. */
static int
echo_round(int fd, size_t n)
{
	char *out = malloc(n), *in = malloc(n);
	size_t i, sent = 0, got = 0;
	ssize_t r;
	int ok;

	for (i = 0; i < n; i++)
		out[i] = (char)(i * 7 + (size_t)fd);
	while (got < n) {
		if (sent < n) {
			r = write(fd, out + sent, n - sent < 8192 ? n - sent : 8192);
			if (r < 0)
				break;
			sent += (size_t)r;
		}
		r = read(fd, in + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	ok = got == n && memcmp(in, out, n) == 0;
	free(out);
	free(in);
	return ok;
}

struct targ {
	const char *ip;
	int port, ok;
};

static void *
thread_main(void *p)
{
	struct targ *t = p;
	struct sockaddr_in a = addr(t->ip, t->port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	t->ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    echo_round(fd, 200000);
	close(fd);
	return NULL;
}

static int
sc_threads(char **av)
{
	pthread_t th[8];
	struct targ t[8];
	int i, ok = 0;

	for (i = 0; i < 8; i++) {
		t[i].ip = av[0];
		t[i].port = atoi(av[1]);
		t[i].ok = 0;
		pthread_create(&th[i], NULL, thread_main, &t[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		ok += t[i].ok;
	}
	printf("threads: %d of 8 echoed 200000 bytes intact\n", ok);
	return ok == 8 ? 0 : 1;
}

static int
sc_fork(char **av)
{
	int fd = connected(av[0], atoi(av[1])), st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int own = connected(av[0], atoi(av[1]));

		show_so_error(fd);
		printf("child, inherited: %s\n", echo_round(fd, 50000) ?
		    "echoed" : "BROKEN");
		printf("child, own: %s\n", echo_round(own, 50000) ?
		    "echoed" : "BROKEN");
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	show_so_error(fd);
	printf("parent, after the child: %s\n", echo_round(fd, 50000) ?
	    "echoed" : "BROKEN");
	show("close", close(fd));
	return 0;
}

static void
show_port(const char *what, int fd)
{
	struct sockaddr_in l;
	socklen_t ll = sizeof(l);

	memset(&l, 0, sizeof(l));
	getsockname(fd, (struct sockaddr *)&l, &ll);
	printf("%s: %s\n", what, ntohs(l.sin_port) >= 32768 ? "ephemeral" :
	    ntohs(l.sin_port) == 0 ? "0" : "fixed");
}

static int
sc_bindrules(char **av)
{
	int port = atoi(av[0]), one = 1, a, b, c, d;
	struct sockaddr_in any = addr("0.0.0.0", port), zero = addr("0.0.0.0", 0);

	a = socket(AF_INET, SOCK_STREAM, 0);
	show("bind a", bind(a, (struct sockaddr *)&any, sizeof(any)));
	show("listen a", listen(a, 4));
	b = socket(AF_INET, SOCK_STREAM, 0);
	show("bind b same port", bind(b, (struct sockaddr *)&any, sizeof(any)));
	c = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	show("bind c same port, SO_REUSEADDR", bind(c, (struct sockaddr *)&any,
	    sizeof(any)));
	d = socket(AF_INET, SOCK_STREAM, 0);
	show("bind d port 0", bind(d, (struct sockaddr *)&zero, sizeof(zero)));
	show_port("d port", d);
	show("bind d again", bind(d, (struct sockaddr *)&zero, sizeof(zero)));
	show("listen d", listen(d, 4));
	close(a); close(b); close(c); close(d);
	a = socket(AF_INET, SOCK_STREAM, 0);
	show("listen unbound", listen(a, 4));
	show_port("unbound listener port", a);
	close(a);

	/* SO_REUSEPORT: two listeners on one port, both with the option. */
	any.sin_port = htons((uint16_t)(port + 1));
	a = socket(AF_INET, SOCK_STREAM, 0);
	b = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(b, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	show("bind reuseport a", bind(a, (struct sockaddr *)&any, sizeof(any)));
	show("listen reuseport a", listen(a, 4));
	show("bind reuseport b", bind(b, (struct sockaddr *)&any, sizeof(any)));
	show("listen reuseport b", listen(b, 4));
	show("bind c without SO_REUSEPORT", bind(c, (struct sockaddr *)&any,
	    sizeof(any)));
	close(a); close(b); close(c);
	return 0;
}

static double
now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static int
sc_linger(char **av)
{
	struct linger lg = { 1, 2 };
	char buf[1000];
	double t0;
	int fd;

	memset(buf, 'x', sizeof(buf));
	fd = connected(av[0], atoi(av[1]));
	show("setsockopt SO_LINGER {1,2}", setsockopt(fd, SOL_SOCKET,
	    SO_LINGER, &lg, sizeof(lg)));
	show("write", write(fd, buf, sizeof(buf)));
	t0 = now_s();
	show("close", close(fd));
	printf("close returned %s\n", now_s() - t0 < 1.0 ? "within 1 s" :
	    "LATE");
	fd = connected(av[0], atoi(av[1]));
	lg.l_linger = 0;
	show("setsockopt SO_LINGER {1,0}", setsockopt(fd, SOL_SOCKET,
	    SO_LINGER, &lg, sizeof(lg)));
	show("close", close(fd));
	return 0;
}

static void
show_echo(int fd, const char *want)
{
	char buf[64];
	size_t got = 0, n = strlen(want);
	ssize_t r;

	while (got < n && (r = read(fd, buf + got, n - got)) > 0)
		got += (size_t)r;
	printf("echo: %s\n", got == n && memcmp(buf, want, n) == 0 ? "same" :
	    "DIFFERENT");
}

static int
sc_fastopen(char **av)
{
	struct sockaddr_in a = addr(av[0], atoi(av[1]));
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	show("sendto MSG_FASTOPEN", sendto(fd, "hello", 5, MSG_FASTOPEN,
	    (struct sockaddr *)&a, sizeof(a)));
	show_echo(fd, "hello");
	show("connect after", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	close(fd);
	return 0;
}

static int
sc_tfo_connect(char **av)
{
	struct sockaddr_in a = addr(av[0], atoi(av[1]));
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	show("setsockopt TCP_FASTOPEN_CONNECT", setsockopt(fd, IPPROTO_TCP,
	    TCP_FASTOPEN_CONNECT, &one, sizeof(one)));
	show("connect", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	show("write", write(fd, "hello", 5));
	show_echo(fd, "hello");
	close(fd);
	return 0;
}

static int
sc_shut(char **av)
{
	int fd = connected(av[0], atoi(av[1]));
	char c;

	show("shutdown SHUT_RD", shutdown(fd, SHUT_RD));
	show("read", read(fd, &c, 1));
	show("write", write(fd, "x", 1));
	/*
	 * Let the echo arrive while still ESTABLISHED, on both stacks: after
	 * SHUT_WR (FIN-WAIT-1) data for a read-shut socket is answered with
	 * RST (Linux, RFC 1122), which would make the outcome a race.
	 */
	usleep(200000);
	show("shutdown SHUT_WR", shutdown(fd, SHUT_WR));
	show("write after SHUT_WR", send(fd, "x", 1, MSG_NOSIGNAL));
	show("shutdown bad how", shutdown(fd, 7));
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	show("shutdown unconnected", shutdown(fd, SHUT_WR));
	close(fd);
	return 0;
}

static int
sc_keepalive(char **av)
{
	int fd = connected(av[0], atoi(av[1])), v = 1;
	double t0, dt;
	char c;

	show("setsockopt SO_KEEPALIVE", setsockopt(fd, SOL_SOCKET,
	    SO_KEEPALIVE, &v, sizeof(v)));
	show("setsockopt TCP_KEEPIDLE", setsockopt(fd, IPPROTO_TCP,
	    TCP_KEEPIDLE, &v, sizeof(v)));
	show("setsockopt TCP_KEEPINTVL", setsockopt(fd, IPPROTO_TCP,
	    TCP_KEEPINTVL, &v, sizeof(v)));
	v = 2;
	show("setsockopt TCP_KEEPCNT", setsockopt(fd, IPPROTO_TCP,
	    TCP_KEEPCNT, &v, sizeof(v)));
	printf("ready\n");
	fflush(stdout);
	t0 = now_s();
	show("read", read(fd, &c, 1));
	dt = now_s() - t0;
	printf("dead after %s\n", dt >= 2.5 && dt <= 6 ? "3 s or so" : "WRONG TIME");
	close(fd);
	return 0;
}

static int
sc_backlog(char **av)
{
	struct sockaddr_in a = addr("0.0.0.0", atoi(av[0]));
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, n = 0, c;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	show("bind", bind(fd, (struct sockaddr *)&a, sizeof(a)));
	show("listen", listen(fd, atoi(av[1])));
	printf("ready\n");
	fflush(stdout);
	sleep(2);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((c = accept(fd, NULL, NULL)) >= 0) {
		n++;
		close(c);
	}
	printf("accepted: %d (then %s)\n", n, ename(errno));
	close(fd);
	return 0;
}

static int
sc_connect_many(char **av)
{
	struct sockaddr_in a = addr(av[0], atoi(av[1]));
	int k = atoi(av[2]), fds[64], i, ok = 0;
	struct pollfd p[64];

	if (k > 64)
		k = 64;
	for (i = 0; i < k; i++) {
		fds[i] = nb_socket();
		connect(fds[i], (struct sockaddr *)&a, sizeof(a));
		p[i].fd = fds[i];
		p[i].events = POLLOUT;
		usleep(20 * 1000);
	}
	usleep(1000 * 1000);
	poll(p, (nfds_t)k, 0);
	for (i = 0; i < k; i++)
		if ((p[i].revents & POLLOUT) && so_error(fds[i]) == 0)
			ok++;
	printf("connected: %d of %d\n", ok, k);
	fflush(stdout);
	sleep(2);
	for (i = 0; i < k; i++)
		close(fds[i]);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int nargs;
		int (*fn)(char **);
	} sc[] = {
		{ "connect-nb", 3, sc_connect_nb },
		{ "refused", 2, sc_refused },
		{ "pending", 2, sc_pending },
		{ "blocking-timeout", 2, sc_blocking_timeout },
		{ "reset-write", 2, sc_reset_write },
		{ "reset-read", 2, sc_reset_read },
		{ "accept", 2, sc_accept },
		{ "forged", 1, sc_forged },
		{ "options", 2, sc_options },
		{ "threads", 2, sc_threads },
		{ "fork", 2, sc_fork },
		{ "bindrules", 1, sc_bindrules },
		{ "linger", 2, sc_linger },
		{ "fastopen", 2, sc_fastopen },
		{ "tfo-connect", 2, sc_tfo_connect },
		{ "shut", 2, sc_shut },
		{ "backlog", 2, sc_backlog },
		{ "keepalive", 2, sc_keepalive },
		{ "connect-many", 3, sc_connect_many },
	};
	size_t i;

	signal(SIGPIPE, on_sigpipe);
	for (i = 0; argc >= 2 && i < sizeof(sc) / sizeof(sc[0]); i++)
		if (strcmp(argv[1], sc[i].name) == 0 && argc == 2 + sc[i].nargs)
			return sc[i].fn(argv + 2);
	fprintf(stderr, "usage: sockapi SCENARIO ARGS... (see the source)\n");
	return 2;
}
