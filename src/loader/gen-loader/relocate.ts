// Program relocation as libbpf performs it before loading (bpf_object__relocate): CO-RE records,
// sub-program calls (used subprograms appended to each main program, recursively), func/line info
// carried along and rebased, then data references rewritten. In loader-generation mode map
// references become fd_array indices (BPF_PSEUDO_MAP_IDX[_VALUE]) and externs are left for the
// loader program to resolve at run time.

import { Errno } from '../../syscall/errno.js';
import { decodeCoreRelo, type ExtInfo } from '../../btf/btf-ext.js';
import { fail } from '../errors.js';
import type { BpfObject, BpfProgram, ProgReloc } from '../elf/object-types.js';
import { progIsSubprog } from '../elf/object-types.js';
import {
  BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
} from '../insn.js';

export type LinkedRelocKind = ProgReloc['kind'] | 'core';

export interface LinkedReloc {
  kind: LinkedRelocKind;
  insnIdx: number;
  mapIdx: number;
  symOff: number;
  extIdx: number;
  /** for 'core': the .BTF.ext record */
  core?: { typeId: number; accessStrOff: number; kind: number };
}

/** A main program after relocation: its instructions with used subprograms appended. */
export interface LinkedProgram {
  prog: BpfProgram;
  insns: Uint8Array;
  relocs: LinkedReloc[];
  funcInfo: Uint8Array | undefined;
  funcInfoRecSize: number;
  funcInfoCnt: number;
  lineInfo: Uint8Array | undefined;
  lineInfoRecSize: number;
  lineInfoCnt: number;
}

const KIND_RANK: Record<LinkedRelocKind, number> = { ld64: 0, call: 1, data: 2, extern_ld64: 3, extern_call: 4, subprog_addr: 5, core: 6 };

export interface ExternResolution {
  /** ksym: address for typeless ksyms (libbpf reads /proc/kallsyms; see docs/fidelity.md). */
  ksymAddr(extIdx: number): bigint;
}

function insnField(buf: Uint8Array, idx: number) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    code: () => buf[idx * 8],
    dst: () => buf[idx * 8 + 1] & 0xf,
    src: () => buf[idx * 8 + 1] >> 4,
    setSrc: (v: number) => { buf[idx * 8 + 1] = (buf[idx * 8 + 1] & 0x0f) | (v << 4); },
    off: () => dv.getInt16(idx * 8 + 2, true),
    setOff: (v: number) => dv.setInt16(idx * 8 + 2, v, true),
    imm: () => dv.getInt32(idx * 8 + 4, true),
    setImm: (v: number) => dv.setInt32(idx * 8 + 4, v | 0, true),
  };
}

function isSubprogCall(buf: Uint8Array, i: number): boolean {
  const f = insnField(buf, i);
  return f.code() === 0x85 && f.src() === BPF_PSEUDO_CALL && f.dst() === 0 && f.off() === 0;
}

function isPseudoFunc(buf: Uint8Array, i: number): boolean {
  const f = insnField(buf, i);
  return f.code() === 0x18 && f.src() === BPF_PSEUDO_FUNC;
}

/** ELF section index of a .BTF.ext section name (libbpf elf_sec_by_name: the first match). */
function extSecIdx(obj: BpfObject, secName: string): number {
  return obj.elf.sections.findIndex((s) => s.name === secName);
}

function findProgBySecInsn(obj: BpfObject, secIdx: number, insnIdx: number): BpfProgram | undefined {
  return obj.programs.find((p) => p.secIdx === secIdx && insnIdx >= p.secInsnOff && insnIdx < p.secInsnOff + p.secInsnCnt);
}

/**
 * Relocates every autoload main program of `obj`. Returns them in obj->programs order.
 * spec: LSK-PROG-6 (target programs' instructions live in the blob, maps by fd_array index)
 */
