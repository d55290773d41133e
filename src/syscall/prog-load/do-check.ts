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
// kernel would prune).
//
// Values: constants are tracked exactly through the ALU operations the kernel's scalar tracking
// folds (not division and modulo), pointers keep their type and offset through additions, helper
// results take their proto's return type (helper-args.ts), and a NULL check refines a `_or_null`
// pointer on both sides. A conditional jump whose outcome the known values decide follows one side
// only, as is_branch_taken makes the verifier do (and marks the compared registers precise). Loads
// from memory give a value of unknown type, except a load at a constant offset from a frozen
// read-only map, which reads the constant (bpf_map_direct_read).
//
// Loops (bpf_capable): a back edge is walked while every register holds a known value, with the
// kernel's checkpoints (is_state_visited: a new state at a prune point after 2 jumps and 8
// instructions, 20 jumps or 100 instructions inside a loop) and its loop check: a state equal to a
// checkpoint the path came through → "infinite loop detected at insn N" with the current and old
// states (EINVAL). A back edge taken with an unknown value ends the walk of that path, since without
// the kernel's bounds bpfsig cannot tell how the loop ends. spec: LOAD-13, CAP-4, TRUN-1.

import { checkInsn } from '../../vm/check.js';
import { insnText, noteAlignment, regText, type InsnNames, type RegValue } from './verifier-text.js';
import type { BpfInsn } from '../../vm/insn.js';
import { InsnArray, insnAt, type Insns } from '../../vm/insn-array.js';
import { Errno } from '../errno.js';
import { Limits, Pseudo } from '../uapi/consts.js';
import { BPF_FUNC_MAX_ID, GPL_ONLY_HELPERS, HELPER_RULES, TRACING_FAMILY_TYPES, helperName, isNetOnlyHelper } from './prog-types.js';
import { HELPER_PROTOS, checkFuncArg } from './helper-args.js';

export interface DoCheckEnv {
  readonly progType: number;
  readonly gplCompatible: boolean;
  readonly sleepable: boolean;
  /** allow_ptr_leaks: CAP_PERFMON (or CAP_SYS_ADMIN) — asked only when a program reads struct bpf_map. */
  readonly allowPtrLeaks: () => boolean;
  /** What an ld_imm64 at pc loads (resolved by the check stage). */
  readonly ldImm64: (pc: number) => RegValue;
  /** How the log names an ld_imm64's value (print_imm); asked only for log lines. */
  readonly ldImm64Text: (pc: number) => string;
  readonly kfuncName: (insn: BpfInsn) => string;
  /** btf_struct_access over `struct bpf_map` for a load through a map pointer: the refusal, or null (OBS-DEB-32). */
  readonly mapPtrAccess?: (off: number, size: number) => string | null;
  /**
   * bpf_map_direct_read: `size` bytes at `off` of the value of the map `ref` when the map is frozen
   * and read-only for programs (bpf_map_is_rdonly), else undefined.
   */
  readonly readOnlyValue?: (ref: unknown, off: number, size: number) => bigint | undefined;
  /** The program has BTF func_info (a callback reference needs it). */
  readonly hasFuncInfo?: boolean;
  /** Is a log being written at level 1 or more? Without one the walk keeps no text. */
  readonly logging?: boolean;
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
  /** env->total_states and env->peak_states: the checkpoints the walk added (none is ever freed here). */
  readonly totalStates: number;
  readonly peakStates: number;
  /** env->max_states_per_insn: the most checkpoints an instruction had when a path reached it. */
  readonly maxStatesPerInsn: number;
  /** insn_aux_data[pc].seen: the instructions some path reached. */
  readonly seen: Uint8Array;
  /**
   * For each helper call that takes a map (bpf_map_lookup_elem, …): the map it was called with, or
   * POISONED when paths disagree (insn_aux_data map_ptr_state).
   */
  readonly callMaps: ReadonlyMap<number, unknown>;
  /** Loads and stores whose base register was the context (insn_aux_data ptr_type PTR_TO_CTX). */
  readonly ctxAccess: ReadonlySet<number>;
  /** bpf_loop calls that can be inlined (loop_inline_state): the callback's start, or undefined when they cannot. */
  readonly loopInline: ReadonlyMap<number, number | undefined>;
  /** subprog_info[].stack_depth: the deepest stack byte each sub-program (by start) touches. */
  readonly stackDepth: ReadonlyMap<number, number>;
  /** The walk's counters at each allowPtrLeaks() question, in order (the cache replays them: check-cache.ts). */
  readonly ptrLeakChecks: readonly PtrLeakCheck[];
}

/** Where the walk stood when it asked allowPtrLeaks(): what a refusal there would have reported. */
export interface PtrLeakCheck {
  readonly processed: number;
  readonly totalStates: number;
  readonly maxStatesPerInsn: number;
}

export const POISONED = Symbol('map ptr poisoned');

