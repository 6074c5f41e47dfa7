/*
 * harness.c - see harness.h.  The engine's ops point back here: frames are
 * copied into a queue, events ORed per socket id, trace calls counted.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const uint8_t h_mac_us[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t h_mac_peer[6] = { 2, 0, 0, 0, 0, 1 };

static void
h_output(void *ctx, const uint8_t *frame, size_t len)
{
	struct harness *h = ctx;
	struct h_frame *f;

	if ((f = malloc(sizeof(*f) + len)) == NULL)
		abort();
	f->len = len;
	f->sent_us = h->e != NULL ? h->e->now : h->now;
	memcpy(f->data, frame, len);
	STAILQ_INSERT_TAIL(&h->out, f, link);
	h->nout++;
}

static void
h_event(void *ctx, int sock, unsigned events)
{
	struct harness *h = ctx;
	unsigned *n;
	int i;

	if (sock < 0)
		return;
	if (sock >= h->nevents) {
		if ((n = realloc(h->events, (size_t)(sock + 1) * sizeof(*n))) ==
		    NULL)
			abort();
		for (i = h->nevents; i <= sock; i++)
			n[i] = 0;
		h->events = n;
		h->nevents = sock + 1;
	}
	h->events[sock] |= events;
}

static void
h_trace_seg(void *ctx, int dir, const uint8_t *ip, size_t len,
    uint64_t now_us)
{
	struct harness *h = ctx;
	struct h_trace *t;

	if (dir == TCPX_DIR_IN)
		h->ntrace_in++;
	else
		h->ntrace_out++;
	if (!h->keep_trace)
		return;
	if ((t = malloc(sizeof(*t) + len)) == NULL)
		abort();
	t->dir = dir;
	t->now_us = now_us;
	t->len = len;
	memcpy(t->ip, ip, len);
	STAILQ_INSERT_TAIL(&h->trace, t, link);
}

static void
h_trace_state(void *ctx, int sock, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, int from, int to, const char *cause,
    uint64_t now_us)
{
	struct harness *h = ctx;

	h->nstate++;
	h->last_state_from = from;
	h->last_state_to = to;
	snprintf(h->last_state_cause, sizeof(h->last_state_cause), "%s",
	    cause != NULL ? cause : "");
}

static void
h_trace_timer(void *ctx, int sock, const char *timer, uint64_t now_us)
{
	struct harness *h = ctx;

	h->ntimer++;
	snprintf(h->last_timer, sizeof(h->last_timer), "%s",
	    timer != NULL ? timer : "");
}

void
h_default_cfg(struct tcpx_config *cfg, enum tcpx_link link)
{
	int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->link = link;
	memcpy(cfg->mac, h_mac_us, 6);
	cfg->addr.s_addr = H_LOCAL_ADDR;
	cfg->prefixlen = 24;
	cfg->mtu = 1500;
	for (i = 0; i < 32; i++)
		cfg->secret[i] = (uint8_t)i;
}

static size_t
h_deliver(void *ctx, int sock, const uint8_t *data, size_t len)
{
	struct harness *h = ctx;

	h->ndeliver++;
	return h->deliver != NULL ? h->deliver(h, sock, data, len) : 0;
}

struct harness *
h_new_opts(const struct tcpx_config *cfg, uint64_t now, unsigned flags)
{
	struct harness *h;
	struct tcpx_ops ops;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		abort();
	h->cfg = *cfg;
	h->now = now;
	h->skip_arp = true;
	h->peer_addr = H_PEER_ADDR;
	memcpy(h->peer_mac, h_mac_peer, 6);
	STAILQ_INIT(&h->out);
	STAILQ_INIT(&h->trace);
	memset(&ops, 0, sizeof(ops));
	ops.ctx = h;
	ops.output = h_output;
	ops.event = h_event;
	ops.trace_seg = h_trace_seg;
	ops.trace_state = h_trace_state;
	ops.trace_timer = h_trace_timer;
	ops.deliver = h_deliver;
	if ((h->e = tcpx_engine_new(cfg, &ops, now)) == NULL)
		abort();
	if (cfg->link == TCPX_LINK_ETHER && !(flags & H_NO_STATIC_ARP) &&
	    arp_add_permanent(h->e, h->peer_addr, h->peer_mac) != 0)
		abort();
	return h;
}

struct harness *
h_new_cfg(const struct tcpx_config *cfg, uint64_t now)
{
	return h_new_opts(cfg, now, 0);
}

struct harness *
h_new(void)
{
	struct tcpx_config cfg;

	h_default_cfg(&cfg, TCPX_LINK_RAWIP);
	return h_new_cfg(&cfg, H_START_US);
}

struct harness *
h_new_ether(void)
{
	struct tcpx_config cfg;

	h_default_cfg(&cfg, TCPX_LINK_ETHER);
	return h_new_cfg(&cfg, H_START_US);
}

void
h_clear_out(struct harness *h)
{
	struct h_frame *f;

	while ((f = STAILQ_FIRST(&h->out)) != NULL) {
		STAILQ_REMOVE_HEAD(&h->out, link);
		free(f);
	}
	h->nout = 0;
}

void
h_free(struct harness *h)
{
	struct h_trace *t;

	if (h == NULL)
		return;
	tcpx_engine_free(h->e);
	h_clear_out(h);
	free(h->cur);
	while ((t = STAILQ_FIRST(&h->trace)) != NULL) {
		STAILQ_REMOVE_HEAD(&h->trace, link);
		free(t);
	}
	free(h->events);
	free(h);
}

void
h_advance(struct harness *h, uint64_t us)
{
	h->now += us;
	tcpx_advance(h->e, h->now);
}

void
h_run_until(struct harness *h, uint64_t abs_us)
{
	uint64_t d;

	while ((d = tcpx_next_deadline(h->e)) <= abs_us) {
		if (d > h->now)
			h->now = d;
		tcpx_advance(h->e, h->now);
		/* A timer re-armed at or before now would spin: stop then. */
		if (tcpx_next_deadline(h->e) <= h->now)
			break;
	}
	if (abs_us > h->now)
		h->now = abs_us;
	tcpx_advance(h->e, h->now);
}

