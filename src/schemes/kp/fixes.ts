// The 2026 fixes to the v6.18 signing code, as named profile changes. Other schemes build on the
// same trees and take these too. spec: STB-1, STB-2, STB-3 (02-schemes.md §3), OBS-DEB-43/60.

import type { KernelFix, KernelProfile } from '../../syscall/profiles/index.js';
import { Limits } from '../../syscall/uapi/consts.js';

const withFix = (p: KernelProfile, id: string): readonly string[] => (p.fixes.includes(id) ? p.fixes : [...p.fixes, id]);

/** STB-1: "bpf: Limit bpf program signature size" — signature_size > KMALLOC_MAX_CACHE_SIZE → -EINVAL, first. */
export const STB_1_SIGNATURE_SIZE_BOUND: KernelFix = {
  id: 'STB-1',
  title: 'bpf: Limit bpf program signature size',
  apply: (p) => ({
    ...p,
    fixes: withFix(p, 'STB-1'),
    progSignature: { ...p.progSignature, sizeBound: Limits.KMALLOC_MAX_CACHE_SIZE },
  }),
};

/** STB-2: a2c86aa621c2 — the map hash requires a frozen map (-EPERM otherwise). */
export const STB_2_HASH_REQUIRES_FROZEN: KernelFix = {
  id: 'STB-2',
  title: 'bpf: Require frozen map for calculating map hash',
  apply: (p) => ({ ...p, fixes: withFix(p, 'STB-2'), mapHash: { ...p.mapHash, requireFrozen: true } }),
};

/** STB-3: ad2f7ed0ee91 — kvmemdup_bpfptr errors propagated: a bad signature pointer gives -EFAULT. */
export const STB_3_SIGNATURE_COPY_ERRNO: KernelFix = {
  id: 'STB-3',
  title: 'bpf: propagate kvmemdup_bpfptr errors from bpf_prog_verify_signature',
  apply: (p) => ({
    ...p,
    fixes: withFix(p, 'STB-3'),
    progSignature: { ...p.progSignature, copyFaultErrno: 'EFAULT' },
  }),
};

/**
 * Not in the spec; OBSERVED on this machine's 6.18.44 kernel (docs/fidelity.md): info structs'
 * padding after the last field must be zero (E2BIG otherwise). A 2026 selftest,
 * test_map_info_tail_zero, checks the same, so it is a 2026 change carried by 6.18.y.
 */
export const INFO_TAIL_PADDING: KernelFix = {
  id: 'info-tail-padding',
  title: 'bpf: check the padding of info structs in the tail-zero check (observed on 6.18.44)',
  apply: (p) => ({ ...p, fixes: withFix(p, 'info-tail-padding'), infoTailFromLastField: true }),
};

/**
 * MHASH-9: the kernel side of the 2026 hardened loader (TC-LB2606-*): `struct bpf_map` gains
 * `u32 excl` after `sha` (set for exclusive maps), so `ops` moves to 40. OBSERVED in this machine's
 * 6.18.44 kernel BTF; carried by the v6.18-stable profile as our choice.
 */
export const BPF_MAP_EXCL_MEMBER: KernelFix = {
  id: 'bpf-map-excl',
  title: 'bpf: pin sha and add excl to struct bpf_map (observed on 6.18.44)',
  apply: (p) => ({ ...p, fixes: withFix(p, 'bpf-map-excl'), structBpfMapExcl: true }),
};

/**
 * EXCL-3: exclusive maps refused as inner maps (a template or an element of a map of maps →
 * -ENOTSUPP). OBSERVED on this machine's 6.18.44 kernel (map_types.json, map_elems.json), absent from
 * Debian's 6.18.15; carried by the v6.18-stable profile as our choice.
 */
export const EXCL_MAP_NOT_INNER: KernelFix = {
  id: 'excl-not-inner',
  title: 'bpf: exclusive maps cannot be inner maps (observed on 6.18.44)',
  apply: (p) => ({ ...p, fixes: withFix(p, 'excl-not-inner'), exclMapNotInner: true }),
};

export const STABLE_2026_FIXES: readonly KernelFix[] = [
  STB_1_SIGNATURE_SIZE_BOUND,
  STB_2_HASH_REQUIRES_FROZEN,
  STB_3_SIGNATURE_COPY_ERRNO,
  INFO_TAIL_PADDING,
  BPF_MAP_EXCL_MEMBER,
  EXCL_MAP_NOT_INNER,
];
