/*
 * marks.bpf.c - loss and duplication of chosen packets, for scenarios
 * that must lose the same segments on every run (scripts/compare).  The
 * sending program marks a segment by its IP TOS while it writes it
 * (IP_TOS set around one write() with TCP_NODELAY); a resend later
 * carries the socket's TOS again, unmarked.  On the egress of the
 * sender's interface (clsact, cls_bpf direct action):
 *	TOS 0x20 (DSCP CS1)	taken: lost on the wire (TC_ACT_STOLEN; see
 *				impair.bpf.c for why not TC_ACT_SHOT)
 *	TOS 0x40 (DSCP CS2)	sent twice
 * Everything else passes.  Build: clang -O2 -target bpf -c
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#define SEC(name)	__attribute__((section(name), used))
#define ETH_HLEN	14
#define TOS_LOSE	0x20
#define TOS_TWICE	0x40
#define MARK_SEEN	0x7c5u	/* the copy passes when it comes round */

static long (*clone_redirect)(struct __sk_buff *skb, __u32 ifindex,
    __u64 flags) = (void *)BPF_FUNC_clone_redirect;

SEC("tc")
int
marks(struct __sk_buff *skb)
{
	__u8 *data = (__u8 *)(long)skb->data;
	__u8 *end = (__u8 *)(long)skb->data_end;
	__u8 tos;

	if (skb->protocol != __builtin_bswap16(0x0800) ||
	    skb->mark == MARK_SEEN || data + ETH_HLEN + 20 > end)
		return TC_ACT_OK;
	tos = data[ETH_HLEN + 1] & 0xfc;
	if (tos == TOS_LOSE)
		return TC_ACT_STOLEN;
	if (tos == TOS_TWICE) {
		skb->mark = MARK_SEEN;
		clone_redirect(skb, skb->ifindex, 0);
	}
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
