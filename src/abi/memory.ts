// Emulated memory: address spaces made of regions, so that pointers in a `union bpf_attr`, in a
// BPF program's registers and in helper arguments are real 64-bit addresses that either resolve to
// bytes or fault.
//
// spec: UAPI-CONV-1 (every pointer in an attr is a u64 address in the caller's address space),
//       SYS-2 (a copy fault gives EFAULT), SYS-6 (kernel-originated calls use kernel pointers),
//       LSK-SIGM-6 / VM-LDR-4 (kernel object addresses have the top bit set).
//
// Layout choices (ours, documented in docs/architecture.md):
// - User regions live from USER_ARENA_BASE upwards (below TASK_SIZE, top bit clear); kernel regions
//   from KERNEL_ARENA_BASE upwards (top bit set, like the x86-64 direct map).
// - Regions are page aligned and separated by an unmapped guard page, so running off the end of a
//   buffer faults, as it would in a real process most of the time.
// - A region never crosses a 4 GiB boundary. An address is then a pair of u32 words (hi, lo) and a
//   region is found by comparing numbers only, which keeps the interpreter's hot path free of BigInt.

import { pageSlabBytes, slabCopy } from './slab.js';

export const PAGE_SIZE = 4096;
/** Start of the user arena (an mmap-like area of a 47-bit x86-64 process). */
export const USER_ARENA_BASE = 0x0000_7f00_0000_0000n;
/** Start of the kernel arena (x86-64 direct map, 4-level paging). */
export const KERNEL_ARENA_BASE = 0xffff_8881_0000_0000n;
/** Top of user space on x86-64 with 4-level paging (TASK_SIZE_MAX). */
export const TASK_SIZE = 0x0000_7fff_ffff_f000n;
/** The lowest kernel-half address (the top bit set): kernel pointers lie at or above it. */
export const KERNEL_HALF = 1n << 63n;

const TWO_32 = 0x1_0000_0000;

/** What a region holds. The interpreter uses it to name faults; the syscall layer to tell user from kernel. */
export type RegionKind =
  | 'user' // process memory (attr buffers, strings, output buffers)
  | 'stack' // a BPF program's stack frame
  | 'ctx' // a BPF program's context
  | 'map_value' // the value area of a map
  | 'kernel_object' // a read-only view of a kernel struct, e.g. `struct bpf_map` (its first 32 bytes are map->sha)
  | 'kernel'; // other kernel memory (copies made by the kernel, kernel BTF)

export interface RegionInit {
  /** Human-readable name used in traces and fault messages, e.g. `attr`, `struct bpf_map #3`. */
  readonly name: string;
  readonly kind: RegionKind;
  /** Backing bytes. The region aliases them: writes through the region change this array. */
  readonly bytes: Uint8Array;
  /** Writable by stores of the emulated CPU and by copy_to_user. Default true. */
  readonly writable?: boolean;
}

export class Region {
  readonly name: string;
  readonly kind: RegionKind;
  readonly bytes: Uint8Array;
  readonly writable: boolean;
  /** Upper and lower u32 words of the base address. */
  readonly hi: number;
  readonly lo: number;
  readonly base: bigint;
  /** Set when the region is unmapped; a stale reference then resolves to nothing. */
  unmapped = false;

  /** `hi`/`lo`: the words of `base` when the caller has them already (AddressSpace.map). */
  constructor(base: bigint, init: RegionInit, hi?: number, lo?: number) {
    this.base = base;
    this.hi = hi ?? Number(base >> 32n);
    this.lo = lo ?? Number(base & 0xffff_ffffn);
    this.name = init.name;
    this.kind = init.kind;
    this.bytes = init.bytes;
    this.writable = init.writable ?? true;
  }

