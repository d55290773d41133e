// The BTF builder (src/btf/builder.ts): what it writes must parse back with the shared model and,
// when bpftool is installed, with libbpf.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BtfBuilder } from '../../src/btf/builder.js';
import { Btf, BtfKind, BTF_INT_SIGNED, enumValue, intBits, intEncoding, member, memberBitfieldSize, memberBitOffset, param } from '../../src/btf/btf.js';
import { hasTool } from './support.js';

function sample(): { bytes: Uint8Array; ids: Record<string, number> } {
  const b = new BtfBuilder();
  const int = b.int('int', 4, BTF_INT_SIGNED);
  const u16 = b.int('short unsigned int', 2);
  const s = b.declareStruct('node');
  const p = b.ptr(s);
  const arr = b.array(int, int, 4);
  b.defineComposite(s, 32, [
    { name: 'next', type: p, bitOffset: 0 },
    { name: 'vals', type: arr, bitOffset: 64 },
    { name: 'a', type: u16, bitOffset: 192, bitfieldSize: 3 },
    { name: 'b', type: u16, bitOffset: 195, bitfieldSize: 5 },
  ]);
  const e = b.enum('color', 4, [['RED', 0], ['BLUE', -1]], true);
  const e64 = b.enum64('big', 8, [['HUGE', 1n << 40n]]);
  const proto = b.funcProto(int, [{ name: 'n', type: p }]);
  const fn = b.func('walk', proto, 1);
  const v = b.var('head', p, 1);
  const ds = b.datasec('.data', 8, [{ type: v, offset: 0, size: 8 }]);
  const td = b.typedef('node_t', s);
  const c = b.const(td);
  const fl = b.float('double', 8);
  const fwd = b.fwd('opaque', true);
  return { bytes: b.build(), ids: { int, u16, s, p, arr, e, e64, proto, fn, v, ds, td, c, fl, fwd } };
}

describe('BTF builder', () => {
  it('writes BTF that the shared model parses back, ids in call order', () => {
    const { bytes, ids } = sample();
    const btf = Btf.parse(bytes);
    expect(btf.typeCount).toBe(16);
    expect(btf.type(ids.int).kind).toBe(BtfKind.INT);
    expect(intEncoding(btf.type(ids.int))).toBe(BTF_INT_SIGNED);
    expect(intBits(btf.type(ids.u16))).toBe(16);
    const s = btf.type(ids.s);
    expect([btf.name(s), s.kind, s.sizeOrType, s.vlen, s.kflag]).toEqual(['node', BtfKind.STRUCT, 32, 4, true]);
    expect(member(s, 0).type).toBe(ids.p);
    expect(btf.type(ids.p).sizeOrType).toBe(ids.s); // the self-reference declared before definition
    expect([memberBitOffset(s, 2), memberBitfieldSize(s, 2), memberBitOffset(s, 3), memberBitfieldSize(s, 3)]).toEqual([192, 3, 195, 5]);
    expect(btf.resolveSize(ids.arr)).toBe(16);
    const e = btf.type(ids.e);
    expect([e.kflag, btf.str(enumValue(e, 1).nameOff), enumValue(e, 1).val]).toEqual([true, 'BLUE', -1]);
    const e64 = btf.type(ids.e64);
    expect([e64.kind, e64.extra[1], e64.extra[2]]).toEqual([BtfKind.ENUM64, 0, 1 << 8]);
    const proto = btf.type(ids.proto);
    expect(btf.str(param(proto, 0).nameOff)).toBe('n');
    expect([btf.type(ids.fn).vlen, btf.type(ids.fn).sizeOrType]).toEqual([1, ids.proto]);
    expect(btf.type(ids.fwd).kflag).toBe(true);
    expect(btf.findByNameKind('node_t', BtfKind.TYPEDEF)).toBe(ids.td);
  });

  it('deduplicates strings and is deterministic', () => {
    const a = sample().bytes;
    const b = sample().bytes;
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const bb = new BtfBuilder();
    expect(bb.addStr('x')).toBe(bb.addStr('x'));
    expect(bb.addStr('')).toBe(0);
    expect(() => bb.addStr('a\0b')).toThrow(/NUL/);
  });

  it('refuses to define a member list on a type that is not a struct or union', () => {
    const b = new BtfBuilder();
    const i = b.int('int', 4);
    expect(() => b.defineComposite(i, 4, [])).toThrow(/not a struct or union/);
    expect(() => b.defineComposite(99, 4, [])).toThrow(/does not exist/);
  });

  it.skipIf(!hasTool('bpftool'))('bpftool (libbpf) reads what the builder writes [skipped without bpftool]', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfsig-btf-'));
    const file = join(dir, 'sample.btf');
    writeFileSync(file, sample().bytes);
    const raw = execFileSync('bpftool', ['btf', 'dump', 'file', file, 'format', 'raw'], { encoding: 'utf8' });
    expect(raw).toContain("[3] STRUCT 'node' size=32 vlen=4");
    expect(raw).toContain("'b' type_id=2 bits_offset=195 bitfield_size=5");
    expect(raw).toContain("ENUM64 'big' encoding=UNSIGNED size=8 vlen=1");
    expect(raw).toContain("[9] FUNC 'walk' type_id=8 linkage=global");
    const c = execFileSync('bpftool', ['btf', 'dump', 'file', file, 'format', 'c'], { encoding: 'utf8' });
    expect(c).toMatch(/struct node \{\n\tstruct node \*next;\n\tint vals\[4\];/);
  });
});
