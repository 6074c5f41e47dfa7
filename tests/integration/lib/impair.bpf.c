/*
 * impair.bpf.c - netem's loss, duplication and reordering for a kernel
 * built without sch_netem (the lab's): a tc egress classifier (clsact,
 * cls_bpf direct action) in front of an HTB root qdisc.  A packet is
 * dropped with LOSS_PPM parts per million, copied once more onto the wire
 * with DUP_PPM, or given priority 1:2 with REORDER_PPM so that HTB puts
 * it in its slow class, behind the packets that follow it.  Non-IPv4
 * frames (ARP) pass untouched.  Used by tests/integration/lib/impair.sh.
 *
 * A lost packet is taken (TC_ACT_STOLEN), not dropped (TC_ACT_SHOT): a
 * drop at egress is reported to the sender as NET_XMIT_DROP, so a
 * kernel TCP sender keeps the segment and sends it again at its next
 * chance, and tcpxd's sendmmsg retries the frame; neither would see a
 * loss.  Taken, the packet is gone as on a wire, and the sender is
 * told it went.
 * Build: clang -O2 -target bpf -DLOSS_PPM=.. -DDUP_PPM=.. -DREORDER_PPM=..
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#define SEC(name)	__attribute__((section(name), used))
#define SLOW_CLASS	0x00010002u	/* HTB class 1:2 */

static __u32 (*get_prandom_u32)(void) = (void *)BPF_FUNC_get_prandom_u32;
static long (*clone_redirect)(struct __sk_buff *skb, __u32 ifindex,
    __u64 flags) = (void *)BPF_FUNC_clone_redirect;

SEC("tc")
int
impair(struct __sk_buff *skb)
{
	if (skb->protocol != __builtin_bswap16(0x0800))
		return TC_ACT_OK;
	if (get_prandom_u32() % 1000000 < LOSS_PPM)
		return TC_ACT_STOLEN;
	if (get_prandom_u32() % 1000000 < DUP_PPM)
		clone_redirect(skb, skb->ifindex, 0);
	if (get_prandom_u32() % 1000000 < REORDER_PPM)
		skb->priority = SLOW_CLASS;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
