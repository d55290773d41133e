// bpfsig explain: for skeletons made by each toolchain and for the shared fixture headers — which
// toolchain made it, what the signature covers, whether the chain link holds offline (CLAIM-9), and
// what each profile does with it (runs, not a table).
// spec: CLAIM-9, DEBATE-1, LSK-SIGM-2, LSK-SIGM-3, LSK-SIGM-5, LSK-SIGM-8, TC-BT77-3, TC-BT77-6,
// TC-HCM-3, TC-LB26-2, TC-HGS-1, HN-ASN1-1, HN-ASN1-2, PK7-VER-5, V617-5.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { certificateToDer } from '../../src/keys/pem.js';
import { readExampleObject } from '../../src/loader/examples.js';
import { readLightSkeleton, type LightSkeleton } from '../../src/loader/lskel-reader.js';
import { explainSkeleton, formatExplain, type ExplainResult } from '../../src/scenarios/explain.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { applyTampers } from '../../src/scenarios/skel-run.js';
import { profileNames, getProfile } from '../../src/syscall/profiles/index.js';
import { cli, tempDir } from '../cli/support.js';
import { describeShared, fixturePath } from '../support/shared.js';

const obj = openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o');
const id = makeSigningIdentity({ cn: 'explain test key' });
const other = makeSigningIdentity({ cn: 'explain other key' });
const make = (toolchain: string, o: { sign?: boolean; signMaps?: boolean } = {}): LightSkeleton =>
  makeSkeleton(obj, { toolchain, name: obj.name, ...(o.sign === false ? {} : { identity: id }), ...(o.signMaps ? { signMaps: true } : {}) }).skeleton;
const check = (r: ExplainResult, name: string) => r.chainLink.checks.find((c) => c.id === name);
const NO_PROFILES = { profiles: [] as string[] };

