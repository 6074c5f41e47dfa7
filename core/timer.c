/*
 * timer.c - the engine's deadlines, one red-black tree ordered by expiry.
 */
#include <stdint.h>

#include "engine.h"

static int
timer_cmp(const struct tcpx_timer *a, const struct tcpx_timer *b)
{
	if (a->when != b->when)
		return a->when < b->when ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

/* libbsd's cdefs.h leaves __unused undefined; tree.h's static form needs it. */
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
RB_GENERATE_STATIC(tcpx_timer_tree, tcpx_timer, link, timer_cmp)

void
timer_init(struct tcpx_timer *t,
    void (*fire)(struct tcpx_engine *, struct tcpx_timer *))
{
	t->when = UINT64_MAX;
	t->seq = 0;
	t->armed = false;
	t->fire = fire;
}

void
timer_cancel(struct tcpx_engine *e, struct tcpx_timer *t)
{
	if (!t->armed)
		return;
	RB_REMOVE(tcpx_timer_tree, &e->timers, t);
	t->armed = false;
	t->when = UINT64_MAX;
}

void
timer_arm(struct tcpx_engine *e, struct tcpx_timer *t, uint64_t when)
{
	if (t->armed && t->when == when)
		return;
	timer_cancel(e, t);
	if (when == UINT64_MAX)
		return;
	t->when = when;
	t->seq = ++e->timer_seq;
	t->armed = true;
	RB_INSERT(tcpx_timer_tree, &e->timers, t);
}

void
timer_run(struct tcpx_engine *e, uint64_t now)
{
	struct tcpx_timer *t;

	/*
	 * Take the minimum afresh each round: a handler may arm, cancel or
	 * free other timers (a connection freeing its TIME-WAIT successor).
	 */
	while ((t = RB_MIN(tcpx_timer_tree, &e->timers)) != NULL &&
	    t->when <= now) {
		RB_REMOVE(tcpx_timer_tree, &e->timers, t);
		t->armed = false;
		t->when = UINT64_MAX;
		t->fire(e, t);
	}
}

uint64_t
timer_next(const struct tcpx_engine *e)
{
	struct tcpx_timer *t;

	t = RB_MIN(tcpx_timer_tree, (struct tcpx_timer_tree *)&e->timers);
	return t != NULL ? t->when : UINT64_MAX;
}
