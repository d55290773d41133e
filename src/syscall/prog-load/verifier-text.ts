// How the verifier writes instructions and register states into its log at log_level 1: the
// format of kernel/bpf/disasm.c's print_bpf_insn and of print_verifier_state, and the column the
// `;` of a state note is aligned to. OBSERVED on this machine's 6.18.44 kernel (the log_buf outputs
// in test/transcripts/kernel-6.18.44/prog_load_basic.json). spec: LOAD-13.

import type { BpfInsn } from '../../vm/insn.js';
import { insnAt, type Insns } from '../../vm/insn-array.js';

const ALU_OPS = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const JMP_OPS = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<='];
const LDST_SIZE: Record<number, string> = { 0x00: 'u32', 0x08: 'u16', 0x10: 'u8', 0x18: 'u64' };
const LDSX_SIZE: Record<number, string> = { 0x00: 's32', 0x08: 's16', 0x10: 's8' };
const ATOMIC_OPS: Record<number, string> = { 0x00: 'add', 0x40: 'or', 0x50: 'and', 0xa0: 'xor' };

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const signed = (n: number) => (n < 0 ? `${n}` : `+${n}`);

/** What the verifier shows for an ld_imm64's value and a call's target. */
export interface InsnNames {
  /** A helper's name for `call` (func_id_str), or undefined for an unknown id. */
  helper(id: number): string | undefined;
  /** The text of an ld_imm64's value: `map[id:N]`, `0x…`. */
  ldImm64(pc: number, insn: BpfInsn, next: BpfInsn): string;
  /** A kfunc's name. */
  kfunc(insn: BpfInsn): string;
}

/** print_bpf_insn: one instruction as the verifier log shows it, without the `N: ` prefix. */
export function insnText(insns: Insns, pc: number, names: InsnNames): string {
  const i = insnAt(insns, pc)!;
  const c = i.code;
  const cls = c & 0x07;
  const op = c & 0xf0;
  const x = (c & 0x08) !== 0;
  const h = `(${hex2(c)})`;
  if (cls === 0x04 || cls === 0x07) {
    const r = cls === 0x04 ? 'w' : 'r';
    if (op === 0xd0) return cls === 0x07 ? `${h} r${i.dst} = bswap${i.imm} r${i.dst}` : `${h} r${i.dst} = ${x ? 'be' : 'le'}${i.imm} r${i.dst}`;
    if (op === 0x80) return `${h} ${r}${i.dst} = -${r}${i.dst}`;
    const sdiv = (op === 0x30 || op === 0x90) && i.off === 1;
    const opText = sdiv ? (op === 0x30 ? 's/=' : 's%=') : ALU_OPS[op >> 4]!;
    if (x) {
      const movsx = op === 0xb0 && i.off !== 0 ? `(s${i.off})` : '';
      return `${h} ${r}${i.dst} ${opText} ${movsx}${r}${i.src}`;
    }
    return `${h} ${r}${i.dst} ${opText} ${i.imm}`;
  }
  const size = LDST_SIZE[c & 0x18] ?? 'u64';
  if (cls === 0x03) {
    const mode = c & 0xe0;
    if (mode === 0x60) return `${h} *(${size} *)(r${i.dst} ${signed(i.off)}) = r${i.src}`;
    const a = i.imm;
    const w = (c & 0x18) === 0x00 ? '' : '64';
    if (a === 0xe1) return `${h} r${i.src} = atomic${w}_xchg((${size} *)(r${i.dst} ${signed(i.off)}), r${i.src})`;
    if (a === 0xf1) return `${h} r0 = atomic${w}_cmpxchg((${size} *)(r${i.dst} ${signed(i.off)}), r0, r${i.src})`;
    const name = ATOMIC_OPS[a & 0xf0] ?? `op${hex2(a)}`;
    if (a & 0x01) return `${h} r${i.src} = atomic${w}_fetch_${name}((${size} *)(r${i.dst} ${signed(i.off)}), r${i.src})`;
    return `${h} lock *(${size} *)(r${i.dst} ${signed(i.off)}) ${ALU_OPS[(a & 0xf0) >> 4]} r${i.src}`;
  }
  if (cls === 0x02) return `${h} *(${size} *)(r${i.dst} ${signed(i.off)}) = ${i.imm}`;
  if (cls === 0x01) {
    const sx = (c & 0xe0) === 0x80;
    return `${h} r${i.dst} = *(${sx ? LDSX_SIZE[c & 0x18] : size} *)(r${i.src} ${signed(i.off)})`;
  }
  if (cls === 0x00) {
    if (c === 0x18) return `${h} r${i.dst} = ${names.ldImm64(pc, i, insnAt(insns, pc + 1) ?? i)}`;
    const mode = c & 0xe0;
    if (mode === 0x20) return `${h} r0 = *(${size} *)skb[${i.imm}]`;
    return `${h} r0 = *(${size} *)skb[r${i.src} + ${i.imm}]`;
  }
  // JMP / JMP32
  if (op === 0x80) {
    if (i.src === 1) return `${h} call pc${signed(i.imm)}`;
    if (i.src === 2) return `${h} call ${names.kfunc(i)}#${i.imm}`;
    return `${h} call ${names.helper(i.imm) ?? 'unknown'}#${i.imm}`;
  }
  if (c === 0x05) return `${h} goto pc${signed(i.off)}`;
  if (c === 0x06) return `${h} gotol pc${signed(i.imm)}`;
  if (c === 0x95) return `${h} exit`;
  const r = cls === 0x06 ? 'w' : 'r';
  const opText = JMP_OPS[op >> 4]!;
  if (x) return `${h} if ${r}${i.dst} ${opText} ${r}${i.src} goto pc${signed(i.off)}`;
  return `${h} if ${r}${i.dst} ${opText} 0x${(i.imm >>> 0).toString(16)} goto pc${signed(i.off)}`;
}

