/*
 * fuzz_input.c - libFuzzer over the frame entry point.
 *
 * Input: byte 0 is a control byte, the rest is one frame.
 *   bit 0     the engine: 0 = tun (RAWIP), 1 = Ethernet
 *   bit 1     "answer": before input, a TCP frame's addresses, ports, SEQ
 *             and ACK are rewritten to answer the last segment the engine
 *             sent (checksums fixed), so the fuzzer gets past handshakes
 *             without guessing ISNs
 *   bits 2-3  a socket call first: 0 none, 1 connect to the peer,
 *             2 accept + send + recv on every socket, 3 close the oldest
 *   bits 4-7  how far the clock moves first (0 .. 2 hours, see fuzz_steps)
 * The two engines live across inputs (made anew every FUZZ_RECYCLE), each
 * with a listener on port 80, so state carries over from one input to the
 * next.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define FUZZ_MAXSOCK	32
/* Inputs before an engine is freed and made anew: bounds its memory. */
#define FUZZ_RECYCLE	20000

struct fuzz_eng {
	struct tcpx_engine *e;
	int listener;
	int socks[FUZZ_MAXSOCK];
	int nsocks;
	unsigned inputs;
	bool have_last;		/* the last TCP segment the engine sent */
	uint32_t last_src, last_dst, last_seq, last_end;
	uint16_t last_sport, last_dport;
};

static struct fuzz_eng fuzz_eng[2];
static uint64_t fuzz_now = 1000000;

static const uint64_t fuzz_steps[16] = {
	0, 1000, 10000, 50000, 100000, 200000, 500000, 1000000, 2000000,
	5000000, 10000000, 30000000, 60000000, 120000000, 600000000,
	7200000000ULL };

static void
fuzz_output(void *ctx, const uint8_t *frame, size_t len)
{
	struct fuzz_eng *fe = ctx;
	struct eth_hdr_view eh;
	struct ipv4_view ip;
	struct tcp_seg seg;

	if (fe->e != NULL && fe->e->cfg.link == TCPX_LINK_ETHER) {
		if (eth_parse(frame, len, &eh) != WIRE_OK ||
		    eh.type != ETHERTYPE_IPV4_)
			return;
		frame = eh.payload;
		len = eh.payload_len;
	}
	/* Parsing what the engine sent also proves it is well formed. */
	if (ipv4_parse(frame, len, &ip) != WIRE_OK)
		abort();
	if (ip.proto != IPPROTO_TCP_)
		return;
	if (tcp_parse(&ip, &seg) != WIRE_OK)
		abort();
	fe->have_last = true;
	fe->last_src = seg.saddr;
	fe->last_dst = seg.daddr;
	fe->last_sport = seg.sport;
	fe->last_dport = seg.dport;
	fe->last_seq = seg.ack;
	fe->last_end = seg.seq + tcp_seg_seqlen(&seg);
}

static void
fuzz_engine(struct fuzz_eng *fe, int ether)
{
	static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct tcpx_config cfg;
	struct tcpx_ops ops;
	struct sockaddr_in sin;
	int i;

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
	ops.ctx = fe;
	ops.output = fuzz_output;
	if ((fe->e = tcpx_engine_new(&cfg, &ops, fuzz_now)) == NULL)
		abort();
	if (ether)
		arp_add_permanent(fe->e, htonl(0x0a000001), peer_mac);
	if ((fe->listener = tcpx_socket(fe->e)) >= 0) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(80);
		if (tcpx_bind(fe->e, fe->listener, &sin) != 0 ||
		    tcpx_listen(fe->e, fe->listener, 16) != 0)
			fe->listener = -1;
	}
}

static void
fuzz_add_sock(struct fuzz_eng *fe, int s)
{
	if (s < 0)
		return;
	if (fe->nsocks == FUZZ_MAXSOCK) {
		tcpx_close(fe->e, s);
		return;
	}
	fe->socks[fe->nsocks++] = s;
}