export function relocateObject(obj: BpfObject, res: ExternResolution): LinkedProgram[] {
  // per-program relocation lists (copied; CO-RE records added), each later sorted by insn index
  const relocsOf = new Map<BpfProgram, LinkedReloc[]>();
  for (const p of obj.programs) relocsOf.set(p, p.relocs.map((r) => ({ kind: r.kind, insnIdx: r.insnIdx, mapIdx: r.mapIdx, symOff: r.symOff, extIdx: r.extIdx })));

  // CO-RE: in loader mode libbpf only records the relocation; the kernel applies it at load time
  const core = obj.btfExt?.coreRelo;
  if (core && core.sections.length) {
    for (const sec of core.sections) {
      const secIdx = extSecIdx(obj, sec.secName);
      if (!sec.secName) fail('btf.ext', 'CO-RE relocation section has an empty name');
      for (const rec of sec.records) {
        if (rec.insnOff % 8) fail('btf.ext', `CO-RE relocation in '${sec.secName}' at byte offset ${rec.insnOff} is not instruction-aligned`);
        const insnIdx = rec.insnOff / 8;
        const prog = secIdx >= 0 ? findProgBySecInsn(obj, secIdx, insnIdx) : undefined;
        if (!prog || !prog.autoload) continue;
        const cr = decodeCoreRelo(rec);
        relocsOf.get(prog)!.push({ kind: 'core', insnIdx: insnIdx - prog.secInsnOff, mapIdx: -1, symOff: 0, extIdx: -1, core: { typeId: cr.typeId, accessStrOff: cr.accessStrOff, kind: cr.kind } });
      }
    }
  }
  for (const list of relocsOf.values()) list.sort((a, b) => a.insnIdx - b.insnIdx || KIND_RANK[a.kind] - KIND_RANK[b.kind]);

  // mark ld_imm64 instructions that take a subprogram's address (src_reg = BPF_PSEUDO_FUNC)
  const origInsns = new Map<BpfProgram, Uint8Array>();
  for (const p of obj.programs) {
    const copy = p.insns.slice();
    for (const r of relocsOf.get(p)!) if (r.kind === 'subprog_addr') insnField(copy, r.insnIdx).setSrc(BPF_PSEUDO_FUNC);
    origInsns.set(p, copy);
  }

  const out: LinkedProgram[] = [];
  for (const main of obj.programs) {
    if (progIsSubprog(obj, main) || !main.autoload) continue;
    const subInsnOff = new Map<BpfProgram, number>();
    const lp: LinkedProgram = {
      prog: main, insns: origInsns.get(main)!.slice(), relocs: relocsOf.get(main)!.map((r) => ({ ...r })),
      funcInfo: undefined, funcInfoRecSize: 0, funcInfoCnt: 0, lineInfo: undefined, lineInfoRecSize: 0, lineInfoCnt: 0,
    };
    relocCode(obj, lp, main, 0, subInsnOff, relocsOf, origInsns);
    relocateData(obj, lp, res);
    out.push(lp);
  }
  return out;
}

function appendExtInfo(obj: BpfObject, info: ExtInfo, prog: BpfProgram, subOff: number, have: Uint8Array | undefined, haveCnt: number): { bytes: Uint8Array; cnt: number } | undefined {
  for (const sec of info.sections) {
    if (extSecIdx(obj, sec.secName) !== prog.secIdx) continue;
    const picked = [];
    for (const rec of sec.records) {
      const insn = Math.floor(rec.insnOff / 8);
      if (insn < prog.secInsnOff) continue;
      if (insn >= prog.secInsnOff + prog.secInsnCnt) break;
      picked.push(rec);
    }
    if (picked.length === 0) return undefined;
    const recSize = info.recSize;
    const bytes = new Uint8Array((haveCnt + picked.length) * recSize);
    if (have) bytes.set(have.subarray(0, haveCnt * recSize));
    const adj = subOff - prog.secInsnOff;
    picked.forEach((rec, i) => {
      const at = (haveCnt + i) * recSize;
      bytes.set(rec.bytes, at);
      new DataView(bytes.buffer).setUint32(at, Math.floor(rec.insnOff / 8) + adj, true);
    });
    return { bytes, cnt: haveCnt + picked.length };
  }
  return undefined;
}

/** libbpf reloc_prog_func_and_line_info() */
function relocFuncAndLineInfo(obj: BpfObject, lp: LinkedProgram, prog: BpfProgram, subOff: number): void {
  const ext = obj.btfExt;
  if (!ext) return;
  const isMain = prog === lp.prog;
  if (isMain || lp.funcInfo) {
    const r = appendExtInfo(obj, ext.funcInfo, prog, subOff, lp.funcInfo, lp.funcInfoCnt);
    if (r) {
      lp.funcInfo = r.bytes;
      lp.funcInfoCnt = r.cnt;
      lp.funcInfoRecSize = ext.funcInfo.recSize;
    } else if (lp.funcInfo) {
      fail('btf.ext', `prog '${prog.name}': missing .BTF.ext function info`, Errno.ENOENT);
    }
  }
  if (isMain || lp.lineInfo) {
    const r = appendExtInfo(obj, ext.lineInfo, prog, subOff, lp.lineInfo, lp.lineInfoCnt);
    if (r) {
      lp.lineInfo = r.bytes;
      lp.lineInfoCnt = r.cnt;
      lp.lineInfoRecSize = ext.lineInfo.recSize;
    } else if (lp.lineInfo) {
      fail('btf.ext', `prog '${prog.name}': missing .BTF.ext line info`, Errno.ENOENT);
    }
  }
}

