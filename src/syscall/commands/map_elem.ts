// BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY,
// BPF_MAP_LOOKUP_AND_DELETE_ELEM: the syscall side of element access.
// spec: ELEM-1 (after freeze the fd loses FMODE_CAN_WRITE: update/delete → EPERM), ELEM-3, EXCL-5
// (userspace access is not restricted by exclusivity), FRZ-3.
// Step order OBSERVED on this machine's 6.18.44 kernel (docs/fidelity.md): lookup checks its flags
// before the fd; update checks BPF_F_LOCK before copying the key, and its other flags in the map
// type after the copies; a NULL key for a map with key_size > 0 faults (EFAULT); a non-NULL key for
// a map with key_size 0 gives EINVAL.

import { checkAttrFails } from '../attr.js';
import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import { FMODE_CAN_READ, FMODE_CAN_WRITE, type OpenFile } from '../file.js';
import type { BpfMap, ElemCtx } from '../objects/map.js';
import { copyFromBpfPtr, copyFromUser, copyToUser } from '../uaccess.js';
import { BpfCmd, ElemFlag, MapType } from '../uapi/consts.js';
import { bpfMapGet } from './fdget.js';

/** map_get_sys_perms: the fd's mode, without write permission once the map is frozen. FRZ-3, ELEM-1 */
export function mapGetSysPerms(map: BpfMap, file: OpenFile): number {
  return map.frozen ? file.fmode & ~FMODE_CAN_WRITE : file.fmode;
}

/**
 * __bpf_copy_key: key_size > 0 → copy (EFAULT on a fault, a NULL key included); key_size 0 → a
 * non-NULL key is EINVAL, NULL is fine.
 */
function copyKey(ctx: SyscallCtx, map: BpfMap, addr: bigint, kernelPtrOk: boolean): Uint8Array | null | number {
  if (map.keySize) {
    const key = kernelPtrOk ? copyFromBpfPtr(ctx.proc.mem, ctx.ptr(addr), map.keySize) : copyFromUser(ctx.proc.mem, addr, map.keySize);
    return key ?? -Errno.EFAULT;
  }
  return addr ? -Errno.EINVAL : null;
}

/** The element context of a syscall: the caller's fds; CPU 0. */
const elemCtx = (ctx: SyscallCtx): ElemCtx => ({ fdget: (fd) => ctx.proc.fds.get(fd), cpu: 0 });

/** A map value lock exists only with a BTF spin lock; bpfsig's maps never have one. */
const hasSpinLock = (_map: BpfMap): boolean => false;

export function mapLookupElem(ctx: SyscallCtx, attrBytes: Uint8Array): number {
  const p = ctx.kernel.profile;
  const a = ctx.attrOf(BpfCmd.BPF_MAP_LOOKUP_ELEM);
  if (checkAttrFails(BpfCmd.BPF_MAP_LOOKUP_ELEM, attrBytes, p)) return ctx.fail('SYS-4', 'CHECK_ATTR(BPF_MAP_LOOKUP_ELEM)', -Errno.EINVAL);
  const flags = a.flags;
  if (flags & ~BigInt(ElemFlag.BPF_F_LOCK)) return ctx.fail('ELEM-3', 'lookup flags', -Errno.EINVAL);
  const got = bpfMapGet(ctx, a.map_fd);
  if (typeof got === 'number') return ctx.fail('ELEM-3', 'map fd', got);
  const { map, file } = got;
  if (!(mapGetSysPerms(map, file) & FMODE_CAN_READ)) return ctx.fail('ELEM-3', 'fd not readable', -Errno.EPERM);
  if (flags & BigInt(ElemFlag.BPF_F_LOCK) && !hasSpinLock(map)) return ctx.fail('ELEM-3', 'BPF_F_LOCK without a spin lock', -Errno.EINVAL);
  const key = copyKey(ctx, map, a.key, false);
  if (typeof key === 'number') return ctx.fail('ELEM-3', 'copy key', key);
  if (map.mapType === MapType.BPF_MAP_TYPE_BLOOM_FILTER) {
    // A bloom filter's lookup tests the value the caller passes; nothing is copied back.
    const v = copyFromUser(ctx.proc.mem, a.value, map.sysValueSize);
    if (!v) return ctx.fail('ELEM-3', 'copy value in', -Errno.EFAULT);
    const r = map.sysLookup(key, elemCtx(ctx), v);
    return typeof r === 'number' ? ctx.fail('ELEM-3', `${map.typeName} peek`, r) : 0;
  }
  const value = map.sysLookup(key, elemCtx(ctx));
  if (typeof value === 'number') return ctx.fail('ELEM-3', `${map.typeName} lookup`, value);
  if (!copyToUser(ctx.proc.mem, a.value, value)) return ctx.fail('ELEM-3', 'copy value out', -Errno.EFAULT);
  return 0;
}

