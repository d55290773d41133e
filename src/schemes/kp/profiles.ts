// KP Singh's scheme and the kernels around it: v6.17 (before it), v6.18 as released, the 6.18.y
// stable line, and the builds we have seen run (6.18.44 from the fixtures; Debian 6.18.15 and
// 7.2.12 under QEMU, which still run this scheme). Each is a base plus named fixes.
// spec: PROF-1, V617-1..7, KP-* (02-schemes.md §2), STB-1..7, OBS-PROF-1..4, OBS-LSK-5, KP-OBS-1,
// OBS-DEB-10..21, OBS-DEB-30, OBS-DEB-32/33, OBS-DEB-40..51, OBS-DEB-60/61.

import { kernelLoadStages } from '../../syscall/prog-load/index.js';
import { DEFAULT_CONFIG, deriveProfile, type KernelProfile } from '../../syscall/profiles/index.js';
import {
  BPF_MAP_EXCL_MEMBER,
  EXCL_MAP_NOT_INNER,
  INFO_TAIL_PADDING,
  STABLE_2026_FIXES,
  STB_1_SIGNATURE_SIZE_BOUND,
  STB_2_HASH_REQUIRES_FROZEN,
  STB_3_SIGNATURE_COPY_ERRNO,
} from './fixes.js';
import { KP_SIGNATURE_STAGE } from './signature-stage.js';

/** v6.17: the last release before the signing series. spec: V617-1..7, UAPI-CONV-3 (152-byte attr). */
export const V6_17: KernelProfile = {
  name: 'v6.17',
  scheme: 'kp',
  summary: 'Linux 6.17, before the signing series: no signature, exclusive-map or map-hash UAPI',
  release: '6.17.0',
  aliases: [],
  lineage: [],
  fixes: [],
  uapi: new Set(),
  mapHash: { requireFrozen: false },
  progSignature: { sizeBound: null, copyFaultErrno: 'ENOMEM', rejectZeroSize: false },
  infoTailFromLastField: false,
  lsmIntegrityHooks: false,
  digest: 'sha1',
  structBpfMapHasSha: false,
  structBpfMapExcl: false,
  // v6.17 is v6.18's list without the signature step (LOAD-9), INFERRED in spec 01 §5.
  progLoadStages: kernelLoadStages(),
  config: DEFAULT_CONFIG,
};

/**
 * v6.18 as released (2025-11-30): KP Singh's signed BPF programs with their original quirks.
 * spec: KP-* (§2), UAPI-CONV-3 (168-byte attr), KP-Q-1 (ENOMEM for a bad signature pointer), KP-Q-2
 * (no size bound), KP-Q-3 (a zero size reaches the parser), KP-Q-4 (no frozen check for the map
 * hash), DIG-1 (SHA-256 digest), MHASH-8 (struct bpf_map starts with sha[32]).
 */
export const V6_18: KernelProfile = {
  ...V6_17,
  name: 'v6.18',
  summary: 'Linux 6.18 as released: signed loader at BPF_PROG_LOAD, metadata hash checked by the loader',
  release: '6.18.0',
  lineage: ['v6.17'],
  uapi: new Set(['signing-6.18']),
  digest: 'sha256',
  structBpfMapHasSha: true,
  progLoadStages: kernelLoadStages([KP_SIGNATURE_STAGE]),
};

/** v6.18.y with every 2026 stable fix to the signing code. spec: STB-1..7. */
export const V6_18_STABLE = deriveProfile(V6_18, STABLE_2026_FIXES, {
  name: 'v6.18-stable',
  summary: 'Linux 6.18.y with the 2026 fixes: signature size bound, frozen-map hash, EFAULT for a bad signature pointer, struct bpf_map.excl',
  release: '6.18.y',
});

/**
 * 6.18.44: the kernel that recorded the shared transcripts. It has the size bound and the frozen-map
 * hash fix but not the signature-copy errno fix, and that machine was built without
 * CONFIG_SYSTEM_DATA_VERIFICATION and refused LSM/fentry programs. spec: OBS-PROF-1..4, OBS-LSK-5,
 * KP-OBS-1. The info-struct padding check was OBSERVED on that kernel (docs/fidelity.md).
 */
export const V6_18_44 = deriveProfile(V6_18, [STB_1_SIGNATURE_SIZE_BOUND, STB_2_HASH_REQUIRES_FROZEN, INFO_TAIL_PADDING, BPF_MAP_EXCL_MEMBER, EXCL_MAP_NOT_INNER], {
  name: 'v6.18.44',
  summary: 'Linux 6.18.44 as observed (fixture machine): v6.18 + STB-1 + STB-2 + struct bpf_map.excl, no CONFIG_SYSTEM_DATA_VERIFICATION, LSM/fentry programs refused',
  release: '6.18.44',
  config: { CONFIG_SYSTEM_DATA_VERIFICATION: false, CONFIG_KALLSYMS_ALL: false, refuseLsmAndTracingProgs: true },
});

/**
 * Debian 6.18.15 as observed under QEMU (OBS-DEB-60): v6.18 + STB-1 (8192-byte bound, OBS-DEB-45/61)
 * + STB-2, without STB-3 (an unreadable signature pointer still gives ENOMEM, OBS-DEB-43) and
 * without `struct bpf_map.excl` (the bpftool 7.8 loader's read at offset 32 is refused, OBS-DEB-32),
 * with CONFIG_SYSTEM_DATA_VERIFICATION=y. The info-struct padding check is taken from 6.18.44
 * (OBS-DEB-60 describes 6.18.15 as that profile without MHASH-9; not observed directly).
 */
export const V6_18_15 = deriveProfile(V6_18, [STB_1_SIGNATURE_SIZE_BOUND, STB_2_HASH_REQUIRES_FROZEN, INFO_TAIL_PADDING], {
  name: 'v6.18.15',
  summary: 'Debian 6.18.15 as observed: v6.18 + STB-1 + STB-2, no STB-3, no struct bpf_map.excl, signatures verified',
  release: '6.18.15',
});

/**
 * Debian 7.2.12 as observed under QEMU: still KP's scheme (OBS-DEB-30), with STB-3 (EFAULT for an
 * unreadable signature pointer, OBS-DEB-43) and `struct bpf_map.excl` (the bpftool 7.8 loader loads,
 * OBS-DEB-32); zero-size signatures still reach the parser (EBADMSG, OBS-DEB-42/44).
 */
export const V7_2 = deriveProfile(V6_18, [STB_1_SIGNATURE_SIZE_BOUND, STB_2_HASH_REQUIRES_FROZEN, STB_3_SIGNATURE_COPY_ERRNO, INFO_TAIL_PADDING, BPF_MAP_EXCL_MEMBER, EXCL_MAP_NOT_INNER], {
  name: 'v7.2',
  summary: 'Debian 7.2.12 as observed: the 6.18 scheme with STB-1..3 and struct bpf_map.excl, signatures verified',
  release: '7.2.12',
});
