// Kernel profiles are data: a base profile plus named fixes, each fix one small function over the
// data, and the ordered list of BPF_PROG_LOAD stages. The syscall pipeline reads these fields and
// knows no scheme by name; the profiles themselves live in their scheme's folder
// (src/schemes/<name>/) and are registered once (registry.ts). spec: PROF-1, PROF-2, OBS-PROF-4.

import type { ProgSignatureProfile } from '../../keys/bpf-prog-signature.js';
import type { LoadStage } from '../prog-load/load.js';
import type { UapiFeature } from '../uapi/layout.js';

/** Kernel build options that change observable behaviour. */
export interface KernelConfig {
  /** Without it the signature kfunc returns -EOPNOTSUPP (KP-SIG-6, KP-ERR-4, OBS-LOAD-2). */
  readonly CONFIG_SYSTEM_DATA_VERIFICATION: boolean;
  /** Without it every key lookup fails (KP-SIG-3). */
  readonly CONFIG_KEYS: boolean;
  /** Without it keyring id 1 means the builtin keyring (PK7-KEY-1). */
  readonly CONFIG_SECONDARY_TRUSTED_KEYRING: boolean;
  /** Without it keyring id 2 gives -ENOKEY (PK7-KEY-1). */
  readonly CONFIG_INTEGRITY_PLATFORM_KEYRING: boolean;
  readonly CONFIG_BPF_LSM: boolean;
  readonly CONFIG_AUDIT: boolean;
  /** /proc/kallsyms lists data symbols too (off on this machine's 6.18.44 kernel: OBSERVED). */
  readonly CONFIG_KALLSYMS_ALL: boolean;
  /**
   * A property of the machine that recorded the shared transcripts, not of signing: it refused
   * every LSM and fentry program with EPERM and no verifier log (OBS-LSK-5). On in `v6.18.44` only.
   */
  readonly refuseLsmAndTracingProgs: boolean;
  /** num_possible_cpus(): per-CPU maps hold this many copies of each value. */
  readonly nrCpus: number;
}

export interface KernelProfile {
  /** `v6.17`, `v6.18`, `v6.18-stable`, `v6.18.44`, … */
  readonly name: string;
  /** The scheme folder it belongs to (`kp`, `hashchain`, …); set when the scheme registers it. */
  readonly scheme: string;
  /** Other names it answers to (e.g. `loadtime-2026` for `v7.3`). */
  readonly aliases?: readonly string[];
  readonly summary: string;
  /** `uname -r` style release the profile stands for. */
  readonly release: string;
  /** Names of the profiles and fixes it was composed from, base first. */
  readonly lineage: readonly string[];
  /** Spec ids of the fixes applied on top of the base. */
  readonly fixes: readonly string[];
  /** UAPI additions present (decides attr and info sizes, LAST_FIELDs). spec: UAPI-CONV-3 */
  readonly uapi: ReadonlySet<UapiFeature>;
  readonly mapHash: {
    /** STB-2 / OBS-PROF-1: BPF_OBJ_GET_INFO_BY_FD hash of an unfrozen map gives -EPERM. */
    readonly requireFrozen: boolean;
  };
  readonly progSignature: {
    /** STB-1 / OBS-PROF-2: signature_size above this gives -EINVAL before the keyring lookup. */
    readonly sizeBound: number | null;
    /** KP-Q-1 vs STB-3: errno for an unreadable signature pointer. */
    readonly copyFaultErrno: 'ENOMEM' | 'EFAULT';
    /** KP-Q-3 vs LT-ERR-9: `signature_size == 0` with a signature is -EINVAL before the keyring lookup. */
    readonly rejectZeroSize: boolean;
  };
  /**
   * The tail-zero check of info structs (bpf_map_info, …) starts at the end of the last field,
   * so padding must be zero (OBSERVED on 6.18.44; a 2026 selftest expects it). Before: at sizeof.
   */
  readonly infoTailFromLastField: boolean;
  /**
   * Paul Moore's LSM framework for BPF integrity verification (HN-HOOK-1/2): security_bpf_prog_load
   * calls the bpf_prog_load_integrity hooks before the bpf_prog_load hooks. Absent from mainline.
   */
  readonly lsmIntegrityHooks: boolean;
  /** DIG-1 vs V617-4: the program digest algorithm (the tag is its first 8 bytes). */
  readonly digest: 'sha256' | 'sha1';
  /** MHASH-8 / V617-4: `struct bpf_map` starts with `u8 sha[32]` (else `ops` is at offset 0). */
  readonly structBpfMapHasSha: boolean;
  /**
   * MHASH-9: `struct bpf_map` has `u32 excl` at 32 (1 for an exclusive map) and `ops` at 40. OBSERVED
   * in this machine's 6.18.44 kernel BTF; which stable kernels carry it is UNCONFIRMED.
   */
  readonly structBpfMapExcl: boolean;
  /**
   * EXCL-3: an exclusive map cannot be an inner map (template or element → ENOTSUPP). OBSERVED on
   * 6.18.44; Debian's 6.18.15 allows it (test/transcripts/debian-6.18.15/map_types.json).
   */
  readonly exclMapNotInner?: boolean;
  /**
   * BPF_PROG_LOAD's stages in the order this kernel runs them (LOAD-1..18 for v6.18, bpf_check as
   * LOAD-13 and its steps; v6.17 has no LOAD-9). Each stage carries its contract; the registry checks
   * the order (validateStageOrder). spec: LOAD-*, PROF-3
   */
  readonly progLoadStages: readonly LoadStage[];
  /** Default kernel configuration of the machine the profile models. */
  readonly config: KernelConfig;
}

