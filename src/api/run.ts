// The public view of one scenario run: what `runScenario()` returns (docs/api.md). A `Run` is read
// back from the run's one trace and audit log (DESIGN principle 3): the syscalls in the order they
// were entered (the loader's nested bpf_sys_bpf calls included), the stages of each, every LSM hook
// call with its return and verdict, the audit records, the skeleton's result, where the load failed,
// and whether it was a false positive — the last two from `cellFacts` (src/scenarios/compare/cell.ts),
// the comparison's own definition. `decision` names the syscall, stage and hook that decided the
// outcome; the vitest matchers (src/testing/) print it with the relevant part of the timeline.
// spec: PROF-3 (trace vocabulary), LSM-EMU-1, SEQ-2, AUD-FP-1, AUD-FP-2, ASK-12, ASK-13.

import { formatAuditd } from '../audit/format.js';
import type { RealSkelRun } from '../realkernel/skel-load.js';
import { realSkelToJson } from '../realkernel/skel-load.js';
import { cellFacts, hookVerdict, type CellFailure } from '../scenarios/compare/cell.js';
import { skelRunToJson, type SkelLoadJson } from '../scenarios/skel-report.js';
import type { SkelRun } from '../scenarios/skel-run.js';
import { renderTimeline } from '../scenarios/timeline.js';
import type { TimelineCallJson } from '../scenarios/timeline-json.js';
import { errnoName } from '../syscall/errno.js';
import type { HookEvent, Trace } from '../syscall/trace.js';

/**
 * One syscall of the run, in the order calls were entered: the loading process's own calls
 * (`depth` 0) and the ones the loader program made from inside BPF_PROG_TEST_RUN (`depth` 1,
 * `parent` = the TEST_RUN, `kernel` true). The shape of `bpfsig skel load --json`'s `timeline`
 * (docs/cli.md). On a real kernel only the loading process's calls are visible.
 */
export type RunSyscall = TimelineCallJson;

/** A stage of a kernel path (named by its spec id), with what it concluded when it said anything. */
export interface RunStage {
  /** The syscall it ran in (`RunSyscall.sys`) and that call's command (`BPF_PROG_LOAD`, …). */
  readonly sys: number;
  readonly syscall: string;
  /** Spec rule id, e.g. `LOAD-9`, `LOAD-13.resolve`, `MC-11`, `TRUN-2`. */
  readonly id: string;
  readonly name: string;
  /** `signature` / `admission` for the stages a scheme plays those roles with; else null. */
  readonly role: 'signature' | 'admission' | null;
  /** True when the stage was entered as a step of a staged path (bpf_prog_load); false for a step a path reported on its own. */
  readonly entered: boolean;
  /** What the stage reported (e.g. `bpf_prog_verify_signature: signature verified`), or null when it said nothing. */
  readonly outcome: string | null;
  readonly ret: number | null;
  /** Set when the stage failed. */
  readonly errno: string | null;
  readonly detail: string | null;
}

/** One LSM hook call (`security_<hook>`), answered by one LSM. */
export interface RunHook {
  readonly sys: number;
  readonly syscall: string;
  /** Hook name without `security_`: `bpf`, `bpf_map_create`, `bpf_prog_load`, `bpf_prog_load_integrity`, `capable`, … */
  readonly hook: string;
  /** The LSM that answered; `none` when no loaded LSM implements the hook (the call still happened). */
  readonly lsm: string;
  readonly ret: number;
  /** The errno name of a negative `ret`, else null. */
  readonly errno: string | null;
  /** The call came from the kernel (a loader program's bpf_sys_bpf), not from userspace. */
  readonly kernel: boolean;
  /** An integrity verdict (`verdict`) or the program's signature verdict (`sig_verdict`) the hook saw. */
  readonly verdict: string | null;
  /** The program the hook was about, when it names one. */
  readonly prog: string | null;
  readonly args: Readonly<Record<string, string | number | boolean>>;
}

/** One audit record (EOE records omitted). */
export interface RunAuditRecord {
  /** The syscall whose audit event holds it; null for records outside any syscall (boot). */
  readonly sys: number | null;
  readonly syscall: string | null;
  /** The audit event serial; 0 on a real kernel (its records are compared with the serials and times taken out). */
  readonly serial: number;
  /** `SYSCALL`, `BPF`, `PROCTITLE`, `BPF_LSM_ACCESS`, `IPE_ACCESS`, … */
  readonly type: string;
  /** The text after `msg=audit(…): `. */
  readonly text: string;
  /** The whole line: auditd's format for the emulator, the kernel log's for a real kernel. */
  readonly line: string;
}

