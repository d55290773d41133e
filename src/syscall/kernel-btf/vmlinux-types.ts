// The data types of the emulated kernel's vmlinux BTF: base types and typedefs, the structs BPF
// programs commonly read (task_struct, cred, file, bpf_map, bpf_prog, ...), the BPF UAPI enums and
// `union bpf_attr`.
//
// Where the numbers come from (see docs/fidelity.md, "Kernel BTF"):
// - Member offsets and struct sizes were OBSERVED in /sys/kernel/btf/vmlinux of a 6.18.44 x86-64
//   kernel (6.18.44-fc-v669, a small Firecracker config). Which members we list is our choice:
//   every struct carries only a subset of its members (the real task_struct has 248).
// - `struct bpf_map`: MHASH-8 (v6.18 as released: `u8 sha[32]`, then `ops` at 32). The observed
//   6.18.44 kernel also has `u32 excl` at 32 and `ops` at 40 (the member MHASH-9 reads); the
//   `bpfMapExcl` option selects that layout. The v6.18-release offsets after `ops` are the observed
//   ones minus 8 (INFERRED).
// - `union bpf_attr` is derived from the same layout tables the syscall layer decodes with
//   (src/syscall/uapi/attr-layouts.ts), so its offsets cannot drift from the attr codec.

import { BPF_ATTACH_TYPES } from './uapi-enums.js';
import { CTypes, type MemberRow } from './ctypes.js';
import { BpfCmd, MapType, ProgType } from '../uapi/consts.js';
import { BTF_LOAD, MAP_CREATE, OBJ_GET_INFO_BY_FD, PROG_LOAD, PROG_TEST_RUN } from '../uapi/attr-layouts.js';
import type { FieldDef, Layout, UapiFeature } from '../uapi/layout.js';

export interface VmlinuxTypeOptions {
  /** UAPI additions present in `union bpf_attr` (default: the v6.18 signing fields). */
  uapiFeatures: readonly UapiFeature[];
  /** `struct bpf_map` with the `u32 excl` member at offset 32 (as OBSERVED on 6.18.44). */
  bpfMapExcl: boolean;
}

/** Typedefs, in the order pahole emits such chains (target first). */
const TYPEDEFS: ReadonlyArray<readonly [string, string]> = [
  ['__u8', 'unsigned char'],
  ['u8', '__u8'],
  ['__s8', 'signed char'],
  ['s8', '__s8'],
  ['__u16', 'short unsigned int'],
  ['u16', '__u16'],
  ['__s16', 'short int'],
  ['s16', '__s16'],
  ['__u32', 'unsigned int'],
  ['u32', '__u32'],
  ['__s32', 'int'],
  ['s32', '__s32'],
  ['__u64', 'long long unsigned int'],
  ['u64', '__u64'],
  ['__s64', 'long long int'],
  ['s64', '__s64'],
  ['bool', '_Bool'],
  ['__kernel_pid_t', 'int'],
  ['pid_t', '__kernel_pid_t'],
  ['__kernel_size_t', 'long unsigned int'],
  ['size_t', '__kernel_size_t'],
  ['__kernel_loff_t', 'long long int'],
  ['loff_t', '__kernel_loff_t'],
  ['umode_t', 'short unsigned int'],
  ['__kernel_dev_t', 'u32'],
  ['dev_t', '__kernel_dev_t'],
  ['gfp_t', 'unsigned int'],
  ['fmode_t', 'unsigned int'],
  ['uid_t', 'unsigned int'],
  ['gid_t', 'unsigned int'],
  ['__kernel_ssize_t', 'long int'],
  ['ssize_t', '__kernel_ssize_t'],
];

/** Structs we declare without members (their pointers appear in prototypes): [name, size]. */
const OPAQUE: ReadonlyArray<readonly [string, number]> = [
  ['bpf_map_ops', 1040],
  ['bpf_prog_stats', 40],
  ['sock_fprog_kern', 16],
  ['bpf_prog_ops', 16],
  ['btf', 0],
  ['btf_record', 0],
  ['obj_cgroup', 0],
  ['file_operations', 288],
  ['address_space', 216],
  ['fown_struct', 48],
  ['vfsmount', 32],
  ['vm_area_struct', 184],
  ['mm_struct', 1472],
  ['fs_struct', 56],
  ['files_struct', 704],
  ['nsproxy', 80],
  ['signal_struct', 1024],
  ['audit_context', 0],
  ['css_set', 0],
  ['bpf_local_storage', 0],
  ['bpf_run_ctx', 0],
  ['user_namespace', 616],
  ['user_struct', 0],
  ['ucounts', 0],
  ['group_info', 0],
  ['key', 0],
  ['kernfs_node', 136],
  ['cgroup_subsys_state', 208],
  ['file_system_type', 72],
  ['proto_ops', 0],
  ['sk_buff', 232],
  ['sockaddr', 16],
  ['msghdr', 96],
  ['iattr', 80],
  ['kernel_siginfo', 48],
  ['rlimit', 16],
  ['fs_context', 152],
  ['seq_file', 136],
  ['rq', 4096],
  ['bpf_cpumask', 24],
  ['bpf_iter_num', 8],
  ['bpf_prog_array', 16],
  ['perf_event', 0],
  ['filename', 32],
  ['open_how', 24],
  ['bpf_iter_meta', 24],
];

