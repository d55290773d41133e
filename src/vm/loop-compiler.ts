// Issue K: hot loops of register arithmetic, translated once into JavaScript that V8 compiles, so a
// loop such as VM-PERF-1's (add, xor, add, jne) runs without a dispatch per instruction.
//
// A loop is the range [head, back-jump] of a backward jump whose every instruction is plain
// register arithmetic or a jump: ALU64 ADD/SUB/OR/AND/XOR/MOV/NEG, ALU32 ADD/SUB/OR/AND/XOR/MOV/
// NEG/LSH/RSH/ARSH, JA and the conditional jumps of JMP and JMP32 (immediate or register). Nothing
// in such a range can fault, call out or read memory, so its effect is a function of the registers
// alone. The translation keeps the interpreter's register form (lo/hi 32-bit words), its arithmetic
// operation for operation, and its instruction budget exactly: each basic block is entered only
// when the remaining budget covers all of it; otherwise control returns to the interpreter at that
// block, which then counts instruction by instruction and stops where the interpreter would. Any
// jump out of the range returns to the interpreter at its target. A range with anything else in it
// is not translated: the interpreter runs it as before.
//
// spec: VM-ISA-3 (ALU), VM-ISA-5 (jumps), VM-EXEC-2 (instruction budget), VM-PERF-1.

import type { DecodedProgram } from './decode.js';
import {
  BPF_ADD,
  BPF_ALU as ALU32,
  BPF_ALU64 as ALU64,
  BPF_AND,
  BPF_ARSH,
  BPF_CALL,
  BPF_EXIT,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JMP as JMP,
  BPF_JMP32 as JMP32,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_LSH,
  BPF_MOV,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_X,
  BPF_XOR,
} from './opcodes.js';

/** The two jump op codes the ISA leaves unassigned (0xe0, 0xf0): a loop holding one is not translated. */
const OP_E0 = 0xe0;
const OP_F0 = 0xf0;


/** Runs a translated loop from its head: registers in and out, `st[0]` the budget in and out; returns the next pc. */
export type LoopFn = (rl: Int32Array, rh: Int32Array, st: Float64Array) => number;

/** Compiled loops by head pc (sparse), with a byte per slot marking the heads. */
export interface HotLoops {
  readonly heads: Uint8Array;
  readonly fns: readonly (LoopFn | undefined)[];
}

/** Is the instruction one a loop may hold (see above)? */
function supported(code: number, off: number): boolean {
  const cls = code & 0x07;
  const op = code & 0xf0;
  if (cls === ALU64) return op === BPF_ADD || op === BPF_SUB || op === BPF_OR || op === BPF_AND || op === BPF_XOR || (op === BPF_MOV && off === 0) || (op === BPF_NEG && (code & BPF_X) === 0);
  if (cls === ALU32) {
    return op === BPF_ADD || op === BPF_SUB || op === BPF_OR || op === BPF_AND || op === BPF_XOR || (op === BPF_MOV && off === 0) || (op === BPF_NEG && (code & BPF_X) === 0) || op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH;
  }
  if (cls === JMP || cls === JMP32) return op !== BPF_CALL && op !== BPF_EXIT && op !== OP_E0 && op !== OP_F0 && !(cls === JMP && op === BPF_JA && (code & BPF_X) !== 0);
  return false;
}

const isJump = (code: number) => ((code & 0x07) === JMP || (code & 0x07) === JMP32) && (code & 0xf0) !== BPF_CALL && (code & 0xf0) !== BPF_EXIT;

/** The loops of a decoded program, translated. Null when it has none. */
export function compileLoops<Env>(p: DecodedProgram<Env>): HotLoops | null {
  const heads = new Uint8Array(p.len + 1);
  const fns: (LoopFn | undefined)[] = [];
  let any = false;
  for (let j = 0; j < p.len; j++) {
    const code = p.code[j]!;
    if (!isJump(code)) continue;
    const t = p.tgt[j]!;
    if (t > j || heads[t]) continue;
    let ok = true;
    for (let k = t; k <= j && ok; k++) ok = supported(p.code[k]!, p.off[k]!);
    if (!ok) continue;
    const fn = translate(p, t, j);
    if (!fn) continue;
    heads[t] = 1;
    fns[t] = fn;
    any = true;
  }
  return any ? { heads, fns } : null;
}