/**
 * A register as the check stage tracks it and the verifier's state print shows it. A `scalar` with
 * `maybePtr` is a value bpfsig cannot type (a load from memory, an untyped helper result): it prints
 * as `scalar()` but passes every type check. `ref` is the map object (for rewrites and direct reads).
 */
export type RegValue =
  | { readonly kind: 'const'; readonly value: bigint }
  | { readonly kind: 'scalar'; readonly maybePtr?: boolean }
  | { readonly kind: 'ctx'; readonly off?: number }
  | { readonly kind: 'fp'; readonly off?: number | 'var' }
  | { readonly kind: 'func'; readonly subprog: number }
  | { readonly kind: 'ringbuf_mem' | 'ringbuf_mem_or_null'; readonly id?: number }
  | {
      readonly kind: 'map_ptr' | 'map_value' | 'map_value_or_null';
      readonly map: string;
      readonly ks: number;
      readonly vs: number;
      readonly off?: number | 'var';
      readonly id?: number;
      readonly ref?: unknown;
      /** map_type and max_entries of the map (not printed). */
      readonly mt?: number;
      readonly entries?: number;
    };

/** verbose_snum: decimal between -512 and 512, hexadecimal beyond. */
function snum(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  if (s >= -512n && s <= 512n) return s.toString();
  return '0x' + BigInt.asUintN(64, s).toString(16);
}

/** print_reg_state: `R<n>=<state>`; `precise` prefixes a scalar with P (a precision mark). */
export function regText(r: number, v: RegValue, precise = false): string {
  const P = precise ? 'P' : '';
  switch (v.kind) {
    case 'const':
      return `R${r}=${P}${snum(v.value)}`;
    case 'scalar':
      return `R${r}=${P}scalar()`;
    case 'ctx':
      return `R${r}=ctx(${v.off ? `off=${v.off}` : ''})`;
    case 'fp':
      return `R${r}=fp${v.off === 'var' ? '' : (v.off ?? 0)}`;
    case 'func':
      return `R${r}=func()`;
    case 'ringbuf_mem':
    case 'ringbuf_mem_or_null':
      return `R${r}=${v.kind}(${v.id ? `id=${v.id}` : ''})`;
    case 'map_ptr':
    case 'map_value':
    case 'map_value_or_null': {
      const parts = [...(v.id ? [`id=${v.id}`] : []), ...(v.map ? [`map=${v.map}`] : []), `ks=${v.ks},vs=${v.vs}`, ...(typeof v.off === 'number' && v.off ? [`off=${v.off}`] : [])];
      return `R${r}=${v.kind}(${parts.join(',')})`;
    }
  }
}

/** vlog_alignment: spaces that put a state note's `;` after an instruction line of `len` bytes (newline included). */
export function noteAlignment(len: number): number {
  return Math.ceil(Math.max(len + 4, 40) / 8) * 8 - len - 1;
}