/** Rows from an attr layout table, as struct members (prefix `test.` etc. stripped). */
function layoutRows(l: Layout, features: readonly UapiFeature[], rename?: (f: FieldDef) => string | undefined): MemberRow[] {
  const rows: MemberRow[] = [];
  for (const f of l.fields) {
    if (f.feature && !features.includes(f.feature)) continue;
    const name = rename?.(f) ?? f.name.slice(f.name.indexOf('.') + 1);
    // `__aligned_u64` is `__u64` with an alignment attribute; BTF records it as __u64
    const type = f.ctype === '__aligned_u64' ? '__u64' : f.ctype;
    rows.push([name, type, f.offset]);
  }
  return rows;
}

/** `union bpf_attr`, one member per command group, from the attr layout tables. spec: UAPI-LAYOUT-1..7 */
function defineBpfAttr(c: CTypes, features: readonly UapiFeature[]): number {
  const u32 = '__u32';
  const u64 = '__u64';
  const mapCreate = c.struct('', layoutRows(MAP_CREATE, features));
  const valueOrNext = c.union('', [['value', u64, 0], ['next_key', u64, 0]]);
  const elem = c.struct('', [['map_fd', u32, 0], ['key', u64, 8], ['', valueOrNext, 16], ['flags', u64, 24]]);
  const batch = c.struct('', [
    ['in_batch', u64, 0], ['out_batch', u64, 8], ['keys', u64, 16], ['values', u64, 24],
    ['count', u32, 32], ['map_fd', u32, 36], ['elem_flags', u64, 40], ['flags', u64, 48],
  ]);
  // attach_prog_fd and attach_btf_obj_fd share offset 112 (an anonymous union in the header)
  const attachTarget = c.union('', [['attach_prog_fd', u32, 0], ['attach_btf_obj_fd', u32, 0]]);
  const progRows = layoutRows(PROG_LOAD, features).map((r): MemberRow => (r[0] === 'attach_prog_fd' ? ['', attachTarget, r[2]] : r));
  const progLoad = c.struct('', progRows);
  const objPin = c.struct('', [['pathname', u64, 0], ['bpf_fd', u32, 8], ['file_flags', u32, 12], ['path_fd', '__s32', 16]]);
  const testRun = c.struct('', layoutRows(PROG_TEST_RUN, features));
  const idUnion = c.union('', [['start_id', u32, 0], ['prog_id', u32, 0], ['map_id', u32, 0], ['btf_id', u32, 0], ['link_id', u32, 0]]);
  const getId = c.struct('', [['', idUnion, 0], ['next_id', u32, 4], ['open_flags', u32, 8], ['fd_by_id_token_fd', '__s32', 12]]);
  const info = c.struct('', layoutRows(OBJ_GET_INFO_BY_FD, features));
  const rawTp = c.struct('', [['name', u64, 0], ['prog_fd', u32, 8], ['cookie', u64, 16]]);
  const btfLoad = c.struct('', layoutRows(BTF_LOAD, features));
  const members: MemberRow[] = [
    ['', mapCreate, 0], ['', elem, 0], ['batch', batch, 0], ['', progLoad, 0], ['', objPin, 0],
    ['test', testRun, 0], ['', getId, 0], ['info', info, 0], ['raw_tracepoint', rawTp, 0], ['', btfLoad, 0],
  ];
  return c.union('bpf_attr', members);
}

