// The 0-false-accept sweep (issue L): single-byte changes of signed light skeletons must never
// load. For every registered toolchain that can sign (the toolchain registry, src/schemes/: each
// scheme's toolchains; a new one is swept with no change here), hello.bpf.o is generated and
// signed with a fresh key (-M where the scheme signs the maps), then loaded on its scheme's first
// profile that loads it unchanged (the control) and once per mutation —
// every byte of the loader instructions (opts_insn) and of the signature (opts_sig), and a seeded
// sample of the data blob (opts_data) — with the certificate in the session keyring. A mutated
// skeleton that loads is a false accept: the kernel refuses a changed signature or loader, and the
// signed loader's metadata hash check refuses changed data. spec: KP-SIG-2, KP-META-1..2.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readElf } from '../../dist/loader/elf/read-object.js';
import { findToolchain, toolchainNames } from '../../dist/loader/gen-loader/profiles.js';
import { makeSkeleton } from '../../dist/scenarios/make-skeleton.js';
import { runSkeleton } from '../../dist/scenarios/skel-run.js';
import { schemeOfToolchain } from '../../dist/schemes/index.js';
import { identity, skelOutcome, snapshotIdentity } from './targets.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One DER element at `at`: tag, header length, content range. */
function tlvAt(b, at) {
  const tag = b[at];
  let len = b[at + 1];
  let hl = 2;
  if (len & 0x80) {
    const k = len & 0x7f;
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + b[at + 2 + i];
    hl = 2 + k;
  }
  return { tag, at, start: at + hl, end: at + hl + len };
}
const children = (b, e) => {
  const out = [];
  for (let p = e.start; p < e.end; ) {
    const c = tlvAt(b, p);
    out.push(c);
    p = c.end;
  }
  return out;
};

/**
 * Signature bytes whose change the kernel's PKCS#7 grammar (crypto/asymmetric_keys/pkcs7.asn1)
 * does not check, so a skeleton may load with them changed, on the kernel as here:
 *   - SignedData.digestAlgorithms: a CHOICE of SET OF / SEQUENCE OF whose OIDs are only noted
 *     (pkcs7_note_OID), never compared;
 *   - the tag of signerInfos: a CHOICE of SET OF / SEQUENCE OF;
 *   - the parameters of the signer's digestEncryptionAlgorithm: ANY OPTIONAL.
 * Every other byte of the signature (the signer's digest algorithm, its id, the signature value,
 * the structure) — and every byte of the loader and of the data — must make the load fail.
 */
function uncheckedSigBytes(sig) {
  const set = new Set();
  const ci = tlvAt(sig, 0);
  const [, content] = children(sig, ci);
  const [sd] = children(sig, content);
  const parts = children(sig, sd);
  const digestAlgs = parts[1];
  for (let i = digestAlgs.at; i < digestAlgs.end; i++) set.add(i);
  const signerInfos = parts[parts.length - 1];
  set.add(signerInfos.at);
  const [si] = children(sig, signerInfos);
  const siParts = children(sig, si);
  const encAlg = siParts.find((e, i) => i >= 3 && e.tag === 0x30);
  const params = encAlg ? children(sig, encAlg)[1] : undefined;
  if (params) for (let i = params.at; i < params.end; i++) set.add(i);
  return set;
}
const DATA_SAMPLE = 256;

export const SWEEP = {
  setup(saved) {
    const id = identity(saved);
    const bytes = new Uint8Array(readFileSync(join(REPO, 'examples', 'bpf', 'hello.bpf.o')));
    const plan = [];
    const skels = {};
    const targets = {};
    for (const tc of toolchainNames()) {
      const prof = findToolchain(tc);
      if (!prof.canSign) continue;
      const scheme = schemeOfToolchain(tc);
      const o = readElf(bytes, { objectName: 'hello_bpf' });
      const made = makeSkeleton(o.value, { toolchain: tc, identity: id, signMaps: scheme?.defaultSignMaps ?? false, name: 'hello_bpf' });
      const skel = made.skeleton;
      // The kernel to sweep on: the first profile of the toolchain's scheme on which the intact
      // signed skeleton loads (v6.18 for bpftool-7.7; a profile refusing signed loaders is skipped).
      const profiles = (scheme?.profiles ?? []).map((p) => p.name);
      const profile = profiles.find((p) => runSkeleton(skel, { profile: p, toolchain: tc, certDer: id.certDer, keyring: 'session' }).result.outcome === 'loaded');
      if (!profile) throw new Error(`${tc}: the intact signed skeleton loads on none of ${profiles.join(', ') || 'no profiles'}`);
      skels[tc] = skel;
      targets[tc] = profile;
      skel.unchecked = uncheckedSigBytes(skel.signature);
      plan.push({ toolchain: tc, profile, blob: null, offset: -1 });
      for (let i = 0; i < skel.insns.length; i++) plan.push({ toolchain: tc, profile, blob: 'insns', offset: i });
      for (let i = 0; i < skel.signature.length; i++) plan.push({ toolchain: tc, profile, blob: 'sig', offset: i });
      for (let i = 0; i < DATA_SAMPLE; i++) plan.push({ toolchain: tc, profile, blob: 'data', offset: null, of: skel.data.length });
    }
    return { id, plan, skels, targets };
  },
  snapshot: (st) => snapshotIdentity(st.id),
  gen(r, st, i) {
    const p = st.plan[i % st.plan.length];
    return p.offset === null ? { ...p, offset: r.int(p.of) } : { ...p };
  },
  run(input, st) {
    const skel = st.skels[input.toolchain];
    const run = runSkeleton(skel, { profile: input.profile, toolchain: input.toolchain, certDer: st.id.certDer, keyring: 'session', tampers: input.blob ? [{ blob: input.blob, offset: input.offset }] : [] });
    const o = skelOutcome(run);
    o.control = input.blob === null;
    o.unchecked = input.blob === 'sig' && skel.unchecked.has(input.offset);
    return o;
  },
  check(o) {
    if (o.control && o.kind !== 'ok') return `the unchanged signed skeleton did not load (${o.kind} ${o.errno ?? o.reason ?? ''}): the sweep cannot tell accept from refuse`;
    if (!o.control && !o.unchecked && o.kind === 'ok') return 'FALSE ACCEPT: a skeleton with one byte changed loaded';
    return undefined;
  },
};
