/*
 * tcp_syncookie.c - SYN cookies, as Linux's net/ipv4/syncookies.c
 * encodes them, so that a listener whose SYN queue is full can answer a
 * SYN without keeping any state and still build the connection when the
 * third ACK echoes the cookie.
 *
 * Our ISN (the cookie) is
 *     H(tuple, key0) + client_isn + (count << 24)
 *       + ((H(tuple, count, key1) + mss_index) mod 2^24)
 * where count ticks once a minute.  On the ACK, ack - 1 is taken apart
 * again: the top 8 bits give the count it was made in (accepted if that
 * is now or one tick ago), the low 24 bits the MSS index.
 *
 * Options a cookie cannot hold (window scale, SACK, ECN) ride in the low
 * 6 bits of our timestamp when the client uses timestamps, and come back
 * in its TSecr.  Without timestamps the SYN-ACK offers nothing but MSS.
 */
#include <stdint.h>

#include "engine.h"

#define COOKIEBITS		24
#define COOKIEMASK		(((uint32_t)1 << COOKIEBITS) - 1)
#define MAX_SYNCOOKIE_AGE	2
#define SYNCOOKIE_PERIOD_US	(60ULL * 1000000)

/* Low bits of our TSval in a cookie SYN-ACK (Linux's TS_OPT_*). */
#define TSBITS			6
#define TS_OPT_WSCALE_MASK	0xf
#define TS_OPT_SACK		(1u << 4)
#define TS_OPT_ECN		(1u << 5)

/* MSS values a cookie can carry, as Linux's msstab; index is 2 bits. */
static const uint16_t msstab[] = { 536, 1300, 1440, 1460 };
#define NMSS	(sizeof(msstab) / sizeof(msstab[0]))

uint32_t
tcp_cookie_time(const struct tcpx_engine *e)
{
	return (uint32_t)(e->now / SYNCOOKIE_PERIOD_US);
}

/* H(saddr, daddr, sport, dport, count) keyed by cookie key `c`. */
static uint32_t
cookie_hash(const struct tcpx_engine *e, uint32_t saddr, uint32_t daddr,
    uint16_t sport, uint16_t dport, uint32_t count, int c)
{
	uint32_t w[4] = { saddr, daddr, ((uint32_t)sport << 16) | dport,
	    count };

	return (uint32_t)siphash24(e->tcp.cookie_key[c], w, sizeof(w));
}

uint32_t
tcp_cookie_make(struct tcpx_engine *e, const struct tcp_seg *syn,
    uint16_t *mss_inout)
{
	uint32_t count = tcp_cookie_time(e);
	uint32_t idx;

	/* The largest table entry not above what the client can take. */
	for (idx = NMSS - 1; idx > 0; idx--)
		if (*mss_inout >= msstab[idx])
			break;
	*mss_inout = msstab[idx];

	return cookie_hash(e, syn->saddr, syn->daddr, syn->sport, syn->dport,
	    0, 0) + syn->seq + (count << COOKIEBITS) +
	    ((cookie_hash(e, syn->saddr, syn->daddr, syn->sport, syn->dport,
	    count, 1) + idx) & COOKIEMASK);
}

int
tcp_cookie_check(struct tcpx_engine *e, const struct tcp_seg *ack,
    uint16_t *mss)
{
	uint32_t count = tcp_cookie_time(e);
	uint32_t cookie = ack->ack - 1, sseq = ack->seq - 1;
	uint32_t diff, idx;

	/* Strip the first hash and the client's ISN: count<<24 + 24-bit part. */
	cookie -= cookie_hash(e, ack->saddr, ack->daddr, ack->sport,
	    ack->dport, 0, 0) + sseq;
	diff = (count - (cookie >> COOKIEBITS)) & ((uint32_t)-1 >> COOKIEBITS);
	if (diff >= MAX_SYNCOOKIE_AGE)
		return -1;
	idx = (cookie - cookie_hash(e, ack->saddr, ack->daddr, ack->sport,
	    ack->dport, count - diff, 1)) & COOKIEMASK;
	if (idx >= NMSS)
		return -1;
	*mss = msstab[idx];
	return 0;
}

uint32_t
tcp_cookie_ts(struct tcpx_engine *e, const struct tcp_synopts *o,
    uint32_t tsval)
{
	uint32_t options, ts;

	/*
	 * `tsval` is the raw millisecond clock (before the per-connection
	 * offset, as Linux's cookie_init_timestamp).  The peer's window
	 * scale (or 0xf: none), SACK and ECN go in the low bits; going back
	 * one 64 ms step when needed keeps our timestamps from running
	 * ahead of the clock, so they stay monotonic for the connection.
	 */
	options = o->wscale_ok ? o->snd_wscale : TS_OPT_WSCALE_MASK;
	if (o->sack_ok)
		options |= TS_OPT_SACK;
	ts = (tsval >> TSBITS) << TSBITS;
	ts |= options;
	if (SEQ_GT(ts, tsval))
		ts -= 1u << TSBITS;
	(void)e;
	return ts;
}

bool
tcp_cookie_ts_decode(uint32_t tsecr, struct tcp_synopts *o)
{
	/*
	 * `tsecr` is the echoed TSval less our offset.  The caller checks
	 * the sysctls (Linux's cookie_timestamp_decode refuses SACK or
	 * window scale when they are off now).
	 */
	o->sack_ok = (tsecr & TS_OPT_SACK) != 0;
	if ((tsecr & TS_OPT_WSCALE_MASK) == TS_OPT_WSCALE_MASK) {
		o->wscale_ok = false;
		o->snd_wscale = 0;
		return true;
	}
	o->wscale_ok = true;
	o->snd_wscale = tsecr & TS_OPT_WSCALE_MASK;
	return true;
}
