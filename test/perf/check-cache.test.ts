// Issue K: the check stage's main pass and the xlated rewrite are remembered for identical
// instruction bytes under an identical profile, program settings and map set (check-cache.ts).
// Each test runs the same load cold (cache emptied first) and warm (same bytes already walked
// under other circumstances) and requires the observable outcome to be the same — return value,
// verifier log, every trace event, the xlated dump — so a stale hit fails it.

import { beforeEach, describe, expect, it } from 'vitest';
import { derivedFromWalk, mainPassCache } from '../../src/syscall/prog-load/check-cache.js';
import { MapFlag, MapType, ProgFlag, ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn, type BpfInsn } from '../../src/vm/insn.js';
import { setup } from '../support/kernel.js';
import type { CapName } from '../../src/syscall/creds.js';

const EXIT = insn(0x95);
const ldMapFd = (fd: number): BpfInsn[] => [insn(0x18, 1, 1, 0, fd), insn(0, 0, 0, 0, 0)];
const ldMapValue = (fd: number, off = 0): BpfInsn[] => [insn(0x18, 1, 2, 0, fd), insn(0, 0, 0, 0, off)];
const SYSCALL = ProgType.BPF_PROG_TYPE_SYSCALL;
const SOCKET_FILTER = ProgType.BPF_PROG_TYPE_SOCKET_FILTER;

interface Scenario {
  readonly profile?: string;
  readonly caps?: readonly CapName[];
  /** Map create options (fd 3 is the first map). */
  readonly map: { mapType: number; keySize: number; valueSize: number; maxEntries: number; mapFlags?: number; name?: string };
  /** Value written before the load, and whether the map is frozen then. */
  readonly value?: Uint8Array;
  readonly freeze?: boolean;
  readonly prog: (fd: number) => BpfInsn[];
  readonly progType?: number;
  readonly logLevel?: number;
}

/** One load in a fresh kernel: everything a caller can observe of it. */
function observe(s: Scenario) {
  const { k, c } = setup(s.profile ?? 'v6.18', s.caps ? { caps: [...s.caps] } : {});
  const fd = c.mapCreate({ ...s.map, ...(s.map.name ? { name: s.map.name } : {}) }).ret;
  if (s.value) {
    const v = new Uint8Array(s.map.valueSize);
    v.set(s.value.subarray(0, v.length));
    expect(c.mapUpdate(fd, new Uint8Array(4), v).ret).toBe(0);
  }
  if (s.freeze) expect(c.mapFreeze(fd).ret).toBe(0);
  const mark = k.trace.mark();
  const progType = s.progType ?? SYSCALL;
  const r = c.progLoad({ progType, insns: encodeInsns(s.prog(fd)), ...(progType === SYSCALL ? { progFlags: ProgFlag.BPF_F_SLEEPABLE } : {}), ...((s.logLevel ?? 1) ? { logLevel: s.logLevel ?? 1, logSize: 1 << 16 } : {}) });
  const trace = JSON.parse(JSON.stringify(k.trace.since(mark)));
  const info = r.res.ret > 0 ? c.progGetInfo(r.res.ret, { fields: { xlated_prog_len: 1024 }, bufs: { xlated_prog_insns: 1024 } }) : null;
  const xlated = info ? Buffer.from(info.out.xlated_prog_insns!.subarray(0, Number(info.info.xlated_prog_len))).toString('hex') : null;
  return { ret: r.res.ret, errno: r.res.errno, log: r.log, trace, xlated };
}

/** The scenario cold, then warm after `prime` walked the same bytes. */
function coldAndWarm(s: Scenario, prime: Scenario) {
  mainPassCache.clear();
  const cold = observe(s);
  mainPassCache.clear();
  observe(prime);
  const before = { ...mainPassCache.stats };
  const warm = observe(s);
  return { cold, warm, stats: { hits: mainPassCache.stats.hits - before.hits, stale: mainPassCache.stats.stale - before.stale } };
}

const ARRAY = { mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 };

