// x509_cert_parse: an X.509 certificate as the kernel's asymmetric-key code sees it. pkijs does the
// structural parsing; the kernel's rules are applied here: which key and signature algorithms are
// known, the raw bytes that make up the key ids, the SKID/AKID extension decoding, validity time
// decoding, the tbs-hash blacklist, and the self-signed check (a self-signed certificate whose
// signature does not verify is refused).
//
// spec: PK7-KEY-6 (ids: [0] serial‖issuer, [1] SKID, [2] subject), PK7-PARSE-15 (errors of an
//       embedded certificate fail the PKCS#7 parse), PK7-PUB-4 (curves), PK7-ERR-31 (blacklist),
//       PK7-NOT-1 (keyUsage/EKU are not checked when verifying).

import { ContentCache } from '../abi/content-cache.js';
import { createPublicKey, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { Errno } from '../abi/errno.js';
import { ASN1_OTS, ASN1_SEQ } from './asn1-decoder.js';
import { contentOf, readChildren, readTlv, x509_decode_time, type Tlv } from './ber.js';
import type { EcCurveName, KeysConfig } from './config.js';
import { asymmetric_key_generate_id, asymmetric_key_id_same, type KeyId } from './key-id.js';
import type { KLog } from './klog.js';
import { oidNameOf, type OidName } from './oid.js';
import { kernelHash, public_key_verify_signature, type PublicKey, type PublicKeySignature } from './public-key.js';

export interface X509Certificate {
  /** Position in a PKCS#7 message's certificate list (1-based), 0 otherwise. */
  index: number;
  /** serial ‖ issuer (raw content bytes). */
  readonly id: KeyId;
  /** The SKID extension value, when present. */
  readonly skid?: KeyId;
  /** The raw subject Name content. */
  readonly subjectId: KeyId;
  readonly rawSerial: Uint8Array;
  readonly rawIssuer: Uint8Array;
  readonly rawSubject: Uint8Array;
  readonly rawSkid?: Uint8Array;
  /** The kernel's name string for the subject (x509_fabricate_name). */
  readonly subject: string;
  readonly issuer: string;
  readonly pub: PublicKey;
  /** The certificate's own signature (over the tbsCertificate), with AKID ids in authIds. */
  readonly sig: PublicKeySignature;
  readonly validFrom: number;
  readonly validTo: number;
  readonly selfSigned: boolean;
  readonly unsupportedSig: boolean;
  readonly blacklisted: boolean;
  readonly der: Uint8Array;
  // Per-message verification state (pkcs7_verify_sig_chain, pkcs7_validate_trust).
  signer?: X509Certificate;
  seen: boolean;
  verified: boolean;
}

export interface X509ParseOptions {
  readonly cfg: KeysConfig;
  /** is_hash_blacklisted(hash, "tbs") */
  readonly isTbsBlacklisted?: (hashHex: string) => boolean;
}

interface SigAlgo {
  readonly pkeyAlgo: string;
  readonly hashAlgo: string;
  readonly encoding: string;
}

// x509_note_sig_algo: the certificate signature algorithms the kernel knows.
const CERT_SIG_ALGOS: Partial<Record<OidName, SigAlgo>> = {
  sha1WithRSAEncryption: { pkeyAlgo: 'rsa', hashAlgo: 'sha1', encoding: 'pkcs1' },
  sha224WithRSAEncryption: { pkeyAlgo: 'rsa', hashAlgo: 'sha224', encoding: 'pkcs1' },
  sha256WithRSAEncryption: { pkeyAlgo: 'rsa', hashAlgo: 'sha256', encoding: 'pkcs1' },
  sha384WithRSAEncryption: { pkeyAlgo: 'rsa', hashAlgo: 'sha384', encoding: 'pkcs1' },
  sha512WithRSAEncryption: { pkeyAlgo: 'rsa', hashAlgo: 'sha512', encoding: 'pkcs1' },
  id_rsassa_pkcs1_v1_5_with_sha3_256: { pkeyAlgo: 'rsa', hashAlgo: 'sha3-256', encoding: 'pkcs1' },
  id_rsassa_pkcs1_v1_5_with_sha3_384: { pkeyAlgo: 'rsa', hashAlgo: 'sha3-384', encoding: 'pkcs1' },
  id_rsassa_pkcs1_v1_5_with_sha3_512: { pkeyAlgo: 'rsa', hashAlgo: 'sha3-512', encoding: 'pkcs1' },
  id_ecdsa_with_sha1: { pkeyAlgo: 'ecdsa', hashAlgo: 'sha1', encoding: 'x962' },
  id_ecdsa_with_sha224: { pkeyAlgo: 'ecdsa', hashAlgo: 'sha224', encoding: 'x962' },
  id_ecdsa_with_sha256: { pkeyAlgo: 'ecdsa', hashAlgo: 'sha256', encoding: 'x962' },
  id_ecdsa_with_sha384: { pkeyAlgo: 'ecdsa', hashAlgo: 'sha384', encoding: 'x962' },
  id_ecdsa_with_sha512: { pkeyAlgo: 'ecdsa', hashAlgo: 'sha512', encoding: 'x962' },
  id_ecdsa_with_sha3_256: { pkeyAlgo: 'ecdsa', hashAlgo: 'sha3-256', encoding: 'x962' },
  id_ecdsa_with_sha3_384: { pkeyAlgo: 'ecdsa', hashAlgo: 'sha3-384', encoding: 'x962' },
  id_ecdsa_with_sha3_512: { pkeyAlgo: 'ecdsa', hashAlgo: 'sha3-512', encoding: 'x962' },
};

const CURVES: Partial<Record<OidName, EcCurveName>> = {
  id_prime192v1: 'p192',
  id_prime256v1: 'p256',
  id_ansip384r1: 'p384',
  id_ansip521r1: 'p521',
};

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** x509_fabricate_name: CN, or "O: CN" when the CN does not start with the O, or O, or email. */
function fabricateName(name: pkijs.RelativeDistinguishedNames): string {
  let cn = '';
  let o = '';
  let email = '';
  for (const tv of name.typesAndValues) {
    const v = String((tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value ?? '');
    if (tv.type === '2.5.4.3') cn = v;
    else if (tv.type === '2.5.4.10') o = v;
    else if (tv.type === '1.2.840.113549.1.9.1') email = v;
  }
  if (!cn && !o && !email) return '';
  if (cn && o) {
    if (cn.length >= o.length && cn.startsWith(o)) return cn;
    if (cn.length >= 7 && o.length >= 7 && cn.slice(0, 7) === o.slice(0, 7)) return cn;
    return `${o}: ${cn}`;
  }
  return cn || o || email;
}

/**
 * pkijs's structure of a DER certificate (or why it could not parse it), remembered by the exact
 * bytes (issue K: every add_key and every PKCS#7 message with embedded certificates parses them,
 * ~2 ms each). Only the structure is shared — read, never changed, here — and everything the kernel
 * decides (algorithms, ids, blacklists, the self-signature) is decided again on each call. A
 * certificate that differs in any byte is another key.
 */
const STRUCTURES = new ContentCache<pkijs.Certificate | string>(64);
export function parseCertStructure(der: Uint8Array): pkijs.Certificate | string {
  let v = STRUCTURES.get(der);
  if (v === undefined) {
    try {
      v = pkijs.Certificate.fromBER(der.slice());
    } catch (e) {
      v = (e as Error).message.split('\n')[0] ?? 'parse error';
    }
    STRUCTURES.set(der, v);
  }
  return v;
}

/**
 * node:crypto's key for a certificate's subjectPublicKeyInfo, remembered by the SPKI's DER bytes
 * (issue K: importing the key was most of an add_key). A KeyObject cannot be changed, so one serves
 * every certificate carrying these bytes; a key that differs in any byte is imported anew. The
 * DER is made once per parsed structure (structures are shared by parseCertStructure).
 */
const PUBLIC_KEYS = new ContentCache<KeyObject | string>(64);
const SPKI_DER = new WeakMap<object, Buffer>();
function publicKeyOf(spki: pkijs.PublicKeyInfo): KeyObject | string {
  let der = SPKI_DER.get(spki);
  if (!der) SPKI_DER.set(spki, (der = Buffer.from(spki.toSchema().toBER(false))));
  let v = PUBLIC_KEYS.get(der);
  if (v === undefined) {
    try {
      v = createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch (e) {
      v = (e as Error).message;
    }
    PUBLIC_KEYS.set(der, v);
  }
  return v;
}

/**
 * Parse a DER certificate. Returns the certificate or a negative errno (-EBADMSG, -ENOPKG,
 * -EINVAL, -EKEYREJECTED, ...), with the reason in `log`.
 */
export function x509_cert_parse(der: Uint8Array, opts: X509ParseOptions, log: KLog): X509Certificate | number {
  const parsed = parseCertStructure(der);
  if (typeof parsed === 'string') return log.fail(-Errno.EBADMSG, 'PK7-PARSE-15', `X.509: Cert parse failed: ${parsed}`);
  const cert = parsed;
  const bad = (why: string): number => log.fail(-Errno.EBADMSG, 'PK7-PARSE-15', `X.509: ${why}`);

  // Raw fields out of the tbsCertificate bytes, exactly as encoded.
  const tbs = cert.tbsView;
  const tbsTlv = readTlv(tbs, 0);
  if (!tbsTlv || tbsTlv.tag !== ASN1_SEQ) return bad('bad tbsCertificate');
  const fields = readChildren(tbs, tbsTlv);
  if (!fields) return bad('bad tbsCertificate fields');
  let i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serialTlv = fields[i++];
  const tbsSigAlgTlv = fields[i++];
  const issuerTlv = fields[i++];
  const validityTlv = fields[i++];
  const subjectTlv = fields[i++];
  if (!serialTlv || !tbsSigAlgTlv || !issuerTlv || !validityTlv || !subjectTlv) return bad('short tbsCertificate');
  const rawSerial = contentOf(tbs, serialTlv);
  const rawIssuer = contentOf(tbs, issuerTlv);
  const rawSubject = contentOf(tbs, subjectTlv);
  const times = readChildren(tbs, validityTlv);
  if (!times || times.length !== 2) return bad('bad validity');
  const validFrom = x509_decode_time(times[0].tag, contentOf(tbs, times[0]));
  const validTo = x509_decode_time(times[1].tag, contentOf(tbs, times[1]));
  if (validFrom < 0 || validTo < 0) return bad('Got invalid time in validity');

  // The signature algorithm, which must be the same inside and outside the tbsCertificate.
  const sigOid = cert.signatureAlgorithm.algorithmId;
  if (cert.signature.algorithmId !== sigOid) {
    return log.fail(-Errno.EINVAL, 'PK7-PARSE-15', `X.509: signatureAlgorithm (${sigOid}) differs from tbsCertificate.signature (${cert.signature.algorithmId})`);
  }
  const sigName = oidNameOf(sigOid);
  const sigAlgo = sigName ? CERT_SIG_ALGOS[sigName] : undefined;
  if (!sigAlgo) return log.fail(-Errno.ENOPKG, 'PK7-PARSE-15', `X.509: unsupported signature algorithm ${sigOid}`);
  if (cert.signatureValue.valueBlock.unusedBits !== 0) return bad('signature BIT STRING has unused bits');

  // The public key: RSA, or ECDSA on a curve this kernel supports.
  const spki = cert.subjectPublicKeyInfo;
  const keyOid = oidNameOf(spki.algorithm.algorithmId);
  let pkeyAlgo: string;
  let curve: EcCurveName | undefined;
  if (keyOid === 'rsaEncryption') {
    pkeyAlgo = 'rsa';
  } else if (keyOid === 'id_ecPublicKey') {
    const params = spki.algorithm.algorithmParams as { valueBlock?: { toString?: () => string } } | undefined;
    const curveOid = params?.valueBlock?.toString?.();
    const name = curveOid ? oidNameOf(curveOid) : undefined;
    curve = name ? CURVES[name] : undefined;
    if (!curve || !opts.cfg.ecdsaCurves.includes(curve)) {
      return log.fail(-Errno.ENOPKG, 'PK7-PUB-4', `X.509: unsupported EC curve ${curveOid ?? '(none)'}`);
    }
    pkeyAlgo = `ecdsa-nist-${curve}`;
  } else {
    return log.fail(-Errno.ENOPKG, 'PK7-PARSE-15', `X.509: unsupported public key algorithm ${spki.algorithm.algorithmId}`);
  }
  const keyObject = publicKeyOf(spki);
  if (typeof keyObject === 'string') return bad(`bad public key: ${keyObject}`);
  const point = spki.subjectPublicKey.valueBlock.valueHexView;
  const pub: PublicKey = {
    pkeyAlgo,
    keyObject,
    rsaBytes: pkeyAlgo === 'rsa' ? Math.ceil((keyObject.asymmetricKeyDetails?.modulusLength ?? 0) / 8) : undefined,
    curve,
    ecUncompressed: curve ? point[0] === 0x04 : undefined,
  };

  // Extensions: SKID and AKID are what the kernel uses (x509_process_extension).
  let rawSkid: Uint8Array | undefined;
  const authIds: [KeyId | undefined, KeyId | undefined, KeyId | undefined] = [undefined, undefined, undefined];
  for (const ext of cert.extensions ?? []) {
    const v = ext.extnValue.valueBlock.valueHexView;
    if (ext.extnID === '2.5.29.14') {
      // The value must be a short-form OCTET STRING filling the extension.
      if (v.length < 2 || v[0] !== ASN1_OTS || v[1] !== v.length - 2) return bad('bad subjectKeyIdentifier');
      rawSkid = v.subarray(2);
    } else if (ext.extnID === '2.5.29.35') {
      const r = parseAkid(v, authIds);
      if (r < 0) return bad('bad authorityKeyIdentifier');
    }
  }

  const id = asymmetric_key_generate_id(rawSerial, rawIssuer);
  const skid = rawSkid ? asymmetric_key_generate_id(rawSkid) : undefined;

  // Digest the tbsCertificate for the signature check and the blacklist.
  const digest = opts.cfg.hashes.includes(sigAlgo.hashAlgo) ? kernelHash(sigAlgo.hashAlgo, [tbs]) : undefined;
  let unsupportedSig = digest === undefined;
  const sig: PublicKeySignature = {
    s: cert.signatureValue.valueBlock.valueHexView,
    digest,
    signedBytes: tbs,
    hashAlgo: sigAlgo.hashAlgo,
    pkeyAlgo: sigAlgo.pkeyAlgo,
    encoding: sigAlgo.encoding,
    authIds,
  };
  let blacklisted = false;
  if (digest && opts.isTbsBlacklisted?.(hex(digest))) {
    log.note(`X.509: Cert ${hex(digest)} is blacklisted`);
    blacklisted = true;
  }

  // x509_check_for_self_signed.
  let selfSigned = false;
  if (hex(rawSubject) === hex(rawIssuer)) {
    let candidate = true;
    if (authIds[0] || authIds[1]) {
      const a = asymmetric_key_id_same(skid, authIds[1]);
      const b = asymmetric_key_id_same(id, authIds[0]);
      if (!a && !b) candidate = false;
      else if (a !== b && authIds[0] && authIds[1]) {
        return log.fail(-Errno.EKEYREJECTED, 'PK7-PARSE-15', 'X.509: self-signed certificate with inconsistent AKID');
      }
    }
    if (candidate && !unsupportedSig) {
      const r = public_key_verify_signature(pub, sig, opts.cfg, log);
      if (r === -Errno.ENOPKG || r === -Errno.ENOENT) {
        unsupportedSig = true;
      } else if (r < 0) {
        return log.fail(r, 'PK7-PARSE-15', `X.509: self-signed certificate signature check failed (${r})`);
      } else {
        selfSigned = true;
      }
    }
  }

  return {
    index: 0,
    id,
    skid,
    subjectId: asymmetric_key_generate_id(rawSubject),
    rawSerial,
    rawIssuer,
    rawSubject,
    rawSkid,
    subject: fabricateName(cert.subject),
    issuer: fabricateName(cert.issuer),
    pub,
    sig,
    validFrom,
    validTo,
    selfSigned,
    unsupportedSig,
    blacklisted,
    der,
    seen: false,
    verified: false,
  };
}

/** AuthorityKeyIdentifier: [0] keyIdentifier → authIds[1]; [1] issuer + [2] serial → authIds[0]. */
function parseAkid(v: Uint8Array, authIds: [KeyId | undefined, KeyId | undefined, KeyId | undefined]): number {
  const top = readTlv(v, 0);
  if (!top || top.tag !== ASN1_SEQ) return -Errno.EBADMSG;
  const parts = readChildren(v, top);
  if (!parts) return -Errno.EBADMSG;
  let issuer: Uint8Array | undefined;
  let serial: Uint8Array | undefined;
  for (const p of parts) {
    if (p.tag === 0x80) authIds[1] = asymmetric_key_generate_id(contentOf(v, p));
    else if (p.tag === 0xa1) issuer = directoryName(v, p);
    else if (p.tag === 0x82) serial = contentOf(v, p);
  }
  if (serial && issuer) authIds[0] = asymmetric_key_generate_id(serial, issuer);
  return 0;
}

function directoryName(v: Uint8Array, names: Tlv): Uint8Array | undefined {
  for (const gn of readChildren(v, names) ?? []) {
    if (gn.tag !== 0xa4) continue;
    const name = readTlv(v, gn.off, gn.end);
    if (name && name.tag === ASN1_SEQ) return contentOf(v, name);
  }
  return undefined;
}
