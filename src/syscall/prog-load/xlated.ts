// The verifier's instruction rewrites after its main pass, as far as they change what
// BPF_OBJ_GET_INFO_BY_FD reports (xlated_prog_len, xlated_prog_insns). The passes run in
// bpf_check's order, on an x86-64 kernel with the JIT (CONFIG_BPF_JIT_ALWAYS_ON):
//   1. opt_hard_wire_dead_code_branches, opt_remove_dead_code, opt_remove_nops (bpf_capable only):
//      a conditional jump with one side never reached becomes `goto` or `goto +0`, instructions no
//      path reached are removed, `goto +0` is removed;
//   2. convert_ctx_accesses: __sk_buff loads and stores become loads and stores of struct sk_buff
//      (the fields below; others keep their instruction);
//   3. do_misc_fixups: the divide-by-zero and signed-overflow guards around div/mod by a register,
//      sdiv/smod by -1, inlined bpf_map_lookup_elem (map_gen_lookup of ARRAY, PERCPU_ARRAY, HASH,
//      PERCPU_HASH, LRU_HASH, ARRAY_OF_MAPS, HASH_OF_MAPS), bpf_get_smp_processor_id and
//      bpf_jiffies64;
//   4. jit_subprogs: a bpf-to-bpf call shows its offset in `off` and the callee's index in `imm`.
//   0. optimize_bpf_loop: a bpf_loop call with a known callback and flags 0 becomes the loop
//      (19 instructions: the bound check, R6-R8 saved below the sub-program's stack, the calls);
// Every patch and removal moves the jumps that cross it (bpf_patch_insn_data / bpf_remove_insns:
// bpf_adj_branches). CONFIRMED by source reading (kernel/bpf/verifier.c, core.c, arraymap.c,
// hashtab.c, net/core/filter.c); each shape is OBSERVED on this machine's 6.18.44 kernel
// (test/transcripts/kernel-6.18.44/prog_xlated.json).
//
// The rewritten program is what GET_INFO shows; the interpreter keeps running the instructions as
// loaded (the helpers behave as the inlined code does). Not modelled (the instructions stay as
// loaded): tail-call and kfunc fixups, the tracing helpers' inlining
// (bpf_get_func_arg …), fastcall spill/fill removal, other __sk_buff fields and other context
// types' conversions, and the speculation hardening of unprivileged programs.

import type { BpfInsn } from '../../vm/insn.js';
import { insn as mk } from '../../vm/insn.js';
import { InsnArray } from '../../vm/insn-array.js';
import {
  BPF_ADD as ADD,
  BPF_ALU as ALU,
  BPF_ALU64 as ALU64,
  BPF_AND as AND,
  BPF_B as B,
  BPF_CALL,
  BPF_DIV,
  BPF_DW as DW,
  BPF_EXIT,
  BPF_H as H,
  BPF_JA as JA,
  BPF_JEQ as JEQ,
  BPF_JGE as JGE,
  BPF_JGT as JGT,
  BPF_JLE,
  BPF_JMP as JMP,
  BPF_JMP32 as JMP32,
  BPF_JNE as JNE,
  BPF_K as K,
  BPF_LD_IMM64,
  BPF_LDX,
  BPF_LSH as LSH,
  BPF_MEM,
  BPF_MOD,
  BPF_MOV as MOV,
  BPF_MUL as MUL,
  BPF_NEG as NEG,
  BPF_PSEUDO_FUNC,
  BPF_ST,
  BPF_STX,
  BPF_W as W,
  BPF_X as X,
  BPF_XOR as XOR,
} from '../../vm/opcodes.js';
import { MapFlag, MapType, ProgType } from '../uapi/consts.js';
import type { BpfMap } from '../objects/map.js';
import { POISONED } from './do-check.js';

/** Build-specific constants of the x86-64 kernel (OBSERVED on 6.18.44). */
export interface XlatedLayout {
  /** offsetof(struct bpf_array, value): 312 when struct bpf_map starts with sha[32]. */
  readonly arrayValueOffset: number;
  /** The per-CPU address of cpu_number (bpf_get_smp_processor_id), u32 as the kernel truncates it. */
  readonly cpuNumber: number;
  /** The address of jiffies (bpf_jiffies64). */
  readonly jiffies: bigint;
}

