// Arrays of file-backed objects (kernel/bpf/arraymap.c, fd_array part): PROG_ARRAY,
// PERF_EVENT_ARRAY and ARRAY_OF_MAPS. CONFIRMED by source reading; OBSERVED on this machine's
// 6.18.44 kernel (test/transcripts/kernel-6.18.44/map_types.json, map_elems.json):
// - fd_array_map_alloc_check: value_size must be 4 (an fd), no BPF_F_RDONLY_PROG / WRONLY_PROG,
//   then array_map_alloc_check (key 4, max_entries > 0, flag mask, BPF_F_MMAPABLE only for ARRAY,
//   BPF_F_PRESERVE_ELEMS only for PERF_EVENT_ARRAY);
// - update: flags other than BPF_ANY → EINVAL, an index past the end → E2BIG, then the fd:
//   PROG_ARRAY takes programs (not open → EBADF, not a program → EINVAL, a program of another type
//   than the first one stored → EINVAL), PERF_EVENT_ARRAY perf events (anything else → EBADF; the
//   emulated system has none), ARRAY_OF_MAPS maps that match the inner template (map_in_map.ts);
// - lookup: the stored object's id (PERF_EVENT_ARRAY has no syscall lookup: ENOTSUPP), an empty
//   slot → ENOENT; delete: past the end → E2BIG, empty → ENOENT.

import { Errno } from '../errno.js';
import type { BpfProg } from './prog.js';
import { MapFlag, MapType } from '../uapi/consts.js';
import { arrayGetNextKey, arrayMapAllocCheck, arrayMapCheckBtf, keyIndex } from './arraymap.js';
import type { Btf } from './btf.js';
import { bpfMapFdGetPtr } from './map_in_map.js';
import { BpfMap, NO_FDS, type ElemCtx, type MapAttr, type MapEnv } from './map.js';

/** fd_array_map_alloc_check */
export function fdArrayMapAllocCheck(attr: MapAttr): number {
  if (attr.value_size !== 4) return -Errno.EINVAL;
  if (attr.map_flags & (MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG)) return -Errno.EINVAL;
  return arrayMapAllocCheck(attr);
}

type Slot = BpfProg | BpfMap | null;

export class FdArrayMap extends BpfMap {
  private readonly slots: Slot[];
  /** PROG_ARRAY: the program type the first stored program fixed (map->owner). */
  private ownerType: number | null = null;

  private constructor(attr: MapAttr, env: MapEnv) {
    super(attr, env);
    this.slots = new Array<Slot>(attr.max_entries).fill(null);
  }

  static alloc(attr: MapAttr, env: MapEnv): FdArrayMap | number {
    if (attr.max_entries * 8 > env.maxMapBytes) return -Errno.ENOMEM;
    return new FdArrayMap(attr, env);
  }

  /** map_fd_get_ptr of each type. */
  private getPtr(ctx: ElemCtx, fd: number): Slot | number {
    switch (this.mapType) {
      case MapType.BPF_MAP_TYPE_PROG_ARRAY: {
        const f = ctx.fdget(fd);
        if (!f) return -Errno.EBADF;
        if (f.kind !== 'bpf-prog') return -Errno.EINVAL;
        const prog = f.object as BpfProg;
        if (prog.type === 28 /* BPF_PROG_TYPE_EXT */) return -Errno.EINVAL;
        if (this.ownerType !== null && this.ownerType !== prog.type) return -Errno.EINVAL;
        this.ownerType ??= prog.type;
        prog.refcnt++;
        return prog;
      }
      case MapType.BPF_MAP_TYPE_ARRAY_OF_MAPS: {
        const m = bpfMapFdGetPtr(this, ctx, fd);
        if (typeof m === 'number') return m;
        m.refcnt++;
        return m;
      }
      default:
        // perf_event_fd_array_get_ptr → perf_event_get: not a perf event file → EBADF
        return -Errno.EBADF;
    }
  }

  private put(s: Slot): void {
    if (!s) return;
    if (s instanceof BpfMap) this.env.put?.map(s);
    else this.env.put?.prog(s);
  }

  sysLookup(key: Uint8Array | null): Uint8Array | number {
    if (this.mapType === MapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY) return -Errno.ENOTSUPP;
    const i = keyIndex(key);
    const s = i === undefined || i >= this.maxEntries ? null : this.slots[i]!;
    if (!s) return -Errno.ENOENT;
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, s.id, true);
    return out;
  }

  sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: bigint, ctx: ElemCtx = NO_FDS): number {
    const i = keyIndex(key);
    if (flags !== 0n) return -Errno.EINVAL;
    if (i === undefined || i >= this.maxEntries) return -Errno.E2BIG;
    const got = this.getPtr(ctx, new DataView(value.buffer, value.byteOffset, 4).getInt32(0, true));
    if (typeof got === 'number') return got;
    const old = this.slots[i]!;
    this.slots[i] = got;
    this.put(old);
    return 0;
  }

  sysDelete(key: Uint8Array | null): number {
    const i = keyIndex(key);
    if (i === undefined || i >= this.maxEntries) return -Errno.E2BIG;
    const old = this.slots[i]!;
    if (!old) return -Errno.ENOENT;
    this.slots[i] = null;
    this.put(old);
    return 0;
  }

  getNextKey(key: Uint8Array | null): Uint8Array | number {
    return arrayGetNextKey(key, this.maxEntries);
  }

  memUsage(): number {
    return this.maxEntries * 8;
  }

  /** PROG_ARRAY has no map_meta_equal: it cannot be an inner map (ENOTSUPP). */
  override get hasMetaEqual(): boolean {
    return this.mapType !== MapType.BPF_MAP_TYPE_PROG_ARRAY;
  }

  override metaEqual(other: BpfMap): boolean {
    return this.baseMetaEqual(other) && (this.mapFlags & MapFlag.BPF_F_INNER_MAP ? true : this.maxEntries === other.maxEntries);
  }

  override checkBtf(btf: Btf, keyTypeId: number, valueTypeId: number): number {
    return arrayMapCheckBtf(this, btf, keyTypeId, valueTypeId);
  }

  /** ARRAY_OF_MAPS from a program: the inner map pointer. */
  override progLookup(key: Uint8Array): bigint {
    const i = keyIndex(key);
    const s = i === undefined || i >= this.maxEntries ? null : this.slots[i]!;
    return s instanceof BpfMap ? s.kaddr : 0n;
  }

  protected override freeStorage(): void {
    for (const s of this.slots) this.put(s);
    this.slots.fill(null);
  }
}
