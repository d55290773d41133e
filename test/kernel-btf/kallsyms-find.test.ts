// kallsyms (name → address) and bpf_btf_find_by_name_kind (helper 167) over the built-in vmlinux.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BtfKind } from '../../src/btf/btf.js';
import { Errno } from '../../src/syscall/errno.js';
import {
  builtinVmlinux, btfFindByNameKind, Kallsyms, kernelBtfFindByNameKind, KERNEL_TEXT_BASE, KFUNCS, LSM_HOOKS,
} from '../../src/syscall/kernel-btf/index.js';
import { describeShared, fixturePath } from '../support/shared.js';
import { openBytes } from './support.js';

const vmlinux = builtinVmlinux();
const cstr = (s: string) => new Uint8Array([...Buffer.from(s, 'utf8'), 0]);
const find = (name: string | Uint8Array, kind: number | bigint, flags: number | bigint = 0) =>
  btfFindByNameKind(vmlinux, typeof name === 'string' ? cstr(name) : name, kind, flags);

describe('Kallsyms', () => {
  const ks = Kallsyms.builtin();

  it('[LSK-HELP-1] resolves kfuncs, bpf_lsm_* hooks and common symbols to kernel text addresses', () => {
    for (const name of ['bpf_task_acquire', 'bpf_task_release', 'bpf_lsm_bpf_prog_load', 'bpf_lsm_file_open', 'do_sys_openat2', '_stext', '__sys_bpf']) {
      const a = ks.lookup(name);
      expect(a, name).toBeDefined();
      expect(a! >= KERNEL_TEXT_BASE && a! < 0xffff_ffff_8200_0000n, name).toBe(true);
    }
    expect(ks.lookup('_text')).toBe(0xffff_ffff_8100_0000n);
    expect(ks.lookup('_stext')).toBe(0xffff_ffff_8100_0000n);
    expect(ks.lookup('init_task')! >= 0xffff_ffff_8280_0000n).toBe(true);
    expect(ks.lookup('bpf_link_fops')! >= 0xffff_ffff_8200_0000n).toBe(true);
  });

  it('[LSM-BPF-2] every function has its 16-byte __pfx_ symbol, so each bpf_lsm hook gives two bpf_lsm names', () => {
    const names = ks.symbols().map(([n]) => n);
    expect(ks.lookup('__pfx_bpf_task_acquire')).toBe(ks.lookup('bpf_task_acquire')! - 16n);
    expect(names.filter((n) => /^(__pfx_)?bpf_lsm_/.test(n))).toHaveLength(2 * LSM_HOOKS.length);
  });

  it('without CONFIG_KALLSYMS_ALL (as on the observed 6.18.44 kernel) only text symbols are listed', () => {
    const text = Kallsyms.builtin({ kallsymsAll: false });
    expect(text.lookup('init_task')).toBeUndefined();
    expect(text.lookup('bpf_prog_active')).toBeUndefined();
    expect(text.lookup('bpf_task_acquire')).toBe(ks.lookup('bpf_task_acquire'));
  });

  it('unknown names have no address (kallsyms_lookup_name returns 0)', () => {
    expect(ks.lookup('no_such_symbol')).toBeUndefined();
    expect(ks.lookup('')).toBeUndefined();
  });

  it('is deterministic, sorted by address, with distinct text addresses', () => {
    const a = Kallsyms.builtin().symbols();
    const b = Kallsyms.builtin().symbols();
    expect(a).toEqual(b);
    for (let i = 1; i < a.length; i++) expect(a[i][1] >= a[i - 1][1]).toBe(true);
    const text = a.filter(([n, addr]) => addr >= KERNEL_TEXT_BASE && !['_text', '_stext', '_etext'].includes(n) && addr < 0xffff_ffff_8200_0000n);
    expect(new Set(text.map(([, addr]) => addr)).size).toBe(text.length);
    for (const [, addr] of text) expect(addr % 16n).toBe(0n);
    expect(text.length).toBeGreaterThanOrEqual(KFUNCS.length + LSM_HOOKS.length);
  });

  it('formats as /proc/kallsyms and symbolizes addresses', () => {
    const lines = ks.format().trimEnd().split('\n');
    expect(lines).toContain(`${ks.lookup('bpf_task_acquire')!.toString(16)} T bpf_task_acquire`);
    expect(lines.every((l) => /^[0-9a-f]{16} [TtRDBA] \S+$/.test(l))).toBe(true);
    expect(lines).toContain(`${ks.lookup('do_sys_openat2')!.toString(16)} t do_sys_openat2`);
    expect(lines.some((l) => / A bpf_prog_active$/.test(l))).toBe(true);
    const a = ks.lookup('bpf_lsm_file_open')!;
    expect(ks.symbolize(a + 5n)).toEqual({ name: 'bpf_lsm_file_open', offset: 5n });
  });
});

