// The BTF-facing parts of the check stage: the program's BTF and its func_info / line_info / CO-RE
// records (check_btf_info_early, check_btf_info), kfunc calls (add_kfunc_call), and the attach
// target with the sleepable rule (check_attach_btf_id, bpf_check_attach_target).
// spec: LOAD-13, KP-META-6, OBS-LSK-5 (the fixture VM refused LSM and fentry programs: a config flag).

import { HOST_LITTLE_ENDIAN as LITTLE_ENDIAN } from '../../abi/memory.js';
import type { KfuncBinding, KfuncQuery, ResolveError } from '../../vm/decode.js';
import { BtfKind } from '../../btf/btf.js';
import { Errno } from '../errno.js';
import type { BpfProg } from '../objects/prog.js';
import { NotEmulated } from '../result.js';
import { copyFromBpfPtr, copyToBpfPtr } from '../uaccess.js';
import { PROG_LOAD } from '../uapi/attr-layouts.js';
import type { Btf } from '../objects/btf.js';
import { bpfCheckBtfInfo, bpfCheckBtfInfoEarly, type BtfInfoAttr, type FuncInfo, type LineInfo, type ProgBtf, type SubprogInfo } from '../kernel-btf/btf-info.js';
import type { Btf as BtfModel } from '../../btf/btf.js';
import type { RecordCheck, RecordSource } from '../kernel-btf/records.js';
import { btfGetByFd } from '../commands/fdget.js';
import type { LoadCtx } from './load.js';
import { SLEEPABLE_TYPES } from './prog-types.js';
import { AttachType, ProgType } from '../uapi/consts.js';

type Verbose = (msg: string) => void;

/** Record arrays up to this size are copied in one piece (larger ones record by record). */
const RECORDS_AT_ONCE = 64 * 1024;

/** What check_btf_info_early found, for check_btf_info. */
export interface BtfInfoEarly {
  readonly attr: BtfInfoAttr;
  readonly btf?: BtfModel;
  readonly funcInfo: readonly FuncInfo[];
  readonly writeBack: (w: RecordCheck['writeBack']) => void;
}

/** check_btf_info_early: the program's BTF (when it has func or line info) and its func_info. spec: LOAD-13, KBTF-* */
export function checkBtfInfoEarly(l: LoadCtx, prog: BpfProg, verbose: Verbose): BtfInfoEarly | number {
  const { ctx } = l;
  const a = l.attr;
  // The kernel copies one record (and its tail) at a time. When the whole array can be copied at
  // once, every such copy gets the same bytes from that one copy (nothing writes the caller's memory
  // during this stage); otherwise each copy is made as the kernel makes it, and faults where it does.
  const userRecords = (ptr: bigint, cnt: number, recSize: number): RecordSource => {
    const base = ctx.ptr(ptr);
    const total = (cnt >>> 0) * (recSize >>> 0);
    let block: Uint8Array | undefined | null = null; // null: not copied yet
    return {
      read: (offset, len) => {
        if (block === null) block = total > 0 && total <= RECORDS_AT_ONCE ? copyFromBpfPtr(ctx.proc.mem, base, total) : undefined;
        if (block && offset >= 0 && offset + len <= block.length) return block.subarray(offset, offset + len);
        return copyFromBpfPtr(ctx.proc.mem, base, len, offset);
      },
    };
  };
  // (no records: the checks read none, so no source is made for them)
  const attr: BtfInfoAttr = {
    funcInfoCnt: a.func_info_cnt,
    funcInfoRecSize: a.func_info_rec_size,
    funcInfo: a.func_info_cnt ? userRecords(a.func_info, a.func_info_cnt, a.func_info_rec_size) : NO_SOURCE,
    lineInfoCnt: a.line_info_cnt,
    lineInfoRecSize: a.line_info_rec_size,
    lineInfo: a.line_info_cnt ? userRecords(a.line_info, a.line_info_cnt, a.line_info_rec_size) : NO_SOURCE,
    coreReloCnt: a.core_relo_cnt,
    coreReloRecSize: a.core_relo_rec_size,
    coreRelos: a.core_relo_cnt ? userRecords(a.core_relos, a.core_relo_cnt, a.core_relo_rec_size) : NO_SOURCE,
  };
  // On a record with a non-zero tail the kernel tells the caller the record size it supports.
  const writeBack = (w: RecordCheck['writeBack']) => {
    if (!w) return;
    const f = PROG_LOAD.byName.get(w.field)!;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, w.value, true);
    copyToBpfPtr(ctx.proc.mem, l.uattr, b, f.offset);
  };
  let btfObj: Btf | undefined;
  let progBtf: ProgBtf | number = 0;
  if (attr.funcInfoCnt || attr.lineInfoCnt) {
    const got = btfGetByFd(ctx, a.prog_btf_fd);
    if (typeof got === 'number') progBtf = got;
    else {
      btfObj = got;
      progBtf = { btf: got.model, kernel: got.kernel };
    }
  }
  const early = bpfCheckBtfInfoEarly(progBtf, attr, verbose);
  writeBack(early.writeBack);
  if (early.err) return ctx.fail('LOAD-13', 'check_btf_info_early', early.err);
  if (btfObj) {
    btfObj.refcnt++;
    prog.btf = btfObj;
  }
  const funcInfo = early.funcInfo ?? NO_FUNC_INFO;
  return early.btf ? { attr, btf: early.btf, funcInfo, writeBack } : { attr, funcInfo, writeBack };
}

