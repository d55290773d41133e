// Issue G's Hornet acceptance (spec 02 SEQ-2 and the HN-ERR table), end to end with light
// skeletons: `minimal` (../shared, skipped by name without it) and examples/bpf/hello.bpf.o (always),
// signed with the hornet toolchains, one metadata byte flipped, IPE-4 deciding:
//   hornet-v7-posted → verdict UNEXPECTED, -EACCES from BPF_PROG_LOAD, no AUDIT_BPF LOAD;
//   hornet-v7        → verdict OK, the policy allows, then -EPERM at security_bpf_prog after the
//                      AUDIT_BPF LOAD and before an UNLOAD (CLAIM-20: a load logged as verified fails).
// Intact skeletons load under both, their inner (kernel) loads passing as UNSIGNED with
// bpf_kernel=TRUE; a bpftool 7.7 signature → PARTIALSIG → -EACCES; an unsigned loader → UNSIGNED →
// -EACCES. The policy is the real `ipe` LSM with the IPE-4 example policy when it is registered
// (then its IPE_ACCESS records are checked too), and a stand-in for IPE-4 always.
// spec: SEQ-1, SEQ-2, SEQ-3, CLAIM-20, HN-ERR-2, HN-ERR-3, HN-ERR-4, HN-ERR-8, HN-ERR-10, HN-ERR-11,
//       HN-MAP-2, IPE-2, IPE-4, LSM-KERN-2, AUD-BPF-2, LOAD-19

import { describe, expect, it } from 'vitest';
import { IPE_BPF_SIGNED_ONLY_POLICY } from '../../../src/lsm/ipe/example-policy.js';
import { readExampleObject } from '../../../src/loader/examples.js';
import type { BpfObject } from '../../../src/loader/elf/object-types.js';
import { openObjectBytes } from '../../../src/scenarios/make-skeleton.js';
import { runSkeleton, type SkelRun } from '../../../src/scenarios/skel-run.js';
import type { LightSkeleton } from '../../../src/loader/lskel-reader.js';
import type { StageEvent } from '../../../src/syscall/trace.js';
import { describeShared, readFixture } from '../../support/shared.js';
import { HAS_IPE, hookCalls, hornetSkeletons, identity, ipe4StandIn } from './support.js';

interface Policy {
  readonly name: string;
  readonly lsm: () => Parameters<typeof runSkeleton>[1];
  /** The real IPE writes IPE_ACCESS records for its denials (AUD-IPE-1..3). */
  readonly audits: boolean;
}

const POLICIES: Policy[] = [
  { name: 'an IPE-4 stand-in', lsm: () => ({ lsm: [ipe4StandIn(), 'hornet'] }), audits: false },
  { name: 'the real ipe LSM (IPE-4 example policy)', lsm: () => ({ lsm: ['ipe', 'hornet'], lsmOptions: { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY } }), audits: true },
];

const TAMPER = [{ blob: 'data' as const, offset: 100 }];

function run(skel: LightSkeleton, profile: string, policy: Policy, tampered: boolean): SkelRun {
  return runSkeleton(skel, { profile, certDer: identity.certDer, keyring: 'session', ...(tampered ? { tampers: TAMPER } : {}), ...policy.lsm() });
}

/** The loader's BPF_PROG_LOAD: its result, the verdict Hornet handed on, where it failed, the BPF audit trail. */
function loaderLoad(r: SkelRun) {
  const pl = r.result.calls.find((c) => c.step === 'prog_load')!;
  const verdict = hookCalls(r.kernel, 'bpf_prog_load_post_integrity').find((h) => h.args.prog === '__loader.prog')?.args.verdict ?? null;
  const fail = r.kernel.trace.events.find((e): e is StageEvent => e.kind === 'stage' && !!e.errno && !e.enter);
  const bpf = r.kernel.audit.records.filter((x) => x.type === 'BPF').map((x) => x.body.replace(/prog-id=\d+ /, ''));
  const ipe = r.kernel.audit.records.filter((x) => x.type === 'IPE_ACCESS').map((x) => x.body);
  return { ret: pl.res.ret, errno: pl.res.errno, verdict, fail: fail ? [fail.id, fail.name] : null, bpf, ipe };
}

