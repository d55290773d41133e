// Issue K: the caches keyed by exact content (certificate DER, SPKI, PKCS#7 messages, BTF blobs)
// share one policy, kept here: the key is the bytes themselves (a byte-for-byte comparison, never
// a hash alone), least recently used dropped first, bounded in entries and in bytes per entry, and
// the entry found or made last is compared before any key string is made (the usual case: the same
// skeleton loaded again). Values are what the owner stores: it decides what is pure enough to keep.

export class ContentCache<V> {
  readonly #map = new Map<string, V>();
  #last: { readonly bytes: Uint8Array; readonly value: V } | undefined;

  constructor(
    /** Entries kept. */
    readonly capacity: number,
    /** Larger contents are never kept (their key would pin as many bytes again). */
    readonly maxBytes = Infinity,
  ) {}

  /** Whether `bytes` may be kept at all. */
  fits(bytes: Uint8Array): boolean {
    return bytes.length <= this.maxBytes;
  }

  /** The value kept for exactly these bytes (it becomes the most recently used), or undefined. */
  get(bytes: Uint8Array): V | undefined {
    const last = this.#last;
    if (last && last.bytes.length === bytes.length && Buffer.compare(last.bytes, bytes) === 0) return last.value;
    if (!this.fits(bytes)) return undefined;
    const key = keyOf(bytes);
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, value); // most recently used last
    this.#last = { bytes: bytes.slice(), value };
    return value;
  }

  /** Keep `value` for these bytes (a private copy of them is taken); too-large contents are not kept. */
  set(bytes: Uint8Array, value: V): void {
    if (!this.fits(bytes)) return;
    const key = keyOf(bytes);
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value!);
    this.#last = { bytes: bytes.slice(), value };
  }

  get size(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
    this.#last = undefined;
  }
}

/** The bytes as a string key (one char per byte: equal keys are equal bytes). */
const keyOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
