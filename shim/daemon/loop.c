/*
 * loop.c - the event loop: one epoll set for the link, the control
 * socket, every bridged socket and a timerfd armed at the earliest of
 * the engine's deadline and tcpxd's own (lingering closes, AF_UNIX
 * delivery retries, liveness sweeps, idle exit).  Engine callbacks only
 * record work; loop_settle() does it once the engine has returned.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "segfmt.h"
#include "tcpxd.h"

#define MAX_EVENTS	64
#define IDLE_CHECK_US	1000000ull
/* How stale the interface's GSO limits may be (iface_gso_refresh). */
#define GSO_CHECK_US	100000ull

uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
watch_add(struct tcpxd *d, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->events = events;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	w->on = true;
	return 0;
}

void
watch_mod(struct tcpxd *d, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->on && w->events == events)
		return;
	w->events = events;
	if (epoll_ctl(d->epfd, w->on ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd,
	    &ev) < 0)
		logx("epoll_ctl fd %d: %s", w->fd, strerror(errno));
	else
		w->on = true;
}

void
watch_del(struct tcpxd *d, struct watch *w)
{
	if (w->fd >= 0 && w->on)
		(void)epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->on = false;
}

/*
 * Close a watched fd that only tcpxd holds (our end of a socketpair, a
 * control connection): the last close of a file drops its epoll
 * registration, so EPOLL_CTL_DEL would be a system call for nothing.
 */
void
watch_close(struct tcpxd *d, struct watch *w)
{
	(void)d;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->on = false;
}

void
watch_off(struct tcpxd *d, struct watch *w)
{
	watch_del(d, w);
}

/* ---- engine callbacks --------------------------------------------------- */

static void
ops_output(void *ctx, const uint8_t *frame, size_t len)
{
	link_tx(ctx, frame, len);
}

static uint8_t *
ops_tx_frame(void *ctx, size_t max)
{
	return link_tx_room(ctx, max);
}

static void
ops_output_gso(void *ctx, const uint8_t *frame, size_t len,
    uint16_t gso_size, uint16_t csum_start, uint16_t csum_offset)
{
	link_tx_gso(ctx, frame, len, gso_size, csum_start, csum_offset);
}

static void
ops_output_gso_gather(void *ctx, const uint8_t *hdr, size_t hdrlen,
    const uint8_t *payload, size_t plen, uint16_t gso_size,
    uint16_t csum_start, uint16_t csum_offset)
{
	link_tx_gather(ctx, hdr, hdrlen, payload, plen, gso_size, csum_start,
	    csum_offset);
}

static void
ops_tx_fence(void *ctx)
{
	link_flush(ctx);
}

static void
ops_event(void *ctx, int sock, unsigned events)
{
	bridge_engine_event(ctx, sock, events);
}

static size_t
ops_deliver(void *ctx, int sock, const uint8_t *data, size_t len)
{
	return bridge_deliver(ctx, sock, data, len);
}

static void
ops_trace_seg(void *ctx, int dir, const uint8_t *ip, size_t len, uint64_t now)
{
	struct tcpxd *d = ctx;
	struct tcpx_ctl_event ev;
	char line[512];

	if (log_enabled(LOG_TRACE)) {
		/* A fresh formatter per line: absolute sequence numbers. */
		struct segfmt f = { .absolute = true };

		if (segfmt_tcp(&f, ip, len, line, sizeof(line)) >= 0)
			log_msg(LOG_TRACE, "%s %s", dir == TCPX_DIR_IN ? "<" : ">",
			    line);
	}
	if (!ctl_tracing(d, TCPX_TRACE_SEG))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = TCPX_TRACE_SEG;
	ev.sock = -1;
	ev.now_us = now;
	ev.dir = dir;
	ev.len = len > sizeof(ev.data) ? sizeof(ev.data) : (uint32_t)len;
	memcpy(ev.data, ip, ev.len);
	ctl_trace_event(d, &ev);
}

static void
ops_trace_state(void *ctx, int sock, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, int from, int to, const char *cause,
    uint64_t now)
{
	struct tcpxd *d = ctx;
	struct tcpx_ctl_event ev;

	if (log_enabled(LOG_DEBUG)) {
		char a[INET_ADDRSTRLEN] = "*", b[INET_ADDRSTRLEN] = "*";

		if (local != NULL)
			inet_ntop(AF_INET, &local->sin_addr, a, sizeof(a));
		if (remote != NULL)
			inet_ntop(AF_INET, &remote->sin_addr, b, sizeof(b));
		logd("sock %d %s:%u > %s:%u: %s -> %s (%s)", sock, a,
		    local != NULL ? ntohs(local->sin_port) : 0, b,
		    remote != NULL ? ntohs(remote->sin_port) : 0,
		    tcp_state_name(from), tcp_state_name(to),
		    cause != NULL ? cause : "");
	}
	if (!ctl_tracing(d, TCPX_TRACE_STATE))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = TCPX_TRACE_STATE;
	ev.sock = sock;
	ev.now_us = now;
	ev.from = from;
	ev.to = to;
	if (local != NULL)
		ev.local = *local;
	if (remote != NULL)
		ev.remote = *remote;
	snprintf(ev.text, sizeof(ev.text), "%s", cause != NULL ? cause : "");
	ctl_trace_event(d, &ev);
}

