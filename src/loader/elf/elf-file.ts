// ELF header and section table of a BPF object — the one module that uses elfy.
//
// elfy 1.0.0 parses the ELF identification, the header and the section-header table and resolves
// section names; we use it for exactly that. It is not trusted beyond it:
//   - it reads ELF64 sh_addralign/sh_entsize at offsets 46/54 instead of 48/56, so both are read
//     here from the raw section header;
//   - it does not know EM_BPF (247) and maps sh_type through a name table, so e_machine and
//     sh_type are read here as numbers;
//   - it slices file bytes for SHT_NOBITS sections, which have none; we give NOBITS an empty view;
//   - it throws plain Errors/asserts on bad input, so every bound it relies on is checked here
//     first and anything it still throws becomes an ObjectFormatError naming the problem.
// See docs/architecture.md ("ELF reading") for why elfy is kept at all.

import elfy from 'elfy';
import { fail, ObjectFormatError } from '../errors.js';

export const EM_BPF = 247;
export const ET_REL = 1;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_LLVM_ADDRSIG = 0x6fff4c03;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_MERGE = 0x10;
export const SHF_STRINGS = 0x20;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
  /** File bytes of the section (empty for SHT_NOBITS). */
  readonly data: Uint8Array;
}

export interface ElfFile {
  readonly bytes: Uint8Array;
  readonly type: number;
  readonly machine: number;
  readonly sections: readonly ElfSection[];
  readonly shstrndx: number;
}

interface ElfyHeader {
  class: string;
  endian: string;
  shoff: number;
  shnum: number;
  shentsize: number;
  shstrndx: number;
  body: { sections: Array<{ name: string; off: number; size: number; link: number; info: number; flags: Record<string, boolean> }> };
}

/** Parses the ELF header and section table. Throws ObjectFormatError on malformed input. */
export function parseElfFile(bytes: Uint8Array): ElfFile {
  if (bytes.length < 64) fail('elf', `file is ${bytes.length} bytes, too short for an ELF64 header (64 bytes)`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    fail('elf', 'not an ELF file (bad magic; expected \\x7fELF)');
  if (bytes[4] !== 2) fail('elf', `ELF class ${bytes[4]} is not ELFCLASS64; BPF objects are 64-bit`);
  if (bytes[5] !== 1)
    fail('elf', bytes[5] === 2 ? 'big-endian BPF objects are not supported (ELFDATA2MSB)' : `invalid ELF data encoding ${bytes[5]}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  // libbpf: "not a valid eBPF object file" unless e_type == ET_REL and e_machine is 0 or EM_BPF
  if (type !== ET_REL) fail('elf', `e_type ${type} is not ET_REL (a BPF object is a relocatable file)`);
  if (machine !== 0 && machine !== EM_BPF) fail('elf', `e_machine ${machine} is not EM_BPF (247)`);
  const shoff = Number(dv.getBigUint64(40, true));
  const shentsize = dv.getUint16(58, true);
  let shnum = dv.getUint16(60, true);
  let shstrndx = dv.getUint16(62, true);
  if (shoff === 0) fail('elf', 'the file has no section header table (e_shoff = 0)');
  if (shentsize !== 64) fail('elf', `e_shentsize ${shentsize} is not 64`);
  if (shoff > bytes.length - 64) fail('elf', `section header table offset ${shoff} is past the end of the file (${bytes.length} bytes)`);
  if (shnum === 0) shnum = Number(dv.getBigUint64(shoff + 32, true)); // extended numbering: sh_size of section 0
  if (shstrndx === SHN_XINDEX) shstrndx = dv.getUint32(shoff + 40, true);
  if (shnum === 0 || shnum > 0xffffff) fail('elf', `section count ${shnum} is invalid`);
  if (shoff + shnum * 64 > bytes.length)
    fail('elf', `section header table (${shnum} × 64 bytes at ${shoff}) runs past the end of the file (${bytes.length} bytes)`);
  if (shstrndx >= shnum) fail('elf', `e_shstrndx ${shstrndx} is not a valid section index (${shnum} sections)`);

  // Raw fields we read ourselves, and bounds elfy would otherwise trip over.
  const raw: Array<{ nameOff: number; type: number; flags: number; offset: number; size: number; link: number; info: number; addralign: number; entsize: number }> = [];
  for (let i = 0; i < shnum; i++) {
    const p = shoff + i * 64;
    const h = {
      nameOff: dv.getUint32(p, true),
      type: dv.getUint32(p + 4, true),
      flags: Number(dv.getBigUint64(p + 8, true) & 0xffffffffn),
      offset: Number(dv.getBigUint64(p + 24, true)),
      size: Number(dv.getBigUint64(p + 32, true)),
      link: dv.getUint32(p + 40, true),
      info: dv.getUint32(p + 44, true),
      addralign: Number(dv.getBigUint64(p + 48, true)),
      entsize: Number(dv.getBigUint64(p + 56, true)),
    };
    if (i > 0 && h.type !== SHT_NOBITS && h.type !== SHT_NULL && (h.offset > bytes.length || h.size > bytes.length - h.offset))
      fail('elf', `section #${i}: data [${h.offset}, +${h.size}) runs past the end of the file (${bytes.length} bytes)`);
    raw.push(h);
  }
  const strtab = raw[shstrndx];
  if (strtab.type !== SHT_STRTAB) fail('elf', `section #${shstrndx} named by e_shstrndx is not a string table (type ${strtab.type})`);
  for (let i = 0; i < shnum; i++) {
    if (raw[i].nameOff >= strtab.size && !(i === 0 && raw[i].nameOff === 0))
      fail('elf', `section #${i}: name offset ${raw[i].nameOff} is outside the section-name string table (${strtab.size} bytes)`);
  }

  let parsed: ElfyHeader;
  try {
    parsed = elfy.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as ElfyHeader;
  } catch (e) {
    if (e instanceof ObjectFormatError) throw e;
    fail('elf', `ELF header or section table is malformed: ${(e as Error).message}`);
  }
  if (parsed.class !== '64' || parsed.endian !== 'lsb' || parsed.body.sections.length !== shnum)
    fail('elf', 'ELF header is inconsistent (class, endianness or section count)');

  const sections: ElfSection[] = parsed.body.sections.map((s, index) => {
    const r = raw[index];
    const data = r.type === SHT_NOBITS || r.type === SHT_NULL ? new Uint8Array(0) : bytes.subarray(r.offset, r.offset + r.size);
    return {
      index,
      name: s.name,
      type: r.type,
      flags: r.flags,
      offset: s.off,
      size: s.size,
      link: s.link,
      info: s.info,
      addralign: r.addralign,
      entsize: r.entsize,
      data,
    };
  });
  return { bytes, type, machine, sections, shstrndx };
}
