// The main pass of the check stage, standing in for do_check(): a walk of every path through the
// program (both sides of each conditional jump, into bpf-to-bpf calls and back), checking each
// instruction where the verifier checks it, in path order:
//   - its encoding (reserved fields, writes to the frame pointer: vm/check.ts's checkInsn);
//   - that every register it reads was written on this path ("R%d !read_ok"); helper calls
//     clobber R1-R5; `exit` reads R0;
//   - division by a zero immediate;
//   - helper calls: a known id, available to the program type, GPL-only helpers from GPL programs,
//     sleeping helpers from sleepable programs;
//   - loads through a `struct bpf_map` pointer (CAP-4) and the ctx extent of SYSCALL programs.
// It counts the instructions it processed (env->insn_processed). What the kernel's verifier also
// does and this walk does not: value and pointer typing beyond the few kinds above, bounds, stack
// and argument checks, and pruning of equivalent states (so the count is an upper bound when the
// kernel would prune). A back edge ends the walk of that path. spec: LOAD-13, CAP-4, TRUN-1.

import { checkInsn } from '../../vm/check.js';
import { insnText, noteAlignment, regText, type InsnNames, type RegValue } from './verifier-text.js';
import type { BpfInsn } from '../../vm/insn.js';
import { insnAt, type Insns } from '../../vm/insn-array.js';
import { Errno } from '../errno.js';
import { Limits, Pseudo } from '../uapi/consts.js';
import { BPF_FUNC_MAX_ID, GPL_ONLY_HELPERS, HELPER_RULES, TRACING_FAMILY_TYPES, helperName, isNetOnlyHelper } from './prog-types.js';

export interface DoCheckEnv {
  readonly progType: number;
  readonly gplCompatible: boolean;
  readonly sleepable: boolean;
  /** allow_ptr_leaks: CAP_PERFMON (or CAP_SYS_ADMIN) — asked only when a program reads struct bpf_map. */
  readonly allowPtrLeaks: () => boolean;
  /** What an ld_imm64 at pc loads (resolved by the check stage), and how the log names it. */
  readonly ldImm64: (pc: number) => { readonly value: RegValue; readonly text: string };
  readonly kfuncName: (insn: BpfInsn) => string;
  /** btf_struct_access over `struct bpf_map` for a load through a map pointer: the refusal, or null (OBS-DEB-32). */
  readonly mapPtrAccess?: (off: number, size: number) => string | null;
  /**
   * Build the log_level 1 path lines (default true). With the log off (log_level 0) nobody reads
   * them, and on a long straight path they are a string per instruction: the check stage passes
   * false then.
   */
  readonly log?: boolean;
}

export interface DoCheckError {
  readonly id: string;
  readonly message: string;
  readonly errno: number;
}

export interface DoCheckResult {
  /** env->insn_processed when the walk ended (the failing instruction included). */
  readonly processed: number;
  /** The largest ctx offset + size the program touches through R1 (max_ctx_offset). */
  readonly maxCtxOffset: number;
  readonly error?: DoCheckError;
  /**
   * The log_level 1 lines of the failing path (the state at its start, each instruction, state
   * notes), to be written before the error message. Paths that verified leave nothing, as in the
   * kernel at log_level 1.
   */
  readonly pathLog: readonly string[];
}

const LD_IMM64 = 0x18;
const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const FP = 10;
const NREGS = 11;

type Regs = (RegValue | undefined)[];

interface Frame {
  readonly ret: number;
  /** The caller's registers, restored (but for R0-R5) when the callee exits. */
  readonly regs: Regs;
}

interface PathState {
  pc: number;
  regs: Regs;
  frames: readonly Frame[];
  /** Registers touched since the last state print (env->scratched_regs). */
  scratched: Set<number>;
  /** This path's log lines (level 1 keeps them only if the path fails). */
  lines: string[];
  /** The last line is an instruction with nothing printed after it (a state note may follow it). */
  noteable: boolean;
}

/** The registers an instruction reads, in the order the verifier checks them (source first). */
function readsOf(i: BpfInsn): number[] {
  const cls = i.code & 0x07;
  const op = i.code & 0xf0;
  const x = (i.code & 0x08) !== 0;
  switch (cls) {
    case 0x04: // ALU
    case 0x07: // ALU64
      if (op === 0xb0) return x ? [i.src] : []; // MOV
      if (op === 0x80 || op === 0xd0) return [i.dst]; // NEG, END
      return x ? [i.src, i.dst] : [i.dst];
    case 0x01: // LDX
      return [i.src];
    case 0x02: // ST
      return [i.dst];
    case 0x03: // STX (and atomics; CMPXCHG also reads R0)
      return (i.code & 0xe0) === 0xc0 && i.imm === 0xf1 ? [i.src, i.dst, 0] : [i.src, i.dst];
    case 0x05:
    case 0x06:
      if (op === 0x90) return [0]; // exit
      if (op === 0x80 || op === 0x00) return []; // call (helper arguments are not typed here), ja
      return x ? [i.src, i.dst] : [i.dst];
    default:
      return [];
  }
}

