/*
 * floor.c - what tcpx's design costs the operating system alone, with no
 * TCP and no packets: the floor under two of `make bench`'s figures
 * (scripts/bench).  ../shared/design.md makes every connected socket one
 * end of an AF_UNIX socketpair whose other end tcpxd pumps, and a connect
 * a round trip on the control socket that hands the program that end.
 *
 *   floor pair MB     MB through a socketpair from one process to another,
 *                     as a program's writes reach tcpxd: 128 KB writes
 *                     (iperf3's), reads of up to 1 MB, both ends' buffers
 *                     as tcpxd sizes them (TCPX_PAIR_SNDBUF):
 *                     "pair MB Gbit/s"
 *   floor conn N      N times what a blocking connect and a close cost
 *                     outside TCP: the program makes its kernel socket
 *                     (socket, TCP_NODELAY), sends a request on a
 *                     SOCK_SEQPACKET control socket and waits; the daemon
 *                     (epoll) makes a socketpair, sends one end back with
 *                     SCM_RIGHTS (tcpx_ctl_send/recv, as tcpxd and
 *                     libtcpx.so do) and watches the other; the program
 *                     dup3()s the end onto its socket and closes it; the
 *                     daemon sees EOF and closes its end: "conn N per_s"
 *
 * tcpx does all of this and TCP besides, so neither figure can be beaten
 * by tcpx on the same machine.  Bounded: by the count, and by an alarm.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl_proto.h"

#define WRITE_SIZE	(128u << 10)
#define READ_SIZE	(1u << 20)
#define REQ_SIZE	512	/* about a CONNECT request */
#define TIME_LIMIT_S	120

static void
die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
pair_bufs(int fd)
{
	int v = TCPX_PAIR_SNDBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

static int
pair(long mb)
{
	uint64_t total = (uint64_t)mb << 20, got = 0;
	uint8_t *buf;
	double t0, t1;
	ssize_t n;
	int sv[2], st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair");
	pair_bufs(sv[0]);
	pair_bufs(sv[1]);
	if ((buf = malloc(READ_SIZE)) == NULL)
		die("malloc");
	memset(buf, 0x5a, READ_SIZE);
	t0 = now_s();
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {		/* the program, writing */
		uint64_t sent = 0;

		close(sv[1]);
		while (sent < total) {
			n = write(sv[0], buf, WRITE_SIZE);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				_exit(1);
			sent += (uint64_t)n;
		}
		_exit(0);
	}
	close(sv[0]);		/* tcpxd, reading */
	while ((n = read(sv[1], buf, READ_SIZE)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		got += (uint64_t)n;
	}
	t1 = now_s();
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0 || got != total) {
		fprintf(stderr, "floor: the writer failed (%llu of %llu bytes)\n",
		    (unsigned long long)got, (unsigned long long)total);
		return 1;
	}
	printf("pair %ld %.2f\n", mb, (double)got * 8 / (t1 - t0) / 1e9);
	return 0;
}

/* The daemon's side: until the control socket reaches EOF. */
static void
daemon_loop(int ctl)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ctl }, evs[64];
	uint8_t req[REQ_SIZE], x[64], rep[64] = { 0 };
	int ep, n, i, fd, sv[2], on = 1;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, ctl, &ev) < 0)
		die("epoll");
	for (;;) {
		if ((n = epoll_wait(ep, evs, 64, -1)) < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd != ctl) {
				/* The program closed its end. */
				if (read(fd, x, sizeof(x)) == 0)
					close(fd);
				continue;
			}
			if (tcpx_ctl_recv(ctl, req, sizeof(req), NULL) <= 0)
				_exit(0);
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
			    sv) < 0)
				die("socketpair");
			(void)ioctl(sv[0], FIONBIO, &on);
			pair_bufs(sv[0]);
			pair_bufs(sv[1]);
			ev.events = EPOLLIN;
			ev.data.fd = sv[0];
			if (epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) < 0)
				die("epoll_ctl");
			if (tcpx_ctl_send(ctl, rep, sizeof(rep), sv[1]) < 0)
				_exit(1);
			close(sv[1]);
		}
	}
}

static int
conn(long count)
{
	uint8_t req[REQ_SIZE] = { 0 }, rep[64];
	int ctl[2], s, fd, on = 1, st;
	double t0, t1;
	pid_t pid;
	long i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		die("socketpair");
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		close(ctl[0]);
		daemon_loop(ctl[1]);
	}
	close(ctl[1]);
	t0 = now_s();
	for (i = 0; i < count; i++) {
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			die("socket");
		(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (tcpx_ctl_send(ctl[0], req, sizeof(req), -1) < 0)
			die("send");
		if (tcpx_ctl_recv(ctl[0], rep, sizeof(rep), &fd) <= 0 ||
		    fd < 0) {
			fprintf(stderr, "floor: no fd from the daemon\n");
			return 1;
		}
		if (dup3(fd, s, 0) < 0)
			die("dup3");
		close(fd);
		close(s);
	}
	t1 = now_s();
	close(ctl[0]);
	(void)waitpid(pid, &st, 0);
	printf("conn %ld %.0f\n", count, (double)count / (t1 - t0));
	return 0;
}

int
main(int argc, char **argv)
{
	long n;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) <= 0 ||
	    (strcmp(argv[1], "pair") != 0 && strcmp(argv[1], "conn") != 0)) {
		fprintf(stderr, "usage: floor pair MB | floor conn N\n"
		    "  (what tcpx's design costs the OS without TCP; "
		    "see scripts/bench)\n");
		return 2;
	}
	/* The children end with us: EOF on the control socket, EPIPE. */
	alarm(TIME_LIMIT_S);
	return strcmp(argv[1], "pair") == 0 ? pair(n) : conn(n);
}
