// The claims section of an HTML report: each claim of spec 07 with who made it and when, its
// verdict and caveat when it is testable, and the evidence that decided it. A separate renderer so
// any report that carries claims (a `claims` array, format bpfsig-claims/1, computed by `bpfsig
// claims`) can show them; it reads the fields it knows and shows any other evidence as it is.

import { esc } from './html-util.js';

/** What this renderer reads of a claim (bpfsig-claims/1 may carry more). */
export interface ReportClaim {
  /** `CLAIM-9`. */
  readonly id: string;
  readonly text?: string;
  readonly who?: string;
  readonly when?: string;
  readonly testable?: boolean;
  /** `holds`, `does-not-hold`, `holds-with-caveat`, or null/absent when not testable. */
  readonly verdict?: string | null;
  readonly caveat?: string | null;
  /** Trace lines, syscall results, audit records: strings, or objects shown as JSON. */
  readonly evidence?: readonly unknown[];
}

const VERDICT_CLASS: Record<string, string> = { holds: 'v-holds', 'does-not-hold': 'v-not', 'holds-with-caveat': 'v-caveat' };

function evidenceItem(e: unknown): string {
  if (typeof e === 'string') return `<li><code>${esc(e)}</code></li>`;
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    const text = typeof o.text === 'string' ? o.text : typeof o.line === 'string' ? o.line : null;
    const what = typeof o.kind === 'string' ? `${o.kind}: ` : '';
    if (text !== null) return `<li>${esc(what)}<code>${esc(text)}</code></li>`;
    return `<li><pre>${esc(JSON.stringify(e, null, 2))}</pre></li>`;
  }
  return `<li>${esc(String(e))}</li>`;
}

export function claimsSection(claims: readonly ReportClaim[]): string {
  const items = claims.map((c) => {
    const verdict = c.testable === false || !c.verdict ? 'not testable' : c.verdict;
    const cls = VERDICT_CLASS[verdict] ?? 'v-none';
    const who = [c.who, c.when].filter(Boolean).join(', ');
    return (
      `<article class="claim" id="${esc(c.id.toLowerCase())}">` +
      `<h3>${esc(c.id)} <span class="verdict ${cls}">${esc(verdict)}</span></h3>` +
      (c.text ? `<blockquote>${esc(c.text)}</blockquote>` : '') +
      (who ? `<p class="who">${esc(who)}</p>` : '') +
      (c.caveat ? `<p class="caveat"><strong>Caveat:</strong> ${esc(c.caveat)}</p>` : '') +
      (c.evidence && c.evidence.length ? `<details><summary>Evidence (${c.evidence.length})</summary><ul class="evidence">${c.evidence.map(evidenceItem).join('')}</ul></details>` : '') +
      `</article>`
    );
  });
  const counts = new Map<string, number>();
  for (const c of claims) {
    const v = c.testable === false || !c.verdict ? 'not testable' : c.verdict;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return (
    `<section id="claims" aria-labelledby="claims-h"><h2 id="claims-h">Claims</h2>` +
    `<p>${claims.length} claims: ${[...counts].map(([v, n]) => `${n} ${esc(v)}`).join(', ')}. Each verdict was computed from runs (bpfsig claims).</p>` +
    items.join('') +
    `</section>`
  );
}
