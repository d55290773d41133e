// What one cell of the comparison saw, read from its run's trace and audit log: whether the
// skeleton loaded, where it failed (syscall, stage, errno — or the loader's return value in
// BPF_PROG_TEST_RUN), the skeleton's result, the LSM calls with their verdicts and returns, the
// audit records, and whether it was a false positive: an LSM admitted, or audit recorded, a
// signed load that did not complete (AUD-FP-1/2, CLAIM-2, CLAIM-20). spec: SEQ-2, PROF-3, KP-AUD-2.

import { formatAuditd, parseFields } from '../../audit/format.js';
import { NO_LSM } from '../../lsm/chain.js';
import type { HookEvent, StageEvent, TraceEvent } from '../../syscall/trace.js';
import { sequenceOf, type SeqItem } from '../sequence.js';
import { signedLoad, syscallsBySys } from '../skel-facts.js';
import type { SkelRun } from '../skel-run.js';

export interface CellFailure {
  /** `BPF_MAP_CREATE`, `BPF_PROG_LOAD`, …; `BPF_PROG_TEST_RUN` when the loader returned an error. */
  readonly syscall: string;
  /** The trace id of that call. */
  readonly sys: number;
  /** The stage that decided (its spec id), or `loader` when the loader program returned the error. */
  readonly stage: string | null;
  readonly errno: string | null;
  /** The kernel's return value, or the loader's retval; null when the call never returned (a kernel oops). */
  readonly ret: number | null;
  /** Set when the kernel oopsed in that call: the task was killed there (never an errno). */
  readonly oops?: string;
  /** The call reached a path bpfsig does not model (no kernel answer; errno is then null). */
  readonly notEmulated?: string;
}

export interface CellHook {
  readonly sys: number;
  readonly syscall: string;
  readonly hook: string;
  readonly lsm: string;
  readonly ret: number;
  readonly prog: string | null;
  readonly kernel: boolean;
  /** An integrity verdict, or a program's signature verdict, when the hook event carries one. */
  readonly verdict: string | null;
}

export interface CellFacts {
  readonly loaded: boolean;
  readonly failedAt: CellFailure | null;
  /** `result` null: `<name>__load()` never returned (the task was killed by a kernel oops). */
  readonly skeleton: { readonly result: number | null; readonly errno: string | null; readonly errstr: string | null };
  readonly loaderRetval: number | null;
  readonly lsm: readonly CellHook[];
  /** The whole audit log of the run, auditd's text form. */
  readonly audit: readonly string[];
  readonly falsePositive: boolean;
  /** What made it one (empty when it is not). */
  readonly falsePositiveEvidence: readonly string[];
  /** A race's second thread: where it ran and what it did. */
  readonly race: { readonly boundary: string; readonly calls: readonly string[] } | null;
  /**
   * The run in order, for sequence diagrams (src/scenarios/sequence.ts): calls, stages, steps, hooks
   * answered by an LSM, audit records (by index into `audit`), returns.
   */
  readonly sequence: readonly SeqItem[];
}

/** The verdict a hook call carries: an integrity verdict (`verdict`), else the program's signature verdict (`sig_verdict`). */
export function hookVerdict(h: Pick<HookEvent, 'args'>): string | null {
  return typeof h.args.verdict === 'string' ? h.args.verdict : typeof h.args.sig_verdict === 'string' ? h.args.sig_verdict : null;
}

const HOOKS_SHOWN = new Set(['bpf_prog_load', 'bpf_prog_load_integrity', 'bpf_prog_load_post_integrity', 'bpf_prog']);

