// Keyrings, KEY_SPEC_* resolution, add_key and keyctl errors, the BPF key lookups, and the
// non-checks of spec 03 §8.

import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpf_prog_verify_signature } from '../../src/keys/bpf-prog-signature.js';
import { bpf_sig_keyring_classify, system_keyring_id_check } from '../../src/keys/bpf-key.js';
import { sequentialSerials, KeyVirtualClock } from '../../src/keys/clock.js';
import { KeyService } from '../../src/keys/key-service.js';
import {
  KEY_LOOKUP_CREATE,
  KEY_SPEC_GROUP_KEYRING,
  KEY_SPEC_PROCESS_KEYRING,
  KEY_SPEC_REQKEY_AUTH_KEY,
  KEY_SPEC_REQUESTOR_KEYRING,
  KEY_SPEC_SESSION_KEYRING,
  KEY_SPEC_THREAD_KEYRING,
  KEY_SPEC_USER_KEYRING,
  KEY_SPEC_USER_SESSION_KEYRING,
  KeyNeedPerm,
} from '../../src/keys/process-keyrings.js';
import { Errno } from '../../src/syscall/errno.js';
import { makeCert, type TestCert } from './support/certs.js';
import { T, type Bytes } from './support/der.js';
import { ksWith, testData, verify } from './support/env.js';
import { buildPkcs7, goodAttrs } from './support/pkcs7.js';

const data = testData(1000, 'keyrings');
let rsa: TestCert;
let good: Bytes;

beforeAll(() => {
  rsa = makeCert({ cn: 'keyrings signer' });
  good = buildPkcs7({ data, signers: [{ key: rsa.key, cert: rsa }] });
});

const V18 = { copyErrorsAsEnomem: true, systemDataVerification: true } as const;
const pem = (der: Bytes): Bytes =>
  new Uint8Array(Buffer.from(`-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE-----\n`));

describe('system keyrings [PK7-KEY-1, PK7-KEY-9]', () => {
  it('[PK7-KEY-9] boot creates .builtin_trusted_keys, .secondary_trusted_keys (linking builtin), .blacklist, .platform', () => {
    const ks = new KeyService();
    expect(ks.builtin_trusted_keys.description).toBe('.builtin_trusted_keys');
    expect(ks.secondary_trusted_keys!.description).toBe('.secondary_trusted_keys');
    expect(ks.secondary_trusted_keys!.links).toContain(ks.builtin_trusted_keys);
    expect(ks.blacklist_keyring!.description).toBe('.blacklist');
    expect(ks.platform_trusted_keys!.description).toBe('.platform');
  });
  it('[PK7-KEY-1] without CONFIG_SECONDARY_TRUSTED_KEYRING, selector 1 means the builtin ring', () => {
    const ks = ksWith([rsa], { config: { secondaryTrustedKeyring: false } });
    expect(ks.secondary_trusted_keys).toBeUndefined();
    expect(verify(ks, good, data, 1).ret).toBe(0);
  });
  it('[PK7-KEY-1] selector 1 (secondary) finds builtin keys through the link', () => {
    expect(verify(ksWith([rsa]), good, data, 1).ret).toBe(0);
  });
  it('[PK7-KEY-9] serials are random-looking, >= 3, and the same on every run with the default seed', () => {
    const a = new KeyService();
    const b = new KeyService();
    expect(a.builtin_trusted_keys.serial).toBe(b.builtin_trusted_keys.serial);
    expect(a.load_builtin_certificate(rsa.der)).toBe(b.load_builtin_certificate(rsa.der));
    for (const k of a.keys()) expect(k.serial).toBeGreaterThanOrEqual(3);
    expect(new KeyService({ serialSeed: 7 }).builtin_trusted_keys.serial).not.toBe(a.builtin_trusted_keys.serial);
  });
  it('[PK7-KEY-9] an injected serial source gives sequential serials starting at 3', () => {
    const ks = new KeyService({ serials: sequentialSerials() });
    expect([ks.builtin_trusted_keys, ks.secondary_trusted_keys!, ks.blacklist_keyring!, ks.platform_trusted_keys!].map((k) => k.serial)).toEqual([
      3, 4, 5, 6,
    ]);
  });
  it('[PK7-KEY-9] the kernel rule for colliding serials: the next free number', () => {
    const ks = new KeyService({ serials: () => 20 });
    expect(ks.builtin_trusted_keys.serial).toBe(10);
    expect(ks.secondary_trusted_keys!.serial).toBe(11);
  });
});

