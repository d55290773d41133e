// IPE as an LSM on a kernel with Paul Moore's integrity hooks: evaluation (first match, every
// property, op default, global default), the BPF properties, -EACCES, enforce/permissive, success
// auditing, IPE_ACCESS records inside the PROG_LOAD event, the two revisions of the integration,
// and the IPE-4 policy against every verdict from userspace and from the kernel. The integrity
// verdicts come from small integrity LSMs of the tests' own (Hornet is built elsewhere).
// spec: IPE-1..6, AUD-IPE-1..3, AUD-SER-2, HN-HOOK-1/2, HN-ERR-2..5, HN-ERR-11 (HN-ERR-2..5 and -11 from IPE's side).

import { describe, expect, it } from 'vitest';
import { parseFields } from '../../src/audit/format.js';
import type { BpfProgLoadArgs, IntegrityVerdict, LsmModule } from '../../src/lsm/hooks.js';
import { LsmIntegrityVerdict } from '../../src/lsm/hooks.js';
import { evaluate, type IpeBpfEvalCtx } from '../../src/lsm/ipe/eval.js';
import { IPE_BPF_SIGNED_ONLY_POLICY } from '../../src/lsm/ipe/example-policy.js';
import type { IpeModule } from '../../src/lsm/ipe/ipe.js';
import { parseIpePolicy } from '../../src/lsm/ipe/parser.js';
import { createLsms, LsmConfigError, type LsmOptions } from '../../src/lsm/registry.js';
import { readExampleObject } from '../../src/loader/examples.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { runSkeleton } from '../../src/scenarios/skel-run.js';
import { Errno } from '../../src/syscall/errno.js';
import { getProfile, registerProfile, type KernelProfile } from '../../src/syscall/profiles/index.js';
import type { HookEvent } from '../../src/syscall/trace.js';
import { ProgType } from '../../src/syscall/uapi/consts.js';
import { setup } from '../support/kernel.js';

const RET0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
const PROFILE: KernelProfile = { ...getProfile('v6.18-stable')!, name: 'test-ipe-integrity', lsmIntegrityHooks: true };
registerProfile(PROFILE);
const VERDICTS = Object.keys(LsmIntegrityVerdict) as IntegrityVerdict[];

/** An integrity LSM that reports `verdict(a)` for every load and returns what the policy LSMs said. */
const integrity = (verdict: (a: BpfProgLoadArgs) => IntegrityVerdict, name = 'toy-integrity'): LsmModule => ({
  name,
  hooks: { bpf_prog_load_integrity: (a) => a.postIntegrity({ name, id: 999 }, verdict(a)) },
});
const fixed = (v: IntegrityVerdict) => integrity(() => v);

const H = 'policy_name=t policy_version=0.0.1\n';

function kernelWith(lsm: (string | LsmModule)[], lsmOptions: LsmOptions, profile = PROFILE.name) {
  const s = setup(profile, { lsm, lsmOptions });
  const ipe = s.k.lsm['modules' as never] as unknown as LsmModule[];
  return { ...s, ipe: ipe.find((m) => m.name === 'ipe') as IpeModule };
}
const load = (c: ReturnType<typeof setup>['c'], keyringId?: number) =>
  c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: RET0, ...(keyringId !== undefined ? { keyringId } : {}) });
const ipeRecords = (k: ReturnType<typeof setup>['k']) => k.audit.records.filter((r) => r.type === 'IPE_ACCESS');
const hookCalls = (k: ReturnType<typeof setup>['k'], lsm = 'ipe') =>
  k.trace.events.filter((e): e is HookEvent => e.kind === 'hook' && e.lsm === lsm).map((e) => [e.hook, e.ret]);

