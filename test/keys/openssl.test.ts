// Interop with the real OpenSSL: its signatures verify in the kernel model, ours verify in
// `openssl cms -verify`, and our RSA signatures are byte-identical to `openssl cms -sign`.
// Skipped, by name, when openssl is not on PATH. OpenSSL judges CMS validity, not kernel errnos
// (PK7-OSSL-5).

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateToDer } from '../../src/keys/pem.js';
import { signPkcs7, type SignOptions } from '../../src/keys/sign.js';
import { Errno } from '../../src/syscall/errno.js';
import { ksWith, testData, verify } from './support/env.js';
import { tempDir } from './support/io.js';
import type { TestCert } from './support/certs.js';

const HAS_OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const describeOpenssl = (title: string, fn: () => void): void => {
  if (HAS_OPENSSL) describe(title, fn);
  else describe.skip(`${title} (skipped: openssl not on PATH)`, fn);
};

function openssl(...args: string[]): { status: number; stderr: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status ?? -1, stderr: r.stderr };
}

interface OsslKey {
  key: string;
  cert: string;
  certDer: Uint8Array;
}

let dir: string;
let rsa: OsslKey;
let ec: OsslKey;

function makeOsslKey(name: string, newkey: string[]): OsslKey {
  const key = join(dir, `${name}.key.pem`);
  const cert = join(dir, `${name}.cert.pem`);
  const r = openssl('req', '-x509', ...newkey, '-nodes', '-keyout', key, '-out', cert, '-days', '3650', '-sha256', '-subj', `/CN=bpfsig interop ${name}`, '-addext', 'subjectKeyIdentifier=hash');
  expect(r.status, r.stderr).toBe(0);
  return { key, cert, certDer: certificateToDer(new Uint8Array(readFileSync(cert))) };
}

const asTestCert = (k: OsslKey): TestCert => ({ der: k.certDer }) as TestCert;

