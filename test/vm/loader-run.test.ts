// The real light-skeleton loader (bpftool 7.7 -S, `minimal`), run by the interpreter. The kernel
// helpers are test doubles (the syscall layer provides the real ones): bpf_sys_bpf hands out fds,
// bpf_probe_read_kernel zero-fills. What is under test is the VM: pseudo ld_imm64 resolution, the
// read-only `struct bpf_map` view, the metadata map value, the ctx, stack frames in the kernel
// half, helper calls and their trace.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeShared, readFixture } from '../support/shared.js';
import { decodeProgram } from '../../src/vm/decode.js';
import { KERNEL_HELPER_PROTOS, formatHelperCall, kernelHelperTable } from '../../src/vm/helpers.js';
import { runProgram } from '../../src/vm/interpreter.js';
import { BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE } from '../../src/vm/opcodes.js';
import { Errno } from '../../src/syscall/errno.js';
import { AddressSpace, hex, type Region } from '../../src/syscall/memory.js';

interface Setup {
  kernel: AddressSpace;
  user: AddressSpace;
  value: Region;
  view: Region;
  ctx: Region;
}

/** Metadata map value = the blob; `struct bpf_map` view whose first 32 bytes are map->sha (MHASH-8). */
function setup(sha: Uint8Array, viewSpace: 'kernel' | 'user' = 'kernel'): Setup {
  const blob = readFixture('bpf', 'minimal', 'minimal.v77-signed.data.bin');
  const kernel = AddressSpace.kernelSpace();
  const user = AddressSpace.user(kernel);
  const value = kernel.map({ name: 'map value (__loader.map)', kind: 'map_value', bytes: Uint8Array.from(blob) });
  const obj = new Uint8Array(64);
  obj.set(sha, 0);
  const view = (viewSpace === 'kernel' ? kernel : user).map({ name: 'struct bpf_map (__loader.map)', kind: 'kernel_object', bytes: obj, writable: false });
  const ctx = kernel.map({ name: 'ctx', kind: 'ctx', bytes: new Uint8Array(76) }); // lskel ctx.sz = 76
  return { kernel, user, value, view, ctx };
}

function runLoader(s: Setup) {
  const insns = readFixture('bpf', 'minimal', 'minimal.v77-signed.insns.bin');
  const d = decodeProgram(insns, {
    resolveLdImm64: (q) => {
      if (q.imm !== 0) return { error: `fd_array[${q.imm}] is not set`, errno: -Errno.EBADF };
      if (q.srcReg === BPF_PSEUDO_MAP_IDX) return s.view.base;
      if (q.srcReg === BPF_PSEUDO_MAP_IDX_VALUE) return s.value.base + BigInt(q.nextImm);
      return { error: `unexpected pseudo kind ${q.srcReg}` };
    },
  });
  if (!d.ok) throw new Error(d.error.message);
  const env = { nextFd: 3, calls: [] as string[] };
  const P = KERNEL_HELPER_PROTOS;
  const helpers = kernelHelperTable<typeof env>()
    .register(P.probe_read_kernel, ({ args: [dst, size, src], mem }) => {
      mem.write(dst, new Uint8Array(Number(size)));
      return src === 0n ? BigInt(-Errno.EFAULT) : 0n;
    })
    .register(P.sys_bpf, ({ env: e }) => BigInt(e.nextFd++))
    .register(P.sys_close, () => 0n)
    .register(P.copy_from_user, () => 0n);
  const res = runProgram(d.program, {
    memory: s.user,
    args: [s.ctx.base],
    helpers,
    env,
    observer: { after: (e, ret) => env.calls.push(formatHelperCall(e.proto, e.args, ret)) },
  });
  return { res, calls: env.calls };
}

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

