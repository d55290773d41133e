// pkcs7_verify: the usage gate, then per SignerInfo the digest (with the signed-attribute rules),
// the embedded signer certificate lookup by issuer+serial, the signing-time window, the signature
// check against an embedded certificate, and the walk up the embedded chain.
//
// spec: PK7-USE-1, PK7-DIG-1, PK7-FIND-1, PK7-FIND-2, PK7-TRUST-5, PK7-ERR-12, PK7-ERR-15,
//       PK7-ERR-21, PK7-ERR-22, PK7-ERR-26..29, PK7-ERR-31

import { Errno } from '../abi/errno.js';
import type { Failslab, KeysConfig } from './config.js';
import { asymmetric_key_id_same } from './key-id.js';
import type { KLog } from './klog.js';
import type { Pkcs7Message, SignedInfo } from './pkcs7-parse.js';
import { DIGEST_SIZE, kernelHash, public_key_verify_signature } from './public-key.js';
import type { X509Certificate } from './x509.js';

/** enum key_being_used_for (names; VERIFYING_BPF_SIGNATURE is handled like UNSPECIFIED). */
export type KeyBeingUsedFor =
  | 'VERIFYING_MODULE_SIGNATURE'
  | 'VERIFYING_FIRMWARE_SIGNATURE'
  | 'VERIFYING_KEXEC_PE_SIGNATURE'
  | 'VERIFYING_KEY_SIGNATURE'
  | 'VERIFYING_KEY_SELF_SIGNATURE'
  | 'VERIFYING_UNSPECIFIED_SIGNATURE'
  | 'VERIFYING_BPF_SIGNATURE';

const SET_TAG = new Uint8Array([0x31]);

/** pkcs7_digest: H(data), checked against messageDigest and replaced by H(signed attributes) if any. */
function pkcs7_digest(msg: Pkcs7Message, sinfo: SignedInfo, cfg: KeysConfig, log: KLog, failslab?: Failslab): number {
  const sig = sinfo.sig;
  const hash = sig.hashAlgo;
  if (!hash) return log.fail(-Errno.ENOPKG, 'PK7-DIG-1', `PKCS7: Sig ${sinfo.index}: no digest algorithm`);
  const data = msg.data ?? new Uint8Array(0);
  const digest = cfg.hashes.includes(hash) ? kernelHash(hash, [data]) : undefined;
  if (!digest) {
    return log.fail(-Errno.ENOPKG, 'PK7-DIG-1', `PKCS7: Sig ${sinfo.index}: crypto_alloc_shash("${hash}") failed: not available in this kernel`);
  }
  if (failslab?.('pkcs7_digest')) return log.fail(-Errno.ENOMEM, 'PK7-ERR-32', `PKCS7: Sig ${sinfo.index}: kmalloc(digest) failed`);
  if (!sinfo.authattrs) {
    sig.digest = digest;
    sig.signedBytes = data;
    return 0;
  }
  if (!sinfo.msgdigest) return log.fail(-Errno.EKEYREJECTED, 'PK7-DIG-1', `PKCS7: Sig ${sinfo.index}: No messageDigest`);
  if (sinfo.msgdigest.length !== (DIGEST_SIZE[hash] ?? digest.length)) {
    return log.fail(-Errno.EBADMSG, 'PK7-DIG-1', `PKCS7: Sig ${sinfo.index}: Invalid digest size (${sinfo.msgdigest.length})`);
  }
  for (let i = 0; i < digest.length; i++) {
    if (digest[i] !== sinfo.msgdigest[i]) {
      return log.fail(-Errno.EKEYREJECTED, 'PK7-DIG-1', `PKCS7: Sig ${sinfo.index}: Message digest doesn't match`);
    }
  }
  // The signature covers the attributes re-tagged from [0] IMPLICIT to SET OF.
  const signed = new Uint8Array(1 + sinfo.authattrs.length);
  signed.set(SET_TAG, 0);
  signed.set(sinfo.authattrs, 1);
  sig.digest = kernelHash(hash, [signed]);
  sig.signedBytes = signed;
  return 0;
}

/** pkcs7_find_key: an embedded certificate whose issuer+serial id is the signer id (SKID sids never match). */
function pkcs7_find_key(msg: Pkcs7Message, sinfo: SignedInfo, log: KLog): void {
  for (const x509 of msg.certs) {
    if (!asymmetric_key_id_same(x509.id, sinfo.sig.authIds[0])) continue;
    log.note(`PKCS7: Sig ${sinfo.index}: Found cert serial match X.509[${x509.index}]`);
    sinfo.signer = x509;
    return;
  }
  log.note(`PKCS7: Sig ${sinfo.index}: Issuing X.509 cert not found (#${sinfo.sig.authIds[0]?.hex ?? ''})`);
}

