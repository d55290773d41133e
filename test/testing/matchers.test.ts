// The vitest matchers of `bpfsig/testing`, registered with expect.extend as a user does: each
// positively and negatively (`.not`), and each failure message naming the syscall, stage and hook
// that decided the outcome, with the relevant part of the timeline. spec: ASK-12, ASK-13, SEQ-2,
// AUD-FP-1, CLAIM-2, KP-LOAD-2, KP-ERR-9, LT-ERR-2, LSM-EMU-1, KP-AUD-1.

import { describe, expect, it } from 'vitest';
import { makeIdentity, runScenario, type LsmModule } from '../../src/index.js';
import { bpfsigMatchers } from '../../src/testing/index.js';
import { getProfile } from '../../src/syscall/profiles/index.js';
import { Errno } from '../../src/syscall/errno.js';

expect.extend(bpfsigMatchers);

/** The message of the assertion error `f` throws. */
function failure(f: () => void): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the assertion passed');
}

const intact = runScenario({ lsm: 'default' });
const dataByte = runScenario({ tamper: ['data:100'], lsm: 'default' });
// A certificate that did not sign the skeleton (a fresh identity signs it): KP-ERR-9.
const wrongKey = runScenario({ cert: makeIdentity({ cn: 'matchers other key' }).certPem, lsm: 'default' });

