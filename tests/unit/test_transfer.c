/*
 * test_transfer.c - two engines joined in memory, over a link that
 * loses, duplicates and reorders segments with a seeded PRNG, move
 * 10 MB each way at once; every byte must arrive, in order, unchanged.
 *
 * A (10.0.0.1) listens, B (10.0.0.2) connects.  The clock is fake: the
 * loop jumps straight to the next event, the earlier of the engines'
 * deadlines and the next frame due on the link.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "tcpx.h"

#define MB		(1024 * 1024)
#define XFER		(10 * MB)
#define LATENCY_US	1000		/* one way */
#define LIMIT_US	(600ULL * 1000000)	/* simulated time allowed */
#define START_US	1000000ULL
#define PORT		5000

/* xorshift64*, so a run is the same every time. */
struct prng {
	uint64_t s;
};

static uint64_t
prng_next(struct prng *p)
{
	p->s ^= p->s >> 12;
	p->s ^= p->s << 25;
	p->s ^= p->s >> 27;
	return p->s * 0x2545f4914f6cdd1dULL;
}

/* True with probability permille / 1000. */
static bool
chance(struct prng *p, unsigned permille)
{
	return prng_next(p) % 1000 < permille;
}

struct frame {
	TAILQ_ENTRY(frame) link;
	uint64_t at;
	size_t len;
	uint8_t data[];
};
TAILQ_HEAD(frameq, frame);

struct link_cfg {
	unsigned loss, dup, reorder;	/* permille */
};

struct node {
	struct tcpx_engine *e;
	struct frameq inbox;		/* frames on their way to this node */
	struct node *peer;
	struct sim *sim;
	int sock;			/* the connection's id, -1 before */
	int listener;
	uint64_t sent, rcvd;		/* stream offsets */
	bool shut, eof, closed;
	uint8_t dir;			/* which generator this node sends */
};

struct sim {
	struct prng rng;
	struct link_cfg cfg;
	uint64_t now;
	struct node a, b;
	uint64_t frames, lost, dups, swaps;
};

/* The bytes of stream `dir` at offset `off`: cheap, but not periodic in a way that hides shifts. */
static uint8_t
gen_byte(uint8_t dir, uint64_t off)
{
	uint64_t x = off * 0x9e3779b97f4a7c15ULL + dir * 0x632be59bd9b4e019ULL;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return (uint8_t)x;
}

static void
link_output(void *ctx, const uint8_t *frame, size_t len)
{
	struct node *from = ctx, *to = from->peer;
	struct sim *sim = from->sim;
	struct frame *f, *prev;
	int copies = 1;

	sim->frames++;
	if (chance(&sim->rng, sim->cfg.loss)) {
		sim->lost++;
		return;
	}
	if (chance(&sim->rng, sim->cfg.dup)) {
		sim->dups++;
		copies = 2;
	}
	while (copies-- > 0) {
		f = malloc(sizeof(*f) + len);
		ck_assert_ptr_nonnull(f);
		f->at = sim->now + LATENCY_US;
		f->len = len;
		memcpy(f->data, frame, len);
		prev = TAILQ_LAST(&to->inbox, frameq);
		if (prev != NULL && chance(&sim->rng, sim->cfg.reorder)) {
			/* Overtake the frame ahead: adjacent swap. */
			sim->swaps++;
			f->at = prev->at;
			prev->at = sim->now + LATENCY_US;
			TAILQ_INSERT_BEFORE(prev, f, link);
		} else {
			TAILQ_INSERT_TAIL(&to->inbox, f, link);
		}
	}
}

static struct tcpx_engine *
engine(struct node *n, uint8_t host)
{
	struct tcpx_config cfg;
	struct tcpx_ops ops;

	memset(&cfg, 0, sizeof(cfg));
	cfg.link = TCPX_LINK_RAWIP;
	cfg.addr.s_addr = htonl(0x0a000000 | host);
	cfg.prefixlen = 24;
	cfg.mtu = 1500;
	for (int i = 0; i < 32; i++)
		cfg.secret[i] = (uint8_t)(i * 7 + host);
	memset(&ops, 0, sizeof(ops));
	ops.ctx = n;
	ops.output = link_output;
	return tcpx_engine_new(&cfg, &ops, START_US);
}

