// What a syscall returns to its caller. spec: UAPI-CONV-2 — the kernel returns a value >= 0 or
// -errno; userspace sees -1 and errno. HC-Q-1 is the one positive non-fd result.

import { errnoName, type ErrnoName } from './errno.js';

export interface SysResult {
  /** The kernel's return value: >= 0, or -errno. */
  readonly ret: number;
  /** The errno name when ret < 0, else null. */
  readonly errno: ErrnoName | null;
  /** The trace id of the call (Kernel.trace.ofSyscall(sys) gives its events). */
  readonly sys: number;
  /**
   * Set when the emulator does not model the path the call took (ret is then -ENOSYS): never a
   * claim about the kernel, always a gap in bpfsig, and reported as such.
   */
  readonly unsupported?: string;
}

export function sysResult(ret: number, sys: number, unsupported?: string): SysResult {
  return { ret, errno: ret < 0 ? (errnoName(ret) ?? null) : null, sys, ...(unsupported ? { unsupported } : {}) };
}

/** Thrown inside the kernel where bpfsig does not model a path; turned into an `unsupported` result. */
export class NotEmulated extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'NotEmulated';
  }
}
