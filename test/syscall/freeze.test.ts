import { describe, expect, it } from 'vitest';
import { BpfCmd, MapFlag } from '../../src/syscall/uapi/consts.js';
import { setup, u32, arrayMap, hashMap } from '../support/kernel.js';
import type { BpfMap } from '../../src/syscall/objects/map.js';

const v8 = (b: number) => new Uint8Array(8).fill(b);

describe('BPF_MAP_FREEZE', () => {
  it('[FRZ-1] CHECK_ATTR: a non-zero byte after map_fd gives EINVAL; size 8 with zeros is fine', () => {
    const { p, c } = setup();
    const fd = arrayMap(c);
    const a = new Uint8Array(8);
    a.set(u32(fd));
    expect(p.bpf(BpfCmd.BPF_MAP_FREEZE, p.alloc(a.slice()), 8).ret).toBe(0);
    const fd2 = arrayMap(c);
    const b = new Uint8Array(8);
    b.set(u32(fd2));
    b[5] = 1;
    expect(p.bpf(BpfCmd.BPF_MAP_FREEZE, p.alloc(b), 8).errno).toBe('EINVAL');
  });
  it('[FRZ-1] a closed fd gives EBADF, a non-map fd EINVAL', () => {
    const { c } = setup();
    expect(c.mapFreeze(99).errno).toBe('EBADF');
    expect(c.mapFreeze(1).errno).toBe('EINVAL');
  });
  it('[FRZ-3] a second freeze gives EPERM (the frozen map lost FMODE_CAN_WRITE); so does a read-only fd', () => {
    const { c } = setup();
    const fd = arrayMap(c);
    expect(c.mapFreeze(fd).ret).toBe(0);
    expect(c.mapFreeze(fd).errno).toBe('EPERM');
    const ro = arrayMap(c, 8, 2, 'ro', MapFlag.BPF_F_RDONLY);
    expect(c.mapFreeze(ro).errno).toBe('EPERM');
  });
  it('[FRZ-4] active writers or a writable mmap give EBUSY', () => {
    const { p, c } = setup();
    const fd = arrayMap(c);
    const map = p.fds.get(fd)!.object as BpfMap;
    map.writableMmaps = 1;
    expect(c.mapFreeze(fd).errno).toBe('EBUSY');
    map.writableMmaps = 0;
    map.writeActive = 1;
    expect(c.mapFreeze(fd).errno).toBe('EBUSY');
    map.writeActive = 0;
    expect(c.mapFreeze(fd).ret).toBe(0);
  });
  it('[ELEM-1] after freeze: update and delete → EPERM (ARRAY and HASH), lookup works', () => {
    const { c } = setup();
    const a = arrayMap(c);
    const h = hashMap(c);
    c.mapUpdate(a, u32(0), v8(1));
    c.mapUpdate(h, u32(0), v8(1));
    c.mapFreeze(a);
    c.mapFreeze(h);
    expect(c.mapUpdate(a, u32(0), v8(2)).errno).toBe('EPERM');
    expect(c.mapUpdate(h, u32(1), v8(2)).errno).toBe('EPERM');
    expect(c.mapUpdate(h, u32(0), v8(2)).errno).toBe('EPERM');
    expect(c.mapDelete(a, u32(0)).errno).toBe('EPERM');
    expect(c.mapDelete(h, u32(0)).errno).toBe('EPERM');
    expect(c.mapLookup(a, u32(0), 8).value).toEqual(v8(1));
    expect(c.mapLookup(h, u32(0), 8).value).toEqual(v8(1));
  });
  it('[ELEM-2] the map value area stays writable to BPF programs after freeze (only syscalls lose write access)', () => {
    const { p, c } = setup();
    const fd = arrayMap(c);
    c.mapFreeze(fd);
    const map = p.fds.get(fd)!.object as BpfMap;
    expect(map.valueRegion!()!.writable).toBe(true);
    const ro = arrayMap(c, 8, 1, 'rdonly_prog', MapFlag.BPF_F_RDONLY_PROG);
    expect((p.fds.get(ro)!.object as BpfMap).valueRegion!()!.writable).toBe(false);
  });
});
