// Spec 03 §9, the failure → errno table: one describe per row, each test building the offending
// DER (or key state) and asserting the errno and the rule that produced it.

import { constants, createHash, privateEncrypt } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpf_prog_verify_signature, type ProgSignatureProfile } from '../../src/keys/bpf-prog-signature.js';
import { KeyVirtualClock } from '../../src/keys/clock.js';
import { KeyService, VERIFY_USE_PLATFORM_KEYRING } from '../../src/keys/key-service.js';
import { KEY_SPEC_SESSION_KEYRING } from '../../src/keys/process-keyrings.js';
import { Errno } from '../../src/syscall/errno.js';
import { makeCert, O, testKey, type TestCert } from './support/certs.js';
import { T, cat, fromHex, type Bytes } from './support/der.js';
import { ksWith, testData, verify } from './support/env.js';
import { attr, buildPkcs7, goodAttrs, type SignerSpec } from './support/pkcs7.js';

const data = testData();
let rsa: TestCert;
let ec: TestCert;
let good: Bytes;

beforeAll(() => {
  rsa = makeCert({ cn: 'errno-table rsa signer' });
  ec = makeCert({ cn: 'errno-table p256 signer', key: 'p256' });
  good = buildPkcs7({ data, signers: [{ key: rsa.key, cert: rsa }] });
});

const rsaSigner = (extra: Partial<SignerSpec> = {}): SignerSpec => ({ key: rsa.key, cert: rsa, ...extra });

const V18: ProgSignatureProfile = { copyErrorsAsEnomem: true, systemDataVerification: true };
const STABLE: ProgSignatureProfile = { signatureSizeLimit: 8192, copyErrorsAsEnomem: false, systemDataVerification: true };

describe('control: the bpftool structure verifies', () => {
  it('[PK7-VER-5, PK7-VER-6, PK7-TRUST-4, PK7-CMS-5] RSA and P-256 signatures with SKID signer ids verify against the builtin keyring', () => {
    const ks = ksWith([rsa, ec]);
    expect(verify(ks, good, data)).toMatchObject({ ret: 0, rule: 'PK7-VER-5' });
    const ecSig = buildPkcs7({ data, signers: [{ key: ec.key, cert: ec }] });
    expect(verify(ks, ecSig, data).ret).toBe(0);
  });
});

describe('[PK7-ERR-1] signature_size > 8 KiB (v6.18-stable)', () => {
  it('[STB-1, STB-4, PK7-PATH-1] gives EINVAL before the keyring or the copy is looked at', () => {
    const ks = new KeyService();
    const proc = ks.createProcessKeyrings(0);
    let copied = false;
    const r = bpf_prog_verify_signature(
      ks,
      { keyringId: 12345, signatureSize: 8193, copySignature: () => ((copied = true), good), insns: data, proc },
      STABLE,
    );
    expect(r).toMatchObject({ ret: -Errno.EINVAL, rule: 'STB-1', stage: 'size' });
    expect(copied).toBe(false);
  });
  it('[KP-Q-2] has no bound on v6.18: an 8193-byte signature reaches the copy', () => {
    const ks = ksWith([rsa]);
    const r = bpf_prog_verify_signature(
      ks,
      { keyringId: 0, signatureSize: 8193, copySignature: () => -Errno.ENOMEM, insns: data, proc: ks.createProcessKeyrings(0) },
      V18,
    );
    expect(r).toMatchObject({ ret: -Errno.ENOMEM, stage: 'copy' });
  });
});

describe('[PK7-ERR-2] keyring_id not resolvable', () => {
  const cases: [string, number][] = [
    ['3 (no such serial)', 3],
    ['12345', 12345],
    ['KEY_SPEC_THREAD_KEYRING without a thread keyring', -1],
    ['KEY_SPEC_GROUP_KEYRING', -6],
    ['KEY_SPEC_REQKEY_AUTH_KEY', -7],
  ];
  for (const [what, id] of cases) {
    it(`[KP-SIG-2, KP-SIG-3, PK7-KEY-4] keyring_id ${what} gives EINVAL`, () => {
      const ks = new KeyService();
      const r = bpf_prog_verify_signature(
        ks,
        { keyringId: id, signatureSize: good.length, copySignature: () => good, insns: data, proc: ks.createProcessKeyrings(1000) },
        V18,
      );
      expect(r).toMatchObject({ ret: -Errno.EINVAL, rule: 'KP-SIG-3', stage: 'keyring' });
    });
  }
  it('[PK7-KEY-4] CONFIG_KEYS=n makes even keyring_id 0 unresolvable (EINVAL)', () => {
    const ks = new KeyService({ config: { keys: false } });
    const r = bpf_prog_verify_signature(
      ks,
      { keyringId: 0, signatureSize: good.length, copySignature: () => good, insns: data, proc: ks.createProcessKeyrings(0) },
      V18,
    );
    expect(r.ret).toBe(-Errno.EINVAL);
  });
  it('[KP-SIG-3] a bpf_key allocation failure gives EINVAL', () => {
    const ks = new KeyService({ failslab: (s) => s === 'bpf_key' });
    const r = bpf_prog_verify_signature(
      ks,
      { keyringId: 1, signatureSize: good.length, copySignature: () => good, insns: data, proc: ks.createProcessKeyrings(0) },
      V18,
    );
    expect(r).toMatchObject({ ret: -Errno.EINVAL, stage: 'keyring' });
  });
});

