// SPDX-License-Identifier: GPL-2.0
/* Test object: CO-RE relocations in the main program and in sub-programs shared by several
 * programs (one of them not autoloaded), bpf_printk strings. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
char LICENSE[] SEC("license") = "GPL";
struct task_struct { int pid; int tgid; struct task_struct *parent; char comm[16]; } __attribute__((preserve_access_index));
static __noinline int ptgid(struct task_struct *t) { return BPF_CORE_READ(t, parent, tgid) + bpf_core_field_exists(t->comm); }
__noinline int gsub(struct task_struct *t) { return BPF_CORE_READ(t, pid) + ptgid(t); }
SEC("kprobe/a")
int ka(void *ctx) { struct task_struct *t = (void *)bpf_get_current_task(); bpf_printk("hi %d", 1); return ptgid(t) + gsub(t) + bpf_core_type_size(struct task_struct); }
SEC("?kprobe/b")
int kb(void *ctx) { struct task_struct *t = (void *)bpf_get_current_task(); return gsub(t); }
SEC("kprobe/c")
int kc(void *ctx) { struct task_struct *t = (void *)bpf_get_current_task(); bpf_printk("x"); return gsub(t) + BPF_CORE_READ(t, tgid); }
