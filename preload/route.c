/*
 * route.c - the decision "ours or the kernel's" for an IPv4 address.
 *
 * Ours: the stack's own subnet, and - when a gateway is configured -
 * everything that would leave through the tcpx interface, which we take
 * to be every address that is neither loopback, nor multicast/broadcast,
 * nor on a subnet the kernel itself has an address on (other interfaces
 * in this namespace keep their traffic).  Everything else, and every
 * non-AF_INET socket, stays with the kernel untouched.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

#include "preload.h"

static bool
in_subnet(uint32_t a, uint32_t net, uint32_t mask)
{
	return (a & mask) == (net & mask);
}

/* On a subnet of a kernel interface address other than the tcpx one? */
static bool
kernel_on_link(uint32_t a)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		struct sockaddr_in *ad, *nm;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    i->ifa_netmask == NULL || !(i->ifa_flags & IFF_UP))
			continue;
		if (strcmp(i->ifa_name, pconf.c.ifname) == 0)
			continue;
		ad = (struct sockaddr_in *)i->ifa_addr;
		nm = (struct sockaddr_in *)i->ifa_netmask;
		found = in_subnet(a, ad->sin_addr.s_addr, nm->sin_addr.s_addr);
	}
	freeifaddrs(ifa);
	return found;
}

bool
route_is_ours(const struct sockaddr_in *sin)
{
	uint32_t a = sin->sin_addr.s_addr, h = ntohl(a);

	if (!pconf.enabled)
		return false;
	if ((h >> 24) == 127 || h == 0 || IN_MULTICAST(h) || h == 0xffffffffu)
		return false;
	if (in_subnet(a, pconf.c.addr.s_addr, pconf.mask))
		return true;
	if (pconf.c.gateway.s_addr == 0)
		return false;
	return !kernel_on_link(a);
}

bool
route_bind_is_ours(const struct sockaddr_in *sin)
{
	if (!pconf.enabled)
		return false;
	if (sin->sin_addr.s_addr == pconf.c.addr.s_addr)
		return true;
	/* Servers bind the wildcard, then listen: tcpx serves them unless
	 * TCPX_LISTEN=kernel.  A client that bound the wildcard and then
	 * connects elsewhere is given back to the kernel at connect(). */
	return sin->sin_addr.s_addr == htonl(INADDR_ANY) &&
	    !pconf.listen_kernel;
}

int
sa_to_sin(const struct sockaddr *sa, socklen_t len, struct sockaddr_in *sin)
{
	if (sa == NULL)
		return -EFAULT;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family != AF_INET)
		return -EAFNOSUPPORT;
	if (len < sizeof(*sin))
		return -EINVAL;
	memcpy(sin, sa, sizeof(*sin));
	memset(sin->sin_zero, 0, sizeof(sin->sin_zero));
	return 0;
}

void
sin_copy_out(const struct sockaddr_in *sin, struct sockaddr *sa,
    socklen_t *len)
{
	socklen_t n;

	if (sa == NULL || len == NULL)
		return;
	n = *len < sizeof(*sin) ? *len : sizeof(*sin);
	memcpy(sa, sin, n);
	*len = sizeof(*sin);
}
