/*
 * scen - the socket sequences of scripts/compare's scenarios, run the
 * same way on the kernel and under tcpx (tcpx run build/helpers/scen).
 * Each prints one line of what happened on stdout; errors on stderr.
 *
 *   scen connect IP PORT			blocking connect; errno, ms
 *   scen linger0 IP PORT			send, then close with SO_LINGER {1,0}
 *   scen unread IP PORT			send, let the reply arrive unread,
 *						close (RST, RFC 2525)
 *   scen active IP PORT			send, read the reply, close first
 *						(TIME-WAIT here)
 *   scen fetch IP PORT N WAIT		send a line, wait WAIT s, read N
 *						bytes, close first (not reading
 *						while segments arrive: Linux
 *						merges those that wait in the
 *						socket's backlog, tcp_add_backlog)
 *   scen keepalive IP PORT IDLE INTVL CNT SECS	keepalive on an idle connection
 *   scen tfo IP PORT				two sendto(MSG_FASTOPEN): cookie
 *						request, then data in the SYN
 *   scen simclose IP PORT			send "close", close at once (the
 *						server closes 10 ms after the line)
 *   scen listen PORT BACKLOG SECS		listen, accept nothing, hold
 *   scen nconnect IP PORT N SECS		N non-blocking connects at once,
 *						each with TCP_QUICKACK off, so the
 *						handshake's last ACK waits for the
 *						delayed-ACK timer and every SYN is
 *						answered before any ACK arrives
 *   scen serve PORT MODE [BACKLOG]		server, one connection at a time:
 *	reply: read a line, answer "pong", read to EOF, close
 *	hold: read, then hold until the peer closes or resets
 *	drain: read to EOF, answer "got N", close (half-close)
 *	tfo: as reply, with TCP_FASTOPEN on the listener
 *	simclose: read a line, close 10 ms later
 *	http: read a request, answer HTTP/1.0 200 with a body, read to
 *	    EOF (the client closes first), close
 *	marks: read a line, send MARKS_SEGS segments of MARKS_LEN bytes,
 *	    one write each (TCP_NODELAY), marked by IP TOS for
 *	    tests/integration/lib/marks.bpf.c: lost on first sending
 *	    (MARKS_LOSE), sent twice (MARKS_TWICE); read to EOF, close
 *   scen synflood SRC DPORT COUNT		COUNT SYNs to 10.77.0.2:DPORT from
 *						SRC (raw socket; only to 10.77.0.2)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct sockaddr_in
addr_of(const char *ip, const char *port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1) {
		fprintf(stderr, "scen: bad address %s\n", ip);
		exit(2);
	}
	return sin;
}

static int
dial(const char *ip, const char *port)
{
	struct sockaddr_in sin = addr_of(ip, port);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		printf("connect %s\n", strerror(errno));
		exit(1);
	}
	return s;
}

static void
send_all(int s, const char *msg)
{
	if (write(s, msg, strlen(msg)) != (ssize_t)strlen(msg)) {
		perror("scen: write");
		exit(1);
	}
}

static ssize_t
read_some(int s, char *buf, size_t len)
{
	ssize_t n;

	do
		n = read(s, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

static int
cmd_connect(char **av)
{
	double t0 = now_s();
	struct sockaddr_in sin = addr_of(av[0], av[1]);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int rc = connect(s, (struct sockaddr *)&sin, sizeof(sin));

	printf("connect %s after %.0f ms\n", rc == 0 ? "ok" : strerror(errno),
	    (now_s() - t0) * 1000);
	close(s);
	return 0;
}

static int
cmd_linger0(char **av)
{
	struct linger lg = { 1, 0 };
	int s = dial(av[0], av[1]);

	send_all(s, "hello\n");
	sleep_s(0.2);
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s);
	printf("closed with linger 0\n");
	return 0;
}

static int
cmd_unread(char **av)
{
	int s = dial(av[0], av[1]);

	send_all(s, "ping\n");
	sleep_s(0.3);
	close(s);
	printf("closed with the reply unread\n");
	return 0;
}

static int
cmd_active(char **av)
{
	char buf[64];
	int s = dial(av[0], av[1]);
	ssize_t n;

	send_all(s, "ping\n");
	n = read_some(s, buf, sizeof(buf));
	close(s);
	printf("got %zd bytes, closed first\n", n);
	return 0;
}

static int
cmd_fetch(char **av)
{
	char buf[4096];
	int s = dial(av[0], av[1]);
	long want = atol(av[2]), got = 0;
	ssize_t n;

	send_all(s, "go\n");
	sleep_s(atof(av[3]));
	while (got < want && (n = read_some(s, buf, sizeof(buf))) > 0)
		got += n;
	close(s);
	printf("got %ld bytes, closed first\n", got);
	return 0;
}

static int
cmd_keepalive(char **av)
{
	int s = dial(av[0], av[1]);
	int on = 1, idle = atoi(av[2]), intvl = atoi(av[3]), cnt = atoi(av[4]);

	setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	send_all(s, "hello\n");
	sleep_s(atof(av[5]));
	close(s);
	printf("idle with keepalive %d/%d/%d for %s s\n", idle, intvl, cnt,
	    av[5]);
	return 0;
}

static int
cmd_tfo(char **av)
{
	struct sockaddr_in sin = addr_of(av[0], av[1]);
	char buf[64];
	int i;

	for (i = 0; i < 2; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		ssize_t n = sendto(s, "ping\n", 5, MSG_FASTOPEN,
		    (struct sockaddr *)&sin, sizeof(sin));

		if (n < 0) {
			printf("sendto %s\n", strerror(errno));
			return 1;
		}
		n = read_some(s, buf, sizeof(buf));
		close(s);
		printf("connection %d: got %zd bytes\n", i + 1, n);
		sleep_s(0.2);
	}
	return 0;
}

static int
cmd_simclose(char **av)
{
	int s = dial(av[0], av[1]);

	printf("connected\n");
	sleep_s(0.5);
	/* The server closes 10 ms after this line arrives; our FIN, paced
	 * behind it by the lab's token bucket, is still on its way then. */
	send_all(s, "close\n");
	close(s);
	sleep_s(1);
	printf("sent the close line and closed\n");
	return 0;
}

