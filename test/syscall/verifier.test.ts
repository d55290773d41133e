// The check stage's typing, loops and the rewrites GET_INFO shows, on programs of our own. The
// captured transcripts (test/replay/kernel-6.18.44.test.ts: prog_verifier.json, prog_xlated.json)
// hold the same behaviours against the real kernel; these tests pin the mechanisms.

import { describe, expect, it } from 'vitest';
import { translate } from '../../src/syscall/prog-load/xlated.js';
import { MapFlag, MapType, ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn, parseInsns } from '../../src/vm/insn.js';
import { setup, u32 } from '../support/kernel.js';

const SOCKET_FILTER = ProgType.BPF_PROG_TYPE_SOCKET_FILTER;
const EXIT = insn(0x95);
const load = (c: ReturnType<typeof setup>['c'], prog: ReturnType<typeof insn>[]) =>
  c.progLoad({ progType: SOCKET_FILTER, insns: encodeInsns(prog), logLevel: 1, logSize: 65536 });
const xlated = (c: ReturnType<typeof setup>['c'], fd: number) => {
  const r = c.progGetInfo(fd, { fields: { xlated_prog_len: 512 }, bufs: { xlated_prog_insns: 512 } });
  return parseInsns(r.out.xlated_prog_insns!.subarray(0, Number(r.info.xlated_prog_len)));
};

describe('helper argument types [LOAD-13]', () => {
  it('[LOAD-13] a ctx where bpf_trace_printk wants memory: EACCES with the compatible types, after the path', () => {
    const { c } = setup('v6.18.44');
    const r = load(c, [insn(0x85, 0, 0, 0, 6), insn(0xb7), EXIT]);
    expect(r.res.errno).toBe('EACCES');
    expect(r.log).toContain('0: (85) call bpf_trace_printk#6\nR1 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_\n');
  });
  it('[LOAD-13] a value the walk cannot type (a load from the ctx) passes: no refusal bpfsig cannot justify', () => {
    const { c } = setup('v6.18.44');
    const r = load(c, [insn(0x79, 1, 1, 0, 0), insn(0xb7, 2, 0, 0, 8), insn(0x85, 0, 0, 0, 6), insn(0xb7), EXIT]);
    expect(r.res.ret, r.log).toBeGreaterThanOrEqual(0);
  });
  it('[LOAD-13] bpf_map_lookup_elem\'s result may be NULL: passing it on unchecked is refused, after a NULL check it is a map value', () => {
    const { c } = setup('v6.18.44');
    const fd = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4 }).ret;
    const lookup = [insn(0x62, 10, 0, -4, 0), insn(0xbf, 2, 10), insn(0x07, 2, 0, 0, -4), insn(0x18, 1, 1, 0, fd), insn(0), insn(0x85, 0, 0, 0, 1)];
    const printk = [insn(0xbf, 1, 0), insn(0xb7, 2, 0, 0, 8), insn(0x85, 0, 0, 0, 6)];
    const unchecked = load(c, [...lookup, ...printk, insn(0xb7), EXIT]);
    expect(unchecked.res.errno).toBe('EACCES');
    expect(unchecked.log).toContain('R1 type=map_value_or_null expected=fp,');
    const checked = load(c, [...lookup, insn(0x15, 0, 0, 3, 0), ...printk, insn(0xb7), EXIT]);
    expect(checked.res.ret, checked.log).toBeGreaterThanOrEqual(0);
  });
});

describe('loops [LOAD-13]', () => {
  it('[LOAD-13] `if r0 == 0 goto -1` with r0 = 0: "infinite loop detected at insn 1", the old state precise (EINVAL)', () => {
    const { c } = setup('v6.18.44');
    const r = load(c, [insn(0xb7), insn(0x15, 0, 0, -1, 0), EXIT]);
    expect(r.res.errno).toBe('EINVAL');
    expect(r.log).toContain('infinite loop detected at insn 1\ncur state: R0=0 R1=ctx() R10=fp0\nold state: R0=P0 R1=ctx() R10=fp0\nprocessed 9 insns');
  });
  it('[LOAD-13] a loop bounded by constants is walked to its end, with checkpoints counted', () => {
    const { c } = setup('v6.18.44');
    const r = load(c, [insn(0xb7), insn(0x07, 0, 0, 0, 1), insn(0xa5, 0, 0, -2, 10), EXIT]);
    expect(r.res.ret, r.log).toBeGreaterThanOrEqual(0);
    expect(r.log).toBe('processed 22 insns (limit 1000000) max_states_per_insn 1 total_states 2 peak_states 2 mark_read 0\n');
  });
});

describe('the verifier\'s rewrites as GET_INFO shows them [LOAD-13][PINFO-4]', () => {
  it('[LOAD-13] a jump across a patched instruction moves by the patch length (bpf_adj_branches)', () => {
    // 0: if r1 == 0 goto +1; 1: r0 /= r1; 2: exit — the guard makes insn 1 four instructions
    const t = translate({
      insns: [insn(0x15, 1, 0, 1, 0), insn(0x3f, 0, 1), EXIT],
      progType: SOCKET_FILTER,
      seen: new Uint8Array([1, 1, 1]),
      callMaps: new Map(),
      ctxAccess: new Set(),
      bpfCapable: true,
      bypassSpecV1: () => true,
      layout: { arrayValueOffset: 312, cpuNumber: 0, jiffies: 0n },
    });
    expect(t.insns.map((i) => [i.code, i.off])).toEqual([[0x15, 4], [0x55, 2], [0xac, 0], [0x05, 1], [0x3f, 0], [0x95, 0]]);
    expect(t.orig).toEqual([0, undefined, undefined, undefined, 1, 2]);
  });
  it('[LOAD-13] a branch a frozen read-only map decides is removed; unfrozen it stays', () => {
    const { c } = setup('v6.18.44');
    const fd = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, mapFlags: MapFlag.BPF_F_RDONLY_PROG }).ret;
    expect(c.mapUpdate(fd, u32(0), new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])).ret).toBe(0);
    const prog = [insn(0x18, 1, 2, 0, fd), insn(0), insn(0x79, 0, 1, 0, 0), insn(0x15, 0, 0, 1, 1), insn(0xb7, 0, 0, 0, 5), EXIT];
    const before = load(c, prog);
    expect(xlated(c, before.res.ret)).toHaveLength(6);
    expect(c.mapFreeze(fd).ret).toBe(0);
    const after = load(c, prog);
    expect(xlated(c, after.res.ret).map((i) => i.code)).toEqual([0x18, 0x00, 0x79, 0x95]);
  });
  it('[LOAD-13] bpf_map_lookup_elem on an ARRAY becomes the inlined index computation (7 instructions for the call)', () => {
    const { c } = setup('v6.18.44');
    const fd = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }).ret;
    const r = load(c, [insn(0x62, 10, 0, -4, 0), insn(0xbf, 2, 10), insn(0x07, 2, 0, 0, -4), insn(0x18, 1, 1, 0, fd), insn(0), insn(0x85, 0, 0, 0, 1), insn(0xb7), EXIT]);
    const x = xlated(c, r.res.ret);
    expect(x).toHaveLength(14);
    expect(x.slice(5, 12).map((i) => [i.code, i.imm])).toEqual([[0x07, 312], [0x61, 0], [0x35, 4], [0x67, 3], [0x0f, 0], [0x05, 0], [0xb7, 0]]);
  });
});
