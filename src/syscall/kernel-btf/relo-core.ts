// CO-RE relocation logic as the kernel runs it at BPF_PROG_LOAD (tools/lib/bpf/relo_core.c, the
// file the kernel builds into kernel/bpf with __KERNEL__ set): parse the local access spec, match it
// against each candidate target type, compute the original and new values, patch the instruction.
//
// Kernel flavour, where it differs from libbpf in userspace:
// - names come from btf_name_by_offset (NULL, i.e. no name, for an offset past the string section);
// - sizes come from the kernel's btf_resolve_size, which has no answer for VAR/DATASEC/FUNC/FWD;
// - pr_warn/pr_debug write into the verifier log with an empty program name, so lines read
//   `prog '': relo #0: ...` (the macros pass "" for the `%s` of the program name).
// Our own reading of the code; see docs/fidelity.md for what is modelled.

import { BtfKind, BTF_INT_SIGNED, type Btf, type BtfType } from '../../btf/btf.js';
import { Errno } from '../errno.js';

/** enum bpf_core_relo_kind */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

const KIND_STR = [
  'byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id', 'target_type_id',
  'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
];

/** core_relo_kind_str */
export function coreReloKindStr(kind: number): string {
  return KIND_STR[kind] ?? 'unknown';
}

/** The kernel's btf_kind_str[] (btf_type_str). */
const KERNEL_KIND_STR = [
  'UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT',
  'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
];
export const btfKindStr = (kind: number): string => KERNEL_KIND_STR[kind] ?? 'UNKNOWN';

export const BPF_CORE_SPEC_MAX_LEN = 64;
/** The instruction a failed relocation leaves behind: `call 0xbad2310` ("bad relo"). */
export const CORE_POISON_IMM = 195896080;

export interface CoreRelo {
  insnOff: number;
  typeId: number;
  accessStrOff: number;
  kind: number;
}

export interface CoreAccessor {
  typeId: number;
  idx: number;
  /** The field or enumerator name; undefined for an array index. */
  name: string | undefined;
}

export interface CoreSpec {
  btf: Btf;
  rootTypeId: number;
  reloKind: number;
  /** High-level accessors (named fields, array indices). */
  spec: CoreAccessor[];
  /** Low-level accessors: every index of the access string, anonymous members included. */
  raw: number[];
  /** u32, as in struct bpf_core_spec. */
  bitOffset: number;
}

export interface CoreReloRes {
  origVal: bigint;
  newVal: bigint;
  poison: boolean;
  validate: boolean;
  failMemszAdjust: boolean;
  origSz: number;
  newSz: number;
  origTypeId: number;
  newTypeId: number;
}

export type Log = (line: string) => void;

const u32 = (x: number): number => x >>> 0;
const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);

// ---- BTF accessors with kernel semantics ----

/** btf_type_by_id: undefined past the last type; id 0 is void. */
export function typeById(btf: Btf, id: number): BtfType | undefined {
  return id >= 0 && id < btf.typeCount ? btf.type(id) : undefined;
}

/** btf_name_by_offset: the string, or undefined (NULL) for an offset outside the string section. */
export function nameByOffset(btf: Btf, off: number): string | undefined {
  return nameOffsetInRange(btf, off) ? btf.str(off) : undefined;
}

/** Whether btf_name_by_offset finds a string at `off` (it is NULL only outside the string section). */
export function nameOffsetInRange(btf: Btf, off: number): boolean {
  return off < btf.stringsSize;
}

const strIsEmpty = (s: string | undefined): boolean => !s;

function isModifier(kind: number): boolean {
  return kind === BtfKind.TYPEDEF || kind === BtfKind.VOLATILE || kind === BtfKind.CONST ||
    kind === BtfKind.RESTRICT || kind === BtfKind.TYPE_TAG;
}

/** btf_type_skip_modifiers: the type reached and its id (undefined type for a dangling id). */
export function skipModsAndTypedefs(btf: Btf, id: number): { t: BtfType | undefined; id: number } {
  let t = typeById(btf, id);
  for (let guard = 0; t && isModifier(t.kind) && guard < 1000; guard++) {
    id = t.sizeOrType;
    t = typeById(btf, id);
  }
  return { t, id };
}

const isComposite = (t: BtfType): boolean => t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION;
const isAnyEnum = (t: BtfType): boolean => t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64;
const kindCoreCompat = (a: BtfType, b: BtfType): boolean => a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));

function memberBitOffset(t: BtfType, i: number): number {
  const off = t.extra[3 * i + 2];
  return t.kflag ? off & 0xffffff : off;
}

function memberBitfieldSize(t: BtfType, i: number): number {
  return t.kflag ? t.extra[3 * i + 2] >>> 24 : 0;
}

const intEncoding = (t: BtfType): number => (t.extra[0] >>> 24) & 0x0f;
const intOffset = (t: BtfType): number => (t.extra[0] >>> 16) & 0xff;

