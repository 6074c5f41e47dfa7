/*
 * spawn.c - start tcpxd when a program first needs it and none answers.
 *
 * tcpxd must outlive the program (connections outlive processes), must
 * not be the program's child (a shell or nginx reaping "unknown" children
 * would be confused) and must not run with libtcpx.so preloaded.  So: a
 * double fork with _Fork() (no atfork handlers: we hold the control lock
 * here), setsid() in the middle, LD_PRELOAD removed, stdin/stdout on
 * /dev/null and stderr on a log file, whose last line is what we print
 * when tcpxd dies before its control socket appears.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "preload.h"

#define START_WAIT_MS	2000

extern char **environ;
extern pid_t _Fork(void);

/* The tcpxd binary: $TCPX_TCPXD, next to libtcpx.so (build tree), or
 * ../../bin/tcpxd from lib/tcpx/ (installed). */
static int
find_tcpxd(char *path, size_t len)
{
	const char *env = getenv(TCPX_ENV_TCPXD);
	Dl_info info;
	char dir[PATH_MAX], *slash;

	if (env != NULL && *env != '\0') {
		snprintf(path, len, "%s", env);
		return access(path, X_OK) == 0 ? 0 : -errno;
	}
	if (dladdr((void *)find_tcpxd, &info) == 0 || info.dli_fname == NULL)
		return -ENOENT;
	if (realpath(info.dli_fname, dir) == NULL)
		snprintf(dir, sizeof(dir), "%s", info.dli_fname);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return -ENOENT;
	*slash = '\0';
	snprintf(path, len, "%s/tcpxd", dir);
	if (access(path, X_OK) == 0)
		return 0;
	snprintf(path, len, "%s/../../bin/tcpxd", dir);
	if (access(path, X_OK) == 0)
		return 0;
	return -ENOENT;
}

static void
log_path(char *path, size_t len, const char *ifname)
{
	const char *env = getenv(TCPX_ENV_LOG);

	if (env != NULL && *env != '\0')
		snprintf(path, len, "%s", env);
	else if (access(TCPX_RUN_DIR, W_OK) == 0 ||
	    (mkdir(TCPX_RUN_DIR, 0755) == 0))
		snprintf(path, len, "%s/tcpxd-%s.log", TCPX_RUN_DIR, ifname);
	else
		snprintf(path, len, "/tmp/tcpxd-%s.%u.log", ifname,
		    (unsigned)getuid());
}

/* The environment without LD_PRELOAD, in a static-free heap array. */
static char **
child_env(void)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (env == NULL)
		return environ;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[j++] = environ[i];
	env[j] = NULL;
	return env;
}

/* The last non-empty line written to the log since offset `from`, as the
 * reason tcpxd gave. */
static void
last_line(const char *path, off_t from, char *buf, size_t len)
{
	char line[512];
	FILE *f;

	buf[0] = '\0';
	f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fseeko(f, from, SEEK_SET) < 0) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0')
			snprintf(buf, len, "%s", line);
	}
	fclose(f);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
fail(int err, const char *why, const char *path)
{
	fprintf(stderr, "tcpx: cannot start tcpxd: %s; start it by hand with "
	    "'%s --foreground' (as root, in this network namespace)\n", why,
	    path[0] != '\0' ? path : "tcpxd");
	return -err;
}

/* Is tcpxd answering?  Checked by a real HELLO, not just a connect. */
static bool
answers(const char *ifname)
{
	struct tcpx_client probe;

	if (tcpx_client_open(&probe, ifname, 0) < 0)
		return false;
	tcpx_client_close(&probe);
	return true;
}

/*
 * The started process's stdout is a pipe we read: it reaches EOF when
 * every process holding it is gone or has replaced it - tcpxd's parent
 * half exits once the daemon is ready (or has failed), and the daemon
 * puts /dev/null there.  So EOF means "decided": one last look says
 * which.  Without EOF we keep looking until the deadline.
 */
static int
wait_ready(const char *ifname, int outfd)
{
	uint64_t deadline = mono_ms() + START_WAIT_MS;
	struct pollfd p = { .fd = outfd, .events = POLLIN };
	char buf[256];

	for (;;) {
		if (answers(ifname))
			return 0;
		if (mono_ms() >= deadline)
			return -1;
		if (poll(&p, 1, 20) > 0) {
			if (real.read(outfd, buf, sizeof(buf)) <= 0)
				return answers(ifname) ? 0 : -2;
		}
	}
}

int
spawn_tcpxd(const char *ifname)
{
	char path[PATH_MAX], log[256], why[PATH_MAX + 800], lastl[512];
	char *argv[] = { path, NULL };
	char **env;
	int out[2], status, rc, err;
	struct stat st;
	off_t logsize;
	const char *reason;
	pid_t mid;

	path[0] = '\0';
	rc = find_tcpxd(path, sizeof(path));
	if (rc < 0)
		return fail(ENETUNREACH, "tcpxd not found next to libtcpx.so "
		    "(set TCPX_TCPXD=/path/to/tcpxd)", path);
	log_path(log, sizeof(log), ifname);
	logsize = stat(log, &st) == 0 ? st.st_size : 0;
	env = child_env();
	if (pipe2(out, O_CLOEXEC) < 0)
		return fail(ENETUNREACH, strerror(errno), path);
	tcpx_debug("starting %s (log %s)", path, log);
	mid = _Fork();
	if (mid < 0) {
		err = errno;
		real.close(out[0]);
		real.close(out[1]);
		return fail(ENETUNREACH, strerror(err), path);
	}
	if (mid == 0) {
		sigset_t none;
		int fd;

		setsid();
		if (_Fork() != 0)
			_exit(0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0)
			dup2(fd, 0);
		dup2(out[1], 1);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0)
			dup2(fd, 2);
		/*
		 * The daemon outlives the program that started it: it must
		 * not keep the program's other descriptors (a shell's $(...)
		 * pipe would never see EOF, a lock would stay held).
		 */
		close_range(3, ~0U, 0);
		execve(path, argv, env);
		dprintf(2, "tcpxd: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	real.close(out[1]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (env != environ)
		free(env);
	rc = wait_ready(ifname, out[0]);
	real.close(out[0]);
	if (rc == 0) {
		tcpx_debug("tcpxd is up");
		return 0;
	}
	last_line(log, logsize, lastl, sizeof(lastl));
	/* Its log lines start "HH:MM:SS.mmm tcpxd[pid]: ": the words only. */
	reason = strstr(lastl, "]: ");
	reason = reason != NULL ? reason + 3 : lastl;
	if (lastl[0] != '\0')
		snprintf(why, sizeof(why), "%s (log: %s)", reason, log);
	else if (rc == -2)
		snprintf(why, sizeof(why), "%s exited without a word (log: %s)",
		    path, log);
	else
		snprintf(why, sizeof(why), "no control socket after %d ms "
		    "(log: %s)", START_WAIT_MS, log);
	/* Unprivileged: tcpxd needs CAP_NET_RAW; EACCES says so best. */
	return fail(strstr(lastl, "CAP_NET_RAW") != NULL ||
	    strstr(lastl, "ermission") != NULL ? EACCES : ENETUNREACH, why,
	    path);
}
