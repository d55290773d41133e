// readElf(): libbpf's open-time view of an object, and clear errors for malformed input.
// spec: LSK-MK-3 (example objects), TC-BT77-4 (section names drive program types)

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { internalMapName } from '../../src/loader/elf/maps.js';
import { objectNameFromPath, readElf } from '../../src/loader/elf/read-object.js';
import { findSecDef } from '../../src/loader/elf/section-defs.js';
import { parseElfFile } from '../../src/loader/elf/elf-file.js';
import { genLoader } from '../../src/loader/gen-loader/gen-loader.js';
import { AttachType, MapFlag, MapType, ProgType } from '../../src/loader/uapi.js';
import { EXAMPLES, objectPath, openObject, TEST_OBJECTS } from './support.js';
import { HAS_SHARED, readFixture } from '../support/shared.js';

const bytesOf = (name: string) => new Uint8Array(readFileSync(objectPath(name)));

function expectError(bytes: Uint8Array, kind: string, message: RegExp): void {
  const r = readElf(bytes, { objectName: 'x' });
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error.kind).toBe(kind);
  expect(r.error.message).toMatch(message);
}

describe('object model', () => {
  it('hello: one tracepoint program, an ARRAY map and two global-data maps with libbpf names and flags', () => {
    const obj = openObject(objectPath('hello'));
    expect(obj.name).toBe('hello_bpf');
    expect(obj.license).toBe('GPL');
    expect(obj.programs.map((p) => [p.name, p.secName, p.type, p.secInsnCnt > 0])).toEqual([
      ['count_execve', 'tracepoint/syscalls/sys_enter_execve', ProgType.TRACEPOINT, true],
    ]);
    expect(obj.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.mapFlags])).toEqual([
      ['calls', MapType.ARRAY, 4, 8, 8, 0],
      ['hello_bp.rodata', MapType.ARRAY, 4, 4, 1, MapFlag.RDONLY_PROG],
      ['hello_bp.bss', MapType.ARRAY, 4, 4, 1, 0],
    ]);
    expect(obj.programs[0].relocs.map((r) => r.kind).sort()).toEqual(['data', 'data', 'ld64']);
  });

  it('subprog: .text functions are sub-programs, string literals make a .rodata.str1.1 map', () => {
    const obj = openObject(objectPath('subprog'));
    expect(obj.programs.map((p) => p.name)).toEqual(['weigh', 'bump', 'step', 'count_packets', 'on_sleep']); // .text by offset
    expect(obj.maps.map((m) => m.realName)).toEqual(['seen', '.data', '.rodata.str1.1', '.bss']);
    expect(obj.maps.find((m) => m.realName === '.rodata.str1.1')!.hasGlobalVars).toBe(false);
    const kinds = new Set(obj.programs.flatMap((p) => p.relocs.map((r) => r.kind)));
    expect([...kinds].sort()).toEqual(['call', 'data', 'ld64', 'subprog_addr']);
  });

  it('kfunc_core: kfuncs and a typed ksym become sorted externs; .ksyms BTF is rewritten (dummy_ksym)', () => {
    const obj = openObject(objectPath('kfunc_core'));
    expect(obj.externs.map((e) => [e.name, e.type, e.isFunc, e.ksymTypeId > 0])).toEqual([
      ['bpf_prog_active', 'ksym', false, true],
      ['bpf_task_acquire', 'ksym', true, true],
      ['bpf_task_release', 'ksym', true, true],
    ]);
    expect(obj.btf!.findByName('dummy_ksym')).toBeGreaterThan(0);
    expect(obj.programs[0].expectedAttachType).toBe(AttachType.TRACE_RAW_TP);
    expect(obj.btfExt!.coreRelo.sections.length).toBe(1);
  });

  it('every committed object opens', () => {
    for (const n of [...EXAMPLES, ...TEST_OBJECTS]) expect(readElf(bytesOf(n)).ok).toBe(true);
  });

  it('objectNameFromPath follows bpftool get_obj_name()', () => {
    expect(objectNameFromPath('/a/b/minimal.bpf.o')).toBe('minimal_bpf');
    expect(objectNameFromPath('x-y.o')).toBe('x_y');
  });
});