/** One instruction slot of the program being rewritten (an ld_imm64 is two). */
interface Slot {
  insn: BpfInsn;
  /** The slot's index in the loaded program (undefined for inserted instructions). */
  readonly orig?: number;
}

export interface XlatedInput {
  readonly insns: InsnArray | readonly BpfInsn[];
  readonly progType: number;
  /** insn_aux_data[].seen from the main pass. */
  readonly seen: Uint8Array;
  /** The map each map-helper call site was verified with (or POISONED). */
  readonly callMaps: ReadonlyMap<number, unknown>;
  /** Loads and stores whose base register was the context (aux->ptr_type == PTR_TO_CTX). */
  readonly ctxAccess: ReadonlySet<number>;
  /** bpf_loop calls that can be inlined: the call's pc → the callback's start. */
  readonly loopInline?: ReadonlyMap<number, number | undefined>;
  /** subprog_info[].stack_depth by sub-program start. */
  readonly stackDepth?: ReadonlyMap<number, number>;
  /** env->bpf_capable: the dead-code passes run only for it. */
  readonly bpfCapable: boolean;
  /** map->bypass_spec_v1 of a map (no index masking in the inlined array lookup). */
  readonly bypassSpecV1: (map: BpfMap) => boolean;
  readonly layout: XlatedLayout;
}

const LDX_MEM = BPF_LDX | BPF_MEM; // without the size
const STX_MEM = BPF_STX | BPF_MEM;
const ST_MEM = BPF_ST | BPF_MEM;
const CALL = JMP | BPF_CALL;
const R0 = 0;
const R1 = 1;
const R2 = 2;
const AX = 11; // BPF_REG_AX: the verifier's scratch register

const jmpK = (op: number, dst: number, off: number, imm: number, w32 = false) => mk((w32 ? JMP32 : JMP) | op | K, dst, 0, off, imm);
const alu = (op: number, dst: number, src: number, imm: number, w32: boolean, x: boolean) => mk((w32 ? ALU : ALU64) | op | (x ? X : K), dst, src, 0, imm);
const ldx = (size: number, dst: number, src: number, off: number) => mk(LDX_MEM | size, dst, src, off);
const ja = (off: number) => mk(JMP | JA, 0, 0, off);
/** BPF_MOV64_PERCPU_REG: `dst = per_cpu(src)` (a mov with off -1). */
const movPercpu = (dst: number, src: number) => mk(ALU64 | MOV | X, dst, src, -1);

const isCondJump = (i: BpfInsn) => {
  const cls = i.code & 0x07;
  const op = i.code & 0xf0;
  return (cls === JMP || cls === JMP32) && op !== JA && op !== BPF_CALL && op !== BPF_EXIT;
};
const isPseudoCall = (i: BpfInsn) => i.code === CALL && i.src === 1;
const isPseudoFunc = (i: BpfInsn) => i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC;

class Program {
  slots: Slot[];
  constructor(insns: readonly BpfInsn[]) {
    this.slots = insns.map((insn, orig) => ({ insn, orig }));
  }

  /** bpf_adj_branches for a change of [pos, endOld) into [pos, endNew). */
  private adjust(pos: number, endOld: number, endNew: number): void {
    const delta = endNew - endOld;
    this.slots.forEach((s, curr) => {
      const i = s.insn;
      const cls = i.code & 0x07;
      const op = i.code & 0xf0;
      const viaImm = isPseudoFunc(i) || isPseudoCall(i) || i.code === (JMP32 | JA);
      if (!viaImm && ((cls !== JMP && cls !== JMP32) || op === BPF_EXIT || op === BPF_CALL)) return;
      let off = viaImm ? i.imm : i.off;
      if (curr < pos && curr + off + 1 >= endOld) off += delta;
      else if (curr >= endNew && curr + off + 1 < endNew) off -= delta;
      else return;
      s.insn = viaImm ? { ...i, imm: off } : { ...i, off };
    });
  }

  /** bpf_patch_insn_data: the slot at `pos` becomes `patch`. */
  patch(pos: number, patch: BpfInsn[]): void {
    const orig = this.slots[pos]!.orig;
    this.slots.splice(pos, 1, ...patch.map((insn, k) => (k === patch.length - 1 && orig !== undefined ? { insn, orig } : { insn })));
    if (patch.length !== 1) this.adjust(pos, pos + 1, pos + patch.length);
  }

