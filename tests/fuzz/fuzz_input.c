/*
 * fuzz_input.c - libFuzzer over the frame entry point.
 *
 * Input: byte 0 picks the engine (bit 0: 0 = tun/RAWIP, 1 = Ethernet)
 * and how far the clock moves first (bits 1..7, in 50 ms steps, so timers
 * fire too); the rest is one frame.  The two engines live for the whole
 * run, each with a listener on port 80 so SYNs reach the TCP code and
 * state carries over from one input to the next.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"

static struct tcpx_engine *fuzz_eng[2];
static uint64_t fuzz_now = 1000000;

static void
fuzz_output(void *ctx, const uint8_t *frame, size_t len)
{
	volatile uint8_t sink = 0;
	size_t i;

	(void)ctx;
	/* Touch every byte so ASan sees any bad length. */
	for (i = 0; i < len; i++)
		sink ^= frame[i];
	(void)sink;
}

static struct tcpx_engine *
fuzz_engine(int ether)
{
	static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct tcpx_config cfg;
	struct tcpx_ops ops;
	struct sockaddr_in sin;
	struct tcpx_engine *e;
	int s, i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.link = ether ? TCPX_LINK_ETHER : TCPX_LINK_RAWIP;
	cfg.mac[0] = 2;
	cfg.mac[5] = 2;
	cfg.addr.s_addr = htonl(0x0a000002);
	cfg.prefixlen = 24;
	cfg.gateway.s_addr = htonl(0x0a0000fe);
	for (i = 0; i < 32; i++)
		cfg.secret[i] = (uint8_t)i;
	memset(&ops, 0, sizeof(ops));
	ops.output = fuzz_output;
	if ((e = tcpx_engine_new(&cfg, &ops, fuzz_now)) == NULL)
		return NULL;
	if (ether)
		arp_add_permanent(e, htonl(0x0a000001), peer_mac);
	if ((s = tcpx_socket(e)) >= 0) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(80);
		if (tcpx_bind(e, s, &sin) == 0)
			tcpx_listen(e, s, 16);
	}
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int ether;

	if (size < 1)
		return 0;
	ether = data[0] & 1;
	if (fuzz_eng[ether] == NULL &&
	    (fuzz_eng[ether] = fuzz_engine(ether)) == NULL)
		return 0;
	fuzz_now += 1000 + (uint64_t)(data[0] >> 1) * 50000;
	tcpx_input(fuzz_eng[ether], data + 1, size - 1, fuzz_now);
	return 0;
}
