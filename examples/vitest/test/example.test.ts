// The built-in example (hello.bpf.o) on the default kernel profile, v6.18: the signed light
// skeleton loads; one byte of its metadata changed after signing is the false positive of the
// 6.18 scheme (the LSMs admit the signed loader, audit records op=LOAD, then the loader's own hash
// check fails inside BPF_PROG_TEST_RUN); a certificate that did not sign it is refused at
// BPF_PROG_LOAD. Each matcher is used positively and with `.not`, and its failure message is
// checked for the syscall, stage and hook that decided the outcome.

import { describe, expect, it } from 'vitest';
import { listProfiles, makeIdentity, runScenario, type LsmModule, type Run } from 'bpfsig';

/** The message of the assertion `f` makes fail. */
function failureOf(f: () => void): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the assertion to fail');
}

const profile = listProfiles().find((p) => p.isDefault)!.name;

describe(`the built-in example on ${profile}, with the scheme's default LSMs`, () => {
  const intact = runScenario({ profile, lsm: 'default' });
  const dataByte = runScenario({ profile, lsm: 'default', tamper: ['data:100'] });
  const wrongKey = runScenario({ profile, lsm: 'default', cert: makeIdentity({ cn: 'not the signer' }).certPem });

  it('intact: loads; the LSMs admitted it; audit recorded the load', () => {
    expect(intact).toLoad();
    expect(intact).not.toFailAt('BPF_PROG_LOAD');
    expect(intact).toHaveCalledHook('bpf_prog_load', { ret: 0, kernel: false, lsm: 'deny-unsigned' });
    expect(intact).toHaveCalledHook('bpf_prog_load', { kernel: true }); // the program the loader loaded
    expect(intact).toHaveAuditRecord(/type=BPF msg=audit\(.*\): prog-id=\d+ op=LOAD/);
    expect(intact).not.toBeFalsePositive();
  });

  it('the run itself: every syscall in order, the loader\'s own calls nested under BPF_PROG_TEST_RUN', () => {
    const testRun = intact.syscalls.find((c) => c.cmd === 'BPF_PROG_TEST_RUN')!;
    const inner = intact.syscalls.filter((c) => c.parent === testRun.sys);
    expect(inner.map((c) => c.cmd)).toContain('BPF_PROG_LOAD');
    expect(inner.every((c) => c.kernel)).toBe(true);
    expect(intact.decision.stage?.role).toBe('signature');
    expect(intact.timeline({ sys: testRun.sys })[0]).toMatch(/^#\d+ bpf\(BPF_PROG_TEST_RUN/);
  });

  it('one metadata byte changed after signing: the false positive', () => {
    expect(dataByte).not.toLoad();
    expect(dataByte).toFailAt('BPF_PROG_TEST_RUN', 'EINVAL');
    expect(dataByte).not.toFailAt('BPF_PROG_LOAD');
    expect(dataByte).toBeFalsePositive();
    expect(dataByte).toHaveCalledHook('bpf_prog_load', { lsm: 'signature-audit', ret: 0 });
    expect(dataByte).toHaveAuditRecord('signature=verified');
    expect(dataByte).toHaveAuditRecord(/op=LOAD/);
    expect(dataByte.falsePositiveEvidence.length).toBeGreaterThan(0);
  });

  it('a certificate that did not sign it: -ENOKEY at BPF_PROG_LOAD, before any LSM saw the program', () => {
    expect(wrongKey).toFailAt('BPF_PROG_LOAD', 'ENOKEY');
    expect(wrongKey).toFailAt('BPF_PROG_LOAD', -126);
    expect(wrongKey).not.toHaveCalledHook('bpf_prog_load');
    expect(wrongKey).not.toHaveAuditRecord('op=LOAD');
    expect(wrongKey).not.toBeFalsePositive();
  });

  it('an LSM of your own decides: its refusal is the errno and the deciding hook', () => {
    const policy: LsmModule = { name: 'my-policy', hooks: { bpf_prog_load: (a) => (a.kernel ? 0 : -1) } };
    const run = runScenario({ profile, lsm: [policy] });
    expect(run).toFailAt('BPF_PROG_LOAD', 'EPERM');
    expect(run).toHaveCalledHook('bpf_prog_load', { lsm: 'my-policy', ret: 'EPERM', kernel: false });
    expect(run.decision.hook).toMatchObject({ lsm: 'my-policy', hook: 'bpf_prog_load' });
  });
});

describe('failure messages name the syscall, stage and hook that decided, with the timeline', () => {
  const intact = runScenario({ lsm: 'default' });
  const dataByte = runScenario({ lsm: 'default', tamper: ['data:100'] });
  const wrongKey = runScenario({ lsm: 'default', cert: makeIdentity().certPem });
  const decided = (run: Run) => run.decision.summary;

  it('toLoad', () => {
    const msg = failureOf(() => expect(wrongKey).toLoad());
    expect(msg).toContain('but it failed at BPF_PROG_LOAD with -ENOKEY');
    expect(msg).toMatch(/decided by: BPF_PROG_LOAD #\d+ failed at stage LOAD-9 .* with -ENOKEY; no LSM hook refused \(hooks called: bpf \[none\] → 0\)/);
    expect(msg).toMatch(/\n {2}#\d+ bpf\(BPF_PROG_LOAD, size=\d+\) .* → -ENOKEY/);
    expect(failureOf(() => expect(intact).not.toLoad())).toMatch(/BPF_PROG_LOAD #\d+ \(the loader\) passed signature stage LOAD-9 .*admitted at bpf_prog_load by deny-unsigned, signature-audit/);
  });

  it('toFailAt, also for the loader failing inside BPF_PROG_TEST_RUN', () => {
    const msg = failureOf(() => expect(dataByte).toFailAt('BPF_PROG_LOAD', 'EKEYREJECTED'));
    expect(msg).toContain('expected the load to fail at BPF_PROG_LOAD with -EKEYREJECTED, but the loader program returned -22 (-EINVAL) in BPF_PROG_TEST_RUN');
    expect(msg).toMatch(/at stage TRUN-2 .*; before that, BPF_PROG_LOAD #\d+ \(the loader\) passed signature stage LOAD-9 .*admitted at bpf_prog_load by deny-unsigned/);
    expect(msg).toContain(decided(dataByte));
    expect(failureOf(() => expect(wrongKey).not.toFailAt('BPF_PROG_LOAD', 'ENOKEY'))).toMatch(/\(stage LOAD-9\)\ndecided by: BPF_PROG_LOAD #\d+ failed at stage LOAD-9/);
  });

  it('toHaveCalledHook', () => {
    const msg = failureOf(() => expect(intact).toHaveCalledHook('bpf_prog_load', { ret: 'EACCES' }));
    expect(msg).toMatch(/bpf_prog_load was called \d+ time\(s\), none matching:\n {2}#\d+ BPF_PROG_LOAD: bpf_prog_load \[deny-unsigned\] → 0/);
    expect(msg).toContain(decided(intact));
    const not = failureOf(() => expect(intact).not.toHaveCalledHook('bpf_prog_load', { lsm: 'deny-unsigned' }));
    expect(not).toMatch(/^expected no call of bpf_prog_load \{ lsm: "deny-unsigned" \}, but \d+ matched/);
    expect(not).toMatch(/lsm {4}bpf_prog_load\(prog=__loader.prog.*\[deny-unsigned\] → 0/);
  });

  it('toHaveAuditRecord', () => {
    const msg = failureOf(() => expect(wrongKey).toHaveAuditRecord('op=LOAD'));
    expect(msg).toMatch(/^expected an audit record matching op=LOAD; the run wrote \d+ record/);
    expect(msg).toContain(decided(wrongKey));
    const not = failureOf(() => expect(dataByte).not.toHaveAuditRecord('signature=verified'));
    expect(not).toMatch(/#\d+ BPF_PROG_LOAD: type=UNKNOWN\[1427\] msg=audit\(.*signature=verified/);
    expect(not).toMatch(/the call that wrote it \(#\d+\):\n {2}#\d+ bpf\(BPF_PROG_LOAD/);
  });

  it('toBeFalsePositive', () => {
    const msg = failureOf(() => expect(dataByte).not.toBeFalsePositive());
    expect(msg).toMatch(/after the signed load was vouched for:\n {2}deny-unsigned admitted the signed __loader.prog at bpf_prog_load/);
    expect(msg).toContain(decided(dataByte));
    expect(failureOf(() => expect(wrongKey).toBeFalsePositive())).toMatch(/failed at BPF_PROG_LOAD with -ENOKEY and nothing vouched for it\ndecided by: BPF_PROG_LOAD #\d+ failed at stage LOAD-9/);
  });
});
