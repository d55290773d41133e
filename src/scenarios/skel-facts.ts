// What happened in one skeleton load, read back from the trace and the audit log of the run (and
// from the loader instructions that were loaded): the loader's BPF_PROG_LOAD, its signature stage,
// the LSM's answer, the audit records, the BPF_PROG_TEST_RUN and the calls the loader made from
// inside it. The explanations of `bpfsig demo` are written from these facts only.
// spec: KP-LOAD-1..3 (the signature stage's placement and failure), KP-LSM-3 (the hook sees the signature),
// KP-AUD-1/2 and OBS-AUD-1 (which event holds which record), KP-META-1/2 (the loader's hash check),
// LSK-SIGM-2/3 (the embedded hash), MHASH-7 (map->sha), TRUN-2 (retval).

import { parseFields } from '../audit/format.js';
import { signatureMatchBlock } from '../loader/lskel-identify.js';
import type { HookEvent, StageEvent, SyscallEnter, SyscallExit, TraceEvent } from '../syscall/trace.js';
import type { SkelRun } from './skel-run.js';

export interface CallFacts {
  readonly sys: number;
  readonly cmd: string;
  readonly size: number | null;
  /** The return value (0 when the call never returned: see `returned`). */
  readonly ret: number;
  readonly errno: string | null;
  /** False when the kernel oopsed inside the call and it never returned. */
  readonly returned: boolean;
}

export interface AuditRef {
  /** Audit event serial (the `:N` in `audit(T:N)`). */
  readonly serial: number;
  /** The record body, e.g. `prog-id=1 op=LOAD`. */
  readonly text: string;
  /** The SYSCALL record of the same event: syscall number and a0 (the bpf command, in hex). */
  readonly syscall: string | null;
  readonly a0: string | null;
}

export interface SkelFacts {
  /** The skeleton's own result; null when `<name>__load()` never returned (`oops`). */
  readonly err: number | null;
  /** The kernel oops that killed the task, with the bpf_load_and_run step and syscall it happened in. */
  readonly oops: { readonly step: string; readonly sys: number; readonly text: string; readonly where: string; readonly rule: string; readonly detail: string } | null;
  readonly errno: string | null;
  readonly errstr: string | null;
  readonly loaderRetval: number | null;
  /** Outer (userspace) bpf() calls of bpf_load_and_run, in order. */
  readonly outerCalls: readonly CallFacts[];
  /** The first outer call that failed, with the stage that failed in it. */
  readonly failedCall: (CallFacts & { readonly stage: { id: string; name: string; detail: string | null } | null }) | null;
  /** The loader's BPF_PROG_LOAD, when bpf_load_and_run got that far. */
  readonly progLoad:
    | (CallFacts & {
        readonly insnCnt: number;
        readonly signed: boolean;
        readonly signatureSize: number;
        readonly keyringId: number;
        /** attr->signature_maps_size (0 where the UAPI has no such field): maps in a signed hash chain (HC-UAPI-1). */
        readonly signatureMapsSize: number;
      })
    | null;
  /**
   * The signature stage of that call (the stage with role `signature`, wherever the profile puts it:
   * LOAD-9 on v6.18): its id and name, and what it concluded; null when the kernel skipped it (no
   * signature) or has none.
   */
  readonly signatureStage: { readonly id: string; readonly name: string; readonly ret: number; readonly errno: string | null; readonly detail: string | null } | null;
  /** The signature stage the call entered (even when it found no signature to check), or null if the profile has none. */
  readonly signatureSlot: { readonly id: string; readonly name: string } | null;
  /** security_bpf_prog_load for the loader. */
  readonly lsmProgLoad: { readonly ret: number; readonly lsm: string; readonly signature: string; readonly signatureSize: number | null; readonly kernel: boolean } | null;
  readonly loaderProgId: number | null;
  readonly loaderLoadAudit: AuditRef | null;
  readonly loaderUnloadAudit: AuditRef | null;
  /** BPF_PROG_TEST_RUN of the loader. */
  readonly testRun: (CallFacts & { readonly retval: number | null; readonly insnsRun: number | null }) | null;
  /** The bpf_sys_bpf calls the loader made. */
  readonly innerCalls: readonly CallFacts[];
  /** Programs the loader created, with their LOAD records. */
  readonly innerProgs: readonly { readonly name: string; readonly id: number; readonly audit: AuditRef | null }[];
  /** security_bpf_prog_load for each program the loader tried to load. */
  readonly innerLsmProgLoad: readonly { readonly prog: string; readonly ret: number; readonly kernel: boolean; readonly signature: string }[];
  /** Maps the loader created. */
  readonly innerMaps: readonly { readonly name: string; readonly id: number }[];
  /** map->sha of the metadata map as the kernel computed it (MHASH-7), hex. */
  readonly mapSha: string | null;
  /** The hash built into the signed loader's instructions (the signature-match block), hex; null for loaders without one. */
  readonly embeddedHash: string | null;
}

