// Races between stages: a second thread of the loading process at a stage boundary of the
// loader's BPF_PROG_LOAD. spec: HC-NOT-3 (fds resolved before the verifier binds them), KP-META-4
// (an unfrozen map's cached hash), CLAIM-19, CLAIM-21.

import { describe, expect, it } from 'vitest';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { readExampleObject } from '../../src/loader/examples.js';
import { runCompare } from '../../src/scenarios/compare/compare.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { runSkeleton } from '../../src/scenarios/skel-run.js';

const obj = openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o');
const id = makeSigningIdentity({ cn: 'races test' });
const signed = makeSkeleton(obj, { toolchain: 'bpftool-7.7', identity: id, name: obj.name }).skeleton;

describe('races between stages', () => {
  it('the second thread runs once, at the boundary asked for, as its own task sharing the fd table', () => {
    const run = runSkeleton(signed, {
      profile: 'v6.18',
      certDer: id.certDer,
      keyring: 'session',
      race: { op: { op: 'swap-slot', content: 'as-signed' }, at: { beforeStage: 'LOAD-13' }, dataOffset: 0 },
    });
    expect(run.race).toMatchObject({ boundary: 'LOAD-13', effective: true });
    expect(run.race!.calls.some((c) => /^dup2\(\d+, \d+\) = \d+$/.test(c))).toBe(true);
    const pids = new Set(run.kernel.trace.events.filter((e) => e.kind === 'syscall').map((e) => e.kind === 'syscall' && e.pid));
    expect(pids.size).toBe(2);
    // The program bound the swapped-in map (a copy of the blob as signed, so the loader's hash check passes).
    expect(run.race!.bound).toEqual(['swapped']);
    expect(run.result.err).toBe(0);
  });

  it('[HC-NOT-3][CLAIM-19] on v6.18 a swap before the verifier binds the slot is bound; after it, it changes nothing', () => {
    const r = runCompare({ profiles: ['v6.18'], cases: ['intact'], cross: false, races: true, identity: id });
    const swap = r.races!.find((x) => x.race === 'slot-swap' && x.profile === 'v6.18')!;
    expect(swap.baseline).toBe('ok');
    const at = (stage: string) => swap.boundaries.find((b) => b.stage === stage)!.outcome;
    expect(at('LOAD-13.resolve')).toBe('!EINVAL/LD+swapped');
    expect(at('LOAD-13.attach')).toBe('ok');
    const update = r.races!.find((x) => x.race === 'update-unfrozen' && x.profile === 'v6.18')!;
    // KP-META-4 in another form: the hash was cached before the load, the blob changes under it.
    expect(update.boundaries.every((b) => b.outcome === 'ok*')).toBe(true);
  });

  it('the map-swap case of compare is the slot swap right after admission', () => {
    const r = runCompare({ profiles: ['v6.18'], cases: ['map-swap'], cross: false, identity: id });
    const c = r.cells[0]!;
    expect(c.race).toMatchObject({ boundary: 'LOAD-13' });
    expect(c.failedAt).toMatchObject({ syscall: 'BPF_PROG_TEST_RUN', stage: 'loader' });
    expect(c.falsePositive).toBe(true);
  });
});