  /** bpf_remove_insns */
  remove(pos: number, cnt: number): void {
    this.slots.splice(pos, cnt);
    this.adjust(pos, pos + cnt, pos);
  }
}

/** The sk_buff access a 4-byte __sk_buff field access becomes (OBSERVED on 6.18.44 x86-64). */
function convertSkb(i: BpfInsn, progType: number): BpfInsn[] | undefined {
  const cls = i.code & 0x07;
  const size = i.code & 0x18;
  if (size !== W) return undefined;
  const tc = progType === ProgType.BPF_PROG_TYPE_SCHED_CLS || progType === ProgType.BPF_PROG_TYPE_SCHED_ACT;
  if (cls === BPF_LDX) {
    switch (i.off) {
      case 0: // len
        return [ldx(W, i.dst, i.src, 0x70)];
      case 4: // pkt_type: a bit field of the byte at 0x80
        return [ldx(B, i.dst, i.src, 0x80), alu(AND, i.dst, 0, 7, true, false)];
      case 16: // protocol
        return [ldx(H, i.dst, i.src, 0xb0)];
      case 76: // data
        return tc ? [ldx(DW, i.dst, i.src, 0xc8)] : undefined;
      case 80: // data_end (qdisc_skb_cb)
        return tc ? [ldx(DW, i.dst, i.src, 0x50)] : undefined;
    }
    return undefined;
  }
  if (cls === BPF_STX && i.off === 8 && tc) return [mk(STX_MEM | W, i.dst, i.src, 0xa4)]; // mark
  return undefined;
}

const SKB_TYPES: ReadonlySet<number> = new Set([
  ProgType.BPF_PROG_TYPE_SOCKET_FILTER,
  ProgType.BPF_PROG_TYPE_CGROUP_SKB,
  ProgType.BPF_PROG_TYPE_SCHED_CLS,
  ProgType.BPF_PROG_TYPE_SCHED_ACT,
]);

const ilog2 = (n: number) => Math.log2(n);
const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
const roundUp8 = (n: number) => Math.ceil(n / 8) * 8;
/** sizeof(struct htab_elem) up to the key, and offsetof(struct htab_elem, lru_node.ref). */
const HTAB_ELEM_KEY = 48;
const LRU_REF = 35;

/** ops->map_gen_lookup of the map, or undefined for types without one (or -EOPNOTSUPP). */
function mapGenLookup(map: BpfMap, inp: XlatedInput): BpfInsn[] | undefined {
  const L = inp.layout;
  const bypass = inp.bypassSpecV1(map);
  const keyOff = HTAB_ELEM_KEY + roundUp8(map.keySize);
  const arrayIndex = (jumpOver: number): BpfInsn[] => {
    const mask = 2 ** Math.ceil(Math.log2(Math.max(map.maxEntries, 1))) - 1;
    return [
      alu(ADD, R1, 0, L.arrayValueOffset, false, false),
      ldx(W, R0, R2, 0),
      ...(bypass ? [jmpK(JGE, R0, jumpOver, map.maxEntries)] : [jmpK(JGE, R0, jumpOver + 1, map.maxEntries), alu(AND, R0, 0, mask, true, false)]),
    ];
  };
  const scale = (elem: number) => (isPow2(elem) ? alu(LSH, R0, 0, ilog2(elem), false, false) : alu(MUL, R0, 0, elem, false, false));
  switch (map.mapType) {
    case MapType.BPF_MAP_TYPE_ARRAY: {
      if (map.mapFlags & MapFlag.BPF_F_INNER_MAP) return undefined;
      return [...arrayIndex(3), scale(roundUp8(map.valueSize)), alu(ADD, R0, R1, 0, false, true), ja(1), alu(MOV, R0, 0, 0, false, false)];
    }
    case MapType.BPF_MAP_TYPE_PERCPU_ARRAY: {
      if (map.mapFlags & MapFlag.BPF_F_INNER_MAP) return undefined;
      return [...arrayIndex(5), scale(8), alu(ADD, R0, R1, 0, false, true), ldx(DW, R0, R0, 0), movPercpu(R0, R0), ja(1), alu(MOV, R0, 0, 0, false, false)];
    }
    case MapType.BPF_MAP_TYPE_ARRAY_OF_MAPS:
      return [...arrayIndex(5), scale(8), alu(ADD, R0, R1, 0, false, true), ldx(DW, R0, R0, 0), jmpK(JEQ, R0, 1, 0), ja(1), alu(MOV, R0, 0, 0, false, false)];
    case MapType.BPF_MAP_TYPE_HASH:
      return [mk(CALL), jmpK(JEQ, R0, 1, 0), alu(ADD, R0, 0, keyOff, false, false)];
    case MapType.BPF_MAP_TYPE_PERCPU_HASH:
      return [mk(CALL), jmpK(JEQ, R0, 3, 0), alu(ADD, R0, 0, keyOff, false, false), ldx(DW, R0, R0, 0), movPercpu(R0, R0)];
    case MapType.BPF_MAP_TYPE_LRU_HASH:
      return [mk(CALL), jmpK(JEQ, R0, 4, 0), ldx(B, R1, R0, LRU_REF), jmpK(JNE, R1, 1, 0), mk(ST_MEM | B, R0, 0, LRU_REF, 1), alu(ADD, R0, 0, keyOff, false, false)];
    case MapType.BPF_MAP_TYPE_HASH_OF_MAPS:
      return [mk(CALL), jmpK(JEQ, R0, 2, 0), alu(ADD, R0, 0, keyOff, false, false), ldx(DW, R0, R0, 0)];
    default:
      return undefined;
  }
}

