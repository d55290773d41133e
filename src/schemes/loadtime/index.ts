// Linux 7.3's load-time signature scheme (Daniel Borkmann, merged for 7.3): the kernel verifies a
// PKCS#7 signature over the loader's instructions and its frozen, exclusive metadata map's value,
// inside bpf_check after fd_array resolution and before security_bpf_prog_load, and keeps the verdict
// on the program. spec: LT-* (02-schemes.md §6), TC-LB26-*, OBS-DEB-30/31/42/44/47, SEQ-1..3.

import { registerScheme, type Scheme } from '../registry.js';
import { V7_3 } from './profiles.js';
import { LOADTIME_TOOLCHAIN } from './toolchains.js';

export const LOADTIME_SCHEME: Scheme = {
  name: 'loadtime',
  title: 'Load-time verification of the signed loader (Linux 7.3)',
  status: 'posted 2026-06-10 (v1) / 2026-06-24 (v2), applied to bpf-next 2026-07-08, released in Linux 7.3; observed on Debian 7.3.4 (LT-HIST-1, OBS-DEB-30)',
  signs: "insns ‖ value(used_maps[0]) ‖ … — the loader's instructions as sent, then each map of a counted fd_array (value_size bytes each); fd_array_cnt 0: the instructions alone (LT-SIG-2)",
  checkedAt: 'inside bpf_check: size and keyring first, then fd_array resolved once (digest up front; array, frozen, exclusive maps; no BTF), then the signature, then security_bpf_prog_load (LT-LOAD-1/2/4)',
  lsmSees: 'security_bpf_prog_load runs after the signature and sees prog->aux->sig {verdict, keyring_type, keyring_serial}, final there; security_bpf_prog sees it again once the program is verified and has an id (LT-VERD-1..3, LT-LSM-1/2)',
  specIds: ['LT-SIG-1', 'LT-SIG-2', 'LT-SIG-3', 'LT-LOAD-1', 'LT-LOAD-2', 'LT-LOAD-3', 'LT-LOAD-4', 'LT-VERD-1', 'LT-VERD-2', 'LT-LSM-1', 'TC-LB26-1', 'TC-LB26-2', 'OBS-DEB-30', 'OBS-DEB-31'],
  profiles: [V7_3],
  toolchains: [LOADTIME_TOOLCHAIN],
  defaultToolchain: 'loadtime',
  // signing.rst's example: deny unless the kernel's verdict is BPF_SIG_VERIFIED (LT-LSM-3), and audit
  // what it believed (AUD-FP-2).
  defaultLsm: ['verdict-verified', 'signature-audit'],
};

registerScheme(LOADTIME_SCHEME);
