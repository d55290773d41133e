// `bpfsig compare --format html`: the comparison as one self-contained page — no network, no
// external fonts, scripts or styles: inline CSS, inline SVG, no script at all. Sections, each from
// its own renderer: the matrix (the text report's codes and false-positive marks, each cell a link
// to its details), the cases, every cell in detail with its sequence diagram (html-sequence.ts) and
// audit records, the races when the result has them, and the claims when the result carries a
// `claims` array (html-claims.ts). Everything shown is read from the CompareResult.
// spec: SEQ-1..3, AUD-FP-1/2, CLAIM-2, CLAIM-19, CLAIM-21.

import type { CompareCell, CompareResult } from '../compare/compare.js';
import { recipeName } from '../compare/compare.js';
import { RACES, type RaceExploration } from '../compare/explore-races.js';
import { cellCode } from '../compare/report-text.js';
import type { ClaimResult } from '../claims/claim.js';
import type { ClaimsReport } from '../claims/run-claims.js';
import { claimsSection } from './html-claims.js';
import { anchorId, esc, retText } from './html-util.js';
import { SEQ_COLORS, sequenceSvg } from './html-sequence.js';

/** A comparison, and the claims when a report carries them (bpfsig-claims/1). */
export type HtmlReportInput = CompareResult & { readonly claims?: readonly ClaimResult[] };

const SYSCALL_NAMES: Record<string, string> = {
  BPF_PROG_LOAD: 'BPF_PROG_LOAD',
  BPF_PROG_TEST_RUN: 'BPF_PROG_TEST_RUN (the loader program)',
};

export function cellAnchor(c: Pick<CompareCell, 'profile' | 'case' | 'cross' | 'recipe'>): string {
  return c.cross ? anchorId('cell', c.profile, 'cross', recipeName(c.recipe)) : anchorId('cell', c.profile, c.case);
}

/** Where a cell that did not load failed, in a phrase. */
function failureText(c: CompareCell): string {
  const f = c.failedAt;
  if (!f) return `the skeleton returned ${retText(c.skeleton.result, c.skeleton.errno)}`;
  if (f.oops) return `the kernel oopsed in ${f.syscall} (#${f.sys}) at ${f.stage ?? '?'} (${f.oops}); the task was killed`;
  return f.stage === 'loader'
    ? `the loader program returned ${retText(f.ret, f.errno)} inside ${f.syscall} (#${f.sys})`
    : `${f.syscall} (#${f.sys}) failed${f.stage ? ` at stage ${f.stage}` : ''} with ${retText(f.ret, f.errno)}`;
}

