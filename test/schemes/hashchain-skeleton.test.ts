// The hash-chain toolchain (bpftool 7.7 + "bpftool: Add support for signing program and map hash
// chains", v2 3/3, and its libbpf side) and its skeletons under the hash-chain kernels: the header
// lines the patch's gen.c writes, the signed term, bpf_load_and_run with signature_maps, the
// acceptance cases (a signed `-M` skeleton loads; one data byte flipped → EKEYREJECTED at
// BPF_PROG_LOAD with no LSM hook and no audit record), signed `-M` skeletons of every example object
// (and of every shared fixture object, skipped by name without ../shared), and the oops of
// hashchain-v1 through a skeleton.
// spec: TC-HCM-1..5, HC-UAPI-2, LSK-RUN-9, HC-SIG-3/4, HC-LSM-1, HC-Q-1, HC-Q-2, SEQ-1..3, CLAIM-3,
// CLAIM-6, CLAIM-8, LSK-BLOB-2.

import { createPrivateKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAuditd } from '../../src/audit/format.js';
import { makeSigningIdentity, type SigningIdentity } from '../../src/keys/make-cert.js';
import { certificateToDer } from '../../src/keys/pem.js';
import { signPkcs7 } from '../../src/keys/sign.js';
import { InputError } from '../../src/errors.js';
import { candidateToolchains } from '../../src/loader/lskel-identify.js';
import { readLightSkeleton, type LightSkeleton } from '../../src/loader/lskel-reader.js';
import { makeSkeleton, openObjectBytes, type MadeSkeleton } from '../../src/scenarios/make-skeleton.js';
import { skelFacts } from '../../src/scenarios/skel-facts.js';
import { explainRun } from '../../src/scenarios/explain-skel.js';
import { runCompare } from '../../src/scenarios/compare/compare.js';
import { formatSkelRun, skelRunToJson } from '../../src/scenarios/skel-report.js';
import { runSkeleton, type RunSkeletonOptions, type Tamper } from '../../src/scenarios/skel-run.js';
import type { SyscallEnter } from '../../src/syscall/trace.js';
import { describeShared, fixturePath, SHARED } from '../support/shared.js';
import { sha256 } from './hashchain-support.js';

const id = makeSigningIdentity({ cn: 'bpfsig hash-chain skeletons' });
const EXAMPLES = readdirSync('examples/bpf').filter((f) => f.endsWith('.bpf.o')).sort();
const objOf = (path: string) => openObjectBytes(new Uint8Array(readFileSync(path)), path);
const nameOf = (file: string) => file.replace(/\.o$/, '').replace(/[^A-Za-z0-9_]/g, '_');
const make = (path: string, toolchain: string, sign: 'none' | 'S' | 'M'): MadeSkeleton =>
  makeSkeleton(objOf(path), { toolchain, name: nameOf(path.split('/').pop()!), ...(sign !== 'none' ? { identity: id, signMaps: sign === 'M' } : {}) });

const hello = () => join('examples', 'bpf', 'hello.bpf.o');
const run = (skel: LightSkeleton, profile: string, opts: Partial<RunSkeletonOptions> = {}) => runSkeleton(skel, { profile, certDer: id.certDer, ...opts });
const progLoadCall = (r: ReturnType<typeof run>): SyscallEnter => r.kernel.trace.syscalls().find((e) => e.cmd === 'BPF_PROG_LOAD' && !e.kernel)!;

/** The shared fixture key and certificate (what the fixtures' bpftool 7.7 -S headers were signed with). */
function fixtureIdentity(): SigningIdentity {
  return {
    ...id,
    privateKey: createPrivateKey(readFileSync(fixturePath('keys', 'signing-rsa2048', 'key.pem'))),
    certDer: certificateToDer(new Uint8Array(readFileSync(fixturePath('keys', 'signing-rsa2048', 'cert.pem')))),
  };
}

const MAPS_DECL = '\tstatic const int opts_signature_maps[1] __attribute__((__aligned__(8))) = {0};';
const MAPS_SET = ['\topts.signature_maps = (void *)opts_signature_maps;', '\topts.signature_maps_sz = 1;'];
const NULL_SET = ['\topts.signature_maps = (void *)NULL;', '\topts.signature_maps_sz = 0;'];

