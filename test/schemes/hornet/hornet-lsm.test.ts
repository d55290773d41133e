// The Hornet LSM row by row, on raw BPF_PROG_LOADs: the verdict of hornet_check_program (HN-CHK-*)
// in both revisions, the map checks after admission (HN-MAP-*), its id and order (HN-LIM-3), and what
// KP's LOAD-9 in front of it leaves reachable (HN-KP-1/2). A stand-in for IPE-4 (ipe4StandIn) turns
// verdicts into decisions; the end-to-end runs with skeletons are in acceptance.test.ts.
// spec: HN-CHK-1..10, HN-MAP-1..4, HN-ASN1-2/3, HN-KP-1/2, HN-LIM-1..3, HN-REV-1, LSM-STACK-6

import { decodeTypedAttr } from '../../../src/abi/uapi/attr-types.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EPOCH } from '../../../src/keys/clock.js';
import { der } from '../../../src/keys/der.js';
import { KEY_SPEC_SESSION_KEYRING } from '../../../src/keys/process-keyrings.js';
import { signPkcs7, type ExtraAttribute } from '../../../src/keys/sign.js';
import type { LsmModule } from '../../../src/lsm/hooks.js';
import { createLsms, LsmConfigError } from '../../../src/lsm/registry.js';
import { defaultLsmFor } from '../../../src/schemes/registry.js';
import { hornetSignedAttribute, OID_HORNET_DATA, MAX_USED_MAPS, type HornetMapEntry, type HornetProgSecurity } from '../../../src/schemes/hornet/hornet-data.js';
import { HORNET_LSMID, hornetModule, hornetProgSecurity, LSM_ID_HORNET, type HornetModule } from '../../../src/schemes/hornet/hornet-lsm.js';
import { Errno } from '../../../src/syscall/errno.js';
import { BpfCmd, ProgType } from '../../../src/syscall/uapi/consts.js';
import { arrayMap, hashMap, setup, u32 } from '../../support/kernel.js';
import { hookCalls, hornetNotes, identity, ipe4StandIn } from './support.js';

const RET0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
const BPF_F_SLEEPABLE = 1 << 4;
const T0 = new Date(DEFAULT_EPOCH * 1000);
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

/** A signature as gen_sig makes it (issuer-serial signer, signed attributes) with these extra attributes. */
const genSig = (content: Uint8Array, extra: readonly ExtraAttribute[]) =>
  signPkcs7(content, { key: identity.privateKey, cert: identity.certDer, sid: 'issuer-serial', signedAttributes: { extra, signingTime: T0 } });
const hornetSig = (entries: readonly HornetMapEntry[], content = RET0) => genSig(content, [hornetSignedAttribute(entries)]);
/** bpftool's structure: no signed attributes at all. */
const bpftoolSig = (content = RET0) => signPkcs7(content, { key: identity.privateKey, cert: identity.certDer });

/** A kernel with Hornet, `policy` before it (IPE's place), the signing certificate in the session keyring. */
function hornetKernel(profile: string, policy: LsmModule | null = ipe4StandIn(), extra: Record<string, unknown> = {}) {
  const s = setup(profile, { lsm: [...(policy ? [policy] : []), 'hornet'], ...(Object.keys(extra).length ? { lsmOptions: { extra } } : {}) });
  expect(s.p.addKey('asymmetric', 'hornet test', identity.certDer, KEY_SPEC_SESSION_KEYRING).ret).toBeGreaterThan(0);
  return s;
}
type K = ReturnType<typeof hornetKernel>;

/** A SYSCALL program (so BPF_PROG_TEST_RUN runs it) with fd_array entries bound as used maps. */
function load(s: K, o: { signature?: Uint8Array; fdArray?: number[]; bind?: number; extra?: Record<string, number | bigint>; keyringId?: number } = {}) {
  return s.c.progLoad({
    progType: ProgType.BPF_PROG_TYPE_SYSCALL,
    progFlags: BPF_F_SLEEPABLE,
    insns: RET0,
    name: 'hornet_t',
    ...(o.signature ? { signature: o.signature, keyringId: o.keyringId ?? KEY_SPEC_SESSION_KEYRING } : {}),
    ...(o.fdArray ? { fdArray: o.fdArray, fdArrayCnt: o.bind ?? o.fdArray.length } : {}),
    ...(o.extra ? { extra: o.extra } : {}),
  }).res;
}

