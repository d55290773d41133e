// UAPI constants from include/uapi/linux/bpf.h (v6.18). Numbers are facts of the ABI.
// spec: UAPI-CONST-1 (commands), UAPI-CONST-2 (program types), UAPI-CONST-3 (map types),
//       UAPI-CONST-4 (pseudo src_reg values), UAPI-CONST-5/6/7 (flags), UAPI-CONST-12 (sizes).

/** enum bpf_cmd. */
export const BpfCmd = {
  BPF_MAP_CREATE: 0,
  BPF_MAP_LOOKUP_ELEM: 1,
  BPF_MAP_UPDATE_ELEM: 2,
  BPF_MAP_DELETE_ELEM: 3,
  BPF_MAP_GET_NEXT_KEY: 4,
  BPF_PROG_LOAD: 5,
  BPF_OBJ_PIN: 6,
  BPF_OBJ_GET: 7,
  BPF_PROG_ATTACH: 8,
  BPF_PROG_DETACH: 9,
  BPF_PROG_TEST_RUN: 10,
  BPF_PROG_GET_NEXT_ID: 11,
  BPF_MAP_GET_NEXT_ID: 12,
  BPF_PROG_GET_FD_BY_ID: 13,
  BPF_MAP_GET_FD_BY_ID: 14,
  BPF_OBJ_GET_INFO_BY_FD: 15,
  BPF_PROG_QUERY: 16,
  BPF_RAW_TRACEPOINT_OPEN: 17,
  BPF_BTF_LOAD: 18,
  BPF_BTF_GET_FD_BY_ID: 19,
  BPF_TASK_FD_QUERY: 20,
  BPF_MAP_LOOKUP_AND_DELETE_ELEM: 21,
  BPF_MAP_FREEZE: 22,
  BPF_BTF_GET_NEXT_ID: 23,
  BPF_MAP_LOOKUP_BATCH: 24,
  BPF_MAP_LOOKUP_AND_DELETE_BATCH: 25,
  BPF_MAP_UPDATE_BATCH: 26,
  BPF_MAP_DELETE_BATCH: 27,
  BPF_LINK_CREATE: 28,
  BPF_LINK_UPDATE: 29,
  BPF_LINK_GET_FD_BY_ID: 30,
  BPF_LINK_GET_NEXT_ID: 31,
  BPF_ENABLE_STATS: 32,
  BPF_ITER_CREATE: 33,
  BPF_LINK_DETACH: 34,
  BPF_PROG_BIND_MAP: 35,
  BPF_TOKEN_CREATE: 36,
  BPF_PROG_STREAM_READ_BY_FD: 37,
} as const;
export type BpfCmdName = keyof typeof BpfCmd;
/** BPF_PROG_RUN is an alias of BPF_PROG_TEST_RUN. */
export const BPF_PROG_RUN = BpfCmd.BPF_PROG_TEST_RUN;

/** enum bpf_map_type. */
export const MapType = {
  BPF_MAP_TYPE_UNSPEC: 0,
  BPF_MAP_TYPE_HASH: 1,
  BPF_MAP_TYPE_ARRAY: 2,
  BPF_MAP_TYPE_PROG_ARRAY: 3,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY: 4,
  BPF_MAP_TYPE_PERCPU_HASH: 5,
  BPF_MAP_TYPE_PERCPU_ARRAY: 6,
  BPF_MAP_TYPE_STACK_TRACE: 7,
  BPF_MAP_TYPE_CGROUP_ARRAY: 8,
  BPF_MAP_TYPE_LRU_HASH: 9,
  BPF_MAP_TYPE_LRU_PERCPU_HASH: 10,
  BPF_MAP_TYPE_LPM_TRIE: 11,
  BPF_MAP_TYPE_ARRAY_OF_MAPS: 12,
  BPF_MAP_TYPE_HASH_OF_MAPS: 13,
  BPF_MAP_TYPE_DEVMAP: 14,
  BPF_MAP_TYPE_SOCKMAP: 15,
  BPF_MAP_TYPE_CPUMAP: 16,
  BPF_MAP_TYPE_XSKMAP: 17,
  BPF_MAP_TYPE_SOCKHASH: 18,
  BPF_MAP_TYPE_CGROUP_STORAGE: 19,
  BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: 20,
  BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE: 21,
  BPF_MAP_TYPE_QUEUE: 22,
  BPF_MAP_TYPE_STACK: 23,
  BPF_MAP_TYPE_SK_STORAGE: 24,
  BPF_MAP_TYPE_DEVMAP_HASH: 25,
  BPF_MAP_TYPE_STRUCT_OPS: 26,
  BPF_MAP_TYPE_RINGBUF: 27,
  BPF_MAP_TYPE_INODE_STORAGE: 28,
  BPF_MAP_TYPE_TASK_STORAGE: 29,
  BPF_MAP_TYPE_BLOOM_FILTER: 30,
  BPF_MAP_TYPE_USER_RINGBUF: 31,
  BPF_MAP_TYPE_CGRP_STORAGE: 32,
  BPF_MAP_TYPE_ARENA: 33,
} as const;
export type MapTypeName = keyof typeof MapType;

