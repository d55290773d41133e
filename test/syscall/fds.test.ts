import { describe, expect, it } from 'vitest';
import { Idr } from '../../src/syscall/idr.js';
import { BpfCmd } from '../../src/syscall/uapi/consts.js';
import { setup, arrayMap } from '../support/kernel.js';

describe('process fd table', () => {
  it('fds 0–2 are taken by stdio; new fds take the lowest free number', () => {
    const { p, c } = setup();
    expect(p.fds.fds()).toEqual([0, 1, 2]);
    const a = arrayMap(c);
    const b = arrayMap(c);
    expect([a, b]).toEqual([3, 4]);
    p.close(a);
    expect(arrayMap(c)).toBe(3);
  });
  it('close of a closed fd gives EBADF; dup2 shares the file until the last fd goes', () => {
    const { k, p, c } = setup();
    const a = arrayMap(c);
    expect(p.dup2(a, 10).ret).toBe(10);
    expect(p.close(a).ret).toBe(0);
    expect(p.close(a).errno).toBe('EBADF');
    expect(k.mapIdr.size).toBe(1); // fd 10 still holds the map
    expect(p.close(10).ret).toBe(0);
    expect(k.mapIdr.size).toBe(0);
  });
  it('closing the last fd frees the map id; nothing reuses the id at once (idr_alloc_cyclic)', () => {
    const idr = new Idr<string>(1, 4);
    expect([idr.allocCyclic('a'), idr.allocCyclic('b'), idr.allocCyclic('c')]).toEqual([1, 2, 3]);
    idr.remove(1);
    expect(idr.allocCyclic('d')).toBe(1); // wrapped past the end
    expect(idr.allocCyclic('e')).toBe(-28); // -ENOSPC: [1, 4) is full
  });
  it('an fd of one process means nothing to another', () => {
    const { k, c } = setup();
    const fd = arrayMap(c);
    const other = k.spawn();
    const r = other.bpf(BpfCmd.BPF_MAP_FREEZE, other.alloc(new Uint8Array([fd, 0, 0, 0])), 4);
    expect(r.errno).toBe('EBADF');
  });
});
