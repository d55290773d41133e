// The eBPF interpreter: one decode-dispatch loop over a DecodedProgram (in the manner of uBPF's
// ubpf_vm.c), registers as pairs of 32-bit words in Int32Arrays (no BigInt in the hot loop),
// every load / store / atomic resolved against an AddressSpace, helpers called by id through a
// HelperTable. Every stop is a value: RunResult, never an exception.
//
// spec: VM-ISA-1..9 (the instruction set), VM-EXEC-1 (512-byte stack, r10 = frame top),
//       VM-EXEC-3 (BPF-to-BPF calls preserve r6-r9), VM-LDR-1 (r1 = ctx), VM-LDR-4 (memory the
//       loader may touch; user memory only through helpers), LSK-SIGM-6 (stack frames live in the
//       kernel half, so their addresses are negative as s64), VM-EXEC-2 (helper 5 unwinds).

import { arsh64, bswap16, bswap32, lsh64, mul64, rsh64, sdivmod64, udivmod64 } from './alu64.js';
import type { DecodedProgram, KfuncBinding } from './decode.js';
import { compileLoops, type HotLoops } from './loop-compiler.js';
import { InsnArray, memoOnInsns } from './insn-array.js';
import { faultError, vmError, type AccessType, type FaultRegion, type VmError, type VmFault } from './errors.js';
import {
  helperMemory,
  type HelperEntry,
  type HelperMemory,
  type HelperObserver,
  type HelperProto,
  type HelperTable,
} from './helpers.js';
import { BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLT, BPF_ADD, BPF_AND, BPF_FETCH, BPF_OR, BPF_XCHG, BPF_XOR, MAX_BPF_STACK, MAX_CALL_FRAMES } from './opcodes.js';
import { PAGE_SIZE, joinAddr, type AddressSpace, Region } from '../abi/memory.js';
import { slabBytes } from '../abi/slab.js';

/**
 * Default instruction budget. The kernel has no run-time budget (the verifier bounds programs);
 * this is an emulator safeguard, set to BPF_COMPLEXITY_LIMIT_INSNS (UAPI-CONST-12, value
 * UNCONFIRMED). The light-skeleton loader needs a few hundred instructions.
 */
export const DEFAULT_INSN_BUDGET = 1_000_000;

export interface RunOptions<Env> {
  /** Every load, store and atomic resolves here (a process space linked to the kernel space, or a kernel space). */
  readonly memory: AddressSpace;
  /** Where stack frames are mapped; default `memory.kernel ?? memory` (the kernel half). */
  readonly stackSpace?: AddressSpace;
  /** Initial r1..r5 (r1 = ctx address for a kernel program, VM-LDR-1). Missing ones are 0. */
  readonly args?: readonly bigint[];
  readonly helpers: HelperTable<Env>;
  /** Passed to every helper (the syscall layer passes its kernel and process). */
  readonly env?: Env;
  /** Maximum number of instructions to execute; default DEFAULT_INSN_BUDGET. */
  readonly budget?: number;
  /** Call-frame limit (MAX_CALL_FRAMES = 8). */
  readonly maxCallFrames?: number;
  /** Bytes per stack frame (MAX_BPF_STACK = 512). */
  readonly stackSize?: number;
  readonly observer?: HelperObserver;
  /** Run loops of register arithmetic as translated JavaScript (loop-compiler.ts; default true). Same results either way. */
  readonly compileLoops?: boolean;
}

export type RunResult =
  | { readonly ok: true; readonly r0: bigint; readonly insns: number }
  | { readonly ok: false; readonly error: VmError; readonly insns: number };

/** Access width in bytes by opcode, for the load / store / atomic opcodes. */
/**
 * The opcodes the interpreter runs, named as uBPF's ebpf.h and rbpf's ebpf.rs name them (class,
 * operation, operand: ADD64_IMM = BPF_ALU64 | BPF_ADD | BPF_K). A const enum: the names are the
 * switch's case labels and compile to the numbers (VM-ISA-1..7).
 */
