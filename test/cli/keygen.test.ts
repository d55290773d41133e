// The product-side certificate maker (src/keys/make-cert.ts) and `bpfsig keygen`: the certificate
// carries what the kernel's rules and bpftool need, the kernel model trusts it in every keyring
// placement, and OpenSSL (where installed) reads it, signs with it byte-identically to us and
// verifies our signatures with it.
// spec: PK7-KEY-6 (SKID matching), PK7-NOT-1/2 (no usage/validity checks), KP-TEST-2 (selftest
// genkey extensions), TC-BT77-3 (bpftool's CMS), PK7-CMS-3, PK7-OSSL-*.

import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EPOCH } from '../../src/keys/clock.js';
import { makeCertificate, makeSigningIdentity, subjectPublicKeyBits } from '../../src/keys/make-cert.js';
import { signPkcs7 } from '../../src/keys/sign.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { cli, noStackTrace, tempDir } from './support.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const withOpenssl = hasOpenssl ? it : it.skip;
const opensslNote = hasOpenssl ? '' : ' (skipped: openssl not found)';

describe('makeCertificate / makeSigningIdentity', () => {
  const id = makeSigningIdentity({ cn: 'unit test key' });

  it('[PK7-KEY-6, KP-TEST-2] the kernel model takes the certificate into a keyring; SKID = SHA-1 of the key bits; a broken self-signature is refused', () => {
    const skid = createHash('sha1').update(subjectPublicKeyBits(id.privateKey).bits).digest('hex');
    expect(Buffer.from(id.certificate.skid!).toString('hex')).toBe(skid);
    expect(new Kernel().keys.load_secondary_certificate(id.certDer)).toBeGreaterThan(0);
    const broken = makeCertificate({ cn: 'broken', publicKey: id.privateKey, privateKey: id.privateKey, signTbs: () => new Uint8Array(256).fill(7) });
    expect(new Kernel().keys.load_secondary_certificate(broken.der)).toBeLessThan(0);
  });

  it('[PK7-NOT-2] the default validity covers the emulated clock (2025-11-30) and today', () => {
    // Read the two UTCTime values back from the tbsCertificate bytes.
    const text = Buffer.from(id.certificate.tbs).toString('latin1');
    const times = [...text.matchAll(/\x17\x0d(\d{12})Z/g)].map((m) => m[1]!);
    expect(times).toEqual(['250101000000', '491231235959']);
    const notBefore = Date.UTC(2025, 0, 1) / 1000;
    const notAfter = Date.UTC(2049, 11, 31, 23, 59, 59) / 1000;
    expect(DEFAULT_EPOCH).toBeGreaterThan(notBefore);
    expect(DEFAULT_EPOCH).toBeLessThan(notAfter);
    expect(Date.now() / 1000).toBeLessThan(notAfter);
  });

  it('the certificate length does not depend on the key (so demo output stays the same)', () => {
    const lengths = new Set([0, 1, 2].map(() => makeSigningIdentity({ cn: 'x' }).certDer.length));
    expect(lengths.size).toBe(1);
  });

  it('options: no SKID, CA basic constraints, an issuer, a given serial, GeneralizedTime after 2049', () => {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ca = makeCertificate({ cn: 'ca', publicKey: kp.publicKey, privateKey: kp.privateKey, keyUsage: 'keyCertSign', basicConstraints: 'ca' });
    const leaf = makeCertificate({
      cn: 'leaf',
      publicKey: id.privateKey,
      issuer: { name: ca.subjectName, privateKey: kp.privateKey, skid: ca.skid! },
      serial: 0x1234n,
      skid: false,
      notAfter: new Date('2060-01-01T00:00:00Z'),
    });
    expect(leaf.skid).toBeUndefined();
    expect(Buffer.from(leaf.issuerName).equals(Buffer.from(ca.subjectName))).toBe(true);
    expect(Buffer.from(leaf.serialTlv).toString('hex')).toBe('02021234');
    expect(Buffer.from(leaf.tbs).toString('latin1')).toContain('\x18\x0f20600101000000Z');
    // bpftool refuses a signer certificate without SKID ("certificate has no keyid").
    expect(() => signPkcs7(new Uint8Array(8), { key: id.privateKey, cert: leaf.der })).toThrow(/no keyid/);
  });
});

