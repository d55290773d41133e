// Issue K: one LsmContext per syscall (every hook of the call gets the same view), its LsmKernel made
// for the first hook that asks. A view kept across syscalls would be a stale hit: the second call's
// hooks would log into the first call's audit event, or see credentials that have changed.

import { describe, expect, it } from 'vitest';
import { policyModule } from '../../src/lsm/policy.js';
import type { LsmContext } from '../../src/lsm/hooks.js';
import { makeCred } from '../../src/syscall/creds.js';
import { MapType } from '../../src/syscall/uapi/consts.js';
import { setup } from '../support/kernel.js';

describe('the LSM context of a syscall (issue K) [LSM-EMU-1][AUD-SER-2]', () => {
  it('every hook of one call sees one context; the next call gets its own, and audits into its own event', () => {
    const seen: { hook: string; ctx: LsmContext; uid: number }[] = [];
    const spy = policyModule(
      {
        bpf: (_a, ctx) => {
          seen.push({ hook: 'bpf', ctx, uid: ctx.cred.uid });
          ctx.audit('BPF', 'spy=bpf');
          return 0;
        },
        bpf_map_create: (_a, ctx) => {
          seen.push({ hook: 'bpf_map_create', ctx, uid: ctx.cred.uid });
          return 0;
        },
      },
      'spy',
    );
    const { k, p, c } = setup('v6.18', { lsm: [spy] });
    const map = () => c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'm' });
    expect(map().ret).toBeGreaterThan(0);
    p.cred = makeCred({ uid: 0, gid: 7, caps: ['CAP_SYS_ADMIN', 'CAP_BPF', 'CAP_PERFMON'] });
    expect(map().ret).toBeGreaterThan(0);
    expect(seen.map((s) => s.hook)).toEqual(['bpf', 'bpf_map_create', 'bpf', 'bpf_map_create']);
    expect(seen[0]!.ctx).toBe(seen[1]!.ctx);
    expect(seen[2]!.ctx).toBe(seen[3]!.ctx);
    expect(seen[2]!.ctx).not.toBe(seen[0]!.ctx);
    expect(seen[2]!.ctx.cred.gid).toBe(7);
    expect(seen[0]!.ctx.kernel).toBeDefined();
    // each call's BPF record is in that call's audit event (its own serial, before its SYSCALL record)
    const recs = k.audit.records;
    const spyRecs = recs.filter((r) => r.type === 'BPF' && r.body === 'spy=bpf');
    expect(spyRecs).toHaveLength(2);
    expect(spyRecs[0]!.serial).not.toBe(spyRecs[1]!.serial);
    for (const r of spyRecs) expect(recs.find((x) => x.serial === r.serial && x.type === 'SYSCALL')).toBeDefined();
  });
});
