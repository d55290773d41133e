// Program types and helpers as the load path needs them: which types exist, which capability they
// need, which have a test_run, which may be sleepable, and which helper ids exist and where they may
// be called. spec: CAP-3 (net-admin and perfmon types), LOAD-11 (find_prog_type), TRUN-5 (types
// without test_run → ENOTSUPP), UAPI-CONST-10 (loader helper ids).
//
// The type sets follow kernel/bpf/syscall.c (is_net_admin_prog_type, is_perfmon_prog_type) and
// the program types' ops tables; the helper names are enum bpf_func_id (uapi, ids 0..211).

import { ProgType as T } from '../uapi/consts.js';
import {
  BPF_FUNC_btf_find_by_name_kind,
  BPF_FUNC_copy_from_user,
  BPF_FUNC_kallsyms_lookup_name,
  BPF_FUNC_sys_bpf,
  BPF_FUNC_sys_close,
} from '../../vm/helpers.js';

/** enum bpf_func_id names by id. */
export const HELPER_NAMES: readonly string[] = [
  'unspec', 'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'probe_read', 'ktime_get_ns',
  'trace_printk', 'get_prandom_u32', 'get_smp_processor_id', 'skb_store_bytes', 'l3_csum_replace', 'l4_csum_replace',
  'tail_call', 'clone_redirect', 'get_current_pid_tgid', 'get_current_uid_gid', 'get_current_comm', 'get_cgroup_classid',
  'skb_vlan_push', 'skb_vlan_pop', 'skb_get_tunnel_key', 'skb_set_tunnel_key', 'perf_event_read', 'redirect',
  'get_route_realm', 'perf_event_output', 'skb_load_bytes', 'get_stackid', 'csum_diff', 'skb_get_tunnel_opt',
  'skb_set_tunnel_opt', 'skb_change_proto', 'skb_change_type', 'skb_under_cgroup', 'get_hash_recalc', 'get_current_task',
  'probe_write_user', 'current_task_under_cgroup', 'skb_change_tail', 'skb_pull_data', 'csum_update', 'set_hash_invalid',
  'get_numa_node_id', 'skb_change_head', 'xdp_adjust_head', 'probe_read_str', 'get_socket_cookie', 'get_socket_uid',
  'set_hash', 'setsockopt', 'skb_adjust_room', 'redirect_map', 'sk_redirect_map', 'sock_map_update',
  'xdp_adjust_meta', 'perf_event_read_value', 'perf_prog_read_value', 'getsockopt', 'override_return', 'sock_ops_cb_flags_set',
  'msg_redirect_map', 'msg_apply_bytes', 'msg_cork_bytes', 'msg_pull_data', 'bind', 'xdp_adjust_tail',
  'skb_get_xfrm_state', 'get_stack', 'skb_load_bytes_relative', 'fib_lookup', 'sock_hash_update', 'msg_redirect_hash',
  'sk_redirect_hash', 'lwt_push_encap', 'lwt_seg6_store_bytes', 'lwt_seg6_adjust_srh', 'lwt_seg6_action', 'rc_repeat',
  'rc_keydown', 'skb_cgroup_id', 'get_current_cgroup_id', 'get_local_storage', 'sk_select_reuseport', 'skb_ancestor_cgroup_id',
  'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'map_push_elem', 'map_pop_elem', 'map_peek_elem',
  'msg_push_data', 'msg_pop_data', 'rc_pointer_rel', 'spin_lock', 'spin_unlock', 'sk_fullsock',
  'tcp_sock', 'skb_ecn_set_ce', 'get_listener_sock', 'skc_lookup_tcp', 'tcp_check_syncookie', 'sysctl_get_name',
  'sysctl_get_current_value', 'sysctl_get_new_value', 'sysctl_set_new_value', 'strtol', 'strtoul', 'sk_storage_get',
  'sk_storage_delete', 'send_signal', 'tcp_gen_syncookie', 'skb_output', 'probe_read_user', 'probe_read_kernel',
  'probe_read_user_str', 'probe_read_kernel_str', 'tcp_send_ack', 'send_signal_thread', 'jiffies64', 'read_branch_records',
  'get_ns_current_pid_tgid', 'xdp_output', 'get_netns_cookie', 'get_current_ancestor_cgroup_id', 'sk_assign', 'ktime_get_boot_ns',
  'seq_printf', 'seq_write', 'sk_cgroup_id', 'sk_ancestor_cgroup_id', 'ringbuf_output', 'ringbuf_reserve',
  'ringbuf_submit', 'ringbuf_discard', 'ringbuf_query', 'csum_level', 'skc_to_tcp6_sock', 'skc_to_tcp_sock',
  'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock', 'skc_to_udp6_sock', 'get_task_stack', 'load_hdr_opt', 'store_hdr_opt',
  'reserve_hdr_opt', 'inode_storage_get', 'inode_storage_delete', 'd_path', 'copy_from_user', 'snprintf_btf',
  'seq_printf_btf', 'skb_cgroup_classid', 'redirect_neigh', 'per_cpu_ptr', 'this_cpu_ptr', 'redirect_peer',
  'task_storage_get', 'task_storage_delete', 'get_current_task_btf', 'bprm_opts_set', 'ktime_get_coarse_ns', 'ima_inode_hash',
  'sock_from_file', 'check_mtu', 'for_each_map_elem', 'snprintf', 'sys_bpf', 'btf_find_by_name_kind',
  'sys_close', 'timer_init', 'timer_set_callback', 'timer_start', 'timer_cancel', 'get_func_ip',
  'get_attach_cookie', 'task_pt_regs', 'get_branch_snapshot', 'trace_vprintk', 'skc_to_unix_sock', 'kallsyms_lookup_name',
  'find_vma', 'loop', 'strncmp', 'get_func_arg', 'get_func_ret', 'get_func_arg_cnt',
  'get_retval', 'set_retval', 'xdp_get_buff_len', 'xdp_load_bytes', 'xdp_store_bytes', 'copy_from_user_task',
  'skb_set_tstamp', 'ima_file_hash', 'kptr_xchg', 'map_lookup_percpu_elem', 'skc_to_mptcp_sock', 'dynptr_from_mem',
  'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr', 'dynptr_read', 'dynptr_write', 'dynptr_data',
  'tcp_raw_gen_syncookie_ipv4', 'tcp_raw_gen_syncookie_ipv6', 'tcp_raw_check_syncookie_ipv4', 'tcp_raw_check_syncookie_ipv6', 'ktime_get_tai_ns', 'user_ringbuf_drain',
  'cgrp_storage_get', 'cgrp_storage_delete',
];