/** Where the load failed: the first of the loading process's calls that failed, or the loader program's own return value. */
export type RunFailure = CellFailure;

/** The syscall, stage and hook that decided the outcome, and one line that says so. */
export interface RunDecision {
  readonly loaded: boolean;
  /** The deciding call: the failing call, or — when the skeleton loaded — the loader's BPF_PROG_LOAD. */
  readonly sys: number | null;
  readonly syscall: string | null;
  /**
   * The deciding stage: the one that failed (or `TRUN-2` when the loader program returned the
   * error), or the signature stage the loader's load passed. Null when none is visible.
   */
  readonly stage: RunStage | null;
  /** The hook that refused, or the last LSM that admitted the loader's load. Null when no LSM answered. */
  readonly hook: RunHook | null;
  /** When the loader program failed: the first of its own bpf() calls that failed (or was not emulated), if one did. */
  readonly inner: { readonly sys: number; readonly syscall: string; readonly errno: string | null; readonly stage: RunStage | null } | null;
  /** e.g. `BPF_PROG_LOAD #5 failed at stage LT-SIG-2 (…) with -EKEYREJECTED; no LSM hook refused (hooks called: bpf [none] → 0)`. */
  readonly summary: string;
}

export interface RunTimelineOptions {
  /** Only this syscall and the calls nested in it. */
  readonly sys?: number;
  /** Show capable() checks (default false). */
  readonly capable?: boolean;
  /** Show each call's decoded attr (default true). */
  readonly attr?: boolean;
  /** Show audit records inline (default true). */
  readonly audit?: boolean;
}

export interface Run {
  /** `emulator`, or `real` for a run on a real Debian kernel (`real: 'KVER'`). */
  readonly mode: 'emulator' | 'real';
  /** The kernel profile (`real:KVER` on a real kernel). */
  readonly profile: string;
  readonly scheme: string;
  /** LSMs after capability, in order (a real kernel: its CONFIG_LSM). */
  readonly lsm: readonly string[];
  /** The toolchain whose libbpf ran the skeleton (and made it, for an `object`), its flow, and the other toolchains that write such headers. */
  readonly toolchain: SkelLoadJson['toolchain'];
  /** The skeleton as loaded: its name, header style, blob sizes. */
  readonly skeleton: SkelLoadJson['skeleton'] & { readonly signed: boolean };
  /** Who signed a skeleton made from an `object`: the `cert`+`key` given, a fresh identity, or nobody; null for a `skeleton` input. */
  readonly signer: 'given' | 'fresh' | 'unsigned' | null;
  /** Where the certificate went and the keyring_id the skeleton passed. */
  readonly keyring: SkelLoadJson['keyring'];
  /** The bytes changed before loading (`tamper`). */
  readonly tampers: SkelLoadJson['tampers'];
  /** `<name>__load()` returned 0. */
  readonly loaded: boolean;
  /**
   * The skeleton's result. `outcome`: `loaded`, `rejected` (the kernel returned an errno: `err`
   * is -errno, `errno` its name), `not-emulated` (a call reached a path bpfsig does not model:
   * no kernel answer, `notEmulated` names the path, `err` null) or `oops` (the kernel oopsed in one
   * of its syscalls, the task was killed and `<name>__load()` never returned: `err` null, `oops`
   * says where). Also libbpf's errstr and the loader's test.retval.
   */
  readonly result: {
    readonly outcome: SkelLoadJson['outcome'];
    readonly notEmulated: string | null;
    readonly err: number | null;
    readonly errno: string | null;
    readonly errstr: string | null;
    readonly loaderRetval: number | null;
    readonly oops: SkelLoadJson['oops'];
  };
  /** skel->maps / skel->progs after a successful load: fd, kernel id, name, type. */
  readonly maps: SkelLoadJson['maps'];
  readonly progs: SkelLoadJson['progs'];
  readonly failedAt: RunFailure | null;
  readonly decision: RunDecision;
  readonly syscalls: readonly RunSyscall[];
  readonly stages: readonly RunStage[];
  readonly hooks: readonly RunHook[];
  readonly audit: readonly RunAuditRecord[];
  /**
   * An LSM admitted, or audit recorded, a signed load that did not complete (AUD-FP-1/2,
   * CLAIM-2, CLAIM-20). Null on a real kernel, whose LSM decisions are not visible.
   */
  readonly falsePositive: boolean | null;
  /** What made it one. */
  readonly falsePositiveEvidence: readonly string[];
  /** A race's second thread: the boundary it ran at, its calls, and whether it reached what the loader uses. */
  readonly race: { readonly boundary: string; readonly calls: readonly string[]; readonly effective: boolean } | null;
  /**
   * Trace events and audit records the kernel's retention ring dropped before the run was read
   * (0 unless the run was longer than the ring: then `syscalls`, `stages`, `hooks` and `audit`
   * miss its oldest part).
   */
  readonly dropped: { readonly trace: number; readonly audit: number };
  /** The real kernel: version, `uname -r`, accelerator, boot time. Null in the emulator. */
  readonly real: { readonly kver: string; readonly uname: string; readonly accel: string; readonly bootMs: number } | null;
  /** The text timeline (the one `bpfsig skel load` prints), whole or of one syscall. */
  timeline(opts?: RunTimelineOptions): string[];
}

