// The profile registry. Schemes register their profiles here (src/schemes/index.ts); the syscall
// layer looks them up by name and knows none of them itself. Registration checks the profile's
// stage list (validateStageOrder), so an impossible order fails when the profile is registered, not
// in the middle of a load. spec: PROF-1.

import { validateStageOrder } from '../prog-load/load.js';
import type { KernelProfile } from './profile.js';

const PROFILES = new Map<string, KernelProfile>();
const ALIASES = new Map<string, string>();
let defaultName: string | undefined;

/** Register a profile (and its aliases). Throws StageOrderError for a stage list that cannot run. */
export function registerProfile(p: KernelProfile, opts: { default?: boolean } = {}): void {
  validateStageOrder(p.name, p.progLoadStages);
  const clash = PROFILES.get(p.name);
  if (clash && clash !== p) throw new RangeError(`kernel profile '${p.name}' is registered twice`);
  PROFILES.set(p.name, p);
  for (const a of p.aliases ?? []) ALIASES.set(a, p.name);
  if (opts.default) defaultName = p.name;
}

/** A registered profile by name or alias. */
export function getProfile(name: string): KernelProfile | undefined {
  return PROFILES.get(name) ?? PROFILES.get(ALIASES.get(name) ?? '');
}

/** The profile a kernel gets when none is named (KP Singh's scheme as released, v6.18). */
export function defaultProfile(): KernelProfile {
  const p = defaultName ? PROFILES.get(defaultName) : undefined;
  if (!p) throw new RangeError("no kernel profiles are registered: import 'bpfsig' (src/index.ts) or src/schemes/index.ts first");
  return p;
}

export function profileNames(): string[] {
  return [...PROFILES.keys()];
}

export function allProfiles(): KernelProfile[] {
  return [...PROFILES.values()];
}

/** A name with its aliases, for help text: `v7.3 (loadtime-2026)`. */
export function profileLabel(p: KernelProfile): string {
  return p.aliases?.length ? `${p.name} (${p.aliases.join(', ')})` : p.name;
}

/**
 * The profile for a kernel release string as a transcript records it (`6.18.44`,
 * `6.18.44-fc-v657`): the profile whose `release` is exactly that `x.y.z`; else one whose release is
 * the stable line `x.y.y` (for a later stable release); else the `x.y.0` release. Undefined when
 * nothing fits.
 */
export function profileForRelease(release: string): KernelProfile | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) return undefined;
  const [, maj, min, patch] = m;
  const all = [...PROFILES.values()];
  const exact = all.find((p) => p.release === `${maj}.${min}.${patch ?? 0}`);
  if (exact) return exact;
  const stable = patch && Number(patch) > 0 ? all.find((p) => p.release === `${maj}.${min}.y`) : undefined;
  return stable ?? all.find((p) => p.release === `${maj}.${min}.0`);
}
