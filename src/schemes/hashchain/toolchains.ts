// The hash-chain toolchain: bpftool 7.7 with "[PATCH bpf-next v2 3/3] bpftool: Add support for
// signing program and map hash chains" (2025-09-29, `20250929213520.1821223-4`) and the libbpf
// changes in the same patch. gen_loader.c is not in its diffstat, so the loader program is libbpf
// 1.7's, hash compare included (TC-HCM-4).
// spec: TC-HCM-1..5 (-M implies -S; the signed term; opts_signature_maps; bpftool signs index 0
// only), HC-UAPI-2 (bpf_load_and_run_opts.signature_maps / _sz, PROG_LOAD attr size
// offsetofend(signature_maps_size) = 180, the two fields set in userspace builds only).

import type { LoaderFlow, ToolchainProfile } from '../../loader/gen-loader/profiles.js';
import { BPFTOOL_7_7, LIBBPF_1_7 } from '../kp/toolchains.js';

/** libbpf 1.7's bpf_load_and_run with the patch's two attr fields. spec: HC-UAPI-2, LSK-RUN-9 */
export const LIBBPF_1_7_HASHCHAIN: LoaderFlow = {
  ...LIBBPF_1_7,
  name: 'libbpf-1.7+hashchain',
  progLoadAttrSize: 180,
  signatureMaps: true,
};

export const HASHCHAIN_TOOLCHAIN: ToolchainProfile = {
  ...BPFTOOL_7_7,
  name: 'hashchain',
  summary: 'bpftool 7.7 + the hash-chain patch (v2 3/3, never merged): -M signs SHA256(SHA256(insns) ‖ SHA256(data)) and lists fd_array index 0 in opts_signature_maps; libbpf passes signature_maps (PROG_LOAD 180 B)',
  bpftool: 'v7.7.0 + "bpftool: Add support for signing program and map hash chains" (v2 3/3)',
  libbpf: 'v1.7 + signature_maps (HC-UAPI-2)',
  canSignMaps: true,
  flow: LIBBPF_1_7_HASHCHAIN,
};
