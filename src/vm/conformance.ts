// The bpf_conformance suite, run natively (VM-INT-1 option 1): parse a `.data` file, assemble its
// `-- asm` (or take its `-- raw` words), run it with the suite's execution contract and compare r0
// (or the error text) with the file's expectation.
//
// spec: VM-DATA-1..4 (file format, skip rules), VM-EXEC-1 (r1 = copy of mem, r2 = its length,
//       512-byte stack), VM-EXEC-2 (helpers 0-5), VM-EXEC-4 (the conformance helper namespace),
//       VM-RUN-1 (PASS / FAIL / SKIP / ERROR per file, "passed N of M"), VM-GRP-2 (callx accepted).

import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AsmError, assemble } from './asm.js';
import { decodeProgram } from './decode.js';
import { conformanceHelperTable } from './helpers.js';
import { insn, type BpfInsn } from './insn.js';
import { runProgram } from './interpreter.js';
import { AddressSpace, hex } from '../abi/memory.js';

/** A parsed `.data` file. */
export interface ConformanceData {
  /** The `-- asm` text (comments removed), possibly empty. */
  readonly asm: string;
  /** `-- raw` instruction words, when present (they take precedence over asm). */
  readonly raw: readonly bigint[];
  /** `-- mem` bytes. */
  readonly mem: Uint8Array;
  /** `-- result`: expected r0 as u64. */
  readonly result?: bigint;
  /** `-- error`: the expected error text. */
  readonly error?: string;
}

export type ParseResult = { readonly ok: true; readonly data: ConformanceData } | { readonly ok: false; readonly skip: string };

/** Parse the text of a `.data` file (VM-DATA-1..4). Malformed numbers throw a plain Error. */
export function parseConformanceData(text: string): ParseResult {
  type State = 'ignore' | 'asm' | 'raw' | 'result' | 'mem' | 'error';
  let state: State = 'ignore';
  const asm: string[] = [];
  let raw = '';
  let mem = '';
  let result: string | undefined;
  let error: string | undefined;
  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash); // VM-DATA-1: '#' starts a comment anywhere
    if (line.includes('--')) {
      // VM-DATA-2: directive by substring, in this order
      if (line.includes('asm')) state = 'asm';
      else if (line.includes('result')) state = 'result';
      else if (line.includes('mem')) state = 'mem';
      else if (line.includes('raw')) state = 'raw';
      else if (line.includes('no register offset')) state = 'ignore';
      else if (line.includes(' c')) state = 'ignore';
      else if (line.includes('error')) state = 'error';
      else return { ok: false, skip: `unknown directive '${line.trim()}'` };
      continue;
    }
    if (line.trim() === '') continue;
    switch (state) {
      case 'asm':
        asm.push(line);
        break;
      case 'result':
        result = line.trim(); // the last non-blank line wins
        break;
      case 'mem':
        mem += ` ${line}`;
        break;
      case 'raw':
        raw += ` ${line}`;
        break;
      case 'error':
        error = line.trim();
        break;
    }
  }
  // VM-DATA-4: neither a result nor an error: skipped.
  if (result === undefined && error === undefined) return { ok: false, skip: 'no result or error in the test file' };
  const words = raw
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((t) => parseU64(t, 'raw word'));
  const memBytes = mem
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((t) => {
      if (!/^[0-9a-f]+$/i.test(t)) throw new Error(`-- mem: '${t}' is not a hex byte`);
      return parseInt(t, 16) & 0xff;
    });
  return {
    ok: true,
    data: {
      asm: asm.join('\n'),
      raw: words,
      mem: Uint8Array.from(memBytes),
      ...(result !== undefined ? { result: parseResult(result) } : {}),
      ...(error !== undefined ? { error } : {}),
    },
  };
}

function parseU64(t: string, what: string): bigint {
  const ok = t.toLowerCase().startsWith('0x') ? /^0x[0-9a-f]+$/i.test(t) : /^\d+$/.test(t);
  if (!ok) throw new Error(`${what}: '${t}' is not a number`);
  const v = BigInt(t);
  if (v > 0xffff_ffff_ffff_ffffn) throw new Error(`${what}: '${t}' does not fit in 64 bits`);
  return v;
}

/** VM-DATA-3: hex if the text contains 0x, else decimal, read as u64. */
function parseResult(s: string): bigint {
  const tok = s.split(/\s+/)[0]!;
  return parseU64(tok.includes('0x') || tok.includes('0X') ? tok.slice(tok.toLowerCase().indexOf('0x')) : tok, '-- result');
}

