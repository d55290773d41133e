import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { policyModule } from '../../src/lsm/policy.js';
import { Errno } from '../../src/syscall/errno.js';
import { BpfCmd, MapFlag, MapType } from '../../src/syscall/uapi/consts.js';
import { MAP_CREATE } from '../../src/syscall/uapi/attr-layouts.js';
import { encode } from '../../src/syscall/uapi/layout.js';
import { setup, arrayMap } from '../support/kernel.js';

const A = MapType.BPF_MAP_TYPE_ARRAY;
const raw = (p: ReturnType<typeof setup>['p'], fields: Record<string, number | bigint | string>, size = 92) =>
  p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(encode(MAP_CREATE, fields, size)), size);

describe('BPF_MAP_CREATE step order (map_create, v6.18)', () => {
  it('[MC-1] CHECK_ATTR: a byte after excl_prog_hash_size gives EINVAL', () => {
    const { p } = setup();
    const a = encode(MAP_CREATE, { map_type: A, key_size: 4, value_size: 8, max_entries: 1 }, 96);
    a[93] = 1;
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(a), 96).errno).toBe('EINVAL');
  });
  it('[MC-3] btf_vmlinux_value_type_id on a non-STRUCT_OPS map, or a key type id alone, gives EINVAL', () => {
    const { p } = setup();
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, btf_vmlinux_value_type_id: 1 }).errno).toBe('EINVAL');
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, btf_key_type_id: 1 }).errno).toBe('EINVAL');
  });
  it('[MC-4] map_extra on an ARRAY gives EINVAL', () => {
    const { p } = setup();
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, map_extra: 1n }).errno).toBe('EINVAL');
  });
  it('[MC-5] BPF_F_RDONLY|BPF_F_WRONLY, and a NUMA node that does not exist, give EINVAL', () => {
    const { p } = setup();
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, map_flags: MapFlag.BPF_F_RDONLY | MapFlag.BPF_F_WRONLY }).errno).toBe('EINVAL');
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, map_flags: MapFlag.BPF_F_NUMA_NODE, numa_node: 99 }).errno).toBe('EINVAL');
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, map_flags: MapFlag.BPF_F_NUMA_NODE, numa_node: 0 }).ret).toBe(3);
  });
  it('[MC-6] an unknown map type (0, 999) gives EINVAL', () => {
    const { p } = setup();
    expect(raw(p, { map_type: 0, key_size: 4, value_size: 8, max_entries: 1 }).errno).toBe('EINVAL');
    expect(raw(p, { map_type: 999, key_size: 4, value_size: 8, max_entries: 1 }).errno).toBe('EINVAL');
  });
  it('[MC-7] ARRAY alloc_check: key_size != 4, value_size 0, max_entries 0, unknown flags → EINVAL; value_size > INT_MAX → E2BIG', () => {
    const { p } = setup();
    const cases: Record<string, number>[] = [
      { key_size: 8, value_size: 8, max_entries: 1 },
      { key_size: 4, value_size: 0, max_entries: 1 },
      { key_size: 4, value_size: 8, max_entries: 0 },
      { key_size: 4, value_size: 8, max_entries: 1, map_flags: MapFlag.BPF_F_NO_PREALLOC },
      { key_size: 4, value_size: 8, max_entries: 1, map_flags: MapFlag.BPF_F_RDONLY_PROG | MapFlag.BPF_F_WRONLY_PROG },
    ];
    for (const f of cases) {
      expect(raw(p, { map_type: A, ...f }).errno, JSON.stringify(f)).toBe('EINVAL');
    }
    expect(raw(p, { map_type: A, key_size: 4, value_size: 0x8000_0000, max_entries: 1 }).errno).toBe('E2BIG');
  });
  it('[MC-7] HASH alloc_check: zero sizes → EINVAL; key+value >= 4 MiB - 48 → E2BIG (OBSERVED boundary)', () => {
    const { p } = setup();
    const H = MapType.BPF_MAP_TYPE_HASH;
    expect(raw(p, { map_type: H, key_size: 0, value_size: 8, max_entries: 2 }).errno).toBe('EINVAL');
    expect(raw(p, { map_type: H, key_size: 4, value_size: 4194252, max_entries: 1 }).errno).toBe('E2BIG');
    expect(raw(p, { map_type: H, key_size: 4, value_size: 4194251, max_entries: 1 }).ret).toBeGreaterThanOrEqual(3);
    expect(raw(p, { map_type: H, key_size: 4, value_size: 8, max_entries: 2, map_flags: MapFlag.BPF_F_MMAPABLE }).errno).toBe('EINVAL');
  });
  it('[MC-7] PERCPU_ARRAY values are bounded by PCPU_MIN_UNIT_SIZE (32768), RINGBUF needs a page-aligned power of 2', () => {
    const { p } = setup();
    expect(raw(p, { map_type: MapType.BPF_MAP_TYPE_PERCPU_ARRAY, key_size: 4, value_size: 32769, max_entries: 1 }).errno).toBe('E2BIG');
    expect(raw(p, { map_type: MapType.BPF_MAP_TYPE_PERCPU_ARRAY, key_size: 4, value_size: 32768, max_entries: 1 }).ret).toBe(3);
    expect(raw(p, { map_type: MapType.BPF_MAP_TYPE_RINGBUF, max_entries: 4095 }).errno).toBe('EINVAL');
    expect(raw(p, { map_type: MapType.BPF_MAP_TYPE_RINGBUF, key_size: 4, max_entries: 4096 }).errno).toBe('EINVAL');
    expect(raw(p, { map_type: MapType.BPF_MAP_TYPE_RINGBUF, max_entries: 4096 }).ret).toBe(4);
  });
  it('[MC-8] BPF_F_TOKEN_FD with a non-token fd gives EINVAL (a closed fd EBADF); map_token_fd without the flag is ignored', () => {
    const { p } = setup();
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, map_flags: MapFlag.BPF_F_TOKEN_FD, map_token_fd: 0 }).errno).toBe('EINVAL');
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, map_flags: MapFlag.BPF_F_TOKEN_FD, map_token_fd: 77 }).errno).toBe('EBADF');
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, map_token_fd: 5 }).ret).toBe(3);
  });
  it('[MC-9][CAP-6] unprivileged_bpf_disabled without CAP_BPF gives EPERM; CAP_SYS_ADMIN stands in for CAP_BPF', () => {
    const u = setup('v6.18', { uid: 1000, caps: [] });
    expect(u.c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1 }).errno).toBe('EPERM');
    const s = setup('v6.18', { uid: 1000, caps: ['CAP_SYS_ADMIN'] });
    expect(s.c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1 }).ret).toBe(3);
  });
  it('[MC-9][CAP-6] with unprivileged BPF allowed, ARRAY is an unprivileged type; RINGBUF too', () => {
    const u = setup('v6.18', { uid: 1000, caps: [], unprivilegedBpfDisabled: 0 });
    expect(u.c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1 }).ret).toBe(3);
  });
  it('[MC-10] map_ifindex asks for an offloaded map: no offload device here, EOPNOTSUPP (OBSERVED)', () => {
    const { p } = setup();
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, map_ifindex: 1 }).errno).toBe('EOPNOTSUPP');
  });
  it('[MC-10] a map above the emulator storage limit fails with ENOMEM', () => {
    const { c } = setup('v6.18', { maxMapBytes: 1024 });
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 512, maxEntries: 4 }).errno).toBe('ENOMEM');
  });
  it('[MC-11] map names: letters, digits, _ and . only, NUL within 16 bytes', () => {
    const { c } = setup();
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, name: 'a-b' }).errno).toBe('EINVAL');
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, name: 'abcdefghijklmnop' }).errno).toBe('EINVAL');
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, name: 'abcdefghijklmno' }).ret).toBe(3);
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, name: '.rodata.str1_1' }).ret).toBe(4);
  });
  it('[MC-12] BTF: a bad btf_fd gives EBADF, a non-BTF fd EINVAL', () => {
    const { c } = setup();
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, btfFd: 99, btfValueTypeId: 1 }).errno).toBe('EBADF');
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, btfFd: 0, btfValueTypeId: 1 }).errno).toBe('EINVAL');
  });
});

