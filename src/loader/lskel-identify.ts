// What a light skeleton's loader does, read from its instructions and header, and which registered
// toolchains could have written it. `skel load` picks the bpf_load_and_run flow from this when the
// user names none; `explain` reports it. spec: LSK-SIGM-1..6 (the signature-match block), LSK-HDR-*,
// TC-BT77-5, TC-HCM-2 (opts_signature_maps), TC-LB26-1 (a signed loader without a hash compare),
// TC-HGS-1 (a signature in gen_sig's form: issuer-serial signer, the Hornet signed attribute).

import { BPF_DW, BPF_JMP, BPF_JNE, BPF_K, BPF_LD, BPF_LDX, BPF_MEM, BPF_PSEUDO_MAP_IDX, BPF_W, BPF_X, decodeInsns } from './insn.js';
import { contentOf, readChildren, readTlv } from '../keys/ber.js';
import { DEFAULT_KEYS_CONFIG } from '../keys/config.js';
import { KLog } from '../keys/klog.js';
import { decodeOid } from '../keys/oid.js';
import { pkcs7_parse_message } from '../keys/pkcs7-parse.js';
import { findToolchain, toolchainNames, type SignatureMatch, type ToolchainProfile } from './gen-loader/profiles.js';
import type { LightSkeleton } from './lskel-reader.js';

export interface SignatureMatchBlock {
  /** The metadata hash embedded in the loader (the four ld_imm64 immediates), hex. */
  readonly embeddedHash: string;
  /** First instruction of each of the four compare blocks. */
  readonly blocks: readonly number[];
  /** Where each mismatch jumps (insn index). */
  readonly jumpTargets: readonly number[];
  /**
   * The 2026-06 exclusivity check before the compares (LSK-SIGM-8): `r2 = *(u32 *)(map + 32)`,
   * `if r2 != 1 goto cleanup`; its first instruction, or null when absent (libbpf 1.7).
   */
  readonly exclCheck: number | null;
  /** Which libbpf emitted it: 1.7 (off-by-one jumps, no excl check) or the 2026-06 hardened loader. */
  readonly kind: Exclude<SignatureMatch, 'none'>;
}

/**
 * The signature-match block of a signed loader (LSK-SIGM-2/3): four times `r1 = map[idx 0]`,
 * `r2 = *(u64 *)(r1 + 8k)`, `r3 = IMM64`, `r7 = -EINVAL`, `if r2 != r3 goto …`, in the 2026-06
 * hardened loader preceded by the `map->excl` check (LSK-SIGM-8, TC-LB2606-4). Null when the loader
 * has none (unsigned, or a 2026 load-time loader, LSK-SIGM-7).
 */
