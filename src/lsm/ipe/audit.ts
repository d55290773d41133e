// IPE's audit record bodies (security/ipe/audit.c), with the Hornet integration's names (AUD-IPE-2).
// spec: AUD-IPE-1..4, AUD-SC-4 (untrusted strings).
//
// IPE_ACCESS (1420), from ipe_audit_match — written for every DENY decision, and for ALLOW ones only
// with success auditing on (ipe.success_audit=1 or securityfs ipe/success_audit):
//   ipe_op=<OP> ipe_hook=<HOOK> enforcing=<0|1> pid=<tgid> comm=<untrusted>
//   path=? dev=? ino=?            (a file-less event, as every BPF_PROG_LOAD is: audit.c's else branch)
//   rule="op=<OP> <prop> … action=<A>" | rule="DEFAULT op=<OP> action=<A>" | rule="DEFAULT action=<A>"
// The rule text is rebuilt from the parsed rule (audit_rule): op, each property as its audit name,
// action — single spaces, whatever spacing the policy had.
//
// IPE_POLICY_LOAD (1422), from ipe_audit_policy_load (a policy written to securityfs new_policy):
//   policy_name="<name>" policy_version=<x.y.z> policy_digest=sha256:<HEX of the PKCS#7 message>
//   auid=<u32> ses=<u32> lsm=ipe res=1 errno=0
// or, when the load failed: policy_name=? policy_version=? policy_digest=? … res=0 errno=<-errno>.
//
// IPE_CONFIG_CHANGE (1421), from ipe_audit_policy_activation (a policy made active):
//   old_active_pol_name=… old_active_pol_version=… old_policy_digest=… (or =? when none)
//   new_active_pol_name="<name>" new_active_pol_version=<x.y.z> new_policy_digest=sha256:<HEX>
//   auid=<u32> ses=<u32> lsm=ipe res=1

import { createHash } from 'node:crypto';
import { untrustedString } from '../../audit/log.js';
import type { IpeDecision } from './eval.js';
import { policyVersionString, type IpeAction, type IpeHook, type IpeOp, type IpePolicy, type IpeProp, type IpeRule } from './policy.js';

/** The audit name of a property (audit_prop_names; digests as `<key>=<alg untrusted>:<HEX>`). */
export function auditProp(p: IpeProp): string {
  if (p.kind !== 'digest') return p.token;
  return `${p.key}=${untrustedString(p.value.alg)}:${Buffer.from(p.value.digest).toString('hex').toUpperCase()}`;
}

/** audit_rule: the text of a matching rule as IPE writes it. */
export function auditRuleText(r: IpeRule): string {
  return `op=${r.op} ${r.props.map((p) => `${auditProp(p)} `).join('')}action=${r.action}`;
}

/** The `rule="…"` value of an IPE_ACCESS record. */
export function decisionRuleText(op: IpeOp, d: IpeDecision): string {
  if (d.match === 'rule' && d.rule) return auditRuleText(d.rule);
  if (d.match === 'table') return `DEFAULT op=${op} action=${d.action}`;
  return `DEFAULT action=${d.action}`;
}

export interface AccessRecordArgs {
  readonly op: IpeOp;
  readonly hook: IpeHook;
  readonly enforcing: boolean;
  readonly pid: number;
  readonly comm: string;
  readonly decision: IpeDecision;
}

/** The body of an IPE_ACCESS (1420) record for a file-less event. */
export function accessRecordBody(a: AccessRecordArgs): string {
  // get_task_comm: at most TASK_COMM_LEN - 1 = 15 bytes.
  const comm = Buffer.from(a.comm, 'utf8').subarray(0, 15);
  return (
    `ipe_op=${a.op} ipe_hook=${a.hook} enforcing=${a.enforcing ? 1 : 0} pid=${a.pid} comm=${untrustedString(comm)}` +
    ` path=? dev=? ino=? rule="${decisionRuleText(a.op, a.decision)}"`
  );
}

/** Does IPE write a record for this decision? Denials always; allows only with success auditing. */
export function audited(action: IpeAction, successAudit: boolean): boolean {
  return action === 'DENY' || successAudit;
}

/** A deployed policy: the parsed text and the PKCS#7 message it came in (empty for a boot policy). */
export interface LoadedPolicy {
  readonly parsed: IpePolicy;
  readonly pkcs7: Uint8Array;
}

/** audit_policy: name, version and the SHA-256 of the PKCS#7 message, in one of audit.c's formats. */
function policyFields(prefix: { name: string; version: string; digest: string }, p: LoadedPolicy): string {
  const digest = createHash('sha256').update(p.pkcs7).digest('hex').toUpperCase();
  return `${prefix.name}="${p.parsed.name}" ${prefix.version}=${policyVersionString(p.parsed)} ${prefix.digest}=sha256:${digest}`;
}

/** IPE_POLICY_LOAD (1422): a policy written to securityfs, or the error that stopped it. */
export function policyLoadBody(p: LoadedPolicy | number, auid: number, ses: number): string {
  const head = typeof p === 'number' ? 'policy_name=? policy_version=? policy_digest=?' : policyFields({ name: 'policy_name', version: 'policy_version', digest: 'policy_digest' }, p);
  const err = typeof p === 'number' ? p : 0;
  return `${head} auid=${auid >>> 0} ses=${ses >>> 0} lsm=ipe res=${err === 0 ? 1 : 0} errno=${err}`;
}

/** IPE_CONFIG_CHANGE (1421): the active policy switched from `old` (or none) to `now`. */
export function policyActivationBody(old: LoadedPolicy | null, now: LoadedPolicy, auid: number, ses: number): string {
  const o = old
    ? policyFields({ name: 'old_active_pol_name', version: 'old_active_pol_version', digest: 'old_policy_digest' }, old)
    : 'old_active_pol_name=? old_active_pol_version=? old_policy_digest=?';
  const n = policyFields({ name: 'new_active_pol_name', version: 'new_active_pol_version', digest: 'new_policy_digest' }, now);
  return `${o} ${n} auid=${auid >>> 0} ses=${ses >>> 0} lsm=ipe res=1`;
}
