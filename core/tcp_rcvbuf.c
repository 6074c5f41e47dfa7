/*
 * tcp_rcvbuf.c - how big a connection's receive buffer is, and how much
 * of it is offered as window, as Linux 6.x sizes them:
 *   the initial window (tcp_select_initial_window) and the clamp that
 *     keeps a segment of the buffer unoffered (tcp_init_buffer_space);
 *   the window a buffer is worth, by the ratio of payload to memory
 *     measured on the first full segments (scaling_ratio, 6.6+);
 *   the window's growth as data flows (tcp_grow_window);
 *   the buffer's growth with what the application reads in a round
 *     trip (tcp_rcv_space_adjust, "DRS"), timed by the receiver's own
 *     RTT estimate (rcv_rtt_est);
 *   room for what is held out of order (tcp_rcvbuf_grow).
 */
#include <stdint.h>

#include "engine.h"

/*
 * Linux's tcp_win_from_space() since 6.6: the window a buffer of `space`
 * bytes gives, by the socket's measured ratio of payload to memory
 * (net.ipv4.tcp_adv_win_scale no longer counts).
 */
uint32_t
tcp_win_from_space(const struct tcp_sock *sk, uint64_t space)
{
	return (uint32_t)((space * sk->scaling_ratio) >> TCP_RMEM_TO_WIN_SCALE);
}

/* Linux's tcp_space_from_win(): the buffer a window needs. */
uint64_t
tcp_space_from_win(const struct tcp_sock *sk, uint64_t win)
{
	return (win << TCP_RMEM_TO_WIN_SCALE) / sk->scaling_ratio;
}

/*
 * Linux's tcp_set_window_clamp(): a smaller clamp pulls the growth limit
 * down with it, a larger one lets it rise to the current window.
 */
void
tcp_set_window_clamp(struct tcp_sock *sk, uint32_t val)
{
	uint32_t old = sk->window_clamp;

	if (val < SOCK_MIN_RCVBUF / 2)
		val = SOCK_MIN_RCVBUF / 2;
	if (val == old)
		return;
	sk->window_clamp = val;
	if (val < old) {
		if (sk->rcv_ssthresh > val)
			sk->rcv_ssthresh = val;
	} else if (sk->rcv_ssthresh < (sk->rcv_wnd < val ? sk->rcv_wnd : val)) {
		sk->rcv_ssthresh = sk->rcv_wnd < val ? sk->rcv_wnd : val;
	}
}

uint32_t
tcp_full_space(const struct tcpx_engine *e, const struct tcp_sock *sk)
{
	(void)e;
	return tcp_win_from_space(sk, sk->opt.rcvbuf > 0 ?
	    (uint64_t)sk->opt.rcvbuf : 0);
}

void
tcp_init_rcv_window(struct tcpx_engine *e, struct tcp_sock *sk,
    uint16_t mss)
{
	uint32_t space = tcp_full_space(e, sk), clamp = tcp_initial_clamp(e, sk);

	/*
	 * Linux's tcp_select_initial_window(): whole segments of the
	 * initial space, at most 64 KB unscaled; the scale covers the
	 * largest buffer the connection may grow to (tcp_rmem[2]), or the
	 * one the program chose.
	 */
	if (mss == 0)
		mss = TCP_MSS_DEFAULT;
	if (space > clamp)
		space = clamp;
	space = space / mss * mss;
	sk->rcv_wnd = space < 65535 ? space : 65535;
	sk->rcv_wscale = e->sysctl.tcp_window_scaling ?
	    tcp_initial_wscale(e, space, clamp) : 0;
	sk->rcv_ssthresh = sk->rcv_wnd;
	sk->window_clamp = tcp_full_space(e, sk);
	sk->rcv.max = tcp_full_space(e, sk);
}

/*
 * Linux's tcp_init_buffer_space(): the clamp keeps one segment of the
 * buffer unoffered (tcp_app_win's reservation), so the window starts
 * below the initial one (64088 bytes of a 64 KB buffer, not 65160), and
 * autotuning's first measure is at most the initial window of segments.
 */
