// `bpfsig skel load … --real KVER`: the same skeleton load as runSkeleton(), on a real Debian
// kernel, reported in the `bpfsig-skel-load/1` JSON shape (timeline entries are the calls the
// loading process made — a real kernel does not show the loader's inner calls or its stages —
// with the `type=1334` audit records each one produced).

import type { LightSkeleton } from '../loader/lskel-reader.js';
import type { SkelResult } from '../loader/skel-runtime.js';
import { applyTampers, keyringChoice, pickToolchain, type AppliedTamper, type KeyringName, type SkeletonSetupOptions } from '../scenarios/skel-run.js';
import { SKEL_LOAD_FORMAT, type SkelLoadJson } from '../scenarios/skel-report.js';
import type { TimelineCallJson, TimelineEventJson } from '../scenarios/timeline-json.js';
import type { ErrnoName } from '../syscall/errno.js';
import { ATTR_LAYOUTS } from '../syscall/uapi/attr-layouts.js';
import { mapTypeName, parseCmd, progTypeName } from '../syscall/uapi/consts.js';
import { InputError } from '../errors.js';
import { fetchKernel, readKernelConfig } from './cache.js';
import { debianKernel } from './kernels.js';
import type { RealStep } from './request.js';
import { runOnRealKernel, type RealRun, type RealRunOptions } from './run.js';
import { errnoOf, playBackSkeleton, skelLoadPlan, type SkelPlan } from './skel.js';

/** The boot's options and the skeleton's set-up; `keyring` is the session placement or a raw keyring_id (builtin/secondary/platform need the kernel to hold the cert). */
export interface RealSkelOptions extends RealRunOptions, SkeletonSetupOptions {}

export interface RealSkelRun {
  readonly real: RealRun;
  readonly plan: SkelPlan;
  readonly steps: readonly RealStep[];
  readonly result: SkelResult;
  readonly tampers: readonly AppliedTamper[];
  readonly loaded: LightSkeleton;
  readonly keyring: { readonly name: KeyringName | null; readonly id: number; readonly cert: boolean };
  readonly toolchain: string;
  readonly toolchainCandidates: readonly string[];
  /** CONFIG_LSM of the build (the LSMs it enables by default). */
  readonly lsm: readonly string[];
}

