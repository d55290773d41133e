// eBPF instruction encoding constants (RFC 9669, include/uapi/linux/bpf_common.h and bpf.h).
//
// spec: VM-ISA-1 (encoding), VM-ISA-2 (classes), VM-ISA-3 (ALU codes), VM-ISA-5 (jump codes),
//       VM-ISA-6 (modes and sizes), VM-ISA-7 (atomic operations), VM-ISA-8 / UAPI-CONST-4
//       (pseudo src_reg kinds), UAPI-LAYOUT-8 (struct bpf_insn).

/** Size of one instruction slot in bytes (`struct bpf_insn`). */
export const BPF_INSN_SIZE = 8;

// Instruction classes: the low 3 bits of the opcode.
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// Source operand bit (ALU and JMP classes).
export const BPF_K = 0x00;
export const BPF_X = 0x08;
/** Byte-swap direction, in the same bit as the source operand (BPF_END only). */
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

// ALU operation codes (high 4 bits).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Jump operation codes (high 4 bits).
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;

// Load/store sizes (bits 3-4) and modes (bits 5-7).
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

// Atomic operations, carried in imm (VM-ISA-7).
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;

/** `ld_imm64` opcode: BPF_LD | BPF_IMM | BPF_DW. */
export const BPF_LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;

// Pseudo src_reg values of ld_imm64 (UAPI-CONST-4, VM-ISA-8).
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// Pseudo src_reg values of call (UAPI-CONST-4, VM-ISA-5).
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** Kernel names of the ld_imm64 pseudo kinds, for messages. */
export const LD_IMM64_PSEUDO_NAMES: Readonly<Record<number, string>> = {
  [BPF_PSEUDO_MAP_FD]: 'BPF_PSEUDO_MAP_FD',
  [BPF_PSEUDO_MAP_VALUE]: 'BPF_PSEUDO_MAP_VALUE',
  [BPF_PSEUDO_BTF_ID]: 'BPF_PSEUDO_BTF_ID',
  [BPF_PSEUDO_FUNC]: 'BPF_PSEUDO_FUNC',
  [BPF_PSEUDO_MAP_IDX]: 'BPF_PSEUDO_MAP_IDX',
  [BPF_PSEUDO_MAP_IDX_VALUE]: 'BPF_PSEUDO_MAP_IDX_VALUE',
};

/** Registers r0..r10; r10 is the read-only frame pointer (VM-ISA-9). */
export const MAX_BPF_REG = 11;
export const BPF_REG_FP = 10;

/** Per-frame stack size (MAX_BPF_STACK) and call-frame limit (MAX_CALL_FRAMES), VM-EXEC-1, VM-ISA-9. */
export const MAX_BPF_STACK = 512;
export const MAX_CALL_FRAMES = 8;

export const bpfClass = (code: number): number => code & 0x07;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;

/** Access width in bytes of a BPF_SIZE value. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size) {
    case BPF_B:
      return 1;
    case BPF_H:
      return 2;
    case BPF_W:
      return 4;
    default:
      return 8;
  }
}
