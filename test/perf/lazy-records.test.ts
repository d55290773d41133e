// Issue K: audit SYSCALL and PROCTITLE bodies are formatted when first read, and the trace's audit
// events read their text from the record then. What a reader sees must be what an eager format at
// syscall exit gave: the task as it was then, ordinary enumerable properties, the same JSON.

import { describe, expect, it } from 'vitest';
import { lazyField, Pending, RetainedList } from '../../src/abi/records.js';
import { makeCred } from '../../src/syscall/creds.js';
import { MapType, ProgFlag, ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { setup } from '../support/kernel.js';

describe('audit records formatted on first read [AUD-SC-1][AUD-SER-1] (issue K)', () => {
  it('the SYSCALL record shows the task as it was at exit, though read after its credentials changed', () => {
    const { k, p, c } = setup('v6.18');
    const mark = k.trace.mark();
    expect(c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'm' }).ret).toBeGreaterThan(0);
    const n = k.audit.records.length;
    p.cred = makeCred({ uid: 1234, caps: [] });
    const sc = k.audit.records.slice(0, n).filter((r) => r.type === 'SYSCALL').at(-1)!;
    expect(sc.body).toMatch(/ uid=0 gid=0 euid=0 /);
    expect(sc.body).toContain('syscall=321 success=yes exit=3');
    // The trace's event for it has the same text, read after the fact too.
    const ev = k.trace.since(mark).filter((e) => e.kind === 'audit' && e.type === 'SYSCALL').at(-1)!;
    expect(ev.kind === 'audit' && ev.text).toBe(sc.body);
  });

  it('records and events are plain data to readers: keys in order, JSON, spread, structuredClone', () => {
    const { k, c } = setup('v6.18');
    const mark = k.trace.mark();
    c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'm' });
    const recs = k.audit.records.filter((r) => r.type === 'SYSCALL' || r.type === 'PROCTITLE');
    expect(recs.length).toBeGreaterThanOrEqual(2);
    for (const r of recs) {
      expect(Object.keys(r)).toEqual(['type', 'serial', 'sec', 'ms', 'body']);
      const json = JSON.parse(JSON.stringify(r));
      expect(typeof json.body).toBe('string');
      expect({ ...r }).toEqual(json);
      expect(structuredClone(r)).toEqual(json);
      expect(r.body).toBe(json.body); // the same text on every read
    }
    const ev = k.trace.since(mark).filter((e) => e.kind === 'audit');
    expect(ev.length).toBeGreaterThan(0);
    for (const e of ev) {
      expect(Object.keys(e)).toEqual(['seq', 'kind', 'sys', 'serial', 'type', 'text']);
      expect(JSON.parse(JSON.stringify(e)).text).toBe(e.kind === 'audit' ? e.text : null);
    }
    expect(recs.find((r) => r.type === 'PROCTITLE')!.body).toMatch(/^proctitle=/);
  });

  it('a process with an empty argv has no PROCTITLE record, as before', () => {
    const { k } = setup('v6.18');
    const p = k.spawn({ argv: [''] });
    const n = k.audit.records.length;
    p.bpf(0, 0n, 0);
    const types = k.audit.records.slice(n).map((r) => r.type);
    expect(types).toContain('SYSCALL');
    expect(types).not.toContain('PROCTITLE');
  });
});

describe('lazyField (issue K)', () => {
  it('computes once on first read, then is an ordinary read-only enumerable value; the state is let go', () => {
    let calls = 0;
    const define = lazyField<{ n: number }, string>('v', (s) => `n=${s.n}${++calls}`);
    const a = { k: 1 };
    const b = { k: 2 };
    define(a, { n: 7 });
    define(b, { n: 8 });
    expect(calls).toBe(0);
    expect(Object.keys(a)).toEqual(['k', 'v']);
    expect((a as unknown as { v: string }).v).toBe('n=71');
    expect((a as unknown as { v: string }).v).toBe('n=71');
    expect(calls).toBe(1);
    expect(Object.getOwnPropertyDescriptor(a, 'v')).toMatchObject({ value: 'n=71', enumerable: true, writable: false });
    const hidden = Object.getOwnPropertySymbols(a).map((s) => (a as Record<symbol, unknown>)[s]);
    expect(hidden).toEqual([undefined]);
    expect(JSON.stringify(b)).toBe('{"k":2,"v":"n=82"}');
  });
});

