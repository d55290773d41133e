// The 2026 toolchains: `loadtime` (libbpf debb5e82, TC-LB26-*) and `bpftool-7.8` (KP's scheme with the
// 2026-06 hardened libbpf loader, TC-LB2606-*, OBS-DEB-32): what the loader contains, what is signed
// (byte-identical to `openssl cms -sign -binary -nocerts -noattr -keyid -md sha256`, skipped by name
// without openssl), which toolchain a header is recognised as, the ctx overrides a signed loader
// ignores, and the CLI (`gen skeleton|loader --toolchain`, `skel load --profile v7.3`).
// spec: TC-LB26-1/2, TC-LB2606-1..6, LSK-SIGM-1..8, LSK-RUN-9, OBS-DEB-30/32, KP-META-5.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BpfClient } from '../../src/loader/bpf.js';
import { signedContent } from '../../src/loader/gen-loader/gen-loader.js';
import { findToolchain, toolchain, toolchainNames } from '../../src/loader/gen-loader/profiles.js';
import { decodeInsns } from '../../src/loader/insn.js';
import { candidateToolchains, signatureMatchBlock } from '../../src/loader/lskel-identify.js';
import { runSkeleton } from '../../src/scenarios/skel-run.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { MapType, ProgFlag, ProgType } from '../../src/syscall/uapi/consts.js';
import { cli, cliJson, tempDir } from '../cli/support.js';
import { describeShared } from '../support/shared.js';
import { CERT, copySkel, expectLoaded, fixtureSkel, generate, object, outcome, runDeb } from './support.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const HAS_OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const itOpenssl = HAS_OPENSSL ? it : it.skip;

/** ctx reads of the ctx max_entries (ctx 24+16i+4) and initial_value (24+16i+8) overrides: `rX = *(u32|u64 *)(r6 + off)`. */
function ctxOverrideReads(insns: Uint8Array, nrMaps: number): number {
  const offs = new Set<number>();
  for (let i = 0; i < nrMaps; i++) offs.add(24 + 16 * i + 4).add(24 + 16 * i + 8);
  return decodeInsns(insns).filter((x) => (x.code & 0x07) === 0x01 && x.src === 6 && offs.has(x.off)).length;
}

