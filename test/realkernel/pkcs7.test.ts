// PKCS#7 differential (spec 10; PK7-*): a seeded corpus of >= 3000 mutations of signatures over
// r0 = 0; exit (RSA without and with signed attributes, P-256), each loaded with BPF_PROG_LOAD.
// Stored: the base signatures and what real Debian 6.18.15 answered for every mutation
// (test/transcripts/pkcs7-debian-6.18.15/); the emulator's profile for that build must give the
// same accept/reject and errno for every one. Live (BPFSIG_REAL=1): the corpus runs again on the
// real kernel in one boot and must still give the stored answers.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffTranscript, type DiffReport } from '../../src/realkernel/differential.js';
import { RealKernelError, UNAVAILABLE_KINDS } from '../../src/realkernel/errors.js';
import { profileForDebian } from '../../src/realkernel/kernels.js';
import { corpusPlan, mutations, type BaseSignature, type Mutation } from '../../src/realkernel/pkcs7-corpus.js';
import type { Plan } from '../../src/realkernel/request.js';
import { runOnRealKernel } from '../../src/realkernel/run.js';
import type { Transcript, TranscriptStep } from '../../src/scenarios/transcript.js';
import { describeShared, fixturePath } from '../support/shared.js';
import { LIVE, LIVE_OFF_REASON, PKCS7_DIR, PKCS7_SEED } from './support.js';

interface Stored {
  kernel: Transcript['kernel'];
  seed: number;
  total: number;
  results: Record<string, number | string>;
}

function loadBases(): BaseSignature[] {
  const j = JSON.parse(readFileSync(join(PKCS7_DIR, 'bases.json'), 'utf8')) as { bases: { name: BaseSignature['name']; der: string }[] };
  return j.bases.map((b) => ({ name: b.name, der: new Uint8Array(Buffer.from(b.der, 'hex')) }));
}

/** The corpus plan with the stored answers as `expect` (add_key: key; close: 0). */
function storedTranscript(plan: Plan, stored: Stored): Transcript {
  const steps: TranscriptStep[] = [];
  for (const s of plan.steps) {
    const id = s.id.slice(s.id.indexOf('/') + 1);
    let expect: TranscriptStep['expect'];
    if (s.cmd === 'add_key') expect = { ret: 'key' };
    else if (s.cmd === 'close') {
      if (stored.results[id.replace(/#close$/, '')] !== 'fd') continue; // not run: the load failed
      expect = { ret: 0 };
    } else {
      const r = stored.results[id];
      expect = r === 'fd' ? { ret: 'fd' } : { errno: String(r) };
    }
    steps.push({ ...(s as unknown as TranscriptStep), expect });
  }
  return { format: 'bpfsig-transcript/1', kernel: stored.kernel, root: 'shared/fixtures', steps };
}

describeShared('PKCS#7 differential: real Debian 6.18.15 and the emulator', () => {
  let muts: Mutation[];
  let stored: Stored;
  let plan: Plan;
  beforeAll(() => {
    muts = mutations(loadBases(), PKCS7_SEED);
    stored = JSON.parse(readFileSync(join(PKCS7_DIR, 'results.json'), 'utf8')) as Stored;
    plan = corpusPlan(muts);
  });

  it('[PK7-CMS-1] the seeded corpus has >= 3000 mutations of every class, each with a stored real answer', () => {
    expect(muts.length).toBeGreaterThanOrEqual(3000);
    expect(stored.seed).toBe(PKCS7_SEED);
    expect(new Set(muts.map((m) => m.class))).toEqual(new Set(['none', 'flip01', 'flipff', 'truncate', 'length', 'tag', 'delete', 'random']));
    expect(new Set(muts.map((m) => m.base))).toEqual(new Set(['rsa-noattr', 'rsa-attrs', 'p256']));
    expect(muts.filter((m) => stored.results[m.id] === undefined).map((m) => m.id)).toEqual([]);
    expect(stored.kernel.uname_r).toBe('6.18.15+deb13-amd64');
  });

  describe('the emulator gives the real kernel\'s answer for every mutation', () => {
    let rep: DiffReport;
    beforeAll(() => {
      const c = profileForDebian('6.18.15', { allowStandIn: true });
      rep = diffTranscript(storedTranscript(plan, stored), c.profile, { file: join(PKCS7_DIR, 'results.json'), roots: new Map([['shared/fixtures', fixturePath()]]) }, c.config);
    });
    it('[PK7-ERR-1][OBS-DEB-18][OBS-DEB-19] accept/reject and errno agree on all of them', () => {
      const bad = rep.steps.filter((s) => s.status !== 'agree').map((s) => `${s.id}: kernel ${s.expected}, emulator ${s.actual}`);
      expect(bad.slice(0, 30)).toEqual([]);
      expect(rep.counts.agree).toBeGreaterThanOrEqual(3000);
    });
    it('[OBS-DEB-19] the leniencies it confirms are there: some mutations are accepted', () => {
      const accepted = Object.entries(stored.results).filter(([id, r]) => r === 'fd' && !id.endsWith('/none'));
      expect(accepted.length).toBeGreaterThan(0);
      expect(accepted.map(([id]) => id)).toContain('rsa-noattr/flip01:40');
    });
  });

  const liveTitle = '[OBS-DEB-2] live: the corpus on real 6.18.15 in one boot gives the stored answers';
  if (!LIVE) it.skip(`${liveTitle} — ${LIVE_OFF_REASON}`, () => {});
  else
    it(liveTitle, { timeout: 600_000 }, async (ctx) => {
      let run;
      try {
        run = await runOnRealKernel('6.18.15', [{ plan }]);
      } catch (e) {
        if (e instanceof RealKernelError && UNAVAILABLE_KINDS.includes(e.kind)) return ctx.skip(`skipped: ${e.message}`);
        throw e;
      }
      console.log(`real 6.18.15: ${muts.length} PKCS#7 mutations in one boot, ${(run.bootMs / 1000).toFixed(1)} s (${run.accel})`);
      const t = run.plans[0]!.transcript;
      const now: Record<string, number | string> = {};
      for (const s of t.steps) if (s.cmd === 'BPF_PROG_LOAD') now[s.id.slice(s.id.indexOf('/') + 1)] = s.expect.errno ?? (s.expect.ret as number | string);
      if (process.env.BPFSIG_REAL_UPDATE === '1') {
        writeFileSync(join(PKCS7_DIR, 'results.json'), JSON.stringify({ kernel: t.kernel, seed: PKCS7_SEED, total: muts.length, results: now }).replace(/,"/g, ',\n"') + '\n');
        return;
      }
      const differ = Object.keys(stored.results).filter((id) => stored.results[id] !== now[id]);
      expect(differ.map((id) => `${id}: stored ${stored.results[id]}, now ${now[id]}`).slice(0, 30)).toEqual([]);
    });
});