const SCALAR: RegValue = { kind: 'scalar' };

/** The result of an ALU instruction when both operands are known constants; otherwise a scalar. */
function aluValue(i: BpfInsn, dst: RegValue | undefined, src: RegValue | undefined): RegValue {
  const op = i.code & 0xf0;
  const is64 = (i.code & 0x07) === 0x07;
  const x = (i.code & 0x08) !== 0;
  const b = x ? (src?.kind === 'const' ? src.value : undefined) : BigInt(i.imm);
  if (op === 0xb0) {
    if (b === undefined || (x && i.off !== 0)) return x && i.off === 0 && is64 && src ? src : SCALAR;
    return { kind: 'const', value: is64 ? BigInt.asUintN(64, b) : BigInt.asUintN(32, b) };
  }
  const a = dst?.kind === 'const' ? dst.value : undefined;
  if (a === undefined || (op !== 0x80 && b === undefined) || i.off !== 0) return SCALAR;
  const w = is64 ? 64 : 32;
  const A = BigInt.asUintN(w, a);
  const B = BigInt.asUintN(w, b ?? 0n);
  const sh = Number(B & BigInt(w - 1));
  let v: bigint | undefined;
  switch (op) {
    case 0x00: v = A + B; break;
    case 0x10: v = A - B; break;
    case 0x20: v = A * B; break;
    case 0x30: v = B === 0n ? 0n : A / B; break;
    case 0x40: v = A | B; break;
    case 0x50: v = A & B; break;
    case 0x60: v = A << BigInt(sh); break;
    case 0x70: v = A >> BigInt(sh); break;
    case 0x80: v = -A; break;
    case 0x90: v = B === 0n ? A : A % B; break;
    case 0xa0: v = A ^ B; break;
    case 0xc0: v = BigInt.asIntN(w, A) >> BigInt(sh); break;
    default: v = undefined;
  }
  return v === undefined ? SCALAR : { kind: 'const', value: BigInt.asUintN(w, v) };
}

const isMapPtr = (v: RegValue | undefined) => v?.kind === 'map_ptr';
const isCtx = (v: RegValue | undefined) => v?.kind === 'ctx';

