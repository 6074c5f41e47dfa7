/*
 * timer.h - one deadline per object, kept in a red-black tree ordered by
 * expiry, so the engine can report its earliest deadline in O(log n) and
 * never scans every connection on a tick (contrast lwIP's slow timer).
 *
 * An object (connection, request sock, TIME-WAIT entry, ARP entry) embeds
 * one struct tcpx_timer and keeps its own several deadlines (retransmit,
 * delayed ACK, keepalive, ...) in its own fields; whenever one of those
 * changes it re-arms the embedded timer at the earliest of them.  On
 * expiry `fire` runs with the engine clock already advanced; it decides
 * which of its deadlines are due.
 */
#ifndef TCPX_TIMER_H
#define TCPX_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/tree.h>

struct tcpx_engine;

struct tcpx_timer {
	RB_ENTRY(tcpx_timer) link;
	uint64_t when;		/* absolute, microseconds */
	uint64_t seq;		/* tie-break: arm order */
	bool armed;
	void (*fire)(struct tcpx_engine *e, struct tcpx_timer *t);
};

RB_HEAD(tcpx_timer_tree, tcpx_timer);

void timer_init(struct tcpx_timer *t,
    void (*fire)(struct tcpx_engine *, struct tcpx_timer *));
/* Arm (or move) the timer to `when`; UINT64_MAX cancels. */
void timer_arm(struct tcpx_engine *e, struct tcpx_timer *t, uint64_t when);
void timer_cancel(struct tcpx_engine *e, struct tcpx_timer *t);
/* Fire every timer due at or before `now`, earliest first. */
void timer_run(struct tcpx_engine *e, uint64_t now);
uint64_t timer_next(const struct tcpx_engine *e);

#endif /* TCPX_TIMER_H */
