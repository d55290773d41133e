// A run's sequence diagram as inline SVG, drawn from its compact sequence (src/scenarios/sequence.ts).
// Lanes, left to right: the loading process (and a second thread when a race ran one), the loader
// program when it made calls through bpf_sys_bpf, the kernel's syscall layer with its stages, one
// lane per LSM that answered a hook, and audit. Messages, top to bottom in trace order: each
// syscall and its return, the stages it entered (quiet runs folded, the failing one marked), the
// steps that reported something, hook calls with verdicts and their returns (with the records an
// LSM wrote inside its hook), and every audit record but PROCTITLE. Everything is <text>, each row
// has a <title> with its full text, colours keep 4.5:1 contrast on white, and no script is needed.
// The page's stylesheet (html.ts) styles the `sq-*` classes.

import type { SeqItem } from '../sequence.js';
import { cut, esc, retText } from './html-util.js';

export interface SequenceDiagramInput {
  /** Fragment id prefix, unique in the page (marker ids derive from it). */
  readonly id: string;
  /** One line: what the diagram shows. */
  readonly title: string;
  /** A sentence or two for screen readers (the outcome). */
  readonly description: string;
  readonly sequence: readonly SeqItem[];
  /** The run's auditd lines; audit items point into it. */
  readonly audit: readonly string[];
  /** Where the run failed, to mark it: the syscall id, and `loader` when the loader returned the error. */
  readonly failedAt?: { readonly sys: number; readonly stage: string | null; readonly ret: number | null; readonly errno: string | null; readonly syscall: string } | null;
  /** The LSM stack after capability (lanes even for LSMs no hook reached; others found are added). */
  readonly lsms?: readonly string[];
  /** Closing notes drawn under the last message (e.g. the false-positive evidence). */
  readonly notes?: readonly { readonly text: string; readonly tone: 'bad' | 'warn' | 'info' }[];
}

const LANE_W = 168;
const MARGIN = 16;
const HEAD_H = 46;
const ROW = 22;
/** Average advance of DejaVu Sans (the page's first font) at 12px and 11px, slightly generous. */
const CHAR_W = 6.9;
const CHAR_W_SMALL = 6.2;
const SMALL = /sq-(detail|step|stages|audit)/;
const LABEL_MAX = 96;
const AUDIT_LABEL_MAX = 84;

interface Lane {
  readonly key: string;
  readonly label: string;
  readonly sub: string;
}

type Row =
  | { t: 'arrow'; from: string; to: string; label: string; title: string; cls: string; dashed: boolean; opens?: number; closes?: number }
  | { t: 'note'; lane: string; label: string; title: string; cls: string; marker: 'box' | 'fold' | 'dot' | 'none' }
  | { t: 'end'; text: string; cls: string };

/** The record's text after `msg=audit(…): `. */
function auditBody(line: string | undefined): string {
  if (!line) return '';
  const i = line.indexOf('): ');
  return i >= 0 ? line.slice(i + 3) : line;
}

function auditLabel(item: Extract<SeqItem, { kind: 'audit' }>, line: string | undefined): string {
  const body = auditBody(line);
  if (item.type === 'SYSCALL') {
    const f = (k: string) => new RegExp(`(?:^| )${k}=(\\S+)`).exec(body)?.[1];
    return `SYSCALL success=${f('success') ?? '?'} exit=${f('exit') ?? '?'} · serial ${item.serial}`;
  }
  return `${item.type} ${body} · serial ${item.serial}`;
}

