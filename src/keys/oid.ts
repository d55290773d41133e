// The object identifiers the kernel's PKCS#7 and X.509 parsers know by name, and the lookup from
// encoded OID bytes to a name (the kernel's look_up_OID: an OID it does not know is just
// "unknown", whatever it is).
//
// spec: PK7-PARSE-5, PK7-PARSE-8, PK7-PARSE-9, PK7-PARSE-10, PK7-PARSE-11, PK7-ALG-1

export const OIDS = {
  // PKCS#7 / CMS content types
  data: '1.2.840.113549.1.7.1',
  signed_data: '1.2.840.113549.1.7.2',
  msIndirectData: '1.3.6.1.4.1.311.2.1.4',
  // Signed (authenticated) attributes
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  smimeCapabilites: '1.2.840.113549.1.9.15', // sic: the kernel's spelling
  msSpOpusInfo: '1.3.6.1.4.1.311.2.1.12',
  msStatementType: '1.3.6.1.4.1.311.2.1.11',
  // Digests
  md4: '1.2.840.113549.2.4',
  md5: '1.2.840.113549.2.5',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha3_256: '2.16.840.1.101.3.4.2.8',
  sha3_384: '2.16.840.1.101.3.4.2.9',
  sha3_512: '2.16.840.1.101.3.4.2.10',
  sm3: '1.2.156.10197.1.401',
  streebog256: '1.2.643.7.1.1.2.2',
  streebog512: '1.2.643.7.1.1.2.3',
  // Public-key and signature algorithms
  rsaEncryption: '1.2.840.113549.1.1.1',
  md5WithRSAEncryption: '1.2.840.113549.1.1.4',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  id_rsassa_pss: '1.2.840.113549.1.1.10',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  sha224WithRSAEncryption: '1.2.840.113549.1.1.14',
  id_ecPublicKey: '1.2.840.10045.2.1',
  id_ecdsa_with_sha1: '1.2.840.10045.4.1',
  id_ecdsa_with_sha224: '1.2.840.10045.4.3.1',
  id_ecdsa_with_sha256: '1.2.840.10045.4.3.2',
  id_ecdsa_with_sha384: '1.2.840.10045.4.3.3',
  id_ecdsa_with_sha512: '1.2.840.10045.4.3.4',
  id_ecdsa_with_sha3_256: '2.16.840.1.101.3.4.3.10',
  id_ecdsa_with_sha3_384: '2.16.840.1.101.3.4.3.11',
  id_ecdsa_with_sha3_512: '2.16.840.1.101.3.4.3.12',
  id_rsassa_pkcs1_v1_5_with_sha3_256: '2.16.840.1.101.3.4.3.14',
  id_rsassa_pkcs1_v1_5_with_sha3_384: '2.16.840.1.101.3.4.3.15',
  id_rsassa_pkcs1_v1_5_with_sha3_512: '2.16.840.1.101.3.4.3.16',
  id_ml_dsa_44: '2.16.840.1.101.3.4.3.17',
  id_ml_dsa_65: '2.16.840.1.101.3.4.3.18',
  id_ml_dsa_87: '2.16.840.1.101.3.4.3.19',
  SM2_with_SM3: '1.2.156.10197.1.501',
  gost2012PKey256: '1.2.643.7.1.1.1.1',
  gost2012PKey512: '1.2.643.7.1.1.1.2',
  gost2012Signature256: '1.2.643.7.1.1.3.2',
  gost2012Signature512: '1.2.643.7.1.1.3.3',
  ed25519: '1.3.101.112',
  // Curves
  id_prime192v1: '1.2.840.10045.3.1.1',
  id_prime256v1: '1.2.840.10045.3.1.7',
  id_ansip384r1: '1.3.132.0.34',
  id_ansip521r1: '1.3.132.0.35',
  // X.509 names and extensions
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  email_address: '1.2.840.113549.1.9.1',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  // Hornet LSM: its signed attribute (OID_hornet_data, added to oid_registry.h by the v7 patch).
  // spec: HN-ASN1-1
  hornet_data: '2.25.316487325684022475439036912669789383960',
} as const;

export type OidName = keyof typeof OIDS;

/** The content bytes of an OBJECT IDENTIFIER (no tag, no length). */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new Error(`bad OID arc '${a}' in ${dotted}`);
    return BigInt(a);
  });
  if (arcs.length < 2) throw new Error(`OID needs at least two arcs: ${dotted}`);
  const out: number[] = [];
  const push = (v: bigint): void => {
    const tmp: number[] = [Number(v & 0x7fn)];
    v >>= 7n;
    while (v > 0n) {
      tmp.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(...tmp.reverse());
  };
  push(arcs[0] * 40n + arcs[1]);
  for (const a of arcs.slice(2)) push(a);
  return Uint8Array.from(out);
}

/** Dotted form of OID content bytes; `undefined` when the encoding is malformed. */
export function decodeOid(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0 || (bytes[bytes.length - 1] & 0x80) !== 0) return undefined;
  const arcs: bigint[] = [];
  let v = 0n;
  for (const b of bytes) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs[0];
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

const BY_BYTES = new Map<string, OidName>();
const BY_DOTTED = new Map<string, OidName>();
for (const [name, dotted] of Object.entries(OIDS) as [OidName, string][]) {
  BY_BYTES.set(Buffer.from(encodeOid(dotted)).toString('latin1'), name);
  BY_DOTTED.set(dotted, name);
}

/** look_up_OID: the kernel's name for encoded OID bytes, or undefined (the kernel's OID__NR). */
export function lookUpOid(bytes: Uint8Array): OidName | undefined {
  return BY_BYTES.get(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}

export function oidNameOf(dotted: string): OidName | undefined {
  return BY_DOTTED.get(dotted);
}

/** "sha256 (2.16.840.1.101.3.4.2.1)" or "1.2.3.4" for log lines. */
export function describeOid(bytes: Uint8Array): string {
  const name = lookUpOid(bytes);
  const dotted = decodeOid(bytes) ?? `<bad OID ${Buffer.from(bytes).toString('hex')}>`;
  return name ? `${name} (${dotted})` : dotted;
}
