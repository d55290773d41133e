// `bpfsig inspect`: tables and JSON of what libbpf sees, and clear errors.

import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { objectPath } from './support.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') });
  return { code, out, err };
}

describe('bpfsig inspect', () => {
  it('prints programs, maps, externs, relocations and BTF of kfunc_core', async () => {
    const r = await run(['inspect', objectPath('kfunc_core')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/on_fork\s+tp_btf\/sched_process_fork\s+tracing\s+trace_raw_tp\s+34/);
    expect(r.out).toMatch(/kfunc_co\.bss\s+array\s+4\s+8\s+1\s+MMAPABLE\s+\.bss/);
    expect(r.out).toMatch(/bpf_task_acquire\s+kfunc\s+no\s+yes/);
    expect(r.out).toMatch(/\.reltp_btf\/sched_process_fork\s+0x10\s+R_BPF_64_32\s+bpf_task_acquire/);
    expect(r.out).toMatch(/ignored by libbpf: .*\.rel\.BTF \(\d+\)/);
    expect(r.out).toMatch(/2 CO-RE relocations/);
  });

  it('--json gives one JSON object with sleepable flags and map flags as bpftool 7.7 creates them', async () => {
    const r = await run(['inspect', '--json', objectPath('cov_tracing')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const byName = Object.fromEntries(j.programs.map((p: { name: string }) => [p.name, p]));
    expect(byName.fx).toMatchObject({ type: 'tracing', expectedAttachType: 'trace_fexit', sleepable: true });
    expect(byName.lsm_s).toMatchObject({ type: 'lsm', expectedAttachType: 'lsm_mac', sleepable: true });
    expect(byName.plain_tp).toMatchObject({ type: 'tracepoint', expectedAttachType: null, sleepable: false });
    expect(j.externs.find((e: { name: string }) => e.name === 'bpf_rcu_read_lock')).toMatchObject({ kind: 'kfunc', weak: true });
    const sub = JSON.parse((await run(['inspect', '--json', objectPath('subprog')])).out);
    expect(sub.maps.find((m: { name: string }) => m.name === '.rodata.str1.1')).toMatchObject({ flagNames: ['RDONLY_PROG'] });
    expect(sub.programs.filter((p: { subprogram: boolean }) => p.subprogram).map((p: { name: string }) => p.name)).toEqual(['weigh', 'bump', 'step']);
  });

  it('reports a file that is not a BPF object with exit code 1 and no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfsig-inspect-'));
    const bad = join(dir, 'bad.o');
    writeFileSync(bad, readFileSync(objectPath('hello')).subarray(0, 100));
    const r = await run(['inspect', bad]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/bad\.o: not a usable BPF object \(elf\): section header table offset \d+ is past the end of the file \(100 bytes\)/);
    expect(r.err).not.toMatch(/\n\s+at /);
    const missing = await run(['inspect', join(dir, 'nope.o')]);
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/cannot read .*nope\.o: ENOENT/);
  });

  it('usage errors exit with 2', async () => {
    expect((await run(['inspect'])).code).toBe(2);
    expect((await run(['inspect', 'a', 'b'])).code).toBe(2);
    expect((await run(['inspect', '--bogus', 'a'])).code).toBe(2);
  });
});