void
tcp_init_buffer_space(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t mss = tcp_adv_mss(sk);
	uint32_t maxwin = tcp_full_space(e, sk), mss2 = 2u * mss;

	if (sk->window_clamp >= maxwin)
		sk->window_clamp = maxwin;
	if (sk->window_clamp > mss2 && sk->window_clamp + mss > maxwin)
		sk->window_clamp = maxwin - mss > mss2 ? maxwin - mss : mss2;
	if (sk->rcv_ssthresh > sk->window_clamp)
		sk->rcv_ssthresh = sk->window_clamp;
	sk->rcvq_space = sk->rcv_ssthresh < sk->rcv_wnd ? sk->rcv_ssthresh :
	    sk->rcv_wnd;
	if (sk->rcvq_space > TCP_INIT_CWND * mss)
		sk->rcvq_space = TCP_INIT_CWND * mss;
}

/*
 * Linux's scaling_ratio (tcp_measure_rcv_mss, 6.6+): how much window a
 * byte of receive buffer is worth, from what a full-sized segment costs
 * to hold.  Linux divides by the sk_buff's truesize; a byte in this
 * engine's receive ring costs one byte, and an out-of-order one its
 * queue entry besides, which is what is counted here.
 */
void
tcp_measure_scaling_ratio(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t len)
{
	uint64_t val = ((uint64_t)len << TCP_RMEM_TO_WIN_SCALE) /
	    (len + sizeof(struct tcp_ofo));
	uint8_t old = sk->scaling_ratio;

	sk->scaling_ratio = val != 0 ? (uint8_t)val : 1;
	if (sk->scaling_ratio == old)
		return;
	/* Unscaled, the window field is all there is. */
	tcp_set_window_clamp(sk, !sk->wscale_ok &&
	    tcp_full_space(e, sk) > 65535 ? 65535 : tcp_full_space(e, sk));
	if (sk->window_clamp < sk->rcvq_space)
		sk->rcvq_space = sk->window_clamp;
	/* The ring may hold what the window now admits. */
	if (sk->rcv.max < tcp_full_space(e, sk))
		sk->rcv.max = tcp_full_space(e, sk);
}

/*
 * Linux's tcp_grow_window(), which it runs for segments of 128 bytes or
 * more: open up as data flows, by two segments (tp->advmss) or twice
 * this one, up to the clamp and what the buffer has free, and ACK the
 * next one at once.
 * (Linux first checks that the segment's truesize fits the window it
 * would open; this engine's overhead per segment always does.)
 */
void
tcp_grow_window(struct tcp_sock *sk, uint32_t len)
{
	uint64_t used = tcp_rcv_used(sk);
	uint32_t cap, incr, mss;

	cap = used >= sk->rcv.max ? 0 : sk->rcv.max - (uint32_t)used;
	if (cap > sk->window_clamp)
		cap = sk->window_clamp;
	if (cap <= sk->rcv_ssthresh)
		return;
	mss = tcp_adv_mss(sk);
	incr = 2u * mss > 2 * len ? 2u * mss : 2 * len;
	sk->rcv_ssthresh += incr < cap - sk->rcv_ssthresh ? incr :
	    cap - sk->rcv_ssthresh;
	sk->quickack |= 1;
}

/*
 * Linux's tcp_rcv_rtt_update() (6.16+): a smaller sample is taken at
 * once; a larger one only from a timestamp, smoothed by 1/8, and only
 * when the application has read everything (a slow reader would
 * otherwise inflate the estimate, and the buffer with it).
 */
static void
rcv_rtt_update(struct tcp_sock *sk, uint64_t sample, bool win_dep)
{
	uint64_t old = sk->rcv_rtt_us8, m = sample << 3;

	if (old == 0 || m < old) {
		sk->rcv_rtt_us8 = m < UINT32_MAX ? (uint32_t)m : UINT32_MAX;
		return;
	}
	if (win_dep || sk->rcv.len != 0 || sk->rcv_held != 0)
		return;
	m = old - (old >> 3) + sample;
	sk->rcv_rtt_us8 = m < UINT32_MAX ? (uint32_t)m : UINT32_MAX;
}

/*
 * Linux's tcp_rcv_rtt_measure() (Dynamic Right-Sizing): the time the
 * sender takes to fill the window we offered is at least a round trip.
 */