/** __BPF_FUNC_MAX_ID */
export const BPF_FUNC_MAX_ID = HELPER_NAMES.length;

export function helperName(id: number): string {
  return id >= 0 && id < BPF_FUNC_MAX_ID ? `bpf_${HELPER_NAMES[id]}` : `unknown#${id}`;
}

/** Program types the kernel knows (bpf_prog_types[] has ops for them). */
export function progTypeExists(type: number): boolean {
  return type > T.BPF_PROG_TYPE_UNSPEC && type <= T.BPF_PROG_TYPE_NETFILTER;
}

/** is_net_admin_prog_type: loading needs CAP_NET_ADMIN. */
export const NET_ADMIN_TYPES: ReadonlySet<number> = new Set([
  T.BPF_PROG_TYPE_SCHED_CLS, T.BPF_PROG_TYPE_SCHED_ACT, T.BPF_PROG_TYPE_XDP, T.BPF_PROG_TYPE_LWT_IN,
  T.BPF_PROG_TYPE_LWT_OUT, T.BPF_PROG_TYPE_LWT_XMIT, T.BPF_PROG_TYPE_LWT_SEG6LOCAL, T.BPF_PROG_TYPE_SK_SKB,
  T.BPF_PROG_TYPE_SK_MSG, T.BPF_PROG_TYPE_FLOW_DISSECTOR, T.BPF_PROG_TYPE_CGROUP_DEVICE,
  T.BPF_PROG_TYPE_CGROUP_SOCK, T.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, T.BPF_PROG_TYPE_CGROUP_SOCKOPT,
  T.BPF_PROG_TYPE_CGROUP_SYSCTL, T.BPF_PROG_TYPE_SOCK_OPS, T.BPF_PROG_TYPE_EXT, T.BPF_PROG_TYPE_NETFILTER,
]);

/** is_perfmon_prog_type: loading needs CAP_PERFMON. */
export const PERFMON_TYPES: ReadonlySet<number> = new Set([
  T.BPF_PROG_TYPE_KPROBE, T.BPF_PROG_TYPE_TRACEPOINT, T.BPF_PROG_TYPE_PERF_EVENT, T.BPF_PROG_TYPE_RAW_TRACEPOINT,
  T.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, T.BPF_PROG_TYPE_TRACING, T.BPF_PROG_TYPE_LSM, T.BPF_PROG_TYPE_STRUCT_OPS,
  T.BPF_PROG_TYPE_EXT,
]);

/** Types that may be loaded without CAP_BPF (CAP-3). */
export const UNPRIVILEGED_TYPES: ReadonlySet<number> = new Set([T.BPF_PROG_TYPE_SOCKET_FILTER, T.BPF_PROG_TYPE_CGROUP_SKB]);

