// Decoding: the kernel verifier's per-instruction structural checks (reserved fields, opcode
// table, registers, ld_imm64 pairs, jump targets) and load-time resolution of the pseudo
// ld_imm64 forms and kfunc calls.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeShared, SHARED } from '../support/shared.js';
import { assemble } from '../../src/vm/asm.js';
import { decodeProgram, type LdImm64Query } from '../../src/vm/decode.js';
import { HelperTable, conformanceHelperTable, type HelperCallEvent } from '../../src/vm/helpers.js';
import { encodeInsns, insn, parseInsns, type BpfInsn } from '../../src/vm/insn.js';
import { runProgram } from '../../src/vm/interpreter.js';
import { Errno } from '../../src/syscall/errno.js';
import { AddressSpace } from '../../src/syscall/memory.js';

const EXIT = insn(0x95);
const decodeMsg = (insns: BpfInsn[], allowCallx = false): string | undefined => {
  const d = decodeProgram(insns, { allowCallx });
  return d.ok ? undefined : d.error.message;
};

describe('structural checks: reserved fields must be zero [VM-ISA-1, VM-LDR-5]', () => {
  const cases: [string, BpfInsn, string][] = [
    ['add64 imm with src', insn(0x07, 0, 1, 0, 1), 'BPF_ALU uses reserved fields'],
    ['add64 reg with imm', insn(0x0f, 0, 1, 0, 1), 'BPF_ALU uses reserved fields'],
    ['add32 imm with off', insn(0x04, 0, 0, 1, 1), 'BPF_ALU uses reserved fields'],
    ['div64 with off 2', insn(0x37, 0, 0, 2, 1), 'BPF_ALU uses reserved fields'],
    ['mov64 imm with off', insn(0xb7, 0, 0, 1, 1), 'BPF_MOV uses reserved fields'],
    ['mov32 reg with off 32 (movsx32 is ALU64 only)', insn(0xbc, 0, 1, 32, 0), 'BPF_MOV uses reserved fields'],
    ['neg with imm', insn(0x87, 0, 0, 0, 1), 'BPF_NEG uses reserved fields'],
    ['be16 with src', insn(0xdc, 0, 1, 0, 16), 'BPF_END uses reserved fields'],
    ['le with width 8', insn(0xd4, 0, 0, 0, 8), 'BPF_END uses reserved fields'],
    ['ja with imm', insn(0x05, 0, 0, 0, 1), 'BPF_JA uses reserved fields'],
    ['ja32 with off', insn(0x06, 0, 0, 1, 0), 'BPF_JA uses reserved fields'],
    ['jeq imm with src', insn(0x15, 0, 1, 0, 0), 'BPF_JMP/JMP32 uses reserved fields'],
    ['call with dst', insn(0x85, 1, 0, 0, 1), 'BPF_CALL uses reserved fields'],
    ['call with src 3', insn(0x85, 0, 3, 0, 1), 'BPF_CALL uses reserved fields'],
    ['exit with imm', insn(0x95, 0, 0, 0, 1), 'BPF_EXIT uses reserved fields'],
    ['exit32 (JMP32 has no exit)', insn(0x96), 'unknown opcode 96'],
    ['ldxw with imm', insn(0x61, 0, 10, -4, 1), 'BPF_LDX uses reserved fields'],
    ['stw with src', insn(0x62, 10, 1, -4, 0), 'BPF_ST uses reserved fields'],
    ['stxw with imm', insn(0x63, 10, 0, -4, 1), 'BPF_STX uses reserved fields'],
  ];
  for (const [name, i, msg] of cases) {
    it(`[VM-ISA-1] ${name}: ${msg}`, () => {
      expect(decodeMsg([i, EXIT])).toBe(msg);
      const d = decodeProgram([i, EXIT]);
      expect(!d.ok && d.error).toMatchObject({ pc: 0, errno: -Errno.EINVAL });
    });
  }

  it('[VM-ISA-2] opcodes outside the instruction set are rejected by number', () => {
    expect(decodeMsg([insn(0x00), EXIT])).toBe('unknown opcode 00');
    expect(decodeMsg([insn(0x8c, 0, 1), EXIT])).toBe('unknown opcode 8c'); // neg with X
    expect(decodeMsg([insn(0xdf, 0, 0, 0, 16), EXIT])).toBe('unknown opcode df');
    expect(decodeMsg([insn(0x99, 0, 1), EXIT])).toBe('unknown opcode 99'); // ldxsdw does not exist
    expect(decodeMsg([insn(0xe5), EXIT])).toBe('unknown opcode e5'); // may_goto is not RFC 9669
  });

  it('[VM-ISA-7] atomics accept only the RFC operations', () => {
    expect(decodeMsg([insn(0xdb, 10, 1, -8, 0x02), EXIT])).toBe('BPF_ATOMIC uses invalid atomic opcode 02');
    expect(decodeMsg([insn(0xdb, 10, 1, -8, 0xe0), EXIT])).toBe('BPF_ATOMIC uses invalid atomic opcode e0');
    expect(decodeMsg([insn(0xd3, 10, 1, -8, 0x00), EXIT])).toBe('unknown opcode d3'); // 8-bit atomic
  });

  it('[VM-ISA-9] registers above r10 are invalid; r10 cannot be written', () => {
    expect(decodeMsg([insn(0xb7, 11, 0, 0, 1), EXIT])).toBe('R11 is invalid');
    expect(decodeMsg([insn(0xbf, 0, 12), EXIT])).toBe('R12 is invalid');
    expect(decodeMsg([insn(0x07, 10, 0, 0, 8), EXIT])).toBe('frame pointer is read only');
    expect(decodeMsg([insn(0x79, 10, 1), EXIT])).toBe('frame pointer is read only');
    expect(decodeMsg([insn(0xdb, 1, 10, 0, 0xe1), EXIT])).toBe('frame pointer is read only');
    expect(decodeMsg([insn(0xbf, 1, 10), EXIT])).toBeUndefined(); // reading r10 is fine
  });

  it('[VM-ISA-8, UAPI-LAYOUT-8] ld_imm64 needs a clean second slot and a known src_reg', () => {
    expect(decodeMsg([insn(0x18, 0, 0, 0, 1)])).toBe('invalid bpf_ld_imm64 insn');
    expect(decodeMsg([insn(0x18, 0, 0, 0, 1), insn(0, 1, 0, 0, 0), EXIT])).toBe('invalid bpf_ld_imm64 insn');
    expect(decodeMsg([insn(0x18, 0, 0, 1, 1), insn(0), EXIT])).toBe('BPF_LD_IMM64 uses reserved fields');
    expect(decodeMsg([insn(0x18, 0, 7, 0, 1), insn(0), EXIT])).toBe('unrecognized bpf_ld_imm64 insn');
  });

  it('[VM-ISA-5] jumps must stay inside the program and not land inside an ld_imm64', () => {
    expect(decodeMsg([insn(0x05, 0, 0, 5), EXIT])).toBe('jump out of range from insn 0 to 6');
    expect(decodeMsg([insn(0x05, 0, 0, -2), EXIT])).toBe('jump out of range from insn 0 to -1');
    expect(decodeMsg([insn(0x05, 0, 0, 1), insn(0x18, 0, 0, 0, 1), insn(0), EXIT])).toBe('jump into the middle of ldimm64 insn 1');
    expect(decodeMsg([insn(0x85, 0, 1, 0, 5), EXIT])).toBe('call to invalid destination: insn 0 calls 6');
    expect(decodeMsg([insn(0xb7, 0, 0, 0, 1)])).toBe('last insn is not an exit or jmp');
    expect(decodeMsg([])).toBe('empty program');
  });

  it('[VM-GRP-2] callx (call %rN) is a bpf_conformance extension: rejected by default, accepted on request', () => {
    const callx = insn(0x8d, 2, 0, 0, 0);
    expect(decodeMsg([callx, EXIT])).toBe('unknown opcode 8d');
    expect(decodeMsg([callx, EXIT], true)).toBeUndefined();
    expect(decodeMsg([insn(0x8d, 2, 0, 0, 1), EXIT], true)).toBe('BPF_CALL uses reserved fields');
  });

  it('[VM-ISA-1] exit with a non-zero offset: accepted like the kernel verifier does, rejected in RFC mode', () => {
    expect(decodeMsg([insn(0x95, 0, 0, 1, 0)])).toBeUndefined();
    const d = decodeProgram([insn(0x95, 0, 0, 1, 0)], { rfcUnusedFields: true });
    expect(!d.ok && d.error.message).toBe('BPF_EXIT uses reserved fields');
  });

  it('[VM-GRP-1] the legacy packet group (LD_ABS / LD_IND) is not modelled and says so', () => {
    expect(decodeMsg([insn(0x20, 0, 0, 0, 12), EXIT])).toBe('BPF_LD_[ABS|IND] (legacy packet access, opcode 20) is not supported');
  });

  it('[UAPI-LAYOUT-8] byte input must be whole instructions', () => {
    const d = decodeProgram(new Uint8Array(12));
    expect(!d.ok && d.error.message).toBe('program size 12 is not a multiple of 8');
  });
});

