// The shared signed fixtures (bpftool 7.7 skeleton signatures and extra-signatures/), verified the
// way BPF_PROG_LOAD verifies them. Skipped, by name, when ../shared is not there.

import { readFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { bpf_prog_verify_signature } from '../../src/keys/bpf-prog-signature.js';
import { KeyService } from '../../src/keys/key-service.js';
import { KLog } from '../../src/keys/klog.js';
import { pkcs7_parse_message } from '../../src/keys/pkcs7-parse.js';
import { KEY_SPEC_SESSION_KEYRING } from '../../src/keys/process-keyrings.js';
import { signPkcs7 } from '../../src/keys/sign.js';
import { Errno } from '../../src/syscall/errno.js';
import { describeShared, fixturePath, readFixture } from '../support/shared.js';
import { flip, verify } from './support/env.js';

const OBJECTS = ['minimal', 'multi', 'kfunc', 'lsm_deny_unsigned'];
const cert = (name: string): Uint8Array => readFixture('keys', name, 'cert.der');
const insns = (o: string, v = 'v77-signed'): Uint8Array => readFixture('bpf', o, `${o}.${v}.insns.bin`);
const sigOf = (o: string): Uint8Array => readFixture('bpf', o, `${o}.v77-signed.sig.der`);
const extra = (f: string): Uint8Array => readFixture('bpf', 'minimal', 'extra-signatures', f);

function builtinWith(...names: string[]): KeyService {
  const ks = new KeyService();
  for (const n of names) expect(ks.load_builtin_certificate(cert(n))).toBeGreaterThanOrEqual(3);
  return ks;
}

describeShared('shared fixtures: bpftool 7.7 skeleton signatures', () => {
  for (const o of OBJECTS) {
    describe(o, () => {
      it('[PK7-CMS-2, PK7-TRUST-4] verifies over the signed loader insns with signing-rsa2048 in the builtin ring', () => {
        expect(verify(builtinWith('signing-rsa2048'), sigOf(o), insns(o))).toMatchObject({ ret: 0, rule: 'PK7-VER-5' });
      });
      it('[PK7-KEY-7, KP-SIG-2] verifies the bpftool prog load -S way: cert added to the session keyring, keyring_id -3', () => {
        const ks = new KeyService();
        const proc = ks.createProcessKeyrings(0);
        expect(proc.add_key('asymmetric', 'keys/signing-rsa2048/cert.pem', cert('signing-rsa2048'), KEY_SPEC_SESSION_KEYRING)).toBeGreaterThan(2);
        const sig = sigOf(o);
        const r = bpf_prog_verify_signature(
          ks,
          { keyringId: KEY_SPEC_SESSION_KEYRING, signatureSize: sig.length, copySignature: () => sig, insns: insns(o), proc },
          { copyErrorsAsEnomem: true, systemDataVerification: true },
        );
        expect(r).toMatchObject({ ret: 0, keyringType: 'BPF_SIG_KEYRING_USER' });
      });
      it('[PK7-ERR-25] one flipped byte of the insns (first, middle, last) gives EKEYREJECTED', () => {
        const ks = builtinWith('signing-rsa2048');
        const d = insns(o);
        for (const at of [0, d.length >> 1, d.length - 1]) {
          expect(verify(ks, sigOf(o), flip(d, at))).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-TRUST-2' });
        }
      });
      it('[PK7-ERR-25] every flipped byte of the 256-byte signature value gives EKEYREJECTED', () => {
        const ks = builtinWith('signing-rsa2048');
        const s = sigOf(o);
        for (let at = s.length - 256; at < s.length; at++) expect(verify(ks, flip(s, at), insns(o)).ret).toBe(-Errno.EKEYREJECTED);
      });
      it('[PK7-ERR-23] with only the untrusted or the no-SKID certificate in the ring it gives ENOKEY', () => {
        expect(verify(builtinWith('untrusted-rsa2048'), sigOf(o), insns(o))).toMatchObject({ ret: -Errno.ENOKEY, rule: 'PK7-TRUST-1' });
        expect(verify(builtinWith('noskid-rsa2048'), sigOf(o), insns(o)).ret).toBe(-Errno.ENOKEY);
        expect(verify(new KeyService(), sigOf(o), insns(o)).ret).toBe(-Errno.ENOKEY);
      });
      it('[TC-BT77-6] the signature covers the loader insns, not the data blob or the unsigned v7.7 insns', () => {
        const ks = builtinWith('signing-rsa2048');
        expect(verify(ks, sigOf(o), readFixture('bpf', o, `${o}.v77-signed.data.bin`)).ret).toBe(-Errno.EKEYREJECTED);
        expect(verify(ks, sigOf(o), insns(o, 'v77')).ret).toBe(-Errno.EKEYREJECTED);
      });
      it('[PK7-CMS-3, PK7-OSSL-1] our signer reproduces the fixture byte for byte from the insns and the shared key', () => {
        const ours = signPkcs7(insns(o), {
          key: readFileSync(fixturePath('keys', 'signing-rsa2048', 'key.pem'), 'latin1'),
          cert: readFileSync(fixturePath('keys', 'signing-rsa2048', 'cert.pem')),
        });
        expect(Buffer.from(ours).equals(Buffer.from(sigOf(o)))).toBe(true);
      });
    });
  }

  it('[PK7-PARSE-2..10] every one-bit flip of the minimal signature is refused, except in fields the kernel ignores', () => {
    // Offsets per PK7-CMS-3: 26 digestAlgorithms SET tag, 32–40 its OID content, 54 signerInfos SET tag,
    // 113 the rsaEncryption NULL parameter (ANY): SET↔SEQUENCE is an accepted CHOICE, the top-level
    // digest list and the algorithm parameters are never checked.
    const ks = builtinWith('signing-rsa2048');
    const s = sigOf('minimal');
    const d = insns('minimal');
    const accepted: string[] = [];
    for (let at = 0; at < s.length; at++) {
      for (const mask of [0x01, 0x80]) if (verify(ks, flip(s, at, mask), d).ret === 0) accepted.push(`${at}/${mask}`);
    }
    const expected = ['26/1', '54/1', '113/1', '113/128'];
    for (let at = 32; at <= 40; at++) expected.push(`${at}/1`, `${at}/128`);
    expect(accepted.sort()).toEqual(expected.sort());
  });

  it('[PK7-JS-3, PK7-REC-1] pkijs and our parser agree on the structure of every fixture signature', () => {
    for (const o of OBJECTS) {
      const raw = sigOf(o);
      const msg = pkcs7_parse_message(raw, { cfg: new KeyService().config }, new KLog());
      expect(typeof msg).toBe('object');
      if (typeof msg !== 'object') return;
      const ci = pkijs.ContentInfo.fromBER(raw);
      expect(ci.contentType).toBe('1.2.840.113549.1.7.2');
      const sd = new pkijs.SignedData({ schema: ci.content });
      const si = sd.signerInfos[0];
      expect(msg.version).toBe(sd.version);
      expect(sd.certificates).toBeUndefined();
      expect(sd.encapContentInfo.eContent).toBeUndefined();
      expect(msg.dataType).toBe('data');
      expect(msg.signedInfos).toHaveLength(sd.signerInfos.length);
      expect(si.version).toBe(3);
      const sid = si.sid as asn1js.Primitive;
      expect(msg.signedInfos[0].sig.authIds[0]!.hex).toBe(Buffer.from(sid.valueBlock.valueHexView).toString('hex'));
      expect(si.digestAlgorithm.algorithmId).toBe('2.16.840.1.101.3.4.2.1');
      expect(msg.signedInfos[0].sig.hashAlgo).toBe('sha256');
      expect(si.signatureAlgorithm.algorithmId).toBe('1.2.840.113549.1.1.1');
      expect(msg.signedInfos[0].sig.pkeyAlgo).toBe('rsa');
      expect(Buffer.from(msg.signedInfos[0].sig.s).equals(Buffer.from(si.signature.valueBlock.valueHexView))).toBe(true);
      expect(si.signedAttrs).toBeUndefined();
      expect(msg.haveAuthattrs).toBe(false);
    }
  });
});

interface ExtraManifest {
  signatures: Record<
    string,
    {
      signer: string;
      structure: { signerinfo_sid: string; has_signed_attributes: boolean };
      cms_verify_with_own_cert: { rc: number };
      cms_verify_with_signing_rsa2048_cert: { rc: number };
    }
  >;
}

describeShared('shared fixtures: bpf/minimal/extra-signatures (as their manifest describes them)', () => {
  const manifest = (): ExtraManifest => JSON.parse(readFileSync(fixturePath('bpf', 'minimal', 'extra-signatures', 'manifest.json'), 'utf8'));
  const d = (): Uint8Array => insns('minimal');

  it('[PK7-OSSL-4, PK7-OSSL-5] where OpenSSL accepts with the signer\'s own cert, the kernel model accepts too, except signed attributes with S/MIME capabilities', () => {
    for (const [file, m] of Object.entries(manifest().signatures)) {
      const ownName = m.signer.replace(/^keys\//, '');
      const v = verify(builtinWith(ownName), extra(file), d());
      if (m.structure.has_signed_attributes) {
        // OpenSSL says "CMS Verification successful"; the kernel refuses S/MIME caps outside Authenticode.
        expect(m.cms_verify_with_own_cert.rc).toBe(0);
        expect(v).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-PARSE-12' });
      } else {
        expect(m.cms_verify_with_own_cert.rc).toBe(0);
        expect(v.ret).toBe(0);
      }
    }
  });

  it('[PK7-ERR-23] where OpenSSL fails with signing-rsa2048, the kernel model finds no key (ENOKEY)', () => {
    for (const [file, m] of Object.entries(manifest().signatures)) {
      const v = verify(builtinWith('signing-rsa2048'), extra(file), d());
      if (m.structure.has_signed_attributes) expect(v.ret).toBe(-Errno.EKEYREJECTED);
      else {
        expect(m.cms_verify_with_signing_rsa2048_cert.rc).toBe(4);
        expect(v).toMatchObject({ ret: -Errno.ENOKEY });
      }
    }
  });

  it('[PK7-EC-1, PK7-EC-2, PK7-CMS-4] the bpftool P-256 signature verifies with signing-p256 and fails on tampered insns', () => {
    const ks = builtinWith('signing-p256');
    const sig = extra('minimal.v77-signed-p256.sig.der');
    expect(sig.length).toBe(178);
    expect(verify(ks, sig, d()).ret).toBe(0);
    expect(verify(ks, sig, flip(d(), 99)).ret).toBe(-Errno.EKEYREJECTED);
  });

  it('[PK7-PARSE-7, PK7-PARSE-16] the issuer+serial signature matches the no-SKID certificate by its serial‖issuer id', () => {
    const sig = extra('sig-noskid-rsa2048-issuer-serial.der');
    expect(verify(builtinWith('noskid-rsa2048'), sig, d()).ret).toBe(0);
    const msg = pkcs7_parse_message(sig, { cfg: new KeyService().config }, new KLog());
    expect(typeof msg === 'object' && [msg.version, msg.signedInfos[0].sig.authIds[0]!.data.length > 20]).toEqual([1, true]);
  });

  it('[PK7-OSSL-2] the signed-attribute signature is refused for its S/MIME capabilities, before any key is looked at', () => {
    expect(verify(new KeyService(), extra('sig-rsa2048-with-signed-attrs.der'), d())).toMatchObject({
      ret: -Errno.EKEYREJECTED,
      detail: 'PKCS7: S/MIME Caps only allowed with Authenticode',
    });
  });
});
