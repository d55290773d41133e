"""Byte layouts of the bpf(2) attrs and info structs the capture tool writes and reads.

Offsets are those of the running 6.18 kernel: `capture.py --layouts` compiles a C program that
prints offsetof() of every field below, once against the kernel's own BTF (bpftool btf dump of
/sys/kernel/btf/vmlinux) and once against /usr/include/linux/bpf.h for the fields that header has,
and fails if any offset differs from these tables.

Field kinds: u32, s32, u64 (numbers), ptr (a user pointer, __aligned_u64), name (char[16]),
tag (__u8[8], read back as hex). Names follow union bpf_attr: members of a named struct carry
their prefix (`test.retval`, `info.bpf_fd`) and are also reachable by the short name.
"""

# (name, kind, offset)
MAP_CREATE = [
    ('map_type', 'u32', 0), ('key_size', 'u32', 4), ('value_size', 'u32', 8), ('max_entries', 'u32', 12),
    ('map_flags', 'u32', 16), ('inner_map_fd', 'u32', 20), ('numa_node', 'u32', 24), ('map_name', 'name', 28),
    ('map_ifindex', 'u32', 44), ('btf_fd', 'u32', 48), ('btf_key_type_id', 'u32', 52),
    ('btf_value_type_id', 'u32', 56), ('btf_vmlinux_value_type_id', 'u32', 60), ('map_extra', 'u64', 64),
    ('value_type_btf_obj_fd', 's32', 72), ('map_token_fd', 's32', 76),
    ('excl_prog_hash', 'ptr', 80), ('excl_prog_hash_size', 'u32', 88),
]

MAP_ELEM = [('map_fd', 'u32', 0), ('key', 'ptr', 8), ('value', 'ptr', 16), ('flags', 'u64', 24)]
MAP_GET_NEXT_KEY = [('map_fd', 'u32', 0), ('key', 'ptr', 8), ('next_key', 'ptr', 16)]
MAP_FREEZE = [('map_fd', 'u32', 0)]

PROG_LOAD = [
    ('prog_type', 'u32', 0), ('insn_cnt', 'u32', 4), ('insns', 'ptr', 8), ('license', 'ptr', 16),
    ('log_level', 'u32', 24), ('log_size', 'u32', 28), ('log_buf', 'ptr', 32), ('kern_version', 'u32', 40),
    ('prog_flags', 'u32', 44), ('prog_name', 'name', 48), ('prog_ifindex', 'u32', 64),
    ('expected_attach_type', 'u32', 68), ('prog_btf_fd', 'u32', 72), ('func_info_rec_size', 'u32', 76),
    ('func_info', 'ptr', 80), ('func_info_cnt', 'u32', 88), ('line_info_rec_size', 'u32', 92),
    ('line_info', 'ptr', 96), ('line_info_cnt', 'u32', 104), ('attach_btf_id', 'u32', 108),
    ('attach_prog_fd', 'u32', 112), ('core_relo_cnt', 'u32', 116), ('fd_array', 'ptr', 120),
    ('core_relos', 'ptr', 128), ('core_relo_rec_size', 'u32', 136), ('log_true_size', 'u32', 140),
    ('prog_token_fd', 's32', 144), ('fd_array_cnt', 'u32', 148),
    ('signature', 'ptr', 152), ('signature_size', 'u32', 160), ('keyring_id', 's32', 164),
]

OBJ_GET_INFO_BY_FD = [('info.bpf_fd', 'u32', 0), ('info.info_len', 'u32', 4), ('info.info', 'ptr', 8)]

PROG_TEST_RUN = [
    ('test.prog_fd', 'u32', 0), ('test.retval', 'u32', 4), ('test.data_size_in', 'u32', 8),
    ('test.data_size_out', 'u32', 12), ('test.data_in', 'ptr', 16), ('test.data_out', 'ptr', 24),
    ('test.repeat', 'u32', 32), ('test.duration', 'u32', 36), ('test.ctx_size_in', 'u32', 40),
    ('test.ctx_size_out', 'u32', 44), ('test.ctx_in', 'ptr', 48), ('test.ctx_out', 'ptr', 56),
    ('test.flags', 'u32', 64), ('test.cpu', 'u32', 68), ('test.batch_size', 'u32', 72),
]

