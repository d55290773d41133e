import { describe, expect, it } from 'vitest';
import { attrSize, lastFieldEndFor } from '../../src/syscall/attr.js';
import { getProfile } from '../../src/syscall/profiles/index.js';
import { BpfCmd, MapType } from '../../src/syscall/uapi/consts.js';
import { MAP_CREATE, PROG_LOAD, BPF_MAP_INFO, OBJ_GET_INFO_BY_FD, PROG_TEST_RUN, BTF_LOAD, MAP_ELEM } from '../../src/syscall/uapi/attr-layouts.js';
import { encode, lastFieldEnd } from '../../src/syscall/uapi/layout.js';
import { setup, u32, arrayMap } from '../support/kernel.js';
import { Errno } from '../../src/syscall/errno.js';

const prof = (n: string) => getProfile(n)!;

describe('union bpf_attr layouts', () => {
  it('[UAPI-LAYOUT-1] MAP_CREATE: excl_prog_hash at 80, excl_prog_hash_size at 88', () => {
    expect(MAP_CREATE.byName.get('map_name')!.offset).toBe(28);
    expect(MAP_CREATE.byName.get('map_extra')!.offset).toBe(64);
    expect(MAP_CREATE.byName.get('excl_prog_hash')!).toMatchObject({ offset: 80, size: 8, feature: 'signing-6.18' });
    expect(MAP_CREATE.byName.get('excl_prog_hash_size')!).toMatchObject({ offset: 88, size: 4 });
  });
  it('[UAPI-LAYOUT-2] element ops: map_fd 0, key 8, value 16, flags 24', () => {
    expect(['map_fd', 'key', 'value', 'flags'].map((f) => MAP_ELEM.byName.get(f)!.offset)).toEqual([0, 8, 16, 24]);
  });
  it('[UAPI-LAYOUT-3] PROG_LOAD: signature 152, signature_size 160, keyring_id 164 (__s32)', () => {
    expect(PROG_LOAD.byName.get('fd_array_cnt')!.offset).toBe(148);
    expect(PROG_LOAD.byName.get('signature')!.offset).toBe(152);
    expect(PROG_LOAD.byName.get('signature_size')!.offset).toBe(160);
    expect(PROG_LOAD.byName.get('keyring_id')!).toMatchObject({ offset: 164, ctype: '__s32' });
  });
  it('[UAPI-LAYOUT-4/5/6/7] info, bpf_map_info, test, btf_load offsets', () => {
    expect(OBJ_GET_INFO_BY_FD.byName.get('info.info')!.offset).toBe(8);
    expect(BPF_MAP_INFO.byName.get('hash')!.offset).toBe(88);
    expect(BPF_MAP_INFO.byName.get('hash_size')!.offset).toBe(96);
    expect(BPF_MAP_INFO.sizeof).toBe(104);
    expect(PROG_TEST_RUN.byName.get('test.ctx_in')!.offset).toBe(48);
    expect(lastFieldEnd(PROG_TEST_RUN, new Set())).toBe(76);
    expect(BTF_LOAD.byName.get('btf_log_level')!.offset).toBe(24);
  });
  it('[UAPI-CONV-3] sizeof(union bpf_attr): 152 on v6.17, 168 on v6.18 and v6.18-stable', () => {
    expect(attrSize(prof('v6.17'))).toBe(152);
    expect(attrSize(prof('v6.18'))).toBe(168);
    expect(attrSize(prof('v6.18-stable'))).toBe(168);
    expect(attrSize(prof('v6.18.44'))).toBe(168);
  });
  it('[SYS-5] LAST_FIELD per command and profile', () => {
    expect(lastFieldEndFor(BpfCmd.BPF_MAP_CREATE, prof('v6.18'))).toBe(92);
    expect(lastFieldEndFor(BpfCmd.BPF_MAP_CREATE, prof('v6.17'))).toBe(80);
    expect(lastFieldEndFor(BpfCmd.BPF_PROG_LOAD, prof('v6.18'))).toBe(168);
    expect(lastFieldEndFor(BpfCmd.BPF_PROG_LOAD, prof('v6.17'))).toBe(152);
    expect(lastFieldEndFor(BpfCmd.BPF_MAP_UPDATE_ELEM, prof('v6.18'))).toBe(32);
    expect(lastFieldEndFor(BpfCmd.BPF_MAP_DELETE_ELEM, prof('v6.18'))).toBe(16);
    expect(lastFieldEndFor(BpfCmd.BPF_MAP_FREEZE, prof('v6.18'))).toBe(4);
    expect(lastFieldEndFor(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, prof('v6.18'))).toBe(16);
    expect(lastFieldEndFor(BpfCmd.BPF_PROG_TEST_RUN, prof('v6.18'))).toBe(76);
    expect(lastFieldEndFor(BpfCmd.BPF_BTF_LOAD, prof('v6.18'))).toBe(40);
  });
});