const LD_IMM64 = 0x18;
const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const FP = 10;
const NREGS = 11;

type Regs = (RegValue | undefined)[];

/**
 * One 8-byte stack slot (struct bpf_stack_state): a type per byte — '?' invalid, 'm' misc data,
 * '0' zero, 'r' part of a spilled register — and the spilled register.
 */
interface StackSlot {
  readonly types: string;
  readonly spill?: RegValue;
}
/** A frame's stack, by slot index (spi: fp-8 is 0). Copied on write. */
type Stack = ReadonlyMap<number, StackSlot>;

interface Frame {
  readonly ret: number;
  /** The caller's registers, restored (but for R0-R5) when the callee exits. */
  readonly regs: Regs;
  readonly stack: Stack;
  /** The frame's sub-program starts here (stack depth is per sub-program). */
  readonly entry: number;
  /** A callback a helper calls: its R0 is not the helper's result (which is a scalar). */
  readonly callback?: boolean;
}

/** A state the walk kept at a prune point (an explored state, env->explored_states). */
interface Checkpoint {
  readonly pc: number;
  readonly regs: Regs;
  readonly stack: Stack;
  readonly depth: number;
  /** Registers mark_chain_precision marked precise in this state. */
  readonly precise: Set<number>;
  /** The state's key (stateKey). */
  readonly key: string;
  /** Every value in the state is known (the loop check compares only such states). */
  readonly known: boolean;
  /** sl->miss_cnt: visits that added a state while this one was in the list. */
  miss: number;
}

/**
 * The instructions a path executed, newest first (env->cur_state's jump history, simplified): one
 * node per run of consecutive instructions (like the kernel's jump history, which records only
 * jumps), not one per instruction — a 1,000,000-instruction straight line is one node. A node is
 * never changed once made, so paths forked from it share it; each path says where its own run in
 * its newest node ends (PathState.histEnd), and a node says where its predecessor's run ended.
 */
interface Hist {
  /** The first instruction of the run. */
  readonly start: number;
  readonly prev: Hist | null;
  /** The last instruction of `prev`'s run on this path. */
  readonly prevEnd: number;
  /** A checkpoint taken at the visit of `start`, before the instruction ran. */
  readonly cp: Checkpoint | undefined;
}

interface PathState {
  pc: number;
  regs: Regs;
  stack: Stack;
  frames: readonly Frame[];
  /** Where the current frame's sub-program starts. */
  frameEntry: number;
  /** Registers touched since the last state print (env->scratched_regs). */
  scratched: Set<number>;
  /** Stack slots touched since the last state print (env->scratched_stack_slots). */
  scratchedStack: Set<number>;
  /** This path's log lines (level 1 keeps them only if the path fails). */
  lines: string[];
  /** The last line is an instruction with nothing printed after it (a state note may follow it). */
  noteable: boolean;
  hist: Hist | null;
  /** The last instruction of this path's run in `hist`. */
  histEnd: number;
  /** Checkpoints this path came through (explored states whose branches are still being walked). */
  ancestors: Set<Checkpoint>;
  /** Jump-history entries since the last checkpoint (jmp_history_cnt). */
  jmpHist: number;
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
      if (op === 0x80 || op === 0x00) return []; // call (arguments are checked with the helper), ja
      return x ? [i.src, i.dst] : [i.dst];
    default:
      return [];
  }
}

const SCALAR: RegValue = { kind: 'scalar' };
const UNKNOWN: RegValue = { kind: 'scalar', maybePtr: true };

const isPtr = (v: RegValue | undefined): boolean => !!v && v.kind !== 'const' && v.kind !== 'scalar';

/** A pointer moved by `delta` bytes (a constant) or by an unknown amount. */
function movePtr(v: RegValue, delta: bigint | undefined): RegValue {
  if (v.kind !== 'fp' && v.kind !== 'ctx' && v.kind !== 'map_value' && v.kind !== 'ringbuf_mem') return UNKNOWN;
  const cur = 'off' in v ? v.off : 0;
  if (delta === undefined || cur === 'var') return { ...v, off: 'var' } as RegValue;
  return { ...v, off: (cur ?? 0) + Number(BigInt.asIntN(64, delta)) } as RegValue;
}

/**
 * The result of an ALU instruction: constants fold (the operations adjust_scalar_min_max_vals keeps
 * exact; division, modulo and byte swaps give an unknown scalar), pointers move on ADD/SUB of a
 * constant (64-bit only), anything else is a scalar.
 */
