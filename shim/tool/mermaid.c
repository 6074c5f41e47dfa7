/*
 * mermaid.c - `tcpx trace --mermaid FILE`: one connection as a mermaid
 * sequenceDiagram in the style of the seeds (../shared/seeds/000_*):
 *
 *	sequenceDiagram
 *	    participant T as tcpx 10.77.0.2:41234<br/>(CLOSED)
 *	    participant P as peer 10.77.0.1:8000<br/>(LISTEN)
 *	    Note over T: SYN-SENT<br/>(connect)
 *	    T->>P: ① SYN<br/>seq=0<br/>mss 1460, sackOK, TS, wscale 7
 *
 * The tcpx side's states are the engine's own (trace events); the
 * peer's are inferred from the segments with RFC 9293's rules and
 * say so ("inferred"), since only the peer's kernel knows them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpx.h"
#include "tool.h"
#include "wire.h"

struct mmd {
	char *buf;			/* the body, line by line */
	size_t len, cap;
	int nseg;
	int have_conn;
	uint32_t laddr, raddr;		/* network order */
	uint16_t lport, rport;
	int have_lisn, have_risn;
	uint32_t lisn, risn;
	int lstate_first, lstate, rstate_first, rstate;
	int have_rfin, have_lfin;
	uint32_t rfin, lfin;		/* sequence number of each FIN */
};

int
tool_tcp_hdr(const uint8_t *ip, size_t cap, struct tool_tcph *h)
{
	size_t ihl, thl;
	const uint8_t *th;
	uint32_t iplen;

	if (cap < 20 || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_TCP)
		return -1;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < 20 || cap < ihl + 20)
		return -1;
	th = ip + ihl;
	thl = (size_t)(th[12] >> 4) * 4;
	if (thl < 20)
		return -1;
	iplen = (uint32_t)(ip[2] << 8 | ip[3]);
	memset(h, 0, sizeof(*h));
	memcpy(&h->saddr, ip + 12, 4);
	memcpy(&h->daddr, ip + 16, 4);
	h->sport = (uint16_t)(th[0] << 8 | th[1]);
	h->dport = (uint16_t)(th[2] << 8 | th[3]);
	h->seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 |
	    (uint32_t)th[6] << 8 | th[7];
	h->ack = (uint32_t)th[8] << 24 | (uint32_t)th[9] << 16 |
	    (uint32_t)th[10] << 8 | th[11];
	h->flags = th[13];
	h->win = (uint16_t)(th[14] << 8 | th[15]);
	h->plen = iplen > ihl + thl ? iplen - (uint32_t)(ihl + thl) : 0;
	if (cap >= ihl + thl) {
		h->optlen = (uint8_t)(thl - 20);
		memcpy(h->opt, th + 20, h->optlen);
	}
	return 0;
}

static void
add(struct mmd *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (m->cap - m->len > 1) {
			va_start(ap, fmt);
			n = vsnprintf(m->buf + m->len, m->cap - m->len, fmt, ap);
			va_end(ap);
			if (n >= 0 && (size_t)n < m->cap - m->len) {
				m->len += (size_t)n;
				return;
			}
		}
		size_t ncap = m->cap ? m->cap * 2 : 4096;
		char *nb = realloc(m->buf, ncap);

		if (nb == NULL)
			return;
		m->buf = nb;
		m->cap = ncap;
		m->buf[m->len] = '\0';
	}
}

struct mmd *
mmd_new(void)
{
	struct mmd *m = calloc(1, sizeof(*m));

	if (m != NULL) {
		m->lstate_first = m->lstate = -1;
		m->rstate_first = m->rstate = -1;
	}
	return m;
}

void
mmd_free(struct mmd *m)
{
	if (m == NULL)
		return;
	free(m->buf);
	free(m);
}

static void
flags_label(uint8_t f, char *buf, size_t len)
{
	static const struct { uint8_t bit; const char *name; } names[] = {
		{ TH_SYN, "SYN" }, { TH_FIN, "FIN" }, { TH_RST, "RST" },
		{ TH_PSH, "PSH" }, { TH_URG, "URG" }, { TH_ECE, "ECE" },
		{ TH_CWR, "CWR" }, { TH_ACK, "ACK" },
	};
	size_t off = 0, i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    off ? "+" : "", names[i].name);
	if (off == 0)
		snprintf(buf, len, "(no flags)");
}

