// Shared helpers of the real-kernel suites: where the stored transcripts live, the PENDING lists,
// and the gate of the live suites (BPFSIG_REAL=1, set by .ci/run).

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
export const PENDING: Record<string, string> = {};
