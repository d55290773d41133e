// Shared test setup for the keys module.

import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { KeyService, type KeyServiceOptions, type TrustedKeys } from '../../../src/keys/key-service.js';
import type { Pkcs7Verdict } from '../../../src/keys/klog.js';
import type { TestCert } from './certs.js';

/** Deterministic pseudo-random bytes (stand-in for loader instructions). */
export function testData(n = 2392, seed = 'bpfsig'): Uint8Array {
  const out = new Uint8Array(n);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < n; i += 32) {
    out.set(block.subarray(0, Math.min(32, n - i)), i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** A key service with `certs` loaded into `.builtin_trusted_keys`. */
export function ksWith(certs: TestCert[], opts: KeyServiceOptions = {}): KeyService {
  const ks = new KeyService(opts);
  for (const c of certs) expect(ks.load_builtin_certificate(c.der)).toBeGreaterThanOrEqual(3);
  return ks;
}

export function verify(ks: KeyService, sig: Uint8Array, data: Uint8Array, trusted: TrustedKeys = 0): Pkcs7Verdict {
  return ks.verify_pkcs7_signature(data, sig, trusted, 'VERIFYING_UNSPECIFIED_SIGNATURE');
}

/** Flip one bit of a copy. */
export function flip(b: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const c = b.slice();
  c[at] ^= mask;
  return c;
}
