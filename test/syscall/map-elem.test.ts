import { describe, expect, it } from 'vitest';
import { BpfCmd, MapFlag, MapType } from '../../src/syscall/uapi/consts.js';
import { MAP_ELEM } from '../../src/syscall/uapi/attr-layouts.js';
import { encode } from '../../src/syscall/uapi/layout.js';
import { setup, u32, arrayMap, hashMap } from '../support/kernel.js';

const v8 = (b: number) => new Uint8Array(8).fill(b);
type P = ReturnType<typeof setup>['p'];
const elem = (p: P, cmd: number, f: Record<string, number | bigint>) => p.bpf(cmd, p.alloc(encode(MAP_ELEM, f, 32)), 32);

describe('array map elements [ELEM-3] (OBSERVED on 6.18.44)', () => {
  it('lookup past the end → ENOENT; update past the end → E2BIG; flags checked before the index', () => {
    const { p, c } = setup();
    const fd = arrayMap(c);
    expect(c.mapLookup(fd, u32(5), 8).res.errno).toBe('ENOENT');
    expect(c.mapUpdate(fd, u32(5), v8(1)).errno).toBe('E2BIG');
    expect(c.mapUpdate(fd, u32(5), v8(1), 99n).errno).toBe('EINVAL');
    expect(c.mapUpdate(fd, u32(5), v8(1), 1n).errno).toBe('E2BIG');
    void p;
  });
  it('BPF_NOEXIST → EEXIST, BPF_EXIST → 0, flags 3 → EINVAL, BPF_F_LOCK without a spin lock → EINVAL', () => {
    const { c } = setup();
    const fd = arrayMap(c);
    expect(c.mapUpdate(fd, u32(0), v8(1), 1n).errno).toBe('EEXIST');
    expect(c.mapUpdate(fd, u32(0), v8(1), 2n).ret).toBe(0);
    expect(c.mapUpdate(fd, u32(0), v8(1), 3n).errno).toBe('EINVAL');
    expect(c.mapUpdate(fd, u32(0), v8(1), 4n).errno).toBe('EINVAL');
  });
  it('delete → EINVAL; lookup returns what update wrote', () => {
    const { c } = setup();
    const fd = arrayMap(c);
    expect(c.mapUpdate(fd, u32(1), v8(0x5a)).ret).toBe(0);
    const l = c.mapLookup(fd, u32(1), 8);
    expect(l.res.ret).toBe(0);
    expect(Buffer.from(l.value!).toString('hex')).toBe('5a'.repeat(8));
    expect(c.mapDelete(fd, u32(0)).errno).toBe('EINVAL');
  });
  it('lookup flags other than BPF_F_LOCK → EINVAL, checked before the fd', () => {
    const { p } = setup();
    expect(elem(p, BpfCmd.BPF_MAP_LOOKUP_ELEM, { map_fd: 99, key: p.alloc(u32(0)), value: p.alloc(8), flags: 1n }).errno).toBe('EINVAL');
  });
  it('faults: key or value unreadable → EFAULT; NULL key with key_size 4 → EFAULT; value out-buffer unwritable → EFAULT', () => {
    const { p, c } = setup();
    const fd = arrayMap(c);
    expect(elem(p, BpfCmd.BPF_MAP_UPDATE_ELEM, { map_fd: fd, key: 0x10n, value: p.alloc(v8(1)) }).errno).toBe('EFAULT');
    expect(elem(p, BpfCmd.BPF_MAP_UPDATE_ELEM, { map_fd: fd, key: p.alloc(u32(0)), value: 0x10n }).errno).toBe('EFAULT');
    expect(elem(p, BpfCmd.BPF_MAP_LOOKUP_ELEM, { map_fd: fd, key: 0n, value: p.alloc(8) }).errno).toBe('EFAULT');
    expect(elem(p, BpfCmd.BPF_MAP_LOOKUP_ELEM, { map_fd: fd, key: p.alloc(u32(0)), value: 0x10n }).errno).toBe('EFAULT');
  });
  it('get_next_key: NULL → 0, 0 → 1, last → ENOENT, past the end → 0', () => {
    const { p, c } = setup();
    const fd = arrayMap(c);
    const next = (key: bigint) => {
      const out = p.alloc(4);
      const r = p.bpf(BpfCmd.BPF_MAP_GET_NEXT_KEY, p.alloc(encode(MAP_ELEM, { map_fd: fd, key, value: out }, 24)), 24);
      return r.ret < 0 ? r.errno : new DataView(p.read(out, 4)!.buffer).getUint32(0, true);
    };
    expect(next(0n)).toBe(0);
    expect(next(p.alloc(u32(0)))).toBe(1);
    expect(next(p.alloc(u32(1)))).toBe('ENOENT');
    expect(next(p.alloc(u32(7)))).toBe(0);
  });
  it('bad fds: not open → EBADF, a non-map fd (stdin) → EINVAL', () => {
    const { c } = setup();
    expect(c.mapLookup(99, u32(0), 8).res.errno).toBe('EBADF');
    expect(c.mapLookup(0, u32(0), 8).res.errno).toBe('EINVAL');
  });
  it('[FRZ-3] a BPF_F_RDONLY map fd cannot write, a BPF_F_WRONLY one cannot read', () => {
    const { c } = setup();
    const ro = arrayMap(c, 8, 2, 'ro', MapFlag.BPF_F_RDONLY);
    const wo = arrayMap(c, 8, 2, 'wo', MapFlag.BPF_F_WRONLY);
    expect(c.mapUpdate(ro, u32(0), v8(1)).errno).toBe('EPERM');
    expect(c.mapLookup(ro, u32(0), 8).res.ret).toBe(0);
    expect(c.mapLookup(wo, u32(0), 8).res.errno).toBe('EPERM');
    expect(c.mapUpdate(wo, u32(0), v8(1)).ret).toBe(0);
  });
  it('PERCPU_ARRAY: the syscall value holds round_up(value_size, 8) × num_possible_cpus bytes', () => {
    const { c } = setup('v6.18', { config: { nrCpus: 2 } });
    const fd = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }).ret;
    const both = new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0]);
    expect(c.mapUpdate(fd, u32(0), both).ret).toBe(0);
    expect(c.mapLookup(fd, u32(0), 16).value).toEqual(both);
    // a buffer of one CPU's value is too short: the copy runs into the guard page
    expect(c.mapLookup(fd, u32(0), 8).res.errno).toBe('EFAULT');
  });
});

