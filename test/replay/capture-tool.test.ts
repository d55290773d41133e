// The capture tool (tools/capture/) and what it wrote: every transcript is its plan plus the
// kernel's answers, and the tool's attr/info offsets are the emulator's (and gcc's).

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ATTR_LAYOUTS, INFO_LAYOUTS } from '../../src/syscall/uapi/attr-layouts.js';
import { parseCmd } from '../../src/syscall/uapi/consts.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PLANS = join(ROOT, 'tools/capture/plans');
const TRANSCRIPTS = join(ROOT, 'test/transcripts/kernel-6.18.44');
const CAPTURE = join(ROOT, 'tools/capture/capture.py');

type Step = Record<string, unknown> & { id: string; record?: string[]; expect?: { out?: Record<string, unknown> } };
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as { steps: Step[]; notes?: string[]; kernel?: Record<string, unknown>; creds?: unknown };

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const HAS_PYTHON = has('python3', ['--version']);
const HAS_GCC = has('gcc', ['--version']);

describe('captured transcripts and their plans', () => {
  const plans = readdirSync(PLANS).filter((f) => f.endsWith('.json')).sort();
  it('[OBS-PROF-4] one transcript per plan, recorded on 6.18.44 as root without CONFIG_SYSTEM_DATA_VERIFICATION', () => {
    expect(readdirSync(TRANSCRIPTS).filter((f) => f.endsWith('.json')).sort()).toEqual(plans);
    for (const f of plans) {
      const t = readJson(join(TRANSCRIPTS, f));
      expect(t.kernel).toMatchObject({ release: '6.18.44', config: { CONFIG_SYSTEM_DATA_VERIFICATION: false } });
      expect(t.creds).toMatchObject({ euid: 0, caps: expect.arrayContaining(['CAP_SYS_ADMIN', 'CAP_BPF', 'CAP_PERFMON']) });
    }
  });
  it.each(plans)('%s: the transcript is the plan, step for step, with an expect whose out keys are the recorded ones', (f) => {
    const plan = readJson(join(PLANS, f));
    const t = readJson(join(TRANSCRIPTS, f));
    expect(t.steps.map((s) => s.id)).toEqual(plan.steps.map((s) => s.id));
    plan.steps.forEach((p, i) => {
      const { record, ...rest } = p;
      const { expect: e, ...got } = t.steps[i]!;
      expect(got, p.id).toEqual(rest);
      expect(Object.keys(e?.out ?? {}).sort(), p.id).toEqual([...(record ?? [])].sort());
    });
    expect(t.notes?.slice(0, plan.notes?.length ?? 0)).toEqual(plan.notes ?? []);
  });
  it('no transcript records an object id or a load time (ids are global on a real kernel); a BTF id only when there is none (0)', () => {
    for (const f of plans) {
      for (const s of readJson(join(TRANSCRIPTS, f)).steps) {
        for (const [k, v] of Object.entries(s.expect?.out ?? {})) {
          expect(k, `${f}#${s.id}`).not.toMatch(/^info\.(id|load_time|prog_ids?)$/);
          if (k === 'info.btf_id') expect(v, `${f}#${s.id}`).toBe(0);
          if (k === 'info.map_ids') expect(v, `${f}#${s.id}`).toMatch(/^(ee)+$/);
        }
      }
    }
  });
});

describe('loader blobs the capture plans inline (tools/capture/blobs)', () => {
  it('[LSK-RUN-1] examples/bpf/all_maps.bpf.o still generates the loader the real kernel ran (tools/capture/gen_blobs.mjs)', async () => {
    const { readElf } = await import('../../src/loader/elf/read-object.js');
    const { genLoader } = await import('../../src/loader/gen-loader/gen-loader.js');
    const r = readElf(new Uint8Array(readFileSync(join(ROOT, 'examples/bpf/all_maps.bpf.o'))), { objectName: 'all_maps_bpf' });
    if (!r.ok) throw new Error(r.error.message);
    const out = genLoader(r.value, { profile: 'bpftool-7.7' });
    if (!out.ok) throw new Error(out.error.message);
    expect(Buffer.from(out.value.insns).equals(readFileSync(join(ROOT, 'tools/capture/blobs/all_maps.v77.insns.bin')))).toBe(true);
    expect(Buffer.from(out.value.data).equals(readFileSync(join(ROOT, 'tools/capture/blobs/all_maps.v77.data.bin')))).toBe(true);
  });
});

describe('capture tool offsets', () => {
  (HAS_PYTHON ? it : it.skip)('[UAPI-LAYOUT-1][UAPI-LAYOUT-3][UAPI-LAYOUT-4][UAPI-LAYOUT-5][UAPI-LAYOUT-6] capture.py uses the emulator\'s attr and info offsets (skipped without python3)', () => {
    const dump = JSON.parse(execFileSync('python3', [CAPTURE, '--dump-layouts'], { encoding: 'utf8' })) as {
      attr: Record<string, Record<string, number>>;
      struct: Record<string, Record<string, number>>;
    };
    let compared = 0;
    for (const [cmd, fields] of Object.entries(dump.attr)) {
      const layout = ATTR_LAYOUTS.get(parseCmd(cmd)!);
      expect(layout, cmd).toBeDefined();
      for (const [name, off] of Object.entries(fields)) {
        const f = layout!.byName.get(name);
        if (!f) continue; // e.g. DELETE_ELEM: the emulator's layout ends at `key`
        expect(f.offset, `${cmd}.${name}`).toBe(off);
        compared++;
      }
    }
    for (const [s, fields] of Object.entries(dump.struct)) {
      const layout = INFO_LAYOUTS.get(s);
      expect(layout, s).toBeDefined();
      for (const [name, off] of Object.entries(fields)) {
        expect(layout!.byName.get(name)?.offset, `${s}.${name}`).toBe(off);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(180);
  });
  (HAS_PYTHON && HAS_GCC ? it : it.skip)('[UAPI-LAYOUT-3][UAPI-LAYOUT-5] gcc agrees with every offset the uapi header (and, when readable, the kernel BTF) defines (skipped without python3 and gcc)', () => {
    const r = spawnSync('python3', [CAPTURE, '--layouts'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/\/usr\/include\/linux\/bpf\.h: \d+ offsets checked, 0 differ/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
