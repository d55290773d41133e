// The hash-chain kernels: v6.18 with Blaise Boscaccy's "BPF signature hash chains" applied. The
// series was posted against bpf-next of late September 2025 — the v6.18 signing code as released
// (HC-CHK-1: KP-Q-1's -ENOMEM for a bad signature pointer, no size bound) — and never merged.
// spec: PROF-1, HC-HIST-1, HC-UAPI-1 (signature_maps @168, signature_maps_size @176, LAST_FIELD
// signature_maps_size: offsetofend 180, sizeof(union bpf_attr) 184), UAPI-CONV-3, SYS-5, HC-Q-2.

import { kernelLoadStages } from '../../syscall/prog-load/index.js';
import type { KernelProfile } from '../../syscall/profiles/index.js';
import { V6_18 } from '../kp/profiles.js';
import { HASHCHAIN_V1_STAGE, HASHCHAIN_V2_STAGE } from './signature-stage.js';

/**
 * hashchain-v2: "[PATCH bpf-next v2 1/3] bpf: Add hash chain signature support for arbitrary maps"
 * (2025-09-29, `20250929213520.1821223-2`) on v6.18. spec: HC-UAPI-1, HC-CHK-*, HC-SIG-*, HC-Q-1, HC-Q-3.
 */
export const HASHCHAIN_V2: KernelProfile = {
  ...V6_18,
  name: 'hashchain-v2',
  scheme: 'hashchain',
  summary: 'v6.18 + hash chains v2 (never merged): signature_maps / signature_maps_size; with maps, the PKCS#7 signature covers f = SHA256(SHA256(insns) ‖ h_0), checked at LOAD-9',
  release: '6.18.0+hashchain-v2',
  aliases: [],
  lineage: [...V6_18.lineage, V6_18.name],
  fixes: [],
  uapi: new Set([...V6_18.uapi, 'hashchain-v2']),
  progLoadStages: kernelLoadStages([HASHCHAIN_V2_STAGE]),
};

/**
 * hashchain-v1: the 2025-09-26 posting ("[PATCH bpf-next 1/2]", `20250926203111.1305999-2`): the
 * same UAPI and chain, but `if (!maps)` after kvmemdup_bpfptr, so a bad signature_maps pointer or a
 * huge count oopses the kernel (syzbot ci: "general protection fault in bpf_prog_verify_signature").
 * spec: HC-Q-2, HC-ERR-3/4 (oops), CLAIM-24.
 */
export const HASHCHAIN_V1: KernelProfile = {
  ...HASHCHAIN_V2,
  name: 'hashchain-v1',
  summary: 'v6.18 + hash chains v1 (2025-09-26): as hashchain-v2, but a bad signature_maps pointer or a huge count is the syzbot oops, not an errno',
  release: '6.18.0+hashchain-v1',
  progLoadStages: kernelLoadStages([HASHCHAIN_V1_STAGE]),
};
