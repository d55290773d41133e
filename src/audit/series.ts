// An audit series: one audit log over several emulated kernels booted one after the other, as
// `demo`, `compare`, `explain`, `replay` (several files) and `claims` do. Each kernel alone would
// start at serial 1 and at the same virtual instant, so two runs' events would carry the same
// `audit(SEC.MS:SERIAL)` stamps and ausearch, which groups records into events by stamp, would
// merge them (AUD-FMT-2: all records of one event share one stamp; AUD-TOOL-1). A series hands each
// kernel, when it boots, a virtual clock that starts on the whole second after the previous kernel's
// clock stopped, and a first serial after the previous kernel's last one — deterministic, and no
// serial or timestamp is reused within one output. The first kernel of a series gets what a lone
// kernel gets (serial 1, DEFAULT_EPOCH_SEC), so a one-run command's log is unchanged.
// spec: AUD-FMT-2, AUD-SER-1, AUD-EMIT-1 (injectable clock and serial allocator), AUD-TOOL-1.

import { DEFAULT_EPOCH_SEC, VirtualClock, type Clock } from '../syscall/clock.js';
import { formatAuditd, type AuditdTextOptions } from './format.js';
import type { AuditLog, AuditRecord } from './log.js';

/** Where the next kernel of a series starts. */
export interface AuditSeriesStart {
  /** The kernel's clock (a VirtualClock with the kernel's default step). */
  readonly clock: Clock;
  /** The serial its audit log hands out first. */
  readonly firstSerial: number;
}

interface Member {
  readonly log: AuditLog;
  readonly clock: Clock;
  /** The records already taken from this log (a member is read incrementally). */
  taken: number;
}

export class AuditSeries {
  private readonly done: AuditRecord[] = [];
  private live: Member | null = null;
  private nextSerial: number;
  private nextSec: number;
  private count = 0;

  constructor(opts: { readonly firstSerial?: number; readonly startSec?: number } = {}) {
    this.nextSerial = opts.firstSerial ?? 1;
    this.nextSec = opts.startSec ?? DEFAULT_EPOCH_SEC;
  }

  /** How many kernels have joined. */
  get kernels(): number {
    return this.count;
  }

  /**
   * Called by a kernel as it boots (KernelOptions.audit.series): ends the previous kernel's part
   * and returns where this one starts. The kernel then calls `attach` with its log.
   */
  next(): AuditSeriesStart {
    this.close();
    return { clock: new VirtualClock(this.nextSec), firstSerial: this.nextSerial };
  }

  /** The log (and the clock it stamps with) of the kernel that just booted. */
  attach(log: AuditLog, clock: Clock): void {
    this.close();
    this.live = { log, clock, taken: 0 };
    this.count++;
  }

  /** Take the live kernel's records and move the series past its last serial and its clock. */
  private close(): void {
    const m = this.live;
    if (!m) return;
    this.take(m);
    let last = this.nextSerial - 1;
    for (const r of m.log.records) if (r.serial > last) last = r.serial;
    this.nextSerial = last + 1;
    // The whole second after the kernel's clock (which is at or after its last record's stamp).
    const now = m.clock.now();
    this.nextSec = Math.max(this.nextSec, now.sec + 1);
    this.live = null;
  }

  private take(m: Member): void {
    const rs = m.log.records;
    if (rs.length < m.taken) m.taken = 0; // the log was cleared; what it held is already taken
    for (let i = m.taken; i < rs.length; i++) this.done.push(rs[i]!);
    m.taken = rs.length;
  }

  /** Every record of every kernel so far, in boot order, then emission order. */
  records(): readonly AuditRecord[] {
    if (this.live) this.take(this.live);
    return this.done;
  }

  /** The whole log in auditd's form (what `--audit-file` writes): one line per record, no EOE. */
  auditdText(opts: AuditdTextOptions = {}): string {
    const lines = formatAuditd(this.records(), opts);
    return lines.length ? lines.join('\n') + '\n' : '';
  }
}