/** `struct bpf_map`: MHASH-8 (v6.18), or with `excl` (MHASH-9, OBSERVED on 6.18.44). */
function defineBpfMap(c: CTypes, excl: boolean): number {
  const d = excl ? 8 : 0;
  const rows: MemberRow[] = [['sha', 'u8[32]', 0]];
  if (excl) rows.push(['excl', 'u32', 32]);
  rows.push(
    ['ops', 'const struct bpf_map_ops *', 32 + d],
    ['inner_map_meta', 'struct bpf_map *', 40 + d],
    ['security', 'void *', 48 + d],
    ['map_type', 'enum bpf_map_type', 56 + d],
    ['key_size', 'u32', 60 + d],
    ['value_size', 'u32', 64 + d],
    ['max_entries', 'u32', 68 + d],
    ['map_extra', 'u64', 72 + d],
    ['map_flags', 'u32', 80 + d],
    ['id', 'u32', 84 + d],
    ['record', 'struct btf_record *', 88 + d],
    ['numa_node', 'int', 96 + d],
    ['btf_key_type_id', 'u32', 100 + d],
    ['btf_value_type_id', 'u32', 104 + d],
    ['btf_vmlinux_value_type_id', 'u32', 108 + d],
    ['btf', 'struct btf *', 112 + d],
    ['objcg', 'struct obj_cgroup *', 120 + d],
    ['name', 'char[16]', 128 + d],
    ['bypass_spec_v1', 'bool', 248 + d],
    ['frozen', 'bool', 249 + d],
    ['excl_prog_sha', 'char *', 280 + d],
  );
  return c.struct('bpf_map', rows, 288 + d);
}

