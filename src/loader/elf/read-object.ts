// readElf(): opens a BPF object the way libbpf's bpf_object__open() does — ELF sections, programs
// split by function symbols, externs, BTF fixups, maps, section-name → program type, and the
// relocations recorded against each program. Never throws for malformed input: the result is a
// value carrying either the object or a LoaderError naming what is wrong.

import { Errno } from '../../syscall/errno.js';
import { Btf, BtfKind } from '../../btf/btf.js';
import { parseBtfExt, type BtfExt } from '../../btf/btf-ext.js';
import { BtfFormatError } from '../../btf/errors.js';
import { capture, fail, type Result } from '../errors.js';
import { MapType } from '../uapi.js';
import { fixupBtf } from './btf-fixup.js';
import {
  type ElfFile, type ElfSection, parseElfFile, SHF_EXECINSTR, SHN_LORESERVE, SHT_LLVM_ADDRSIG, SHT_NOBITS,
  SHT_PROGBITS, SHT_REL, SHT_STRTAB, SHT_SYMTAB,
} from './elf-file.js';
import { collectExterns, symIsExtern } from './externs.js';
import { initUserBtfMaps, internalMap, kconfigMap, MAPS_ELF_SEC, valuesMemberOffset } from './maps.js';
import type { BpfMap, BpfObject, BpfProgram, ProgReloc, RawRelocation } from './object-types.js';
import { findSecDef } from './section-defs.js';
import { parseRel, parseSymbolTable, STB_LOCAL, STT_FUNC, STT_SECTION, STV_HIDDEN, STV_INTERNAL, type ElfSymbol } from './symbols.js';

const BPF_INSN_SZ = 8;
/**
 * Our bound on a .bss/.data/.rodata section (NOBITS sizes are not bounded by the file). The
 * kernel refuses array-map values above KMALLOC_MAX_SIZE (4 MiB on x86-64) anyway; 16 MiB leaves
 * room for such objects to be generated and refused by the kernel, while keeping generation (the
 * blob, a header literal of twice the size) bounded in time and memory (issue L fuzzing).
 */
const MAX_GLOBAL_DATA_SIZE = 16 * 1024 * 1024;
const BPF_LD_IMM64 = 0x18;
const BPF_CALL = 0x85;
const BPF_PSEUDO_CALL = 1;

type SecType = 'data' | 'rodata' | 'bss' | 'relo' | undefined;

export interface ReadElfOptions {
  /**
   * libbpf's object name. bpftool passes the object file's base name without `.o`, sanitised to a
   * C identifier (`minimal.bpf.o` → `minimal_bpf`); it prefixes internal map names. Default `obj`.
   */
  objectName?: string;
}