/** pkcs7_verify_sig_chain: walk issuers through the embedded certificates, checking each signature. */
function pkcs7_verify_sig_chain(msg: Pkcs7Message, sinfo: SignedInfo, cfg: KeysConfig, log: KLog): number {
  for (const p of msg.certs) p.seen = false;
  let x509 = sinfo.signer!;
  for (;;) {
    x509.seen = true;
    if (x509.blacklisted) {
      sinfo.blacklisted = true;
      for (let p = sinfo.signer; p && p !== x509; p = p.signer) (p as { blacklisted: boolean }).blacklisted = true;
      log.note(`PKCS7: Sig ${sinfo.index}: X.509[${x509.index}] is blacklisted`);
      return 0;
    }
    const sig = x509.sig;
    if (x509.selfSigned) {
      x509.signer = x509;
      return 0;
    }
    let issuer: X509Certificate | undefined;
    const [authId, authSkid] = [sig.authIds[0], sig.authIds[1]];
    if (authId) {
      issuer = msg.certs.find((p) => asymmetric_key_id_same(p.id, authId));
      if (issuer && authSkid && !asymmetric_key_id_same(issuer.skid, authSkid)) {
        return log.fail(
          -Errno.EKEYREJECTED,
          'PK7-FIND-2',
          `PKCS7: Sig ${sinfo.index}: X.509 chain contains auth-skid nonmatch (${x509.index}->${issuer.index})`,
        );
      }
    } else if (authSkid) {
      issuer = msg.certs.find((p) => p.skid && asymmetric_key_id_same(p.skid, authSkid));
    }
    if (!issuer) return 0; // the top of the embedded chain
    if (issuer.seen) {
      log.note(`PKCS7: Sig ${sinfo.index}: X.509 chain contains loop`);
      return 0;
    }
    if (x509.unsupportedSig) return 0; // prune: cannot check this link
    const ret = public_key_verify_signature(issuer.pub, sig, cfg, log);
    if (ret < 0) return ret;
    x509.signer = issuer;
    if (x509 === issuer) return 0;
    x509 = issuer;
  }
}

function pkcs7_verify_one(msg: Pkcs7Message, sinfo: SignedInfo, cfg: KeysConfig, log: KLog, failslab?: Failslab): number {
  let ret = pkcs7_digest(msg, sinfo, cfg, log, failslab);
  if (ret < 0) return ret;
  pkcs7_find_key(msg, sinfo, log);
  const signer = sinfo.signer;
  if (!signer) return 0;
  // spec: PK7-FIND-2 — signingTime against the embedded signer certificate's validity.
  if (sinfo.signingTime !== undefined && (sinfo.signingTime < signer.validFrom || sinfo.signingTime > signer.validTo)) {
    return log.fail(-Errno.EKEYREJECTED, 'PK7-FIND-2', 'PKCS7: Message signed outside of X.509 validity window');
  }
  ret = public_key_verify_signature(signer.pub, sinfo.sig, cfg, log);
  if (ret < 0) return ret;
  log.note(`PKCS7: Verified signature ${sinfo.index}`);
  return pkcs7_verify_sig_chain(msg, sinfo, cfg, log);
}

/**
 * pkcs7_verify(pkcs7, usage): 0, or -EKEYREJECTED (usage gate, a failed check against an embedded
 * certificate), -EBADMSG, -EINVAL (unknown usage, raw public-key errors), -ENOPKG (no signer
 * could be digested).
 */
export function pkcs7_verify(msg: Pkcs7Message, usage: KeyBeingUsedFor, cfg: KeysConfig, log: KLog, failslab?: Failslab): number {
  // spec: PK7-USE-1
  switch (usage) {
    case 'VERIFYING_MODULE_SIGNATURE':
      if (msg.dataType !== 'data') return log.fail(-Errno.EKEYREJECTED, 'PK7-USE-1', 'PKCS7: Invalid module sig (not pkcs7-data)');
      if (msg.haveAuthattrs) return log.fail(-Errno.EKEYREJECTED, 'PK7-USE-1', 'PKCS7: Invalid module sig (has authattrs)');
      break;
    case 'VERIFYING_FIRMWARE_SIGNATURE':
      if (msg.dataType !== 'data') return log.fail(-Errno.EKEYREJECTED, 'PK7-USE-1', 'PKCS7: Invalid firmware sig (not pkcs7-data)');
      if (!msg.haveAuthattrs) return log.fail(-Errno.EKEYREJECTED, 'PK7-USE-1', 'PKCS7: Invalid firmware sig (missing authattrs)');
      break;
    case 'VERIFYING_KEXEC_PE_SIGNATURE':
      if (msg.dataType !== 'msIndirectData') {
        return log.fail(-Errno.EKEYREJECTED, 'PK7-USE-1', 'PKCS7: Invalid kexec sig (not Authenticode)');
      }
      break;
    case 'VERIFYING_UNSPECIFIED_SIGNATURE':
    case 'VERIFYING_BPF_SIGNATURE':
      if (msg.dataType !== 'data') {
        return log.fail(-Errno.EKEYREJECTED, 'PK7-USE-1', 'PKCS7: Invalid unspecified sig (not pkcs7-data)');
      }
      break;
    default:
      return log.fail(-Errno.EINVAL, 'PK7-USE-1', `PKCS7: unknown usage ${String(usage)}`);
  }

  let actual = -Errno.ENOPKG;
  for (const sinfo of msg.signedInfos) {
    const ret = pkcs7_verify_one(msg, sinfo, cfg, log, failslab);
    if (sinfo.blacklisted) {
      if (actual === -Errno.ENOPKG) actual = -Errno.EKEYREJECTED;
      continue;
    }
    if (ret < 0) {
      if (ret === -Errno.ENOPKG) {
        sinfo.unsupportedCrypto = true;
        continue;
      }
      return ret;
    }
    actual = 0;
  }
  if (actual === -Errno.EKEYREJECTED) return log.fail(actual, 'PK7-FIND-2', 'PKCS7: every signer chain is blacklisted');
  if (actual === -Errno.ENOPKG && log.ret !== actual) return log.fail(actual, 'PK7-DIG-1', 'PKCS7: no signer could be checked');
  return actual;
}