static void
fuzz_sockcall(struct fuzz_eng *fe, unsigned call)
{
	static const char msg[] = "hello, tcpx fuzz";
	struct sockaddr_in sin;
	uint8_t buf[256];
	int i, s;

	switch (call) {
	case 1:
		if ((s = tcpx_socket(fe->e)) < 0)
			return;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(0x0a000001);
		sin.sin_port = htons(5000);
		tcpx_connect(fe->e, s, &sin);
		fuzz_add_sock(fe, s);
		break;
	case 2:
		if (fe->listener >= 0)
			while ((s = tcpx_accept(fe->e, fe->listener, &sin)) >= 0)
				fuzz_add_sock(fe, s);
		for (i = 0; i < fe->nsocks; i++) {
			tcpx_send(fe->e, fe->socks[i], msg, sizeof(msg), 0);
			tcpx_recv(fe->e, fe->socks[i], buf, sizeof(buf), 0);
			(void)tcpx_poll(fe->e, fe->socks[i]);
		}
		break;
	case 3:
		if (fe->nsocks == 0)
			return;
		tcpx_close(fe->e, fe->socks[0]);
		memmove(fe->socks, fe->socks + 1,
		    (size_t)(fe->nsocks - 1) * sizeof(int));
		fe->nsocks--;
		break;
	}
}

/* Make the TCP frame in f answer the engine's last segment. */
static void
fuzz_answer(struct fuzz_eng *fe, uint8_t *f, size_t len)
{
	size_t off = fe->e->cfg.link == TCPX_LINK_ETHER ? ETH_HLEN_ : 0;
	struct ipv4_view ip;
	uint8_t *p = f + off, *th;
	uint16_t c, tl;

	if (!fe->have_last || len < off || ipv4_parse(p, len - off, &ip) !=
	    WIRE_OK || ip.proto != IPPROTO_TCP_ || ip.payload_len < 20)
		return;
	memcpy(p + 12, &fe->last_dst, 4);
	memcpy(p + 16, &fe->last_src, 4);
	p[10] = p[11] = 0;
	c = inet_csum_fold(inet_csum_add(0, p, ip.hlen));
	p[10] = c >> 8;
	p[11] = c & 0xff;
	th = p + ip.hlen;
	th[0] = fe->last_dport >> 8;
	th[1] = fe->last_dport & 0xff;
	th[2] = fe->last_sport >> 8;
	th[3] = fe->last_sport & 0xff;
	wire_put32(th + 4, fe->last_seq);
	wire_put32(th + 8, fe->last_end);
	tl = (uint16_t)ip.payload_len;
	th[16] = th[17] = 0;
	c = inet_csum_fold(inet_csum_add(inet_pseudo_sum(fe->last_dst,
	    fe->last_src, IPPROTO_TCP_, tl), th, tl));
	th[16] = c >> 8;
	th[17] = c & 0xff;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_eng *fe;
	uint8_t *f;
	size_t len;

	if (size < 1)
		return 0;
	fe = &fuzz_eng[data[0] & 1];
	if (fe->e != NULL && ++fe->inputs >= FUZZ_RECYCLE) {
		tcpx_engine_free(fe->e);
		memset(fe, 0, sizeof(*fe));
	}
	if (fe->e == NULL)
		fuzz_engine(fe, data[0] & 1);
	fuzz_now += fuzz_steps[data[0] >> 4];
	tcpx_advance(fe->e, fuzz_now);
	fuzz_sockcall(fe, (data[0] >> 2) & 3);
	/* An exact-size copy, so ASan sees any read past the frame. */
	len = size - 1;
	if ((f = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(f, data + 1, len);
	if (data[0] & 2)
		fuzz_answer(fe, f, len);
	tcpx_input(fe->e, f, len, fuzz_now);
	free(f);
	return 0;
}