/** enum bpf_prog_type. */
export const ProgType = {
  BPF_PROG_TYPE_UNSPEC: 0,
  BPF_PROG_TYPE_SOCKET_FILTER: 1,
  BPF_PROG_TYPE_KPROBE: 2,
  BPF_PROG_TYPE_SCHED_CLS: 3,
  BPF_PROG_TYPE_SCHED_ACT: 4,
  BPF_PROG_TYPE_TRACEPOINT: 5,
  BPF_PROG_TYPE_XDP: 6,
  BPF_PROG_TYPE_PERF_EVENT: 7,
  BPF_PROG_TYPE_CGROUP_SKB: 8,
  BPF_PROG_TYPE_CGROUP_SOCK: 9,
  BPF_PROG_TYPE_LWT_IN: 10,
  BPF_PROG_TYPE_LWT_OUT: 11,
  BPF_PROG_TYPE_LWT_XMIT: 12,
  BPF_PROG_TYPE_SOCK_OPS: 13,
  BPF_PROG_TYPE_SK_SKB: 14,
  BPF_PROG_TYPE_CGROUP_DEVICE: 15,
  BPF_PROG_TYPE_SK_MSG: 16,
  BPF_PROG_TYPE_RAW_TRACEPOINT: 17,
  BPF_PROG_TYPE_CGROUP_SOCK_ADDR: 18,
  BPF_PROG_TYPE_LWT_SEG6LOCAL: 19,
  BPF_PROG_TYPE_LIRC_MODE2: 20,
  BPF_PROG_TYPE_SK_REUSEPORT: 21,
  BPF_PROG_TYPE_FLOW_DISSECTOR: 22,
  BPF_PROG_TYPE_CGROUP_SYSCTL: 23,
  BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE: 24,
  BPF_PROG_TYPE_CGROUP_SOCKOPT: 25,
  BPF_PROG_TYPE_TRACING: 26,
  BPF_PROG_TYPE_STRUCT_OPS: 27,
  BPF_PROG_TYPE_EXT: 28,
  BPF_PROG_TYPE_LSM: 29,
  BPF_PROG_TYPE_SK_LOOKUP: 30,
  BPF_PROG_TYPE_SYSCALL: 31,
  BPF_PROG_TYPE_NETFILTER: 32,
} as const;
export type ProgTypeName = keyof typeof ProgType;

/** Map creation flags (UAPI-CONST-6, UAPI-CONST-5 for BPF_F_TOKEN_FD). */
export const MapFlag = {
  BPF_F_NO_PREALLOC: 1 << 0,
  BPF_F_NO_COMMON_LRU: 1 << 1,
  BPF_F_NUMA_NODE: 1 << 2,
  BPF_F_RDONLY: 1 << 3,
  BPF_F_WRONLY: 1 << 4,
  BPF_F_STACK_BUILD_ID: 1 << 5,
  BPF_F_ZERO_SEED: 1 << 6,
  BPF_F_RDONLY_PROG: 1 << 7,
  BPF_F_WRONLY_PROG: 1 << 8,
  BPF_F_CLONE: 1 << 9,
  BPF_F_MMAPABLE: 1 << 10,
  BPF_F_PRESERVE_ELEMS: 1 << 11,
  BPF_F_INNER_MAP: 1 << 12,
  BPF_F_LINK: 1 << 13,
  BPF_F_PATH_FD: 1 << 14,
  BPF_F_VTYPE_BTF_OBJ_FD: 1 << 15,
  BPF_F_TOKEN_FD: 1 << 16,
  BPF_F_SEGV_ON_FAULT: 1 << 17,
  BPF_F_NO_USER_CONV: 1 << 18,
} as const;

