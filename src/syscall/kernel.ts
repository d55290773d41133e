// The emulated kernel: profile and config, kernel memory, object id allocators, processes, the LSM
// chain, the audit log, the trace, and the bpf() entry (__sys_bpf) with its command table.
// spec: SYS-1..3 (entry), SYS-6 (kernel-originated calls), LSM-STACK-*, AUD-SER-*.

import { AuditLog } from '../audit/log.js';
import type { AuditSeries } from '../audit/series.js';
import { KeyService } from '../keys/key-service.js';
import type { KeysConfig } from '../keys/config.js';
import { DEFAULT_RULES, parseAuditRule, SYSCALL_NR, type AuditRule } from '../audit/rules.js';
import { LsmChain } from '../lsm/chain.js';
import type { LsmModule } from '../lsm/hooks.js';
import { createLsms, type LsmOptions } from '../lsm/index.js';
import { copyAttrIn, attrSize } from './attr.js';
import { VirtualClock, type Clock } from './clock.js';
import { BPF_COMMANDS } from './commands/index.js';
import { SyscallCtx } from './context.js';
import { makeCred, type CapName, type Cred } from './creds.js';
import { Errno } from './errno.js';
import type { OpenFile } from './file.js';
import { Idr } from './idr.js';
import { CoreCandCache } from './kernel-btf/core-apply.js';
import { Kallsyms } from './kernel-btf/kallsyms.js';
import { bootVmlinuxBtf, vmlinuxBtfSource, type KernelBtfChoice, type VmlinuxBtfKind } from './kernel-btf/source.js';
import { AddressSpace, KERNEL_HALF } from './memory.js';
import type { Btf } from './objects/btf.js';
import type { BpfMap } from './objects/map.js';
import type { BpfProg } from './objects/prog.js';
import { Process, type ProcessOptions } from './process.js';
import type { LoadCtx } from './prog-load/load.js';
import { defaultProfile, getProfile, profileNames, type KernelConfig, type KernelProfile } from './profiles/index.js';
import { KernelOops, NOT_EMULATED_RET, NotEmulated, sysResult, TaskKilled, type OopsReport, type SysResult } from './result.js';
import { securityBpf, securityBpfMapFree } from './security.js';
import { Trace, type SyscallExit, type RetentionOptions, type TraceValue } from './trace.js';
import { kernelPtr, userPtr, type BpfPtr } from './uaccess.js';
import { ATTR_LAYOUTS } from './uapi/attr-layouts.js';
import { cmdName } from './uapi/consts.js';
import { decodeTypedAttr } from '../abi/uapi/attr-types.js';
import { TraceAttr } from './context.js';
import { slabBytes } from '../abi/slab.js';

