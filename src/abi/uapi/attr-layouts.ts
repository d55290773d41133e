// The `union bpf_attr` members and the info structs bpfsig decodes, as tables.
// Offsets: spec UAPI-LAYOUT-1..8 (computed with gcc from libbpf v1.7.0's copy of the v6.18-era
// uapi header); bpf_prog_info and bpf_btf_info offsets re-checked with gcc against the installed
// linux-libc-dev header (their layout did not change in 6.18).

import { BpfCmd } from './consts.js';
import { layout, type Layout } from './layout.js';

const SIGNING = { since: '6.18', feature: 'signing-6.18' } as const;
const ptr = { role: 'ptr' } as const;
const fd = { role: 'fd' } as const;

/** BPF_MAP_CREATE. spec: UAPI-LAYOUT-1 */
export const MAP_CREATE = layout('union bpf_attr (BPF_MAP_CREATE)', [
  ['map_type', '__u32', 0],
  ['key_size', '__u32', 4],
  ['value_size', '__u32', 8],
  ['max_entries', '__u32', 12],
  ['map_flags', '__u32', 16],
  ['inner_map_fd', '__u32', 20, fd],
  ['numa_node', '__u32', 24],
  ['map_name', 'char[16]', 28],
  ['map_ifindex', '__u32', 44],
  ['btf_fd', '__u32', 48, fd],
  ['btf_key_type_id', '__u32', 52],
  ['btf_value_type_id', '__u32', 56],
  ['btf_vmlinux_value_type_id', '__u32', 60],
  ['map_extra', '__u64', 64],
  ['value_type_btf_obj_fd', '__s32', 72, fd],
  ['map_token_fd', '__s32', 76, fd],
  ['excl_prog_hash', '__aligned_u64', 80, { role: 'ptr', since: '6.18 (baefdbdf6812)', feature: 'signing-6.18' }],
  ['excl_prog_hash_size', '__u32', 88, SIGNING],
]);

/**
 * BPF_MAP_LOOKUP_ELEM / UPDATE_ELEM / DELETE_ELEM / GET_NEXT_KEY / LOOKUP_AND_DELETE_ELEM.
 * spec: UAPI-LAYOUT-2. `value` and `next_key` share offset 16.
 */
const ELEM_ROWS = [
  ['map_fd', '__u32', 0, fd],
  ['key', '__aligned_u64', 8, ptr],
  ['value', '__aligned_u64', 16, ptr],
  ['flags', '__u64', 24],
] as const;
export const MAP_ELEM = layout('union bpf_attr (BPF_MAP_*_ELEM)', ELEM_ROWS);
export const MAP_GET_NEXT_KEY = layout('union bpf_attr (BPF_MAP_GET_NEXT_KEY)', [
  ['map_fd', '__u32', 0, fd],
  ['key', '__aligned_u64', 8, ptr],
  ['next_key', '__aligned_u64', 16, ptr],
]);
export const MAP_DELETE_ELEM = layout('union bpf_attr (BPF_MAP_DELETE_ELEM)', [
  ['map_fd', '__u32', 0, fd],
  ['key', '__aligned_u64', 8, ptr],
]);

/** BPF_MAP_FREEZE. spec: UAPI-LAYOUT-2 */
export const MAP_FREEZE = layout('union bpf_attr (BPF_MAP_FREEZE)', [['map_fd', '__u32', 0, fd]]);

/** BPF_PROG_LOAD. spec: UAPI-LAYOUT-3 (keyring_id is __s32 in the merged header). */
export const PROG_LOAD = layout('union bpf_attr (BPF_PROG_LOAD)', [
  ['prog_type', '__u32', 0],
  ['insn_cnt', '__u32', 4],
  ['insns', '__aligned_u64', 8, ptr],
  ['license', '__aligned_u64', 16, ptr],
  ['log_level', '__u32', 24],
  ['log_size', '__u32', 28],
  ['log_buf', '__aligned_u64', 32, ptr],
  ['kern_version', '__u32', 40],
  ['prog_flags', '__u32', 44],
  ['prog_name', 'char[16]', 48],
  ['prog_ifindex', '__u32', 64],
  ['expected_attach_type', '__u32', 68],
  ['prog_btf_fd', '__u32', 72, fd],
  ['func_info_rec_size', '__u32', 76],
  ['func_info', '__aligned_u64', 80, ptr],
  ['func_info_cnt', '__u32', 88],
  ['line_info_rec_size', '__u32', 92],
  ['line_info', '__aligned_u64', 96, ptr],
  ['line_info_cnt', '__u32', 104],
  ['attach_btf_id', '__u32', 108],
  ['attach_prog_fd', '__u32', 112, fd],
  ['core_relo_cnt', '__u32', 116],
  ['fd_array', '__aligned_u64', 120, ptr],
  ['core_relos', '__aligned_u64', 128, ptr],
  ['core_relo_rec_size', '__u32', 136],
  ['log_true_size', '__u32', 140],
  ['prog_token_fd', '__s32', 144, fd],
  ['fd_array_cnt', '__u32', 148],
  ['signature', '__aligned_u64', 152, { role: 'ptr', since: '6.18 (349271568303)', feature: 'signing-6.18' }],
  ['signature_size', '__u32', 160, SIGNING],
  ['keyring_id', '__s32', 164, SIGNING],
  ['signature_maps', '__aligned_u64', 168, { role: 'ptr', since: 'hashchain-v2 (never merged)', feature: 'hashchain-v2' }],
  ['signature_maps_size', '__u32', 176, { since: 'hashchain-v2 (never merged)', feature: 'hashchain-v2' }],
]);