/** Program load flags (UAPI-CONST-5). */
export const ProgFlag = {
  BPF_F_STRICT_ALIGNMENT: 1 << 0,
  BPF_F_ANY_ALIGNMENT: 1 << 1,
  BPF_F_TEST_RND_HI32: 1 << 2,
  BPF_F_TEST_STATE_FREQ: 1 << 3,
  BPF_F_SLEEPABLE: 1 << 4,
  BPF_F_XDP_HAS_FRAGS: 1 << 5,
  BPF_F_XDP_DEV_BOUND_ONLY: 1 << 6,
  BPF_F_TEST_REG_INVARIANTS: 1 << 7,
  BPF_F_TOKEN_FD: 1 << 16,
} as const;

/** Element update flags (UAPI-CONST-7). */
export const ElemFlag = {
  BPF_ANY: 0,
  BPF_NOEXIST: 1,
  BPF_EXIST: 2,
  BPF_F_LOCK: 4,
} as const;

/** ld_imm64 and call pseudo src_reg values (UAPI-CONST-4). */
export const Pseudo = {
  BPF_PSEUDO_MAP_FD: 1,
  BPF_PSEUDO_MAP_VALUE: 2,
  BPF_PSEUDO_BTF_ID: 3,
  BPF_PSEUDO_FUNC: 4,
  BPF_PSEUDO_MAP_IDX: 5,
  BPF_PSEUDO_MAP_IDX_VALUE: 6,
  BPF_PSEUDO_CALL: 1,
  BPF_PSEUDO_KFUNC_CALL: 2,
} as const;

/** Sizes and limits (UAPI-CONST-12). */
export const Limits = {
  BPF_OBJ_NAME_LEN: 16,
  BPF_TAG_SIZE: 8,
  SHA256_DIGEST_SIZE: 32,
  BPF_MAXINSNS: 4096,
  BPF_COMPLEXITY_LIMIT_INSNS: 1_000_000,
  KMALLOC_MAX_CACHE_SIZE: 8192,
  MAX_USED_MAPS: 64,
  PAGE_SIZE: 4096,
  INT_MAX: 0x7fff_ffff,
  U16_MAX: 0xffff,
} as const;

/** Special keyring ids (UAPI-CONST-8, linux/keyctl.h). */
export const KeySpec = {
  KEY_SPEC_THREAD_KEYRING: -1,
  KEY_SPEC_PROCESS_KEYRING: -2,
  KEY_SPEC_SESSION_KEYRING: -3,
  KEY_SPEC_USER_KEYRING: -4,
  KEY_SPEC_USER_SESSION_KEYRING: -5,
  KEY_SPEC_GROUP_KEYRING: -6,
  KEY_SPEC_REQKEY_AUTH_KEY: -7,
  KEY_SPEC_REQUESTOR_KEYRING: -8,
} as const;

function invert<T extends Record<string, number>>(o: T): Map<number, keyof T & string> {
  const m = new Map<number, keyof T & string>();
  for (const [k, v] of Object.entries(o)) if (!m.has(v)) m.set(v, k as keyof T & string);
  return m;
}
const CMD_NAMES = invert(BpfCmd);
const MAP_TYPE_NAMES = invert(MapType);
const PROG_TYPE_NAMES = invert(ProgType);

export function cmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `BPF_CMD_${cmd}`;
}
export function mapTypeName(t: number): string {
  return MAP_TYPE_NAMES.get(t) ?? `BPF_MAP_TYPE_${t}`;
}
export function progTypeName(t: number): string {
  return PROG_TYPE_NAMES.get(t) ?? `BPF_PROG_TYPE_${t}`;
}
/** `BPF_MAP_CREATE`, `MAP_CREATE` or a number as text → the command number. */
export function parseCmd(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s);
  const key = (s.startsWith('BPF_') ? s : `BPF_${s}`) as BpfCmdName;
  if (key === ('BPF_PROG_RUN' as BpfCmdName)) return BPF_PROG_RUN;
  return Object.prototype.hasOwnProperty.call(BpfCmd, key) ? BpfCmd[key] : undefined;
}
