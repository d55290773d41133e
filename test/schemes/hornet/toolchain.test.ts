// The hornet toolchains and `bpfsig sign --hornet-map`: what gen_sig makes (TC-HGS-1) — PKCS#7 over
// the loader instructions, an issuer-and-serial signer, signed attributes with the metadata map's
// hash in OID_hornet_data, no S/MIME capabilities — accepted by the kernel's PKCS#7 rules and by
// `openssl cms -verify` (skipped by name without openssl), in both map-entry forms.
// spec: TC-HGS-1, HN-ASN1-1..4, HN-KP-1, PK7-USE-1, PK7-PARSE-11/12, PK7-OSSL-4, MHASH-7, LSK-BLOB-2

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentOf, readChildren, readTlv, type Tlv } from '../../../src/keys/ber.js';
import { KeyService } from '../../../src/keys/key-service.js';
import { DEFAULT_EPOCH } from '../../../src/keys/clock.js';
import { KLog } from '../../../src/keys/klog.js';
import { makeCertificate } from '../../../src/keys/make-cert.js';
import { decodeOid, OIDS } from '../../../src/keys/oid.js';
import { pkcs7_parse_message } from '../../../src/keys/pkcs7-parse.js';
import { readExampleObject } from '../../../src/loader/examples.js';
import { candidateToolchains, signatureForm } from '../../../src/loader/lskel-identify.js';
import { readLightSkeleton } from '../../../src/loader/lskel-reader.js';
import { makeSkeleton, openObjectBytes } from '../../../src/scenarios/make-skeleton.js';
import { runSkeleton } from '../../../src/scenarios/skel-run.js';
import { hornetMapHash } from '../../../src/schemes/hornet/hornet-data.js';
import { cli, tempDir } from '../../cli/support.js';
import { captureIo } from '../../keys/support/io.js';
import { main } from '../../../src/cli/main.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { hornetSkeletons, identity, ipe4StandIn } from './support.js';

const HAS_OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const itOpenssl = HAS_OPENSSL ? it : it.skip;
const osslNote = HAS_OPENSSL ? '' : ' (skipped: openssl not on PATH)';

const obj = openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o');
const made = hornetSkeletons(obj);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The SignerInfo's version, its signed attributes (oid → values as TLV hex) and its sid tag. */
function anatomy(sig: Uint8Array) {
  const ks = new KeyService();
  const msg = pkcs7_parse_message(sig, { cfg: ks.config }, new KLog());
  if (typeof msg === 'number') throw new Error(`parse failed ${msg}`);
  const si = msg.signedInfos[0]!;
  const attrs = new Map<string, string[]>();
  const tlv = si.authattrsTlv ? readTlv(si.authattrsTlv, 0)! : undefined;
  for (const a of tlv ? readChildren(si.authattrsTlv!, tlv)! : []) {
    const [oid, values] = readChildren(si.authattrsTlv!, a)! as [Tlv, Tlv];
    attrs.set(decodeOid(contentOf(si.authattrsTlv!, oid))!, readChildren(si.authattrsTlv!, values)!.map((v) => hex(si.authattrsTlv!.subarray(v.start, v.end))));
  }
  return { version: msg.version, attrs, msg };
}

