// Replays our own transcripts of the program path, captured on this machine's real 6.18.44 kernel
// by tools/capture/capture.py (test/transcripts/kernel-6.18.44/, plans in tools/capture/plans/).
// Every step must agree with what the kernel answered. The steps the emulator answers differently
// today are listed in PENDING with the diagnosed reason. They must still disagree: when one starts
// agreeing, this test fails and the entry has to go, so the list only shrinks.

import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayTranscript, type ReplayReport } from '../../src/scenarios/replay.js';
import { loadTranscript } from '../../src/scenarios/transcript.js';
import { describeShared, fixturePath } from '../support/shared.js';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../transcripts/kernel-6.18.44');

/** The spec rules each transcript exercises (test titles cite them). */
const FILE_RULES: Record<string, string> = {
  'prog_load_order.json': '[OBS-LOAD-1][OBS-LOAD-2][OBS-LOAD-3][OBS-LOAD-4][OBS-LOAD-5][OBS-PROF-2][OBS-PROF-3][SYS-1][CAP-2][LOAD-2][KP-Q-3]',
  'prog_load_basic.json': '[LOAD-8][LOAD-11][LOAD-13][CAP-2][UAPI-CONST-11]',
  'excl_maps.json': '[OBS-EXCL-1][OBS-EXCL-2][OBS-EXCL-3][OBS-EXCL-4][OBS-EXCL-5][EXCL-1][EXCL-2][EXCL-4][DIG-2][DIG-3][DIG-4]',
  'prog_info.json': '[UAPI-LAYOUT-4][MHASH-1][DIG-1][OBS-EXCL-5]',
  'test_run.json': '[TRUN-1][TRUN-2][TRUN-3][TRUN-4][TRUN-5][LSK-HELP-1]',
  'lskel_minimal_v77.json': '[OBS-LSK-1][LSK-RUN-1][LSK-RUN-2][LSK-RUN-3][LSK-RUN-4][LSK-RUN-5][LSK-RUN-6][LSK-CTX-4][LSK-BLOB-2]',
  'lskel_minimal_v71.json': '[LSK-RUN-9][LSK-TRACE-1][LSK-CTX-4]',
  'lskel_multi_v77.json': '[OBS-LSK-1][LSK-RUN-1][LSK-RUN-6][LSK-CTX-4]',
  'lskel_signed_insns.json': '[OBS-LSK-2][OBS-LSK-3][OBS-LSK-4][OBS-PROF-1][LSK-SIGM-6][LSK-HASH-2][KP-LOAD-2]',
  'kfunc_and_lsm.json': '[OBS-LSK-5][LSK-HELP-1][LSK-PROG-6]',
};

// ---- why the emulator disagrees today (diagnosed per step) -------------------------------------

const STATS =
  'LOAD-13 verifier log: at log_level >= 1 the kernel ends every log with print_verification_stats(), ' +
  '"processed N insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\\n", ' +
  'after a success and after a failure (N = 0 when bpf_check stops before do_check; kernel/bpf/verifier.c ' +
  'bpf_check → skip_full_check → print_verification_stats). The emulator writes only the failure line, so ' +
  'log_buf and log_true_size differ while the errno and the message agree';
const STATS_STATE =
  STATS + '. The kernel line is also preceded by do_check\'s "0: R1=ctx() R10=fp0" and "N: (op) …" state lines ' +
  '(register-state output is out of scope, DESIGN)';
const PROG_INFO = 'BPF_OBJ_GET_INFO_BY_FD on a program is not emulated yet (bpf_prog_get_info_by_fd; NotEmulated, landing)';
const ADD_KEY = 'the add_key replay step is not emulated yet (no step handler; landing)';
const ADD_KEY_DEP = 'depends on the add_key steps above: their key serial is unknown to the replayer, so the step is not run';
const NOT_SLEEPABLE_SYSCALL =
  'kernel EINVAL "Syscall programs can only be sleepable" (check_attach_btf_id: a BPF_PROG_TYPE_SYSCALL ' +
  'program without BPF_F_SLEEPABLE is refused); the emulator loads it (its check_attach_btf_id stage has no such rule)';
const NO_VMLINUX =
  'the replay kernel has no vmlinux BTF (a transcript cannot name one), so the loader\'s bpf_btf_find_by_name_kind ' +
  '(helper 167, LSK-HELP-1) returns -ENOENT and the loader returns -2. Given this machine\'s /sys/kernel/btf/vmlinux ' +
  '(KernelOptions.vmlinuxBtf) the emulator gets further and stops at the inner PROG_LOAD: "CO-RE relocations at ' +
  'BPF_PROG_LOAD" not emulated';
