// The Hornet scheme (Blaise Boscaccy, v7 2026-05-07, fixed 2026-05-29; refused by Linus in June
// 2026): an integrity LSM computes a verdict for each BPF_PROG_LOAD from a PKCS#7 signature over the
// instructions and signed map hashes, and policy LSMs (IPE) decide with it. spec: HN-*, IPE-1..6,
// TC-HGS-1, SEQ-1..3, CLAIM-19..21.

import { IPE_BPF_SIGNED_ONLY_POLICY } from '../../lsm/ipe/example-policy.js';
import { registerScheme, type Scheme } from '../registry.js';
import './hornet-lsm.js';
import { HORNET_V7, HORNET_V7_NO_KP, HORNET_V7_POSTED, HORNET_V7_POSTED_NO_KP } from './profiles.js';
import { HORNET_INDEXED_TOOLCHAIN, HORNET_TOOLCHAIN } from './toolchains.js';

export const HORNET_SCHEME: Scheme = {
  name: 'hornet',
  title: 'Hornet LSM v7 + Paul Moore\'s integrity hooks + IPE',
  status:
    'v7 posted 2026-05-07 (Nacked-by Alexei Starovoitov), 11 fixes in Paul Moore\'s LSM tree and linux-next 2026-05-29; Linus Torvalds refused the pull in June 2026 (HN-HIST-1/2, CLAIM-25)',
  signs:
    'the loader instructions (checked by KP\'s LOAD-9 and again by Hornet, HN-KP-1) and, in a signed attribute, the SHA-256 of each signed map (HN-ASN1-1/2)',
  checkedAt:
    'LOAD-9 (KP), then Hornet inside security_bpf_prog_load (bpf_prog_load_integrity, HN-HOOK-1); map hashes at admission (v7-posted) or at security_bpf_prog (v7-toctou-fix, HN-MAP-1); v7-posted re-checks at userspace BPF_PROG_RUN (HN-MAP-3)',
  lsmSees:
    'a verdict (OK, UNSIGNED, PARTIALSIG, UNKNOWNKEY, UNEXPECTED, FAULT, BADSIG) from Hornet (lsm_id 114) through bpf_prog_load_post_integrity; Hornet never denies on the verdict itself (HN-CHK-10), IPE turns it into -EACCES (IPE-2)',
  specIds: ['HN-CHK-1', 'HN-CHK-10', 'HN-MAP-1', 'HN-MAP-3', 'HN-ASN1-3', 'HN-KP-2', 'HN-LIM-3', 'IPE-4', 'TC-HGS-1', 'SEQ-2'],
  profiles: [HORNET_V7, HORNET_V7_POSTED, HORNET_V7_NO_KP, HORNET_V7_POSTED_NO_KP],
  toolchains: [HORNET_TOOLCHAIN, HORNET_INDEXED_TOOLCHAIN],
  defaultToolchain: 'hornet',
  // LSM order …,ipe,hornet,bpf (HN-LIM-3, LSM-STACK-3): IPE decides on Hornet's verdicts with the
  // Hornet integration's example policy (IPE-4).
  defaultLsm: ['ipe', 'hornet'],
  defaultLsmOptions: { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY, ipePolicyFile: 'examples/ipe/bpf-signed-only.policy' },
};

registerScheme(HORNET_SCHEME);
