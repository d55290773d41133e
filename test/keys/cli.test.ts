// `bpfsig sign` and `bpfsig verify`, run through the CLI entry point with captured output.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_REJECTED } from '../../src/cli/cmd-verify.js';
import { main } from '../../src/cli/main.js';
import { makeCert, type TestCert } from './support/certs.js';
import { testData } from './support/env.js';
import { captureIo, tempDir, writeCert } from './support/io.js';

let dir: string;
let rsa: TestCert;
let ec: TestCert;
let other: TestCert;
let paths: Record<'rsa' | 'ec' | 'other', { cert: string; der: string; key: string }>;
let dataPath: string;

beforeAll(() => {
  dir = tempDir();
  rsa = makeCert({ cn: 'cli rsa' });
  ec = makeCert({ cn: 'cli p256', key: 'p256' });
  other = makeCert({ cn: 'cli other', keySlot: 20 });
  paths = { rsa: writeCert(dir, 'rsa', rsa), ec: writeCert(dir, 'ec', ec), other: writeCert(dir, 'other', other) };
  dataPath = join(dir, 'insns.bin');
  writeFileSync(dataPath, testData(2392, 'cli'));
});

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[]; bytes: Uint8Array[] }> {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr, bytes: io.bytes };
}

async function signTo(name: string, who: 'rsa' | 'ec', ...extra: string[]): Promise<string> {
  const out = join(dir, name);
  const r = await run('sign', '--key', paths[who].key, '--cert', paths[who].cert, '--in', dataPath, '--out', out, ...extra);
  expect(r.code).toBe(0);
  return out;
}

describe('bpfsig sign', () => {
  it('[PK7-CMS-2] writes a DER signature that the kernel model verifies', async () => {
    const sig = await signTo('rsa.sig', 'rsa');
    const r = await run('verify', '--in', dataPath, '--sig', sig, '--cert', paths.rsa.cert);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^OK PK7-VER-5: /);
  });
  it('[PK7-OSSL-3] RSA output is deterministic; without --out the bytes go to stdout', async () => {
    const a = await run('sign', '--key', paths.rsa.key, '--cert', paths.rsa.der, '--in', dataPath);
    const b = await run('sign', '--key', paths.rsa.key, '--cert', paths.rsa.cert, '--in', dataPath);
    expect(a.code).toBe(0);
    expect(Buffer.from(a.bytes[0]).equals(Buffer.from(b.bytes[0]))).toBe(true);
    expect(Buffer.from(a.bytes[0]).equals(readFileSync(await signTo('rsa2.sig', 'rsa')))).toBe(true);
  });
  it('[PK7-CMS-4] signs with a P-256 key', async () => {
    const sig = await signTo('ec.sig', 'ec');
    expect((await run('verify', '--in', dataPath, '--sig', sig, '--cert', paths.ec.der)).code).toBe(0);
  });
  it('bad inputs: a missing file and a key that is not PEM give exit 3 with a message; a mismatched key is refused', async () => {
    const missing = await run('sign', '--key', join(dir, 'nope.pem'), '--cert', paths.rsa.cert, '--in', dataPath);
    expect(missing.code).toBe(3);
    expect(missing.err.join('\n')).toMatch(/cannot read --key .*ENOENT/);
    expect(missing.err.join('\n')).not.toMatch(/at .*\.ts:\d+/);
    const notPem = await run('sign', '--key', dataPath, '--cert', paths.rsa.cert, '--in', dataPath);
    expect(notPem.code).toBe(3);
    expect(notPem.err[0]).toMatch(/not a PEM private key/);
    const mismatch = await run('sign', '--key', paths.ec.key, '--cert', paths.rsa.cert, '--in', dataPath);
    expect(mismatch.code).toBe(3);
    expect(mismatch.err[0]).toMatch(/does not match certificate/);
  });
  it('usage errors exit 2', async () => {
    expect((await run('sign', '--cert', paths.rsa.cert, '--in', dataPath)).code).toBe(2);
    expect((await run('sign', '--key', paths.rsa.key, '--cert', paths.rsa.cert, '--in', dataPath, '--sid', 'x')).code).toBe(2);
  });
});

