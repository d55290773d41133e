// The IPE LSM with the Hornet integration ("ipe: Add BPF program load policy enforcement via Hornet
// integration", v7, merged into the LSM tree 2026-05-13). spec: IPE-1..6, AUD-IPE-1..4, HN-HOOK-2.
//
// Hooks (security/ipe/ipe.c, hooks.c). CONFIG_IPE_PROP_BPF_SIGNATURE depends on
// CONFIG_SECURITY_HORNET, so IPE has BPF hooks only on a kernel with Paul Moore's integrity hooks
// (profile.lsmIntegrityHooks); elsewhere it registers none and its parser does not know
// op=BPF_PROG_LOAD or the bpf_* properties (a policy using them is -EBADMSG).
//  - revision v7 (default; the merged patch, as in linux-next): bpf_prog_load_post_integrity stores
//    the verdict in IPE's blob of prog->aux->security and returns 0; bpf_prog_load builds the eval
//    context (op and hook BPF_PROG_LOAD, the stored verdict — NONE when no integrity LSM reported —,
//    attr->keyring_id, kernel) and evaluates. A deny is -EACCES from security_bpf_prog_load.
//  - revision v5 (2026-04-20; what spec IPE-1 describes): bpf_prog_load_post_integrity evaluates
//    with the verdict it is handed; IPE has no bpf_prog_load hook, so loads no integrity LSM
//    reported on are never evaluated. A deny is -EACCES returned to the integrity LSM, which passes
//    it back up through security_bpf_prog_load (HN-HOOK-1/2).
// ipe_evaluate_event: no active policy → 0 and no record; otherwise the decision (eval.ts), an
// IPE_ACCESS record for a deny (and for an allow with success auditing), and -EACCES for a deny
// unless IPE is permissive (ipe.enforce=0), when the load goes on and the record says enforcing=0.
//
// Policies: `ipePolicy` is a boot policy (CONFIG_IPE_BOOT_POLICY): parsed at IPE's init and active
// from then on; ipe_init writes no audit record. `ipePolicySigned` is a PKCS#7-signed policy that
// userspace deploys at startup through securityfs (`cat policy.p7b > …/ipe/new_policy`, then
// `echo 1 > …/ipe/policies/<name>/active`): two write(2) calls whose events carry IPE_POLICY_LOAD
// and IPE_CONFIG_CHANGE (AUD-IPE-4).

import { SYSCALL_NR } from '../../audit/rules.js';
import { KLog } from '../../keys/klog.js';
import { pkcs7_parse_message } from '../../keys/pkcs7-parse.js';
import { Errno } from '../../abi/errno.js';
import type { BpfProgLoadArgs, IntegrityVerdict, LsmContext, LsmHost, LsmHostProcess, LsmModule } from '../hooks.js';
import { LsmConfigError, registerLsm, type LsmOptions } from '../registry.js';
import { accessRecordBody, audited, policyActivationBody, policyLoadBody, type LoadedPolicy } from './audit.js';
import { evaluate, type IpeDecision } from './eval.js';
import { IpePolicyError, parseIpePolicy } from './parser.js';
import { policyVersionString } from './policy.js';

/** What IPE keeps per program (struct ipe_bpf_prog): the verdict post_integrity handed it. */
interface IpeBpfProg {
  verdict: IntegrityVerdict;
}

/** One evaluation, as the module remembers it (for tests and reports). */
export interface IpeEvaluation {
  readonly prog: string;
  readonly kernel: boolean;
  readonly verdict: IntegrityVerdict;
  readonly keyringId: number;
  readonly decision: IpeDecision;
  /** What the hook returned: 0 or -EACCES. */
  readonly ret: number;
}

export interface IpeModule extends LsmModule {
  readonly state: IpeState;
}

export interface IpeState {
  /** The active policy (ipe_active_policy), if any. */
  active: LoadedPolicy | null;
  /** Policies deployed through securityfs, by name. */
  readonly deployed: Map<string, LoadedPolicy>;
  /** `enforce` (ipe.enforce). */
  enforce: boolean;
  /** `success_audit` (ipe.success_audit). */
  successAudit: boolean;
  /** The kernel's IPE has the Hornet integration (set at boot from the profile). */
  bpf: boolean;
  readonly revision: 'v7' | 'v5';
  /** Every BPF_PROG_LOAD evaluation with an active policy, in order. */
  readonly evaluations: IpeEvaluation[];
}

