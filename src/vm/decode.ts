// Decode a program once into a compact form the interpreter runs: parallel typed arrays indexed by
// instruction slot, jump targets precomputed, ld_imm64 constants (and pseudo forms) resolved.
//
// spec: VM-ISA-1..8, VM-LDR-3 (pseudo ld_imm64 resolved at load time), UAPI-CONST-4, VM-LDR-5
//       (only structurally valid programs run; see check.ts).

import { checkProgram, isLocalCall, jumpTarget, type CheckOptions } from './check.js';
import { decodeError, type DecodeError } from './errors.js';
import type { HelperImpl, HelperProto } from './helpers.js';
import type { BpfInsn } from './insn.js';
import { InsnArray, insnAt, type Insns } from './insn-array.js';
import { BPF_CALL, BPF_JMP, BPF_LD_IMM64, BPF_PSEUDO_KFUNC_CALL, LD_IMM64_PSEUDO_NAMES } from './opcodes.js';

/** What the decoder asks the caller for a pseudo ld_imm64 (src_reg 1..6). */
export interface LdImm64Query {
  readonly pc: number;
  /** The pseudo kind (UAPI-CONST-4): 1 MAP_FD, 2 MAP_VALUE, 3 BTF_ID, 4 FUNC, 5 MAP_IDX, 6 MAP_IDX_VALUE. */
  readonly srcReg: number;
  readonly dst: number;
  readonly imm: number;
  /** The second slot's imm (the value offset for MAP_VALUE / MAP_IDX_VALUE). */
  readonly nextImm: number;
}

/** A failed resolution: the load is rejected with this message and errno (default -EINVAL). */
export interface ResolveError {
  readonly error: string;
  readonly errno?: number;
}

/** A kfunc bound at decode time: called like a helper. */
export interface KfuncBinding<Env = unknown> {
  readonly proto: HelperProto;
  readonly impl: HelperImpl<Env>;
}

export interface KfuncQuery {
  readonly pc: number;
  /** BTF id of the kfunc (imm). */
  readonly btfId: number;
  /** off: 0 for vmlinux, else an index into fd_array for a module BTF. */
  readonly off: number;
}

export interface DecodeOptions<Env = unknown> extends CheckOptions {
  /** Resolve a pseudo ld_imm64 to the 64-bit value placed in dst. Without it, pseudo forms are rejected. */
  readonly resolveLdImm64?: (q: LdImm64Query) => bigint | ResolveError;
  /** Bind a kfunc call. Without it (or when it is absent for a call) the call fails when executed. */
  readonly resolveKfunc?: (q: KfuncQuery) => KfuncBinding<Env> | ResolveError | undefined;
}

/**
 * A decoded program. Arrays have one entry per instruction slot plus a sentinel slot (code 0, which
 * the interpreter reports as "fell off the end") so a run can never index past the end.
 */
export interface DecodedProgram<Env = unknown> {
  /** The instructions as given (bytes are decoded once into the compact InsnArray). */
  readonly insns: Insns;
  /** Number of slots (an ld_imm64 takes two). */
  readonly len: number;
  readonly code: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  /** imm; for ld_imm64 the low 32 bits of the resolved value. */
  readonly imm: Int32Array;
  /** For ld_imm64, the high 32 bits of the resolved value. */
  readonly imm2: Int32Array;
  /** Jump / local-call target slot. */
  readonly tgt: Int32Array;
  /** Kfunc bindings by pc. */
  readonly kfuncs: ReadonlyMap<number, KfuncBinding<Env>>;
}

export type DecodeResult<Env = unknown> =
  | { readonly ok: true; readonly program: DecodedProgram<Env> }
  | { readonly ok: false; readonly error: DecodeError };

function isResolveError(v: unknown): v is ResolveError {
  return typeof v === 'object' && v !== null && 'error' in v;
}

/** Decode (and structurally check) a program given as bytes or as instructions. */
export function decodeProgram<Env = unknown>(
  input: Uint8Array | readonly BpfInsn[],
  opts: DecodeOptions<Env> = {},
): DecodeResult<Env> {
  let insns: Insns;
  if (input instanceof Uint8Array) {
    if (input.length % 8 !== 0) {
      return { ok: false, error: decodeError(0, `program size ${input.length} is not a multiple of 8`) };
    }
    insns = InsnArray.decode(input);
  } else {
    insns = input;
  }
  const bad = checkProgram(insns, opts);
  if (bad) return { ok: false, error: decodeError(bad.pc, bad.message) };

  const n = insns.length;
  const code = new Uint8Array(n + 1);
  const dst = new Uint8Array(n + 1);
  const src = new Uint8Array(n + 1);
  const off = new Int16Array(n + 1);
  const imm = new Int32Array(n + 1);
  const imm2 = new Int32Array(n + 1);
  const tgt = new Int32Array(n + 1);
  const kfuncs = new Map<number, KfuncBinding<Env>>();

  for (let pc = 0; pc < n; pc++) {
    const i = insnAt(insns, pc)!;
    code[pc] = i.code;
    dst[pc] = i.dst;
    src[pc] = i.src;
    off[pc] = i.off;
    imm[pc] = i.imm;
    if (i.code === BPF_LD_IMM64) {
      const next = insnAt(insns, pc + 1)!;
      if (i.src === 0) {
        imm2[pc] = next.imm;
      } else {
        // spec: VM-ISA-8, VM-LDR-3 — the pseudo forms are resolved by the loader's caller.
        const name = LD_IMM64_PSEUDO_NAMES[i.src] ?? `src_reg ${i.src}`;
        if (!opts.resolveLdImm64) {
          return { ok: false, error: decodeError(pc, `ld_imm64 ${name} needs a resolver (none given)`) };
        }
        const v = opts.resolveLdImm64({ pc, srcReg: i.src, dst: i.dst, imm: i.imm, nextImm: next.imm });
        if (isResolveError(v)) return { ok: false, error: decodeError(pc, v.error, v.errno) };
        const u = BigInt.asUintN(64, v);
        imm[pc] = Number(u & 0xffff_ffffn) | 0;
        imm2[pc] = Number(u >> 32n) | 0;
      }
      // The second slot is never executed (jumps into it were rejected); leave it as code 0.
      pc++;
      continue;
    }
    if (isLocalCall(i)) {
      tgt[pc] = pc + i.imm + 1;
    } else if (i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_KFUNC_CALL) {
      const b = opts.resolveKfunc?.({ pc, btfId: i.imm, off: i.off });
      if (isResolveError(b)) return { ok: false, error: decodeError(pc, b.error, b.errno) };
      if (b) kfuncs.set(pc, b);
    } else {
      const t = jumpTarget(i, pc);
      if (t !== undefined) tgt[pc] = t;
    }
  }
  return { ok: true, program: { insns, len: n, code, dst, src, off, imm, imm2, tgt, kfuncs } };
}