function laneSet(seq: readonly SeqItem[], stack: readonly string[]): Lane[] {
  const lanes: Lane[] = [];
  const pids: number[] = [];
  let nested = false;
  const lsms: string[] = [...stack];
  for (const i of seq) {
    if (i.kind === 'call') {
      if (i.parent === null && !pids.includes(i.pid)) pids.push(i.pid);
      if (i.parent !== null) nested = true;
    } else if (i.kind === 'hook' && !lsms.includes(i.lsm)) lsms.push(i.lsm);
  }
  pids.forEach((pid, k) => lanes.push({ key: `pid:${pid}`, label: k === 0 ? 'process' : 'second thread', sub: `pid ${pid}, userspace` }));
  if (nested) lanes.push({ key: 'loader', label: 'loader program', sub: 'runs in TEST_RUN; bpf_sys_bpf' });
  lanes.push({ key: 'kernel', label: 'kernel', sub: 'syscall layer and stages' });
  for (const l of lsms) lanes.push({ key: `lsm:${l}`, label: `LSM ${l}`, sub: 'security_* hooks' });
  lanes.push({ key: 'audit', label: 'audit', sub: 'records (auditd)' });
  return lanes;
}

function rowsOf(d: SequenceDiagramInput): Row[] {
  const seq = d.sequence;
  const rows: Row[] = [];
  const callOf = new Map<number, Extract<SeqItem, { kind: 'call' }>>();
  for (const i of seq) if (i.kind === 'call') callOf.set(i.sys, i);
  const caller = (sys: number): string => {
    const c = callOf.get(sys);
    return !c ? 'kernel' : c.parent !== null ? 'loader' : `pid:${c.pid}`;
  };
  const fail = d.failedAt ?? null;
  const auditRow = (a: Extract<SeqItem, { kind: 'audit' }>, from: string): Row => {
    const line = d.audit[a.record];
    return { t: 'arrow', from, to: 'audit', label: cut(auditLabel(a, line), AUDIT_LABEL_MAX), title: line ?? `${a.type} serial ${a.serial}`, cls: 'sq-audit', dashed: false };
  };
  type Hook = Extract<SeqItem, { kind: 'hook' }>;
  const nested: { item: Hook; inner: Extract<SeqItem, { kind: 'audit' }>[] }[] = [];
  const hookCall = (from: string, h: Hook): Row => {
    const args = `${h.prog ? h.prog : ''}${h.verdict ? `${h.prog ? ', ' : ''}verdict ${h.verdict}` : ''}`;
    return {
      t: 'arrow',
      from,
      to: `lsm:${h.lsm}`,
      label: `security_${h.hook}(${args})`,
      title: `hook ${h.hook} called on ${h.lsm}${h.caller ? ` by ${h.caller}` : ''}${h.verdict ? ` with verdict ${h.verdict}` : ''}`,
      cls: 'sq-hook',
      dashed: false,
    };
  };
  const hookReturn = (to: string, h: Hook): Row => ({
    t: 'arrow',
    from: `lsm:${h.lsm}`,
    to,
    label: retText(h.ret),
    title: `${h.lsm} answered ${h.hook}: ${retText(h.ret)}`,
    cls: h.ret !== 0 ? 'sq-ret sq-fail' : 'sq-ret',
    dashed: true,
  });
  for (let k = 0; k < seq.length; k++) {
    const i = seq[k]!;
    switch (i.kind) {
      case 'call': {
        const name = i.cmd ? `${i.call}(${i.cmd})` : i.call;
        const who = i.parent !== null ? `, from the program run by #${i.parent}` : i.kernel ? ', kernel' : '';
        rows.push({ t: 'arrow', from: caller(i.sys), to: 'kernel', label: `#${i.sys} ${name}`, title: `syscall #${i.sys}: ${name} by pid ${i.pid}${who}`, cls: 'sq-call', dashed: false, opens: i.sys });
        break;
      }
      case 'return': {
        const bad = i.ret < 0 || (fail !== null && fail.sys === i.sys);
        const c = callOf.get(i.sys);
        const name = c ? (c.cmd ?? c.call) : `#${i.sys}`;
        let label = `#${i.sys} = ${retText(i.ret, i.errno)}${i.nonFd ? ' (NOT AN FD)' : ''}`;
        if (fail && fail.sys === i.sys && fail.stage === 'loader') label += `, loader retval ${retText(fail.ret, fail.errno)}`;
        rows.push({ t: 'arrow', from: 'kernel', to: caller(i.sys), label, title: `${name} returned ${retText(i.ret, i.errno)}${i.nonFd ? `, which is not an fd (${i.nonFd})` : ''}`, cls: bad || i.nonFd ? 'sq-ret sq-fail' : 'sq-ret', dashed: true, closes: i.sys });
        break;
      }
      case 'stage': {
        const failed = i.errno !== null;
        const label = `${failed ? '✗ ' : ''}${i.id} ${i.name}${failed ? ` → -${i.errno}` : ''}${i.role ? `  [${i.role}]` : ''}`;
        rows.push({ t: 'note', lane: 'kernel', label: cut(label, LABEL_MAX), title: `stage ${i.id} ${i.name}${i.detail ? `: ${i.detail}` : ''}${failed ? ` (failed: -${i.errno})` : ''}`, cls: failed ? 'sq-stage sq-fail' : i.role ? 'sq-stage sq-role' : 'sq-stage', marker: 'box' });
        if (i.detail) rows.push({ t: 'note', lane: 'kernel', label: cut(i.detail, LABEL_MAX), title: i.detail, cls: failed ? 'sq-detail sq-fail' : 'sq-detail', marker: 'none' });
        break;
      }
      case 'stages': {
        const label = `${i.ids[0]} … ${i.ids[i.ids.length - 1]}  (${i.ids.length} stages)`;
        rows.push({ t: 'note', lane: 'kernel', label, title: i.ids.map((id, n) => `${id} ${i.names[n]}`).join('; '), cls: 'sq-stages', marker: 'fold' });
        break;
      }
      case 'step': {
        const failed = i.errno !== null;
        const loaderFail = fail !== null && fail.stage === 'loader' && fail.sys === i.sys && i.id === 'TRUN-2';
        const text = `${failed || loaderFail ? '✗ ' : ''}${i.id} ${i.name}${i.detail ? `: ${i.detail}` : ''}${failed ? ` → -${i.errno}` : ''}`;
        rows.push({ t: 'note', lane: 'kernel', label: cut(text, LABEL_MAX), title: text, cls: failed || loaderFail ? 'sq-step sq-fail' : 'sq-step', marker: 'dot' });
        break;
      }
      case 'hook': {
        // Records an LSM wrote inside its hook come just before the hook's event: draw them inside the call.
        const inner: Extract<SeqItem, { kind: 'audit' }>[] = [];
        for (let j = k - 1; j >= 0; j--) {
          const prev = seq[j]!;
          if (prev.kind !== 'audit' || prev.sys !== i.sys || prev.type === 'SYSCALL' || prev.type === 'PROCTITLE') break;
          inner.unshift(prev);
        }
        rows.splice(rows.length - inner.length, inner.length); // each was drawn as one row from the kernel lane
        // A hook another LSM called from inside its own hook (post_integrity from an integrity LSM)
        // is drawn inside the caller's call, which the trace records after it.
        if (i.caller !== null && i.caller !== i.lsm) {
          nested.push({ item: i, inner });
          break;
        }
        const target = `lsm:${i.lsm}`;
        rows.push(hookCall('kernel', i));
        for (let n = 0; n < nested.length; ) {
          const x = nested[n]!;
          if (x.item.caller !== i.lsm || x.item.sys !== i.sys) {
            n++;
            continue;
          }
          nested.splice(n, 1);
          rows.push(hookCall(target, x.item));
          for (const a of x.inner) rows.push(auditRow(a, `lsm:${x.item.lsm}`));
          rows.push(hookReturn(target, x.item));
        }
        for (const a of inner) rows.push(auditRow(a, target));
        rows.push(hookReturn('kernel', i));
        break;
      }
      case 'audit':
        if (i.type === 'PROCTITLE') break;
        rows.push(auditRow(i, 'kernel'));
        break;
      case 'oops': {
        const text = `✗ KERNEL OOPS (${i.rule}): ${i.text}; the task is killed, #${i.sys} never returns`;
        rows.push({ t: 'note', lane: 'kernel', label: cut(text, LABEL_MAX), title: `${text} (${i.where})`, cls: 'sq-step sq-fail', marker: 'dot' });
        break;
      }
    }
  }
  // A nested call whose caller's hook never appeared (not expected): drawn from the kernel lane.
  for (const x of nested) {
    rows.push(hookCall('kernel', x.item));
    for (const a of x.inner) rows.push(auditRow(a, `lsm:${x.item.lsm}`));
    rows.push(hookReturn('kernel', x.item));
  }
  for (const n of d.notes ?? []) rows.push({ t: 'end', text: n.text, cls: n.tone === 'bad' ? 'sq-end sq-fail' : n.tone === 'warn' ? 'sq-end sq-warn' : 'sq-end' });
  return rows;
}