/** JavaScript for one loop [t, j]. */
function translate<Env>(p: DecodedProgram<Env>, t: number, j: number): LoopFn | undefined {
  // Basic blocks: the head, every jump target inside the range, every instruction after a jump.
  const leader = new Set<number>([t]);
  for (let k = t; k <= j; k++) {
    if (!isJump(p.code[k]!)) continue;
    const tg = p.tgt[k]!;
    if (tg >= t && tg <= j) leader.add(tg);
    if (k + 1 <= j) leader.add(k + 1);
  }
  const starts = [...leader].sort((a, b) => a - b);
  const L = (r: number) => `l${r}`;
  const H = (r: number) => `h${r}`;
  const goTo = (pc: number) => (pc >= t && pc <= j && leader.has(pc) ? `pc = ${pc}; continue;` : `pc = ${pc}; break run;`);
  const out: string[] = [];
  for (let r = 0; r <= 10; r++) out.push(`let ${L(r)} = rl[${r}], ${H(r)} = rh[${r}];`);
  out.push('let b = st[0];', `let pc = ${t};`, 'run: for (;;) {', 'switch (pc) {');
  for (let bi = 0; bi < starts.length; bi++) {
    const s = starts[bi]!;
    const end = bi + 1 < starts.length ? starts[bi + 1]! - 1 : j;
    // the block ends at its first jump
    let last = s;
    while (last < end && !isJump(p.code[last]!)) last++;
    const n = last - s + 1;
    out.push(`case ${s}: {`, `if (b < ${n}) { pc = ${s}; break run; }`, `b -= ${n};`);
    for (let k = s; k <= last; k++) {
      const code = p.code[k]!;
      const d = p.dst[k]!;
      const x = p.src[k]!;
      const imm = p.imm[k]!;
      const cls = code & 0x07;
      const op = code & 0xf0;
      const reg = (code & BPF_X) !== 0;
      if (cls === ALU64) {
        const bl = reg ? L(x) : String(imm);
        const bh = reg ? H(x) : String(imm >> 31);
        switch (op) {
          case BPF_ADD: out.push(`{ const s = (${L(d)} >>> 0) + (${bl} >>> 0); ${H(d)} = (${H(d)} + ${bh} + (s > 0xffffffff ? 1 : 0)) | 0; ${L(d)} = s | 0; }`); break;
          case BPF_SUB: out.push(`{ const s = (${L(d)} >>> 0) - (${bl} >>> 0); ${H(d)} = (${H(d)} - ${bh} - (s < 0 ? 1 : 0)) | 0; ${L(d)} = s | 0; }`); break;
          case BPF_OR: out.push(`${L(d)} |= ${bl}; ${H(d)} |= ${bh};`); break;
          case BPF_AND: out.push(`${L(d)} &= ${bl}; ${H(d)} &= ${bh};`); break;
          case BPF_XOR: out.push(`${L(d)} ^= ${bl}; ${H(d)} ^= ${bh};`); break;
          case BPF_MOV: out.push(`${L(d)} = ${bl}; ${H(d)} = ${bh};`); break;
          case BPF_NEG: out.push(`{ const l = ${L(d)}; ${H(d)} = (~${H(d)} + (l === 0 ? 1 : 0)) | 0; ${L(d)} = -l | 0; }`); break;
          default: return undefined;
        }
      } else if (cls === ALU32) {
        const bl = reg ? L(x) : String(imm);
        const set = (e: string) => out.push(`${L(d)} = (${e}) | 0; ${H(d)} = 0;`);
        switch (op) {
          case BPF_ADD: set(`${L(d)} + ${bl}`); break;
          case BPF_SUB: set(`${L(d)} - ${bl}`); break;
          case BPF_OR: set(`${L(d)} | ${bl}`); break;
          case BPF_AND: set(`${L(d)} & ${bl}`); break;
          case BPF_XOR: set(`${L(d)} ^ ${bl}`); break;
          case BPF_MOV: set(bl); break;
          case BPF_NEG: set(`-${L(d)}`); break;
          case BPF_LSH: set(`${L(d)} << (${bl} & 31)`); break;
          case BPF_RSH: set(`${L(d)} >>> (${bl} & 31)`); break;
          case BPF_ARSH: set(`${L(d)} >> (${bl} & 31)`); break;
          default: return undefined;
        }
      } else {
        const target = p.tgt[k]!;
        if (op === BPF_JA) {
          out.push(goTo(target));
          continue;
        }
        const cond = cls === JMP32 ? cond32(op, L(d), reg ? L(x) : String(imm)) : cond64(op, L(d), H(d), reg ? L(x) : String(imm), reg ? H(x) : String(imm >> 31));
        if (cond === undefined) return undefined;
        out.push(`if (${cond}) { ${goTo(target)} }`);
      }
    }
    // falls through to the next instruction
    if (!isJump(p.code[last]!) || (p.code[last]! & 0xf0) !== BPF_JA) out.push(goTo(last + 1));
    out.push('}');
  }
  out.push(`default: break run;`, '}', '}');
  for (let r = 0; r <= 10; r++) out.push(`rl[${r}] = ${L(r)}; rh[${r}] = ${H(r)};`);
  out.push('st[0] = b;', 'return pc;');
  try {
    return new Function('rl', 'rh', 'st', out.join('\n')) as LoopFn;
  } catch {
    return undefined;
  }
}

