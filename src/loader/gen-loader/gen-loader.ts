// genLoader(): what `bpftool gen skeleton -L [-S]` obtains from libbpf — bpf_object__gen_loader()
// followed by bpf_object__load() — reproduced for a BpfObject: the loader program, the data blob,
// and for signed skeletons the exclusive-map hash and the PKCS#7 signature over the loader.
//
// In loader-generation mode libbpf assumes the newest kernel for every feature probe, so no BTF
// sanitisation happens and all map/program features are used as declared.

import { createHash } from 'node:crypto';
import type { SignOptions } from '../../keys/sign.js';
import { Errno } from '../../syscall/errno.js';
import { BTF_FUNC_GLOBAL, BTF_FUNC_STATIC, BTF_VAR_GLOBAL_ALLOCATED, BtfKind, funcLinkage, setVarLinkage, type Btf } from '../../btf/btf.js';
import { capture, fail, type Result } from '../errors.js';
import { type BpfMap, type BpfObject, mapIsInternal, progIsSubprog } from '../elf/object-types.js';
import { SEC_ATTACH_BTF, SEC_SLEEPABLE, SEC_USDT, SEC_XDP_FRAGS } from '../elf/section-defs.js';
import { AttachType, BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS, MapFlag, MapType, ProgType } from '../uapi.js';
import { BpfGen, LOADER_CTX_SIZE, MAP_DESC_SIZE, PROG_DESC_SIZE } from './bpf-gen.js';
import { toolchain, type ToolchainProfile } from './profiles.js';
import { relocateObject } from './relocate.js';
import { resolveKconfig } from './kconfig.js';

/**
 * What a signer is asked to make besides signing the content: the toolchain's signer id and signed
 * attributes (ToolchainProfile.signatureFormat), as options of the keys module's signPkcs7. Empty for
 * bpftool's structure.
 */
export type SignRequest = Pick<SignOptions, 'sid' | 'signedAttributes'>;

/**
 * Produces the detached DER PKCS#7 signature over `content` — what the toolchain signs: the loader
 * instructions (bpftool -S), insns ‖ metadata (2026 load-time), or the hash-chain term (-M) — in the
 * form `request` asks for (e.g. `(c, r) => signPkcs7(c, { ...r, key, cert })`).
 */
export type LoaderSigner = (content: Uint8Array, request: SignRequest) => Uint8Array;

export interface GenLoaderOptions {
  /** A toolchain profile, or the name of a registered one (src/schemes/). */
  profile: ToolchainProfile | string;
  /** Sign (bpftool -S; a toolchain with canSign only). */
  sign?: boolean;
  /** -M / --sign-maps: sign the hash chain over the loader and its metadata map (implies sign). */
  signMaps?: boolean;
  /** Required with `sign`: e.g. issue C's PKCS#7 signer, or a test signer returning a fixture. */
  signer?: LoaderSigner;
  /** signingTime of a toolchain that signs with signed attributes (default: now); fix it for reproducible output. */
  signingTime?: Date;
  /** Kconfig text (`CONFIG_X=y` lines) for `__kconfig` externs, like libbpf's `kconfig` open option. */
  kconfig?: string;
  /** LINUX_KERNEL_VERSION for `__kconfig` externs (KERNEL_VERSION(a,b,c) encoding). */
  kernelVersion?: number;
  /** Possible CPUs: max_entries of a PERF_EVENT_ARRAY declared with 0 entries. Default 1. */
  nrCpus?: number;
  /** Typeless ksym addresses; libbpf reads /proc/kallsyms, which shows 0 to unprivileged users. */
  kallsyms?: Record<string, bigint>;
}

export interface CtxMapEntry {
  /** Identifier in the skeleton's `maps` struct. */
  readonly ident: string;
  readonly name: string;
  readonly index: number;
  /** Offset of the map's `struct bpf_map_desc` inside the skeleton (= inside the loader ctx). */
  readonly offset: number;
}

