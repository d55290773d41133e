// bpf_prog_verify_signature with a scheme's own signed content: the content is built after the
// keyring lookup and the signature copy (where such code runs in the kernel), a failure there ends
// the check with its return value, and the PKCS#7 signature is checked over the content instead of
// the instructions. The hash-chain scheme builds its digest this way (HC-CHK-1..5).
// spec: KP-SIG-2..7, STB-4 (order), HC-CHK-1 (keyring and copy first), HC-SIG-4 (content = f).

import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpf_prog_verify_signature, type ProgSignatureProfile } from '../../src/keys/bpf-prog-signature.js';
import { Errno } from '../../src/syscall/errno.js';
import { makeCert, type TestCert } from './support/certs.js';
import { ksWith, testData } from './support/env.js';
import { buildPkcs7 } from './support/pkcs7.js';

const V18: ProgSignatureProfile = { copyErrorsAsEnomem: true, systemDataVerification: true };
const insns = testData(64);
const digest = new Uint8Array(createHash('sha256').update(insns).digest());
let cert: TestCert;

beforeAll(() => {
  cert = makeCert({ cn: 'signed-content signer' });
});

describe('signedContent: a scheme signs something else than the instructions', () => {
  it('[HC-CHK-1][KP-SIG-3] the keyring comes first: an unusable keyring → EINVAL and the content is never built', () => {
    const ks = ksWith([cert]);
    let built = false;
    const sig = buildPkcs7({ data: digest, signers: [{ key: cert.key, cert }] });
    const r = bpf_prog_verify_signature(
      ks,
      { keyringId: 12345, signatureSize: sig.length, copySignature: () => sig, insns, signedContent: () => ((built = true), digest), proc: ks.createProcessKeyrings(0) },
      V18,
    );
    expect(r).toMatchObject({ ret: -Errno.EINVAL, stage: 'keyring' });
    expect(built).toBe(false);
  });

  it('[HC-CHK-1][KP-Q-1] then the signature copy: a fault → ENOMEM (v6.18), the content is never built', () => {
    const ks = ksWith([cert]);
    let built = false;
    const r = bpf_prog_verify_signature(
      ks,
      { keyringId: 0, signatureSize: 100, copySignature: () => -Errno.EFAULT, insns, signedContent: () => ((built = true), digest), proc: ks.createProcessKeyrings(0) },
      V18,
    );
    expect(r).toMatchObject({ ret: -Errno.ENOMEM, stage: 'copy' });
    expect(built).toBe(false);
  });

  it('a failure while building the content ends the check with its value and rule (even a positive one)', () => {
    const ks = ksWith([cert]);
    const sig = buildPkcs7({ data: digest, signers: [{ key: cert.key, cert }] });
    const run = (ret: number) =>
      bpf_prog_verify_signature(
        ks,
        { keyringId: 0, signatureSize: sig.length, copySignature: () => sig, insns, signedContent: () => ({ ret, rule: 'RULE-X', detail: 'could not build it' }), proc: ks.createProcessKeyrings(0) },
        V18,
      );
    expect(run(-Errno.EBADF)).toMatchObject({ ret: -Errno.EBADF, rule: 'RULE-X', stage: 'content', detail: 'could not build it' });
    expect(run(4)).toMatchObject({ ret: 4, stage: 'content' });
  });

  it('[HC-SIG-4] the PKCS#7 signature is checked over the content: a signature over it verifies, one over the instructions is EKEYREJECTED', () => {
    const ks = ksWith([cert]);
    const overDigest = buildPkcs7({ data: digest, signers: [{ key: cert.key, cert }] });
    const overInsns = buildPkcs7({ data: insns, signers: [{ key: cert.key, cert }] });
    const run = (sig: Uint8Array, signedContent?: () => Uint8Array) =>
      bpf_prog_verify_signature(ks, { keyringId: 0, signatureSize: sig.length, copySignature: () => sig, insns, ...(signedContent ? { signedContent } : {}), proc: ks.createProcessKeyrings(0) }, V18);
    expect(run(overDigest, () => digest)).toMatchObject({ ret: 0, stage: 'verify' });
    expect(run(overInsns, () => digest)).toMatchObject({ ret: -Errno.EKEYREJECTED, stage: 'verify' });
    // Without signedContent the instructions are what is verified (KP).
    expect(run(overInsns).ret).toBe(0);
    expect(run(overDigest).ret).toBe(-Errno.EKEYREJECTED);
  });
});
