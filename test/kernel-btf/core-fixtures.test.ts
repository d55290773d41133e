// CO-RE relocations of real clang-built objects, resolved against the built-in vmlinux (and the
// machine's own vmlinux BTF when present), with libbpf as the judge: bpftool's `gen min_core_btf`
// runs libbpf's relocation logic on the same object and target BTF and keeps exactly the members
// it matched, so their offsets must equal ours.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Btf, BtfKind, BTF_INT_SIGNED, member, memberBitOffset } from '../../src/btf/btf.js';
import { BtfBuilder } from '../../src/btf/builder.js';
import {
  bpfCoreApply, builtinVmlinux, builtinVmlinuxBtf, CORE_POISON_IMM, CoreCandCache, loadVmlinuxBtf, type CoreReloResult,
} from '../../src/syscall/kernel-btf/index.js';
import { describeShared, fixturePath } from '../support/shared.js';
import { HAS_REAL_VMLINUX, hasTool, insnAt, kernelProgs, openBytes, REAL_VMLINUX } from './support.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfsig-core-'));
const HAS_BPFTOOL = hasTool('bpftool');

const fixture = (name: string) => new Uint8Array(readFileSync(fixturePath(`bpf/${name}/${name}.bpf.o`)));
const repoObject = (path: string) => new Uint8Array(readFileSync(new URL(`../../${path}`, import.meta.url)));

function applyAll(bytes: Uint8Array, target: Btf) {
  return kernelProgs(openBytes(bytes)).map((kp) => {
    const lines: string[] = [];
    const r = bpfCoreApply(kp.btf, target, kp.lp.insns, kp.relos, (s) => lines.push(s), { cache: new CoreCandCache() });
    if (!('insns' in r)) throw new Error(`${kp.lp.prog.name}: ${r.message}`);
    return { name: kp.lp.prog.name, before: kp.lp.insns, insns: r.insns, results: r.results, log: lines.join('') };
  });
}

/** Byte offset of `root.path` (a struct or union) in `btf`, through anonymous members. */
function offsetIn(btf: Btf, root: string, path: string[]): number | undefined {
  let id = btf.findByNameKind(root, BtfKind.STRUCT);
  if (id < 0) id = btf.findByNameKind(root, BtfKind.UNION);
  if (id < 0) return undefined;
  let off = 0;
  for (const name of path) {
    const hit = walk(btf, id, name);
    if (!hit) return undefined;
    off += hit.bit / 8;
    id = btf.skipModsAndTypedefs(hit.type);
  }
  return off;
}

function walk(btf: Btf, id: number, name: string): { bit: number; type: number } | undefined {
  const t = btf.type(btf.skipModsAndTypedefs(id));
  for (let i = 0; i < t.vlen; i++) {
    const m = member(t, i);
    const n = btf.str(m.nameOff);
    if (n === name) return { bit: memberBitOffset(t, i), type: m.type };
    if (!n && (btf.type(btf.skipModsAndTypedefs(m.type)).kind === BtfKind.STRUCT || btf.type(btf.skipModsAndTypedefs(m.type)).kind === BtfKind.UNION)) {
      const inner = walk(btf, m.type, name);
      if (inner) return { bit: memberBitOffset(t, i) + inner.bit, type: inner.type };
    }
  }
  return undefined;
}

/** `<byte_off> [122] STRUCT task_struct.tgid (0:20 @ offset 1268)` → ['task_struct', ['tgid']]. */
function targetField(r: CoreReloResult): [string, string[]] {
  const m = /\] (?:STRUCT|UNION) (\w+)((?:\.\w+)*) \(/.exec(r.targetSpec ?? '');
  if (!m) throw new Error(`no target field in ${r.targetSpec}`);
  return [m[1], m[2].split('.').filter(Boolean)];
}

