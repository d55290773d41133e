// `bpfsig explain FILE.lskel.h`: what a light skeleton is, read from the header alone, and what
// every registered kernel profile does with it.
//   - Which toolchain made it: candidateToolchains (header style, signature, opts.signature_maps, the
//     loader's signature-match block), narrowed, when a certificate is given, to the toolchains
//     whose signed content the signature verifies over.
//   - What the signature covers, and whether the chain link from the signature to the metadata
//     blob holds offline (CLAIM-9): the four immediates of the signature-match block against
//     SHA-256(opts_data) (LSK-SIGM-2/3), opts_excl_hash against SHA-256(opts_insn) (TC-BT77-3), the
//     recomputed hash-chain term for -M (TC-HCM-3), the signed attributes a toolchain adds (Hornet's
//     metadata map hash, HN-ASN1-1) against the ones computed from the header, and with --cert the
//     PKCS#7 verification over the signed content with the kernel's rules (src/keys), failures
//     named by rule id.
//   - What each profile does with it: a fresh kernel per profile, the profile's scheme's default LSM
//     stack, the certificate in the session keyring when given (runSkeleton, cellFacts).
// Nothing here names a scheme: the checks follow from the toolchain's data (signs, signatureMatch,
// canSignMaps, signatureFormat) and what the header holds. spec: CLAIM-9, DEBATE-1, LSK-SIGM-1..8, LSK-HDR-1..3,
// TC-BT77-3/5/6, TC-HCM-2/3, TC-LB26-1/2, PK7-VER-*, PK7-KEY-7.

import { createHash } from 'node:crypto';
import type { AuditSeries } from '../audit/series.js';
import { KeyService } from '../keys/key-service.js';
import { KLog, resultName } from '../keys/klog.js';
import { pkcs7_parse_message } from '../keys/pkcs7-parse.js';
import { x509_cert_parse } from '../keys/x509.js';
import { signedContent } from '../loader/gen-loader/gen-loader.js';
import type { ToolchainProfile } from '../loader/gen-loader/profiles.js';
import { candidateToolchains, signatureForm, skeletonFeatures, type SkeletonFeatures } from '../loader/lskel-identify.js';
import { oidNameOf } from '../keys/oid.js';
import type { LightSkeleton } from '../loader/lskel-reader.js';
import { errnoName } from '../syscall/errno.js';
import { getProfile, profileNames } from '../syscall/profiles/index.js';
import { cellFacts, type CellFailure } from './compare/cell.js';
import { cellCode } from './compare/report-text.js';
import { runSkeleton } from './skel-run.js';

export const EXPLAIN_FORMAT = 'bpfsig-explain/1';

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** What a signature can cover, by the content bpftool hands the signer. */
export type SignedContentKind = 'insns' | 'insns-data' | 'hash-chain-term';

const CONTENT_TEXT: Record<SignedContentKind, string> = {
  insns: 'the loader instructions (opts_insn) only (TC-BT77-3)',
  'insns-data': 'the loader instructions followed by the metadata blob, opts_insn ‖ opts_data (TC-LB26-2)',
  'hash-chain-term': 'the 32-byte hash-chain term SHA256(SHA256(opts_insn) ‖ SHA256(opts_data)) (TC-HCM-3)',
};

export interface ChainCheck {
  /** `excl-hash`, `signature-match`, `hash-chain-term`, `pkcs7`. */
  readonly id: string;
  readonly spec: readonly string[];
  readonly statement: string;
  readonly result: 'holds' | 'fails' | 'not-checked';
  readonly detail: string;
  /** For the PKCS#7 check: the rule that decided and the errno (null when it verified). */
  readonly rule?: string;
  readonly errno?: string | null;
}

