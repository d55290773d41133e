// Test-side access to ../shared. Interop tests use `describeShared`/`itShared`, which skip
// (and say so by name) when the shared folder is not there, e.g. on a fresh clone.

import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { sharedDir, sharedPath } from '../../src/shared-dir.js';

export const SHARED = sharedDir();
export const HAS_SHARED = SHARED !== undefined;

export function fixturePath(...parts: string[]): string {
  const p = sharedPath('fixtures', ...parts);
  if (!p) throw new Error(`shared fixture missing: fixtures/${parts.join('/')}`);
  return p;
}

export function readFixture(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(...parts)));
}

/**
 * `describe` that needs ../shared. When the folder is absent its body (which may list fixture
 * files) is not evaluated; one skipped test carries the group's name and the reason.
 */
export const describeShared = (title: string, fn: () => void): void => {
  if (HAS_SHARED) describe(title, fn);
  else describe(title, () => it.skip('skipped: ../shared not found (set BPFSIG_SHARED)', () => {}));
};

export const itShared = HAS_SHARED ? it : it.skip;
