/*
 * iface.c - what the configured interface is (index, MAC, MTU, link type)
 * and whether the kernel already owns the stack's address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpxd.h"

int
iface_probe(struct tcpxd *d, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, rc = -1;

	d->ifindex = (int)if_nametoindex(d->conf.ifname);
	if (d->ifindex == 0) {
		snprintf(err, errlen, "no such interface '%s' in this network "
		    "namespace (check 'ip link'; for the lab run 'scripts/lab "
		    "up' and start tcpxd with 'scripts/lab exec host ...')",
		    d->conf.ifname);
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", d->conf.ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		snprintf(err, errlen, "%s: SIOCGIFHWADDR: %s", d->conf.ifname,
		    strerror(errno));
		goto out;
	}
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
		d->linktype = TCPX_LINK_ETHER;
		memcpy(d->mac, ifr.ifr_hwaddr.sa_data, 6);
		break;
	case ARPHRD_NONE:	/* tun (IFF_TUN): bare IP packets */
		d->linktype = TCPX_LINK_RAWIP;
		memset(d->mac, 0, 6);
		break;
	default:
		snprintf(err, errlen, "%s: link type %u is neither Ethernet "
		    "nor a layer-3 tun device", d->conf.ifname,
		    ifr.ifr_hwaddr.sa_family);
		goto out;
	}
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
		snprintf(err, errlen, "%s: SIOCGIFMTU: %s", d->conf.ifname,
		    strerror(errno));
		goto out;
	}
	d->mtu = ifr.ifr_mtu > 65535 ? 65535 : (uint16_t)ifr.ifr_mtu;
	if (d->conf.mtu != 0 && d->conf.mtu < d->mtu)
		d->mtu = d->conf.mtu;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP))
		logx("warning: interface %s is down ('ip link set %s up')",
		    d->conf.ifname, d->conf.ifname);
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Linux 6.3's; Debian 12's headers predate it. */
#ifndef IFLA_GSO_IPV4_MAX_SIZE
#define IFLA_GSO_IPV4_MAX_SIZE	63
#endif

/*
 * The GSO limits in one RTM_NEWLINK message about our interface (false
 * for any other message): the IPv4 size where the kernel has one (6.3
 * and later; `ip link set DEV gso_max_size N` sets it too), else
 * gso_max_size, and gso_max_segs; 0 for what the message does not say.
 */
static bool
link_msg_gso(const struct tcpxd *d, struct nlmsghdr *nh, uint32_t *size,
    uint32_t *segs)
{
	struct ifinfomsg *ifi;
	struct rtattr *rta;
	uint32_t gso = 0, gso4 = 0, nsegs = 0, v;
	int alen;

	if (nh->nlmsg_type != RTM_NEWLINK ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return false;
	ifi = NLMSG_DATA(nh);
	if (ifi->ifi_index != d->ifindex)
		return false;
	alen = (int)IFLA_PAYLOAD(nh);
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		if (RTA_PAYLOAD(rta) < sizeof(v))
			continue;
		memcpy(&v, RTA_DATA(rta), sizeof(v));
		if (rta->rta_type == IFLA_GSO_MAX_SIZE)
			gso = v;
		else if (rta->rta_type == IFLA_GSO_IPV4_MAX_SIZE)
			gso4 = v;
		else if (rta->rta_type == IFLA_GSO_MAX_SEGS)
			nsegs = v;
	}
	*size = gso4 != 0 ? gso4 : gso;
	*segs = nsegs;
	return true;
}

/*
 * The interface's GSO limits, which Linux's TCP takes for a socket
 * (sk_setup_caps): one RTM_GETLINK request on `fd` (a NETLINK_ROUTE
 * socket, iface_rtnl_open).  0 for what the kernel did not say; false if
 * it did not answer.
 */
static bool
iface_gso_limits(const struct tcpxd *d, int fd, uint32_t *size,
    uint32_t *segs)
{
	/* 32 KB, aligned for nlmsghdr: a link message is a few KB. */
	static uint32_t rep[8192];
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req;
	struct nlmsghdr *nh;
	bool seen = false;
	ssize_t n;

	*size = *segs = 0;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = d->ifindex;
	if (send(fd, &req, req.nh.nlmsg_len, 0) != (ssize_t)req.nh.nlmsg_len)
		return false;
	/* The kernel answers within send(): never wait for more. */
	n = recv(fd, rep, sizeof(rep), MSG_DONTWAIT);
	for (nh = (struct nlmsghdr *)rep; n > 0 && NLMSG_OK(nh, (size_t)n);
	    nh = NLMSG_NEXT(nh, n))
		seen |= link_msg_gso(d, nh, size, segs);
	return seen;
}

