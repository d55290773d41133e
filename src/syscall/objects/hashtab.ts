// The hash-table family (kernel/bpf/hashtab.c): HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and
// HASH_OF_MAPS, syscall side and BPF side. CONFIRMED by source reading; every rule below is also
// OBSERVED on this machine's 6.18.44 kernel (test/transcripts/kernel-6.18.44/map_types.json,
// map_elems.json, map_lru.json, and the HASH rules in docs/fidelity.md).
//
// - htab_map_alloc_check: BPF_F_ZERO_SEED needs CAP_SYS_ADMIN (EPERM); flags outside
//   HTAB_CREATE_FLAG_MASK or RDONLY_PROG|WRONLY_PROG → EINVAL; BPF_F_NO_COMMON_LRU on a non-LRU
//   map → EINVAL; an LRU map without preallocation → ENOTSUPP; NUMA with per-CPU values or lists →
//   EINVAL; zero key, value or max_entries → EINVAL; key + value ≥ 4 MiB − sizeof(htab_elem) →
//   E2BIG; per-CPU values above PCPU_MIN_UNIT_SIZE → E2BIG. HASH_OF_MAPS: value_size must be 4.
// - htab_map_alloc: with BPF_F_NO_COMMON_LRU max_entries is rounded up to a multiple of
//   num_possible_cpus (down if that overflows): bpf_map_info shows the rounded count; more than
//   2^31 entries → E2BIG.
// - Buckets: n_buckets = roundup_pow_of_two(max_entries); an element's bucket is
//   jhash(key, key_size, hashrnd) & (n_buckets − 1) (jhash2 for keys that are a multiple of 4 bytes,
//   the same value); new elements go to the head of their bucket; get_next_key walks the rest of
//   the key's bucket, then the following buckets, and starts over from bucket 0 for a missing key.
//   The kernel's hashrnd is random unless BPF_F_ZERO_SEED; bpfsig always uses 0, so its order is the
//   kernel's BPF_F_ZERO_SEED order (a choice, in docs/fidelity.md).
// - Update: unknown flags → EINVAL; BPF_NOEXIST on an existing key → EEXIST; BPF_EXIST on a
//   missing one → ENOENT; a new key in a full map → E2BIG. A replaced element is a new element at
//   the head of the bucket (per-CPU maps update in place). LRU maps take a free node before looking
//   at the key, so updating an existing key of a full LRU map evicts the least recently used one
//   (bpf_lru_list.ts); a failed update gives the node back.
// - Syscall lookups of an LRU map do not set the reference bit; BPF lookups do.

import { Errno } from '../errno.js';
import { jhash } from '../kernel-btf/jhash.js';
import { ElemFlag, MapFlag, MapType } from '../uapi/consts.js';
import { updateMode, roundUp8 } from './arraymap.js';
import { BpfLru, LruNode } from './bpf_lru_list.js';
import { bpfMapFdGetPtr } from './map_in_map.js';
import { BpfMap, NO_FDS, type ElemCtx, type MapAttr, type MapEnv } from './map.js';
import { ValuePool } from './value-pool.js';

const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
/** sizeof(struct htab_elem): hash_node, lru_node / ptr_to_pptr, hash, then the key (aligned 8). */
export const SIZEOF_HTAB_ELEM = 48;
/** PCPU_MIN_UNIT_SIZE: the bound on a per-CPU value. */
const PCPU_MIN_UNIT_SIZE = 32 * 1024;
const BPF_F_ACCESS_MASK = MapFlag.BPF_F_RDONLY | MapFlag.BPF_F_WRONLY | MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG;
const HTAB_CREATE_FLAG_MASK =
  MapFlag.BPF_F_NO_PREALLOC | MapFlag.BPF_F_NO_COMMON_LRU | MapFlag.BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | MapFlag.BPF_F_ZERO_SEED;

