// Struct layouts declared once, as tables; decoding and encoding both derive from them.
// spec: UAPI-CONV-1 (x86_64, little-endian, __aligned_u64), UAPI-LAYOUT-* (the tables themselves
// live in attr-layouts.ts).
//
// Style after cilium/ebpf internal/sys: each field says which kernel version and commit added it,
// and fields added by a scheme that only some profiles have carry a `feature` tag.

import { slabBytes } from '../slab.js';

/** C types used in the BPF UAPI structs we model. */
export type CType = '__u8' | '__u16' | '__u32' | '__s32' | '__u64' | '__aligned_u64' | 'char[16]' | '__u8[8]';

const CTYPE_SIZE: Record<CType, number> = {
  __u8: 1,
  __u16: 2,
  __u32: 4,
  __s32: 4,
  __u64: 8,
  __aligned_u64: 8,
  'char[16]': 16,
  '__u8[8]': 8,
};

/**
 * How a field is meant (for traces and for the transcript encoder): a user pointer, an fd, an
 * object name, or a plain value.
 */
export type FieldRole = 'value' | 'ptr' | 'fd' | 'name' | 'bytes';

/** UAPI additions that only some kernel profiles have. */
export type UapiFeature =
  | 'signing-6.18' // signature/keyring_id, excl_prog_hash, bpf_map_info.hash (the 6.18 series)
  | 'hashchain-v2'; // signature_maps (Blaise Boscaccy's never-merged series)

export interface FieldDef {
  /** C member path as the kernel writes it, e.g. `map_type`, `info.bpf_fd`, `test.retval`. */
  readonly name: string;
  readonly ctype: CType;
  readonly offset: number;
  readonly size: number;
  readonly role: FieldRole;
  /** Kernel version (and commit) that added the field; absent for fields older than v6.17. */
  readonly since?: string;
  /** Present only in profiles that have this UAPI feature. */
  readonly feature?: UapiFeature;
}

export interface Layout {
  /** e.g. `union bpf_attr (BPF_MAP_CREATE)`, `struct bpf_map_info`. */
  readonly name: string;
  readonly fields: readonly FieldDef[];
  /** sizeof the struct in its newest form (structs only; attr members are sized per profile). */
  readonly sizeof?: number;
  /** Field names by short alias: `bpf_fd` → `info.bpf_fd`. */
  readonly byName: ReadonlyMap<string, FieldDef>;
}

type Row = readonly [name: string, ctype: CType, offset: number, opts?: { role?: FieldRole; since?: string; feature?: UapiFeature }];

/** Build a layout from compact rows; sizes come from the C types. */
export function layout(name: string, rows: readonly Row[], sizeof?: number): Layout {
  const fields: FieldDef[] = rows.map(([n, ctype, offset, opts]) => ({
    name: n,
    ctype,
    offset,
    size: CTYPE_SIZE[ctype],
    role: opts?.role ?? (ctype === 'char[16]' ? 'name' : 'value'),
    ...(opts?.since ? { since: opts.since } : {}),
    ...(opts?.feature ? { feature: opts.feature } : {}),
  }));
  const byName = new Map<string, FieldDef>();
  for (const f of fields) {
    byName.set(f.name, f);
    const dot = f.name.indexOf('.');
    if (dot > 0) {
      const short = f.name.slice(dot + 1);
      if (!byName.has(short)) byName.set(short, f);
    }
  }
  return { name, fields, byName, ...(sizeof !== undefined ? { sizeof } : {}) };
}

/** The fields present for a set of UAPI features. */
export function fieldsFor(l: Layout, features: ReadonlySet<UapiFeature>): FieldDef[] {
  return l.fields.filter((f) => !f.feature || features.has(f.feature));
}

/** offsetofend of the last field present for these features (the command's LAST_FIELD end). */
export function lastFieldEnd(l: Layout, features: ReadonlySet<UapiFeature>): number {
  let end = 0;
  for (const f of fieldsFor(l, features)) end = Math.max(end, f.offset + f.size);
  return end;
}

export type FieldValue = number | bigint | string;
export type Decoded = Record<string, FieldValue>;

/** Read one field from bytes (missing bytes read as zero, as the kernel's zero-filled copy). */
export function readField(bytes: Uint8Array, f: FieldDef): FieldValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const have = bytes.length - f.offset;
  if (have < f.size) {
    const tmp = new Uint8Array(f.size);
    if (have > 0) tmp.set(bytes.subarray(f.offset, bytes.length));
    return readField(tmp, { ...f, offset: 0 });
  }
  switch (f.ctype) {
    case '__u8':
      return dv.getUint8(f.offset);
    case '__u16':
      return dv.getUint16(f.offset, true);
    case '__u32':
      return dv.getUint32(f.offset, true);
    case '__s32':
      return dv.getInt32(f.offset, true);
    case '__u64':
    case '__aligned_u64':
      return dv.getBigUint64(f.offset, true);
    case 'char[16]': {
      const raw = bytes.subarray(f.offset, f.offset + 16);
      const nul = raw.indexOf(0);
      return Buffer.from(raw.subarray(0, nul < 0 ? 16 : nul)).toString('latin1');
    }
    case '__u8[8]':
      return Buffer.from(bytes.subarray(f.offset, f.offset + 8)).toString('hex');
  }
}

