// Replay of program-path steps written in the transcript format: add_key, a signed BPF_PROG_LOAD,
// the light-skeleton loader sequence with its ctx, and GET_INFO on fds the loader handed back.
// The expectations are the real kernel's answers as spec 09 reports them (OBS-LOAD-2, OBS-LSK-1/2,
// OBS-EXCL-5) on the 6.18.44 kernel that recorded the shared transcripts.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readLightSkeleton } from '../../src/loader/lskel-reader.js';
import { replayTranscript } from '../../src/scenarios/replay.js';
import type { Transcript } from '../../src/scenarios/transcript.js';
import { describeShared, fixturePath, SHARED } from '../support/shared.js';

const caps = ['CAP_SYS_ADMIN', 'CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN'];
const transcript = (steps: unknown[]): Transcript =>
  ({
    format: 'bpfsig-transcript/1',
    kernel: { release: '6.18.44', config: { CONFIG_SYSTEM_DATA_VERIFICATION: false } },
    creds: { euid: 0, caps },
    root: 'shared/fixtures',
    steps,
  }) as Transcript;

/** The skeleton ctx as `buf_len` + `patch` (initial_value pointers of the mmapable maps). */
function skelCtx(obj: string, flavor: string) {
  const skel = readLightSkeleton(readFileSync(fixturePath('bpf', obj, `${obj}.${flavor}.lskel.h`), 'utf8'));
  const sz = Buffer.alloc(4);
  sz.writeUInt32LE(skel.ctxSize);
  const patch = skel.maps.flatMap((m, i) => {
    if (!m.initialValue) return [];
    const area = Buffer.alloc(m.mmapSize ?? 4096);
    area.set(m.initialValue);
    return [{ offset: 24 + 16 * i + 8, buf: area.toString('hex') }];
  });
  return { skel, ctx: { buf: sz.toString('hex') + '00'.repeat(skel.ctxSize - 4), patch } };
}

function loaderSteps(obj: string, flavor: string, opts: { flip?: number; skipHash?: boolean; withSig?: boolean } = {}) {
  const { skel, ctx } = skelCtx(obj, flavor);
  const blob = (kind: string) => ({ file: `bpf/${obj}/${obj}.${flavor}.${kind}.bin` });
  const steps: unknown[] = [
    {
      id: 'map',
      cmd: 'BPF_MAP_CREATE',
      attr_size: 92,
      attr: {
        map_type: 2, key_size: 4, value_size: skel.data.length, max_entries: 1, map_name: '__loader.map',
        ...(skel.exclHash ? { excl_prog_hash: blob('excl_hash'), excl_prog_hash_size: 32 } : {}),
      },
      expect: { ret: 'fd' },
    },
    { id: 'update', cmd: 'BPF_MAP_UPDATE_ELEM', attr_size: 32, attr: { map_fd: { fd: 'map' }, key: { buf: '00000000' }, value: { ...blob('data'), ...(opts.flip !== undefined ? { flip: opts.flip } : {}) } }, expect: { ret: 0 } },
    { id: 'freeze', cmd: 'BPF_MAP_FREEZE', attr_size: 4, attr: { map_fd: { fd: 'map' } }, expect: { ret: 0 } },
  ];
  if (!opts.skipHash) {
    steps.push({
      id: 'hash',
      cmd: 'BPF_OBJ_GET_INFO_BY_FD',
      attr_size: 16,
      attr: { bpf_fd: { fd: 'map' }, info_len: 104, info: { buf_len: 104, struct: 'bpf_map_info', fields: { hash: { buf_len: 32 }, hash_size: 32 } } },
      expect: { ret: 0 },
    });
  }
  return { skel, ctx, blob, steps };
}

const progLoad = (blob: (k: string) => unknown, extra: Record<string, unknown>, expect: unknown) => ({
  id: 'load',
  cmd: 'BPF_PROG_LOAD',
  attr_size: 168,
  attr: { prog_type: 31, insns: blob('insns'), insn_cnt: 0, license: { str: 'Dual BSD/GPL' }, prog_flags: 16, prog_name: '__loader.prog', fd_array: { fd_array: ['map'] }, ...extra },
  expect,
});

function insnCnt(obj: string, flavor: string): number {
  return readFileSync(fixturePath('bpf', obj, `${obj}.${flavor}.insns.bin`)).length / 8;
}

function replay(t: Transcript) {
  const file = join(SHARED ?? '.', 'fixtures', 'kernel-6.18', 'inline.json');
  const rep = replayTranscript(t, { file });
  return rep.steps.filter((s) => s.status !== 'agree').map((s) => `${s.id}: kernel ${s.expected}, emulator ${s.actual} ${s.mismatches.join('; ')} ${s.detail ?? ''}`);
}

