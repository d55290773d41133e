// The `bpfsig-transcript/1` form (../shared/fixtures/TRANSCRIPTS.md): bpf(2) calls made on a real
// kernel, with what it answered, in a normalized, replayable shape.

import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The call a step makes, as both a transcript step and a real-kernel plan step (src/realkernel/request.ts) write it. */
export interface StepCall {
  readonly id: string;
  readonly cmd: string;
  readonly attr_size?: number;
  readonly attr?: Record<string, Json>;
  readonly attr_hex?: string;
  readonly patch?: Json[];
}

export interface TranscriptStep extends StepCall {
  readonly expect: { ret?: number | 'fd' | 'key'; errno?: string; out?: Record<string, Json> };
  /** Other fields of non-bpf steps: close/dup2 (fd, newfd), add_key (type, description, payload, keyring). */
  readonly [k: string]: Json | undefined;
}

export interface Transcript {
  readonly format: 'bpfsig-transcript/1';
  readonly kernel: { release: string; uname_r?: string; config?: Record<string, Json> };
  readonly creds?: { euid?: number; caps?: string[] };
  readonly root?: string;
  readonly steps: readonly TranscriptStep[];
  readonly notes?: string[];
}

/** Read a transcript file: a bare transcript, or a capture file with one under `replay`. */
export function loadTranscript(path: string): Transcript {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path} is not JSON: ${(e as Error).message}`);
  }
  const t = (json && typeof json === 'object' && 'replay' in json ? (json as { replay: unknown }).replay : json) as Partial<Transcript>;
  if (!t || typeof t !== 'object' || t.format !== 'bpfsig-transcript/1') {
    throw new InputError(`${path} has no bpfsig-transcript/1 replay (need "format": "bpfsig-transcript/1")`);
  }
  if (!t.kernel || typeof t.kernel.release !== 'string') throw new InputError(`${path}: kernel.release missing`);
  if (!Array.isArray(t.steps)) throw new InputError(`${path}: steps missing`);
  t.steps.forEach((s, i) => {
    if (!s || typeof s !== 'object' || typeof s.id !== 'string' || typeof s.cmd !== 'string' || typeof s.expect !== 'object') {
      throw new InputError(`${path}: step ${i} needs id, cmd and expect`);
    }
  });
  return t as Transcript;
}