function aluValue(i: BpfInsn, dst: RegValue | undefined, src: RegValue | undefined): RegValue {
  const op = i.code & 0xf0;
  const is64 = (i.code & 0x07) === 0x07;
  const x = (i.code & 0x08) !== 0;
  const b = x ? (src?.kind === 'const' ? src.value : undefined) : BigInt(i.imm);
  if (op === 0xb0) {
    if (x && i.off === 0 && is64 && src) return src;
    if (x && isPtr(src)) return UNKNOWN;
    if (b === undefined || (x && i.off !== 0)) return SCALAR;
    return { kind: 'const', value: is64 ? BigInt.asUintN(64, b) : BigInt.asUintN(32, b) };
  }
  if (isPtr(dst)) {
    if (is64 && (op === 0x00 || op === 0x10) && !isPtr(src)) return movePtr(dst!, b === undefined ? undefined : op === 0x10 ? -b : b);
    return UNKNOWN;
  }
  if (isPtr(src) && x) return is64 && op === 0x00 ? movePtr(src!, dst?.kind === 'const' ? dst.value : undefined) : UNKNOWN;
  const a = dst?.kind === 'const' ? dst.value : undefined;
  if (a === undefined || (op !== 0x80 && b === undefined) || i.off !== 0) return dst?.kind === 'scalar' && dst.maybePtr ? UNKNOWN : SCALAR;
  const w = is64 ? 64 : 32;
  const A = BigInt.asUintN(w, a);
  const B = BigInt.asUintN(w, b ?? 0n);
  const sh = Number(B & BigInt(w - 1));
  let v: bigint | undefined;
  switch (op) {
    case 0x00: v = A + B; break;
    case 0x10: v = A - B; break;
    case 0x20: v = A * B; break;
    case 0x40: v = A | B; break;
    case 0x50: v = A & B; break;
    case 0x60: v = A << BigInt(sh); break;
    case 0x70: v = A >> BigInt(sh); break;
    case 0x80: v = -A; break;
    case 0xa0: v = A ^ B; break;
    case 0xc0: v = BigInt.asIntN(w, A) >> BigInt(sh); break;
    default: v = undefined;
  }
  return v === undefined ? SCALAR : { kind: 'const', value: BigInt.asUintN(w, v) };
}

/** is_branch_taken for two known constants: true, false; undefined when the values do not decide. */
function branchTaken(i: BpfInsn, dst: RegValue | undefined, src: RegValue | undefined): boolean | undefined {
  const op = i.code & 0xf0;
  const x = (i.code & 0x08) !== 0;
  const is32 = (i.code & 0x07) === 0x06;
  const rhs: RegValue | undefined = x ? src : { kind: 'const', value: BigInt.asUintN(64, BigInt(i.imm)) };
  // A pointer reg_not_null knows is not NULL (map values, ring buffer memory; not ctx or stack),
  // compared with 0.
  if ((dst?.kind === 'map_value' || dst?.kind === 'ringbuf_mem') && rhs?.kind === 'const' && rhs.value === 0n) {
    if (op === 0x10) return false;
    if (op === 0x50) return true;
    return undefined;
  }
  if (isPtr(dst) || isPtr(rhs)) return undefined;
  if (dst?.kind !== 'const' || rhs?.kind !== 'const') return undefined;
  const w = is32 ? 32 : 64;
  const a = BigInt.asUintN(w, dst.value);
  const b = BigInt.asUintN(w, rhs.value);
  const sa = BigInt.asIntN(w, a);
  const sb = BigInt.asIntN(w, b);
  switch (op) {
    case 0x10: return a === b;
    case 0x20: return a > b;
    case 0x30: return a >= b;
    case 0x40: return (a & b) !== 0n;
    case 0x50: return a !== b;
    case 0x60: return sa > sb;
    case 0x70: return sa >= sb;
    case 0xa0: return a < b;
    case 0xb0: return a <= b;
    case 0xc0: return sa < sb;
    case 0xd0: return sa <= sb;
    default: return undefined;
  }
}

/** A value whose every bit the walk knows (the condition for walking a loop and comparing states). */
const isKnown = (v: RegValue | undefined): boolean => !v || (v.kind !== 'scalar' && !(('off' in v) && v.off === 'var'));
/** Every register and every spilled value known, no stack byte of unknown data. */
const knownState = (s: { regs: Regs; stack: Stack }): boolean =>
  s.regs.every(isKnown) && [...s.stack.values()].every((sl) => !sl.types.includes('m') && isKnown(sl.spill));

/** Two fully known states are equal (states_equal, exact) when their keys are. */
const refIds = new WeakMap<object, number>();
let nextRefId = 0;
function valueKey(v: RegValue | undefined): string {
  if (!v) return '-';
  return Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => {
    if (x && typeof x === 'object') {
      if (!refIds.has(x)) refIds.set(x, nextRefId++);
      return `${k}=#${refIds.get(x)}`;
    }
    return `${k}=${String(x)}`;
  }).join(',');
}
function frameKey(regs: Regs, stack: Stack): string {
  const st = [...stack].sort(([a], [b]) => a - b).map(([spi, sl]) => `${spi}:${sl.types}:${valueKey(sl.spill)}`).join('/');
  return regs.map(valueKey).join(';') + '|' + st;
}
/** A state's identity: the registers and stack of every frame and the return addresses. */
function stateKey(regs: Regs, stack: Stack, frames: readonly Frame[]): string {
  return frames.map((f) => `${f.ret}<${frameKey(f.regs, f.stack)}>`).join('') + frameKey(regs, stack);
}

