// src/abi/le.ts against DataView's little-endian accessors, at every offset of a buffer of varied
// bytes and over values at the edges (sign bit, 2^32, 2^53).

import { describe, expect, it } from 'vitest';
import { s32At, s32Bytes, u32At, u64At } from '../../src/abi/le.js';

describe('little-endian scalars without a DataView (issue K)', () => {
  const b = new Uint8Array(64);
  for (let i = 0; i < b.length; i++) b[i] = (i * 0x9d + 0x37) & 0xff;
  b.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00], 8); // 2^53 - 1
  b.set([0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00], 16); // 2^53
  b.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 24); // 2^64 - 1, s32 -1
  const dv = new DataView(b.buffer);

  it('u32At, s32At and u64At read what DataView reads, at every offset', () => {
    for (let off = 0; off + 8 <= b.length; off++) {
      expect(u32At(b, off), `u32 @${off}`).toBe(dv.getUint32(off, true));
      expect(s32At(b, off), `s32 @${off}`).toBe(dv.getInt32(off, true));
      expect(u64At(b, off), `u64 @${off}`).toBe(dv.getBigUint64(off, true));
    }
    expect(u64At(b.subarray(8))).toBe(2n ** 53n - 1n);
    expect(u64At(b.subarray(16))).toBe(2n ** 53n);
  });

  it('s32Bytes writes what DataView.setInt32 writes', () => {
    for (const v of [0, 1, -1, 0x7fff_ffff, -0x8000_0000, 0x1234_5678, -42]) {
      const want = new Uint8Array(4);
      new DataView(want.buffer).setInt32(0, v, true);
      expect([...s32Bytes(v)], String(v)).toEqual([...want]);
      expect(s32At(s32Bytes(v))).toBe(v);
    }
  });
});