static void
sim_init(struct sim *sim, const struct link_cfg *cfg, uint64_t seed)
{
	memset(sim, 0, sizeof(*sim));
	sim->rng.s = seed;
	sim->cfg = *cfg;
	sim->now = START_US;
	TAILQ_INIT(&sim->a.inbox);
	TAILQ_INIT(&sim->b.inbox);
	sim->a.peer = &sim->b;
	sim->b.peer = &sim->a;
	sim->a.sim = sim->b.sim = sim;
	sim->a.sock = sim->b.sock = sim->a.listener = sim->b.listener = -1;
	sim->a.dir = 0;
	sim->b.dir = 1;
	sim->a.e = engine(&sim->a, 1);
	sim->b.e = engine(&sim->b, 2);
	ck_assert_ptr_nonnull(sim->a.e);
	ck_assert_ptr_nonnull(sim->b.e);
}

static void
sim_free(struct sim *sim)
{
	struct frame *f;
	struct node *n[2] = { &sim->a, &sim->b };

	for (int i = 0; i < 2; i++) {
		while ((f = TAILQ_FIRST(&n[i]->inbox)) != NULL) {
			TAILQ_REMOVE(&n[i]->inbox, f, link);
			free(f);
		}
		tcpx_engine_free(n[i]->e);
	}
}

/* What one application does whenever anything may have changed. */
static void
app_step(struct node *n)
{
	static uint8_t buf[65536];
	ssize_t r;
	size_t want;

	if (n->sock < 0 && n->listener >= 0) {
		struct sockaddr_in peer;

		if ((n->sock = tcpx_accept(n->e, n->listener, &peer)) < 0) {
			ck_assert_int_eq(n->sock, -EAGAIN);
			n->sock = -1;
			return;
		}
		ck_assert_uint_eq(peer.sin_addr.s_addr, htonl(0x0a000002));
	}
	if (n->sock < 0 || n->closed)
		return;
	if (tcpx_state(n->e, n->sock) == TCP_ST_SYN_SENT)
		return;
	/* Write as much as the send buffer takes. */
	while (n->sent < XFER) {
		want = XFER - n->sent < sizeof(buf) ? XFER - n->sent :
		    sizeof(buf);
		for (size_t i = 0; i < want; i++)
			buf[i] = gen_byte(n->dir, n->sent + i);
		r = tcpx_send(n->e, n->sock, buf, want, 0);
		if (r == -EAGAIN)
			break;
		ck_assert_msg(r > 0, "send: %zd", r);
		n->sent += (uint64_t)r;
	}
	if (n->sent == XFER && !n->shut) {
		ck_assert_int_eq(tcpx_shutdown(n->e, n->sock, SHUT_WR), 0);
		n->shut = true;
	}
	/* Read everything there is, checking each byte. */
	while (!n->eof) {
		r = tcpx_recv(n->e, n->sock, buf, sizeof(buf), 0);
		if (r == -EAGAIN)
			break;
		ck_assert_msg(r >= 0, "recv: %zd", r);
		if (r == 0) {
			n->eof = true;
			ck_assert_uint_eq(n->rcvd, XFER);
			break;
		}
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != gen_byte(n->dir ^ 1, n->rcvd + (size_t)i))
				ck_abort_msg("byte %llu differs",
				    (unsigned long long)(n->rcvd + (size_t)i));
		}
		n->rcvd += (uint64_t)r;
		ck_assert_uint_le(n->rcvd, XFER);
	}
	if (n->eof && n->shut && !n->closed) {
		ck_assert_int_eq(tcpx_close(n->e, n->sock), 0);
		n->closed = true;
	}
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void
deliver_due(struct sim *sim, struct node *n)
{
	struct frame *f;

	while ((f = TAILQ_FIRST(&n->inbox)) != NULL && f->at <= sim->now) {
		TAILQ_REMOVE(&n->inbox, f, link);
		tcpx_input(n->e, f->data, f->len, sim->now);
		free(f);
	}
}