describe('KEY_SPEC_* resolution (lookup_user_key) [UAPI-CONST-8, PK7-KEY-4]', () => {
  const need = KeyNeedPerm.KEY_NEED_SEARCH;
  it('[UAPI-CONST-8] thread and process keyrings do not exist until created', () => {
    const p = new KeyService().createProcessKeyrings(1000);
    expect(p.lookup_user_key(KEY_SPEC_THREAD_KEYRING, 0, need)).toBe(-Errno.ENOKEY);
    expect(p.lookup_user_key(KEY_SPEC_PROCESS_KEYRING, 0, need)).toBe(-Errno.ENOKEY);
    const t = p.lookup_user_key(KEY_SPEC_THREAD_KEYRING, KEY_LOOKUP_CREATE, need);
    expect(typeof t === 'object' && t.description).toBe('_tid');
    const q = p.lookup_user_key(KEY_SPEC_PROCESS_KEYRING, KEY_LOOKUP_CREATE, need);
    expect(typeof q === 'object' && q.description).toBe('_pid');
  });
  it('[UAPI-CONST-8] the session keyring of a login process is an anonymous "_ses"; user keyrings are per uid', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000);
    const s = p.lookup_user_key(KEY_SPEC_SESSION_KEYRING, 0, need);
    expect(typeof s === 'object' && s.description).toBe('_ses');
    const u = p.lookup_user_key(KEY_SPEC_USER_KEYRING, 0, need);
    const us = p.lookup_user_key(KEY_SPEC_USER_SESSION_KEYRING, 0, need);
    expect(typeof u === 'object' && u.description).toBe('_uid.1000');
    expect(typeof us === 'object' && us.description).toBe('_uid_ses.1000');
    expect(typeof us === 'object' && typeof u === 'object' && us.links!.includes(u)).toBe(true);
    expect(ks.createProcessKeyrings(1000).lookup_user_key(KEY_SPEC_USER_KEYRING, 0, need)).toBe(u);
  });
  it('[UAPI-CONST-8] with no session keyring, a lookup installs the user-session keyring; creating joins a new one', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000, { session: 'none' });
    const s = p.lookup_user_key(KEY_SPEC_SESSION_KEYRING, 0, need);
    expect(typeof s === 'object' && s.description).toBe('_uid_ses.1000');
    const serial = p.add_key('asymmetric', null, rsa.der, KEY_SPEC_SESSION_KEYRING);
    expect(serial).toBeGreaterThanOrEqual(3);
    expect(p.session_keyring!.description).toBe('_ses');
  });
  it('[UAPI-CONST-8] group, request-key and requestor ids, 0 and other negatives', () => {
    const p = new KeyService().createProcessKeyrings(1000);
    expect(p.lookup_user_key(KEY_SPEC_GROUP_KEYRING, 0, need)).toBe(-Errno.EINVAL);
    expect(p.lookup_user_key(KEY_SPEC_REQKEY_AUTH_KEY, 0, need)).toBe(-Errno.ENOKEY);
    expect(p.lookup_user_key(KEY_SPEC_REQUESTOR_KEYRING, 0, need)).toBe(-Errno.ENOKEY);
    expect(p.lookup_user_key(0, 0, need)).toBe(-Errno.EINVAL);
    expect(p.lookup_user_key(-9, 0, need)).toBe(-Errno.EINVAL);
    expect(p.lookup_user_key(123456789, 0, need)).toBe(-Errno.ENOKEY);
  });
  it('[PK7-KEY-4] a revoked key is refused by normal lookups but found with KEY_DEFER_PERM_CHECK', () => {
    const p = new KeyService().createProcessKeyrings(1000);
    const ses = p.session_keyring!;
    p.keyctl_revoke(KEY_SPEC_SESSION_KEYRING);
    expect(p.lookup_user_key(ses.serial, 0, KeyNeedPerm.KEY_NEED_SEARCH)).toBe(-Errno.EKEYREVOKED);
    expect(p.lookup_user_key(ses.serial, 0, KeyNeedPerm.KEY_DEFER_PERM_CHECK)).toBe(ses);
  });
  it('a forked process shares the session keyring but not the thread/process keyrings', () => {
    const p = new KeyService().createProcessKeyrings(1000);
    p.lookup_user_key(KEY_SPEC_PROCESS_KEYRING, KEY_LOOKUP_CREATE, need);
    const c = p.fork();
    expect(c.session_keyring).toBe(p.session_keyring);
    expect(c.process_keyring).toBeUndefined();
  });
  it('join_session_keyring: a named session keyring is joined again by name', () => {
    const ks = new KeyService();
    const a = ks.createProcessKeyrings(1000);
    const b = ks.createProcessKeyrings(1000);
    const s = a.join_session_keyring('build-session');
    expect(b.join_session_keyring('build-session')).toBe(s);
    expect(a.join_session_keyring()).not.toBe(s);
  });
});

