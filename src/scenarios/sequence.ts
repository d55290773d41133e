// A run as a compact sequence, for sequence diagrams: the trace in its own order, reduced to what a
// reader follows — each syscall entered (the process's, a second thread's, and the ones the loader
// program made through bpf_sys_bpf), the stages it went through and the one that failed, the steps
// that reported something, the LSM hooks that an LSM answered (with verdicts and returns), the
// audit records, and each return. It is read from the trace alone (DESIGN principle 3), like the
// text timeline; `timelineToJson` keeps everything, this keeps what a diagram draws, so a comparison
// of fifty cells stays small. spec: PROF-3, LSM-EMU-1, AUD-SER-1/2, SYS-6.

import type { TraceEvent } from '../syscall/trace.js';

export type SeqItem =
  /** A syscall entered. `parent`: the syscall of the program that made it (bpf_sys_bpf). */
  | { kind: 'call'; sys: number; parent: number | null; pid: number; kernel: boolean; call: string; cmd: string | null }
  /**
   * A stage of a staged path entered (BPF_PROG_LOAD); `errno`/`detail` are its outcome when it
   * reported one under its own id (a failure, or e.g. LOAD-9's verdict).
   */
  | { kind: 'stage'; sys: number; id: string; name: string; role: 'signature' | 'admission' | null; errno: string | null; detail: string | null }
  /** Consecutive stages entered that reported nothing (no outcome, no role), folded as the text timeline folds them. */
  | { kind: 'stages'; sys: number; ids: string[]; names: string[] }
  /** A step that reported an outcome (MHASH-7 map->sha computed, TRUN-2 program ran, a failed check, …). */
  | { kind: 'step'; sys: number; id: string; name: string; errno: string | null; detail: string | null }
  /**
   * An LSM hook answered by an LSM (capable() only when it refused). `verdict`: an integrity or
   * signature verdict. `caller`: the LSM that made the call from inside its own hook
   * (`bpf_prog_load_post_integrity` is called by an integrity LSM, HN-HOOK-2); its event comes
   * before the caller's, which is recorded when the caller's hook returns.
   */
  | { kind: 'hook'; sys: number; hook: string; lsm: string; ret: number; verdict: string | null; prog: string | null; caller: string | null }
  /** An audit record; `record` is its index in the run's auditd lines (no EOE), where its text is. */
  | { kind: 'audit'; sys: number; serial: number; type: string; record: number }
  /** A syscall returned. `nonFd`: ret > 0 is not an fd although the command returns fds (the step that returned it). */
  | { kind: 'return'; sys: number; ret: number; errno: string | null; nonFd: string | null }
  /** The kernel oopsed in this call: it and every call it was nested in never return; the task is killed. */
  | { kind: 'oops'; sys: number; text: string; rule: string; where: string };

/** No LSM implemented the hook (src/lsm/chain.ts NO_LSM): the call is not drawn. */
const NO_LSM = 'none';

export function sequenceOf(events: readonly TraceEvent[]): SeqItem[] {
  const out: SeqItem[] = [];
  const open: number[] = [];
  /** The stage each call is in (its item), to attach an outcome reported under the same id. */
  const inStage = new Map<number, Extract<SeqItem, { kind: 'stage' }>>();
  let record = 0;
  for (const e of events) {
    switch (e.kind) {
      case 'syscall':
        out.push({ kind: 'call', sys: e.sys, parent: e.parent, pid: e.pid, kernel: e.kernel, call: e.name, cmd: e.cmd ?? null });
        open.push(e.sys);
        break;
      case 'exit': {
        out.push({ kind: 'return', sys: e.sys, ret: e.ret, errno: e.errno ?? null, nonFd: e.nonFd ?? null });
        const i = open.lastIndexOf(e.sys);
        if (i >= 0) open.splice(i, 1);
        inStage.delete(e.sys);
        break;
      }
      case 'stage': {
        const cur = inStage.get(e.sys);
        if (e.enter) {
          const s = { kind: 'stage' as const, sys: e.sys, id: e.id, name: e.name, role: e.role ?? null, errno: null, detail: null };
          out.push(s);
          inStage.set(e.sys, s);
        } else if (cur && cur.id === e.id && cur.errno === null && cur.detail === null) {
          // The stage's own outcome: mutate the item pushed above (it is ours until returned).
          const m = cur as { errno: string | null; detail: string | null };
          m.errno = e.errno ?? null;
          // The outcome's own name often repeats the stage's ("bpf_prog_verify_signature: signature verified").
          const own = e.name === cur.name ? null : e.name.startsWith(cur.name) ? e.name.slice(cur.name.length).replace(/^[\s:]+/, '') || null : e.name;
          m.detail = [own, e.detail ?? null].filter((x) => x).join(': ') || null;
        } else out.push({ kind: 'step', sys: e.sys, id: e.id, name: e.name, errno: e.errno ?? null, detail: e.detail ?? null });
        break;
      }
      case 'oops':
        out.push({ kind: 'oops', sys: e.sys, text: e.text, rule: e.rule, where: e.where });
        break;
      case 'hook':
        if (e.lsm === NO_LSM || (e.hook === 'capable' && e.ret === 0)) break;
        out.push({
          kind: 'hook',
          sys: e.sys,
          hook: e.hook,
          lsm: e.lsm,
          ret: e.ret,
          verdict: typeof e.args.verdict === 'string' ? e.args.verdict : typeof e.args.sig_verdict === 'string' ? e.args.sig_verdict : null,
          prog: typeof e.args.prog === 'string' ? e.args.prog : null,
          caller: typeof e.args.lsmid === 'string' ? e.args.lsmid : null,
        });
        break;
      case 'audit':
        if (e.type === 'EOE') break; // not in auditd's log (src/audit/format.ts)
        // Records written at syscall exit (SYSCALL, PROCTITLE) carry no syscall: they close the innermost open one.
        out.push({ kind: 'audit', sys: e.sys !== 0 ? e.sys : (open[open.length - 1] ?? 0), serial: e.serial, type: e.type, record: record++ });
        break;
      default:
        break;
    }
  }
  return foldQuietStages(out);
}

const quiet = (i: SeqItem | undefined, sys: number): i is Extract<SeqItem, { kind: 'stage' }> =>
  i?.kind === 'stage' && i.sys === sys && i.errno === null && i.detail === null && i.role === null;

/** Runs of two or more quiet stages of one call, with nothing between them, become one `stages` item. */
function foldQuietStages(items: readonly SeqItem[]): SeqItem[] {
  const out: SeqItem[] = [];
  for (let i = 0; i < items.length; ) {
    const it = items[i]!;
    let j = i;
    while (quiet(items[j], it.sys)) j++;
    if (j - i >= 2) {
      const run = items.slice(i, j) as Extract<SeqItem, { kind: 'stage' }>[];
      out.push({ kind: 'stages', sys: it.sys, ids: run.map((s) => s.id), names: run.map((s) => s.name) });
      i = j;
    } else {
      out.push(it);
      i++;
    }
  }
  return out;
}
