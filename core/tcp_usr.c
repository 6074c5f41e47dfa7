/*
 * tcp_usr.c - the state machine's side of the socket calls (RFC 9293
 * 3.10.1-3.10.6: OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS), as Linux's
 * tcp_v4_connect/tcp_sendmsg/tcp_recvmsg/tcp_shutdown/tcp_close/tcp_poll
 * behave.  tcp_usrreq.c checks the arguments and calls these.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "engine.h"

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000
#endif

int
tcp_active_open(struct tcpx_engine *e, struct tcp_sock *sk,
    const void *data, size_t len)
{
	const struct tcp_tuple *t = &sk->h.tuple;
	uint8_t cookie[TCP_FASTOPEN_COOKIE_MAX], clen = 0;
	uint16_t cmss = 0, mss;
	long tfo = e->sysctl.tcp_fastopen;
	uint32_t space;
	bool fastopen = data != NULL;

	if (fastopen && !(tfo & 0x1))
		return -EOPNOTSUPP;
	/* A tuple taken over from TIME-WAIT starts past its old sequence. */
	sk->iss = e->tcp.tw_isn != 0 ? e->tcp.tw_isn : tcp_isn(e, t);
	e->tcp.tw_isn = 0;
	sk->ts_off = e->sysctl.tcp_timestamps == 1 ? tcp_ts_off(e, t) : 0;
	sk->advmss = tcp_mss_for_route(e, t->raddr);
	if (sk->opt.user_mss > 0 && sk->opt.user_mss < sk->advmss)
		sk->advmss = (uint16_t)sk->opt.user_mss;
	tcp_init_rcv_window(e, sk, sk->advmss);
	sk->snd.max = (uint32_t)sk->opt.sndbuf;
	sk->snd_una = sk->snd_nxt = sk->snd_max = sk->iss;
	tcp_txstamp_free(sk);
	sk->rcv_nxt = sk->rcv_wup = sk->rcv_adv = 0;
	sk->rto_us = TCP_TIMEOUT_INIT_US;
	sk->retransmits = sk->backoff = 0;
	sk->shut_rd = sk->shut_wr = sk->rcv_fin = false;
	sk->fin_queued = sk->fin_acked = false;

	/*
	 * Fast Open client (RFC 7413, Linux's tcp_send_syn_data): with a
	 * cached cookie, or with tcp_fastopen bit 0x4 / TCP_FASTOPEN_NO_COOKIE
	 * needing none, the SYN carries the data (up to the MSS less 40
	 * bytes of option space); without, it asks for a cookie and the
	 * data waits for the application to send it after the handshake.
	 */
	sk->tfo_req = sk->tfo_opt = sk->tfo_syn_data = false;
	sk->tfo_syn_len = 0;
	if (fastopen) {
		bool syn_data = false;

		if ((tfo & 0x4) || sk->opt.fastopen_no_cookie) {
			syn_data = true;
		} else if (tcp_fastopen_cache_get(e, t->raddr, cookie, &clen,
		    &cmss) && clen > 0) {
			syn_data = true;
			sk->tfo_req = sk->tfo_opt = true;
			sk->tfo_cookie_len = clen;
			memcpy(sk->tfo_cookie, cookie, clen);
		} else {
			sk->tfo_req = sk->tfo_opt = true;
			sk->tfo_cookie_len = 0;
		}
		if (syn_data && len > 0) {
			mss = sk->advmss;
			if (cmss != 0 && cmss < mss)
				mss = cmss;
			space = mss > 40 ? mss - 40u : 0;
			if (space > len)
				space = (uint32_t)len;
			sk->tfo_syn_len = tcp_ring_write(&sk->snd, data, space);
		}
	}
	tcp_set_state(e, sk, TCP_ST_SYN_SENT, "connect");
	MIB_INC(e, TCP_ACTIVEOPENS);
	tcp_send_syn(e, sk, false);
	return -EINPROGRESS;
}

/*
 * May the application write now?  0, or what send(2) fails with: the
 * pending error (taken), EPIPE after shutdown or close, EAGAIN while
 * connecting (sk_stream_wait_connect, without blocking).
 */