export interface KernelOptions {
  /** A profile or the name of a registered one (default: the registry's default, v6.18). */
  readonly profile?: KernelProfile | string;
  /** Overrides of the profile's default config. */
  readonly config?: Partial<KernelConfig>;
  readonly clock?: Clock;
  /**
   * LSMs after `capability` (always first), in `lsm=` order: names of registered LSMs
   * (`deny-unsigned`, `signature-audit`, `ipe`, `hornet`, …; see lsmFactories()) or modules of
   * your own (policyModule()).
   */
  readonly lsm?: readonly (string | LsmModule)[];
  /** Options for the named LSMs (e.g. the IPE policy text). */
  readonly lsmOptions?: LsmOptions;
  readonly audit?: {
    readonly enabled?: boolean;
    /** auditctl rules; default: every bpf() call (DEFAULT_RULES). */
    readonly rules?: readonly string[];
    readonly firstSerial?: number;
    /** How many records the log keeps (default: the newest DEFAULT_AUDIT_CAPACITY; keepAll: every one). */
    readonly retention?: RetentionOptions;
    /**
     * One audit log over several kernels (src/audit/series.ts): the series gives this kernel its
     * clock and first serial, after the previous kernel's, and collects its records as they are
     * emitted (whatever the log itself retains).
     */
    readonly series?: AuditSeries;
  };
  /** How many trace events the kernel keeps (default: the newest DEFAULT_TRACE_CAPACITY; keepAll: every one). */
  readonly trace?: RetentionOptions;
  /** kernel.unprivileged_bpf_disabled (default 2, as with CONFIG_BPF_UNPRIV_DEFAULT_OFF=y). */
  readonly unprivilegedBpfDisabled?: 0 | 1 | 2;
  /** Emulator resource limit: one map's storage above this fails with -ENOMEM (default 256 MiB). */
  readonly maxMapBytes?: number;
  /** Key subsystem settings beyond what the kernel config decides (blacklist, hashes, fips, …). */
  readonly keys?: Partial<KeysConfig>;
  /** DER certificates compiled into the kernel: they populate `.builtin_trusted_keys` at boot. */
  readonly builtinCerts?: readonly Uint8Array[];
  /**
   * The kernel's own BTF (vmlinux) as raw bytes, e.g. a real `/sys/kernel/btf/vmlinux`. Default:
   * bpfsig's built-in vmlinux BTF for the profile; null: a kernel without BTF (programs that need
   * kernel BTF fail as they would there).
   */
  readonly vmlinuxBtf?: Uint8Array | null;
  /**
   * Which vmlinux BTF to boot with (exclusive with `vmlinuxBtf`): 'builtin' (the default),
   * 'build' — the real build's own BTF for a profile tied to one (v6.17, v6.18.15, v7.2, v7.3;
   * cached and fetched by src/realkernel, docs/realkernel.md) — or the path of a raw BTF file.
   * A choice that cannot be honoured throws (KernelBtfError); it never falls back.
   */
  readonly kernelBtf?: KernelBtfChoice;
  readonly firstPid?: number;
}

/** Where a staged syscall is about to run its next stage. */
export interface StageBoundary {
  readonly ctx: SyscallCtx;
  /** The load's state (the program, its used maps so far). */
  readonly load: LoadCtx;
  readonly cmd: string;
  /** The stage about to run (its spec id). */
  readonly stage: string;
  /** Its position in the profile's list. */
  readonly index: number;
}

export type BpfCommandFn = (ctx: SyscallCtx, attr: Uint8Array, uattr: BpfPtr, size: number) => number;

export class Kernel {
  readonly profile: KernelProfile;
  readonly config: KernelConfig;
  readonly clock: Clock;
  readonly trace: Trace;
  readonly audit: AuditLog;
  readonly lsm: LsmChain;
  /** Kernel memory (the top half of every process's address space). */
  readonly kmem = AddressSpace.kernelSpace();
  readonly mapIdr = new Idr<BpfMap>();
  readonly btfIdr = new Idr<Btf>();
  readonly progIdr = new Idr<BpfProg>();
  /** Keyrings and keys (system keyrings, every key by serial). */
  readonly keys: KeyService;
  readonly sysctl: { unprivileged_bpf_disabled: 0 | 1 | 2 };
  readonly limits: { maxMapBytes: number };
  readonly processes = new Map<number, Process>();
  /** The command table; later subsystems (program load, test run) register here. */
  readonly commands: Map<number, BpfCommandFn>;
  /** Credentials of kernel threads (used for work done outside any syscall). */
  readonly initCred: Cred = makeCred({ uid: 0 });
  private nextPid: number;
  private readonly stack: SyscallCtx[] = [];
  private readonly bootNs: bigint;
  private vmlinux: Btf | null = null;
  /** Where the vmlinux BTF came from, for reports (kernel-btf/source.ts). */
  readonly btfSource: { readonly kind: VmlinuxBtfKind; readonly label: string };
  /** Lines written by bpf_trace_printk (the trace pipe). */
  readonly tracePipe: string[] = [];
  /** The kernel's symbol table (kfuncs, ksyms, attach targets, bpf_kallsyms_lookup_name). */
  kallsyms: Kallsyms = new Kallsyms([]);
  /**
   * Called at every stage boundary of a staged path (BPF_PROG_LOAD), before the stage runs: the
   * race harness runs another thread's syscalls there (src/scenarios/races.ts). Null normally.
   */
  interleave: ((at: StageBoundary) => void) | null = null;
  /** The CO-RE candidate caches (kernel-wide state in the kernel, like here). */
  readonly coreCache = new CoreCandCache();
  /**
   * Oopses so far, oldest first (what dmesg would show). The kernel goes on (panic_on_oops=0): the
   * task that hit one was killed, other processes keep running on a kernel tainted 'D'.
   */
  readonly oopses: { readonly pid: number; readonly sys: number; readonly report: OopsReport }[] = [];

