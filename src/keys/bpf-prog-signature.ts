// The body of BPF_PROG_LOAD's signature stage, bpf_prog_verify_signature(prog, attr, is_kernel),
// for the syscall layer to call with the attr fields and a way to copy the signature bytes out of
// the caller's memory. Order (STB-4): size bound → keyring → copy → kfunc → key put.
//
// spec: KP-SIG-1..7, KP-Q-1, KP-Q-2, KP-Q-3, STB-1, STB-3, STB-4, STB-5, LT-VERD-2, PK7-ERR-1,
//       PK7-ERR-2, PK7-ERR-3

import { Errno } from '../abi/errno.js';
import {
  bpf_key_put,
  bpf_lookup_system_key,
  bpf_lookup_user_key,
  bpf_sig_keyring_classify,
  bpf_verify_pkcs7_signature,
  system_keyring_id_check,
  type BpfKey,
  type BpfSigKeyring,
} from './bpf-key.js';
import type { KeyService } from './key-service.js';
import type { Pkcs7Verdict } from './klog.js';
import type { KeyBeingUsedFor } from './pkcs7-verify.js';
import type { ProcessKeyrings } from './process-keyrings.js';

/** KMALLOC_MAX_CACHE_SIZE with 4 KiB pages: the v6.18-stable bound on `signature_size` (STB-1). */
export const BPF_SIGNATURE_SIZE_LIMIT = 8192;

export interface ProgSignatureProfile {
  /** STB-1: a bound on signature_size checked first (-EINVAL); undefined = none (v6.18 as released). */
  readonly signatureSizeLimit?: number;
  /** KP-Q-1: v6.18 returns -ENOMEM for any kvmemdup_bpfptr failure; STB-3 propagates -EFAULT. */
  readonly copyErrorsAsEnomem: boolean;
  /** CONFIG_SYSTEM_DATA_VERIFICATION (KP-SIG-6 step 1). */
  readonly systemDataVerification: boolean;
  /** 2026 trees (7.3, OBS-DEB-42/44): signature_size == 0 → -EINVAL (LT-ERR-9); otherwise it reaches the parser (KP-Q-3, EBADMSG as observed on 6.18.15). */
  readonly rejectZeroSize?: boolean;
  /** Usage the kfunc passes (PK7-PATH-3); default VERIFYING_UNSPECIFIED_SIGNATURE. */
  readonly usage?: KeyBeingUsedFor;
}

export interface ProgSignatureInput {
  /** attr->keyring_id (__s32). */
  readonly keyringId: number;
  /** attr->signature_size. */
  readonly signatureSize: number;
  /** kvmemdup_bpfptr(signature, size): the bytes, or -EFAULT (bad pointer) / -ENOMEM. */
  readonly copySignature: (size: number) => Uint8Array | number;
  /** prog->insnsi as bytes (prog->len * 8). */
  readonly insns: Uint8Array;
  /**
   * What the signature must cover when a scheme signs something else than the instructions (e.g. a
   * digest of them and of maps): called after the keyring lookup and the signature copy, where such
   * a scheme's code runs before the kfunc. It returns the bytes to verify, or a failure that ends the
   * check with its return value (the key is put, as on every path).
   */
  readonly signedContent?: () => Uint8Array | SignedContentFailure;
  /** The loading process (for user keyrings and KEY_SPEC_* ids). */
  readonly proc: ProcessKeyrings;
}

/** A signedContent() that could not build the content: its return value (a -errno, or whatever the kernel returns there), the rule and what happened. */
export interface SignedContentFailure {
  readonly ret: number;
  readonly rule: string;
  readonly detail: string;
}

export type ProgSignatureStage = 'size' | 'keyring' | 'copy' | 'content' | 'verify';

export interface ProgSignatureResult extends Pkcs7Verdict {
  /** Where the stage ended. */
  readonly stage: ProgSignatureStage;
  /** LT-VERD-2 classification (keyring_type / keyring_serial). */
  readonly keyringType: BpfSigKeyring;
  readonly keyringSerial: number;
}

function early(ret: number, rule: string, detail: string, stage: ProgSignatureStage, keyringId: number): ProgSignatureResult {
  const c = bpf_sig_keyring_classify(true, keyringId, null, false);
  return { ret, rule, detail, log: [detail], stage, keyringType: c.keyringType, keyringSerial: c.keyringSerial };
}

/** bpf_prog_verify_signature: 0 or -errno, with the rule that decided it. */
export function bpf_prog_verify_signature(ks: KeyService, input: ProgSignatureInput, profile: ProgSignatureProfile): ProgSignatureResult {
  const { keyringId, signatureSize } = input;
  // spec: STB-1
  if (profile.signatureSizeLimit !== undefined && signatureSize > profile.signatureSizeLimit) {
    return early(-Errno.EINVAL, 'STB-1', `bpf: signature_size ${signatureSize} > ${profile.signatureSizeLimit}`, 'size', keyringId);
  }
  if (profile.rejectZeroSize && signatureSize === 0) {
    return early(-Errno.EINVAL, 'LT-ERR-9', 'bpf: signature_size is 0', 'size', keyringId);
  }
  // spec: KP-SIG-2, KP-SIG-3 — the keyring is resolved before the signature is copied.
  const bkey: BpfKey | null =
    system_keyring_id_check(keyringId) === 0
      ? bpf_lookup_system_key(ks, keyringId)
      : bpf_lookup_user_key(ks, input.proc, keyringId, 0);
  if (!bkey) return early(-Errno.EINVAL, 'KP-SIG-3', `bpf: keyring_id ${keyringId} does not resolve to a key`, 'keyring', keyringId);

  // spec: KP-SIG-4, KP-Q-1, STB-3
  const sig = input.copySignature(signatureSize);
  if (typeof sig === 'number') {
    bpf_key_put(ks, bkey);
    const ret = profile.copyErrorsAsEnomem ? -Errno.ENOMEM : sig;
    const rule = profile.copyErrorsAsEnomem ? 'KP-Q-1' : 'STB-3';
    return early(ret, rule, `bpf: kvmemdup_bpfptr(signature, ${signatureSize}) failed (${sig})`, 'copy', keyringId);
  }

  // A scheme's own content (e.g. HC-SIG-1..3), built between the copy and the kfunc.
  let content = input.insns;
  if (input.signedContent) {
    const c = input.signedContent();
    if (!(c instanceof Uint8Array)) {
      bpf_key_put(ks, bkey);
      return early(c.ret, c.rule, c.detail, 'content', keyringId);
    }
    content = c;
  }

  // spec: KP-SIG-5, KP-SIG-6
  const v = bpf_verify_pkcs7_signature(ks, content, sig, bkey, {
    systemDataVerification: profile.systemDataVerification,
    usage: profile.usage,
  });
  const c = bpf_sig_keyring_classify(true, keyringId, bkey, v.ret === 0);
  // spec: KP-SIG-7
  bpf_key_put(ks, bkey);
  // The verdict's fields by name, not by spread: a spread of it was the stage's most expensive line.
  return { ret: v.ret, rule: v.rule, detail: v.detail, log: v.log, stage: 'verify', keyringType: c.keyringType, keyringSerial: c.keyringSerial };
}