/** BPF_OBJ_GET_INFO_BY_FD, member `info`. spec: UAPI-LAYOUT-4 */
export const OBJ_GET_INFO_BY_FD = layout('union bpf_attr (BPF_OBJ_GET_INFO_BY_FD)', [
  ['info.bpf_fd', '__u32', 0, fd],
  ['info.info_len', '__u32', 4],
  ['info.info', '__aligned_u64', 8, ptr],
]);

/** BPF_PROG_TEST_RUN, member `test`. spec: UAPI-LAYOUT-6 */
export const PROG_TEST_RUN = layout('union bpf_attr (BPF_PROG_TEST_RUN)', [
  ['test.prog_fd', '__u32', 0, fd],
  ['test.retval', '__u32', 4],
  ['test.data_size_in', '__u32', 8],
  ['test.data_size_out', '__u32', 12],
  ['test.data_in', '__aligned_u64', 16, ptr],
  ['test.data_out', '__aligned_u64', 24, ptr],
  ['test.repeat', '__u32', 32],
  ['test.duration', '__u32', 36],
  ['test.ctx_size_in', '__u32', 40],
  ['test.ctx_size_out', '__u32', 44],
  ['test.ctx_in', '__aligned_u64', 48, ptr],
  ['test.ctx_out', '__aligned_u64', 56, ptr],
  ['test.flags', '__u32', 64],
  ['test.cpu', '__u32', 68],
  ['test.batch_size', '__u32', 72],
]);

/** BPF_BTF_LOAD. spec: UAPI-LAYOUT-7 */
export const BTF_LOAD = layout('union bpf_attr (BPF_BTF_LOAD)', [
  ['btf', '__aligned_u64', 0, ptr],
  ['btf_log_buf', '__aligned_u64', 8, ptr],
  ['btf_size', '__u32', 16],
  ['btf_log_size', '__u32', 20],
  ['btf_log_level', '__u32', 24],
  ['btf_log_true_size', '__u32', 28],
  ['btf_flags', '__u32', 32],
  ['btf_token_fd', '__s32', 36, fd],
]);

/** BPF_*_GET_FD_BY_ID and BPF_*_GET_NEXT_ID. */
export const GET_ID = layout('union bpf_attr (BPF_*_GET_FD_BY_ID)', [
  ['start_id', '__u32', 0],
  ['next_id', '__u32', 4],
  ['open_flags', '__u32', 8],
  ['fd_by_id_token_fd', '__s32', 12, fd],
]);

/** struct bpf_map_info. spec: UAPI-LAYOUT-5 (104 bytes in v6.18, 88 before). */
export const BPF_MAP_INFO = layout(
  'struct bpf_map_info',
  [
    ['type', '__u32', 0],
    ['id', '__u32', 4],
    ['key_size', '__u32', 8],
    ['value_size', '__u32', 12],
    ['max_entries', '__u32', 16],
    ['map_flags', '__u32', 20],
    ['name', 'char[16]', 24],
    ['ifindex', '__u32', 40],
    ['btf_vmlinux_value_type_id', '__u32', 44],
    ['netns_dev', '__u64', 48],
    ['netns_ino', '__u64', 56],
    ['btf_id', '__u32', 64],
    ['btf_key_type_id', '__u32', 68],
    ['btf_value_type_id', '__u32', 72],
    ['btf_vmlinux_id', '__u32', 76],
    ['map_extra', '__u64', 80],
    ['hash', '__aligned_u64', 88, { role: 'ptr', since: '6.18 (ea2e6467ac36)', feature: 'signing-6.18' }],
    ['hash_size', '__u32', 96, SIGNING],
  ],
  104,
);

/** struct bpf_btf_info (32 bytes). */
export const BPF_BTF_INFO = layout(
  'struct bpf_btf_info',
  [
    ['btf', '__aligned_u64', 0, ptr],
    ['btf_size', '__u32', 8],
    ['id', '__u32', 12],
    ['name', '__aligned_u64', 16, ptr],
    ['name_len', '__u32', 24],
    ['kernel_btf', '__u32', 28],
  ],
  32,
);

