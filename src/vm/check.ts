// Structural checks on raw instructions: the part of the kernel verifier that looks at one
// instruction at a time (opcode table, register numbers, reserved fields, ld_imm64 pairs) and at
// the control-flow edges (jump and call targets). The verifier's safety analysis is out of scope
// (VM-LDR-5); these checks are what keeps the interpreter from executing encodings that no kernel
// would load. Messages are the kernel verifier's where the kernel has one.
//
// spec: VM-ISA-1 ("unused fields shall be zero"), VM-ISA-2..8, VM-LDR-5, UAPI-CONST-4.

import type { BpfInsn } from './insn.js';
import { insnAt, memoOnInsns, type Insns } from './insn-array.js';
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LD_IMM64,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MOV,
  BPF_NEG,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_REG_FP,
  BPF_ST,
  BPF_STX,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  BPF_XCHG,
  MAX_BPF_REG,
  bpfClass,
  bpfMode,
  bpfOp,
  bpfSize,
  bpfSrc,
} from './opcodes.js';

export interface CheckOptions {
  /**
   * Accept `call %rN` (BPF_JMP | BPF_CALL | BPF_X, register in dst): a uBPF / bpf_conformance
   * extension ("callx" group, VM-GRP-2). The kernel rejects it, so the default is false.
   */
  readonly allowCallx?: boolean;
  /**
   * Also reject the one field RFC 9669 calls unused that the kernel verifier does not check: the
   * offset of `exit`. Off by default (kernel behaviour); the conformance runner turns it on.
   */
  readonly rfcUnusedFields?: boolean;
}

/** The opcodes of RFC 9669 (plus the legacy packet loads), as the kernel's opcode table knows them. */
function buildOpcodeTable(): Uint8Array {
  const t = new Uint8Array(256);
  for (const cls of [BPF_ALU, BPF_ALU64]) {
    for (let op = 0x00; op <= 0xc0; op += 0x10) {
      t[op | BPF_K | cls] = 1;
      if (op !== BPF_NEG) t[op | BPF_X | cls] = 1;
    }
  }
  t[BPF_ALU | BPF_END | BPF_TO_LE] = 1;
  t[BPF_ALU | BPF_END | 0x08] = 1; // TO_BE
  t[BPF_ALU64 | BPF_END | BPF_TO_LE] = 1; // bswap
  for (const cls of [BPF_JMP, BPF_JMP32]) {
    t[cls | BPF_JA] = 1;
    for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) {
      t[cls | op | BPF_K] = 1;
      t[cls | op | BPF_X] = 1;
    }
  }
  t[BPF_JMP | BPF_CALL] = 1;
  t[BPF_JMP | BPF_EXIT] = 1;
  t[BPF_LD_IMM64] = 1;
  for (const size of [0x00, 0x08, 0x10]) {
    t[BPF_LD | 0x20 | size] = 1; // ABS
    t[BPF_LD | 0x40 | size] = 1; // IND
    t[BPF_LDX | BPF_MEMSX | size] = 1;
  }
  for (const size of [0x00, 0x08, 0x10, 0x18]) {
    t[BPF_LDX | BPF_MEM | size] = 1;
    t[BPF_ST | BPF_MEM | size] = 1;
    t[BPF_STX | BPF_MEM | size] = 1;
  }
  t[BPF_STX | BPF_ATOMIC | BPF_W] = 1;
  t[BPF_STX | BPF_ATOMIC | BPF_DW] = 1;
  return t;
}

const OPCODES = buildOpcodeTable();

