// BTF program info checks at BPF_PROG_LOAD (kernel/bpf/verifier.c): check_btf_func_early,
// check_btf_func, check_btf_line and check_core_relo, and the two entry points bpf_check calls,
// check_btf_info_early (before sub-programs are known) and check_btf_info (after check_subprogs).
// Messages are the kernel's verifier-log lines, newline or not as the kernel writes them.
//
// The caller supplies what the rest of bpf_check knows: the program's BTF (from prog_btf_fd),
// its instructions, and its sub-programs (start instruction, and whether each uses LD_ABS or a
// tail call).

import { BtfKind, type Btf } from '../../btf/btf.js';
import { Errno } from '../errno.js';
import { bpfCoreApplyOne, type CoreApplyCtx, type CoreReloResult } from './core-apply.js';
import { u32At } from '../../abi/le.js';
import { checkTailZero, type RecordCheck, type RecordSource } from './records.js';
import { nameByOffset, nameOffsetInRange, skipModsAndTypedefs, typeById, type Log } from './relo-core.js';

/** MIN_BPF_FUNCINFO_SIZE, MAX_FUNCINFO_REC_SIZE; line info and core relos share the maximum. */
export const MIN_BPF_FUNCINFO_SIZE = 8;
export const MAX_FUNCINFO_REC_SIZE = 252;
/** sizeof(struct bpf_func_info), sizeof(struct bpf_line_info), sizeof(struct bpf_core_relo). */
export const BPF_FUNC_INFO_SIZE = 8;
export const BPF_LINE_INFO_SIZE = 16;
export const BPF_CORE_RELO_SIZE = 16;
const INT_MAX = 0x7fffffff;

export interface FuncInfo {
  insnOff: number;
  typeId: number;
}

export interface LineInfo {
  insnOff: number;
  fileNameOff: number;
  lineOff: number;
  lineCol: number;
}

export interface SubprogInfo {
  /** First instruction of the sub-program (subprog_info[i].start). */
  start: number;
  hasLdAbs?: boolean;
  hasTailCall?: boolean;
}

/** The PROG_LOAD attr fields these checks read. */
export interface BtfInfoAttr {
  funcInfoCnt: number;
  funcInfoRecSize: number;
  funcInfo: RecordSource;
  lineInfoCnt: number;
  lineInfoRecSize: number;
  lineInfo: RecordSource;
  coreReloCnt: number;
  coreReloRecSize: number;
  coreRelos: RecordSource;
}

/** check_abnormal_return: without BTF func info, sub-programs may not use LD_ABS or tail calls. */
export function checkAbnormalReturn(subprogs: readonly SubprogInfo[], log: Log): number {
  for (let i = 1; i < subprogs.length; i++) {
    if (subprogs[i].hasLdAbs) {
      log('LD_ABS is not allowed in subprogs without BTF\n');
      return -Errno.EINVAL;
    }
    if (subprogs[i].hasTailCall) {
      log('tail_call is not allowed in subprogs without BTF\n');
      return -Errno.EINVAL;
    }
  }
  return 0;
}

/**
 * check_btf_func_early: record size, each record copied (tail zero, fault), first insn_off 0 and
 * strictly increasing, type ids that are FUNCs whose type is a FUNC_PROTO.
 */
export function checkBtfFuncEarly(btf: Btf, attr: BtfInfoAttr, log: Log): RecordCheck & { funcInfo?: FuncInfo[] } {
  const nfuncs = attr.funcInfoCnt >>> 0;
  if (!nfuncs) return { err: 0, funcInfo: [] }; // abnormal-return check: no sub-programs known yet
  const urecSize = attr.funcInfoRecSize >>> 0;
  if (urecSize < MIN_BPF_FUNCINFO_SIZE || urecSize > MAX_FUNCINFO_REC_SIZE || urecSize % 4) {
    log(`invalid func info rec size ${urecSize}\n`);
    return { err: -Errno.EINVAL };
  }
  const minSize = Math.min(BPF_FUNC_INFO_SIZE, urecSize);
  const out: FuncInfo[] = [];
  let prev = 0;
  for (let i = 0; i < nfuncs; i++) {
    const at = i * urecSize;
    const tz = checkTailZero(attr.funcInfo, at, BPF_FUNC_INFO_SIZE, urecSize);
    if (tz) {
      if (tz === -Errno.E2BIG) {
        log('nonzero tailing record in func info');
        return { err: tz, writeBack: { field: 'func_info_rec_size', value: minSize } };
      }
      return { err: tz };
    }
    const rec = attr.funcInfo.read(at, minSize);
    if (!rec) return { err: -Errno.EFAULT };
    const fi: FuncInfo = { insnOff: u32At(rec, 0), typeId: u32At(rec, 4) };
    if (i === 0) {
      if (fi.insnOff) {
        log(`nonzero insn_off ${fi.insnOff} for the first func info record`);
        return { err: -Errno.EINVAL };
      }
    } else if (fi.insnOff <= prev) {
      log(`same or smaller insn offset (${fi.insnOff}) than previous func info record (${prev})`);
      return { err: -Errno.EINVAL };
    }
    const type = typeById(btf, fi.typeId);
    if (!type || type.kind !== BtfKind.FUNC) {
      log(`invalid type id ${fi.typeId | 0} in func info`);
      return { err: -Errno.EINVAL };
    }
    const proto = typeById(btf, type.sizeOrType);
    if (!proto || proto.kind !== BtfKind.FUNC_PROTO) return { err: -Errno.EINVAL }; // BTF_LOAD already refused this
    prev = fi.insnOff;
    out.push(fi);
  }
  return { err: 0, funcInfo: out };
}