describe('the main-pass cache [LOAD-13] (issue K)', () => {
  beforeEach(() => mainPassCache.clear());

  // A program whose walk depends on the map: a lookup-free read of a map value decides a branch
  // when the map is frozen and read-only for programs (bpf_map_direct_read).
  const branchOnValue = (fd: number) => [...ldMapValue(fd), insn(0x79, 0, 1, 0, 0), insn(0x15, 0, 0, 2, 1), insn(0xb7, 0, 0, 0, 7), EXIT, insn(0xb7, 0, 0, 0, 9), EXIT];
  const RDONLY = { ...ARRAY, mapFlags: MapFlag.BPF_F_RDONLY_PROG };
  const one = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);
  const two = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]);

  it('hits for the same bytes and map in another kernel, with the same log, trace and xlated dump', () => {
    const s: Scenario = { map: RDONLY, value: one, freeze: true, prog: branchOnValue, progType: SOCKET_FILTER };
    const { cold, warm, stats } = coldAndWarm(s, s);
    expect(stats).toEqual({ hits: 1, stale: 0 });
    expect(warm).toEqual(cold);
  });

  it('misses when the frozen map holds another value (the branch the walk followed differs)', () => {
    const s: Scenario = { map: RDONLY, value: two, freeze: true, prog: branchOnValue, progType: SOCKET_FILTER };
    const { cold, warm, stats } = coldAndWarm(s, { ...s, value: one });
    expect(stats).toEqual({ hits: 0, stale: 1 });
    expect(warm).toEqual(cold);
    expect(cold.xlated).not.toBe(coldAndWarm({ ...s, value: one }, s).cold.xlated);
  });

  it('misses when the map is not frozen any more, or has another size, type or name', () => {
    const base: Scenario = { map: RDONLY, value: one, freeze: true, prog: branchOnValue, progType: SOCKET_FILTER };
    for (const s of [
      { ...base, freeze: false },
      { ...base, map: { ...RDONLY, valueSize: 16 } },
      { ...base, map: { ...RDONLY, maxEntries: 2 } },
      { ...base, map: { ...RDONLY, name: 'other' } },
      { ...base, map: { ...RDONLY, mapType: MapType.BPF_MAP_TYPE_HASH } },
    ]) {
      const { cold, warm, stats } = coldAndWarm(s, base);
      expect(stats.hits, JSON.stringify(s.map)).toBe(0);
      expect(warm).toEqual(cold);
    }
  });

  it('misses on another profile or program type, and when the log is on instead of off', () => {
    const base: Scenario = { map: RDONLY, value: one, freeze: true, prog: branchOnValue, progType: SOCKET_FILTER };
    for (const s of [{ ...base, profile: 'v6.17' }, { ...base, progType: ProgType.BPF_PROG_TYPE_KPROBE }, { ...base, logLevel: 0 }]) {
      const { cold, warm, stats } = coldAndWarm(s, base);
      expect(stats.hits).toBe(0);
      expect(warm).toEqual(cold);
    }
  });

  // The walk asks allow_ptr_leaks (a capable() call that shows in the trace) at a struct bpf_map read.
  const readsBpfMap = (fd: number) => [...ldMapFd(fd), insn(0x79, 0, 1, 0, 0), insn(0x79, 0, 1, 8), insn(0xb7, 0, 0, 0, 0), EXIT];

  it('asks allow_ptr_leaks again on a hit: the capable() hooks are in the trace as a walk puts them', () => {
    const s: Scenario = { map: ARRAY, prog: readsBpfMap, caps: ['CAP_BPF', 'CAP_PERFMON'] };
    const { cold, warm, stats } = coldAndWarm(s, s);
    expect(stats.hits).toBe(1);
    expect(warm).toEqual(cold);
    expect(warm.trace.filter((e: { kind: string; hook?: string }) => e.kind === 'hook' && e.hook === 'capable').length).toBeGreaterThan(0);
  });

  it('a caller without CAP_PERFMON is refused where the cached walk went on (CAP-4), with the counters of that point — log off and on', () => {
    for (const logLevel of [0, 1]) {
      const s: Scenario = { map: ARRAY, prog: readsBpfMap, caps: ['CAP_BPF'], logLevel };
      const { cold, warm } = coldAndWarm(s, { ...s, caps: ['CAP_BPF', 'CAP_PERFMON'] });
      expect(cold.errno).toBe('EACCES');
      expect(warm).toEqual(cold);
    }
  });

  it('a caller with CAP_PERFMON walks on where the cached walk was refused', () => {
    const s: Scenario = { map: ARRAY, prog: readsBpfMap, caps: ['CAP_BPF', 'CAP_PERFMON'] };
    const { cold, warm } = coldAndWarm(s, { ...s, caps: ['CAP_BPF'] });
    expect(cold.ret).toBeGreaterThan(0);
    expect(warm).toEqual(cold);
  });

  it('the xlated rewrite follows the map: an inlined array lookup for another max_entries differs', () => {
    // r1 = map; r2 = fp-4 (key 0 stored); call bpf_map_lookup_elem; exit
    const lookup = (fd: number) => [insn(0x62, 10, 0, -4, 0), ...ldMapFd(fd), insn(0xbf, 2, 10), insn(0x07, 2, 0, 0, -4), insn(0x85, 0, 0, 0, 1), insn(0xb7, 0, 0, 0, 0), EXIT];
    const s: Scenario = { map: { ...ARRAY, maxEntries: 4 }, prog: lookup, progType: SOCKET_FILTER };
    const { cold, warm } = coldAndWarm(s, { ...s, map: { ...ARRAY, maxEntries: 8 } });
    expect(warm).toEqual(cold);
    expect(cold.xlated).not.toBe(observe({ ...s, map: { ...ARRAY, maxEntries: 8 } }).xlated);
  });

  it('the same walk, rewritten for a map made without CAP_PERFMON: index masking (bypass_spec_v1) in the inlined lookup', () => {
    const lookup = (fd: number) => [insn(0x62, 10, 0, -4, 0), ...ldMapFd(fd), insn(0xbf, 2, 10), insn(0x07, 2, 0, 0, -4), insn(0x85, 0, 0, 0, 1), insn(0xb7, 0, 0, 0, 0), EXIT];
    const s: Scenario = { map: { ...ARRAY, maxEntries: 4 }, prog: lookup, progType: SOCKET_FILTER, caps: ['CAP_BPF', 'CAP_NET_ADMIN'] };
    const { cold, warm, stats } = coldAndWarm(s, { ...s, caps: ['CAP_BPF', 'CAP_NET_ADMIN', 'CAP_PERFMON'] });
    expect(stats.hits).toBe(1); // the walk is the same
    expect(warm).toEqual(cold);
    expect(cold.xlated).not.toBe(observe({ ...s, caps: ['CAP_BPF', 'CAP_NET_ADMIN', 'CAP_PERFMON'] }).xlated);
  });
});