const KFUNC_RUN = 'kernel retval 0, the loader wrote bss map fd 6 and tp_btf program fd 7 into the ctx; emulator retval -2: ' + NO_VMLINUX;
const LSM_RUN =
  'kernel retval -1: the loader\'s inner PROG_LOAD of the lsm/bpf_prog_load program gets EPERM on this VM (OBS-LSK-5; ' +
  'a direct LSM or fentry load gets EPERM with an empty verifier log too, so before bpf_check logs anything); ' +
  'emulator retval -2: ' + NO_VMLINUX;
const KFUNC_FOLLOW = 'follows from kfunc_v77/run: the ctx fd slot stays 0, so GET_INFO names fd 0 (a tty) and gets EINVAL';
const CFG_UNREACHABLE = 'kernel EINVAL "unreachable insn N" (check_cfg); the emulator has no unreachable-instruction check and loads it';
const OUT_OF_SCOPE = (what: string) => `${what}: do_check register-state verification, out of scope (DESIGN); the emulator loads the program`;

const PENDING: Record<string, string> = {
  // excl_maps.json
  'excl_maps.json#load_a': STATS,
  'excl_maps.json#load_b_refused': STATS,
  'excl_maps.json#info_prog_a': PROG_INFO,
  'excl_maps.json#load_a11_refused_raw_hash': STATS,
  'excl_maps.json#load_b_on_hash_refused': STATS,
  'excl_maps.json#load_idx1_on_zeroed_hash_refused': STATS,
  'excl_maps.json#order_not_sleepable_vs_excl': STATS,
  'excl_maps.json#order_unreachable_vs_excl': STATS,
  'excl_maps.json#order_jump_range_vs_excl': STATS,
  'excl_maps.json#order_fall_off_end_vs_excl': STATS,
  'excl_maps.json#order_unknown_helper_vs_excl': STATS,
  'excl_maps.json#order_bad_opcode_vs_excl':
    'kernel EACCES (exclusive-map mismatch on the ld_imm64 at insn 0), emulator EINVAL "unknown opcode ff" (insn 2): ' +
    'resolve_pseudo_ldimm64 walks the instructions in order and checks each opcode (bpf_opcode_in_insntable) as it ' +
    'reaches it, so the map at insn 0 fails first; the emulator rejects unknown opcodes in a decoding pass before any ' +
    'ld_imm64 is resolved (EXCL-4, DIG-4). Plus ' + STATS,
  'excl_maps.json#order_bad_opcode_before_map_vs_excl': STATS,
  // kfunc_and_lsm.json
  'kfunc_and_lsm.json#kfunc_v77/run': KFUNC_RUN,
  'kfunc_and_lsm.json#kfunc_v77/info_map_bss': KFUNC_FOLLOW,
  'kfunc_and_lsm.json#kfunc_v77/info_prog_on_newtask': KFUNC_FOLLOW,
  'kfunc_and_lsm.json#kfunc_v77_ctx/run': KFUNC_RUN,
  'kfunc_and_lsm.json#kfunc_v71/run': KFUNC_RUN,
  'kfunc_and_lsm.json#lsm_v77/run': LSM_RUN,
  'kfunc_and_lsm.json#lsm_v77_ctx/run': LSM_RUN,
  'kfunc_and_lsm.json#lsm_v77_signed_insns_ctx/run': LSM_RUN,
  // light skeletons: only the program GET_INFO steps
  'lskel_minimal_v71.json#load/info_prog_count_getpid': PROG_INFO,
  'lskel_minimal_v71.json#data_byte_flipped/info_prog_count_getpid': PROG_INFO,
  'lskel_minimal_v77.json#load/info_prog_count_getpid': PROG_INFO,
  'lskel_minimal_v77.json#data_byte_flipped/info_prog_count_getpid': PROG_INFO,
  'lskel_multi_v77.json#load/info_prog_on_openat': PROG_INFO,
  'lskel_multi_v77.json#load/info_prog_count_packets': PROG_INFO,
  'lskel_multi_v77.json#data_byte_flipped/info_prog_on_openat': PROG_INFO,
  'lskel_multi_v77.json#data_byte_flipped/info_prog_count_packets': PROG_INFO,
  'lskel_signed_insns.json#signed_insns_no_sig/info_prog_count_getpid': PROG_INFO,
  'lskel_signed_insns.json#unsigned_insns_on_excl_map/prog_load': STATS,
  'lskel_signed_insns.json#with_sig_user_keyring/ring': ADD_KEY,
  'lskel_signed_insns.json#with_sig_user_keyring/cert': ADD_KEY,
  'lskel_signed_insns.json#with_sig_user_keyring/prog_load': ADD_KEY_DEP,
  // prog_info.json
  'prog_info.json#full_plain': PROG_INFO,
  'prog_info.json#full_two_maps': PROG_INFO,
  'prog_info.json#info_len_16': PROG_INFO,
  'prog_info.json#info_len_8': PROG_INFO,
  'prog_info.json#info_len_0': PROG_INFO,
  'prog_info.json#info_len_240_zero_tail': PROG_INFO,
  'prog_info.json#info_len_240_nonzero_tail': PROG_INFO,
  'prog_info.json#info_len_4097': PROG_INFO,
  'prog_info.json#info_unreadable': PROG_INFO,
  'prog_info.json#map_ids_nr_1_of_2': PROG_INFO,
  'prog_info.json#map_ids_nr_0_with_ptr': PROG_INFO,
  'prog_info.json#map_ids_unreadable': PROG_INFO,
  'prog_info.json#xlated_dump_plain': PROG_INFO,
  'prog_info.json#xlated_dump_short_buffer': PROG_INFO,
  'prog_info.json#verifier_dependent_fields':
    PROG_INFO + '; then xlated_prog_len 48 and verified_insns 4 come from the verifier (do_check processed 4 insns; no rewrite changed the length)',
  'prog_info.json#jit_dependent_fields':
    PROG_INFO + '; then jited_prog_len 40, nr_jited_ksyms 1 and nr_jited_func_lens 1 come from the x86-64 JIT, which is out of scope (DESIGN)',
  // prog_load_basic.json
  'prog_load_basic.json#sf_gpl_log1': STATS,
  'prog_load_basic.json#sf_gpl_log2':
    'log_level 2: the kernel log has "func#0 @0", the "Live regs before insn" table (compute_live_registers) and the ' +
    'register state of every instruction; verifier state output is out of scope (DESIGN). Plus ' + STATS,
  'prog_load_basic.json#sf_gpl_only_helper_non_gpl':
    'kernel EINVAL "cannot call GPL-restricted function from non-GPL compatible program" (check_helper_call: ' +
    'fn->gpl_only && !prog->gpl_compatible; bpf_trace_printk is gpl_only); the emulator loads it (fd): it has no gpl_only rule',
  'prog_load_basic.json#sf_gpl_only_helper_gpl_no_args': OUT_OF_SCOPE('kernel EACCES "R1 type=ctx expected=fp, …" (check_func_arg)'),
  'prog_load_basic.json#sf_helper_sys_bpf': STATS_STATE,
  'prog_load_basic.json#sf_helper_copy_from_user': STATS_STATE,
  'prog_load_basic.json#sf_helper_unknown_99999': STATS_STATE,
  'prog_load_basic.json#syscall_helper_skb_load_bytes':
    'kernel EINVAL "program of this type cannot use helper bpf_skb_load_bytes#26" (the SYSCALL type\'s get_func_proto ' +
    'has no skb helpers); the emulator loads it: its helper rules do not restrict helper 26 to the networking types',
  'prog_load_basic.json#syscall_sleepable_ok': STATS,
  'prog_load_basic.json#syscall_not_sleepable': NOT_SLEEPABLE_SYSCALL,
  'prog_load_basic.json#bad_opcode_0xff': STATS,
  'prog_load_basic.json#jmp32_ja_imm_0': STATS,
  'prog_load_basic.json#mov_reserved_src': STATS_STATE,
  'prog_load_basic.json#exit_reserved_imm': STATS_STATE,
  'prog_load_basic.json#div_by_zero_imm':
    'kernel EINVAL "div by zero" (check_alu_op: BPF_DIV|BPF_K with imm 0); the emulator loads it (no such check)',
  'prog_load_basic.json#ja_out_of_range': STATS,
  'prog_load_basic.json#ja_minus_1_first': CFG_UNREACHABLE,
  'prog_load_basic.json#infinite_loop': OUT_OF_SCOPE('kernel EINVAL "infinite loop detected at insn 1" (state equivalence in do_check)'),
  'prog_load_basic.json#fall_off_the_end': STATS,
  'prog_load_basic.json#unreachable_insn': CFG_UNREACHABLE,
  'prog_load_basic.json#lddw_split_at_end':
    'same errno (EINVAL), other check first: the kernel says "last insn is not an exit or jmp" (check_subprogs runs ' +
    'before resolve_pseudo_ldimm64), the emulator "invalid bpf_ld_imm64 insn". Plus ' + STATS,
  'prog_load_basic.json#lddw_bad_second_half': STATS,
  'prog_load_basic.json#ja_over_lddw': CFG_UNREACHABLE,
  'prog_load_basic.json#jump_into_lddw_middle': STATS,
  'prog_load_basic.json#lddw_ok': STATS,
  'prog_load_basic.json#read_uninit_r2': OUT_OF_SCOPE('kernel EACCES "R2 !read_ok"'),
  'prog_load_basic.json#write_r10':
    'kernel EACCES, emulator EINVAL, same message "frame pointer is read only": the kernel\'s check_reg_arg returns ' +
    '-EACCES for a write to r10. Plus ' + STATS_STATE,
  'prog_load_basic.json#log_size_16_ok_prog':
    'kernel ENOSPC: the 98-byte stats line does not fit in 16 bytes (the rotating log keeps the last 15), log_true_size 98; ' +
    'the emulator writes no log after a success, so nothing overflows and it returns an fd (' + STATS + ')',
  'prog_load_basic.json#log_size_16_fixed_ok_prog':
    'kernel ENOSPC with BPF_LOG_FIXED (the log keeps its first 15 bytes), log_true_size 98; the emulator writes no log ' +
    'after a success and returns an fd (' + STATS + ')',
  'prog_load_basic.json#log_size_16_failing_prog':
    'kernel ENOSPC, not EACCES: bpf_check replaces the verifier\'s error with bpf_vlog_finalize()\'s -ENOSPC; the emulator ' +
    'does not check R0 (' + OUT_OF_SCOPE('R0 !read_ok') + ')',
  'prog_load_basic.json#log_size_16_bad_opcode':
    'kernel ENOSPC, emulator EINVAL: when the log overflows, bpf_check returns bpf_vlog_finalize()\'s -ENOSPC in place of ' +
    'the verifier error ("if (err) ret = err" after finalize); the emulator keeps the verifier error first (finalizeLog in ' +
    'prog-load/check.ts: err || logErr). Plus ' + STATS,
  // prog_load_order.json
  'prog_load_order.json#ring': ADD_KEY,
  'prog_load_order.json#cert': ADD_KEY,
  'prog_load_order.json#keyring_user_ring_junk_sig': ADD_KEY_DEP,
  'prog_load_order.json#keyring_-2_junk_sig_after_add_key':
    'kernel EOPNOTSUPP: after add_key into KEY_SPEC_PROCESS_KEYRING the process keyring exists and PKCS#7 verification is ' +
    'reached; the emulator says EINVAL because its add_key steps did not run, so its process keyring still does not exist',
  'prog_load_order.json#keyring_is_the_cert_key_junk_sig': ADD_KEY_DEP,
  'prog_load_order.json#sleepable_socket_filter_no_sig': STATS,
  'prog_load_order.json#verifier_reject_no_sig': OUT_OF_SCOPE('kernel EACCES "R0 !read_ok"'),
  // test_run.json
  'test_run.json#load_ret7_not_sleepable': NOT_SLEEPABLE_SYSCALL,
  'test_run.json#batch_size_1':
    'kernel EINVAL for test.batch_size = 1 on a SYSCALL program (test.cpu = 1 is accepted, step cpu_1); the emulator runs ' +
    'it: its TRUN-1 list of refused inputs lacks batch_size',
};