/** inline_bpf_loop: the loop bpf_loop(nr_loops, callback, ctx, 0) runs, R6-R8 saved at `base`. */
function inlineBpfLoop(base: number): BpfInsn[] {
  const [R3, R6, R7, R8, R10] = [3, 6, 7, 8, 10];
  const stx = (dst: number, src: number, off: number) => mk(STX_MEM | DW, dst, src, off);
  return [
    jmpK(BPF_JLE, R1, 2, 0x80_0000), // if r1 <= BPF_MAX_LOOPS goto +2
    alu(MOV, R0, 0, -7, true, false), // w0 = -E2BIG
    ja(16),
    stx(R10, R6, base),
    stx(R10, R7, base + 8),
    stx(R10, R8, base + 16),
    alu(MOV, R6, R1, 0, false, true),
    alu(MOV, R7, 0, 0, true, false),
    alu(MOV, R8, R3, 0, false, true),
    mk(JMP | JGE | X, R7, R6, 5), // if r7 >= r6 goto +5
    alu(MOV, R1, R7, 0, false, true),
    alu(MOV, R2, R8, 0, false, true),
    mk(CALL, 0, 1, 0, 0), // the callback (offset set after patching)
    alu(ADD, R7, 0, 1, false, false),
    jmpK(JEQ, R0, -6, 0),
    alu(MOV, R0, R7, 0, false, true),
    ldx(DW, R6, R10, base),
    ldx(DW, R7, R10, base + 8),
    ldx(DW, R8, R10, base + 16),
  ];
}

/** The div/mod fixups of do_misc_fixups, or undefined when the instruction needs none. */
function divModFixup(i: BpfInsn): BpfInsn[] | undefined {
  const cls = i.code & 0x07;
  const op = i.code & 0xf0;
  if ((cls !== ALU && cls !== ALU64) || (op !== BPF_DIV && op !== BPF_MOD)) return undefined;
  const is64 = cls === ALU64;
  const isDiv = op === BPF_DIV;
  const signed = i.off === 1;
  if ((i.code & X) === 0) {
    // sdiv/smod by -1: the result is -dst, or 0
    if (!signed || i.imm !== -1) return undefined;
    return isDiv ? [alu(NEG, i.dst, 0, 0, !is64, false)] : [alu(MOV, i.dst, 0, 0, true, false)];
  }
  const j = !is64;
  if (signed && isDiv) {
    return [
      alu(MOV, AX, i.src, 0, false, true),
      alu(ADD, AX, 0, 1, !is64, false),
      jmpK(JGT, AX, 4, 1, j),
      jmpK(JEQ, AX, 1, 0, j),
      alu(MOV, i.dst, 0, 0, !is64, false),
      alu(NEG, i.dst, 0, 0, !is64, false),
      ja(1),
      i,
    ];
  }
  if (signed) {
    return [
      alu(MOV, AX, i.src, 0, false, true),
      alu(ADD, AX, 0, 1, !is64, false),
      jmpK(JGT, AX, 3, 1, j),
      jmpK(JEQ, AX, is64 ? 3 : 4, 1, j),
      alu(MOV, i.dst, 0, 0, true, false),
      ja(1),
      i,
      ...(is64 ? [] : [ja(1), alu(MOV, i.dst, i.dst, 0, true, true)]),
    ];
  }
  if (isDiv) return [jmpK(JNE, i.src, 2, 0, j), alu(XOR, i.dst, i.dst, 0, true, true), ja(1), i];
  return is64 ? [jmpK(JEQ, i.src, 1, 0)] .concat([i]) : [jmpK(JEQ, i.src, 2, 0, true), i, ja(1), alu(MOV, i.dst, i.dst, 0, true, true)];
}

