// func_info / line_info / core_relo record checks of bpf_check (check_btf_info_early,
// check_btf_func, check_btf_line, check_core_relo) on the multi fixture's two programs (each with
// the record_hit sub-program appended) and on hand-made records.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Btf, BtfKind, BTF_INT_SIGNED } from '../../src/btf/btf.js';
import { BtfBuilder } from '../../src/btf/builder.js';
import { Errno } from '../../src/syscall/errno.js';
import {
  bpfCheckBtfInfo, bpfCheckBtfInfoEarly, builtinVmlinux, checkAbnormalReturn, checkBtfFuncEarly, checkBtfLine, checkCoreRelo,
  CoreCandCache, CoreReloKind, findSubprogs, recordsFromBytes, type BtfInfoAttr, type SubprogInfo,
} from '../../src/syscall/kernel-btf/index.js';
import { describeShared, fixturePath } from '../support/shared.js';
import { insn, insnAt, kernelProgs, openBytes, prog, type KernelProg } from './support.js';

const none = recordsFromBytes(new Uint8Array(0));

function attrOf(kp: KernelProg, over: Partial<BtfInfoAttr> = {}): BtfInfoAttr {
  const lp = kp.lp;
  const core = new Uint8Array(kp.relos.length * 16);
  const dv = new DataView(core.buffer);
  kp.relos.forEach((r, i) => {
    dv.setUint32(i * 16, r.insnOff, true);
    dv.setUint32(i * 16 + 4, r.typeId, true);
    dv.setUint32(i * 16 + 8, r.accessStrOff, true);
    dv.setUint32(i * 16 + 12, r.kind, true);
  });
  return {
    funcInfoCnt: lp.funcInfoCnt, funcInfoRecSize: lp.funcInfoRecSize, funcInfo: recordsFromBytes(lp.funcInfo ?? new Uint8Array(0)),
    lineInfoCnt: lp.lineInfoCnt, lineInfoRecSize: lp.lineInfoRecSize, lineInfo: recordsFromBytes(lp.lineInfo ?? new Uint8Array(0)),
    coreReloCnt: kp.relos.length, coreReloRecSize: 16, coreRelos: recordsFromBytes(core),
    ...over,
  };
}

function logger() {
  const lines: string[] = [];
  return { log: (s: string) => lines.push(s), text: () => lines.join('') };
}

/** Runs early + late checks the way bpf_check orders them. */
function check(kp: KernelProg, attr: BtfInfoAttr, subprogs?: SubprogInfo[]) {
  const l = logger();
  const early = bpfCheckBtfInfoEarly({ btf: kp.btf, kernel: false }, attr, l.log);
  if (early.err) return { err: early.err, log: l.text(), early };
  const subs = subprogs ?? (findSubprogs(kp.lp.insns) as SubprogInfo[]);
  const insns = kp.lp.insns.slice();
  const late = bpfCheckBtfInfo({ vmlinux: builtinVmlinux(), log: l.log, cache: new CoreCandCache() }, early.btf, attr, early.funcInfo ?? [], insns, subs);
  return { err: late.err, log: l.text(), early, late, insns };
}

/** Copy of a record array with one u32 field changed. */
function patched(bytes: Uint8Array, recSize: number, rec: number, field: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(rec * recSize + field * 4, value >>> 0, true);
  return out;
}

/** Records re-laid out with a larger record size (the extra bytes filled with `fill`). */
function widened(bytes: Uint8Array, recSize: number, newSize: number, fill = 0): Uint8Array {
  const n = bytes.length / recSize;
  const out = new Uint8Array(n * newSize).fill(fill);
  for (let i = 0; i < n; i++) out.set(bytes.subarray(i * recSize, (i + 1) * recSize), i * newSize);
  return out;
}

