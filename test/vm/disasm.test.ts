// The disassembler against llvm-objdump: the stored `llvm-objdump-14 -d` listings of the fixture
// objects, a live llvm-objdump run, and llvm-mc over every encoding LLVM 14 can decode; plus the
// forms LLVM 14 cannot print (v4, pseudo ld_imm64) and the full light-skeleton loader.

import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeShared, fixturePath, readFixture, SHARED } from '../support/shared.js';
import { assemble } from '../../src/vm/asm.js';
import { disasmInsn, disassemble, formatDisassembly } from '../../src/vm/disasm.js';
import { KERNEL_HELPER_PROTOS } from '../../src/vm/helpers.js';
import { encodeInsns, insn, parseInsns, type BpfInsn } from '../../src/vm/insn.js';

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const OBJDUMP = ['llvm-objdump-14', 'llvm-objdump'].find(has);
const LLVM_MC = ['llvm-mc-14'].find(has);

// ---- a minimal reading of ELF section contents and symbols (test side only) ----
interface ElfSection {
  name: string;
  type: string | number;
  data: Buffer;
}
const elfy = createRequire(import.meta.url)('elfy') as { parse(b: Buffer): { body: { sections: ElfSection[] } } };

interface CodeSection {
  name: string;
  insns: BpfInsn[];
  labels: Map<number, string>;
}

/** Executable sections of a BPF object with the symbol names at each instruction (from .symtab). */
function codeSections(path: string): CodeSection[] {
  const sections = elfy.parse(readFileSync(path)).body.sections;
  const symtab = sections.find((s) => s.type === 'symtab')!;
  const strtab = sections.find((s) => s.name === '.strtab')!;
  const out: CodeSection[] = [];
  sections.forEach((s, index) => {
    if (s.type !== 'progbits' || s.data.length === 0 || s.data.length % 8 !== 0) return;
    if (!(s.name === '.text' || s.name.includes('/') || s.name === 'socket')) return;
    const labels = new Map<number, string>();
    for (let p = 0; p + 24 <= symtab.data.length; p += 24) {
      const shndx = symtab.data.readUInt16LE(p + 6);
      if (shndx !== index) continue;
      const type = symtab.data[p + 4]! & 0xf; // STT_NOTYPE 0, STT_FUNC 2, STT_SECTION 3
      if (type === 3) continue;
      const nameOff = symtab.data.readUInt32LE(p);
      const name = strtab.data.toString('latin1', nameOff, strtab.data.indexOf(0, nameOff));
      const pc = Number(symtab.data.readBigUInt64LE(p + 8)) / 8;
      if (!labels.has(pc) || type === 0) labels.set(pc, name); // prefer local labels (LBB...)
    }
    out.push({ name: s.name, insns: parseInsns(new Uint8Array(s.data)), labels });
  });
  return out;
}

/** `section name -> [pc, text]` from llvm-objdump -d output (relocation lines dropped). */
function parseObjdump(text: string): Map<string, [number, string][]> {
  const out = new Map<string, [number, string][]>();
  let cur: [number, string][] | undefined;
  for (const line of text.split('\n')) {
    const sec = /^Disassembly of section (.+):$/.exec(line);
    if (sec) {
      cur = [];
      out.set(sec[1]!, cur);
      continue;
    }
    const m = /^\s*(\d+):\t(?:[0-9a-f]{2} ?)+\t(.*)$/.exec(line);
    if (m && cur) cur.push([Number(m[1]), m[2]!.trimEnd()]);
  }
  return out;
}

function ours(sec: CodeSection): [number, string][] {
  return disassemble(sec.insns, { labels: (t) => sec.labels.get(t) }).map((l) => [l.pc, l.text]);
}

const OBJECTS = ['minimal', 'multi', 'kfunc', 'lsm_deny_unsigned'];

describeShared('same text as the stored llvm-objdump-14 listings of the fixture objects [UAPI-LAYOUT-8]', () => {
  for (const name of OBJECTS) {
    it(`${name}.bpf.o matches ${name}.objdump.txt line for line`, () => {
      const expected = parseObjdump(readFileSync(fixturePath('bpf', name, `${name}.objdump.txt`), 'utf8'));
      const secs = codeSections(fixturePath('bpf', name, `${name}.bpf.o`));
      expect(secs.map((s) => s.name).sort()).toEqual([...expected.keys()].sort());
      let lines = 0;
      for (const s of secs) {
        expect(ours(s), s.name).toEqual(expected.get(s.name));
        lines += expected.get(s.name)!.length;
      }
      expect(lines).toBeGreaterThan(7);
    });
  }
});

