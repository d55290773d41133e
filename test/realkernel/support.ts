// Shared helpers of the real-kernel suites: where the stored transcripts live, the PENDING lists,
// and the gate of the live suites (BPFSIG_REAL=1, set by .ci/run).

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Transcript } from '../../src/scenarios/transcript.js';

export const TRANSCRIPTS = resolve(dirname(fileURLToPath(import.meta.url)), '../transcripts');
export const PKCS7_DIR = resolve(TRANSCRIPTS, 'pkcs7-debian-6.18.15');
export const PKCS7_SEED = 20261207;

/** The live suites boot real kernels (minutes): only when asked. */
export const LIVE = process.env.BPFSIG_REAL === '1';
export const LIVE_OFF_REASON = 'skipped: the live real-kernel suite boots Debian kernels under QEMU; set BPFSIG_REAL=1 to run it (.ci/run does)';

/**
 * Steps where the emulator's profile answers differently from the real kernel, each with its
 * diagnosis. They must still differ: when one agrees, the entry has to go.
 * Key: `<kver>/<file>#<step id>`.
 */
export const PENDING: Record<string, string> = {
  // verified_insns: the kernel prunes states covered by verified ones (liveness, precision, ranges);
  // bpfsig prunes only identical states. xlated_prog_len and the translated instructions agree.
  '6.18.15/lskel_xlated.json#minimal/xlated_count_getpid': 'verified_insns 20 vs 21: state pruning (docs/fidelity.md)',
  '6.18.15/lskel_xlated.json#multi/xlated_on_openat': 'verified_insns 89 vs 127: state pruning (docs/fidelity.md)',
  '7.2.12/map_elems.json#pch_lookup_1':
    'a 7.x per-CPU hash copies value_size bytes per CPU and zeroes the padding up to 8; 6.18 copies the padding the caller wrote (profile v7.2 keeps the 6.18 rule)',
  '7.2.12/map_elems.json#pch_lookup_and_delete_1': 'the same per-CPU padding rule of 7.x',
  '7.2.12/prog_xlated.json#xlated_get_current_task': '7.x inlines bpf_get_current_task (xlated 32 bytes); xlated.ts models the 6.18 rewrites',
  '7.2.12/prog_xlated.json#xlated_dead_branch_never':
    '7.x removes a conditional jump no path takes even when its target is reached by falling through (24 bytes); 6.18 keeps it (32)',
  '6.18.15/examples_xlated.json#hello/xlated_count_execve': 'verified_insns 20 vs 21: state pruning (docs/fidelity.md)',
  '6.18.15/examples_xlated.json#subprog/xlated_on_sleep': 'verified_insns 58 vs 75: state pruning, and the bpf_loop callback walked once',
};

const BUILTIN_BTF = "bpfsig's built-in vmlinux BTF numbers types (and sizes the blob) differently from the build's own";

/**
 * Steps that differ only because the emulator boots with its built-in vmlinux BTF. The stored
 * replay (stored.test.ts, built-in BTF) must still see them differ; the replay with the build's own
 * BTF (build-btf.test.ts, `kernelBtf: 'build'`) must see them agree. Key as PENDING.
 */
export const BUILTIN_BTF_PENDING: Record<string, string> = {
  '6.18.15/examples_xlated.json#kfunc_core/xlated_on_fork': `tag: the program's kfunc calls carry vmlinux BTF ids and its CO-RE reads the build's offsets; ${BUILTIN_BTF}`,
  ...Object.fromEntries(
    ['6.17.13', '6.18.15', '7.2.12', '7.3.4'].flatMap((k) => [
      [`${k}/vmlinux_btf.json#vmlinux_info`, `info.btf_size: ${BUILTIN_BTF}`],
      [`${k}/vmlinux_btf.json#btf_ids`, `bpf_btf_find_by_name_kind ids: ${BUILTIN_BTF}`],
    ]),
  ),
};

/** What must stay the same between captures: per step its id, command, answer and audit records. */
export function canonical(t: Transcript): string[] {
  return t.steps.map((s) => JSON.stringify({ id: s.id, cmd: s.cmd, expect: s.expect, audit: s.audit ?? null }));
}
