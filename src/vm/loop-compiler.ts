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

/** Runs a translated loop from its head: registers in and out, `st[0]` the budget in and out; returns the next pc. */
export type LoopFn = (rl: Int32Array, rh: Int32Array, st: Float64Array) => number;

/** Compiled loops by head pc (sparse), with a byte per slot marking the heads. */
export interface HotLoops {
  readonly heads: Uint8Array;
  readonly fns: readonly (LoopFn | undefined)[];
}

const ALU64 = 0x07;
const ALU32 = 0x04;
const JMP = 0x05;
const JMP32 = 0x06;

/** Is the instruction one a loop may hold (see above)? */
function supported(code: number, off: number): boolean {
  const cls = code & 0x07;
  const op = code & 0xf0;
  if (cls === ALU64) return op === 0x00 || op === 0x10 || op === 0x40 || op === 0x50 || op === 0xa0 || (op === 0xb0 && off === 0) || (op === 0x80 && (code & 0x08) === 0);
  if (cls === ALU32) {
    return op === 0x00 || op === 0x10 || op === 0x40 || op === 0x50 || op === 0xa0 || (op === 0xb0 && off === 0) || (op === 0x80 && (code & 0x08) === 0) || op === 0x60 || op === 0x70 || op === 0xc0;
  }
  if (cls === JMP || cls === JMP32) return op !== 0x80 && op !== 0x90 && op !== 0xe0 && op !== 0xf0 && !(cls === JMP && op === 0x00 && (code & 0x08) !== 0);
  return false;
}

const isJump = (code: number) => ((code & 0x07) === JMP || (code & 0x07) === JMP32) && (code & 0xf0) !== 0x80 && (code & 0xf0) !== 0x90;

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
      const reg = (code & 0x08) !== 0;
      if (cls === ALU64) {
        const bl = reg ? L(x) : String(imm);
        const bh = reg ? H(x) : String(imm >> 31);
        switch (op) {
          case 0x00: out.push(`{ const s = (${L(d)} >>> 0) + (${bl} >>> 0); ${H(d)} = (${H(d)} + ${bh} + (s > 0xffffffff ? 1 : 0)) | 0; ${L(d)} = s | 0; }`); break;
          case 0x10: out.push(`{ const s = (${L(d)} >>> 0) - (${bl} >>> 0); ${H(d)} = (${H(d)} - ${bh} - (s < 0 ? 1 : 0)) | 0; ${L(d)} = s | 0; }`); break;
          case 0x40: out.push(`${L(d)} |= ${bl}; ${H(d)} |= ${bh};`); break;
          case 0x50: out.push(`${L(d)} &= ${bl}; ${H(d)} &= ${bh};`); break;
          case 0xa0: out.push(`${L(d)} ^= ${bl}; ${H(d)} ^= ${bh};`); break;
          case 0xb0: out.push(`${L(d)} = ${bl}; ${H(d)} = ${bh};`); break;
          case 0x80: out.push(`{ const l = ${L(d)}; ${H(d)} = (~${H(d)} + (l === 0 ? 1 : 0)) | 0; ${L(d)} = -l | 0; }`); break;
          default: return undefined;
        }
      } else if (cls === ALU32) {
        const bl = reg ? L(x) : String(imm);
        const set = (e: string) => out.push(`${L(d)} = (${e}) | 0; ${H(d)} = 0;`);
        switch (op) {
          case 0x00: set(`${L(d)} + ${bl}`); break;
          case 0x10: set(`${L(d)} - ${bl}`); break;
          case 0x40: set(`${L(d)} | ${bl}`); break;
          case 0x50: set(`${L(d)} & ${bl}`); break;
          case 0xa0: set(`${L(d)} ^ ${bl}`); break;
          case 0xb0: set(bl); break;
          case 0x80: set(`-${L(d)}`); break;
          case 0x60: set(`${L(d)} << (${bl} & 31)`); break;
          case 0x70: set(`${L(d)} >>> (${bl} & 31)`); break;
          case 0xc0: set(`${L(d)} >> (${bl} & 31)`); break;
          default: return undefined;
        }
      } else {
        const target = p.tgt[k]!;
        if (op === 0x00) {
          out.push(goTo(target));
          continue;
        }
        const cond = cls === JMP32 ? cond32(op, L(d), reg ? L(x) : String(imm)) : cond64(op, L(d), H(d), reg ? L(x) : String(imm), reg ? H(x) : String(imm >> 31));
        if (cond === undefined) return undefined;
        out.push(`if (${cond}) { ${goTo(target)} }`);
      }
    }
    // falls through to the next instruction
    if (!isJump(p.code[last]!) || (p.code[last]! & 0xf0) !== 0x00) out.push(goTo(last + 1));
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
    case 0x10: return `(${al} === ${bl} && ${ah} === ${bh})`;
    case 0x50: return `(${al} !== ${bl} || ${ah} !== ${bh})`;
    case 0x40: return `((${al} & ${bl}) !== 0 || (${ah} & ${bh}) !== 0)`;
    case 0x20: return ugt;
    case 0x30: return uge;
    case 0xa0: return ult;
    case 0xb0: return ule;
    case 0x60: return sgt;
    case 0x70: return sge;
    case 0xc0: return slt;
    case 0xd0: return sle;
    default: return undefined;
  }
}

/** A 32-bit comparison of the low words. */
function cond32(op: number, a: string, b: string): string | undefined {
  const u = (x: string) => `(${x} >>> 0)`;
  switch (op) {
    case 0x10: return `(${a} === (${b} | 0))`;
    case 0x50: return `(${a} !== (${b} | 0))`;
    case 0x40: return `((${a} & ${b}) !== 0)`;
    case 0x20: return `(${u(a)} > ${u(b)})`;
    case 0x30: return `(${u(a)} >= ${u(b)})`;
    case 0xa0: return `(${u(a)} < ${u(b)})`;
    case 0xb0: return `(${u(a)} <= ${u(b)})`;
    case 0x60: return `(${a} > (${b} | 0))`;
    case 0x70: return `(${a} >= (${b} | 0))`;
    case 0xc0: return `(${a} < (${b} | 0))`;
    case 0xd0: return `(${a} <= (${b} | 0))`;
    default: return undefined;
  }
}
