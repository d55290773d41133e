import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/command.js';
import { HAS_SHARED, fixturePath } from '../support/shared.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n') };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('bpfsig CLI', () => {
  it('help lists the commands; an unknown command exits 2 with a message', async () => {
    const h = await run(['help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/replay/);
    const u = await run(['frobnicate']);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/unknown command 'frobnicate'/);
  });
  it('bad flags exit 2 with the usage, never a stack trace', async () => {
    const r = await run(['replay', '--nope', 'x.json']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/usage: bpfsig replay/);
    expect(r.err).not.toMatch(/at .*\.ts/);
  });
  it('replay of a missing file exits 3 (unusable input) with a clear message', async () => {
    const r = await run(['replay', '/nonexistent/t.json']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/cannot read \/nonexistent\/t.json/);
  });
  it('demo maps prints the walk, the timeline and the audit log, and is the same on every run', async () => {
    const a = await run(['demo', 'maps']);
    const b = await run(['demo', 'maps']);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect(a.out).toMatch(/== timeline/);
    expect(a.out).toMatch(/type=SYSCALL msg=audit\(1764460800\.\d{3}:\d+\): arch=c000003e syscall=321/);
    expect(a.out).toMatch(/The hash is stale/);
    expect(a.out).toMatch(/ask for the map hash before freezing\s+-EPERM\s+\[STB-2\]/);
  });
  it.skipIf(!HAS_SHARED)('replay --json of the shared transcripts: ok, every step agrees', async () => {
    const r = await run(['replay', '--json', fixturePath('kernel-6.18', 'freeze_semantics.json'), fixturePath('kernel-6.18', 'map_hash_padding.json')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(true);
    expect(j.files.map((f: { counts: unknown }) => f.counts)).toEqual([
      { agree: 21, disagree: 0, unsupported: 0 },
      { agree: 12, disagree: 0, unsupported: 0 },
    ]);
  });
});
