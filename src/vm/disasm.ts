// Disassembler: one line per instruction in the syntax llvm-objdump -d prints for BPF
// (`r1 = *(u32 *)(r10 - 136)`, `if r7 s< 0 goto -12`, `lock *(u64 *)(r0 + 0) += r1`), with the
// v4 forms in the syntax of later LLVM releases (`r1 s/= r2`, `r1 = (s8)r2`, `r1 = bswap16 r1`,
// `gotol +N`, `callx r2`), and the pseudo ld_imm64 forms spelled after their kernel names
// (`r1 = map_idx[0] ll`, `r0 = map_idx_value[0]+1280 ll`) so a loader trace reads well.
//
// spec: UAPI-LAYOUT-8, VM-ISA-1..8, UAPI-CONST-4 (pseudo kinds), UAPI-CONST-11 (loader opcodes).

import { isKnownOpcode } from './check.js';
import { parseInsns, type BpfInsn } from './insn.js';
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CMPXCHG,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_LD_IMM64,
  BPF_MEMSX,
  BPF_MOV,
  BPF_NEG,
  BPF_ST,
  BPF_STX,
  BPF_X,
  BPF_XCHG,
  bpfClass,
  bpfMode,
  bpfOp,
  bpfSize,
  sizeBytes,
} from './opcodes.js';

export interface DisasmOptions {
  /** Label for a jump target slot, printed as ` <label>` after the jump (objdump prints symbols so). */
  readonly labels?: (targetPc: number) => string | undefined;
  /** Name for a helper id; when given, `call 166` becomes `call bpf_sys_bpf#166`. */
  readonly helperName?: (id: number) => string | undefined;
}

const ALU_SYM: Record<number, string> = {
  0x00: '+=',
  0x10: '-=',
  0x20: '*=',
  0x30: '/=',
  0x40: '|=',
  0x50: '&=',
  0x60: '<<=',
  0x70: '>>=',
  0x90: '%=',
  0xa0: '^=',
  0xb0: '=',
  0xc0: 's>>=',
};

const JMP_SYM: Record<number, string> = {
  0x10: '==',
  0x20: '>',
  0x30: '>=',
  0x40: '&',
  0x50: '!=',
  0x60: 's>',
  0x70: 's>=',
  0xa0: '<',
  0xb0: '<=',
  0xc0: 's<',
  0xd0: 's<=',
};

const ATOMIC_NAME: Record<number, string> = { 0x00: 'add', 0x40: 'or', 0x50: 'and', 0xa0: 'xor' };

const PSEUDO_NAME: Record<number, string> = {
  1: 'map_fd',
  2: 'map_value',
  3: 'btf_id',
  4: 'func',
  5: 'map_idx',
  6: 'map_idx_value',
};

const signed = (n: number): string => (n < 0 ? `- ${-n}` : `+ ${n}`);
const rel = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const mem = (reg: number, off: number): string => `(r${reg} ${signed(off)})`;
const width = (code: number): string => `u${sizeBytes(bpfSize(code)) * 8}`;

