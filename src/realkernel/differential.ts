// The emulator beside a real kernel: replay a transcript captured on a real Debian kernel through
// the profile that models that build, step by step — return, errno, `out` values, and the
// `type=1334` audit records each step produced. Each run (`<run>/` step-id prefix) gets a fresh
// emulated kernel, as each ran in a fresh process with a fresh session keyring on the real one.

import { Replayer, type ReplayOptions, type StepReport } from '../scenarios/replay.js';
import type { Transcript, TranscriptStep } from '../scenarios/transcript.js';
import type { KernelConfig, KernelProfile } from '../syscall/profiles/profile.js';
import { normalizeAudit } from './request.js';

export interface DiffStep extends StepReport {
  /** The audit records the real kernel showed and the emulator's, normalized (when recorded). */
  readonly audit?: { readonly real: readonly string[]; readonly emulator: readonly string[] };
}

export interface DiffReport {
  readonly profile: string;
  readonly steps: DiffStep[];
  readonly counts: { agree: number; disagree: number; unsupported: number };
}

function runsOf(steps: readonly TranscriptStep[]): TranscriptStep[][] {
  const out: TranscriptStep[][] = [];
  let run: string | undefined | null = null;
  for (const s of steps) {
    const slash = s.id.indexOf('/');
    const r = slash > 0 ? s.id.slice(0, slash) : undefined;
    if (run === null || r !== run) out.push([]);
    run = r;
    out[out.length - 1]!.push(s);
  }
  return out;
}

/**
 * Replay `t` (captured on a real kernel) through `profile`. `config` overrides the profile's
 * configuration on top of what the transcript records (a stand-in profile's overrides).
 */
export function diffTranscript(t: Transcript, profile: KernelProfile, opts: Omit<ReplayOptions, 'profile'>, config: Partial<KernelConfig> = {}): DiffReport {
  const steps: DiffStep[] = [];
  const cfg: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(t.kernel.config ?? {})) if (typeof v === 'boolean' && k in profile.config) cfg[k] = v;
  Object.assign(cfg, config);
  const ropts: ReplayOptions = { ...opts, kernel: { ...opts.kernel, config: cfg as Partial<KernelConfig> } };
  for (const run of runsOf(t.steps)) {
    const r = new Replayer({ ...t, steps: run }, ropts, profile);
    const ids = new Map<string, number>();
    for (const step of run) {
      const before = r.kernel.audit.records.length;
      const rep = r.runStep(step);
      const realAudit = Array.isArray(step.audit) ? (step.audit as string[]) : undefined;
      if (!realAudit) {
        steps.push(rep);
        continue;
      }
      const emu = r.kernel.audit.records
        .slice(before)
        .filter((x) => x.type === 'BPF')
        .map((x) => normalizeAudit(`type=1334 ${x.body}`, ids));
      const same = emu.length === realAudit.length && emu.every((x, i) => x === realAudit[i]);
      steps.push({
        ...rep,
        audit: { real: realAudit, emulator: emu },
        ...(same || rep.status === 'unsupported'
          ? {}
          : { status: 'disagree' as const, mismatches: [...rep.mismatches, `audit: kernel ${JSON.stringify(realAudit)}, emulator ${JSON.stringify(emu)}`] }),
      });
    }
    r.closeAll();
  }
  const counts = { agree: 0, disagree: 0, unsupported: 0 };
  for (const s of steps) counts[s.status]++;
  return { profile: profile.name, steps, counts };
}