static int
send_check(struct tcp_sock *sk)
{
	int err;

	if (sk->so_error != 0) {
		err = sk->so_error;
		sk->so_error = 0;
		return -err;
	}
	if (sk->shut_wr)
		return -EPIPE;
	switch (sk->state) {
	case TCP_ST_ESTABLISHED:
	case TCP_ST_CLOSE_WAIT:
		break;
	case TCP_ST_SYN_RECEIVED:
		if (sk->passive)
			break;	/* a Fast Open child talks at once */
		/* FALLTHROUGH */
	case TCP_ST_SYN_SENT:
		/* sk_stream_wait_connect(), without blocking. */
		return -EAGAIN;
	default:
		return -EPIPE;
	}
	return 0;
}

ssize_t
tcp_usr_send(struct tcpx_engine *e, struct tcp_sock *sk, const void *buf,
    size_t len, int flags)
{
	uint32_t n;
	int err;

	if ((err = send_check(sk)) != 0)
		return err;
	if (len == 0)
		return 0;
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	if (tcp_ring_would_move(&sk->snd, (uint32_t)len))
		ip_tx_fence(e);
	n = tcp_ring_write(&sk->snd, buf, (uint32_t)len);
	if (n == 0)
		return -EAGAIN;
	sk->more = (flags & MSG_MORE) != 0;
	tcp_output(e, sk);
	return n;
}

ssize_t
tcp_usr_send_reserve(struct tcpx_engine *e, struct tcp_sock *sk, size_t len,
    struct iovec *iov, int *iovcnt)
{
	uint32_t n;
	int err;

	*iovcnt = 0;
	if ((err = send_check(sk)) != 0)
		return err;
	if (len == 0)
		return -EINVAL;
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	if (tcp_ring_would_move(&sk->snd, (uint32_t)len))
		ip_tx_fence(e);
	n = tcp_ring_reserve(&sk->snd, (uint32_t)len, iov, iovcnt);
	return n != 0 ? (ssize_t)n : -EAGAIN;
}

int
tcp_usr_send_commit(struct tcpx_engine *e, struct tcp_sock *sk, size_t n,
    int flags)
{
	/* Only what the reservation left room for, and only when sendable. */
	if (n > tcp_ring_space(&sk->snd) ||
	    (n > 0 && (sk->so_error != 0 || sk->shut_wr)))
		return -EINVAL;
	if (n > 0)
		tcp_ring_commit(&sk->snd, (uint32_t)n);
	else if (!sk->more)
		return 0;	/* nothing queued, nothing held back */
	sk->more = (flags & MSG_MORE) != 0;
	tcp_output(e, sk);
	return 0;
}

/* Bytes the host took: unread by its program until it reports otherwise. */
static void
rcv_held_add(struct tcp_sock *sk, uint32_t n)
{
	sk->rcv_held = n < UINT32_MAX - sk->rcv_held ? sk->rcv_held + n :
	    UINT32_MAX;
}

/*
 * The program read: what Linux's tcp_recvmsg does after its copy.
 * Autotune, and tell the peer if that opened the window enough.
 */
static void
rcv_read(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t before, now_wnd;

	tcp_rcv_space_adjust(e, sk);
	/*
	 * Linux's tcp_cleanup_rbuf(): reading opened the window
	 * enough (doubled it) to tell the peer now.
	 */
	before = SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ?
	    sk->rcv_adv - sk->rcv_nxt : 0;
	if (sk->state == TCP_ST_ESTABLISHED ||
	    sk->state == TCP_ST_FIN_WAIT_1 ||
	    sk->state == TCP_ST_FIN_WAIT_2) {
		/* A once-per-two-segments ACK input held back. */
		if (sk->delack_at != 0 &&
		    sk->rcv_nxt - sk->rcv_wup > sk->rcv_mss)
			sk->ack_now = true;
		now_wnd = tcp_rcv_space_now(sk);
		if (!sk->rcv_fin && 2 * before <= sk->window_clamp &&
		    now_wnd != 0 && now_wnd >= 2 * before)
			sk->ack_now = true;
		if (sk->ack_now)
			tcp_output(e, sk);
	}
}

