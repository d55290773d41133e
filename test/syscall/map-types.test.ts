// Map types beyond ARRAY and HASH: what the replayed captures (test/replay/kernel-6.18.44.test.ts,
// map_types.json, map_elems.json, map_lru.json) do not show on their own — the BPF side of the
// element operations, and the types bpfsig does not model.

import { describe, expect, it } from 'vitest';
import { MAP_ELEM } from '../../src/syscall/uapi/attr-layouts.js';
import { BpfCmd, MapFlag, MapType, ProgFlag, ProgType } from '../../src/syscall/uapi/consts.js';
import { encode } from '../../src/syscall/uapi/layout.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { setup, u32 } from '../support/kernel.js';

const T = MapType;

/** A sleepable SYSCALL program: r6 = ctx; the body; r0 = 0; exit. */
function syscallProg(c: ReturnType<typeof setup>['c'], body: ReturnType<typeof insn>[]) {
  const insns = encodeInsns([insn(0xbf, 6, 1), ...body, insn(0xb7, 0), insn(0x95)]);
  const r = c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SYSCALL, progFlags: ProgFlag.BPF_F_SLEEPABLE, insns, logSize: 4096, logLevel: 1 });
  expect(r.res.ret, r.log).toBeGreaterThanOrEqual(0);
  return r.res.ret;
}

/** r1 = map (ld_imm64 BPF_PSEUDO_MAP_FD) */
const ldMap = (fd: number) => [insn(0x18, 1, 1, 0, fd), insn(0)];

describe('map types bpfsig does not model [MC-6]', () => {
  it.each([
    ['STACK_TRACE', T.BPF_MAP_TYPE_STACK_TRACE],
    ['CGROUP_ARRAY', T.BPF_MAP_TYPE_CGROUP_ARRAY],
    ['DEVMAP', T.BPF_MAP_TYPE_DEVMAP],
    ['SOCKMAP', T.BPF_MAP_TYPE_SOCKMAP],
    ['CPUMAP', T.BPF_MAP_TYPE_CPUMAP],
    ['STRUCT_OPS', T.BPF_MAP_TYPE_STRUCT_OPS],
    ['ARENA', T.BPF_MAP_TYPE_ARENA],
  ])('%s: a named "not emulated" outcome, never a kernel errno', (name, mapType) => {
    const { c } = setup('v6.18.44');
    const r = c.mapCreate({ mapType, keySize: 4, valueSize: 8, maxEntries: 4 });
    expect(r.unsupported).toBe(`map type ${`BPF_MAP_TYPE_${name}`}`);
  });
  it('[MC-6] an unknown type number is the kernel\'s EINVAL', () => {
    const { c } = setup('v6.18.44');
    expect(c.mapCreate({ mapType: 999, keySize: 4, valueSize: 8, maxEntries: 4 }).errno).toBe('EINVAL');
  });
});

describe('element helpers from a program (SYSCALL, run by BPF_PROG_TEST_RUN)', () => {
  it('[ELEM-3] bpf_map_lookup_elem returns the value\'s address in a HASH map; a store through it is what the syscall reads back', () => {
    const { c, k } = setup('v6.18.44');
    const fd = c.mapCreate({ mapType: T.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4 }).ret;
    expect(c.mapUpdate(fd, u32(7), new Uint8Array(8)).ret).toBe(0);
    const prog = syscallProg(c, [
      insn(0x62, 10, 0, -4, 7), // *(u32 *)(r10 - 4) = 7
      ...ldMap(fd),
      insn(0xbf, 2, 10), insn(0x07, 2, 0, 0, -4),
      insn(0x85, 0, 0, 0, 1), // bpf_map_lookup_elem
      insn(0x15, 0, 0, 1, 0), // if r0 == 0 goto +1
      insn(0x7a, 0, 0, 0, 0x55), // *(u64 *)(r0 + 0) = 0x55
    ]);
    expect(c.progTestRun(prog, new Uint8Array(8)).res.ret).toBe(0);
    expect(c.mapLookup(fd, u32(7), 8).value).toEqual(new Uint8Array([0x55, 0, 0, 0, 0, 0, 0, 0]));
    void k;
  });
  it('[ELEM-3] bpf_map_push_elem / bpf_map_pop_elem on a QUEUE: the program pushes, the syscall pops in order', () => {
    const { c, p } = setup('v6.18.44');
    const fd = c.mapCreate({ mapType: T.BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 }).ret;
    const push = (v: number) => [insn(0x62, 10, 0, -4, v), ...ldMap(fd), insn(0xbf, 2, 10), insn(0x07, 2, 0, 0, -4), insn(0xb7, 3), insn(0x85, 0, 0, 0, 87)];
    const prog = syscallProg(c, [...push(0x11), ...push(0x22), ...push(0x33), insn(0x63, 6, 0, 0, 0)]); // *(u32 *)(ctx) = r0 (the third push)
    const run = c.progTestRun(prog, new Uint8Array(4));
    expect(run.res.ret).toBe(0);
    expect(new DataView(run.ctxOut!.buffer).getInt32(0, true)).toBe(-7); // E2BIG: the queue holds 2
    const pop = () => {
      const out = p.alloc(4);
      const r = p.bpf(BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, p.alloc(encode(MAP_ELEM, { map_fd: fd, key: 0n, value: out }, 32)), 32);
      return r.ret < 0 ? r.errno : new DataView(p.read(out, 4)!.buffer).getUint32(0, true);
    };
    expect([pop(), pop(), pop()]).toEqual([0x11, 0x22, 'ENOENT']);
  });
  it('[ELEM-3] a per-CPU LRU map (BPF_F_NO_COMMON_LRU) spreads its nodes over the CPUs: on CPU 0 only half of max_entries fit', () => {
    const { c } = setup('v6.18.44');
    const fd = c.mapCreate({ mapType: T.BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 8, mapFlags: MapFlag.BPF_F_NO_COMMON_LRU }).ret;
    for (let i = 1; i <= 4; i++) expect(c.mapUpdate(fd, u32(i), new Uint8Array(8)).ret).toBe(0);
    // the fifth update needs a node: CPU 0's list shrinks (up to 4 nodes, the inactive tail first)
    expect(c.mapUpdate(fd, u32(5), new Uint8Array(8)).ret).toBe(0);
    const present = [1, 2, 3, 4, 5].filter((i) => c.mapLookup(fd, u32(i), 8).res.ret === 0);
    expect(present).toEqual([5]);
  });
});
