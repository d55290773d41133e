// Property tests (fast-check) for the two codecs every hostile input goes through first: the
// bpf(2) attr layouts (encode/decode per layout, the tail-zero rules of __sys_bpf and CHECK_ATTR)
// and the ASN.1 layer under PKCS#7 (the kernel's BER decoder, src/keys/asn1-decoder.ts, and the
// DER writer, src/keys/der.ts). Seeded by fast-check; a failure prints its seed and shrunk case.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asn1, asn1_ber_decoder, ASN1_MAX_DATALEN, ASN1_OTS } from '../../src/keys/asn1-decoder.js';
import { der, derLength, tlv } from '../../src/keys/der.js';
import { attrSize, checkAttrFails, copyAttrIn, lastFieldEndFor } from '../../src/syscall/attr.js';
import { Errno, errnoName } from '../../src/syscall/errno.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { getProfile, profileNames } from '../../src/syscall/profiles/index.js';
import { userPtr } from '../../src/syscall/uaccess.js';
import { ATTR_LAYOUTS, INFO_LAYOUTS } from '../../src/syscall/uapi/attr-layouts.js';
import { decode, encode, type FieldDef, type Layout } from '../../src/syscall/uapi/layout.js';

const RUNS = { numRuns: 200 };

/** A value of the field's C type. */
function fieldValue(f: FieldDef): fc.Arbitrary<number | bigint | string> {
  switch (f.ctype) {
    case '__u8':
      return fc.integer({ min: 0, max: 0xff });
    case '__u16':
      return fc.integer({ min: 0, max: 0xffff });
    case '__u32':
      return fc.integer({ min: 0, max: 0xffff_ffff });
    case '__s32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case '__u64':
    case '__aligned_u64':
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case 'char[16]':
      return fc.string({ unit: fc.integer({ min: 1, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 16 });
    case '__u8[8]':
      return fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex'));
  }
}

/** The layout's fields without overlaps (union members: the first at each offset range). */
function disjoint(l: Layout): FieldDef[] {
  const out: FieldDef[] = [];
  for (const f of [...l.fields].sort((a, b) => a.offset - b.offset)) {
    const last = out[out.length - 1];
    if (!last || f.offset >= last.offset + last.size) out.push(f);
  }
  return out;
}

const end = (fields: readonly FieldDef[]) => Math.max(0, ...fields.map((f) => f.offset + f.size));
const LAYOUTS: [string, Layout][] = [...[...ATTR_LAYOUTS].map(([c, l]) => [`cmd ${c} ${l.name}`, l] as [string, Layout]), ...INFO_LAYOUTS];

describe('attr codec properties', () => {
  it.each(LAYOUTS)('[UAPI-LAYOUT-1] %s: decode(encode(values)) gives the values back', (_n, l) => {
    const fields = disjoint(l);
    const size = end(fields);
    fc.assert(
      fc.property(fc.tuple(...fields.map(fieldValue)), (vals) => {
        const values = Object.fromEntries(fields.map((f, i) => [f.name, vals[i]!]));
        const got = decode(l, encode(l, values, size));
        for (const f of fields) expect(got[f.name]).toEqual(values[f.name]);
      }),
      RUNS,
    );
  });

  it.each(LAYOUTS)('[UAPI-LAYOUT-1] %s: encode(decode(bytes)) rebuilds every byte of the numeric fields; bytes outside all fields read as nothing', (_n, l) => {
    const fields = disjoint(l).filter((f) => f.ctype !== 'char[16]');
    const size = end(disjoint(l));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: size, maxLength: size }), (bytes) => {
        const d = decode(l, bytes);
        const again = encode(l, Object.fromEntries(fields.map((f) => [f.name, d[f.name]!])), size);
        for (const f of fields) expect(again.subarray(f.offset, f.offset + f.size)).toEqual(bytes.subarray(f.offset, f.offset + f.size));
      }),
      RUNS,
    );
  });

  it.each(profileNames())('[SYS-1][SYS-2] %s: copy-in tail rule — E2BIG iff size > PAGE_SIZE or a non-zero byte past sizeof(union bpf_attr); else a zero-filled copy', (name) => {
    const profile = getProfile(name)!;
    const sizeof = attrSize(profile);
    const k = new Kernel({ profile });
    const p = k.spawn();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4200 }), fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 4200 }), (size, tail, at) => {
        const bytes = new Uint8Array(Math.max(size, 1));
        bytes.set(tail.subarray(0, Math.max(0, bytes.length - (at % bytes.length))), at % bytes.length);
        const addr = p.alloc(bytes, 'attr');
        const r = copyAttrIn(p.mem, userPtr(addr), size, profile);
        const nonZeroTail = size > sizeof && bytes.subarray(sizeof, size).some((b) => b !== 0);
        if (size > 4096 || nonZeroTail) expect(r).toBe(-Errno.E2BIG);
        else {
          expect(r).toBeInstanceOf(Uint8Array);
          const a = r as Uint8Array;
          expect(a.length).toBe(sizeof);
          const n = Math.min(size, sizeof);
          expect(a.subarray(0, n)).toEqual(bytes.subarray(0, n));
          expect(a.subarray(n).every((b) => b === 0)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it.each([...ATTR_LAYOUTS.keys()])('[SYS-3] CHECK_ATTR for cmd %i: fails iff a byte at or after the command’s last field is non-zero', (cmd) => {
    for (const name of profileNames()) {
      const profile = getProfile(name)!;
      const last = lastFieldEndFor(cmd, profile);
      if (last === undefined) continue;
      const sizeof = attrSize(profile);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: sizeof - 1 }), fc.integer({ min: 1, max: 255 }), (at, v) => {
          const attr = new Uint8Array(sizeof);
          attr[at] = v;
          expect(checkAttrFails(cmd, attr, profile)).toBe(at >= last);
        }),
        { numRuns: 50 },
      );
    }
  });
});

