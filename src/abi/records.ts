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
 * How a list with packed entries makes a record of one (issue K): `code` and the entry's column
 * values (read them from `cols[c][slot]`); `i` is the entry's index in the list as read.
 */
export type PackedDecoder<T> = (code: number, cols: readonly (readonly unknown[])[], slot: number, i: number) => T;

/**
 * A list that keeps its newest `capacity` items: trimmed from the front in batches (a quarter of
 * the capacity at a time, so a push is amortised O(1)), counting what it dropped. Pending entries
 * are made into their records when `items` is read, oldest first, each once.
 *
 * A list made with columns also takes packed entries (issue K: no object per entry at all while it
 * is not read): a small integer code and up to that many values in column arrays, made into its
 * record by the list's decoder when read. The columns are rings indexed by the entry's position
 * since the start (nothing is moved when the list is trimmed); with keepAll they only grow.
 */
export class RetainedList<T> {
  readonly #items: (T | Pending<T> | number)[] = [];
  readonly #cols: unknown[][];
  readonly #decode: PackedDecoder<T> | undefined;
  /** Slots per column (a bounded list holds at most capacity + slack + 1 entries at once). */
  readonly #ring: number;
  /** The column slot of the next entry. */
  #slot = 0;
  /** Index in #items of the first retained entry: those before it were dropped (and let go). */
  #head = 0;
  /** Index in #items of the first entry that may still be pending (every entry before it is a record). */
  #firstPending = 0;
  /** Items dropped from the front since the start (or the last clear). */
  dropped = 0;
  readonly capacity: number;
  readonly keepAll: boolean;
  private readonly slack: number;

  constructor(opts: RetentionOptions, defaultCapacity: number, packed?: { readonly columns: number; readonly decode: PackedDecoder<T> }) {
    this.keepAll = opts.keepAll === true;
    this.capacity = Math.max(1, Math.floor(opts.capacity ?? defaultCapacity));
    this.slack = Math.max(1, Math.floor(this.capacity / 4));
    this.#ring = this.keepAll ? 0 : this.capacity + this.slack + 1;
    this.#cols = Array.from({ length: packed?.columns ?? 0 }, () => (this.keepAll ? [] : new Array<unknown>(this.#ring).fill(undefined)));
    this.#decode = packed?.decode;
  }

  /** How many items are retained. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The column slot of the entry at index i of #items. */
  #slotOf(i: number): number {
    const back = this.#items.length - i; // 1 for the newest
    const s = this.#slot - back;
    return s >= 0 ? s : s + this.#ring;
  }

  /** The retained items, oldest first (pending and packed entries made into records now). */
  get items(): T[] {
    this.#compact();
    const items = this.#items;
    const cols = this.#cols;
    const decode = this.#decode;
    for (let i = this.#firstPending; i < items.length; i++) {
      const x = items[i];
      // a number is a packed entry's code only in a list that takes them (T is never a number there)
      if (decode !== undefined && typeof x === 'number') {
        const slot = this.#slotOf(i);
        items[i] = decode(x, cols, slot, i);
        for (let c = 0; c < cols.length; c++) cols[c]![slot] = undefined; // let the values go
      } else if (x instanceof Pending) items[i] = x.materialize();
    }
    this.#firstPending = items.length;
    return items as T[];
  }

  push(item: T | Pending<T>): void {
    this.#items.push(item);
    const cols = this.#cols;
    if (cols.length > 0) {
      const j = this.#nextSlot();
      for (let c = 0; c < cols.length; c++) cols[c]![j] = undefined;
    }
    this.#trim();
  }

  /** A packed entry (a list made with columns): values past the list's column count are ignored. */
  pushPacked(code: number, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown): void {
    this.#items.push(code);
    const cols = this.#cols;
    const n = cols.length;
    const j = this.#nextSlot();
    if (n > 0) cols[0]![j] = a;
    if (n > 1) cols[1]![j] = b;
    if (n > 2) cols[2]![j] = c;
    if (n > 3) cols[3]![j] = d;
    if (n > 4) cols[4]![j] = e;
    this.#trim();
  }

  #nextSlot(): number {
    const j = this.#slot;
    this.#slot = this.#ring === 0 || j + 1 < this.#ring ? j + 1 : 0;
    return j;
  }

  #trim(): void {
    const items = this.#items;
    const head = this.#head;
    if (!this.keepAll && items.length - head > this.capacity + this.slack) {
      const n = items.length - head - this.capacity;
      // Dropped: let go now (their column values as their slots are written again); moved out of
      // the array only once a capacity's worth has gone, or when the list is read.
      for (let i = head; i < head + n; i++) items[i] = undefined as unknown as T;
      this.#head = head + n;
      this.dropped += n;
      if (this.#firstPending < this.#head) this.#firstPending = this.#head;
      if (this.#head >= this.capacity) this.#compact();
    }
  }

  /** Move the retained entries to the front of #items. */
  #compact(): void {
    const h = this.#head;
    if (h === 0) return;
    this.#items.splice(0, h);
    this.#head = 0;
    this.#firstPending -= h;
  }

  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
    for (const col of this.#cols) {
      if (this.keepAll) col.length = 0;
      else col.fill(undefined);
    }
    this.#slot = 0;
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
