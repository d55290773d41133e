// struct bpf_map and the per-type operations the syscall side uses (struct bpf_map_ops).
// spec: EXCL-2 (excl_prog_sha), MHASH-7/8 (map->sha is the first member, memoized hash),
// FRZ-* (frozen), ELEM-* (element semantics live in the map types), V617-4 (no sha before 6.18).

import { kernelHash } from '../../keys/public-key.js';
import { Errno } from '../errno.js';
import type { OpenFile } from '../file.js';
import type { AddressSpace, Region } from '../memory.js';
import { mapTypeName } from '../uapi/consts.js';
import type { MapCreateAttr } from '../../abi/uapi/attr-types.js';
import type { Btf } from './btf.js';

/** Size of our `struct bpf_map` view. */
export const STRUCT_BPF_MAP_SIZE = 256;
export const SHA256_DIGEST_SIZE = 32;


/** What map_create knows once CHECK_ATTR passed: the attr fields a map type reads. */
export interface MapAttr {
  readonly map_type: number;
  readonly key_size: number;
  readonly value_size: number;
  readonly max_entries: number;
  readonly map_flags: number;
  readonly numa_node: number;
  readonly map_extra: bigint;
  readonly map_name: string;
  /** The whole attr as decoded at syscall entry (generated type, src/abi/uapi/attr-types.ts). */
  readonly raw: MapCreateAttr;
}

export interface MapEnv {
  /** Kernel memory, where the value area and the `struct bpf_map` view are mapped. */
  readonly kmem: AddressSpace;
  /** num_possible_cpus() */
  readonly nrCpus: number;
  /** Does this kernel's struct bpf_map start with `u8 sha[32]`? (MHASH-8 vs V617-4) */
  readonly hasSha: boolean;
  /** Does it have `u32 excl` after sha (MHASH-9)? */
  readonly hasExcl: boolean;
  /** Emulator resource limit on one map's storage; larger maps fail with -ENOMEM. */
  readonly maxMapBytes: number;
  /** fdget() in the process creating the map (the inner map template of a map-in-map). */
  readonly fdget?: (fd: number) => OpenFile | undefined;
  /** capable(CAP_SYS_ADMIN) of the creator, asked only where a type needs it (BPF_F_ZERO_SEED on hash maps). */
  readonly capableSysAdmin?: () => boolean;
  /** EXCL-3 on this kernel: an exclusive map cannot be an inner map (template or element). */
  readonly exclMapNotInner?: boolean;
  /** Drop references a map holds on other objects (bpf_map_put, bpf_prog_put). */
  readonly put?: { map(m: BpfMap): void; prog(p: unknown): void };
}

/**
 * What an element command needs besides the key and value: the caller's fd table (fd maps and
 * local storage take fds as values or keys) and the CPU it runs on (per-CPU LRU lists; bpfsig
 * runs everything on CPU 0).
 */
export interface ElemCtx {
  fdget(fd: number): OpenFile | undefined;
  readonly cpu: number;
}

/** Element context with no fds (programs, tests). */
export const NO_FDS: ElemCtx = { fdget: () => undefined, cpu: 0 };

export abstract class BpfMap {
  id = 0;
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** Flags kept on the object (BPF_F_RDONLY/WRONLY are per-fd and dropped, bpf_map_flags_retain_permanent). */
  readonly mapFlags: number;
  readonly mapExtra: bigint;
  name = '';
  btf: Btf | null = null;
  btfKeyTypeId = 0;
  btfValueTypeId = 0;
  btfVmlinuxValueTypeId = 0;
  /** FRZ-4 */
  frozen = false;
  /** Syscall writers in flight (bpf_map_write_active); freeze gives EBUSY while > 0. FRZ-4 */
  writeActive = 0;
  /** Writable mmaps (counted in bpf_map_write_active too). */
  writableMmaps = 0;
  /**
   * map->bypass_spec_v1: the creator could bypass Spectre v1 hardening (perfmon_capable or
   * mitigations off), so inlined array lookups need no index masking.
   */
  bypassSpecV1 = true;
  /** EXCL-2: SHA-256 of the only program allowed to use the map, or null. */
  exclProgSha: Uint8Array | null = null;
  refcnt = 1;
  usercnt = 1;
  /** security_bpf_map_create ran (allocating the LSM blob): security_bpf_map_free must run at free. */
  lsmBlob = false;
  /** The read-only kernel view of struct bpf_map: sha[32] first on 6.18 (MHASH-8). */
  readonly kobj: Region;
  protected readonly env: MapEnv;
  private freed = false;