const NAME = 'ipe';
const SECURITYFS = '/sys/kernel/security/ipe';

export function ipeModule(opts: LsmOptions = {}): IpeModule {
  const revision = opts.ipeRevision ?? 'v7';
  if (revision !== 'v7' && revision !== 'v5') throw new LsmConfigError(`ipe: unknown revision '${String(revision)}' (v7 or v5)`);
  const state: IpeState = {
    active: null,
    deployed: new Map(),
    enforce: opts.ipeEnforce ?? true,
    successAudit: opts.ipeSuccessAudit ?? false,
    bpf: false,
    revision,
    evaluations: [],
  };

  /** ipe_evaluate_event for a BPF_PROG_LOAD context. */
  const evaluateBpf = (a: BpfProgLoadArgs, verdict: IntegrityVerdict, ctx: LsmContext): number => {
    const pol = state.active;
    if (!pol) return 0;
    // attr->keyring_id is an __s32 (UAPI-LAYOUT-3).
    const keyringId = a.attr.keyring_id;
    const decision = evaluate(pol.parsed, { op: 'BPF_PROG_LOAD', verdict, keyringId, kernel: a.kernel });
    // spec: AUD-IPE-1, AUD-IPE-3 (denials always; allows with success_audit), AUD-SER-2
    if (audited(decision.action, state.successAudit)) {
      ctx.audit('IPE_ACCESS', accessRecordBody({ op: 'BPF_PROG_LOAD', hook: 'BPF_PROG_LOAD', enforcing: state.enforce, pid: ctx.pid, comm: ctx.comm, decision }));
    }
    // spec: IPE-2 (-EACCES), AUD-IPE-1 (permissive: recorded, not enforced)
    const ret = decision.action === 'DENY' && state.enforce ? -Errno.EACCES : 0;
    state.evaluations.push({ prog: a.prog.name, kernel: a.kernel, verdict, keyringId, decision, ret });
    return ret;
  };

  const module: IpeModule = {
    name: NAME,
    hooks: {},
    state,
    boot(kernel: LsmHost) {
      state.bpf = kernel.profile.lsmIntegrityHooks;
      // security_add_hooks(ipe_hooks): the BPF entries exist only with CONFIG_IPE_PROP_BPF_SIGNATURE.
      // spec: IPE-1, HN-HOOK-2
      if (state.bpf) {
        if (revision === 'v7') {
          module.hooks.bpf_prog_load_post_integrity = (a) => {
            // The blob is zeroed at allocation (verdict NONE); the last integrity LSM to report wins.
            a.prog.security.set(NAME, { verdict: a.verdict } satisfies IpeBpfProg);
            return 0;
          };
          module.hooks.bpf_prog_load = (a, ctx) => evaluateBpf(a, (a.prog.security.get(NAME) as IpeBpfProg | undefined)?.verdict ?? 'NONE', ctx);
        } else {
          module.hooks.bpf_prog_load_post_integrity = (a, ctx) => evaluateBpf(a, a.verdict, ctx);
        }
      }
      if (opts.ipePolicy !== undefined) {
        // ipe_init: ipe_new_policy(ipe_boot_policy) — a bad boot policy fails IPE's init. spec: IPE-5, AUD-IPE-4 (no record)
        const parsed = parseIpePolicy(opts.ipePolicy, { bpf: state.bpf, ...(opts.ipePolicyFile ? { file: opts.ipePolicyFile } : {}) });
        state.active = { parsed, pkcs7: new Uint8Array(0) };
      }
      // spec: AUD-IPE-4
      if (opts.ipePolicySigned) deploySigned(kernel, state, opts.ipePolicySigned, opts.ipePolicyFile ?? 'policy.p7b');
    },
  };
  return module;
}