describe('add_key and keyctl errors [PK7-KEY-6, PK7-KEY-7, PK7-KEY-9]', () => {
  const S = KEY_SPEC_SESSION_KEYRING;
  it('[PK7-KEY-7] add_key("asymmetric", path, DER, session) returns a serial; the key carries the kernel ids', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000);
    const serial = p.add_key('asymmetric', 'keys/signing/cert.pem', rsa.der, S);
    const key = ks.key_lookup(serial);
    expect(typeof key).toBe('object');
    if (typeof key !== 'object') return;
    expect(key.description).toBe('keys/signing/cert.pem');
    const [id0, id1, id2] = key.asym!.ids;
    const serialContent = rsa.serialTlv.subarray(2);
    const issuerContent = rsa.issuerName.subarray(2);
    expect(Buffer.from(id0.data)).toEqual(Buffer.concat([serialContent, issuerContent]));
    expect(Buffer.from(id1!.data)).toEqual(Buffer.from(rsa.skid!));
    expect(Buffer.from(id2.data)).toEqual(Buffer.from(rsa.subjectName.subarray(2)));
  });
  it('[PK7-KEY-6] without a description the kernel proposes "<CN>: <SKID hex>"', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000);
    const key = ks.key_lookup(p.add_key('asymmetric', '', rsa.der, S));
    expect(typeof key === 'object' && key.description).toBe(`keyrings signer: ${Buffer.from(rsa.skid!).toString('hex')}`);
  });
  it('[PK7-KEY-9] a second key with the same description replaces the first in that keyring', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000);
    const a = p.add_key('asymmetric', 'same', rsa.der, S);
    const b = p.add_key('asymmetric', 'same', rsa.der, S);
    expect(b).not.toBe(a);
    expect(p.keyctl_read(S)).toEqual([b]);
    expect(ks.key_lookup(a)).toBe(-Errno.ENOKEY);
  });
  type AddKeyCase = [what: string, type: string, desc: string, payload: () => Bytes | null, ring: number, expected: number | 'serial'];
  const addKeyCases: AddKeyCase[] = [
    ['an unknown key type', 'user', 'x', () => new Uint8Array(4), S, -Errno.ENODEV],
    ['a type starting with "."', '.asymmetric', 'x', () => new Uint8Array(4), S, -Errno.EPERM],
    ['an empty type', '', 'x', () => new Uint8Array(4), S, -Errno.EINVAL],
    ['a keyring named with a leading "."', 'keyring', '.mine', () => null, S, -Errno.EPERM],
    ['a keyring with a payload', 'keyring', 'mine', () => new Uint8Array(1), S, -Errno.EINVAL],
    ['a keyring without a description', 'keyring', '', () => null, S, -Errno.EINVAL],
    ['an empty asymmetric payload', 'asymmetric', 'x', () => new Uint8Array(0), S, -Errno.EINVAL],
    ['a PEM certificate (the kernel takes DER only)', 'asymmetric', 'x', () => pem(rsa.der), S, -Errno.EBADMSG],
    ['garbage', 'asymmetric', 'x', () => testData(300, 'junk'), S, -Errno.EBADMSG],
    ['a payload over 1 MiB', 'asymmetric', 'x', () => new Uint8Array(1024 * 1024), S, -Errno.EINVAL],
    ['a thread keyring target that gets created', 'keyring', 'sub', () => null, KEY_SPEC_THREAD_KEYRING, 'serial'],
  ];
  for (const [what, type, desc, payload, ring, expected] of addKeyCases) {
    it(`[PK7-KEY-9] add_key with ${what}`, () => {
      const p = new KeyService().createProcessKeyrings(1000);
      const r = p.add_key(type, desc, payload(), ring);
      if (expected === 'serial') expect(r).toBeGreaterThanOrEqual(3);
      else expect(r).toBe(expected);
    });
  }
  it('[PK7-PARSE-15, PK7-PUB-4] certificates with keys the kernel cannot use give ENOPKG', () => {
    const p = new KeyService({ config: { ecdsaCurves: ['p256'] } }).createProcessKeyrings(1000);
    expect(p.add_key('asymmetric', 'ed', makeCert({ cn: 'ed25519', key: 'ed25519' }).der, S)).toBe(-Errno.ENOPKG);
    expect(p.add_key('asymmetric', 'k1', makeCert({ cn: 'k1', key: 'secp256k1' }).der, S)).toBe(-Errno.ENOPKG);
    expect(p.add_key('asymmetric', 'p384', makeCert({ cn: 'p384', key: 'p384' }).der, S)).toBe(-Errno.ENOPKG);
    expect(new KeyService().createProcessKeyrings(0).add_key('asymmetric', 'p384', makeCert({ cn: 'p384', key: 'p384' }).der, S)).toBeGreaterThanOrEqual(3);
  });
  it('[PK7-PARSE-15] a self-signed certificate whose signature does not verify is refused (EKEYREJECTED)', () => {
    const p = new KeyService().createProcessKeyrings(1000);
    expect(p.add_key('asymmetric', 'bad', makeCert({ cn: 'bad self-signed', badSignature: true }).der, S)).toBe(-Errno.EKEYREJECTED);
  });
  it('[PK7-PARSE-13] a GeneralizedTime validity in 1950–2049 is refused (EBADMSG)', () => {
    const p = new KeyService().createProcessKeyrings(1000);
    const c = makeCert({ cn: 'gentime', rawNotBefore: T.timeRaw(0x18, '20250101000000Z') });
    expect(p.add_key('asymmetric', 'gt', c.der, S)).toBe(-Errno.EBADMSG);
  });
  it('add_key into a non-keyring, a revoked keyring, the builtin keyring', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000);
    const k = p.add_key('asymmetric', 'k', rsa.der, S);
    expect(p.add_key('asymmetric', 'x', rsa.der, k)).toBe(-Errno.ENOTDIR);
    expect(p.add_key('asymmetric', 'x', rsa.der, ks.builtin_trusted_keys.serial)).toBe(-Errno.EACCES);
    const sub = p.add_key('keyring', 'sub', null, S);
    expect(p.keyctl_revoke(sub)).toBe(0);
    expect(p.add_key('asymmetric', 'x', rsa.der, sub)).toBe(-Errno.EKEYREVOKED);
    expect(p.keyctl_revoke(sub)).toBe(-Errno.EKEYREVOKED);
  });
  it('the secondary keyring only takes certificates signed by a trusted key', () => {
    const ca = makeCert({ cn: 'builtin ca', keySlot: 7, keyUsage: 'keyCertSign' });
    const leaf = makeCert({ cn: 'signed by builtin ca', keySlot: 8, issuer: ca });
    const ks = ksWith([ca]);
    const p = ks.createProcessKeyrings(0);
    const sec = ks.secondary_trusted_keys!.serial;
    expect(p.add_key('asymmetric', 'self', rsa.der, sec)).toBe(-Errno.ENOKEY);
    expect(p.add_key('asymmetric', 'leaf', leaf.der, sec)).toBeGreaterThanOrEqual(3);
    const sig = buildPkcs7({ data, signers: [{ key: leaf.key, cert: leaf }] });
    expect(verify(ks, sig, data, 1).ret).toBe(0);
    expect(verify(ks, sig, data, 0).ret).toBe(-Errno.ENOKEY);
  });
  it('keyctl_link / unlink: cycles, non-keyrings, missing links, and the last reference', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000);
    const a = p.add_key('keyring', 'a', null, S);
    const b = p.add_key('keyring', 'b', null, a);
    expect(p.keyctl_link(a, b)).toBe(-Errno.EDEADLK);
    const k = p.add_key('asymmetric', 'k', rsa.der, b);
    expect(p.keyctl_link(b, k)).toBe(-Errno.ENOTDIR);
    expect(p.keyctl_unlink(k, a)).toBe(-Errno.ENOENT);
    expect(p.keyctl_link(k, a)).toBe(0);
    expect(p.keyctl_unlink(k, b)).toBe(0);
    expect(typeof ks.key_lookup(k)).toBe('object');
    expect(p.keyctl_unlink(k, a)).toBe(0);
    expect(ks.key_lookup(k)).toBe(-Errno.ENOKEY);
    expect(p.keyctl_link(ks.builtin_trusted_keys.serial, a)).toBe(-Errno.EACCES);
  });
  it('keyctl_read lists a keyring and refuses other key types', () => {
    const p = new KeyService().createProcessKeyrings(1000);
    const k = p.add_key('asymmetric', 'k', rsa.der, S);
    expect(p.keyctl_read(S)).toEqual([k]);
    expect(p.keyctl_read(k)).toBe(-Errno.EOPNOTSUPP);
  });
});