size_t
h_wrap_ip(struct harness *h, const uint8_t *ip, size_t len, uint8_t *buf,
    size_t cap)
{
	size_t off = 0;

	if (h->cfg.link == TCPX_LINK_ETHER) {
		if (cap < ETH_HLEN_)
			return 0;
		off = eth_build(buf, cap, h->cfg.mac, h->peer_mac,
		    ETHERTYPE_IPV4_);
	}
	if (len > cap - off)
		return 0;
	memmove(buf + off, ip, len);
	return off + len;
}

size_t
h_build_frame(struct harness *h, const struct h_seg *s, uint8_t *buf,
    size_t cap)
{
	struct tcp_out o;
	size_t off = h->cfg.link == TCPX_LINK_ETHER ? ETH_HLEN_ : 0, n;

	if (cap < off + IPV4_HLEN_MIN)
		return 0;
	memset(&o, 0, sizeof(o));
	o.saddr = s->saddr != 0 ? s->saddr : h->peer_addr;
	o.daddr = s->daddr != 0 ? s->daddr : h->cfg.addr.s_addr;
	o.sport = s->sport;
	o.dport = s->dport;
	o.seq = s->seq;
	o.ack = s->ack;
	o.flags = s->flags;
	o.wnd = s->wnd;
	o.opt = s->opt;
	o.data = s->data;
	o.len = s->len;
	n = tcp_build(buf + off + IPV4_HLEN_MIN, cap - off - IPV4_HLEN_MIN, &o);
	if (n == 0)
		return 0;
	ipv4_build(buf + off, IPV4_HLEN_MIN, o.saddr, o.daddr, IPPROTO_TCP_,
	    s->ttl != 0 ? s->ttl : 64, h->peer_ip_id++, (uint16_t)n);
	if (off != 0)
		eth_build(buf, cap, h->cfg.mac, h->peer_mac, ETHERTYPE_IPV4_);
	return off + IPV4_HLEN_MIN + n;
}