export interface ExplainSignature {
  readonly bytes: number;
  /** The parse with the kernel's rules: 0 or the errno, and the deciding rule on failure. */
  readonly parse: { readonly ok: boolean; readonly errno: string | null; readonly rule: string | null; readonly detail: string };
  readonly signers: readonly {
    /** The SignerInfo's key id as the kernel builds it (the SKID, or serial ‖ issuer), hex. */
    readonly keyId: string;
    readonly hash: string | null;
    readonly pkey: string | null;
    readonly signedAttributes: boolean;
  }[];
  /** How the signer is named: by SKID (bpftool, CMS_USE_KEYID) or by issuer and serial (PK7-PARSE-7). */
  readonly sid: 'skid' | 'issuer-serial' | null;
  /** The signed attributes' OIDs (named where bpfsig knows the name), in the signature's order. */
  readonly attributes: readonly string[] | null;
  /** Certificates embedded in the message (bpftool embeds none, PK7-CMS-2). */
  readonly certificates: number;
}

export interface ExplainProfileRun {
  readonly profile: string;
  readonly scheme: string;
  /** LSMs after capability (the scheme's default stack). */
  readonly lsm: readonly string[];
  readonly loaded: boolean;
  /** The comparison's cell code (`ok`, `EKEYREJ/PL`, `!EINVAL/TR`, …). */
  readonly code: string;
  readonly failedAt: CellFailure | null;
  readonly skeleton: { readonly result: number | null; readonly errno: string | null; readonly errstr: string | null };
  readonly loaderRetval: number | null;
  readonly falsePositive: boolean;
  readonly falsePositiveEvidence: readonly string[];
}

export interface ExplainResult {
  readonly format: typeof EXPLAIN_FORMAT;
  readonly file: string;
  readonly skeleton: {
    readonly name: string;
    readonly style: LightSkeleton['style'];
    readonly insnCnt: number;
    readonly dataSize: number;
    readonly signatureSize: number | null;
    readonly exclHash: string | null;
    readonly signatureMaps: readonly number[] | null;
    readonly sha256: { readonly insns: string; readonly data: string };
  };
  readonly toolchain: {
    /** The toolchain reported (and used to run the skeleton): the first candidate left, or null. */
    readonly name: string | null;
    /** Every registered toolchain whose skeletons look like this one, in registration order. */
    readonly candidates: readonly string[];
    /** Left after the --cert check (the ones whose signed content the signature verifies over); null without --cert. */
    readonly verified: readonly string[] | null;
    /** Why: the header facts the choice rests on. */
    readonly evidence: readonly string[];
    readonly features: Omit<SkeletonFeatures, 'block' | 'signature'>;
    readonly signatureMatchBlock: { readonly firstInsn: number; readonly embeddedHash: string; readonly exclCheck: number | null } | null;
  };
  readonly signature: ExplainSignature | null;
  /** What the signature covers, according to the toolchain (and, with --cert, the verification). */
  readonly covers: { readonly kind: SignedContentKind; readonly text: string; readonly bytes: number; readonly sha256: string } | null;
  readonly cert: { readonly subject: string; readonly skid: string | null; readonly matchesSigner: boolean } | null;
  readonly chainLink: { readonly holds: boolean | null; readonly summary: string; readonly checks: readonly ChainCheck[] };
  readonly profiles: readonly ExplainProfileRun[];
  /** Why profiles were not run, when they were not. */
  readonly profilesNotRun: string | null;
}

export interface ExplainOptions {
  /** For messages and the report. */
  readonly file: string;
  /** The signing certificate (DER): PKCS#7 checks, and the session keyring of every run. */
  readonly certDer?: Uint8Array;
  /** Profiles to run (default: every registered one). */
  readonly profiles?: readonly string[];
  /** The audit series the runs' kernels join (`--audit-file`). */
  readonly audit?: AuditSeries;
}

function contentKind(t: ToolchainProfile | undefined, f: SkeletonFeatures): SignedContentKind {
  if (f.signatureMaps) return 'hash-chain-term';
  return t?.signs === 'insns-data' ? 'insns-data' : 'insns';
}

