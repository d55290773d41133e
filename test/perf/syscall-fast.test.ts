// Issue K, the per-syscall path: what each bpf() call's entry and exit does once instead of per
// call (compiled audit rules, a clock without BigInts, audit exit records kept pending until read).
// Each test fails on a stale hit or a late read.

import { describe, expect, it } from 'vitest';
import { Pending, RetainedList } from '../../src/abi/records.js';
import { AuditContext, AuditLog, type AuditTask } from '../../src/audit/log.js';
import { AuditSeries } from '../../src/audit/series.js';
import { parseAuditRule, ruleMatches, AuditRuleError, type RuleSubject } from '../../src/audit/rules.js';
import { VirtualClock } from '../../src/syscall/clock.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { BpfClient } from '../../src/loader/bpf.js';
import { bpfHookTraceArgs } from '../../src/syscall/security.js';
import { cmdName } from '../../src/syscall/uapi/consts.js';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { readExampleObject } from '../../src/loader/examples.js';
import { destroySkeleton, loadSkeleton } from '../../src/loader/skel-runtime.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { setup, arrayMap } from '../support/kernel.js';

const task: AuditTask = {
  pid: 4242, ppid: 1, auid: 1000, ses: 3, uid: 0, gid: 0, euid: 0, suid: 0, fsuid: 0, egid: 0, sgid: 0, fsgid: 0,
  tty: 'pts0', comm: 'loader', exe: '/usr/bin/loader', argv: ['loader'],
};

/** The key of the first matching rule as ruleMatches decides it (the reference), or 'none'. */
function reference(rules: string[], s: RuleSubject): string {
  for (const text of rules) {
    const r = parseAuditRule(text);
    if (ruleMatches(r, s)) return r.action === 'always' ? (r.key ?? '(null)') : 'none';
  }
  return 'none';
}