/** A frozen one-element ARRAY map holding `value`; its fd and the hash Hornet compares. */
function frozenMap(s: K, value: Uint8Array, freeze = true) {
  const fd = arrayMap(s.c, value.length, 1, 'signed');
  expect(s.c.mapUpdate(fd, u32(0), value).ret).toBe(0);
  if (freeze) expect(s.c.mapFreeze(fd).ret).toBe(0);
  return { fd, sha: sha256(value) };
}

/** What the integrity LSM handed the policy LSMs, and the note naming the row that decided. */
const verdictOf = (s: K) => {
  const v = hookCalls(s.k, 'bpf_prog_load_post_integrity').at(-1);
  return v ? String(v.args.verdict) : null;
};
/** The HN-CHK row behind the last admission decision (notes of bpf_prog_load_integrity start "hornet (<revision>)"). */
const ruleOf = (s: K) => /: (HN-[A-Z]+-\d+):/.exec(hornetNotes(s.k).filter((n) => n.startsWith('hornet (')).at(-1) ?? '')?.[1] ?? null;
const auditTypes = (s: K) => s.k.audit.records.map((r) => (r.type === 'BPF' ? `BPF ${r.body.split(' ')[1]}` : r.type));

/** A policy module that keeps a copy of Hornet's blob as the policy LSMs see it. */
function blobSpy(out: { blob?: HornetProgSecurity }): LsmModule {
  return {
    name: 'blob-spy',
    hooks: {
      bpf_prog_load_post_integrity: (a) => {
        const b = hornetProgSecurity(a.prog);
        if (b) out.blob = { signedHashCount: b.signedHashCount, signedHashes: b.signedHashes.slice() };
        return 0;
      },
    },
  };
}

const NOKP = 'hornet-v7-no-kp';
const NOKP_POSTED = 'hornet-v7-posted-no-kp';