describe('bpfsig verify', () => {
  it('[PK7-ERR-23] prints the errno name first, then the rule; exit 3 when rejected', async () => {
    const sig = await signTo('rsa3.sig', 'rsa');
    const r = await run('verify', '--in', dataPath, '--sig', sig, '--cert', paths.other.cert);
    expect(r.code).toBe(EXIT_REJECTED);
    expect(r.out[0].split(' ').slice(0, 2)).toEqual(['ENOKEY', 'PK7-TRUST-1:']);
  });
  it('[PK7-ERR-25] a tampered data file gives EKEYREJECTED', async () => {
    const sig = await signTo('rsa4.sig', 'rsa');
    const tampered = join(dir, 'tampered.bin');
    const d = testData(2392, 'cli');
    d[1] ^= 1;
    writeFileSync(tampered, d);
    const r = await run('verify', '--in', tampered, '--sig', sig, '--cert', paths.rsa.cert);
    expect(r.out[0]).toMatch(/^EKEYREJECTED PK7-TRUST-2/);
  });
  it('[PK7-KEY-1, PK7-KEY-7] --keyring places the certificates where asked: builtin, secondary, platform, session', async () => {
    const sig = await signTo('rsa5.sig', 'rsa');
    for (const [ring, type] of [
      ['builtin', 'BPF_SIG_KEYRING_BUILTIN'],
      ['secondary', 'BPF_SIG_KEYRING_SECONDARY'],
      ['platform', 'BPF_SIG_KEYRING_PLATFORM'],
      ['session', 'BPF_SIG_KEYRING_USER'],
    ]) {
      const r = await run('verify', '--in', dataPath, '--sig', sig, '--cert', `${paths.other.cert},${paths.rsa.cert}`, '--keyring', ring, '--json');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out[0]);
      expect(j).toMatchObject({ result: 'OK', ret: 0, errno: null, rule: 'PK7-VER-5', keyring: ring, keyringType: type });
    }
  });
  it('--json gives exactly one object with the errno and the rule', async () => {
    const r = await run('verify', '--in', dataPath, '--sig', dataPath, '--cert', paths.rsa.cert, '--json');
    expect(r.out).toHaveLength(1);
    expect(JSON.parse(r.out[0])).toMatchObject({ result: 'EBADMSG', ret: -74, errno: 'EBADMSG', rule: 'PK7-PARSE-2' });
  });
  it('[STB-1] --profile v6.18-stable bounds the signature at 8 KiB', async () => {
    const big = join(dir, 'big.sig');
    writeFileSync(big, new Uint8Array(9000));
    const a = await run('verify', '--in', dataPath, '--sig', big, '--cert', paths.rsa.cert, '--profile', 'v6.18-stable');
    expect(a.out[0]).toMatch(/^EINVAL STB-1/);
    const b = await run('verify', '--in', dataPath, '--sig', big, '--cert', paths.rsa.cert);
    expect(b.out[0]).toMatch(/^EBADMSG/);
  });
  it('bad input files: unreadable, not a certificate, a certificate the kernel cannot load → exit 3, one clear line', async () => {
    const sig = await signTo('rsa6.sig', 'rsa');
    const cases: [string[], RegExp][] = [
      [['--in', join(dir, 'missing'), '--sig', sig, '--cert', paths.rsa.cert], /cannot read --in/],
      [['--in', dataPath, '--sig', sig, '--cert', dataPath], /not a certificate/],
      [['--in', dataPath, '--sig', sig, '--cert', writeCert(dir, 'ed', makeCert({ cn: 'ed', key: 'ed25519' })).cert], /would not load .*ENOPKG/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run('verify', ...argv);
      expect(r.code).toBe(3);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(msg);
    }
  });
  it('usage errors exit 2 (missing --cert, unknown keyring)', async () => {
    expect((await run('verify', '--in', dataPath, '--sig', dataPath)).code).toBe(2);
    expect((await run('verify', '--in', dataPath, '--sig', dataPath, '--cert', paths.rsa.cert, '--keyring', 'machine')).code).toBe(2);
  });
});
