import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { replayTranscript } from '../../src/scenarios/replay.js';
import { loadTranscript, type Transcript } from '../../src/scenarios/transcript.js';
import { InputError } from '../../src/errors.js';
import { describeShared, fixturePath } from '../support/shared.js';

describeShared('replay of the shared real-kernel transcripts', () => {
  const dir = fixturePath('kernel-6.18');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  it.each(files)('[OBS-MH-1][OBS-FRZ-1][OBS-PROF-1] %s: every step agrees under the transcript’s own profile (v6.18.44)', (f) => {
    const path = join(dir, f);
    const rep = replayTranscript(loadTranscript(path), { file: path });
    expect(rep.profile).toBe('v6.18.44');
    const bad = rep.steps.filter((s) => s.status !== 'agree').map((s) => `${s.id}: ${s.actual} ${s.mismatches.join('; ')} ${s.detail ?? ''}`);
    expect(bad).toEqual([]);
  });
  it('[STB-2][KP-Q-4] under v6.18 as released exactly the unfrozen-hash steps disagree (the kernel said EPERM, v6.18 hashes)', () => {
    const path = join(dir, 'map_hash_array.json');
    const rep = replayTranscript(loadTranscript(path), { file: path, profile: 'v6.18' });
    expect(rep.steps.filter((s) => s.status !== 'agree').map((s) => `${s.id}:${s.expected}/${s.actual}`)).toEqual([
      'get_info_hash_fresh_map_unfrozen:EPERM/ret=0',
      'get_info_hash_before_freeze:EPERM/ret=0',
    ]);
    const g = join(dir, 'get_info_errors.json');
    const rep2 = replayTranscript(loadTranscript(g), { file: g, profile: 'v6.18' });
    expect(rep2.steps.filter((s) => s.status !== 'agree').map((s) => s.id)).toEqual([
      'unfrozen_array_hash_bogus_ptr_size32',
      'unfrozen_array_hash32',
    ]);
  });
});

function writeTranscript(t: unknown): string {
  const root = mkdtempSync(join(tmpdir(), 'bpfsig-replay-'));
  mkdirSync(join(root, 'kernel-6.18'));
  mkdirSync(join(root, 'bpf'));
  writeFileSync(join(root, 'bpf', 'blob.bin'), Buffer.from('0102030405060708', 'hex'));
  const file = join(root, 'kernel-6.18', 'case.json');
  writeFileSync(file, JSON.stringify(t));
  return file;
}

const base = (steps: unknown[]): Transcript =>
  ({ format: 'bpfsig-transcript/1', kernel: { release: '6.18.44' }, creds: { euid: 0, caps: ['CAP_SYS_ADMIN', 'CAP_BPF'] }, root: 'mine', steps }) as Transcript;

describe('replay mechanics', () => {
  it('a step the emulator cannot execute is reported unsupported, never skipped, and the run is not OK', () => {
    const t = base([
      { id: 'pin', cmd: 'BPF_OBJ_PIN', attr_size: 16, attr_hex: '00'.repeat(16), expect: { ret: 0 } },
      { id: 'mnt', cmd: 'mount', expect: { ret: 0 } },
      { id: 'm', cmd: 'BPF_MAP_CREATE', attr_size: 92, attr: { map_type: 2, key_size: 4, value_size: 8, max_entries: 1 }, expect: { ret: 'fd' } },
    ]);
    const file = writeTranscript(t);
    const rep = replayTranscript(loadTranscript(file), { file });
    expect(rep.steps.map((s) => s.status)).toEqual(['unsupported', 'unsupported', 'agree']);
    expect(rep.steps[0]!.actual).toMatch(/BPF_OBJ_PIN is not emulated/);
    expect(rep.counts).toEqual({ agree: 1, disagree: 0, unsupported: 2 });
    expect(rep.ok).toBe(false);
  });
  it('file references resolve against the folder two levels above the transcript; flip xors one byte', () => {
    const t = base([
      { id: 'm', cmd: 'BPF_MAP_CREATE', attr_size: 92, attr: { map_type: 2, key_size: 4, value_size: 8, max_entries: 1, map_name: 'r' }, expect: { ret: 'fd' } },
      { id: 'u', cmd: 'BPF_MAP_UPDATE_ELEM', attr_size: 32, attr: { map_fd: { fd: 'm' }, key: { buf: '00000000' }, value: { file: 'bpf/blob.bin', flip: 0 } }, expect: { ret: 0 } },
      { id: 'l', cmd: 'BPF_MAP_LOOKUP_ELEM', attr_size: 32, attr: { map_fd: { fd: 'm' }, key: { buf: '00000000' }, value: { buf_len: 8, fill: 'ee' } }, expect: { ret: 0, out: { value: '0002030405060708' } } },
    ]);
    const file = writeTranscript(t);
    const rep = replayTranscript(loadTranscript(file), { file });
    expect(rep.steps.map((s) => s.status)).toEqual(['agree', 'agree', 'agree']);
  });
  it('a wrong expectation or a missing fixture file is a disagreement with a reason', () => {
    const t = base([
      { id: 'm', cmd: 'BPF_MAP_CREATE', attr_size: 92, attr: { map_type: 2, key_size: 4, value_size: 8, max_entries: 1 }, expect: { errno: 'EPERM' } },
      { id: 'u', cmd: 'BPF_MAP_UPDATE_ELEM', attr_size: 32, attr: { map_fd: { fd: 'm' }, key: { buf: '00000000' }, value: { file: 'bpf/none.bin' } }, expect: { ret: 0 } },
    ]);
    const file = writeTranscript(t);
    const rep = replayTranscript(loadTranscript(file), { file });
    expect(rep.steps[0]).toMatchObject({ status: 'disagree', expected: 'EPERM', actual: 'ret=3' });
    expect(rep.steps[1]!.detail).toMatch(/fixture file not found: bpf\/none.bin/);
    expect(rep.ok).toBe(false);
  });
  it('errno aliases (ENOTSUP = EOPNOTSUPP) compare equal', () => {
    const t = base([{ id: 'm', cmd: 'BPF_MAP_CREATE', attr_size: 92, attr: { map_type: 2, key_size: 4, value_size: 8, max_entries: 1, map_ifindex: 1 }, expect: { errno: 'ENOTSUP' } }]);
    const file = writeTranscript(t);
    expect(replayTranscript(loadTranscript(file), { file }).steps[0]!.status).toBe('agree');
  });
  it('malformed transcripts are rejected with a clear InputError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfsig-bad-'));
    const f = join(dir, 'x.json');
    writeFileSync(f, '{"format": "something-else"}');
    expect(() => loadTranscript(f)).toThrow(InputError);
    writeFileSync(f, 'not json');
    expect(() => loadTranscript(f)).toThrow(/is not JSON/);
    expect(() => loadTranscript(join(dir, 'missing.json'))).toThrow(/cannot read/);
  });
});
