// The kernel-wide key state: the system keyrings, the serial table, user keyrings per uid, the
// blacklist, the clock; and verify_pkcs7_signature (certs/system_keyring.c), which everything
// signature-related in bpfsig goes through.
//
// spec: PK7-KEY-1, PK7-KEY-8, PK7-KEY-9, PK7-VER-1..6, PK7-ERR-24, PK7-ERR-31

import { Errno } from '../abi/errno.js';
import {
  bpf_key_put,
  bpf_lookup_system_key,
  bpf_lookup_user_key,
  bpf_verify_pkcs7_signature,
  type BpfKey,
  type BpfVerifyOptions,
} from './bpf-key.js';
import { DEFAULT_SERIAL_SEED, KeyVirtualClock, xorshiftSerials, type KeyClock, type SerialSource } from './clock.js';
import { keysConfig, type Failslab, type KeysConfig } from './config.js';
import { find_asymmetric_key, Key, key_validate, wouldCycle, type AsymmetricPayload, type KeyInit, type PendingKey } from './keyring.js';
import { KLog, type Pkcs7Verdict } from './klog.js';
import { pkcs7_parse_message, pkcs7_supply_detached_data, type Pkcs7Message } from './pkcs7-parse.js';
import { pkcs7_validate_trust } from './pkcs7-trust.js';
import { pkcs7_verify, type KeyBeingUsedFor } from './pkcs7-verify.js';
import { ProcessKeyrings, type ProcessKeyringsOptions } from './process-keyrings.js';
import { public_key_verify_signature } from './public-key.js';
import { x509_cert_parse, type X509Certificate } from './x509.js';

/** `trusted_keys` of verify_pkcs7_signature: NULL/0 builtin, 1 secondary, 2 platform, or a key. */
export type TrustedKeys = null | 0 | 1 | 2 | Key;
export const VERIFY_USE_SECONDARY_KEYRING = 1;
export const VERIFY_USE_PLATFORM_KEYRING = 2;

export interface KeyServiceOptions {
  /** Kernel configuration (defaults: DEFAULT_KEYS_CONFIG). */
  readonly config?: Partial<KeysConfig>;
  /** Wall clock in seconds for expiry (default: a KeyVirtualClock at 2025-11-30). */
  readonly clock?: KeyClock;
  /** Raw random values for serials (default: xorshift32 seeded with `serialSeed`). */
  readonly serials?: SerialSource;
  readonly serialSeed?: number;
  /** Fault injection: make the allocation at a site fail (-ENOMEM, or NULL for bpf_key). */
  readonly failslab?: Failslab;
}

/** Result of preparsing an "asymmetric" payload (x509_key_preparse). */
export interface AsymmetricPreparse {
  readonly description: string;
  readonly asym: AsymmetricPayload;
}

export class KeyService {
  readonly config: KeysConfig;
  readonly clock: KeyClock;
  readonly builtin_trusted_keys: Key;
  readonly secondary_trusted_keys: Key | undefined;
  readonly platform_trusted_keys: Key | undefined;
  readonly blacklist_keyring: Key | undefined;
  readonly failslab: Failslab | undefined;
  private readonly serials: SerialSource;
  private readonly table = new Map<number, Key>();
  private readonly users = new Map<number, { uid: Key; session: Key }>();

  constructor(opts: KeyServiceOptions = {}) {
    this.config = keysConfig(opts.config);
    this.clock = opts.clock ?? new KeyVirtualClock();
    this.serials = opts.serials ?? xorshiftSerials(opts.serialSeed ?? DEFAULT_SERIAL_SEED);
    this.failslab = opts.failslab;

    // Boot: the system keyrings, owned by root, written only by the kernel (or, for the secondary
    // ring, by userspace with a certificate signed by a trusted key).
    this.builtin_trusted_keys = this.pin(this.key_alloc({ type: 'keyring', description: '.builtin_trusted_keys', uid: 0, userReadOnly: true }));
    if (this.config.secondaryTrustedKeyring) {
      const sec = this.pin(this.key_alloc({ type: 'keyring', description: '.secondary_trusted_keys', uid: 0 }));
      sec.restrict = (ring, cand) => this.restrictByBuiltinAndSecondary(ring, cand);
      this.key_link(sec, this.builtin_trusted_keys, true);
      this.secondary_trusted_keys = sec;
    }
    if (this.config.blacklistKeyring) {
      this.blacklist_keyring = this.pin(this.key_alloc({ type: 'keyring', description: '.blacklist', uid: 0, userReadOnly: true }));
    }
    if (this.config.platformKeyring) {
      this.platform_trusted_keys = this.pin(this.key_alloc({ type: 'keyring', description: '.platform', uid: 0, userReadOnly: true }));
    }
  }

