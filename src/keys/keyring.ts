// Keys and keyrings: struct key with its serial, type, description, state (revoked, invalidated,
// expiry) and reference count; keyring links; keyring_search with the kernel's state checks; and
// find_asymmetric_key, the lookup the PKCS#7 trust code uses.
//
// spec: PK7-KEY-1 (system rings), PK7-KEY-5 (a user ring trusts whatever it holds), PK7-KEY-6
//       (id matching), PK7-KEY-8 (revocation), PK7-KEY-9 (emulator keyring set), PK7-ERR-4.

import { Errno } from '../abi/errno.js';
import { asymmetric_key_id_same, type KeyId } from './key-id.js';
import type { PublicKey, PublicKeySignature } from './public-key.js';
import type { X509Certificate } from './x509.js';

export type KeyTypeName = 'keyring' | 'asymmetric' | 'blacklist';

/** The asymmetric key payload: ids, public key, and the certificate's own signature. */
export interface AsymmetricPayload {
  /** [0] serial‖issuer, [1] SKID (if any), [2] subject. */
  readonly ids: readonly [KeyId, KeyId | undefined, KeyId];
  readonly pub: PublicKey;
  /** The certificate's signature (asym_auth); undefined when its algorithm is unsupported. */
  readonly sig?: PublicKeySignature;
  readonly cert: X509Certificate;
}

/** A keyring's link restriction (restrict_link check): 0 or -errno for a key about to be linked. */
export type RestrictLink = (keyring: Key, candidate: Key | PendingKey) => number;

/** What a restriction sees of a key that is being created. */
export interface PendingKey {
  readonly type: KeyTypeName;
  readonly description: string;
  readonly asym?: AsymmetricPayload;
}

export interface KeyInit {
  readonly type: KeyTypeName;
  readonly description: string;
  readonly uid: number;
  readonly asym?: AsymmetricPayload;
  readonly builtIn?: boolean;
  /** Possessor-only or system permissions: userspace may not write or link into it (EACCES). */
  readonly userReadOnly?: boolean;
  readonly restrict?: RestrictLink;
}

export class Key {
  readonly serial: number;
  readonly type: KeyTypeName;
  readonly description: string;
  readonly uid: number;
  readonly asym?: AsymmetricPayload;
  /** KEY_FLAG_BUILTIN: loaded by the kernel itself (compiled-in or boot-time certificates). */
  readonly builtIn: boolean;
  readonly userReadOnly: boolean;
  restrict?: RestrictLink;
  revoked = false;
  invalidated = false;
  /** Expiry time in seconds since the epoch; 0 = never. */
  expiry = 0;
  /** Reference count (links from keyrings, process keyrings, bpf_key references). */
  usage = 0;
  /** Keyring payload: the linked keys, in link order. */
  readonly links: Key[] | undefined;

  constructor(init: Omit<KeyInit, 'serial'>, serial: number) {
    this.serial = serial;
    this.type = init.type;
    this.description = init.description;
    this.uid = init.uid;
    this.asym = init.asym;
    this.builtIn = !!init.builtIn;
    this.userReadOnly = !!init.userReadOnly;
    this.restrict = init.restrict;
    this.links = init.type === 'keyring' ? [] : undefined;
  }

  get isKeyring(): boolean {
    return this.type === 'keyring';
  }

  toString(): string {
    return `${this.serial} ${this.type} "${this.description}"`;
  }
}

/** key_validate: -ENOKEY if invalidated, -EKEYREVOKED if revoked, -EKEYEXPIRED if past its expiry. */
export function key_validate(key: Key, now: number): number {
  if (key.invalidated) return -Errno.ENOKEY;
  if (key.revoked || key.usage <= 0) return -Errno.EKEYREVOKED;
  if (key.expiry && now >= key.expiry) return -Errno.EKEYEXPIRED;
  return 0;
}

/** KEYRING_SEARCH_MAX_DEPTH */
export const KEYRING_SEARCH_MAX_DEPTH = 6;

/**
 * keyring_search(keyring, type, match, recurse): the first key of `type` for which `match` holds,
 * searching the ring's own keys first, then nested rings depth first. Revoked/invalidated and
 * expired keys of that type are skipped and leave -EKEYREVOKED / -EKEYEXPIRED as the result when
 * nothing matches; otherwise -EAGAIN. Not a keyring → -ENOTDIR.
 */
export function keyring_search(keyring: Key, type: KeyTypeName, match: (k: Key) => boolean, now: number): Key | number {
  if (!keyring.isKeyring) return -Errno.ENOTDIR;
  if (keyring.links!.length === 0) return -Errno.EAGAIN; // nothing to search (e.g. an empty .blacklist)
  const state = { result: -Errno.EAGAIN as number };
  const found = searchNested(keyring, type, match, now, 0, state, new Set());
  return found ?? state.result;
}

function searchNested(
  ring: Key,
  type: KeyTypeName,
  match: (k: Key) => boolean,
  now: number,
  depth: number,
  state: { result: number },
  visited: Set<Key>,
): Key | undefined {
  visited.add(ring);
  for (const key of ring.links!) {
    if (key.type !== type) continue;
    if (key.invalidated || key.revoked) {
      state.result = -Errno.EKEYREVOKED;
      continue;
    }
    if (key.expiry && now >= key.expiry) {
      state.result = -Errno.EKEYEXPIRED;
      continue;
    }
    if (match(key)) return key;
  }
  if (depth + 1 >= KEYRING_SEARCH_MAX_DEPTH) return undefined;
  for (const nested of ring.links!) {
    if (!nested.isKeyring || visited.has(nested)) continue;
    const k = searchNested(nested, type, match, now, depth + 1, state, visited);
    if (k) return k;
  }
  return undefined;
}

/**
 * find_asymmetric_key(keyring, id_0, id_1, id_2): look a key up by the first id given (matching any
 * of the key's ids exactly); with both id_0 and id_1, the key's SKID must also equal id_1
 * (else -EKEYREJECTED). Search misses (-EAGAIN, -ENOTDIR, -EACCES) become -ENOKEY; revoked or
 * expired skips come back as -EKEYREVOKED / -EKEYEXPIRED.
 */
export function find_asymmetric_key(
  keyring: Key,
  id0: KeyId | undefined,
  id1: KeyId | undefined,
  id2: KeyId | undefined,
  now: number,
): Key | number {
  const lookup = id0 ?? id1 ?? id2;
  if (!lookup) return -Errno.EINVAL;
  const r = keyring_search(keyring, 'asymmetric', (k) => k.asym!.ids.some((id) => asymmetric_key_id_same(id, lookup)), now);
  if (typeof r === 'number') {
    if (r === -Errno.EAGAIN || r === -Errno.ENOTDIR || r === -Errno.EACCES) return -Errno.ENOKEY;
    return r;
  }
  if (id0 && id1) {
    const skid = r.asym!.ids[1];
    if (!skid || !asymmetric_key_id_same(id1, skid)) return -Errno.EKEYREJECTED;
  }
  return r;
}

/** Would linking `key` into `keyring` make a keyring contain itself? */
export function wouldCycle(keyring: Key, key: Key): boolean {
  if (!key.isKeyring) return false;
  if (key === keyring) return true;
  const seen = new Set<Key>();
  const stack = [key];
  while (stack.length) {
    const k = stack.pop()!;
    if (k === keyring) return true;
    if (seen.has(k)) continue;
    seen.add(k);
    for (const l of k.links ?? []) if (l.isKeyring) stack.push(l);
  }
  return false;
}
