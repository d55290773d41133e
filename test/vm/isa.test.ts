// The instruction set, group by group, checked against a BigInt reference model written from
// RFC 9669's text (VM-ISA-3..7): every ALU operation in both widths and both source forms over
// edge-case and pseudo-random operands, every conditional jump, byte swaps, sign extension,
// loads and stores of every size, atomics, calls.

import { describe, expect, it } from 'vitest';
import { failure, r0, run, u64 } from './support.js';

const M64 = (1n << 64n) - 1n;
const M32 = 0xffff_ffffn;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);

/** Deterministic pseudo-random u64 values (xorshift64*), plus edge cases. */
function operands(n: number): bigint[] {
  const edge = [0n, 1n, 2n, 7n, M64, M64 - 1n, 1n << 63n, (1n << 63n) - 1n, 1n << 31n, (1n << 31n) - 1n, M32, 1n << 32n, 0xffff_ffff_0000_0000n, 0x8000_0000_8000_0000n, 13n, u64(-13n), 3n, u64(-3n), 64n, 65n, 31n, 33n];
  let x = 0x9e37_79b9_7f4a_7c15n;
  const out = [...edge];
  while (out.length < n) {
    x ^= x >> 12n;
    x ^= (x << 25n) & M64;
    x ^= x >> 27n;
    const v = (x * 0x2545_f491_4f6c_dd1dn) & M64;
    // mix magnitudes: full 64-bit, 32-bit, small
    out.push(out.length % 3 === 0 ? v : out.length % 3 === 1 ? v & M32 : v & 0xffn);
  }
  return out;
}

type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'mod' | 'smod' | 'xor' | 'arsh' | 'mov';

/** RFC 9669 section 4.1 semantics; a and b are the operand bit patterns (b already the source value). */
function refAlu(op: AluOp, wide: boolean, a: bigint, b: bigint): bigint {
  if (wide) {
    switch (op) {
      case 'add':
        return (a + b) & M64;
      case 'sub':
        return (a - b) & M64;
      case 'mul':
        return (a * b) & M64;
      case 'div':
        return b === 0n ? 0n : a / b;
      case 'sdiv':
        return b === 0n ? 0n : u64(s64(a) / s64(b));
      case 'mod':
        return b === 0n ? a : a % b;
      case 'smod':
        return b === 0n ? a : u64(s64(a) % s64(b));
      case 'or':
        return a | b;
      case 'and':
        return a & b;
      case 'xor':
        return a ^ b;
      case 'lsh':
        return (a << (b & 63n)) & M64;
      case 'rsh':
        return a >> (b & 63n);
      case 'arsh':
        return u64(s64(a) >> (b & 63n));
      case 'mov':
        return b;
    }
  }
  const x = a & M32;
  const y = b & M32;
  switch (op) {
    case 'add':
      return (x + y) & M32;
    case 'sub':
      return (x - y) & M32;
    case 'mul':
      return (x * y) & M32;
    case 'div':
      return y === 0n ? 0n : x / y;
    case 'sdiv':
      return y === 0n ? 0n : BigInt.asUintN(32, s32(x) / s32(y));
    case 'mod':
      return y === 0n ? x : x % y;
    case 'smod':
      return y === 0n ? x : BigInt.asUintN(32, s32(x) % s32(y));
    case 'or':
      return x | y;
    case 'and':
      return x & y;
    case 'xor':
      return x ^ y;
    case 'lsh':
      return (x << (y & 31n)) & M32;
    case 'rsh':
      return x >> (y & 31n);
    case 'arsh':
      return BigInt.asUintN(32, s32(x) >> (y & 31n));
    case 'mov':
      return y;
  }
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const ALU_OPS: AluOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'mod', 'smod', 'xor', 'arsh', 'mov'];
const VALUES = operands(40);

