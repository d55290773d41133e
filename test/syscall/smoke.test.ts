import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/syscall/kernel.js';
import { BpfClient } from '../../src/loader/bpf.js';
import { MapType } from '../../src/syscall/uapi/consts.js';
import { createHash } from 'node:crypto';

describe('smoke', () => {
  it('creates, updates, freezes and hashes an array map', () => {
    const k = new Kernel({ profile: 'v6.18.44' });
    const p = k.spawn();
    const c = new BpfClient(p);
    const r = c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 24, maxEntries: 3, name: 'fx_hash_arr' });
    expect(r.ret).toBe(3);
    const vals: Uint8Array[] = [];
    for (let kk = 0; kk < 3; kk++) {
      const v = new Uint8Array(24).map((_, j) => ((kk + 1) << 5) | j);
      vals.push(v);
      expect(c.mapUpdate(3, new Uint8Array([kk, 0, 0, 0]), v).ret).toBe(0);
    }
    expect(c.mapGetInfo(3, { hash: true }).res.errno).toBe('EPERM');
    expect(c.mapFreeze(3).ret).toBe(0);
    const gi = c.mapGetInfo(3, { hash: true });
    expect(gi.res.ret).toBe(0);
    expect(Buffer.from(gi.hash!).toString('hex')).toBe('8e2a1f993328af84da393bdc93ab43e1827680e543f4dba966ed616c7e20f4ba');
    expect(Buffer.from(gi.hash!).toString('hex')).toBe(createHash('sha256').update(Buffer.concat(vals)).digest('hex'));
  });
});
