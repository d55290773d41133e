// The parse and verify path never throws: every malformed input ends in an errno (PK7-ERR-6).

import { describe, expect, it } from 'vitest';
import { KeyService } from '../../src/keys/key-service.js';
import { errnoName } from '../../src/syscall/errno.js';
import { makeCert } from './support/certs.js';
import { testData, verify } from './support/env.js';
import { buildPkcs7 } from './support/pkcs7.js';

/** A small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

describe('robustness [PK7-ERR-6, PK7-PARSE-2]', () => {
  const data = testData(500, 'fuzz');
  const c = makeCert({ cn: 'fuzz' });
  const ks = new KeyService();
  ks.load_builtin_certificate(c.der);
  const plain = buildPkcs7({ data, signers: [{ key: c.key, cert: c }] });
  const embedded = buildPkcs7({ data, version: 1, certificates: [c.der], signers: [{ key: c.key, cert: c, sid: 'ias' }] });

  const check = (sig: Uint8Array): number => {
    const v = verify(ks, sig, data);
    expect(v.ret).toBeLessThanOrEqual(0);
    if (v.ret < 0) {
      expect(errnoName(v.ret)).toBeDefined();
      expect(v.rule).toMatch(/^[A-Z0-9]+(-[A-Z0-9]+)*-\d+$/);
    }
    return v.ret;
  };

  it('every truncation of a signature with an embedded certificate returns an errno', () => {
    for (let n = 0; n < embedded.length; n++) expect(check(embedded.subarray(0, n))).toBeLessThan(0);
  });
  it('3000 random byte mutations of both structures return 0 or an errno, never throw', () => {
    const next = rng(0xb9f5);
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const base = (i & 1 ? embedded : plain).slice();
      const edits = 1 + (next() % 4);
      for (let e = 0; e < edits; e++) base[next() % base.length] = next() & 0xff;
      seen.add(errnoName(check(base)) ?? 'OK');
    }
    expect(seen.size).toBeGreaterThan(3);
  });
  it('random blobs of every small size return an errno', () => {
    const next = rng(7);
    for (let n = 0; n < 300; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = next() & 0xff;
      if (n > 1) b[0] = 0x30;
      expect(check(b)).toBeLessThan(0);
    }
  });
});
