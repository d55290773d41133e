// The generator of src/abi/uapi/attr-types.ts (issue K): typed interfaces and decoders for every
// `union bpf_attr` member and info struct, made from the layout tables of attr-layouts.ts — the way
// cilium/ebpf generates internal/sys/types.go from the kernel's BTF. `npm run gen:attr-types`
// writes the file (tools/gen-attr-types.mjs); test/abi/attr-types.test.ts fails when the committed
// file is not what this function makes from the tables.
//
// For each layout: an interface with one readonly member per field (its short C member name:
// `info.bpf_fd` → `bpf_fd`), typed by its C type (__u8/__u16/__u32/__s32 → number, __u64 and
// __aligned_u64 → bigint, char[16] and __u8[8] → string); a decoder that reads every field once
// (bytes past the buffer read as zero, as the kernel's zero-filled copy; a field of a UAPI feature
// the profile lacks reads as zero, since that kernel's struct ends before it); and the list of
// (trace name, member) pairs the trace renders from the decoded value.

import { ATTR_LAYOUTS, INFO_LAYOUTS } from './attr-layouts.js';
import { BpfCmd } from './consts.js';
import type { CType, FieldDef, Layout } from './layout.js';

/** The TypeScript name of each layout (the exported constant's name in attr-layouts.ts, in PascalCase). */
const NAMES: ReadonlyMap<string, string> = new Map([
  ['union bpf_attr (BPF_MAP_CREATE)', 'MapCreate'],
  ['union bpf_attr (BPF_MAP_*_ELEM)', 'MapElem'],
  ['union bpf_attr (BPF_MAP_GET_NEXT_KEY)', 'MapGetNextKey'],
  ['union bpf_attr (BPF_MAP_DELETE_ELEM)', 'MapDeleteElem'],
  ['union bpf_attr (BPF_MAP_FREEZE)', 'MapFreeze'],
  ['union bpf_attr (BPF_PROG_LOAD)', 'ProgLoad'],
  ['union bpf_attr (BPF_OBJ_GET_INFO_BY_FD)', 'ObjGetInfoByFd'],
  ['union bpf_attr (BPF_PROG_TEST_RUN)', 'ProgTestRun'],
  ['union bpf_attr (BPF_BTF_LOAD)', 'BtfLoad'],
  ['union bpf_attr (BPF_*_GET_FD_BY_ID)', 'GetId'],
  ['struct bpf_map_info', 'BpfMapInfo'],
  ['struct bpf_prog_info', 'BpfProgInfo'],
  ['struct bpf_btf_info', 'BpfBtfInfo'],
]);

const TS_TYPE: Record<CType, string> = {
  __u8: 'number',
  __u16: 'number',
  __u32: 'number',
  __s32: 'number',
  __u64: 'bigint',
  __aligned_u64: 'bigint',
  'char[16]': 'string',
  '__u8[8]': 'string',
};

const READER: Record<CType, string> = {
  __u8: 'u8',
  __u16: 'u16',
  __u32: 'u32',
  __s32: 's32',
  __u64: 'u64',
  __aligned_u64: 'u64',
  'char[16]': 'name16',
  '__u8[8]': 'hex8',
};