/**
 * bpftool's codegen(): the first line's tabs are the baseline, stripped from every line, trailing
 * whitespace trimmed. Applied here to the template strings of the v2 3/3 patch (after C's line
 * splicing), it gives the exact lines the patched gen.c prints.
 */
function codegen(template: string): string {
  const nl = template.indexOf('\n');
  const base = template.slice(0, nl);
  expect(base).toMatch(/^\t*$/);
  return template
    .slice(nl + 1)
    .split('\n')
    .map((l) => {
      expect(l.startsWith(base) || l === '').toBe(true);
      return l.slice(base.length).replace(/\s+$/, '');
    })
    .join('\n');
}

describe('[TC-HCM-2] the header the patched gen.c writes', () => {
  it('the -M lines are what codegen() makes of the patch\'s templates', () => {
    const decl = codegen('\t\t\t\n\t\t\t\tstatic const int opts_signature_maps[1] __attribute__((__aligned__(8))) = {0}; \n\t\t\t');
    const set = codegen('\t\t\t\n\t\t\t\topts.signature_maps = (void *)opts_signature_maps;\t\n\t\t\t\topts.signature_maps_sz = 1; \t\t\t\t\n\t\t\t');
    const unset = codegen('\t\t\t\n\t\t\t\topts.signature_maps = (void *)NULL;\t\t\n\t\t\t\topts.signature_maps_sz = 0;\t\t\t\n\t\t\t');
    expect(decl).toBe(MAPS_DECL + '\n');
    expect(set).toBe(MAPS_SET.join('\n') + '\n');
    expect(unset).toBe(NULL_SET.join('\n') + '\n');
  });

  for (const file of EXAMPLES) {
    const path = join('examples', 'bpf', file);
    it(`${file}: unsigned, the hashchain header is bpftool 7.7's byte for byte`, () => {
      expect(make(path, 'hashchain', 'none').header).toBe(make(path, 'bpftool-7.7', 'none').header);
    });

    it(`${file}: -S without -M is bpftool 7.7 -S plus "opts.signature_maps = (void *)NULL; opts.signature_maps_sz = 0;" after opts.keyring_id`, () => {
      const hc = make(path, 'hashchain', 'S').header.split('\n');
      const at = hc.indexOf('\topts.keyring_id = skel->keyring_id;');
      expect(hc.slice(at + 1, at + 3)).toEqual(NULL_SET);
      expect([...hc.slice(0, at + 1), ...hc.slice(at + 3)].join('\n')).toBe(make(path, 'bpftool-7.7', 'S').header);
    });

    it(`${file}: -M adds opts_signature_maps after the excl hash and sets it after opts.keyring_id; the blobs are -S's but the signature`, () => {
      const s = make(path, 'hashchain', 'S');
      const m = make(path, 'hashchain', 'M');
      const L = m.header.split('\n');
      const sigAt = L.indexOf('\topts.signature = (void *)opts_sig;');
      expect(L[sigAt - 1]).toBe(MAPS_DECL);
      expect(L[sigAt - 2]).toMatch(/";$/); // the end of opts_excl_hash
      const at = L.indexOf('\topts.keyring_id = skel->keyring_id;');
      expect(L.slice(at + 1, at + 4)).toEqual([...MAPS_SET, '\topts.ctx = (struct bpf_loader_ctx *)skel;']);
      expect(m.loader.insns).toEqual(s.loader.insns);
      expect(m.loader.data).toEqual(s.loader.data);
      expect(m.loader.exclHash).toEqual(s.loader.exclHash);
      expect(m.loader.signature).not.toEqual(s.loader.signature);
    });
  }
});

describe('[TC-HCM-3] what -M signs', () => {
  it('the 32-byte term SHA256(SHA256(insns) ‖ SHA256(data)); excl_prog_hash stays SHA256(insns); without -M the insns', () => {
    const m = make(hello(), 'hashchain', 'M');
    const { insns, data } = m.loader;
    const term = sha256(sha256(insns), sha256(data));
    expect(m.loader.signature).toEqual(signPkcs7(term, { key: id.privateKey, cert: id.certDer }));
    expect(m.loader.exclHash).toEqual(sha256(insns));
    expect(m.loader.signatureMaps).toEqual([0]);
    expect(make(hello(), 'hashchain', 'S').loader.signature).toEqual(signPkcs7(insns, { key: id.privateKey, cert: id.certDer }));
  });

  it('[TC-HCM-4][LSK-BLOB-2] the kernel\'s H(M_0) is SHA256(data): the blob fills the array value exactly (data_sz is a multiple of 8)', () => {
    for (const file of EXAMPLES) expect(make(join('examples', 'bpf', file), 'hashchain', 'M').loader.data.length % 8, file).toBe(0);
  });
});

describe('reading and identifying hash-chain headers', () => {
  it('[TC-HCM-2][HC-UAPI-2] the reader keeps what __load() assigns: the array and its count, or NULL and 0', () => {
    const m = make(hello(), 'hashchain', 'M').skeleton;
    expect(m.signatureMaps).toEqual([0]);
    expect(m.signatureMapsOpts).toEqual({ ptr: 'array', sz: 1 });
    const s = make(hello(), 'hashchain', 'S').skeleton;
    expect(s.signatureMaps).toBeUndefined();
    expect(s.signatureMapsOpts).toEqual({ ptr: 'null', sz: 0 });
    expect(make(hello(), 'bpftool-7.7', 'S').skeleton.signatureMapsOpts).toBeUndefined();
  });

  it('a header that assigns opts.signature_maps only fits a toolchain with -M; a signed header without the lines was not made by one', () => {
    const names = (h: MadeSkeleton) => candidateToolchains(h.skeleton).map((t) => t.name);
    expect(names(make(hello(), 'hashchain', 'M'))).toEqual(['hashchain']);
    expect(names(make(hello(), 'hashchain', 'S'))).toEqual(['hashchain']);
    expect(names(make(hello(), 'bpftool-7.7', 'S'))).toEqual(['bpftool-7.7']);
    expect(names(make(hello(), 'hashchain', 'none'))).toEqual(expect.arrayContaining(['bpftool-7.7', 'hashchain']));
  });

  it('malformed signature_maps lines are input errors naming the problem', () => {
    const h = make(hello(), 'hashchain', 'M').header;
    expect(() => readLightSkeleton(h.replace('(void *)opts_signature_maps;', '(void *)elsewhere;'))).toThrow(/opts\.signature_maps = elsewhere/);
    expect(() => readLightSkeleton(h.replace(/\topts\.signature_maps_sz = 1;\n/, ''))).toThrow(InputError);
    expect(() => readLightSkeleton(h.replace(MAPS_DECL + '\n', ''))).toThrow(/does not define/);
  });
});

describe('[HC-UAPI-2][LSK-RUN-9] bpf_load_and_run of the hash-chain libbpf', () => {
  it('PROG_LOAD with attr size 180 (offsetofend signature_maps_size), signature_maps → int[1] {0}, signature_maps_size 1', () => {
    const r = run(make(hello(), 'hashchain', 'M').skeleton, 'hashchain-v2');
    expect(r.result.err).toBe(0);
    expect(r.toolchain).toBe('hashchain');
    expect(r.result.flow.name).toBe('libbpf-1.7+hashchain');
    const pl = progLoadCall(r);
    expect(pl.size).toBe(180);
    expect(pl.attr!.signature_maps_size).toBe(1);
    const addr = BigInt(pl.attr!.signature_maps as string);
    expect([...r.proc.read(addr, 4)!]).toEqual([0, 0, 0, 0]);
    // The calls before it are libbpf 1.7's (TC-HCM-4: gen_loader.c is not in the patch).
    expect(r.kernel.trace.syscalls().filter((e) => e.name === 'bpf' && !e.kernel).map((e) => `${e.cmd}/${e.size}`)).toEqual([
      'BPF_MAP_CREATE/92', 'BPF_MAP_UPDATE_ELEM/32', 'BPF_MAP_FREEZE/4', 'BPF_OBJ_GET_INFO_BY_FD/16', 'BPF_PROG_LOAD/180', 'BPF_PROG_TEST_RUN/80',
    ]);
  });

  it('-S without -M: NULL and 0; an unsigned header: 0 and 0, and the 180-byte attr also loads on v6.18 (zero tail)', () => {
    const s = run(make(hello(), 'hashchain', 'S').skeleton, 'hashchain-v2');
    expect(s.result.err).toBe(0);
    expect(progLoadCall(s).attr).toMatchObject({ signature_maps: '0x0', signature_maps_size: 0 });
    const u = runSkeleton(make(hello(), 'hashchain', 'none').skeleton, { profile: 'v6.18', toolchain: 'hashchain' });
    expect(u.result.err).toBe(0);
    expect(progLoadCall(u).size).toBe(180);
  });

  it('the account of a -M load says what was signed: the digest of the insns and a hash chain over one map', () => {
    const r = run(make(hello(), 'hashchain', 'M').skeleton, 'hashchain-v2');
    expect(skelFacts(r).progLoad).toMatchObject({ signed: true, signatureMapsSize: 1 });
    expect(explainRun(skelFacts(r)).text).toContain('over the 32-byte digest of the 299 loader instructions and a hash chain over 1 map named by signature_maps verified');
    const s = run(make(hello(), 'hashchain', 'S').skeleton, 'hashchain-v2');
    expect(explainRun(skelFacts(s)).text).toContain('the PKCS#7 signature over the 299 loader instructions verified');
  });

  it('[TC-HCM-4][SEQ-1] the -M loader still compares map->sha with its embedded hash, after the kernel verified the chain', () => {
    const r = run(make(hello(), 'hashchain', 'M').skeleton, 'hashchain-v2');
    const f = skelFacts(r);
    expect(f.embeddedHash).not.toBeNull();
    expect(f.mapSha).toBe(f.embeddedHash);
    expect(f.signatureStage).toMatchObject({ ret: 0 });
    expect(f.loaderRetval).toBe(0);
  });
});

describe('acceptance: a signed -M skeleton under hashchain-v2 (CLAIM-3, SEQ-2, SEQ-3)', () => {
  const cases = (label: string, skel: () => LightSkeleton, dataOffset: number) => {
    it(`${label}: loads (PROG_LOAD verified the chain, the loader ran and made its objects)`, () => {
      const r = run(skel(), 'hashchain-v2', { lsm: 'default' });
      expect(r.result.err).toBe(0);
      expect(r.result.loaderRetval).toBe(0);
      expect(Object.keys(r.result.progFds).length).toBeGreaterThan(0);
      expect(skelFacts(r).signatureStage).toMatchObject({ ret: 0 });
    });

    it(`${label}: one data byte flipped → BPF_PROG_LOAD EKEYREJECTED; no bpf_prog_load hook call, no AUDIT_BPF record, the loader never ran`, () => {
      const r = run(skel(), 'hashchain-v2', { lsm: 'default', tampers: [{ blob: 'data', offset: dataOffset }] });
      expect(r.errno).toBe('EKEYREJECTED');
      expect(r.result.errstr).toBe('failed to load loader prog');
      expect(r.result.loaderRetval).toBeNull();
      expect(r.kernel.trace.hooks('bpf_prog_load')).toHaveLength(0);
      const lines = formatAuditd(r.kernel.audit.records);
      expect(lines.some((l) => l.startsWith('type=BPF '))).toBe(false);
      expect(lines.some((l) => l.startsWith('type=BPF_LSM_ACCESS'))).toBe(false);
      expect(explainRun(skelFacts(r)).pattern).toBe('load-refused');
    });

    it(`${label}: [SEQ-3] one insn byte flipped → EKEYREJECTED; [HC-ERR-10] a signature byte flipped → the load fails at LOAD-9`, () => {
      expect(run(skel(), 'hashchain-v2', { tampers: [{ blob: 'insns', offset: 8 }] }).errno).toBe('EKEYREJECTED');
      const sig = run(skel(), 'hashchain-v2', { tampers: [{ blob: 'sig', offset: 300 }] });
      expect(['EBADMSG', 'EKEYREJECTED']).toContain(sig.errno);
      expect(skelFacts(sig).failedCall?.cmd).toBe('BPF_PROG_LOAD');
    });
  };

  cases('examples/bpf/hello', () => make(hello(), 'hashchain', 'M').skeleton, 100);

  describeShared('the shared fixture minimal', () => {
    const minimal = () => make(fixturePath('bpf', 'minimal', 'minimal.bpf.o'), 'hashchain', 'M').skeleton;
    cases('minimal', minimal, 100);
  });

  it('[CLAIM-1][SEQ-2] the same tamper on a -S skeleton (no -M) under hashchain-v2 is v6.18\'s false positive: the load succeeds and the loader returns -22', () => {
    const r = run(make(hello(), 'hashchain', 'S').skeleton, 'hashchain-v2', { tampers: [{ blob: 'data', offset: 100 }] });
    expect(r.result).toMatchObject({ err: -22, errstr: 'error returned by loader prog', loaderRetval: -22 });
    expect(r.kernel.trace.hooks('bpf_prog_load').length).toBeGreaterThan(0);
  });

  it('[CLAIM-8] the tamper matrix agrees with v6.18-stable + bpftool 7.7 on accept/reject; only the point of rejection differs', () => {
    const kp = make(hello(), 'bpftool-7.7', 'S').skeleton;
    const hc = make(hello(), 'hashchain', 'M').skeleton;
    const other = makeSigningIdentity({ cn: 'not the signer' });
    const matrix: [string, Tamper[], Partial<RunSkeletonOptions>][] = [
      ['nothing', [], {}],
      ['insns byte', [{ blob: 'insns', offset: 16 }], {}],
      ['data byte', [{ blob: 'data', offset: 100 }], {}],
      ['signature byte', [{ blob: 'sig', offset: 300 }], {}],
      ['wrong key in the keyring', [], { certDer: other.certDer }],
    ];
    for (const [what, tampers, opts] of matrix) {
      const a = run(kp, 'v6.18-stable', { tampers, ...opts });
      const b = run(hc, 'hashchain-v2', { tampers, ...opts });
      expect(a.result.err === 0, what).toBe(b.result.err === 0);
      if (what === 'data byte') {
        expect(skelFacts(a).failedCall, 'KP: the load succeeds, the loader fails in TEST_RUN').toBeNull();
        expect(skelFacts(b).failedCall?.cmd, 'hash chain: BPF_PROG_LOAD fails').toBe('BPF_PROG_LOAD');
      }
    }
  });

  it('[CLAIM-6] a -M skeleton on older kernels: v6.18 refuses the 180-byte attr (E2BIG, SYS-7); v6.17 already the exclusive map (EINVAL)', () => {
    const m = make(hello(), 'hashchain', 'M').skeleton;
    expect(run(m, 'v6.18')).toMatchObject({ errno: 'E2BIG', result: expect.objectContaining({ errstr: 'failed to load loader prog' }) });
    expect(run(m, 'v6.17')).toMatchObject({ errno: 'EINVAL', result: expect.objectContaining({ errstr: 'failed to create loader map' }) });
  });
});

describe('signed -M skeletons of every object load under hashchain-v2', () => {
  for (const file of EXAMPLES) {
    it(`examples/bpf/${file}`, () => {
      const r = run(make(join('examples', 'bpf', file), 'hashchain', 'M').skeleton, 'hashchain-v2');
      expect(r.result, file).toMatchObject({ err: 0, loaderRetval: 0 });
      expect(skelFacts(r).signatureStage).toMatchObject({ ret: 0 });
    });
  }

  describeShared('the shared fixture objects', () => {
    const dir = SHARED ? fixturePath('bpf') : '';
    const names = SHARED ? readdirSync(dir).filter((n) => existsSync(join(dir, n, `${n}.bpf.o`))).sort() : [];
    it('finds them', () => expect(names.length).toBeGreaterThanOrEqual(4));
    for (const name of names) {
      const obj = () => fixturePath('bpf', name, `${name}.bpf.o`);
      it(`[TC-HCM-2] ${name}: hashchain -S with the fixture key is the fixture's bpftool 7.7 -S header plus the NULL lines`, () => {
        const hc = makeSkeleton(objOf(obj()), { toolchain: 'hashchain', name: `${name}_bpf`, identity: fixtureIdentity() }).header.split('\n');
        const at = hc.indexOf('\topts.keyring_id = skel->keyring_id;');
        expect(hc.slice(at + 1, at + 3)).toEqual(NULL_SET);
        expect([...hc.slice(0, at + 1), ...hc.slice(at + 3)].join('\n')).toBe(readFileSync(fixturePath('bpf', name, `${name}.v77-signed.lskel.h`), 'utf8'));
      });
      it(`${name}: a signed -M skeleton loads under hashchain-v2; a data byte flipped → EKEYREJECTED at BPF_PROG_LOAD`, () => {
        const m = make(obj(), 'hashchain', 'M').skeleton;
        const ok = run(m, 'hashchain-v2');
        // Objects the emulated kernel refuses whatever the scheme (e.g. an LSM program on a kernel
        // without BPF LSM) fail the same way under v6.18 with the 7.7 -S skeleton; the chain itself must pass.
        expect(skelFacts(ok).signatureStage, name).toMatchObject({ ret: 0 });
        const base = run(make(obj(), 'bpftool-7.7', 'S').skeleton, 'v6.18');
        expect(ok.result.err, name).toBe(base.result.err);
        expect(run(m, 'hashchain-v2', { tampers: [{ blob: 'data', offset: 8 }] }).errno, name).toBe('EKEYREJECTED');
      });
    }
  });
});

describe('[HC-Q-1][HC-Q-2] the two odd outcomes through a skeleton (a hand-edited header)', () => {
  it('[HC-Q-2] hashchain-v1: opts.signature_maps_sz edited to the syzbot count → the task is killed in BPF_PROG_LOAD; __load() never returns; text and JSON show an oops', () => {
    const h = make(hello(), 'hashchain', 'M').header.replace('opts.signature_maps_sz = 1;', 'opts.signature_maps_sz = 67406167;');
    const skel = readLightSkeleton(h);
    expect(skel.signatureMapsOpts).toEqual({ ptr: 'array', sz: 0x0404_8957 });
    const r = run(skel, 'hashchain-v1');
    expect(r.result.err).toBeNull();
    expect(r.errno).toBeNull();
    expect(r.result.errstr).toBeNull();
    expect(r.result.oops).toMatchObject({ step: 'prog_load', report: { rule: 'HC-Q-2', text: 'general protection fault in bpf_prog_verify_signature' } });
    expect(r.proc.killed).not.toBeNull();
    const json = skelRunToJson(r);
    expect(json).toMatchObject({ result: null, errno: null, errstr: null, oops: { step: 'prog_load', rule: 'HC-Q-2' } });
    const pl = json.timeline.find((c) => c.cmd === 'BPF_PROG_LOAD' && !c.kernel)!;
    expect(pl).toMatchObject({ ret: null, errno: null, oops: { rule: 'HC-Q-2' } });
    const text = formatSkelRun(r).join('\n');
    expect(text).toMatch(/result: KERNEL OOPS in prog_load \(syscall #\d+\): general protection fault in bpf_prog_verify_signature/);
    expect(text).not.toMatch(/result: -E/);
    expect(explainRun(skelFacts(r))).toMatchObject({ pattern: 'kernel-oops' });
    // v2: the copy of 269 MB of signature_maps runs off the 4-byte array → EFAULT.
    expect(run(skel, 'hashchain-v2')).toMatchObject({ errno: 'EFAULT', result: expect.objectContaining({ errstr: 'failed to load loader prog', oops: null }) });
  });

  it('[HC-Q-2] the same with a -S header whose "opts.signature_maps_sz = 0;" is edited to 1 (NULL pointer, one entry): v1 oops, v2 EFAULT', () => {
    const skel = readLightSkeleton(make(hello(), 'hashchain', 'S').header.replace('opts.signature_maps_sz = 0;', 'opts.signature_maps_sz = 1;'));
    expect(run(skel, 'hashchain-v1').result.oops?.report.rule).toBe('HC-Q-2');
    expect(run(skel, 'hashchain-v2').errno).toBe('EFAULT');
  });

  it('[HC-Q-1] opts_signature_maps edited to {1}: the kernel reads fd_array[1] past libbpf\'s one-int array, returns 4; libbpf takes 4 for the loader\'s fd and fails at BPF_PROG_TEST_RUN (EBADF)', () => {
    const skel = readLightSkeleton(make(hello(), 'hashchain', 'M').header.replace('= {0};', '= {1};'));
    const r = run(skel, 'hashchain-v2');
    const pl = r.result.calls.find((c) => c.step === 'prog_load')!.res;
    expect(pl).toMatchObject({ ret: 4, errno: null });
    expect(pl.nonFd).toMatch(/returned 4$/);
    expect(r.result).toMatchObject({ err: -9, errstr: 'failed to execute loader prog', loaderRetval: null });
    expect(formatSkelRun(r).join('\n')).toContain('→ 4 — NOT AN FD');
  });
});

describe('[CLAIM-8][SEQ-2] bpfsig compare with the hash-chain column', () => {
  it('hashchain-v2 (its skeleton made with -M): data-byte and stale-hash fail at BPF_PROG_LOAD with EKEYREJECTED, before any LSM — no false positive; the -M skeleton under v6.18 is E2BIG', () => {
    const r = runCompare({ profiles: ['v6.18', 'hashchain-v2'] });
    const cell = (profile: string, c: string) => r.cells.find((x) => x.profile === profile && x.case === c && !x.cross)!;
    expect(r.columns.find((c) => c.profile === 'hashchain-v2')).toMatchObject({ scheme: 'hashchain' });
    for (const c of ['data-byte', 'stale-hash']) {
      const x = cell('hashchain-v2', c);
      expect(x.failedAt, c).toMatchObject({ syscall: 'BPF_PROG_LOAD', errno: 'EKEYREJECTED' });
      expect(x.falsePositive, c).toBe(false);
      expect(x.lsm.filter((h) => h.hook === 'bpf_prog_load' && h.syscall === 'BPF_PROG_LOAD' && !h.kernel), c).toEqual([]);
    }
    expect(cell('v6.18', 'data-byte').falsePositive).toBe(true);
    expect(cell('hashchain-v2', 'intact').loaded).toBe(true);
    const cross = r.cells.find((x) => x.cross && x.profile === 'v6.18' && x.recipe.toolchain === 'hashchain');
    expect(cross?.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', errno: 'E2BIG' });
  });
});

describe('[HC-NOT-3][CLAIM-21] races between the chain and bpf_check (the race harness)', () => {
  const m = () => make(hello(), 'hashchain', 'M').skeleton;

  it('a tampered copy of the metadata map dup2()ed over its fd right after the signature stage: the chain verified the original, the loader binds the copy — the load succeeds and the loader\'s own compare fails in TEST_RUN (the false positive is back)', () => {
    const r = run(m(), 'hashchain-v2', { race: { op: { op: 'swap-slot', content: 'tampered' }, at: { afterRole: 'signature' }, dataOffset: 100 } });
    expect(r.race).toMatchObject({ boundary: 'LOAD-10', effective: true, bound: ['swapped'] });
    expect(skelFacts(r).signatureStage).toMatchObject({ ret: 0 });
    expect(r.result).toMatchObject({ err: -22, errstr: 'error returned by loader prog', loaderRetval: -22 });
  });

  it('a copy as signed (same bytes, not the exclusive map the loader made) swapped in the same place: bound, and the skeleton loads', () => {
    const r = run(m(), 'hashchain-v2', { race: { op: { op: 'swap-slot', content: 'as-signed' }, at: { afterRole: 'signature' }, dataOffset: 0 } });
    expect(r.race).toMatchObject({ effective: true, bound: ['swapped'] });
    expect(r.result.err).toBe(0);
  });

  it('the same tampered swap before the signature stage: the chain hashes the copy → EKEYREJECTED at BPF_PROG_LOAD', () => {
    const r = run(m(), 'hashchain-v2', { race: { op: { op: 'swap-slot', content: 'tampered' }, at: { beforeStage: 'LOAD-9.hashchain-v2' }, dataOffset: 100 } });
    expect(r.race?.boundary).toBe('LOAD-9.hashchain-v2');
    expect(r.errno).toBe('EKEYREJECTED');
  });

  it('[HC-NOT-1] MAP_UPDATE_ELEM of the metadata map after the chain: refused, the map is frozen (by libbpf, not by the scheme)', () => {
    const r = run(m(), 'hashchain-v2', { race: { op: { op: 'update-metadata' }, at: { afterRole: 'signature' }, dataOffset: 100 } });
    expect(r.race).toMatchObject({ effective: false });
    expect(r.race!.calls[0]).toMatch(/EPERM/);
    expect(r.result.err).toBe(0);
  });
});
