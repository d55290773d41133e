// `bpfsig conformance [dir] [--json] [--budget N]`: run every `.data` file of a bpf_conformance
// folder through the interpreter (spec 06 execution contract) and report per file.
//
// spec: VM-CONF-1, VM-DATA-1..4, VM-EXEC-1..4, VM-RUN-1.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, UsageError, parseCommandArgs, type Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { sharedPath } from '../shared-dir.js';
import { formatResult, runConformanceDir, summarize } from '../vm/conformance.js';

const usage = `usage: bpfsig conformance [dir] [--json] [--budget N]

Runs every .data file of a bpf_conformance test folder through bpfsig's eBPF interpreter
(r1 = copy of -- mem, r2 = its length, 512-byte stack, helpers 0-5) and prints one line per
file — PASS name, FAIL name: expected …, got …, SKIP name: reason, ERROR name: reason — then
"passed N of M". Exit status 0 only if no file failed or errored, else 1; 2 bad usage, 3 no such
folder.

  dir          folder of .data files (default: ../shared/conformance/tests)
  --json       print one JSON document instead of text
  --budget N   instruction budget per test (default 1000000)`;

export const conformanceCommand: Command = {
  name: 'conformance',
  summary: 'run the bpf_conformance suite through the interpreter',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      json: { type: 'boolean' },
      budget: { type: 'string' },
    });
    if (positionals.length > 1) throw new UsageError('at most one folder');
    let budget: number | undefined;
    if (values.budget !== undefined) {
      budget = Number(values.budget);
      if (!Number.isSafeInteger(budget) || budget <= 0) throw new UsageError(`--budget: '${values.budget}' is not a positive integer`);
    }
    const given = positionals[0] ?? sharedPath('conformance', 'tests');
    if (given === undefined) {
      throw new InputError('no folder given and ../shared/conformance/tests was not found (pass a folder or set BPFSIG_SHARED)');
    }
    const dir = resolve(given);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`${dir}: not a folder`);

    const results = runConformanceDir(dir, budget);
    const sum = summarize(results);
    if (values.json) {
      io.out(JSON.stringify({ dir, ...sum, results }, null, 2));
    } else {
      for (const r of results) io.out(formatResult(r));
      const extra = [sum.failed && `${sum.failed} failed`, sum.errors && `${sum.errors} errors`, sum.skipped && `${sum.skipped} skipped`]
        .filter(Boolean)
        .join(', ');
      io.out(`passed ${sum.passed} of ${sum.total}${extra ? ` (${extra})` : ''}`);
    }
    return sum.failed === 0 && sum.errors === 0 ? EXIT.OK : EXIT.REJECTED;
  },
};
