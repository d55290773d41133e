// The hash chains from the command line: `gen skeleton|loader -S -M --toolchain hashchain`, its
// errors, `skel load` of the result under hashchain-v2 / hashchain-v1 (text and JSON, the oops),
// `profiles`, and `replay` of a transcript in which the emulated kernel oopses.
// spec: TC-HCM-1..3, HC-UAPI-2, HC-Q-1, HC-Q-2, CLAIM-3, CLAIM-24, TC-BT77-2.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { readLightSkeleton } from '../../src/loader/lskel-reader.js';
import { replayTranscript } from '../../src/scenarios/replay.js';
import type { Transcript } from '../../src/scenarios/transcript.js';
import { cli, cliJson, noStackTrace, tempDir } from '../cli/support.js';

const dir = tempDir('bpfsig-hashchain-');
const ident = makeSigningIdentity({ cn: 'bpfsig hash-chain cli' });
const KEY = join(dir, 'key.pem');
const CERT = join(dir, 'cert.pem');
writeFileSync(KEY, ident.keyPem);
writeFileSync(CERT, ident.certPem);
const HELLO = join('examples', 'bpf', 'hello.bpf.o');

async function genHeader(...flags: string[]): Promise<string> {
  const r = await cli('gen', 'skeleton', ...flags, HELLO);
  expect(r.code, r.err).toBe(0);
  return r.out;
}

describe('[TC-HCM-1] gen skeleton -M', () => {
  it('-M --toolchain hashchain writes the -M header; -M implies -S (and -L): with or without -S the output is the same', async () => {
    const withS = await genHeader('-S', '-M', '-k', KEY, '-i', CERT, '--toolchain', 'hashchain');
    const alone = await genHeader('--sign-maps', '-k', KEY, '-i', CERT, '--toolchain', 'hashchain');
    expect(alone).toBe(withS);
    const s = readLightSkeleton(withS);
    expect(s.signature).toBeDefined();
    expect(s.signatureMaps).toEqual([0]);
    expect(s.signatureMapsOpts).toEqual({ ptr: 'array', sz: 1 });
  });

  it('-M still needs -k and -i (bpftool\'s message, exit 2)', async () => {
    const r = await cli('gen', 'skeleton', '-M', '--toolchain', 'hashchain', HELLO);
    expect(r.code).toBe(2);
    expect(r.err).toContain('-i <identity_x509_cert> and -k <private_key> must be supplied with -S for signing');
  });

  it('-M with a toolchain that has no -M: a usage error that names the toolchain that has it', async () => {
    for (const t of ['bpftool-7.7', 'bpftool-7.1']) {
      const r = await cli('gen', 'skeleton', '-M', '-k', KEY, '-i', CERT, '--toolchain', t, HELLO);
      expect(r.code, t).toBe(2);
      expect(r.err.split('\n')[0], t).toMatch(/has no -M \(--sign-maps\).*use --toolchain hashchain/);
      expect(noStackTrace(r.err)).toBe(true);
    }
  });

  it('gen loader -M --json: signatureMaps [0]; the text summary names the signed map', async () => {
    const { code, json } = await cliJson('gen', 'loader', '-M', '-k', KEY, '-i', CERT, '--toolchain', 'hashchain', '--json', HELLO);
    expect(code).toBe(0);
    expect(json).toMatchObject({ profile: 'hashchain', signatureMaps: [0] });
    expect(json.signature).toMatch(/^30/);
    const text = await cli('gen', 'loader', '-M', '-k', KEY, '-i', CERT, '--toolchain', 'hashchain', HELLO);
    expect(text.out).toContain('signed maps fd_array index 0 (hash chain)');
    const plain = await cliJson('gen', 'loader', '-S', '-k', KEY, '-i', CERT, '--toolchain', 'hashchain', '--json', HELLO);
    expect(plain.json.signatureMaps).toBeNull();
  });
});

