// How `bpfsig skel load` and `bpfsig demo` show one skeleton run: as text (the per-syscall
// timeline, the skeleton's result line, optionally the audit log) or as one JSON object whose
// shape docs/cli.md documents (`format: "bpfsig-skel-load/1"`).

import { formatAuditd } from '../audit/format.js';
import type { BpfMap } from '../syscall/objects/map.js';
import type { BpfProg } from '../syscall/objects/prog.js';
import { mapTypeName, progTypeName } from '../syscall/uapi/consts.js';
import type { SkelRun } from './skel-run.js';
import { renderTimeline } from './timeline.js';
import { timelineToJson, type TimelineCallJson } from './timeline-json.js';

export const SKEL_LOAD_FORMAT = 'bpfsig-skel-load/1';

export interface SkelObjectJson {
  fd: number;
  id: number;
  /** Kernel object name (maps: e.g. `minimal_.bss`; programs: up to 15 characters). */
  name: string;
  type: string;
}

export interface SkelLoadJson {
  format: typeof SKEL_LOAD_FORMAT;
  /** The header's skeleton struct and blob sizes. */
  skeleton: { name: string; style: string; insnCnt: number; dataSize: number; signatureSize: number | null; exclHash: boolean };
  profile: string;
  /** The scheme the profile belongs to (src/schemes/<name>). */
  scheme: string;
  /** The LSMs loaded after capability, in order. */
  lsm: string[];
  /** The vmlinux BTF the kernel booted with: builtin, build (the real build's), file, … (kernel-btf/source.ts). */
  kernelBtf: { kind: string; label: string };
  /** The toolchain whose libbpf flow ran the skeleton, and its bpf_load_and_run flow. */
  toolchain: { name: string; flow: string; candidates: string[] };
  /** Where the certificate was placed and which keyring_id the skeleton passed. */
  keyring: { placement: string | null; keyringId: number; cert: boolean; addKey: { ret: number; errno: string | null } | null };
  tampers: { blob: string; offset: number; before: number; after: number }[];
  /**
   * loaded / rejected (the kernel returned an errno) / not-emulated (a call reached a path bpfsig
   * does not model: no kernel answer; `notEmulated` says which path) / oops (the task was killed).
   */
  outcome: 'loaded' | 'rejected' | 'not-emulated' | 'oops';
  notEmulated: string | null;
  /** 0, or the negative errno `<name>__load()` returned; null when not emulated or it never returned (`oops`). */
  result: number | null;
  errno: string | null;
  /**
   * Set when the kernel oopsed inside one of bpf_load_and_run's syscalls: the task was killed there,
   * `<name>__load()` never returned (result, errno and errstr are null). Never an errno.
   */
  oops: { step: string; sys: number; text: string; where: string; rule: string; detail: string } | null;
  /** libbpf's errstr for the failing step, or null. */
  errstr: string | null;
  /** test.retval of the loader run, or null when the loader never ran. */
  loaderRetval: number | null;
  /**
   * skel->maps.<ident> / skel->progs.<name> after a successful load: fd and kernel object. A slot
   * whose fd is not open, or names another kind of object than the slot's (a loader may store
   * anything there), is shown as it is: `{ fd, id: null, name: null, type: "<kind> (not a map)" }`.
   */
  maps: Record<string, SkelObjectJson | SkelSlotJson>;
  progs: Record<string, (SkelObjectJson & { tag: string }) | SkelSlotJson>;
  timeline: TimelineCallJson[];
  /** The audit log in auditd's text format, one line per record. */
  audit: string[];
  /**
   * Trace events and audit records the kernel's retention ring dropped before these were read
   * (0 for a run shorter than the ring: the timeline and audit log above are then complete).
   */
  dropped: { trace: number; audit: number };
}

/** A ctx slot that does not hold what the skeleton expects there. */
export interface SkelSlotJson {
  fd: number;
  id: null;
  name: null;
  /** `fd not open`, `bpf-map (not a program)`, `tty (not a map)`, … */
  type: string;
}

function slot(fd: number, kind: string | undefined, want: string): SkelSlotJson {
  return { fd, id: null, name: null, type: kind === undefined ? 'fd not open' : `${kind} (not a ${want})` };
}

export function skelRunToJson(run: SkelRun): SkelLoadJson {
  const { result, proc, loaded } = run;
  // The fds come from the ctx the loader program wrote: look at what each one really is.
  const maps: SkelLoadJson['maps'] = {};
  for (const [ident, fd] of Object.entries(result.mapFds)) {
    const f = proc.fds.get(fd);
    if (f?.kind === 'bpf-map') {
      const m = f.object as BpfMap;
      maps[ident] = { fd, id: m.id, name: m.name, type: mapTypeName(m.mapType) };
    } else maps[ident] = slot(fd, f?.kind, 'map');
  }
  const progs: SkelLoadJson['progs'] = {};
  for (const [name, fd] of Object.entries(result.progFds)) {
    const f = proc.fds.get(fd);
    if (f?.kind === 'bpf-prog') {
      const p = f.object as BpfProg;
      progs[name] = { fd, id: p.id, name: p.name, type: progTypeName(p.type), tag: Buffer.from(p.tag).toString('hex') };
    } else progs[name] = slot(fd, f?.kind, 'program');
  }
  return {
    format: SKEL_LOAD_FORMAT,
    skeleton: {
      name: loaded.name,
      style: loaded.style,
      insnCnt: loaded.insns.length / 8,
      dataSize: loaded.data.length,
      signatureSize: loaded.signature?.length ?? null,
      exclHash: loaded.exclHash !== undefined,
    },
    profile: run.profile,
    scheme: run.scheme,
    lsm: [...run.lsm],
    kernelBtf: { ...run.kernel.btfSource },
    toolchain: { name: run.toolchain, flow: result.flow.name, candidates: [...run.toolchainCandidates] },
    keyring: {
      placement: run.keyring.name,
      keyringId: run.keyring.id,
      cert: run.keyring.cert,
      addKey: run.addKey ? { ret: run.addKey.ret, errno: run.addKey.errno ?? null } : null,
    },
    tampers: run.tampers.map((t) => ({ ...t })),
    outcome: result.outcome,
    notEmulated: result.notEmulated ?? null,
    result: result.outcome === 'not-emulated' ? null : result.err,
    errno: run.errno,
    oops: result.oops ? { step: result.oops.step, sys: result.oops.sys, ...result.oops.report } : null,
    errstr: result.errstr,
    loaderRetval: result.loaderRetval,
    maps,
    progs,
    timeline: timelineToJson(run.kernel.trace.events),
    audit: formatAuditd(run.kernel.audit.records),
    dropped: { trace: run.kernel.trace.dropped, audit: run.kernel.audit.dropped },
  };
}

