// The emulated kernel's vmlinux BTF: deterministic bytes, the types and functions light skeletons
// and the fixture objects need, the UAPI offsets, and loading a real vmlinux BTF file.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Btf, BtfKind, member, memberBitOffset, param, type BtfType } from '../../src/btf/btf.js';
import {
  builtinVmlinux, builtinVmlinuxBtf, KFUNCS, loadVmlinuxBtf, LSM_HOOKS, TRACED_FUNCS, TRACEPOINTS,
} from '../../src/syscall/kernel-btf/index.js';
import { PROG_LOAD } from '../../src/syscall/uapi/attr-layouts.js';
import { HAS_REAL_VMLINUX, hasTool, REAL_VMLINUX } from './support.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfsig-vmlinux-'));

/** Byte offset of a member reached by name, looking through anonymous members (like C). */
function offsetOf(btf: Btf, typeId: number, path: string): number | undefined {
  let id = btf.skipModsAndTypedefs(typeId);
  let off = 0;
  for (const name of path.split('.')) {
    const found = findMember(btf, btf.type(id), name);
    if (!found) return undefined;
    off += found.bitOff / 8;
    id = btf.skipModsAndTypedefs(found.type);
  }
  return off;
}

function findMember(btf: Btf, t: BtfType, name: string): { bitOff: number; type: number } | undefined {
  for (let i = 0; i < t.vlen; i++) {
    const m = member(t, i);
    const n = btf.str(m.nameOff);
    if (n === name) return { bitOff: memberBitOffset(t, i), type: m.type };
    if (!n) {
      const inner = findMember(btf, btf.type(btf.skipModsAndTypedefs(m.type)), name);
      if (inner) return { bitOff: memberBitOffset(t, i) + inner.bitOff, type: inner.type };
    }
  }
  return undefined;
}

const structId = (btf: Btf, name: string, kind: number = BtfKind.STRUCT) => btf.findByNameKind(name, kind);

