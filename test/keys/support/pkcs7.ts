// A PKCS#7/CMS SignedData builder for tests. Defaults give bpftool's structure (detached, no
// certificates, SKID signer id, no signed attributes, SHA-256, rsaEncryption/ecdsa-with-SHA256);
// every field can be overridden or replaced by raw bytes to make the malformed variants that the
// failure → errno table (spec 03 §9) needs.

import { createHash, sign } from 'node:crypto';
import { O, type TestCert, type TestKeyPair } from './certs.js';
import { T, cat, type Bytes } from './der.js';

export interface Attr {
  readonly oid: string;
  /** Encoded values (each a full TLV). */
  readonly values: readonly Bytes[];
}

export const attr = {
  contentType: (oid: string = O.data): Attr => ({ oid: O.contentType, values: [T.oid(oid)] }),
  messageDigest: (digest: Bytes): Attr => ({ oid: O.messageDigest, values: [T.octet(digest)] }),
  signingTime: (d: Date): Attr => ({ oid: O.signingTime, values: [T.utcTime(d)] }),
  smimeCapabilities: (): Attr => ({ oid: O.smimeCapabilities, values: [T.seq(T.seq(T.oid('2.16.840.1.101.3.4.1.42')))] }),
  msSpOpusInfo: (): Attr => ({ oid: O.msSpOpusInfo, values: [T.seq()] }),
  raw: (oid: string, ...values: Bytes[]): Attr => ({ oid, values }),
};

export function encodeAttr(a: Attr): Bytes {
  return T.seq(T.oid(a.oid), T.set(...a.values));
}

const NODE_HASH: Record<string, string> = {
  [O.sha1]: 'sha1',
  [O.sha256]: 'sha256',
  [O.sha384]: 'sha384',
  [O.sha512]: 'sha512',
  [O.md5]: 'md5',
  [O.sm3]: 'sm3',
};

export interface SignerSpec {
  /** The signing key (its private half makes the default signature). */
  readonly key: TestKeyPair;
  /** Where the signer id comes from. */
  readonly cert?: TestCert;
  /** 'skid' (default), 'ias' (issuer+serial), or raw bytes for the whole sid element. */
  readonly sid?: 'skid' | 'ias' | Bytes;
  /** SignerInfo version; default 3 for SKID, 1 for IAS. */
  readonly version?: number;
  /** The version INTEGER element as raw bytes (overrides `version`). */
  readonly versionRaw?: Bytes;
  readonly digestOid?: string;
  readonly digestParamsNull?: boolean;
  /** Signature algorithm OID; default rsaEncryption (with NULL) or ecdsa-with-SHA256. */
  readonly sigOid?: string;
  readonly sigParamsNull?: boolean;
  /** Signed attributes, in the order given (DER-sorted when `sortAttrs`). */
  readonly signedAttrs?: readonly Attr[];
  readonly sortAttrs?: boolean;
  /** Tag for the signed-attributes element (default 0xa0 = [0] IMPLICIT SET OF). */
  readonly signedAttrsTag?: number;
  /** Replace the signature value, or transform the computed one. */
  readonly signature?: Bytes | ((computed: Bytes, toSign: Bytes) => Bytes);
  /** Hash used to compute the signature (default: from digestOid). */
  readonly signHash?: string;
  readonly unsignedAttrs?: readonly Attr[];
  /** Extra raw elements appended at the end of the SignerInfo (structure errors). */
  readonly trailing?: Bytes;
}

export interface Pkcs7Spec {
  /** The signed content (detached unless `eContent`). */
  readonly data: Bytes;
  /** Outer ContentInfo type (default signedData). */
  readonly contentType?: string;
  /** SignedData version (default: 3 if any SignerInfo is v3, else 1). */
  readonly version?: number;
  readonly versionRaw?: Bytes;
  readonly digestAlgorithms?: readonly string[];
  readonly eContentType?: string;
  /** Attached content: the encoded eContent element inside [0] (e.g. T.octet(data)). */
  readonly eContent?: Bytes;
  /** Embedded certificates (DER), in [0] IMPLICIT SET OF. */
  readonly certificates?: readonly Bytes[];
  readonly signers: readonly SignerSpec[];
  /** Leave signerInfos out of SignedData entirely. */
  readonly omitSignerInfos?: boolean;
}

