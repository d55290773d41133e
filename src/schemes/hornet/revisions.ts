// The two Hornet code revisions the scheme models, and which one each of its kernel profiles runs.
// spec: HN-REV-1 (and its 2026-12-07 note: `v7-toctou-fix` is the code with all eleven fixes of
// 2026-05-29, as stored in the superna9999/linux fork at ebdd5e5d).

/**
 * `v7-posted`: [PATCH v7 06/10] "security: Hornet LSM" (2026-05-07) — map entries carry an
 * fd_array index, hashes are checked at admission, a runtime re-check on userspace BPF_PROG_RUN.
 * `v7-toctou-fix`: after the 2026-05-29 fixes — no index, hashes stashed at admission and matched as
 * a subset of the program's used maps at security_bpf_prog.
 */
export type HornetRevision = 'v7-posted' | 'v7-toctou-fix';

export const HORNET_REVISIONS: readonly HornetRevision[] = ['v7-toctou-fix', 'v7-posted'];

/** The newest Hornet code, what a kernel with Hornet runs unless told otherwise (HN-REV-1). */
export const DEFAULT_HORNET_REVISION: HornetRevision = 'v7-toctou-fix';

/** The revision built into each of the scheme's kernel profiles. */
export const HORNET_PROFILE_REVISION: Readonly<Record<string, HornetRevision>> = {
  'hornet-v7': 'v7-toctou-fix',
  'hornet-v7-no-kp': 'v7-toctou-fix',
  'hornet-v7-posted': 'v7-posted',
  'hornet-v7-posted-no-kp': 'v7-posted',
};

export function isHornetRevision(x: unknown): x is HornetRevision {
  return typeof x === 'string' && (HORNET_REVISIONS as readonly string[]).includes(x);
}
