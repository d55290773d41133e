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
import { faultError, vmError, type AccessType, type FaultRegion, type VmError, type VmFault } from './errors.js';
import {
  helperMemory,
  type HelperEntry,
  type HelperMemory,
  type HelperObserver,
  type HelperProto,
  type HelperTable,
} from './helpers.js';
import { MAX_BPF_STACK, MAX_CALL_FRAMES } from './opcodes.js';
import { PAGE_SIZE, joinAddr, type AddressSpace, Region } from '../syscall/memory.js';

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
}

export type RunResult =
  | { readonly ok: true; readonly r0: bigint; readonly insns: number }
  | { readonly ok: false; readonly error: VmError; readonly insns: number };

/** Access width in bytes by opcode, for the load / store / atomic opcodes. */
const ACCESS_SIZE = new Uint8Array(256);
for (const [codes, size] of [
  [[0x61, 0x63, 0x62, 0x81, 0xc3], 4],
  [[0x69, 0x6b, 0x6a, 0x89], 2],
  [[0x71, 0x73, 0x72, 0x91], 1],
  [[0x79, 0x7b, 0x7a, 0xdb], 8],
] as const) {
  for (const c of codes) ACCESS_SIZE[c] = size;
}

/** Resolve an access that missed the interpreter's one-entry region cache. */
function lookup(space: AddressSpace, hi: number, lo: number, size: number, access: AccessType): Region | VmFault {
  const r = space.find(hi, lo);
  const addr = joinAddr(hi, lo);
  if (r === undefined) {
    const near = nearest(space, addr);
    return { addr, size, access, reason: 'unmapped', region: 'unmapped', ...(near ? { near } : {}) };
  }
  const region = describeRegion(r);
  if (r.kind === 'user') return { addr, size, access, reason: 'user', region };
  if (lo - r.lo + size > r.bytes.length) return { addr, size, access, reason: 'bounds', region };
  if (access !== 'read' && !r.writable) return { addr, size, access, reason: 'read_only', region };
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

const toBig = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

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
      f = stackSpace.map({ name: `stack frame ${depth}`, kind: 'stack', bytes: new Uint8Array(stackSize) });
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
  const saved = new Int32Array(maxFrames * 10);
  let depth = 0;

  // One-entry cache of the last region touched: [cLo, cLo + cLen) in the 4 GiB window cHi.
  let cHi = -1;
  let cLo = 0;
  let cLen = 0;
  let cView: DataView = new DataView(new ArrayBuffer(0));
  let cW = false;

  let budget = initialBudget;
  let pc = 0;
  let err: VmError | undefined;

  run: for (;;) {
    if (--budget < 0) {
      err = vmError('budget', pc, `instruction budget of ${initialBudget} exhausted`);
      break;
    }
    const c = code[pc]!;
    switch (c) {
      // ---- ALU64, immediate and register (VM-ISA-3) ----
      case 0x07: {
        // r += imm
        const d = dst[pc]!;
        const k = imm[pc]!;
        const s = (rl[d]! >>> 0) + (k >>> 0);
        rl[d] = s;
        rh[d] = rh[d]! + (k >> 31) + (s > 0xffffffff ? 1 : 0);
        pc++;
        break;
      }
      case 0x0f: {
        // r += r
        const d = dst[pc]!;
        const x = src[pc]!;
        const s = (rl[d]! >>> 0) + (rl[x]! >>> 0);
        rh[d] = rh[d]! + rh[x]! + (s > 0xffffffff ? 1 : 0);
        rl[d] = s;
        pc++;
        break;
      }
      case 0x17: {
        // r -= imm
        const d = dst[pc]!;
        const k = imm[pc]!;
        const s = (rl[d]! >>> 0) - (k >>> 0);
        rl[d] = s;
        rh[d] = rh[d]! - (k >> 31) - (s < 0 ? 1 : 0);
        pc++;
        break;
      }
      case 0x1f: {
        // r -= r
        const d = dst[pc]!;
        const x = src[pc]!;
        const s = (rl[d]! >>> 0) - (rl[x]! >>> 0);
        rh[d] = rh[d]! - rh[x]! - (s < 0 ? 1 : 0);
        rl[d] = s;
        pc++;
        break;
      }
      case 0x27: {
        const k = imm[pc]!;
        mul64(rl, rh, dst[pc]!, k, k >> 31);
        pc++;
        break;
      }
      case 0x2f: {
        const x = src[pc]!;
        mul64(rl, rh, dst[pc]!, rl[x]!, rh[x]!);
        pc++;
        break;
      }
      case 0x37: // div / sdiv imm (imm sign-extended to 64 bits)
      case 0x97: {
        // mod / smod imm
        const k = imm[pc]!;
        if (off[pc] === 1) sdivmod64(rl, rh, dst[pc]!, k, k >> 31, c === 0x97);
        else udivmod64(rl, rh, dst[pc]!, k, k >> 31, c === 0x97);
        pc++;
        break;
      }
      case 0x3f:
      case 0x9f: {
        const x = src[pc]!;
        if (off[pc] === 1) sdivmod64(rl, rh, dst[pc]!, rl[x]!, rh[x]!, c === 0x9f);
        else udivmod64(rl, rh, dst[pc]!, rl[x]!, rh[x]!, c === 0x9f);
        pc++;
        break;
      }
      case 0x47: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        rl[d] = rl[d]! | k;
        rh[d] = rh[d]! | (k >> 31);
        pc++;
        break;
      }
      case 0x4f: {
        const d = dst[pc]!;
        const x = src[pc]!;
        rl[d] = rl[d]! | rl[x]!;
        rh[d] = rh[d]! | rh[x]!;
        pc++;
        break;
      }
      case 0x57: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        rl[d] = rl[d]! & k;
        rh[d] = rh[d]! & (k >> 31);
        pc++;
        break;
      }
      case 0x5f: {
        const d = dst[pc]!;
        const x = src[pc]!;
        rl[d] = rl[d]! & rl[x]!;
        rh[d] = rh[d]! & rh[x]!;
        pc++;
        break;
      }
      case 0x67:
        lsh64(rl, rh, dst[pc]!, imm[pc]! & 63);
        pc++;
        break;
      case 0x6f:
        lsh64(rl, rh, dst[pc]!, rl[src[pc]!]! & 63);
        pc++;
        break;
      case 0x77:
        rsh64(rl, rh, dst[pc]!, imm[pc]! & 63);
        pc++;
        break;
      case 0x7f:
        rsh64(rl, rh, dst[pc]!, rl[src[pc]!]! & 63);
        pc++;
        break;
      case 0x87: {
        // r = -r (two's complement)
        const d = dst[pc]!;
        const l = rl[d]!;
        rh[d] = ~rh[d]! + (l === 0 ? 1 : 0);
        rl[d] = -l;
        pc++;
        break;
      }
      case 0xa7: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        rl[d] = rl[d]! ^ k;
        rh[d] = rh[d]! ^ (k >> 31);
        pc++;
        break;
      }
      case 0xaf: {
        const d = dst[pc]!;
        const x = src[pc]!;
        rl[d] = rl[d]! ^ rl[x]!;
        rh[d] = rh[d]! ^ rh[x]!;
        pc++;
        break;
      }
      case 0xb7: {
        // r = imm (sign-extended)
        const d = dst[pc]!;
        const k = imm[pc]!;
        rl[d] = k;
        rh[d] = k >> 31;
        pc++;
        break;
      }
      case 0xbf: {
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
      case 0xc7:
        arsh64(rl, rh, dst[pc]!, imm[pc]! & 63);
        pc++;
        break;
      case 0xcf:
        arsh64(rl, rh, dst[pc]!, rl[src[pc]!]! & 63);
        pc++;
        break;
      case 0xd7: {
        // bswap16/32/64 (ALU64 | END | TO_LE), VM-ISA-4
        const d = dst[pc]!;
        const w = imm[pc]!;
        if (w === 16) {
          rl[d] = bswap16(rl[d]!);
          rh[d] = 0;
        } else if (w === 32) {
          rl[d] = bswap32(rl[d]!);
          rh[d] = 0;
        } else {
          const l = rl[d]!;
          rl[d] = bswap32(rh[d]!);
          rh[d] = bswap32(l);
        }
        pc++;
        break;
      }

      // ---- ALU (32-bit): results zero-extended (VM-ISA-3) ----
      case 0x04:
        rl[dst[pc]!] = rl[dst[pc]!]! + imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x0c:
        rl[dst[pc]!] = rl[dst[pc]!]! + rl[src[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x14:
        rl[dst[pc]!] = rl[dst[pc]!]! - imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x1c:
        rl[dst[pc]!] = rl[dst[pc]!]! - rl[src[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x24:
        rl[dst[pc]!] = Math.imul(rl[dst[pc]!]!, imm[pc]!);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x2c:
        rl[dst[pc]!] = Math.imul(rl[dst[pc]!]!, rl[src[pc]!]!);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x34: // div32 / sdiv32 imm
      case 0x3c: // div32 / sdiv32 reg
      case 0x94: // mod32 / smod32 imm
      case 0x9c: {
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
      case 0x44:
        rl[dst[pc]!] = rl[dst[pc]!]! | imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x4c:
        rl[dst[pc]!] = rl[dst[pc]!]! | rl[src[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x54:
        rl[dst[pc]!] = rl[dst[pc]!]! & imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x5c:
        rl[dst[pc]!] = rl[dst[pc]!]! & rl[src[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x64:
        rl[dst[pc]!] = rl[dst[pc]!]! << (imm[pc]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x6c:
        rl[dst[pc]!] = rl[dst[pc]!]! << (rl[src[pc]!]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x74:
        rl[dst[pc]!] = rl[dst[pc]!]! >>> (imm[pc]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x7c:
        rl[dst[pc]!] = rl[dst[pc]!]! >>> (rl[src[pc]!]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0x84:
        rl[dst[pc]!] = -rl[dst[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0xa4:
        rl[dst[pc]!] = rl[dst[pc]!]! ^ imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0xac:
        rl[dst[pc]!] = rl[dst[pc]!]! ^ rl[src[pc]!]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0xb4:
        rl[dst[pc]!] = imm[pc]!;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0xbc: {
        // w = w, or movsx 8/16 into 32 bits
        const o = off[pc]!;
        const v = rl[src[pc]!]!;
        rl[dst[pc]!] = o === 8 ? (v << 24) >> 24 : o === 16 ? (v << 16) >> 16 : v;
        rh[dst[pc]!] = 0;
        pc++;
        break;
      }
      case 0xc4:
        rl[dst[pc]!] = rl[dst[pc]!]! >> (imm[pc]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0xcc:
        rl[dst[pc]!] = rl[dst[pc]!]! >> (rl[src[pc]!]! & 31);
        rh[dst[pc]!] = 0;
        pc++;
        break;
      case 0xd4: {
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
      case 0xdc: {
        // be16/32/64: byte swap
        const d = dst[pc]!;
        const w = imm[pc]!;
        if (w === 16) {
          rl[d] = bswap16(rl[d]!);
          rh[d] = 0;
        } else if (w === 32) {
          rl[d] = bswap32(rl[d]!);
          rh[d] = 0;
        } else {
          const l = rl[d]!;
          rl[d] = bswap32(rh[d]!);
          rh[d] = bswap32(l);
        }
        pc++;
        break;
      }

      // ---- JMP: 64-bit comparisons (VM-ISA-5) ----
      case 0x05: // ja
      case 0x06: // gotol (ja32): target precomputed from imm
        pc = tgt[pc]!;
        break;
      case 0x15: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        pc = rl[d] === k && rh[d] === k >> 31 ? tgt[pc]! : pc + 1;
        break;
      }
      case 0x1d: {
        const d = dst[pc]!;
        const x = src[pc]!;
        pc = rl[d] === rl[x] && rh[d] === rh[x] ? tgt[pc]! : pc + 1;
        break;
      }
      case 0x55: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        pc = rl[d] !== k || rh[d] !== k >> 31 ? tgt[pc]! : pc + 1;
        break;
      }
      case 0x5d: {
        const d = dst[pc]!;
        const x = src[pc]!;
        pc = rl[d] !== rl[x] || rh[d] !== rh[x] ? tgt[pc]! : pc + 1;
        break;
      }
      case 0x45: {
        const d = dst[pc]!;
        const k = imm[pc]!;
        pc = (rl[d]! & k) !== 0 || (rh[d]! & (k >> 31)) !== 0 ? tgt[pc]! : pc + 1;
        break;
      }
      case 0x4d: {
        const d = dst[pc]!;
        const x = src[pc]!;
        pc = (rl[d]! & rl[x]!) !== 0 || (rh[d]! & rh[x]!) !== 0 ? tgt[pc]! : pc + 1;
        break;
      }
      case 0x25: // jgt
      case 0x2d:
      case 0x35: // jge
      case 0x3d:
      case 0xa5: // jlt
      case 0xad:
      case 0xb5: // jle
      case 0xbd: {
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
      case 0x65: // jsgt
      case 0x6d:
      case 0x75: // jsge
      case 0x7d:
      case 0xc5: // jslt
      case 0xcd:
      case 0xd5: // jsle
      case 0xdd: {
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
      case 0x16:
      case 0x1e:
      case 0x56:
      case 0x5e:
      case 0x46:
      case 0x4e:
      case 0x26:
      case 0x2e:
      case 0x36:
      case 0x3e:
      case 0xa6:
      case 0xae:
      case 0xb6:
      case 0xbe:
      case 0x66:
      case 0x6e:
      case 0x76:
      case 0x7e:
      case 0xc6:
      case 0xce:
      case 0xd6:
      case 0xde: {
        const a = rl[dst[pc]!]!;
        const b = c & 0x08 ? rl[src[pc]!]! : imm[pc]!;
        let taken: boolean;
        switch (c & 0xf0) {
          case 0x10:
            taken = a === b;
            break;
          case 0x50:
            taken = a !== b;
            break;
          case 0x40:
            taken = (a & b) !== 0;
            break;
          case 0x20:
            taken = a >>> 0 > b >>> 0;
            break;
          case 0x30:
            taken = a >>> 0 >= b >>> 0;
            break;
          case 0xa0:
            taken = a >>> 0 < b >>> 0;
            break;
          case 0xb0:
            taken = a >>> 0 <= b >>> 0;
            break;
          case 0x60:
            taken = a > b;
            break;
          case 0x70:
            taken = a >= b;
            break;
          case 0xc0:
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
      case 0x18: {
        const d = dst[pc]!;
        rl[d] = imm[pc]!;
        rh[d] = imm2[pc]!;
        pc += 2;
        break;
      }

      // ---- Loads, stores, atomics: resolved against the address space (VM-ISA-6, VM-ISA-7) ----
      case 0x61: // ldxw
      case 0x69: // ldxh
      case 0x71: // ldxb
      case 0x79: // ldxdw
      case 0x81: // ldxsw
      case 0x89: // ldxsh
      case 0x91: // ldxsb
      case 0x62: // stw
      case 0x6a: // sth
      case 0x72: // stb
      case 0x7a: // stdw
      case 0x63: // stxw
      case 0x6b: // stxh
      case 0x73: // stxb
      case 0x7b: // stxdw
      case 0xc3: // atomic32
      case 0xdb: {
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
            case 0x61:
              rl[d] = cView.getInt32(o, true);
              rh[d] = 0;
              break;
            case 0x69:
              rl[d] = cView.getUint16(o, true);
              rh[d] = 0;
              break;
            case 0x71:
              rl[d] = cView.getUint8(o);
              rh[d] = 0;
              break;
            case 0x79:
              rl[d] = cView.getInt32(o, true);
              rh[d] = cView.getInt32(o + 4, true);
              break;
            case 0x81: {
              const v = cView.getInt32(o, true);
              rl[d] = v;
              rh[d] = v >> 31;
              break;
            }
            case 0x89: {
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
      case 0x85:
      case 0x8d: {
        const s = src[pc]!;
        if (c === 0x85 && s === 1) {
          // BPF-to-BPF call: new frame, r6..r10 saved, r1..r5 passed as they are
          if (depth + 1 >= maxFrames) {
            err = vmError('call_depth', pc, `call depth limit: more than ${maxFrames} call frames (MAX_CALL_FRAMES)`);
            break run;
          }
          const b = depth * 10;
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
      case 0x95:
        if (depth === 0) break run;
        depth--;
        for (let i = 0; i < 5; i++) {
          rl[6 + i] = saved[depth * 10 + i]!;
          rh[6 + i] = saved[depth * 10 + 5 + i]!;
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

/** One atomic read-modify-write (VM-ISA-7). W operations act on 32 bits and zero-extend what they fetch. */
function atomic(view: DataView, o: number, wide: boolean, op: number, s: number, rl: Int32Array, rh: Int32Array): void {
  if (!wide) {
    const old = view.getInt32(o, true);
    const v = rl[s]!;
    switch (op) {
      case 0x00:
      case 0x01:
        view.setInt32(o, old + v, true);
        break;
      case 0x40:
      case 0x41:
        view.setInt32(o, old | v, true);
        break;
      case 0x50:
      case 0x51:
        view.setInt32(o, old & v, true);
        break;
      case 0xa0:
      case 0xa1:
        view.setInt32(o, old ^ v, true);
        break;
      case 0xe1:
        view.setInt32(o, v, true);
        break;
      default: // cmpxchg: compare with w0, old value zero-extended into r0
        if (old === rl[0]) view.setInt32(o, v, true);
        rl[0] = old;
        rh[0] = 0;
        return;
    }
    if (op & 0x01) {
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
    case 0x00:
    case 0x01: {
      const sum = (ol >>> 0) + (vl >>> 0);
      nl = sum | 0;
      nh = (oh + vh + (sum > 0xffffffff ? 1 : 0)) | 0;
      break;
    }
    case 0x40:
    case 0x41:
      nl = ol | vl;
      nh = oh | vh;
      break;
    case 0x50:
    case 0x51:
      nl = ol & vl;
      nh = oh & vh;
      break;
    case 0xa0:
    case 0xa1:
      nl = ol ^ vl;
      nh = oh ^ vh;
      break;
    case 0xe1:
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
  if (op & 0x01) {
    rl[s] = ol;
    rh[s] = oh;
  }
}