  now(): number {
    return this.clock.now();
  }

  // ---- Key lifetime ----

  private allocSerial(): number {
    let serial: number;
    do serial = this.serials() >>> 1;
    while (serial < 3);
    while (this.table.has(serial)) {
      serial++;
      if (serial > 0x7fffffff) serial = 3;
    }
    return serial;
  }

  /** key_alloc: a new key with a fresh serial and no references yet. */
  key_alloc(init: KeyInit): Key {
    // the serial apart, not spread into a copy of init (issue K: the spread made each key cost ~1.4 µs)
    const key = new Key(init, this.allocSerial());
    this.table.set(key.serial, key);
    return key;
  }

  /** Take a reference the kernel holds itself (system keyrings, a process's keyrings). */
  pin(key: Key): Key {
    key.usage++;
    return key;
  }

  /** key_lookup(serial): the live key with that serial, or -ENOKEY. */
  key_lookup(serial: number): Key | number {
    const key = this.table.get(serial);
    if (!key || key.usage <= 0) return -Errno.ENOKEY;
    return key;
  }

  key_get(key: Key): Key {
    key.usage++;
    return key;
  }

  /** key_put: drop a reference; the last one makes the key unreachable and drops its own links. */
  key_put(key: Key): void {
    if (--key.usage > 0) return;
    this.table.delete(key.serial);
    if (key.links) {
      const links = key.links.splice(0);
      for (const k of links) this.key_put(k);
    }
  }

  /**
   * Link `key` into `keyring` (__key_link), replacing a link to a key of the same type and
   * description. Checks: target is a keyring (-ENOTDIR), no cycle (-EDEADLK), the ring's
   * restriction unless bypassed.
   */
  key_link(keyring: Key, key: Key, bypassRestriction = false): number {
    if (!keyring.isKeyring) return -Errno.ENOTDIR;
    if (wouldCycle(keyring, key)) return -Errno.EDEADLK;
    if (!bypassRestriction && keyring.restrict) {
      const r = keyring.restrict(keyring, key);
      if (r < 0) return r;
    }
    const links = keyring.links!;
    if (links.includes(key)) return 0;
    const same = links.findIndex((k) => k.type === key.type && k.description === key.description);
    this.key_get(key);
    if (same >= 0) {
      const old = links[same];
      links[same] = key;
      this.key_put(old);
    } else {
      links.push(key);
    }
    return 0;
  }

  /** key_unlink: -ENOTDIR for a non-keyring, -ENOENT if not linked. */
  key_unlink(keyring: Key, key: Key): number {
    if (!keyring.isKeyring) return -Errno.ENOTDIR;
    const i = keyring.links!.indexOf(key);
    if (i < 0) return -Errno.ENOENT;
    keyring.links!.splice(i, 1);
    this.key_put(key);
    return 0;
  }

  key_revoke(key: Key): void {
    key.revoked = true;
  }

  /** key_set_timeout: expire `seconds` from now; 0 clears the expiry. */
  key_set_timeout(key: Key, seconds: number): void {
    key.expiry = seconds > 0 ? this.now() + seconds : 0;
  }

  key_invalidate(key: Key): void {
    key.invalidated = true;
  }

  key_validate(key: Key): number {
    return key_validate(key, this.now());
  }

  /** Every live key, in allocation order (for listings). */
  keys(): Key[] {
    return [...this.table.values()];
  }

  // ---- User keyrings (look_up_user_keyrings) ----

  /** The uid's user keyring "_uid.N" and user-session keyring "_uid_ses.N" (which links it). */
  lookUpUserKeyrings(uid: number): { uid: Key; session: Key } {
    let u = this.users.get(uid);
    if (!u) {
      const uidRing = this.pin(this.key_alloc({ type: 'keyring', description: `_uid.${uid}`, uid }));
      const sesRing = this.pin(this.key_alloc({ type: 'keyring', description: `_uid_ses.${uid}`, uid }));
      this.key_link(sesRing, uidRing, true);
      u = { uid: uidRing, session: sesRing };
      this.users.set(uid, u);
    }
    return u;
  }

  isUserSessionKeyring(key: Key): boolean {
    for (const u of this.users.values()) if (u.session === key) return true;
    return false;
  }

  /** find_keyring_by_name: a live, unrevoked keyring of that name owned by uid. */
  findKeyringByName(name: string, uid: number): Key | undefined {
    for (const k of this.table.values()) {
      if (k.isKeyring && k.description === name && k.uid === uid && !k.revoked && !k.invalidated && k.usage > 0) return k;
    }
    return undefined;
  }