describe('syscall entry: size rules', () => {
  it('[SYS-1] size above PAGE_SIZE gives E2BIG even when all zero', () => {
    const { p } = setup();
    const r = p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(4097), 4097);
    expect(r.errno).toBe('E2BIG');
  });
  it('[SYS-1] a non-zero byte past sizeof(union bpf_attr) gives E2BIG; zeros are accepted', () => {
    const { p } = setup();
    const attr = encode(MAP_CREATE, { map_type: MapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1 }, 200);
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(attr.slice()), 200).ret).toBeGreaterThanOrEqual(3);
    attr[180] = 1;
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(attr.slice()), 200).errno).toBe('E2BIG');
  });
  it('[SYS-2] an unmapped attr pointer gives EFAULT', () => {
    const { p } = setup();
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, 0x10n, 92).errno).toBe('EFAULT');
  });
  it('[SYS-2] the kernel copies min(size, sizeof) bytes and zero-fills the rest (size 0 → map_type 0 → EINVAL)', () => {
    const { p } = setup();
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(1), 0).errno).toBe('EINVAL');
  });
  it('[SYS-4] CHECK_ATTR: a non-zero byte after LAST_FIELD but inside the union gives EINVAL', () => {
    const { p } = setup();
    const attr = encode(MAP_CREATE, { map_type: MapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1 }, 168);
    attr[100] = 1;
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(attr), 168).errno).toBe('EINVAL');
  });
  it('[SYS-4] CHECK_ATTR for element ops, freeze, get_info and delete (OBSERVED: DELETE ends at key)', () => {
    const { p, c } = setup();
    const fd = arrayMap(c);
    const cases: [number, number, number][] = [
      [BpfCmd.BPF_MAP_UPDATE_ELEM, 40, 33],
      [BpfCmd.BPF_MAP_LOOKUP_ELEM, 40, 33],
      [BpfCmd.BPF_MAP_DELETE_ELEM, 32, 17],
      [BpfCmd.BPF_MAP_FREEZE, 8, 5],
      [BpfCmd.BPF_OBJ_GET_INFO_BY_FD, 24, 20],
      [BpfCmd.BPF_MAP_GET_NEXT_KEY, 32, 25],
    ];
    for (const [cmd, size, byte] of cases) {
      const a = new Uint8Array(size);
      a.set(u32(fd));
      a[byte] = 1;
      expect(p.bpf(cmd, p.alloc(a), size).errno, `cmd ${cmd}`).toBe('EINVAL');
    }
  });
  it('[SYS-3] an unknown command gives EINVAL after security_bpf ran', () => {
    const { k, p } = setup();
    const r = p.bpf(999, p.alloc(8), 8);
    expect(r.errno).toBe('EINVAL');
    // security_bpf ran first (no loaded LSM implements it, so nobody answered), then the dispatch failed.
    expect(k.trace.hooks('bpf')).toMatchObject([{ lsm: 'none', ret: 0 }]);
  });
});