describe('pseudo ld_imm64 and kfunc resolution at decode time [VM-ISA-8, VM-LDR-3, UAPI-CONST-4]', () => {
  const prog = (src: number, imm: number, next: number): BpfInsn[] => [insn(0x18, 1, src, 0, imm), insn(0, 0, 0, 0, next), insn(0xbf, 0, 1), EXIT];

  it('[VM-LDR-3] the resolver gets pc, kind, imm and next_imm; its value lands in dst', () => {
    const seen: LdImm64Query[] = [];
    const d = decodeProgram(prog(6, 0, 1280), {
      resolveLdImm64: (q) => {
        seen.push(q);
        return 0xffff_8881_0000_2000n + BigInt(q.nextImm);
      },
    });
    expect(seen).toEqual([{ pc: 0, srcReg: 6, dst: 1, imm: 0, nextImm: 1280 }]);
    if (!d.ok) throw new Error(d.error.message);
    const r = runProgram(d.program, { memory: AddressSpace.kernelSpace(), helpers: conformanceHelperTable() });
    expect(r).toMatchObject({ ok: true, r0: 0xffff_8881_0000_2500n });
  });

  it('[VM-LDR-3] a resolver error rejects the load with its errno; without a resolver pseudo forms are rejected', () => {
    const d = decodeProgram(prog(1, 42, 0), { resolveLdImm64: (q) => ({ error: `fd ${q.imm} is not pointing to valid bpf_map`, errno: -Errno.EBADF }) });
    expect(!d.ok && d.error).toEqual({ pc: 0, message: 'fd 42 is not pointing to valid bpf_map', errno: -Errno.EBADF });
    const n = decodeProgram(prog(5, 0, 0));
    expect(!n.ok && n.error.message).toBe('ld_imm64 BPF_PSEUDO_MAP_IDX needs a resolver (none given)');
    // src_reg 0 needs none
    expect(decodeProgram(prog(0, 1, 2)).ok).toBe(true);
  });

  it('[UAPI-CONST-4] a bound kfunc is called like a helper, and the observer sees it as a kfunc', () => {
    const events: HelperCallEvent[] = [];
    const d = decodeProgram<unknown>(assemble('mov %r1, 20\nmov %r2, 22\ncall runtime 9001\nexit'), {
      resolveKfunc: (q) =>
        q.btfId === 9001
          ? {
              proto: { id: 9001, name: 'bpf_test_add', args: [{ name: 'a', kind: 'int' }, { name: 'b', kind: 'int' }], ret: 'int' },
              impl: ({ args: [a, b] }) => a + b,
            }
          : { error: `kfunc ${q.btfId} not found` },
    });
    if (!d.ok) throw new Error(d.error.message);
    const r = runProgram(d.program, {
      memory: AddressSpace.kernelSpace(),
      helpers: new HelperTable('kernel'),
      observer: { before: (e) => events.push(e) },
    });
    expect(r).toMatchObject({ ok: true, r0: 42n });
    expect(events.map((e) => [e.via, e.proto.name, e.pc])).toEqual([['kfunc', 'bpf_test_add', 2]]);
    const bad = decodeProgram<unknown>(assemble('call runtime 7\nexit'), { resolveKfunc: () => ({ error: 'no such kfunc', errno: -Errno.EACCES }) });
    expect(!bad.ok && bad.error).toEqual({ pc: 0, message: 'no such kfunc', errno: -Errno.EACCES });
  });
});

