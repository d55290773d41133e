// `bpfsig compare --real KVER,…`: the comparison with a real Debian kernel beside the profile that
// models it. For each build the profile's scheme makes its skeleton (as in the emulated matrix),
// every case runs on the real kernel — all of a build's cases in one boot, each in its own process
// with its own session keyring — and on the profile with the same setup (no LSM beyond the kernel's
// own: a stock Debian kernel runs none that decides BPF loads). The two outcomes are compared step
// by step: which of the loader's calls failed and with what errno, or what the loader returned.
// Cases that need a second thread at a stage boundary (map-swap) cannot be placed on a real kernel
// and are listed as not run there. spec: OBS-DEB-10..21, OBS-DEB-30/31, PROF-1.

import type { SkelResult } from '../../loader/skel-runtime.js';
import { makeSigningIdentity } from '../../keys/make-cert.js';
import { debianKernel, profileForDebian } from '../../realkernel/kernels.js';
import { runOnRealKernel, type RealRunOptions } from '../../realkernel/run.js';
import { playBackSkeleton, skelLoadPlan } from '../../realkernel/skel.js';
import { AuditSeries } from '../../audit/series.js';
import { applyTampers, KEYRING_IDS, runSkeleton } from '../skel-run.js';
import { openObjectBytes } from '../make-skeleton.js';
import { CASES } from './cases.js';
import { defaultObject, makeInputs, recipeOf, recipeName, runCompare, type CompareOptions, type CompareResult } from './compare.js';
import { defaultCompareProfiles } from '../../schemes/registry.js';

export interface RealCell {
  readonly case: string;
  /** `loaded`, `<step> <ERRNO>` (the loader's call that failed), or `loader retval N`. */
  readonly real: string;
  readonly model: string;
  readonly agree: boolean;
}

export interface RealColumn {
  readonly kver: string;
  /** The profile that models the build. */
  readonly profile: string;
  readonly uname: string;
  readonly recipe: string;
  readonly cells: readonly RealCell[];
  readonly notRun: readonly { readonly case: string; readonly reason: string }[];
}

export interface CompareRealResult extends CompareResult {
  readonly real: readonly RealColumn[];
}

/** A skeleton load's outcome in the terms both sides share. */
export function skelOutcome(r: SkelResult): string {
  if (r.outcome === 'oops') return 'kernel oops';
  if (r.outcome === 'not-emulated') return 'not emulated';
  if (r.err === 0) return 'loaded';
  const failed = r.calls.find((c) => c.res.ret < 0);
  if (failed) return `${failed.step} ${failed.res.errno ?? failed.res.ret}`;
  if (r.loaderRetval !== null && r.loaderRetval < 0) return `loader retval ${r.loaderRetval}`;
  return `result ${r.err}`;
}

export async function runCompareReal(kvers: readonly string[], opts: CompareOptions & { realOptions?: RealRunOptions } = {}): Promise<CompareRealResult> {
  for (const k of kvers) debianKernel(k);
  const mapped = kvers.map((k) => ({ kver: k, profile: profileForDebian(k).profile.name }));
  const profiles = [...new Set([...(opts.profiles ?? defaultCompareProfiles()), ...mapped.map((m) => m.profile)])];
  const id = opts.identity ?? makeSigningIdentity({ cn: 'bpfsig compare signing key' });
  const other = opts.otherIdentity ?? makeSigningIdentity({ cn: 'bpfsig compare other key' });
  const audit = opts.audit ?? new AuditSeries();
  const base = runCompare({ ...opts, profiles, identity: id, otherIdentity: other, audit });
  const object = opts.object ?? defaultObject();
  const obj = openObjectBytes(object.bytes, object.file);
  const caseDefs = (opts.cases ?? CASES.map((c) => c.id)).map((c) => CASES.find((x) => x.id === c)!);

  const real: RealColumn[] = [];
  for (const { kver, profile } of mapped) {
    const recipe = recipeOf(profile);
    const m = makeInputs(obj, recipe, id, other, audit);
    const notRun: { case: string; reason: string }[] = [];
    const runs = caseDefs.flatMap((c) => {
      if (c.needsSignature && !m.canSign) {
        notRun.push({ case: c.id, reason: `${recipe.toolchain} cannot sign` });
        return [];
      }
      const { skel, options } = c.build(m.inputs);
      if (options.race) {
        notRun.push({ case: c.id, reason: 'a second thread at a stage boundary cannot be placed on a real kernel' });
        return [];
      }
      const keyringName = typeof options.keyring === 'number' ? null : (options.keyring ?? (options.certDer ? 'session' : null));
      const keyringId = typeof options.keyring === 'number' ? options.keyring : keyringName ? KEYRING_IDS[keyringName] : 0;
      const { skel: loaded } = applyTampers(skel, options.tampers ?? []);
      const runOpts = {
        keyringId,
        ...(options.skipFreeze ? { skipFreeze: true } : {}),
        ...(options.skipHash ? { skipHash: true } : {}),
        ...(options.noExclHash ? { noExclHash: true } : {}),
        ...(options.staleHash ? { staleHashOf: skel.data } : {}),
      };
      // The emulated side: the same load on the profile, without LSMs (as the stock kernel).
      const model = runSkeleton(skel, { ...options, profile, toolchain: recipe.toolchain, lsm: [], audit });
      const flowOpts = { ...runOpts, flow: model.result.flow };
      const plan = skelLoadPlan(loaded, {
        ...flowOpts,
        run: c.id,
        ...(options.certDer && keyringName === 'session' ? { addKey: { der: options.certDer, keyring: 'KEY_SPEC_SESSION_KEYRING', description: 'bpfsig compare key' } } : {}),
      });
      return [{ c, loaded, plan, flowOpts, model: skelOutcome(model.result) }];
    });
    const run = await runOnRealKernel(
      kver,
      runs.map((r) => ({ plan: { format: 'bpfsig-transcript/1' as const, case: r.c.id, steps: r.plan.steps } })),
      opts.realOptions ?? {},
    );
    const cells = runs.map((r, i) => {
      const played = playBackSkeleton(r.loaded, r.plan, run.plans[i]!.steps, r.flowOpts);
      const realOutcome = skelOutcome(played);
      return { case: r.c.id, real: realOutcome, model: r.model, agree: realOutcome === r.model };
    });
    real.push({ kver, profile, uname: run.uname, recipe: recipeName(recipe), cells, notRun });
  }
  return { ...base, real };
}

/** The real columns as text: one row per case, the model's outcome and the real kernel's, `≠` where they differ. */
export function formatRealColumns(cols: readonly RealColumn[]): string[] {
  const out: string[] = ['== real kernels beside their profiles (no LSMs on either side; ≠ marks a disagreement)'];
  for (const c of cols) {
    const bad = c.cells.filter((x) => !x.agree);
    out.push('', `${c.kver} (${c.uname}) beside ${c.profile}, skeleton ${c.recipe}: ${bad.length ? `${bad.length} disagreement(s)` : 'every case agrees'}`);
    for (const x of c.cells) out.push(`  ${x.agree ? ' ' : '≠'} ${x.case.padEnd(12)} real: ${x.real.padEnd(34)} model: ${x.model}`);
    for (const n of c.notRun) out.push(`    ${n.case.padEnd(12)} not run on the real kernel: ${n.reason}`);
  }
  return out;
}
