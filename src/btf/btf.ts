// BTF (.BTF section, or a BTF blob given to BPF_BTF_LOAD): parse, query, modify in place,
// serialise. Shared by the loader (ELF objects) and the emulated kernel (loaded and vmlinux BTF).
//
// Layout facts (include/uapi/linux/btf.h): a 24-byte header (magic 0xeB9F, version 1, flags,
// hdr_len, type_off, type_len, str_off, str_len), then `struct btf_type` records (name_off, info,
// size|type) each followed by kind-specific u32 words, then a NUL-separated string table.
//
// The loader changes the object's BTF the way libbpf does at open time (DATASEC sizes and
// offsets, .ksyms rewriting, a `dummy_ksym` VAR). Until a type or string is *added* the BTF
// serialises back to its original bytes with the in-place edits applied, exactly as libbpf's
// btf__raw_data() does for a BTF it has not turned "modifiable"; after an addition it is
// re-serialised with a fresh 24-byte header, types, then strings (libbpf's btf_get_raw_data()).

import { fail } from './errors.js';

const UTF8 = new TextDecoder();

export const BTF_MAGIC = 0xeb9f;
export const BTF_HEADER_SIZE = 24;

export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;
export type BtfKindValue = (typeof BtfKind)[keyof typeof BtfKind];

export const BTF_KIND_NAMES = [
  'UNKN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST',
  'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
] as const;

export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
export const BTF_VAR_GLOBAL_EXTERN = 2;

export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
export const BTF_FUNC_EXTERN = 2;

export const BTF_INT_SIGNED = 1 << 0;
export const BTF_INT_CHAR = 1 << 1;
export const BTF_INT_BOOL = 1 << 2;

/** Number of u32 words that follow the 12-byte common header for a kind. */
function extraWords(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.INT: return 1;
    case BtfKind.ARRAY: return 3;
    case BtfKind.STRUCT:
    case BtfKind.UNION: return 3 * vlen;
    case BtfKind.ENUM: return 2 * vlen;
    case BtfKind.FUNC_PROTO: return 2 * vlen;
    case BtfKind.VAR: return 1;
    case BtfKind.DATASEC: return 3 * vlen;
    case BtfKind.DECL_TAG: return 1;
    case BtfKind.ENUM64: return 3 * vlen;
    case BtfKind.PTR:
    case BtfKind.FWD:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
    case BtfKind.FUNC:
    case BtfKind.FLOAT:
    case BtfKind.TYPE_TAG:
      return 0;
    default:
      return -1;
  }
}

/** One `struct btf_type` with its kind-specific words. Fields are mutable on purpose. */
export interface BtfType {
  readonly id: number;
  nameOff: number;
  kind: number;
  vlen: number;
  kflag: boolean;
  /** `size` for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT/ENUM64, `type` for the others. */
  sizeOrType: number;
  /** The kind-specific u32 words, in file order. */
  extra: number[];
  /** Byte offset of this record inside the type section (for in-place serialisation). */
  readonly rawOff: number;
}

export interface BtfMember { nameOff: number; type: number; offset: number }
export interface BtfParam { nameOff: number; type: number }
export interface BtfVarSecinfo { type: number; offset: number; size: number }
export interface BtfEnumValue { nameOff: number; val: number }

export interface BtfHeader {
  magic: number;
  version: number;
  flags: number;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}

export class Btf {
  /** types[0] is the implicit `void`. */
  readonly types: BtfType[];
  private strs: Uint8Array;
  private addedStrs: number[] = [];
  private strIndex: Map<string, number> | undefined;
  private strCache = new Map<number, string>();
  private modifiedStructure = false;
  private readonly raw: Uint8Array;
  readonly header: BtfHeader;

  private constructor(raw: Uint8Array, header: BtfHeader, types: BtfType[], strs: Uint8Array) {
    this.raw = raw;
    this.header = header;
    this.types = types;
    this.strs = strs;
  }