describe('the hornet toolchains (gen_sig\'s signature over a bpftool 7.7 -S skeleton)', () => {
  it('[TC-HGS-1][HN-ASN1-1][HN-ASN1-2] hornet: signed attributes contentType, signingTime, messageDigest = SHA-256(insns), and OID_hornet_data = SEQUENCE { SET OF { SEQUENCE { sha } } } with SHA-256(data)', () => {
    const { loader } = made.hornet;
    const a = anatomy(loader.signature!);
    expect([...a.attrs.keys()].sort()).toEqual([OIDS.contentType, OIDS.messageDigest, OIDS.signingTime, OIDS.hornet_data].sort());
    expect(a.attrs.get(OIDS.messageDigest)).toEqual([`0420${sha256(loader.insns)}`]);
    expect(a.attrs.get(OIDS.hornet_data)).toEqual([`3026` + `3124` + `3022` + `0420${sha256(loader.data)}`]);
    // LSK-BLOB-2: the blob is a multiple of 8, so SHA-256(data) is the kernel's array-map hash (MHASH-7)
    expect(loader.data.length % 8).toBe(0);
    expect(hex(hornetMapHash(loader.data))).toBe(sha256(loader.data));
  });

  it('[TC-HGS-1] gen_sig names the signer by issuer and serial (no CMS_USE_KEYID): SignedData and SignerInfo version 1', () => {
    expect(anatomy(made.hornet.loader.signature!).version).toBe(1);
    expect(made.hornet.skeleton.signature!.length).toBe(made.hornet.loader.signature!.length);
    // bpftool 7.7 is unchanged: SKID signer, no signed attributes
    const b = anatomy(made.bpftool.loader.signature!);
    expect(b.version).toBe(3);
    expect(b.attrs.size).toBe(0);
  });

  it('[HN-ASN1-2] hornet-indexed (gen_sig as posted): the entry carries fd_array index 0, the loader\'s map', () => {
    expect(anatomy(made.indexed.loader.signature!).attrs.get(OIDS.hornet_data)).toEqual([`3029` + `3127` + `3025` + `020100` + `0420${sha256(made.indexed.loader.data)}`]);
  });

  it('[HN-ASN1-4][PK7-PARSE-12] no S/MIME capabilities attribute, which the kernel would refuse for a BPF signature', () => {
    for (const m of [made.hornet, made.indexed]) expect(anatomy(m.loader.signature!).attrs.has(OIDS.smimeCapabilites)).toBe(false);
  });

  it('[HN-KP-1][PK7-USE-1] the kernel\'s PKCS#7 rules accept it over the loader instructions (verify_pkcs7_signature, VERIFYING_BPF_SIGNATURE), not over the data blob', () => {
    const ks = new KeyService();
    expect(ks.load_builtin_certificate(identity.certDer)).toBeGreaterThan(0);
    for (const m of [made.hornet, made.indexed]) {
      expect(ks.verify_pkcs7_signature(m.loader.insns, m.loader.signature!, 0, 'VERIFYING_BPF_SIGNATURE').ret).toBe(0);
      expect(ks.verify_pkcs7_signature(m.loader.data, m.loader.signature!, 0, 'VERIFYING_BPF_SIGNATURE').ret).toBeLessThan(0);
    }
  });

  it('[HN-KP-1] the hornet skeleton loads on KP\'s kernels too (v6.18-stable): the loader, the flow and the metadata check are bpftool 7.7\'s', () => {
    const r = runSkeleton(made.hornet.skeleton, { profile: 'v6.18-stable', certDer: identity.certDer, keyring: 'session' });
    expect(r.result.err).toBe(0);
    expect(r.toolchain).toBe('hornet');
  });

  it('[TC-HGS-1][TC-BT77-5] a header\'s toolchain is told from its signature\'s form: bpftool 7.7 (SKID, no attributes), hornet / hornet-indexed (the one whose attribute this loader\'s data gives first); unsigned, all fit and bpftool 7.7 comes first', () => {
    const names = (skel: typeof made.hornet.skeleton) => candidateToolchains(skel).map((t) => t.name).filter((n) => n.startsWith('hornet') || n === 'bpftool-7.7');
    expect(names(made.bpftool.skeleton)).toEqual(['bpftool-7.7']);
    expect(names(made.hornet.skeleton)).toEqual(['hornet', 'hornet-indexed']);
    expect(names(made.indexed.skeleton)).toEqual(['hornet-indexed', 'hornet']);
    // unsigned, the header is bpftool 7.7's whichever of them wrote it; bpftool 7.7 comes first
    expect(names(made.unsigned.skeleton)).toEqual(['bpftool-7.7', 'hornet', 'hornet-indexed']);
    // data changed after signing: the form still says gen_sig, neither attribute matches exactly
    const tampered = { ...made.indexed.skeleton, data: made.indexed.skeleton.data.map((b, i) => (i === 100 ? b ^ 1 : b)) };
    expect(names(tampered)).toEqual(['hornet', 'hornet-indexed']);
    const form = signatureForm(made.hornet.loader.signature!)!;
    expect(form.sid).toBe('issuer-serial');
    expect([...form.attributes!.keys()]).toContain(OIDS.hornet_data);
  });

  it('[TC-HGS-1] reproducible: with a fixed signing time the same object and key give the same bytes; another time, another signature', () => {
    const again = makeSkeleton(obj, { toolchain: 'hornet', identity, name: obj.name });
    expect(hex(again.loader.signature!)).toBe(hex(made.hornet.loader.signature!));
    const later = makeSkeleton(obj, { toolchain: 'hornet', identity, name: obj.name, signingTime: new Date('2026-06-01T00:00:00Z') });
    expect(hex(later.loader.signature!)).not.toBe(hex(made.hornet.loader.signature!));
  });

  itOpenssl(`[PK7-OSSL-4] openssl cms -verify accepts both forms over the loader instructions and refuses them over the data blob${osslNote}`, () => {
    const dir = tempDir('bpfsig-hornet-');
    const cert = join(dir, 'cert.pem');
    writeFileSync(cert, identity.certPem);
    for (const [name, m] of [['hornet', made.hornet], ['indexed', made.indexed]] as const) {
      const sig = join(dir, `${name}.p7s`);
      const insns = join(dir, `${name}.insns`);
      const data = join(dir, `${name}.data`);
      writeFileSync(sig, m.loader.signature!);
      writeFileSync(insns, m.loader.insns);
      writeFileSync(data, m.loader.data);
      const verify = (content: string) =>
        spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', content, '-certfile', cert, '-CAfile', cert, '-purpose', 'any', '-out', join(dir, 'out')], { encoding: 'utf8' });
      const ok = verify(insns);
      expect(ok.status, ok.stderr).toBe(0);
      expect(verify(data).status).not.toBe(0);
    }
  });
});

