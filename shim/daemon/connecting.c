/*
 * connecting.c - the program's end of a connection tcpxd makes: the
 * socketpair a CONNECT gets, filled so that it is not writable while the
 * handshake runs (ctl_proto.h), the spares made ahead in idle time, and
 * the answer held for a blocking connect (TCPX_CONNECT_WAIT).  The pump
 * that follows is bridge.c's.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcpxd.h"

/*
 * Fill the app's end until a write fails with EAGAIN, as a connecting
 * TCP socket's would; returns the byte count.  64 KB writes: 4 KB ones
 * (and 1-byte ones after them) cost a hundred system calls per connect,
 * a third of tcpxd's time in a connect loop.
 */
static size_t
fill(int fd)
{
	static const uint8_t zero[65536];
	size_t total = 0;
	ssize_t n;

	for (;;) {
		n = send(fd, zero, sizeof(zero), MSG_DONTWAIT);
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	return total;
}

/*
 * A socketpair for a connect: ours non-blocking and sized, the app's
 * blocking (the program decides with its own fcntl) and, if `filled`,
 * full of filler.
 */
static int
pair_make(struct pair_spare *sp, bool filled)
{
	struct stat st;
	int sv[2], on = 1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	(void)ioctl(sv[0], FIONBIO, &on);	/* one call, not F_GETFL+F_SETFL */
	bridge_pair_bufs(sv[0]);
	/*
	 * The program's end of a bare pair the same size; a filled one
	 * keeps the default, which the filler is, all of it.
	 */
	if (!filled)
		bridge_pair_bufs(sv[1]);
	sp->filler = filled ? fill(sv[1]) : 0;
	sp->ino = fstat(sv[0], &st) == 0 ? st.st_ino : 0;
	sp->ours = sv[0];
	sp->app = sv[1];
	return 0;
}

/*
 * Spares are made when tcpxd has nothing else to do (loop.c), once this
 * daemon has served a connect of that kind: a program that connects once
 * tends to connect again, and a daemon that only serves listeners needs
 * none.  A filled one holds a filler's worth of kernel memory (about
 * 230 KB), a bare one a socketpair's (about 2 KB).  In a loop of
 * blocking connects the bare ones take socketpair(), FIONBIO, the buffer
 * size and fstat off the path between the CONNECT and the SYN.
 */
bool
bridge_spares_wanted(const struct tcpxd *d)
{
	return d->pools[0].n < d->pools[0].want ||
	    d->pools[1].n < d->pools[1].want;
}

void
bridge_spare_make(struct tcpxd *d)
{
	bool filled = d->pools[1].n < d->pools[1].want;
	struct pair_pool *p = &d->pools[filled];

	if (p->n < BRIDGE_SPARES && pair_make(&p->s[p->n], filled) == 0)
		p->n++;
	else
		p->want = p->n;		/* out of fds? stop trying */
}

int
bridge_attach_connect(struct tcpxd *d, struct bsock *b, bool filled)
{
	struct pair_pool *p = &d->pools[filled];
	struct pair_spare sp;
	int rc;

	p->want = BRIDGE_SPARES;
	if (p->n > 0) {
		sp = p->s[--p->n];
	} else if ((rc = pair_make(&sp, filled)) < 0) {
		return rc;
	}
	b->filler = sp.filler;
	b->w.fd = sp.ours;
	b->w.cb = bridge_conn_watch_cb;
	b->app_ino = sp.ino;
	b->kind = BS_CONN;
	b->owner = NULL;
	/*
	 * Nothing to read from the app until the handshake resolves.  A
	 * bare pair's program is blocked in connect() until then, so it
	 * can be watched for EPOLLIN at once, as it will be when
	 * established (one epoll_ctl, not two); a filled one would show its
	 * filler as readable.
	 */
	if (watch_add(d, &b->w, filled ? 0 : EPOLLIN) < 0) {
		int err = errno;

		close(sp.ours);
		close(sp.app);
		b->w.fd = -1;
		return -err;
	}
	logd("sock %d: socketpair, %zu bytes of filler", b->handle, b->filler);
	bridge_mark_dirty(d, b);
	return sp.app;
}

int
bridge_take_error(struct tcpxd *d, struct bsock *b)
{
	int err = b->err;

	b->err = 0;
	if (err == 0 && b->eid >= 0)
		err = tcpx_sock_error(d->eng, b->eid);
	return err < 0 ? 0 : err;
}

void
bridge_connect_wait(struct tcpxd *d, struct bsock *b, struct client *c,
    uint32_t seq, int app_fd)
{
	b->waiter = c;
	b->wait_seq = seq;
	b->wait_fd = app_fd;
	b->wait_until = now_us() + TCPX_CONNECT_WAIT_US;
	bsock_timed(d, b);
}

void
bridge_connect_answer(struct bsock *b, int result)
{
	if (b->waiter == NULL)
		return;
	ctl_reply_connect(b->waiter, b->wait_seq, b->handle, result,
	    b->wait_fd);
	close(b->wait_fd);
	b->wait_fd = -1;
	b->waiter = NULL;
	b->wait_until = 0;
}

void
bridge_drain_filler(struct bsock *b, uint8_t *buf)
{
	ssize_t n;

	while (b->filler > 0) {
		n = read(b->w.fd, buf, b->filler < BRIDGE_BUF ? b->filler :
		    BRIDGE_BUF);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		b->filler -= (size_t)n;
	}
	b->filler = 0;
}

/* Not resolved in time: the program will poll its fd, which must not
 * look writable until the handshake resolves. */
void
bridge_connect_late(struct tcpxd *d, struct bsock *b)
{
	bridge_app_default(d, b->wait_fd);
	b->filler = fill(b->wait_fd);
	watch_mod(d, &b->w, 0);		/* the filler is not for reading */
	bridge_connect_answer(b, -EINPROGRESS);
}

void
bridge_spares_free(struct tcpxd *d)
{
	struct pair_pool *p;

	for (p = d->pools; p < d->pools + 2; p++) {
		while (p->n > 0) {
			p->n--;
			close(p->s[p->n].ours);
			close(p->s[p->n].app);
		}
		p->want = 0;
	}
}
