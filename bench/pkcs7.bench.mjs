// PKCS#7 verification cost per signature: bpfsig's kernel-model verify (parse, digest, trust,
// public-key checks) and the whole BPF_PROG_LOAD signature stage, against the bare node:crypto
// verify of the same signature value over the same data, measured in the same run.
// spec: PK7-PERF-1, PK7-PERF-4 (goal: within 2× of the bare node:crypto floor)

import { spawnSync } from 'node:child_process';
import { X509Certificate, verify } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import {
  KeyService,
  bpf_prog_verify_signature,
  certificateToDer,
  pkcs7_parse_message,
  KLog,
  signPkcs7,
} from '../dist/keys/index.js';
import { sharedPath } from '../dist/shared-dir.js';

export const title = 'PKCS#7 signature verification (keys)';

/** Signer material: the shared test keys when present, else fresh ones from openssl. */
function signer(name, opensslKeyArgs) {
  const shared = sharedPath('fixtures', 'keys', name);
  if (shared) return { key: readFileSync(join(shared, 'key.pem'), 'latin1'), cert: readFileSync(join(shared, 'cert.pem')), from: `fixtures/keys/${name}` };
  const dir = mkdtempSync(join(tmpdir(), 'bpfsig-bench-'));
  const r = spawnSync('openssl', ['req', '-x509', ...opensslKeyArgs, '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '30', '-subj', '/CN=bench', '-addext', 'subjectKeyIdentifier=hash']);
  if (r.status !== 0) throw new Error('bench needs ../shared/fixtures/keys or openssl on PATH');
  return { key: readFileSync(join(dir, 'k.pem'), 'latin1'), cert: readFileSync(join(dir, 'c.pem')), from: 'openssl req (fresh)' };
}

function data(n) {
  const out = new Uint8Array(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Median µs per call over `rounds` rounds of `n` calls, after a warm-up round. */
async function time(fn, n, rounds = 7) {
  for (let i = 0; i < Math.min(n, 200); i++) await fn();
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    per.push(Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  per.sort((a, b) => a - b);
  return per[rounds >> 1];
}

const fmt = (us) => (us >= 100 ? us.toFixed(0) : us.toFixed(1));

export async function run() {
  const insns = data(2392); // the size of minimal's signed loader (299 insns)
  const rows = [];
  const notes = [];
  for (const [label, name, args, n] of [
    ['RSA-2048', 'signing-rsa2048', ['-newkey', 'rsa:2048'], 3000],
    ['ECDSA P-256', 'signing-p256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'], 1500],
  ]) {
    const s = signer(name, args);
    notes.push(`${label} signer: ${s.from}`);
    const sig = signPkcs7(insns, { key: s.key, cert: s.cert });
    const certDer = certificateToDer(new Uint8Array(s.cert));
    const ks = new KeyService();
    if (ks.load_builtin_certificate(certDer) < 0) throw new Error('certificate not loadable');
    const proc = ks.createProcessKeyrings(0);

    // The bare floor: node:crypto.verify of the same signature value over the same data.
    const msg = pkcs7_parse_message(sig, { cfg: ks.config }, new KLog());
    const value = msg.signedInfos[0].sig.s;
    const pub = new X509Certificate(Buffer.from(certDer)).publicKey;
    const keyOpt = name.includes('p256') ? { key: pub, dsaEncoding: 'der' } : pub;
    if (!verify('sha256', insns, keyOpt, value)) throw new Error('bare verify failed');
    const bare = await time(() => verify('sha256', insns, keyOpt, value), n);

    const ours = await time(() => {
      const v = ks.verify_pkcs7_signature(insns, sig, 0, 'VERIFYING_UNSPECIFIED_SIGNATURE');
      if (v.ret !== 0) throw new Error(v.detail);
    }, n);
    const stage = await time(() => {
      const v = bpf_prog_verify_signature(ks, { keyringId: 0, signatureSize: sig.length, copySignature: () => sig, insns, proc }, { copyErrorsAsEnomem: true, systemDataVerification: true });
      if (v.ret !== 0) throw new Error(v.detail);
    }, n);

    // Context: pkijs parse + SignedData.verify (what a naive implementation would do).
    const cert = pkijs.Certificate.fromBER(certDer);
    const pk = await time(async () => {
      const ci = pkijs.ContentInfo.fromBER(sig);
      const sd = new pkijs.SignedData({ schema: ci.content });
      sd.certificates = [cert];
      if (!(await sd.verify({ signer: 0, data: insns }))) throw new Error('pkijs verify failed');
    }, Math.max(50, n / 20), 5);

    rows.push(`| ${label} | ${fmt(bare)} | ${fmt(ours)} | **${(ours / bare).toFixed(2)}×** | ${fmt(stage)} | ${(stage / bare).toFixed(2)}× | ${fmt(pk)} | ${(pk / bare).toFixed(1)}× |`);
  }
  const markdown = `Per signature over ${insns.length} bytes of data (minimal's signed loader size), bpftool 7.7
structure (detached, SKID signer id, no certificates, no signed attributes), key in
\`.builtin_trusted_keys\`. "Floor" is the bare \`node:crypto.verify\` of the same signature value over
the same data, in the same run. Goal (issue C): verify within 2× of the floor. Medians of 7 rounds.

| key | floor µs | verify_pkcs7_signature µs | ratio | BPF signature stage µs | ratio | pkijs parse+verify µs | ratio |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

- "verify_pkcs7_signature": parse with the kernel grammar, SHA-256 of the data, revocation-list
  check, keyring search by SKID, RSA (raw public operation + EMSA-PKCS1-v1_5 checks) or ECDSA
  (X9.62 decoding, r/s range, node:crypto verify).
- "BPF signature stage": \`bpf_prog_verify_signature\` (keyring lookup, copy, kfunc, key put).
- ${notes.join('; ')}.
`;
  return { markdown };
}