export function mapUpdateElem(ctx: SyscallCtx, attrBytes: Uint8Array): number {
  const p = ctx.kernel.profile;
  const a = ctx.attrOf(BpfCmd.BPF_MAP_UPDATE_ELEM);
  if (checkAttrFails(BpfCmd.BPF_MAP_UPDATE_ELEM, attrBytes, p)) return ctx.fail('SYS-4', 'CHECK_ATTR(BPF_MAP_UPDATE_ELEM)', -Errno.EINVAL);
  const got = bpfMapGet(ctx, a.map_fd);
  if (typeof got === 'number') return ctx.fail('ELEM-3', 'map fd', got);
  const { map, file } = got;
  const flags = a.flags;
  map.writeActive++;
  try {
    if (!(mapGetSysPerms(map, file) & FMODE_CAN_WRITE)) return ctx.fail('ELEM-1', 'fd not writable (frozen or read-only)', -Errno.EPERM);
    if (flags & BigInt(ElemFlag.BPF_F_LOCK) && !hasSpinLock(map)) return ctx.fail('ELEM-3', 'BPF_F_LOCK without a spin lock', -Errno.EINVAL);
    const key = copyKey(ctx, map, a.key, true);
    if (typeof key === 'number') return ctx.fail('ELEM-3', 'copy key', key);
    const value = copyFromBpfPtr(ctx.proc.mem, ctx.ptr(a.value), map.sysValueSize);
    if (!value) return ctx.fail('ELEM-3', 'copy value', -Errno.EFAULT);
    const err = map.sysUpdate(key, value, flags, elemCtx(ctx));
    if (err) return ctx.fail('ELEM-3', `${map.typeName} update`, err);
    return 0;
  } finally {
    map.writeActive--;
  }
}

export function mapDeleteElem(ctx: SyscallCtx, attrBytes: Uint8Array): number {
  const p = ctx.kernel.profile;
  const a = ctx.attrOf(BpfCmd.BPF_MAP_DELETE_ELEM);
  if (checkAttrFails(BpfCmd.BPF_MAP_DELETE_ELEM, attrBytes, p)) return ctx.fail('SYS-4', 'CHECK_ATTR(BPF_MAP_DELETE_ELEM)', -Errno.EINVAL);
  const got = bpfMapGet(ctx, a.map_fd);
  if (typeof got === 'number') return ctx.fail('ELEM-3', 'map fd', got);
  const { map, file } = got;
  map.writeActive++;
  try {
    if (!(mapGetSysPerms(map, file) & FMODE_CAN_WRITE)) return ctx.fail('ELEM-1', 'fd not writable (frozen or read-only)', -Errno.EPERM);
    const key = copyKey(ctx, map, a.key, true);
    if (typeof key === 'number') return ctx.fail('ELEM-3', 'copy key', key);
    const err = map.sysDelete(key, elemCtx(ctx));
    if (err) return ctx.fail('ELEM-3', `${map.typeName} delete`, err);
    return 0;
  } finally {
    map.writeActive--;
  }
}

