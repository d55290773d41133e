// bpfsig compare --format html: one self-contained page (no network, no script), the text report's
// codes and false-positive marks, each matrix cell linking to its details, a sequence diagram per
// cell drawn from the run's trace, the races and claims sections when the result has them.
// spec: SEQ-2, SEQ-3, AUD-FP-1, CLAIM-2, CLAIM-19, AUD-SER-1.

import { describe, expect, it } from 'vitest';
import { runCompare, type CompareResult } from '../../src/scenarios/compare/compare.js';
import { cellCode } from '../../src/scenarios/compare/report-text.js';
import { runClaims } from '../../src/scenarios/claims/run-claims.js';
import { cellAnchor, renderClaimsHtml, renderCompareHtml } from '../../src/scenarios/report/html.js';
import { sequenceSvg } from '../../src/scenarios/report/html-sequence.js';
import { jsonText } from '../../src/scenarios/report/json-text.js';
import { sequenceOf } from '../../src/scenarios/sequence.js';
import { cli } from '../cli/support.js';

const r: CompareResult = runCompare({ profiles: ['v6.18', 'v7.3'], cases: ['intact', 'data-byte', 'insn-byte', 'map-swap'] });
const html = renderCompareHtml(r);
const cell = (profile: string, c: string) => r.cells.find((x) => x.profile === profile && x.case === c && !x.cross)!;
/** The HTML of one cell's article. */
const article = (profile: string, c: string): string => {
  const id = cellAnchor(cell(profile, c));
  const start = html.indexOf(`<article class="cell`, html.indexOf(`id="${id}"`) - 40);
  return html.slice(start, html.indexOf('</article>', start));
};

describe('the compact sequence of a run', () => {
  it('[AUD-SER-1] every audit item points at its own line of the cell\'s audit log, in order', () => {
    for (const c of r.cells) {
      const audits = c.sequence.filter((i) => i.kind === 'audit');
      expect(audits.map((a) => (a.kind === 'audit' ? a.record : -1))).toEqual(audits.map((_, k) => k));
      expect(audits.length).toBe(c.audit.length);
      for (const a of audits) if (a.kind === 'audit') expect(c.audit[a.record]).toMatch(new RegExp(`:${a.serial}\\): `));
    }
  });

  it('[SEQ-3] insn-byte on v6.18: LOAD-9 is the stage that failed, with EKEYREJECTED, and the call returns it', () => {
    const seq = cell('v6.18', 'insn-byte').sequence;
    const failed = seq.filter((i) => i.kind === 'stage' && i.errno !== null);
    expect(failed).toEqual([expect.objectContaining({ id: 'LOAD-9', errno: 'EKEYREJECTED', role: 'signature' })]);
    const load = seq.find((i) => i.kind === 'call' && i.cmd === 'BPF_PROG_LOAD')!;
    expect(seq).toContainEqual({ kind: 'return', sys: load.sys, ret: -129, errno: 'EKEYREJECTED', nonFd: null });
  });

  it('[SYS-6] the loader\'s nested calls are in the sequence with their parent', () => {
    const seq = cell('v6.18', 'intact').sequence;
    const run = seq.find((i) => i.kind === 'call' && i.cmd === 'BPF_PROG_TEST_RUN')!;
    const nested = seq.filter((i) => i.kind === 'call' && i.parent === run.sys);
    expect(nested.length).toBeGreaterThan(3);
    expect(nested.every((i) => i.kind === 'call' && i.kernel)).toBe(true);
  });

  it('quiet stages fold, stages with a role or an outcome do not', () => {
    const seq = cell('v6.18', 'intact').sequence;
    expect(seq.some((i) => i.kind === 'stages' && i.ids.length >= 2)).toBe(true);
    expect(seq.some((i) => i.kind === 'stage' && i.role === 'signature')).toBe(true);
  });

  it('is read from the trace alone: an empty trace gives an empty sequence', () => {
    expect(sequenceOf([])).toEqual([]);
  });
});

