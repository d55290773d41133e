// A signed IPE policy deployed through securityfs at startup: `cat policy.p7b > ipe/new_policy`,
// `echo 1 > ipe/policies/<name>/active`, with the IPE_POLICY_LOAD and IPE_CONFIG_CHANGE records
// in those write(2) events; and the boot policy, which IPE's init loads without a record.
// spec: AUD-IPE-4, IPE-5, AUD-SER-1.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFields } from '../../src/audit/format.js';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { signPkcs7 } from '../../src/keys/sign.js';
import type { LsmModule } from '../../src/lsm/hooks.js';
import { IPE_BPF_SIGNED_ONLY_POLICY } from '../../src/lsm/ipe/example-policy.js';
import type { IpeModule } from '../../src/lsm/ipe/ipe.js';
import type { LsmOptions } from '../../src/lsm/registry.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { getProfile, registerProfile } from '../../src/syscall/profiles/index.js';
import { ProgType } from '../../src/syscall/uapi/consts.js';
import { BpfClient } from '../../src/loader/bpf.js';

registerProfile({ ...getProfile('v6.18-stable')!, name: 'test-ipe-securityfs', lsmIntegrityHooks: true });
const RET0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
const id = makeSigningIdentity({ cn: 'ipe policy signer' });
const other = makeSigningIdentity({ cn: 'someone else' });
/** What `openssl smime -sign -noattr -nodetach -nosmimecap -binary -outform der` makes. */
const sign = (text: string, who = id) =>
  signPkcs7(new Uint8Array(Buffer.from(text)), { key: who.keyPem, cert: who.certPem, sid: 'issuer-serial', embedCertificate: true, attachContent: true });