describe('loadtime (libbpf debb5e82): the loader and what it signs', () => {
  const obj = object('hello');
  const unsigned77 = generate(obj, 'bpftool-7.7', false);

  it('[TC-LB26-1][LSK-SIGM-7] the signed loader carries no metadata check and no embedded hash; unsigned it is the 1.7 loader byte for byte', () => {
    const signed = generate(obj, 'loadtime');
    expect(signatureMatchBlock(signed.out.insns)).toBeNull();
    expect(hex(generate(obj, 'loadtime', false).out.insns)).toBe(hex(unsigned77.out.insns));
    expect(hex(signed.out.data)).toBe(hex(unsigned77.out.data));
    expect(hex(signed.out.exclHash!)).toBe(hex(sha256(signed.out.insns)));
  });

  it('[TC-LB26-1][TC-LB2606-5][TC-LB2606-6] gen_hash is kept: the signed loader has no ctx max_entries / initial_value reads; the unsigned one has them', () => {
    const nrMaps = obj.maps.length;
    expect(ctxOverrideReads(unsigned77.out.insns, nrMaps)).toBeGreaterThan(0);
    expect(ctxOverrideReads(generate(obj, 'loadtime').out.insns, nrMaps)).toBe(0);
    expect(ctxOverrideReads(generate(obj, 'loadtime', false).out.insns, nrMaps)).toBe(ctxOverrideReads(unsigned77.out.insns, nrMaps));
  });

  it('[TC-LB26-2][OBS-DEB-30] the signature covers insns ‖ data, and verifies there with the certificate (and over nothing else)', () => {
    const g = generate(obj, 'loadtime');
    const content = signedContent(toolchain('loadtime'), g.out.insns, g.out.data);
    expect(hex(content)).toBe(hex(new Uint8Array(Buffer.concat([g.out.insns, g.out.data]))));
    expect(hex(signedContent(toolchain('bpftool-7.8'), g.out.insns, g.out.data))).toBe(hex(g.out.insns));
  });

  itOpenssl('[TC-LB26-2][OBS-DEB-30] byte-identical to openssl cms -sign -binary -nocerts -noattr -keyid -md sha256 over insns ‖ data', () => {
    const dir = tempDir('bpfsig-lt-');
    const g = generate(obj, 'loadtime');
    const key = join(dir, 'key.pem');
    const data = join(dir, 'payload.bin');
    const out = join(dir, 'sig.der');
    writeFileSync(key, CERT.key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(data, Buffer.concat([g.out.insns, g.out.data]));
    const pem = join(dir, 'cert.pem');
    writeFileSync(pem, `-----BEGIN CERTIFICATE-----\n${Buffer.from(CERT.der).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`);
    const r = spawnSync('openssl', ['cms', '-sign', '-binary', '-nocerts', '-noattr', '-keyid', '-md', 'sha256', '-in', data, '-signer', pem, '-inkey', key, '-outform', 'DER', '-out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(hex(new Uint8Array(readFileSync(out)))).toBe(hex(g.out.signature!));
  });
});

describe('bpftool-7.8 (the 2026-06 hardened loader)', () => {
  const obj = object('hello');

  it('[LSK-SIGM-8][TC-LB2606-1][TC-LB2606-4] the block: r1 = map idx 0; r2 = *(u32 *)(r1 + 32); r7 = -EINVAL; if r2 != 1 goto cleanup; then four compares whose jumps land on cleanup_label (not +1)', () => {
    const g = generate(obj, 'bpftool-7.8');
    const b = signatureMatchBlock(g.out.insns)!;
    expect(b.kind).toBe('libbpf-2026-06');
    const ins = decodeInsns(g.out.insns);
    const cleanup = 7; // LSK-PROG-3: right after the prologue's ja
    const e = b.exclCheck!;
    expect(e).toBe(ins.findIndex((x, i) => i > cleanup && x.code === 0x95) + 1); // right after the cleanup block's exit
    expect(ins[e + 2]).toMatchObject({ code: 0x61, dst: 2, src: 1, off: 32 });
    expect(ins[e + 3]).toMatchObject({ code: 0xb7, dst: 7, imm: -22 });
    expect(ins[e + 4]).toMatchObject({ code: 0x55, dst: 2, imm: 1 });
    expect(e + 5 + ins[e + 4]!.off).toBe(cleanup);
    expect(b.jumpTargets).toEqual([cleanup, cleanup, cleanup, cleanup]);
    expect(b.embeddedHash).toBe(hex(sha256(g.out.data)));
    // The 1.7 loader's jumps land one past cleanup_label (LSK-SIGM-6).
    const b77 = signatureMatchBlock(generate(obj, 'bpftool-7.7').out.insns)!;
    expect(b77).toMatchObject({ kind: 'libbpf-1.7', exclCheck: null, jumpTargets: [cleanup + 1, cleanup + 1, cleanup + 1, cleanup + 1] });
    // 5 + 28 instructions against 28, and no ctx overrides in the hardened loader (TC-LB2606-5/6).
    expect(ctxOverrideReads(g.out.insns, obj.maps.length)).toBe(0);
  });

  it('[OBS-DEB-32] it signs the instructions only: the signature verifies over opts_insn, not over insns ‖ data', () => {
    const g = generate(obj, 'bpftool-7.8');
    const k = new Kernel({ profile: 'v7.2', builtinCerts: [CERT.der] });
    const verify = (data: Uint8Array) => k.keys.verify_pkcs7_signature(data, g.out.signature!, 0, 'VERIFYING_UNSPECIFIED_SIGNATURE').ret;
    expect(verify(g.out.insns)).toBe(0);
    expect(verify(new Uint8Array(Buffer.concat([g.out.insns, g.out.data])))).toBe(-129);
  });

  it('[TC-LB2606-4][KP-META-5] on v7.2 a non-exclusive metadata map makes the hardened loader return -EINVAL; the 1.7 loader accepts it', () => {
    const s78 = copySkel(generate(obj, 'bpftool-7.8').skel, { signature: undefined, exclHash: undefined });
    expect(outcome(runDeb('v7.2', s78).r)).toBe('run:-22');
    const s77 = copySkel(generate(obj, 'bpftool-7.7').skel, { signature: undefined, exclHash: undefined });
    expectLoaded(runDeb('v7.2', s77).r);
  });

  it('[TC-LB2606-5] a signed 2026 loader keeps the signer\'s max_entries whatever the ctx asks (metadata_ctx_max_entries_ignored); the 1.7 loader takes the ctx value', () => {
    for (const [tc, expectBogus] of [['bpftool-7.8', false], ['loadtime', false], ['bpftool-7.7', true]] as const) {
      const g = generate(obj, tc);
      const k = new Kernel({ profile: 'v7.2' });
      const c = new BpfClient(k.spawn());
      // Unsigned load of the signed loader (as the selftest does): exclusive frozen map, GET_INFO for map->sha.
      const fd = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: g.out.data.length, maxEntries: 1, name: '__loader.map', exclProgHash: sha256(g.out.insns) }).ret;
      expect(c.mapUpdate(fd, new Uint8Array(4), g.out.data).ret).toBe(0);
      expect(c.mapFreeze(fd).ret).toBe(0);
      expect(c.mapGetInfo(fd, { hash: true }).res.ret).toBe(0);
      const prog = c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SYSCALL, insns: g.out.insns, license: 'Dual BSD/GPL', progFlags: ProgFlag.BPF_F_SLEEPABLE, fdArray: [fd] }).res.ret;
      expect(prog, tc).toBeGreaterThan(0);
      const ctx = new Uint8Array(g.out.ctx.size);
      const dv = new DataView(ctx.buffer);
      dv.setUint32(0, ctx.length, true);
      // The program's own map (not .rodata/.bss, whose values the program reads directly and must stay single-element).
      obj.maps.forEach((m, i) => m.name.includes('.') || dv.setUint32(24 + 16 * i + 4, 0x4000, true));
      const run = c.progTestRun(prog, ctx);
      expect(run.retval, tc).toBe(0);
      const sizes = [...k.mapIdr.values()].filter((m) => m.name !== '__loader.map').map((m) => m.maxEntries);
      expect(sizes.includes(0x4000), tc).toBe(expectBogus);
    }
  });
});

