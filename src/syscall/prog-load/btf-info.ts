// The BTF-facing parts of the check stage: the program's BTF and its func_info / line_info / CO-RE
// records (check_btf_info_early, check_btf_info), kfunc calls (add_kfunc_call), and the attach
// target with the sleepable rule (check_attach_btf_id, bpf_check_attach_target).
// spec: LOAD-13, KP-META-6, OBS-LSK-5 (the fixture VM refused LSM and fentry programs: a config flag).

import type { KfuncBinding, KfuncQuery, ResolveError } from '../../vm/decode.js';
import { BtfKind } from '../../btf/btf.js';
import { Errno } from '../errno.js';
import type { BpfProg } from '../objects/prog.js';
import { NotEmulated } from '../result.js';
import { copyFromBpfPtr } from '../uaccess.js';
import { ProgType } from '../uapi/consts.js';
import { btfGetByFd } from '../commands/fdget.js';
import type { LoadCtx } from './load.js';
import { SLEEPABLE_TYPES } from './prog-types.js';
import { AttachType } from './stages.js';

type Verbose = (msg: string) => void;

/** MIN_BPF_FUNCINFO_SIZE, MIN_BPF_LINEINFO_SIZE, MAX_FUNCINFO_REC_SIZE / MAX_LINEINFO_REC_SIZE. */
const MIN_FUNCINFO = 8;
const MIN_LINEINFO = 16;
const MAX_REC = 252;

/** check_btf_info_early + check_btf_info: the program's BTF and its records. */
export function checkBtfInfo(l: LoadCtx, prog: BpfProg, verbose: Verbose): number {
  const { ctx } = l;
  const n = (f: string) => Number(l.attr[f] ?? 0);
  const funcCnt = n('func_info_cnt');
  const lineCnt = n('line_info_cnt');
  if (!funcCnt && !lineCnt) return 0;
  const btf = btfGetByFd(ctx, n('prog_btf_fd'));
  if (typeof btf === 'number') return ctx.fail('LOAD-13', 'prog_btf_fd', btf);
  if (btf.kernel) return ctx.fail('LOAD-13', 'prog_btf_fd is a kernel BTF', -Errno.EACCES);
  btf.refcnt++;
  prog.btf = btf;
  const recs = (what: 'func' | 'line', cnt: number, recSize: number, ptrField: string, min: number): Uint8Array | number => {
    if (!cnt) return new Uint8Array(0);
    if (recSize < min || recSize > MAX_REC || recSize % 4) {
      verbose(`invalid ${what} info rec size ${recSize}\n`);
      return ctx.fail('LOAD-13', `invalid ${what} info rec size ${recSize}`, -Errno.EINVAL);
    }
    const b = copyFromBpfPtr(ctx.proc.mem, ctx.ptr(l.attr[ptrField] as bigint), cnt * recSize);
    if (!b) return ctx.fail('LOAD-13', `copy ${what}_info`, -Errno.EFAULT);
    return b;
  };
  const func = recs('func', funcCnt, n('func_info_rec_size'), 'func_info', MIN_FUNCINFO);
  if (typeof func === 'number') return func;
  const line = recs('line', lineCnt, n('line_info_rec_size'), 'line_info', MIN_LINEINFO);
  if (typeof line === 'number') return line;
  // The kernel keeps the leading bpf_func_info / bpf_line_info of each record (what GET_INFO returns).
  prog.funcInfo = firstBytesOfEach(func, funcCnt, n('func_info_rec_size'), MIN_FUNCINFO);
  prog.lineInfo = firstBytesOfEach(line, lineCnt, n('line_info_rec_size'), MIN_LINEINFO);
  if (n('core_relo_cnt')) throw new NotEmulated('CO-RE relocations at BPF_PROG_LOAD');
  return 0;
}

function firstBytesOfEach(recs: Uint8Array, cnt: number, recSize: number, keep: number): Uint8Array {
  const out = new Uint8Array(cnt * keep);
  for (let i = 0; i < cnt; i++) out.set(recs.subarray(i * recSize, i * recSize + keep), i * keep);
  return out;
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