/** Types whose ops have a test_run (BPF_PROG_TEST_RUN); others give -ENOTSUPP (TRUN-5). */
export const TEST_RUN_TYPES: ReadonlySet<number> = new Set([
  T.BPF_PROG_TYPE_SOCKET_FILTER, T.BPF_PROG_TYPE_SCHED_CLS, T.BPF_PROG_TYPE_SCHED_ACT, T.BPF_PROG_TYPE_XDP,
  T.BPF_PROG_TYPE_CGROUP_SKB, T.BPF_PROG_TYPE_LWT_IN, T.BPF_PROG_TYPE_LWT_OUT, T.BPF_PROG_TYPE_LWT_XMIT,
  T.BPF_PROG_TYPE_LWT_SEG6LOCAL, T.BPF_PROG_TYPE_FLOW_DISSECTOR, T.BPF_PROG_TYPE_SK_LOOKUP,
  T.BPF_PROG_TYPE_RAW_TRACEPOINT, T.BPF_PROG_TYPE_TRACING, T.BPF_PROG_TYPE_STRUCT_OPS,
  T.BPF_PROG_TYPE_SYSCALL, T.BPF_PROG_TYPE_NETFILTER,
]);

/** Types that may carry BPF_F_SLEEPABLE (fentry/fexit/fmod_ret/iter through TRACING, LSM, uprobes, struct_ops, syscall). */
export const SLEEPABLE_TYPES: ReadonlySet<number> = new Set([
  T.BPF_PROG_TYPE_TRACING, T.BPF_PROG_TYPE_LSM, T.BPF_PROG_TYPE_KPROBE, T.BPF_PROG_TYPE_STRUCT_OPS, T.BPF_PROG_TYPE_SYSCALL,
]);

/** Helper ids with a known call-site rule. Every other existing helper is allowed (not modelled). */
export const HELPER_RULES: ReadonlyMap<number, { readonly types?: ReadonlySet<number>; readonly sleepableOnly?: boolean }> = new Map([
  // The loader's own helpers: syscall_prog_func_proto only (SYS-6).
  [BPF_FUNC_sys_bpf, { types: new Set([T.BPF_PROG_TYPE_SYSCALL]) }],
  [BPF_FUNC_btf_find_by_name_kind, { types: new Set([T.BPF_PROG_TYPE_SYSCALL]) }],
  [BPF_FUNC_sys_close, { types: new Set([T.BPF_PROG_TYPE_SYSCALL]) }],
  [BPF_FUNC_kallsyms_lookup_name, { types: new Set([T.BPF_PROG_TYPE_SYSCALL]) }],
  // bpf_copy_from_user may fault, so it sleeps: sleepable programs only.
  [BPF_FUNC_copy_from_user, { sleepableOnly: true }],
]);

/**
 * Helpers whose proto is `gpl_only`: a program without a GPL-compatible license cannot call them
 * ("cannot call GPL-restricted function from non-GPL compatible program"). The tracing and
 * probing helpers, from the kernel's func protos (OBSERVED for bpf_trace_printk on 6.18.44).
 */
export const GPL_ONLY_HELPERS: ReadonlySet<number> = new Set([
  4, // probe_read
  6, // trace_printk
  25, // perf_event_output
  27, // get_stackid
  35, // get_current_task
  36, // probe_write_user
  45, // probe_read_str
  58, // override_return
  67, // get_stack
  112, // probe_read_user
  113, // probe_read_kernel
  114, // probe_read_user_str
  115, // probe_read_kernel_str
  158, // get_current_task_btf
  177, // trace_vprintk
  191, // copy_from_user_task
]);

/** Program types whose helper set is the tracing one (no packet, socket or redirect helpers). */
export const TRACING_FAMILY_TYPES: ReadonlySet<number> = new Set([
  T.BPF_PROG_TYPE_KPROBE, T.BPF_PROG_TYPE_TRACEPOINT, T.BPF_PROG_TYPE_PERF_EVENT, T.BPF_PROG_TYPE_RAW_TRACEPOINT,
  T.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, T.BPF_PROG_TYPE_TRACING, T.BPF_PROG_TYPE_LSM, T.BPF_PROG_TYPE_SYSCALL,
]);

/**
 * Networking helpers (packet, socket, redirect, checksum, header-option, lirc): no tracing-family
 * proto returns them (OBSERVED: bpf_skb_load_bytes from a SYSCALL program is refused). A name-based
 * approximation of the kernel's per-type func_proto tables; bpf_skb_output, bpf_skc_to_* casts and
 * the socket-storage helpers, which tracing programs may call, are not in it.
 */
const NET_ONLY_HELPER =
  /^(skb_(?!output$)|xdp_|l[34]_csum_replace$|csum_|clone_redirect$|redirect|sk_redirect_|msg_|lwt_|sock_(map|hash)_update$|sk_select_reuseport$|tcp_|sk_lookup_|skc_lookup_tcp$|sk_release$|sk_assign$|sk_fullsock$|get_listener_sock$|set_hash|get_hash_recalc$|get_route_realm$|get_cgroup_classid$|fib_lookup$|check_mtu$|(load|store|reserve)_hdr_opt$|rc_|sock_ops_cb_flags_set$|setsockopt$|getsockopt$|bind$|get_socket_)/;

export function isNetOnlyHelper(id: number): boolean {
  const name = HELPER_NAMES[id];
  return name !== undefined && NET_ONLY_HELPER.test(name);
}