export function cellFacts(run: SkelRun): CellFacts {
  const events: readonly TraceEvent[] = run.kernel.trace.events;
  const { enters, exits } = syscallsBySys(events);
  const cmdOf = (sys: number) => {
    const e = enters.get(sys);
    return e?.cmd ?? e?.name ?? '?';
  };
  const outer = [...enters.values()].filter((e) => e.name === 'bpf' && !e.kernel);
  const failedCall = outer.find((e) => (exits.get(e.sys)?.ret ?? 0) < 0);
  const r = run.result;
  let failedAt: CellFailure | null = null;
  if (r.oops) {
    failedAt = { syscall: cmdOf(r.oops.sys), sys: r.oops.sys, stage: r.oops.report.rule, errno: null, ret: null, oops: r.oops.report.text };
  } else if (failedCall) {
    const ex = exits.get(failedCall.sys)!;
    const stage = [...events].reverse().find((e): e is StageEvent => e.kind === 'stage' && e.sys === failedCall.sys && !e.enter && e.errno !== undefined);
    failedAt = { syscall: cmdOf(failedCall.sys), sys: failedCall.sys, stage: stage?.id ?? null, errno: ex.errno ?? null, ret: ex.ret, ...(ex.unsupported ? { notEmulated: ex.unsupported } : {}) };
  } else if (r.loaderRetval !== null && r.loaderRetval < 0) {
    const tr = outer.find((e) => e.cmd === 'BPF_PROG_TEST_RUN')!;
    failedAt = { syscall: 'BPF_PROG_TEST_RUN', sys: tr.sys, stage: 'loader', errno: run.errno, ret: r.loaderRetval };
  }

  const lsm: CellHook[] = events
    .filter((e): e is HookEvent => e.kind === 'hook' && HOOKS_SHOWN.has(e.hook))
    .map((h) => ({
      sys: h.sys,
      syscall: cmdOf(h.sys),
      hook: h.hook,
      lsm: h.lsm,
      ret: h.ret,
      prog: typeof h.args.prog === 'string' ? h.args.prog : null,
      kernel: h.args.kernel === true,
      verdict: hookVerdict(h),
    }));

  // The program the user asked for: the loader's userspace BPF_PROG_LOAD.
  const loaderLoad = outer.find((e) => e.cmd === 'BPF_PROG_LOAD');
  const loaderName = loaderLoad?.attr?.prog_name;
  const loaded = r.err === 0;
  const evidence: string[] = [];
  if (!loaded && loaderLoad) {
    const signed = signedLoad(loaderLoad);
    for (const h of lsm) {
      if (h.sys !== loaderLoad.sys || h.lsm === NO_LSM || h.ret !== 0 || h.kernel) continue;
      const verified = h.verdict === 'OK' || h.verdict === 'verified' || h.verdict === 'VERIFIED';
      if (h.hook === 'bpf_prog_load' && (signed || verified)) evidence.push(`${h.lsm} admitted the signed ${String(loaderName)} at ${h.hook}`);
      else if (h.hook === 'bpf_prog_load_post_integrity' && verified) evidence.push(`${h.lsm} allowed verdict ${h.verdict} at ${h.hook}`);
    }
    const id = events.find((e) => e.kind === 'object' && e.action === 'alloc_id' && e.type === 'prog' && e.sys === loaderLoad.sys);
    const records = run.kernel.audit.records;
    if (id && id.kind === 'object' && records.some((x) => x.type === 'BPF' && x.body === `prog-id=${id.id} op=LOAD`))
      evidence.push(`audit: BPF prog-id=${id.id} op=LOAD for ${String(loaderName)}`);
    for (const x of records) {
      if (x.type !== 'BPF_LSM_ACCESS') continue;
      const f = parseFields(x.body);
      if (f.prog === loaderName && f.kernel === '0' && /^(verified|ok)$/i.test(f.signature ?? '')) evidence.push(`audit: ${f.lsm} recorded signature=${f.signature}`);
    }
  }
  return {
    loaded,
    failedAt,
    skeleton: { result: r.err, errno: run.errno, errstr: r.errstr },
    loaderRetval: r.loaderRetval,
    lsm,
    audit: formatAuditd(run.kernel.audit.records),
    falsePositive: evidence.length > 0,
    falsePositiveEvidence: [...new Set(evidence)],
    race: run.race ? { boundary: run.race.boundary, calls: [...run.race.calls] } : null,
    sequence: sequenceOf(events),
  };
}
