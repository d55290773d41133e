// LOAD-9: `if (attr->signature) bpf_prog_verify_signature(prog, attr, is_kernel)`.
// spec: KP-LOAD-1..3 (placement; on failure the program is freed, no hook, no id, no audit),
// KP-SIG-1..7, KP-Q-1 (v6.18: any copy failure is -ENOMEM), KP-Q-2 (no size bound), STB-1 (size
// bound first), STB-3 (-EFAULT for a bad pointer), STB-4 (order), KP-ERR-1..11, OBS-LOAD-2/4,
// KP-SIG-6 step 1 (CONFIG_SYSTEM_DATA_VERIFICATION=n → -EOPNOTSUPP after the keyring lookup and copy).
//
// The body is the keys module's bpf_prog_verify_signature; this stage gives it the attr fields, a
// copy of the signature from the caller's memory (kernel memory for a loader-originated load), the
// instructions as copied at LOAD-8, the calling process's keyrings, and the profile's rules.

import { bpf_prog_verify_signature, type ProgSignatureProfile } from '../../keys/bpf-prog-signature.js';
import { Errno } from '../errno.js';
import { copyFromBpfPtr } from '../uaccess.js';
import { registerLoadStage, type LoadCtx } from './load.js';

/** kvmalloc refuses sizes above INT_MAX. */
const KVMALLOC_MAX = 0x7fff_ffff;

/** kvmemdup_bpfptr(usig, size): the bytes, -ENOMEM (allocation) or -EFAULT (copy). */
function kvmemdupBpfptr(l: LoadCtx, size: number): Uint8Array | number {
  if (size > KVMALLOC_MAX) return -Errno.ENOMEM;
  const bytes = copyFromBpfPtr(l.ctx.proc.mem, l.ctx.ptr(l.attr.signature as bigint), size);
  return bytes ?? -Errno.EFAULT;
}

export function signatureProfile(l: LoadCtx): ProgSignatureProfile {
  const k = l.ctx.kernel;
  const p = k.profile.progSignature;
  return {
    ...(p.sizeBound !== null ? { signatureSizeLimit: p.sizeBound } : {}),
    copyErrorsAsEnomem: p.copyFaultErrno === 'ENOMEM',
    systemDataVerification: k.config.CONFIG_SYSTEM_DATA_VERIFICATION,
  };
}

registerLoadStage({
  id: 'LOAD-9',
  name: 'bpf_prog_verify_signature',
  run: (l) => {
    // KP-LOAD-2: without a signature pointer the step is skipped, whatever size and keyring say.
    if (!l.attr.signature) return 0;
    const { ctx } = l;
    const res = bpf_prog_verify_signature(
      ctx.kernel.keys,
      {
        keyringId: Number(l.attr.keyring_id ?? 0),
        signatureSize: Number(l.attr.signature_size ?? 0),
        copySignature: (size) => kvmemdupBpfptr(l, size),
        insns: l.prog!.insns,
        proc: ctx.proc.keyrings,
      },
      signatureProfile(l),
    );
    const detail = `${res.rule}: ${res.detail} [keyring ${res.keyringType}${res.keyringSerial ? ` ${res.keyringSerial}` : ''}]`;
    if (res.ret) return ctx.fail('LOAD-9', `bpf_prog_verify_signature (${res.stage})`, res.ret, detail);
    ctx.step('LOAD-9', 'bpf_prog_verify_signature: signature verified', detail, 0);
    return 0;
  },
});
