// Hornet's signed attribute, both sides: the ASN.1 the LSM decodes (security/hornet/hornet.asn1 of
// each revision, with its actions) and the DER the signer writes (what scripts/hornet/gen_sig makes).
// Keeping them in one file is how the signer and the parser are held to the same nesting.
//
//   v7-toctou-fix:  HornetData ::= SET OF Map     Map ::= SEQUENCE { sha OCTET STRING ({ hornet_map_hash }) } ({ hornet_next_map })
//   v7-posted:      HornetData ::= SET OF Map     Map ::= SEQUENCE { index INTEGER ({ hornet_map_index }),
//                                                                     sha OCTET STRING ({ hornet_map_hash }) } ({ hornet_next_map })
//
// The nesting (HN-ASN1-3, our choice, documented in docs/fidelity.md): the attribute is
//   SEQUENCE { type OID 2.25.316487325684022475439036912669789383960, values SET { SEQUENCE { HornetData } } }
// i.e. its one value is gen_sig's MAP_SET — `ASN1_SEQUENCE(MAP_SET) = { ASN1_SET_OF(maps, HORNET_MAP) }`
// added with CMS_signed_add1_attr_by_OBJ(…, V_ASN1_SEQUENCE, der) — and pkcs7_get_authattr hands
// Hornet that value's *content* (src/keys/pkcs7-authattr.ts), which is exactly the HornetData SET OF
// element hornet.asn1 starts with. A value that is the SET OF itself would reach the decoder as the
// bare Map SEQUENCEs and fail (BADSIG); the tests show both.
//
// spec: HN-ASN1-1, HN-ASN1-2, HN-ASN1-3, HN-CHK-8, HN-LIM-1 (64 maps, SHA-256 only), TC-HGS-1

import { createHash } from 'node:crypto';
import { asn1, ASN1_INT, ASN1_OTS, ASN1_SET, type Asn1Action, type Asn1Node } from '../../keys/asn1-decoder.js';
import { der } from '../../keys/der.js';
import { OIDS } from '../../keys/oid.js';
import type { ExtraAttribute } from '../../keys/sign.js';
import { Errno } from '../../syscall/errno.js';

/** OID_hornet_data. spec: HN-ASN1-1 */
export const OID_HORNET_DATA = OIDS.hornet_data;
/** MAX_USED_MAPS in hornet_lsm.c. spec: HN-LIM-1 */
export const MAX_USED_MAPS = 64;
export const SHA256_DIGEST_SIZE = 32;

/**
 * struct hornet_prog_security_struct, Hornet's part of prog->aux->security: the signed hashes kept
 * for the later map checks (HN-CHK-9, HN-MAP-1, HN-MAP-3). Zeroed when allocated, like an LSM blob.
 */
export interface HornetProgSecurity {
  signedHashCount: number;
  /** SHA256_DIGEST_SIZE * MAX_USED_MAPS bytes. */
  readonly signedHashes: Uint8Array;
}

export function newHornetProgSecurity(): HornetProgSecurity {
  return { signedHashCount: 0, signedHashes: new Uint8Array(SHA256_DIGEST_SIZE * MAX_USED_MAPS) };
}

/** The i-th signed hash of a blob. */
export function signedHash(s: HornetProgSecurity, i: number): Uint8Array {
  return s.signedHashes.subarray(i * SHA256_DIGEST_SIZE, (i + 1) * SHA256_DIGEST_SIZE);
}

// ---- v7-toctou-fix: the actions write straight into the program's blob ----

const toctouMapHash: Asn1Action<HornetProgSecurity> = (s, _h, _t, data, off, vlen) => {
  if (vlen !== SHA256_DIGEST_SIZE && vlen !== 0) return -Errno.EINVAL;
  // The off-by-one fix of 2026-05-29: the 65th entry is refused, the 64th fits.
  if (s.signedHashCount >= MAX_USED_MAPS) return -Errno.EINVAL;
  // A zero-length sha copies nothing: the slot keeps the blob's zeroes and still counts.
  s.signedHashes.set(data.subarray(off, off + vlen), s.signedHashCount * SHA256_DIGEST_SIZE);
  return 0;
};

const toctouNextMap: Asn1Action<HornetProgSecurity> = (s) => {
  s.signedHashCount++;
  return 0;
};

/** hornet.asn1 at ebdd5e5d (v7-toctou-fix). */
export const HORNET_DATA_GRAMMAR_TOCTOU_FIX: Asn1Node<HornetProgSecurity> = asn1.of(
  'HornetData',
  ASN1_SET,
  asn1.seq('Map', [asn1.leaf('sha', ASN1_OTS, { action: toctouMapHash })], { action: toctouNextMap }),
);

// ---- v7-posted: the actions fill a parse context; hashes are checked against the maps later ----