/** struct bpf_prog_info (232 bytes; `gpl_compatible` is bit 0 of the u32 at 84). */
export const BPF_PROG_INFO = layout(
  'struct bpf_prog_info',
  [
    ['type', '__u32', 0],
    ['id', '__u32', 4],
    ['tag', '__u8[8]', 8, { role: 'bytes' }],
    ['jited_prog_len', '__u32', 16],
    ['xlated_prog_len', '__u32', 20],
    ['jited_prog_insns', '__aligned_u64', 24, ptr],
    ['xlated_prog_insns', '__aligned_u64', 32, ptr],
    ['load_time', '__u64', 40],
    ['created_by_uid', '__u32', 48],
    ['nr_map_ids', '__u32', 52],
    ['map_ids', '__aligned_u64', 56, ptr],
    ['name', 'char[16]', 64],
    ['ifindex', '__u32', 80],
    ['gpl_compatible', '__u32', 84],
    ['netns_dev', '__u64', 88],
    ['netns_ino', '__u64', 96],
    ['nr_jited_ksyms', '__u32', 104],
    ['nr_jited_func_lens', '__u32', 108],
    ['jited_ksyms', '__aligned_u64', 112, ptr],
    ['jited_func_lens', '__aligned_u64', 120, ptr],
    ['btf_id', '__u32', 128],
    ['func_info_rec_size', '__u32', 132],
    ['func_info', '__aligned_u64', 136, ptr],
    ['nr_func_info', '__u32', 144],
    ['nr_line_info', '__u32', 148],
    ['line_info', '__aligned_u64', 152, ptr],
    ['jited_line_info', '__aligned_u64', 160, ptr],
    ['nr_jited_line_info', '__u32', 168],
    ['line_info_rec_size', '__u32', 172],
    ['jited_line_info_rec_size', '__u32', 176],
    ['nr_prog_tags', '__u32', 180],
    ['prog_tags', '__aligned_u64', 184, ptr],
    ['run_time_ns', '__u64', 192],
    ['run_cnt', '__u64', 200],
    ['recursion_misses', '__u64', 208],
    ['verified_insns', '__u32', 216],
    ['attach_btf_obj_id', '__u32', 220],
    ['attach_btf_id', '__u32', 224],
  ],
  232,
);

/** struct bpf_insn. spec: UAPI-LAYOUT-8 (dst_reg/src_reg are the nibbles of byte 1). */
export const BPF_INSN_SIZE = 8;

/**
 * Each command's attr member and its LAST_FIELD. The LAST_FIELD is the last field of the layout
 * present in the profile's UAPI (so PROG_LOAD ends at fd_array_cnt on v6.17, keyring_id on v6.18).
 * spec: SYS-4, SYS-5. DELETE_ELEM ends at `key` (OBSERVED on this machine's 6.18.44 kernel: a
 * non-zero `value` or `flags` gives EINVAL), not at `flags` as SYS-5 had it (UNCONFIRMED there).
 */
export const ATTR_LAYOUTS: ReadonlyMap<number, Layout> = new Map([
  [BpfCmd.BPF_MAP_CREATE, MAP_CREATE],
  [BpfCmd.BPF_MAP_LOOKUP_ELEM, MAP_ELEM],
  [BpfCmd.BPF_MAP_UPDATE_ELEM, MAP_ELEM],
  [BpfCmd.BPF_MAP_DELETE_ELEM, MAP_DELETE_ELEM],
  [BpfCmd.BPF_MAP_GET_NEXT_KEY, MAP_GET_NEXT_KEY],
  [BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, MAP_ELEM],
  [BpfCmd.BPF_MAP_FREEZE, MAP_FREEZE],
  [BpfCmd.BPF_PROG_LOAD, PROG_LOAD],
  [BpfCmd.BPF_OBJ_GET_INFO_BY_FD, OBJ_GET_INFO_BY_FD],
  [BpfCmd.BPF_PROG_TEST_RUN, PROG_TEST_RUN],
  [BpfCmd.BPF_BTF_LOAD, BTF_LOAD],
  [BpfCmd.BPF_MAP_GET_FD_BY_ID, GET_ID],
  [BpfCmd.BPF_PROG_GET_FD_BY_ID, GET_ID],
  [BpfCmd.BPF_BTF_GET_FD_BY_ID, GET_ID],
]);

/** Info struct layouts by the name transcripts use. */
export const INFO_LAYOUTS: ReadonlyMap<string, Layout> = new Map([
  ['bpf_map_info', BPF_MAP_INFO],
  ['bpf_prog_info', BPF_PROG_INFO],
  ['bpf_btf_info', BPF_BTF_INFO],
]);
