// The bpf_conformance suite: the .data parser, the runner, every test file of the shared suite,
// the runner-negative files, and the `bpfsig conformance` command.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeShared, SHARED } from '../support/shared.js';
import { conformanceFiles, parseConformanceData, runConformanceData, runConformanceFile, summarize } from '../../src/vm/conformance.js';
import { main } from '../../src/cli/main.js';

const parse = (text: string) => {
  const p = parseConformanceData(text);
  if (!p.ok) throw new Error(`skipped: ${p.skip}`);
  return p.data;
};

describe('.data parser [VM-DATA-1..4]', () => {
  it('[VM-DATA-1] # starts a comment anywhere; \\r and blank lines are ignored', () => {
    const d = parse('# header\r\n-- asm\r\nmov %r0, 1 # one\r\n\r\nexit\r\n-- result # the answer\r\n0x1 # hex\r\n');
    expect(d.asm.split('\n').map((l) => l.trim())).toEqual(['mov %r0, 1', 'exit']);
    expect(d.result).toBe(1n);
  });

  it('[VM-DATA-2] directives match by substring; `no register offset` and ` c` sections are ignored', () => {
    const d = parse('-- c\nint main() { return 1; }\n-- asm\nexit\n-- no register offset\ncall instruction\n-- result\n7');
    expect(d.asm.trim()).toBe('exit');
    expect(d.result).toBe(7n);
  });

  it('[VM-DATA-2] an unknown directive skips the whole file', () => {
    expect(parseConformanceData('-- asm\nexit\n-- bogus\n-- result\n1')).toEqual({ ok: false, skip: "unknown directive '-- bogus'" });
  });

  it('[VM-DATA-3] result: last non-blank line, hex with 0x else decimal, as u64', () => {
    expect(parse('-- asm\nexit\n-- result\n1\n0xFFFFFFFFFFFFFFF6').result).toBe(0xffff_ffff_ffff_fff6n);
    expect(parse('-- asm\nexit\n-- result\n18446744073709551615').result).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('[VM-DATA-3] mem: hex bytes over several lines, concatenated; raw: u64 words, hex or decimal', () => {
    const d = parse('-- raw\n0x5566778800000018\n0x1122334400000000\n149\n-- mem\n00 01\nff 7f\n-- result\n0');
    expect([...d.mem]).toEqual([0, 1, 0xff, 0x7f]);
    expect(d.raw).toEqual([0x5566_7788_0000_0018n, 0x1122_3344_0000_0000n, 149n]);
  });

  it('[VM-DATA-4] neither result nor error: skipped; an error section is an expectation', () => {
    expect(parseConformanceData('-- asm\nexit')).toEqual({ ok: false, skip: 'no result or error in the test file' });
    expect(parse('-- asm\nexit\n-- error\nsome text').error).toBe('some text');
  });

  it('malformed numbers are reported, not guessed', () => {
    expect(() => parseConformanceData('-- mem\nzz\n-- result\n0')).toThrow("-- mem: 'zz' is not a hex byte");
    expect(() => parseConformanceData('-- result\n12abc')).toThrow("-- result: '12abc' is not a number");
  });
});

describe('runner [VM-EXEC-1, VM-EXEC-2, VM-RUN-1]', () => {
  it('[VM-EXEC-1] r1 points to a copy of mem and r2 is its length', () => {
    const d = parse('-- asm\nldxb %r0, [%r1+2]\nadd %r0, %r2\nexit\n-- mem\n10 20 30 40\n-- result\n0x34');
    expect(runConformanceData('t', d)).toMatchObject({ name: 't', status: 'pass', insns: 3 });
    expect([...d.mem]).toEqual([0x10, 0x20, 0x30, 0x40]);
  });

  it('[VM-RUN-1] a wrong r0 fails with expected and got', () => {
    expect(runConformanceData('t', parse('-- asm\nmov %r0, 2\nexit\n-- result\n3'))).toEqual({ name: 't', status: 'fail', expected: '0x3', got: '0x2', insns: 2 });
  });

  it('[VM-RUN-1] an expected error passes only with the same text; a run error is a failure otherwise', () => {
    const fault = '-- asm\nlddw %r1, 0x10\nldxb %r0, [%r1]\nexit\n-- error\n';
    const text = 'pc 2: invalid read of 1 byte at 0x10 in unmapped memory: no mapping at this address';
    expect(runConformanceData('t', parse(fault + text)).status).toBe('pass');
    expect(runConformanceData('t', parse(fault + 'Other'))).toMatchObject({ status: 'fail', expected: "error 'Other'", got: `error: ${text}` });
    expect(runConformanceData('t', parse('-- asm\nmov %r0, 1\nexit\n-- error\nInvalid'))).toMatchObject({ status: 'fail', got: 'r0 = 0x1' });
  });

  it('[VM-ISA-1] decode rejections are failures with the decoder message; assembler errors are ERROR', () => {
    expect(runConformanceData('t', parse('-- raw\n0x0000000100001007\n0x95\n-- result\n0'))).toMatchObject({ status: 'fail', got: 'error: insn 0: BPF_ALU uses reserved fields' });
    expect(runConformanceData('t', parse('-- asm\nfoo %r0\n-- result\n0'))).toEqual({ name: 't', status: 'error', message: 'assembler: line 1: Invalid mnemonic: foo' });
    expect(runConformanceData('t', parse('-- asm\n-- result\n0'))).toEqual({ name: 't', status: 'skip', message: 'no instructions in the test file' });
  });

  it('the budget applies per test', () => {
    expect(runConformanceData('t', parse('-- asm\nja -1\nexit\n-- result\n0'), 50)).toMatchObject({ status: 'fail', got: expect.stringContaining('instruction budget of 50 exhausted') });
  });
});

describeShared('bpf_conformance suite, every file [VM-CONF-1, VM-EXEC-1..4]', () => {
  const dir = SHARED ? join(SHARED, 'conformance', 'tests') : '';
  const files = SHARED ? conformanceFiles(dir) : [];
  it('[VM-CONF-1] has 313 .data files', () => expect(files.length).toBe(313));
  for (const f of files) {
    const name = f.slice(dir.length + 1);
    it(`[VM-CONF-1] ${name}`, () => {
      const r = runConformanceFile(f);
      expect(r.status, `${r.expected ?? ''} ${r.got ?? ''} ${r.message ?? ''}`).toBe('pass');
    });
  }
});

describeShared('runner-negative files are reported as failures [VM-CONF-1, VM-RUN-1]', () => {
  const dir = SHARED ? join(SHARED, 'conformance', 'negative') : '';
  it('incorrect_return_value_high_bits.data: the high bits are compared', () => {
    expect(runConformanceFile(join(dir, 'incorrect_return_value_high_bits.data'))).toMatchObject({
      status: 'fail',
      expected: '0x8977665544332211',
      got: '0x8877665544332211',
    });
  });
  it('error.data: a valid program that was expected to fail is a failure', () => {
    expect(runConformanceFile(join(dir, 'error.data'))).toMatchObject({ status: 'fail', expected: "error 'Invalid'" });
  });
  it('empty, empty_instructions and unknown-directive files are skipped with the reason', () => {
    expect(runConformanceFile(join(dir, 'empty.data'))).toMatchObject({ status: 'skip', message: 'no result or error in the test file' });
    expect(runConformanceFile(join(dir, 'empty_instructions.data'))).toMatchObject({ status: 'skip', message: 'no instructions in the test file' });
    expect(runConformanceFile(join(dir, 'invalid_unknown_directive.data'))).toMatchObject({ status: 'skip', message: "unknown directive '-- Unknown directive'" });
  });
});

describe('bpfsig conformance [VM-RUN-1]', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bpfsig-conf-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  writeFileSync(join(tmp, 'a-pass.data'), '-- asm\nmov %r0, 7\nexit\n-- result\n7\n');
  writeFileSync(join(tmp, 'b-fail.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n');
  writeFileSync(join(tmp, 'c-skip.data'), '-- asm\nexit\n');
  writeFileSync(join(tmp, 'ignored.txt'), 'not a test');
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['conformance', ...argv], { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints PASS / FAIL / SKIP per file and passed N of M; exit 1 on a failure', async () => {
    const r = await cli(tmp);
    expect(r.out.split('\n')).toEqual(['PASS a-pass', 'FAIL b-fail: expected 0x2, got 0x1', 'SKIP c-skip: no result or error in the test file', 'passed 1 of 3 (1 failed, 1 skipped)']);
    expect(r.code).toBe(1);
  });

  it('--json gives the same results as one document', async () => {
    const r = await cli(tmp, '--json');
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ total: 3, passed: 1, failed: 1, skipped: 1, errors: 0 });
    expect(doc.results.map((x: { status: string }) => x.status)).toEqual(['pass', 'fail', 'skip']);
  });

  it('bad input: a missing folder is exit 3 with a message; bad flags exit 2', async () => {
    expect(await cli(join(tmp, 'nope'))).toMatchObject({ code: 3, err: `bpfsig conformance: ${join(tmp, 'nope')}: not a folder` });
    expect((await cli(tmp, '--budget', 'x')).code).toBe(2);
    expect((await cli(tmp, tmp)).code).toBe(2);
  });

  it('without a folder and without ../shared it says what to do', async () => {
    const saved = process.env.BPFSIG_SHARED;
    process.env.BPFSIG_SHARED = join(tmp, 'no-shared-here');
    try {
      const r = await cli();
      expect(r.code).toBe(3);
      expect(r.err).toBe('bpfsig conformance: no folder given and ../shared/conformance/tests was not found (pass a folder or set BPFSIG_SHARED)');
    } finally {
      if (saved === undefined) delete process.env.BPFSIG_SHARED;
      else process.env.BPFSIG_SHARED = saved;
    }
  });

  describeShared('default folder', () => {
    it('[VM-CONF-1] runs the shared suite: passed 313 of 313, exit 0', async () => {
      const r = await cli();
      expect(r.code).toBe(0);
      expect(r.out.split('\n').at(-1)).toBe('passed 313 of 313');
      expect(summarize([])).toEqual({ total: 0, passed: 0, failed: 0, skipped: 0, errors: 0 });
    });
  });
});