describeShared(`live ${OBJDUMP ?? 'llvm-objdump'} comparison${OBJDUMP ? '' : ' (skipped: llvm-objdump not installed)'}`, () => {
  for (const name of OBJECTS) {
    it.skipIf(!OBJDUMP)(`${name}.bpf.o: ours equals ${OBJDUMP ?? 'llvm-objdump'} -d`, () => {
      const path = fixturePath('bpf', name, `${name}.bpf.o`);
      const expected = parseObjdump(execFileSync(OBJDUMP!, ['-d', path]).toString());
      for (const s of codeSections(path)) expect(ours(s), s.name).toEqual(expected.get(s.name));
    });
  }
});

/** Every encoding LLVM 14's BPF disassembler knows (cpu v3 with alu32), over varied operands. */
function llvmCorpus(): BpfInsn[] {
  const out: BpfInsn[] = [];
  const imms = [0, 1, -1, 7, -4, 0x7fffffff, -0x80000000, 255];
  const offs = [0, 3, -3, 0x7fff, -0x8000];
  let k = 0;
  const pick = <T,>(a: readonly T[]): T => a[k++ % a.length]!;
  for (const cls of [0x04, 0x07]) {
    for (const op of [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0]) {
      for (let r = 0; r < 10; r += 3) {
        out.push(insn(cls | op, r, 0, 0, pick(imms)));
        out.push(insn(cls | op | 0x08, r, (r + 1) % 11, 0, 0));
      }
    }
    out.push(insn(cls | 0x80, 3));
  }
  for (const w of [16, 32, 64]) out.push(insn(0xd4, 2, 0, 0, w), insn(0xdc, 5, 0, 0, w));
  for (const cls of [0x05, 0x06]) {
    for (const op of [0x10, 0x20, 0x30, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) {
      out.push(insn(cls | op, 1, 0, pick(offs), pick(imms)));
      out.push(insn(cls | op | 0x08, 4, 9, pick(offs), 0));
    }
  }
  out.push(insn(0x05, 0, 0, -1), insn(0x85, 0, 0, 0, 166), insn(0x85, 0, 1, 0, -1), insn(0x95));
  for (const size of [0x00, 0x08, 0x10, 0x18]) {
    out.push(insn(0x61 | size, 3, 10, pick(offs)));
    out.push(insn(0x63 | size, 10, 7, pick(offs)));
  }
  for (const cls of [0xc3, 0xdb]) {
    for (const op of [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]) out.push(insn(cls, 2, 5, pick(offs), op));
  }
  out.push(insn(0x18, 1, 0, 0, -1), insn(0, 0, 0, 0, 0x7fffffff), insn(0x18, 9, 0, 0, 5), insn(0, 0, 0, 0, -1));
  out.push(insn(0x20, 0, 0, 0, 12), insn(0x28, 0, 0, 0, 6), insn(0x50, 0, 3, 0, 0));
  return out;
}

function llvmMc(corpus: BpfInsn[], attrs: string[]): string[] {
  const input = [...encodeInsns(corpus)].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
  const res = spawnSync(LLVM_MC!, ['--disassemble', '-triple=bpfel', '-mcpu=v3', ...attrs], { input });
  expect(res.stderr.toString()).toBe('');
  return res.stdout
    .toString()
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '' && l !== '.text');
}

describe(`llvm-mc disassembly of every LLVM 14 encoding${LLVM_MC ? '' : ' (skipped: llvm-mc-14 not installed)'}`, () => {
  // 32-bit atomics print correctly only in LLVM's alu32 mode (w registers); everything else is
  // compared in the default mode, which is what llvm-objdump prints for clang's default output.
  const corpus = llvmCorpus();
  const atomic32 = (i: BpfInsn): boolean => i.code === 0xc3;
  it.skipIf(!LLVM_MC)('[VM-ISA-2..8] ours equals llvm-mc-14 --disassemble -mcpu=v3, line for line', () => {
    const plain = corpus.filter((i) => !atomic32(i));
    const mine = disassemble(plain).map((l) => l.text);
    expect(mine.length).toBeGreaterThan(150);
    expect(mine).toEqual(llvmMc(plain, []));
  });
  it.skipIf(!LLVM_MC)('[VM-ISA-7] 32-bit atomics equal llvm-mc-14 -mattr=+alu32', () => {
    const a32 = corpus.filter(atomic32);
    expect(a32.length).toBe(10);
    expect(disassemble(a32).map((l) => l.text)).toEqual(llvmMc(a32, ['-mattr=+alu32']));
  });
});