describeShared('func_info and line_info of the multi fixture', () => {
  const progs = kernelProgs(openBytes(new Uint8Array(readFileSync(fixturePath('bpf/multi/multi.bpf.o'))), 'multi'));

  it('both programs carry two functions (main + record_hit) and pass every check', () => {
    expect(progs.map((p) => p.lp.prog.name)).toEqual(['on_openat', 'count_packets']);
    for (const kp of progs) {
      const subs = findSubprogs(kp.lp.insns) as SubprogInfo[];
      expect(subs).toHaveLength(2);
      expect(subs[0].start).toBe(0);
      const r = check(kp, attrOf(kp));
      expect(r.err, r.log).toBe(0);
      expect(r.early.funcInfo!.map((f) => f.insnOff)).toEqual(subs.map((s) => s.start));
      expect(r.late!.aux).toEqual([{ linkage: 1, name: kp.lp.prog.name }, { linkage: 0, name: 'record_hit' }]);
      expect(r.late!.lineInfo!.length).toBe(kp.lp.lineInfoCnt);
      expect(r.log).toBe('');
    }
  });

  const kp = progs[0];
  const fi = kp.lp.funcInfo!;
  const li = kp.lp.lineInfo!;

  it('func_info record size outside [8, 252] or not a multiple of 4: -EINVAL', () => {
    for (const size of [4, 7, 10, 256]) {
      const r = check(kp, attrOf(kp, { funcInfoRecSize: size }));
      expect(r.err).toBe(-Errno.EINVAL);
      expect(r.log).toBe(`invalid func info rec size ${size}\n`);
    }
  });

  it('a larger func_info record with a zero tail is accepted; a non-zero tail is -E2BIG and the kernel writes back 8', () => {
    expect(check(kp, attrOf(kp, { funcInfoRecSize: 12, funcInfo: recordsFromBytes(widened(fi, 8, 12)) })).err).toBe(0);
    const r = check(kp, attrOf(kp, { funcInfoRecSize: 12, funcInfo: recordsFromBytes(widened(fi, 8, 12, 1)) }));
    expect(r.err).toBe(-Errno.E2BIG);
    expect(r.log).toBe('nonzero tailing record in func info');
    expect(r.early.writeBack).toEqual({ field: 'func_info_rec_size', value: 8 });
  });

  it('unreadable func_info: -EFAULT', () => {
    expect(check(kp, attrOf(kp, { funcInfo: recordsFromBytes(fi.subarray(0, 12)) })).err).toBe(-Errno.EFAULT);
  });

  it('first insn_off must be 0, then strictly increasing', () => {
    let r = check(kp, attrOf(kp, { funcInfo: recordsFromBytes(patched(fi, 8, 0, 0, 1)) }));
    expect([r.err, r.log]).toEqual([-Errno.EINVAL, 'nonzero insn_off 1 for the first func info record']);
    r = check(kp, attrOf(kp, { funcInfo: recordsFromBytes(patched(fi, 8, 1, 0, 0)) }));
    expect([r.err, r.log]).toEqual([-Errno.EINVAL, 'same or smaller insn offset (0) than previous func info record (0)']);
  });

  it('func_info type ids must be FUNCs', () => {
    const proto = kp.btf.type(kp.btf.findByNameKind('record_hit', BtfKind.FUNC)).sizeOrType;
    for (const [id, shown] of [[proto, proto], [0, 0], [99999, 99999], [0xffffffff, -1]]) {
      const r = check(kp, attrOf(kp, { funcInfo: recordsFromBytes(patched(fi, 8, 1, 1, id)) }));
      expect([r.err, r.log]).toEqual([-Errno.EINVAL, `invalid type id ${shown} in func info`]);
    }
  });

  it('func_info must match the sub-program layout', () => {
    let r = check(kp, attrOf(kp, { funcInfoCnt: 1 }));
    expect([r.err, r.log]).toEqual([-Errno.EINVAL, "number of funcs in func_info doesn't match number of subprogs\n"]);
    const subs = findSubprogs(kp.lp.insns) as SubprogInfo[];
    r = check(kp, attrOf(kp), [subs[0], { start: subs[1].start + 1 }]);
    expect([r.err, r.log]).toEqual([-Errno.EINVAL, "func_info BTF section doesn't match subprog layout in BPF program\n"]);
  });

  it('line_info record size: -EINVAL without a message; tail and fault rules as for func_info', () => {
    for (const size of [12, 20 + 2, 256]) expect(check(kp, attrOf(kp, { lineInfoRecSize: size }))).toMatchObject({ err: -Errno.EINVAL, log: '' });
    expect(check(kp, attrOf(kp, { lineInfoRecSize: 20, lineInfo: recordsFromBytes(widened(li, 16, 20)) })).err).toBe(0);
    const r = check(kp, attrOf(kp, { lineInfoRecSize: 20, lineInfo: recordsFromBytes(widened(li, 16, 20, 0xff)) }));
    expect([r.err, r.log, r.late!.writeBack]).toEqual([-Errno.E2BIG, 'nonzero tailing record in line_info', { field: 'line_info_rec_size', value: 16 }]);
    expect(check(kp, attrOf(kp, { lineInfo: recordsFromBytes(li.subarray(0, 16 * 3 + 4)) })).err).toBe(-Errno.EFAULT);
  });

  it('line_info insn_off: strictly increasing and inside the program', () => {
    const len = kp.lp.insns.length / 8;
    let r = check(kp, attrOf(kp, { lineInfo: recordsFromBytes(patched(li, 16, 1, 0, 0)) }));
    expect([r.err, r.log]).toEqual([-Errno.EINVAL, `Invalid line_info[1].insn_off:0 (prev_offset:0 prog->len:${len})\n`]);
    const last = kp.lp.lineInfoCnt - 1;
    const prevOff = new DataView(li.buffer, li.byteOffset).getUint32((last - 1) * 16, true);
    r = check(kp, attrOf(kp, { lineInfo: recordsFromBytes(patched(li, 16, last, 0, len)) }));
    expect([r.err, r.log]).toEqual([-Errno.EINVAL, `Invalid line_info[${last}].insn_off:${len} (prev_offset:${prevOff} prog->len:${len})\n`]);
  });

  it('line_info on the second half of an ld_imm64: "Invalid insn code"', () => {
    const ldIdx = Array.from({ length: kp.lp.insns.length / 8 }, (_, i) => i).find((i) => kp.lp.insns[i * 8] === 0x18)!;
    const li2 = patched(li, 16, 1, 0, ldIdx + 1);
    const l = logger();
    const res = checkBtfLine(kp.btf, attrOf(kp, { lineInfoCnt: 2, lineInfo: recordsFromBytes(li2.subarray(0, 32)) }), kp.lp.insns, [{ start: 0 }], l.log);
    expect([res.err, l.text()]).toEqual([-Errno.EINVAL, 'Invalid insn code at line_info[1].insn_off\n']);
  });

  it('line_info string offsets must be inside the string section', () => {
    const r = check(kp, attrOf(kp, { lineInfo: recordsFromBytes(patched(li, 16, 2, 2, kp.btf.stringsSize)) }));
    expect([r.err, r.log]).toEqual([-Errno.EINVAL, 'Invalid line_info[2].line_off or .file_name_off\n']);
    const f = check(kp, attrOf(kp, { lineInfo: recordsFromBytes(patched(li, 16, 0, 1, 0xffffffff)) }));
    expect(f.log).toBe('Invalid line_info[0].line_off or .file_name_off\n');
  });

  it('every sub-program needs a line_info record at its start', () => {
    const subs = findSubprogs(kp.lp.insns) as SubprogInfo[];
    const sub1 = subs[1].start;
    const dv = new DataView(li.buffer, li.byteOffset, li.byteLength);
    const idx = Array.from({ length: kp.lp.lineInfoCnt }, (_, i) => i).find((i) => dv.getUint32(i * 16, true) === sub1)!;
    // the record at record_hit's start moved one instruction later
    let r = check(kp, attrOf(kp, { lineInfo: recordsFromBytes(patched(li, 16, idx, 0, sub1 + 1)) }));
    expect([r.err, r.log]).toEqual([-Errno.EINVAL, 'missing bpf_line_info for func#1\n']);
    // only the main program's records
    r = check(kp, attrOf(kp, { lineInfoCnt: idx }));
    expect([r.err, r.log]).toEqual([-Errno.EINVAL, 'missing bpf_line_info for 1 funcs starting from func#1\n']);
  });

  it('[SYS-2] check_btf_info_early: a kernel BTF fd is -EACCES, a bad fd passes its errno through; nothing is checked without info', () => {
    const l = logger();
    expect(bpfCheckBtfInfoEarly({ btf: kp.btf, kernel: true }, attrOf(kp), l.log).err).toBe(-Errno.EACCES);
    expect(bpfCheckBtfInfoEarly(-Errno.EBADF, attrOf(kp), l.log).err).toBe(-Errno.EBADF);
    expect(bpfCheckBtfInfoEarly(-Errno.EBADF, attrOf(kp, { funcInfoCnt: 0, lineInfoCnt: 0 }), l.log).err).toBe(0);
  });
});

