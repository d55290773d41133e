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
 * the capacity at a time), counting what it dropped. Pending entries are made into their records
 * when `items` is read, oldest first, each once.
 *
 * A list made with columns also takes packed entries (issue K: no object per entry at all while it
 * is not read): a small integer code and up to that many values in column arrays, made into its
 * record by the list's decoder when read.
 *
 * A bounded list is a ring (issue K): its arrays grow to capacity + slack + 1 slots as entries come
 * and then wrap; nothing is moved when it is trimmed. With keepAll the arrays only grow.
 */
export class RetainedList<T> {
  readonly #items: (T | Pending<T> | number | undefined)[];
  readonly #cols: unknown[][];
  readonly #decode: PackedDecoder<T> | undefined;
  /** Slots in the ring (0: keepAll, the arrays grow). */
  readonly #ring: number;
  /** The slot of the oldest retained entry. */
  #start = 0;
  #len = 0;
  /** How many of the oldest retained entries are already records (the rest may be pending or packed). */
  #made = 0;
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
    // The arrays grow as entries come (a kernel that makes few calls never pays for a full ring);
    // once a bounded list has wrapped they keep their length.
    this.#items = [];
    this.#cols = Array.from({ length: packed?.columns ?? 0 }, () => []);
    this.#decode = packed?.decode;
  }

  /** How many items are retained. */
  get length(): number {
    return this.#len;
  }

  /** The slot of the entry at index i (0 = the oldest retained). */
  #slotOf(i: number): number {
    const s = this.#start + i;
    return this.#ring === 0 || s < this.#ring ? s : s - this.#ring;
  }

  /**
   * The retained items, oldest first, in a new array (pending and packed entries made into records
   * now, in place: a second read gives the same objects).
   */
  get items(): T[] {
    return this.slice(0);
  }

  /** The retained items from index `from` on (0 = the oldest retained), in a new array; every entry is made. */
  slice(from: number): T[] {
    const items = this.#items;
    const cols = this.#cols;
    const decode = this.#decode;
    const len = this.#len;
    for (let i = this.#made; i < len; i++) {
      const slot = this.#slotOf(i);
      const x = items[slot];
      // a number is a packed entry's code only in a list that takes them (T is never a number there)
      if (decode !== undefined && typeof x === 'number') {
        items[slot] = decode(x, cols, slot, i);
        for (let c = 0; c < cols.length; c++) cols[c]![slot] = undefined; // let the values go
      } else if (x instanceof Pending) items[slot] = x.materialize();
    }
    this.#made = len;
    const start = Math.min(Math.max(0, from), len);
    const out = new Array<T>(len - start);
    for (let i = start; i < len; i++) out[i - start] = items[this.#slotOf(i)] as T;
    return out;
  }

  push(item: T | Pending<T>): void {
    const j = this.#slotOf(this.#len);
    this.#items[j] = item;
    const cols = this.#cols;
    for (let c = 0; c < cols.length; c++) cols[c]![j] = undefined;
    this.#len++;
    this.#trim();
  }

  /** A packed entry (a list made with columns): values past the list's column count are ignored. */
  pushPacked(code: number, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown): void {
    const j = this.#slotOf(this.#len);
    this.#items[j] = code;
    const cols = this.#cols;
    const n = cols.length;
    if (n > 0) cols[0]![j] = a;
    if (n > 1) cols[1]![j] = b;
    if (n > 2) cols[2]![j] = c;
    if (n > 3) cols[3]![j] = d;
    if (n > 4) cols[4]![j] = e;
    this.#len++;
    this.#trim();
  }

  #trim(): void {
    if (this.keepAll || this.#len <= this.capacity + this.slack) return;
    const n = this.#len - this.capacity;
    // let the dropped entries go now (their column values as their slots are written again)
    const items = this.#items;
    for (let i = 0; i < n; i++) items[this.#slotOf(i)] = undefined;
    this.#start = this.#slotOf(n);
    this.#len -= n;
    this.#made = Math.max(0, this.#made - n);
    this.dropped += n;
  }

  clear(): void {
    for (const a of [this.#items, ...this.#cols]) a.length = 0;
    this.#start = 0;
    this.#len = 0;
    this.#made = 0;
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
