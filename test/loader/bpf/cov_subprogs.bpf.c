// SPDX-License-Identifier: GPL-2.0
/* Test object: sub-programs (static, global, nested, bpf_loop callback), ringbuf, percpu and LRU
 * maps, custom .data/.rodata sections, an XDP frags program and a non-autoload (?) program. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "Dual BSD/GPL";
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 5000); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 2); __type(key, int); __type(value, long); } pc SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 64); __uint(map_flags, 0); __type(key, long); __type(value, char[24]); } lru SEC(".maps");
int counter = 3;
int zero_one;
static volatile const char msg[] = "hello";
int data_custom SEC(".data.custom") = 42;
const volatile long ro_custom SEC(".rodata.custom") = 7;
static __noinline int leaf(int x) { return x * counter + msg[1]; }
static __noinline int mid(int x) { return leaf(x) + leaf(x + 1); }
__noinline int global_helper(int x) { return x + data_custom + ro_custom; }
static int cb(__u32 idx, void *ctx) { zero_one += idx; return 0; }
SEC("tracepoint/sched/sched_switch")
int tp_a(void *ctx) { int k = 0; long *v = bpf_map_lookup_elem(&pc, &k); if (v) *v += mid(2); bpf_loop(3, cb, 0, 0); return global_helper(1); }
SEC("xdp.frags")
int xdp_b(struct xdp_md *ctx) { return mid(5) ? XDP_PASS : XDP_DROP; }
SEC("?socket")
int sock_c(void *ctx) { long k = 1; bpf_map_lookup_elem(&lru, &k); return leaf(0); }
SEC("raw_tp/sys_enter")
int rawtp(void *ctx) { void *p = bpf_ringbuf_reserve(&rb, 8, 0); if (p) bpf_ringbuf_discard(p, 0); return 0; }
