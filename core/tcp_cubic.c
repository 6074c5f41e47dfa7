/*
 * tcp_cubic.c - CUBIC congestion control (RFC 9438), with the constants
 * and fixed-point units of Linux's tcp_cubic.c: beta 717/1024 (~0.7),
 * C = 410/1024 (~0.4), fast convergence and the TCP-friendly (Reno)
 * region on.
 *
 * Time comes from the engine clock in milliseconds (Linux's jiffies at
 * HZ=1000); the cubic curve is evaluated with t in 1/1024 s, so
 *   W(t) = C (t - K)^3 + W_max  is  (410 * offs^3) >> 40  segments
 * and K = cbrt(W_max - cwnd) / C), in the same units, from an integer
 * cube root.  No floating point.
 *
 * Slow start ends early by HyStart, as Linux 6.x's.  Its module
 * parameters are tunables here, with Linux's defaults: tcp_cubic.hystart
 * (1), .hystart_detect (3: both ways), .hystart_low_window (16),
 * .hystart_ack_delta_us (2000), .fast_convergence (1),
 * .tcp_friendliness (1), .initial_ssthresh (0: none; only without
 * HyStart, as in Linux).  From a cwnd of 16 segments on, each
 * round trip of slow start (until SND.UNA passes what was sent when it
 * began) is watched two ways, on the microsecond clock:
 *   ACK train: ACKs keep coming at most 2 ms apart for longer than half
 *     the smallest RTT (plus a cushion for GSO/GRO batching): the pipe
 *     is full;
 *   delay: the smallest of the round's RTT samples, once it has 8, is
 *     above the smallest RTT ever seen by more than an eighth of it,
 *     4 to 16 ms: a queue is building.
 * Either sets ssthresh to cwnd (TcpExt TCPHystartTrainDetect /
 * TCPHystartDelayDetect, and the cwnd in ...Cwnd), once per slow start:
 * it starts over only at a timeout (CA_Loss).  The RTT samples are
 * tcp_txstamp.c's, Linux's ca_rtt_us.
 */
#include <string.h>

#include "engine.h"

#define BETA_SCALE	1024u
#define BETA		717u		/* W_max * beta on loss */
#define CUBE_RTT_SCALE	410u		/* C * 1024 */
#define CUBIC_HZ	10		/* t in 1/2^10 s */
#define CUBE_SHIFT	(10 + 3 * CUBIC_HZ)
/* 2^40 / 410: turns (W_max - cwnd) into K^3 in (1/1024 s)^3. */
#define CUBE_FACTOR	((1ULL << CUBE_SHIFT) / CUBE_RTT_SCALE)
/* Reno-friendly slope: 3 (1 - beta) / (1 + beta) per RTT, times 8. */
#define BETA_FRIENDLY	(8u * (BETA_SCALE + BETA) / 3u / (BETA_SCALE - BETA))

/* HyStart: Linux's module parameters, at their defaults. */
#define HYSTART_ACK_TRAIN	0x1
#define HYSTART_DELAY		0x2
/* Samples a round takes before its smallest RTT is judged. */
#define HYSTART_MIN_SAMPLES	8u
#define HYSTART_DELAY_MIN_US	4000u
#define HYSTART_DELAY_MAX_US	16000u
/* Linux's sk_gso_max_size on a device without BIG TCP. */
#define HYSTART_GSO_MAX_SIZE	65536u

static uint32_t
cubic_now_ms(const struct tcpx_engine *e)
{
	uint32_t ms = tcpx_now_ms(e);

	return ms != 0 ? ms : 1;	/* 0 means "no epoch" */
}