describe('[PK7-ERR-3] signature pointer unreadable', () => {
  const fault = (): number => -Errno.EFAULT;
  it('[KP-Q-1, KP-SIG-4] is ENOMEM on v6.18 as released', () => {
    const ks = ksWith([rsa]);
    const r = bpf_prog_verify_signature(ks, { keyringId: 0, signatureSize: 375, copySignature: fault, insns: data, proc: ks.createProcessKeyrings(0) }, V18);
    expect(r).toMatchObject({ ret: -Errno.ENOMEM, rule: 'KP-Q-1', stage: 'copy' });
  });
  it('[STB-3] is EFAULT on v6.18-stable', () => {
    const ks = ksWith([rsa]);
    const r = bpf_prog_verify_signature(ks, { keyringId: 0, signatureSize: 375, copySignature: fault, insns: data, proc: ks.createProcessKeyrings(0) }, STABLE);
    expect(r).toMatchObject({ ret: -Errno.EFAULT, rule: 'STB-3' });
  });
  it('[KP-SIG-3] the keyring is resolved first: bad keyring and bad pointer give EINVAL', () => {
    const ks = new KeyService();
    const r = bpf_prog_verify_signature(ks, { keyringId: 99, signatureSize: 375, copySignature: fault, insns: data, proc: ks.createProcessKeyrings(0) }, STABLE);
    expect(r.ret).toBe(-Errno.EINVAL);
  });
});

describe('[PK7-ERR-4] user keyring revoked / expired', () => {
  function sessionSetup(clock = new KeyVirtualClock()): { ks: KeyService; proc: ReturnType<KeyService['createProcessKeyrings']> } {
    const ks = new KeyService({ clock });
    const proc = ks.createProcessKeyrings(1000);
    expect(proc.add_key('asymmetric', 'cert.pem', rsa.der, KEY_SPEC_SESSION_KEYRING)).toBeGreaterThanOrEqual(3);
    return { ks, proc };
  }
  const load = (ks: KeyService, proc: ReturnType<KeyService['createProcessKeyrings']>, p = V18) =>
    bpf_prog_verify_signature(ks, { keyringId: KEY_SPEC_SESSION_KEYRING, signatureSize: good.length, copySignature: () => good, insns: data, proc }, p);

  it('[PK7-KEY-7] control: the key in the session keyring verifies (bpftool prog load -S)', () => {
    const { ks, proc } = sessionSetup();
    expect(load(ks, proc)).toMatchObject({ ret: 0, keyringType: 'BPF_SIG_KEYRING_USER', keyringSerial: proc.session_keyring!.serial });
  });
  it('[PK7-PATH-2, KP-SIG-6] a revoked session keyring gives EKEYREVOKED from key_validate', () => {
    const { ks, proc } = sessionSetup();
    expect(proc.keyctl_revoke(KEY_SPEC_SESSION_KEYRING)).toBe(0);
    expect(load(ks, proc)).toMatchObject({ ret: -Errno.EKEYREVOKED, rule: 'PK7-PATH-2', stage: 'verify' });
  });
  it('[PK7-PATH-2, KP-SIG-6] an expired session keyring gives EKEYEXPIRED', () => {
    const clock = new KeyVirtualClock();
    const { ks, proc } = sessionSetup(clock);
    expect(proc.keyctl_set_timeout(KEY_SPEC_SESSION_KEYRING, 60)).toBe(0);
    expect(load(ks, proc).ret).toBe(0);
    clock.advance(60);
    expect(load(ks, proc)).toMatchObject({ ret: -Errno.EKEYEXPIRED, rule: 'PK7-PATH-2' });
  });
  it('[KP-SIG-6] without CONFIG_SYSTEM_DATA_VERIFICATION the revoked keyring is never validated (EOPNOTSUPP)', () => {
    const { ks, proc } = sessionSetup();
    proc.keyctl_revoke(KEY_SPEC_SESSION_KEYRING);
    expect(load(ks, proc, { ...V18, systemDataVerification: false }).ret).toBe(-Errno.EOPNOTSUPP);
  });
});

describe('[PK7-ERR-5] blob > 65 535 bytes', () => {
  it('[PK7-PARSE-1] a signature carrying a 70 000-byte unsigned attribute gives EMSGSIZE', () => {
    const big = buildPkcs7({ data, signers: [rsaSigner({ unsignedAttrs: [attr.raw('1.2.3.4', T.octet(new Uint8Array(70000)))] })] });
    expect(big.length).toBeGreaterThan(65535);
    expect(verify(ksWith([rsa]), big, data)).toMatchObject({ ret: -Errno.EMSGSIZE, rule: 'PK7-PARSE-1' });
  });
  it('[PK7-PARSE-1, PK7-PARSE-3] 65 535 bytes are parsed, 65 536 are not (size checked before anything else)', () => {
    const ks = ksWith([rsa]);
    const pad = (n: number): Bytes => cat(good, new Uint8Array(n - good.length));
    expect(verify(ks, pad(65535), data).ret).toBe(0);
    expect(verify(ks, pad(65536), data).ret).toBe(-Errno.EMSGSIZE);
  });
});

