// Light-skeleton generation: readElf + genLoader (+ -S) + writeLskelHeader per object, against
// the floor of hashing the same output with node:crypto (what signing alone costs).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Internal modules (the package entry is the small public API of docs/api.md); the schemes
// register the toolchains (bpftool-7.7) looked up by name.
import '../dist/schemes/index.js';
import { genLoader, objectNameFromPath, readElf, writeLskelHeader } from '../dist/loader/index.js';
import { timeFor } from './timing.mjs';

export const title = 'Light-skeleton generation (src/loader)';

const here = dirname(fileURLToPath(import.meta.url));
const OBJECTS = [
  join(here, '../examples/bpf/hello.bpf.o'),
  join(here, '../examples/bpf/subprog.bpf.o'),
  join(here, '../examples/bpf/kfunc_core.bpf.o'),
  join(here, '../test/loader/bpf/cov_subprogs.bpf.o'),
];

/** µs per call, over at least 300 ms after 300 warm-up calls. */
const timeIt = (fn) => timeFor(fn, { warmup: 300 });

export async function run() {
  const rows = [];
  for (const path of OBJECTS) {
    const bytes = new Uint8Array(readFileSync(path));
    const name = objectNameFromPath(path);
    const signer = (insns) => createHash('sha512').update(insns).digest();
    let out;
    const gen = timeIt(() => {
      const obj = readElf(bytes, { objectName: name }).value;
      out = genLoader(obj, { profile: 'bpftool-7.7', sign: true, signer }).value;
      writeLskelHeader(obj, out);
    });
    const floor = timeIt(() => {
      createHash('sha256').update(out.data).digest();
      createHash('sha256').update(out.insns).digest();
    });
    rows.push(`| ${path.split('/').pop()} | ${bytes.length} | ${out.insns.length / 8} | ${out.data.length} | ${gen.toFixed(1)} | ${floor.toFixed(2)} | ${(gen / floor).toFixed(0)}× |`);
  }
  return {
    markdown: [
      'Per object: `readElf` + `genLoader(-S)` + `writeLskelHeader`, versus the floor of two SHA-256',
      'digests over the generated blob and loader (the hashing `-S` needs anyway).',
      '',
      '| object | bytes | loader insns | blob bytes | generate (µs) | floor (µs) | ratio |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  };
}
