// Small byte buffers carved out of shared slabs (issue K). V8 keeps a typed array of more than 64
// bytes in a buffer of its own outside the heap: about 0.6 µs to allocate, track and free, where a
// view of an existing buffer costs about 0.06 µs. A signed skeleton load made some 45 of them (the
// attr read at every syscall's entry, user copies, user-side attrs), and a bpf() call refused at its
// first check one. Node's Buffer pool does the same for small Buffers.
//
// Safe by construction: a slab is only ever bumped forward, never reused, so every buffer handed out
// is zero-filled and no other buffer shares any of its bytes (only its `.buffer`: readers use
// `byteOffset`, as for any view). The cost is retention: a slab lives while any of its buffers does,
// so a buffer kept for long can keep up to SLAB_BYTES alive. Only sizes up to SLAB_MAX come from a
// slab (up to PAGE_SLAB_MAX from a page slab: AddressSpace.read, a skeleton's mappings); a caller
// that stores what it got for as long as an object lives (a map's storage, a program's
// instructions) allocates its own instead.

/** V8 keeps typed arrays up to this size on its heap, where they are cheaper than a slab view. */
const ON_HEAP_MAX = 64;

/** Every slab made, to tell a slab view from a buffer of its own (inSlab). */
const slabs = new WeakSet<ArrayBufferLike>();

/**
 * One bump allocator: a request of more than `min` and at most `max` bytes is a view of the current
 * slab of `slabSize` bytes, 8-byte aligned (a typed view of a whole number of u64s fits), and a new
 * slab is started when the current one is full; a smaller request goes to `below`, a larger one
 * gets a buffer of its own.
 */
class Slab {
  #slab: ArrayBuffer;
  #used = 0;
  constructor(
    readonly slabSize: number,
    readonly min: number,
    readonly max: number,
    private readonly below: (n: number) => Uint8Array,
  ) {
    this.#slab = new ArrayBuffer(slabSize);
    slabs.add(this.#slab);
  }

  bytes(n: number): Uint8Array {
    if (n > this.max) return new Uint8Array(n);
    if (!(n > this.min)) return this.below(n);
    if (this.#used + n > this.slabSize) {
      this.#slab = new ArrayBuffer(this.slabSize);
      slabs.add(this.#slab);
      this.#used = 0;
    }
    const v = new Uint8Array(this.#slab, this.#used, n);
    this.#used += (n + 7) & ~7;
    return v;
  }
}

/** Bytes per slab, and the largest request served from one. */
export const SLAB_BYTES = 16 * 1024;
export const SLAB_MAX = 1024;
/** Bytes per page slab, and the largest request served from one (pages, instruction and blob copies). */
export const PAGE_SLAB_BYTES = 64 * 1024;
export const PAGE_SLAB_MAX = 16 * 1024;

const SMALL = new Slab(SLAB_BYTES, ON_HEAP_MAX, SLAB_MAX, (n) => new Uint8Array(n));
const PAGES = new Slab(PAGE_SLAB_BYTES, SLAB_MAX, PAGE_SLAB_MAX, (n) => SMALL.bytes(n));

/** A zero-filled buffer of `n` bytes that shares no byte with any other (from a slab when 64 < n ≤ SLAB_MAX). */
export function slabBytes(n: number): Uint8Array {
  return SMALL.bytes(n);
}

/**
 * slabBytes for buffers of up to PAGE_SLAB_MAX bytes (a skeleton's mmap-ed initial values, copies of
 * instructions and blobs, decoded programs: a 4 KiB off-heap buffer costs about 1 µs). Same rules.
 */
export function pageSlabBytes(n: number): Uint8Array {
  return PAGES.bytes(n);
}

/** Whether `b` lies in a slab (then keeping it keeps the whole slab alive). */
export function inSlab(b: Uint8Array): boolean {
  return slabs.has(b.buffer);
}

/**
 * `b` itself, or a copy in a buffer of its own when `b` lies in a slab: for a caller that keeps
 * the bytes as long as an object lives.
 */
export function ownedBytes(b: Uint8Array): Uint8Array {
  return inSlab(b) ? b.slice() : b;
}

/** A copy of `src` in a slab buffer (slabBytes' rules). */
export function slabCopy(src: Uint8Array): Uint8Array {
  const v = slabBytes(src.length);
  v.set(src);
  return v;
}
