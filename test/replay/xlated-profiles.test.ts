// The acceptance of issue J for the translated programs: the fixture objects (minimal, multi, kfunc)
// and the all_maps example, loaded by their light skeletons under the `v6.18` profile and the
// `v6.18.15` one (Debian's build), create the same maps and programs, with the `bpf_map_info` and
// the `xlated_prog_len` / translated instructions the real Debian 6.18.15 kernel reported
// (test/transcripts/debian-6.18.15/, captured under QEMU by `bpfsig replay --real 6.18.15`).

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayTranscript } from '../../src/scenarios/replay.js';
import { loadTranscript } from '../../src/scenarios/transcript.js';
import { describeShared, fixturePath } from '../support/shared.js';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../transcripts/debian-6.18.15');
/** verified_insns counts walked instructions; the kernel prunes more (docs/fidelity.md). */
const PRUNING = new Set(['minimal/xlated_count_getpid', 'multi/xlated_on_openat']);

describeShared('translated programs and maps against Debian 6.18.15, under v6.18 and v6.18.15', () => {
  for (const profile of ['v6.18', 'v6.18.15']) {
    describe(profile, () => {
      it.each(['lskel_xlated.json', 'all_maps.json'])('[LOAD-13][PINFO-4][MHASH-3] %s: every map and xlated_prog_len as the real kernel reported', (f) => {
        const path = join(DIR, f);
        const rep = replayTranscript(loadTranscript(path), { file: path, profile, roots: new Map([['shared/fixtures', fixturePath()]]) });
        for (const s of rep.steps) {
          const onlyVerified = s.mismatches.length === 1 && s.mismatches[0]!.startsWith('info.verified_insns');
          if (PRUNING.has(s.id)) expect(onlyVerified, `${s.id}: ${s.mismatches.join('; ')}`).toBe(true);
          else expect(s.status, `${s.id}: kernel ${s.expected}, emulator ${s.actual}; ${s.mismatches.join('; ')}`).toBe('agree');
        }
        expect(rep.steps.length).toBeGreaterThan(20);
      });
    });
  }
});
