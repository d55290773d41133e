// A process's view of the key service: its thread, process and session keyrings, its user's
// keyrings, KEY_SPEC_* resolution (lookup_user_key) and the add_key/keyctl calls bpfsig needs.
// The syscall layer's Process owns one of these.
//
// Permissions are not modelled beyond the system keyrings: a process may do anything with its
// own keys; the kernel's own keyrings and keys refuse writes, links and attribute changes from
// userspace (-EACCES), and `.secondary_trusted_keys` takes only keys a trusted key signed.
//
// spec: UAPI-CONST-8 (KEY_SPEC_* values), PK7-KEY-2, PK7-KEY-4, PK7-KEY-5, PK7-KEY-7, PK7-ERR-4

import { Errno } from '../abi/errno.js';
import { KeySpec } from '../abi/uapi/consts.js';
import type { KeyService } from './key-service.js';
import type { Key, KeyTypeName, PendingKey } from './keyring.js';
import { KLog } from './klog.js';

// The special keyring ids, from the one table in the UAPI constants.
export const {
  KEY_SPEC_THREAD_KEYRING,
  KEY_SPEC_PROCESS_KEYRING,
  KEY_SPEC_SESSION_KEYRING,
  KEY_SPEC_USER_KEYRING,
  KEY_SPEC_USER_SESSION_KEYRING,
  KEY_SPEC_GROUP_KEYRING,
  KEY_SPEC_REQKEY_AUTH_KEY,
  KEY_SPEC_REQUESTOR_KEYRING,
} = KeySpec;

/** lookup_user_key flags. */
export const KEY_LOOKUP_CREATE = 0x01;
export const KEY_LOOKUP_PARTIAL = 0x02;
export const KEY_LOOKUP_ALL = KEY_LOOKUP_CREATE | KEY_LOOKUP_PARTIAL;

/** enum key_need_perm */
export enum KeyNeedPerm {
  KEY_NEED_UNSPECIFIED,
  KEY_NEED_VIEW,
  KEY_NEED_READ,
  KEY_NEED_WRITE,
  KEY_NEED_SEARCH,
  KEY_NEED_LINK,
  KEY_NEED_SETATTR,
  KEY_NEED_UNLINK,
  KEY_SYSADMIN_OVERRIDE,
  KEY_AUTHTOKEN_OVERRIDE,
  KEY_DEFER_PERM_CHECK,
}

/** Largest add_key payload (1 MiB − 1). */
export const KEY_MAX_PAYLOAD = 1024 * 1024 - 1;

export interface ProcessKeyringsOptions {
  /**
   * The session keyring the process starts with: 'new' (default) a fresh anonymous "_ses"
   * keyring, as a login session gets from pam_keyinit; 'none' no session keyring (the first
   * lookup installs the user-session keyring, or joins a new one when creating); or a keyring
   * to share (e.g. the parent's).
   */
  readonly session?: 'new' | 'none' | Key;
}

export class ProcessKeyrings {
  thread_keyring: Key | undefined;
  process_keyring: Key | undefined;
  session_keyring: Key | undefined;

  constructor(
    readonly ks: KeyService,
    readonly uid: number,
    opts: ProcessKeyringsOptions = {},
  ) {
    const s = opts.session ?? 'new';
    if (s === 'new') this.session_keyring = ks.pin(ks.key_alloc({ type: 'keyring', description: '_ses', uid }));
    else if (s !== 'none') this.session_keyring = ks.key_get(s);
  }

  /** A child process: it shares the session keyring; thread and process keyrings are not inherited. */
  fork(): ProcessKeyrings {
    return new ProcessKeyrings(this.ks, this.uid, { session: this.session_keyring ?? 'none' });
  }

  private installKeyring(slot: 'thread_keyring' | 'process_keyring' | 'session_keyring', description: string): Key {
    const ring = this.ks.pin(this.ks.key_alloc({ type: 'keyring', description, uid: this.uid }));
    const old = this[slot];
    this[slot] = ring;
    if (old) this.ks.key_put(old);
    return ring;
  }

  /** KEYCTL_JOIN_SESSION_KEYRING: join the named keyring (creating it) or a new anonymous one. */
  join_session_keyring(name?: string): number {
    if (name === undefined || name === '') return this.installKeyring('session_keyring', '_ses').serial;
    const existing = this.ks.findKeyringByName(name, this.uid);
    if (existing) {
      if (existing === this.session_keyring) return existing.serial;
      const old = this.session_keyring;
      this.session_keyring = this.ks.key_get(existing);
      if (old) this.ks.key_put(old);
      return existing.serial;
    }
    return this.installKeyring('session_keyring', name).serial;
  }

