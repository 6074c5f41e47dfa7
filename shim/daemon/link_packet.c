/*
 * link_packet.c - frames in and out of the interface with AF_PACKET.
 *
 * Two paths, chosen at start and logged:
 *
 * vnet (Ethernet links where PACKET_VNET_HDR is accepted, e.g. veth and
 *   most NICs): every frame in either direction carries a struct
 *   virtio_net_hdr.  TX hands the kernel whole TCP super-segments (up to
 *   64 KB, gso_type TCPV4, CHECKSUM_PARTIAL) that it segments late or
 *   passes whole to a veth peer; RX takes GRO'd or GSO frames of up to
 *   64 KB whose checksums the kernel vouches for (NEEDS_CSUM/DATA_VALID).
 *   iface.c switches GRO/GSO/TSO/checksum offloads on for it.
 * plain (tun devices, TCPXD_VNET=0, or a kernel that refuses the option):
 *   MTU-sized frames with complete checksums; iface.c switches the
 *   offloads off so that nothing larger arrives.
 *
 * RX: recvmmsg(2) batches by default.  A TPACKET_V3 ring (TCPXD_RX=ring)
 * saves the system call but hands frames over per block, so a lone frame
 * waits for the block's 1 ms retire timer: measured in the lab, 1-byte
 * request/response took 1 ms at the median against 51 us with recvmmsg,
 * and bulk receive was slower too (9 against 16 Gbit/s).  Both have a classic BPF filter
 * compiled by libpcap so that only ARP and IPv4 to the stack's address
 * wake tcpxd.
 * TX: frames the engine emits are copied into one arena and sent with one
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
#include <linux/virtio_net.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpxd.h"

#define RX_RING_BYTES	(16u << 20)	/* the whole V3 ring */
#define RX_BLOCK_DEFAULT (256u << 10)
#define RX_FRAME_SIZE	2048		/* V3 ignores it except for checks */
#define RX_RETIRE_MS	1
#define RX_BATCH	32		/* recvmmsg: frames per call */
#define RX_SLOT		(65536 + 256)	/* a 64 KB frame, vnet and link header */
#define TX_BATCH	64
#define TX_ARENA	(1u << 20)	/* frames queued for one sendmmsg */
#define VNET_LEN	sizeof(struct virtio_net_hdr)

