// IPE's policy parser, following security/ipe/policy_parser.c (ipe_parse_policy, parse_header,
// parse_version, parse_rule, parse_property, validate_policy) and digest.c (ipe_digest_parse),
// plus the Hornet integration's tokens (IPE-3). What the kernel does, and so what this does:
//
//  - The text is read up to its first NUL byte (kmemdup_nul + strsep); empty text is -EBADMSG.
//  - Lines are split at every '\n' and every '\r'. On each line everything from the first '#' on is
//    dropped, then trailing whitespace (isspace); lines left empty are skipped.
//  - The first non-empty line is the header: exactly two tokens (split at spaces and tabs),
//    `policy_name=<non-empty>` then `policy_version=<u16>.<u16>.<u16>`; anything else -EBADMSG.
//    A version part that is not a decimal number (kstrtou16: an optional '+', digits) is -EINVAL,
//    one above 65535 -ERANGE, fewer or more than three parts -EBADMSG.
//  - Every later line is a rule. Its last token must be `action=ALLOW` or `action=DENY`. A first
//    token `DEFAULT` makes it a default: `DEFAULT action=…` (global) or `DEFAULT op=<OP> action=…`
//    (that op's); a default with properties, or a second default for the same scope, is -EBADMSG.
//    Otherwise the first token must be `op=<OP>` and the ones between it and the action properties
//    the kernel knows; an unknown op or property (or a second `op=`) is -EBADMSG. Properties may
//    repeat; DEFAULT lines may come anywhere after the header.
//  - A digest property's value is `<alg>:<hex>`: no ':' is -EBADMSG, odd or non-hex digits -EINVAL.
//  - At the end: no header, or no global DEFAULT while some op has no DEFAULT, is -EBADMSG.
//
// The kernel returns only the errno; the line and column are bpfsig's, so that a bad policy gets a
// message that says where (the errno is the kernel's). spec: IPE-3, IPE-5.

import { Errno, errnoName } from '../../abi/errno.js';
import { LsmConfigError } from '../registry.js';
import {
  IPE_BPF_PROPS,
  IPE_DIGEST_KEYS,
  IPE_FLAG_PROPS,
  IPE_OPS,
  type IpeAction,
  type IpeDigest,
  type IpeOp,
  type IpeOpTable,
  type IpePolicy,
  type IpeProp,
  type IpeRule,
} from './policy.js';

/** A policy IPE refuses: the kernel's errno (negative), and where bpfsig found the problem. */
export class IpePolicyError extends LsmConfigError {
  override readonly name: string = 'IpePolicyError';
  constructor(
    /** -EBADMSG, -EINVAL or -ERANGE, as ipe_parse_policy returns it. */
    readonly errno: number,
    /** 1-based line and column (column counts characters of the line as written). */
    readonly line: number,
    readonly column: number,
    /** What is wrong, one line. */
    readonly reason: string,
    readonly file?: string,
  ) {
    super(`${file ?? 'IPE policy'}:${line}:${column}: ${reason} (-${errnoName(-errno) ?? errno})`);
  }
}

export interface ParseOptions {
  /**
   * The kernel's IPE has the Hornet integration (op=BPF_PROG_LOAD and the bpf_* properties). Its
   * parser knows those tokens; one without it rejects them. Default true.
   */
  readonly bpf?: boolean;
  /** File name for messages. */
  readonly file?: string;
}

interface Token {
  readonly text: string;
  /** 1-based column. */
  readonly col: number;
}

interface Line {
  /** The line after comment and trailing-space removal. */
  readonly text: string;
  /** 1-based line number as an editor counts lines (CR LF is one break). */
  readonly line: number;
  /** 1-based column of the first character. */
  readonly col: number;
}

/** isspace() in the kernel's ctype: space, \t, \n, \v, \f, \r. */
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/** strsep(&policy, "\n\r") over the text, with remove_comment and remove_trailing_spaces applied. */
function policyLines(text: string): Line[] {
  const out: Line[] = [];
  let lineNo = 1;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (i < text.length && c !== '\n' && c !== '\r') continue;
    let s = text.slice(start, i);
    const hash = s.indexOf('#');
    if (hash >= 0) s = s.slice(0, hash);
    let end = s.length;
    while (end > 0 && isSpace(s[end - 1]!)) end--;
    s = s.slice(0, end);
    // A CR LF pair is two kernel delimiters (an empty line between them) but one line break.
    const crlf = c === '\r' && text[i + 1] === '\n';
    if (s.length > 0) out.push({ text: s, line: lineNo, col: 1 });
    if (i < text.length && !crlf) lineNo++;
    start = i + 1;
  }
  return out;
}

