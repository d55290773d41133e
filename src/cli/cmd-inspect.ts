// `bpfsig inspect OBJ.bpf.o [--json]`: what libbpf sees in a BPF object — programs, maps,
// relocations, externs, BTF — as a table or one JSON object.

import { readFileSync } from 'node:fs';
import { type Command, InputError, type Io, UsageError, parseCommandArgs } from './command.js';
import { BPF_CORE_RELO_KINDS } from '../btf/btf-ext.js';
import { BTF_VAR_STATIC, BtfKind, secinfo, varLinkage } from '../btf/btf.js';
import type { BpfObject } from '../loader/elf/object-types.js';
import { progIsSubprog } from '../loader/elf/object-types.js';
import { objectNameFromPath, readElf } from '../loader/elf/read-object.js';
import { SEC_SLEEPABLE } from '../loader/elf/section-defs.js';
import { R_BPF_NAMES } from '../loader/elf/symbols.js';
import { SHF_EXECINSTR } from '../loader/elf/elf-file.js';
import { effectiveMapFlags, mapIdent } from '../loader/gen-loader/gen-loader.js';
import { toolchain, type ToolchainProfile } from '../loader/gen-loader/profiles.js';
import { defaultToolchainName } from '../schemes/index.js';
import { attachTypeName, mapFlagNames, mapTypeName, progTypeName } from '../loader/uapi.js';
import { SUMMARIES } from './summaries.js';

const USAGE = `usage: bpfsig inspect OBJ.bpf.o [--json]

Shows what libbpf 1.7 sees in a BPF object file: programs (section, type, expected attach type,
instruction count, sleepable), maps (name, type, key/value size, max entries, flags as bpftool 7.7
creates them, section), relocations, externs (kfuncs, ksyms, kconfig) and a BTF summary.

options:
  --json   one JSON object instead of tables
  -h, --help`;

export interface InspectReport {
  file: string;
  objectName: string;
  license: string;
  kernVersion: number;
  warnings: string[];
  programs: Array<{
    name: string; section: string; type: string; expectedAttachType: string | null; insns: number;
    sleepable: boolean; autoload: boolean; subprogram: boolean; relocations: Record<string, number>;
  }>;
  maps: Array<{
    name: string; ident: string | null; type: string; keySize: number; valueSize: number; maxEntries: number;
    flags: number; flagNames: string[]; section: string; kind: string; btfKeyTypeId: number; btfValueTypeId: number;
  }>;
  /** `used`: libbpf applies it (program sections, .maps); the others (.BTF, DWARF) it ignores. */
  relocations: Array<{ section: string; target: string; offset: number; type: string; symbol: string; used: boolean }>;
  externs: Array<{ name: string; kind: 'kfunc' | 'ksym' | 'kconfig'; weak: boolean; typed: boolean }>;
  btf: null | {
    bytes: number; types: number; strings: number; kinds: Record<string, number>;
    datasecs: Array<{ name: string; size: number; vars: string[] }>;
    ext: null | { funcInfo: number; lineInfo: number; coreRelos: Array<{ section: string; insn: number; kind: string }> };
  };
}

