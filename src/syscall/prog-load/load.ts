// BPF_PROG_LOAD as an explicit, ordered list of stages with contracts. A profile lists the stage
// objects it runs, in order (KernelProfile.progLoadStages); each stage declares what it needs (the
// program, the caller's original instruction bytes, resolved used_maps, the verifier log, …), what
// it provides, and whether it runs before or after the program is published (id allocated, LOAD
// audit written). The runner checks a profile's order when the profile is registered and owns the
// cleanup: a failure before publication frees the program (LOAD-20), a failure after it puts the
// program (bpf_prog_put: UNLOAD audit, id freed, LOAD-19), and an open scope (bpf_check's exit
// path, which prints the stats line and finalizes the verifier log) is unwound on the way out.
// A scheme that moves or inserts a check is a profile with a different list, or a stage of its own
// — never a branch inside this runner.
// spec: LOAD-0..20 (v6.18 step order), PROF-3 (trace vocabulary), KP-LOAD-1..3, LT-LOAD-1/2.

import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import type { Btf } from '../objects/btf.js';
import type { BpfProg } from '../objects/prog.js';
import { NotEmulated } from '../result.js';
import type { BpfPtr } from '../uaccess.js';
import type { ProgLoadAttr } from '../../abi/uapi/attr-types.js';
import { BpfCmd } from '../uapi/consts.js';
import type { VerifierLog } from '../vlog.js';
import { bpfProgPut, freeUnpublishedProg } from './prog-fd.js';

/**
 * What a stage can need from the stages before it, and provide to the stages after it.
 *  - `prog`        the program object (bpf_prog_alloc, LOAD-7)
 *  - `insns`       prog->insnsi copied from the caller (LOAD-8); later stages may rewrite them (CO-RE)
 *  - `orig-insns`  the caller's instruction bytes exactly as sent, never rewritten (LOAD-8)
 *  - `prog-type`   the program type checked (find_prog_type, LOAD-11)
 *  - `lsm-blob`    security_bpf_prog_load ran and allowed the load (LOAD-12)
 *  - `verifier-log` the verifier log is open (bpf_check entry, LOAD-13)
 *  - `fd-array`    fd_array entries resolved into used_maps (process_fd_array)
 *  - `btf-info`    program BTF, func/line info and CO-RE applied (check_btf_info)
 *  - `digest`      prog->digest computed (DIG-2)
 *  - `used-maps`   every map the instructions reference resolved (resolve_pseudo_ldimm64)
 *  - `verified`    the main pass ran (do_check stand-in) and the program is decoded
 *  - `checked`     bpf_check returned 0
 *  - `sig-verdict` prog->aux->sig filled in (a kernel that keeps the signature verdict, LT-VERD-1)
 *  - `id`          the program is published (bpf_prog_alloc_id)
 *  - `fd`          the fd handed out (bpf_prog_new_fd)
 */
export type LoadResource =
  | 'prog'
  | 'insns'
  | 'orig-insns'
  | 'prog-type'
  | 'lsm-blob'
  | 'verifier-log'
  | 'fd-array'
  | 'btf-info'
  | 'digest'
  | 'used-maps'
  | 'verified'
  | 'checked'
  | 'sig-verdict'
  | 'id'
  | 'fd';

export type StageRole = 'signature' | 'admission';

/**
 * Where a stage may run relative to publication: `before` the program has an id (its failure frees
 * an unpublished program, no audit record), the `publish` stage itself (bpf_prog_alloc_id), or
 * `after` (its failure puts a published program: UNLOAD record, LOAD-19).
 */
export type LoadPhase = 'before' | 'publish' | 'after';

