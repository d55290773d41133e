// The hash-chain kernels (hashchain-v2, hashchain-v1) at BPF_PROG_LOAD: the UAPI, the chain and its
// signed digest, every check and non-check in order, the errno table, the positive non-fd return
// (HC-Q-1), the v1 oops (HC-Q-2), the TOCTOU window between the chain's fd resolution and bpf_check's
// (HC-NOT-3) as far as one thread can show it, and CLAIM-1: with signature_maps_size = 0 the KP
// errno table of v6.18, exactly.
// spec: HC-UAPI-1, HC-SIG-1..5, HC-CHK-1..6, HC-NOT-1..5, HC-Q-1..3, HC-ERR-1..10, HC-LSM-1/2,
// KP-LOAD-2, CLAIM-1, CLAIM-3, CLAIM-11, CLAIM-24, CLAIM-27, SYS-1, SYS-4, SYS-7.

import { describe, expect, it } from 'vitest';
import { formatAuditd } from '../../src/audit/format.js';
import { BTF_INT_SIGNED } from '../../src/btf/btf.js';
import { BtfBuilder } from '../../src/btf/builder.js';
import { policyModule } from '../../src/lsm/policy.js';
import { BpfClient } from '../../src/loader/bpf.js';
import { attrSize, lastFieldEndFor } from '../../src/syscall/attr.js';
import { Errno } from '../../src/syscall/errno.js';
import { Kernel } from '../../src/syscall/kernel.js';
import type { BpfProg } from '../../src/syscall/objects/prog.js';
import { KEYCTL } from '../../src/syscall/process.js';
import { getProfile } from '../../src/syscall/profiles/index.js';
import { TaskKilled } from '../../src/syscall/result.js';
import type { TraceEvent } from '../../src/syscall/trace.js';
import { PROG_LOAD } from '../../src/syscall/uapi/attr-layouts.js';
import { encode } from '../../src/syscall/uapi/layout.js';
import { BpfCmd, MapType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { O } from '../keys/support/certs.js';
import { T } from '../keys/support/der.js';
import { attr as pattr, buildPkcs7 } from '../keys/support/pkcs7.js';
import { arrayMap, hashMap, setup, u32 } from '../support/kernel.js';
import {
  arrayArea,
  cert,
  chainDigest,
  env,
  hcLoad,
  otherCert,
  RET0,
  sha256,
  sign,
  SOCKET_FILTER,
  USES_MAP_IDX0,
  USES_MAP_IDX01,
} from './hashchain-support.js';

const STAGE = 'LOAD-9.hashchain-v2';
const junk = new Uint8Array(64).fill(0x5a);
const stageEvents = (k: Kernel, sys: number) => k.trace.ofSyscall(sys).filter((e) => e.kind === 'stage' && !e.enter);
const hcSteps = (k: Kernel, sys: number) => stageEvents(k, sys).filter((e) => e.kind === 'stage' && e.id.startsWith('HC-'));

describe('[HC-UAPI-1] the two attr fields', () => {
  it('[UAPI-CONV-3][SYS-5] sizeof(union bpf_attr) 184, PROG_LOAD LAST_FIELD signature_maps_size (offsetofend 180), offsets 168 / 176', () => {
    for (const name of ['hashchain-v2', 'hashchain-v1']) {
      const p = getProfile(name)!;
      expect(attrSize(p), name).toBe(184);
      expect(lastFieldEndFor(BpfCmd.BPF_PROG_LOAD, p), name).toBe(180);
    }
    expect(PROG_LOAD.byName.get('signature_maps')!.offset).toBe(168);
    expect(PROG_LOAD.byName.get('signature_maps_size')!.offset).toBe(176);
  });

  it('[SYS-4] a non-zero byte after signature_maps_size (180..183) → EINVAL; past sizeof (184) → E2BIG (SYS-1)', () => {
    const { c } = setup('hashchain-v2');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, attrSize: 184, extra: {} }).res.ret).toBeGreaterThan(2);
    const load = (size: number, at: number) => {
      const bytes = encode(PROG_LOAD, { prog_type: SOCKET_FILTER, insn_cnt: 2, insns: c.buf(RET0), license: c.buf(new Uint8Array(Buffer.from('GPL\0'))) }, size);
      bytes[at] = 1;
      return c.proc.bpf(BpfCmd.BPF_PROG_LOAD, c.buf(bytes), size).errno;
    };
    expect(load(184, 181)).toBe('EINVAL');
    expect(load(192, 186)).toBe('E2BIG');
  });

  it('[SYS-7][CLAIM-6] the same hash-chain attr on v6.18 (168-byte union): signature_maps is a tail byte → E2BIG', () => {
    const { c } = env('v6.18');
    const fd = arrayMap(c);
    const r = hcLoad(c, { fdArray: [fd], maps: [0], signature: junk, attrSize: 180 });
    expect(r.res.errno).toBe('E2BIG');
  });
});

