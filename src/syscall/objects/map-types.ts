// The map type table (bpf_map_types[] in the kernel): per type, its alloc_check, its allocation,
// and the capability map_create requires. spec: MC-6, MC-7, MC-9, CAP-6.

import { MapType } from '../uapi/consts.js';
import { ArrayMap, PercpuArrayMap, arrayMapAllocCheck } from './arraymap.js';
import { HashMap, htabMapAllocCheck } from './hashtab.js';
import type { BpfMap, MapAttr, MapEnv } from './map.js';
import { RingbufMap } from './ringbuf.js';

/** MC-9 / CAP-6: which capability creating this type needs. */
export type MapPrivilege = 'unprivileged' | 'CAP_BPF' | 'CAP_NET_ADMIN';

export interface MapTypeOps {
  readonly privilege: MapPrivilege;
  /** Present when bpfsig emulates the type; absent types are known to the kernel but not modelled. */
  readonly allocCheck?: (attr: MapAttr) => number;
  readonly alloc?: (attr: MapAttr, env: MapEnv) => BpfMap | number;
}

const T = MapType;
const unpriv = (ops: Omit<MapTypeOps, 'privilege'> = {}): MapTypeOps => ({ privilege: 'unprivileged', ...ops });
const bpf: MapTypeOps = { privilege: 'CAP_BPF' };
const net: MapTypeOps = { privilege: 'CAP_NET_ADMIN' };

export const MAP_TYPES: ReadonlyMap<number, MapTypeOps> = new Map<number, MapTypeOps>([
  [T.BPF_MAP_TYPE_HASH, unpriv({ allocCheck: htabMapAllocCheck, alloc: HashMap.alloc })],
  [T.BPF_MAP_TYPE_ARRAY, unpriv({ allocCheck: arrayMapAllocCheck, alloc: ArrayMap.alloc })],
  [T.BPF_MAP_TYPE_PROG_ARRAY, unpriv()],
  [T.BPF_MAP_TYPE_PERF_EVENT_ARRAY, unpriv()],
  [T.BPF_MAP_TYPE_PERCPU_HASH, unpriv()],
  [T.BPF_MAP_TYPE_PERCPU_ARRAY, unpriv({ allocCheck: arrayMapAllocCheck, alloc: PercpuArrayMap.alloc })],
  [T.BPF_MAP_TYPE_STACK_TRACE, bpf],
  [T.BPF_MAP_TYPE_CGROUP_ARRAY, unpriv()],
  [T.BPF_MAP_TYPE_LRU_HASH, bpf],
  [T.BPF_MAP_TYPE_LRU_PERCPU_HASH, bpf],
  [T.BPF_MAP_TYPE_LPM_TRIE, bpf],
  [T.BPF_MAP_TYPE_ARRAY_OF_MAPS, unpriv()],
  [T.BPF_MAP_TYPE_HASH_OF_MAPS, unpriv()],
  [T.BPF_MAP_TYPE_DEVMAP, net],
  [T.BPF_MAP_TYPE_SOCKMAP, net],
  [T.BPF_MAP_TYPE_CPUMAP, bpf],
  [T.BPF_MAP_TYPE_XSKMAP, net],
  [T.BPF_MAP_TYPE_SOCKHASH, net],
  [T.BPF_MAP_TYPE_CGROUP_STORAGE, unpriv()],
  [T.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, bpf],
  [T.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, unpriv()],
  [T.BPF_MAP_TYPE_QUEUE, bpf],
  [T.BPF_MAP_TYPE_STACK, bpf],
  [T.BPF_MAP_TYPE_SK_STORAGE, bpf],
  [T.BPF_MAP_TYPE_DEVMAP_HASH, net],
  [T.BPF_MAP_TYPE_STRUCT_OPS, bpf],
  [T.BPF_MAP_TYPE_RINGBUF, unpriv({ allocCheck: () => 0, alloc: RingbufMap.alloc })],
  [T.BPF_MAP_TYPE_INODE_STORAGE, bpf],
  [T.BPF_MAP_TYPE_TASK_STORAGE, bpf],
  [T.BPF_MAP_TYPE_BLOOM_FILTER, bpf],
  [T.BPF_MAP_TYPE_USER_RINGBUF, unpriv()],
  [T.BPF_MAP_TYPE_CGRP_STORAGE, bpf],
  [T.BPF_MAP_TYPE_ARENA, bpf],
]);
