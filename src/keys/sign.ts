// The signer: PKCS#7/CMS SignedData in bpftool 7.7's structure (detached, no certificates, SKID
// signer id, no signed attributes, SHA-256, rsaEncryption or ecdsa-with-SHA256), DER out. For RSA
// the bytes are those of
//   openssl cms -sign -binary -in DATA -signer CERT -inkey KEY -md sha256 -nocerts -noattr \
//     -nosmimecap -keyid -outform DER
// Variants for tests and other schemes: an IssuerAndSerialNumber signer id, embedded certificate,
// signed attributes (contentType, signingTime, messageDigest, optionally S/MIME capabilities, plus
// any extra attribute given as an OID and DER values), attached content.
//
// spec: PK7-CMS-1, PK7-CMS-2, PK7-CMS-3, PK7-CMS-4, PK7-OSSL-1, PK7-OSSL-2, PK7-OSSL-3, PK7-REC-3,
//       TC-BT77-3

import { parseCertStructure } from './x509.js';
import { createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { readChildren, readTlv } from './ber.js';
import { concat, der } from './der.js';
import { OIDS } from './oid.js';
import { certificateToDer, KeyFormatError, loadPrivateKey } from './pem.js';

export type SignDigest = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** A signed attribute: its type OID and its values, each already DER-encoded. */
export interface ExtraAttribute {
  readonly oid: string;
  readonly values: readonly Uint8Array[];
}

export interface SignedAttributesOptions {
  /** signingTime value; `false` leaves the attribute out. Default: now. */
  readonly signingTime?: Date | false;
  /** Add S/MIME capabilities, as OpenSSL does unless -nosmimecap (the kernel refuses it for BPF). */
  readonly smimeCapabilities?: boolean;
  /** More attributes (e.g. a scheme's own hash list). */
  readonly extra?: readonly ExtraAttribute[];
}

export interface SignOptions {
  /** The signer's private key: PEM text/bytes or a KeyObject. */
  readonly key: KeyObject | string | Uint8Array;
  /** The signer's certificate: PEM or DER. */
  readonly cert: string | Uint8Array;
  /** Signer id: 'skid' (bpftool, -keyid; default) or 'issuer-serial' (openssl without -keyid). */
  readonly sid?: 'skid' | 'issuer-serial';
  /** Digest algorithm (default sha256, as bpftool). */
  readonly digest?: SignDigest;
  /** Signed attributes: false/omitted = none (bpftool, -noattr); true = OpenSSL's defaults minus S/MIME caps. */
  readonly signedAttributes?: boolean | SignedAttributesOptions;
  /** Embed the signer certificate (dropping CMS_NOCERTS). */
  readonly embedCertificate?: boolean;
  /** Put the data inside the message (not detached). The kernel refuses such a signature for BPF. */
  readonly attachContent?: boolean;
}

const DIGEST_OID: Record<SignDigest, string> = {
  sha1: OIDS.sha1,
  sha224: OIDS.sha224,
  sha256: OIDS.sha256,
  sha384: OIDS.sha384,
  sha512: OIDS.sha512,
};

const ECDSA_OID: Record<SignDigest, string> = {
  sha1: OIDS.id_ecdsa_with_sha1,
  sha224: OIDS.id_ecdsa_with_sha224,
  sha256: OIDS.id_ecdsa_with_sha256,
  sha384: OIDS.id_ecdsa_with_sha384,
  sha512: OIDS.id_ecdsa_with_sha512,
};

/** The certificate fields a SignerInfo needs: raw issuer Name and serial INTEGER TLVs, and the SKID. */
export interface SignerCertificate {
  readonly der: Uint8Array;
  readonly issuerTlv: Uint8Array;
  readonly serialTlv: Uint8Array;
  readonly skid?: Uint8Array;
  readonly spki: Uint8Array;
}

export function signerCertificate(certInput: string | Uint8Array): SignerCertificate {
  const certDer = certificateToDer(typeof certInput === 'string' ? new Uint8Array(Buffer.from(certInput, 'latin1')) : certInput);
  // The structure read-only, shared by content with the kernel side's certificate parses (x509.ts).
  const cert = parseCertStructure(certDer);
  if (typeof cert === 'string') throw new KeyFormatError(`not an X.509 certificate: ${cert}`);
  const tbs = cert.tbsView;
  const top = readTlv(tbs, 0);
  const fields = top && readChildren(tbs, top);
  if (!fields) throw new KeyFormatError('malformed tbsCertificate');
  let i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = fields[i++];
  i++; // signature algorithm
  const issuer = fields[i++];
  if (!serial || !issuer) throw new KeyFormatError('malformed tbsCertificate');
  let skid: Uint8Array | undefined;
  for (const ext of cert.extensions ?? []) {
    if (ext.extnID !== OIDS.subjectKeyIdentifier) continue;
    const v = ext.extnValue.valueBlock.valueHexView;
    const t = readTlv(v, 0);
    if (t && t.tag === 0x04) skid = v.subarray(t.off, t.end);
  }
  return {
    der: certDer,
    issuerTlv: tbs.subarray(issuer.start, issuer.end),
    serialTlv: tbs.subarray(serial.start, serial.end),
    skid,
    spki: new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER(false)),
  };
}