describe('IPE evaluation', () => {
  const ctx = (o: Partial<IpeBpfEvalCtx> = {}): IpeBpfEvalCtx => ({ op: 'BPF_PROG_LOAD', verdict: 'OK', keyringId: 0, kernel: false, ...o });

  it('[IPE-5] the first matching rule decides; a rule matches only when all its properties do', () => {
    const p = parseIpePolicy(
      H +
        'DEFAULT action=ALLOW\n' +
        'op=BPF_PROG_LOAD bpf_signature=OK bpf_kernel=TRUE action=DENY\n' +
        'op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW\n' +
        'op=BPF_PROG_LOAD bpf_signature=OK action=DENY\n',
    );
    const userOk = evaluate(p, ctx());
    expect([userOk.action, userOk.match, userOk.rule?.line]).toEqual(['ALLOW', 'rule', 4]);
    const kernOk = evaluate(p, ctx({ kernel: true }));
    expect([kernOk.action, kernOk.match, kernOk.rule?.line]).toEqual(['DENY', 'rule', 3]);
  });

  it('[IPE-5] no rule matches: the op\'s DEFAULT, else the global DEFAULT', () => {
    const withOpDefault = parseIpePolicy(H + 'DEFAULT action=ALLOW\nDEFAULT op=BPF_PROG_LOAD action=DENY\nop=BPF_PROG_LOAD bpf_signature=OK action=ALLOW');
    expect(evaluate(withOpDefault, ctx({ verdict: 'UNSIGNED' }))).toEqual({ action: 'DENY', match: 'table', rule: null });
    const globalOnly = parseIpePolicy(H + 'DEFAULT action=DENY\nop=BPF_PROG_LOAD bpf_signature=OK action=ALLOW');
    expect(evaluate(globalOnly, ctx({ verdict: 'UNSIGNED' }))).toEqual({ action: 'DENY', match: 'global', rule: null });
    const globalAllow = parseIpePolicy(H + 'DEFAULT action=ALLOW\nop=EXECUTE action=DENY');
    expect(evaluate(globalAllow, ctx())).toEqual({ action: 'ALLOW', match: 'global', rule: null });
    // Rules of other operations never apply to BPF_PROG_LOAD.
    expect(evaluate(parseIpePolicy(H + 'DEFAULT action=DENY\nop=EXECUTE action=ALLOW'), ctx()).match).toBe('global');
  });

  it('[IPE-5] a rule without properties always matches', () => {
    const p = parseIpePolicy(H + 'DEFAULT action=DENY\nop=BPF_PROG_LOAD action=ALLOW');
    for (const v of VERDICTS) expect(evaluate(p, ctx({ verdict: v })).match).toBe('rule');
  });

  it.each(VERDICTS)('[IPE-3] bpf_signature=%s matches exactly that verdict', (v) => {
    const p = parseIpePolicy(H + `DEFAULT action=DENY\nop=BPF_PROG_LOAD bpf_signature=${v} action=ALLOW`);
    for (const w of VERDICTS) expect(evaluate(p, ctx({ verdict: w })).action).toBe(w === v ? 'ALLOW' : 'DENY');
  });

  it('[IPE-3] bpf_keyring compares keyring_id with 0, 1, 2; a user keyring (serial or KEY_SPEC_*) matches none', () => {
    const ids = [0, 1, 2, -3, -4, 3, 0x2a3b4c5d, -1];
    const matches = (v: string) => ids.filter((id) => evaluate(parseIpePolicy(H + `DEFAULT action=DENY\nop=BPF_PROG_LOAD bpf_keyring=${v} action=ALLOW`), ctx({ keyringId: id })).action === 'ALLOW');
    expect(matches('BUILTIN')).toEqual([0]);
    expect(matches('SECONDARY')).toEqual([1]);
    expect(matches('PLATFORM')).toEqual([2]);
  });

  it('[IPE-3] bpf_kernel=TRUE and FALSE', () => {
    const p = parseIpePolicy(H + 'DEFAULT action=ALLOW\nop=BPF_PROG_LOAD bpf_kernel=TRUE action=DENY');
    expect(evaluate(p, ctx({ kernel: true })).action).toBe('DENY');
    expect(evaluate(p, ctx({ kernel: false })).action).toBe('ALLOW');
    const q = parseIpePolicy(H + 'DEFAULT action=ALLOW\nop=BPF_PROG_LOAD bpf_kernel=FALSE action=DENY');
    expect(evaluate(q, ctx({ kernel: true })).action).toBe('ALLOW');
    expect(evaluate(q, ctx({ kernel: false })).action).toBe('DENY');
  });

  it('[IPE-5] file properties in a BPF rule see no file: the =FALSE ones match, the rest do not', () => {
    const matchesWith = (prop: string) => evaluate(parseIpePolicy(H + `DEFAULT action=DENY\nop=BPF_PROG_LOAD ${prop} action=ALLOW`), ctx()).action === 'ALLOW';
    expect(['boot_verified=FALSE', 'dmverity_signature=FALSE', 'fsverity_signature=FALSE'].map(matchesWith)).toEqual([true, true, true]);
    expect(['boot_verified=TRUE', 'dmverity_signature=TRUE', 'fsverity_signature=TRUE', 'dmverity_roothash=sha256:00', 'fsverity_digest=sha256:00'].map(matchesWith)).toEqual([false, false, false, false, false]);
  });
});

