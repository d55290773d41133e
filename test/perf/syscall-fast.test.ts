// Issue K, the per-syscall path: what each bpf() call's entry and exit does once instead of per
// call (compiled audit rules, a clock without BigInts, audit exit records kept pending until read).
// Each test fails on a stale hit or a late read.

import { describe, expect, it } from 'vitest';
import { Pending } from '../../src/abi/records.js';
import { AuditLog, PendingAuditRecord, type AuditTask } from '../../src/audit/log.js';
import { AuditSeries } from '../../src/audit/series.js';
import { parseAuditRule, ruleMatches, AuditRuleError, type RuleSubject } from '../../src/audit/rules.js';
import { VirtualClock } from '../../src/syscall/clock.js';
import { Kernel } from '../../src/syscall/kernel.js';
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

  it('an exit record is a PendingAuditRecord to the listener, made into the record once', () => {
    const log = new AuditLog(new VirtualClock(1732620000, 0n, 123_000_000), { firstSerial: 7, rules: [parseAuditRule('-a always,exit -S bpf')] });
    const got: unknown[] = [];
    log.onRecord = (r) => got.push(r);
    log.syscallExit(log.syscallEntry(task, 321, [5n, 1n, 2n, 3n]), 4);
    expect(got.map((r) => r instanceof PendingAuditRecord)).toEqual([true, true, false]);
    const e = got[0] as PendingAuditRecord;
    expect(e.materialize()).toBe(e.materialize());
    expect(log.records[0]).toBe(e.materialize());
    expect(Object.keys(e.materialize())).toEqual(['type', 'serial', 'sec', 'ms', 'body']);
    expect(log.records.map((r) => `${r.type} ${r.serial} ${r.sec}.${r.ms}`)).toEqual(['SYSCALL 7 1732620000.123', 'PROCTITLE 7 1732620000.123', 'EOE 7 1732620000.123']);
  });
});