describe('BPF key lookups [PK7-KEY-2, PK7-KEY-3, PK7-KEY-4, KP-SIG-2]', () => {
  it('[PK7-KEY-2] system_keyring_id_check accepts 0, 1, 2 only; negative ids sign-extend past it', () => {
    expect([0, 1, 2].map(system_keyring_id_check)).toEqual([0, 0, 0]);
    expect(system_keyring_id_check(3)).toBe(-Errno.EINVAL);
    expect(system_keyring_id_check(-3)).toBe(-Errno.EINVAL);
    expect(system_keyring_id_check(2n ** 64n - 1n)).toBe(-Errno.EINVAL);
  });
  it('[PK7-KEY-3] bpf_lookup_system_key: a reference-less bpf_key for 0–2, NULL above', () => {
    const ks = new KeyService();
    expect(ks.bpf_lookup_system_key(1)).toEqual({ key: 1, hasRef: false });
    expect(ks.bpf_lookup_system_key(3)).toBeNull();
  });
  it('[PK7-KEY-4] bpf_lookup_user_key: only KEY_LOOKUP_CREATE|PARTIAL flags; CREATE makes a thread keyring', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000);
    expect(ks.bpf_lookup_user_key(p, KEY_SPEC_SESSION_KEYRING, 4)).toBeNull();
    expect(ks.bpf_lookup_user_key(p, KEY_SPEC_THREAD_KEYRING, 0)).toBeNull();
    const b = ks.bpf_lookup_user_key(p, KEY_SPEC_THREAD_KEYRING, KEY_LOOKUP_CREATE);
    expect(b && typeof b.key === 'object' && b.key.description).toBe('_tid');
    expect(b?.hasRef).toBe(true);
  });
  it('[KP-SIG-7] a bpf_key keeps its key alive until bpf_key_put', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000);
    const sub = p.add_key('keyring', 'sub', null, KEY_SPEC_SESSION_KEYRING);
    const b = ks.bpf_lookup_user_key(p, sub)!;
    expect(p.keyctl_unlink(sub, KEY_SPEC_SESSION_KEYRING)).toBe(0);
    expect(typeof ks.key_lookup(sub)).toBe('object');
    ks.bpf_key_put(b);
    expect(ks.key_lookup(sub)).toBe(-Errno.ENOKEY);
  });
  it('[PK7-KEY-1, PK7-VER-5] keyring_id naming an asymmetric key (not a keyring) resolves, then finds nothing: ENOKEY', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000);
    const k = p.add_key('asymmetric', 'k', rsa.der, KEY_SPEC_SESSION_KEYRING);
    const r = bpf_prog_verify_signature(ks, { keyringId: k, signatureSize: good.length, copySignature: () => good, insns: data, proc: p }, V18);
    expect(r).toMatchObject({ ret: -Errno.ENOKEY, stage: 'verify' });
  });
  it('[LT-VERD-2, LT-VERD-3] keyring classification from keyring_id; the serial only on success', () => {
    const ks = new KeyService();
    const p = ks.createProcessKeyrings(1000);
    p.add_key('asymmetric', 'cert', rsa.der, KEY_SPEC_SESSION_KEYRING);
    const ok = bpf_prog_verify_signature(ks, { keyringId: -3, signatureSize: good.length, copySignature: () => good, insns: data, proc: p }, V18);
    expect(ok).toMatchObject({ ret: 0, keyringType: 'BPF_SIG_KEYRING_USER', keyringSerial: p.session_keyring!.serial });
    const bad = bpf_prog_verify_signature(ks, { keyringId: -3, signatureSize: good.length, copySignature: () => good, insns: testData(10), proc: p }, V18);
    expect(bad).toMatchObject({ ret: -Errno.EKEYREJECTED, keyringType: 'BPF_SIG_KEYRING_USER', keyringSerial: 0 });
    expect(bpf_sig_keyring_classify(false, 0, null, false).keyringType).toBe('BPF_SIG_KEYRING_NONE');
    expect([0, 1, 2].map((id) => bpf_sig_keyring_classify(true, id, null, true).keyringType)).toEqual([
      'BPF_SIG_KEYRING_BUILTIN',
      'BPF_SIG_KEYRING_SECONDARY',
      'BPF_SIG_KEYRING_PLATFORM',
    ]);
  });
});