describe('hornet_check_program: the verdict (both revisions)', () => {
  for (const profile of [NOKP, NOKP_POSTED]) {
    it(`[HN-CHK-1][HN-ERR-2] ${profile}: no signature → UNSIGNED; IPE-4 denies a userspace load with -EACCES`, () => {
      const s = hornetKernel(profile);
      const r = load(s);
      expect([verdictOf(s), ruleOf(s)]).toEqual(['UNSIGNED', 'HN-CHK-1']);
      expect(r.errno).toBe('EACCES');
    });

    it(`[HN-CHK-2] ${profile}: a signature pointer with signature_size 0 → BADSIG`, () => {
      const s = hornetKernel(profile);
      load(s, { extra: { signature: s.c.buf(bpftoolSig(), 'sig'), signature_size: 0 } });
      expect([verdictOf(s), ruleOf(s)]).toEqual(['BADSIG', 'HN-CHK-2']);
    });

    it(`[HN-CHK-3][HN-ERR-6] ${profile}: kzalloc(signature_size) failing → -ENOMEM, a faulting copy → -EFAULT: hard errors, no verdict, the program is freed`, () => {
      const big = hornetKernel(profile);
      const r1 = load(big, { extra: { signature: big.c.buf(bpftoolSig(), 'sig'), signature_size: 5 * 1024 * 1024, keyring_id: 0 } });
      expect(r1.errno).toBe('ENOMEM');
      const bad = hornetKernel(profile);
      const r2 = load(bad, { extra: { signature: 0x10n, signature_size: 300, keyring_id: 0 } });
      expect(r2.errno).toBe('EFAULT');
      for (const s of [big, bad]) {
        expect(verdictOf(s)).toBeNull();
        expect(ruleOf(s)).toBe('HN-CHK-3');
        expect(hookCalls(s.k, 'bpf_prog_load_integrity').map((h) => h.lsm)).toEqual(['hornet']);
        expect(hookCalls(s.k, 'bpf_prog_free').length).toBe(1);
        expect(auditTypes(s)).not.toContain('BPF op=LOAD');
      }
    });

    it(`[HN-CHK-4] ${profile}: bytes pkcs7_parse_message refuses → BADSIG`, () => {
      const s = hornetKernel(profile);
      load(s, { signature: new Uint8Array(64).fill(0x30) });
      expect([verdictOf(s), ruleOf(s)]).toEqual(['BADSIG', 'HN-CHK-4']);
    });

    it(`[HN-CHK-5] ${profile}: a keyring_id no key answers to → UNKNOWNKEY`, () => {
      const s = hornetKernel(profile);
      load(s, { signature: hornetSig([{ sha: new Uint8Array(32) }]), keyringId: 0x7ffffff0 });
      expect([verdictOf(s), ruleOf(s)]).toEqual(['UNKNOWNKEY', 'HN-CHK-5']);
    });

    it(`[HN-CHK-6] ${profile}: a signature over other instructions, or checked against a keyring without the key → BADSIG (not UNKNOWNKEY)`, () => {
      const other = hornetKernel(profile);
      load(other, { signature: hornetSig([{ sha: new Uint8Array(32) }], RET0.map((b, i) => (i === 4 ? 1 : b))) });
      expect([verdictOf(other), ruleOf(other)]).toEqual(['BADSIG', 'HN-CHK-6']);
      expect(hornetNotes(other.k).at(-1)).toMatch(/EKEYREJECTED/);
      const builtin = hornetKernel(profile);
      load(builtin, { signature: hornetSig([{ sha: new Uint8Array(32) }]), keyringId: 0 });
      expect([verdictOf(builtin), ruleOf(builtin)]).toEqual(['BADSIG', 'HN-CHK-6']);
      expect(hornetNotes(builtin.k).at(-1)).toMatch(/ENOKEY/);
    });

    it(`[HN-CHK-7][HN-ERR-4] ${profile}: a valid signature without the Hornet attribute (bpftool's, or with other signed attributes) → PARTIALSIG → -EACCES`, () => {
      for (const sig of [bpftoolSig(), genSig(RET0, [])]) {
        const s = hornetKernel(profile);
        expect(load(s, { signature: sig }).errno).toBe('EACCES');
        expect([verdictOf(s), ruleOf(s)]).toEqual(['PARTIALSIG', 'HN-CHK-7']);
      }
    });
  }

  it('[HN-CHK-8][HN-ERR-5] attributes that do not decode → BADSIG: a sha of 31 bytes, an empty set, the other revision\'s entry form, a value that is the bare SET OF', () => {
    const bare: ExtraAttribute = { oid: OID_HORNET_DATA, values: [der.setOf(der.seq(der.octet(new Uint8Array(32))))] };
    const cases: [string, string, Uint8Array][] = [
      ['hornet-v7', 'sha 31', hornetSig([{ sha: new Uint8Array(31) }])],
      ['hornet-v7-posted', 'sha 31', hornetSig([{ sha: new Uint8Array(31), index: 0 }])],
      ['hornet-v7', 'empty', hornetSig([])],
      ['hornet-v7-posted', 'empty', hornetSig([])],
      ['hornet-v7', 'indexed entry', hornetSig([{ sha: new Uint8Array(32), index: 0 }])],
      ['hornet-v7-posted', 'entry without index', hornetSig([{ sha: new Uint8Array(32) }])],
      ['hornet-v7', 'bare SET OF', genSig(RET0, [bare])],
      ['hornet-v7-posted', 'index 200 (two INTEGER bytes)', hornetSig([{ sha: new Uint8Array(32), index: 200 }])],
    ];
    for (const [profile, what, sig] of cases) {
      const s = hornetKernel(profile); // KP's LOAD-9 in front: it accepts every one of these (HN-KP-1)
      expect(load(s, { signature: sig }).errno, `${profile}: ${what}`).toBe('EACCES');
      expect([verdictOf(s), ruleOf(s)], `${profile}: ${what}`).toEqual(['BADSIG', 'HN-CHK-8']);
    }
  });

  it('[HN-CHK-8][HN-LIM-1] at most 64 entries: v7-toctou-fix takes 64 and refuses 65; v7-posted, before the off-by-one fix, refuses the 64th', () => {
    const n = (count: number, index?: number) => Array.from({ length: count }, (_, i) => ({ sha: new Uint8Array(0), ...(index !== undefined ? { index: i % 100 } : {}) }));
    const run = (profile: string, entries: HornetMapEntry[]) => {
      const s = hornetKernel(profile);
      load(s, { signature: hornetSig(entries) });
      return verdictOf(s);
    };
    expect(run(NOKP, n(MAX_USED_MAPS))).toBe('OK');
    expect(run(NOKP, n(MAX_USED_MAPS + 1))).toBe('BADSIG');
    // zero-length shas are "skip this map" in v7-posted, so 63 of them verify nothing and pass
    expect(run(NOKP_POSTED, n(MAX_USED_MAPS - 1, 0))).toBe('OK');
    expect(run(NOKP_POSTED, n(MAX_USED_MAPS, 0))).toBe('BADSIG');
  });

  it('[HN-CHK-9] v7-toctou-fix: OK whatever the maps are; the signed hashes go into the program\'s blob in encoded order — DER sorts the SET OF, so the zero-length entry (a zero slot) comes first', () => {
    const out: { blob?: HornetProgSecurity } = {};
    const s = hornetKernel(NOKP, blobSpy(out));
    const a = new Uint8Array(32).fill(0xaa);
    load(s, { signature: hornetSig([{ sha: a }, { sha: new Uint8Array(0) }]) });
    expect([verdictOf(s), ruleOf(s)]).toEqual(['OK', 'HN-CHK-9']);
    expect(out.blob!.signedHashCount).toBe(2);
    expect(Buffer.from(out.blob!.signedHashes.subarray(0, 64)).toString('hex')).toBe('00'.repeat(32) + 'aa'.repeat(32));
  });

  describe('[HN-CHK-9][HN-ERR-7][HN-ERR-8] v7-posted: each signed entry\'s map, read from fd_array[index] at admission', () => {
    const value = new Uint8Array(24).fill(5);
    const cases: [string, (s: K) => { sig: Uint8Array; fdArray?: number[]; fdArrayPtr?: bigint }, string][] = [
      ['a frozen map with the signed content → OK', (s) => ({ sig: hornetSig([{ sha: sha256(value), index: 0 }]), fdArray: [frozenMap(s, value).fd] }), 'OK'],
      ['fd_array unreadable → FAULT', () => ({ sig: hornetSig([{ sha: sha256(value), index: 0 }]), fdArrayPtr: 0n }), 'FAULT'],
      ['an fd that is not open → FAULT', () => ({ sig: hornetSig([{ sha: sha256(value), index: 0 }]), fdArray: [77] }), 'FAULT'],
      ['an fd that is not a map (a program) → FAULT', (s) => {
        const prog = load(s, { signature: hornetSig([{ sha: new Uint8Array(0), index: 0 }]) }).ret; // OK: its one entry is skipped
        expect(prog).toBeGreaterThan(0);
        return { sig: hornetSig([{ sha: sha256(value), index: 0 }]), fdArray: [prog] };
      }, 'FAULT'],
      ['a map that is not frozen → FAULT', (s) => ({ sig: hornetSig([{ sha: sha256(value), index: 0 }]), fdArray: [frozenMap(s, value, false).fd] }), 'FAULT'],
      ['a frozen map without map_get_hash (HASH) → FAULT', (s) => {
        const fd = hashMap(s.c, 8, 2);
        expect(s.c.mapFreeze(fd).ret).toBe(0);
        return { sig: hornetSig([{ sha: sha256(value), index: 0 }]), fdArray: [fd] };
      }, 'FAULT'],
      ['a frozen map with other content → UNEXPECTED', (s) => ({ sig: hornetSig([{ sha: sha256(value), index: 0 }]), fdArray: [frozenMap(s, value.map((b) => b ^ 1)).fd] }), 'UNEXPECTED'],
      ['a zero-length sha skips its map (even a bad fd) → OK', () => ({ sig: hornetSig([{ sha: new Uint8Array(0), index: 0 }]), fdArray: [77] }), 'OK'],
    ];
    for (const [what, make, want] of cases) {
      it(what, () => {
        const s = hornetKernel(NOKP_POSTED);
        const m = make(s);
        s.c.progLoad({
          progType: ProgType.BPF_PROG_TYPE_SYSCALL,
          progFlags: BPF_F_SLEEPABLE,
          insns: RET0,
          signature: m.sig,
          keyringId: KEY_SPEC_SESSION_KEYRING,
          ...(m.fdArray ? { fdArray: m.fdArray } : {}),
          ...(m.fdArrayPtr !== undefined ? { extra: { fd_array: m.fdArrayPtr } } : {}),
        });
        expect([verdictOf(s), ruleOf(s)]).toEqual([want, 'HN-CHK-9']);
      });
    }
  });

  it('[HN-CHK-10] Hornet never denies because of the verdict: alone, it lets UNSIGNED, PARTIALSIG and BADSIG loads through', () => {
    for (const sig of [undefined, bpftoolSig(), new Uint8Array(40).fill(1)]) {
      const s = hornetKernel(NOKP, null);
      expect(load(s, { ...(sig ? { signature: sig } : {}) }).ret).toBeGreaterThan(0);
      expect(hookCalls(s.k, 'bpf_prog_load_integrity').map((h) => [h.lsm, h.ret])).toEqual([['hornet', 0]]);
    }
  });

  it('[HN-CHK-10][HN-HOOK-2] Hornet returns what the policy LSMs answer, and hands them its lsm_id (hornet, 114)', () => {
    const ids: string[] = [];
    const deny: LsmModule = { name: 'deny-all', hooks: { bpf_prog_load_post_integrity: (a) => (ids.push(`${a.lsmid.name}/${a.lsmid.id}`), -Errno.EKEYREJECTED) } };
    const s = hornetKernel(NOKP, deny);
    expect(load(s, { signature: hornetSig([{ sha: new Uint8Array(32) }]) }).errno).toBe('EKEYREJECTED');
    expect(ids).toEqual(['hornet/114']);
    expect(hookCalls(s.k, 'bpf_prog_load_integrity').map((h) => [h.lsm, h.ret])).toEqual([['hornet', -Errno.EKEYREJECTED]]);
    expect(hookCalls(s.k, 'bpf_prog_load')).toEqual([]); // LSM-STACK-6: the chain stops there
  });
});