/** bpftool get_obj_name(): file base name, `.o` stripped, non-identifier characters → `_`. */
export function objectNameFromPath(path: string): string {
  let name = path.slice(path.lastIndexOf('/') + 1).slice(0, 63);
  if (name.endsWith('.o')) name = name.slice(0, -2);
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

export function readElf(bytes: Uint8Array, options: ReadElfOptions = {}): Result<BpfObject> {
  return capture('elf', () => openObject(bytes, options.objectName ?? 'obj'));
}

function isDwarf(name: string): boolean {
  return name.startsWith('.debug_');
}

/** libbpf ignore_elf_section(). */
function ignoreSection(s: ElfSection): boolean {
  if (s.type === SHT_STRTAB || s.type === SHT_LLVM_ADDRSIG) return true;
  if (s.type === SHT_PROGBITS && s.size === 0 && s.name === '.text') return true;
  if (isDwarf(s.name)) return true;
  if (s.name.startsWith('.rel')) {
    const target = s.name.slice(4);
    if (isDwarf(target) || target === '.BTF' || target === '.BTF.ext') return true;
  }
  return false;
}

function openObject(bytes: Uint8Array, objName: string): BpfObject {
  const elf = parseElfFile(bytes);
  const { symbols } = parseSymbolTable(elf);
  const name = objName;
  // libbpf keeps the object name in a 16-byte array; internal map names use that copy
  const libbpfName = objName.slice(0, 15);

  let license = '';
  let kernVersion = 0;
  let textShndx = 0;
  let mapsShndx = -1;
  let btfSec: ElfSection | undefined;
  let btfExtSec: ElfSection | undefined;
  const secTypes: SecType[] = new Array(elf.sections.length).fill(undefined);
  const protoPrograms: ProtoProgram[] = [];

  for (const s of elf.sections.slice(1)) {
    if (ignoreSection(s)) continue;
    if (s.name === 'license') {
      // libbpf_strlcpy(obj->license, data, min(size + 1, 64))
      const n = Math.min(s.size + 1, 64) - 1;
      const raw = s.data.subarray(0, n);
      const nul = raw.indexOf(0);
      license = new TextDecoder().decode(nul >= 0 ? raw.subarray(0, nul) : raw);
    } else if (s.name === 'version') {
      if (s.size !== 4) fail('elf', `invalid kver section: size ${s.size}, expected 4`);
      kernVersion = new DataView(s.data.buffer, s.data.byteOffset, 4).getUint32(0, true);
    } else if (s.name === 'maps') {
      fail('unsupported', "legacy map definitions in 'maps' section are not supported by libbpf v1.0+", Errno.EOPNOTSUPP);
    } else if (s.name === MAPS_ELF_SEC) {
      mapsShndx = s.index;
    } else if (s.name === '.BTF') {
      if (s.type !== SHT_PROGBITS) fail('btf', '.BTF section is not SHT_PROGBITS');
      btfSec = s;
    } else if (s.name === '.BTF.ext') {
      if (s.type !== SHT_PROGBITS) fail('btf.ext', '.BTF.ext section is not SHT_PROGBITS');
      btfExtSec = s;
    } else if (s.type === SHT_SYMTAB) {
      // parsed above
    } else if (s.type === SHT_PROGBITS && s.size > 0) {
      if (s.flags & SHF_EXECINSTR) {
        if (s.name === '.text') textShndx = s.index;
        protoPrograms.push(...addPrograms(s, symbols, textShndx));
      } else if (s.name === '.data' || s.name.startsWith('.data.')) {
        secTypes[s.index] = 'data';
      } else if (s.name === '.rodata' || s.name.startsWith('.rodata.')) {
        secTypes[s.index] = 'rodata';
      } else if (s.name === '.struct_ops' || s.name === '.struct_ops.link') {
        fail('unsupported', `struct_ops maps (section '${s.name}') are not supported by this generator`, Errno.EOPNOTSUPP);
      }
      // other data sections: libbpf skips them ("unrecognized data section")
    } else if (s.type === SHT_REL) {
      if (s.entsize !== 16 || s.info >= elf.sections.length) fail('elf', `relocation section '${s.name}' has a bad sh_entsize or target index`);
      const target = elf.sections[s.info];
      if (!(target.flags & SHF_EXECINSTR) && s.name !== `.rel${MAPS_ELF_SEC}` && s.name !== '.rel.struct_ops' && s.name !== '.rel.struct_ops.link') continue;
      secTypes[s.index] = 'relo';
    } else if (s.type === SHT_NOBITS && (s.name === '.bss' || s.name.startsWith('.bss.'))) {
      secTypes[s.index] = 'bss';
    }
  }

  // sort programs by (section index, offset)
  protoPrograms.sort((a, b) => (a.secIdx !== b.secIdx ? a.secIdx - b.secIdx : a.secInsnOff - b.secInsnOff));

  // libbpf bpf_object__init_btf(): a bad .BTF is fatal only when libbpf itself needs BTF (a .maps
  // section); otherwise it warns and goes on without BTF. A bad .BTF.ext is always just ignored.
  const warnings: string[] = [];
  let btf: Btf | undefined;
  let btfExt: BtfExt | undefined;
  if (btfSec) {
    try {
      btf = Btf.parse(btfSec.data);
    } catch (e) {
      if (mapsShndx >= 0 || !(e instanceof BtfFormatError)) throw e;
      warnings.push(`Error loading ELF section .BTF (${e.message}); BTF is optional, continuing without it`);
    }
  }
  if (btfExtSec && btf) {
    try {
      btfExt = parseBtfExt(btfExtSec.data, btf);
    } catch (e) {
      if (!(e instanceof BtfFormatError)) throw e;
      warnings.push(`Error loading ELF section .BTF.ext (${e.message}); ignored`);
    }
  }

  const externs = collectExterns(symbols, btf);
  const hiddenVars = btf ? fixupBtf(btf, elf, symbols) : [];

  // maps: BTF-defined, then global data (section order), then .kconfig
  const mapsSec = mapsShndx >= 0 ? elf.sections[mapsShndx] : undefined;
  const maps: BpfMap[] = initUserBtfMaps(btf, mapsSec);
  for (let i = 1; i < elf.sections.length; i++) {
    const t = secTypes[i];
    const s = elf.sections[i];
    if (!t || t === 'relo' || s.size === 0) continue;
    if (s.size > MAX_GLOBAL_DATA_SIZE)
      fail('elf', `section '${s.name}' is ${s.size} bytes; global-data sections larger than ${MAX_GLOBAL_DATA_SIZE} bytes are refused`, Errno.E2BIG);
    const data = t === 'bss' ? new Uint8Array(s.size) : s.data.slice();
    maps.push(internalMap(libbpfName, t, s.name, i, data, btf));
  }
  const symtabIdx = elf.sections.findIndex((s) => s.type === SHT_SYMTAB);
  const kmap = kconfigMap(libbpfName, externs, symtabIdx, btf);
  const kconfigMapIdx = kmap ? maps.length : -1;
  if (kmap) maps.push(kmap);

  const programs: BpfProgram[] = protoPrograms.map((p) => {
    const secDef = findSecDef(p.secName);
    return { ...p, secDef, type: secDef?.progType ?? 0, expectedAttachType: secDef?.expectedAttachType ?? 0, relocs: [] };
  });

  const objBase = { name, elf, symbols, license, kernVersion, btf, btfExt, programs, maps, externs, textShndx, kconfigMapIdx, hiddenVars, warnings };
  const rawRelocations = collectRelos(objBase, secTypes, mapsShndx);
  return { ...objBase, rawRelocations };
}

type ProtoProgram = Omit<BpfProgram, 'secDef' | 'type' | 'expectedAttachType' | 'relocs'>;

/** libbpf bpf_object__add_programs(): one program per STT_FUNC symbol of an executable section. */
function addPrograms(s: ElfSection, symbols: readonly ElfSymbol[], textShndx: number): ProtoProgram[] {
  const out: ProtoProgram[] = [];
  const rawName = s.name;
  for (const sym of symbols) {
    if (sym.shndx !== s.index || sym.type !== STT_FUNC) continue;
    const off = sym.value;
    const sz = sym.size;
    if (off + sz > s.size) fail('program', `sec '${rawName}': program '${sym.name}' at offset ${off} crosses the section boundary`);
    if (s.index !== textShndx && sym.bind === STB_LOCAL) fail('program', `sec '${rawName}': program '${sym.name}' is static and not supported`, Errno.EOPNOTSUPP);
    if (sz === 0 || sz % BPF_INSN_SZ !== 0 || off % BPF_INSN_SZ !== 0)
      fail('program', `sec '${rawName}': corrupted program '${sym.name}', offset ${off}, size ${sz}`);
    const symGlobal = sym.bind !== STB_LOCAL;
    out.push({
      name: sym.name,
      secName: rawName.startsWith('?') ? rawName.slice(1) : rawName,
      secIdx: s.index,
      secInsnOff: off / BPF_INSN_SZ,
      secInsnCnt: sz / BPF_INSN_SZ,
      insns: s.data.slice(off, off + sz),
      autoload: !rawName.startsWith('?'),
      symGlobal,
      markBtfStatic: symGlobal && (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL),
    });
  }
  return out;
}

interface ObjBase {
  elf: ElfFile;
  symbols: readonly ElfSymbol[];
  programs: BpfProgram[];
  maps: BpfMap[];
  externs: BpfObject['externs'];
  textShndx: number;
  kconfigMapIdx: number;
  btf: Btf | undefined;
}

function findProgBySecInsn(programs: readonly BpfProgram[], secIdx: number, insnIdx: number): BpfProgram | undefined {
  return programs.find((p) => p.secIdx === secIdx && insnIdx >= p.secInsnOff && insnIdx < p.secInsnOff + p.secInsnCnt);
}

function symDisplayName(elf: ElfFile, sym: ElfSymbol): string {
  if (sym.type === STT_SECTION && sym.nameOff === 0) return elf.sections[sym.shndx]?.name ?? '<?>';
  return sym.name;
}

/** libbpf bpf_object__collect_relos(); returns every relocation record for `inspect`. */
function collectRelos(obj: ObjBase, secTypes: SecType[], mapsShndx: number): RawRelocation[] {
  const { elf, symbols } = obj;
  const raw: RawRelocation[] = [];
  for (const s of elf.sections) {
    if (s.type !== SHT_REL) continue;
    const target = elf.sections[s.info]?.name ?? `#${s.info}`;
    for (const r of parseRel(s, symbols.length)) {
      raw.push({ section: s.name, target, offset: r.offset, type: r.type, symbol: symDisplayName(elf, symbols[r.symIndex]) });
    }
  }
  for (let i = 0; i < elf.sections.length; i++) {
    if (secTypes[i] !== 'relo') continue;
    const s = elf.sections[i];
    if (s.info === mapsShndx) collectMapRelos(obj, s);
    else collectProgRelos(obj, s, secTypes, mapsShndx);
  }
  for (const p of obj.programs) p.relocs.sort((a, b) => a.insnIdx - b.insnIdx || relocRank(a) - relocRank(b));
  return raw;
}

const RELOC_ORDER: Record<ProgReloc['kind'], number> = { ld64: 0, call: 1, data: 2, extern_ld64: 3, extern_call: 4, subprog_addr: 5 };
function relocRank(r: ProgReloc): number {
  return RELOC_ORDER[r.kind];
}

function collectProgRelos(obj: ObjBase, relSec: ElfSection, secTypes: SecType[], mapsShndx: number): void {
  const { elf, symbols, programs, maps, externs, textShndx } = obj;
  const secIdx = relSec.info;
  const target = elf.sections[secIdx];
  const rels = parseRel(relSec, symbols.length);
  rels.forEach((rel, i) => {
    const sym = symbols[rel.symIndex];
    if (sym.shndx >= elf.sections.length && sym.shndx < SHN_LORESERVE)
      fail('relocation', `sec '${relSec.name}': corrupted symbol #${rel.symIndex} pointing to invalid section #${sym.shndx} for relo #${i}`);
    if (rel.offset % BPF_INSN_SZ !== 0 || rel.offset >= target.size)
      fail('relocation', `sec '${relSec.name}': invalid offset 0x${rel.offset.toString(16)} for relo #${i}`);
    const secInsn = rel.offset / BPF_INSN_SZ;
    const symName = symDisplayName(elf, sym);
    const prog = findProgBySecInsn(programs, secIdx, secInsn);
    if (!prog) return; // overridden weak function: libbpf skips it
    const insnIdx = secInsn - prog.secInsnOff;
    const code = prog.insns[insnIdx * 8];
    const srcReg = prog.insns[insnIdx * 8 + 1] >> 4;
    const imm = new DataView(prog.insns.buffer, prog.insns.byteOffset).getInt32(insnIdx * 8 + 4, true);
    const isCall = code === BPF_CALL;
    const isLdimm64 = code === BPF_LD_IMM64;
    const base = { insnIdx, mapIdx: -1, symOff: 0, extIdx: -1, elfType: rel.type, symName };
    if (!isCall && !isLdimm64)
      fail('relocation', `prog '${prog.name}': invalid relo against '${symName}' for insns[${insnIdx}].code 0x${code.toString(16)}`);
    if (isLdimm64 && insnIdx + 1 >= prog.secInsnCnt)
      fail('relocation', `prog '${prog.name}': ld_imm64 at insns[${insnIdx}] is truncated`);

    if (symIsExtern(sym)) {
      const extIdx = externs.findIndex((e) => e.symIdx === rel.symIndex);
      if (extIdx < 0) fail('relocation', `prog '${prog.name}': extern relo failed to find extern for '${symName}' (${rel.symIndex})`);
      prog.relocs.push({ ...base, kind: isCall ? 'extern_call' : 'extern_ld64', extIdx });
      return;
    }
    if (isCall) {
      if (srcReg !== BPF_PSEUDO_CALL) fail('relocation', `prog '${prog.name}': incorrect bpf_call opcode`);
      if (!sym.shndx || sym.shndx !== textShndx)
        fail('relocation', `prog '${prog.name}': bad call relo against '${symName}' in section '${elf.sections[sym.shndx]?.name ?? '?'}'`);
      if (sym.value % BPF_INSN_SZ) fail('relocation', `prog '${prog.name}': bad call relo against '${symName}' at offset ${sym.value}`);
      prog.relocs.push({ ...base, kind: 'call', symOff: sym.value });
      return;
    }
    if (!sym.shndx || sym.shndx >= SHN_LORESERVE)
      fail('relocation', `prog '${prog.name}': invalid relo against '${symName}' in special section 0x${sym.shndx.toString(16)}; forgot to initialize global var?..`);
    // loading a subprogram's address
    if (sym.shndx === textShndx && ((sym.bind === STB_LOCAL && sym.type === STT_SECTION) || (sym.bind === 1 && sym.type === STT_FUNC))) {
      if (sym.value % BPF_INSN_SZ || imm % BPF_INSN_SZ)
        fail('relocation', `prog '${prog.name}': bad subprog addr relo against '${symName}' at offset ${sym.value}+${imm}`);
      prog.relocs.push({ ...base, kind: 'subprog_addr', symOff: sym.value });
      return;
    }
    const st = secTypes[sym.shndx];
    if (st !== 'data' && st !== 'rodata' && st !== 'bss') {
      if (sym.shndx !== mapsShndx)
        fail('relocation', `prog '${prog.name}': bad map relo against '${symName}' in section '${elf.sections[sym.shndx]?.name ?? '?'}'`);
      const mapIdx = maps.findIndex((m) => m.libbpfType === 'user' && m.secIdx === sym.shndx && m.secOffset === sym.value);
      if (mapIdx < 0) fail('relocation', `prog '${prog.name}': map relo failed to find map for section '${elf.sections[sym.shndx].name}', off ${sym.value}`);
      prog.relocs.push({ ...base, kind: 'ld64', mapIdx });
      return;
    }
    const mapIdx = maps.findIndex((m) => m.libbpfType === st && m.secIdx === sym.shndx);
    if (mapIdx < 0) fail('relocation', `prog '${prog.name}': data relo failed to find map for section '${elf.sections[sym.shndx].name}'`);
    prog.relocs.push({ ...base, kind: 'data', mapIdx, symOff: sym.value });
  });
}

/** `.rel.maps`: map-in-map and prog-array slot initialisers. */
function collectMapRelos(obj: ObjBase, relSec: ElfSection): void {
  const { btf, maps, symbols, programs } = obj;
  if (!btf) fail('maps', '.rel.maps needs BTF');
  parseRel(relSec, symbols.length).forEach((rel, i) => {
    const sym = symbols[rel.symIndex];
    const name = sym.name || '<?>';
    const map = maps.find((m) => {
      if (m.libbpfType !== 'user') return false;
      const size = btf.resolveSize(btf.type(btf.skipModsAndTypedefs(btf.type(btfVarOf(btf, m)).sizeOrType)).id);
      return m.secOffset <= rel.offset && rel.offset + 8 <= m.secOffset + size;
    });
    if (!map) fail('maps', `.maps relo #${i}: cannot find map '${name}' at rel->r_offset ${rel.offset}`);
    const isMapInMap = map.type === MapType.ARRAY_OF_MAPS || map.type === MapType.HASH_OF_MAPS;
    const isProgArray = map.type === MapType.PROG_ARRAY;
    if (isMapInMap) {
      if (!maps.some((m) => m.name === name)) fail('maps', `.maps relo #${i}: '${name}' isn't a valid map reference`, Errno.ESRCH);
    } else if (isProgArray) {
      if (!programs.some((p) => p.name === name)) fail('maps', `.maps relo #${i}: '${name}' isn't a valid program reference`, Errno.ESRCH);
    } else {
      fail('maps', `.maps relo #${i}: map '${map.name}' is neither a map-in-map nor a prog-array`);
    }
    const moff = rel.offset - map.secOffset - valuesMemberOffset(btf, map);
    if (moff < 0 || moff % 8) fail('maps', `.maps relo #${i}: slot offset ${moff} is invalid`);
    map.initSlots.push({ slot: moff / 8, target: name });
  });
}

function btfVarOf(btf: Btf, m: BpfMap): number {
  const secId = btf.findByNameKind(MAPS_ELF_SEC, BtfKind.DATASEC);
  const sec = btf.type(secId);
  return sec.extra[3 * m.btfVarIdx];
}
