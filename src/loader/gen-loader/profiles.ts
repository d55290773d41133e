// Toolchain profiles: what one bpftool/libbpf pair does when it generates a light skeleton
// (`bpftool gen skeleton -L [-S]`) and when the skeleton runs (`bpf_load_and_run` in that libbpf's
// skel_internal.h). A profile is data; the generator (gen-loader.ts, bpf-gen.ts), the header writer
// (lskel-writer.ts) and the skeleton runtime (skel-runtime.ts) read it and know no toolchain by
// name. The profiles themselves live in their scheme's folder (src/schemes/<name>/) and are
// registered once. spec: TC-BT71-*, TC-BT77-*, TC-HCM-*, TC-LB2606-*, TC-LB26-*, TC-HGS-1, LSK-RUN-*.

import type { ExtraAttribute } from '../../keys/sign.js';

/**
 * bpf_load_and_run() as one libbpf's skel_internal.h runs it. spec: LSK-RUN-1..9 (1.1 and 1.7),
 * HC-UAPI-2 (signature_maps), TC-LB26-1 (2026 load-time: fd_array_cnt = 1 when signed, no GET_INFO).
 */
export interface LoaderFlow {
  /** e.g. `libbpf-1.7`. */
  readonly name: string;
  /** MAP_CREATE attr size: 72 (1.1) or 92 (1.7, with excl_prog_hash). */
  readonly mapCreateAttrSize: number;
  /** Pass the header's excl_prog_hash at MAP_CREATE. */
  readonly exclProgHash: boolean;
  /** BPF_MAP_FREEZE after the update (LSK-RUN-3). */
  readonly freeze: boolean;
  /** BPF_OBJ_GET_INFO_BY_FD with a hash buffer, so the kernel fills map->sha (LSK-RUN-4). */
  readonly getInfoHash: boolean;
  /** BPF_PROG_LOAD attr size: 128 (1.1, offsetofend fd_array), 168 (1.7, keyring_id), 180 (signature_maps_size). */
  readonly progLoadAttrSize: number;
  /** Pass signature, signature_size and keyring_id. */
  readonly signatureFields: boolean;
  /** Pass the header's signature_maps / signature_maps_sz (hash chains, userspace builds only). */
  readonly signatureMaps: boolean;
  /** fd_array_cnt when the skeleton is signed (1 in the 2026 load-time flow), else 0. */
  readonly fdArrayCntWhenSigned: number;
}

/**
 * How a toolchain's PKCS#7 departs from bpftool's structure (PK7-CMS-2: SKID signer id, no signed
 * attributes): its signer id, and signed attributes computed from what was generated — e.g. Hornet's
 * gen_sig (TC-HGS-1), an issuer-and-serial signer with contentType, signingTime and messageDigest
 * plus the metadata map's hash as an attribute of its own. Never S/MIME capabilities (HN-ASN1-4).
 */
export interface SignatureFormat {
  /** The SignerInfo's sid: 'skid' (bpftool, CMS_USE_KEYID) or 'issuer-serial'. */
  readonly sid: 'skid' | 'issuer-serial';
  /** Present: sign with signed attributes, adding the ones this returns for the generated loader and data blob. */
  readonly signedAttributes?: (generated: { readonly insns: Uint8Array; readonly data: Uint8Array }) => readonly ExtraAttribute[];
}

/** How the loader program checks its metadata map (the signature-match block, LSK-SIGM-*). */
export type SignatureMatch =
  /** none: unsigned loaders, and the 2026 load-time loader (the kernel checks the metadata) */
  | 'none'
  /** libbpf 1.7: four dword compares of map->sha, the v6.18-era off-by-one jump (LSK-SIGM-6) */
  | 'libbpf-1.7'
  /** libbpf 2026-06 (5a5b5b0d, 7e3bab2a): `map->excl` (u32 at 32) must be 1, then the compares, jumps fixed (LSK-SIGM-8, TC-LB2606-1/4) */
  | 'libbpf-2026-06';

export interface ToolchainProfile {
  /** `bpftool-7.7`, `hashchain`, … (the name `--toolchain` takes). */
  readonly name: string;
  /** One line for help and reports. */
  readonly summary: string;
  readonly bpftool: string;
  readonly libbpf: string;
  /** libbpf ≥ 1.3: an internal map is BPF_F_MMAPABLE only if its DATASEC has a global VAR;
   *  libbpf 1.1 marks every internal map mmap-able. */
  readonly mmapableNeedsGlobalVar: boolean;
  /** libbpf ≥ 1.2 turns hidden global variables into static BTF VARs at open time. */
  readonly hiddenVarsStatic: boolean;
  /** libbpf 1.7 stores a kfunc's BTF fd into fd_array before checking for vmlinux BTF. */
  readonly kfuncStoreFdFirst: boolean;
  /** libbpf ≥ 1.3 loads usdt programs with expected_attach_type BPF_TRACE_UPROBE_MULTI (loader mode
   *  assumes the kernel supports multi-uprobe links). */
  readonly usdtUprobeMulti: boolean;
  /** bpftool ≥ 7.7 can sign (-S): gen_hash + signature fields in the header. */
  readonly canSign: boolean;
  /** -M / --sign-maps (the hash-chain bpftool patch, TC-HCM-1). */
  readonly canSignMaps: boolean;
  /** The loader's metadata check when signing (gen_hash). */
  readonly signatureMatch: SignatureMatch;
  /** A signed (gen_hash) loader ignores the ctx max_entries / initial_value overrides (TC-LB2606-5/6, kept by TC-LB26-1). */
  readonly signedSkipsCtxOverrides: boolean;
  /** What the PKCS#7 signature covers: the loader insns (TC-BT77-3) or insns ‖ metadata (TC-LB26-2). -M overrides (TC-HCM-3). */
  readonly signs: 'insns' | 'insns-data';
  /** .lskel.h style: 7.1 assigns string literals directly; 7.7 uses static arrays and casts. */
  readonly headerStyle: 'v7.1' | 'v7.7';
  /** How its skeletons run. */
  readonly flow: LoaderFlow;
  /** The PKCS#7 it makes when it signs; absent: bpftool's (PK7-CMS-2). */
  readonly signatureFormat?: SignatureFormat;
}

const TOOLCHAINS = new Map<string, ToolchainProfile>();

/** Register a toolchain profile (src/schemes/index.ts does, once per scheme). */
export function registerToolchain(t: ToolchainProfile): void {
  const clash = TOOLCHAINS.get(t.name);
  if (clash && clash !== t) throw new RangeError(`toolchain '${t.name}' is registered twice`);
  TOOLCHAINS.set(t.name, t);
}

/** A registered toolchain by name, or undefined. */
export function findToolchain(name: string): ToolchainProfile | undefined {
  return TOOLCHAINS.get(name);
}

/** A registered toolchain by name; a RangeError naming the known ones otherwise. */
export function toolchain(name: string): ToolchainProfile {
  const t = TOOLCHAINS.get(name);
  if (!t) throw new RangeError(`unknown toolchain '${name}' (known: ${[...TOOLCHAINS.keys()].join(', ') || 'none registered'})`);
  return t;
}

export function toolchainNames(): string[] {
  return [...TOOLCHAINS.keys()];
}