function contentBytes(kind: SignedContentKind, t: ToolchainProfile, skel: LightSkeleton): Uint8Array {
  return signedContent(t, skel.insns, skel.data, kind === 'hash-chain-term');
}

/** The PKCS#7 message as the kernel parses it (no keyring needed). */
function describeSignature(sig: Uint8Array, ks: KeyService): ExplainSignature {
  const log = new KLog();
  const msg = pkcs7_parse_message(sig, { cfg: ks.config, isTbsBlacklisted: () => false }, log);
  if (typeof msg === 'number') {
    return { bytes: sig.length, parse: { ok: false, errno: errnoName(-msg) ?? String(msg), rule: log.rule || 'PK7-VER-1', detail: log.detail }, signers: [], certificates: 0, sid: null, attributes: null };
  }
  const form = signatureForm(sig);
  return {
    bytes: sig.length,
    parse: { ok: true, errno: null, rule: null, detail: 'parsed with the kernel\'s PKCS#7 rules' },
    signers: msg.signedInfos.map((s) => ({ keyId: s.sig.authIds[0]?.hex ?? '', hash: s.sig.hashAlgo ?? null, pkey: s.sig.pkeyAlgo ?? null, signedAttributes: !!s.authattrs })),
    certificates: msg.certs.length,
    sid: form?.sid ?? null,
    attributes: form?.attributes ? [...form.attributes.keys()].map(oidLabel) : null,
  };
}

const oidLabel = (dotted: string): string => {
  const name = oidNameOf(dotted);
  return name ? `${name} (${dotted})` : dotted;
};

/** verify_pkcs7_signature over `content` with `cert` as the only trusted key (the builtin keyring of a fresh key service). */
function verifyWith(ks: KeyService, content: Uint8Array, sig: Uint8Array): { ret: number; rule: string; detail: string } {
  const v = ks.verify_pkcs7_signature(content, sig, 0, 'VERIFYING_UNSPECIFIED_SIGNATURE');
  return { ret: v.ret, rule: v.rule, detail: v.detail };
}

