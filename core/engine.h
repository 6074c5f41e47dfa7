/*
 * engine.h - struct tcpx_engine: everything one stack instance owns.
 * No file-scope state anywhere in core/: all of it hangs off this struct.
 */
#ifndef TCPX_ENGINE_H
#define TCPX_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "tcpx.h"
#include "arp.h"
#include "mib.h"
#include "sysctl.h"
#include "tcp_var.h"
#include "timer.h"

/* Largest frame the engine builds: Ethernet + IPv4 + a 64 KB TCP segment. */
#define TCPX_FRAME_MAX	(14 + 65535)

struct tcpx_engine {
	struct tcpx_config cfg;
	struct tcpx_ops ops;
	uint64_t now;			/* us, from the last input/advance */
	uint64_t timer_seq;
	struct tcpx_timer_tree timers;
	struct tcpx_sysctl sysctl;
	uint64_t mib[MIB_MAX];
	struct arp_cache arp;
	struct tcp_stack tcp;
	uint16_t ip_id;
	unsigned rx_flags;		/* TCPX_RX_* of the frame being input */
	uint16_t tx_gso_size;		/* nonzero: the frame built is a GSO one */
	uint8_t *tx;			/* the frame being built: txbuf, or lent */
	/* The payload of the frame being built, when it is gathered. */
	const uint8_t *tx_payload;
	uint32_t tx_payload_len;
	bool tx_gathered;		/* frames point into send queues */
	uint8_t txbuf[TCPX_FRAME_MAX];	/* frames are built here, one at a time */
};

/* Time helpers: the engine clock in the units TCP uses. */
static inline uint32_t
tcpx_now_ms(const struct tcpx_engine *e)
{
	return (uint32_t)(e->now / 1000);
}

/* Frame entry point below the public tcpx_input (link.c). */
void link_input(struct tcpx_engine *e, const uint8_t *frame, size_t len);

/*
 * Send one TCP segment: route (on-link or via the gateway), resolve the
 * next hop with ARP (queueing while unresolved), build IPv4 + TCP, call
 * ops->trace_seg and ops->output.  Counts Ip:OutRequests; TCP counts its
 * own OutSegs.  Returns 0, or -EHOSTUNREACH / -ENETUNREACH / -EMSGSIZE.
 */
int ip_send_tcp(struct tcpx_engine *e, const struct tcp_out *seg);
/*
 * Before a send queue's memory moves or goes: the host sends the frames
 * that point into it (ops->tx_fence).
 */
static inline void
ip_tx_fence(struct tcpx_engine *e)
{
	if (e->tx_gathered) {
		e->tx_gathered = false;
		e->ops.tx_fence(e->ops.ctx);
	}
}
/* May a super-segment go to daddr now (GSO on, next hop resolved)? */
bool ip_gso_ok(struct tcpx_engine *e, uint32_t daddr);
/*
 * The same for a TCP super-segment of up to 64 KB, handed to
 * ops->output_gso with gso_size and a CHECKSUM_PARTIAL TCP checksum.
 */
int ip_send_tcp_gso(struct tcpx_engine *e, const struct tcp_out *seg,
    uint16_t gso_size);

#endif /* TCPX_ENGINE_H */