export function mapGetNextKey(ctx: SyscallCtx, attrBytes: Uint8Array): number {
  const p = ctx.kernel.profile;
  const a = ctx.attrOf(BpfCmd.BPF_MAP_GET_NEXT_KEY);
  if (checkAttrFails(BpfCmd.BPF_MAP_GET_NEXT_KEY, attrBytes, p)) return ctx.fail('SYS-4', 'CHECK_ATTR(BPF_MAP_GET_NEXT_KEY)', -Errno.EINVAL);
  const got = bpfMapGet(ctx, a.map_fd);
  if (typeof got === 'number') return ctx.fail('ELEM-3', 'map fd', got);
  const { map, file } = got;
  if (!(mapGetSysPerms(map, file) & FMODE_CAN_READ)) return ctx.fail('ELEM-3', 'fd not readable', -Errno.EPERM);
  let key: Uint8Array | null = null;
  if (a.key) {
    const k = copyKey(ctx, map, a.key, false);
    if (typeof k === 'number') return ctx.fail('ELEM-3', 'copy key', k);
    key = k;
  }
  const next = map.getNextKey(key);
  if (typeof next === 'number') return ctx.fail('ELEM-3', `${map.typeName} get_next_key`, next);
  if (!copyToUser(ctx.proc.mem, a.next_key, next)) return ctx.fail('ELEM-3', 'copy next_key out', -Errno.EFAULT);
  return 0;
}

/**
 * map_lookup_and_delete_elem: queue and stack maps pop (any flag → EINVAL), the hash family
 * (HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH) looks up and deletes, every other type → ENOTSUPP
 * after the key copy. ELEM-1
 */
export function mapLookupAndDeleteElem(ctx: SyscallCtx, attrBytes: Uint8Array): number {
  const p = ctx.kernel.profile;
  const a = ctx.attrOf(BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM);
  if (checkAttrFails(BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, attrBytes, p)) {
    return ctx.fail('SYS-4', 'CHECK_ATTR(BPF_MAP_LOOKUP_AND_DELETE_ELEM)', -Errno.EINVAL);
  }
  const flags = a.flags;
  if (flags & ~BigInt(ElemFlag.BPF_F_LOCK)) return ctx.fail('ELEM-3', 'flags', -Errno.EINVAL);
  const got = bpfMapGet(ctx, a.map_fd);
  if (typeof got === 'number') return ctx.fail('ELEM-3', 'map fd', got);
  const { map, file } = got;
  map.writeActive++;
  try {
    const perms = mapGetSysPerms(map, file);
    if (!(perms & FMODE_CAN_READ) || !(perms & FMODE_CAN_WRITE)) return ctx.fail('ELEM-1', 'fd not readable and writable', -Errno.EPERM);
    const queueStack = map.mapType === MapType.BPF_MAP_TYPE_QUEUE || map.mapType === MapType.BPF_MAP_TYPE_STACK;
    if (flags && queueStack) return ctx.fail('ELEM-3', 'flags on a queue or stack pop', -Errno.EINVAL);
    if (flags & BigInt(ElemFlag.BPF_F_LOCK) && !hasSpinLock(map)) return ctx.fail('ELEM-3', 'BPF_F_LOCK without a spin lock', -Errno.EINVAL);
    const key = copyKey(ctx, map, a.key, false);
    if (typeof key === 'number') return ctx.fail('ELEM-3', 'copy key', key);
    const value = map.sysLookupAndDelete(key, flags, elemCtx(ctx));
    if (typeof value === 'number') return ctx.fail('ELEM-3', `${map.typeName} lookup_and_delete`, value);
    if (!copyToUser(ctx.proc.mem, a.value, value)) return ctx.fail('ELEM-3', 'copy value out', -Errno.EFAULT);
    return 0;
  } finally {
    map.writeActive--;
  }
}
