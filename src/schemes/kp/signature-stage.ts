// LOAD-9, signature slot A: `if (attr->signature) bpf_prog_verify_signature(prog, attr, is_kernel)`.
// spec: KP-LOAD-1..3 (placement; on failure the program is freed, no hook, no id, no audit),
// KP-LOAD-5 (the instruction bytes as copied from the caller), KP-SIG-1..7, KP-Q-1 (v6.18: any copy
// failure is -ENOMEM), KP-Q-2 (no size bound), STB-1 (size bound first), STB-3 (-EFAULT for a bad
// pointer), STB-4 (order), KP-ERR-1..11, OBS-LOAD-2/4, OBS-DEB-40..45, KP-SIG-6 step 1
// (CONFIG_SYSTEM_DATA_VERIFICATION=n → -EOPNOTSUPP after the keyring lookup and copy).
//
// The body is the keys module's bpf_prog_verify_signature; this stage gives it the attr fields, a
// copy of the signature from the caller's memory (kernel memory for a loader-originated load), the
// instruction bytes the caller sent (the stage contract's `orig-insns`: placed later in a list, it
// still verifies them, not a CO-RE-rewritten copy), the calling process's keyrings, and the
// profile's rules.

import { bpf_prog_verify_signature, type ProgSignatureResult, type SignedContentFailure } from '../../keys/bpf-prog-signature.js';
import { Errno } from '../../syscall/errno.js';
import { registerLoadStage, type LoadCtx } from '../../syscall/prog-load/index.js';
import { progSignatureRules } from '../../syscall/profiles/index.js';
import { copyFromBpfPtr } from '../../syscall/uaccess.js';

/** kvmalloc refuses sizes above INT_MAX. */
const KVMALLOC_MAX = 0x7fff_ffff;

/** kvmemdup_bpfptr(ptr, size): the bytes, -ENOMEM (allocation) or -EFAULT (copy). */
export function kvmemdupBpfptr(l: LoadCtx, ptr: bigint, size: number): Uint8Array | number {
  if (size > KVMALLOC_MAX) return -Errno.ENOMEM;
  const bytes = copyFromBpfPtr(l.ctx.proc.mem, l.ctx.ptr(ptr), size);
  return bytes ?? -Errno.EFAULT;
}

/**
 * bpf_prog_verify_signature over `content`: the insns for KP; another scheme passes its own bytes,
 * or a function that builds them after the keyring lookup and the signature copy (where its code
 * runs in the kernel) and may fail there.
 */
export function verifyProgSignature(l: LoadCtx, content: Uint8Array | (() => Uint8Array | SignedContentFailure)): ProgSignatureResult {
  const { ctx } = l;
  return bpf_prog_verify_signature(
    ctx.kernel.keys,
    {
      keyringId: l.attr.keyring_id,
      signatureSize: l.attr.signature_size,
      copySignature: (size) => kvmemdupBpfptr(l, l.attr.signature, size),
      ...(content instanceof Uint8Array ? { insns: content } : { insns: l.origInsns!, signedContent: content }),
      proc: ctx.proc.keyrings,
    },
    progSignatureRules(ctx.kernel.profile, ctx.kernel.config),
  );
}

/** The trace detail of a verdict: the rule that decided it and the keyring it was checked against. */
export function verdictDetail(res: ProgSignatureResult): string {
  return `${res.rule}: ${res.detail} [keyring ${res.keyringType}${res.keyringSerial ? ` ${res.keyringSerial}` : ''}]`;
}

export const KP_SIGNATURE_STAGE = registerLoadStage({
  id: 'LOAD-9',
  name: 'bpf_prog_verify_signature',
  needs: ['prog', 'orig-insns'],
  provides: [],
  phase: 'before',
  role: 'signature',
  run: (l) => {
    // KP-LOAD-2: without a signature pointer the step is skipped, whatever size and keyring say.
    if (!l.attr.signature) return 0;
    const res = verifyProgSignature(l, l.origInsns!);
    if (res.ret) return l.ctx.fail('LOAD-9', `bpf_prog_verify_signature (${res.stage})`, res.ret, verdictDetail(res));
    l.ctx.step('LOAD-9', 'bpf_prog_verify_signature: signature verified', verdictDetail(res), 0);
    return 0;
  },
});
