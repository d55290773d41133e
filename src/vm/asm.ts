// Assembler for the uBPF / bpf_conformance text dialect (the `-- asm` sections of the conformance
// suite): one instruction per line, `name:` labels, `%rN` registers, `[%rN+off]` memory operands.
// The encodings follow RFC 9669; the dialect's quirks (the implicit `exit` label, `call %rN` as
// callx with the register in dst, `lock [fetch] op`) follow bpf_conformance's assembler, and its
// error messages are kept so that negative tests read the same.
//
// spec: VM-ASM-1 (mnemonics), VM-ASM-2 (operands), VM-ISA-1..8 (encodings), VM-GRP-2 (callx).

import { insn, type BpfInsn } from './insn.js';
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_B,
  BPF_CALL,
  BPF_CMPXCHG,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_H,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LDX,
  BPF_LD_IMM64,
  BPF_MEM,
  BPF_MEMSX,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_ST,
  BPF_STX,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  BPF_XCHG,
} from './opcodes.js';

/** An assembly error, with the 1-based source line it comes from. */
export class AsmError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'AsmError';
  }
}

const ALU_OPS: Record<string, number> = {
  add: 0x00,
  sub: 0x10,
  mul: 0x20,
  div: 0x30,
  sdiv: 0x30,
  or: 0x40,
  and: 0x50,
  lsh: 0x60,
  rsh: 0x70,
  neg: 0x80,
  mod: 0x90,
  smod: 0x90,
  xor: 0xa0,
  mov: 0xb0,
  arsh: 0xc0,
};

const JMP_OPS: Record<string, number> = {
  jeq: 0x10,
  jgt: 0x20,
  jge: 0x30,
  jset: 0x40,
  jne: 0x50,
  jsgt: 0x60,
  jsge: 0x70,
  jlt: 0xa0,
  jle: 0xb0,
  jslt: 0xc0,
  jsle: 0xd0,
};

const MEM_SIZES: Record<string, number> = { b: BPF_B, h: BPF_H, w: BPF_W, dw: BPF_DW };

const ATOMIC_OPS: Record<string, number> = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0, xchg: BPF_XCHG, cmpxchg: BPF_CMPXCHG };

/** Operand counts of every mnemonic the dialect has (VM-ASM-1). */
function buildMnemonics(): Map<string, number> {
  const m = new Map<string, number>();
  for (const op of Object.keys(ALU_OPS)) {
    const n = op === 'neg' ? 1 : 2;
    m.set(op, n);
    m.set(`${op}32`, n);
  }
  for (const w of [16, 32, 64]) for (const p of ['be', 'le', 'swap', 'bswap']) m.set(`${p}${w}`, 1);
  for (const s of ['832', '864', '1632', '1664', '3264']) m.set(`movsx${s}`, 2);
  for (const op of Object.keys(JMP_OPS)) {
    m.set(op, 3);
    m.set(`${op}32`, 3);
  }
  m.set('ja', 1).set('ja32', 1).set('exit', 0).set('call', 2).set('lddw', 2);
  for (const s of Object.keys(MEM_SIZES)) {
    m.set(`ldx${s}`, 2).set(`st${s}`, 2).set(`stx${s}`, 2);
    if (s !== 'dw') m.set(`ldxs${s}`, 2);
  }
  return m;
}

const MNEMONICS = buildMnemonics();

const REG = /^%r(\d+)$/;

function parseRegister(s: string, line: number): number {
  const m = REG.exec(s);
  // %r11..%r15 encode (the decoder rejects them), as in bpf_conformance, for negative tests.
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n >= 0 && n <= 15) || String(n) !== m[1]) throw new AsmError(`Invalid register: ${s}`, line);
  return n;
}

/** Parse a signed decimal or (possibly negated) hex integer as a bigint; undefined if malformed. */
function parseInteger(s: string): { value: bigint; hex: boolean } | undefined {
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(s);
  if (!m) return undefined;
  const hex = m[2]!.toLowerCase().startsWith('0x');
  const v = BigInt(m[2]!);
  return { value: m[1] === '-' ? -v : v, hex };
}

/** A 32-bit immediate: hex up to 0xffffffff (bit pattern) or signed decimal in s32 range. */
function parseImm32(s: string, line: number): number {
  const p = parseInteger(s);
  if (!p) throw new AsmError(`Invalid immediate: ${s}`, line);
  const ok = p.hex ? p.value >= -0x8000_0000n && p.value <= 0xffff_ffffn : p.value >= -0x8000_0000n && p.value <= 0x7fff_ffffn;
  if (!ok) throw new AsmError(`Immediate out of 32-bit range: ${s}`, line);
  return Number(BigInt.asIntN(32, p.value));
}

/** A 16-bit offset: hex up to 0xffff (bit pattern) or signed decimal in s16 range. */
function parseOffset(s: string, line: number): number {
  const p = parseInteger(s);
  if (!p) throw new AsmError(`Invalid offset: ${s}`, line);
  const ok = p.hex ? p.value >= -0x8000n && p.value <= 0xffffn : p.value >= -0x8000n && p.value <= 0x7fffn;
  if (!ok) throw new AsmError(`Offset out of 16-bit range: ${s}`, line);
  return Number(BigInt.asIntN(16, p.value));
}