/* What a run measured, for the tests to judge. */
struct run_stats {
	uint64_t sim_us;		/* simulated time, connect to both closed */
	uint64_t lost;			/* frames the link dropped */
	uint64_t retrans, fast_retrans, timeouts, dsack_recv;
};

static void
run_stats(const struct link_cfg *cfg, uint64_t seed, struct run_stats *st)
{
	struct sim sim;
	struct sockaddr_in sin;
	uint64_t t;
	unsigned long iter = 0;

	sim_init(&sim, cfg, seed);
	sim.a.listener = tcpx_socket(sim.a.e);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(PORT);
	ck_assert_int_eq(tcpx_bind(sim.a.e, sim.a.listener, &sin), 0);
	ck_assert_int_eq(tcpx_listen(sim.a.e, sim.a.listener, 16), 0);
	sim.b.sock = tcpx_socket(sim.b.e);
	sin.sin_addr.s_addr = htonl(0x0a000001);
	ck_assert_int_eq(tcpx_connect(sim.b.e, sim.b.sock, &sin),
	    -EINPROGRESS);

	while (!(sim.a.closed && sim.b.closed)) {
		t = min_u64(tcpx_next_deadline(sim.a.e),
		    tcpx_next_deadline(sim.b.e));
		if (!TAILQ_EMPTY(&sim.a.inbox))
			t = min_u64(t, TAILQ_FIRST(&sim.a.inbox)->at);
		if (!TAILQ_EMPTY(&sim.b.inbox))
			t = min_u64(t, TAILQ_FIRST(&sim.b.inbox)->at);
		ck_assert_msg(t != UINT64_MAX, "stalled: A sent %llu rcvd "
		    "%llu, B sent %llu rcvd %llu",
		    (unsigned long long)sim.a.sent,
		    (unsigned long long)sim.a.rcvd,
		    (unsigned long long)sim.b.sent,
		    (unsigned long long)sim.b.rcvd);
		if (t > sim.now)
			sim.now = t;
		ck_assert_msg(sim.now - START_US <= LIMIT_US,
		    "over %llu s: A rcvd %llu, B rcvd %llu; A/B timeouts "
		    "%llu/%llu, retrans %llu/%llu, fast retrans %llu/%llu",
		    (unsigned long long)(LIMIT_US / 1000000),
		    (unsigned long long)sim.a.rcvd,
		    (unsigned long long)sim.b.rcvd,
		    (unsigned long long)tcpx_mib_get(sim.a.e,
		    "TcpExt:TCPTimeouts"),
		    (unsigned long long)tcpx_mib_get(sim.b.e,
		    "TcpExt:TCPTimeouts"),
		    (unsigned long long)tcpx_mib_get(sim.a.e,
		    "Tcp:RetransSegs"),
		    (unsigned long long)tcpx_mib_get(sim.b.e,
		    "Tcp:RetransSegs"),
		    (unsigned long long)tcpx_mib_get(sim.a.e,
		    "TcpExt:TCPFastRetrans"),
		    (unsigned long long)tcpx_mib_get(sim.b.e,
		    "TcpExt:TCPFastRetrans"));
		ck_assert_uint_lt(++iter, 50000000UL);
		deliver_due(&sim, &sim.a);
		deliver_due(&sim, &sim.b);
		tcpx_advance(sim.a.e, sim.now);
		tcpx_advance(sim.b.e, sim.now);
		app_step(&sim.a);
		app_step(&sim.b);
	}
	ck_assert_uint_eq(sim.a.rcvd, XFER);
	ck_assert_uint_eq(sim.b.rcvd, XFER);
	st->sim_us = sim.now - START_US;
	st->lost = sim.lost;
	st->retrans = tcpx_mib_get(sim.a.e, "Tcp:RetransSegs") +
	    tcpx_mib_get(sim.b.e, "Tcp:RetransSegs");
	st->fast_retrans = tcpx_mib_get(sim.a.e, "TcpExt:TCPFastRetrans") +
	    tcpx_mib_get(sim.b.e, "TcpExt:TCPFastRetrans");
	st->timeouts = tcpx_mib_get(sim.a.e, "TcpExt:TCPTimeouts") +
	    tcpx_mib_get(sim.b.e, "TcpExt:TCPTimeouts");
	st->dsack_recv = tcpx_mib_get(sim.a.e, "TcpExt:TCPDSACKRecv") +
	    tcpx_mib_get(sim.b.e, "TcpExt:TCPDSACKRecv");
	fprintf(stderr, "transfer seed %llu: %.2f s simulated, %.1f MB/s "
	    "each way, %llu frames, %llu lost, %llu duplicated, %llu "
	    "reordered; retrans %llu (fast %llu), timeouts %llu, "
	    "D-SACKs %llu\n",
	    (unsigned long long)seed, (double)st->sim_us / 1e6,
	    (double)XFER / MB / ((double)st->sim_us / 1e6),
	    (unsigned long long)sim.frames, (unsigned long long)sim.lost,
	    (unsigned long long)sim.dups, (unsigned long long)sim.swaps,
	    (unsigned long long)st->retrans,
	    (unsigned long long)st->fast_retrans,
	    (unsigned long long)st->timeouts,
	    (unsigned long long)st->dsack_recv);
	if (cfg->loss > 0)
		ck_assert_uint_gt(sim.lost, 0);
	sim_free(&sim);
}