describe('KP\'s LOAD-9 in front of Hornet', () => {
  it('[HN-ERR-1][HN-KP-2] a bad signature fails at LOAD-9 with KP\'s errno: Hornet\'s BADSIG (crypto) and UNKNOWNKEY are unreachable', () => {
    const cases: [string, Record<string, number | bigint> | { signature: Uint8Array; keyringId?: number }, string][] = [
      ['insns signed over other bytes', { signature: hornetSig([{ sha: new Uint8Array(32) }], RET0.map((b, i) => (i === 4 ? 1 : b))) }, 'EKEYREJECTED'],
      ['junk', { signature: new Uint8Array(64).fill(0x30) }, 'EBADMSG'],
      ['an unknown keyring', { signature: bpftoolSig(), keyringId: 0x7ffffff0 }, 'EINVAL'],
    ];
    for (const [what, o, errno] of cases) {
      const s = hornetKernel('hornet-v7');
      expect(load(s, o as never).errno, what).toBe(errno);
      const fail = s.k.trace.events.find((e) => e.kind === 'stage' && e.errno);
      expect(fail && fail.kind === 'stage' ? fail.id : null, what).toBe('LOAD-9');
      expect(hookCalls(s.k, 'bpf_prog_load_integrity'), what).toEqual([]);
    }
  });

  it('[HN-KP-1] a gen_sig signature (signed attributes, issuer-serial signer) passes KP\'s check: PK7-USE-1 allows signed attributes for BPF', () => {
    const s = setup('v6.18-stable');
    s.p.addKey('asymmetric', 'k', identity.certDer, KEY_SPEC_SESSION_KEYRING);
    expect(load(s as K, { signature: hornetSig([{ sha: new Uint8Array(32) }]) }).ret).toBeGreaterThan(0);
  });
});