describe('derivedFromWalk: results derived from a walk, keyed by every other input (issue K)', () => {
  const walk = () => ({ seen: new Uint8Array(4) }) as unknown as Parameters<typeof derivedFromWalk>[0];
  it('hits only when every part is the same value, in the same place; another walk is another store', () => {
    const w = walk();
    let made = 0;
    const get = (key: unknown[]) => derivedFromWalk(w, key, () => ++made);
    expect(get([true, 312, 7, 0x1000n])).toBe(1);
    expect(get([true, 312, 7, 0x1000n])).toBe(1); // a bigint compared by value
    expect(get([true, 312, 7, 0x1001n])).toBe(2);
    expect(get([false, 312, 7, 0x1000n])).toBe(3);
    expect(get([true, 312, 7, 0x1000n, 4, 'map', 2, 0, 4, 8, 1, false])).toBe(4);
    expect(get([true, 312, 7, 0x1000n, 4, 'map', 2, 0, 4, 8, 2, false])).toBe(5); // another max_entries
    expect(get([true, 312, 7, 0x1000n, 4, 'map', 2, 0, 4, 8, 1, false])).toBe(4);
    expect(get([true, 312, 7])).toBe(6); // a prefix is another key
    expect(derivedFromWalk(walk(), [true, 312, 7, 0x1000n], () => 'other')).toBe('other');
  });
  it('a key changed by its caller after the call does not change what was remembered under it', () => {
    const w = walk();
    const key: unknown[] = [1, 2];
    expect(derivedFromWalk(w, key, () => 'a')).toBe('a');
    key[1] = 3;
    expect(derivedFromWalk(w, [1, 3], () => 'b')).toBe('b');
    expect(derivedFromWalk(w, [1, 2], () => 'c')).toBe('a');
  });
  it('keeps at most 16 keys per walk, forgetting the oldest first', () => {
    const w = walk();
    for (let i = 0; i < 17; i++) derivedFromWalk(w, [i], () => i);
    expect(derivedFromWalk(w, [0], () => 'again')).toBe('again');
    expect(derivedFromWalk(w, [16], () => 'again')).toBe(16);
  });
});
