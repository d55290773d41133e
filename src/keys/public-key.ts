// public_key_verify_signature: check one signature with one public key, returning the kernel's
// errno for each way it can fail. The modular arithmetic is node:crypto's; the checks around it
// (algorithm match, key sizes, EMSA-PKCS1-v1_5 decoding, the X9.62 signature decoding and r/s
// range) are ours, so that each failure gets the kernel's errno.
//
// spec: PK7-PUB-1 (sig/key algorithm mismatch → EKEYREJECTED), PK7-PUB-2 (encoding/hash
//       combinations → EINVAL), PK7-PUB-3 (RSA sizes, lengths, padding, digest), PK7-PUB-4 (ECDSA),
//       PK7-ALG-1, PK7-EC-1.

import * as nodeCrypto from 'node:crypto';
import { constants, createHash, publicDecrypt, verify, type KeyObject } from 'node:crypto';
import { Errno } from '../abi/errno.js';
import { asn1, asn1_ber_decoder, ASN1_INT, type Asn1Diag } from './asn1-decoder.js';
import type { EcCurveName, KeysConfig } from './config.js';
import type { KeyId } from './key-id.js';
import type { KLog } from './klog.js';

/** A public key as the kernel holds it (struct public_key), plus the node:crypto key object. */
export interface PublicKey {
  /** "rsa", "ecdsa-nist-p256", ... */
  readonly pkeyAlgo: string;
  readonly keyObject: KeyObject;
  /** RSA: byte length of the modulus (the kernel's key_size). */
  readonly rsaBytes?: number;
  /** ECDSA: the curve. */
  readonly curve?: EcCurveName;
  /** ECDSA: the public point is in uncompressed form (04 ‖ X ‖ Y), the only form the kernel takes. */
  readonly ecUncompressed?: boolean;
}

/** A signature to check (struct public_key_signature). */
export interface PublicKeySignature {
  /** The signature value (RSA: the integer; ECDSA: DER Ecdsa-Sig-Value). */
  s: Uint8Array;
  /** The digest the signature covers. */
  digest?: Uint8Array;
  /** The bytes `digest` was computed over (node:crypto hashes them again for ECDSA). */
  signedBytes?: Uint8Array;
  /** Kernel hash name: "sha256", "sha3-256", "sm3", ... */
  hashAlgo?: string;
  /** "rsa", "ecdsa", "ecrdsa", "sm2", ... from the signature algorithm OID. */
  pkeyAlgo?: string;
  /** "pkcs1", "x962", "raw". */
  encoding?: string;
  /** [0] issuer+serial (or SignerInfo sid), [1] SKID/AKID keyIdentifier, [2] unused here. */
  authIds: [KeyId | undefined, KeyId | undefined, KeyId | undefined];
}

/** Kernel hash names → node:crypto names. */
export const NODE_HASH: Readonly<Record<string, string>> = {
  md4: 'md4',
  md5: 'md5',
  sha1: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
  sm3: 'sm3',
};

export const DIGEST_SIZE: Readonly<Record<string, number>> = {
  md4: 16,
  md5: 16,
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
  'sha3-256': 32,
  'sha3-384': 48,
  'sha3-512': 64,
  sm3: 32,
  streebog256: 32,
  streebog512: 64,
};

/** RFC 8017 DigestInfo prefixes for EMSA-PKCS1-v1_5 (the hashes the kernel's pkcs1 template knows). */
const DIGEST_INFO_PREFIX: Readonly<Record<string, Uint8Array>> = Object.fromEntries(
  Object.entries({
    md5: '3020300c06082a864886f70d020505000410',
    sha1: '3021300906052b0e03021a05000414',
    sha224: '302d300d06096086480165030402040500041c',
    sha256: '3031300d060960864801650304020105000420',
    sha384: '3041300d060960864801650304020205000430',
    sha512: '3051300d060960864801650304020305000440',
    'sha3-256': '3031300d060960864801650304020805000420',
    'sha3-384': '3041300d060960864801650304020905000430',
    'sha3-512': '3051300d060960864801650304020a05000440',
  }).map(([k, v]) => [k, Uint8Array.from(Buffer.from(v, 'hex'))]),
);

export interface EcCurve {
  readonly name: EcCurveName;
  readonly nodeName: string;
  /** The group order n. */
  readonly n: bigint;
  /** Bytes of an integer modulo n (ieee-p1363 half size). */
  readonly bytes: number;
  /** The kernel's buffer for r and s (ndigits × 8 bytes). */
  readonly kernelBuf: number;
}

export const EC_CURVES: Readonly<Record<EcCurveName, EcCurve>> = {
  p192: { name: 'p192', nodeName: 'prime192v1', n: 0xffffffffffffffffffffffff99def836146bc9b1b4d22831n, bytes: 24, kernelBuf: 24 },
  p256: {
    name: 'p256',
    nodeName: 'prime256v1',
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    bytes: 32,
    kernelBuf: 32,
  },
  p384: {
    name: 'p384',
    nodeName: 'secp384r1',
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    bytes: 48,
    kernelBuf: 48,
  },
  p521: {
    name: 'p521',
    nodeName: 'secp521r1',
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    bytes: 66,
    kernelBuf: 72,
  },
};