describe('[HC-SIG-1..4] the chain and the 32-byte signed digest', () => {
  it('[HC-SIG-1][HC-SIG-3][HC-SIG-4] one map: a signature over f = SHA256(SHA256(insns) ‖ H(M_0)) verifies; the load goes on to the LSM hook and bpf_check', () => {
    const { c, k } = env();
    const fd = arrayMap(c, 8, 2);
    expect(c.mapUpdate(fd, u32(1), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])).ret).toBe(0);
    const f = chainDigest(RET0, [arrayArea(8, 2, { 1: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) })]);
    const r = hcLoad(c, { fdArray: [fd], maps: [0], signature: sign(f) });
    expect(r.res.ret).toBeGreaterThan(2);
    const f3 = hcSteps(k, r.res.sys).find((e) => e.kind === 'stage' && e.id === 'HC-SIG-3');
    expect(f3 && f3.kind === 'stage' && f3.detail).toBe(Buffer.from(f).toString('hex'));
    expect(k.trace.hooks('bpf_prog_load')).toHaveLength(1);
  });

  it('[HC-SIG-2] three maps: h_n = SHA256(h_{n+1} ‖ H(M_n)) in signature_maps order; another order of the same maps → EKEYREJECTED', () => {
    const { c } = env();
    const a = arrayMap(c, 8, 1, 'a');
    const b = arrayMap(c, 16, 2, 'b');
    const d = arrayMap(c, 4, 3, 'd');
    expect(c.mapUpdate(b, u32(0), new Uint8Array(16).fill(0xbb)).ret).toBe(0);
    expect(c.mapUpdate(d, u32(2), new Uint8Array([9, 9, 9, 9])).ret).toBe(0);
    const areas = [arrayArea(8, 1), arrayArea(16, 2, { 0: new Uint8Array(16).fill(0xbb) }), arrayArea(4, 3, { 2: new Uint8Array([9, 9, 9, 9]) })];
    const sig = sign(chainDigest(RET0, areas));
    expect(hcLoad(c, { fdArray: [a, b, d], maps: [0, 1, 2], signature: sig }).res.ret).toBeGreaterThan(2);
    expect(hcLoad(c, { fdArray: [a, b, d], maps: [2, 1, 0], signature: sig }).res.errno).toBe('EKEYREJECTED');
    // The same chain through a permuted fd_array: what counts is the order of signature_maps.
    expect(hcLoad(c, { fdArray: [d, a, b], maps: [1, 2, 0], signature: sig }).res.ret).toBeGreaterThan(2);
  });

  it('[HC-SIG-5] duplicates are not forbidden: the same map twice is a two-link chain', () => {
    const { c } = env();
    const a = arrayMap(c, 8, 1);
    const area = arrayArea(8, 1);
    expect(hcLoad(c, { fdArray: [a], maps: [0, 0], signature: sign(chainDigest(RET0, [area, area])) }).res.ret).toBeGreaterThan(2);
    expect(hcLoad(c, { fdArray: [a], maps: [0, 0], signature: sign(chainDigest(RET0, [area])) }).res.errno).toBe('EKEYREJECTED');
  });

  it('[HC-SIG-3][KP-LOAD-5] f covers the instructions as the caller sent them: one flipped insn byte → EKEYREJECTED', () => {
    const { c } = env();
    const a = arrayMap(c, 8, 1);
    const sig = sign(chainDigest(RET0, [arrayArea(8, 1)]));
    const other = RET0.slice();
    other[4] = 1; // r0 = 1
    expect(hcLoad(c, { insns: other, fdArray: [a], maps: [0], signature: sig }).res.errno).toBe('EKEYREJECTED');
  });
});

describe('[HC-ERR-9][CLAIM-1b][CLAIM-3] what a mismatch looks like', () => {
  it('[CLAIM-1b] a KP-style signature over the raw insns with signature_maps_size > 0 → EKEYREJECTED', () => {
    const { c } = env();
    const a = arrayMap(c, 8, 1);
    expect(hcLoad(c, { fdArray: [a], maps: [0], signature: sign(RET0) }).res.errno).toBe('EKEYREJECTED');
    // The same signature with signature_maps_size = 0 is KP's check, and passes (CLAIM-1: both coexist, chosen per load).
    expect(hcLoad(c, { fdArray: [a], maps: [], signature: sign(RET0) }).res.ret).toBeGreaterThan(2);
  });

  it('[HC-ERR-9][HC-LSM-1][CLAIM-3] a map changed after signing → EKEYREJECTED at BPF_PROG_LOAD: no bpf_prog_load hook, no id, no AUDIT_BPF record', () => {
    const { c, k } = env('hashchain-v2', { lsm: ['deny-unsigned', 'signature-audit'] });
    const a = arrayMap(c, 8, 1);
    const sig = sign(chainDigest(RET0, [arrayArea(8, 1)]));
    expect(c.mapUpdate(a, u32(0), new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0])).ret).toBe(0);
    const r = hcLoad(c, { fdArray: [a], maps: [0], signature: sig });
    expect(r.res.errno).toBe('EKEYREJECTED');
    expect(k.trace.hooks('bpf_prog_load')).toHaveLength(0);
    expect(k.trace.hooks('bpf').map((h) => h.args.cmd)).toContain('BPF_PROG_LOAD');
    expect(k.progIdr.size).toBe(0);
    const lines = formatAuditd(k.audit.records);
    expect(lines.some((l) => l.startsWith('type=BPF '))).toBe(false);
    expect(lines.some((l) => l.startsWith('type=BPF_LSM_ACCESS'))).toBe(false);
  });
});