describe('exclusive maps', () => {
  const sha = new Uint8Array(createHash('sha256').update('prog').digest());
  it('[EXCL-1] excl_prog_hash_size must be 32 (16 and 64 give EINVAL); a readable hash makes the map exclusive', () => {
    const { k, c } = setup();
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHash: sha, exclProgHashSize: 16 }).errno).toBe('EINVAL');
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHash: sha, exclProgHashSize: 64 }).errno).toBe('EINVAL');
    const fd = c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHash: sha }).ret;
    expect(fd).toBe(3);
    const map = k.mapIdr.find(1)!;
    expect(Buffer.from(map.exclProgSha!).equals(Buffer.from(sha))).toBe(true);
  });
  it('[EXCL-1] excl_prog_hash_size without a hash pointer gives EINVAL; an unreadable hash pointer EFAULT', () => {
    const { p, c } = setup();
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHashSize: 32 }).errno).toBe('EINVAL');
    expect(raw(p, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, excl_prog_hash: 0x10n, excl_prog_hash_size: 32 }).errno).toBe('EFAULT');
  });
  it('[EXCL-1] attr size 88 (pointer set, size not passed) gives EINVAL (OBS-EXCL-2)', () => {
    const { p } = setup();
    const a = encode(MAP_CREATE, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, excl_prog_hash: p.alloc(sha) }, 92).subarray(0, 88);
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(a.slice()), 88).errno).toBe('EINVAL');
  });
  it('[EXCL-2] any map type can be exclusive (HASH here)', () => {
    const { c } = setup();
    expect(c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 2, exclProgHash: sha }).ret).toBe(3);
  });
  it('[MC-16][SYS-6] a kernel-originated MAP_CREATE reads excl_prog_hash from kernel memory', () => {
    const { k, p } = setup();
    const hashRegion = k.kmem.map({ name: 'loader value', kind: 'map_value', bytes: sha.slice() });
    const attr = encode(MAP_CREATE, { map_type: A, key_size: 4, value_size: 8, max_entries: 1, excl_prog_hash: hashRegion.base, excl_prog_hash_size: 32 }, 92);
    const attrRegion = k.kmem.map({ name: 'attr', kind: 'map_value', bytes: attr });
    // An outer syscall stands in for the BPF_PROG_TEST_RUN that runs the loader.
    const res = k.syscall(p, 'bpf', 321, [10n], {}, (ctx) => k.kernBpf(ctx, BpfCmd.BPF_MAP_CREATE, attrRegion.base, 92).ret);
    expect(res.ret).toBe(3);
    expect(Buffer.from(k.mapIdr.find(1)!.exclProgSha!).equals(Buffer.from(sha))).toBe(true);
    const inner = k.trace.syscalls().filter((e) => e.kernel);
    expect(inner).toHaveLength(1);
    expect(inner[0]!.parent).toBe(res.sys);
    // The same kernel address passed as a user pointer faults.
    expect(p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(attr.slice()), 92).errno).toBe('EFAULT');
  });
});