/**
 * The metadata hash a signed loader compares map->sha with: the four 64-bit immediates of its
 * signature-match block (LSK-SIGM-2/3), as the 32 digest bytes in hex; null for loaders without one.
 */
export function embeddedMetadataHash(insns: Uint8Array): string | null {
  return signatureMatchBlock(insns)?.embeddedHash ?? null;
}

/** A run's syscall entries and exits, each by its trace id. */
export function syscallsBySys(events: readonly TraceEvent[]): { enters: Map<number, SyscallEnter>; exits: Map<number, SyscallExit> } {
  const enters = new Map<number, SyscallEnter>();
  const exits = new Map<number, SyscallExit>();
  for (const e of events) {
    if (e.kind === 'syscall') enters.set(e.sys, e);
    else if (e.kind === 'exit') exits.set(e.sys, e);
  }
  return { enters, exits };
}

/** Whether a traced BPF_PROG_LOAD passed a signature pointer (attr->signature non-zero). */
export function signedLoad(e: SyscallEnter): boolean {
  return e.attr?.signature !== undefined && e.attr.signature !== '0x0' && e.attr.signature !== 0;
}

function call(e: SyscallEnter, exit: SyscallExit | undefined): CallFacts {
  return { sys: e.sys, cmd: e.cmd ?? e.name, size: e.size ?? null, ret: exit?.ret ?? 0, errno: exit?.errno ?? null, returned: exit !== undefined };
}

