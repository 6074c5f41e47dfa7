/*
 * engine.c - creating an engine, and the three calls that drive it:
 * a frame in, the clock forward, the next deadline out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct tcpx_engine *
tcpx_engine_new(const struct tcpx_config *cfg, const struct tcpx_ops *ops,
    uint64_t now_us)
{
	struct tcpx_engine *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->cfg = *cfg;
	if (e->cfg.mtu == 0)
		e->cfg.mtu = 1500;
	if (ops != NULL)
		e->ops = *ops;
	e->tx = e->txbuf;
	e->now = now_us;
	RB_INIT(&e->timers);
	tcpx_sysctl_defaults(&e->sysctl);
	arp_init(e);
	tcp_secure_init(e);
	if (tcp_stack_init(e) != 0) {
		free(e);
		return NULL;
	}
	return e;
}

void
tcpx_engine_free(struct tcpx_engine *e)
{
	if (e == NULL)
		return;
	tcp_stack_free(e);
	arp_free(e);
	free(e);
}

void
tcpx_input(struct tcpx_engine *e, const uint8_t *frame, size_t len,
    uint64_t now_us)
{
	tcpx_input_ex(e, frame, len, now_us, 0);
}

void
tcpx_input_ex(struct tcpx_engine *e, const uint8_t *frame, size_t len,
    uint64_t now_us, unsigned flags)
{
	/* Timers due before this frame run first, as they would have. */
	tcpx_advance(e, now_us);
	e->rx_flags = flags;
	link_input(e, frame, len);
	e->rx_flags = 0;
}

void
tcpx_advance(struct tcpx_engine *e, uint64_t now_us)
{
	if (now_us > e->now)
		e->now = now_us;
	timer_run(e, e->now);
}

uint64_t
tcpx_next_deadline(const struct tcpx_engine *e)
{
	return timer_next(e);
}
