// Test-side DER writer, independent of src/keys/der.ts, so that tests can build any structure,
// including the malformed ones the kernel must refuse.

export type Bytes = Uint8Array;

export function cat(...parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function len(n: number): Bytes {
  if (n < 0x80) return Uint8Array.of(n);
  const b: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff);
  return Uint8Array.of(0x80 | b.length, ...b);
}

export function tlv(tag: number, ...content: Bytes[]): Bytes {
  const c = cat(...content);
  return cat(Uint8Array.of(tag), len(c.length), c);
}

function oidBytes(dotted: string): Bytes {
  const arcs = dotted.split('.').map(BigInt);
  const out: number[] = [];
  const put = (v: bigint): void => {
    const t = [Number(v & 127n)];
    for (v >>= 7n; v > 0n; v >>= 7n) t.unshift(Number(v & 127n) | 0x80);
    out.push(...t);
  };
  put(arcs[0] * 40n + arcs[1]);
  arcs.slice(2).forEach(put);
  return Uint8Array.from(out);
}

function intBytes(v: bigint): Bytes {
  let h = v.toString(16);
  if (h.length % 2) h = '0' + h;
  const b = Uint8Array.from(Buffer.from(h, 'hex'));
  return b[0] & 0x80 ? cat(Uint8Array.of(0), b) : b;
}

const cmp = (a: Bytes, b: Bytes): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export const T = {
  seq: (...x: Bytes[]): Bytes => tlv(0x30, ...x),
  set: (...x: Bytes[]): Bytes => tlv(0x31, ...x),
  setSorted: (...x: Bytes[]): Bytes => tlv(0x31, ...[...x].sort(cmp)),
  oid: (dotted: string): Bytes => tlv(0x06, oidBytes(dotted)),
  int: (v: number | bigint): Bytes => tlv(0x02, intBytes(BigInt(v))),
  /** INTEGER with the given raw content bytes. */
  intRaw: (content: Bytes): Bytes => tlv(0x02, content),
  octet: (b: Bytes): Bytes => tlv(0x04, b),
  nul: (): Bytes => Uint8Array.of(0x05, 0x00),
  bool: (v: boolean): Bytes => Uint8Array.of(0x01, 0x01, v ? 0xff : 0x00),
  bits: (b: Bytes): Bytes => tlv(0x03, Uint8Array.of(0), b),
  utf8: (s: string): Bytes => tlv(0x0c, new Uint8Array(Buffer.from(s, 'utf8'))),
  /** [n] constructed (EXPLICIT, or IMPLICIT over a constructed type). */
  ctx: (n: number, ...x: Bytes[]): Bytes => tlv(0xa0 | n, ...x),
  /** [n] primitive (IMPLICIT over a primitive type). */
  ctxPrim: (n: number, b: Bytes): Bytes => tlv(0x80 | n, b),
  utcTime: (d: Date): Bytes => tlv(0x17, ascii(timeString(d).slice(2))),
  genTime: (d: Date): Bytes => tlv(0x18, ascii(timeString(d))),
  /** A time element with arbitrary text (for malformed times). */
  timeRaw: (tag: number, text: string): Bytes => tlv(tag, ascii(text)),
};

function ascii(s: string): Bytes {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

function timeString(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

export const hex = (b: Bytes): string => Buffer.from(b).toString('hex');
export const fromHex = (h: string): Bytes => Uint8Array.from(Buffer.from(h.replace(/[\s:]/g, ''), 'hex'));

/** Offset of the first occurrence of `needle` in `hay` (or -1). */
export function indexOf(hay: Bytes, needle: Bytes, from = 0): number {
  return Buffer.from(hay).indexOf(Buffer.from(needle), from);
}
