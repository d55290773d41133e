// The audit log: records with a type, a serial and a timestamp, grouped per syscall.
// spec: AUD-SER-1 (the first record in syscall context takes the serial; the event then ends with
// SYSCALL, PROCTITLE and EOE at syscall exit), AUD-SER-2 (LSM records come before SYSCALL),
// AUD-SER-3 (no record and no matching rule → no SYSCALL record), AUD-SC-1/2/4 (field order and
// encoding), AUD-BPF-2 (nothing when audit is off), AUD-FMT-2 (one stamp per event),
// OBS-AUD-1 (records of nested loader calls belong to the outer syscall's event).

import type { Clock } from '../abi/clock.js';
import type { CredIds } from '../abi/creds.js';
import { RetainedList, type RetentionOptions } from '../abi/records.js';
import { parseRuleNumber, type AuditRule, type RuleField } from './rules.js';
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
  /** At exit: the return value (null: the task died in the call) and the matching rule's key. */
  ret: number | null = null;
  key: string | null = null;
  // The records that complete the event (SYSCALL, PROCTITLE, EOE), made when first asked for (issue
  // K: the log and the trace keep this context and which part, no record object, closure or
  // property made at exit); SYSCALL's and PROCTITLE's bodies are formatted when first read, from
  // the exit's snapshots.
  #syscall: AuditRecord | undefined = undefined;
  #proctitle: AuditRecord | undefined = undefined;
  #eoe: AuditRecord | undefined = undefined;
  constructor(
    readonly task: AuditTask,
    readonly nr: number,
    readonly args: readonly bigint[],
    readonly sec: number,
    readonly ms: number,
  ) {}

  type(part: AuditExitPart): AuditTypeName {
    return EXIT_TYPES[part]!;
  }
  /** A record of the syscall's exit (the same object on every call). */
  record(part: AuditExitPart): AuditRecord {
    if (part === EXIT_SYSCALL) return (this.#syscall ??= new LazyRecord(this, part) as unknown as AuditRecord);
    if (part === EXIT_PROCTITLE) return (this.#proctitle ??= new LazyRecord(this, part) as unknown as AuditRecord);
    return (this.#eoe ??= { type: 'EOE', serial: this.serial, sec: this.sec, ms: this.ms, body: '' });
  }
  /** A record's body text. */
  format(part: AuditExitPart): string {
    return part === EXIT_SYSCALL ? syscallBody(this, this.ret, this.key) : part === EXIT_PROCTITLE ? proctitleBody(this.task.argv) : '';
  }
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
  #rules: readonly AuditRule[] = [];
  /** The rules compiled once per change (issue K): what syscallExit asks of every syscall. */
  #match: CompiledRules = NO_RULES;
  private readonly kept: RetainedList<AuditRecord>;
  private nextSerial: number;
  /**
   * Listener for each emitted record (the kernel puts them in its trace). The records of a
   * syscall's exit (SYSCALL, PROCTITLE, EOE) come as the syscall's AuditContext and which of them it
   * is: `ctx.record(part)` gives the record (the same object the log's `records` holds), made when
   * first asked for.
   */
  onRecord: ((r: AuditRecord | AuditContext, part: AuditExitPart) => void) | undefined;

  constructor(
    private readonly clock: Clock,
    opts: { enabled?: boolean; rules?: readonly AuditRule[]; firstSerial?: number; retention?: RetentionOptions } = {},
  ) {
    this.kept = new RetainedList(opts.retention ?? {}, DEFAULT_AUDIT_CAPACITY, EXIT_PACKING);
    this.enabled = opts.enabled === false ? 0 : 1;
    this.rules = opts.rules ?? [];
    this.nextSerial = opts.firstSerial ?? 1;
  }

  /** The syscall-exit rules, first match decides (a frozen copy: set a new list to change them). */
  get rules(): readonly AuditRule[] {
    return this.#rules;
  }
  set rules(rules: readonly AuditRule[]) {
    this.#rules = Object.freeze(rules.slice());
    this.#match = compileRules(this.#rules);
  }

  /** audit_syscall_entry: the timestamp is taken now; the serial later (AUD-SER-1). */
  syscallEntry(task: AuditTask, nr: number, args: readonly bigint[]): AuditContext | null {
    if (this.enabled === 0) return null;
    const { sec, nsec } = this.clock.now();
    return new AuditContext(task, nr, args, sec, Math.floor(nsec / 1_000_000));
  }

  /** The event's serial: taken by its first record (AUD-SER-1). */
  private serialOf(ctx: AuditContext): number {
    if (ctx.serial === 0) ctx.serial = this.nextSerial++;
    return ctx.serial;
  }

  /**
   * The retained records in emission order, as auditd received them (see `dropped`): a copy, so an
   * array kept by a reader never changes under it (the log holds later records in a cheap form
   * until a read makes them).
   */
  get records(): AuditRecord[] {
    return this.kept.items;
  }

  /** Records dropped from the front of the ring (0 with keepAll, or while under capacity). */
  get dropped(): number {
    return this.kept.dropped;
  }

  private push(r: AuditRecord): void {
    this.kept.push(r);
    this.onRecord?.(r, 0);
  }

  private pushExit(x: AuditContext, part: AuditExitPart): void {
    this.kept.pushPacked(part, x);
    this.onRecord?.(x, part);
  }

  /**
   * audit_log_start/format/end: emit one record in the context of the current syscall (or as a
   * standalone event when ctx is null). Returns null when audit is off (AUD-BPF-2).
   */
  log(ctx: AuditContext | null, type: AuditTypeName, body: string): AuditRecord | null {
    if (this.enabled === 0) return null;
    let r: AuditRecord;
    if (ctx) {
      r = { type, serial: this.serialOf(ctx), sec: ctx.sec, ms: ctx.ms, body };
      ctx.dirty = true;
    } else {
      const { sec, nsec } = this.clock.now();
      r = { type, serial: this.nextSerial++, sec, ms: Math.floor(nsec / 1_000_000), body };
    }
    this.push(r);
    return r;
  }

  /**
   * audit_syscall_exit: when the syscall logged a record or a rule matched, complete the event with
   * SYSCALL, PROCTITLE and EOE, all with the event's stamp. spec: AUD-SER-1, AUD-SER-3
   */
  syscallExit(ctx: AuditContext | null, ret: number | null): void {
    if (!ctx || this.enabled === 0) return;
    // ret null: the task died inside the call (__audit_free after an oops): return_valid is
    // AUDITSC_INVALID, so success/exit rule fields match nothing and the record has neither.
    const key = this.#match(ctx, ret);
    if (key === NO_MATCH && !ctx.dirty) return;
    const t = ctx.task;
    // The records are made, and their bodies formatted, when first read, from the task and arguments
    // as they were at exit (AuditContext and AuditTask are snapshots; issue K: most records of a
    // long run are never read): the log and the trace keep the context and which record.
    this.serialOf(ctx);
    ctx.ret = ret;
    ctx.key = key === NO_MATCH ? null : key;
    this.pushExit(ctx, EXIT_SYSCALL);
    if (t.argv.length > 1 || t.argv.some((a) => a.length > 0)) this.pushExit(ctx, EXIT_PROCTITLE);
    this.pushExit(ctx, EXIT_EOE);
  }

  /** Records grouped by serial (one group per event), in emission order of each event's first record. */
  events(): { serial: number; records: AuditRecord[] }[] {
    const by = new Map<number, AuditRecord[]>();
    for (const r of this.kept.items) {
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

/** A compiled rule list: the matching rule's key (null: none), or NO_MATCH (no rule, or a `never` rule, decided). */
type CompiledRules = (ctx: AuditContext, ret: number | null) => string | null | typeof NO_MATCH;
const NO_MATCH = Symbol('no audit rule matched');
const NO_RULES: CompiledRules = () => NO_MATCH;

/**
 * The rules as one predicate (issue K: compiled when the rules are set, not interpreted per
 * syscall). Same decisions as ruleMatches over the list, first match deciding, fields tested in
 * order: a field's number that does not parse throws when the field is reached, as ruleMatches does.
 */
function compileRules(rules: readonly AuditRule[]): CompiledRules {
  const compiled: { always: boolean; key: string | null; nrs: ReadonlySet<number> | null; fields: FieldTest[] }[] = [];
  for (const rule of rules) {
    const fields = rule.fields.map(fieldTest);
    compiled.push({ always: rule.action === 'always', key: rule.action === 'always' ? rule.key : null, nrs: rule.syscalls === 'all' ? null : rule.syscalls, fields });
  }
  if (compiled.length === 0) return NO_RULES;
  return (ctx, ret) => {
    for (let i = 0; i < compiled.length; i++) {
      const c = compiled[i]!;
      if (c.nrs !== null && !c.nrs.has(ctx.nr)) continue;
      let ok = true;
      for (let j = 0; j < c.fields.length; j++) {
        if (!c.fields[j]!(ctx, ret)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      return c.always ? c.key : NO_MATCH;
    }
    return NO_MATCH;
  };
}

type FieldTest = (ctx: AuditContext, ret: number | null) => boolean;

/** One `-F` field as a test (a field ruleMatches never finds a value for never matches). */
function fieldTest(f: RuleField): FieldTest {
  const value = fieldReader(f.name);
  if (value === null) return () => false;
  let want: bigint | undefined;
  let bad: unknown;
  try {
    want = parseRuleNumber(f.value);
  } catch (e) {
    bad = e;
  }
  const op = f.op;
  return (ctx, ret) => {
    const have = value(ctx, ret);
    if (have === undefined) return false;
    if (want === undefined) throw bad;
    return op === '=' ? have === want : op === '!=' ? have !== want : op === '<' ? have < want : op === '>' ? have > want : op === '<=' ? have <= want : have >= want;
  };
}

/** fieldValue of rules.ts, read from the audit context. */
function fieldReader(name: string): ((ctx: AuditContext, ret: number | null) => bigint | undefined) | null {
  switch (name) {
    case 'pid':
      return (c) => BigInt(c.task.pid);
    case 'uid':
      return (c) => BigInt(c.task.uid);
    case 'euid':
      return (c) => BigInt(c.task.euid);
    case 'auid':
      return (c) => BigInt.asUintN(32, BigInt(c.task.auid));
    case 'success':
      return (_, ret) => (ret === null ? undefined : ret >= 0 ? 1n : 0n);
    case 'exit':
      return (_, ret) => (ret === null ? undefined : BigInt(ret));
    case 'a0':
    case 'a1':
    case 'a2':
    case 'a3': {
      const i = Number(name[1]);
      return (c) => c.args[i] ?? 0n;
    }
    default:
      return null;
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
  #from: AuditContext | undefined;
  readonly #part: AuditExitPart;
  constructor(from: AuditContext, part: AuditExitPart) {
    this.type = from.type(part);
    this.serial = from.serial;
    this.sec = from.sec;
    this.ms = from.ms;
    this.#from = from;
    this.#part = part;
    Object.defineProperty(this, 'body', LazyRecord.#body);
  }
  static readonly #body: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: LazyRecord) {
      const value = this.#from!.format(this.#part);
      Object.defineProperty(this, 'body', { value, enumerable: true, configurable: false, writable: false });
      this.#from = undefined;
      return value;
    },
  };
}

/** Which record of a syscall's exit: SYSCALL, PROCTITLE, EOE (0 also for any other record). */
export type AuditExitPart = 0 | 1 | 2;
const EXIT_SYSCALL = 0;
const EXIT_PROCTITLE = 1;
const EXIT_EOE = 2;
const EXIT_TYPES: readonly AuditTypeName[] = ['SYSCALL', 'PROCTITLE', 'EOE'];

/** The audit log's packed entries: an exit's part, its AuditContext in the one column. */
const EXIT_PACKING = {
  columns: 1,
  decode: (part: number, cols: readonly (readonly unknown[])[], slot: number): AuditRecord => (cols[0]![slot] as AuditContext).record(part as AuditExitPart),
};

export { AuditType };
