// The control-flow checks of bpf_check that run before the main pass, in the kernel's order:
// check_subprogs (every jump stays inside its sub-program; each sub-program ends in exit or an
// unconditional jump) and check_cfg (every instruction is reachable). OBSERVED on this machine's
// 6.18.44 kernel (test/transcripts/kernel-6.18.44/prog_load_basic.json, excl_maps.json): these
// errors come before the exclusive-map check and print "processed 0 insns". spec: LOAD-13.

import { isLocalCall, jumpTarget } from '../../vm/check.js';
import { insnAt, memoOnInsns, type Insns } from '../../vm/insn-array.js';
import { BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD_IMM64, BPF_PSEUDO_FUNC, bpfOp } from '../../vm/opcodes.js';

export interface CfgError {
  readonly message: string;
}

const EXIT = BPF_JMP | BPF_EXIT;
const isUnconditionalEnd = (code: number) => code === EXIT || code === (BPF_JMP | BPF_JA) || code === (BPF_JMP32 | BPF_JA);

/**
 * check_subprogs: walks every slot in order; a jump must land inside its own sub-program, and the
 * last slot of each sub-program must be `exit` or an unconditional jump (which an ld_imm64 split
 * at the end is not). `starts` are the sub-program starts, sorted, 0 first.
 */
export function checkSubprogs(insns: Insns, starts: readonly number[]): CfgError | undefined {
  return memoOnInsns(insns, `check_subprogs ${starts.join(',')}`, () => walkSubprogs(insns, starts));
}

function walkSubprogs(insns: Insns, starts: readonly number[]): CfgError | undefined {
  const n = insns.length;
  let sub = 0;
  let subStart = 0;
  let subEnd = starts[1] ?? n;
  for (let i = 0; i < n; i++) {
    const t = jumpTarget(insnAt(insns, i)!, i);
    if (t !== undefined && (t < subStart || t >= subEnd)) return { message: `jump out of range from insn ${i} to ${t}` };
    if (i === subEnd - 1) {
      if (!isUnconditionalEnd(insnAt(insns, i)!.code)) return { message: 'last insn is not an exit or jmp' };
      sub++;
      subStart = subEnd;
      subEnd = starts[sub + 1] ?? n;
    }
  }
  return undefined;
}

/**
 * check_cfg: no jump lands in the second slot of an ld_imm64, and every instruction is reachable
 * from instruction 0 along fall-through, jumps, calls (into the callee and on after the call) and
 * callback references (ld_imm64 BPF_PSEUDO_FUNC); the first one nothing reaches is "unreachable
 * insn N". The second slot of an ld_imm64 counts as reached with its first.
 */
export function checkReachable(insns: Insns): CfgError | undefined {
  return memoOnInsns(insns, 'check_cfg', () => walkReachable(insns));
}

function walkReachable(insns: Insns): CfgError | undefined {
  const n = insns.length;
  const second = new Uint8Array(n); // 1: the second slot of an ld_imm64
  for (let i = 0; i < n; i++) if (insnAt(insns, i)!.code === BPF_LD_IMM64) second[++i] = 1;
  const seen = new Uint8Array(n);
  const todo = [0];
  const push = (t: number) => {
    if (t >= 0 && t < n && !seen[t]) todo.push(t);
  };
  while (todo.length) {
    const i = todo.pop()!;
    if (seen[i]) continue;
    seen[i] = 1;
    const insn = insnAt(insns, i)!;
    if (insn.code === BPF_LD_IMM64) {
      if (i + 1 < n) seen[i + 1] = 1;
      if (insn.src === BPF_PSEUDO_FUNC) push(i + insn.imm + 1);
      push(i + 2);
      continue;
    }
    if (insn.code === EXIT) continue;
    if (isLocalCall(insn)) push(i + insn.imm + 1);
    const t = jumpTarget(insn, i);
    if (t !== undefined) {
      if (second[t]) return { message: `jump into the middle of ldimm64 insn ${t - 1}` };
      push(t);
      if (bpfOp(insn.code) === BPF_JA) continue;
    }
    push(i + 1);
  }
  for (let i = 0; i < n; i++) if (!seen[i]) return { message: `unreachable insn ${i}` };
  return undefined;
}