export interface FuncInfoAux {
  /** BTF_FUNC_STATIC / GLOBAL / EXTERN, from the FUNC's vlen. */
  linkage: number;
  /** The sub-program's name (env->subprog_info[i].name). */
  name: string;
}

/**
 * check_btf_func: one record per sub-program, each at its sub-program's start; sub-programs that
 * use LD_ABS or tail calls must return a scalar (int or enum).
 */
export function checkBtfFunc(btf: Btf, funcInfoCnt: number, funcInfo: readonly FuncInfo[], subprogs: readonly SubprogInfo[], log: Log): { err: number; aux?: FuncInfoAux[] } {
  if (!funcInfoCnt) return { err: checkAbnormalReturn(subprogs, log) };
  if (funcInfoCnt !== subprogs.length) {
    log("number of funcs in func_info doesn't match number of subprogs\n");
    return { err: -Errno.EINVAL };
  }
  const aux: FuncInfoAux[] = [];
  for (let i = 0; i < funcInfoCnt; i++) {
    if (subprogs[i].start !== funcInfo[i].insnOff) {
      log("func_info BTF section doesn't match subprog layout in BPF program\n");
      return { err: -Errno.EINVAL };
    }
    const type = btf.type(funcInfo[i].typeId);
    const proto = btf.type(type.sizeOrType);
    const ret = skipModsAndTypedefs(btf, proto.sizeOrType).t;
    const scalarReturn = !!ret && ((ret.kind === BtfKind.INT && ret.sizeOrType <= 8) || ret.kind === BtfKind.ENUM || ret.kind === BtfKind.ENUM64);
    if (i && !scalarReturn && subprogs[i].hasLdAbs) {
      log("LD_ABS is only allowed in functions that return 'int'.\n");
      return { err: -Errno.EINVAL };
    }
    if (i && !scalarReturn && subprogs[i].hasTailCall) {
      log("tail_call is only allowed in functions that return 'int'.\n");
      return { err: -Errno.EINVAL };
    }
    aux.push({ linkage: type.vlen, name: nameByOffset(btf, type.nameOff) ?? '' });
  }
  return { err: 0, aux };
}

/**
 * check_btf_line: record size, each record copied, insn_off strictly increasing and inside the
 * program on a real instruction (not the second half of an ld_imm64), valid string offsets, and one
 * line record at the start of every sub-program.
 */
