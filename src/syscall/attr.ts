// The size rules of union bpf_attr, in one place.
// spec: UAPI-CONV-3 (sizeof(union bpf_attr) per profile), SYS-1 (tail-zero → E2BIG), SYS-2 (copy
// min(size, sizeof) bytes, zero-filled; fault → EFAULT), SYS-4 (CHECK_ATTR → EINVAL), SYS-5
// (LAST_FIELD per command and profile), SYS-7 (same bytes, different kernels).

import { Errno } from './errno.js';
import type { AddressSpace } from './memory.js';
import type { KernelProfile } from './profiles/index.js';
import { bpfPtrCopyOk, checkUargTailZero, type BpfPtr } from './uaccess.js';
import { ATTR_LAYOUTS } from './uapi/attr-layouts.js';
import { fieldsFor, lastFieldEnd, type Layout } from './uapi/layout.js';

/** sizeof(union bpf_attr) for the profile: the largest member end, rounded up to 8. */
export function attrSize(profile: KernelProfile): number {
  let size = ATTR_SIZE.get(profile.uapi);
  if (size === undefined) {
    let end = 0;
    for (const l of ATTR_LAYOUTS.values()) end = Math.max(end, lastFieldEnd(l, profile.uapi));
    size = Math.ceil(end / 8) * 8;
    ATTR_SIZE.set(profile.uapi, size);
  }
  return size;
}
/** Both depend only on the profile's UAPI feature set (a set never changed after the profile is made). */
const ATTR_SIZE = new WeakMap<ReadonlySet<string>, number>();
const LAST_FIELD_END = new WeakMap<ReadonlySet<string>, Map<number, number | undefined>>();

/** offsetofend(CMD_LAST_FIELD) for the profile, or undefined for a command without a layout. */
export function lastFieldEndFor(cmd: number, profile: KernelProfile): number | undefined {
  let byCmd = LAST_FIELD_END.get(profile.uapi);
  if (!byCmd) LAST_FIELD_END.set(profile.uapi, (byCmd = new Map()));
  if (!byCmd.has(cmd)) {
    const l = ATTR_LAYOUTS.get(cmd);
    byCmd.set(cmd, l ? lastFieldEnd(l, profile.uapi) : undefined);
  }
  return byCmd.get(cmd);
}

/**
 * The __sys_bpf prologue: tail-zero check against sizeof(union bpf_attr), then a zero-filled copy
 * of min(size, sizeof) bytes. Returns the kernel's attr buffer or -errno.
 */
export function copyAttrIn(mem: AddressSpace, uattr: BpfPtr, size: number, profile: KernelProfile, entry?: AttrAtEntry): Uint8Array | number {
  const sizeofAttr = attrSize(profile);
  const err = checkUargTailZero(mem, uattr, sizeofAttr, size);
  if (err) return err;
  const n = Math.min(size, sizeofAttr);
  // The bytes the syscall layer read at entry for the trace are these same bytes (nothing ran in
  // between): taken over when the copy itself would have succeeded (its pointer checks pass).
  if (entry && entry.addr === uattr.addr && entry.bytes.length === sizeofAttr && entry.read === n && bpfPtrCopyOk(uattr, n)) return entry.bytes;
  const attr = new Uint8Array(sizeofAttr);
  if (n > 0) {
    if (!bpfPtrCopyOk(uattr, n) || !mem.readInto(uattr.addr, attr.subarray(0, n))) return -Errno.EFAULT;
  }
  return attr;
}

/**
 * The attr as read when the syscall was entered: min(size, sizeof(union bpf_attr)) bytes (`read`)
 * at `addr`, zero-filled to sizeof(union bpf_attr).
 */
export interface AttrAtEntry {
  readonly addr: bigint;
  readonly read: number;
  readonly bytes: Uint8Array;
}

/** CHECK_ATTR(CMD): true when a byte after the command's LAST_FIELD is non-zero (→ -EINVAL). */
export function checkAttrFails(cmd: number, attr: Uint8Array, profile: KernelProfile): boolean {
  const end = lastFieldEndFor(cmd, profile);
  if (end === undefined) return false;
  for (let i = end; i < attr.length; i++) if (attr[i] !== 0) return true;
  return false;
}

/** The layout's fields present in a profile, for encoders. */
export function presentFields(l: Layout, profile: KernelProfile) {
  return fieldsFor(l, profile.uapi);
}
