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
 * An entry pushed in a cheap form and made into the record readers see only when the list is read
 * (issue K: most entries of a long run are dropped from the ring unread, so they never pay for the
 * record's lazily made fields).
 */
export abstract class Pending<T> {
  abstract materialize(): T;
}

/**
 * A list that keeps its newest `capacity` items: trimmed from the front in batches (a quarter of
 * the capacity at a time, so a push is amortised O(1)), counting what it dropped. Pending entries
 * are made into their records when `items` is read, oldest first, each once.
 */
export class RetainedList<T> {
  readonly #items: (T | Pending<T>)[] = [];
  /** Index of the first entry that may still be pending (every entry before it is a record). */
  #firstPending = 0;
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

  /** The retained items, oldest first (pending entries made into records now). */
  get items(): T[] {
    const items = this.#items;
    for (let i = this.#firstPending; i < items.length; i++) {
      const x = items[i];
      if (x instanceof Pending) items[i] = x.materialize();
    }
    this.#firstPending = items.length;
    return items as T[];
  }

  push(item: T | Pending<T>): void {
    const items = this.#items;
    items.push(item);
    if (!this.keepAll && items.length > this.capacity + this.slack) {
      const n = items.length - this.capacity;
      items.splice(0, n);
      this.dropped += n;
      this.#firstPending = Math.max(0, this.#firstPending - n);
    }
  }

  clear(): void {
    this.#items.length = 0;
    this.#firstPending = 0;
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