/** `result: -EINVAL (-22)  errstr "error returned by loader prog"  loader retval -22` */
export function resultLine(run: SkelRun): string {
  const r = run.result;
  if (r.oops)
    return `result: KERNEL OOPS in ${r.oops.step} (syscall #${r.oops.sys}): ${r.oops.report.text} — the task was killed, ${run.loaded.name}__load() never returned (no errno, no errstr)`;
  if (r.outcome === 'not-emulated') {
    return `result: not emulated: ${r.notEmulated}  (bpfsig does not model this path; no kernel answer)  step "${r.errstr}"  loader retval ${r.loaderRetval ?? 'none'}`;
  }
  const res = r.err === 0 ? '0 (loaded)' : `-${run.errno} (${r.err})`;
  return `result: ${res}  errstr ${r.errstr === null ? 'none' : `"${r.errstr}"`}  loader retval ${r.loaderRetval ?? 'none (the loader did not run)'}`;
}

/** One line per map and program the skeleton got back. */
export function objectLines(json: SkelLoadJson): string[] {
  const out: string[] = [];
  for (const [ident, m] of Object.entries(json.maps))
    out.push(m.id === null ? `  maps.${ident.padEnd(14)} fd ${m.fd}  ${m.type}` : `  maps.${ident.padEnd(14)} fd ${m.fd}  map id ${m.id} '${m.name}' ${m.type}`);
  for (const [name, p] of Object.entries(json.progs))
    out.push('tag' in p ? `  progs.${name.padEnd(13)} fd ${p.fd}  prog id ${p.id} '${p.name}' ${p.type} tag ${p.tag}` : `  progs.${name.padEnd(13)} fd ${p.fd}  ${p.type}`);
  return out;
}

export function describeSetup(run: SkelRun): string {
  const k = run.keyring;
  const where = !k.cert
    ? `no certificate; keyring_id ${k.id}`
    : k.name === 'session'
      ? `certificate added to the session keyring with add_key (${run.addKey && run.addKey.ret >= 0 ? `key ${run.addKey.ret}` : `-${run.addKey?.errno}`}); keyring_id ${k.id}`
      : k.name === 'builtin'
        ? `certificate compiled into the kernel (.builtin_trusted_keys); keyring_id ${k.id}`
        : `certificate loaded by the kernel into .${k.name === 'secondary' ? 'secondary_trusted_keys' : 'platform'}; keyring_id ${k.id}`;
  const t = run.tampers.map((x) => `${x.blob}[${x.offset}] 0x${x.before.toString(16).padStart(2, '0')} → 0x${x.after.toString(16).padStart(2, '0')}`);
  const btf = run.kernel.btfSource.kind === 'builtin' ? '' : `; kernel BTF: ${run.kernel.btfSource.label}`;
  return `profile ${run.profile} (scheme ${run.scheme}); lsm=capability${run.lsm.map((x) => ',' + x).join('')}; ${run.toolchain} flow ${run.result.flow.name}; ${where}${t.length ? `; tampered: ${t.join(', ')}` : ''}${btf}`;
}

export interface SkelTextOptions {
  readonly audit?: boolean;
  readonly capable?: boolean;
}

/** The text report: setup, timeline, result (and objects), audit log when asked. */
export function formatSkelRun(run: SkelRun, opts: SkelTextOptions = {}): string[] {
  const json = skelRunToJson(run);
  const out = [`skeleton ${json.skeleton.name} (${json.skeleton.style}, ${json.skeleton.insnCnt} loader insns, ${json.skeleton.dataSize}-byte data blob${json.skeleton.signatureSize !== null ? `, ${json.skeleton.signatureSize}-byte signature` : ', unsigned'})`];
  out.push(describeSetup(run), '', '== timeline');
  if (json.dropped.trace) out.push(`(the ${json.dropped.trace} oldest trace events were dropped: the kernel keeps the newest ${run.kernel.trace.capacity})`);
  out.push(...renderTimeline(run.kernel.trace.events, { capable: !!opts.capable }));
  out.push('', '== result', resultLine(run), ...objectLines(json));
  if (opts.audit) {
    out.push('', '== audit log (auditd format)');
    if (json.dropped.audit) out.push(`(the ${json.dropped.audit} oldest audit records were dropped by the retention ring)`);
    out.push(...json.audit);
  }
  return out;
}