describe('[HC-CHK-1..5] checks, in order', () => {
  it('[HC-CHK-1][HC-ERR-2] the keyring comes first: an unusable keyring → EINVAL before signature_maps is even read (a bad pointer there changes nothing)', () => {
    const { c, k } = env();
    const r = hcLoad(c, { mapsPtr: 0x10n, count: 1, signature: junk, keyringId: 12345 });
    expect(r.res.errno).toBe('EINVAL');
    expect(hcSteps(k, r.res.sys)).toEqual([]);
  });

  it('[HC-CHK-1][KP-Q-1] then the signature copy, v6.18-era: an unreadable signature → ENOMEM before signature_maps is read', () => {
    const { c, k } = env();
    const r = hcLoad(c, { mapsPtr: 0x10n, count: 1, signature: junk, extra: { signature: 0x10n } });
    expect(r.res.errno).toBe('ENOMEM');
    expect(hcSteps(k, r.res.sys)).toEqual([]);
  });

  it('[HC-CHK-2][HC-ERR-3][HC-Q-3] v2: an unreadable signature_maps → EFAULT', () => {
    const { c } = env();
    expect(hcLoad(c, { mapsPtr: 0x10n, count: 1, signature: junk }).res.errno).toBe('EFAULT');
    // A count larger than the buffer: the copy runs off its end.
    expect(hcLoad(c, { maps: [0], count: 2, signature: junk }).res.errno).toBe('EFAULT');
  });

  it('[HC-CHK-2][HC-ERR-4][HC-NOT-4][HC-Q-3] v2: a count whose copy kvmalloc refuses (> INT_MAX bytes) → ENOMEM; no upper bound below that', () => {
    const { c } = env();
    expect(hcLoad(c, { maps: [0], count: 0x2000_0000, signature: junk }).res.errno).toBe('ENOMEM');
    expect(hcLoad(c, { maps: [0], count: 0xffff_ffff, signature: junk }).res.errno).toBe('ENOMEM');
    // 0x1fffffff entries are 0x7ffffffc bytes: allocated, then the copy faults.
    expect(hcLoad(c, { maps: [0], count: 0x1fff_ffff, signature: junk }).res.errno).toBe('EFAULT');
  });

  it('[HC-NOT-4] no upper bound on signature_maps_size: a 1000-link chain over one map verifies', () => {
    const { c } = env();
    const a = arrayMap(c, 8, 1);
    const areas = Array.from({ length: 1000 }, () => arrayArea(8, 1));
    expect(hcLoad(c, { fdArray: [a], maps: new Array(1000).fill(0), signature: sign(chainDigest(RET0, areas)) }).res.ret).toBeGreaterThan(2);
  });

  it('[HC-CHK-3] maps are read last to first: the first failing slot is the last entry\'s', () => {
    const { c, k } = env();
    const a = arrayMap(c, 8, 1);
    const h = hashMap(c);
    // entry 1 (read first) is the hash map → EINVAL, although entry 0 is a closed fd (EBADF).
    const r = hcLoad(c, { fdArray: [99, a, h], maps: [0, 2], signature: junk });
    expect(r.res.errno).toBe('EINVAL');
    const steps = hcSteps(k, r.res.sys).map((e) => (e.kind === 'stage' ? `${e.id} ${e.detail}` : ''));
    expect(steps[1]).toBe('HC-CHK-3 maps[1] = 2 → fd_array[2] = fd ' + h);
  });

  it('[HC-CHK-3] no bounds check against fd_array_cnt: indexes past it, and negative ones, read whatever lies there', () => {
    const { c } = env();
    const a = arrayMap(c, 8, 1);
    const sig = sign(chainDigest(RET0, [arrayArea(8, 1)]));
    // fd_array_cnt 1, index 2: still read (the array has 3 entries in memory).
    expect(hcLoad(c, { fdArray: [a, a, a], maps: [2], signature: sig, extra: { fd_array_cnt: 1 } }).res.ret).toBeGreaterThan(2);
    // A negative index: the fd 4 bytes before fd_array (its own buffer starts with the map's fd).
    const buf = c.buf(new Uint8Array(new Int32Array([a, 7777]).buffer), 'two ints');
    expect(hcLoad(c, { maps: [-1], signature: sig, extra: { fd_array: buf + 4n } }).res.ret).toBeGreaterThan(2);
  });

  it('[HC-CHK-4][HC-ERR-7] a slot with no open file → EBADF; a BTF fd or a program fd → EINVAL (not a map)', () => {
    const { c } = env();
    expect(hcLoad(c, { fdArray: [77], maps: [0], signature: junk }).res.errno).toBe('EBADF');
    const prog = c.progLoad({ progType: SOCKET_FILTER, insns: RET0 }).res.ret;
    expect(hcLoad(c, { fdArray: [prog], maps: [0], signature: junk }).res.errno).toBe('EINVAL');
    expect(hcLoad(c, { fdArray: [0], maps: [0], signature: junk }).res.errno).toBe('EINVAL');
  });

  it('[HC-CHK-4][HC-ERR-8][HC-ERR-7][CLAIM-11] only plain array maps have map_get_hash: hash, per-CPU array, ringbuf → EINVAL; a BTF object fd → EINVAL (not a map)', () => {
    const { c, k } = env();
    const types: [string, number][] = [
      ['hash', hashMap(c)],
      ['percpu array', c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }).ret],
      ['ringbuf', c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }).ret],
    ];
    for (const [what, fd] of types) {
      expect(fd, what).toBeGreaterThan(2);
      const r = hcLoad(c, { fdArray: [fd], maps: [0], signature: junk });
      expect(r.res.errno, what).toBe('EINVAL');
      const failed = stageEvents(k, r.res.sys).find((e) => e.kind === 'stage' && e.errno);
      expect(failed && failed.kind === 'stage' && failed.name, what).toBe('bpf_map_get_hash: no map_get_hash');
    }
    // A BTF object (what a kfunc module's or a map's BTF fd in fd_array is): not a map file (HC-ERR-7's path).
    const b = new BtfBuilder();
    b.int('int', 4, BTF_INT_SIGNED);
    const btfFd = c.btfLoad(b.build()).res.ret;
    expect(btfFd).toBeGreaterThan(2);
    const r = hcLoad(c, { fdArray: [btfFd], maps: [0], signature: junk });
    expect(r.res.errno).toBe('EINVAL');
    const failed = stageEvents(k, r.res.sys).find((e) => e.kind === 'stage' && e.errno);
    expect(failed && failed.kind === 'stage' && failed.detail).toBe(`fd ${btfFd}: not a map`);
  });

  it('[HC-CHK-5][HC-ERR-10] a malformed PKCS#7 → EBADMSG, but only after the chain was built: a chain error comes first', () => {
    const { c } = env();
    const a = arrayMap(c, 8, 1);
    expect(hcLoad(c, { fdArray: [a], maps: [0], signature: junk }).res.errno).toBe('EBADMSG');
    expect(hcLoad(c, { fdArray: [hashMap(c)], maps: [0], signature: junk }).res.errno).toBe('EINVAL');
  });

  it('[HC-CHK-5] a signature by a key that is not in the keyring → ENOKEY (KP\'s verify path)', () => {
    const { c } = env();
    const a = arrayMap(c, 8, 1);
    expect(hcLoad(c, { fdArray: [a], maps: [0], signature: sign(chainDigest(RET0, [arrayArea(8, 1)]), otherCert) }).res.errno).toBe('ENOKEY');
  });

  it('[HC-CHK-6] side effect: bpf_map_get_hash overwrites map->sha, even when the load then fails', () => {
    const { c, k } = env();
    const a = arrayMap(c, 8, 1);
    const map = k.mapIdr.find(1)!;
    expect(Buffer.from(map.sha!).equals(Buffer.alloc(32))).toBe(true);
    expect(c.mapUpdate(a, u32(0), new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0])).ret).toBe(0);
    expect(hcLoad(c, { fdArray: [a], maps: [0], signature: junk }).res.errno).toBe('EBADMSG');
    expect(Buffer.from(map.sha!).equals(Buffer.from(sha256(arrayArea(8, 1, { 0: new Uint8Array([5]) }))))).toBe(true);
  });
});

