// The LSM hooks bpfsig models, with the arguments the kernel passes.
// spec: LSM-HOOK-1 (v6.18 BPF hooks), LSM-HOOK-3 (`bool kernel`), CAP-5 (capable() goes through
// security_capable, where the capability LSM answers first).

import type { AuditTypeName } from '../audit/types.js';
import type { KeyService } from '../keys/key-service.js';
import type { ProcessKeyrings } from '../keys/process-keyrings.js';
import type { CapName, Cred } from '../abi/creds.js';
import type { MapCreateAttr, ProgLoadAttr, TypedAttr } from '../abi/uapi/attr-types.js';

/** A map as an integrity LSM reaches it: its view and map->ops->map_get_hash. */
export interface LsmMap {
  readonly view: MapView;
  /** map_get_hash: SHA-256 of the value area (arrays, MHASH-7), or -EINVAL for types without it (HC-CHK-4). */
  hash(): Uint8Array | number;
}

/** A program reached by fd (e.g. test.prog_fd in security_bpf), with what it holds. */
export interface LsmProg {
  readonly view: ProgView;
  /** prog->aux->used_maps. */
  usedMaps(): LsmMap[];
}

/**
 * The kernel internals an LSM's C code would touch directly (struct bpf_prog, copy_from_bpfptr,
 * fdget, the keys subsystem). Integrity LSMs (Hornet) need them; policy LSMs usually do not.
 */
export interface LsmKernel {
  /** copy_from_bpfptr on the current call's pointers (kernel pointers when the call came from a BPF program). */
  copyFromBpfptr(addr: bigint, len: number, offset?: number): Uint8Array | null;
  /** The map behind an fd of the calling process, or -EBADF (empty fd) / -EINVAL (not a map). */
  mapByFd(fd: number): LsmMap | number;
  /** The program behind an fd of the calling process, or -EBADF / -EINVAL. */
  progByFd(fd: number): LsmProg | number;
  /** prog->aux->used_maps of a program (after bpf_check bound them). */
  usedMaps(prog: ProgView): LsmMap[];
  /** prog->insnsi, prog->len * 8 bytes: as copied from the caller until bpf_check rewrites them. */
  progInsns(prog: ProgView): Uint8Array;
  /** A kernel log line (pr_debug) in the current call's trace, e.g. why an integrity LSM chose its verdict. */
  note(text: string): void;
  /** The keys subsystem and the calling process's keyrings (pkcs7 parsing, lookup_user_key). */
  readonly keys: KeyService;
  readonly keyrings: ProcessKeyrings;
}

/** What hook callbacks can reach: the calling process, the audit log, and the kernel's internals. */
export interface LsmContext {
  readonly pid: number;
  readonly comm: string;
  readonly cred: Cred;
  /** Emit an audit record of the given type into the current syscall's event (AUD-SER-2). */
  audit(type: AuditTypeName, body: string): void;
  /** Kernel internals; absent outside a syscall (e.g. a free hook from a kernel thread). */
  readonly kernel?: LsmKernel;
}

/** enum lsm_integrity_verdict (final values). spec: HN-VERD-1, HN-VERD-2 */
export const LsmIntegrityVerdict = {
  NONE: 0,
  OK: 1,
  UNSIGNED: 2,
  PARTIALSIG: 3,
  UNKNOWNKEY: 4,
  UNEXPECTED: 5,
  FAULT: 6,
  BADSIG: 7,
} as const;
export type IntegrityVerdict = keyof typeof LsmIntegrityVerdict;

/** struct lsm_id: the integrity LSM that computed a verdict. spec: HN-HOOK-2, HN-LIM-3 */
export interface LsmId {
  readonly name: string;
  readonly id: number;
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
  /** prog->aux->security: each LSM's blob for this program, by LSM name (allocated at security_bpf_prog_load). */
  readonly security: Map<string, unknown>;
}

