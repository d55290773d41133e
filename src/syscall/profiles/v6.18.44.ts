// 6.18.44: the kernel that recorded the shared transcripts. It has the size bound and the
// frozen-map hash fix but not the signature-copy errno fix, and that machine was built without
// CONFIG_SYSTEM_DATA_VERIFICATION and refused LSM/fentry programs.
// spec: OBS-PROF-1..4, OBS-LSK-5, KP-OBS-1. The info-struct padding check was OBSERVED on this
// machine's 6.18.44 kernel (docs/fidelity.md).

import { BPF_MAP_EXCL_MEMBER, INFO_TAIL_PADDING, STB_1_SIGNATURE_SIZE_BOUND, STB_2_HASH_REQUIRES_FROZEN } from './fixes.js';
import { deriveProfile } from './profile.js';
import { V6_18 } from './v6.18.js';

export const V6_18_44 = deriveProfile(V6_18, [STB_1_SIGNATURE_SIZE_BOUND, STB_2_HASH_REQUIRES_FROZEN, INFO_TAIL_PADDING, BPF_MAP_EXCL_MEMBER], {
  name: 'v6.18.44',
  summary: 'Linux 6.18.44 as observed (fixture machine): v6.18 + STB-1 + STB-2 + struct bpf_map.excl, no CONFIG_SYSTEM_DATA_VERIFICATION, LSM/fentry programs refused',
  release: '6.18.44',
  config: { CONFIG_SYSTEM_DATA_VERIFICATION: false, CONFIG_KALLSYMS_ALL: false, refuseLsmAndTracingProgs: true },
});