describe('[HC-NOT-1..5] what the chain does not check', () => {
  it('[HC-NOT-1][HC-NOT-2] an unfrozen, non-exclusive map signs and loads; its hash is computed from the content at load time (no stale map->sha)', () => {
    const { c, k } = env();
    const a = arrayMap(c, 8, 1);
    // KP-META-4's trick: cache a hash, then change the map. The chain hashes the map again.
    expect(c.mapGetInfo(a, { hash: true }).res.ret).toBe(0);
    expect(c.mapUpdate(a, u32(0), new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0])).ret).toBe(0);
    const map = k.mapIdr.find(1)!;
    expect(map.frozen).toBe(false);
    expect(map.exclProgSha).toBeNull();
    expect(hcLoad(c, { fdArray: [a], maps: [0], signature: sign(chainDigest(RET0, [arrayArea(8, 1)])) }).res.errno).toBe('EKEYREJECTED');
    expect(hcLoad(c, { fdArray: [a], maps: [0], signature: sign(chainDigest(RET0, [arrayArea(8, 1, { 0: new Uint8Array([7]) })])) }).res.ret).toBeGreaterThan(2);
  });

  it('[HC-NOT-5][CLAIM-27] signing any or all maps is optional: a program using two maps with one listed loads, and the unlisted one is not covered', () => {
    const { c, k } = env();
    const a = arrayMap(c, 8, 1, 'signed');
    const b = arrayMap(c, 8, 1, 'unsigned');
    expect(c.mapUpdate(b, u32(0), new Uint8Array(8).fill(0xee)).ret).toBe(0);
    const r = hcLoad(c, { insns: USES_MAP_IDX01, fdArray: [a, b], maps: [0], signature: sign(chainDigest(USES_MAP_IDX01, [arrayArea(8, 1)])) });
    expect(r.res.ret).toBeGreaterThan(2);
    const prog = c.proc.fds.get(r.res.ret)!.object as BpfProg;
    expect(prog.usedMaps.map((m) => m.name).sort()).toEqual(['signed', 'unsigned']);
    expect(k.trace.ofSyscall(r.res.sys).some((e) => e.kind === 'stage' && e.detail?.includes("'unsigned'"))).toBe(false);
  });

  it('[HC-NOT-3] the chain resolves fd_array itself, before security_bpf_prog_load and before bpf_check resolves it again: two separate steps in the trace', () => {
    const { c, k } = env();
    const a = arrayMap(c, 8, 1);
    const r = hcLoad(c, { insns: USES_MAP_IDX0, fdArray: [a], maps: [0], signature: sign(chainDigest(USES_MAP_IDX0, [arrayArea(8, 1)])) });
    expect(r.res.ret).toBeGreaterThan(2);
    const ev = k.trace.ofSyscall(r.res.sys);
    const at = (pred: (e: TraceEvent) => boolean) => ev.findIndex(pred);
    const chainRead = at((e) => e.kind === 'stage' && e.id === 'HC-CHK-3' && !e.enter);
    const hook = at((e) => e.kind === 'hook' && e.hook === 'bpf_prog_load');
    const bind = at((e) => e.kind === 'stage' && e.id === 'LOAD-13.resolve' && !!e.enter);
    expect(chainRead).toBeGreaterThan(-1);
    expect(chainRead).toBeLessThan(hook);
    expect(hook).toBeLessThan(bind);
  });

  it('[HC-NOT-3][CLAIM-21] the dup2 window: a second thread dup2()s another map over the fd between the signature stage and bpf_check → the signature verified map A, the program binds map B, and the load succeeds', () => {
    const e = env();
    const a = arrayMap(e.c, 8, 1, 'signed_A');
    const b = arrayMap(e.c, 8, 1, 'unsigned_B');
    expect(e.c.mapUpdate(b, u32(0), new Uint8Array(8).fill(0x66)).ret).toBe(0);
    // The kernel offers every stage boundary of a BPF_PROG_LOAD (Kernel.interleave); the other thread
    // of the process (its own task, same fd table) runs dup2 right after the signature stage.
    const thread = e.k.spawnThread(e.p, 'racer');
    let raced: string | undefined;
    e.k.interleave = (at) => {
      const prev = e.k.profile.progLoadStages[at.index - 1];
      if (raced === undefined && at.cmd === 'BPF_PROG_LOAD' && !at.ctx.isKernel && prev?.role === 'signature') {
        raced = at.stage;
        expect(thread.dup2(b, a).ret).toBe(a);
      }
    };
    const r = hcLoad(e.c, { insns: USES_MAP_IDX0, fdArray: [a], maps: [0], signature: sign(chainDigest(USES_MAP_IDX0, [arrayArea(8, 1)])) });
    expect(raced).toBe('LOAD-10');
    expect(r.res.ret).toBeGreaterThan(2);
    const prog = e.p.fds.get(r.res.ret)!.object as BpfProg;
    expect(prog.usedMaps.map((m) => m.name)).toEqual(['unsigned_B']);
    const hashed = hcSteps(e.k, r.res.sys).find((x) => x.kind === 'stage' && x.id === 'HC-CHK-4');
    expect(hashed && hashed.kind === 'stage' && hashed.detail).toContain("'signed_A'");
    // The same swap before the signature stage: the chain hashes map B and the signature fails.
    const f = env();
    const a2 = arrayMap(f.c, 8, 1, 'signed_A');
    const b2 = arrayMap(f.c, 8, 1, 'unsigned_B');
    expect(f.c.mapUpdate(b2, u32(0), new Uint8Array(8).fill(0x66)).ret).toBe(0);
    const t2 = f.k.spawnThread(f.p, 'racer');
    f.k.interleave = (at) => {
      if (at.stage === 'LOAD-9.hashchain-v2' && !at.ctx.isKernel) expect(t2.dup2(b2, a2).ret).toBe(a2);
    };
    expect(hcLoad(f.c, { insns: USES_MAP_IDX0, fdArray: [a2], maps: [0], signature: sign(chainDigest(USES_MAP_IDX0, [arrayArea(8, 1)])) }).res.errno).toBe('EKEYREJECTED');
  });

  it('[KP-LOAD-2] without a signature pointer the whole function is skipped: signature_maps is not even read', () => {
    const { c, k } = env();
    const r = hcLoad(c, { mapsPtr: 0x10n, count: 0x0404_8957 });
    expect(r.res.ret).toBeGreaterThan(2);
    expect(hcSteps(k, r.res.sys)).toEqual([]);
  });
});

