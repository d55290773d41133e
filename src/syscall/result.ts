// What a syscall returns to its caller. spec: UAPI-CONV-2 — the kernel returns a value >= 0 or
// -errno; userspace sees -1 and errno. Two outcomes are neither: a positive return that is not an
// fd (a kernel path that hands back a byte count where an error belongs, HC-Q-1) is a SysResult
// flagged `nonFd`; a kernel oops inside the call (HC-Q-2) never returns at all — the task is killed
// and the caller gets TaskKilled thrown instead of a SysResult.
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
  /**
   * Set when ret > 0 is not an fd although the command returns fds on success: the kernel path
   * returned a positive value where an error belonged (e.g. copy_from_user's count of bytes not
   * copied). Says which step returned it. Userspace cannot tell it from an fd; bpfsig flags it.
   */
  readonly nonFd?: string;
}

export function sysResult(ret: number, sys: number, extra: { unsupported?: string; nonFd?: string } = {}): SysResult {
  if (extra.unsupported !== undefined) return { outcome: 'not-emulated', ret: NOT_EMULATED_RET, errno: null, sys, unsupported: extra.unsupported };
  return {
    outcome: ret < 0 ? 'errno' : 'ok',
    ret,
    errno: ret < 0 ? (errnoName(ret) ?? null) : null,
    sys,
    ...(extra.unsupported ? { unsupported: extra.unsupported } : {}),
    ...(extra.nonFd && ret > 0 ? { nonFd: extra.nonFd } : {}),
  };
}

/** Thrown inside the kernel where bpfsig does not model a path; turned into a 'not-emulated' result. */
export class NotEmulated extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'NotEmulated';
  }
}

/** What the kernel printed when it oopsed: the headline, the function it died in, and the rule modelled. */
export interface OopsReport {
  /** The oops headline as the kernel (or syzbot) words it, e.g. `general protection fault …`. */
  readonly text: string;
  /** The function the fault happened in (the RIP symbol). */
  readonly where: string;
  /** The spec id of the modelled bug. */
  readonly rule: string;
  /** What the faulting access was, in the terms of the code (e.g. `maps[n] with maps = ERR_PTR(-EFAULT)`). */
  readonly detail: string;
}

/**
 * Thrown by kernel code where the real kernel oopses (a bad pointer dereferenced in process
 * context). The syscall layer catches it at the outermost syscall, kills the task (do_exit: the
 * SYSCALL audit record without a return value, the task's fds closed) and throws TaskKilled to the
 * caller. Use SyscallCtx.oops(), which also records the event in the trace.
 */
export class KernelOops extends Error {
  constructor(
    readonly report: OopsReport,
    /** The syscall (trace id) the oops happened in. */
    readonly sys: number,
  ) {
    super(`kernel oops: ${report.text}`);
    this.name = 'KernelOops';
  }
}

/**
 * What the calling task gets from a syscall in which the kernel oopsed: nothing — it never returns.
 * Thrown out of Process's syscall methods so that no userspace code after the call runs; whoever
 * models the userspace side (the skeleton runtime, replay, the CLI) reports it as an oops, never as
 * an errno.
 */
export class TaskKilled extends Error {
  constructor(
    readonly pid: number,
    /** The outermost syscall (trace id) the task was in. */
    readonly sys: number,
    readonly oops: OopsReport,
  ) {
    super(`pid ${pid} was killed by a kernel oops in syscall #${sys}: ${oops.text}`);
    this.name = 'TaskKilled';
  }
}
