// The runs claims share: one comparison per profile (every case), skeletons per toolchain, raw
// loads on fresh kernels, and the evidence lines read back from them. Runs are made once and
// reused by every claim that needs them.

import type { AuditSeries } from '../../audit/series.js';
import { makeSigningIdentity, type SigningIdentity } from '../../keys/make-cert.js';
import { KEY_SPEC_SESSION_KEYRING } from '../../keys/process-keyrings.js';
import { BpfClient, type ProgLoadOpts } from '../../loader/bpf.js';
import { DEFAULT_EXAMPLE, readExampleObject } from '../../loader/examples.js';
import type { BpfObject } from '../../loader/elf/object-types.js';
import type { LightSkeleton } from '../../loader/lskel-reader.js';
import { findToolchain } from '../../loader/gen-loader/profiles.js';
import { Kernel } from '../../syscall/kernel.js';
import { getProfile } from '../../syscall/profiles/index.js';
import type { SysResult } from '../../syscall/result.js';
import type { StageEvent } from '../../syscall/trace.js';
import { runCompare, type CompareCell } from '../compare/compare.js';
import { makeSkeleton, openObjectBytes } from '../make-skeleton.js';
import { runSkeleton, type RunSkeletonOptions, type SkelRun } from '../skel-run.js';
import { ProfileMissing, type Check, type Evidence } from './claim.js';

export class ClaimContext {
  readonly obj: BpfObject;
  readonly identity: SigningIdentity;
  private readonly other: SigningIdentity;
  private readonly cells = new Map<string, readonly CompareCell[]>();
  private readonly skels = new Map<string, LightSkeleton>();

  /** The audit series every kernel of the claims joins (`claims --audit-file`). */
  private readonly audit: AuditSeries | undefined;

  constructor(opts: { identity?: SigningIdentity; otherIdentity?: SigningIdentity; audit?: AuditSeries } = {}) {
    this.audit = opts.audit;
    this.obj = openObjectBytes(readExampleObject(DEFAULT_EXAMPLE)!, `examples/bpf/${DEFAULT_EXAMPLE}.bpf.o`);
    this.identity = opts.identity ?? makeSigningIdentity({ cn: 'bpfsig claims signing key' });
    this.other = opts.otherIdentity ?? makeSigningIdentity({ cn: 'bpfsig claims other key' });
  }

  /** Throws ProfileMissing when a profile is not registered (the claim is then not run). */
  need(...profiles: string[]): void {
    for (const p of profiles) if (!getProfile(p)) throw new ProfileMissing(p);
  }

  /** A comparison cell: `profile` with its scheme's own skeleton and default LSMs, case `c`. */
  cell(profile: string, c: string): CompareCell {
    this.need(profile);
    let cells = this.cells.get(profile);
    if (!cells) {
      cells = runCompare({ profiles: [profile], cross: false, identity: this.identity, otherIdentity: this.other, ...(this.audit ? { audit: this.audit } : {}) }).cells;
      this.cells.set(profile, cells);
    }
    const hit = cells.find((x) => x.case === c);
    if (!hit) throw new RangeError(`no cell ${profile}/${c}`);
    return hit;
  }

  /** The example object's skeleton through a toolchain (signed with the claims key unless `unsigned`). */
  skeleton(toolchain: string, o: { unsigned?: boolean; signMaps?: boolean } = {}): LightSkeleton {
    if (!findToolchain(toolchain)) throw new ProfileMissing(toolchain, 'toolchain');
    const key = `${toolchain}|${o.unsigned ? 'u' : 's'}|${o.signMaps ? 'M' : ''}`;
    let s = this.skels.get(key);
    if (!s) {
      s = makeSkeleton(this.obj, { toolchain, name: this.obj.name, ...(o.unsigned ? {} : { identity: this.identity }), ...(o.signMaps ? { signMaps: true } : {}) }).skeleton;
      this.skels.set(key, s);
    }
    return s;
  }