struct link {
	int fd;
	int sock_type;		/* SOCK_RAW (Ethernet) or SOCK_DGRAM (tun) */
	bool vnet;		/* PACKET_VNET_HDR: every frame has one */
	bool use_ring;		/* TPACKET_V3 ring, else recvmmsg */
	uint8_t *ring;
	size_t ring_len;
	unsigned block;		/* next block to look at */
	unsigned block_size, block_nr;
	uint8_t *rxbuf;		/* recvmmsg: RX_BATCH slots of RX_SLOT */
	struct iovec riov[RX_BATCH];
	struct mmsghdr rmsg[RX_BATCH];
	struct sockaddr_ll rsll[RX_BATCH];
	struct sockaddr_ll dst;	/* SOCK_DGRAM destination */
	unsigned ntx;
	size_t txused;		/* bytes of txbuf in use */
	uint8_t *txbuf;		/* TX_ARENA bytes */
	struct iovec iov[TX_BATCH][2];	/* headers, then a gathered payload */
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
 * Block size of the V3 ring.  A block reaches us when it is full or when
 * its retire timer (1 ms, the minimum) fires.  256 KB blocks moved 100
 * MB at least as fast as 4 KB or 16 KB ones.  TCPXD_RX_BLOCK=bytes
 * overrides it (rounded up to a power of two; at least a page and one
 * whole frame: the MTU, or 64 KB with the vnet header).
 */
static unsigned
ring_block_size(const struct tcpxd *d, const struct link *l)
{
	unsigned need = (unsigned)d->mtu + 14 + 4 + 128, bs;
	long page = sysconf(_SC_PAGESIZE);
	const char *env = getenv("TCPXD_RX_BLOCK");
	unsigned want = RX_BLOCK_DEFAULT;

	if (l->vnet)
		need = RX_SLOT + 128;
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
	int v = TPACKET_V3;

	if (setsockopt(l->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
		snprintf(err, errlen, "PACKET_VERSION v3: %s", strerror(errno));
		return -1;
	}
	l->block_size = ring_block_size(d, l);
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

static int
link_rxbufs(struct link *l, char *err, size_t errlen)
{
	unsigned i;

	l->rxbuf = malloc((size_t)RX_SLOT * RX_BATCH);
	if (l->rxbuf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < RX_BATCH; i++) {
		l->riov[i].iov_base = l->rxbuf + (size_t)i * RX_SLOT;
		l->riov[i].iov_len = RX_SLOT;
		l->rmsg[i].msg_hdr.msg_iov = &l->riov[i];
		l->rmsg[i].msg_hdr.msg_iovlen = 1;
		l->rmsg[i].msg_hdr.msg_name = &l->rsll[i];
		l->rmsg[i].msg_hdr.msg_namelen = sizeof(l->rsll[i]);
	}
	return 0;
}

/* PACKET_VNET_HDR where it makes sense; false keeps the plain path. */
static bool
link_try_vnet(struct tcpxd *d, struct link *l)
{
	const char *env = getenv("TCPXD_VNET");
	int one = 1;

	if (d->linktype != TCPX_LINK_ETHER)
		return false;	/* tun: the reader, not us, sets offloads */
	if (env != NULL && strcmp(env, "0") == 0) {
		logi("link: PACKET_VNET_HDR not used (TCPXD_VNET=0)");
		return false;
	}
	if (setsockopt(l->fd, SOL_PACKET, PACKET_VNET_HDR, &one,
	    sizeof(one)) < 0) {
		logi("link: PACKET_VNET_HDR refused (%s): plain frames",
		    strerror(errno));
		return false;
	}
	return true;
}

int
link_open(struct tcpxd *d, char *err, size_t errlen)
{
	struct link *l;
	struct sockaddr_ll sll;
	const char *rx = getenv("TCPXD_RX");
	int sndbuf = 4 << 20, rcvbuf = 8 << 20, off = 0;
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
	/* The vnet option must come before the ring exists. */
	l->vnet = link_try_vnet(d, l);
	l->use_ring = rx != NULL && strcmp(rx, "ring") == 0;
	/* Keep the qdisc: bursts queue in the kernel instead of failing. */
	(void)setsockopt(l->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &off,
	    sizeof(off));
	if (link_filter(d, l, err, errlen) < 0)
		return -1;
	if (l->use_ring ? link_ring(d, l, err, errlen) < 0 :
	    link_rxbufs(l, err, errlen) < 0)
		return -1;
	(void)setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (!l->use_ring &&
	    setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
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
	l->txbuf = malloc(TX_ARENA);
	if (l->txbuf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < TX_BATCH; i++) {
		l->msg[i].msg_hdr.msg_iov = l->iov[i];
		l->msg[i].msg_hdr.msg_iovlen = 1;
		if (l->sock_type == SOCK_DGRAM) {
			l->msg[i].msg_hdr.msg_name = &l->dst;
			l->msg[i].msg_hdr.msg_namelen = sizeof(l->dst);
		}
	}
	logi("link: %s path (%s), RX by %s",
	    l->vnet ? "vnet" : "plain",
	    l->vnet ? "PACKET_VNET_HDR: 64 KB GSO sends, GRO'd receives" :
	    "MTU-sized frames, offloads off",
	    l->use_ring ? "TPACKET_V3 ring" : "recvmmsg");
	return 0;
}

int
link_fd(const struct tcpxd *d)
{
	return d->link != NULL ? d->link->fd : -1;
}

bool
link_vnet(const struct tcpxd *d)
{
	return d->link != NULL && d->link->vnet;
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
	free(l->rxbuf);
	free(l->txbuf);
	free(l);
	d->link = NULL;
}

/*
 * One received frame; `frame` starts at the link header, the vnet header
 * (if any) just before it.  The kernel's word on checksums comes from
 * the vnet header, or from the ring's status bits.
 */
static void
link_frame(struct tcpxd *d, struct link *l, uint8_t *frame, size_t len,
    size_t wire_len, unsigned char pkttype, unsigned status, uint64_t now)
{
	unsigned flags = 0;

	/* Frames the kernel itself sends on this interface are not ours. */
	if (pkttype == PACKET_OUTGOING)
		return;
	if (len < wire_len) {
		d->rx_dropped++;
		if (!l->warned_trunc) {
			logx("link: dropped a %zu-byte frame larger than the "
			    "receive buffer (GRO/TSO on without the vnet "
			    "path? 'ethtool -K %s gro off' and tso off on the "
			    "sender)", wire_len, d->conf.ifname);
			l->warned_trunc = true;
		}
		return;
	}
	if (l->vnet) {
		const struct virtio_net_hdr *vh =
		    (const struct virtio_net_hdr *)(frame - VNET_LEN);

		if (vh->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM |
		    VIRTIO_NET_HDR_F_DATA_VALID))
			flags |= TCPX_RX_CSUM_OK;
	} else if (status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID)) {
		/* Partial (sent by this host) or checked by the NIC/kernel. */
		flags |= TCPX_RX_CSUM_OK;
	}
	d->rx_frames++;
	tcpx_input_ex(d->eng, frame, len, now, flags);
}

static void
link_rx_ring(struct tcpxd *d, struct link *l)
{
	struct tpacket_block_desc *bd;
	struct tpacket3_hdr *ph;
	struct sockaddr_ll *sll;
	unsigned n, i;
	uint64_t now;

	for (n = 0; n < l->block_nr; n++) {
		bd = (struct tpacket_block_desc *)(l->ring +
		    (size_t)l->block * l->block_size);
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status,
		    __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		now = now_us();
		bridge_held_refresh_all(d);
		ph = (struct tpacket3_hdr *)((uint8_t *)bd +
		    bd->hdr.bh1.offset_to_first_pkt);
		for (i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			sll = (struct sockaddr_ll *)((uint8_t *)ph +
			    TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
			link_frame(d, l, (uint8_t *)ph + ph->tp_mac,
			    ph->tp_snaplen, ph->tp_len, sll->sll_pkttype,
			    ph->tp_status, now);
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

/* Returns the number of frames read (0: the socket is empty). */
static unsigned
link_rx_mmsg(struct tcpxd *d, struct link *l)
{
	unsigned total = 0, i;
	size_t hl = l->vnet ? VNET_LEN : 0, len;
	uint64_t now;
	int n;

	for (;;) {
		for (i = 0; i < RX_BATCH; i++)
			l->rmsg[i].msg_hdr.msg_namelen = sizeof(l->rsll[i]);
		n = recvmmsg(l->fd, l->rmsg, RX_BATCH, MSG_TRUNC, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		now = now_us();
		/* The program's reads since, in the windows these ACK with. */
		bridge_held_refresh_all(d);
		/* The slots hold still until the next recvmmsg. */
		d->rx_defer = true;
		for (i = 0; i < (unsigned)n; i++) {
			len = l->rmsg[i].msg_len;
			if (len < hl)
				continue;
			link_frame(d, l, (uint8_t *)l->riov[i].iov_base + hl,
			    len > RX_SLOT ? RX_SLOT - hl : len - hl, len - hl,
			    l->rsll[i].sll_pkttype, 0, now);
		}
		total += (unsigned)n;
		d->rx_defer = false;
		loop_settle(d);	/* writes what the frames left deferred first */
		if (n < RX_BATCH)
			break;
	}
	return total;
}

unsigned
link_rx(struct tcpxd *d)
{
	struct link *l = d->link;

	if (l->use_ring) {
		link_rx_ring(d, l);
		return 0;
	}
	return link_rx_mmsg(d, l);
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
	l->txused = 0;
	/* Gathered payloads (link_tx_gather) may change from here on
	 * (no engine yet while it sends its first frames). */
	if (d->eng != NULL)
		tcpx_tx_sent(d->eng);
}

/*
 * Room for the engine to build its next frame in (ops->tx_frame): the
 * arena's next slot, after its vnet header, so that link_queue finds
 * the frame in place and copies nothing.
 */
uint8_t *
link_tx_room(struct tcpxd *d, size_t max)
{
	struct link *l = d->link;
	size_t hl = l->vnet ? VNET_LEN : 0;

	if (hl + max > TX_ARENA)
		return NULL;
	if (l->txused + hl + max > TX_ARENA)
		link_flush(d);
	return l->txbuf + l->txused + hl;
}

/* The GSO header of a TCP super-segment whose TCP header is at csum_start. */
static void
gso_hdr(struct virtio_net_hdr *vh, const uint8_t *frame, uint16_t gso_size,
    uint16_t csum_start, uint16_t csum_offset)
{
	size_t thl = (size_t)(frame[csum_start + 12] >> 4) * 4;

	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh->hdr_len = (uint16_t)(csum_start + thl);
	vh->gso_size = gso_size;
	vh->csum_start = csum_start;
	vh->csum_offset = csum_offset;
}

/*
 * Queue one frame with its vnet header (vh NULL: an ordinary frame),
 * and a payload to send after it from where it lies (plen 0: none).
 */
static void
link_queue(struct tcpxd *d, const struct virtio_net_hdr *vh,
    const uint8_t *frame, size_t len, const uint8_t *payload, size_t plen)
{
	struct link *l = d->link;
	size_t hl = l->vnet ? VNET_LEN : 0;
	struct iovec *iov;
	uint8_t *p;

	if (hl + len > TX_ARENA)
		return;		/* cannot happen: frames are at most 64 KB */
	/* Built in place (link_tx_room): the slot is the frame's already. */
	if (frame != l->txbuf + l->txused + hl &&
	    l->txused + hl + len > TX_ARENA)
		link_flush(d);
	p = l->txbuf + l->txused;
	if (hl != 0) {
		if (vh != NULL)
			memcpy(p, vh, hl);
		else
			memset(p, 0, hl);	/* GSO_NONE, no flags */
	}
	if (frame != p + hl)
		memcpy(p + hl, frame, len);
	iov = l->iov[l->ntx];
	iov[0].iov_base = p;
	iov[0].iov_len = hl + len;
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = plen;
	l->msg[l->ntx].msg_hdr.msg_iovlen = plen != 0 ? 2 : 1;
	/* Keep every frame 16-byte aligned in the arena. */
	l->txused += (hl + len + 15) & ~(size_t)15;
	if (++l->ntx == TX_BATCH)
		link_flush(d);
}

void
link_tx(struct tcpxd *d, const uint8_t *frame, size_t len)
{
	link_queue(d, NULL, frame, len, NULL, 0);
}

/*
 * A TCP super-segment (engine ops->output_gso): the kernel cuts it into
 * gso_size pieces, or passes it whole to a veth peer, and completes the
 * TCP checksum from csum_start (the partial sum is in the field).
 */
void
link_tx_gso(struct tcpxd *d, const uint8_t *frame, size_t len,
    uint16_t gso_size, uint16_t csum_start, uint16_t csum_offset)
{
	link_tx_gather(d, frame, len, NULL, 0, gso_size, csum_start,
	    csum_offset);
}

/*
 * The same with the payload left where it lies (ops->output_gso_gather):
 * the headers go to the arena, the kernel copies the payload straight
 * from the engine's send queue.  It stays put until link_flush sends it
 * (the engine fences, ops->tx_fence, before it moves a queue).
 */
void
link_tx_gather(struct tcpxd *d, const uint8_t *hdr, size_t hdrlen,
    const uint8_t *payload, size_t plen, uint16_t gso_size,
    uint16_t csum_start, uint16_t csum_offset)
{
	struct virtio_net_hdr vh;

	if (!d->link->vnet || hdrlen < (size_t)csum_start + 20)
		return;		/* the engine only does this with vnet on */
	gso_hdr(&vh, hdr, gso_size, csum_start, csum_offset);
	link_queue(d, &vh, hdr, hdrlen, payload, plen);
}
