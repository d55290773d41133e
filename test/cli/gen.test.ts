// `bpfsig gen skeleton` and `bpfsig gen loader` through the command line: for every shared fixture
// object the header, loader, data, exclusive-map hash and signature are byte-identical to bpftool's
// (7.7 -L, 7.7 -S with the fixture key, 7.1 -L); bpftool's flag rules; bad input.
// (Library-level identity is tested in test/loader/gen-loader-fixtures.test.ts; this is the CLI.)
// spec: TC-BT77-2 (flags, -S/-k/-i errors), TC-BT77-3 (CMS signature, excl_prog_hash), TC-BT77-5,
// TC-BT71-1, LSK-HDR-1..3, LSK-MK-4.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCertificate, makeSigningIdentity } from '../../src/keys/make-cert.js';
import { readLightSkeleton } from '../../src/loader/lskel-reader.js';
import { describeShared, fixturePath, readFixture, SHARED } from '../support/shared.js';
import { cli, cliJson, noStackTrace, tempDir } from './support.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const KEY = () => fixturePath('keys', 'signing-rsa2048', 'key.pem');
const CERT = () => fixturePath('keys', 'signing-rsa2048', 'cert.pem');
const HELLO = join('examples', 'bpf', 'hello.bpf.o');

function fixtureObjects(): string[] {
  if (!SHARED) return [];
  const dir = fixturePath('bpf');
  return readdirSync(dir).filter((n) => existsSync(join(dir, n, `${n}.bpf.o`))).sort();
}

describeShared('bpfsig gen on every shared fixture object: byte-identical to bpftool', () => {
  const names = fixtureObjects();
  it('finds the fixture objects', () => expect(names.length).toBeGreaterThanOrEqual(4));
  for (const name of names) {
    const obj = () => fixturePath('bpf', name, `${name}.bpf.o`);
    const bin = (f: string) => hex(readFixture('bpf', name, `${name}.${f}`));

    it(`[TC-BT77-5, LSK-HDR-2] ${name}: gen skeleton -L → header identical to bpftool 7.7's; insns and data identical to the .bin blobs`, async () => {
      const r = await cli('gen', 'skeleton', '-L', obj());
      expect(r.code).toBe(0);
      expect(r.out).toBe(readFileSync(fixturePath('bpf', name, `${name}.v77.lskel.h`), 'utf8'));
      const s = readLightSkeleton(r.out);
      expect(hex(s.insns)).toBe(bin('v77.insns.bin'));
      expect(hex(s.data)).toBe(bin('v77.data.bin'));
      expect(s.signature).toBeUndefined();
    });

    it(`[TC-BT77-3, TC-BT77-5] ${name}: gen skeleton -S -k -i (fixture key) → insns, data, excl hash and signature identical to bpftool 7.7 -S`, async () => {
      const r = await cli('gen', 'skeleton', '-S', '-k', KEY(), '-i', CERT(), obj());
      expect(r.code).toBe(0);
      expect(r.out).toBe(readFileSync(fixturePath('bpf', name, `${name}.v77-signed.lskel.h`), 'utf8'));
      const s = readLightSkeleton(r.out);
      expect(hex(s.insns)).toBe(bin('v77-signed.insns.bin'));
      expect(hex(s.data)).toBe(bin('v77-signed.data.bin'));
      expect(hex(s.exclHash!)).toBe(bin('v77-signed.excl_hash.bin'));
      expect(hex(s.signature!)).toBe(bin('v77-signed.sig.der'));
    });

    it(`[TC-BT71-1] ${name}: gen skeleton -L --toolchain bpftool-7.1 → insns and data identical to bpftool 7.1's`, async () => {
      const r = await cli('gen', 'skeleton', '-L', '--toolchain', 'bpftool-7.1', obj());
      expect(r.code).toBe(0);
      const s = readLightSkeleton(r.out);
      expect(s.style).toBe('bpftool-7.1');
      expect(hex(s.insns)).toBe(bin('v71.insns.bin'));
      expect(hex(s.data)).toBe(bin('v71.data.bin'));
    });

    it(`${name}: gen loader -S --json → lowercase hex identical to the blobs, excl hash = SHA-256(insns), ctx size = the header's`, async () => {
      const { code, json } = await cliJson('gen', 'loader', obj(), '-S', '-k', KEY(), '-i', CERT(), '--json');
      expect(code).toBe(0);
      expect(json).toMatchObject({
        profile: 'bpftool-7.7',
        insns: bin('v77-signed.insns.bin'),
        data: bin('v77-signed.data.bin'),
        signature: bin('v77-signed.sig.der'),
        exclHash: bin('v77-signed.excl_hash.bin'),
      });
      expect(json.exclHash).toBe(createHash('sha256').update(Buffer.from(json.insns, 'hex')).digest('hex'));
      expect(json.ctx.size).toBe(readLightSkeleton(readFileSync(fixturePath('bpf', name, `${name}.v77.lskel.h`), 'utf8')).ctxSize);
      const unsigned = await cliJson('gen', 'loader', obj(), '--json');
      expect(unsigned.json).toMatchObject({ insns: bin('v77.insns.bin'), data: bin('v77.data.bin'), signature: null, exclHash: null });
    });
  }
});

