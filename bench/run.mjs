#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.mjs against the built package (dist/) and writes
// docs/performance.md. Each benchmark module exports
//   export const title = '...';
//   export async function run(): Promise<{ markdown: string }>
// and reports its results as ratios against a floor measured in the same run (for example the
// bare node:crypto cost of the same work), never as absolute pass/fail thresholds.

import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release, arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
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

const sections = [];
for (const f of files) {
  const mod = await import(pathToFileURL(join(here, f)).href);
  process.stderr.write(`bench: ${mod.title ?? f} ...\n`);
  const res = await mod.run();
  sections.push(`## ${mod.title ?? f}\n\n${res.markdown.trim()}\n`);
  process.stdout.write(`\n## ${mod.title ?? f}\n\n${res.markdown.trim()}\n`);
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