describe('what user keyrings trust [PK7-KEY-5, PK7-NOT-5, PK7-TRUST-4]', () => {
  const viaSession = (certs: TestCert[], sig: Bytes, clock?: KeyVirtualClock) => {
    const ks = new KeyService({ clock });
    const p = ks.createProcessKeyrings(1000);
    for (const c of certs) expect(p.add_key('asymmetric', 'c', c.der, KEY_SPEC_SESSION_KEYRING)).toBeGreaterThanOrEqual(3);
    return {
      ks,
      p,
      run: () => bpf_prog_verify_signature(ks, { keyringId: -3, signatureSize: sig.length, copySignature: () => sig, insns: data, proc: p }, V18),
    };
  };
  it('[PK7-KEY-5] any self-signed certificate the caller put in its session ring is trusted', () => {
    const anyone = makeCert({ cn: 'anyone at all', keySlot: 9 });
    const sig = buildPkcs7({ data, signers: [{ key: anyone.key, cert: anyone }] });
    expect(viaSession([anyone], sig).run().ret).toBe(0);
    expect(verify(new KeyService(), sig, data).ret).toBe(-Errno.ENOKEY);
  });
  it('[PK7-NOT-5, PK7-TRUST-4] a CA in the ring does not vouch for its leaf without embedded certificates (ENOKEY)', () => {
    const ca = makeCert({ cn: 'session ca', keySlot: 10, keyUsage: 'keyCertSign' });
    const leaf = makeCert({ cn: 'session leaf', keySlot: 11, issuer: ca });
    const sig = buildPkcs7({ data, signers: [{ key: leaf.key, cert: leaf }] });
    expect(viaSession([ca], sig).run().ret).toBe(-Errno.ENOKEY);
  });
  it('[PK7-ERR-4] a revoked key inside the ring is skipped by the search, which then reports EKEYREVOKED', () => {
    const { p, run } = viaSession([rsa], good);
    const [k] = p.keyctl_read(KEY_SPEC_SESSION_KEYRING) as number[];
    expect(p.keyctl_revoke(k)).toBe(0);
    expect(run().ret).toBe(-Errno.EKEYREVOKED);
  });
  it('[PK7-ERR-4] an expired key inside the ring gives EKEYEXPIRED', () => {
    const clock = new KeyVirtualClock();
    const { p, run } = viaSession([rsa], good, clock);
    const [k] = p.keyctl_read(KEY_SPEC_SESSION_KEYRING) as number[];
    expect(p.keyctl_set_timeout(k, 5)).toBe(0);
    clock.advance(5);
    expect(run().ret).toBe(-Errno.EKEYEXPIRED);
  });
});