/** The kernel's btf_resolve_size: a size in bytes, or -EINVAL for a type without one. */
export function resolveSize(btf: Btf, id: number): number {
  let nelems = 1;
  let t = typeById(btf, id);
  for (let depth = 0; depth < 32 && t; depth++) {
    switch (t.kind) {
      case BtfKind.INT: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM:
      case BtfKind.FLOAT: case BtfKind.ENUM64: {
        const size = t.sizeOrType;
        if (nelems && size > 0xffffffff / nelems) return -Errno.EINVAL;
        return nelems * size;
      }
      case BtfKind.PTR:
        return nelems * 8;
      case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
        t = typeById(btf, t.sizeOrType);
        break;
      case BtfKind.ARRAY: {
        const n = t.extra[2];
        if (nelems && n > 0xffffffff / nelems) return -Errno.EINVAL;
        nelems *= n;
        t = typeById(btf, t.extra[0]);
        break;
      }
      default:
        return -Errno.EINVAL;
    }
  }
  return -Errno.EINVAL;
}

/** bpf_core_essential_name_len: the name up to its last `___flavor` suffix. */
export function essentialNameLen(name: string): number {
  const n = name.length;
  for (let i = n - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return n;
}

// ---- spec parsing ----

const isFieldBased = (k: number): boolean => k <= CoreReloKind.FIELD_RSHIFT_U64;
const isTypeBased = (k: number): boolean =>
  k === CoreReloKind.TYPE_ID_LOCAL || k === CoreReloKind.TYPE_ID_TARGET || k === CoreReloKind.TYPE_EXISTS ||
  k === CoreReloKind.TYPE_MATCHES || k === CoreReloKind.TYPE_SIZE;
const isEnumvalBased = (k: number): boolean => k === CoreReloKind.ENUMVAL_EXISTS || k === CoreReloKind.ENUMVAL_VALUE;

/** The kernel's sscanf("%d%n"): skips spaces, optional '-', digits; int wrap-around. */
function scanInt(s: string, pos: number): { value: number; end: number } | undefined {
  let p = pos;
  while (p < s.length && /\s/.test(s[p])) p++;
  const start = p;
  if (s[p] === '-') p++;
  if (!(p < s.length && s[p] >= '0' && s[p] <= '9')) return undefined;
  while (p < s.length && s[p] >= '0' && s[p] <= '9') p++;
  return { value: Number(BigInt.asIntN(32, BigInt(s.slice(start, p)))), end: p };
}

function isFlexArr(btf: Btf, acc: CoreAccessor | undefined, nelems: number): boolean {
  if (!acc || !acc.name || nelems > 0) return false;
  const t = typeById(btf, acc.typeId);
  return !!t && acc.idx === t.vlen - 1;
}

/**
 * bpf_core_parse_spec: returns 0 and fills `spec`, or a negative errno. Negative member indices
 * are refused with -EINVAL (the kernel would read before the member array).
 */
export function parseSpec(btf: Btf, relo: CoreRelo, log: Log): { err: number; spec: CoreSpec } {
  const spec: CoreSpec = { btf, rootTypeId: relo.typeId, reloKind: relo.kind, spec: [], raw: [], bitOffset: 0 };
  const specStr = nameByOffset(btf, relo.accessStrOff);
  const fail = (err: number) => ({ err, spec });
  if (strIsEmpty(specStr) || specStr![0] === ':') return fail(-Errno.EINVAL);
  const str = specStr!;
  if (isTypeBased(relo.kind)) return fail(str === '0' ? 0 : -Errno.EINVAL);

  for (let p = 0; p < str.length; ) {
    if (str[p] === ':') p++;
    const r = scanInt(str, p);
    if (!r) return fail(-Errno.EINVAL);
    if (spec.raw.length === BPF_CORE_SPEC_MAX_LEN) return fail(-Errno.E2BIG);
    p = r.end;
    spec.raw.push(r.value);
  }
  if (spec.raw.length === 0) return fail(-Errno.EINVAL);

  let { t, id } = skipModsAndTypedefs(btf, relo.typeId);
  if (!t) return fail(-Errno.EINVAL);
  let accessIdx = spec.raw[0];
  spec.spec.push({ typeId: id, idx: accessIdx, name: undefined });

  if (isEnumvalBased(relo.kind)) {
    if (!isAnyEnum(t) || spec.raw.length > 1 || accessIdx < 0 || accessIdx >= t.vlen) return fail(-Errno.EINVAL);
    const nameOff = t.kind === BtfKind.ENUM ? t.extra[2 * accessIdx] : t.extra[3 * accessIdx];
    spec.spec[0].name = nameByOffset(btf, nameOff);
    return fail(0);
  }
  if (!isFieldBased(relo.kind)) return fail(-Errno.EINVAL);

  let sz = resolveSize(btf, id);
  if (sz < 0) return fail(sz);
  spec.bitOffset = u32(accessIdx * sz * 8);

  for (let i = 1; i < spec.raw.length; i++) {
    ({ t, id } = skipModsAndTypedefs(btf, id));
    if (!t) return fail(-Errno.EINVAL);
    accessIdx = spec.raw[i];
    if (isComposite(t)) {
      if (accessIdx < 0 || accessIdx >= t.vlen) return fail(-Errno.EINVAL);
      spec.bitOffset = u32(spec.bitOffset + memberBitOffset(t, accessIdx));
      const nameOff = t.extra[3 * accessIdx];
      if (nameOff) {
        const name = nameByOffset(btf, nameOff);
        if (strIsEmpty(name)) return fail(-Errno.EINVAL);
        spec.spec.push({ typeId: id, idx: accessIdx, name });
      }
      id = t.extra[3 * accessIdx + 1];
    } else if (t.kind === BtfKind.ARRAY) {
      const nelems = t.extra[2];
      const elem = skipModsAndTypedefs(btf, t.extra[0]);
      if (!elem.t) return fail(-Errno.EINVAL);
      id = elem.id;
      const flex = isFlexArr(btf, spec.spec[spec.spec.length - 1], nelems);
      if (!flex && u32(accessIdx) >= nelems) return fail(-Errno.EINVAL);
      spec.spec.push({ typeId: id, idx: accessIdx, name: undefined });
      sz = resolveSize(btf, id);
      if (sz < 0) return fail(sz);
      spec.bitOffset = u32(spec.bitOffset + accessIdx * sz * 8);
    } else {
      log(`prog '': relo for [${relo.typeId}] ${str} (at idx ${i}) captures type [${id}] of unexpected kind ${btfKindStr(t.kind)}\n`);
      return fail(-Errno.EINVAL);
    }
  }
  return fail(0);
}

// ---- compatibility and matching ----

/** bpf_core_fields_are_compat */
function fieldsAreCompat(lb: Btf, localId: number, tb: Btf, targId: number): number {
  for (;;) {
    const l = skipModsAndTypedefs(lb, localId);
    const r = skipModsAndTypedefs(tb, targId);
    if (!l.t || !r.t) return -Errno.EINVAL;
    if (isComposite(l.t) && isComposite(r.t)) return 1;
    if (!kindCoreCompat(l.t, r.t)) return 0;
    switch (l.t.kind) {
      case BtfKind.PTR: case BtfKind.FLOAT:
        return 1;
      case BtfKind.FWD: case BtfKind.ENUM64: case BtfKind.ENUM: {
        const ln = nameByOffset(lb, l.t.nameOff) ?? '';
        const tn = nameByOffset(tb, r.t.nameOff) ?? '';
        const ll = essentialNameLen(ln);
        const tl = essentialNameLen(tn);
        return ll === 0 || tl === 0 || (ll === tl && ln.slice(0, ll) === tn.slice(0, tl)) ? 1 : 0;
      }
      case BtfKind.INT:
        return intOffset(l.t) === 0 && intOffset(r.t) === 0 ? 1 : 0;
      case BtfKind.ARRAY:
        localId = l.t.extra[0];
        targId = r.t.extra[0];
        continue;
      default:
        return 0;
    }
  }
}

/** __bpf_core_types_are_compat (type-based relocations; kernel depth MAX_TYPES_ARE_COMPAT_DEPTH = 2). */
export function typesAreCompat(lb: Btf, localId: number, tb: Btf, targId: number, level = 2): number {
  const lt0 = typeById(lb, localId);
  const tt0 = typeById(tb, targId);
  if (!lt0 || !tt0 || !kindCoreCompat(lt0, tt0)) return 0;
  for (let depth = 32; ; ) {
    if (--depth < 0) return -Errno.EINVAL;
    const l = skipModsAndTypedefs(lb, localId);
    const r = skipModsAndTypedefs(tb, targId);
    if (!l.t || !r.t) return -Errno.EINVAL;
    if (!kindCoreCompat(l.t, r.t)) return 0;
    switch (l.t.kind) {
      case BtfKind.UNKN: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM: case BtfKind.FWD: case BtfKind.ENUM64:
        return 1;
      case BtfKind.INT:
        return intOffset(l.t) === 0 && intOffset(r.t) === 0 ? 1 : 0;
      case BtfKind.PTR:
        localId = l.t.sizeOrType;
        targId = r.t.sizeOrType;
        continue;
      case BtfKind.ARRAY:
        localId = l.t.extra[0];
        targId = r.t.extra[0];
        continue;
      case BtfKind.FUNC_PROTO: {
        if (l.t.vlen !== r.t.vlen) return 0;
        for (let i = 0; i < l.t.vlen; i++) {
          if (level <= 0) return -Errno.EINVAL;
          const lp = skipModsAndTypedefs(lb, l.t.extra[2 * i + 1]).id;
          const tp = skipModsAndTypedefs(tb, r.t.extra[2 * i + 1]).id;
          const err = typesAreCompat(lb, lp, tb, tp, level - 1);
          if (err <= 0) return err;
        }
        localId = skipModsAndTypedefs(lb, l.t.sizeOrType).id;
        targId = skipModsAndTypedefs(tb, r.t.sizeOrType).id;
        continue;
      }
      default:
        // the kernel's pr_warn here passes the kind string where the log belongs; nothing is logged
        return 0;
    }
  }
}

/** bpf_core_names_match */
function namesMatch(lb: Btf, localOff: number, tb: Btf, targOff: number): boolean {
  const ln = nameByOffset(lb, localOff);
  const tn = nameByOffset(tb, targOff);
  if (strIsEmpty(tn)) return strIsEmpty(ln);
  const tl = essentialNameLen(tn!);
  const ll = essentialNameLen(ln ?? '');
  return tl === ll && (ln ?? '').slice(0, ll) === tn!.slice(0, tl);
}

function enumNameOff(t: BtfType, i: number): number {
  return t.kind === BtfKind.ENUM ? t.extra[2 * i] : t.extra[3 * i];
}

function enumsMatch(lb: Btf, lt: BtfType, tb: Btf, tt: BtfType): number {
  if (lt.sizeOrType !== tt.sizeOrType || lt.vlen > tt.vlen) return 0;
  for (let i = 0; i < lt.vlen; i++) {
    let matched = false;
    for (let j = 0; j < tt.vlen && !matched; j++) matched = namesMatch(lb, enumNameOff(lt, i), tb, enumNameOff(tt, j));
    if (!matched) return 0;
  }
  return 1;
}

function compositesMatch(lb: Btf, lt: BtfType, tb: Btf, tt: BtfType, behindPtr: boolean, level: number): number {
  if (lt.vlen > tt.vlen) return 0;
  for (let i = 0; i < lt.vlen; i++) {
    let matched = false;
    for (let j = 0; j < tt.vlen; j++) {
      if (!namesMatch(lb, lt.extra[3 * i], tb, tt.extra[3 * j])) continue;
      const err = typesMatchAt(lb, lt.extra[3 * i + 1], tb, tt.extra[3 * j + 1], behindPtr, level - 1);
      if (err < 0) return err;
      if (err > 0) {
        matched = true;
        break;
      }
    }
    if (!matched) return 0;
  }
  return 1;
}

/** __bpf_core_types_match */
function typesMatchAt(lb: Btf, localId: number, tb: Btf, targId: number, behindPtr: boolean, level: number): number {
  if (level <= 0) return -Errno.EINVAL;
  for (let depth = 32; ; ) {
    if (--depth < 0) return -Errno.EINVAL;
    const l = skipModsAndTypedefs(lb, localId);
    const r = skipModsAndTypedefs(tb, targId);
    if (!l.t || !r.t) return -Errno.EINVAL;
    if (!namesMatch(lb, l.t.nameOff, tb, r.t.nameOff)) return 0;
    const lk = l.t.kind;
    const tk = r.t.kind;
    switch (lk) {
      case BtfKind.UNKN:
        return lk === tk ? 1 : 0;
      case BtfKind.FWD: {
        const lf = l.t.kflag;
        if (behindPtr) {
          if (lk === tk) return lf === r.t.kflag ? 1 : 0;
          return (tk === BtfKind.STRUCT && !lf) || (tk === BtfKind.UNION && lf) ? 1 : 0;
        }
        if (lk !== tk) return 0;
        return lf === r.t.kflag ? 1 : 0;
      }
      case BtfKind.ENUM: case BtfKind.ENUM64:
        if (!isAnyEnum(r.t)) return 0;
        return enumsMatch(lb, l.t, tb, r.t);
      case BtfKind.STRUCT: case BtfKind.UNION:
        if (behindPtr) {
          if (lk === tk) return 1;
          if (tk !== BtfKind.FWD) return 0;
          return (lk === BtfKind.UNION) === r.t.kflag ? 1 : 0;
        }
        if (lk !== tk) return 0;
        return compositesMatch(lb, l.t, tb, r.t, behindPtr, level);
      case BtfKind.INT: {
        if (lk !== tk) return 0;
        const ls = intEncoding(l.t) & BTF_INT_SIGNED;
        const ts = intEncoding(r.t) & BTF_INT_SIGNED;
        return l.t.sizeOrType === r.t.sizeOrType && ls === ts ? 1 : 0;
      }
      case BtfKind.PTR:
        if (lk !== tk) return 0;
        behindPtr = true;
        localId = l.t.sizeOrType;
        targId = r.t.sizeOrType;
        continue;
      case BtfKind.ARRAY:
        if (lk !== tk || l.t.extra[2] !== r.t.extra[2]) return 0;
        localId = l.t.extra[0];
        targId = r.t.extra[0];
        continue;
      case BtfKind.FUNC_PROTO: {
        if (lk !== tk || l.t.vlen !== r.t.vlen) return 0;
        for (let i = 0; i < l.t.vlen; i++) {
          const err = typesMatchAt(lb, l.t.extra[2 * i + 1], tb, r.t.extra[2 * i + 1], behindPtr, level - 1);
          if (err <= 0) return err;
        }
        localId = l.t.sizeOrType;
        targId = r.t.sizeOrType;
        continue;
      }
      default:
        return 0;
    }
  }
}

/** bpf_core_types_match (MAX_TYPES_MATCH_DEPTH = 2). */
export function typesMatch(lb: Btf, localId: number, tb: Btf, targId: number): number {
  return typesMatchAt(lb, localId, tb, targId, false, 2);
}

/** bpf_core_match_member: find the local named field in the target, through anonymous members. */
function matchMember(lb: Btf, localAcc: CoreAccessor, tb: Btf, targId: number, spec: CoreSpec, next: { id: number }): number {
  const r = skipModsAndTypedefs(tb, targId);
  if (!r.t) return -Errno.EINVAL;
  if (!isComposite(r.t)) return 0;
  const lt = lb.type(localAcc.typeId);
  const localMemberType = lt.extra[3 * localAcc.idx + 1];
  const localName = nameByOffset(lb, lt.extra[3 * localAcc.idx]) ?? '';
  for (let i = 0; i < r.t.vlen; i++) {
    const bitOffset = memberBitOffset(r.t, i);
    if (spec.raw.length === BPF_CORE_SPEC_MAX_LEN) return -Errno.E2BIG;
    spec.bitOffset = u32(spec.bitOffset + bitOffset);
    spec.raw.push(i);
    const targName = nameByOffset(tb, r.t.extra[3 * i]);
    const memberType = r.t.extra[3 * i + 1];
    if (strIsEmpty(targName)) {
      const found = matchMember(lb, localAcc, tb, memberType, spec, next);
      if (found) return found;
    } else if (localName === targName) {
      spec.spec.push({ typeId: r.id, idx: i, name: targName });
      next.id = memberType;
      const found = fieldsAreCompat(lb, localMemberType, tb, memberType);
      if (!found) spec.spec.pop();
      return found;
    }
    spec.bitOffset = u32(spec.bitOffset - bitOffset);
    spec.raw.pop();
  }
  return 0;
}

/** bpf_core_spec_match: 1 and a target spec, 0 for no match, or a negative errno. */
export function specMatch(local: CoreSpec, tb: Btf, targId: number): { res: number; spec: CoreSpec } {
  const targ: CoreSpec = { btf: tb, rootTypeId: targId, reloKind: local.reloKind, spec: [], raw: [], bitOffset: 0 };
  const out = (res: number) => ({ res, spec: targ });
  if (isTypeBased(local.reloKind)) {
    return out(local.reloKind === CoreReloKind.TYPE_MATCHES
      ? typesMatch(local.btf, local.rootTypeId, tb, targId)
      : typesAreCompat(local.btf, local.rootTypeId, tb, targId));
  }
  if (isEnumvalBased(local.reloKind)) {
    const r = skipModsAndTypedefs(tb, targId);
    if (!r.t || !isAnyEnum(r.t)) return out(0);
    const localName = local.spec[0].name ?? '';
    const ll = essentialNameLen(localName);
    for (let i = 0; i < r.t.vlen; i++) {
      const tn = nameByOffset(tb, enumNameOff(r.t, i)) ?? '';
      if (essentialNameLen(tn) !== ll) continue;
      if (localName.slice(0, ll) === tn.slice(0, ll)) {
        targ.spec.push({ typeId: r.id, idx: i, name: tn });
        targ.raw.push(i);
        return out(1);
      }
    }
    return out(0);
  }
  if (!isFieldBased(local.reloKind)) return out(-Errno.EINVAL);

  let id = targId;
  for (let i = 0; i < local.spec.length; i++) {
    const r = skipModsAndTypedefs(tb, id);
    if (!r.t) return out(-Errno.EINVAL);
    id = r.id;
    const acc = local.spec[i];
    if (acc.name !== undefined) {
      const next = { id };
      const matched = matchMember(local.btf, acc, tb, id, targ, next);
      if (matched <= 0) return out(matched);
      id = next.id;
    } else {
      if (i > 0) {
        if (r.t.kind !== BtfKind.ARRAY) return out(0);
        const nelems = r.t.extra[2];
        const flex = isFlexArr(tb, targ.spec[targ.spec.length - 1], nelems);
        if (!flex && u32(acc.idx) >= nelems) return out(0);
        const elem = skipModsAndTypedefs(tb, r.t.extra[0]);
        if (!elem.t) return out(-Errno.EINVAL);
        id = elem.id;
      }
      if (targ.raw.length === BPF_CORE_SPEC_MAX_LEN) return out(-Errno.E2BIG);
      targ.spec.push({ typeId: id, idx: acc.idx, name: undefined });
      targ.raw.push(acc.idx);
      const sz = resolveSize(tb, id);
      if (sz < 0) return out(sz);
      targ.bitOffset = u32(targ.bitOffset + acc.idx * sz * 8);
    }
  }
  return out(1);
}

// ---- values ----

const EUCLEAN = -Errno.EUCLEAN;

interface FieldCalc { err: number; val: bigint; fieldSz: number; typeId: number; validate: boolean }

/** bpf_core_calc_field_relo */
function calcFieldRelo(relo: CoreRelo, spec: CoreSpec | undefined, log: Log): FieldCalc {
  const r: FieldCalc = { err: 0, val: 0n, fieldSz: 0, typeId: 0, validate: true };
  if (relo.kind === CoreReloKind.FIELD_EXISTS) {
    r.val = spec ? 1n : 0n;
    return r;
  }
  if (!spec) return { ...r, err: EUCLEAN };
  const acc = spec.spec[spec.spec.length - 1];
  const t = spec.btf.type(acc.typeId);
  if (acc.name === undefined) {
    if (relo.kind === CoreReloKind.FIELD_BYTE_OFFSET) {
      r.val = BigInt(Math.floor(spec.bitOffset / 8));
      const sz = resolveSize(spec.btf, acc.typeId);
      if (sz < 0) return { ...r, err: -Errno.EINVAL };
      r.fieldSz = sz;
      r.typeId = acc.typeId;
    } else if (relo.kind === CoreReloKind.FIELD_BYTE_SIZE) {
      const sz = resolveSize(spec.btf, acc.typeId);
      if (sz < 0) return { ...r, err: -Errno.EINVAL };
      r.val = BigInt(sz);
    } else {
      log(`prog '': relo ${relo.kind} at insn #${Math.floor(relo.insnOff / 8)} can't be applied to array access\n`);
      return { ...r, err: -Errno.EINVAL };
    }
    return r;
  }
  const m = skipModsAndTypedefs(spec.btf, t.extra[3 * acc.idx + 1]);
  const mt = m.t!;
  const fieldTypeId = m.id;
  const bitOff = spec.bitOffset;
  let bitSz = memberBitfieldSize(t, acc.idx);
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = mt.sizeOrType;
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) {
        log(`prog '': relo ${relo.kind} at insn #${Math.floor(relo.insnOff / 8)} can't be satisfied for bitfield\n`);
        return { ...r, err: -Errno.E2BIG };
      }
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    const sz = resolveSize(spec.btf, fieldTypeId);
    if (sz < 0) return { ...r, err: -Errno.EINVAL };
    byteSz = sz;
    byteOff = Math.floor(spec.bitOffset / 8);
    bitSz = byteSz * 8;
  }
  r.validate = !bitfield;
  switch (relo.kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      r.val = BigInt(byteOff);
      if (!bitfield) {
        r.fieldSz = byteSz;
        r.typeId = fieldTypeId;
      }
      break;
    case CoreReloKind.FIELD_BYTE_SIZE:
      r.val = BigInt(byteSz);
      break;
    case CoreReloKind.FIELD_SIGNED:
      r.val = (isAnyEnum(mt) && mt.kflag) || (mt.kind === BtfKind.INT && (intEncoding(mt) & BTF_INT_SIGNED) !== 0) ? 1n : 0n;
      r.validate = true;
      break;
    case CoreReloKind.FIELD_LSHIFT_U64:
      // little-endian target
      r.val = BigInt(u32(64 - (bitOff + bitSz - byteOff * 8)));
      break;
    case CoreReloKind.FIELD_RSHIFT_U64:
      r.val = BigInt(u32(64 - bitSz));
      r.validate = true;
      break;
    default:
      return { ...r, err: -Errno.EOPNOTSUPP };
  }
  return r;
}