/** The records of a count of 0: never read (every check reads records below its count only). */
const NO_SOURCE: RecordSource = {
  read: () => {
    throw new RangeError('a record read with a count of 0');
  },
};
const NO_FUNC_INFO: readonly FuncInfo[] = Object.freeze([]);

/**
 * check_btf_info, once the sub-programs are known: func_info, line_info, and the CO-RE records, with
 * the relocations applied to the program's instructions in place. The records the kernel keeps go
 * on the program for GET_INFO.
 */
export function checkBtfInfoLate(l: LoadCtx, prog: BpfProg, verbose: Verbose, early: BtfInfoEarly, subprogs: readonly SubprogInfo[]): number {
  const { ctx } = l;
  const k = ctx.kernel;
  const info = bpfCheckBtfInfo(
    { vmlinux: k.vmlinuxBtf()?.model, log: verbose, logLevel: l.attr.log_level, cache: k.coreCache },
    early.btf,
    early.attr,
    early.funcInfo,
    prog.insns,
    subprogs,
  );
  early.writeBack(info.writeBack);
  for (const r of info.coreRelos) {
    ctx.step('LOAD-13', `CO-RE relo #${r.index} ${r.kindName} at insn ${r.insnIdx}: ${r.outcome}`, r.targetSpec ?? r.localSpec);
  }
  if (info.err) return ctx.fail('LOAD-13', 'check_btf_info', info.err);
  prog.funcInfo = packFuncInfo(early.funcInfo);
  prog.lineInfo = packLineInfo(info.lineInfo ?? []);
  return 0;
}

/** A program without records: nothing can be written into zero bytes, so one array serves all. */
const NO_RECORDS = new Uint8Array(0);

/** struct bpf_func_info records as the kernel keeps them (insn_off, type_id). */
function packFuncInfo(recs: readonly FuncInfo[]): Uint8Array {
  if (!recs.length) return NO_RECORDS;
  const out = new Uint32Array(recs.length * 2);
  for (let i = 0; i < recs.length; i++) {
    out[2 * i] = recs[i]!.insnOff;
    out[2 * i + 1] = recs[i]!.typeId;
  }
  return littleEndianBytes(out);
}

/** struct bpf_line_info records (insn_off, file_name_off, line_off, line_col). */
function packLineInfo(recs: readonly LineInfo[]): Uint8Array {
  if (!recs.length) return NO_RECORDS;
  const out = new Uint32Array(recs.length * 4);
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!;
    out[4 * i] = r.insnOff;
    out[4 * i + 1] = r.fileNameOff;
    out[4 * i + 2] = r.lineOff;
    out[4 * i + 3] = r.lineCol;
  }
  return littleEndianBytes(out);
}


/** The bytes of `words` as little-endian u32s (the UAPI records' byte order). */
function littleEndianBytes(words: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(words.buffer);
  if (!LITTLE_ENDIAN) {
    const dv = new DataView(words.buffer);
    for (let i = 0; i < words.length; i++) dv.setUint32(i * 4, words[i]!, true);
  }
  return bytes;
}

