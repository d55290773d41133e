// BPF_PROG_TEST_RUN (BPF_PROG_RUN). For BPF_PROG_TYPE_SYSCALL programs the interpreter runs the
// program on a kernel copy of the caller's ctx; other types with a test_run are not emulated, types
// without one give -ENOTSUPP.
// spec: TRUN-1 (argument checks), TRUN-2 (ctx copied in, run, retval written, ctx copied back),
// TRUN-3 (the syscall returns 0 whatever the program returned), TRUN-4, TRUN-5, TRUN-6 (records of
// calls made by the program belong to this syscall's audit event), VM-LDR-1.

import { formatHelperCall, type HelperProto } from '../../vm/helpers.js';
import { PendingEvent, type HelperEvent, type TraceEvent } from '../trace.js';
import { runProgram } from '../../vm/interpreter.js';
import { checkAttrFails } from '../attr.js';
import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import type { BpfProg } from '../objects/prog.js';
import { syscallProgHelpers, type ProgRunEnv } from '../prog-run/helpers.js';
import { bpfProgPut } from '../prog-load/prog-fd.js';
import { TEST_RUN_TYPES } from '../prog-load/prog-types.js';
import { NotEmulated } from '../result.js';
import { copyFromUser, copyToBpfPtr, copyToUser, type BpfPtr } from '../uaccess.js';
import { PROG_TEST_RUN } from '../uapi/attr-layouts.js';
import type { ProgTestRunAttr } from '../../abi/uapi/attr-types.js';
import { BpfCmd, Limits, ProgType, progTypeName } from '../uapi/consts.js';

/** bpf_prog_get(fd): -EBADF for no file, -EINVAL for a file that is not a program. */
export function bpfProgGet(ctx: SyscallCtx, fd: number): BpfProg | number {
  const f = ctx.proc.fds.get(fd);
  if (!f) return -Errno.EBADF;
  if (f.kind !== 'bpf-prog') return -Errno.EINVAL;
  const prog = f.object as BpfProg;
  prog.refcnt++;
  return prog;
}

export function progTestRun(ctx: SyscallCtx, attrBytes: Uint8Array, uattr: BpfPtr): number {
  const p = ctx.kernel.profile;
  if (checkAttrFails(BpfCmd.BPF_PROG_TEST_RUN, attrBytes, p)) return ctx.fail('TRUN-5', 'CHECK_ATTR(BPF_PROG_TEST_RUN)', -Errno.EINVAL);
  const a = ctx.attrOf(BpfCmd.BPF_PROG_TEST_RUN);
  if (!!a.ctx_size_in !== !!a.ctx_in || !!a.ctx_size_out !== !!a.ctx_out) {
    return ctx.fail('TRUN-5', 'ctx size and pointer disagree', -Errno.EINVAL);
  }
  const prog = bpfProgGet(ctx, a.prog_fd);
  if (typeof prog === 'number') return ctx.fail('TRUN-5', 'bpf_prog_get(prog_fd)', prog);
  try {
    if (!TEST_RUN_TYPES.has(prog.type)) return ctx.fail('TRUN-5', `${progTypeName(prog.type)} has no test_run`, -Errno.ENOTSUPP);
    if (prog.type !== ProgType.BPF_PROG_TYPE_SYSCALL) throw new NotEmulated(`BPF_PROG_TEST_RUN of ${progTypeName(prog.type)} programs`);
    return testRunSyscall(ctx, prog, a, uattr);
  } finally {
    bpfProgPut(ctx.kernel, prog);
  }
}

/**
 * A helper call's trace event, made when the trace is read (issue K: most events of a long run are
 * never read): its text (`name(arg=…)`) and return value formatted then, from the call's prototype
 * and values (bigints: nothing the program does later changes them). The fields in emit's order.
 */
class PendingHelperEvent extends PendingEvent {
  constructor(
    private readonly sys: number,
    private readonly pc: number,
    private readonly proto: HelperProto,
    private readonly args: readonly bigint[],
    private readonly ret: bigint,
  ) {
    super();
  }
  materialize(): TraceEvent {
    const ev: HelperEvent = { kind: 'helper', sys: this.sys, pc: this.pc, helper: this.proto.name, text: formatHelperCall(this.proto, this.args), ret: BigInt.asIntN(64, this.ret).toString(), seq: this.seq };
    return ev;
  }
}

/** bpf_prog_test_run_syscall. TRUN-1..4 */
function testRunSyscall(ctx: SyscallCtx, prog: BpfProg, a: ProgTestRunAttr, uattr: BpfPtr): number {
  const k = ctx.kernel;
  if (a.data_in || a.data_out || a.ctx_out || a.duration || a.repeat || a.flags || a.batch_size) {
    return ctx.fail('TRUN-1', 'data_in/data_out/ctx_out/duration/repeat/flags/batch_size are not supported (OBSERVED: batch_size; test.cpu is accepted)', -Errno.EINVAL);
  }
  const ctxSize = a.ctx_size_in;
  if (ctxSize < prog.maxCtxOffset || ctxSize > Limits.U16_MAX) {
    return ctx.fail('TRUN-1', `ctx_size_in ${ctxSize} (program reads up to ${prog.maxCtxOffset})`, -Errno.EINVAL);
  }
  const ctxIn = a.ctx_in;
  let region;
  if (ctxSize) {
    const bytes = copyFromUser(ctx.proc.mem, ctxIn, ctxSize);
    if (!bytes) return ctx.fail('TRUN-2', 'copy ctx in', -Errno.EFAULT);
    region = k.kmem.map({ name: `ctx of prog ${prog.id}`, kind: 'ctx', bytes });
  }
  try {
    const env: ProgRunEnv = { ctx, prog };
    const r = runProgram(prog.decoded!, {
      memory: ctx.proc.mem,
      args: [region ? region.base : 0n],
      helpers: syscallProgHelpers(),
      env,
      observer: {
        after: (e, ret) => k.trace.emitPending(new PendingHelperEvent(ctx.sys, e.pc, e.proto, e.args, ret)),
      },
    });
    if (!r.ok) throw new NotEmulated(`the program stopped in the interpreter (${r.error.kind} at pc ${r.error.pc}: ${r.error.message})`);
    const retval = Number(BigInt.asUintN(32, r.r0));
    ctx.step('TRUN-2', 'program ran', `r0 = ${retval | 0} after ${r.insns} instructions`, retval | 0);
    const rv = new Uint8Array(4);
    new DataView(rv.buffer).setUint32(0, retval, true);
    if (!copyToBpfPtr(ctx.proc.mem, uattr, rv, PROG_TEST_RUN.byName.get('test.retval')!.offset)) return ctx.fail('TRUN-2', 'write retval', -Errno.EFAULT);
    if (ctxSize && !copyToUser(ctx.proc.mem, ctxIn, region!.bytes)) return ctx.fail('TRUN-2', 'copy ctx back', -Errno.EFAULT);
    return 0;
  } finally {
    if (region) k.kmem.unmap(region);
  }
}