BTF_LOAD = [
    ('btf', 'ptr', 0), ('btf_log_buf', 'ptr', 8), ('btf_size', 'u32', 16), ('btf_log_size', 'u32', 20),
    ('btf_log_level', 'u32', 24), ('btf_log_true_size', 'u32', 28), ('btf_flags', 'u32', 32),
    ('btf_token_fd', 's32', 36),
]

GET_ID = [('start_id', 'u32', 0), ('next_id', 'u32', 4), ('open_flags', 'u32', 8), ('fd_by_id_token_fd', 's32', 12)]

BPF_MAP_INFO = [
    ('type', 'u32', 0), ('id', 'u32', 4), ('key_size', 'u32', 8), ('value_size', 'u32', 12),
    ('max_entries', 'u32', 16), ('map_flags', 'u32', 20), ('name', 'name', 24), ('ifindex', 'u32', 40),
    ('btf_vmlinux_value_type_id', 'u32', 44), ('netns_dev', 'u64', 48), ('netns_ino', 'u64', 56),
    ('btf_id', 'u32', 64), ('btf_key_type_id', 'u32', 68), ('btf_value_type_id', 'u32', 72),
    ('btf_vmlinux_id', 'u32', 76), ('map_extra', 'u64', 80), ('hash', 'ptr', 88), ('hash_size', 'u32', 96),
]

# gpl_compatible is a 1-bit field; it is read as the u32 holding it (bit 0).
BPF_PROG_INFO = [
    ('type', 'u32', 0), ('id', 'u32', 4), ('tag', 'tag', 8), ('jited_prog_len', 'u32', 16),
    ('xlated_prog_len', 'u32', 20), ('jited_prog_insns', 'ptr', 24), ('xlated_prog_insns', 'ptr', 32),
    ('load_time', 'u64', 40), ('created_by_uid', 'u32', 48), ('nr_map_ids', 'u32', 52), ('map_ids', 'ptr', 56),
    ('name', 'name', 64), ('ifindex', 'u32', 80), ('gpl_compatible', 'u32', 84), ('netns_dev', 'u64', 88),
    ('netns_ino', 'u64', 96), ('nr_jited_ksyms', 'u32', 104), ('nr_jited_func_lens', 'u32', 108),
    ('jited_ksyms', 'ptr', 112), ('jited_func_lens', 'ptr', 120), ('btf_id', 'u32', 128),
    ('func_info_rec_size', 'u32', 132), ('func_info', 'ptr', 136), ('nr_func_info', 'u32', 144),
    ('nr_line_info', 'u32', 148), ('line_info', 'ptr', 152), ('jited_line_info', 'ptr', 160),
    ('nr_jited_line_info', 'u32', 168), ('line_info_rec_size', 'u32', 172),
    ('jited_line_info_rec_size', 'u32', 176), ('nr_prog_tags', 'u32', 180), ('prog_tags', 'ptr', 184),
    ('run_time_ns', 'u64', 192), ('run_cnt', 'u64', 200), ('recursion_misses', 'u64', 208),
    ('verified_insns', 'u32', 216), ('attach_btf_obj_id', 'u32', 220), ('attach_btf_id', 'u32', 224),
]

BPF_BTF_INFO = [
    ('btf', 'ptr', 0), ('btf_size', 'u32', 8), ('id', 'u32', 12), ('name', 'ptr', 16), ('name_len', 'u32', 24),
    ('kernel_btf', 'u32', 28),
]

SIZEOF = {'bpf_map_info': 104, 'bpf_prog_info': 232, 'bpf_btf_info': 32, 'union bpf_attr': 168}

KIND_SIZE = {'u32': 4, 's32': 4, 'u64': 8, 'ptr': 8, 'name': 16, 'tag': 8}

