// What a syscall returns to its caller. spec: UAPI-CONV-2 — the kernel returns a value >= 0 or
// -errno; userspace sees -1 and errno. HC-Q-1 is the one positive non-fd result.
//
// A third outcome belongs to bpfsig, not to the kernel: the call reached a path bpfsig does not
// model ('not-emulated'). It is never dressed up as an errno: `ret` is then NOT_EMULATED_RET, a
// value outside the kernel's -MAX_ERRNO..-1 error range, `errno` is null and `unsupported` names
// the path. Code that only checks `ret < 0` still treats it as a failure (never as an fd).

import { errnoName, type ErrnoName } from './errno.js';

/** ok: ret >= 0; errno: ret = -errno; not-emulated: bpfsig does not model the path (no kernel answer). */
export type SysOutcome = 'ok' | 'errno' | 'not-emulated';

/**
 * `ret` of a not-emulated call: below -MAX_ERRNO (-4095), so IS_ERR_VALUE-style checks and
 * errnoName() never read it as a kernel error code.
 */
export const NOT_EMULATED_RET = -4096;

export interface SysResult {
  readonly outcome: SysOutcome;
  /** The kernel's return value: >= 0, or -errno; NOT_EMULATED_RET when outcome is 'not-emulated'. */
  readonly ret: number;
  /** The errno name when outcome is 'errno', else null. */
  readonly errno: ErrnoName | null;
  /** The trace id of the call (Kernel.trace.ofSyscall(sys) gives its events). */
  readonly sys: number;
  /**
   * Set (with outcome 'not-emulated') when the emulator does not model the path the call took:
   * never a claim about the kernel, always a gap in bpfsig, and reported as such.
   */
  readonly unsupported?: string;
}

export function sysResult(ret: number, sys: number, unsupported?: string): SysResult {
  if (unsupported !== undefined) return { outcome: 'not-emulated', ret: NOT_EMULATED_RET, errno: null, sys, unsupported };
  return { outcome: ret < 0 ? 'errno' : 'ok', ret, errno: ret < 0 ? (errnoName(ret) ?? null) : null, sys };
}

/** Thrown inside the kernel where bpfsig does not model a path; turned into a 'not-emulated' result. */
export class NotEmulated extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'NotEmulated';
  }
}
