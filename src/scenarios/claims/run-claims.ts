// `bpfsig claims`: every claim of spec 07, each testable one run now and given a verdict computed
// from the runs. Format `bpfsig-claims/1`. spec: CLAIM-1..27.

import type { AuditSeries } from '../../audit/series.js';
import type { SigningIdentity } from '../../keys/make-cert.js';
import { CLAIMS } from './catalog.js';
import { ProfileMissing, verdictOf, type ClaimResult } from './claim.js';
import { ClaimContext } from './context.js';

export const CLAIMS_FORMAT = 'bpfsig-claims/1';

export interface ClaimsReport {
  readonly format: typeof CLAIMS_FORMAT;
  readonly claims: readonly ClaimResult[];
  readonly summary: Readonly<Record<string, number>>;
}

export function runClaims(opts: { only?: readonly string[]; identity?: SigningIdentity; audit?: AuditSeries } = {}): ClaimsReport {
  const x = new ClaimContext({ ...(opts.identity ? { identity: opts.identity } : {}), ...(opts.audit ? { audit: opts.audit } : {}) });
  const selected = opts.only ? CLAIMS.filter((c) => opts.only!.includes(c.id)) : CLAIMS;
  const claims: ClaimResult[] = selected.map((c) => {
    const meta = { id: c.id, who: c.who, when: c.when, text: c.text, spec: c.spec };
    if (!c.test) return { ...meta, verdict: 'not-testable', caveat: null, checks: [], reason: c.notTestable ?? 'not testable' };
    try {
      const o = c.test(x);
      const v = verdictOf(o);
      return { ...meta, ...v, checks: o.checks, reason: null };
    } catch (e) {
      if (e instanceof ProfileMissing) return { ...meta, verdict: 'not-run', caveat: null, checks: [], reason: e.message };
      throw e;
    }
  });
  const summary: Record<string, number> = {};
  for (const c of claims) summary[c.verdict] = (summary[c.verdict] ?? 0) + 1;
  return { format: CLAIMS_FORMAT, claims, summary };
}

/** Text: one block per claim — id, who and when, the claim, the verdict (with caveat), each check with its evidence. */
export function formatClaims(r: ClaimsReport, opts: { evidence?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const c of r.claims) {
    out.push(`${c.id}  ${c.verdict.toUpperCase()}${c.caveat ? ` — ${c.caveat}` : ''}`);
    out.push(`  ${c.who}, ${c.when}: ${c.text}`);
    if (c.reason) out.push(`  (${c.reason})`);
    for (const k of c.checks) {
      out.push(`  [${k.pass ? 'pass' : 'FAIL'}] ${k.statement}`);
      if (opts.evidence ?? true) for (const e of k.evidence) out.push(`         ${e.run}: ${e.text}`);
    }
    out.push('');
  }
  out.push(`summary: ${Object.entries(r.summary).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  return out;
}

export function formatClaimsMarkdown(r: ClaimsReport): string {
  const L = ['# bpfsig claims', '', '| claim | who | verdict |', '|---|---|---|'];
  for (const c of r.claims) L.push(`| ${c.id} | ${c.who} | **${c.verdict}**${c.caveat ? ` (${c.caveat.replace(/\|/g, '\\|')})` : ''} |`);
  L.push('');
  for (const c of r.claims) {
    L.push(`## ${c.id}: ${c.verdict}`, '', `*${c.who}, ${c.when}:* ${c.text}`, '');
    if (c.reason) L.push(`_${c.reason}_`, '');
    for (const k of c.checks) {
      L.push(`- ${k.pass ? '✔' : '✘'} ${k.statement}`);
      for (const e of k.evidence) L.push(`  - \`${e.run}\`: ${e.text.replace(/\|/g, '\\|')}`);
    }
    L.push('');
  }
  return L.join('\n');
}
