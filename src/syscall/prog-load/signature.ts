// The mechanics every scheme's signature stage shares: copying the signature (kvmemdup_bpfptr),
// calling the keys module's bpf_prog_verify_signature with the attr fields, the caller's keyrings and
// the profile's rules, the trace detail of its verdict, and the contract of a stage in signature
// slot A (LOAD-9: `if (attr->signature) bpf_prog_verify_signature(prog, attr, is_kernel)`). What a
// scheme verifies, and how it reports it, stays in src/schemes/<name>/.
// spec: KP-LOAD-1..3, KP-LOAD-5, KP-SIG-1..7, KP-Q-1, STB-1, STB-3.

import { bpf_prog_verify_signature, type ProgSignatureResult, type SignedContentFailure } from '../../keys/bpf-prog-signature.js';
import { Errno } from '../errno.js';
import { progSignatureRules } from '../profiles/index.js';
import { copyFromBpfPtr } from '../uaccess.js';
import { registerLoadStage, type LoadCtx, type LoadStage } from './load.js';

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

/**
 * A bpf_prog_verify_signature stage for signature slot A, registered under `id`: before
 * security_bpf_prog_load and bpf_check, on the program and the instruction bytes the caller sent
 * (`orig-insns`). `verify` runs only for a load that carries a signature pointer: KP-LOAD-2, without
 * one the step is skipped, whatever size and keyring say.
 */
export function signatureSlotStage(id: string, verify: (l: LoadCtx) => number): LoadStage {
  return registerLoadStage({
    id,
    name: 'bpf_prog_verify_signature',
    needs: ['prog', 'orig-insns'],
    provides: [],
    phase: 'before',
    role: 'signature',
    run: (l) => (l.attr.signature ? verify(l) : 0),
  });
}
