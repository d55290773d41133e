#!/usr/bin/env python3
"""Write the capture plans in plans/ (one JSON file per case).

A plan is a bpfsig-transcript/1 file whose steps have no `expect`; `record` lists the `out` keys
to capture. The programs are written here as instructions so that each case says what it tests;
digests for exclusive maps are computed here from those bytes (DIG-2: a BPF_PSEUDO_MAP_FD or
BPF_PSEUDO_MAP_VALUE immediate is hashed as zero). Fixture blobs are referenced by path, never
inlined; the few offsets into them (a map name to flip) are looked up in the fixture files.

    make_plans.py [--shared DIR]     (default: $BPFSIG_SHARED or /work/shared)
"""

import argparse
import hashlib
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PLANS = os.path.join(HERE, 'plans')

# ---- instructions (RFC 9669 encoding; spec UAPI-LAYOUT-8, UAPI-CONST-11) -------------------------


def insn(code, dst=0, src=0, off=0, imm=0):
    return struct.pack('<BBhi', code, (src << 4) | dst, off, imm)


def mov64_imm(dst, imm):
    return insn(0xb7, dst, 0, 0, imm)


def mov64_reg(dst, src):
    return insn(0xbf, dst, src)


def add64_imm(dst, imm):
    return insn(0x07, dst, 0, 0, imm)


def ldx(size, dst, src, off):
    return insn({1: 0x71, 2: 0x69, 4: 0x61, 8: 0x79}[size], dst, src, off)


def stx(size, dst, src, off):
    return insn({1: 0x73, 2: 0x6b, 4: 0x63, 8: 0x7b}[size], dst, src, off)


def ld_imm64(dst, src, imm, imm2=0):
    return insn(0x18, dst, src, 0, imm) + insn(0, 0, 0, 0, imm2)


def call(helper):
    return insn(0x85, 0, 0, 0, helper)


def ja(off):
    return insn(0x05, 0, 0, off)


def exit_():
    return insn(0x95)


PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, PSEUDO_MAP_IDX = 1, 2, 5
RET0 = mov64_imm(0, 0) + exit_()


def prog_digest(b):
    """bpf_prog_calc_tag's SHA-256: MAP_FD / MAP_VALUE ld_imm64 immediates count as zero (DIG-2, DIG-3)."""
    b = bytearray(b)
    i = 0
    while i < len(b) // 8:
        code, regs = b[8 * i], b[8 * i + 1]
        if code == 0x18 and (regs >> 4) in (PSEUDO_MAP_FD, PSEUDO_MAP_VALUE):
            b[8 * i + 4:8 * i + 8] = bytes(4)
            b[8 * i + 12:8 * i + 16] = bytes(4)
            i += 2
            continue
        i += 2 if code == 0x18 else 1
    return hashlib.sha256(bytes(b)).digest()


def hx(b):
    """Hex with a space between instructions (the replayer and the capture tool ignore spaces)."""
    return ' '.join(b[i:i + 8].hex() for i in range(0, len(b), 8))


# ---- step builders ------------------------------------------------------------------------------

SOCKET_FILTER, TRACEPOINT, SYSCALL = 1, 5, 31
BPF_F_SLEEPABLE = 16
JUNK_SIG = {'buf_len': 64, 'fill': 'ee'}
LOG = {'buf_len': 4096}