/** bpf_core_calc_type_relo */
function calcTypeRelo(relo: CoreRelo, spec: CoreSpec | undefined): { err: number; val: bigint; validate: boolean } {
  if (!spec) return { err: 0, val: 0n, validate: true };
  switch (relo.kind) {
    case CoreReloKind.TYPE_ID_TARGET:
      return { err: 0, val: BigInt(spec.rootTypeId), validate: false };
    case CoreReloKind.TYPE_EXISTS:
    case CoreReloKind.TYPE_MATCHES:
      return { err: 0, val: 1n, validate: true };
    case CoreReloKind.TYPE_SIZE: {
      const sz = resolveSize(spec.btf, spec.rootTypeId);
      return sz < 0 ? { err: -Errno.EINVAL, val: 0n, validate: true } : { err: 0, val: BigInt(sz), validate: true };
    }
    default:
      return { err: -Errno.EOPNOTSUPP, val: 0n, validate: true };
  }
}

/** bpf_core_calc_enumval_relo */
function calcEnumvalRelo(relo: CoreRelo, spec: CoreSpec | undefined): { err: number; val: bigint } {
  switch (relo.kind) {
    case CoreReloKind.ENUMVAL_EXISTS:
      return { err: 0, val: spec ? 1n : 0n };
    case CoreReloKind.ENUMVAL_VALUE: {
      if (!spec) return { err: EUCLEAN, val: 0n };
      const t = spec.btf.type(spec.spec[0].typeId);
      const i = spec.spec[0].idx;
      // btf_enum.val is an s32, widened to the u64 result
      if (t.kind === BtfKind.ENUM) return { err: 0, val: U64(BigInt(t.extra[2 * i + 1] | 0)) };
      return { err: 0, val: (BigInt(t.extra[3 * i + 2] >>> 0) << 32n) | BigInt(t.extra[3 * i + 1] >>> 0) };
    }
    default:
      return { err: -Errno.EOPNOTSUPP, val: 0n };
  }
}