describe("libbpf's section-name table", () => {
  it('matches "type+" entries exactly or before a slash, "type/" by prefix, others exactly', () => {
    expect(findSecDef('tracepoint/syscalls/sys_enter_getpid')?.progType).toBe(ProgType.TRACEPOINT);
    expect(findSecDef('tracepoint')?.progType).toBe(ProgType.TRACEPOINT);
    expect(findSecDef('tracepointx')).toBeUndefined();
    expect(findSecDef('socket')?.progType).toBe(ProgType.SOCKET_FILTER);
    expect(findSecDef('socket/x')).toBeUndefined();
    expect(findSecDef('lsm.s/bpf')).toMatchObject({ progType: ProgType.LSM, expectedAttachType: AttachType.LSM_MAC, flags: 4 | 8 });
    expect(findSecDef('xdp.frags')).toMatchObject({ progType: ProgType.XDP, flags: 16 });
    expect(findSecDef('syscall')).toMatchObject({ progType: ProgType.SYSCALL, flags: 8 });
    expect(findSecDef('sk_reuseport/migrate')?.expectedAttachType).toBe(AttachType.SK_REUSEPORT_SELECT_OR_MIGRATE);
  });
});

describe('internal map names (libbpf internal_map_name)', () => {
  it('prefixes up to 8 characters of the object name to .data/.rodata/.bss', () => {
    expect(internalMapName('minimal_bpf', '.rodata')).toBe('minimal_.rodata');
    expect(internalMapName('minimal_bpf', '.bss')).toBe('minimal_.bss');
    expect(internalMapName('a', '.data')).toBe('a.data');
  });
  it('keeps custom dotted sections without prefix, truncated to 15 characters', () => {
    expect(internalMapName('multi_bpf', '.rodata.str1.1')).toBe('.rodata.str1.1');
    expect(internalMapName('obj', '.data.a_very_long_name')).toBe('.data.a_very_lo');
  });
});

