// vitest matchers over a Run (`bpfsig/testing`): did the skeleton load, where did it fail and with
// which errno, which LSM hook saw the load and what it answered, which audit record was written,
// was it a false positive. Each is a plain function over the Run's fields (no vitest import here:
// vitest stays a peer dependency, needed only by the setup entry and the types), returning
// `{ pass, message, actual, expected }`; vitest flips `pass` for `.not` and the message is written
// for whichever way the assertion was meant. Every failure message says what decided the outcome
// (syscall, stage, hook: Run.decision) and shows the relevant part of the timeline.
// spec: ASK-12, ASK-13 (vitest conventions; errors compared as names or negative numbers, as the
// selftests' ASSERT_EQ(fd, -EBADMSG)), LSM-EMU-1, AUD-FP-1, AUD-FP-2.

import { isRun, type Run, type RunHook } from '../api/run.js';
import { errnoCode, errnoName, isErrnoName, type ErrnoName } from '../syscall/errno.js';

/** The `this` vitest gives a matcher (the part we use). */
export interface MatcherContext {
  readonly isNot: boolean;
}

export interface MatcherResult {
  readonly pass: boolean;
  readonly message: () => string;
  readonly actual?: unknown;
  readonly expected?: unknown;
}

/** What `toHaveCalledHook` can require of a call. */
export interface HookExpectation {
  /** The return value: a number (`0`, `-13`) or an errno name (`'EACCES'` means -13). */
  readonly ret?: number | string;
  /** The verdict the hook carried (`BPF_SIG_VERIFIED`, an integrity verdict, …). */
  readonly verdict?: string;
  /** Called for a kernel-originated load (the loader program's bpf_sys_bpf) or a userspace one. */
  readonly kernel?: boolean;
  /** The LSM that answered (`none` when no loaded LSM implements the hook). */
  readonly lsm?: string;
}

/** Lines of the timeline shown in a message, at most. */
const MAX_LINES = 40;

function requireRun(received: unknown, matcher: string): Run {
  if (!isRun(received)) {
    const what = received instanceof Promise ? 'a Promise (a real-kernel run: use `await expect(p).resolves…` or await it first)' : typeof received === 'object' ? 'an object that is not a Run' : typeof received;
    throw new TypeError(`${matcher}: expected a Run from runScenario(), got ${what}`);
  }
  return received;
}

/**
 * The part of the timeline about `sys`: the call with what happened in it. A call whose nested
 * calls make it long (the loader's BPF_PROG_TEST_RUN) is shown as its own lines plus one line per
 * nested call; anything longer is cut with a note.
 */
