// Spec 10, the raw BPF_PROG_LOAD rows (OBS-DEB-40..51) against v6.17 (6.17.13), v6.18.15, v7.2
// (7.2.12) and v7.3 (7.3.4), and the profile facts OBS-DEB-60/61. Base program `r0 = 0; exit`
// (SOCKET_FILTER), junk signature = 64 × 0x5a, as the spec's runs used. No ../shared needed.
// spec: OBS-DEB-40..51, OBS-DEB-60, OBS-DEB-61, LT-ERR-9, STB-1..3.

import { describe, expect, it } from 'vitest';
import { BpfClient } from '../../src/loader/bpf.js';
import { getProfile } from '../../src/syscall/profiles/index.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { MapType, ProgFlag, ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { bpfProgCalcDigest } from '../../src/syscall/prog-load/digest.js';

const SOCKET_FILTER = ProgType.BPF_PROG_TYPE_SOCKET_FILTER;
const RET0 = encodeInsns([insn(0xb7), insn(0x95)]);
const JUNK = new Uint8Array(64).fill(0x5a);
const KERNELS = ['v6.17', 'v6.18.15', 'v7.2', 'v7.3'] as const;
type K = (typeof KERNELS)[number];

function client(profile: string) {
  const k = new Kernel({ profile });
  const p = k.spawn({ comm: 'raw' });
  return { k, p, c: new BpfClient(p) };
}

/** The errno name (or 'fd') of one PROG_LOAD; 168-byte attr unless told (the size 6.17 refuses: E2BIG). */
function load(profile: string, o: Partial<Parameters<BpfClient['progLoad']>[0]> = {}, setup?: (e: ReturnType<typeof client>) => Partial<Parameters<BpfClient['progLoad']>[0]>): string {
  const e = client(profile);
  const more = setup?.(e) ?? {};
  const r = e.c.progLoad({ progType: SOCKET_FILTER, insns: RET0, attrSize: 168, ...o, ...more }).res;
  return r.ret >= 0 ? 'fd' : r.errno!;
}

const expectRow = (expected: Partial<Record<K, string>>, f: (k: K) => string) => {
  for (const [k, v] of Object.entries(expected)) expect(f(k as K), k).toBe(v);
};