/** libbpf bpf_object__reloc_code(): resolves calls in `prog` (placed at `progOff` in main). */
function relocCode(
  obj: BpfObject, lp: LinkedProgram, prog: BpfProgram, progOff: number, subInsnOff: Map<BpfProgram, number>,
  relocsOf: Map<BpfProgram, LinkedReloc[]>, origInsns: Map<BpfProgram, Uint8Array>,
): void {
  relocFuncAndLineInfo(obj, lp, prog, progOff);
  const progRelocs = prog === lp.prog ? lp.relocs : relocsOf.get(prog)!;
  for (let i = 0; i < prog.secInsnCnt; i++) {
    const at = progOff + i;
    if (!isSubprogCall(lp.insns, at) && !isPseudoFunc(lp.insns, at)) continue;
    const relo = progRelocs.find((r) => r.insnIdx === i && r.kind !== 'core');
    if (relo && relo.kind === 'extern_call') continue; // kfunc, handled with data relocations
    if (relo && relo.kind !== 'call' && relo.kind !== 'subprog_addr')
      fail('relocation', `prog '${prog.name}': unexpected relo for insn #${i}, type ${relo.kind}`);
    const imm = insnField(lp.insns, at).imm();
    let subInsnIdx: number;
    if (relo) {
      subInsnIdx = relo.kind === 'call' ? relo.symOff / 8 + imm + 1 : (relo.symOff + imm) / 8;
    } else if (isPseudoFunc(lp.insns, at)) {
      fail('relocation', `prog '${prog.name}': missing subprog addr relo for insn #${i}`);
    } else {
      subInsnIdx = prog.secInsnOff + i + imm + 1;
    }
    const sub = findProgBySecInsn(obj, obj.textShndx, subInsnIdx);
    if (!sub || !obj.textShndx) fail('relocation', `prog '${prog.name}': no .text section found yet sub-program call exists`);
    if (!subInsnOff.get(sub)) {
      // append the subprogram (its original, unrelocated instructions) and its relocations
      const off = lp.insns.length / 8;
      subInsnOff.set(sub, off);
      const sInsns = origInsns.get(sub)!;
      const grown = new Uint8Array(lp.insns.length + sInsns.length);
      grown.set(lp.insns);
      grown.set(sInsns, lp.insns.length);
      lp.insns = grown;
      if (sub !== lp.prog) for (const r of relocsOf.get(sub)!) lp.relocs.push({ ...r, insnIdx: r.insnIdx + off });
      relocCode(obj, lp, sub, off, subInsnOff, relocsOf, origInsns);
    }
    const target = sub === lp.prog ? 0 : subInsnOff.get(sub)!;
    insnField(lp.insns, at).setImm(target - at - 1);
  }
}

/** libbpf bpf_object__relocate_data() in loader-generation mode. */
function relocateData(obj: BpfObject, lp: LinkedProgram, res: ExternResolution): void {
  for (const r of lp.relocs) {
    const insn = insnField(lp.insns, r.insnIdx);
    const next = () => insnField(lp.insns, r.insnIdx + 1);
    switch (r.kind) {
      case 'ld64':
        insn.setSrc(BPF_PSEUDO_MAP_IDX);
        insn.setImm(r.mapIdx);
        break;
      case 'data':
        next().setImm(insn.imm() + r.symOff);
        insn.setSrc(BPF_PSEUDO_MAP_IDX_VALUE);
        insn.setImm(r.mapIdx);
        break;
      case 'extern_ld64': {
        const ext = obj.externs[r.extIdx];
        if (ext.type === 'kcfg') {
          insn.setSrc(BPF_PSEUDO_MAP_IDX_VALUE);
          insn.setImm(obj.kconfigMapIdx);
          next().setImm(ext.kcfg!.dataOff);
        } else if (ext.ksymTypeId) {
          // typed ksym: resolved at run time by the loader (BTF id 0 / fd 0 for now)
          insn.setSrc(BPF_PSEUDO_BTF_ID);
          insn.setImm(0);
          next().setImm(0);
        } else {
          const addr = res.ksymAddr(r.extIdx);
          insn.setImm(Number(addr & 0xffffffffn) | 0);
          next().setImm(Number((addr >> 32n) & 0xffffffffn) | 0);
        }
        break;
      }
      case 'extern_call':
        insn.setSrc(BPF_PSEUDO_KFUNC_CALL);
        insn.setImm(0);
        insn.setOff(0);
        break;
      case 'subprog_addr':
        if (insn.src() !== BPF_PSEUDO_FUNC) fail('relocation', `prog '${lp.prog.name}': bad subprog address instruction #${r.insnIdx}`);
        break;
      default:
        break;
    }
  }
}