describe('the HTML report', () => {
  it('is one self-contained page: no script, no external resource, no network URL', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|url\(\s*['"]?(?!#)/i);
    expect(html).not.toMatch(/(src|href)="(?!#)/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('the matrix has the text report\'s code for every cell, each linking to an article with that id', () => {
    for (const c of r.cells) {
      const id = cellAnchor(c);
      expect(html).toContain(`href="#${id}"`);
      expect(html).toContain(`id="${id}" data-code="${cellCode(c).replace(/"/g, '&quot;')}"`);
    }
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('[AUD-FP-1][CLAIM-2] v6.18 / data-byte is marked a false positive in the matrix and in its article', () => {
    expect(cell('v6.18', 'data-byte').falsePositive).toBe(true);
    expect(html).toMatch(/<td class="code c-fp" data-profile="v6\.18" data-case="data-byte" data-false-positive="true"><a [^>]*>!EINVAL\/LD<span class="fp-mark"/);
    const a = article('v6.18', 'data-byte');
    expect(a).toContain('<span class="badge fp">false positive</span>');
    expect(a).toContain('⚠ false positive: audit: BPF prog-id=');
  });

  it('[SEQ-3] each article has an SVG sequence diagram with real text: lanes, calls, the failing stage, hooks and audit', () => {
    const a = article('v6.18', 'insn-byte');
    expect(a).toMatch(/<svg [^>]*class="seq"[^>]*role="group" aria-labelledby=/);
    expect(a).toMatch(/<title id="[^"]+">Sequence diagram: v6\.18 \/ insn-byte<\/title>/);
    for (const lane of ['process', 'kernel', 'LSM deny-unsigned', 'audit']) expect(a).toContain(`>${lane}</text>`);
    expect(a).toMatch(/<g class="sq-stage sq-fail">.*?<text [^>]*>✗ LOAD-9 bpf_prog_verify_signature → -EKEYREJECTED/);
    expect(a).toContain('#6 = -EKEYREJECTED (-129)');
    const fp = article('v6.18', 'data-byte');
    expect(fp).toMatch(/<g class="sq-hook"><title>hook bpf_prog_load called on deny-unsigned/);
    expect(fp).toMatch(/<g class="sq-audit">.*?BPF prog-id=\d+ op=LOAD · serial \d+/);
    expect(fp).toContain('✗ TRUN-2 program ran: r0 = -22');
  });

  it('[CLAIM-19] a race\'s second thread gets its own lane; an integrity verdict shows on its hook', () => {
    const a = article('v7.3', 'map-swap');
    expect(a).toContain('>second thread</text>');
    expect(a).toMatch(/dup2/);
  });

  it('[HN-HOOK-2][HN-VERD-1] a hook an integrity LSM calls from its own hook is drawn inside that call (post_integrity inside Hornet\'s integrity hook)', () => {
    const h = runCompare({ profiles: ['hornet-v7-posted'], cases: ['data-byte'], cross: false });
    const c = h.cells[0]!;
    const post = c.sequence.find((i) => i.kind === 'hook' && i.hook === 'bpf_prog_load_post_integrity');
    expect(post).toMatchObject({ lsm: 'ipe', caller: 'hornet', verdict: 'UNEXPECTED' });
    // In the trace the nested call is recorded first (the outer hook's event is emitted when it returns) …
    const order = c.sequence.filter((i) => i.kind === 'hook' && /integrity/.test(i.hook)).map((i) => (i.kind === 'hook' ? i.hook : ''));
    expect(order).toEqual(['bpf_prog_load_post_integrity', 'bpf_prog_load_integrity']);
    // … and the diagram draws the outer call, the nested call from Hornet's lane, its return, then the outer return.
    const svg = sequenceSvg({ id: 'x', title: 't', description: 'd', sequence: c.sequence, audit: c.audit, lsms: ['ipe', 'hornet'] });
    const outer = svg.indexOf('>security_bpf_prog_load_integrity(');
    const inner = svg.indexOf('>security_bpf_prog_load_post_integrity(');
    expect(outer).toBeGreaterThan(0);
    expect(inner).toBeGreaterThan(outer);
    expect(svg).toContain('<title>hook bpf_prog_load_post_integrity called on ipe by hornet with verdict UNEXPECTED</title>');
  });

  it('audit records are listed whole under each diagram', () => {
    const c = cell('v6.18', 'data-byte');
    const a = article('v6.18', 'data-byte');
    expect(a).toContain(`Audit records (${c.audit.length}, auditd format)`);
    for (const line of c.audit) expect(a).toContain(line.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
  });

  it('[CLAIM-2][CLAIM-12] a claims section is rendered only when the result carries claims (bpfsig-claims/1)', () => {
    expect(html).not.toContain('id="claims"');
    const claims = runClaims({ only: ['CLAIM-2', 'CLAIM-12'] });
    const withClaims = renderCompareHtml({ ...r, claims: claims.claims });
    expect(withClaims).toContain('<section id="claims"');
    expect(withClaims).toContain('href="#claims"');
    const c2 = claims.claims.find((c) => c.id === 'CLAIM-2')!;
    expect(withClaims).toContain(`<article class="claim" id="claim-2" data-verdict="${c2.verdict}">`);
    // Each check and each piece of its evidence is on the page.
    for (const k of c2.checks) {
      expect(withClaims).toContain(k.statement.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
      expect(k.evidence.length).toBeGreaterThan(0);
    }
    expect(withClaims).toMatch(/<article class="claim" id="claim-12" data-verdict="not-testable">/);
    const page = renderClaimsHtml(claims);
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org)/);
  });

  it('the races section appears with --races results', () => {
    const rr = runCompare({ profiles: ['v6.18'], cases: ['intact'], cross: false, races: true });
    const h = renderCompareHtml(rr);
    expect(h).toContain('<section id="races"');
    expect(h).toMatch(/<caption>slot-swap: /);
  });

  it('escapes what it shows', () => {
    const svg = sequenceSvg({ id: 'x', title: '<b>&', description: '"', sequence: [{ kind: 'call', sys: 1, parent: null, pid: 1, kernel: false, call: '<evil>', cmd: null }], audit: [] });
    expect(svg).not.toContain('<evil>');
    expect(svg).toContain('&lt;evil&gt;');
    expect(svg).toContain('&lt;b&gt;&amp;');
  });
});

describe('bpfsig compare --format html / json', () => {
  it('--format html --out FILE writes the page; the same inputs give the same page', async () => {
    const a = await cli('compare', '--profiles', 'v6.18', '--cases', 'intact,data-byte', '--no-cross', '--format', 'html');
    const b = await cli('compare', '--profiles', 'v6.18', '--cases', 'intact,data-byte', '--no-cross', '--format', 'html');
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/^<!DOCTYPE html>/);
    expect(a.out).toBe(b.out);
  });

  it('--format json writes sequence items one per line and parses to the result', () => {
    const text = jsonText(r, new Set(['sequence', 'audit']));
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(r)));
    expect(text).toMatch(/\n {8}\{"kind":"call","sys":1,/);
  });
});
