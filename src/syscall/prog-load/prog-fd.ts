// A loaded program's fd and lifetime: bpf_prog_new_fd (security_bpf_prog, then an anon inode fd),
// bpf_prog_put (the final put frees the id and writes AUDIT_BPF UNLOAD), and freeing a program that
// failed before it was published. spec: LOAD-18, LOAD-19, LOAD-20, AUD-BPF-1, AUD-BPF-2, AUD-BPF-3,
// KP-AUD-2, OBS-AUD-1 (UNLOAD records come with the close() that dropped the last reference).

import type { SyscallCtx } from '../context.js';
import { O_CLOEXEC, O_RDWR, OpenFile, fmodeFor } from '../file.js';
import type { Kernel } from '../kernel.js';
import type { BpfProg } from '../objects/prog.js';
import { securityBpfProg, securityBpfProgFree } from '../security.js';
import type { LoadCtx } from './load.js';

/** bpf_audit_prog(prog, op): AUDIT_BPF "prog-id=%u op=%s" in the current task's audit context. */
export function bpfAuditProg(kernel: Kernel, prog: BpfProg, op: 'LOAD' | 'UNLOAD'): void {
  kernel.audit.log(kernel.current?.audit ?? null, 'BPF', `prog-id=${prog.id} op=${op}`);
}

/** Drop what a program holds: used maps, BTF, the LSM blob. */
function releaseProg(kernel: Kernel, ctx: SyscallCtx | null, prog: BpfProg): void {
  if (prog.lsmBlob) {
    prog.lsmBlob = false;
    securityBpfProgFree(kernel, ctx, prog);
  }
  for (const m of prog.usedMaps) kernel.mapPut(m);
  prog.usedMaps = [];
  for (const b of prog.usedBtfs) kernel.btfPut(b);
  prog.usedBtfs = [];
  if (prog.btf) kernel.btfPut(prog.btf);
  prog.btf = null;
  if (prog.attachBtf) kernel.btfPut(prog.attachBtf);
  prog.attachBtf = null;
}

/** bpf_prog_put: the last reference writes UNLOAD, frees the id and releases the program. */
export function bpfProgPut(kernel: Kernel, prog: BpfProg): void {
  if (--prog.refcnt > 0) return;
  const ctx = kernel.current ?? null;
  if (prog.id) {
    bpfAuditProg(kernel, prog, 'UNLOAD');
    kernel.progIdr.remove(prog.id);
    kernel.trace.emit({ kind: 'object', sys: ctx?.sys ?? 0, action: 'free', type: 'prog', id: prog.id, name: prog.name });
    prog.id = 0;
  }
  releaseProg(kernel, ctx, prog);
}

/** bpf_prog_new_fd: security_bpf_prog, then anon_inode_getfd("bpf-prog", O_RDWR | O_CLOEXEC). */
export function bpfProgNewFd(ctx: SyscallCtx, prog: BpfProg): number {
  const err = securityBpfProg(ctx, prog);
  if (err < 0) return ctx.fail('LOAD-18', 'security_bpf_prog', err);
  const k = ctx.kernel;
  const flags = O_RDWR | O_CLOEXEC;
  const file = new OpenFile('bpf-prog', prog, fmodeFor(flags), () => bpfProgPut(k, prog), `prog ${prog.id} '${prog.name}'`);
  return k.installFd(ctx, file);
}

/**
 * After a failed stage: a program that was never published is freed (no audit record, LOAD-20);
 * a published one (id allocated) was already put by the stage that failed (LOAD-19).
 */
export function freeUnpublishedProg(l: LoadCtx): void {
  const k = l.ctx.kernel;
  if (l.prog && !l.published) releaseProg(k, l.ctx, l.prog);
  else if (!l.prog && l.attachBtf) k.btfPut(l.attachBtf);
  l.attachBtf = null;
}
