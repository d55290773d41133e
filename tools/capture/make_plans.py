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
              record_ctx=None, extra_after=(), prog_info=None):
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
        if prog_info is None:
            for m, off in s['maps'].items():
                steps.append(get_info(p(f'info_map_{m}'), ref(off), 'bpf_map_info', 104, record=MAP_INFO_KEYS))
        for prog, off in s['progs'].items():
            if prog_info is None:
                steps.append(get_info(p(f'info_prog_{prog}'), ref(off), 'bpf_prog_info', 232, record=PROG_INFO_KEYS))
            else:
                steps.append(get_info(p(f'xlated_{prog}'), ref(off), 'bpf_prog_info', 232, record=prog_info,
                                      fields={'xlated_prog_len': 4096, 'xlated_prog_insns': {'buf_len': 4096}}))
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


# ---- map types: creation checks, bpf_map_info, element commands, LRU order -------------------------

(HASH, ARRAY, PROG_ARRAY, PERF_EVENT_ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE,
 ARRAY_OF_MAPS, HASH_OF_MAPS, QUEUE, STACK, SK_STORAGE, RINGBUF, INODE_STORAGE, TASK_STORAGE, BLOOM_FILTER,
 USER_RINGBUF, CGRP_STORAGE) = (1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 22, 23, 24, 27, 28, 29, 30, 31, 32)
F_NO_PREALLOC, F_NO_COMMON_LRU, F_NUMA_NODE, F_RDONLY_PROG, F_ZERO_SEED = 1, 2, 4, 128, 64
F_CLONE, F_MMAPABLE, F_PRESERVE_ELEMS, F_INNER_MAP = 512, 1024, 2048, 4096
MAP_INFO_ALL = ['info_len', 'info.type', 'info.key_size', 'info.value_size', 'info.max_entries', 'info.map_flags',
                'info.name', 'info.map_extra', 'info.btf_key_type_id', 'info.btf_value_type_id',
                'info.btf_vmlinux_value_type_id', 'info.ifindex']
# BTF the map cases use: [1] int, [2] long long, [3] struct lpm_key {int prefixlen; int data;},
# [4] struct val16 {long long a; long long b;}, [5] char, [6] char[65407], [7] char[65408]
BTF_STRINGS = ['', 'int', 'long long', 'lpm_key', 'prefixlen', 'data', 'val16', 'a', 'b', 'char']


def btf_blob():
    strs = b''
    off = {}
    for s in BTF_STRINGS:
        off[s] = len(strs)
        strs += s.encode() + b'\0'

    def int_t(name, size, bits):
        return struct.pack('<III', off[name], 1 << 24, size) + struct.pack('<I', (1 << 24) | bits)

    def struct_t(name, size, members):
        b = struct.pack('<III', off[name], (4 << 24) | len(members), size)
        for m, t, bit in members:
            b += struct.pack('<III', off[m], t, bit)
        return b

    types = (int_t('int', 4, 32) + int_t('long long', 8, 64) + struct_t('lpm_key', 8, [('prefixlen', 1, 0), ('data', 1, 32)])
             + struct_t('val16', 16, [('a', 2, 0), ('b', 2, 64)]) + struct.pack('<IIII', off['char'], 1 << 24, 1, 8)
             + struct.pack('<IIIIII', 0, 3 << 24, 0, 5, 1, 65407) + struct.pack('<IIIIII', 0, 3 << 24, 0, 5, 1, 65408))
    hdr = struct.pack('<HBBIIIII', 0xeb9f, 1, 0, 24, 0, len(types), len(types), len(strs))
    return hdr + types + strs


def btf_load(id_):
    b = btf_blob()
    return step(id_, 'BPF_BTF_LOAD', 28, {'btf': {'buf': b.hex()}, 'btf_size': len(b)})


def created(id_, name=None, info=True, **kw):
    """A map that must be created, and its bpf_map_info."""
    s = [map_create(id_, name=name or id_[:15], **kw)]
    if info:
        s.append(get_info(id_ + '_info', {'fd': id_}, 'bpf_map_info', 104, record=MAP_INFO_ALL))
    return s


def elem(id_, cmd, fd, key=None, value=None, flags=0, record=None, note=None, size=32):
    a = {'map_fd': fd if isinstance(fd, (dict, int)) else {'fd': fd}}
    if key is not None:
        a['key'] = key if isinstance(key, dict) else {'buf': key}
    if value is not None:
        a['value' if cmd != 'BPF_MAP_GET_NEXT_KEY' else 'next_key'] = value if isinstance(value, dict) else {'buf': value}
    if flags:
        a['flags'] = flags
    return step(id_, cmd, size, a, record, note)


def upd(id_, fd, key, value, flags=0, note=None):
    return elem(id_, 'BPF_MAP_UPDATE_ELEM', fd, key, value, flags, note=note)


def look(id_, fd, key, vlen, note=None, flags=0):
    return elem(id_, 'BPF_MAP_LOOKUP_ELEM', fd, key, {'buf_len': vlen, 'fill': 'ee'}, flags, record=['value'], note=note)


def pop(id_, fd, key, vlen, note=None, flags=0):
    return elem(id_, 'BPF_MAP_LOOKUP_AND_DELETE_ELEM', fd, key, {'buf_len': vlen, 'fill': 'ee'}, flags, record=['value'], note=note)


def dele(id_, fd, key, note=None):
    return elem(id_, 'BPF_MAP_DELETE_ELEM', fd, key, note=note)


def nextk(id_, fd, key, klen, note=None):
    return elem(id_, 'BPF_MAP_GET_NEXT_KEY', fd, key, {'buf_len': klen, 'fill': 'ee'}, record=['next_key'], note=note, size=24)


def u32(v):
    return struct.pack('<I', v).hex()


