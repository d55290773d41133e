// The one trace. Every syscall the emulated kernel handles yields structured events: the call with
// its decoded attr, the stages it went through (named by spec rule id), each LSM hook called with
// its return value, the audit records it emitted, the fds it installed, and its result. The CLI
// timeline, reports, test matchers and invariant checks all read this, and nothing else.
// spec: PROF-3 (trace vocabulary), LSM-EMU-1 (every hook call recorded with its return).

import type { ErrnoName } from './errno.js';

/** JSON-safe attr values: u64 and pointers as `0x…` strings, names as strings. */
export type TraceValue = number | string;

interface Base {
  /** Position in the trace. */
  readonly seq: number;
  /** The syscall this event belongs to (the outermost one for nested kernel calls' own events). */
  readonly sys: number;
}

export interface SyscallEnter extends Base {
  readonly kind: 'syscall';
  /** The caller's syscall id when this call re-entered the kernel from a BPF program (bpf_sys_bpf). */
  readonly parent: number | null;
  readonly pid: number;
  /** `bpf`, `close`, `dup2`, `add_key`, … */
  readonly name: string;
  /** For bpf(): the command name, e.g. `BPF_MAP_CREATE`. */
  readonly cmd?: string;
  readonly attrAddr?: string;
  readonly size?: number;
  readonly attr?: Readonly<Record<string, TraceValue>>;
  /** Other syscall arguments. */
  readonly args?: Readonly<Record<string, TraceValue>>;
  /** True when the call came through bpf_sys_bpf / kern_sys_bpf (SYS-6). */
  readonly kernel: boolean;
}

/** A named step of a kernel path. `ret` is set when the step failed (negative errno) or returned a value. */
export interface StageEvent extends Base {
  readonly kind: 'stage';
  /** Spec rule id of the step, e.g. `MC-13`, `LOAD-9`, `MHASH-4`. */
  readonly id: string;
  readonly name: string;
  readonly ret?: number;
  readonly errno?: ErrnoName;
  readonly detail?: string;
  /** Set on the event a staged path (bpf_prog_load) emits as a stage starts; its outcome, if any, follows. */
  readonly enter?: true;
  /** On an enter event: what the stage is (`signature`, `admission`), for readers that look for it by role. */
  readonly role?: 'signature' | 'admission';
}

export interface HookEvent extends Base {
  readonly kind: 'hook';
  /** LSM hook name without the `security_` prefix, e.g. `bpf`, `bpf_map_create`, `bpf_prog_load`. */
  readonly hook: string;
  /** The LSM that answered, e.g. `capability`, `bpf`, `selinux`. */
  readonly lsm: string;
  readonly ret: number;
  readonly args: Readonly<Record<string, TraceValue | boolean>>;
}

export interface AuditEvent extends Base {
  readonly kind: 'audit';
  readonly serial: number;
  readonly type: string;
  readonly text: string;
}

export interface FdEvent extends Base {
  readonly kind: 'fd';
  readonly pid: number;
  readonly fd: number;
  readonly action: 'install' | 'close';
  readonly object: string;
}

export interface ObjectEvent extends Base {
  readonly kind: 'object';
  readonly action: 'alloc_id' | 'free';
  readonly type: 'map' | 'prog' | 'btf';
  readonly id: number;
  readonly name: string;
}

export interface SyscallExit extends Base {
  readonly kind: 'exit';
  readonly name: string;
  readonly cmd?: string;
  readonly ret: number;
  readonly errno: ErrnoName | null;
  /** Set when the emulator does not model the path that was asked for. */
  readonly unsupported?: string;
  /** Set when ret > 0 is not an fd (a positive value returned where an error belonged): which step returned it. */
  readonly nonFd?: string;
}

/**
 * The kernel oopsed inside this syscall: the call never returns (no `exit` event follows for it or
 * for the syscalls it was nested in); the task is killed. spec: HC-Q-2 (the modelled case).
 */
export interface OopsEvent extends Base {
  readonly kind: 'oops';
  readonly text: string;
  readonly where: string;
  readonly rule: string;
  readonly detail: string;
}

/** A helper call made by a running BPF program, as `name(arg=…) = ret`. */
export interface HelperEvent extends Base {
  readonly kind: 'helper';
  readonly pc: number;
  readonly helper: string;
  readonly text: string;
  readonly ret: string;
}

export interface NoteEvent extends Base {
  readonly kind: 'note';
  readonly text: string;
}

export type TraceEvent = SyscallEnter | StageEvent | HookEvent | AuditEvent | FdEvent | ObjectEvent | SyscallExit | HelperEvent | NoteEvent | OopsEvent;

type Omit2<T> = T extends unknown ? Omit<T, 'seq'> : never;

export class Trace {
  readonly events: TraceEvent[] = [];
  private nextSys = 1;

  /** Allocate a syscall id. */
  newSyscall(): number {
    return this.nextSys++;
  }

  emit(e: Omit2<TraceEvent>): TraceEvent {
    const ev = { seq: this.events.length, ...e } as TraceEvent;
    this.events.push(ev);
    return ev;
  }

  /** A mark for `since()`. */
  mark(): number {
    return this.events.length;
  }

  since(mark: number): TraceEvent[] {
    return this.events.slice(mark);
  }

  /** Events of one syscall, including those of calls nested in it (bpf_sys_bpf). */
  ofSyscall(sys: number): TraceEvent[] {
    const ids = new Set([sys]);
    const out: TraceEvent[] = [];
    for (const e of this.events) {
      if (e.kind === 'syscall' && e.parent !== null && ids.has(e.parent)) ids.add(e.sys);
      if (ids.has(e.sys)) out.push(e);
    }
    return out;
  }

  syscalls(): SyscallEnter[] {
    return this.events.filter((e): e is SyscallEnter => e.kind === 'syscall');
  }

  hooks(name?: string): HookEvent[] {
    return this.events.filter((e): e is HookEvent => e.kind === 'hook' && (name === undefined || e.hook === name));
  }

  clear(): void {
    this.events.length = 0;
  }
}

/** Render a value for the trace: bigints as hex. */
export function traceValue(v: number | bigint | string): TraceValue {
  return typeof v === 'bigint' ? '0x' + v.toString(16) : v;
}