/** A 64-bit immediate (lddw): hex as an unsigned 64-bit pattern, decimal signed or unsigned. */
function parseImm64(s: string, line: number): bigint {
  const p = parseInteger(s);
  if (!p || p.value < -(1n << 63n) || p.value > (1n << 64n) - 1n) throw new AsmError(`Invalid 64-bit immediate: ${s}`, line);
  return BigInt.asUintN(64, p.value);
}

/** `[%rN]`, `[%rN+off]`, `[%rN-off]`. */
function parseMem(s: string, line: number): { reg: number; off: number } {
  const m = /^\[(%r\d+)(?:([+-])([^\]]+))?\]$/.exec(s);
  if (!m) throw new AsmError(`Failed to decode register and offset: ${s}`, line);
  const reg = parseRegister(m[1]!, line);
  if (m[2] === undefined) return { reg, off: 0 };
  return { reg, off: parseOffset(`${m[2]}${m[3]}`, line) };
}

interface Pending {
  /** Slot index of the instruction whose offset or imm is a label. */
  readonly slot: number;
  readonly label: string;
  readonly field: 'off' | 'imm';
  readonly line: number;
}

/** Split a line into a mnemonic and operands: whitespace-separated, a trailing comma dropped. */
function tokenize(text: string): string[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .map((t) => (t.endsWith(',') ? t.slice(0, -1) : t));
}

/**
 * Assemble dialect source into instructions. Throws AsmError (with the line number) for unknown
 * mnemonics, bad registers, out-of-range immediates or offsets, unknown labels, wrong operand counts.
 */
export function assemble(source: string): BpfInsn[] {
  const out: BpfInsn[] = [];
  const labels = new Map<string, number>();
  const pending: Pending[] = [];
  let sawExit = false;
  const lines = source.split('\n');

  const target = (tok: string, slot: number, field: 'off' | 'imm', line: number): number => {
    if (tok.startsWith('+') || tok.startsWith('-')) return field === 'off' ? parseOffset(tok, line) : parseImm32(tok, line);
    pending.push({ slot, label: tok, field, line });
    return 0;
  };

  for (let ln = 0; ln < lines.length; ln++) {
    const line = ln + 1;
    const hash = lines[ln]!.indexOf('#');
    const toks = tokenize(hash >= 0 ? lines[ln]!.slice(0, hash) : lines[ln]!);
    if (toks.length === 0) continue;
    const [mn, ...ops] = toks as [string, ...string[]];

    if (mn.endsWith(':')) {
      const name = mn.slice(0, -1);
      if (labels.has(name)) {
        throw new AsmError(`Duplicate label (${name}) at instruction ${out.length} (previous at ${labels.get(name)})`, line);
      }
      labels.set(name, out.length);
      if (ops.length > 0) throw new AsmError(`Unexpected text after label ${name}:`, line);
      continue;
    }
    // The first `exit` doubles as a label named "exit" (so `ja exit` works), as in bpf_conformance.
    if (mn === 'exit' && !sawExit) {
      sawExit = true;
      labels.set('exit', out.length);
    }

    if (mn === 'lock') {
      // lock [fetch] <op> [%rD+off], %rS
      const fetch = ops[0] === 'fetch';
      const rest = fetch ? ops.slice(1) : ops;
      if (rest.length !== 3) throw new AsmError('Invalid number of operands for lock', line);
      const [opName, memOp, srcOp] = rest as [string, string, string];
      const is32 = opName.endsWith('32');
      const base = is32 ? opName.slice(0, -2) : opName;
      const op = ATOMIC_OPS[base];
      if (op === undefined) throw new AsmError(`Invalid mnemonic: lock ${opName}`, line);
      const { reg, off } = parseMem(memOp, line);
      const atomicImm = op === BPF_XCHG || op === BPF_CMPXCHG ? op : op | (fetch ? BPF_FETCH : 0);
      out.push(insn(BPF_STX | BPF_ATOMIC | (is32 ? BPF_W : BPF_DW), reg, parseRegister(srcOp, line), off, atomicImm));
      continue;
    }

    const count = MNEMONICS.get(mn);
    if (count === undefined) throw new AsmError(`Invalid mnemonic: ${mn}`, line);
    // `call N` / `call %rN` have an implied mode.
    const callOps = mn === 'call' && ops.length === 1 ? ['helper', ops[0]!] : ops;
    if (callOps.length !== count) throw new AsmError(`Invalid number of operands for mnemonic: ${mn}`, line);
    out.push(...encode(mn, callOps, out.length, line, target));
  }

  for (const p of pending) {
    const at = labels.get(p.label);
    if (at === undefined) throw new AsmError(`Invalid label: ${p.label}`, p.line);
    const rel = at - p.slot - 1;
    const i = out[p.slot]!;
    if (p.field === 'off') {
      if (rel < -0x8000 || rel > 0x7fff) throw new AsmError(`Jump to ${p.label} does not fit in 16 bits`, p.line);
      out[p.slot] = insn(i.code, i.dst, i.src, rel, i.imm);
    } else {
      out[p.slot] = insn(i.code, i.dst, i.src, i.off, rel);
    }
  }
  return out;
}