const enum Op {
  ADD32_IMM = 0x04,
  JA = 0x05,
  JA32 = 0x06,
  ADD64_IMM = 0x07,
  ADD32_REG = 0x0c,
  ADD64_REG = 0x0f,
  SUB32_IMM = 0x14,
  JEQ_IMM = 0x15,
  JEQ32_IMM = 0x16,
  SUB64_IMM = 0x17,
  LDDW = 0x18,
  SUB32_REG = 0x1c,
  JEQ_REG = 0x1d,
  JEQ32_REG = 0x1e,
  SUB64_REG = 0x1f,
  MUL32_IMM = 0x24,
  JGT_IMM = 0x25,
  JGT32_IMM = 0x26,
  MUL64_IMM = 0x27,
  MUL32_REG = 0x2c,
  JGT_REG = 0x2d,
  JGT32_REG = 0x2e,
  MUL64_REG = 0x2f,
  DIV32_IMM = 0x34,
  JGE_IMM = 0x35,
  JGE32_IMM = 0x36,
  DIV64_IMM = 0x37,
  DIV32_REG = 0x3c,
  JGE_REG = 0x3d,
  JGE32_REG = 0x3e,
  DIV64_REG = 0x3f,
  OR32_IMM = 0x44,
  JSET_IMM = 0x45,
  JSET32_IMM = 0x46,
  OR64_IMM = 0x47,
  OR32_REG = 0x4c,
  JSET_REG = 0x4d,
  JSET32_REG = 0x4e,
  OR64_REG = 0x4f,
  AND32_IMM = 0x54,
  JNE_IMM = 0x55,
  JNE32_IMM = 0x56,
  AND64_IMM = 0x57,
  AND32_REG = 0x5c,
  JNE_REG = 0x5d,
  JNE32_REG = 0x5e,
  AND64_REG = 0x5f,
  LDXW = 0x61,
  STW = 0x62,
  STXW = 0x63,
  LSH32_IMM = 0x64,
  JSGT_IMM = 0x65,
  JSGT32_IMM = 0x66,
  LSH64_IMM = 0x67,
  LDXH = 0x69,
  STH = 0x6a,
  STXH = 0x6b,
  LSH32_REG = 0x6c,
  JSGT_REG = 0x6d,
  JSGT32_REG = 0x6e,
  LSH64_REG = 0x6f,
  LDXB = 0x71,
  STB = 0x72,
  STXB = 0x73,
  RSH32_IMM = 0x74,
  JSGE_IMM = 0x75,
  JSGE32_IMM = 0x76,
  RSH64_IMM = 0x77,
  LDXDW = 0x79,
  STDW = 0x7a,
  STXDW = 0x7b,
  RSH32_REG = 0x7c,
  JSGE_REG = 0x7d,
  JSGE32_REG = 0x7e,
  RSH64_REG = 0x7f,
  LDXSW = 0x81,
  NEG32 = 0x84,
  CALL = 0x85,
  NEG64 = 0x87,
  LDXSH = 0x89,
  CALLX = 0x8d,
  LDXSB = 0x91,
  MOD32_IMM = 0x94,
  EXIT = 0x95,
  MOD64_IMM = 0x97,
  MOD32_REG = 0x9c,
  MOD64_REG = 0x9f,
  XOR32_IMM = 0xa4,
  JLT_IMM = 0xa5,
  JLT32_IMM = 0xa6,
  XOR64_IMM = 0xa7,
  XOR32_REG = 0xac,
  JLT_REG = 0xad,
  JLT32_REG = 0xae,
  XOR64_REG = 0xaf,
  MOV32_IMM = 0xb4,
  JLE_IMM = 0xb5,
  JLE32_IMM = 0xb6,
  MOV64_IMM = 0xb7,
  MOV32_REG = 0xbc,
  JLE_REG = 0xbd,
  JLE32_REG = 0xbe,
  MOV64_REG = 0xbf,
  ATOMIC32 = 0xc3,
  ARSH32_IMM = 0xc4,
  JSLT_IMM = 0xc5,
  JSLT32_IMM = 0xc6,
  ARSH64_IMM = 0xc7,
  ARSH32_REG = 0xcc,
  JSLT_REG = 0xcd,
  JSLT32_REG = 0xce,
  ARSH64_REG = 0xcf,
  LE = 0xd4,
  JSLE_IMM = 0xd5,
  JSLE32_IMM = 0xd6,
  BSWAP = 0xd7,
  ATOMIC64 = 0xdb,
  BE = 0xdc,
  JSLE_REG = 0xdd,
  JSLE32_REG = 0xde,
}

const ACCESS_SIZE = new Uint8Array(256);
for (const [codes, size] of [
  [[0x61, 0x63, 0x62, 0x81, 0xc3], 4],
  [[0x69, 0x6b, 0x6a, 0x89], 2],
  [[0x71, 0x73, 0x72, 0x91], 1],
  [[0x79, 0x7b, 0x7a, 0xdb], 8],
] as const) {
  for (const c of codes) ACCESS_SIZE[c] = size;
}

/** The region cache's view before any access (cHi = -1: never read). */
const NO_VIEW = new DataView(new ArrayBuffer(0));

/** Resolve an access that missed the interpreter's one-entry region cache. */
function lookup(space: AddressSpace, hi: number, lo: number, size: number, access: AccessType): Region | VmFault {
  const r = space.find(hi, lo);
  if (r === undefined) {
    const addr = joinAddr(hi, lo);
    const near = nearest(space, addr);
    return { addr, size, access, reason: 'unmapped', region: 'unmapped', ...(near ? { near } : {}) };
  }
  if (r.kind === 'user') return { addr: joinAddr(hi, lo), size, access, reason: 'user', region: describeRegion(r) };
  if (lo - r.lo + size > r.bytes.length) return { addr: joinAddr(hi, lo), size, access, reason: 'bounds', region: describeRegion(r) };
  if (access !== 'read' && !r.writable) return { addr: joinAddr(hi, lo), size, access, reason: 'read_only', region: describeRegion(r) };
  return r;
}

const describeRegion = (r: Region): FaultRegion => ({ name: r.name, kind: r.kind, base: r.base, size: r.size });

/** The region closest to an unmapped address, if one is within a page of it (for fault messages). */
function nearest(space: AddressSpace, addr: bigint): VmFault['near'] {
  const half = addr >> 63n === 1n && space.kernel ? space.kernel : space;
  let best: VmFault['near'];
  let bestDist = BigInt(PAGE_SIZE) + 1n;
  for (const r of half.regions()) {
    const d = addr < r.base ? r.base - addr : addr - r.end + 1n;
    if (d < bestDist) {
      bestDist = d;
      best = { region: describeRegion(r), offset: Number(addr - r.base) };
    }
  }
  return best;
}

