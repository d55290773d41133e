// Run plans on a real Debian kernel: fetch (once), build the initramfs, boot QEMU, read the
// runner's answers back and write each plan's transcript. This is the library function every
// `--real` consumer calls (replay, skel load, and later compare).

import { dirname } from 'node:path';
import type { Transcript } from '../scenarios/transcript.js';
import { fetchKernel, readKernelConfig, type FetchOptions } from './cache.js';
import { RealKernelError } from './errors.js';
import { baseInitramfs, initramfsWithRequest } from './initramfs.js';
import { debianKernel } from './kernels.js';
import { bootKernel } from './qemu.js';
import { lowerPlans, parseResults, realSteps, transcriptStep, type Plan, type RealStep, type Roots } from './request.js';

/** The config options a transcript records (as tools/capture/capture.py). */
export const CONFIG_KEYS = [
  'CONFIG_SYSTEM_DATA_VERIFICATION',
  'CONFIG_BPF_LSM',
  'CONFIG_KEYS',
  'CONFIG_PKCS7_MESSAGE_PARSER',
  'CONFIG_X509_CERTIFICATE_PARSER',
  'CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY',
] as const;

export interface RealPlanInput {
  readonly plan: Plan;
  /** Where the plan lives (relative roots resolve against it); default: the working directory. */
  readonly file?: string;
}

export interface RealPlanResult {
  readonly transcript: Transcript;
  /** Per plan step (skipped ones included). */
  readonly steps: RealStep[];
}

export interface RealRun {
  readonly kver: string;
  readonly uname: string;
  readonly accel: 'kvm' | 'tcg';
  /** Wall time of the boot (boot, cases, power-off), ms. */
  readonly bootMs: number;
  /** Boots it took: more than 1 when a guest panicked before the runner started (see the notes). */
  readonly bootAttempts: number;
  readonly plans: RealPlanResult[];
}

export interface RealRunOptions extends FetchOptions {
  readonly roots?: Roots;
  /** Whole-boot timeout; default 120 s plus 0.5 s per case. */
  readonly timeoutMs?: number;
  /** Boots in all when the guest panics before the runner starts (default 2: one retry). */
  readonly bootAttempts?: number;
}

/** The guest panicked in its own boot: no line from the runner (not even uname), a panic on the console. */
export function diedBeforeRunner(res: { readonly done: boolean; readonly uname: string; readonly cases: ReadonlyMap<string, unknown> }, console: string): boolean {
  return !res.done && !res.uname && res.cases.size === 0 && /Kernel panic/.test(console);
}

/** The console line of a kernel panic, for the notes. */
export function panicLine(console: string): string {
  return (console.split('\n').find((l) => l.includes('Kernel panic')) ?? 'Kernel panic').trim().slice(0, 200);
}

/** Run plans on real Debian `kver` in one boot; the transcripts in the emulator's shape. */
export async function runOnRealKernel(kver: string, inputs: readonly RealPlanInput[], opts: RealRunOptions = {}): Promise<RealRun> {
  const k = debianKernel(kver);
  const cached = fetchKernel(k.kver, opts);
  const base = baseInitramfs(opts);
  const req = lowerPlans(
    inputs.map((i) => ({ plan: i.plan, dir: i.file ? dirname(i.file) : process.cwd() })),
    opts.roots,
  );
  const initrd = initramfsWithRequest(base, req.text);
  const timeoutMs = opts.timeoutMs ?? 120_000 + 500 * req.cases.length;
  let boot = await bootKernel(cached.vmlinuz, initrd, { timeoutMs });
  let res = parseResults(boot.results);
  // The boot of OBS-DEB-2. A guest that panicked before the runner said anything (no uname line)
  // died in its own boot, not in a case: under TCG this happens now and then (seen once on 6.18.15:
  // "Fatal exception in interrupt" at 1.5 s). Boot again, up to `bootAttempts` times in all, and say
  // so in the notes. A panic after the runner started is a result and is never retried.
  const earlyPanics: string[] = [];
  while (diedBeforeRunner(res, boot.console) && earlyPanics.length + 1 < (opts.bootAttempts ?? 2)) {
    earlyPanics.push(panicLine(boot.console));
    boot = await bootKernel(cached.vmlinuz, initrd, { timeoutMs });
    res = parseResults(boot.results);
  }
  if (!res.done) {
    const lastCase = [...res.cases.keys()].pop();
    throw new RealKernelError('boot', `the runner did not finish on ${k.kver} (last case: ${lastCase ?? 'none'}); console: ${boot.console.split('\n').filter(Boolean).slice(-3).join(' | ').slice(0, 300)}`);
  }
  const cfg = readKernelConfig(cached.config);
  const config: Record<string, boolean> = {};
  for (const key of CONFIG_KEYS) config[key] = cfg.get(key) === 'y' || cfg.get(key) === 'm';
  const release = /^\d+\.\d+(\.\d+)?/.exec(res.uname)?.[0] ?? k.kver;

  const plans: RealPlanResult[] = inputs.map((input, pi) => {
    const steps: RealStep[] = [];
    const skipped: string[] = [];
    const crashed: string[] = [];
    for (const c of req.cases.filter((c) => c.plan === pi)) {
      const raw = res.cases.get(c.name);
      if (raw && raw.exit !== 0) crashed.push(`${c.name} (runner child exit ${raw.exit})`);
      for (const s of realSteps(c, raw)) {
        steps.push(s);
        if (!s.expect) skipped.push(s.step.id);
      }
    }
    if (crashed.length) throw new RealKernelError('boot', `the runner failed in ${crashed.join(', ')} on ${k.kver}`);
    const notes = [...(input.plan.notes ?? [])];
    notes.push(`Captured by bpfsig (src/realkernel) on Debian ${k.abi} under QEMU (${boot.accel}); each run of the plan in a fresh process with a fresh session keyring; kernel.config read from the package's boot/config.`);
    if (skipped.length) notes.push(`Not run because the step before failed (after_ok): ${skipped.join(', ')}.`);
    for (const p of earlyPanics) notes.push(`Booted again: an earlier boot panicked before the runner started (${p}).`);
    const transcript: Transcript = {
      format: 'bpfsig-transcript/1',
      kernel: { release, uname_r: res.uname, config },
      creds: { euid: 0, caps: ['CAP_SYS_ADMIN', 'CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN'] },
      ...(input.plan.root ? { root: input.plan.root } : {}),
      ...(input.plan.case ? { case: input.plan.case } : {}),
      ...(input.plan.description ? { description: input.plan.description } : {}),
      notes,
      steps: steps.map(transcriptStep).filter((s) => s !== undefined),
    } as Transcript;
    return { transcript, steps };
  });
  return { kver: k.kver, uname: res.uname, accel: boot.accel, bootMs: boot.ms, bootAttempts: earlyPanics.length + 1, plans };
}
