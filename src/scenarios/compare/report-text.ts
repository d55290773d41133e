// The comparison as text (a matrix that fits 100 columns, then the cells in detail) and as
// Markdown. Cell codes: `ok` loaded; `EKEYREJ/PL` failed with that errno at that syscall (PL
// PROG_LOAD, MC MAP_CREATE, UP MAP_UPDATE_ELEM, FZ MAP_FREEZE, GI OBJ_GET_INFO_BY_FD, TR
// PROG_TEST_RUN) or `EINVAL/LD` returned by the loader program itself; a leading `!` marks a false
// positive.

import type { CompareCell, CompareResult } from './compare.js';
import { recipeName, type Recipe } from './compare.js';

const SYSCALL_SHORT: Record<string, string> = {
  BPF_PROG_LOAD: 'PL',
  BPF_MAP_CREATE: 'MC',
  BPF_MAP_UPDATE_ELEM: 'UP',
  BPF_MAP_FREEZE: 'FZ',
  BPF_OBJ_GET_INFO_BY_FD: 'GI',
  BPF_PROG_TEST_RUN: 'TR',
};

const ERRNO_SHORT: Record<string, string> = { EKEYREJECTED: 'EKEYREJ', EOPNOTSUPP: 'EOPNOTSP' };

export function cellCode(c: CompareCell): string {
  if (c.loaded) return c.tamperAccepted ? 'ok*' : 'ok';
  const f = c.failedAt;
  const errno = f?.oops ? 'OOPS' : (f?.errno ?? c.skeleton.errno ?? '?');
  // LD: the loader program returned the error (its BPF_PROG_TEST_RUN syscall succeeded).
  const where = !f ? '?' : f.stage === 'loader' ? 'LD' : (SYSCALL_SHORT[f.syscall] ?? f.syscall);
  const code = `${ERRNO_SHORT[errno] ?? errno}/${where}`;
  return c.falsePositive ? `!${code}` : code;
}

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));

/** A recipe's name in a narrow column: `bt-7.7`, `hashchain-M`. */
const shortRecipe = (r: Recipe): string => recipeName(r).replace('bpftool-', 'bt-').replace(' -M', '-M').replace('-indexed', '-idx');

/** A header cell over two lines: split at a '-' or '.' that fits, else cut. */
function twoLines(s: string, w: number): [string, string] {
  if (s.length <= w) return [s, ''];
  for (let i = Math.min(w, s.length - 1); i > 0; i--) if (s[i - 1] === '-' && s.length - i <= w) return [s.slice(0, i), s.slice(i)];
  return [s.slice(0, w), s.slice(w, 2 * w)];
}

/** The matrix: cases down, profiles across (each column with its scheme's own skeleton), then cross cells. */
export function formatCompareMatrix(r: CompareResult): string[] {
  const cols = r.columns;
  // 12 columns of case label, then one column per profile; 8 profiles fit 100 columns at width 10.
  const w = Math.max(8, Math.min(14, Math.floor((100 - 12) / Math.max(1, cols.length)) - 1));
  const out: string[] = [];
  const heads = cols.map((c) => twoLines(c.profile, w));
  out.push(`${pad('case', 11)} ${heads.map((h) => pad(h[0], w)).join(' ')}`);
  if (heads.some((h) => h[1])) out.push(`${pad('', 11)} ${heads.map((h) => pad(h[1], w)).join(' ')}`);
  out.push(`${pad('skeleton', 11)} ${cols.map((c) => pad(shortRecipe(c.recipe), w)).join(' ')}`);
  for (const k of r.cases) {
    const row = cols.map((c) => {
      const cell = r.cells.find((x) => x.profile === c.profile && x.case === k.id && !x.cross);
      return pad(cell ? cellCode(cell) : '—', w);
    });
    out.push(`${pad(k.id, 11)} ${row.join(' ')}`);
  }
  const cross = r.cells.filter((c) => c.cross);
  if (cross.length) {
    const recipes = [...new Map(cross.map((c) => [recipeName(c.recipe), c.recipe])).values()];
    out.push('', 'cross: another scheme\'s intact skeleton (rows) under each profile (columns)');
    for (const r of recipes) {
      const row = cols.map((c) => {
        const cell = cross.find((x) => x.profile === c.profile && recipeName(x.recipe) === recipeName(r));
        return pad(cell ? cellCode(cell) : '·', w);
      });
      out.push(`${pad(shortRecipe(r), 11)} ${row.join(' ')}`);
    }
  }
  out.push('', 'codes: ok loaded; ERRNO/SYSCALL where it failed: PL PROG_LOAD, MC MAP_CREATE, GI GET_INFO,');
  out.push("       TR PROG_TEST_RUN, LD the loader program's own return value; ! false positive (an LSM");
  out.push('       admitted or audit recorded a signed load that did not complete); ok* loaded although a');
  out.push('       signed byte changed; — not run; · own scheme');
  return out;
}