describe('built-in vmlinux BTF', () => {
  const btf = builtinVmlinux();

  it('is deterministic: the same bytes on every build, and a copy each call', () => {
    const a = builtinVmlinuxBtf();
    const b = builtinVmlinuxBtf();
    expect(a).not.toBe(b);
    expect(createHash('sha256').update(a).digest('hex')).toBe(createHash('sha256').update(b).digest('hex'));
    expect(Btf.parse(a).typeCount).toBe(btf.typeCount);
  });

  it('has the base types with pahole names', () => {
    for (const n of ['char', 'int', 'unsigned int', 'long int', 'long unsigned int', 'long long unsigned int', '_Bool']) {
      expect(btf.findByNameKind(n, BtfKind.INT), n).toBeGreaterThan(0);
    }
    for (const n of ['u8', 'u32', 'u64', '__u32', '__u64', 's32', 'pid_t', 'size_t', 'bool']) {
      expect(btf.findByNameKind(n, BtfKind.TYPEDEF), n).toBeGreaterThan(0);
    }
  });

  it('struct task_struct: pid, tgid, real_parent, comm at the offsets OBSERVED on 6.18.44', () => {
    const id = structId(btf, 'task_struct');
    expect(btf.type(id).sizeOrType).toBe(3264);
    expect(offsetOf(btf, id, 'pid')).toBe(1264);
    expect(offsetOf(btf, id, 'tgid')).toBe(1268);
    expect(offsetOf(btf, id, 'real_parent')).toBe(1280);
    expect(offsetOf(btf, id, 'comm')).toBe(1752);
    expect(offsetOf(btf, id, 'cred')).toBe(1736);
    expect(btf.resolveSize(btf.findByNameKind('pid_t', BtfKind.TYPEDEF))).toBe(4);
  });

  it('[MHASH-8] struct bpf_map starts with u8 sha[32], then ops at 32', () => {
    const id = structId(btf, 'bpf_map');
    const t = btf.type(id);
    expect(btf.str(member(t, 0).nameOff)).toBe('sha');
    expect(btf.resolveSize(member(t, 0).type)).toBe(32);
    expect(offsetOf(btf, id, 'ops')).toBe(32);
    expect(offsetOf(btf, id, 'excl')).toBeUndefined();
  });

  it('[MHASH-9] bpfMapExcl: u32 excl at 32 and ops at 40, as OBSERVED on 6.18.44', () => {
    const b2 = builtinVmlinux({ bpfMapExcl: true });
    const id = structId(b2, 'bpf_map');
    expect(offsetOf(b2, id, 'excl')).toBe(32);
    expect(offsetOf(b2, id, 'ops')).toBe(40);
    expect(offsetOf(b2, id, 'frozen')).toBe(257);
    expect(b2.type(id).sizeOrType).toBe(296);
  });

  it('[UAPI-LAYOUT-3] union bpf_attr: the v6.18 PROG_LOAD members at the UAPI offsets', () => {
    const id = structId(btf, 'bpf_attr', BtfKind.UNION);
    expect(btf.type(id).sizeOrType).toBe(168);
    for (const f of ['signature', 'signature_size', 'keyring_id', 'prog_btf_fd', 'core_relos', 'fd_array_cnt', 'attach_btf_obj_fd']) {
      const want = f === 'attach_btf_obj_fd' ? 112 : PROG_LOAD.byName.get(f)!.offset;
      expect(offsetOf(btf, id, f), f).toBe(want);
    }
    expect(offsetOf(btf, id, 'test.ctx_in')).toBe(48);
    expect(offsetOf(btf, id, 'info.info_len')).toBe(4);
    expect(offsetOf(btf, id, 'excl_prog_hash')).toBe(80);
    expect(offsetOf(btf, id, 'signature_maps')).toBeUndefined();
  });

  it('[UAPI-LAYOUT-3] a v6.17 vmlinux (no signing UAPI) has no signature member; hashchain-v2 adds signature_maps', () => {
    const v617 = builtinVmlinux({ uapiFeatures: [] });
    const id = structId(v617, 'bpf_attr', BtfKind.UNION);
    expect(offsetOf(v617, id, 'signature')).toBeUndefined();
    expect(offsetOf(v617, id, 'fd_array_cnt')).toBe(148);
    expect(v617.type(id).sizeOrType).toBe(152);
    const hc = builtinVmlinux({ uapiFeatures: ['signing-6.18', 'hashchain-v2'] });
    expect(offsetOf(hc, structId(hc, 'bpf_attr', BtfKind.UNION), 'signature_maps_size')).toBe(176);
  });

  it('[LSK-HELP-1] the kfuncs are FUNCs with a FUNC_PROTO', () => {
    expect(KFUNCS.length).toBeGreaterThanOrEqual(20);
    for (const name of ['bpf_task_acquire', 'bpf_task_release', 'bpf_rcu_read_lock', 'bpf_obj_new_impl', 'bpf_cgroup_acquire']) {
      const id = btf.findByNameKind(name, BtfKind.FUNC);
      expect(id, name).toBeGreaterThan(0);
      expect(btf.type(btf.type(id).sizeOrType).kind).toBe(BtfKind.FUNC_PROTO);
    }
    const acq = btf.type(btf.type(btf.findByNameKind('bpf_task_acquire', BtfKind.FUNC)).sizeOrType);
    expect(acq.vlen).toBe(1);
    expect(btf.str(param(acq, 0).nameOff)).toBe('p');
    const ret = btf.type(acq.sizeOrType);
    expect([ret.kind, btf.str(btf.type(ret.sizeOrType).nameOff)]).toEqual([BtfKind.PTR, 'task_struct']);
    expect(btf.type(btf.findByNameKind('bpf_task_release', BtfKind.FUNC)).vlen).toBe(0); // static linkage, as pahole writes
  });

  it('tp_btf targets: btf_trace_<tp> is a typedef of a pointer to void (void *, args...)', () => {
    for (const tp of ['task_newtask', 'sched_switch', 'sys_enter', 'sched_process_fork', 'sched_process_exec']) {
      const id = btf.findByNameKind(`btf_trace_${tp}`, BtfKind.TYPEDEF);
      expect(id, tp).toBeGreaterThan(0);
      const ptr = btf.type(btf.type(id).sizeOrType);
      expect(ptr.kind).toBe(BtfKind.PTR);
      const proto = btf.type(ptr.sizeOrType);
      expect(proto.kind).toBe(BtfKind.FUNC_PROTO);
      expect(proto.sizeOrType).toBe(0);
      const first = btf.type(param(proto, 0).type);
      expect([first.kind, first.sizeOrType, param(proto, 0).nameOff]).toEqual([BtfKind.PTR, 0, 0]);
    }
    const nt = btf.type(btf.type(btf.type(btf.findByNameKind('btf_trace_task_newtask', BtfKind.TYPEDEF)).sizeOrType).sizeOrType);
    expect(nt.vlen).toBe(3);
    expect(TRACEPOINTS.length).toBe(13);
  });

  it('[LSM-BPF-2] bpf_lsm_<hook> FUNCs for every BPF hook of LSM-HOOK-1 and common hooks', () => {
    const hooks = ['bpf', 'bpf_map', 'bpf_prog', 'bpf_map_create', 'bpf_map_free', 'bpf_prog_load', 'bpf_prog_free',
      'bpf_token_create', 'bpf_token_free', 'bpf_token_cmd', 'bpf_token_capable', 'file_open', 'task_alloc', 'bprm_check_security'];
    for (const h of hooks) expect(btf.findByNameKind(`bpf_lsm_${h}`, BtfKind.FUNC), h).toBeGreaterThan(0);
    const load = btf.type(btf.type(btf.findByNameKind('bpf_lsm_bpf_prog_load', BtfKind.FUNC)).sizeOrType);
    expect(Array.from({ length: load.vlen }, (_, i) => btf.str(param(load, i).nameOff))).toEqual(['prog', 'attr', 'token', 'kernel']);
    const funcs = [];
    for (let i = 1; i < btf.typeCount; i++) if (btf.type(i).kind === BtfKind.FUNC && btf.name(btf.type(i)).startsWith('bpf_lsm_')) funcs.push(i);
    expect(funcs.length).toBe(LSM_HOOKS.length);
  });

  it('per-CPU variables sit in a .data..percpu DATASEC (typed ksyms)', () => {
    const v = btf.findByNameKind('bpf_prog_active', BtfKind.VAR);
    expect(v).toBeGreaterThan(0);
    const ds = btf.type(btf.findByNameKind('.data..percpu', BtfKind.DATASEC));
    expect(ds.extra[0]).toBe(v);
  });

  it.skipIf(!hasTool('bpftool') || !hasTool('gcc'))(
    'bpftool turns it into a vmlinux.h that gcc compiles, with the same offsets [skipped without bpftool or gcc]',
    () => {
      const file = join(tmp, 'vmlinux.btf');
      writeFileSync(file, builtinVmlinuxBtf());
      const h = execFileSync('bpftool', ['btf', 'dump', 'file', file, 'format', 'c'], { encoding: 'utf8', maxBuffer: 1 << 24 });
      writeFileSync(join(tmp, 'vmlinux.h'), h);
      writeFileSync(join(tmp, 'chk.c'), [
        '#include "vmlinux.h"', '#include <stddef.h>', '#include <stdio.h>',
        'int main(void) { printf("%zu %zu %zu %zu %zu %zu %zu\\n", offsetof(struct task_struct, tgid), sizeof(struct task_struct),',
        '  sizeof(union bpf_attr), offsetof(union bpf_attr, signature), offsetof(union bpf_attr, keyring_id),',
        '  offsetof(struct bpf_map, ops), offsetof(struct file, f_path)); return 0; }', '',
      ].join('\n'));
      execFileSync('gcc', ['-w', '-o', join(tmp, 'chk'), join(tmp, 'chk.c')]);
      expect(execFileSync(join(tmp, 'chk'), { encoding: 'utf8' }).trim()).toBe('1268 3264 168 152 164 32 64');
    },
  );
});