describe('malformed input gives a LoaderError naming the problem', () => {
  const hello = () => bytesOf('hello');
  const sec = (b: Uint8Array, name: string) => parseElfFile(b).sections.find((s) => s.name === name)!;
  const shdrAt = (b: Uint8Array, idx: number) => Number(new DataView(b.buffer).getBigUint64(40, true)) + idx * 64;

  it('empty and non-ELF input', () => {
    expectError(new Uint8Array(0), 'elf', /too short for an ELF64 header/);
    expectError(new TextEncoder().encode('#!/bin/sh\n'.padEnd(80, ' ')), 'elf', /not an ELF file/);
  });
  it('wrong class, byte order, type or machine', () => {
    const b32 = hello(); b32[4] = 1;
    expectError(b32, 'elf', /not ELFCLASS64/);
    const be = hello(); be[5] = 2;
    expectError(be, 'elf', /big-endian/);
    const exe = hello(); exe[16] = 2;
    expectError(exe, 'elf', /not ET_REL/);
    const x86 = hello(); x86[18] = 62; x86[19] = 0;
    expectError(x86, 'elf', /e_machine 62 is not EM_BPF/);
  });
  it('section table and section data outside the file', () => {
    const b = hello();
    expectError(b.slice(0, b.length - 10), 'elf', /section header table .* runs past the end of the file/);
    const s = hello();
    const idx = sec(s, '.BTF').index;
    new DataView(s.buffer).setBigUint64(shdrAt(s, idx) + 32, 1n << 40n, true);
    expectError(s, 'elf', /section #\d+: data .* runs past the end of the file/);
    const n = hello();
    new DataView(n.buffer).setUint16(62, 200, true);
    expectError(n, 'elf', /e_shstrndx 200 is not a valid section index/);
  });
  it('missing symbol table', () => {
    const b = hello();
    const idx = sec(b, '.symtab').index;
    new DataView(b.buffer).setUint32(shdrAt(b, idx) + 4, 1, true); // SHT_PROGBITS
    expectError(b, 'elf', /couldn't find a symbol table/);
  });
  it('corrupt .BTF header', () => {
    const b = hello();
    b[sec(b, '.BTF').offset] = 0;
    expectError(b, 'btf', /\.BTF magic is 0x.*, expected 0xeb9f/);
  });
  it('relocation against an instruction that is neither a call nor ld_imm64', () => {
    const b = hello();
    const rel = sec(b, '.reltracepoint/syscalls/sys_enter_execve');
    new DataView(b.buffer).setBigUint64(rel.offset, 8n, true); // insn #1 is an ALU op
    expectError(b, 'relocation', /invalid relo against '.*' for insns\[1\]\.code 0x/);
  });
  it('a corrupt .BTF is fatal with a .maps section, otherwise libbpf warns and goes on without BTF', () => {
    const withMaps = hello();
    withMaps[sec(withMaps, '.BTF').offset + 1] = 0;
    expectError(withMaps, 'btf', /\.BTF magic/);
    const noMaps = bytesOf('cov_core');
    noMaps[sec(noMaps, '.BTF').offset + 1] = 0;
    const r = readElf(noMaps, { objectName: 'cov_core_bpf' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.btf).toBeUndefined();
    expect(r.value.btfExt).toBeUndefined();
    expect(r.value.warnings.join('\n')).toMatch(/Error loading ELF section \.BTF .*continuing without it/);
    expect(genLoader(r.value, { profile: 'bpftool-7.7' }).ok).toBe(true);
  });
  it('legacy "maps" section is refused as libbpf 1.x does', () => {
    const b = hello();
    const strtab = parseElfFile(b).sections[parseElfFile(b).shstrndx];
    const off = Buffer.from(b).indexOf(Buffer.from('.maps\0'), strtab.offset);
    b.set(new TextEncoder().encode('maps\0\0'), off);
    expectError(b, 'unsupported', /legacy map definitions in 'maps' section/);
  });
});

describe('mutation fuzz: readElf and genLoader never throw', () => {
  const seeds: Array<{ n: string; b: Uint8Array }> = [...EXAMPLES, ...TEST_OBJECTS].map((n) => ({ n, b: bytesOf(n) }));
  if (HAS_SHARED) for (const n of ['minimal', 'multi', 'kfunc']) seeds.push({ n, b: readFixture('bpf', n, `${n}.bpf.o`) });
  it(`returns a result for ${seeds.length * 60} truncated or corrupted objects`, () => {
    let state = 0x1234567;
    const rnd = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let oks = 0;
    let errs = 0;
    for (const { n, b } of seeds) {
      const secs = parseElfFile(b).sections.filter((s) => s.size > 0 && s.type !== 8);
      for (let k = 0; k < 60; k++) {
        let m: Uint8Array;
        if (k % 3 === 0) m = b.slice(0, Math.floor(rnd() * b.length));
        else {
          m = b.slice();
          const s = k % 3 === 1 ? secs[Math.floor(rnd() * secs.length)] : { offset: 0, size: 64 };
          for (let j = 0; j < 1 + Math.floor(rnd() * 4); j++) m[s.offset + Math.floor(rnd() * s.size)] = Math.floor(rnd() * 256);
        }
        const r = readElf(m, { objectName: n });
        if (!r.ok) {
          errs++;
          expect(r.error.message.length).toBeGreaterThan(0);
          expect(r.error.message).not.toMatch(/^malformed input: (undefined|null)/);
          continue;
        }
        const g = genLoader(r.value, { profile: 'bpftool-7.7' });
        if (g.ok) oks++;
        else errs++;
      }
    }
    expect(oks + errs).toBe(seeds.length * 60);
    expect(errs).toBeGreaterThan(0);
  });
});