/*
 * The host took the first n bytes of the receive queue (n <=
 * sk->rcv.len): free them.  tcp_usr_recv and tcp_usr_recv_consume (the
 * zero-copy read) both end here, so the two paths ACK and autotune
 * alike.  A host that reports what its program has not read yet holds
 * them until it reports them read, with tcpx_recv_held.
 */
static void
rcv_consumed(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t n)
{
	tcp_ring_drop(&sk->rcv, n);
	sk->bytes_read += n;
	if (sk->held_tracked) {
		rcv_held_add(sk, n);
		tcp_rcv_space_adjust(e, sk);
		return;
	}
	rcv_read(e, sk);
}

/*
 * What the host reports its program has not read yet.  Less than before
 * means the program read: as rcv_read after a read of the queue.
 */
void
tcp_usr_recv_held(struct tcpx_engine *e, struct tcp_sock *sk, uint32_t held)
{
	uint32_t old = sk->rcv_held;

	sk->held_tracked = true;
	sk->rcv_held = held;
	if (held < old)
		rcv_read(e, sk);
}

/*
 * A read that finds no byte to take: 0 at EOF (the peer's FIN, or our
 * SHUT_RD), else the pending error (cleared, as sock_error() does),
 * else -ENOTCONN or -EAGAIN.
 */
static ssize_t
rcv_empty(struct tcp_sock *sk)
{
	int err;

	if (sk->rcv_fin)
		return 0;
	if (sk->so_error != 0) {
		err = sk->so_error;
		sk->so_error = 0;
		return -err;
	}
	if (sk->shut_rd)
		return 0;
	if (sk->state == TCP_ST_CLOSED || sk->state == TCP_ST_LISTEN)
		return -ENOTCONN;
	return -EAGAIN;
}

ssize_t
tcp_usr_recv(struct tcpx_engine *e, struct tcp_sock *sk, void *buf,
    size_t len, int flags)
{
	uint32_t n;

	if (sk->rcv.len > 0 && len > 0) {
		n = len < sk->rcv.len ? (uint32_t)len : sk->rcv.len;
		tcp_ring_peek(&sk->rcv, 0, buf, n);
		if (!(flags & MSG_PEEK))
			rcv_consumed(e, sk, n);
		return n;
	}
	if (len == 0 && sk->rcv.len > 0)
		return 0;
	return rcv_empty(sk);
}

ssize_t
tcp_usr_recv_peek(struct tcpx_engine *e, struct tcp_sock *sk,
    struct iovec *iov, int *iovcnt)
{
	const struct tcp_ring *r = &sk->rcv;
	uint32_t first;

	(void)e;
	if (r->len == 0) {
		*iovcnt = 0;
		return rcv_empty(sk);
	}
	/* In place: the queue is at most two runs, the ring's end wraps. */
	first = r->cap - r->head < r->len ? r->cap - r->head : r->len;
	iov[0].iov_base = r->buf + r->head;
	iov[0].iov_len = first;
	if (first == r->len || *iovcnt < 2) {
		*iovcnt = 1;
		return first;
	}
	iov[1].iov_base = r->buf;
	iov[1].iov_len = r->len - first;
	*iovcnt = 2;
	return r->len;
}

int
tcp_usr_recv_consume(struct tcpx_engine *e, struct tcp_sock *sk, size_t n)
{
	if (n > sk->rcv.len)
		return -EINVAL;
	if (n > 0)
		rcv_consumed(e, sk, (uint32_t)n);
	return 0;
}

/*
 * In-order bytes straight to the reader (ops->deliver), while nothing
 * waits in the receive queue ahead of them: they are never copied into
 * it.  Returns how many the host took; they are read, as
 * tcp_usr_recv_consume's are (autotuning counts them).
 */
