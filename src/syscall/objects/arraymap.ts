// BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c semantics).
// spec: MC-7 (map_alloc_check), ELEM-3 (element semantics), MHASH-7 (array_map_get_hash),
// ELEM-2 (BPF programs write the value area directly), OBS-MH-2 (padding is hashed).
// Element rules OBSERVED on this machine's 6.18.44 kernel (docs/fidelity.md): lookup past the end
// → ENOENT, update past the end → E2BIG, BPF_NOEXIST → EEXIST, flags > BPF_EXIST → EINVAL, delete
// → EINVAL, get_next_key: NULL or past the end → 0, the last index → ENOENT.

import { BtfKind } from '../../btf/btf.js';
import { Errno } from '../errno.js';
import type { Region } from '../memory.js';
import { ElemFlag, MapFlag, MapType } from '../uapi/consts.js';
import type { Btf } from './btf.js';
import { BpfMap, type MapAttr, type MapEnv } from './map.js';

/** PCPU_MIN_UNIT_SIZE: the bound on a per-CPU value. */
const PCPU_MIN_UNIT_SIZE = 32 * 1024;
const BPF_F_ACCESS_MASK = MapFlag.BPF_F_RDONLY | MapFlag.BPF_F_WRONLY | MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG;
const ARRAY_CREATE_FLAG_MASK =
  MapFlag.BPF_F_NUMA_NODE | MapFlag.BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | MapFlag.BPF_F_PRESERVE_ELEMS | MapFlag.BPF_F_INNER_MAP;

/** Update flags other than BPF_F_LOCK must be BPF_ANY, BPF_NOEXIST or BPF_EXIST. */
export const updateMode = (flags: bigint): bigint => flags & ~BigInt(ElemFlag.BPF_F_LOCK);

export const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

/** array_map_alloc_check. */
export function arrayMapAllocCheck(attr: MapAttr): number {
  const percpu = attr.map_type === MapType.BPF_MAP_TYPE_PERCPU_ARRAY;
  const f = attr.map_flags;
  if (attr.max_entries === 0 || attr.key_size !== 4 || attr.value_size === 0) return -Errno.EINVAL;
  if (f & ~ARRAY_CREATE_FLAG_MASK) return -Errno.EINVAL;
  if (percpu && f & MapFlag.BPF_F_NUMA_NODE) return -Errno.EINVAL;
  if (attr.map_type !== MapType.BPF_MAP_TYPE_ARRAY && f & (MapFlag.BPF_F_MMAPABLE | MapFlag.BPF_F_INNER_MAP)) return -Errno.EINVAL;
  if (attr.map_type !== MapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY && f & MapFlag.BPF_F_PRESERVE_ELEMS) return -Errno.EINVAL;
  // RDONLY_PROG and WRONLY_PROG together make no sense (bpf_map_flags_access_ok).
  if ((f & (MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG)) === (MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG)) {
    return -Errno.EINVAL;
  }
  if (attr.value_size > 0x7fff_ffff) return -Errno.E2BIG;
  if (percpu && roundUp8(attr.value_size) > PCPU_MIN_UNIT_SIZE) return -Errno.E2BIG;
  return 0;
}

/**
 * array_map_check_btf: a keyless BTF only for a one-entry ARRAY whose value is a DATASEC
 * (.bss/.data/.rodata); otherwise the key must be a 32-bit int at bit offset 0.
 */
export function arrayMapCheckBtf(map: BpfMap, btf: Btf, keyTypeId: number, valueTypeId: number): number {
  if (!keyTypeId) {
    if (map.mapType !== MapType.BPF_MAP_TYPE_ARRAY || map.maxEntries !== 1) return -Errno.EINVAL;
    if (btf.typeById(valueTypeId)?.kind !== BtfKind.DATASEC) return -Errno.EINVAL;
    return 0;
  }
  return btf.isI32(keyTypeId) ? 0 : -Errno.EINVAL;
}