  constructor(opts: KernelOptions = {}) {
    const p = typeof opts.profile === 'string' ? getProfile(opts.profile) : opts.profile;
    if (typeof opts.profile === 'string' && !p) throw new RangeError(`unknown kernel profile '${opts.profile}' (known: ${profileNames().join(', ')})`);
    this.profile = p ?? defaultProfile();
    this.config = { ...this.profile.config, ...opts.config };
    const seat = opts.audit?.series?.next();
    this.clock = opts.clock ?? seat?.clock ?? new VirtualClock();
    this.lsm = new LsmChain(createLsms(opts.lsm ?? [], opts.lsmOptions));
    this.trace = new Trace(opts.trace);
    this.audit = new AuditLog(this.clock, {
      ...(opts.audit?.retention ? { retention: opts.audit.retention } : {}),
      enabled: (opts.audit?.enabled ?? true) && this.config.CONFIG_AUDIT,
      rules: (opts.audit?.rules ?? DEFAULT_RULES).map(parsedAuditRule),
      firstSerial: opts.audit?.firstSerial ?? seat?.firstSerial ?? 1,
    });
    this.audit.onRecord = (r, part) => this.trace.emitAudit(this.current?.sys ?? 0, r, part);
    // After the trace's listener: the series adds itself to it.
    opts.audit?.series?.attach(this.audit, this.clock);
    this.sysctl = { unprivileged_bpf_disabled: opts.unprivilegedBpfDisabled ?? 2 };
    this.limits = { maxMapBytes: opts.maxMapBytes ?? 256 * 1024 * 1024 };
    this.nextPid = opts.firstPid ?? 1000;
    this.commands = new Map(BPF_COMMANDS);
    const cfg = this.config;
    this.keys = new KeyService({
      config: {
        keys: cfg.CONFIG_KEYS,
        secondaryTrustedKeyring: cfg.CONFIG_SECONDARY_TRUSTED_KEYRING,
        platformKeyring: cfg.CONFIG_INTEGRITY_PLATFORM_KEYRING,
        ...opts.keys,
      },
      clock: { now: () => this.clock.now().sec },
    });
    const t0 = this.clock.now();
    this.bootNs = BigInt(t0.sec) * 1_000_000_000n + BigInt(t0.nsec);
    const src = vmlinuxBtfSource(this.profile, opts);
    this.btfSource = { kind: src.kind, label: src.label };
    if (src.bytes) this.loadVmlinux(src.bytes);
    for (const der of opts.builtinCerts ?? []) {
      const r = this.keys.load_builtin_certificate(der);
      if (r < 0) throw new RangeError(`builtin certificate rejected (${r})`);
    }
    // The LSMs' init and startup work (e.g. IPE's boot policy), now that audit and the keyrings exist.
    this.lsm.boot(this);
  }

