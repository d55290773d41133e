// Object ids as idr_alloc_cyclic(&idr, obj, 1, INT_MAX) hands them out: the next id after the last
// one allocated, wrapping to the start, skipping ids still in use. spec: LOAD-15, MC-15.

import { Errno } from './errno.js';

export class Idr<T> {
  private readonly used = new Map<number, T>();
  private cursor: number;

  constructor(
    private readonly start = 1,
    private readonly end = 0x7fff_ffff,
  ) {
    this.cursor = start;
  }

  /** The allocated id, or -ENOSPC when the range is full. */
  allocCyclic(obj: T): number {
    const span = this.end - this.start;
    for (let i = 0; i < span; i++) {
      let id = this.cursor + i;
      if (id >= this.end) id = this.start + ((id - this.start) % span);
      if (!this.used.has(id)) {
        this.used.set(id, obj);
        this.cursor = id + 1 >= this.end ? this.start : id + 1;
        return id;
      }
    }
    return -Errno.ENOSPC;
  }

  remove(id: number): void {
    this.used.delete(id);
  }

  find(id: number): T | undefined {
    return this.used.get(id);
  }

  /** The smallest id greater than `id` in use (for *_GET_NEXT_ID). */
  nextAfter(id: number): number | undefined {
    let best: number | undefined;
    for (const k of this.used.keys()) if (k > id && (best === undefined || k < best)) best = k;
    return best;
  }

  /** Live objects in id order. */
  values(): T[] {
    return [...this.used.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }

  get size(): number {
    return this.used.size;
  }
}
