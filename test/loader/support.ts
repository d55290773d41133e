// Helpers for loader tests: repository-local BPF objects (examples/bpf, test/loader/bpf).

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BpfObject } from '../../src/loader/elf/object-types.js';
import { objectNameFromPath, readElf } from '../../src/loader/elf/read-object.js';
import { genLoader, type GenLoaderOptions, type LoaderOutput } from '../../src/loader/gen-loader/gen-loader.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const EXAMPLES_DIR = join(REPO, 'examples/bpf');
export const TEST_BPF_DIR = join(REPO, 'test/loader/bpf');
export const GOLDEN_DIR = join(REPO, 'test/loader/golden');

export const EXAMPLES = ['hello', 'subprog', 'kfunc_core', 'all_maps'] as const;
export const TEST_OBJECTS = ['cov_subprogs', 'cov_core', 'cov_tracing', 'cov_maps', 'cov_nobtf', 'cov_globals'] as const;

export function objectPath(name: string): string {
  return (EXAMPLES as readonly string[]).includes(name) ? join(EXAMPLES_DIR, `${name}.bpf.o`) : join(TEST_BPF_DIR, `${name}.bpf.o`);
}

export function openObject(path: string): BpfObject {
  const r = readElf(new Uint8Array(readFileSync(path)), { objectName: objectNameFromPath(path) });
  if (!r.ok) throw new Error(`${path}: ${r.error.message}`);
  return r.value;
}

export function mustGen(obj: BpfObject, opts: GenLoaderOptions): LoaderOutput {
  const r = genLoader(obj, opts);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}
