// Issue L, C1-C6: the six CLI crashes found by fuzzing, each rebuilt here from the repository's
// examples and run through `bpfsig` in-process. Each must end with a documented exit code
// (src/cli/exit-codes.ts) and, when it fails, one line on stderr — never "internal error" (70) or
// a stack trace.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BtfKind } from '../../src/btf/btf.js';
import { lineWriter } from '../../src/cli/command.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { readElf } from '../../src/loader/elf/read-object.js';
import { genLoader } from '../../src/loader/gen-loader/gen-loader.js';
import { writeLskelHeader } from '../../src/loader/lskel-writer.js';
import { cli, noStackTrace, tempDir } from '../cli/support.js';
import { example, firstModifier, objectBtf, setSectionSize } from '../support/hostile.js';

const oneLine = (err: string): boolean => err.trimEnd().split('\n').length === 1 && noStackTrace(err);

/** hello.bpf.o's light skeleton header (bpftool 7.7 unless told). */
function helloHeader(toolchain: 'bpftool-7.7' | 'bpftool-7.1' = 'bpftool-7.7', patchInsns?: (insns: Uint8Array) => void): string {
  const r = readElf(example('hello'), { objectName: 'hello_bpf' });
  if (!r.ok) throw new Error(r.error.message);
  const g = genLoader(r.value, { profile: toolchain, sign: false });
  if (!g.ok) throw new Error(g.error.message);
  if (patchInsns) patchInsns(g.value.insns);
  return writeLskelHeader(r.value, g.value);
}

function writeTemp(name: string, content: string | Uint8Array): string {
  const p = join(tempDir('bpfsig-hostile-'), name);
  writeFileSync(p, content);
  return p;
}

