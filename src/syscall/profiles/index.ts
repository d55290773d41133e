// The profile registry. spec: PROF-1.

import type { KernelProfile } from './profile.js';
import { V6_17 } from './v6.17.js';
import { V6_18 } from './v6.18.js';
import { V6_18_STABLE } from './v6.18-stable.js';
import { V6_18_44 } from './v6.18.44.js';

export type { KernelConfig, KernelFix, KernelProfile } from './profile.js';
export { DEFAULT_CONFIG, deriveProfile } from './profile.js';
export {
  INFO_TAIL_PADDING,
  STABLE_2026_FIXES,
  STB_1_SIGNATURE_SIZE_BOUND,
  STB_2_HASH_REQUIRES_FROZEN,
  STB_3_SIGNATURE_COPY_ERRNO,
} from './fixes.js';

const PROFILES = new Map<string, KernelProfile>();

export function registerProfile(p: KernelProfile): void {
  PROFILES.set(p.name, p);
}

for (const p of [V6_17, V6_18, V6_18_STABLE, V6_18_44]) registerProfile(p);

export function getProfile(name: string): KernelProfile | undefined {
  return PROFILES.get(name);
}

export function profileNames(): string[] {
  return [...PROFILES.keys()];
}

/**
 * The profile for a kernel release string as a transcript records it (`6.18.44`,
 * `6.18.44-fc-v657`): an exact profile if one exists, else the 6.18 stable line for later 6.18.y,
 * else the release's major.minor profile. Undefined when nothing fits.
 */
export function profileForRelease(release: string): KernelProfile | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) return undefined;
  const [, maj, min, patch] = m;
  const exact = PROFILES.get(`v${maj}.${min}.${patch ?? 0}`) ?? (patch ? undefined : PROFILES.get(`v${maj}.${min}`));
  if (exact) return exact;
  if (maj === '6' && min === '18' && patch && Number(patch) > 0) return PROFILES.get('v6.18-stable');
  return PROFILES.get(`v${maj}.${min}`);
}

export { V6_17, V6_18, V6_18_STABLE, V6_18_44 };
