// Helpers for the kernel-BTF tests: tool detection, the real vmlinux BTF, fixture programs as the
// kernel receives them (relocated instructions, func/line info, CO-RE records, the uploaded BTF).

import { existsSync } from 'node:fs';
import { Btf } from '../../src/btf/btf.js';
import type { BpfObject } from '../../src/loader/elf/object-types.js';
import { readElf } from '../../src/loader/elf/read-object.js';
import { relocateObject, type LinkedProgram } from '../../src/loader/gen-loader/relocate.js';

/** struct bpf_core_relo as PROG_LOAD receives it. */
export interface CoreReloRecord {
  insnOff: number;
  typeId: number;
  accessStrOff: number;
  kind: number;
}

export { hasTool } from '../support/tools.js';

export const REAL_VMLINUX = '/sys/kernel/btf/vmlinux';
export const HAS_REAL_VMLINUX = existsSync(REAL_VMLINUX);

export function openBytes(bytes: Uint8Array, name = 'obj'): BpfObject {
  const r = readElf(bytes, { objectName: name });
  if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
  return r.value;
}

/** A main program of an object as libbpf hands it to the kernel. */
export interface KernelProg {
  lp: LinkedProgram;
  /** The object's BTF as uploaded with BPF_BTF_LOAD, parsed the way the kernel keeps it. */
  btf: Btf;
  relos: CoreReloRecord[];
}

export function kernelProgs(obj: BpfObject): KernelProg[] {
  const btf = Btf.parse(obj.btf!.rawData());
  return relocateObject(obj, { ksymAddr: () => 0n }).map((lp) => ({
    lp,
    btf,
    relos: lp.relocs
      .filter((r) => r.kind === 'core')
      .map((r) => ({ insnOff: r.insnIdx * 8, typeId: r.core!.typeId, accessStrOff: r.core!.accessStrOff, kind: r.core!.kind })),
  }));
}

/** Little-endian helpers on instruction bytes. */
export function insnAt(insns: Uint8Array, i: number): { code: number; dst: number; src: number; off: number; imm: number } {
  const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  return { code: insns[i * 8], dst: insns[i * 8 + 1] & 0xf, src: insns[i * 8 + 1] >> 4, off: dv.getInt16(i * 8 + 2, true), imm: dv.getInt32(i * 8 + 4, true) };
}

export function insn(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  b[0] = code;
  b[1] = (src << 4) | dst;
  dv.setInt16(2, off, true);
  dv.setInt32(4, imm, true);
  return b;
}

export function prog(...insns: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((x, i) => out.set(x, i * 8));
  return out;
}
