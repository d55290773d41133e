// A program's instructions decoded once into typed arrays: 9 bytes per instruction instead of an
// object each (a 1,000,000-instruction BPF_PROG_LOAD: 9 MB, no per-instruction garbage). The
// check stage's passes read it through insnAt(); `get(pc)` hands out a short-lived BpfInsn for
// code written against the object form.
//
// spec: UAPI-LAYOUT-8, VM-ISA-1 — the same field split as parseInsns (vm/insn.ts).

import { BPF_INSN_SIZE } from './opcodes.js';
import type { BpfInsn } from './insn.js';

export class InsnArray {
  readonly length: number;
  readonly code: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;

  private constructor(n: number) {
    this.length = n;
    this.code = new Uint8Array(n);
    this.dst = new Uint8Array(n);
    this.src = new Uint8Array(n);
    this.off = new Int16Array(n);
    this.imm = new Int32Array(n);
  }

  /** Decode an instruction stream (length a multiple of 8, like parseInsns). */
  static decode(bytes: Uint8Array): InsnArray {
    if (bytes.length % BPF_INSN_SIZE !== 0) {
      throw new RangeError(`instruction bytes: length ${bytes.length} is not a multiple of ${BPF_INSN_SIZE}`);
    }
    const n = bytes.length / BPF_INSN_SIZE;
    const a = new InsnArray(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let pc = 0, p = 0; pc < n; pc++, p += BPF_INSN_SIZE) {
      const regs = bytes[p + 1]!;
      a.code[pc] = bytes[p]!;
      a.dst[pc] = regs & 0x0f;
      a.src[pc] = regs >> 4;
      a.off[pc] = view.getInt16(p + 2, true);
      a.imm[pc] = view.getInt32(p + 4, true);
    }
    return a;
  }

  /** The instruction at pc as an object (undefined outside the program). */
  get(pc: number): BpfInsn | undefined {
    if (pc < 0 || pc >= this.length || !Number.isInteger(pc)) return undefined;
    return { code: this.code[pc]!, dst: this.dst[pc]!, src: this.src[pc]!, off: this.off[pc]!, imm: this.imm[pc]! };
  }
}

/** Instructions as the checks take them: the compact form, or an array of objects (tests, the assembler). */
export type Insns = InsnArray | readonly BpfInsn[];

/** insns[pc] for either form. */
export function insnAt(insns: Insns, pc: number): BpfInsn | undefined {
  return insns instanceof InsnArray ? insns.get(pc) : insns[pc];
}