/** One instruction (the ld_imm64 at pc uses pc + 1 too). */
export function disasmInsn(insns: readonly BpfInsn[], pc: number, opts: DisasmOptions = {}): string {
  const i = insns[pc]!;
  const code = i.code;
  const cls = bpfClass(code);
  const op = bpfOp(code);
  const x = (code & BPF_X) !== 0;
  const bad = `<unknown opcode 0x${code.toString(16).padStart(2, '0')}>`;
  if (!isKnownOpcode(code) && code !== (BPF_JMP | BPF_CALL | BPF_X)) return bad;
  const jumpTo = (t: number): string => {
    const l = opts.labels?.(t);
    return l ? ` <${l}>` : '';
  };

  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      const p = cls === BPF_ALU64 ? 'r' : 'w';
      const d = `${p}${i.dst}`;
      if (op === BPF_NEG) return `${d} = -${d}`;
      if (op === BPF_END) {
        const name = cls === BPF_ALU64 ? 'bswap' : x ? 'be' : 'le';
        return `r${i.dst} = ${name}${i.imm} r${i.dst}`;
      }
      if (op === BPF_MOV && x && i.off !== 0) return `${d} = (s${i.off})${p}${i.src}`;
      let sym = ALU_SYM[op];
      if (sym === undefined) return bad;
      if (i.off === 1 && (op === 0x30 || op === 0x90)) sym = `s${sym}`;
      return `${d} ${sym} ${x ? `${p}${i.src}` : i.imm}`;
    }
    case BPF_JMP:
    case BPF_JMP32: {
      if (op === BPF_JA) return cls === BPF_JMP32 ? `gotol ${rel(i.imm)}${jumpTo(pc + i.imm + 1)}` : `goto ${rel(i.off)}${jumpTo(pc + i.off + 1)}`;
      if (cls === BPF_JMP && op === BPF_CALL) {
        if (x) return `callx r${i.dst}`;
        const name = i.src === 0 ? opts.helperName?.(i.imm) : undefined;
        return name ? `call ${name}#${i.imm}` : `call ${i.imm}`;
      }
      if (cls === BPF_JMP && op === BPF_EXIT) return 'exit';
      const sym = JMP_SYM[op];
      if (sym === undefined) return bad;
      const p = cls === BPF_JMP ? 'r' : 'w';
      return `if ${p}${i.dst} ${sym} ${x ? `${p}${i.src}` : i.imm} goto ${rel(i.off)}${jumpTo(pc + i.off + 1)}`;
    }
    case BPF_LDX:
      if (bpfMode(code) === BPF_MEMSX) return `r${i.dst} = *(s${sizeBytes(bpfSize(code)) * 8} *)${mem(i.src, i.off)}`;
      return `r${i.dst} = *(${width(code)} *)${mem(i.src, i.off)}`;
    case BPF_ST:
      return `*(${width(code)} *)${mem(i.dst, i.off)} = ${i.imm}`;
    case BPF_STX: {
      if (bpfMode(code) !== BPF_ATOMIC) return `*(${width(code)} *)${mem(i.dst, i.off)} = r${i.src}`;
      const wide = bpfSize(code) === 0x18;
      const p = wide ? 'r' : 'w';
      const w = wide ? 'u64' : 'u32';
      const addr = `r${i.dst} ${signed(i.off)}`;
      if (i.imm === BPF_XCHG) return `${p}${i.src} = ${wide ? 'xchg_64' : 'xchg32_32'}(${addr}, ${p}${i.src})`;
      if (i.imm === BPF_CMPXCHG) return `${p}0 = ${wide ? 'cmpxchg_64' : 'cmpxchg32_32'}(${addr}, ${p}0, ${p}${i.src})`;
      const name = ATOMIC_NAME[i.imm & ~BPF_FETCH];
      if (name === undefined) return bad;
      if (i.imm & BPF_FETCH) return `${p}${i.src} = atomic_fetch_${name}((${w} *)(${addr}), ${p}${i.src})`;
      return `lock *(${w} *)(${addr}) ${ALU_SYM[i.imm]} ${p}${i.src}`;
    }
    case BPF_LD: {
      if (code === BPF_LD_IMM64) {
        const next = insns[pc + 1];
        if (!next) return `r${i.dst} = <truncated ld_imm64>`;
        if (i.src === 0) {
          const v = BigInt.asIntN(64, (BigInt(next.imm >>> 0) << 32n) | BigInt(i.imm >>> 0));
          return `r${i.dst} = ${v} ll`;
        }
        const kind = PSEUDO_NAME[i.src] ?? `pseudo${i.src}`;
        const withOff = i.src === 2 || i.src === 6;
        return `r${i.dst} = ${kind}[${i.imm}]${withOff ? `+${next.imm}` : ''} ll`;
      }
      const w = width(code);
      if (bpfMode(code) === 0x20) return `r0 = *(${w} *)skb[${i.imm}]`;
      if (bpfMode(code) === 0x40) return `r0 = *(${w} *)skb[r${i.src}${i.imm ? ` ${signed(i.imm)}` : ''}]`;
      return bad;
    }
  }
  return bad;
}

export interface DisasmLine {
  /** Slot index of the instruction. */
  readonly pc: number;
  /** 1, or 2 for ld_imm64. */
  readonly slots: 1 | 2;
  readonly text: string;
}

/** Disassemble a whole program: one line per instruction (an ld_imm64 pair is one line). */
export function disassemble(input: Uint8Array | readonly BpfInsn[], opts: DisasmOptions = {}): DisasmLine[] {
  const insns = input instanceof Uint8Array ? parseInsns(input) : input;
  const out: DisasmLine[] = [];
  for (let pc = 0; pc < insns.length; pc++) {
    const wide = insns[pc]!.code === BPF_LD_IMM64 && pc + 1 < insns.length;
    out.push({ pc, slots: wide ? 2 : 1, text: disasmInsn(insns, pc, opts) });
    if (wide) pc++;
  }
  return out;
}

/** `llvm-objdump -d`-like listing: right-aligned slot number, then the text. */
export function formatDisassembly(input: Uint8Array | readonly BpfInsn[], opts: DisasmOptions = {}): string {
  return disassemble(input, opts)
    .map((l) => `${String(l.pc).padStart(8)}:\t${l.text}`)
    .join('\n');
}
