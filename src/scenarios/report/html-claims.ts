// The claims section of an HTML report (bpfsig-claims/1): each claim of spec 07 with who made it
// and when, its verdict (and caveat) computed from runs, each check with the evidence that decided
// it, and the reason for claims that are not testable or not run. A separate renderer, so any
// report that carries a `claims` array shows them: `compare --format html` when the result has
// claims, and `claims --format html` on its own page. spec: CLAIM-1..27.

import type { ClaimResult } from '../claims/claim.js';
import { esc } from './html-util.js';

const VERDICT_CLASS: Record<string, string> = {
  holds: 'v-holds',
  'does-not-hold': 'v-not',
  'holds-with-caveat': 'v-caveat',
  'not-testable': 'v-none',
  'not-run': 'v-none',
};

function claimArticle(c: ClaimResult): string {
  const checks = c.checks
    .map(
      (k) =>
        `<li class="${k.pass ? 'pass' : 'fail'}"><span class="check-mark">${k.pass ? '✓ pass' : '✗ FAIL'}</span> ${esc(k.statement)}` +
        (k.evidence.length
          ? `<ul class="evidence">${k.evidence.map((e) => `<li><span class="ev-run">${esc(e.run)}</span> <span class="ev-kind">${esc(e.kind)}</span> <code>${esc(e.text)}</code></li>`).join('')}</ul>`
          : '') +
        `</li>`,
    )
    .join('');
  return (
    `<article class="claim" id="${esc(c.id.toLowerCase())}" data-verdict="${esc(c.verdict)}">` +
    `<h3>${esc(c.id)} <span class="verdict ${VERDICT_CLASS[c.verdict] ?? 'v-none'}">${esc(c.verdict)}</span></h3>` +
    `<blockquote>${esc(c.text)}</blockquote>` +
    `<p class="who">${esc(c.who)}, ${esc(c.when)}${c.spec.length ? ` <span class="mono">(${esc(c.spec.join(', '))})</span>` : ''}</p>` +
    (c.caveat ? `<p class="caveat"><strong>Caveat:</strong> ${esc(c.caveat)}</p>` : '') +
    (c.reason ? `<p class="reason">${esc(c.reason)}</p>` : '') +
    (checks ? `<details${c.verdict === 'does-not-hold' ? ' open' : ''}><summary>Checks (${c.checks.length}) and their evidence</summary><ul class="checks">${checks}</ul></details>` : '') +
    `</article>`
  );
}

export function claimsSection(claims: readonly ClaimResult[]): string {
  const counts = new Map<string, number>();
  for (const c of claims) counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
  return (
    `<section id="claims" aria-labelledby="claims-h"><h2 id="claims-h">Claims</h2>` +
    `<p>${claims.length} claims: ${[...counts].map(([v, n]) => `${n} ${esc(v)}`).join(', ')}. Each verdict follows from checks computed from runs of the emulator (bpfsig claims).</p>` +
    `<table class="claims-index"><thead><tr><th scope="col">claim</th><th scope="col">verdict</th><th scope="col">who, when</th></tr></thead><tbody>` +
    claims.map((c) => `<tr><th scope="row"><a href="#${esc(c.id.toLowerCase())}">${esc(c.id)}</a></th><td><span class="verdict ${VERDICT_CLASS[c.verdict] ?? 'v-none'}">${esc(c.verdict)}</span></td><td>${esc(c.who)}, ${esc(c.when)}</td></tr>`).join('') +
    `</tbody></table>` +
    claims.map(claimArticle).join('') +
    `</section>`
  );
}
