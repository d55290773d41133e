// Issue K: BPF_BTF_LOAD's parse remembered by the exact bytes (Btf.load, src/syscall/objects/btf.ts).
// Each test loads a blob cold, then a blob that differs from it in one input (a byte, the outcome)
// and requires the second load to see its own bytes — a stale hit fails it — while every load
// still gets its own object, id, fd and log.

import { beforeEach, describe, expect, it } from 'vitest';
import { Btf, clearBtfLoadCache } from '../../src/syscall/objects/btf.js';
import { setup } from '../support/kernel.js';

/** [1] INT `name` size 4, 32 bits; strings "\0<name>\0". */
function blob(name = 'int', kind = 1): Uint8Array {
  const strs = new Uint8Array([0, ...Buffer.from(name, 'latin1'), 0]);
  const types = new Uint8Array(16);
  const tv = new DataView(types.buffer);
  tv.setUint32(0, 1, true); // name_off
  tv.setUint32(4, (kind << 24) >>> 0, true);
  tv.setUint32(8, 4, true);
  tv.setUint32(12, 32, true);
  const hdr = new Uint8Array(24);
  const dv = new DataView(hdr.buffer);
  dv.setUint16(0, 0xeb9f, true);
  dv.setUint8(2, 1);
  dv.setUint32(4, 24, true);
  dv.setUint32(12, types.length, true);
  dv.setUint32(16, types.length, true);
  dv.setUint32(20, strs.length, true);
  return new Uint8Array([...hdr, ...types, ...strs]);
}

function btfOf(p: ReturnType<typeof setup>['p'], fd: number): Btf {
  return p.fds.get(fd)!.object as Btf;
}

beforeEach(() => clearBtfLoadCache());

describe('BPF_BTF_LOAD parse remembered by bytes [SYS-4] (issue K)', () => {
  it('the same bytes: a new object, id and fd each time over one parse, the same log', () => {
    const { p, c } = setup();
    const a = c.btfLoad(blob(), { logLevel: 1, logSize: 4096 });
    const b = c.btfLoad(blob(), { logLevel: 1, logSize: 4096 });
    expect(a.res.ret).toBeGreaterThanOrEqual(3);
    expect(b.res.ret).toBe(a.res.ret + 1);
    expect(b.log).toBe(a.log);
    expect(a.log).toContain('btf_total_size: 45\n');
    const [ba, bb] = [btfOf(p, a.res.ret), btfOf(p, b.res.ret)];
    expect(bb).not.toBe(ba);
    expect(bb.id).not.toBe(ba.id);
    expect(bb.model).toBe(ba.model);
    expect(Object.isFrozen(bb.types)).toBe(true);
    // Closing one does not touch the other.
    expect(p.close(a.res.ret).ret).toBe(0);
    expect(ba.refcnt).toBe(0);
    expect(bb.refcnt).toBe(1);
  });

  it('one byte of difference (a type name) is parsed anew: the warm load sees its own name', () => {
    const { p, c } = setup();
    const a = c.btfLoad(blob('int'));
    const b = c.btfLoad(blob('inu'));
    expect(btfOf(p, a.res.ret).typeById(1)!.name).toBe('int');
    expect(btfOf(p, b.res.ret).typeById(1)!.name).toBe('inu');
    expect(btfOf(p, b.res.ret).findByNameKind('inu', 1)).toBe(1);
    expect(btfOf(p, b.res.ret).findByNameKind('int', 1)).toBeLessThan(0);
  });

  it('a valid blob after an invalid one one byte away (and the reverse) gets its own outcome and log', () => {
    const { c } = setup();
    const bad1 = c.btfLoad(blob('int', 0), { logLevel: 1, logSize: 4096 });
    expect(bad1.res.errno).toBe('EINVAL');
    expect(bad1.log.trim().split('\n').pop()).toBe('[1] Invalid kind:0');
    const good = c.btfLoad(blob('int', 1), { logLevel: 1, logSize: 4096 });
    expect(good.res.ret).toBeGreaterThanOrEqual(3);
    expect(good.log.trim().split('\n').pop()).toBe('btf_total_size: 45');
    // The remembered failure: the same errno and the same log lines again.
    const bad2 = c.btfLoad(blob('int', 0), { logLevel: 1, logSize: 4096 });
    expect(bad2.res.errno).toBe('EINVAL');
    expect(bad2.log).toBe(bad1.log);
  });

  it('a log requested only on the warm load still gets every line; a small buffer still fails with ENOSPC', () => {
    const { c } = setup();
    const cold = c.btfLoad(blob());
    expect(cold.res.ret).toBeGreaterThanOrEqual(3);
    const warm = c.btfLoad(blob(), { logLevel: 1, logSize: 4096 });
    expect(warm.log).toBe('magic: 0xeb9f\nversion: 1\nflags: 0x0\nhdr_len: 24\ntype_off: 0\ntype_len: 16\nstr_off: 16\nstr_len: 5\nbtf_total_size: 45\n');
    expect(c.btfLoad(blob(), { logLevel: 1, logSize: 10 }).res.errno).toBe('ENOSPC');
  });

  it('the object keeps this call’s bytes; changing the caller’s buffer afterwards changes nothing remembered', () => {
    const { p, c } = setup();
    const bytes = blob();
    const a = c.btfLoad(bytes);
    bytes[25] = 0x7f; // the caller reuses its buffer
    expect(btfOf(p, a.res.ret).data[25]).toBe(blob()[25]);
    const b = c.btfLoad(blob());
    expect(btfOf(p, b.res.ret).typeById(1)!.name).toBe('int');
    // An object's bytes are its own copy, not the remembered one.
    expect(btfOf(p, b.res.ret).data).not.toBe(btfOf(p, a.res.ret).data);
  });
});
