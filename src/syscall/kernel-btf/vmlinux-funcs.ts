// The functions and variables of the emulated vmlinux BTF: the `bpf_lsm_<hook>` FUNCs that LSM
// programs attach to (LSM-BPF-2), the kfuncs light skeletons resolve with
// bpf_btf_find_by_name_kind (LSK-HELP-1), the `btf_trace_<tracepoint>` typedefs tp_btf programs
// attach to, and the per-CPU variables typed ksyms refer to.
//
// Every signature below was checked against /sys/kernel/btf/vmlinux of a 6.18.44 kernel (OBSERVED);
// the BPF hooks also match spec LSM-HOOK-1. The real kernel has 280 bpf_lsm_* FUNCs in its BTF
// (and exports 560 bpf_lsm_* symbols, LSM-BPF-2); we carry the subset listed here.

/** LSM hooks with a `bpf_lsm_<name>` FUNC, as `ret name(params)`. The BPF hooks come first. */
export const LSM_HOOKS: readonly string[] = [
  // spec: LSM-HOOK-1 (v6.18 BPF hooks, with `bool kernel`)
  'int bpf(int cmd, union bpf_attr *attr, unsigned int size, bool kernel)',
  'int bpf_map(struct bpf_map *map, fmode_t fmode)',
  'int bpf_prog(struct bpf_prog *prog)',
  'int bpf_map_create(struct bpf_map *map, union bpf_attr *attr, struct bpf_token *token, bool kernel)',
  'void bpf_map_free(struct bpf_map *map)',
  'int bpf_prog_load(struct bpf_prog *prog, union bpf_attr *attr, struct bpf_token *token, bool kernel)',
  'void bpf_prog_free(struct bpf_prog *prog)',
  'int bpf_token_create(struct bpf_token *token, union bpf_attr *attr, const struct path *path)',
  'void bpf_token_free(struct bpf_token *token)',
  'int bpf_token_cmd(const struct bpf_token *token, enum bpf_cmd cmd)',
  'int bpf_token_capable(const struct bpf_token *token, int cap)',
  // common non-BPF hooks
  'int ptrace_access_check(struct task_struct *child, unsigned int mode)',
  'int ptrace_traceme(struct task_struct *parent)',
  'int capget(const struct task_struct *target, kernel_cap_t *effective, kernel_cap_t *inheritable, kernel_cap_t *permitted)',
  'int capable(const struct cred *cred, struct user_namespace *ns, int cap, unsigned int opts)',
  'int syslog(int type)',
  'int bprm_creds_for_exec(struct linux_binprm *bprm)',
  'int bprm_creds_from_file(struct linux_binprm *bprm, const struct file *file)',
  'int bprm_check_security(struct linux_binprm *bprm)',
  'void bprm_committing_creds(const struct linux_binprm *bprm)',
  'void bprm_committed_creds(const struct linux_binprm *bprm)',
  'int sb_alloc_security(struct super_block *sb)',
  'int sb_kern_mount(const struct super_block *sb)',
  'int sb_statfs(struct dentry *dentry)',
  'int sb_mount(const char *dev_name, const struct path *path, const char *type, long unsigned int flags, void *data)',
  'int sb_umount(struct vfsmount *mnt, int flags)',
  'int sb_pivotroot(const struct path *old_path, const struct path *new_path)',
  'int move_mount(const struct path *from_path, const struct path *to_path)',
  'int path_unlink(const struct path *dir, struct dentry *dentry)',
  'int path_mkdir(const struct path *dir, struct dentry *dentry, umode_t mode)',
  'int path_rmdir(const struct path *dir, struct dentry *dentry)',
  'int path_truncate(const struct path *path)',
  'int path_chmod(const struct path *path, umode_t mode)',
  'int path_chroot(const struct path *path)',
  'int inode_alloc_security(struct inode *inode)',
  'void inode_free_security(struct inode *inode)',
  'int inode_create(struct inode *dir, struct dentry *dentry, umode_t mode)',
  'int inode_link(struct dentry *old_dentry, struct inode *dir, struct dentry *new_dentry)',
  'int inode_unlink(struct inode *dir, struct dentry *dentry)',
  'int inode_rmdir(struct inode *dir, struct dentry *dentry)',
  'int inode_rename(struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir, struct dentry *new_dentry)',
  'int inode_readlink(struct dentry *dentry)',
  'int inode_permission(struct inode *inode, int mask)',
  'int inode_getattr(const struct path *path)',
  'int file_permission(struct file *file, int mask)',
  'int file_alloc_security(struct file *file)',
  'void file_free_security(struct file *file)',
  'int file_ioctl(struct file *file, unsigned int cmd, long unsigned int arg)',
  'int mmap_addr(long unsigned int addr)',
  'int mmap_file(struct file *file, long unsigned int reqprot, long unsigned int prot, long unsigned int flags)',
  'int file_mprotect(struct vm_area_struct *vma, long unsigned int reqprot, long unsigned int prot)',
  'int file_lock(struct file *file, unsigned int cmd)',
  'int file_fcntl(struct file *file, unsigned int cmd, long unsigned int arg)',
  'int file_receive(struct file *file)',
  'int file_open(struct file *file)',
  'int task_alloc(struct task_struct *task, u64 clone_flags)',
  'void task_free(struct task_struct *task)',
  'int cred_prepare(struct cred *new, const struct cred *old, gfp_t gfp)',
  'int kernel_module_request(char *kmod_name)',
  'int task_fix_setuid(struct cred *new, const struct cred *old, int flags)',
  'int task_setpgid(struct task_struct *p, pid_t pgid)',
  'int task_getpgid(struct task_struct *p)',
  'int task_getsid(struct task_struct *p)',
  'int task_setnice(struct task_struct *p, int nice)',
  'int task_setscheduler(struct task_struct *p)',
  'int task_kill(struct task_struct *p, struct kernel_siginfo *info, int sig, const struct cred *cred)',
  'int task_prctl(int option, long unsigned int arg2, long unsigned int arg3, long unsigned int arg4, long unsigned int arg5)',
  'int userns_create(const struct cred *cred)',
  'int socket_create(int family, int type, int protocol, int kern)',
  'int socket_post_create(struct socket *sock, int family, int type, int protocol, int kern)',
  'int socket_bind(struct socket *sock, struct sockaddr *address, int addrlen)',
  'int socket_connect(struct socket *sock, struct sockaddr *address, int addrlen)',
  'int socket_listen(struct socket *sock, int backlog)',
  'int socket_accept(struct socket *sock, struct socket *newsock)',
  'int socket_sendmsg(struct socket *sock, struct msghdr *msg, int size)',
  'int socket_recvmsg(struct socket *sock, struct msghdr *msg, int size, int flags)',
  'int socket_shutdown(struct socket *sock, int how)',
  'int socket_sock_rcv_skb(struct sock *sk, struct sk_buff *skb)',
  'int sk_alloc_security(struct sock *sk, int family, gfp_t priority)',
  'int key_alloc(struct key *key, const struct cred *cred, long unsigned int flags)',
  'int perf_event_open(int type)',
];