void
tcp_rcv_rtt_measure(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint64_t d;

	if (sk->rcv_rtt_running) {
		if (SEQ_LT(sk->rcv_nxt, sk->rcv_rtt_seq))
			return;
		d = e->now - sk->rcv_rtt_time;
		rcv_rtt_update(sk, d != 0 ? d : 1, true);
	}
	sk->rcv_rtt_seq = sk->rcv_nxt + sk->rcv_wnd;
	sk->rcv_rtt_time = e->now;
	sk->rcv_rtt_running = true;
}

/*
 * Linux's tcp_rcv_rtt_measure_ts(): a full segment echoing a timestamp
 * not seen before dates a round trip, in whole ms of our clock.  Since
 * 6.16 an echo from this same ms is no sample (it would say 1 ms).
 */
void
tcp_rcv_rtt_measure_ts(struct tcpx_engine *e, struct tcp_sock *sk,
    uint32_t tsecr, uint32_t len)
{
	uint32_t delta;

	if (!sk->ts_ok || tsecr == sk->rcv_rtt_last_tsecr)
		return;
	sk->rcv_rtt_last_tsecr = tsecr;
	if (len < sk->rcv_mss)
		return;
	delta = tcp_tsval(e, sk->ts_off) - tsecr;
	if (delta != 0 && delta < INT32_MAX / 1000)
		rcv_rtt_update(sk, (uint64_t)delta * 1000, false);
}

/*
 * Linux's tcp_rcvbuf_grow() as the lab's 6.18 kernel runs it (checked
 * against its tcp_rcvbuf_grow tracepoint): room for twice what was read
 * in the last RTT, plus twice that again in proportion to how much the
 * rate grew (slow start), plus what is held out of order; to
 * tcp_rmem[2] at most.  The window clamp follows the buffer.
 */
void
tcp_rcvbuf_grow(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t newval)
{
	uint32_t old = sk->rcvq_space;
	uint64_t win, buf;
	struct tcp_ofo *last;

	sk->rcvq_space = newval;
	if (!sk->rcvbuf_auto)
		return;
	win = (uint64_t)newval << 1;
	if (old != 0 && newval > old)
		win += (win * (newval - old) / old) << 1;
	if ((last = TAILQ_LAST(&sk->ofo, tcp_ofoq)) != NULL)
		win += last->seq + last->len - sk->rcv_nxt;
	buf = tcp_space_from_win(sk, win);
	if (buf > (uint64_t)e->sysctl.tcp_rmem[2])
		buf = (uint64_t)e->sysctl.tcp_rmem[2];
	if (buf > (uint64_t)sk->opt.rcvbuf) {
		sk->opt.rcvbuf = (int)buf;
		sk->rcv.max = tcp_full_space(e, sk);
		if (sk->window_clamp < sk->rcv.max &&
		    (sk->wscale_ok || sk->rcv.max <= 65535))
			sk->window_clamp = sk->rcv.max;
	}
}

/* What the program has read: taken by the host, less what it holds unread. */
uint64_t
tcp_bytes_app_read(const struct tcp_sock *sk)
{
	return sk->bytes_read > sk->rcv_held ? sk->bytes_read - sk->rcv_held :
	    0;
}

/*
 * Receive-buffer autotuning (Linux's tcp_rcv_space_adjust, "DRS"): once
 * per receiver RTT, if the application read more than the buffer was
 * sized for (not counting what still waits to be read), grow it.
 */
void
tcp_rcv_space_adjust(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint64_t copied, read = tcp_bytes_app_read(sk);
	uint64_t inq = (uint64_t)sk->rcv.len + sk->rcv_held;

	if (sk->rcv_rtt_us8 == 0 ||
	    e->now - sk->rcvq_time < sk->rcv_rtt_us8 >> 3)
		return;
	copied = read > sk->rcvq_seq ? read - sk->rcvq_seq : 0;
	copied = copied > inq ? copied - inq : 0;
	if (copied > sk->rcvq_space)
		tcp_rcvbuf_grow(e, sk, copied < UINT32_MAX ?
		    (uint32_t)copied : UINT32_MAX);
	sk->rcvq_seq = read;
	sk->rcvq_time = e->now;
}