describe('bpfsig gen skeleton -S --toolchain hornet', () => {
  it('[TC-HGS-1] writes a header whose opts_sig is gen_sig\'s; it loads on hornet-v7 with Hornet\'s verdict OK', async () => {
    const dir = tempDir('bpfsig-hornet-gen-');
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    writeFileSync(key, identity.keyPem);
    writeFileSync(cert, identity.certPem);
    const obj = join(dir, 'hello.bpf.o');
    writeFileSync(obj, readExampleObject('hello')!);
    const r = await cli('gen', 'skeleton', '-S', '-k', key, '-i', cert, '--toolchain', 'hornet', obj);
    expect(r.code, r.err).toBe(0);
    const skel = readLightSkeleton(r.out, 'hello.lskel.h');
    // SOURCE_DATE_EPOCH fixes the signing time: the same bytes as the library's skeleton (keys clock epoch)
    process.env.SOURCE_DATE_EPOCH = String(DEFAULT_EPOCH);
    try {
      const again = await cli('gen', 'skeleton', '-S', '-k', key, '-i', cert, '--toolchain', 'hornet', obj);
      expect(hex(readLightSkeleton(again.out, 'hello.lskel.h').signature!)).toBe(hex(made.hornet.loader.signature!));
      process.env.SOURCE_DATE_EPOCH = 'yesterday';
      const bad = await cli('gen', 'skeleton', '-S', '-k', key, '-i', cert, '--toolchain', 'hornet', obj);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/SOURCE_DATE_EPOCH must be a number of seconds/);
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
    const a = anatomy(skel.signature!);
    expect(a.attrs.get(OIDS.hornet_data)).toEqual([`3026312430220420${sha256(skel.data)}`]);
    const seen: string[] = [];
    const run = runSkeleton(skel, { profile: 'hornet-v7', lsm: [ipe4StandIn(seen), 'hornet'], certDer: identity.certDer, keyring: 'session' });
    expect(run.result.err).toBe(0);
    expect(seen[0]).toMatch(/^__loader\.prog:user:hornet\/114:OK$/);
  });

  it('[TC-HGS-1] a certificate without subjectKeyIdentifier is fine for gen_sig\'s issuer-serial signer (bpftool\'s -keyid would refuse it)', async () => {
    const c = makeCertificate({ cn: 'no skid', publicKey: identity.privateKey, privateKey: identity.privateKey, skid: false });
    const dir = tempDir('bpfsig-hornet-noskid-');
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.der');
    writeFileSync(key, identity.keyPem);
    writeFileSync(cert, c.der);
    const obj = join(dir, 'hello.bpf.o');
    writeFileSync(obj, readExampleObject('hello')!);
    expect((await cli('gen', 'skeleton', '-S', '-k', key, '-i', cert, '--toolchain', 'hornet', obj)).code).toBe(0);
    const b = await cli('gen', 'skeleton', '-S', '-k', key, '-i', cert, '--toolchain', 'bpftool-7.7', obj);
    expect(b.code).toBe(EXIT.INPUT);
    expect(b.err).toMatch(/no keyid/);
  });
});

