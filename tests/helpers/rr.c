/*
 * rr.c - small TCP load generator for `make bench` (scripts/bench).
 *
 *   rr server ADDR PORT SECONDS   echo every byte back, any number of
 *                                 connections (epoll), exit after SECONDS
 *   rr client ADDR PORT N         N 1-byte request/response round trips on
 *                                 one connection: "rr N tps P50 P99" (us)
 *   rr connect ADDR PORT N        N times connect + close: "conn N per_s"
 *   rr hold ADDR PORT N           open N connections, print "held N", keep
 *                                 them until stdin reaches EOF, close all
 *
 * Every mode is bounded (a count, or the server's time limit).  The client
 * side is what runs under `tcpx run`; the server is always a kernel one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "rr: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* As many descriptors as the hard limit allows (hold mode needs 10,000+). */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
addr_of(struct sockaddr_in *sin, const char *a, const char *p)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(p));
	if (inet_pton(AF_INET, a, &sin->sin_addr) != 1) {
		fprintf(stderr, "rr: bad address %s\n", a);
		exit(2);
	}
}

static int
dial(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket");
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0)
		die("connect");
	return fd;
}

static int
server(const struct sockaddr_in *sin, int seconds)
{
	struct epoll_event ev, evs[256];
	char buf[65536];
	uint64_t end = now_ns() + (uint64_t)seconds * 1000000000u;
	int lfd, ep, one = 1, n, i, fd;
	ssize_t r;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		die("socket");
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (const struct sockaddr *)sin, sizeof(*sin)) < 0)
		die("bind");
	if (listen(lfd, 4096) < 0)
		die("listen");
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("listening\n");
	fflush(stdout);
	while (now_ns() < end) {
		n = epoll_wait(ep, evs, 256, 200);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					(void)setsockopt(fd, IPPROTO_TCP,
					    TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r > 0) {
				/* Echo; a 1-byte request always fits. */
				if (write(fd, buf, (size_t)r) < 0)
					r = 0;
			}
			if (r == 0 || (r < 0 && errno != EAGAIN &&
			    errno != EINTR))
				close(fd);	/* leaves epoll with it */
		}
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
client(const struct sockaddr_in *sin, long n)
{
	uint64_t *lat, t0, t, start;
	char c = 'x';
	long i;
	int fd;

	lat = calloc((size_t)n, sizeof(*lat));
	if (lat == NULL)
		die("calloc");
	fd = dial(sin);
	start = now_ns();
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		if (write(fd, &c, 1) != 1)
			die("write");
		if (read(fd, &c, 1) != 1)
			die("read");
		t = now_ns();
		lat[i] = t - t0;
	}
	t = now_ns() - start;
	close(fd);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	printf("rr %ld %.0f %.1f %.1f\n", n, (double)n * 1e9 / (double)t,
	    (double)lat[n / 2] / 1e3, (double)lat[n * 99 / 100] / 1e3);
	free(lat);
	return 0;
}

static int
conn_loop(const struct sockaddr_in *sin, long n)
{
	uint64_t start = now_ns(), t;
	long i;

	for (i = 0; i < n; i++)
		close(dial(sin));
	t = now_ns() - start;
	printf("conn %ld %.0f\n", n, (double)n * 1e9 / (double)t);
	return 0;
}

static int
hold(const struct sockaddr_in *sin, long n)
{
	int *fds;
	char buf[64];
	long i;

	fds = calloc((size_t)n, sizeof(*fds));
	if (fds == NULL)
		die("calloc");
	for (i = 0; i < n; i++)
		fds[i] = dial(sin);
	printf("held %ld\n", n);
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	long n;

	if (argc != 5) {
		fprintf(stderr, "usage: rr server|client|connect|hold ADDR "
		    "PORT N\n");
		return 2;
	}
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);	/* a peer's RST must not kill the server */
	addr_of(&sin, argv[2], argv[3]);
	n = atol(argv[4]);
	if (n <= 0) {
		fprintf(stderr, "rr: N must be positive\n");
		return 2;
	}
	if (strcmp(argv[1], "server") == 0)
		return server(&sin, (int)n);
	if (strcmp(argv[1], "client") == 0)
		return client(&sin, n);
	if (strcmp(argv[1], "connect") == 0)
		return conn_loop(&sin, n);
	if (strcmp(argv[1], "hold") == 0)
		return hold(&sin, n);
	fprintf(stderr, "rr: unknown mode %s\n", argv[1]);
	return 2;
}
