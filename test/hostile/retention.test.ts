// Bounded retention of a long-lived kernel's trace and audit log (issue L, part 3): a ring that
// keeps the newest entries and counts what it dropped; keepAll keeps everything.

import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/syscall/kernel.js';
import { DEFAULT_TRACE_CAPACITY, RetainedList } from '../../src/syscall/trace.js';
import { BpfCmd } from '../../src/syscall/uapi/consts.js';

function calls(k: Kernel, n: number): void {
  const p = k.spawn();
  const attr = p.alloc(72, 'attr'); // all-zero MAP_CREATE attr: EINVAL, audited
  for (let i = 0; i < n; i++) expect(p.bpf(BpfCmd.BPF_MAP_CREATE, attr, 72).errno).toBe('EINVAL');
}

describe('trace and audit retention', () => {
  it('RetainedList keeps the newest `capacity` (+ a quarter of slack) and counts the rest', () => {
    const l = new RetainedList<number>({ capacity: 8 }, 100);
    for (let i = 0; i < 1000; i++) l.push(i);
    expect(l.items.length).toBeLessThanOrEqual(10);
    expect(l.items.length).toBeGreaterThanOrEqual(8);
    expect(l.dropped + l.items.length).toBe(1000);
    expect(l.items[l.items.length - 1]).toBe(999);
    expect(l.items[0]).toBe(l.dropped);
    const all = new RetainedList<number>({ capacity: 8, keepAll: true }, 100);
    for (let i = 0; i < 1000; i++) all.push(i);
    expect([all.items.length, all.dropped]).toEqual([1000, 0]);
  });

  it('a kernel with a small ring: the newest events kept, seq continues, since(mark) still works, dropped counted', () => {
    const k = new Kernel({ profile: 'v6.18', trace: { capacity: 100 }, audit: { retention: { capacity: 60 } } });
    calls(k, 500);
    const ev = k.trace.events;
    expect(ev.length).toBeLessThanOrEqual(125);
    expect(k.trace.dropped).toBeGreaterThan(0);
    expect(ev[0]!.seq).toBe(k.trace.dropped);
    expect(ev[ev.length - 1]!.seq).toBe(k.trace.dropped + ev.length - 1);
    const mark = k.trace.mark();
    calls(k, 1);
    const since = k.trace.since(mark);
    expect(since[0]).toMatchObject({ kind: 'syscall', name: 'bpf', cmd: 'BPF_MAP_CREATE' });
    expect(since[since.length - 1]).toMatchObject({ kind: 'exit', errno: 'EINVAL' });
    expect(k.audit.records.length).toBeLessThanOrEqual(75);
    expect(k.audit.dropped).toBeGreaterThan(0);
    expect(k.audit.records[k.audit.records.length - 1]!.type).toBe('EOE');
  });

  it('keepAll keeps every event and record; the default ring is DEFAULT_TRACE_CAPACITY', () => {
    const k = new Kernel({ profile: 'v6.18', trace: { keepAll: true, capacity: 10 }, audit: { retention: { keepAll: true, capacity: 10 } } });
    calls(k, 200);
    expect(k.trace.dropped).toBe(0);
    expect(k.trace.events[0]!.seq).toBe(0);
    expect(k.trace.events.filter((e) => e.kind === 'syscall')).toHaveLength(200);
    expect(k.audit.dropped).toBe(0);
    expect(k.audit.records.filter((r) => r.type === 'SYSCALL')).toHaveLength(200);
    expect(new Kernel({ profile: 'v6.18' }).trace.capacity).toBe(DEFAULT_TRACE_CAPACITY);
  });
});
