// The control-flow checks of bpf_check that run before the main pass, in the kernel's order:
// check_subprogs (every jump stays inside its sub-program; each sub-program ends in exit or an
// unconditional jump) and check_cfg (every instruction is reachable). OBSERVED on this machine's
// 6.18.44 kernel (test/transcripts/kernel-6.18.44/prog_load_basic.json, excl_maps.json): these
// errors come before the exclusive-map check and print "processed 0 insns". spec: LOAD-13.

const LD_IMM64 = 0x18;
const CLASS_JMP = 0x05;
const CLASS_JMP32 = 0x06;
const OP_JA = 0x00;
const OP_CALL = 0x80;
const OP_EXIT = 0x90;
const PSEUDO_CALL = 1;
const PSEUDO_FUNC = 4;

export interface CfgError {
  readonly message: string;
}

const code = (insns: Uint8Array, i: number) => insns[i * 8]!;
const src = (insns: Uint8Array, i: number) => insns[i * 8 + 1]! >> 4;
const off = (insns: Uint8Array, i: number) => new DataView(insns.buffer, insns.byteOffset + i * 8 + 2, 2).getInt16(0, true);
const imm = (insns: Uint8Array, i: number) => new DataView(insns.buffer, insns.byteOffset + i * 8 + 4, 4).getInt32(0, true);

/** Where a jump at `i` lands (JA32 uses imm), or undefined for non-jumps, calls and exits. */
function jumpTarget(insns: Uint8Array, i: number): number | undefined {
  const c = code(insns, i);
  const cls = c & 0x07;
  if (cls !== CLASS_JMP && cls !== CLASS_JMP32) return undefined;
  const op = c & 0xf0;
  if (op === OP_CALL || op === OP_EXIT) return undefined;
  return i + 1 + (cls === CLASS_JMP32 && op === OP_JA ? imm(insns, i) : off(insns, i));
}

/**
 * check_subprogs: walks every slot in order; a jump must land inside its own sub-program, and the
 * last slot of each sub-program must be `exit` or an unconditional jump (which an ld_imm64 split
 * at the end is not). `starts` are the sub-program starts, sorted, 0 first.
 */
export function checkSubprogs(insns: Uint8Array, starts: readonly number[]): CfgError | undefined {
  const n = insns.length / 8;
  let sub = 0;
  let subStart = 0;
  let subEnd = starts[1] ?? n;
  for (let i = 0; i < n; i++) {
    const t = jumpTarget(insns, i);
    if (t !== undefined && (t < subStart || t >= subEnd)) return { message: `jump out of range from insn ${i} to ${t}` };
    if (i === subEnd - 1) {
      const c = code(insns, i);
      if (c !== (CLASS_JMP | OP_EXIT) && c !== (CLASS_JMP | OP_JA) && c !== (CLASS_JMP32 | OP_JA)) {
        return { message: 'last insn is not an exit or jmp' };
      }
      sub++;
      subStart = subEnd;
      subEnd = starts[sub + 1] ?? n;
    }
  }
  return undefined;
}

/**
 * check_cfg: no jump lands in the second slot of an ld_imm64; then reachability: a walk from instruction 0 along fall-through, jumps, calls (into the
 * callee and on after the call) and callback references (ld_imm64 BPF_PSEUDO_FUNC); the first
 * instruction nothing reaches is "unreachable insn N". The second slot of an ld_imm64 counts as
 * reached with its first.
 */
export function checkReachable(insns: Uint8Array): CfgError | undefined {
  const n = insns.length / 8;
  const second = new Uint8Array(n); // 1: the second slot of an ld_imm64
  for (let i = 0; i < n; i++) if (code(insns, i) === LD_IMM64) second[++i] = 1;
  const seen = new Uint8Array(n);
  const todo = [0];
  const push = (t: number) => {
    if (t >= 0 && t < n && !seen[t]) todo.push(t);
  };
  while (todo.length) {
    const i = todo.pop()!;
    if (seen[i]) continue;
    seen[i] = 1;
    const c = code(insns, i);
    if (c === LD_IMM64) {
      if (i + 1 < n) seen[i + 1] = 1;
      if (src(insns, i) === PSEUDO_FUNC) push(i + imm(insns, i) + 1);
      push(i + 2);
      continue;
    }
    const cls = c & 0x07;
    const op = c & 0xf0;
    if (cls === CLASS_JMP && op === OP_EXIT) continue;
    if (cls === CLASS_JMP && op === OP_CALL) {
      if (src(insns, i) === PSEUDO_CALL) push(i + imm(insns, i) + 1);
      push(i + 1);
      continue;
    }
    const t = jumpTarget(insns, i);
    if (t !== undefined) {
      if (second[t]) return { message: `jump into the middle of ldimm64 insn ${t - 1}` };
      push(t);
      if (op !== OP_JA) push(i + 1);
      continue;
    }
    push(i + 1);
  }
  for (let i = 0; i < n; i++) if (!seen[i]) return { message: `unreachable insn ${i}` };
  return undefined;
}