// A tiny program BTF and program for the rules the fixtures do not exercise.
function tiny() {
  const b = new BtfBuilder();
  const int = b.int('int', 4, BTF_INT_SIGNED);
  const u64 = b.int('long long unsigned int', 8);
  const mainF = b.func('main', b.funcProto(int, []), 1);
  const subInt = b.func('sub_int', b.funcProto(int, []), 0);
  const subPtr = b.func('sub_ptr', b.funcProto(b.ptr(u64), []), 0);
  const task = b.struct('task_struct', 8, [{ name: 'pid', type: int, bitOffset: 0 }, { name: 'tgid', type: int, bitOffset: 32 }]);
  const acc = b.addStr('0:1');
  return { btf: Btf.parse(b.build()), ids: { mainF, subInt, subPtr, task }, acc };
}

function funcRecs(...pairs: Array<[number, number]>): Uint8Array {
  const out = new Uint8Array(pairs.length * 8);
  const dv = new DataView(out.buffer);
  pairs.forEach(([off, id], i) => {
    dv.setUint32(i * 8, off, true);
    dv.setUint32(i * 8 + 4, id, true);
  });
  return out;
}

describe('BTF info rules on hand-made programs', () => {
  const T = tiny();
  // 0: call +1 (pseudo call to 2); 1: exit; 2: r0 = *(u8 *)skb[0] (LD_ABS); 3: exit
  const code = prog(insn(0x85, 0, 1, 0, 1), insn(0x95, 0, 0, 0, 0), insn(0x30, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0));
  const base: BtfInfoAttr = {
    funcInfoCnt: 0, funcInfoRecSize: 8, funcInfo: none, lineInfoCnt: 0, lineInfoRecSize: 16, lineInfo: none,
    coreReloCnt: 0, coreReloRecSize: 16, coreRelos: none,
  };

  it('findSubprogs finds the call target and marks LD_ABS / tail calls', () => {
    expect(findSubprogs(code)).toEqual([{ start: 0, hasLdAbs: false, hasTailCall: false }, { start: 2, hasLdAbs: true, hasTailCall: false }]);
    const tail = prog(insn(0x85, 0, 1, 0, 1), insn(0x95, 0, 0, 0, 0), insn(0x85, 0, 0, 0, 12), insn(0x95, 0, 0, 0, 0));
    expect((findSubprogs(tail) as SubprogInfo[])[1].hasTailCall).toBe(true);
    const l = logger();
    expect(findSubprogs(prog(insn(0x85, 0, 1, 0, 5), insn(0x95, 0, 0, 0, 0)), l.log)).toBe(-Errno.EINVAL);
    expect(l.text()).toBe('call to invalid destination\n');
  });

  it('without func info, sub-programs may not use LD_ABS or tail calls', () => {
    const l = logger();
    expect(checkAbnormalReturn(findSubprogs(code) as SubprogInfo[], l.log)).toBe(-Errno.EINVAL);
    expect(l.text()).toBe('LD_ABS is not allowed in subprogs without BTF\n');
    const r = bpfCheckBtfInfo({ vmlinux: undefined, log: l.log }, undefined, base, [], code, [{ start: 0 }, { start: 2, hasTailCall: true }]);
    expect(r.err).toBe(-Errno.EINVAL);
    expect(l.text()).toContain('tail_call is not allowed in subprogs without BTF\n');
  });

  it('with func info, LD_ABS needs a sub-program that returns int', () => {
    const subs = findSubprogs(code) as SubprogInfo[];
    const run = (subId: number) => {
      const l = logger();
      const attr = { ...base, funcInfoCnt: 2, funcInfo: recordsFromBytes(funcRecs([0, T.ids.mainF], [2, subId])) };
      const e = checkBtfFuncEarly(T.btf, attr, l.log);
      const r = bpfCheckBtfInfo({ vmlinux: undefined, log: l.log }, T.btf, attr, e.funcInfo!, code.slice(), subs);
      return [r.err, l.text()];
    };
    expect(run(T.ids.subInt)).toEqual([0, '']);
    expect(run(T.ids.subPtr)).toEqual([-Errno.EINVAL, "LD_ABS is only allowed in functions that return 'int'.\n"]);
  });

  it('[LSK-PROG-6] CO-RE records are applied only for programs that carry func or line info', () => {
    const p = prog(insn(0xb7, 0, 0, 0, 4), insn(0x95, 0, 0, 0, 0));
    const core = new Uint8Array(16);
    new DataView(core.buffer).setUint32(4, T.ids.task, true);
    new DataView(core.buffer).setUint32(8, T.acc, true);
    const attr = { ...base, coreReloCnt: 1, coreRelos: recordsFromBytes(core) };
    const l = logger();
    const noInfo = p.slice();
    expect(bpfCheckBtfInfo({ vmlinux: builtinVmlinux(), log: l.log }, T.btf, attr, [], noInfo, [{ start: 0 }]).coreRelos).toEqual([]);
    expect(insnAt(noInfo, 0).imm).toBe(4);
    const withInfo = p.slice();
    const a2 = { ...attr, funcInfoCnt: 1, funcInfo: recordsFromBytes(funcRecs([0, T.ids.mainF])) };
    const r = bpfCheckBtfInfo({ vmlinux: builtinVmlinux(), log: l.log }, T.btf, a2, [{ insnOff: 0, typeId: T.ids.mainF }], withInfo, [{ start: 0 }]);
    expect(r.err).toBe(0);
    expect(r.coreRelos[0]).toMatchObject({ kind: CoreReloKind.FIELD_BYTE_OFFSET, newVal: 1268n });
    expect(insnAt(withInfo, 0).imm).toBe(1268);
  });

  describe('check_core_relo records', () => {
    const p = prog(insn(0xb7, 0, 0, 0, 4), insn(0xb7, 1, 0, 0, 4), insn(0x95, 0, 0, 0, 0));
    const rec = (insnOff: number, size = 16, tail = 0) => {
      const b = new Uint8Array(size).fill(tail);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, insnOff, true);
      dv.setUint32(4, T.ids.task, true);
      dv.setUint32(8, T.acc, true);
      dv.setUint32(12, CoreReloKind.FIELD_BYTE_OFFSET, true);
      return b;
    };
    const runCore = (cnt: number, recSize: number, bytes: Uint8Array) => {
      const l = logger();
      const insns = p.slice();
      const r = checkCoreRelo({ local: T.btf, vmlinux: builtinVmlinux(), log: l.log }, { ...base, coreReloCnt: cnt, coreReloRecSize: recSize, coreRelos: recordsFromBytes(bytes) }, insns);
      return { ...r, log: l.text(), insns };
    };

    it('applies each record in order and reports one result per record', () => {
      const r = runCore(2, 16, new Uint8Array([...rec(0), ...rec(8)]));
      expect(r.err).toBe(0);
      expect(r.results.map((x) => [x.insnIdx, x.newVal])).toEqual([[0, 1268n], [1, 1268n]]);
    });

    it('record size outside [16, 252] or unaligned, or a count above INT_MAX/16: -EINVAL without a message', () => {
      for (const size of [8, 18, 256]) expect(runCore(1, size, rec(0, 256))).toMatchObject({ err: -Errno.EINVAL, log: '' });
      expect(runCore(0x8000000, 16, rec(0))).toMatchObject({ err: -Errno.EINVAL, log: '' });
    });

    it('a larger record with a zero tail is fine; a non-zero tail is -E2BIG with core_relo_rec_size written back as 16', () => {
      expect(runCore(1, 20, rec(0, 20)).err).toBe(0);
      const r = runCore(1, 20, rec(0, 20, 7));
      expect([r.err, r.log, r.writeBack]).toEqual([-Errno.E2BIG, 'nonzero tailing record in core_relo', { field: 'core_relo_rec_size', value: 16 }]);
    });

    it('insn_off not a multiple of 8 or past the program: -EINVAL; an unreadable record: -EFAULT after the readable ones ran', () => {
      expect(runCore(1, 16, rec(4))).toMatchObject({ err: -Errno.EINVAL, log: 'Invalid core_relo[0].insn_off:4 prog->len:3\n' });
      expect(runCore(1, 16, rec(24))).toMatchObject({ err: -Errno.EINVAL, log: 'Invalid core_relo[0].insn_off:24 prog->len:3\n' });
      const r = runCore(2, 16, rec(0));
      expect(r.err).toBe(-Errno.EFAULT);
      expect(r.results).toHaveLength(1);
      expect(insnAt(r.insns, 0).imm).toBe(1268);
    });
  });
});
