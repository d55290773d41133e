// The security_* entry points, called where the kernel calls them. Each walks the LSM chain with
// call_int_hook semantics and records every call in the trace.
// spec: SYS-3 (security_bpf for every command, before dispatch), MC-14 / KP-LSM-2
// (security_bpf_map_create), LSM-HOOK-1 (bpf_map at fd creation), CAP-5 (capable via the chain).

import type { BpfMapArgs, IntegrityVerdict, LsmContext, LsmId, MapView, ProgView } from '../lsm/hooks.js';
import type { SyscallCtx } from './context.js';
import type { HookRecorder } from '../lsm/chain.js';
import type { CapName } from './creds.js';
import { Cap } from './creds.js';
import type { Kernel } from './kernel.js';
import type { BpfMap } from './objects/map.js';
import type { BpfProg } from './objects/prog.js';
import { traceValue, type TraceValue } from './trace.js';
import { cmdName, mapTypeName, progTypeName } from './uapi/consts.js';
import type { Decoded } from './uapi/layout.js';
import type { MapCreateAttr, ProgLoadAttr, TypedAttr } from '../abi/uapi/attr-types.js';

export function mapView(map: BpfMap): MapView {
  return {
    id: map.id,
    name: map.name,
    mapType: map.mapType,
    keySize: map.keySize,
    valueSize: map.valueSize,
    maxEntries: map.maxEntries,
    mapFlags: map.mapFlags,
    frozen: map.frozen,
    exclProgSha: map.exclProgSha ? Buffer.from(map.exclProgSha.buffer, map.exclProgSha.byteOffset, map.exclProgSha.byteLength).toString('hex') : null,
  };
}

/**
 * The LSM context and trace recorder of a free hook: the syscall's when one is running (a close), a
 * kernel worker's otherwise (a deferred put: pid 0, init credentials, audit outside any event).
 */
function freeHookContext(kernel: Kernel, ctx: SyscallCtx | null): { l: LsmContext; rec: HookRecorder } {
  if (ctx) return { l: ctx.lsmContext(), rec: ctx.hookRecorder };
  return {
    l: { pid: 0, comm: 'kworker', cred: kernel.initCred, audit: (type, body) => void kernel.audit.log(null, type, body) },
    rec: (hook, lsm, ret, args) => kernel.trace.emitHook(0, hook, lsm, ret, args),
  };
}

/** Attr fields worth showing on a hook line (the signing-related ones, and a few identifying ones). */
function attrSummary(attr: Decoded): Record<string, TraceValue> {
  const out: Record<string, TraceValue> = {};
  for (const [k, v] of Object.entries(attr)) {
    if (v === 0 || v === 0n || v === '') continue;
    out[k] = traceValue(v);
  }
  return out;
}

export function securityCapable(ctx: SyscallCtx, cap: CapName): number {
  const l: LsmContext = ctx.lsmContext();
  return ctx.kernel.lsm.callInt('capable', { cred: ctx.proc.cred, cap }, l, ctx.hookRecorder, { cap, capNumber: Cap[cap] });
}

/** capable(cap) */
export function capable(ctx: SyscallCtx, cap: CapName): boolean {
  return securityCapable(ctx, cap) === 0;
}

/** bpf_token_capable(NULL, cap): the capability, or CAP_SYS_ADMIN in its place. CAP-1, CAP-5 */
export function bpfTokenCapable(ctx: SyscallCtx, cap: CapName): boolean {
  return capable(ctx, cap) || (cap !== 'CAP_SYS_ADMIN' && capable(ctx, 'CAP_SYS_ADMIN'));
}

/** security_bpf(cmd, attr, size, kernel). SYS-3, KP-LSM-1 */
export function securityBpf(ctx: SyscallCtx, cmd: number, attr: TypedAttr | undefined, size: number): number {
  return ctx.kernel.lsm.callInt(
    'bpf',
    { cmd, attr, size, kernel: ctx.isKernel },
    ctx.lsmContext(),
    ctx.hookRecorder,
    bpfHookTraceArgs(cmd, size, ctx.isKernel),
  );
}

