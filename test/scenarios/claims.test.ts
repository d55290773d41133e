// bpfsig claims: every claim of spec 07 listed; each testable one run now with a verdict computed
// from its checks, each check with the evidence that decided it. spec: CLAIM-1..27.

import { describe, expect, it } from 'vitest';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { runClaims } from '../../src/scenarios/claims/run-claims.js';
import { verdictOf } from '../../src/scenarios/claims/claim.js';
import { cli } from '../cli/support.js';

const r = runClaims({ identity: makeSigningIdentity({ cn: 'claims test' }) });
const claim = (id: string) => r.claims.find((c) => c.id === id)!;

describe('bpfsig claims', () => {
  it('lists every claim of spec 07, CLAIM-1..27, and marks the arguments and positions not testable', () => {
    expect(r.claims.map((c) => c.id)).toEqual(Array.from({ length: 27 }, (_, i) => `CLAIM-${i + 1}`));
    expect(r.claims.filter((c) => c.verdict === 'not-testable').map((c) => c.id)).toEqual(['CLAIM-12', 'CLAIM-14', 'CLAIM-16', 'CLAIM-17', 'CLAIM-25', 'CLAIM-26']);
  });

  it('every claim that ran has a verdict from its checks, and every check carries evidence', () => {
    for (const c of r.claims.filter((x) => x.checks.length)) {
      expect(['holds', 'holds-with-caveat', 'does-not-hold'], c.id).toContain(c.verdict);
      for (const k of c.checks) expect(k.evidence.length, `${c.id}: ${k.statement}`).toBeGreaterThan(0);
    }
    for (const c of r.claims.filter((x) => x.verdict === 'not-run')) expect(c.reason, c.id).toMatch(/is not in this build/);
  });

  it('the verdict follows the checks: one failing check makes it does-not-hold; passing checks with a caveat, holds-with-caveat', () => {
    const pass = { statement: 's', pass: true, evidence: [] };
    expect(verdictOf({ checks: [pass] }).verdict).toBe('holds');
    expect(verdictOf({ checks: [pass], caveats: ['c'] })).toEqual({ verdict: 'holds-with-caveat', caveat: 'c' });
    expect(verdictOf({ checks: [pass, { ...pass, pass: false }], caveats: ['c'] }).verdict).toBe('does-not-hold');
  });

  it('[CLAIM-2][AUD-FP-2] the false positive holds, with the caveat that the "verified" record comes from an LSM', () => {
    expect(claim('CLAIM-2').verdict).toBe('holds-with-caveat');
    expect(claim('CLAIM-2').caveat).toMatch(/AUDIT_BPF has no signature field/);
  });

  it('[CLAIM-5][V617-6] holds only with the constructed harness; [CLAIM-7] holds; [CLAIM-23] holds', () => {
    expect(claim('CLAIM-5').verdict).toBe('holds-with-caveat');
    expect(claim('CLAIM-7').verdict).toBe('holds');
    expect(claim('CLAIM-23').verdict).toBe('holds');
    expect(claim('CLAIM-13').verdict).toBe('holds-with-caveat');
    expect(claim('CLAIM-18').verdict).toBe('holds');
  });

  it('[CLAIM-1][CLAIM-3][CLAIM-11][CLAIM-24][CLAIM-27] the hash-chain claims hold; [CLAIM-8] with the caveat that the LSM and audit view differs', () => {
    for (const id of ['CLAIM-1', 'CLAIM-3', 'CLAIM-11', 'CLAIM-24', 'CLAIM-27']) expect(claim(id).verdict, id).toBe('holds');
    expect(claim('CLAIM-8').verdict).toBe('holds-with-caveat');
    expect(claim('CLAIM-24').checks[0]!.evidence[0]!.text).toMatch(/never returned: general protection fault in bpf_prog_verify_signature/);
  });

  it('--claim and --format json from the command line; bad ids exit 2', async () => {
    const j = await cli('claims', '--claim', '2,7', '--format', 'json');
    expect(j.code).toBe(0);
    const parsed = JSON.parse(j.out);
    expect(parsed.format).toBe('bpfsig-claims/1');
    expect(parsed.claims.map((c: { id: string }) => c.id)).toEqual(['CLAIM-2', 'CLAIM-7']);
    expect((await cli('claims', '--claim', '99')).code).toBe(2);
  });
});
