// Issue K, round 2: what the check stage now remembers or does once, each with a case that fails on a
// stale hit — the decoder's per-content template (every program its own arrays and ld_imm64
// values), the sub-program layout remembered with the instructions, the maps named during one
// resolve walk, btf_find_by_name_kind remembered per BTF object, the content hash that keys the
// interned instructions, and LOAD-8's license copy (kept as edge cases of strncpy_from_bpfptr).

import { beforeEach, describe, expect, it } from 'vitest';
import { BTF_INT_SIGNED, BtfKind } from '../../src/btf/btf.js';
import { BtfBuilder } from '../../src/btf/builder.js';
import { kernelBtfFindByNameKind } from '../../src/syscall/kernel-btf/btf-find.js';
import type { BpfProg } from '../../src/syscall/objects/prog.js';
import { mainPassCache } from '../../src/syscall/prog-load/check-cache.js';
import { ByPc, ResolvedLdImm64 } from '../../src/syscall/prog-load/check.js';
import { ProgFlag, ProgType } from '../../src/syscall/uapi/consts.js';
import { decodeProgram, type DecodedProgram } from '../../src/vm/decode.js';
import { encodeInsns, insn, type BpfInsn } from '../../src/vm/insn.js';
import { clearInternedInsns, contentHash, InsnArray } from '../../src/vm/insn-array.js';
import { arrayMap, setup } from '../support/kernel.js';

const EXIT = insn(0x95);
const MOV0 = insn(0xb7, 0, 0, 0, 0);
/** r1 = map value of fd_array[idx] (BPF_PSEUDO_MAP_IDX_VALUE) + off */
const ldIdxValue = (idx: number, off = 0): BpfInsn[] => [insn(0x18, 1, 6, 0, idx), insn(0, 0, 0, 0, off)];
/** r1 = map fd (BPF_PSEUDO_MAP_FD) */
const ldMapFd = (fd: number): BpfInsn[] => [insn(0x18, 1, 1, 0, fd), insn(0, 0, 0, 0, 0)];
/** call to the sub-program at pc + imm + 1 (BPF_PSEUDO_CALL) */
const CALL = (imm: number) => insn(0x85, 0, 1, 0, imm);

beforeEach(() => {
  clearInternedInsns();
  mainPassCache.clear();
});

const progOf = (p: { fds: { get(fd: number): { object: unknown } | undefined } }, fd: number) => p.fds.get(fd)!.object as BpfProg;
const SYSCALL = { progType: ProgType.BPF_PROG_TYPE_SYSCALL, progFlags: ProgFlag.BPF_F_SLEEPABLE };