static int
cmd_listen(char **av)
{
	struct sockaddr_in sin = addr_of("0.0.0.0", av[0]);
	int s = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(s, atoi(av[1])) < 0) {
		perror("scen: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	sleep_s(atof(av[2]));
	close(s);
	return 0;
}

static int
cmd_nconnect(char **av)
{
	struct sockaddr_in sin = addr_of(av[0], av[1]);
	int n = atoi(av[2]), i, s[64];

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++) {
		int off = 0;

		s[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(s[i], IPPROTO_TCP, TCP_QUICKACK, &off, sizeof(off));
		(void)connect(s[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	sleep_s(atof(av[3]));
	for (i = 0; i < n; i++) {
		int err = 0;
		socklen_t el = sizeof(err);
		char c;

		getsockopt(s[i], SOL_SOCKET, SO_ERROR, &err, &el);
		if (err == 0 && read(s[i], &c, 1) < 0 && errno != EAGAIN)
			err = errno;
		printf("connection %d: %s\n", i + 1, err ? strerror(err) :
		    "connected");
		close(s[i]);
	}
	return 0;
}

/*
 * The segments scripts/compare's "ooo-receive" scenario loses and
 * duplicates, 1-based: the receiver sees two holes, an out-of-order
 * duplicate and an in-order one.
 */
#define MARKS_SEGS	10
#define MARKS_LEN	1000
#define MARKS_LOSE(i)	((i) == 3 || (i) == 6)
#define MARKS_TWICE(i)	((i) == 2 || (i) == 8)

static void
serve_marks(int c)
{
	static char seg[MARKS_LEN];
	int on = 1, zero = 0;

	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	for (int i = 1; i <= MARKS_SEGS; i++) {
		int tos = MARKS_LOSE(i) ? 0x20 : MARKS_TWICE(i) ? 0x40 : 0;

		memset(seg, 'a' + i, sizeof(seg));
		if (tos != 0)
			setsockopt(c, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		if (write(c, seg, sizeof(seg)) != (ssize_t)sizeof(seg))
			perror("scen: write");
		/* Sent within write(): a resend goes unmarked. */
		if (tos != 0)
			setsockopt(c, IPPROTO_IP, IP_TOS, &zero, sizeof(zero));
	}
}

static void
serve_one(int c, const char *mode)
{
	char buf[4096];
	ssize_t n, total = 0;

	if (strcmp(mode, "reply") == 0 || strcmp(mode, "tfo") == 0) {
		if (read_some(c, buf, sizeof(buf)) > 0)
			send_all(c, "pong\n");
		while (read_some(c, buf, sizeof(buf)) > 0)
			;
	} else if (strcmp(mode, "hold") == 0) {
		while (read_some(c, buf, sizeof(buf)) > 0)
			;
	} else if (strcmp(mode, "drain") == 0) {
		while ((n = read_some(c, buf, sizeof(buf))) > 0)
			total += n;
		snprintf(buf, sizeof(buf), "got %zd\n", total);
		send_all(c, buf);
	} else if (strcmp(mode, "http") == 0) {
		if (read_some(c, buf, sizeof(buf)) > 0)
			send_all(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain"
			    "\r\nContent-Length: 27\r\n\r\n"
			    "hello from the kernel peer\n");
		while (read_some(c, buf, sizeof(buf)) > 0)
			;
	} else if (strcmp(mode, "marks") == 0) {
		if (read_some(c, buf, sizeof(buf)) > 0)
			serve_marks(c);
		while (read_some(c, buf, sizeof(buf)) > 0)
			;
	} else if (strcmp(mode, "simclose") == 0) {
		if (read_some(c, buf, sizeof(buf)) > 0)
			sleep_s(0.01);
	}
	close(c);
}

static int
cmd_serve(int ac, char **av)
{
	struct sockaddr_in sin = addr_of("0.0.0.0", av[0]);
	int s = socket(AF_INET, SOCK_STREAM, 0), on = 1, q = 16;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (strcmp(av[1], "tfo") == 0)
		setsockopt(s, IPPROTO_TCP, TCP_FASTOPEN, &q, sizeof(q));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(s, ac > 2 ? atoi(av[2]) : 16) < 0) {
		perror("scen: serve");
		return 1;
	}
	printf("serving\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("scen: accept");
			return 1;
		}
		serve_one(c, av[1]);
	}
}

static uint16_t
csum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (; len > 1; len -= 2, b += 2)
		sum += (uint32_t)(b[0] << 8 | b[1]);
	if (len)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Bounded: COUNT <= 1000 SYNs, to 10.77.0.2 only, 1 ms apart. */
static int
cmd_synflood(char **av)
{
	struct sockaddr_in dst = addr_of("10.77.0.2", av[1]);
	struct in_addr src;
	int count = atoi(av[2]), s, one = 1, i;
	uint8_t pkt[40];

	if (inet_pton(AF_INET, av[0], &src) != 1 || count < 1 ||
	    count > 1000) {
		fprintf(stderr, "scen synflood: SRC must be an address and "
		    "COUNT 1..1000\n");
		return 2;
	}
	s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (s < 0 || setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one,
	    sizeof(one)) < 0) {
		perror("scen synflood: raw socket");
		return 1;
	}
	for (i = 0; i < count; i++) {
		uint8_t ph[12];
		uint32_t sum = 0;
		uint16_t sport = (uint16_t)(20000 + i), c;
		uint32_t seq = 0x10000000u + (uint32_t)i * 7919u;
		size_t k;

		memset(pkt, 0, sizeof(pkt));
		pkt[0] = 0x45;
		pkt[3] = sizeof(pkt);
		pkt[8] = 64;
		pkt[9] = IPPROTO_TCP;
		memcpy(pkt + 12, &src, 4);
		memcpy(pkt + 16, &dst.sin_addr, 4);
		pkt[20] = (uint8_t)(sport >> 8);
		pkt[21] = (uint8_t)sport;
		memcpy(pkt + 22, &dst.sin_port, 2);
		pkt[24] = (uint8_t)(seq >> 24);
		pkt[25] = (uint8_t)(seq >> 16);
		pkt[26] = (uint8_t)(seq >> 8);
		pkt[27] = (uint8_t)seq;
		pkt[32] = 5 << 4;
		pkt[33] = 0x02;		/* SYN */
		pkt[34] = 0xfa;
		pkt[35] = 0xf0;
		memcpy(ph, pkt + 12, 8);
		ph[8] = 0;
		ph[9] = IPPROTO_TCP;
		ph[10] = 0;
		ph[11] = 20;
		for (k = 0; k < sizeof(ph); k += 2)
			sum += (uint32_t)(ph[k] << 8 | ph[k + 1]);
		c = csum(pkt + 20, 20, sum);
		pkt[36] = (uint8_t)(c >> 8);
		pkt[37] = (uint8_t)c;
		c = csum(pkt, 20, 0);
		pkt[10] = (uint8_t)(c >> 8);
		pkt[11] = (uint8_t)c;
		if (sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst,
		    sizeof(dst)) < 0) {
			perror("scen synflood: sendto");
			return 1;
		}
		sleep_s(0.001);
	}
	printf("sent %d SYNs from %s\n", count, av[0]);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct { const char *name; int nargs; } cmds[] = {
		{ "connect", 2 }, { "linger0", 2 }, { "unread", 2 },
		{ "active", 2 }, { "keepalive", 6 }, { "tfo", 2 },
		{ "simclose", 2 }, { "listen", 3 }, { "nconnect", 4 },
		{ "serve", 2 }, { "synflood", 3 }, { "fetch", 4 },
	};
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		if (argc - 2 < cmds[i].nargs) {
			fprintf(stderr, "scen %s: %d arguments expected (see "
			    "the top of tests/helpers/scen.c)\n", argv[1],
			    cmds[i].nargs);
			return 2;
		}
		argv += 2;
		switch (i) {
		case 0: return cmd_connect(argv);
		case 1: return cmd_linger0(argv);
		case 2: return cmd_unread(argv);
		case 3: return cmd_active(argv);
		case 4: return cmd_keepalive(argv);
		case 5: return cmd_tfo(argv);
		case 6: return cmd_simclose(argv);
		case 7: return cmd_listen(argv);
		case 8: return cmd_nconnect(argv);
		case 9: return cmd_serve(argc - 2, argv);
		case 10: return cmd_synflood(argv);
		case 11: return cmd_fetch(argv);
		}
	}
	fprintf(stderr, "usage: scen COMMAND ARGS (see the top of "
	    "tests/helpers/scen.c)\n");
	return 2;
}
