// The public library API (docs/api.md): runScenario's inputs and the Run it returns, the package
// entry's surface, listProfiles. spec: ASK-12, ASK-13, SEQ-2, AUD-FP-1, KP-LOAD-1..3, LT-ERR-2,
// KP-ERR-2, KP-ERR-9, PK7-KEY-1, CLAIM-2, CLAIM-19, LSM-EMU-1.

import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { InputError, listProfiles, makeIdentity, RealKernelError, runScenario, type LsmModule, type Run } from '../../src/index.js';
import { runCompare } from '../../src/scenarios/compare/compare.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { readElf } from '../../src/loader/elf/read-object.js';
import { genLoader } from '../../src/loader/gen-loader/gen-loader.js';
import { writeLskelHeader } from '../../src/loader/lskel-writer.js';
import { MapType } from '../../src/syscall/uapi/consts.js';
import { getProfile, profileNames } from '../../src/syscall/profiles/index.js';
import { Errno } from '../../src/syscall/errno.js';
import { bpfsigMatchers } from '../../src/testing/index.js';
import { fixturePath, itShared } from '../support/shared.js';
import { LIVE, LIVE_OFF_REASON } from '../realkernel/support.js';

const HAS_V73 = getProfile('v7.3') !== undefined;
expect.extend(bpfsigMatchers);

