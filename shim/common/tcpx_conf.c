/*
 * tcpx_conf.c - resolve the stack's configuration (see tcpx_conf.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpx_conf.h"

int
tcpx_conf_parse_ip(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1 ? 0 : -1;
}

int
tcpx_conf_parse_addr(const char *s, struct in_addr *a, uint8_t *plen)
{
	char buf[32], *slash, *end;
	long n = 24;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash++ = '\0';
		errno = 0;
		n = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || n < 1 || n > 32)
			return -1;
	}
	if (tcpx_conf_parse_ip(buf, a) < 0)
		return -1;
	*plen = (uint8_t)n;
	return 0;
}

void
tcpx_conf_lab_defaults(struct tcpx_conf *c)
{
	if (c->ifname[0] == '\0' && if_nametoindex(TCPX_LAB_IFACE) != 0)
		snprintf(c->ifname, sizeof(c->ifname), "%s", TCPX_LAB_IFACE);
	if (strcmp(c->ifname, TCPX_LAB_IFACE) != 0)
		return;
	if (c->addr.s_addr == 0)
		tcpx_conf_parse_addr(TCPX_LAB_ADDR, &c->addr, &c->prefixlen);
	if (c->gateway.s_addr == 0)
		tcpx_conf_parse_ip(TCPX_LAB_GATEWAY, &c->gateway);
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One "key = value" setting, from the file or the environment. */
static int
conf_set(struct tcpx_conf *c, const char *key, const char *val,
    const char *where, char *err, size_t errlen)
{
	char *end;
	long n;

	if (strcmp(key, "iface") == 0) {
		if (strlen(val) == 0 || strlen(val) >= sizeof(c->ifname))
			goto bad;
		snprintf(c->ifname, sizeof(c->ifname), "%s", val);
	} else if (strcmp(key, "addr") == 0) {
		if (tcpx_conf_parse_addr(val, &c->addr, &c->prefixlen) < 0)
			goto bad;
	} else if (strcmp(key, "gateway") == 0) {
		if (tcpx_conf_parse_ip(val, &c->gateway) < 0)
			goto bad;
	} else if (strcmp(key, "mtu") == 0 || strcmp(key, "idle_exit") == 0) {
		n = strtol(val, &end, 10);
		if (*val == '\0' || *end != '\0' || n < 0 || n > 65535)
			goto bad;
		if (key[0] == 'm')
			c->mtu = (uint16_t)n;
		else
			c->idle_exit = (int)n;
	} else if (strchr(key, '.') != NULL) {
		if (c->nsysctl == TCPX_CONF_MAX_SYSCTL ||
		    strlen(key) >= TCPX_CTL_NAMELEN ||
		    strlen(val) >= TCPX_CTL_VALLEN) {
			snprintf(err, errlen, "%s: too many or too long "
			    "sysctl settings at '%s'", where, key);
			return -1;
		}
		snprintf(c->sysctl[c->nsysctl].name, TCPX_CTL_NAMELEN, "%s", key);
		snprintf(c->sysctl[c->nsysctl].value, TCPX_CTL_VALLEN, "%s", val);
		c->nsysctl++;
	} else {
		snprintf(err, errlen, "%s: unknown setting '%s' (known: iface, "
		    "addr, gateway, mtu, idle_exit, net.* sysctls)", where, key);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s: bad value '%s' for %s%s", where, val, key,
	    strcmp(key, "addr") == 0 ? " (expected a.b.c.d/len)" : "");
	return -1;
}

static int
conf_file(struct tcpx_conf *c, const char *path, char *err, size_t errlen)
{
	char line[512], where[300], *p, *eq;
	unsigned lineno = 0;
	FILE *f;

	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "cannot read config file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	snprintf(c->file, sizeof(c->file), "%s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = trim(line);
		if (*p == '\0')
			continue;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		eq = strchr(p, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s: expected 'key = value'", where);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		if (conf_set(c, trim(p), trim(eq + 1), where, err, errlen) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int
tcpx_conf_load(struct tcpx_conf *c, char *err, size_t errlen)
{
	static const struct { const char *env, *key; } envs[] = {
		{ TCPX_ENV_IFACE, "iface" },
		{ TCPX_ENV_ADDR, "addr" },
		{ TCPX_ENV_GATEWAY, "gateway" },
	};
	const char *path, *v;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->idle_exit = -1;
	path = getenv(TCPX_ENV_CONFIG);
	if (path != NULL && *path != '\0') {
		if (conf_file(c, path, err, errlen) < 0)
			return -1;
	} else if (access(TCPX_DEFAULT_CONFIG, R_OK) == 0) {
		if (conf_file(c, TCPX_DEFAULT_CONFIG, err, errlen) < 0)
			return -1;
	}
	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		v = getenv(envs[i].env);
		if (v == NULL || *v == '\0')
			continue;
		if (conf_set(c, envs[i].key, v, envs[i].env, err, errlen) < 0)
			return -1;
	}
	tcpx_conf_lab_defaults(c);
	return 0;
}

int
tcpx_conf_complete(const struct tcpx_conf *c, char *err, size_t errlen)
{
	if (c->ifname[0] == '\0') {
		snprintf(err, errlen, "no interface configured: set %s (or "
		    "iface in %s, or --iface), or run inside the lab "
		    "(scripts/lab exec host ...)", TCPX_ENV_IFACE,
		    TCPX_DEFAULT_CONFIG);
		return -1;
	}
	if (c->addr.s_addr == 0) {
		snprintf(err, errlen, "no address configured for %s: set %s="
		    "a.b.c.d/len (or addr in the config file, or --addr)",
		    c->ifname, TCPX_ENV_ADDR);
		return -1;
	}
	return 0;
}