/** Is this opcode byte in the instruction set (RFC 9669 plus the legacy packet loads)? */
export function isKnownOpcode(code: number): boolean {
  return OPCODES[code & 0xff] === 1;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

const ATOMIC_OPS = new Set([0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, BPF_XCHG, BPF_CMPXCHG]);

/** Reserved-field rules of one ALU / ALU64 instruction. */
function checkAluFields(i: BpfInsn): string | undefined {
  const cls = bpfClass(i.code);
  const op = bpfOp(i.code);
  const x = bpfSrc(i.code) === BPF_X;
  switch (op) {
    case BPF_NEG:
      return x || i.src !== 0 || i.off !== 0 || i.imm !== 0 ? 'BPF_NEG uses reserved fields' : undefined;
    case BPF_END:
      return i.src !== 0 ||
        i.off !== 0 ||
        (i.imm !== 16 && i.imm !== 32 && i.imm !== 64) ||
        (cls === BPF_ALU64 && x)
        ? 'BPF_END uses reserved fields'
        : undefined;
    case BPF_MOV:
      if (x) {
        // MOVSX: off 8/16 (ALU) or 8/16/32 (ALU64) selects sign extension (VM-ISA-3).
        const offOk = i.off === 0 || i.off === 8 || i.off === 16 || (cls === BPF_ALU64 && i.off === 32);
        return !offOk || i.imm !== 0 ? 'BPF_MOV uses reserved fields' : undefined;
      }
      return i.src !== 0 || i.off !== 0 ? 'BPF_MOV uses reserved fields' : undefined;
    default: {
      // off 1 = signed division / modulo (SDIV, SMOD), VM-ISA-3.
      const offOk = i.off === 0 || (i.off === 1 && (op === BPF_DIV || op === BPF_MOD));
      if (x) return i.imm !== 0 || !offOk ? 'BPF_ALU uses reserved fields' : undefined;
      return i.src !== 0 || !offOk ? 'BPF_ALU uses reserved fields' : undefined;
    }
  }
}

/** Reserved-field rules of one JMP / JMP32 instruction. */
function checkJmpFields(i: BpfInsn, opts: CheckOptions): string | undefined {
  const cls = bpfClass(i.code);
  const op = bpfOp(i.code);
  const x = bpfSrc(i.code) === BPF_X;
  switch (op) {
    case BPF_CALL:
      if (x && opts.allowCallx) {
        // callx: the helper id is in the register named by dst (bpf_conformance encoding).
        return i.src !== 0 || i.off !== 0 || i.imm !== 0 ? 'BPF_CALL uses reserved fields' : undefined;
      }
      return x ||
        (i.src !== BPF_PSEUDO_KFUNC_CALL && i.off !== 0) ||
        (i.src !== 0 && i.src !== BPF_PSEUDO_CALL && i.src !== BPF_PSEUDO_KFUNC_CALL) ||
        i.dst !== 0 ||
        cls === BPF_JMP32
        ? 'BPF_CALL uses reserved fields'
        : undefined;
    case BPF_JA:
      return x ||
        i.src !== 0 ||
        i.dst !== 0 ||
        (cls === BPF_JMP && i.imm !== 0) ||
        (cls === BPF_JMP32 && i.off !== 0)
        ? 'BPF_JA uses reserved fields'
        : undefined;
    case BPF_EXIT:
      return x || i.imm !== 0 || i.src !== 0 || i.dst !== 0 || cls === BPF_JMP32 || (opts.rfcUnusedFields === true && i.off !== 0)
        ? 'BPF_EXIT uses reserved fields'
        : undefined;
    default:
      if (x) return i.imm !== 0 ? 'BPF_JMP/JMP32 uses reserved fields' : undefined;
      return i.src !== 0 ? 'BPF_JMP/JMP32 uses reserved fields' : undefined;
  }
}

/** Does this instruction write its dst (or, for fetching atomics, src / r0) register? */
function writtenRegister(i: BpfInsn): number | undefined {
  const cls = bpfClass(i.code);
  if (cls === BPF_ALU || cls === BPF_ALU64 || cls === BPF_LDX || i.code === BPF_LD_IMM64) return i.dst;
  if (cls === BPF_STX && bpfMode(i.code) === BPF_ATOMIC) {
    if (i.imm === BPF_CMPXCHG) return 0;
    if (i.imm & BPF_FETCH) return i.src;
  }
  return undefined;
}

/**
 * Check one instruction (and, for ld_imm64, its second slot). Returns the kernel's message, or
 * undefined when the instruction is well-formed.
 */
export function checkInsn(insns: Insns, pc: number, opts: CheckOptions = {}): string | undefined {
  const i = insnAt(insns, pc)!;
  const code = i.code;
  const callx = opts.allowCallx === true && code === (BPF_JMP | BPF_CALL | BPF_X);
  if (!OPCODES[code] && !callx) return `unknown opcode ${hex2(code)}`;
  if (i.dst >= MAX_BPF_REG) return `R${i.dst} is invalid`;
  if (i.src >= MAX_BPF_REG) return `R${i.src} is invalid`;
  const cls = bpfClass(code);
  let fields: string | undefined;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
      fields = checkAluFields(i);
      break;
    case BPF_LDX:
      fields = i.imm !== 0 ? 'BPF_LDX uses reserved fields' : undefined;
      break;
    case BPF_STX:
      if (bpfMode(code) === BPF_ATOMIC) {
        if (!ATOMIC_OPS.has(i.imm)) return `BPF_ATOMIC uses invalid atomic opcode ${hex2(i.imm & 0xff)}`;
      } else if (i.imm !== 0) fields = 'BPF_STX uses reserved fields';
      break;
    case BPF_ST:
      fields = i.src !== 0 ? 'BPF_ST uses reserved fields' : undefined;
      break;
    case BPF_JMP:
    case BPF_JMP32:
      fields = checkJmpFields(i, opts);
      break;
    case BPF_LD:
      if (code === BPF_LD_IMM64) {
        const next = insnAt(insns, pc + 1);
        if (!next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
          return 'invalid bpf_ld_imm64 insn';
        }
        if (i.off !== 0) return 'BPF_LD_IMM64 uses reserved fields';
        if (i.src > BPF_PSEUDO_MAP_IDX_VALUE) return 'unrecognized bpf_ld_imm64 insn';
      } else {
        // LD_ABS / LD_IND: the legacy packet group (VM-GRP-1, "Historical"); not modelled.
        return `BPF_LD_[ABS|IND] (legacy packet access, opcode ${hex2(code)}) is not supported`;
      }
      break;
  }
  if (fields) return fields;
  if (bpfClass(code) === BPF_LDX && bpfMode(code) === BPF_MEMSX && bpfSize(code) === BPF_DW) {
    return `unknown opcode ${hex2(code)}`;
  }
  if (writtenRegister(i) === BPF_REG_FP) return 'frame pointer is read only';
  return undefined;
}

