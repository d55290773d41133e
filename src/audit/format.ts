// Audit output: auditd's RAW log text (what `ausearch -if` reads), the kernel's printk form, and
// JSON. spec: AUD-FMT-1 (kernel form `audit: type=1334 audit(T:S): …`), AUD-FMT-2 (auditd form
// `type=BPF msg=audit(T:S): …`, three-digit milliseconds), AUD-TYPE-2 (UNKNOWN[n] for types auditd
// 3.0.9 does not name), AUD-EMIT-1.
//
// auditd does not write EOE records to its log (the fixture real-6.18.log has none: each event is
// its BPF/SYSCALL/PROCTITLE lines only). The auditd form therefore omits EOE unless asked; the
// kernel form and JSON keep it.

import type { AuditRecord } from './log.js';
import { AuditType } from './types.js';

/** Types auditd 3.0.9 has no name for (it writes `UNKNOWN[n]`). */
const UNNAMED_IN_AUDITD = new Set<number>([1420, 1421, 1422, 1423, 1424, 1425, 1426, 1427]);

export interface AuditdTextOptions {
  /** Write EOE lines too (auditd itself does not). */
  readonly eoe?: boolean;
  /** Name every type, instead of auditd 3.0.9's `UNKNOWN[n]` for 1420–1427. */
  readonly allTypeNames?: boolean;
}

export function stamp(r: AuditRecord): string {
  return `audit(${r.sec}.${String(r.ms).padStart(3, '0')}:${r.serial})`;
}

function typeToken(r: AuditRecord, allNames: boolean): string {
  const n = AuditType[r.type];
  return !allNames && UNNAMED_IN_AUDITD.has(n) ? `UNKNOWN[${n}]` : r.type;
}

/** One auditd log line per record. */
export function formatAuditd(records: readonly AuditRecord[], opts: AuditdTextOptions = {}): string[] {
  const out: string[] = [];
  for (const r of records) {
    if (r.type === 'EOE' && !opts.eoe) continue;
    out.push(`type=${typeToken(r, !!opts.allTypeNames)} msg=${stamp(r)}:${r.body ? ' ' + r.body : ''}`);
  }
  return out;
}

/** The kernel's own form (printk when no auditd runs). */
export function formatKernel(records: readonly AuditRecord[]): string[] {
  return records.map((r) => `audit: type=${AuditType[r.type]} ${stamp(r)}:${r.body ? ' ' + r.body : ''}`);
}

/** Split a record body into fields; quoted values lose their quotes. */
export function parseFields(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)=("([^"]*)"|\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) out[m[1]!] = m[3] ?? m[2]!;
  return out;
}

export interface AuditJsonEvent {
  readonly serial: number;
  readonly time: string;
  readonly records: { type: string; typeNumber: number; body: string; fields: Record<string, string> }[];
}

/** Events grouped by serial, records in emission order, with parsed fields. */
export function toJson(records: readonly AuditRecord[]): AuditJsonEvent[] {
  const by = new Map<number, AuditJsonEvent>();
  for (const r of records) {
    let ev = by.get(r.serial);
    if (!ev) {
      ev = { serial: r.serial, time: `${r.sec}.${String(r.ms).padStart(3, '0')}`, records: [] };
      by.set(r.serial, ev);
    }
    ev.records.push({ type: r.type, typeNumber: AuditType[r.type], body: r.body, fields: parseFields(r.body) });
  }
  return [...by.values()];
}