export interface CapableArgs {
  readonly cred: Cred;
  readonly cap: CapName;
}
export interface BpfArgs {
  readonly cmd: number;
  /**
   * The attr as copied in (raw, unverified: KP-LSM-1), decoded once at syscall entry with its
   * command's generated type (src/abi/uapi/attr-types.ts); undefined for a command without a layout.
   */
  readonly attr: TypedAttr | undefined;
  readonly size: number;
  readonly kernel: boolean;
}
export interface BpfMapArgs {
  readonly map: MapView;
  readonly fmode: number;
}
export interface BpfMapCreateArgs {
  readonly map: MapView;
  readonly attr: MapCreateAttr;
  readonly token: null;
  readonly kernel: boolean;
}
export interface BpfProgLoadArgs {
  readonly prog: ProgView;
  readonly attr: ProgLoadAttr;
  readonly token: null;
  readonly kernel: boolean;
}
export interface BpfProgArgs {
  readonly prog: ProgView;
}
/**
 * bpf_prog_load_integrity(prog, attr, token, kernel), called inside security_bpf_prog_load before
 * the bpf_prog_load hooks (HN-HOOK-1). Only these callbacks get `postIntegrity`: the rule that only
 * integrity LSMs call security_bpf_prog_load_post_integrity (HN-HOOK-2) is kept by construction.
 */
export interface BpfProgLoadIntegrityArgs extends BpfProgLoadArgs {
  /** security_bpf_prog_load_post_integrity(prog, attr, token, kernel, lsmid, verdict): the policy LSMs' answer. */
  postIntegrity(lsmid: LsmId, verdict: IntegrityVerdict): number;
}
/** bpf_prog_load_post_integrity(…, lsmid, verdict): a verdict handed to policy LSMs (IPE, BPF LSM). HN-HOOK-2 */
export interface BpfProgLoadPostIntegrityArgs extends BpfProgLoadArgs {
  readonly lsmid: LsmId;
  readonly verdict: IntegrityVerdict;
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
  bpf_prog_load_integrity(a: BpfProgLoadIntegrityArgs, ctx: LsmContext): number;
  bpf_prog_load_post_integrity(a: BpfProgLoadPostIntegrityArgs, ctx: LsmContext): number;
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
  /**
   * Called once when the kernel has booted (after its audit log and keyrings exist): the LSM's init
   * (security_add_hooks, a boot policy) and anything userspace does at startup on its behalf (e.g.
   * deploying an IPE policy through securityfs). Throwing refuses the configuration.
   */
  boot?(kernel: LsmHost): void;
}

/**
 * What an LSM's boot step may use of the kernel it boots in. The emulated Kernel is one; the type
 * is declared here so that lsm/ stays below syscall/ (issue K, the layer diagram of
 * docs/architecture.md).
 */
export interface LsmHost {
  readonly profile: {
    readonly name: string;
    /** Paul Moore's integrity hooks (HN-HOOK-1/2). */
    readonly lsmIntegrityHooks: boolean;
    readonly progLoadStages: readonly { readonly provides: readonly string[] }[];
  };
  readonly keys: KeyService;
  readonly trace: { emit(e: { kind: 'note'; sys: number; text: string }): unknown };
  /** Start a process (a userspace helper of the LSM's setup: cat, sh). */
  spawn(opts: { comm?: string; exe?: string; argv?: readonly string[] }): LsmHostProcess;
  /** Run a syscall of `proc` (entry, audit, trace, exit) around `body`. */
  syscall(proc: LsmHostProcess, name: string, nr: number, args: readonly bigint[], info: { args?: Record<string, string | number> }, body: (call: LsmHostCall) => number): { readonly ret: number };
}

/** A process an LSM's setup runs. */
export interface LsmHostProcess {
  /** Audit login uid and session (what its records say). */
  readonly auid: number;
  readonly ses: number;
  alloc(bytes: Uint8Array, name?: string): bigint;
}

/** The syscall an LSM's setup runs (its trace id and the hooks' context). */
export interface LsmHostCall {
  readonly sys: number;
  lsmContext(): LsmContext;
}
