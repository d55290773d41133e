// Issue K: small byte buffers carved out of shared slabs (src/abi/slab.ts). A slab is only bumped
// forward, so a buffer must never see another's bytes, a later copy must never overwrite an earlier
// one, and what an object keeps for its lifetime must not lie in a slab.

import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/abi/memory.js';
import { BtfBuilder } from '../../src/btf/builder.js';
import { inSlab, ownedBytes, PAGE_SLAB_BYTES, PAGE_SLAB_MAX, pageSlabBytes, SLAB_BYTES, SLAB_MAX, slabBytes, slabCopy } from '../../src/abi/slab.js';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { readExampleObject } from '../../src/loader/examples.js';
import { destroySkeleton, loadSkeleton } from '../../src/loader/skel-runtime.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { MAP_CREATE, PROG_LOAD } from '../../src/syscall/uapi/attr-layouts.js';
import { encode, encodePrefix, lastFieldEnd, type FieldValue } from '../../src/syscall/uapi/layout.js';
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

  it('AddressSpace.read copies of up to PAGE_SLAB_MAX bytes come from a page slab and are copies all the same', () => {
    const mem = AddressSpace.user();
    const addr = mem.place(new Uint8Array(3000).fill(1), 'big');
    const a = mem.read(addr, 3000)!;
    expect(inSlab(a)).toBe(true);
    expect(mem.write(addr, new Uint8Array(3000).fill(2))).toBe(true);
    mem.read(addr, 3000)!.fill(3);
    expect(a.every((x) => x === 1)).toBe(true);
    const huge = mem.place(new Uint8Array(PAGE_SLAB_MAX + 1), 'huge');
    expect(inSlab(mem.read(huge, PAGE_SLAB_MAX + 1)!)).toBe(false);
  });

  it.each([
    [20, 'a slab-sized copy'],
    [300, 'a page-slab-sized copy'],
  ])('[LOAD-8] a loaded program of %i instructions (%s) keeps them in a buffer of its own', (n) => {
    const { p, c } = setup();
    const insns = encodeInsns([...Array.from({ length: n - 1 }, () => insn(0xb7)), insn(0x95)]);
    const fd = c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns }).res.ret;
    expect(fd).toBeGreaterThan(0);
    const prog = p.fds.get(fd)!.object as BpfProg;
    expect(inSlab(prog.insns)).toBe(false);
    expect([...prog.insns]).toEqual([...insns]);
  });

  it('[SYS-4] a BTF object keeps its bytes in a buffer of its own', () => {
    const { p, c } = setup();
    // three INTs: a blob of more than 64 bytes (a slab-sized copy)
    const bb = new BtfBuilder();
    for (const name of ['int', 'u32', 'long']) bb.int(name, 4);
    const big = bb.build();
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

  it('page slab buffers are zero-filled and share no byte, across slab boundaries; small and large ones go elsewhere', () => {
    const bufs: Uint8Array[] = [];
    for (let i = 0; i < (3 * PAGE_SLAB_BYTES) / 4096; i++) {
      const b = pageSlabBytes(4096);
      expect(b.every((x) => x === 0)).toBe(true);
      b.fill(i + 1);
      bufs.push(b);
    }
    bufs.forEach((b, i) => expect(b.every((x) => x === i + 1)).toBe(true));
    expect(bufs.every(inSlab)).toBe(true);
    expect(inSlab(pageSlabBytes(PAGE_SLAB_MAX + 1))).toBe(false);
    expect(pageSlabBytes(100).length).toBe(100);
  });

  it('[UAPI-CONV-1] encodePrefix is the first `size` bytes of the whole encoding, in a buffer no later call writes', () => {
    const fields = { map_type: 2, key_size: 4, value_size: 77, max_entries: 1, map_name: '__loader.map', excl_prog_hash: 0x7f00_1234_5678n, excl_prog_hash_size: 32 };
    const full = encode(MAP_CREATE, fields, lastFieldEnd(MAP_CREATE, new Set(['signing-6.18', 'hashchain-v2'])));
    for (const size of [0, 4, 30, 72, 84, 86, 92]) {
      const b = encodePrefix(MAP_CREATE, fields, size);
      expect(b.length).toBe(size);
      expect([...b]).toEqual([...full.subarray(0, size)]);
    }
    expect(() => encodePrefix(MAP_CREATE, { nope: 1 }, 92)).toThrow(/no field 'nope'/);
    // writeField's byte-by-byte word writer gives what a DataView store of the BigInt value gives
    // (the writer it stands in for), for every kind of value, or both throw
    const values = [0, 1, -1, 0x7fff_ffff, 0xffff_ffff, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -(2 ** 40), 1.5, '7', 'x', 0n, 1n, -1n, (1n << 53n) - 1n, 1n << 53n, (1n << 64n) - 1n, 1n << 64n, 0xdead_beefn];
    const reference = (ctype: string, v: FieldValue): number[] => {
      const b = new Uint8Array(8);
      const dv = new DataView(b.buffer);
      if (ctype === '__u32') dv.setUint32(0, Number(BigInt.asUintN(32, BigInt(v))), true);
      else if (ctype === '__s32') dv.setInt32(0, Number(BigInt.asIntN(32, BigInt(v))), true);
      else dv.setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true);
      return [...b.subarray(0, ctype.endsWith('64') ? 8 : 4)];
    };
    for (const name of ['key_size', 'value_type_btf_obj_fd', 'map_extra', 'excl_prog_hash']) {
      const f = MAP_CREATE.byName.get(name)!;
      for (const v of values) {
        let want: number[] | string;
        let got: number[] | string;
        try {
          want = reference(f.ctype, v);
        } catch (e) {
          want = String(e);
        }
        try {
          got = [...encodePrefix(MAP_CREATE, { [name]: v }, 92).subarray(f.offset, f.offset + f.size)];
          expect([...encode(MAP_CREATE, { [name]: v }, 92)].slice(f.offset, f.offset + f.size)).toEqual(got);
        } catch (e) {
          got = String(e);
        }
        expect(got, `${name} = ${String(v)}`).toEqual(want);
      }
    }
    const first = encodePrefix(PROG_LOAD, { prog_type: 31, insn_cnt: 299 }, 128);
    const keep = [...first];
    for (let i = 0; i < 300; i++) encodePrefix(PROG_LOAD, { prog_type: i, insn_cnt: i }, 128).fill(0xff);
    expect([...first]).toEqual(keep);
  });

  it('[LSK-RUN-1][LSK-HDR-3] a skeleton\'s attrs and initial-value mappings are its own: a kept view sees no later load', () => {
    const id = makeSigningIdentity();
    const made = makeSkeleton(openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o'), { toolchain: 'bpftool-7.7', identity: id, name: 'hello_bpf' });
    const skel = made.skeleton;
    const withValue = skel.maps.map((m, i) => [m, i] as const).filter(([m]) => m.initialValue);
    expect(withValue.length).toBeGreaterThan(0);
    const k = new Kernel({ profile: 'v6.18' });
    const p = k.spawn({ comm: 'loader' });
    expect(p.addKey('asymmetric', 'k', id.certDer, -3).ret).toBeGreaterThan(0);
    const areas = (r: { skelAddr: bigint }) =>
      withValue.map(([, i]) => {
        const at = p.read(r.skelAddr + BigInt(24 + 16 * i + 8), 8)!;
        return p.region(new DataView(at.buffer, at.byteOffset, 8).getBigUint64(0, true))!.bytes;
      });
    const r1 = loadSkeleton(p, skel, { keyringId: -3 });
    expect(r1.outcome).toBe('loaded');
    const kept = areas(r1);
    const keptCopy = kept.map((b) => [...b]);
    const mark = k.trace.mark();
    destroySkeleton(p, skel, r1);
    for (let i = 0; i < 20; i++) {
      const r = loadSkeleton(p, skel, { keyringId: -3 });
      expect(r.outcome).toBe('loaded');
      for (const b of areas(r)) b.fill(0xee); // the program writes its mapping
      destroySkeleton(p, skel, r);
    }
    expect(kept.map((b) => [...b])).toEqual(keptCopy);
    withValue.forEach(([m], j) => expect([...kept[j]!.subarray(0, m.initialValue!.length)]).toEqual([...m.initialValue!]));
    // the first load's attrs, rendered only now (from the bytes read at entry), are its own
    const first = k.trace.events.filter((e) => e.kind === 'syscall' && e.seq < mark);
    const mc = first.find((e) => e.kind === 'syscall' && e.cmd === 'BPF_MAP_CREATE');
    const pl = first.find((e) => e.kind === 'syscall' && e.cmd === 'BPF_PROG_LOAD');
    expect(mc?.kind === 'syscall' && mc.attr).toMatchObject({ map_name: '__loader.map', value_size: skel.data.length });
    expect(pl?.kind === 'syscall' && pl.attr).toMatchObject({ insn_cnt: skel.insns.length / 8, prog_name: '__loader.prog' });
  });
});