describe('which toolchain made a header (lskel-identify) and the flow skel load picks', () => {
  it('[LSK-SIGM-8][TC-LB26-1] signed headers are told apart by their loader: loadtime (no block), bpftool-7.8 (hardened block), bpftool-7.7 (1.7 block)', () => {
    const obj = object('hello');
    for (const tc of ['loadtime', 'bpftool-7.8', 'bpftool-7.7']) expect(candidateToolchains(generate(obj, tc).skel).map((t) => t.name), tc).toEqual([tc]);
    // Unsigned 7.7-style headers fit every libbpf ≥ 1.7 flow; the first registered is the default.
    // (Every registered v7.7-style toolchain: hashchain's unsigned headers are 7.7's too.)
    const v77 = toolchainNames().filter((n) => findToolchain(n)!.headerStyle === 'v7.7');
    expect(candidateToolchains(generate(obj, 'loadtime', false).skel).map((t) => t.name)).toEqual(v77);
    expect(v77.slice(0, 1)).toEqual(['bpftool-7.7']);
    expect(v77).toEqual(expect.arrayContaining(['bpftool-7.8', 'loadtime']));
  });

  it('[LSK-SIGM-8] the answer is remembered per parsed skeleton (issue K): asked again it is equal and a fresh array; a tampered copy is judged on its own bytes', () => {
    const g = generate(object('hello'), 'bpftool-7.8');
    const first = candidateToolchains(g.skel);
    const again = candidateToolchains(g.skel);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    again.length = 0; // a caller's change does not reach the remembered answer
    expect(candidateToolchains(g.skel).map((t) => t.name)).toEqual(['bpftool-7.8']);
    // another object is judged on its own: the same header without its signature fits other toolchains
    const unsigned = { ...g.skel, signature: undefined };
    expect(candidateToolchains(unsigned).map((t) => t.name)).not.toEqual(['bpftool-7.8']);
  });

  it('[TC-LB26-1][LSK-RUN-9] skel load picks the loadtime flow for a loadtime header: MAP_CREATE, UPDATE, FREEZE, PROG_LOAD with fd_array_cnt 1, TEST_RUN — no GET_INFO', () => {
    const g = generate(object('hello'), 'loadtime');
    const r = runSkeleton(g.skel, { profile: 'v7.3', certDer: CERT.der, keyring: 'session' });
    expect(r.toolchain).toBe('loadtime');
    expect(r.scheme).toBe('loadtime');
    expectLoaded(r.result);
    const pl = r.kernel.trace.events.find((e) => e.kind === 'syscall' && e.name === 'bpf' && e.cmd === 'BPF_PROG_LOAD' && !e.kernel)!;
    expect(pl).toMatchObject({ size: 168 });
    expect(r.result.calls.map((c) => c.step)).not.toContain('obj_get_info_by_fd');
  });

  describeShared('the fixture skeletons', () => {
    it('[TC-BT77-5] the bpftool 7.7 -S fixture is recognised as bpftool-7.7', () => {
      expect(candidateToolchains(fixtureSkel('v77-signed')).map((t) => t.name)).toEqual(['bpftool-7.7']);
    });
  });
});

