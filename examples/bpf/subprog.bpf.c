// SPDX-License-Identifier: GPL-2.0
/*
 * subprog: two programs sharing sub-programs, so the generator has to append and relocate
 * `.text` functions per program (and carry their func/line info along).
 *   - a socket filter and a kprobe
 *   - a static __noinline sub-program and a global one
 *   - a BPF_MAP_TYPE_HASH map, a .data global, a string literal in .rodata.str1.1
 *   - a bpf_loop() callback (a sub-program whose address is taken: BPF_PSEUDO_FUNC)
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

__u32 weight = 3;	/* .data */
__u64 loops;		/* .bss */

static __noinline int bump(__u32 key, __u64 by)
{
	__u64 *v = bpf_map_lookup_elem(&seen, &key);

	if (!v)
		return bpf_map_update_elem(&seen, &key, &by, BPF_NOEXIST);
	__sync_fetch_and_add(v, by);
	return 0;
}

__noinline int weigh(__u32 len)
{
	return len * weight;
}

static int step(__u32 idx, void *ctx)
{
	loops += idx;
	return 0;
}

SEC("socket")
int count_packets(struct __sk_buff *skb)
{
	bump(skb->protocol & 0xff, weigh(skb->len));
	return skb->len;
}

SEC("kprobe/do_nanosleep")
int on_sleep(void *ctx)
{
	char comm[16];

	bpf_get_current_comm(comm, sizeof(comm));
	if (bpf_strncmp(comm, 6, "sleep") == 0)
		bump(1, 1);
	bpf_loop(4, step, NULL, 0);
	return 0;
}
