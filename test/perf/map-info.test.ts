// Issue K: BPF_OBJ_GET_INFO_BY_FD on a map writes its fields directly and remembers the info
// struct's size per UAPI feature set (obj_get_info.ts infoSizes). Kernels of two UAPIs in one
// process must each see their own size — a stale hit fails — and every field must still be filled.
// spec: MHASH-1, MHASH-3, V617-3

import { describe, expect, it } from 'vitest';
import { BPF_MAP_INFO, OBJ_GET_INFO_BY_FD } from '../../src/syscall/uapi/attr-layouts.js';
import { BpfCmd, MapType } from '../../src/syscall/uapi/consts.js';
import { decode, encode } from '../../src/syscall/uapi/layout.js';
import { setup } from '../support/kernel.js';

function infoLenOf(profile: string): { lenOut: number; fields: Record<string, unknown> } {
  const { p, c } = setup(profile);
  const fd = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 12, maxEntries: 3, name: 'a_name_of_16_ch', mapFlags: 0 }).ret;
  const info = p.alloc(new Uint8Array(104).fill(0));
  const attr = p.alloc(encode(OBJ_GET_INFO_BY_FD, { 'info.bpf_fd': fd, 'info.info_len': 104, 'info.info': info }, 16));
  expect(p.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr, 16).ret).toBe(0);
  const lenOut = new DataView(p.read(attr, 16)!.buffer).getUint32(4, true);
  return { lenOut, fields: decode(BPF_MAP_INFO, p.read(info, 104)!) };
}

describe('map GET_INFO: info size per UAPI, fields written directly [MHASH-3] (issue K)', () => {
  it('[V617-3] v6.18, v6.17, v6.18 again in one process: 104, 88, 104 bytes', () => {
    expect(infoLenOf('v6.18').lenOut).toBe(104);
    expect(infoLenOf('v6.17').lenOut).toBe(88);
    expect(infoLenOf('v6.18').lenOut).toBe(104);
  });
  it('[MHASH-3] type, id, sizes, entries, flags and the name come back', () => {
    const { fields } = infoLenOf('v6.18');
    expect(fields).toMatchObject({ type: MapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 12, max_entries: 3, map_flags: 0, name: 'a_name_of_16_ch' });
    expect(fields.id).toBeGreaterThan(0);
  });
});