describe('[ASK-12] runScenario: the built-in example on the default profile', () => {
  const run = runScenario();

  it('[KP-LOAD-1] signs with a fresh identity, places its certificate in the session keyring and loads', () => {
    expect(run.mode).toBe('emulator');
    expect(run.profile).toBe('v6.18');
    expect(run.signer).toBe('fresh');
    expect(run.skeleton.signed).toBe(true);
    expect(run.keyring).toMatchObject({ placement: 'session', keyringId: -3, cert: true });
    expect(run.loaded).toBe(true);
    expect(run.result).toEqual({ outcome: 'loaded', notEmulated: null, err: 0, errno: null, errstr: null, loaderRetval: 0, oops: null });
    expect(Object.keys(run.progs).length).toBeGreaterThan(0);
  });

  it('[PROF-3] lists every syscall in the order entered, the loader\'s nested calls under BPF_PROG_TEST_RUN', () => {
    const sys = run.syscalls.map((c) => c.sys);
    expect(sys).toEqual([...sys].sort((a, b) => a - b));
    const testRun = run.syscalls.find((c) => c.cmd === 'BPF_PROG_TEST_RUN')!;
    const nested = run.syscalls.filter((c) => c.parent === testRun.sys);
    expect(nested.length).toBeGreaterThan(0);
    expect(nested.every((c) => c.kernel && c.depth === 1)).toBe(true);
    expect(nested.map((c) => c.cmd)).toContain('BPF_PROG_LOAD');
  });

  it('[KP-LOAD-2] stages carry their outcome; the decision names the loader load and its signature stage', () => {
    const load = run.syscalls.find((c) => c.depth === 0 && c.cmd === 'BPF_PROG_LOAD')!;
    const sig = run.stages.find((s) => s.sys === load.sys && s.id === 'LOAD-9')!;
    expect(sig).toMatchObject({ role: 'signature', entered: true, ret: 0, errno: null });
    expect(sig.outcome).toMatch(/signature verified/);
    expect(run.decision).toMatchObject({ loaded: true, sys: load.sys, syscall: 'BPF_PROG_LOAD' });
    expect(run.decision.stage?.id).toBe('LOAD-9');
    expect(run.decision.summary).toMatch(/^loaded: BPF_PROG_LOAD #\d+ \(the loader\) passed signature stage LOAD-9/);
  });

  it('[LSM-EMU-1] every hook call is there, answered by `none` when no LSM implements it; audit records name their syscall', () => {
    const load = run.syscalls.find((c) => c.depth === 0 && c.cmd === 'BPF_PROG_LOAD')!;
    expect(run.hooks.filter((h) => h.sys === load.sys).map((h) => h.hook)).toEqual(expect.arrayContaining(['bpf', 'bpf_prog_load', 'bpf_prog']));
    expect(run.hooks.find((h) => h.hook === 'bpf_prog_load' && h.sys === load.sys)).toMatchObject({ lsm: 'none', ret: 0, kernel: false });
    expect(run.hooks.some((h) => h.hook === 'bpf_prog_load' && h.kernel)).toBe(true);
    const rec = run.audit.find((a) => a.type === 'BPF' && a.sys === load.sys)!;
    expect(rec.text).toMatch(/^prog-id=\d+ op=LOAD$/);
    expect(rec.line).toMatch(/^type=BPF msg=audit\(\d+\.\d{3}:\d+\): prog-id=\d+ op=LOAD$/);
    expect(run.audit.some((a) => a.type === 'EOE')).toBe(false);
  });

  it('timeline(): the text of `bpfsig skel load`, whole or of one call with its nested calls', () => {
    const all = run.timeline();
    expect(all[0]).toMatch(/^#1 add_key\(/);
    const testRun = run.syscalls.find((c) => c.cmd === 'BPF_PROG_TEST_RUN')!;
    const part = run.timeline({ sys: testRun.sys });
    expect(part[0]).toMatch(new RegExp(`^#${testRun.sys} bpf\\(BPF_PROG_TEST_RUN`));
    expect(part.some((l) => /^ {4}#\d+ bpf\(BPF_PROG_LOAD/.test(l))).toBe(true);
    expect(part.length).toBeLessThan(all.length);
  });

  it('is plain data apart from timeline(): JSON.stringify keeps every field', () => {
    const json = JSON.parse(JSON.stringify(run)) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(Object.keys(run).filter((k) => k !== 'timeline').sort());
  });
});

describe('[SEQ-2] runScenario reports where a load failed, and false positives with cellFacts', () => {
  it('[AUD-FP-1][CLAIM-2] v6.18, a data byte changed after signing: the loader fails in BPF_PROG_TEST_RUN after the LSMs admitted it', () => {
    const run = runScenario({ tamper: ['data:100'], lsm: 'default' });
    expect(run.tampers).toEqual([{ blob: 'data', offset: 100, before: expect.any(Number), after: expect.any(Number) }]);
    expect(run.failedAt).toMatchObject({ syscall: 'BPF_PROG_TEST_RUN', stage: 'loader', errno: 'EINVAL', ret: -22 });
    expect(run.falsePositive).toBe(true);
    expect(run.falsePositiveEvidence).toEqual(expect.arrayContaining([expect.stringMatching(/admitted the signed __loader.prog/), expect.stringMatching(/op=LOAD/)]));
    expect(run.decision.stage?.id).toBe('TRUN-2');
    expect(run.decision.summary).toMatch(/before that, BPF_PROG_LOAD #\d+ \(the loader\) passed signature stage LOAD-9 .*admitted at bpf_prog_load by deny-unsigned, signature-audit/);
    // The comparison, which defines the flag, says the same of the same case.
    const cmp = runCompare({ profiles: ['v6.18'], cases: ['data-byte'], cross: false });
    expect(cmp.cells[0]!.falsePositive).toBe(run.falsePositive);
  });

  it.skipIf(!HAS_V73)('[LT-ERR-2] v7.3, the same byte: -EKEYREJECTED at BPF_PROG_LOAD from the signature stage, before any LSM', () => {
    const run = runScenario({ profile: 'v7.3', tamper: ['data:100'], lsm: 'default' });
    expect(run.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', stage: 'LT-SIG-2', errno: 'EKEYREJECTED' });
    expect(run.falsePositive).toBe(false);
    expect(run.decision.hook).toBeNull();
    expect(run.decision.summary).toMatch(/failed at stage LT-SIG-2 .* with -EKEYREJECTED; no LSM hook refused/);
  });

  it('[LSM-EMU-1] an LSM of your own that refuses is the deciding hook', () => {
    const denyAll: LsmModule = { name: 'deny-all', hooks: { bpf_prog_load: () => -Errno.EPERM } };
    const run = runScenario({ lsm: [denyAll] });
    expect(run.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', stage: 'LOAD-12', errno: 'EPERM' });
    expect(run.decision.hook).toMatchObject({ hook: 'bpf_prog_load', lsm: 'deny-all', ret: -1, errno: 'EPERM' });
    expect(run.decision.summary).toMatch(/hook bpf_prog_load \[deny-all\] → -1 \(-EPERM\) refused/);
  });

  it('[SEQ-2][AUD-FP-1] an LSM that refuses only the loader\'s own load: the decision names the inner call, its stage and the refusing hook', () => {
    const refuseInner: LsmModule = { name: 'refuse-inner', hooks: { bpf_prog_load: (a) => (a.kernel ? -Errno.EPERM : 0) } };
    const run = runScenario({ lsm: [refuseInner] });
    expect(run.failedAt).toMatchObject({ syscall: 'BPF_PROG_TEST_RUN', stage: 'loader', ret: -1 });
    const inner = run.decision.inner!;
    expect(run.syscalls.find((c) => c.sys === inner.sys)).toMatchObject({ cmd: 'BPF_PROG_LOAD', kernel: true, depth: 1, errno: 'EPERM' });
    expect(inner.stage?.id).toBe('LOAD-12');
    expect(run.decision.hook).toMatchObject({ lsm: 'refuse-inner', kernel: true, ret: -1, sys: inner.sys });
    expect(run.falsePositive).toBe(true);
  });

  it('[CLAIM-19] a race schedule runs the second thread and says where', () => {
    const run = runScenario({ lsm: 'default', race: { op: { op: 'swap-slot', content: 'tampered' }, at: { afterRole: 'admission' }, dataOffset: 100 } });
    expect(run.race).toMatchObject({ boundary: expect.any(String), effective: true });
    expect(run.race!.calls.some((c) => c.startsWith('dup2('))).toBe(true);
    expect(run.loaded).toBe(false);
  });
});

describe.skipIf(!getProfile('hashchain-v1'))('[HC-Q-2] a kernel oops is an outcome of its own, never an errno', () => {
  it('hashchain-v1 with a -M header whose signature_maps_sz is the syzbot count: BPF_PROG_LOAD never returns', () => {
    const id = makeIdentity();
    const obj = openObjectBytes(new Uint8Array(readFileSync(new URL('../../examples/bpf/hello.bpf.o', import.meta.url))), 'hello.bpf.o');
    const made = makeSkeleton(obj, { toolchain: 'hashchain', identity: { privateKey: createPrivateKey(id.keyPem), certDer: id.certDer }, signMaps: true, name: obj.name });
    const header = made.header.replace('opts.signature_maps_sz = 1;', 'opts.signature_maps_sz = 67406167;');
    const run = runScenario({ skeleton: Buffer.from(header, 'latin1'), cert: id.certPem, profile: 'hashchain-v1' });
    expect(run.loaded).toBe(false);
    expect(run.result).toMatchObject({ err: null, errno: null, errstr: null, oops: { step: 'prog_load', rule: 'HC-Q-2' } });
    expect(run.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', errno: null, ret: null, stage: 'HC-Q-2' });
    expect(run.decision.summary).toMatch(/^BPF_PROG_LOAD #\d+ never returned: kernel oops \(general protection fault in bpf_prog_verify_signature; HC-Q-2\) in stage \S+ .*the task was killed — no errno/);
    // The matchers: no errno to compare, and the message says why.
    expect(run).toFailAt('BPF_PROG_LOAD');
    expect(run).not.toFailAt('BPF_PROG_LOAD', 'EFAULT');
    expect(() => expect(run).toLoad()).toThrow(/but the kernel oopsed in BPF_PROG_LOAD \(the task was killed; no errno\): hello_bpf__load\(\) never returned/);
  });
});

describe('[SYS-6] a path bpfsig does not model is an outcome of its own, never an errno', () => {
  it('the loader\'s MAP_CREATE of a CGROUP_ARRAY: not emulated; toFailAt never matches it; the messages say so', () => {
    // hello's unsigned 7.1 skeleton with the `calls` map's type changed to one bpfsig does not implement.
    const r = readElf(new Uint8Array(readFileSync(new URL('../../examples/bpf/hello.bpf.o', import.meta.url))), { objectName: 'hello_bpf' });
    if (!r.ok) throw new Error(r.error.message);
    const g = genLoader(r.value, { profile: 'bpftool-7.1', sign: false });
    if (!g.ok) throw new Error(g.error.message);
    const off = Buffer.from(g.value.data).indexOf(Buffer.from(new Uint32Array([MapType.BPF_MAP_TYPE_ARRAY, 4, 8, 8]).buffer));
    expect(off).toBeGreaterThanOrEqual(0);
    new DataView(g.value.data.buffer, g.value.data.byteOffset).setUint32(off, MapType.BPF_MAP_TYPE_CGROUP_ARRAY, true);
    const run = runScenario({ skeleton: Buffer.from(writeLskelHeader(r.value, g.value), 'latin1') });
    expect(run.loaded).toBe(false);
    expect(run.result).toMatchObject({ outcome: 'not-emulated', err: null, errno: null, notEmulated: expect.stringMatching(/BPF_MAP_TYPE_CGROUP_ARRAY/) });
    expect(run.failedAt).toMatchObject({ errno: null, notEmulated: expect.stringMatching(/BPF_MAP_TYPE_CGROUP_ARRAY/) });
    expect(run.decision.summary).toMatch(/reached a path bpfsig does not model \(.*map type BPF_MAP_TYPE_CGROUP_ARRAY\)+: not emulated, no kernel answer; the loader's own BPF_MAP_CREATE #\d+ \(kernel=true\) was not emulated \(map type BPF_MAP_TYPE_CGROUP_ARRAY\)/);
    expect(run.syscalls.find((c) => c.sys === run.decision.inner?.sys)).toMatchObject({ cmd: 'BPF_MAP_CREATE', depth: 1, outcome: 'not-emulated' });
    expect(JSON.stringify(run)).not.toMatch(/ENOSYS/);
    expect(run).not.toLoad();
    expect(run).not.toFailAt(run.failedAt!.syscall);
    expect(() => expect(run).toFailAt(run.failedAt!.syscall)).toThrow(/but it reached a path bpfsig does not model in \S+ \(.*map type BPF_MAP_TYPE_CGROUP_ARRAY\)+: not emulated, no kernel answer/);
    expect(() => expect(run).toLoad()).toThrow(/not emulated, no kernel answer: no result/);
  });
});

describe('runScenario inputs: certificates, keys, keyrings, skeletons', () => {
  const id = makeIdentity({ cn: 'run-scenario test key' });

  it('[PK7-KEY-1] cert + key given (PEM text): the object is signed with them and loads', () => {
    const run = runScenario({ cert: id.certPem, key: id.keyPem });
    expect(run.signer).toBe('given');
    expect(run.loaded).toBe(true);
  });

  it('[KP-ERR-9] cert without key: a fresh identity signs, the given certificate is placed — -ENOKEY', () => {
    const run = runScenario({ cert: id.certDer });
    expect(run.signer).toBe('fresh');
    expect(run.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', stage: 'LOAD-9', errno: 'ENOKEY' });
  });

  it('[KP-ERR-2] a raw keyring id places no certificate; builtin places it in the kernel', () => {
    const bad = runScenario({ keyring: 12345 });
    expect(bad.keyring).toMatchObject({ keyringId: 12345, cert: false });
    expect(bad.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', errno: 'EINVAL' });
    const builtin = runScenario({ keyring: 'builtin' });
    expect(builtin.keyring).toMatchObject({ placement: 'builtin', keyringId: 0, cert: true });
    expect(builtin.loaded).toBe(true);
  });

  it('[PROF-2] an object is made with the toolchain the scheme names for that profile (listProfiles says which)', () => {
    for (const p of listProfiles()) {
      if (!p.toolchainSigns) continue;
      const run = runScenario({ profile: p.name, sign: false });
      expect(run.toolchain.name, p.name).toBe(p.toolchain);
    }
  });

  it('sign: false gives the unsigned skeleton of the same toolchain', () => {
    const run = runScenario({ sign: false });
    expect(run.signer).toBe('unsigned');
    expect(run.skeleton.signed).toBe(false);
  });

  it('an object by path and by bytes gives the same skeleton', () => {
    const path = new URL('../../examples/bpf/hello.bpf.o', import.meta.url).pathname;
    const a = runScenario({ object: path, sign: false });
    const b = runScenario({ object: new Uint8Array(readFileSync(path)), objectName: 'hello.bpf.o', sign: false });
    expect(a.skeleton).toEqual(b.skeleton);
    expect(a.skeleton.name).toBe('hello_bpf');
  });

  itShared('[TC-BT77-4] a skeleton header by path, with its certificate by path', () => {
    const run = runScenario({
      skeleton: fixturePath('bpf', 'minimal', 'minimal.v77-signed.lskel.h'),
      cert: fixturePath('keys', 'signing-rsa2048', 'cert.pem'),
      profile: 'v6.18-stable',
    });
    expect(run.signer).toBeNull();
    expect(run.toolchain.name).toBe('bpftool-7.7');
    expect(run.loaded).toBe(true);
  });

  it('bad input is one InputError line', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => runScenario({ object: 'x.o', skeleton: 'y.h' }), /give object or skeleton, not both/],
      [() => runScenario({ tamper: ['data'] }), /tamper 'data': expected data:OFF/],
      [() => runScenario({ tamper: ['data:999999'] }), /offset outside the data blob/],
      [() => runScenario({ profile: 'v9.9' }), /unknown profile 'v9.9' \(one of /],
      [() => runScenario({ toolchain: 'gcc' }), /unknown toolchain 'gcc'/],
      [() => runScenario({ key: id.keyPem }), /key needs its cert/],
      [() => runScenario({ cert: id.certPem, keyring: 7 }), /needs a keyring placement/],
      [() => runScenario({ keyring: 'user' as never }), /keyring must be one of session, builtin, secondary, platform/],
      [() => runScenario({ object: '/nonexistent/x.bpf.o' }), /cannot read object '\/nonexistent\/x.bpf.o': ENOENT/],
      [() => runScenario({ cert: 'not a pem', key: id.keyPem }), /cannot read certificate 'not a pem'/],
      [() => runScenario({ lsm: ['no-such-lsm'] }), /no-such-lsm/],
    ];
    for (const [f, msg] of cases) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err, String(msg)).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).not.toMatch(/\n/);
    }
  });
});

describe('[OBS-DEB-1] runScenario({ real })', () => {
  it('returns a Promise, which rejects with a one-line error for options a real kernel cannot take', async () => {
    const p = runScenario({ real: 'nope' });
    expect(p).toBeInstanceOf(Promise);
    await expect(p).rejects.toBeInstanceOf(RealKernelError);
    await expect(runScenario({ real: '6.18.15', profile: 'v6.18' })).rejects.toThrow(/real and profile exclude each other/);
    await expect(runScenario({ real: '6.18.15', lsm: 'default' })).rejects.toThrow(/lsm is not possible on a real kernel/);
    await expect(runScenario({ real: '6.18.15', keyring: 'builtin' })).rejects.toThrow(/keyring builtin needs the certificate inside the kernel/);
  });

  const title = '[OBS-DEB-15] Debian 6.18.15 under QEMU: the data-byte load, read back as a Run';
  if (!LIVE) it.skip(`${title} — ${LIVE_OFF_REASON}`, () => {});
  else
    it(title, { timeout: 600_000 }, async (ctx) => {
      let run: Run;
      try {
        run = await runScenario({ real: '6.18.15', tamper: ['data:100'] });
      } catch (e) {
        if (e instanceof RealKernelError && ['no-qemu', 'no-gcc', 'no-apt', 'registry'].includes(e.kind)) return ctx.skip(`skipped: ${e.message}`);
        throw e;
      }
      expect(run.mode).toBe('real');
      expect(run.profile).toBe('real:6.18.15');
      expect(run.failedAt).toMatchObject({ syscall: 'BPF_PROG_TEST_RUN', stage: 'loader', errno: 'EINVAL' });
      expect(run.falsePositive).toBeNull();
      expect(run.stages).toEqual([]);
      expect(run.audit.some((a) => a.type === 'BPF' && /op=LOAD/.test(a.text))).toBe(true);
      expect(run.timeline().join('\n')).toMatch(/#\d+ bpf\(BPF_PROG_TEST_RUN/);
      // The matchers read a real run too; what it cannot show, they say so.
      expect(run).toFailAt('BPF_PROG_TEST_RUN', 'EINVAL');
      expect(run).toHaveAuditRecord(/type=1334 prog-id=\S+ op=LOAD/);
      expect(() => expect(run).toBeFalsePositive()).toThrow(/cannot tell whether a run on a real kernel \(real:6.18.15\) is a false positive/);
      expect(() => expect(run).toHaveCalledHook('bpf_prog_load')).toThrow(/a real kernel shows no LSM hook calls/);
    });
});

describe('the package entry', () => {
  it('exports a small, deliberate surface (docs/api.md): runScenario, listProfiles, makeIdentity, the error classes', () => {
    expect(Object.keys(api).sort()).toEqual(['InputError', 'RealKernelError', 'listProfiles', 'makeIdentity', 'runScenario']);
  });

  it('[PROF-1] listProfiles lists every registered profile with its scheme, toolchain and default stack', () => {
    const list = listProfiles();
    expect(list.map((p) => p.name).sort()).toEqual(profileNames().sort());
    expect(list.filter((p) => p.isDefault).map((p) => p.name)).toEqual(['v6.18']);
    expect(list.find((p) => p.name === 'v6.17')).toMatchObject({ scheme: 'kp', signatureFields: false, verifiesSignatures: false });
    expect(list.find((p) => p.name === 'v6.18')).toMatchObject({ scheme: 'kp', signatureFields: true, verifiesSignatures: true, toolchain: 'bpftool-7.7', toolchainSigns: true, defaultLsm: ['deny-unsigned', 'signature-audit'] });
    // [OBS-LOAD-2] the kernel that recorded the shared transcripts has the fields but no CONFIG_SYSTEM_DATA_VERIFICATION.
    expect(list.find((p) => p.name === 'v6.18.44')).toMatchObject({ signatureFields: true, verifiesSignatures: false });
  });

  it('makeIdentity gives a PEM certificate and key that sign a loadable skeleton', () => {
    const id = makeIdentity();
    expect(id.certPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(id.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(runScenario({ cert: Buffer.from(id.certPem), key: Buffer.from(id.keyPem) }).loaded).toBe(true);
  });
});
