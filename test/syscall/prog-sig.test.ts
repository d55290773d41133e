// The signature stage of BPF_PROG_LOAD (LOAD-9) and its place in the stage order, per profile.
// spec: KP-SIG-1..7, KP-Q-1..3, STB-1, STB-3, OBS-LOAD-1..5, PK7-KEY-*.

import { describe, expect, it } from 'vitest';
import { formatAuditd } from '../../src/audit/format.js';
import { signPkcs7 } from '../../src/keys/sign.js';
import { Errno } from '../../src/syscall/errno.js';
import { ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { makeCert } from '../keys/support/certs.js';
import { setup } from '../support/kernel.js';

const SOCKET_FILTER = ProgType.BPF_PROG_TYPE_SOCKET_FILTER;
const RET0 = encodeInsns([insn(0xb7), insn(0x95)]);
const cert = makeCert({ cn: 'bpfsig prog-sig test' });
const signed = (insns: Uint8Array) => signPkcs7(insns, { key: cert.key.privateKey, cert: cert.der });
const junk = new Uint8Array(64).fill(0xa5);

/** A kernel, with the test certificate in the caller's session keyring (KEY_SPEC_SESSION_KEYRING). */
function env(profile: string, config: Record<string, boolean> = {}) {
  const e = setup(profile, { config });
  expect(e.p.addKey('asymmetric', 'prog-sig', cert.der, -3).ret).toBeGreaterThan(0);
  return e;
}

describe('LOAD-9 under v6.18', () => {
  it('[KP-SIG-6][PK7-VER-5] a good signature over the insns with the cert in the session keyring: the program loads', () => {
    const { c, k } = env('v6.18');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: signed(RET0), keyringId: -3 }).res.ret).toBeGreaterThan(0);
    expect(k.trace.hooks('bpf_prog_load')[0]!.args).toMatchObject({ keyring_id: -3 });
  });

  it('[KP-SIG-6] a signature over other bytes: EKEYREJECTED, before the LSM hook, no id, no record', () => {
    const { c, k } = env('v6.18');
    const other = encodeInsns([insn(0xb7, 0, 0, 0, 1), insn(0x95)]);
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: signed(other), keyringId: -3 }).res.ret).toBe(-Errno.EKEYREJECTED);
    expect(k.trace.hooks('bpf_prog_load')).toHaveLength(0);
    expect(k.progIdr.size).toBe(0);
    expect(formatAuditd(k.audit.records).some((l) => l.startsWith('type=BPF'))).toBe(false);
  });

  it('[KP-SIG-2][KP-Q-5] keyring 0 is the builtin keyring: the session cert does not count there → ENOKEY', () => {
    const { c } = env('v6.18');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: signed(RET0), keyringId: 0 }).res.errno).toBe('ENOKEY');
  });

  it('[KP-SIG-3] a keyring id that resolves to nothing → EINVAL, even with junk or an unreadable signature (the keyring comes first)', () => {
    const { c } = env('v6.18');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: junk, keyringId: 12345 }).res.errno).toBe('EINVAL');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: junk, keyringId: 12345, extra: { signature: 0x10n } }).res.errno).toBe('EINVAL');
  });

  it('[KP-Q-1] an unreadable signature pointer → ENOMEM on v6.18; [STB-3] EFAULT on v6.18-stable', () => {
    expect(env('v6.18').c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: junk, keyringId: -3, extra: { signature: 0x10n } }).res.errno).toBe('ENOMEM');
    expect(env('v6.18-stable').c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: junk, keyringId: -3, extra: { signature: 0x10n } }).res.errno).toBe('EFAULT');
  });

  it('[KP-Q-2] v6.18 has no size bound (8193 junk bytes reach the parser: EBADMSG); [STB-1][OBS-PROF-2] v6.18-stable: 8193 → EINVAL, 8192 passes the bound', () => {
    const big = new Uint8Array(8193).fill(0x30);
    expect(env('v6.18').c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: big, keyringId: -3 }).res.errno).toBe('EBADMSG');
    expect(env('v6.18-stable').c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: big, keyringId: -3 }).res.errno).toBe('EINVAL');
    expect(env('v6.18-stable').c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: big.subarray(0, 8192), keyringId: -3 }).res.errno).toBe('EBADMSG');
  });

  it('[OBS-LOAD-4] signature = 0 makes signature_size and keyring_id irrelevant', () => {
    const { c } = env('v6.18.44');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, keyringId: 12345, extra: { signature_size: 100 } }).res.ret).toBeGreaterThan(0);
  });

  it('[V617-1] v6.17 has no signature field: a 168-byte attr with a signature → E2BIG', () => {
    const { c } = setup('v6.17');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: junk, keyringId: -3, attrSize: 168 }).res.errno).toBe('E2BIG');
  });
});

describe('CONFIG_SYSTEM_DATA_VERIFICATION=n (the v6.18.44 profile, OBS-LOAD-2/3/5)', () => {
  it('[OBS-LOAD-2] keyring lookup first (12345 → EINVAL), then the copy (unreadable → ENOMEM), then EOPNOTSUPP for every keyring that resolves', () => {
    const { c } = env('v6.18.44');
    const load = (keyringId: number, extra = {}) => c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: junk, keyringId, extra }).res.errno;
    expect(load(12345)).toBe('EINVAL');
    expect(load(3)).toBe('EINVAL');
    expect(load(-3, { signature: 0x10n })).toBe('ENOMEM');
    for (const id of [0, 1, 2, -3, -4]) expect(load(id), `keyring ${id}`).toBe('EOPNOTSUPP');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: signed(RET0), keyringId: -3 }).res.errno).toBe('EOPNOTSUPP');
  });

  it('[OBS-LOAD-3] the signature error wins over a bad program type and over a verifier rejection', () => {
    const { c } = env('v6.18.44');
    expect(c.progLoad({ progType: 0x7fff, insns: RET0, signature: junk, keyringId: 0 }).res.errno).toBe('EOPNOTSUPP');
    expect(c.progLoad({ progType: 0x7fff, insns: RET0 }).res.errno).toBe('EINVAL');
    const bad = encodeInsns([insn(0xff), insn(0x95)]);
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: bad, signature: junk, keyringId: 0 }).res.errno).toBe('EOPNOTSUPP');
  });

  it('[OBS-LOAD-1] the attr, prog_flags and insn_cnt checks come before the signature', () => {
    const { c } = env('v6.18.44');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: new Uint8Array(0), signature: junk, keyringId: 0 }).res.errno).toBe('E2BIG');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: junk, keyringId: 0, progFlags: 1 << 20 }).res.errno).toBe('EINVAL');
  });

  it('[OBS-LOAD-5] a failed signed load writes no AUDIT_BPF record; SYSCALL shows success=no exit=-95', () => {
    const { c, k } = env('v6.18.44');
    c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: junk, keyringId: 0 });
    const lines = formatAuditd(k.audit.records);
    expect(lines.some((l) => l.startsWith('type=BPF'))).toBe(false);
    expect(lines.filter((l) => l.startsWith('type=SYSCALL') && l.includes(' a0=5 '))).toEqual([expect.stringContaining('success=no exit=-95 ')]);
  });
});
