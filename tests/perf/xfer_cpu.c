/*
 * xfer_cpu.c - CPU cost of the engine per megabyte: two engines joined
 * in memory (no loss, 50 us one way), A sends 100 MB to B, B reads and
 * checks it.  Not part of `make check`; build and run by hand:
 *
 *   cc -O2 -std=gnu11 -D_GNU_SOURCE $(pkg-config --cflags libbsd-overlay) \
 *       -Icore tests/perf/xfer_cpu.c build/libtcpxcore.a -lbsd -o xfer_cpu
 *   ./xfer_cpu [gso]
 *
 * With "gso", A sends 64 KB super-segments (cfg.gso_max_size, ops->
 * output_gso) and B takes them whole with TCPX_RX_CSUM_OK, as tcpxd does
 * with virtio_net_hdr on both sides.  Prints process CPU time per MB.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "tcpx.h"

#define MB		(1024 * 1024)
#define XFER		(100ULL * MB)
#define LATENCY_US	50
#define PORT		5001

struct frame {
	STAILQ_ENTRY(frame) link;
	uint64_t at;
	unsigned flags;
	size_t len;
	uint8_t data[];
};
STAILQ_HEAD(frameq, frame);

struct node {
	struct tcpx_engine *e;
	struct frameq inbox;
	struct node *peer;
	uint64_t *now;
	int sock, listener;
};

static uint8_t pattern[MB];

static void
enqueue(struct node *to, const uint8_t *p, size_t len, unsigned flags,
    uint64_t now)
{
	struct frame *f = malloc(sizeof(*f) + len);

	if (f == NULL)
		abort();
	f->at = now + LATENCY_US;
	f->flags = flags;
	f->len = len;
	memcpy(f->data, p, len);
	STAILQ_INSERT_TAIL(&to->inbox, f, link);
}

static void
out(void *ctx, const uint8_t *p, size_t len)
{
	struct node *n = ctx;

	enqueue(n->peer, p, len, 0, *n->now);
}

static void
out_gso(void *ctx, const uint8_t *p, size_t len, uint16_t gso_size,
    uint16_t csum_start, uint16_t csum_offset)
{
	struct node *n = ctx;

	(void)gso_size; (void)csum_start; (void)csum_offset;
	/* As GRO would hand it up: whole, checksum vouched for. */
	enqueue(n->peer, p, len, TCPX_RX_CSUM_OK, *n->now);
}

static struct tcpx_engine *
engine(struct node *n, uint8_t host, bool gso, uint64_t now)
{
	struct tcpx_config cfg;
	struct tcpx_ops ops;

	memset(&cfg, 0, sizeof(cfg));
	cfg.link = TCPX_LINK_RAWIP;
	cfg.addr.s_addr = htonl(0x0a000000 | host);
	cfg.prefixlen = 24;
	cfg.mtu = 1500;
	cfg.gso_max_size = gso ? 65536 : 0;
	for (int i = 0; i < 32; i++)
		cfg.secret[i] = (uint8_t)(i + host);
	memset(&ops, 0, sizeof(ops));
	ops.ctx = n;
	ops.output = out;
	ops.output_gso = gso ? out_gso : NULL;
	return tcpx_engine_new(&cfg, &ops, now);
}

int
main(int argc, char **argv)
{
	bool gso = argc > 1 && strcmp(argv[1], "gso") == 0;
	struct node a, b;
	struct sockaddr_in sin;
	uint64_t now = 1000000, sent = 0, rcvd = 0, t;
	static uint8_t buf[262144];
	struct timespec c0, c1;
	struct frame *f;
	double cpu;
	ssize_t r;

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 31 + (i >> 11));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	STAILQ_INIT(&a.inbox);
	STAILQ_INIT(&b.inbox);
	a.peer = &b;
	b.peer = &a;
	a.now = b.now = &now;
	a.e = engine(&a, 1, gso, now);
	b.e = engine(&b, 2, gso, now);
	b.listener = tcpx_socket(b.e);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(PORT);
	tcpx_bind(b.e, b.listener, &sin);
	tcpx_listen(b.e, b.listener, 8);
	b.sock = -1;
	a.sock = tcpx_socket(a.e);
	sin.sin_addr.s_addr = htonl(0x0a000002);
	tcpx_connect(a.e, a.sock, &sin);

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	while (rcvd < XFER) {
		t = tcpx_next_deadline(a.e);
		if (tcpx_next_deadline(b.e) < t)
			t = tcpx_next_deadline(b.e);
		if (!STAILQ_EMPTY(&a.inbox) && STAILQ_FIRST(&a.inbox)->at < t)
			t = STAILQ_FIRST(&a.inbox)->at;
		if (!STAILQ_EMPTY(&b.inbox) && STAILQ_FIRST(&b.inbox)->at < t)
			t = STAILQ_FIRST(&b.inbox)->at;
		if (t == UINT64_MAX) {
			fprintf(stderr, "stalled at %llu\n",
			    (unsigned long long)rcvd);
			return 1;
		}
		if (t > now)
			now = t;
		for (struct node *n = &a; n != NULL; n = n == &a ? &b : NULL) {
			while ((f = STAILQ_FIRST(&n->inbox)) != NULL &&
			    f->at <= now) {
				STAILQ_REMOVE_HEAD(&n->inbox, link);
				tcpx_input_ex(n->e, f->data, f->len, now,
				    f->flags);
				free(f);
			}
			tcpx_advance(n->e, now);
		}
		if (b.sock < 0)
			b.sock = tcpx_accept(b.e, b.listener, NULL);
		while (sent < XFER) {
			size_t off = sent % MB, want = MB - off;

			if (want > XFER - sent)
				want = XFER - sent;
			r = tcpx_send(a.e, a.sock, pattern + off, want, 0);
			if (r <= 0)
				break;
			sent += (uint64_t)r;
		}
		while (b.sock >= 0 && (r = tcpx_recv(b.e, b.sock, buf,
		    sizeof(buf), 0)) > 0) {
			for (ssize_t i = 0; i < r; ) {
				size_t off = (rcvd + (uint64_t)i) % MB;
				size_t k = MB - off < (size_t)(r - i) ?
				    MB - off : (size_t)(r - i);

				if (memcmp(buf + i, pattern + off, k) != 0) {
					fprintf(stderr, "corrupt\n");
					return 1;
				}
				i += (ssize_t)k;
			}
			rcvd += (uint64_t)r;
		}
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	cpu = (double)(c1.tv_sec - c0.tv_sec) +
	    (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	printf("%s: 100 MB in %.3f s CPU: %.2f ms/MB (%.0f MB/s), "
	    "%.3f s simulated, OutSegs A %llu B %llu\n",
	    gso ? "gso+gro" : "mss", cpu, cpu * 1000 / 100, 100 / cpu,
	    (double)(now - 1000000) / 1e6,
	    (unsigned long long)tcpx_mib_get(a.e, "Tcp:OutSegs"),
	    (unsigned long long)tcpx_mib_get(b.e, "Tcp:OutSegs"));
	while ((f = STAILQ_FIRST(&a.inbox)) != NULL) {
		STAILQ_REMOVE_HEAD(&a.inbox, link);
		free(f);
	}
	while ((f = STAILQ_FIRST(&b.inbox)) != NULL) {
		STAILQ_REMOVE_HEAD(&b.inbox, link);
		free(f);
	}
	tcpx_engine_free(a.e);
	tcpx_engine_free(b.e);
	return 0;
}
