/*
 * init.c - lazy initialisation of libtcpx.so: the real-function table
 * (dlsym(RTLD_NEXT)) and the configuration.
 *
 * Nothing happens at load time except registering the fork handlers:
 * the first interposed call initialises, once, under pthread_once, so a
 * program that never opens a TCP socket pays nothing.  The configuration
 * is resolved exactly as tcpxd resolves it (tcpx_conf_load: lab
 * defaults, config file, environment), so both agree on the interface.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

struct real_fns real;
struct preload_conf pconf;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void *
must_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL) {
		/* Without the real function nothing can work; say which. */
		fprintf(stderr, "tcpx: libtcpx.so: no real %s() found: %s\n",
		    name, dlerror());
		abort();
	}
	return p;
}

static void
init_real(void)
{
#define SYM(f) real.f = (__typeof__(real.f))must_sym(#f)
	SYM(socket); SYM(bind); SYM(listen); SYM(accept); SYM(accept4);
	SYM(connect); SYM(shutdown); SYM(close); SYM(setsockopt);
	SYM(getsockopt); SYM(getsockname); SYM(getpeername);
	SYM(read); SYM(readv); SYM(recv); SYM(recvfrom); SYM(recvmsg);
	SYM(write); SYM(writev); SYM(send); SYM(sendto); SYM(sendmsg);
	SYM(dup); SYM(dup2); SYM(dup3); SYM(fcntl);
#undef SYM
	real.fcntl64 = (__typeof__(real.fcntl64))dlsym(RTLD_NEXT, "fcntl64");
}

static void
init_conf(void)
{
	char err[256];
	const char *v;
	int saved = errno;

	v = getenv(TCPX_ENV_DEBUG);
	pconf.debug = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
	v = getenv("TCPX_LISTEN");
	pconf.listen_kernel = v != NULL && strcmp(v, "kernel") == 0;
	if (tcpx_conf_load(&pconf.c, err, sizeof(err)) < 0) {
		/* A broken config must not break every program: say it once
		 * and leave all sockets to the kernel. */
		fprintf(stderr, "tcpx: %s; all sockets stay with the kernel\n",
		    err);
		pconf.enabled = false;
	} else if (tcpx_conf_complete(&pconf.c, err, sizeof(err)) < 0) {
		tcpx_debug("%s; all sockets stay with the kernel", err);
		pconf.enabled = false;
	} else {
		pconf.enabled = true;
		pconf.mask = pconf.c.prefixlen == 0 ? 0 :
		    htonl(0xffffffffu << (32 - pconf.c.prefixlen));
	}
	errno = saved;
}

static void
init_once_fn(void)
{
	init_real();
	init_conf();
	tcpx_debug("init pid %d iface %s enabled %d", (int)getpid(),
	    pconf.c.ifname, pconf.enabled);
}

void
tcpx_init(void)
{
	pthread_once(&init_once, init_once_fn);
}

void
tcpx_debug(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, saved;

	if (!pconf.debug)
		return;
	saved = errno;
	n = snprintf(buf, sizeof(buf), "tcpx[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	buf[n++] = '\n';
	/* The real write: ours would look the fd up for nothing. */
	if (real.write != NULL)
		(void)real.write(2, buf, (size_t)n);
	errno = saved;
}