def prog_load(id_, code, prog_type=SOCKET_FILTER, license='GPL', size=168, record=None, note=None, **attr):
    a = {'prog_type': prog_type, 'insn_cnt': len(code) // 8, 'insns': {'buf': hx(code)}}
    if license is not None:
        a['license'] = {'str': license} if isinstance(license, str) else license
    a.update(attr)
    return step(id_, 'BPF_PROG_LOAD', size, a, record, note)


def with_log(level=1, size=4096, **attr):
    attr.update({'log_level': level, 'log_size': size, 'log_buf': {'buf_len': size}})
    return attr


def step(id_, cmd, size, attr, record=None, note=None):
    s = {'id': id_, 'cmd': cmd, 'attr_size': size, 'attr': attr}
    if record:
        s['record'] = record
    if note:
        s['note'] = note
    return s


def map_create(id_, map_type=2, key=4, value=8, max_entries=1, name=None, size=92, record=None, note=None, **attr):
    a = {'map_type': map_type, 'key_size': key, 'value_size': value, 'max_entries': max_entries}
    if name:
        a['map_name'] = name
    a.update(attr)
    return step(id_, 'BPF_MAP_CREATE', size, a, record, note)


def close(id_, ref):
    return {'id': id_, 'cmd': 'close', 'fd': ref if isinstance(ref, dict) else {'fd': ref}}


def dup2(id_, ref, newfd, note=None):
    s = {'id': id_, 'cmd': 'dup2', 'fd': {'fd': ref}, 'newfd': newfd}
    if note:
        s['note'] = note
    return s


def add_key(id_, type_, description, payload, keyring, note=None):
    s = {'id': id_, 'cmd': 'add_key', 'type': type_, 'description': description, 'payload': payload, 'keyring': keyring}
    if note:
        s['note'] = note
    return s


def get_info(id_, fd, struct_name, info_len, buf_len=None, fields=None, record=None, note=None, buf=None):
    info = {'buf': buf} if buf is not None else {'buf_len': buf_len if buf_len is not None else info_len}
    info['struct'] = struct_name
    if fields:
        info['fields'] = fields
    return step(id_, 'BPF_OBJ_GET_INFO_BY_FD', 16, {'bpf_fd': fd, 'info_len': info_len, 'info': info}, record, note)


def test_run(id_, prog, record=None, note=None, **attr):
    a = {'test.prog_fd': prog if isinstance(prog, (dict, int)) else {'fd': prog}}
    a.update({('test.' + k if not k.startswith('test.') else k): v for k, v in attr.items()})
    return step(id_, 'BPF_PROG_TEST_RUN', 80, a, record, note)


MAP_INFO_KEYS = ['info_len', 'info.type', 'info.key_size', 'info.value_size', 'info.max_entries', 'info.map_flags',
                 'info.name', 'info.btf_key_type_id', 'info.btf_value_type_id']
PROG_INFO_KEYS = ['info_len', 'info.type', 'info.name', 'info.tag', 'info.nr_map_ids', 'info.gpl_compatible',
                  'info.created_by_uid']


def plan(name, description, notes, steps, root='shared/fixtures'):
    return name, {'format': 'bpfsig-transcript/1', 'case': name, 'description': description, 'root': root,
                  'notes': notes, 'steps': steps}


IDS_NOTE = ('Object ids are global on a real kernel (they depend on everything the machine loaded before), so '
            'no id, map_ids entry, btf_id or load_time is recorded; counts, names, types and tags are.')

# ---- prog_load_order.json: OBS-LOAD-1..4, OBS-PROF-2/3 ---------------------------------------------


def plan_prog_load_order():
    def base(id_, note=None, record=None, code=RET0, **attr):
        return prog_load(id_, code, note=note, record=record, **attr)

    def signed(id_, note=None, record=None, code=RET0, sig=JUNK_SIG, size=64, keyring=0, **attr):
        return base(id_, note=note, record=record, code=code, signature=sig, signature_size=size,
                    keyring_id=keyring, **attr)

    tail = bytearray(176)
    struct.pack_into('<II', tail, 0, SOCKET_FILTER, 2)
    tail_nz = bytearray(tail)
    tail_nz[170] = 1
    lic_patch = {'offset': 16, 'str': 'GPL'}
    steps = [
        {'id': 'attr_176_nonzero_byte_170', 'cmd': 'BPF_PROG_LOAD', 'attr_size': 176, 'attr_hex': tail_nz.hex(),
         'patch': [{'offset': 8, 'buf': hx(RET0)}, lic_patch],
         'note': 'SYS-1: bytes past sizeof(union bpf_attr) = 168 must be zero'},
        {'id': 'attr_176_zero_tail', 'cmd': 'BPF_PROG_LOAD', 'attr_size': 176, 'attr_hex': tail.hex(),
         'patch': [{'offset': 8, 'buf': hx(RET0)}, lic_patch], 'note': 'control: a zero tail is accepted'},
        signed('insn_cnt_0_junk_sig', code=b'', note='CAP-2 comes before the signature'),
        base('insn_cnt_0_no_sig', code=b''),
        signed('unknown_prog_flags_junk_sig', prog_flags=1 << 20, note='LOAD-2 comes before the signature'),
        base('unknown_prog_flags_no_sig', prog_flags=1 << 20),
        signed('sig_size_8192_junk', sig={'buf_len': 8192, 'fill': 'ee'}, size=8192,
               note='STB-1 bound: 8192 passes, then PKCS#7 verification: EOPNOTSUPP without CONFIG_SYSTEM_DATA_VERIFICATION'),
        signed('sig_size_8193_junk', sig={'buf_len': 8193, 'fill': 'ee'}, size=8193),
        signed('sig_size_8193_unreadable', sig={'fault': True}, size=8193, note='the bound comes before the copy'),
        signed('keyring_3_junk_sig', keyring=3, note='a keyring id that resolves to nothing'),
        signed('keyring_12345_junk_sig', keyring=12345),
        signed('keyring_12345_unreadable_sig', keyring=12345, sig={'fault': True}, note='keyring lookup before the copy'),
        signed('keyring_0_junk_sig', keyring=0, note='builtin keyring'),
        signed('keyring_1_junk_sig', keyring=1, note='VERIFY_USE_SECONDARY_KEYRING'),
        signed('keyring_2_junk_sig', keyring=2, note='VERIFY_USE_PLATFORM_KEYRING'),
        signed('keyring_-1_junk_sig', keyring=-1, note='KEY_SPEC_THREAD_KEYRING: this thread has none'),
        signed('keyring_-2_junk_sig_no_process_keyring', keyring=-2,
               note='KEY_SPEC_PROCESS_KEYRING before anything was added to it'),
        signed('keyring_-3_junk_sig', keyring=-3, note='KEY_SPEC_SESSION_KEYRING (the capture joins a fresh one)'),
        signed('keyring_-4_junk_sig', keyring=-4, note='KEY_SPEC_USER_KEYRING'),
        signed('keyring_-5_junk_sig', keyring=-5, note='KEY_SPEC_USER_SESSION_KEYRING'),
        signed('keyring_-6_junk_sig', keyring=-6, note='KEY_SPEC_GROUP_KEYRING (not implemented by the kernel)'),
        signed('keyring_-7_junk_sig', keyring=-7, note='KEY_SPEC_REQKEY_AUTH_KEY (no request_key in progress)'),
        add_key('ring', 'keyring', 'bpfsig-capture-ring', None, 'KEY_SPEC_PROCESS_KEYRING'),
        add_key('cert', 'asymmetric', None, {'file': 'keys/signing-rsa2048/cert.der'}, {'key': 'ring'}),
        signed('keyring_user_ring_junk_sig', keyring={'key': 'ring'}, note='a user keyring holding the signing cert'),
        signed('keyring_-2_junk_sig_after_add_key', keyring=-2, note='the process keyring exists now'),
        signed('keyring_is_the_cert_key_junk_sig', keyring={'key': 'cert'},
               note='a key that is not a keyring, named as keyring_id'),
        signed('sig_unreadable_keyring_0', sig={'fault': True}, note='OBS-PROF-3: ENOMEM, not EFAULT (STB-3 absent)'),
        signed('sig_size_0_keyring_0', size=0, note='KP-Q-3: signature set, signature_size 0'),
        base('sig_0_size_100', signature=0, signature_size=100, note='OBS-LOAD-4: signature = 0 makes the other two irrelevant'),
        base('sig_0_keyring_12345', signature=0, keyring_id=12345),
        base('sig_0_size_100_keyring_3', signature=0, signature_size=100, keyring_id=3),
        base('prog_type_0x7fff_no_sig', prog_type=0x7fff, record=['log_buf'], **with_log()),
        signed('prog_type_0x7fff_junk_sig', prog_type=0x7fff, note='OBS-LOAD-3: the type lookup comes after the signature'),
        base('sleepable_socket_filter_no_sig', prog_flags=BPF_F_SLEEPABLE, record=['log_buf'], **with_log()),
        signed('sleepable_socket_filter_junk_sig', prog_flags=BPF_F_SLEEPABLE),
        base('verifier_reject_no_sig', code=exit_(), record=['log_buf', 'log_true_size'], **with_log(),
             note='R0 is never written'),
        signed('verifier_reject_junk_sig', code=exit_(), record=['log_buf', 'log_true_size'], **with_log(),
               note='OBS-LOAD-5: a failed signed load writes no verifier log'),
        signed('good_prog_junk_sig_with_log', record=['log_buf', 'log_true_size'], **with_log()),
    ]
    return plan('prog_load_order', 'BPF_PROG_LOAD: the order of the attr, signature, keyring, type and verifier checks on 6.18.44 (OBS-LOAD-1..5)',
                ['Base program: SOCKET_FILTER `r0 = 0; exit`, license GPL, attr size 168; "junk sig" is 64 bytes of 0xee, keyring_id 0.',
                 'The capture joins a fresh named session keyring first, so KEY_SPEC_SESSION_KEYRING exists; the process keyring exists only after the add_key step.',
                 'CONFIG_SYSTEM_DATA_VERIFICATION is off: every load that reaches PKCS#7 verification ends in EOPNOTSUPP.'],
                steps)


# ---- prog_load_basic.json: structural verifier checks, licenses, logs, names ------------------------


def plan_prog_load_basic():
    bad_lddw2 = insn(0x18, 0, 0, 0, 1) + insn(0x18, 0, 0, 0, 0) + exit_()
    steps = [
        prog_load('sf_gpl_log1', RET0, record=['log_buf', 'log_true_size'], **with_log(1), prog_name='sf_gpl'),
        prog_load('sf_gpl_log2', RET0, record=['log_buf', 'log_true_size'], **with_log(2)),
        prog_load('sf_gpl_log4_stats', RET0, **with_log(4),
                  note='BPF_LOG_STATS prints the verification time in usec, which varies: the log is not recorded'),
        prog_load('sf_gpl_no_log', RET0, record=['log_true_size']),
        prog_load('sf_proprietary', RET0, license='Proprietary'),
        prog_load('sf_license_empty', RET0, license=''),
        prog_load('sf_license_unreadable', RET0, license={'fault': True}),
        prog_load('sf_license_null', RET0, license=None, note='license pointer 0'),
        prog_load('sf_gpl_only_helper_non_gpl', call(6) + RET0, license='Proprietary', record=['log_buf'], **with_log(),
                  note='bpf_trace_printk is gpl_only'),
        prog_load('sf_gpl_only_helper_gpl_no_args', call(6) + RET0, record=['log_buf'], **with_log(),
                  note='the same call from a GPL program fails on its arguments instead'),
        prog_load('sf_helper_sys_bpf', call(166) + RET0, record=['log_buf'], **with_log(),
                  note='bpf_sys_bpf is not available to SOCKET_FILTER'),
        prog_load('sf_helper_copy_from_user', call(148) + RET0, record=['log_buf'], **with_log()),
        prog_load('sf_helper_unknown_99999', call(99999) + RET0, record=['log_buf'], **with_log()),
        prog_load('syscall_helper_skb_load_bytes', call(26) + RET0, prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE,
                  record=['log_buf'], **with_log()),
        prog_load('syscall_sleepable_ok', RET0, prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE, record=['log_buf'], **with_log()),
        prog_load('syscall_not_sleepable', RET0, prog_type=SYSCALL, record=['log_buf'], **with_log()),
        prog_load('syscall_proprietary', RET0, prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE, license='Proprietary'),
        prog_load('bad_opcode_0xff', insn(0xff) + RET0, record=['log_buf'], **with_log()),
        prog_load('jmp32_ja_imm_0', insn(0x06) + RET0, record=['log_buf'], **with_log(),
                  note='0x06 is BPF_JMP32|BPF_JA (gotol, offset in imm): a valid jump by 0'),
        prog_load('mov_reserved_src', insn(0xb7, 0, 1, 0, 0) + exit_(), record=['log_buf'], **with_log()),
        prog_load('exit_reserved_imm', mov64_imm(0, 0) + insn(0x95, 0, 0, 0, 1), record=['log_buf'], **with_log()),
        prog_load('div_by_zero_imm', mov64_imm(0, 1) + insn(0x37, 0, 0, 0, 0) + exit_(), record=['log_buf'], **with_log()),
        prog_load('ja_out_of_range', ja(5) + RET0, record=['log_buf'], **with_log()),
        prog_load('ja_minus_1_first', ja(-1) + RET0, record=['log_buf'], **with_log(),
                  note='a jump to itself: what follows is unreachable'),
        prog_load('infinite_loop', mov64_imm(0, 0) + insn(0x15, 0, 0, -1, 0) + exit_(), record=['log_buf'], **with_log(),
                  note='`if r0 == 0 goto +-1` with r0 = 0: the same state comes back'),
        prog_load('fall_off_the_end', mov64_imm(0, 0), record=['log_buf'], **with_log()),
        prog_load('unreachable_insn', RET0 + exit_(), record=['log_buf'], **with_log()),
        prog_load('lddw_split_at_end', RET0 + insn(0x18, 0, 0, 0, 1), record=['log_buf'], **with_log(),
                  note='a ld_imm64 whose second half is missing'),
        prog_load('lddw_bad_second_half', bad_lddw2, record=['log_buf'], **with_log()),
        prog_load('ja_over_lddw', ja(2) + ld_imm64(0, 0, 7) + RET0, record=['log_buf'], **with_log(),
                  note='the ld_imm64 is never reached'),
        prog_load('jump_into_lddw_middle', insn(0x15, 1, 0, 1, 0) + ld_imm64(0, 0, 7) + exit_(), record=['log_buf'], **with_log(),
                  note='`if r1 == 0 goto +1` lands on the second half of the ld_imm64'),
        prog_load('lddw_ok', ld_imm64(0, 0, 7, 1) + exit_(), record=['log_buf'], **with_log()),
        prog_load('read_uninit_r2', mov64_reg(0, 2) + exit_(), record=['log_buf'], **with_log()),
        prog_load('write_r10', mov64_imm(10, 0) + RET0, record=['log_buf'], **with_log()),
        prog_load('log_size_16_ok_prog', RET0, record=['log_buf', 'log_true_size'], **with_log(1, 16),
                  note='the log does not fit: the rotating log keeps its last 15 bytes'),
        prog_load('log_size_16_fixed_ok_prog', RET0, record=['log_buf', 'log_true_size'], **with_log(1 | 8, 16),
                  note='BPF_LOG_FIXED keeps the first 15 bytes'),
        prog_load('log_size_16_failing_prog', exit_(), record=['log_buf', 'log_true_size'], **with_log(1, 16)),
        prog_load('log_size_16_bad_opcode', insn(0xff) + RET0, record=['log_buf', 'log_true_size'], **with_log(1, 16),
                  note='a structural error whose message alone fits: which errno wins, the verifier\'s or the log\'s?'),
        prog_load('log_level_without_buf', RET0, log_level=1),
        prog_load('log_buf_without_level', RET0, log_size=4096, log_buf={'buf_len': 4096}),
        prog_load('log_level_0x20', RET0, **with_log(0x20)),
        prog_load('log_size_above_uint_max_4', RET0, log_level=1, log_size=(0xFFFFFFFF >> 2) + 1, log_buf={'buf_len': 16}),
        prog_load('log_buf_unreadable', RET0, log_level=1, log_size=4096, log_buf={'fault': True}),
        prog_load('prog_name_dash', RET0, prog_name='bad-name'),
        prog_load('prog_name_dot_underscore', RET0, prog_name='a.b_c9'),
        prog_load('prog_name_16_chars_no_nul', RET0, prog_name='abcdefghijklmnop'),
        prog_load('prog_name_15_chars', RET0, prog_name='abcdefghijklmno'),
        prog_load('insn_cnt_1000001', RET0, insn_cnt=1000001, insns={'fault': True}, note='the count is checked before the copy'),
        prog_load('insns_unreadable', RET0, insns={'fault': True}),
        prog_load('attr_size_128_libbpf_1_1', RET0, size=128, note='the PROG_LOAD size libbpf 1.1 passes'),
        prog_load('expected_attach_type_on_socket_filter', RET0, expected_attach_type=5),
        prog_load('kern_version_ignored', RET0, kern_version=0x12345),
    ]
    return plan('prog_load_basic', 'BPF_PROG_LOAD without a signature: licenses, helpers, structural verifier checks, the verifier log and prog_name',
                ['Short programs only: the verifier log text is recorded where the kernel writes one.',
                 'log buffers are 4096 zero bytes unless the step says otherwise; log_buf is the text up to the first NUL.'],
                steps)


# ---- excl_maps.json: OBS-EXCL-1..5 ----------------------------------------------------------------


def plan_excl_maps():
    fd_a = 10
    prog_a = ld_imm64(1, PSEUDO_MAP_FD, fd_a) + RET0                      # references the map by fd 10
    prog_b = ld_imm64(1, PSEUDO_MAP_FD, fd_a) + mov64_imm(0, 1) + exit_()  # another program, same map
    prog_a11 = ld_imm64(1, PSEUDO_MAP_FD, 11) + RET0                      # A, naming fd 11
    prog_idx1 = ld_imm64(1, PSEUDO_MAP_IDX, 1) + RET0                     # by fd_array index 1 (not zeroed, DIG-3)
    dig_a = prog_digest(prog_a)
    assert dig_a == prog_digest(prog_a11)
    raw_a11 = hashlib.sha256(prog_a11).digest()
    raw_idx1 = hashlib.sha256(prog_idx1).digest()
    zeroed_idx1 = hashlib.sha256(ld_imm64(1, PSEUDO_MAP_IDX, 0) + RET0).digest()
    info_rec = PROG_INFO_KEYS
    steps = [
        map_create('array_excl_a', name='excl_arr', excl_prog_hash={'buf': dig_a.hex()}, excl_prog_hash_size=32,
                   note='ARRAY exclusive to program A (digest with the MAP_FD immediate zeroed)'),
        dup2('array_excl_a_fd10', 'array_excl_a', fd_a, note='program A embeds fd 10 in its ld_imm64'),
        prog_load('load_a', prog_a, prog_name='excl_prog_a', record=['log_buf'], **with_log()),
        prog_load('load_a_again', prog_a, prog_name='excl_prog_a2', note='exclusivity is per hash, not per program object'),
        prog_load('load_b_refused', prog_b, prog_name='excl_prog_b', record=['log_buf', 'log_true_size'], **with_log()),
        prog_load('load_b_junk_sig', prog_b, signature=JUNK_SIG, signature_size=64, keyring_id=0,
                  note='OBS-LOAD-3: with a signature the load stops at verification (EOPNOTSUPP) first'),
        get_info('info_prog_a', {'fd': 'load_a'}, 'bpf_prog_info', 232, record=info_rec,
                 note='OBS-EXCL-5: tag = first 8 bytes of the digest'),
        step('update_excl_array', 'BPF_MAP_UPDATE_ELEM', 32,
             {'map_fd': {'fd': 'array_excl_a'}, 'key': {'buf': '00000000'}, 'value': {'buf': '1122334455667788'}},
             note='OBS-EXCL-3: userspace access is not restricted'),
        step('lookup_excl_array', 'BPF_MAP_LOOKUP_ELEM', 32,
             {'map_fd': {'fd': 'array_excl_a'}, 'key': {'buf': '00000000'}, 'value': {'buf_len': 8, 'fill': 'ee'}},
             record=['value']),
        map_create('array_excl_a_raw', name='excl_raw', excl_prog_hash={'buf': raw_a11.hex()}, excl_prog_hash_size=32,
                   note='exclusive to SHA-256 of the insns as sent (fd 11 in the immediate)'),
        dup2('array_excl_a_raw_fd11', 'array_excl_a_raw', 11),
        prog_load('load_a11_refused_raw_hash', prog_a11, record=['log_buf'], **with_log(),
                  note='OBS-EXCL-4: the kernel hashes with the immediate zeroed, so the raw hash does not match'),
        map_create('hash_excl_a', map_type=1, max_entries=4, name='excl_hash', excl_prog_hash={'buf': dig_a.hex()},
                   excl_prog_hash_size=32),
        dup2('hash_excl_a_fd10', 'hash_excl_a', fd_a, note='fd 10 now names the HASH map (the ARRAY stays open as array_excl_a)'),
        prog_load('load_a_on_hash', prog_a, prog_name='excl_prog_ah'),
        prog_load('load_b_on_hash_refused', prog_b, record=['log_buf'], **with_log()),
        map_create('plain_array', name='plain'),
        map_create('array_excl_idx1_raw', name='excl_idx', excl_prog_hash={'buf': raw_idx1.hex()}, excl_prog_hash_size=32,
                   note='MAP_IDX immediates are hashed as sent (DIG-3)'),
        prog_load('load_idx1', prog_idx1, fd_array={'fd_array': ['plain_array', 'array_excl_idx1_raw']}),
        map_create('array_excl_idx1_zeroed', name='excl_idx0', excl_prog_hash={'buf': zeroed_idx1.hex()}, excl_prog_hash_size=32),
        prog_load('load_idx1_on_zeroed_hash_refused', prog_idx1, fd_array={'fd_array': ['plain_array', 'array_excl_idx1_zeroed']},
                  record=['log_buf'], **with_log()),
        dup2('array_excl_a_fd10_again', 'array_excl_a', fd_a, note='fd 10 names the ARRAY exclusive to A again'),
        prog_load('syscall_type_with_a_insns', prog_a, prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE,
                  note='the digest covers the instructions only: a SYSCALL program with A\'s instructions is accepted'),
        prog_load('order_not_sleepable_vs_excl', prog_b, prog_type=SYSCALL, record=['log_buf'], **with_log(),
                  note='two faults: which check comes first, the attach/sleepable check or the exclusive-map check'),
        prog_load('order_unreachable_vs_excl', prog_b + exit_(), record=['log_buf'], **with_log()),
        prog_load('order_jump_range_vs_excl', ld_imm64(1, PSEUDO_MAP_FD, fd_a) + ja(5) + RET0, record=['log_buf'], **with_log()),
        prog_load('order_fall_off_end_vs_excl', ld_imm64(1, PSEUDO_MAP_FD, fd_a) + mov64_imm(0, 1), record=['log_buf'], **with_log()),
        prog_load('order_unknown_helper_vs_excl', ld_imm64(1, PSEUDO_MAP_FD, fd_a) + call(99999) + RET0, record=['log_buf'], **with_log()),
        prog_load('order_bad_opcode_vs_excl', ld_imm64(1, PSEUDO_MAP_FD, fd_a) + insn(0xff) + RET0, record=['log_buf'], **with_log()),
        prog_load('order_bad_opcode_before_map_vs_excl', insn(0xff) + ld_imm64(1, PSEUDO_MAP_FD, fd_a) + RET0, record=['log_buf'], **with_log(),
                  note='the same two faults in the other instruction order'),
        map_create('create_excl_size_16', excl_prog_hash={'buf': dig_a.hex()}, excl_prog_hash_size=16),
        map_create('create_excl_size_64', excl_prog_hash={'buf': dig_a.hex() * 2}, excl_prog_hash_size=64),
        map_create('create_excl_null_size_32', excl_prog_hash=0, excl_prog_hash_size=32),
        map_create('create_excl_unreadable', excl_prog_hash={'fault': True}, excl_prog_hash_size=32),
        map_create('create_excl_attr_88', size=88, excl_prog_hash={'buf': dig_a.hex()},
                   note='attr size 88: the pointer is passed, excl_prog_hash_size is not'),
        map_create('create_excl_percpu_array', map_type=6, excl_prog_hash={'buf': dig_a.hex()}, excl_prog_hash_size=32,
                   note='any map type can be exclusive (EXCL-2)'),
        map_create('create_excl_attr_80_libbpf_old', size=80, name='old80', note='control: the pre-6.18 MAP_CREATE size'),
    ]
    return plan('excl_maps', 'Exclusive maps: who may use them, the digest they compare, creation errors (OBS-EXCL-1..5)',
                ['Programs are SOCKET_FILTER with license GPL. Program A = `r1 = ld_imm64 BPF_PSEUDO_MAP_FD(10); r0 = 0; exit`; B is A with r0 = 1.',
                 'Digests were computed by tools/capture/make_plans.py with the MAP_FD immediate zeroed (DIG-2).',
                 IDS_NOTE],
                steps)


# ---- prog_info.json ------------------------------------------------------------------------------


def plan_prog_info():
    two_maps = ld_imm64(1, PSEUDO_MAP_FD, 10) + ld_imm64(2, PSEUDO_MAP_FD, 11) + RET0
    pre = bytearray(b'\xee' * 240)
    nz_tail = bytearray(240)
    nz_tail[236] = 1
    steps = [
        prog_load('load_plain', RET0, prog_name='pi_plain'),
        map_create('map_a', name='pi_map_a'),
        map_create('map_b', map_type=1, max_entries=2, name='pi_map_b'),
        dup2('map_a_fd10', 'map_a', 10),
        dup2('map_b_fd11', 'map_b', 11),
        prog_load('load_two_maps', two_maps, license='Proprietary', prog_name='pi_two_maps'),
        get_info('full_plain', {'fd': 'load_plain'}, 'bpf_prog_info', 232,
                 record=PROG_INFO_KEYS + ['info.nr_func_info', 'info.nr_line_info', 'info.btf_id', 'info.ifindex']),
        get_info('full_two_maps', {'fd': 'load_two_maps'}, 'bpf_prog_info', 232, record=PROG_INFO_KEYS),
        get_info('info_len_16', {'fd': 'load_plain'}, 'bpf_prog_info', 16, buf=pre[:232].hex(),
                 record=['info_len', 'info.type', 'info.tag', 'info.xlated_prog_len'],
                 note='only 16 bytes are written: xlated_prog_len keeps the 0xee fill'),
        get_info('info_len_8', {'fd': 'load_plain'}, 'bpf_prog_info', 8, buf=pre[:232].hex(),
                 record=['info_len', 'info.type', 'info.tag']),
        get_info('info_len_0', {'fd': 'load_plain'}, 'bpf_prog_info', 0, buf_len=232, record=['info_len', 'info.type']),
        get_info('info_len_240_zero_tail', {'fd': 'load_plain'}, 'bpf_prog_info', 240, buf_len=240,
                 record=['info_len', 'info.type', 'info.name']),
        get_info('info_len_240_nonzero_tail', {'fd': 'load_plain'}, 'bpf_prog_info', 240, buf=nz_tail.hex()),
        get_info('info_len_4097', {'fd': 'load_plain'}, 'bpf_prog_info', 4097, buf_len=4097),
        step('info_unreadable', 'BPF_OBJ_GET_INFO_BY_FD', 16, {'bpf_fd': {'fd': 'load_plain'}, 'info_len': 232, 'info': {'fault': True}}),
        get_info('map_ids_nr_1_of_2', {'fd': 'load_two_maps'}, 'bpf_prog_info', 232,
                 fields={'nr_map_ids': 1, 'map_ids': {'buf_len': 8, 'fill': 'ee'}}, record=['info_len', 'info.nr_map_ids'],
                 note='the kernel reports the real count (2) and copies min(1, 2) ids (ids are global: not recorded)'),
        get_info('map_ids_nr_0_with_ptr', {'fd': 'load_two_maps'}, 'bpf_prog_info', 232,
                 fields={'nr_map_ids': 0, 'map_ids': {'buf_len': 8, 'fill': 'ee'}}, record=['info.nr_map_ids', 'info.map_ids']),
        get_info('map_ids_unreadable', {'fd': 'load_two_maps'}, 'bpf_prog_info', 232,
                 fields={'nr_map_ids': 2, 'map_ids': {'fault': True}}),
        get_info('xlated_dump_plain', {'fd': 'load_plain'}, 'bpf_prog_info', 232,
                 fields={'xlated_prog_len': 16, 'xlated_prog_insns': {'buf_len': 16, 'fill': 'ee'}},
                 record=['info.xlated_prog_len', 'info.xlated_prog_insns'],
                 note='the translated program of `r0 = 0; exit` is the program itself'),
        get_info('xlated_dump_short_buffer', {'fd': 'load_plain'}, 'bpf_prog_info', 232,
                 fields={'xlated_prog_len': 8, 'xlated_prog_insns': {'buf_len': 8, 'fill': 'ee'}},
                 record=['info.xlated_prog_len', 'info.xlated_prog_insns']),
        get_info('verifier_dependent_fields', {'fd': 'load_two_maps'}, 'bpf_prog_info', 232,
                 record=['info.xlated_prog_len', 'info.verified_insns'],
                 note='what the verifier produced: translated length and processed instruction count'),
        get_info('jit_dependent_fields', {'fd': 'load_two_maps'}, 'bpf_prog_info', 232,
                 record=['info.jited_prog_len', 'info.nr_jited_ksyms', 'info.nr_jited_func_lens'],
                 note='what the x86-64 JIT produced (CONFIG_BPF_JIT_ALWAYS_ON)'),
        step('bpf_fd_999', 'BPF_OBJ_GET_INFO_BY_FD', 16, {'bpf_fd': 999, 'info_len': 232, 'info': {'buf_len': 232}}),
        step('bpf_fd_0_stdin', 'BPF_OBJ_GET_INFO_BY_FD', 16, {'bpf_fd': 0, 'info_len': 232, 'info': {'buf_len': 232}}),
    ]
    return plan('prog_info', 'BPF_OBJ_GET_INFO_BY_FD on programs: lengths, tail, map ids, translated and JITed sizes, tag',
                ['pi_plain = SOCKET_FILTER `r0 = 0; exit` (GPL); pi_two_maps = SOCKET_FILTER referencing an ARRAY (fd 10) and a HASH (fd 11) by BPF_PSEUDO_MAP_FD, license Proprietary.',
                 IDS_NOTE + ' Ids were seen increasing in load order on the real kernel; the transcript does not record them.',
                 'jited_prog_len, nr_jited_ksyms and nr_jited_func_lens depend on the JIT; xlated_prog_len and verified_insns on the verifier: each group has its own step.'],
                steps)


# ---- test_run.json: PROG_TEST_RUN of SYSCALL programs (TRUN-1..5) ------------------------------------


def plan_test_run():
    ret7 = mov64_imm(0, 7) + exit_()
    ctx_rw = ldx(4, 2, 1, 0) + add64_imm(2, 1) + stx(4, 1, 2, 4) + mov64_reg(0, 2) + exit_()
    ctx_byte_100 = ldx(1, 0, 1, 100) + exit_()
    copy_user = (mov64_reg(6, 1) + mov64_reg(1, 10) + add64_imm(1, -8) + mov64_imm(2, 8) + ldx(8, 3, 6, 0)
                 + call(148) + ldx(8, 0, 10, -8) + exit_())
    steps = [
        prog_load('load_ret7_not_sleepable', ret7, prog_type=SYSCALL, record=['log_buf'], **with_log(),
                  note='a SYSCALL program must be sleepable'),
        prog_load('load_ret7', ret7, prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE, prog_name='tr_ret7'),
        prog_load('load_ctx_rw', ctx_rw, prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE, prog_name='tr_ctx_rw'),
        prog_load('load_ctx_byte_100', ctx_byte_100, prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE),
        prog_load('load_ret_minus_22', mov64_imm(0, -22) + exit_(), prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE),
        prog_load('load_copy_from_user', copy_user, prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE),
        test_run('ret7_no_ctx', 'load_ret7', record=['test.retval']),
        test_run('ret7_ctx_8', 'load_ret7', ctx_size_in=8, ctx_in={'buf': '0100000002000000'}, record=['test.retval', 'test.ctx_in']),
        test_run('ctx_rw_no_ctx', 'load_ctx_rw', note='the program reads 8 bytes of ctx: size 0 is below max_ctx_offset'),
        test_run('ctx_rw_size_4', 'load_ctx_rw', ctx_size_in=4, ctx_in={'buf': '05000000'}),
        test_run('ctx_rw_size_8', 'load_ctx_rw', ctx_size_in=8, ctx_in={'buf': '05000000eeeeeeee'}, record=['test.retval', 'test.ctx_in'],
                 note='the ctx written by the program is copied back to ctx_in'),
        test_run('ctx_rw_size_9', 'load_ctx_rw', ctx_size_in=9, ctx_in={'buf': '0a00000000000000ff'}, record=['test.retval', 'test.ctx_in'],
                 note='no alignment or multiple-of rule'),
        test_run('ctx_rw_size_65535', 'load_ctx_rw', ctx_size_in=65535, ctx_in={'buf_len': 65535}, record=['test.retval']),
        test_run('ctx_rw_size_65536', 'load_ctx_rw', ctx_size_in=65536, ctx_in={'buf_len': 65536}),
        test_run('ctx_rw_unreadable', 'load_ctx_rw', ctx_size_in=8, ctx_in={'fault': True}),
        test_run('ctx_rw_null_ctx_size_8', 'load_ctx_rw', ctx_size_in=8, ctx_in=0),
        test_run('ctx_byte_100_size_100', 'load_ctx_byte_100', ctx_size_in=100, ctx_in={'buf_len': 100}),
        test_run('ctx_byte_100_size_101', 'load_ctx_byte_100', ctx_size_in=101, ctx_in={'buf_len': 101, 'fill': '2a'}, record=['test.retval']),
        test_run('data_in_given', 'load_ret7', data_size_in=8, data_in={'buf': '0000000000000000'}),
        test_run('data_size_in_only', 'load_ret7', data_size_in=8, record=['test.retval']),
        test_run('data_out_given', 'load_ret7', data_size_out=8, data_out={'buf_len': 8}),
        test_run('ctx_out_given', 'load_ret7', ctx_size_out=8, ctx_out={'buf_len': 8}),
        test_run('ctx_size_out_only', 'load_ret7', ctx_size_out=8, record=['test.retval', 'test.ctx_size_out']),
        test_run('repeat_1', 'load_ret7', repeat=1),
        test_run('duration_1', 'load_ret7', duration=1),
        test_run('flags_1', 'load_ret7', flags=1),
        test_run('cpu_1', 'load_ret7', cpu=1, record=['test.retval']),
        test_run('batch_size_1', 'load_ret7', batch_size=1, record=['test.retval']),
        test_run('ret_minus_22', 'load_ret_minus_22', record=['test.retval'], note='retval is signed 32-bit; the syscall itself returns 0'),
        test_run('copy_from_user_42', 'load_copy_from_user', ctx_size_in=8,
                 ctx_in={'buf_len': 8, 'patch': [{'offset': 0, 'buf': '2a00000000000000'}]}, record=['test.retval'],
                 note='a sleepable SYSCALL program reads user memory through a pointer in its ctx'),
        test_run('copy_from_user_fault', 'load_copy_from_user', ctx_size_in=8,
                 ctx_in={'buf_len': 8, 'patch': [{'offset': 0, 'fault': True}]}, record=['test.retval'],
                 note='bpf_copy_from_user fails and zeroes the destination: r0 = 0'),
        map_create('a_map', name='tr_map'),
        test_run('prog_fd_is_a_map', {'fd': 'a_map'}),
        test_run('prog_fd_999', 999),
        {'id': 'attr_byte_77_set', 'cmd': 'BPF_PROG_TEST_RUN', 'attr_size': 80,
         'attr_hex': (bytes(77) + b'\x01' + bytes(2)).hex(),
         'patch': [{'offset': 0, 'fd': 'load_ret7'}], 'note': 'CHECK_ATTR: byte 77 lies past test.batch_size'},
        {'id': 'attr_size_76', 'cmd': 'BPF_PROG_TEST_RUN', 'attr_size': 76, 'attr': {'test.prog_fd': {'fd': 'load_ret7'}},
         'record': ['test.retval']},
    ]
    return plan('test_run', 'BPF_PROG_TEST_RUN on SYSCALL programs: ctx sizes, forbidden inputs, retval, a sleepable helper',
                ['All programs are BPF_PROG_TYPE_SYSCALL, license GPL, BPF_F_SLEEPABLE (6.18 refuses a non-sleepable SYSCALL program: first step). tr_ctx_rw: `r2 = *(u32 *)(r1 + 0); r2 += 1; *(u32 *)(r1 + 4) = r2; r0 = r2; exit`.',
                 'copy_from_user: `r6 = r1; r1 = r10 - 8; r2 = 8; r3 = *(u64 *)(r6 + 0); call bpf_copy_from_user; r0 = *(u64 *)(r10 - 8); exit`; its ctx holds a user pointer, so test.ctx_in is not recorded there.'],
                steps)


# ---- light skeletons ------------------------------------------------------------------------------

SKELS = {
    # name: ctx size, ctx offsets of map descs (name → offset), prog descs, initial values (map → bytes)
    'minimal': {'ctx_sz': 76, 'maps': {'hits': 24, 'rodata': 40, 'bss': 56}, 'progs': {'count_getpid': 72},
                'init': {'rodata': '00000000', 'bss': '0000000000000000'}, 'data_sz': 3192},
    'multi': {'ctx_sz': 80, 'maps': {'stats': 24, 'data': 40, 'rodata_str1_1': 56}, 'progs': {'on_openat': 72, 'count_packets': 76},
              'init': {'data': '07000000'}, 'data_sz': 5824},
    'kfunc': {'ctx_sz': 44, 'maps': {'bss': 24}, 'progs': {'on_newtask': 40}, 'init': {'bss': '0000000000000000'}, 'data_sz': 3176},
    'lsm_deny_unsigned': {'ctx_sz': 44, 'maps': {'bss': 24}, 'progs': {'deny_unsigned': 40}, 'init': {'bss': '0000000000000000'},
                          'data_sz': 7704},
}


def skel_ctx(obj, pointers=True, init=None):
    """The skeleton's ctx: sz at 0, then map descs whose initial_value points at the map's initial data (LSK-CTX-1..4)."""
    s = SKELS[obj]
    b = bytearray(s['ctx_sz'])
    struct.pack_into('<I', b, 0, s['ctx_sz'])
    form = {'buf': b.hex()}
    if pointers:
        vals = dict(s['init'])
        vals.update(init or {})
        form['patch'] = [{'offset': s['maps'][m] + 8, 'buf': v} for m, v in vals.items()]
    return form


def lskel_run(prefix, obj, flavour, shared, *, excl=False, data_flip=None, freeze=True, get_info_hash=True,
              signature=None, keyring=0, insns_flavour=None, log=False, pointers=True, init=None, inspect=True,
              record_ctx=None, extra_after=()):
    """One bpf_load_and_run as libbpf 1.7 (flavour v77*) or 1.1 (v71) makes it, step by step (LSK-RUN-1..7)."""
    v71 = flavour == 'v71'
    base = f'bpf/{obj}/{obj}.{flavour}'
    ins = f'bpf/{obj}/{obj}.{insns_flavour or flavour}.insns.bin'
    data = {'file': f'{base}.data.bin'}
    if data_flip is not None:
        data['flip'] = data_flip
    s = SKELS[obj]
    insn_cnt = os.path.getsize(os.path.join(shared, 'fixtures', ins)) // 8
    p = lambda x: f'{prefix}/{x}'  # noqa: E731
    mc = {'map_type': 2, 'key_size': 4, 'value_size': s['data_sz'], 'max_entries': 1, 'map_name': '__loader.map'}
    if excl:
        mc['excl_prog_hash'] = {'file': f'bpf/{obj}/{obj}.v77-signed.excl_hash.bin'}
        mc['excl_prog_hash_size'] = 32
    steps = [step(p('map_create'), 'BPF_MAP_CREATE', 72 if v71 else 92, mc),
             step(p('map_update'), 'BPF_MAP_UPDATE_ELEM', 32, {'map_fd': {'fd': p('map_create')}, 'key': {'buf': '00000000'}, 'value': data})]
    if not v71 and freeze:
        steps.append(step(p('map_freeze'), 'BPF_MAP_FREEZE', 4, {'map_fd': {'fd': p('map_create')}}))
    if not v71 and get_info_hash:
        steps.append(get_info(p('map_get_info_hash'), {'fd': p('map_create')}, 'bpf_map_info', 104,
                              fields={'hash': {'buf_len': 32}, 'hash_size': 32}, record=['info.hash', 'info.name']))
    pl = {'prog_type': SYSCALL, 'insn_cnt': insn_cnt, 'insns': {'file': ins}, 'license': {'str': 'Dual BSD/GPL'},
          'prog_flags': BPF_F_SLEEPABLE, 'prog_name': '__loader.prog', 'fd_array': {'fd_array': [p('map_create')]}}
    if signature:
        pl.update({'signature': {'file': f'bpf/{obj}/{obj}.v77-signed.sig.der'}, 'signature_size': 375, 'keyring_id': keyring})
    rec = None
    if log:
        pl.update({'log_level': 1, 'log_size': 4096, 'log_buf': {'buf_len': 4096}})
        rec = ['log_buf']
    steps.append(step(p('prog_load'), 'BPF_PROG_LOAD', 128 if v71 else 168, pl, rec))
    if signature or log:
        return steps
    run_rec = ['test.retval'] + (['test.ctx_in'] if (record_ctx if record_ctx is not None else not pointers) else [])
    steps.append(test_run(p('run'), p('prog_load'), ctx_size_in=s['ctx_sz'], ctx_in=skel_ctx(obj, pointers, init), record=run_rec))
    if inspect:
        ref = lambda off: {'fd': p('run'), 'out': 'test.ctx_in', 'offset': off}  # noqa: E731
        for m, off in s['maps'].items():
            steps.append(get_info(p(f'info_map_{m}'), ref(off), 'bpf_map_info', 104, record=MAP_INFO_KEYS))
        for prog, off in s['progs'].items():
            steps.append(get_info(p(f'info_prog_{prog}'), ref(off), 'bpf_prog_info', 232, record=PROG_INFO_KEYS))
    steps += list(extra_after)
    steps += [close(p('close_loader_map'), p('map_create')), close(p('close_loader_prog'), p('prog_load'))]
    return steps


def name_offset(shared, obj, flavour, name):
    """Offset of a map's name inside its MAP_CREATE attr in the data blob (map_name is at attr offset 28)."""
    with open(os.path.join(shared, 'fixtures', f'bpf/{obj}/{obj}.{flavour}.data.bin'), 'rb') as f:
        d = f.read()
    i = -1
    while True:
        i = d.find(name.encode() + b'\0', i + 1)
        if i < 0:
            raise SystemExit(f'{name} not found as a map name in {obj}.{flavour}.data.bin')
        if i >= 28 and struct.unpack_from('<I', d, i - 28)[0] in (1, 2):
            return i


LSK_NOTES = [
    'The sequence is bpf_load_and_run (LSK-RUN-1..7) run one call at a time with the fixture blobs: the same calls, attr sizes and fields the compiled skeleton makes.',
    'The ctx is the skeleton struct up to `links` (LSK-CTX-1..4): sz at 0, each mmapable map\'s initial_value pointing at its initial data (the bytes the skeleton\'s __open() prepares).',
    'test.ctx_in is recorded only in runs whose ctx holds no pointers (initial_value = 0, so the loader uses the blob\'s own initial data): a pointer would put a process address into the recorded bytes. The other runs name the loader\'s fds through {fd, out: "test.ctx_in", offset}.',
    IDS_NOTE,
]


def plan_lskel(name, obj, flavour, shared, description):
    flip = name_offset(shared, obj, flavour, {'minimal': 'hits', 'multi': 'stats'}[obj]) + 1
    steps = lskel_run('load', obj, flavour, shared)
    steps += lskel_run('load_ctx_without_pointers', obj, flavour, shared, pointers=False, inspect=False)
    steps += lskel_run('data_byte_flipped', obj, flavour, shared, data_flip=flip)
    return plan(name, description, LSK_NOTES + [f'data_byte_flipped flips byte {flip} of the data blob: the second letter of the first map\'s name in its MAP_CREATE attr.'], steps)


def plan_lskel_signed(shared):
    obj = 'minimal'
    flip = name_offset(shared, obj, 'v77-signed', 'hits') + 1
    lookup_rodata = step('initial_value_override/lookup_rodata', 'BPF_MAP_LOOKUP_ELEM', 32,
                         {'map_fd': {'fd': 'initial_value_override/run', 'out': 'test.ctx_in', 'offset': 40},
                          'key': {'buf': '00000000'}, 'value': {'buf_len': 4, 'fill': 'ee'}}, record=['value'],
                         note='LSK-HASH-2: the rodata initial value came from the unsigned ctx, after the hash check')
    steps = []
    steps += lskel_run('signed_insns_no_sig', obj, 'v77-signed', shared, excl=True)
    steps += lskel_run('signed_insns_no_sig_ctx', obj, 'v77-signed', shared, excl=True, pointers=False, inspect=False)
    steps += lskel_run('data_byte_flipped', obj, 'v77-signed', shared, excl=True, data_flip=flip, pointers=False, inspect=False)
    steps += lskel_run('get_info_skipped', obj, 'v77-signed', shared, excl=True, get_info_hash=False, pointers=False, inspect=False)
    steps += lskel_run('freeze_skipped', obj, 'v77-signed', shared, excl=True, freeze=False, pointers=False, inspect=False)
    for st in steps:
        if st['id'] == 'freeze_skipped/map_get_info_hash':
            st['note'] = ('an unfrozen map has no hash on 6.18.44 (OBS-PROF-1); libbpf would stop here ("failed to fetch obj info"), '
                          'the probe goes on to show what the loader does when map->sha was never computed')
    steps += lskel_run('not_exclusive', obj, 'v77-signed', shared, excl=False, inspect=False)
    steps += lskel_run('initial_value_override', obj, 'v77-signed', shared, excl=True, init={'rodata': '34120000'},
                       inspect=False, extra_after=[lookup_rodata])
    steps += lskel_run('unsigned_insns_on_excl_map', obj, 'v77-signed', shared, excl=True, insns_flavour='v77', log=True)
    steps += lskel_run('with_sig_keyring_0', obj, 'v77-signed', shared, excl=True, signature=True, keyring=0)
    steps += [add_key('with_sig_user_keyring/ring', 'keyring', 'bpfsig-capture-ring', None, 'KEY_SPEC_PROCESS_KEYRING'),
              add_key('with_sig_user_keyring/cert', 'asymmetric', None, {'file': 'keys/signing-rsa2048/cert.der'},
                      {'key': 'with_sig_user_keyring/ring'})]
    steps += lskel_run('with_sig_user_keyring', obj, 'v77-signed', shared, excl=True, signature=True,
                       keyring={'key': 'with_sig_user_keyring/ring'})
    return plan('lskel_signed_insns', 'The bpftool 7.7 -S loader of `minimal`: signed insns without a signature, tampering, skipped steps, and the signed load itself (OBS-LSK-2..4)',
                LSK_NOTES + [f'data_byte_flipped flips byte {flip} of the data blob (a map name byte), so map->sha differs from the hash embedded in the signed insns.',
                             'Runs with a signature stop at PROG_LOAD: CONFIG_SYSTEM_DATA_VERIFICATION is off, so the kernel answers EOPNOTSUPP (with keyring 0 and with a user keyring holding the signing certificate).'],
                steps)


def plan_kfunc_and_lsm(shared):
    steps = []
    steps += lskel_run('kfunc_v77', 'kfunc', 'v77', shared)
    steps += lskel_run('kfunc_v77_ctx', 'kfunc', 'v77', shared, pointers=False, inspect=False)
    steps += lskel_run('kfunc_v71', 'kfunc', 'v71', shared, pointers=False, inspect=False)
    steps += lskel_run('lsm_v77', 'lsm_deny_unsigned', 'v77', shared, inspect=False)
    steps += lskel_run('lsm_v77_ctx', 'lsm_deny_unsigned', 'v77', shared, pointers=False, inspect=False)
    steps += lskel_run('lsm_v77_signed_insns_ctx', 'lsm_deny_unsigned', 'v77-signed', shared, excl=True, pointers=False, inspect=False)
    return plan('kfunc_and_lsm', 'Light-skeleton loaders of `kfunc` (tp_btf program calling kfuncs, CO-RE) and `lsm_deny_unsigned` (an lsm/ program) (OBS-LSK-5)',
                LSK_NOTES + ['What the loader\'s inner calls returned shows in test.retval (the loader returns the first failing inner call\'s result) and in the fds it wrote to the ctx.'],
                steps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--shared', default=os.environ.get('BPFSIG_SHARED', '/work/shared'))
    a = ap.parse_args()
    os.makedirs(PLANS, exist_ok=True)
    plans = [plan_prog_load_order(), plan_prog_load_basic(), plan_excl_maps(), plan_prog_info(), plan_test_run(),
             plan_lskel('lskel_minimal_v77', 'minimal', 'v77', a.shared,
                        'The bpftool 7.7 (libbpf 1.7) unsigned loader of `minimal`, run step by step (OBS-LSK-1)'),
             plan_lskel('lskel_minimal_v71', 'minimal', 'v71', a.shared,
                        'The bpftool 7.1 (libbpf 1.1) loader of `minimal`: no FREEZE, no GET_INFO, smaller attrs (LSK-RUN-9)'),
             plan_lskel('lskel_multi_v77', 'multi', 'v77', a.shared,
                        'The bpftool 7.7 unsigned loader of `multi` (2 programs, a sub-program, HASH map, .data, .rodata.str1.1)'),
             plan_lskel_signed(a.shared), plan_kfunc_and_lsm(a.shared)]
    for name, p in plans:
        with open(os.path.join(PLANS, name + '.json'), 'w') as f:
            f.write(json.dumps(p, indent=1) + '\n')
        print(f'plans/{name}.json: {len(p["steps"])} steps')


if __name__ == '__main__':
    main()
