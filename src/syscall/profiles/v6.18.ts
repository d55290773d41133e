// v6.18 as released (2025-11-30): KP Singh's signed BPF programs with their original quirks.
// spec: KP-* (02-schemes.md §2), UAPI-CONV-3 (168-byte attr), KP-Q-1 (ENOMEM for a bad signature
// pointer), KP-Q-2 (no size bound), KP-Q-4 (no frozen check for the map hash), DIG-1 (SHA-256 digest),
// MHASH-8 (struct bpf_map starts with sha[32]).

import { V6_17 } from './v6.17.js';
import { V6_18_PROG_LOAD_STAGES } from './profile.js';
import type { KernelProfile } from './profile.js';

export const V6_18: KernelProfile = {
  ...V6_17,
  name: 'v6.18',
  summary: 'Linux 6.18 as released: signed loader at BPF_PROG_LOAD, metadata hash checked by the loader',
  release: '6.18.0',
  lineage: ['v6.17'],
  uapi: new Set(['signing-6.18']),
  mapHash: { requireFrozen: false },
  progSignature: { sizeBound: null, copyFaultErrno: 'ENOMEM' },
  digest: 'sha256',
  structBpfMapHasSha: true,
  structBpfMapExcl: false,
  progLoadStages: V6_18_PROG_LOAD_STAGES,
};
