// One exit-code scheme for every command (issue L, part 5; src/cli/exit-codes.ts, docs/cli.md):
// 0 success, 1 rejected / mismatched, 2 usage, 3 unusable input, 4 not emulated, 70 internal.
// Each command is driven to each code it can give, with inputs made here.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands.js';
import type { Command } from '../../src/cli/command.js';
import { EXIT, worstExit } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/main.js';
import { MapType } from '../../src/syscall/uapi/consts.js';
import { cli, noStackTrace, tempDir } from '../cli/support.js';
import { REPO } from '../support/hostile.js';

const hello = join(REPO, 'examples', 'bpf', 'hello.bpf.o');

describe('exit codes: one scheme for every command', () => {
  it.each(commands.map((c) => c.name))('%s: an unknown flag is usage (2) with the usage text', async (name) => {
    const r = await cli(name, '--no-such-flag');
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toMatch(/usage: bpfsig/);
    expect(noStackTrace(r.err.split('\n\n')[0]!)).toBe(true);
  });

  it('worstExit orders internal > input > usage > not emulated > rejected > ok', () => {
    expect(worstExit(EXIT.OK, EXIT.REJECTED, EXIT.NOT_EMULATED)).toBe(EXIT.NOT_EMULATED);
    expect(worstExit(EXIT.REJECTED, EXIT.INPUT)).toBe(EXIT.INPUT);
    expect(worstExit(EXIT.INPUT, EXIT.INTERNAL, EXIT.OK)).toBe(EXIT.INTERNAL);
    expect(worstExit()).toBe(EXIT.OK);
  });

  describe('an internal error is 70, one line, the stack only with BPFSIG_DEBUG', () => {
    const boom: Command = { name: 'boom', summary: 'test', usage: 'usage: bpfsig boom', run: async () => { throw new TypeError('cannot read x\nof undefined'); } };
    afterEach(() => {
      const i = commands.indexOf(boom);
      if (i >= 0) commands.splice(i, 1);
    });
    it('boom', async () => {
      commands.push(boom);
      const r = await cli('boom');
      expect(r.code).toBe(EXIT.INTERNAL);
      expect(r.err).toBe('bpfsig boom: internal error: cannot read x of undefined\n');
    });
  });

  it('gen: 0 on an example, 3 on a file that is not an object', async () => {
    expect((await cli('gen', 'loader', hello)).code).toBe(EXIT.OK);
    const junk = join(tempDir(), 'junk.o');
    writeFileSync(junk, 'not elf');
    const r = await cli('gen', 'skeleton', junk);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('inspect: 0 on an example, 3 on a missing file', async () => {
    expect((await cli('inspect', hello)).code).toBe(EXIT.OK);
    expect((await cli('inspect', join(tempDir(), 'missing.o'))).code).toBe(EXIT.INPUT);
  });

  it('skel load: 0 loaded, 1 refused by the modelled kernel, 3 not a skeleton (4: test/hostile/not-emulated.test.ts)', async () => {
    const dir = tempDir();
    const gen = await cli('gen', 'skeleton', hello);
    const file = join(dir, 'hello.lskel.h');
    writeFileSync(file, gen.out);
    expect((await cli('skel', 'load', file)).code).toBe(EXIT.OK);
    // Refused: the loader's first instruction's opcode byte XOR 0x01 (the check stage rejects it).
    const refused = await cli('skel', 'load', file, '--tamper', 'insns:0');
    expect(refused.code).toBe(EXIT.REJECTED);
    expect(refused.out).toMatch(/^result: -E[A-Z]+ \(-\d+\)/m);
    const notSkel = join(dir, 'plain.h');
    writeFileSync(notSkel, 'int x;\n');
    expect((await cli('skel', 'load', notSkel)).code).toBe(EXIT.INPUT);
  });

  it('keygen, sign, verify: 0 on success, 1 a signature the kernel refuses (verify; was 3 before), 3 unusable input', async () => {
    const dir = tempDir();
    expect((await cli('keygen', '--out', dir)).code).toBe(EXIT.OK);
    expect((await cli('keygen', '--out', dir)).code).toBe(EXIT.INPUT); // refuses to overwrite
    const data = join(dir, 'data.bin');
    writeFileSync(data, 'signed bytes');
    const sig = join(dir, 'data.sig');
    expect((await cli('sign', '--key', join(dir, 'key.pem'), '--cert', join(dir, 'cert.pem'), '--in', data, '--out', sig)).code).toBe(EXIT.OK);
    expect((await cli('sign', '--key', join(dir, 'nope.pem'), '--cert', join(dir, 'cert.pem'), '--in', data)).code).toBe(EXIT.INPUT);
    expect((await cli('verify', '--in', data, '--sig', sig, '--cert', join(dir, 'cert.pem'))).code).toBe(EXIT.OK);
    const other = join(dir, 'other.bin');
    writeFileSync(other, 'other bytes');
    const rejected = await cli('verify', '--in', other, '--sig', sig, '--cert', join(dir, 'cert.pem'));
    expect(rejected.code).toBe(EXIT.REJECTED);
    expect(rejected.out).toMatch(/^EKEYREJECTED|^EBADMSG|^E[A-Z]+/);
    expect((await cli('verify', '--in', join(dir, 'missing'), '--sig', sig, '--cert', join(dir, 'cert.pem'))).code).toBe(EXIT.INPUT);
  });

  it('replay: 0 all agree, 1 a step disagrees, 3 not a transcript (4: test/hostile/not-emulated.test.ts)', async () => {
    const dir = tempDir();
    const t = (expectRet: object) => ({
      format: 'bpfsig-transcript/1',
      kernel: { release: '6.18.0' },
      steps: [{ id: 'array', cmd: 'BPF_MAP_CREATE', attr: { map_type: MapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 1 }, expect: expectRet }],
    });
    const agree = join(dir, 'agree.json');
    writeFileSync(agree, JSON.stringify(t({ ret: 'fd' })));
    const disagree = join(dir, 'disagree.json');
    writeFileSync(disagree, JSON.stringify(t({ errno: 'EPERM' })));
    expect((await cli('replay', agree, '--profile', 'v6.18')).code).toBe(EXIT.OK);
    expect((await cli('replay', disagree, '--profile', 'v6.18')).code).toBe(EXIT.REJECTED);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{}');
    expect((await cli('replay', junk)).code).toBe(EXIT.INPUT);
  });

  it('conformance: 0 all pass, 1 a test fails, 3 no such folder', async () => {
    const dir = tempDir();
    const pass = join(dir, 'pass');
    const fail = join(dir, 'fail');
    mkdirSync(pass);
    mkdirSync(fail);
    writeFileSync(join(pass, 'a.data'), '-- asm\nmov %r0, 7\nexit\n-- result\n7\n');
    writeFileSync(join(fail, 'b.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n');
    expect((await cli('conformance', pass)).code).toBe(EXIT.OK);
    expect((await cli('conformance', fail)).code).toBe(EXIT.REJECTED);
    expect((await cli('conformance', join(dir, 'none'))).code).toBe(EXIT.INPUT);
  });

  it('demo: 0; an unusable --data-offset is 3', async () => {
    expect((await cli('demo', 'maps')).code).toBe(EXIT.OK);
    expect((await cli('demo', '--data-offset', '999999')).code).toBe(EXIT.INPUT);
  });

  it('help and version are 0; no command is usage (2)', async () => {
    expect(await main(['help'], { out: () => {}, err: () => {} })).toBe(EXIT.OK);
    expect(await main(['--version'], { out: () => {}, err: () => {} })).toBe(EXIT.OK);
    expect(await main([], { out: () => {}, err: () => {} })).toBe(EXIT.USAGE);
  });
});