  /**
   * lookup_user_key(id, lflags, need_perm): resolve a serial or KEY_SPEC_* value for this process.
   * Returns the key or -errno (-ENOKEY, -EINVAL, -EKEYREVOKED, -EKEYEXPIRED, -EACCES).
   */
  lookup_user_key(id: number, lflags: number, need: KeyNeedPerm): Key | number {
    const ks = this.ks;
    let key: Key;
    switch (id) {
      case KEY_SPEC_THREAD_KEYRING:
        if (!this.thread_keyring) {
          if (!(lflags & KEY_LOOKUP_CREATE)) return -Errno.ENOKEY;
          this.installKeyring('thread_keyring', '_tid');
        }
        key = this.thread_keyring!;
        break;
      case KEY_SPEC_PROCESS_KEYRING:
        if (!this.process_keyring) {
          if (!(lflags & KEY_LOOKUP_CREATE)) return -Errno.ENOKEY;
          this.installKeyring('process_keyring', '_pid');
        }
        key = this.process_keyring!;
        break;
      case KEY_SPEC_SESSION_KEYRING:
        if (!this.session_keyring) {
          // Always install a session keyring on access if there is none yet.
          const user = ks.lookUpUserKeyrings(this.uid);
          if (lflags & KEY_LOOKUP_CREATE) this.join_session_keyring();
          else this.session_keyring = ks.key_get(user.session);
        } else if (ks.isUserSessionKeyring(this.session_keyring) && lflags & KEY_LOOKUP_CREATE) {
          this.join_session_keyring();
        }
        key = this.session_keyring!;
        break;
      case KEY_SPEC_USER_KEYRING:
        key = ks.lookUpUserKeyrings(this.uid).uid;
        break;
      case KEY_SPEC_USER_SESSION_KEYRING:
        key = ks.lookUpUserKeyrings(this.uid).session;
        break;
      case KEY_SPEC_GROUP_KEYRING:
        return -Errno.EINVAL; // group keyrings are not supported by the kernel either
      case KEY_SPEC_REQKEY_AUTH_KEY:
      case KEY_SPEC_REQUESTOR_KEYRING:
        return -Errno.ENOKEY; // no request_key() authorisation in progress
      default: {
        if (id < 1) return -Errno.EINVAL;
        const k = ks.key_lookup(id);
        if (typeof k === 'number') return k;
        key = k;
      }
    }

    if (need !== KeyNeedPerm.KEY_NEED_UNLINK) {
      if (!(lflags & KEY_LOOKUP_PARTIAL)) {
        // wait_for_key_construction ends in key_validate; the deferred and override modes let
        // an invalid key through (6.18: the BPF kfunc validates it later, KP-SIG-6).
        const r = ks.key_validate(key);
        if (r < 0 && need !== KeyNeedPerm.KEY_AUTHTOKEN_OVERRIDE && need !== KeyNeedPerm.KEY_DEFER_PERM_CHECK) return r;
      } else if (need !== KeyNeedPerm.KEY_DEFER_PERM_CHECK) {
        const r = ks.key_validate(key);
        if (r < 0) return r;
      }
    }

    // The only permission modelled: kernel-owned keys and keyrings are not writable from userspace.
    if ((key.userReadOnly || key.builtIn) && (need === KeyNeedPerm.KEY_NEED_WRITE || need === KeyNeedPerm.KEY_NEED_LINK || need === KeyNeedPerm.KEY_NEED_SETATTR)) {
      return -Errno.EACCES;
    }
    return key;
  }

  /**
   * add_key(type, description, payload, keyring): create a key and link it into the keyring.
   * Returns the new key's serial or -errno. Types: "asymmetric" (a DER X.509 certificate) and
   * "keyring" (empty payload); others → -ENODEV.
   */
  add_key(type: string, description: string | null, payload: Uint8Array | null, keyring: number, log: KLog = new KLog()): number {
    const plen = payload?.length ?? 0;
    if (plen > KEY_MAX_PAYLOAD) return log.fail(-Errno.EINVAL, 'PK7-KEY-9', 'add_key: payload too large');
    if (type.length === 0 || type.length >= 32) return log.fail(-Errno.EINVAL, 'PK7-KEY-9', 'add_key: bad type name');
    if (type.startsWith('.')) return log.fail(-Errno.EPERM, 'PK7-KEY-9', 'add_key: types starting with "." are internal');
    let desc = description && description.length > 0 ? description : null;
    if (desc && desc.startsWith('.') && type.startsWith('keyring')) {
      return log.fail(-Errno.EPERM, 'PK7-KEY-9', 'add_key: keyring names starting with "." are reserved');
    }

    const ring = this.lookup_user_key(keyring, KEY_LOOKUP_CREATE, KeyNeedPerm.KEY_NEED_WRITE);
    if (typeof ring === 'number') return log.fail(ring, 'PK7-KEY-4', `add_key: keyring ${keyring} lookup failed`);

    // key_create_or_update
    if (type !== 'asymmetric' && type !== 'keyring') return log.fail(-Errno.ENODEV, 'PK7-KEY-9', `add_key: unknown key type "${type}"`);
    if (!ring.isKeyring) return log.fail(-Errno.ENOTDIR, 'PK7-KEY-9', `add_key: ${ring.serial} is not a keyring`);

    let pending: PendingKey;
    if (type === 'keyring') {
      if (plen !== 0) return log.fail(-Errno.EINVAL, 'PK7-KEY-9', 'add_key: a keyring takes no payload');
      if (!desc) return log.fail(-Errno.EINVAL, 'PK7-KEY-9', 'add_key: a keyring needs a description');
      pending = { type: 'keyring', description: desc };
    } else {
      const prep = this.ks.asymmetricPreparse(payload ?? new Uint8Array(0), log);
      if (typeof prep === 'number') return prep;
      desc ??= prep.description;
      pending = { type: 'asymmetric', description: desc, asym: prep.asym };
    }
    if (ring.restrict) {
      const r = ring.restrict(ring, pending);
      if (r < 0) return log.fail(r, 'PK7-KEY-9', `add_key: "${ring.description}" refused the key (link restriction)`);
    }
    const key = this.ks.key_alloc({ type: pending.type as KeyTypeName, description: pending.description, uid: this.uid, asym: pending.asym });
    const r = this.ks.key_link(ring, key, true);
    if (r < 0) return log.fail(r, 'PK7-KEY-9', 'add_key: link failed');
    return key.serial;
  }

