/*
 * link_packet.c - frames in and out of the interface with AF_PACKET.
 *
 * RX: a TPACKET_V3 ring (blocks of frames the kernel fills, retired
 * after 1 ms or when full), with a classic BPF filter compiled by libpcap
 * so that only ARP and IPv4 to the stack's address wake tcpxd.
 * TX: frames the engine emits are copied into a batch and sent with one
 * sendmmsg(2) per loop iteration (or when the batch is full).  The qdisc
 * is kept (PACKET_QDISC_BYPASS off) so that the kernel queues bursts.
 *
 * Ethernet links use SOCK_RAW/ETH_P_ALL and whole frames; layer-3 links
 * (tun, ARPHRD_NONE) use SOCK_DGRAM/ETH_P_IP and bare IPv4 packets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpxd.h"

#define RX_RING_BYTES	(16u << 20)	/* the whole RX ring */
#define RX_BLOCK_DEFAULT (256u << 10)
#define RX_FRAME_SIZE	2048		/* V3 ignores it except for checks */
#define RX_RETIRE_MS	1
#define TX_BATCH	64

struct link {
	int fd;
	int sock_type;		/* SOCK_RAW (Ethernet) or SOCK_DGRAM (tun) */
	uint8_t *ring;
	size_t ring_len;
	unsigned block;		/* next block to look at */
	unsigned block_size, block_nr;
	struct sockaddr_ll dst;	/* SOCK_DGRAM destination */
	size_t slot;		/* bytes per TX slot */
	unsigned ntx;
	uint8_t *txbuf;
	struct iovec iov[TX_BATCH];
	struct mmsghdr msg[TX_BATCH];
	bool warned_trunc, warned_csum;
};

static int
link_filter(struct tcpxd *d, struct link *l, char *err, size_t errlen)
{
	struct bpf_program prog;
	struct sock_fprog fprog;
	char expr[64], addr[INET_ADDRSTRLEN];
	pcap_t *p;
	int rc = -1;

	inet_ntop(AF_INET, &d->conf.addr, addr, sizeof(addr));
	if (d->linktype == TCPX_LINK_ETHER) {
		snprintf(expr, sizeof(expr), "arp or (ip dst host %s)", addr);
		p = pcap_open_dead(DLT_EN10MB, 65535);
	} else {
		snprintf(expr, sizeof(expr), "ip dst host %s", addr);
		p = pcap_open_dead(DLT_RAW, 65535);
	}
	if (p == NULL) {
		snprintf(err, errlen, "pcap_open_dead failed");
		return -1;
	}
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "pcap_compile '%s': %s", expr,
		    pcap_geterr(p));
		goto out;
	}
	fprog.len = (unsigned short)prog.bf_len;
	fprog.filter = (struct sock_filter *)prog.bf_insns;
	if (setsockopt(l->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
	    sizeof(fprog)) < 0)
		snprintf(err, errlen, "SO_ATTACH_FILTER: %s", strerror(errno));
	else
		rc = 0;
	logd("link: BPF filter \"%s\" (%u instructions)", expr, prog.bf_len);
	pcap_freecode(&prog);
out:
	pcap_close(p);
	return rc;
}

/*
 * Block size.  A V3 block reaches us when it is full or when its retire
 * timer (1 ms, the minimum) fires.  Small blocks hand frames over sooner
 * under light load but cost a wakeup per couple of frames; measured on
 * the lab's veth, 256 KB blocks moved 100 MB at least as fast as 4 KB
 * or 16 KB ones, so that is the default.  TCPXD_RX_BLOCK=bytes overrides
 * it (rounded up to a power of two; at least a page and one whole frame
 * of the interface's MTU).
 */
static unsigned
ring_block_size(const struct tcpxd *d)
{
	unsigned need = (unsigned)d->mtu + 14 + 4 + 128, bs;
	long page = sysconf(_SC_PAGESIZE);
	const char *env = getenv("TCPXD_RX_BLOCK");
	unsigned want = RX_BLOCK_DEFAULT;

	if (env != NULL && atoi(env) > 0)
		want = (unsigned)atoi(env);
	if (want > need)
		need = want;
	bs = page > 0 ? (unsigned)page : 4096;
	while (bs < need)
		bs <<= 1;
	return bs;
}