describe('IPE on a kernel with the integrity hooks (revision v7: verdict stored at post_integrity, policy at bpf_prog_load)', () => {
  it('[IPE-1][IPE-2][HN-ERR-2] an UNSIGNED userspace load under IPE-4: -EACCES from security_bpf_prog_load, before bpf_check, id and AUDIT_BPF', () => {
    const { k, c } = kernelWith([fixed('UNSIGNED'), 'ipe'], { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY });
    const r = load(c);
    expect(r.res.errno).toBe('EACCES');
    expect(hookCalls(k)).toEqual([
      ['bpf_prog_load_post_integrity', 0],
      ['bpf_prog_load', -Errno.EACCES],
    ]);
    expect(k.audit.records.filter((x) => x.type === 'BPF')).toEqual([]);
    const stages = k.trace.events.filter((e) => e.kind === 'stage').map((e) => (e as { id: string }).id);
    expect(stages).toContain('LOAD-12');
    expect(stages.filter((id) => id.startsWith('LOAD-13') || id === 'LOAD-16')).toEqual([]);
  });

  it('[IPE-6][AUD-IPE-1][AUD-IPE-2][AUD-IPE-3][AUD-SER-2] the denial\'s IPE_ACCESS record comes first in the PROG_LOAD event, then SYSCALL with exit=-13', () => {
    const { k, c } = kernelWith([fixed('PARTIALSIG'), 'ipe'], { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY });
    expect(load(c).res.errno).toBe('EACCES');
    const [rec] = ipeRecords(k);
    expect(rec!.body).toBe(`ipe_op=BPF_PROG_LOAD ipe_hook=BPF_PROG_LOAD enforcing=1 pid=${c.proc.pid} comm="bpfsig" path=? dev=? ino=? rule="DEFAULT op=BPF_PROG_LOAD action=DENY"`);
    const ev = k.audit.events().find((e) => e.records.some((r) => r.type === 'IPE_ACCESS'))!;
    expect(ev.records.map((r) => r.type)).toEqual(['IPE_ACCESS', 'SYSCALL', 'PROCTITLE', 'EOE']);
    const sc = parseFields(ev.records[1]!.body);
    expect([sc.syscall, sc.a0, sc.success, sc.exit]).toEqual(['321', '5', 'no', '-13']);
  });

  it('[HN-ERR-11] verdict OK: allowed, an fd, nothing audited by IPE (success auditing is off)', () => {
    const { k, c, ipe } = kernelWith([fixed('OK'), 'ipe'], { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY });
    expect(load(c).res.ret).toBeGreaterThan(0);
    expect(ipeRecords(k)).toEqual([]);
    expect(ipe.state.evaluations.map((e) => [e.verdict, e.decision.match, e.decision.rule?.line, e.ret])).toEqual([['OK', 'rule', 5, 0]]);
  });

  it('[AUD-IPE-1][AUD-IPE-2] success auditing (ipe.success_audit=1) writes the allowing rule as IPE rebuilds it', () => {
    const { k, c } = kernelWith([fixed('OK'), 'ipe'], { ipePolicy: H + 'DEFAULT action=DENY\nop=BPF_PROG_LOAD   bpf_signature=OK\tbpf_keyring=BUILTIN action=ALLOW # ok', ipeSuccessAudit: true });
    expect(load(c).res.ret).toBeGreaterThan(0);
    expect(parseFields(ipeRecords(k)[0]!.body).rule).toBe('op=BPF_PROG_LOAD bpf_signature=OK bpf_keyring=BUILTIN action=ALLOW');
  });

  it('[AUD-IPE-1] a global DEFAULT decision is written as rule="DEFAULT action=DENY"', () => {
    const { k, c } = kernelWith([fixed('BADSIG'), 'ipe'], { ipePolicy: H + 'DEFAULT action=DENY\nop=BPF_PROG_LOAD bpf_signature=OK action=ALLOW' });
    expect(load(c).res.errno).toBe('EACCES');
    expect(parseFields(ipeRecords(k)[0]!.body).rule).toBe('DEFAULT action=DENY');
  });

  it('[AUD-IPE-1] permissive (ipe.enforce=0): the denial is recorded with enforcing=0 and the load goes on', () => {
    const { k, c, ipe } = kernelWith([fixed('UNSIGNED'), 'ipe'], { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY, ipeEnforce: false });
    const r = load(c);
    expect(r.res.ret).toBeGreaterThan(0);
    expect(parseFields(ipeRecords(k)[0]!.body).enforcing).toBe('0');
    expect(ipe.state.evaluations[0]!.decision.action).toBe('DENY');
    const ev = k.audit.events().find((e) => e.records.some((x) => x.type === 'IPE_ACCESS'))!;
    expect(ev.records.map((x) => x.type)).toEqual(['IPE_ACCESS', 'BPF', 'SYSCALL', 'PROCTITLE', 'EOE']);
    expect(parseFields(ev.records[2]!.body).success).toBe('yes');
  });

  it('[IPE-5] IPE without a policy does not enforce: no decision, no record', () => {
    const { k, c, ipe } = kernelWith([fixed('UNSIGNED'), 'ipe'], {});
    expect(load(c).res.ret).toBeGreaterThan(0);
    expect(ipeRecords(k)).toEqual([]);
    expect(ipe.state.evaluations).toEqual([]);
  });

  it('[IPE-3] bpf_keyring sees attr->keyring_id: a policy allowing only BUILTIN denies a load that names the secondary keyring', () => {
    const policy = H + 'DEFAULT action=ALLOW\nDEFAULT op=BPF_PROG_LOAD action=DENY\nop=BPF_PROG_LOAD bpf_signature=OK bpf_keyring=BUILTIN action=ALLOW';
    const a = kernelWith([fixed('OK'), 'ipe'], { ipePolicy: policy });
    expect(load(a.c, 0).res.ret).toBeGreaterThan(0);
    const b = kernelWith([fixed('OK'), 'ipe'], { ipePolicy: policy });
    expect(load(b.c, 1).res.errno).toBe('EACCES');
    expect(b.ipe.state.evaluations[0]!.keyringId).toBe(1);
  });

  it('[IPE-1] no integrity LSM in the stack: v7 evaluates with verdict NONE (IPE-4 denies); v5 never evaluates', () => {
    const v7 = kernelWith(['ipe'], { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY });
    expect(load(v7.c).res.errno).toBe('EACCES');
    expect(v7.ipe.state.evaluations[0]!.verdict).toBe('NONE');
    const v5 = kernelWith(['ipe'], { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY, ipeRevision: 'v5' });
    expect(load(v5.c).res.ret).toBeGreaterThan(0);
    expect(v5.ipe.state.evaluations).toEqual([]);
    expect(hookCalls(v5.k)).toEqual([]);
  });

  it('[HN-HOOK-2] v7: the last verdict an integrity LSM reports is the one IPE evaluates', () => {
    const { c, ipe } = kernelWith([fixed('OK'), fixed('UNSIGNED'), 'ipe'].map((m, i) => (typeof m === 'string' ? m : { ...m, name: `toy${i}` })), { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY });
    expect(load(c).res.errno).toBe('EACCES');
    expect(ipe.state.evaluations[0]!.verdict).toBe('UNSIGNED');
  });
});

