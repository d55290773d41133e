// ausearch (audit 3.0.9) reads the whole audit log of IPE runs: a signed policy deployed through
// securityfs (IPE_POLICY_LOAD, IPE_CONFIG_CHANGE in write events), IPE_ACCESS denials and, with
// success auditing, allows, inside the PROG_LOAD and PROG_TEST_RUN events. Skipped by name when
// ausearch is not installed (.ci/run installs auditd).
// spec: AUD-TOOL-1, AUD-TOOL-2, AUD-TYPE-2, AUD-EMIT-1, AUD-IPE-1..4.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAuditd } from '../../src/audit/format.js';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { signPkcs7 } from '../../src/keys/sign.js';
import type { IntegrityVerdict, LsmModule } from '../../src/lsm/hooks.js';
import { IPE_BPF_SIGNED_ONLY_POLICY } from '../../src/lsm/ipe/example-policy.js';
import type { LsmOptions } from '../../src/lsm/registry.js';
import { readExampleObject } from '../../src/loader/examples.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { runSkeleton } from '../../src/scenarios/skel-run.js';
import { getProfile, registerProfile } from '../../src/syscall/profiles/index.js';

registerProfile({ ...getProfile('v6.18-stable')!, name: 'test-ipe-ausearch', lsmIntegrityHooks: true });
const obj = openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o');
const skel = makeSkeleton(obj, { toolchain: 'bpftool-7.7', name: obj.name }).skeleton;
const id = makeSigningIdentity({ cn: 'ipe ausearch' });
const integrity = (user: IntegrityVerdict, kern: IntegrityVerdict): LsmModule => ({
  name: 'toy-integrity',
  hooks: { bpf_prog_load_integrity: (a) => a.postIntegrity({ name: 'toy-integrity', id: 999 }, a.kernel ? kern : user) },
});
const run = (user: IntegrityVerdict, kern: IntegrityVerdict, lsmOptions: LsmOptions) =>
  runSkeleton(skel, { profile: 'test-ipe-ausearch', lsm: [integrity(user, kern), 'ipe'], lsmOptions, certDer: id.certDer, keyring: 'builtin' });

function logFile(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bpfsig-ipe-audit-')), 'audit.log');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
const ausearch = (...args: string[]) => spawnSync('ausearch', args, { encoding: 'utf8' });

const AUSEARCH = spawnSync('sh', ['-c', 'command -v ausearch'], { stdio: 'ignore' }).status === 0;
describe.skipIf(!AUSEARCH)(`[AUD-TOOL-1] ausearch reads IPE runs${AUSEARCH ? '' : ' (skipped: ausearch not installed)'}`, () => {
  const signed = signPkcs7(new Uint8Array(Buffer.from(IPE_BPF_SIGNED_ONLY_POLICY)), { key: id.keyPem, cert: id.certPem, sid: 'issuer-serial', embedCertificate: true, attachContent: true });
  const denied = run('UNSIGNED', 'UNSIGNED', { ipePolicySigned: signed });
  const allowed = run('OK', 'UNSIGNED', { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY, ipeSuccessAudit: true });
  const runs = { denied, allowed };

  it.each(Object.keys(runs) as (keyof typeof runs)[])('[AUD-IPE-1] %s run: `ausearch -if FILE --raw` returns every line of the file', (name) => {
    const lines = formatAuditd(runs[name].kernel.audit.records);
    const r = ausearch('-if', logFile(lines), '--raw');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([...lines].sort());
  });

  it('[AUD-IPE-1][AUD-TYPE-2] `ausearch -m 1420` finds the denial event: UNKNOWN[1420] with its SYSCALL (exit=-13) and PROCTITLE', () => {
    const lines = formatAuditd(denied.kernel.audit.records);
    const out = execFileSync('ausearch', ['-if', logFile(lines), '-m', '1420', '--raw'], { encoding: 'utf8' }).trim().split('\n');
    expect(out.map((l) => l.split(' ')[0])).toEqual(['type=UNKNOWN[1420]', 'type=SYSCALL', 'type=PROCTITLE']);
    expect(out[0]).toContain('rule="DEFAULT op=BPF_PROG_LOAD action=DENY"');
    expect(out[1]).toMatch(/ success=no exit=-13 a0=5 /);
  });

  it('[AUD-IPE-1] `ausearch -m 1420` finds both allows of the success-audited run (loader in PROG_LOAD, inner program in PROG_TEST_RUN)', () => {
    const file = logFile(formatAuditd(allowed.kernel.audit.records));
    const out = execFileSync('ausearch', ['-if', file, '-m', '1420', '--raw'], { encoding: 'utf8' });
    const ipe = out.split('\n').filter((l) => l.startsWith('type=UNKNOWN[1420]'));
    expect(ipe.map((l) => /rule="([^"]*)"/.exec(l)![1])).toEqual(['op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW', 'op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW']);
    const interp = execFileSync('ausearch', ['-if', file, '-m', '1420', '-i'], { encoding: 'utf8' });
    expect(interp).toContain('a0=BPF_PROG_LOAD');
    expect(interp).toContain('a0=BPF_PROG_TEST_RUN');
  });

  it('[AUD-IPE-4] `ausearch -m 1422` and `-m 1421` find the policy load and activation in their write events', () => {
    const file = logFile(formatAuditd(denied.kernel.audit.records));
    const load = execFileSync('ausearch', ['-if', file, '-m', '1422', '--raw'], { encoding: 'utf8' });
    expect(load).toMatch(/^type=UNKNOWN\[1422\] .*policy_name="bpf_signed_only" policy_version=0\.0\.1 policy_digest=sha256:[0-9A-F]{64} .* res=1 errno=0$/m);
    expect(load).toMatch(/^type=SYSCALL .* syscall=1 success=yes /m);
    const change = execFileSync('ausearch', ['-if', file, '-m', '1421', '-i'], { encoding: 'utf8' });
    expect(change).toContain('syscall=write');
    expect(change).toContain('new_active_pol_name="bpf_signed_only"');
  });
});
