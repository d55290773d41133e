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

import { DEFAULT_EPOCH_SEC, VirtualClock, type Clock } from '../abi/clock.js';
import { formatAuditd, type AuditdTextOptions } from './format.js';
import { AuditContext, type AuditLog, type AuditRecord } from './log.js';

/** Where the next kernel of a series starts. */
export interface AuditSeriesStart {
  /** The kernel's clock (a VirtualClock with the kernel's default step). */
  readonly clock: Clock;
  /** The serial its audit log hands out first. */
  readonly firstSerial: number;
}

interface Member {
  readonly clock: Clock;
  /** The highest serial the kernel's log used. */
  lastSerial: number;
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

  /**
   * The log (and the clock it stamps with) of the kernel that just booted. The series takes each
   * record as the log emits it (after the log's own listener), so it has the whole log even when
   * the kernel's log keeps only its newest records (a retention ring).
   */
  attach(log: AuditLog, clock: Clock): void {
    this.close();
    const m: Member = { clock, lastSerial: this.nextSerial - 1 };
    const forward = log.onRecord;
    log.onRecord = (e, part) => {
      forward?.(e, part);
      const r = e instanceof AuditContext ? e.record(part) : e;
      this.done.push(r);
      if (r.serial > m.lastSerial) m.lastSerial = r.serial;
    };
    this.live = m;
    this.count++;
  }

  /** Move the series past the live kernel's last serial and its clock. */
  private close(): void {
    const m = this.live;
    if (!m) return;
    this.nextSerial = Math.max(this.nextSerial, m.lastSerial + 1);
    // The whole second after the kernel's clock (which is at or after its last record's stamp).
    this.nextSec = Math.max(this.nextSec, m.clock.now().sec + 1);
    this.live = null;
  }

  /** Every record of every kernel so far, in boot order, then emission order. */
  records(): readonly AuditRecord[] {
    return this.done;
  }

  /** The whole log in auditd's form (what `--audit-file` writes): one line per record, no EOE. */
  auditdText(opts: AuditdTextOptions = {}): string {
    const lines = formatAuditd(this.done, opts);
    return lines.length ? lines.join('\n') + '\n' : '';
  }
}
