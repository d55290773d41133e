// The audit log: records with a type, a serial and a timestamp, grouped per syscall.
// spec: AUD-SER-1 (the first record in syscall context takes the serial; the event then ends with
// SYSCALL, PROCTITLE and EOE at syscall exit), AUD-SER-2 (LSM records come before SYSCALL),
// AUD-SER-3 (no record and no matching rule → no SYSCALL record), AUD-SC-1/2/4 (field order and
// encoding), AUD-BPF-2 (nothing when audit is off), AUD-FMT-2 (one stamp per event),
// OBS-AUD-1 (records of nested loader calls belong to the outer syscall's event).

import type { Clock } from '../abi/clock.js';
import type { CredIds } from '../abi/creds.js';
import { RetainedList, type RetentionOptions } from '../abi/records.js';
import { ruleMatches, type AuditRule, type RuleSubject } from './rules.js';
import { AuditType, type AuditTypeName } from './types.js';

export interface AuditRecord {
  readonly type: AuditTypeName;
  readonly serial: number;
  readonly sec: number;
  /** Milliseconds, 0–999 (auditd prints three digits). */
  readonly ms: number;
  /** The text after `msg=audit(…): `. */
  readonly body: string;
}

/** What the SYSCALL record needs to know about the calling task. */
export interface AuditTask extends CredIds {
  readonly pid: number;
  readonly ppid: number;
  readonly auid: number;
  readonly ses: number;
  readonly tty: string | null;
  readonly comm: string;
  readonly exe: string;
  readonly argv: readonly string[];
}

/** Per-syscall audit state (struct audit_context). */
export class AuditContext {
  serial = 0;
  /** Set when a record was logged in this context: the event must be completed at exit. */
  dirty = false;
  constructor(
    readonly task: AuditTask,
    readonly nr: number,
    readonly args: readonly bigint[],
    readonly sec: number,
    readonly ms: number,
  ) {}
}

/** AUDIT_OFF, AUDIT_ON, AUDIT_LOCKED. */
export type AuditEnabled = 0 | 1 | 2;

const AUDIT_ARCH_X86_64 = 'c000003e';
/** MAX_PROCTITLE_AUDIT_LEN */
const PROCTITLE_MAX = 128;

/** audit_log_n_untrustedstring: quote, or hex (upper case) if there is a control char, space or quote. */
export function untrustedString(s: string | Uint8Array): string {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
  for (const c of b) {
    if (c === 0x22 || c < 0x21 || c > 0x7e) return b.toString('hex').toUpperCase();
  }
  return `"${b.toString('latin1')}"`;
}

/** Audit records kept by default (what auditd would have written; the ring keeps the newest). */
export const DEFAULT_AUDIT_CAPACITY = 50_000;

export class AuditLog {
  enabled: AuditEnabled;
  rules: AuditRule[];
  private readonly kept: RetainedList<AuditRecord>;
  private nextSerial: number;
  /** Listener for each emitted record (the kernel puts them in its trace). */
  onRecord: ((r: AuditRecord) => void) | undefined;

  constructor(
    private readonly clock: Clock,
    opts: { enabled?: boolean; rules?: AuditRule[]; firstSerial?: number; retention?: RetentionOptions } = {},
  ) {
    this.kept = new RetainedList(opts.retention ?? {}, DEFAULT_AUDIT_CAPACITY);
    this.enabled = opts.enabled === false ? 0 : 1;
    this.rules = opts.rules ?? [];
    this.nextSerial = opts.firstSerial ?? 1;
  }

  /** audit_syscall_entry: the timestamp is taken now; the serial later (AUD-SER-1). */
  syscallEntry(task: AuditTask, nr: number, args: readonly bigint[]): AuditContext | null {
    if (this.enabled === 0) return null;
    const { sec, nsec } = this.clock.now();
    return new AuditContext(task, nr, args, sec, Math.floor(nsec / 1_000_000));
  }

  private stamp(ctx: AuditContext | null): { serial: number; sec: number; ms: number } {
    if (ctx) {
      if (ctx.serial === 0) ctx.serial = this.nextSerial++;
      return { serial: ctx.serial, sec: ctx.sec, ms: ctx.ms };
    }
    const { sec, nsec } = this.clock.now();
    return { serial: this.nextSerial++, sec, ms: Math.floor(nsec / 1_000_000) };
  }

  /** The retained records in emission order, as auditd received them (see `dropped`). */
  get records(): AuditRecord[] {
    return this.kept.items;
  }

  /** Records dropped from the front of the ring (0 with keepAll, or while under capacity). */
  get dropped(): number {
    return this.kept.dropped;
  }

  private push(r: AuditRecord): AuditRecord {
    this.kept.push(r);
    this.onRecord?.(r);
    return r;
  }

  /**
   * audit_log_start/format/end: emit one record in the context of the current syscall (or as a
   * standalone event when ctx is null). Returns null when audit is off (AUD-BPF-2).
   */
  log(ctx: AuditContext | null, type: AuditTypeName, body: string): AuditRecord | null {
    if (this.enabled === 0) return null;
    const st = this.stamp(ctx);
    if (ctx) ctx.dirty = true;
    return this.push({ type, ...st, body });
  }