// ---- the test ------------------------------------------------------------------------------------

const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

describeShared('replay of our transcripts captured on this machine\'s 6.18.44 kernel', () => {
  it('every transcript names its rules, and every PENDING entry names a step that exists', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) expect(FILE_RULES[f], `${f} has no FILE_RULES entry`).toBeDefined();
    const known = new Set(files.flatMap((f) => loadTranscript(join(DIR, f)).steps.map((s) => `${f}#${s.id}`)));
    expect(Object.keys(PENDING).filter((k) => !known.has(k))).toEqual([]);
  });

  for (const f of files) {
    const path = join(DIR, f);
    const t = loadTranscript(path);
    describe(f, () => {
      let rep: ReplayReport;
      beforeAll(() => {
        rep = replayTranscript(t, { file: path, roots: new Map([['shared/fixtures', fixturePath()]]) });
      });
      it(`${FILE_RULES[f] ?? ''} replays under the v6.18.44 profile, step for step`, () => {
        expect(rep.profile).toBe('v6.18.44');
        expect(rep.steps.map((s) => s.id)).toEqual(t.steps.map((s) => s.id));
      });
      it.each(t.steps.map((s, i) => [s.id, i] as const))(`${FILE_RULES[f] ?? ''} %s`, (id, i) => {
        const s = rep.steps[i]!;
        const key = `${f}#${id}`;
        const what = `${key}: kernel ${s.expected}, emulator ${s.actual}${s.mismatches.length ? `; ${s.mismatches.join('; ')}` : ''}${s.detail ? ` (${s.detail})` : ''}`;
        if (PENDING[key] !== undefined) {
          expect(s.status, `${key} now agrees with the kernel: remove it from PENDING`).not.toBe('agree');
        } else {
          expect(s.status, what).toBe('agree');
        }
      });
    });
  }
});
