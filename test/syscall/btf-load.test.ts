import { describe, expect, it } from 'vitest';
import { BpfCmd } from '../../src/syscall/uapi/consts.js';
import { BTF_LOAD } from '../../src/syscall/uapi/attr-layouts.js';
import { encode } from '../../src/syscall/uapi/layout.js';
import { setup } from '../support/kernel.js';

/** A BTF blob: header, type section, string section. */
function btfBlob(opts: { types?: Uint8Array; strs?: Uint8Array; magic?: number; version?: number; flags?: number; hdrLen?: number; strLen?: number } = {}) {
  const types = opts.types ?? new Uint8Array(Buffer.from('01000000000000010400000020000000', 'hex')); // [1] INT 'int' size 4, 32 bits
  const strs = opts.strs ?? new Uint8Array(Buffer.from('00696e7400', 'hex')); // "\0int\0"
  const hdr = new Uint8Array(24);
  const dv = new DataView(hdr.buffer);
  dv.setUint16(0, opts.magic ?? 0xeb9f, true);
  dv.setUint8(2, opts.version ?? 1);
  dv.setUint8(3, opts.flags ?? 0);
  dv.setUint32(4, opts.hdrLen ?? 24, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, types.length, true);
  dv.setUint32(16, types.length, true);
  dv.setUint32(20, opts.strLen ?? strs.length, true);
  return new Uint8Array([...hdr, ...types, ...strs]);
}

describe('BPF_BTF_LOAD (structural) — messages and errnos OBSERVED on 6.18.44', () => {
  it('a well-formed BTF loads and returns an fd; the log shows the header', () => {
    const { c } = setup();
    const r = c.btfLoad(btfBlob(), { logLevel: 1, logSize: 4096 });
    expect(r.res.ret).toBe(3);
    expect(r.log).toContain('magic: 0xeb9f\nversion: 1\nflags: 0x0\nhdr_len: 24\ntype_off: 0\ntype_len: 16\nstr_off: 16\nstr_len: 5\nbtf_total_size: 45\n');
  });
  it.each([
    ['empty input', new Uint8Array(0), 'EINVAL', 'hdr_len not found'],
    ['bad magic', btfBlob({ magic: 0 }), 'EINVAL', 'Invalid magic'],
    ['version 2', btfBlob({ version: 2 }), 'ENOTSUPP', 'Unsupported version'],
    ['flags 1', btfBlob({ flags: 1 }), 'ENOTSUPP', 'Unsupported flags'],
    ['str_len past the end', btfBlob({ strLen: 9 }), 'EINVAL', 'Total section length too long'],
    ['no types', btfBlob({ types: new Uint8Array(0) }), 'EINVAL', 'No type found'],
    ['kind 0', btfBlob({ types: new Uint8Array(Buffer.from('010000000000000004000000', 'hex')) }), 'EINVAL', '[1] Invalid kind:0'],
    ['string section not starting with NUL', btfBlob({ strs: new Uint8Array(Buffer.from('61696e7400', 'hex')) }), 'EINVAL', 'Invalid string section'],
  ])('%s → %s ("%s")', (_name, blob, errno, msg) => {
    const { c } = setup();
    const r = c.btfLoad(blob, { logLevel: 1, logSize: 4096 });
    expect(r.res.errno).toBe(errno);
    expect(r.log.trim().split('\n').pop()).toBe(msg);
  });
  it('a gap after the sections (hdr_len 8 leaves data unaccounted) → "Unsupported section found"', () => {
    const { c } = setup();
    const blob = btfBlob();
    new DataView(blob.buffer).setUint32(4, 8, true);
    const r = c.btfLoad(blob.subarray(0, 25), { logLevel: 1, logSize: 4096 });
    expect(r.res.errno).toBe('EINVAL');
    expect(r.log.trim().split('\n').pop()).toBe('Unsupported section found');
  });
  it('[SYS-4] log attributes: a buffer without log_level, or a level without a buffer size, gives EINVAL', () => {
    const { p } = setup();
    const blob = p.alloc(btfBlob());
    const call = (f: Record<string, number | bigint>) => p.bpf(BpfCmd.BPF_BTF_LOAD, p.alloc(encode(BTF_LOAD, { btf: blob, btf_size: 45, ...f }, 28)), 28);
    expect(call({ btf_log_buf: p.alloc(64), btf_log_size: 64, btf_log_level: 0 }).errno).toBe('EINVAL');
    expect(call({ btf_log_buf: 0n, btf_log_size: 64, btf_log_level: 1 }).errno).toBe('EINVAL');
    expect(call({ btf_log_buf: p.alloc(64), btf_log_size: 64, btf_log_level: 16 }).errno).toBe('EINVAL');
    expect(call({ btf_log_level: 1 }).ret).toBeGreaterThanOrEqual(3); // level without buffer: nothing is logged
  });
  it('a log buffer too small fails a good load with ENOSPC, keeping the tail (rotating) or the head (BPF_LOG_FIXED)', () => {
    const { c } = setup();
    const rot = c.btfLoad(btfBlob(), { logLevel: 1, logSize: 10 });
    expect(rot.res.errno).toBe('ENOSPC');
    expect(rot.log).toBe('size: 45\n'); // the last 9 bytes of the log, then NUL
    const fixed = c.btfLoad(btfBlob(), { logLevel: 1 | 8, logSize: 20 });
    expect(fixed.res.errno).toBe('ENOSPC');
    expect(fixed.log).toBe('magic: 0xeb9f\nversi');
  });
  it('btf_log_true_size is written back when the caller passed the field (size >= 32)', () => {
    const { p } = setup();
    const attr = p.alloc(encode(BTF_LOAD, { btf: p.alloc(btfBlob()), btf_size: 45, btf_log_buf: p.alloc(4096), btf_log_size: 4096, btf_log_level: 1 }, 32));
    expect(p.bpf(BpfCmd.BPF_BTF_LOAD, attr, 32).ret).toBeGreaterThanOrEqual(3);
    const trueSize = new DataView(p.read(attr, 32)!.buffer).getUint32(28, true);
    expect(trueSize).toBe(Buffer.byteLength('magic: 0xeb9f\nversion: 1\nflags: 0x0\nhdr_len: 24\ntype_off: 0\ntype_len: 16\nstr_off: 16\nstr_len: 5\nbtf_total_size: 45\n') + 1);
  });
  it('btf_size above 16 MiB → E2BIG before the copy; an unreadable pointer → EFAULT', () => {
    const { p } = setup();
    const call = (f: Record<string, number | bigint>) => p.bpf(BpfCmd.BPF_BTF_LOAD, p.alloc(encode(BTF_LOAD, f, 28)), 28);
    expect(call({ btf: 0x10n, btf_size: 16 * 1024 * 1024 + 1 }).errno).toBe('E2BIG');
    expect(call({ btf: 0x10n, btf_size: 64 }).errno).toBe('EFAULT');
  });
  it('[CAP-3] BTF_LOAD needs CAP_BPF', () => {
    const { c } = setup('v6.18', { uid: 1000, caps: [] });
    expect(c.btfLoad(btfBlob()).res.errno).toBe('EPERM');
  });
});
