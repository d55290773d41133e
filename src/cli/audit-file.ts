// `--audit-file FILE`, shared by every command that runs loads (skel load, demo, compare, replay,
// explain; claims reuses it): the whole audit log of every emulated kernel the command booted, in
// auditd's form, and nothing else — ausearch -if FILE and aureport -if FILE read it whole. The
// kernels join one AuditSeries, so no serial or timestamp is reused within the file.
// spec: AUD-FMT-2, AUD-EMIT-1, AUD-TOOL-1.

import { writeFileSync } from 'node:fs';
import type { AuditSeries } from '../audit/series.js';
import { InputError } from './command.js';

/** The flag, for parseCommandArgs. */
export const AUDIT_FILE_FLAG = { 'audit-file': { type: 'string' } } as const;

export const AUDIT_FILE_HELP = `  --audit-file FILE   write the whole audit log of the run(s) to FILE in auditd's format (what
                      ausearch -if and aureport -if read) and nothing else; several kernels'
                      records never share a serial or a timestamp`;

/** Write the series' log to `path` (when given). An unwritable path is an input error. */
export function writeAuditFile(path: string | undefined, series: AuditSeries): void {
  if (path === undefined) return;
  try {
    writeFileSync(path, series.auditdText());
  } catch (e) {
    throw new InputError(`cannot write --audit-file '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