  /** KEYCTL_GET_KEYRING_ID */
  keyctl_get_keyring_ID(id: number, create: boolean): number {
    const k = this.lookup_user_key(id, create ? KEY_LOOKUP_CREATE : 0, KeyNeedPerm.KEY_NEED_SEARCH);
    return typeof k === 'number' ? k : k.serial;
  }

  /** KEYCTL_REVOKE */
  keyctl_revoke(id: number): number {
    let k = this.lookup_user_key(id, 0, KeyNeedPerm.KEY_NEED_WRITE);
    if (k === -Errno.EACCES) k = this.lookup_user_key(id, 0, KeyNeedPerm.KEY_NEED_SETATTR);
    if (typeof k === 'number') return k;
    this.ks.key_revoke(k);
    return 0;
  }

  /** KEYCTL_INVALIDATE */
  keyctl_invalidate(id: number): number {
    const k = this.lookup_user_key(id, 0, KeyNeedPerm.KEY_NEED_SEARCH);
    if (typeof k === 'number') return k;
    if (k.userReadOnly || k.builtIn) return -Errno.EACCES;
    this.ks.key_invalidate(k);
    return 0;
  }

  /** KEYCTL_SET_TIMEOUT: expire in `seconds` (0 = never). */
  keyctl_set_timeout(id: number, seconds: number): number {
    const k = this.lookup_user_key(id, KEY_LOOKUP_CREATE | KEY_LOOKUP_PARTIAL, KeyNeedPerm.KEY_NEED_SETATTR);
    if (typeof k === 'number') return k;
    this.ks.key_set_timeout(k, seconds);
    return 0;
  }

  /** KEYCTL_LINK */
  keyctl_link(id: number, ringid: number): number {
    const key = this.lookup_user_key(id, KEY_LOOKUP_CREATE, KeyNeedPerm.KEY_NEED_LINK);
    if (typeof key === 'number') return key;
    const ring = this.lookup_user_key(ringid, KEY_LOOKUP_CREATE, KeyNeedPerm.KEY_NEED_WRITE);
    if (typeof ring === 'number') return ring;
    return this.ks.key_link(ring, key);
  }

  /** KEYCTL_UNLINK */
  keyctl_unlink(id: number, ringid: number): number {
    const ring = this.lookup_user_key(ringid, 0, KeyNeedPerm.KEY_NEED_WRITE);
    if (typeof ring === 'number') return ring;
    const key = this.lookup_user_key(id, KEY_LOOKUP_PARTIAL, KeyNeedPerm.KEY_NEED_UNLINK);
    if (typeof key === 'number') return key;
    return this.ks.key_unlink(ring, key);
  }

  /** KEYCTL_READ of a keyring: the serials it links; -EOPNOTSUPP for other key types. */
  keyctl_read(id: number): number[] | number {
    const k = this.lookup_user_key(id, 0, KeyNeedPerm.KEY_NEED_READ);
    if (typeof k === 'number') return k;
    if (!k.isKeyring) return -Errno.EOPNOTSUPP;
    return k.links!.map((l) => l.serial);
  }

  /** Drop the process's references (exit). */
  release(): void {
    for (const slot of ['thread_keyring', 'process_keyring', 'session_keyring'] as const) {
      const k = this[slot];
      if (k) this.ks.key_put(k);
      this[slot] = undefined;
    }
  }
}