  /**
   * audit_syscall_exit: when the syscall logged a record or a rule matched, complete the event with
   * SYSCALL, PROCTITLE and EOE, all with the event's stamp. spec: AUD-SER-1, AUD-SER-3
   */
  syscallExit(ctx: AuditContext | null, ret: number | null): void {
    if (!ctx || this.enabled === 0) return;
    const t = ctx.task;
    // ret null: the task died inside the call (__audit_free after an oops): return_valid is
    // AUDITSC_INVALID, so success/exit rule fields match nothing and the record has neither.
    const subject: RuleSubject = {
      nr: ctx.nr,
      args: ctx.args,
      success: ret === null ? null : ret >= 0,
      exit: ret,
      pid: t.pid,
      uid: t.uid,
      euid: t.euid,
      auid: t.auid,
    };
    let key: string | null = null;
    let matched = false;
    for (const rule of this.rules) {
      if (ruleMatches(rule, subject)) {
        matched = rule.action === 'always';
        key = matched ? rule.key : null;
        break;
      }
    }
    if (!matched && !ctx.dirty) return;
    const st = this.stamp(ctx);
    // The bodies are formatted when first read, from the task and arguments as they were at exit
    // (AuditContext and AuditTask are snapshots; issue K: most records of a long run are never read).
    this.push(lazyRecord('SYSCALL', st, () => syscallBody(ctx, ret, key)));
    if (t.argv.some((a) => a.length > 0) || t.argv.length > 1) this.push(lazyRecord('PROCTITLE', st, () => proctitleBody(t.argv)));
    this.push({ type: 'EOE', ...st, body: '' });
  }

  /** Records grouped by serial (one group per event), in emission order of each event's first record. */
  events(): { serial: number; records: AuditRecord[] }[] {
    const by = new Map<number, AuditRecord[]>();
    for (const r of this.records) {
      const g = by.get(r.serial);
      if (g) g.push(r);
      else by.set(r.serial, [r]);
    }
    return [...by].map(([serial, records]) => ({ serial, records }));
  }

  clear(): void {
    this.kept.clear();
  }
}

function u32(n: number): number {
  return n >>> 0;
}

/** The SYSCALL record's text (AUD-SC-1/2/4: field order and encoding). */
function syscallBody(ctx: AuditContext, ret: number | null, key: string | null): string {
  const t = ctx.task;
  const hexArg = (i: number) => BigInt.asUintN(64, ctx.args[i] ?? 0n).toString(16);
  return (
    `arch=${AUDIT_ARCH_X86_64} syscall=${ctx.nr}${ret === null ? '' : ` success=${ret >= 0 ? 'yes' : 'no'} exit=${ret}`}` +
    ` a0=${hexArg(0)} a1=${hexArg(1)} a2=${hexArg(2)} a3=${hexArg(3)} items=0` +
    ` ppid=${t.ppid} pid=${t.pid} auid=${u32(t.auid)} uid=${t.uid} gid=${t.gid} euid=${t.euid}` +
    ` suid=${t.suid} fsuid=${t.fsuid} egid=${t.egid} sgid=${t.sgid} fsgid=${t.fsgid}` +
    ` tty=${t.tty ?? '(none)'} ses=${u32(t.ses)} comm=${untrustedString(t.comm.slice(0, 15))}` +
    ` exe=${untrustedString(t.exe)} key=${key === null ? '(null)' : `"${key}"`}`
  );
}

/** The PROCTITLE record's text: argv joined by NULs, at most MAX_PROCTITLE_AUDIT_LEN bytes. */
function proctitleBody(argv: readonly string[]): string {
  return `proctitle=${untrustedString(Buffer.from(argv.join('\0'), 'utf8').subarray(0, PROCTITLE_MAX))}`;
}

/**
 * A record whose `body` is an ordinary (enumerable, read-only) property that is formatted on first
 * read: the formatter waits in a private field (no second property to define per record).
 */
class LazyRecord {
  readonly type: AuditTypeName;
  readonly serial: number;
  readonly sec: number;
  readonly ms: number;
  #format: (() => string) | undefined;
  constructor(type: AuditTypeName, st: { serial: number; sec: number; ms: number }, format: () => string) {
    this.type = type;
    this.serial = st.serial;
    this.sec = st.sec;
    this.ms = st.ms;
    this.#format = format;
    Object.defineProperty(this, 'body', LazyRecord.#body);
  }
  static readonly #body: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: LazyRecord) {
      const value = this.#format!();
      Object.defineProperty(this, 'body', { value, enumerable: true, configurable: false, writable: false });
      this.#format = undefined;
      return value;
    },
  };
}

function lazyRecord(type: AuditTypeName, st: { serial: number; sec: number; ms: number }, format: () => string): AuditRecord {
  return new LazyRecord(type, st, format) as unknown as AuditRecord;
}

export { AuditType };