  /** A DataView of the bytes, made when first asked (most regions are attrs and buffers read by copy). */
  get view(): DataView {
    return (this.#view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength));
  }
  #view: DataView | undefined;

  get size(): number {
    return this.bytes.length;
  }

  get end(): bigint {
    return this.base + BigInt(this.bytes.length);
  }

  /** Does [addr, addr+len) lie inside this region? */
  contains(addr: bigint, len = 1): boolean {
    return addr >= this.base && addr + BigInt(len) <= this.end;
  }

  /** Address of byte `off` of this region. */
  addr(off = 0): bigint {
    return this.base + BigInt(off);
  }

  toString(): string {
    return `${this.name} [0x${this.base.toString(16)}, +${this.size})`;
  }
}

/** Split a u64 address into the (hi, lo) words the interpreter uses. */
export function splitAddr(addr: bigint): [hi: number, lo: number] {
  const hi = addrHi(addr);
  return [hi, splitLo];
}

/** 2^53 - 1: a bigint in [0, this] converts to a Number exactly. */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
/** The low word of the last address addrHi split (module state: read right after the call). */
let splitLo = 0;

/**
 * The upper word of BigInt.asUintN(64, addr); the lower one is left in `splitLo`. Without BigInt
 * arithmetic for an address below 2^53 (every user address; a kernel one takes the BigInt path).
 */
function addrHi(addr: bigint): number {
  if (addr >= 0n && addr <= MAX_EXACT) {
    const n = Number(addr);
    const lo = n >>> 0; // n mod 2^32, exact for an integer below 2^53
    splitLo = lo;
    return (n - lo) / TWO_32;
  }
  if (addr >= KERNEL_WINDOW && addr <= KERNEL_WINDOW_END) {
    // the kernel arena: one BigInt (the distance from a 4 GiB-aligned base below it)
    const n = Number(addr - KERNEL_WINDOW);
    const lo = n >>> 0;
    splitLo = lo;
    return KERNEL_WINDOW_HI + (n - lo) / TWO_32;
  }
  const a = BigInt.asUintN(64, addr);
  splitLo = Number(a & 0xffff_ffffn);
  return Number(a >> 32n);
}
/** A 4 GiB-aligned address at or below the kernel arena; every u64 from it up lies less than 2^53 above it. */
const KERNEL_WINDOW = KERNEL_ARENA_BASE & ~0xffff_ffffn;
const KERNEL_WINDOW_END = (1n << 64n) - 1n; // less than 2^53 above KERNEL_WINDOW
const KERNEL_WINDOW_HI = Number(KERNEL_WINDOW >> 32n);

/** The u64 address (hi, lo); one BigInt made when it is below 2^53. */
function joinWords(hi: number, lo: number): bigint {
  return hi < 0x20_0000 ? BigInt(hi * TWO_32 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

export function joinAddr(hi: number, lo: number): bigint {
  const h = hi >>> 0;
  const l = lo >>> 0;
  // one BigInt below 2^53, two in the kernel arena's window, the shift-and-or otherwise
  if (h < 0x20_0000) return BigInt(h * TWO_32 + l);
  if (h >= KERNEL_WINDOW_HI) return KERNEL_WINDOW + BigInt((h - KERNEL_WINDOW_HI) * TWO_32 + l);
  return (BigInt(h) << 32n) | BigInt(l);
}

export function hex(addr: bigint): string {
  if (addr >= 0n && addr <= MAX_EXACT) return '0x' + Number(addr).toString(16);
  return '0x' + BigInt.asUintN(64, addr).toString(16);
}

/**
 * A set of regions in one arena. A process owns a user AddressSpace whose `kernel` link is the
 * kernel's AddressSpace, so one lookup covers both halves (the top bit of the address chooses).
 */
export class AddressSpace {
  readonly name: string;
  /** Regions sorted by base address. */
  private readonly list: Region[] = [];
  /** The next free address as (hi, lo) words (lo < 2^32), and the arena's limit likewise. */
  private nextHi: number;
  private nextLo: number;
  private readonly limitHi: number;
  private readonly limitLo: number;
  /** Offset into the region `locate` returned last (read right after the call). */
  private hitOffset = 0;
  /** Last region found: most accesses hit the same region again. */
  private lastHit: Region | undefined;
  /** The one found before it (a program's accesses alternate between its stack, ctx and map values). */
  private prevHit: Region | undefined;
  /** The kernel half, consulted for addresses with the top bit set. */
  readonly kernel: AddressSpace | undefined;

  constructor(opts: { name: string; arenaBase: bigint; arenaLimit?: bigint; kernel?: AddressSpace }) {
    this.name = opts.name;
    this.nextHi = addrHi(opts.arenaBase);
    this.nextLo = splitLo;
    // not reduced mod 2^64: an arena may end past the top of the address space
    const limit = opts.arenaLimit ?? opts.arenaBase + (1n << 40n);
    this.limitHi = Number(limit >> 32n);
    this.limitLo = Number(limit & 0xffff_ffffn);
    this.kernel = opts.kernel;
  }

  static user(kernel?: AddressSpace): AddressSpace {
    return new AddressSpace({ name: 'user', arenaBase: USER_ARENA_BASE, arenaLimit: TASK_SIZE, kernel });
  }

  static kernelSpace(): AddressSpace {
    return new AddressSpace({ name: 'kernel', arenaBase: KERNEL_ARENA_BASE });
  }

  /** Map a region at the next free page-aligned address of this arena (after a guard page). */
  map(init: RegionInit): Region {
    const size = Math.max(init.bytes.length, 1);
    // Word arithmetic (issue K: no BigInt but the base itself); the addresses are those of
    // `base = next; next = base + (pages + 1) * PAGE_SIZE` on u64s.
    let hi = this.nextHi;
    let lo = this.nextLo;
    if (lo + size > TWO_32) {
      // Never straddle a 4 GiB window: move to the start of the next one.
      hi += 1;
      lo = 0;
    }
    // base + size > limit, with lo + size <= 2^32
    if (hi > this.limitHi || (hi === this.limitHi && lo + size > this.limitLo)) {
      throw new RangeError(`address space ${this.name} exhausted mapping ${init.name} (${size} bytes)`);
    }
    const region = new Region(joinWords(hi, lo), init, hi, lo);
    this.insert(region);
    const next = lo + (Math.ceil(size / PAGE_SIZE) + 1) * PAGE_SIZE; // one guard page
    const carry = Math.floor(next / TWO_32);
    this.nextHi = hi + carry;
    this.nextLo = next - carry * TWO_32;
    return region;
  }

  /** Map a region at a fixed address (must not overlap an existing one, nor cross 4 GiB). */
  mapAt(base: bigint, init: RegionInit): Region {
    const region = new Region(base, init);
    if (Number(base & 0xffff_ffffn) + init.bytes.length > TWO_32) {
      throw new RangeError(`region ${init.name} at ${hex(base)} crosses a 4 GiB boundary`);
    }
    // Only the neighbours in base order can overlap.
    const at = this.upper(region.hi, region.lo);
    for (const r of [this.list[at - 1], this.list[at]]) {
      if (r && region.base < r.end && r.base < region.end) {
        throw new RangeError(`region ${init.name} at ${hex(base)} overlaps ${r}`);
      }
    }
    this.insert(region);
    return region;
  }

  unmap(region: Region): void {
    const i = this.indexOf(region);
    if (i >= 0) this.list.splice(i, 1);
    region.unmapped = true;
    if (this.lastHit === region) this.lastHit = undefined;
    if (this.prevHit === region) this.prevHit = undefined;
  }

  /** Unmap the region that starts at `base` (munmap of a whole mapping); false when none does. */
  unmapAt(base: bigint): boolean {
    const hi = addrHi(base);
    const lo = splitLo;
    const space: AddressSpace = hi >= 0x8000_0000 && this.kernel ? this.kernel : this;
    // one binary search: the region starting exactly there (a region of no bytes holds no address)
    const i = space.upper(hi, lo) - 1;
    const r = space.list[i];
    if (r === undefined || r.hi !== hi || r.lo !== lo || r.bytes.length === 0) return false;
    space.list.splice(i, 1);
    r.unmapped = true;
    if (space.lastHit === r) space.lastHit = undefined;
    if (space.prevHit === r) space.prevHit = undefined;
    return true;
  }

  regions(): readonly Region[] {
    return this.list;
  }

  /** The index of the first region whose base is above (hi, lo): binary search (issue K: O(log n)). */
  private upper(hi: number, lo: number): number {
    const list = this.list;
    let a = 0;
    let b = list.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      const r = list[m]!;
      if (r.hi > hi || (r.hi === hi && r.lo > lo)) b = m;
      else a = m + 1;
    }
    return a;
  }

  private indexOf(region: Region): number {
    const i = this.upper(region.hi, region.lo) - 1;
    return i >= 0 && this.list[i] === region ? i : -1;
  }

  private insert(region: Region): void {
    const list = this.list;
    const last = list[list.length - 1];
    // map() hands out rising addresses: most regions go at the end
    if (last === undefined || last.hi < region.hi || (last.hi === region.hi && last.lo < region.lo)) list.push(region);
    else list.splice(this.upper(region.hi, region.lo), 0, region);
  }

  /**
   * The region that contains the byte at (hi, lo), or undefined. Numbers only: this is the
   * interpreter's path. Kernel-half addresses are looked up in the linked kernel space.
   */
  find(hi: number, lo: number): Region | undefined {
    if (hi >= 0x8000_0000 && this.kernel) return this.kernel.find(hi, lo);
    const last = this.lastHit;
    if (last !== undefined && last.hi === hi && lo >= last.lo && lo - last.lo < last.bytes.length) return last;
    const prev = this.prevHit;
    if (prev !== undefined && prev.hi === hi && lo >= prev.lo && lo - prev.lo < prev.bytes.length) {
      this.prevHit = last;
      this.lastHit = prev;
      return prev;
    }
    // The last region starting at or below the address is the only candidate (regions never overlap).
    const i = this.upper(hi, lo >>> 0) - 1;
    const r = this.list[i];
    if (r !== undefined && r.hi === hi && lo >= r.lo && lo - r.lo < r.bytes.length) {
      this.prevHit = last;
      this.lastHit = r;
      return r;
    }
    return undefined;
  }

  findBig(addr: bigint): Region | undefined {
    const hi = addrHi(addr);
    return this.find(hi, splitLo);
  }

  /**
   * The region holding all of [addr, addr+len), its offset left in `hitOffset`; undefined when
   * there is none. No object is made (the read/write paths).
   */
  private locate(addr: bigint, len: number): Region | undefined {
    const hi = addrHi(addr);
    const lo = splitLo;
    const region = this.find(hi, lo);
    if (region === undefined) return undefined;
    const offset = lo - region.lo; // find matched hi
    if (offset + len > region.bytes.length) return undefined;
    this.hitOffset = offset;
    return region;
  }

  /**
   * Resolve [addr, addr+len) to (region, offset) if it lies inside one region. Accesses never span
   * two regions: they are separated by guard pages.
   */
  resolve(addr: bigint, len: number): { region: Region; offset: number } | undefined {
    const region = this.locate(addr, len);
    return region && { region, offset: this.hitOffset };
  }

  /**
   * Read len bytes (a copy, from a slab up to PAGE_SLAB_MAX: slab.ts — a caller that keeps it for an
   * object's lifetime takes `ownedBytes` of it), or undefined on a fault. A zero-length read never
   * faults.
   */
  read(addr: bigint, len: number): Uint8Array | undefined {
    if (len === 0) return new Uint8Array(0);
    const region = this.locate(addr, len);
    if (region === undefined) return undefined;
    const off = this.hitOffset;
    // a negative or fractional length: subarray's own rules, as before
    if ((len | 0) !== len || len < 0) return slabCopy(region.bytes.subarray(off, off + len));
    const dst = pageSlabBytes(len);
    const src = region.bytes;
    if (len <= 16) for (let i = 0; i < len; i++) dst[i] = src[off + i]!;
    else dst.set(src.subarray(off, off + len));
    return dst;
  }

  /**
   * Copy `len` bytes at addr (default `dst.length`) to the start of dst (no new buffer); false on a
   * fault, dst then unchanged.
   */
  readInto(addr: bigint, dst: Uint8Array, len = dst.length): boolean {
    if (len > dst.length) throw new RangeError(`readInto: ${len} bytes into a ${dst.length}-byte buffer`);
    if (len === 0) return true;
    const region = this.locate(addr, len);
    if (region === undefined) return false;
    const off = this.hitOffset;
    dst.set(region.bytes.subarray(off, off + len));
    return true;
  }

  /** Write bytes; false on a fault (unmapped or read-only). */
  write(addr: bigint, data: Uint8Array): boolean {
    if (data.length === 0) return true;
    const region = this.locate(addr, data.length);
    if (region === undefined || !region.writable) return false;
    region.bytes.set(data, this.hitOffset);
    return true;
  }

  /** Allocate a user buffer holding `data` and return its address (a test and replay convenience). */
  place(data: Uint8Array, name = 'buf', kind: RegionKind = 'user'): bigint {
    return this.map({ name, kind, bytes: data }).base;
  }
}

/** Whether this host stores multi-byte numbers little-endian (the BPF UAPI's order on x86-64): typed-array views of UAPI bytes are then read as is. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
