// Registering the matchers by hand (`expect.extend(bpfsigMatchers)`, what the setup file does),
// the errors bad input gives, and a run on a real kernel (a Promise; only with BPFSIG_REAL=1).

import { describe, expect, it } from 'vitest';
import { InputError, RealKernelError, runScenario, type Run } from 'bpfsig';
import { bpfsigMatchers } from 'bpfsig/testing';

expect.extend(bpfsigMatchers);

describe('by hand', () => {
  it('the matchers are plain functions over a Run', () => {
    const run = runScenario({ keyring: 12345 });
    expect(run).toFailAt('BPF_PROG_LOAD', 'EINVAL');
    const r = bpfsigMatchers.toFailAt.call({ isNot: false }, run, 'BPF_PROG_LOAD', 'EINVAL');
    expect(r.pass).toBe(true);
    expect(() => expect({ loaded: true }).toLoad()).toThrowError(TypeError);
  });

  it('bad input is an InputError with one line', () => {
    expect(() => runScenario({ tamper: ['data'] })).toThrowError(InputError);
    expect(() => runScenario({ profile: 'no-such-profile' })).toThrowError(/unknown profile 'no-such-profile'/);
  });
});

const LIVE = process.env.BPFSIG_REAL === '1';
const title = 'on a real Debian 6.18.15 kernel under QEMU: the same data-byte load, as a Promise';
if (!LIVE) it.skip(`${title} — skipped: set BPFSIG_REAL=1 to boot the kernel`, () => {});
else
  it(title, { timeout: 900_000 }, async (ctx) => {
    const pending: Promise<Run> = runScenario({ real: '6.18.15', tamper: ['data:100'] });
    try {
      await pending;
    } catch (e) {
      if (e instanceof RealKernelError && ['no-qemu', 'no-gcc', 'no-apt', 'registry'].includes(e.kind)) return ctx.skip(`skipped: ${e.message}`);
      throw e;
    }
    await expect(pending).resolves.toFailAt('BPF_PROG_TEST_RUN', 'EINVAL');
    await expect(pending).resolves.toHaveAuditRecord(/op=LOAD/);
    await expect(pending).resolves.not.toLoad();
  });