describe('bpfsig keygen', () => {
  it('writes key.pem (0600), cert.pem and cert.der; cert.der is cert.pem in DER; refuses to overwrite without --force', async () => {
    const dir = join(tempDir(), 'keys');
    const r = await cli('keygen', '--out', dir, '--cn', 'my key');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/subjectKeyIdentifier [0-9a-f]{40}/);
    for (const f of ['key.pem', 'cert.pem', 'cert.der']) expect(existsSync(join(dir, f))).toBe(true);
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    const pem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const body = pem.replace(/-----[A-Z ]+-----|\s/g, '');
    expect(Buffer.from(body, 'base64').equals(readFileSync(join(dir, 'cert.der')))).toBe(true);
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    const again = await cli('keygen', '--out', dir);
    expect(again.code).toBe(3);
    expect(again.err).toMatch(/key\.pem exists \(use --force to overwrite\)/);
    writeFileSync(join(dir, 'key.pem'), 'old', { mode: 0o644 });
    const forced = await cli('keygen', '--out', dir, '--force');
    expect(forced.code).toBe(0);
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
  });

  it('bad usage exits 2 with the usage', async () => {
    const r = await cli('keygen');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out DIR is required/);
    expect(r.err).toMatch(/usage: bpfsig keygen/);
    expect(noStackTrace(r.err)).toBe(true);
  });

  it('[PK7-KEY-1, KP-SIG-2] a skeleton signed with a keygen identity loads with the certificate in each keyring placement', async () => {
    const dir = tempDir();
    expect((await cli('keygen', '--out', dir)).code).toBe(0);
    const gen = await cli('gen', 'skeleton', '-S', '-k', join(dir, 'key.pem'), '-i', join(dir, 'cert.pem'), join('examples', 'bpf', 'hello.bpf.o'));
    expect(gen.code).toBe(0);
    const header = join(dir, 'hello.lskel.h');
    writeFileSync(header, gen.out);
    for (const [keyring, id] of [['session', -3], ['builtin', 0], ['secondary', 1], ['platform', 2]] as const) {
      const r = await cli('skel', 'load', header, '--cert', join(dir, 'cert.der'), '--keyring', keyring, '--json');
      const j = JSON.parse(r.out);
      expect({ keyring, code: r.code, result: j.result }).toEqual({ keyring, code: 0, result: 0 });
      expect(j.keyring).toMatchObject({ placement: keyring, keyringId: id, cert: true });
    }
  });

  withOpenssl(`openssl reads the certificate's extensions, signs byte-identically to bpfsig with bpftool's CMS options, and verifies bpfsig's signature${opensslNote}`, async () => {
    const dir = tempDir();
    expect((await cli('keygen', '--out', dir)).code).toBe(0);
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const text = spawnSync('openssl', ['x509', '-in', cert, '-noout', '-text'], { encoding: 'utf8' });
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/X509v3 Subject Key Identifier/);
    expect(text.stdout).toMatch(/X509v3 Key Usage: critical\s+Digital Signature/);
    expect(text.stdout).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(spawnSync('openssl', ['x509', '-in', cert, '-noout', '-checkend', '0']).status).toBe(0);

    const data = join(dir, 'insns.bin');
    writeFileSync(data, createHash('sha512').update('loader').digest());
    const theirs = spawnSync('openssl', ['cms', '-sign', '-binary', '-noattr', '-nocerts', '-keyid', '-md', 'sha256', '-outform', 'DER', '-signer', cert, '-inkey', key, '-in', data]);
    expect(theirs.status).toBe(0);
    const ours = signPkcs7(new Uint8Array(readFileSync(data)), { key: readFileSync(key), cert: readFileSync(cert) });
    expect(Buffer.from(ours).equals(theirs.stdout)).toBe(true);

    const sig = join(dir, 'sig.der');
    writeFileSync(sig, ours);
    const verify = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', data, '-certfile', cert, '-CAfile', cert, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    expect(verify.stderr).toMatch(/Verification successful/);
  });
});
