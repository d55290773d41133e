// `bpfsig claims [--claim ID] [--format text|md|json] [--out FILE]`: every claim of the debate with a
// verdict computed from runs now, and the evidence. spec: CLAIM-1..27.

import { CLAIMS } from '../scenarios/claims/catalog.js';
import { formatClaims, formatClaimsMarkdown, runClaims } from '../scenarios/claims/run-claims.js';
import { AuditSeries } from '../audit/series.js';
import { renderClaimsHtml } from '../scenarios/report/html.js';
import { AUDIT_FILE_FLAG, writeAuditFile } from './audit-file.js';
import { emitReport, parseCommandArgs, UsageError, type Command } from './command.js';
import { SUMMARIES } from './summaries.js';

const usage = `usage: bpfsig claims [--claim ID[,ID…]] [--format text|md|json|html] [--out FILE] [--brief]
                     [--audit-file FILE]

Every claim of the debate over signed BPF programs (${CLAIMS[0]!.id}..${CLAIMS[CLAIMS.length - 1]!.id}): who made it and
when, and for each testable one the scenario run now, its verdict — holds, holds-with-caveat,
does-not-hold — and the evidence that decided it (syscall results, stages, hook calls, audit
records). Verdicts are computed from the runs. Claims that are arguments or policy positions are
listed as not-testable; a claim whose profile is not in this build is not-run.

  --claim IDS   only these claims (e.g. CLAIM-2 or 2,3,20)
  --format F    text (default), md, json (bpfsig-claims/1, docs/cli.md), html (one self-contained
                page: the claims, their checks and evidence)
  --brief       (text) verdicts and checks without the evidence lines
  --out FILE    write the report to FILE
  --audit-file FILE  write the whole audit log of every kernel the claims booted to FILE in
                auditd's format and nothing else (one audit series: no serial or timestamp reused)

exit status: 0 when the claims ran (whatever their verdicts), 2 for bad usage.`;

export const claimsCommand: Command = {
  name: 'claims',
  summary: SUMMARIES.claims,
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { claim: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, brief: { type: 'boolean' }, ...AUDIT_FILE_FLAG });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const format = values.format ?? 'text';
    if (!['text', 'md', 'json', 'html'].includes(format)) throw new UsageError(`--format must be text, md, json or html, not '${format}'`);
    let only: string[] | undefined;
    if (values.claim !== undefined) {
      only = values.claim.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (/^\d+$/.test(s) ? `CLAIM-${s}` : s.toUpperCase()));
      for (const id of only) if (!CLAIMS.some((c) => c.id === id)) throw new UsageError(`--claim: unknown claim '${id}' (CLAIM-1..${CLAIMS.length})`);
    }
    const audit = new AuditSeries();
    const r = runClaims({ audit, ...(only ? { only } : {}) });
    writeAuditFile(values['audit-file'], audit);
    const text = format === 'json' ? JSON.stringify(r, null, 2) : format === 'html' ? renderClaimsHtml(r) : format === 'md' ? formatClaimsMarkdown(r) : formatClaims(r, { evidence: !values.brief }).join('\n');
    emitReport(io, text, values.out);
    return 0;
  },
};