/** Everything the stages share for one BPF_PROG_LOAD. */
export interface LoadCtx {
  readonly ctx: SyscallCtx;
  /** The attr as copied in (zero-filled to sizeof(union bpf_attr)). */
  readonly attrBytes: Uint8Array;
  /** The attr decoded once at syscall entry (generated type, src/abi/uapi/attr-types.ts). */
  readonly attr: ProgLoadAttr;
  readonly uattr: BpfPtr;
  /** The size the caller passed (uattr_size). */
  readonly uattrSize: number;
  /** bpf_token_capable(token, CAP_BPF), set by the capability stage. */
  bpfCap: boolean;
  attachBtf: Btf | null;
  /** The program, once allocated (LOAD-7). */
  prog: BpfProg | null;
  /** The caller's instruction bytes exactly as copied in at LOAD-8; stages that verify a signature read these. */
  origInsns: Uint8Array | null;
  /** The verifier log, once bpf_check opened it. */
  log: VerifierLog | null;
  /** State a scheme's stages share across stages (e.g. bpf_check's state); keyed by the owner's name. */
  readonly scratch: Map<string, unknown>;
  /** The fd handed out (LOAD-18). */
  fd: number;
  /** Set once the publish stage ran: failures after it go through bpf_prog_put (LOAD-19). */
  published: boolean;
}

export interface LoadStage {
  /** Spec id of the step, e.g. `LOAD-9`, or `LOAD-13.fd_array` for a step inside bpf_check. */
  readonly id: string;
  /** The kernel function or step name, e.g. `bpf_prog_verify_signature`. */
  readonly name: string;
  readonly needs: readonly LoadResource[];
  readonly provides: readonly LoadResource[];
  readonly phase: LoadPhase;
  /** A scope this stage opens (e.g. `bpf_check`): its `unwind` runs if a later stage fails before a stage closes it. */
  readonly opens?: string;
  /** The scope this stage closes (it runs the scope's exit path itself on success). */
  readonly closes?: string;
  /** A scope this stage must run inside (e.g. a check that writes to the verifier log). */
  readonly within?: string;
  /**
   * What the stage is to readers of the trace: `signature` for the stage that verifies a program's
   * signature (wherever a profile puts it), `admission` for security_bpf_prog_load. Reports find
   * these by role, not by id.
   */
  readonly role?: StageRole;
  /**
   * 0 to go on, or -errno to stop the load with that error. A positive value also stops the load
   * and is returned as is, as the kernel's `if (err) goto free_prog; … return err;` does; the runner
   * flags it as a return that is not an fd (SysResult.nonFd) — a kernel bug some profiles model.
   */
  run(l: LoadCtx): number;
  /** For a stage that opens a scope: the scope's exit path after a failure; returns the error the load returns. */
  unwind?(l: LoadCtx, err: number): number;
}

/** A stage list that cannot run: which stage, and why. */
export class StageOrderError extends Error {
  constructor(
    readonly profile: string,
    readonly stage: string,
    readonly reason: string,
  ) {
    super(`profile ${profile}: stage ${stage} ${reason}`);
    this.name = 'StageOrderError';
  }
}

/**
 * Check that a stage list can run: every need is provided by an earlier stage; exactly one stage
 * publishes the program, `before` stages precede it and `after` stages follow it; scopes nest and
 * close; `within` stages run inside their scope; stage ids are unique. Throws StageOrderError.
 */
export function validateStageOrder(profile: string, stages: readonly LoadStage[]): void {
  const have = new Set<LoadResource>();
  const seen = new Set<string>();
  const scopes: string[] = [];
  let published = false;
  for (const s of stages) {
    if (seen.has(s.id)) throw new StageOrderError(profile, s.id, 'appears twice');
    seen.add(s.id);
    for (const need of s.needs) if (!have.has(need)) throw new StageOrderError(profile, s.id, `needs '${need}', which no earlier stage provides`);
    if (s.phase === 'before' && published) throw new StageOrderError(profile, s.id, 'must run before the program is published, but runs after the publish stage');
    if (s.phase === 'after' && !published) throw new StageOrderError(profile, s.id, 'must run after the program is published, but runs before the publish stage');
    if (s.phase === 'publish') {
      if (published) throw new StageOrderError(profile, s.id, 'publishes the program a second time');
      if (scopes.length) throw new StageOrderError(profile, s.id, `publishes the program inside the open scope '${scopes[scopes.length - 1]}'`);
      published = true;
    }
    if (s.within && !scopes.includes(s.within)) throw new StageOrderError(profile, s.id, `must run inside '${s.within}', which is not open here`);
    if (s.closes) {
      if (scopes[scopes.length - 1] !== s.closes) throw new StageOrderError(profile, s.id, `closes '${s.closes}', which is not the innermost open scope`);
      scopes.pop();
    }
    if (s.opens) {
      if (!s.unwind) throw new StageOrderError(profile, s.id, `opens '${s.opens}' without an unwind path`);
      scopes.push(s.opens);
    }
    for (const p of s.provides) have.add(p);
  }
  if (scopes.length) throw new StageOrderError(profile, scopes[scopes.length - 1]!, 'is opened and never closed');
  if (!published) throw new StageOrderError(profile, '(list)', 'has no stage that publishes the program (bpf_prog_alloc_id)');
  if (!have.has('fd')) throw new StageOrderError(profile, '(list)', 'has no stage that hands out an fd (bpf_prog_new_fd)');
}