/**
 * The translated program: the loaded instructions after the rewrites above. Map ld_imm64s are left
 * as loaded (bpf_insn_prepare_dump renames them afterwards); the result's `orig` tells which
 * loaded slot each instruction comes from.
 */
export function translate(inp: XlatedInput): { insns: BpfInsn[]; orig: (number | undefined)[] } {
  const given = inp.insns;
  const loaded = given instanceof InsnArray ? Array.from({ length: given.length }, (_, k) => given.get(k)!) : given;
  const p = new Program(loaded);
  // 0. optimize_bpf_loop
  if (inp.loopInline?.size) {
    const starts = [0];
    loaded.forEach((ins, pc) => {
      if (isPseudoCall(ins) || isPseudoFunc(ins)) starts.push(pc + ins.imm + 1);
    });
    const sorted = [...new Set(starts)].sort((a, b) => a - b);
    for (let i = 0; i < p.slots.length; i++) {
      const s = p.slots[i]!;
      if (s.orig === undefined || s.insn.code !== CALL || s.insn.src !== 0 || s.insn.imm !== 181) continue;
      const cb = inp.loopInline.get(s.orig);
      if (cb === undefined) continue;
      const sub = sorted.filter((x) => x <= s.orig!).pop() ?? 0;
      const depth = inp.stackDepth?.get(sub) ?? 0;
      const base = -(depth + 24 + (Math.ceil(depth / 8) * 8 - depth));
      const patch = inlineBpfLoop(base);
      p.patch(i, patch);
      const callAt = i + 12;
      const target = p.slots.findIndex((x) => x.orig === cb);
      p.slots[callAt]!.insn = { ...p.slots[callAt]!.insn, imm: target - callAt - 1 };
      i += patch.length - 1;
    }
  }
  // 1. dead code (bpf_capable)
  if (inp.bpfCapable) {
    const seenAt = (k: number) => {
      const o = p.slots[k]?.orig;
      return o === undefined ? k < p.slots.length : !!inp.seen[o];
    };
    p.slots.forEach((s, i) => {
      if (!isCondJump(s.insn) || s.orig === undefined) return;
      if (!seenAt(i + 1)) s.insn = { ...ja(s.insn.off) };
      else if (!seenAt(i + 1 + s.insn.off)) s.insn = ja(0);
    });
    for (let i = 0; i < p.slots.length; i++) {
      let j = 0;
      // instructions an earlier pass inserted (bpf_loop) count as seen
      const unseen = (k: number) => p.slots[k]!.orig !== undefined && !inp.seen[p.slots[k]!.orig!];
      while (i + j < p.slots.length && unseen(i + j)) j++;
      if (j) p.remove(i, j);
    }
    for (let i = 0; i < p.slots.length; i++) {
      const s = p.slots[i]!.insn;
      if (s.code === (JMP | JA) && s.dst === 0 && s.src === 0 && s.off === 0 && s.imm === 0) {
        p.remove(i, 1);
        i--;
      }
    }
  }
  // 2. convert_ctx_accesses
  if (SKB_TYPES.has(inp.progType)) {
    for (let i = 0; i < p.slots.length; i++) {
      const s = p.slots[i]!;
      if (s.orig === undefined || !inp.ctxAccess.has(s.orig)) continue;
      const conv = convertSkb(s.insn, inp.progType);
      if (!conv) continue;
      p.patch(i, conv);
      i += conv.length - 1;
    }
  }
  // 3. do_misc_fixups
  for (let i = 0; i < p.slots.length; i++) {
    const s = p.slots[i]!;
    const ins = s.insn;
    if (ins.code === BPF_LD_IMM64) {
      i++;
      continue;
    }
    let patch = divModFixup(ins);
    if (!patch && ins.code === CALL && ins.src === 0 && s.orig !== undefined) {
      if (ins.imm === 1) {
        const m = inp.callMaps.get(s.orig);
        if (m && m !== POISONED) patch = mapGenLookup(m as BpfMap, inp);
      } else if (ins.imm === 8) {
        patch = [alu(MOV, R0, 0, inp.layout.cpuNumber, false, false), movPercpu(R0, R0), ldx(W, R0, R0, 0)];
      } else if (ins.imm === 118) {
        const a = inp.layout.jiffies;
        patch = [mk(BPF_LD_IMM64, R0, 0, 0, Number(BigInt.asIntN(32, a))), mk(0, 0, 0, 0, Number(BigInt.asIntN(32, a >> 32n))), ldx(DW, R0, R0, 0)];
      }
    }
    if (!patch) continue;
    p.patch(i, patch);
    i += patch.length - 1;
  }
  // 4. jit_subprogs: a pseudo call shows its offset in `off` and the callee's index in `imm`.
  const starts = [0];
  p.slots.forEach((s, i) => {
    if (isPseudoCall(s.insn) || isPseudoFunc(s.insn)) starts.push(i + s.insn.imm + 1);
  });
  const sorted = [...new Set(starts)].sort((a, b) => a - b);
  p.slots.forEach((s, i) => {
    if (isPseudoCall(s.insn)) s.insn = { ...s.insn, off: s.insn.imm, imm: sorted.indexOf(i + s.insn.imm + 1) };
  });
  return { insns: p.slots.map((s) => s.insn), orig: p.slots.map((s) => s.orig) };
}

