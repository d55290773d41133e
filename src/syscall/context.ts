// Per-syscall state: who called, which trace id, which audit context, whether pointers are kernel
// pointers (a call that came from a BPF program through bpf_sys_bpf), and helpers to record stages.

import type { AuditContext } from '../audit/log.js';
import type { LsmContext, LsmKernel } from '../lsm/hooks.js';
import type { HookRecorder } from '../lsm/chain.js';
import type { Kernel } from './kernel.js';
import type { StageRole } from './prog-load/load.js';
import { lsmKernel } from './lsm-kernel.js';
import type { Process } from './process.js';
import { KernelOops, type OopsReport } from './result.js';
import { makeBpfPtr, type BpfPtr } from './uaccess.js';
import { decodeTypedAttr, type AttrByCmd, type TypedAttr } from '../abi/uapi/attr-types.js';
import type { UapiFeature } from '../abi/uapi/layout.js';
import { typedAttrTrace } from '../abi/uapi/typed-attr.js';
import type { AttrAtEntry } from './attr.js';
import type { TraceValue } from '../abi/records.js';

/**
 * A syscall's attr for the trace: the bytes copied at entry until the command has decoded the attr
 * (then the decoded value, and the bytes are let go), rendered only when a reader asks.
 */
export class TraceAttr {
  #typed: TypedAttr | undefined;
  #bytes: Uint8Array | undefined;
  #entry: AttrAtEntry | undefined;
  constructor(
    private readonly cmd: number,
    bytes: Uint8Array,
    private readonly uapi: ReadonlySet<UapiFeature>,
    entry?: AttrAtEntry,
  ) {
    this.#bytes = bytes;
    this.#entry = entry;
  }
  /** The bytes read at entry, for __sys_bpf's copy-in to take over (until it has decoded them). */
  get atEntry(): AttrAtEntry | undefined {
    return this.#entry;
  }
  /** The attr as __sys_bpf decoded it (the kernel's copy). */
  set typed(t: TypedAttr) {
    this.#typed = t;
    this.#bytes = undefined;
    this.#entry = undefined;
  }
  render(): Record<string, TraceValue> {
    return typedAttrTrace(this.#typed ?? decodeTypedAttr(this.cmd, this.#bytes!, this.uapi)!, this.uapi);
  }
}

export class SyscallCtx {
  constructor(
    readonly kernel: Kernel,
    readonly proc: Process,
    /** Trace id of this call. */
    readonly sys: number,
    /** The audit context of the syscall the task is in (shared by nested kernel calls). */
    readonly audit: AuditContext | null,
    /** SYS-6: pointers in the attr are kernel pointers. */
    readonly isKernel: boolean,
    readonly parent: SyscallCtx | null,
  ) {}

  /**
   * Set by a kernel path that returns a positive value which is not an fd (see SysResult.nonFd):
   * which step returned it. Read when the call exits; ignored unless the return value is positive.
   */
  nonFd: string | undefined = undefined;

  /** Set when the call reached a path bpfsig does not model (NotEmulated): what it is. */
  unsupported: string | undefined = undefined;
  /** Set when the kernel oopsed inside the call (KernelOops), with the syscall it happened in. */
  oopsed: OopsReport | undefined = undefined;
  oopsSys = 0;

  /**
   * The bpf() attr, decoded once by __sys_bpf from the kernel's copy (attr-types.ts): commands and
   * the load stages read their fields from it, and the trace renders it lazily. Undefined before the
   * copy-in succeeded and for syscalls other than bpf().
   */
  typedAttr: TypedAttr | undefined = undefined;

  /** Where the trace's syscall event renders its attr from (set when the event shows one). */
  traceAttr: TraceAttr | undefined = undefined;

  /** The attr of the command being run, as its generated type (a RangeError if it is another command's). */
  attrOf<C extends keyof AttrByCmd>(cmd: C): AttrByCmd[C] {
    const t = this.typedAttr;
    if (t === undefined || t.cmd !== cmd) throw new RangeError(`bpf attr of command ${String(cmd)} asked for, ${t ? `command ${t.cmd}'s` : 'none'} decoded`);
    // the check above is the narrowing TypeScript cannot follow through a generic
    return t.attr as AttrByCmd[C];
  }

  /** make_bpfptr(addr, uattr.is_kernel) */
  ptr(addr: bigint): BpfPtr {
    return makeBpfPtr(addr, this.isKernel);
  }

  /** Record a step that was taken (and what it returned, if anything). */
  step(id: string, name: string, detail?: string, ret?: number): void {
    this.kernel.trace.emitStep(this.sys, id, name, ret, detail);
  }

  /** Record that a stage of a staged path starts (its own steps and failures follow). */
  enter(id: string, name: string, role?: StageRole): void {
    this.kernel.trace.emitEnter(this.sys, id, name, role);
  }

  /** Record the step that failed and return its error, so call sites read `return ctx.fail(…)`. */
  fail(id: string, name: string, err: number, detail?: string): number {
    this.kernel.trace.emitFail(this.sys, id, name, err, detail);
    return err;
  }

  /**
   * The kernel oopses here (a bad pointer dereferenced in process context): record it in the trace
   * and unwind to the syscall layer, which kills the task. Never returns.
   */
  oops(report: OopsReport): never {
    this.kernel.trace.emit({ kind: 'oops', sys: this.sys, ...report });
    throw new KernelOops(report, this.sys);
  }

  /** What LSM callbacks may see and do (one view per syscall: every hook of the call gets it). */
  lsmContext(): LsmContext {
    return (this.#lsm ??= new SyscallLsmContext(this));
  }
  #lsm: LsmContext | undefined;

  /** Records each LSM hook call of this syscall in the trace (one recorder per syscall, made for its first hook). */
  get hookRecorder(): HookRecorder {
    return (this.#recorder ??= (hook, lsm, ret, args) => this.kernel.trace.emitHook(this.sys, hook, lsm, ret, args));
  }
  #recorder: HookRecorder | undefined;
}

/**
 * The LsmContext of one syscall: the task's pid and comm, its credentials as they are when a hook
 * reads them, audit into the syscall's event, and the kernel's services (made for the first hook
 * that asks: most hooks never do).
 */
class SyscallLsmContext implements LsmContext {
  readonly pid: number;
  readonly comm: string;
  #kernel: LsmKernel | undefined;
  constructor(private readonly ctx: SyscallCtx) {
    this.pid = ctx.proc.pid;
    this.comm = ctx.proc.comm;
  }
  get cred(): LsmContext['cred'] {
    return this.ctx.proc.cred;
  }
  get kernel(): LsmKernel {
    return (this.#kernel ??= lsmKernel(this.ctx));
  }
  audit(type: Parameters<LsmContext['audit']>[0], body: string): void {
    this.ctx.kernel.audit.log(this.ctx.audit, type, body);
  }
}