static void
ops_trace_timer(void *ctx, int sock, const char *timer, uint64_t now)
{
	struct tcpxd *d = ctx;
	struct tcpx_ctl_event ev;

	logd("sock %d: %s timer expired", sock, timer);
	if (!ctl_tracing(d, TCPX_TRACE_TIMER))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = TCPX_TRACE_TIMER;
	ev.sock = sock;
	ev.now_us = now;
	snprintf(ev.text, sizeof(ev.text), "%s", timer);
	ctl_trace_event(d, &ev);
}

void
loop_engine_ops(struct tcpxd *d, struct tcpx_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->ctx = d;
	ops->output = ops_output;
	ops->tx_frame = ops_tx_frame;
	if (link_vnet(d)) {
		ops->output_gso = ops_output_gso;
		ops->output_gso_gather = ops_output_gso_gather;
		ops->tx_fence = ops_tx_fence;
	}
	ops->event = ops_event;
	ops->deliver = ops_deliver;
	ops->trace_seg = ops_trace_seg;
	ops->trace_state = ops_trace_state;
	ops->trace_timer = ops_trace_timer;
}

/* ---- idle accounting ---------------------------------------------------- */

static void
count_cb(void *arg, const struct tcpx_sockinfo *info)
{
	(void)info;
	(*(unsigned *)arg)++;
}

unsigned
engine_socket_count(struct tcpxd *d)
{
	unsigned n = 0;

	tcpx_foreach(d->eng, count_cb, &n);
	return n;
}

static bool
loop_busy(struct tcpxd *d)
{
	return d->nclients > 0 || d->nbsocks > 0 || engine_socket_count(d) > 0;
}

/* ---- the loop ----------------------------------------------------------- */

void
loop_settle(struct tcpxd *d)
{
	bridge_flush_deferred(d);
	bridge_run_dirty(d);
	link_flush(d);
}

static void
on_link(struct tcpxd *d, struct watch *w, uint32_t events)
{
	(void)w;
	if (events & EPOLLERR) {
		int err = 0;
		socklen_t len = sizeof(err);

		/* Reading SO_ERROR clears it, or epoll would repeat it. */
		getsockopt(link_fd(d), SOL_SOCKET, SO_ERROR, &err, &len);
		logd("link: socket error %s", strerror(err));
		if (if_nametoindex(d->conf.ifname) == 0) {
			logx("interface %s is gone: exiting", d->conf.ifname);
			d->quit = true;
			return;
		}
	}
	link_rx(d);
}

static void
on_timer(struct tcpxd *d, struct watch *w, uint32_t events)
{
	uint64_t ticks;

	(void)events;
	d->timer_armed = 0;	/* it fired: arm it again whatever comes */
	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		logx("timerfd read: %s", strerror(errno));
}

static void
on_signal(struct tcpxd *d, struct watch *w, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	if (read(w->fd, &si, sizeof(si)) != sizeof(si))
		return;
	logi("signal %s: exiting", strsignal((int)si.ssi_signo));
	d->quit = true;
}