/** Capture the content of one leaf. */
function leafGrammar(tag: number) {
  return asn1.leaf<{ got?: Uint8Array }>('leaf', tag, {
    action: (ctx, _hdr, _tag, data, off, vlen) => {
      ctx.got = data.subarray(off, off + vlen);
      return 0;
    },
  });
}

describe('ASN.1 properties (asn1_ber_decoder, der)', () => {
  it('[PK7-PARSE-1] a DER TLV of any content up to the decoder’s 65535-byte limit decodes to that content', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 70_000 }), (content, pad) => {
        const body = pad > 600 && pad < 66_000 ? new Uint8Array(pad).fill(0x5a) : content;
        const enc = tlv(ASN1_OTS, body);
        const ctx: { got?: Uint8Array } = {};
        const r = asn1_ber_decoder(leafGrammar(ASN1_OTS), ctx, enc);
        if (enc.length > ASN1_MAX_DATALEN) {
          expect(r).toBeLessThan(0);
          expect(errnoName(r)).toBeDefined();
        } else {
          expect(r).toBe(0);
          expect(ctx.got).toEqual(body);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('derLength is minimal: short form below 128, else 0x80|k and k big-endian bytes with no leading zero', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (n) => {
        const l = derLength(n);
        if (n < 128) expect([...l]).toEqual([n]);
        else {
          const k = l[0]! & 0x7f;
          expect(l[0]! & 0x80).toBe(0x80);
          expect(l.length).toBe(1 + k);
          expect(l[1]).not.toBe(0);
          expect([...l.subarray(1)].reduce((a, b) => a * 256 + b, 0)).toBe(n);
        }
      }),
    );
  });

  it('[PK7-PARSE-2] a SEQUENCE of OCTET STRINGs decodes element by element, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 6 }), (items) => {
        const got: Uint8Array[] = [];
        const g = asn1.seq<unknown>(
          'seq',
          items.map((_, i) =>
            asn1.leaf(`item${i}`, ASN1_OTS, {
              action: (_c, _h, _t, data, off, vlen) => {
                got.push(data.slice(off, off + vlen));
                return 0;
              },
            }),
          ),
        );
        expect(asn1_ber_decoder(g, {}, der.seq(...items.map((b) => der.octet(b))))).toBe(0);
        expect(got).toEqual(items);
      }),
      RUNS,
    );
  });

  it('[PK7-PARSE-2] every proper prefix of a valid encoding is refused with an errno, never an exception', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { minLength: 1, maxLength: 4 }), fc.nat(), (items, cut) => {
        const enc = der.seq(...items.map((b) => der.octet(b)));
        const g = asn1.seq<unknown>('seq', items.map((_, i) => asn1.leaf(`item${i}`, ASN1_OTS)));
        const prefix = enc.subarray(0, cut % enc.length);
        const r = asn1_ber_decoder(g, {}, prefix);
        expect(r).toBeLessThan(0);
        expect(errnoName(r)).toBeDefined();
      }),
      RUNS,
    );
  });

  it('[PK7-PARSE-2] arbitrary bytes: the decoder returns 0 or a kernel errno, never throws', () => {
    const g = asn1.seq<unknown>('seq', [asn1.leaf('a', ASN1_OTS), asn1.any('b', { optional: true })]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = asn1_ber_decoder(g, {}, bytes);
        expect(r === 0 || errnoName(r) !== undefined).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