/**
 * A program's translated loops, made at its first run (a DecodedProgram does not change). A loop
 * holds only register arithmetic and jumps (no ld_imm64, no call), so its translation is a function
 * of the instructions alone: remembered with the compact instructions (one translation per content,
 * found again by the next load of the same bytes), else with the decoded program.
 */
const HOT = new WeakMap<object, HotLoops | null>();
function hotLoops<Env>(prog: DecodedProgram<Env>): HotLoops | null {
  if (prog.insns instanceof InsnArray) return memoOnInsns(prog.insns, 'hot loops', () => compileLoops(prog));
  let h = HOT.get(prog);
  if (h === undefined) HOT.set(prog, (h = compileLoops(prog)));
  return h;
}

/** A register's u64 value (one BigInt made for a value below 2^32, none for 0). */
const toBig = (hi: number, lo: number): bigint => (hi === 0 ? (lo === 0 ? 0n : BigInt(lo >>> 0)) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));

/** Call a helper or kfunc with r1..r5; returns r0, or a VmError. Exceptions become 'helper' errors. */
function invoke<Env>(
  entry: HelperEntry<Env> | KfuncBinding<Env>,
  via: 'helper' | 'kfunc' | 'callx',
  rl: Int32Array,
  rh: Int32Array,
  mem: HelperMemory,
  env: Env,
  pc: number,
  observer: HelperObserver | undefined,
): bigint | VmError {
  const proto: HelperProto = entry.proto;
  const args = [toBig(rh[1]!, rl[1]!), toBig(rh[2]!, rl[2]!), toBig(rh[3]!, rl[3]!), toBig(rh[4]!, rl[4]!), toBig(rh[5]!, rl[5]!)] as const;
  const event = observer ? { pc, via, proto, args } : undefined;
  if (event) observer!.before?.(event);
  let res;
  try {
    res = entry.impl({ args, mem, env, pc, proto });
  } catch (e) {
    return vmError('helper', pc, `${proto.name} failed: ${(e as Error)?.message ?? String(e)}`, { id: proto.id, name: proto.name });
  }
  if (typeof res !== 'bigint') {
    return vmError('helper', pc, `${proto.name}: ${res.error}`, { id: proto.id, name: proto.name });
  }
  const r0 = BigInt.asUintN(64, res);
  if (event) observer!.after?.(event, r0);
  return r0;
}

/**
 * Run a decoded program to its final exit. Stack frames are mapped (kind 'stack', kernel half)
 * for the duration of the run and unmapped before it returns.
 */
export function runProgram<Env>(prog: DecodedProgram<Env>, opts: RunOptions<Env>): RunResult {
  const stackSpace = opts.stackSpace ?? opts.memory.kernel ?? opts.memory;
  const frames: Region[] = [];
  try {
    return execute(prog, opts, stackSpace, frames);
  } finally {
    for (const f of frames) stackSpace.unmap(f);
  }
}

