// `bpfsig replay FILE… --real KVER`: run transcripts or plans on a real Debian kernel (one boot),
// then replay what the real kernel answered through the emulator's profile for that build, so
// each step shows the real kernel beside the emulated one.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../errors.js';
import { replayTranscript, type ReplayReport } from '../scenarios/replay.js';
import type { Transcript } from '../scenarios/transcript.js';
import type { KernelBtfChoice } from '../syscall/kernel-btf/source.js';
import { getProfile } from '../syscall/profiles/index.js';
import { RealKernelError } from './errors.js';
import { profileForDebian } from './kernels.js';
import type { Plan } from './request.js';
import { runOnRealKernel, type RealRun, type RealRunOptions } from './run.js';

/** A plan file, or a transcript used as a plan (its `expect`s are what another kernel said). */
export function loadPlan(path: string): Plan {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`cannot read plan ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const t = (json && typeof json === 'object' && 'replay' in json ? (json as { replay: unknown }).replay : json) as Partial<Plan>;
  if (!t || typeof t !== 'object' || t.format !== 'bpfsig-transcript/1' || !Array.isArray(t.steps)) throw new InputError(`${path} is not a bpfsig-transcript/1 plan or transcript`);
  t.steps.forEach((s, i) => {
    if (!s || typeof s !== 'object' || typeof s.id !== 'string' || typeof s.cmd !== 'string') throw new InputError(`${path}: step ${i} needs id and cmd`);
  });
  return t as Plan;
}

export interface RealReplay {
  readonly real: RealRun;
  readonly files: { file: string; transcript: Transcript; emulator: ReplayReport | null; note: string | null }[];
}

export async function replayOnReal(kver: string, files: readonly string[], opts: RealRunOptions & { profile?: string; save?: string; kernelBtf?: KernelBtfChoice } = {}): Promise<RealReplay> {
  const plans = files.map((f) => ({ plan: loadPlan(f), file: f }));
  const real = await runOnRealKernel(kver, plans, opts);
  let profile: string | undefined = opts.profile;
  let note: string | null = null;
  if (!profile) {
    try {
      const choice = profileForDebian(kver, { allowStandIn: true });
      profile = choice.profile.name;
      note = choice.standIn ?? null;
    } catch (e) {
      if (!(e instanceof RealKernelError)) throw e;
      note = e.message;
    }
  } else if (!getProfile(profile)) throw new InputError(`unknown profile '${profile}'`);
  const out = real.plans.map((p, i) => {
    const file = files[i]!;
    if (opts.save) {
      mkdirSync(opts.save, { recursive: true });
      writeFileSync(join(opts.save, basename(file)), JSON.stringify(p.transcript, null, 1) + '\n');
    }
    const emulator = profile
      ? replayTranscript(p.transcript, { file, profile, ...(opts.roots ? { roots: opts.roots } : {}), ...(opts.kernelBtf !== undefined ? { kernel: { kernelBtf: opts.kernelBtf } } : {}) })
      : null;
    return { file, transcript: p.transcript, emulator, note };
  });
  return { real, files: out };
}
