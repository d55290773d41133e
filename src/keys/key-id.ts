// Asymmetric key ids: byte strings made by concatenating raw encoded fields
// (asymmetric_key_generate_id), compared byte for byte (asymmetric_key_id_same).
//
// spec: PK7-KEY-6 (a key carries [0] serial‖issuer, [1] SKID, [2] subject; a lookup matches if any
//       id is equal), PK7-PARSE-16 (a SignerInfo's id is made from the raw content bytes).

/** An asymmetric key id. `hex` is cached because lookups compare ids many times. */
export interface KeyId {
  readonly data: Uint8Array;
  readonly hex: string;
}

export function asymmetric_key_generate_id(a: Uint8Array, b: Uint8Array = new Uint8Array(0)): KeyId {
  const data = new Uint8Array(a.length + b.length);
  data.set(a, 0);
  data.set(b, a.length);
  return { data, hex: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex') };
}

export function asymmetric_key_id_same(a: KeyId | undefined, b: KeyId | undefined): boolean {
  if (!a || !b) return false;
  return a.hex === b.hex;
}

export function keyIdFromHex(hex: string): KeyId {
  const clean = hex.replace(/[:\s]/g, '').toLowerCase();
  return asymmetric_key_generate_id(Uint8Array.from(Buffer.from(clean, 'hex')));
}