/** bpf_core_calc_relo: original (local) and new (target) values for one candidate or none. */
export function calcRelo(relo: CoreRelo, reloIdx: number, local: CoreSpec, targ: CoreSpec | undefined, log: Log): { err: number; res: CoreReloRes } {
  const res: CoreReloRes = {
    origVal: 0n, newVal: 0n, poison: false, validate: true, failMemszAdjust: false, origSz: 0, newSz: 0, origTypeId: 0, newTypeId: 0,
  };
  let err = -Errno.EOPNOTSUPP;
  if (isFieldBased(relo.kind)) {
    const o = calcFieldRelo(relo, local, log);
    err = o.err;
    res.origVal = o.val; res.origSz = o.fieldSz; res.origTypeId = o.typeId; res.validate = o.validate;
    if (!err) {
      const n = calcFieldRelo(relo, targ, log);
      err = n.err;
      res.newVal = n.val; res.newSz = n.fieldSz; res.newTypeId = n.typeId;
    }
    if (!err && res.origSz !== res.newSz) {
      const ot = local.btf.type(res.origTypeId);
      const nt = targ!.btf.type(res.newTypeId);
      const safe = (ot.kind === BtfKind.PTR && nt.kind === BtfKind.PTR) ||
        (ot.kind === BtfKind.INT && nt.kind === BtfKind.INT && intEncoding(ot) !== BTF_INT_SIGNED && intEncoding(nt) !== BTF_INT_SIGNED);
      res.failMemszAdjust = !safe;
    }
  } else if (isTypeBased(relo.kind)) {
    const o = calcTypeRelo(relo, local);
    err = o.err;
    res.origVal = o.val;
    res.validate = o.validate;
    if (!err) {
      const n = calcTypeRelo(relo, targ);
      err = n.err;
      res.newVal = n.val;
    }
  } else if (isEnumvalBased(relo.kind)) {
    const o = calcEnumvalRelo(relo, local);
    err = o.err;
    res.origVal = o.val;
    if (!err) {
      const n = calcEnumvalRelo(relo, targ);
      err = n.err;
      res.newVal = n.val;
    }
  }
  if (err === EUCLEAN) {
    res.poison = true;
    err = 0;
  } else if (err === -Errno.EOPNOTSUPP) {
    log(`prog '': relo #${reloIdx}: unrecognized CO-RE relocation ${coreReloKindStr(relo.kind)} (${relo.kind}) at insn #${Math.floor(relo.insnOff / 8)}\n`);
  }
  return { err, res };
}