describe('[HC-LSM-2] what an LSM sees', () => {
  it('no verdict on the program: a bpf_prog_load hook can read attr->signature and attr->signature_maps_size, nothing more', () => {
    const seen: unknown[] = [];
    const spy = policyModule({ bpf_prog_load: (a) => (seen.push({ sig: a.attr.signature !== 0n, k: a.attr.signature_maps_size, sec: [...a.prog.security.keys()] }), 0) }, 'spy');
    const { c } = env('hashchain-v2', { lsm: [spy] });
    const a = arrayMap(c, 8, 1);
    expect(hcLoad(c, { fdArray: [a], maps: [0], signature: sign(chainDigest(RET0, [arrayArea(8, 1)])) }).res.ret).toBeGreaterThan(2);
    expect(hcLoad(c, { fdArray: [a], maps: [], signature: sign(RET0) }).res.ret).toBeGreaterThan(2);
    expect(seen).toEqual([
      { sig: true, k: 1, sec: [] },
      { sig: true, k: 0, sec: [] },
    ]);
  });
});

describe('[HC-Q-1][HC-ERR-5] an unreadable fd_array slot: a positive return that is not an fd', () => {
  it('fd_array NULL: copy_from_user returns 4 (bytes not copied) and BPF_PROG_LOAD returns 4, flagged nonFd; no fd 4 exists, no id', () => {
    const { c, k } = env();
    const r = hcLoad(c, { maps: [0], signature: junk });
    expect(r.res.ret).toBe(4);
    expect(r.res.errno).toBeNull();
    expect(r.res.nonFd).toMatch(/^LOAD-9\.hashchain-v2 bpf_prog_verify_signature returned 4$/);
    expect(c.proc.fds.get(4)).toBeUndefined();
    expect(k.progIdr.size).toBe(0);
    expect(k.trace.hooks('bpf_prog_load')).toHaveLength(0);
    const slot = hcSteps(k, r.res.sys).find((e) => e.kind === 'stage' && e.id === 'HC-CHK-3');
    expect(slot).toMatchObject({ ret: 4 });
    expect(slot && slot.kind === 'stage' && slot.errno).toBeUndefined();
    expect(formatAuditd(k.audit.records).filter((l) => / a0=5 /.test(l))).toEqual([expect.stringContaining(' success=yes exit=4 ')]);
  });

  it('a slot half inside the caller\'s buffer: 2 bytes not copied → 2; an index far outside → 4', () => {
    const { c } = env();
    const six = c.buf(new Uint8Array(6), 'six bytes');
    expect(hcLoad(c, { maps: [1], signature: junk, extra: { fd_array: six } }).res).toMatchObject({ ret: 2, errno: null });
    expect(hcLoad(c, { maps: [0x100000], signature: junk, extra: { fd_array: six } }).res).toMatchObject({ ret: 4, errno: null });
  });

  it('userspace takes it for an fd: a later close(4) closes whatever fd 4 is', () => {
    const { c } = env();
    const mapA = arrayMap(c); // 3
    const mapB = arrayMap(c); // 4
    expect([mapA, mapB]).toEqual([3, 4]);
    const r = hcLoad(c, { maps: [0], signature: junk });
    expect(r.res.ret).toBe(4);
    expect(c.proc.close(r.res.ret).ret).toBe(0);
    expect(c.proc.fds.get(4)).toBeUndefined();
  });

  it('[HC-ERR-6][SYS-6] the same slot through a kernel pointer (a load made by a BPF program) → -EFAULT', () => {
    const { k, p } = env();
    const kbuf = (bytes: Uint8Array, name: string) => k.kmem.map({ name, kind: 'kernel', bytes }).base;
    const fields = {
      prog_type: SOCKET_FILTER,
      insn_cnt: 2,
      insns: kbuf(RET0.slice(), 'insns'),
      license: kbuf(new Uint8Array(Buffer.from('GPL\0')), 'license'),
      fd_array: 0xffff_8881_7000_0000n,
      signature: kbuf(junk.slice(), 'sig'),
      signature_size: junk.length,
      keyring_id: -3,
      signature_maps: kbuf(new Uint8Array(4), 'maps'),
      signature_maps_size: 1,
    };
    const attr = kbuf(encode(PROG_LOAD, fields, 180), 'attr');
    let ret = 0;
    k.syscall(p, 'bpf', 321, [10n], {}, (ctx) => (ret = k.kernBpf(ctx, BpfCmd.BPF_PROG_LOAD, attr, 180).ret));
    expect(ret).toBe(-Errno.EFAULT);
  });
});

