// Copies across the user/kernel boundary, and bpfptr_t (a pointer that is either a user pointer or,
// for calls that came from a BPF program through bpf_sys_bpf, a kernel pointer).
// spec: SYS-1 (bpf_check_uarg_tail_zero), SYS-2 (copy fault → EFAULT), SYS-6 (kernel pointers),
// UAPI-CONV-1, HC-Q-1 (copy_from_user returns the count of bytes NOT copied; the kernel variant -EFAULT).

import { Errno } from './errno.js';
import { KERNEL_HALF, TASK_SIZE, type AddressSpace } from './memory.js';

export interface BpfPtr {
  readonly addr: bigint;
  readonly isKernel: boolean;
}

export const userPtr = (addr: bigint): BpfPtr => ({ addr, isKernel: false });
export const kernelPtr = (addr: bigint): BpfPtr => ({ addr, isKernel: true });
/** make_bpfptr(addr, is_kernel) */
export const makeBpfPtr = (addr: bigint, isKernel: boolean): BpfPtr => ({ addr, isKernel });
export const bpfPtrIsNull = (p: BpfPtr): boolean => p.addr === 0n;

/** access_ok: the whole range lies below TASK_SIZE. */
export function accessOk(addr: bigint, len: number): boolean {
  // A u32 length at an address 4 GiB or more below TASK_SIZE: no BigInt sum needed.
  if ((len >>> 0) === len && addr >= 0n && addr <= TASK_SIZE_LESS_4G) return true;
  return addr >= 0n && addr + BigInt(len) <= TASK_SIZE;
}
const TASK_SIZE_LESS_4G = TASK_SIZE - 0x1_0000_0000n;

/** copy_from_user: the bytes, or undefined on a fault (the kernel returns the count not copied). */
export function copyFromUser(mem: AddressSpace, addr: bigint, len: number): Uint8Array | undefined {
  if (!accessOk(addr, len)) return undefined;
  return mem.read(addr, len);
}

/** copy_to_user: true when every byte was written. */
export function copyToUser(mem: AddressSpace, addr: bigint, data: Uint8Array): boolean {
  if (!accessOk(addr, data.length)) return false;
  return mem.write(addr, data);
}

/** copy_from_kernel_nofault: kernel addresses only. */
export function copyFromKernel(mem: AddressSpace, addr: bigint, len: number): Uint8Array | undefined {
  if (len > 0 && addr < KERNEL_HALF) return undefined;
  return mem.read(addr, len);
}

/** The pointer checks of copy_from_bpfptr for `len` bytes (access_ok for a user pointer, the kernel half for a kernel one). */
export function bpfPtrCopyOk(p: BpfPtr, len: number): boolean {
  return p.isKernel ? len === 0 || p.addr >= KERNEL_HALF : accessOk(p.addr, len);
}

/** copy_from_bpfptr_offset: the bytes, or undefined on a fault. */
export function copyFromBpfPtr(mem: AddressSpace, p: BpfPtr, len: number, offset = 0): Uint8Array | undefined {
  const addr = offset === 0 ? p.addr : p.addr + BigInt(offset);
  return p.isKernel ? copyFromKernel(mem, addr, len) : copyFromUser(mem, addr, len);
}

/**
 * copy_from_bpfptr_offset(dst, src, offset, size) with the kernel's return value: 0 and the bytes;
 * for a user pointer copy_from_user's count of bytes NOT copied (positive: the whole size when the
 * range fails access_ok, else what is left from the first unreadable byte on, which is zeroed);
 * for a kernel pointer copy_from_kernel_nofault's -EFAULT. `offset` is a size_t: a negative int
 * index times 4 wraps around, i.e. it moves the address down. Emulated memory is byte-exact (a
 * region ends where its data ends), so a partial copy stops at a region's end, where a real one
 * stops at a page boundary. spec: HC-Q-1, HC-ERR-5, HC-ERR-6
 */
export function copyFromBpfPtrOffset(mem: AddressSpace, p: BpfPtr, offset: bigint, len: number): { ret: number; bytes: Uint8Array } {
  const addr = BigInt.asUintN(64, p.addr + offset);
  const whole = p.isKernel ? copyFromKernel(mem, addr, len) : copyFromUser(mem, addr, len);
  if (whole) return { ret: 0, bytes: whole };
  if (p.isKernel) return { ret: -Errno.EFAULT, bytes: new Uint8Array(len) };
  const bytes = new Uint8Array(len);
  if (!accessOk(addr, len)) return { ret: len, bytes };
  let copied = 0;
  while (copied < len) {
    const b = mem.read(addr + BigInt(copied), 1);
    if (!b) break;
    bytes[copied++] = b[0]!;
  }
  return { ret: len - copied, bytes };
}

/** copy_to_bpfptr_offset: true on success. */
export function copyToBpfPtr(mem: AddressSpace, p: BpfPtr, data: Uint8Array, offset = 0): boolean {
  const addr = p.addr + BigInt(offset);
  if (p.isKernel) return addr >= KERNEL_HALF && mem.write(addr, data);
  return copyToUser(mem, addr, data);
}

/**
 * strncpy_from_bpfptr: the string up to its NUL (at most `max` bytes), or -EFAULT, or -E2BIG
 * semantics left to the caller (returns the full `max` bytes when no NUL was found: `truncated`).
 * The kernel copies byte by byte and faults at the first byte it cannot read. Here the first byte's
 * pointer checks and region are those of every later byte up to the region's end (a user region lies
 * below TASK_SIZE, a kernel one in the top half), and the byte after a region is never mapped (a guard
 * page: regions are byte-exact), so the string is read from that one region and faults where the
 * region ends before a NUL or `max`.
 */
export function strncpyFromBpfPtr(
  mem: AddressSpace,
  p: BpfPtr,
  max: number,
): { str: string; truncated: boolean } | undefined {
  if (max <= 0) return { str: '', truncated: true };
  const first = p.isKernel ? p.addr >= KERNEL_HALF : accessOk(p.addr, 1);
  const at = first ? mem.resolve(p.addr, 1) : undefined;
  if (!at) return undefined;
  const bytes = at.region.bytes;
  const end = Math.min(at.offset + max, bytes.length);
  let i = at.offset;
  while (i < end && bytes[i] !== 0) i++;
  const str = Buffer.from(bytes.buffer, bytes.byteOffset + at.offset, i - at.offset).toString('latin1');
  if (i < end) return { str, truncated: false };
  // No NUL in the region's part: the next byte is past the region (a fault) unless `max` was reached first.
  return i - at.offset === max ? { str, truncated: true } : undefined;
}

/**
 * bpf_check_uarg_tail_zero(uaddr, expected_size, actual_size). spec: SYS-1, MHASH-1
 * actual_size > PAGE_SIZE → -E2BIG; user range not accessible → -EFAULT; a non-zero byte past
 * expected_size → -E2BIG.
 */
export function checkUargTailZero(mem: AddressSpace, p: BpfPtr, expected: number, actual: number): number {
  if (actual > 4096) return -Errno.E2BIG;
  if (!p.isKernel && !accessOk(p.addr, actual)) return -Errno.EFAULT;
  if (actual <= expected) return 0;
  const tail = copyFromBpfPtr(mem, p, actual - expected, expected);
  if (!tail) return -Errno.EFAULT;
  return tail.some((b) => b !== 0) ? -Errno.E2BIG : 0;
}