/** A named change applied to a profile, e.g. a stable backport. */
export interface KernelFix {
  /** Spec rule id, e.g. `STB-2`. */
  readonly id: string;
  readonly title: string;
  readonly apply: (p: KernelProfile) => KernelProfile;
}

export const DEFAULT_CONFIG: KernelConfig = {
  CONFIG_SYSTEM_DATA_VERIFICATION: true,
  CONFIG_KEYS: true,
  CONFIG_SECONDARY_TRUSTED_KEYRING: true,
  CONFIG_INTEGRITY_PLATFORM_KEYRING: true,
  CONFIG_BPF_LSM: true,
  CONFIG_AUDIT: true,
  CONFIG_KALLSYMS_ALL: true,
  refuseLsmAndTracingProgs: false,
  nrCpus: 2,
};

/** Compose a profile: a base, some fixes, and the profile's own identity and overrides. */
export function deriveProfile(
  base: KernelProfile,
  fixes: readonly KernelFix[],
  own: { name: string; summary: string; release: string; config?: Partial<KernelConfig>; aliases?: readonly string[] },
): KernelProfile {
  let p = base;
  for (const f of fixes) p = f.apply(p);
  return {
    ...p,
    name: own.name,
    summary: own.summary,
    release: own.release,
    ...(own.aliases ? { aliases: own.aliases } : { aliases: [] }),
    lineage: [...base.lineage, base.name, ...fixes.map((f) => f.id)],
    fixes: [...p.fixes],
    config: { ...p.config, ...own.config },
  };
}

/** A profile with one stage replaced, inserted or removed (for fixes and schemes that move a check). */
export function withStages(p: KernelProfile, edit: (stages: LoadStage[]) => LoadStage[]): KernelProfile {
  return { ...p, progLoadStages: edit([...p.progLoadStages]) };
}

/**
 * The rules of bpf_prog_verify_signature on this kernel (the keys module's input): size bound,
 * zero-size rule, how copy faults are reported, and whether signatures can be verified at all.
 * spec: KP-SIG-4, KP-Q-1..3, STB-1, STB-3, LT-ERR-9, KP-SIG-6 step 1.
 */
export function progSignatureRules(p: KernelProfile, config: KernelConfig): ProgSignatureProfile {
  const s = p.progSignature;
  return {
    ...(s.sizeBound !== null ? { signatureSizeLimit: s.sizeBound } : {}),
    copyErrorsAsEnomem: s.copyFaultErrno === 'ENOMEM',
    rejectZeroSize: s.rejectZeroSize,
    systemDataVerification: config.CONFIG_SYSTEM_DATA_VERIFICATION,
  };
}