export function explainSkeleton(skel: LightSkeleton, opts: ExplainOptions): ExplainResult {
  const f = skeletonFeatures(skel);
  const candidates = candidateToolchains(skel);
  const evidence: string[] = [`${f.headerStyle === 'v7.1' ? 'bpftool 7.1' : 'bpftool ≥ 7.7'} header style (LSK-HDR-2)`];
  evidence.push(f.signed ? `signed: opts_sig holds a ${skel.signature!.length}-byte PKCS#7 signature (TC-BT77-5)` : 'unsigned: no opts_sig');
  if (f.signatureMaps) evidence.push(`-M: opts_signature_maps lists fd_array ${skel.signatureMaps!.join(', ')} (TC-HCM-2)`);
  else if (f.setsSignatureMaps) evidence.push('assigns opts.signature_maps = NULL: a bpftool with -M, signing without it (TC-HCM-2)');
  if (f.block) evidence.push(`the loader has a signature-match block (${f.block.kind}) at insn ${f.block.blocks[0]}${f.block.exclCheck !== null ? `, after a map->excl check at insn ${f.block.exclCheck} (LSK-SIGM-8)` : ' (LSK-SIGM-2)'}`);
  else if (f.signed) evidence.push('the signed loader has no signature-match block: the kernel checks the metadata (LSK-SIGM-7, TC-LB26-1)');
  if (f.signature)
    evidence.push(
      `the signature names its signer by ${f.signature.sid === 'skid' ? 'subjectKeyIdentifier' : 'issuer and serial number'} and has ${f.signature.attributes ? `signed attributes (${[...f.signature.attributes.keys()].map(oidLabel).join(', ')})` : 'no signed attributes'}${f.signature.sid === 'skid' && !f.signature.attributes ? ": bpftool's structure (PK7-CMS-2)" : ''}`,
    );

  // A fresh key service: the certificate (when given) is its only trusted key.
  const ks = new KeyService();
  let cert: ExplainResult['cert'] = null;
  let certIds: string[] = [];
  let certOk = false;
  if (opts.certDer) {
    const clog = new KLog();
    const parsed = x509_cert_parse(opts.certDer, { cfg: ks.config }, clog);
    const loaded = ks.load_builtin_certificate(opts.certDer);
    certOk = loaded >= 0;
    if (typeof parsed !== 'number') {
      cert = { subject: parsed.subject, skid: parsed.skid?.hex ?? null, matchesSigner: false };
      // A signer is named by the certificate's SKID, or by its serial and issuer (PK7-KEY-6).
      certIds = [parsed.id.hex, ...(parsed.skid ? [parsed.skid.hex] : [])];
    }
    else cert = { subject: `(unparsable: ${clog.detail})`, skid: null, matchesSigner: false };
  }
  const signature = skel.signature ? describeSignature(skel.signature, ks) : null;
  if (cert && signature) {
    const ids = new Set(signature.signers.map((s) => s.keyId));
    cert = { ...cert, matchesSigner: certIds.some((x) => ids.has(x)) };
  }

  // With a certificate: which candidates' signed content does the signature verify over?
  let verified: string[] | null = null;
  if (opts.certDer && skel.signature && certOk) {
    verified = candidates.filter((t) => verifyWith(ks, contentBytes(contentKind(t, f), t, skel), skel.signature!).ret === 0).map((t) => t.name);
  }
  const chosen = (verified && verified.length ? candidates.find((t) => t.name === verified![0]) : undefined) ?? candidates[0];

  // What the signature covers and the chain link.
  const checks: ChainCheck[] = [];
  let covers: ExplainResult['covers'] = null;
  if (skel.signature && chosen) {
    const kind = contentKind(chosen, f);
    const content = contentBytes(kind, chosen, skel);
    const attrs = f.signature?.attributes ? [...f.signature.attributes.keys()].map((o) => oidNameOf(o) ?? o) : null;
    // With signed attributes the signature is over the attributes, whose messageDigest is the content's digest.
    const text = attrs ? `${CONTENT_TEXT[kind].replace(' only (', ' (')} through the messageDigest of its signed attributes, and those attributes (${attrs.join(', ')}; PK7-PARSE-11)` : CONTENT_TEXT[kind];
    covers = { kind, text, bytes: content.length, sha256: hex(sha256(content)) };
    if (skel.exclHash) {
      const want = hex(sha256(skel.insns));
      const got = hex(skel.exclHash);
      checks.push({
        id: 'excl-hash',
        spec: ['TC-BT77-3', 'EXCL-1', 'KP-META-5'],
        statement: 'opts_excl_hash = SHA-256(opts_insn): the metadata map can only be used by this loader',
        result: got === want ? 'holds' : 'fails',
        detail: got === want ? want : `opts_excl_hash ${got} ≠ SHA-256(opts_insn) ${want}`,
      });
    }
    if (f.block) {
      const want = hex(sha256(skel.data));
      const ok = f.block.embeddedHash === want;
      checks.push({
        id: 'signature-match',
        spec: ['LSK-SIGM-2', 'LSK-SIGM-3', 'LSK-SIGM-5', 'CLAIM-9'],
        statement: `the four immediates of the loader's signature-match block (insns ${f.block.blocks.join(', ')}) = SHA-256(opts_data): the signed loader links to this metadata`,
        result: ok ? 'holds' : 'fails',
        detail: ok ? want : `embedded ${f.block.embeddedHash} ≠ SHA-256(opts_data) ${want}: the loader will reject this blob in BPF_PROG_TEST_RUN (-EINVAL, KP-META-2)`,
      });
    }
    if (kind === 'hash-chain-term') {
      checks.push({
        id: 'hash-chain-term',
        spec: ['TC-HCM-3', 'HC-CHK-5', 'CLAIM-9'],
        statement: 'the signed term is recomputed from the header: SHA256(SHA256(opts_insn) ‖ SHA256(opts_data))',
        result: 'holds',
        detail: `term ${hex(content)}`,
      });
    }
    const wantAttrs = chosen.signatureFormat?.signedAttributes?.({ insns: skel.insns, data: skel.data });
    if (wantAttrs?.length) {
      // The toolchain puts attributes of its own into the signature, computed from the loader and the
      // metadata (Hornet: the metadata map's hash, HN-ASN1-1): the signature covers them, so they
      // are the link to the data. Compare them with the ones the signature carries.
      const have = f.signature?.attributes ?? null;
      const dataHash = hex(sha256(skel.data));
      for (const a of wantAttrs) {
        const got = have?.get(a.oid) ?? null;
        const want = a.values.map((v) => hex(v));
        const same = got !== null && got.length === want.length && want.every((v, k) => v === got[k]);
        const holdsDataHash = got !== null && got.some((v) => v.includes(dataHash));
        checks.push({
          id: 'signed-attribute',
          spec: ['HN-ASN1-1', 'HN-ASN1-2', 'TC-HGS-1', 'CLAIM-9'],
          statement: `the signed attribute ${oidLabel(a.oid)} is the one ${chosen.name} computes from this skeleton: it ${holdsDataHash ? 'holds' : 'should hold'} SHA-256(opts_data), the metadata map's hash (MHASH-7)`,
          result: same ? 'holds' : 'fails',
          detail: got === null ? 'the signature has no such attribute' : same ? `holds SHA-256(opts_data) ${dataHash}` : `the signature's value ${got.join(', ')} ≠ the value computed from this skeleton ${want.join(', ')}${holdsDataHash ? '' : ` (SHA-256(opts_data) is ${dataHash})`}`,
        });
      }
    }
    if (opts.certDer && certOk) {
      const v = verifyWith(ks, content, skel.signature);
      checks.push({
        id: 'pkcs7',
        spec: ['PK7-VER-1', 'PK7-VER-3', 'PK7-VER-5', kind === 'insns-data' ? 'TC-LB26-2' : kind === 'hash-chain-term' ? 'TC-HCM-3' : 'TC-BT77-6'],
        statement: `the PKCS#7 signature verifies over ${kind === 'insns' ? 'opts_insn' : kind === 'insns-data' ? 'opts_insn ‖ opts_data' : 'the term'} with the certificate as the only trusted key (the kernel's rules)`,
        result: v.ret === 0 ? 'holds' : 'fails',
        detail: v.detail,
        rule: v.rule,
        errno: v.ret === 0 ? null : resultName(v.ret),
      });
    } else {
      checks.push({
        id: 'pkcs7',
        spec: ['PK7-VER-5'],
        statement: 'the PKCS#7 signature verifies over the signed content',
        result: 'not-checked',
        detail: opts.certDer ? 'the certificate cannot be used as a trusted key' : 'give --cert CERT to check it',
      });
    }
  }
  const holds = !skel.signature ? null : checks.some((c) => c.result === 'fails') ? false : checks.some((c) => c.result === 'not-checked') ? null : true;
  const summary = chainSummary(skel, covers?.kind ?? null, !!f.block, holds, checks.some((c) => c.id === 'signed-attribute'));

  // What each profile does with it.
  const profiles: ExplainProfileRun[] = [];
  let profilesNotRun: string | null = null;
  if (!chosen) profilesNotRun = 'no registered toolchain writes skeletons like this one, so no bpf_load_and_run flow can run it';
  else {
    const names = [...new Set((opts.profiles ?? profileNames()).map((n) => getProfile(n)?.name ?? n))];
    for (const profile of names) {
      const run = runSkeleton(skel, {
        profile,
        toolchain: chosen.name,
        lsm: 'default',
        comm: 'skel_loader',
        ...(opts.certDer ? { certDer: opts.certDer, keyring: 'session' as const } : {}),
        ...(opts.audit ? { audit: opts.audit } : {}),
      });
      const facts = cellFacts(run);
      const code = cellCode({ ...facts, profile, case: 'explain', recipe: { toolchain: chosen.name, signMaps: f.signatureMaps }, cross: false, tamperAccepted: false });
      profiles.push({
        profile,
        scheme: run.scheme,
        lsm: run.lsm,
        loaded: facts.loaded,
        code,
        failedAt: facts.failedAt,
        skeleton: facts.skeleton,
        loaderRetval: facts.loaderRetval,
        falsePositive: facts.falsePositive,
        falsePositiveEvidence: facts.falsePositiveEvidence,
      });
    }
  }

  const { block, signature: _form, ...features } = f;
  return {
    format: EXPLAIN_FORMAT,
    file: opts.file,
    skeleton: {
      name: skel.name,
      style: skel.style,
      insnCnt: skel.insns.length / 8,
      dataSize: skel.data.length,
      signatureSize: skel.signature?.length ?? null,
      exclHash: skel.exclHash ? hex(skel.exclHash) : null,
      signatureMaps: skel.signatureMaps ? [...skel.signatureMaps] : null,
      sha256: { insns: hex(sha256(skel.insns)), data: hex(sha256(skel.data)) },
    },
    toolchain: {
      name: chosen?.name ?? null,
      candidates: candidates.map((t) => t.name),
      verified,
      evidence,
      features,
      signatureMatchBlock: block ? { firstInsn: block.blocks[0]!, embeddedHash: block.embeddedHash, exclCheck: block.exclCheck } : null,
    },
    signature,
    covers,
    cert,
    chainLink: { holds, summary, checks },
    profiles,
    profilesNotRun,
  };
}