export interface CtxProgEntry {
  readonly name: string;
  readonly index: number;
  readonly offset: number;
}

/** spec: LSK-CTX-4 — where the loader reads/writes each map and program in the skeleton ctx. */
export interface CtxLayout {
  readonly maps: readonly CtxMapEntry[];
  readonly progs: readonly CtxProgEntry[];
  /** ctx.sz = offsetof(struct <name>, links) */
  readonly size: number;
}

export interface LoaderOutput {
  readonly profile: ToolchainProfile;
  readonly insns: Uint8Array;
  readonly data: Uint8Array;
  /** SHA-256 of the loader instructions (bpftool's excl_prog_hash), only when signing. */
  readonly exclHash: Uint8Array | undefined;
  /** Detached DER PKCS#7 over what the toolchain signs (signedContent), only when signing. */
  readonly signature: Uint8Array | undefined;
  /** -M: the fd_array indexes of the signed maps (bpftool signs only index 0, `__loader.map`, TC-HCM-2). */
  readonly signatureMaps: readonly number[] | undefined;
  readonly ctx: CtxLayout;
  /** The map flags the generator used, per map (for the header writer and `inspect`). */
  readonly mapFlags: readonly number[];
  /** Initial value written into each internal map (kconfig: resolved values); undefined for user maps. */
  readonly mapInitialValues: readonly (Uint8Array | undefined)[];
}

/** bpftool get_map_ident(): the skeleton identifier of a map, or undefined if unrecognised. */
export function mapIdent(map: BpfMap): string | undefined {
  if (!mapIsInternal(map)) return map.name;
  for (const sfx of ['.data', '.rodata', '.bss', '.kconfig']) {
    const p = map.name.indexOf(sfx);
    if (p >= 0) return map.name.slice(p + 1).replace(/[^A-Za-z0-9_]/g, '_');
  }
  return undefined;
}

/** The flags libbpf passes to MAP_CREATE for `map` under `profile`. */
export function effectiveMapFlags(map: BpfMap, profile: ToolchainProfile): number {
  if (!mapIsInternal(map)) return map.mapFlags;
  const mmapable = profile.mmapableNeedsGlobalVar ? map.hasGlobalVars : true;
  return map.mapFlags | (mmapable ? MapFlag.MMAPABLE : 0);
}

/** Map types whose BTF key/value ids libbpf drops at creation. */
const NO_BTF_TYPES: ReadonlySet<number> = new Set([
  MapType.PERF_EVENT_ARRAY, MapType.CGROUP_ARRAY, MapType.STACK_TRACE, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS,
  MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP, MapType.SOCKMAP, MapType.SOCKHASH,
  MapType.QUEUE, MapType.STACK,
]);

/** libbpf btf_get_kernel_prefix_kind() */
function kernelPrefixKind(attachType: number): [string, number] {
  switch (attachType) {
    case AttachType.TRACE_RAW_TP: return ['btf_trace_', BtfKind.TYPEDEF];
    case AttachType.LSM_MAC:
    case AttachType.LSM_CGROUP: return ['bpf_lsm_', BtfKind.FUNC];
    case AttachType.TRACE_ITER: return ['bpf_iter_', BtfKind.FUNC];
    default: return ['', BtfKind.FUNC];
  }
}

export function ctxLayout(obj: BpfObject): CtxLayout {
  const maps: CtxMapEntry[] = [];
  obj.maps.forEach((m, index) => {
    const ident = mapIdent(m);
    if (ident !== undefined) maps.push({ ident, name: m.name, index, offset: LOADER_CTX_SIZE + MAP_DESC_SIZE * index });
  });
  const mainProgs = obj.programs.filter((p) => !progIsSubprog(obj, p));
  const progBase = LOADER_CTX_SIZE + MAP_DESC_SIZE * maps.length;
  const progs = mainProgs.map((p, index) => ({ name: p.name, index, offset: progBase + PROG_DESC_SIZE * index }));
  return { maps, progs, size: progBase + PROG_DESC_SIZE * progs.length };
}

