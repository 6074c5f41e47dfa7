/*
 * fdtable.c - which application fds are tcpx sockets, and their state.
 *
 * A two-level table indexed by fd number: chunks of entries allocated on
 * first use and never freed, so a lookup racing with a close in another
 * thread reads a stale entry, never freed memory.  Lookups take no lock;
 * changes take fd_lock.
 *
 * An fd can be closed behind our back (fclose() of an fdopen()ed socket,
 * close_range()) and its number reused for a file that is not a socket.
 * Each entry therefore records the open file's (st_dev, st_ino);
 * fd_lookup_checked() compares them before anything that would talk to
 * tcpxd about the fd.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "preload.h"

#define CHUNK_BITS	10
#define CHUNK_SIZE	(1 << CHUNK_BITS)
#define NCHUNKS		1024	/* fds up to 1M */

static struct fd_ent *chunks[NCHUNKS];
static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;

static struct fd_ent *
slot(int fd, bool create)
{
	struct fd_ent *c;
	unsigned i;

	if (fd < 0 || (fd >> CHUNK_BITS) >= NCHUNKS)
		return NULL;
	i = (unsigned)fd >> CHUNK_BITS;
	c = __atomic_load_n(&chunks[i], __ATOMIC_ACQUIRE);
	if (c == NULL && create) {
		pthread_mutex_lock(&fd_lock);
		c = chunks[i];
		if (c == NULL) {
			c = calloc(CHUNK_SIZE, sizeof(*c));
			__atomic_store_n(&chunks[i], c, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&fd_lock);
	}
	if (c == NULL)
		return NULL;
	return &c[fd & (CHUNK_SIZE - 1)];
}

struct fd_ent *
fd_lookup(int fd)
{
	struct fd_ent *e = slot(fd, false);

	if (e == NULL || e->kind == FDK_NONE)
		return NULL;
	return e;
}

struct fd_ent *
fd_lookup_checked(int fd)
{
	struct fd_ent *e = fd_lookup(fd);
	struct stat st;

	if (e == NULL)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_dev != e->dev || st.st_ino != e->ino) {
		tcpx_debug("fd %d no longer the socket we knew; forgetting it",
		    fd);
		e->kind = FDK_NONE;
		return NULL;
	}
	return e;
}

void
fd_stamp(struct fd_ent *e, int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0) {
		e->dev = st.st_dev;
		e->ino = st.st_ino;
	}
}

struct fd_ent *
fd_track(int fd, int kind)
{
	struct fd_ent *e = slot(fd, true);

	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->sock = -1;
	e->kind = kind;
	fd_stamp(e, fd);
	return e;
}

void
fd_forget(int fd)
{
	struct fd_ent *e = slot(fd, false);

	if (e != NULL)
		e->kind = FDK_NONE;
}

void
fd_copy(int oldfd, int newfd)
{
	struct fd_ent *o = fd_lookup(oldfd), *n;

	if (o == NULL) {
		fd_forget(newfd);
		return;
	}
	n = slot(newfd, true);
	if (n == NULL)
		return;
	pthread_mutex_lock(&fd_lock);
	*n = *o;
	pthread_mutex_unlock(&fd_lock);
}

void
fd_record_opt(struct fd_ent *e, int level, int name, const void *val,
    socklen_t len)
{
	unsigned i;

	if (len > FD_OPT_VALLEN)
		return;
	for (i = 0; i < e->nopt; i++)
		if (e->opt[i].level == level && e->opt[i].name == name)
			break;
	if (i == FD_MAX_OPTS)
		return;
	if (i == e->nopt)
		e->nopt++;
	e->opt[i].level = level;
	e->opt[i].name = name;
	e->opt[i].len = len;
	memcpy(e->opt[i].val, val, len);
}
