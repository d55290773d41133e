// Little-endian scalars in UAPI bytes, read and written without a DataView (issue K: a DataView per
// access cost more than the access). The BPF UAPI is little-endian on x86-64.

/** The u32 at `off`. */
export const u32At = (b: Uint8Array, off = 0): number => (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;

/** The s32 at `off`. */
export const s32At = (b: Uint8Array, off = 0): number => b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24);

/** The u64 at `off` (one BigInt when it is below 2^53, as user addresses are). */
export function u64At(b: Uint8Array, off = 0): bigint {
  const lo = u32At(b, off);
  const hi = u32At(b, off + 4);
  return hi < 0x20_0000 ? BigInt(hi * 0x1_0000_0000 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** An int in 4 little-endian bytes (a buffer of its own, on V8's heap). */
export function s32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = v;
  b[1] = v >>> 8;
  b[2] = v >>> 16;
  b[3] = v >>> 24;
  return b;
}
