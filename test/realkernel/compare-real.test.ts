// bpfsig compare --real: every case of the comparison on each real Debian kernel beside the profile
// that models it (issue I). The outcome of a load played back on a real kernel's answers is
// compared in the same terms as the emulated one; the default matrix shows no disagreement.
// Without BPFSIG_REAL=1, QEMU or Debian's registry the live test reports itself skipped by name.

import { describe, expect, it } from 'vitest';
import { RealKernelError, UNAVAILABLE_KINDS } from '../../src/realkernel/errors.js';
import { debianKernels } from '../../src/realkernel/kernels.js';
import { playBackSkeleton, skelLoadPlan } from '../../src/realkernel/skel.js';
import type { RealStep } from '../../src/realkernel/request.js';
import { runCompareReal, skelOutcome } from '../../src/scenarios/compare/real.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { readExampleObject } from '../../src/loader/examples.js';
import { LIVE, LIVE_OFF_REASON } from './support.js';

describe('compare --real', () => {
  it('a real answer of -1 with errno EKEYREJECTED plays back as the kernel\'s -EKEYREJECTED, not -1 (EPERM)', () => {
    const obj = openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o');
    const skel = makeSkeleton(obj, { toolchain: 'bpftool-7.7', name: obj.name }).skeleton;
    const plan = skelLoadPlan(skel, { keyringId: 0 });
    // What the runner reports: userspace's view, the fd for a success, -1 and errno for a failure.
    const answers: RealStep[] = plan.steps.map((step) => ({
      step,
      ret: step.cmd === 'BPF_PROG_LOAD' ? -1 : step.cmd === 'BPF_MAP_CREATE' ? 4 : 0,
      errno: step.cmd === 'BPF_PROG_LOAD' ? 'EKEYREJECTED' : null,
      skipped: false,
      expect: null,
      audit: [],
      klog: [],
      raw: new Map(),
      rawBytes: new Map(),
    }));
    const r = playBackSkeleton(skel, plan, answers, { keyringId: 0 });
    expect(r.err).toBe(-129);
    expect(skelOutcome(r)).toBe('prog_load EKEYREJECTED');
  });

  const title = '[OBS-DEB-10..21][OBS-DEB-31] the default cases agree on all four Debian kernels and their profiles';
  if (!LIVE) it.skip(`${title} — ${LIVE_OFF_REASON}`, () => {});
  else
    it(title, { timeout: 900_000 }, async (ctx) => {
      let r;
      try {
        r = await runCompareReal(debianKernels().map((k) => k.kver), { profiles: [], cross: false });
      } catch (e) {
        if (e instanceof RealKernelError && UNAVAILABLE_KINDS.includes(e.kind)) return ctx.skip(`skipped: ${e.message}`);
        throw e;
      }
      expect(r.real.map((c) => c.profile)).toEqual(['v6.17', 'v6.18.15', 'v7.2', 'v7.3']);
      const disagree = r.real.flatMap((c) => c.cells.filter((x) => !x.agree).map((x) => `${c.kver} ${x.case}: real ${x.real}, model ${x.model}`));
      expect(disagree).toEqual([]);
      for (const c of r.real) expect(c.cells.length, c.kver).toBeGreaterThanOrEqual(11);
    });
});
