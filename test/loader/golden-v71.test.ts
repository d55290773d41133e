// The bpftool-7.1 profile against the real bpftool 7.1 on our own objects: committed golden
// headers always, and bpftool itself when it is installed.
// spec: TC-BT71-1, LSK-PROG-1..7, LSK-HDR-1..3

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLskelHeader } from '../../src/loader/lskel-writer.js';
import { EXAMPLES, GOLDEN_DIR, mustGen, objectPath, openObject, TEST_OBJECTS } from './support.js';

const ALL = [...EXAMPLES, ...TEST_OBJECTS];

function ours(name: string): string {
  const obj = openObject(objectPath(name));
  return writeLskelHeader(obj, mustGen(obj, { profile: 'bpftool-7.1' }));
}

describe('bpftool-7.1 profile equals bpftool v7.1.0 (golden headers)', () => {
  for (const name of ALL) {
    it(`[TC-BT71-1, LSK-HDR-1] ${name}: header (loader insns, blob, struct, functions) is byte-identical to bpftool 7.1's`, () => {
      expect(ours(name)).toBe(readFileSync(join(GOLDEN_DIR, `${name}.v71.lskel.h`), 'utf8'));
    });
  }
});

const version = spawnSync('bpftool', ['version'], { encoding: 'utf8' });
const liveBpftool = version.status === 0 && /bpftool v7\.1\.\d+/.test(version.stdout) && /libbpf v1\.1/.test(version.stdout);
const liveIt = liveBpftool ? it : it.skip;

describe(`bpftool-7.1 profile equals a live bpftool 7.1${liveBpftool ? '' : ' (skipped: bpftool v7.1 / libbpf v1.1 not on PATH)'}`, () => {
  for (const name of ALL) {
    liveIt(`[TC-BT71-1] ${name}: \`bpftool gen skeleton -L\` output equals ours`, () => {
      const r = spawnSync('bpftool', ['gen', 'skeleton', '-L', objectPath(name)], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(ours(name)).toBe(r.stdout);
    });
  }
});