  /** Parses raw .BTF bytes. Throws BtfFormatError naming the bad field. */
  static parse(bytes: Uint8Array): Btf {
    if (bytes.length < BTF_HEADER_SIZE) fail('btf', `.BTF is ${bytes.length} bytes, shorter than its 24-byte header`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const magic = dv.getUint16(0, true);
    if (magic !== BTF_MAGIC) fail('btf', `.BTF magic is 0x${magic.toString(16)}, expected 0xeb9f (little-endian BTF)`);
    const header: BtfHeader = {
      magic,
      version: bytes[2],
      flags: bytes[3],
      hdrLen: dv.getUint32(4, true),
      typeOff: dv.getUint32(8, true),
      typeLen: dv.getUint32(12, true),
      strOff: dv.getUint32(16, true),
      strLen: dv.getUint32(20, true),
    };
    if (header.version !== 1) fail('btf', `.BTF version ${header.version} is not supported (expected 1)`);
    if (header.hdrLen < BTF_HEADER_SIZE || header.hdrLen > bytes.length)
      fail('btf', `.BTF hdr_len ${header.hdrLen} is out of range (section is ${bytes.length} bytes)`);
    const tStart = header.hdrLen + header.typeOff;
    const sStart = header.hdrLen + header.strOff;
    if (header.typeOff % 4 !== 0) fail('btf', `.BTF type_off ${header.typeOff} is not 4-byte aligned`);
    if (tStart + header.typeLen > bytes.length || tStart + header.typeLen < tStart)
      fail('btf', `.BTF type section [${header.typeOff}, +${header.typeLen}) runs past the end of the section`);
    if (sStart + header.strLen > bytes.length || sStart + header.strLen < sStart)
      fail('btf', `.BTF string section [${header.strOff}, +${header.strLen}) runs past the end of the section`);
    if (header.strLen === 0 || bytes[sStart] !== 0) fail('btf', '.BTF string section must start with an empty string');
    if (bytes[sStart + header.strLen - 1] !== 0) fail('btf', '.BTF string section is not NUL-terminated');
    if (header.typeOff < header.strOff ? tStart + header.typeLen > sStart : sStart + header.strLen > tStart)
      fail('btf', '.BTF type and string sections overlap');

    const types: BtfType[] = [{ id: 0, nameOff: 0, kind: BtfKind.UNKN, vlen: 0, kflag: false, sizeOrType: 0, extra: [], rawOff: -1 }];
    let off = 0;
    while (off < header.typeLen) {
      if (off + 12 > header.typeLen) fail('btf', `.BTF type #${types.length} at type offset ${off} is truncated`);
      const p = tStart + off;
      const nameOff = dv.getUint32(p, true);
      const info = dv.getUint32(p + 4, true);
      const sizeOrType = dv.getUint32(p + 8, true);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const kflag = (info >>> 31) === 1;
      const words = extraWords(kind, vlen);
      if (words < 0) fail('btf', `.BTF type #${types.length} has unknown kind ${kind}`);
      if (off + 12 + 4 * words > header.typeLen)
        fail('btf', `.BTF type #${types.length} (${BTF_KIND_NAMES[kind]}) with vlen ${vlen} runs past the type section`);
      if (nameOff >= header.strLen) fail('btf', `.BTF type #${types.length} name_off ${nameOff} is outside the string section`);
      const extra: number[] = new Array(words);
      for (let i = 0; i < words; i++) extra[i] = dv.getUint32(p + 12 + 4 * i, true);
      types.push({ id: types.length, nameOff, kind, vlen, kflag, sizeOrType, extra, rawOff: off });
      off += 12 + 4 * words;
    }
    const btf = new Btf(bytes.slice(), header, types, bytes.slice(sStart, sStart + header.strLen));
    btf.validateRefs();
    return btf;
  }

  /** Reference and string checks, so later walks cannot index out of range. */
  private validateRefs(): void {
    const n = this.types.length;
    const checkType = (t: BtfType, id: number, what: string) => {
      if (id >= n) fail('btf', `.BTF type #${t.id} (${BTF_KIND_NAMES[t.kind]}) ${what} refers to type #${id}, but there are only ${n - 1} types`);
    };
    const checkStr = (t: BtfType, off: number, what: string) => {
      if (off >= this.strs.length) fail('btf', `.BTF type #${t.id} ${what} name_off ${off} is outside the string section`);
    };
    for (const t of this.types) {
      switch (t.kind) {
        case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
        case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.VAR: case BtfKind.TYPE_TAG: case BtfKind.DECL_TAG:
          checkType(t, t.sizeOrType, 'type');
          break;
        case BtfKind.ARRAY:
          checkType(t, t.extra[0], 'element type');
          checkType(t, t.extra[1], 'index type');
          break;
        case BtfKind.STRUCT: case BtfKind.UNION:
          for (let i = 0; i < t.vlen; i++) { checkStr(t, t.extra[3 * i], 'member'); checkType(t, t.extra[3 * i + 1], `member #${i}`); }
          break;
        case BtfKind.FUNC_PROTO:
          checkType(t, t.sizeOrType, 'return type');
          for (let i = 0; i < t.vlen; i++) { checkStr(t, t.extra[2 * i], 'param'); checkType(t, t.extra[2 * i + 1], `param #${i}`); }
          break;
        case BtfKind.DATASEC:
          for (let i = 0; i < t.vlen; i++) checkType(t, t.extra[3 * i], `var #${i}`);
          break;
        case BtfKind.ENUM:
          for (let i = 0; i < t.vlen; i++) checkStr(t, t.extra[2 * i], 'enumerator');
          break;
        case BtfKind.ENUM64:
          for (let i = 0; i < t.vlen; i++) checkStr(t, t.extra[3 * i], 'enumerator');
          break;
        default:
          break;
      }
    }
  }

  get typeCount(): number {
    return this.types.length;
  }

  type(id: number): BtfType {
    const t = this.types[id];
    if (!t) fail('btf', `BTF type #${id} does not exist (${this.types.length - 1} types)`);
    return t;
  }

  /** The string at `off` (libbpf btf__str_by_offset); throws for an offset outside the table. */
  str(off: number): string {
    const cached = this.strCache.get(off);
    if (cached !== undefined) return cached;
    if (off < this.strs.length) {
      let end = off;
      while (end < this.strs.length && this.strs[end] !== 0) end++;
      const v = UTF8.decode(this.strs.subarray(off, end));
      this.strCache.set(off, v);
      return v;
    }
    fail('btf', `BTF string offset ${off} is outside the string table (${this.strs.length} bytes)`);
  }

  name(t: BtfType): string {
    return this.str(t.nameOff);
  }

  get stringsSize(): number {
    return this.strs.length;
  }

  /** Adds (or finds) a string, like libbpf's btf__add_str (deduplicated against existing ones). */
  addStr(s: string): number {
    if (!this.strIndex) {
      this.strIndex = new Map();
      let start = 0;
      for (let i = 0; i < this.strs.length; i++) {
        if (this.strs[i] === 0) {
          const k = UTF8.decode(this.strs.subarray(start, i));
          if (!this.strIndex.has(k)) this.strIndex.set(k, start);
          start = i + 1;
        }
      }
    }
    const found = this.strIndex.get(s);
    if (found !== undefined) return found;
    const enc = new TextEncoder().encode(s);
    const off = this.strs.length;
    const grown = new Uint8Array(this.strs.length + enc.length + 1);
    grown.set(this.strs, 0);
    grown.set(enc, off);
    this.strs = grown;
    this.strIndex.set(s, off);
    this.addedStrs.push(off);
    this.modifiedStructure = true;
    return off;
  }

  /** Appends a VAR (libbpf btf__add_var); returns its type id. */
  addVar(name: string, linkage: number, typeId: number): number {
    const nameOff = this.addStr(name);
    const id = this.types.length;
    this.types.push({ id, nameOff, kind: BtfKind.VAR, vlen: 0, kflag: false, sizeOrType: typeId, extra: [linkage], rawOff: -1 });
    this.modifiedStructure = true;
    return id;
  }

  /** Raw bytes as libbpf's btf__raw_data() would return them now. */
  rawData(): Uint8Array {
    if (!this.modifiedStructure) {
      const out = this.raw.slice();
      const dv = new DataView(out.buffer);
      const tStart = this.header.hdrLen + this.header.typeOff;
      for (const t of this.types) {
        if (t.rawOff < 0) continue;
        writeType(dv, tStart + t.rawOff, t);
      }
      return out;
    }
    let typeLen = 0;
    for (let i = 1; i < this.types.length; i++) typeLen += 12 + 4 * this.types[i].extra.length;
    const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + this.strs.length);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, BTF_MAGIC, true);
    out[2] = this.header.version;
    out[3] = this.header.flags;
    dv.setUint32(4, BTF_HEADER_SIZE, true);
    dv.setUint32(8, 0, true);
    dv.setUint32(12, typeLen, true);
    dv.setUint32(16, typeLen, true);
    dv.setUint32(20, this.strs.length, true);
    let p = BTF_HEADER_SIZE;
    for (let i = 1; i < this.types.length; i++) {
      writeType(dv, p, this.types[i]);
      p += 12 + 4 * this.types[i].extra.length;
    }
    out.set(this.strs, p);
    return out;
  }

  /** A deep copy (types and strings), so a caller can apply fixups without touching the original. */
  clone(): Btf {
    const c = new Btf(this.raw, { ...this.header }, this.types.map((t) => ({ ...t, extra: t.extra.slice() })), this.strs.slice());
    c.addedStrs = this.addedStrs.slice();
    c.modifiedStructure = this.modifiedStructure;
    return c;
  }

  // ---- queries (libbpf btf.c semantics) ----

  /** btf__find_by_name_kind: first type with this name and kind, or -1. */
  findByNameKind(name: string, kind: number): number {
    if (kind === BtfKind.UNKN && name === 'void') return 0;
    for (let i = 1; i < this.types.length; i++) {
      const t = this.types[i];
      if (t.kind === kind && this.str(t.nameOff) === name) return i;
    }
    return -1;
  }

  /** btf__find_by_name: first type with this name (any kind), or -1. */
  findByName(name: string): number {
    if (name === 'void') return 0;
    for (let i = 1; i < this.types.length; i++) if (this.str(this.types[i].nameOff) === name) return i;
    return -1;
  }

  /** Skips CONST/VOLATILE/RESTRICT/TYPEDEF/TYPE_TAG; returns the id reached. */
  skipModsAndTypedefs(id: number): number {
    let guard = 0;
    let t = this.type(id);
    while (
      t.kind === BtfKind.CONST || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.RESTRICT ||
      t.kind === BtfKind.TYPEDEF || t.kind === BtfKind.TYPE_TAG
    ) {
      id = t.sizeOrType;
      t = this.type(id);
      if (++guard > 64) fail('btf', `BTF type #${id}: modifier chain is too long (loop?)`);
    }
    return id;
  }

  /** btf__resolve_size: size in bytes of a type, following modifiers and arrays. */
  resolveSize(id: number): number {
    let nelems = 1;
    for (let depth = 0; depth < 32; depth++) {
      const t = this.type(id);
      switch (t.kind) {
        case BtfKind.INT: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM:
        case BtfKind.DATASEC: case BtfKind.FLOAT: case BtfKind.ENUM64:
          return t.sizeOrType * nelems;
        case BtfKind.PTR:
          return 8 * nelems;
        case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
        case BtfKind.VAR: case BtfKind.DECL_TAG: case BtfKind.TYPE_TAG:
          id = t.sizeOrType;
          break;
        case BtfKind.ARRAY:
          nelems *= t.extra[2];
          id = t.extra[0];
          break;
        default:
          fail('btf', `cannot determine the size of BTF type #${id} (${BTF_KIND_NAMES[t.kind] ?? t.kind})`);
      }
    }
    fail('btf', `BTF type #${id}: type chain too deep while resolving its size`);
  }

  /**
   * btf__align_of. `depth` bounds the walk (modifiers, arrays, nested members) as resolveSize
   * does: BTF read from a file may loop, and a loop is a format error, not a stack overflow.
   */
  alignOf(id: number, depth = 0): number {
    if (depth > 32) fail('btf', `BTF type #${id}: type chain too deep while resolving its alignment (a loop?)`);
    const t = this.type(id);
    switch (t.kind) {
      case BtfKind.INT: case BtfKind.ENUM: case BtfKind.FLOAT: case BtfKind.ENUM64:
        return Math.min(8, t.sizeOrType);
      case BtfKind.PTR:
        return 8;
      case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
        return this.alignOf(t.sizeOrType, depth + 1);
      case BtfKind.ARRAY:
        return this.alignOf(t.extra[0], depth + 1);
      case BtfKind.STRUCT: case BtfKind.UNION: {
        let maxAlign = 1;
        for (let i = 0; i < t.vlen; i++) {
          const m = member(t, i);
          const a = this.alignOf(m.type, depth + 1);
          if (a <= 0) return a;
          // a packed struct: a member offset that is not a multiple of its alignment
          const bitOff = t.kflag ? m.offset & 0xffffff : m.offset;
          if (bitOff % (8 * a) !== 0) return 1;
          maxAlign = Math.max(maxAlign, a);
        }
        if (t.sizeOrType % maxAlign !== 0) return 1;
        return maxAlign;
      }
      default:
        fail('btf', `cannot determine the alignment of BTF type #${id} (${BTF_KIND_NAMES[t.kind] ?? t.kind})`);
    }
  }

  /** Counts types per kind (for `bpfsig inspect`). */
  kindCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 1; i < this.types.length; i++) {
      const k = BTF_KIND_NAMES[this.types[i].kind];
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  }
}