/** The bytes of a negative/unused-*.data file's `-- raw` lines, read as 8 hex bytes per instruction. */
function rawBytes(text: string): Uint8Array {
  const section = text.split('-- raw')[1]!.split('--')[0]!;
  const bytes = section
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join(' ')
    .trim()
    .split(/\s+/)
    .map((t) => parseInt(t, 16));
  return Uint8Array.from(bytes);
}

const EXPECTED_BY_PREFIX: [RegExp, string][] = [
  [/^unused-(add|add64)_/, 'BPF_ALU uses reserved fields'],
  [/^unused-(mov|mov64)_/, 'BPF_MOV uses reserved fields'],
  [/^unused-neg/, 'BPF_NEG uses reserved fields'],
  [/^unused-(be|le)16/, 'BPF_END uses reserved fields'],
  [/^unused-call/, 'BPF_CALL uses reserved fields'],
  [/^unused-exit/, 'BPF_EXIT uses reserved fields'],
  [/^unused-ja-/, 'BPF_JA uses reserved fields'],
  [/^unused-j(eq|gt)_/, 'BPF_JMP/JMP32 uses reserved fields'],
  [/^unused-ldx/, 'BPF_LDX uses reserved fields'],
  [/^unused-stx/, 'BPF_STX uses reserved fields'],
  [/^unused-st(w|dw)-/, 'BPF_ST uses reserved fields'],
];

