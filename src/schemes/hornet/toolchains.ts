// The Hornet toolchain: a bpftool 7.7 `gen skeleton -S` light skeleton (same loader, same libbpf 1.7
// bpf_load_and_run) whose signature is what scripts/hornet/gen_sig makes from it — the workflow of
// Hornet.rst (extract opts_insn and opts_data, `gen_sig --data insn.bin --add map.bin[:0]`,
// write-sig.sh) done in one step:
//   - PKCS#7 over the loader instructions, detached, no certificates, SHA-256;
//   - the signer named by issuer and serial number (gen_sig does not ask for CMS_USE_KEYID);
//   - signed attributes contentType, signingTime, messageDigest (OpenSSL's, CMS_NOSMIMECAP keeps
//     S/MIME capabilities out, which the kernel would refuse: HN-ASN1-4) and OID_hornet_data with the
//     metadata map's hash as the kernel computes it (map_get_hash of `__loader.map`, MHASH-7).
// Two forms of the map entry: `hornet` writes gen_sig after the 2026-05-29 fixes (no index; for
// hornet-v7), `hornet-indexed` gen_sig as posted with v7 (fd_array index 0, the loader's map; for
// hornet-v7-posted). Each kernel revision refuses the other form (BADSIG).
// spec: TC-HGS-1, HN-ASN1-1..4, HN-KP-1, TC-BT77-3, LSK-BLOB-2, MHASH-7

import type { ToolchainProfile } from '../../loader/gen-loader/profiles.js';
import { BPFTOOL_7_7 } from '../kp/toolchains.js';
import { arrayValueArea, hornetMapHash, hornetSignedAttribute } from './hornet-data.js';

/** The fd_array index of the loader's metadata map (`__loader.map`), the map bpf_load_and_run passes. */
export const LOADER_MAP_FD_ARRAY_INDEX = 0;

export const HORNET_TOOLCHAIN: ToolchainProfile = {
  ...BPFTOOL_7_7,
  name: 'hornet',
  summary: 'bpftool 7.7 -S skeleton signed as Hornet\'s gen_sig does after the 2026-05-29 fixes: metadata map hash as a signed attribute, no index (hornet-v7)',
  bpftool: 'v7.7.0 + scripts/hornet/gen_sig',
  signatureFormat: {
    sid: 'issuer-serial',
    signedAttributes: ({ data }) => [hornetSignedAttribute([{ sha: hornetMapHash(arrayValueArea(data)) }])],
  },
};

export const HORNET_INDEXED_TOOLCHAIN: ToolchainProfile = {
  ...BPFTOOL_7_7,
  name: 'hornet-indexed',
  summary: 'as hornet, with gen_sig as posted with v7: the map entry carries fd_array index 0 (hornet-v7-posted)',
  bpftool: 'v7.7.0 + scripts/hornet/gen_sig (v7)',
  signatureFormat: {
    sid: 'issuer-serial',
    signedAttributes: ({ data }) => [hornetSignedAttribute([{ sha: hornetMapHash(arrayValueArea(data)), index: LOADER_MAP_FD_ARRAY_INDEX }])],
  },
};