/** add_kfunc_call: a kfunc is a FUNC in vmlinux BTF with an address in kallsyms. */
export function bindKfuncs(l: LoadCtx, _prog: BpfProg, verbose: Verbose) {
  return (q: KfuncQuery): KfuncBinding | ResolveError | undefined => {
    if (q.off !== 0) throw new NotEmulated('kfuncs in module BTF (call off != 0)');
    const k = l.ctx.kernel;
    const vmlinux = k.vmlinuxBtf();
    if (!vmlinux) {
      verbose('calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF\n');
      return { error: 'calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF', errno: -Errno.ENOTSUPP };
    }
    const t = vmlinux.model.types[q.btfId];
    if (!t || t.kind !== BtfKind.FUNC) {
      verbose(`kernel btf_id ${q.btfId} is not a function\n`);
      return { error: `kernel btf_id ${q.btfId} is not a function`, errno: -Errno.EINVAL };
    }
    const name = vmlinux.model.str(t.nameOff);
    if (k.kallsyms.lookup(name) === undefined) {
      verbose(`cannot find address for kernel function ${name}\n`);
      return { error: `cannot find address for kernel function ${name}`, errno: -Errno.EINVAL };
    }
    return undefined; // bound lazily: a kfunc is not executed by bpfsig's programs
  };
}

const TRACING_FUNC_ATTACH = new Set<number>([AttachType.BPF_TRACE_FENTRY, AttachType.BPF_TRACE_FEXIT, AttachType.BPF_MODIFY_RETURN]);

/** check_attach_btf_id / bpf_check_attach_target for TRACING and LSM programs, and the sleepable rule. */
export function checkAttachTarget(l: LoadCtx, prog: BpfProg, verbose: Verbose): number {
  const { ctx } = l;
  const fail = (msg: string, err: number) => {
    verbose(msg + '\n');
    return ctx.fail('LOAD-13', msg, err);
  };
  if (prog.sleepable && !SLEEPABLE_TYPES.has(prog.type)) {
    return fail('Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable', -Errno.EINVAL);
  }
  if (prog.type !== ProgType.BPF_PROG_TYPE_TRACING && prog.type !== ProgType.BPF_PROG_TYPE_LSM) return 0;
  const lsmOrFentry = prog.type === ProgType.BPF_PROG_TYPE_LSM || TRACING_FUNC_ATTACH.has(prog.expectedAttachType);
  // OBS-LSK-5: the machine that recorded the transcripts refused these with EPERM and no log.
  if (lsmOrFentry && ctx.kernel.config.refuseLsmAndTracingProgs) {
    return ctx.fail('OBS-LSK-5', 'LSM and fentry programs are refused on this machine (config)', -Errno.EPERM);
  }
  const id = prog.attachBtfId;
  if (!id) return fail('Tracing programs must provide btf_id', -Errno.EINVAL);
  const btf = prog.attachBtf;
  if (!btf) return fail('BTF is required for tracing programs', -Errno.EINVAL);
  const t = btf.model.types[id];
  if (!t) return fail(`attach_btf_id ${id} is invalid`, -Errno.EINVAL);
  const tname = btf.model.str(t.nameOff);
  if (!tname) return fail(`attach_btf_id ${id} doesn't have a name`, -Errno.EINVAL);
  if (prog.type === ProgType.BPF_PROG_TYPE_TRACING && prog.expectedAttachType === AttachType.BPF_TRACE_RAW_TP) {
    if (t.kind !== BtfKind.TYPEDEF) return fail(`attach_btf_id ${id} is not a typedef`, -Errno.EINVAL);
    if (!tname.startsWith('btf_trace_')) return fail(`attach_btf_id ${id} points to wrong type name ${tname}`, -Errno.EINVAL);
    const ptr = btf.model.types[t.sizeOrType];
    const proto = ptr && ptr.kind === BtfKind.PTR ? btf.model.types[ptr.sizeOrType] : undefined;
    if (!proto || proto.kind !== BtfKind.FUNC_PROTO) return fail(`attach_btf_id ${id} is not a pointer to a function prototype`, -Errno.EINVAL);
    return 0;
  }
  if (prog.type === ProgType.BPF_PROG_TYPE_LSM || TRACING_FUNC_ATTACH.has(prog.expectedAttachType)) {
    if (t.kind !== BtfKind.FUNC) return fail(`attach_btf_id ${id} is not a function`, -Errno.EINVAL);
    if (prog.type === ProgType.BPF_PROG_TYPE_LSM && !tname.startsWith('bpf_lsm_')) {
      return fail(`attach_btf_id ${id} points to wrong type name ${tname}`, -Errno.EINVAL);
    }
    if (ctx.kernel.kallsyms.lookup(tname) === undefined) return fail(`The address of function ${tname} cannot be found`, -Errno.ENOENT);
    return 0;
  }
  throw new NotEmulated(`TRACING programs with expected_attach_type ${prog.expectedAttachType}`);
}
