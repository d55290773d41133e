// X.509 certificates made in-process: a self-signed signing certificate with a fresh RSA-2048 key
// (what `openssl req -x509 -newkey rsa:2048` plus the selftests' x509.genkey give), and the
// general builder behind it (any node:crypto key, self-signed or issued, with or without each
// extension) for callers that need unusual certificates.
//
// What the kernel needs from a BPF signing certificate (spec 03):
// - a subjectKeyIdentifier extension: bpftool signs with the SKID as signer id and the kernel
//   finds the key by that id (PK7-KEY-6, PK7-TRUST-4); without it bpftool and `openssl cms
//   -keyid` refuse the certificate ("certificate has no keyid", PK7-OSSL-*);
// - a valid self-signature: x509_key_preparse checks it for self-signed certificates;
// - keyUsage digitalSignature and basicConstraints CA:FALSE are not checked at verification time
//   (PK7-NOT-1) but matter for keyring link restrictions; we set them as the kernel selftests'
//   genkey config does (KP-TEST-2: basicConstraints=critical,CA:FALSE, keyUsage=digitalSignature,
//   subjectKeyIdentifier=hash, authorityKeyIdentifier=keyid);
// - validity: not checked against the clock (PK7-NOT-2); the default period still covers both
//   the emulator's clock (2025-11-30, DEFAULT_EPOCH) and today, so real tools accept it too.

import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { der, tlv } from './der.js';
import { OIDS } from './oid.js';

export interface IssuerInfo {
  /** The issuer's Name, as its DER TLV (the subject Name of the issuing certificate). */
  readonly name: Uint8Array;
  readonly privateKey: KeyObject;
  /** The issuer's SKID, used for the authorityKeyIdentifier. */
  readonly skid?: Uint8Array;
}

export interface CertificateOptions {
  /** Subject common name. */
  readonly cn: string;
  /** The certified public key (a private KeyObject works too). */
  readonly publicKey: KeyObject;
  /** The subject's private key: needed for a self-signed certificate (no `issuer`). */
  readonly privateKey?: KeyObject;
  /** Who signs the certificate; default: self-signed with `privateKey`. */
  readonly issuer?: IssuerInfo;
  /** Serial number; default: derived from the public key (stable for a given key). */
  readonly serial?: bigint;
  /** A Date, or an already encoded Time element (UTCTime/GeneralizedTime TLV) used as is. */
  readonly notBefore?: Date | Uint8Array;
  readonly notAfter?: Date | Uint8Array;
  /** subjectKeyIdentifier: true = SHA-1 of the subjectPublicKey bits (RFC 5280 method 1, default), false = none, or the bytes. */
  readonly skid?: boolean | Uint8Array;
  /** authorityKeyIdentifier keyIdentifier (issuer's SKID, or own SKID when self-signed); default true when there is one. */
  readonly akid?: boolean;
  /** keyUsage (critical): default digitalSignature; keyCertSign for a CA; false = none. */
  readonly keyUsage?: 'digitalSignature' | 'keyCertSign' | false;
  /** basicConstraints (critical): default end-entity (CA:FALSE); 'ca' = CA:TRUE; false = none. */
  readonly basicConstraints?: 'end-entity' | 'ca' | false;
  /** Replace the signature over the tbsCertificate (e.g. to make one that does not verify). */
  readonly signTbs?: (tbs: Uint8Array) => Uint8Array;
}

export interface MadeCertificate {
  readonly der: Uint8Array;
  readonly skid?: Uint8Array;
  /** The subject Name TLV (the issuer field of certificates this one signs). */
  readonly subjectName: Uint8Array;
  readonly issuerName: Uint8Array;
  readonly serialTlv: Uint8Array;
  /** The encoded tbsCertificate. */
  readonly tbs: Uint8Array;
}

/** Default validity: from 2025-01-01 to the last instant UTCTime can hold. */
export const DEFAULT_NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
export const DEFAULT_NOT_AFTER = new Date('2049-12-31T23:59:59Z');

function nameTlv(cn: string): Uint8Array {
  return der.seq(der.set(der.seq(der.oid(OIDS.commonName), tlv(0x0c, new Uint8Array(Buffer.from(cn, 'utf8'))))));
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
function timeTlv(t: Date | Uint8Array): Uint8Array {
  if (t instanceof Uint8Array) return t;
  if (Number.isNaN(t.getTime())) throw new RangeError('invalid certificate date');
  if (t.getUTCFullYear() < 2050) return der.utcTime(t);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const s = `${p(t.getUTCFullYear(), 4)}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}Z`;
  return tlv(0x18, new Uint8Array(Buffer.from(s, 'latin1')));
}

const bool = (v: boolean): Uint8Array => Uint8Array.of(0x01, 0x01, v ? 0xff : 0x00);
const bitString = (unused: number, bytes: Uint8Array): Uint8Array => tlv(0x03, Uint8Array.of(unused), bytes);

/** The signature algorithm and hash for a signing key, as OpenSSL picks them by default. */
function signatureAlgorithm(key: KeyObject): { alg: Uint8Array; hash: string | null; dsa: boolean } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { alg: der.seq(der.oid(OIDS.sha256WithRSAEncryption), der.nul()), hash: 'sha256', dsa: false };
    case 'ec': {
      const p384 = key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
      return { alg: der.seq(der.oid(p384 ? OIDS.id_ecdsa_with_sha384 : OIDS.id_ecdsa_with_sha256)), hash: p384 ? 'sha384' : 'sha256', dsa: true };
    }
    case 'ed25519':
      return { alg: der.seq(der.oid(OIDS.ed25519)), hash: null, dsa: false };
    default:
      throw new RangeError(`cannot sign a certificate with a ${key.asymmetricKeyType ?? 'unknown'} key`);
  }
}

