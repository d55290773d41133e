import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IPE_BPF_SIGNED_ONLY_POLICY } from '../../src/lsm/ipe/example-policy.js';
import { evaluate } from '../../src/lsm/ipe/eval.js';
import { parseIpePolicy } from '../../src/lsm/ipe/parser.js';

const dir = new URL('../../examples/ipe/', import.meta.url);
const read = (f: string) => readFileSync(new URL(f, dir), 'utf8');

it('[IPE-4] the shipped example policy file is the built-in one', () => {
  expect(read('bpf-signed-only.policy')).toBe(IPE_BPF_SIGNED_ONLY_POLICY);
});

describe('examples/ipe', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.policy'));

  it('[IPE-5] ships the IPE-4 policy and two more', () => {
    expect(files.sort()).toEqual(['bpf-signed-builtin-keyring.policy', 'bpf-signed-only.policy', 'bpf-signed-or-partial.policy']);
  });

  it.each(files)('[IPE-5] %s parses, allows kernel-originated loads and denies an UNSIGNED userspace load', (f) => {
    const p = parseIpePolicy(read(f), { file: f });
    expect(p.globalDefault).toBe('ALLOW');
    expect(evaluate(p, { op: 'BPF_PROG_LOAD', verdict: 'UNSIGNED', keyringId: 0, kernel: true }).action).toBe('ALLOW');
    expect(evaluate(p, { op: 'BPF_PROG_LOAD', verdict: 'UNSIGNED', keyringId: 0, kernel: false }).action).toBe('DENY');
  });

  it('[IPE-3] the keyring policy allows OK only with keyring_id 0; the partial one allows PARTIALSIG', () => {
    const k = parseIpePolicy(read('bpf-signed-builtin-keyring.policy'));
    expect([0, 1, 2, -3].map((id) => evaluate(k, { op: 'BPF_PROG_LOAD', verdict: 'OK', keyringId: id, kernel: false }).action)).toEqual(['ALLOW', 'DENY', 'DENY', 'DENY']);
    const p = parseIpePolicy(read('bpf-signed-or-partial.policy'));
    expect(['OK', 'PARTIALSIG', 'BADSIG'].map((v) => evaluate(p, { op: 'BPF_PROG_LOAD', verdict: v as 'OK', keyringId: 0, kernel: false }).action)).toEqual(['ALLOW', 'ALLOW', 'DENY']);
  });
});
