// Small helpers over encoded ASN.1: reading one definite-length TLV (to take raw field bytes out
// of structures pkijs has already validated) and the kernel's time decoder.

import { Errno } from '../abi/errno.js';
import { ASN1_GENTIM, ASN1_UNITIM } from './asn1-decoder.js';

export interface Tlv {
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the content. */
  readonly off: number;
  /** Content length. */
  readonly len: number;
  /** Offset just after the element. */
  readonly end: number;
}

/** One definite-length TLV at `off` inside [off, limit); undefined when malformed or indefinite. */
export function readTlv(buf: Uint8Array, off: number, limit = buf.length): Tlv | undefined {
  if (limit - off < 2) return undefined;
  const tag = buf[off];
  if ((tag & 0x1f) === 0x1f) return undefined;
  let p = off + 1;
  let len = buf[p++];
  if (len === 0x80) return undefined;
  if (len > 0x80) {
    let n = len - 0x80;
    if (n > 4 || limit - p < n) return undefined;
    for (len = 0; n > 0; n--) len = len * 256 + buf[p++];
  }
  if (len > limit - p) return undefined;
  return { tag, start: off, off: p, len, end: p + len };
}

/** The children of a constructed TLV, or undefined if any child is malformed. */
export function readChildren(buf: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  let p = parent.off;
  while (p < parent.end) {
    const t = readTlv(buf, p, parent.end);
    if (!t) return undefined;
    out.push(t);
    p = t.end;
  }
  return out;
}

export function contentOf(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.off, t.end);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * x509_decode_time: UTCTime "YYMMDDHHMMSSZ" or GeneralizedTime "YYYYMMDDHHMMSSZ" → seconds since
 * the epoch, or -EBADMSG. Rules as the kernel applies them: exact lengths, digits only, a 'Z'
 * suffix, UTCTime years < 50 are 20xx, GeneralizedTime may not be used for 1950–2049, years
 * before 1970 refused, real day-of-month limits with leap years, hour 24 and second 60 allowed.
 * spec: PK7-PARSE-13 (signingTime), used for certificate validity too.
 */
export function x509_decode_time(tag: number, value: Uint8Array): number {
  let p = 0;
  const digits = (): number => {
    const a = value[p] - 0x30;
    const b = value[p + 1] - 0x30;
    p += 2;
    if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9)) return -1;
    return a * 10 + b;
  };
  let year: number;
  if (tag === ASN1_UNITIM) {
    if (value.length !== 13) return -Errno.EBADMSG;
    const yy = digits();
    if (yy < 0) return -Errno.EBADMSG;
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tag === ASN1_GENTIM) {
    if (value.length !== 15) return -Errno.EBADMSG;
    const hi = digits();
    const lo = digits();
    if (hi < 0 || lo < 0) return -Errno.EBADMSG;
    year = hi * 100 + lo;
    if (year >= 1950 && year <= 2049) return -Errno.EBADMSG;
  } else {
    return -Errno.EBADMSG;
  }
  const mon = digits();
  const day = digits();
  const hour = digits();
  const min = digits();
  const sec = digits();
  if (mon < 0 || day < 0 || hour < 0 || min < 0 || sec < 0) return -Errno.EBADMSG;
  if (value[p] !== 0x5a /* 'Z' */) return -Errno.EBADMSG;
  if (year < 1970 || mon < 1 || mon > 12) return -Errno.EBADMSG;
  let monLen = MONTH_DAYS[mon - 1];
  if (mon === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) monLen = 29;
  if (day < 1 || day > monLen || hour > 24 || min > 59 || sec > 60) return -Errno.EBADMSG;
  return Date.UTC(year, mon - 1, day, hour, min, sec) / 1000;
}
