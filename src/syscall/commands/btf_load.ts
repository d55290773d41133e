// BPF_BTF_LOAD: bpf_btf_load() and btf_parse(), structural checks only (see objects/btf.ts).
// Step order OBSERVED on this machine's 6.18.44 kernel: CHECK_ATTR; btf_flags; CAP_BPF; log
// attributes (EINVAL); btf_size > 16 MiB → E2BIG; copy (EFAULT, empty log); parse; the verifier log
// is finalized on success too, so a log buffer that is too small fails the load with ENOSPC; the
// log's true size is written to btf_log_true_size when the caller passed that field.

import { checkAttrFails } from '../attr.js';
import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import { O_CLOEXEC, O_RDONLY, OpenFile, fmodeFor } from '../file.js';
import { Btf } from '../objects/btf.js';
import { bpfTokenCapable } from '../security.js';
import { copyFromBpfPtr, copyToBpfPtr, copyToUser, type BpfPtr } from '../uaccess.js';
import { BTF_LOAD } from '../uapi/attr-layouts.js';
import { BpfCmd, MapFlag } from '../uapi/consts.js';
import { VerifierLog } from '../vlog.js';
import { ownedBytes } from '../../abi/slab.js';

/** BTF_MAX_SIZE */
const BTF_MAX_SIZE = 16 * 1024 * 1024;
/** btf_log_true_size, looked up once. */
const TRUE_SIZE_FIELD = BTF_LOAD.byName.get('btf_log_true_size')!;

export function btfLoad(ctx: SyscallCtx, attrBytes: Uint8Array, uattr: BpfPtr, size: number): number {
  const k = ctx.kernel;
  const p = k.profile;
  if (checkAttrFails(BpfCmd.BPF_BTF_LOAD, attrBytes, p)) return ctx.fail('SYS-4', 'CHECK_ATTR(BPF_BTF_LOAD)', -Errno.EINVAL);
  const a = ctx.attrOf(BpfCmd.BPF_BTF_LOAD);
  const flags = a.btf_flags;
  if (flags & ~MapFlag.BPF_F_TOKEN_FD) return ctx.fail('SYS-4', 'btf_flags', -Errno.EINVAL);
  if (flags & MapFlag.BPF_F_TOKEN_FD) {
    const f = ctx.proc.fds.get(a.btf_token_fd);
    return ctx.fail('SYS-4', 'bpf_token_get_from_fd', f ? -Errno.EINVAL : -Errno.EBADF);
  }
  if (!bpfTokenCapable(ctx, 'CAP_BPF')) return ctx.fail('CAP-3', 'BTF_LOAD needs CAP_BPF', -Errno.EPERM);

  const logBuf = a.btf_log_buf;
  const log = VerifierLog.init(a.btf_log_level, logBuf, a.btf_log_size);
  if (typeof log === 'number') return ctx.fail('SYS-4', 'btf log attributes', log);
  const btfSize = a.btf_size;
  if (btfSize > BTF_MAX_SIZE) return ctx.fail('SYS-4', 'btf_size > BTF_MAX_SIZE', -Errno.E2BIG);

  // finalize_log: copy what fits, write the true size, ENOSPC/EFAULT override the result.
  const finalize = (err: number): number => {
    const { bytes, err: logErr } = log.finalize();
    if (log.needed && bytes.length && !copyToUser(ctx.proc.mem, logBuf, bytes)) return -Errno.EFAULT;
    const tsField = TRUE_SIZE_FIELD;
    if (size >= tsField.offset + tsField.size) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, log.trueSize, true);
      if (!copyToBpfPtr(ctx.proc.mem, uattr, b, tsField.offset)) return -Errno.EFAULT;
    }
    return logErr || err;
  };

  const data = btfSize ? copyFromBpfPtr(ctx.proc.mem, ctx.ptr(a.btf), btfSize) : new Uint8Array(0);
  if (!data) return ctx.fail('SYS-2', 'copy btf', finalize(-Errno.EFAULT));
  // The object keeps the bytes as long as it lives: a buffer of its own, not a slab's (abi/slab.ts).
  const parsed = Btf.load(ownedBytes(data), log);
  if (!parsed.ok) return ctx.fail('SYS-4', 'btf_parse', finalize(parsed.err), log.full.trim().split('\n').pop());
  const err = finalize(0);
  if (err) return ctx.fail('SYS-4', 'btf verifier log', err);
  const btf = parsed.btf;
  const id = k.btfIdr.allocCyclic(btf);
  if (id < 0) return ctx.fail('SYS-4', 'btf_alloc_id', id);
  btf.id = id;
  k.trace.emit({ kind: 'object', sys: ctx.sys, action: 'alloc_id', type: 'btf', id, name: btf.name });
  return btfNewFd(ctx, btf);
}

/**
 * btf_new_fd: an O_RDONLY|O_CLOEXEC fd on `btf` that takes over one reference (put when the file
 * is released); when no fd can be installed the reference is dropped and the error returned.
 */
export function btfNewFd(ctx: SyscallCtx, btf: Btf): number {
  const k = ctx.kernel;
  const flagsOpen = O_RDONLY | O_CLOEXEC;
  const file = new OpenFile('btf', btf, fmodeFor(flagsOpen), () => k.btfPut(btf), `btf ${btf.id}`);
  const fd = k.installFd(ctx, file);
  if (fd < 0) {
    k.btfPut(btf);
    return ctx.fail('SYS-4', 'btf_new_fd', fd);
  }
  return fd;
}