const T = MapType;
const isPercpu = (t: number) => t === T.BPF_MAP_TYPE_PERCPU_HASH || t === T.BPF_MAP_TYPE_LRU_PERCPU_HASH;
const isLru = (t: number) => t === T.BPF_MAP_TYPE_LRU_HASH || t === T.BPF_MAP_TYPE_LRU_PERCPU_HASH;

/** bpf_map_flags_access_ok: RDONLY_PROG and WRONLY_PROG together make no sense. */
export function mapFlagsAccessOk(flags: number): boolean {
  const both = MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG;
  return (flags & both) !== both;
}

/** htab_map_alloc_check. */
export function htabMapAllocCheck(attr: MapAttr, env?: Pick<MapEnv, 'capableSysAdmin'>): number {
  const percpu = isPercpu(attr.map_type);
  const lru = isLru(attr.map_type);
  const f = attr.map_flags;
  const percpuLru = (f & MapFlag.BPF_F_NO_COMMON_LRU) !== 0;
  const prealloc = (f & MapFlag.BPF_F_NO_PREALLOC) === 0;
  if (f & MapFlag.BPF_F_ZERO_SEED && env?.capableSysAdmin && !env.capableSysAdmin()) return -Errno.EPERM;
  if (f & ~HTAB_CREATE_FLAG_MASK || !mapFlagsAccessOk(f)) return -Errno.EINVAL;
  if (!lru && percpuLru) return -Errno.EINVAL;
  if (lru && !prealloc) return -Errno.ENOTSUPP;
  if (attr.numa_node !== -1 && (percpu || percpuLru)) return -Errno.EINVAL;
  if (attr.max_entries === 0 || attr.key_size === 0 || attr.value_size === 0) return -Errno.EINVAL;
  if (attr.key_size + attr.value_size >= KMALLOC_MAX_SIZE - SIZEOF_HTAB_ELEM) return -Errno.E2BIG;
  if (percpu && roundUp8(attr.value_size) > PCPU_MIN_UNIT_SIZE) return -Errno.E2BIG;
  return 0;
}

/** fd_htab_map_alloc_check (HASH_OF_MAPS): the value is an fd. */
export function fdHtabMapAllocCheck(attr: MapAttr, env?: Pick<MapEnv, 'capableSysAdmin'>): number {
  if (attr.value_size !== 4) return -Errno.EINVAL;
  return htabMapAllocCheck(attr, env);
}

const roundupPow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

interface HtabElem {
  key: Uint8Array;
  hash: number;
  /** The element's value slot in the pool. */
  slot: number;
  /** LRU maps: the element's node (one per preallocated element, fixed). */
  node?: LruNode<HtabElem>;
  /** HASH_OF_MAPS: the inner map the element holds. */
  inner?: BpfMap;
}

export class HtabMap extends BpfMap {
  readonly percpu: boolean;
  readonly lru: boolean;
  readonly nBuckets: number;
  /** htab->hashrnd: 0 (the kernel's value with BPF_F_ZERO_SEED; otherwise random there). */
  readonly hashrnd = 0;
  private readonly buckets = new Map<number, HtabElem[]>();
  private count = 0;
  private readonly pool: ValuePool;
  private readonly lruList: BpfLru<HtabElem> | null = null;
  private readonly valueStride: number;

  private constructor(attr: MapAttr, env: MapEnv, maxEntries: number) {
    super({ ...attr, max_entries: maxEntries }, env);
    this.percpu = isPercpu(attr.map_type);
    this.lru = isLru(attr.map_type);
    this.nBuckets = roundupPow2(maxEntries);
    this.valueStride = roundUp8(attr.value_size);
    const slot = this.percpu ? this.valueStride * env.nrCpus : this.valueStride;
    const prealloc = (attr.map_flags & MapFlag.BPF_F_NO_PREALLOC) === 0;
    const extra = prealloc && !this.percpu && !this.lru ? env.nrCpus : 0;
    this.pool = new ValuePool(env.kmem, slot, maxEntries + (prealloc ? extra : env.nrCpus), `${this.typeName}`);
    if (this.lru) {
      const lru = new BpfLru<HtabElem>({
        percpu: (attr.map_flags & MapFlag.BPF_F_NO_COMMON_LRU) !== 0,
        nrCpus: env.nrCpus,
        delFromHtab: (node) => this.lruDeleteNode(node.elem),
      });
      const nodes: LruNode<HtabElem>[] = [];
      for (let i = 0; i < maxEntries; i++) {
        const e: HtabElem = { key: new Uint8Array(0), hash: 0, slot: this.pool.alloc() };
        e.node = new LruNode(e);
        nodes.push(e.node);
      }
      lru.populate(nodes);
      this.lruList = lru;
    }
  }