/**
 * security_bpf's trace arguments `{ cmd, size, kernel }`: one frozen object per (cmd, size, kernel)
 * for the cmd and size values a call really has (whole numbers, 0 ≤ cmd < 2^16, 0 ≤ size < 2^32;
 * issue K: every bpf() call's hook event kept one of its own in the trace ring), at most
 * BPF_HOOK_ARGS_MAX of them; any other call gets a fresh object.
 */
export function bpfHookTraceArgs(cmd: number, size: number, kernel: boolean): Readonly<Record<string, TraceValue | boolean>> {
  const cacheable = Number.isInteger(cmd) && cmd >= 0 && cmd < 0x10000 && !Object.is(cmd, -0) && Number.isInteger(size) && size >= 0 && size < 0x1_0000_0000 && !Object.is(size, -0);
  if (!cacheable) return { cmd: cmdName(cmd), size, kernel };
  // exact: size * 2^17 + cmd * 2 + kernel is below 2^49, one number per triple
  const key = size * 0x20000 + cmd * 2 + (kernel ? 1 : 0);
  let args = BPF_HOOK_ARGS.get(key);
  if (args === undefined) {
    args = Object.freeze({ cmd: cmdName(cmd), size, kernel });
    if (BPF_HOOK_ARGS.size < BPF_HOOK_ARGS_MAX) BPF_HOOK_ARGS.set(key, args);
  }
  return args;
}
const BPF_HOOK_ARGS = new Map<number, Readonly<Record<string, TraceValue | boolean>>>();
const BPF_HOOK_ARGS_MAX = 512;

/** security_bpf_map_create(map, attr, token, kernel). MC-14, KP-LSM-2 */
export function securityBpfMapCreate(ctx: SyscallCtx, map: BpfMap, attr: MapCreateAttr): number {
  return ctx.kernel.lsm.callInt(
    'bpf_map_create',
    { map: mapView(map), attr, token: null, kernel: ctx.isKernel },
    ctx.lsmContext(),
    ctx.hookRecorder,
    { map: map.name, type: mapTypeName(map.mapType), kernel: ctx.isKernel, ...attrSummary({ excl_prog_hash: attr.excl_prog_hash }) },
  );
}

/** security_bpf_map(map, fmode), from bpf_map_new_fd. LSM-HOOK-1 */
export function securityBpfMap(ctx: SyscallCtx, map: BpfMap, fmode: number): number {
  const args: BpfMapArgs = { map: mapView(map), fmode };
  return ctx.kernel.lsm.callInt('bpf_map', args, ctx.lsmContext(), ctx.hookRecorder, { map: map.name, id: map.id, fmode });
}

/** security_bpf_map_free(map): a void hook. */
export function securityBpfMapFree(kernel: Kernel, ctx: SyscallCtx | null, map: BpfMap): void {
  const { l, rec } = freeHookContext(kernel, ctx);
  kernel.lsm.callVoid('bpf_map_free', { map: mapView(map) }, l, rec, { map: map.name, id: map.id });
}

/**
 * A program as the LSM hooks see it, made per hook call. The program it shows is a private field
 * (an LSM hands a view back to LsmKernel, progOfView): invisible to JSON, spread, structuredClone and
 * equality, as the WeakMap it replaces was (issue K: a WeakMap entry per hook call cost more than
 * the view).
 */
// The fields are ProgView's, set once in the constructor (declaration merging: one list of them, in
// lsm/hooks.ts).
interface ProgViewOf extends Writable<ProgView> {}
class ProgViewOf {
  readonly #prog: BpfProg;

  constructor(prog: BpfProg) {
    this.id = prog.id;
    this.name = prog.name;
    this.progType = prog.type;
    this.insnCnt = prog.len;
    this.sleepable = prog.sleepable;
    const d = prog.digest;
    this.digest = d ? Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex') : null;
    this.usedMapIds = prog.usedMaps.map((m) => m.id);
    this.sig = prog.signature ? { ...prog.signature } : null;
    this.security = prog.security;
    this.#prog = prog;
  }

  static progOf(view: ProgView): BpfProg | undefined {
    return #prog in view ? (view as ProgViewOf).#prog : undefined;
  }
}