/** One raw word is the little-endian encoding of an instruction read as a u64 (VM-DATA-3). */
function wordToInsn(w: bigint): BpfInsn {
  const lo = Number(w & 0xffff_ffffn);
  const hi = Number(w >> 32n) | 0;
  return insn(lo & 0xff, (lo >> 8) & 0x0f, (lo >> 12) & 0x0f, (lo >>> 16) << 16 >> 16, hi);
}

export type ConformanceStatus = 'pass' | 'fail' | 'skip' | 'error';

export interface ConformanceResult {
  readonly name: string;
  readonly status: ConformanceStatus;
  /** Why it failed, was skipped or could not run. */
  readonly message?: string;
  readonly expected?: string;
  readonly got?: string;
  /** Instructions executed, when the program ran. */
  readonly insns?: number;
}

const u64 = (v: bigint): string => hex(v);

/** Run one parsed test with the suite's execution contract (VM-EXEC-1/2). */
export function runConformanceData(name: string, data: ConformanceData, budget?: number): ConformanceResult {
  let insns: BpfInsn[];
  try {
    insns = data.raw.length > 0 ? data.raw.map(wordToInsn) : assemble(data.asm);
  } catch (e) {
    if (e instanceof AsmError) return { name, status: 'error', message: `assembler: line ${e.line}: ${e.message}` };
    throw e;
  }
  if (insns.length === 0) return { name, status: 'skip', message: 'no instructions in the test file' };
  const expected = data.error !== undefined ? `error '${data.error}'` : u64(data.result ?? 0n);

  // The plugin's "failure output" is our decode or run error message.
  const failed = (message: string, ran?: number): ConformanceResult =>
    data.error !== undefined && message === data.error
      ? { name, status: 'pass', ...(ran !== undefined ? { insns: ran } : {}) }
      : { name, status: 'fail', expected, got: `error: ${message}`, ...(ran !== undefined ? { insns: ran } : {}) };

  const decoded = decodeProgram(insns, { allowCallx: true, rfcUnusedFields: true });
  if (!decoded.ok) return failed(`insn ${decoded.error.pc}: ${decoded.error.message}`);

  // VM-EXEC-1: r1 = pointer to a copy of mem (a kernel-side 'ctx' region), r2 = its length.
  const space = AddressSpace.kernelSpace();
  const memRegion = data.mem.length > 0 ? space.map({ name: 'mem', kind: 'ctx', bytes: Uint8Array.from(data.mem) }) : undefined;
  const res = runProgram(decoded.program, {
    memory: space,
    args: [memRegion?.base ?? 0n, BigInt(data.mem.length)],
    helpers: conformanceHelperTable(),
    ...(budget !== undefined ? { budget } : {}),
  });
  if (!res.ok) return failed(res.error.message, res.insns);
  if (data.error !== undefined) return { name, status: 'fail', expected, got: `r0 = ${u64(res.r0)}`, insns: res.insns };
  if (res.r0 !== data.result) return { name, status: 'fail', expected, got: u64(res.r0), insns: res.insns };
  return { name, status: 'pass', insns: res.insns };
}

/** Run one `.data` file. Unreadable or malformed files give status 'error'. */
export function runConformanceFile(path: string, budget?: number): ConformanceResult {
  const name = basename(path).replace(/\.data$/, '');
  let parsed: ParseResult;
  try {
    parsed = parseConformanceData(readFileSync(path, 'utf8'));
  } catch (e) {
    return { name, status: 'error', message: (e as Error).message };
  }
  if (!parsed.ok) return { name, status: 'skip', message: parsed.skip };
  return runConformanceData(name, parsed.data, budget);
}

/** Every `.data` file of a folder, in name order. */
export function conformanceFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.data'))
    .sort()
    .map((f) => join(dir, f));
}

export function runConformanceDir(dir: string, budget?: number): ConformanceResult[] {
  return conformanceFiles(dir).map((f) => runConformanceFile(f, budget));
}

export interface ConformanceSummary {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly errors: number;
}

export function summarize(results: readonly ConformanceResult[]): ConformanceSummary {
  const count = (s: ConformanceStatus): number => results.filter((r) => r.status === s).length;
  return { total: results.length, passed: count('pass'), failed: count('fail'), skipped: count('skip'), errors: count('error') };
}

/** One line per result, as the CLI prints it. */
export function formatResult(r: ConformanceResult): string {
  switch (r.status) {
    case 'pass':
      return `PASS ${r.name}`;
    case 'fail':
      return `FAIL ${r.name}: expected ${r.expected}, got ${r.got}`;
    case 'skip':
      return `SKIP ${r.name}: ${r.message}`;
    case 'error':
      return `ERROR ${r.name}: ${r.message}`;
  }
}
