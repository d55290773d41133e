// Issue K, "no leaks": the skeleton runtime frees what it maps, region lookup is a binary search
// that finds exactly what a linear scan finds, and the trace's lazily rendered attr shows the bytes
// of the call's entry even after the caller freed or changed them. Cost over many loads is a bench
// (bench/skel-load.bench.mjs), not a test.

import { describe, expect, it } from 'vitest';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { readExampleObject } from '../../src/loader/examples.js';
import { destroySkeleton, loadSkeleton } from '../../src/loader/skel-runtime.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { AddressSpace, PAGE_SIZE, splitAddr } from '../../src/syscall/memory.js';
import { MAP_CREATE } from '../../src/syscall/uapi/attr-layouts.js';
import { BpfCmd, MapType } from '../../src/syscall/uapi/consts.js';
import { decode, encode } from '../../src/syscall/uapi/layout.js';
import { traceValue, type SyscallEnter } from '../../src/syscall/trace.js';

describe('region lookup [UAPI-CONV-1]', () => {
  it('finds every byte of every region and nothing in the guard pages, after maps and unmaps in any order', () => {
    const k = AddressSpace.kernelSpace();
    const u = AddressSpace.user(k);
    const regions = Array.from({ length: 300 }, (_, i) => u.map({ name: `r${i}`, kind: 'user', bytes: new Uint8Array(1 + ((i * 977) % (3 * PAGE_SIZE))) }));
    for (let i = 0; i < regions.length; i += 3) u.unmap(regions[i]!);
    for (const [i, r] of regions.entries()) {
      const live = i % 3 !== 0;
      for (const off of [0n, BigInt(r.size - 1)]) expect(u.findBig(r.base + off)).toBe(live ? r : undefined);
      expect(u.findBig(r.base + BigInt(r.size))).toBeUndefined(); // guard
      expect(u.findBig(r.base - 1n)).toBeUndefined();
    }
    // The sorted order holds for mapAt between existing regions, and overlaps are refused.
    const gap = regions[0]!.base;
    const r = u.mapAt(gap, { name: 'again', kind: 'user', bytes: new Uint8Array(8) });
    expect(u.findBig(gap + 7n)).toBe(r);
    expect(() => u.mapAt(regions[1]!.base + 4n, { name: 'overlap', kind: 'user', bytes: new Uint8Array(8) })).toThrow(/overlaps/);
    expect(u.regions().map((x) => x.base)).toEqual([...u.regions()].map((x) => x.base).sort((a, b) => (a < b ? -1 : 1)));
    const [hi, lo] = splitAddr(regions[4]!.base + 3n);
    expect(u.find(hi, lo)).toBe(regions[4]);
  });

  it('unmapAt frees a whole mapping by its start only', () => {
    const u = AddressSpace.user(AddressSpace.kernelSpace());
    const a = u.map({ name: 'a', kind: 'user', bytes: new Uint8Array(16) });
    expect(u.unmapAt(a.base + 1n)).toBe(false);
    expect(u.unmapAt(a.base)).toBe(true);
    expect(u.findBig(a.base)).toBeUndefined();
    expect(u.unmapAt(a.base)).toBe(false);
  });
});

describe('the skeleton runtime frees what it maps [LSK-RUN-1..7]', () => {
  const id = makeSigningIdentity();
  const made = makeSkeleton(openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o'), { toolchain: 'bpftool-7.7', identity: id, name: 'hello_bpf' });

  it('loads again and again in one process with a constant number of regions and objects', () => {
    const k = new Kernel({ profile: 'v6.18' });
    const p = k.spawn({ comm: 'loader' });
    expect(p.addKey('asymmetric', 'k', id.certDer, -3).ret).toBeGreaterThan(0);
    const counts: number[][] = [];
    for (let i = 0; i < 4; i++) {
      const r = loadSkeleton(p, made.skeleton, { keyringId: -3 });
      expect(r).toMatchObject({ outcome: 'loaded', err: 0 });
      destroySkeleton(p, made.skeleton, r);
      counts.push([p.mem.regions().length, k.kmem.regions().length, p.fds.fds().length, k.mapIdr.size, k.progIdr.size]);
    }
    expect(new Set(counts.map((c) => c.join(','))).size).toBe(1);
    // After destroy only what the test itself placed remains (add_key's three buffers).
    expect(counts[0]![0]).toBe(3);
    expect(counts[0]!.slice(2)).toEqual([3, 0, 0]);
  });
});

describe('the trace renders an attr lazily, from the bytes of the call [PROF-3]', () => {
  it('shows the attr as it was at entry, whatever the caller did with the buffer afterwards', () => {
    const k = new Kernel({ profile: 'v6.18' });
    const p = k.spawn();
    const bytes = encode(MAP_CREATE, { map_type: MapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 2, map_name: 'lazy' }, 72);
    const addr = p.alloc(bytes.slice(), 'attr');
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, addr, 72).ret).toBeGreaterThan(2);
    p.mem.write(addr, new Uint8Array(72).fill(0xff)); // the caller reuses its buffer
    p.free(addr);
    const ev = k.trace.events.find((e): e is SyscallEnter => e.kind === 'syscall' && e.cmd === 'BPF_MAP_CREATE')!;
    const want = Object.fromEntries(Object.entries(decode(MAP_CREATE, bytes, k.profile.uapi)).map(([f, v]) => [f, traceValue(v)]));
    expect(ev.attr).toEqual(want);
    expect(ev.attr).toBe(ev.attr); // rendered once
    expect(Object.keys(ev)).toEqual(['seq', 'kind', 'sys', 'parent', 'pid', 'name', 'cmd', 'attrAddr', 'size', 'attr', 'kernel']);
    expect(JSON.parse(JSON.stringify(ev)).attr).toEqual(want);
  });

  it('has no attr when the caller passed an unreadable pointer', () => {
    const k = new Kernel({ profile: 'v6.18' });
    const p = k.spawn();
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, 0x10n, 72).errno).toBe('EFAULT');
    const ev = k.trace.events.find((e): e is SyscallEnter => e.kind === 'syscall')!;
    expect('attr' in ev).toBe(false);
  });
});
