// The pkcs7 target's false-accept oracle, kept free of the emulator so a test can judge it.
//
// A bpftool-style PKCS#7 (RSA-2048) ends with its signature value: the encryptedDigest, the last
// 256 bytes of the message. A mutated message that still verifies is a false accept when the bytes
// that differ reach into that value. Bytes after the outer SEQUENCE are not part of the message
// (the kernel's ASN.1 decoder stops at the end of the outer element), so the comparison is made on
// the message as the parser reads it, not on an appended tail.

/** The length of a DER element's encoding (header + content) read from its header; undefined when malformed. */
export function derOuterLength(b) {
  if (b.length < 2) return undefined;
  const l = b[1];
  if (l < 0x80) return 2 + l;
  const n = l & 0x7f;
  if (n === 0 || n > 4 || b.length < 2 + n) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i];
  return 2 + n + len;
}

/**
 * Where `mutated` differs from `orig` inside orig's last `valueBytes` bytes (its signature value):
 * the range of differing bytes, first to last, in orig's offsets; null when the value is intact.
 */
export function changedSignatureValue(orig, mutated, valueBytes = 256) {
  const a = orig;
  const b = mutated.subarray(0, Math.min(mutated.length, derOuterLength(mutated) ?? mutated.length));
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  if (p === a.length && b.length === a.length) return null;
  let q = 0;
  while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
  const lastDiff = a.length - q - 1;
  return lastDiff >= a.length - valueBytes ? { from: p, to: lastDiff } : null;
}
