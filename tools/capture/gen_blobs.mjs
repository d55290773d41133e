#!/usr/bin/env node
// Write the light-skeleton loader blobs (bpftool 7.7 style, unsigned) of our own example objects
// that capture plans run on the real kernel: tools/capture/blobs/<obj>.v77.{insns,data}.bin and
// <obj>.v77.ctx.json (the skeleton's ctx layout). Needs `npm run build` first.
//   node tools/capture/gen_blobs.mjs
// test/replay/capture-tool.test.ts checks that the generator still produces these bytes.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Internal modules (the package entry is the small public API of docs/api.md); the schemes register the toolchains.
import '../../dist/schemes/index.js';
import { genLoader, readElf } from '../../dist/loader/index.js';

const here = dirname(fileURLToPath(import.meta.url));
for (const obj of ['all_maps', 'hello', 'subprog', 'kfunc_core']) {
  const r = readElf(new Uint8Array(readFileSync(join(here, '../../examples/bpf', `${obj}.bpf.o`))), { objectName: `${obj}_bpf` });
  if (!r.ok) throw new Error(`${obj}: ${r.error.message}`);
  const out = genLoader(r.value, { profile: 'bpftool-7.7' });
  if (!out.ok) throw new Error(`${obj}: ${out.error.message}`);
  const o = out.value;
  writeFileSync(join(here, 'blobs', `${obj}.v77.insns.bin`), o.insns);
  writeFileSync(join(here, 'blobs', `${obj}.v77.data.bin`), o.data);
  const ctx = { size: o.ctx.size, maps: Object.fromEntries(o.ctx.maps.map((m) => [m.ident, m.offset])), progs: Object.fromEntries(o.ctx.progs.map((p) => [p.name, p.offset])) };
  writeFileSync(join(here, 'blobs', `${obj}.v77.ctx.json`), JSON.stringify(ctx, null, 1) + '\n');
  console.log(`blobs/${obj}.v77: insns ${o.insns.length}, data ${o.data.length}, ctx ${o.ctx.size}`);
}