describe('ALU and ALU64 against the RFC 9669 reference model [VM-ISA-3]', () => {
  for (const op of ALU_OPS) {
    for (const wide of [true, false]) {
      const mn = wide ? op : `${op}32`;
      const group = op === 'mul' || op.includes('div') || op.includes('mod') ? (wide ? 'divmul64' : 'divmul32') : wide ? 'base64' : 'base32';
      it(`[VM-ISA-3, VM-GRP-1] ${mn} reg (${group})`, () => {
        for (let i = 0; i < VALUES.length; i++) {
          const a = VALUES[i]!;
          const b = VALUES[(i * 7 + 3) % VALUES.length]!;
          const got = r0(`lddw %r0, ${hex(a)}\nlddw %r1, ${hex(b)}\n${mn} %r0, %r1\nexit`);
          expect(got, `${mn} ${hex(a)}, ${hex(b)}`).toBe(refAlu(op, wide, a, b));
        }
      });
      it(`[VM-ISA-3, VM-GRP-1] ${mn} imm (${group})`, () => {
        for (let i = 0; i < VALUES.length; i++) {
          const a = VALUES[i]!;
          const imm = Number(s32(VALUES[(i * 5 + 1) % VALUES.length]!));
          // ALU64 sign-extends imm to 64 bits (also for DIV / MOD, then used unsigned); ALU uses its 32 bits.
          const b = wide ? u64(BigInt(imm)) : BigInt(imm >>> 0);
          const got = r0(`lddw %r0, ${hex(a)}\n${mn} %r0, ${imm}\nexit`);
          expect(got, `${mn} ${hex(a)}, ${imm}`).toBe(refAlu(op, wide, a, b));
        }
      });
    }
  }

  it('[VM-ISA-3] division by zero gives 0; modulo by zero keeps dst (ALU64) or its low half (ALU)', () => {
    expect(r0('lddw %r0, 0x123456789\nmov %r1, 0\ndiv %r0, %r1\nexit')).toBe(0n);
    expect(r0('lddw %r0, 0x123456789\nmov %r1, 0\nmod %r0, %r1\nexit')).toBe(0x1_2345_6789n);
    expect(r0('lddw %r0, 0x123456789\nmov %r1, 0\nmod32 %r0, %r1\nexit')).toBe(0x2345_6789n);
    expect(r0('lddw %r0, 0x123456789\nmov %r1, 0\nsmod %r0, %r1\nexit')).toBe(0x1_2345_6789n);
    expect(r0('lddw %r0, 0x123456789\nsdiv32 %r0, 0\nexit')).toBe(0n);
  });

  it('[VM-ISA-3] signed division truncates toward zero; INT_MIN / -1 wraps, INT_MIN % -1 is 0', () => {
    expect(s64(r0('mov %r0, -13\nsmod %r0, 3\nexit'))).toBe(-1n);
    expect(s64(r0('mov %r0, -13\nsdiv %r0, 3\nexit'))).toBe(-4n);
    expect(r0('lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit')).toBe(1n << 63n);
    expect(r0('lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit')).toBe(0n);
    expect(r0('mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit')).toBe(0x8000_0000n);
  });

  it('[VM-ISA-3] neg and neg32; mov32 zero-extends, mov sign-extends imm', () => {
    expect(r0('mov %r0, 5\nneg %r0\nexit')).toBe(u64(-5n));
    expect(r0('lddw %r0, 0x100000000\nneg %r0\nexit')).toBe(u64(-(1n << 32n)));
    expect(r0('mov %r0, 5\nneg32 %r0\nexit')).toBe(0xffff_fffbn);
    expect(r0('mov32 %r0, -1\nexit')).toBe(M32);
    expect(r0('mov %r0, -1\nexit')).toBe(M64);
  });
});

