// BPF_PROG_TEST_RUN of SYSCALL programs through the interpreter. spec: TRUN-1..6, SYS-6.

import { describe, expect, it } from 'vitest';
import { ProgFlag, ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { setup } from '../support/kernel.js';

const SYSCALL = ProgType.BPF_PROG_TYPE_SYSCALL;
// r0 = *(u32 *)(r1 + 8); *(u32 *)(r1 + 4) = r0; r0 = -r0 (as u32 → retval); exit
const ctxProg = encodeInsns([insn(0x61, 0, 1, 8, 0), insn(0x63, 1, 0, 4, 0), insn(0x84, 0, 0, 0, 0), insn(0x95)]);

function withProg(insns = ctxProg, sleepable = true) {
  const env = setup();
  const fd = env.c.progLoad({ progType: SYSCALL, insns, progFlags: sleepable ? ProgFlag.BPF_F_SLEEPABLE : 0 }).res.ret;
  expect(fd).toBeGreaterThan(0);
  return { ...env, fd };
}

const ctx12 = () => {
  const b = new Uint8Array(12);
  new DataView(b.buffer).setUint32(8, 22, true);
  return b;
};

describe('BPF_PROG_TEST_RUN of a SYSCALL program', () => {
  it('[TRUN-2][TRUN-3] the program runs on a copy of ctx_in, retval is written back, the ctx is copied back, the syscall returns 0', () => {
    const { c, fd } = withProg();
    const r = c.progTestRun(fd, ctx12());
    expect(r.res.ret).toBe(0);
    expect(r.retval).toBe(-22);
    expect(new DataView(r.ctxOut!.buffer).getUint32(4, true)).toBe(22);
  });

  it('[TRUN-1] ctx_size_in smaller than the largest ctx offset the program reads → EINVAL; 65536 → EINVAL', () => {
    const { c, fd } = withProg();
    expect(c.progTestRun(fd, new Uint8Array(11)).res.errno).toBe('EINVAL');
    expect(c.progTestRun(fd, new Uint8Array(65536)).res.errno).toBe('EINVAL');
    expect(c.progTestRun(fd, new Uint8Array(65535)).res.ret).toBe(0);
  });

  it('[TRUN-1] data_in, repeat, flags, duration or ctx_out → EINVAL', () => {
    const { c, fd } = withProg();
    const extras: Record<string, bigint | number>[] = [{ 'test.data_in': 0x1000n, 'test.data_size_in': 4 }, { 'test.repeat': 2 }, { 'test.flags': 1 }, { 'test.duration': 1 }, { 'test.ctx_out': 0x1000n, 'test.ctx_size_out': 12 }];
    for (const extra of extras) {
      expect(c.progTestRun(fd, ctx12(), extra).res.errno, JSON.stringify(Object.keys(extra))).toBe('EINVAL');
    }
  });

  it('[TRUN-5] ctx pointer without a size (or the reverse) → EINVAL; a bad prog fd → EBADF; a map fd → EINVAL', () => {
    const { c, fd, p } = withProg();
    expect(c.progTestRun(fd, undefined, { 'test.ctx_in': 0x1000n }).res.errno).toBe('EINVAL');
    expect(c.progTestRun(fd, undefined, { 'test.ctx_size_in': 12 }).res.errno).toBe('EINVAL');
    expect(c.progTestRun(77, ctx12()).res.errno).toBe('EBADF');
    const mapFd = c.mapCreate({ mapType: 2, keySize: 4, valueSize: 4, maxEntries: 1 }).ret;
    expect(c.progTestRun(mapFd, ctx12()).res.errno).toBe('EINVAL');
    expect(p.fds.get(fd)?.kind).toBe('bpf-prog');
  });

  it('[TRUN-2] an unreadable ctx_in → EFAULT', () => {
    const { c, fd } = withProg();
    expect(c.progTestRun(fd, undefined, { 'test.ctx_in': 0x10n, 'test.ctx_size_in': 12 }).res.errno).toBe('EFAULT');
  });

  it('[TRUN-5] a program type without test_run → ENOTSUPP (524)', () => {
    const env = setup();
    const fd = env.c.progLoad({ progType: ProgType.BPF_PROG_TYPE_KPROBE, insns: encodeInsns([insn(0xb7), insn(0x95)]) }).res.ret;
    expect(fd).toBeGreaterThan(0);
    expect(env.c.progTestRun(fd, ctx12()).res.ret).toBe(-524);
  });
});