int
loop_init(struct tcpxd *d, char *err, size_t errlen)
{
	sigset_t ss;

	if (d->epfd < 0)
		d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->timer.fd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC);
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig.fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->epfd < 0 || d->timer.fd < 0 || d->sig.fd < 0) {
		snprintf(err, errlen, "epoll/timerfd/signalfd: %s",
		    strerror(errno));
		return -1;
	}
	d->timer.cb = on_timer;
	d->sig.cb = on_signal;
	d->linkw.fd = link_fd(d);
	d->linkw.cb = on_link;
	if (watch_add(d, &d->timer, EPOLLIN) < 0 ||
	    watch_add(d, &d->sig, EPOLLIN) < 0 ||
	    watch_add(d, &d->linkw, EPOLLIN) < 0) {
		snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
arm_timer(struct tcpxd *d, uint64_t deadline)
{
	struct itimerspec its;

	/*
	 * One system call saved per wakeup when nothing moved, or when the
	 * deadline only moved later (the common case: each segment pushes
	 * the retransmission timer on): the armed timer then fires early
	 * once, finds nothing due, and is armed again.
	 */
	if (deadline == d->timer_armed ||
	    (deadline > d->timer_armed && d->timer_armed != 0))
		return;
	d->timer_armed = deadline;
	memset(&its, 0, sizeof(its));
	if (deadline == UINT64_MAX) {
		timerfd_settime(d->timer.fd, TFD_TIMER_ABSTIME, &its, NULL);
		return;
	}
	if (deadline == 0)
		deadline = 1;	/* 0 would disarm */
	its.it_value.tv_sec = (time_t)(deadline / 1000000u);
	its.it_value.tv_nsec = (long)(deadline % 1000000u) * 1000;
	timerfd_settime(d->timer.fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* net.core.busy_poll may change at run time (tcpx sysctl). */
static void
busy_poll_refresh(struct tcpxd *d)
{
	char buf[32];

	if (tcpx_sysctl_get(d->eng, "net.core.busy_poll", buf,
	    sizeof(buf)) >= 0)
		d->busy_poll_us = strtoull(buf, NULL, 10);
}

/*
 * Wait for the next event.  With net.core.busy_poll set, spin on epoll
 * (every fd: the link and the socketpairs) for that many microseconds
 * first, as Linux's SO_BUSY_POLL spins on the device queue: a reply that
 * comes quickly is seen without the wakeup's latency.  Returns 0 when the
 * spin reached the next deadline.
 */
static int
loop_wait(struct tcpxd *d, struct epoll_event *evs, uint64_t next)
{
	uint64_t t, until;
	int n;

	/* Nothing to do: make the socketpairs the next connects take. */
	while (bridge_spares_wanted(d)) {
		n = epoll_wait(d->epfd, evs, MAX_EVENTS, 0);
		if (n != 0)
			return n;
		bridge_spare_make(d);
	}
	if (d->busy_poll_us > 0) {
		t = now_us();
		until = min64(t + d->busy_poll_us, next);
		while (t < until) {
			n = epoll_wait(d->epfd, evs, MAX_EVENTS, 0);
			if (n != 0)
				return n;
			t = now_us();
		}
		if (until == next)
			return 0;
	}
	return epoll_wait(d->epfd, evs, MAX_EVENTS, -1);
}

int
loop_run(struct tcpxd *d)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t now, next, idle_us = (uint64_t)d->idle_exit * 1000000u;
	uint64_t idle_check = 0, poll_check = 0, gso_check = 0;
	int n, i;

	d->last_busy_us = now_us();
	while (!d->quit) {
		now = now_us();
		tcpx_advance(d->eng, now);
		bridge_timers(d, now);
		loop_settle(d);
		if (now >= poll_check) {
			busy_poll_refresh(d);
			poll_check = now + IDLE_CHECK_US;
		}
		if (d->idle_exit > 0 && now >= idle_check) {
			if (loop_busy(d))
				d->last_busy_us = now;
			else if (now - d->last_busy_us >= idle_us) {
				logi("idle for %d s (no application, no "
				    "connection): exiting", d->idle_exit);
				break;
			}
			idle_check = now + IDLE_CHECK_US;
		}
		next = min64(tcpx_next_deadline(d->eng),
		    bridge_next_deadline(d));
		if (d->idle_exit > 0)
			next = min64(next, idle_check);
		arm_timer(d, next);
		n = loop_wait(d, evs, next);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			logx("epoll_wait: %s", strerror(errno));
			return -1;
		}
		/*
		 * The wait may have lasted seconds: bring the engine's clock
		 * to now before the callbacks call tcpx_send/close, or the
		 * timers they arm start in the past and fire at once (a
		 * spurious loss probe after every idle period).
		 */
		now = now_us();
		/* Before the timers and callbacks send anything. */
		if (now >= gso_check) {
			iface_gso_refresh(d);
			gso_check = now + GSO_CHECK_US;
		}
		tcpx_advance(d->eng, now);
		for (i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;

			/* A callback may have closed this one (fd -1). */
			if (w->fd >= 0)
				w->cb(d, w, evs[i].events);
			/* Deferred engine events before the next fd's. */
			loop_settle(d);
		}
		bridge_reap(d);
		ctl_reap(d);
	}
	return 0;
}

void
loop_fini(struct tcpxd *d)
{
	if (d->timer.fd >= 0)
		close(d->timer.fd);
	if (d->sig.fd >= 0)
		close(d->sig.fd);
	if (d->rtnl_fd >= 0)
		close(d->rtnl_fd);
	if (d->epfd >= 0)
		close(d->epfd);
}