/** array_map_meta_equal: bpf_map_meta_equal, and max_entries unless the template has BPF_F_INNER_MAP. */
function arrayMetaEqual(a: BpfMap, b: BpfMap, base: boolean): boolean {
  return base && (a.mapFlags & MapFlag.BPF_F_INNER_MAP ? true : a.maxEntries === b.maxEntries);
}

export function keyIndex(key: Uint8Array | null): number | undefined {
  if (!key || key.length < 4) return undefined;
  return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
}

/** array_map_get_next_key: NULL or past the end → index 0; the last index → ENOENT. */
export function arrayGetNextKey(key: Uint8Array | null, maxEntries: number): Uint8Array | number {
  const i = keyIndex(key);
  const next = new Uint8Array(4);
  if (i === undefined || i >= maxEntries) return next;
  if (i === maxEntries - 1) return -Errno.ENOENT;
  new DataView(next.buffer).setUint32(0, i + 1, true);
  return next;
}

export class ArrayMap extends BpfMap {
  readonly elemSize: number;
  /** The value area: max_entries slots of round_up(value_size, 8) bytes, padding included. */
  readonly values: Region;

  private constructor(attr: MapAttr, env: MapEnv) {
    super(attr, env);
    this.elemSize = roundUp8(attr.value_size);
    this.values = env.kmem.map({
      name: `map value (array)`,
      kind: 'map_value',
      bytes: new Uint8Array(this.elemSize * attr.max_entries),
      // The verifier refuses stores into BPF_F_RDONLY_PROG maps; we refuse them at run time.
      writable: (attr.map_flags & MapFlag.BPF_F_RDONLY_PROG) === 0,
    });
  }

  /** array_map_alloc: -ENOMEM past the emulator's storage limit. */
  static alloc(attr: MapAttr, env: MapEnv): ArrayMap | number {
    if (roundUp8(attr.value_size) * attr.max_entries > env.maxMapBytes) return -Errno.ENOMEM;
    return new ArrayMap(attr, env);
  }

  sysLookup(key: Uint8Array | null): Uint8Array | number {
    const i = keyIndex(key);
    if (i === undefined || i >= this.maxEntries) return -Errno.ENOENT;
    const off = i * this.elemSize;
    return this.values.bytes.slice(off, off + this.valueSize);
  }

  sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: bigint): number {
    const i = keyIndex(key);
    if (updateMode(flags) > BigInt(ElemFlag.BPF_EXIST)) return -Errno.EINVAL;
    if (i === undefined || i >= this.maxEntries) return -Errno.E2BIG;
    // BPF_NOEXIST: every element of an array exists.
    if (updateMode(flags) === BigInt(ElemFlag.BPF_NOEXIST)) return -Errno.EEXIST;
    this.values.bytes.set(value.subarray(0, this.valueSize), i * this.elemSize);
    return 0;
  }

  sysDelete(): number {
    return -Errno.EINVAL;
  }

  getNextKey(key: Uint8Array | null): Uint8Array | number {
    return arrayGetNextKey(key, this.maxEntries);
  }

  memUsage(): number {
    return this.values.size;
  }

  /** array_map_get_hash: SHA-256 over elem_size * max_entries bytes into map->sha. MHASH-7 */
  override getHash(): number {
    return this.storeSha(this.values.bytes);
  }

  override valueRegion(): Region {
    return this.values;
  }

  override metaEqual(other: BpfMap): boolean {
    return arrayMetaEqual(this, other, this.baseMetaEqual(other));
  }

  override checkBtf(btf: Btf, keyTypeId: number, valueTypeId: number): number {
    return arrayMapCheckBtf(this, btf, keyTypeId, valueTypeId);
  }

  override progLookup(key: Uint8Array): bigint {
    const i = keyIndex(key);
    return i === undefined || i >= this.maxEntries ? 0n : this.values.base + BigInt(i * this.elemSize);
  }

  override progUpdate(key: Uint8Array, value: Uint8Array, flags: bigint): number {
    return this.sysUpdate(key, value, flags);
  }

  override progDelete(): number {
    return -Errno.EINVAL;
  }

  protected override freeStorage(): void {
    this.env.kmem.unmap(this.values);
  }
}