describe('[ASK-13] toLoad', () => {
  it('passes for a load that completed, and .not for one that did not', () => {
    expect(intact).toLoad();
    expect(dataByte).not.toLoad();
  });

  it('[KP-ERR-9] fails naming the syscall, the stage and the hooks of the failing call, with its timeline', () => {
    const msg = failure(() => expect(wrongKey).toLoad());
    expect(msg).toMatch(/^expected the skeleton to load, but it failed at BPF_PROG_LOAD with -ENOKEY: result -126 \(-ENOKEY\)/);
    expect(msg).toMatch(/decided by: BPF_PROG_LOAD #\d+ failed at stage LOAD-9 \(.*\) with -ENOKEY; no LSM hook refused \(hooks called: bpf \[none\] → 0\)/);
    expect(msg).toMatch(/timeline \(#\d+\):\n {2}#\d+ bpf\(BPF_PROG_LOAD, size=\d+\)/);
    expect(msg).toMatch(/fail {3}LOAD-9 .* → -ENOKEY/);
  });

  it('[AUD-FP-1] the loader-in-TEST_RUN failure: the message names TRUN-2 and the LSMs that had admitted the loader', () => {
    const msg = failure(() => expect(dataByte).toLoad());
    expect(msg).toMatch(/the loader program returned -22 \(-EINVAL\) in BPF_PROG_TEST_RUN/);
    expect(msg).toMatch(/decided by: the loader program returned -22 in BPF_PROG_TEST_RUN #\d+ at stage TRUN-2/);
    expect(msg).toMatch(/admitted at bpf_prog_load by deny-unsigned, signature-audit/);
    expect(msg).toMatch(/#\d+ bpf\(BPF_PROG_TEST_RUN/);
  });

  it('.not fails for a load that completed, naming the signature stage and the admitting LSMs', () => {
    const msg = failure(() => expect(intact).not.toLoad());
    expect(msg).toMatch(/^expected the skeleton not to load, but it loaded \(v6.18, bpftool-7.7\)/);
    expect(msg).toMatch(/passed signature stage LOAD-9 .*admitted at bpf_prog_load by deny-unsigned, signature-audit/);
    expect(msg).toMatch(/lsm {4}bpf_prog_load\(.*\[deny-unsigned\] → 0/);
  });
});

describe('[ASK-13] toFailAt', () => {
  it('[KP-ERR-9] passes for the failing syscall and errno (name or negative number); .not for anything else', () => {
    expect(wrongKey).toFailAt('BPF_PROG_LOAD', 'ENOKEY');
    expect(wrongKey).toFailAt('BPF_PROG_LOAD', -Errno.ENOKEY);
    expect(wrongKey).toFailAt('PROG_LOAD');
    expect(wrongKey).not.toFailAt('BPF_PROG_LOAD', 'EKEYREJECTED');
    expect(wrongKey).not.toFailAt('BPF_MAP_CREATE');
    expect(intact).not.toFailAt('BPF_PROG_LOAD');
  });

  it('[SEQ-2] the loader-in-TEST_RUN case is BPF_PROG_TEST_RUN with the loader\'s errno', () => {
    expect(dataByte).toFailAt('BPF_PROG_TEST_RUN', 'EINVAL');
    expect(dataByte).not.toFailAt('BPF_PROG_LOAD');
  });

  it('fails with the actual place, the stage and the hook, and gives actual/expected for the diff', () => {
    const msg = failure(() => expect(wrongKey).toFailAt('BPF_PROG_LOAD', 'EKEYREJECTED'));
    expect(msg).toMatch(/^expected the load to fail at BPF_PROG_LOAD with -EKEYREJECTED, but it failed at BPF_PROG_LOAD with -ENOKEY \(stage LOAD-9\)/);
    expect(msg).toMatch(/decided by: BPF_PROG_LOAD #\d+ failed at stage LOAD-9/);
    expect(msg).toMatch(/hooks called: bpf \[none\] → 0/);
    const notMsg = failure(() => expect(dataByte).not.toFailAt('BPF_PROG_TEST_RUN'));
    expect(notMsg).toMatch(/^expected the load not to fail at BPF_PROG_TEST_RUN, but the loader program returned -22 \(-EINVAL\) in BPF_PROG_TEST_RUN/);
    const r = bpfsigMatchers.toFailAt.call({ isNot: false }, wrongKey, 'BPF_PROG_LOAD', 'EKEYREJECTED');
    expect(r.actual).toEqual({ syscall: 'BPF_PROG_LOAD', errno: 'ENOKEY' });
    expect(r.expected).toEqual({ syscall: 'BPF_PROG_LOAD', errno: 'EKEYREJECTED' });
  });

  it('rejects arguments that are not an errno', () => {
    expect(() => expect(wrongKey).toFailAt('BPF_PROG_LOAD', 'NOKEY')).toThrow(/'NOKEY' is not an errno name/);
    expect(() => expect(wrongKey).toFailAt('BPF_PROG_LOAD', 99999)).toThrow(/99999 is not a known errno/);
  });
});

describe('[LSM-EMU-1] toHaveCalledHook', () => {
  it('passes for a matching call (ret as number or errno name, verdict, kernel, lsm); .not otherwise', () => {
    expect(intact).toHaveCalledHook('bpf_prog_load');
    expect(intact).toHaveCalledHook('security_bpf_prog_load', { ret: 0, kernel: false, lsm: 'deny-unsigned' });
    expect(intact).toHaveCalledHook('bpf_prog_load', { kernel: true });
    expect(wrongKey).not.toHaveCalledHook('bpf_prog_load');
    expect(intact).not.toHaveCalledHook('bpf_prog_load', { ret: 'EPERM' });
    const deny: LsmModule = { name: 'deny-all', hooks: { bpf_prog_load: () => -Errno.EACCES } };
    const denied = runScenario({ lsm: [deny] });
    expect(denied).toHaveCalledHook('bpf_prog_load', { ret: 'EACCES', lsm: 'deny-all' });
    expect(denied).toHaveCalledHook('bpf_prog_load', { ret: -13 });
    expect(denied).toFailAt('BPF_PROG_LOAD', 'EACCES');
    const msg = failure(() => expect(denied).toLoad());
    expect(msg).toMatch(/decided by: BPF_PROG_LOAD #\d+ failed at stage LOAD-12 \(security_bpf_prog_load.*\) with -EACCES; hook bpf_prog_load \[deny-all\] → -13 \(-EACCES\) refused/);
  });

  it.skipIf(!getProfile('v7.3'))('[LT-ERR-2] the README\'s example: v7.3 refuses the changed metadata at BPF_PROG_LOAD, with or without LSMs', () => {
    expect(runScenario({ profile: 'v7.3', tamper: ['data:100'] })).toFailAt('BPF_PROG_LOAD', 'EKEYREJECTED');
    expect(runScenario({ profile: 'v7.3', tamper: ['data:100'], lsm: 'default' })).toFailAt('BPF_PROG_LOAD', 'EKEYREJECTED');
  });

  it.skipIf(!getProfile('v7.3'))('[LT-LSM-1] the verdict the hook carried', () => {
    const v73 = runScenario({ profile: 'v7.3', lsm: 'default' });
    expect(v73).toHaveCalledHook('bpf_prog_load', { verdict: 'BPF_SIG_VERIFIED', kernel: false });
    expect(v73).not.toHaveCalledHook('bpf_prog_load', { verdict: 'BPF_SIG_VERIFIED', kernel: true });
  });

  it('fails listing the calls of that hook, the decision and the timeline of the call', () => {
    const msg = failure(() => expect(intact).toHaveCalledHook('bpf_prog_load', { ret: 'EPERM' }));
    expect(msg).toMatch(/^expected a call of bpf_prog_load \{ ret: -1 \}\nbpf_prog_load was called \d+ time\(s\), none matching:/);
    expect(msg).toMatch(/#\d+ BPF_PROG_LOAD: bpf_prog_load \[deny-unsigned\] → 0, prog __loader.prog/);
    expect(msg).toMatch(/decided by: loaded: BPF_PROG_LOAD #\d+ \(the loader\) passed signature stage LOAD-9/);
    const never = failure(() => expect(wrongKey).toHaveCalledHook('bpf_prog_load'));
    expect(never).toMatch(/bpf_prog_load was never called \(hooks called: .*\)/);
    expect(never).toMatch(/decided by: BPF_PROG_LOAD #\d+ failed at stage LOAD-9/);
    const not = failure(() => expect(intact).not.toHaveCalledHook('bpf_prog_load', { lsm: 'signature-audit' }));
    expect(not).toMatch(/^expected no call of bpf_prog_load \{ lsm: "signature-audit" \}, but \d+ matched:/);
    expect(not).toMatch(/timeline \(#\d+\):/);
  });
});

describe('[KP-AUD-1] toHaveAuditRecord', () => {
  it('passes for a record containing the text or matching the RegExp; .not otherwise', () => {
    expect(intact).toHaveAuditRecord('op=LOAD');
    expect(intact).toHaveAuditRecord(/type=BPF msg=audit\(\d+\.\d+:\d+\): prog-id=\d+ op=LOAD/);
    expect(dataByte).toHaveAuditRecord(/signature=verified/);
    expect(wrongKey).not.toHaveAuditRecord('op=LOAD');
    expect(wrongKey).not.toHaveAuditRecord(/signature=verified/g);
  });

  it('fails listing the records (SYSCALL/PROCTITLE counted, not shown) or the matching one with the call that wrote it', () => {
    const msg = failure(() => expect(wrongKey).toHaveAuditRecord('op=LOAD'));
    expect(msg).toMatch(/^expected an audit record matching op=LOAD; the run wrote \d+ record\(s\), \d+ of them SYSCALL\/PROCTITLE:/);
    expect(msg).toMatch(/decided by: BPF_PROG_LOAD #\d+ failed at stage LOAD-9/);
    const not = failure(() => expect(dataByte).not.toHaveAuditRecord(/op=LOAD/));
    expect(not).toMatch(/^expected no audit record matching \/op=LOAD\/, but \d+ did:\n {2}#\d+ BPF_PROG_LOAD: type=BPF msg=audit/);
    expect(not).toMatch(/the call that wrote it \(#\d+\):\n {2}#\d+ bpf\(BPF_PROG_LOAD/);
  });
});

describe('[AUD-FP-1] toBeFalsePositive', () => {
  it('[CLAIM-2] passes for the data-byte load on v6.18; .not for an intact load and a refused one', () => {
    expect(dataByte).toBeFalsePositive();
    expect(intact).not.toBeFalsePositive();
    expect(wrongKey).not.toBeFalsePositive();
  });

  it('fails naming what vouched for the load, the decision, and the loader\'s BPF_PROG_LOAD', () => {
    const msg = failure(() => expect(dataByte).not.toBeFalsePositive());
    expect(msg).toMatch(/^expected no false positive, but the loader program returned -22 \(-EINVAL\) in BPF_PROG_TEST_RUN after the signed load was vouched for:/);
    expect(msg).toMatch(/deny-unsigned admitted the signed __loader.prog at bpf_prog_load/);
    expect(msg).toMatch(/decided by: the loader program returned -22 in BPF_PROG_TEST_RUN #\d+ at stage TRUN-2/);
    expect(msg).toMatch(/the loader's BPF_PROG_LOAD \(#\d+\):/);
    expect(msg).toMatch(/where it failed \(#\d+\):/);
    const pos = failure(() => expect(wrongKey).toBeFalsePositive());
    expect(pos).toMatch(/but it failed at BPF_PROG_LOAD with -ENOKEY and nothing vouched for it/);
  });
});

describe('the matchers refuse what is not a Run', () => {
  it('throws a TypeError naming the matcher', () => {
    expect(() => expect({ loaded: true }).toLoad()).toThrow(/toLoad: expected a Run from runScenario\(\), got an object that is not a Run/);
    expect(() => expect(Promise.resolve(intact)).toBeFalsePositive()).toThrow(/a Promise/);
  });
});
