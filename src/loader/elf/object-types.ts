// The in-memory model of an opened BPF object: what libbpf knows after bpf_object__open() —
// programs split out of their sections, maps (BTF-defined and global data), externs, BTF with the
// open-time fixups applied, .BTF.ext, and the relocations recorded against each program.

import type { Btf } from '../../btf/btf.js';
import type { BtfExt } from '../../btf/btf-ext.js';
import type { ElfFile } from './elf-file.js';
import type { SecDef } from './section-defs.js';
import type { ElfSymbol } from './symbols.js';

/** libbpf enum reloc_type. */
export type RelocKind = 'ld64' | 'call' | 'data' | 'extern_ld64' | 'extern_call' | 'subprog_addr';

export interface ProgReloc {
  readonly kind: RelocKind;
  /** Instruction index inside the program (not the section). */
  readonly insnIdx: number;
  readonly mapIdx: number;
  readonly symOff: number;
  readonly extIdx: number;
  /** ELF relocation type (R_BPF_*) and the symbol it names, for `inspect`. */
  readonly elfType: number;
  readonly symName: string;
}

export interface BpfProgram {
  readonly name: string;
  /** Section name without a leading '?'. */
  readonly secName: string;
  readonly secIdx: number;
  /** Offset (in instructions) of this function inside its section. */
  readonly secInsnOff: number;
  readonly secInsnCnt: number;
  /** The function's instructions as in the ELF file (8 bytes each). */
  readonly insns: Uint8Array;
  readonly autoload: boolean;
  readonly symGlobal: boolean;
  /** global/weak symbol with hidden or internal visibility: its BTF FUNC is marked static */
  readonly markBtfStatic: boolean;
  readonly secDef: SecDef | undefined;
  readonly type: number;
  readonly expectedAttachType: number;
  /** Filled by collect_relos, sorted by instruction index. */
  relocs: ProgReloc[];
}

export type LibbpfMapType = 'user' | 'data' | 'bss' | 'rodata' | 'kconfig';

export interface BtfMapDef {
  mapType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags: number;
  numaNode: number;
  mapExtra: number;
  keyTypeId: number;
  valueTypeId: number;
  pinning: number;
}

export interface BpfMap {
  /** Name given to the kernel (internal maps: object-name prefix + section name, ≤ 15 chars). */
  readonly name: string;
  /** ELF section name for internal maps ('.rodata', '.data.custom', …); the variable name for user maps. */
  readonly realName: string;
  readonly libbpfType: LibbpfMapType;
  readonly secIdx: number;
  readonly secOffset: number;
  readonly btfVarIdx: number;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Flags from the definition plus, for internal maps, BPF_F_RDONLY_PROG (libbpf 1.x). */
  mapFlags: number;
  numaNode: number;
  mapExtra: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  pinning: number;
  /** libbpf ≥ 1.3 map_is_mmapable(): a DATASEC with at least one non-static VAR. */
  readonly hasGlobalVars: boolean;
  /** Initial contents of internal maps (value_size bytes); undefined for user maps. */
  readonly initialValue: Uint8Array | undefined;
  readonly innerMap: BpfMap | undefined;
  /** `.maps` relocations filling map-in-map / prog-array slots (slot index → target name). */
  readonly initSlots: Array<{ slot: number; target: string }>;
}

export type ExternType = 'kcfg' | 'ksym';

export interface KcfgInfo {
  sz: number;
  align: number;
  type: 'unknown' | 'char' | 'bool' | 'int' | 'tristate' | 'char_arr';
  isSigned: boolean;
  dataOff: number;
}

export interface BpfExtern {
  readonly name: string;
  /** Name without a ___flavor suffix, when it has one. */
  readonly essentName: string | undefined;
  readonly type: ExternType;
  readonly symIdx: number;
  readonly btfId: number;
  readonly secBtfId: number;
  readonly isWeak: boolean;
  /** FUNC (kfunc) or VAR (ksym / kconfig). */
  readonly isFunc: boolean;
  /** For ksyms: the local BTF type the extern has (0 = typeless ksym). */
  readonly ksymTypeId: number;
  readonly kcfg: KcfgInfo | undefined;
}

export interface RawRelocation {
  readonly section: string;
  readonly target: string;
  readonly offset: number;
  readonly type: number;
  readonly symbol: string;
}

export interface BpfObject {
  /** Object name (bpftool passes the sanitised file name, e.g. `minimal_bpf`); libbpf keeps its
   *  first 15 characters for internal map names; the skeleton uses all of it. */
  readonly name: string;
  readonly elf: ElfFile;
  readonly symbols: readonly ElfSymbol[];
  readonly license: string;
  readonly kernVersion: number;
  /** BTF after libbpf's open-time fixups (DATASEC sizes/offsets, .ksyms rewriting). */
  readonly btf: Btf | undefined;
  readonly btfExt: BtfExt | undefined;
  /** Sorted by (section index, offset), subprograms included — libbpf's obj->programs. */
  readonly programs: readonly BpfProgram[];
  readonly maps: readonly BpfMap[];
  /** Sorted as libbpf sorts them (kconfig first, then ksyms; by name). */
  readonly externs: readonly BpfExtern[];
  readonly textShndx: number;
  readonly kconfigMapIdx: number;
  /** BTF VAR ids libbpf ≥ 1.2 turns static because their symbol is hidden (libbpf 1.1 does not). */
  readonly hiddenVars: readonly number[];
  /** What libbpf would print as warnings while opening (and then carry on). */
  readonly warnings: readonly string[];
  /** Every relocation record in the file (including the ones libbpf ignores), for `inspect`. */
  readonly rawRelocations: readonly RawRelocation[];
}

export function progIsSubprog(obj: BpfObject, prog: BpfProgram): boolean {
  return prog.secIdx === obj.textShndx && obj.programs.length > 1;
}

export function mapIsInternal(map: BpfMap): boolean {
  return map.libbpfType !== 'user';
}
