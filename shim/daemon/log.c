/*
 * log.c - tcpxd's log: one line per event on stderr, prefixed with the
 * wall-clock time (UTC, milliseconds) so that it lines up with tcpdump.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tcpxd.h"

struct log_state {
	char prog[32];
	int verbose;
};

/* The one piece of process-wide state: the log has no other owner. */
static struct log_state logst = { "tcpxd", 0 };

void
log_init(const char *progname, int verbose)
{
	snprintf(logst.prog, sizeof(logst.prog), "%s", progname);
	logst.verbose = verbose;
}

bool
log_enabled(int level)
{
	return level <= logst.verbose;
}

void
log_msg(int level, const char *fmt, ...)
{
	char line[1024], ts[32];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	int n;

	/* verbose 0: errors; 1: info (the default); 2: -v; 3: -vv. */
	if (level > logst.verbose)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ld %s[%d]: ", ts,
	    (long)tv.tv_usec / 1000, logst.prog, (int)getpid());
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/* One write per line so concurrent writers do not interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
