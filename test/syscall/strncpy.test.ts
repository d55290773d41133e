// strncpy_from_bpfptr (src/syscall/uaccess.ts) reads a string from one region; the kernel copies it
// byte by byte. Checked here against that byte-by-byte copy, made of copy_from_bpfptr calls, over
// strings that end at, before and after a region's end, every offset and `max`, user and kernel
// pointers, and pointers that fail their checks. spec: LOAD-8, SYS-2, SYS-6

import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/abi/memory.js';
import { copyFromBpfPtr, kernelPtr, strncpyFromBpfPtr, userPtr, type BpfPtr } from '../../src/syscall/uaccess.js';

function byteByByte(mem: AddressSpace, p: BpfPtr, max: number): { str: string; truncated: boolean } | undefined {
  let out = '';
  for (let i = 0; i < max; i++) {
    const b = copyFromBpfPtr(mem, p, 1, i);
    if (!b) return undefined;
    if (b[0] === 0) return { str: out, truncated: false };
    out += String.fromCharCode(b[0]!);
  }
  return { str: out, truncated: true };
}

describe('[LOAD-8] strncpy_from_bpfptr reads what a byte-by-byte copy reads', () => {
  const kmem = AddressSpace.kernelSpace();
  const mem = AddressSpace.user(kmem);
  const contents = [
    'GPL\0',
    'GPL',
    'Dual BSD/GPL\0junk',
    '',
    '\0',
    'x'.repeat(20),
    'ab\0cd\0',
    '\xff\x80é\0',
  ].map((s) => new Uint8Array(Buffer.from(s, 'latin1')));
  const regions = contents.flatMap((b) => [
    { base: mem.place(b.slice(), 'user str'), kernel: false, len: b.length },
    { base: kmem.place(b.slice(), 'kernel str'), kernel: true, len: b.length },
  ]);

  it('at every offset of every region, for max 0..24, through user and kernel pointers', () => {
    let n = 0;
    for (const r of regions) {
      for (let off = -1; off <= r.len + 1; off++) {
        const addr = r.base + BigInt(off);
        for (const p of [userPtr(addr), kernelPtr(addr)]) {
          for (let max = 0; max <= 24; max++) {
            expect(strncpyFromBpfPtr(mem, p, max), `${r.kernel ? 'kernel' : 'user'} region +${off}, ${p.isKernel ? 'kernel' : 'user'} ptr, max ${max}`).toEqual(byteByByte(mem, p, max));
            n++;
          }
        }
      }
    }
    expect(n).toBeGreaterThan(1000);
  });

  it('unmapped, null and out-of-range pointers fault as the first byte does', () => {
    for (const addr of [0n, 0x10n, (1n << 47n) - 1n, 1n << 63n, (1n << 64n) - 1n]) {
      for (const p of [userPtr(addr), kernelPtr(addr)]) expect(strncpyFromBpfPtr(mem, p, 8)).toEqual(byteByByte(mem, p, 8));
    }
  });
});