/** One paragraph: how the signature reaches the metadata, for this skeleton. CLAIM-9. */
function chainSummary(skel: LightSkeleton, kind: SignedContentKind | null, block: boolean, holds: boolean | null, attribute: boolean): string {
  if (!skel.signature) return 'Unsigned: nothing links the skeleton to a key. Whether it loads is up to the profile (and its LSMs).';
  const state = holds === true ? 'Every hop was checked offline and holds.' : holds === false ? 'A hop fails (below).' : 'Some hops need --cert to be checked.';
  switch (kind) {
    case 'insns':
      if (attribute)
        return `The signature covers the loader instructions and a signed attribute that carries the metadata map's hash: an integrity LSM compares it with the hash of the map the loader passes, at BPF_PROG_LOAD (HN-CHK-*), before admission; the loader's own map->sha compare runs later as well. The link is in the signed attribute. ${state}`;
      return block
        ? `The signature covers only the loader instructions; the loader covers the metadata by comparing map->sha with the hash it embeds (four ld_imm64 immediates), at run time in BPF_PROG_TEST_RUN — after BPF_PROG_LOAD admitted and audited the loader (KP-META-1/2). Offline, the link needs the loader disassembled (CLAIM-9). ${state}`
        : `The signature covers only the loader instructions, and the loader has no check of its metadata: nothing links the signature to opts_data. ${state}`;
    case 'insns-data':
      return `The signature covers the loader instructions and the metadata blob together; the kernel verifies it inside BPF_PROG_LOAD over the bytes it rebuilds (TC-LB26-2): the link is the signature itself. ${state}`;
    case 'hash-chain-term':
      return `The signature covers a hash of the loader's hash and the metadata's hash; the kernel recomputes it from the instructions and the listed maps at BPF_PROG_LOAD (TC-HCM-3): the link is in the signed term.${block ? ' The loader still compares map->sha as well (TC-HCM-4).' : ''} ${state}`;
    default:
      return `No registered toolchain makes such a skeleton: what the signature covers is unknown. ${state}`;
  }
}