export function signatureMatchBlock(insns: Uint8Array): SignatureMatchBlock | null {
  const ins = decodeInsns(insns);
  const dwords = new Map<number, { imm: bigint; at: number; target: number }>();
  for (let i = 0; i + 6 < ins.length; i++) {
    const a = ins[i]!;
    const ld = ins[i + 2]!;
    const lo = ins[i + 3]!;
    const hi = ins[i + 4]!;
    const jne = ins[i + 6]!;
    const isMapIdx = a.code === (BPF_LD | BPF_DW) && a.src === BPF_PSEUDO_MAP_IDX && a.imm === 0;
    const isShaRead = ld.code === (BPF_LDX | BPF_MEM | BPF_DW) && ld.dst === 2 && ld.src === 1 && ld.off >= 0 && ld.off < 32 && ld.off % 8 === 0;
    const isConst = lo.code === (BPF_LD | BPF_DW) && lo.dst === 3 && lo.src === 0;
    const isJne = jne.code === (BPF_JMP | BPF_JNE | BPF_X) && jne.dst === 2 && jne.src === 3;
    if (!isMapIdx || !isShaRead || !isConst || !isJne) continue;
    dwords.set(ld.off / 8, { imm: (BigInt(hi.imm >>> 0) << 32n) | BigInt(lo.imm >>> 0), at: i, target: i + 7 + jne.off });
  }
  if (dwords.size !== 4) return null;
  // LSK-SIGM-8: r1 = map[idx 0]; r2 = *(u32 *)(r1 + 32); r7 = -EINVAL; if r2 != 1 goto …, right before block 0.
  const first = dwords.get(0)!.at;
  const e = first - 5;
  const exclCheck =
    e >= 0 &&
    ins[e]!.code === (BPF_LD | BPF_DW) && ins[e]!.src === BPF_PSEUDO_MAP_IDX && ins[e]!.imm === 0 &&
    ins[e + 2]!.code === (BPF_LDX | BPF_MEM | BPF_W) && ins[e + 2]!.dst === 2 && ins[e + 2]!.src === 1 && ins[e + 2]!.off === 32 &&
    ins[e + 4]!.code === (BPF_JMP | BPF_JNE | BPF_K) && ins[e + 4]!.dst === 2 && ins[e + 4]!.imm === 1
      ? e
      : null;
  const out = Buffer.alloc(32);
  const blocks: number[] = [];
  const jumpTargets: number[] = [];
  for (let k = 0; k < 4; k++) {
    const d = dwords.get(k)!;
    out.writeBigUInt64LE(d.imm, 8 * k);
    blocks.push(d.at);
    jumpTargets.push(d.target);
  }
  return { embeddedHash: out.toString('hex'), blocks, jumpTargets, exclCheck, kind: exclCheck !== null ? 'libbpf-2026-06' : 'libbpf-1.7' };
}

/**
 * The form of a skeleton's PKCS#7 (opts_sig): its signer id — SignedData version 1 names the
 * signer by issuer and serial, version 3 by SKID (PK7-PARSE-7) — and its signed attributes, each as
 * its OID and the DER of its values. Null when the kernel's parser refuses the blob.
 */
export interface SignatureForm {
  readonly sid: 'skid' | 'issuer-serial';
  /** null: no signed attributes. */
  readonly attributes: ReadonlyMap<string, readonly string[]> | null;
}

export function signatureForm(sig: Uint8Array): SignatureForm | null {
  const msg = pkcs7_parse_message(sig, { cfg: DEFAULT_KEYS_CONFIG }, new KLog());
  if (typeof msg === 'number' || !msg.signedInfos[0]) return null;
  const si = msg.signedInfos[0];
  const sid = msg.version === 1 ? 'issuer-serial' : 'skid';
  const raw = si.authattrsTlv;
  if (!raw) return { sid, attributes: null };
  const attributes = new Map<string, string[]>();
  const top = readTlv(raw, 0);
  for (const a of (top && readChildren(raw, top)) ?? []) {
    const [oid, values] = readChildren(raw, a) ?? [];
    if (!oid || !values) continue;
    const dotted = decodeOid(contentOf(raw, oid));
    if (dotted) attributes.set(dotted, (readChildren(raw, values) ?? []).map((v) => Buffer.from(raw.subarray(v.start, v.end)).toString('hex')));
  }
  return { sid, attributes };
}

/** Structural facts about a skeleton that tell toolchains apart. */
export interface SkeletonFeatures {
  readonly headerStyle: 'v7.1' | 'v7.7';
  readonly signed: boolean;
  /** -M: the header lists signature_maps (TC-HCM-2). */
  readonly signatureMaps: boolean;
  /** The header assigns opts.signature_maps / _sz: only a libbpf with those fields compiles it (HC-UAPI-2). */
  readonly setsSignatureMaps: boolean;
  /** The loader's own metadata check: 'none', or the kind of signature-match block found. */
  readonly signatureMatch: SignatureMatch;
  readonly block: SignatureMatchBlock | null;
  /** The signature's form, when the skeleton is signed and its signature parses. */
  readonly signature: SignatureForm | null;
}

