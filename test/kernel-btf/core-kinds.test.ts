// CO-RE relocation kinds, one by one, on hand-built local and target BTF (expected values worked
// out from the layouts below, as relo_core.c computes them), and the kernel's error paths.

import { describe, expect, it } from 'vitest';
import { Btf, BTF_INT_SIGNED } from '../../src/btf/btf.js';
import { BtfBuilder } from '../../src/btf/builder.js';
import { Errno } from '../../src/syscall/errno.js';
import { bpfCoreApply, CoreCandCache, CoreReloKind as K, CORE_POISON_IMM, type CoreReloRecord } from '../../src/syscall/kernel-btf/index.js';
import { insn, insnAt, prog } from './support.js';

// Local (program) BTF: struct sample, 72 bytes
//   a int @0; flags:3 @bit32; mode:5 @bit35; cnt uint @8; scnt int @12; big u64 @16; arr int[4] @24;
//   struct { int x; int y; } @40; gone int @48; next sample* @56; far int @64
function localBtf() {
  const b = new BtfBuilder();
  const int = b.int('int', 4, BTF_INT_SIGNED);
  const uint = b.int('unsigned int', 4);
  const u64 = b.int('long long unsigned int', 8);
  const arr4 = b.array(int, uint, 4);
  const xy = b.struct('', 8, [{ name: 'x', type: int, bitOffset: 0 }, { name: 'y', type: int, bitOffset: 32 }]);
  const sample = b.declareStruct('sample');
  b.defineComposite(sample, 72, [
    { name: 'a', type: int, bitOffset: 0 },
    { name: 'flags', type: uint, bitOffset: 32, bitfieldSize: 3 },
    { name: 'mode', type: uint, bitOffset: 35, bitfieldSize: 5 },
    { name: 'cnt', type: uint, bitOffset: 64 },
    { name: 'scnt', type: int, bitOffset: 96 },
    { name: 'big', type: u64, bitOffset: 128 },
    { name: 'arr', type: arr4, bitOffset: 192 },
    { name: '', type: xy, bitOffset: 320 },
    { name: 'gone', type: int, bitOffset: 384 },
    { name: 'next', type: b.ptr(sample), bitOffset: 448 },
    { name: 'far', type: int, bitOffset: 512 },
  ]);
  const v2 = b.struct('sample___v2', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  const color = b.enum('color', 4, [['RED', 0], ['GREEN', 1], ['NEG', -5], ['PURPLE', 3]], true);
  const missing = b.struct('missing', 4, [{ name: 'z', type: int, bitOffset: 0 }]);
  const matchme = b.struct('matchme', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  const nomatch = b.struct('nomatch', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  const amb = b.struct('amb', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  const anon = b.struct('', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  const sampleT = b.typedef('sample_t', sample);
  const fooS = b.struct('foo', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  const fooE = b.enum('foo', 4, [['FOO_A', 1]]);
  const spanner = b.struct('spanner', 16, [{ name: 'w', type: uint, bitOffset: 0, bitfieldSize: 5 }]);
  const s = (x: string) => b.addStr(x);
  const acc = {
    '0': s('0'), '1': s('1'), '2': s('2'), '3': s('3'), '0:0': s('0:0'), '0:1': s('0:1'), '0:2': s('0:2'), '0:3': s('0:3'),
    '0:4': s('0:4'), '0:5': s('0:5'), '0:6:2': s('0:6:2'), '0:7:1': s('0:7:1'), '0:8': s('0:8'), '0:10': s('0:10'),
    ':0': s(':0'), '0:x': s('0:x'), '0:11': s('0:11'), long: s(Array(65).fill('0').join(':')), '0: 1': s('0: 1'), '0:0 ': s('0:0 '),
    '1:0': s('1:0'),
  };
  return { btf: Btf.parse(b.build()), ids: { int, sample, v2, color, missing, matchme, nomatch, amb, anon, sampleT, fooS, fooE, spanner }, acc };
}

// Target (vmlinux) BTF: struct sample, 40008 bytes
//   pad u64 @0; a int @8; flags:3 @bit96; pad2:2 @bit99; mode:5 @bit101; cnt u64 @16; scnt s64 @24; big u64 @32;
//   arr int[8] @48; next @80; union { struct { int x; int y; }; u64 xy; } @200; far int @40000
function targetBtf() {
  const b = new BtfBuilder();
  const int = b.int('int', 4, BTF_INT_SIGNED);
  const uint = b.int('unsigned int', 4);
  const u64 = b.int('long long unsigned int', 8);
  const s64 = b.int('long long int', 8, BTF_INT_SIGNED);
  const arr8 = b.array(int, uint, 8);
  const xy = b.struct('', 8, [{ name: 'x', type: int, bitOffset: 0 }, { name: 'y', type: int, bitOffset: 32 }]);
  const un = b.union('', 8, [{ name: '', type: xy, bitOffset: 0 }, { name: 'xy', type: u64, bitOffset: 0 }]);
  const sample = b.declareStruct('sample');
  b.defineComposite(sample, 40008, [
    { name: 'pad', type: u64, bitOffset: 0 },
    { name: 'a', type: int, bitOffset: 64 },
    { name: 'flags', type: uint, bitOffset: 96, bitfieldSize: 3 },
    { name: 'pad2', type: uint, bitOffset: 99, bitfieldSize: 2 },
    { name: 'mode', type: uint, bitOffset: 101, bitfieldSize: 5 },
    { name: 'cnt', type: u64, bitOffset: 128 },
    { name: 'scnt', type: s64, bitOffset: 192 },
    { name: 'big', type: u64, bitOffset: 256 },
    { name: 'arr', type: arr8, bitOffset: 384 },
    { name: 'next', type: b.ptr(sample), bitOffset: 640 },
    { name: '', type: un, bitOffset: 1600 },
    { name: 'far', type: int, bitOffset: 320000 },
  ]);
  const color = b.enum('color', 4, [['RED', 10], ['GREEN', 11], ['NEG', -7]], true);
  const matchme = b.struct('matchme', 16, [{ name: 'pad', type: u64, bitOffset: 0 }, { name: 'a', type: int, bitOffset: 64 }]);
  const nomatch = b.struct('nomatch', 8, [{ name: 'a', type: u64, bitOffset: 0 }]);
  const amb = b.struct('amb', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  const amb2 = b.struct('amb___2', 8, [{ name: 'a', type: int, bitOffset: 32 }]);
  const sampleT = b.typedef('sample_t', sample);
  const fooS = b.struct('foo', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  const fooE = b.enum('foo', 4, [['FOO_A', 1]]);
  b.struct('spanner', 16, [{ name: 'w', type: uint, bitOffset: 126, bitfieldSize: 5 }]);
  return { btf: Btf.parse(b.build()), ids: { sample, color, matchme, nomatch, amb, amb2, sampleT, fooS, fooE, s64 } };
}

const L = localBtf();
const T = targetBtf();
const MOV = (imm: number) => insn(0xb7, 1, 0, 0, imm); // r1 = imm
const LDXW = (off: number) => insn(0x61, 2, 1, off, 0); // r2 = *(u32 *)(r1 + off)
const LD64 = (lo: number, hi: number) => [insn(0x18, 1, 0, 0, lo), insn(0, 0, 0, 0, hi)];

function run(insns: Uint8Array, relos: CoreReloRecord[], opts: { target?: Btf | null; cache?: CoreCandCache; logLevel?: number } = {}) {
  const lines: string[] = [];
  const r = bpfCoreApply(L.btf, opts.target === null ? undefined : (opts.target ?? T.btf), insns, relos, (s) => lines.push(s), opts);
  return { r, log: lines.join(''), insns: 'insns' in r ? r.insns : undefined };
}
const relo = (typeId: number, acc: number, kind: number, insnOff = 0): CoreReloRecord => ({ insnOff, typeId, accessStrOff: acc, kind });
const one = (i: Uint8Array | Uint8Array[], typeId: number, acc: number, kind: number) =>
  run(prog(...(Array.isArray(i) ? i : [i])), [relo(typeId, acc, kind)]);

describe('CO-RE field relocations', () => {
  it('byte_off of a member: ALU immediate 0 → 8', () => {
    const { r, insns, log } = one(MOV(0), L.ids.sample, L.acc['0:0'], K.FIELD_BYTE_OFFSET);
    expect(insnAt(insns!, 0).imm).toBe(8);
    expect('results' in r && r.results[0]).toMatchObject({ outcome: 'patched', origVal: 0n, newVal: 8n, kindName: 'byte_off', candidates: [T.ids.sample] });
    expect(log).toContain(`CO-RE relocating STRUCT sample: found target candidate [${T.ids.sample}]\n`);
    expect(log).toContain(`prog '': relo #0: <byte_off> [${L.ids.sample}] STRUCT sample.a (0:0 @ offset 0)\n`);
    expect(log).toContain(`prog '': relo #0: matching candidate #0 <byte_off> [${T.ids.sample}] STRUCT sample.a (0:1 @ offset 8)\n`);
    expect(log).toContain("prog '': relo #0: patched insn #0 (ALU/ALU64) imm 0 -> 8\n");
  });

  it('byte_off on a load: LDX offset 0 → 8, size unchanged', () => {
    const { insns } = one(LDXW(0), L.ids.sample, L.acc['0:0'], K.FIELD_BYTE_OFFSET);
    expect(insnAt(insns!, 0)).toMatchObject({ code: 0x61, off: 8 });
  });

  it('byte_off through an anonymous struct into an anonymous union: y at 44 → 204', () => {
    const { insns, r } = one(MOV(44), L.ids.sample, L.acc['0:7:1'], K.FIELD_BYTE_OFFSET);
    expect(insnAt(insns!, 0).imm).toBe(204);
    expect('results' in r && r.results[0].targetSpec).toBe(`<byte_off> [${T.ids.sample}] STRUCT sample.y (0:10:0:1 @ offset 204)`);
  });

  it('array element: arr[2] at 32 → 56; byte_sz of the element 4', () => {
    expect(insnAt(one(MOV(32), L.ids.sample, L.acc['0:6:2'], K.FIELD_BYTE_OFFSET).insns!, 0).imm).toBe(56);
    expect(insnAt(one(MOV(4), L.ids.sample, L.acc['0:6:2'], K.FIELD_BYTE_SIZE).insns!, 0).imm).toBe(4);
    const bad = one(MOV(1), L.ids.sample, L.acc['0:6:2'], K.FIELD_SIGNED);
    expect('errno' in bad.r && bad.r.errno).toBe(Errno.EINVAL);
    expect(bad.log).toContain("prog '': relo 3 at insn #0 can't be applied to array access\n");
  });

  it('byte_sz, field_exists, signed', () => {
    expect(insnAt(one(MOV(8), L.ids.sample, L.acc['0:5'], K.FIELD_BYTE_SIZE).insns!, 0).imm).toBe(8);
    expect(insnAt(one(MOV(1), L.ids.sample, L.acc['0:0'], K.FIELD_EXISTS).insns!, 0).imm).toBe(1);
    expect(insnAt(one(MOV(1), L.ids.sample, L.acc['0:8'], K.FIELD_EXISTS).insns!, 0).imm).toBe(0);
    expect(insnAt(one(MOV(1), L.ids.sample, L.acc['0:0'], K.FIELD_SIGNED).insns!, 0).imm).toBe(1);
    expect(insnAt(one(MOV(0), L.ids.sample, L.acc['0:1'], K.FIELD_SIGNED).insns!, 0).imm).toBe(0);
  });

  it('bitfields: byte_off of the containing word (not validated), lshift 56 → 54, rshift 59', () => {
    expect(insnAt(one(MOV(123), L.ids.sample, L.acc['0:2'], K.FIELD_BYTE_OFFSET).insns!, 0).imm).toBe(12);
    expect(insnAt(one(MOV(56), L.ids.sample, L.acc['0:2'], K.FIELD_LSHIFT_U64).insns!, 0).imm).toBe(54);
    expect(insnAt(one(MOV(59), L.ids.sample, L.acc['0:2'], K.FIELD_RSHIFT_U64).insns!, 0).imm).toBe(59);
    const mis = one(MOV(58), L.ids.sample, L.acc['0:2'], K.FIELD_RSHIFT_U64);
    expect('errno' in mis.r && mis.r.errno).toBe(Errno.EINVAL);
  });

  it('a bitfield that no 8-byte load covers: -E2BIG', () => {
    const { r, log } = one(MOV(0), L.ids.spanner, L.acc['0:0'], K.FIELD_LSHIFT_U64);
    expect('errno' in r && r.errno).toBe(Errno.E2BIG);
    expect(log).toContain("prog '': relo 4 at insn #0 can't be satisfied for bitfield\n");
  });

  it('a flavored local type (sample___v2) finds `sample` by essential name', () => {
    const { insns, log } = one(MOV(0), L.ids.v2, L.acc['0:0'], K.FIELD_BYTE_OFFSET);
    expect(insnAt(insns!, 0).imm).toBe(8);
    expect(log).toContain(`CO-RE relocating STRUCT sample: found target candidate [${T.ids.sample}]`);
  });

  it('a typedef local type finds typedef candidates', () => {
    const { insns } = one(MOV(72), L.ids.sampleT, L.acc['0'], K.TYPE_SIZE);
    expect(insnAt(insns!, 0).imm).toBe(40008);
  });

  it('unsigned field widened (u32 → u64): offset and load size patched', () => {
    const { insns, log } = one(LDXW(8), L.ids.sample, L.acc['0:3'], K.FIELD_BYTE_OFFSET);
    expect(insnAt(insns!, 0)).toMatchObject({ code: 0x79, off: 16 });
    expect(log).toContain("prog '': relo #0: patched insn #0 (LDX/ST/STX) mem_sz 4 -> 8\n");
  });

  it('signed field widened (int → s64): the load is poisoned', () => {
    const { insns, log, r } = one(LDXW(12), L.ids.sample, L.acc['0:4'], K.FIELD_BYTE_OFFSET);
    expect(insnAt(insns!, 0)).toEqual({ code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
    expect(log).toContain('accesses field incorrectly. Make sure you are accessing pointers, unsigned integers, or fields of matching type and size.\n');
    expect('results' in r && r.results[0].outcome).toBe('poisoned');
  });

  it('offset above 32767 for a load: -ERANGE', () => {
    const { r, log } = one(LDXW(64), L.ids.sample, L.acc['0:10'], K.FIELD_BYTE_OFFSET);
    expect('errno' in r && r.errno).toBe(Errno.ERANGE);
    expect(log).toContain("prog '': relo #0: insn #0 (LDX/ST/STX) value too big: 40000\n");
  });

  it('a field missing in the target: the instruction becomes call 0xbad2310 (both halves of an ld_imm64)', () => {
    const a = one(LDXW(48), L.ids.sample, L.acc['0:8'], K.FIELD_BYTE_OFFSET);
    expect(insnAt(a.insns!, 0)).toEqual({ code: 0x85, dst: 0, src: 0, off: 0, imm: 0xbad2310 });
    expect(a.log).toContain("prog '': relo #0: non-matching candidate #0");
    expect(a.log).toContain("prog '': relo #0: no matching targets found\n");
    expect(a.log).toContain("prog '': relo #0: substituting insn #0 w/ invalid insn\n");
    const b = one(LD64(48, 0), L.ids.sample, L.acc['0:8'], K.FIELD_BYTE_OFFSET);
    expect([insnAt(b.insns!, 0).imm, insnAt(b.insns!, 1).imm, insnAt(b.insns!, 1).code]).toEqual([CORE_POISON_IMM, CORE_POISON_IMM, 0x85]);
  });

  it('two candidates disagreeing on the offset: "field offset ambiguity", -EINVAL', () => {
    const { r, log } = one(MOV(0), L.ids.amb, L.acc['0:0'], K.FIELD_BYTE_OFFSET);
    expect('errno' in r && r.errno).toBe(Errno.EINVAL);
    expect(log).toContain(`found target candidate [${T.ids.amb}]`);
    expect(log).toContain(`found target candidate [${T.ids.amb2}]`);
    expect(log).toContain("prog '': relo #0: field offset ambiguity: 32 != 0\n");
  });
});

describe('CO-RE type and enum relocations', () => {
  it('local_type_id: the local id, whatever the instruction held (not validated, no candidate search)', () => {
    const { insns, log } = one(LD64(0, 0), L.ids.sample, L.acc['0'], K.TYPE_ID_LOCAL);
    expect(insnAt(insns!, 0).imm).toBe(L.ids.sample);
    expect(log).not.toContain('CO-RE relocating');
  });

  it('target_type_id, type_exists, type_size', () => {
    expect(insnAt(one(LD64(L.ids.sample, 0), L.ids.sample, L.acc['0'], K.TYPE_ID_TARGET).insns!, 0).imm).toBe(T.ids.sample);
    expect(insnAt(one(MOV(1), L.ids.sample, L.acc['0'], K.TYPE_EXISTS).insns!, 0).imm).toBe(1);
    expect(insnAt(one(MOV(1), L.ids.missing, L.acc['0'], K.TYPE_EXISTS).insns!, 0).imm).toBe(0);
    expect(insnAt(one(MOV(0), L.ids.missing, L.acc['0'], K.TYPE_ID_TARGET).insns!, 0).imm).toBe(0);
    expect(insnAt(one(MOV(72), L.ids.sample, L.acc['0'], K.TYPE_SIZE).insns!, 0).imm).toBe(40008);
  });

  it('type_matches: same member names and int size/sign → 1; a u64 for an int → 0', () => {
    expect(insnAt(one(MOV(1), L.ids.matchme, L.acc['0'], K.TYPE_MATCHES).insns!, 0).imm).toBe(1);
    expect(insnAt(one(MOV(1), L.ids.nomatch, L.acc['0'], K.TYPE_MATCHES).insns!, 0).imm).toBe(0);
  });

  it('enumval_exists and enumval_value (signed values widen to u64)', () => {
    expect(insnAt(one(MOV(1), L.ids.color, L.acc['1'], K.ENUMVAL_EXISTS).insns!, 0).imm).toBe(1);
    expect(insnAt(one(MOV(1), L.ids.color, L.acc['3'], K.ENUMVAL_EXISTS).insns!, 0).imm).toBe(0);
    expect(insnAt(one(MOV(1), L.ids.color, L.acc['1'], K.ENUMVAL_VALUE).insns!, 0).imm).toBe(11);
    const v = one(LD64(-5, -1), L.ids.color, L.acc['2'], K.ENUMVAL_VALUE);
    expect([insnAt(v.insns!, 0).imm, insnAt(v.insns!, 1).imm]).toEqual([-7, -1]);
    expect('results' in v.r && v.r.results[0]).toMatchObject({ origVal: 0xfffffffffffffffbn, newVal: 0xfffffffffffffff9n });
    expect(v.log).toContain(`<enumval_value> [${L.ids.color}] ENUM color::NEG = -5`);
    const gone = one(MOV(3), L.ids.color, L.acc['3'], K.ENUMVAL_VALUE);
    expect(insnAt(gone.insns!, 0).imm).toBe(CORE_POISON_IMM);
  });
});

describe('CO-RE instruction checks and errors', () => {
  it('an immediate that does not hold the local value: -EINVAL with the kernel message', () => {
    const { r, log } = one(MOV(7), L.ids.sample, L.acc['0:0'], K.FIELD_BYTE_OFFSET);
    expect('errno' in r && r.errno).toBe(Errno.EINVAL);
    expect(log).toContain("prog '': relo #0: unexpected insn #0 (ALU/ALU64) value: got 7, exp 0 -> 8\n");
    expect('errno' in r && r.message).toBe("prog '': relo #0: unexpected insn #0 (ALU/ALU64) value: got 7, exp 0 -> 8");
  });

  it('a register-source ALU instruction or a jump cannot be relocated: -EINVAL', () => {
    expect('errno' in one(insn(0x0f, 1, 2, 0, 0), L.ids.sample, L.acc['0:0'], K.FIELD_BYTE_OFFSET).r).toBe(true);
    const j = one(insn(0x05, 0, 0, 0, 0), L.ids.sample, L.acc['0:0'], K.FIELD_BYTE_OFFSET);
    expect(j.log).toContain("prog '': relo #0: trying to relocate unrecognized insn #0, code:0x5, src:0x0, dst:0x0, off:0x0, imm:0x0\n");
    const ld = one(insn(0x18, 1, 1, 0, 0), L.ids.sample, L.acc['0:0'], K.FIELD_BYTE_OFFSET);
    expect(ld.log).toContain("prog '': relo #0: insn #0 (LDIMM64) has unexpected form\n");
  });

  it('a type id past the program BTF: "relo #0: bad type id", -EINVAL', () => {
    const { r, log } = one(MOV(0), 999, L.acc['0:0'], K.FIELD_BYTE_OFFSET);
    expect('errno' in r && r.errno).toBe(Errno.EINVAL);
    expect(log).toBe('relo #0: bad type id 999\n');
  });

  it('an anonymous local type, or no vmlinux BTF: "target candidate search failed", -EINVAL', () => {
    const a = one(MOV(0), L.ids.anon, L.acc['0:0'], K.FIELD_BYTE_OFFSET);
    expect(a.log).toBe(`target candidate search failed for ${L.ids.anon}\n`);
    const b = run(prog(MOV(0)), [relo(L.ids.sample, L.acc['0:0'], K.FIELD_BYTE_OFFSET)], { target: null });
    expect('errno' in b.r && b.r.errno).toBe(Errno.EINVAL);
    expect(b.log).toBe(`target candidate search failed for ${L.ids.sample}\n`);
  });

  it('bad access strings: parsing failed, -EINVAL', () => {
    const cases: Array<[number, number, string]> = [
      [L.acc[':0'], K.FIELD_BYTE_OFFSET, ':0'],
      [L.acc['0:x'], K.FIELD_BYTE_OFFSET, '0:x'],
      [L.acc['0:11'], K.FIELD_BYTE_OFFSET, '0:11'],
      [L.acc.long, K.FIELD_BYTE_OFFSET, Array(65).fill('0').join(':')],
      [L.acc['0:0 '], K.FIELD_BYTE_OFFSET, '0:0 '],
      [L.acc['1'], K.TYPE_SIZE, '1'],
      [L.acc['0:0'], 13, '0:0'],
      [0, K.FIELD_BYTE_OFFSET, ''],
    ];
    for (const [acc, kind, text] of cases) {
      const { r, log } = one(MOV(0), L.ids.sample, acc, kind);
      expect('errno' in r && r.errno, text).toBe(Errno.EINVAL);
      expect(log, text).toContain(`prog '': relo #0: parsing [${L.ids.sample}] STRUCT sample + ${text} failed:`);
    }
    expect(one(MOV(0), L.ids.sample, L.acc.long, K.FIELD_BYTE_OFFSET).log).toContain('failed: -7\n');
    expect(insnAt(one(MOV(4), L.ids.sample, L.acc['0: 1'], K.FIELD_BYTE_OFFSET).insns!, 0).imm).toBe(12);
  });

  it('a non-zero first index scales by the type size (&s[1].a)', () => {
    expect(insnAt(one(MOV(72), L.ids.sample, L.acc['1:0'], K.FIELD_BYTE_OFFSET).insns!, 0).imm).toBe(40008 + 8);
  });

  it('relocations stop at the first error; earlier ones stay applied', () => {
    const res = run(prog(MOV(0), MOV(7)), [relo(L.ids.sample, L.acc['0:0'], K.FIELD_BYTE_OFFSET), relo(L.ids.sample, L.acc['0:0'], K.FIELD_BYTE_OFFSET, 8)]);
    expect('errno' in res.r && res.r.results.map((x) => x.outcome)).toEqual(['patched', 'failed']);
    const bad = run(prog(MOV(0)), [relo(L.ids.sample, L.acc['0:0'], K.FIELD_BYTE_OFFSET, 4)]);
    expect(bad.log).toBe('Invalid core_relo[0].insn_off:4 prog->len:1\n');
  });
});

describe('CO-RE candidate caches', () => {
  it('a cache hit compares the name only: after `struct foo`, `enum foo` gets the struct candidates (kernel behaviour)', () => {
    const cache = new CoreCandCache();
    const acc = L.acc['0:0'];
    run(prog(MOV(1)), [relo(L.ids.fooS, acc, K.FIELD_EXISTS)], { cache });
    const shared = run(prog(MOV(1)), [relo(L.ids.fooE, L.acc['0'], K.ENUMVAL_EXISTS)], { cache });
    expect(insnAt(shared.insns!, 0).imm).toBe(0);
    expect(shared.log).toContain(`CO-RE relocating STRUCT foo: found target candidate [${T.ids.fooS}]`);
    const fresh = run(prog(MOV(1)), [relo(L.ids.fooE, L.acc['0'], K.ENUMVAL_EXISTS)]);
    expect(insnAt(fresh.insns!, 0).imm).toBe(1);
    expect(fresh.log).toContain(`CO-RE relocating ENUM foo: found target candidate [${T.ids.fooE}]`);
  });

  it('log level 2 prints both caches after each relocation; the module cache records failed searches', () => {
    const cache = new CoreCandCache();
    const { log } = run(prog(MOV(1), MOV(1)), [relo(L.ids.sample, L.acc['0'], K.TYPE_EXISTS), relo(L.ids.missing, L.acc['0'], K.TYPE_EXISTS, 8)], { cache, logLevel: 2 });
    const dumps = log.split('\n').filter((l) => l.startsWith('vmlinux_cand_cache:') || l.startsWith('module_cand_cache:'));
    expect(dumps).toHaveLength(4);
    expect(dumps[0]).toMatch(new RegExp(`^vmlinux_cand_cache:\\[\\d+\\]sample\\(${T.ids.sample}\\), $`));
    expect(dumps[3]).toMatch(/^module_cand_cache:\[\d+\]missing\(\), $/);
    expect(dumps[2]).toMatch(/\[\d+\]missing\(\), /);
  });

  it('log level 2 prints the caches after a failed candidate search too; no print without a search', () => {
    const failed = run(prog(MOV(0)), [relo(L.ids.anon, L.acc['0:0'], K.FIELD_BYTE_OFFSET)], { logLevel: 2 });
    expect(failed.log).toBe(`target candidate search failed for ${L.ids.anon}\nvmlinux_cand_cache:\nmodule_cand_cache:\n`);
    const local = run(prog(...LD64(0, 0)), [relo(L.ids.sample, L.acc['0'], K.TYPE_ID_LOCAL)], { logLevel: 2 });
    expect(local.log).not.toContain('cand_cache');
  });
});