function writeData(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** openssl cms -sign with bpftool's flags (minus the ones given in `drop`), DER out. */
function osslSign(k: OsslKey, dataPath: string, extra: string[] = [], drop: string[] = []): Uint8Array {
  const out = join(dir, `ossl-${Math.random().toString(36).slice(2)}.der`);
  const flags = ['-md', 'sha256', '-nocerts', '-noattr', '-nosmimecap', '-keyid'].filter((f) => !drop.includes(f));
  if (drop.includes('-md')) flags.splice(flags.indexOf('sha256'), 1);
  const r = openssl('cms', '-sign', '-binary', '-in', dataPath, '-signer', k.cert, '-inkey', k.key, ...flags, ...extra, '-outform', 'DER', '-out', out);
  expect(r.status, r.stderr).toBe(0);
  return new Uint8Array(readFileSync(out));
}

/** openssl cms -verify as the fixtures' manifest does (PK7-OSSL-4). */
function osslVerify(k: OsslKey, sig: Uint8Array, dataPath: string): number {
  const sigPath = writeData(`sig-${Math.random().toString(36).slice(2)}.der`, sig);
  return openssl('cms', '-verify', '-binary', '-inform', 'DER', '-in', sigPath, '-content', dataPath, '-certfile', k.cert, '-CAfile', k.cert, '-purpose', 'any', '-out', join(dir, 'content.out')).status;
}

const ourSign = (k: OsslKey, data: Uint8Array, o: Partial<SignOptions> = {}): Uint8Array =>
  signPkcs7(data, { key: readFileSync(k.key, 'latin1'), cert: readFileSync(k.cert), ...o });

describeOpenssl('openssl interop', () => {
  beforeAll(() => {
    dir = tempDir('bpfsig-openssl-');
    rsa = makeOsslKey('rsa', ['-newkey', 'rsa:2048']);
    ec = makeOsslKey('p256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']);
  });

  describe('our RSA signatures are byte-identical to openssl cms -sign [PK7-OSSL-1, PK7-CMS-3]', () => {
    const sizes: [string, Uint8Array][] = [
      ['1 byte', Uint8Array.of(0x95)],
      ['2392 bytes of loader-like data', testData(2392, 'ossl')],
      ['data full of \\n bytes', new Uint8Array(512).fill(0x0a)],
      ['100 000 bytes', testData(100000, 'big')],
    ];
    for (const [what, data] of sizes) {
      it(`bpftool flags (-keyid -noattr -nocerts -md sha256), ${what}`, () => {
        const p = writeData(`d-${data.length}.bin`, data);
        expect(Buffer.from(ourSign(rsa, data)).equals(Buffer.from(osslSign(rsa, p)))).toBe(true);
      });
    }
    it('issuer+serial signer id (no -keyid) [PK7-OSSL-2]', () => {
      const data = testData(777, 'ias');
      const p = writeData('ias.bin', data);
      expect(Buffer.from(ourSign(rsa, data, { sid: 'issuer-serial' })).equals(Buffer.from(osslSign(rsa, p, [], ['-keyid'])))).toBe(true);
    });
    it('with the certificate embedded (no -nocerts)', () => {
      const data = testData(300, 'embed');
      const p = writeData('embed.bin', data);
      expect(Buffer.from(ourSign(rsa, data, { embedCertificate: true })).equals(Buffer.from(osslSign(rsa, p, [], ['-nocerts'])))).toBe(true);
    });
    for (const md of ['sha384', 'sha512'] as const) {
      it(`with -md ${md}`, () => {
        const data = testData(500, md);
        const p = writeData(`${md}.bin`, data);
        expect(Buffer.from(ourSign(rsa, data, { digest: md })).equals(Buffer.from(osslSign(rsa, p, ['-md', md], ['-md'])))).toBe(true);
      });
    }
  });

  describe('openssl cms -verify accepts what we sign [PK7-OSSL-4, PK7-REC-3]', () => {
    const data = testData(2392, 'verify-ours');
    const variants: [string, () => OsslKey, Partial<SignOptions>][] = [
      ['RSA, bpftool structure', () => rsa, {}],
      ['P-256, bpftool structure', () => ec, {}],
      ['RSA, issuer+serial', () => rsa, { sid: 'issuer-serial' }],
      ['P-256, signed attributes', () => ec, { signedAttributes: true }],
      ['RSA, signed attributes with an extra attribute', () => rsa, { signedAttributes: { extra: [{ oid: '1.3.6.1.4.1.99999.7', values: [Uint8Array.of(0x04, 0x02, 0xca, 0xfe)] }] } }],
      ['RSA, embedded certificate', () => rsa, { embedCertificate: true }],
    ];
    for (const [what, key, o] of variants) {
      it(what, () => {
        const p = writeData('verify-ours.bin', data);
        const sig = ourSign(key(), data, o);
        expect(osslVerify(key(), sig, p)).toBe(0);
        const bad = data.slice();
        bad[10] ^= 1;
        expect(osslVerify(key(), sig, writeData('verify-ours-bad.bin', bad))).not.toBe(0);
      });
    }
  });

  describe('the kernel model on signatures made by openssl [PK7-OSSL-1, PK7-OSSL-2]', () => {
    const data = testData(2392, 'theirs');
    const p = (): string => writeData('theirs.bin', data);
    it('RSA and P-256 with bpftool flags verify; tampered data gives EKEYREJECTED', () => {
      const ks = ksWith([asTestCert(rsa), asTestCert(ec)]);
      for (const k of [rsa, ec]) {
        const sig = osslSign(k, p());
        expect(verify(ks, sig, data)).toMatchObject({ ret: 0, rule: 'PK7-VER-5' });
        const bad = data.slice();
        bad[0] ^= 1;
        expect(verify(ks, sig, bad).ret).toBe(-Errno.EKEYREJECTED);
      }
    });
    it('without -keyid (issuer+serial, versions 1/1) it verifies too', () => {
      expect(verify(ksWith([asTestCert(rsa)]), osslSign(rsa, p(), [], ['-keyid']), data).ret).toBe(0);
    });
    it('without -noattr but with -nosmimecap the signed attributes are allowed for BPF (INFERRED)', () => {
      expect(verify(ksWith([asTestCert(rsa)]), osslSign(rsa, p(), [], ['-noattr']), data).ret).toBe(0);
    });
    it('without -noattr and -nosmimecap, the S/MIME capabilities give EKEYREJECTED', () => {
      expect(verify(ksWith([asTestCert(rsa)]), osslSign(rsa, p(), [], ['-noattr', '-nosmimecap']), data)).toMatchObject({
        ret: -Errno.EKEYREJECTED,
        rule: 'PK7-PARSE-12',
      });
    });
    it('without -binary, OpenSSL canonicalises line endings and the signature no longer covers the raw bytes', () => {
      const text = new Uint8Array(Buffer.from('line one\nline two\n'));
      const tp = writeData('text.bin', text);
      const out = join(dir, 'text.der');
      expect(openssl('cms', '-sign', '-in', tp, '-signer', rsa.cert, '-inkey', rsa.key, '-md', 'sha256', '-nocerts', '-noattr', '-keyid', '-outform', 'DER', '-out', out).status).toBe(0);
      expect(verify(ksWith([asTestCert(rsa)]), new Uint8Array(readFileSync(out)), text).ret).toBe(-Errno.EKEYREJECTED);
    });
  });
});