/** The object's BTF as the profile's libbpf leaves it after open (a copy). */
export function profileBtf(obj: BpfObject, profile: ToolchainProfile): Btf | undefined {
  const btf = obj.btf?.clone();
  if (btf && !profile.hiddenVarsStatic) for (const id of obj.hiddenVars) setVarLinkage(btf.type(id), BTF_VAR_GLOBAL_ALLOCATED);
  return btf;
}

export function genLoader(obj: BpfObject, options: GenLoaderOptions): Result<LoaderOutput> {
  return capture('generation', () => generate(obj, options));
}

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/**
 * What the toolchain's signature covers, given the loader and its metadata blob: the raw insns
 * (TC-BT77-3), insns ‖ data (TC-LB26-2: the bytes the 7.3 kernel rebuilds, OBS-DEB-30), or with -M
 * the 32-byte term SHA256(SHA256(insns) ‖ SHA256(data)) (TC-HCM-3, HC-SIG-3 with one map).
 */
export function signedContent(profile: ToolchainProfile, insns: Uint8Array, data: Uint8Array, signMaps = false): Uint8Array {
  if (signMaps) return sha256(sha256(insns), sha256(data));
  if (profile.signs === 'insns-data') {
    const out = new Uint8Array(insns.length + data.length);
    out.set(insns);
    out.set(data, insns.length);
    return out;
  }
  return insns;
}

/**
 * The signer id and signed attributes the toolchain's signature carries (its signatureFormat), for
 * the generated loader and data blob; empty for bpftool's structure. spec: PK7-CMS-2, TC-HGS-1
 */
export function signRequest(profile: ToolchainProfile, insns: Uint8Array, data: Uint8Array, signingTime?: Date): SignRequest {
  const f = profile.signatureFormat;
  if (!f) return {};
  if (!f.signedAttributes) return { sid: f.sid };
  return { sid: f.sid, signedAttributes: { extra: f.signedAttributes({ insns, data }), ...(signingTime ? { signingTime } : {}) } };
}

