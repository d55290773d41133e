// Helper registry: typed signatures, trace formatting, the two namespaces, the observer hook, the
// memory accessors a helper gets, and the env object.

import { describe, expect, it } from 'vitest';
import { run } from './support.js';
import {
  CONFORMANCE_HELPER_PROTOS,
  HelperTable,
  KERNEL_HELPER_PROTOS,
  conformanceHelperTable,
  formatHelperCall,
  helperMemory,
  kernelHelperTable,
  type HelperCallEvent,
} from '../../src/vm/helpers.js';
import { AddressSpace } from '../../src/syscall/memory.js';

describe('helper prototypes and trace text [VM-LDR-2, LSK-HELP-1, UAPI-CONST-10]', () => {
  it('[LSK-HELP-1, UAPI-CONST-10] kernel helper ids and names', () => {
    expect(Object.values(KERNEL_HELPER_PROTOS).map((p) => [p.id, p.name])).toEqual([
      [1, 'bpf_map_lookup_elem'],
      [2, 'bpf_map_update_elem'],
      [3, 'bpf_map_delete_elem'],
      [8, 'bpf_get_smp_processor_id'],
      [87, 'bpf_map_push_elem'],
      [88, 'bpf_map_pop_elem'],
      [89, 'bpf_map_peek_elem'],
      [6, 'bpf_trace_printk'],
      [113, 'bpf_probe_read_kernel'],
      [148, 'bpf_copy_from_user'],
      [166, 'bpf_sys_bpf'],
      [167, 'bpf_btf_find_by_name_kind'],
      [168, 'bpf_sys_close'],
      [179, 'bpf_kallsyms_lookup_name'],
    ]);
  });

  it('formats a call with typed arguments and the return value', () => {
    const P = KERNEL_HELPER_PROTOS;
    expect(formatHelperCall(P.sys_bpf, [0n, 0xffff_8881_0000_4000n, 72n], 4n)).toBe('bpf_sys_bpf(cmd=0, attr=0xffff888100004000, size=72) = 4');
    expect(formatHelperCall(P.sys_bpf, [5n, 0xffff_8881_0000_4000n, 0x1_0000_0048n], BigInt.asUintN(64, -22n))).toBe('bpf_sys_bpf(cmd=5, attr=0xffff888100004000, size=72) = -22');
    expect(formatHelperCall(P.sys_close, [BigInt.asUintN(64, -1n)])).toBe('bpf_sys_close(fd=-1)');
    expect(formatHelperCall(P.btf_find_by_name_kind, [0x10n, 5n, 1n, 0n], 7n)).toBe('bpf_btf_find_by_name_kind(name=0x10, name_sz=5, kind=1, flags=0x0) = 7');
    expect(formatHelperCall(CONFORMANCE_HELPER_PROTOS.gather_bytes, [1n, 2n, 3n, 4n, BigInt.asUintN(64, -5n)], 0x1020304fbn)).toBe('gather_bytes(a=1, b=2, c=3, d=4, e=-5) = 0x1020304fb');
  });
});

describe('two namespaces, never merged [VM-EXEC-4, VM-EXEC-2]', () => {
  it('[VM-EXEC-2] the conformance table has ids 0-5; the kernel table starts empty', () => {
    expect(conformanceHelperTable().protos().map((p) => `${p.id}:${p.name}`)).toEqual(['0:gather_bytes', '1:memfrob', '2:no_op', '3:sqrti', '4:strcmp_ext', '5:unwind']);
    expect(conformanceHelperTable().namespace).toBe('conformance');
    const k = kernelHelperTable();
    expect(k.namespace).toBe('kernel');
    expect(k.protos()).toEqual([]);
    expect(k.has(166)).toBe(false);
  });

  it('an id can be registered once per table', () => {
    const t = kernelHelperTable().register(KERNEL_HELPER_PROTOS.sys_close, () => 0n);
    expect(() => t.register(KERNEL_HELPER_PROTOS.sys_close, () => 0n)).toThrow('helper id 168 is already registered in the kernel table');
    expect(() => new HelperTable('x').register({ id: 1, name: 'six', args: Array(6).fill({ name: 'a', kind: 'int' }), ret: 'int' }, () => 0n)).toThrow('at most 5 arguments');
  });
});

describe('calling helpers [VM-ISA-9, VM-LDR-2]', () => {
  it('a helper gets r1..r5 as u64, the env object and the pc; r0 is its result truncated to 64 bits', () => {
    const seen: unknown[] = [];
    const env = { kernel: 'k' };
    const t = new HelperTable<typeof env>('kernel').register({ id: 7, name: 'probe', args: [], ret: 'int' }, ({ args, env: e, pc }) => {
      seen.push(args, e, pc);
      return (1n << 64n) + 5n;
    });
    const r = run('mov %r1, -1\nmov %r2, 2\nmov %r5, 5\ncall 7\nexit', { helpers: t as HelperTable<unknown>, extra: { env } });
    expect(r.result).toMatchObject({ ok: true, r0: 5n });
    expect(seen).toEqual([[(1n << 64n) - 1n, 2n, 0n, 0n, 5n], env, 3]);
  });

  it('the observer sees every call before and after, with how it was made', () => {
    const events: string[] = [];
    const log = (when: string) => (e: HelperCallEvent, ret?: bigint) => events.push(`${when} ${e.via} pc${e.pc} ${formatHelperCall(e.proto, e.args, ret)}`);
    const r = run('mov %r1, 9\ncall 3\nmov %r6, 2\ncall %r6\nexit', { extra: { observer: { before: log('before'), after: log('after') } } });
    expect(r.result.ok).toBe(true);
    expect(events).toEqual(['before helper pc1 sqrti(a=9)', 'after helper pc1 sqrti(a=9) = 0x3', 'before callx pc3 no_op()', 'after callx pc3 no_op() = 0x0']);
  });

  it('helper memory: reads and writes through the same address space, faults as values', () => {
    const k = AddressSpace.kernelSpace();
    const u = AddressSpace.user(k);
    const ro = k.map({ name: 'ro', kind: 'kernel_object', bytes: Uint8Array.from([1, 2, 3, 0]), writable: false });
    const ub = u.map({ name: 'ubuf', kind: 'user', bytes: Uint8Array.from([104, 105, 0, 9]) });
    const m = helperMemory(u);
    expect(m.read(ro.base, 3)).toEqual(Uint8Array.from([1, 2, 3]));
    expect(m.read(ro.base + 2n, 3)).toBeUndefined();
    expect(m.write(ro.base, Uint8Array.of(7))).toBe(false);
    expect(m.read(ub.base, 4)).toEqual(Uint8Array.from([104, 105, 0, 9])); // helpers may reach user memory
    expect(m.write(ub.base + 3n, Uint8Array.of(0))).toBe(true);
    expect(Buffer.from(m.readCString(ub.base, 64)!).toString()).toBe('hi');
    expect(m.readCString(ub.base, 1)).toBeUndefined(); // no NUL within max
    expect(m.readCString(0x10n, 8)).toBeUndefined();
    expect(m.regionAt(ub.base + 1n)?.name).toBe('ubuf');
  });
});
