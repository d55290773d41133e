// The toolchains of KP Singh's scheme: bpftool 7.1 / libbpf 1.1 (before signing), bpftool 7.7 -S /
// libbpf 1.7 (the toolchain of v6.18), bpftool 7.8 (the same scheme with the 2026-06 hardened loader).
// spec: TC-BT71-1, TC-BT77-1..6, LSK-RUN-1..9, TC-LB2606-1..6, OBS-DEB-32.

import type { LoaderFlow, ToolchainProfile } from '../../loader/gen-loader/profiles.js';

/** libbpf 1.1's bpf_load_and_run: no exclusive map, no freeze, no hash, PROG_LOAD up to fd_array. spec: LSK-RUN-1..6 */
export const LIBBPF_1_1: LoaderFlow = {
  name: 'libbpf-1.1',
  mapCreateAttrSize: 72,
  exclProgHash: false,
  freeze: false,
  getInfoHash: false,
  progLoadAttrSize: 128,
  signatureFields: false,
  signatureMaps: false,
  fdArrayCntWhenSigned: 0,
};

/** libbpf 1.7's bpf_load_and_run: excl_prog_hash, freeze, GET_INFO hash, signature fields. spec: LSK-RUN-1..7 */
export const LIBBPF_1_7: LoaderFlow = {
  name: 'libbpf-1.7',
  mapCreateAttrSize: 92,
  exclProgHash: true,
  freeze: true,
  getInfoHash: true,
  progLoadAttrSize: 168,
  signatureFields: true,
  signatureMaps: false,
  fdArrayCntWhenSigned: 0,
};

export const BPFTOOL_7_1: ToolchainProfile = {
  name: 'bpftool-7.1',
  summary: 'bpftool 7.1 / libbpf 1.1 (Debian 12): light skeletons without signing',
  bpftool: 'v7.1.0',
  libbpf: 'v1.1',
  mmapableNeedsGlobalVar: false,
  hiddenVarsStatic: false,
  usdtUprobeMulti: false,
  kfuncStoreFdFirst: false,
  canSign: false,
  canSignMaps: false,
  signatureMatch: 'none',
  signedSkipsCtxOverrides: false,
  signs: 'insns',
  headerStyle: 'v7.1',
  flow: LIBBPF_1_1,
};

export const BPFTOOL_7_7: ToolchainProfile = {
  name: 'bpftool-7.7',
  summary: 'bpftool 7.7 -S / libbpf 1.7: signs the loader insns; the loader compares map->sha with its embedded hash',
  bpftool: 'v7.7.0',
  libbpf: 'v1.7',
  mmapableNeedsGlobalVar: true,
  hiddenVarsStatic: true,
  usdtUprobeMulti: true,
  kfuncStoreFdFirst: true,
  canSign: true,
  canSignMaps: false,
  signatureMatch: 'libbpf-1.7',
  signedSkipsCtxOverrides: false,
  signs: 'insns',
  headerStyle: 'v7.7',
  flow: LIBBPF_1_7,
};

/**
 * bpftool 7.8.0 as Debian builds it from the 7.3.4 tree: KP's scheme hardened. `-S` still signs the
 * loader instructions only (OBS-DEB-32); the loader is the 2026-06 hardened libbpf one — the fixed
 * off-by-one and no self-loops (TC-LB2606-1/2/3), the non-exclusive metadata map rejected by reading
 * the `u32 excl` at offset 32 of struct bpf_map (TC-LB2606-4, LSK-SIGM-8), the ctx overrides skipped
 * when signed (TC-LB2606-5/6). Its skeletons run with Debian's libbpf-dev 1.7.0 skel_internal.h
 * (OBS-DEB-1): GET_INFO kept, no fd_array_cnt. Everything else is bpftool 7.7's.
 */
export const BPFTOOL_7_8: ToolchainProfile = {
  ...BPFTOOL_7_7,
  name: 'bpftool-7.8',
  summary: 'bpftool 7.8 -S (Debian, 7.3.4 tree): signs the loader insns; the 2026-06 hardened loader checks map->excl, then map->sha',
  bpftool: 'v7.8.0',
  libbpf: '2026-06 (2dca7916); skeletons built against libbpf 1.7.0',
  signatureMatch: 'libbpf-2026-06',
  signedSkipsCtxOverrides: true,
};