/** What the log decided: the SYSCALL record's key, or 'none' when it made no event. */
function decided(log: AuditLog, nr: number, args: bigint[], ret: number | null, t: AuditTask = task): string {
  const n = log.records.length;
  log.syscallExit(log.syscallEntry(t, nr, args), ret);
  const sc = log.records.slice(n).find((r) => r.type === 'SYSCALL');
  return sc ? /key=(\S+)$/.exec(sc.body)![1]!.replace(/"/g, '') : 'none';
}

describe('audit rules compiled once per change [AUD-SER-3] (issue K)', () => {
  const RULE_SETS = [
    ['-a always,exit -F arch=b64 -S bpf -k bpfsig'],
    ['-a never,exit -S bpf -F a0=5', '-a always,exit -S bpf -k all'],
    ['-a always,exit -S bpf -F success=0 -k fail', '-a always,exit -S close -k close'],
    ['-a always,exit -S all -F exit>=3 -F exit<=5 -k fds', '-a always,exit -S bpf -F uid!=0 -k user'],
    ['-a always,exit -S bpf -F auid=unset -k daemon', '-a always,exit -S bpf -F pid=4242 -F a1=0x7ffc -k pid'],
    ['-a always,exit -S bpf -F nosuchfield=1 -k never', '-a always,exit -S bpf -F euid<1 -F a3>0 -k e'],
    ['-a always,exit -S bpf'],
    [],
  ];
  const CALLS: [number, bigint[], number | null, AuditTask][] = [
    [321, [5n, 0x7ffcn, 0xa8n, 0n], 4, task],
    [321, [5n, 0x7ffcn, 0xa8n, 1n], -13, task],
    [321, [0n, 0n, 0n, 0n], 3, { ...task, uid: 1000, auid: 0xffff_ffff }],
    [321, [22n], null, task],
    [3, [7n, 0n, 0n, 0n], 0, task],
    [3, [7n], 5, { ...task, euid: 5 }],
  ];

  it('decides as ruleMatches over the list, first match deciding, for every rule set and call', () => {
    for (const rules of RULE_SETS) {
      const log = new AuditLog(new VirtualClock(), { rules: rules.map(parseAuditRule) });
      for (const [nr, args, ret, t] of CALLS) {
        const s: RuleSubject = { nr, args, success: ret === null ? null : ret >= 0, exit: ret, pid: t.pid, uid: t.uid, euid: t.euid, auid: t.auid };
        expect(decided(log, nr, args, ret, t), `${rules.join(' | ')} / ${nr} ${ret}`).toBe(reference(rules, s));
      }
    }
  });

  it('setting the rules recompiles them (no stale decision); the list is a frozen copy', () => {
    const log = new AuditLog(new VirtualClock(), { rules: [parseAuditRule('-a always,exit -S bpf -k one')] });
    expect(decided(log, 321, [5n], 0)).toBe('one');
    log.rules = [parseAuditRule('-a always,exit -S bpf -k two')];
    expect(decided(log, 321, [5n], 0)).toBe('two');
    log.rules = [];
    expect(decided(log, 321, [5n], 0)).toBe('none');
    const mine = [parseAuditRule('-a always,exit -S bpf -k three')];
    log.rules = mine;
    mine.push(parseAuditRule('-a always,exit -S close -k four'));
    expect(log.rules).toHaveLength(1);
    expect(Object.isFrozen(log.rules)).toBe(true);
    expect(decided(log, 3, [1n], 0)).toBe('none');
  });

  it('a field number that does not parse throws when the field is reached, as ruleMatches does', () => {
    const log = new AuditLog(new VirtualClock(), { rules: [parseAuditRule('-a always,exit -S bpf -F pid=zz -k bad')] });
    expect(decided(log, 3, [1n], 0)).toBe('none'); // another syscall: the field is never reached
    expect(() => decided(log, 321, [5n], 0)).toThrow(AuditRuleError);
    // an earlier field that fails stops before it
    log.rules = [parseAuditRule('-a always,exit -S bpf -F success=0 -F pid=zz -k bad')];
    expect(decided(log, 321, [5n], 0)).toBe('none');
    expect(() => decided(log, 321, [5n], -1)).toThrow(/bad number 'zz'/);
  });
});

describe('the virtual clock without BigInts (issue K)', () => {
  it('reads what nanoseconds since the epoch in a BigInt give, over ticks and carries', () => {
    for (const [start, step, nsec] of [
      [1_764_460_800, 1_000_000n, 0],
      [1_732_620_000, 0n, 123_000_000],
      [1_795_702_399, 999_999_999n, 912_000_000],
      [10, 2_500_000_001n, 999_999_999],
    ] as const) {
      const c = new VirtualClock(start, step, nsec);
      let ns = BigInt(start) * 1_000_000_000n + BigInt(nsec);
      for (let i = 0; i < 2_000; i++) {
        expect(c.now()).toEqual({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });
        c.tick();
        ns += step;
      }
    }
  });
  it('each read is a fresh object (a caller that keeps one never sees it move)', () => {
    const c = new VirtualClock();
    const a = c.now();
    c.tick();
    expect(c.now()).not.toBe(a);
    expect(c.now().nsec - a.nsec).toBe(1_000_000);
  });
});

describe('audit exit records pending until read [AUD-SER-1][AUD-SC-1] (issue K)', () => {
  it('the log, the trace and a series read one record per entry, made once, with the text of the exit', () => {
    const series = new AuditSeries();
    const k = new Kernel({ profile: 'v6.18', audit: { series } });
    const p = k.spawn({ comm: 'first' });
    const mark = k.trace.mark();
    expect(p.bpf(22, p.alloc(new Uint8Array(4).fill(0xff)), 4).errno).toBe('EBADF');
    // the series made its records as they came; the log and the trace hold the same objects
    const fromSeries = series.records().filter((r) => r.type === 'SYSCALL' || r.type === 'PROCTITLE');
    expect(fromSeries).toHaveLength(2);
    const fromLog = k.audit.records.filter((r) => r.type === 'SYSCALL' || r.type === 'PROCTITLE');
    expect(fromLog[0]).toBe(fromSeries[0]);
    expect(fromLog[1]).toBe(fromSeries[1]);
    expect(fromLog.every((r) => !(r instanceof Pending))).toBe(true);
    const ev = k.trace.since(mark).filter((e) => e.kind === 'audit');
    expect(ev.map((e) => e.kind === 'audit' && e.text)).toEqual(k.audit.records.slice(-3).map((r) => r.body));
    expect(fromLog[0]!.body).toMatch(/^arch=c000003e syscall=321 success=no exit=-9 a0=16 .* comm="first" exe="\/usr\/bin\/bpfsig" key="bpfsig"$/);
  });

  it('a record read late shows the exit: a later call, a credential change and ring trimming do not reach it', () => {
    const { k, p, c } = setup('v6.18', { audit: { retention: { capacity: 8 } } });
    expect(arrayMap(c)).toBeGreaterThan(0);
    const first = k.audit.records.slice(-3);
    p.cred = { ...p.cred, uid: 77 };
    for (let i = 0; i < 5; i++) p.bpf(22, p.alloc(new Uint8Array(4).fill(0xff)), 4);
    expect(first[0]!.body).toContain('success=yes exit=3');
    expect(first[0]!.body).toContain(' uid=0 ');
    const last = k.audit.records.filter((r) => r.type === 'SYSCALL').at(-1)!;
    expect(last.body).toContain('success=no exit=-9');
    expect(last.body).toContain(' uid=77 ');
    // six calls, three records each; the ring keeps 8 to 10 (it trims in batches)
    expect(k.audit.records.length + k.audit.dropped).toBe(18);
    expect(k.audit.dropped).toBeGreaterThan(0);
  });

  it('records is a copy: an array a reader keeps never changes and never holds an unmade entry', () => {
    const { k, p } = setup('v6.18', { audit: { retention: { capacity: 4 } } });
    p.bpf(22, p.alloc(new Uint8Array(4).fill(0xff)), 4);
    const held = k.audit.records;
    const copy = held.slice();
    for (let i = 0; i < 5; i++) p.bpf(22, p.alloc(new Uint8Array(4).fill(0xff)), 4);
    expect(held).toEqual(copy);
    expect(held.every((r) => typeof r === 'object' && typeof r.body === 'string')).toBe(true);
    expect(k.audit.records.map((r) => r.serial)).not.toEqual(held.map((r) => r.serial));
  });

  it('the exit records come to the listener as their AuditContext and part, each made into its record once', () => {
    const log = new AuditLog(new VirtualClock(1732620000, 0n, 123_000_000), { firstSerial: 7, rules: [parseAuditRule('-a always,exit -S bpf')] });
    const got: [unknown, number][] = [];
    log.onRecord = (r, part) => got.push([r, part]);
    log.syscallExit(log.syscallEntry(task, 321, [5n, 1n, 2n, 3n]), 4);
    expect(got.map(([r, part]) => [r instanceof AuditContext, part])).toEqual([[true, 0], [true, 1], [true, 2]]);
    const [[x]] = got as [AuditContext, 0][];
    expect(got.every(([r]) => r === x)).toBe(true);
    expect(x.record(0)).toBe(x.record(0));
    expect(log.records.map((r, i) => r === x.record(i as 0 | 1 | 2))).toEqual([true, true, true]);
    expect(Object.keys(x.record(0))).toEqual(['type', 'serial', 'sec', 'ms', 'body']);
    expect(Object.keys(x.record(2))).toEqual(['type', 'serial', 'sec', 'ms', 'body']);
    expect(log.records.map((r) => `${r.type} ${r.serial} ${r.sec}.${r.ms}`)).toEqual(['SYSCALL 7 1732620000.123', 'PROCTITLE 7 1732620000.123', 'EOE 7 1732620000.123']);
  });
});

describe('packed trace entries (issue K: no object per event until the trace is read)', () => {
  /** The same calls on a kernel: maps made, frozen and closed, refused calls, a close of a bad fd, a key. */
  function workload(k: Kernel): void {
    const p = k.spawn({ comm: 'work' });
    const c = new BpfClient(p);
    for (let i = 0; i < 6; i++) {
      const fd = arrayMap(c, 8, 2, `m${i}`);
      expect(fd).toBeGreaterThan(0);
      const a = new Uint8Array(4);
      new DataView(a.buffer).setInt32(0, i % 2 ? fd : 999, true);
      p.bpf(22, p.alloc(a), 4); // BPF_MAP_FREEZE: ok, or EBADF at its first check
      p.bpf(22, p.alloc(a), 4); // again: EPERM, or EBADF
      p.bpf(99, 0n, 0); // an unknown command: EINVAL after security_bpf
      p.close(i % 3 ? fd : 1000); // close, or EBADF
    }
    p.addKey('user', 'k', new Uint8Array([1, 2, 3]), -3);
  }

  it('read late from a trimmed ring, the events are those a ring that keeps all has at their seqs, field for field and in key order', () => {
    const all = new Kernel({ profile: 'v6.18', trace: { keepAll: true } });
    const ring = new Kernel({ profile: 'v6.18', trace: { capacity: 40 } });
    workload(all);
    workload(ring);
    const want = all.trace.events;
    const got = ring.trace.events;
    expect(ring.trace.dropped).toBeGreaterThan(0);
    expect(got.length + ring.trace.dropped).toBe(want.length);
    const tail = want.slice(ring.trace.dropped);
    expect(JSON.stringify(got)).toBe(JSON.stringify(tail));
    expect(got.map((e) => Object.keys(e).join())).toEqual(tail.map((e) => Object.keys(e).join()));
    // every kind the packed entries cover is there
    const kinds = new Set(want.map((e) => (e.kind === 'stage' ? `stage${'enter' in e ? '+enter' : ''}${'errno' in e ? '+errno' : ''}` : e.kind)));
    for (const k of ['syscall', 'hook', 'stage', 'stage+errno', 'audit', 'exit']) expect(kinds, k).toContain(k);
  });

  it('the events have the shapes an object emitted per event had: seq last, optional fields only when set', () => {
    const k = new Kernel({ profile: 'v6.18', trace: { keepAll: true } });
    workload(k);
    const ev = k.trace.events;
    expect(ev.map((e) => e.seq)).toEqual(ev.map((_, i) => i));
    const shapes = new Set(ev.filter((e) => e.kind !== 'syscall' && e.kind !== 'audit').map((e) => `${e.kind}:${Object.keys(e).join(',')}`));
    expect([...shapes].sort()).toEqual(
      [
        'exit:kind,sys,name,cmd,outcome,ret,errno,seq',
        'exit:kind,sys,name,outcome,ret,errno,seq',
        'fd:kind,sys,pid,fd,action,object,seq',
        'hook:kind,sys,hook,lsm,ret,args,seq',
        'object:kind,sys,action,type,id,name,seq',
        'stage:kind,sys,id,name,ret,errno,seq',
        'stage:kind,sys,id,name,ret,errno,detail,seq',
        'stage:kind,sys,id,name,detail,seq',
        'stage:kind,sys,id,name,seq',
      ]
        .filter((s) => shapes.has(s))
        .sort(),
    );
    const freeze = ev.filter((e) => e.kind === 'exit' && e.cmd === 'BPF_MAP_FREEZE').map((e) => e.kind === 'exit' && [e.outcome, e.ret, e.errno]);
    expect(freeze).toContainEqual(['errno', -9, 'EBADF']);
    expect(freeze).toContainEqual(['ok', 0, null]);
    const unknownCmd = ev.find((e) => e.kind === 'stage' && e.name === 'unknown command')!;
    expect(unknownCmd).toMatchObject({ kind: 'stage', id: 'SYS-3', ret: -22, errno: 'EINVAL' });
    const hook = ev.find((e) => e.kind === 'hook' && e.hook === 'bpf')!;
    expect(hook).toMatchObject({ lsm: 'none', ret: 0, args: { cmd: 'BPF_MAP_CREATE', kernel: false } });
  });

  it('a stage step with a negative ret has no errno (only a failure names one); an enter event has its role', () => {
    const k = new Kernel({ profile: 'v6.18', trace: { keepAll: true } });
    const p = k.spawn();
    let done = false;
    k.syscall(p, 'bpf', 321, [0n], {}, (ctx) => {
      ctx.step('T-1', 'a step', undefined, -2);
      ctx.step('T-2', 'a step with detail', 'why');
      ctx.enter('T-3', 'a stage', 'signature');
      ctx.enter('T-4', 'a stage without a role');
      ctx.fail('T-5', 'fails with no errno name', -4000);
      done = true;
      return 0;
    });
    expect(done).toBe(true);
    const st = k.trace.events.filter((e) => e.kind === 'stage');
    expect(st.map((e) => ({ ...e, seq: 0, sys: 0 }))).toEqual([
      { kind: 'stage', sys: 0, id: 'T-1', name: 'a step', ret: -2, seq: 0 },
      { kind: 'stage', sys: 0, id: 'T-2', name: 'a step with detail', detail: 'why', seq: 0 },
      { kind: 'stage', sys: 0, id: 'T-3', name: 'a stage', enter: true, role: 'signature', seq: 0 },
      { kind: 'stage', sys: 0, id: 'T-4', name: 'a stage without a role', enter: true, seq: 0 },
      { kind: 'stage', sys: 0, id: 'T-5', name: 'fails with no errno name', ret: -4000, seq: 0 },
    ]);
    expect(Object.keys(st[2]!)).toEqual(['kind', 'sys', 'id', 'name', 'enter', 'role', 'seq']);
  });
});

describe('RetainedList packed entries (issue K)', () => {
  it('reads every retained entry with its own column values, across ring wraps, reads between pushes, keepAll and clear', () => {
    for (const opts of [{ capacity: 4 }, { capacity: 5 }, { capacity: 1 }, { keepAll: true }]) {
      const l = new RetainedList<{ n: number; v?: unknown }>(opts, 100, { columns: 2, decode: (code, cols, slot) => ({ n: code, v: [cols[0]![slot], cols[1]![slot]] }) });
      const want: { n: number; v?: unknown }[] = [];
      for (let round = 0; round < 2; round++) {
        for (let n = 1; n < 60; n++) {
          if (n % 3 === 0) {
            l.push({ n: -n });
            want.push({ n: -n });
          } else {
            l.pushPacked(n, `a${n}`, `b${n}`, 'ignored');
            want.push({ n, v: [`a${n}`, `b${n}`] });
          }
          if (n % 7 === 0) expect(l.items).toEqual(want.slice(l.dropped));
        }
        expect(l.items).toEqual(want.slice(l.dropped));
        expect(l.items.length + l.dropped).toBe(want.length);
        l.clear();
        want.length = 0;
        expect(l.items).toEqual([]);
      }
    }
  });
});

describe('helper events formatted when read (issue K)', () => {
  it("a loader's helper calls: the event a literal gave (key order, text, ret as a signed decimal), read after the ring moved on", () => {
    const id = makeSigningIdentity();
    const made = makeSkeleton(openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o'), { toolchain: 'bpftool-7.7', identity: id, name: 'hello_bpf' });
    const k = new Kernel({ profile: 'v6.18', trace: { keepAll: true } });
    const p = k.spawn({ comm: 'loader' });
    p.addKey('asymmetric', 'k', id.certDer, -3);
    const mark = k.trace.mark();
    const r = loadSkeleton(p, made.skeleton, { keyringId: -3 });
    expect(r).toMatchObject({ outcome: 'loaded', err: 0 });
    destroySkeleton(p, made.skeleton, r);
    for (let i = 0; i < 3; i++) destroySkeleton(p, made.skeleton, loadSkeleton(p, made.skeleton, { keyringId: -3 }));
    const helpers = k.trace.since(mark).filter((e) => e.kind === 'helper');
    expect(helpers.length).toBeGreaterThan(4);
    for (const h of helpers) {
      expect(Object.keys(h)).toEqual(['kind', 'sys', 'pc', 'helper', 'text', 'ret', 'seq']);
      if (h.kind !== 'helper') continue;
      expect(h.text.startsWith(`${h.helper}(`)).toBe(true);
      expect(h.ret).toMatch(/^-?\d+$/);
    }
    const sysBpf = helpers.filter((h) => h.kind === 'helper' && h.helper === 'bpf_sys_bpf');
    expect(sysBpf.length).toBeGreaterThan(0);
    expect(sysBpf.every((h) => h.kind === 'helper' && /^bpf_sys_bpf\(cmd=\d+, attr=0x[0-9a-f]+, size=\d+\)$/.test(h.text))).toBe(true);
  });
});

describe("security_bpf's trace arguments shared per (cmd, size, kernel) (issue K)", () => {
  it('each triple has its own frozen object with its own values (no stale hit); odd values get fresh ones', () => {
    const seen = new Map<string, unknown>();
    for (const cmd of [0, 5, 22, 36, 99, 65535])
      for (const size of [0, 4, 8, 72, 144, 0xffff_ffff])
        for (const kernel of [false, true]) {
          const a = bpfHookTraceArgs(cmd, size, kernel);
          expect(a).toEqual({ cmd: cmdName(cmd), size, kernel });
          expect(Object.keys(a)).toEqual(['cmd', 'size', 'kernel']);
          expect(Object.isFrozen(a)).toBe(true);
          expect(bpfHookTraceArgs(cmd, size, kernel)).toBe(a);
          const k = `${cmd}/${size}/${kernel}`;
          for (const [other, o] of seen) expect(o, `${k} vs ${other}`).not.toBe(a);
          seen.set(k, a);
        }
    for (const [cmd, size] of [[-1, 4], [5, -1], [5.5, 4], [5, 2 ** 40], [-0, 4], [5, -0]] as const) {
      const a = bpfHookTraceArgs(cmd, size, false);
      expect(a).toEqual({ cmd: cmdName(cmd), size, kernel: false });
      expect(Object.is(a.size, size)).toBe(true);
      expect(bpfHookTraceArgs(cmd, size, false)).not.toBe(a);
    }
  });
  it('the hook events of calls with different sizes show their own arguments', () => {
    const k = new Kernel({ profile: 'v6.18', trace: { keepAll: true } });
    const p = k.spawn();
    p.bpf(22, p.alloc(new Uint8Array(4).fill(0xff)), 4);
    p.bpf(22, p.alloc(new Uint8Array(8).fill(0xff)), 8);
    const hooks = k.trace.hooks('bpf').map((h) => h.args);
    expect(hooks).toEqual([
      { cmd: 'BPF_MAP_FREEZE', size: 4, kernel: false },
      { cmd: 'BPF_MAP_FREEZE', size: 8, kernel: false },
    ]);
  });
});
