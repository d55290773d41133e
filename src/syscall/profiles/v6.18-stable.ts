// v6.18.y with every 2026 stable fix to the signing code. spec: STB-1..7.

import { STABLE_2026_FIXES } from './fixes.js';
import { deriveProfile } from './profile.js';
import { V6_18 } from './v6.18.js';

export const V6_18_STABLE = deriveProfile(V6_18, STABLE_2026_FIXES, {
  name: 'v6.18-stable',
  summary: 'Linux 6.18.y with the 2026 fixes: signature size bound, frozen-map hash, EFAULT for a bad signature pointer, struct bpf_map.excl',
  release: '6.18.y',
});