function writeType(dv: DataView, p: number, t: BtfType): void {
  dv.setUint32(p, t.nameOff, true);
  dv.setUint32(p + 4, ((t.kflag ? 1 : 0) << 31 | (t.kind & 0x1f) << 24 | (t.vlen & 0xffff)) >>> 0, true);
  dv.setUint32(p + 8, t.sizeOrType >>> 0, true);
  for (let i = 0; i < t.extra.length; i++) dv.setUint32(p + 12 + 4 * i, t.extra[i] >>> 0, true);
}

// ---- kind-specific accessors (index into `extra`) ----

export function member(t: BtfType, i: number): BtfMember {
  return { nameOff: t.extra[3 * i], type: t.extra[3 * i + 1], offset: t.extra[3 * i + 2] };
}

/** Bit offset of member i, honouring the kflag bitfield encoding. */
export function memberBitOffset(t: BtfType, i: number): number {
  const off = t.extra[3 * i + 2];
  return t.kflag ? off & 0xffffff : off;
}

export function memberBitfieldSize(t: BtfType, i: number): number {
  return t.kflag ? t.extra[3 * i + 2] >>> 24 : 0;
}

export function param(t: BtfType, i: number): BtfParam {
  return { nameOff: t.extra[2 * i], type: t.extra[2 * i + 1] };
}

