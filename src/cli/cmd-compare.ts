// `bpfsig compare [OBJ.bpf.o]`: every scheme side by side on the same object — the main job.
// spec: SEQ-1..3, CLAIM-2, CLAIM-3, CLAIM-8, CLAIM-20, CLAIM-21, AUD-FP-1.

import { readFileSync } from 'node:fs';
import { AuditSeries } from '../audit/series.js';
import { AUDIT_FILE_FLAG, writeAuditFile } from './audit-file.js';
import { CASES } from '../scenarios/compare/cases.js';
import { runCompare, type CompareResult } from '../scenarios/compare/compare.js';
import { formatCompare, formatCompareMarkdown } from '../scenarios/compare/report-text.js';
import { formatRaces, RACES } from '../scenarios/compare/explore-races.js';
import { formatRealColumns, runCompareReal, type CompareRealResult } from '../scenarios/compare/real.js';
import { debianKernels } from '../realkernel/kernels.js';
import { renderCompareHtml } from '../scenarios/report/html.js';
import { jsonText } from '../scenarios/report/json-text.js';
import { defaultCompareProfiles } from '../schemes/registry.js';
import { profileNames } from '../syscall/profiles/index.js';
import { InputError, emitReport, parseCommandArgs, UsageError, type Command } from './command.js';
import { SUMMARIES } from './summaries.js';

const FORMATS = ['text', 'md', 'json', 'html'] as const;
/** Arrays of small items written one item per line in --format json. */
const COMPARE_INLINE_ARRAYS = new Set(['sequence', 'audit', 'lsm', 'boundaries']);
type Format = (typeof FORMATS)[number];

const usage = `usage: bpfsig compare [OBJ.bpf.o] [--profiles LIST] [--cases LIST] [--no-cross] [--races]
                      [--format text|md|json|html] [--out FILE] [--details] [--audit-file FILE]

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
                    docs/cli.md), html (one self-contained page: the matrix, every cell with its
                    sequence diagram in SVG and its audit records, the races; use --out)
  --details         (text) every cell in full: stages, hooks with verdicts, audit records
  --real LIST       also run every case on real Debian kernels under QEMU (all, or any of
                    ${debianKernels().map((d) => d.kver).join(', ')}) beside the profile that models each build,
                    with no LSMs on either side, and mark every case where they disagree
                    (docs/realkernel.md; needs qemu-system-x86 and Debian's registry or a cache)
  --out FILE        write the report to FILE instead of stdout
  --audit-file FILE write the whole audit log of every kernel the comparison booted (one per
                    cell, race run and probe, in that order) to FILE in auditd's format (what
                    ausearch -if and aureport -if read) and nothing else; no serial or timestamp
                    is reused, and each cell's audit lines in the report carry the same stamps

exit status: 0 when the comparison ran (whatever the cells show), 2 for bad usage, 3 for an unusable
object (docs/cli.md, "Exit codes")`;

const isReal = (r: CompareResult | CompareRealResult): r is CompareRealResult => 'real' in r;

export const compareCommand: Command = {
  name: 'compare',
  summary: SUMMARIES.compare,
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
      real: { type: 'string' },
      ...AUDIT_FILE_FLAG,
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
    let kvers: string[] | undefined;
    if (values.real !== undefined) {
      kvers = values.real === 'all' ? debianKernels().map((k) => k.kver) : (list(values.real) ?? []);
      for (const k of kvers) if (!debianKernels().some((d) => d.kver === k)) throw new UsageError(`--real: unknown kernel '${k}' (all, or any of ${debianKernels().map((d) => d.kver).join(', ')})`);
      if (values['audit-file']) throw new UsageError('--audit-file and --real exclude each other (a real kernel only gives its type=1334 records)');
      if (format === 'html') throw new UsageError('--real has no HTML rendering yet: use --format text, md or json');
    }
    const audit = new AuditSeries();
    const options = {
      audit,
      ...(object ? { object } : {}),
      ...(profiles ? { profiles } : {}),
      ...(cases ? { cases } : {}),
      cross: !values['no-cross'],
      races: !!values.races,
    };
    const r: CompareResult | CompareRealResult = kvers ? await runCompareReal(kvers, { ...options, realOptions: { progress: (l: string) => io.err(l) } }) : runCompare(options);
    writeAuditFile(values['audit-file'], audit);
    const text =
      format === 'json'
        ? jsonText(r, COMPARE_INLINE_ARRAYS)
        : format === 'html'
          ? renderCompareHtml(r)
          : format === 'md'
          ? formatCompareMarkdown(r)
          : [
              ...formatCompare(r, { details: !!values.details }),
              ...(r.races ? ['', ...formatRaces(r.races)] : []),
              ...(isReal(r) ? ['', ...formatRealColumns(r.real)] : []),
            ].join('\n');
    emitReport(io, text, values.out);
    return 0;
  },
};
