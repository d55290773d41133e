// C type expressions on top of the BTF builder, so the emulated vmlinux can be declared the way a
// kernel reader writes it: `const struct cred *`, `char[16]`, `unsigned long`, and function
// signatures such as `int bpf_prog_load(struct bpf_prog *prog, union bpf_attr *attr, ...)`.
//
// Base type names follow pahole's spelling in vmlinux BTF (`long unsigned int`, `_Bool`), so a
// program's BTF written by clang and our vmlinux agree the way they do on a real kernel.

import { BtfBuilder, type MemberSpec, type ParamSpec } from '../../btf/builder.js';
import { BTF_INT_BOOL, BTF_INT_SIGNED } from '../../btf/btf.js';

/** C spellings → pahole's names. */
const CANON: Record<string, string> = {
  'unsigned': 'unsigned int',
  'signed': 'int',
  'signed int': 'int',
  'long': 'long int',
  'signed long': 'long int',
  'unsigned long': 'long unsigned int',
  'long unsigned': 'long unsigned int',
  'unsigned long int': 'long unsigned int',
  'long long': 'long long int',
  'unsigned long long': 'long long unsigned int',
  'short': 'short int',
  'unsigned short': 'short unsigned int',
  'unsigned short int': 'short unsigned int',
};

/** Base integer types: [name, size, encoding]. */
const BASE_INTS: ReadonlyArray<readonly [string, number, number]> = [
  ['char', 1, BTF_INT_SIGNED],
  ['signed char', 1, BTF_INT_SIGNED],
  ['unsigned char', 1, 0],
  ['short int', 2, BTF_INT_SIGNED],
  ['short unsigned int', 2, 0],
  ['int', 4, BTF_INT_SIGNED],
  ['unsigned int', 4, 0],
  ['long int', 8, BTF_INT_SIGNED],
  ['long unsigned int', 8, 0],
  ['long long int', 8, BTF_INT_SIGNED],
  ['long long unsigned int', 8, 0],
  ['_Bool', 1, BTF_INT_BOOL],
];

/** A member row: [name, type, byte offset] or [name, type, {bit, bits}] for a bitfield. */
export type MemberRow = readonly [name: string, type: string | number, at: number | { bit: number; bits: number }];

export interface ParsedSignature {
  ret: string;
  name: string;
  params: Array<{ name: string; type: string }>;
}

