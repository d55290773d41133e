// Kernel configuration that changes what the keys and PKCS#7 code does. Defaults model a
// distribution v6.18 kernel with CONFIG_SYSTEM_DATA_VERIFICATION; every knob is documented in
// docs/fidelity.md ("Keys and PKCS#7").

/** Allocation sites where a failure can be injected (the kernel's failslab), for -ENOMEM paths. */
export type FailSite = 'pkcs7_parse_message' | 'pkcs7_digest' | 'find_asymmetric_key' | 'bpf_key';
export type Failslab = (site: FailSite) => boolean;

export type EcCurveName = 'p192' | 'p256' | 'p384' | 'p521';

export interface KeysConfig {
  /** CONFIG_KEYS. Without it bpf_lookup_*_key are stubs returning NULL (PK7-KEY-4). */
  readonly keys: boolean;
  /** CONFIG_SECONDARY_TRUSTED_KEYRING. Without it selector 1 means the builtin ring (PK7-KEY-1). */
  readonly secondaryTrustedKeyring: boolean;
  /** CONFIG_INTEGRITY_PLATFORM_KEYRING and the ring set up. Without it selector 2 → -ENOKEY (PK7-VER-4). */
  readonly platformKeyring: boolean;
  /** CONFIG_SYSTEM_BLACKLIST_KEYRING: `.blacklist` exists and hash entries are honoured. */
  readonly blacklistKeyring: boolean;
  /** CONFIG_SYSTEM_REVOCATION_LIST: certificates in `.blacklist` reject matching signers (PK7-KEY-8). */
  readonly revocationList: boolean;
  /** Hash algorithms the crypto API can instantiate (crypto_alloc_shash); others → -ENOPKG (PK7-DIG-1). */
  readonly hashes: readonly string[];
  /** ECDSA curves with kernel support (P-521 since ≈6.10); certificates on others → -ENOPKG (PK7-PUB-4). */
  readonly ecdsaCurves: readonly EcCurveName[];
  /** fips_enabled: RSA moduli of 512–1536 bits are refused (PK7-PUB-3). */
  readonly fips: boolean;
}

export const DEFAULT_KEYS_CONFIG: KeysConfig = Object.freeze({
  keys: true,
  secondaryTrustedKeyring: true,
  platformKeyring: true,
  blacklistKeyring: true,
  revocationList: true,
  hashes: Object.freeze(['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha3-256', 'sha3-384', 'sha3-512']),
  ecdsaCurves: Object.freeze(['p192', 'p256', 'p384', 'p521'] as EcCurveName[]),
  fips: false,
});

export function keysConfig(over: Partial<KeysConfig> = {}): KeysConfig {
  return Object.freeze({ ...DEFAULT_KEYS_CONFIG, ...over });
}
