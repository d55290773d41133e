// The toolchain of the load-time scheme: libbpf after debb5e82 ("Drop in-loader metadata check for
// load-time verification", 2026-07-08) and a bpftool that signs what the 7.3 kernel rebuilds.
// spec: TC-LB26-1 (the loader and bpf_load_and_run), TC-LB26-2 (the signer), LSK-RUN-9,
// LSK-SIGM-7, OBS-DEB-30/31 (what 7.3.4 accepts).

import type { LoaderFlow, ToolchainProfile } from '../../loader/gen-loader/profiles.js';
import { BPFTOOL_7_7 } from '../kp/toolchains.js';

/**
 * skel_internal.h after debb5e82: MAP_CREATE with excl_prog_hash (92 bytes), update, MAP_FREEZE kept,
 * no OBJ_GET_INFO_BY_FD round trip, PROG_LOAD up to keyring_id (168 bytes) with `fd_array_cnt = 1`
 * when a signature is present (the kernel scans fd_array only then, LT-SIG-1). spec: TC-LB26-1
 */
export const LIBBPF_2026_LOADTIME: LoaderFlow = {
  name: 'libbpf-2026-loadtime',
  mapCreateAttrSize: 92,
  exclProgHash: true,
  freeze: true,
  getInfoHash: false,
  progLoadAttrSize: 168,
  signatureFields: true,
  signatureMaps: false,
  fdArrayCntWhenSigned: 1,
};

/**
 * `bpftool gen skeleton -L -S` with the 2026 load-time libbpf: the loader carries no metadata check
 * (no emit_signature_match, no compute_sha_update_offsets), gen_hash still makes a signed loader skip
 * the ctx max_entries / initial_value overrides, the PKCS#7 signature covers insns ‖ data (the bytes
 * the 7.3 kernel folds: the metadata map's value is the data blob) and excl_prog_hash is
 * SHA-256(insns). The signature is `openssl cms -sign -binary -nocerts -noattr -keyid -md sha256`
 * over those bytes (TC-BT77-3's signer, OBS-DEB-30). Object handling and the header are bpftool
 * 7.7's. spec: TC-LB26-1, TC-LB26-2
 */
export const LOADTIME_TOOLCHAIN: ToolchainProfile = {
  ...BPFTOOL_7_7,
  name: 'loadtime',
  summary: 'bpftool/libbpf 2026 load-time (debb5e82): signs insns ‖ data; the loader has no hash compare; fd_array_cnt = 1, no GET_INFO',
  bpftool: 'bpf-next 2026-07 (TC-LB26-2)',
  libbpf: 'debb5e82 (2026-07-08, untagged)',
  signatureMatch: 'none',
  signedSkipsCtxOverrides: true,
  signs: 'insns-data',
  flow: LIBBPF_2026_LOADTIME,
};