static int
link_ring(struct tcpxd *d, struct link *l, char *err, size_t errlen)
{
	struct tpacket_req3 req;
	int v = TPACKET_V3, off = 0;

	if (setsockopt(l->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
		snprintf(err, errlen, "PACKET_VERSION v3: %s", strerror(errno));
		return -1;
	}
	/* Keep the qdisc: bursts queue in the kernel instead of failing. */
	(void)setsockopt(l->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &off,
	    sizeof(off));
	l->block_size = ring_block_size(d);
	l->block_nr = RX_RING_BYTES / l->block_size;
	if (l->block_nr < 8)
		l->block_nr = 8;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = l->block_size;
	req.tp_block_nr = l->block_nr;
	req.tp_frame_size = RX_FRAME_SIZE;
	req.tp_frame_nr = l->block_size / RX_FRAME_SIZE * l->block_nr;
	req.tp_retire_blk_tov = RX_RETIRE_MS;
	if (setsockopt(l->fd, SOL_PACKET, PACKET_RX_RING, &req,
	    sizeof(req)) < 0) {
		snprintf(err, errlen, "PACKET_RX_RING: %s", strerror(errno));
		return -1;
	}
	l->ring_len = (size_t)l->block_size * l->block_nr;
	l->ring = mmap(NULL, l->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED,
	    l->fd, 0);
	if (l->ring == MAP_FAILED) {
		l->ring = NULL;
		snprintf(err, errlen, "mmap RX ring: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
link_open(struct tcpxd *d, char *err, size_t errlen)
{
	struct link *l;
	struct sockaddr_ll sll;
	int sndbuf = 4 << 20;
	unsigned i;

	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->link = l;
	l->sock_type = d->linktype == TCPX_LINK_ETHER ? SOCK_RAW : SOCK_DGRAM;
	/* Protocol 0: nothing arrives before the filter is attached. */
	l->fd = socket(AF_PACKET, l->sock_type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (l->fd < 0) {
		if (errno == EPERM || errno == EACCES)
			snprintf(err, errlen, "cannot open a raw AF_PACKET "
			    "socket: no CAP_NET_RAW; run as root or 'setcap "
			    "cap_net_raw+ep build/tcpxd'");
		else
			snprintf(err, errlen, "socket(AF_PACKET): %s",
			    strerror(errno));
		return -1;
	}
	if (link_filter(d, l, err, errlen) < 0 ||
	    link_ring(d, l, err, errlen) < 0)
		return -1;
	(void)setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = d->ifindex;
	sll.sll_protocol = htons(d->linktype == TCPX_LINK_ETHER ? ETH_P_ALL :
	    ETH_P_IP);
	if (bind(l->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(err, errlen, "bind AF_PACKET to %s: %s",
		    d->conf.ifname, strerror(errno));
		return -1;
	}
	l->dst = sll;
	l->dst.sll_protocol = htons(ETH_P_IP);
	l->slot = (size_t)d->mtu + 14 + 4;
	l->txbuf = malloc(l->slot * TX_BATCH);
	if (l->txbuf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < TX_BATCH; i++) {
		l->iov[i].iov_base = l->txbuf + i * l->slot;
		l->msg[i].msg_hdr.msg_iov = &l->iov[i];
		l->msg[i].msg_hdr.msg_iovlen = 1;
		if (l->sock_type == SOCK_DGRAM) {
			l->msg[i].msg_hdr.msg_name = &l->dst;
			l->msg[i].msg_hdr.msg_namelen = sizeof(l->dst);
		}
	}
	return 0;
}

int
link_fd(const struct tcpxd *d)
{
	return d->link != NULL ? d->link->fd : -1;
}

void
link_close(struct tcpxd *d)
{
	struct link *l = d->link;

	if (l == NULL)
		return;
	if (l->ring != NULL)
		munmap(l->ring, l->ring_len);
	if (l->fd >= 0)
		close(l->fd);
	free(l->txbuf);
	free(l);
	d->link = NULL;
}

static void
link_frame(struct tcpxd *d, struct link *l, struct tpacket3_hdr *ph,
    uint64_t now)
{
	struct sockaddr_ll *sll;
	uint8_t *frame = (uint8_t *)ph + ph->tp_mac;

	sll = (struct sockaddr_ll *)((uint8_t *)ph +
	    TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
	/* Frames the kernel itself sends on this interface are not ours. */
	if (sll->sll_pkttype == PACKET_OUTGOING)
		return;
	if (ph->tp_snaplen < ph->tp_len) {
		d->rx_dropped++;
		if (!l->warned_trunc) {
			logx("link: dropped a %u-byte frame larger than the "
			    "ring's block (GRO/TSO on? 'ethtool -K %s gro off' "
			    "and tso off on the sender)", ph->tp_len,
			    d->conf.ifname);
			l->warned_trunc = true;
		}
		return;
	}
	if ((ph->tp_status & TP_STATUS_CSUMNOTREADY) && !l->warned_csum) {
		logx("link: frames arrive with partial checksums (checksum "
		    "offload on the sending side); they will be dropped as "
		    "bad: 'ethtool -K <dev> tx off' on the sender");
		l->warned_csum = true;
	}
	d->rx_frames++;
	tcpx_input(d->eng, frame, ph->tp_snaplen, now);
}

void
link_rx(struct tcpxd *d, uint64_t now)
{
	struct link *l = d->link;
	struct tpacket_block_desc *bd;
	struct tpacket3_hdr *ph;
	unsigned n, i;

	for (n = 0; n < l->block_nr; n++) {
		bd = (struct tpacket_block_desc *)(l->ring +
		    (size_t)l->block * l->block_size);
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status,
		    __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		ph = (struct tpacket3_hdr *)((uint8_t *)bd +
		    bd->hdr.bh1.offset_to_first_pkt);
		for (i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			link_frame(d, l, ph, now);
			ph = (struct tpacket3_hdr *)((uint8_t *)ph +
			    ph->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
		    __ATOMIC_RELEASE);
		l->block = (l->block + 1) % l->block_nr;
		/* Frames out of this block may have produced replies. */
		loop_settle(d);
	}
}

void
link_flush(struct tcpxd *d)
{
	struct link *l = d->link;
	unsigned done = 0, tries = 0;
	int n;

	while (done < l->ntx) {
		n = sendmmsg(l->fd, l->msg + done, l->ntx - done, 0);
		if (n > 0) {
			d->tx_frames += (unsigned)n;
			done += (unsigned)n;
			tries = 0;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == ENOBUFS) &&
		    ++tries <= 3) {
			/* The queue is full: give it a moment, then retry. */
			struct pollfd pfd = { l->fd, POLLOUT, 0 };

			(void)poll(&pfd, 1, 1);
			continue;
		}
		/* Drop the frame at the head (TCP retransmits) and go on. */
		if (n < 0)
			logd("link: send: %s", strerror(errno));
		d->tx_dropped++;
		done++;
		tries = 0;
	}
	l->ntx = 0;
}

void
link_tx(struct tcpxd *d, const uint8_t *frame, size_t len)
{
	struct link *l = d->link;
	struct iovec iov;
	struct msghdr mh;

	if (len > l->slot) {
		/* Larger than the MTU said: send it alone, unbatched. */
		link_flush(d);
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = (void *)frame;
		iov.iov_len = len;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (l->sock_type == SOCK_DGRAM) {
			mh.msg_name = &l->dst;
			mh.msg_namelen = sizeof(l->dst);
		}
		if (sendmsg(l->fd, &mh, 0) >= 0)
			d->tx_frames++;
		return;
	}
	memcpy(l->iov[l->ntx].iov_base, frame, len);
	l->iov[l->ntx].iov_len = len;
	if (++l->ntx == TX_BATCH)
		link_flush(d);
}