describe('forms LLVM 14 does not print [VM-ISA-3..8, VM-GRP-2, UAPI-CONST-4]', () => {
  const one = (src: string): string => disasmInsn(assemble(src), 0);
  it('[VM-GRP-2] v4 instructions in later LLVM syntax', () => {
    expect(one('sdiv %r1, %r2')).toBe('r1 s/= r2');
    expect(one('smod32 %r1, 3')).toBe('w1 s%= 3');
    expect(one('mod %r1, %r2')).toBe('r1 %= r2');
    expect(one('movsx864 %r1, %r2')).toBe('r1 = (s8)r2');
    expect(one('movsx1632 %r1, %r2')).toBe('w1 = (s16)w2');
    expect(one('bswap64 %r3')).toBe('r3 = bswap64 r3');
    expect(one('ldxsw %r0, [%r1-2]')).toBe('r0 = *(s32 *)(r1 - 2)');
    expect(one('ja32 +70000')).toBe('gotol +70000');
    expect(one('jset %r1, 4, +2')).toBe('if r1 & 4 goto +2');
    expect(one('stdw [%r10-8], -3')).toBe('*(u64 *)(r10 - 8) = -3');
    expect(one('call %r4')).toBe('callx r4');
  });
  it('[UAPI-CONST-4] pseudo ld_imm64 forms are spelled after their kernel names', () => {
    const ld = (src: number, imm: number, next: number): string => disasmInsn([insn(0x18, 1, src, 0, imm), insn(0, 0, 0, 0, next)], 0);
    expect(ld(1, 4, 0)).toBe('r1 = map_fd[4] ll');
    expect(ld(2, 4, 16)).toBe('r1 = map_value[4]+16 ll');
    expect(ld(3, 1234, 0)).toBe('r1 = btf_id[1234] ll');
    expect(ld(4, 9, 0)).toBe('r1 = func[9] ll');
    expect(ld(5, 0, 0)).toBe('r1 = map_idx[0] ll');
    expect(ld(6, 0, 1280)).toBe('r1 = map_idx_value[0]+1280 ll');
  });
  it('options: jump labels and helper names; unknown opcodes say so', () => {
    const insns = assemble('call 166\njeq %r0, 0, +1\nexit\nexit');
    expect(formatDisassembly(insns, { labels: (t) => (t === 3 ? 'out' : undefined), helperName: (id) => (id === KERNEL_HELPER_PROTOS.sys_bpf.id ? 'bpf_sys_bpf' : undefined) })).toBe(
      ['       0:\tcall bpf_sys_bpf#166', '       1:\tif r0 == 0 goto +1 <out>', '       2:\texit', '       3:\texit'].join('\n'),
    );
    expect(disasmInsn([insn(0x8c)], 0)).toBe('<unknown opcode 0x8c>');
    expect(disasmInsn([insn(0x18, 1)], 0)).toBe('r1 = <truncated ld_imm64>');
  });
});

describeShared('the light-skeleton loader disassembles fully [LSK-PROG-2, LSK-SIGM-2, LSK-SIGM-6]', () => {
  it('minimal.v77-signed.insns.bin: 299 slots, every one decoded', () => {
    const bytes = readFixture('bpf', 'minimal', 'minimal.v77-signed.insns.bin');
    const lines = disassemble(bytes);
    expect(lines.reduce((n, l) => n + l.slots, 0)).toBe(299);
    expect(lines.filter((l) => l.text.startsWith('<'))).toEqual([]);
    const at = new Map(lines.map((l) => [l.pc, l.text]));
    // prologue (LSK-PROG-2)
    expect([0, 1, 2, 3, 4, 5, 6].map((pc) => at.get(pc))).toEqual(['r6 = r1', 'r1 = r10', 'r1 += -136', 'r2 = 136', 'r3 = 0', 'call 113', 'goto +29']);
    // first signature-match block (LSK-SIGM-2): its jne lands on insn 8 = cleanup_label + 1 (LSK-SIGM-6)
    expect([36, 38, 39, 41, 42].map((pc) => at.get(pc))).toEqual([
      'r1 = map_idx[0] ll',
      'r2 = *(u64 *)(r1 + 0)',
      'r3 = -2033736363111372448 ll',
      'r7 = -22',
      'if r2 != r3 goto -35',
    ]);
    expect(at.get(76)).toBe('r0 = map_idx_value[0]+1280 ll');
  });
  it('every other loader in the fixtures disassembles fully too', () => {
    for (const name of OBJECTS) {
      for (const f of readdirSync(join(SHARED!, 'fixtures', 'bpf', name)).filter((x) => x.endsWith('.insns.bin'))) {
        const lines = disassemble(readFixture('bpf', name, f));
        expect(lines.filter((l) => l.text.startsWith('<')), f).toEqual([]);
      }
    }
  });
});