/** Target of a jump at pc (JA32 uses imm), or undefined if the instruction does not jump. */
export function jumpTarget(i: BpfInsn, pc: number): number | undefined {
  const cls = bpfClass(i.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return undefined;
  const op = bpfOp(i.code);
  if (op === BPF_CALL || op === BPF_EXIT) return undefined;
  if (cls === BPF_JMP32 && op === BPF_JA) return pc + i.imm + 1;
  return pc + i.off + 1;
}

/** Is this a BPF-to-BPF call (call with src_reg BPF_PSEUDO_CALL)? Its target is pc + imm + 1. */
export function isLocalCall(i: BpfInsn): boolean {
  return i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_CALL;
}

/**
 * Check a whole program: every instruction, then every control-flow edge (no jump out of the
 * program or into the second slot of an ld_imm64), and that the last instruction is an exit or
 * an unconditional jump. Returns the first problem as { pc, message }.
 */
export function checkProgram(
  insns: Insns,
  opts: CheckOptions = {},
): { pc: number; message: string } | undefined {
  return memoOnInsns(insns, CHECK_KEYS[(opts.allowCallx === true ? 2 : 0) + (opts.rfcUnusedFields === true ? 1 : 0)]!, () => walkProgram(insns, opts));
}

/** checkProgram's memo keys by (allowCallx, rfcUnusedFields): constants, not a string built per call. */
const CHECK_KEYS = ['check false false', 'check false true', 'check true false', 'check true true'] as const;

function walkProgram(insns: Insns, opts: CheckOptions): { pc: number; message: string } | undefined {
  const n = insns.length;
  if (n === 0) return { pc: 0, message: 'empty program' };
  const second = new Uint8Array(n); // 1 = second slot of an ld_imm64
  for (let pc = 0; pc < n; pc++) {
    const message = checkInsn(insns, pc, opts);
    if (message) return { pc, message };
    if (insnAt(insns, pc)!.code === BPF_LD_IMM64) second[++pc] = 1;
  }
  for (let pc = 0; pc < n; pc++) {
    if (second[pc]) continue;
    const i = insnAt(insns, pc)!;
    const t = isLocalCall(i) ? pc + i.imm + 1 : jumpTarget(i, pc);
    if (t === undefined) continue;
    if (t < 0 || t >= n) {
      return isLocalCall(i)
        ? { pc, message: `call to invalid destination: insn ${pc} calls ${t}` }
        : { pc, message: `jump out of range from insn ${pc} to ${t}` };
    }
    if (second[t]) return { pc, message: `jump into the middle of ldimm64 insn ${t - 1}` };
  }
  let last = n - 1;
  if (second[last]) last--;
  const l = insnAt(insns, last)!;
  const lastOk = l.code === (BPF_JMP | BPF_EXIT) || l.code === (BPF_JMP | BPF_JA) || l.code === (BPF_JMP32 | BPF_JA);
  if (!lastOk) return { pc: last, message: 'last insn is not an exit or jmp' };
  return undefined;
}