describe('[PK7-ERR-6] empty / truncated / garbage / wrong tags', () => {
  const ks = (): KeyService => ksWith([rsa]);
  const cases: [string, () => Bytes][] = [
    ['an empty blob', () => new Uint8Array(0)],
    ['a single byte', () => Uint8Array.of(0x30)],
    ['a blob truncated by one byte', () => good.subarray(0, good.length - 1)],
    ['a blob truncated to half', () => good.subarray(0, good.length >> 1)],
    ['garbage', () => testData(375, 'garbage')],
    ['an outer SET instead of SEQUENCE', () => cat(Uint8Array.of(0x31), good.subarray(1))],
    ['a high-tag-number identifier', () => cat(Uint8Array.of(0x3f, 0x81, 0x00), good)],
    ['a 3-byte length field', () => cat(Uint8Array.of(0x30, 0x83, 0x00), good.subarray(2))],
    ['an indefinite length on a primitive (the OID)', () => fromHex('30800680' + '2a864886f70d010702' + '0000')],
    ['an extra element at the end of the SignerInfo', () => buildPkcs7({ data, signers: [rsaSigner({ trailing: T.nul() })] })],
    ['a SignedData with the encapContentInfo missing', () => T.seq(T.oid(O.signedData), T.ctx(0, T.seq(T.int(3), T.set(T.seq(T.oid(O.sha256))))))],
    ['an empty digestAlgorithms SET', () => buildPkcs7({ data, digestAlgorithms: [], signers: [rsaSigner()] })],
    ['an empty SignerInfos SET', () => T.seq(T.oid(O.signedData), T.ctx(0, T.seq(T.int(3), T.set(T.seq(T.oid(O.sha256))), T.seq(T.oid(O.data)), T.set())))],
  ];
  for (const [what, make] of cases) {
    it(`[PK7-PARSE-2] ${what} gives EBADMSG`, () => {
      expect(verify(ks(), make(), data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-PARSE-2' });
    });
  }
  it('[PK7-PARSE-2] an SKID sid encoded constructed ([0] with the constructed bit) matches no alternative: EBADMSG', () => {
    const sid = T.ctx(0, T.octet(rsa.skid!));
    expect(verify(ks(), buildPkcs7({ data, signers: [rsaSigner({ sid })] }), data)).toMatchObject({ ret: -Errno.EBADMSG });
  });
  it('[PK7-PARSE-2] BER with indefinite lengths is accepted', () => {
    // Re-encode the outer SEQUENCE and [0] with indefinite lengths (length bytes 0x80, then 00 00).
    const inner = good.subarray(4 + 11 + 4); // skip 30 82 xx xx, the OID, a0 82 xx xx
    const ber = cat(Uint8Array.of(0x30, 0x80), good.subarray(4, 15), Uint8Array.of(0xa0, 0x80), inner, fromHex('00000000'));
    expect(verify(ks(), ber, data).ret).toBe(0);
  });
});

describe('[PK7-ERR-7] trailing bytes after the blob', () => {
  it('[PK7-PARSE-3, PK7-NOT-4] are ignored: the signature still verifies', () => {
    expect(verify(ksWith([rsa]), cat(good, testData(100, 'trailer')), data).ret).toBe(0);
  });
});

describe('[PK7-ERR-8] ContentInfo not signedData', () => {
  it('[PK7-PARSE-5] contentType id-data gives EINVAL', () => {
    const sig = buildPkcs7({ data, contentType: O.data, signers: [rsaSigner()] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EINVAL, rule: 'PK7-PARSE-5' });
  });
  it('[PK7-PARSE-5] the check fires at the OID: a content type error wins over a later truncation', () => {
    const sig = buildPkcs7({ data, contentType: O.digestedData, signers: [rsaSigner()] });
    const truncatedInside = cat(sig.subarray(0, 4), sig.subarray(4, 15), Uint8Array.of(0x05, 0x00), new Uint8Array(sig.length - 17));
    expect(verify(ksWith([rsa]), truncatedInside, data).ret).toBe(-Errno.EINVAL);
  });
  it('[PK7-PARSE-5] an empty ContentInfo is a missing mandatory OID: EBADMSG', () => {
    expect(verify(ksWith([rsa]), T.seq(), data).ret).toBe(-Errno.EBADMSG);
  });
});

describe('[PK7-ERR-9] SignedData or SignerInfo version not 1 or 3', () => {
  it('[PK7-PARSE-6] SignedData version 2 gives EINVAL', () => {
    const sig = buildPkcs7({ data, version: 2, signers: [rsaSigner()] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EINVAL, rule: 'PK7-PARSE-6' });
  });
  it('[PK7-PARSE-6] SignedData version 3 written in two bytes (02 02 00 03) gives EINVAL', () => {
    const sig = buildPkcs7({ data, versionRaw: T.intRaw(Uint8Array.of(0, 3)), signers: [rsaSigner()] });
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(-Errno.EINVAL);
  });
  for (const v of [0, 2, 4]) {
    it(`[PK7-PARSE-7] SignerInfo version ${v} gives EINVAL${v === 0 ? " (pkijs' default)" : ''}`, () => {
      const sig = buildPkcs7({ data, version: 3, signers: [rsaSigner({ version: v })] });
      expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EINVAL, rule: 'PK7-PARSE-7' });
    });
  }
});