/** Runs carry this mark, so the matchers can tell one from anything else (also across copies of the package). */
export const RUN_BRAND: unique symbol = Symbol.for('bpfsig.run') as never;

export function isRun(x: unknown): x is Run {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[RUN_BRAND] === true;
}

const errnoOf = (ret: number): string | null => (ret < 0 ? (errnoName(-ret) ?? String(-ret)) : null);

function stagesOf(trace: Trace, cmdOf: (sys: number) => string): RunStage[] {
  const out: RunStage[] = [];
  const open = new Map<number, number>(); // sys → index of its last stage
  for (const e of trace.events) {
    if (e.kind !== 'stage') continue;
    const base = { sys: e.sys, syscall: cmdOf(e.sys), id: e.id };
    if (e.enter) {
      open.set(e.sys, out.length);
      out.push({ ...base, name: e.name, role: e.role ?? null, entered: true, outcome: null, ret: null, errno: null, detail: null });
      continue;
    }
    const i = open.get(e.sys);
    const last = i !== undefined ? out[i] : undefined;
    const result = { outcome: e.name, ret: e.ret ?? null, errno: e.errno ?? null, detail: e.detail ?? null };
    if (last && last.id === e.id && last.outcome === null) out[i!] = { ...last, ...result };
    else out.push({ ...base, name: e.name, role: null, entered: false, ...result });
  }
  return out;
}

function hookOf(h: HookEvent, cmdOf: (sys: number) => string, kernelCall: (sys: number) => boolean): RunHook {
  return {
    sys: h.sys,
    syscall: cmdOf(h.sys),
    hook: h.hook,
    lsm: h.lsm,
    ret: h.ret,
    errno: errnoOf(h.ret),
    kernel: typeof h.args.kernel === 'boolean' ? h.args.kernel : kernelCall(h.sys),
    verdict: hookVerdict(h),
    prog: typeof h.args.prog === 'string' ? h.args.prog : null,
    args: { ...h.args },
  };
}

const stageLabel = (s: RunStage): string => `${s.id} (${s.outcome ?? s.name}${s.detail ? `: ${s.detail.length > 80 ? s.detail.slice(0, 77) + '…' : s.detail}` : ''})`;
const hookLabel = (h: RunHook): string => `${h.hook} [${h.lsm}] → ${h.ret}${h.errno ? ` (-${h.errno})` : ''}${h.verdict ? ` verdict ${h.verdict}` : ''}`;

/** The calls nested in `sys` (bpf_sys_bpf), at any depth. */
function descendants(syscalls: readonly RunSyscall[], sys: number): Set<number> {
  const ids = new Set([sys]);
  for (const c of syscalls) if (c.parent !== null && ids.has(c.parent)) ids.add(c.sys);
  return ids;
}

