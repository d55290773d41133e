// The assembler for the bpf_conformance dialect: encodings, labels, operand ranges, errors, and the
// negative/ files that test the assembler.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeShared, SHARED } from '../support/shared.js';
import { AsmError, assemble } from '../../src/vm/asm.js';
import { parseConformanceData } from '../../src/vm/conformance.js';
import { encodeInsns } from '../../src/vm/insn.js';

const bytes = (src: string): string => Buffer.from(encodeInsns(assemble(src))).toString('hex');

describe('encodings [VM-ASM-1, VM-ASM-2, VM-ISA-1..8]', () => {
  const cases: [string, string][] = [
    ['add %r1, 2', '0701000002000000'],
    ['add32 %r1, %r2', '0c21000000000000'],
    ['sub %r3, -1', '17030000ffffffff'],
    ['mul32 %r0, 0x80000000', '2400000000000080'],
    ['sdiv %r0, %r1', '3f10010000000000'],
    ['smod32 %r0, -3', '94000100fdffffff'],
    ['neg %r5', '8705000000000000'],
    ['neg32 %r5', '8405000000000000'],
    ['mov %r0, %r10', 'bfa0000000000000'],
    ['mov32 %r0, 0xffffffff', 'b4000000ffffffff'],
    ['movsx832 %r2, %r1', 'bc12080000000000'],
    ['movsx3264 %r0, %r9', 'bf90200000000000'],
    ['arsh32 %r0, 48', 'c400000030000000'],
    ['be16 %r0', 'dc00000010000000'],
    ['le64 %r0', 'd400000040000000'],
    ['bswap32 %r0', 'd700000020000000'],
    ['swap64 %r0', 'd700000040000000'],
    ['ldxb %r0, [%r1+0x2]', '7110020000000000'],
    ['ldxdw %r0, [%r10-8]', '79a0f8ff00000000'],
    ['ldxsh %r0, [%r1]', '8910000000000000'],
    ['stw [%r10-4], 0x11223344', '620afcff44332211'],
    ['stxdw [%r1+8], %r2', '7b21080000000000'],
    ['lock add [%r10-8], %r1', 'db1af8ff00000000'],
    ['lock fetch xor32 [%r10-8], %r1', 'c31af8ffa1000000'],
    ['lock xchg [%r10-8], %r1', 'db1af8ffe1000000'],
    ['lock cmpxchg32 [%r10-8], %r1', 'c31af8fff1000000'],
    ['jeq %r1, 5, +2', '1501020005000000'],
    ['jsle32 %r1, %r2, -1', 'de21ffff00000000'],
    ['ja +0', '0500000000000000'],
    ['ja32 -1', '06000000ffffffff'],
    ['call 5', '8500000005000000'],
    ['call %r2', '8d02000000000000'],
    ['exit', '9500000000000000'],
    ['lddw %r0, 0x1122334455667788', '1800000088776655' + '0000000044332211'],
    ['lddw %r1, -1', '18010000ffffffff' + '00000000ffffffff'],
  ];
  for (const [src, hex] of cases) {
    it(`[VM-ASM-1] ${src}`, () => expect(bytes(src)).toBe(hex));
  }

  it('[VM-ASM-1] labels give relative offsets (off for jumps, imm for ja32 and call local)', () => {
    const insns = assemble('top:\nja end\nja32 top\ncall local top\njne %r1, 0, top\nend:\nexit');
    expect(insns.map((i) => [i.off, i.imm])).toEqual([
      [3, 0],
      [0, -2],
      [0, -3],
      [-4, 0],
      [0, 0],
    ]);
  });

  it('[VM-ASM-1] the first exit is also a label named exit (bpf_conformance dialect)', () => {
    const insns = assemble('ja exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit');
    expect(insns[0]!.off).toBe(1);
  });

  it('[VM-DATA-1] comments and blank lines are ignored', () => {
    expect(assemble('# c\n\n  mov %r0, 1 # one\n\nexit\n').length).toBe(2);
  });
});