/** The stack slot text print_verifier_state shows: `fp-8=0`, `fp-8=0000????`, `fp-16=ctx()`. */
function slotText(spi: number, sl: StackSlot, precise = false): string {
  const name = ` fp${-(spi + 1) * 8}`;
  if (sl.types[7] === 'r' && sl.spill) {
    const t = regText(0, sl.spill, precise && (sl.spill.kind === 'const' || sl.spill.kind === 'scalar'));
    return `${name}=${t.slice(t.indexOf('=') + 1)}`;
  }
  return `${name}=${sl.types}`;
}

/** check_stack_write_fixed_off: a store of `size` bytes at fp`off`. */
function stackWrite(stack: Stack, off: number, size: number, value: RegValue | undefined, imm: number | undefined): { stack: Stack; spi: number } {
  const out = new Map(stack);
  const slot = -off - 1;
  const spi = Math.floor(slot / 8);
  const old = out.get(spi) ?? { types: '????????' };
  const types = old.types.split('');
  const aligned = off % 8 === 0;
  let spill: RegValue | undefined;
  if (aligned && value && (value.kind === 'const' || value.kind === 'scalar')) spill = value;
  else if (aligned && !value && imm !== undefined) spill = { kind: 'const', value: BigInt.asUintN(64, BigInt(imm)) };
  else if (value && value.kind !== 'const' && value.kind !== 'scalar' && size === 8) spill = value;
  if (spill) {
    // mark_stack_slot_misc for the bytes below a narrow spill: zero and invalid bytes stay
    for (let i = 0; i < 8; i++) types[i] = i >= 8 - size ? 'r' : types[i] === '0' || types[i] === '?' ? types[i]! : 'm';
    out.set(spi, { types: types.join(''), spill });
    return { stack: out, spi };
  }
  const zero = (value?.kind === 'const' && value.value === 0n) || (!value && imm === 0);
  if (old.spill) for (let i = 0; i < 8; i++) if (types[i] === 'r') types[i] = 'm';
  for (let i = 0; i < size; i++) types[(slot - i) % 8] = zero ? '0' : 'm';
  out.set(spi, { types: types.join('') });
  return { stack: out, spi };
}

/** check_stack_read_fixed_off: a load of `size` bytes at fp`off`. */
function stackRead(stack: Stack, off: number, size: number): RegValue {
  const slot = -off - 1;
  const sl = stack.get(Math.floor(slot / 8));
  if (!sl) return SCALAR;
  if (sl.spill && sl.types[7] === 'r') {
    if (off % 8 === 0 && size === 8) return sl.spill;
    if (sl.spill.kind === 'const' || sl.spill.kind === 'scalar') return sl.spill.kind === 'const' && size === 8 ? sl.spill : SCALAR;
    return UNKNOWN;
  }
  let zero = true;
  for (let i = 0; i < size; i++) if (sl.types[(slot - i) % 8] !== '0') zero = false;
  return zero ? { kind: 'const', value: 0n } : SCALAR;
}

/** get_constant_map_key: the key a stack pointer points at, when the stack holds it as a constant. */
function constantMapKey(stack: Stack, key: RegValue | undefined, keySize: number): bigint | undefined {
  if (key?.kind !== 'fp' || typeof key.off !== 'number') return undefined;
  const slot = -key.off - 1;
  const sl = stack.get(Math.floor(slot / 8));
  if (!sl) return undefined;
  const off = slot % 8;
  let zero = 0;
  for (let i = off; i >= 0 && sl.types[i] === '0'; i--) zero++;
  if (zero >= keySize) return 0n;
  if (!sl.spill || sl.spill.kind !== 'const') return undefined;
  let spill = 0;
  for (let i = off; i >= 0 && sl.types[i] === 'r'; i--) spill++;
  return spill === keySize ? sl.spill.value : undefined;
}

/** backtrack_insn for registers: which registers an instruction's result depended on. */
function backtrack(i: BpfInsn, track: Set<number>): void {
  const cls = i.code & 0x07;
  const op = i.code & 0xf0;
  const x = (i.code & 0x08) !== 0;
  if (cls === 0x04 || cls === 0x07) {
    if (!track.has(i.dst)) return;
    if (op === 0xb0) {
      track.delete(i.dst);
      if (x) track.add(i.src);
    } else if (x && op !== 0x80 && op !== 0xd0) track.add(i.src);
    return;
  }
  if (cls === 0x01 || i.code === LD_IMM64) {
    track.delete(i.dst);
    return;
  }
  if ((cls === 0x05 || cls === 0x06) && (op === 0x80 || op === 0x90)) track.clear();
}

