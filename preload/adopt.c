/*
 * adopt.c - tcpx listeners inherited across exec.
 *
 * exec starts libtcpx.so afresh with an empty fd table, while the fds
 * survive.  A connected tcpx fd keeps working for data unnoticed (only
 * the error reporting of io.c is lost), but an inherited listener would
 * hand the program tcpxd's delivery header as data.  tcpxd names every
 * listener "\0tcpx/<ifname>/l/<sock>.<gen>", so a listener we do not know
 * is recognised by its own address, and taken back into the table, the
 * first time the program accepts on it or asks its name.
 */
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "preload.h"

struct fd_ent *
fd_adopt(int fd)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	char prefix[64], name[sizeof(sun.sun_path)];
	struct fd_ent *e;
	size_t n, plen;
	int sock;
	unsigned gen;

	if (!pconf.enabled)
		return NULL;
	if (real.getsockname(fd, (struct sockaddr *)&sun, &len) < 0 ||
	    sun.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un,
	    sun_path) + 1 || sun.sun_path[0] != '\0')
		return NULL;
	n = len - offsetof(struct sockaddr_un, sun_path) - 1;
	memcpy(name, sun.sun_path + 1, n);
	name[n] = '\0';
	plen = (size_t)snprintf(prefix, sizeof(prefix), "tcpx/%s/l/",
	    pconf.c.ifname);
	if (strncmp(name, prefix, plen) != 0 ||
	    sscanf(name + plen, "%d.%u", &sock, &gen) != 2)
		return NULL;
	e = fd_track(fd, FDK_LISTEN);
	if (e != NULL) {
		e->sock = sock;
		e->daemon = ctl_daemon_pid();
		tcpx_debug("fd %d: inherited tcpx listener sock %d", fd, sock);
	}
	return e;
}
