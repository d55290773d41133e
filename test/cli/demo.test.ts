// `bpfsig demo`: the scheme demo of issue E. It runs on a fresh clone (no ../shared), is the same
// on every run although the key is random, shows each run's timeline and audit log, and its
// explanation states facts that the runs themselves show — checked here against the JSON of the
// same runs, and by changing the runs (profiles, offsets, facts) and watching the text follow.
// spec: KP-META-1/2, AUD-FP-1/2, KP-LSM-3, KP-AUD-1/2, OBS-AUD-1, KP-ERR-4, OBS-LOAD-2, V617-5.

import { describe, expect, it } from 'vitest';
import { explainRun } from '../../src/scenarios/explain-skel.js';
import { runSchemeDemo } from '../../src/scenarios/scheme-demo.js';
import { skelFacts } from '../../src/scenarios/skel-facts.js';
import { sharedDir } from '../../src/shared-dir.js';
import { cli, cliJson, noStackTrace } from './support.js';

type Call = { sys: number; kernel: boolean; call: string; cmd: string | null; ret: number; events: any[] };

describe('bpfsig demo (the scheme demo)', () => {
  it('runs without ../shared, exits 0, and prints the same text twice although the key is random each time', async () => {
    const saved = process.env.BPFSIG_SHARED;
    process.env.BPFSIG_SHARED = '/nonexistent/bpfsig-shared';
    let a, b;
    try {
      expect(sharedDir()).toBeUndefined();
      a = await cli('demo');
      b = await cli('demo');
    } finally {
      if (saved === undefined) delete process.env.BPFSIG_SHARED;
      else process.env.BPFSIG_SHARED = saved;
    }
    expect(a.code).toBe(0);
    expect(a.err).toBe('');
    expect(a.out).toBe(b.out);
    expect(a.out).toMatch(/^bpfsig demo — a signed light skeleton on an emulated v6\.18 kernel, loaded twice/);
    expect(a.out).toContain('examples/bpf/hello.bpf.o');
  });

  it('shows, for each run, the timeline, the result and the audit log, then what happened', async () => {
    const { out } = await cli('demo');
    const runs = out.split(/^######## /m).slice(1);
    expect(runs.map((r) => r.split('\n')[0])).toEqual(['run 1: the skeleton as signed', 'run 2: one byte of the data blob changed', 'what happened']);
    for (const r of runs.slice(0, 2)) {
      expect(r).toMatch(/== timeline\n#1 add_key\(type=asymmetric, description=bpfsig demo, plen=\d+, keyring=-3\)/);
      expect(r).toMatch(/#\d+ bpf\(BPF_PROG_TEST_RUN, size=80\)/);
    }
    // [AUD-FMT-2] One audit series: run 1 starts at serial 1 and the default epoch; run 2's events
    // follow it (a later second, the next serial), so no stamp is shared between the runs.
    const first = (r: string) => /== audit log \(auditd format\)\ntype=SYSCALL msg=audit\((\d+)\.\d{3}:(\d+)\): arch=c000003e syscall=321/.exec(r);
    const serials = (r: string) => [...r.matchAll(/msg=audit\(\d+\.\d{3}:(\d+)\)/g)].map((m) => Number(m[1]));
    expect(first(runs[0]!)?.slice(1)).toEqual(['1764460800', '1']);
    expect(Number(first(runs[1]!)![1])).toBeGreaterThan(1764460800);
    expect(Number(first(runs[1]!)![2])).toBe(Math.max(...serials(runs[0]!)) + 1);
    expect(runs[0]).toMatch(/^result: 0 \(loaded\)/m);
    expect(runs[1]).toMatch(/^result: -EINVAL \(-22\) {2}errstr "error returned by loader prog" {2}loader retval -22$/m);
  });

  it('[KP-META-2, AUD-FP-1] the explanation states the false-positive facts, and each one matches the run as the JSON records it', async () => {
    const { json } = await cliJson('demo', '--json');
    const text = (await cli('demo')).out.split('######## what happened\n')[1]!.replace(/\s+/g, ' ');
    expect(json).toMatchObject({ format: 'bpfsig-demo/1', falsePositive: true });
    expect(json.conclusion.replace(/\s+/g, ' ')).toBe(text.trim());
    const [r1, r2] = json.runs;
    expect(r1).toMatchObject({ pattern: 'loaded', result: 0, errno: null });
    expect(r2).toMatchObject({ pattern: 'false-positive', result: -22, errno: 'EINVAL', errstr: 'error returned by loader prog', loaderRetval: -22 });

    const tl: Call[] = r2.timeline;
    const load = tl.find((c) => !c.kernel && c.cmd === 'BPF_PROG_LOAD')!;
    const testRun = tl.find((c) => !c.kernel && c.cmd === 'BPF_PROG_TEST_RUN')!;
    const sigStage = load.events.find((e) => e.kind === 'stage' && e.id === 'LOAD-9' && !e.enter);
    const hook = load.events.find((e) => e.kind === 'hook' && e.hook === 'bpf_prog_load');
    const loaderId = load.events.find((e) => e.kind === 'object' && e.type === 'prog').id;
    const auditLine = (r2.audit as string[]).find((l) => l.endsWith(`prog-id=${loaderId} op=LOAD`))!;
    const serial = /:(\d+)\): /.exec(auditLine)![1];
    const sysLine = (r2.audit as string[]).find((l) => l.startsWith(`type=SYSCALL msg=audit(`) && l.includes(`:${serial}): `))!;

    // signature verified over the loader insns
    expect(sigStage).toMatchObject({ errno: null });
    expect(text).toContain(`BPF_PROG_LOAD (#${load.sys}) carried a ${r2.skeleton.signatureSize}-byte signature with keyring_id ${r2.keyring.keyringId}`);
    expect(text).toContain(`bpf_prog_verify_signature (LOAD-9) returned 0: the PKCS#7 signature over the ${r2.skeleton.insnCnt} loader instructions verified`);
    // the LSM hook allowed a signed program
    expect(hook).toMatchObject({ ret: 0, args: { kernel: false } });
    expect(text).toContain(`security_bpf_prog_load saw signature=${hook.args.signature} signature_size=${hook.args.signature_size} kernel=false and the LSM stack returned 0`);
    // audit recorded op=LOAD of the loader, in the BPF_PROG_LOAD event
    expect(sysLine).toMatch(/ syscall=321 .* a0=5 /);
    expect(text).toContain(`The kernel gave the loader prog id ${loaderId} and fd ${load.ret}, and audit wrote "type=BPF prog-id=${loaderId} op=LOAD" into event ${serial}, the BPF_PROG_LOAD syscall`);
    // the loader's own hash check failed inside TEST_RUN, and the skeleton returned -EINVAL
    expect(testRun.ret).toBe(0);
    expect(tl.filter((c) => c.kernel)).toEqual([]);
    expect(text).toContain(`in the separate BPF_PROG_TEST_RUN syscall (#${testRun.sys}), did the loader run`);
    expect(text).toMatch(/they differ, so it returned -22 after \d+ instructions without a single bpf_sys_bpf call, and bpf_load_and_run returned -EINVAL \(-22\) \("error returned by loader prog"\)/);
    // run 1 for contrast: the inner program's LOAD record sits in the TEST_RUN event (OBS-AUD-1)
    const innerProg = Object.values(r1.progs)[0] as { id: number; name: string };
    expect(text).toContain(`creating ${innerProg.name} (prog id ${innerProg.id}, its LOAD record in event`);
    expect(text).toMatch(/the BPF_PROG_TEST_RUN syscall \(SYSCALL record syscall=321 a0=a\)\), and the skeleton loaded\./);
  });

  it('the changed byte is located from run 1 (the inner program\'s instructions in the blob) and changes r0 = 0 into r0 = 1', async () => {
    const d = runSchemeDemo();
    const inner = d.runs[0].run.kernel.trace.events.find((e) => e.kind === 'syscall' && e.kernel && e.cmd === 'BPF_PROG_LOAD');
    expect(inner?.kind === 'syscall' && inner.attr).toBeTruthy();
    const attr = (inner as { attr: Record<string, string | number> }).attr;
    const base = Number(BigInt(attr.insns as string) - BigInt(attr.fd_array as string));
    expect((d.tamper.offset - base - 4) % 8).toBe(0);
    const insn = d.skeleton.data.subarray(d.tamper.offset - 4, d.tamper.offset + 4);
    expect([insn[0], insn[1], d.tamper.before, d.tamper.after]).toEqual([0xb7, 0x00, 0x00, 0x01]);
    expect(d.tamper.what).toContain(`of ${attr.prog_name}`);
  });

  it('the text follows the run, not a template: other profiles and offsets give other accounts', async () => {
    const v44 = await cliJson('demo', '--profile', 'v6.18.44', '--json');
    expect(v44.json.falsePositive).toBe(false);
    expect(v44.json.runs.map((r: { pattern: string }) => r.pattern)).toEqual(['load-refused', 'load-refused']);
    expect(v44.json.conclusion).toMatch(/^These runs do not show the false positive/);
    expect(v44.json.conclusion).toContain('bpf_prog_verify_signature (LOAD-9) failed with -EOPNOTSUPP (-95)');
    expect(v44.json.conclusion).toContain('security_bpf_prog_load was never called');
    expect(v44.json.conclusion).not.toContain('returned -22');

    const v617 = await cliJson('demo', '--profile', 'v6.17', '--json');
    expect(v617.json.runs[0].pattern).toBe('setup-failed');
    expect(v617.json.conclusion).toContain('BPF_MAP_CREATE (#2) failed with -EINVAL (-22)');

    const offset = await cliJson('demo', '--data-offset', '0x10', '--json');
    expect(offset.json.tamper).toMatchObject({ offset: 16, what: 'the byte given with --data-offset' });
    expect(offset.json.falsePositive).toBe(true);
  });

  it('explainRun reads every number from the facts: change a fact and the account changes with it', () => {
    const d = runSchemeDemo();
    const f = d.runs[1].facts;
    const base = explainRun(f).text;
    const moved = explainRun({
      ...f,
      loaderProgId: 41,
      loaderLoadAudit: { ...f.loaderLoadAudit!, serial: 77, text: 'prog-id=41 op=LOAD' },
      loaderRetval: -7,
      errno: 'E2BIG',
      err: -7,
      testRun: { ...f.testRun!, sys: 99, insnsRun: 5 },
    });
    expect(moved.pattern).toBe('false-positive');
    for (const s of ['prog id 41', 'into event 77', 'BPF_PROG_TEST_RUN syscall (#99)', 'returned -7 after 5 instructions', 'returned -E2BIG (-7)']) expect(moved.text).toContain(s);
    for (const s of ['prog id 41', 'into event 77', '(#99)']) expect(base).not.toContain(s);
    // If the LSM had refused, or audit had no LOAD record, this is not the false positive.
    expect(explainRun({ ...f, lsmProgLoad: { ...f.lsmProgLoad!, ret: -1 } }).pattern).toBe('loader-failed');
    expect(explainRun({ ...f, loaderLoadAudit: null }).pattern).toBe('loader-failed');
    // Equal hashes are not reported as a mismatch.
    expect(explainRun({ ...f, mapSha: f.embeddedHash }).text).not.toContain('they differ');
  });

  it('skelFacts reads the embedded metadata hash from the signed loader: SHA-256 of the blob as signed', async () => {
    const d = runSchemeDemo();
    const { createHash } = await import('node:crypto');
    expect(skelFacts(d.runs[0].run).embeddedHash).toBe(createHash('sha256').update(d.skeleton.data).digest('hex'));
    expect(d.runs[1].facts.mapSha).toBe(createHash('sha256').update(d.runs[1].run.loaded.data).digest('hex'));
  });

  it('--json holds no key-dependent bytes: two runs with different random keys give the same JSON', async () => {
    const a = await cli('demo', '--json');
    const b = await cli('demo', '--json');
    expect(a.out).toBe(b.out);
  });

  it('bad usage exits 2; an offset outside the blob exits 1 naming the blob size; demo maps keeps the map walk', async () => {
    for (const argv of [['demo', 'frob'], ['demo', '--data-offset', 'abc'], ['demo', '--profile', 'v1.0'], ['demo', 'maps', '--json'], ['demo', 'maps', 'extra']]) {
      const r = await cli(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err).toMatch(/usage: bpfsig demo/);
    }
    const far = await cli('demo', '--data-offset', '999999');
    expect(far.code).toBe(3);
    expect(far.err).toMatch(/offset outside the data blob \(opts_data\), which is \d+ bytes/);
    expect(noStackTrace(far.err)).toBe(true);
    const maps = await cli('demo', 'maps');
    expect(maps.code).toBe(0);
    expect(maps.out).toMatch(/The hash is stale/);
  });
});
