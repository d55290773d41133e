// Records a long-lived kernel keeps (trace events, audit records): the retention ring and the
// JSON-safe value form they carry. Leaf code (issue K: src/abi): audit/ and lsm/ use it without
// reaching into syscall/.

/** JSON-safe attr values: u64 and pointers as `0x…` strings, names as strings. */
export type TraceValue = number | string;

/**
 * Retention of a long-lived kernel's trace and audit log (issue L): by default each keeps the most
 * recent `capacity` entries — a ring — and counts what it dropped, so memory stays flat over any
 * number of calls. `keepAll` keeps everything (a bounded run that needs its whole history).
 */
export interface RetentionOptions {
  /** Entries kept (default DEFAULT_TRACE_CAPACITY / DEFAULT_AUDIT_CAPACITY). */
  readonly capacity?: number;
  /** Keep every entry (memory grows with the run). */
  readonly keepAll?: boolean;
}

/**
 * A list that keeps its newest `capacity` items: trimmed from the front in batches (a quarter of
 * the capacity at a time, so a push is amortised O(1)), counting what it dropped.
 */
export class RetainedList<T> {
  readonly items: T[] = [];
  /** Items dropped from the front since the start (or the last clear). */
  dropped = 0;
  readonly capacity: number;
  readonly keepAll: boolean;
  private readonly slack: number;

  constructor(opts: RetentionOptions, defaultCapacity: number) {
    this.keepAll = opts.keepAll === true;
    this.capacity = Math.max(1, Math.floor(opts.capacity ?? defaultCapacity));
    this.slack = Math.max(1, Math.floor(this.capacity / 4));
  }

  push(item: T): void {
    this.items.push(item);
    if (!this.keepAll && this.items.length > this.capacity + this.slack) {
      const n = this.items.length - this.capacity;
      this.items.splice(0, n);
      this.dropped += n;
    }
  }

  clear(): void {
    this.items.length = 0;
    this.dropped = 0;
  }
}

/** Render a value for the trace: bigints as hex. */
export function traceValue(v: number | bigint | string): TraceValue {
  return typeof v === 'bigint' ? '0x' + v.toString(16) : v;
}

/**
 * A field of retained records that is made when first read (issue K: most records of a long run are
 * never read): `define(obj, state)` gives `obj` an enumerable property `name` whose first read
 * computes `compute(state)` and leaves an ordinary read-only value in its place, so JSON, spread,
 * structuredClone and equality see plain data. The state waits in a non-enumerable property and is
 * let go after that read. Every object gets the same getter, so the records keep one shape.
 */
export function lazyField<S, V>(name: string, compute: (state: S) => V): (obj: object, state: S) => void {
  const hidden = Symbol(name);
  const descriptor: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: Record<symbol, unknown>) {
      const value = compute(this[hidden] as S);
      Object.defineProperty(this, name, { value, enumerable: true, configurable: false, writable: false });
      this[hidden] = undefined; // no delete: the shape stays shared
      return value;
    },
  };
  return (obj, state) => {
    Object.defineProperty(obj, hidden, { value: state, enumerable: false, configurable: false, writable: true });
    Object.defineProperty(obj, name, descriptor);
  };
}