const ECDSA_HASHES = new Set(['sha224', 'sha256', 'sha384', 'sha512', 'sha3-256', 'sha3-384', 'sha3-512']);
const RSA_SIZES = [512, 1024, 1536, 2048, 3072, 4096];
const RSA_SIZES_FIPS = [2048, 3072, 4096];

const oneShotHash = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;

/** Compute a digest with a kernel hash name; undefined if node:crypto cannot. */
export function kernelHash(hashAlgo: string, parts: readonly Uint8Array[]): Uint8Array | undefined {
  const nodeName = NODE_HASH[hashAlgo];
  if (!nodeName) return undefined;
  // One part: node:crypto's one-shot hash() where this Node has it (20.12+), without a Hash object.
  if (parts.length === 1 && oneShotHash) {
    try {
      const b = oneShotHash(nodeName, parts[0]!, 'buffer');
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // a plain Uint8Array, as below
    } catch {
      return undefined;
    }
  }
  try {
    const h = createHash(nodeName);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  } catch {
    return undefined;
  }
}

function bytesToBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

function bigIntToBytes(v: bigint, len: number): Buffer {
  return Buffer.from(v.toString(16).padStart(len * 2, '0'), 'hex');
}

function equalBytes(a: Uint8Array, aOff: number, b: Uint8Array): boolean {
  if (aOff + b.length > a.length) return false;
  for (let i = 0; i < b.length; i++) if (a[aOff + i] !== b[i]) return false;
  return true;
}

/**
 * public_key_verify_signature(pkey, sig): 0, or -EKEYREJECTED / -EBADMSG / -EINVAL / -ENOPKG /
 * -ENOENT as the kernel returns them. Failures are recorded in `log` with their rule id.
 */
export function public_key_verify_signature(pkey: PublicKey, sig: PublicKeySignature, cfg: KeysConfig, log: KLog): number {
  // spec: PK7-PUB-1 — the signature's key algorithm must be the key's ("ecdsa" matches "ecdsa-nist-*").
  if (sig.pkeyAlgo && sig.pkeyAlgo !== pkey.pkeyAlgo && !(pkey.pkeyAlgo.startsWith('ecdsa-') && sig.pkeyAlgo === 'ecdsa')) {
    return log.fail(
      -Errno.EKEYREJECTED,
      'PK7-PUB-1',
      `public_key: signature algorithm "${sig.pkeyAlgo}" does not match key algorithm "${pkey.pkeyAlgo}"`,
    );
  }
  if (!sig.digest || !sig.hashAlgo) return log.fail(-Errno.EINVAL, 'PK7-PUB-2', 'public_key: signature has no digest');

  if (pkey.pkeyAlgo === 'rsa') return rsassaPkcs1Verify(pkey, sig, cfg, log);
  if (pkey.pkeyAlgo.startsWith('ecdsa-')) return ecdsaX962Verify(pkey, sig, log);
  return log.fail(-Errno.ENOPKG, 'PK7-PUB-2', `public_key: no software implementation of "${pkey.pkeyAlgo}"`);
}

function rsassaPkcs1Verify(pkey: PublicKey, sig: PublicKeySignature, cfg: KeysConfig, log: KLog): number {
  const hash = sig.hashAlgo!;
  // spec: PK7-PUB-2 — software_key_determine_akcipher: RSA needs the "pkcs1" encoding and a hash.
  if (sig.encoding !== 'pkcs1') return log.fail(-Errno.EINVAL, 'PK7-PUB-2', `public_key: RSA with encoding "${sig.encoding}"`);
  const prefix = DIGEST_INFO_PREFIX[hash];
  if (!prefix) return log.fail(-Errno.ENOENT, 'PK7-PUB-2', `crypto: no pkcs1(rsa,${hash}) template`);
  // spec: PK7-PUB-3 — the modulus size is checked when the key is set.
  const k = pkey.rsaBytes ?? 0;
  const allowed = cfg.fips ? RSA_SIZES_FIPS : RSA_SIZES;
  if (!allowed.includes(k * 8)) {
    return log.fail(-Errno.EINVAL, 'PK7-PUB-3', `rsa: unsupported key length ${k * 8} bits${cfg.fips ? ' (FIPS mode)' : ''}`);
  }
  if (sig.s.length !== k) {
    return log.fail(-Errno.EINVAL, 'PK7-PUB-3', `rsassa-pkcs1: signature length ${sig.s.length} != key size ${k}`);
  }
  let em: Buffer;
  try {
    em = publicDecrypt({ key: pkey.keyObject, padding: constants.RSA_NO_PADDING }, sig.s);
  } catch {
    return log.fail(-Errno.EINVAL, 'PK7-PUB-3', 'rsa: signature representative out of range (s >= n)');
  }
  // EMSA-PKCS1-v1_5: 00 01 FF..FF (at least 8) 00 DigestInfo-prefix digest.
  if (em[0] !== 0x00 || em[1] !== 0x01) return log.fail(-Errno.EBADMSG, 'PK7-PUB-3', 'rsassa-pkcs1: bad block type');
  let pos = 2;
  while (pos < em.length && em[pos] === 0xff) pos++;
  if (pos - 2 < 8 || pos >= em.length || em[pos] !== 0x00) {
    return log.fail(-Errno.EBADMSG, 'PK7-PUB-3', 'rsassa-pkcs1: bad padding');
  }
  pos++;
  if (!equalBytes(em, pos, prefix)) return log.fail(-Errno.EBADMSG, 'PK7-PUB-3', `rsassa-pkcs1: DigestInfo is not ${hash}`);
  pos += prefix.length;
  const digest = sig.digest!;
  if (em.length - pos !== digest.length || !equalBytes(em, pos, digest)) {
    return log.fail(-Errno.EKEYREJECTED, 'PK7-PUB-3', 'rsassa-pkcs1: digest mismatch');
  }
  return 0;
}

