// Externs (kfuncs, ksyms, kconfig) and the BTF rewriting libbpf does for them at open time
// (bpf_object__collect_externs): a `dummy_ksym` VAR for .ksyms functions, .ksyms entries turned
// into 4-byte allocated variables, and .kconfig offsets laid out by alignment and size.

import { Errno } from '../../syscall/errno.js';
import {
  BTF_FUNC_EXTERN, BTF_FUNC_GLOBAL, BTF_INT_BOOL, BTF_INT_SIGNED, BTF_VAR_GLOBAL_ALLOCATED,
  BTF_VAR_GLOBAL_EXTERN, BtfKind, type Btf, arrayInfo, funcLinkage, intBits, intEncoding, param,
  secinfo, setParamName, setSecinfo, setVarLinkage, varLinkage,
} from '../../btf/btf.js';
import { fail } from '../errors.js';
import type { BpfExtern, KcfgInfo } from './object-types.js';
import { SHN_UNDEF } from './elf-file.js';
import { STB_GLOBAL, STB_WEAK, STT_NOTYPE, type ElfSymbol } from './symbols.js';

export const KSYMS_SEC = '.ksyms';
export const KCONFIG_SEC = '.kconfig';

export function symIsExtern(sym: ElfSymbol): boolean {
  return sym.shndx === SHN_UNDEF && (sym.bind === STB_GLOBAL || sym.bind === STB_WEAK) && sym.type === STT_NOTYPE;
}

