// Everything that stops a program is a named error value with the pc, never an exception:
// faults (out-of-bounds stack, unmapped, read-only view, user memory), the instruction budget,
// the call-depth limit, unknown helpers, failing helpers, unbound kfuncs.

import { describe, expect, it } from 'vitest';
import { failure, run } from './support.js';
import { assemble } from '../../src/vm/asm.js';
import { decodeProgram } from '../../src/vm/decode.js';
import { HelperTable, conformanceHelperTable, kernelHelperTable, KERNEL_HELPER_PROTOS } from '../../src/vm/helpers.js';
import { runProgram } from '../../src/vm/interpreter.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { AddressSpace, hex } from '../../src/syscall/memory.js';

describe('memory faults [VM-LDR-4, VM-ISA-6]', () => {
  it('[VM-EXEC-1] a load that runs past the top of the 512-byte stack is a bounds fault naming the frame', () => {
    const e = failure('mov %r0, 0\nldxdw %r0, [%r10-4]\nexit');
    expect(e.kind).toBe('fault');
    expect(e.pc).toBe(1);
    expect(e.fault?.reason).toBe('bounds');
    expect(e.fault?.access).toBe('read');
    expect(e.fault?.size).toBe(8);
    expect(e.fault?.region).toMatchObject({ name: 'stack frame 0', kind: 'stack', size: 512 });
    expect(e.message).toMatch(/^pc 1: invalid read of 8 bytes at 0xffff[0-9a-f]+ in stack frame 0 \(stack, 0xffff[0-9a-f]+ \+512\): access runs past the end/);
  });

  it('[VM-EXEC-1] a store below the stack frame faults as unmapped, 8 bytes below the frame', () => {
    const e = failure('mov %r1, 1\nstxdw [%r10-520], %r1\nexit');
    expect(e.kind).toBe('fault');
    expect(e.pc).toBe(1);
    expect(e.fault).toMatchObject({ reason: 'unmapped', region: 'unmapped', access: 'write', size: 8 });
    expect(e.fault?.near).toMatchObject({ offset: -8, region: { name: 'stack frame 0' } });
    expect(e.message).toContain('unmapped memory at offset -8 of stack frame 0');
  });

  it('[VM-ISA-6] an unmapped address faults with its address', () => {
    const e = failure('lddw %r1, 0x1000\nldxw %r0, [%r1+4]\nexit');
    expect(e).toMatchObject({ kind: 'fault', pc: 2 });
    expect(e.fault).toMatchObject({ addr: 0x1004n, reason: 'unmapped', region: 'unmapped', size: 4 });
    expect(e.message).toBe('pc 2: invalid read of 4 bytes at 0x1004 in unmapped memory: no mapping at this address');
  });

  it('[VM-LDR-4, MHASH-8] stores and atomics on a read-only struct bpf_map view fault; loads work', () => {
    const space = AddressSpace.kernelSpace();
    const sha = Uint8Array.from({ length: 40 }, (_, i) => i);
    const view = space.map({ name: 'struct bpf_map #3', kind: 'kernel_object', bytes: sha, writable: false });
    const prog = (src: string) => {
      const d = decodeProgram(assemble(src));
      if (!d.ok) throw new Error(d.error.message);
      return runProgram(d.program, { memory: space, args: [view.base], helpers: conformanceHelperTable() });
    };
    const ok = prog('ldxdw %r0, [%r1+8]\nexit');
    expect(ok).toMatchObject({ ok: true, r0: 0x0f0e_0d0c_0b0a_0908n });
    const st = prog('mov %r2, 1\nstxw [%r1], %r2\nexit');
    expect(st.ok).toBe(false);
    if (!st.ok) {
      expect(st.error).toMatchObject({ kind: 'fault', pc: 1 });
      expect(st.error.fault).toMatchObject({ reason: 'read_only', access: 'write', region: { name: 'struct bpf_map #3', kind: 'kernel_object' } });
      expect(st.error.message).toContain('region is read-only');
    }
    const at = prog('mov %r2, 1\nlock add [%r1+0], %r2\nexit');
    expect(!at.ok && at.error.fault?.access).toBe('atomic');
    expect(sha[0]).toBe(0); // nothing was written
  });

  it('[VM-LDR-4] user memory is not directly accessible to BPF instructions', () => {
    const kernel = AddressSpace.kernelSpace();
    const user = AddressSpace.user(kernel);
    const buf = user.map({ name: 'user buffer', kind: 'user', bytes: new Uint8Array(16) });
    const d = decodeProgram(assemble('ldxw %r0, [%r1]\nexit'));
    if (!d.ok) throw new Error(d.error.message);
    const r = runProgram(d.program, { memory: user, args: [buf.base], helpers: conformanceHelperTable() });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.fault).toMatchObject({ reason: 'user', region: { name: 'user buffer', kind: 'user' } });
      expect(r.error.message).toContain('bpf_copy_from_user');
    }
  });

  it('[VM-LDR-4] a helper that unmaps a region makes later accesses to it fault (no stale cache)', () => {
    const space = AddressSpace.kernelSpace();
    const region = space.map({ name: 'victim', kind: 'map_value', bytes: new Uint8Array(8) });
    const t = new HelperTable<unknown>('test').register({ id: 1, name: 'unmap_victim', args: [], ret: 'int' }, () => {
      space.unmap(region);
      return 0n;
    });
    const d = decodeProgram(assemble('mov %r6, %r1\nldxdw %r0, [%r6]\ncall 1\nldxdw %r0, [%r6]\nexit'));
    if (!d.ok) throw new Error(d.error.message);
    const r = runProgram(d.program, { memory: space, args: [region.base], helpers: t });
    expect(!r.ok && r.error).toMatchObject({ kind: 'fault', pc: 3, fault: { reason: 'unmapped' } });
  });
});