describe('CLI: gen skeleton|loader --toolchain loadtime|bpftool-7.8, skel load --profile v7.3', () => {
  const dir = tempDir('bpfsig-lt-cli-');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  writeFileSync(key, CERT.key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(cert, `-----BEGIN CERTIFICATE-----\n${Buffer.from(CERT.der).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`);
  const hello = new URL('../../examples/bpf/hello.bpf.o', import.meta.url).pathname;

  it('[TC-LB26-2] gen loader -S --toolchain loadtime --json: the signature, the excl hash, no match block; gen skeleton writes a header that skel load --profile v7.3 loads', async () => {
    const { code, json } = await cliJson('gen', 'loader', '-S', '-k', key, '-i', cert, '--toolchain', 'loadtime', '--json', hello);
    expect(code).toBe(0);
    expect(json.profile).toBe('loadtime');
    expect(json.exclHash).toBe(hex(sha256(Buffer.from(json.insns, 'hex'))));
    expect(signatureMatchBlock(new Uint8Array(Buffer.from(json.insns, 'hex')))).toBeNull();

    const h = await cli('gen', 'skeleton', '-S', '-k', key, '-i', cert, '--toolchain', 'loadtime', hello);
    expect(h.code, h.err).toBe(0);
    const file = join(dir, 'hello.lskel.h');
    writeFileSync(file, h.out);
    const load = await cliJson('skel', 'load', file, '--profile', 'v7.3', '--cert', cert, '--json');
    expect(load.code, load.err).toBe(0);
    expect(load.json).toMatchObject({ result: 0, profile: 'v7.3', scheme: 'loadtime' });
    // skel load --json shows the verdict per hook event where the profile has one.
    const hooks = (load.json.timeline as any[]).flatMap((c) => c.events.filter((e: any) => e.kind === 'hook' && e.hook === 'bpf_prog_load'));
    expect(hooks[0].args).toMatchObject({ prog: '__loader.prog', sig_verdict: 'BPF_SIG_VERIFIED', sig_keyring_type: 'BPF_SIG_KEYRING_USER' });
    const alias = await cliJson('skel', 'load', file, '--profile', 'loadtime-2026', '--cert', cert, '--json');
    expect(alias.json.profile).toBe('v7.3');
  });

  it('[OBS-DEB-32] gen skeleton -S --toolchain bpftool-7.8: loads under v7.2, EACCES under v6.18.15 and v7.3', async () => {
    const h = await cli('gen', 'skeleton', '-S', '-k', key, '-i', cert, '--toolchain', 'bpftool-7.8', hello);
    expect(h.code, h.err).toBe(0);
    const file = join(dir, 'hello78.lskel.h');
    writeFileSync(file, h.out);
    const res = async (profile: string) => (await cliJson('skel', 'load', file, '--profile', profile, '--cert', cert, '--json')).json;
    expect(await res('v7.2')).toMatchObject({ result: 0, toolchain: { name: 'bpftool-7.8', flow: 'libbpf-1.7' } });
    expect(await res('v6.18.15')).toMatchObject({ errno: 'EACCES' });
    expect(await res('v7.3')).toMatchObject({ errno: 'EACCES' });
  });
});