export class PercpuArrayMap extends BpfMap {
  readonly elemSize: number;
  /** One copy of every slot per CPU: [cpu][entry], in kernel memory (a program addresses its CPU's copy). */
  private readonly region: Region;
  private readonly storage: Uint8Array;

  private constructor(attr: MapAttr, env: MapEnv) {
    super(attr, env);
    this.elemSize = roundUp8(attr.value_size);
    this.region = env.kmem.map({ name: 'map value (percpu array)', kind: 'map_value', bytes: new Uint8Array(this.elemSize * attr.max_entries * env.nrCpus) });
    this.storage = this.region.bytes;
  }

  static alloc(attr: MapAttr, env: MapEnv): PercpuArrayMap | number {
    if (roundUp8(attr.value_size) * attr.max_entries * env.nrCpus > env.maxMapBytes) return -Errno.ENOMEM;
    return new PercpuArrayMap(attr, env);
  }

  /** round_up(value_size, 8) * num_possible_cpus(). */
  override get sysValueSize(): number {
    return this.elemSize * this.env.nrCpus;
  }

  private slot(cpu: number, i: number): number {
    return (cpu * this.maxEntries + i) * this.elemSize;
  }

  sysLookup(key: Uint8Array | null): Uint8Array | number {
    const i = keyIndex(key);
    if (i === undefined || i >= this.maxEntries) return -Errno.ENOENT;
    const out = new Uint8Array(this.sysValueSize);
    for (let cpu = 0; cpu < this.env.nrCpus; cpu++) {
      const off = this.slot(cpu, i);
      out.set(this.storage.subarray(off, off + this.valueSize), cpu * this.elemSize);
    }
    return out;
  }

  sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: bigint): number {
    const i = keyIndex(key);
    if (updateMode(flags) > BigInt(ElemFlag.BPF_EXIST)) return -Errno.EINVAL;
    if (i === undefined || i >= this.maxEntries) return -Errno.E2BIG;
    if (updateMode(flags) === BigInt(ElemFlag.BPF_NOEXIST)) return -Errno.EEXIST;
    for (let cpu = 0; cpu < this.env.nrCpus; cpu++) {
      this.storage.set(value.subarray(cpu * this.elemSize, cpu * this.elemSize + this.valueSize), this.slot(cpu, i));
    }
    return 0;
  }

  sysDelete(): number {
    return -Errno.EINVAL;
  }

  getNextKey(key: Uint8Array | null): Uint8Array | number {
    return arrayGetNextKey(key, this.maxEntries);
  }

  memUsage(): number {
    return this.storage.length;
  }

  override metaEqual(other: BpfMap): boolean {
    return arrayMetaEqual(this, other, this.baseMetaEqual(other));
  }

  override checkBtf(btf: Btf, keyTypeId: number, valueTypeId: number): number {
    return arrayMapCheckBtf(this, btf, keyTypeId, valueTypeId);
  }

  /** this_cpu_ptr of the element. */
  override progLookup(key: Uint8Array, cpu: number): bigint {
    const i = keyIndex(key);
    return i === undefined || i >= this.maxEntries ? 0n : this.region.base + BigInt(this.slot(cpu, i));
  }

  override progUpdate(key: Uint8Array, value: Uint8Array, flags: bigint, cpu: number): number {
    const i = keyIndex(key);
    if (updateMode(flags) > BigInt(ElemFlag.BPF_EXIST)) return -Errno.EINVAL;
    if (i === undefined || i >= this.maxEntries) return -Errno.E2BIG;
    if (updateMode(flags) === BigInt(ElemFlag.BPF_NOEXIST)) return -Errno.EEXIST;
    this.storage.set(value.subarray(0, this.valueSize), this.slot(cpu, i));
    return 0;
  }

  override progDelete(): number {
    return -Errno.EINVAL;
  }

  protected override freeStorage(): void {
    this.env.kmem.unmap(this.region);
  }
}