export function setParamName(t: BtfType, i: number, nameOff: number): void {
  t.extra[2 * i] = nameOff;
}

export function secinfo(t: BtfType, i: number): BtfVarSecinfo {
  return { type: t.extra[3 * i], offset: t.extra[3 * i + 1], size: t.extra[3 * i + 2] };
}

export function setSecinfo(t: BtfType, i: number, v: BtfVarSecinfo): void {
  t.extra[3 * i] = v.type;
  t.extra[3 * i + 1] = v.offset;
  t.extra[3 * i + 2] = v.size;
}

export function varLinkage(t: BtfType): number {
  return t.extra[0];
}

export function setVarLinkage(t: BtfType, linkage: number): void {
  t.extra[0] = linkage;
}

export function funcLinkage(t: BtfType): number {
  return t.vlen;
}

export function intEncoding(t: BtfType): number {
  return (t.extra[0] >>> 24) & 0x0f;
}

export function intBits(t: BtfType): number {
  return t.extra[0] & 0xff;
}

export function intOffset(t: BtfType): number {
  return (t.extra[0] >>> 16) & 0xff;
}

export function arrayInfo(t: BtfType): { type: number; indexType: number; nelems: number } {
  return { type: t.extra[0], indexType: t.extra[1], nelems: t.extra[2] };
}

export function enumValue(t: BtfType, i: number): BtfEnumValue {
  return { nameOff: t.extra[2 * i], val: t.extra[2 * i + 1] | 0 };
}