describeShared('replaying program steps', () => {
  it('[OBS-LSK-1][OBS-AUD-1] the unsigned 7.7 loader run step by step: retval 0, the fds it wrote into the ctx are a map and a program with the expected names', () => {
    const { ctx, blob, steps, skel } = loaderSteps('minimal', 'v77');
    const t = transcript([
      ...steps,
      progLoad(blob, { insn_cnt: insnCnt('minimal', 'v77'), keyring_id: 0 }, { ret: 'fd' }),
      { id: 'run', cmd: 'BPF_PROG_TEST_RUN', attr_size: 80, attr: { prog_fd: { fd: 'load' }, ctx_size_in: skel.ctxSize, ctx_in: ctx }, expect: { ret: 0, out: { 'test.retval': 0 } } },
      ...skel.maps.map((m, i) => ({
        id: `info_${m.ident}`,
        cmd: 'BPF_OBJ_GET_INFO_BY_FD',
        attr_size: 16,
        attr: { bpf_fd: { fd: 'run', out: 'test.ctx_in', offset: 24 + 16 * i }, info_len: 104, info: { buf_len: 104, struct: 'bpf_map_info' } },
        expect: { ret: 0, out: { 'info.type': 2 } },
      })),
      {
        id: 'info_prog',
        cmd: 'BPF_OBJ_GET_INFO_BY_FD',
        attr_size: 16,
        attr: { bpf_fd: { fd: 'run', out: 'test.ctx_in', offset: 24 + 16 * skel.maps.length }, info_len: 232, info: { buf_len: 232, struct: 'bpf_prog_info' } },
        expect: { ret: 0, out: { 'info.type': 5 /* SEC("tracepoint/...") */, 'info.name': skel.progs[0]!.slice(0, 15), info_len: 232 } },
      },
    ]);
    expect(replay(t)).toEqual([]);
  });

  it('[OBS-LSK-2] the signed 7.7 insns without a signature: retval 0; one data byte changed → -22; GET_INFO skipped → -22', () => {
    for (const [opts, retval] of [[{}, 0], [{ flip: 100 }, -22], [{ skipHash: true }, -22]] as const) {
      const { ctx, blob, steps, skel } = loaderSteps('minimal', 'v77-signed', opts);
      const t = transcript([
        ...steps,
        progLoad(blob, { insn_cnt: insnCnt('minimal', 'v77-signed') }, { ret: 'fd' }),
        { id: 'run', cmd: 'BPF_PROG_TEST_RUN', attr_size: 80, attr: { prog_fd: { fd: 'load' }, ctx_size_in: skel.ctxSize, ctx_in: ctx }, expect: { ret: 0, out: { 'test.retval': retval } } },
      ]);
      expect(replay(t), JSON.stringify(opts)).toEqual([]);
    }
  });

  it('[OBS-LOAD-2] add_key steps and a signed load: a keyring that resolves to nothing → EINVAL; the real keyring with the cert → EOPNOTSUPP (no CONFIG_SYSTEM_DATA_VERIFICATION)', () => {
    const { blob, steps } = loaderSteps('minimal', 'v77-signed');
    const sig = { file: 'bpf/minimal/minimal.v77-signed.sig.der' };
    const t = transcript([
      { id: 'ring', cmd: 'add_key', type: 'keyring', description: 'bpfsig-test', payload: null, keyring: 'KEY_SPEC_PROCESS_KEYRING', expect: { ret: 'key' } },
      { id: 'cert', cmd: 'add_key', type: 'asymmetric', description: null, payload: { file: 'keys/signing-rsa2048/cert.der' }, keyring: { key: 'ring' }, expect: { ret: 'key' } },
      ...steps,
      { ...progLoad(blob, { insn_cnt: insnCnt('minimal', 'v77-signed'), signature: sig, signature_size: 375, keyring_id: 12345 }, { errno: 'EINVAL' }), id: 'load_bad_ring' },
      progLoad(blob, { insn_cnt: insnCnt('minimal', 'v77-signed'), signature: sig, signature_size: 375, keyring_id: { key: 'ring' } }, { errno: 'EOPNOTSUPP' }),
    ]);
    expect(replay(t)).toEqual([]);
  });

  it('an unknown keyring name in an add_key step is a disagreement that names the problem', () => {
    const t = transcript([{ id: 'k', cmd: 'add_key', type: 'keyring', description: 'x', payload: null, keyring: 'KEY_SPEC_NOPE', expect: { ret: 'key' } }]);
    expect(replay(t)).toEqual([expect.stringContaining("unknown keyring name 'KEY_SPEC_NOPE'")]);
  });
});