describe('[MC-14][KP-LSM-2] security_bpf_map_create', () => {
  it('sees the map, its excl_prog_sha and kernel=false; a denial frees the map and returns the LSM value', () => {
    const seen: unknown[] = [];
    const freed: string[] = [];
    const deny = policyModule({
      bpf_map_free: ({ map }) => void freed.push(map.name),
      bpf_map_create: ({ map, kernel }) => {
        seen.push({ name: map.name, excl: map.exclProgSha, kernel });
        return map.name === 'denied' ? -Errno.EACCES : 0;
      },
    });
    const { k, c } = setup('v6.18', { lsm: [deny] });
    const sha = new Uint8Array(32).fill(0xab);
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, name: 'ok', exclProgHash: sha }).ret).toBe(3);
    expect(c.mapCreate({ mapType: A, keySize: 4, valueSize: 8, maxEntries: 1, name: 'denied' }).errno).toBe('EACCES');
    expect(seen).toEqual([
      { name: 'ok', excl: 'ab'.repeat(32), kernel: false },
      { name: 'denied', excl: null, kernel: false },
    ]);
    expect(k.mapIdr.size).toBe(1);
    // the blob of the denied map was freed through bpf_map_free, as the kernel does on this path
    expect(freed).toEqual(['denied']);
    expect(k.trace.hooks('bpf_map_free').map((h) => h.args.map)).toEqual(['denied']);
  });
  it('[MC-15] ids come from idr_alloc_cyclic: 1, 2, … and are not reused right away', () => {
    const { k, p, c } = setup();
    const a = arrayMap(c);
    arrayMap(c);
    p.close(a);
    arrayMap(c);
    expect([...[1, 2, 3]].map((id) => k.mapIdr.find(id)?.id)).toEqual([undefined, 2, 3]);
  });
});