/** Arrowheads per message class (fills match the page's `sq-*` stroke colours). */
export const SEQ_COLORS = { call: '#1a237e', ret: '#455a64', fail: '#b71c1c', hook: '#6a1b9a', audit: '#7a4100' } as const;
const MARKER_FILL: Record<string, string> = SEQ_COLORS;

function markerOf(cls: string): keyof typeof SEQ_COLORS {
  if (cls.includes('sq-fail')) return 'fail';
  if (cls.includes('sq-call')) return 'call';
  if (cls.includes('sq-hook')) return 'hook';
  if (cls.includes('sq-audit')) return 'audit';
  return 'ret';
}

/** The diagram as an `<svg>` element (inline in the report page). */
export function sequenceSvg(d: SequenceDiagramInput): string {
  const lanes = laneSet(d.sequence, d.lsms ?? []);
  const rows = rowsOf(d);
  const x = new Map<string, number>();
  lanes.forEach((l, k) => x.set(l.key, MARGIN + LANE_W / 2 + k * LANE_W));
  const lx = (key: string) => x.get(key) ?? x.get('kernel')!;
  const height = HEAD_H + 10 + rows.length * ROW + 16;
  let width = MARGIN * 2 + lanes.length * LANE_W;
  const body: string[] = [];
  const ah = `${d.id}-ah`;
  rows.forEach((r, k) => {
    const y = HEAD_H + 10 + k * ROW + ROW / 2 + 4;
    if (r.t === 'arrow') {
      const x1 = lx(r.from);
      const x2 = lx(r.to);
      const right = x2 > x1;
      // Records are labelled against the audit lane (their text ends there); other messages start at their left end.
      const toAudit = r.to === 'audit';
      const tx = toAudit ? x2 - 10 : Math.min(x1, x2) + 8;
      width = Math.max(width, toAudit ? x2 + MARGIN : tx + r.label.length * CHAR_W + MARGIN);
      const end = right ? x2 - 2 : x2 + 2;
      body.push(
        `<g class="${r.cls}"><title>${esc(r.title)}</title>` +
          `<line x1="${x1}" y1="${y}" x2="${end}" y2="${y}"${r.dashed ? ' stroke-dasharray="5 3"' : ''} marker-end="url(#${ah}-${markerOf(r.cls)})"/>` +
          `<text x="${tx}" y="${y - 4}"${toAudit ? ' text-anchor="end"' : ''}>${esc(r.label)}</text></g>`,
      );
    } else if (r.t === 'note') {
      const cx = lx(r.lane);
      const tx = cx + 10;
      width = Math.max(width, tx + r.label.length * (SMALL.test(r.cls) ? CHAR_W_SMALL : CHAR_W) + MARGIN);
      const mark =
        r.marker === 'box' ? `<rect x="${cx - 4}" y="${y - 8}" width="8" height="8"/>` : r.marker === 'fold' ? `<rect class="sq-fold" x="${cx - 4}" y="${y - 9}" width="8" height="10"/>` : r.marker === 'dot' ? `<circle cx="${cx}" cy="${y - 4}" r="3"/>` : '';
      body.push(`<g class="${r.cls}"><title>${esc(r.title)}</title>${mark}<text x="${tx}" y="${y}">${esc(r.label)}</text></g>`);
    } else {
      width = Math.max(width, MARGIN + 8 + r.text.length * CHAR_W + MARGIN);
      body.push(`<g class="${r.cls}"><title>${esc(r.text)}</title><text x="${MARGIN + 4}" y="${y}">${esc(r.text)}</text></g>`);
    }
  });
  // Activation bars: each syscall on the kernel lane (nested ones offset), and the loader program
  // on its lane while the call that runs it is active.
  const bars: { depth: number; svg: string }[] = [];
  const openAt = new Map<number, number>();
  const depth = new Map<number, number>();
  const parentOf = new Map<number, number | null>();
  for (const i of d.sequence) if (i.kind === 'call') parentOf.set(i.sys, i.parent);
  const hasChildren = new Set([...parentOf.values()].filter((p): p is number => p !== null));
  rows.forEach((r, k) => {
    if (r.t !== 'arrow') return;
    if (r.opens !== undefined) {
      // Nested under its parent; a second thread's call made while another is open sits beside it.
      const p = parentOf.get(r.opens) ?? null;
      depth.set(r.opens, p === null ? openAt.size : (depth.get(p) ?? 0) + 1);
      openAt.set(r.opens, k);
    }
    if (r.closes !== undefined && openAt.has(r.closes)) {
      const y1 = HEAD_H + 10 + openAt.get(r.closes)! * ROW + ROW / 2 + 4;
      const y2 = HEAD_H + 10 + k * ROW + ROW / 2 + 4;
      const dep = depth.get(r.closes) ?? 0;
      bars.push({ depth: dep, svg: `<rect class="sq-act" x="${lx('kernel') - 3 + dep * 5}" y="${y1}" width="6" height="${Math.max(2, y2 - y1)}"/>` });
      if (hasChildren.has(r.closes) && x.has('loader'))
        bars.push({ depth: 0, svg: `<rect class="sq-act sq-act-prog" x="${lx('loader') - 3}" y="${y1 + ROW / 2}" width="6" height="${Math.max(2, y2 - y1 - ROW)}"><title>the loader program runs (BPF_PROG_TEST_RUN #${r.closes})</title></rect>` });
      openAt.delete(r.closes);
    }
  });
  const heads = lanes.map((l) => {
    const cx = lx(l.key);
    return (
      `<g class="sq-lane"><title>${esc(`${l.label}: ${l.sub}`)}</title>` +
      `<rect x="${cx - LANE_W / 2 + 6}" y="6" width="${LANE_W - 12}" height="34" rx="4"/>` +
      `<text x="${cx}" y="20" text-anchor="middle" class="sq-lane-name">${esc(l.label)}</text>` +
      `<text x="${cx}" y="34" text-anchor="middle" class="sq-lane-sub">${esc(l.sub)}</text>` +
      `<line x1="${cx}" y1="${HEAD_H}" x2="${cx}" y2="${height - 8}" class="sq-life"/></g>`
    );
  });
  width = Math.ceil(width);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="seq" id="${d.id}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="group" aria-labelledby="${d.id}-t ${d.id}-d">` +
    `<title id="${d.id}-t">${esc(d.title)}</title><desc id="${d.id}-d">${esc(d.description)}</desc>` +
    `<defs>${Object.entries(MARKER_FILL)
      .map(([k, fill]) => `<marker id="${ah}-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${fill}"/></marker>`)
      .join('')}</defs>` +
    `<rect class="sq-bg" x="0" y="0" width="${width}" height="${height}"/>` +
    heads.join('') +
    // Outer calls first, so a nested call's bar is drawn over its parent's.
    [...bars].sort((a, b) => a.depth - b.depth).map((b) => b.svg).join('') +
    body.join('') +
    `</svg>`
  );
}
