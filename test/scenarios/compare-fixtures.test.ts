// The acceptance cells of bpfsig compare on the shared fixture objects (issue H): every default
// profile × case on `minimal`, and the cells the debate is about on every fixture object; the
// slot swap a second thread makes between Hornet's admission and the verifier's binding.
// spec: SEQ-2, CLAIM-2, CLAIM-3, CLAIM-19, CLAIM-20, CLAIM-21, HN-MAP-1, HN-MAP-4, LT-LOAD-3, AUD-FP-1.

import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { CASE_IDS } from '../../src/scenarios/compare/cases.js';
import { runCompare, type CompareResult } from '../../src/scenarios/compare/compare.js';
import { defaultCompareProfiles } from '../../src/schemes/registry.js';
import { describeShared, fixturePath } from '../support/shared.js';

const id = makeSigningIdentity({ cn: 'compare fixtures' });
const other = makeSigningIdentity({ cn: 'compare fixtures other' });
const object = (name: string) => ({ bytes: new Uint8Array(readFileSync(fixturePath('bpf', name, `${name}.bpf.o`))), file: `${name}.bpf.o` });
const cell = (r: CompareResult, p: string, c: string) => r.cells.find((x) => x.profile === p && x.case === c && !x.cross)!;
const bpfLoad = (lines: readonly string[]) => lines.some((l) => /^type=BPF .*op=LOAD/.test(l));

/** The data-byte cells of SEQ-2 / the acceptance, on one comparison. */
function expectDataByteCells(r: CompareResult): void {
  const kp = cell(r, 'v6.18', 'data-byte');
  expect(kp.falsePositive).toBe(true);
  expect(kp.failedAt).toMatchObject({ syscall: 'BPF_PROG_TEST_RUN', stage: 'loader' });
  for (const p of ['hashchain-v2', 'v7.3']) {
    const c = cell(r, p, 'data-byte');
    expect(c.failedAt, p).toMatchObject({ syscall: 'BPF_PROG_LOAD', errno: 'EKEYREJECTED' });
    expect(bpfLoad(c.audit), p).toBe(false);
    expect(c.falsePositive, p).toBe(false);
  }
  const fixed = cell(r, 'hornet-v7', 'data-byte');
  expect(fixed.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', errno: 'EPERM' });
  expect(bpfLoad(fixed.audit)).toBe(true);
  expect(fixed.falsePositive).toBe(true);
  const posted = cell(r, 'hornet-v7-posted', 'data-byte');
  expect(posted.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', errno: 'EACCES' });
  expect(posted.audit.some((l) => /^type=UNKNOWN\[1420\]/.test(l))).toBe(true);
  expect(bpfLoad(posted.audit)).toBe(false);
}

describeShared('bpfsig compare on the shared fixture objects', () => {
  it('[SEQ-2][CLAIM-2][CLAIM-3][CLAIM-20][CLAIM-21] minimal: a cell for every default profile × case, and the data-byte cells', () => {
    const r = runCompare({ object: object('minimal'), identity: id, otherIdentity: other });
    for (const p of defaultCompareProfiles()) for (const c of CASE_IDS) expect(cell(r, p, c), `${p}/${c}`).toBeDefined();
    expectDataByteCells(r);
  });

  const objects = readdirSync(fixturePath('bpf')).filter((d) => d !== 'src' && d !== 'minimal');
  it.each(objects)('[SEQ-2] %s: the same data-byte cells, and the intact skeleton loads under every default profile but v6.17', (name) => {
    const r = runCompare({ object: object(name), cases: ['intact', 'data-byte'], cross: false, identity: id, otherIdentity: other });
    expectDataByteCells(r);
    for (const p of defaultCompareProfiles().filter((x) => x !== 'v6.17')) expect(cell(r, p, 'intact').loaded, `${name} ${p}`).toBe(true);
  });

  it('[CLAIM-19][CLAIM-21][HN-MAP-4][HN-MAP-1][LT-LOAD-3] --races: the fd_array slot swap hornet-v7-posted lets through BPF_PROG_LOAD, hornet-v7 and v7.3 reject there', () => {
    const r = runCompare({ object: object('minimal'), profiles: ['hornet-v7-posted', 'hornet-v7', 'v7.3'], cases: ['intact'], cross: false, races: true, identity: id, otherIdentity: other });
    const swap = (p: string) => r.races!.find((x) => x.race === 'slot-swap' && x.profile === p)!;
    // Boundaries where the swapped-in map ends up bound to the posted revision's program (admission passed, PROG_LOAD returned an fd).
    const missed = swap('hornet-v7-posted').boundaries.filter((b) => b.outcome.includes('+swapped') && !b.outcome.includes('/PL'));
    expect(missed.length).toBeGreaterThan(0);
    // The others never get past BPF_PROG_LOAD holding the swapped-in map, and refuse it there.
    for (const p of ['hornet-v7', 'v7.3']) {
      const bs = swap(p).boundaries;
      expect(bs.filter((b) => b.outcome.includes('+swapped') && !b.outcome.includes('/PL')), p).toEqual([]);
      expect(bs.filter((b) => b.fired && /^!?E[A-Z]+\/PL/.test(b.outcome)).length, p).toBeGreaterThan(0);
    }
  });
});
