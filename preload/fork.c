/*
 * fork.c - fork() and friends.
 *
 * Every tcpx socket is a kernel fd, so a fork child inherits them as it
 * inherits any socket; the fd table is copied with the memory.  Only the
 * control connection must not be shared: the child opens its own on
 * first use (ctl.c), and the control mutex is held across fork so the
 * child never inherits it locked mid-call.  exec needs nothing: the fds
 * survive and the new image's libtcpx.so starts afresh.
 */
#include <pthread.h>

#include "preload.h"

__attribute__((constructor)) static void
fork_register(void)
{
	pthread_atfork(ctl_atfork_prepare, ctl_atfork_parent,
	    ctl_atfork_child);
}
