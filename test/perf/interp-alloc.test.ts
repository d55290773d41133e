// Issue K: the interpreter's per-run memory — stack frames from the shared slabs (abi/slab.ts), the
// BPF-to-BPF save area made at the first call. Each run's stack must start zero-filled and be its
// own, whatever earlier runs (or a run nested in a helper) wrote to theirs.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/vm/asm.js';
import { decodeProgram } from '../../src/vm/decode.js';
import { HelperTable } from '../../src/vm/helpers.js';
import { runProgram } from '../../src/vm/interpreter.js';
import { AddressSpace } from '../../src/syscall/memory.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';

const decode = (src: string) => {
  const d = decodeProgram(assemble(src));
  if (!d.ok) throw new Error(d.error.message);
  return d.program;
};

describe('interpreter stack frames and save area [VM-EXEC-1][VM-EXEC-3] (issue K)', () => {
  // r0 = the u64 at fp-8 (as left by whoever had the stack before), then fp-8 and fp-512 = 0x5555
  const dirty = decode('ldxdw %r0, [%r10-8]\nmov %r1, 0x5555\nstxdw [%r10-8], %r1\nstxdw [%r10-512], %r1\nexit');

  it('every run starts on a zero-filled stack of its own, also when a helper runs a program inside a run', () => {
    const space = AddressSpace.kernelSpace();
    const nested: bigint[] = [];
    const helpers = new HelperTable<unknown>('test').register({ id: 1, name: 'nested', args: [], ret: 'int' }, () => {
      const r = runProgram(dirty, { memory: space, helpers });
      if (!r.ok) throw new Error(r.error.message);
      nested.push(r.r0);
      return 0n;
    });
    for (let i = 0; i < 40; i++) {
      const r = runProgram(dirty, { memory: space, helpers });
      expect(r.ok && r.r0).toBe(0n);
    }
    // outer: write its stack, call a helper that runs `dirty` (which writes its own), read back its own value
    const outer = decode('mov %r1, 0x7777\nstxdw [%r10-8], %r1\ncall 1\nldxdw %r0, [%r10-8]\nexit');
    for (let i = 0; i < 3; i++) {
      const r = runProgram(outer, { memory: space, helpers });
      expect(r.ok && r.r0).toBe(0x7777n);
    }
    expect(nested).toEqual([0n, 0n, 0n]);
    expect(space.regions().filter((x) => x.kind === 'stack')).toEqual([]);
  });

  it('BPF-to-BPF calls save and restore r6..r9 in nested frames (the save area made at the first call)', () => {
    const mov = (r: number, v: number) => insn(0xb7, r, 0, 0, v);
    const addReg = (d: number, r: number) => insn(0x0f, d, r, 0, 0);
    const local = (imm: number) => insn(0x85, 0, 1, 0, imm);
    const EXIT = insn(0x95);
    const d = decodeProgram(
      encodeInsns([
        mov(6, 6), mov(7, 7), local(3), addReg(0, 6), addReg(0, 7), EXIT,
        // sub-program at 6: clobbers r6, r7, calls the one at 11, returns its result + 100
        mov(6, 60), mov(7, 70), local(2), insn(0x07, 0, 0, 0, 100), EXIT,
        mov(6, 600), mov(0, 1000), EXIT,
      ]),
    );
    if (!d.ok) throw new Error(d.error.message);
    const prog = d.program;
    for (let i = 0; i < 2; i++) {
      const r = runProgram(prog, { memory: AddressSpace.kernelSpace(), helpers: new HelperTable('none') });
      expect(r.ok && r.r0).toBe(1000n + 100n + 6n + 7n);
    }
  });
});
