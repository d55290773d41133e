// 64-bit arithmetic on registers held as pairs of 32-bit words (lo[i], hi[i] in Int32Arrays), so
// the interpreter's hot loop needs no BigInt. Division and modulo that do not fit in 32 bits use
// BigInt: they are rare and off the hot path.
//
// spec: VM-ISA-3 (wrap-around, division by zero gives 0, modulo by zero leaves dst unchanged,
//       signed division truncates, shift counts masked to 6 bits), VM-PERF-1 (register layout).

/** dst = dst * (bh:bl), low 64 bits. */
export function mul64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  const al = lo[d]! >>> 0;
  const ah = hi[d]!;
  const b = bl >>> 0;
  // al * b as a full 64-bit product from 16-bit pieces (each piece product < 2^32, exact in a double).
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const high = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  lo[d] = ((mid & 0xffff) << 16) | (p00 & 0xffff);
  hi[d] = (high + Math.imul(al, bh) + Math.imul(ah, b)) | 0;
}

const join = (h: number, l: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);

function setFromBig(lo: Int32Array, hi: Int32Array, d: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  lo[d] = Number(u & 0xffff_ffffn) | 0;
  hi[d] = Number(u >> 32n) | 0;
}

/** Unsigned 64-bit DIV / MOD. Divisor zero: DIV gives 0, MOD leaves dst unchanged. */
export function udivmod64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number, mod: boolean): void {
  const ah = hi[d]! >>> 0;
  const bhu = bh >>> 0;
  const blu = bl >>> 0;
  if (bhu === 0 && blu === 0) {
    if (!mod) {
      lo[d] = 0;
      hi[d] = 0;
    }
    return;
  }
  if (ah === 0 && bhu === 0) {
    const a = lo[d]! >>> 0;
    lo[d] = (mod ? a % blu : Math.floor(a / blu)) | 0;
    hi[d] = 0;
    return;
  }
  const a = join(ah, lo[d]!);
  const b = join(bhu, blu);
  setFromBig(lo, hi, d, mod ? a % b : a / b);
}

/** Signed 64-bit SDIV / SMOD (truncating). Divisor zero as for the unsigned forms; INT_MIN / -1 wraps. */
export function sdivmod64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number, mod: boolean): void {
  const b = BigInt.asIntN(64, join(bh, bl));
  if (b === 0n) {
    if (!mod) {
      lo[d] = 0;
      hi[d] = 0;
    }
    return;
  }
  const a = BigInt.asIntN(64, join(hi[d]!, lo[d]!));
  setFromBig(lo, hi, d, mod ? a % b : a / b);
}

/** dst <<= n (n already masked to 0..63). */
export function lsh64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const l = lo[d]!;
  if (n < 32) {
    hi[d] = (hi[d]! << n) | (l >>> (32 - n));
    lo[d] = l << n;
  } else {
    hi[d] = l << (n - 32);
    lo[d] = 0;
  }
}

/** dst >>= n, logical (n already masked to 0..63). */
export function rsh64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const h = hi[d]!;
  if (n < 32) {
    lo[d] = (lo[d]! >>> n) | (h << (32 - n));
    hi[d] = h >>> n;
  } else {
    lo[d] = h >>> (n - 32);
    hi[d] = 0;
  }
}

/** dst s>>= n, arithmetic (n already masked to 0..63). */
export function arsh64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const h = hi[d]!;
  if (n < 32) {
    lo[d] = (lo[d]! >>> n) | (h << (32 - n));
    hi[d] = h >> n;
  } else {
    lo[d] = h >> (n - 32);
    hi[d] = h >> 31;
  }
}

/** Reverse the bytes of a 32-bit word. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** Reverse the low 16 bits (result zero-extended). */
export function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}