def plan_map_types():
    btf = {'fd': 'btf'}
    storage = lambda t, **kw: dict(map_type=t, key=4, value=16, max_entries=0, map_flags=F_NO_PREALLOC, btf_fd=btf,
                                   btf_key_type_id=1, btf_value_type_id=4, **kw)
    steps = [btf_load('btf')]
    # PERCPU_HASH
    steps += created('percpu_hash', map_type=PERCPU_HASH, max_entries=4)
    steps += created('percpu_hash_noprealloc', map_type=PERCPU_HASH, max_entries=4, map_flags=F_NO_PREALLOC)
    steps += created('percpu_hash_btf', map_type=PERCPU_HASH, value=8, max_entries=4, btf_fd=btf, btf_key_type_id=1, btf_value_type_id=2)
    steps += [map_create('percpu_hash_val_32768', map_type=PERCPU_HASH, value=32768),
              map_create('percpu_hash_val_32769', map_type=PERCPU_HASH, value=32769),
              map_create('percpu_hash_numa', map_type=PERCPU_HASH, map_flags=F_NUMA_NODE, numa_node=0),
              map_create('percpu_hash_no_common_lru', map_type=PERCPU_HASH, map_flags=F_NO_COMMON_LRU),
              map_create('percpu_hash_key_0', map_type=PERCPU_HASH, key=0),
              map_create('percpu_hash_flags_mmapable', map_type=PERCPU_HASH, map_flags=F_MMAPABLE),
              map_create('hash_btf_keyless', map_type=HASH, value=8, max_entries=4, btf_fd=btf, btf_value_type_id=2),
              map_create('hash_btf_value_size_mismatch', map_type=HASH, value=4, max_entries=4, btf_fd=btf,
                         btf_key_type_id=1, btf_value_type_id=2),
              map_create('percpu_hash_btf_keyless', map_type=PERCPU_HASH, value=8, max_entries=4, btf_fd=btf, btf_value_type_id=2),
              map_create('lru_btf_keyless', map_type=LRU_HASH, value=8, max_entries=4, btf_fd=btf, btf_value_type_id=2),
              map_create('percpu_array_btf_keyless', map_type=PERCPU_ARRAY, value=8, max_entries=1, btf_fd=btf, btf_value_type_id=2)]
    # LRU_HASH / LRU_PERCPU_HASH
    steps += created('lru_hash', map_type=LRU_HASH, max_entries=4)
    steps += created('lru_nocommon_3', map_type=LRU_HASH, max_entries=3, map_flags=F_NO_COMMON_LRU)
    steps += created('lru_nocommon_5', map_type=LRU_HASH, max_entries=5, map_flags=F_NO_COMMON_LRU)
    steps += created('lru_nocommon_1', map_type=LRU_HASH, max_entries=1, map_flags=F_NO_COMMON_LRU)
    steps += created('lru_numa', map_type=LRU_HASH, max_entries=4, map_flags=F_NUMA_NODE, numa_node=0)
    steps += created('lru_zero_seed', map_type=LRU_HASH, max_entries=4, map_flags=F_ZERO_SEED)
    steps += [map_create('lru_no_prealloc', map_type=LRU_HASH, map_flags=F_NO_PREALLOC),
              map_create('lru_nocommon_numa', map_type=LRU_HASH, map_flags=F_NO_COMMON_LRU | F_NUMA_NODE, numa_node=0),
              map_create('lru_value_too_big', map_type=LRU_HASH, value=4194252),
              map_create('lru_max_2g_plus_1', map_type=LRU_HASH, max_entries=0x80000001)]
    steps += created('lru_percpu_hash', map_type=LRU_PERCPU_HASH, max_entries=4)
    steps += created('lru_percpu_nocommon_3', map_type=LRU_PERCPU_HASH, max_entries=3, map_flags=F_NO_COMMON_LRU)
    steps += [map_create('lru_percpu_no_prealloc', map_type=LRU_PERCPU_HASH, map_flags=F_NO_PREALLOC),
              map_create('lru_percpu_val_32769', map_type=LRU_PERCPU_HASH, value=32769),
              map_create('lru_percpu_numa', map_type=LRU_PERCPU_HASH, map_flags=F_NUMA_NODE, numa_node=0)]
    # QUEUE / STACK
    steps += created('queue', map_type=QUEUE, key=0, value=4, max_entries=3)
    steps += created('queue_rdonly_prog', map_type=QUEUE, key=0, value=4, max_entries=3, map_flags=F_RDONLY_PROG)
    steps += created('stack', map_type=STACK, key=0, value=4, max_entries=3)
    steps += [map_create('queue_key_4', map_type=QUEUE, key=4, value=4, max_entries=3),
              map_create('queue_value_0', map_type=QUEUE, key=0, value=0, max_entries=3),
              map_create('queue_max_0', map_type=QUEUE, key=0, value=4, max_entries=0),
              map_create('queue_no_prealloc', map_type=QUEUE, key=0, value=4, max_entries=3, map_flags=F_NO_PREALLOC),
              map_create('queue_value_4m_plus_1', map_type=QUEUE, key=0, value=4 * 1024 * 1024 + 1, max_entries=1),
              map_create('queue_btf_value', map_type=QUEUE, key=0, value=4, max_entries=3, btf_fd=btf, btf_value_type_id=1),
              map_create('stack_key_4', map_type=STACK, key=4, value=4, max_entries=3),
              map_create('stack_map_extra', map_type=STACK, key=0, value=4, max_entries=3, map_extra=1)]
    # BLOOM_FILTER
    steps += created('bloom', map_type=BLOOM_FILTER, key=0, value=4, max_entries=16)
    steps += created('bloom_extra_15', map_type=BLOOM_FILTER, key=0, value=4, max_entries=16, map_extra=15)
    steps += created('bloom_btf_keyless', map_type=BLOOM_FILTER, key=0, value=4, max_entries=16, btf_fd=btf, btf_value_type_id=1)
    steps += created('bloom_zero_seed', map_type=BLOOM_FILTER, key=0, value=4, max_entries=16, map_flags=F_ZERO_SEED)
    steps += [map_create('bloom_extra_16', map_type=BLOOM_FILTER, key=0, value=4, max_entries=16, map_extra=16),
              map_create('bloom_extra_high_bits', map_type=BLOOM_FILTER, key=0, value=4, max_entries=16, map_extra=0x100000005),
              map_create('bloom_key_4', map_type=BLOOM_FILTER, key=4, value=4, max_entries=16),
              map_create('bloom_value_0', map_type=BLOOM_FILTER, key=0, value=0, max_entries=16),
              map_create('bloom_max_0', map_type=BLOOM_FILTER, key=0, value=4, max_entries=0),
              map_create('bloom_no_prealloc', map_type=BLOOM_FILTER, key=0, value=4, max_entries=16, map_flags=F_NO_PREALLOC),
              map_create('bloom_value_4m_plus_1', map_type=BLOOM_FILTER, key=0, value=4 * 1024 * 1024 + 1, max_entries=1),
              map_create('bloom_btf_key_int', map_type=BLOOM_FILTER, key=0, value=4, max_entries=16, btf_fd=btf,
                         btf_key_type_id=1, btf_value_type_id=1),
              map_create('hash_map_extra_1', map_type=HASH, map_extra=1)]
    # LPM_TRIE
    steps += created('lpm', map_type=LPM_TRIE, key=8, value=8, max_entries=16, map_flags=F_NO_PREALLOC)
    steps += created('lpm_key_5', map_type=LPM_TRIE, key=5, value=1, max_entries=1, map_flags=F_NO_PREALLOC)
    steps += created('lpm_key_260', map_type=LPM_TRIE, key=260, value=8, max_entries=1, map_flags=F_NO_PREALLOC)
    steps += created('lpm_btf', map_type=LPM_TRIE, key=8, value=8, max_entries=16, map_flags=F_NO_PREALLOC, btf_fd=btf,
                     btf_key_type_id=3, btf_value_type_id=2)
    steps += [map_create('lpm_prealloc', map_type=LPM_TRIE, key=8, value=8, max_entries=16),
              map_create('lpm_key_4', map_type=LPM_TRIE, key=4, value=8, max_entries=16, map_flags=F_NO_PREALLOC),
              map_create('lpm_key_261', map_type=LPM_TRIE, key=261, value=8, max_entries=16, map_flags=F_NO_PREALLOC),
              map_create('lpm_value_0', map_type=LPM_TRIE, key=8, value=0, max_entries=16, map_flags=F_NO_PREALLOC),
              map_create('lpm_max_0', map_type=LPM_TRIE, key=8, value=8, max_entries=0, map_flags=F_NO_PREALLOC),
              map_create('lpm_zero_seed', map_type=LPM_TRIE, key=8, value=8, max_entries=16, map_flags=F_NO_PREALLOC | F_ZERO_SEED),
              map_create('lpm_btf_key_not_struct', map_type=LPM_TRIE, key=8, value=8, max_entries=16, map_flags=F_NO_PREALLOC,
                         btf_fd=btf, btf_key_type_id=2, btf_value_type_id=2)]
    # PROG_ARRAY, PERF_EVENT_ARRAY
    steps += created('prog_array', map_type=PROG_ARRAY, key=4, value=4, max_entries=4)
    steps += [map_create('prog_array_value_8', map_type=PROG_ARRAY, value=8),
              map_create('prog_array_key_8', map_type=PROG_ARRAY, key=8, value=4),
              map_create('prog_array_rdonly_prog', map_type=PROG_ARRAY, value=4, map_flags=F_RDONLY_PROG),
              map_create('prog_array_mmapable', map_type=PROG_ARRAY, value=4, map_flags=F_MMAPABLE),
              map_create('prog_array_btf', map_type=PROG_ARRAY, value=4, btf_fd=btf, btf_key_type_id=1, btf_value_type_id=1),
              map_create('prog_array_max_0', map_type=PROG_ARRAY, value=4, max_entries=0)]
    steps += created('perf_array', map_type=PERF_EVENT_ARRAY, key=4, value=4, max_entries=2)
    steps += created('perf_array_preserve', map_type=PERF_EVENT_ARRAY, key=4, value=4, max_entries=2, map_flags=F_PRESERVE_ELEMS)
    steps += [map_create('perf_array_value_8', map_type=PERF_EVENT_ARRAY, value=8, max_entries=2),
              map_create('perf_array_max_0', map_type=PERF_EVENT_ARRAY, value=4, max_entries=0),
              map_create('array_preserve_elems', map_type=ARRAY, map_flags=F_PRESERVE_ELEMS)]
    # ARRAY_OF_MAPS, HASH_OF_MAPS: inner map templates
    dig = prog_digest(RET0)
    steps += [map_create('inner_array', value=8, max_entries=2, name='inner_arr'),
              map_create('inner_excl', value=8, max_entries=2, name='inner_excl', excl_prog_hash={'buf': dig.hex()},
                         excl_prog_hash_size=32)]
    steps += created('array_of_maps', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'inner_array'})
    steps += created('hash_of_maps', map_type=HASH_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'inner_array'})
    steps += created('aom_inner_excl', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'inner_excl'})
    steps += created('array_inner_fd_999', value=8, max_entries=2, inner_map_fd=999)
    steps += [map_create('aom_inner_fd_0', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd=0),
              map_create('aom_inner_fd_999', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd=999),
              map_create('aom_value_8', map_type=ARRAY_OF_MAPS, value=8, max_entries=4, inner_map_fd={'fd': 'inner_array'}),
              map_create('aom_inner_is_aom', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'array_of_maps'}),
              map_create('aom_inner_prog_array', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'prog_array'}),
              map_create('aom_inner_perf_array', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'perf_array'}),
              map_create('aom_inner_queue', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'queue'}),
              map_create('aom_inner_lpm', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'lpm'}),
              map_create('aom_inner_bloom', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'bloom'}),
              map_create('aom_inner_lru', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'lru_hash'}),
              map_create('aom_inner_percpu_hash', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'percpu_hash'}),
              map_create('hom_value_8', map_type=HASH_OF_MAPS, value=8, max_entries=4, inner_map_fd={'fd': 'inner_array'}),
              map_create('hom_no_common_lru', map_type=HASH_OF_MAPS, value=4, max_entries=4, map_flags=F_NO_COMMON_LRU,
                         inner_map_fd={'fd': 'inner_array'})]
    steps += created('hom_no_prealloc', map_type=HASH_OF_MAPS, value=4, max_entries=4, map_flags=F_NO_PREALLOC,
                     inner_map_fd={'fd': 'inner_array'})
    # RINGBUF / USER_RINGBUF
    steps += created('ringbuf', map_type=RINGBUF, key=0, value=0, max_entries=4096)
    steps += created('ringbuf_numa', map_type=RINGBUF, key=0, value=0, max_entries=8192, map_flags=F_NUMA_NODE, numa_node=0)
    steps += created('user_ringbuf', map_type=USER_RINGBUF, key=0, value=0, max_entries=4096)
    steps += [map_create('ringbuf_12288', map_type=RINGBUF, key=0, value=0, max_entries=12288),
              map_create('ringbuf_1m', map_type=RINGBUF, key=0, value=0, max_entries=1 << 20),
              map_create('ringbuf_rdonly_prog', map_type=RINGBUF, key=0, value=0, max_entries=4096, map_flags=F_RDONLY_PROG),
              map_create('ringbuf_btf_value', map_type=RINGBUF, key=0, value=0, max_entries=4096, btf_fd=btf, btf_value_type_id=1),
              map_create('user_ringbuf_key_4', map_type=USER_RINGBUF, key=4, value=0, max_entries=4096),
              map_create('user_ringbuf_2048', map_type=USER_RINGBUF, key=0, value=0, max_entries=2048),
              map_create('aom_inner_ringbuf', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': 'ringbuf'})]
    # local storage
    for t, n in [(SK_STORAGE, 'sk_storage'), (INODE_STORAGE, 'inode_storage'), (TASK_STORAGE, 'task_storage'),
                 (CGRP_STORAGE, 'cgrp_storage')]:
        steps += created(n, **storage(t))
        steps += [map_create(n + '_prealloc', **{**storage(t), 'map_flags': 0}),
                  map_create(n + '_max_1', **{**storage(t), 'max_entries': 1}),
                  map_create(n + '_no_btf', map_type=t, key=4, value=16, max_entries=0, map_flags=F_NO_PREALLOC),
                  map_create(n + '_key_8', **{**storage(t), 'key': 8}),
                  map_create(n + '_key_type_long', **{**storage(t), 'btf_key_type_id': 2}),
                  map_create(n + '_clone', **{**storage(t), 'map_flags': F_NO_PREALLOC | F_CLONE}),
                  map_create(n + '_value_65407', **{**storage(t), 'value': 65407, 'btf_value_type_id': 6}),
                  map_create(n + '_value_65408', **{**storage(t), 'value': 65408, 'btf_value_type_id': 7}),
                  map_create(n + '_aom_inner', map_type=ARRAY_OF_MAPS, value=4, max_entries=4, inner_map_fd={'fd': n})]
    return plan('map_types', 'Map creation per type (map_alloc_check, map_alloc, map_check_btf) and bpf_map_info',
                ['Run as root on one CPU (taskset -c 0). BTF: [1] int, [2] long long, [3] struct lpm_key {int prefixlen; int data;}, [4] struct val16 {long long a, b;}, [5] char, [6] char[65407], [7] char[65408].',
                 'Map sizes are key 4, value 8, max_entries 1 unless the step says otherwise; every created map is followed by its bpf_map_info.',
                 IDS_NOTE],
                steps)


def plan_map_elems():
    steps = []
    # PERCPU_HASH: values hold every possible CPU's copy (2 CPUs × round_up(4, 8))
    steps += [map_create('pch', map_type=PERCPU_HASH, key=4, value=4, max_entries=2, name='pch'),
              upd('pch_update_1', 'pch', u32(1), 'aabbccdd11223344' + '5566778899aabbcc'),
              look('pch_lookup_1', 'pch', u32(1), 16),
              upd('pch_update_1_noexist', 'pch', u32(1), '00' * 16, flags=1),
              upd('pch_update_2', 'pch', u32(2), '01000000000000000200000000000000'),
              upd('pch_update_3_full', 'pch', u32(3), '00' * 16),
              nextk('pch_next_null', 'pch', None, 4),
              pop('pch_lookup_and_delete_1', 'pch', u32(1), 16),
              look('pch_lookup_1_gone', 'pch', u32(1), 16),
              dele('pch_delete_2', 'pch', u32(2)),
              dele('pch_delete_2_again', 'pch', u32(2)),
              nextk('pch_next_empty', 'pch', None, 4)]
    # QUEUE / STACK
    q = 'queue'
    steps += [map_create(q, map_type=QUEUE, key=0, value=4, max_entries=3, name='q'),
              upd('q_push_a', q, None, u32(0xa)), upd('q_push_b', q, None, u32(0xb)), upd('q_push_c', q, None, u32(0xc)),
              upd('q_push_d_full', q, None, u32(0xd)),
              upd('q_push_d_exist', q, None, u32(0xd), flags=2, note='BPF_EXIST on a full queue drops the oldest'),
              upd('q_push_noexist', q, None, u32(0xe), flags=1),
              upd('q_push_flags_3', q, None, u32(0xe), flags=3),
              upd('q_push_f_lock', q, None, u32(0xe), flags=4),
              upd('q_push_with_key', q, u32(0), u32(0xe)),
              look('q_peek', q, None, 4),
              look('q_peek_flags_lock', q, None, 4, flags=4),
              pop('q_pop_1', q, None, 4), pop('q_pop_2', q, None, 4), pop('q_pop_3', q, None, 4),
              pop('q_pop_empty', q, None, 4), look('q_peek_empty', q, None, 4),
              pop('q_pop_flags_1', q, None, 4, flags=1),
              dele('q_delete', q, None), nextk('q_next_key', q, None, 4)]
    s = 'stack'
    steps += [map_create(s, map_type=STACK, key=0, value=4, max_entries=3, name='s'),
              upd('s_push_a', s, None, u32(0xa)), upd('s_push_b', s, None, u32(0xb)), upd('s_push_c', s, None, u32(0xc)),
              upd('s_push_d_full', s, None, u32(0xd)),
              upd('s_push_d_exist', s, None, u32(0xd), flags=2, note='BPF_EXIST on a full stack drops the oldest (bottom)'),
              look('s_peek', s, None, 4),
              pop('s_pop_1', s, None, 4), pop('s_pop_2', s, None, 4), pop('s_pop_3', s, None, 4), pop('s_pop_empty', s, None, 4)]
    # BLOOM_FILTER with a zero seed: which values a 64-bit, 1-hash filter holding 1 reports as maybe present
    b = 'bloom'
    steps += [map_create(b, map_type=BLOOM_FILTER, key=0, value=4, max_entries=1, map_extra=1, map_flags=F_ZERO_SEED, name='bloom1'),
              upd('bloom_push_1', b, None, u32(1)),
              upd('bloom_push_flags_exist', b, None, u32(2), flags=2),
              upd('bloom_push_with_key', b, u32(0), u32(2))]
    steps += [elem(f'bloom_peek_{v}', 'BPF_MAP_LOOKUP_ELEM', b, None, u32(v)) for v in range(1, 17)]
    steps += [pop('bloom_pop', b, None, 4), dele('bloom_delete', b, None), nextk('bloom_next_key', b, None, 4)]
    b5 = 'bloom5'
    steps += [map_create(b5, map_type=BLOOM_FILTER, key=0, value=8, max_entries=4, map_flags=F_ZERO_SEED, name='bloom5')]
    steps += [upd(f'bloom5_push_{v}', b5, None, struct.pack('<Q', v * 1000).hex()) for v in (1, 2, 3)]
    steps += [elem(f'bloom5_peek_{v}', 'BPF_MAP_LOOKUP_ELEM', b5, None, struct.pack('<Q', v * 1000).hex()) for v in range(1, 13)]
    # LPM_TRIE: key = u32 prefixlen + 4 bytes of address
    lpm = 'lpm'
    k = lambda plen, a: struct.pack('<I', plen).hex() + bytes(a).hex()
    steps += [map_create(lpm, map_type=LPM_TRIE, key=8, value=4, max_entries=4, map_flags=F_NO_PREALLOC, name='lpm'),
              upd('lpm_10_8', lpm, k(8, [10, 0, 0, 0]), u32(1)),
              upd('lpm_10_1_16', lpm, k(16, [10, 1, 0, 0]), u32(2)),
              upd('lpm_10_1_2_3_32', lpm, k(32, [10, 1, 2, 3]), u32(3)),
              upd('lpm_prefix_33', lpm, k(33, [10, 1, 2, 3]), u32(9)),
              upd('lpm_10_8_noexist', lpm, k(8, [10, 0, 0, 0]), u32(9), flags=1),
              upd('lpm_192_168_16_exist', lpm, k(16, [192, 168, 0, 0]), u32(9), flags=2),
              upd('lpm_flags_3', lpm, k(8, [10, 0, 0, 0]), u32(9), flags=3),
              look('lpm_lookup_10_1_2_3', lpm, k(32, [10, 1, 2, 3]), 4),
              look('lpm_lookup_10_1_9_9', lpm, k(32, [10, 1, 9, 9]), 4),
              look('lpm_lookup_10_9_9_9', lpm, k(32, [10, 9, 9, 9]), 4),
              look('lpm_lookup_11_0_0_0', lpm, k(32, [11, 0, 0, 0]), 4),
              look('lpm_lookup_10_1_2_3_len_12', lpm, k(12, [10, 1, 2, 3]), 4),
              look('lpm_lookup_prefix_33', lpm, k(33, [10, 1, 2, 3]), 4),
              nextk('lpm_next_null', lpm, None, 8),
              nextk('lpm_next_after_32', lpm, k(32, [10, 1, 2, 3]), 8),
              nextk('lpm_next_after_16', lpm, k(16, [10, 1, 0, 0]), 8),
              nextk('lpm_next_after_8', lpm, k(8, [10, 0, 0, 0]), 8),
              nextk('lpm_next_after_missing', lpm, k(24, [10, 1, 2, 0]), 8),
              upd('lpm_192_168_16', lpm, k(16, [192, 168, 0, 0]), u32(4)),
              upd('lpm_full', lpm, k(16, [172, 16, 0, 0]), u32(5)),
              upd('lpm_replace_when_full', lpm, k(16, [192, 168, 0, 0]), u32(6)),
              nextk('lpm_next_null_4', lpm, None, 8),
              pop('lpm_lookup_and_delete', lpm, k(8, [10, 0, 0, 0]), 4),
              dele('lpm_delete_10_1_16', lpm, k(16, [10, 1, 0, 0])),
              dele('lpm_delete_10_1_16_again', lpm, k(16, [10, 1, 0, 0])),
              dele('lpm_delete_prefix_33', lpm, k(33, [10, 1, 0, 0])),
              look('lpm_lookup_10_1_9_9_after', lpm, k(32, [10, 1, 9, 9]), 4)]
    # PROG_ARRAY
    pa = 'prog_array'
    steps += [map_create(pa, map_type=PROG_ARRAY, key=4, value=4, max_entries=2, name='pa'),
              prog_load('sf_prog', RET0, prog_name='pa_sf'),
              prog_load('syscall_prog', RET0, prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE, prog_name='pa_sys'),
              map_create('plain_map', name='plain'),
              upd('pa_update_sf', pa, u32(0), {'buf_len': 8, 'patch': [{'offset': 0, 'fd': 'sf_prog'}]}),
              elem('pa_lookup_0', 'BPF_MAP_LOOKUP_ELEM', pa, u32(0), {'buf_len': 4}, note='the value is the program id (global: not recorded)'),
              upd('pa_update_syscall_type', pa, u32(1), {'buf_len': 8, 'patch': [{'offset': 0, 'fd': 'syscall_prog'}]},
                  note='the first program fixed the array\'s program type'),
              upd('pa_update_map_fd', pa, u32(1), {'buf_len': 8, 'patch': [{'offset': 0, 'fd': 'plain_map'}]}),
              upd('pa_update_fd_999', pa, u32(1), u32(999)),
              upd('pa_update_index_5', pa, u32(5), {'buf_len': 8, 'patch': [{'offset': 0, 'fd': 'sf_prog'}]}),
              upd('pa_update_noexist', pa, u32(1), {'buf_len': 8, 'patch': [{'offset': 0, 'fd': 'sf_prog'}]}, flags=1),
              nextk('pa_next_null', pa, None, 4),
              look('pa_lookup_1_empty', pa, u32(1), 4),
              dele('pa_delete_0', pa, u32(0)), dele('pa_delete_0_again', pa, u32(0)), dele('pa_delete_5', pa, u32(5)),
              look('pa_lookup_0_gone', pa, u32(0), 4)]
    # ARRAY_OF_MAPS / HASH_OF_MAPS
    steps += [map_create('tmpl', value=8, max_entries=2, name='tmpl'),
              map_create('aom', map_type=ARRAY_OF_MAPS, value=4, max_entries=2, inner_map_fd={'fd': 'tmpl'}, name='aom'),
              map_create('hom', map_type=HASH_OF_MAPS, value=4, max_entries=2, inner_map_fd={'fd': 'tmpl'}, name='hom'),
              map_create('in_same', value=8, max_entries=2, name='in_same'),
              map_create('in_max3', value=8, max_entries=3, name='in_max3'),
              map_create('in_val4', value=4, max_entries=2, name='in_val4'),
              map_create('in_hash', map_type=HASH, value=8, max_entries=2, name='in_hash'),
              map_create('in_rdonly', value=8, max_entries=2, map_flags=F_RDONLY_PROG, name='in_rdonly'),
              map_create('in_excl', value=8, max_entries=2, name='in_excl', excl_prog_hash={'buf': prog_digest(RET0).hex()},
                         excl_prog_hash_size=32),
              map_create('tmpl_inner', value=8, max_entries=2, map_flags=F_INNER_MAP, name='tmpl_inner'),
              map_create('aom_inner_flag', map_type=ARRAY_OF_MAPS, value=4, max_entries=2, inner_map_fd={'fd': 'tmpl_inner'}, name='aom_if'),
              map_create('in_max3_inner', value=8, max_entries=3, map_flags=F_INNER_MAP, name='in_max3_if'),
              prog_load('aom_sf_prog', RET0, prog_name='aom_sf')]
    fdv = lambda ref: {'buf_len': 8, 'patch': [{'offset': 0, 'fd': ref}]}
    steps += [upd('aom_update_same', 'aom', u32(0), fdv('in_same')),
              upd('aom_update_max3', 'aom', u32(1), fdv('in_max3')),
              upd('aom_update_val4', 'aom', u32(1), fdv('in_val4')),
              upd('aom_update_hash', 'aom', u32(1), fdv('in_hash')),
              upd('aom_update_rdonly', 'aom', u32(1), fdv('in_rdonly')),
              upd('aom_update_excl', 'aom', u32(1), fdv('in_excl')),
              upd('aom_update_prog', 'aom', u32(1), fdv('aom_sf_prog')),
              upd('aom_update_outer_self', 'aom', u32(1), fdv('aom')),
              upd('aom_update_fd_999', 'aom', u32(1), u32(999)),
              upd('aom_update_index_2', 'aom', u32(2), fdv('in_same')),
              upd('aom_update_noexist', 'aom', u32(0), fdv('in_same'), flags=1),
              elem('aom_lookup_0', 'BPF_MAP_LOOKUP_ELEM', 'aom', u32(0), {'buf_len': 4}, note='the value is the inner map id (not recorded)'),
              nextk('aom_next_0', 'aom', u32(0), 4),
              dele('aom_delete_0', 'aom', u32(0)), dele('aom_delete_0_again', 'aom', u32(0)),
              look('aom_lookup_0_gone', 'aom', u32(0), 4),
              upd('aom_if_update_max3', 'aom_inner_flag', u32(0), fdv('in_max3')),
              upd('aom_if_update_max3_inner', 'aom_inner_flag', u32(0), fdv('in_max3_inner')),
              upd('hom_update_7', 'hom', u32(7), fdv('in_same')),
              upd('hom_update_8_val4', 'hom', u32(8), fdv('in_val4')),
              upd('hom_update_9', 'hom', u32(9), fdv('in_excl')),
              upd('hom_update_10_full', 'hom', u32(10), fdv('in_same')),
              upd('hom_update_7_noexist', 'hom', u32(7), fdv('in_same'), flags=1),
              elem('hom_lookup_7', 'BPF_MAP_LOOKUP_ELEM', 'hom', u32(7), {'buf_len': 4}),
              look('hom_lookup_8', 'hom', u32(8), 4),
              pop('hom_lookup_and_delete_7', 'hom', u32(7), 4),
              dele('hom_delete_9', 'hom', u32(9)), dele('hom_delete_9_again', 'hom', u32(9))]
    # PERF_EVENT_ARRAY
    pe = 'perf_array'
    steps += [map_create(pe, map_type=PERF_EVENT_ARRAY, key=4, value=4, max_entries=2, name='pe'),
              upd('pe_update_map_fd', pe, u32(0), fdv('tmpl')),
              upd('pe_update_fd_999', pe, u32(0), u32(999)),
              upd('pe_update_index_2', pe, u32(2), fdv('tmpl')),
              look('pe_lookup_0', pe, u32(0), 4), dele('pe_delete_0', pe, u32(0)), nextk('pe_next_null', pe, None, 4)]
    # RINGBUF / USER_RINGBUF
    for t, n in [(RINGBUF, 'rb'), (USER_RINGBUF, 'urb')]:
        steps += [map_create(n, map_type=t, key=0, value=0, max_entries=4096, name=n),
                  look(n + '_lookup_null', n, None, 8), upd(n + '_update_null', n, None, '00' * 8),
                  dele(n + '_delete_null', n, None), nextk(n + '_next_null', n, None, 4), pop(n + '_lookup_and_delete', n, None, 8)]
    # local storage: keys are fds of sockets, files, pidfds, cgroups; here only bpf object fds exist
    steps.append(btf_load('btf'))
    for t, n in [(SK_STORAGE, 'sk'), (INODE_STORAGE, 'inode'), (TASK_STORAGE, 'task'), (CGRP_STORAGE, 'cgrp')]:
        m = n + '_storage'
        steps += [map_create(m, map_type=t, key=4, value=16, max_entries=0, map_flags=F_NO_PREALLOC, btf_fd={'fd': 'btf'},
                             btf_key_type_id=1, btf_value_type_id=4, name=m),
                  look(n + '_lookup_map_fd', m, {'buf_len': 8, 'patch': [{'offset': 0, 'fd': 'tmpl'}]}, 16),
                  look(n + '_lookup_fd_999', m, u32(999), 16),
                  dele(n + '_delete_map_fd', m, {'buf_len': 8, 'patch': [{'offset': 0, 'fd': 'tmpl'}]}),
                  nextk(n + '_next_null', m, None, 4),
                  pop(n + '_lookup_and_delete', m, {'buf_len': 8, 'patch': [{'offset': 0, 'fd': 'tmpl'}]}, 16)]
        if n != 'inode':
            steps.append(upd(n + '_update_map_fd', m, {'buf_len': 8, 'patch': [{'offset': 0, 'fd': 'tmpl'}]}, '00' * 16,
                             note='(no inode-storage update: every anonymous bpf fd shares one inode on the real kernel)'))
    return plan('map_elems', 'Element commands per map type: percpu values, queue/stack push-pop-peek, bloom filter, LPM trie, fd maps, ring buffers, local storage',
                ['Run as root on one CPU (taskset -c 0). Keys and values are little-endian u32 unless the step says otherwise.',
                 'Lookups of fd maps return object ids, which are global: those values are not recorded.',
                 IDS_NOTE],
                steps)


def plan_map_lru():
    steps = []

    def lru(prefix, t=LRU_HASH, max_entries=4, flags=0, vlen=8):
        return [map_create(prefix + '/map', map_type=t, key=4, value=vlen, max_entries=max_entries,
                           map_flags=flags | F_ZERO_SEED, name='lru')]

    def fill(prefix, keys, vlen=8, tag='update'):
        return [upd(f'{prefix}/{tag}_{k}', prefix + '/map', u32(k), struct.pack('<I', k).hex() + '00' * (vlen - 4)) for k in keys]

    def probe(prefix, keys, tag, vlen=8):
        return [look(f'{prefix}/{tag}_lookup_{k}', prefix + '/map', u32(k), vlen) for k in keys]

    # A: common LRU, 4 entries: the 5th key evicts the least recently inserted one
    steps += lru('a') + fill('a', [1, 2, 3, 4]) + probe('a', [1], 'sys') + fill('a', [5]) + probe('a', [1, 2, 3, 4, 5], 'after')
    steps += [nextk('a/next_null', 'a/map', None, 4)]
    # B: updating an existing key of a full map takes a free node first (evicting the oldest)
    steps += lru('b') + fill('b', [1, 2, 3, 4]) + fill('b', [2], tag='again') + probe('b', [1, 2, 3, 4], 'after')
    # C: a delete frees a node for the next insert
    steps += lru('c') + fill('c', [1, 2, 3, 4]) + [dele('c/delete_2', 'c/map', u32(2))] + fill('c', [5, 6]) + probe('c', [1, 2, 3, 4, 5, 6], 'after')
    # D: per-CPU LRU lists (BPF_F_NO_COMMON_LRU): 4 entries over 2 CPUs, all updates from CPU 0
    steps += lru('d', flags=F_NO_COMMON_LRU) + fill('d', [1, 2, 3]) + probe('d', [1, 2, 3], 'after') + fill('d', [4, 5]) + probe('d', [1, 2, 3, 4, 5], 'after2')
    # E: 8 entries (target_free 2)
    steps += lru('e', max_entries=8) + fill('e', range(1, 9)) + fill('e', [9]) + probe('e', range(1, 10), 'after') + fill('e', [10, 11]) + probe('e', range(1, 12), 'after2')
    # F: 16 entries, longer history
    steps += lru('f', max_entries=16) + fill('f', range(1, 17)) + fill('f', [3, 5], tag='again') + fill('f', range(17, 21)) + probe('f', range(1, 21), 'after')
    # G: LRU_PERCPU_HASH, values for 2 CPUs
    steps += lru('g', t=LRU_PERCPU_HASH, vlen=8) + [upd(f'g/update_{k}', 'g/map', u32(k), (struct.pack('<Q', k) * 2).hex()) for k in range(1, 6)]
    steps += [look(f'g/after_lookup_{k}', 'g/map', u32(k), 16) for k in range(1, 6)]
    steps += [upd('g/update_1_exist', 'g/map', u32(1), '00' * 16, flags=2), upd('g/update_5_exist', 'g/map', u32(5), 'ff' * 16, flags=2),
              look('g/lookup_5', 'g/map', u32(5), 16), pop('g/lookup_and_delete_5', 'g/map', u32(5), 16)]
    # H: lookups from a BPF program set the reference bit; syscall lookups do not
    prog = (mov64_reg(6, 1) + ldx(4, 2, 6, 0) + stx(4, 10, 2, -4) + ld_imm64(1, PSEUDO_MAP_FD, 20) + mov64_reg(2, 10)
            + add64_imm(2, -4) + call(1) + mov64_imm(0, 0) + exit_())
    steps += lru('h') + [dup2('h/map_fd20', 'h/map', 20)] + fill('h', [1, 2, 3, 4])
    steps += [prog_load('h/load_lookup_prog', prog, prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE, prog_name='lru_lookup'),
              test_run('h/prog_lookup_1', 'h/load_lookup_prog', ctx_size_in=4, ctx_in={'buf': u32(1)}, record=['test.retval'])]
    steps += fill('h', [5]) + probe('h', [1, 2, 3, 4, 5], 'after')
    # I: flags and deletes
    steps += lru('i') + fill('i', [1]) + [upd('i/update_1_noexist', 'i/map', u32(1), '00' * 8, flags=1),
                                           upd('i/update_2_exist', 'i/map', u32(2), '00' * 8, flags=2),
                                           upd('i/update_flags_3', 'i/map', u32(2), '00' * 8, flags=3),
                                           pop('i/lookup_and_delete_1', 'i/map', u32(1), 8),
                                           dele('i/delete_1_again', 'i/map', u32(1))] + fill('i', [1, 2, 3, 4, 5, 6], tag='fill') + probe('i', range(1, 7), 'after')
    return plan('map_lru', 'LRU hash maps: which keys a deterministic sequence of updates evicts (common and per-CPU LRU lists)',
                ['Run as root pinned to CPU 0 (taskset -c 0): every LRU list operation happens on CPU 0. Maps use BPF_F_ZERO_SEED.',
                 'Keys are u32 1, 2, …; values carry the key. Each run (a/, b/, …) uses a fresh map.', IDS_NOTE],
                steps)


# ---- the verifier: helper argument types, loops, and the rewrites GET_INFO shows ---------------------


def jmp(op, dst, off, imm=0, src=None, w32=False):
    """A conditional jump: op one of eq, gt, ge, set, ne, sgt, sge, lt, le, slt, sle; K form unless src is given."""
    ops = {'eq': 0x10, 'gt': 0x20, 'ge': 0x30, 'set': 0x40, 'ne': 0x50, 'sgt': 0x60, 'sge': 0x70, 'lt': 0xa0, 'le': 0xb0,
           'slt': 0xc0, 'sle': 0xd0}
    code = (0x06 if w32 else 0x05) | ops[op] | (0x08 if src is not None else 0)
    return insn(code, dst, src or 0, off, imm)


def alu(op, dst, src=None, imm=0, w32=False, off=0):
    ops = {'add': 0x00, 'sub': 0x10, 'mul': 0x20, 'div': 0x30, 'or': 0x40, 'and': 0x50, 'lsh': 0x60, 'rsh': 0x70,
           'mod': 0x90, 'xor': 0xa0, 'mov': 0xb0, 'arsh': 0xc0}
    code = (0x04 if w32 else 0x07) | ops[op] | (0x08 if src is not None else 0)
    return insn(code, dst, src or 0, off, imm)


def st(size, dst, off, imm):
    return insn({1: 0x72, 2: 0x6a, 4: 0x62, 8: 0x7a}[size], dst, 0, off, imm)


XLATED = ['info.xlated_prog_len', 'info.verified_insns', 'info.xlated_prog_insns:masked']


def xlated_info(id_, prog_step, nbytes=512):
    return get_info(id_, {'fd': prog_step}, 'bpf_prog_info', 232,
                    fields={'xlated_prog_len': nbytes, 'xlated_prog_insns': {'buf_len': nbytes}}, record=XLATED)


def plan_prog_verifier():
    key_on_stack = st(4, 10, -4, 0) + mov64_reg(2, 10) + add64_imm(2, -4)
    lookup = lambda fd: key_on_stack + ld_imm64(1, PSEUDO_MAP_FD, fd) + call(1)
    steps = [
        map_create('arr', value=8, max_entries=4, name='arr'),
        dup2('arr_fd20', 'arr', 20),
        prog_load('printk_r1_scalar_0', mov64_imm(1, 0) + mov64_imm(2, 4) + call(6) + RET0, record=['log_buf'], **with_log(),
                  note='a NULL where bpf_trace_printk\'s format must be memory'),
        prog_load('printk_r2_uninit', mov64_reg(1, 10) + add64_imm(1, -8) + st(8, 10, -8, 0) + call(6) + RET0, record=['log_buf'], **with_log()),
        prog_load('printk_r2_pointer', mov64_reg(1, 10) + add64_imm(1, -8) + st(8, 10, -8, 0) + mov64_reg(2, 10) + call(6) + RET0,
                  record=['log_buf'], **with_log(), note='a pointer where the size must be a scalar'),
        prog_load('lookup_r1_fp', key_on_stack + mov64_reg(1, 10) + call(1) + RET0, record=['log_buf'], **with_log(),
                  note='a stack pointer where the map must be'),
        prog_load('lookup_r2_map_ptr', ld_imm64(1, PSEUDO_MAP_FD, 20) + mov64_reg(2, 1) + call(1) + RET0,
                  note='the map pointer (R1 after the ld_imm64) as the key (the log, which shows the map\'s kernel address, is not recorded)'),
        prog_load('lookup_r2_ctx', mov64_reg(6, 1) + ld_imm64(1, PSEUDO_MAP_FD, 20) + mov64_reg(2, 6) + call(1) + RET0,
                  note='the ctx as the key'),
        prog_load('lookup_ok', lookup(20) + RET0, record=['log_buf'], **with_log()),
        prog_load('lookup_result_unchecked_to_printk', lookup(20) + mov64_reg(1, 0) + mov64_imm(2, 8) + call(6) + RET0,
                  record=['log_buf'], **with_log(), note='bpf_map_lookup_elem\'s result may be NULL'),
        prog_load('lookup_result_checked_to_printk', lookup(20) + jmp('eq', 0, 3) + mov64_reg(1, 0) + mov64_imm(2, 8) + call(6) + RET0,
                  record=['log_buf'], **with_log()),
        prog_load('copy_from_user_dst_ctx', mov64_imm(2, 8) + mov64_imm(3, 0) + call(148) + RET0, prog_type=SYSCALL,
                  prog_flags=BPF_F_SLEEPABLE, record=['log_buf'], **with_log()),
        prog_load('sys_bpf_attr_scalar', mov64_imm(1, 0) + mov64_imm(2, 0) + mov64_imm(3, 8) + call(166) + RET0, prog_type=SYSCALL,
                  prog_flags=BPF_F_SLEEPABLE, record=['log_buf'], **with_log()),
        # loops
        prog_load('loop_const_10', mov64_imm(0, 0) + add64_imm(0, 1) + jmp('lt', 0, -2, 10) + exit_(), record=['log_buf'], **with_log(),
                  note='a loop the known values bound: walked to the end'),
        prog_load('loop_const_100', mov64_imm(0, 0) + add64_imm(0, 1) + jmp('lt', 0, -2, 100) + exit_(), record=['log_buf'],
                  **with_log(1, 65536)),
        prog_load('loop_ja_self', mov64_imm(0, 0) + ja(-1) + exit_(), record=['log_buf'], **with_log(), note='`goto +-1`: nothing changes'),
        prog_load('loop_two_insns', mov64_imm(0, 0) + mov64_imm(1, 5) + mov64_imm(1, 5) + jmp('eq', 0, -2, 0) + exit_(),
                  record=['log_buf'], **with_log()),
        prog_load('loop_decrement_to_0', mov64_imm(0, 5) + add64_imm(0, -1) + jmp('ne', 0, -2, 0) + exit_(), record=['log_buf'], **with_log()),
        prog_load('loop_unknown_bound', ldx(4, 2, 1, 0) + mov64_imm(0, 0) + add64_imm(0, 1) + jmp('lt', 0, -2, src=2) + exit_(),
                  note='r2 = skb->len: the kernel walks the loop with r2\'s range until the instruction limit (no log)'),
        prog_load('loop_known_forever', mov64_imm(0, 0) + add64_imm(0, 1) + jmp('ne', 0, -2, 0) + exit_(),
                  note='r0 counts up and never returns to 0 within the limit: too large (no log)'),
    ]
    return plan('prog_verifier', 'The verifier\'s refusals: helper argument types and loops (SOCKET_FILTER, GPL, log level 1)',
                ['Programs are SOCKET_FILTER unless the step says otherwise; arr is an ARRAY (key 4, value 8, 4 entries) at fd 20.', IDS_NOTE],
                steps)


def plan_lskel_xlated(shared):
    rec = ['info.name', 'info.xlated_prog_len', 'info.verified_insns', 'info.xlated_prog_insns:masked']
    steps = []
    for obj in ('minimal', 'multi', 'kfunc'):
        steps += lskel_run(obj, obj, 'v77', shared, prog_info=rec)
    return plan('lskel_xlated', 'The fixture objects\' programs as their bpftool 7.7 loaders create them: the translated program the verifier leaves (xlated_prog_len, the instructions)',
                LSK_NOTES + ['`info.xlated_prog_insns:masked`: ld_imm64, helper/kfunc call immediates and per-CPU addresses zeroed (tools/capture).'],
                steps)


def example_run(obj, prefix='', prog_record=None):
    """One of our example objects through its light-skeleton loader (blobs from tools/capture/gen_blobs.mjs, inlined)."""
    blobs = os.path.join(HERE, 'blobs')
    rd = lambda f: open(os.path.join(blobs, f), 'rb').read()  # noqa: E731
    insns, data = rd(f'{obj}.v77.insns.bin'), rd(f'{obj}.v77.data.bin')
    ctx = json.load(open(os.path.join(blobs, f'{obj}.v77.ctx.json')))
    p = lambda x: prefix + x  # noqa: E731
    c = bytearray(ctx['size'])
    struct.pack_into('<I', c, 0, ctx['size'])
    steps = [step(p('map_create'), 'BPF_MAP_CREATE', 92, {'map_type': 2, 'key_size': 4, 'value_size': len(data), 'max_entries': 1,
                                                            'map_name': '__loader.map'}),
             step(p('map_update'), 'BPF_MAP_UPDATE_ELEM', 32, {'map_fd': {'fd': p('map_create')}, 'key': {'buf': '00000000'}, 'value': {'buf': data.hex()}}),
             step(p('map_freeze'), 'BPF_MAP_FREEZE', 4, {'map_fd': {'fd': p('map_create')}}),
             get_info(p('map_get_info_hash'), {'fd': p('map_create')}, 'bpf_map_info', 104, fields={'hash': {'buf_len': 32}, 'hash_size': 32},
                      record=['info.hash']),
             step(p('prog_load'), 'BPF_PROG_LOAD', 168, {'prog_type': SYSCALL, 'insn_cnt': len(insns) // 8, 'insns': {'buf': insns.hex()},
                                                          'license': {'str': 'Dual BSD/GPL'}, 'prog_flags': BPF_F_SLEEPABLE,
                                                          'prog_name': '__loader.prog', 'fd_array': {'fd_array': [p('map_create')]}}),
             test_run(p('run'), p('prog_load'), ctx_size_in=ctx['size'], ctx_in={'buf': c.hex()}, record=['test.retval', 'test.ctx_in'])]
    ref = lambda off: {'fd': p('run'), 'out': 'test.ctx_in', 'offset': off}  # noqa: E731
    for m, off in ctx['maps'].items():
        steps.append(get_info(p('info_' + m), ref(off), 'bpf_map_info', 104, record=MAP_INFO_ALL))
    for prog, off in ctx['progs'].items():
        steps.append(get_info(p('xlated_' + prog), ref(off), 'bpf_prog_info', 232, record=prog_record or (PROG_INFO_KEYS + XLATED),
                              fields={'xlated_prog_len': 4096, 'xlated_prog_insns': {'buf_len': 4096}}))
    if prefix:
        steps += [close(p('close_loader_map'), p('map_create')), close(p('close_loader_prog'), p('prog_load'))]
    return steps


def plan_all_maps():
    return plan('all_maps', 'examples/bpf/all_maps.bpf.o (one map of each modelled type) loaded by its bpftool 7.7 style light skeleton: every map\'s bpf_map_info',
                ['The loader blobs are generated by bpfsig (tools/capture/gen_blobs.mjs, byte-identical to bpftool 7.7 -L for the fixture objects) and inlined.',
                 IDS_NOTE], example_run('all_maps'), root='.')


# ---- vmlinux_btf.json: the kernel's own BTF as the programs see it (issue J part 4) ---------------

BTF_KIND = {'INT': 1, 'STRUCT': 4, 'TYPEDEF': 8, 'FUNC': 12, 'VAR': 14}
# What the fixture and example objects ask the kernel's BTF for, plus one name no kernel has.
VMLINUX_NAMES = [('bpf_task_acquire', 'FUNC'), ('bpf_task_release', 'FUNC'),  # kfuncs of kfunc, kfunc_core
                 ('bpf_prog_active', 'VAR'),  # typed ksym of kfunc_core
                 ('btf_trace_sched_process_fork', 'TYPEDEF'), ('btf_trace_task_newtask', 'TYPEDEF'),  # tp_btf targets
                 ('bpf_lsm_bpf_prog_load', 'FUNC'),  # the lsm/ target of lsm_deny_unsigned
                 ('task_struct', 'STRUCT'), ('bpf_map', 'STRUCT'), ('int', 'INT'),
                 ('bpfsig_no_such_type', 'STRUCT')]


def btf_ids_prog(names):
    """SYSCALL program: ctx[i] (s64) = bpf_btf_find_by_name_kind(name_i, strlen + 1, kind_i, 0), r0 = 0."""
    code = mov64_reg(6, 1)
    for i, (name, kind) in enumerate(names):
        b = name.encode() + bytes(32 - len(name))
        assert len(b) == 32, name
        for c in range(4):
            code += ld_imm64(1, 0, struct.unpack('<i', b[8 * c:8 * c + 4])[0], struct.unpack('<i', b[8 * c + 4:8 * c + 8])[0])
            code += stx(8, 10, 1, -32 + 8 * c)
        code += mov64_reg(1, 10) + add64_imm(1, -32) + mov64_imm(2, len(name) + 1) + mov64_imm(3, BTF_KIND[kind]) + mov64_imm(4, 0)
        code += call(167) + stx(8, 6, 0, 8 * i)
    return code + RET0


def plan_vmlinux_btf():
    n = len(VMLINUX_NAMES)
    steps = [
        step('vmlinux_fd', 'BPF_BTF_GET_FD_BY_ID', 16, {'start_id': 1}, note='BTF object 1 is the kernel\'s own vmlinux BTF'),
        get_info('vmlinux_info', {'fd': 'vmlinux_fd'}, 'bpf_btf_info', 32,
                 fields={'btf': {'buf_len': 6 << 20}, 'btf_size': 6 << 20, 'name': {'buf_len': 16}, 'name_len': 16},
                 record=['info_len', 'info.btf_size', 'info.name', 'info.name_len', 'info.kernel_btf'],
                 note='info.btf (the whole /sys/kernel/btf/vmlinux) is read back by the live suite, not stored'),
        prog_load('btf_ids_load', btf_ids_prog(VMLINUX_NAMES), prog_type=SYSCALL, prog_flags=BPF_F_SLEEPABLE, prog_name='btf_ids'),
        test_run('btf_ids', 'btf_ids_load', record=['test.retval', 'test.ctx_in'], ctx_size_in=8 * n, ctx_in={'buf': '00' * 8 * n}),
        close('close_vmlinux_fd', 'vmlinux_fd'),
    ]
    steps[1]['readback'] = ['info.btf']
    return plan('vmlinux_btf', "The kernel's own vmlinux BTF: its size and name through BPF_BTF_GET_FD_BY_ID(1) + BPF_OBJ_GET_INFO_BY_FD, "
                'and the type ids bpf_btf_find_by_name_kind gives for what the fixture and example objects use',
                ['btf_ids: a sleepable SYSCALL program writes, for each name, bpf_btf_find_by_name_kind(name, strlen + 1, kind, 0) '
                 'as an s64 into ctx[i]; the names, in order: ' + ', '.join(f'{k} {nm}' for nm, k in VMLINUX_NAMES) + '.',
                 'The ids and the size depend on the build: the emulator agrees only with that build\'s BTF (kernelBtf: build).'],
                steps)


def plan_examples_xlated():
    steps = []
    for obj in ('hello', 'subprog', 'kfunc_core'):
        steps += example_run(obj, prefix=obj + '/')
    return plan('examples_xlated', 'The examples/bpf objects hello, subprog and kfunc_core loaded by their bpftool 7.7 style light skeletons: maps, programs, xlated_prog_len and the translated instructions',
                ['The loader blobs are generated by bpfsig (tools/capture/gen_blobs.mjs) and inlined; the ctx carries no initial values (the blob\'s are used).',
                 IDS_NOTE], steps, root='.')


def plan_prog_xlated():
    key0 = st(4, 10, -4, 0) + mov64_reg(2, 10) + add64_imm(2, -4)
    look = lambda fd: key0 + ld_imm64(1, PSEUDO_MAP_FD, fd) + call(1) + RET0
    maps = [('array', dict(value=8, max_entries=4)), ('array_v12', dict(value=12, max_entries=3)),
            ('array_v24', dict(value=24, max_entries=3)), ('array_inner', dict(value=8, max_entries=4, map_flags=F_INNER_MAP)),
            ('percpu_array', dict(map_type=PERCPU_ARRAY, value=8, max_entries=4)), ('hash', dict(map_type=HASH, max_entries=4)),
            ('hash_k6', dict(map_type=HASH, key=6, max_entries=4)), ('percpu_hash', dict(map_type=PERCPU_HASH, max_entries=4)),
            ('lru_hash', dict(map_type=LRU_HASH, max_entries=4)), ('lru_percpu', dict(map_type=LRU_PERCPU_HASH, max_entries=4)),
            ('lpm', dict(map_type=LPM_TRIE, key=8, max_entries=4, map_flags=F_NO_PREALLOC)),
            ('aom', dict(map_type=ARRAY_OF_MAPS, value=4, max_entries=2, inner_map_fd={'fd': 'inner'})),
            ('hom', dict(map_type=HASH_OF_MAPS, value=4, max_entries=2, inner_map_fd={'fd': 'inner'}))]
    steps = [map_create('inner', value=8, max_entries=2, name='inner')]
    fd = 20
    for name, kw in maps:
        steps += [map_create(name, name=name, **kw), dup2(name + '_fd', name, fd),
                  prog_load('lookup_' + name, look(fd) if name not in ('lpm', 'hash_k6') else st(4, 10, -8, 8) + st(4, 10, -4, 0)
                            + mov64_reg(2, 10) + add64_imm(2, -8) + ld_imm64(1, PSEUDO_MAP_FD, fd) + call(1) + RET0),
                  xlated_info('xlated_lookup_' + name, 'lookup_' + name)]
        fd += 1
    upd_prog = (key0 + st(8, 10, -16, 0) + mov64_reg(3, 10) + add64_imm(3, -16) + mov64_imm(4, 0) + ld_imm64(1, PSEUDO_MAP_FD, 20)
                + call(2) + RET0)
    two_lookups = key0 + ld_imm64(1, PSEUDO_MAP_FD, 20) + call(1) + key0 + ld_imm64(1, PSEUDO_MAP_FD, 25) + call(1) + RET0
    ro = 40
    prog_ro = (ld_imm64(1, PSEUDO_MAP_VALUE, ro, 0) + ldx(8, 0, 1, 0) + jmp('eq', 0, 1, 1) + mov64_imm(0, 5) + exit_())
    steps += [
        prog_load('update_array', upd_prog), xlated_info('xlated_update_array', 'update_array'),
        prog_load('two_lookups', two_lookups), xlated_info('xlated_two_lookups', 'two_lookups'),
        prog_load('smp_processor_id', call(8) + exit_()), xlated_info('xlated_smp_processor_id', 'smp_processor_id'),
        prog_load('ktime_get_ns', call(5) + exit_()), xlated_info('xlated_ktime_get_ns', 'ktime_get_ns'),
        prog_load('jiffies64', call(118) + exit_(), prog_type=TRACEPOINT), xlated_info('xlated_jiffies64', 'jiffies64'),
        prog_load('get_current_task', call(35) + exit_(), prog_type=TRACEPOINT), xlated_info('xlated_get_current_task', 'get_current_task'),
        prog_load('prandom', call(7) + exit_()), xlated_info('xlated_prandom', 'prandom'),
    ]
    for name, body in [('div64_x', alu('div', 0, 1)), ('mod64_x', alu('mod', 0, 1)), ('div32_x', alu('div', 0, 1, w32=True)),
                       ('mod32_x', alu('mod', 0, 1, w32=True)), ('sdiv64_x', alu('div', 0, 1, off=1)), ('smod64_x', alu('mod', 0, 1, off=1)),
                       ('sdiv32_x', alu('div', 0, 1, w32=True, off=1)), ('smod32_x', alu('mod', 0, 1, w32=True, off=1)),
                       ('sdiv64_k_minus_1', alu('div', 0, imm=-1, off=1)), ('smod64_k_minus_1', alu('mod', 0, imm=-1, off=1)),
                       ('sdiv32_k_minus_1', alu('div', 0, imm=-1, w32=True, off=1)), ('smod32_k_minus_1', alu('mod', 0, imm=-1, w32=True, off=1)),
                       ('div64_k', alu('div', 0, imm=3)), ('mod64_k', alu('mod', 0, imm=3))]:
        steps += [prog_load(name, ldx(4, 0, 1, 0) + ldx(4, 1, 1, 4) + body + exit_()), xlated_info('xlated_' + name, name)]
    for name, code in [
        ('dead_branch_never', mov64_imm(0, 0) + jmp('eq', 0, 1, 1) + mov64_imm(0, 2) + exit_()),
        ('dead_branch_always', mov64_imm(0, 0) + jmp('eq', 0, 1, 0) + mov64_imm(0, 2) + exit_()),
        ('dead_two_sides', ldx(4, 0, 1, 0) + jmp('eq', 0, 2, 0) + mov64_imm(0, 1) + exit_() + mov64_imm(0, 2) + exit_()),
        ('ja_0', mov64_imm(0, 0) + ja(0) + exit_()),
        ('dead_subprog_call_skipped', mov64_imm(0, 0) + jmp('eq', 0, 1, 0) + insn(0x85, 0, 1, 0, 1) + exit_() + mov64_imm(0, 3) + exit_()),
        ('ctx_len_protocol', ldx(4, 0, 1, 0) + ldx(4, 2, 1, 16) + alu('add', 0, 2) + exit_()),
    ]:
        steps += [prog_load(name, code), xlated_info('xlated_' + name, name)]
    for name, code in [('tc_ctx_data', ldx(4, 0, 1, 76) + ldx(4, 2, 1, 80) + RET0),
                       ('tc_ctx_mark_write', mov64_imm(2, 1) + stx(4, 1, 2, 8) + RET0)]:
        steps += [prog_load(name, code, prog_type=3), xlated_info('xlated_' + name, name)]
    loop_cb = (mov64_imm(1, 4) + ld_imm64(2, 4, 6) + mov64_imm(3, 0) + mov64_imm(4, 0) + call(181) + RET0 + mov64_imm(0, 0) + exit_())
    loop_flags = (mov64_imm(1, 4) + ld_imm64(2, 4, 6) + mov64_imm(3, 0) + mov64_imm(4, 1) + call(181) + RET0 + mov64_imm(0, 0) + exit_())
    steps += [prog_load('bpf_loop_no_btf', loop_cb, record=['log_buf'], **with_log(),
                        note='a callback sub-program needs BTF func_info; none here')]
    # a frozen read-only map value makes the branch constant
    steps += [map_create('ro_map', value=8, max_entries=1, map_flags=F_RDONLY_PROG, name='ro'),
              upd('ro_set_1', 'ro_map', u32(0), '0100000000000000'),
              dup2('ro_fd', 'ro_map', ro),
              prog_load('ro_not_frozen', prog_ro), xlated_info('xlated_ro_not_frozen', 'ro_not_frozen'),
              step('ro_freeze', 'BPF_MAP_FREEZE', 4, {'map_fd': {'fd': 'ro_map'}}),
              prog_load('ro_frozen', prog_ro), xlated_info('xlated_ro_frozen', 'ro_frozen'),
              map_create('rw_map', value=8, max_entries=1, name='rw'),
              upd('rw_set_1', 'rw_map', u32(0), '0100000000000000'),
              step('rw_freeze', 'BPF_MAP_FREEZE', 4, {'map_fd': {'fd': 'rw_map'}}),
              dup2('rw_fd', 'rw_map', ro),
              prog_load('rw_frozen', prog_ro, note='frozen, but programs may write it: not constant'),
              xlated_info('xlated_rw_frozen', 'rw_frozen')]
    return plan('prog_xlated', 'What the verifier rewrites: map lookup inlining, helper inlining, div/mod guards, dead code; xlated_prog_len and the translated instructions',
                ['SOCKET_FILTER programs (GPL) unless the step says otherwise. `info.xlated_prog_insns:masked` is the translated program with '
                 'every ld_imm64 immediate, every helper/kfunc call immediate and the per-CPU address of an inlined '
                 'bpf_get_smp_processor_id zeroed (map ids and kernel addresses vary; tools/capture).',
                 'Map lookups use key 0 on the stack at fp-4 (fp-8 for the LPM trie).', IDS_NOTE],
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
             plan_lskel_signed(a.shared), plan_kfunc_and_lsm(a.shared), plan_map_types(), plan_map_elems(), plan_map_lru(),
             plan_prog_verifier(), plan_prog_xlated(), plan_lskel_xlated(a.shared),
             plan_all_maps(), plan_examples_xlated(), plan_vmlinux_btf()]
    for name, p in plans:
        with open(os.path.join(PLANS, name + '.json'), 'w') as f:
            f.write(json.dumps(p, indent=1) + '\n')
        print(f'plans/{name}.json: {len(p["steps"])} steps')


if __name__ == '__main__':
    main()
