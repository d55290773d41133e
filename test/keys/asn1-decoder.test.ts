// The kernel-style BER decoder and the time decoder, on small grammars.

import { describe, expect, it } from 'vitest';
import { asn1, asn1_ber_decoder, ASN1_INT, ASN1_OTS, ASN1_SEQ, ctxPrim, type Asn1Diag } from '../../src/keys/asn1-decoder.js';
import { x509_decode_time } from '../../src/keys/ber.js';
import { decodeOid, encodeOid, lookUpOid } from '../../src/keys/oid.js';
import { Errno } from '../../src/syscall/errno.js';
import { fromHex } from './support/der.js';

interface Ctx {
  seen: string[];
}
const note =
  (name: string) =>
  (ctx: Ctx, _h: number, tag: number, data: Uint8Array, off: number, len: number): number => {
    ctx.seen.push(`${name}:${tag.toString(16)}:${len === 0x80 ? 'len128' : Buffer.from(data.subarray(off, off + len)).toString('hex')}`);
    return 0;
  };

// G ::= SEQUENCE { a INTEGER, b [0] IMPLICIT OCTET STRING OPTIONAL, c ANY, d SET OF INTEGER }
const G = asn1.seq<Ctx>('G', [
  asn1.leaf('a', ASN1_INT, { action: note('a') }),
  asn1.leaf('b', ctxPrim(0), { optional: true, action: note('b') }),
  asn1.any('c', { action: note('c') }),
  asn1.of('d', 0x31, asn1.leaf('d', ASN1_INT, { action: note('d') }), { action: (ctx, _h, _t, _d, _o, len) => (ctx.seen.push(`d-end:${len}`), 0) }),
]);

function run(hex: string): { ret: number; seen: string[]; diag: Asn1Diag } {
  const ctx: Ctx = { seen: [] };
  const diag: Asn1Diag = { errmsg: '', at: 0, tag: 0 };
  const ret = asn1_ber_decoder(G, ctx, fromHex(hex), diag);
  return { ret, seen: ctx.seen, diag };
}

