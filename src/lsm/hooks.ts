// The LSM hooks bpfsig models, with the arguments the kernel passes.
// spec: LSM-HOOK-1 (v6.18 BPF hooks), LSM-HOOK-3 (`bool kernel`), CAP-5 (capable() goes through
// security_capable, where the capability LSM answers first).

import type { AuditTypeName } from '../audit/types.js';
import type { CapName, Cred } from '../syscall/creds.js';
import type { Decoded } from '../syscall/uapi/layout.js';

/** What hook callbacks can reach: the calling process and the audit log (for AVC-style records). */
export interface LsmContext {
  readonly pid: number;
  readonly comm: string;
  readonly cred: Cred;
  /** Emit an audit record of the given type into the current syscall's event (AUD-SER-2). */
  audit(type: AuditTypeName, body: string): void;
}

/** A kernel object as hooks see it: enough to write a policy, without reaching into internals. */
export interface MapView {
  readonly id: number;
  readonly name: string;
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags: number;
  readonly frozen: boolean;
  /** map->excl_prog_sha (EXCL-2), hex, or null. KP-LSM-2 */
  readonly exclProgSha: string | null;
}

/** prog->aux->sig as a hook sees it (LT-VERD-1/2, LT-LSM-1). */
export interface ProgSigView {
  readonly verdict: 'BPF_SIG_UNSIGNED' | 'BPF_SIG_VERIFIED';
  readonly keyringType: 'BPF_SIG_KEYRING_NONE' | 'BPF_SIG_KEYRING_BUILTIN' | 'BPF_SIG_KEYRING_SECONDARY' | 'BPF_SIG_KEYRING_PLATFORM' | 'BPF_SIG_KEYRING_USER';
  readonly keyringSerial: number;
}

export interface ProgView {
  readonly id: number;
  readonly name: string;
  readonly progType: number;
  readonly insnCnt: number;
  readonly sleepable: boolean;
  /** SHA-256 digest (DIG-1), hex, once computed; null before bpf_check. */
  readonly digest: string | null;
  readonly usedMapIds: readonly number[];
  /**
   * prog->aux->sig: the signature verdict and keyring fields (final at security_bpf_prog_load,
   * LT-LSM-1); null on kernels that keep no such state (v6.18 and KP's scheme, KP-LOAD-4).
   */
  readonly sig: ProgSigView | null;
}

export interface CapableArgs {
  readonly cred: Cred;
  readonly cap: CapName;
}
export interface BpfArgs {
  readonly cmd: number;
  /** The attr as copied in (raw, unverified: KP-LSM-1). */
  readonly attr: Decoded;
  readonly size: number;
  readonly kernel: boolean;
}
export interface BpfMapArgs {
  readonly map: MapView;
  readonly fmode: number;
}
export interface BpfMapCreateArgs {
  readonly map: MapView;
  readonly attr: Decoded;
  readonly token: null;
  readonly kernel: boolean;
}
export interface BpfProgLoadArgs {
  readonly prog: ProgView;
  readonly attr: Decoded;
  readonly token: null;
  readonly kernel: boolean;
}
export interface BpfProgArgs {
  readonly prog: ProgView;
}
export interface BpfMapFreeArgs {
  readonly map: MapView;
}
export interface BpfProgFreeArgs {
  readonly prog: ProgView;
}

/** int hooks: 0 allows, a negative errno denies. */
export interface IntHooks {
  capable(a: CapableArgs, ctx: LsmContext): number;
  bpf(a: BpfArgs, ctx: LsmContext): number;
  bpf_map(a: BpfMapArgs, ctx: LsmContext): number;
  bpf_map_create(a: BpfMapCreateArgs, ctx: LsmContext): number;
  bpf_prog_load(a: BpfProgLoadArgs, ctx: LsmContext): number;
  bpf_prog(a: BpfProgArgs, ctx: LsmContext): number;
}

/** void hooks: every LSM is called. spec: LSM-STACK-2 */
export interface VoidHooks {
  bpf_map_free(a: BpfMapFreeArgs, ctx: LsmContext): void;
  bpf_prog_free(a: BpfProgFreeArgs, ctx: LsmContext): void;
}

export type IntHookName = keyof IntHooks;
export type VoidHookName = keyof VoidHooks;
export type HookName = IntHookName | VoidHookName;

export interface LsmModule {
  /** The name that appears in `lsm=` and in traces, e.g. `capability`, `bpf`. */
  readonly name: string;
  readonly hooks: Partial<IntHooks & VoidHooks>;
}