export function signerInfo(data: Bytes, s: SignerSpec): Bytes {
  const kind = s.key.kind;
  const sidKind = s.sid ?? 'skid';
  let sid: Bytes;
  if (sidKind instanceof Uint8Array) sid = sidKind;
  else if (sidKind === 'skid') {
    if (!s.cert?.skid) throw new Error('test builder: SKID signer id needs a certificate with SKID');
    sid = T.ctxPrim(0, s.cert.skid);
  } else {
    if (!s.cert) throw new Error('test builder: IAS signer id needs a certificate');
    sid = T.seq(s.cert.issuerName, s.cert.serialTlv);
  }
  const version = s.versionRaw ?? T.int(s.version ?? (sidKind === 'ias' ? 1 : 3));
  const digestOid = s.digestOid ?? O.sha256;
  const digestAlg = s.digestParamsNull ? T.seq(T.oid(digestOid), T.nul()) : T.seq(T.oid(digestOid));
  const isRsa = kind.startsWith('rsa');
  const sigOid = s.sigOid ?? (isRsa ? O.rsaEncryption : O.ecdsaWithSha256);
  const sigParamsNull = s.sigParamsNull ?? sigOid === O.rsaEncryption;
  const sigAlg = sigParamsNull ? T.seq(T.oid(sigOid), T.nul()) : T.seq(T.oid(sigOid));

  let attrsElem: Bytes | undefined;
  let toSign = data;
  if (s.signedAttrs) {
    const enc = s.signedAttrs.map(encodeAttr);
    const set = s.sortAttrs ? T.setSorted(...enc) : T.set(...enc);
    toSign = set;
    attrsElem = cat(Uint8Array.of(s.signedAttrsTag ?? 0xa0), set.subarray(1));
  }
  const hash = s.signHash ?? NODE_HASH[digestOid] ?? 'sha256';
  const computed = (): Bytes =>
    new Uint8Array(sign(hash, toSign, isRsa ? s.key.privateKey : { key: s.key.privateKey, dsaEncoding: 'der' }));
  let sigValue: Bytes;
  if (s.signature instanceof Uint8Array) sigValue = s.signature;
  else if (typeof s.signature === 'function') sigValue = s.signature(computed(), toSign);
  else sigValue = computed();

  return T.seq(
    version,
    sid,
    digestAlg,
    ...(attrsElem ? [attrsElem] : []),
    sigAlg,
    T.octet(sigValue),
    ...(s.unsignedAttrs ? [T.ctx(1, ...s.unsignedAttrs.map(encodeAttr))] : []),
    ...(s.trailing ? [s.trailing] : []),
  );
}

export function buildPkcs7(spec: Pkcs7Spec): Bytes {
  const anyV3 = spec.signers.some((s) => (s.version ?? ((s.sid ?? 'skid') === 'ias' ? 1 : 3)) === 3);
  const version = spec.versionRaw ?? T.int(spec.version ?? (anyV3 ? 3 : 1));
  const digestAlgs = T.set(...(spec.digestAlgorithms ?? [O.sha256]).map((o) => T.seq(T.oid(o))));
  const encap = T.seq(T.oid(spec.eContentType ?? O.data), ...(spec.eContent ? [T.ctx(0, spec.eContent)] : []));
  const certs = spec.certificates ? [T.ctx(0, ...spec.certificates)] : [];
  const sinfos = spec.omitSignerInfos ? [] : [T.set(...spec.signers.map((s) => signerInfo(spec.data, s)))];
  const sd = T.seq(version, digestAlgs, encap, ...certs, ...sinfos);
  return T.seq(T.oid(spec.contentType ?? O.signedData), T.ctx(0, sd));
}

/** The signed-attribute set a well-formed signature over `data` needs. */
export function goodAttrs(data: Bytes, hash = 'sha256'): Attr[] {
  return [attr.contentType(), attr.messageDigest(new Uint8Array(createHash(hash).update(data).digest()))];
}
