// IPE's policy model: operations, properties, rules, per-operation tables and the parsed policy
// (security/ipe/policy.h). The token tables are the parser's match tables (policy_parser.c) and
// the audit name tables (audit.c), with the Hornet integration's additions (IPE-3, AUD-IPE-2).
// spec: IPE-3, IPE-5, AUD-IPE-2.

import type { IntegrityVerdict } from '../hooks.js';

/**
 * enum ipe_op_type, in the kernel's order. `BPF_PROG_LOAD` exists only in trees carrying
 * "ipe: Add BPF program load policy enforcement via Hornet integration" (IPE-3); the parser of a
 * kernel without it rejects `op=BPF_PROG_LOAD` (-EBADMSG).
 */
export const IPE_OPS = ['EXECUTE', 'FIRMWARE', 'KMODULE', 'KEXEC_IMAGE', 'KEXEC_INITRAMFS', 'POLICY', 'X509_CERT', 'BPF_PROG_LOAD'] as const;
export type IpeOp = (typeof IPE_OPS)[number];

/** enum ipe_hook_type names as audit.c prints them (`ipe_hook=`). */
export type IpeHook = 'BPRM_CHECK' | 'BPRM_CREDS_FOR_EXEC' | 'MMAP' | 'MPROTECT' | 'KERNEL_READ' | 'KERNEL_LOAD' | 'BPF_PROG_LOAD';

export type IpeAction = 'ALLOW' | 'DENY';

/** The properties with a fixed value (match_token patterns without `%s`), in the kernel's order. */
export const IPE_FLAG_PROPS = [
  'boot_verified=FALSE',
  'boot_verified=TRUE',
  'dmverity_signature=FALSE',
  'dmverity_signature=TRUE',
  'fsverity_signature=FALSE',
  'fsverity_signature=TRUE',
] as const;

/** The Hornet integration's properties (IPE-3). */
export const IPE_BPF_PROPS = [
  'bpf_signature=NONE',
  'bpf_signature=OK',
  'bpf_signature=UNSIGNED',
  'bpf_signature=PARTIALSIG',
  'bpf_signature=UNKNOWNKEY',
  'bpf_signature=UNEXPECTED',
  'bpf_signature=FAULT',
  'bpf_signature=BADSIG',
  'bpf_keyring=BUILTIN',
  'bpf_keyring=SECONDARY',
  'bpf_keyring=PLATFORM',
  'bpf_kernel=FALSE',
  'bpf_kernel=TRUE',
] as const;

/** The properties that carry a digest (`%s` patterns, parsed by ipe_digest_parse). */
export const IPE_DIGEST_KEYS = ['dmverity_roothash', 'fsverity_digest'] as const;

/** struct digest_info: `<alg>:<hex>`. */
export interface IpeDigest {
  readonly alg: string;
  readonly digest: Uint8Array;
}

export type IpeProp =
  | { readonly kind: 'flag'; readonly token: (typeof IPE_FLAG_PROPS)[number] }
  | { readonly kind: 'bpf'; readonly token: (typeof IPE_BPF_PROPS)[number] }
  | { readonly kind: 'digest'; readonly key: (typeof IPE_DIGEST_KEYS)[number]; readonly value: IpeDigest };

/** struct ipe_rule, with where it came from (for messages and tests). */
export interface IpeRule {
  readonly op: IpeOp;
  readonly props: readonly IpeProp[];
  readonly action: IpeAction;
  /** 1-based line of the rule in the policy text. */
  readonly line: number;
}

/** struct ipe_op_table: the op's rules in file order and its DEFAULT, if any. */
export interface IpeOpTable {
  readonly rules: readonly IpeRule[];
  readonly defaultAction: IpeAction | null;
}

/** struct ipe_parsed_policy. */
export interface IpePolicy {
  readonly name: string;
  readonly version: { readonly major: number; readonly minor: number; readonly rev: number };
  readonly globalDefault: IpeAction | null;
  /** One table per operation the kernel's IPE knows (BPF_PROG_LOAD only with the Hornet integration). */
  readonly rules: ReadonlyMap<IpeOp, IpeOpTable>;
  /** The text the policy was parsed from (up to the first NUL, as the kernel reads it). */
  readonly text: string;
}

/** The `bpf_signature=` value for each integrity verdict: the names are the enum's (HN-VERD-1). */
export function bpfSignatureToken(v: IntegrityVerdict): (typeof IPE_BPF_PROPS)[number] {
  return `bpf_signature=${v}` as (typeof IPE_BPF_PROPS)[number];
}

export function policyVersionString(p: IpePolicy): string {
  return `${p.version.major}.${p.version.minor}.${p.version.rev}`;
}