function execute<Env>(prog: DecodedProgram<Env>, opts: RunOptions<Env>, stackSpace: AddressSpace, frames: Region[]): RunResult {
  const { code, dst, src, off, imm, imm2, tgt } = prog;
  const space = opts.memory;
  const helpers = opts.helpers;
  const env = opts.env as Env;
  const observer = opts.observer;
  const stackSize = opts.stackSize ?? MAX_BPF_STACK;
  const maxFrames = opts.maxCallFrames ?? MAX_CALL_FRAMES;
  const initialBudget = opts.budget ?? DEFAULT_INSN_BUDGET;
  let mem: HelperMemory | undefined;

  const rl = new Int32Array(11);
  const rh = new Int32Array(11);
  const args = opts.args ?? [];
  for (let i = 0; i < 5 && i < args.length; i++) {
    const u = BigInt.asUintN(64, args[i]!);
    rl[i + 1] = Number(u & 0xffff_ffffn) | 0;
    rh[i + 1] = Number(u >> 32n) | 0;
  }
  const mapFrame = (depth: number): Region => {
    let f = frames[depth];
    if (f === undefined) {
      // zero-filled and shared with nothing (abi/slab.ts); the region is unmapped when the run ends
      f = stackSpace.map({ name: `stack frame ${depth}`, kind: 'stack', bytes: slabBytes(stackSize) });
      frames[depth] = f;
    }
    return f;
  };
  const setFp = (f: Region): void => {
    const top = f.base + BigInt(stackSize);
    rl[10] = Number(top & 0xffff_ffffn) | 0;
    rh[10] = Number(top >> 32n) | 0;
  };
  setFp(mapFrame(0));

  // Call stack of BPF-to-BPF calls: return pc and the caller's r6..r10 (VM-EXEC-3).
  const retPc = new Int32Array(maxFrames);
  // (made at the first BPF-to-BPF call: most programs make none, and 320 bytes are an off-heap buffer)
  let saved: Int32Array | null = null;
  let depth = 0;

  // One-entry cache of the last region touched: [cLo, cLo + cLen) in the 4 GiB window cHi.
  let cHi = -1;
  let cLo = 0;
  let cLen = 0;
  let cView: DataView = NO_VIEW;
  let cW = false;

  let budget = initialBudget;
  let pc = 0;
  let err: VmError | undefined;
  const hot = opts.compileLoops === false ? null : hotLoops(prog);
  const heads = hot?.heads;
  const loopFns = hot?.fns;
  const loopState = new Float64Array(1);

  run: for (;;) {
    if (heads !== undefined && heads[pc] === 1) {
      // a translated loop (issue K): runs while the budget covers whole blocks, returns where it left
      loopState[0] = budget;
      const next = loopFns![pc]!(rl, rh, loopState);
      budget = loopState[0]!;
      if (next !== pc) {
        pc = next;
        continue;
      }
    }
    if (--budget < 0) {
      err = vmError('budget', pc, `instruction budget of ${initialBudget} exhausted`);
      break;
    }
    const c = code[pc]!;
    switch (c) {
      // ---- ALU64, immediate and register (VM-ISA-3) ----
      case Op.ADD64_IMM: {
        // r += imm
        const d = dst[pc]!;
        const k = imm[pc]!;
        const s = (rl[d]! >>> 0) + (k >>> 0);
        rl[d] = s;
        rh[d] = rh[d]! + (k >> 31) + (s > 0xffffffff ? 1 : 0);
        pc++;
        break;
      }
      case Op.ADD64_REG: {
        // r += r
        const d = dst[pc]!;
        const x = src[pc]!;
        const s = (rl[d]! >>> 0) + (rl[x]! >>> 0);
        rh[d] = rh[d]! + rh[x]! + (s > 0xffffffff ? 1 : 0);
        rl[d] = s;
        pc++;
        break;
      }
      case Op.SUB64_IMM: {
        // r -= imm
        const d = dst[pc]!;
        const k = imm[pc]!;
        const s = (rl[d]! >>> 0) - (k >>> 0);
        rl[d] = s;
        rh[d] = rh[d]! - (k >> 31) - (s < 0 ? 1 : 0);
        pc++;
        break;
      }
      case Op.SUB64_REG: {
        // r -= r
        const d = dst[pc]!;
        const x = src[pc]!;
        const s = (rl[d]! >>> 0) - (rl[x]! >>> 0);
        rh[d] = rh[d]! - rh[x]! - (s < 0 ? 1 : 0);
        rl[d] = s;
        pc++;
        break;
      }
      case Op.MUL64_IMM: {
        const k = imm[pc]!;
        mul64(rl, rh, dst[pc]!, k, k >> 31);
        pc++;
        break;
      }
      case Op.MUL64_REG: {
        const x = src[pc]!;
        mul64(rl, rh, dst[pc]!, rl[x]!, rh[x]!);
        pc++;
        break;
      }
      case Op.DIV64_IMM: // div / sdiv imm (imm sign-extended to 64 bits)
      case Op.MOD64_IMM: {
        // mod / smod imm
        const k = imm[pc]!;
        if (off[pc] === 1) sdivmod64(rl, rh, dst[pc]!, k, k >> 31, c === 0x97);
        else udivmod64(rl, rh, dst[pc]!, k, k >> 31, c === 0x97);
        pc++;
        break;
      }
      case Op.DIV64_REG:
      case Op.MOD64_REG: {
        const x = src[pc]!;
        if (off[pc] === 1) sdivmod64(rl, rh, dst[pc]!, rl[x]!, rh[x]!, c === 0x9f);
        else udivmod64(rl, rh, dst[pc]!, rl[x]!, rh[x]!, c === 0x9f);
        pc++;
        break;
      }
      case Op.OR64_IMM: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        rl[d] = rl[d]! | k;
        rh[d] = rh[d]! | (k >> 31);
        pc++;
        break;
      }
      case Op.OR64_REG: {
        const d = dst[pc]!;
        const x = src[pc]!;
        rl[d] = rl[d]! | rl[x]!;
        rh[d] = rh[d]! | rh[x]!;
        pc++;
        break;
      }
      case Op.AND64_IMM: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        rl[d] = rl[d]! & k;
        rh[d] = rh[d]! & (k >> 31);
        pc++;
        break;
      }
      case Op.AND64_REG: {
        const d = dst[pc]!;
        const x = src[pc]!;
        rl[d] = rl[d]! & rl[x]!;
        rh[d] = rh[d]! & rh[x]!;
        pc++;
        break;
      }
      case Op.LSH64_IMM:
        lsh64(rl, rh, dst[pc]!, imm[pc]! & 63);
        pc++;
        break;
      case Op.LSH64_REG:
        lsh64(rl, rh, dst[pc]!, rl[src[pc]!]! & 63);
        pc++;
        break;
      case Op.RSH64_IMM:
        rsh64(rl, rh, dst[pc]!, imm[pc]! & 63);
        pc++;
        break;
      case Op.RSH64_REG:
        rsh64(rl, rh, dst[pc]!, rl[src[pc]!]! & 63);
        pc++;
        break;
      case Op.NEG64: {
        // r = -r (two's complement)
        const d = dst[pc]!;
        const l = rl[d]!;
        rh[d] = ~rh[d]! + (l === 0 ? 1 : 0);
        rl[d] = -l;
        pc++;
        break;
      }
      case Op.XOR64_IMM: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        rl[d] = rl[d]! ^ k;
        rh[d] = rh[d]! ^ (k >> 31);
        pc++;
        break;
      }
      case Op.XOR64_REG: {
        const d = dst[pc]!;
        const x = src[pc]!;
        rl[d] = rl[d]! ^ rl[x]!;
        rh[d] = rh[d]! ^ rh[x]!;
        pc++;
        break;
      }
      case Op.MOV64_IMM: {
        // r = imm (sign-extended)
        const d = dst[pc]!;
        const k = imm[pc]!;
        rl[d] = k;
        rh[d] = k >> 31;
        pc++;
        break;
      }
      case Op.MOV64_REG: {
        // r = r, or movsx (off 8/16/32)
        const d = dst[pc]!;
        const x = src[pc]!;
        const o = off[pc]!;
        if (o === 0) {
          rl[d] = rl[x]!;
          rh[d] = rh[x]!;
        } else {
          const v = o === 8 ? (rl[x]! << 24) >> 24 : o === 16 ? (rl[x]! << 16) >> 16 : rl[x]!;
          rl[d] = v;
          rh[d] = v >> 31;
        }
        pc++;
        break;
      }
      case Op.ARSH64_IMM:
        arsh64(rl, rh, dst[pc]!, imm[pc]! & 63);
        pc++;
        break;
      case Op.ARSH64_REG:
        arsh64(rl, rh, dst[pc]!, rl[src[pc]!]! & 63);
        pc++;
        break;
      case Op.BSWAP: // bswap16/32/64 (ALU64 | END | TO_LE), VM-ISA-4
      case Op.BE: // be16/32/64: a byte swap on this little-endian model
        byteSwap(rl, rh, dst[pc]!, imm[pc]!);
        pc++;
        break;

      // ---- ALU (32-bit): results zero-extended (VM-ISA-3) ----
      case Op.ADD32_IMM:
        rl[dst[pc]!] = rl[dst[pc]!]! + imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.ADD32_REG:
        rl[dst[pc]!] = rl[dst[pc]!]! + rl[src[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.SUB32_IMM:
        rl[dst[pc]!] = rl[dst[pc]!]! - imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.SUB32_REG:
        rl[dst[pc]!] = rl[dst[pc]!]! - rl[src[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.MUL32_IMM:
        rl[dst[pc]!] = Math.imul(rl[dst[pc]!]!, imm[pc]!);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.MUL32_REG:
        rl[dst[pc]!] = Math.imul(rl[dst[pc]!]!, rl[src[pc]!]!);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.DIV32_IMM: // div32 / sdiv32 imm
      case Op.DIV32_REG: // div32 / sdiv32 reg
      case Op.MOD32_IMM: // mod32 / smod32 imm
      case Op.MOD32_REG: {
        // mod32 / smod32 reg
        const d = dst[pc]!;
        const b = c & 0x08 ? rl[src[pc]!]! : imm[pc]!;
        const a = rl[d]!;
        const isMod = c >= 0x94;
        if (b === 0) {
          if (!isMod) rl[d] = 0; // division by zero gives 0; modulo leaves the low half
        } else if (off[pc] === 1) {
          rl[d] = isMod ? a % b : a / b;
        } else {
          rl[d] = isMod ? (a >>> 0) % (b >>> 0) : Math.floor((a >>> 0) / (b >>> 0));
        }
        rh[d] = 0;
        pc++;
        break;
      }
      case Op.OR32_IMM:
        rl[dst[pc]!] = rl[dst[pc]!]! | imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.OR32_REG:
        rl[dst[pc]!] = rl[dst[pc]!]! | rl[src[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.AND32_IMM:
        rl[dst[pc]!] = rl[dst[pc]!]! & imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.AND32_REG:
        rl[dst[pc]!] = rl[dst[pc]!]! & rl[src[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.LSH32_IMM:
        rl[dst[pc]!] = rl[dst[pc]!]! << (imm[pc]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.LSH32_REG:
        rl[dst[pc]!] = rl[dst[pc]!]! << (rl[src[pc]!]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.RSH32_IMM:
        rl[dst[pc]!] = rl[dst[pc]!]! >>> (imm[pc]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.RSH32_REG:
        rl[dst[pc]!] = rl[dst[pc]!]! >>> (rl[src[pc]!]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.NEG32:
        rl[dst[pc]!] = -rl[dst[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.XOR32_IMM:
        rl[dst[pc]!] = rl[dst[pc]!]! ^ imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.XOR32_REG:
        rl[dst[pc]!] = rl[dst[pc]!]! ^ rl[src[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.MOV32_IMM:
        rl[dst[pc]!] = imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.MOV32_REG: {
        // w = w, or movsx 8/16 into 32 bits
        const o = off[pc]!;
        const v = rl[src[pc]!]!;
        rl[dst[pc]!] = o === 8 ? (v << 24) >> 24 : o === 16 ? (v << 16) >> 16 : v;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      }
      case Op.ARSH32_IMM:
        rl[dst[pc]!] = rl[dst[pc]!]! >> (imm[pc]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.ARSH32_REG:
        rl[dst[pc]!] = rl[dst[pc]!]! >> (rl[src[pc]!]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case Op.LE: {
        // le16/32/64: to little endian, a truncation on this little-endian model (VM-ISA-4)
        const d = dst[pc]!;
        const w = imm[pc]!;
        if (w === 16) {
          rl[d] = rl[d]! & 0xffff;
          rh[d] = 0;
        } else if (w === 32) {
          rh[d] = 0;
        }
        pc++;
        break;
      }

      // ---- JMP: 64-bit comparisons (VM-ISA-5) ----
      case Op.JA: // ja
      case Op.JA32: // gotol (ja32): target precomputed from imm
        pc = tgt[pc]!;
        break;
      case Op.JEQ_IMM: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        pc = rl[d] === k && rh[d] === k >> 31 ? tgt[pc]! : pc + 1;
        break;
      }
      case Op.JEQ_REG: {
        const d = dst[pc]!;
        const x = src[pc]!;
        pc = rl[d] === rl[x] && rh[d] === rh[x] ? tgt[pc]! : pc + 1;
        break;
      }
      case Op.JNE_IMM: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        pc = rl[d] !== k || rh[d] !== k >> 31 ? tgt[pc]! : pc + 1;
        break;
      }
      case Op.JNE_REG: {
        const d = dst[pc]!;
        const x = src[pc]!;
        pc = rl[d] !== rl[x] || rh[d] !== rh[x] ? tgt[pc]! : pc + 1;
        break;
      }
      case Op.JSET_IMM: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        pc = (rl[d]! & k) !== 0 || (rh[d]! & (k >> 31)) !== 0 ? tgt[pc]! : pc + 1;
        break;
      }
      case Op.JSET_REG: {
        const d = dst[pc]!;
        const x = src[pc]!;
        pc = (rl[d]! & rl[x]!) !== 0 || (rh[d]! & rh[x]!) !== 0 ? tgt[pc]! : pc + 1;
        break;
      }
      case Op.JGT_IMM: // jgt
      case Op.JGT_REG:
      case Op.JGE_IMM: // jge
      case Op.JGE_REG:
      case Op.JLT_IMM: // jlt
      case Op.JLT_REG:
      case Op.JLE_IMM: // jle
      case Op.JLE_REG: {
        // unsigned: compare high words, then low words
        const d = dst[pc]!;
        let bl: number;
        let bh: number;
        if (c & 0x08) {
          bl = rl[src[pc]!]!;
          bh = rh[src[pc]!]!;
        } else {
          bl = imm[pc]!;
          bh = bl >> 31;
        }
        const ah = rh[d]! >>> 0;
        const bhu = bh >>> 0;
        const cmp = ah !== bhu ? (ah > bhu ? 1 : -1) : (rl[d]! >>> 0) > (bl >>> 0) ? 1 : rl[d] === bl ? 0 : -1;
        const op = c & 0xf0;
        const taken = op === 0x20 ? cmp > 0 : op === 0x30 ? cmp >= 0 : op === 0xa0 ? cmp < 0 : cmp <= 0;
        pc = taken ? tgt[pc]! : pc + 1;
        break;
      }
      case Op.JSGT_IMM: // jsgt
      case Op.JSGT_REG:
      case Op.JSGE_IMM: // jsge
      case Op.JSGE_REG:
      case Op.JSLT_IMM: // jslt
      case Op.JSLT_REG:
      case Op.JSLE_IMM: // jsle
      case Op.JSLE_REG: {
        // signed: compare high words as s32, then low words unsigned
        const d = dst[pc]!;
        let bl: number;
        let bh: number;
        if (c & 0x08) {
          bl = rl[src[pc]!]!;
          bh = rh[src[pc]!]!;
        } else {
          bl = imm[pc]!;
          bh = bl >> 31;
        }
        const ah = rh[d]!;
        const cmp = ah !== bh ? (ah > bh ? 1 : -1) : (rl[d]! >>> 0) > (bl >>> 0) ? 1 : rl[d] === bl ? 0 : -1;
        const op = c & 0xf0;
        const taken = op === 0x60 ? cmp > 0 : op === 0x70 ? cmp >= 0 : op === 0xc0 ? cmp < 0 : cmp <= 0;
        pc = taken ? tgt[pc]! : pc + 1;
        break;
      }

      // ---- JMP32: compare the low 32 bits (VM-ISA-5) ----
      case Op.JEQ32_IMM:
      case Op.JEQ32_REG:
      case Op.JNE32_IMM:
      case Op.JNE32_REG:
      case Op.JSET32_IMM:
      case Op.JSET32_REG:
      case Op.JGT32_IMM:
      case Op.JGT32_REG:
      case Op.JGE32_IMM:
      case Op.JGE32_REG:
      case Op.JLT32_IMM:
      case Op.JLT32_REG:
      case Op.JLE32_IMM:
      case Op.JLE32_REG:
      case Op.JSGT32_IMM:
      case Op.JSGT32_REG:
      case Op.JSGE32_IMM:
      case Op.JSGE32_REG:
      case Op.JSLT32_IMM:
      case Op.JSLT32_REG:
      case Op.JSLE32_IMM:
      case Op.JSLE32_REG: {
        const a = rl[dst[pc]!]!;
        const b = c & 0x08 ? rl[src[pc]!]! : imm[pc]!;
        let taken: boolean;
        switch (c & 0xf0) {
          case BPF_JEQ:
            taken = a === b;
            break;
          case BPF_JNE:
            taken = a !== b;
            break;
          case BPF_JSET:
            taken = (a & b) !== 0;
            break;
          case BPF_JGT:
            taken = a >>> 0 > b >>> 0;
            break;
          case BPF_JGE:
            taken = a >>> 0 >= b >>> 0;
            break;
          case BPF_JLT:
            taken = a >>> 0 < b >>> 0;
            break;
          case BPF_JLE:
            taken = a >>> 0 <= b >>> 0;
            break;
          case BPF_JSGT:
            taken = a > b;
            break;
          case BPF_JSGE:
            taken = a >= b;
            break;
          case BPF_JSLT:
            taken = a < b;
            break;
          default:
            taken = a <= b;
            break;
        }
        pc = taken ? tgt[pc]! : pc + 1;
        break;
      }

      // ---- ld_imm64: value resolved at decode time (VM-ISA-8) ----
      case Op.LDDW: {
        const d = dst[pc]!;
        rl[d] = imm[pc]!;
        rh[d] = imm2[pc]!;
        pc += 2;
        break;
      }

      // ---- Loads, stores, atomics: resolved against the address space (VM-ISA-6, VM-ISA-7) ----
      case Op.LDXW: // ldxw
      case Op.LDXH: // ldxh
      case Op.LDXB: // ldxb
      case Op.LDXDW: // ldxdw
      case Op.LDXSW: // ldxsw
      case Op.LDXSH: // ldxsh
      case Op.LDXSB: // ldxsb
      case Op.STW: // stw
      case Op.STH: // sth
      case Op.STB: // stb
      case Op.STDW: // stdw
      case Op.STXW: // stxw
      case Op.STXH: // stxh
      case Op.STXB: // stxb
      case Op.STXDW: // stxdw
      case Op.ATOMIC32: // atomic32
      case Op.ATOMIC64: {
        // atomic64
        const cls = c & 0x07;
        const base = cls === 0x01 ? src[pc]! : dst[pc]!;
        const size = ACCESS_SIZE[c]!;
        const t = (rl[base]! >>> 0) + off[pc]!;
        let ahi = rh[base]! >>> 0;
        if (t < 0) ahi = (ahi - 1) >>> 0;
        else if (t > 0xffffffff) ahi = (ahi + 1) >>> 0;
        const alo = t >>> 0;
        let o = alo - cLo;
        if (ahi !== cHi || o < 0 || o + size > cLen || (cls !== 0x01 && !cW)) {
          const r = lookup(space, ahi, alo, size, cls === 0x01 ? 'read' : c >= 0xc3 ? 'atomic' : 'write');
          if (!(r instanceof Region)) {
            err = faultError(pc, r);
            break run;
          }
          cHi = r.hi;
          cLo = r.lo;
          cLen = r.bytes.length;
          cView = r.view;
          cW = r.writable;
          o = alo - cLo;
        }
        if (cls === 0x01) {
          const d = dst[pc]!;
          switch (c) {
            case Op.LDXW:
              rl[d] = cView.getInt32(o, true);
              rh[d] = 0;
              break;
            case Op.LDXH:
              rl[d] = cView.getUint16(o, true);
              rh[d] = 0;
              break;
            case Op.LDXB:
              rl[d] = cView.getUint8(o);
              rh[d] = 0;
              break;
            case Op.LDXDW:
              rl[d] = cView.getInt32(o, true);
              rh[d] = cView.getInt32(o + 4, true);
              break;
            case Op.LDXSW: {
              const v = cView.getInt32(o, true);
              rl[d] = v;
              rh[d] = v >> 31;
              break;
            }
            case Op.LDXSH: {
              const v = cView.getInt16(o, true);
              rl[d] = v;
              rh[d] = v >> 31;
              break;
            }
            default: {
              const v = cView.getInt8(o);
              rl[d] = v;
              rh[d] = v >> 31;
              break;
            }
          }
        } else if (cls === 0x02) {
          const k = imm[pc]!;
          if (size === 4) cView.setInt32(o, k, true);
          else if (size === 2) cView.setInt16(o, k, true);
          else if (size === 1) cView.setInt8(o, k);
          else {
            cView.setInt32(o, k, true);
            cView.setInt32(o + 4, k >> 31, true);
          }
        } else if (c < 0xc3) {
          const x = src[pc]!;
          if (size === 4) cView.setInt32(o, rl[x]!, true);
          else if (size === 2) cView.setInt16(o, rl[x]!, true);
          else if (size === 1) cView.setInt8(o, rl[x]!);
          else {
            cView.setInt32(o, rl[x]!, true);
            cView.setInt32(o + 4, rh[x]!, true);
          }
        } else {
          atomic(cView, o, c === 0xdb, imm[pc]!, src[pc]!, rl, rh);
        }
        pc++;
        break;
      }

      // ---- Calls and exit (VM-ISA-5, VM-ISA-9, VM-EXEC-2/3) ----
      case Op.CALL:
      case Op.CALLX: {
        const s = src[pc]!;
        if (c === 0x85 && s === 1) {
          // BPF-to-BPF call: new frame, r6..r10 saved, r1..r5 passed as they are
          if (depth + 1 >= maxFrames) {
            err = vmError('call_depth', pc, `call depth limit: more than ${maxFrames} call frames (MAX_CALL_FRAMES)`);
            break run;
          }
          const b = depth * 10;
          saved ??= new Int32Array(maxFrames * 10);
          for (let i = 0; i < 5; i++) {
            saved[b + i] = rl[6 + i]!;
            saved[b + 5 + i] = rh[6 + i]!;
          }
          retPc[depth] = pc + 1;
          depth++;
          setFp(mapFrame(depth));
          pc = tgt[pc]!;
          break;
        }
        let entry: HelperEntry<Env> | KfuncBinding<Env> | undefined;
        let via: 'helper' | 'kfunc' | 'callx';
        if (c === 0x85 && s === 2) {
          via = 'kfunc';
          entry = prog.kfuncs.get(pc);
          if (!entry) {
            err = vmError('unsupported_call', pc, `kfunc call (BTF id ${imm[pc]}) was not bound when the program was decoded`, { id: imm[pc]! });
            break run;
          }
        } else {
          // helper by id (imm), or callx: helper id in the register named by dst
          const d = dst[pc]!;
          const id = c === 0x85 ? imm[pc]! : rh[d] === 0 ? rl[d]! : -1;
          via = c === 0x85 ? 'helper' : 'callx';
          entry = helpers.get(id);
          if (!entry) {
            const what = c === 0x85 ? `helper ${id}` : `helper ${toBig(rh[d]!, rl[d]!)} (callx r${d})`;
            err = vmError('unknown_helper', pc, `${what} is not in the ${helpers.namespace} helper table`, { id });
            break run;
          }
        }
        mem ??= helperMemory(space);
        const r0 = invoke(entry, via, rl, rh, mem, env, pc, observer);
        if (typeof r0 !== 'bigint') {
          err = r0;
          break run;
        }
        rl[0] = Number(r0 & 0xffff_ffffn) | 0;
        rh[0] = Number(r0 >> 32n) | 0;
        cHi = -1; // a helper may have mapped or unmapped regions
        if (r0 === 0n && entry.proto.unwindOnZero) break run; // uBPF unwind: stop with r0 = 0
        pc++;
        break;
      }
      case Op.EXIT:
        if (depth === 0) break run;
        depth--;
        for (let i = 0; i < 5; i++) {
          rl[6 + i] = saved![depth * 10 + i]!;
          rh[6 + i] = saved![depth * 10 + 5 + i]!;
        }
        pc = retPc[depth]!;
        break;

      default:
        err =
          pc >= prog.len
            ? vmError('bad_insn', pc, 'execution ran past the last instruction')
            : vmError('bad_insn', pc, `opcode 0x${c.toString(16).padStart(2, '0')} cannot be executed`);
        break run;
    }
  }
  // Instructions that started executing (the faulting or exiting one included).
  const insns = budget < 0 ? initialBudget : initialBudget - budget;
  if (err) return { ok: false, error: err, insns };
  return { ok: true, r0: toBig(rh[0]!, rl[0]!), insns };
}

/**
 * The byte swaps (VM-ISA-4): `width` 16, 32 or 64 bits of register `d`, reversed; the result is
 * zero-extended. BSWAP (ALU64 | END) and BE (ALU | END | TO_BE) on this little-endian model.
 */
function byteSwap(rl: Int32Array, rh: Int32Array, d: number, width: number): void {
  if (width === 16) {
    rl[d] = bswap16(rl[d]!);
    rh[d] = 0;
  } else if (width === 32) {
    rl[d] = bswap32(rl[d]!);
    rh[d] = 0;
  } else {
    const l = rl[d]!;
    rl[d] = bswap32(rh[d]!);
    rh[d] = bswap32(l);
  }
}

/** One atomic read-modify-write (VM-ISA-7). W operations act on 32 bits and zero-extend what they fetch. */
function atomic(view: DataView, o: number, wide: boolean, op: number, s: number, rl: Int32Array, rh: Int32Array): void {
  if (!wide) {
    const old = view.getInt32(o, true);
    const v = rl[s]!;
    switch (op) {
      case BPF_ADD:
      case BPF_ADD | BPF_FETCH:
        view.setInt32(o, old + v, true);
        break;
      case BPF_OR:
      case BPF_OR | BPF_FETCH:
        view.setInt32(o, old | v, true);
        break;
      case BPF_AND:
      case BPF_AND | BPF_FETCH:
        view.setInt32(o, old & v, true);
        break;
      case BPF_XOR:
      case BPF_XOR | BPF_FETCH:
        view.setInt32(o, old ^ v, true);
        break;
      case BPF_XCHG:
        view.setInt32(o, v, true);
        break;
      default: // cmpxchg: compare with w0, old value zero-extended into r0
        if (old === rl[0]) view.setInt32(o, v, true);
        rl[0] = old;
        rh[0] = 0;
        return;
    }
    if (op & BPF_FETCH) {
      rl[s] = old;
      rh[s] = 0;
    }
    return;
  }
  const ol = view.getInt32(o, true);
  const oh = view.getInt32(o + 4, true);
  const vl = rl[s]!;
  const vh = rh[s]!;
  let nl: number;
  let nh: number;
  switch (op) {
    case BPF_ADD:
    case BPF_ADD | BPF_FETCH: {
      const sum = (ol >>> 0) + (vl >>> 0);
      nl = sum | 0;
      nh = (oh + vh + (sum > 0xffffffff ? 1 : 0)) | 0;
      break;
    }
    case BPF_OR:
    case BPF_OR | BPF_FETCH:
      nl = ol | vl;
      nh = oh | vh;
      break;
    case BPF_AND:
    case BPF_AND | BPF_FETCH:
      nl = ol & vl;
      nh = oh & vh;
      break;
    case BPF_XOR:
    case BPF_XOR | BPF_FETCH:
      nl = ol ^ vl;
      nh = oh ^ vh;
      break;
    case BPF_XCHG:
      nl = vl;
      nh = vh;
      break;
    default: // cmpxchg: compare with r0
      if (ol === rl[0] && oh === rh[0]) {
        view.setInt32(o, vl, true);
        view.setInt32(o + 4, vh, true);
      }
      rl[0] = ol;
      rh[0] = oh;
      return;
  }
  view.setInt32(o, nl, true);
  view.setInt32(o + 4, nh, true);
  if (op & BPF_FETCH) {
    rl[s] = ol;
    rh[s] = oh;
  }
}