function decide(p: {
  loaded: boolean;
  failedAt: RunFailure | null;
  result: Run['result'];
  syscalls: readonly RunSyscall[];
  stages: readonly RunStage[];
  hooks: readonly RunHook[];
  real: boolean;
}): RunDecision {
  const { failedAt, syscalls, stages, hooks } = p;
  const noHooks = p.real ? 'a real kernel shows neither stages nor LSM hooks' : null;
  if (!p.loaded && failedAt) {
    const within = descendants(syscalls, failedAt.sys);
    let inner: RunDecision['inner'] = null;
    let stage: RunStage | null;
    if (failedAt.notEmulated !== undefined) {
      // The innermost call that was not emulated (the loader's own, when it ran one).
      const ne = [...syscalls].reverse().find((c) => c.sys !== failedAt.sys && within.has(c.sys) && c.outcome === 'not-emulated');
      if (ne) inner = { sys: ne.sys, syscall: ne.cmd ?? ne.call, errno: null, stage: [...stages].reverse().find((s) => s.sys === ne.sys) ?? null };
      stage = [...stages].reverse().find((s) => within.has(s.sys)) ?? null;
    } else if (failedAt.oops !== undefined) {
      // The kernel oopsed: the last stage entered in the call (or a call nested in it) is where.
      stage = [...stages].reverse().find((s) => within.has(s.sys)) ?? null;
    } else if (failedAt.stage === 'loader') {
      const bad = syscalls.find((c) => c.sys !== failedAt.sys && within.has(c.sys) && c.ret !== null && c.ret < 0);
      if (bad) {
        const st = [...stages].reverse().find((s) => s.sys === bad.sys && s.errno !== null) ?? null;
        inner = { sys: bad.sys, syscall: bad.cmd ?? bad.call, errno: bad.errno, stage: st };
      }
      // The loader's own verdict: the stage that reported the program's return value.
      stage = [...stages].reverse().find((s) => s.sys === failedAt.sys && s.ret !== null) ?? null;
    } else {
      stage = [...stages].reverse().find((s) => s.sys === failedAt.sys && s.id === failedAt.stage && s.errno !== null) ?? null;
    }
    const inCall = hooks.filter((h) => within.has(h.sys) && h.hook !== 'capable');
    const refused = hooks.find((h) => within.has(h.sys) && h.ret !== 0) ?? null;
    // When the loader program failed, its load had been admitted: say by whom (the false positive's first half).
    const adm = failedAt.stage === 'loader' ? admission(p) : null;
    const err = failedAt.errno ? `-${failedAt.errno}` : String(failedAt.ret);
    const where =
      failedAt.notEmulated !== undefined
        ? `${failedAt.syscall} #${failedAt.sys} reached a path bpfsig does not model (${failedAt.notEmulated})${stage ? ` after stage ${stageLabel(stage)}` : ''}: not emulated, no kernel answer`
        : failedAt.oops !== undefined
        ? `${failedAt.syscall} #${failedAt.sys} never returned: kernel oops (${failedAt.oops}; ${failedAt.stage ?? 'no rule'})${stage ? ` in stage ${stageLabel(stage)}` : ''}, the task was killed — no errno`
        : failedAt.stage === 'loader'
        ? `the loader program returned ${failedAt.ret} in ${failedAt.syscall} #${failedAt.sys}${stage ? ` at stage ${stageLabel(stage)}` : ''}`
        : `${failedAt.syscall} #${failedAt.sys} failed ${stage ? `at stage ${stageLabel(stage)}` : failedAt.stage ? `at stage ${failedAt.stage}` : '(no stage reported the failure)'} with ${err}`;
    const innerText = !inner
      ? ''
      : failedAt.notEmulated !== undefined
        ? `; the loader's own ${inner.syscall} #${inner.sys} (kernel=true) was not emulated (${syscalls.find((c) => c.sys === inner!.sys)?.notEmulated ?? '?'})`
        : `; the loader's own ${inner.syscall} #${inner.sys} (kernel=true) failed${inner.stage ? ` at stage ${stageLabel(inner.stage)}` : ''} with -${inner.errno}`;
    const hookText =
      noHooks ??
      (refused
        ? `hook ${hookLabel(refused)} refused (#${refused.sys} ${refused.syscall})`
        : `no LSM hook refused (hooks called: ${inCall.length ? inCall.slice(0, 6).map(hookLabel).join(', ') + (inCall.length > 6 ? `, … ${inCall.length - 6} more` : '') : 'none'})`);
    return {
      loaded: false,
      sys: failedAt.sys,
      syscall: failedAt.syscall,
      stage,
      hook: refused ?? adm?.hook ?? null,
      inner,
      summary: `${where}${innerText}; ${hookText}${adm ? `; before that, ${adm.text}` : ''}`,
    };
  }
  if (!p.loaded) {
    const r = p.result;
    return {
      loaded: false,
      sys: null,
      syscall: null,
      stage: null,
      hook: null,
      inner: null,
      summary: r.outcome === 'not-emulated' ? `not emulated: ${r.notEmulated} (bpfsig does not model this path; no kernel answer)` : `the skeleton returned ${r.err ?? 'nothing'}${r.errno ? ` (-${r.errno})` : ''}${r.errstr ? ` "${r.errstr}"` : ''} but none of its syscalls failed`,
    };
  }
  // Loaded: the loader's own BPF_PROG_LOAD decided it — its signature stage and the LSMs that admitted it.
  const adm = admission(p);
  if (!adm) return { loaded: true, sys: null, syscall: null, stage: null, hook: null, inner: null, summary: 'loaded (no BPF_PROG_LOAD of the loader was seen)' };
  return { loaded: true, sys: adm.sys, syscall: 'BPF_PROG_LOAD', stage: adm.sig, hook: adm.hook, inner: null, summary: `loaded: ${adm.text}` };
}

