// IPE's evaluation (security/ipe/eval.c: ipe_evaluate_event, evaluate_property), for the one
// operation bpfsig produces events for, BPF_PROG_LOAD. spec: IPE-1, IPE-3, IPE-5.
//
//  - No active policy: allow, nothing audited.
//  - The op's rules in file order; a rule matches when every property matches (a rule without
//    properties always does); the first matching rule decides (IPE_MATCH_RULE).
//  - No rule matched: the op's DEFAULT (IPE_MATCH_TABLE), else the global DEFAULT (IPE_MATCH_GLOBAL).
//  - bpf_signature=V: the verdict equals V. bpf_keyring=BUILTIN|SECONDARY|PLATFORM: attr->keyring_id
//    (an s32) equals 0, 1 (VERIFY_USE_SECONDARY_KEYRING) or 2 (VERIFY_USE_PLATFORM_KEYRING); a user
//    keyring serial matches none. bpf_kernel=TRUE|FALSE: the load came from the kernel or not.
//  - File properties against an event without a file (the BPF context has none): the kernel's
//    evaluators see no initramfs flag, no block device and no inode, so boot_verified=FALSE,
//    dmverity_signature=FALSE and fsverity_signature=FALSE match and the other file properties do
//    not (with CONFIG_IPE_PROP_DM_VERITY_SIGNATURE / FS_VERITY_BUILTIN_SIG enabled, which bpfsig
//    assumes).

import type { IntegrityVerdict } from '../hooks.js';
import type { IpeAction, IpeOp, IpePolicy, IpeProp, IpeRule } from './policy.js';

/** The evaluation context IPE builds for a BPF program load (IPE-1). */
export interface IpeBpfEvalCtx {
  readonly op: IpeOp;
  readonly verdict: IntegrityVerdict;
  /** attr->keyring_id as an s32. */
  readonly keyringId: number;
  readonly kernel: boolean;
}

/** enum ipe_match */
export type IpeMatch = 'rule' | 'table' | 'global';

export interface IpeDecision {
  readonly action: IpeAction;
  readonly match: IpeMatch;
  /** The matching rule (match === 'rule'). */
  readonly rule: IpeRule | null;
}

/** VERIFY_USE_SECONDARY_KEYRING, VERIFY_USE_PLATFORM_KEYRING as (s32)(unsigned long). */
const KEYRING_IDS = { BUILTIN: 0, SECONDARY: 1, PLATFORM: 2 } as const;

/** evaluate_property for a BPF_PROG_LOAD context. */
export function evaluateProperty(ctx: IpeBpfEvalCtx, p: IpeProp): boolean {
  switch (p.kind) {
    case 'bpf': {
      const [key, value] = p.token.split('=') as [string, string];
      if (key === 'bpf_signature') return ctx.verdict === value;
      if (key === 'bpf_keyring') return ctx.keyringId === KEYRING_IDS[value as keyof typeof KEYRING_IDS];
      return value === 'TRUE' ? ctx.kernel : !ctx.kernel;
    }
    case 'flag':
      // No file: not from initramfs, no dm-verity device, no fs-verity inode.
      return p.token.endsWith('=FALSE');
    case 'digest':
      return false;
  }
}

/** ipe_evaluate_event's decision (the caller audits it and applies enforce). */
export function evaluate(policy: IpePolicy, ctx: IpeBpfEvalCtx): IpeDecision {
  const table = policy.rules.get(ctx.op);
  if (table) {
    for (const rule of table.rules) {
      if (rule.props.every((p) => evaluateProperty(ctx, p))) return { action: rule.action, match: 'rule', rule };
    }
    if (table.defaultAction !== null) return { action: table.defaultAction, match: 'table', rule: null };
  }
  // validate_policy guarantees a global default whenever an op has none.
  return { action: policy.globalDefault ?? 'ALLOW', match: 'global', rule: null };
}
