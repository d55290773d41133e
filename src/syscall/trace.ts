// The one trace. Every syscall the emulated kernel handles yields structured events: the call with
// its decoded attr, the stages it went through (named by spec rule id), each LSM hook called with
// its return value, the audit records it emitted, the fds it installed, and its result. The CLI
// timeline, reports, test matchers and invariant checks all read this, and nothing else.
// spec: PROF-3 (trace vocabulary), LSM-EMU-1 (every hook call recorded with its return).

import type { ErrnoName } from './errno.js';
import type { SysOutcome } from './result.js';
import { lazyField, Pending, RetainedList, traceValue, type RetentionOptions, type TraceValue } from '../abi/records.js';

export { RetainedList, traceValue, type RetentionOptions, type TraceValue } from '../abi/records.js';

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
  /** 'not-emulated': bpfsig does not model the path (ret is then NOT_EMULATED_RET, not an errno). */
  readonly outcome: SysOutcome;
  readonly ret: number;
  readonly errno: ErrnoName | null;
  /** Set when the emulator does not model the path that was asked for: what it is. */
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

/**
 * Trace events a kernel keeps by default: a signed skeleton load is about 213, so this is the last
 * ~45 loads. (It was 50,000: every retained event outlives the young generation, and the larger
 * ring made a long run's loads about 20% slower — issue K, docs/architecture.md "Retention".)
 */
export const DEFAULT_TRACE_CAPACITY = 10_000;

/** An audit event's text: its record's body, read (and formatted, for a lazy record) on first read. */
const defineAuditText = lazyField<{ readonly body: string }, string>('text', (r) => r.body);
/** A syscall event's attr, rendered on first read (the renderer holds what it needs). */
const defineAttr = lazyField<AttrRenderer, Readonly<Record<string, TraceValue>>>('attr', (a) => a.render());

type AttrRenderer = { render(): Readonly<Record<string, TraceValue>> };
type AuditLike = { readonly serial: number; readonly type: string; readonly body: string };

/** What a syscall entry says, as the syscall layer has it (the attr address still a number). */
export interface SyscallEntryInfo {
  readonly sys: number;
  readonly parent: number | null;
  readonly pid: number;
  readonly name: string;
  readonly cmd?: string | undefined;
  readonly attrAddr?: bigint | undefined;
  readonly size?: number | undefined;
  readonly args?: Readonly<Record<string, TraceValue>> | undefined;
  readonly kernel: boolean;
}

/** A syscall entry as emitted: made into its event (same fields, same order) when the trace is read. */
class PendingSyscall extends Pending<TraceEvent> {
  constructor(
    private readonly seq: number,
    private readonly e: SyscallEntryInfo,
    private readonly attr: AttrRenderer | undefined,
  ) {
    super();
  }
  materialize(): TraceEvent {
    const e = this.e;
    const ev: Record<string, unknown> = { seq: this.seq, kind: 'syscall', sys: e.sys, parent: e.parent, pid: e.pid, name: e.name };
    if (e.cmd) ev.cmd = e.cmd;
    if (e.attrAddr !== undefined) ev.attrAddr = traceValue(e.attrAddr);
    if (e.size !== undefined) ev.size = e.size;
    if (this.attr) defineAttr(ev, this.attr);
    if (e.args) ev.args = e.args;
    ev.kernel = e.kernel;
    return ev as unknown as SyscallEnter;
  }
}

/** An audit record's event as emitted: made into its event when the trace is read. */
class PendingAudit extends Pending<TraceEvent> {
  constructor(
    private readonly seq: number,
    private readonly sys: number,
    private readonly r: AuditLike,
  ) {
    super();
  }
  materialize(): TraceEvent {
    const ev: Record<string, unknown> = { seq: this.seq, kind: 'audit', sys: this.sys, serial: this.r.serial, type: this.r.type };
    defineAuditText(ev, this.r);
    return ev as unknown as AuditEvent;
  }
}

/** An event kept in the ring until the trace is read (Trace.emitPending sets its seq). */
export abstract class PendingEvent extends Pending<TraceEvent> {
  seq = 0;
}

export class Trace {
  private readonly list: RetainedList<TraceEvent>;
  private nextSys = 1;
  private nextSeq = 0;

  constructor(opts: RetentionOptions = {}) {
    this.list = new RetainedList(opts, DEFAULT_TRACE_CAPACITY);
  }

  /**
   * The retained events, oldest first (all of them unless the ring dropped some: see `dropped`): a
   * copy, so an array kept by a reader never changes under it (the ring holds later entries in a
   * cheap form until a read makes them into events).
   */
  get events(): TraceEvent[] {
    return this.list.items.slice();
  }

  /** Events dropped from the front of the ring (0 with keepAll, or while under capacity). */
  get dropped(): number {
    return this.list.dropped;
  }

  get capacity(): number | null {
    return this.list.keepAll ? null : this.list.capacity;
  }

  /** Allocate a syscall id. */
  newSyscall(): number {
    return this.nextSys++;
  }

  /**
   * Record an event. The object handed in becomes the event (its `seq` added last, no copy): callers
   * pass a fresh literal and do not keep it.
   */
  emit(e: Omit2<TraceEvent>): TraceEvent {
    const ev = e as Omit2<TraceEvent> & { seq: number };
    ev.seq = this.nextSeq++;
    this.list.push(ev as TraceEvent);
    return ev as TraceEvent;
  }

  /**
   * A syscall entry whose attr is rendered only when a reader asks for it (issue K: most events of a
   * long run are never read). The event is made when the trace is read; its `attr` renders once, on
   * first read, from bytes the caller copied at entry, where `emit` would have put it.
   */
  emitSyscall(e: SyscallEntryInfo, attr: AttrRenderer | undefined): void {
    this.list.push(new PendingSyscall(this.nextSeq++, e, attr));
  }

  /**
   * An audit record's event: its text is the record's body, read (and, for a record formatted
   * lazily, formatted) only when a reader asks for it.
   */
  emitAudit(sys: number, r: AuditLike): void {
    this.list.push(new PendingAudit(this.nextSeq++, sys, r));
  }

  /** An event made only when the trace is read (its seq assigned now): for events costly to format. */
  emitPending(p: PendingEvent): void {
    p.seq = this.nextSeq++;
    this.list.push(p);
  }

  /** A mark for `since()`: the seq the next event will get. */
  mark(): number {
    return this.nextSeq;
  }

  /** Events emitted since `mark` that are still retained. */
  since(mark: number): TraceEvent[] {
    const ev = this.list.items;
    const first = ev.length ? ev[0]!.seq : this.nextSeq;
    return ev.slice(Math.max(0, mark - first));
  }

  /** Events of one syscall, including those of calls nested in it (bpf_sys_bpf). */
  ofSyscall(sys: number): TraceEvent[] {
    const ids = new Set([sys]);
    const out: TraceEvent[] = [];
    for (const e of this.list.items) {
      if (e.kind === 'syscall' && e.parent !== null && ids.has(e.parent)) ids.add(e.sys);
      if (ids.has(e.sys)) out.push(e);
    }
    return out;
  }

  syscalls(): SyscallEnter[] {
    return this.list.items.filter((e): e is SyscallEnter => e.kind === 'syscall');
  }

  hooks(name?: string): HookEvent[] {
    return this.list.items.filter((e): e is HookEvent => e.kind === 'hook' && (name === undefined || e.hook === name));
  }

  clear(): void {
    this.list.clear();
  }
}