function acceptance(title: string, objOf: () => BpfObject) {
  describe(title, () => {
    const skels = () => hornetSkeletons(objOf());
    let made: ReturnType<typeof skels> | undefined;
    const m = () => (made ??= skels());

    for (const policy of POLICIES) {
      const itp = policy.audits && !HAS_IPE ? it.skip : it;
      const skipNote = policy.audits && !HAS_IPE ? ' (skipped: the ipe LSM is not registered in this build)' : '';
      describe(`with ${policy.name}${skipNote}`, () => {
        itp('[SEQ-2][HN-ERR-8][CLAIM-20] hornet-v7-posted, metadata byte flipped: verdict UNEXPECTED, -EACCES from BPF_PROG_LOAD, no AUDIT_BPF LOAD', () => {
          const r = run(m().indexed.skeleton, 'hornet-v7-posted', policy, true);
          const l = loaderLoad(r);
          expect(l).toMatchObject({ errno: 'EACCES', verdict: 'UNEXPECTED', fail: ['LOAD-12', 'security_bpf_prog_load'], bpf: [] });
          expect(r.result.errstr).toBe('failed to load loader prog');
          if (policy.audits) expect(l.ipe).toEqual([expect.stringMatching(/^ipe_op=BPF_PROG_LOAD ipe_hook=BPF_PROG_LOAD enforcing=1 .*rule="DEFAULT op=BPF_PROG_LOAD action=DENY"$/)]);
        });

        itp('[SEQ-2][HN-ERR-10][HN-MAP-2][CLAIM-20] hornet-v7, metadata byte flipped: verdict OK, the policy allows, then -EPERM at security_bpf_prog after AUDIT_BPF LOAD and before UNLOAD', () => {
          const r = run(m().hornet.skeleton, 'hornet-v7', policy, true);
          const l = loaderLoad(r);
          expect(l).toMatchObject({ errno: 'EPERM', verdict: 'OK', fail: ['LOAD-18', 'security_bpf_prog'], bpf: ['op=LOAD', 'op=UNLOAD'] });
          expect(hookCalls(r.kernel, 'bpf_prog_load_post_integrity').find((h) => h.args.prog === '__loader.prog')!.ret).toBe(0);
          expect(r.result.loaderRetval).toBeNull(); // the loader never ran
          if (policy.audits) expect(l.ipe).toEqual([]); // IPE allowed it: nothing to record (no success auditing)
        });

        for (const [profile, which] of [['hornet-v7-posted', 'indexed'], ['hornet-v7', 'hornet']] as const) {
          itp(`[SEQ-1][HN-ERR-11][HN-ERR-3][LSM-KERN-2] ${profile}, intact: loads; the loader is OK, its inner loads come from the kernel as UNSIGNED and pass (bpf_kernel=TRUE)`, () => {
            const r = run(m()[which].skeleton, profile, policy, false);
            expect(r.result.err).toBe(0);
            const v = hookCalls(r.kernel, 'bpf_prog_load_post_integrity').map((h) => [h.args.prog, h.args.kernel, h.args.verdict, h.ret]);
            expect(v[0]).toEqual(['__loader.prog', false, 'OK', 0]);
            expect(v.length).toBeGreaterThan(1);
            for (const inner of v.slice(1)) expect(inner.slice(1)).toEqual([true, 'UNSIGNED', 0]);
            expect(r.kernel.audit.records.filter((x) => x.type === 'IPE_ACCESS')).toEqual([]);
          });

          itp(`[SEQ-2][HN-ERR-4] ${profile}: a bpftool 7.7 signature (no Hornet attribute) → PARTIALSIG → -EACCES`, () => {
            const l = loaderLoad(run(m().bpftool.skeleton, profile, policy, false));
            expect(l).toMatchObject({ errno: 'EACCES', verdict: 'PARTIALSIG', bpf: [] });
            if (policy.audits) expect(l.ipe.length).toBe(1);
          });

          itp(`[HN-ERR-2] ${profile}: an unsigned loader → UNSIGNED → -EACCES`, () => {
            const l = loaderLoad(runSkeleton(m().unsigned.skeleton, { profile, ...policy.lsm() }));
            expect(l).toMatchObject({ errno: 'EACCES', verdict: 'UNSIGNED', bpf: [] });
            if (policy.audits) expect(l.ipe.length).toBe(1);
          });

          itp(`[SEQ-3] ${profile}: one loader instruction byte flipped → -EKEYREJECTED at KP's LOAD-9, before Hornet`, () => {
            const r = runSkeleton(m()[which].skeleton, { profile, certDer: identity.certDer, keyring: 'session', tampers: [{ blob: 'insns', offset: 4 }], ...policy.lsm() });
            const l = loaderLoad(r);
            expect(l).toMatchObject({ errno: 'EKEYREJECTED', verdict: null, fail: ['LOAD-9', 'bpf_prog_verify_signature (verify)'], bpf: [] });
          });
        }
      });
    }
  });
}

acceptance('hello.bpf.o (examples/bpf)', () => openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o'));

describeShared('minimal.bpf.o (../shared/fixtures/bpf/minimal)', () => {
  acceptance('minimal', () => openObjectBytes(readFixture('bpf', 'minimal', 'minimal.bpf.o'), 'minimal.bpf.o'));
});

describe('bpfsig claims with the Hornet scheme in the build', () => {
  it('[CLAIM-19][CLAIM-20] the Hornet claims run (no longer not-run): CLAIM-19 holds; CLAIM-20 holds with the HN-MAP-2 caveat', async () => {
    const { runClaims } = await import('../../../src/scenarios/claims/run-claims.js');
    const r = runClaims({ only: ['CLAIM-19', 'CLAIM-20'], identity });
    const v = Object.fromEntries(r.claims.map((c) => [c.id, [c.verdict, c.caveat]]));
    expect(v['CLAIM-19']![0]).toBe('holds');
    expect(v['CLAIM-20']![0]).toBe('holds-with-caveat');
    expect(String(v['CLAIM-20']![1])).toMatch(/HN-MAP-2/);
  });
});