interface EcdsaSigCtx {
  r?: Uint8Array;
  s?: Uint8Array;
  buf: number;
}

function noteRS(which: 'r' | 's') {
  return (ctx: EcdsaSigCtx, _h: number, _t: number, data: Uint8Array, off: number, vlen: number): number => {
    // The integer may be one byte longer than the curve buffer only for a leading zero.
    if (vlen === 0 || vlen > ctx.buf + 1) return -Errno.EINVAL;
    let start = off;
    let len = vlen;
    if (len > ctx.buf) {
      if (data[start] !== 0) return -Errno.EINVAL;
      start++;
      len--;
    }
    ctx[which] = data.subarray(start, start + len);
    return 0;
  };
}

/** ECDSASignature ::= SEQUENCE { r INTEGER, s INTEGER } (crypto/ecdsasignature.asn1). */
const ECDSA_SIGNATURE = asn1.seq<EcdsaSigCtx>('ECDSASignature', [
  asn1.leaf('r', ASN1_INT, { action: noteRS('r') }),
  asn1.leaf('s', ASN1_INT, { action: noteRS('s') }),
]);

function ecdsaX962Verify(pkey: PublicKey, sig: PublicKeySignature, log: KLog): number {
  const curve = pkey.curve ? EC_CURVES[pkey.curve] : undefined;
  if (!curve) return log.fail(-Errno.ENOPKG, 'PK7-PUB-4', `ecdsa: unknown curve for "${pkey.pkeyAlgo}"`);
  // spec: PK7-PUB-2 — ECDSA takes the X9.62 encoding and a SHA-2/SHA-3 hash only.
  if (sig.encoding !== 'x962') return log.fail(-Errno.EINVAL, 'PK7-PUB-2', `public_key: ECDSA with encoding "${sig.encoding}"`);
  if (!ECDSA_HASHES.has(sig.hashAlgo!)) {
    return log.fail(-Errno.EINVAL, 'PK7-PUB-2', `public_key: ECDSA with hash "${sig.hashAlgo}" not allowed`);
  }
  if (!pkey.ecUncompressed) return log.fail(-Errno.EINVAL, 'PK7-PUB-4', 'ecdsa: public key is not an uncompressed point');
  // spec: PK7-PUB-4 — decode the DER Ecdsa-Sig-Value the kernel way.
  const ctx: EcdsaSigCtx = { buf: curve.kernelBuf };
  const diag: Asn1Diag = { errmsg: '', at: 0, tag: 0 };
  const dr = asn1_ber_decoder(ECDSA_SIGNATURE, ctx, sig.s, diag);
  if (dr < 0) {
    const why = dr === -Errno.EINVAL ? 'integer too long' : diag.errmsg;
    return log.fail(dr, 'PK7-PUB-4', `ecdsa-x962: malformed signature (${why})`);
  }
  const r = bytesToBigInt(ctx.r!);
  const s = bytesToBigInt(ctx.s!);
  if (r === 0n || s === 0n) return log.fail(-Errno.EBADMSG, 'PK7-PUB-4', 'ecdsa: r or s is zero');
  if (r >= curve.n || s >= curve.n) return log.fail(-Errno.EBADMSG, 'PK7-PUB-4', 'ecdsa: r or s is not below the group order');
  const p1363 = Buffer.concat([bigIntToBytes(r, curve.bytes), bigIntToBytes(s, curve.bytes)]);
  const nodeHash = NODE_HASH[sig.hashAlgo!];
  let good = false;
  try {
    good = verify(nodeHash, sig.signedBytes ?? new Uint8Array(0), { key: pkey.keyObject, dsaEncoding: 'ieee-p1363' }, p1363);
  } catch {
    good = false;
  }
  if (!good) return log.fail(-Errno.EKEYREJECTED, 'PK7-PUB-4', 'ecdsa: signature does not verify');
  return 0;
}
