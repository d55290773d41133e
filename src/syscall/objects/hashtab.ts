// BPF_MAP_TYPE_HASH (kernel/bpf/hashtab.c semantics for the syscall side).
// Rules OBSERVED on this machine's 6.18.44 kernel (docs/fidelity.md): lookup/delete of a missing key
// → ENOENT; BPF_EXIST on a missing key → ENOENT; BPF_NOEXIST on an existing key → EEXIST; a new key
// in a full map → E2BIG (an existing key can still be replaced); flags > BPF_EXIST → EINVAL;
// get_next_key of a missing key → the first key; key_size + value_size >=
// KMALLOC_MAX_SIZE - sizeof(struct htab_elem) (4 MiB - 48) → E2BIG at creation.
//
// Iteration order: the kernel walks buckets of a hash seeded with a random value, so the order is
// not reproducible; bpfsig iterates in insertion order (a choice, documented in docs/fidelity.md).

import { Errno } from '../errno.js';
import { ElemFlag, MapFlag } from '../uapi/consts.js';
import { updateMode } from './arraymap.js';
import { BpfMap, type MapAttr, type MapEnv } from './map.js';

const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
const SIZEOF_HTAB_ELEM = 48;
const BPF_F_ACCESS_MASK = MapFlag.BPF_F_RDONLY | MapFlag.BPF_F_WRONLY | MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG;
const HTAB_CREATE_FLAG_MASK =
  MapFlag.BPF_F_NO_PREALLOC | MapFlag.BPF_F_NO_COMMON_LRU | MapFlag.BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | MapFlag.BPF_F_ZERO_SEED;

/** htab_map_alloc_check (plain hash maps). */
export function htabMapAllocCheck(attr: MapAttr): number {
  const f = attr.map_flags;
  if (f & ~HTAB_CREATE_FLAG_MASK) return -Errno.EINVAL;
  // BPF_F_NO_COMMON_LRU is for LRU maps only.
  if (f & MapFlag.BPF_F_NO_COMMON_LRU) return -Errno.EINVAL;
  if ((f & (MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG)) === (MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG)) {
    return -Errno.EINVAL;
  }
  if (attr.max_entries === 0 || attr.key_size === 0 || attr.value_size === 0) return -Errno.EINVAL;
  if (attr.key_size + attr.value_size >= KMALLOC_MAX_SIZE - SIZEOF_HTAB_ELEM) return -Errno.E2BIG;
  return 0;
}

const hexKey = (k: Uint8Array): string => Buffer.from(k).toString('hex');

export class HashMap extends BpfMap {
  private readonly elems = new Map<string, { key: Uint8Array; value: Uint8Array }>();

  private constructor(attr: MapAttr, env: MapEnv) {
    super(attr, env);
  }

  static alloc(attr: MapAttr, env: MapEnv): HashMap | number {
    // Charged lazily in the kernel (elements are allocated on update); we bound the worst case.
    if ((attr.key_size + attr.value_size + SIZEOF_HTAB_ELEM) * attr.max_entries > env.maxMapBytes * 4) return -Errno.ENOMEM;
    return new HashMap(attr, env);
  }

  sysLookup(key: Uint8Array | null): Uint8Array | number {
    const e = key && this.elems.get(hexKey(key));
    return e ? e.value.slice() : -Errno.ENOENT;
  }

  sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: bigint): number {
    if (updateMode(flags) > BigInt(ElemFlag.BPF_EXIST)) return -Errno.EINVAL;
    if (!key) return -Errno.EINVAL;
    const k = hexKey(key);
    const old = this.elems.get(k);
    if (old && updateMode(flags) === BigInt(ElemFlag.BPF_NOEXIST)) return -Errno.EEXIST;
    if (!old && updateMode(flags) === BigInt(ElemFlag.BPF_EXIST)) return -Errno.ENOENT;
    if (!old && this.elems.size >= this.maxEntries) return -Errno.E2BIG;
    const v = value.slice(0, this.valueSize);
    if (old) old.value = v;
    else this.elems.set(k, { key: key.slice(), value: v });
    return 0;
  }

  sysDelete(key: Uint8Array | null): number {
    if (!key || !this.elems.delete(hexKey(key))) return -Errno.ENOENT;
    return 0;
  }

  getNextKey(key: Uint8Array | null): Uint8Array | number {
    const keys = [...this.elems.values()].map((e) => e.key);
    if (keys.length === 0) return -Errno.ENOENT;
    if (!key) return keys[0]!.slice();
    const k = hexKey(key);
    const i = keys.findIndex((x) => hexKey(x) === k);
    if (i < 0) return keys[0]!.slice();
    if (i === keys.length - 1) return -Errno.ENOENT;
    return keys[i + 1]!.slice();
  }

  memUsage(): number {
    return this.elems.size * (this.keySize + this.valueSize + SIZEOF_HTAB_ELEM);
  }
}
