// `bpfsig compare [OBJ.bpf.o]`: every scheme side by side on the same object — the main job.
// spec: SEQ-1..3, CLAIM-2, CLAIM-3, CLAIM-8, CLAIM-20, CLAIM-21, AUD-FP-1.

import { readFileSync, writeFileSync } from 'node:fs';
import { CASES } from '../scenarios/compare/cases.js';
import { runCompare, type CompareResult } from '../scenarios/compare/compare.js';
import { formatCompare, formatCompareMarkdown } from '../scenarios/compare/report-text.js';
import { formatRaces, RACES } from '../scenarios/compare/explore-races.js';
import { defaultCompareProfiles } from '../schemes/registry.js';
import { profileNames } from '../syscall/profiles/index.js';
import { InputError, parseCommandArgs, UsageError, type Command } from './command.js';

const FORMATS = ['text', 'md', 'json'] as const;
type Format = (typeof FORMATS)[number];

const usage = `usage: bpfsig compare [OBJ.bpf.o] [--profiles LIST] [--cases LIST] [--no-cross] [--races]
                      [--format text|md|json] [--out FILE] [--details]

Runs every scheme on the same object (default: the built-in example, examples/bpf/hello.bpf.o):
each profile's scheme makes its light skeleton with its own toolchain and key, then each case
below loads it on a fresh kernel of that profile with the scheme's default LSM stack. Each cell
says whether the skeleton loaded, where it failed (syscall, stage, errno, or the loader's return
value), what the LSMs answered (with verdicts), the audit records, and whether it was a false
positive: an LSM admitted, or audit recorded, a signed load that did not complete. Cross cells
load each scheme's intact skeleton under every other profile.

options:
  --profiles LIST   comma-separated (default: ${defaultCompareProfiles().join(',')});
                    any of ${profileNames().join(', ')}
  --cases LIST      comma-separated case ids (default: all):
${CASES.map((c) => `                      ${c.id.padEnd(12)} ${c.title}`).join('\n')}
  --no-cross        leave out the cross-toolchain cells
  --races           also run each built-in race at every stage boundary of each profile's loader
                    BPF_PROG_LOAD (a second thread of the loading process), and report which
                    boundaries change the outcome:
${RACES.map((r) => `                      ${r.id.padEnd(16)} ${r.title}`).join('\n')}
  --format F        text (default: the matrix, then a summary), md, json (bpfsig-compare/1,
                    docs/cli.md)
  --details         (text) every cell in full: stages, hooks with verdicts, audit records
  --out FILE        write the report to FILE instead of stdout

exit status: 0 when the comparison ran (whatever the cells show), 2 for bad usage, 3 for an unusable
object (docs/cli.md, "Exit codes")`;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'every scheme side by side on one object: where each case fails, what LSMs and audit saw, false positives',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      profiles: { type: 'string' },
      cases: { type: 'string' },
      'no-cross': { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string' },
      details: { type: 'boolean' },
      races: { type: 'boolean' },
    });
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    const format = (values.format ?? 'text') as Format;
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not '${values.format}'`);
    const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));
    const profiles = list(values.profiles);
    for (const p of profiles ?? []) if (!profileNames().includes(p)) throw new UsageError(`--profiles: unknown profile '${p}' (one of ${profileNames().join(', ')})`);
    const cases = list(values.cases);
    for (const c of cases ?? []) if (!CASES.some((x) => x.id === c)) throw new UsageError(`--cases: unknown case '${c}' (one of ${CASES.map((x) => x.id).join(', ')})`);
    let object: { bytes: Uint8Array; file: string } | undefined;
    if (positionals[0]) {
      try {
        object = { bytes: new Uint8Array(readFileSync(positionals[0])), file: positionals[0] };
      } catch (e) {
        throw new InputError(`cannot read object '${positionals[0]}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const r: CompareResult = runCompare({
      ...(object ? { object } : {}),
      ...(profiles ? { profiles } : {}),
      ...(cases ? { cases } : {}),
      cross: !values['no-cross'],
      races: !!values.races,
    });
    const text =
      format === 'json'
        ? JSON.stringify(r, null, 2)
        : format === 'md'
          ? formatCompareMarkdown(r)
          : [...formatCompare(r, { details: !!values.details }), ...(r.races ? ['', ...formatRaces(r.races)] : [])].join('\n');
    if (values.out) {
      try {
        writeFileSync(values.out, text.endsWith('\n') ? text : text + '\n');
      } catch (e) {
        throw new InputError(`cannot write --out '${values.out}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    } else io.out(text);
    return 0;
  },
};
