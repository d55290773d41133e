// "Nothing not modelled looks like a kernel answer" (issue L, part 2): a path bpfsig does not model
// is the outcome 'not-emulated' everywhere — SysResult, the trace, the skeleton runtime, `skel
// load` text/JSON and exit code, the timeline, replay — never -ENOSYS or another errno.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { readElf } from '../../src/loader/elf/read-object.js';
import { genLoader } from '../../src/loader/gen-loader/gen-loader.js';
import { writeLskelHeader } from '../../src/loader/lskel-writer.js';
import { Replayer, replayTranscript } from '../../src/scenarios/replay.js';
import { getProfile } from '../../src/syscall/profiles/index.js';
import type { Transcript } from '../../src/scenarios/transcript.js';
import { errnoName } from '../../src/syscall/errno.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { NOT_EMULATED_RET } from '../../src/syscall/result.js';
import { MAP_CREATE } from '../../src/syscall/uapi/attr-layouts.js';
import { BpfCmd, MapType } from '../../src/syscall/uapi/consts.js';
import { encode } from '../../src/syscall/uapi/layout.js';
import { cli, tempDir } from '../cli/support.js';
import { example } from '../support/hostile.js';

function mapCreate(k: Kernel, mapType: number) {
  const p = k.spawn();
  const attr = encode(MAP_CREATE, { map_type: mapType, key_size: 4, value_size: 4, max_entries: 1 }, 72);
  return { p, res: p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(attr, 'attr'), 72) };
}

