import { describe, expect, it } from 'vitest';
import { AddressSpace, KERNEL_ARENA_BASE, PAGE_SIZE, TASK_SIZE, USER_ARENA_BASE, hex, splitAddr, joinAddr } from '../src/syscall/memory.js';
import { accessOk } from '../src/syscall/uaccess.js';
import { Errno, errnoMessage, errnoName } from '../src/syscall/errno.js';

describe('errno table [UAPI-CONST-13]', () => {
  it('has the numbers the spec lists', () => {
    expect(Errno.EPERM).toBe(1);
    expect(Errno.E2BIG).toBe(7);
    expect(Errno.EFAULT).toBe(14);
    expect(Errno.EOPNOTSUPP).toBe(95);
    expect(Errno.EKEYREJECTED).toBe(129);
    expect(Errno.ENOTSUPP).toBe(524);
    expect(errnoName(-129)).toBe('EKEYREJECTED');
    expect(errnoMessage('EKEYREJECTED')).toBe('Key was rejected by service');
    expect(errnoName(9999)).toBeUndefined();
  });
});

describe('address space [UAPI-CONV-1, LSK-SIGM-6]', () => {
  it('maps user regions below the top bit, guard pages between them', () => {
    const k = AddressSpace.kernelSpace();
    const u = AddressSpace.user(k);
    const a = u.map({ name: 'a', kind: 'user', bytes: new Uint8Array(10) });
    const b = u.map({ name: 'b', kind: 'user', bytes: new Uint8Array(PAGE_SIZE) });
    expect(a.base >> 63n).toBe(0n);
    expect(b.base - a.base).toBe(BigInt(2 * PAGE_SIZE));
    // one past the end of `a` is unmapped (guard)
    expect(u.read(a.base + 10n, 1)).toBeUndefined();
    expect(u.read(a.base, 10)).toEqual(new Uint8Array(10));
    expect(u.read(a.base + 5n, 6)).toBeUndefined();
  });

  it('resolves kernel addresses (top bit set) through the linked kernel space', () => {
    const k = AddressSpace.kernelSpace();
    const u = AddressSpace.user(k);
    const obj = k.map({ name: 'struct bpf_map', kind: 'kernel_object', bytes: new Uint8Array(64), writable: false });
    expect(obj.base >= KERNEL_ARENA_BASE).toBe(true);
    expect(obj.base >> 63n).toBe(1n);
    const [hi, lo] = splitAddr(obj.base + 8n);
    expect(u.find(hi, lo)).toBe(obj);
    expect(joinAddr(hi, lo)).toBe(obj.base + 8n);
    expect(u.write(obj.base, new Uint8Array([1]))).toBe(false); // read-only view
  });

  it('never lets a region straddle a 4 GiB window', () => {
    const s = new AddressSpace({ name: 't', arenaBase: 0x1_ffff_f000n });
    const r = s.map({ name: 'big', kind: 'user', bytes: new Uint8Array(2 * PAGE_SIZE) });
    expect(r.base).toBe(0x2_0000_0000n);
  });

  it('faults on unmapped and unmapped-again addresses', () => {
    const u = AddressSpace.user();
    expect(u.read(0x10n, 4)).toBeUndefined();
    const r = u.map({ name: 'x', kind: 'user', bytes: new Uint8Array([1, 2, 3]) });
    expect(u.read(r.base, 3)).toEqual(new Uint8Array([1, 2, 3]));
    u.unmap(r);
    expect(u.read(r.base, 3)).toBeUndefined();
  });

  // Issue K: map() computes addresses on (hi, lo) words and lookups split addresses without BigInt
  // arithmetic; the addresses must be exactly those of the u64 formula they replaced.
  it('[UAPI-CONV-1] map() places regions where base = next; next = base + (pages + 1) * PAGE_SIZE puts them, across 4 GiB windows', () => {
    for (const [arenaBase, kernel] of [
      [USER_ARENA_BASE, false],
      [KERNEL_ARENA_BASE, true],
      [0x1_ffff_0000n, false],
      [0xffff_fff0_fff0_0000n, true],
    ] as const) {
      const s = new AddressSpace({ name: 't', arenaBase });
      let next = arenaBase;
      const sizes = [0, 1, 10, 4096, 4097, 0x4000_0000, 70_000, 0xffff_0000, 0x8000_0000, 3, 0];
      for (const n of sizes) {
        // a region aliases its bytes: a view of the right length over a small buffer is enough for placement
        const bytes = n > 1 << 20 ? ({ length: n } as unknown as Uint8Array) : new Uint8Array(n);
        const size = Math.max(n, 1);
        let base = next;
        if (Number(base & 0xffff_ffffn) + size > 2 ** 32) base = ((base >> 32n) + 1n) << 32n;
        const r = s.map({ name: `r${n}`, kind: 'user', bytes });
        expect(r.base).toBe(base);
        expect([r.hi, r.lo]).toEqual([Number(base >> 32n), Number(base & 0xffff_ffffn)]);
        expect(r.base >> 63n).toBe(kernel ? 1n : 0n);
        next = base + BigInt(Math.ceil(size / PAGE_SIZE) + 1) * BigInt(PAGE_SIZE);
        if (n > 0 && n <= 1 << 20) {
          expect(s.findBig(base + BigInt(n - 1))).toBe(r);
          expect(s.findBig(base + BigInt(n))).toBeUndefined();
        }
      }
    }
  });

  it('map() refuses to run past the arena limit, as before', () => {
    const s = new AddressSpace({ name: 't', arenaBase: 0x1000n, arenaLimit: 0x1000n + 3n * 4096n });
    s.map({ name: 'a', kind: 'user', bytes: new Uint8Array(4096) });
    expect(() => s.map({ name: 'b', kind: 'user', bytes: new Uint8Array(4097) })).toThrow(/exhausted/);
    expect(s.map({ name: 'c', kind: 'user', bytes: new Uint8Array(4096) }).base).toBe(0x1000n + 2n * 4096n);
  });

  it('splitAddr and lookups agree with the u64 words for addresses below and above 2^53, negative and wide ones', () => {
    for (const a of [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, (1n << 53n) - 1n, 1n << 53n, USER_ARENA_BASE + 5n, KERNEL_ARENA_BASE + 7n, KERNEL_ARENA_BASE - 1n, KERNEL_ARENA_BASE + 0x1_2345_6789n, (1n << 64n) - 1n, 1n << 63n, -1n, -(1n << 63n), (1n << 64n) + 3n, (1n << 65n) - 1n]) {
      const u = BigInt.asUintN(64, a);
      expect(splitAddr(a)).toEqual([Number(u >> 32n), Number(u & 0xffff_ffffn)]);
      expect(hex(a)).toBe('0x' + u.toString(16));
      const [hi, lo] = splitAddr(a);
      expect(joinAddr(hi, lo)).toBe(u);
      expect(joinAddr(hi | 0, lo | 0)).toBe(u); // words as signed int32s, as the interpreter may hold them
    }
    const k = AddressSpace.kernelSpace();
    const u = AddressSpace.user(k);
    const ko = k.map({ name: 'k', kind: 'kernel', bytes: new Uint8Array([9, 8, 7]) });
    const uo = u.map({ name: 'u', kind: 'user', bytes: new Uint8Array([1, 2, 3]) });
    expect(u.read(ko.base + 1n, 2)).toEqual(new Uint8Array([8, 7]));
    expect(u.read(ko.base - (1n << 64n) + 1n, 2)).toEqual(new Uint8Array([8, 7])); // a negative bigint wraps as a u64
    expect(u.read(uo.base + 2n, 1)).toEqual(new Uint8Array([3]));
    expect(u.read(uo.base + 3n, 1)).toBeUndefined();
    expect(u.resolve(uo.base + 1n, 2)).toEqual({ region: uo, offset: 1 });
    expect(u.resolve(uo.base + 1n, 3)).toBeUndefined();
    // unmapAt only at a region's start; a kernel region through the user space's link
    expect(u.unmapAt(uo.base + 1n)).toBe(false);
    expect(u.unmapAt(ko.base)).toBe(true);
    expect(k.findBig(ko.base)).toBeUndefined();
    expect(u.unmapAt(uo.base)).toBe(true);
    expect(u.read(uo.base, 1)).toBeUndefined();
    expect(u.unmapAt(uo.base)).toBe(false);
    // a region of no bytes holds no address: unmapAt does not find it (as find does not)
    const empty = u.map({ name: 'empty', kind: 'user', bytes: new Uint8Array(0) });
    expect(u.unmapAt(empty.base)).toBe(false);
    expect(u.regions()).toContain(empty);
  });

  it('the last two regions found answer again, and never once unmapped', () => {
    const u = AddressSpace.user();
    const [a, b, c] = ['a', 'b', 'c'].map((name) => u.map({ name, kind: 'user', bytes: new Uint8Array(16) }));
    for (let i = 0; i < 4; i++) {
      for (const r of [a!, b!, c!, a!, b!]) {
        const [hi, lo] = splitAddr(r.base + 15n);
        expect(u.find(hi, lo)).toBe(r);
        expect(u.findBig(r.base + 16n)).toBeUndefined();
      }
    }
    u.findBig(a!.base);
    u.findBig(b!.base); // a and b are the two hints now
    u.unmap(a!);
    expect(u.findBig(a!.base)).toBeUndefined();
    expect(u.unmapAt(b!.base)).toBe(true);
    expect(u.findBig(b!.base + 1n)).toBeUndefined();
    expect(u.findBig(c!.base + 1n)).toBe(c);
  });

  it('read() keeps subarray semantics for odd lengths', () => {
    const u = AddressSpace.user();
    const r = u.map({ name: 'x', kind: 'user', bytes: new Uint8Array([1, 2, 3, 4]) });
    expect(u.read(r.base, -1)).toEqual(new Uint8Array([1, 2, 3]));
    expect(u.read(r.base + 1n, 1.5)).toEqual(new Uint8Array([2]));
  });
});

describe('uaccess (issue K fast path) [SYS-2]', () => {
  it('accessOk: the u32 fast path agrees with addr + len <= TASK_SIZE at the edges', () => {
    for (const a of [0n, USER_ARENA_BASE, TASK_SIZE - 0x1_0000_0000n, TASK_SIZE - 0x1_0000_0000n + 1n, TASK_SIZE - 4n, TASK_SIZE, -1n]) {
      for (const n of [0, 1, 4, 0xffff_ffff]) expect(accessOk(a, n)).toBe(a >= 0n && a + BigInt(n) <= TASK_SIZE);
    }
    expect(() => accessOk(USER_ARENA_BASE, 1.5)).toThrow(RangeError); // BigInt(1.5), as before
  });
});