describe('[PK7-ERR-10] SignedData / SignerInfo version mismatch', () => {
  it('[PK7-PARSE-7] SignedData v1 with a v3 (SKID) SignerInfo gives EBADMSG', () => {
    const sig = buildPkcs7({ data, version: 1, signers: [rsaSigner()] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-PARSE-7' });
  });
  it('[PK7-PARSE-7] SignedData v3 with a v1 (issuer+serial) SignerInfo gives EBADMSG', () => {
    const sig = buildPkcs7({ data, version: 3, signers: [rsaSigner({ sid: 'ias' })] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-PARSE-7' });
  });
  it('[PK7-PARSE-7] control: v1 with v1 verifies', () => {
    const sig = buildPkcs7({ data, version: 1, signers: [rsaSigner({ sid: 'ias' })] });
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(0);
  });
});

describe('[PK7-ERR-11] eContentType not id-data', () => {
  for (const [what, oid] of [
    ['digestedData', O.digestedData],
    ['an unknown OID', '1.2.3.4.5'],
  ] as const) {
    it(`[PK7-PARSE-8] ${what} gives EINVAL`, () => {
      const sig = buildPkcs7({ data, eContentType: oid, signers: [rsaSigner()] });
      expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EINVAL, rule: 'PK7-PARSE-8' });
    });
  }
});

describe('[PK7-ERR-12] eContentType msIndirectData (Authenticode)', () => {
  it('[PK7-USE-1, KP-ERR-8] passes the parser with signed attributes, then the usage gate gives EKEYREJECTED', () => {
    const attrs = [attr.contentType(O.msIndirectData), attr.messageDigest(new Uint8Array(createHash('sha256').update(data).digest()))];
    const sig = buildPkcs7({ data, eContentType: O.msIndirectData, signers: [rsaSigner({ signedAttrs: attrs })] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-USE-1' });
  });
  it('[PK7-PARSE-12] without signed attributes Authenticode is refused by the parser (EBADMSG)', () => {
    const sig = buildPkcs7({ data, eContentType: O.msIndirectData, signers: [rsaSigner()] });
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(-Errno.EBADMSG);
  });
});

describe('[PK7-ERR-13] eContent present (attached signature)', () => {
  it('[PK7-VER-2, KP-ERR-7] attached content gives EBADMSG even when it equals the data', () => {
    const sig = buildPkcs7({ data, eContent: T.octet(data), signers: [rsaSigner()] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-VER-2' });
  });
  it('[PK7-VER-2] an empty eContent OCTET STRING also counts as attached', () => {
    const sig = buildPkcs7({ data, eContent: T.octet(new Uint8Array(0)), signers: [rsaSigner()] });
    expect(verify(ksWith([rsa]), sig, data).rule).toBe('PK7-VER-2');
  });
});

describe('[PK7-ERR-14] unknown digest OID', () => {
  for (const [what, oid] of [
    ['md5', O.md5],
    ['an unregistered OID', '1.2.3.4'],
    ['sha256WithRSAEncryption used as a digest', O.sha256WithRSAEncryption],
  ] as const) {
    it(`[PK7-PARSE-9] SignerInfo digestAlgorithm ${what} gives ENOPKG`, () => {
      const sig = buildPkcs7({ data, signers: [rsaSigner({ digestOid: oid, signHash: 'sha256' })] });
      expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.ENOPKG, rule: 'PK7-PARSE-9' });
    });
  }
  it('[PK7-PARSE-9] NULL digest parameters are accepted', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ digestParamsNull: true })] });
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(0);
  });
});

describe('[PK7-ERR-15] digest known but not in the kernel crypto API', () => {
  it('[PK7-DIG-1] sm3 (parser knows it, the default config has no sm3) gives ENOPKG', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ digestOid: O.sm3, signHash: 'sha256' })] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.ENOPKG, rule: 'PK7-DIG-1' });
  });
  it('[PK7-DIG-1] sha512 on a kernel built without it gives ENOPKG', () => {
    const ks = ksWith([rsa], { config: { hashes: ['sha256'] } });
    const sig = buildPkcs7({ data, signers: [rsaSigner({ digestOid: O.sha512 })] });
    expect(verify(ks, sig, data)).toMatchObject({ ret: -Errno.ENOPKG, rule: 'PK7-DIG-1' });
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(0);
  });
});

describe('[PK7-ERR-16] signature algorithm not whitelisted', () => {
  for (const [what, oid] of [
    ['sha256WithRSAEncryption (pkijs default)', O.sha256WithRSAEncryption],
    ['Ed25519', O.ed25519],
    ['RSASSA-PSS on 6.x', O.rsassaPss],
  ] as const) {
    it(`[PK7-PARSE-10] ${what} gives ENOPKG`, () => {
      const sig = buildPkcs7({ data, signers: [rsaSigner({ sigOid: oid })] });
      expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.ENOPKG, rule: 'PK7-PARSE-10' });
    });
  }
});

describe('[PK7-ERR-17] inconsistent signed attributes / no SignerInfo', () => {
  it('[PK7-PARSE-14] one signer with and one without signed attributes gives EINVAL', () => {
    const rsa2 = makeCert({ cn: 'second signer', keySlot: 1 });
    const sig = buildPkcs7({
      data,
      signers: [rsaSigner({ signedAttrs: goodAttrs(data) }), { key: rsa2.key, cert: rsa2 }],
    });
    expect(verify(ksWith([rsa, rsa2]), sig, data)).toMatchObject({ ret: -Errno.EINVAL, rule: 'PK7-PARSE-14' });
  });
  it('[PK7-PARSE-14] a SignedData without signerInfos gives EINVAL', () => {
    const sig = buildPkcs7({ data, signers: [], omitSignerInfos: true });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EINVAL, rule: 'PK7-PARSE-14' });
  });
});

describe('[PK7-ERR-18] signed attributes missing contentType or messageDigest', () => {
  it('[PK7-PARSE-11] no contentType gives EBADMSG', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ signedAttrs: [goodAttrs(data)[1]] })] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-PARSE-11' });
  });
  it('[PK7-PARSE-11] no messageDigest gives EBADMSG', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ signedAttrs: [attr.contentType()] })] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-PARSE-11' });
  });
});

describe('[PK7-ERR-19] contentType ≠ eContentType; messageDigest not an OCTET STRING', () => {
  it('[PK7-PARSE-11] a contentType attribute naming signedData gives EBADMSG', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ signedAttrs: [attr.contentType(O.signedData), goodAttrs(data)[1]] })] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-PARSE-11' });
  });
  it('[PK7-PARSE-11] a messageDigest written as a BIT STRING gives EBADMSG', () => {
    const md = createHash('sha256').update(data).digest();
    const sig = buildPkcs7({ data, signers: [rsaSigner({ signedAttrs: [attr.contentType(), attr.raw(O.messageDigest, T.bits(md))] })] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-PARSE-11' });
  });
});