uint32_t
tcp_usr_deliver(struct tcpx_engine *e, struct tcp_sock *sk,
    const uint8_t *data, uint32_t len)
{
	size_t n;

	if (e->ops.deliver == NULL || len == 0 || sk->rcv.len != 0 ||
	    sk->id < 0 || sk->shut_rd)
		return 0;
	n = e->ops.deliver(e->ops.ctx, sk->id, data, len);
	if (n == 0)
		return 0;
	if (n > len)
		n = len;	/* a host that claims more took what it had */
	sk->bytes_read += n;
	if (sk->held_tracked)
		rcv_held_add(sk, (uint32_t)n);
	tcp_rcv_space_adjust(e, sk);
	return (uint32_t)n;
}

/*
 * Bytes the host took with ops->deliver and could not hand on: back in
 * front of the queue, unread again, in order (the pieces are prepended
 * last first).  The window they were read into stays offered.
 */
int
tcp_usr_recv_unread(struct tcpx_engine *e, struct tcp_sock *sk,
    const struct iovec *iov, int iovcnt)
{
	uint64_t total = 0;
	int i;

	(void)e;
	for (i = iovcnt - 1; i >= 0; i--) {
		if (iov[i].iov_len > UINT32_MAX ||
		    !tcp_ring_unshift(&sk->rcv, iov[i].iov_base,
		    (uint32_t)iov[i].iov_len))
			return -ENOMEM;
		total += iov[i].iov_len;
	}
	sk->bytes_read = sk->bytes_read > total ? sk->bytes_read - total : 0;
	if (sk->held_tracked)
		sk->rcv_held = sk->rcv_held > total ?
		    sk->rcv_held - (uint32_t)total : 0;
	/* Autotuning's measure began no later than what is read now. */
	if (sk->rcvq_seq > tcp_bytes_app_read(sk))
		sk->rcvq_seq = tcp_bytes_app_read(sk);
	return 0;
}

/* Linux's tcp_close_state(): where CLOSE leads, and whether a FIN goes. */
static bool
close_state(struct tcpx_engine *e, struct tcp_sock *sk, const char *cause)
{
	switch (sk->state) {
	case TCP_ST_ESTABLISHED:
	case TCP_ST_SYN_RECEIVED:
		tcp_set_state(e, sk, TCP_ST_FIN_WAIT_1, cause);
		break;
	case TCP_ST_CLOSE_WAIT:
		tcp_set_state(e, sk, TCP_ST_LAST_ACK, cause);
		break;
	default:
		return false;
	}
	return true;
}

/* Queue our FIN after the data (Linux's tcp_send_fin). */
static void
send_fin(struct tcpx_engine *e, struct tcp_sock *sk)
{
	sk->shut_wr = true;
	if (!sk->fin_queued) {
		sk->fin_queued = true;
		sk->fin_seq = tcp_data_seq0(sk) + sk->snd.len;
	}
	sk->more = false;
	tcp_output(e, sk);
}

int
tcp_usr_shutdown(struct tcpx_engine *e, struct tcp_sock *sk, int how)
{
	if (how == SHUT_RD || how == SHUT_RDWR)
		sk->shut_rd = true;
	if (sk->state == TCP_ST_SYN_SENT) {
		/*
		 * inet_shutdown: a connect in progress is dropped
		 * (tcp_disconnect, which counts no AttemptFails).
		 */
		tcp_set_state(e, sk, TCP_ST_CLOSED, "shutdown");
		(void)tcp_done(e, sk, ECONNRESET, "shutdown");
		return 0;
	}
	if (how == SHUT_WR || how == SHUT_RDWR) {
		if (close_state(e, sk, "shutdown"))
			send_fin(e, sk);
		else
			sk->shut_wr = true;
	}
	tcp_sock_event(e, sk, TCPX_EV_IN | TCPX_EV_OUT);
	return 0;
}

