// Replays our own transcripts of the program path, captured on this machine's real 6.18.44 kernel
// by tools/capture/capture.py (test/transcripts/kernel-6.18.44/, plans in tools/capture/plans/).
// Every step must agree with what the kernel answered. The few steps the emulator answers
// differently, by design or by a known limit, are listed in PENDING with the diagnosed reason. They
// must still disagree: when one starts agreeing, this test fails and the entry has to go.

import { existsSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayTranscript, type ReplayReport } from '../../src/scenarios/replay.js';
import { loadTranscript } from '../../src/scenarios/transcript.js';
import { describeShared, fixturePath } from '../support/shared.js';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../transcripts/kernel-6.18.44');

/** The spec rules each transcript exercises (test titles cite them). */
const FILE_RULES: Record<string, string> = {
  'prog_load_order.json': '[OBS-LOAD-1][OBS-LOAD-2][OBS-LOAD-3][OBS-LOAD-4][OBS-LOAD-5][OBS-PROF-2][OBS-PROF-3][SYS-1][CAP-2][LOAD-2][KP-Q-3]',
  'prog_load_basic.json': '[LOAD-8][LOAD-11][LOAD-13][CAP-2][UAPI-CONST-11]',
  'excl_maps.json': '[OBS-EXCL-1][OBS-EXCL-2][OBS-EXCL-3][OBS-EXCL-4][OBS-EXCL-5][EXCL-1][EXCL-2][EXCL-4][DIG-2][DIG-3][DIG-4]',
  'prog_info.json': '[UAPI-LAYOUT-4][MHASH-1][DIG-1][OBS-EXCL-5]',
  'test_run.json': '[TRUN-1][TRUN-2][TRUN-3][TRUN-4][TRUN-5][LSK-HELP-1]',
  'lskel_minimal_v77.json': '[OBS-LSK-1][LSK-RUN-1][LSK-RUN-2][LSK-RUN-3][LSK-RUN-4][LSK-RUN-5][LSK-RUN-6][LSK-CTX-4][LSK-BLOB-2]',
  'lskel_minimal_v71.json': '[LSK-RUN-9][LSK-TRACE-1][LSK-CTX-4]',
  'lskel_multi_v77.json': '[OBS-LSK-1][LSK-RUN-1][LSK-RUN-6][LSK-CTX-4]',
  'lskel_signed_insns.json': '[OBS-LSK-2][OBS-LSK-3][OBS-LSK-4][OBS-PROF-1][LSK-SIGM-6][LSK-HASH-2][KP-LOAD-2]',
  'kfunc_and_lsm.json': '[OBS-LSK-5][LSK-HELP-1][LSK-PROG-6]',
  'map_types.json': '[MC-4][MC-6][MC-7][MC-9][MC-10][MC-12][MHASH-3][EXCL-3][CAP-6]',
  'map_elems.json': '[ELEM-1][ELEM-3][EXCL-3]',
  'map_lru.json': '[ELEM-3][MC-10]',
  'prog_verifier.json': '[LOAD-13]',
  'prog_xlated.json': '[LOAD-13][PINFO-4][PINFO-5]',
  'lskel_xlated.json': '[LOAD-13][PINFO-4][LSK-RUN-1][OBS-LSK-1]',
  'all_maps.json': '[MC-7][MC-10][MC-12][MHASH-3][LSK-RUN-1][LOAD-13][PINFO-4]',
  'examples_xlated.json': '[LSK-RUN-1][LOAD-13][PINFO-4][MHASH-3]',
  'vmlinux_btf.json': '[LSK-HELP-1][UAPI-CONST-1]',
};

// ---- why the emulator disagrees (diagnosed per step) ---------------------------------------------

const KFUNC_TAG =
  "the program tag covers the kfunc call's immediate, the callee's BTF type id in vmlinux (LSK-PROG-6): " +
  "the real kernel's vmlinux BTF numbers bpf_task_acquire differently from bpfsig's built-in one. With the real " +
  "/sys/kernel/btf/vmlinux of the capturing kernel (6.18.44-fc-v669) given as kernelBtf the ids, and so the tag, would be " +
  "its own; the BTF of this machine's later build (v1272) gives yet another tag";
const JIT = 'jited_prog_len is the x86-64 JIT image size (40); bpfsig models an interpreter-only kernel (PINFO, docs/fidelity.md)';
const LOG_LEVEL_2 =
  'log_level 2 adds the subprogram list and the "Live regs before insn" liveness table, which bpfsig does not print ' +
  '(level 1 output, which it does print, agrees)';

const UNBOUNDED_LOOP =
  'kernel E2BIG after 1000000 instructions: it walks the loop with the range of r2 (skb->len) narrowing each time; ' +
  'bpfsig tracks no ranges, so it stops walking a loop at a back edge taken with an unknown value and loads the program';

const PRUNING =
  'verified_insns counts the instructions the verifier walked: the kernel prunes a path when its state is covered by ' +
  'one already verified (states_equal with liveness and precision); bpfsig prunes only identical states, so it walks ' +
  'more. xlated_prog_len and the translated instructions agree';

