// BPF_PROG_LOAD as an explicit, ordered list of named stages. A profile names the stages it runs,
// in order (KernelProfile.progLoadStages); the implementations live in a registry, so a scheme that
// moves or inserts a check is a profile change plus, at most, a new stage — never a copy of the path.
// spec: LOAD-0..20 (v6.18 step order), PROF-3 (trace vocabulary), KP-LOAD-1..3.

import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import type { Btf } from '../objects/btf.js';
import type { BpfProg } from '../objects/prog.js';
import { NotEmulated } from '../result.js';
import type { BpfPtr } from '../uaccess.js';
import { PROG_LOAD } from '../uapi/attr-layouts.js';
import { decode, type Decoded } from '../uapi/layout.js';
import type { VerifierLog } from '../vlog.js';
import { freeUnpublishedProg } from './prog-fd.js';

/** Everything the stages share for one BPF_PROG_LOAD. */
export interface LoadCtx {
  readonly ctx: SyscallCtx;
  /** The attr as copied in (zero-filled to sizeof(union bpf_attr)). */
  readonly attrBytes: Uint8Array;
  readonly attr: Decoded;
  readonly uattr: BpfPtr;
  /** The size the caller passed (uattr_size). */
  readonly uattrSize: number;
  /** bpf_token_capable(token, CAP_BPF), set by the capability stage. */
  bpfCap: boolean;
  attachBtf: Btf | null;
  /** The program, once allocated (LOAD-7). */
  prog: BpfProg | null;
  /** The verifier log, once the check stage opened it. */
  log: VerifierLog | null;
  /** The fd handed out (LOAD-18). */
  fd: number;
  /** Set once bpf_prog_alloc_id ran: failures after it go through bpf_prog_put (LOAD-19). */
  published: boolean;
}

export interface LoadStage {
  /** Spec id of the step, e.g. `LOAD-9`. */
  readonly id: string;
  /** The kernel function or step name, e.g. `bpf_prog_verify_signature`. */
  readonly name: string;
  /** 0 to go on, or -errno to stop the load with that error. */
  run(l: LoadCtx): number;
}

const REGISTRY = new Map<string, LoadStage>();

export function registerLoadStage(stage: LoadStage): void {
  REGISTRY.set(stage.id, stage);
}

export function loadStage(id: string): LoadStage {
  const s = REGISTRY.get(id);
  if (!s) throw new NotEmulated(`program-load stage ${id}`);
  return s;
}

/**
 * bpf_prog_load(): run the profile's stages in order. The first failing stage ends the load; what
 * was set up is released the way the kernel's error labels do it (freed before the id was allocated,
 * put — with an UNLOAD audit record — after, LOAD-19/20).
 */
export function bpfProgLoad(ctx: SyscallCtx, attrBytes: Uint8Array, uattr: BpfPtr, uattrSize: number): number {
  const k = ctx.kernel;
  const l: LoadCtx = {
    ctx,
    attrBytes,
    attr: decode(PROG_LOAD, attrBytes, k.profile.uapi),
    uattr,
    uattrSize,
    bpfCap: false,
    attachBtf: null,
    prog: null,
    log: null,
    fd: -1,
    published: false,
  };
  for (const id of k.profile.progLoadStages) {
    const stage = loadStage(id);
    // Every stage shows in the trace as it starts; what it found follows it.
    ctx.enter(stage.id, stage.name);
    const err = stage.run(l);
    if (err < 0) {
      freeUnpublishedProg(l);
      return err;
    }
  }
  if (l.fd < 0) return ctx.fail('LOAD-18', 'no fd was created (the profile has no bpf_prog_new_fd stage)', -Errno.EINVAL);
  return l.fd;
}
