// struct bpf_insn (8 bytes: code, dst_reg:4 | src_reg:4, s16 off, s32 imm) and the opcode
// constants the loader generator emits. spec: UAPI-LAYOUT (bpf_insn, 01 §2.8), RFC 9669.

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_ALU64 = 0x07;

export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

export const BPF_IMM = 0x00;
export const BPF_MEM = 0x60;

export const BPF_K = 0x00;
export const BPF_X = 0x08;

export const BPF_ADD = 0x00;
export const BPF_AND = 0x50;
export const BPF_RSH = 0x70;
export const BPF_MOV = 0xb0;

export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;

export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** Helper ids the loader calls (spec: LSK-HELP-1). */
export const Helper = {
  trace_printk: 6,
  probe_read_kernel: 113,
  copy_from_user: 148,
  sys_bpf: 166,
  btf_find_by_name_kind: 167,
  sys_close: 168,
  kallsyms_lookup_name: 179,
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
  const out = new Uint8Array(insns.length * 8);
  const dv = new DataView(out.buffer);
  insns.forEach((i, k) => {
    dv.setUint8(k * 8, i.code & 0xff);
    dv.setUint8(k * 8 + 1, ((i.src & 0xf) << 4) | (i.dst & 0xf));
    dv.setInt16(k * 8 + 2, i.off, true);
    dv.setInt32(k * 8 + 4, i.imm | 0, true);
  });
  return out;
}

export function decodeInsns(bytes: Uint8Array): Insn[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let k = 0; k + 8 <= bytes.length; k += 8) {
    const regs = dv.getUint8(k + 1);
    out.push({ code: dv.getUint8(k), dst: regs & 0xf, src: regs >> 4, off: dv.getInt16(k + 2, true), imm: dv.getInt32(k + 4, true) });
  }
  return out;
}
