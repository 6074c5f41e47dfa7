/*
 * tcp_secure.c - the keyed hash and what TCP derives from it: initial
 * sequence numbers (RFC 6528), per-connection timestamp offsets (as
 * Linux's secure_tcp_ts_off) and ephemeral port offsets (as Linux's
 * secure_ipv4_port_ephemeral).
 *
 * The hash is SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012), written from the paper's description: a
 * 256-bit state of four 64-bit words, 2 compression rounds per 8-byte
 * message word, 4 finalization rounds, 64-bit output.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"

#define ROTL64(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t
le64_load(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* One SipRound: the ARX network of the paper's figure 2.1. */
static void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL64(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL64(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL64(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL64(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL64(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL64(v[2], 32);
}

uint64_t
siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64_load(key), k1 = le64_load(key + 8);
	uint64_t v[4], m;
	uint8_t last[8];
	size_t i, tail;

	/* Initialization: the key xored with "somepseudorandomlygeneratedbytes". */
	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;

	/* Compression: each full 8-byte little-endian word, two rounds. */
	for (i = 0; i + 8 <= len; i += 8) {
		m = le64_load(p + i);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}

	/* The last word: remaining bytes, zero padded, length mod 256 on top. */
	tail = len - i;
	memset(last, 0, sizeof(last));
	memcpy(last, p + i, tail);
	last[7] = (uint8_t)len;
	m = le64_load(last);
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;

	/* Finalization: 0xff into v2, four rounds, fold the state. */
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* Lay out (a, b, c) as 12 bytes so that each hash sees the same input form. */
static uint64_t
hash_3u32(const uint8_t key[16], uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t w[3] = { a, b, c };

	return siphash24(key, w, sizeof(w));
}

uint32_t
tcp_isn(struct tcpx_engine *e, const struct tcp_tuple *t)
{
	uint32_t hash;

	/*
	 * RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport,
	 * secretkey).  F is SipHash keyed by isn_key; M is Linux's clock
	 * term, nanoseconds >> 6 (one tick per 64 ns, wrapping in ~274 s),
	 * so that successive incarnations of a tuple move forward.
	 */
	hash = (uint32_t)hash_3u32(e->tcp.isn_key, t->laddr, t->raddr,
	    ((uint32_t)t->lport << 16) | t->rport);
	return hash + (uint32_t)((e->now * 1000) >> 6);
}

uint32_t
tcp_ts_off(struct tcpx_engine *e, const struct tcp_tuple *t)
{
	/*
	 * As Linux's secure_tcp_ts_off(): keyed by the address pair only,
	 * so all connections between two hosts share one timestamp clock
	 * and PAWS / tcp_tw_reuse keep working across incarnations, while
	 * the raw uptime is not revealed.
	 */
	return (uint32_t)hash_3u32(e->tcp.ts_key, t->laddr, t->raddr, 0);
}

uint32_t
tcp_port_offset(struct tcpx_engine *e, uint32_t laddr, uint32_t raddr,
    uint16_t rport)
{
	return (uint32_t)hash_3u32(e->tcp.port_key, laddr, raddr, rport);
}

uint32_t
tcp_tsval(struct tcpx_engine *e, uint32_t off)
{
	return tcpx_now_ms(e) + off;
}

/* 16 key bytes for `label`, from the host's 32-byte secret. */
static void
derive_key(const uint8_t secret[32], const char *label, uint8_t out[16])
{
	uint8_t in[16 + 16 + 1];
	size_t n = strlen(label);
	uint64_t h;

	/* Secret's second half and the label are the message; first half the key. */
	if (n > 16)
		n = 16;
	memset(in, 0, sizeof(in));
	memcpy(in, secret + 16, 16);
	memcpy(in + 16, label, n);
	for (int half = 0; half < 2; half++) {
		in[32] = (uint8_t)half;
		h = siphash24(secret, in, sizeof(in));
		for (int i = 0; i < 8; i++)
			out[half * 8 + i] = (uint8_t)(h >> (8 * i));
	}
}

void
tcp_secure_init(struct tcpx_engine *e)
{
	const uint8_t *s = e->cfg.secret;
	struct tcp_stack *tp = &e->tcp;

	derive_key(s, "tcpx isn", tp->isn_key);
	derive_key(s, "tcpx ts", tp->ts_key);
	derive_key(s, "tcpx port", tp->port_key);
	derive_key(s, "tcpx cookie0", tp->cookie_key[0]);
	derive_key(s, "tcpx cookie1", tp->cookie_key[1]);
	derive_key(s, "tcpx fastopen", tp->tfo_key);
}