/** The report as text. */
export function formatExplain(r: ExplainResult): string[] {
  const out: string[] = [`bpfsig explain ${r.file}`, ''];
  const s = r.skeleton;
  out.push(
    `skeleton    ${s.name}: ${s.style} header, ${s.insnCnt} loader insns, ${s.dataSize}-byte data blob${s.signatureSize !== null ? `, ${s.signatureSize}-byte signature` : ', unsigned'}${s.signatureMaps ? `, opts_signature_maps {${s.signatureMaps.join(', ')}}` : ''}`,
  );
  out.push(`            SHA-256(opts_insn) ${s.sha256.insns}`, `            SHA-256(opts_data) ${s.sha256.data}`);
  const t = r.toolchain;
  out.push(
    '',
    `toolchain   ${t.name ?? 'none of the registered ones'}${t.candidates.length > 1 ? ` (headers like this come from: ${t.candidates.join(', ')})` : ''}`,
  );
  if (t.verified) out.push(`            the signature verifies over the content signed by: ${t.verified.length ? t.verified.join(', ') : 'none of them'}`);
  for (const e of t.evidence) out.push(`            · ${e}`);
  if (r.signature) {
    const sig = r.signature;
    out.push('', `signature   ${sig.bytes}-byte PKCS#7: ${sig.parse.ok ? sig.parse.detail : `refused by the kernel's parser: -${sig.parse.errno} (${sig.parse.rule}: ${sig.parse.detail})`}`);
    for (const g of sig.signers) out.push(`            signer key id ${g.keyId}, ${g.hash ?? '?'}/${g.pkey ?? '?'}, ${g.signedAttributes ? 'with' : 'no'} signed attributes`);
    out.push(`            ${sig.certificates} embedded certificate${sig.certificates === 1 ? '' : 's'}`);
  }
  if (r.cert) out.push(`certificate ${r.cert.subject}; SKID ${r.cert.skid ?? 'none'}${r.signature ? (r.cert.matchesSigner ? '; it is the signer' : '; not the signer (neither its SKID nor its serial and issuer is the signer\'s key id)') : ''}`);
  if (r.covers) out.push('', `covers      ${r.covers.text}: ${r.covers.bytes} bytes, SHA-256 ${r.covers.sha256}`);
  out.push('', `chain link  (CLAIM-9, offline) ${!r.signature ? 'none: the skeleton is unsigned' : r.chainLink.holds === true ? 'HOLDS' : r.chainLink.holds === false ? 'FAILS' : 'not fully checked'}`);
  for (const c of r.chainLink.checks) {
    out.push(`  [${c.result === 'holds' ? 'holds' : c.result === 'fails' ? 'FAILS' : 'not checked'}] ${c.statement} (${c.spec.join(', ')})`);
    out.push(`            ${c.rule ? `${c.errno ? `-${c.errno}` : 'OK'} ${c.rule}: ` : ''}${c.detail}`);
  }
  for (const l of wrap(r.chainLink.summary, 88)) out.push(`  ${l}`);
  out.push('', 'profiles    what each registered profile does with it (fresh kernel, the scheme\'s default LSM stack' + (r.cert ? ', the certificate in the session keyring)' : ', no key added: keyring_id 0)'));
  if (r.profilesNotRun) out.push(`  not run: ${r.profilesNotRun}`);
  const w = Math.max(16, ...r.profiles.map((p) => p.profile.length));
  for (const p of r.profiles) {
    const where = p.loaded ? 'loaded' : p.failedAt ? `${p.failedAt.syscall} (#${p.failedAt.sys}) ${p.failedAt.stage ?? '?'}: ${p.failedAt.oops ? `KERNEL OOPS (${p.failedAt.oops})` : (p.failedAt.errno ?? p.failedAt.ret)}` : `skeleton ${p.skeleton.errno ?? p.skeleton.result}`;
    out.push(`  ${p.profile.padEnd(w)} ${p.code.padEnd(12)} ${where}${p.falsePositive ? '  FALSE POSITIVE' : ''}`);
  }
  return out;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}
