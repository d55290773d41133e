// Issue K: instruction bytes decoded once and shared (InsnArray.intern), the pure passes over them
// remembered with the decoded form (memoOnInsns: check_subprogs, check_cfg, the decoder's structural
// check, resolve_pseudo_ldimm64's scan), and fd_array entries read once per resolve walk. Each test
// runs a warm case after a cold one that differs in one input and requires the warm one to see its
// own input — a stale hit fails it.

import { beforeEach, describe, expect, it } from 'vitest';
import { checkReachable } from '../../src/syscall/prog-load/cfg.js';
import { mainPassCache } from '../../src/syscall/prog-load/check-cache.js';
import { ProgFlag, ProgType } from '../../src/syscall/uapi/consts.js';
import { checkProgram } from '../../src/vm/check.js';
import { encodeInsns, insn, type BpfInsn } from '../../src/vm/insn.js';
import { clearInternedInsns, InsnArray, memoOnInsns } from '../../src/vm/insn-array.js';
import { arrayMap, setup } from '../support/kernel.js';

const EXIT = insn(0x95);
const MOV0 = insn(0xb7, 0, 0, 0, 0);
const JA = (off: number) => insn(0x05, 0, 0, off, 0);
/** r1 = map value of fd_array[idx] (BPF_PSEUDO_MAP_IDX_VALUE), off 0 */
const ldIdxValue = (idx: number): BpfInsn[] => [insn(0x18, 1, 6, 0, idx), insn(0, 0, 0, 0, 0)];

beforeEach(() => {
  clearInternedInsns();
  mainPassCache.clear();
});

describe('InsnArray.intern [VM-ISA-1] (issue K)', () => {
  it('gives the same decoded form for the same bytes, another one for other bytes', () => {
    const a = encodeInsns([MOV0, EXIT]);
    const b = encodeInsns([insn(0xb7, 0, 0, 0, 1), EXIT]);
    expect(InsnArray.intern(a)).toBe(InsnArray.intern(a.slice()));
    expect(InsnArray.intern(b)).not.toBe(InsnArray.intern(a));
    expect(InsnArray.intern(b).imm[0]).toBe(1);
  });

  it('bytes patched in place after a decode (CO-RE) are decoded anew, not found as before', () => {
    const bytes = encodeInsns([MOV0, EXIT]);
    const before = InsnArray.intern(bytes);
    bytes[4] = 42; // imm of insn 0
    const after = InsnArray.intern(bytes);
    expect(after).not.toBe(before);
    expect(after.imm[0]).toBe(42);
    expect(before.imm[0]).toBe(0);
  });

  it('memoOnInsns remembers per decoded form and per key; arrays of objects are not remembered', () => {
    const a = InsnArray.intern(encodeInsns([MOV0, EXIT]));
    let calls = 0;
    const f = (k: string) => memoOnInsns(a, k, () => ++calls);
    expect([f('x'), f('x'), f('y')]).toEqual([1, 1, 2]);
    const objs = [MOV0, EXIT];
    memoOnInsns(objs, 'x', () => ++calls);
    memoOnInsns(objs, 'x', () => ++calls);
    expect(calls).toBe(4);
  });
});

describe('pure passes remembered with the instructions [LOAD-13] (issue K)', () => {
  it('check_cfg: a program one byte away from a reachable one is still unreachable', () => {
    const ok = [MOV0, JA(0), EXIT];
    const dead = [MOV0, JA(1), MOV0, EXIT]; // insn 2 is jumped over
    expect(checkReachable(InsnArray.intern(encodeInsns(ok)))).toBeUndefined();
    expect(checkReachable(InsnArray.intern(encodeInsns(dead)))).toEqual({ message: 'unreachable insn 2' });
    expect(checkReachable(InsnArray.intern(encodeInsns(ok)))).toBeUndefined();
  });

  it('the structural check takes its options into the key: callx is refused by default after an allowed pass', () => {
    const callx = InsnArray.intern(encodeInsns([MOV0, insn(0x8d, 1, 0, 0, 0), EXIT]));
    expect(checkProgram(callx, { allowCallx: true })).toBeUndefined();
    expect(checkProgram(callx)).toBeDefined();
  });

  it('BPF_PROG_LOAD: the same program loads again; one opcode byte changed is refused where the walk stops', () => {
    const { c } = setup('v6.18');
    const good = encodeInsns([MOV0, EXIT]);
    const load = (insns: Uint8Array) => c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns, logLevel: 1, logSize: 1 << 14 });
    expect(load(good).res.ret).toBeGreaterThan(0);
    expect(load(good).res.ret).toBeGreaterThan(0);
    const bad = good.slice();
    bad[0] = 0xb8; // not an opcode
    const r = load(bad);
    expect(r.res.errno).toBe('EINVAL');
    expect(r.log).toContain('unknown opcode b8');
  });
});

