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

/** Bytes per slab. */
export const SLAB_BYTES = 16 * 1024;
/** The largest request served from a slab; larger ones get a buffer of their own. */
export const SLAB_MAX = 1024;
/** V8 keeps typed arrays up to this size on its heap, where they are cheaper than a slab view. */
const ON_HEAP_MAX = 64;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;
const slabs = new WeakSet<ArrayBufferLike>([slab]);

/** A zero-filled buffer of `n` bytes that shares no byte with any other (from a slab when 64 < n ≤ SLAB_MAX). */
export function slabBytes(n: number): Uint8Array {
  if (n > SLAB_MAX || n <= ON_HEAP_MAX) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabs.add(slab);
    used = 0;
  }
  const v = new Uint8Array(slab, used, n);
  // 8-byte aligned, so a typed view of a whole number of u64s can be made over it.
  used += (n + 7) & ~7;
  return v;
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

/** Bytes per page slab, and the largest request served from one (page-sized user mappings). */
export const PAGE_SLAB_BYTES = 64 * 1024;
export const PAGE_SLAB_MAX = 16 * 1024;

let pageSlab = new ArrayBuffer(PAGE_SLAB_BYTES);
let pageUsed = 0;
slabs.add(pageSlab);

/**
 * slabBytes for page-sized buffers (a skeleton's mmap-ed initial values: a 4 KiB off-heap buffer
 * each costs about 1 µs). Same rules: zero-filled, bumped forward only, no byte shared; a request
 * above PAGE_SLAB_MAX gets a buffer of its own.
 */
export function pageSlabBytes(n: number): Uint8Array {
  if (n > PAGE_SLAB_MAX || n <= SLAB_MAX) return slabBytes(n);
  if (pageUsed + n > PAGE_SLAB_BYTES) {
    pageSlab = new ArrayBuffer(PAGE_SLAB_BYTES);
    slabs.add(pageSlab);
    pageUsed = 0;
  }
  const v = new Uint8Array(pageSlab, pageUsed, n);
  pageUsed += (n + 7) & ~7;
  return v;
}
