// The example BPF objects shipped in examples/bpf/ (C source and compiled object), found relative
// to the package root so `bpfsig demo` works on a fresh clone without ../shared.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../shared-dir.js';

export const EXAMPLE_OBJECTS = ['hello', 'subprog', 'kfunc_core', 'all_maps'] as const;
export type ExampleObjectName = (typeof EXAMPLE_OBJECTS)[number];

/** The default object of `bpfsig demo`: one ARRAY map, .rodata and .bss globals, one tracepoint. */
export const DEFAULT_EXAMPLE: ExampleObjectName = 'hello';

export function exampleObjectPath(name: ExampleObjectName = DEFAULT_EXAMPLE): string {
  return join(PACKAGE_ROOT, 'examples', 'bpf', `${name}.bpf.o`);
}

/** The object's bytes, or undefined when the examples folder is not installed. */
export function readExampleObject(name: ExampleObjectName = DEFAULT_EXAMPLE): Uint8Array | undefined {
  const p = exampleObjectPath(name);
  return existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined;
}