/** Runs libbpf (bpftool gen min_core_btf) for `object` against `targetBtfFile`. */
function libbpfMinBtf(object: Uint8Array, targetBtfFile: string, tag: string): Btf {
  const obj = join(tmp, `${tag}.bpf.o`);
  const out = join(tmp, `${tag}.min.btf`);
  writeFileSync(obj, object);
  execFileSync('bpftool', ['gen', 'min_core_btf', targetBtfFile, out, obj], { stdio: 'pipe' });
  return Btf.parse(new Uint8Array(readFileSync(out)));
}

function expectLibbpfAgrees(object: Uint8Array, target: Btf, targetFile: string, tag: string): number {
  const min = libbpfMinBtf(object, targetFile, tag);
  let checked = 0;
  for (const p of applyAll(object, target)) {
    for (const r of p.results) {
      if (r.kindName !== 'byte_off' || r.outcome !== 'patched') continue;
      const [root, path] = targetField(r);
      expect(offsetIn(min, root, path), `${p.name} relo #${r.index} ${root}.${path.join('.')}`).toBe(Number(r.newVal));
      checked++;
    }
  }
  return checked;
}

describeShared('CO-RE relocations of the fixture objects', () => {
  it('[LSK-PROG-6] kfunc: BPF_CORE_READ(t, tgid) and (t, real_parent) resolve against the built-in vmlinux', () => {
    const [p] = applyAll(fixture('kfunc'), builtinVmlinux());
    const ts = builtinVmlinux().findByNameKind('task_struct', BtfKind.STRUCT);
    expect(p.results.map((r) => [r.insnIdx, r.kindName, r.origVal, r.newVal, r.outcome, r.candidates])).toEqual([
      [5, 'byte_off', 4n, 1268n, 'patched', [ts]],
      [16, 'byte_off', 8n, 1280n, 'patched', [ts]],
    ]);
    // r7 = 4 and r1 = 8 become the target offsets; nothing else changes
    expect(insnAt(p.insns, 5)).toMatchObject({ code: 0xb7, dst: 7, imm: 1268 });
    expect(insnAt(p.insns, 16)).toMatchObject({ code: 0xb7, dst: 1, imm: 1280 });
    const changed = [];
    for (let i = 0; i < p.insns.length; i++) if (p.insns[i] !== p.before[i]) changed.push(i >> 3);
    expect([...new Set(changed)]).toEqual([5, 16]);
    expect(p.log).toContain(`CO-RE relocating STRUCT task_struct: found target candidate [${ts}]\n`);
  });

  it('[LSM-BPF-6] lsm_deny_unsigned: attr->signature resolves to offset 152 (anonymous PROG_LOAD struct of union bpf_attr)', () => {
    const [p] = applyAll(fixture('lsm_deny_unsigned'), builtinVmlinux());
    expect(p.results).toHaveLength(1);
    expect(p.results[0]).toMatchObject({ insnIdx: 9, kindName: 'byte_off', origVal: 152n, newVal: 152n, outcome: 'patched' });
    expect(p.results[0].targetSpec).toMatch(/UNION bpf_attr\.signature \(0:3:28 @ offset 152\)$/);
    expect(insnAt(p.insns, 9)).toMatchObject({ code: 0x79, off: 152 });
  });

  it('[LSM-BPF-6] lsm_deny_unsigned on a v6.17 vmlinux (no signature in bpf_attr): the read is poisoned', () => {
    const [p] = applyAll(fixture('lsm_deny_unsigned'), builtinVmlinux({ uapiFeatures: [] }));
    expect(p.results[0].outcome).toBe('poisoned');
    expect(insnAt(p.insns, 9)).toEqual({ code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
    expect(p.log).toContain("prog '': relo #0: no matching targets found\n");
  });

  it('multi has no CO-RE relocations: nothing to apply', () => {
    for (const p of applyAll(fixture('multi'), builtinVmlinux())) {
      expect(p.results).toEqual([]);
      expect(Buffer.compare(Buffer.from(p.insns), Buffer.from(p.before))).toBe(0);
    }
  });

  it.skipIf(!HAS_BPFTOOL)('libbpf (bpftool gen min_core_btf) picks the same target members for kfunc and lsm_deny_unsigned [skipped without bpftool]', () => {
    const file = join(tmp, 'builtin.btf');
    writeFileSync(file, builtinVmlinuxBtf());
    expect(expectLibbpfAgrees(fixture('kfunc'), builtinVmlinux(), file, 'kfunc')).toBe(2);
    expect(expectLibbpfAgrees(fixture('lsm_deny_unsigned'), builtinVmlinux(), file, 'lsm')).toBe(1);
  });

  it.skipIf(!HAS_REAL_VMLINUX || !HAS_BPFTOOL)(
    'against this machine\'s vmlinux BTF the offsets are the ones libbpf finds there [skipped without /sys/kernel/btf/vmlinux or bpftool]',
    () => {
      const real = Btf.parse(loadVmlinuxBtf(REAL_VMLINUX) as Uint8Array);
      expect(expectLibbpfAgrees(fixture('kfunc'), real, REAL_VMLINUX, 'kfunc-real')).toBe(2);
      expect(expectLibbpfAgrees(fixture('lsm_deny_unsigned'), real, REAL_VMLINUX, 'lsm-real')).toBe(1);
    },
  );
});

describe('CO-RE relocations of repository test objects', () => {
  it('cov_core: byte_off, field_exists and type_size in programs with shared sub-programs', () => {
    const progs = applyAll(repoObject('test/loader/bpf/cov_core.bpf.o'), builtinVmlinux());
    const ka = progs.find((p) => p.name === 'ka')!;
    const kinds = ka.results.map((r) => `${r.kindName}=${r.newVal}`).sort();
    // ka's own type_size, and once each the appended sub-programs ptgid (parent, tgid, comm exists) and gsub (pid)
    expect(kinds).toEqual(['byte_off=1264', 'byte_off=1268', 'byte_off=1288', 'field_exists=1', 'type_size=3264']);
    expect(ka.results.every((r) => r.outcome === 'patched' && r.err === 0)).toBe(true);
    expect(progs.map((p) => p.name).sort()).toEqual(['ka', 'kc']);
  });

  it.skipIf(!HAS_BPFTOOL)('libbpf agrees on cov_core and the kfunc_core example [skipped without bpftool]', () => {
    const file = join(tmp, 'builtin2.btf');
    writeFileSync(file, builtinVmlinuxBtf());
    expect(expectLibbpfAgrees(repoObject('test/loader/bpf/cov_core.bpf.o'), builtinVmlinux(), file, 'cov_core')).toBeGreaterThanOrEqual(4);
    expect(expectLibbpfAgrees(repoObject('examples/bpf/kfunc_core.bpf.o'), builtinVmlinux(), file, 'kfunc_core')).toBe(2);
  });

  it('a vmlinux without task_struct: field reads are poisoned, field_exists and type_size become 0', () => {
    const b = new BtfBuilder();
    b.int('int', 4, BTF_INT_SIGNED);
    const bare = Btf.parse(b.build());
    const ka = applyAll(repoObject('test/loader/bpf/cov_core.bpf.o'), bare).find((p) => p.name === 'ka')!;
    const got = ka.results.map((r) => `${r.kindName}:${r.outcome}:${r.newVal}`).sort();
    expect(got).toEqual(['byte_off:poisoned:0', 'byte_off:poisoned:0', 'byte_off:poisoned:0', 'field_exists:patched:0', 'type_size:patched:0']);
    for (const r of ka.results.filter((x) => x.outcome === 'poisoned')) expect(insnAt(ka.insns, r.insnIdx).imm).toBe(CORE_POISON_IMM);
    expect(ka.results.every((r) => r.candidates.length === 0)).toBe(true);
  });
});