describeShared('negative/unused-*.data: the decoder rejects non-zero unused fields [VM-ISA-1, VM-CONF-1]', () => {
  const dir = SHARED ? join(SHARED, 'conformance', 'negative') : '';
  const files = SHARED ? readdirSync(dir).filter((f) => f.startsWith('unused-')).sort() : [];
  it('there are 45 such files', () => {
    expect(files.length).toBe(45);
  });
  for (const f of files) {
    it(`[VM-ISA-1] ${f}`, () => {
      const bytes = rawBytes(readFileSync(join(dir, f), 'utf8'));
      expect(bytes.length).toBe(16);
      // rfcUnusedFields: exit's offset is unused in RFC 9669, yet the kernel verifier does not check it.
      const d = decodeProgram(bytes, { rfcUnusedFields: true });
      const expected = EXPECTED_BY_PREFIX.find(([re]) => re.test(f))?.[1];
      expect(expected, `no expectation for ${f}`).toBeDefined();
      expect(!d.ok && d.error).toMatchObject({ pc: 0, message: expected, errno: -Errno.EINVAL });
      // The file name says which field is set: clearing that one field makes the program valid.
      const field = /-(offset|src|dst|imm)\.data$/.exec(f)?.[1];
      const [first, second] = parseInsns(bytes) as [BpfInsn, BpfInsn];
      const cleared = insn(
        first.code,
        field === 'dst' ? 0 : first.dst,
        field === 'src' ? 0 : first.src,
        field === 'offset' ? 0 : first.off,
        field === 'imm' ? 0 : first.imm,
      );
      const fixed = decodeProgram(encodeInsns([cleared, second]));
      expect(fixed.ok, f).toBe(true);
    });
  }
});
