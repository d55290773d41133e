// Issue K: small byte buffers carved out of shared slabs (src/abi/slab.ts). A slab is only bumped
// forward, so a buffer must never see another's bytes, a later copy must never overwrite an earlier
// one, and what an object keeps for its lifetime must not lie in a slab.

import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/abi/memory.js';
import { inSlab, ownedBytes, SLAB_BYTES, SLAB_MAX, slabBytes, slabCopy } from '../../src/abi/slab.js';
import type { BpfProg } from '../../src/syscall/objects/prog.js';
import type { Btf } from '../../src/syscall/objects/btf.js';
import { ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { setup } from '../support/kernel.js';

describe('slab buffers (issue K)', () => {
  it('are zero-filled, 8-byte aligned and share no byte with each other, across slab boundaries', () => {
    const bufs: Uint8Array[] = [];
    // enough 200-byte buffers to fill several slabs
    for (let i = 0; i < (3 * SLAB_BYTES) / 200; i++) {
      const b = slabBytes(200);
      expect(b.length).toBe(200);
      expect(b.byteOffset % 8).toBe(0);
      expect(b.every((x) => x === 0)).toBe(true);
      b.fill(i & 0xff);
      bufs.push(b);
    }
    bufs.forEach((b, i) => expect(b.every((x) => x === (i & 0xff))).toBe(true));
    expect(bufs.every(inSlab)).toBe(true);
  });

  it('small and large requests get buffers of their own', () => {
    expect(inSlab(slabBytes(64))).toBe(false);
    expect(inSlab(slabBytes(65))).toBe(true);
    expect(inSlab(slabBytes(SLAB_MAX))).toBe(true);
    expect(inSlab(slabBytes(SLAB_MAX + 1))).toBe(false);
    expect(slabBytes(0).length).toBe(0);
  });

  it('ownedBytes copies a slab buffer and passes any other through', () => {
    const s = slabCopy(new Uint8Array(100).fill(7));
    const o = ownedBytes(s);
    expect(o).not.toBe(s);
    expect(inSlab(o)).toBe(false);
    expect([...o]).toEqual([...s]);
    const own = new Uint8Array(100);
    expect(ownedBytes(own)).toBe(own);
  });

  it('AddressSpace.read gives a copy: neither later writes to the memory nor to another copy reach it', () => {
    const mem = AddressSpace.user();
    const addr = mem.place(new Uint8Array(300).fill(1), 'buf');
    const a = mem.read(addr, 300)!;
    expect(mem.write(addr, new Uint8Array(300).fill(2))).toBe(true);
    const b = mem.read(addr, 300)!;
    b.fill(3);
    expect(a.every((x) => x === 1)).toBe(true);
    expect(mem.read(addr, 300)!.every((x) => x === 2)).toBe(true);
  });

  it('[LOAD-8][SYS-4] a loaded program and a BTF object keep their bytes in buffers of their own', () => {
    const { p, c } = setup();
    // 20 instructions = 160 bytes: a slab-sized copy
    const insns = encodeInsns([...Array.from({ length: 19 }, () => insn(0xb7)), insn(0x95)]);
    const fd = c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns }).res.ret;
    expect(fd).toBeGreaterThan(0);
    const prog = p.fds.get(fd)!.object as BpfProg;
    expect(inSlab(prog.insns)).toBe(false);
    expect([...prog.insns]).toEqual([...insns]);

    // [1] INT 'int' and [2] INT 'int': 24 + 32 + 5 = 61 bytes, padded past 64 with a third
    const strs = new Uint8Array([0, 0x69, 0x6e, 0x74, 0]);
    const int = new Uint8Array(16);
    const tv = new DataView(int.buffer);
    tv.setUint32(0, 1, true);
    tv.setUint32(4, (1 << 24) >>> 0, true);
    tv.setUint32(8, 4, true);
    tv.setUint32(12, 32, true);
    const hdr = new Uint8Array(24);
    const dv = new DataView(hdr.buffer);
    dv.setUint16(0, 0xeb9f, true);
    dv.setUint8(2, 1);
    dv.setUint32(4, 24, true);
    dv.setUint32(12, 48, true);
    dv.setUint32(16, 48, true);
    dv.setUint32(20, strs.length, true);
    const big = new Uint8Array([...hdr, ...int, ...int, ...int, ...strs]);
    expect(big.length).toBeGreaterThan(64);
    const bfd = c.btfLoad(big).res.ret;
    expect(bfd).toBeGreaterThan(0);
    const btf = p.fds.get(bfd)!.object as Btf;
    expect(inSlab(btf.data)).toBe(false);
    expect([...btf.data]).toEqual([...big]);
  });

  it('[SYS-1] the attr read at entry renders the same after a thousand later calls (ten slabs on)', () => {
    const { k, p, c } = setup();
    const mark = k.trace.mark();
    const fd = c.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1, name: 'first' }).ret;
    expect(fd).toBeGreaterThan(0);
    const bad = p.alloc(new Uint8Array([0xe7, 3, 0, 0]), 'freeze attr');
    for (let i = 0; i < 1000; i++) p.bpf(22, bad, 4);
    const first = k.trace.since(mark).find((e) => e.kind === 'syscall');
    expect(first?.kind === 'syscall' && first.attr?.map_name).toBe('first');
    expect(first?.kind === 'syscall' && first.attr?.value_size).toBe(8);
  });
});