export function doCheck(given: Insns, env: DoCheckEnv): DoCheckResult {
  const insns = given instanceof InsnArray ? given : InsnArray.fromInsns(given);
  const code = insns.code;
  const limit = Limits.BPF_COMPLEXITY_LIMIT_INSNS;
  const n = insns.length;
  let processed = 0;
  let maxCtx = 0;
  let jmps = 0;
  let prevJmps = 0;
  let prevInsns = 0;
  let totalStates = 0;
  let maxStatesPerInsn = 0;
  let nextId = 0;
  const seen = new Uint8Array(n);
  const ptrLeakChecks: PtrLeakCheck[] = [];
  const callMaps = new Map<number, unknown>();
  const ctxAccess = new Set<number>();
  const loopInline = new Map<number, number | undefined>();
  const stackDepth = new Map<number, number>();
  /** update_stack_depth for the current frame's sub-program. */
  const touchStack = (off: number) => {
    const entry = s.frames.length ? s.frameEntry : 0;
    if (-off > (stackDepth.get(entry) ?? 0)) stackDepth.set(entry, -off);
  };
  const names: InsnNames = {
    helper: (id) => (id >= 0 && id < BPF_FUNC_MAX_ID ? helperName(id) : undefined),
    ldImm64: (pc) => env.ldImm64Text(pc),
    kfunc: (i) => env.kfuncName(i),
  };
  // check_cfg's marks: prune points are conditional jumps and jump targets; jump points the targets.
  const prune = new Uint8Array(n);
  for (let pc = 0; pc < n; pc++) {
    const i = insnAt(insns, pc)!;
    if (i.code === LD_IMM64) {
      pc++;
      continue;
    }
    const cls = i.code & 0x07;
    const op = i.code & 0xf0;
    if ((cls === 0x05 || cls === 0x06) && op === 0x80) {
      // visit_func_call_insn: the instruction after a call is a prune and jump point; a bpf-to-bpf
      // call is a prune point and its target a jump target.
      if (pc + 1 < n) prune[pc + 1] = 2;
      if (i.src === Pseudo.BPF_PSEUDO_CALL) {
        prune[pc] ||= 1;
        const t = pc + i.imm + 1;
        if (t >= 0 && t < n) prune[t] = 2;
      }
      continue;
    }
    if ((cls !== 0x05 && cls !== 0x06) || op === 0x90) continue;
    const t = pc + 1 + (cls === 0x06 && op === 0x00 ? i.imm : i.off);
    if (t >= 0 && t < n) prune[t] = 2;
    if (op !== 0x00) prune[pc] ||= 1;
  }
  const initial: Regs = new Array(NREGS).fill(undefined);
  initial[1] = { kind: 'ctx' };
  initial[FP] = { kind: 'fp' };
  const pending: PathState[] = [
    { pc: 0, regs: initial, stack: new Map(), frames: [], frameEntry: 0, scratched: new Set([1, FP]), scratchedStack: new Set(), lines: [], noteable: false, hist: null, histEnd: -1, ancestors: new Set(), jmpHist: 0 },
  ];
  let s: PathState = pending[0]!;
  const result = (error?: DoCheckError): DoCheckResult => ({
    processed,
    maxCtxOffset: maxCtx,
    ...(error ? { error } : {}),
    pathLog: error ? s.lines : [],
    totalStates,
    peakStates: totalStates,
    maxStatesPerInsn,
    seen,
    callMaps,
    ctxAccess,
    loopInline,
    stackDepth,
    ptrLeakChecks,
  });
  const fail = (id: string, message: string, errno: number): DoCheckResult => result({ id, message, errno });
  /** print_insn_state: the registers touched since the last print, as a note on the last line or a line of their own. */
  const logging = env.logging ?? true;
  const printState = (pc: number) => {
    if (!logging) {
      if (s.scratched.size) s.scratched.clear();
      if (s.scratchedStack.size) s.scratchedStack.clear();
      return;
    }
    const shown =
      [...s.scratched].sort((a, b) => a - b).filter((r) => s.regs[r]).map((r) => ' ' + regText(r, s.regs[r]!)).join('') +
      [...s.scratchedStack].sort((a, b) => a - b).flatMap((spi) => {
        const sl = s.stack.get(spi);
        return sl && sl.types !== '????????' ? [slotText(spi, sl)] : [];
      }).join('');
    if ((s.scratched.size || s.scratchedStack.size) && shown) {
      if (s.noteable) {
        const last = s.lines.length - 1;
        s.lines[last] = s.lines[last]! + ' '.repeat(noteAlignment(s.lines[last]!.length + 1)) + ';' + shown;
      } else s.lines.push(`${pc}:${shown}`);
      s.noteable = false;
    }
    s.scratched = new Set();
    s.scratchedStack = new Set();
  };
  const allState = (regs: Regs, stack: Stack, precise?: ReadonlySet<number>) =>
    regs.flatMap((v, r) => (v ? [' ' + regText(r, v, precise?.has(r) && (v.kind === 'const' || v.kind === 'scalar'))] : [])).join('') +
    [...stack].sort(([a], [b]) => a - b).flatMap(([spi, sl]) => (sl.types === '????????' ? [] : [slotText(spi, sl)])).join('');
  /** mark_chain_precision: walk the path back, marking the registers precise in the checkpoints it passes. */
  const markPrecise = (regs: number[]) => {
    const track = new Set(regs.filter((r) => s.regs[r]?.kind === 'const' || s.regs[r]?.kind === 'scalar'));
    let newest = true;
    for (let h = s.hist, end = s.histEnd; h && track.size; end = h.prevEnd, h = h.prev) {
      // The run's instructions in path order (an ld_imm64 takes two slots), walked newest first.
      const run: number[] = [];
      for (let pc = h.start; pc <= end; pc += code[pc] === LD_IMM64 ? 2 : 1) run.push(pc);
      for (let k = run.length - 1; k >= 0 && track.size; k--) {
        if (!newest) backtrack(insnAt(insns, run[k]!)!, track);
        newest = false;
        const cp = k === 0 ? h.cp : undefined;
        if (!cp) continue;
        for (const r of [...track]) {
          const v = cp.regs[r];
          if (!v || (v.kind !== 'const' && v.kind !== 'scalar') || cp.precise.has(r)) track.delete(r);
          else cp.precise.add(r);
        }
      }
    }
  };
  /** is_state_visited without pruning: the infinite-loop check and the choice to add a checkpoint. */
  /** env->explored_states: the checkpoints at each instruction, newest first. */
  const explored = new Map<number, Checkpoint[]>();
  const PRUNED = '';
  const stateVisited = (pc: number): string | Checkpoint | undefined => {
    const force = s.jmpHist > 40;
    let add = force || (jmps - prevJmps >= 2 && processed - prevInsns >= 8);
    const known = knownState(s);
    const key = stateKey(s.regs, s.stack, s.frames);
    const list = explored.get(pc) ?? [];
    let cnt = 0;
    for (let idx = 0; idx < list.length; idx++) {
      const cp = list[idx]!;
      cnt++;
      if (s.ancestors.has(cp)) {
        if (known && cp.known && cp.key === key) {
          return `infinite loop detected at insn ${pc}\ncur state:${allState(s.regs, s.stack)}\nold state:${allState(cp.regs, cp.stack, cp.precise)}`;
        }
        if (!force && jmps - prevJmps < 20 && processed - prevInsns < 100) add = false;
      } else if (cp.key === key) {
        // A fully walked checkpoint with the same state: what follows was checked (prune).
        return PRUNED;
      }
      // miss: a state that never prunes anything is dropped after a few misses
      if (add) cp.miss++;
      if (cp.miss > 3) list.splice(idx--, 1);
    }
    maxStatesPerInsn = Math.max(maxStatesPerInsn, cnt);
    if (!add) return undefined;
    const cp: Checkpoint = { pc, regs: s.regs.slice(), stack: s.stack, depth: s.frames.length, precise: new Set(), key, known, miss: 0 };
    list.unshift(cp);
    explored.set(pc, list);
    s.ancestors.add(cp);
    s.jmpHist = 0;
    totalStates++;
    prevJmps = jmps;
    prevInsns = processed;
    return cp;
  };
  const fork = (pc: number, regs: Regs): PathState => ({
    pc,
    regs,
    stack: s.stack,
    frames: s.frames,
    frameEntry: s.frameEntry,
    scratched: new Set(regs.flatMap((v, r) => (v ? [r] : []))),
    scratchedStack: new Set([...s.stack.keys()]),
    lines: [],
    noteable: false,
    hist: s.hist,
    histEnd: s.histEnd,
    ancestors: new Set(s.ancestors),
    jmpHist: s.jmpHist,
  });
  while (pending.length) {
    s = pending.pop()!;
    while (s.pc >= 0 && s.pc < n) {
      if (++processed > limit) {
        processed = limit;
        return fail('LOAD-13', `BPF program is too large. Processed ${limit + 1} insn`, -Errno.E2BIG);
      }
      const pc = s.pc;
      const i = insnAt(insns, pc)!;
      let cp: Checkpoint | undefined;
      if (prune[pc]) {
        const loop = stateVisited(pc);
        if (loop === PRUNED) break;
        if (typeof loop === 'string') return fail('LOAD-13', loop, -Errno.EINVAL);
        cp = loop;
      }
      // The path's history: a new run after a jump, a call, a return or a checkpoint.
      const end = s.histEnd;
      if (cp || !s.hist || pc !== end + (code[end] === LD_IMM64 ? 2 : 1)) s.hist = { start: pc, prev: s.hist, prevEnd: end, cp };
      s.histEnd = pc;
      if (prune[pc] === 2) s.jmpHist++;
      seen[pc] = 1;
      // print_insn_state, then the instruction (do_check at log_level 1).
      printState(pc);
      if (logging) s.lines.push(`${pc}: ${insnText(insns, pc, names)}`);
      s.noteable = true;
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
        if (i.src === Pseudo.BPF_PSEUDO_FUNC && !env.hasFuncInfo) return fail('LOAD-13', 'missing btf func_info', -Errno.EINVAL);
        seen[pc + 1] = 1;
        write(i.dst, env.ldImm64(pc));
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
        const base = s.regs[i.src]!;
        if (base.kind === 'map_ptr') ptrLeakChecks.push({ processed, totalStates, maxStatesPerInsn });
        if (base.kind === 'map_ptr' && !env.allowPtrLeaks()) {
          return fail('CAP-4', "'struct bpf_map' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN", -Errno.EACCES);
        }
        if (base.kind === 'map_ptr') {
          const refused = env.mapPtrAccess?.(i.off, SIZE_BYTES[i.code & 0x18] ?? 8);
          if (refused) return fail('OBS-DEB-32', refused, -Errno.EACCES);
        }
        const size = SIZE_BYTES[i.code & 0x18] ?? 8;
        if (base.kind === 'ctx') {
          maxCtx = Math.max(maxCtx, i.off + size);
          ctxAccess.add(pc);
        }
        let v: RegValue = UNKNOWN;
        if (base.kind === 'map_value' && base.off !== 'var' && (i.code & 0xe0) === 0x60) {
          const c = env.readOnlyValue?.(base.ref, (base.off ?? 0) + i.off, size);
          if (c !== undefined) v = { kind: 'const', value: c };
        }
        if (base.kind === 'fp' && base.off !== 'var') touchStack((base.off ?? 0) + i.off);
        if (base.kind === 'fp' && base.off !== 'var' && (i.code & 0xe0) === 0x60) v = stackRead(s.stack, (base.off ?? 0) + i.off, size);
        write(i.dst, v);
        s.pc++;
        continue;
      }
      if (cls === 0x02 || cls === 0x03) {
        const base = s.regs[i.dst];
        if (base?.kind === 'fp' && base.off !== 'var') {
          const mem = (i.code & 0xe0) === 0x60;
          const size = SIZE_BYTES[i.code & 0x18] ?? 8;
          touchStack((base.off ?? 0) + i.off);
          const w = stackWrite(s.stack, (base.off ?? 0) + i.off, size, mem && cls === 0x03 ? s.regs[i.src] : mem ? undefined : UNKNOWN, cls === 0x02 ? i.imm : undefined);
          s.stack = w.stack;
          s.scratchedStack.add(w.spi);
        }
        if ((i.code & 0xe0) === 0x60 && s.regs[i.dst]?.kind === 'ctx') {
          maxCtx = Math.max(maxCtx, i.off + (SIZE_BYTES[i.code & 0x18] ?? 8));
          ctxAccess.add(pc);
        }
        if (cls === 0x03 && (i.code & 0xe0) === 0xc0) {
          // Fetching atomics write the source register (CMPXCHG: R0).
          const w = i.imm === 0xf1 ? 0 : i.imm & 0x01 ? i.src : -1;
          if (w >= 0) write(w, UNKNOWN);
        }
        s.pc++;
        continue;
      }
      if (cls !== 0x05 && cls !== 0x06) {
        s.pc++; // LD_ABS / LD_IND were refused by checkInsn
        continue;
      }
      jmps++;
      if (op === 0x90) {
        // exit: back to the caller, whose R6-R9 survive and whose R0 is the callee's return value
        const f = s.frames[s.frames.length - 1];
        if (!f) break;
        const r0 = f.callback ? SCALAR : s.regs[0]!;
        s.frames = s.frames.slice(0, -1);
        s.regs = f.regs.map((v, r) => (r <= 5 ? undefined : v));
        s.stack = f.stack;
        s.frameEntry = f.entry;
        write(0, r0);
        s.pc = f.ret;
        continue;
      }
      if (op === 0x80) {
        if (i.src === Pseudo.BPF_PSEUDO_CALL) {
          s.frames = [...s.frames, { ret: pc + 1, regs: s.regs, stack: s.stack, entry: s.frameEntry }];
          s.stack = new Map();
          s.regs = s.regs.map((v, r) => (r >= 1 && r <= 5 ? v : r === FP ? { kind: 'fp' } : undefined));
          s.pc = pc + i.imm + 1;
          s.frameEntry = s.pc;
          continue;
        }
        let ret: RegValue = UNKNOWN;
        if (i.src === 0) {
          const err = checkHelper(i.imm, env);
          if (err) return fail('LOAD-13', err, -Errno.EINVAL);
          const proto = HELPER_PROTOS.get(i.imm);
          if (proto) {
            for (let a = 0; a < proto.args.length; a++) {
              const bad = checkFuncArg(proto, a, s.regs[a + 1]);
              if (bad) return fail('LOAD-13', bad, -Errno.EACCES);
              if (s.regs[a + 1]) s.scratched.add(a + 1);
              const reg = s.regs[a + 1];
              if (reg?.kind === 'fp' && typeof reg.off === 'number' && reg.off < 0) touchStack(reg.off);
            }
            const map = proto.args[0] === 'const_map_ptr' ? s.regs[1] : undefined;
            if (map?.kind === 'map_ptr') {
              const before = callMaps.get(pc);
              callMaps.set(pc, before === undefined || before === map.ref ? map.ref : POISONED);
            }
            if (proto.ret === 'integer') ret = SCALAR;
            else if (proto.ret === 'map_value_or_null' && map?.kind === 'map_ptr') {
              // An ARRAY or PERCPU_ARRAY lookup with a constant key inside the map is never NULL
              // (get_constant_map_key, can_elide_value_nullness).
              const key = map.mt === 2 || map.mt === 6 ? constantMapKey(s.stack, s.regs[2], map.ks) : undefined;
              const { id: _id, ...rest } = map;
              ret = key !== undefined && key < BigInt(map.entries ?? 0) ? { ...rest, kind: 'map_value' } : { ...rest, kind: 'map_value_or_null', id: ++nextId };
            }
            else if (proto.ret === 'ringbuf_mem_or_null') ret = { kind: 'ringbuf_mem_or_null', id: ++nextId };
          }
        }
        const cb = s.regs[2];
        if (i.src === 0 && i.imm === 181 && cb?.kind === 'func') {
          // bpf_loop: the verifier walks the callback (callback(index, ctx)); update_loop_inline_state
          // records whether every visit saw the same callback and a constant 0 in flags.
          const flags0 = s.regs[4]?.kind === 'const' && s.regs[4].value === 0n;
          const before = loopInline.get(pc);
          loopInline.set(pc, !loopInline.has(pc) ? (flags0 ? cb.subprog : undefined) : before !== undefined && flags0 && before === cb.subprog ? before : undefined);
          if (flags0) markPrecise([4]);
          const ctxArg = s.regs[3];
          s.frames = [...s.frames, { ret: pc + 1, regs: s.regs, stack: s.stack, entry: s.frameEntry, callback: true }];
          s.stack = new Map();
          s.regs = s.regs.map((_v, r) => (r === 1 ? SCALAR : r === 2 ? ctxArg : r === FP ? { kind: 'fp' } : undefined));
          s.pc = cb.subprog;
          s.frameEntry = cb.subprog;
          continue;
        }
        for (let r = 1; r <= 5; r++) s.regs[r] = undefined;
        write(0, ret);
        s.pc++;
        continue;
      }
      const target = pc + 1 + (cls === 0x06 && op === 0x00 ? i.imm : i.off);
      if (op === 0x00) {
        if (target <= pc && !knownState(s)) break; // a loop bpfsig cannot bound: not walked further
        s.pc = target;
        continue;
      }
      const x = (i.code & 0x08) !== 0;
      const taken = branchTaken(i, s.regs[i.dst], s.regs[i.src]);
      if (taken !== undefined) {
        if (s.regs[i.dst]?.kind === 'const' || s.regs[i.dst]?.kind === 'scalar') markPrecise(x ? [i.dst, i.src] : [i.dst]);
        printState(pc);
        const next = taken ? target : pc + 1;
        if (next <= pc && !knownState(s)) break;
        s.pc = next;
        continue;
      }
      // Both ways: a NULL check refines an `_or_null` pointer (and its copies, by id).
      const other = s.regs.slice();
      const dst = s.regs[i.dst];
      if (dst && 'id' in dst && dst.id && dst.kind.endsWith('_or_null') && !x && i.imm === 0 && cls === 0x05 && (op === 0x10 || op === 0x50)) {
        const id = dst.id;
        const nonNull = { ...dst, kind: dst.kind.replace('_or_null', '') } as RegValue;
        const nul: RegValue = { kind: 'const', value: 0n };
        const refine = (regs: Regs, v: RegValue) => regs.forEach((r, k) => r && 'id' in r && r.id === id && (regs[k] = v));
        refine(op === 0x10 ? other : s.regs, nul); // JEQ: the jump sees NULL
        refine(op === 0x10 ? s.regs : other, nonNull);
      }
      printState(pc);
      if (target > pc || knownState({ regs: other, stack: s.stack })) pending.push(fork(target, other));
      s.pc = pc + 1;
    }
  }
  return result();
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
