// UAPI enumerations the loader needs (include/uapi/linux/bpf.h), by value, with the names libbpf
// prints. Values 0..43 of bpf_attach_type were checked against linux-libc-dev 6.1's bpf.h; the
// later ones follow the upstream header order (TCX, uprobe_multi, unix sockets, netkit, sessions).

export const BPF_PROG_TYPE = [
  'unspec', 'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event',
  'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device',
  'sk_msg', 'raw_tracepoint', 'cgroup_sock_addr', 'lwt_seg6local', 'lirc_mode2', 'sk_reuseport',
  'flow_dissector', 'cgroup_sysctl', 'raw_tracepoint_writable', 'cgroup_sockopt', 'tracing',
  'struct_ops', 'ext', 'lsm', 'sk_lookup', 'syscall', 'netfilter',
] as const;

export const ProgType = {
  UNSPEC: 0, SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6,
  PERF_EVENT: 7, CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12, SOCK_OPS: 13,
  SK_SKB: 14, CGROUP_DEVICE: 15, SK_MSG: 16, RAW_TRACEPOINT: 17, CGROUP_SOCK_ADDR: 18,
  LWT_SEG6LOCAL: 19, LIRC_MODE2: 20, SK_REUSEPORT: 21, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23,
  RAW_TRACEPOINT_WRITABLE: 24, CGROUP_SOCKOPT: 25, TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29,
  SK_LOOKUP: 30, SYSCALL: 31, NETFILTER: 32,
} as const;

export const BPF_ATTACH_TYPE = [
  'cgroup_inet_ingress', 'cgroup_inet_egress', 'cgroup_inet_sock_create', 'cgroup_sock_ops',
  'sk_skb_stream_parser', 'sk_skb_stream_verdict', 'cgroup_device', 'sk_msg_verdict',
  'cgroup_inet4_bind', 'cgroup_inet6_bind', 'cgroup_inet4_connect', 'cgroup_inet6_connect',
  'cgroup_inet4_post_bind', 'cgroup_inet6_post_bind', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg',
  'lirc_mode2', 'flow_dissector', 'cgroup_sysctl', 'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg',
  'cgroup_getsockopt', 'cgroup_setsockopt', 'trace_raw_tp', 'trace_fentry', 'trace_fexit',
  'modify_return', 'lsm_mac', 'trace_iter', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername',
  'cgroup_inet4_getsockname', 'cgroup_inet6_getsockname', 'xdp_devmap', 'cgroup_inet_sock_release',
  'xdp_cpumap', 'sk_lookup', 'xdp', 'sk_skb_verdict', 'sk_reuseport_select',
  'sk_reuseport_select_or_migrate', 'perf_event', 'trace_kprobe_multi', 'lsm_cgroup', 'struct_ops',
  'netfilter', 'tcx_ingress', 'tcx_egress', 'trace_uprobe_multi', 'cgroup_unix_connect',
  'cgroup_unix_sendmsg', 'cgroup_unix_recvmsg', 'cgroup_unix_getpeername', 'cgroup_unix_getsockname',
  'netkit_primary', 'netkit_peer', 'trace_kprobe_session', 'trace_uprobe_session',
] as const;