  constructor(attr: MapAttr, env: MapEnv) {
    this.env = env;
    this.mapType = attr.map_type;
    this.keySize = attr.key_size;
    this.valueSize = attr.value_size;
    this.maxEntries = attr.max_entries;
    this.mapFlags = attr.map_flags & ~(0x8 | 0x10);
    this.mapExtra = attr.map_extra;
    this.kobj = env.kmem.map({
      name: `struct bpf_map (${mapTypeName(attr.map_type)})`,
      kind: 'kernel_object',
      bytes: new Uint8Array(STRUCT_BPF_MAP_SIZE),
      writable: false,
    });
    this.writeStruct();
  }

  /** Offset of `ops` in struct bpf_map: 32 after sha[32] on 6.18, 0 before. MHASH-8, V617-4 */
  get opsOffset(): number {
    if (!this.env.hasSha) return 0;
    return this.env.hasExcl ? SHA256_DIGEST_SIZE + 8 : SHA256_DIGEST_SIZE;
  }

  /**
   * map->sha: the memoized hash (all zero until the first GET_INFO hash call, MHASH-8). On a
   * kernel without the member it does not exist.
   */
  get sha(): Uint8Array | null {
    return this.env.hasSha ? this.kobj.bytes.subarray(0, SHA256_DIGEST_SIZE) : null;
  }

  /** The kernel address of struct bpf_map (what `ld_imm64 BPF_PSEUDO_MAP_FD/IDX` yields). */
  get kaddr(): bigint {
    return this.kobj.base;
  }

  /**
   * Fill the fields after `ops` that a program reading struct bpf_map would see: ops, inner map
   * meta, security blob, then map_type, key_size, value_size, max_entries, map_extra, map_flags, id.
   * The order follows struct bpf_map; the exact offsets past `ops` are our model (INFERRED).
   */
  writeStruct(): void {
    const v = this.kobj.view;
    const o = this.opsOffset;
    if (this.env.hasExcl) v.setUint32(SHA256_DIGEST_SIZE, this.exclProgSha ? 1 : 0, true);
    v.setBigUint64(o, 0xffff_ffff_8260_0000n + BigInt(this.mapType) * 0x140n, true);
    v.setBigUint64(o + 8, 0n, true);
    v.setBigUint64(o + 16, 0n, true);
    v.setUint32(o + 24, this.mapType, true);
    v.setUint32(o + 28, this.keySize, true);
    v.setUint32(o + 32, this.valueSize, true);
    v.setUint32(o + 36, this.maxEntries, true);
    v.setBigUint64(o + 40, this.mapExtra, true);
    v.setUint32(o + 48, this.mapFlags, true);
    v.setUint32(o + 52, this.id, true);
  }

  get typeName(): string {
    return mapTypeName(this.mapType);
  }

  /** bpf_map_value_size: what a syscall copies for one element (per-CPU maps: every CPU's copy). */
  get sysValueSize(): number {
    return this.valueSize;
  }