void
h_inject(struct harness *h, const struct h_seg *s)
{
	uint8_t *buf;
	size_t n, cap = ETH_HLEN_ + 65535;

	if ((buf = malloc(cap)) == NULL)
		abort();
	if ((n = h_build_frame(h, s, buf, cap)) == 0) {
		fprintf(stderr, "h_inject: segment does not fit\n");
		abort();
	}
	tcpx_input(h->e, buf, n, h->now);
	free(buf);
}

void
h_inject_raw(struct harness *h, const uint8_t *frame, size_t len)
{
	uint8_t *copy;

	/* A copy of exactly len bytes lets ASan catch any over-read. */
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(copy, frame, len);
	tcpx_input(h->e, copy, len, h->now);
	free(copy);
}

size_t
h_out_count(struct harness *h)
{
	return h->nout;
}

static struct h_frame *
h_pop(struct harness *h)
{
	struct h_frame *f;

	if ((f = STAILQ_FIRST(&h->out)) == NULL)
		return NULL;
	STAILQ_REMOVE_HEAD(&h->out, link);
	h->nout--;
	free(h->cur);
	h->cur = f;
	h->last_sent_us = f->sent_us;
	return f;
}

const uint8_t *
h_take_frame(struct harness *h, size_t *len)
{
	struct h_frame *f;

	if ((f = h_pop(h)) == NULL) {
		*len = 0;
		return NULL;
	}
	*len = f->len;
	return f->data;
}

static bool
h_is_arp(const struct harness *h, const struct h_frame *f)
{
	return h->cfg.link == TCPX_LINK_ETHER && f->len >= ETH_HLEN_ &&
	    f->data[12] == 0x08 && f->data[13] == 0x06;
}

bool
h_take(struct harness *h, struct tcp_seg *out)
{
	struct h_frame *f;
	struct eth_hdr_view eh;
	struct ipv4_view ip;
	const uint8_t *p;
	size_t len;

	do {
		if ((f = h_pop(h)) == NULL)
			return false;
	} while (h->skip_arp && h_is_arp(h, f));
	p = f->data;
	len = f->len;
	if (h->cfg.link == TCPX_LINK_ETHER) {
		if (eth_parse(p, len, &eh) != WIRE_OK ||
		    eh.type != ETHERTYPE_IPV4_)
			return false;
		p = eh.payload;
		len = eh.payload_len;
	}
	if (ipv4_parse(p, len, &ip) != WIRE_OK || ip.proto != IPPROTO_TCP_)
		return false;
	memset(out, 0, sizeof(*out));
	return tcp_parse(&ip, out) == WIRE_OK;
}

unsigned
h_events(struct harness *h, int sock)
{
	unsigned ev;

	if (sock < 0 || sock >= h->nevents)
		return 0;
	ev = h->events[sock];
	h->events[sock] = 0;
	return ev;
}

static void
h_sockaddr(struct sockaddr_in *sin, uint32_t addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	sin->sin_port = htons(port);
}

void
h_peer_sockaddr(struct sockaddr_in *sin, uint16_t port)
{
	h_sockaddr(sin, H_PEER_ADDR, port);
}

void
h_local_sockaddr(struct sockaddr_in *sin, uint16_t port)
{
	h_sockaddr(sin, H_LOCAL_ADDR, port);
}

const char *
h_flags_str(uint8_t flags, char buf[48])
{
	static const char *names[8] = { "FIN", "SYN", "RST", "PSH", "ACK",
	    "URG", "ECE", "CWR" };
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 8; i++)
		if (flags & (1u << i))
			n += (size_t)snprintf(buf + n, 48 - n, "%s%s",
			    n > 0 ? "|" : "", names[i]);
	if (n == 0)
		snprintf(buf, 48, "none");
	return buf;
}

uint64_t
h_mib(struct harness *h, const char *name)
{
	uint64_t v = tcpx_mib_get(h->e, name);

	if (v == UINT64_MAX) {
		fprintf(stderr, "h_mib: unknown counter %s\n", name);
		abort();
	}
	return v;
}