/* Options in words; SACK blocks relative to the ISN they acknowledge. */
static void
opts_label(const struct tool_tcph *h, uint32_t sack_base, char *buf,
    size_t len)
{
	size_t i = 0, off = 0;

	buf[0] = '\0';
	while (i < h->optlen && off < len) {
		uint8_t kind = h->opt[i], ol;
		const uint8_t *v;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= h->optlen || (ol = h->opt[i + 1]) < 2 ||
		    i + ol > h->optlen)
			break;
		v = h->opt + i + 2;
#define PUT(...) off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__)
		if (off)
			PUT(", ");
		switch (kind) {
		case TCPOPT_MSS:
			PUT("mss %u", (unsigned)(v[0] << 8 | v[1]));
			break;
		case TCPOPT_WSCALE:
			PUT("wscale %u", v[0]);
			break;
		case TCPOPT_SACK_PERM:
			PUT("sackOK");
			break;
		case TCPOPT_TIMESTAMP:
			PUT("TS");
			break;
		case TCPOPT_SACK:
			PUT("SACK");
			for (size_t b = 0; b + 8 <= (size_t)ol - 2 &&
			    off < len; b += 8) {
				uint32_t l = (uint32_t)v[b] << 24 |
				    (uint32_t)v[b + 1] << 16 |
				    (uint32_t)v[b + 2] << 8 | v[b + 3];
				uint32_t r = (uint32_t)v[b + 4] << 24 |
				    (uint32_t)v[b + 5] << 16 |
				    (uint32_t)v[b + 6] << 8 | v[b + 7];
				PUT(" %u-%u", l - sack_base, r - sack_base);
			}
			break;
		case TCPOPT_FASTOPEN:
			PUT(ol == 2 ? "TFO cookie request" : "TFO cookie");
			break;
		default:
			PUT("option %u", kind);
			break;
		}
#undef PUT
		i += ol;
	}
}

/* ①..⑳ as in the seeds, then (21), (22)... */
static void
number(int n, char *buf, size_t len)
{
	if (n >= 1 && n <= 20)
		snprintf(buf, len, "\xe2\x91%c", (char)(0xa0 + n - 1));
	else
		snprintf(buf, len, "(%d)", n);
}

static void
rnote(struct mmd *m, int st)
{
	if (st == m->rstate)
		return;
	m->rstate = st;
	add(m, "    Note over P: %s<br/>(inferred)\n", tcp_state_name(st));
}

/* The peer's state after it sent h (RFC 9293 from its side). */
static void
peer_sent(struct mmd *m, const struct tool_tcph *h)
{
	if (h->flags & TH_RST) {
		rnote(m, TCP_ST_CLOSED);
		return;
	}
	if ((h->flags & (TH_SYN | TH_ACK)) == TH_SYN)
		rnote(m, TCP_ST_SYN_SENT);
	else if (h->flags & TH_SYN)
		rnote(m, TCP_ST_SYN_RECEIVED);
	else if (m->rstate == TCP_ST_SYN_SENT)
		rnote(m, TCP_ST_ESTABLISHED);
	if (h->flags & TH_FIN) {
		m->have_rfin = 1;
		m->rfin = h->seq + h->plen;
		if (m->rstate == TCP_ST_CLOSE_WAIT)
			rnote(m, TCP_ST_LAST_ACK);
		else if (m->rstate == TCP_ST_ESTABLISHED ||
		    m->rstate == TCP_ST_SYN_RECEIVED || m->rstate < 0)
			rnote(m, TCP_ST_FIN_WAIT_1);
	}
}

/* The peer's state after it received h from us. */
static void
peer_got(struct mmd *m, const struct tool_tcph *h)
{
	int acks_fin = m->have_rfin && (h->flags & TH_ACK) &&
	    SEQ_GT(h->ack, m->rfin);

	if (h->flags & TH_RST) {
		if (m->rstate != TCP_ST_LISTEN)
			rnote(m, TCP_ST_CLOSED);
		return;
	}
	if ((h->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) &&
	    m->rstate == TCP_ST_SYN_SENT)
		return;		/* ESTABLISHED once it answers */
	if (!(h->flags & TH_SYN) && (h->flags & TH_ACK) &&
	    m->rstate == TCP_ST_SYN_RECEIVED)
		rnote(m, TCP_ST_ESTABLISHED);
	if (h->flags & TH_FIN) {
		if (m->rstate == TCP_ST_ESTABLISHED)
			rnote(m, TCP_ST_CLOSE_WAIT);
		else if (m->rstate == TCP_ST_FIN_WAIT_1)
			rnote(m, acks_fin ? TCP_ST_TIME_WAIT : TCP_ST_CLOSING);
		else if (m->rstate == TCP_ST_FIN_WAIT_2)
			rnote(m, TCP_ST_TIME_WAIT);
		return;
	}
	if (acks_fin) {
		if (m->rstate == TCP_ST_FIN_WAIT_1)
			rnote(m, TCP_ST_FIN_WAIT_2);
		else if (m->rstate == TCP_ST_CLOSING)
			rnote(m, TCP_ST_TIME_WAIT);
		else if (m->rstate == TCP_ST_LAST_ACK)
			rnote(m, TCP_ST_CLOSED);
	}
}