/** Length of `name` up to its last `___flavor` suffix (libbpf bpf_core_essential_name_len). */
export function essentialNameLen(name: string): number {
  const n = name.length;
  for (let i = n - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return n;
}

function findExternBtfId(btf: Btf, name: string): number {
  for (let i = 1; i < btf.typeCount; i++) {
    const t = btf.type(i);
    if (t.kind !== BtfKind.VAR && t.kind !== BtfKind.FUNC) continue;
    if (btf.str(t.nameOff) !== name) continue;
    if (t.kind === BtfKind.VAR && varLinkage(t) !== BTF_VAR_GLOBAL_EXTERN)
      fail('extern', `extern '${name}': its BTF VAR is not declared extern`, Errno.EINVAL);
    if (t.kind === BtfKind.FUNC && funcLinkage(t) !== BTF_FUNC_EXTERN)
      fail('extern', `extern '${name}': its BTF FUNC is not declared extern`, Errno.EINVAL);
    return i;
  }
  fail('extern', `failed to find BTF for extern '${name}'`, Errno.ENOENT);
}

function findExternSecBtfId(btf: Btf, extBtfId: number): number {
  for (let i = 1; i < btf.typeCount; i++) {
    const t = btf.type(i);
    if (t.kind !== BtfKind.DATASEC) continue;
    for (let j = 0; j < t.vlen; j++) if (secinfo(t, j).type === extBtfId) return i;
  }
  return -1;
}

/** First 32-bit INT type (libbpf find_int_btf_id), 0 if none. */
function findIntBtfId(btf: Btf): number {
  for (let i = 1; i < btf.typeCount; i++) {
    const t = btf.type(i);
    if (t.kind === BtfKind.INT && intBits(t) === 32) return i;
  }
  return 0;
}

function addDummyKsymVar(btf: Btf): number {
  const secId = btf.findByNameKind(KSYMS_SEC, BtfKind.DATASEC);
  if (secId < 0) return 0;
  const sec = btf.type(secId);
  let hasFunc = false;
  for (let i = 0; i < sec.vlen; i++) if (btf.type(secinfo(sec, i).type).kind === BtfKind.FUNC) hasFunc = true;
  if (!hasFunc) return 0;
  return btf.addVar('dummy_ksym', BTF_VAR_GLOBAL_ALLOCATED, findIntBtfId(btf));
}

function kcfgType(btf: Btf, id: number): { type: KcfgInfo['type']; isSigned: boolean } {
  const t = btf.type(btf.skipModsAndTypedefs(id));
  const name = btf.str(t.nameOff);
  switch (t.kind) {
    case BtfKind.INT: {
      const enc = intEncoding(t);
      if (enc & BTF_INT_BOOL) return { type: t.sizeOrType === 1 ? 'bool' : 'unknown', isSigned: false };
      const isSigned = (enc & BTF_INT_SIGNED) !== 0;
      if (t.sizeOrType === 1) return { type: 'char', isSigned };
      if (t.sizeOrType < 1 || t.sizeOrType > 8 || (t.sizeOrType & (t.sizeOrType - 1)) !== 0) return { type: 'unknown', isSigned };
      return { type: 'int', isSigned };
    }
    case BtfKind.ENUM:
      return { type: t.sizeOrType === 4 && name === 'libbpf_tristate' ? 'tristate' : 'unknown', isSigned: false };
    case BtfKind.ENUM64:
      return { type: name === 'libbpf_tristate' ? 'tristate' : 'unknown', isSigned: false };
    case BtfKind.ARRAY: {
      const a = arrayInfo(t);
      if (a.nelems === 0) return { type: 'unknown', isSigned: false };
      return { type: kcfgType(btf, a.type).type === 'char' ? 'char_arr' : 'unknown', isSigned: false };
    }
    default:
      return { type: 'unknown', isSigned: false };
  }
}

/**
 * libbpf bpf_object__collect_externs(): finds extern symbols, sorts them, and rewrites the
 * .ksyms/.kconfig DATASECs of `btf` in place. Returns the sorted externs.
 */
export function collectExterns(symbols: readonly ElfSymbol[], btf: Btf | undefined): BpfExtern[] {
  const candidates = symbols.filter((s) => symIsExtern(s) && s.name !== '');
  if (candidates.length === 0) return [];
  if (!btf) fail('extern', `extern '${candidates[0].name}' needs BTF, but the object has no .BTF section`, Errno.ESRCH);

  const dummyVarId = addDummyKsymVar(btf);
  const externs: BpfExtern[] = [];
  let ksymSecId = 0;
  let kcfgSecId = 0;
  for (const sym of candidates) {
    const btfId = findExternBtfId(btf, sym.name);
    const t = btf.type(btfId);
    const name = btf.str(t.nameOff);
    const ess = essentialNameLen(name);
    const secBtfId = findExternSecBtfId(btf, btfId);
    if (secBtfId <= 0) fail('extern', `failed to find BTF for extern '${name}' [${btfId}] section`, Errno.ENOENT);
    const secName = btf.str(btf.type(secBtfId).nameOff);
    const isFunc = t.kind === BtfKind.FUNC;
    if (secName === KCONFIG_SEC) {
      if (isFunc) fail('extern', `extern function ${name} is unsupported under ${KCONFIG_SEC} section`, Errno.EOPNOTSUPP);
      kcfgSecId = secBtfId;
      const sz = btf.resolveSize(t.sizeOrType);
      if (sz <= 0) fail('extern', `failed to resolve size of extern (kcfg) '${name}'`);
      const align = btf.alignOf(t.sizeOrType);
      if (align <= 0) fail('extern', `failed to determine alignment of extern (kcfg) '${name}'`);
      const kt = kcfgType(btf, t.sizeOrType);
      if (kt.type === 'unknown') fail('extern', `extern (kcfg) '${name}': type is unsupported`, Errno.EOPNOTSUPP);
      externs.push({
        name, essentName: ess !== name.length ? name.slice(0, ess) : undefined, type: 'kcfg', symIdx: sym.index,
        btfId, secBtfId, isWeak: sym.bind === STB_WEAK, isFunc, ksymTypeId: 0,
        kcfg: { sz, align, type: kt.type, isSigned: kt.isSigned, dataOff: 0 },
      });
    } else if (secName === KSYMS_SEC) {
      ksymSecId = secBtfId;
      externs.push({
        name, essentName: ess !== name.length ? name.slice(0, ess) : undefined, type: 'ksym', symIdx: sym.index,
        btfId, secBtfId, isWeak: sym.bind === STB_WEAK, isFunc, ksymTypeId: btf.skipModsAndTypedefs(t.sizeOrType),
        kcfg: undefined,
      });
    } else {
      fail('extern', `unrecognized extern section '${secName}' for extern '${name}'`, Errno.EOPNOTSUPP);
    }
  }

  // sort by type (kcfg before ksym), kcfg by alignment (desc) then size (asc), ties by name
  externs.sort((a, b) => {
    if (a.type !== b.type) return a.type === 'kcfg' ? -1 : 1;
    if (a.type === 'kcfg' && a.kcfg && b.kcfg) {
      if (a.kcfg.align !== b.kcfg.align) return a.kcfg.align > b.kcfg.align ? -1 : 1;
      if (a.kcfg.sz !== b.kcfg.sz) return a.kcfg.sz < b.kcfg.sz ? -1 : 1;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  const byName = (n: string) => externs.find((e) => e.name === n);

  if (ksymSecId) {
    // every .ksyms entry becomes a 4-byte allocated variable so the kernel accepts the DATASEC
    const intId = findIntBtfId(btf);
    const dummy = dummyVarId ? btf.type(dummyVarId) : undefined;
    const sec = btf.type(ksymSecId);
    let off = 0;
    for (let i = 0; i < sec.vlen; i++, off += 4) {
      const vs = secinfo(sec, i);
      const vt = btf.type(vs.type);
      const extName = btf.str(vt.nameOff);
      if (!byName(extName)) fail('extern', `failed to find extern definition for BTF '${extName}'`, Errno.ESRCH);
      if (vt.kind === BtfKind.FUNC) {
        const proto = btf.type(vt.sizeOrType);
        for (let j = 0; j < proto.vlen; j++) {
          const p = param(proto, j);
          if (p.type && !p.nameOff && dummy) setParamName(proto, j, dummy.nameOff);
        }
        vs.type = dummyVarId;
        vt.vlen = BTF_FUNC_GLOBAL; // vt->info &= ~0xffff; vt->info |= BTF_FUNC_GLOBAL
      } else {
        setVarLinkage(vt, BTF_VAR_GLOBAL_ALLOCATED);
        vt.sizeOrType = intId;
      }
      setSecinfo(sec, i, { type: vs.type, offset: off, size: 4 });
    }
    sec.sizeOrType = off;
  }

  if (kcfgSecId) {
    let off = 0;
    for (const e of externs) {
      if (e.type !== 'kcfg' || !e.kcfg) continue;
      e.kcfg.dataOff = Math.ceil(off / e.kcfg.align) * e.kcfg.align;
      off = e.kcfg.dataOff + e.kcfg.sz;
    }
    const sec = btf.type(kcfgSecId);
    sec.sizeOrType = off;
    for (let i = 0; i < sec.vlen; i++) {
      const vs = secinfo(sec, i);
      const t = btf.type(vs.type);
      const e = byName(btf.str(t.nameOff));
      if (!e || !e.kcfg) fail('extern', `failed to find extern definition for BTF var '${btf.str(t.nameOff)}'`, Errno.ESRCH);
      setVarLinkage(t, BTF_VAR_GLOBAL_ALLOCATED);
      setSecinfo(sec, i, { type: vs.type, offset: e.kcfg.dataOff, size: vs.size });
    }
  }
  return externs;
}