const BUILTIN_BTF =
  "bpfsig's built-in vmlinux BTF numbers types (and sizes the blob) differently from the kernel's own; with the capturing " +
  "kernel's /sys/kernel/btf/vmlinux (kernelBtf FILE) the step agrees (checked below when this machine runs that kernel)";

/** Steps that differ only because of the built-in BTF: with the capturing kernel's own BTF they must agree. */
const BUILTIN_BTF_PENDING: Record<string, string> = {
  'vmlinux_btf.json#vmlinux_info': BUILTIN_BTF,
  'vmlinux_btf.json#btf_ids': BUILTIN_BTF,
};

const PENDING: Record<string, string> = {
  ...BUILTIN_BTF_PENDING,
  'lskel_xlated.json#minimal/xlated_count_getpid': PRUNING,
  'lskel_xlated.json#multi/xlated_on_openat': PRUNING,
  'examples_xlated.json#hello/xlated_count_execve': PRUNING,
  'examples_xlated.json#subprog/xlated_on_sleep': PRUNING + ' (and the kernel walks a bpf_loop callback until its state repeats; bpfsig walks it once)',
  'prog_verifier.json#loop_unknown_bound': UNBOUNDED_LOOP,
  'kfunc_and_lsm.json#kfunc_v77/info_prog_on_newtask': KFUNC_TAG,
  'prog_info.json#jit_dependent_fields': JIT,
  'prog_load_basic.json#sf_gpl_log2': LOG_LEVEL_2,
};

// ---- the test ------------------------------------------------------------------------------------

const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

describeShared('replay of our transcripts captured on this machine\'s 6.18.44 kernel', () => {
  it('every transcript names its rules, and every PENDING entry names a step that exists', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) expect(FILE_RULES[f], `${f} has no FILE_RULES entry`).toBeDefined();
    const known = new Set(files.flatMap((f) => loadTranscript(join(DIR, f)).steps.map((s) => `${f}#${s.id}`)));
    expect(Object.keys(PENDING).filter((k) => !known.has(k))).toEqual([]);
  });

  for (const f of files) {
    const path = join(DIR, f);
    const t = loadTranscript(path);
    describe(f, () => {
      let rep: ReplayReport;
      beforeAll(() => {
        rep = replayTranscript(t, { file: path, roots: new Map([['shared/fixtures', fixturePath()]]) });
      }, 60_000);
      it(`${FILE_RULES[f] ?? ''} replays under the v6.18.44 profile, step for step`, () => {
        expect(rep.profile).toBe('v6.18.44');
        expect(rep.steps.map((s) => s.id)).toEqual(t.steps.map((s) => s.id));
      });
      it.each(t.steps.map((s, i) => [s.id, i] as const))(`${FILE_RULES[f] ?? ''} %s`, (id, i) => {
        const s = rep.steps[i]!;
        const key = `${f}#${id}`;
        const what = `${key}: kernel ${s.expected}, emulator ${s.actual}${s.mismatches.length ? `; ${s.mismatches.join('; ')}` : ''}${s.detail ? ` (${s.detail})` : ''}`;
        if (PENDING[key] !== undefined) {
          expect(s.status, `${key} now agrees with the kernel: remove it from PENDING`).not.toBe('agree');
        } else {
          expect(s.status, what).toBe('agree');
        }
      });
    });
  }
});

// ---- with the capturing kernel's own BTF ----------------------------------------------------------

const SYS_BTF = '/sys/kernel/btf/vmlinux';

describeShared("replay with the capturing kernel's own BTF (kernelBtf: /sys/kernel/btf/vmlinux), when this machine runs it", () => {
  const sameKernel = files.filter((f) => loadTranscript(join(DIR, f)).kernel.uname_r === release());
  if (!sameKernel.length || !existsSync(SYS_BTF)) {
    it.skip(`skipped: no transcript here was captured on the running kernel (${release()}) or ${SYS_BTF} is missing`, () => {});
    return;
  }
  for (const f of sameKernel) {
    const path = join(DIR, f);
    const t = loadTranscript(path);
    describe(f, () => {
      let rep: ReplayReport;
      beforeAll(() => {
        rep = replayTranscript(t, { file: path, roots: new Map([['shared/fixtures', fixturePath()]]), kernel: { kernelBtf: SYS_BTF } });
      }, 60_000);
      it.each(t.steps.map((s, i) => [s.id, i] as const))(`${FILE_RULES[f] ?? ''} %s`, (id, i) => {
        const s = rep.steps[i]!;
        const key = `${f}#${id}`;
        expect(rep.kernelBtf.kind).toBe('file');
        if (PENDING[key] !== undefined && BUILTIN_BTF_PENDING[key] === undefined) expect(s.status, `${key} now agrees: remove it from PENDING`).not.toBe('agree');
        else expect(s.status, `${key}: kernel ${s.expected}, emulator ${s.actual}; ${s.mismatches.join('; ')}`).toBe('agree');
      });
    });
  }
});
