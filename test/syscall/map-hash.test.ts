import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BpfCmd, MapType } from '../../src/syscall/uapi/consts.js';
import { BPF_MAP_INFO, OBJ_GET_INFO_BY_FD } from '../../src/syscall/uapi/attr-layouts.js';
import { encode } from '../../src/syscall/uapi/layout.js';
import type { BpfMap } from '../../src/syscall/objects/map.js';
import { setup, u32, arrayMap, hashMap } from '../support/kernel.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
type Env = ReturnType<typeof setup>;

/** GET_INFO with a struct laid out by hand: returns the errno/ret, the hash buffer and info_len written back. */
function getInfo(e: Env, fd: number, fields: Record<string, number | bigint>, infoLen = 104, bufLen = 104) {
  const { p } = e;
  const info = new Uint8Array(bufLen);
  info.set(encode(BPF_MAP_INFO, fields, 104).subarray(0, Math.min(bufLen, 104)));
  const infoAddr = p.alloc(info);
  const attrAddr = p.alloc(encode(OBJ_GET_INFO_BY_FD, { 'info.bpf_fd': fd, 'info.info_len': infoLen, 'info.info': infoAddr }, 16));
  const r = p.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attrAddr, 16);
  const lenOut = new DataView(p.read(attrAddr, 16)!.buffer).getUint32(4, true);
  return { r, lenOut, info: p.read(infoAddr, bufLen)! };
}