/** Load `skel` on real Debian `kver` (one boot). */
export async function runSkeletonReal(kver: string, skel: LightSkeleton, opts: RealSkelOptions = {}): Promise<RealSkelRun> {
  debianKernel(kver);
  const { name: keyringName, id: keyringId } = keyringChoice(opts);
  if (keyringName && keyringName !== 'session')
    throw new InputError(`--keyring ${keyringName} needs the certificate inside the kernel's own keyrings; on a real kernel use --keyring session or a raw keyring id`);
  if (opts.certDer && typeof opts.keyring === 'number') throw new InputError('a certificate needs a keyring placement (session), not a raw keyring id');
  const { toolchain, candidates } = pickToolchain(skel, opts.toolchain);
  const { skel: loaded, applied } = applyTampers(skel, opts.tampers ?? []);
  const runOpts = { flow: toolchain.flow, keyringId, ...(opts.skipFreeze ? { skipFreeze: true } : {}), ...(opts.skipHash ? { skipHash: true } : {}) };
  const plan = skelLoadPlan(loaded, {
    ...runOpts,
    info: true,
    ...(opts.certDer ? { addKey: { der: opts.certDer, keyring: 'KEY_SPEC_SESSION_KEYRING', description: opts.keyDescription ?? 'bpfsig signing key' } } : {}),
  });
  const real = await runOnRealKernel(kver, [{ plan: { format: 'bpfsig-transcript/1', case: `skel load ${skel.name}`, steps: plan.steps } }], opts);
  const steps = real.plans[0]!.steps;
  const result = playBackSkeleton(loaded, plan, steps, runOpts);
  const lsm = (readKernelConfig(fetchKernel(kver).config).get('CONFIG_LSM') ?? '').replace(/"/g, '').split(',').filter(Boolean);
  return {
    real,
    plan,
    steps,
    result,
    tampers: applied,
    loaded,
    keyring: { name: keyringName, id: keyringId, cert: !!opts.certDer },
    toolchain: toolchain.name,
    toolchainCandidates: candidates.map((t) => t.name),
    lsm,
  };
}

/** The `bpfsig-skel-load/1` object for a real run (plus `real`: which kernel, how it ran). */
export function realSkelToJson(run: RealSkelRun): SkelLoadJson & { real: { kver: string; uname: string; accel: string; bootMs: number } } {
  const byId = new Map(run.steps.map((s) => [s.step.id, s]));
  const info = (id: string) => byId.get(id)?.raw;
  const maps: SkelLoadJson['maps'] = {};
  const progs: SkelLoadJson['progs'] = {};
  if (run.result.err === 0) {
    run.loaded.maps.forEach((m, i) => {
      const r = info(run.plan.infoIds.maps[i]!);
      const fd = run.result.mapFds[m.ident];
      if (r && fd !== undefined) maps[m.ident] = { fd, id: Number(r.get('info.id')), name: String(r.get('info.name')), type: mapTypeName(Number(r.get('info.type'))) };
    });
    run.loaded.progs.forEach((p, j) => {
      const r = info(run.plan.infoIds.progs[j]!);
      const fd = run.result.progFds[p];
      if (r && fd !== undefined)
        progs[p] = { fd, id: Number(r.get('info.id')), name: String(r.get('info.name')), type: progTypeName(Number(r.get('info.type'))), tag: String(r.get('info.tag')) };
    });
  }
  const addKey = run.plan.addKeyId ? byId.get(run.plan.addKeyId) : undefined;
  const flowIds = new Set([...(run.plan.addKeyId ? [run.plan.addKeyId] : []), ...run.plan.flow]);
  return {
    format: SKEL_LOAD_FORMAT,
    skeleton: {
      name: run.loaded.name,
      style: run.loaded.style,
      insnCnt: run.loaded.insns.length / 8,
      dataSize: run.loaded.data.length,
      signatureSize: run.loaded.signature?.length ?? null,
      exclHash: run.loaded.exclHash !== undefined,
    },
    profile: `real:${run.real.kver}`,
    scheme: 'real kernel',
    lsm: [...run.lsm],
    kernelBtf: { kind: 'real', label: `the real kernel's own (${run.real.uname})` },
    toolchain: { name: run.toolchain, flow: run.result.flow.name, candidates: [...run.toolchainCandidates] },
    keyring: {
      placement: run.keyring.name,
      keyringId: run.keyring.id,
      cert: run.keyring.cert,
      addKey: addKey && addKey.ret !== null ? { ret: addKey.ret, errno: addKey.errno } : null,
    },
    tampers: run.tampers.map((t) => ({ ...t })),
    // A real kernel always answers: the outcome is never 'not-emulated' here.
    outcome: run.result.err === 0 ? 'loaded' : 'rejected',
    notEmulated: null,
    result: run.result.err,
    errno: run.result.err === null ? null : errnoOf(run.result.err),
    // The real kernel's answers are played back; a task the real kernel killed is not one of them.
    oops: null,
    errstr: run.result.errstr,
    loaderRetval: run.result.loaderRetval,
    maps,
    progs,
    timeline: realTimeline(run.steps.filter((s) => flowIds.has(s.step.id))),
    audit: run.steps.flatMap((s) => s.audit),
    dropped: { trace: 0, audit: 0 },
    real: { kver: run.real.kver, uname: run.real.uname, accel: run.real.accel, bootMs: run.real.bootMs },
  };
}

/** Timeline entries (the emulator's JSON shape) for the steps the real kernel ran. */
export function realTimeline(steps: readonly RealStep[]): TimelineCallJson[] {
  const out: TimelineCallJson[] = [];
  for (const s of steps) {
    if (s.ret === null) continue;
    const cmdNum = s.step.cmd.startsWith('BPF_') ? parseCmd(s.step.cmd) : undefined;
    const events: TimelineEventJson[] = [
      ...s.audit.map((text): TimelineEventJson => ({ kind: 'audit', serial: 0, type: /type=1334/.test(text) ? 'BPF' : 'UNKNOWN', text })),
      ...s.klog.map((text): TimelineEventJson => ({ kind: 'note', text: `kernel log: ${text}` })),
    ];
    const attr: Record<string, string | number> = {};
    if (cmdNum !== undefined && s.step.attr && ATTR_LAYOUTS.get(cmdNum)) {
      for (const [k, v] of Object.entries(s.step.attr)) attr[k] = typeof v === 'number' || typeof v === 'string' ? v : describeForm(v);
    }
    out.push({
      sys: out.length + 1,
      parent: null,
      depth: 0,
      pid: 0,
      kernel: false,
      call: cmdNum !== undefined ? 'bpf' : s.step.cmd,
      cmd: cmdNum !== undefined ? s.step.cmd : null,
      size: cmdNum !== undefined ? (s.step.attr_size ?? null) : null,
      attr: cmdNum !== undefined ? attr : null,
      args: cmdNum === undefined ? { step: s.step.id } : null,
      outcome: s.ret < 0 ? 'errno' : 'ok',
      ret: s.ret,
      errno: (s.errno as ErrnoName | null) ?? null,
      notEmulated: null,
      nonFd: null,
      oops: null,
      events,
    });
  }
  return out;
}

function describeForm(v: unknown): string {
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.fd === 'string') return `fd of ${o.fd}${o.out ? ` (${String(o.out)}+${String(o.offset ?? 0)})` : ''}`;
    if (Array.isArray(o.fd_array)) return `fd_array [${o.fd_array.join(', ')}]`;
    if (typeof o.file === 'string') return `<${o.file}${o.flip !== undefined ? ` flip ${String(o.flip)}` : ''}>`;
    if (typeof o.buf === 'string') return `<${o.buf.length / 2} bytes>`;
    if (typeof o.buf_len === 'number') return `<${o.buf_len} bytes>`;
    if (typeof o.str === 'string') return JSON.stringify(o.str);
    if (o.fault === true) return '<unmapped>';
  }
  return JSON.stringify(v);
}