static void
run(const struct link_cfg *cfg, uint64_t seed)
{
	struct run_stats st;

	run_stats(cfg, seed, &st);
}

START_TEST(clean_link)
{
	struct link_cfg cfg = { 0, 0, 0 };

	run(&cfg, 1);
}
END_TEST

START_TEST(lossy_link)
{
	/* 2 % loss, 1 % duplication, 2 % adjacent reordering. */
	struct link_cfg cfg = { 20, 10, 20 };

	run(&cfg, 0x1234567887654321ULL);
}
END_TEST

START_TEST(lossy_link_other_seed)
{
	struct link_cfg cfg = { 20, 10, 20 };

	run(&cfg, 42);
}
END_TEST

START_TEST(sack_recovery)
{
	/* 1 % loss, 2 % adjacent reordering, against the clean link. */
	struct link_cfg clean = { 0, 0, 0 }, lossy = { 10, 0, 20 };
	struct run_stats c, l;

	run_stats(&clean, 7, &c);
	run_stats(&lossy, 7, &l);
	/* SACK-based fast recovery did the work, not timeouts. */
	ck_assert_uint_gt(l.fast_retrans, 0);
	ck_assert_uint_gt(l.fast_retrans, l.timeouts * 4);
	/*
	 * Only holes are resent: go-back-N would resend a window per
	 * loss (tens of segments); allow spurious ones from reordering.
	 */
	ck_assert_uint_lt(l.retrans, 2 * l.lost + 20);
	fprintf(stderr, "1%% loss + reordering: %.2f s vs %.2f s clean "
	    "(%.0f %% of the clean throughput)\n", (double)l.sim_us / 1e6,
	    (double)c.sim_us / 1e6, 100.0 * (double)c.sim_us /
	    (double)l.sim_us);
}
END_TEST

static Suite *
transfer_suite(void)
{
	Suite *s = suite_create("transfer");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, clean_link);
	tcase_add_test(tc, lossy_link);
	tcase_add_test(tc, lossy_link_other_seed);
	tcase_add_test(tc, sack_recovery);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(transfer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
