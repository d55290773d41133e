// SPDX-License-Identifier: GPL-2.0
/*
 * hello: the default object of `bpfsig demo`.
 *
 * Small but representative of what a light skeleton has to set up:
 *   - one BPF_MAP_TYPE_ARRAY map    (`calls`, 8 slots, u32 -> u64)
 *   - one .rodata global            (`only_tgid`, const volatile: set from the skeleton before load)
 *   - one .bss global               (`last_tgid`)
 *   - one tracepoint program        (loads on every kernel with tracepoints)
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

const volatile __u32 only_tgid = 0;	/* .rodata */
__u32 last_tgid;			/* .bss */

SEC("tracepoint/syscalls/sys_enter_execve")
int count_execve(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 slot = tgid & 7;
	__u64 *n;

	if (only_tgid && tgid != only_tgid)
		return 0;
	last_tgid = tgid;
	n = bpf_map_lookup_elem(&calls, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}