describe('OBS-DEB-40..51: raw BPF_PROG_LOAD attrs with signatures', () => {
  it('[OBS-DEB-40] junk signature with keyring_id 0, 1, 2, -3, -4 or a real empty keyring: EBADMSG on 6.18.15/7.2.12/7.3.4, E2BIG on 6.17.13', () => {
    for (const id of [0, 1, 2, -3, -4]) expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': 'EBADMSG', 'v7.2': 'EBADMSG', 'v7.3': 'EBADMSG' }, (k) => load(k, { signature: JUNK, keyringId: id }));
    expectRow({ 'v6.18.15': 'EBADMSG', 'v7.2': 'EBADMSG', 'v7.3': 'EBADMSG' }, (k) =>
      load(k, { signature: JUNK }, (e) => {
        const serial = e.p.addKey('keyring', 'empty', null, -3).ret;
        expect(serial).toBeGreaterThan(0);
        return { keyringId: serial };
      }),
    );
  });

  it('[OBS-DEB-41] junk signature with keyring_id 3 / 12345: EINVAL (6.17.13: E2BIG)', () => {
    for (const id of [3, 12345]) expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': 'EINVAL', 'v7.2': 'EINVAL', 'v7.3': 'EINVAL' }, (k) => load(k, { signature: JUNK, keyringId: id }));
  });

  it('[OBS-DEB-42][LT-ERR-9] a junk pointer with signature_size 0, keyring 0: EBADMSG on 6.18.15 and 7.2.12 (the parser sees nothing), EINVAL on 7.3.4', () => {
    expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': 'EBADMSG', 'v7.2': 'EBADMSG', 'v7.3': 'EINVAL' }, (k) => load(k, { keyringId: 0, extra: { signature: 0xdead_0000n, signature_size: 0 } }));
  });

  it('[OBS-DEB-43] an unreadable signature pointer, keyring 0: ENOMEM on 6.18.15 (no STB-3), EFAULT on 7.2.12 and 7.3.4', () => {
    expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': 'ENOMEM', 'v7.2': 'EFAULT', 'v7.3': 'EFAULT' }, (k) => load(k, { keyringId: 0, extra: { signature: 0xdead_0000n, signature_size: 64 } }));
  });

  it('[OBS-DEB-44] attr size 160 (the pointer set, the size field not passed): EBADMSG, EBADMSG, EINVAL on 7.3.4', () => {
    expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': 'EBADMSG', 'v7.2': 'EBADMSG', 'v7.3': 'EINVAL' }, (k) => load(k, { attrSize: 160 }, (e) => ({ extra: { signature: e.p.alloc(JUNK, 'sig') } })));
  });

  it('[OBS-DEB-45][OBS-DEB-61] signature_size 8192 / 8193 / 1 MiB, keyring 0: EBADMSG / EINVAL / EINVAL on every signing kernel (the bound is 8192)', () => {
    for (const [size, want] of [[8192, 'EBADMSG'], [8193, 'EINVAL'], [1 << 20, 'EINVAL']] as const) {
      expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': want, 'v7.2': want, 'v7.3': want }, (k) => load(k, { signature: new Uint8Array(size).fill(0x5a), keyringId: 0 }));
    }
    for (const k of ['v6.18.15', 'v7.2', 'v7.3']) expect(getProfile(k)!.progSignature.sizeBound, k).toBe(8192);
  });

  it('[OBS-DEB-46] a verifier-rejected program with a junk signature, keyring 0: EBADMSG (the signature comes first on all three)', () => {
    const noExit = encodeInsns([insn(0xb7)]); // r0 = 0, falls off the end
    expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': 'EBADMSG', 'v7.2': 'EBADMSG', 'v7.3': 'EBADMSG' }, (k) => load(k, { insns: noExit, signature: JUNK, keyringId: 0 }));
    expect(load('v7.3', { insns: noExit })).toBe('EINVAL');
  });

  it('[OBS-DEB-47] a bad prog_type with a junk signature: EBADMSG on 6.18.15/7.2.12 (signature before type), EINVAL on 7.3.4 (type before signature)', () => {
    expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': 'EBADMSG', 'v7.2': 'EBADMSG', 'v7.3': 'EINVAL' }, (k) => load(k, { progType: 999, signature: JUNK, keyringId: 0 }));
  });

  it('[OBS-DEB-48] insn_cnt 0 / an unknown prog_flags bit, with a junk signature: E2BIG / EINVAL (6.17.13: E2BIG / E2BIG)', () => {
    expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': 'E2BIG', 'v7.2': 'E2BIG', 'v7.3': 'E2BIG' }, (k) => load(k, { insns: new Uint8Array(0), signature: JUNK, keyringId: 0 }));
    expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': 'EINVAL', 'v7.2': 'EINVAL', 'v7.3': 'EINVAL' }, (k) => load(k, { progFlags: 1 << 30, signature: JUNK, keyringId: 0 }));
  });

  it('[OBS-DEB-49] a sleepable socket filter with a junk signature / without: EBADMSG / EINVAL (6.17.13: E2BIG / EINVAL)', () => {
    const sleepable = { progFlags: ProgFlag.BPF_F_SLEEPABLE };
    expectRow({ 'v6.17': 'E2BIG', 'v6.18.15': 'EBADMSG', 'v7.2': 'EBADMSG', 'v7.3': 'EBADMSG' }, (k) => load(k, { ...sleepable, signature: JUNK, keyringId: 0 }));
    expectRow({ 'v6.17': 'EINVAL', 'v6.18.15': 'EINVAL', 'v7.2': 'EINVAL', 'v7.3': 'EINVAL' }, (k) => load(k, { ...sleepable, attrSize: k === 'v6.17' ? 152 : 168 }));
  });

  it('[OBS-DEB-50] an exclusive map that does not match, or does, with a junk signature: EBADMSG on all three (6.17.13 has no exclusive maps: MAP_CREATE EINVAL)', () => {
    // r1 = map (BPF_PSEUDO_MAP_FD); r0 = 0; exit — the map is bound in the resolve walk, after the signature.
    const prog = (fd: number) => encodeInsns([insn(0x18, 1, 1, 0, fd), insn(0, 0, 0, 0, 0), insn(0xb7), insn(0x95)]);
    for (const match of [false, true]) {
      expectRow({ 'v6.18.15': 'EBADMSG', 'v7.2': 'EBADMSG', 'v7.3': 'EBADMSG' }, (k) =>
        load(k, { signature: JUNK, keyringId: 0 }, (e) => {
          const probe = prog(3); // fd 3 is the map's: the digest zeroes MAP_FD immediates (DIG-2) anyway
          const hash = match ? bpfProgCalcDigest(probe, 'sha256') : new Uint8Array(32).fill(7);
          const fd = e.c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'excl', exclProgHash: hash }).ret;
          expect(fd).toBe(3);
          return { insns: prog(fd) };
        }),
      );
    }
    const e = client('v6.17');
    expect(e.c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHash: new Uint8Array(32) }).errno).toBe('EINVAL');
  });

  it('[OBS-DEB-51] attr 176 with a non-zero byte at 170: E2BIG on every kernel', () => {
    for (const k of KERNELS) {
      const e = client(k);
      const r = e.c.progLoad({ progType: SOCKET_FILTER, insns: RET0, attrSize: 176, extra: {} });
      expect(r.res.ret, k).toBeGreaterThan(0);
      const e2 = client(k);
      const bytes = new Uint8Array(176);
      bytes[170] = 1;
      const attr = e2.p.alloc(bytes, 'attr');
      expect(e2.p.bpf(5, attr, 176).errno, k).toBe('E2BIG');
    }
  });
});

describe('OBS-DEB-60: the profiles are the observed kernels', () => {
  it('[OBS-DEB-60] v6.18.15 = v6.18 + STB-1 + STB-2, no STB-3, no struct bpf_map.excl; v7.2 adds STB-3 and excl; v7.3 is the load-time scheme on that tree', () => {
    const p1815 = getProfile('v6.18.15')!;
    expect(p1815.fixes).toEqual(expect.arrayContaining(['STB-1', 'STB-2']));
    expect(p1815.fixes).not.toContain('STB-3');
    expect(p1815.structBpfMapExcl).toBe(false);
    expect(p1815.config.CONFIG_SYSTEM_DATA_VERIFICATION).toBe(true);
    const p72 = getProfile('v7.2')!;
    expect(p72.fixes).toEqual(expect.arrayContaining(['STB-1', 'STB-2', 'STB-3']));
    expect(p72.structBpfMapExcl).toBe(true);
    const p73 = getProfile('v7.3')!;
    expect(p73.scheme).toBe('loadtime');
    expect(p73.release).toBe('7.3.4');
    expect(p73.progLoadStages.some((s) => s.id === 'LOAD-9')).toBe(false);
  });
});