export function skeletonFeatures(skel: LightSkeleton): SkeletonFeatures {
  const block = signatureMatchBlock(skel.insns);
  return {
    headerStyle: skel.style === 'bpftool-7.1' ? 'v7.1' : 'v7.7',
    signed: skel.signature !== undefined,
    signatureMaps: skel.signatureMaps !== undefined,
    setsSignatureMaps: skel.signatureMapsOpts !== undefined,
    signatureMatch: block?.kind ?? 'none',
    block,
    signature: skel.signature ? signatureForm(skel.signature) : null,
  };
}

/**
 * How `t`'s signature would look for this skeleton: 'no' if its form differs (signer id, signed
 * attributes or not, the attribute OIDs it adds), 'exact' if the attributes it computes from the
 * skeleton's own loader and data are the ones in the signature, 'form' otherwise (e.g. the data was
 * changed after signing). Unsigned skeletons and unparsable signatures say nothing ('form').
 * spec: PK7-CMS-2, TC-HGS-1
 */
function signatureFit(t: ToolchainProfile, skel: LightSkeleton, f: SkeletonFeatures): 'no' | 'form' | 'exact' {
  const got = f.signature;
  if (!f.signed || !got) return 'form';
  const want = t.signatureFormat;
  if ((want?.sid ?? 'skid') !== got.sid) return 'no';
  if (!want?.signedAttributes) return got.attributes === null ? 'exact' : 'no';
  if (got.attributes === null) return 'no';
  const extra = want.signedAttributes({ insns: skel.insns, data: skel.data });
  if (!extra.every((x) => got.attributes!.has(x.oid))) return 'no';
  const same = extra.every((x) => {
    const have = got.attributes!.get(x.oid)!;
    return have.length === x.values.length && x.values.every((v, i) => Buffer.from(v).toString('hex') === have[i]);
  });
  return same ? 'exact' : 'form';
}

/** Does `t` produce skeletons with these features? */
function fits(t: ToolchainProfile, f: SkeletonFeatures): boolean {
  if (t.headerStyle !== f.headerStyle) return false;
  if (f.signed && !t.canSign) return false;
  if ((f.signatureMaps || f.setsSignatureMaps) && !t.canSignMaps) return false;
  // A bpftool with -M writes opts.signature_maps / _sz into every signed header (NULL and 0 without -M).
  if (f.signed && t.canSignMaps && !f.setsSignatureMaps) return false;
  // An unsigned loader has no signature-match block whatever the toolchain; a signed one has the toolchain's.
  if (f.signed && t.signatureMatch !== f.signatureMatch) return false;
  return true;
}

/**
 * The registered toolchains that could have written this skeleton, in registration order (the
 * first is the default choice). Unsigned bpftool ≥ 7.7 skeletons fit several toolchains: their
 * headers are the same, and only the libbpf the program is built against decides the flow.
 */
export function candidateToolchains(skel: LightSkeleton): ToolchainProfile[] {
  // A parsed skeleton is not changed after reading (tampers make a copy), and the registry only
  // grows (registerToolchain refuses a second profile under a name): the answer holds while the
  // number of registered toolchains is the same (issue K: every run of a skeleton asks).
  const registered = toolchainNames().length;
  const known = CANDIDATES.get(skel);
  if (known && known.registered === registered) return [...known.list];
  const f = skeletonFeatures(skel);
  const fit = toolchainNames()
    .map((n) => findToolchain(n)!)
    .filter((t) => fits(t, f))
    .map((t) => ({ t, sig: signatureFit(t, skel, f) }))
    .filter((x) => x.sig !== 'no');
  // Signatures whose attributes the toolchain would compute exactly for this loader come first.
  const list = [...fit.filter((x) => x.sig === 'exact'), ...fit.filter((x) => x.sig !== 'exact')].map((x) => x.t);
  CANDIDATES.set(skel, { registered, list });
  return [...list];
}
const CANDIDATES = new WeakMap<LightSkeleton, { readonly registered: number; readonly list: readonly ToolchainProfile[] }>();