/** One sentence or two: what happened in the cell. */
export function cellOutcome(c: CompareCell): string {
  if (c.loaded) return c.tamperAccepted ? 'Loaded, although the case changed a signed byte: tampered content was loaded.' : 'Loaded.';
  return `Not loaded: ${failureText(c)}.${c.falsePositive ? ' A false positive: an LSM admitted, or audit recorded, the signed load before it failed.' : ''}`;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 "DejaVu Sans", system-ui, -apple-system, "Segoe UI", Arial, sans-serif; color: #1b1b1b; background: #fff; }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; border-bottom: 1px solid #ccc; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.3em; margin: 28px 0 8px; border-bottom: 2px solid #1a237e; padding-bottom: 2px; }
h3 { font-size: 1.08em; margin: 0 0 6px; }
code, pre, .mono { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; font-size: 0.88em; }
a { color: #0b3d91; } a:focus-visible { outline: 3px solid #ff8f00; outline-offset: 2px; }
nav a { margin-right: 14px; }
.meta { color: #444; margin: 2px 0 10px; }
table { border-collapse: collapse; margin: 8px 0 12px; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
.cross caption { white-space: nowrap; }
th, td { border: 1px solid #9e9e9e; padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: #eceff1; font-size: 0.9em; }
tbody th[scope="row"] { white-space: nowrap; }
thead th small { display: block; font-weight: normal; color: #333; }
td.code { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 0.9em; white-space: nowrap; }
td.code a { text-decoration: none; display: block; color: inherit; }
td.code a:hover, td.code a:focus-visible { text-decoration: underline; }
td.c-ok { background: #e8f5e9; color: #1b5e20; }
td.c-fail { background: #f5f5f5; color: #263238; }
td.c-fp { background: #ffe0b2; color: #7a2e00; font-weight: bold; outline: 2px solid #b71c1c; outline-offset: -2px; }
td.c-tamper { background: #ffcdd2; color: #8e0000; font-weight: bold; }
td.c-none { color: #555; }
.fp-mark { display: inline-block; margin-left: 4px; padding: 0 4px; border-radius: 3px; background: #b71c1c; color: #fff; font-size: 0.75em; font-family: "DejaVu Sans", sans-serif; font-weight: bold; vertical-align: 1px; }
.legend { font-size: 0.9em; color: #333; } .legend dt { font-weight: bold; font-family: "DejaVu Sans Mono", monospace; float: left; clear: left; width: 8em; } .legend dd { margin: 0 0 2px 8.5em; }
.summary li { margin: 2px 0; }
article.cell { border: 1px solid #bbb; border-radius: 6px; padding: 12px 14px; margin: 14px 0; }
article.cell.fp { border-color: #b71c1c; border-width: 2px; }
article.cell:target { box-shadow: 0 0 0 4px #ffb300; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 0.8em; font-weight: bold; margin-left: 6px; }
.badge.ok { background: #1b5e20; color: #fff; } .badge.fail { background: #37474f; color: #fff; } .badge.fp { background: #b71c1c; color: #fff; } .badge.tamper { background: #8e0000; color: #fff; }
.outcome { margin: 4px 0 8px; }
.facts { margin: 0 0 8px; padding-left: 20px; } .facts li { margin: 1px 0; }
.scroll { overflow-x: auto; border: 1px solid #ddd; border-radius: 4px; background: #fff; }
figure { margin: 8px 0; } figcaption { font-size: 0.85em; color: #444; margin-top: 4px; }
pre.audit { white-space: pre-wrap; word-break: break-all; background: #fbf8f3; border: 1px solid #e0d6c8; padding: 8px; margin: 6px 0; font-size: 0.8em; max-height: 22em; overflow: auto; }
.back { font-size: 0.9em; }
.races td.changed { background: #ffe0b2; font-weight: bold; }
.claim { border-left: 4px solid #1a237e; padding: 2px 12px; margin: 12px 0; }
.verdict { font-size: 0.8em; padding: 1px 7px; border-radius: 10px; color: #fff; background: #455a64; }
.v-holds { background: #1b5e20; } .v-not { background: #b71c1c; } .v-caveat { background: #7a4100; } .v-none { background: #546e7a; }
.checks { padding-left: 18px; } .checks > li { margin: 4px 0; } .check-mark { font-weight: bold; } li.pass .check-mark { color: #1b5e20; } li.fail .check-mark { color: #b71c1c; }
.evidence { font-size: 0.85em; padding-left: 18px; } .ev-run { color: #333; } .ev-kind { color: #6a1b9a; font-size: 0.9em; }
.who, .reason { color: #333; margin: 2px 0; } .caveat { color: #7a2e00; margin: 2px 0; }
blockquote { margin: 4px 0; color: #333; font-style: italic; }
svg.seq { display: block; font: 12px "DejaVu Sans", system-ui, sans-serif; }
svg.seq text { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.sq-bg { fill: #fff; }
.sq-lane rect { fill: #eceff1; stroke: #546e7a; }
.sq-lane-name { font-weight: bold; fill: #102027; } .sq-lane-sub { font-size: 10px; fill: #37474f; }
.sq-life { stroke: #90a4ae; stroke-dasharray: 3 3; }
.sq-act { fill: #e3e7f3; stroke: #7986cb; } .sq-act-prog { fill: #ede7f6; stroke: #9575cd; }
.sq-call line { stroke: ${SEQ_COLORS.call}; stroke-width: 1.5; } .sq-call text { fill: ${SEQ_COLORS.call}; font-weight: bold; }
.sq-ret line { stroke: ${SEQ_COLORS.ret}; } .sq-ret text { fill: ${SEQ_COLORS.ret}; }
.sq-hook line { stroke: ${SEQ_COLORS.hook}; stroke-width: 1.5; } .sq-hook text { fill: ${SEQ_COLORS.hook}; }
.sq-audit line { stroke: ${SEQ_COLORS.audit}; } .sq-audit text { fill: ${SEQ_COLORS.audit}; font-size: 11px; }
.sq-stage rect { fill: #546e7a; } .sq-stage text { fill: #263238; }
.sq-role rect { fill: ${SEQ_COLORS.call}; } .sq-role text { fill: ${SEQ_COLORS.call}; font-weight: bold; }
.sq-stages rect { fill: #fff; stroke: #78909c; } .sq-stages text { fill: #455a64; font-size: 11px; }
.sq-step circle { fill: #546e7a; } .sq-step text { fill: #37474f; font-size: 11px; font-style: italic; }
.sq-detail text { fill: #455a64; font-size: 11px; }
.sq-end text { fill: #263238; font-weight: bold; }
.sq-warn text { fill: #7a2e00; }
g.sq-fail line { stroke: ${SEQ_COLORS.fail}; stroke-width: 2; } g.sq-fail text { fill: ${SEQ_COLORS.fail}; font-weight: bold; }
g.sq-fail rect, g.sq-fail circle { fill: ${SEQ_COLORS.fail}; }
@media print { .scroll { overflow: visible; } article.cell { break-inside: avoid; } }
`;

function matrixCell(cell: CompareCell | undefined): string {
  if (!cell) return `<td class="code c-none" title="not run">—</td>`;
  const code = cellCode(cell);
  const cls = cell.falsePositive ? 'c-fp' : cell.tamperAccepted ? 'c-tamper' : cell.loaded ? 'c-ok' : 'c-fail';
  const label = `${cell.profile} / ${cell.cross ? `cross ${recipeName(cell.recipe)}` : cell.case}: ${cellOutcome(cell)}`;
  const mark = cell.falsePositive ? `<span class="fp-mark" aria-hidden="true">FP</span>` : cell.tamperAccepted ? `<span class="fp-mark" aria-hidden="true">TAMPERED</span>` : '';
  return `<td class="code ${cls}" data-profile="${esc(cell.profile)}" data-case="${esc(cell.case)}"${cell.falsePositive ? ' data-false-positive="true"' : ''}><a href="#${cellAnchor(cell)}" title="${esc(label)}" aria-label="${esc(label)}">${esc(code)}${mark}</a></td>`;
}

function columnHead(c: CompareResult['columns'][number]): string {
  return `<th scope="col">${esc(c.profile)}<small>scheme ${esc(c.scheme)}</small><small>skeleton ${esc(recipeName(c.recipe))}</small><small>lsm=capability${esc(c.lsm.map((x) => ',' + x).join(''))}</small></th>`;
}

function matrixSection(r: CompareResult): string {
  const own = (profile: string, k: string) => r.cells.find((x) => x.profile === profile && x.case === k && !x.cross);
  const rows = r.cases.map((k) => `<tr><th scope="row"><a href="#${anchorId('case', k.id)}">${esc(k.id)}</a></th>${r.columns.map((c) => matrixCell(own(c.profile, k.id))).join('')}</tr>`);
  let html =
    `<section id="matrix" aria-labelledby="matrix-h"><h2 id="matrix-h">Matrix</h2>` +
    `<p>Cases down, kernel profiles across; each column loads the skeleton its own scheme's toolchain made, on a fresh kernel with the scheme's default LSM stack. Select a cell for its sequence diagram and audit records.</p>` +
    `<table class="matrix"><caption>Where each case failed, per profile</caption><thead><tr><th scope="col">case</th>${r.columns.map(columnHead).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const cross = r.cells.filter((c) => c.cross);
  if (cross.length) {
    const recipes = [...new Set(cross.map((c) => recipeName(c.recipe)))];
    const crossRows = recipes.map((rn) => `<tr><th scope="row">${esc(rn)}</th>${r.columns.map((c) => {
      const cell = cross.find((x) => x.profile === c.profile && recipeName(x.recipe) === rn);
      return cell ? matrixCell(cell) : `<td class="code c-none" title="the profile's own scheme">·</td>`;
    }).join('')}</tr>`);
    html += `<table class="matrix cross"><caption>Cross cells: another scheme's intact skeleton (rows) under each profile (columns)</caption><thead><tr><th scope="col">skeleton</th>${r.columns.map((c) => `<th scope="col">${esc(c.profile)}</th>`).join('')}</tr></thead><tbody>${crossRows.join('')}</tbody></table>`;
  }
  html +=
    `<dl class="legend"><dt>ok</dt><dd>loaded</dd>` +
    `<dt>ERRNO/SC</dt><dd>failed with that errno at that syscall: PL BPF_PROG_LOAD, MC BPF_MAP_CREATE, UP BPF_MAP_UPDATE_ELEM, FZ BPF_MAP_FREEZE, GI BPF_OBJ_GET_INFO_BY_FD, TR BPF_PROG_TEST_RUN; LD the loader program's own return value (its BPF_PROG_TEST_RUN succeeded); OOPS a kernel oops (the call never returned)</dd>` +
    `<dt>!… FP</dt><dd>a false positive: an LSM admitted, or audit recorded, a signed load that did not complete</dd>` +
    `<dt>ok* TAMPERED</dt><dd>loaded although the case changed a signed byte</dd>` +
    `<dt>—</dt><dd>not run (the toolchain cannot sign)</dd><dt>·</dt><dd>the profile's own scheme (in the main matrix)</dd></dl>`;
  const fps = r.cells.filter((c) => c.falsePositive);
  const tampered = r.cells.filter((c) => c.tamperAccepted);
  const link = (c: CompareCell) => `<a href="#${cellAnchor(c)}">${esc(c.profile)} / ${esc(c.cross ? `cross ${recipeName(c.recipe)}` : c.case)}</a>`;
  html +=
    `<ul class="summary"><li><strong>False positives (${fps.length}):</strong> ${fps.length ? fps.map(link).join(', ') : 'none'}</li>` +
    `<li><strong>Loaded tampered content (${tampered.length}):</strong> ${tampered.length ? tampered.map(link).join(', ') : 'none'}</li>` +
    r.skipped.map((s) => `<li>Not run: ${esc(s.profile)} / ${esc(s.case)} (${esc(s.reason)})</li>`).join('') +
    `</ul></section>`;
  return html;
}

function casesSection(r: CompareResult): string {
  return (
    `<section id="cases" aria-labelledby="cases-h"><h2 id="cases-h">Cases</h2><dl>` +
    r.cases.map((k) => `<dt id="${anchorId('case', k.id)}"><code>${esc(k.id)}</code></dt><dd>${esc(k.title)} <span class="mono">(${esc(k.spec.join(', '))})</span></dd>`).join('') +
    `</dl></section>`
  );
}

function cellArticle(c: CompareCell, lsms: readonly string[]): string {
  const id = cellAnchor(c);
  const name = `${c.profile} / ${c.cross ? `cross: ${recipeName(c.recipe)} skeleton` : c.case}`;
  const badges =
    (c.loaded ? `<span class="badge ok">loaded</span>` : `<span class="badge fail">not loaded</span>`) +
    (c.falsePositive ? `<span class="badge fp">false positive</span>` : '') +
    (c.tamperAccepted ? `<span class="badge tamper">loaded tampered content</span>` : '');
  const facts: string[] = [];
  if (c.failedAt)
    facts.push(
      `Failed at <strong>${esc(SYSCALL_NAMES[c.failedAt.syscall] ?? c.failedAt.syscall)}</strong> (#${c.failedAt.sys}), stage <code>${esc(c.failedAt.stage ?? '?')}</code>: <strong>${c.failedAt.oops ? `KERNEL OOPS (${esc(c.failedAt.oops)}); the task was killed` : esc(retText(c.failedAt.ret, c.failedAt.errno))}</strong>`,
    );
  facts.push(
    `Skeleton result ${esc(retText(c.skeleton.result, c.skeleton.errno))}${c.skeleton.errstr ? `, errstr “${esc(c.skeleton.errstr)}”` : ''}; loader retval ${c.loaderRetval === null ? 'none (the loader did not run)' : esc(retText(c.loaderRetval))}`,
  );
  facts.push(`Skeleton made by ${esc(recipeName(c.recipe))}${c.cross ? ' (another scheme’s toolchain)' : ''}`);
  if (c.race) facts.push(`A second thread, before stage <code>${esc(c.race.boundary)}</code>: ${esc(c.race.calls.join('; '))}`);
  const hooks = c.lsm.filter((h) => h.lsm !== 'none');
  if (hooks.length)
    facts.push(
      `LSM calls: ${hooks
        .map((h) => `<code>${esc(h.hook)}</code>[${esc(h.lsm)}]${h.prog ? ` ${esc(h.prog)}` : ''}${h.kernel ? ' (kernel)' : ''}${h.verdict ? ` verdict ${esc(h.verdict)}` : ''} → ${esc(retText(h.ret))}`)
        .join('; ')}`,
    );
  for (const e of c.falsePositiveEvidence) facts.push(`<strong>False positive:</strong> ${esc(e)}`);
  const notes: { text: string; tone: 'bad' | 'warn' | 'info' }[] = [];
  notes.push(c.loaded ? { text: c.tamperAccepted ? '⚠ loaded tampered content' : '✓ loaded', tone: c.tamperAccepted ? 'bad' : 'info' } : { text: `✗ not loaded: ${failureText(c)}`, tone: 'bad' });
  for (const e of c.falsePositiveEvidence) notes.push({ text: `⚠ false positive: ${e}`, tone: 'warn' });
  const svg = sequenceSvg({
    id: `${id}-seq`,
    title: `Sequence diagram: ${name}`,
    description: cellOutcome(c),
    sequence: c.sequence,
    audit: c.audit,
    failedAt: c.failedAt,
    lsms,
    notes,
  });
  return (
    `<article class="cell${c.falsePositive ? ' fp' : ''}" id="${id}" data-code="${esc(cellCode(c))}"><h3>${esc(name)} ${badges}</h3>` +
    `<p class="outcome">${esc(cellOutcome(c))}</p><ul class="facts">${facts.map((f) => `<li>${f}</li>`).join('')}</ul>` +
    `<figure><div class="scroll">${svg}</div><figcaption>Syscalls in order (nested calls made by the loader program included), the stages each entered (✗ the one that failed), LSM hooks with verdicts and returns, and audit records. Hover a row for its full text.</figcaption></figure>` +
    `<h4>Audit records (${c.audit.length}, auditd format)</h4><pre class="audit">${c.audit.map(esc).join('\n')}</pre>` +
    `<p class="back"><a href="#matrix">Back to the matrix</a></p></article>`
  );
}

function racesSection(rs: readonly RaceExploration[]): string {
  const parts = [
    `<section id="races" aria-labelledby="races-h"><h2 id="races-h">Races</h2>`,
    `<p>A second thread of the loading process runs the race's syscalls at each stage boundary of the loader's BPF_PROG_LOAD. Outcome codes as in the matrix; <code>@STAGE</code> where it failed; <code>+swapped</code>: the program holds the swapped-in map. Highlighted: boundaries where the race changes the outcome.</p>`,
  ];
  for (const race of RACES) {
    const mine = rs.filter((r) => r.race === race.id);
    if (!mine.length) continue;
    parts.push(
      `<table class="races"><caption>${esc(race.id)}: ${esc(race.title)} (${esc(race.spec.join(', '))})</caption><thead><tr><th scope="col">profile</th><th scope="col">no race</th><th scope="col">before stages → outcome</th></tr></thead><tbody>` +
        mine
          .map(
            (r) =>
              `<tr><th scope="row">${esc(r.profile)}</th><td class="code">${esc(r.baseline)}</td><td><ul>${r.spans
                .map((s) => `<li${s.changed ? ' class="changed"' : ''}><code>${esc(s.from === s.to ? s.from : `${s.from} … ${s.to}`)}</code> → <code>${esc(s.outcome)}</code>${s.changed ? ' <strong>(changed)</strong>' : ''}</li>`)
                .join('')}</ul></td></tr>`,
          )
          .join('') +
        `</tbody></table>`,
    );
  }
  parts.push(`</section>`);
  return parts.join('');
}

/** A whole page around report sections: the inline stylesheet, a header with a contents bar, main, footer. */
export function htmlPage(p: { readonly title: string; readonly heading: string; readonly meta: string; readonly nav: readonly [string, string][]; readonly body: string; readonly generator: string }): string {
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="generator" content="bpfsig (${esc(p.generator)})"><title>${esc(p.title)}</title><style>${CSS}</style></head><body>` +
    `<header><h1>${p.heading}</h1><p class="meta">${p.meta}</p>` +
    `<nav aria-label="Contents">${p.nav.map(([href, text]) => `<a href="${esc(href)}">${esc(text)}</a>`).join('')}</nav></header><main>` +
    p.body +
    `</main><footer><p class="meta">Generated by bpfsig (${esc(p.generator)}). No scripts, no external resources.</p></footer></body></html>\n`
  );
}

export function renderCompareHtml(r: HtmlReportInput): string {
  return htmlPage({
    title: `bpfsig compare: ${r.object.name}`,
    heading: `bpfsig compare: <code>${esc(r.object.file)}</code>`,
    meta: `Object <code>${esc(r.object.name)}</code>, sha256 <code>${esc(r.object.sha256)}</code>. ${r.columns.length} profiles, ${r.cases.length} cases, ${r.cells.length} cells. Every cell ran on its own emulated kernel; all of it is read back from the runs.`,
    nav: [
      ['#matrix', 'Matrix'],
      ['#cases', 'Cases'],
      ['#cells', `Cells (${r.cells.length})`],
      ...(r.races ? [['#races', 'Races'] as [string, string]] : []),
      ...(r.claims ? [['#claims', 'Claims'] as [string, string]] : []),
    ],
    generator: r.format,
    body:
      matrixSection(r) +
      casesSection(r) +
      `<section id="cells" aria-labelledby="cells-h"><h2 id="cells-h">Cells</h2>${r.cells.map((c) => cellArticle(c, r.columns.find((k) => k.profile === c.profile)?.lsm ?? [])).join('')}</section>` +
      (r.races ? racesSection(r.races) : '') +
      (r.claims ? claimsSection(r.claims) : ''),
  });
}

/** `bpfsig claims --format html`: the claims on a page of their own. */
export function renderClaimsHtml(r: ClaimsReport): string {
  return htmlPage({
    title: 'bpfsig claims',
    heading: 'bpfsig claims: the debate over signed BPF programs',
    meta: `${r.claims.length} claims of spec 07; ${Object.entries(r.summary).map(([v, n]) => `${n} ${esc(v)}`).join(', ')}.`,
    nav: [['#claims', 'Claims']],
    generator: r.format,
    body: claimsSection(r.claims),
  });
}
