// The live differential suite: boots each Debian build under QEMU (one boot per kernel), runs every
// plan of spec 10 (src/realkernel/cases.ts), and checks that the stored transcripts
// (test/transcripts/debian-<kver>/, which stored.test.ts replays through the emulator) still hold
// what the real kernel answers. BPFSIG_REAL_UPDATE=1 rewrites them instead.
// Without BPFSIG_REAL=1, or when QEMU, gcc or Debian's registry is missing, every test reports
// itself skipped by name — never silently.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { differentialPlans } from '../../src/realkernel/cases.js';
import { RealKernelError, UNAVAILABLE_KINDS } from '../../src/realkernel/errors.js';
import { debianKernels } from '../../src/realkernel/kernels.js';
import { runOnRealKernel } from '../../src/realkernel/run.js';
import type { Transcript } from '../../src/scenarios/transcript.js';
import { HAS_SHARED } from '../support/shared.js';
import { canonical, LIVE, LIVE_OFF_REASON, TRANSCRIPTS } from './support.js';


describe('live: spec-10 plans on real Debian kernels under QEMU', () => {
  for (const k of debianKernels()) {
    const title = `[OBS-DEB-1][OBS-DEB-2] Debian ${k.kver}: one boot runs every plan; the stored transcripts still match`;
    if (!LIVE || !HAS_SHARED) {
      it.skip(`${title} — ${!LIVE ? LIVE_OFF_REASON : 'skipped: ../shared not found (set BPFSIG_SHARED)'}`, () => {});
      continue;
    }
    it(title, { timeout: 600_000 }, async (ctx) => {
      const plans = differentialPlans();
      let run;
      try {
        run = await runOnRealKernel(k.kver, plans.map((p) => ({ plan: p.plan })));
      } catch (e) {
        if (e instanceof RealKernelError && UNAVAILABLE_KINDS.includes(e.kind)) return ctx.skip(`skipped: ${e.message}`);
        throw e;
      }
      console.log(`real ${k.kver}: ${plans.reduce((a, p) => a + p.plan.steps.length, 0)} steps in one boot, ${(run.bootMs / 1000).toFixed(1)} s (${run.accel})`);
      const dir = join(TRANSCRIPTS, `debian-${k.kver}`);
      const update = process.env.BPFSIG_REAL_UPDATE === '1';
      if (update) mkdirSync(dir, { recursive: true });
      const differ: string[] = [];
      run.plans.forEach((p, i) => {
        const file = join(dir, `${plans[i]!.name}.json`);
        if (update) {
          writeFileSync(file, JSON.stringify(p.transcript, null, 1) + '\n');
          return;
        }
        expect(existsSync(file), `${file} is not stored (BPFSIG_REAL_UPDATE=1 writes it)`).toBe(true);
        const stored = canonical(JSON.parse(readFileSync(file, 'utf8')) as Transcript);
        const now = canonical(p.transcript);
        const n = Math.max(stored.length, now.length);
        for (let j = 0; j < n; j++) if (stored[j] !== now[j]) differ.push(`${plans[i]!.name}: stored ${stored[j] ?? '(none)'}\n    now ${now[j] ?? '(none)'}`);
      });
      expect(differ, `the real kernel now answers differently:\n${differ.slice(0, 20).join('\n')}`).toEqual([]);
    });
  }
});
