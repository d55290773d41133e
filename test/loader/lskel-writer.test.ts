// The .lskel.h writer: byte-identity with bpftool's headers, and gcc as a judge of the C it writes.
// spec: LSK-HDR-1..3, LSK-CTX-1..4, TC-BT77-5

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { objectNameFromPath, readElf } from '../../src/loader/elf/read-object.js';
import { genLoader, type LoaderOutput } from '../../src/loader/gen-loader/gen-loader.js';
import type { BpfObject } from '../../src/loader/elf/object-types.js';
import { printHex, writeLskelHeader } from '../../src/loader/lskel-writer.js';
import { describeShared, fixturePath, readFixture, SHARED } from '../support/shared.js';

const here = dirname(fileURLToPath(import.meta.url));
const hasGcc = spawnSync('gcc', ['--version']).status === 0;
const hasSystemSkel = existsSync('/usr/include/bpf/skel_internal.h');
const hasMultiarch = existsSync('/usr/include/x86_64-linux-gnu');

type Variant = 'v77' | 'v77-signed' | 'v71';

function load(name: string): BpfObject {
  const path = fixturePath('bpf', name, `${name}.bpf.o`);
  const r = readElf(readFixture('bpf', name, `${name}.bpf.o`), { objectName: objectNameFromPath(path) });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function build(obj: BpfObject, variant: Variant, sig?: Uint8Array): LoaderOutput {
  const r = genLoader(obj, {
    profile: variant === 'v71' ? 'bpftool-7.1' : 'bpftool-7.7',
    sign: variant === 'v77-signed',
    signer: sig ? () => sig : undefined,
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Compiles `header` with a main.c that checks the ctx layout with _Static_assert. */
function gccCompile(header: string, obj: BpfObject, out: LoaderOutput, includeDir: string | undefined): { status: number; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfsig-lskel-'));
  writeFileSync(join(dir, 'skel.lskel.h'), header);
  const sname = obj.name;
  const checks = [
    `_Static_assert(offsetof(struct ${sname}, links) == ${out.ctx.size}, "ctx.sz");`,
    ...out.ctx.maps.map((m) => `_Static_assert(offsetof(struct ${sname}, maps.${m.ident}) == ${m.offset}, "map ${m.ident}");`),
    ...out.ctx.progs.map((p) => `_Static_assert(offsetof(struct ${sname}, progs.${p.name}) == ${p.offset}, "prog ${p.name}");`),
  ];
  writeFileSync(
    join(dir, 'main.c'),
    `#include <stddef.h>\n#include <errno.h>\n#include <stdlib.h>\n#include <unistd.h>\n#include "skel.lskel.h"\n${checks.join('\n')}\nint main(void)\n{\n\tstruct ${sname} *s = ${sname}__open_and_load();\n\tif (!s)\n\t\treturn 1;\n\t${sname}__attach(s);\n\t${sname}__destroy(s);\n\treturn 0;\n}\n`,
  );
  const args = ['-c', '-O2', '-Wall', '-Werror', '-Wno-unused-function', '-o', join(dir, 'main.o'), join(dir, 'main.c')];
  if (includeDir) args.unshift(`-I${includeDir}`);
  if (hasMultiarch) args.unshift('-I/usr/include/x86_64-linux-gnu');
  const r = spawnSync('gcc', args, { encoding: 'utf8' });
  return { status: r.status ?? -1, stderr: r.stderr };
}

describe('print_hex [LSK-HDR-2]', () => {
  it('escapes zero as \\0 and others as \\xNN, breaking lines before 78 columns', () => {
    expect(printHex(new Uint8Array([0, 1, 0xff]))).toBe('\\0\\x01\\xff');
    const line = printHex(new Uint8Array(40).fill(1));
    expect(line.split('\\\n').map((l) => l.length)).toEqual([76, 76, 8]);
  });
});

describeShared('.lskel.h writer equals bpftool for every fixture object', () => {
  const names = SHARED ? readdirSync(fixturePath('bpf')).filter((n) => existsSync(fixturePath('bpf', n) + `/${n}.bpf.o`)) : [];
  it('finds the fixture objects', () => {
    expect(names.length).toBeGreaterThanOrEqual(4);
  });
  for (const name of names) {
    for (const variant of ['v77', 'v77-signed', 'v71'] as const) {
      it(`[LSK-HDR-1, LSK-HDR-2, LSK-HDR-3] ${name} ${variant}: header text is byte-identical`, () => {
        const obj = load(name);
        const sig = variant === 'v77-signed' ? readFixture('bpf', name, `${name}.v77-signed.sig.der`) : undefined;
        const header = writeLskelHeader(obj, build(obj, variant, sig));
        expect(header).toBe(Buffer.from(readFixture('bpf', name, `${name}.${variant}.lskel.h`)).toString('utf8'));
      });
    }
  }

  const gccIt = hasGcc ? it : it.skip;
  for (const name of names) {
    gccIt(`[LSK-CTX-4, TC-BT77-5] ${name}: gcc compiles the signed header against libbpf 1.7 opts fields (shim), ctx offsets match${hasGcc ? '' : ' (skipped: gcc not found)'}`, () => {
      const obj = load(name);
      const out = build(obj, 'v77-signed', readFixture('bpf', name, `${name}.v77-signed.sig.der`));
      const r = gccCompile(writeLskelHeader(obj, out), obj, out, join(here, 'shim'));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }
  const sysIt = hasGcc && hasSystemSkel ? it : it.skip;
  for (const name of names) {
    sysIt(`[LSK-HDR-3] ${name}: gcc compiles the unsigned 7.7 and 7.1 headers against the system skel_internal.h${hasGcc && hasSystemSkel ? '' : ' (skipped: gcc or /usr/include/bpf/skel_internal.h not found)'}`, () => {
      const obj = load(name);
      for (const v of ['v77', 'v71'] as const) {
        const out = build(obj, v);
        const r = gccCompile(writeLskelHeader(obj, out), obj, out, undefined);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    });
  }
});

