// The trace as JSON: one entry per syscall (outer calls and the ones a BPF program made through
// bpf_sys_bpf), in the order they were entered, each with the events that happened inside it.
// This is the `timeline` of `bpfsig skel load --json` and `bpfsig demo --json`; docs/cli.md
// documents the shape. It is built from the trace alone, like the text timeline.

import type { ErrnoName } from '../syscall/errno.js';
import type { SysOutcome } from '../syscall/result.js';
import type { TraceEvent, TraceValue } from '../syscall/trace.js';

export type TimelineEventJson =
  /** A named step of a kernel path (spec rule id); `ret`/`errno` set when it failed or returned a value. */
  | { kind: 'stage'; id: string; name: string; ret: number | null; errno: ErrnoName | null; detail: string | null; enter?: true }
  /** An LSM hook call and what the LSM answered. */
  | { kind: 'hook'; hook: string; lsm: string; ret: number; args: Record<string, TraceValue | boolean> }
  | { kind: 'object'; action: 'alloc_id' | 'free'; type: 'map' | 'prog' | 'btf'; id: number; name: string }
  | { kind: 'fd'; action: 'install' | 'close'; pid: number; fd: number; object: string }
  | { kind: 'audit'; serial: number; type: string; text: string }
  /** A helper call made by the running BPF program. */
  | { kind: 'helper'; pc: number; helper: string; text: string; ret: string }
  | { kind: 'note'; text: string }
  /** The kernel oopsed here: the call (and every call it was nested in) never returned; the task was killed. */
  | { kind: 'oops'; text: string; where: string; rule: string; detail: string }
  /** A syscall made from inside this one (bpf_sys_bpf); its own entry follows in the array. */
  | { kind: 'call'; sys: number };

export interface TimelineCallJson {
  /** Syscall id, unique in the run (the `#N` of the text timeline). */
  sys: number;
  /** The syscall this one was made from (a loader's bpf_sys_bpf), or null. */
  parent: number | null;
  /** 0 for a call from userspace, 1 for one made by a program it ran, … */
  depth: number;
  pid: number;
  /** True when the call came through bpf_sys_bpf (kernel = true for the LSM hooks). */
  kernel: boolean;
  /** `bpf`, `close`, `add_key`, … */
  call: string;
  /** bpf(): the command, e.g. `BPF_PROG_LOAD`; null for other syscalls. */
  cmd: string | null;
  /** bpf(): the attr size passed. */
  size: number | null;
  /** bpf(): the decoded attr (u64 and pointers as 0x-hex strings). */
  attr: Record<string, TraceValue> | null;
  /** Other syscalls' arguments. */
  args: Record<string, TraceValue> | null;
  /**
   * ok / errno: the modelled kernel's answer; not-emulated: bpfsig does not model the path (ret is
   * then null and `notEmulated` says which path). Null if the call never returned.
   */
  outcome: SysOutcome | null;
  /** The return value: >= 0, or a negative errno. Null if not emulated or never returned. */
  ret: number | null;
  errno: ErrnoName | null;
  notEmulated: string | null;
  /** Set when ret > 0 is not an fd although the command returns fds (which step returned it); else null. */
  nonFd: string | null;
  /** Set when the kernel oopsed inside this call or a call nested in it: the call never returned. */
  oops: { text: string; where: string; rule: string; detail: string } | null;
  events: TimelineEventJson[];
}

export interface TimelineJsonOptions {
  /** Include capable() hook calls (default true). */
  readonly capable?: boolean;
  /** Include helper calls of running programs (default true). */
  readonly helpers?: boolean;
}

export function timelineToJson(events: readonly TraceEvent[], opts: TimelineJsonOptions = {}): TimelineCallJson[] {
  const calls: TimelineCallJson[] = [];
  const bySys = new Map<number, TimelineCallJson>();
  for (const e of events) {
    if (e.kind === 'syscall') {
      const parent = e.parent !== null ? bySys.get(e.parent) : undefined;
      const c: TimelineCallJson = {
        sys: e.sys,
        parent: parent ? e.parent : null,
        depth: parent ? parent.depth + 1 : 0,
        pid: e.pid,
        kernel: e.kernel,
        call: e.name,
        cmd: e.cmd ?? null,
        size: e.size ?? null,
        attr: e.attr ? { ...e.attr } : null,
        args: e.args ? { ...e.args } : null,
        outcome: null,
        ret: null,
        errno: null,
        notEmulated: null,
        nonFd: null,
        oops: null,
        events: [],
      };
      calls.push(c);
      bySys.set(e.sys, c);
      parent?.events.push({ kind: 'call', sys: e.sys });
      continue;
    }
    const c = bySys.get(e.sys);
    if (!c) continue; // events outside any syscall (none in practice)
    switch (e.kind) {
      case 'exit':
        c.outcome = e.outcome;
        c.ret = e.outcome === 'not-emulated' ? null : e.ret;
        c.errno = e.errno;
        c.notEmulated = e.unsupported ?? null;
        c.nonFd = e.nonFd ?? null;
        break;
      case 'oops': {
        const o = { text: e.text, where: e.where, rule: e.rule, detail: e.detail };
        c.events.push({ kind: 'oops', ...o });
        // The call it happened in and every call it was nested in never return.
        for (let x: TimelineCallJson | undefined = c; x; x = x.parent !== null ? bySys.get(x.parent) : undefined) x.oops = o;
        break;
      }
      case 'stage':
        c.events.push({ kind: 'stage', id: e.id, name: e.name, ret: e.ret ?? null, errno: e.errno ?? null, detail: e.detail ?? null, ...(e.enter ? { enter: true } : {}) });
        break;
      case 'hook':
        if (e.hook === 'capable' && opts.capable === false) break;
        c.events.push({ kind: 'hook', hook: e.hook, lsm: e.lsm, ret: e.ret, args: { ...e.args } });
        break;
      case 'object':
        c.events.push({ kind: 'object', action: e.action, type: e.type, id: e.id, name: e.name });
        break;
      case 'fd':
        c.events.push({ kind: 'fd', action: e.action, pid: e.pid, fd: e.fd, object: e.object });
        break;
      case 'audit':
        c.events.push({ kind: 'audit', serial: e.serial, type: e.type, text: e.text });
        break;
      case 'helper':
        if (opts.helpers === false) break;
        c.events.push({ kind: 'helper', pc: e.pc, helper: e.helper, text: e.text, ret: e.ret });
        break;
      case 'note':
        c.events.push({ kind: 'note', text: e.text });
        break;
    }
  }
  return calls;
}