/** Which program a view shows (a copy of a view shows none). */
export function progOfView(view: ProgView): BpfProg | undefined {
  return ProgViewOf.progOf(view);
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export function progView(prog: BpfProg): ProgView {
  return new ProgViewOf(prog);
}

/** The trace arguments of the bpf_prog_load hooks: which program, the signing fields of the attr. */
function progLoadTraceArgs(ctx: SyscallCtx, prog: BpfProg, attr: ProgLoadAttr): Record<string, TraceValue | boolean> {
  const sig = attr.signature;
  return {
    prog: prog.name,
    type: progTypeName(prog.type),
    kernel: ctx.isKernel,
    signature: traceValue(sig),
    ...(sig ? { signature_size: attr.signature_size, keyring_id: attr.keyring_id } : {}),
    ...sigArgs(prog),
  };
}

/** The verdict fields on a hook's trace line (LT-VERD-1/2), where the kernel keeps them. */
function sigArgs(prog: BpfProg): Record<string, TraceValue> {
  const s = prog.signature;
  return s ? { sig_verdict: s.verdict, sig_keyring_type: s.keyringType, sig_keyring_serial: s.keyringSerial } : {};
}

/**
 * security_bpf_prog_load(prog, attr, token, kernel). LOAD-12, KP-LSM-3: the LSM sees the raw attr
 * (with `signature`, `signature_size`, `keyring_id`) and whether the call came from the kernel; on a
 * kernel that keeps a verdict (7.3) also prog->aux->sig, already final (LT-LSM-1), in the trace args. On a
 * kernel with Paul Moore's integrity hooks (HN-HOOK-1, LSM-STACK-6) the bpf_prog_load_integrity
 * hooks run first; an integrity LSM hands its verdict to the policy LSMs through
 * security_bpf_prog_load_post_integrity, and a non-zero answer stops the chain before any
 * bpf_prog_load hook.
 */
export function securityBpfProgLoad(ctx: SyscallCtx, prog: BpfProg, attr: ProgLoadAttr): number {
  const base = { prog: progView(prog), attr, token: null, kernel: ctx.isKernel };
  const traceArgs = progLoadTraceArgs(ctx, prog, attr);
  if (ctx.kernel.profile.lsmIntegrityHooks) {
    const err = ctx.kernel.lsm.callInt(
      'bpf_prog_load_integrity',
      { ...base, postIntegrity: (lsmid, verdict) => securityBpfProgLoadPostIntegrity(ctx, prog, attr, lsmid, verdict) },
      ctx.lsmContext(),
      ctx.hookRecorder,
      traceArgs,
    );
    if (err) return err;
  }
  return ctx.kernel.lsm.callInt('bpf_prog_load', base, ctx.lsmContext(), ctx.hookRecorder, traceArgs);
}

/**
 * security_bpf_prog_load_post_integrity(prog, attr, token, kernel, lsmid, verdict): called by an
 * integrity LSM only (HN-HOOK-2); every LSM implementing the hook sees the verdict, the first
 * non-zero answer is returned to the integrity LSM. The verdict is in the trace.
 */
export function securityBpfProgLoadPostIntegrity(ctx: SyscallCtx, prog: BpfProg, attr: ProgLoadAttr, lsmid: LsmId, verdict: IntegrityVerdict): number {
  return ctx.kernel.lsm.callInt(
    'bpf_prog_load_post_integrity',
    { prog: progView(prog), attr, token: null, kernel: ctx.isKernel, lsmid, verdict },
    ctx.lsmContext(),
    ctx.hookRecorder,
    { ...progLoadTraceArgs(ctx, prog, attr), lsmid: lsmid.name, verdict },
  );
}

/** security_bpf_prog(prog), from bpf_prog_new_fd. LOAD-18, KP-LSM-4 */
export function securityBpfProg(ctx: SyscallCtx, prog: BpfProg): number {
  return ctx.kernel.lsm.callInt('bpf_prog', { prog: progView(prog) }, ctx.lsmContext(), ctx.hookRecorder, { prog: prog.name, id: prog.id, ...sigArgs(prog) });
}

/** security_bpf_prog_free(prog): a void hook. */
export function securityBpfProgFree(kernel: Kernel, ctx: SyscallCtx | null, prog: BpfProg): void {
  const { l, rec } = freeHookContext(kernel, ctx);
  kernel.lsm.callVoid('bpf_prog_free', { prog: progView(prog) }, l, rec, { prog: prog.name, id: prog.id });
  prog.security.clear();
}
