// pkcs7_validate_trust: does some signer's chain meet a key in the trusted keyring?
//
// spec: PK7-TRUST-1 (per-signer steps, first hit wins), PK7-TRUST-2 (a failed check at the matched
//       key becomes -EKEYREJECTED), PK7-TRUST-3 (across signers), PK7-TRUST-4 (bpftool's SKID/no-cert
//       structure is checked only at the last step), PK7-ERR-23, PK7-ERR-25, PK7-ERR-30, PK7-ERR-31.

import { Errno, errnoName } from '../abi/errno.js';
import type { Failslab, KeysConfig } from './config.js';
import type { KeyId } from './key-id.js';
import { find_asymmetric_key, type Key } from './keyring.js';
import type { KLog } from './klog.js';
import type { Pkcs7Message, SignedInfo } from './pkcs7-parse.js';
import { public_key_verify_signature, type PublicKeySignature } from './public-key.js';
import type { X509Certificate } from './x509.js';

export interface TrustEnv {
  readonly cfg: KeysConfig;
  readonly now: number;
  readonly failslab?: Failslab;
}

/** find_asymmetric_key with its request-string allocation (which can fail with -ENOMEM). */
function findKey(keyring: Key, id0: KeyId | undefined, id1: KeyId | undefined, env: TrustEnv): Key | number {
  if (env.failslab?.('find_asymmetric_key')) return -Errno.ENOMEM;
  return find_asymmetric_key(keyring, id0, id1, undefined, env.now);
}

function describeKey(key: Key): string {
  return `key ${key.serial} ("${key.description}")`;
}

function pkcs7_validate_trust_one(msg: Pkcs7Message, sinfo: SignedInfo, keyring: Key, env: TrustEnv, log: KLog): number {
  const tag = `PKCS7: sinfo ${sinfo.index}`;
  if (sinfo.unsupportedCrypto) return log.fail(-Errno.ENOPKG, 'PK7-TRUST-1', `${tag}: unsupported crypto [cached]`);

  let sig: PublicKeySignature = sinfo.sig;
  let last: X509Certificate | undefined;
  let matchedCert: X509Certificate | undefined;
  let key: Key | number | undefined;
  let how = '';

  // Step 2: walk the embedded chain from the signer; a certificate the keyring knows ends the walk.
  for (let x509 = sinfo.signer; x509; x509 = x509.signer === x509 ? undefined : x509.signer) {
    if (x509.seen) {
      if (x509.verified) return verified(sinfo, x509, log);
      return log.fail(-Errno.ENOKEY, 'PK7-TRUST-1', `${tag}: -ENOKEY [cached]`);
    }
    x509.seen = true;
    if (x509.blacklisted) {
      sinfo.blacklisted = true;
      return log.fail(-Errno.EKEYREJECTED, 'PK7-ERR-31', `${tag}: X.509[${x509.index}] is blacklisted`);
    }
    const k = findKey(keyring, x509.id, x509.skid, env);
    if (typeof k !== 'number') {
      key = k;
      matchedCert = x509;
      how = `Cert ${x509.index} as ${describeKey(k)}`;
      break;
    }
    if (k === -Errno.ENOMEM) return log.fail(k, 'PK7-ERR-32', `${tag}: out of memory`);
    if (x509.signer === x509) return log.fail(-Errno.ENOKEY, 'PK7-TRUST-1', `${tag}: -ENOKEY [unknown self-signed]`);
    last = x509;
    sig = last.sig;
  }

  // Step 3: the top certificate's AKID may name a trusted key.
  if (!key && last && (last.sig.authIds[0] || last.sig.authIds[1])) {
    const k = findKey(keyring, last.sig.authIds[0], last.sig.authIds[1], env);
    if (typeof k !== 'number') {
      key = k;
      matchedCert = last;
      how = `Root cert ${last.index} signer is ${describeKey(k)}`;
    } else if (k !== -Errno.ENOKEY) {
      return log.fail(k, 'PK7-TRUST-1', `${tag}: keyring lookup for the root certificate's signer failed (${errnoName(k)})`);
    }
  }

  // Step 4: last resort — the SignerInfo's own id (bpftool's NOCERTS/SKID case).
  if (!key) {
    const k = findKey(keyring, sinfo.sig.authIds[0], undefined, env);
    if (k === -Errno.ENOMEM) return log.fail(k, 'PK7-ERR-32', `${tag}: out of memory looking up the signer`);
    if (typeof k === 'number') {
      if (k !== -Errno.ENOKEY) {
        return log.fail(k, 'PK7-TRUST-1', `${tag}: keyring lookup for the signer failed (${errnoName(k)})`);
      }
      return log.fail(
        -Errno.ENOKEY,
        'PK7-TRUST-1',
        `${tag}: -ENOKEY [no backref]: no key in "${keyring.description}" has id ${sinfo.sig.authIds[0]?.hex ?? '(none)'}`,
      );
    }
    key = k;
    matchedCert = undefined;
    sig = sinfo.sig;
    how = `Direct signer is ${describeKey(k)}`;
  }

  // Matched: the keyring key must verify the signature made at that point.
  log.note(`${tag}: ${how}`);
  const ret = public_key_verify_signature((key as Key).asym!.pub, sig, env.cfg, log);
  if (ret < 0) {
    if (ret === -Errno.ENOMEM) return ret;
    return log.fail(
      -Errno.EKEYREJECTED,
      'PK7-TRUST-2',
      `${tag}: -EKEYREJECTED [verify ${ret} ${errnoName(ret) ?? ''}: ${log.detail}]`,
    );
  }
  return verified(sinfo, matchedCert, log, how);
}

function verified(sinfo: SignedInfo, x509: X509Certificate | undefined, log: KLog, how = 'cached'): number {
  if (x509) {
    x509.verified = true;
    for (let p = sinfo.signer; p && p !== x509; p = p.signer === p ? undefined : p.signer) p.verified = true;
  }
  // spec: HN-HIST-1 ("add flag for validated trust on a signed info block"), HN-CHK-7
  sinfo.verified = true;
  return log.ok('PK7-TRUST-1', `PKCS7: sinfo ${sinfo.index}: trusted (${how})`);
}

/**
 * pkcs7_validate_trust(pkcs7, keyring): 0 if any signer's chain meets the keyring; otherwise
 * -ENOPKG if a signer was unsupported, else -ENOKEY; any other error stops at once.
 */
export function pkcs7_validate_trust(msg: Pkcs7Message, keyring: Key, env: TrustEnv, log: KLog): number {
  for (const p of msg.certs) p.seen = false;
  let cached = -Errno.ENOKEY;
  for (const sinfo of msg.signedInfos) {
    const ret = pkcs7_validate_trust_one(msg, sinfo, keyring, env, log);
    if (ret === -Errno.ENOKEY) continue;
    if (ret === -Errno.ENOPKG) {
      if (cached === -Errno.ENOKEY) cached = -Errno.ENOPKG;
      continue;
    }
    if (ret === 0) {
      cached = 0;
      continue;
    }
    return ret;
  }
  if (cached === 0) return 0;
  if (log.ret !== cached || msg.signedInfos.length > 1) {
    return log.fail(cached, 'PK7-TRUST-3', `PKCS7: no signer chain meets a trusted key (${errnoName(cached)})`);
  }
  return cached;
}
