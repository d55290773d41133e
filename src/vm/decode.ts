// Decode a program once into a compact form the interpreter runs: parallel typed arrays indexed by
// instruction slot, jump targets precomputed, ld_imm64 constants (and pseudo forms) resolved.
//
// spec: VM-ISA-1..8, VM-LDR-3 (pseudo ld_imm64 resolved at load time), UAPI-CONST-4, VM-LDR-5
//       (only structurally valid programs run; see check.ts).

import { pageSlabBytes } from '../abi/slab.js';
import { checkProgram, isLocalCall, jumpTarget, type CheckOptions } from './check.js';
import { decodeError, type DecodeError } from './errors.js';
import type { HelperImpl, HelperProto } from './helpers.js';
import type { BpfInsn } from './insn.js';
import { InsnArray, memoOnInsns, type Insns } from './insn-array.js';
import { BPF_CALL, BPF_JMP, BPF_JMP32, BPF_LD_IMM64, BPF_PSEUDO_KFUNC_CALL, LD_IMM64_PSEUDO_NAMES } from './opcodes.js';

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

/** A 64-bit value as its two 32-bit halves (either signed or unsigned: only the low 32 bits of each are used). */
export interface LdImm64Words {
  readonly lo: number;
  readonly hi: number;
}

export interface DecodeOptions<Env = unknown> extends CheckOptions {
  /**
   * Resolve a pseudo ld_imm64 to the 64-bit value placed in dst, as a bigint or as its two halves.
   * Without it, pseudo forms are rejected.
   */
  readonly resolveLdImm64?: (q: LdImm64Query) => bigint | LdImm64Words | ResolveError;
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

/**
 * What decoding takes from the instructions alone: every slot that needs no resolver filled in
 * (pseudo ld_imm64 values and kfunc bindings are left to each program), in one buffer laid out as
 * `views` lays it out, and the slots that need a resolver, in program order. Never handed out: each
 * program gets its own copy of the buffer (one copy instead of seven typed-array allocations; a
 * small one in a shared slab, programCopy).
 */
interface DecodeTemplate {
  readonly buffer: ArrayBuffer;
  /** All of `buffer`, as bytes (what a program's copy copies). */
  readonly bytes: Uint8Array;
  readonly slots: number;
  /** The pseudo ld_imm64s (src_reg ≠ 0) and kfunc calls, in program order. */
  readonly perProgram: Int32Array;
}

/** The decoder's arrays over one buffer of `slots` slots: imm, imm2, tgt, off, code, dst, src. */
function views(buffer: ArrayBuffer, slots: number, at = 0) {
  const m = slots;
  return {
    imm: new Int32Array(buffer, at, m),
    imm2: new Int32Array(buffer, at + 4 * m, m),
    tgt: new Int32Array(buffer, at + 8 * m, m),
    off: new Int16Array(buffer, at + 12 * m, m),
    code: new Uint8Array(buffer, at + 14 * m, m),
    dst: new Uint8Array(buffer, at + 15 * m, m),
    src: new Uint8Array(buffer, at + 16 * m, m),
  };
}

function decodeTemplate(a: InsnArray): DecodeTemplate {
  const n = a.length;
  const buffer = new ArrayBuffer(17 * (n + 1));
  const { code, dst, src, off, imm, imm2, tgt } = views(buffer, n + 1);
  const perProgram: number[] = [];
  code.set(a.code);
  dst.set(a.dst);
  src.set(a.src);
  off.set(a.off);
  imm.set(a.imm);

  for (let pc = 0; pc < n; pc++) {
    const c = a.code[pc]!;
    if (c === BPF_LD_IMM64) {
      if (a.src[pc] === 0) imm2[pc] = a.imm[pc + 1]!;
      else perProgram.push(pc); // spec: VM-ISA-8, VM-LDR-3 — the pseudo forms are resolved by the loader's caller.
      // The second slot is never executed (jumps into it were rejected); leave it as code 0.
      code[pc + 1] = 0;
      dst[pc + 1] = 0;
      src[pc + 1] = 0;
      off[pc + 1] = 0;
      imm[pc + 1] = 0;
      pc++;
      continue;
    }
    const cls = c & 0x07;
    if (cls !== BPF_JMP && cls !== BPF_JMP32) continue;
    const i = a.get(pc)!;
    if (isLocalCall(i)) {
      tgt[pc] = pc + i.imm + 1;
    } else if (i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_KFUNC_CALL) {
      perProgram.push(pc);
    } else {
      const t = jumpTarget(i, pc);
      if (t !== undefined) tgt[pc] = t;
    }
  }
  return { buffer, bytes: new Uint8Array(buffer), slots: n + 1, perProgram: Int32Array.from(perProgram) };
}

/**
 * The template's arrays, copied into memory of the program's own: from a page slab when small
 * (abi/slab.ts, issue K: an ArrayBuffer.slice per load costs an off-heap allocation, a slab view a
 * bump; bump-only, so no two programs share a byte; a slab lives while any program decoded into it
 * does, so only templates up to PAGE_SLAB_MAX bytes come from one).
 */
function programCopy(t: DecodeTemplate): ReturnType<typeof views> {
  const copy = pageSlabBytes(t.bytes.length);
  copy.set(t.bytes);
  return views(copy.buffer as ArrayBuffer, t.slots, copy.byteOffset);
}

/** Decode (and structurally check) a program given as bytes or as instructions. */
export function decodeProgram<Env = unknown>(
  input: Uint8Array | InsnArray | readonly BpfInsn[],
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

  const a = insns instanceof InsnArray ? insns : InsnArray.fromInsns(insns);
  // A function of the instructions alone: remembered with an interned InsnArray (issue K). Every
  // program gets its own copy of each array, so nothing mutable is shared between programs. An
  // InsnArray that is not interned (a program too large to intern, or decoded on its own) is not
  // loaded again by content: its template is made, used as the program's own arrays and not kept
  // (a 1M-instruction program would otherwise hold a second 17 MB copy).
  const interned = a.contentKey !== undefined;
  const t = interned ? memoOnInsns(a, 'decodeProgram', () => decodeTemplate(a)) : decodeTemplate(a);
  const { code, dst, src, off, imm, imm2, tgt } = interned ? programCopy(t) : views(t.buffer, t.slots);
  const kfuncs = new Map<number, KfuncBinding<Env>>();

  // The resolvers are asked in program order, as a walk of the instructions asks them.
  for (const pc of t.perProgram) {
    if (code[pc] === BPF_LD_IMM64) {
      const s = src[pc]!;
      const name = LD_IMM64_PSEUDO_NAMES[s] ?? `src_reg ${s}`;
      if (!opts.resolveLdImm64) {
        return { ok: false, error: decodeError(pc, `ld_imm64 ${name} needs a resolver (none given)`) };
      }
      const v = opts.resolveLdImm64({ pc, srcReg: s, dst: dst[pc]!, imm: imm[pc]!, nextImm: a.imm[pc + 1]! });
      if (typeof v === 'bigint') {
        const u = BigInt.asUintN(64, v);
        imm[pc] = Number(u & 0xffff_ffffn) | 0;
        imm2[pc] = Number(u >> 32n) | 0;
        continue;
      }
      if (isResolveError(v)) return { ok: false, error: decodeError(pc, v.error, v.errno) };
      imm[pc] = v.lo | 0;
      imm2[pc] = v.hi | 0;
      continue;
    }
    const b = opts.resolveKfunc?.({ pc, btfId: imm[pc]!, off: off[pc]! });
    if (isResolveError(b)) return { ok: false, error: decodeError(pc, b.error, b.errno) };
    if (b) kfuncs.set(pc, b);
  }
  return { ok: true, program: { insns, len: a.length, code, dst, src, off, imm, imm2, tgt, kfuncs } };
}