const REGISTRY = new Map<string, LoadStage>();

/** Register a stage under its id so profiles and tests can name it. */
export function registerLoadStage(stage: LoadStage): LoadStage {
  if (REGISTRY.has(stage.id) && REGISTRY.get(stage.id) !== stage) throw new RangeError(`program-load stage ${stage.id} is registered twice`);
  REGISTRY.set(stage.id, stage);
  return stage;
}

/** A registered stage by id. */
export function loadStage(id: string): LoadStage {
  const s = REGISTRY.get(id);
  if (!s) throw new NotEmulated(`program-load stage ${id}`);
  return s;
}

/** Registered stages by id, in the order given (for building profiles). */
export function loadStages(ids: readonly string[]): LoadStage[] {
  return ids.map(loadStage);
}

/**
 * bpf_prog_load(): run the profile's stages in order. The first failing stage ends the load; the
 * runner unwinds open scopes (innermost first), then releases the program as the kernel's error
 * labels do: freed before publication (LOAD-20), put — with an UNLOAD audit record — after (LOAD-19).
 */
export function bpfProgLoad(ctx: SyscallCtx, attrBytes: Uint8Array, uattr: BpfPtr, uattrSize: number): number {
  const k = ctx.kernel;
  const l: LoadCtx = {
    ctx,
    attrBytes,
    attr: ctx.attrOf(BpfCmd.BPF_PROG_LOAD),
    uattr,
    uattrSize,
    bpfCap: false,
    attachBtf: null,
    prog: null,
    origInsns: null,
    log: null,
    scratch: new Map(),
    fd: -1,
    published: false,
  };
  const open: LoadStage[] = [];
  const stages = k.profile.progLoadStages;
  for (let index = 0; index < stages.length; index++) {
    const stage = stages[index]!;
    // Another thread may run here (the race harness); the stage then sees what it left.
    k.interleave?.({ ctx, load: l, cmd: 'BPF_PROG_LOAD', stage: stage.id, index });
    // Every stage shows in the trace as it starts; what it found follows it.
    ctx.enter(stage.id, stage.name, stage.role);
    let err = stage.run(l);
    // A closing stage ran its scope's exit path itself, whether it failed or not.
    if (stage.closes) open.pop();
    if (err !== 0) {
      while (open.length) err = open.pop()!.unwind!(l, err);
      if (l.published && l.prog) bpfProgPut(k, l.prog);
      else freeUnpublishedProg(l);
      if (err > 0) {
        // Not an fd: no file was installed. Userspace will take it for one.
        ctx.nonFd = `${stage.id} ${stage.name} returned ${err}`;
        ctx.step(stage.id, `${stage.name}: positive return ${err}, not an fd`, 'bpf_prog_load returns it as is', err);
      }
      return err;
    }
    if (stage.opens) open.push(stage);
  }
  if (l.fd < 0) return ctx.fail('LOAD-18', 'no fd was created (the profile has no bpf_prog_new_fd stage)', -Errno.EINVAL);
  return l.fd;
}
