// The toolchains of KP Singh's scheme: bpftool 7.1 / libbpf 1.1 (before signing), bpftool 7.7 -S /
// libbpf 1.7 (the toolchain of v6.18). spec: TC-BT71-1, TC-BT77-1..6, LSK-RUN-1..9.

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
  signs: 'insns',
  headerStyle: 'v7.7',
  flow: LIBBPF_1_7,
};