describe('IPE revision v5 (evaluation inside bpf_prog_load_post_integrity)', () => {
  it('[IPE-1][IPE-2][HN-HOOK-1] a deny is returned to the integrity LSM and out of security_bpf_prog_load; no bpf_prog_load hook runs', () => {
    const { k, c } = kernelWith([fixed('UNSIGNED'), 'ipe'], { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY, ipeRevision: 'v5' });
    expect(load(c).res.errno).toBe('EACCES');
    expect(hookCalls(k)).toEqual([['bpf_prog_load_post_integrity', -Errno.EACCES]]);
    expect(hookCalls(k, 'toy-integrity')).toEqual([['bpf_prog_load_integrity', -Errno.EACCES]]);
    expect(k.trace.events.some((e) => e.kind === 'hook' && e.hook === 'bpf_prog_load')).toBe(false);
    expect(parseFields(ipeRecords(k)[0]!.body).rule).toBe('DEFAULT op=BPF_PROG_LOAD action=DENY');
  });
});

describe('IPE on a kernel without the integrity hooks', () => {
  it('[IPE-1] IPE registers no BPF hook: a policy without BPF rules loads and never decides a BPF load', () => {
    const { k, c, ipe } = kernelWith(['ipe'], { ipePolicy: H + 'DEFAULT action=DENY' }, 'v6.18-stable');
    expect(load(c).res.ret).toBeGreaterThan(0);
    expect(hookCalls(k)).toEqual([]);
    expect(ipe.state.active?.parsed.name).toBe('t');
    expect(ipe.hooks).toEqual({});
  });

  it('[IPE-3] its parser has no op=BPF_PROG_LOAD: the IPE-4 policy fails IPE\'s init with -EBADMSG and where', () => {
    expect(() => setup('v6.18-stable', { lsm: ['ipe'], lsmOptions: { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY, ipePolicyFile: 'bpf-signed-only.policy' } })).toThrow(
      /^bpf-signed-only\.policy:3:9: unknown operation 'op=BPF_PROG_LOAD': this kernel's IPE has no Hornet integration .*\(-EBADMSG\)$/,
    );
  });
});