/**
 * Would any pass of translate() change the program? Most programs need none of the rewrites: the
 * check stage then dumps the program as loaded, and a 1,000,000-instruction load builds no object
 * per instruction (issue L). Answers exactly for the dead-code and nop passes and
 * conservatively (yes) for the others: any bpf_loop to inline, context access of an __sk_buff
 * program, division or modulo, an inlinable helper call, a bpf-to-bpf call.
 */
export function needsRewrite(inp: XlatedInput): boolean {
  const a = inp.insns instanceof InsnArray ? inp.insns : InsnArray.fromInsns(inp.insns);
  for (const cb of inp.loopInline?.values() ?? []) if (cb !== undefined) return true;
  if (SKB_TYPES.has(inp.progType) && inp.ctxAccess.size) return true;
  const n = a.length;
  const seenAt = (k: number) => k >= 0 && k < n && inp.seen[k] === 1;
  for (let pc = 0; pc < n; pc++) {
    const code = a.code[pc]!;
    const cls = code & 0x07;
    const op = code & 0xf0;
    if (inp.bpfCapable && !inp.seen[pc]) return true;
    if (code === 0x18) {
      pc++;
      if (inp.bpfCapable && !inp.seen[pc]) return true;
      continue;
    }
    if ((cls === ALU || cls === ALU64) && (op === BPF_DIV || op === BPF_MOD)) return true;
    if (code === CALL && (a.src[pc] === 1 || (a.src[pc] === 0 && (a.imm[pc] === 1 || a.imm[pc] === 8 || a.imm[pc] === 118)))) return true;
    if (!inp.bpfCapable || (cls !== JMP && cls !== JMP32)) continue;
    if (code === (JMP | JA) && a.dst[pc] === 0 && a.src[pc] === 0 && a.off[pc] === 0 && a.imm[pc] === 0) return true;
    if (op !== JA && op !== BPF_CALL && op !== BPF_EXIT && (!seenAt(pc + 1) || !seenAt(pc + 1 + a.off[pc]!))) return true;
  }
  return false;
}
