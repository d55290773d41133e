// A claim of the debate and how its verdict is reached: a claim's testable statement is a list of
// checks, each computed from a run of the emulator and carrying the evidence that decided it (trace
// lines, syscall results, audit records). The verdict is derived from the checks — `holds` when
// every check passes, `holds-with-caveat` when they pass and a caveat condition (also computed) is
// true, `does-not-hold` when a check fails — never written down. A claim whose scenario needs a
// profile this build lacks is `not-run`, with the reason; a claim that is an argument or a policy
// position is `not-testable`. spec: CLAIM-1..27, DEBATE-1.

export type ClaimVerdict = 'holds' | 'holds-with-caveat' | 'does-not-hold' | 'not-testable' | 'not-run';

export interface Evidence {
  /** Which run: `v6.18/data-byte`, `raw v6.18.15 junk-sig`, … */
  readonly run: string;
  readonly kind: 'syscall' | 'stage' | 'hook' | 'audit' | 'result' | 'note';
  readonly text: string;
}

export interface Check {
  /** The statement checked, in the claim's terms. */
  readonly statement: string;
  readonly pass: boolean;
  readonly evidence: readonly Evidence[];
}

export interface ClaimMeta {
  readonly id: string;
  /** Who said it, and when. */
  readonly who: string;
  readonly when: string;
  /** The claim, short; quoted words in quotes. */
  readonly text: string;
  /** Spec rows the test rests on. */
  readonly spec: readonly string[];
}

export interface ClaimResult extends ClaimMeta {
  readonly verdict: ClaimVerdict;
  readonly caveat: string | null;
  readonly checks: readonly Check[];
  /** For not-testable / not-run claims: why. */
  readonly reason: string | null;
}

/** What a claim's test returns: its checks and any caveat conditions that hold. */
export interface ClaimOutcome {
  readonly checks: readonly Check[];
  readonly caveats?: readonly string[];
}

/** The verdict from the checks. */
export function verdictOf(o: ClaimOutcome): { verdict: ClaimVerdict; caveat: string | null } {
  if (o.checks.length === 0) return { verdict: 'not-run', caveat: null };
  if (o.checks.some((c) => !c.pass)) return { verdict: 'does-not-hold', caveat: null };
  const caveats = o.caveats ?? [];
  return caveats.length ? { verdict: 'holds-with-caveat', caveat: caveats.join('; ') } : { verdict: 'holds', caveat: null };
}

/** A profile or toolchain a claim needs is not registered in this build. */
export class ProfileMissing extends Error {
  constructor(readonly missing: string, kind: 'profile' | 'toolchain' = 'profile') {
    super(`${kind} ${missing} is not in this build`);
  }
}