describe('the decoder remembers what the instructions alone give [VM-LDR-3][VM-ISA-8] (issue K)', () => {
  it('two programs from the same bytes get their own arrays and their own ld_imm64 values', () => {
    const a = InsnArray.intern(encodeInsns([...ldIdxValue(0), MOV0, EXIT]));
    const d1 = decodeProgram(a, { resolveLdImm64: () => 0x1_2345_6789n });
    const d2 = decodeProgram(a, { resolveLdImm64: () => ({ lo: 7, hi: -1 }) });
    if (!d1.ok || !d2.ok) throw new Error('decode failed');
    expect([d1.program.imm[0], d1.program.imm2[0]]).toEqual([0x2345_6789, 1]);
    expect([d2.program.imm[0], d2.program.imm2[0]]).toEqual([7, -1]);
    // Writing one program's arrays changes neither the other nor the next decode.
    const arrays = (d: DecodedProgram) => [d.code, d.dst, d.src, d.off, d.imm, d.imm2, d.tgt];
    for (const x of arrays(d1.program)) x.fill(9);
    expect(d2.program.code[0]).toBe(0x18);
    const d3 = decodeProgram(a, { resolveLdImm64: () => 5n });
    if (!d3.ok) throw new Error('decode failed');
    expect([d3.program.code[2], d3.program.imm[0], d3.program.imm2[0], d3.program.code[1]]).toEqual([0xb7, 5, 0, 0]);
  });

  it('programs copied into the shared decode slab keep their own values across slab boundaries', () => {
    // ~2.6 KB per program's arrays: a 64 KiB slab holds some 24, so 60 programs span three slabs.
    const body = Array.from({ length: 150 }, () => MOV0);
    const a = InsnArray.intern(encodeInsns([...ldIdxValue(0), ...body, EXIT]));
    const progs = Array.from({ length: 60 }, (_, i) => {
      const d = decodeProgram(a, { resolveLdImm64: () => ({ lo: i, hi: -i | 0 }) });
      if (!d.ok) throw new Error('decode failed');
      return d.program;
    });
    progs.forEach((d, i) => {
      expect([d.imm[0], d.imm2[0], d.code[2], d.code[152], d.code[153], d.len]).toEqual([i, -i | 0, 0xb7, 0x95, 0, 153]);
      // every array lies inside the program's own bytes: writing all of them leaves the others intact
      if (i % 2) for (const x of [d.code, d.dst, d.src, d.off, d.imm, d.imm2, d.tgt]) x.fill(-1);
    });
    progs.forEach((d, i) => {
      if (i % 2 === 0) expect([d.imm[0], d.imm2[0], d.code[2], d.code[152], d.tgt[0], d.dst[0]]).toEqual([i, -i | 0, 0xb7, 0x95, 0, 1]);
    });
  });

  it('asks the resolvers in program order and stops at the first refusal, as the walk did', () => {
    const a = InsnArray.intern(encodeInsns([...ldIdxValue(0), insn(0x85, 0, 2, 0, 77), ...ldIdxValue(1), MOV0, EXIT]));
    const asked: string[] = [];
    const d = decodeProgram(a, {
      resolveLdImm64: (q) => (asked.push(`ld${q.pc}`), q.pc === 3 ? { error: 'no' } : 1n),
      resolveKfunc: (q) => (asked.push(`kf${q.pc}:${q.btfId}`), undefined),
    });
    expect(d.ok).toBe(false);
    expect(asked).toEqual(['ld0', 'kf2:77', 'ld3']);
  });

  it('ByPc (the resolved ld_imm64s by pc): get, set again, far apart, keys in the order first set', () => {
    const t = new ByPc<string>();
    expect([t.get(0), t.get(-1), t.size]).toEqual([undefined, undefined, 0]);
    t.set(4, 'a');
    t.set(0, 'b');
    t.set(4, 'c');
    t.set(70_000, 'd');
    expect([t.get(0), t.get(1), t.get(4), t.get(70_000), t.get(70_001)]).toEqual(['b', undefined, 'c', 'd', undefined]);
    expect(t.keys()).toEqual([4, 0, 70_000]);
    expect(t.size).toBe(3);
  });

  it('a map value address carries into the high half (ResolvedLdImm64.mapValue)', () => {
    const base = 0xffff_8880_ffff_fff0n;
    const r = ResolvedLdImm64.mapValue(null as never, { hi: Number(base >> 32n), lo: Number(base & 0xffff_ffffn) }, 0x20);
    expect(r.value).toBe(base + 0x20n);
    expect(ResolvedLdImm64.of(base + 0x20n, null, false, 0).value).toBe(base + 0x20n);
  });
});

describe('resolve_pseudo_ldimm64: a map named again is the same map [LOAD-13][PINFO-4] (issue K)', () => {
  it('by fd and by fd_array index, at several offsets: one used map, each instruction its own value and dump', () => {
    const { c, p } = setup('v6.18');
    const m1 = arrayMap(c, 64, 1, 'one');
    const m2 = arrayMap(c, 64, 1, 'two');
    const insns = encodeInsns([...ldIdxValue(0, 8), ...ldMapFd(m2), ...ldIdxValue(0, 16), ...ldMapFd(m2), ...ldIdxValue(1, 24), MOV0, EXIT]);
    const load = (fdArray: number[]) => c.progLoad({ ...SYSCALL, insns, fdArray }).res.ret;
    const a = load([m1, m1]);
    const b = load([m2, m1]);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    const mapOf = (fd: number) => p.fds.get(fd)!.object;
    expect(progOf(p, a).usedMaps).toEqual([mapOf(m1), mapOf(m2)]);
    expect(progOf(p, b).usedMaps).toEqual([mapOf(m2), mapOf(m1)]);
    const id = (fd: number) => c.mapGetInfo(fd).info.id;
    const dump = (fd: number) => {
      const x = c.progGetInfo(fd, { fields: { xlated_prog_len: 256 }, bufs: { xlated_prog_insns: 256 } }).out.xlated_prog_insns!;
      const dv = new DataView(x.buffer, x.byteOffset, x.byteLength);
      return [0, 2, 4, 6, 8].map((pc) => [x[pc * 8 + 1]! >> 4, dv.getInt32(pc * 8 + 4, true), dv.getInt32(pc * 8 + 12, true)]);
    };
    expect(dump(a)).toEqual([[2, id(m1), 8], [1, id(m2), 0], [2, id(m1), 16], [1, id(m2), 0], [2, id(m1), 24]]);
    expect(dump(b)).toEqual([[2, id(m2), 8], [1, id(m2), 0], [2, id(m2), 16], [1, id(m2), 0], [2, id(m1), 24]]);
    // The interpreter's values: each instruction its own offset into its own map's value.
    const val = (fd: number, pc: number) => {
      const d = progOf(p, fd).decoded!;
      return (BigInt(d.imm2[pc]! >>> 0) << 32n) | BigInt(d.imm[pc]! >>> 0);
    };
    expect(val(a, 4) - val(a, 0)).toBe(8n);
    expect(val(a, 8) - val(a, 0)).toBe(16n);
    expect(val(b, 8)).toBe(val(a, 0) + 16n); // b's fd_array[1] and a's fd_array[0] are m1
    expect(val(b, 0)).not.toBe(val(a, 0)); // b's fd_array[0] is m2
  });
});