  /**
   * Element lookup for the syscall (bpf_map_copy_value): the value bytes, or -errno (ENOENT when
   * absent). Queue, stack and bloom filter maps peek here: a bloom filter gets the caller's value.
   */
  abstract sysLookup(key: Uint8Array | null, ctx?: ElemCtx, value?: Uint8Array): Uint8Array | number;
  /** Element update for the syscall (bpf_map_update_value): 0 or -errno. `value` has sysValueSize bytes. */
  abstract sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: bigint, ctx?: ElemCtx): number;
  abstract sysDelete(key: Uint8Array | null, ctx?: ElemCtx): number;
  /** map_get_next_key: the next key, or -errno. */
  abstract getNextKey(key: Uint8Array | null): Uint8Array | number;
  /** Bytes of storage the map holds (map_mem_usage). */
  abstract memUsage(): number;

  /**
   * BPF_MAP_LOOKUP_AND_DELETE_ELEM: only queue and stack maps (pop) and the hash family have it;
   * for every other type the syscall answers -ENOTSUPP.
   */
  sysLookupAndDelete(_key: Uint8Array | null, _flags: bigint, _ctx?: ElemCtx): Uint8Array | number {
    return -Errno.ENOTSUPP;
  }

  /**
   * The inner map template of a map-in-map (map->inner_map_meta). The kernel keeps a copy of the
   * template's fields and ops; bpfsig keeps the template object itself (its fields never change),
   * without a reference: closing the template does not affect the outer map.
   */
  innerMapMeta: BpfMap | null = null;

  /** Does the type have map->ops->map_meta_equal? Types without it cannot be inner maps (-ENOTSUPP). */
  get hasMetaEqual(): boolean {
    return true;
  }

  /** Does this kernel refuse exclusive maps as inner maps (EXCL-3)? */
  get exclMapNotInner(): boolean {
    return this.env.exclMapNotInner === true;
  }

  /**
   * map->ops->map_meta_equal: may a map like `other` be stored in a map-in-map whose template is
   * this map? bpf_map_meta_equal compares type, key and value size and flags; arrays also compare
   * max_entries.
   */
  metaEqual(other: BpfMap): boolean {
    return this.baseMetaEqual(other);
  }

  /** map->ops->map_check_btf, for types that have one (a keyless BTF needs it). */
  checkBtf?(btf: Btf, keyTypeId: number, valueTypeId: number): number;

  /** BPF side (helpers): bpf_map_lookup_elem → the value's kernel address, or 0. */
  progLookup?(key: Uint8Array, cpu: number): bigint;
  /** bpf_map_update_elem from a program: 0 or -errno. */
  progUpdate?(key: Uint8Array, value: Uint8Array, flags: bigint, cpu: number): number;
  /** bpf_map_delete_elem from a program: 0 or -errno. */
  progDelete?(key: Uint8Array, cpu: number): number;
  /** bpf_map_push_elem / pop / peek (queue, stack, bloom filter). */
  push?(value: Uint8Array, flags: bigint): number;
  pop?(): Uint8Array | number;
  peek?(value?: Uint8Array): Uint8Array | number;

  /** map_get_hash (MHASH-7): only array maps implement it; others leave it undefined. */
  getHash?(): number;

  /** map_direct_value_addr: the value area a BPF program addresses directly (array maps only). */
  valueRegion?(): Region | undefined;

  /** Release memory: unmap the kernel regions, drop the references the elements hold. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.env.kmem.unmap(this.kobj);
    this.freeStorage();
  }

  protected freeStorage(): void {}

  /** bpf_map_meta_equal: the checks every map_meta_equal starts with. */
  protected baseMetaEqual(other: BpfMap): boolean {
    return this.mapType === other.mapType && this.keySize === other.keySize && this.valueSize === other.valueSize && this.mapFlags === other.mapFlags;
  }

  /** SHA-256 of `bytes` into map->sha, the way array_map_get_hash memcpy's it (MHASH-7). */
  protected storeSha(bytes: Uint8Array): number {
    const sha = this.sha;
    if (!sha) return -Errno.EINVAL;
    sha.set(kernelHash('sha256', [bytes])!); // sha256 is always available (one-shot where Node has it)
    return 0;
  }
}