describe('bpfsig sign --hornet-map FILE[:INDEX]', () => {
  const dir = tempDir('bpfsig-hornet-sign-');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const insns = join(dir, 'insns.bin');
  const map = join(dir, 'map.bin');
  writeFileSync(key, identity.keyPem);
  writeFileSync(cert, identity.certPem);
  writeFileSync(insns, made.hornet.loader.insns);
  writeFileSync(map, made.hornet.loader.data);
  const run = async (...argv: string[]) => {
    const io = captureIo();
    const code = await main(['sign', '--key', key, '--cert', cert, '--in', insns, ...argv], io);
    return { code, err: io.stderr.join('\n'), sig: io.bytes[0] };
  };

  it('[TC-HGS-1] FILE: the fixed form; FILE:INDEX: the v7 form — byte for byte what the toolchains embed (same signing time)', async () => {
    process.env.SOURCE_DATE_EPOCH = String(Math.floor(new Date('2025-11-30T00:00:00Z').getTime() / 1000));
    try {
      const plain = await run('--hornet-map', map);
      const indexed = await run('--hornet-map', `${map}:0`);
      expect(plain.code, plain.err).toBe(0);
      expect(hex(plain.sig!)).toBe(hex(made.hornet.loader.signature!));
      expect(hex(indexed.sig!)).toBe(hex(made.indexed.loader.signature!));
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
  });

  it('[TC-HGS-1] several maps, each hashed from its file; `bpfsig verify` (the kernel\'s rules) accepts the result', async () => {
    const map2 = join(dir, 'map2.bin');
    writeFileSync(map2, new Uint8Array(16).fill(9));
    const out = join(dir, 'two.p7s');
    const r = await run('--hornet-map', `${map}:0`, '--hornet-map', `${map2}:1`, '--out', out);
    expect(r.code, r.err).toBe(0);
    const values = anatomy(readFileSync(out)).attrs.get(OIDS.hornet_data)![0]!;
    expect(values).toContain(`020100`);
    expect(values).toContain(`020101`);
    expect(values).toContain(createHash('sha256').update(new Uint8Array(16).fill(9)).digest('hex'));
    expect((await cli('verify', '--in', insns, '--sig', out, '--cert', cert)).code).toBe(0);
  });

  it('usage errors: mixing the two forms, a missing map file, more than 64 maps', async () => {
    const mixed = await run('--hornet-map', map, '--hornet-map', `${map}:1`);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/:INDEX on every map .* or on none/);
    const missing = await run('--hornet-map', join(dir, 'nope.bin'));
    expect(missing.code).toBe(EXIT.INPUT);
    expect(missing.err).toMatch(/cannot read --hornet-map .*nope\.bin/);
    const many = await run(...Array.from({ length: 65 }, () => ['--hornet-map', map]).flat());
    expect(many.code).toBe(2);
    expect(many.err).toMatch(/at most 64 maps/);
  });
});
