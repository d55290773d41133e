// Issue K: the one policy of the caches keyed by exact content (certificates, public keys, PKCS#7
// messages, BTF blobs). A stale hit — another content answered from an entry, or a caller's buffer
// changed in place after it was kept — fails these.

import { describe, expect, it } from 'vitest';
import { ContentCache } from '../../src/abi/content-cache.js';

const b = (...xs: number[]) => new Uint8Array(xs);

describe('ContentCache (issue K)', () => {
  it('answers only for the same bytes: one byte or one length apart is a miss', () => {
    const c = new ContentCache<string>(4);
    c.set(b(1, 2, 3), 'a');
    expect(c.get(b(1, 2, 3))).toBe('a');
    expect(c.get(b(1, 2, 4))).toBeUndefined();
    expect(c.get(b(1, 2))).toBeUndefined();
    expect(c.get(b(1, 2, 3, 0))).toBeUndefined();
  });

  it('keeps its own copy: a buffer changed in place after set or get is another content', () => {
    const c = new ContentCache<string>(4);
    const buf = b(7, 7, 7);
    c.set(buf, 'seven');
    buf[0] = 8;
    expect(c.get(buf)).toBeUndefined(); // the last-entry fast path compares against the private copy
    expect(c.get(b(7, 7, 7))).toBe('seven');
    const again = b(7, 7, 7);
    expect(c.get(again)).toBe('seven');
    again[2] = 0;
    expect(c.get(again)).toBeUndefined();
  });

  it('drops the least recently used first and keeps nothing larger than maxBytes', () => {
    const c = new ContentCache<number>(2, 3);
    c.set(b(1), 1);
    c.set(b(2), 2);
    expect(c.get(b(1))).toBe(1); // 1 is now the most recently used
    c.set(b(3), 3);
    expect(c.size).toBe(2);
    expect(c.get(b(2))).toBeUndefined();
    expect([c.get(b(1)), c.get(b(3))]).toEqual([1, 3]);
    c.set(b(9, 9, 9, 9), 4);
    expect(c.fits(b(9, 9, 9, 9))).toBe(false);
    expect(c.get(b(9, 9, 9, 9))).toBeUndefined();
    c.clear();
    expect([c.size, c.get(b(3))]).toEqual([0, undefined]);
  });
});
