#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.mjs against the built package (dist/) and writes
// docs/performance.md. Each benchmark module exports
//   export const title = '...';
//   export async function run(): Promise<{ markdown: string }>
// and reports its results as ratios against a floor measured in the same run (for example the
// bare node:crypto cost of the same work), never as absolute pass/fail thresholds.

import { fork } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release, arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2] === '--one' ? [] : process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const cpu = cpus();
const facts = [
  `- Date: ${new Date().toISOString().slice(0, 10)}`,
  `- Node ${process.version} (V8 ${process.versions.v8}), ${platform()} ${release()} ${arch()}`,
  `- CPU: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length} logical cores`,
  `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
];

// Each benchmark runs in a process of its own (`--one FILE`), so what an earlier one left on the heap
// (module caches, kernels, a 1M-instruction program) does not tax a later one's garbage collector:
// a figure does not depend on which benchmarks ran before it.
if (process.argv[2] === '--one') {
  const mod = await import(pathToFileURL(join(here, process.argv[3])).href);
  const res = await mod.run();
  process.send?.({ title: mod.title ?? process.argv[3], markdown: res.markdown.trim() });
  process.exit(0);
}

const sections = [];
for (const f of files) {
  const res = await new Promise((resolve, reject) => {
    let got = null;
    const child = fork(fileURLToPath(import.meta.url), ['--one', f], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => (got = m));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && got ? resolve(got) : reject(new Error(`bench ${f} exited with ${code}`))));
  });
  process.stderr.write(`bench: ${res.title} done\n`);
  sections.push(`## ${res.title}\n\n${res.markdown}\n`);
  process.stdout.write(`\n## ${res.title}\n\n${res.markdown}\n`);
}

const doc = `# Performance

Written by \`npm run bench\` (bench/run.mjs). Every figure is a ratio against a floor measured in
the same run on the same machine, so the numbers compare across machines; absolute rates are
given for context only. Nothing here is a test assertion.

## Machine

${facts.join('\n')}

${sections.join('\n')}`;
if (only.length === 0) {
  writeFileSync(join(here, '..', 'docs', 'performance.md'), doc);
  process.stderr.write('bench: wrote docs/performance.md\n');
} else {
  process.stderr.write('bench: partial run (filter given); docs/performance.md not rewritten\n');
}