describe('the program digest remembered with the instructions [DIG-1][DIG-2] (issue K)', () => {
  const tagOf = (profile: string, insns: Uint8Array) => {
    const { c } = setup(profile);
    const fd = c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns }).res.ret;
    expect(fd).toBeGreaterThan(0);
    return c.progGetInfo(fd).info.tag as string;
  };
  it('the same bytes give the same tag; one byte more, another; SHA-1 (v6.17) and SHA-256 (v6.18) are not confused', () => {
    const a = encodeInsns([MOV0, EXIT]);
    const b = encodeInsns([insn(0xb7, 0, 0, 0, 5), EXIT]);
    const t18 = tagOf('v6.18', a);
    expect(tagOf('v6.18', a.slice())).toBe(t18);
    expect(tagOf('v6.18', b)).not.toBe(t18);
    const t17 = tagOf('v6.17', a);
    expect(t17).not.toBe(t18);
    expect(tagOf('v6.17', a)).toBe(t17);
    expect(tagOf('v6.18', a)).toBe(t18);
  });
});

describe('fd_array entries read once per resolve walk [LOAD-13] (issue K)', () => {
  it('each load binds the maps its own fd_array names, though the instructions are the same', () => {
    const { c } = setup('v6.18');
    const m1 = arrayMap(c, 8, 1, 'one');
    const m2 = arrayMap(c, 8, 1, 'two');
    const insns = encodeInsns([...ldIdxValue(0), ...ldIdxValue(0), ...ldIdxValue(1), MOV0, EXIT]);
    const load = (fdArray: number[]) =>
      c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SYSCALL, progFlags: ProgFlag.BPF_F_SLEEPABLE, insns, fdArray });
    const ids = (fd: number) => [...c.progGetInfo(fd, { fields: { nr_map_ids: 4 }, bufs: { map_ids: 16 } }).out.map_ids!].slice(0, 8);
    const a = load([m1, m2]).res.ret;
    const b = load([m2, m1]).res.ret;
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    const mapId = (fd: number) => c.mapGetInfo(fd).info.id;
    const u32s = (bytes: number[]) => [0, 1].map((i) => new DataView(Uint8Array.from(bytes).buffer).getUint32(i * 4, true));
    expect(u32s(ids(a))).toEqual([mapId(m1), mapId(m2)]);
    expect(u32s(ids(b))).toEqual([mapId(m2), mapId(m1)]);
  });

  it('the xlated dump, made when first read, names the maps of its own load (PINFO-4)', () => {
    const { c } = setup('v6.18');
    const m1 = arrayMap(c, 8, 1, 'one');
    const m2 = arrayMap(c, 8, 1, 'two');
    const insns = encodeInsns([...ldIdxValue(0), MOV0, EXIT]);
    const load = (fd: number) => c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SYSCALL, progFlags: ProgFlag.BPF_F_SLEEPABLE, insns, fdArray: [fd] }).res.ret;
    const a = load(m1);
    const b = load(m2);
    // Read b's dump first, then a's: each has the id of the map its load resolved (imm of insn 0).
    const dumpedId = (fd: number) => {
      const x = c.progGetInfo(fd, { fields: { xlated_prog_len: 64 }, bufs: { xlated_prog_insns: 64 } }).out.xlated_prog_insns!;
      return new DataView(x.buffer, x.byteOffset, x.byteLength).getInt32(4, true);
    };
    expect(dumpedId(b)).toBe(c.mapGetInfo(m2).info.id);
    expect(dumpedId(a)).toBe(c.mapGetInfo(m1).info.id);
  });

  it('an fd_array entry that cannot be read fails the load with EFAULT', () => {
    const { c } = setup('v6.18');
    const m1 = arrayMap(c, 8, 1, 'one');
    const insns = encodeInsns([...ldIdxValue(0), ...ldIdxValue(5), MOV0, EXIT]);
    const r = c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SYSCALL, progFlags: ProgFlag.BPF_F_SLEEPABLE, insns, fdArray: [m1], logLevel: 1, logSize: 1 << 14 });
    expect(r.res.errno).toBe('EFAULT');
    expect(r.log).toContain('cannot read fd_array[5]');
  });
});