export function checkBtfLine(btf: Btf, attr: BtfInfoAttr, insns: Uint8Array, subprogs: readonly SubprogInfo[], log: Log): RecordCheck & { lineInfo?: LineInfo[] } {
  const nr = attr.lineInfoCnt >>> 0;
  if (!nr) return { err: 0, lineInfo: [] };
  if (nr > Math.floor(INT_MAX / BPF_LINE_INFO_SIZE)) return { err: -Errno.EINVAL };
  const recSize = attr.lineInfoRecSize >>> 0;
  if (recSize < BPF_LINE_INFO_SIZE || recSize > MAX_FUNCINFO_REC_SIZE || recSize & 3) return { err: -Errno.EINVAL };
  const progLen = Math.floor(insns.length / 8);
  const ncopy = Math.min(BPF_LINE_INFO_SIZE, recSize);
  const out: LineInfo[] = [];
  let s = 0;
  let prev = 0;
  for (let i = 0; i < nr; i++) {
    const at = i * recSize;
    const tz = checkTailZero(attr.lineInfo, at, BPF_LINE_INFO_SIZE, recSize);
    if (tz) {
      if (tz === -Errno.E2BIG) {
        log('nonzero tailing record in line_info');
        return { err: tz, writeBack: { field: 'line_info_rec_size', value: BPF_LINE_INFO_SIZE } };
      }
      return { err: tz };
    }
    const rec = attr.lineInfo.read(at, ncopy);
    if (!rec) return { err: -Errno.EFAULT };
    const li: LineInfo = { insnOff: u32At(rec, 0), fileNameOff: u32At(rec, 4), lineOff: u32At(rec, 8), lineCol: u32At(rec, 12) };
    if ((i && li.insnOff <= prev) || li.insnOff >= progLen) {
      log(`Invalid line_info[${i}].insn_off:${li.insnOff} (prev_offset:${prev} prog->len:${progLen})\n`);
      return { err: -Errno.EINVAL };
    }
    if (!insns[li.insnOff * 8]) {
      log(`Invalid insn code at line_info[${i}].insn_off\n`);
      return { err: -Errno.EINVAL };
    }
    // !btf_name_by_offset(...): NULL only for an offset outside the string section (nothing decoded)
    if (!nameOffsetInRange(btf, li.lineOff) || !nameOffsetInRange(btf, li.fileNameOff)) {
      log(`Invalid line_info[${i}].line_off or .file_name_off\n`);
      return { err: -Errno.EINVAL };
    }
    if (s !== subprogs.length) {
      if (li.insnOff === subprogs[s].start) s++;
      else if (subprogs[s].start < li.insnOff) {
        log(`missing bpf_line_info for func#${s}\n`);
        return { err: -Errno.EINVAL };
      }
    }
    prev = li.insnOff;
    out.push(li);
  }
  if (s !== subprogs.length) {
    log(`missing bpf_line_info for ${subprogs.length - s} funcs starting from func#${s}\n`);
    return { err: -Errno.EINVAL };
  }
  return { err: 0, lineInfo: out };
}

/**
 * check_core_relo: record size, then each record in turn (tail zero, copy, insn_off aligned and
 * inside the program) is applied with bpf_core_apply; the first error stops the loop. Instructions
 * are patched in place.
 */
export function checkCoreRelo(ctx: CoreApplyCtx, attr: BtfInfoAttr, insns: Uint8Array): RecordCheck & { results: CoreReloResult[] } {
  const results: CoreReloResult[] = [];
  const nr = attr.coreReloCnt >>> 0;
  if (!nr) return { err: 0, results };
  if (nr > Math.floor(INT_MAX / BPF_CORE_RELO_SIZE)) return { err: -Errno.EINVAL, results };
  const recSize = attr.coreReloRecSize >>> 0;
  if (recSize < BPF_CORE_RELO_SIZE || recSize > MAX_FUNCINFO_REC_SIZE || recSize % 4) return { err: -Errno.EINVAL, results };
  const progLen = Math.floor(insns.length / 8);
  const ncopy = Math.min(BPF_CORE_RELO_SIZE, recSize);
  for (let i = 0; i < nr; i++) {
    const at = i * recSize;
    const tz = checkTailZero(attr.coreRelos, at, BPF_CORE_RELO_SIZE, recSize);
    if (tz) {
      if (tz === -Errno.E2BIG) {
        ctx.log('nonzero tailing record in core_relo');
        return { err: tz, results, writeBack: { field: 'core_relo_rec_size', value: BPF_CORE_RELO_SIZE } };
      }
      return { err: tz, results };
    }
    const rec = attr.coreRelos.read(at, ncopy);
    if (!rec) return { err: -Errno.EFAULT, results };
    const relo = { insnOff: u32At(rec, 0), typeId: u32At(rec, 4), accessStrOff: u32At(rec, 8), kind: u32At(rec, 12) };
    if (relo.insnOff % 8 || Math.floor(relo.insnOff / 8) >= progLen) {
      ctx.log(`Invalid core_relo[${i}].insn_off:${relo.insnOff} prog->len:${progLen}\n`);
      return { err: -Errno.EINVAL, results };
    }
    const r = {} as CoreReloResult;
    const err = bpfCoreApplyOne(ctx, relo, i, insns, r);
    results.push(r);
    if (err) return { err, results };
  }
  return { err: 0, results };
}

/** The program BTF as bpf_check sees it after btf_get_by_fd(prog_btf_fd). */
export interface ProgBtf {
  btf: Btf;
  /** A kernel BTF (vmlinux or module) was given: -EACCES. */
  kernel: boolean;
}

/**
 * check_btf_info_early: nothing to do without func or line info; otherwise the BTF fd must name a
 * BTF loaded by BPF_BTF_LOAD (`progBtf` is btf_get_by_fd's errno when it does not resolve), then
 * check_btf_func_early.
 */