describe('[HC-Q-2][HC-ERR-3][HC-ERR-4][CLAIM-24] hashchain-v1: `if (!maps)` and the syzbot oops', () => {
  it('the syzbot case: a bogus signature_maps pointer with signature_maps_size 0x04048957 → a kernel oops (the task is killed), never an errno; v2 → EFAULT', () => {
    const v1 = env('hashchain-v1');
    let killed: TaskKilled | undefined;
    try {
      hcLoad(v1.c, { mapsPtr: 0x10n, count: 0x0404_8957, signature: junk });
    } catch (e) {
      if (e instanceof TaskKilled) killed = e;
      else throw e;
    }
    expect(killed).toBeDefined();
    expect(killed!.oops).toMatchObject({ text: 'general protection fault in bpf_prog_verify_signature', where: 'bpf_prog_verify_signature', rule: 'HC-Q-2' });
    // R14 = -14 + 4·n with n = signature_maps_size - 1 = 0x04048956 (the syzbot register dump).
    expect(killed!.oops.detail).toContain(`at 0x${BigInt.asUintN(64, -14n + 4n * 0x0404_8956n).toString(16)}`);
    expect(killed!.oops.detail).toContain('ERR_PTR(-EFAULT)');
    expect(v1.k.trace.ofSyscall(killed!.sys).some((e) => e.kind === 'exit')).toBe(false);
    expect(v1.p.killed).toBe(killed!.oops);
    expect(formatAuditd(v1.k.audit.records).filter((l) => / a0=5 /.test(l))).toEqual([expect.not.stringMatching(/success=|exit=/)]);

    const v2 = env('hashchain-v2');
    expect(hcLoad(v2.c, { mapsPtr: 0x10n, count: 0x0404_8957, signature: junk }).res.errno).toBe('EFAULT');
  });

  it('[HC-ERR-4] a count kvmalloc refuses: ERR_PTR(-ENOMEM) read as the array → oops (v2: ENOMEM)', () => {
    const v1 = env('hashchain-v1');
    expect(() => hcLoad(v1.c, { maps: [0], count: 0x4000_0000, signature: junk })).toThrow(TaskKilled);
    expect(v1.k.oopses[0]!.report.detail).toContain('ERR_PTR(-ENOMEM)');
  });

  it('everything else is v2: the keyring and the signature copy come first (no oops), a good chain verifies, a bad one is EKEYREJECTED', () => {
    const { c, k } = env('hashchain-v1');
    expect(hcLoad(c, { mapsPtr: 0x10n, count: 1, signature: junk, keyringId: 12345 }).res.errno).toBe('EINVAL');
    expect(hcLoad(c, { mapsPtr: 0x10n, count: 1, signature: junk, extra: { signature: 0x10n } }).res.errno).toBe('ENOMEM');
    const a = arrayMap(c, 8, 1);
    expect(hcLoad(c, { fdArray: [a], maps: [0], signature: sign(chainDigest(RET0, [arrayArea(8, 1)])) }).res.ret).toBeGreaterThan(2);
    expect(hcLoad(c, { fdArray: [a], maps: [0], signature: sign(RET0) }).res.errno).toBe('EKEYREJECTED');
    expect(hcLoad(c, { maps: [0], signature: junk }).res.ret).toBe(4);
    expect(k.oopses).toEqual([]);
  });
});