  /**
   * A skeleton run with the claims key's certificate in the session keyring, unless `opts` says
   * where the certificate goes (or that there is none): a comparison case's own placement.
   */
  run(skel: LightSkeleton, opts: RunSkeletonOptions): SkelRun {
    if (opts.profile) this.need(opts.profile);
    const placed = 'certDer' in opts || 'keyring' in opts;
    return runSkeleton(skel, { ...(placed ? {} : { certDer: this.identity.certDer, keyring: 'session' as const }), comm: 'skel_loader', ...(this.audit ? { audit: this.audit } : {}), ...opts });
  }

  /** A raw BPF_PROG_LOAD on a fresh kernel of `profile` (no LSMs), optionally with the claims key in the session keyring. */
  rawLoad(profile: string, o: ProgLoadOpts, withKey = false): { res: SysResult; kernel: Kernel; log: string } {
    this.need(profile);
    const kernel = new Kernel({ profile, ...(this.audit ? { audit: { series: this.audit } } : {}) });
    const proc = kernel.spawn({ comm: 'claim' });
    if (withKey) proc.addKey('asymmetric', 'claims key', this.identity.certDer, KEY_SPEC_SESSION_KEYRING);
    const r = new BpfClient(proc).progLoad(o);
    return { res: r.res, kernel, log: r.log };
  }
}

/** The evidence a comparison cell gives: where it failed, the hooks that decided, the BPF audit records. */
export function cellEvidence(run: string, c: CompareCell): Evidence[] {
  const out: Evidence[] = [];
  out.push({ run, kind: 'result', text: c.loaded ? 'the skeleton loaded' : `skeleton result ${c.skeleton.result} (${c.skeleton.errno})${c.skeleton.errstr ? ` "${c.skeleton.errstr}"` : ''}` });
  if (c.failedAt) out.push({ run, kind: 'syscall', text: `${c.failedAt.syscall} #${c.failedAt.sys} failed at ${c.failedAt.stage ?? '?'}: ${c.failedAt.errno ?? c.failedAt.ret}` });
  if (c.loaderRetval !== null) out.push({ run, kind: 'syscall', text: `BPF_PROG_TEST_RUN: loader retval ${c.loaderRetval}` });
  for (const h of c.lsm) if (h.lsm !== 'none' && !h.kernel) out.push({ run, kind: 'hook', text: `${h.hook}[${h.lsm}] ${h.prog ?? ''}${h.verdict ? ` verdict=${h.verdict}` : ''} → ${h.ret} (${h.syscall} #${h.sys})` });
  for (const a of c.audit) if (/^type=(BPF|UNKNOWN\[14)/.test(a)) out.push({ run, kind: 'audit', text: a });
  return out;
}

/** Evidence of a run's syscalls: each outer bpf() call with its result, and the stage that failed. */
export function runEvidence(label: string, run: SkelRun): Evidence[] {
  const out: Evidence[] = [];
  for (const c of run.result.calls) {
    const failed = c.res.ret < 0 ? [...run.kernel.trace.events].reverse().find((e): e is StageEvent => e.kind === 'stage' && e.errno !== undefined && !e.enter) : undefined;
    out.push({ run: label, kind: 'syscall', text: `${c.step} → ${c.res.ret}${c.res.errno ? ` (${c.res.errno})` : ''}${failed ? ` at ${failed.id}` : ''}` });
  }
  if (run.result.loaderRetval !== null) out.push({ run: label, kind: 'result', text: `loader retval ${run.result.loaderRetval}` });
  out.push({ run: label, kind: 'result', text: `skeleton result ${run.result.err}${run.errno ? ` (${run.errno})` : ''}${run.result.errstr ? ` "${run.result.errstr}"` : ''}` });
  return out;
}

/** A check built from a condition and the evidence that decided it. */
export function check(statement: string, pass: boolean, evidence: readonly Evidence[]): Check {
  return { statement, pass, evidence };
}

/** Where a cell failed, as `ERRNO at SYSCALL`, or `loaded`. */
export function failure(c: CompareCell): string {
  if (c.loaded) return 'loaded';
  return c.failedAt ? `${c.failedAt.errno ?? c.failedAt.ret} at ${c.failedAt.syscall}${c.failedAt.stage === 'loader' ? ' (the loader)' : ''}` : `${c.skeleton.errno}`;
}