/** The loader's userspace BPF_PROG_LOAD when it succeeded: the signature stage it passed and the LSMs that admitted it. */
function admission(p: { syscalls: readonly RunSyscall[]; stages: readonly RunStage[]; hooks: readonly RunHook[]; real: boolean }) {
  const load = p.syscalls.find((c) => c.depth === 0 && c.cmd === 'BPF_PROG_LOAD' && c.ret !== null && c.ret >= 0);
  if (!load) return null;
  const sig = p.stages.filter((s) => s.sys === load.sys && s.role === 'signature').pop() ?? null;
  const admitting = p.hooks.filter((h) => h.sys === load.sys && h.hook === 'bpf_prog_load' && h.ret === 0);
  const real = admitting.filter((h) => h.lsm !== 'none');
  const hook = real[real.length - 1] ?? admitting[admitting.length - 1] ?? null;
  const sigText = sig ? `passed signature stage ${stageLabel(sig)}` : p.real ? 'loaded' : 'met no signature stage on this profile';
  const hookText = p.real
    ? 'a real kernel shows neither stages nor LSM hooks'
    : real.length
      ? `admitted at bpf_prog_load by ${real.map((h) => `${h.lsm}${h.verdict ? ` (verdict ${h.verdict})` : ''}`).join(', ')}`
      : hook
        ? 'bpf_prog_load answered by no LSM (none loaded implements it)'
        : 'no bpf_prog_load hook was called';
  return { sys: load.sys, sig, hook, text: p.real ? `BPF_PROG_LOAD #${load.sys} (the loader) loaded` : `BPF_PROG_LOAD #${load.sys} (the loader) ${sigText}; ${hookText}` };
}

function common(json: SkelLoadJson) {
  return {
    profile: json.profile,
    scheme: json.scheme,
    lsm: json.lsm,
    toolchain: json.toolchain,
    skeleton: { ...json.skeleton, signed: json.skeleton.signatureSize !== null },
    keyring: json.keyring,
    tampers: json.tampers,
    loaded: json.outcome === 'loaded',
    result: {
      outcome: json.outcome,
      notEmulated: json.notEmulated,
      err: json.result,
      errno: json.errno,
      errstr: json.errstr,
      loaderRetval: json.loaderRetval,
      oops: json.oops,
    },
    dropped: json.dropped,
    maps: json.maps,
    progs: json.progs,
    syscalls: json.timeline,
  };
}

function brand<T extends object>(o: T): T {
  Object.defineProperty(o, RUN_BRAND, { value: true, enumerable: false });
  return o;
}

/** The Run of an emulated skeleton load. */
export function runFromSkelRun(run: SkelRun, signer: Run['signer']): Run {
  const json = skelRunToJson(run);
  const facts = cellFacts(run);
  const trace = run.kernel.trace;
  const bySys = new Map(json.timeline.map((c) => [c.sys, c]));
  const cmdOf = (sys: number) => {
    const c = bySys.get(sys);
    return c ? (c.cmd ?? c.call) : '?';
  };
  const stages = stagesOf(trace, cmdOf);
  const hooks = trace.hooks().map((h) => hookOf(h, cmdOf, (sys) => bySys.get(sys)?.kernel ?? false));
  // Records and the trace's audit events are emitted together (Kernel.audit.onRecord), in order.
  const auditEvents = trace.events.filter((e) => e.kind === 'audit');
  let k = 0;
  const audit: RunAuditRecord[] = [];
  for (const r of run.kernel.audit.records) {
    if (r.type === 'EOE') continue;
    let sys: number | null = null;
    for (let j = k; j < auditEvents.length; j++) {
      const e = auditEvents[j]!;
      if (e.kind === 'audit' && e.serial === r.serial && e.type === r.type && e.text === r.body) {
        sys = e.sys > 0 ? e.sys : null;
        k = j + 1;
        break;
      }
    }
    audit.push({ sys, syscall: sys !== null ? cmdOf(sys) : null, serial: r.serial, type: r.type, text: r.body, line: formatAuditd([r])[0]! });
  }
  const base = common(json);
  const out: Run = {
    mode: 'emulator',
    ...base,
    signer,
    failedAt: facts.failedAt,
    decision: decide({ loaded: base.loaded, failedAt: facts.failedAt, result: base.result, syscalls: json.timeline, stages, hooks, real: false }),
    stages,
    hooks,
    audit,
    falsePositive: facts.falsePositive,
    falsePositiveEvidence: facts.falsePositiveEvidence,
    race: run.race ? { boundary: run.race.boundary, calls: [...run.race.calls], effective: run.race.effective } : null,
    real: null,
    timeline: (o: RunTimelineOptions = {}) =>
      renderTimeline(o.sys !== undefined ? trace.ofSyscall(o.sys) : trace.events, {
        ...(o.capable !== undefined ? { capable: o.capable } : {}),
        ...(o.attr !== undefined ? { attr: o.attr } : {}),
        ...(o.audit !== undefined ? { audit: o.audit } : {}),
      }),
  };
  return brand(out);
}

