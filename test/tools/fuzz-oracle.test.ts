// The pkcs7 fuzz target's false-accept oracle (tools/fuzz/oracle.mjs): a changed signature value is
// flagged however the message around it was changed; bytes after the outer SEQUENCE (ignored by the
// kernel's decoder, PK7-PARSE-9) and header-only changes are not. Found by `npm run fuzz` flagging
// an intact signature value after a mutation appended bytes to the message.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM tool module without type declarations
import { changedSignatureValue, derOuterLength } from '../../tools/fuzz/oracle.mjs';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { signPkcs7 } from '../../src/keys/sign.js';

const id = makeSigningIdentity();
const sig = signPkcs7(new Uint8Array(64).fill(7), { key: id.privateKey, cert: id.certDer });
const cat = (...p: Uint8Array[]) => Uint8Array.from(Buffer.concat(p));

describe('fuzz oracle: a changed signature value', () => {
  it('reads the outer DER length (short and long forms, malformed)', () => {
    expect(derOuterLength(sig)).toBe(sig.length);
    expect(derOuterLength(Uint8Array.of(0x30, 0x03, 1, 2, 3))).toBe(5);
    expect(derOuterLength(Uint8Array.of(0x30, 0x80))).toBeUndefined();
    expect(derOuterLength(Uint8Array.of(0x30))).toBeUndefined();
  });

  it('is null for the same message, and for the same message with bytes appended after it', () => {
    expect(changedSignatureValue(sig, sig.slice())).toBeNull();
    expect(changedSignatureValue(sig, cat(sig, Uint8Array.of(0xf0, 0x3e, 0x79, 0x47)))).toBeNull();
  });

  it('is null for a change before the signature value, with or without a tail', () => {
    const m = sig.slice();
    m[40] ^= 0x40; // SignedData.digestAlgorithms (not checked by the kernel's parser)
    expect(changedSignatureValue(sig, m)).toBeNull();
    expect(changedSignatureValue(sig, cat(m, Uint8Array.of(1, 2, 3)))).toBeNull();
  });

  it('flags a byte of the signature value, with or without a tail', () => {
    const m = sig.slice();
    m[sig.length - 1] ^= 1;
    expect(changedSignatureValue(sig, m)).toEqual({ from: sig.length - 1, to: sig.length - 1 });
    expect(changedSignatureValue(sig, cat(m, Uint8Array.of(9)))).toEqual({ from: sig.length - 1, to: sig.length - 1 });
    const first = sig.slice();
    first[sig.length - 256] ^= 0x80;
    expect(changedSignatureValue(sig, first)).toEqual({ from: sig.length - 256, to: sig.length - 256 });
  });

  it('flags a change that spans the header and the value, and a truncated value', () => {
    const m = sig.slice();
    m[40] ^= 1;
    m[sig.length - 10] ^= 1;
    expect(changedSignatureValue(sig, m)).toEqual({ from: 40, to: sig.length - 10 });
    expect(changedSignatureValue(sig, sig.slice(0, sig.length - 1))).not.toBeNull();
  });
});