CMDS = {
    'BPF_MAP_CREATE': 0, 'BPF_MAP_LOOKUP_ELEM': 1, 'BPF_MAP_UPDATE_ELEM': 2, 'BPF_MAP_DELETE_ELEM': 3,
    'BPF_MAP_GET_NEXT_KEY': 4, 'BPF_PROG_LOAD': 5, 'BPF_PROG_TEST_RUN': 10, 'BPF_PROG_RUN': 10,
    'BPF_PROG_GET_FD_BY_ID': 13, 'BPF_MAP_GET_FD_BY_ID': 14, 'BPF_OBJ_GET_INFO_BY_FD': 15, 'BPF_BTF_LOAD': 18,
    'BPF_BTF_GET_FD_BY_ID': 19, 'BPF_MAP_LOOKUP_AND_DELETE_ELEM': 21, 'BPF_MAP_FREEZE': 22,
}

ATTR_LAYOUTS = {
    'BPF_MAP_CREATE': MAP_CREATE,
    'BPF_MAP_LOOKUP_ELEM': MAP_ELEM,
    'BPF_MAP_UPDATE_ELEM': MAP_ELEM,
    'BPF_MAP_DELETE_ELEM': MAP_ELEM,
    'BPF_MAP_LOOKUP_AND_DELETE_ELEM': MAP_ELEM,
    'BPF_MAP_GET_NEXT_KEY': MAP_GET_NEXT_KEY,
    'BPF_MAP_FREEZE': MAP_FREEZE,
    'BPF_PROG_LOAD': PROG_LOAD,
    'BPF_OBJ_GET_INFO_BY_FD': OBJ_GET_INFO_BY_FD,
    'BPF_PROG_TEST_RUN': PROG_TEST_RUN,
    'BPF_PROG_RUN': PROG_TEST_RUN,
    'BPF_BTF_LOAD': BTF_LOAD,
    'BPF_PROG_GET_FD_BY_ID': GET_ID,
    'BPF_MAP_GET_FD_BY_ID': GET_ID,
    'BPF_BTF_GET_FD_BY_ID': GET_ID,
}

STRUCT_LAYOUTS = {'bpf_map_info': BPF_MAP_INFO, 'bpf_prog_info': BPF_PROG_INFO, 'bpf_btf_info': BPF_BTF_INFO}

# Commands whose success value is a new fd.
FD_CMDS = {'BPF_MAP_CREATE', 'BPF_PROG_LOAD', 'BPF_BTF_LOAD', 'BPF_PROG_GET_FD_BY_ID', 'BPF_MAP_GET_FD_BY_ID',
           'BPF_BTF_GET_FD_BY_ID'}


class Field:
    __slots__ = ('name', 'kind', 'offset', 'size')

    def __init__(self, name, kind, offset):
        self.name, self.kind, self.offset, self.size = name, kind, offset, KIND_SIZE[kind]


class Layout:
    """A table of fields, found by full name or by the name after the first dot."""

    def __init__(self, name, rows):
        self.name = name
        self.fields = [Field(*r) for r in rows]
        self.by_name = {}
        for f in self.fields:
            self.by_name[f.name] = f
        for f in self.fields:
            if '.' in f.name:
                self.by_name.setdefault(f.name.split('.', 1)[1], f)

    def end(self):
        return max(f.offset + f.size for f in self.fields)


def attr_layout(cmd):
    rows = ATTR_LAYOUTS.get(cmd)
    return Layout(f'union bpf_attr ({cmd})', rows) if rows else None


def struct_layout(name):
    rows = STRUCT_LAYOUTS.get(name)
    return Layout(f'struct {name}', rows) if rows else None


def all_rows():
    """(table, field, kind, offset) for every distinct row, for the offset check and the JSON dump."""
    seen = set()
    out = []
    for cmd, rows in ATTR_LAYOUTS.items():
        for name, kind, off in rows:
            key = ('attr', name)
            if key in seen:
                continue
            seen.add(key)
            out.append(('union bpf_attr', name, kind, off, cmd))
    for sname, rows in STRUCT_LAYOUTS.items():
        for name, kind, off in rows:
            if name == 'gpl_compatible':
                continue  # a bit-field: offsetof() does not apply; checked through its neighbours
            out.append((f'struct {sname}', name, kind, off, sname))
    return out