function cellDetail(c: CompareCell): string[] {
  const head = `${c.profile} / ${c.case}${c.cross ? ` (cross: ${recipeName(c.recipe)})` : ''}: ${c.loaded ? 'loaded' : 'not loaded'}${c.falsePositive ? '  FALSE POSITIVE' : ''}${c.tamperAccepted ? '  LOADED TAMPERED CONTENT' : ''}`;
  const out = [head];
  if (c.failedAt) out.push(`  failed at ${c.failedAt.syscall} (#${c.failedAt.sys}) stage ${c.failedAt.stage ?? '?'}: ${c.failedAt.oops ? `KERNEL OOPS (${c.failedAt.oops}); the task was killed` : (c.failedAt.errno ?? c.failedAt.ret)}`);
  out.push(`  skeleton result ${c.skeleton.result ?? 'none (never returned)'}${c.skeleton.errno ? ` (${c.skeleton.errno})` : ''}${c.skeleton.errstr ? ` "${c.skeleton.errstr}"` : ''}; loader retval ${c.loaderRetval ?? 'none'}`);
  if (c.race) out.push(`  second thread before ${c.race.boundary}: ${c.race.calls.join('; ')}`);
  for (const h of c.lsm.filter((x) => x.lsm !== 'none')) {
    out.push(`  lsm ${h.hook}[${h.lsm}] ${h.prog ?? ''}${h.kernel ? ' kernel' : ''}${h.verdict ? ` verdict=${h.verdict}` : ''} → ${h.ret}  (${h.syscall} #${h.sys})`);
  }
  for (const a of c.audit.filter((x) => !/^type=(SYSCALL|PROCTITLE)/.test(x))) out.push(`  audit ${a}`);
  for (const e of c.falsePositiveEvidence) out.push(`  false positive: ${e}`);
  return out;
}

export function formatCompare(r: CompareResult, opts: { details?: boolean } = {}): string[] {
  const out = [`bpfsig compare ${r.object.file} (${r.object.name}, sha256 ${r.object.sha256.slice(0, 16)}…)`, ''];
  out.push(...formatCompareMatrix(r));
  out.push('', 'columns:');
  for (const c of r.columns) out.push(`  ${pad(c.profile, 14)} scheme ${c.scheme}; skeleton ${recipeName(c.recipe)}; lsm=capability${c.lsm.map((x) => ',' + x).join('')}`);
  const fps = r.cells.filter((c) => c.falsePositive);
  out.push('', `false positives: ${fps.length ? fps.map((c) => `${c.profile}/${c.case}${c.cross ? `(${recipeName(c.recipe)})` : ''}`).join(', ') : 'none'}`);
  const tampered = r.cells.filter((c) => c.tamperAccepted);
  out.push(`loaded tampered content: ${tampered.length ? tampered.map((c) => `${c.profile}/${c.case}`).join(', ') : 'none'}`);
  for (const s of r.skipped) out.push(`not run: ${s.profile}/${s.case} (${s.reason})`);
  if (opts.details) {
    out.push('', '== cells');
    for (const c of r.cells) out.push(...cellDetail(c), '');
  }
  return out;
}

/** The same as Markdown: a table, then one section per cell. */
export function formatCompareMarkdown(r: CompareResult): string {
  const L: string[] = [`# bpfsig compare: \`${r.object.file}\``, '', `Object \`${r.object.name}\`, sha256 \`${r.object.sha256}\`.`, ''];
  L.push(`| case | ${r.columns.map((c) => `\`${c.profile}\`<br>${recipeName(c.recipe)}`).join(' | ')} |`);
  L.push(`|---|${r.columns.map(() => '---').join('|')}|`);
  for (const k of r.cases) {
    const row = r.columns.map((c) => {
      const cell = r.cells.find((x) => x.profile === c.profile && x.case === k.id && !x.cross);
      if (!cell) return '—';
      const code = cellCode(cell);
      return cell.falsePositive ? `**${code}**` : `\`${code}\``;
    });
    L.push(`| \`${k.id}\` | ${row.join(' | ')} |`);
  }
  L.push('', '`!` and bold: a false positive (an LSM admitted or audit recorded a signed load that did not complete).', '');
  L.push('## Cases', '');
  for (const k of r.cases) L.push(`- \`${k.id}\`: ${k.title} (${k.spec.join(', ')})`);
  L.push('', '## Cells', '');
  for (const c of r.cells) L.push('```', ...cellDetail(c), '```', '');
  return L.join('\n');
}