/** Facts of a run. */
export function skelFacts(run: SkelRun): SkelFacts {
  const events: readonly TraceEvent[] = run.kernel.trace.events;
  const { enters, exits } = syscallsBySys(events);
  const bpfCalls = [...enters.values()].filter((e) => e.name === 'bpf');
  const outer = bpfCalls.filter((e) => !e.kernel);
  const outerCalls = outer.map((e) => call(e, exits.get(e.sys)));
  const eventsOf = (sys: number) => events.filter((e) => e.sys === sys);

  const failed = outerCalls.find((c) => c.ret < 0) ?? null;
  const failedStage = failed ? (eventsOf(failed.sys).find((e): e is StageEvent => e.kind === 'stage' && !!e.errno) ?? null) : null;

  const loadEnter = outer.find((e) => e.cmd === 'BPF_PROG_LOAD');
  const progLoad = loadEnter
    ? {
        ...call(loadEnter, exits.get(loadEnter.sys)),
        insnCnt: Number(loadEnter.attr?.insn_cnt ?? 0),
        signed: signedLoad(loadEnter),
        signatureSize: Number(loadEnter.attr?.signature_size ?? 0),
        keyringId: Number(loadEnter.attr?.keyring_id ?? 0),
        signatureMapsSize: Number(loadEnter.attr?.signature_maps_size ?? 0),
      }
    : null;
  const loadEvents = progLoad ? eventsOf(progLoad.sys) : [];
  const sigEnter = loadEvents.find((e): e is StageEvent => e.kind === 'stage' && !!e.enter && e.role === 'signature');
  const sigStage = sigEnter ? loadEvents.find((e): e is StageEvent => e.kind === 'stage' && e.id === sigEnter.id && !e.enter) : undefined;
  const hook = loadEvents.find((e): e is HookEvent => e.kind === 'hook' && e.hook === 'bpf_prog_load');
  const loaderAlloc = loadEvents.find((e) => e.kind === 'object' && e.action === 'alloc_id' && e.type === 'prog');
  const loaderProgId = loaderAlloc && loaderAlloc.kind === 'object' ? loaderAlloc.id : null;

  // Audit: records of one event share a serial; the SYSCALL record says which syscall it was.
  const records = run.kernel.audit.records;
  const ref = (re: RegExp): AuditRef | null => {
    const r = records.find((x) => x.type === 'BPF' && re.test(x.body));
    if (!r) return null;
    const sc = records.find((x) => x.serial === r.serial && x.type === 'SYSCALL');
    const f = sc ? parseFields(sc.body) : {};
    return { serial: r.serial, text: r.body, syscall: f.syscall ?? null, a0: f.a0 ?? null };
  };

  const trEnter = outer.find((e) => e.cmd === 'BPF_PROG_TEST_RUN');
  let testRun: SkelFacts['testRun'] = null;
  let innerCalls: CallFacts[] = [];
  if (trEnter) {
    const nested = run.kernel.trace.ofSyscall(trEnter.sys);
    const ran = nested.find((e): e is StageEvent => e.kind === 'stage' && e.id === 'TRUN-2' && e.sys === trEnter.sys && e.ret !== undefined);
    const n = ran?.detail ? /after (\d+) instructions/.exec(ran.detail) : null;
    testRun = { ...call(trEnter, exits.get(trEnter.sys)), retval: run.result.loaderRetval, insnsRun: n ? Number(n[1]) : null };
    innerCalls = nested.filter((e): e is SyscallEnter => e.kind === 'syscall' && e.kernel && e.name === 'bpf').map((e) => call(e, exits.get(e.sys)));
  }
  const innerSys = new Set(innerCalls.map((c) => c.sys));
  const innerObjects = events.filter((e) => e.kind === 'object' && e.action === 'alloc_id' && innerSys.has(e.sys));
  const innerProgs = innerObjects.flatMap((e) => (e.kind === 'object' && e.type === 'prog' ? [{ name: e.name, id: e.id, audit: ref(new RegExp(`^prog-id=${e.id} op=LOAD$`)) }] : []));
  const innerMaps = innerObjects.flatMap((e) => (e.kind === 'object' && e.type === 'map' ? [{ name: e.name, id: e.id }] : []));

  const innerLsmProgLoad = events.flatMap((e) =>
    e.kind === 'hook' && e.hook === 'bpf_prog_load' && innerSys.has(e.sys)
      ? [{ prog: String(e.args.prog ?? ''), ret: e.ret, kernel: e.args.kernel === true, signature: String(e.args.signature ?? '0x0') }]
      : [],
  );

  const shaStage = events.find((e): e is StageEvent => e.kind === 'stage' && e.id === 'MHASH-7' && !e.errno && outer.some((o) => o.sys === e.sys));
  const mapSha = shaStage?.detail && /^[0-9a-f]{64}$/.test(shaStage.detail) ? shaStage.detail : null;

  const o = run.result.oops;
  return {
    err: run.result.err,
    oops: o ? { step: o.step, sys: o.sys, ...o.report } : null,
    errno: run.errno,
    errstr: run.result.errstr,
    loaderRetval: run.result.loaderRetval,
    outerCalls,
    failedCall: failed ? { ...failed, stage: failedStage ? { id: failedStage.id, name: failedStage.name, detail: failedStage.detail ?? null } : null } : null,
    progLoad,
    signatureSlot: sigEnter ? { id: sigEnter.id, name: sigEnter.name } : null,
    signatureStage: sigStage && sigEnter ? { id: sigEnter.id, name: sigEnter.name, ret: sigStage.ret ?? 0, errno: sigStage.errno ?? null, detail: sigStage.detail ?? null } : null,
    lsmProgLoad: hook
      ? {
          ret: hook.ret,
          lsm: hook.lsm,
          signature: String(hook.args.signature ?? '0x0'),
          signatureSize: typeof hook.args.signature_size === 'number' ? hook.args.signature_size : null,
          kernel: hook.args.kernel === true,
        }
      : null,
    loaderProgId,
    loaderLoadAudit: loaderProgId !== null ? ref(new RegExp(`^prog-id=${loaderProgId} op=LOAD$`)) : null,
    loaderUnloadAudit: loaderProgId !== null ? ref(new RegExp(`^prog-id=${loaderProgId} op=UNLOAD$`)) : null,
    testRun,
    innerCalls,
    innerProgs,
    innerLsmProgLoad,
    innerMaps,
    mapSha,
    embeddedHash: embeddedMetadataHash(run.loaded.insns),
  };
}