describeShared('the signed minimal loader runs in the VM [VM-LDR-1..4, LSK-PROG-*, LSK-SIGM-*]', () => {
  const good = () => sha256(readFixture('bpf', 'minimal', 'minimal.v77-signed.data.bin'));

  it('[LSK-SIGM-3, LSK-PROG-5, LSK-PROG-7] matching map->sha: all inner syscalls run, fds land in ctx, r0 = 0', () => {
    const s = setup(good());
    const { res, calls } = runLoader(s);
    expect(res).toMatchObject({ ok: true, r0: 0n, insns: 185 });
    const attr = (off: number): string => hex(s.value.base + BigInt(off));
    expect(calls[0]).toMatch(/^bpf_probe_read_kernel\(dst=0xffff[0-9a-f]+, size=136, unsafe_ptr=0x0\) = -14$/);
    expect(calls.slice(1)).toEqual([
      `bpf_sys_bpf(cmd=18, attr=${attr(2280)}, size=28) = 3`, // BTF_LOAD
      `bpf_sys_bpf(cmd=0, attr=${attr(2312)}, size=72) = 4`, // MAP_CREATE hits
      `bpf_sys_bpf(cmd=0, attr=${attr(2384)}, size=72) = 5`, // MAP_CREATE .rodata
      `bpf_sys_bpf(cmd=2, attr=${attr(2472)}, size=32) = 6`, // MAP_UPDATE_ELEM
      `bpf_sys_bpf(cmd=22, attr=${attr(2504)}, size=4) = 7`, // MAP_FREEZE
      `bpf_sys_bpf(cmd=0, attr=${attr(2512)}, size=72) = 8`, // MAP_CREATE .bss
      `bpf_sys_bpf(cmd=2, attr=${attr(2600)}, size=32) = 9`, // MAP_UPDATE_ELEM
      `bpf_sys_bpf(cmd=5, attr=${attr(3048)}, size=140) = 10`, // PROG_LOAD
      'bpf_sys_close(fd=3) = 0', // btf_fd closed at finish
    ]);
    // LSK-PROG-7: map fds at ctx 24 + 16*i, prog fd at 24 + 16*nr_maps
    const ctx = new DataView(s.ctx.bytes.buffer);
    expect([24, 40, 56, 72].map((o) => ctx.getUint32(o, true))).toEqual([4, 5, 8, 10]);
    // LSK-BLOB-3: the loader wrote the created fds into the (frozen) map value
    expect(new DataView(s.value.bytes.buffer).getUint32(0, true)).toBe(4);
  });

  for (const dword of [0, 1, 2, 3]) {
    it(`[LSK-SIGM-2, LSK-SIGM-6] map->sha differing in dword ${dword}: r0 = -EINVAL, and no fd is closed`, () => {
      const sha = good();
      sha[dword * 8 + 3]! ^= 0x40;
      const { res, calls } = runLoader(setup(sha));
      expect(res.ok && BigInt.asIntN(64, res.r0)).toBe(-22n);
      // the jne lands on cleanup_label + 1 with r1 = the map pointer, negative as s64: the
      // `if r1 s<= 0` test skips the first close (LSK-SIGM-6); the other slots are still 0.
      expect(calls.map((c) => c.split('(')[0])).toEqual(['bpf_probe_read_kernel']);
    });
  }

  it('[LSK-SIGM-6] with the struct bpf_map view at a user-half (positive) address the same jump would close a bogus fd', () => {
    const sha = good();
    sha[0]! ^= 1;
    const s = setup(sha, 'user');
    const { res, calls } = runLoader(s);
    expect(res.ok && BigInt.asIntN(64, res.r0)).toBe(-22n);
    expect(calls[1]).toBe(`bpf_sys_close(fd=${Number(BigInt.asIntN(32, s.view.base))}) = 0`);
  });

  it('[VM-LDR-4] a loader store into the struct bpf_map view would fault (it is read-only)', () => {
    const s = setup(good());
    expect(s.view.writable).toBe(false);
    expect(s.kernel.write(s.view.base, Uint8Array.of(1))).toBe(false);
  });
});

describe('decode-time resolution for the loader [VM-LDR-3]', () => {
  it('[VM-LDR-3] an ld_imm64 MAP_IDX whose fd_array slot is empty rejects the load with the resolver errno', () => {
    const insns = Uint8Array.from([0x18, 0x51, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    const d = decodeProgram(insns, { resolveLdImm64: (q) => ({ error: `fd_array[${q.imm}] is not set`, errno: -Errno.EBADF }) });
    expect(!d.ok && d.error).toEqual({ pc: 0, message: 'fd_array[2] is not set', errno: -Errno.EBADF });
  });
});