  /** htab_map_alloc (and htab_of_map_alloc's part of it). */
  static alloc(attr: MapAttr, env: MapEnv): HtabMap | number {
    let max = attr.max_entries;
    if (attr.map_flags & MapFlag.BPF_F_NO_COMMON_LRU) {
      const n = env.nrCpus;
      const up = Math.ceil(max / n) * n;
      max = up > 0xffff_ffff ? Math.floor(attr.max_entries / n) * n : up;
    }
    if (max > 2 ** 31) return -Errno.E2BIG;
    const prealloc = (attr.map_flags & MapFlag.BPF_F_NO_PREALLOC) === 0;
    const elemSize = SIZEOF_HTAB_ELEM + roundUp8(attr.key_size) + (isPercpu(attr.map_type) ? 8 + roundUp8(attr.value_size) * env.nrCpus : roundUp8(attr.value_size));
    // Preallocation charges every element up front; the emulator's storage limit stands in for
    // the allocation failure a huge map would meet.
    if (prealloc && elemSize * max > env.maxMapBytes) return -Errno.ENOMEM;
    return new HtabMap(attr, env, max);
  }

  override get sysValueSize(): number {
    if (this.mapType === T.BPF_MAP_TYPE_HASH_OF_MAPS) return 4;
    return this.percpu ? this.valueStride * this.env.nrCpus : this.valueSize;
  }

  private hashOf(key: Uint8Array): number {
    return jhash(key, this.hashrnd);
  }

  private bucket(hash: number): HtabElem[] {
    const i = hash & (this.nBuckets - 1);
    let b = this.buckets.get(i);
    if (!b) {
      b = [];
      this.buckets.set(i, b);
    }
    return b;
  }

  private find(key: Uint8Array): HtabElem | undefined {
    const hash = this.hashOf(key);
    const b = this.buckets.get(hash & (this.nBuckets - 1));
    if (!b) return undefined;
    return b.find((e) => e.hash === hash && equalBytes(e.key, key));
  }

  private unlink(e: HtabElem): boolean {
    const i = e.hash & (this.nBuckets - 1);
    const b = this.buckets.get(i);
    const at = b ? b.indexOf(e) : -1;
    if (at < 0) return false;
    b!.splice(at, 1);
    if (!b!.length) this.buckets.delete(i);
    return true;
  }

  /** htab_lru_map_delete_node: the LRU list evicts an element. */
  private lruDeleteNode(e: HtabElem): boolean {
    if (!this.unlink(e)) return false;
    this.count--;
    return true;
  }

  private value(e: HtabElem): Uint8Array {
    return this.pool.bytes(e.slot);
  }

  /** Copy a syscall value into an element: every CPU's copy for per-CPU maps (onallcpus). */
  private setValue(e: HtabElem, value: Uint8Array, onAllCpus: boolean, cpu: number, init: boolean): void {
    const v = this.value(e);
    if (!this.percpu) {
      v.set(value.subarray(0, this.valueSize));
      return;
    }
    const s = this.valueStride;
    for (let c = 0; c < this.env.nrCpus; c++) {
      if (onAllCpus) v.set(value.subarray(c * s, c * s + s), c * s);
      else if (c === cpu) v.set(value.subarray(0, this.valueSize), c * s);
      else if (init) v.fill(0, c * s, c * s + s);
    }
  }