// ---- instruction patching ----

const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04, BPF_ALU64 = 0x07;
const LD_IMM64 = 0x18;
const SIZE_BYTES: Record<number, number> = { 0x18: 8, 0x00: 4, 0x08: 2, 0x10: 1 };
const BYTES_SIZE: Record<number, number> = { 8: 0x18, 4: 0x00, 2: 0x08, 1: 0x10 };

/** A view of one instruction (and, for ld_imm64, the next) inside the program's bytes. */
class InsnView {
  private readonly dv: DataView;
  constructor(private readonly buf: Uint8Array, private readonly at: number) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private has(k: number): boolean {
    return (this.at + k) * 8 + 8 <= this.buf.length;
  }
  code(k = 0): number { return this.has(k) ? this.buf[(this.at + k) * 8] : 0; }
  setCode(v: number, k = 0): void { if (this.has(k)) this.buf[(this.at + k) * 8] = v; }
  dst(k = 0): number { return this.has(k) ? this.buf[(this.at + k) * 8 + 1] & 0xf : 0; }
  src(k = 0): number { return this.has(k) ? this.buf[(this.at + k) * 8 + 1] >> 4 : 0; }
  off(k = 0): number { return this.has(k) ? this.dv.getInt16((this.at + k) * 8 + 2, true) : 0; }
  setOff(v: number): void { this.dv.setInt16(this.at * 8 + 2, v << 16 >> 16, true); }
  imm(k = 0): number { return this.has(k) ? this.dv.getInt32((this.at + k) * 8 + 4, true) : 0; }
  setImm(v: number, k = 0): void { if (this.has(k)) this.dv.setInt32((this.at + k) * 8 + 4, v | 0, true); }
  /** bpf_core_poison_insn: `call 0xbad2310` with dst/src/off cleared. */
  poison(k = 0): void {
    if (!this.has(k)) return;
    const p = (this.at + k) * 8;
    this.buf[p] = 0x85; // BPF_JMP | BPF_CALL
    this.buf[p + 1] = 0;
    this.dv.setInt16(p + 2, 0, true);
    this.dv.setInt32(p + 4, CORE_POISON_IMM, true);
  }
}