describe('skel load of a -M skeleton', () => {
  const header = async (edit?: (h: string) => string) => {
    const h = await genHeader('-M', '-k', KEY, '-i', CERT, '--toolchain', 'hashchain');
    const path = join(dir, `hello-${Math.random().toString(36).slice(2)}.lskel.h`);
    writeFileSync(path, edit ? edit(h) : h);
    return path;
  };

  it('[HC-UAPI-2] hashchain-v2: loads (exit 0); the JSON names the scheme, the toolchain and its flow', async () => {
    const { code, json } = await cliJson('skel', 'load', await header(), '--profile', 'hashchain-v2', '--cert', CERT, '--json');
    expect(code).toBe(0);
    expect(json).toMatchObject({ result: 0, oops: null, scheme: 'hashchain', toolchain: { name: 'hashchain', flow: 'libbpf-1.7+hashchain', candidates: ['hashchain'] } });
    const pl = json.timeline.find((c: { cmd: string; kernel: boolean }) => c.cmd === 'BPF_PROG_LOAD' && !c.kernel);
    expect(pl).toMatchObject({ size: 180, attr: { signature_maps_size: 1 } });
  });

  it('[CLAIM-3] a data byte flipped: exit 1, EKEYREJECTED from "failed to load loader prog", the loader never ran', async () => {
    const { code, json } = await cliJson('skel', 'load', await header(), '--profile', 'hashchain-v2', '--cert', CERT, '--tamper', 'data:100', '--json');
    expect(code).toBe(1);
    expect(json).toMatchObject({ result: -129, errno: 'EKEYREJECTED', errstr: 'failed to load loader prog', loaderRetval: null, oops: null });
    expect((json.audit as string[]).some((l) => l.startsWith('type=BPF '))).toBe(false);
  });

  it('[HC-Q-2][CLAIM-24] hashchain-v1 and a header whose signature_maps_sz was edited to the syzbot count: KERNEL OOPS, no errno (text, JSON, exit 1)', async () => {
    const path = await header((h) => h.replace('opts.signature_maps_sz = 1;', 'opts.signature_maps_sz = 67406167;'));
    const text = await cli('skel', 'load', path, '--profile', 'hashchain-v1', '--cert', CERT);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/bpf\(BPF_PROG_LOAD, size=180\).*→ KERNEL OOPS: never returned, the task was killed/);
    expect(text.out).toMatch(/OOPS {3}general protection fault in bpf_prog_verify_signature — in bpf_prog_verify_signature: maps = ERR_PTR\(-EFAULT\)/);
    expect(text.out).toMatch(/result: KERNEL OOPS in prog_load/);
    expect(text.out).not.toMatch(/result: -/);
    expect(noStackTrace(text.out + text.err)).toBe(true);
    const { code, json } = await cliJson('skel', 'load', path, '--profile', 'hashchain-v1', '--cert', CERT, '--json', '--audit');
    expect(code).toBe(1);
    expect(json).toMatchObject({ result: null, errno: null, errstr: null, loaderRetval: null, oops: { step: 'prog_load', rule: 'HC-Q-2', where: 'bpf_prog_verify_signature' } });
    const syscallLines = (json.audit as string[]).filter((l) => l.startsWith('type=SYSCALL') && / a0=5 /.test(l));
    expect(syscallLines).toHaveLength(1);
    expect(syscallLines[0]).not.toMatch(/success=|exit=/);
    // The same header under v2: an errno.
    const v2 = await cliJson('skel', 'load', path, '--profile', 'hashchain-v2', '--cert', CERT, '--json');
    expect(v2.json).toMatchObject({ errno: 'EFAULT', oops: null });
  });
});

describe('profiles', () => {
  it('bpfsig profiles lists the hashchain scheme with both profiles and its toolchain', async () => {
    const { code, json } = await cliJson('profiles', '--json');
    expect(code).toBe(0);
    const hc = json.schemes.find((s: { name: string }) => s.name === 'hashchain');
    expect(hc.profiles.map((p: { name: string }) => p.name)).toEqual(['hashchain-v2', 'hashchain-v1']);
    expect(hc.toolchains.map((t: { name: string }) => t.name)).toEqual(['hashchain']);
    const text = await cli('profiles');
    expect(text.out).toMatch(/scheme hashchain: /);
  });
});

describe('[HC-Q-2] replay shows an oops as an oops', () => {
  const t: Transcript = {
    format: 'bpfsig-transcript/1',
    kernel: { release: '6.18.0' },
    creds: { euid: 0, caps: ['CAP_SYS_ADMIN', 'CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN'] },
    steps: [
      {
        id: 'load',
        cmd: 'BPF_PROG_LOAD',
        attr_size: 180,
        attr: {
          prog_type: 1,
          insn_cnt: 2,
          insns: { buf: 'b7000000000000009500000000000000' },
          license: { str: 'GPL' },
          signature: { buf: '5a'.repeat(64) },
          signature_size: 64,
          signature_maps: { fault: true },
          signature_maps_size: 0x0404_8957,
        },
        expect: { errno: 'EFAULT' },
      },
      { id: 'after', cmd: 'BPF_MAP_CREATE', attr_size: 72, attr: { map_type: 2, key_size: 4, value_size: 8, max_entries: 1 }, expect: { ret: 'fd' } },
    ],
  };

  it('hashchain-v2 agrees with the expected EFAULT; hashchain-v1 oopses: KERNEL OOPS in that step, the later steps not run', () => {
    const v2 = replayTranscript(t, { file: join(dir, 'hc.json'), profile: 'hashchain-v2' });
    expect(v2.ok).toBe(true);
    expect(v2.oops).toBeNull();
    const v1 = replayTranscript(t, { file: join(dir, 'hc.json'), profile: 'hashchain-v1' });
    expect(v1.ok).toBe(false);
    expect(v1.oops).toMatchObject({ step: 'load', report: { rule: 'HC-Q-2' } });
    expect(v1.steps.map((s) => [s.id, s.status, s.actual])).toEqual([
      ['load', 'disagree', 'KERNEL OOPS (the call never returned; the task was killed)'],
      ['after', 'disagree', 'not run'],
    ]);
  });

  it('bpfsig replay prints the oops', async () => {
    const file = join(dir, 'hc-oops.json');
    writeFileSync(file, JSON.stringify(t));
    const r = await cli('replay', '--profile', 'hashchain-v1', file);
    expect(r.code).toBe(1);
    expect(r.out).toContain('KERNEL OOPS in step load: general protection fault in bpf_prog_verify_signature');
    expect(noStackTrace(r.out + r.err)).toBe(true);
  });
});