export function bpfCheckBtfInfoEarly(progBtf: ProgBtf | number, attr: BtfInfoAttr, log: Log): RecordCheck & { btf?: Btf; funcInfo?: FuncInfo[] } {
  if (!attr.funcInfoCnt && !attr.lineInfoCnt) return { err: 0 };
  if (typeof progBtf === 'number') return { err: progBtf };
  if (progBtf.kernel) return { err: -Errno.EACCES };
  const r: RecordCheck & { btf?: Btf; funcInfo?: FuncInfo[] } = checkBtfFuncEarly(progBtf.btf, attr, log);
  r.btf = progBtf.btf; // (r is this call's own result)
  return r;
}

export interface BtfInfoResult extends RecordCheck {
  aux?: FuncInfoAux[];
  lineInfo?: LineInfo[];
  coreRelos: CoreReloResult[];
}

/**
 * check_btf_info: after sub-programs are known. Without func and line info only the
 * abnormal-return rule applies and CO-RE records are not looked at (the kernel applies CO-RE
 * relocations only for programs that carry BTF info). Otherwise check_btf_func, check_btf_line,
 * check_core_relo, in that order.
 */
export function bpfCheckBtfInfo(
  ctx: Omit<CoreApplyCtx, 'local'>, btf: Btf | undefined, attr: BtfInfoAttr, funcInfo: readonly FuncInfo[],
  insns: Uint8Array, subprogs: readonly SubprogInfo[],
): BtfInfoResult {
  if (!attr.funcInfoCnt && !attr.lineInfoCnt) return { err: checkAbnormalReturn(subprogs, ctx.log), coreRelos: [] };
  if (!btf) return { err: -Errno.EINVAL, coreRelos: [] };
  const f = checkBtfFunc(btf, attr.funcInfoCnt >>> 0, funcInfo, subprogs, ctx.log);
  if (f.err) return { err: f.err, coreRelos: [] };
  const l = checkBtfLine(btf, attr, insns, subprogs, ctx.log);
  if (l.err) return { ...l, aux: f.aux, coreRelos: [] };
  // (no CO-RE records: check_core_relo has nothing to do, and no context is made for it)
  if (!attr.coreReloCnt) return { err: 0, writeBack: undefined, aux: f.aux, lineInfo: l.lineInfo, coreRelos: [] };
  const c = checkCoreRelo({ ...ctx, local: btf }, attr, insns);
  return { err: c.err, writeBack: c.writeBack, aux: f.aux, lineInfo: l.lineInfo, coreRelos: c.results };
}

const BPF_PSEUDO_CALL = 1;
const BPF_PSEUDO_FUNC = 4;
const BPF_FUNC_TAIL_CALL = 12;

/**
 * The sub-programs of a program as add_subprog_and_kfunc / check_subprogs find them: the entry at 0,
 * every BPF_PSEUDO_CALL target and every BPF_PSEUDO_FUNC ld_imm64 target, sorted; each marked when
 * it contains LD_ABS/LD_IND or a tail call. Returns -EINVAL for a target outside the program
 * ("call to invalid destination").
 */
export function findSubprogs(insns: Uint8Array, log: Log = () => {}): SubprogInfo[] | number {
  const n = Math.floor(insns.length / 8);
  const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const starts = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    const code = insns[i * 8];
    const src = insns[i * 8 + 1] >> 4;
    const imm = dv.getInt32(i * 8 + 4, true);
    const isCall = code === 0x85 && src === BPF_PSEUDO_CALL;
    const isFunc = code === 0x18 && src === BPF_PSEUDO_FUNC;
    if (isCall || isFunc) {
      const target = i + imm + 1;
      if (target < 0 || target >= n) {
        log(`call to invalid destination\n`);
        return -Errno.EINVAL;
      }
      starts.add(target);
    }
    if (code === 0x18) i++; // ld_imm64 takes two slots
  }
  const subs: SubprogInfo[] = [...starts].sort((a, b) => a - b).map((start) => ({ start, hasLdAbs: false, hasTailCall: false }));
  let s = 0;
  for (let i = 0; i < n; i++) {
    while (s + 1 < subs.length && i >= subs[s + 1].start) s++;
    const code = insns[i * 8];
    const cls = code & 0x07;
    const mode = code & 0xe0;
    if (cls === 0x00 && (mode === 0x20 || mode === 0x40)) subs[s].hasLdAbs = true;
    if (code === 0x85 && (insns[i * 8 + 1] >> 4) === 0 && dv.getInt32(i * 8 + 4, true) === BPF_FUNC_TAIL_CALL) subs[s].hasTailCall = true;
  }
  return subs;
}