describe('map hash through BPF_OBJ_GET_INFO_BY_FD', () => {
  it('[MHASH-7][OBS-MH-2] SHA-256 over round_up(value_size, 8) × max_entries bytes, padding included', () => {
    const e = setup('v6.18');
    const fd = arrayMap(e.c, 5, 3);
    const vals = ['a0a1a2a3a4', 'b0b1b2b3b4', 'c0c1c2c3c4'].map((h) => new Uint8Array(Buffer.from(h, 'hex')));
    vals.forEach((v, i) => e.c.mapUpdate(fd, u32(i), v));
    e.c.mapFreeze(fd);
    const gi = e.c.mapGetInfo(fd, { hash: true });
    expect(gi.res.ret).toBe(0);
    expect(Buffer.from(gi.hash!).toString('hex')).toBe('f578ddb378e3257c8b7da9bb9c4eebd8ce8d4d3ac853ae7fa2cfc86ebce44fe8');
    const padded = new Uint8Array(24);
    vals.forEach((v, i) => padded.set(v, i * 8));
    expect(Buffer.from(gi.hash!).toString('hex')).toBe(sha(padded));
  });
  it('[MHASH-4] check order: no map_get_hash (HASH, PERCPU_ARRAY) → EINVAL before hash_size', () => {
    const e = setup('v6.18-stable');
    const h = hashMap(e.c);
    const pc = e.c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 }).ret;
    const buf = e.p.alloc(32);
    expect(getInfo(e, h, { hash: buf, hash_size: 16 }).r.errno).toBe('EINVAL');
    expect(getInfo(e, pc, { hash: buf, hash_size: 32 }).r.errno).toBe('EINVAL');
  });
  it('[MHASH-4][MHASH-5] hash_size must be 32 with a hash pointer, and 0 without one', () => {
    const e = setup('v6.18');
    const fd = arrayMap(e.c);
    const buf = e.p.alloc(32);
    expect(getInfo(e, fd, { hash: buf, hash_size: 16 }).r.errno).toBe('EINVAL');
    expect(getInfo(e, fd, { hash: buf, hash_size: 64 }).r.errno).toBe('EINVAL');
    expect(getInfo(e, fd, { hash: buf }).r.errno).toBe('EINVAL');
    expect(getInfo(e, fd, { hash_size: 32 }).r.errno).toBe('EINVAL');
    expect(getInfo(e, fd, {}).r.ret).toBe(0);
  });
  it('[STB-2][KP-Q-4] an unfrozen map: v6.18 returns the hash, v6.18-stable and v6.18.44 return EPERM', () => {
    for (const [profile, want] of [['v6.18', 0], ['v6.18-stable', -1], ['v6.18.44', -1]] as const) {
      const e = setup(profile);
      const fd = arrayMap(e.c);
      const r = e.c.mapGetInfo(fd, { hash: true }).res;
      if (want === 0) expect(r.ret, profile).toBe(0);
      else expect(r.errno, profile).toBe('EPERM');
    }
  });
  it('[OBS-MH-1] frozen check comes before the copy-out: a bogus hash pointer gives EPERM unfrozen, EFAULT frozen', () => {
    const e = setup('v6.18.44');
    const fd = arrayMap(e.c);
    expect(getInfo(e, fd, { hash: 0x10n, hash_size: 32 }).r.errno).toBe('EPERM');
    e.c.mapFreeze(fd);
    expect(getInfo(e, fd, { hash: 0x10n, hash_size: 32 }).r.errno).toBe('EFAULT');
  });
  it('[MHASH-7][MHASH-8] map->sha starts zeroed and is memoized: recomputed and overwritten on every call', () => {
    const e = setup('v6.18');
    const fd = arrayMap(e.c, 8, 1);
    const map = e.p.fds.get(fd)!.object as BpfMap;
    expect(Buffer.from(map.sha!).toString('hex')).toBe('00'.repeat(32));
    e.c.mapUpdate(fd, u32(0), new Uint8Array(8).fill(1));
    const first = Buffer.from(e.c.mapGetInfo(fd, { hash: true }).hash!).toString('hex');
    expect(Buffer.from(map.sha!).toString('hex')).toBe(first);
    // KP-META-4: change the map, the memoized sha stays stale until the next request
    e.c.mapUpdate(fd, u32(0), new Uint8Array(8).fill(2));
    expect(Buffer.from(map.sha!).toString('hex')).toBe(first);
    const second = Buffer.from(e.c.mapGetInfo(fd, { hash: true }).hash!).toString('hex');
    expect(second).not.toBe(first);
    expect(Buffer.from(map.sha!).toString('hex')).toBe(second);
  });
  it('[MHASH-8] struct bpf_map: sha[32] at offset 0 and ops at 32 on v6.18; ops at 0 on v6.17 (V617-4)', () => {
    const a = setup('v6.18');
    const m18 = a.p.fds.get(arrayMap(a.c))!.object as BpfMap;
    expect(m18.opsOffset).toBe(32);
    expect(m18.kobj.view.getBigUint64(32, true) >> 48n).toBe(0xffffn);
    const b = setup('v6.17');
    const m17 = b.p.fds.get(arrayMap(b.c))!.object as BpfMap;
    expect(m17.sha).toBeNull();
    expect(m17.kobj.view.getBigUint64(0, true) >> 48n).toBe(0xffffn);
    expect(m18.kaddr >> 63n).toBe(1n); // kernel object addresses have the top bit set (LSK-SIGM-6)
  });
  it('[MHASH-1] info_len above sizeof with a non-zero tail gives E2BIG; the zero tail is fine', () => {
    const e = setup('v6.18');
    const fd = arrayMap(e.c);
    const ok = getInfo(e, fd, {}, 112, 112);
    expect(ok.r.ret).toBe(0);
    expect(ok.lenOut).toBe(104);
    const e2 = setup('v6.18');
    const fd2 = arrayMap(e2.c);
    const info = new Uint8Array(112);
    info[108] = 1;
    const infoAddr = e2.p.alloc(info);
    const r = e2.p.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, e2.p.alloc(encode(OBJ_GET_INFO_BY_FD, { 'info.bpf_fd': fd2, 'info.info_len': 112, 'info.info': infoAddr }, 16)), 16);
    expect(r.errno).toBe('E2BIG');
  });
  it('[MHASH-1] padding after hash_size: ignored on v6.18 as released, E2BIG on v6.18.44 (OBSERVED)', () => {
    for (const [profile, want] of [['v6.18', 'ok'], ['v6.18.44', 'E2BIG'], ['v6.18-stable', 'E2BIG']] as const) {
      const e = setup(profile);
      const fd = arrayMap(e.c);
      const info = new Uint8Array(104);
      info[100] = 1;
      const addr = e.p.alloc(info);
      const r = e.p.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, e.p.alloc(encode(OBJ_GET_INFO_BY_FD, { 'info.bpf_fd': fd, 'info.info_len': 104, 'info.info': addr }, 16)), 16);
      expect(r.ret < 0 ? r.errno : 'ok', profile).toBe(want);
    }
  });
  it('[MHASH-2][MHASH-6] info_len 96 cuts hash_size off: the hash pointer alone gives EINVAL; info_len is written back', () => {
    const e = setup('v6.18.44');
    const fd = arrayMap(e.c);
    e.c.mapFreeze(fd);
    expect(getInfo(e, fd, { hash: e.p.alloc(32), hash_size: 32 }, 96).r.errno).toBe('EINVAL');
    const small = getInfo(e, fd, {}, 4);
    expect(small.r.ret).toBe(0);
    expect(small.lenOut).toBe(4);
    expect(new DataView(small.info.buffer).getUint32(0, true)).toBe(MapType.BPF_MAP_TYPE_ARRAY);
    expect(small.info[4]).toBe(0); // only info_len bytes were copied back
  });
  it('[V617-3] v6.17: 88-byte bpf_map_info, so info_len 104 with a hash pointer gives E2BIG; without hash fields it succeeds', () => {
    const e = setup('v6.17');
    const fd = arrayMap(e.c);
    const withHash = getInfo(e, fd, { hash: e.p.alloc(32), hash_size: 32 });
    expect(withHash.r.errno).toBe('E2BIG');
    const plain = getInfo(e, fd, {});
    expect(plain.r.ret).toBe(0);
    expect(plain.lenOut).toBe(88);
  });
  it('[MHASH-1] a bad fd gives EBADFD (OBSERVED), a non-BPF fd EINVAL, an unreadable info buffer EFAULT', () => {
    const e = setup('v6.18');
    expect(getInfo(e, 77, {}).r.errno).toBe('EBADFD');
    expect(getInfo(e, 0, {}).r.errno).toBe('EINVAL');
    const fd = arrayMap(e.c);
    const r = e.p.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, e.p.alloc(encode(OBJ_GET_INFO_BY_FD, { 'info.bpf_fd': fd, 'info.info_len': 104, 'info.info': 0x10n }, 16)), 16);
    expect(r.errno).toBe('EFAULT');
  });
  it('[MHASH-3] the usual fields are filled in: type, id, sizes, flags, name', () => {
    const e = setup('v6.18');
    const fd = arrayMap(e.c, 24, 3, 'fx_hash_arr');
    const gi = e.c.mapGetInfo(fd);
    expect(gi.info).toMatchObject({ type: 2, id: 1, key_size: 4, value_size: 24, max_entries: 3, map_flags: 0, name: 'fx_hash_arr' });
  });
});