  /** ktime_get_boottime_ns(): nanoseconds since this kernel booted. */
  bootTimeNs(): bigint {
    const t = this.clock.now();
    return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec) - this.bootNs;
  }

  /** bpf_get_btf_vmlinux(): the kernel's BTF object, or null when the kernel has none. */
  vmlinuxBtf(): Btf | null {
    return this.vmlinux;
  }

  /** Register the kernel's BTF at boot (it takes BTF object id 1, as on a real kernel). */
  private loadVmlinux(bytes: Uint8Array): void {
    const r = bootVmlinuxBtf(bytes, this.config.CONFIG_KALLSYMS_ALL);
    if ('error' in r) throw new RangeError(`vmlinux BTF rejected: ${r.error}`);
    r.btf.kernel = true;
    r.btf.name = 'vmlinux';
    r.btf.id = this.btfIdr.allocCyclic(r.btf);
    this.vmlinux = r.btf;
    this.kallsyms = r.kallsyms;
  }

  /** sizeof(union bpf_attr) for this kernel's profile (computed once). */
  get sizeofAttr(): number {
    return (this.#sizeofAttr ??= attrSize(this.profile));
  }
  #sizeofAttr: number | undefined;

  /** The syscall being handled (innermost), if any. */
  get current(): SyscallCtx | undefined {
    const n = this.stack.length;
    // no read at index -1 (a slow property lookup): audit's exit records are emitted with the stack empty
    return n > 0 ? this.stack[n - 1] : undefined;
  }

  /** Start a process. Root with CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN unless told otherwise. */
  spawn(opts: ProcessOptions & { uid?: number; caps?: Iterable<CapName> } = {}): Process {
    const cred = opts.cred ?? makeCred({ uid: opts.uid ?? 0, ...(opts.caps ? { caps: opts.caps } : {}) });
    const proc = new Process(this, this.nextPid++, cred, opts);
    this.processes.set(proc.pid, proc);
    return proc;
  }
  /** A second thread of `proc` (shared fds, memory and keyrings; its own task id). */
  spawnThread(proc: Process, comm = proc.comm): Process {
    const t = new Process(this, this.nextPid++, proc.cred, { threadOf: proc, comm, exe: proc.exe, argv: proc.argv, ppid: proc.ppid, auid: proc.auid, ses: proc.ses, tty: proc.tty });
    this.processes.set(t.pid, t);
    return t;
  }


  /**
   * Run a syscall for a process: clock tick, trace entry, audit context, the body, audit exit,
   * trace exit. The body returns the kernel's value (>= 0 or -errno).
   */
  syscall(
    proc: Process,
    name: string,
    nr: number,
    args: readonly bigint[],
    info: { cmd?: string; attrAddr?: bigint; size?: number; args?: Record<string, TraceValue> },
    body: (ctx: SyscallCtx) => number,
  ): SysResult {
    const ctx = this.enter(proc, name, nr, args, info.cmd, info.attrAddr, info.size, info.args);
    this.stack.push(ctx);
    let ret: number;
    try {
      ret = body(ctx);
    } catch (e) {
      ret = this.caught(ctx, e);
    } finally {
      this.stack.pop();
    }
    return this.leave(ctx, name, info.cmd, ret);
  }

  /**
   * bpf(2) from a process: what `syscall` does with __sys_bpf as the body, without a closure or an
   * info object per call (issue K).
   */
  bpfSyscall(proc: Process, cmd: number, attr: bigint, size: number): SysResult {
    const cmdStr = cmdName(cmd);
    const ctx = this.enter(proc, 'bpf', SYSCALL_NR_BPF, [smallBigInt(cmd), attr, smallBigInt(size), 0n], cmdStr, attr, size, undefined);
    return this.leave(ctx, 'bpf', cmdStr, this.stackedSysBpf(ctx, cmd, userPtr(attr), size));
  }

  /** __sys_bpf with `ctx` on the syscall stack; what the body throws becomes its outcome (`caught`). */
  private stackedSysBpf(ctx: SyscallCtx, cmd: number, uattr: BpfPtr, size: number): number {
    this.stack.push(ctx);
    try {
      return this.sysBpf(ctx, cmd, uattr, size);
    } catch (e) {
      return this.caught(ctx, e);
    } finally {
      this.stack.pop();
    }
  }

  /** Syscall entry: clock tick, trace entry (with the attr peeked for bpf), audit context. */
  private enter(
    proc: Process,
    name: string,
    nr: number,
    args: readonly bigint[],
    cmd: string | undefined,
    attrAddr: bigint | undefined,
    size: number | undefined,
    traceArgs: Record<string, TraceValue> | undefined,
  ): SyscallCtx {
    if (proc.killed) throw new Error(`pid ${proc.pid} was killed by a kernel oops (${proc.killed.text}); a dead task makes no syscalls`);
    this.clock.tick();
    const sys = this.trace.newSyscall();
    const peek = attrAddr !== undefined && cmd && name === 'bpf' ? this.peekAttr(proc.mem, attrAddr, size ?? 0, Number(args[0]), false) : undefined;
    this.trace.emitSyscall(sys, null, proc.pid, name, cmd, attrAddr, size, traceArgs, false, peek);
    const actx = this.audit.syscallEntry(proc.auditTask(), nr, args);
    const ctx = new SyscallCtx(this, proc, sys, actx, false, null);
    ctx.traceAttr = peek;
    return ctx;
  }

  /** Syscall exit of an outer call: audit exit, trace exit; an oops kills the task instead. */
  private leave(ctx: SyscallCtx, name: string, cmd: string | undefined, ret: number): SysResult {
    const oops = ctx.oopsed;
    if (oops !== undefined) {
      // do_exit() of the task that oopsed: audit_free() logs the syscall without a return value
      // (AUDITSC_INVALID), exit_files() closes its fds. The call never returns to userspace.
      this.audit.syscallExit(ctx.audit, null);
      this.killTask(ctx, oops);
      throw new TaskKilled(ctx.proc.pid, ctx.sys, oops);
    }
    // A path bpfsig does not model has no exit value to audit: no SYSCALL record is made up for it.
    if (ctx.unsupported === undefined) this.audit.syscallExit(ctx.audit, ret);
    return this.exit(ctx, name, cmd, ret, ctx.unsupported);
  }

  /**
   * make_task_dead() after an oops: the task makes no further syscalls; exit_files() drops its
   * reference to the fd table, which closes the files only when no other live thread shares it.
   */
  private killTask(ctx: SyscallCtx, report: OopsReport): void {
    const proc = ctx.proc;
    this.oopses.push({ pid: proc.pid, sys: ctx.sys, report });
    proc.killed = report;
    const shared = [...this.processes.values()].some((p) => p !== proc && p.fds === proc.fds && !p.killed);
    if (!shared) for (const fd of proc.fds.fds()) this.closeFd(ctx, fd);
  }

  /**
   * A bpf() call made from inside the kernel on behalf of a BPF program (bpf_sys_bpf), in the
   * context of the syscall that runs the program: kernel pointers, `kernel = true` for every hook,
   * records in the outer syscall's audit event. spec: SYS-6, LSM-KERN-1, TRUN-6, OBS-AUD-1
   */
  kernBpf(outer: SyscallCtx, cmd: number, attr: bigint, size: number): SysResult {
    const sys = this.trace.newSyscall();
    const cmdStr = cmdName(cmd);
    const peek = this.peekAttr(outer.proc.mem, attr, size, cmd, true);
    this.trace.emitSyscall(sys, outer.sys, outer.proc.pid, 'bpf', cmdStr, attr, size, undefined, true, peek);
    const ctx = new SyscallCtx(this, outer.proc, sys, outer.audit, true, outer);
    ctx.traceAttr = peek;
    const ret = this.stackedSysBpf(ctx, cmd, kernelPtr(attr), size);
    // An oops in a nested call kills the task that runs the program: it unwinds to the outer syscall.
    if (ctx.oopsed !== undefined) throw new KernelOops(ctx.oopsed, ctx.oopsSys);
    return this.exit(ctx, 'bpf', cmdStr, ret, ctx.unsupported);
  }

  /**
   * What a syscall body threw: a path bpfsig does not model (noted in the trace; the call returns
   * NOT_EMULATED_RET and ctx.unsupported says what), or an oops (ctx.oopsed, for the caller to kill
   * the task); anything else is a bug and propagates.
   */
  private caught(ctx: SyscallCtx, e: unknown): number {
    if (e instanceof NotEmulated) {
      this.trace.emit({ kind: 'note', sys: ctx.sys, text: `not emulated: ${e.message}` });
      ctx.unsupported = e.message;
      return NOT_EMULATED_RET;
    }
    if (e instanceof KernelOops) {
      ctx.oopsed = e.report;
      ctx.oopsSys = e.sys;
      return 0;
    }
    throw e;
  }

  private exit(ctx: SyscallCtx, name: string, cmd: string | undefined, ret: number, unsupported?: string): SysResult {
    if (!unsupported && !(ctx.nonFd && ret > 0)) {
      // the ordinary outcome (ok or errno): the trace keeps it packed (issue K)
      const r = sysResult(ret, ctx.sys);
      this.trace.emitExit(ctx.sys, name, cmd, ret);
      return r;
    }
    // not emulated, or a positive value that is not an fd: the exit event says which
    const r = sysResult(ret, ctx.sys, { ...(unsupported ? { unsupported } : {}), ...(ctx.nonFd ? { nonFd: ctx.nonFd } : {}) });
    const ev: Omit<SyscallExit, 'seq'> & { cmd?: string; unsupported?: string; nonFd?: string } = cmd
      ? { kind: 'exit', sys: ctx.sys, name, cmd, outcome: r.outcome, ret: r.ret, errno: r.errno }
      : { kind: 'exit', sys: ctx.sys, name, outcome: r.outcome, ret: r.ret, errno: r.errno };
    if (unsupported) ev.unsupported = unsupported;
    if (r.nonFd) ev.nonFd = r.nonFd;
    this.trace.emit(ev);
    return r;
  }

  /**
   * The attr for the trace, without side effects: the bytes are copied now (undefined if they cannot
   * be read) and rendered only when a reader asks (Trace.emitSyscall) — from the value __sys_bpf
   * decoded once (TraceAttr.typed) when the call got that far, else from these bytes.
   */
  private peekAttr(mem: AddressSpace, addr: bigint, size: number, cmd: number, isKernel: boolean): TraceAttr | undefined {
    if (!ATTR_LAYOUTS.has(cmd)) return undefined;
    const n = Math.min(size, this.sizeofAttr);
    if (!isKernel && (addr < 0n || addr >= KERNEL_HALF)) return undefined; // addr >> 63n without a BigInt
    // zero-filled to sizeof(union bpf_attr), as the kernel's copy is: copy-in takes these bytes over (copyAttrIn)
    const bytes = slabBytes(this.sizeofAttr);
    if (n > 0 && !mem.readInto(addr, bytes, n)) return undefined;
    return new TraceAttr(cmd, bytes, this.profile.uapi, { addr, read: n, bytes });
  }

  /**
   * __sys_bpf: tail-zero and copy-in (SYS-1, SYS-2), security_bpf for every command (SYS-3), then
   * the command. An unknown command gives -EINVAL after the hook, as in the kernel.
   */
  sysBpf(ctx: SyscallCtx, cmd: number, uattr: BpfPtr, size: number): number {
    const attr = copyAttrIn(ctx.proc.mem, uattr, size, this.profile, ctx.traceAttr?.atEntry);
    if (typeof attr === 'number') return ctx.fail(attr === -Errno.EFAULT ? 'SYS-2' : 'SYS-1', 'copy attr', attr);
    const sized = Math.min(size, attr.length);
    // The attr decoded once (issue K): the command, its stages and the trace read this value.
    const typed = decodeTypedAttr(cmd, attr, this.profile.uapi);
    ctx.typedAttr = typed;
    if (typed && ctx.traceAttr) ctx.traceAttr.typed = typed;
    const err = securityBpf(ctx, cmd, typed, sized);
    if (err < 0) return ctx.fail('SYS-3', 'security_bpf', err);
    const fn = this.commands.get(cmd);
    if (!fn) {
      if (cmd in COMMANDS_THE_KERNEL_HAS) throw new NotEmulated(`${cmdName(cmd)} is not emulated`);
      return ctx.fail('SYS-3', 'unknown command', -Errno.EINVAL);
    }
    return fn(ctx, attr, uattr, sized);
  }

  /** fd_install for a new file of the calling process; records the fd in the trace. */
  installFd(ctx: SyscallCtx, file: OpenFile): number {
    const fd = ctx.proc.fds.install(file);
    if (fd >= 0) this.trace.emit({ kind: 'fd', sys: ctx.sys, pid: ctx.proc.pid, fd, action: 'install', object: file.label });
    return fd;
  }

  /** close(fd) */
  closeFd(ctx: SyscallCtx, fd: number): number {
    const f = ctx.proc.fds.get(fd);
    if (!f) return -Errno.EBADF;
    this.trace.emit({ kind: 'fd', sys: ctx.sys, pid: ctx.proc.pid, fd, action: 'close', object: f.label });
    return ctx.proc.fds.close(fd);
  }

  /** bpf_map_put: the last reference frees the id, the LSM blob and the memory. */
  mapPut(map: BpfMap): void {
    if (--map.refcnt > 0) return;
    const ctx = this.current ?? null;
    if (map.id) {
      this.mapIdr.remove(map.id);
      this.trace.emit({ kind: 'object', sys: ctx?.sys ?? 0, action: 'free', type: 'map', id: map.id, name: map.name });
    }
    if (map.lsmBlob) {
      map.lsmBlob = false;
      securityBpfMapFree(this, ctx, map);
    }
    map.btf && this.btfPut(map.btf);
    map.free();
  }

  btfPut(btf: Btf): void {
    if (--btf.refcnt > 0) return;
    if (btf.id) {
      this.btfIdr.remove(btf.id);
      this.trace.emit({ kind: 'object', sys: this.current?.sys ?? 0, action: 'free', type: 'btf', id: btf.id, name: btf.name });
    }
  }
}