/** struct hornet_parse_context of v7 06/10. */
export interface HornetParseContext {
  readonly indexes: number[];
  readonly skips: boolean[];
  readonly hashes: Uint8Array;
  hashCount: number;
}

export function newHornetParseContext(): HornetParseContext {
  return { indexes: new Array<number>(MAX_USED_MAPS).fill(0), skips: new Array<boolean>(MAX_USED_MAPS).fill(false), hashes: new Uint8Array(SHA256_DIGEST_SIZE * MAX_USED_MAPS), hashCount: 0 };
}

const postedNextMap: Asn1Action<HornetParseContext> = (c) => {
  // As posted: the count is bumped first, so the 64th entry is already refused (fixed 2026-05-29).
  if (++c.hashCount >= MAX_USED_MAPS) return -Errno.EINVAL;
  return 0;
};

const postedMapIndex: Asn1Action<HornetParseContext> = (c, _h, _t, data, off, vlen) => {
  // An index longer than one byte (≥ 128 as a DER INTEGER) is refused. spec: HN-ASN1-2
  if (vlen !== 1) return -Errno.EINVAL;
  c.indexes[c.hashCount] = data[off]!;
  return 0;
};

const postedMapHash: Asn1Action<HornetParseContext> = (c, _h, _t, data, off, vlen) => {
  if (vlen !== SHA256_DIGEST_SIZE && vlen !== 0) return -Errno.EINVAL;
  if (vlen) {
    c.skips[c.hashCount] = false;
    c.hashes.set(data.subarray(off, off + vlen), c.hashCount * SHA256_DIGEST_SIZE);
  } else {
    c.skips[c.hashCount] = true; // a zero-length sha: skip this map (HN-ASN1-2)
  }
  return 0;
};

/** hornet.asn1 of [PATCH v7 06/10] (v7-posted). */
export const HORNET_DATA_GRAMMAR_POSTED: Asn1Node<HornetParseContext> = asn1.of(
  'HornetData',
  ASN1_SET,
  asn1.seq('Map', [asn1.leaf('index', ASN1_INT, { action: postedMapIndex }), asn1.leaf('sha', ASN1_OTS, { action: postedMapHash })], {
    action: postedNextMap,
  }),
);

// ---- The signer's side (gen_sig) ----

/** One `--add FILE[:INDEX]` of gen_sig: a map's SHA-256, with its fd_array index in the v7-posted form. */
export interface HornetMapEntry {
  readonly sha: Uint8Array;
  /** fd_array index (v7-posted form); absent in the v7-toctou-fix form. */
  readonly index?: number;
}

/** The SHA-256 Hornet compares: map_get_hash of an ARRAY map, over its whole value area (MHASH-7). */
export function hornetMapHash(valueArea: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(valueArea).digest());
}

/**
 * The value area an ARRAY map with one element of `value.length` bytes holds: the value, zero-padded
 * to elem_size = round_up(value_size, 8) (MHASH-7). A light skeleton's data blob is already a
 * multiple of 8 (LSK-BLOB-2), so for `__loader.map` this is the blob itself.
 */
export function arrayValueArea(value: Uint8Array): Uint8Array {
  const elem = Math.ceil(value.length / 8) * 8;
  if (elem === value.length) return value;
  const out = new Uint8Array(elem);
  out.set(value);
  return out;
}

/**
 * gen_sig's MAP_SET: `SEQUENCE { SET OF Map }`, DER (the SET OF sorted, as OpenSSL writes it). All
 * entries must use the same form. An empty list is written as gen_sig writes it (an empty SET), which
 * the kernel's decoder refuses (a SET OF needs one element: BADSIG).
 */
export function encodeHornetAttributeValue(entries: readonly HornetMapEntry[]): Uint8Array {
  const indexed = entries.filter((e) => e.index !== undefined).length;
  if (indexed !== 0 && indexed !== entries.length) throw new RangeError('Hornet map entries must all have an fd_array index (v7-posted form) or none (v7-toctou-fix form)');
  const maps = entries.map((e) => {
    if (e.index !== undefined && (!Number.isSafeInteger(e.index) || e.index < 0)) throw new RangeError(`Hornet map index ${e.index} is not a non-negative integer`);
    return e.index !== undefined ? der.seq(der.int(e.index), der.octet(e.sha)) : der.seq(der.octet(e.sha));
  });
  return der.seq(der.setOf(...maps));
}

/** The signed attribute gen_sig adds (CMS_signed_add1_attr_by_OBJ with OID_hornet_data). */
export function hornetSignedAttribute(entries: readonly HornetMapEntry[]): ExtraAttribute {
  return { oid: OID_HORNET_DATA, values: [encodeHornetAttributeValue(entries)] };
}