describe('errors name the problem and the line [VM-ASM-1, VM-ASM-2]', () => {
  const err = (src: string): AsmError => {
    try {
      assemble(src);
    } catch (e) {
      if (e instanceof AsmError) return e;
      throw e;
    }
    throw new Error(`assembled: ${src}`);
  };
  it('unknown mnemonic, register, operand counts', () => {
    expect(err('exit\nldxq %r0, %r1').message).toBe('Invalid mnemonic: ldxq');
    expect(err('exit\nldxq %r0, %r1').line).toBe(2);
    expect(err('or %r0, %r50').message).toBe('Invalid register: %r50');
    expect(err('add %r0').message).toBe('Invalid number of operands for mnemonic: add');
    expect(err('add64 %r0, 1').message).toBe('Invalid mnemonic: add64');
    expect(err('lock').message).toBe('Invalid number of operands for lock');
    expect(err('lock nand [%r10-8], %r1').message).toBe('Invalid mnemonic: lock nand');
    expect(err('call bogus 1').message).toBe('Invalid call mode: bogus');
  });
  it('immediates and offsets must fit their fields', () => {
    expect(err('mov32 %r0, 2147483648').message).toBe('Immediate out of 32-bit range: 2147483648');
    expect(err('mov32 %r0, -2147483649').message).toBe('Immediate out of 32-bit range: -2147483649');
    expect(err('mov32 %r0, 0x100000000').message).toBe('Immediate out of 32-bit range: 0x100000000');
    expect(err('ldxb %r0, [%r1+0x10000]').message).toBe('Offset out of 16-bit range: +0x10000');
    expect(err('ldxb %r0, [%r1+32768]').message).toBe('Offset out of 16-bit range: +32768');
    expect(err('ldxb %r0, %r1').message).toBe('Failed to decode register and offset: %r1');
    expect(err('mov %r0, 1x').message).toBe('Invalid immediate: 1x');
  });
  it('labels must exist and be unique', () => {
    expect(err('ja nowhere\nexit').message).toBe('Invalid label: nowhere');
    expect(err('a:\na:\nexit').message).toMatch(/^Duplicate label \(a\)/);
  });
  it('%r11-%r15 assemble (the decoder rejects them), as in bpf_conformance', () => {
    expect(assemble('mov %r11, 1')[0]!.dst).toBe(11);
  });
});

describeShared('negative/ files that test the assembler [VM-CONF-1, VM-ASM-1]', () => {
  const dir = SHARED ? join(SHARED, 'conformance', 'negative') : '';
  const asmOf = (f: string): string => {
    const p = parseConformanceData(readFileSync(join(dir, f), 'utf8'));
    if (!p.ok) throw new Error(p.skip);
    return p.data.asm;
  };
  const expectations: [string, string][] = [
    ['invalid_imm32_dec_range.data', 'Immediate out of 32-bit range: 2147483648'],
    ['invalid_imm32_hex_range.data', 'Immediate out of 32-bit range: 0x100000000'],
    ['invalid_label.data', 'Invalid label: NOT_A_LABEL'],
    ['invalid_mnemonic.data', 'Invalid mnemonic: ldxq'],
    ['invalid_offset.data', 'Failed to decode register and offset: %r1'],
    ['invalid_offset_range.data', 'Offset out of 16-bit range: +0x10000'],
    ['invalid_operand_count.data', 'Invalid number of operands for mnemonic: lddw'],
  ];
  for (const [f, msg] of expectations) {
    it(`[VM-ASM-2] ${f}: ${msg}`, () => {
      expect(() => assemble(asmOf(f))).toThrow(msg);
    });
  }
  // These files carry their expected text in `-- error`.
  for (const f of ['invalid_lock.data', 'invalid_lock2.data', 'invalid_register.data']) {
    it(`[VM-ASM-1] ${f}: the assembler error starts with the file's -- error text`, () => {
      const p = parseConformanceData(readFileSync(join(dir, f), 'utf8'));
      if (!p.ok) throw new Error(p.skip);
      expect(p.data.error).toBeDefined();
      let message = '';
      try {
        assemble(p.data.asm);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message.startsWith(p.data.error!), `${message} vs ${p.data.error}`).toBe(true);
    });
  }
});

describeShared('the suite\'s -- raw words match its -- asm [VM-DATA-3]', () => {
  it('[VM-DATA-3] lddw.data: assembling the asm gives exactly the raw words', () => {
    const p = parseConformanceData(readFileSync(join(SHARED!, 'conformance', 'tests', 'lddw.data'), 'utf8'));
    if (!p.ok) throw new Error(p.skip);
    expect(p.data.raw.length).toBe(3);
    const ours = encodeInsns(assemble(p.data.asm));
    const view = new DataView(ours.buffer);
    expect(p.data.raw).toEqual([0, 1, 2].map((i) => view.getBigUint64(i * 8, true)));
  });
});