describe('RetainedList pending entries (issue K)', () => {
  class P extends Pending<{ n: number }> {
    static made = 0;
    constructor(readonly n: number) {
      super();
    }
    materialize() {
      P.made++;
      return { n: this.n };
    }
  }

  it('an entry is made into its record when the list is read, once, in place; one dropped unread never is', () => {
    P.made = 0;
    const l = new RetainedList<{ n: number }>({ capacity: 4 }, 100);
    for (let i = 0; i < 20; i++) l.push(i % 2 ? new P(i) : { n: i });
    expect(P.made).toBe(0); // the dropped ones were never made
    const first = l.items;
    expect(first.map((x) => x.n)).toEqual(first.map((_, i) => 20 - first.length + i));
    expect(first.every((x) => !(x instanceof Pending))).toBe(true);
    const made = P.made;
    expect(made).toBe(first.filter((x) => x.n % 2).length);
    expect(l.items[0]).toBe(first[0]); // the same objects on a second read: nothing made again
    expect(P.made).toBe(made);
    l.push(new P(21));
    expect(l.items.at(-1)).toEqual({ n: 21 });
    expect(P.made).toBe(made + 1);
  });

  it('the trace: syscall and audit events read after later calls are whole events, in order', () => {
    const { k, c } = setup('v6.18');
    const mark = k.trace.mark();
    for (let i = 0; i < 3; i++) c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: `m${i}` });
    const ev = k.trace.since(mark);
    expect(ev.map((e) => e.seq)).toEqual(ev.map((_, i) => mark + i));
    expect(ev.every((e) => typeof e.kind === 'string' && !(e instanceof Pending))).toBe(true);
    const calls = ev.filter((e) => e.kind === 'syscall');
    expect(calls.map((e) => e.kind === 'syscall' && e.attr?.map_name)).toEqual(['m0', 'm1', 'm2']);
    expect(Object.keys(calls[0]!)).toEqual(['seq', 'kind', 'sys', 'parent', 'pid', 'name', 'cmd', 'attrAddr', 'size', 'attr', 'kernel']);
    // an array read before more calls is a copy: it does not grow, and never holds a pending entry
    const held = k.trace.events;
    const n = held.length;
    c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'm3' });
    expect(held).toHaveLength(n);
    expect(k.trace.events.length).toBeGreaterThan(n);
    expect(k.trace.events.every((e) => !(e instanceof Pending))).toBe(true);
  });
});

describe('the audit task snapshot (issue K: one per credential change)', () => {
  it('is reused while the credentials are the same object and made again when they change [AUD-SC-1]', () => {
    const { p } = setup('v6.18');
    const a = p.auditTask();
    expect(p.auditTask()).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    p.cred = makeCred({ uid: 1234, caps: [] });
    const b = p.auditTask();
    expect(b).not.toBe(a);
    expect([a.uid, b.uid]).toEqual([0, 1234]);
  });
});

describe('helper events: text formatted on first read [TRUN-6] (issue K)', () => {
  it('each call shows its own arguments, read after later runs; plain data with the keys in order', () => {
    const { k, c } = setup('v6.18');
    // r1 = fd; call bpf_sys_close (168); twice, with other fds; r0 = 0; exit
    const prog = (a: number, b: number) =>
      encodeInsns([insn(0xb7, 1, 0, 0, a), insn(0x85, 0, 0, 0, 168), insn(0xb7, 1, 0, 0, b), insn(0x85, 0, 0, 0, 168), insn(0xb7, 0, 0, 0, 0), insn(0x95)]);
    const load = (a: number, b: number) => c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SYSCALL, progFlags: ProgFlag.BPF_F_SLEEPABLE, insns: prog(a, b) }).res.ret;
    const fd1 = load(100, -7);
    const fd2 = load(200, 300);
    const mark = k.trace.mark();
    expect(c.progTestRun(fd1).res.ret).toBe(0);
    const first = k.trace.mark();
    expect(c.progTestRun(fd2).res.ret).toBe(0);
    expect(c.progTestRun(fd1).res.ret).toBe(0);
    const helpers = k.trace.since(mark).filter((e) => e.kind === 'helper');
    expect(helpers.map((e) => e.kind === 'helper' && e.text)).toEqual([
      'bpf_sys_close(fd=100)',
      'bpf_sys_close(fd=-7)',
      'bpf_sys_close(fd=200)',
      'bpf_sys_close(fd=300)',
      'bpf_sys_close(fd=100)',
      'bpf_sys_close(fd=-7)',
    ]);
    expect(helpers.filter((e) => e.seq < first).length).toBe(2);
    for (const e of helpers) {
      expect(Object.keys(e)).toEqual(['kind', 'sys', 'pc', 'helper', 'text', 'ret', 'seq']);
      const json = JSON.parse(JSON.stringify(e));
      expect({ ...e }).toEqual(json);
      expect(structuredClone(e)).toEqual(json);
      expect(json.ret).toBe('-9'); // EBADF
    }
  });
});
