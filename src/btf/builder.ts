// A BTF type builder: add types one at a time, get raw .BTF bytes back (a 24-byte header, the
// type section, the string section, as include/uapi/linux/btf.h lays them out). Used to build BTF
// from declarations (the emulated kernel's vmlinux, test inputs) instead of hand-written bytes.
//
// Ids are handed out in call order starting at 1, so output is deterministic. Strings are
// deduplicated. A struct that refers to itself (or to a struct defined later) is declared first
// with `declareStruct`/`declareUnion` and given its members with `defineComposite`.

import { BTF_HEADER_SIZE, BTF_INT_SIGNED, BTF_MAGIC, BtfKind } from './btf.js';

const UTF8 = new TextEncoder();

export interface MemberSpec {
  name: string;
  type: number;
  /** Offset in bits from the start of the struct/union. */
  bitOffset: number;
  /** Width of a bitfield in bits; 0 (or absent) for an ordinary member. */
  bitfieldSize?: number;
}

export interface ParamSpec {
  name: string;
  type: number;
}

export interface VarSecinfoSpec {
  type: number;
  offset: number;
  size: number;
}

interface Rec {
  nameOff: number;
  kind: number;
  vlen: number;
  kflag: boolean;
  sizeOrType: number;
  extra: number[];
}

export class BtfBuilder {
  private readonly recs: Rec[] = [];
  private readonly strOffs = new Map<string, number>([['', 0]]);
  private readonly strChunks: Uint8Array[] = [new Uint8Array(1)];
  private strLen = 1;

  /** Number of types added so far (the next id is `count + 1`). */
  get count(): number {
    return this.recs.length;
  }

  /** Adds (or finds) a string; returns its offset in the string section. */
  addStr(s: string): number {
    const have = this.strOffs.get(s);
    if (have !== undefined) return have;
    const bytes = UTF8.encode(s);
    if (bytes.includes(0)) throw new Error(`BTF string ${JSON.stringify(s)} contains a NUL byte`);
    const off = this.strLen;
    const chunk = new Uint8Array(bytes.length + 1);
    chunk.set(bytes);
    this.strChunks.push(chunk);
    this.strLen += chunk.length;
    this.strOffs.set(s, off);
    return off;
  }

  private push(name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number, extra: number[] = []): number {
    if (vlen > 0xffff) throw new Error(`BTF type ${name || '(anon)'}: vlen ${vlen} exceeds 65535`);
    this.recs.push({ nameOff: this.addStr(name), kind, vlen, kflag, sizeOrType: sizeOrType >>> 0, extra });
    return this.recs.length;
  }

  private rec(id: number): Rec {
    const r = this.recs[id - 1];
    if (!r) throw new Error(`BTF builder: type #${id} does not exist`);
    return r;
  }

  /** INT: `encoding` is a mix of BTF_INT_SIGNED / BTF_INT_CHAR / BTF_INT_BOOL. */
  int(name: string, size: number, encoding = 0, bits = size * 8, bitOffset = 0): number {
    return this.push(name, BtfKind.INT, 0, false, size, [((encoding & 0xf) << 24 | (bitOffset & 0xff) << 16 | (bits & 0xff)) >>> 0]);
  }

  signedInt(name: string, size: number): number {
    return this.int(name, size, BTF_INT_SIGNED);
  }

  float(name: string, size: number): number {
    return this.push(name, BtfKind.FLOAT, 0, false, size);
  }

  ptr(type: number): number {
    return this.push('', BtfKind.PTR, 0, false, type);
  }

  typedef(name: string, type: number): number {
    return this.push(name, BtfKind.TYPEDEF, 0, false, type);
  }

  const(type: number): number {
    return this.push('', BtfKind.CONST, 0, false, type);
  }

  volatile(type: number): number {
    return this.push('', BtfKind.VOLATILE, 0, false, type);
  }

  restrict(type: number): number {
    return this.push('', BtfKind.RESTRICT, 0, false, type);
  }

  typeTag(value: string, type: number): number {
    return this.push(value, BtfKind.TYPE_TAG, 0, false, type);
  }

  /** DECL_TAG on a type (componentIdx -1) or on one of its members/params. */
  declTag(value: string, type: number, componentIdx = -1): number {
    return this.push(value, BtfKind.DECL_TAG, 0, false, type, [componentIdx >>> 0]);
  }

  array(elemType: number, indexType: number, nelems: number): number {
    return this.push('', BtfKind.ARRAY, 0, false, 0, [elemType, indexType, nelems >>> 0]);
  }

  /** FWD declaration of a struct (or, with `union`, a union). */
  fwd(name: string, union = false): number {
    return this.push(name, BtfKind.FWD, 0, union, 0);
  }