/** The readers the decoders call (only those some field uses are written out). */
const HELPERS: readonly (readonly [string, readonly string[]])[] = [
  [
    'base',
    [
      '/** Byte i of b, 0 past its end (an attr shorter than the layout reads as zero-extended). */',
      'const byte = (b: Uint8Array, i: number): number => (i < b.length ? b[i]! : 0);',
      '/** The little-endian 32-bit word at off, as a signed number. */',
      'const word = (b: Uint8Array, off: number): number => byte(b, off) | (byte(b, off + 1) << 8) | (byte(b, off + 2) << 16) | (byte(b, off + 3) << 24);',
      '/** n bytes at off, zero-filled past the end of b. */',
      'function at(b: Uint8Array, off: number, n: number): Uint8Array {',
      '  if (off + n <= b.length) return b.subarray(off, off + n);',
      '  const t = new Uint8Array(n);',
      '  if (off < b.length) t.set(b.subarray(off));',
      '  return t;',
      '}',
    ],
  ],
  ['u8', ['const u8 = (b: Uint8Array, off: number): number => (off < b.length ? b[off]! : 0);']],
  ['u16', ['const u16 = (b: Uint8Array, off: number): number => byte(b, off) | (byte(b, off + 1) << 8);']],
  ['u32', ['const u32 = (b: Uint8Array, off: number): number => word(b, off) >>> 0;']],
  ['s32', ['const s32 = (b: Uint8Array, off: number): number => word(b, off);']],
  [
    'u64',
    [
      '/** Little-endian u64 from two u32 words: one BigInt below 2^53 (zero, small values, user addresses). */',
      'function u64(b: Uint8Array, off: number): bigint {',
      '  const lo = word(b, off) >>> 0;',
      '  const hi = word(b, off + 4) >>> 0;',
      '  return hi < 0x20_0000 ? BigInt(hi * 0x1_0000_0000 + lo) : (BigInt(hi) << 32n) | BigInt(lo);',
      '}',
    ],
  ],
  [
    'name16',
    [
      '/** char[16] up to its first NUL, latin1 (bytes past the end of b read as NUL); no Buffer for a short name. */',
      'function name16(b: Uint8Array, off: number): string {',
      "  let s = '';",
      '  const end = Math.min(off + 16, b.length);',
      '  for (let i = off; i < end; i++) {',
      '    const c = b[i]!;',
      '    if (c === 0) break;',
      '    s += String.fromCharCode(c);',
      '  }',
      '  return s;',
      '}',
    ],
  ],
  ['hex8', ["const hex8 = (b: Uint8Array, off: number): string => Buffer.from(at(b, off, 8)).toString('hex');"]],
];

const ZERO: Record<string, string> = { number: '0', bigint: '0n', string: "''" };

const member = (f: FieldDef) => f.name.slice(f.name.indexOf('.') + 1);

function layoutName(l: Layout): string {
  const n = NAMES.get(l.name);
  if (!n) throw new RangeError(`gen-attr-types: no TypeScript name for layout '${l.name}'`);
  return n;
}

function emitLayout(l: Layout, kind: 'Attr' | ''): string[] {
  const name = layoutName(l) + kind;
  const out: string[] = [];
  out.push(`/** ${l.name}${l.sizeof ? ` (${l.sizeof} bytes)` : ''}. */`);
  out.push(`export interface ${name} {`);
  for (const f of l.fields) {
    const notes = [`${f.ctype} at ${f.offset}`, f.role !== 'value' ? f.role : '', f.since ? `since ${f.since}` : '', f.feature ? `UAPI feature ${f.feature}` : ''].filter(Boolean);
    out.push(`  /** ${notes.join('; ')} */`);
    out.push(`  readonly ${member(f)}: ${TS_TYPE[f.ctype]};`);
  }
  out.push('}', '');
  out.push(`/** Decode ${l.name}: every field once (${kind ? 'the kernel copy of the attr' : 'the info buffer'}). */`);
  out.push(`export function decode${name}(b: Uint8Array, features: ReadonlySet<UapiFeature>): ${name} {`);
  out.push('  return {');
  for (const f of l.fields) {
    const read = `${READER[f.ctype]}(b, ${f.offset})`;
    out.push(`    ${member(f)}: ${f.feature ? `features.has('${f.feature}') ? ${read} : ${ZERO[TS_TYPE[f.ctype]]}` : read},`);
  }
  out.push('  };', '}', '');
  out.push(`/** The trace's names of ${name}'s fields (C member paths), each with the UAPI feature it needs. */`);
  out.push(`export const ${name.charAt(0).toLowerCase() + name.slice(1)}Fields: readonly FieldName<${name}>[] = [`);
  for (const f of l.fields) out.push(`  ['${f.name}', '${member(f)}'${f.feature ? `, '${f.feature}'` : ''}],`);
  out.push('];', '');
  return out;
}