/** What `bpfsig inspect` reports for an object; map flags as `profile`'s libbpf would create them. */
export function inspectObject(obj: BpfObject, file: string, profile: ToolchainProfile = toolchain(defaultToolchainName())): InspectReport {
  const btf = obj.btf;
  const sectionName = (idx: number) => obj.elf.sections[idx]?.name ?? `#${idx}`;
  return {
    file,
    objectName: obj.name,
    license: obj.license,
    kernVersion: obj.kernVersion,
    warnings: [...obj.warnings],
    programs: obj.programs.map((p) => {
      const relocations: Record<string, number> = {};
      for (const r of p.relocs) relocations[r.kind] = (relocations[r.kind] ?? 0) + 1;
      return {
        name: p.name,
        section: p.secName,
        type: p.secDef ? progTypeName(p.type) : progIsSubprog(obj, p) ? '(subprogram)' : '(unknown section)',
        // attach type 0 is BPF_CGROUP_INET_INGRESS, but for most sections it means "none"
        expectedAttachType: p.secDef && (p.expectedAttachType !== 0 || p.secDef.sec === 'cgroup_skb/ingress') ? attachTypeName(p.expectedAttachType) : null,
        insns: p.secInsnCnt,
        sleepable: !!p.secDef && (p.secDef.flags & SEC_SLEEPABLE) !== 0,
        autoload: p.autoload,
        subprogram: progIsSubprog(obj, p),
        relocations,
      };
    }),
    maps: obj.maps.map((m) => {
      const flags = effectiveMapFlags(m, profile);
      return {
        name: m.name,
        ident: mapIdent(m) ?? null,
        type: mapTypeName(m.type),
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries,
        flags,
        flagNames: mapFlagNames(flags),
        section: m.libbpfType === 'kconfig' ? '.kconfig' : sectionName(m.secIdx),
        kind: m.libbpfType,
        btfKeyTypeId: m.btfKeyTypeId,
        btfValueTypeId: m.btfValueTypeId,
      };
    }),
    relocations: obj.rawRelocations.map((r) => ({
      section: r.section, target: r.target, offset: r.offset, type: R_BPF_NAMES[r.type] ?? `type ${r.type}`, symbol: r.symbol,
      used: r.target === '.maps' || obj.elf.sections.some((s) => s.name === r.target && (s.flags & SHF_EXECINSTR) !== 0),
    })),
    externs: obj.externs.map((e) => ({
      name: e.name,
      kind: e.type === 'kcfg' ? 'kconfig' : e.isFunc ? 'kfunc' : 'ksym',
      weak: e.isWeak,
      typed: e.type === 'ksym' ? e.ksymTypeId !== 0 : true,
    })),
    btf: btf
      ? {
          bytes: btf.rawData().length,
          types: btf.typeCount - 1,
          strings: btf.stringsSize,
          kinds: btf.kindCounts(),
          datasecs: btf.types
            .filter((t) => t.kind === BtfKind.DATASEC)
            .map((t) => ({
              name: btf.str(t.nameOff),
              size: t.sizeOrType,
              vars: Array.from({ length: t.vlen }, (_, i) => {
                const v = btf.type(secinfo(t, i).type);
                const n = btf.str(v.nameOff);
                return v.kind === BtfKind.VAR && varLinkage(v) === BTF_VAR_STATIC ? `${n} (static)` : n;
              }),
            })),
          ext: obj.btfExt
            ? {
                funcInfo: obj.btfExt.funcInfo.sections.reduce((a, s) => a + s.records.length, 0),
                lineInfo: obj.btfExt.lineInfo.sections.reduce((a, s) => a + s.records.length, 0),
                coreRelos: obj.btfExt.coreRelo.sections.flatMap((s) =>
                  s.records.map((r) => ({ section: s.secName, insn: r.insnOff / 8, kind: BPF_CORE_RELO_KINDS[new DataView(r.bytes.buffer, r.bytes.byteOffset).getUint32(12, true)] ?? 'unknown' })),
                ),
              }
            : null,
        }
      : null,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
}

export function formatInspect(r: InspectReport): string {
  const out: string[] = [];
  out.push(`${r.file}: object '${r.objectName}', license "${r.license}"${r.kernVersion ? `, kern_version 0x${r.kernVersion.toString(16)}` : ''}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  out.push('');
  out.push(`programs (${r.programs.filter((p) => !p.subprogram).length}, sub-programs ${r.programs.filter((p) => p.subprogram).length}):`);
  out.push(table([
    ['NAME', 'SECTION', 'TYPE', 'ATTACH TYPE', 'INSNS', 'FLAGS', 'RELOCATIONS'],
    ...r.programs.map((p) => [
      p.name, p.section, p.type, p.expectedAttachType ?? '-', String(p.insns),
      [p.sleepable ? 'sleepable' : '', p.autoload ? '' : 'no-autoload'].filter(Boolean).join(',') || '-',
      Object.entries(p.relocations).map(([k, n]) => `${k}×${n}`).join(' ') || '-',
    ]),
  ]));
  out.push('');
  out.push(`maps (${r.maps.length}):`);
  out.push(r.maps.length ? table([
    ['NAME', 'TYPE', 'KEY', 'VALUE', 'MAX', 'FLAGS', 'SECTION'],
    ...r.maps.map((m) => [m.name, m.type, String(m.keySize), String(m.valueSize), String(m.maxEntries), m.flagNames.join('|') || '0', m.section]),
  ]) : '  (none)');
  out.push('');
  out.push(`externs (${r.externs.length}):`);
  out.push(r.externs.length ? table([['NAME', 'KIND', 'WEAK', 'TYPED'], ...r.externs.map((e) => [e.name, e.kind, e.weak ? 'yes' : 'no', e.typed ? 'yes' : 'no'])]) : '  (none)');
  out.push('');
  const used = r.relocations.filter((x) => x.used);
  out.push(`relocations applied by libbpf (${used.length}):`);
  out.push(used.length ? table([
    ['SECTION', 'OFFSET', 'TYPE', 'SYMBOL'],
    ...used.map((x) => [x.section, `0x${x.offset.toString(16)}`, x.type, x.symbol]),
  ]) : '  (none)');
  const ignored = new Map<string, number>();
  for (const x of r.relocations) if (!x.used) ignored.set(x.section, (ignored.get(x.section) ?? 0) + 1);
  if (ignored.size) out.push(`  ignored by libbpf: ${[...ignored].map(([s, n]) => `${s} (${n})`).join(', ')}`);
  out.push('');
  if (!r.btf) out.push('BTF: none (no .BTF section)');
  else {
    out.push(`BTF: ${r.btf.bytes} bytes, ${r.btf.types} types, ${r.btf.strings} bytes of strings`);
    out.push(`  kinds: ${Object.entries(r.btf.kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const d of r.btf.datasecs) out.push(`  DATASEC ${d.name} (${d.size} bytes): ${d.vars.join(', ') || '-'}`);
    if (r.btf.ext) {
      out.push(`  .BTF.ext: ${r.btf.ext.funcInfo} func info, ${r.btf.ext.lineInfo} line info, ${r.btf.ext.coreRelos.length} CO-RE relocations`);
      for (const c of r.btf.ext.coreRelos) out.push(`    CO-RE ${c.kind} at ${c.section} insn ${c.insn}`);
    }
  }
  return out.join('\n');
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: SUMMARIES.inspect,
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError(positionals.length ? 'expected one object file' : 'missing OBJ.bpf.o');
    const file = positionals[0];
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch (e) {
      throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const r = readElf(bytes, { objectName: objectNameFromPath(file) });
    if (!r.ok) throw new InputError(`${file}: not a usable BPF object (${r.error.kind}): ${r.error.message}`);
    const report = inspectObject(r.value, file);
    io.out(values.json ? JSON.stringify(report, null, 2) : formatInspect(report));
    return 0;
  },
};
