// Local storage maps (kernel/bpf/bpf_local_storage.c and the per-owner files): SK_STORAGE,
// INODE_STORAGE, TASK_STORAGE and CGRP_STORAGE. CONFIRMED by source reading; OBSERVED on this
// machine's 6.18.44 kernel (test/transcripts/kernel-6.18.44/map_types.json, map_elems.json).
// - bpf_local_storage_map_alloc_check: flags within NO_PREALLOC | CLONE with NO_PREALLOC set,
//   max_entries 0, key_size 4 (an fd), value_size > 0, and BTF key and value type ids → else EINVAL;
//   value_size > BPF_LOCAL_STORAGE_MAX_VALUE_SIZE (U16_MAX − sizeof(struct bpf_local_storage_elem),
//   65535 − 128 = 65407) → E2BIG. map_check_btf: the key must be a 32-bit int.
// - Element commands take an fd of the owner as the key: a socket (sockfd_lookup: not open →
//   EBADF, not a socket → ENOTSOCK), any file for inode storage (its inode; no storage → ENOENT), a
//   pidfd (pidfd_get_pid: anything else → EBADF), a cgroup directory (anything else → EBADF). The
//   emulated system has no sockets, pidfds or cgroups, so only inode storage ever holds data: every
//   bpf object fd is an anonymous inode, and they all share one inode, as on the real kernel.
//   get_next_key and lookup-and-delete → ENOTSUPP.

import { Errno } from '../errno.js';
import type { OpenFile } from '../file.js';
import { ElemFlag, MapFlag, MapType } from '../uapi/consts.js';
import type { Btf } from './btf.js';
import { BpfMap, NO_FDS, type ElemCtx, type MapAttr, type MapEnv } from './map.js';

const SIZEOF_BPF_LOCAL_STORAGE_ELEM = 128;
export const BPF_LOCAL_STORAGE_MAX_VALUE_SIZE = 0xffff - SIZEOF_BPF_LOCAL_STORAGE_ELEM;
const BPF_LOCAL_STORAGE_CREATE_FLAG_MASK = MapFlag.BPF_F_NO_PREALLOC | MapFlag.BPF_F_CLONE;

export function localStorageMapAllocCheck(attr: MapAttr): number {
  if (attr.map_flags & ~BPF_LOCAL_STORAGE_CREATE_FLAG_MASK || !(attr.map_flags & MapFlag.BPF_F_NO_PREALLOC) || attr.max_entries
    || attr.key_size !== 4 || !attr.value_size || !attr.raw.btf_key_type_id || !attr.raw.btf_value_type_id) {
    return -Errno.EINVAL;
  }
  if (attr.value_size > BPF_LOCAL_STORAGE_MAX_VALUE_SIZE) return -Errno.E2BIG;
  return 0;
}

/** The inode an open file refers to: all anonymous-inode files (bpf objects) share one. */
const inodeOf = (f: OpenFile): string | OpenFile => (f.kind === 'tty' ? f : 'anon_inode:[bpf]');

export class LocalStorageMap extends BpfMap {
  private readonly data = new Map<unknown, Uint8Array>();

  private constructor(attr: MapAttr, env: MapEnv) {
    super(attr, env);
  }

  static alloc(attr: MapAttr, env: MapEnv): LocalStorageMap | number {
    return new LocalStorageMap(attr, env);
  }

  /** The storage owner named by the key's fd, or -errno. */
  private owner(key: Uint8Array | null, ctx: ElemCtx): unknown {
    const fd = key ? new DataView(key.buffer, key.byteOffset, 4).getInt32(0, true) : -1;
    const f = ctx.fdget(fd);
    if (!f) return -Errno.EBADF;
    switch (this.mapType) {
      case MapType.BPF_MAP_TYPE_SK_STORAGE:
        return -Errno.ENOTSOCK;
      case MapType.BPF_MAP_TYPE_INODE_STORAGE:
        return inodeOf(f);
      default: // task (pidfd) and cgroup storage
        return -Errno.EBADF;
    }
  }

  sysLookup(key: Uint8Array | null, ctx: ElemCtx = NO_FDS): Uint8Array | number {
    const o = this.owner(key, ctx);
    if (typeof o === 'number') return o;
    return this.data.get(o)?.slice() ?? -Errno.ENOENT;
  }

  sysUpdate(key: Uint8Array | null, value: Uint8Array, flags: bigint, ctx: ElemCtx = NO_FDS): number {
    const o = this.owner(key, ctx);
    if (typeof o === 'number') return o;
    const mode = flags & ~BigInt(ElemFlag.BPF_F_LOCK);
    if (mode > BigInt(ElemFlag.BPF_EXIST) || flags & BigInt(ElemFlag.BPF_F_LOCK)) return -Errno.EINVAL;
    const old = this.data.get(o);
    if (old && mode === BigInt(ElemFlag.BPF_NOEXIST)) return -Errno.EEXIST;
    if (!old && mode === BigInt(ElemFlag.BPF_EXIST)) return -Errno.ENOENT;
    this.data.set(o, value.slice(0, this.valueSize));
    return 0;
  }

  sysDelete(key: Uint8Array | null, ctx: ElemCtx = NO_FDS): number {
    const o = this.owner(key, ctx);
    if (typeof o === 'number') return o;
    return this.data.delete(o) ? 0 : -Errno.ENOENT;
  }

  getNextKey(): number {
    return -Errno.ENOTSUPP;
  }

  memUsage(): number {
    return this.data.size * (SIZEOF_BPF_LOCAL_STORAGE_ELEM + this.valueSize);
  }

  /** bpf_local_storage_map_check_btf: the key must be a 32-bit int. */
  override checkBtf(btf: Btf, keyTypeId: number): number {
    return keyTypeId && btf.isI32(keyTypeId) ? 0 : -Errno.EINVAL;
  }
}