type Target = (tok: string, slot: number, field: 'off' | 'imm', line: number) => number;

function encode(mn: string, ops: string[], slot: number, line: number, target: Target): BpfInsn[] {
  // Byte swaps: be/le (ALU, TO_BE / TO_LE), swap / bswap (ALU64, unconditional), VM-ISA-4.
  const swap = /^(be|le|bswap|swap)(16|32|64)$/.exec(mn);
  if (swap) {
    const width = Number(swap[2]);
    const d = parseRegister(ops[0]!, line);
    const code =
      swap[1] === 'be' ? BPF_ALU | BPF_END | BPF_TO_BE : swap[1] === 'le' ? BPF_ALU | BPF_END | BPF_TO_LE : BPF_ALU64 | BPF_END | BPF_TO_LE;
    return [insn(code, d, 0, 0, width)];
  }
  const movsx = /^movsx(8|16|32)(32|64)$/.exec(mn);
  if (movsx) {
    const cls = movsx[2] === '32' ? BPF_ALU : BPF_ALU64;
    return [insn(cls | 0xb0 | BPF_X, parseRegister(ops[0]!, line), parseRegister(ops[1]!, line), Number(movsx[1]), 0)];
  }
  const aluName = mn.endsWith('32') ? mn.slice(0, -2) : mn;
  const aluOp = ALU_OPS[aluName];
  if (aluOp !== undefined) {
    const cls = mn.endsWith('32') ? BPF_ALU : BPF_ALU64;
    const off = aluName === 'sdiv' || aluName === 'smod' ? 1 : 0;
    const d = parseRegister(ops[0]!, line);
    if (ops.length === 1) return [insn(cls | aluOp | BPF_K, d, 0, off, 0)]; // neg
    if (ops[1]!.startsWith('%')) return [insn(cls | aluOp | BPF_X, d, parseRegister(ops[1]!, line), off, 0)];
    return [insn(cls | aluOp | BPF_K, d, 0, off, parseImm32(ops[1]!, line))];
  }
  const jmpName = mn.endsWith('32') ? mn.slice(0, -2) : mn;
  const jmpOp = JMP_OPS[jmpName];
  if (jmpOp !== undefined) {
    const cls = mn.endsWith('32') ? BPF_JMP32 : BPF_JMP;
    const d = parseRegister(ops[0]!, line);
    const off = target(ops[2]!, slot, 'off', line);
    if (ops[1]!.startsWith('%')) return [insn(cls | jmpOp | BPF_X, d, parseRegister(ops[1]!, line), off, 0)];
    return [insn(cls | jmpOp | BPF_K, d, 0, off, parseImm32(ops[1]!, line))];
  }
  switch (mn) {
    case 'ja':
      return [insn(BPF_JMP | BPF_JA, 0, 0, target(ops[0]!, slot, 'off', line), 0)];
    case 'ja32':
      return [insn(BPF_JMP32 | BPF_JA, 0, 0, 0, target(ops[0]!, slot, 'imm', line))];
    case 'exit':
      return [insn(BPF_JMP | BPF_EXIT)];
    case 'call': {
      const [mode, t] = ops as [string, string];
      if (mode === 'helper') {
        if (t.startsWith('%')) return [insn(BPF_JMP | BPF_CALL | BPF_X, parseRegister(t, line), 0, 0, 0)];
        return [insn(BPF_JMP | BPF_CALL, 0, 0, 0, parseImm32(t, line))];
      }
      if (mode === 'local') return [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, target(t, slot, 'imm', line))];
      if (mode === 'runtime') return [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, parseImm32(t, line))];
      throw new AsmError(`Invalid call mode: ${mode}`, line);
    }
    case 'lddw': {
      const v = parseImm64(ops[1]!, line);
      const d = parseRegister(ops[0]!, line);
      return [insn(BPF_LD_IMM64, d, 0, 0, Number(BigInt.asIntN(32, v))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))];
    }
  }
  const mem = /^(ldxs|ldx|stx|st)(dw|b|h|w)$/.exec(mn);
  if (mem) {
    const size = MEM_SIZES[mem[2]!]!;
    switch (mem[1]) {
      case 'ldx':
      case 'ldxs': {
        const d = parseRegister(ops[0]!, line);
        const { reg, off } = parseMem(ops[1]!, line);
        return [insn(BPF_LDX | (mem[1] === 'ldx' ? BPF_MEM : BPF_MEMSX) | size, d, reg, off, 0)];
      }
      case 'st': {
        const { reg, off } = parseMem(ops[0]!, line);
        return [insn(BPF_ST | BPF_MEM | size, reg, 0, off, parseImm32(ops[1]!, line))];
      }
      default: {
        const { reg, off } = parseMem(ops[0]!, line);
        return [insn(BPF_STX | BPF_MEM | size, reg, parseRegister(ops[1]!, line), off, 0)];
      }
    }
  }
  throw new AsmError(`Invalid mnemonic: ${mn}`, line);
}
