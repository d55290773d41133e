// SPDX-License-Identifier: GPL-2.0
/*
 * kfunc_core: what the loader resolves at run time inside the kernel.
 *   - a tp_btf program (attach target looked up with bpf_btf_find_by_name_kind)
 *   - kfunc calls (bpf_task_acquire / bpf_task_release: BTF ids patched by the loader)
 *   - a typed ksym (bpf_prog_active: BTF id + object fd patched by the loader)
 *   - CO-RE field reads handed to the kernel as struct bpf_core_relo records
 * No vmlinux.h: the kernel types are declared locally with preserve_access_index.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
} __attribute__((preserve_access_index));

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern const int bpf_prog_active __ksym;

int parent_tgid;	/* .bss */
int active;		/* .bss */

SEC("tp_btf/sched_process_fork")
int on_fork(__u64 *ctx)
{
	struct task_struct *t = bpf_task_acquire(bpf_get_current_task_btf());
	int *a;

	if (!t)
		return 0;
	parent_tgid = BPF_CORE_READ(t, real_parent, tgid);
	a = bpf_this_cpu_ptr(&bpf_prog_active);
	active = *a;
	bpf_task_release(t);
	return 0;
}