int
iface_rtnl_open(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

/*
 * Super-segments as large as the interface allows, at most an IPv4
 * packet: no BIG TCP.  The payload is what Linux's sk_setup_caps leaves:
 * the size less MAX_TCP_HEADER + 1, 321 bytes on x86-64.  Logged when
 * it changes.
 */
static void
iface_gso_apply(struct tcpxd *d, uint32_t size, uint32_t segs)
{
	uint32_t payload;

	if (size == 0 || size > 65536)
		size = 65536;
	if (size == d->gso_dev_size && segs == d->gso_dev_segs)
		return;
	payload = size > 2 * 321 ? size - 321 : 321;
	tcpx_set_gso_limits(d->eng, payload, segs);
	logi("link: %ssuper-segments of up to %u bytes, %u segments "
	    "(%s's gso_max_size %u and gso_max_segs)",
	    d->gso_dev_size != 0 ? "from now on " : "", payload,
	    segs != 0 ? segs : 65535, d->conf.ifname, size);
	d->gso_dev_size = size;
	d->gso_dev_segs = segs;
}

/*
 * The kernel announces no change of gso_max_size (do_setlink sends no
 * RTM_NEWLINK for it), so the limits are asked for again: every 100 ms
 * while tcpxd is busy, and when it wakes after a longer sleep, before it
 * sends anything (loop.c).  Linux takes them when a connection is
 * set up; here they hold for every connection from the next segment on,
 * which spares the kernel cutting an older connection's segments.
 */
void
iface_gso_refresh(struct tcpxd *d)
{
	uint32_t size, segs;

	if (d->rtnl_fd >= 0 && iface_gso_limits(d, d->rtnl_fd, &size, &segs))
		iface_gso_apply(d, size, segs);
	else if (d->gso_dev_size == 0)
		iface_gso_apply(d, 0, 0);	/* never asked: 64 KB, as veth's */
}

bool
iface_kernel_owns(struct in_addr addr, char *where, size_t wlen)
{
	struct ifaddrs *ifa, *i;
	bool owned = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
			continue;
		if (((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
		    addr.s_addr) {
			snprintf(where, wlen, "%s", i->ifa_name);
			owned = true;
			break;
		}
	}
	freeifaddrs(ifa);
	return owned;
}

/* Set each of offs[] to `on` on the interface; logs what it did. */
static void
iface_offloads_set(struct tcpxd *d, uint32_t on, const char *why)
{
	static const struct { uint32_t cmd; const char *name; } offs[] = {
		{ ETHTOOL_SGRO, "gro" },
		{ ETHTOOL_SGSO, "gso" },
		{ ETHTOOL_STSO, "tso" },
		{ ETHTOOL_SRXCSUM, "rx-checksum" },
		{ ETHTOOL_STXCSUM, "tx-checksum" },
		{ ETHTOOL_SSG, "scatter-gather" },
	};
	char done[128] = "", failed[128] = "";
	struct ethtool_value ev;
	struct ifreq ifr;
	size_t i;
	int fd;

	if (d->linktype != TCPX_LINK_ETHER)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		/* Turning scatter-gather off would also turn TSO off. */
		if (offs[i].cmd == ETHTOOL_SSG && !on)
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s",
		    d->conf.ifname);
		ev.cmd = offs[i].cmd;
		ev.data = on;
		ifr.ifr_data = (char *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr) == 0) {
			strlcat(done, " ", sizeof(done));
			strlcat(done, offs[i].name, sizeof(done));
		} else if (errno != EOPNOTSUPP) {
			strlcat(failed, " ", sizeof(failed));
			strlcat(failed, offs[i].name, sizeof(failed));
		}
	}
	close(fd);
	if (done[0] != '\0')
		logi("offloads switched %s on %s:%s (%s)", on ? "on" : "off",
		    d->conf.ifname, done, why);
	if (failed[0] != '\0')
		logi("could not switch %s on %s:%s (needs CAP_NET_ADMIN%s)",
		    on ? "on" : "off", d->conf.ifname, failed,
		    on ? "; the kernel segments in software instead" :
		    "; large GRO'd frames would be dropped and counted");
}

/*
 * The plain path: switch off the offloads that would hand us frames we
 * do not handle: GRO (merged super-frames on receive), and on transmit
 * TSO/GSO and checksum offload (the engine fills its own checksums, but
 * the kernel must not expect to).
 */
void
iface_offloads_off(struct tcpxd *d)
{
	iface_offloads_set(d, 0, "plain frames");
}

/*
 * The vnet path: every frame carries its GSO and checksum state, so the
 * offloads go back on: 64 KB super-segments leave whole, GRO merges what
 * arrives, and nobody computes a checksum that the peer will not check.
 */
void
iface_offloads_on(struct tcpxd *d)
{
	iface_offloads_set(d, 1, "vnet path");
}