/**
 * bpf_core_patch_insn: applies `res` to the instruction at `insnIdx` of `insns` (in place).
 * An ld_imm64 in the last slot has no second half here; its missing half reads as zeros and is not
 * written (in the kernel it lies past the program, in zeroed memory). Returns 0 or a negative errno,
 * and whether the instruction was poisoned instead of patched.
 */
export function patchInsn(insns: Uint8Array, insnIdx: number, relo: CoreRelo, reloIdx: number, res: CoreReloRes, log: Log): { err: number; poisoned: boolean } {
  const r = patchInsnRaw(insns, insnIdx, reloIdx, res, log);
  return typeof r === 'number' ? { err: r, poisoned: false } : { err: 0, poisoned: true };
}

function patchInsnRaw(insns: Uint8Array, insnIdx: number, reloIdx: number, res: CoreReloRes, log: Log): number | 'poisoned' {
  const insn = new InsnView(insns, insnIdx);
  const cls = insn.code() & 0x07;
  const poison = (): 'poisoned' => {
    if (insn.code() === LD_IMM64) {
      log(`prog '': relo #${reloIdx}: substituting insn #${insnIdx + 1} w/ invalid insn\n`);
      insn.poison(1);
    }
    log(`prog '': relo #${reloIdx}: substituting insn #${insnIdx} w/ invalid insn\n`);
    insn.poison(0);
    return 'poisoned';
  };
  if (res.poison) return poison();
  const orig = res.origVal;
  const nv = res.newVal;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      if (insn.code() & 0x08) return -Errno.EINVAL; // BPF_X: no immediate to patch
      const imm = insn.imm();
      if (res.validate && U64(BigInt(imm)) !== orig) {
        log(`prog '': relo #${reloIdx}: unexpected insn #${insnIdx} (ALU/ALU64) value: got ${imm >>> 0}, exp ${orig} -> ${nv}\n`);
        return -Errno.EINVAL;
      }
      insn.setImm(Number(BigInt.asIntN(32, nv)));
      log(`prog '': relo #${reloIdx}: patched insn #${insnIdx} (ALU/ALU64) imm ${U64(BigInt(imm))} -> ${nv}\n`);
      return 0;
    }
    case BPF_LDX:
    case BPF_ST:
    case BPF_STX: {
      const off = insn.off();
      if (res.validate && U64(BigInt(off)) !== orig) {
        log(`prog '': relo #${reloIdx}: unexpected insn #${insnIdx} (LDX/ST/STX) value: got ${off >>> 0}, exp ${orig} -> ${nv}\n`);
        return -Errno.EINVAL;
      }
      if (nv > 32767n) {
        log(`prog '': relo #${reloIdx}: insn #${insnIdx} (LDX/ST/STX) value too big: ${nv}\n`);
        return -Errno.ERANGE;
      }
      if (res.failMemszAdjust) {
        log(`prog '': relo #${reloIdx}: insn #${insnIdx} (LDX/ST/STX) accesses field incorrectly. ` +
          'Make sure you are accessing pointers, unsigned integers, or fields of matching type and size.\n');
        return poison();
      }
      insn.setOff(Number(nv));
      log(`prog '': relo #${reloIdx}: patched insn #${insnIdx} (LDX/ST/STX) off ${U64(BigInt(off))} -> ${nv}\n`);
      if (res.newSz !== res.origSz) {
        const bytes = SIZE_BYTES[insn.code() & 0x18] ?? -1;
        if (bytes !== res.origSz) {
          log(`prog '': relo #${reloIdx}: insn #${insnIdx} (LDX/ST/STX) unexpected mem size: got ${bytes}, exp ${res.origSz}\n`);
          return -Errno.EINVAL;
        }
        const size = BYTES_SIZE[res.newSz];
        if (size === undefined) {
          log(`prog '': relo #${reloIdx}: insn #${insnIdx} (LDX/ST/STX) invalid new mem size: ${res.newSz}\n`);
          return -Errno.EINVAL;
        }
        insn.setCode((insn.code() & 0xe0) | size | cls);
        log(`prog '': relo #${reloIdx}: patched insn #${insnIdx} (LDX/ST/STX) mem_sz ${res.origSz} -> ${res.newSz}\n`);
      }
      return 0;
    }
    case BPF_LD: {
      if (insn.code() !== LD_IMM64 || insn.src() !== 0 || insn.off() !== 0 ||
          insn.code(1) !== 0 || insn.dst(1) !== 0 || insn.src(1) !== 0 || insn.off(1) !== 0) {
        log(`prog '': relo #${reloIdx}: insn #${insnIdx} (LDIMM64) has unexpected form\n`);
        return -Errno.EINVAL;
      }
      const imm = (BigInt(insn.imm(1) >>> 0) << 32n) | BigInt(insn.imm() >>> 0);
      if (res.validate && imm !== orig) {
        log(`prog '': relo #${reloIdx}: unexpected insn #${insnIdx} (LDIMM64) value: got ${imm}, exp ${orig} -> ${nv}\n`);
        return -Errno.EINVAL;
      }
      insn.setImm(Number(BigInt.asIntN(32, nv)));
      insn.setImm(Number(BigInt.asIntN(32, nv >> 32n)), 1);
      log(`prog '': relo #${reloIdx}: patched insn #${insnIdx} (LDIMM64) imm64 ${imm} -> ${nv}\n`);
      return 0;
    }
    default:
      log(`prog '': relo #${reloIdx}: trying to relocate unrecognized insn #${insnIdx}, code:0x${insn.code().toString(16)}, ` +
        `src:0x${insn.src().toString(16)}, dst:0x${insn.dst().toString(16)}, off:0x${(insn.off() >>> 0).toString(16)}, imm:0x${(insn.imm() >>> 0).toString(16)}\n`);
      return -Errno.EINVAL;
  }
}