function excerpt(run: Run, sys: number | null, title = 'timeline'): string[] {
  if (sys === null) return [];
  let lines = run.timeline({ sys });
  if (lines.length > MAX_LINES) {
    // Keep the call's own lines and the headers of the calls nested in it.
    const nested = lines.filter((l) => /^ {4}#\d+ /.test(l)).length;
    lines = lines.filter((l) => /^#\d+ /.test(l) || /^ {5}\S/.test(l) || /^ {4}#\d+ /.test(l));
    if (nested) lines.push(`     (${nested} nested calls shown by their first line)`);
  }
  if (lines.length > MAX_LINES) lines = [...lines.slice(0, MAX_LINES), `     … ${lines.length - MAX_LINES} more lines (run.timeline({ sys: ${sys} }) has them all)`];
  return ['', `${title} (#${sys}):`, ...lines.map((l) => '  ' + l)];
}

const decided = (run: Run): string =>
  `decided by: ${run.decision.summary}` +
  (run.dropped.trace || run.dropped.audit
    ? `\n(the kernel's retention ring dropped ${run.dropped.trace} trace events and ${run.dropped.audit} audit records before the run was read: its oldest part is missing)`
    : '');

const hookLine = (h: RunHook): string =>
  `#${h.sys} ${h.syscall}: ${h.hook} [${h.lsm}] → ${h.ret}${h.errno ? ` (-${h.errno})` : ''}${h.verdict ? `, verdict ${h.verdict}` : ''}${h.kernel ? ', kernel=true' : ''}${h.prog ? `, prog ${h.prog}` : ''}`;

function outcome(run: Run): string {
  if (run.loaded) return 'it loaded';
  const f = run.failedAt;
  if (run.result.outcome === 'not-emulated' || f?.notEmulated !== undefined)
    return `it reached a path bpfsig does not model${f ? ` in ${f.syscall}` : ''} (${f?.notEmulated ?? run.result.notEmulated}): not emulated, no kernel answer`;
  if (!f) return `it did not load (result ${run.result.err ?? 'none'})`;
  if (f.oops !== undefined) return `the kernel oopsed in ${f.syscall} (the task was killed; no errno)`;
  return f.stage === 'loader' ? `the loader program returned ${f.ret}${f.errno ? ` (-${f.errno})` : ''} in ${f.syscall}` : `it failed at ${f.syscall} with ${f.errno ? `-${f.errno}` : f.ret}`;
}

function resultText(run: Run): string {
  const r = run.result;
  if (r.oops) return `${run.skeleton.name}__load() never returned`;
  if (r.outcome === 'not-emulated') return `no result (step "${r.errstr}")`;
  return `result ${r.err}${r.errno ? ` (-${r.errno})` : ''}${r.errstr ? `, errstr "${r.errstr}"` : ''}`;
}

/** `EKEYREJECTED`, `-129` or `129` → `EKEYREJECTED` (the canonical name of the number, so aliases such as ENOTSUPP/EOPNOTSUPP compare equal). */
function errnoArg(e: string | number | undefined, matcher: string): string | undefined {
  if (e === undefined) return undefined;
  if (typeof e === 'number') {
    const n = errnoName(e);
    if (!n) throw new TypeError(`${matcher}: ${e} is not a known errno`);
    return n;
  }
  const name = e.replace(/^-/, '');
  if (!isErrnoName(name)) throw new TypeError(`${matcher}: '${e}' is not an errno name (e.g. 'EKEYREJECTED')`);
  return errnoName(errnoCode(name));
}

/** `BPF_PROG_LOAD`, `PROG_LOAD` → `BPF_PROG_LOAD`; other syscalls (`add_key`) as given. */
function syscallArg(s: string): string {
  if (/^BPF_/.test(s)) return s;
  if (/^[A-Z_]+$/.test(s)) return `BPF_${s}`;
  return s;
}

export function toLoad(this: MatcherContext, received: unknown): MatcherResult {
  const run = requireRun(received, 'toLoad');
  return {
    pass: run.loaded,
    message: () =>
      this.isNot
        ? [`expected the skeleton not to load, but it loaded (${run.profile}, ${run.toolchain.name})`, decided(run), ...excerpt(run, run.decision.sys)].join('\n')
        : [
            `expected the skeleton to load, but ${outcome(run)}: ${resultText(run)} (${run.profile}, ${run.toolchain.name})`,
            decided(run),
            ...(run.decision.inner ? excerpt(run, run.decision.inner.sys, "the loader's failing call") : []),
            ...excerpt(run, run.decision.sys),
          ].join('\n'),
    actual: run.loaded,
    expected: !this.isNot,
  };
}

/**
 * The load failed at `syscall` (the first of the loading process's calls that failed, or
 * `BPF_PROG_TEST_RUN` when the loader program returned the error) with `errno` (a name, or the
 * number, negative as the kernel returns it). Without `errno`, any errno at that call.
 */
export function toFailAt(this: MatcherContext, received: unknown, syscall: string, errno?: string | number): MatcherResult {
  const run = requireRun(received, 'toFailAt');
  if (typeof syscall !== 'string' || !syscall) throw new TypeError('toFailAt: name the syscall, e.g. toFailAt(\'BPF_PROG_LOAD\', \'EKEYREJECTED\')');
  const want = { syscall: syscallArg(syscall), errno: errnoArg(errno, 'toFailAt') ?? null };
  // A path bpfsig does not model is no kernel failure: it never matches (spec: DESIGN "not emulated").
  const f = run.loaded || run.result.outcome === 'not-emulated' ? null : run.failedAt;
  const got = { syscall: f?.syscall ?? null, errno: f?.errno ?? null };
  const pass = f !== null && f.notEmulated === undefined && got.syscall === want.syscall && (want.errno === null || got.errno === want.errno);
  const wanted = `${want.syscall}${want.errno ? ` with -${want.errno}` : ''}`;
  return {
    pass,
    message: () =>
      this.isNot
        ? [`expected the load not to fail at ${wanted}, but ${outcome(run)}${f?.stage ? ` (stage ${f.stage})` : ''}`, decided(run), ...excerpt(run, f?.sys ?? null)].join('\n')
        : [
            `expected the load to fail at ${wanted}, but ${outcome(run)}${f?.stage && f.stage !== 'loader' ? ` (stage ${f.stage})` : ''}`,
            decided(run),
            ...(run.decision.inner ? excerpt(run, run.decision.inner.sys, "the loader's failing call") : []),
            ...excerpt(run, run.decision.sys),
          ].join('\n'),
    actual: got,
    expected: want,
  };
}

function hookMatches(h: RunHook, name: string, o: HookExpectation, ret: number | undefined): boolean {
  return (
    h.hook === name &&
    (ret === undefined || h.ret === ret) &&
    (o.verdict === undefined || h.verdict === o.verdict) &&
    (o.kernel === undefined || h.kernel === o.kernel) &&
    (o.lsm === undefined || h.lsm === o.lsm)
  );
}

/** Some call of LSM hook `name` (with or without `security_`) matched every field of `expect`. */
export function toHaveCalledHook(this: MatcherContext, received: unknown, name: string, expect: HookExpectation = {}): MatcherResult {
  const run = requireRun(received, 'toHaveCalledHook');
  if (typeof name !== 'string' || !name) throw new TypeError("toHaveCalledHook: name the hook, e.g. toHaveCalledHook('bpf_prog_load')");
  const hook = name.replace(/^security_/, '');
  let ret: number | undefined;
  if (typeof expect.ret === 'number') ret = expect.ret;
  else if (typeof expect.ret === 'string') ret = -errnoCode(errnoArg(expect.ret, 'toHaveCalledHook') as ErrnoName);
  const matching = run.hooks.filter((h) => hookMatches(h, hook, expect, ret));
  const named = run.hooks.filter((h) => h.hook === hook);
  const fields = Object.entries({ ...expect, ...(ret !== undefined ? { ret } : {}) })
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ');
  const wanted = `${hook}${fields ? ` { ${fields} }` : ''}`;
  const list = (hs: readonly RunHook[]) => [...hs.slice(0, 12).map((h) => '  ' + hookLine(h)), ...(hs.length > 12 ? [`  … ${hs.length - 12} more`] : [])];
  return {
    pass: matching.length > 0,
    message: () => {
      if (this.isNot)
        return [`expected no call of ${wanted}, but ${matching.length} matched:`, ...list(matching), decided(run), ...excerpt(run, matching[0]?.sys ?? null)].join('\n');
      const seen =
        run.mode === 'real'
          ? ['a real kernel shows no LSM hook calls (run.hooks is empty there)']
          : named.length
            ? [`${hook} was called ${named.length} time(s), none matching:`, ...list(named)]
            : [`${hook} was never called${run.hooks.length ? ` (hooks called: ${[...new Set(run.hooks.map((h) => h.hook))].join(', ')})` : ''}`];
      return [`expected a call of ${wanted}`, ...seen, decided(run), ...excerpt(run, named[0]?.sys ?? run.decision.sys)].join('\n');
    },
    actual: named.map((h) => ({ hook: h.hook, lsm: h.lsm, ret: h.ret, verdict: h.verdict, kernel: h.kernel })),
    expected: { hook, ...expect, ...(ret !== undefined ? { ret } : {}) },
  };
}

/** An audit record whose line contains `text` (a string) or matches it (a RegExp). */
export function toHaveAuditRecord(this: MatcherContext, received: unknown, text: string | RegExp): MatcherResult {
  const run = requireRun(received, 'toHaveAuditRecord');
  if (typeof text !== 'string' && !(text instanceof RegExp)) throw new TypeError('toHaveAuditRecord: give the text to find or a RegExp');
  const test = (l: string) => (typeof text === 'string' ? l.includes(text) : new RegExp(text.source, text.flags.replace(/[gy]/g, '')).test(l));
  const matching = run.audit.filter((r) => test(r.line));
  const shown = run.audit.filter((r) => r.type !== 'SYSCALL' && r.type !== 'PROCTITLE');
  return {
    pass: matching.length > 0,
    message: () => {
      if (this.isNot) {
        const first = matching[0]!;
        return [
          `expected no audit record matching ${String(text)}, but ${matching.length} did:`,
          ...matching.slice(0, 8).map((r) => `  ${r.sys !== null ? `#${r.sys} ${r.syscall}: ` : ''}${r.line}`),
          decided(run),
          ...excerpt(run, first.sys, 'the call that wrote it'),
        ].join('\n');
      }
      return [
        `expected an audit record matching ${String(text)}; the run wrote ${run.audit.length} record(s)${shown.length < run.audit.length ? `, ${run.audit.length - shown.length} of them SYSCALL/PROCTITLE` : ''}:`,
        ...(shown.length ? shown.slice(0, 20).map((r) => `  ${r.sys !== null ? `#${r.sys} ${r.syscall}: ` : ''}${r.line}`) : ['  (none but SYSCALL/PROCTITLE)']),
        decided(run),
        ...excerpt(run, run.decision.sys),
      ].join('\n');
    },
    actual: run.audit.map((r) => r.line),
    expected: String(text),
  };
}

/** An LSM admitted, or audit recorded, a signed load that did not complete (Run.falsePositive). */
export function toBeFalsePositive(this: MatcherContext, received: unknown): MatcherResult {
  const run = requireRun(received, 'toBeFalsePositive');
  if (run.falsePositive === null) {
    return {
      pass: false,
      message: () => `cannot tell whether a run on a real kernel (${run.profile}) is a false positive: its LSM decisions are not visible\n${decided(run)}`,
      actual: null,
      expected: !this.isNot,
    };
  }
  const load = run.syscalls.find((c) => c.depth === 0 && c.cmd === 'BPF_PROG_LOAD');
  return {
    pass: run.falsePositive,
    message: () =>
      this.isNot
        ? [
            `expected no false positive, but ${outcome(run)} after the signed load was vouched for:`,
            ...run.falsePositiveEvidence.map((e) => '  ' + e),
            decided(run),
            ...excerpt(run, load?.sys ?? null, "the loader's BPF_PROG_LOAD"),
            ...(run.failedAt && run.failedAt.sys !== load?.sys ? excerpt(run, run.failedAt.sys, 'where it failed') : []),
          ].join('\n')
        : [
            `expected a false positive (an LSM admitted, or audit recorded, a signed load that did not complete), but ${run.loaded ? 'it loaded' : `${outcome(run)} and nothing vouched for it`}`,
            decided(run),
            ...excerpt(run, load?.sys ?? run.decision.sys, load ? "the loader's BPF_PROG_LOAD" : 'timeline'),
          ].join('\n'),
    actual: { falsePositive: run.falsePositive, evidence: run.falsePositiveEvidence },
    expected: { falsePositive: !this.isNot },
  };
}

/** The matchers, for `expect.extend(bpfsigMatchers)`. */
export const bpfsigMatchers = { toLoad, toFailAt, toHaveCalledHook, toHaveAuditRecord, toBeFalsePositive };