describe('issue L reproducers: no internal error, a documented exit code, one line', () => {
  it('[LSK-RUN-1] C1: skel_prep_map_data with its mmap size edited: 1 maps a page (loads, as libbpf would); 0 and a literal larger than the mapping are unusable input', async () => {
    const text = helloHeader();
    expect(text).toMatch(/skel_prep_map_data\(\(void \*\)data, 4096,/);
    const one = await cli('skel', 'load', writeTemp('one.lskel.h', text.replace('skel_prep_map_data((void *)data, 4096,', 'skel_prep_map_data((void *)data, 1,')));
    expect(one.err).toBe('');
    expect(one.code).toBe(EXIT.OK);
    expect(one.out).toMatch(/^result: 0 \(loaded\)/m);
    const zero = await cli('skel', 'load', writeTemp('zero.lskel.h', text.replace('skel_prep_map_data((void *)data, 4096,', 'skel_prep_map_data((void *)data, 0,')));
    expect(zero.code).toBe(EXIT.INPUT);
    expect(zero.err).toMatch(/skel_prep_map_data for rodata: 4-byte initial value, 0-byte mapping \(the real __open\(\) would fail in mmap\)/);
    expect(oneLine(zero.err)).toBe(true);
    // A 5000-byte initial value copied into a one-page mapping.
    const big = text.replace(/(static const char data\[\] __attribute__\(\(__aligned__\(8\)\)\) = "\\\n)\\0\\0\\0\\0(";\s*skel->rodata)/, (_m, a: string, b: string) => a + '\\0'.repeat(5000) + b);
    expect(big).not.toBe(text);
    const over = await cli('skel', 'load', writeTemp('big.lskel.h', big));
    expect(over.code).toBe(EXIT.INPUT);
    expect(over.err).toMatch(/5000-byte initial value, 4096-byte mapping \(the real __open\(\) would fault in memcpy\)/);
    expect(oneLine(over.err)).toBe(true);
  });

  it('C2: gen skeleton on an object whose .bss VAR points at a FUNC (no alignment) is unusable input, like inspect and gen loader', async () => {
    const obj = example('hello');
    const b = objectBtf(obj);
    const v = b.typeId(BtfKind.VAR, 'last_tgid');
    b.setWord(v, 2, b.typeId(BtfKind.FUNC, 'count_execve'));
    const file = writeTemp('c2.bpf.o', obj);
    const r = await cli('gen', 'skeleton', file);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.err).toMatch(/cannot write the skeleton header \(btf\): cannot determine the alignment of BTF type #\d+ \(FUNC\)/);
    expect(oneLine(r.err)).toBe(true);
  });

  it('C3: gen skeleton on an object whose BTF has a modifier loop (a VOLATILE whose type is itself) is unusable input, not a stack overflow', async () => {
    const obj = example('hello');
    const b = objectBtf(obj);
    const mod = firstModifier(b.btf, b.typeId(BtfKind.VAR, 'only_tgid'));
    b.setWord(mod, 2, mod);
    const file = writeTemp('c3.bpf.o', obj);
    for (const tc of ['bpftool-7.7', 'bpftool-7.1']) {
      const r = await cli('gen', 'skeleton', '--toolchain', tc, file);
      expect(r.code).toBe(EXIT.INPUT);
      expect(r.err).toMatch(/type chain too (deep|long)/);
      expect(oneLine(r.err)).toBe(true);
    }
  });

  it('[LSK-CTX-1] C4: an unsigned 7.1 loader that stores a map fd into a program slot: skel load shows the slot as it is', async () => {
    // The loader ends by copying each fd into the ctx: *(u32 *)(r6 + ctx_off) = r0. Swap the
    // offsets of map 0's store (ctx+24) and the program's (hello: 3 maps, so ctx+24+16*3): the
    // program slot gets the map fd, the map slot the program fd.
    const text = helloHeader('bpftool-7.1', (insns) => {
      const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
      const storeTo = (ctxOff: number) => {
        for (let pc = 0; pc < insns.length / 8; pc++) if (insns[pc * 8] === 0x63 && (insns[pc * 8 + 1]! & 15) === 6 && dv.getInt16(pc * 8 + 2, true) === ctxOff) return pc;
        throw new Error(`no store to ctx+${ctxOff}`);
      };
      const mapStore = storeTo(24);
      const progStore = storeTo(24 + 16 * 3);
      dv.setInt16(mapStore * 8 + 2, 24 + 16 * 3, true);
      dv.setInt16(progStore * 8 + 2, 24, true);
    });
    const r = await cli('skel', 'load', writeTemp('c4.lskel.h', text));
    expect(r.err).toBe('');
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toMatch(/^ {2}progs\.count_execve +fd \d+ {2}bpf-map \(not a program\)$/m);
    expect(r.out).toMatch(/^ {2}maps\.calls +fd \d+ {2}bpf-prog \(not a map\)$/m);
    const j = await cli('skel', 'load', writeTemp('c4.lskel.h', text), '--json');
    expect(JSON.parse(j.out).progs.count_execve).toMatchObject({ id: null, type: 'bpf-map (not a program)' });
  });

  it('C5: a header with a multi-megabyte literal (an 8 MiB .bss through gen skeleton --toolchain bpftool-7.1) is read in one pass', async () => {
    const obj = example('hello');
    const size = 8 << 20;
    setSectionSize(obj, '.bss', size);
    const b = objectBtf(obj);
    b.setWord(b.typeId(BtfKind.DATASEC, '.bss'), 2, size);
    const file = writeTemp('c5.bpf.o', obj);
    const gen = await cli('gen', 'skeleton', '--toolchain', 'bpftool-7.1', file);
    expect(gen.err).toBe('');
    expect(gen.code).toBe(EXIT.OK);
    expect(gen.out.length).toBeGreaterThan(size);
    const hdr = writeTemp('c5.lskel.h', gen.out);
    const r = await cli('skel', 'load', hdr);
    expect(noStackTrace(r.err)).toBe(true);
    expect([EXIT.OK, EXIT.REJECTED, EXIT.NOT_EMULATED]).toContain(r.code);
    expect(r.out).toMatch(/^result: /m);
  }, 60_000);

  it('C6: writing to a closed pipe (bpfsig … | head -c1) stops the output quietly, no unhandled error', async () => {
    const head = spawn('head', ['-c1'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise((res) => head.on('exit', res));
    const errors: unknown[] = [];
    const out = lineWriter(head.stdin);
    out('x'.repeat(10));
    await exited;
    // The reader is gone: every later write would fail with EPIPE.
    const onUncaught = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      for (let i = 0; i < 200; i++) out('y'.repeat(65536));
      await new Promise((res) => setTimeout(res, 200));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(errors).toEqual([]);
  });
});
