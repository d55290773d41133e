// Linux 7.3 as Debian 7.3.4 runs it: the load-time signature scheme (spec 02 §6 with the notes
// dated 2026-12-07, OBS-DEB-30/31/42/44/47). Built on the 7.2.12 tree (STB-1..3, the info padding
// check, `struct bpf_map.excl`); the signature moves from LOAD-9 into bpf_check.
// spec: PROF-1, LT-HIST-1, LT-LOAD-1..5, LT-ERR-9, OBS-DEB-30, OBS-DEB-42/44/47, OBS-DEB-60/61.

import { kernelLoadStages, loadStage, PROCESS_FD_ARRAY, type LoadStage } from '../../syscall/prog-load/index.js';
import { deriveProfile, type KernelProfile } from '../../syscall/profiles/index.js';
import { V7_2 } from '../kp/profiles.js';
import { LT_PROCESS_FD_ARRAY, LT_SIGNATURE_STAGE, LT_SIG_PREPARE } from './stages.js';

/**
 * 7.3's BPF_PROG_LOAD: v6.18's list without a signature slot at LOAD-9 and with
 * security_bpf_prog_load (the shared LOAD-12 stage) moved into bpf_check (LT-LOAD-2): bpf_check
 * opens the verifier log, then size and keyring (LT-LOAD-4), digest and fd_array resolved once with
 * the signed-map checks (LT-LOAD-1, replacing LOAD-13.fd_array), the signature over insns ‖ metadata
 * (LT-SIG-2), the admission hook, and the rest of bpf_check. find_prog_type (LOAD-11) still runs
 * before bpf_check, so a bad prog_type fails before the signature (OBS-DEB-47).
 */
export function loadTimeStages(): LoadStage[] {
  const admission = loadStage('LOAD-12');
  return kernelLoadStages().flatMap((s) => {
    if (s === admission) return [];
    if (s === PROCESS_FD_ARRAY) return [LT_SIG_PREPARE, LT_PROCESS_FD_ARRAY, LT_SIGNATURE_STAGE, admission];
    return [s];
  });
}

const base = deriveProfile(V7_2, [], {
  name: 'v7.3',
  summary: 'Debian 7.3.4 as observed: the load-time scheme — insns ‖ metadata verified inside bpf_check, before security_bpf_prog_load; verdict on the program',
  release: '7.3.4',
  aliases: ['loadtime-2026'],
});

/**
 * v7.3 (alias loadtime-2026). Differences from v7.2 (Debian 7.2.12), each observed or from the 7.3
 * selftests: a zero signature_size is EINVAL before the keyring (LT-ERR-9, OBS-DEB-42/44); the
 * stage list above. Kept from 7.2.12: the 8192-byte bound (OBS-DEB-45/61), EFAULT for an unreadable
 * signature (OBS-DEB-43), the frozen-map hash (LT-ERR-12), the info padding check, and
 * `struct bpf_map.excl` at 32 (INFERRED: libbpf debb5e82 drops the BUILD_BUG_ONs that pinned it,
 * not the member; no 7.3.4 observation reads it).
 */
export const V7_3: KernelProfile = {
  ...base,
  scheme: 'loadtime',
  progSignature: { ...base.progSignature, rejectZeroSize: true },
  progLoadStages: loadTimeStages(),
};
