// BPF_OBJ_GET_INFO_BY_FD on programs (bpf_prog_get_info_by_fd). Expected values are what this
// machine's 6.18.44 kernel returned for the same calls (docs/fidelity.md, "Observed"), except
// where bpfsig's interpreter-only model differs (jited_*), which the tests state.
// spec: PINFO-1..6, OBS-EXCL-5, DIG-1.

import { describe, expect, it } from 'vitest';
import { ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn } from '../../src/vm/insn.js';
import { arrayMap, setup } from '../support/kernel.js';

function loaded(profile = 'v6.18') {
  const env = setup(profile);
  const mapFd = arrayMap(env.c, 8, 2, 'm1');
  // lddw r1, map; r0 = 0; exit
  const insns = encodeInsns([insn(0x18, 1, 1, 0, mapFd), insn(0), insn(0xb7), insn(0x95)]);
  const fd = env.c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns, name: 'tp' }).res.ret;
  return { ...env, fd, mapFd, insns };
}

describe('program info', () => {
  it('[PINFO-2] identity: type, id, tag, name, gpl_compatible, created_by_uid, verified_insns', () => {
    const { c, fd } = loaded();
    const r = c.progGetInfo(fd);
    expect(r.res.ret).toBe(0);
    expect(r.infoLen).toBe(232);
    expect(r.info).toMatchObject({
      type: 1,
      id: 1,
      tag: '0bd0168676c7c779',
      name: 'tp',
      gpl_compatible: 1,
      created_by_uid: 0,
      nr_map_ids: 1,
      verified_insns: 3,
      nr_jited_ksyms: 1,
      nr_jited_func_lens: 1,
      nr_prog_tags: 1,
      func_info_rec_size: 8,
      line_info_rec_size: 16,
      jited_line_info_rec_size: 8,
      xlated_prog_len: 32,
    });
    // bpfsig runs programs in an interpreter: no JIT image (the real kernel reported 30 bytes).
    expect(r.info.jited_prog_len).toBe(0);
  });

  it('[PINFO-3][PINFO-4] map ids and the xlated dump: the ld_imm64 names the map by id (src_reg 1), as the kernel showed', () => {
    const { c, fd, k } = loaded();
    const r = c.progGetInfo(fd, { fields: { nr_map_ids: 1, xlated_prog_len: 64 }, bufs: { map_ids: 16, xlated_prog_insns: 64 } });
    const mapId = [...k.mapIdr.values()][0]!.id;
    expect(new DataView(r.out.map_ids!.buffer).getUint32(0, true)).toBe(mapId);
    const want = encodeInsns([insn(0x18, 1, 1, 0, mapId), insn(0), insn(0xb7), insn(0x95)]);
    expect(Buffer.from(r.out.xlated_prog_insns!.subarray(0, 32)).toString('hex')).toBe(Buffer.from(want).toString('hex'));
  });

  it('[PINFO-3] a short map_ids array gets what fits; nr_map_ids reports the real count', () => {
    const env = setup();
    const a = arrayMap(env.c, 8, 1, 'a');
    const b = arrayMap(env.c, 8, 1, 'b');
    const insns = encodeInsns([insn(0x18, 1, 1, 0, a), insn(0), insn(0x18, 2, 1, 0, b), insn(0), insn(0xb7), insn(0x95)]);
    const fd = env.c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns }).res.ret;
    const r = env.c.progGetInfo(fd, { fields: { nr_map_ids: 1 }, bufs: { map_ids: 8 } });
    expect(r.info.nr_map_ids).toBe(2);
    expect(new DataView(r.out.map_ids!.buffer).getUint32(4, true)).toBe(0);
  });

  const infoAt = (c: ReturnType<typeof setup>['c'], fd: number, len: number, nonZeroAt: number) => {
    const buf = new Uint8Array(240);
    buf[nonZeroAt] = 1;
    const info = c.proc.alloc(buf);
    const attr = new Uint8Array(16);
    const dv = new DataView(attr.buffer);
    dv.setUint32(0, fd, true);
    dv.setUint32(4, len, true);
    dv.setBigUint64(8, info, true);
    return c.proc.bpf(15, c.proc.alloc(attr), 16);
  };

  it('[PINFO-1][OBS: info-tail-padding] v6.18.44: a non-zero byte in the padding after attach_btf_id (228..231) or past the struct gives E2BIG', () => {
    const { c, fd } = loaded('v6.18.44');
    for (const [len, off] of [[232, 228], [232, 231], [240, 232], [240, 236]] as const) {
      expect(infoAt(c, fd, len, off).errno, `byte ${off} of ${len}`).toBe('E2BIG');
    }
  });

  it('[PINFO-1] v6.18 as released checks the tail from sizeof (232): padding bytes are not checked', () => {
    const { c, fd } = loaded('v6.18');
    expect(infoAt(c, fd, 232, 228).ret).toBe(0);
    expect(infoAt(c, fd, 240, 236).errno).toBe('E2BIG');
  });

  it('[PINFO-1] info_len is clamped to the struct and written back; 0 and 8 are accepted', () => {
    const { c, fd } = loaded();
    expect(c.progGetInfo(fd, { infoLen: 8 })).toMatchObject({ res: { ret: 0 }, infoLen: 8, info: { type: 1, id: 1 } });
    expect(c.progGetInfo(fd, { infoLen: 0 })).toMatchObject({ res: { ret: 0 }, infoLen: 0 });
  });

  it('[PINFO-4] a record size the caller gives must be the kernel\'s: func_info_rec_size 7 or nr_func_info without a size → EINVAL', () => {
    const { c, fd } = loaded();
    expect(c.progGetInfo(fd, { fields: { func_info_rec_size: 7 } }).res.errno).toBe('EINVAL');
    expect(c.progGetInfo(fd, { fields: { nr_func_info: 1 } }).res.errno).toBe('EINVAL');
  });

  it('[PINFO-5] without CAP_BPF the code lengths and debug counts are hidden', () => {
    const env = setup('v6.18', { uid: 1000, unprivilegedBpfDisabled: 0 });
    const fd = env.c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: encodeInsns([insn(0xb7), insn(0x95)]) }).res.ret;
    const r = env.c.progGetInfo(fd);
    expect(r.info).toMatchObject({ xlated_prog_len: 0, nr_jited_ksyms: 0, nr_prog_tags: 0, tag: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it('[PINFO-3] an unreadable map_ids buffer gives EFAULT', () => {
    const { c, fd } = loaded();
    expect(c.progGetInfo(fd, { fields: { nr_map_ids: 1, map_ids: 0x10n } }).res.errno).toBe('EFAULT');
  });
});
