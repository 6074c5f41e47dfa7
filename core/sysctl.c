/*
 * sysctl.c - tunables by Linux name, read and written as /proc/sys text.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct sysctl_desc {
	const char *name;
	size_t off;
	long def, min, max;
};

static const struct sysctl_desc sysctl_descs[] = {
#define TCPX_SYSCTL_DESC(f, n, d, lo, hi) \
	{ n, offsetof(struct tcpx_sysctl, f), d, lo, hi },
	TCPX_SYSCTL_LIST(TCPX_SYSCTL_DESC)
#undef TCPX_SYSCTL_DESC
};
#define NSIMPLE (sizeof(sysctl_descs) / sizeof(sysctl_descs[0]))

/* The multi-valued and text ones, after the simple ones in name order. */
static const char *const sysctl_special[] = {
	"net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
	"net.ipv4.tcp_congestion_control",
};
#define NSPECIAL (sizeof(sysctl_special) / sizeof(sysctl_special[0]))

void
tcpx_sysctl_defaults(struct tcpx_sysctl *s)
{
	for (size_t i = 0; i < NSIMPLE; i++)
		*(long *)((char *)s + sysctl_descs[i].off) = sysctl_descs[i].def;
	s->ip_local_port_range[0] = 32768;
	s->ip_local_port_range[1] = 60999;
	s->tcp_rmem[0] = 4096;
	s->tcp_rmem[1] = 131072;
	s->tcp_rmem[2] = 33554432;	/* current Linux's (6.18 here) */
	s->tcp_wmem[0] = 4096;
	s->tcp_wmem[1] = 16384;
	s->tcp_wmem[2] = 4194304;
	s->tcp_congestion_control = TCPX_CC_CUBIC;
}

const char *
tcpx_sysctl_name(size_t i)
{
	if (i < NSIMPLE)
		return sysctl_descs[i].name;
	if (i - NSIMPLE < NSPECIAL)
		return sysctl_special[i - NSIMPLE];
	return NULL;
}

/* Parse up to `n` whitespace-separated longs; all must be present. */
static int
parse_longs(const char *val, long *out, size_t n)
{
	const char *p = val;
	char *end;

	for (size_t i = 0; i < n; i++) {
		errno = 0;
		out[i] = strtol(p, &end, 0);
		if (end == p || errno != 0)
			return -EINVAL;
		p = end;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return *p == '\0' ? 0 : -EINVAL;
}

int
tcpx_sysctl_get(const struct tcpx_engine *e, const char *name, char *buf,
    size_t len)
{
	const struct tcpx_sysctl *s = &e->sysctl;
	int n;

	for (size_t i = 0; i < NSIMPLE; i++)
		if (strcmp(name, sysctl_descs[i].name) == 0) {
			n = snprintf(buf, len, "%ld",
			    *(const long *)((const char *)s + sysctl_descs[i].off));
			return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
		}
	if (strcmp(name, "net.ipv4.ip_local_port_range") == 0)
		n = snprintf(buf, len, "%ld\t%ld", s->ip_local_port_range[0],
		    s->ip_local_port_range[1]);
	else if (strcmp(name, "net.ipv4.tcp_rmem") == 0)
		n = snprintf(buf, len, "%ld\t%ld\t%ld", s->tcp_rmem[0],
		    s->tcp_rmem[1], s->tcp_rmem[2]);
	else if (strcmp(name, "net.ipv4.tcp_wmem") == 0)
		n = snprintf(buf, len, "%ld\t%ld\t%ld", s->tcp_wmem[0],
		    s->tcp_wmem[1], s->tcp_wmem[2]);
	else if (strcmp(name, "net.ipv4.tcp_congestion_control") == 0)
		n = snprintf(buf, len, "%s",
		    s->tcp_congestion_control == TCPX_CC_RENO ? "reno" : "cubic");
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int
tcpx_sysctl_set(struct tcpx_engine *e, const char *name, const char *val)
{
	struct tcpx_sysctl *s = &e->sysctl;
	long v[3];

	for (size_t i = 0; i < NSIMPLE; i++) {
		const struct sysctl_desc *d = &sysctl_descs[i];

		if (strcmp(name, d->name) != 0)
			continue;
		if (parse_longs(val, v, 1) != 0 || v[0] < d->min || v[0] > d->max)
			return -EINVAL;
		*(long *)((char *)s + d->off) = v[0];
		return 0;
	}
	if (strcmp(name, "net.ipv4.ip_local_port_range") == 0) {
		/* Linux: 1 <= low <= high <= 65535 (and low != high parity rules aside). */
		if (parse_longs(val, v, 2) != 0 || v[0] < 1 || v[1] > 65535 ||
		    v[0] > v[1])
			return -EINVAL;
		s->ip_local_port_range[0] = v[0];
		s->ip_local_port_range[1] = v[1];
		return 0;
	}
	if (strcmp(name, "net.ipv4.tcp_rmem") == 0 ||
	    strcmp(name, "net.ipv4.tcp_wmem") == 0) {
		long *dst = name[13] == 'r' ? s->tcp_rmem : s->tcp_wmem;

		if (parse_longs(val, v, 3) != 0 || v[0] < 1 || v[0] > v[1] ||
		    v[1] > v[2] || v[2] > INT_MAX)
			return -EINVAL;
		memcpy(dst, v, sizeof(v));
		return 0;
	}
	if (strcmp(name, "net.ipv4.tcp_congestion_control") == 0) {
		size_t n = strcspn(val, " \t\n");

		if (n == 5 && strncmp(val, "cubic", 5) == 0)
			s->tcp_congestion_control = TCPX_CC_CUBIC;
		else if (n == 4 && strncmp(val, "reno", 4) == 0)
			s->tcp_congestion_control = TCPX_CC_RENO;
		else
			return -ENOENT;	/* Linux: "No such file or directory" */
		return 0;
	}
	return -ENOENT;
}