describe('loadVmlinuxBtf', () => {
  it.skipIf(!HAS_REAL_VMLINUX)('reads /sys/kernel/btf/vmlinux [skipped without /sys/kernel/btf/vmlinux]', () => {
    const r = loadVmlinuxBtf(REAL_VMLINUX);
    if (!(r instanceof Uint8Array)) throw new Error(r.error);
    const btf = Btf.parse(r);
    expect(btf.findByNameKind('task_struct', BtfKind.STRUCT)).toBeGreaterThan(0);
    expect(btf.findByNameKind('bpf_lsm_bpf_prog_load', BtfKind.FUNC)).toBeGreaterThan(0);
  });

  it.skipIf(!HAS_REAL_VMLINUX || !release().startsWith('6.18.'))(
    '[LSM-HOOK-1] our hook, kfunc and tracepoint signatures match the running 6.18 kernel [skipped unless a 6.18 vmlinux BTF is present]',
    () => {
      const real = Btf.parse(loadVmlinuxBtf(REAL_VMLINUX) as Uint8Array);
      const ours = builtinVmlinux();
      const shape = (b: Btf, proto: BtfType): string[] => Array.from({ length: proto.vlen }, (_, i) => `${b.str(param(proto, i).nameOff)}:${b.type(b.skipModsAndTypedefs(param(proto, i).type)).kind}`);
      const names = [...LSM_HOOKS.map((s) => `bpf_lsm_${/\b(\w+)\(/.exec(s)![1]}`), ...[...KFUNCS, ...TRACED_FUNCS].map((s) => /\b(\w+)\(/.exec(s)![1])];
      for (const n of names) {
        const r = real.findByNameKind(n, BtfKind.FUNC);
        expect(r, n).toBeGreaterThan(0);
        const o = ours.findByNameKind(n, BtfKind.FUNC);
        expect(shape(ours, ours.type(ours.type(o).sizeOrType)), n).toEqual(shape(real, real.type(real.type(r).sizeOrType)));
      }
      const tpProto = (b: Btf, tp: string) => b.type(b.type(b.type(b.findByNameKind(`btf_trace_${tp}`, BtfKind.TYPEDEF)).sizeOrType).sizeOrType);
      for (const s of TRACEPOINTS) {
        const tp = /\b(\w+)\(/.exec(s)![1];
        expect(shape(ours, tpProto(ours, tp)), tp).toEqual(shape(real, tpProto(real, tp)));
      }
    },
  );

  it('gives a clear error for a missing file, a directory, an ELF image, a short file, bad magic and bad BTF', () => {
    const err = (p: string) => {
      const r = loadVmlinuxBtf(p);
      return r instanceof Uint8Array ? '' : r.error;
    };
    expect(err(join(tmp, 'nope'))).toMatch(/cannot read .*nope: no such file/);
    expect(err(tmp)).toMatch(/is a directory/);
    const elf = join(tmp, 'vmlinux.elf');
    writeFileSync(elf, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(56).fill(0)]));
    expect(err(elf)).toMatch(/is an ELF file; give raw BTF .*objcopy -O binary --only-section=\.BTF/);
    const short = join(tmp, 'short');
    writeFileSync(short, Buffer.from([0x9f, 0xeb, 1, 0]));
    expect(err(short)).toMatch(/4 bytes, too short/);
    const be = join(tmp, 'be');
    writeFileSync(be, Buffer.concat([Buffer.from([0xeb, 0x9f]), Buffer.alloc(30)]));
    expect(err(be)).toMatch(/magic 0x9feb, expected 0xeb9f \(this is big-endian BTF/);
    const bad = join(tmp, 'bad');
    const good = builtinVmlinuxBtf();
    good[8] = 1; // type_off no longer 4-aligned
    writeFileSync(bad, good);
    expect(err(bad)).toMatch(/bad BTF: \.BTF type_off 1 is not 4-byte aligned/);
  });

  it('accepts the built-in BTF written to a file (a round trip)', () => {
    const f = join(tmp, 'builtin.btf');
    writeFileSync(f, builtinVmlinuxBtf());
    const r = loadVmlinuxBtf(f);
    expect(r instanceof Uint8Array && Buffer.compare(Buffer.from(r), Buffer.from(builtinVmlinuxBtf()))).toBe(0);
  });
});