/**
 * Write one field into bytes. Strings are copied byte for byte (no NUL added past 16). A u32/s32
 * from a safe integer and a u64 from a value in [0, 2^53) are written byte by byte (putWord, issue
 * K: no DataView and no BigInt); everything else through a DataView (`view`, or one made here).
 */
export function writeField(bytes: Uint8Array, f: FieldDef, v: FieldValue, view?: DataView): void {
  if (putWord(bytes, f, v)) return;
  const dv = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (f.ctype) {
    case '__u8':
      dv.setUint8(f.offset, Number(v) & 0xff);
      return;
    case '__u16':
      dv.setUint16(f.offset, Number(v) & 0xffff, true);
      return;
    // An integer number is reduced modulo 2^32 (>>> 0 / | 0) exactly as BigInt.asUintN/asIntN would;
    // anything else (bigint, string, a non-integer that BigInt() refuses) goes through BigInt.
    case '__u32':
      dv.setUint32(f.offset, typeof v === 'number' && Number.isSafeInteger(v) ? v >>> 0 : Number(BigInt.asUintN(32, BigInt(v))), true);
      return;
    case '__s32':
      dv.setInt32(f.offset, typeof v === 'number' && Number.isSafeInteger(v) ? v | 0 : Number(BigInt.asIntN(32, BigInt(v))), true);
      return;
    case '__u64':
    case '__aligned_u64':
      dv.setBigUint64(f.offset, typeof v === 'bigint' ? BigInt.asUintN(64, v) : BigInt.asUintN(64, BigInt(v)), true);
      return;
    case 'char[16]': {
      const s = Buffer.from(String(v), 'latin1');
      bytes.fill(0, f.offset, f.offset + 16);
      bytes.set(s.subarray(0, 16), f.offset);
      return;
    }
    case '__u8[8]': {
      const b = Buffer.from(String(v), 'hex');
      bytes.set(b.subarray(0, 8), f.offset);
      return;
    }
  }
}

/** Decode every field present in the first `size` bytes (fields past `size` read as zero). */
export function decode(l: Layout, bytes: Uint8Array, features?: ReadonlySet<UapiFeature>): Decoded {
  const out: Decoded = {};
  for (const f of features ? fieldsFor(l, features) : l.fields) out[f.name] = readField(bytes, f);
  return out;
}

/** Encode named values into a zeroed buffer of `size` bytes. Unknown names are an error. */
export function encode(l: Layout, values: Record<string, FieldValue>, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  for (const k in values) {
    const f = l.byName.get(k);
    if (!f) throw new RangeError(`${l.name} has no field '${k}'`);
    if (f.offset + f.size > size) throw new RangeError(`${l.name}.${f.name} lies past ${size} bytes`);
    writeField(out, f, values[k]!, view);
  }
  return out;
}

/**
 * The first `size` bytes of encode(l, values, <the whole layout>): a field past `size` is not passed
 * (a short attr), one cut by `size` keeps its first bytes. In a fresh buffer from a slab (issue K:
 * no off-heap buffer per attr; slab.ts — a caller that keeps it for an object's lifetime takes
 * `ownedBytes` of it). Unknown names are an error.
 */
export function encodePrefix(l: Layout, values: Record<string, FieldValue>, size: number): Uint8Array {
  const out = slabBytes(size);
  for (const k in values) {
    const f = l.byName.get(k);
    if (!f) throw new RangeError(`${l.name} has no field '${k}'`);
    if (f.offset >= size) continue;
    if (f.offset + f.size > size) {
      const tmp = new Uint8Array(f.size);
      writeField(tmp, { ...f, offset: 0 }, values[k]!);
      out.set(tmp.subarray(0, size - f.offset), f.offset);
      continue;
    }
    writeField(out, f, values[k]!);
  }
  return out;
}

/**
 * writeField's common cases without a DataView: a u32/s32 from a safe integer (the same four bytes as
 * v >>> 0), a u64 from a bigint or a number in [0, 2^53). False (nothing written) for anything else.
 */
function putWord(b: Uint8Array, f: FieldDef, v: FieldValue): boolean {
  let lo: number;
  let hi = -1;
  switch (f.ctype) {
    case '__u32':
    case '__s32':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return false;
      lo = v | 0; // the same four bytes as v >>> 0
      break;
    case '__u64':
    case '__aligned_u64': {
      let n: number;
      if (typeof v === 'bigint') {
        if (v < 0n || v > MAX_EXACT) return false;
        n = Number(v);
      } else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = v;
      else return false;
      lo = n >>> 0;
      hi = (n - lo) / 0x1_0000_0000;
      break;
    }
    default:
      return false;
  }
  const o = f.offset;
  b[o] = lo;
  b[o + 1] = lo >>> 8;
  b[o + 2] = lo >>> 16;
  b[o + 3] = lo >>> 24;
  if (hi >= 0) {
    b[o + 4] = hi;
    b[o + 5] = hi >>> 8;
    b[o + 6] = hi >>> 16;
    b[o + 7] = hi >>> 24;
  }
  return true;
}
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
