/*
 * tcpx_conf.h - the stack's configuration as tcpxd, the tcpx tool and
 * libtcpx.so all resolve it, in this order (later wins):
 *
 *   1. the lab defaults, when the interface is (or, unset, would be)
 *      TCPX_LAB_IFACE and it exists here (inside netns tcpx-host);
 *   2. the config file: $TCPX_CONFIG, else TCPX_DEFAULT_CONFIG if present;
 *   3. the environment: TCPX_IFACE, TCPX_ADDR, TCPX_GATEWAY;
 *   4. (tcpxd only) command-line options, applied by the caller.
 *
 * libc only: libtcpx.so links this.
 */
#ifndef TCPX_CONF_H
#define TCPX_CONF_H

#include <netinet/in.h>
#include <stdint.h>

#include "ctl_proto.h"

#define TCPX_CONF_MAX_SYSCTL	32

struct tcpx_conf {
	char ifname[TCPX_IFNAMSIZ];	/* "" = not configured */
	struct in_addr addr;		/* 0 = not configured */
	uint8_t prefixlen;
	struct in_addr gateway;		/* 0 = none */
	uint16_t mtu;			/* 0 = the interface's */
	int idle_exit;			/* seconds, 0 = never, -1 = default */
	char file[256];			/* config file read, "" if none */
	unsigned nsysctl;
	struct tcpx_ctl_sysctl sysctl[TCPX_CONF_MAX_SYSCTL];
};

/*
 * Resolve the configuration (steps 1-3).  Returns 0, or -1 with a message
 * in err ("TCPX_ADDR: expected a.b.c.d/len, got 'x'").  A missing
 * interface or address is not an error here; see tcpx_conf_complete.
 */
int tcpx_conf_load(struct tcpx_conf *c, char *err, size_t errlen);
/* Parse "a.b.c.d/len" (len defaults to 24 when absent); 0 or -1. */
int tcpx_conf_parse_addr(const char *s, struct in_addr *a, uint8_t *plen);
/* Parse "a.b.c.d"; 0 or -1. */
int tcpx_conf_parse_ip(const char *s, struct in_addr *a);
/* Apply the lab defaults to whatever is still unset (step 1 again). */
void tcpx_conf_lab_defaults(struct tcpx_conf *c);
/* 0 if iface and addr are set, else -1 with a message saying what to set. */
int tcpx_conf_complete(const struct tcpx_conf *c, char *err, size_t errlen);

#endif /* TCPX_CONF_H */
