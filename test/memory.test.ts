import { describe, expect, it } from 'vitest';
import { AddressSpace, KERNEL_ARENA_BASE, PAGE_SIZE, splitAddr, joinAddr } from '../src/syscall/memory.js';
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
});
