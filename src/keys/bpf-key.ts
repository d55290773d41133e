// The BPF side of keys: system_keyring_id_check, bpf_lookup_system_key, bpf_lookup_user_key,
// bpf_key_put and the kfunc body bpf_verify_pkcs7_signature, as bpf_prog_verify_signature
// (BPF_PROG_LOAD's signature stage) and sleepable BPF programs use them.
//
// spec: PK7-PATH-2, PK7-PATH-3, PK7-KEY-2, PK7-KEY-3, PK7-KEY-4, KP-SIG-2, KP-SIG-3, KP-SIG-6,
//       KP-SIG-7, LT-VERD-2, PK7-ERR-2, PK7-ERR-4, PK7-ERR-33

import { Errno, errnoName } from '../abi/errno.js';
import type { KeyService } from './key-service.js';
import type { Key } from './keyring.js';
import { KLog, type Pkcs7Verdict } from './klog.js';
import type { KeyBeingUsedFor } from './pkcs7-verify.js';
import { KEY_LOOKUP_ALL, KeyNeedPerm, type ProcessKeyrings } from './process-keyrings.js';

/** struct bpf_key: a system selector (0, 1, 2) without a reference, or a user key with one. */
export interface BpfKey {
  readonly key: 0 | 1 | 2 | Key;
  readonly hasRef: boolean;
}

/** The largest system keyring id (VERIFY_USE_PLATFORM_KEYRING). */
const MAX_SYSTEM_KEYRING_ID = 2n;

/** `keyring_id` (__s32) as the kernel widens it to u64 before the checks. */
export function keyringIdToU64(id: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(id));
}

/** system_keyring_id_check(u64 id): 0 for ids 0, 1, 2; -EINVAL otherwise (negative s32 ids too). */
export function system_keyring_id_check(id: number | bigint): number {
  // An integer number widens to a u64 ≤ 2 exactly when it is 0, 1 or 2 (a negative one becomes ≥ 2^63).
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id >= 0 && id <= 2 ? 0 : -Errno.EINVAL;
  return keyringIdToU64(id) > MAX_SYSTEM_KEYRING_ID ? -Errno.EINVAL : 0;
}

/** bpf_lookup_system_key(u64 id): a reference-less bpf_key for 0/1/2, NULL for anything else. */
export function bpf_lookup_system_key(ks: KeyService, id: number | bigint): BpfKey | null {
  if (!ks.config.keys) return null;
  if (system_keyring_id_check(id) < 0) return null;
  if (ks.failslab?.('bpf_key')) return null;
  return { key: Number(keyringIdToU64(id)) as 0 | 1 | 2, hasRef: false };
}

/**
 * bpf_lookup_user_key(s32 serial, u64 flags): lookup_user_key(serial, flags, KEY_DEFER_PERM_CHECK)
 * for the calling process; flags other than KEY_LOOKUP_CREATE|KEY_LOOKUP_PARTIAL, or any lookup
 * error, give NULL. A revoked or expired key is found here; the kfunc refuses it later.
 */
export function bpf_lookup_user_key(ks: KeyService, proc: ProcessKeyrings, serial: number, flags: number | bigint = 0): BpfKey | null {
  if (!ks.config.keys) return null;
  const f = BigInt(flags);
  if ((f & ~BigInt(KEY_LOOKUP_ALL)) !== 0n) return null;
  const k = proc.lookup_user_key(serial | 0, Number(f), KeyNeedPerm.KEY_DEFER_PERM_CHECK);
  if (typeof k === 'number') return null;
  if (ks.failslab?.('bpf_key')) return null;
  return { key: ks.key_get(k), hasRef: true };
}

/** bpf_key_put: drop the reference a user-key bpf_key holds. */
export function bpf_key_put(ks: KeyService, bkey: BpfKey): void {
  if (bkey.hasRef && typeof bkey.key !== 'number') ks.key_put(bkey.key);
}

export interface BpfVerifyOptions {
  /** CONFIG_SYSTEM_DATA_VERIFICATION (false on the observed 6.18.44 kernel: every call → -EOPNOTSUPP). */
  readonly systemDataVerification: boolean;
  /** The usage the kfunc passes (both values behave the same, PK7-PATH-3). Default UNSPECIFIED. */
  readonly usage?: KeyBeingUsedFor;
}

/**
 * bpf_verify_pkcs7_signature(data, sig, trusted_keyring): -EOPNOTSUPP without
 * CONFIG_SYSTEM_DATA_VERIFICATION; key_validate for a user key (-EKEYREVOKED, -EKEYEXPIRED,
 * -ENOKEY); then verify_pkcs7_signature.
 */
export function bpf_verify_pkcs7_signature(
  ks: KeyService,
  data: Uint8Array,
  sig: Uint8Array,
  bkey: BpfKey,
  opts: BpfVerifyOptions,
): Pkcs7Verdict {
  if (!opts.systemDataVerification) {
    const log = new KLog();
    log.fail(-Errno.EOPNOTSUPP, 'KP-SIG-6', 'bpf_verify_pkcs7_signature: CONFIG_SYSTEM_DATA_VERIFICATION is not set');
    return log.verdict(-Errno.EOPNOTSUPP, 'KP-SIG-6', '');
  }
  if (bkey.hasRef && typeof bkey.key !== 'number') {
    const r = ks.key_validate(bkey.key);
    if (r < 0) {
      const log = new KLog();
      log.fail(r, 'PK7-PATH-2', `bpf_verify_pkcs7_signature: key_validate(${bkey.key.serial}) = ${errnoName(r)}`);
      return log.verdict(r, 'PK7-PATH-2', '');
    }
  }
  return ks.verify_pkcs7_signature(data, sig, bkey.key, opts.usage ?? 'VERIFYING_UNSPECIFIED_SIGNATURE');
}

/** enum bpf_sig_keyring (numeric values in this order are INFERRED, LT-VERD-2). */
export type BpfSigKeyring = 'BPF_SIG_KEYRING_NONE' | 'BPF_SIG_KEYRING_BUILTIN' | 'BPF_SIG_KEYRING_SECONDARY' | 'BPF_SIG_KEYRING_PLATFORM' | 'BPF_SIG_KEYRING_USER';

/**
 * LT-VERD-2: the keyring classification of a signed load, purely from `keyring_id`, and the
 * serial of the key/keyring a user id resolved to (reported only on success).
 */
export function bpf_sig_keyring_classify(
  signed: boolean,
  keyringId: number,
  bkey: BpfKey | null,
  verified: boolean,
): { keyringType: BpfSigKeyring; keyringSerial: number } {
  if (!signed) return { keyringType: 'BPF_SIG_KEYRING_NONE', keyringSerial: 0 };
  // keyring_id is an s32: as a u64 it is 0, 1 or 2 exactly when the number is.
  if (keyringId === 0) return { keyringType: 'BPF_SIG_KEYRING_BUILTIN', keyringSerial: 0 };
  if (keyringId === 1) return { keyringType: 'BPF_SIG_KEYRING_SECONDARY', keyringSerial: 0 };
  if (keyringId === 2) return { keyringType: 'BPF_SIG_KEYRING_PLATFORM', keyringSerial: 0 };
  const serial = verified && bkey && typeof bkey.key !== 'number' ? bkey.key.serial : 0;
  return { keyringType: 'BPF_SIG_KEYRING_USER', keyringSerial: serial };
}