/** kfuncs (BPF-callable kernel functions), as C signatures. */
export const KFUNCS: readonly string[] = [
  'struct task_struct *bpf_task_acquire(struct task_struct *p)',
  'void bpf_task_release(struct task_struct *p)',
  'struct task_struct *bpf_task_from_pid(s32 pid)',
  'struct task_struct *bpf_task_from_vpid(s32 vpid)',
  'struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp)',
  'void bpf_cgroup_release(struct cgroup *cgrp)',
  'struct cgroup *bpf_cgroup_from_id(u64 cgid)',
  'void bpf_rcu_read_lock(void)',
  'void bpf_rcu_read_unlock(void)',
  'void *bpf_obj_new_impl(u64 local_type_id__k, void *meta__ign)',
  'void bpf_obj_drop_impl(void *p__alloc, void *meta__ign)',
  'void *bpf_cast_to_kern_ctx(void *obj)',
  'void *bpf_rdonly_cast(const void *obj__ign, u32 btf_id__k)',
  'struct bpf_cpumask *bpf_cpumask_create(void)',
  'void bpf_cpumask_release(struct bpf_cpumask *cpumask)',
  'struct file *bpf_get_task_exe_file(struct task_struct *task)',
  'void bpf_put_file(struct file *file)',
  'int bpf_path_d_path(const struct path *path, char *buf, size_t buf__sz)',
  'int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end)',
  'int *bpf_iter_num_next(struct bpf_iter_num *it)',
  'void bpf_iter_num_destroy(struct bpf_iter_num *it)',
  's64 bpf_map_sum_elem_count(const struct bpf_map *map)',
  'void bpf_throw(u64 cookie)',
];

/** Other kernel functions with BTF: fentry/fexit targets and the `bpf_iter_<target>` FUNCs iterators attach to. */
export const TRACED_FUNCS: readonly string[] = [
  'int do_unlinkat(int dfd, struct filename *name)',
  'int do_sys_openat2(int dfd, const char *filename, struct open_how *how)',
  'ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)',
  'ssize_t vfs_write(struct file *file, const char *buf, size_t count, loff_t *pos)',
  'int security_bpf_prog_load(struct bpf_prog *prog, union bpf_attr *attr, struct bpf_token *token, bool kernel)',
  'void wake_up_new_task(struct task_struct *p)',
  'void do_exit(long int code)',
  'int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)',
  'int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)',
  'int bpf_iter_task(struct bpf_iter_meta *meta, struct task_struct *task)',
  'int bpf_iter_bpf_map(struct bpf_iter_meta *meta, struct bpf_map *map)',
  'int bpf_iter_bpf_prog(struct bpf_iter_meta *meta, struct bpf_prog *prog)',
];

/**
 * Tracepoints with a `btf_trace_<name>` typedef (a pointer to `void (void *, args...)`), the
 * attach targets of tp_btf / raw_tp programs. Parameter names are not kept (as in vmlinux BTF).
 */
export const TRACEPOINTS: readonly string[] = [
  'void task_newtask(struct task_struct *task, u64 clone_flags)',
  'void task_rename(struct task_struct *task, const char *comm)',
  'void sched_switch(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)',
  'void sched_wakeup(struct task_struct *p)',
  'void sched_wakeup_new(struct task_struct *p)',
  'void sched_process_fork(struct task_struct *parent, struct task_struct *child)',
  'void sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)',
  'void sched_process_exit(struct task_struct *p, bool group_dead)',
  'void sched_process_free(struct task_struct *p)',
  'void sys_enter(struct pt_regs *regs, long int id)',
  'void sys_exit(struct pt_regs *regs, long int ret)',
  'void cgroup_mkdir(struct cgroup *cgrp, const char *path)',
  'void bpf_trace_printk(const char *bpf_string)',
];

/** Per-CPU variables (the only variables pahole puts in vmlinux BTF): [name, type]. */
export const PERCPU_VARS: ReadonlyArray<readonly [string, string]> = [
  ['bpf_prog_active', 'int'],
  ['runqueues', 'struct rq'],
  ['bpf_bprintf_nest_level', 'int'],
];
