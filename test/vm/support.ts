// Helpers for the interpreter tests: assemble dialect text, decode it, run it on a fresh kernel
// address space with the conformance helpers (VM-EXEC-1 contract: r1 = mem copy, r2 = length).

import { expect } from 'vitest';
import { assemble } from '../../src/vm/asm.js';
import { decodeProgram, type DecodeOptions } from '../../src/vm/decode.js';
import { conformanceHelperTable, type HelperTable } from '../../src/vm/helpers.js';
import { runProgram, type RunOptions, type RunResult } from '../../src/vm/interpreter.js';
import { AddressSpace } from '../../src/syscall/memory.js';

export interface AsmRun {
  readonly result: RunResult;
  readonly space: AddressSpace;
  /** The bytes of the mem region after the run (when mem was given). */
  readonly mem?: Uint8Array;
}

export function run(
  src: string,
  opts: {
    mem?: Uint8Array;
    decode?: DecodeOptions;
    helpers?: HelperTable<unknown>;
    space?: AddressSpace;
    extra?: Partial<RunOptions<unknown>>;
  } = {},
): AsmRun {
  const d = decodeProgram(assemble(src), { allowCallx: true, ...opts.decode });
  if (!d.ok) throw new Error(`decode failed at ${d.error.pc}: ${d.error.message}`);
  const space = opts.space ?? AddressSpace.kernelSpace();
  const region = opts.mem ? space.map({ name: 'mem', kind: 'ctx', bytes: opts.mem }) : undefined;
  const result = runProgram(d.program, {
    memory: space,
    args: [region?.base ?? 0n, BigInt(opts.mem?.length ?? 0)],
    helpers: opts.helpers ?? conformanceHelperTable(),
    ...opts.extra,
  });
  return { result, space, ...(region ? { mem: region.bytes } : {}) };
}

/** r0 of a run that must succeed. */
export function r0(src: string, mem?: Uint8Array): bigint {
  const { result } = run(src, mem ? { mem } : {});
  if (!result.ok) throw new Error(result.error.message);
  return result.r0;
}

/** The error of a run that must fail. */
export function failure(src: string, opts: Parameters<typeof run>[1] = {}) {
  const { result } = run(src, opts);
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  return result.error;
}

export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