  /** Reserves a struct id now; `defineComposite` gives it a size and members later. */
  declareStruct(name: string): number {
    return this.push(name, BtfKind.STRUCT, 0, false, 0);
  }

  declareUnion(name: string): number {
    return this.push(name, BtfKind.UNION, 0, false, 0);
  }

  defineComposite(id: number, size: number, members: readonly MemberSpec[]): number {
    const r = this.rec(id);
    if (r.kind !== BtfKind.STRUCT && r.kind !== BtfKind.UNION) throw new Error(`BTF builder: type #${id} is not a struct or union`);
    const kflag = members.some((m) => (m.bitfieldSize ?? 0) > 0);
    r.vlen = members.length;
    r.kflag = kflag;
    r.sizeOrType = size >>> 0;
    r.extra = [];
    for (const m of members) {
      const bits = m.bitfieldSize ?? 0;
      if (kflag && (m.bitOffset > 0xffffff || bits > 0xff)) throw new Error(`BTF member ${m.name}: bitfield offset/size out of range`);
      r.extra.push(this.addStr(m.name), m.type, kflag ? ((bits << 24) | m.bitOffset) >>> 0 : m.bitOffset >>> 0);
    }
    if (r.vlen > 0xffff) throw new Error(`BTF type #${id}: too many members`);
    return id;
  }

  struct(name: string, size: number, members: readonly MemberSpec[]): number {
    return this.defineComposite(this.declareStruct(name), size, members);
  }

  union(name: string, size: number, members: readonly MemberSpec[]): number {
    return this.defineComposite(this.declareUnion(name), size, members);
  }

  /** ENUM with 32-bit values; `signed` sets kflag (libbpf/kernel: signed enumerators). */
  enum(name: string, size: number, values: ReadonlyArray<readonly [string, number]>, signed = false): number {
    const extra: number[] = [];
    for (const [n, v] of values) extra.push(this.addStr(n), v >>> 0);
    return this.push(name, BtfKind.ENUM, values.length, signed, size, extra);
  }

  enum64(name: string, size: number, values: ReadonlyArray<readonly [string, bigint]>, signed = false): number {
    const extra: number[] = [];
    for (const [n, v] of values) {
      const u = BigInt.asUintN(64, v);
      extra.push(this.addStr(n), Number(u & 0xffffffffn), Number(u >> 32n));
    }
    return this.push(name, BtfKind.ENUM64, values.length, signed, size, extra);
  }

  funcProto(ret: number, params: readonly ParamSpec[]): number {
    const extra: number[] = [];
    for (const p of params) extra.push(this.addStr(p.name), p.type);
    return this.push('', BtfKind.FUNC_PROTO, params.length, false, ret, extra);
  }

  /** FUNC; `linkage` is BTF_FUNC_STATIC (0), BTF_FUNC_GLOBAL (1) or BTF_FUNC_EXTERN (2). */
  func(name: string, proto: number, linkage = 0): number {
    return this.push(name, BtfKind.FUNC, linkage, false, proto);
  }

  var(name: string, type: number, linkage = 1): number {
    return this.push(name, BtfKind.VAR, 0, false, type, [linkage]);
  }

  datasec(name: string, size: number, vars: readonly VarSecinfoSpec[]): number {
    const extra: number[] = [];
    for (const v of vars) extra.push(v.type, v.offset >>> 0, v.size >>> 0);
    return this.push(name, BtfKind.DATASEC, vars.length, false, size, extra);
  }

  /** Raw BTF bytes: header, types, strings (type_off 0, str_off = type_len). */
  build(): Uint8Array {
    let typeLen = 0;
    for (const r of this.recs) typeLen += 12 + 4 * r.extra.length;
    const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + this.strLen);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, BTF_MAGIC, true);
    out[2] = 1; // version
    out[3] = 0; // flags
    dv.setUint32(4, BTF_HEADER_SIZE, true);
    dv.setUint32(8, 0, true);
    dv.setUint32(12, typeLen, true);
    dv.setUint32(16, typeLen, true);
    dv.setUint32(20, this.strLen, true);
    let p = BTF_HEADER_SIZE;
    for (const r of this.recs) {
      dv.setUint32(p, r.nameOff, true);
      dv.setUint32(p + 4, ((r.kflag ? 1 : 0) << 31 | (r.kind & 0x1f) << 24 | (r.vlen & 0xffff)) >>> 0, true);
      dv.setUint32(p + 8, r.sizeOrType, true);
      for (let i = 0; i < r.extra.length; i++) dv.setUint32(p + 12 + 4 * i, r.extra[i] >>> 0, true);
      p += 12 + 4 * r.extra.length;
    }
    for (const c of this.strChunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}