describe('what the kernel does not check [PK7-NOT-1, PK7-NOT-2, PK7-KEY-6, PK7-USE-1]', () => {
  it('[PK7-NOT-1] a certificate without digitalSignature in keyUsage still verifies', () => {
    const c = makeCert({ cn: 'cert-sign only', keySlot: 12, keyUsage: 'keyCertSign' });
    expect(verify(ksWith([c]), buildPkcs7({ data, signers: [{ key: c.key, cert: c }] }), data).ret).toBe(0);
  });
  it('[PK7-NOT-2] an expired certificate still verifies (no validity check against the clock)', () => {
    const c = makeCert({ cn: 'expired', keySlot: 13, notBefore: new Date('2020-01-01Z'), notAfter: new Date('2021-01-01Z') });
    expect(verify(ksWith([c]), buildPkcs7({ data, signers: [{ key: c.key, cert: c }] }), data).ret).toBe(0);
  });
  it('[PK7-KEY-6] matching uses the SKID extension value, not a hash of the key (a custom 8-byte SKID works)', () => {
    const c = makeCert({ cn: 'custom skid', keySlot: 14, skid: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
    expect(verify(ksWith([c]), buildPkcs7({ data, signers: [{ key: c.key, cert: c }] }), data).ret).toBe(0);
  });
  it('[PK7-USE-1, PK7-PATH-3] usage gates: module (no attrs), firmware (attrs), BPF = unspecified, unknown usage EINVAL', () => {
    const ks = ksWith([rsa]);
    const withAttrs = buildPkcs7({ data, signers: [{ key: rsa.key, cert: rsa, signedAttrs: goodAttrs(data) }] });
    const u = (sig: Bytes, usage: Parameters<KeyService['verify_pkcs7_signature']>[3]) => ks.verify_pkcs7_signature(data, sig, 0, usage).ret;
    expect(u(good, 'VERIFYING_MODULE_SIGNATURE')).toBe(0);
    expect(u(withAttrs, 'VERIFYING_MODULE_SIGNATURE')).toBe(-Errno.EKEYREJECTED);
    expect(u(good, 'VERIFYING_FIRMWARE_SIGNATURE')).toBe(-Errno.EKEYREJECTED);
    expect(u(withAttrs, 'VERIFYING_FIRMWARE_SIGNATURE')).toBe(0);
    expect(u(good, 'VERIFYING_KEXEC_PE_SIGNATURE')).toBe(-Errno.EKEYREJECTED);
    expect(u(withAttrs, 'VERIFYING_BPF_SIGNATURE')).toBe(0);
    expect(u(good, 'VERIFYING_KEY_SIGNATURE')).toBe(-Errno.EINVAL);
  });
  it('[PK7-PARSE-16] the SignerInfo id is the raw SKID bytes: a SKID differing in one byte is ENOKEY', () => {
    const skid = rsa.skid!.slice();
    skid[0] ^= 1;
    const sig = buildPkcs7({ data, signers: [{ key: rsa.key, cert: rsa, sid: T.ctxPrim(0, skid) }] });
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(-Errno.ENOKEY);
  });
  it('[PK7-PARSE-16] a digest other than SHA-256 (SHA-384 with RSA) is accepted', () => {
    const sig = buildPkcs7({ data, signers: [{ key: rsa.key, cert: rsa, digestOid: '2.16.840.1.101.3.4.2.2' }] });
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(0);
    expect(createHash('sha384').update(data).digest().length).toBe(48);
  });
});