function boot(lsmOptions: LsmOptions, certs: Uint8Array[] = [id.certDer]) {
  const k = new Kernel({ profile: 'test-ipe-securityfs', lsm: ['ipe'], lsmOptions, builtinCerts: certs });
  const ipe = (k.lsm['modules' as never] as unknown as LsmModule[]).find((m) => m.name === 'ipe') as IpeModule;
  return { k, ipe };
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').toUpperCase();

describe('IPE policy deployment', () => {
  it('[AUD-IPE-4] a signed policy: IPE_POLICY_LOAD in the new_policy write, IPE_CONFIG_CHANGE in the activation write, each with its SYSCALL', () => {
    const p7 = sign(IPE_BPF_SIGNED_ONLY_POLICY);
    const { k, ipe } = boot({ ipePolicySigned: p7, ipePolicyFile: 'bpf-signed-only.policy.p7b' });
    expect(ipe.state.active?.parsed.name).toBe('bpf_signed_only');
    const evs = k.audit.events();
    expect(evs.map((e) => e.records.map((r) => r.type))).toEqual([
      ['IPE_POLICY_LOAD', 'SYSCALL', 'PROCTITLE', 'EOE'],
      ['IPE_CONFIG_CHANGE', 'SYSCALL', 'PROCTITLE', 'EOE'],
    ]);
    const load = evs[0]!.records;
    expect(load[0]!.body).toBe(`policy_name="bpf_signed_only" policy_version=0.0.1 policy_digest=sha256:${sha(p7)} auid=4294967295 ses=4294967295 lsm=ipe res=1 errno=0`);
    const sc = parseFields(load[1]!.body);
    expect([sc.syscall, sc.success, sc.exit, sc.a0, sc.a2, sc.comm]).toEqual(['1', 'yes', String(p7.length), '1', p7.length.toString(16), 'cat']);
    const act = evs[1]!.records;
    expect(act[0]!.body).toBe(
      `old_active_pol_name=? old_active_pol_version=? old_policy_digest=? new_active_pol_name="bpf_signed_only" new_active_pol_version=0.0.1 new_policy_digest=sha256:${sha(p7)} auid=4294967295 ses=4294967295 lsm=ipe res=1`,
    );
    expect(parseFields(act[1]!.body).exit).toBe('2');
    // The deployed policy decides: an unsigned userspace load with no integrity LSM is NONE → denied.
    const c = new BpfClient(k.spawn());
    expect(c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: RET0 }).res.errno).toBe('EACCES');
  });

  it('[AUD-IPE-4] a boot policy (plain text) is active from IPE\'s init and writes no record', () => {
    const { k, ipe } = boot({ ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY });
    expect(ipe.state.active?.parsed.name).toBe('bpf_signed_only');
    expect(k.audit.records).toEqual([]);
  });

  it('[AUD-IPE-4] a signed policy on top of a boot policy: the activation record names the old policy, whose digest is of no PKCS#7 at all', () => {
    const boot0 = IPE_BPF_SIGNED_ONLY_POLICY.replace('bpf_signed_only', 'boot').replace('0.0.1', '0.0.0');
    const p7 = sign(IPE_BPF_SIGNED_ONLY_POLICY);
    const { k } = boot({ ipePolicy: boot0, ipePolicySigned: p7 });
    const change = k.audit.records.find((r) => r.type === 'IPE_CONFIG_CHANGE')!;
    expect(change.body).toMatch(/^old_active_pol_name="boot" old_active_pol_version=0\.0\.0 old_policy_digest=sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 new_active_pol_name="bpf_signed_only"/);
  });

  it('[AUD-IPE-4] an older signed policy than the boot policy loads but cannot be activated (-EINVAL, no IPE_CONFIG_CHANGE)', () => {
    const boot9 = IPE_BPF_SIGNED_ONLY_POLICY.replace('0.0.1', '9.0.0');
    const { k, ipe } = boot({ ipePolicy: boot9, ipePolicySigned: sign(IPE_BPF_SIGNED_ONLY_POLICY.replace('bpf_signed_only', 'newer')) });
    // The failed activation logs no record, so its write has no audit event (AUD-SER-3); the trace has it.
    expect(k.audit.records.map((r) => r.type)).toEqual(['IPE_POLICY_LOAD', 'SYSCALL', 'PROCTITLE', 'EOE']);
    const writes = k.trace.events.filter((e) => e.kind === 'exit' && e.name === 'write').map((e) => (e as { ret: number }).ret);
    expect(writes.slice(1)).toEqual([-22]);
    expect(ipe.state.active?.parsed.version.major).toBe(9);
  });

  it.each<[string, () => Uint8Array, Uint8Array[], number]>([
    ['a key not in the builtin keyring', () => sign(IPE_BPF_SIGNED_ONLY_POLICY, other), [id.certDer], -126],
    ['a bad policy inside a good signature', () => sign('policy_name=x policy_version=1.0\nDEFAULT action=ALLOW'), [id.certDer], -74],
    // verify_pkcs7_signature(NULL, 0, …) digests the absent content as empty: the signature does not verify.
    ['a detached signature (no policy inside)', () => signPkcs7(new Uint8Array(Buffer.from(IPE_BPF_SIGNED_ONLY_POLICY)), { key: id.keyPem, cert: id.certPem }), [id.certDer], -129],
  ])('[AUD-IPE-4] %s: the write fails, IPE_POLICY_LOAD says res=0 with the errno, no policy is active', (_what, make, certs, errno) => {
    const { k, ipe } = boot({ ipePolicySigned: make() }, certs);
    expect(ipe.state.active).toBeNull();
    const rec = k.audit.records[0]!;
    expect(rec.type).toBe('IPE_POLICY_LOAD');
    expect(rec.body).toBe(`policy_name=? policy_version=? policy_digest=? auid=4294967295 ses=4294967295 lsm=ipe res=0 errno=${errno}`);
    expect(parseFields(k.audit.records[1]!.body).exit).toBe(String(errno));
    expect(k.audit.records.some((r) => r.type === 'IPE_CONFIG_CHANGE')).toBe(false);
  });

  it('[IPE-5] the parse error of a signed policy is in the trace, with line and column', () => {
    const { k } = boot({ ipePolicySigned: sign('policy_name=x policy_version=1.0\nDEFAULT action=ALLOW'), ipePolicyFile: 'x.p7b' });
    const notes = k.trace.events.filter((e) => e.kind === 'note').map((e) => (e as { text: string }).text);
    expect(notes).toContain("ipe: x.p7b:1:30: policy_version '1.0' must be major.minor.rev (-EBADMSG)");
  });
});

const HAS_OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
describe.skipIf(!HAS_OPENSSL)(`[AUD-IPE-4] a policy signed by openssl smime as ipe.rst says${HAS_OPENSSL ? '' : ' (skipped: openssl not installed)'}`, () => {
  it('deploys and activates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfsig-ipe-'));
    const [pol, cert, key, out] = ['p.policy', 'cert.pem', 'key.pem', 'p.policy.p7b'].map((f) => join(dir, f)) as [string, string, string, string];
    writeFileSync(pol, IPE_BPF_SIGNED_ONLY_POLICY);
    writeFileSync(cert, id.certPem);
    writeFileSync(key, id.keyPem);
    execFileSync('openssl', ['smime', '-sign', '-in', pol, '-signer', cert, '-inkey', key, '-noattr', '-nodetach', '-nosmimecap', '-binary', '-outform', 'der', '-out', out]);
    const { k, ipe } = boot({ ipePolicySigned: new Uint8Array(readFileSync(out)) });
    expect(ipe.state.active?.parsed.text).toBe(IPE_BPF_SIGNED_ONLY_POLICY);
    expect(k.audit.records.filter((r) => r.type.startsWith('IPE_')).map((r) => parseFields(r.body).res)).toEqual(['1', '1']);
  });
});