describe('hash map elements [ELEM-3] (OBSERVED on 6.18.44)', () => {
  it('missing key: lookup/delete → ENOENT; BPF_EXIST → ENOENT; BPF_NOEXIST on an existing key → EEXIST', () => {
    const { c } = setup();
    const fd = hashMap(c);
    expect(c.mapLookup(fd, u32(1), 8).res.errno).toBe('ENOENT');
    expect(c.mapDelete(fd, u32(1)).errno).toBe('ENOENT');
    expect(c.mapUpdate(fd, u32(1), v8(1), 2n).errno).toBe('ENOENT');
    expect(c.mapUpdate(fd, u32(1), v8(1)).ret).toBe(0);
    expect(c.mapUpdate(fd, u32(1), v8(1), 1n).errno).toBe('EEXIST');
  });
  it('a full map refuses a new key with E2BIG but replaces an existing one', () => {
    const { c } = setup();
    const fd = hashMap(c, 8, 2);
    c.mapUpdate(fd, u32(1), v8(1));
    c.mapUpdate(fd, u32(2), v8(2));
    expect(c.mapUpdate(fd, u32(3), v8(3)).errno).toBe('E2BIG');
    expect(c.mapUpdate(fd, u32(3), v8(3), 1n).errno).toBe('E2BIG');
    expect(c.mapUpdate(fd, u32(2), v8(9)).ret).toBe(0);
    expect(c.mapLookup(fd, u32(2), 8).value).toEqual(v8(9));
    expect(c.mapDelete(fd, u32(1)).ret).toBe(0);
  });
  it('[EXCL-5] userspace lookup and update on an exclusive map are not restricted (OBS-EXCL-3)', () => {
    const { c } = setup();
    const fd = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 2, exclProgHash: new Uint8Array(32).fill(1) }).ret;
    expect(c.mapUpdate(fd, u32(1), v8(7)).ret).toBe(0);
    expect(c.mapLookup(fd, u32(1), 8).value).toEqual(v8(7));
  });
  it('lookup-and-delete returns the value and removes it; ARRAY maps do not support it (ENOTSUPP)', () => {
    const { p, c } = setup();
    const h = hashMap(c);
    c.mapUpdate(h, u32(4), v8(4));
    const out = p.alloc(8);
    expect(elem(p, BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, { map_fd: h, key: p.alloc(u32(4)), value: out }).ret).toBe(0);
    expect(p.read(out, 8)).toEqual(v8(4));
    expect(c.mapLookup(h, u32(4), 8).res.errno).toBe('ENOENT');
    const a = arrayMap(c);
    expect(elem(p, BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, { map_fd: a, key: p.alloc(u32(0)), value: p.alloc(8) }).errno).toBe('ENOTSUPP');
  });
  it('RINGBUF has no element operations: a NULL key gives ENOTSUPP, a non-NULL key EINVAL (key_size 0)', () => {
    const { p, c } = setup();
    const rb = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }).ret;
    expect(elem(p, BpfCmd.BPF_MAP_LOOKUP_ELEM, { map_fd: rb, key: 0n, value: p.alloc(8) }).errno).toBe('ENOTSUPP');
    expect(elem(p, BpfCmd.BPF_MAP_UPDATE_ELEM, { map_fd: rb, key: p.alloc(u32(0)), value: p.alloc(8) }).errno).toBe('EINVAL');
  });
});