describe('resolve_pseudo_ldimm64: the same number as an fd and as an fd_array index [LOAD-13] (issue K)', () => {
  it('names two maps: fd N and fd_array[N] are not confused', () => {
    const { c, p } = setup('v6.18');
    const m1 = arrayMap(c, 8, 1, 'one');
    const m2 = arrayMap(c, 8, 1, 'two');
    const fdArray = Array.from({ length: m2 + 1 }, () => m1);
    const fd = c.progLoad({ ...SYSCALL, insns: encodeInsns([...ldMapFd(m2), ...ldIdxValue(m2), ...ldMapFd(m2), MOV0, EXIT]), fdArray }).res.ret;
    expect(fd).toBeGreaterThan(0);
    expect(progOf(p, fd).usedMaps).toEqual([p.fds.get(m2)!.object, p.fds.get(m1)!.object]);
  });
});

describe('the sub-program layout remembered with the instructions [LOAD-13] (issue K)', () => {
  const load = (prog: BpfInsn[]) => setup('v6.18').c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: encodeInsns(prog), logLevel: 1, logSize: 1 << 14 });
  it('a call one instruction further fails where the good one loads, every time, with its log line', () => {
    const good = [CALL(1), EXIT, MOV0, EXIT];
    const bad = [CALL(5), EXIT, MOV0, EXIT];
    const jumpOut = [CALL(1), insn(0x05, 0, 0, 1, 0), MOV0, EXIT];
    for (let i = 0; i < 2; i++) {
      expect(load(good).res.ret).toBeGreaterThan(0);
      const r = load(bad);
      expect(r.res.errno).toBe('EINVAL');
      expect(r.log).toContain('call to invalid destination\n');
      const j = load(jumpOut);
      expect(j.res.errno).toBe('EINVAL');
      expect(j.log).toContain('jump out of range from insn 1 to 3');
    }
  });
});

describe('btf_find_by_name_kind remembered per BTF object [LSK-HELP-1] (issue K)', () => {
  it('finds a type appended after a miss was remembered, and only in the object it was added to', () => {
    const { k } = setup('v6.18');
    const vmlinux = k.vmlinuxBtf()!.model;
    const id = kernelBtfFindByNameKind(vmlinux, 'bpf_map', BtfKind.STRUCT);
    expect(id).toBeGreaterThan(0);
    expect(kernelBtfFindByNameKind(vmlinux, 'bpf_map', BtfKind.STRUCT)).toBe(id);
    expect(kernelBtfFindByNameKind(vmlinux, 'bpf_map', BtfKind.UNION)).toBeLessThan(0);
    const copy = vmlinux.clone();
    expect(kernelBtfFindByNameKind(copy, 'zz_added', BtfKind.VAR)).toBeLessThan(0);
    const added = copy.addVar('zz_added', 0, id);
    expect(kernelBtfFindByNameKind(copy, 'zz_added', BtfKind.VAR)).toBe(added);
    expect(kernelBtfFindByNameKind(vmlinux, 'zz_added', BtfKind.VAR)).toBeLessThan(0);
  });
});

describe('struct bpf_map access answers remembered per kernel BTF [MHASH-8][MHASH-9][OBS-DEB-32] (issue K)', () => {
  // r1 = map; r0 = *(u32 *)(r1 + 32); exit: half of `ops` on v6.18's BTF, `excl` on v6.18.44's.
  const prog = (fd: number) => encodeInsns([...ldMapFd(fd), insn(0x61, 0, 1, 32, 0), EXIT]);
  const load = (profile: string) => {
    const { c } = setup(profile);
    const fd = arrayMap(c, 8, 1, 'm');
    return c.progLoad({ ...SYSCALL, insns: prog(fd), logLevel: 1, logSize: 4096 });
  };
  it('v6.18 refuses the read, v6.18.44 allows it, alternately, with the main pass walked and replayed', () => {
    for (const clear of [true, false, false]) {
      if (clear) mainPassCache.clear();
      const refused = load('v6.18');
      expect(refused.res.errno).toBe('EACCES');
      expect(refused.log).toContain('cannot access ptr member ops with moff 32 in struct bpf_map with off 32 size 4\n');
      expect(load('v6.18.44').res.ret).toBeGreaterThan(0);
    }
  });
});