  private readValue(e: HtabElem): Uint8Array {
    const v = this.value(e);
    if (this.mapType === T.BPF_MAP_TYPE_HASH_OF_MAPS) {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, e.inner?.id ?? 0, true);
      return out;
    }
    return this.percpu ? v.slice(0, this.valueStride * this.env.nrCpus) : v.slice(0, this.valueSize);
  }

  private freeElem(e: HtabElem): void {
    if (e.inner) this.env.put?.map(e.inner);
    e.inner = undefined;
    if (this.lru) {
      this.lruList!.pushFree(e.node!);
      return;
    }
    this.pool.release(e.slot);
  }

  private checkFlags(old: HtabElem | undefined, flags: bigint): number {
    const m = updateMode(flags);
    if (old && m === BigInt(ElemFlag.BPF_NOEXIST)) return -Errno.EEXIST;
    if (!old && m === BigInt(ElemFlag.BPF_EXIST)) return -Errno.ENOENT;
    return 0;
  }

  /** The element update every path shares; `inner` is set for HASH_OF_MAPS. */
  private update(key: Uint8Array, value: Uint8Array, flags: bigint, onAllCpus: boolean, cpu: number, inner?: BpfMap): number {
    if (updateMode(flags) > BigInt(ElemFlag.BPF_EXIST)) return -Errno.EINVAL;
    const hash = this.hashOf(key);
    if (this.lru) return this.percpu ? this.lruPercpuUpdate(key, hash, value, flags, onAllCpus, cpu) : this.lruUpdate(key, hash, value, flags);
    const old = this.find(key);
    const err = this.checkFlags(old, flags);
    if (err) return err;
    if (this.percpu && old) {
      this.setValue(old, value, onAllCpus, cpu, false);
      return 0;
    }
    if (!old && this.count >= this.maxEntries) return -Errno.E2BIG;
    const slot = this.pool.alloc();
    if (slot < 0) return -Errno.E2BIG;
    const e: HtabElem = { key: key.slice(), hash, slot, ...(inner ? { inner } : {}) };
    this.setValue(e, value, onAllCpus, cpu, true);
    this.bucket(hash).unshift(e);
    if (old) {
      this.unlink(old);
      this.freeElem(old);
    } else this.count++;
    return 0;
  }

  /** prealloc_lru_pop: a node, evicting if needed; the element takes the key. */
  private lruPop(key: Uint8Array, hash: number, cpu: number): HtabElem | null {
    const node = this.lruList!.popFree(cpu);
    if (!node) return null;
    const e = node.elem;
    e.key = key.slice();
    e.hash = hash;
    this.count++;
    return e;
  }

  private lruPushFree(e: HtabElem): void {
    this.count--;
    this.lruList!.pushFree(e.node!);
  }

  /** htab_lru_map_update_elem */
  private lruUpdate(key: Uint8Array, hash: number, value: Uint8Array, flags: bigint): number {
    const e = this.lruPop(key, hash, 0);
    if (!e) return -Errno.ENOMEM;
    this.value(e).set(value.subarray(0, this.valueSize));
    const old = this.find(key);
    const err = this.checkFlags(old, flags);
    if (err) {
      this.lruPushFree(e);
      return err;
    }
    this.bucket(hash).unshift(e);
    if (old) {
      BpfLru.setRef(e.node!);
      this.unlink(old);
      this.lruPushFree(old);
    }
    return 0;
  }

  /** __htab_lru_percpu_map_update_elem */
  private lruPercpuUpdate(key: Uint8Array, hash: number, value: Uint8Array, flags: bigint, onAllCpus: boolean, cpu: number): number {
    let e: HtabElem | null = null;
    if (updateMode(flags) !== BigInt(ElemFlag.BPF_EXIST)) {
      e = this.lruPop(key, hash, cpu);
      if (!e) return -Errno.ENOMEM;
    }
    const old = this.find(key);
    let err = this.checkFlags(old, flags);
    if (!err) {
      if (old) {
        BpfLru.setRef(old.node!);
        this.setValue(old, value, onAllCpus, cpu, false);
      } else {
        this.setValue(e!, value, onAllCpus, cpu, true);
        this.bucket(hash).unshift(e!);
        e = null;
      }
      err = 0;
    }
    if (e) this.lruPushFree(e);
    return err;
  }

  private delete(key: Uint8Array): number {
    const e = this.find(key);
    if (!e) return -Errno.ENOENT;
    this.unlink(e);
    if (this.lru) this.lruPushFree(e);
    else {
      this.count--;
      this.freeElem(e);
    }
    return 0;
  }

  // ---- syscall side ----

  sysLookup(key: Uint8Array | null): Uint8Array | number {
    const e = key && this.find(key);
    return e ? this.readValue(e) : -Errno.ENOENT;
  }

  sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: bigint, ctx: ElemCtx = NO_FDS): number {
    if (!key) return -Errno.EINVAL;
    if (this.mapType === T.BPF_MAP_TYPE_HASH_OF_MAPS) {
      // bpf_fd_htab_map_update_elem: the fd first, then the element.
      const fd = new DataView(value.buffer, value.byteOffset, 4).getInt32(0, true);
      const inner = bpfMapFdGetPtr(this, ctx, fd);
      if (typeof inner === 'number') return inner;
      inner.refcnt++;
      const err = this.update(key, new Uint8Array(8), flags, false, ctx.cpu, inner);
      if (err) this.env.put?.map(inner);
      return err;
    }
    return this.update(key, value, flags, true, ctx.cpu);
  }

  sysDelete(key: Uint8Array | null): number {
    return key ? this.delete(key) : -Errno.ENOENT;
  }

  override sysLookupAndDelete(key: Uint8Array | null): Uint8Array | number {
    if (this.mapType === T.BPF_MAP_TYPE_HASH_OF_MAPS) return -Errno.ENOTSUPP;
    const e = key && this.find(key);
    if (!e) return -Errno.ENOENT;
    const v = this.readValue(e);
    this.delete(key!);
    return v;
  }

  getNextKey(key: Uint8Array | null): Uint8Array | number {
    let from = 0;
    if (key) {
      const e = this.find(key);
      if (e) {
        const b = this.buckets.get(e.hash & (this.nBuckets - 1))!;
        const next = b[b.indexOf(e) + 1];
        if (next) return next.key.slice();
        from = (e.hash & (this.nBuckets - 1)) + 1;
      }
    }
    let best = -1;
    for (const i of this.buckets.keys()) if (i >= from && (best < 0 || i < best)) best = i;
    if (best < 0) return -Errno.ENOENT;
    return this.buckets.get(best)![0]!.key.slice();
  }

  memUsage(): number {
    return this.count * (SIZEOF_HTAB_ELEM + roundUp8(this.keySize) + this.valueStride);
  }

  // ---- BPF side ----

  override progLookup(key: Uint8Array, cpu: number): bigint {
    const e = this.find(key);
    if (!e) return 0n;
    if (this.mapType === T.BPF_MAP_TYPE_HASH_OF_MAPS) return e.inner?.kaddr ?? 0n;
    if (this.lru) BpfLru.setRef(e.node!);
    return this.pool.addr(e.slot) + BigInt(this.percpu ? cpu * this.valueStride : 0);
  }

  override progUpdate(key: Uint8Array, value: Uint8Array, flags: bigint, cpu: number): number {
    if (this.mapType === T.BPF_MAP_TYPE_HASH_OF_MAPS) return -Errno.ENOTSUPP;
    return this.update(key, value, flags, false, cpu);
  }

  override progDelete(key: Uint8Array): number {
    return this.delete(key);
  }

  protected override freeStorage(): void {
    for (const b of this.buckets.values()) for (const e of b) if (e.inner) this.env.put?.map(e.inner);
    this.buckets.clear();
    this.pool.destroy();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
