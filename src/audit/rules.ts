// Audit rules, in auditctl's own syntax: `-a always,exit -F arch=b64 -S bpf -k bpfsig`.
// Only the syscall-exit list is modelled (the one bpf() rules use). The first matching rule decides.

/** x86-64 syscall numbers of the calls the emulator handles. */
export const SYSCALL_NR: Readonly<Record<string, number>> = {
  write: 1,
  close: 3,
  dup2: 33,
  add_key: 248,
  keyctl: 250,
  bpf: 321,
};

export function syscallName(nr: number): string {
  for (const [k, v] of Object.entries(SYSCALL_NR)) if (v === nr) return k;
  return String(nr);
}

export type FieldOp = '=' | '!=' | '<' | '>' | '<=' | '>=';

export interface RuleField {
  readonly name: string;
  readonly op: FieldOp;
  readonly value: string;
}

export interface AuditRule {
  readonly action: 'always' | 'never';
  /** Syscall numbers, or every syscall. */
  readonly syscalls: ReadonlySet<number> | 'all';
  readonly fields: readonly RuleField[];
  readonly key: string | null;
  /** The rule as written, for messages. */
  readonly text: string;
}

/** The values a rule's `-F` fields are compared with at syscall exit. */
export interface RuleSubject {
  readonly nr: number;
  readonly args: readonly bigint[];
  /** null when the syscall never returned (AUDITSC_INVALID): success/exit fields then match nothing. */
  readonly success: boolean | null;
  readonly exit: number | null;
  readonly pid: number;
  readonly uid: number;
  readonly euid: number;
  readonly auid: number;
}

export class AuditRuleError extends Error {}

/** Parse one auditctl rule (`-a always,exit …`). Throws AuditRuleError with a message on bad syntax. */
export function parseAuditRule(text: string): AuditRule {
  const tok = text.trim().split(/\s+/);
  let action: 'always' | 'never' | undefined;
  let syscalls: Set<number> | 'all' | undefined;
  const fields: RuleField[] = [];
  let key: string | null = null;
  for (let i = 0; i < tok.length; i++) {
    const t = tok[i]!;
    const next = (): string => {
      const v = tok[++i];
      if (v === undefined) throw new AuditRuleError(`audit rule '${text}': ${t} needs a value`);
      return v;
    };
    if (t === '-a' || t === '-A') {
      const [a, b] = next().split(',');
      const [act, list] = a === 'exit' ? [b, a] : [a, b];
      if (list !== 'exit') throw new AuditRuleError(`audit rule '${text}': only the exit list is supported`);
      if (act !== 'always' && act !== 'never') throw new AuditRuleError(`audit rule '${text}': action must be always or never`);
      action = act;
    } else if (t === '-S') {
      const v = next();
      if (v === 'all') syscalls = 'all';
      else {
        const set = syscalls instanceof Set ? syscalls : new Set<number>();
        for (const name of v.split(',')) {
          const nr = /^\d+$/.test(name) ? Number(name) : Object.prototype.hasOwnProperty.call(SYSCALL_NR, name) ? SYSCALL_NR[name] : undefined;
          if (nr === undefined) throw new AuditRuleError(`audit rule '${text}': unknown syscall '${name}'`);
          set.add(nr);
        }
        syscalls = set;
      }
    } else if (t === '-F') {
      const m = /^([a-z0-9_]+)(!=|<=|>=|=|<|>)(.*)$/.exec(next());
      if (!m) throw new AuditRuleError(`audit rule '${text}': bad field`);
      const [, name, op, value] = m;
      if (name === 'arch') {
        if (value !== 'b64' && value !== 'x86_64' && value !== 'c000003e') {
          throw new AuditRuleError(`audit rule '${text}': only arch=b64 is emulated`);
        }
        continue;
      }
      if (name === 'key') key = value!;
      else fields.push({ name: name!, op: op as FieldOp, value: value! });
    } else if (t === '-k') {
      key = next();
    } else {
      throw new AuditRuleError(`audit rule '${text}': unexpected '${t}'`);
    }
  }
  if (!action) throw new AuditRuleError(`audit rule '${text}': missing -a always,exit`);
  return { action, syscalls: syscalls ?? 'all', fields, key, text: text.trim() };
}

function fieldValue(name: string, s: RuleSubject): bigint | undefined {
  switch (name) {
    case 'pid':
      return BigInt(s.pid);
    case 'uid':
      return BigInt(s.uid);
    case 'euid':
      return BigInt(s.euid);
    case 'auid':
      return BigInt.asUintN(32, BigInt(s.auid));
    case 'success':
      return s.success === null ? undefined : s.success ? 1n : 0n;
    case 'exit':
      return s.exit === null ? undefined : BigInt(s.exit);
    case 'a0':
    case 'a1':
    case 'a2':
    case 'a3':
      return s.args[Number(name[1])] ?? 0n;
    default:
      return undefined;
  }
}

/** A rule field's number (decimal, hex, or `unset`); throws AuditRuleError when it is none. */
export function parseRuleNumber(v: string): bigint {
  if (/^-?\d+$/.test(v)) return BigInt(v);
  if (/^(0x)?[0-9a-f]+$/i.test(v)) return BigInt(v.startsWith('0x') ? v : '0x' + v);
  if (v === 'unset') return 4294967295n;
  throw new AuditRuleError(`bad number '${v}'`);
}

export function ruleMatches(rule: AuditRule, s: RuleSubject): boolean {
  if (rule.syscalls !== 'all' && !rule.syscalls.has(s.nr)) return false;
  for (const f of rule.fields) {
    const have = fieldValue(f.name, s);
    if (have === undefined) return false;
    const want = parseRuleNumber(f.value);
    const ok =
      f.op === '=' ? have === want : f.op === '!=' ? have !== want : f.op === '<' ? have < want : f.op === '>' ? have > want : f.op === '<=' ? have <= want : have >= want;
    if (!ok) return false;
  }
  return true;
}

/** The default: every bpf() call, as the fixture capture did (`-a always,exit -F arch=b64 -S bpf -k bpfsig`). */
export const DEFAULT_RULES: readonly string[] = ['-a always,exit -F arch=b64 -S bpf -k bpfsig'];
