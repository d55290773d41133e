// C declarations of BTF types, as bpftool's skeleton generator prints data-section variables
// (libbpf btf_dump__emit_type_decl with a field name, an indent level and optional stripping of
// const/volatile/restrict). Covers what global variables are made of: named base types,
// typedefs, pointers (including to functions), arrays, anonymous structs/unions/enums written
// inline, and bitfields in those inline definitions.

import { fail } from './errors.js';
import { BtfKind, type Btf, type BtfType, arrayInfo, enumValue, member, memberBitfieldSize, param } from '../btf/btf.js';

export interface DeclOptions {
  /** Field name to declare (may be empty). */
  fieldName: string;
  /** Tabs in front of the lines of inline struct/union/enum bodies. */
  indentLevel: number;
  /** Drop const/volatile/restrict (bpftool does so for every section but .kconfig). */
  stripMods: boolean;
}

const tabs = (n: number) => '\t'.repeat(n);

function isMod(kind: number): boolean {
  return kind === BtfKind.CONST || kind === BtfKind.VOLATILE || kind === BtfKind.RESTRICT || kind === BtfKind.TYPE_TAG;
}

function modName(kind: number): string {
  return kind === BtfKind.CONST ? 'const' : kind === BtfKind.VOLATILE ? 'volatile' : kind === BtfKind.RESTRICT ? 'restrict' : '';
}

/** The base type spelling: `int`, `struct foo`, or an inline anonymous definition. */
function baseName(btf: Btf, t: BtfType, lvl: number, depth: number): string {
  const name = btf.str(t.nameOff);
  switch (t.kind) {
    case BtfKind.UNKN: return 'void';
    case BtfKind.INT:
    case BtfKind.FLOAT:
    case BtfKind.TYPEDEF:
      return name;
    case BtfKind.FWD:
      return `${t.kflag ? 'union' : 'struct'} ${name}`;
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      const kw = t.kind === BtfKind.STRUCT ? 'struct' : 'union';
      if (name) return `${kw} ${name}`;
      if (depth > 16) fail('btf', 'anonymous type nesting too deep to print');
      const lines = [`${kw} {`];
      for (let i = 0; i < t.vlen; i++) {
        const m = member(t, i);
        const bits = memberBitfieldSize(t, i);
        lines.push(`${tabs(lvl + 1)}${declare(btf, m.type, btf.str(m.nameOff), lvl + 1, false, depth + 1)}${bits ? `: ${bits}` : ''};`);
      }
      lines.push(`${tabs(lvl)}}`);
      return lines.join('\n');
    }
    case BtfKind.ENUM:
    case BtfKind.ENUM64: {
      if (name) return `enum ${name}`;
      const lines = ['enum {'];
      for (let i = 0; i < t.vlen; i++) {
        const v = t.kind === BtfKind.ENUM ? enumValue(t, i) : { nameOff: t.extra[3 * i], val: t.extra[3 * i + 1] };
        lines.push(`${tabs(lvl + 1)}${btf.str(v.nameOff)} = ${v.val},`);
      }
      lines.push(`${tabs(lvl)}}`);
      return lines.join('\n');
    }
    default:
      fail('btf', `cannot print BTF type #${t.id} of kind ${t.kind} as a C type`);
  }
}

/**
 * How many type links (modifier, pointer, array, prototype) one declaration may follow. BTF from
 * a file can loop (a VOLATILE whose type is itself): the walk stops with a named error, never a
 * hang or a stack overflow. Real declarations are a handful of links deep.
 */
const MAX_TYPE_CHAIN = 256;

function chainTooLong(typeId: number): never {
  fail('btf', `BTF type #${typeId}: type chain too long to print (a loop?)`);
}

function declare(btf: Btf, typeId: number, declarator: string, lvl: number, stripMods: boolean, depth: number, chain = 0): string {
  if (chain > MAX_TYPE_CHAIN) chainTooLong(typeId);
  let t = btf.type(typeId);
  // leading qualifiers of this level
  const quals: string[] = [];
  while (isMod(t.kind)) {
    if (++chain > MAX_TYPE_CHAIN) chainTooLong(typeId);
    if (!stripMods && modName(t.kind)) quals.push(modName(t.kind));
    t = btf.type(t.sizeOrType);
  }
  const q = quals.length ? quals.join(' ') + ' ' : '';
  switch (t.kind) {
    case BtfKind.PTR: {
      let target = btf.type(t.sizeOrType);
      for (let n = 0; isMod(target.kind); n++) {
        if (n > MAX_TYPE_CHAIN) chainTooLong(t.sizeOrType);
        target = btf.type(target.sizeOrType);
      }
      const inner = `*${q ? q : ''}${declarator}`;
      const wrapped = target.kind === BtfKind.ARRAY || target.kind === BtfKind.FUNC_PROTO ? `(${inner})` : inner;
      return declare(btf, t.sizeOrType, wrapped, lvl, stripMods, depth, chain + 1);
    }
    case BtfKind.ARRAY: {
      const a = arrayInfo(t);
      return q + declare(btf, a.type, `${declarator}[${a.nelems}]`, lvl, stripMods, depth, chain + 1);
    }
    case BtfKind.FUNC_PROTO: {
      const params: string[] = [];
      for (let i = 0; i < t.vlen; i++) {
        const p = param(t, i);
        if (p.type === 0 && i === t.vlen - 1) params.push('...');
        else params.push(declare(btf, p.type, btf.str(p.nameOff), lvl, stripMods, depth, chain + 1));
      }
      return declare(btf, t.sizeOrType, `${declarator}(${params.length ? params.join(', ') : 'void'})`, lvl, stripMods, depth, chain + 1);
    }
    default: {
      const base = baseName(btf, t, lvl, depth);
      return declarator ? `${q}${base} ${declarator}` : `${q}${base}`;
    }
  }
}

/** `int x`, `char *name`, `__u64 hist[16]`, `int (*fn)(int)`, `struct { ... } s`. */
export function emitTypeDecl(btf: Btf, typeId: number, opts: DeclOptions): string {
  return declare(btf, typeId, opts.fieldName, opts.indentLevel, opts.stripMods, 0);
}
