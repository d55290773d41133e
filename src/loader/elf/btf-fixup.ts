// libbpf's open-time DATASEC fixup (bpf_object_fixup_btf / btf_fixup_datasec): clang leaves
// DATASEC sizes and VAR offsets at zero; they are filled from the ELF section size and the
// variables' symbols. Global variables with hidden/internal visibility are marked static (so they
// stay out of the skeleton and do not make their map mmap-able). VARs are then sorted by offset.

import { Errno } from '../../syscall/errno.js';
import { BTF_VAR_GLOBAL_EXTERN, BTF_VAR_STATIC, BtfKind, type Btf, type BtfType, secinfo, setSecinfo, setVarLinkage, varLinkage } from '../../btf/btf.js';
import { fail } from '../errors.js';
import type { ElfFile } from './elf-file.js';
import { KCONFIG_SEC, KSYMS_SEC } from './externs.js';
import { STB_GLOBAL, STB_WEAK, STT_OBJECT, STV_HIDDEN, STV_INTERNAL, type ElfSymbol } from './symbols.js';

function findElfVarSym(symbols: readonly ElfSymbol[], name: string): ElfSymbol | undefined {
  return symbols.find((s) => s.type === STT_OBJECT && (s.bind === STB_GLOBAL || s.bind === STB_WEAK) && s.name === name);
}

function fixupDatasec(btf: Btf, t: BtfType, elf: ElfFile, symbols: readonly ElfSymbol[], hidden: number[]): void {
  const secName = btf.str(t.nameOff);
  const vars = t.vlen;
  if (secName !== KCONFIG_SEC && secName !== KSYMS_SEC) {
    let fixupOffsets = false;
    if (t.sizeOrType === 0) {
      const sec = elf.sections.find((s) => s.name === secName);
      if (!sec || sec.size === 0)
        fail('btf', `DATASEC '${secName}': failed to determine its size from the ELF section of that name`, Errno.ENOENT);
      t.sizeOrType = sec.size;
      fixupOffsets = true;
    }
    for (let i = 0; i < vars; i++) {
      const vs = secinfo(t, i);
      const tv = btf.type(vs.type);
      if (tv.kind !== BtfKind.VAR) fail('btf', `DATASEC '${secName}': member #${i} is not a VAR`, Errno.EINVAL);
      const linkage = varLinkage(tv);
      if (linkage === BTF_VAR_STATIC || linkage === BTF_VAR_GLOBAL_EXTERN) continue;
      const varName = btf.str(tv.nameOff);
      const sym = findElfVarSym(symbols, varName);
      if (!sym) fail('btf', `DATASEC '${secName}': failed to find ELF symbol for VAR '${varName}'`, Errno.ENOENT);
      if (fixupOffsets) setSecinfo(t, i, { ...vs, offset: sym.value });
      if (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL) {
        setVarLinkage(tv, BTF_VAR_STATIC);
        hidden.push(tv.id);
      }
    }
  }
  // stable sort by offset (glibc qsort merge-sorts; offsets are distinct in practice)
  const infos = Array.from({ length: vars }, (_, i) => secinfo(t, i));
  infos.sort((a, b) => a.offset - b.offset);
  infos.forEach((v, i) => setSecinfo(t, i, v));
}

/** Applies the fixups in place; returns the ids of VARs turned static because they are hidden. */
export function fixupBtf(btf: Btf, elf: ElfFile, symbols: readonly ElfSymbol[]): number[] {
  const hidden: number[] = [];
  for (let i = 1; i < btf.typeCount; i++) {
    const t = btf.type(i);
    if (t.kind === BtfKind.DATASEC) fixupDatasec(btf, t, elf, symbols, hidden);
  }
  return hidden;
}