export const AttachType = {
  CGROUP_INET_INGRESS: 0, CGROUP_INET_EGRESS: 1, CGROUP_INET_SOCK_CREATE: 2, CGROUP_SOCK_OPS: 3,
  SK_SKB_STREAM_PARSER: 4, SK_SKB_STREAM_VERDICT: 5, CGROUP_DEVICE: 6, SK_MSG_VERDICT: 7,
  CGROUP_INET4_BIND: 8, CGROUP_INET6_BIND: 9, CGROUP_INET4_CONNECT: 10, CGROUP_INET6_CONNECT: 11,
  CGROUP_INET4_POST_BIND: 12, CGROUP_INET6_POST_BIND: 13, CGROUP_UDP4_SENDMSG: 14,
  CGROUP_UDP6_SENDMSG: 15, LIRC_MODE2: 16, FLOW_DISSECTOR: 17, CGROUP_SYSCTL: 18,
  CGROUP_UDP4_RECVMSG: 19, CGROUP_UDP6_RECVMSG: 20, CGROUP_GETSOCKOPT: 21, CGROUP_SETSOCKOPT: 22,
  TRACE_RAW_TP: 23, TRACE_FENTRY: 24, TRACE_FEXIT: 25, MODIFY_RETURN: 26, LSM_MAC: 27,
  TRACE_ITER: 28, CGROUP_INET4_GETPEERNAME: 29, CGROUP_INET6_GETPEERNAME: 30,
  CGROUP_INET4_GETSOCKNAME: 31, CGROUP_INET6_GETSOCKNAME: 32, XDP_DEVMAP: 33,
  CGROUP_INET_SOCK_RELEASE: 34, XDP_CPUMAP: 35, SK_LOOKUP: 36, XDP: 37, SK_SKB_VERDICT: 38,
  SK_REUSEPORT_SELECT: 39, SK_REUSEPORT_SELECT_OR_MIGRATE: 40, PERF_EVENT: 41,
  TRACE_KPROBE_MULTI: 42, LSM_CGROUP: 43, STRUCT_OPS: 44, NETFILTER: 45, TCX_INGRESS: 46,
  TCX_EGRESS: 47, TRACE_UPROBE_MULTI: 48, CGROUP_UNIX_CONNECT: 49, CGROUP_UNIX_SENDMSG: 50,
  CGROUP_UNIX_RECVMSG: 51, CGROUP_UNIX_GETPEERNAME: 52, CGROUP_UNIX_GETSOCKNAME: 53,
  NETKIT_PRIMARY: 54, NETKIT_PEER: 55, TRACE_KPROBE_SESSION: 56, TRACE_UPROBE_SESSION: 57,
} as const;

export const BPF_MAP_TYPE = [
  'unspec', 'hash', 'array', 'prog_array', 'perf_event_array', 'percpu_hash', 'percpu_array',
  'stack_trace', 'cgroup_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps',
  'hash_of_maps', 'devmap', 'sockmap', 'cpumap', 'xskmap', 'sockhash', 'cgroup_storage',
  'reuseport_sockarray', 'percpu_cgroup_storage', 'queue', 'stack', 'sk_storage', 'devmap_hash',
  'struct_ops', 'ringbuf', 'inode_storage', 'task_storage', 'bloom_filter', 'user_ringbuf',
  'cgrp_storage', 'arena',
] as const;

export const MapType = {
  UNSPEC: 0, HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6,
  STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13, DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16, XSKMAP: 17,
  SOCKHASH: 18, CGROUP_STORAGE: 19, REUSEPORT_SOCKARRAY: 20, PERCPU_CGROUP_STORAGE: 21, QUEUE: 22,
  STACK: 23, SK_STORAGE: 24, DEVMAP_HASH: 25, STRUCT_OPS: 26, RINGBUF: 27, INODE_STORAGE: 28,
  TASK_STORAGE: 29, BLOOM_FILTER: 30, USER_RINGBUF: 31, CGRP_STORAGE: 32, ARENA: 33,
} as const;

/** Map creation flags (BPF_F_*) the loader sets or reports. */
export const MapFlag = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9,
  MMAPABLE: 1 << 10,
} as const;

export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;

export function progTypeName(t: number): string {
  return BPF_PROG_TYPE[t] ?? `prog_type_${t}`;
}

export function attachTypeName(t: number): string {
  return BPF_ATTACH_TYPE[t] ?? `attach_type_${t}`;
}

export function mapTypeName(t: number): string {
  return BPF_MAP_TYPE[t] ?? `map_type_${t}`;
}

export function mapFlagNames(flags: number): string[] {
  const out: string[] = [];
  for (const [name, bit] of Object.entries(MapFlag)) if (flags & bit) out.push(name);
  const known = Object.values(MapFlag).reduce((a, b) => a | b, 0);
  if (flags & ~known) out.push(`0x${(flags & ~known).toString(16)}`);
  return out;
}
