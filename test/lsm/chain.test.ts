import { describe, expect, it } from 'vitest';
import { LsmChain } from '../../src/lsm/chain.js';
import { policyModule } from '../../src/lsm/policy.js';
import { capabilityModule } from '../../src/lsm/capability.js';
import type { LsmContext } from '../../src/lsm/hooks.js';
import { makeCred } from '../../src/syscall/creds.js';
import { Errno } from '../../src/syscall/errno.js';
import { BpfCmd } from '../../src/syscall/uapi/consts.js';
import { setup, arrayMap } from '../support/kernel.js';

const ctx: LsmContext = { pid: 1, comm: 't', cred: makeCred(), audit: () => {} };
const calls: string[] = [];
const rec = (hook: string, lsm: string, ret: number) => void calls.push(`${hook}:${lsm}=${ret}`);

describe('LSM chain', () => {
  it('[LSM-STACK-1] call_int_hook: the first non-zero return wins and later LSMs are not called', () => {
    calls.length = 0;
    const chain = new LsmChain([
      policyModule({ bpf: () => 0 }, 'first'),
      policyModule({ bpf: () => -Errno.EACCES }, 'second'),
      policyModule({ bpf: () => -Errno.EPERM }, 'third'),
    ]);
    const ret = chain.callInt('bpf', { cmd: 0, attr: undefined, size: 0, kernel: false }, ctx, rec, {});
    expect(ret).toBe(-Errno.EACCES);
    expect(calls).toEqual(['bpf:first=0', 'bpf:second=-13']);
  });
  it('[LSM-STACK-2] void hooks call every LSM', () => {
    calls.length = 0;
    const seen: string[] = [];
    const chain = new LsmChain([
      policyModule({ bpf_map_free: () => void seen.push('a') }, 'a'),
      policyModule({ bpf_map_free: () => void seen.push('b') }, 'b'),
    ]);
    chain.callVoid('bpf_map_free', { map: {} as never }, ctx, rec, {});
    expect(seen).toEqual(['a', 'b']);
  });
  it('[LSM-STACK-3][LSM-STACK-4] capability is always first and implements no bpf_* hook', () => {
    const chain = new LsmChain([policyModule({}, 'bpf'), capabilityModule]);
    expect(chain.order).toEqual(['capability', 'bpf']);
    expect(Object.keys(capabilityModule.hooks)).toEqual(['capable']);
    expect(() => chain.add(capabilityModule)).toThrow();
  });
  it('[SYS-3][KP-LSM-1][LSM-KERN-1] security_bpf runs for every command with kernel=false from userspace, before dispatch', () => {
    const seen: { cmd: number; kernel: boolean }[] = [];
    const { k, c } = setup('v6.18', { lsm: [policyModule({ bpf: ({ cmd, kernel }) => (seen.push({ cmd, kernel }), 0) })] });
    const fd = arrayMap(c);
    c.mapFreeze(fd);
    expect(seen).toEqual([
      { cmd: BpfCmd.BPF_MAP_CREATE, kernel: false },
      { cmd: BpfCmd.BPF_MAP_FREEZE, kernel: false },
    ]);
    expect(k.trace.hooks('bpf').map((h) => h.ret)).toEqual([0, 0]);
  });
  it('[SYS-3] a denial in security_bpf stops the command before it runs', () => {
    const { k, c } = setup('v6.18', { lsm: [policyModule({ bpf: ({ cmd }) => (cmd === BpfCmd.BPF_MAP_CREATE ? -Errno.EPERM : 0) })] });
    expect(c.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 }).errno).toBe('EPERM');
    expect(k.mapIdr.size).toBe(0);
  });
  it('[CAP-5] capable() goes through the chain: capability answers first, another LSM may still deny', () => {
    const { k, c } = setup('v6.18', { uid: 1000, caps: ['CAP_BPF'], lsm: [policyModule({ capable: ({ cap }) => (cap === 'CAP_BPF' ? -Errno.EACCES : 0) }, 'yama')] });
    expect(c.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 }).errno).toBe('EPERM');
    const hooks = k.trace.hooks('capable').map((h) => `${h.lsm}:${h.args.cap}=${h.ret}`);
    expect(hooks.slice(0, 2)).toEqual(['capability:CAP_BPF=0', 'yama:CAP_BPF=-13']);
  });
  it('[LSM-HOOK-1] bpf_map runs at fd creation with the open mode', () => {
    const fmodes: number[] = [];
    const { c } = setup('v6.18', { lsm: [policyModule({ bpf_map: ({ fmode }) => (fmodes.push(fmode), 0) })] });
    arrayMap(c);
    arrayMap(c, 8, 1, 'ro', 8 /* BPF_F_RDONLY */);
    expect(fmodes).toEqual([3, 1]);
  });
});
