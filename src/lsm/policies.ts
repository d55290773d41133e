// Built-in policy LSMs, standing in for BPF-LSM programs on lsm/bpf_prog_load (LSM-BPF-7): TypeScript
// callbacks with the hook's arguments, returning 0 or -errno, as such a program does (LSM-BPF-3).
//
//  deny-unsigned     LSM-BPF-6, CLAIM-13: deny a userspace load whose attr carries no signature
//                    (`signature == 0 && !kernel`); loads made by a loader program (kernel = true,
//                    LSM-KERN-2) pass.
//  signature-audit   records in the audit log what it believed about each load, and allows it: the
//                    source of step 4 of the false-positive trail (AUD-FP-1/2). Its belief comes
//                    from what the hook can see: an integrity verdict handed to it
//                    (bpf_prog_load_post_integrity, HN-HOOK-2), or the program's own verdict
//                    (prog->aux->sig, LT-VERD-1) if the kernel has one, else the attr — on v6.18
//                    the hook runs only after a successful signature check, so a non-zero
//                    `signature` means "verified" (KP-LSM-3).

import { untrustedString } from '../audit/log.js';
import { Errno } from '../abi/errno.js';
import type { BpfProgLoadArgs, IntegrityVerdict, LsmContext, LsmModule } from './hooks.js';
import { registerLsm } from './registry.js';

const signed = (a: BpfProgLoadArgs): boolean => a.attr.signature !== 0n;

export function denyUnsignedModule(): LsmModule {
  return {
    name: 'deny-unsigned',
    hooks: {
      // spec: LSM-BPF-6, CLAIM-13, LSM-KERN-2
      bpf_prog_load: (a) => (!a.kernel && !signed(a) ? -Errno.EPERM : 0),
    },
  };
}

/** What signature-audit keeps per program: the verdict an integrity LSM handed it. */
interface AuditBlob {
  readonly verdict: IntegrityVerdict;
  readonly lsmid: string;
}

export function signatureAuditModule(): LsmModule {
  const name = 'signature-audit';
  const record = (a: BpfProgLoadArgs, ctx: LsmContext, fields: string) =>
    ctx.audit(
      'BPF_LSM_ACCESS',
      `lsm=${name} op=BPF_PROG_LOAD prog=${untrustedString(a.prog.name || '?')} kernel=${a.kernel ? 1 : 0} ${fields} keyring_id=${a.attr.keyring_id} decision=allow pid=${ctx.pid} comm=${untrustedString(ctx.comm)}`,
    );
  return {
    name,
    hooks: {
      bpf_prog_load_post_integrity: (a) => {
        a.prog.security.set(name, { verdict: a.verdict, lsmid: a.lsmid.name } satisfies AuditBlob);
        return 0;
      },
      bpf_prog_load: (a, ctx) => {
        const blob = a.prog.security.get(name) as AuditBlob | undefined;
        if (blob) record(a, ctx, `signature=${blob.verdict.toLowerCase()} basis=integrity-verdict lsmid=${blob.lsmid}`);
        else if (a.prog.sig) {
          // LT-VERD-1/2: the kernel's own verdict, final at this hook (LT-LSM-1).
          const { verdict, keyringType, keyringSerial } = a.prog.sig;
          const word = verdict === 'BPF_SIG_VERIFIED' ? 'verified' : 'none';
          record(a, ctx, `signature=${word} basis=prog-aux-sig verdict=${verdict} keyring_type=${keyringType} keyring_serial=${keyringSerial}`);
        } else record(a, ctx, signed(a) ? 'signature=verified basis=attr-signature' : 'signature=none basis=attr-signature');
        return 0;
      },
    },
  };
}

registerLsm({
  name: 'deny-unsigned',
  summary: 'deny userspace loads without attr->signature (a "signed only" BPF-LSM policy; loader-made loads pass)',
  spec: ['LSM-BPF-6', 'CLAIM-13', 'LSM-KERN-2'],
  create: denyUnsignedModule,
});

registerLsm({
  name: 'signature-audit',
  summary: 'allow, and write an audit record of what it believed about each load\'s signature (AUD-FP-2)',
  spec: ['AUD-FP-1', 'AUD-FP-2', 'KP-LSM-3', 'LSM-BPF-7'],
  create: signatureAuditModule,
});
