// bpfsig compare: every registered scheme on the built-in example. The cells that the debate is
// about are checked against the rules that produce them; the JSON has no key-dependent bytes.
// spec: SEQ-2, CLAIM-2, CLAIM-5, CLAIM-7, CLAIM-13, V617-5, STB-7, KP-META-2, KP-META-4, AUD-FP-1.

import { describe, expect, it } from 'vitest';
import { runCompare, type CompareResult } from '../../src/scenarios/compare/compare.js';
import { formatCompareMatrix } from '../../src/scenarios/compare/report-text.js';
import { CASE_IDS } from '../../src/scenarios/compare/cases.js';
import { defaultCompareProfiles } from '../../src/schemes/registry.js';
import { cli } from '../cli/support.js';

const KP = ['v6.17', 'v6.18', 'v6.18-stable'];
const r: CompareResult = runCompare({ profiles: KP });
const cell = (profile: string, c: string) => r.cells.find((x) => x.profile === profile && x.case === c && !x.cross)!;

describe('bpfsig compare', () => {
  it('has a cell for every profile × case, with the case ids fixed', () => {
    expect(r.cases.map((c) => c.id)).toEqual([...CASE_IDS]);
    for (const p of KP) for (const c of CASE_IDS) expect(cell(p, c), `${p}/${c}`).toBeDefined();
  });

  it('[SEQ-2][CLAIM-2][KP-META-2][AUD-FP-1] v6.18 / data-byte: fails in BPF_PROG_TEST_RUN (the loader), after an LSM admitted it and audit recorded the LOAD — a false positive', () => {
    const c = cell('v6.18', 'data-byte');
    expect(c.loaded).toBe(false);
    expect(c.failedAt).toMatchObject({ syscall: 'BPF_PROG_TEST_RUN', stage: 'loader', errno: 'EINVAL', ret: -22 });
    expect(c.falsePositive).toBe(true);
    expect(c.falsePositiveEvidence.some((e) => /op=LOAD/.test(e))).toBe(true);
    expect(c.falsePositiveEvidence.some((e) => /signature=verified/.test(e))).toBe(true);
  });

  it('[SEQ-3] an instruction byte: EKEYREJECTED at BPF_PROG_LOAD, before any LSM — not a false positive', () => {
    const c = cell('v6.18', 'insn-byte');
    expect(c.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', errno: 'EKEYREJECTED' });
    expect(c.lsm.filter((h) => h.hook === 'bpf_prog_load' && h.syscall === 'BPF_PROG_LOAD' && !h.kernel)).toEqual([]);
    expect(c.falsePositive).toBe(false);
  });

  it('[V617-5][CLAIM-5] v6.17: the signed skeleton fails creating its loader map (EINVAL), the unsigned 1.7 one at GET_INFO (E2BIG)', () => {
    expect(cell('v6.17', 'intact').failedAt).toMatchObject({ syscall: 'BPF_MAP_CREATE', errno: 'EINVAL' });
    expect(cell('v6.17', 'unsigned').failedAt).toMatchObject({ syscall: 'BPF_OBJ_GET_INFO_BY_FD', errno: 'E2BIG' });
  });

  it('[KP-META-4][CLAIM-7][STB-7] the stale hash: v6.18 loads the altered program; v6.18-stable refuses the unfrozen hash (EPERM at GET_INFO)', () => {
    expect(cell('v6.18', 'stale-hash')).toMatchObject({ loaded: true, tamperAccepted: true });
    expect(cell('v6.18-stable', 'stale-hash').failedAt).toMatchObject({ syscall: 'BPF_OBJ_GET_INFO_BY_FD', errno: 'EPERM' });
  });

  it('[CLAIM-13] the default stack of KP\'s scheme denies the unsigned skeleton\'s loader (EPERM from deny-unsigned)', () => {
    const c = cell('v6.18', 'unsigned');
    expect(c.failedAt).toMatchObject({ syscall: 'BPF_PROG_LOAD', errno: 'EPERM' });
    expect(c.lsm.find((h) => h.lsm === 'deny-unsigned' && h.ret < 0)).toBeDefined();
  });

  it('the matrix fits 100 columns with the default profiles', () => {
    const full = runCompare({ profiles: defaultCompareProfiles(), cases: ['intact', 'data-byte'] });
    for (const line of formatCompareMatrix(full)) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('--format json is bpfsig-compare/1 and the same for two runs with different random keys', async () => {
    const a = await cli('compare', '--profiles', 'v6.18', '--cases', 'intact,data-byte', '--format', 'json');
    const b = await cli('compare', '--profiles', 'v6.18', '--cases', 'intact,data-byte', '--format', 'json');
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out).format).toBe('bpfsig-compare/1');
    expect(a.out).toBe(b.out);
  });

  it('bad usage exits 2 with a one-line message', async () => {
    expect((await cli('compare', '--cases', 'nope')).code).toBe(2);
    expect((await cli('compare', '--profiles', 'v9.9')).code).toBe(2);
    expect((await cli('compare', '--format', 'xml')).code).toBe(2);
    expect((await cli('compare', '/nonexistent.o')).code).toBe(3);
  });
});