  /** Per-process keyrings for a process running as `uid`. */
  createProcessKeyrings(uid: number, opts: ProcessKeyringsOptions = {}): ProcessKeyrings {
    return new ProcessKeyrings(this, uid, opts);
  }

  // ---- Certificates and the asymmetric key type ----

  isTbsBlacklisted = (hashHex: string): boolean => {
    const bl = this.blacklist_keyring;
    if (!bl) return false;
    return bl.links!.some((k) => k.type === 'blacklist' && k.description === `tbs:${hashHex}`);
  };

  parseCertificate(der: Uint8Array, log: KLog = new KLog()): X509Certificate | number {
    return x509_cert_parse(der, { cfg: this.config, isTbsBlacklisted: this.isTbsBlacklisted }, log);
  }

  /** asymmetric_key_preparse → x509_key_preparse: ids, public key, proposed description. */
  asymmetricPreparse(payload: Uint8Array, log: KLog = new KLog()): AsymmetricPreparse | number {
    if (payload.length === 0) return log.fail(-Errno.EINVAL, 'PK7-KEY-6', 'asymmetric: empty payload');
    const cert = this.parseCertificate(payload, log);
    if (typeof cert === 'number') return cert;
    if (cert.blacklisted) return log.fail(-Errno.EKEYREJECTED, 'PK7-ERR-31', 'X.509: refusing to add a blacklisted certificate');
    const idBytes = cert.rawSkid ?? cert.rawSerial;
    const description = `${cert.subject}: ${Buffer.from(idBytes).toString('hex')}`;
    return {
      description,
      asym: {
        ids: [cert.id, cert.skid, cert.subjectId],
        pub: cert.pub,
        sig: cert.unsupportedSig ? undefined : cert.sig,
        cert,
      },
    };
  }

  /** Kernel-side: create an asymmetric key from a certificate and link it into a system ring. */
  private loadCertificate(ring: Key | undefined, der: Uint8Array, builtIn: boolean): number {
    if (!ring) return -Errno.EOPNOTSUPP;
    const prep = this.asymmetricPreparse(der);
    if (typeof prep === 'number') return prep;
    const key = this.key_alloc({ type: 'asymmetric', description: prep.description, uid: 0, asym: prep.asym, builtIn, userReadOnly: true });
    const r = this.key_link(ring, key, true);
    if (r < 0) {
      this.table.delete(key.serial);
      return r;
    }
    return key.serial;
  }

  /** A compiled-in or boot-time certificate in `.builtin_trusted_keys`. Returns the key serial or -errno. */
  load_builtin_certificate(der: Uint8Array): number {
    return this.loadCertificate(this.builtin_trusted_keys, der, true);
  }

  /** A certificate in `.secondary_trusted_keys`, added by the kernel (no link restriction applied). */
  load_secondary_certificate(der: Uint8Array): number {
    return this.loadCertificate(this.secondary_trusted_keys, der, false);
  }

  /** A firmware (UEFI db / MOK) certificate in `.platform`. */
  load_platform_certificate(der: Uint8Array): number {
    return this.loadCertificate(this.platform_trusted_keys, der, false);
  }

  /** add_key_to_revocation_list: a certificate in `.blacklist` (CONFIG_SYSTEM_REVOCATION_LIST). */
  add_key_to_revocation_list(der: Uint8Array): number {
    if (!this.config.revocationList) return -Errno.EOPNOTSUPP;
    return this.loadCertificate(this.blacklist_keyring, der, true);
  }

  /** mark_hash_blacklisted("tbs:<hex>" or "bin:<hex>"). Returns the entry's serial or -errno. */
  mark_hash_blacklisted(entry: string): number {
    const bl = this.blacklist_keyring;
    if (!bl) return -Errno.EOPNOTSUPP;
    if (!/^(tbs|bin):([0-9a-f]{2})+$/.test(entry)) return -Errno.EINVAL;
    const key = this.key_alloc({ type: 'blacklist', description: entry, uid: 0, builtIn: true, userReadOnly: true });
    this.key_link(bl, key, true);
    return key.serial;
  }

  /**
   * restrict_link_by_builtin_and_secondary_trusted: a key added to the secondary ring must be
   * signed by a key in the builtin or secondary ring (restrict_link_by_signature).
   */
  private restrictByBuiltinAndSecondary(ring: Key, cand: Key | PendingKey): number {
    if (cand.type === 'keyring' && cand === this.builtin_trusted_keys) return 0;
    if (cand.type !== 'asymmetric') return -Errno.EOPNOTSUPP;
    const sig = cand.asym?.sig;
    if (!sig) return -Errno.ENOPKG;
    if (!sig.authIds[0] && !sig.authIds[1] && !sig.authIds[2]) return -Errno.ENOKEY;
    const key = find_asymmetric_key(ring, sig.authIds[0], sig.authIds[1], sig.authIds[2], this.now());
    if (typeof key === 'number') return -Errno.ENOKEY;
    return public_key_verify_signature(key.asym!.pub, sig, this.config, new KLog());
  }