void
mmd_segment(struct mmd *m, int dir, const struct tool_tcph *h)
{
	int out = dir == TCPX_DIR_OUT;
	uint32_t sisn, risn;
	char fl[48], op[256], no[16];

	if (!m->have_conn) {
		m->have_conn = 1;
		m->laddr = out ? h->saddr : h->daddr;
		m->raddr = out ? h->daddr : h->saddr;
		m->lport = out ? h->sport : h->dport;
		m->rport = out ? h->dport : h->sport;
		if ((h->flags & (TH_SYN | TH_ACK)) == TH_SYN)
			m->rstate_first = m->rstate = out ? TCP_ST_LISTEN :
			    TCP_ST_CLOSED;
	}
	if (h->flags & TH_SYN) {
		if (out) {
			m->have_lisn = 1;
			m->lisn = h->seq;
		} else {
			m->have_risn = 1;
			m->risn = h->seq;
		}
	}
	sisn = out ? (m->have_lisn ? m->lisn : 0) :
	    (m->have_risn ? m->risn : 0);
	risn = out ? (m->have_risn ? m->risn : 0) :
	    (m->have_lisn ? m->lisn : 0);
	flags_label(h->flags, fl, sizeof(fl));
	number(++m->nseg, no, sizeof(no));
	add(m, "    %s->>%s: %s %s<br/>seq=%u", out ? "T" : "P",
	    out ? "P" : "T", no, fl, h->seq - sisn);
	if (h->plen)
		add(m, ":%u", h->seq - sisn + h->plen);
	if (h->flags & TH_ACK)
		add(m, ", ack=%u", h->ack - risn);
	if (h->plen)
		add(m, "<br/>%u bytes", h->plen);
	opts_label(h, risn, op, sizeof(op));
	if (op[0] != '\0')
		add(m, "<br/>%s", op);
	add(m, "\n");
	if (out)
		peer_got(m, h);
	else
		peer_sent(m, h);
	if (h->flags & TH_FIN) {
		if (out) {
			m->have_lfin = 1;
			m->lfin = h->seq + h->plen;
		}
	}
}

void
mmd_state(struct mmd *m, int from, int to, const char *cause)
{
	if (m->lstate_first < 0)
		m->lstate_first = from;
	m->lstate = to;
	add(m, "    Note over T: %s", tcp_state_name(to));
	if (cause != NULL && *cause != '\0')
		add(m, "<br/>(%s)", cause);
	add(m, "\n");
}

void
mmd_timer(struct mmd *m, const char *name)
{
	add(m, "    Note over T: %s timer expires\n", name);
}

int
mmd_write(const struct mmd *m, const char *path, int fenced)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	FILE *f = fopen(path, "we");
	int lfirst = m->lstate_first >= 0 ? m->lstate_first : TCP_ST_CLOSED;

	if (f == NULL)
		return -errno;
	inet_ntop(AF_INET, &m->laddr, a, sizeof(a));
	inet_ntop(AF_INET, &m->raddr, b, sizeof(b));
	if (fenced)
		fprintf(f, "```mermaid\n");
	fprintf(f, "sequenceDiagram\n");
	fprintf(f, "    participant T as tcpx %s:%u<br/>(%s)\n", a, m->lport,
	    tcp_state_name(lfirst));
	if (m->rstate_first >= 0)
		fprintf(f, "    participant P as peer %s:%u<br/>(%s)\n", b,
		    m->rport, tcp_state_name(m->rstate_first));
	else
		fprintf(f, "    participant P as peer %s:%u\n", b, m->rport);
	fprintf(f, "\n");
	if (m->len)
		fwrite(m->buf, 1, m->len, f);
	if (m->lstate == TCP_ST_TIME_WAIT)
		fprintf(f, "    Note over T: 2MSL (60 s) later<br/>CLOSED\n");
	if (m->rstate == TCP_ST_TIME_WAIT)
		fprintf(f, "    Note over P: 2MSL (60 s) later<br/>CLOSED\n");
	if (fenced)
		fprintf(f, "```\n");
	if (fclose(f) != 0)
		return -errno;
	return 0;
}