function generate(obj: BpfObject, options: GenLoaderOptions): LoaderOutput {
  let profile: ToolchainProfile;
  try {
    profile = typeof options.profile === 'string' ? toolchain(options.profile) : options.profile;
  } catch (e) {
    fail('generation', (e as Error).message);
  }
  const signMaps = options.signMaps ?? false;
  const sign = (options.sign ?? false) || signMaps;
  if (sign && !profile.canSign) fail('generation', `${profile.name} cannot sign light skeletons (signing needs bpftool ≥ 7.7, TC-BT77-1)`, Errno.EOPNOTSUPP);
  if (signMaps && !profile.canSignMaps) fail('generation', `${profile.name} has no -M (--sign-maps): that is the hash-chain bpftool patch (TC-HCM-1)`, Errno.EOPNOTSUPP);
  if (sign && !options.signer) fail('generation', 'signing requested but no signer was given', Errno.EINVAL);

  for (const m of obj.maps) {
    if (m.pinning) fail('unsupported', `map '${m.name}': pinned maps cannot be created by a light skeleton generator (would touch /sys/fs/bpf)`, Errno.EOPNOTSUPP);
    if (m.initSlots.length)
      fail('unsupported', `map '${m.name}': ${m.type === MapType.PROG_ARRAY ? 'prog-array' : 'map-in-map'} slot initialisation is not supported in loader mode`, Errno.EOPNOTSUPP);
  }

  const gen = new BpfGen({
    kfuncStoreFdFirst: profile.kfuncStoreFdFirst,
    genHash: sign,
    signatureMatch: profile.signatureMatch,
    skipCtxOverrides: profile.signedSkipsCtxOverrides,
  });
  // bpf_object_load(): bpf_gen__init(extra_log_level = 0, obj->nr_programs, obj->nr_maps)
  gen.init(0, obj.programs.length, obj.maps.length);

  // bpf_object__resolve_externs()
  const kcfgData = resolveKconfig(obj, options);
  const ksymAddr = (extIdx: number) => {
    const e = obj.externs[extIdx];
    return options.kallsyms?.[e.name] ?? 0n;
  };

  // bpf_object__sanitize_and_load_btf(): hidden global subprograms get a static BTF FUNC
  const btf = profileBtf(obj, profile);
  if (btf) {
    for (const p of obj.programs) {
      if (!p.markBtfStatic || !progIsSubprog(obj, p)) continue;
      for (let j = 1; j < btf.typeCount; j++) {
        const t = btf.type(j);
        if (t.kind !== BtfKind.FUNC || funcLinkage(t) !== BTF_FUNC_GLOBAL) continue;
        if (btf.str(t.nameOff) !== p.name) continue;
        t.vlen = BTF_FUNC_STATIC;
        break;
      }
    }
    for (let j = 1; j < btf.typeCount; j++) {
      const t = btf.type(j);
      if (t.kind === BtfKind.DECL_TAG && (t.extra[0] | 0) === -1 && btf.str(t.nameOff).startsWith('exception_callback:'))
        fail('unsupported', 'BPF exception callbacks (exception_callback: decl tags) are not supported by this generator', Errno.EOPNOTSUPP);
    }
    gen.loadBtf(btf.rawData());
  }

  // bpf_object__create_maps()
  const mapFlags = obj.maps.map((m) => effectiveMapFlags(m, profile));
  const mapInitialValues = obj.maps.map((m) => (m.libbpfType === 'kconfig' ? kcfgData : m.initialValue));
  obj.maps.forEach((m, i) => {
    const create = (mm: BpfMap, idx: number, flags: number) => {
      let maxEntries = mm.maxEntries;
      if (mm.type === MapType.PERF_EVENT_ARRAY && !maxEntries) maxEntries = options.nrCpus ?? 1;
      const dropBtf = NO_BTF_TYPES.has(mm.type) || !btf;
      gen.mapCreate({
        mapType: mm.type, name: mm.name, keySize: mm.keySize, valueSize: mm.valueSize, maxEntries,
        mapFlags: flags, mapExtra: mm.mapExtra, numaNode: mm.numaNode, mapIfindex: 0,
        btfKeyTypeId: dropBtf ? 0 : mm.btfKeyTypeId, btfValueTypeId: dropBtf ? 0 : mm.btfValueTypeId,
        btfVmlinuxValueTypeId: 0,
      }, idx);
    };
    if ((m.type === MapType.ARRAY_OF_MAPS || m.type === MapType.HASH_OF_MAPS) && m.innerMap) create(m.innerMap, -1, m.innerMap.mapFlags);
    create(m, i, mapFlags[i]);
    if (mapIsInternal(m)) {
      gen.mapUpdateElem(i, mapInitialValues[i]!, m.valueSize);
      if (m.libbpfType === 'rodata' || m.libbpfType === 'kconfig') gen.mapFreeze(i);
    }
  });

  // bpf_object__relocate()
  const linked = relocateObject(obj, { ksymAddr });

  // bpf_object__load_progs()
  for (const lp of linked) {
    const p = lp.prog;
    if (p.type === ProgType.UNSPEC) fail('program', `prog '${p.name}': missing BPF prog type, check ELF section name '${p.secName}'`);
    if (p.type === ProgType.STRUCT_OPS) fail('unsupported', `prog '${p.name}': struct_ops programs are not supported`, Errno.EOPNOTSUPP);
    // bpf_program_record_relos()
    for (const r of lp.relocs) {
      if (r.kind === 'extern_ld64') {
        const ext = obj.externs[r.extIdx];
        if (ext.type !== 'ksym') continue;
        if (ext.isFunc) fail('unsupported', `prog '${p.name}': taking the address of kfunc '${ext.name}' is not supported in loader mode`, Errno.EOPNOTSUPP);
        gen.recordExtern(ext.name, ext.isWeak, !ext.ksymTypeId, true, BtfKind.VAR, r.insnIdx);
      } else if (r.kind === 'extern_call') {
        const ext = obj.externs[r.extIdx];
        gen.recordExtern(ext.name, ext.isWeak, false, false, BtfKind.FUNC, r.insnIdx);
      } else if (r.kind === 'core' && r.core) {
        gen.recordRelocCore(r.insnIdx * 8, r.core.typeId, r.core.accessStrOff, r.core.kind);
      }
    }
    // libbpf_prepare_prog_load()
    const def = p.secDef;
    let progFlags = 0;
    let expectedAttachType = p.expectedAttachType;
    let attachBtfId = 0;
    if (def) {
      if (def.flags & SEC_SLEEPABLE) progFlags |= BPF_F_SLEEPABLE;
      if (p.type === ProgType.XDP && def.flags & SEC_XDP_FRAGS) progFlags |= BPF_F_XDP_HAS_FRAGS;
      if (def.flags & SEC_USDT && profile.usdtUprobeMulti) expectedAttachType = AttachType.TRACE_UPROBE_MULTI;
      if (def.flags & SEC_ATTACH_BTF) {
        const slash = p.secName.indexOf('/');
        if (slash < 0) fail('program', `prog '${p.name}': no BTF-based attach target is specified, use bpf_program__set_attach_target()`);
        if (p.type === ProgType.EXT) fail('program', `prog '${p.name}': attach program FD is not set`);
        const [prefix, kind] = kernelPrefixKind(expectedAttachType);
        gen.recordAttachTarget(prefix + p.secName.slice(slash + 1), kind);
        attachBtfId = 1; // libbpf_find_attach_btf_id() in loader mode: a placeholder, patched at run time
      }
    }
    gen.progLoad({
      progType: p.type, name: p.name, license: obj.license, insns: lp.insns,
      expectedAttachType, attachBtfId, progIfindex: 0, progFlags,
      funcInfo: lp.funcInfo ?? new Uint8Array(0), funcInfoRecSize: lp.funcInfo ? lp.funcInfoRecSize : 0, funcInfoCnt: lp.funcInfo ? lp.funcInfoCnt : 0,
      lineInfo: lp.lineInfo ?? new Uint8Array(0), lineInfoRecSize: lp.lineInfo ? lp.lineInfoRecSize : 0, lineInfoCnt: lp.lineInfo ? lp.lineInfoCnt : 0,
    });
  }

  gen.finish(obj.programs.length, obj.maps.length);
  if (gen.error) fail('generation', `loader generation failed: error ${gen.error}`, -gen.error);

  const insns = gen.insnBytes();
  const data = gen.dataBytes();
  let exclHash: Uint8Array | undefined;
  let signature: Uint8Array | undefined;
  if (sign && options.signer) {
    // spec: TC-BT77-3 step 7, TC-HCM-3, TC-LB26-2 — excl_prog_hash is the plain SHA-256 of the loader instructions
    exclHash = sha256(insns);
    signature = options.signer(signedContent(profile, insns, data, signMaps), signRequest(profile, insns, data, options.signingTime));
  }
  return { profile, insns, data, exclHash, signature, signatureMaps: signMaps ? [0] : undefined, ctx: ctxLayout(obj), mapFlags, mapInitialValues };
}

/** The `bpfsig gen loader --json` shape: bytes as lowercase hex, null when absent. */
export function loaderOutputToJson(out: LoaderOutput): {
  profile: string; insns: string; data: string; signature: string | null; exclHash: string | null; signatureMaps: readonly number[] | null; ctx: CtxLayout;
} {
  const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return {
    profile: out.profile.name,
    insns: hex(out.insns),
    data: hex(out.data),
    signature: out.signature ? hex(out.signature) : null,
    exclHash: out.exclHash ? hex(out.exclHash) : null,
    signatureMaps: out.signatureMaps ?? null,
    ctx: out.ctx,
  };
}
