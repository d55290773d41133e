// A minimal DER writer, for the signer: definite lengths, minimal integers, SET OF sorted.

import { encodeOid } from './oid.js';

export function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(content);
  return concat([Uint8Array.of(tag), derLength(body.length), body]);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Minimal two's-complement INTEGER content for a non-negative value. */
function intContent(v: bigint): Uint8Array {
  if (v < 0n) throw new RangeError('negative INTEGER not supported');
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const bytes = Buffer.from(hex, 'hex');
  return bytes[0] & 0x80 ? concat([Uint8Array.of(0), bytes]) : new Uint8Array(bytes);
}

export const der = {
  seq: (...items: Uint8Array[]): Uint8Array => tlv(0x30, ...items),
  /** SET with its elements in the given order (use setOf for DER SET OF ordering). */
  set: (...items: Uint8Array[]): Uint8Array => tlv(0x31, ...items),
  /** SET OF in DER order (elements sorted by their encodings). */
  setOf: (...items: Uint8Array[]): Uint8Array => tlv(0x31, ...[...items].sort(compareBytes)),
  oid: (dotted: string): Uint8Array => tlv(0x06, encodeOid(dotted)),
  int: (v: number | bigint): Uint8Array => tlv(0x02, intContent(BigInt(v))),
  octet: (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes),
  nul: (): Uint8Array => Uint8Array.of(0x05, 0x00),
  /** [n] EXPLICIT / constructed context tag. */
  explicit: (n: number, ...items: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...items),
  /** [n] IMPLICIT over primitive content. */
  implicitPrim: (n: number, content: Uint8Array): Uint8Array => tlv(0x80 | n, content),
  /** UTCTime "YYMMDDHHMMSSZ" (years 1950–2049). */
  utcTime: (d: Date): Uint8Array => {
    const p = (n: number): string => String(n).padStart(2, '0');
    const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
    return tlv(0x17, new Uint8Array(Buffer.from(s, 'latin1')));
  },
};
