/*
 * tcp_cc.c - the congestion-control interface and Reno.
 *
 * Each socket points at one struct tcp_cc_ops, chosen when the
 * connection is set up: the socket's TCP_CONGESTION if the application
 * set one, else net.ipv4.tcp_congestion_control (CUBIC by default, as
 * Linux).  The ops see cwnd and ssthresh in segments, as Linux's do;
 * the helpers below are Linux's shared ones (tcp_slow_start,
 * tcp_cong_avoid_ai, tcp_is_cwnd_limited).
 */
#include <stddef.h>

#include "engine.h"

/* Linux caps cwnd at snd_cwnd_clamp (~0); a 32-bit byte count must hold it. */
#define TCP_CWND_CLAMP	65535u

static const struct tcp_cc_ops *
cc_by_id(unsigned id)
{
	return id == TCPX_CC_RENO ? &tcp_reno_ops : &tcp_cubic_ops;
}

static unsigned
cc_wanted(const struct tcpx_engine *e, const struct tcp_sock *sk)
{
	return sk->opt.congestion != 0 ? (unsigned)sk->opt.congestion - 1 :
	    (unsigned)e->sysctl.tcp_congestion_control;
}

void
tcp_cc_init(struct tcpx_engine *e, struct tcp_sock *sk)
{
	sk->cc_id = (uint8_t)cc_wanted(e, sk);
	sk->cc = cc_by_id(sk->cc_id);
	sk->cwnd_acked = 0;
	if (sk->cc->init != NULL)
		sk->cc->init(e, sk);
}

void
tcp_cc_check(struct tcpx_engine *e, struct tcp_sock *sk)
{
	/*
	 * TCP_CONGESTION on a live connection switches algorithms at once
	 * (Linux's tcp_reinit_congestion_control); cwnd carries over.
	 */
	if (sk->cc == NULL || sk->cc_id != cc_wanted(e, sk))
		tcp_cc_init(e, sk);
}

uint32_t
tcp_slow_start(struct tcp_sock *sk, uint32_t acked)
{
	uint32_t cwnd = sk->snd_cwnd + acked;

	if (cwnd > sk->snd_ssthresh)
		cwnd = sk->snd_ssthresh;
	acked -= cwnd - sk->snd_cwnd;
	sk->snd_cwnd = cwnd < TCP_CWND_CLAMP ? cwnd : TCP_CWND_CLAMP;
	return acked;
}

void
tcp_cong_avoid_ai(struct tcp_sock *sk, uint32_t w, uint32_t acked)
{
	uint32_t delta;

	if (w == 0)
		w = 1;
	/* If credits accumulated at a higher w, apply them gently now. */
	if (sk->cwnd_acked >= w) {
		sk->cwnd_acked = 0;
		sk->snd_cwnd++;
	}
	sk->cwnd_acked += acked;
	if (sk->cwnd_acked >= w) {
		delta = sk->cwnd_acked / w;
		sk->cwnd_acked -= delta * w;
		sk->snd_cwnd += delta;
	}
	if (sk->snd_cwnd > TCP_CWND_CLAMP)
		sk->snd_cwnd = TCP_CWND_CLAMP;
}

bool
tcp_is_cwnd_limited(const struct tcp_sock *sk)
{
	/*
	 * Linux: in slow start, grow while cwnd is under twice what was
	 * in flight (so an application-limited sender still doubles);
	 * afterwards only if cwnd really limited the last window.
	 */
	if (sk->snd_cwnd < sk->snd_ssthresh)
		return sk->snd_cwnd < 2 * sk->max_packets_out;
	return sk->cwnd_limited;
}

void
tcp_cwnd_validate(struct tcp_sock *sk, bool limited)
{
	uint32_t mss = sk->mss != 0 ? sk->mss : 1;
	uint32_t out = (sk->snd_max - sk->snd_una + mss - 1) / mss;

	/* Linux's tcp_cwnd_validate(): both facts last one window. */
	if (!SEQ_LT(sk->snd_una, sk->max_packets_seq) ||
	    out > sk->max_packets_out) {
		sk->max_packets_out = out;
		sk->max_packets_seq = sk->snd_max;
	}
	if (out >= sk->snd_cwnd)
		limited = true;
	if (!SEQ_LT(sk->snd_una, sk->cwnd_usage_seq) ||
	    limited != sk->cwnd_limited) {
		sk->cwnd_limited = limited;
		sk->cwnd_usage_seq = sk->snd_max;
	}
}

/*
 * Linux's pacing rate, from tcp_update_pacing_rate(): the current rate,
 * cwnd (or what is in flight, if more) MSS-sized segments per srtt, at
 * tcp_pacing_ss_ratio (200%) while cwnd is under half of ssthresh, at
 * tcp_pacing_ca_ratio (120%) after; without an srtt yet, undivided.
 * The engine does not pace; CUBIC's HyStart reads it, as Linux's does.
 */
#define TCP_PACING_SS_RATIO	200u
#define TCP_PACING_CA_RATIO	120u

void
tcp_update_pacing_rate(struct tcp_sock *sk)
{
	uint32_t mss = sk->mss != 0 ? sk->mss : TCP_MSS_DEFAULT;
	uint32_t out = (sk->snd_max - sk->snd_una + mss - 1) / mss;
	uint64_t rate = (uint64_t)mss * ((1000000 / 100) << 3);

	rate *= sk->snd_cwnd < sk->snd_ssthresh / 2 ? TCP_PACING_SS_RATIO :
	    TCP_PACING_CA_RATIO;
	rate *= sk->snd_cwnd > out ? sk->snd_cwnd : out;
	/* srtt8_us is srtt << 3, as Linux's srtt_us: the shift cancels. */
	if (sk->srtt8_us != 0)
		rate /= sk->srtt8_us;
	sk->pacing_rate = rate;
}

/*
 * Reno (RFC 5681): slow start to ssthresh, then one segment per
 * window of ACKs; halve on loss.
 */
static uint32_t
reno_ssthresh(struct tcpx_engine *e, struct tcp_sock *sk)
{
	(void)e;
	return sk->snd_cwnd / 2 > 2 ? sk->snd_cwnd / 2 : 2;
}

static void
reno_cong_avoid(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t acked)
{
	(void)e;
	if (!tcp_is_cwnd_limited(sk))
		return;
	if (sk->snd_cwnd < sk->snd_ssthresh) {
		acked = tcp_slow_start(sk, acked);
		if (acked == 0)
			return;
	}
	tcp_cong_avoid_ai(sk, sk->snd_cwnd, acked);
}

/* Undo a reduction found spurious: back to the cwnd before it (Linux's
 * tcp_reno_undo_cwnd, which CUBIC uses too). */
uint32_t
tcp_reno_undo_cwnd(struct tcpx_engine *e, struct tcp_sock *sk)
{
	(void)e;
	return sk->snd_cwnd > sk->prior_cwnd ? sk->snd_cwnd : sk->prior_cwnd;
}

const struct tcp_cc_ops tcp_reno_ops = {
	.name = "reno",
	.ssthresh = reno_ssthresh,
	.cong_avoid = reno_cong_avoid,
	.undo_cwnd = tcp_reno_undo_cwnd,
};