describe('bpfsig explain: skeletons from each toolchain', () => {
  it('[TC-BT77-3][LSK-SIGM-3][CLAIM-9] bpftool 7.7 -S: the signature covers the instructions; the four immediates link them to SHA-256(opts_data)', () => {
    const r = explainSkeleton(make('bpftool-7.7'), { file: 'x.lskel.h', certDer: id.certDer, ...NO_PROFILES });
    expect(r.toolchain.name).toBe('bpftool-7.7');
    expect(r.toolchain.verified).toEqual(['bpftool-7.7']);
    expect(r.covers?.kind).toBe('insns');
    expect(check(r, 'signature-match')).toMatchObject({ result: 'holds', detail: r.skeleton.sha256.data });
    expect(check(r, 'excl-hash')).toMatchObject({ result: 'holds', detail: r.skeleton.sha256.insns });
    expect(check(r, 'pkcs7')).toMatchObject({ result: 'holds', rule: 'PK7-VER-5', errno: null });
    expect(r.chainLink.holds).toBe(true);
    expect(r.cert?.matchesSigner).toBe(true);
  });

  it('[CLAIM-9][KP-META-2] a changed data byte: the signature still verifies (it does not cover the data); the immediates no longer match', () => {
    const { skel } = applyTampers(make('bpftool-7.7'), [{ blob: 'data', offset: 100 }]);
    const r = explainSkeleton(skel, { file: 'x.lskel.h', certDer: id.certDer, ...NO_PROFILES });
    expect(check(r, 'pkcs7')?.result).toBe('holds');
    expect(check(r, 'signature-match')?.result).toBe('fails');
    expect(r.chainLink.holds).toBe(false);
  });

  it('[LSK-SIGM-8][TC-LB2606-4] bpftool 7.8: the 2026-06 block, with the map->excl check before the compares', () => {
    const r = explainSkeleton(make('bpftool-7.8'), { file: 'x.lskel.h', certDer: id.certDer, ...NO_PROFILES });
    expect(r.toolchain.name).toBe('bpftool-7.8');
    expect(r.toolchain.signatureMatchBlock?.exclCheck).not.toBeNull();
    expect(r.chainLink.holds).toBe(true);
  });

  it('[TC-LB26-2] load-time: the signature covers opts_insn ‖ opts_data; a changed data byte breaks the PKCS#7 verification itself', () => {
    const skel = make('loadtime');
    const r = explainSkeleton(skel, { file: 'x.lskel.h', certDer: id.certDer, ...NO_PROFILES });
    expect(r.toolchain.name).toBe('loadtime');
    expect(r.covers).toMatchObject({ kind: 'insns-data', bytes: skel.insns.length + skel.data.length });
    expect(r.toolchain.signatureMatchBlock).toBeNull();
    expect(check(r, 'pkcs7')?.result).toBe('holds');
    const t = explainSkeleton(applyTampers(skel, [{ blob: 'data', offset: 100 }]).skel, { file: 'x.lskel.h', certDer: id.certDer, ...NO_PROFILES });
    expect(check(t, 'pkcs7')).toMatchObject({ result: 'fails', errno: 'EKEYREJECTED' });
    expect(check(t, 'pkcs7')?.rule).toMatch(/^PK7-/);
  });

  it('[TC-HCM-3] -M: the signature covers the recomputed term SHA256(SHA256(insns) ‖ SHA256(data)); a changed data byte breaks it', () => {
    const skel = make('hashchain', { signMaps: true });
    const r = explainSkeleton(skel, { file: 'x.lskel.h', certDer: id.certDer, ...NO_PROFILES });
    expect(r.toolchain.name).toBe('hashchain');
    expect(r.covers).toMatchObject({ kind: 'hash-chain-term', bytes: 32 });
    expect(check(r, 'hash-chain-term')?.result).toBe('holds');
    expect(check(r, 'pkcs7')?.result).toBe('holds');
    const t = explainSkeleton(applyTampers(skel, [{ blob: 'data', offset: 100 }]).skel, { file: 'x.lskel.h', certDer: id.certDer, ...NO_PROFILES });
    expect(check(t, 'pkcs7')).toMatchObject({ result: 'fails', errno: 'EKEYREJECTED' });
  });

  it('[HN-ASN1-1][TC-HGS-1][CLAIM-9] Hornet: the signature covers the instructions and a signed attribute that holds SHA-256(opts_data)', () => {
    const skel = make('hornet');
    const r = explainSkeleton(skel, { file: 'x.lskel.h', certDer: id.certDer, ...NO_PROFILES });
    expect(r.toolchain.name).toBe('hornet');
    expect(r.signature).toMatchObject({ sid: 'issuer-serial' });
    expect(r.signature?.attributes?.some((a) => a.startsWith('hornet_data'))).toBe(true);
    expect(r.cert?.matchesSigner).toBe(true);
    expect(check(r, 'signed-attribute')).toMatchObject({ result: 'holds', detail: `holds SHA-256(opts_data) ${r.skeleton.sha256.data}` });
    expect(check(r, 'pkcs7')?.result).toBe('holds');
    expect(r.chainLink.holds).toBe(true);
    // A changed data byte: the signature still verifies (the attribute was signed), the attribute no longer matches the blob.
    const t = explainSkeleton(applyTampers(skel, [{ blob: 'data', offset: 100 }]).skel, { file: 'x.lskel.h', certDer: id.certDer, ...NO_PROFILES });
    expect(check(t, 'pkcs7')?.result).toBe('holds');
    expect(check(t, 'signed-attribute')?.result).toBe('fails');
    expect(t.chainLink.holds).toBe(false);
    // gen_sig as posted with v7 (an fd_array index in the entry) is told apart by its attribute.
    expect(explainSkeleton(make('hornet-indexed'), { file: 'x.lskel.h', ...NO_PROFILES }).toolchain.name).toBe('hornet-indexed');
  });

  it('[HN-ASN1-2] each Hornet revision loads the form of its own gen_sig: hornet-v7 the indexless one, hornet-v7-posted the indexed one', () => {
    const plain = explainSkeleton(make('hornet'), { file: 'x.lskel.h', certDer: id.certDer, profiles: ['hornet-v7', 'hornet-v7-posted'] });
    const indexed = explainSkeleton(make('hornet-indexed'), { file: 'x.lskel.h', certDer: id.certDer, profiles: ['hornet-v7', 'hornet-v7-posted'] });
    const loaded = (r: ExplainResult) => Object.fromEntries(r.profiles.map((p) => [p.profile, p.loaded]));
    expect(loaded(plain)).toEqual({ 'hornet-v7': true, 'hornet-v7-posted': false });
    expect(loaded(indexed)).toEqual({ 'hornet-v7': false, 'hornet-v7-posted': true });
  });

  it('[PK7-VER-5] the wrong certificate: the verification fails by rule, no toolchain is confirmed, the key ids differ', () => {
    const r = explainSkeleton(make('bpftool-7.7'), { file: 'x.lskel.h', certDer: other.certDer, ...NO_PROFILES });
    expect(check(r, 'pkcs7')).toMatchObject({ result: 'fails', errno: 'ENOKEY' });
    expect(check(r, 'pkcs7')?.rule).toMatch(/^PK7-/);
    expect(r.toolchain.verified).toEqual([]);
    expect(r.toolchain.name).toBe('bpftool-7.7');
    expect(r.cert?.matchesSigner).toBe(false);
  });

  it('without --cert the PKCS#7 hop is reported as not checked, and the rest still is', () => {
    const r = explainSkeleton(make('bpftool-7.7'), { file: 'x.lskel.h', ...NO_PROFILES });
    expect(check(r, 'pkcs7')?.result).toBe('not-checked');
    expect(check(r, 'signature-match')?.result).toBe('holds');
    expect(r.chainLink.holds).toBeNull();
  });

  it('unsigned skeletons: bpftool 7.1 is told from its header; nothing links to a key', () => {
    const r = explainSkeleton(make('bpftool-7.1', { sign: false }), { file: 'x.lskel.h', ...NO_PROFILES });
    expect(r.toolchain.candidates).toEqual(['bpftool-7.1']);
    expect(r.signature).toBeNull();
    expect(r.chainLink.checks).toEqual([]);
    expect(formatExplain(r).join('\n')).toContain('none: the skeleton is unsigned');
  });

  it('[V617-5][SEQ-1] every registered profile runs it once: the 7.7 skeleton loads on v6.18 and fails creating its map on v6.17', () => {
    const r = explainSkeleton(make('bpftool-7.7'), { file: 'x.lskel.h', certDer: id.certDer });
    const names = [...new Set(profileNames().map((n) => getProfile(n)!.name))];
    expect(r.profiles.map((p) => p.profile)).toEqual(names);
    expect(r.profiles.find((p) => p.profile === 'v6.18')).toMatchObject({ loaded: true, code: 'ok' });
    expect(r.profiles.find((p) => p.profile === 'v6.17')?.failedAt).toMatchObject({ syscall: 'BPF_MAP_CREATE', errno: 'EINVAL' });
    // The same header under the load-time scheme's kernel: its own LSM stack, a different answer.
    const lt = explainSkeleton(make('loadtime'), { file: 'x.lskel.h', certDer: id.certDer, profiles: ['v7.3', 'v6.18'] });
    expect(lt.profiles.find((p) => p.profile === 'v7.3')?.loaded).toBe(true);
    expect(lt.profiles.find((p) => p.profile === 'v6.18')?.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', stage: 'LOAD-9', errno: 'EKEYREJECTED' });
  });
});

describeShared('bpfsig explain: the shared fixture headers', () => {
  const objects = readdirSync(fixturePath('bpf')).filter((d) => d !== 'src');
  const cert = certificateToDer(readFileSync(fixturePath('keys', 'signing-rsa2048', 'cert.pem')));
  const header = (o: string, v: string) => readLightSkeleton(readFileSync(fixturePath('bpf', o, `${o}.${v}.lskel.h`), 'latin1'), `${o}.${v}.lskel.h`);

  for (const o of objects) {
    it(`[LSK-SIGM-5][TC-BT77-6][CLAIM-9] ${o}: v77-signed is bpftool 7.7's, its immediates are SHA-256(opts_data) and it verifies over opts_insn`, () => {
      const r = explainSkeleton(header(o, 'v77-signed'), { file: `${o}.v77-signed.lskel.h`, certDer: cert, ...NO_PROFILES });
      expect(r.toolchain.name).toBe('bpftool-7.7');
      expect(r.toolchain.verified).toContain('bpftool-7.7');
      expect(r.chainLink.holds).toBe(true);
      // The signature bpftool wrote is the one the fixture keeps beside the header.
      expect(r.signature?.bytes).toBe(readFileSync(fixturePath('bpf', o, `${o}.v77-signed.sig.der`)).length);
    });

    it(`${o}: v71 is bpftool 7.1's, v77 (unsigned) fits the 7.7-style toolchains`, () => {
      expect(explainSkeleton(header(o, 'v71'), { file: 'v71', ...NO_PROFILES }).toolchain.candidates).toEqual(['bpftool-7.1']);
      const r = explainSkeleton(header(o, 'v77'), { file: 'v77', ...NO_PROFILES });
      expect(r.toolchain.candidates).toContain('bpftool-7.7');
      expect(r.toolchain.candidates).not.toContain('bpftool-7.1');
    });
  }
});

describe('bpfsig explain (command line)', () => {
  const dir = tempDir('bpfsig-explain-');
  const made = makeSkeleton(obj, { toolchain: 'bpftool-7.7', identity: id, name: obj.name });
  const file = join(dir, 'hello.lskel.h');
  const certFile = join(dir, 'cert.pem');

  it('--json is bpfsig-explain/1; --audit-file gets the runs\' audit log', async () => {
    const fs = await import('node:fs');
    fs.writeFileSync(file, made.header);
    fs.writeFileSync(certFile, id.certPem);
    const audit = join(dir, 'audit.log');
    const r = await cli('explain', file, '--cert', certFile, '--profiles', 'v6.18,v7.3', '--json', '--audit-file', audit);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.format).toBe('bpfsig-explain/1');
    expect(j.profiles.map((p: { profile: string }) => p.profile)).toEqual(['v6.18', 'v7.3']);
    expect(readFileSync(audit, 'utf8')).toMatch(/^type=\S+ msg=audit\(/);
    const text = await cli('explain', file, '--profiles', 'v6.18');
    expect(text.out).toContain('chain link  (CLAIM-9, offline)');
  });

  it('bad input: one line, exit 3; bad usage: exit 2', async () => {
    expect((await cli('explain')).code).toBe(2);
    expect((await cli('explain', file, '--profiles', 'v9.9')).code).toBe(2);
    const missing = await cli('explain', join(dir, 'nope.lskel.h'));
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/^bpfsig explain: cannot read skeleton .*ENOENT\n$/);
    const badCert = await cli('explain', file, '--cert', file);
    expect(badCert.code).toBe(3);
  });
});