/* floor(cbrt(a)), by bisection on the 22 bits a cube root of 2^64 needs. */
static uint32_t
cubic_root(uint64_t a)
{
	uint64_t lo = 0, hi = 1u << 22, mid;

	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (mid * mid * mid <= a)
			lo = mid;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

static void
cubic_reset(struct tcp_sock *sk)
{
	memset(&sk->cubic, 0, sizeof(sk->cubic));
	sk->delay_min_us = 0;
}

/*
 * The microsecond clock cut to 32 bits, as Linux's bictcp_clock_us:
 * HyStart only takes differences of it, as signed 32-bit ones.
 */
static uint32_t
hystart_now_us(const struct tcpx_engine *e)
{
	return (uint32_t)e->now;
}

/* A new round of slow start: what is in flight now marks its end. */
static void
hystart_reset(struct tcpx_engine *e, struct tcp_sock *sk)
{
	struct tcp_cubic *ca = &sk->cubic;

	ca->round_start = ca->last_ack = hystart_now_us(e);
	ca->end_seq = sk->snd_max;	/* Linux's snd_nxt: the highest sent */
	ca->curr_rtt = UINT32_MAX;
	ca->sample_cnt = 0;
}

static void
cubic_init(struct tcpx_engine *e, struct tcp_sock *sk)
{
	cubic_reset(sk);
	if (e->sysctl.cubic_hystart)
		hystart_reset(e, sk);
	else if (e->sysctl.cubic_initial_ssthresh != 0)
		sk->snd_ssthresh = (uint32_t)e->sysctl.cubic_initial_ssthresh;
}

/* Linux's bictcp_update(): the ACKs per cwnd increment for this RTT. */
static void
cubic_update(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t acked)
{
	struct tcp_cubic *ca = &sk->cubic;
	uint32_t cwnd = sk->snd_cwnd, now = cubic_now_ms(e), target, delta;
	uint32_t max_cnt;
	uint64_t t, offs, d;

	ca->ack_cnt += acked;
	/* Recompute at most every 1/32 s while cwnd stands still. */
	if (ca->last_cwnd == cwnd && (int32_t)(now - ca->last_time) <= 1000 / 32)
		return;
	if (ca->epoch_start != 0 && now == ca->last_time)
		goto friendly;
	ca->last_cwnd = cwnd;
	ca->last_time = now;
	if (ca->epoch_start == 0) {
		/* A new epoch: the curve starts from here. */
		ca->epoch_start = now;
		ca->ack_cnt = acked;
		ca->tcp_cwnd = cwnd;
		if (ca->last_max_cwnd <= cwnd) {
			ca->k = 0;
			ca->origin_point = cwnd;
		} else {
			ca->k = cubic_root(CUBE_FACTOR *
			    (uint64_t)(ca->last_max_cwnd - cwnd));
			ca->origin_point = ca->last_max_cwnd;
		}
	}
	/* t, one RTT ahead (the target is for when this ACK's data lands). */
	t = (uint64_t)(now - ca->epoch_start) + sk->delay_min_us / 1000;
	t = (t << CUBIC_HZ) / 1000;
	offs = t < ca->k ? ca->k - t : t - ca->k;
	d = (CUBE_RTT_SCALE * offs * offs * offs) >> CUBE_SHIFT;
	delta = d > 0xffffffffULL ? 0xffffffffu : (uint32_t)d;
	if (t < ca->k)
		target = ca->origin_point > delta ? ca->origin_point - delta : 0;
	else
		target = ca->origin_point + delta;
	if (target > cwnd)
		ca->cnt = cwnd / (target - cwnd);
	else
		ca->cnt = 100 * cwnd;	/* very small increment */
	/* No W_max known yet: at least 5% per RTT. */
	if (ca->last_max_cwnd == 0 && ca->cnt > 20)
		ca->cnt = 20;
friendly:
	if (!e->sysctl.cubic_tcp_friendliness)
		goto floor;
	/* RFC 9438 4.3: never slower than Reno would be (W_est). */
	delta = (cwnd * BETA_FRIENDLY) >> 3;
	if (delta == 0)
		delta = 1;
	while (ca->ack_cnt > delta) {
		ca->ack_cnt -= delta;
		ca->tcp_cwnd++;
	}
	if (ca->tcp_cwnd > cwnd) {
		max_cnt = cwnd / (ca->tcp_cwnd - cwnd);
		if (ca->cnt > max_cnt)
			ca->cnt = max_cnt;
	}
floor:
	/* At most +1 per 2 ACKed: 1.5x per RTT. */
	if (ca->cnt < 2)
		ca->cnt = 2;
}

static void
cubic_cong_avoid(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t acked)
{
	if (!tcp_is_cwnd_limited(sk))
		return;
	if (sk->snd_cwnd < sk->snd_ssthresh) {
		acked = tcp_slow_start(sk, acked);
		if (acked == 0)
			return;
	}
	cubic_update(e, sk, acked);
	tcp_cong_avoid_ai(sk, sk->cubic.cnt, acked);
}

static uint32_t
cubic_ssthresh(struct tcpx_engine *e, struct tcp_sock *sk)
{
	struct tcp_cubic *ca = &sk->cubic;
	uint32_t cwnd = sk->snd_cwnd, w;

	ca->epoch_start = 0;	/* the epoch ends with the loss */
	/* Fast convergence (RFC 9438 4.7): yield to newer flows. */
	if (cwnd < ca->last_max_cwnd && e->sysctl.cubic_fast_convergence)
		ca->last_max_cwnd = cwnd * (BETA_SCALE + BETA) /
		    (2 * BETA_SCALE);
	else
		ca->last_max_cwnd = cwnd;
	w = cwnd * BETA / BETA_SCALE;
	return w > 2 ? w : 2;
}

/*
 * Linux's hystart_ack_delay(): delay_min was measured on the small
 * bursts of early slow start; as they grow to 64 KB (GSO, then GRO at
 * the receiver) the ACKs of a round spread out more than the path
 * alone would, which on a short RTT passes for a train.  Allow four
 * such bursts at the pacing rate (two at the real rate, which pacing
 * doubles), at most 1 ms; nothing while the rate is unknown.
 */
static uint32_t
hystart_ack_delay(const struct tcp_sock *sk)
{
	uint64_t us;

	if (sk->pacing_rate == 0)
		return 0;
	us = (uint64_t)HYSTART_GSO_MAX_SIZE * 4 * 1000000 / sk->pacing_rate;
	return us < 1000 ? (uint32_t)us : 1000;
}

static void
hystart_found(struct tcpx_engine *e, struct tcp_sock *sk, bool train)
{
	sk->cubic.found = true;
	if (train) {
		MIB_INC(e, TCPEXT_TCPHYSTARTTRAINDETECT);
		MIB_ADD(e, TCPEXT_TCPHYSTARTTRAINCWND, sk->snd_cwnd);
	} else {
		MIB_INC(e, TCPEXT_TCPHYSTARTDELAYDETECT);
		MIB_ADD(e, TCPEXT_TCPHYSTARTDELAYCWND, sk->snd_cwnd);
	}
	/* This ACK's cwnd growth, still to come, is congestion avoidance. */
	sk->snd_ssthresh = sk->snd_cwnd;
}

/* Linux's hystart_update(): one RTT sample `delay` (us) in slow start. */
static void
hystart_update(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t delay)
{
	struct tcp_cubic *ca = &sk->cubic;
	uint32_t now, threshold, thresh;

	if (SEQ_GT(sk->snd_una, ca->end_seq))
		hystart_reset(e, sk);
	if (e->sysctl.cubic_hystart_detect & HYSTART_ACK_TRAIN) {
		now = hystart_now_us(e);
		/* ACKs close together since the round began: the train. */
		if ((int64_t)(int32_t)(now - ca->last_ack) <=
		    (int64_t)e->sysctl.cubic_hystart_ack_delta_us) {
			ca->last_ack = now;
			threshold = sk->delay_min_us + hystart_ack_delay(sk);
			/*
			 * Half an RTT of them: the first segments of the
			 * round are back while its last ones are still
			 * leaving.  (Linux waits a whole RTT when the fq
			 * qdisc paces; the engine is never paced.)
			 */
			threshold >>= 1;
			if ((int32_t)(now - ca->round_start) >
			    (int32_t)threshold)
				hystart_found(e, sk, true);
		}
	}
	if (e->sysctl.cubic_hystart_detect & HYSTART_DELAY) {
		if (ca->curr_rtt > delay)
			ca->curr_rtt = delay;
		if (ca->sample_cnt < HYSTART_MIN_SAMPLES) {
			ca->sample_cnt++;
		} else {
			thresh = sk->delay_min_us >> 3;
			if (thresh < HYSTART_DELAY_MIN_US)
				thresh = HYSTART_DELAY_MIN_US;
			if (thresh > HYSTART_DELAY_MAX_US)
				thresh = HYSTART_DELAY_MAX_US;
			if (ca->curr_rtt > sk->delay_min_us + thresh)
				hystart_found(e, sk, false);
		}
	}
}

static void
cubic_pkts_acked(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t rtt_us)
{
	struct tcp_cubic *ca = &sk->cubic;

	/* Samples right after a loss are inflated by queues: skip 1 s. */
	if (ca->epoch_start != 0 &&
	    (int32_t)(cubic_now_ms(e) - ca->epoch_start) < 1000)
		return;
	if (rtt_us == 0)
		rtt_us = 1;
	if (sk->delay_min_us == 0 || sk->delay_min_us > rtt_us)
		sk->delay_min_us = rtt_us;
	/* A small window says too little about the path to judge. */
	if (e->sysctl.cubic_hystart && !ca->found &&
	    sk->snd_cwnd < sk->snd_ssthresh &&
	    sk->snd_cwnd >= (uint64_t)e->sysctl.cubic_hystart_low_window)
		hystart_update(e, sk, rtt_us);
}

static void
cubic_on_loss(struct tcpx_engine *e, struct tcp_sock *sk)
{
	cubic_reset(sk);
	hystart_reset(e, sk);
}

static void
cubic_tx_start(struct tcpx_engine *e, struct tcp_sock *sk, uint64_t idle_us)
{
	struct tcp_cubic *ca = &sk->cubic;
	uint32_t now = cubic_now_ms(e), d = (uint32_t)(idle_us / 1000);

	/* Idle time is not growth time: slide the curve along. */
	if (ca->epoch_start != 0 && d > 0) {
		ca->epoch_start += d;
		if ((int32_t)(ca->epoch_start - now) > 0)
			ca->epoch_start = now;
	}
}

const struct tcp_cc_ops tcp_cubic_ops = {
	.name = "cubic",
	.init = cubic_init,
	.ssthresh = cubic_ssthresh,
	.cong_avoid = cubic_cong_avoid,
	.pkts_acked = cubic_pkts_acked,
	.on_loss = cubic_on_loss,
	.tx_start = cubic_tx_start,
	.undo_cwnd = tcp_reno_undo_cwnd,
};
