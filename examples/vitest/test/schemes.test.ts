// Every registered kernel profile, scheme by scheme (listProfiles(): a scheme registered later is
// covered without editing this file). What holds for any signature scheme:
//   - the scheme's own skeleton, signed and intact, loads, is admitted at bpf_prog_load and audited;
//   - a flipped byte of the signature is refused at BPF_PROG_LOAD: the loader never runs, no
//     program is published (no op=LOAD record), nothing vouched for it;
//   - an LSM that admits the signed loader and refuses what the loader loads makes a false
//     positive: admitted and audited, then failed inside BPF_PROG_TEST_RUN;
//   - a byte of the metadata changed after signing never ends with the skeleton loaded;
//   - a kernel without the signature fields, or one configured without signature verification,
//     refuses the signed skeleton instead of loading it unverified.

import { describe, expect, it } from 'vitest';
import { listProfiles, runScenario, type LsmModule } from 'bpfsig';

const profiles = listProfiles();
const schemes = [...new Set(profiles.map((p) => p.scheme))];

it('the registry lists at least the built-in schemes, and each scheme has a profile', () => {
  expect(schemes.length).toBeGreaterThanOrEqual(1);
  for (const s of schemes) expect(profiles.some((p) => p.scheme === s)).toBe(true);
});

for (const scheme of schemes) {
  describe(`scheme ${scheme}`, () => {
    for (const p of profiles.filter((x) => x.scheme === scheme)) {
      if (!p.toolchainSigns) {
        it(`${p.name}: the scheme's toolchain ${p.toolchain} does not sign; its skeleton is not a false positive`, () => {
          const run = runScenario({ profile: p.name, lsm: 'default' });
          expect(run.skeleton.signed).toBe(false);
          expect(run).not.toBeFalsePositive();
        });
        continue;
      }
      if (!p.signatureFields) {
        it(`${p.name}: no signature fields in BPF_PROG_LOAD: the scheme's signed skeleton is refused, not loaded unverified`, () => {
          const run = runScenario({ profile: p.name, lsm: 'default' });
          expect(run).not.toLoad();
          expect(run).not.toHaveAuditRecord(/op=LOAD/);
          expect(run).not.toBeFalsePositive();
        });
        continue;
      }
      if (!p.verifiesSignatures) {
        it(`${p.name}: the signature fields, but a kernel configured without verification: the signed load is refused at BPF_PROG_LOAD`, () => {
          const run = runScenario({ profile: p.name, lsm: 'default' });
          expect(run).toFailAt('BPF_PROG_LOAD');
          expect(run).not.toHaveAuditRecord(/op=LOAD/);
          expect(run).not.toBeFalsePositive();
        });
        continue;
      }

      describe(`${p.name} (${p.toolchain}, lsm=${p.defaultLsm.join(',') || 'none'})`, () => {
        const intact = runScenario({ profile: p.name, lsm: 'default' });
        const sigSize = intact.skeleton.signatureSize!;

        it('the intact signed skeleton loads, admitted at bpf_prog_load and audited', () => {
          expect(intact).toLoad();
          expect(intact).not.toFailAt('BPF_PROG_LOAD');
          expect(intact).toHaveCalledHook('bpf_prog_load', { ret: 0, kernel: false });
          expect(intact).toHaveAuditRecord(/op=LOAD/);
          expect(intact).not.toBeFalsePositive();
        });

        it('a flipped signature byte is refused at BPF_PROG_LOAD; the loader never runs', () => {
          const run = runScenario({ profile: p.name, lsm: 'default', tamper: [`sig:${sigSize - 1}`] });
          expect(run).not.toLoad();
          expect(run).toFailAt('BPF_PROG_LOAD');
          expect(run).not.toHaveCalledHook('bpf_prog_load', { kernel: true });
          expect(run).not.toHaveAuditRecord(/op=LOAD/);
          expect(run).not.toBeFalsePositive();
          // Whatever refused it, the message says where: the syscall and its stage.
          expect(() => expect(run).toLoad()).toThrowError(/decided by: BPF_PROG_LOAD #\d+ failed at stage \S+ \(/);
        });

        it('an LSM that admits the signed loader but refuses the program it loads: a false positive, decided inside BPF_PROG_TEST_RUN', () => {
          // EPERM for the loader's own (kernel=true) loads, 0 for userspace's.
          const refuseInner: LsmModule = { name: 'refuse-inner', hooks: { bpf_prog_load: (a) => (a.kernel ? -1 : 0) } };
          const run = runScenario({ profile: p.name, lsm: [refuseInner] });
          expect(run).not.toLoad();
          expect(run).toFailAt('BPF_PROG_TEST_RUN');
          expect(run).toHaveCalledHook('bpf_prog_load', { lsm: 'refuse-inner', kernel: false, ret: 0 });
          expect(run).toHaveCalledHook('bpf_prog_load', { lsm: 'refuse-inner', kernel: true, ret: 'EPERM' });
          expect(run).toHaveAuditRecord(/op=LOAD/);
          expect(run).toBeFalsePositive();
          expect(() => expect(run).toLoad()).toThrowError(/the loader's own BPF_PROG_LOAD #\d+ \(kernel=true\) failed at stage \S+ .* with -EPERM; hook bpf_prog_load \[refuse-inner\] → -1 \(-EPERM\)[^;]* refused/);
        });

        it('a metadata byte changed after signing does not end with the skeleton loaded', () => {
          const run = runScenario({ profile: p.name, lsm: 'default', tamper: ['data:100'] });
          expect(run).not.toLoad();
          expect(run.failedAt).not.toBeNull();
          expect(() => expect(run).toLoad()).toThrowError(new RegExp(`decided by: .*${run.failedAt!.syscall} #${run.failedAt!.sys}`));
        });
      });
    }
  });
}