  // ---- verify_pkcs7_signature (certs/system_keyring.c) ----

  /**
   * verify_pkcs7_signature(data, sig, trusted_keys, usage): parse, supply the detached data,
   * pkcs7_verify, the revocation list, resolve the keyring, validate trust. Never throws.
   */
  verify_pkcs7_signature(
    data: Uint8Array | null,
    rawPkcs7: Uint8Array,
    trustedKeys: TrustedKeys,
    usage: KeyBeingUsedFor,
  ): Pkcs7Verdict {
    const log = new KLog();
    // spec: PK7-VER-1
    const msg = pkcs7_parse_message(rawPkcs7, { cfg: this.config, isTbsBlacklisted: this.isTbsBlacklisted, failslab: this.failslab }, log);
    if (typeof msg === 'number') return log.verdict(msg, 'PK7-VER-1', 'PKCS7: pkcs7_parse_message failed');
    const ret = this.verify_pkcs7_message_sig(data, msg, trustedKeys, usage, log);
    return log.verdict(ret, 'PK7-VER-3', ret === 0 ? 'PKCS7: verified' : 'PKCS7: verification failed');
  }

  /** verify_pkcs7_message_sig: everything after the parse. */
  verify_pkcs7_message_sig(
    data: Uint8Array | null,
    msg: Pkcs7Message,
    trustedKeys: TrustedKeys,
    usage: KeyBeingUsedFor,
    log: KLog,
  ): number {
    // spec: PK7-VER-2 — BPF always passes data, so attached content is refused.
    if (data && pkcs7_supply_detached_data(msg, data) < 0) {
      return log.fail(-Errno.EBADMSG, 'PK7-VER-2', 'PKCS7: PKCS#7 signature with non-detached data');
    }
    // spec: PK7-VER-3
    let ret = pkcs7_verify(msg, usage, this.config, log, this.failslab);
    if (ret < 0) return ret;

    // spec: PK7-KEY-8 — a signer that verifies against a certificate on the revocation list.
    if (this.config.revocationList && this.blacklist_keyring) {
      const rl = new KLog();
      const r = pkcs7_validate_trust(msg, this.blacklist_keyring, { cfg: this.config, now: this.now() }, rl);
      for (const line of rl.lines) log.note(`(revocation list) ${line}`);
      if (r === 0) return log.fail(-Errno.EKEYREJECTED, 'PK7-KEY-8', 'PKCS7: PKCS#7 key is on revocation list');
    }

    // spec: PK7-VER-4 — resolve the selector.
    let ring: Key | undefined;
    if (trustedKeys === null || trustedKeys === 0) {
      ring = this.builtin_trusted_keys;
    } else if (trustedKeys === VERIFY_USE_SECONDARY_KEYRING) {
      ring = this.secondary_trusted_keys ?? this.builtin_trusted_keys;
    } else if (trustedKeys === VERIFY_USE_PLATFORM_KEYRING) {
      ring = this.platform_trusted_keys;
      if (!ring) return log.fail(-Errno.ENOKEY, 'PK7-VER-4', 'PKCS7: PKCS#7 platform keyring is not available');
    } else {
      ring = trustedKeys;
    }

    // spec: PK7-VER-5
    ret = pkcs7_validate_trust(msg, ring, { cfg: this.config, now: this.now(), failslab: this.failslab }, log);
    if (ret < 0) {
      if (ret === -Errno.ENOKEY) log.note('PKCS7: PKCS#7 signature not signed with a trusted key');
      return ret;
    }
    // spec: PK7-VER-6 — no view_content callback for BPF.
    return log.ok('PK7-VER-5', `${log.detail} in keyring ${ring.serial} "${ring.description}"`);
  }

  // ---- The BPF entry points (bpf-key.ts) ----

  bpf_lookup_system_key(id: number | bigint): BpfKey | null {
    return bpf_lookup_system_key(this, id);
  }

  bpf_lookup_user_key(proc: ProcessKeyrings, serial: number, flags: number | bigint = 0): BpfKey | null {
    return bpf_lookup_user_key(this, proc, serial, flags);
  }

  bpf_key_put(bkey: BpfKey): void {
    bpf_key_put(this, bkey);
  }

  bpf_verify_pkcs7_signature(data: Uint8Array, sig: Uint8Array, bkey: BpfKey, opts: BpfVerifyOptions): Pkcs7Verdict {
    return bpf_verify_pkcs7_signature(this, data, sig, bkey, opts);
  }
}
