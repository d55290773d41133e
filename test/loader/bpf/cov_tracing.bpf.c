// SPDX-License-Identifier: GPL-2.0
/* Test object: BTF-attached program types (fentry, fexit.s, tp_btf, lsm.s, iter), a plain
 * tracepoint after a tp_btf program, strong and weak kfuncs, a typed ksym. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct task_struct { int pid; } __attribute__((preserve_access_index));
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern const int bpf_prog_active __ksym;
int seen;
SEC("fentry/do_unlinkat")
int f(unsigned long long *ctx) { struct task_struct *t = bpf_task_acquire((void*)bpf_get_current_task_btf()); if (t) { seen = t->pid; bpf_task_release(t);} return 0; }
SEC("fexit.s/do_unlinkat")
int fx(unsigned long long *ctx) { seen += 1; return 0; }
SEC("tp_btf/sched_switch")
int tpb(unsigned long long *ctx) { struct task_struct *t = bpf_task_acquire((void*)bpf_get_current_task_btf()); if (t) bpf_task_release(t); bpf_rcu_read_lock(); return 0; }
SEC("tracepoint/syscalls/sys_enter_openat")
int plain_tp(void *ctx) { seen += *(int *)bpf_this_cpu_ptr(&bpf_prog_active); return 0; }
SEC("lsm.s/file_open")
int lsm_s(unsigned long long *ctx) { return 0; }
SEC("iter/task")
int it(void *ctx) { return 0; }