describe('IPE configuration', () => {
  it('[IPE-5] a bad policy is an LsmConfigError at boot, never at load time', () => {
    expect(() => setup(PROFILE.name, { lsm: ['ipe'], lsmOptions: { ipePolicy: H + 'op=BPF_PROG_LOAD action=ALLOW' } })).toThrow(LsmConfigError);
  });

  it('[IPE-1] an unknown revision is refused', () => {
    expect(() => createLsms(['ipe'], { ipeRevision: 'v9' as 'v7' })).toThrow(/unknown revision 'v9'/);
  });
});

// The IPE-4 policy against each verdict, from userspace and from the kernel (a light skeleton's
// inner load). The skeleton is unsigned and loads on KP's side; the toy integrity LSM reports
// `user` for userspace loads and `kern` for kernel-originated ones.
const obj = openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o');
const skel = makeSkeleton(obj, { toolchain: 'bpftool-7.7', name: obj.name }).skeleton;
const runIpe4 = (user: IntegrityVerdict, kern: IntegrityVerdict, extra: LsmOptions = {}) =>
  runSkeleton(skel, {
    profile: PROFILE.name,
    lsm: [integrity((a) => (a.kernel ? kern : user)), 'ipe'],
    lsmOptions: { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY, ...extra },
  });

describe('the IPE-4 policy against every verdict', () => {
  it.each(VERDICTS)('[IPE-4][HN-ERR-2][HN-ERR-4][HN-ERR-5][HN-ERR-11] userspace load (bpf_kernel=FALSE), verdict %s', (v) => {
    const r = runIpe4(v, 'UNSIGNED');
    const ipe = ipeRecords(r.kernel);
    if (v === 'OK') {
      expect(r.errno).toBeNull();
      expect(ipe).toEqual([]);
    } else {
      expect(r.result.err).toBe(-Errno.EACCES);
      expect(r.result.errstr).toBe('failed to load loader prog');
      expect(ipe.map((x) => parseFields(x.body).rule)).toEqual(['DEFAULT op=BPF_PROG_LOAD action=DENY']);
    }
  });

  it.each(VERDICTS)('[IPE-4][HN-ERR-3] kernel-originated load (bpf_kernel=TRUE), verdict %s: the bpf_kernel=TRUE rule allows it', (v) => {
    const r = runIpe4('OK', v, { ipeSuccessAudit: true });
    expect(r.errno).toBeNull();
    const rules = ipeRecords(r.kernel).map((x) => parseFields(x.body).rule);
    expect(rules).toEqual(['op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW', 'op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW']);
  });

  it('[IPE-4][OBS-AUD-1] a denied kernel-originated load: its IPE_ACCESS record is in the PROG_TEST_RUN event, and the loader reports the error', () => {
    const r = runSkeleton(skel, {
      profile: PROFILE.name,
      lsm: [integrity((a) => (a.kernel ? 'UNSIGNED' : 'OK')), 'ipe'],
      lsmOptions: { ipePolicy: H + 'DEFAULT action=ALLOW\nDEFAULT op=BPF_PROG_LOAD action=DENY\nop=BPF_PROG_LOAD bpf_signature=OK action=ALLOW' },
    });
    expect(r.errno).not.toBeNull();
    const ev = r.kernel.audit.events().find((e) => e.records.some((x) => x.type === 'IPE_ACCESS'))!;
    const sc = parseFields(ev.records.find((x) => x.type === 'SYSCALL')!.body);
    expect(sc.a0).toBe('a');
    expect(parseFields(ev.records[0]!.body).comm).toBe('skel_loader');
  });
});