// ---- CLAIM-1a: signature_maps_size = 0 is v6.18, errno for errno and trace for trace ------------

interface KpCase {
  readonly id: string;
  readonly what: string;
  readonly errno: string | null;
  readonly config?: Record<string, boolean>;
  /** Run against a fresh env; returns nothing, the load is the last PROG_LOAD in the trace. */
  readonly run: (e: ReturnType<typeof env>, extra: Record<string, bigint | number>) => void;
}

const other = encodeInsns([insn(0xb7, 0, 0, 0, 1), insn(0x95)]);
const load = (e: ReturnType<typeof env>, extra: Record<string, bigint | number>, o: { signature?: Uint8Array; keyringId?: number; more?: Record<string, bigint | number> } = {}) =>
  e.c.progLoad({ progType: SOCKET_FILTER, insns: RET0, ...(o.signature ? { signature: o.signature } : {}), keyringId: o.keyringId ?? -3, extra: { ...extra, ...(o.more ?? {}) } });

const KP_CASES: readonly KpCase[] = [
  { id: 'KP-ERR-1', what: 'signature 0 (size and keyring ignored)', errno: null, run: (e, x) => load(e, x, { keyringId: 12345, more: { signature_size: 100 } }) },
  { id: 'KP-ERR-2', what: 'a keyring id that resolves to nothing', errno: 'EINVAL', run: (e, x) => load(e, x, { signature: junk, keyringId: 12345 }) },
  { id: 'KP-ERR-3', what: 'an unreadable signature pointer (KP-Q-1)', errno: 'ENOMEM', run: (e, x) => load(e, x, { signature: junk, more: { signature: 0x10n } }) },
  { id: 'KP-ERR-4', what: 'CONFIG_SYSTEM_DATA_VERIFICATION=n', errno: 'EOPNOTSUPP', config: { CONFIG_SYSTEM_DATA_VERIFICATION: false }, run: (e, x) => load(e, x, { signature: sign(RET0) }) },
  {
    id: 'KP-ERR-5',
    what: 'a revoked session keyring',
    errno: 'EKEYREVOKED',
    run: (e, x) => {
      expect(e.p.keyctl(KEYCTL.REVOKE, -3).ret).toBe(0);
      load(e, x, { signature: sign(RET0) });
    },
  },
  { id: 'KP-ERR-6', what: 'junk, not PKCS#7', errno: 'EBADMSG', run: (e, x) => load(e, x, { signature: junk }) },
  { id: 'KP-ERR-6', what: '8193 junk bytes (KP-Q-2: no size bound)', errno: 'EBADMSG', run: (e, x) => load(e, x, { signature: new Uint8Array(8193).fill(0x30) }) },
  { id: 'KP-ERR-7', what: 'embedded (non-detached) content', errno: 'EBADMSG', run: (e, x) => load(e, x, { signature: buildPkcs7({ data: RET0, eContent: T.octet(RET0), signers: [{ key: cert.key, cert }] }) }) },
  { id: 'KP-ERR-8', what: 'content type digestedData', errno: 'EINVAL', run: (e, x) => load(e, x, { signature: buildPkcs7({ data: RET0, eContentType: O.digestedData, signers: [{ key: cert.key, cert }] }) }) },
  {
    id: 'KP-ERR-8',
    what: 'content type msIndirectData (usage gate)',
    errno: 'EKEYREJECTED',
    run: (e, x) =>
      load(e, x, {
        signature: buildPkcs7({ data: RET0, eContentType: O.msIndirectData, signers: [{ key: cert.key, cert, signedAttrs: [pattr.contentType(O.msIndirectData), pattr.messageDigest(sha256(RET0))] }] }),
      }),
  },
  { id: 'KP-ERR-9', what: 'the signer is not in the selected (builtin) keyring', errno: 'ENOKEY', run: (e, x) => load(e, x, { signature: sign(RET0), keyringId: 0 }) },
  { id: 'KP-ERR-10', what: 'a signature over other bytes', errno: 'EKEYREJECTED', run: (e, x) => load(e, x, { signature: sign(other) }) },
  { id: 'KP-ERR-11', what: 'a good signature over the insns', errno: null, run: (e, x) => load(e, x, { signature: sign(RET0) }) },
];

