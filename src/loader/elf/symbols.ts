// ELF64 symbol table and REL relocation records of a BPF object.

import { fail } from '../errors.js';
import type { ElfFile, ElfSection } from './elf-file.js';
import { SHT_SYMTAB } from './elf-file.js';

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;

export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STV_PROTECTED = 3;

export interface ElfSymbol {
  readonly index: number;
  readonly nameOff: number;
  /** Name from the symbol string table ('' when st_name is 0). */
  readonly name: string;
  readonly type: number;
  readonly bind: number;
  readonly visibility: number;
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

export interface SymbolTable {
  readonly section: ElfSection;
  readonly strtabIndex: number;
  readonly symbols: readonly ElfSymbol[];
}

const UTF8 = new TextDecoder();

function cstr(bytes: Uint8Array, off: number, what: string): string {
  if (off >= bytes.length) fail('elf', `${what}: string offset ${off} is outside its string table (${bytes.length} bytes)`);
  let end = off;
  while (end < bytes.length && bytes[end] !== 0) end++;
  if (end === bytes.length) fail('elf', `${what}: string at offset ${off} is not NUL-terminated`);
  return UTF8.decode(bytes.subarray(off, end));
}

export function parseSymbolTable(elf: ElfFile): SymbolTable {
  const symtabs = elf.sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length === 0) fail('elf', "couldn't find a symbol table (.symtab); stripped object file?");
  if (symtabs.length > 1) fail('elf', 'multiple symbol tables');
  const sec = symtabs[0];
  if (sec.entsize !== 24) fail('elf', `.symtab sh_entsize is ${sec.entsize}, expected 24 (Elf64_Sym)`);
  if (sec.size % 24 !== 0) fail('elf', `.symtab size ${sec.size} is not a multiple of 24`);
  if (sec.link === 0 || sec.link >= elf.sections.length) fail('elf', `.symtab sh_link ${sec.link} does not name a string table`);
  const strtab = elf.sections[sec.link];
  const dv = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < sec.size / 24; i++) {
    const p = i * 24;
    const nameOff = dv.getUint32(p, true);
    const info = dv.getUint8(p + 4);
    const other = dv.getUint8(p + 5);
    const shndx = dv.getUint16(p + 6, true);
    const value = Number(dv.getBigUint64(p + 8, true));
    const size = Number(dv.getBigUint64(p + 16, true));
    symbols.push({
      index: i,
      nameOff,
      name: nameOff === 0 ? '' : cstr(strtab.data, nameOff, `symbol #${i}`),
      type: info & 0xf,
      bind: info >> 4,
      visibility: other & 0x3,
      shndx,
      value,
      size,
    });
  }
  return { section: sec, strtabIndex: sec.link, symbols };
}

// ---- relocations ----

export const R_BPF_NONE = 0;
export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_ABS32 = 3;
export const R_BPF_64_NODYLD32 = 4;
export const R_BPF_64_32 = 10;

export const R_BPF_NAMES: Record<number, string> = {
  [R_BPF_NONE]: 'R_BPF_NONE',
  [R_BPF_64_64]: 'R_BPF_64_64',
  [R_BPF_64_ABS64]: 'R_BPF_64_ABS64',
  [R_BPF_64_ABS32]: 'R_BPF_64_ABS32',
  [R_BPF_64_NODYLD32]: 'R_BPF_64_NODYLD32',
  [R_BPF_64_32]: 'R_BPF_64_32',
};

export interface ElfRel {
  readonly offset: number;
  readonly symIndex: number;
  readonly type: number;
}

export function parseRel(sec: ElfSection, nsyms: number): ElfRel[] {
  if (sec.entsize !== 16) fail('elf', `${sec.name}: sh_entsize ${sec.entsize} is not 16 (Elf64_Rel)`);
  if (sec.size % 16 !== 0) fail('elf', `${sec.name}: size ${sec.size} is not a multiple of 16`);
  const dv = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  const out: ElfRel[] = [];
  for (let i = 0; i < sec.size / 16; i++) {
    const offset = Number(dv.getBigUint64(i * 16, true));
    const info = dv.getBigUint64(i * 16 + 8, true);
    const symIndex = Number(info >> 32n);
    const type = Number(info & 0xffffffffn);
    if (symIndex >= nsyms) fail('elf', `${sec.name}: relocation #${i} refers to symbol #${symIndex}, but there are only ${nsyms}`);
    out.push({ offset, symIndex, type });
  }
  return out;
}
