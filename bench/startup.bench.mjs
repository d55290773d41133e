// Issue K, startup: `bpfsig --help` and `--version` against `node -e 0`, each a fresh process,
// interleaved and repeated (medians). The CLI lists its commands by name and summary and imports a
// command (and the emulator) only when it runs.

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const title = 'Startup (issue K)';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli', 'main.js');

function once(args) {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export async function run() {
  const runs = { node: [], help: [], version: [], profiles: [] };
  for (let i = 0; i < 15; i++) {
    runs.node.push(once(['-e', '0']));
    runs.help.push(once([cli, '--help']));
    runs.version.push(once([cli, '--version']));
    if (i < 5) runs.profiles.push(once([cli, 'profiles']));
  }
  const fl = median(runs.node);
  const row = (name, xs, target) => `| ${name} | ${median(xs).toFixed(0)} | ${(median(xs) / fl).toFixed(2)}× | ${target} |`;
  return {
    markdown: `
| Command | ms (median) | × \`node -e 0\` | target |
|---|---:|---:|---|
| \`node -e 0\` (floor) | ${fl.toFixed(0)} | 1.00× | |
${row('`bpfsig --help`', runs.help, '≤ 1.5×')}
${row('`bpfsig --version`', runs.version, '≤ 1.5×')}
${row('`bpfsig profiles` (loads the schemes and the emulator)', runs.profiles, '—')}

Issue K measured \`--help\` at 339 ms against 110 ms for \`node -e 0\` (3.1×) when every command module
and pkijs were imported eagerly.
`,
  };
}