/** `type=1334 prog-id=#1 op=LOAD` (realTimeline's normalized kernel-log form), `type=1334 audit(…:N): body`, or auditd's `type=BPF msg=audit(…:N): body`. */
function parseAuditLine(line: string): { serial: number; type: string; text: string } {
  const m = /type=(\S+)\s+(?:(?:msg=)?audit\([\d.]+:(\d+)\):\s?)?(.*)$/.exec(line);
  if (!m) return { serial: 0, type: 'UNKNOWN', text: line };
  const type = m[1] === '1334' ? 'BPF' : m[1]!;
  return { serial: m[2] !== undefined ? Number(m[2]) : 0, type, text: m[3]! };
}

/** The Run of the same load on a real kernel: its calls, their results and audit records (no stages or hooks are visible there). */
export function runFromRealRun(run: RealSkelRun, signer: Run['signer']): Run {
  const json = realSkelToJson(run);
  const base = common(json);
  const audit: RunAuditRecord[] = [];
  for (const c of json.timeline)
    for (const e of c.events) if (e.kind === 'audit') audit.push({ sys: c.sys, syscall: c.cmd ?? c.call, ...parseAuditLine(e.text), line: e.text });
  // The counterpart of cellFacts' failedAt for the calls a real kernel shows: the first of the
  // loading process's bpf() calls that failed, else the loader's own return value.
  let failedAt: RunFailure | null = null;
  const bad = json.timeline.find((c) => c.call === 'bpf' && c.ret !== null && c.ret < 0);
  if (bad) failedAt = { syscall: bad.cmd ?? bad.call, sys: bad.sys, stage: null, errno: bad.errno, ret: bad.ret! };
  else if (base.result.loaderRetval !== null && base.result.loaderRetval < 0) {
    const tr = json.timeline.find((c) => c.cmd === 'BPF_PROG_TEST_RUN');
    if (tr) failedAt = { syscall: 'BPF_PROG_TEST_RUN', sys: tr.sys, stage: 'loader', errno: base.result.errno, ret: base.result.loaderRetval };
  }
  const out: Run = {
    mode: 'real',
    ...base,
    signer,
    failedAt,
    decision: decide({ loaded: base.loaded, failedAt, result: base.result, syscalls: json.timeline, stages: [], hooks: [], real: true }),
    stages: [],
    hooks: [],
    audit,
    falsePositive: null,
    falsePositiveEvidence: [],
    race: null,
    real: json.real,
    timeline: (o: RunTimelineOptions = {}) => {
      const lines: string[] = [];
      for (const c of json.timeline) {
        if (o.sys !== undefined && c.sys !== o.sys) continue;
        const ret = c.ret === null ? '(no return)' : c.ret < 0 ? `-${c.errno ?? c.ret} (${c.ret})` : String(c.ret);
        lines.push(`#${c.sys} ${c.call === 'bpf' ? `bpf(${c.cmd}, size=${c.size})` : c.call}  → ${ret}`);
        for (const e of c.events) {
          if (e.kind === 'audit' && o.audit !== false) lines.push(`     audit  ${e.text}`);
          else if (e.kind === 'note') lines.push(`     note   ${e.text}`);
        }
      }
      return lines;
    },
  };
  return brand(out);
}
