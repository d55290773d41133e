// struct bpf_insn (8 bytes: code, dst_reg:4 | src_reg:4, s16 off, s32 imm) and the opcode
// constants the loader generator emits. spec: UAPI-LAYOUT (bpf_insn, 01 §2.8), RFC 9669.

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// The opcode and pseudo constants are the interpreter's (one table, src/vm/opcodes.ts).
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_B,
  BPF_CALL,
  BPF_DW,
  BPF_EXIT,
  BPF_H,
  BPF_IMM,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MOV,
  BPF_ST,
  BPF_STX,
  BPF_W,
  BPF_X,
} from '../vm/opcodes.js';
import {
  BPF_FUNC_btf_find_by_name_kind,
  BPF_FUNC_copy_from_user,
  BPF_FUNC_kallsyms_lookup_name,
  BPF_FUNC_probe_read_kernel,
  BPF_FUNC_sys_bpf,
  BPF_FUNC_sys_close,
  BPF_FUNC_trace_printk,
} from '../vm/helpers.js';
import { encodeInsns as encodeBpfInsns, parseInsns } from '../vm/insn.js';

export {
  BPF_ADD,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_B,
  BPF_CALL,
  BPF_DW,
  BPF_EXIT,
  BPF_H,
  BPF_IMM,
  BPF_JA,
  BPF_JEQ,
  BPF_JMP,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSLE,
  BPF_JSLT,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MOV,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_W,
  BPF_X,
} from '../vm/opcodes.js';

/** Helper ids the loader calls (spec: LSK-HELP-1), from the interpreter's helper table. */
export const Helper = {
  trace_printk: BPF_FUNC_trace_printk,
  probe_read_kernel: BPF_FUNC_probe_read_kernel,
  copy_from_user: BPF_FUNC_copy_from_user,
  sys_bpf: BPF_FUNC_sys_bpf,
  btf_find_by_name_kind: BPF_FUNC_btf_find_by_name_kind,
  sys_close: BPF_FUNC_sys_close,
  kallsyms_lookup_name: BPF_FUNC_kallsyms_lookup_name,
} as const;

export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;

export const mov64Reg = (dst: number, src: number): Insn => ({ code: BPF_ALU64 | BPF_MOV | BPF_X, dst, src, off: 0, imm: 0 });
export const mov64Imm = (dst: number, imm: number): Insn => ({ code: BPF_ALU64 | BPF_MOV | BPF_K, dst, src: 0, off: 0, imm });
export const alu64Imm = (op: number, dst: number, imm: number): Insn => ({ code: BPF_ALU64 | op | BPF_K, dst, src: 0, off: 0, imm });
export const alu32Imm = (op: number, dst: number, imm: number): Insn => ({ code: BPF_ALU | op | BPF_K, dst, src: 0, off: 0, imm });
export const ldxMem = (size: number, dst: number, src: number, off: number): Insn => ({ code: BPF_LDX | size | BPF_MEM, dst, src, off, imm: 0 });
export const stxMem = (size: number, dst: number, src: number, off: number): Insn => ({ code: BPF_STX | size | BPF_MEM, dst, src, off, imm: 0 });
export const stMem = (size: number, dst: number, off: number, imm: number): Insn => ({ code: BPF_ST | size | BPF_MEM, dst, src: 0, off, imm });
export const jmpImm = (op: number, dst: number, imm: number, off: number): Insn => ({ code: BPF_JMP | op | BPF_K, dst, src: 0, off, imm });
export const jmpReg = (op: number, dst: number, src: number, off: number): Insn => ({ code: BPF_JMP | op | BPF_X, dst, src, off, imm: 0 });
export const call = (helper: number): Insn => ({ code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: helper });
export const exit = (): Insn => ({ code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 });

/** The two halves of a 16-byte ld_imm64 (BPF_LD_IMM64_RAW_FULL). */
export function ldImm64(dst: number, src: number, imm1: number, imm2: number): [Insn, Insn] {
  return [
    { code: BPF_LD | BPF_DW | BPF_IMM, dst, src, off: 0, imm: imm1 },
    { code: 0, dst: 0, src: 0, off: 0, imm: imm2 },
  ];
}

export function sizeCode(bytes: number): number {
  switch (bytes) {
    case 8: return BPF_DW;
    case 4: return BPF_W;
    case 2: return BPF_H;
    case 1: return BPF_B;
    default: return -1;
  }
}

export function encodeInsns(insns: readonly Insn[]): Uint8Array {
  return encodeBpfInsns(insns);
}

/** Instructions from bytes (a trailing partial instruction is ignored). */
export function decodeInsns(bytes: Uint8Array): Insn[] {
  return parseInsns(bytes.subarray(0, bytes.length - (bytes.length % 8))).map((i) => ({ ...i }));
}