describe('func_info records copied in one piece when they can be [LOAD-13][KBTF-1] (issue K)', () => {
  const btf = (() => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, BTF_INT_SIGNED);
    const main = b.func('main', b.funcProto(int, []), 1);
    return { bytes: b.build(), main };
  })();
  const load = (records: Uint8Array, cnt: number, recSize: number) => {
    const { c } = setup('v6.18');
    const btfFd = c.btfLoad(btf.bytes).res.ret;
    expect(btfFd).toBeGreaterThan(0);
    const recs = c.buf(records, 'func_info');
    const r = c.progLoad({
      progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER,
      insns: encodeInsns([MOV0, EXIT]),
      logLevel: 1,
      logSize: 4096,
      extra: { prog_btf_fd: btfFd, func_info: recs, func_info_cnt: cnt, func_info_rec_size: recSize },
    });
    return r;
  };
  const record = (size: number, tail = 0) => {
    const r = new Uint8Array(size);
    new DataView(r.buffer).setUint32(4, btf.main, true);
    if (size > 8) r[size - 1] = tail;
    return r;
  };
  it('a 12-byte record with a zero tail loads; a non-zero tail is E2BIG; a second record past the buffer is EFAULT', () => {
    expect(load(record(12), 1, 12).res.ret).toBeGreaterThan(0);
    const tail = load(record(12, 1), 1, 12);
    expect(tail.res.errno).toBe('E2BIG');
    expect(tail.log).toContain('nonzero tailing record in func info');
    expect(load(record(12), 2, 12).res.errno).toBe('EFAULT');
    expect(load(record(8), 1, 8).res.ret).toBeGreaterThan(0);
  });
});

describe('the content hash that keys interned instructions (issue K)', () => {
  it('depends on every byte and the length, not on where the bytes sit in their buffer', () => {
    const bytes = encodeInsns([MOV0, insn(0xb7, 0, 0, 0, 1), EXIT]);
    const h = contentHash(bytes);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes.slice();
      b[i]! ^= 1;
      expect(contentHash(b)).not.toBe(h);
    }
    expect(contentHash(bytes.subarray(0, 16))).not.toBe(h);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(contentHash(shifted.subarray(1))).toBe(h);
    expect(InsnArray.intern(shifted.subarray(1))).toBe(InsnArray.intern(bytes));
  });
});

describe('LOAD-8: the license copy (strncpy_from_bpfptr, 127 bytes)', () => {
  // bpf_get_current_task (35) is GPL-only: the load tells whether the license read was GPL.
  const gplOnly = encodeInsns([insn(0x85, 0, 0, 0, 35), MOV0, EXIT]);
  const loadWith = (license: Uint8Array) => {
    const { c } = setup('v6.18');
    return c.progLoad({ progType: ProgType.BPF_PROG_TYPE_KPROBE, insns: gplOnly, extra: { license: c.buf(license, 'license') } }).res;
  };
  const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
  it('[LOAD-8] ends at the NUL, wherever the region ends', () => {
    expect(loadWith(ascii('GPL\0')).ret).toBeGreaterThan(0);
    expect(loadWith(ascii('GPL\0' + 'x'.repeat(300))).ret).toBeGreaterThan(0);
    expect(loadWith(ascii('GPLv3\0')).errno).toBe('EINVAL');
  });
  it('[LOAD-8] no NUL before the region ends: EFAULT, as the byte-by-byte copy faults', () => {
    expect(loadWith(ascii('GPL')).errno).toBe('EFAULT');
    expect(loadWith(ascii('x'.repeat(100))).errno).toBe('EFAULT');
  });
  it('[LOAD-8] no NUL in 127 bytes: the first 127 are the license', () => {
    expect(loadWith(ascii('GPL' + 'x'.repeat(200))).errno).toBe('EINVAL');
    expect(loadWith(ascii('x'.repeat(127))).errno).toBe('EINVAL'); // 127 readable bytes, no NUL: truncated, not a fault
  });
});
