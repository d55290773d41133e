// Userspace helpers to read certificates and private keys the way bpftool does: a certificate in
// PEM or DER (DER when it starts 30 81..84), a private key in PEM. The kernel itself only takes
// DER certificates (add_key("asymmetric", ...) with PEM gives -EBADMSG); callers convert first.

import { createPrivateKey, type KeyObject } from 'node:crypto';

/** Bad key or certificate input (not a kernel error: raised by userspace helpers only). */
export class KeyFormatError extends Error {}

/** bpftool's test (TC-BT77-3): first byte 0x30 and a long-form length of 1–4 bytes means DER. */
export function looksLikeDer(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x30 && bytes[1] >= 0x81 && bytes[1] <= 0x84;
}

/** The base64 bodies of every "-----BEGIN <label>-----" block in a PEM text. */
export function pemBlocks(text: string, label: string): Uint8Array[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(re)) {
    const body = m[1].replace(/[\r\n\t ]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new KeyFormatError(`malformed base64 in PEM ${label} block`);
    out.push(new Uint8Array(Buffer.from(body, 'base64')));
  }
  return out;
}

/** Every certificate in a PEM bundle, or the one DER certificate. */
export function certificatesToDer(bytes: Uint8Array): Uint8Array[] {
  if (looksLikeDer(bytes)) return [bytes];
  const text = Buffer.from(bytes).toString('latin1');
  const certs = pemBlocks(text, 'CERTIFICATE');
  if (certs.length === 0) throw new KeyFormatError('not a certificate: no DER SEQUENCE and no PEM "CERTIFICATE" block');
  return certs;
}

/** The first (or only) certificate, as DER. */
export function certificateToDer(bytes: Uint8Array): Uint8Array {
  return certificatesToDer(bytes)[0];
}

/** A private key from PEM (PKCS#8, PKCS#1 or SEC1), as bpftool's PEM_read_bio_PrivateKey reads it. */
export function loadPrivateKey(pem: Uint8Array | string): KeyObject {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('latin1');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw new KeyFormatError('not a PEM private key');
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch (e) {
    throw new KeyFormatError(`cannot read private key: ${(e as Error).message}`);
  }
}