describe('map checks after admission', () => {
  const value = new Uint8Array(40).fill(3);

  it('[HN-MAP-1] v7-toctou-fix: every signed hash is the hash of a frozen map the program uses → fd; order does not matter and unsigned used maps are fine', () => {
    const s = hornetKernel('hornet-v7');
    const a = frozenMap(s, value);
    const b = frozenMap(s, value.map((x) => x + 1));
    const extra = arrayMap(s.c, 8, 1, 'unsigned');
    expect(load(s, { signature: hornetSig([{ sha: a.sha }, { sha: b.sha }]), fdArray: [extra, b.fd, a.fd] }).ret).toBeGreaterThan(0);
    expect(hookCalls(s.k, 'bpf_prog').map((h) => [h.lsm, h.ret])).toEqual([['hornet', 0]]);
  });

  for (const [what, arrange] of [
    ['its content changed after signing', (s: K) => ({ fds: [frozenMap(s, value.map((x) => x ^ 0x80)).fd] })],
    ['it is not frozen', (s: K) => ({ fds: [frozenMap(s, value, false).fd] })],
    ['the program does not use it', (s: K) => ({ fds: [arrayMap(s.c, 8, 1, 'other')] })],
  ] as const) {
    it(`[HN-MAP-1][HN-MAP-2][HN-ERR-10] v7-toctou-fix, signed map ${what}: verdict OK, IPE allows, then -EPERM at security_bpf_prog after the LOAD record, and UNLOAD`, () => {
      const s = hornetKernel('hornet-v7');
      const { fds } = arrange(s);
      const r = load(s, { signature: hornetSig([{ sha: sha256(value) }]), fdArray: fds });
      expect(r.errno).toBe('EPERM');
      expect(verdictOf(s)).toBe('OK');
      expect(hookCalls(s.k, 'bpf_prog').map((h) => [h.lsm, h.ret])).toEqual([['hornet', -Errno.EPERM]]);
      const fail = s.k.trace.events.find((e) => e.kind === 'stage' && e.errno);
      expect(fail && fail.kind === 'stage' ? [fail.id, fail.name] : null).toEqual(['LOAD-18', 'security_bpf_prog']);
      expect(auditTypes(s).filter((t) => t.startsWith('BPF'))).toEqual(['BPF op=LOAD', 'BPF op=UNLOAD']);
    });
  }

  it('[HN-MAP-1] v7-toctou-fix: a zero-length sha is a zero hash no map has → -EPERM; no signed hashes at all → nothing to check', () => {
    const z = hornetKernel('hornet-v7');
    expect(load(z, { signature: hornetSig([{ sha: new Uint8Array(0) }]), fdArray: [frozenMap(z, value).fd] }).errno).toBe('EPERM');
    const lax: LsmModule = { name: 'lax', hooks: { bpf_prog_load_post_integrity: () => 0 } };
    const none = hornetKernel('hornet-v7', lax);
    expect(load(none, { signature: bpftoolSig() }).ret).toBeGreaterThan(0); // PARTIALSIG, allowed by a lax policy
    expect(hookCalls(none.k, 'bpf_prog').map((h) => h.ret)).toEqual([0]);
  });

  it('[HN-MAP-3][HN-ERR-9] v7-posted: userspace BPF_PROG_RUN re-checks the used maps: unchanged → runs; an unsigned used map frozen after the load → -EPERM', () => {
    const s = hornetKernel('hornet-v7-posted');
    const signed = frozenMap(s, value);
    const later = arrayMap(s.c, 8, 1, 'later');
    const fd = load(s, { signature: hornetSig([{ sha: signed.sha, index: 0 }]), fdArray: [signed.fd, later] }).ret;
    expect(fd).toBeGreaterThan(0);
    expect(s.c.progTestRun(fd).res.ret).toBe(0); // `later` is not frozen: skipped
    expect(s.c.mapFreeze(later).ret).toBe(0);
    const r = s.c.progTestRun(fd);
    expect(r.res.errno).toBe('EPERM');
    const run = hookCalls(s.k, 'bpf').filter((h) => h.args.cmd === 'BPF_PROG_TEST_RUN');
    expect(run.map((h) => [h.lsm, h.ret])).toEqual([['hornet', 0], ['hornet', -Errno.EPERM]]);
    expect(hornetNotes(s.k).at(-1)).toMatch(/HN-MAP-3/);
  });

  it('[HN-MAP-3][HN-ERR-9] v7-posted: every signed hash must be covered — a signed map the program does not use (Hornet read fd_array[1], the verifier bound only [0]) → -EPERM', () => {
    const s = hornetKernel('hornet-v7-posted');
    const a = frozenMap(s, value);
    const b = frozenMap(s, value.map((x) => x + 7));
    const fd = load(s, { signature: hornetSig([{ sha: a.sha, index: 0 }, { sha: b.sha, index: 1 }]), fdArray: [a.fd, b.fd], bind: 1 }).ret;
    expect(verdictOf(s)).toBe('OK');
    expect(fd).toBeGreaterThan(0);
    expect(s.c.progTestRun(fd).res.errno).toBe('EPERM');
    expect(hornetNotes(s.k).at(-1)).toMatch(/1 used map\(s\) matched, 2 hash\(es\) were signed/);
  });

  it('[HN-MAP-3] v7-posted: prog_fd not open → -EBADF, not a program → -EINVAL, a program without signed hashes → runs; loads from the kernel are not checked', () => {
    const s = hornetKernel('hornet-v7-posted', null);
    expect(s.c.progTestRun(55).res.errno).toBe('EBADF');
    expect(s.c.progTestRun(arrayMap(s.c)).res.errno).toBe('EINVAL');
    const fd = load(s).ret;
    expect(s.c.progTestRun(fd).res.ret).toBe(0);
    const m = hornetModule();
    setup('hornet-v7-posted', { lsm: [m] });
    const touch = () => {
      throw new Error('kernel-originated BPF_PROG_RUN must not be looked at');
    };
    const ctx = { pid: 1, comm: 'x', cred: s.p.cred, audit: touch, kernel: new Proxy({}, { get: touch }) } as never;
    const attr = decodeTypedAttr(BpfCmd.BPF_PROG_TEST_RUN, new Uint8Array([55, 0, 0, 0]), new Set());
    expect(m.hooks.bpf!({ cmd: BpfCmd.BPF_PROG_TEST_RUN, attr, size: 80, kernel: true }, ctx)).toBe(0);
  });

  it('[HN-MAP-4][CLAIM-19] the fd_array slot swapped after Hornet read it: v7-posted says OK and the program binds the unsigned map (only a userspace BPF_PROG_RUN is refused later); v7-toctou-fix refuses it at security_bpf_prog', () => {
    const outcome = (profile: string) => {
      let swapTo = -1;
      // Another thread rewrites fd_array[0] between Hornet's read (bpf_prog_load_integrity) and the
      // verifier's (bpf_check): here from a bpf_prog_load hook, which runs in between.
      const racer: LsmModule = {
        name: 'racer',
        hooks: {
          bpf_prog_load: (a) => {
            if (swapTo >= 0) s.p.mem.write(BigInt(a.attr.fd_array as bigint), u32(swapTo));
            return 0;
          },
        },
      };
      const s = setup(profile, { lsm: [ipe4StandIn(), 'hornet', racer] }) as K;
      s.p.addKey('asymmetric', 'k', identity.certDer, KEY_SPEC_SESSION_KEYRING);
      const signed = frozenMap(s, value);
      const evil = frozenMap(s, value.map((x) => x ^ 0xff));
      swapTo = evil.fd;
      const entry = profile === 'hornet-v7-posted' ? { sha: signed.sha, index: 0 } : { sha: signed.sha };
      const r = load(s, { signature: hornetSig([entry]), fdArray: [signed.fd] });
      const id = (fd: number) => Number(s.c.mapGetInfo(fd).info.id);
      const run = r.ret > 0 ? s.c.progTestRun(r.ret).res : null;
      return { r, verdict: verdictOf(s), used: r.ret > 0 ? usedMapIds(s, r.ret) : null, signedId: id(signed.fd), evilId: id(evil.fd), run };
    };
    const posted = outcome('hornet-v7-posted');
    expect(posted.verdict).toBe('OK');
    expect(posted.r.ret).toBeGreaterThan(0);
    expect(posted.used).toEqual([posted.evilId]);
    // … and v7-posted's own runtime re-check (HN-MAP-3) refuses to run it from userspace.
    expect(posted.run!.errno).toBe('EPERM');
    const fixed = outcome('hornet-v7');
    expect(fixed.verdict).toBe('OK');
    expect(fixed.r.errno).toBe('EPERM');
  });
});

