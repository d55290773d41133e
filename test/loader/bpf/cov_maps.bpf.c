// SPDX-License-Identifier: GPL-2.0
/* Test object: map-in-map with an inner map, perf event array, bloom filter (map_extra), hash with
 * BPF_F_NO_PREALLOC, typed ksyms used repeatedly and a weak one, repeated kfuncs, hidden and
 * static variables, a hidden global sub-program. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int); __type(value, int); };
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 4); __type(key, int); __array(values, struct inner); } outer SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(max_entries, 4); __uint(key_size, sizeof(int)); __uint(value_size, sizeof(int)); } events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_BLOOM_FILTER); __uint(max_entries, 16); __uint(map_extra, 3); __type(value, __u32); } bloom SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, __u32); __type(value, __u64); } h SEC(".maps");
struct task_struct { int pid; } __attribute__((preserve_access_index));
struct rq { int cpu; } __attribute__((preserve_access_index));
extern const struct rq runqueues __ksym;
extern const struct rq weak_rq __ksym __weak;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
__attribute__((visibility("hidden"))) int hidden_var;
static int static_var;
int global_var;
__attribute__((visibility("hidden"))) __noinline int hidden_func(int x) { return x + hidden_var; }
SEC("tp_btf/sched_switch")
int a(unsigned long long *ctx) {
  int k = 0; void *m = bpf_map_lookup_elem(&outer, &k); if (m) bpf_map_lookup_elem(m, &k);
  struct rq *r = (void*)bpf_this_cpu_ptr(&runqueues); struct rq *r2 = (void*)bpf_this_cpu_ptr(&runqueues);
  struct task_struct *t = bpf_task_acquire((void*)bpf_get_current_task_btf()); if (t) bpf_task_release(t);
  t = bpf_task_acquire((void*)bpf_get_current_task_btf()); if (t) bpf_task_release(t);
  bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &k, 4);
  __u32 v = 1; bpf_map_push_elem(&bloom, &v, 0);
  static_var++; global_var++;
  return r->cpu + r2->cpu + hidden_func(1) + (&weak_rq ? 1 : 0);
}
SEC("tp_btf/sched_wakeup")
int b(unsigned long long *ctx) {
  struct task_struct *t = bpf_task_acquire((void*)bpf_get_current_task_btf()); if (t) bpf_task_release(t);
  struct rq *r = (void*)bpf_this_cpu_ptr(&runqueues);
  __u32 k = 1; bpf_map_lookup_elem(&h, &k);
  return r->cpu;
}