function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
}

function attribute(oid: string, ...values: Uint8Array[]): Uint8Array {
  return der.seq(der.oid(oid), der.setOf(...values));
}

/** S/MIME capabilities as OpenSSL 3.0 writes them by default (AES/3DES/RC2 preferences). */
function smimeCapabilitiesValue(): Uint8Array {
  const cap = (oid: string, ...params: Uint8Array[]): Uint8Array => der.seq(der.oid(oid), ...params);
  return der.seq(
    cap('2.16.840.1.101.3.4.1.42'), // aes256-CBC
    cap('2.16.840.1.101.3.4.1.22'), // aes192-CBC
    cap('2.16.840.1.101.3.4.1.2'), // aes128-CBC
    cap('1.2.840.113549.3.7'), // des-ede3-cbc
    cap('1.2.840.113549.3.2', der.int(128)), // rc2-cbc 128
    cap('1.2.840.113549.3.2', der.int(64)),
    cap('1.3.14.3.2.7'), // des-cbc
    cap('1.2.840.113549.3.2', der.int(40)),
  );
}

/**
 * Sign `data` and return DER. Throws KeyFormatError for unusable keys or certificates (e.g. a
 * certificate without SKID when `sid` is 'skid', as OpenSSL's "certificate has no keyid").
 */
export function signPkcs7(data: Uint8Array, opts: SignOptions): Uint8Array {
  const key = opts.key instanceof Uint8Array || typeof opts.key === 'string' ? loadPrivateKey(opts.key) : opts.key;
  const cert = signerCertificate(opts.cert);
  const digest = opts.digest ?? 'sha256';
  const sidKind = opts.sid ?? 'skid';

  if (Buffer.compare(Buffer.from(spkiOf(key)), Buffer.from(cert.spki)) !== 0) {
    throw new KeyFormatError('private key does not match certificate');
  }
  const keyType = key.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'ec') throw new KeyFormatError(`unsupported key type "${keyType}" (RSA or EC only)`);

  let sid: Uint8Array;
  let signerVersion: number;
  if (sidKind === 'skid') {
    if (!cert.skid) throw new KeyFormatError('certificate has no keyid (no subjectKeyIdentifier extension)');
    sid = der.implicitPrim(0, cert.skid);
    signerVersion = 3;
  } else {
    sid = der.seq(cert.issuerTlv, cert.serialTlv);
    signerVersion = 1;
  }

  // Signed attributes (DER SET OF), or none: then the signature is over the data itself.
  let signedAttrs: Uint8Array | undefined;
  if (opts.signedAttributes) {
    const a: SignedAttributesOptions = opts.signedAttributes === true ? {} : opts.signedAttributes;
    const attrs: Uint8Array[] = [
      attribute(OIDS.contentType, der.oid(OIDS.data)),
      attribute(OIDS.messageDigest, der.octet(new Uint8Array(createHash(digest).update(data).digest()))),
    ];
    if (a.signingTime !== false) attrs.push(attribute(OIDS.signingTime, der.utcTime(a.signingTime ?? new Date())));
    if (a.smimeCapabilities) attrs.push(attribute(OIDS.smimeCapabilites, smimeCapabilitiesValue()));
    for (const x of a.extra ?? []) attrs.push(attribute(x.oid, ...x.values));
    signedAttrs = der.setOf(...attrs);
  }
  const toSign = signedAttrs ?? data;
  const signature =
    keyType === 'rsa'
      ? new Uint8Array(sign(digest, toSign, key))
      : new Uint8Array(sign(digest, toSign, { key, dsaEncoding: 'der' }));

  const digestAlg = der.seq(der.oid(DIGEST_OID[digest]));
  const sigAlg = keyType === 'rsa' ? der.seq(der.oid(OIDS.rsaEncryption), der.nul()) : der.seq(der.oid(ECDSA_OID[digest]));
  const signerInfo = der.seq(
    der.int(signerVersion),
    sid,
    digestAlg,
    ...(signedAttrs ? [concat([Uint8Array.of(0xa0), signedAttrs.subarray(1)])] : []),
    sigAlg,
    der.octet(signature),
  );
  const encap = opts.attachContent
    ? der.seq(der.oid(OIDS.data), der.explicit(0, der.octet(data)))
    : der.seq(der.oid(OIDS.data));
  const signedData = der.seq(
    der.int(signerVersion === 3 ? 3 : 1),
    der.set(digestAlg),
    encap,
    ...(opts.embedCertificate ? [der.explicit(0, cert.der)] : []),
    der.set(signerInfo),
  );
  return der.seq(der.oid(OIDS.signed_data), der.explicit(0, signedData));
}