void
tcp_usr_close(struct tcpx_engine *e, struct tcp_sock *sk)
{
	uint32_t unread = sk->rcv.len;

	if (sk->state == TCP_ST_LISTEN) {
		tcp_listen_close(e, sk);
		tcp_set_state(e, sk, TCP_ST_CLOSED, "close");
		tcp_sock_orphan(e, sk);
		tcp_sock_free(e, sk);
		return;
	}
	sk->shut_rd = true;
	/* What the application never read is thrown away. */
	tcp_ring_drop(&sk->rcv, sk->rcv.len);
	tcp_ring_free(&sk->rcv);
	tcp_ofo_purge(sk);
	tcp_sock_orphan(e, sk);

	if (sk->state == TCP_ST_CLOSED) {
		tcp_sock_free(e, sk);
		return;
	}
	if (sk->state == TCP_ST_SYN_SENT) {
		tcp_set_state(e, sk, TCP_ST_CLOSED, "close");
		tcp_sock_free(e, sk);
		return;
	}
	if (unread > 0) {
		/* RFC 2525 2.17: unread data is lost; tell the peer. */
		tcp_set_state(e, sk, TCP_ST_CLOSED, "close with unread data");
		tcp_send_active_reset(e, sk);
		MIB_INC(e, TCPEXT_TCPABORTONCLOSE);
		tcp_sock_free(e, sk);
		return;
	}
	if (sk->opt.linger && sk->opt.linger_secs == 0) {
		/*
		 * SO_LINGER {1, 0}: Linux's tcp_disconnect() resets every
		 * synchronized connection, and counts it as TCPAbortOnData.
		 */
		int old = sk->state;

		tcp_set_state(e, sk, TCP_ST_CLOSED, "close with linger 0");
		if (old == TCP_ST_ESTABLISHED || old == TCP_ST_CLOSE_WAIT ||
		    old == TCP_ST_FIN_WAIT_1 || old == TCP_ST_FIN_WAIT_2 ||
		    old == TCP_ST_SYN_RECEIVED ||
		    ((old == TCP_ST_CLOSING || old == TCP_ST_LAST_ACK) &&
		    sk->snd_nxt != tcp_data_seq0(sk) + sk->snd.len))
			tcp_send_active_reset(e, sk);
		MIB_INC(e, TCPEXT_TCPABORTONDATA);
		tcp_sock_free(e, sk);
		return;
	}
	if (close_state(e, sk, "close"))
		send_fin(e, sk);
	sk->shut_wr = true;
	if (sk->state == TCP_ST_FIN_WAIT_2 && sk->fw2_at == 0) {
		sk->fw2_at = e->now + tcp_fin_time_us(e, sk);
		tcp_timer_update(e, sk);
	}
	/* Linux's tcp_check_oom(): too many orphans, reset this one. */
	if (e->tcp.orphans > (uint32_t)e->sysctl.tcp_max_orphans) {
		tcp_set_state(e, sk, TCP_ST_CLOSED, "too many orphans");
		tcp_send_active_reset(e, sk);
		MIB_INC(e, TCPEXT_TCPABORTONMEMORY);
		tcp_sock_free(e, sk);
	}
}

unsigned
tcp_usr_poll(struct tcpx_engine *e, struct tcp_sock *sk)
{
	unsigned mask = 0;
	bool rd_shut = sk->shut_rd || sk->rcv_fin;
	uint32_t queued = sk->snd.len;

	(void)e;
	if ((rd_shut && sk->shut_wr) || sk->state == TCP_ST_CLOSED)
		mask |= POLLHUP;
	if (rd_shut)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	/* Connected, or a Fast Open child that may already talk. */
	if (sk->state != TCP_ST_SYN_SENT &&
	    (sk->state != TCP_ST_SYN_RECEIVED || sk->passive)) {
		if (sk->rcv.len > 0)
			mask |= POLLIN | POLLRDNORM;
		if (!sk->shut_wr) {
			/* sk_stream_is_writeable: a third of the buffer free. */
			if (tcp_ring_space(&sk->snd) > 0 &&
			    tcp_ring_space(&sk->snd) >= queued / 2)
				mask |= POLLOUT | POLLWRNORM;
		} else {
			mask |= POLLOUT | POLLWRNORM;
		}
	}
	if (sk->so_error != 0)
		mask |= POLLERR;
	return mask;
}