describe('stack frames in the kernel half [LSK-SIGM-6, VM-EXEC-1]', () => {
  it('[LSK-SIGM-6] r10 is a kernel address: negative as s64, so `if r1 s<= 0` is taken for it', () => {
    const { result } = run('mov %r1, %r10\nmov %r0, 1\njsle %r1, 0, neg\nmov %r0, 0\nneg:\nexit');
    expect(result).toMatchObject({ ok: true, r0: 1n });
  });

  it('[VM-EXEC-1] frames are mapped as kind stack for the run and unmapped afterwards, also after a fault', () => {
    const space = AddressSpace.kernelSpace();
    const ok = run('mov %r0, 0\nexit', { space });
    expect(ok.result.ok).toBe(true);
    const bad = run('mov %r0, 0\ncall local f\nexit\nf:\nldxdw %r0, [%r10+8]\nexit', { space });
    expect(bad.result.ok).toBe(false);
    expect(space.regions().filter((r) => r.kind === 'stack')).toEqual([]);
  });
});

describe('budget and call depth [VM-ISA-9]', () => {
  it('a runaway loop stops with a budget error after exactly the budget', () => {
    const e = run('mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit', { extra: { budget: 1000 } });
    expect(e.result.ok).toBe(false);
    expect(e.result.insns).toBe(1000);
    if (!e.result.ok) {
      expect(e.result.error.kind).toBe('budget');
      expect(e.result.error.message).toBe(`pc ${e.result.error.pc}: instruction budget of 1000 exhausted`);
    }
  });

  it('counts executed instructions on success (ld_imm64 is one instruction)', () => {
    const r = run('lddw %r0, 1\nadd %r0, 1\nexit');
    expect(r.result).toMatchObject({ ok: true, insns: 3, r0: 2n });
  });

  it('[VM-ISA-9] unbounded recursion stops at MAX_CALL_FRAMES with call_depth', () => {
    const e = failure('mov %r0, 0\ncall local f\nexit\nf:\ncall local f\nexit');
    expect(e.kind).toBe('call_depth');
    expect(e.pc).toBe(3);
    expect(e.message).toContain('more than 8 call frames');
  });

  it('[VM-ISA-9] the frame limit is configurable', () => {
    const e = run('mov %r0, 0\ncall local f\nexit\nf:\ncall local g\nexit\ng:\nexit', { extra: { maxCallFrames: 2 } });
    expect(!e.result.ok && e.result.error.kind).toBe('call_depth');
  });
});

describe('helper errors [VM-EXEC-2, VM-EXEC-4, VM-LDR-2]', () => {
  it('[VM-EXEC-4] a kernel helper id is unknown in the conformance table, and vice versa', () => {
    const e = failure('mov %r1, 0\ncall 166\nexit');
    expect(e).toMatchObject({ kind: 'unknown_helper', pc: 1, helper: { id: 166 } });
    expect(e.message).toBe('pc 1: helper 166 is not in the conformance helper table');
    const k = failure('mov %r1, 1\ncall 5\nexit', { helpers: kernelHelperTable() as HelperTable<unknown> });
    expect(k.message).toBe('pc 1: helper 5 is not in the kernel helper table');
  });

  it('[VM-EXEC-2] memfrob on an unmapped pointer is a helper error, not a crash', () => {
    const e = failure('lddw %r1, 0x10\nmov %r2, 4\ncall 1\nexit');
    expect(e).toMatchObject({ kind: 'helper', pc: 3, helper: { id: 1, name: 'memfrob' } });
    expect(e.message).toContain('memfrob: cannot read 4 bytes at 0x10');
  });

  it('a helper implementation that throws becomes a helper error', () => {
    const t = kernelHelperTable<unknown>().register(KERNEL_HELPER_PROTOS.sys_close, () => {
      throw new Error('boom');
    });
    const e = failure('mov %r1, 3\ncall 168\nexit', { helpers: t });
    expect(e).toMatchObject({ kind: 'helper', pc: 1, message: 'pc 1: bpf_sys_close failed: boom' });
  });

  it('[UAPI-CONST-4] a kfunc call not bound at decode time fails with unsupported_call when executed', () => {
    const e = failure('mov %r0, 0\njeq %r0, 0, skip\ncall runtime 1234\nskip:\ncall runtime 77\nexit');
    expect(e).toMatchObject({ kind: 'unsupported_call', pc: 3, helper: { id: 77 } });
  });

  it('[VM-GRP-2] callx with a register holding an unknown id is unknown_helper', () => {
    const e = failure('lddw %r3, 0x100000005\ncall %r3\nexit');
    expect(e.kind).toBe('unknown_helper');
    expect(e.message).toContain('callx r3');
  });
});

