// Issue E acceptance: skeletons we generate load under the skeleton runtime exactly like bpftool's.
// For every shared fixture object and flavour (7.7 -L; 7.7 -S with the fixture key, the
// certificate in the session keyring; 7.1 -L) the header from `bpfsig gen skeleton` and bpftool's
// header are each read back and loaded on a fresh v6.18 kernel, and everything observable is
// compared: err, errstr, loader retval, every syscall (outer and nested: command, attr size,
// return), the objects created (type, name) and the audit log text. Objects that cannot load here
// (kfunc and lsm_deny_unsigned need kernel BTF) must fail the same way — the comparison is the point.
// spec: LSK-RUN-1..7, LSK-PROG-*, TC-BT77-3/4/5, TC-BT71-1, KP-META-1, OBS-AUD-1.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAuditd } from '../../src/audit/format.js';
import { readLightSkeleton } from '../../src/loader/lskel-reader.js';
import { runSkeleton, type SkelRun } from '../../src/scenarios/skel-run.js';
import { describeShared, fixturePath, readFixture, SHARED } from '../support/shared.js';
import { cli } from './support.js';

const FLAVOURS = [
  { flavour: 'v77', args: [] as string[], signed: false },
  { flavour: 'v77-signed', args: ['-S', '-k', 'KEY', '-i', 'CERT'], signed: true },
  { flavour: 'v71', args: ['--toolchain', 'bpftool-7.1'], signed: false },
] as const;

function fixtureObjects(): string[] {
  if (!SHARED) return [];
  const dir = fixturePath('bpf');
  return readdirSync(dir).filter((n) => existsSync(join(dir, n, `${n}.bpf.o`))).sort();
}

/** What a run shows from the outside. */
function observe(run: SkelRun) {
  const events = run.kernel.trace.events;
  const exits = new Map(events.flatMap((e) => (e.kind === 'exit' ? [[e.sys, e] as const] : [])));
  return {
    err: run.result.err,
    errstr: run.result.errstr,
    loaderRetval: run.result.loaderRetval,
    syscalls: events.flatMap((e) =>
      e.kind === 'syscall' ? [`${e.kernel ? '  ' : ''}${e.cmd ?? e.name}/${e.size ?? '-'} → ${exits.get(e.sys)?.ret}${exits.get(e.sys)?.errno ? ` ${exits.get(e.sys)!.errno}` : ''}`] : [],
    ),
    objects: events.flatMap((e) => (e.kind === 'object' && e.action === 'alloc_id' ? [`${e.type} ${e.id} '${e.name}'`] : [])),
    audit: formatAuditd(run.kernel.audit.records),
  };
}

describeShared('skeletons from bpfsig gen load like bpftool\'s', () => {
  const names = fixtureObjects();
  it('finds the fixture objects', () => expect(names.length).toBeGreaterThanOrEqual(4));
  const certDer = () => readFixture('keys', 'signing-rsa2048', 'cert.der');
  for (const name of names) {
    describe(name, () => {
      for (const { flavour, args, signed } of FLAVOURS) {
        it(`[LSK-RUN-1..7] ${name} ${flavour}: same result, syscalls (cmd/size → ret), objects and audit text as bpftool's header`, async () => {
          const argv = args.map((a) => (a === 'KEY' ? fixturePath('keys', 'signing-rsa2048', 'key.pem') : a === 'CERT' ? fixturePath('keys', 'signing-rsa2048', 'cert.pem') : a));
          const gen = await cli('gen', 'skeleton', ...argv, fixturePath('bpf', name, `${name}.bpf.o`));
          expect(gen.code).toBe(0);
          const ours = readLightSkeleton(gen.out, 'bpfsig');
          const theirs = readLightSkeleton(readFileSync(fixturePath('bpf', name, `${name}.${flavour}.lskel.h`), 'utf8'), 'bpftool');
          const setup = signed ? { certDer: certDer(), keyring: 'session' as const, keyDescription: 'signing-rsa2048' } : {};
          const a = observe(runSkeleton(ours, setup));
          const b = observe(runSkeleton(theirs, setup));
          expect(a).toEqual(b);
          // The comparison must have compared something: a loader ran, or the load stopped with an errno.
          expect(a.syscalls.length).toBeGreaterThanOrEqual(signed ? 5 : 4);
          if (name === 'minimal' || name === 'multi') expect(a).toMatchObject({ err: 0, loaderRetval: 0 });
        });
      }
    });
  }
});
