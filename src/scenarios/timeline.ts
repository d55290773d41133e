// A readable timeline of the trace: one block per syscall (nested bpf_sys_bpf calls indented under
// the syscall that ran the program), with the attr, the stages that mattered, every LSM hook and
// its return, ids and fds, and the audit records the call produced.

import type { SyscallEnter, TraceEvent } from '../syscall/trace.js';

export interface TimelineOptions {
  /** Show capable() checks (capability LSM answers); off by default: they are many and rarely news. */
  readonly capable?: boolean;
  /** Show the decoded attr of each call (default true). */
  readonly attr?: boolean;
  /** Show audit records inline (default true). */
  readonly audit?: boolean;
}

function fmtRet(e: { ret: number; errno: string | null; unsupported?: string; nonFd?: string }, name: string, cmd?: string): string {
  if (e.unsupported) return `→ not emulated (${e.unsupported})`;
  if (e.ret < 0) return `→ -${e.errno ?? e.ret} (${e.ret})`;
  if (e.nonFd) return `→ ${e.ret} — NOT AN FD (${e.nonFd})`;
  const createsFd = name === 'bpf' && cmd && /MAP_CREATE|PROG_LOAD|BTF_LOAD|GET_FD_BY_ID/.test(cmd);
  return createsFd ? `→ fd ${e.ret}` : `→ ${e.ret}`;
}

function fmtAttr(attr: Readonly<Record<string, number | string>>): string {
  return Object.entries(attr)
    .filter(([, v]) => v !== 0 && v !== '0x0' && v !== '')
    .map(([k, v]) => (typeof v === 'string' && !v.startsWith('0x') ? `${k}="${v}"` : `${k}=${v}`))
    .join(' ');
}

function fmtArgs(args: Readonly<Record<string, unknown>>): string {
  return Object.entries(args)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

export function renderTimeline(events: readonly TraceEvent[], opts: TimelineOptions = {}): string[] {
  const showAttr = opts.attr ?? true;
  const showAudit = opts.audit ?? true;
  const byId = new Map<number, { enter?: SyscallEnter; body: TraceEvent[]; children: number[]; exit?: Extract<TraceEvent, { kind: 'exit' }> }>();
  const roots: number[] = [];
  const get = (sys: number) => {
    let b = byId.get(sys);
    if (!b) byId.set(sys, (b = { body: [], children: [] }));
    return b;
  };
  for (const e of events) {
    const b = get(e.sys);
    if (e.kind === 'syscall') {
      b.enter = e;
      if (e.parent !== null && byId.has(e.parent)) get(e.parent).children.push(e.sys), get(e.parent).body.push(e);
      else roots.push(e.sys);
    } else if (e.kind === 'exit') b.exit = e;
    else b.body.push(e);
  }
  const out: string[] = [];
  const render = (sys: number, indent: string) => {
    const b = byId.get(sys)!;
    const en = b.enter;
    if (!en) return;
    const head = en.name === 'bpf' ? `bpf(${en.cmd}, size=${en.size})` : `${en.name}(${en.args ? fmtArgs(en.args) : ''})`;
    const who = en.kernel ? 'kernel=true (bpf_sys_bpf)' : `pid ${en.pid}`;
    const oopsed = b.body.some((e) => e.kind === 'oops') || (!b.exit && b.children.some((c) => byId.get(c)?.body.some((e) => e.kind === 'oops')));
    const noReturn = oopsed ? '→ KERNEL OOPS: never returned, the task was killed' : '→ (no return)';
    out.push(`${indent}#${sys} ${head}  ${who}  ${b.exit ? fmtRet(b.exit, en.name, en.cmd) : noReturn}`);
    const pad = indent + '     ';
    if (showAttr && en.attr) {
      const a = fmtAttr(en.attr);
      if (a) out.push(`${pad}attr   ${a}`);
    }
    // Stages that started and showed nothing of their own before the next one are listed on one line.
    let quiet: { id: string; name: string }[] = [];
    const flushQuiet = () => {
      if (quiet.length === 1) out.push(`${pad}stage  ${quiet[0]!.id} ${quiet[0]!.name}`);
      else if (quiet.length > 1) out.push(`${pad}stages ${quiet[0]!.id} … ${quiet[quiet.length - 1]!.id} (${quiet.map((q) => q.name).join('; ')})`);
      quiet = [];
    };
    for (const e of b.body) {
      if (e.kind === 'hook' && e.hook === 'capable' && !opts.capable) continue;
      if (e.kind === 'stage' && e.enter) {
        quiet.push({ id: e.id, name: e.name });
        continue;
      }
      if (quiet.length) {
        const last = quiet.pop()!;
        flushQuiet();
        out.push(`${pad}stage  ${last.id} ${last.name}`);
      }
      switch (e.kind) {
        case 'syscall':
          render(e.sys, indent + '    ');
          break;
        case 'hook':
          out.push(`${pad}lsm    ${e.hook}(${fmtArgs(e.args)})  [${e.lsm}] → ${e.ret}`);
          break;
        case 'stage':
          if (e.errno) out.push(`${pad}fail   ${e.id} ${e.name} → -${e.errno}${e.detail ? `  (${e.detail})` : ''}`);
          else out.push(`${pad}step   ${e.id} ${e.name}${e.detail ? `: ${e.detail}` : ''}${e.ret !== undefined ? ` = ${e.ret}` : ''}`);
          break;
        case 'object':
          out.push(`${pad}${e.action === 'alloc_id' ? 'id     ' : 'free   '}${e.type} ${e.id} '${e.name}'`);
          break;
        case 'fd':
          out.push(`${pad}fd     ${e.action === 'install' ? `${e.fd} ← ${e.object}` : `${e.fd} closed (${e.object})`}`);
          break;
        case 'audit':
          if (showAudit && e.type !== 'EOE' && e.type !== 'PROCTITLE') out.push(`${pad}audit  ${e.type}${e.type === 'SYSCALL' ? '' : ` ${e.text}`}`);
          break;
        case 'note':
          out.push(`${pad}note   ${e.text}`);
          break;
        case 'oops':
          out.push(`${pad}OOPS   ${e.text} — in ${e.where}: ${e.detail} [${e.rule}]`);
          break;
      }
    }
    flushQuiet();
  };
  for (const r of roots) render(r, '');
  return out;
}
