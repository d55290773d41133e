// Building hostile inputs inside tests (issue L: no committed binary blobs): ELF section lookup and
// in-place edits of a BPF object's .BTF types, light-skeleton headers with edited fields, loader
// instruction patches. Everything starts from the repository's own examples (examples/bpf).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, BtfKind } from '../../src/btf/btf.js';

export const REPO = join(import.meta.dirname, '..', '..');
export const example = (name: string): Uint8Array => new Uint8Array(readFileSync(join(REPO, 'examples', 'bpf', `${name}.bpf.o`)));

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  /** File offset of the section header. */
  readonly hdr: number;
  readonly offset: number;
  readonly size: number;
}

/** The sections of an ELF64 little-endian object. */
export function elfSections(bytes: Uint8Array): ElfSection[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  const hdr = (i: number) => shoff + i * shentsize;
  const strOff = Number(dv.getBigUint64(hdr(shstrndx) + 0x18, true));
  const out: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = hdr(i);
    const nameOff = dv.getUint32(h, true);
    const nul = bytes.indexOf(0, strOff + nameOff);
    out.push({ index: i, name: Buffer.from(bytes.subarray(strOff + nameOff, nul)).toString('latin1'), hdr: h, offset: Number(dv.getBigUint64(h + 0x18, true)), size: Number(dv.getBigUint64(h + 0x20, true)) });
  }
  return out;
}

export function section(bytes: Uint8Array, name: string): ElfSection {
  const s = elfSections(bytes).find((x) => x.name === name);
  if (!s) throw new Error(`no section ${name}`);
  return s;
}

/** Set a section's sh_size (e.g. a NOBITS .bss: no bytes in the file). */
export function setSectionSize(bytes: Uint8Array, name: string, size: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(section(bytes, name).hdr + 0x20, BigInt(size), true);
}

/** The object's .BTF parsed, with a way to rewrite one u32 of a type record in the object's bytes. */
export function objectBtf(bytes: Uint8Array): { btf: Btf; typeId(kind: number, name: string): number; setWord(id: number, word: number, value: number): void } {
  const s = section(bytes, '.BTF');
  const raw = bytes.subarray(s.offset, s.offset + s.size);
  const btf = Btf.parse(raw.slice());
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const typesStart = dv.getUint32(4, true) + dv.getUint32(8, true);
  return {
    btf,
    typeId(kind, name) {
      const id = btf.types.findIndex((t) => t.kind === kind && btf.str(t.nameOff) === name);
      if (id < 0) throw new Error(`no BTF ${kind} '${name}'`);
      return id;
    },
    /** word 0 name_off, 1 info, 2 size/type, 3… the kind's extra words. */
    setWord(id, word, value) {
      dv.setUint32(typesStart + btf.types[id]!.rawOff + 4 * word, value >>> 0, true);
    },
  };
}

/** The first modifier (const/volatile/typedef/…) on the type chain of a VAR. */
export function firstModifier(btf: Btf, varId: number): number {
  const mods = new Set<number>([BtfKind.CONST, BtfKind.VOLATILE, BtfKind.TYPEDEF, BtfKind.RESTRICT, BtfKind.TYPE_TAG]);
  let id = btf.types[varId]!.sizeOrType;
  for (let n = 0; n < 16; n++) {
    const t = btf.types[id]!;
    if (mods.has(t.kind)) return id;
    id = t.sizeOrType;
  }
  throw new Error('no modifier on the chain');
}
