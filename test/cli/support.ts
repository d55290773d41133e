// Run `bpfsig` in-process with captured output, and helpers the CLI tests share.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function cli(...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t.endsWith('\n') ? t : t + '\n'), err: (t) => void (err += t.endsWith('\n') ? t : t + '\n') };
  const code = await main(argv, io);
  return { code, out, err };
}

/** Parse the JSON a command printed. */
export async function cliJson<T = any>(...argv: string[]): Promise<{ code: number; json: T; err: string }> {
  const r = await cli(...argv);
  let json: T;
  try {
    json = JSON.parse(r.out) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.out.slice(0, 200)}${r.err}`);
  }
  return { code: r.code, json, err: r.err };
}

export function tempDir(prefix = 'bpfsig-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** No stack trace or internal-error text leaked to the user. */
export function noStackTrace(text: string): boolean {
  return !/\n\s+at .+[.:]\d+/.test(text) && !/internal error/.test(text);
}
