// Element storage for maps whose elements come and go (hash tables, LPM tries): slots of a fixed
// size in kernel memory, so that a BPF program's bpf_map_lookup_elem() gets a stable address for a
// value, as it does from the kernel's preallocated element area (hashtab.c prealloc_init) or its
// element allocator. Regions are mapped lazily, a chunk of slots at a time, so a map declared with a
// million entries costs memory only for the elements it holds.

import type { AddressSpace, Region } from '../memory.js';

const CHUNK_BYTES = 64 * 1024;

export class ValuePool {
  /** Bytes per slot (a multiple of 8). */
  readonly slotSize: number;
  readonly perChunk: number;
  private readonly chunks: Region[] = [];
  private readonly free: number[] = [];
  private next = 0;

  constructor(
    private readonly kmem: AddressSpace,
    slotSize: number,
    readonly capacity: number,
    private readonly name: string,
    private readonly writable = true,
  ) {
    this.slotSize = Math.max(8, Math.ceil(slotSize / 8) * 8);
    this.perChunk = Math.max(1, Math.floor(CHUNK_BYTES / this.slotSize));
  }

  /** A free slot (zero-filled), or -1 when all `capacity` slots are in use. */
  alloc(): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.next >= this.capacity) return -1;
      slot = this.next++;
    }
    this.bytes(slot).fill(0);
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  get inUse(): number {
    return this.next - this.free.length;
  }

  private chunk(slot: number): Region {
    const c = Math.floor(slot / this.perChunk);
    while (this.chunks.length <= c) {
      const n = Math.min(this.perChunk, this.capacity - this.chunks.length * this.perChunk);
      this.chunks.push(this.kmem.map({ name: `${this.name} elements`, kind: 'map_value', bytes: new Uint8Array(n * this.slotSize), writable: this.writable }));
    }
    return this.chunks[c]!;
  }

  /** The slot's bytes (aliasing kernel memory). */
  bytes(slot: number): Uint8Array {
    const off = (slot % this.perChunk) * this.slotSize;
    return this.chunk(slot).bytes.subarray(off, off + this.slotSize);
  }

  /** The slot's kernel address. */
  addr(slot: number): bigint {
    return this.chunk(slot).base + BigInt((slot % this.perChunk) * this.slotSize);
  }

  destroy(): void {
    for (const c of this.chunks) this.kmem.unmap(c);
    this.chunks.length = 0;
  }
}
