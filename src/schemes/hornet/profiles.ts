// The kernels of the Hornet scheme: a 2026 tree carrying the v6.18-stable fixes (PROF-1), Paul
// Moore's integrity-hook framework, the Hornet LSM and IPE — Hornet as posted (v7, 2026-05-07) or
// with the 2026-05-29 fixes (HN-REV-1). KP Singh's in-kernel check (LOAD-9) stays (HN-KP-1); the
// `-no-kp` profiles drop it to show Hornet alone (HN-KP-2, the spec's `hornetKpCheck = false`).
// Which Hornet revision each profile runs: revisions.ts.
// spec: PROF-1, HN-REV-1, HN-HOOK-1, HN-HOOK-2, HN-KP-1, HN-KP-2, LSM-HOOK-2

import { deriveProfile, withStages, type KernelFix, type KernelProfile } from '../../syscall/profiles/index.js';
import { V6_18_STABLE } from '../kp/profiles.js';
import { KP_SIGNATURE_STAGE } from '../kp/signature-stage.js';

/**
 * Paul Moore's "lsm: framework for BPF integrity verification" (Hornet v7 01-series): the
 * bpf_prog_load_integrity hooks run inside security_bpf_prog_load before the bpf_prog_load hooks,
 * and integrity LSMs hand verdicts on with security_bpf_prog_load_post_integrity. spec: HN-HOOK-1, HN-HOOK-2
 */
export const LSM_INTEGRITY_FRAMEWORK: KernelFix = {
  id: 'HN-HOOK-1',
  title: 'lsm: framework for BPF integrity verification',
  apply: (p) => ({ ...p, fixes: p.fixes.includes('HN-HOOK-1') ? p.fixes : [...p.fixes, 'HN-HOOK-1'], lsmIntegrityHooks: true }),
};

function hornetProfile(name: string, summary: string, release: string): KernelProfile {
  return { ...deriveProfile(V6_18_STABLE, [LSM_INTEGRITY_FRAMEWORK], { name, summary, release }), scheme: 'hornet' };
}

/** The same kernel without KP's LOAD-9: Hornet's verdict is the only signature check. spec: HN-KP-2 */
function withoutKpCheck(p: KernelProfile, name: string, summary: string): KernelProfile {
  const q = withStages(p, (stages) => stages.filter((s) => s !== KP_SIGNATURE_STAGE));
  return { ...q, name, summary, lineage: [...p.lineage, p.name, '-LOAD-9'] };
}

/** Hornet with the 2026-05-29 fixes (TOCTOU fix, inverted map-set check, off-by-one, gen_sig fixes). */
export const HORNET_V7 = hornetProfile(
  'hornet-v7',
  'Hornet v7 with the 2026-05-29 fixes (v7-toctou-fix) + integrity hooks + IPE on a 2026 tree with the 6.18-stable fixes; KP\'s LOAD-9 kept',
  'next-20260529',
);

/** Hornet as posted in [PATCH v7 06/10] (2026-05-07). */
export const HORNET_V7_POSTED = hornetProfile(
  'hornet-v7-posted',
  'Hornet v7 as posted 2026-05-07 (v7-posted: indexed map entries checked at admission, BPF_PROG_RUN re-check) + integrity hooks + IPE; KP\'s LOAD-9 kept',
  'next-20260507',
);

export const HORNET_V7_NO_KP = withoutKpCheck(HORNET_V7, 'hornet-v7-no-kp', 'hornet-v7 without KP\'s in-kernel check (LOAD-9 dropped): Hornet alone decides what is signed (HN-KP-2)');

export const HORNET_V7_POSTED_NO_KP = withoutKpCheck(
  HORNET_V7_POSTED,
  'hornet-v7-posted-no-kp',
  'hornet-v7-posted without KP\'s in-kernel check (LOAD-9 dropped): Hornet alone decides what is signed (HN-KP-2)',
);