describe('bpf_btf_find_by_name_kind', () => {
  it('[LSK-HELP-1] returns the vmlinux type id (btf_obj_fd 0 in the high half) for kfuncs, attach targets and typed ksyms', () => {
    const id = find('bpf_task_acquire', BtfKind.FUNC);
    expect(id).toBe(BigInt(vmlinux.findByNameKind('bpf_task_acquire', BtfKind.FUNC)));
    expect(id > 0n && id >> 32n === 0n).toBe(true);
    expect(find('btf_trace_task_newtask', BtfKind.TYPEDEF)).toBe(BigInt(vmlinux.findByNameKind('btf_trace_task_newtask', BtfKind.TYPEDEF)));
    expect(find('bpf_lsm_bpf_prog_load', BtfKind.FUNC)).toBeGreaterThan(0n);
    expect(find('bpf_prog_active', BtfKind.VAR)).toBeGreaterThan(0n);
  });

  it('[LSK-HELP-1] flags must be 0 (as an int): -EINVAL, checked before the name', () => {
    expect(find('bpf_task_acquire', BtfKind.FUNC, 1)).toBe(BigInt(-Errno.EINVAL));
    expect(find(new Uint8Array([0x61]), BtfKind.FUNC, 1)).toBe(BigInt(-Errno.EINVAL));
    // only the low 32 bits of r4 reach the int parameter
    expect(find('bpf_task_acquire', BtfKind.FUNC, 1n << 32n)).toBeGreaterThan(0n);
  });

  it('[LSK-HELP-1] name_sz must be > 1 with a NUL in the last byte: -EINVAL', () => {
    expect(find(new Uint8Array([]), BtfKind.FUNC)).toBe(BigInt(-Errno.EINVAL));
    expect(find(new Uint8Array([0]), BtfKind.FUNC)).toBe(BigInt(-Errno.EINVAL));
    expect(find(Buffer.from('bpf_task_acquire'), BtfKind.FUNC)).toBe(BigInt(-Errno.EINVAL));
  });

  it('compares C strings: the name ends at its first NUL', () => {
    const name = new Uint8Array([...Buffer.from('bpf_task_release'), 0, 0x78, 0x79, 0]);
    expect(find(name, BtfKind.FUNC)).toBe(BigInt(vmlinux.findByNameKind('bpf_task_release', BtfKind.FUNC)));
  });

  it('absent name or wrong kind: -ENOENT; there is no kind range check, the kind is a u8', () => {
    expect(find('no_such_kfunc', BtfKind.FUNC)).toBe(BigInt(-Errno.ENOENT));
    expect(find('bpf_task_acquire', BtfKind.VAR)).toBe(BigInt(-Errno.ENOENT));
    expect(find('bpf_task_acquire', 99)).toBe(BigInt(-Errno.ENOENT));
    expect(find('bpf_task_acquire', 0x100 + BtfKind.FUNC)).toBe(find('bpf_task_acquire', BtfKind.FUNC));
    expect(find('void', BtfKind.UNKN)).toBe(BigInt(-Errno.ENOENT));
    expect(find(new Uint8Array([0xff, 0xfe, 0]), BtfKind.FUNC)).toBe(BigInt(-Errno.ENOENT));
  });

  it('an empty name finds the first anonymous type of that kind (strcmp("", ""))', () => {
    expect(find(new Uint8Array([0, 0]), BtfKind.PTR)).toBe(BigInt(kernelBtfFindByNameKind(vmlinux, '', BtfKind.PTR)));
    expect(find(new Uint8Array([0, 0]), BtfKind.PTR)).toBeGreaterThan(0n);
  });

  it('a kernel without vmlinux BTF: -EINVAL', () => {
    expect(btfFindByNameKind(undefined, cstr('bpf_task_acquire'), BtfKind.FUNC, 0)).toBe(BigInt(-Errno.EINVAL));
  });
});

describeShared('bpf_btf_find_by_name_kind on the fixture objects', () => {
  it('[LSK-HELP-1] every kfunc and attach target the kfunc and lsm_deny_unsigned loaders look up resolves', () => {
    const kf = openBytes(new Uint8Array(readFileSync(fixturePath('bpf/kfunc/kfunc.bpf.o'))), 'kfunc');
    for (const ext of kf.externs.filter((e) => e.type === 'ksym' && e.isFunc)) {
      expect(find(ext.name, BtfKind.FUNC), ext.name).toBeGreaterThan(0n);
    }
    expect(kf.externs.filter((e) => e.isFunc).map((e) => e.name).sort()).toEqual(['bpf_task_acquire', 'bpf_task_release']);
    const tp = kf.programs.find((p) => p.secName.startsWith('tp_btf/'))!;
    expect(find(`btf_trace_${tp.secName.slice('tp_btf/'.length)}`, BtfKind.TYPEDEF)).toBeGreaterThan(0n);
    const lsm = openBytes(new Uint8Array(readFileSync(fixturePath('bpf/lsm_deny_unsigned/lsm_deny_unsigned.bpf.o'))), 'lsm');
    const hook = lsm.programs.find((p) => p.secName.startsWith('lsm/'))!.secName.slice('lsm/'.length);
    expect(find(`bpf_lsm_${hook}`, BtfKind.FUNC)).toBe(BigInt(vmlinux.findByNameKind('bpf_lsm_bpf_prog_load', BtfKind.FUNC)));
  });
});