describe('[SYS-7] same bytes, different kernels', () => {
  const exclAttr = (p: ReturnType<typeof setup>['p']) =>
    encode(
      MAP_CREATE,
      { map_type: MapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1, excl_prog_hash: p.alloc(new Uint8Array(32).fill(7)), excl_prog_hash_size: 32 },
      92,
    );
  it('[V617-2] MAP_CREATE size 92 with excl_prog_hash: EINVAL on v6.17 (CHECK_ATTR), an exclusive map on v6.18', () => {
    const a = setup('v6.17');
    expect(a.p.bpf(BpfCmd.BPF_MAP_CREATE, a.p.alloc(exclAttr(a.p)), 92).errno).toBe('EINVAL');
    const b = setup('v6.18');
    expect(b.p.bpf(BpfCmd.BPF_MAP_CREATE, b.p.alloc(exclAttr(b.p)), 92).ret).toBe(3);
  });
  it('[V617-1] PROG_LOAD size 168 with a non-zero signature: E2BIG on v6.17 (tail-zero at entry)', () => {
    const { p } = setup('v6.17');
    const attr = encode(PROG_LOAD, { prog_type: 1, insn_cnt: 2, signature: 0x1000n, signature_size: 64 }, 168);
    expect(p.bpf(BpfCmd.BPF_PROG_LOAD, p.alloc(attr), 168).errno).toBe('E2BIG');
  });
  it('[V617-1] PROG_LOAD size 168 with bytes 152..167 zero passes the entry checks on v6.17', () => {
    const { p } = setup('v6.17');
    const attr = encode(PROG_LOAD, { prog_type: 1, insn_cnt: 2 }, 168);
    const r = p.bpf(BpfCmd.BPF_PROG_LOAD, p.alloc(attr), 168);
    expect(r.errno).not.toBe('E2BIG');
  });
});

describe('copy-in takes over the bytes read at entry only where its own copy would succeed (issue K) [SYS-2][SYS-6]', () => {
  const mc = () => encode(MAP_CREATE, { map_type: MapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1, map_name: 'entry' }, 92);

  it('a nested call whose attr pointer is a user address: the trace reads it, copy_from_kernel_nofault refuses it (EFAULT)', () => {
    const { k, p } = setup();
    const user = p.alloc(mc());
    const res = k.syscall(p, 'bpf', 321, [10n], {}, (ctx) => k.kernBpf(ctx, BpfCmd.BPF_MAP_CREATE, user, 92).ret);
    expect(res.ret).toBe(-Errno.EFAULT);
    const inner = k.trace.syscalls().find((e) => e.kernel)!;
    expect(inner.attr).toMatchObject({ map_type: MapType.BPF_MAP_TYPE_ARRAY, map_name: 'entry' });
    expect(k.mapIdr.find(1)).toBeUndefined();
  });

  it('the same bytes from kernel memory are copied, and the map is made from them', () => {
    const { k, p } = setup();
    const region = k.kmem.map({ name: 'attr', kind: 'map_value', bytes: mc() });
    const res = k.syscall(p, 'bpf', 321, [10n], {}, (ctx) => k.kernBpf(ctx, BpfCmd.BPF_MAP_CREATE, region.base, 92).ret);
    expect(res.ret).toBe(3);
    expect(k.mapIdr.find(1)!.name).toBe('entry');
  });

  it('a user attr the task changes after the call does not change the kernel copy or the trace', () => {
    const { k, p } = setup();
    const attr = mc();
    const addr = p.alloc(attr);
    const mark = k.trace.mark();
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, addr, 92).ret).toBe(3);
    p.mem.write(addr + 28n, new Uint8Array(Buffer.from('later\0')));
    expect(k.mapIdr.find(1)!.name).toBe('entry');
    const ev = k.trace.since(mark).find((e) => e.kind === 'syscall')!;
    expect(ev.kind === 'syscall' && ev.attr?.map_name).toBe('entry');
  });
});
