// LOAD-9, signature slot A: `if (attr->signature) bpf_prog_verify_signature(prog, attr, is_kernel)`.
// spec: KP-LOAD-1..3 (placement; on failure the program is freed, no hook, no id, no audit),
// KP-LOAD-5 (the instruction bytes as copied from the caller), KP-SIG-1..7, KP-Q-1 (v6.18: any copy
// failure is -ENOMEM), KP-Q-2 (no size bound), STB-1 (size bound first), STB-3 (-EFAULT for a bad
// pointer), STB-4 (order), KP-ERR-1..11, OBS-LOAD-2/4, OBS-DEB-40..45, KP-SIG-6 step 1
// (CONFIG_SYSTEM_DATA_VERIFICATION=n → -EOPNOTSUPP after the keyring lookup and copy).
//
// The body is the keys module's bpf_prog_verify_signature, called through the shared mechanics of
// src/syscall/prog-load/signature.ts: the attr fields, a copy of the signature from the caller's
// memory (kernel memory for a loader-originated load), the instruction bytes the caller sent (the
// stage contract's `orig-insns`: placed later in a list, it still verifies them, not a
// CO-RE-rewritten copy), the calling process's keyrings, and the profile's rules.

import { signatureSlotStage, verdictDetail, verifyProgSignature } from '../../syscall/prog-load/signature.js';

export const KP_SIGNATURE_STAGE = signatureSlotStage('LOAD-9', (l) => {
  const res = verifyProgSignature(l, l.origInsns!);
  if (res.ret) return l.ctx.fail('LOAD-9', `bpf_prog_verify_signature (${res.stage})`, res.ret, verdictDetail(res));
  l.ctx.step('LOAD-9', 'bpf_prog_verify_signature: signature verified', verdictDetail(res), 0);
  return 0;
});
