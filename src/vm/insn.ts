// `struct bpf_insn` as data: bytes <-> fields.
//
// spec: UAPI-LAYOUT-8, VM-ISA-1 — code u8 @0; dst_reg = low nibble of byte 1, src_reg = high
// nibble (little-endian host); off s16 @2; imm s32 @4. Multi-byte fields are little-endian here:
// bpfsig models an x86-64 kernel.

import { BPF_INSN_SIZE } from './opcodes.js';

export interface BpfInsn {
  /** Opcode byte. */
  readonly code: number;
  /** Destination register number (0..15 as encoded; only 0..10 are valid). */
  readonly dst: number;
  /** Source register number or pseudo kind (0..15 as encoded). */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate. */
  readonly imm: number;
}

/** Build an instruction, normalising the fields to their encoded widths. */
export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn {
  return { code: code & 0xff, dst: dst & 0x0f, src: src & 0x0f, off: (off << 16) >> 16, imm: imm | 0 };
}

/** Split an instruction stream into instructions. The length must be a multiple of 8. */
export function parseInsns(bytes: Uint8Array): BpfInsn[] {
  if (bytes.length % BPF_INSN_SIZE !== 0) {
    throw new RangeError(`instruction bytes: length ${bytes.length} is not a multiple of ${BPF_INSN_SIZE}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BpfInsn[] = [];
  for (let p = 0; p < bytes.length; p += BPF_INSN_SIZE) {
    const regs = view.getUint8(p + 1);
    out.push({
      code: view.getUint8(p),
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(p + 2, true),
      imm: view.getInt32(p + 4, true),
    });
  }
  return out;
}

/** Encode instructions back to bytes (the inverse of parseInsns). */
export function encodeInsns(insns: readonly BpfInsn[]): Uint8Array {
  const out = new Uint8Array(insns.length * BPF_INSN_SIZE);
  const view = new DataView(out.buffer);
  insns.forEach((i, n) => {
    const p = n * BPF_INSN_SIZE;
    view.setUint8(p, i.code & 0xff);
    view.setUint8(p + 1, ((i.src & 0x0f) << 4) | (i.dst & 0x0f));
    view.setInt16(p + 2, (i.off << 16) >> 16, true);
    view.setInt32(p + 4, i.imm | 0, true);
  });
  return out;
}

/** The 64-bit constant of a plain ld_imm64 pair: (next_imm << 32) | (u32)imm (VM-ISA-8, src_reg 0). */
export function ldImm64Value(first: BpfInsn, second: BpfInsn): bigint {
  return (BigInt(second.imm >>> 0) << 32n) | BigInt(first.imm >>> 0);
}
