// Arrays of fixed-size records that BPF_PROG_LOAD reads from the caller (func_info, line_info,
// core_relos): the kernel copies them one record at a time through a bpfptr_t, so a fault shows up
// at the first unreadable record (-EFAULT), and a record larger than the kernel's struct must have
// a zero tail (bpf_check_uarg_tail_zero).

import { Errno } from '../errno.js';

/** Where the records live; `read` returns undefined when the bytes cannot be copied (a fault). */
export interface RecordSource {
  read(offset: number, len: number): Uint8Array | undefined;
}

/** Records held in a buffer: anything past its end faults, as an unmapped page would. */
export function recordsFromBytes(bytes: Uint8Array): RecordSource {
  return {
    read: (offset, len) => (offset >= 0 && len >= 0 && offset + len <= bytes.length ? bytes.slice(offset, offset + len) : undefined),
  };
}

const PAGE_SIZE = 4096;

/**
 * bpf_check_uarg_tail_zero(ptr + offset, expected, actual): 0, -E2BIG for a non-zero byte past
 * `expected` (or an absurd `actual` > PAGE_SIZE), -EFAULT when the tail cannot be read.
 */
export function checkTailZero(src: RecordSource, offset: number, expected: number, actual: number): number {
  if (actual > PAGE_SIZE) return -Errno.E2BIG;
  if (actual <= expected) return 0;
  const tail = src.read(offset + expected, actual - expected);
  if (!tail) return -Errno.EFAULT;
  return tail.some((b) => b !== 0) ? -Errno.E2BIG : 0;
}

/** The result of a record check: 0 or -errno, and what the kernel wrote back into the attr. */
export interface RecordCheck {
  err: number;
  /** On a non-zero record tail the kernel stores the record size it supports in this attr field. */
  writeBack?: { field: 'func_info_rec_size' | 'line_info_rec_size' | 'core_relo_rec_size'; value: number };
}
