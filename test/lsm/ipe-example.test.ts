import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { IPE_BPF_SIGNED_ONLY_POLICY } from '../../src/lsm/ipe/example-policy.js';

it('[IPE-4] the shipped example policy file is the built-in one', () => {
  expect(readFileSync(new URL('../../examples/ipe/bpf-signed-only.policy', import.meta.url), 'utf8')).toBe(IPE_BPF_SIGNED_ONLY_POLICY);
});