/** The subjectPublicKeyInfo DER and the bits inside its BIT STRING (after the unused-bits byte). */
export function subjectPublicKeyBits(key: KeyObject): { spki: Uint8Array; bits: Uint8Array } {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const spki = new Uint8Array(pub.export({ format: 'der', type: 'spki' }));
  // SEQUENCE { AlgorithmIdentifier, BIT STRING }
  const header = (off: number): [number, number] => {
    const l = spki[off + 1]!;
    if (l < 0x80) return [off + 2, l];
    let v = 0;
    for (let i = 0; i < (l & 0x7f); i++) v = v * 256 + spki[off + 2 + i]!;
    return [off + 2 + (l & 0x7f), v];
  };
  const [body] = header(0);
  const [algBody, algLen] = header(body);
  const [bitsBody, bitsLen] = header(algBody + algLen);
  return { spki, bits: spki.subarray(bitsBody + 1, bitsBody + bitsLen) };
}

/** Build and sign an X.509 v3 certificate. */
export function makeCertificate(o: CertificateOptions): MadeCertificate {
  const signer = o.issuer?.privateKey ?? o.privateKey;
  if (!signer) throw new RangeError('a self-signed certificate needs the subject private key');
  const { spki, bits } = subjectPublicKeyBits(o.publicKey);
  const skid = o.skid === false ? undefined : o.skid instanceof Uint8Array ? o.skid : new Uint8Array(createHash('sha1').update(bits).digest());
  const subjectName = nameTlv(o.cn);
  const issuerName = o.issuer?.name ?? subjectName;
  // Default serial: 63 bits of SHA-256(SPKI) with bit 62 set, so it always encodes in 8 bytes.
  const serial = o.serial ?? ((BigInt('0x' + createHash('sha256').update(spki).digest('hex').slice(0, 16)) & 0x3fffffffffffffffn) | 0x4000000000000000n);
  const serialTlv = der.int(serial);
  const ext: Uint8Array[] = [];
  if (skid) ext.push(der.seq(der.oid(OIDS.subjectKeyIdentifier), der.octet(der.octet(skid))));
  const akidSource = o.issuer ? o.issuer.skid : skid;
  if ((o.akid ?? true) && akidSource) ext.push(der.seq(der.oid(OIDS.authorityKeyIdentifier), der.octet(der.seq(der.implicitPrim(0, akidSource)))));
  if (o.keyUsage !== false) {
    // KeyUsage BIT STRING: digitalSignature = bit 0 (0x80, 7 unused bits); keyCertSign = bit 5 (0x04, 2 unused).
    const ku = o.keyUsage === 'keyCertSign' ? bitString(2, Uint8Array.of(0x04)) : bitString(7, Uint8Array.of(0x80));
    ext.push(der.seq(der.oid(OIDS.keyUsage), bool(true), der.octet(ku)));
  }
  if (o.basicConstraints !== false) {
    const bc = o.basicConstraints === 'ca' ? der.seq(bool(true)) : der.seq();
    ext.push(der.seq(der.oid(OIDS.basicConstraints), bool(true), der.octet(bc)));
  }
  const sa = signatureAlgorithm(signer);
  const tbs = der.seq(
    der.explicit(0, der.int(2)),
    serialTlv,
    sa.alg,
    issuerName,
    der.seq(timeTlv(o.notBefore ?? DEFAULT_NOT_BEFORE), timeTlv(o.notAfter ?? DEFAULT_NOT_AFTER)),
    subjectName,
    spki,
    ...(ext.length ? [der.explicit(3, der.seq(...ext))] : []),
  );
  const signature = o.signTbs
    ? o.signTbs(tbs)
    : new Uint8Array(sign(sa.hash, tbs, sa.dsa ? { key: signer, dsaEncoding: 'der' } : signer));
  return { der: der.seq(tbs, sa.alg, bitString(0, signature)), ...(skid ? { skid } : {}), subjectName, issuerName, serialTlv, tbs };
}

export interface SigningIdentity {
  readonly privateKey: KeyObject;
  readonly certificate: MadeCertificate;
  /** PKCS#8 PEM, what `bpftool -k` and `openssl -inkey` read. */
  readonly keyPem: string;
  readonly certPem: string;
  readonly certDer: Uint8Array;
}

export interface SigningIdentityOptions {
  readonly cn?: string;
  /** Use this key instead of generating an RSA-2048 one. */
  readonly privateKey?: KeyObject;
  readonly serial?: bigint;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export const DEFAULT_SIGNING_CN = 'bpfsig signing key';

function pem(label: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/**
 * A fresh BPF signing identity: an RSA-2048 key from node:crypto (random: node cannot derive a
 * key from a seed) and a self-signed certificate the kernel model and bpftool accept.
 */
export function makeSigningIdentity(o: SigningIdentityOptions = {}): SigningIdentity {
  const privateKey = o.privateKey ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const certificate = makeCertificate({
    cn: o.cn ?? DEFAULT_SIGNING_CN,
    publicKey: privateKey,
    privateKey,
    ...(o.serial !== undefined ? { serial: o.serial } : {}),
    ...(o.notBefore ? { notBefore: o.notBefore } : {}),
    ...(o.notAfter ? { notAfter: o.notAfter } : {}),
  });
  return {
    privateKey,
    certificate,
    keyPem: String(privateKey.export({ format: 'pem', type: 'pkcs8' })),
    certPem: pem('CERTIFICATE', certificate.der),
    certDer: certificate.der,
  };
}
