// The two syscall outcomes that are neither an fd nor an errno: a positive return that is not an fd
// (a kernel path handing back copy_from_user's count of bytes not copied) and a kernel oops (the
// task is killed inside the call, which never returns). These tests drive the generic mechanism with
// stages written for the test; the scheme that needs them (hash chains, HC-Q-1 / HC-Q-2) is tested
// in test/schemes/hashchain*.test.ts.
// spec: UAPI-CONV-2 (the exception to "fd or -errno"), HC-Q-1, HC-Q-2 (the modelled cases),
// LOAD-20 (nothing published before the failing stage), AUD-SER-1 (the SYSCALL record).

import { describe, expect, it } from 'vitest';
import { formatAuditd } from '../../src/audit/format.js';
import { renderTimeline } from '../../src/scenarios/timeline.js';
import { timelineToJson } from '../../src/scenarios/timeline-json.js';
import { BpfClient } from '../../src/loader/bpf.js';
import { Kernel } from '../../src/syscall/kernel.js';
import type { LoadStage } from '../../src/syscall/prog-load/index.js';
import { getProfile, withStages, type KernelProfile } from '../../src/syscall/profiles/index.js';
import { TaskKilled } from '../../src/syscall/result.js';
import { copyFromBpfPtrOffset, kernelPtr, userPtr } from '../../src/syscall/uaccess.js';
import { encode } from '../../src/syscall/uapi/layout.js';
import { PROG_LOAD } from '../../src/syscall/uapi/attr-layouts.js';
import { BpfCmd, ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { arrayMap } from '../support/kernel.js';

const RET0 = encodeInsns([insn(0xb7), insn(0x95)]);
const SOCKET_FILTER = ProgType.BPF_PROG_TYPE_SOCKET_FILTER;

/** v6.18 with `stage` in the signature slot (after LOAD-8). */
function withStage(stage: LoadStage, name: string): KernelProfile {
  return {
    ...withStages(getProfile('v6.18')!, (st) => {
      st.splice(st.findIndex((s) => s.id === 'LOAD-8') + 1, 0, stage);
      return st;
    }),
    name,
  };
}

describe('copy_from_bpfptr_offset with the kernel return value', () => {
  const k = new Kernel();
  const p = k.spawn();
  const buf = p.alloc(new Uint8Array([1, 2, 3, 4, 5, 6]), 'six bytes');

  it('[HC-Q-1] a readable user range: 0 and the bytes', () => {
    expect(copyFromBpfPtrOffset(p.mem, userPtr(buf), 0n, 4)).toEqual({ ret: 0, bytes: new Uint8Array([1, 2, 3, 4]) });
  });

  it('[HC-Q-1] an unreadable user range: copy_from_user returns the count NOT copied (positive), never -EFAULT', () => {
    expect(copyFromBpfPtrOffset(p.mem, userPtr(0n), 0n, 4).ret).toBe(4);
    // Two bytes readable before the region ends: two not copied, the rest zero-filled.
    const partial = copyFromBpfPtrOffset(p.mem, userPtr(buf), 4n, 4);
    expect(partial.ret).toBe(2);
    expect([...partial.bytes]).toEqual([5, 6, 0, 0]);
    // A range that fails access_ok (a kernel address passed as a user pointer): the whole size.
    expect(copyFromBpfPtrOffset(p.mem, userPtr(0xffff_8881_0000_0000n), 0n, 4).ret).toBe(4);
  });

  it('[HC-ERR-6] a kernel pointer that does not resolve: -EFAULT (copy_from_kernel_nofault)', () => {
    expect(copyFromBpfPtrOffset(p.mem, kernelPtr(0xffff_8881_7000_0000n), 0n, 4).ret).toBe(-14);
  });

  it('[HC-CHK-3] the offset is a size_t: a negative index times 4 moves the address down', () => {
    expect(copyFromBpfPtrOffset(p.mem, userPtr(buf + 4n), BigInt.asUintN(64, -4n), 4)).toEqual({ ret: 0, bytes: new Uint8Array([1, 2, 3, 4]) });
  });
});

describe('a positive BPF_PROG_LOAD return that is not an fd', () => {
  const positive = withStage({ id: 'TEST-positive', name: 'returns 4', needs: ['prog'], provides: [], phase: 'before', run: () => 4 }, 'test-positive');

  it('[HC-Q-1][UAPI-CONV-2] the value comes back as is, flagged nonFd; no fd, no id, no LSM hook; audit says success=yes exit=4', () => {
    const k = new Kernel({ profile: positive });
    const c = new BpfClient(k.spawn());
    const r = c.progLoad({ progType: SOCKET_FILTER, insns: RET0 }).res;
    expect(r.ret).toBe(4);
    expect(r.errno).toBeNull();
    expect(r.nonFd).toMatch(/^TEST-positive returns 4 returned 4$/);
    expect(c.proc.fds.get(4)).toBeUndefined();
    expect(k.progIdr.size).toBe(0);
    expect(k.trace.hooks('bpf_prog_load')).toHaveLength(0);
    const exit = k.trace.events.find((e) => e.kind === 'exit' && e.sys === r.sys);
    expect(exit).toMatchObject({ ret: 4, errno: null, nonFd: r.nonFd });
    expect(formatAuditd(k.audit.records).filter((l) => l.startsWith('type=SYSCALL'))).toEqual([expect.stringContaining(' success=yes exit=4 ')]);
    expect(renderTimeline(k.trace.events).join('\n')).toContain('→ 4 — NOT AN FD (TEST-positive returns 4 returned 4)');
    expect(timelineToJson(k.trace.events).at(-1)).toMatchObject({ ret: 4, errno: null, nonFd: r.nonFd, oops: null });
  });

  it('an ordinary fd is never flagged', () => {
    const k = new Kernel();
    const r = new BpfClient(k.spawn()).progLoad({ progType: SOCKET_FILTER, insns: RET0 }).res;
    expect(r.ret).toBeGreaterThan(2);
    expect(r.nonFd).toBeUndefined();
  });
});

describe('a kernel oops inside a syscall', () => {
  const oopsStage: LoadStage = {
    id: 'TEST-oops',
    name: 'dereferences a bad pointer',
    needs: ['prog'],
    provides: [],
    phase: 'before',
    run: (l) => l.ctx.oops({ text: 'BUG: unable to handle page fault for address: fffffffffffffff2', where: 'test_stage', rule: 'TEST', detail: 'a test stage' }),
  };
  const oopsing = withStage(oopsStage, 'test-oops');

  it('[HC-Q-2] the call never returns: the caller gets TaskKilled, the trace has the oops and no exit for the call', () => {
    const k = new Kernel({ profile: oopsing });
    const p = k.spawn();
    const c = new BpfClient(p);
    const map = arrayMap(c);
    expect(map).toBe(3);
    let killed: unknown;
    try {
      c.progLoad({ progType: SOCKET_FILTER, insns: RET0 });
    } catch (e) {
      killed = e;
    }
    expect(killed).toBeInstanceOf(TaskKilled);
    const t = killed as TaskKilled;
    expect(t.pid).toBe(p.pid);
    expect(t.oops).toMatchObject({ where: 'test_stage', rule: 'TEST' });
    const events = k.trace.ofSyscall(t.sys);
    expect(events.filter((e) => e.kind === 'oops')).toHaveLength(1);
    expect(events.some((e) => e.kind === 'exit')).toBe(false);
    expect(k.oopses).toEqual([{ pid: p.pid, sys: t.sys, report: t.oops }]);
  });

  it('[HC-Q-2] do_exit: audit logs the syscall without success=/exit=, the task\'s fds are closed (its map freed), it makes no more syscalls; other tasks go on', () => {
    const k = new Kernel({ profile: oopsing });
    const p = k.spawn();
    const c = new BpfClient(p);
    arrayMap(c);
    expect(k.mapIdr.size).toBe(1);
    expect(() => c.progLoad({ progType: SOCKET_FILTER, insns: RET0 })).toThrow(TaskKilled);
    const syscallLines = formatAuditd(k.audit.records).filter((l) => l.startsWith('type=SYSCALL'));
    expect(syscallLines).toHaveLength(2);
    expect(syscallLines[1]).toMatch(/syscall=321 a0=5 /);
    expect(syscallLines[1]).not.toMatch(/success=|exit=/);
    expect(p.fds.fds()).toEqual([]);
    expect(k.mapIdr.size).toBe(0);
    expect(p.killed?.where).toBe('test_stage');
    expect(() => arrayMap(c)).toThrow(/killed by a kernel oops/);
    const q = new BpfClient(k.spawn());
    expect(arrayMap(q)).toBe(3);
  });

  it('[HC-Q-2] a thread that oopses dies alone: the fd table it shares with a live thread stays open, that thread goes on', () => {
    const k = new Kernel({ profile: oopsing });
    const leader = k.spawn();
    const map = arrayMap(new BpfClient(leader));
    const thread = k.spawnThread(leader, 'worker');
    expect(() => new BpfClient(thread).progLoad({ progType: SOCKET_FILTER, insns: RET0 })).toThrow(TaskKilled);
    expect(thread.killed).not.toBeNull();
    expect(leader.killed).toBeNull();
    expect(leader.fds.get(map)).toBeDefined();
    expect(k.mapIdr.size).toBe(1);
    expect(arrayMap(new BpfClient(leader))).toBe(map + 1);
  });

  it('[HC-Q-2] the text timeline and the JSON timeline show an oops, never an errno', () => {
    const k = new Kernel({ profile: oopsing });
    const c = new BpfClient(k.spawn());
    expect(() => c.progLoad({ progType: SOCKET_FILTER, insns: RET0 })).toThrow(TaskKilled);
    const text = renderTimeline(k.trace.events).join('\n');
    expect(text).toMatch(/bpf\(BPF_PROG_LOAD, size=168\).*→ KERNEL OOPS: never returned, the task was killed/);
    expect(text).toContain('OOPS   BUG: unable to handle page fault for address: fffffffffffffff2 — in test_stage: a test stage [TEST]');
    const call = timelineToJson(k.trace.events).find((x) => x.cmd === 'BPF_PROG_LOAD')!;
    expect(call).toMatchObject({ ret: null, errno: null, oops: { where: 'test_stage', rule: 'TEST' } });
    expect(call.events.some((e) => e.kind === 'oops')).toBe(true);
  });

  it('[HC-Q-2][SYS-6] an oops in a call a BPF program made (bpf_sys_bpf) kills the task that ran it: neither call returns', () => {
    const onlyKernel: LoadStage = { ...oopsStage, id: 'TEST-oops-kernel', run: (l) => (l.ctx.isKernel ? oopsStage.run(l) : 0) };
    const k = new Kernel({ profile: withStage(onlyKernel, 'test-oops-kernel') });
    const p = k.spawn();
    const insns = k.kmem.map({ name: 'insns', kind: 'kernel', bytes: RET0.slice() });
    const lic = k.kmem.map({ name: 'license', kind: 'kernel', bytes: new Uint8Array(Buffer.from('GPL\0')) });
    const attr = encode(PROG_LOAD, { prog_type: SOCKET_FILTER, insn_cnt: 2, insns: insns.base, license: lic.base }, 140);
    const attrRegion = k.kmem.map({ name: 'attr', kind: 'kernel', bytes: attr });
    // An outer syscall stands in for the BPF_PROG_TEST_RUN that runs a loader.
    expect(() => k.syscall(p, 'bpf', 321, [10n], {}, (ctx) => k.kernBpf(ctx, BpfCmd.BPF_PROG_LOAD, attrRegion.base, 140).ret)).toThrow(TaskKilled);
    const calls = timelineToJson(k.trace.events);
    expect(calls).toHaveLength(2);
    expect(calls.map((x) => [x.ret, x.oops?.rule])).toEqual([
      [null, 'TEST'],
      [null, 'TEST'],
    ]);
    expect(k.trace.events.some((e) => e.kind === 'exit')).toBe(false);
  });
});