/** strsep(&line, " \t") tokens, empty ones included (the kernel skips them where it loops). */
function splitTokens(l: Line): Token[] {
  const out: Token[] = [];
  let start = 0;
  for (let i = 0; i <= l.text.length; i++) {
    if (i < l.text.length && l.text[i] !== ' ' && l.text[i] !== '\t') continue;
    out.push({ text: l.text.slice(start, i), col: l.col + start });
    start = i + 1;
  }
  return out;
}

/** kstrtou16(s, 10): an optional '+', decimal digits, nothing after. */
function kstrtou16(s: string): number {
  let p = s;
  if (p[0] === '+') p = p.slice(1);
  let i = 0;
  let v = 0n;
  let overflow = false;
  while (i < p.length && p[i]! >= '0' && p[i]! <= '9') {
    v = v * 10n + BigInt(p.charCodeAt(i) - 48);
    if (v > 0xffff_ffff_ffff_ffffn) overflow = true;
    i++;
  }
  if (overflow) return -Errno.ERANGE;
  if (i === 0) return -Errno.EINVAL;
  if (i < p.length) return -Errno.EINVAL;
  if (v > 0xffffn) return -Errno.ERANGE;
  return Number(v);
}

/** hex2bin over `count` bytes: a non-hex character (or the string's end) is -EINVAL. */
function hex2bin(hex: string, count: number): Uint8Array | number {
  const out = new Uint8Array(count);
  const nib = (c: string | undefined): number => (c !== undefined && /^[0-9a-fA-F]$/.test(c) ? parseInt(c, 16) : -1);
  for (let i = 0; i < count; i++) {
    const hi = nib(hex[2 * i]);
    const lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return -Errno.EINVAL;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** ipe_digest_parse: `<alg>:<hex>`. */
function parseDigest(value: string): IpeDigest | { err: number; why: string } {
  const sep = value.indexOf(':');
  if (sep < 0) return { err: -Errno.EBADMSG, why: `digest '${value}' has no '<alg>:' prefix` };
  const raw = value.slice(sep + 1);
  const bytes = hex2bin(raw, (raw.length + 1) >> 1);
  if (typeof bytes === 'number') return { err: bytes, why: `digest '${value}' is not an even number of hex digits` };
  return { alg: value.slice(0, sep), digest: bytes };
}

class Parser {
  private name = '';
  private version = { major: 0, minor: 0, rev: 0 };
  private globalDefault: IpeAction | null = null;
  private readonly tables = new Map<IpeOp, { rules: IpeRule[]; defaultAction: IpeAction | null }>();
  private readonly ops: readonly IpeOp[];

  constructor(
    private readonly opts: ParseOptions,
    private readonly lines: readonly Line[],
  ) {
    this.ops = opts.bpf === false ? IPE_OPS.filter((o) => o !== 'BPF_PROG_LOAD') : IPE_OPS;
    for (const op of this.ops) this.tables.set(op, { rules: [], defaultAction: null });
  }

  fail(errno: number, line: number, col: number, why: string): never {
    throw new IpePolicyError(errno, line, col, why, this.opts.file);
  }

  /** parse_header */
  header(l: Line): void {
    const keys = ['policy_name', 'policy_version'] as const;
    let idx = 0;
    let lastEnd = l.col;
    for (const t of splitTokens(l)) {
      if (t.text === '') continue;
      if (idx >= keys.length) this.fail(-Errno.EBADMSG, l.line, t.col, `unexpected '${t.text}' after policy_version in the header`);
      const token = headerToken(t.text);
      if (token !== idx) {
        const want = `${keys[idx]}=<${idx === 0 ? 'name' : 'major.minor.rev'}>`;
        this.fail(-Errno.EBADMSG, l.line, t.col, `header: expected ${want}, found '${t.text}'${idx === 0 ? ' (the first line of a policy is policy_name=… policy_version=…)' : ''}`);
      }
      const value = t.text.slice(keys[idx]!.length + 1);
      if (idx === 0) this.name = value;
      else this.parseVersion(value, l.line, t.col + keys[1].length + 1);
      idx++;
      lastEnd = t.col + t.text.length;
    }
    if (idx !== keys.length) this.fail(-Errno.EBADMSG, l.line, lastEnd, `header: missing ${keys[idx]}=`);
  }

  /** parse_version: three u16 parts separated by '.'. */
  parseVersion(ver: string, line: number, col: number): void {
    const parts = ver.split('.');
    const cv: number[] = [];
    let off = 0;
    for (const [i, part] of parts.entries()) {
      if (i >= 3) this.fail(-Errno.EBADMSG, line, col + off, `policy_version '${ver}' has more than three parts`);
      const v = kstrtou16(part);
      if (v < 0) this.fail(v, line, col + off, v === -Errno.ERANGE ? `policy_version part '${part}' is above 65535` : `policy_version part '${part}' is not a decimal number`);
      cv.push(v);
      off += part.length + 1;
    }
    if (cv.length !== 3) this.fail(-Errno.EBADMSG, line, col, `policy_version '${ver}' must be major.minor.rev`);
    this.version = { major: cv[0]!, minor: cv[1]!, rev: cv[2]! };
  }

  /** parse_rule */
  rule(l: Line): void {
    const toks = splitTokens(l);
    const last = toks.pop()!;
    let isDefault = false;
    let first = true;
    let op: IpeOp | null = null;
    let opTok: Token | null = null;
    const props: { prop: IpeProp; tok: Token }[] = [];
    for (const t of toks) {
      if (t.text === '') continue;
      if (first && t.text === 'DEFAULT') {
        isDefault = true;
      } else if (op === null) {
        op = this.operation(t.text);
        if (op === null) {
          const why = t.text === 'DEFAULT' ? `'DEFAULT' must be the first token of a line` : this.unknownOpWhy(t.text, isDefault);
          this.fail(-Errno.EBADMSG, l.line, t.col, why);
        }
        opTok = t;
      } else {
        props.push({ prop: this.property(t, l.line), tok: t });
      }
      first = false;
    }
    const action = last.text === 'action=ALLOW' ? 'ALLOW' : last.text === 'action=DENY' ? 'DENY' : null;
    if (action === null) {
      const why = /^action=/.test(last.text)
        ? `unknown action '${last.text}' (action=ALLOW or action=DENY)`
        : `a rule must end with action=ALLOW or action=DENY, found '${last.text}'`;
      this.fail(-Errno.EBADMSG, l.line, last.col, why);
    }
    if (isDefault) {
      if (props.length > 0) this.fail(-Errno.EBADMSG, l.line, props[0]!.tok.col, `a DEFAULT line takes no properties ('${props[0]!.tok.text}')`);
      if (op === null) {
        if (this.globalDefault !== null) this.fail(-Errno.EBADMSG, l.line, l.col, 'a second global DEFAULT action');
        this.globalDefault = action;
      } else {
        const t = this.tables.get(op)!;
        if (t.defaultAction !== null) this.fail(-Errno.EBADMSG, l.line, opTok!.col, `a second DEFAULT for op=${op}`);
        t.defaultAction = action;
      }
      return;
    }
    if (op === null) this.fail(-Errno.EBADMSG, l.line, l.col, 'a rule must start with op=<OPERATION> (or DEFAULT)');
    this.tables.get(op)!.rules.push({ op, props: props.map((p) => p.prop), action, line: l.line });
  }

  /** parse_operation: one of the kernel's op tokens. */
  operation(t: string): IpeOp | null {
    if (!t.startsWith('op=')) return null;
    const name = t.slice(3) as IpeOp;
    return this.ops.includes(name) ? name : null;
  }

  unknownOpWhy(t: string, isDefault: boolean): string {
    if (t.startsWith('op=')) {
      const name = t.slice(3);
      if (name === 'BPF_PROG_LOAD') return `unknown operation 'op=BPF_PROG_LOAD': this kernel's IPE has no Hornet integration (no integrity hooks)`;
      return `unknown operation '${t}' (one of ${this.ops.map((o) => `op=${o}`).join(', ')})`;
    }
    return isDefault ? `expected op=<OPERATION> or action=… after DEFAULT, found '${t}'` : `a rule must start with op=<OPERATION>, found '${t}'`;
  }

  /** parse_property */
  property(t: Token, line: number): IpeProp {
    const flag = IPE_FLAG_PROPS.find((p) => p === t.text);
    if (flag) return { kind: 'flag', token: flag };
    if (this.opts.bpf !== false) {
      const bpf = IPE_BPF_PROPS.find((p) => p === t.text);
      if (bpf) return { kind: 'bpf', token: bpf };
    }
    for (const key of IPE_DIGEST_KEYS) {
      // "%s" matches a non-empty rest of the token.
      if (t.text.startsWith(`${key}=`) && t.text.length > key.length + 1) {
        const d = parseDigest(t.text.slice(key.length + 1));
        if ('err' in d) this.fail(d.err, line, t.col + key.length + 1, d.why);
        return { kind: 'digest', key, value: d };
      }
    }
    if (t.text.startsWith('op=')) this.fail(-Errno.EBADMSG, line, t.col, `a second op= in one rule ('${t.text}')`);
    if (/^action=/.test(t.text)) this.fail(-Errno.EBADMSG, line, t.col, `'${t.text}' must be the last token of the rule`);
    const key = t.text.split('=')[0]!;
    const known = [...IPE_FLAG_PROPS, ...(this.opts.bpf !== false ? IPE_BPF_PROPS : [])].filter((p) => p.startsWith(`${key}=`));
    if (known.length > 0) this.fail(-Errno.EBADMSG, line, t.col, `bad value in '${t.text}' (${known.join(', ')})`);
    if (this.opts.bpf === false && key.startsWith('bpf_')) this.fail(-Errno.EBADMSG, line, t.col, `unknown property '${t.text}': this kernel's IPE has no Hornet integration (no integrity hooks)`);
    this.fail(-Errno.EBADMSG, line, t.col, `unknown property '${t.text}'`);
  }

  /** validate_policy, then the result. */
  finish(text: string): IpePolicy {
    if (this.globalDefault === null) {
      const missing = this.ops.filter((op) => this.tables.get(op)!.defaultAction === null);
      if (missing.length > 0) {
        const end = this.lines[this.lines.length - 1]!;
        this.fail(
          -Errno.EBADMSG,
          end.line,
          end.col + end.text.length,
          `no global DEFAULT action, and no DEFAULT for ${missing.map((o) => `op=${o}`).join(', ')} (a policy needs one or the other for every operation)`,
        );
      }
    }
    return {
      name: this.name,
      version: this.version,
      globalDefault: this.globalDefault,
      rules: new Map([...this.tables].map(([op, t]): [IpeOp, IpeOpTable] => [op, { rules: t.rules, defaultAction: t.defaultAction }])),
      text,
    };
  }
}

/** match_token over header_tokens: 0 = policy_name=%s, 1 = policy_version=%s, 2 = no match. */
function headerToken(t: string): number {
  if (t.startsWith('policy_name=') && t.length > 'policy_name='.length) return 0;
  if (t.startsWith('policy_version=') && t.length > 'policy_version='.length) return 1;
  return 2;
}

/** ipe_parse_policy on a plain-text policy. Throws IpePolicyError with the kernel's errno. */
export function parseIpePolicy(input: string, opts: ParseOptions = {}): IpePolicy {
  const nul = input.indexOf('\0');
  const text = nul >= 0 ? input.slice(0, nul) : input;
  if (input.length === 0) throw new IpePolicyError(-Errno.EBADMSG, 1, 1, 'empty policy', opts.file);
  const lines = policyLines(text);
  const p = new Parser(opts, lines);
  const header = lines[0];
  if (!header) throw new IpePolicyError(-Errno.EBADMSG, 1, 1, 'no header line (policy_name=… policy_version=…)', opts.file);
  p.header(header);
  for (const l of lines.slice(1)) p.rule(l);
  return p.finish(text);
}