describe('the LSM: id, order, revisions', () => {
  it('[HN-LIM-3] LSM_ID_HORNET is 114; the scheme\'s default stack is …,ipe,hornet (IPE before Hornet, LSM-STACK-3)', () => {
    expect(LSM_ID_HORNET).toBe(114);
    expect(HORNET_LSMID).toEqual({ name: 'hornet', id: 114 });
    for (const p of ['hornet-v7', 'hornet-v7-posted', NOKP, NOKP_POSTED]) expect(defaultLsmFor(p)).toEqual(['ipe', 'hornet']);
  });

  it('[HN-REV-1] each profile runs its revision (v7-toctou-fix hooks bpf_prog, v7-posted hooks bpf); extra.hornetRevision overrides; unknown revisions are refused', () => {
    const hooksOf = (profile: string, extra: Record<string, unknown> = {}) => {
      const m = createLsms(['hornet'], Object.keys(extra).length ? { extra } : {})[0] as HornetModule;
      expect(Object.keys(m.hooks)).toEqual([]); // installed when the kernel boots it (hornet_init)
      setup(profile, { lsm: [m] });
      return [m.revision(), ...Object.keys(m.hooks).sort()];
    };
    expect(hooksOf('hornet-v7')).toEqual(['v7-toctou-fix', 'bpf_prog', 'bpf_prog_load_integrity']);
    expect(hooksOf('hornet-v7-no-kp')).toEqual(['v7-toctou-fix', 'bpf_prog', 'bpf_prog_load_integrity']);
    expect(hooksOf('hornet-v7-posted')).toEqual(['v7-posted', 'bpf', 'bpf_prog_load_integrity']);
    expect(hooksOf('hornet-v7', { hornetRevision: 'v7-posted' })).toEqual(['v7-posted', 'bpf', 'bpf_prog_load_integrity']);
    expect(() => hornetKernel('hornet-v7', null, { hornetRevision: 'v8' })).toThrow(LsmConfigError);
  });

  it('[HN-HOOK-1] a kernel without Paul Moore\'s integrity hooks cannot have Hornet: a configuration error naming the hornet profiles', () => {
    expect(() => setup('v6.18-stable', { lsm: ['hornet'] })).toThrow(/hornet needs Paul Moore's integrity hooks.*hornet-v7/);
  });

  it('[HN-KP-2] the -no-kp profiles are the same kernels without LOAD-9', () => {
    const ids = (p: string) => setup(p).k.profile.progLoadStages.map((st) => st.id);
    expect(ids('hornet-v7')).toContain('LOAD-9');
    expect(ids(NOKP)).toEqual(ids('hornet-v7').filter((x) => x !== 'LOAD-9'));
    expect(ids(NOKP_POSTED)).toEqual(ids('hornet-v7-posted').filter((x) => x !== 'LOAD-9'));
    expect(setup('hornet-v7').k.profile.lsmIntegrityHooks).toBe(true);
  });

  it('[HN-LIM-2] Hornet writes no audit records of its own', () => {
    const s = hornetKernel(NOKP, null);
    load(s, { signature: bpftoolSig() });
    load(s, { signature: new Uint8Array(8) });
    expect(new Set(auditTypes(s))).toEqual(new Set(['BPF op=LOAD', 'SYSCALL', 'PROCTITLE', 'EOE']));
  });
});

/** The ids of the maps a loaded program uses (BPF_OBJ_GET_INFO_BY_FD map_ids). */
function usedMapIds(s: K, fd: number): number[] {
  const r = s.c.progGetInfo(fd, { fields: { nr_map_ids: 4 }, bufs: { map_ids: 16 } });
  const n = Number(r.info.nr_map_ids);
  const dv = new DataView(r.out.map_ids!.buffer, r.out.map_ids!.byteOffset);
  return Array.from({ length: n }, (_, i) => dv.getUint32(i * 4, true));
}