describe('bpfsig gen on the examples (no fixtures needed)', () => {
  it('gen skeleton: -L is implied; name NAME (bpftool syntax) and --name rename the struct and the internal maps', async () => {
    const plain = await cli('gen', 'skeleton', HELLO);
    const withL = await cli('gen', 'skeleton', '-L', HELLO);
    expect(plain.code).toBe(0);
    expect(plain.out).toBe(withL.out);
    expect(readLightSkeleton(plain.out).name).toBe('hello_bpf');
    const named = await cli('gen', 'skeleton', HELLO, 'name', 'greeter');
    const named2 = await cli('gen', 'skeleton', '--name', 'greeter', HELLO);
    expect(named.out).toBe(named2.out);
    expect(readLightSkeleton(named.out).name).toBe('greeter');
    expect(Buffer.from(readLightSkeleton(named.out).data).includes('greeter.rodata')).toBe(true);
  });

  it('[TC-BT77-2] bpftool\'s -S/-k/-i rules: -S needs both -k and -i; -k/-i need -S; 7.1 cannot sign', async () => {
    const dir = tempDir();
    const id = makeSigningIdentity();
    writeFileSync(join(dir, 'key.pem'), id.keyPem);
    writeFileSync(join(dir, 'cert.pem'), id.certPem);
    const noKey = await cli('gen', 'skeleton', '-S', '-i', join(dir, 'cert.pem'), HELLO);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toMatch(/-i <identity_x509_cert> and -k <private_key> must be supplied with -S for signing/);
    const noS = await cli('gen', 'skeleton', '-k', join(dir, 'key.pem'), '-i', join(dir, 'cert.pem'), HELLO);
    expect(noS.code).toBe(2);
    expect(noS.err).toMatch(/--sign \(or -S\) must be explicitly passed/);
    const v71 = await cli('gen', 'skeleton', '-S', '-k', join(dir, 'key.pem'), '-i', join(dir, 'cert.pem'), '--toolchain', 'bpftool-7.1', HELLO);
    expect(v71.code).toBe(2);
    expect(v71.err).toMatch(/bpftool-7\.1 cannot sign/);
    const ok = await cli('gen', 'skeleton', '-S', '-k', join(dir, 'key.pem'), '-i', join(dir, 'cert.pem'), HELLO);
    expect(ok.code).toBe(0);
    const s = readLightSkeleton(ok.out);
    expect(s.signature!.length).toBe(375);
    expect(s.hasKeyringId).toBe(true);
  });

  it('unusable keys and certificates exit 3: a key that does not match, a certificate without SKID, not a PEM key', async () => {
    const dir = tempDir();
    const a = makeSigningIdentity();
    const b = makeSigningIdentity();
    const noSkid = makeCertificate({ cn: 'no skid', publicKey: a.privateKey, privateKey: a.privateKey, skid: false });
    writeFileSync(join(dir, 'a.pem'), a.keyPem);
    writeFileSync(join(dir, 'b-cert.pem'), b.certPem);
    writeFileSync(join(dir, 'noskid.der'), noSkid.der);
    writeFileSync(join(dir, 'junk.pem'), 'hello');
    const cases: [string, string, RegExp][] = [
      ['a.pem', 'b-cert.pem', /private key does not match certificate/],
      ['a.pem', 'noskid.der', /certificate has no keyid/],
      ['junk.pem', 'b-cert.pem', /not a PEM private key/],
      ['a.pem', 'missing.pem', /cannot read certificate '.*missing\.pem': ENOENT/],
    ];
    for (const [k, c, msg] of cases) {
      const r = await cli('gen', 'skeleton', '-S', '-k', join(dir, k), '-i', join(dir, c), HELLO);
      expect({ k, c, code: r.code }).toEqual({ k, c, code: 3 });
      expect(r.err).toMatch(msg);
      expect(noStackTrace(r.err)).toBe(true);
    }
  });

  it('not an object, a missing object, bad usage', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.bpf.o'), 'not an ELF file at all');
    const notElf = await cli('gen', 'skeleton', join(dir, 'x.bpf.o'));
    expect(notElf.code).toBe(3);
    expect(notElf.err).toMatch(/x\.bpf\.o: not a usable BPF object \(elf\)/);
    const missing = await cli('gen', 'loader', join(dir, 'nope.o'), '--json');
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/cannot read object '.*nope\.o': ENOENT/);
    for (const argv of [['gen'], ['gen', 'object', HELLO], ['gen', 'skeleton'], ['gen', 'skeleton', HELLO, 'extra'], ['gen', 'skeleton', HELLO, '--json'], ['gen', 'loader', HELLO, '--name', 'x'], ['gen', 'skeleton', HELLO, '--toolchain', 'bpftool-9'], ['gen', 'skeleton', HELLO, '--name', '1bad-name']]) {
      const r = await cli(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err).toMatch(/usage: bpfsig gen skeleton/);
    }
  });

  it('gen loader without --json: a summary of sizes, hashes and the ctx layout', async () => {
    const r = await cli('gen', 'loader', HELLO);
    expect(r.code).toBe(0);
    const { json } = await cliJson('gen', 'loader', HELLO, '--json');
    expect(r.out).toContain(`insns      ${json.insns.length / 16} instructions`);
    expect(r.out).toContain(`sha256 ${createHash('sha256').update(Buffer.from(json.data, 'hex')).digest('hex')}`);
    expect(r.out).toMatch(/signature {2}none \(unsigned\)/);
    expect(r.out).toContain(`ctx        ${json.ctx.size} bytes`);
    for (const m of json.ctx.maps) expect(r.out).toContain(`desc at ctx+${m.offset}`);
  });
});