describe('asn1_ber_decoder [PK7-PARSE-1, PK7-PARSE-2, PK7-PARSE-3]', () => {
  it('decodes in stream order, skipping an absent OPTIONAL element, with END actions after the content', () => {
    const r = run('300e 020101 0401ff 3106 020102 020103');
    expect(r.ret).toBe(0);
    expect(r.seen).toEqual(['a:2:01', 'c:4:ff', 'd:2:02', 'd:2:03', 'd-end:6']);
  });
  it('an OPTIONAL element with a matching tag is decoded', () => {
    expect(run('3011 020101 8001aa 0401ff 3106 020102 020103').seen).toContain('b:80:aa');
  });
  it('[PK7-PARSE-2] a mandatory element at the end of its container is a data overrun', () => {
    expect(run('3006 020101 0401ff').diag.errmsg).toBe('Data overrun error');
  });
  it('[PK7-PARSE-2] an empty SET OF of a mandatory element is a data overrun', () => {
    expect(run('3008 020101 0401ff 3100').ret).toBe(-Errno.EBADMSG);
  });
  it('[PK7-PARSE-2] an unexpected tag, a long tag, a 3-byte length, an overrun', () => {
    expect(run('3003 040101').diag.errmsg).toBe('Unexpected tag');
    expect(run('3003 1f0101').diag.errmsg).toBe('Long tag not supported');
    expect(run('30830000030201').diag.errmsg).toBe('Unsupported length');
    expect(run('3005020101').diag.errmsg).toBe('Data overrun error');
  });
  it('[PK7-PARSE-2] leftover content inside a SEQUENCE is a "Cons length error"', () => {
    expect(run('300d 020101 0401ff 3103 020102 0500').diag.errmsg).toBe('Cons length error');
  });
  it('[PK7-PARSE-2] indefinite lengths: constructed containers and ANY leaves, EOC checked', () => {
    const ok = run('3080 020101 2480 0401aa 0000 3180 020102 0000 0000');
    expect(ok.ret).toBe(0);
    // An indefinite ANY leaf is reported with length 128 (the raw length octet), as the kernel does.
    expect(ok.seen[1]).toBe('c:24:len128');
    expect(run('3080 020101 0401ff 3103 020102 0500').diag.errmsg).toBe('Missing EOC in indefinite len cons');
    expect(run('3080 020101 0401ff 3103 020102 0001').diag.errmsg).toBe('Invalid length EOC');
    expect(run('3080 020101 0401ff 3103 020102 0000 00').ret).toBe(0);
    expect(run('3080 020101 0480 00').diag.errmsg).toBe('Indefinite len primitive not permitted');
  });
  it('[PK7-PARSE-3] bytes after the outermost element are ignored', () => {
    expect(run('300b 020101 0401ff 3103 020102 deadbeef').ret).toBe(0);
  });
  it('[PK7-PARSE-1] more than 65 535 bytes is EMSGSIZE before any byte is read', () => {
    expect(asn1_ber_decoder(G, { seen: [] }, new Uint8Array(65536))).toBe(-Errno.EMSGSIZE);
  });
  it('an action error ends decoding with that errno', () => {
    const g = asn1.seq<Ctx>('g', [asn1.leaf('x', ASN1_OTS, { action: () => -Errno.ENOPKG })]);
    expect(asn1_ber_decoder(g, { seen: [] }, fromHex('30030401aa'))).toBe(-Errno.ENOPKG);
  });
  it('a grammar SEQUENCE matches a primitive-encoded 0x10 tag too (the constructed bit is not required)', () => {
    const g = asn1.seq<Ctx>('g', [asn1.leaf('x', ASN1_INT)]);
    expect(asn1_ber_decoder(g, { seen: [] }, fromHex('1003020101'))).toBe(0);
    expect(ASN1_SEQ & 0x20).toBe(0x20);
  });
});

describe('x509_decode_time [PK7-PARSE-13]', () => {
  const t = (tag: number, s: string): number => x509_decode_time(tag, new Uint8Array(Buffer.from(s, 'latin1')));
  it('decodes UTCTime and GeneralizedTime', () => {
    expect(t(0x17, '251130000000Z')).toBe(Date.UTC(2025, 10, 30) / 1000);
    expect(t(0x17, '700101000000Z')).toBe(0);
    expect(t(0x18, '21261102140359Z')).toBe(Date.UTC(2126, 10, 2, 14, 3, 59) / 1000);
    expect(t(0x17, '240229235960Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 60) / 1000);
  });
  it.each([
    ['wrong length', 0x17, '2511300000Z'],
    ['no Z', 0x17, '251130000000+'],
    ['not digits', 0x17, '25113a000000Z'],
    ['month 13', 0x17, '251330000000Z'],
    ['Feb 29 in a common year', 0x17, '250229000000Z'],
    ['minute 60', 0x17, '251130006000Z'],
    ['GeneralizedTime inside 1950–2049', 0x18, '20251130000000Z'],
    ['a year before 1970', 0x18, '19450101000000Z'],
    ['an unsupported tag', 0x0c, '251130000000Z'],
  ])('refuses %s with EBADMSG', (_w, tag, s) => {
    expect(t(tag as number, s as string)).toBe(-Errno.EBADMSG);
  });
});

describe('OIDs', () => {
  it('encode/decode round-trip and the kernel names', () => {
    for (const d of ['1.2.840.113549.1.7.2', '2.16.840.1.101.3.4.2.1', '1.3.101.112', '2.999.1']) expect(decodeOid(encodeOid(d))).toBe(d);
    expect(lookUpOid(encodeOid('1.2.840.113549.1.1.1'))).toBe('rsaEncryption');
    expect(lookUpOid(encodeOid('1.2.3.4'))).toBeUndefined();
  });
});