describe('[PK7-ERR-20] repeated, multi-valued or forbidden signed attributes', () => {
  const md = (): Bytes => new Uint8Array(createHash('sha256').update(data).digest());
  const cases: [string, string, () => ReturnType<typeof attr.raw>[]][] = [
    ['a repeated contentType', 'PK7-PARSE-11', () => [attr.contentType(), attr.contentType(), attr.messageDigest(md())]],
    ['a multi-valued messageDigest', 'PK7-PARSE-11', () => [attr.contentType(), attr.raw(O.messageDigest, T.octet(md()), T.octet(md()))]],
    ['S/MIME capabilities (OpenSSL without -nosmimecap)', 'PK7-PARSE-12', () => [...goodAttrs(data), attr.smimeCapabilities()]],
    ['a Microsoft SpOpusInfo attribute', 'PK7-PARSE-12', () => [...goodAttrs(data), attr.msSpOpusInfo()]],
  ];
  for (const [what, rule, attrs] of cases) {
    it(`[${rule}] ${what} gives EKEYREJECTED`, () => {
      const sig = buildPkcs7({ data, signers: [rsaSigner({ signedAttrs: attrs() })] });
      expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EKEYREJECTED, rule });
    });
  }
  it('[PK7-PARSE-12, PK7-USE-1] control: contentType + messageDigest + an unknown attribute verify (UNSPECIFIED allows signed attributes)', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ signedAttrs: [...goodAttrs(data), attr.raw('1.3.6.1.4.1.99999.1', T.octet(fromHex('00ff')))] })] });
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(0);
  });
});

describe('[PK7-ERR-21] messageDigest of the wrong length', () => {
  it('[PK7-DIG-1] a 20-byte messageDigest with SHA-256 gives EBADMSG', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ signedAttrs: [attr.contentType(), attr.messageDigest(new Uint8Array(20))] })] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-DIG-1' });
  });
});

describe('[PK7-ERR-22] messageDigest ≠ H(data)', () => {
  it('[PK7-DIG-1] gives EKEYREJECTED before any key is consulted', () => {
    const other = testData(100, 'other');
    const sig = buildPkcs7({ data, signers: [rsaSigner({ signedAttrs: goodAttrs(other) })] });
    expect(verify(new KeyService(), sig, data)).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-DIG-1' });
  });
});

describe('[PK7-ERR-23] no key in the selected keyring matches the signer id', () => {
  it('[PK7-TRUST-1, KP-ERR-9] a signer whose SKID is not in the ring gives ENOKEY', () => {
    const other = makeCert({ cn: 'other', keySlot: 2 });
    expect(verify(ksWith([other]), good, data)).toMatchObject({ ret: -Errno.ENOKEY, rule: 'PK7-TRUST-1' });
  });
  it('[PK7-KEY-6] a ring certificate for the same key but without an SKID extension never matches an SKID signer: ENOKEY', () => {
    const noSkid = makeCert({ cn: 'same key, no skid', key: rsa.key, skid: false });
    expect(verify(ksWith([noSkid]), good, data).ret).toBe(-Errno.ENOKEY);
  });
  it('[PK7-KEY-1] a key in the secondary ring is not found through the builtin selector (ENOKEY), but is through selector 1', () => {
    const ks = new KeyService();
    expect(ks.load_secondary_certificate(rsa.der)).toBeGreaterThanOrEqual(3);
    expect(verify(ks, good, data, 0).ret).toBe(-Errno.ENOKEY);
    expect(verify(ks, good, data, 1).ret).toBe(0);
  });
});

describe('[PK7-ERR-24] platform keyring requested but absent', () => {
  it('[PK7-VER-4] gives ENOKEY after pkcs7_verify succeeded', () => {
    const ks = ksWith([rsa], { config: { platformKeyring: false } });
    expect(verify(ks, good, data, VERIFY_USE_PLATFORM_KEYRING)).toMatchObject({ ret: -Errno.ENOKEY, rule: 'PK7-VER-4' });
    // A structural error is reported before the keyring is resolved.
    expect(verify(ks, buildPkcs7({ data, version: 2, signers: [rsaSigner()] }), data, 2).ret).toBe(-Errno.EINVAL);
  });
  it('[PK7-VER-4] control: with the platform ring present and holding the key, selector 2 verifies', () => {
    const ks = new KeyService();
    expect(ks.load_platform_certificate(rsa.der)).toBeGreaterThanOrEqual(3);
    expect(verify(ks, good, data, 2).ret).toBe(0);
  });
});

