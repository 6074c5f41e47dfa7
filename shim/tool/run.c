/*
 * run.c - `tcpx run [OPTIONS] [--] CMD [ARGS...]`: run CMD with
 * libtcpx.so preloaded and the stack's configuration in its environment,
 * the way `onload CMD` does.
 *
 * libtcpx.so is looked for next to this executable (the build tree) and
 * in ../lib/tcpx/ (installed).  The configuration is resolved here, as
 * the library will resolve it, so that a missing interface or address is
 * reported before CMD runs rather than silently leaving every socket to
 * the kernel.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcpx_conf.h"
#include "tool.h"

static void
run_usage(FILE *f)
{
	fprintf(f,
	    "usage: tcpx run [OPTIONS] [--] CMD [ARGS...]\n"
	    "\n"
	    "Run CMD with its TCP/IPv4 sockets on the tcpx stack: connections\n"
	    "to the stack's subnet (or via its gateway) and listening sockets\n"
	    "go through tcpxd, which is started on first use if none runs.\n"
	    "Loopback, AF_UNIX, UDP (DNS) and IPv6 stay with the kernel.\n"
	    "\n"
	    "options (each also settable in the environment):\n"
	    "  -i, --iface NAME      interface tcpxd serves      (TCPX_IFACE)\n"
	    "  -a, --addr A.B.C.D/N  the stack's address         (TCPX_ADDR)\n"
	    "  -g, --gateway A.B.C.D off-link route              (TCPX_GATEWAY)\n"
	    "  -k, --listen-kernel   leave wildcard listeners to the kernel\n"
	    "                                                    (TCPX_LISTEN=kernel)\n"
	    "  -d, --debug           trace the shim's decisions  (TCPX_DEBUG=1)\n"
	    "  -h, --help            this text\n");
}

/* LD_PRELOAD with lib first, keeping what was there. */
static int
set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;
	int rc;

	if (old != NULL && strstr(old, lib) != NULL)
		return 0;
	if (old == NULL || *old == '\0')
		return setenv("LD_PRELOAD", lib, 1);
	if (asprintf(&v, "%s:%s", lib, old) < 0)
		return -1;
	rc = setenv("LD_PRELOAD", v, 1);
	free(v);
	return rc;
}

static int
find_lib(char *lib, size_t len)
{
	char dir[PATH_MAX - 64];
	const char *env = getenv("TCPX_LIB");

	if (env != NULL && *env != '\0') {
		snprintf(lib, len, "%s", env);
		return access(lib, R_OK);
	}
	if (tool_self_dir(dir, sizeof(dir)) < 0)
		return -1;
	snprintf(lib, len, "%s/libtcpx.so", dir);
	if (access(lib, R_OK) == 0)
		return 0;
	snprintf(lib, len, "%s/../lib/tcpx/libtcpx.so", dir);
	if (access(lib, R_OK) == 0)
		return 0;
	return -1;
}

/* CMD as execvp would find it; 0 or -1. */
static int
which(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(cmd, '/') != NULL) {
		snprintf(out, len, "%s", cmd);
		return access(out, X_OK);
	}
	for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = end) {
		end = strchrnul(p, ':');
		snprintf(out, len, "%.*s/%s", (int)(end - p), p, cmd);
		if (access(out, X_OK) == 0)
			return 0;
		if (*end == ':')
			end++;
	}
	return -1;
}

/*
 * Programs the preload cannot reach: say so rather than let them run on
 * the kernel's stack unnoticed.  A static executable has no dynamic
 * loader (no PT_INTERP) to honour LD_PRELOAD; a set-user/group-ID one
 * runs in secure-execution mode, where the loader ignores it.
 */
static void
warn_unreachable(const char *cmd)
{
	char path[PATH_MAX];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	struct stat st;
	int fd, i, interp = 0;

	if (which(cmd, path, sizeof(path)) < 0 || stat(path, &st) < 0)
		return;
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		fprintf(stderr, "tcpx run: warning: %s is set-user/group-ID: "
		    "the loader ignores LD_PRELOAD, its sockets stay with the "
		    "kernel\n", path);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64) {
		close(fd);	/* a script: its interpreter will be reached */
		return;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff +
		    (uint64_t)i * eh.e_phentsize)) != sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP)
			interp = 1;
	}
	close(fd);
	if (!interp)
		fprintf(stderr, "tcpx run: warning: %s is statically linked: "
		    "LD_PRELOAD cannot reach it, its sockets stay with the "
		    "kernel\n", path);
}

int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "addr", required_argument, NULL, 'a' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "listen-kernel", no_argument, NULL, 'k' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char lib[PATH_MAX], dir[PATH_MAX], tcpxd[PATH_MAX + 8], err[512];
	struct tcpx_conf conf;
	int c;

	/* '+': stop at the first non-option, so CMD's own options stay. */
	while ((c = getopt_long(argc, argv, "+i:a:g:kdh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'i':
			setenv(TCPX_ENV_IFACE, optarg, 1);
			break;
		case 'a':
			setenv(TCPX_ENV_ADDR, optarg, 1);
			break;
		case 'g':
			setenv(TCPX_ENV_GATEWAY, optarg, 1);
			break;
		case 'k':
			setenv("TCPX_LISTEN", "kernel", 1);
			break;
		case 'd':
			setenv(TCPX_ENV_DEBUG, "1", 1);
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tcpx run: no command given\n");
		run_usage(stderr);
		return 2;
	}
	if (tcpx_conf_load(&conf, err, sizeof(err)) < 0 ||
	    tcpx_conf_complete(&conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "tcpx run: %s\n", err);
		return 2;
	}
	if (find_lib(lib, sizeof(lib)) < 0) {
		fprintf(stderr, "tcpx run: libtcpx.so not found next to this "
		    "program or in ../lib/tcpx/ (set TCPX_LIB=/path/to/"
		    "libtcpx.so)\n");
		return 2;
	}
	if (set_preload(lib) < 0) {
		fprintf(stderr, "tcpx run: setenv: %s\n", strerror(errno));
		return 2;
	}
	/* Let the library start the tcpxd that matches this tool. */
	if (getenv(TCPX_ENV_TCPXD) == NULL &&
	    tool_self_dir(dir, sizeof(dir)) == 0) {
		snprintf(tcpxd, sizeof(tcpxd), "%s/tcpxd", dir);
		if (access(tcpxd, X_OK) == 0)
			setenv(TCPX_ENV_TCPXD, tcpxd, 1);
	}
	warn_unreachable(argv[optind]);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "tcpx run: %s: %s\n", argv[optind], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