describe('never a crash', () => {
  it('random instruction streams either fail to decode or run to a result value', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const space = AddressSpace.kernelSpace();
    const mem = space.map({ name: 'mem', kind: 'ctx', bytes: new Uint8Array(64) });
    const ops = {
      aluK: [0x07, 0x17, 0x27, 0x37, 0x97, 0x67, 0x77, 0xc7, 0xb7, 0x04, 0x34, 0x94, 0x64, 0xa4, 0xb4],
      aluX: [0x0f, 0x1f, 0x2f, 0x3f, 0x9f, 0x6f, 0xbf, 0x0c, 0x3c, 0x9c, 0xbc, 0xcc],
      jmpK: [0x15, 0x25, 0x65, 0x16, 0xa6, 0xd6],
      jmpX: [0x1d, 0x6d, 0xde, 0x4e],
      ldx: [0x61, 0x69, 0x71, 0x79, 0x81, 0x91],
      st: [0x62, 0x7a],
      stx: [0x63, 0x7b],
    };
    const pick = <T,>(a: readonly T[]): T => a[rnd(a.length)]!;
    const gen = () => {
      const reg = rnd(10); // r0..r9 written
      const base = pick([1, 10, 10, reg]); // mostly mem or stack
      const memOff = base === 10 ? -8 * (1 + rnd(64)) : rnd(70) - 3;
      switch (rnd(12)) {
        case 0:
        case 1:
        case 2: {
          const c = pick(ops.aluK);
          return [insn(c, reg, 0, (c & 0xf0) === 0x30 || (c & 0xf0) === 0x90 ? rnd(2) : 0, rnd(200) - 100)];
        }
        case 3:
        case 4: {
          const c = pick(ops.aluX);
          return [insn(c, reg, rnd(11), (c & 0xf0) === 0xb0 ? pick([0, 8, 16]) : (c & 0xf0) === 0x30 || (c & 0xf0) === 0x90 ? rnd(2) : 0, 0)];
        }
        case 5:
          return [insn(pick(ops.jmpK), rnd(11), 0, rnd(7) - 3, rnd(9) - 4)];
        case 6:
          return [insn(pick(ops.jmpX), rnd(11), rnd(11), rnd(7) - 3, 0)];
        case 7:
          return [insn(pick(ops.ldx), reg, base, memOff, 0)];
        case 8:
          return rnd(2) ? [insn(pick(ops.st), base, 0, memOff, rnd(100))] : [insn(pick(ops.stx), base, rnd(11), memOff, 0)];
        case 9:
          return [insn(pick([0xc3, 0xdb]), base, reg, memOff & ~7, pick([0, 1, 0x40, 0xa1, 0xe1, 0xf1]))];
        case 10:
          return rnd(2) ? [insn(0x85, 0, 0, 0, rnd(7))] : [insn(0x8d, rnd(10), 0, 0, 0)];
        default:
          return [insn(0x18, reg, 0, 0, rnd(1 << 30)), insn(0, 0, 0, 0, rnd(3) - 1)];
      }
    };
    let ran = 0;
    for (let n = 0; n < 3000; n++) {
      const insns = Array.from({ length: 2 + rnd(12) }, gen).flat();
      insns.push(insn(0x95));
      const d = decodeProgram(encodeInsns(insns), { allowCallx: true });
      if (!d.ok) {
        expect(typeof d.error.message).toBe('string');
        continue;
      }
      const r = runProgram(d.program, { memory: space, args: [mem.base, 64n], helpers: conformanceHelperTable(), budget: 200 });
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.error.message.startsWith(`pc ${r.error.pc}: `), r.error.message).toBe(true);
      ran++;
    }
    expect(ran).toBeGreaterThan(1000);
    expect(space.regions().map((r) => r.name)).toEqual(['mem']);
    expect(hex(mem.base).startsWith('0xffff')).toBe(true);
  });
});