/** A 64-bit comparison of (ah, al) with (bh, bl), as the interpreter makes it. */
function cond64(op: number, al: string, ah: string, bl: string, bh: string): string | undefined {
  const u = (x: string) => `(${x} >>> 0)`;
  const ugt = `(${u(ah)} > ${u(bh)} || (${ah} === ${bh} && ${u(al)} > ${u(bl)}))`;
  const uge = `(${u(ah)} > ${u(bh)} || (${ah} === ${bh} && ${u(al)} >= ${u(bl)}))`;
  const ult = `(${u(ah)} < ${u(bh)} || (${ah} === ${bh} && ${u(al)} < ${u(bl)}))`;
  const ule = `(${u(ah)} < ${u(bh)} || (${ah} === ${bh} && ${u(al)} <= ${u(bl)}))`;
  const sgt = `(${ah} > ${bh} || (${ah} === ${bh} && ${u(al)} > ${u(bl)}))`;
  const sge = `(${ah} > ${bh} || (${ah} === ${bh} && ${u(al)} >= ${u(bl)}))`;
  const slt = `(${ah} < ${bh} || (${ah} === ${bh} && ${u(al)} < ${u(bl)}))`;
  const sle = `(${ah} < ${bh} || (${ah} === ${bh} && ${u(al)} <= ${u(bl)}))`;
  switch (op) {
    case BPF_JEQ: return `(${al} === ${bl} && ${ah} === ${bh})`;
    case BPF_JNE: return `(${al} !== ${bl} || ${ah} !== ${bh})`;
    case BPF_JSET: return `((${al} & ${bl}) !== 0 || (${ah} & ${bh}) !== 0)`;
    case BPF_JGT: return ugt;
    case BPF_JGE: return uge;
    case BPF_JLT: return ult;
    case BPF_JLE: return ule;
    case BPF_JSGT: return sgt;
    case BPF_JSGE: return sge;
    case BPF_JSLT: return slt;
    case BPF_JSLE: return sle;
    default: return undefined;
  }
}

/** A 32-bit comparison of the low words. */
function cond32(op: number, a: string, b: string): string | undefined {
  const u = (x: string) => `(${x} >>> 0)`;
  switch (op) {
    case BPF_JEQ: return `(${a} === (${b} | 0))`;
    case BPF_JNE: return `(${a} !== (${b} | 0))`;
    case BPF_JSET: return `((${a} & ${b}) !== 0)`;
    case BPF_JGT: return `(${u(a)} > ${u(b)})`;
    case BPF_JGE: return `(${u(a)} >= ${u(b)})`;
    case BPF_JLT: return `(${u(a)} < ${u(b)})`;
    case BPF_JLE: return `(${u(a)} <= ${u(b)})`;
    case BPF_JSGT: return `(${a} > (${b} | 0))`;
    case BPF_JSGE: return `(${a} >= (${b} | 0))`;
    case BPF_JSLT: return `(${a} < (${b} | 0))`;
    case BPF_JSLE: return `(${a} <= (${b} | 0))`;
    default: return undefined;
  }
}
