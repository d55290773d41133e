// Issue K: loops of register arithmetic run as translated JavaScript (src/vm/loop-compiler.ts).
// Property: for random loops — every translated opcode, forward branches inside the body, 32- and
// 64-bit compares, random starting values and random instruction budgets — the translated run and
// the plain interpreter give the same r0 (a fold of every register), the same instruction count
// and the same outcome (including the budget error at the same instruction). spec: VM-ISA-3,
// VM-ISA-5, VM-EXEC-2, VM-PERF-1.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/syscall/memory.js';
import { decodeProgram } from '../../src/vm/decode.js';
import { conformanceHelperTable } from '../../src/vm/helpers.js';
import { encodeInsns, insn, type BpfInsn } from '../../src/vm/insn.js';
import { InsnArray } from '../../src/vm/insn-array.js';
import { runProgram } from '../../src/vm/interpreter.js';
import { compileLoops } from '../../src/vm/loop-compiler.js';

const ALU64_OPS = [0x00, 0x10, 0x40, 0x50, 0xa0, 0xb0];
const ALU32_OPS = [0x00, 0x10, 0x40, 0x50, 0xa0, 0xb0, 0x60, 0x70, 0xc0];
const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const COUNTER = 9;

const reg = fc.integer({ min: 0, max: 8 });
const imm = fc.oneof(fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }), fc.constantFrom(0, 1, -1, 31, 32, 0x7fff_ffff, -0x8000_0000));

/** One body instruction (the arithmetic kinds the translator takes). */
const aluInsn: fc.Arbitrary<BpfInsn> = fc.oneof(
  fc.tuple(fc.constantFrom(...ALU64_OPS), fc.boolean(), reg, reg, imm).map(([op, x, d, s, k]) => insn(0x07 | op | (x ? 0x08 : 0), d, x ? s : 0, 0, x ? 0 : k)),
  fc.tuple(fc.constantFrom(...ALU32_OPS), fc.boolean(), reg, reg, imm).map(([op, x, d, s, k]) => insn(0x04 | op | (x ? 0x08 : 0), d, x ? s : 0, 0, x ? 0 : k)),
  fc.tuple(fc.boolean(), reg).map(([w, d]) => insn(w ? 0x84 : 0x87, d)),
);

/** A loop: setup, a body with forward conditional branches, counter, back edge, fold, exit. */
const program = fc
  .record({
    init: fc.array(imm, { minLength: 9, maxLength: 9 }),
    body: fc.array(fc.oneof({ arbitrary: aluInsn, weight: 4 }, { arbitrary: fc.tuple(fc.constantFrom(...JMP_OPS), fc.boolean(), fc.boolean(), reg, reg, imm, fc.nat()), weight: 1 }), { minLength: 1, maxLength: 12 }),
    n: fc.integer({ min: 1, max: 40 }),
    wide: fc.boolean(),
  })
  .map(({ init, body, n, wide }) => {
    const out: BpfInsn[] = init.map((k, r) => insn(0xb7, r, 0, 0, k));
    out.push(insn(0xb7, COUNTER, 0, 0, 0));
    const head = out.length;
    body.forEach((b, i) => {
      if (!Array.isArray(b)) return void out.push(b);
      const [op, x, j32, d, s, k, far] = b;
      const left = body.length - i; // jump at most to the counter increment
      out.push(insn((j32 ? 0x06 : 0x05) | op | (x ? 0x08 : 0), d, x ? s : 0, far % left, x ? 0 : k));
    });
    out.push(insn(0x07, COUNTER, 0, 0, 1));
    out.push(insn(wide ? 0xa5 : 0xa6, COUNTER, 0, head - out.length - 1, n)); // if counter < n goto head
    // r0 = fold of r0..r8 (64-bit xors with rotations of the high word into the low)
    for (let r = 1; r <= 8; r++) out.push(insn(0xaf, 0, r));
    out.push(insn(0x95));
    return out;
  });

function run(p: BpfInsn[], budget: number, compileLoops: boolean) {
  const d = decodeProgram(p);
  if (!d.ok) throw new Error(d.error.message);
  const r = runProgram(d.program, { memory: AddressSpace.kernelSpace(), helpers: conformanceHelperTable(), budget, compileLoops });
  return r.ok ? { ok: true, r0: r.r0, insns: r.insns } : { ok: false, kind: r.error.kind, pc: r.error.pc, insns: r.insns };
}

describe('translated loops [VM-ISA-3][VM-ISA-5][VM-EXEC-2]', () => {
  it('the random loops translate', () => {
    fc.assert(
      fc.property(program, (p) => {
        const d = decodeProgram(p);
        expect(d.ok).toBe(true);
        if (d.ok) expect(compileLoops(d.program)?.heads[10]).toBe(1);
      }),
      { numRuns: 50 },
    );
  });

  it('give what the interpreter gives, whatever the budget', () => {
    fc.assert(
      fc.property(program, fc.integer({ min: 0, max: 800 }), (p, budget) => {
        expect(run(p, budget, true)).toEqual(run(p, budget, false));
        expect(run(p, 1e9, true)).toEqual(run(p, 1e9, false));
      }),
      { numRuns: 400 },
    );
  });

  it('leave a loop with anything else in it to the interpreter', () => {
    // a load inside the loop: not translated
    const p = [insn(0xb7, 1, 0, 0, 0), insn(0x79, 2, 10, -8), insn(0x07, 1, 0, 0, 1), insn(0xa5, 1, 0, -3, 10), insn(0xbf, 0, 1), insn(0x95)];
    const d = decodeProgram(p);
    expect(d.ok && compileLoops(d.program)).toBe(null);
    expect(run(p, 1e6, true)).toEqual({ ok: true, r0: 10n, insns: 33 });
  });
});

describe('translated loops remembered with the instructions (issue K) [VM-PERF-1]', () => {
  // r1 = 0; loop: r1 += K; r2 += 1; if r2 < 10 goto loop; r0 = r1; exit
  const prog = (k: number) => [insn(0xb7, 1, 0, 0, 0), insn(0xb7, 2, 0, 0, 0), insn(0x07, 1, 0, 0, k), insn(0x07, 2, 0, 0, 1), insn(0xa5, 2, 0, -3, 10), insn(0xbf, 0, 1), insn(0x95)];
  const runBytes = (bytes: Uint8Array) => {
    const d = decodeProgram(InsnArray.intern(bytes));
    if (!d.ok) throw new Error(d.error.message);
    const r = runProgram(d.program, { memory: AddressSpace.kernelSpace(), helpers: conformanceHelperTable() });
    return r.ok ? r.r0 : r.error.message;
  };

  it('two programs of the same bytes share one translation; a program differing in one immediate inside the loop gets its own', () => {
    expect(runBytes(encodeInsns(prog(3)))).toBe(30n);
    expect(runBytes(encodeInsns(prog(3)))).toBe(30n);
    expect(runBytes(encodeInsns(prog(5)))).toBe(50n);
    expect(runBytes(encodeInsns(prog(3)))).toBe(30n);
  });
});