/** The PROG_LOAD's events, with the signature stage's id written as v6.18's and the attr left out. */
function loadTrace(k: Kernel, stageId: string) {
  const sys = [...k.trace.syscalls()].reverse().find((e) => e.cmd === 'BPF_PROG_LOAD')!.sys;
  return k.trace.ofSyscall(sys).map((e) => {
    const { seq: _seq, ...rest } = e as TraceEvent & { seq: number };
    if (e.kind === 'syscall') return { kind: 'syscall', cmd: e.cmd };
    // security_bpf sees the size the caller passed (168 on v6.18, 180 with the hash-chain fields).
    if (e.kind === 'hook' && e.hook === 'bpf') return { ...rest, args: { ...e.args, size: 'caller' } };
    if (e.kind === 'stage' && e.id === stageId) return { ...rest, id: 'LOAD-9' };
    return rest;
  });
}

describe('[CLAIM-1a][HC-SIG-5][HC-ERR-1] signature_maps_size = 0: every KP-ERR case exactly as v6.18', () => {
  for (const cse of KP_CASES) {
    it(`[${cse.id}] ${cse.what}: same result, same verdict, same trace as v6.18`, () => {
      const base = env('v6.18', cse.config ? { config: cse.config } : {});
      cse.run(base, {});
      // signature_maps_size 0 with a junk signature_maps pointer: the pointer is never read.
      const hc = env('hashchain-v2', cse.config ? { config: cse.config } : {});
      cse.run(hc, { signature_maps: 0x10n, signature_maps_size: 0 });
      const a = loadTrace(base.k, 'LOAD-9');
      const b = loadTrace(hc.k, STAGE);
      const exitA = a.find((e) => e.kind === 'exit') as { errno: string | null; ret: number };
      expect(exitA.errno).toBe(cse.errno);
      expect(b).toEqual(a);
    });
  }

  it('the hash-chain profile without the new fields at all (a 168-byte attr, what libbpf 1.7 passes) is v6.18 too', () => {
    const base = env('v6.18');
    const hc = env('hashchain-v2');
    for (const e of [base, hc]) e.c.progLoad({ progType: SOCKET_FILTER, insns: RET0, signature: sign(other), keyringId: -3, attrSize: 168 });
    expect(loadTrace(hc.k, STAGE)).toEqual(loadTrace(base.k, 'LOAD-9'));
  });
});

describe('hashchain-v2 is v6.18 everywhere else', () => {
  it('[PROF-1] same config, same base fixes, same map and key behaviour; only the UAPI feature and the signature stage differ', () => {
    const v618 = getProfile('v6.18')!;
    const hc = getProfile('hashchain-v2')!;
    expect(hc.scheme).toBe('hashchain');
    expect(hc.progSignature).toEqual(v618.progSignature);
    expect(hc.mapHash).toEqual(v618.mapHash);
    expect(hc.config).toEqual(v618.config);
    expect([...hc.uapi].sort()).toEqual(['hashchain-v2', 'signing-6.18']);
    const ids = (p: typeof hc) => p.progLoadStages.map((s) => s.id);
    expect(ids(hc)).toEqual(ids(v618).map((x) => (x === 'LOAD-9' ? STAGE : x)));
    expect(ids(getProfile('hashchain-v1')!)).toEqual(ids(v618).map((x) => (x === 'LOAD-9' ? 'LOAD-9.hashchain-v1' : x)));
  });

  it('an unsigned program with a map loads as on v6.18 (the chain only matters with a signature)', () => {
    const k = new Kernel({ profile: 'hashchain-v2' });
    const c = new BpfClient(k.spawn());
    const a = arrayMap(c, 8, 1);
    const r = c.progLoad({ progType: SOCKET_FILTER, insns: USES_MAP_IDX0, fdArray: [a] });
    expect(r.res.ret).toBeGreaterThan(2);
  });
});