export function doCheck(insns: Insns, env: DoCheckEnv): DoCheckResult {
  const limit = Limits.BPF_COMPLEXITY_LIMIT_INSNS;
  const n = insns.length;
  const logOn = env.log ?? true;
  let processed = 0;
  let maxCtx = 0;
  const names: InsnNames = {
    helper: (id) => (id >= 0 && id < BPF_FUNC_MAX_ID ? helperName(id) : undefined),
    ldImm64: (pc) => env.ldImm64(pc).text,
    kfunc: (i) => env.kfuncName(i),
  };
  const initial: Regs = new Array(NREGS).fill(undefined);
  initial[1] = { kind: 'ctx' };
  initial[FP] = { kind: 'fp' };
  const pending: PathState[] = [{ pc: 0, regs: initial, frames: [], scratched: new Set([1, FP]), lines: [], noteable: false }];
  let s: PathState = pending[0]!;
  const fail = (id: string, message: string, errno: number): DoCheckResult => ({ processed, maxCtxOffset: maxCtx, error: { id, message, errno }, pathLog: s.lines });
  while (pending.length) {
    s = pending.pop()!;
    while (s.pc >= 0 && s.pc < n) {
      if (++processed > limit) {
        processed = limit;
        return fail('LOAD-13', `BPF program is too large. Processed ${limit + 1} insn`, -Errno.E2BIG);
      }
      const pc = s.pc;
      const i = insnAt(insns, pc)!;
      if (logOn) {
        // print_insn_state, then the instruction (do_check at log_level 1).
        const shown = [...s.scratched].sort((a, b) => a - b).filter((r) => s.regs[r]).map((r) => ' ' + regText(r, s.regs[r]!)).join('');
        if (s.scratched.size && shown) {
          if (s.noteable) {
            const last = s.lines.length - 1;
            s.lines[last] = s.lines[last]! + ' '.repeat(noteAlignment(s.lines[last]!.length + 1)) + ';' + shown;
          } else s.lines.push(`${pc}:${shown}`);
        }
        s.scratched.clear();
        s.lines.push(`${pc}: ${insnText(insns, pc, names)}`);
        s.noteable = true;
      }
      const encoding = checkInsn(insns, pc);
      if (encoding) return fail('LOAD-13', encoding, encoding === 'frame pointer is read only' ? -Errno.EACCES : -Errno.EINVAL);
      for (const r of readsOf(i)) {
        if (!s.regs[r]) return fail('LOAD-13', `R${r} !read_ok`, -Errno.EACCES);
        s.scratched.add(r);
      }
      const cls = i.code & 0x07;
      const op = i.code & 0xf0;
      const write = (r: number, v: RegValue) => {
        s.regs[r] = v;
        s.scratched.add(r);
      };
      if (i.code === LD_IMM64) {
        write(i.dst, env.ldImm64(pc).value);
        s.pc += 2;
        continue;
      }
      if (cls === 0x04 || cls === 0x07) {
        if ((op === 0x30 || op === 0x90) && (i.code & 0x08) === 0 && i.imm === 0) return fail('LOAD-13', 'div by zero', -Errno.EINVAL);
        write(i.dst, aluValue(i, s.regs[i.dst], s.regs[i.src]));
        s.pc++;
        continue;
      }
      if (cls === 0x01) {
        if (isMapPtr(s.regs[i.src]) && !env.allowPtrLeaks()) {
          return fail('CAP-4', "'struct bpf_map' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN", -Errno.EACCES);
        }
        if (isMapPtr(s.regs[i.src])) {
          const refused = env.mapPtrAccess?.(i.off, SIZE_BYTES[i.code & 0x18] ?? 8);
          if (refused) return fail('OBS-DEB-32', refused, -Errno.EACCES);
        }
        if (isCtx(s.regs[i.src])) maxCtx = Math.max(maxCtx, i.off + (SIZE_BYTES[i.code & 0x18] ?? 8));
        write(i.dst, SCALAR);
        s.pc++;
        continue;
      }
      if (cls === 0x02 || cls === 0x03) {
        if ((i.code & 0xe0) === 0x60 && isCtx(s.regs[i.dst])) maxCtx = Math.max(maxCtx, i.off + (SIZE_BYTES[i.code & 0x18] ?? 8));
        if (cls === 0x03 && (i.code & 0xe0) === 0xc0) {
          // Fetching atomics write the source register (CMPXCHG: R0).
          const w = i.imm === 0xf1 ? 0 : i.imm & 0x01 ? i.src : -1;
          if (w >= 0) write(w, SCALAR);
        }
        s.pc++;
        continue;
      }
      if (cls !== 0x05 && cls !== 0x06) {
        s.pc++; // LD_ABS / LD_IND were refused by checkInsn
        continue;
      }
      if (op === 0x90) {
        // exit: back to the caller, whose R6-R9 survive and whose R0 is the callee's return value
        const f = s.frames[s.frames.length - 1];
        if (!f) break;
        const r0 = s.regs[0]!;
        s.frames = s.frames.slice(0, -1);
        s.regs = f.regs.map((v, r) => (r <= 5 ? undefined : v));
        write(0, r0);
        s.pc = f.ret;
        continue;
      }
      if (op === 0x80) {
        if (i.src === Pseudo.BPF_PSEUDO_CALL) {
          s.frames = [...s.frames, { ret: pc + 1, regs: s.regs }];
          s.regs = s.regs.map((v, r) => (r >= 1 && r <= 5 ? v : r === FP ? { kind: 'fp' } : undefined));
          s.pc = pc + i.imm + 1;
          continue;
        }
        if (i.src === 0) {
          const err = checkHelper(i.imm, env);
          if (err) return fail('LOAD-13', err, -Errno.EINVAL);
        }
        for (let r = 1; r <= 5; r++) s.regs[r] = undefined;
        write(0, SCALAR);
        s.pc++;
        continue;
      }
      const target = pc + 1 + (cls === 0x06 && op === 0x00 ? i.imm : i.off);
      if (target <= pc) break; // a loop: this path is not walked further
      if (op !== 0x00) {
        const regs = s.regs.slice();
        pending.push({ pc: target, regs, frames: s.frames, scratched: new Set(regs.flatMap((v, r) => (v ? [r] : []))), lines: [], noteable: false });
      }
      s.pc = op === 0x00 ? target : pc + 1;
    }
  }
  return { processed, maxCtxOffset: maxCtx, pathLog: [] };
}

/** check_helper_call's first checks, in its order. Returns the verifier's message or undefined. */
function checkHelper(id: number, env: DoCheckEnv): string | undefined {
  if (id < 0 || id >= BPF_FUNC_MAX_ID) return `invalid func unknown#${id}`;
  const rule = HELPER_RULES.get(id);
  const unavailable = (rule?.types && !rule.types.has(env.progType)) || (TRACING_FAMILY_TYPES.has(env.progType) && isNetOnlyHelper(id)) || id === 0;
  if (unavailable) return `program of this type cannot use helper ${helperName(id)}#${id}`;
  if (!env.gplCompatible && GPL_ONLY_HELPERS.has(id)) return 'cannot call GPL-restricted function from non-GPL compatible program';
  if (rule?.sleepableOnly && !env.sleepable) return 'helper call might sleep in a non-sleepable prog';
  return undefined;
}