/** The text of src/abi/uapi/attr-types.ts. */
export function generateAttrTypes(): string {
  const out: string[] = [
    '// GENERATED by tools/gen-attr-types.mjs from src/abi/uapi/attr-layouts.ts (src/abi/uapi/gen-attr-types.ts).',
    '// Do not edit: change the layout tables and run `npm run gen:attr-types`; test/abi/attr-types.test.ts',
    '// fails when this file is not what the tables make.',
    '',
    "import { BpfCmd } from './consts.js';",
    "import type { UapiFeature } from './layout.js';",
    '',
    '/** A field as the trace names it, the member it is in the decoded value, and the UAPI feature it needs. */',
    'export type FieldName<T> = readonly [trace: string, member: keyof T & string, feature?: UapiFeature];',
    '',
    '',
  ];
  const layouts = [...new Set(ATTR_LAYOUTS.values()), ...INFO_LAYOUTS.values()];
  const used = new Set(layouts.flatMap((l) => l.fields.map((f) => READER[f.ctype])));
  out.push(...HELPERS.filter(([name]) => name === 'base' || used.has(name)).flatMap(([, lines]) => lines), '');
  const seen = new Set<string>();
  for (const l of ATTR_LAYOUTS.values()) {
    if (seen.has(l.name)) continue;
    seen.add(l.name);
    out.push(...emitLayout(l, 'Attr'));
  }
  for (const l of INFO_LAYOUTS.values()) out.push(...emitLayout(l, ''));
  // The decoded attr of a command, tagged with the command.
  const cmdName = new Map<number, string>(Object.entries(BpfCmd).map(([k, v]) => [v, k]));
  out.push('/** A command\'s attr decoded once at syscall entry, tagged with the command. */');
  out.push('export type TypedAttr =');
  const rows: string[] = [];
  for (const [cmd, l] of ATTR_LAYOUTS) rows.push(`  | { readonly cmd: typeof BpfCmd.${cmdName.get(cmd)}; readonly attr: ${layoutName(l)}Attr }`);
  out.push(...rows.map((r, i) => (i === rows.length - 1 ? r + ';' : r)), '');
  out.push('/** The attr type of each command, by number. */');
  out.push('export interface AttrByCmd {');
  for (const [cmd, l] of ATTR_LAYOUTS) out.push(`  /** ${cmdName.get(cmd)} */`, `  ${cmd}: ${layoutName(l)}Attr;`);
  out.push('}', '');
  out.push('/** Decode the attr of `cmd` (undefined for a command without a layout). */');
  out.push('export function decodeTypedAttr(cmd: number, b: Uint8Array, features: ReadonlySet<UapiFeature>): TypedAttr | undefined {');
  out.push('  switch (cmd) {');
  for (const [cmd, l] of ATTR_LAYOUTS) out.push(`    case BpfCmd.${cmdName.get(cmd)}:`, `      return { cmd, attr: decode${layoutName(l)}Attr(b, features) };`);
  out.push('    default:', '      return undefined;', '  }', '}', '');
  out.push('/** The trace names of the fields of `cmd`\'s attr. */');
  out.push('export function typedAttrFields(t: TypedAttr): readonly (readonly [string, string, UapiFeature?])[] {');
  out.push('  switch (t.cmd) {');
  for (const [cmd, l] of ATTR_LAYOUTS) {
    const n = layoutName(l) + 'Attr';
    out.push(`    case BpfCmd.${cmdName.get(cmd)}:`, `      return ${n.charAt(0).toLowerCase() + n.slice(1)}Fields;`);
  }
  out.push('  }', '}', '');
  return out.join('\n');
}
