// The emulator against results captured on real Debian kernels (spec 10): every transcript under
// test/transcripts/debian-<kver>/ (captured by the live suite, test/realkernel/live.test.ts) is
// replayed through the profile that models that build — return, errno, out values and the
// `type=1334` audit records of every step must agree, except the diagnosed PENDING entries.
// Builds whose profile this build of bpfsig lacks report themselves skipped by name. The kernels
// boot with the built-in vmlinux BTF (every profile's default, no cache needed): steps that differ
// only because of it are in BUILTIN_BTF_PENDING, and build-btf.test.ts replays the same transcripts
// with each build's own BTF, where those steps must agree.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffTranscript, type DiffReport } from '../../src/realkernel/differential.js';
import { RealKernelError } from '../../src/realkernel/errors.js';
import { debianKernels, profileForDebian, type ProfileChoice } from '../../src/realkernel/kernels.js';
import { loadTranscript } from '../../src/scenarios/transcript.js';
import { describeShared, fixturePath } from '../support/shared.js';
import { BUILTIN_BTF_PENDING, PENDING, TRANSCRIPTS } from './support.js';

const RULES: Record<string, string> = {
  all_maps: '[MC-7][MC-10][MC-12][MHASH-3][LSK-RUN-1][LOAD-13][PINFO-4]',
  lskel_xlated: '[LOAD-13][PINFO-4][LSK-RUN-1]',
  prog_xlated: '[LOAD-13][PINFO-4][PINFO-5]',
  examples_xlated: '[LOAD-13][PINFO-4][LSK-RUN-1]',
  map_types: '[MC-4][MC-6][MC-7][MC-9][MC-10][MC-12][MHASH-3][EXCL-3][CAP-6]',
  map_elems: '[ELEM-1][ELEM-3][EXCL-3]',
  vmlinux_btf: '[LSK-HELP-1][LSK-PROG-6]',
  raw_prog_load: '[OBS-DEB-40][OBS-DEB-41][OBS-DEB-42][OBS-DEB-43][OBS-DEB-44][OBS-DEB-45][OBS-DEB-46][OBS-DEB-47][OBS-DEB-48][OBS-DEB-49][OBS-DEB-50][OBS-DEB-51][OBS-DEB-61]',
};
const SKEL_RULES = '[OBS-DEB-10][OBS-DEB-11][OBS-DEB-12][OBS-DEB-13][OBS-DEB-14][OBS-DEB-15][OBS-DEB-16][OBS-DEB-17][OBS-DEB-18][OBS-DEB-19][OBS-DEB-20][OBS-DEB-21][LSK-RUN-1]';

describeShared('the emulator beside real Debian kernels (stored transcripts, spec 10)', () => {
  it('every PENDING entry names a stored step', () => {
    const known = new Set<string>();
    for (const k of debianKernels()) {
      const dir = join(TRANSCRIPTS, `debian-${k.kver}`);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) for (const s of loadTranscript(join(dir, f)).steps) known.add(`${k.kver}/${f}#${s.id}`);
    }
    expect(Object.keys(PENDING).filter((k) => !known.has(k))).toEqual([]);
    expect(Object.keys(BUILTIN_BTF_PENDING).filter((k) => !known.has(k))).toEqual([]);
  });

  for (const k of debianKernels()) {
    const dir = join(TRANSCRIPTS, `debian-${k.kver}`);
    let choice: ProfileChoice | undefined;
    let why = '';
    try {
      choice = profileForDebian(k.kver, { allowStandIn: true });
    } catch (e) {
      if (!(e instanceof RealKernelError)) throw e;
      why = e.message;
    }
    describe(`Debian ${k.kver} → ${k.profile}`, () => {
      it('has stored transcripts', () => {
        expect(existsSync(dir), `${dir} missing: capture with BPFSIG_REAL=1 BPFSIG_REAL_UPDATE=1 npx vitest run test/realkernel/live.test.ts`).toBe(true);
        expect(readdirSync(dir).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(13);
      });
      if (!choice) {
        it.skip(`skipped: ${why}`, () => {});
        return;
      }
      const c = choice;
      if (c.standIn) it(`uses a stand-in profile: ${c.standIn}`, () => expect(c.profile.name).toBe(k.standIn?.profile));
      for (const f of existsSync(dir) ? readdirSync(dir).filter((x) => x.endsWith('.json')).sort() : []) {
        const path = join(dir, f);
        const t = loadTranscript(path);
        const rules = RULES[f.replace(/\.json$/, '')] ?? SKEL_RULES;
        describe(f, () => {
          let rep: DiffReport;
          beforeAll(() => {
            rep = diffTranscript(t, c.profile, { file: path, roots: new Map([['shared/fixtures', fixturePath()]]) }, c.config);
          });
          it(`${rules} was captured on ${k.abi}`, () => {
            expect(t.kernel.uname_r).toBe(k.abi);
            expect(t.kernel.config?.CONFIG_SYSTEM_DATA_VERIFICATION).toBe(true);
          });
          it.each(t.steps.map((s, i) => [s.id, i] as const))(`${rules} %s`, (id, i) => {
            const s = rep.steps[i]!;
            const key = `${k.kver}/${f}#${id}`;
            const what = `${key}: kernel ${s.expected}, emulator ${s.actual}${s.mismatches.length ? `; ${s.mismatches.join('; ')}` : ''}${s.detail ? ` (${s.detail})` : ''}`;
            if (PENDING[key] !== undefined) expect(s.status, `${key} now agrees with the kernel: remove it from PENDING`).not.toBe('agree');
            else if (BUILTIN_BTF_PENDING[key] !== undefined) expect(s.status, `${key} now agrees with the built-in BTF: remove it from BUILTIN_BTF_PENDING`).not.toBe('agree');
            else expect(s.status, what).toBe('agree');
          });
        });
      }
    });
  }
});