describe('sign-extending moves and byte swaps [VM-ISA-3, VM-ISA-4, VM-GRP-2]', () => {
  it('[VM-ISA-3] movsx 8/16/32 into 64 bits and 8/16 into 32 bits (upper half zeroed)', () => {
    expect(r0('mov %r1, 0x80\nmovsx864 %r0, %r1\nexit')).toBe(u64(-128n));
    expect(r0('mov %r1, 0x7f80\nmovsx1664 %r0, %r1\nexit')).toBe(0x7f80n);
    expect(r0('mov32 %r1, 0x80000001\nmovsx3264 %r0, %r1\nexit')).toBe(u64(-0x7fff_ffffn));
    expect(r0('mov %r1, 0xff\nmovsx832 %r0, %r1\nexit')).toBe(0xffff_ffffn);
    expect(r0('mov %r1, 0x8000\nmovsx1632 %r0, %r1\nexit')).toBe(0xffff_8000n);
  });

  const X = 0x0123_4567_89ab_cdefn;
  const rev = (v: bigint, bytes: number): bigint => {
    let out = 0n;
    for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  for (const w of [16, 32, 64]) {
    const mask = (1n << BigInt(w)) - 1n;
    it(`[VM-ISA-4] be${w} swaps, le${w} truncates, bswap${w} swaps (little-endian model)`, () => {
      expect(r0(`lddw %r0, ${hex(X)}\nbe${w} %r0\nexit`)).toBe(rev(X & mask, w / 8));
      expect(r0(`lddw %r0, ${hex(X)}\nle${w} %r0\nexit`)).toBe(X & mask);
      expect(r0(`lddw %r0, ${hex(X)}\nbswap${w} %r0\nexit`)).toBe(rev(X & mask, w / 8));
    });
  }
});

type Cond = 'jeq' | 'jne' | 'jgt' | 'jge' | 'jlt' | 'jle' | 'jsgt' | 'jsge' | 'jslt' | 'jsle' | 'jset';
function refCond(c: Cond, wide: boolean, a: bigint, b: bigint): boolean {
  const [ua, ub] = wide ? [a, b] : [a & M32, b & M32];
  const [sa, sb] = wide ? [s64(a), s64(b)] : [s32(a), s32(b)];
  switch (c) {
    case 'jeq':
      return ua === ub;
    case 'jne':
      return ua !== ub;
    case 'jgt':
      return ua > ub;
    case 'jge':
      return ua >= ub;
    case 'jlt':
      return ua < ub;
    case 'jle':
      return ua <= ub;
    case 'jsgt':
      return sa > sb;
    case 'jsge':
      return sa >= sb;
    case 'jslt':
      return sa < sb;
    case 'jsle':
      return sa <= sb;
    case 'jset':
      return (ua & ub) !== 0n;
  }
}

describe('conditional jumps against the reference model [VM-ISA-5]', () => {
  const conds: Cond[] = ['jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle', 'jset'];
  const vals = [0n, 1n, M64, 1n << 63n, (1n << 63n) - 1n, M32, 1n << 31n, 0x1_0000_0001n, 5n, u64(-5n)];
  for (const c of conds) {
    for (const wide of [true, false]) {
      const mn = wide ? c : `${c}32`;
      it(`[VM-ISA-5] ${mn} reg and imm`, () => {
        for (const a of vals) {
          for (const b of vals) {
            const prog = (rhs: string): string => `lddw %r1, ${hex(a)}\nlddw %r2, ${hex(b)}\nmov %r0, 1\n${mn} %r1, ${rhs}, taken\nmov %r0, 0\ntaken:\nexit`;
            expect(r0(prog('%r2')), `${mn} ${hex(a)}, ${hex(b)}`).toBe(refCond(c, wide, a, b) ? 1n : 0n);
            const imm = s32(b);
            const bk = wide ? u64(imm) : b; // imm sign-extended for 64-bit compares
            expect(r0(prog(String(imm))), `${mn} ${hex(a)}, ${imm}`).toBe(refCond(c, wide, a, bk) ? 1n : 0n);
          }
        }
      });
    }
  }

  it('[VM-ISA-5] ja uses off, ja32 (gotol) uses imm; backward jumps loop', () => {
    expect(r0('mov %r0, 1\nja +1\nmov %r0, 2\nexit')).toBe(1n);
    expect(r0('mov %r0, 1\nja32 +1\nmov %r0, 2\nexit')).toBe(1n);
    expect(r0('mov %r0, 0\nmov %r1, 10\nloop:\nadd %r0, 3\nsub %r1, 1\njne %r1, 0, loop\nexit')).toBe(30n);
  });
});

describe('ld_imm64 [VM-ISA-8]', () => {
  it('[VM-ISA-8] src_reg 0 loads (next_imm << 32) | imm', () => {
    expect(r0('lddw %r0, 0x1122334455667788\nexit')).toBe(0x1122_3344_5566_7788n);
    expect(r0('lddw %r0, -2\nexit')).toBe(u64(-2n));
  });
});

describe('loads and stores [VM-ISA-6]', () => {
  const mem = (): Uint8Array => Uint8Array.from([0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0, 0, 0, 0, 0, 0, 0, 0]);
  it('[VM-ISA-6] ldx b/h/w/dw zero-extend, little-endian', () => {
    expect(r0('ldxb %r0, [%r1+1]\nexit', mem())).toBe(0x82n);
    expect(r0('ldxh %r0, [%r1+1]\nexit', mem())).toBe(0x8382n);
    expect(r0('ldxw %r0, [%r1+1]\nexit', mem())).toBe(0x8584_8382n);
    expect(r0('ldxdw %r0, [%r1]\nexit', mem())).toBe(0x8887_8685_8483_8281n);
  });
  it('[VM-ISA-6, VM-GRP-2] ldxs b/h/w sign-extend (v4 MEMSX)', () => {
    expect(r0('ldxsb %r0, [%r1]\nexit', mem())).toBe(u64(-127n));
    expect(r0('ldxsh %r0, [%r1]\nexit', mem())).toBe(u64(BigInt(0x8281 - 0x10000)));
    expect(r0('ldxsw %r0, [%r1]\nexit', mem())).toBe(u64(BigInt(0x8483_8281) - (1n << 32n)));
    expect(r0('ldxsb %r0, [%r1+8]\nexit', mem())).toBe(0n);
  });
  it('[VM-ISA-6] st and stx of every size write exactly their bytes', () => {
    const a = run('stb [%r1+8], 0x11\nsth [%r1+9], 0x2233\nstw [%r1+11], -1\nmov %r2, 0x44\nstxb [%r1+15], %r2\nmov %r0, 0\nexit', { mem: mem() });
    expect(a.result.ok).toBe(true);
    expect([...a.mem!.subarray(8)]).toEqual([0x11, 0x33, 0x22, 0xff, 0xff, 0xff, 0xff, 0x44]);
    const b = run('stdw [%r1+8], -2\nlddw %r2, 0x0102030405060708\nstxdw [%r1], %r2\nmov %r0, 0\nexit', { mem: mem() });
    expect([...b.mem!]).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });
  it('[VM-EXEC-1] the stack is 512 bytes below r10 and holds values between instructions', () => {
    expect(r0('stdw [%r10-512], 7\nstdw [%r10-8], 9\nldxdw %r0, [%r10-512]\nldxdw %r1, [%r10-8]\nadd %r0, %r1\nexit')).toBe(16n);
  });
});

describe('atomics [VM-ISA-7, VM-GRP-1 atomic32/atomic64]', () => {
  const ops = [
    ['add', (a: bigint, b: bigint) => a + b],
    ['or', (a: bigint, b: bigint) => a | b],
    ['and', (a: bigint, b: bigint) => a & b],
    ['xor', (a: bigint, b: bigint) => a ^ b],
  ] as const;
  const A = 0xf0f0_f0f0_ffff_fff0n;
  const B = 0x0f0f_0f0f_0000_0031n;
  for (const [name, f] of ops) {
    for (const wide of [true, false]) {
      const suffix = wide ? '' : '32';
      const mask = wide ? M64 : M32;
      it(`[VM-ISA-7] lock ${name}${suffix} and lock fetch ${name}${suffix}`, () => {
        // memory after the operation, without fetch; src keeps its value
        const plain = `lddw %r2, ${hex(A)}\nstxdw [%r10-8], %r2\nlddw %r1, ${hex(B)}\nlock ${name}${suffix} [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit`;
        const expectMem = wide ? f(A, B) & M64 : (A & ~M32) | (f(A & M32, B & M32) & M32);
        expect(r0(plain)).toBe(expectMem);
        // with fetch: src receives the old value (zero-extended for 32 bits)
        const fetch = `lddw %r2, ${hex(A)}\nstxdw [%r10-8], %r2\nlddw %r1, ${hex(B)}\nlock fetch ${name}${suffix} [%r10-8], %r1\nmov %r0, %r1\nexit`;
        expect(r0(fetch)).toBe(A & mask);
      });
    }
  }
  it('[VM-ISA-7] xchg and xchg32 swap; cmpxchg stores only on match and always loads r0', () => {
    expect(r0('lddw %r2, 0x1111111122222222\nstxdw [%r10-8], %r2\nmov %r1, 5\nlock xchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nadd %r0, %r1\nexit')).toBe(0x1111_1111_2222_2227n);
    expect(r0('lddw %r2, 0x1111111122222222\nstxdw [%r10-8], %r2\nmov %r1, 5\nlock xchg32 [%r10-8], %r1\nmov %r0, %r1\nexit')).toBe(0x2222_2222n);
    // match: memory gets src, r0 gets old
    expect(r0('mov %r2, 9\nstxdw [%r10-8], %r2\nmov %r0, 9\nmov %r1, 4\nlock cmpxchg [%r10-8], %r1\nldxdw %r3, [%r10-8]\nlsh %r0, 8\nor %r0, %r3\nexit')).toBe(0x904n);
    // no match: memory unchanged, r0 gets old
    expect(r0('mov %r2, 9\nstxdw [%r10-8], %r2\nmov %r0, 8\nmov %r1, 4\nlock cmpxchg [%r10-8], %r1\nldxdw %r3, [%r10-8]\nlsh %r0, 8\nor %r0, %r3\nexit')).toBe(0x909n);
    // 32-bit: compares w0 only, old value zero-extended into r0
    expect(r0('lddw %r2, 0xaaaaaaaa00000009\nstxdw [%r10-8], %r2\nlddw %r0, 0x7700000009\nmov %r1, 4\nlock cmpxchg32 [%r10-8], %r1\nldxdw %r3, [%r10-8]\nadd %r0, %r3\nexit')).toBe(0xaaaa_aaaa_0000_0004n + 9n);
  });
});

describe('calls [VM-ISA-5, VM-ISA-9, VM-EXEC-2, VM-EXEC-3, VM-GRP-2]', () => {
  it('[VM-EXEC-3] call local passes r1-r5, returns r0, preserves r6-r9 and r10, gives the callee its own stack', () => {
    const src = `
      mov %r1, 1
      mov %r2, 2
      mov %r6, 6
      mov %r9, 9
      stdw [%r10-8], 77
      mov %r7, %r10
      call local f
      ldxdw %r3, [%r10-8]
      jne %r3, 77, bad
      jne %r6, 6, bad
      jne %r9, 9, bad
      jne %r7, %r10, bad
      exit
    bad:
      mov %r0, -1
      exit
    f:
      stdw [%r10-8], 55
      mov %r6, 0
      mov %r9, 0
      mov %r0, %r1
      add %r0, %r2
      exit`;
    expect(r0(src)).toBe(3n);
  });
  it('[VM-ISA-9] eight call frames (the program and seven nested callees) are allowed (MAX_CALL_FRAMES)', () => {
    const chain = Array.from({ length: 6 }, (_, i) => `f${i}:\ncall local f${i + 1}\nadd %r0, 1\nexit`).join('\n');
    expect(r0(`mov %r0, 0\ncall local f0\nexit\n${chain}\nf6:\nmov %r0, 100\nexit`)).toBe(106n);
  });
  it('[VM-EXEC-2] helper ids 0-5 with uBPF semantics: gather_bytes, memfrob, no_op, sqrti, strcmp_ext', () => {
    expect(r0('mov %r1, 0x101\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 0\nexit')).toBe(0x01_0203_0405n);
    const frob = run('mov %r2, 3\ncall 1\nmov %r0, 0\nexit', { mem: Uint8Array.from([1, 2, 3, 4]) });
    expect([...frob.mem!]).toEqual([1 ^ 42, 2 ^ 42, 3 ^ 42, 4]);
    expect(r0('mov %r0, 9\ncall 2\nexit')).toBe(0n);
    expect(r0('lddw %r1, 1000001\ncall 3\nexit')).toBe(1000n);
    const strs = Uint8Array.from([...Buffer.from('abc\0abd\0abc\0')]);
    expect(s64(r0('mov %r6, %r1\nadd %r2, 4\nmov %r2, %r6\nadd %r2, 4\ncall 4\nexit', strs))).toBe(-1n);
    expect(r0('mov %r6, %r1\nmov %r2, %r6\nadd %r2, 8\ncall 4\nexit', strs)).toBe(0n);
  });
  it('[VM-EXEC-2] unwind (helper 5) returning 0 stops the whole program with r0 = 0', () => {
    expect(r0('mov %r1, 0\ncall 5\nmov %r0, 2\nexit')).toBe(0n);
    expect(r0('mov %r1, 7\ncall 5\nmov %r0, 2\nexit')).toBe(2n);
    expect(r0('mov %r0, 1\ncall local f\nmov %r0, 2\nexit\nf:\nmov %r1, 0\ncall 5\nexit')).toBe(0n);
  });
  it('[VM-GRP-2] callx: the helper id is the value of the register named in dst', () => {
    expect(r0('mov %r6, 3\nlddw %r1, 144\ncall %r6\nexit')).toBe(12n);
  });
  it('[VM-ISA-5] exit returns r0 from the top frame', () => {
    expect(r0('lddw %r0, 0xdeadbeefcafe\nexit\nmov %r0, 1\nexit')).toBe(0xdead_beef_cafen);
    expect(failure('mov %r0, 1\ncall 99\nexit').kind).toBe('unknown_helper');
  });
});