// ---- spec formatting (bpf_core_format_spec) ----

/** `<byte_off> [9] STRUCT task_struct.tgid (0:1 @ offset 4)`, cut at 255 characters like the kernel's buffer. */
export function formatSpec(spec: CoreSpec): string {
  const t = spec.btf.type(spec.rootTypeId);
  const name = nameByOffset(spec.btf, t.nameOff);
  let s = `<${coreReloKindStr(spec.reloKind)}> [${spec.rootTypeId}] ${btfKindStr(t.kind)} ${strIsEmpty(name) ? '<anon>' : name}`;
  if (isEnumvalBased(spec.reloKind)) {
    const e = skipModsAndTypedefs(spec.btf, spec.rootTypeId).t!;
    const i = spec.raw[0];
    const en = nameByOffset(spec.btf, enumNameOff(e, i));
    let v: string;
    if (e.kind === BtfKind.ENUM) v = e.kflag ? String(e.extra[2 * i + 1] | 0) : String(e.extra[2 * i + 1] >>> 0);
    else {
      const u = (BigInt(e.extra[3 * i + 2] >>> 0) << 32n) | BigInt(e.extra[3 * i + 1] >>> 0);
      v = String(e.kflag ? BigInt.asIntN(64, u) : u);
    }
    s += `::${en} = ${v}`;
  } else if (isFieldBased(spec.reloKind)) {
    spec.spec.forEach((a, i) => {
      if (a.name !== undefined) s += `.${a.name}`;
      else if (i > 0 || a.idx > 0) s += `[${u32(a.idx)}]`;
    });
    s += ` (${spec.raw.join(':')}`;
    s += spec.bitOffset % 8 ? ` @ offset ${Math.floor(spec.bitOffset / 8)}.${spec.bitOffset % 8})` : ` @ offset ${spec.bitOffset / 8})`;
  }
  return s.length > 255 ? s.slice(0, 255) : s;
}

export { isFieldBased as coreReloIsFieldBased, isTypeBased as coreReloIsTypeBased, isEnumvalBased as coreReloIsEnumvalBased };
