// The map type table (bpf_map_types[] in the kernel): per type, its map_alloc_check, its
// map_alloc, and the capability map_create requires. One file per map family implements the ops.
// spec: MC-6, MC-7, MC-9, MC-10, CAP-6. A type the kernel has and bpfsig does not model is listed
// without ops: creating one is a named "not emulated" outcome, never an errno.

import { MapType } from '../uapi/consts.js';
import { ArrayMap, PercpuArrayMap, arrayMapAllocCheck } from './arraymap.js';
import { BloomFilterMap, bloomMapAllocCheck } from './bloom_filter.js';
import { FdArrayMap, fdArrayMapAllocCheck } from './fd-array.js';
import { HtabMap, fdHtabMapAllocCheck, htabMapAllocCheck } from './hashtab.js';
import { LocalStorageMap, localStorageMapAllocCheck } from './local_storage.js';
import { LpmTrieMap } from './lpm_trie.js';
import type { BpfMap, MapAttr, MapEnv } from './map.js';
import { QueueStackMap, queueStackMapAllocCheck } from './queue_stack_maps.js';
import { RingbufMap } from './ringbuf.js';

/** MC-9 / CAP-6: which capability creating this type needs. */
export type MapPrivilege = 'unprivileged' | 'CAP_BPF' | 'CAP_NET_ADMIN';

export interface MapTypeOps {
  readonly privilege: MapPrivilege;
  /** Present when bpfsig emulates the type; absent types are known to the kernel but not modelled. */
  readonly allocCheck?: (attr: MapAttr, env: MapEnv) => number;
  readonly alloc?: (attr: MapAttr, env: MapEnv) => BpfMap | number;
  /** The type takes an inner map template (inner_map_fd) at allocation: map-in-map types. */
  readonly innerMap?: boolean;
}

const T = MapType;
const unpriv = (ops: Omit<MapTypeOps, 'privilege'> = {}): MapTypeOps => ({ privilege: 'unprivileged', ...ops });
const bpf = (ops: Omit<MapTypeOps, 'privilege'> = {}): MapTypeOps => ({ privilege: 'CAP_BPF', ...ops });
const net: MapTypeOps = { privilege: 'CAP_NET_ADMIN' };

const htab = { allocCheck: htabMapAllocCheck, alloc: HtabMap.alloc };
const storage = { allocCheck: localStorageMapAllocCheck, alloc: LocalStorageMap.alloc };
const fdArray = { allocCheck: fdArrayMapAllocCheck, alloc: FdArrayMap.alloc };
const queueStack = { allocCheck: queueStackMapAllocCheck, alloc: QueueStackMap.alloc };

export const MAP_TYPES: ReadonlyMap<number, MapTypeOps> = new Map<number, MapTypeOps>([
  [T.BPF_MAP_TYPE_HASH, unpriv(htab)],
  [T.BPF_MAP_TYPE_ARRAY, unpriv({ allocCheck: arrayMapAllocCheck, alloc: ArrayMap.alloc })],
  [T.BPF_MAP_TYPE_PROG_ARRAY, unpriv(fdArray)],
  [T.BPF_MAP_TYPE_PERF_EVENT_ARRAY, unpriv(fdArray)],
  [T.BPF_MAP_TYPE_PERCPU_HASH, unpriv(htab)],
  [T.BPF_MAP_TYPE_PERCPU_ARRAY, unpriv({ allocCheck: arrayMapAllocCheck, alloc: PercpuArrayMap.alloc })],
  [T.BPF_MAP_TYPE_STACK_TRACE, bpf()],
  [T.BPF_MAP_TYPE_CGROUP_ARRAY, unpriv()],
  [T.BPF_MAP_TYPE_LRU_HASH, bpf(htab)],
  [T.BPF_MAP_TYPE_LRU_PERCPU_HASH, bpf(htab)],
  [T.BPF_MAP_TYPE_LPM_TRIE, bpf({ alloc: LpmTrieMap.alloc })],
  [T.BPF_MAP_TYPE_ARRAY_OF_MAPS, unpriv({ ...fdArray, innerMap: true })],
  [T.BPF_MAP_TYPE_HASH_OF_MAPS, unpriv({ allocCheck: fdHtabMapAllocCheck, alloc: HtabMap.alloc, innerMap: true })],
  [T.BPF_MAP_TYPE_DEVMAP, net],
  [T.BPF_MAP_TYPE_SOCKMAP, net],
  [T.BPF_MAP_TYPE_CPUMAP, bpf()],
  [T.BPF_MAP_TYPE_XSKMAP, net],
  [T.BPF_MAP_TYPE_SOCKHASH, net],
  [T.BPF_MAP_TYPE_CGROUP_STORAGE, unpriv()],
  [T.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, bpf()],
  [T.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, unpriv()],
  [T.BPF_MAP_TYPE_QUEUE, bpf(queueStack)],
  [T.BPF_MAP_TYPE_STACK, bpf(queueStack)],
  [T.BPF_MAP_TYPE_SK_STORAGE, bpf(storage)],
  [T.BPF_MAP_TYPE_DEVMAP_HASH, net],
  [T.BPF_MAP_TYPE_STRUCT_OPS, bpf()],
  [T.BPF_MAP_TYPE_RINGBUF, unpriv({ alloc: RingbufMap.alloc })],
  [T.BPF_MAP_TYPE_INODE_STORAGE, bpf(storage)],
  [T.BPF_MAP_TYPE_TASK_STORAGE, bpf(storage)],
  [T.BPF_MAP_TYPE_BLOOM_FILTER, bpf({ allocCheck: bloomMapAllocCheck, alloc: BloomFilterMap.alloc })],
  [T.BPF_MAP_TYPE_USER_RINGBUF, unpriv({ alloc: RingbufMap.alloc })],
  [T.BPF_MAP_TYPE_CGRP_STORAGE, bpf(storage)],
  [T.BPF_MAP_TYPE_ARENA, bpf()],
]);