/** Splits `ret name(type a, type b)` into its parts. `void` as the only parameter means none. */
export function parseSignature(sig: string): ParsedSignature {
  const m = /^\s*(.+?)\s*\b([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*;?\s*$/s.exec(sig);
  if (!m) throw new Error(`cannot parse C signature: ${sig}`);
  const [, ret, name, rest] = m;
  const params: Array<{ name: string; type: string }> = [];
  const body = rest.trim();
  if (body !== '' && body !== 'void') {
    for (const raw of body.split(',')) {
      const p = raw.trim();
      const pm = /^(.*?[\s*])([A-Za-z_][A-Za-z0-9_]*)$/s.exec(p);
      // a parameter without a name (`struct foo *`) keeps its whole text as the type
      if (pm && !/^(const|volatile|struct|union|enum|unsigned|signed|long|short|int|char)$/.test(pm[2])) {
        params.push({ name: pm[2], type: pm[1].trim() });
      } else {
        params.push({ name: '', type: p });
      }
    }
  }
  return { ret: ret.replace(/\s+/g, ' ').trim(), name, params };
}

export class CTypes {
  readonly b = new BtfBuilder();
  private readonly named = new Map<string, number>();
  private readonly declared = new Set<number>();
  private readonly defined = new Set<number>();
  private readonly ptrOf = new Map<number, number>();
  private readonly constOf = new Map<number, number>();
  private readonly volatileOf = new Map<number, number>();
  private readonly arrayOf = new Map<string, number>();
  /** sizeof and alignof of every type made here (void: 0/1). */
  private readonly layoutOf = new Map<number, { size: number; align: number }>([[0, { size: 0, align: 1 }]]);
  private arrayIndex = 0;

  constructor() {
    for (const [n, size, enc] of BASE_INTS) {
      const id = this.b.int(n, size, enc);
      this.named.set(n, id);
      this.layoutOf.set(id, { size, align: size });
    }
    // the index type pahole uses for arrays
    this.arrayIndex = this.b.int('__ARRAY_SIZE_TYPE__', 4, 0);
    this.layoutOf.set(this.arrayIndex, { size: 4, align: 4 });
  }

  /** sizeof a type made here. */
  sizeOf(type: string | number): number {
    return this.layout(type).size;
  }

  alignOf(type: string | number): number {
    return this.layout(type).align;
  }

  private layout(type: string | number): { size: number; align: number } {
    const id = this.t(type);
    const l = this.layoutOf.get(id);
    if (!l) throw new Error(`size of type #${id} (${String(type)}) is not known yet: define it before using it by value`);
    return l;
  }

  /** The id of a named type already known (`int`, `u32`, `struct task_struct`, ...). */
  has(name: string): boolean {
    return this.named.has(name);
  }

  typedef(name: string, target: string | number): number {
    const to = this.t(target);
    const id = this.b.typedef(name, to);
    this.named.set(name, id);
    const l = this.layoutOf.get(to);
    if (l) this.layoutOf.set(id, l);
    return id;
  }

  enum(name: string, size: number, values: ReadonlyArray<readonly [string, number]>, signed = false): number {
    const id = this.b.enum(name, size, values, signed);
    if (name) this.named.set(`enum ${name}`, id);
    this.layoutOf.set(id, { size, align: size });
    return id;
  }

  /** A struct or union known by name; declared on first use, defined by `struct`/`union`. */
  private composite(kw: 'struct' | 'union', name: string): number {
    const key = `${kw} ${name}`;
    let id = this.named.get(key);
    if (id === undefined) {
      id = kw === 'struct' ? this.b.declareStruct(name) : this.b.declareUnion(name);
      this.named.set(key, id);
      this.declared.add(id);
    }
    return id;
  }

  /**
   * Defines (or declares and defines) a struct; anonymous when `name` is ''. Without `size` the C
   * rule applies: the end of the last member rounded up to the largest member alignment.
   */
  struct(name: string, rows: readonly MemberRow[], size?: number): number {
    return this.defineComposite('struct', name, rows, size);
  }

  union(name: string, rows: readonly MemberRow[], size?: number): number {
    return this.defineComposite('union', name, rows, size);
  }

  private defineComposite(kw: 'struct' | 'union', name: string, rows: readonly MemberRow[], size?: number): number {
    const id = name ? this.composite(kw, name) : kw === 'struct' ? this.b.declareStruct('') : this.b.declareUnion('');
    if (this.defined.has(id)) throw new Error(`${kw} ${name} is defined twice`);
    let end = 0;
    let align = 1;
    const members: MemberSpec[] = rows.map(([n, type, at]) => {
      const tid = this.t(type);
      const bitOffset = typeof at === 'number' ? at * 8 : at.bit;
      const l = this.layout(tid);
      align = Math.max(align, l.align);
      end = Math.max(end, Math.floor(bitOffset / 8) + l.size);
      return typeof at === 'number' ? { name: n, type: tid, bitOffset } : { name: n, type: tid, bitOffset, bitfieldSize: at.bits };
    });
    const sz = size ?? Math.ceil(end / align) * align;
    if (sz < end) throw new Error(`${kw} ${name || '(anon)'}: size ${sz} is smaller than its members (${end})`);
    this.b.defineComposite(id, sz, members);
    this.defined.add(id);
    this.layoutOf.set(id, { size: sz, align });
    return id;
  }

  /** Types that were referred to by name but never defined. */
  undefinedComposites(): string[] {
    const out: string[] = [];
    for (const [k, id] of this.named) if (this.declared.has(id) && !this.defined.has(id)) out.push(k);
    return out;
  }

  ptr(type: number): number {
    let id = this.ptrOf.get(type);
    if (id === undefined) {
      id = this.b.ptr(type);
      this.ptrOf.set(type, id);
      this.layoutOf.set(id, { size: 8, align: 8 });
    }
    return id;
  }

  private qual(type: number, q: 'const' | 'volatile'): number {
    const cache = q === 'const' ? this.constOf : this.volatileOf;
    let id = cache.get(type);
    if (id === undefined) {
      id = q === 'const' ? this.b.const(type) : this.b.volatile(type);
      cache.set(type, id);
      const l = this.layoutOf.get(type);
      if (l) this.layoutOf.set(id, l);
    }
    return id;
  }

  array(elem: number, n: number): number {
    const key = `${elem}:${n}`;
    let id = this.arrayOf.get(key);
    if (id === undefined) {
      id = this.b.array(elem, this.arrayIndex, n);
      this.arrayOf.set(key, id);
      const l = this.layoutOf.get(elem);
      if (l) this.layoutOf.set(id, { size: l.size * n, align: l.align });
    }
    return id;
  }

  /** Resolves a C type expression (or passes an id through). */
  t(expr: string | number): number {
    if (typeof expr === 'number') return expr;
    let s = expr.replace(/\b__user\b|\b__percpu\b|\b__rcu\b/g, ' ').replace(/\s+/g, ' ').trim();
    const dims: number[] = [];
    for (let m = /\[(\d+)\]\s*$/.exec(s); m; m = /\[(\d+)\]\s*$/.exec(s)) {
      dims.unshift(Number(m[1]));
      s = s.slice(0, m.index).trim();
    }
    let stars = 0;
    const ptrConst: boolean[] = [];
    for (;;) {
      if (s.endsWith('*')) {
        stars++;
        ptrConst.push(false);
        s = s.slice(0, -1).trim();
      } else if (/\*\s*const$/.test(s)) {
        stars++;
        ptrConst.push(true);
        s = s.replace(/\s*const$/, '').slice(0, -1).trim();
      } else break;
    }
    let isConst = false;
    let isVolatile = false;
    const words = s.split(' ').filter((w) => {
      if (w === 'const') return !(isConst = true);
      if (w === 'volatile') return !(isVolatile = true);
      return true;
    });
    let base = words.join(' ');
    let id: number;
    if (base === 'void') id = 0;
    else if (words[0] === 'struct' || words[0] === 'union') id = this.composite(words[0], words.slice(1).join(' '));
    else {
      base = CANON[base] ?? base;
      const known = this.named.get(base);
      if (known === undefined) throw new Error(`unknown C type '${base}' in '${expr}'`);
      id = known;
    }
    if (isVolatile) id = this.qual(id, 'volatile');
    if (isConst) id = this.qual(id, 'const');
    for (let i = ptrConst.length - 1; i >= 0; i--) {
      id = this.ptr(id);
      if (ptrConst[i]) id = this.qual(id, 'const');
    }
    for (let i = dims.length - 1; i >= 0; i--) id = this.array(id, dims[i]);
    return id;
  }

  /** FUNC_PROTO for a signature (parameter names kept, as pahole keeps them for functions). */
  proto(sig: ParsedSignature, keepNames = true): number {
    const params: ParamSpec[] = sig.params.map((p) => ({ name: keepNames ? p.name : '', type: this.t(p.type) }));
    return this.b.funcProto(this.t(sig.ret), params);
  }
}