describe('[PK7-ERR-25] NOCERTS/SKID: every crypto failure is EKEYREJECTED', () => {
  it('[PK7-PUB-2, PK7-PUB-5] ECDSA with SHA-1: EINVAL inside public_key_verify_signature, EKEYREJECTED at the trust step', () => {
    const ecdsaSha1 = '1.2.840.10045.4.1';
    const sig = buildPkcs7({ data, signers: [{ key: ec.key, cert: ec, digestOid: O.sha1, sigOid: ecdsaSha1 }] });
    const v = verify(ksWith([ec]), sig, data);
    expect(v).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-TRUST-2' });
    expect(v.detail).toMatch(/verify -22 EINVAL.*hash "sha1" not allowed/);
    const embedded = buildPkcs7({ data, version: 1, certificates: [ec.der], signers: [{ key: ec.key, cert: ec, sid: 'ias', digestOid: O.sha1, sigOid: ecdsaSha1 }] });
    expect(verify(new KeyService(), embedded, data)).toMatchObject({ ret: -Errno.EINVAL, rule: 'PK7-PUB-2' });
  });
  it('[PK7-TRUST-4, PK7-TRUST-2] tampered data', () => {
    const d = data.slice();
    d[100] ^= 0x80;
    expect(verify(ksWith([rsa]), good, d)).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-TRUST-2' });
  });
  it('[PK7-TRUST-4, PK7-TRUST-2] a corrupted signature byte', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ signature: (s) => ((s[10] ^= 0x04), s) })] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-TRUST-2' });
  });
  it('[PK7-TRUST-4, PK7-PUB-3] a signature one byte short (EINVAL inside, EKEYREJECTED outside)', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ signature: (s) => s.subarray(1) })] });
    const v = verify(ksWith([rsa]), sig, data);
    expect(v).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-TRUST-2' });
    expect(v.detail).toMatch(/verify -22 EINVAL/);
  });
  it('[PK7-TRUST-4, PK7-PUB-1] an ecdsa-with-SHA256 signature algorithm on an RSA key', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ sigOid: O.ecdsaWithSha256, sigParamsNull: false })] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-TRUST-2' });
  });
  it('[PK7-TRUST-4, PK7-PUB-3] an unsupported RSA size (1000-bit leaf issued by a 2048-bit CA)', () => {
    const ca = makeCert({ cn: 'rsa ca', keySlot: 3, keyUsage: 'keyCertSign' });
    const leaf = makeCert({ cn: 'rsa1000 leaf', key: 'rsa1000', issuer: ca });
    const sig = buildPkcs7({ data, signers: [{ key: leaf.key, cert: leaf }] });
    const v = verify(ksWith([leaf]), sig, data);
    expect(v).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-TRUST-2' });
    expect(v.detail).toMatch(/unsupported key length 1000/);
  });
  it('[PK7-TRUST-4, PK7-PUB-4] a P-256 signature with r = 0', () => {
    const sig = buildPkcs7({ data, signers: [{ key: ec.key, cert: ec, signature: T.seq(T.int(0), T.int(5)) }] });
    expect(verify(ksWith([ec]), sig, data)).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-TRUST-2' });
  });
});

