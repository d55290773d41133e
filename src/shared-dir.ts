// Where the shared fixtures and the conformance suite live. They are read in place, never copied
// into this repository. BPFSIG_SHARED overrides; otherwise `../shared` next to the package root,
// then `../shared` relative to the working directory.

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json), from src/ or dist/. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function sharedDir(): string | undefined {
  const env = process.env.BPFSIG_SHARED;
  if (env) return existsSync(env) ? resolve(env) : undefined;
  for (const candidate of [resolve(PACKAGE_ROOT, '../shared'), resolve(process.cwd(), '../shared')]) {
    if (existsSync(resolve(candidate, 'fixtures')) || existsSync(resolve(candidate, 'conformance'))) return candidate;
  }
  return undefined;
}

/** A path under the shared folder, or undefined when the folder (or that path) is absent. */
export function sharedPath(...parts: string[]): string | undefined {
  const dir = sharedDir();
  if (!dir) return undefined;
  const p = resolve(dir, ...parts);
  return existsSync(p) ? p : undefined;
}