describe('not emulated is its own outcome', () => {
  it('[UAPI-CONV-2] SysResult: outcome not-emulated, ret outside the errno range, errno null, a named reason; no made-up SYSCALL audit record', () => {
    const k = new Kernel({ profile: 'v6.18' });
    // A map type the kernel has and bpfsig does not implement (no map_alloc in its table).
    const { res } = mapCreate(k, MapType.BPF_MAP_TYPE_CGROUP_ARRAY);
    expect(res.outcome).toBe('not-emulated');
    expect(res.ret).toBe(NOT_EMULATED_RET);
    expect(res.ret).toBeLessThan(-4095);
    expect(errnoName(res.ret)).toBeUndefined();
    expect(res.errno).toBeNull();
    expect(res.unsupported).toMatch(/map type BPF_MAP_TYPE_CGROUP_ARRAY/);
    const exit = k.trace.events.find((e) => e.kind === 'exit' && e.sys === res.sys);
    expect(exit).toMatchObject({ outcome: 'not-emulated', errno: null });
    expect(k.audit.records.filter((r) => r.type === 'SYSCALL')).toEqual([]);
    // The same call for a modelled type is an ordinary answer.
    const ok = mapCreate(k, MapType.BPF_MAP_TYPE_ARRAY).res;
    expect(ok.outcome).toBe('ok');
    const bad = mapCreate(k, 9999).res;
    expect(bad).toMatchObject({ outcome: 'errno', errno: 'EINVAL' });
  });

  it('[SYS-6][LSK-RUN-6] a not-emulated call made by the loader program (bpf_sys_bpf) stops the run as not emulated: skel load says so in text and JSON, exit 4', async () => {
    // hello's 7.1 skeleton (unsigned, no metadata hash): its data blob holds the MAP_CREATE attr of
    // `calls` (ARRAY, key 4, value 8, 8 entries); its map_type is changed to CGROUP_ARRAY, a type
    // bpfsig does not implement.
    const r = readElf(example('hello'), { objectName: 'hello_bpf' });
    if (!r.ok) throw new Error(r.error.message);
    const g = genLoader(r.value, { profile: 'bpftool-7.1', sign: false });
    if (!g.ok) throw new Error(g.error.message);
    const pattern = Buffer.from(new Uint32Array([MapType.BPF_MAP_TYPE_ARRAY, 4, 8, 8]).buffer);
    const off = Buffer.from(g.value.data).indexOf(pattern);
    expect(off).toBeGreaterThanOrEqual(0);
    new DataView(g.value.data.buffer, g.value.data.byteOffset).setUint32(off, MapType.BPF_MAP_TYPE_CGROUP_ARRAY, true);
    const file = join(tempDir('bpfsig-ne-'), 'hello.lskel.h');
    writeFileSync(file, writeLskelHeader(r.value, g.value));

    const text = await cli('skel', 'load', file);
    expect(text.err).toBe('');
    expect(text.code).toBe(EXIT.NOT_EMULATED);
    expect(text.out).toMatch(/^result: not emulated: .*map type BPF_MAP_TYPE_CGROUP_ARRAY.*\(bpfsig does not model this path; no kernel answer\)/m);
    expect(text.out).not.toMatch(/ENOSYS/);
    expect(text.out).toMatch(/→ not emulated \(map type BPF_MAP_TYPE_CGROUP_ARRAY\)/);

    const j = await cli('skel', 'load', file, '--json');
    expect(j.code).toBe(EXIT.NOT_EMULATED);
    const json = JSON.parse(j.out);
    expect(json).toMatchObject({ outcome: 'not-emulated', result: null, errno: null });
    expect(json.notEmulated).toMatch(/map type BPF_MAP_TYPE_CGROUP_ARRAY/);
    const inner = json.timeline.find((c: { cmd: string; depth: number }) => c.cmd === 'BPF_MAP_CREATE' && c.depth === 1);
    expect(inner).toMatchObject({ outcome: 'not-emulated', ret: null, errno: null, notEmulated: 'map type BPF_MAP_TYPE_CGROUP_ARRAY' });
    const run = json.timeline.find((c: { cmd: string }) => c.cmd === 'BPF_PROG_TEST_RUN');
    expect(run).toMatchObject({ outcome: 'not-emulated', ret: null });
    expect(JSON.stringify(json.timeline)).not.toMatch(/ENOSYS/);
  });

  it('replay: a step that uses an unsupported step’s fd is unsupported too; close of fds 0-2 is never carried out; exit 4 when nothing disagrees', async () => {
    const t: Transcript = {
      format: 'bpfsig-transcript/1',
      kernel: { release: '6.18.0' },
      steps: [
        { id: 'cgroup_array', cmd: 'BPF_MAP_CREATE', attr: { map_type: MapType.BPF_MAP_TYPE_CGROUP_ARRAY, key_size: 4, value_size: 4, max_entries: 1 }, expect: { ret: 'fd' } },
        { id: 'freeze_it', cmd: 'BPF_MAP_FREEZE', attr: { map_fd: { fd: 'cgroup_array' } }, expect: { ret: 0 } },
        { id: 'close_it', cmd: 'close', fd: { fd: 'cgroup_array' }, expect: { ret: 0 } },
        { id: 'close_stdin', cmd: 'close', fd: 0, expect: { ret: 0 } },
        { id: 'array', cmd: 'BPF_MAP_CREATE', attr: { map_type: MapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 1 }, expect: { ret: 'fd' } },
      ],
    };
    const rep = replayTranscript(t, { file: join(tempDir(), 't.json'), profile: 'v6.18' });
    expect(rep.steps.map((s) => [s.id, s.status])).toEqual([
      ['cgroup_array', 'unsupported'],
      ['freeze_it', 'unsupported'],
      ['close_it', 'unsupported'],
      ['close_stdin', 'unsupported'],
      ['array', 'agree'],
    ]);
    expect(rep.steps[0]!.actual).toMatch(/^not emulated: map type BPF_MAP_TYPE_CGROUP_ARRAY/);
    expect(rep.steps[1]!.detail).toMatch(/uses the fd of step 'cgroup_array', which was not emulated/);
    expect(rep.steps[3]!.detail).toMatch(/fd 0 is the replaying process's stdin: not replayed/);
    // No close(0..2) ever reached the emulated kernel.
    const closes = replayCloses(t);
    expect(closes.closed.filter((fd) => fd < 3)).toEqual([]);
    expect(closes.stdioOpen).toBe(true);

    const file = join(tempDir(), 't.json');
    writeFileSync(file, JSON.stringify(t));
    const r = await cli('replay', file, '--profile', 'v6.18');
    expect(r.code).toBe(EXIT.NOT_EMULATED);
    expect(r.out).toMatch(/NOT EMULATED: 1 file\(s\), 5 steps, 0 disagree, 4 unsupported/);
  });
});

/** The fds of every close() the replay made (from its kernel's trace), and whether fds 0-2 are still open. */
function replayCloses(t: Transcript): { closed: number[]; stdioOpen: boolean } {
  const r = new Replayer(t, { file: join(tempDir(), 't.json') }, getProfile('v6.18')!);
  for (const step of t.steps) r.runStep(step);
  const closed = r.kernel.trace.events.flatMap((e) => (e.kind === 'syscall' && e.name === 'close' ? [Number(e.args?.fd)] : []));
  return { closed, stdioOpen: [0, 1, 2].every((fd) => r.proc.fds.get(fd) !== undefined) };
}
