// Throw-away keys and X.509 certificates built in the test process (no ../shared needed):
// self-signed or CA-issued, with or without SKID/AKID, any key type node:crypto can make. The
// certificates come from the product's maker (src/keys/make-cert.ts); this file adds the test keys
// and the test defaults.

import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { makeCertificate } from '../../../src/keys/make-cert.js';
import { cat, type Bytes } from './der.js';

export const O = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  digestedData: '1.2.840.113549.1.7.5',
  msIndirectData: '1.3.6.1.4.1.311.2.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  smimeCapabilities: '1.2.840.113549.1.9.15',
  msSpOpusInfo: '1.3.6.1.4.1.311.2.1.12',
  msStatementType: '1.3.6.1.4.1.311.2.1.11',
  md5: '1.2.840.113549.2.5',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sm3: '1.2.156.10197.1.401',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ed25519: '1.3.101.112',
  cn: '2.5.4.3',
  skid: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  akid: '2.5.29.35',
} as const;

export type KeyKind = 'rsa2048' | 'rsa1024' | 'rsa1000' | 'p256' | 'p384' | 'secp256k1' | 'ed25519';

export interface TestKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly kind: KeyKind;
}

const keyCache = new Map<string, TestKeyPair>();

/** A cached key pair; `slot` gives distinct keys of the same kind. */
export function testKey(kind: KeyKind, slot = 0): TestKeyPair {
  const id = `${kind}/${slot}`;
  let kp = keyCache.get(id);
  if (!kp) {
    let pair: { privateKey: KeyObject; publicKey: KeyObject };
    if (kind.startsWith('rsa')) pair = generateKeyPairSync('rsa', { modulusLength: Number(kind.slice(3)) });
    else if (kind === 'ed25519') pair = generateKeyPairSync('ed25519');
    else pair = generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'P-256' : kind === 'p384' ? 'P-384' : 'secp256k1' });
    kp = { ...pair, kind };
    keyCache.set(id, kp);
  }
  return kp;
}

export interface TestCert {
  readonly der: Bytes;
  readonly key: TestKeyPair;
  readonly skid?: Bytes;
  /** The raw Name TLV of the subject (what an issued certificate's issuer field holds). */
  readonly subjectName: Bytes;
  readonly issuerName: Bytes;
  readonly serialTlv: Bytes;
  /** The encoded tbsCertificate. */
  readonly tbs: Bytes;
}

export interface CertOptions {
  readonly cn: string;
  readonly key?: KeyKind | TestKeyPair;
  readonly keySlot?: number;
  /** The issuing certificate; default self-signed. */
  readonly issuer?: TestCert;
  /** SKID extension: true (SHA-1 of the key bits, default), false (none), or given bytes. */
  readonly skid?: boolean | Bytes;
  /** AKID keyIdentifier = issuer's SKID (default when the issuer has one). */
  readonly akid?: boolean;
  readonly serial?: bigint;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** keyUsage bits to set: default digitalSignature; 'keyCertSign' for CAs; false = no extension. */
  readonly keyUsage?: 'digitalSignature' | 'keyCertSign' | false;
  /** Sign other bytes than the tbsCertificate: a well-formed signature that does not verify. */
  readonly badSignature?: boolean;
  /** Use a GeneralizedTime notBefore with this text (malformed-time tests). */
  readonly rawNotBefore?: Bytes;
}

function signWith(kp: TestKeyPair, data: Bytes): Bytes {
  if (kp.kind === 'ed25519') return new Uint8Array(sign(null, data, kp.privateKey));
  const hash = kp.kind === 'p384' ? 'sha384' : 'sha256';
  return new Uint8Array(sign(hash, data, kp.kind.startsWith('rsa') ? kp.privateKey : { key: kp.privateKey, dsaEncoding: 'der' }));
}

let serialCounter = 0x1000n;

/** The product certificate maker (src/keys/make-cert.ts) with the test defaults: no basicConstraints. */
export function makeCert(o: CertOptions): TestCert {
  const kp = typeof o.key === 'object' ? o.key : testKey(o.key ?? 'rsa2048', o.keySlot ?? 0);
  const issuerKp = o.issuer?.key ?? kp;
  const c = makeCertificate({
    cn: o.cn,
    publicKey: kp.publicKey,
    privateKey: kp.privateKey,
    ...(o.issuer ? { issuer: { name: o.issuer.subjectName, privateKey: o.issuer.key.privateKey, ...(o.issuer.skid ? { skid: o.issuer.skid } : {}) } } : {}),
    skid: o.skid ?? true,
    ...(o.akid !== undefined ? { akid: o.akid } : {}),
    keyUsage: o.keyUsage ?? 'digitalSignature',
    basicConstraints: false,
    serial: o.serial ?? serialCounter++,
    notBefore: o.rawNotBefore ?? o.notBefore ?? new Date('2025-01-01T00:00:00Z'),
    notAfter: o.notAfter ?? new Date('2049-12-31T00:00:00Z'),
    // A well-formed signature over other bytes than the tbsCertificate: it does not verify.
    ...(o.badSignature ? { signTbs: (tbs: Bytes) => signWith(issuerKp, cat(tbs, Uint8Array.of(0))) } : {}),
  });
  return { der: c.der, key: kp, ...(c.skid ? { skid: c.skid } : {}), subjectName: c.subjectName, issuerName: c.issuerName, serialTlv: c.serialTlv, tbs: c.tbs };
}

export { cat };
