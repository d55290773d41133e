// `bpfsig skel load … --lsm …,ipe --ipe-policy FILE` end to end: the policy text reaches IPE, a
// denial is -EACCES with its IPE_ACCESS record, a bad policy is one line (file:line:column, errno)
// with exit 1, IPE's flags, a signed policy deployed through securityfs.
// spec: IPE-1..5, AUD-IPE-1..4.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { signPkcs7 } from '../../src/keys/sign.js';
import { IPE_BPF_SIGNED_ONLY_POLICY } from '../../src/lsm/ipe/example-policy.js';
import { readExampleObject } from '../../src/loader/examples.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { getProfile, registerProfile } from '../../src/syscall/profiles/index.js';
import { cli, cliJson, noStackTrace, tempDir } from './support.js';

registerProfile({ ...getProfile('v6.18-stable')!, name: 'test-ipe-cli', lsmIntegrityHooks: true });
const dir = tempDir('bpfsig-ipe-cli-');
const obj = openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o');
const header = join(dir, 'hello.lskel.h');
writeFileSync(header, makeSkeleton(obj, { toolchain: 'bpftool-7.7', name: obj.name }).header);
const policy = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const ipe4 = policy('ipe4.policy', IPE_BPF_SIGNED_ONLY_POLICY);
const load = (...args: string[]) => cli('skel', 'load', header, '--profile', 'test-ipe-cli', ...args);

describe('skel load with IPE', () => {
  it('[IPE-2][AUD-IPE-1] the unsigned skeleton under IPE-4 (no integrity LSM: verdict NONE): -EACCES at the loader\'s load, the IPE_ACCESS record in the timeline and the log', async () => {
    const r = await load('--lsm', 'ipe', '--ipe-policy', ipe4, '--audit');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/lsm {4}bpf_prog_load\(prog=__loader\.prog, .*\) {2}\[ipe\] → -13/);
    expect(r.out).toContain('audit  IPE_ACCESS ipe_op=BPF_PROG_LOAD ipe_hook=BPF_PROG_LOAD enforcing=1 pid=1000 comm="skel_loader" path=? dev=? ino=? rule="DEFAULT op=BPF_PROG_LOAD action=DENY"');
    expect(r.out).toMatch(/^type=UNKNOWN\[1420\] msg=audit\(\d+\.\d{3}:\d+\): ipe_op=BPF_PROG_LOAD /m);
    expect(r.out).toContain('result: -EACCES (-13)');
  });

  it('[AUD-IPE-1] --json carries the IPE record and the EACCES', async () => {
    const { code, json } = await cliJson('skel', 'load', header, '--profile', 'test-ipe-cli', '--lsm', 'ipe', '--ipe-policy', ipe4, '--json');
    expect(code).toBe(1);
    expect(json.errno).toBe('EACCES');
    expect((json.audit as string[]).filter((l) => l.startsWith('type=UNKNOWN[1420]'))).toHaveLength(1);
  });

  it('[AUD-IPE-1] --ipe-permissive: recorded with enforcing=0, and the skeleton loads', async () => {
    const r = await load('--lsm', 'ipe', '--ipe-policy', ipe4, '--ipe-permissive');
    expect(r.code).toBe(0);
    expect(r.out).toContain('enforcing=0');
  });

  it('[IPE-1] --ipe-revision v5 without an integrity LSM: IPE is never asked, the skeleton loads', async () => {
    const r = await load('--lsm', 'ipe', '--ipe-policy', ipe4, '--ipe-revision', 'v5');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('IPE_ACCESS');
  });

  it('[IPE-5] a bad policy: exit 3 (unusable input), one line with file, line, column and errno, no stack trace', async () => {
    const bad = policy('bad.policy', IPE_BPF_SIGNED_ONLY_POLICY.replace('bpf_signature=OK', 'bpf_signature=GOOD'));
    const r = await load('--lsm', 'ipe', '--ipe-policy', bad);
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(`${bad}:5:18: bad value in 'bpf_signature=GOOD'`);
    expect(r.err).toContain('(-EBADMSG)');
    expect(noStackTrace(r.err)).toBe(true);
  });

  it('[IPE-5] a bad version is -ERANGE; a missing file is an input error', async () => {
    const r = await load('--lsm', 'ipe', '--ipe-policy', policy('v.policy', 'policy_name=v policy_version=70000.0.0\nDEFAULT action=ALLOW\n'));
    expect([r.code, r.err.trim()]).toEqual([3, expect.stringMatching(/v\.policy:1:30: policy_version part '70000' is above 65535 \(-ERANGE\)$/)]);
    const m = await load('--lsm', 'ipe', '--ipe-policy', join(dir, 'nope.policy'));
    expect(m.code).toBe(3);
    expect(m.err).toContain("cannot read --ipe-policy");
  });

  it('[IPE-3] on a profile without the integrity hooks the IPE-4 policy is refused: -EBADMSG at op=BPF_PROG_LOAD', async () => {
    const r = await cli('skel', 'load', header, '--profile', 'v6.18', '--lsm', 'ipe', '--ipe-policy', ipe4);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`${ipe4}:3:9: unknown operation 'op=BPF_PROG_LOAD'`);
  });

  it('IPE flags without IPE in the stack are a usage error (exit 2)', async () => {
    for (const flags of [['--ipe-policy', ipe4], ['--ipe-permissive'], ['--lsm', 'signature-audit', '--ipe-success-audit']]) {
      const r = await load(...flags);
      expect(r.code).toBe(2);
      expect(r.err).toContain('needs IPE in the stack');
    }
    expect((await load('--lsm', 'ipe', '--ipe-revision', 'v6')).code).toBe(2);
  });

  it('[AUD-IPE-4] a signed policy with a builtin certificate: deployed through securityfs, IPE_POLICY_LOAD and IPE_CONFIG_CHANGE in the log', async () => {
    const id = makeSigningIdentity({ cn: 'ipe cli' });
    const cert = join(dir, 'cert.pem');
    writeFileSync(cert, id.certPem);
    const p7b = join(dir, 'ipe4.policy.p7b');
    writeFileSync(p7b, signPkcs7(new Uint8Array(Buffer.from(IPE_BPF_SIGNED_ONLY_POLICY)), { key: id.keyPem, cert: id.certPem, sid: 'issuer-serial', embedCertificate: true, attachContent: true }));
    const r = await load('--lsm', 'ipe', '--ipe-policy', p7b, '--cert', cert, '--keyring', 'builtin', '--audit');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^type=UNKNOWN\[1422\] .*policy_name="bpf_signed_only" .* res=1 errno=0$/m);
    expect(r.out).toMatch(/^type=UNKNOWN\[1421\] .*new_active_pol_name="bpf_signed_only"/m);
    expect(r.out).toMatch(/^#1 write\(/m);
    expect(r.out).toContain('rule="DEFAULT op=BPF_PROG_LOAD action=DENY"');
  });
});