/** Declares every type of the built-in vmlinux except functions and variables. */
export function defineVmlinuxTypes(c: CTypes, opts: VmlinuxTypeOptions): void {
  for (const [n, target] of TYPEDEFS) c.typedef(n, target);

  // UAPI enums (values from src/syscall/uapi/consts.ts and uapi-enums.ts)
  const withMax = (tab: Record<string, number>, max: string): Array<[string, number]> => {
    const vals = Object.entries(tab) as Array<[string, number]>;
    return [...vals, [max, Math.max(...vals.map(([, v]) => v)) + 1]];
  };
  c.enum('bpf_cmd', 4, withMax(BpfCmd, '__MAX_BPF_CMD'));
  c.enum('bpf_map_type', 4, withMax(MapType, '__MAX_BPF_MAP_TYPE'));
  c.enum('bpf_prog_type', 4, withMax(ProgType, '__MAX_BPF_PROG_TYPE'));
  c.enum('bpf_attach_type', 4, BPF_ATTACH_TYPES.map((n, i) => [n, i] as [string, number]));

  for (const [n, size] of OPAQUE) c.struct(n, [], size);

  // small structs and the typedefs built on them (OBSERVED layouts)
  c.typedef('atomic_t', c.struct('', [['counter', 'int', 0]]));
  c.typedef('atomic64_t', c.struct('', [['counter', 's64', 0]]));
  c.typedef('atomic_long_t', 'atomic64_t');
  c.typedef('refcount_t', c.struct('refcount_struct', [['refs', 'atomic_t', 0]]));
  c.typedef('kuid_t', c.struct('', [['val', 'uid_t', 0]]));
  c.typedef('kgid_t', c.struct('', [['val', 'gid_t', 0]]));
  c.typedef('kernel_cap_t', c.struct('', [['val', 'u64', 0]]));
  c.struct('list_head', [['next', 'struct list_head *', 0], ['prev', 'struct list_head *', 8]]);
  c.struct('thread_info', [['flags', 'long unsigned int', 0], ['syscall_work', 'long unsigned int', 8], ['status', 'u32', 16], ['cpu', 'u32', 20]]);
  c.struct('path', [['mnt', 'struct vfsmount *', 0], ['dentry', 'struct dentry *', 8]]);
  const hashLen = c.struct('', [['hash', 'u32', 0], ['len', 'u32', 4]]);
  const qstrHead = c.union('', [['', hashLen, 0], ['hash_len', 'u64', 0]]);
  c.struct('qstr', [['', qstrHead, 0], ['name', 'const unsigned char *', 8]]);

  // x86-64 struct pt_regs (cs/ss kept as plain words)
  const regs = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];
  c.struct('pt_regs', regs.map((r, i): MemberRow => [r, 'long unsigned int', 8 * i]));

  // struct task_struct (a subset of its members; offsets and size OBSERVED on 6.18.44)
  c.struct('task_struct', [
    ['thread_info', 'struct thread_info', 0],
    ['__state', 'unsigned int', 24],
    ['saved_state', 'unsigned int', 28],
    ['stack', 'void *', 32],
    ['usage', 'refcount_t', 40],
    ['flags', 'unsigned int', 44],
    ['ptrace', 'unsigned int', 48],
    ['on_cpu', 'int', 52],
    ['prio', 'int', 108],
    ['static_prio', 'int', 112],
    ['normal_prio', 'int', 116],
    ['rt_priority', 'unsigned int', 120],
    ['tasks', 'struct list_head', 1056],
    ['mm', 'struct mm_struct *', 1136],
    ['active_mm', 'struct mm_struct *', 1144],
    ['exit_state', 'int', 1160],
    ['exit_code', 'int', 1164],
    ['exit_signal', 'int', 1168],
    ['pdeath_signal', 'int', 1172],
    ['pid', 'pid_t', 1264],
    ['tgid', 'pid_t', 1268],
    ['stack_canary', 'long unsigned int', 1272],
    ['real_parent', 'struct task_struct *', 1280],
    ['parent', 'struct task_struct *', 1288],
    ['children', 'struct list_head', 1296],
    ['sibling', 'struct list_head', 1312],
    ['group_leader', 'struct task_struct *', 1328],
    ['utime', 'u64', 1488],
    ['stime', 'u64', 1496],
    ['nvcsw', 'long unsigned int', 1536],
    ['nivcsw', 'long unsigned int', 1544],
    ['start_time', 'u64', 1552],
    ['start_boottime', 'u64', 1560],
    ['real_cred', 'const struct cred *', 1728],
    ['cred', 'const struct cred *', 1736],
    ['comm', 'char[16]', 1752],
    ['fs', 'struct fs_struct *', 1816],
    ['files', 'struct files_struct *', 1824],
    ['nsproxy', 'struct nsproxy *', 1840],
    ['signal', 'struct signal_struct *', 1848],
    ['audit_context', 'struct audit_context *', 1944],
    ['loginuid', 'kuid_t', 1952],
    ['sessionid', 'unsigned int', 1956],
    ['cgroups', 'struct css_set *', 2376],
    ['security', 'void *', 2992],
    ['bpf_storage', 'struct bpf_local_storage *', 3000],
    ['bpf_ctx', 'struct bpf_run_ctx *', 3008],
  ], 3264);

  c.struct('cred', [
    ['usage', 'atomic_long_t', 0],
    ['uid', 'kuid_t', 8], ['gid', 'kgid_t', 12], ['suid', 'kuid_t', 16], ['sgid', 'kgid_t', 20],
    ['euid', 'kuid_t', 24], ['egid', 'kgid_t', 28], ['fsuid', 'kuid_t', 32], ['fsgid', 'kgid_t', 36],
    ['securebits', 'unsigned int', 40],
    ['cap_inheritable', 'kernel_cap_t', 48], ['cap_permitted', 'kernel_cap_t', 56],
    ['cap_effective', 'kernel_cap_t', 64], ['cap_bset', 'kernel_cap_t', 72], ['cap_ambient', 'kernel_cap_t', 80],
    ['session_keyring', 'struct key *', 96], ['process_keyring', 'struct key *', 104],
    ['thread_keyring', 'struct key *', 112], ['request_key_auth', 'struct key *', 120],
    ['security', 'void *', 128], ['user', 'struct user_struct *', 136], ['user_ns', 'struct user_namespace *', 144],
    ['ucounts', 'struct ucounts *', 152], ['group_info', 'struct group_info *', 160],
  ], 184);

  // struct file: f_path lives in an anonymous union at 64, as in the kernel
  const fPath = c.union('', [['f_path', 'const struct path', 0], ['__f_path', 'struct path', 0]]);
  c.struct('file', [
    ['f_mode', 'fmode_t', 4], ['f_op', 'const struct file_operations *', 8],
    ['f_mapping', 'struct address_space *', 16], ['private_data', 'void *', 24], ['f_inode', 'struct inode *', 32],
    ['f_flags', 'unsigned int', 40], ['f_iocb_flags', 'unsigned int', 44], ['f_cred', 'const struct cred *', 48],
    ['f_owner', 'struct fown_struct *', 56], ['', fPath, 64], ['f_pos', 'loff_t', 112], ['f_security', 'void *', 120],
  ], 184);
  c.struct('inode', [
    ['i_mode', 'umode_t', 0], ['i_opflags', 'short unsigned int', 2], ['i_uid', 'kuid_t', 4], ['i_gid', 'kgid_t', 8],
    ['i_flags', 'unsigned int', 12], ['i_sb', 'struct super_block *', 40], ['i_security', 'void *', 56],
    ['i_ino', 'long unsigned int', 64], ['i_size', 'loff_t', 80],
  ], 616);
  const dName = c.union('', [['__d_name', 'struct qstr', 0], ['d_name', 'const struct qstr', 0]]);
  c.struct('dentry', [
    ['d_flags', 'unsigned int', 0], ['d_parent', 'struct dentry *', 24], ['', dName, 32], ['d_inode', 'struct inode *', 48],
    ['d_sb', 'struct super_block *', 104], ['d_time', 'long unsigned int', 112], ['d_fsdata', 'void *', 120],
  ], 192);
  c.struct('super_block', [
    ['s_dev', 'dev_t', 16], ['s_blocksize', 'long unsigned int', 24], ['s_type', 'struct file_system_type *', 40],
    ['s_magic', 'long unsigned int', 96], ['s_id', 'char[32]', 936],
  ], 1472);
  c.struct('linux_binprm', [
    ['vma', 'struct vm_area_struct *', 0], ['vma_pages', 'long unsigned int', 8], ['argmin', 'long unsigned int', 16],
    ['mm', 'struct mm_struct *', 24], ['p', 'long unsigned int', 32],
    ['have_execfd', 'unsigned int', { bit: 320, bits: 1 }], ['execfd_creds', 'unsigned int', { bit: 321, bits: 1 }],
    ['secureexec', 'unsigned int', { bit: 322, bits: 1 }], ['point_of_no_return', 'unsigned int', { bit: 323, bits: 1 }],
    ['executable', 'struct file *', 48], ['interpreter', 'struct file *', 56], ['file', 'struct file *', 64],
    ['cred', 'struct cred *', 72], ['unsafe', 'int', 80], ['per_clear', 'unsigned int', 84], ['argc', 'int', 88],
    ['envc', 'int', 92], ['filename', 'const char *', 96], ['interp', 'const char *', 104], ['fdpath', 'const char *', 112],
    ['interp_flags', 'unsigned int', 120], ['execfd', 'int', 124], ['exec', 'long unsigned int', 128],
    ['buf', 'char[256]', 152],
  ], 408);
  c.struct('socket', [
    ['state', 'int', 0], ['type', 'short int', 4], ['flags', 'long unsigned int', 8], ['file', 'struct file *', 16],
    ['sk', 'struct sock *', 24], ['ops', 'const struct proto_ops *', 32],
  ], 128);
  c.struct('sock_common', [['skc_family', 'short unsigned int', 16]], 136);
  c.struct('sock', [
    ['__sk_common', 'struct sock_common', 0], ['sk_socket', 'struct socket *', 288], ['sk_protocol', 'u16', 532], ['sk_type', 'u16', 534],
  ], 784);
  c.struct('cgroup', [
    ['self', 'struct cgroup_subsys_state', 0], ['flags', 'long unsigned int', 208], ['level', 'int', 216], ['kn', 'struct kernfs_node *', 256],
  ], 2240);

  // BPF objects
  defineBpfMap(c, opts.bpfMapExcl);
  const progBits: MemberRow[] = [
    'jited', 'jit_requested', 'gpl_compatible', 'cb_access', 'dst_needed', 'blinding_requested', 'blinded', 'is_func',
    'kprobe_override', 'has_callchain_buf', 'enforce_expected_attach_type', 'call_get_stack', 'call_get_func_ip',
    'tstamp_type_access', 'sleepable',
  ].map((n, i): MemberRow => [n, 'u16', { bit: 16 + i, bits: 1 }]);
  c.struct('bpf_prog', [
    ['pages', 'u16', 0], ...progBits,
    ['type', 'enum bpf_prog_type', 4], ['expected_attach_type', 'enum bpf_attach_type', 8],
    ['len', 'u32', 12], ['jited_len', 'u32', 16], ['tag', 'u8[8]', 20], ['stats', 'struct bpf_prog_stats *', 56],
    ['active', 'int *', 64], ['aux', 'struct bpf_prog_aux *', 80], ['orig_prog', 'struct sock_fprog_kern *', 88],
  ], 96);
  c.struct('bpf_prog_aux', [
    ['used_map_cnt', 'u32', 8], ['id', 'u32', 32], ['attach_btf_id', 'u32', 48], ['attach_btf', 'struct btf *', 72],
    ['dst_prog', 'struct bpf_prog *', 128], ['ops', 'const struct bpf_prog_ops *', 896], ['verified_insns', 'u32', 992],
    ['name', 'char[16]', 1016], ['security', 'void *', 1040], ['func_info_cnt', 'u32', 1104],
  ], 1304);
  c.struct('bpf_token', [
    ['refcnt', 'atomic64_t', 32], ['userns', 'struct user_namespace *', 40], ['allowed_cmds', 'u64', 48],
    ['allowed_maps', 'u64', 56], ['allowed_progs', 'u64', 64], ['allowed_attachs', 'u64', 72], ['security', 'void *', 80],
  ], 88);
  defineBpfAttr(c, opts.uapiFeatures);

}