/**
 * An audit rule parsed once per text (issue K: every kernel boots with the same rules). A parsed
 * rule is read-only (its fields, syscall set and key are only read when matching), so kernels share
 * it; a text that does not parse throws as parseAuditRule does, every time.
 */
function parsedAuditRule(text: string): AuditRule {
  let r = PARSED_RULES.get(text);
  if (r === undefined) {
    r = parseAuditRule(text);
    if (PARSED_RULES.size >= 64) PARSED_RULES.delete(PARSED_RULES.keys().next().value!);
    PARSED_RULES.set(text, r);
  }
  return r;
}
const PARSED_RULES = new Map<string, AuditRule>();

const SYSCALL_NR_BPF = SYSCALL_NR.bpf!;

/** BigInt(n) for the small non-negative integers a bpf() call passes (cmd, size): made once each. */
function smallBigInt(n: number): bigint {
  return n >= 0 && n < SMALL_BIGINTS.length && Number.isInteger(n) ? SMALL_BIGINTS[n]! : BigInt(n);
}
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/** Commands that exist in the kernel: without a handler here they are reported as not emulated. */
const COMMANDS_THE_KERNEL_HAS: Record<number, true> = Object.fromEntries(
  Array.from({ length: 38 }, (_, i) => [i, true as const]),
);