describe('Embedded certificate + issuer/serial signer id (PK7-FIND-*, PK7-TRUST-5)', () => {
  const embedded = (signer: SignerSpec, cert: TestCert, extra: Partial<Parameters<typeof buildPkcs7>[0]> = {}): Bytes =>
    buildPkcs7({ data, version: 1, certificates: [cert.der], signers: [{ sid: 'ias', version: 1, ...signer }], ...extra });

  it('[PK7-FIND-1, PK7-TRUST-1] control: an embedded signer certificate that the ring holds verifies', () => {
    expect(verify(ksWith([rsa]), embedded(rsaSigner(), rsa), data).ret).toBe(0);
  });
  it('[PK7-FIND-1] an embedded certificate is never used for an SKID signer id (still needs the ring key)', () => {
    const sig = buildPkcs7({ data, certificates: [rsa.der], signers: [rsaSigner()] });
    expect(verify(new KeyService(), sig, data).ret).toBe(-Errno.ENOKEY);
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(0);
  });

  describe('[PK7-ERR-26] digest mismatch (tampered data)', () => {
    it('[PK7-FIND-2, PK7-PUB-3] is EKEYREJECTED raw from pkcs7_verify, with no key in any ring', () => {
      const d = data.slice();
      d[0] ^= 1;
      expect(verify(new KeyService(), embedded(rsaSigner(), rsa), d)).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-PUB-3' });
    });
  });

  describe('[PK7-ERR-27] bad padding / r,s out of range / malformed DER signature', () => {
    const em = (body: Bytes): Bytes => new Uint8Array(privateEncrypt({ key: rsa.key.privateKey, padding: constants.RSA_NO_PADDING }, body));
    const sha256Prefix = fromHex('3031300d060960864801650304020105000420');
    const emsa = (blockType: number, prefix: Bytes, digest: Bytes): Bytes => {
      const ps = new Uint8Array(256 - 3 - prefix.length - digest.length).fill(0xff);
      return cat(Uint8Array.of(0x00, blockType), ps, Uint8Array.of(0x00), prefix, digest);
    };
    const digest = (): Bytes => new Uint8Array(createHash('sha256').update(data).digest());

    it('[PK7-PUB-3] control: a hand-made EMSA-PKCS1-v1_5 block verifies', () => {
      const sig = embedded(rsaSigner({ signature: em(emsa(1, sha256Prefix, digest())) }), rsa);
      expect(verify(ksWith([rsa]), sig, data).ret).toBe(0);
    });
    it('[PK7-PUB-3] block type 02 instead of 01 gives EBADMSG', () => {
      const sig = embedded(rsaSigner({ signature: em(emsa(2, sha256Prefix, digest())) }), rsa);
      expect(verify(new KeyService(), sig, data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-PUB-3' });
    });
    it('[PK7-PUB-3] a SHA-1 DigestInfo prefix on a SHA-256 signature gives EBADMSG', () => {
      const sig = embedded(rsaSigner({ signature: em(emsa(1, fromHex('3021300906052b0e03021a05000414'), digest())) }), rsa);
      expect(verify(new KeyService(), sig, data).ret).toBe(-Errno.EBADMSG);
    });
    it('[PK7-PUB-4] ECDSA r = 0 gives EBADMSG', () => {
      const sig = embedded({ key: ec.key, cert: ec, signature: T.seq(T.int(0), T.int(1)) }, ec);
      expect(verify(new KeyService(), sig, data)).toMatchObject({ ret: -Errno.EBADMSG, rule: 'PK7-PUB-4' });
    });
    it('[PK7-PUB-4] ECDSA s = n (the P-256 group order) gives EBADMSG', () => {
      const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
      const sig = embedded({ key: ec.key, cert: ec, signature: T.seq(T.int(1), T.int(n)) }, ec);
      expect(verify(new KeyService(), sig, data).ret).toBe(-Errno.EBADMSG);
    });
    it('[PK7-PUB-4] an ECDSA signature that is not a DER SEQUENCE gives EBADMSG', () => {
      const sig = embedded({ key: ec.key, cert: ec, signature: testData(64, 'not der') }, ec);
      expect(verify(new KeyService(), sig, data).ret).toBe(-Errno.EBADMSG);
    });
    it('[PK7-PUB-4] an ECDSA integer longer than the curve allows gives EINVAL', () => {
      const sig = embedded({ key: ec.key, cert: ec, signature: T.seq(T.intRaw(new Uint8Array(34).fill(1)), T.int(1)) }, ec);
      expect(verify(new KeyService(), sig, data).ret).toBe(-Errno.EINVAL);
    });
    it('[PK7-PUB-4] a valid ECDSA signature over other data gives EKEYREJECTED', () => {
      const d = data.slice();
      d[7] ^= 1;
      expect(verify(new KeyService(), embedded({ key: ec.key, cert: ec }, ec), d)).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-PUB-4' });
    });
  });

  describe('[PK7-ERR-28] RSA length / size errors', () => {
    it('[PK7-PUB-3] a signature one byte longer than the modulus gives EINVAL', () => {
      const sig = embedded(rsaSigner({ signature: (s) => cat(Uint8Array.of(0), s) }), rsa);
      expect(verify(new KeyService(), sig, data)).toMatchObject({ ret: -Errno.EINVAL, rule: 'PK7-PUB-3' });
    });
    it('[PK7-PUB-3] an embedded 1000-bit RSA signer gives EINVAL', () => {
      const ca = makeCert({ cn: 'rsa ca', keySlot: 3, keyUsage: 'keyCertSign' });
      const leaf = makeCert({ cn: 'rsa1000 leaf', key: 'rsa1000', issuer: ca });
      const sig = embedded({ key: leaf.key, cert: leaf }, leaf);
      expect(verify(new KeyService(), sig, data)).toMatchObject({ ret: -Errno.EINVAL, rule: 'PK7-PUB-3' });
    });
    it('[PK7-PUB-3] 1024-bit RSA is allowed, but not in FIPS mode', () => {
      const c = makeCert({ cn: 'rsa1024', key: 'rsa1024' });
      const sig = embedded({ key: c.key, cert: c }, c);
      expect(verify(ksWith([c]), sig, data).ret).toBe(0);
      expect(verify(new KeyService({ config: { fips: true } }), sig, data).ret).toBe(-Errno.EINVAL);
    });
  });

  describe('[PK7-ERR-29] signingTime outside the signer certificate validity', () => {
    it('[PK7-FIND-2] a signingTime before notBefore gives EKEYREJECTED; inside the window verifies', () => {
      const early = [...goodAttrs(data), attr.signingTime(new Date('2020-06-01T00:00:00Z'))];
      expect(verify(ksWith([rsa]), embedded(rsaSigner({ signedAttrs: early }), rsa), data)).toMatchObject({
        ret: -Errno.EKEYREJECTED,
        rule: 'PK7-FIND-2',
      });
      const inside = [...goodAttrs(data), attr.signingTime(new Date('2026-06-01T00:00:00Z'))];
      expect(verify(ksWith([rsa]), embedded(rsaSigner({ signedAttrs: inside }), rsa), data).ret).toBe(0);
    });
    it('[PK7-PARSE-13] an unparsable signingTime gives EBADMSG', () => {
      const bad = [...goodAttrs(data), attr.raw(O.signingTime, T.timeRaw(0x17, '26136000000Z'))];
      expect(verify(ksWith([rsa]), buildPkcs7({ data, signers: [rsaSigner({ signedAttrs: bad })] }), data)).toMatchObject({
        ret: -Errno.EBADMSG,
        rule: 'PK7-PARSE-13',
      });
    });
  });

  describe('[PK7-ERR-30] unknown self-signed certificate in the embedded chain', () => {
    it('[PK7-TRUST-1] an embedded self-signed signer the ring does not hold gives ENOKEY', () => {
      expect(verify(new KeyService(), embedded(rsaSigner(), rsa), data)).toMatchObject({ ret: -Errno.ENOKEY, rule: 'PK7-TRUST-1' });
    });
    it('[PK7-TRUST-1] a leaf issued by an embedded, unknown self-signed CA gives ENOKEY; with the CA in the ring it verifies', () => {
      const ca = makeCert({ cn: 'embedded ca', keySlot: 4, keyUsage: 'keyCertSign' });
      const leaf = makeCert({ cn: 'embedded leaf', keySlot: 5, issuer: ca });
      const sig = buildPkcs7({ data, version: 1, certificates: [leaf.der, ca.der], signers: [{ key: leaf.key, cert: leaf, sid: 'ias' }] });
      const none = verify(new KeyService(), sig, data);
      expect(none).toMatchObject({ ret: -Errno.ENOKEY });
      expect(none.detail).toMatch(/unknown self-signed/);
      expect(verify(ksWith([ca]), sig, data).ret).toBe(0);
    });
  });
});

describe('[PK7-ERR-31] blacklisted certificate', () => {
  it('[PK7-KEY-8] the signer on the revocation list gives EKEYREJECTED even though the builtin ring trusts it', () => {
    const ks = ksWith([rsa]);
    expect(ks.add_key_to_revocation_list(rsa.der)).toBeGreaterThanOrEqual(3);
    expect(verify(ks, good, data)).toMatchObject({ ret: -Errno.EKEYREJECTED, rule: 'PK7-KEY-8' });
  });
  it('[PK7-KEY-8] without CONFIG_SYSTEM_REVOCATION_LIST the list cannot be filled and the signature verifies', () => {
    const ks = ksWith([rsa], { config: { revocationList: false } });
    expect(ks.add_key_to_revocation_list(rsa.der)).toBe(-Errno.EOPNOTSUPP);
    expect(verify(ks, good, data).ret).toBe(0);
  });
  it('[PK7-FIND-2, PK7-TRUST-1] an embedded signer whose tbs hash is blacklisted gives EKEYREJECTED', () => {
    const ks = ksWith([rsa]);
    const tbsHash = createHash('sha256').update(rsa.tbs).digest('hex');
    expect(ks.mark_hash_blacklisted(`tbs:${tbsHash}`)).toBeGreaterThanOrEqual(3);
    const sig = buildPkcs7({ data, version: 1, certificates: [rsa.der], signers: [rsaSigner({ sid: 'ias' })] });
    expect(verify(ks, sig, data).ret).toBe(-Errno.EKEYREJECTED);
  });
  it('[PK7-KEY-8] a certificate whose tbs hash is blacklisted cannot be added as a key (EKEYREJECTED)', () => {
    const ks = new KeyService();
    ks.mark_hash_blacklisted(`tbs:${createHash('sha256').update(rsa.tbs).digest('hex')}`);
    expect(ks.load_builtin_certificate(rsa.der)).toBe(-Errno.EKEYREJECTED);
    const proc = ks.createProcessKeyrings(0);
    expect(proc.add_key('asymmetric', 'x', rsa.der, KEY_SPEC_SESSION_KEYRING)).toBe(-Errno.EKEYREJECTED);
  });
});

describe('[PK7-ERR-32] allocation failure', () => {
  for (const site of ['pkcs7_parse_message', 'pkcs7_digest', 'find_asymmetric_key'] as const) {
    it(`[PK7-PARSE-4, PK7-TRUST-2] a failed allocation in ${site} gives ENOMEM (never remapped)`, () => {
      const ks = ksWith([rsa], { failslab: (s) => s === site });
      expect(verify(ks, good, data).ret).toBe(-Errno.ENOMEM);
    });
  }
});

describe('[PK7-ERR-33] CONFIG_SYSTEM_DATA_VERIFICATION=n', () => {
  it('[KP-SIG-6, KP-ERR-4] gives EOPNOTSUPP for any signature once the keyring and copy passed', () => {
    const ks = ksWith([rsa]);
    const off: ProgSignatureProfile = { ...V18, systemDataVerification: false };
    for (const sig of [good, testData(50, 'junk')]) {
      const r = bpf_prog_verify_signature(ks, { keyringId: 0, signatureSize: sig.length, copySignature: () => sig, insns: data, proc: ks.createProcessKeyrings(0) }, off);
      expect(r).toMatchObject({ ret: -Errno.EOPNOTSUPP, rule: 'KP-SIG-6', stage: 'verify' });
    }
  });
  it('[KP-SIG-3] ... but a bad keyring id is still EINVAL first (OBS-LOAD-2)', () => {
    const ks = new KeyService();
    const r = bpf_prog_verify_signature(
      ks,
      { keyringId: 12345, signatureSize: 10, copySignature: () => new Uint8Array(10), insns: data, proc: ks.createProcessKeyrings(0) },
      { ...V18, systemDataVerification: false },
    );
    expect(r.ret).toBe(-Errno.EINVAL);
  });
});

describe('signature_size == 0', () => {
  it('[KP-Q-3, STB-5] reaches the parser on v6.18 and gives EBADMSG; 2026 trees refuse it with EINVAL', () => {
    const ks = ksWith([rsa]);
    const input = { keyringId: 0, signatureSize: 0, copySignature: () => new Uint8Array(0), insns: data, proc: ks.createProcessKeyrings(0) };
    expect(bpf_prog_verify_signature(ks, input, V18).ret).toBe(-Errno.EBADMSG);
    expect(bpf_prog_verify_signature(ks, input, { ...STABLE, rejectZeroSize: true }).ret).toBe(-Errno.EINVAL);
  });
});

describe('ordering between checks', () => {
  it('[PK7-VER-1, PK7-VER-3] a parse error wins over a trust error (no key anywhere, SignedData v2 → EINVAL)', () => {
    expect(verify(new KeyService(), buildPkcs7({ data, version: 2, signers: [rsaSigner()] }), data).ret).toBe(-Errno.EINVAL);
  });
  it('[PK7-DIG-1, PK7-TRUST-1] a messageDigest mismatch (EKEYREJECTED) wins over a missing key (ENOKEY)', () => {
    const sig = buildPkcs7({ data, signers: [rsaSigner({ signedAttrs: goodAttrs(testData(10, 'x')) })] });
    expect(verify(new KeyService(), sig, data).ret).toBe(-Errno.EKEYREJECTED);
  });
  it('[PK7-TRUST-3] two signers: one unknown (ENOKEY), one good → 0', () => {
    const other = makeCert({ cn: 'unknown', keySlot: 6 });
    const sig = buildPkcs7({ data, signers: [{ key: other.key, cert: other }, rsaSigner()] });
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(0);
  });
  it('[PK7-TRUST-3] two signers: unknown then bad signature → the EKEYREJECTED aborts', () => {
    const other = makeCert({ cn: 'unknown', keySlot: 6 });
    const sig = buildPkcs7({ data, signers: [{ key: other.key, cert: other }, rsaSigner({ signature: (s) => ((s[3] ^= 1), s) })] });
    expect(verify(ksWith([rsa]), sig, data).ret).toBe(-Errno.EKEYREJECTED);
  });
  it('[PK7-TRUST-3] a key for one signer with an unsupported digest (ENOPKG) and another unknown (ENOKEY) → ENOPKG', () => {
    const other = makeCert({ cn: 'unknown', keySlot: 6 });
    const sig = buildPkcs7({ data, signers: [rsaSigner({ digestOid: O.sm3, signHash: 'sha256' }), { key: other.key, cert: other }] });
    expect(verify(ksWith([rsa]), sig, data)).toMatchObject({ ret: -Errno.ENOPKG, rule: 'PK7-TRUST-3' });
  });
});

// Keep the key generator warm for the slots used above (test-time only).
void testKey;