/** ipe_new_policy on a signed policy: verify (builtin keyring), take the content, parse. */
function newSignedPolicy(kernel: LsmHost, state: IpeState, raw: Uint8Array, file: string, note: (text: string) => void): LoadedPolicy | number {
  // verify_pkcs7_signature(NULL, 0, pkcs7, len, NULL (builtin keyring), VERIFYING_UNSPECIFIED_SIGNATURE, set_pkcs7_data, p)
  const v = kernel.keys.verify_pkcs7_signature(null, raw, null, 'VERIFYING_UNSPECIFIED_SIGNATURE');
  if (v.ret < 0) {
    note(`ipe: policy signature: ${v.detail}`);
    return v.ret;
  }
  const msg = pkcs7_parse_message(raw, { cfg: kernel.keys.config }, new KLog());
  if (typeof msg === 'number') return msg;
  // set_pkcs7_data sees the content; a message without any is -ENODATA (pkcs7_get_content_data).
  if (!msg.data) {
    note('ipe: the PKCS#7 message carries no policy (detached signature)');
    return -Errno.ENODATA;
  }
  try {
    return { parsed: parseIpePolicy(Buffer.from(msg.data).toString('utf8'), { bpf: state.bpf, file }), pkcs7: raw };
  } catch (e) {
    if (!(e instanceof IpePolicyError)) throw e;
    note(`ipe: ${e.message}`);
    return e.errno;
  }
}

/** A root process's write(2) of `data` to a securityfs node (its stdout redirected there). */
function securityfsWrite(kernel: LsmHost, proc: LsmHostProcess, node: string, data: Uint8Array, body: (ctx: LsmContext, note: (text: string) => void) => number): number {
  const buf = proc.alloc(data, node);
  const r = kernel.syscall(proc, 'write', SYSCALL_NR.write!, [1n, buf, BigInt(data.length), 0n], { args: { fd: 1, path: `${SECURITYFS}/${node}`, count: data.length } }, (ctx) => {
    const ret = body(ctx.lsmContext(), (text) => kernel.trace.emit({ kind: 'note', sys: ctx.sys, text }));
    return ret < 0 ? ret : data.length;
  });
  return r.ret;
}

/**
 * `cat FILE > ipe/new_policy; echo 1 > ipe/policies/<name>/active`, at startup. A failure is what
 * the kernel does with it: the write fails, the records say so, and IPE goes on without the policy.
 */
function deploySigned(kernel: LsmHost, state: IpeState, raw: Uint8Array, file: string): void {
  const cat = kernel.spawn({ comm: 'cat', exe: '/usr/bin/cat', argv: ['cat', file] });
  let loaded: LoadedPolicy | null = null;
  // fs.c new_policy(): ipe_new_policy, then the policyfs node (-EEXIST for a name already deployed).
  const ret = securityfsWrite(kernel, cat, 'new_policy', raw, (ctx, note) => {
    let p = newSignedPolicy(kernel, state, raw, file, note);
    if (typeof p !== 'number' && state.deployed.has(p.parsed.name)) p = -Errno.EEXIST;
    ctx.audit('IPE_POLICY_LOAD', policyLoadBody(p, cat.auid, cat.ses));
    if (typeof p === 'number') return p;
    state.deployed.set(p.parsed.name, p);
    loaded = p;
    return 0;
  });
  const p = loaded as LoadedPolicy | null;
  if (ret < 0 || !p) return;
  const sh = kernel.spawn({ comm: 'sh', exe: '/usr/bin/sh', argv: ['sh', '-c', `echo 1 > ${SECURITYFS}/policies/${p.parsed.name}/active`] });
  // policy_fs.c setactive() → ipe_set_active_pol(): a lower version than the active one is -EINVAL.
  securityfsWrite(kernel, sh, `policies/${p.parsed.name}/active`, new Uint8Array(Buffer.from('1\n')), (ctx, note) => {
    const old = state.active;
    if (old === p) return 0;
    if (old && versionOf(old) > versionOf(p)) {
      note(`ipe: policy '${p.parsed.name}' ${policyVersionString(p.parsed)} is older than the active '${old.parsed.name}' ${policyVersionString(old.parsed)}`);
      return -Errno.EINVAL;
    }
    state.active = p;
    ctx.audit('IPE_CONFIG_CHANGE', policyActivationBody(old, p, sh.auid, sh.ses));
    return 0;
  });
}

function versionOf(p: LoadedPolicy): bigint {
  const v = p.parsed.version;
  return (BigInt(v.major) << 32n) | (BigInt(v.minor) << 16n) | BigInt(v.rev);
}


registerLsm({
  name: NAME,
  summary: 'IPE with the Hornet integration: a policy (--ipe-policy) over op=BPF_PROG_LOAD with bpf_signature/bpf_keyring/bpf_kernel; denials are -EACCES and IPE_ACCESS records',
  spec: ['IPE-1', 'IPE-2', 'IPE-3', 'IPE-5', 'AUD-IPE-1', 'AUD-IPE-2', 'AUD-IPE-3', 'AUD-IPE-4'],
  create: ipeModule,
});
