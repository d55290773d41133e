// What `bpfsig profiles` and docs/schemes.md say about the registered schemes: each scheme's
// profiles (release, fixes, UAPI, the stage order and how it differs from the default profile's)
// and toolchains (what they sign, which bpf_load_and_run flow their skeletons use). Everything is
// read from the registries; nothing here names a scheme. spec: PROF-1, PROF-2, TC-*.

import type { ToolchainProfile } from '../loader/gen-loader/profiles.js';
import { schemes, type Scheme } from '../schemes/registry.js';
import { defaultProfile, type KernelProfile } from '../syscall/profiles/index.js';

export const PROFILES_FORMAT = 'bpfsig-profiles/1';

export interface StageJson {
  id: string;
  name: string;
  phase: string;
  needs: string[];
  provides: string[];
}

export interface ProfileJson {
  name: string;
  aliases: string[];
  release: string;
  summary: string;
  /** Base profiles and fixes it was composed from. */
  lineage: string[];
  fixes: string[];
  uapi: string[];
  digest: string;
  structBpfMap: { sha: boolean; excl: boolean };
  signature: { sizeBound: number | null; copyFaultErrno: string; rejectZeroSize: boolean };
  mapHashRequiresFrozen: boolean;
  config: Record<string, boolean | number>;
  stages: StageJson[];
  /** How its stage order differs from the default profile's. */
  stagesVsDefault: { added: string[]; removed: string[]; moved: string[] };
  isDefault: boolean;
}

export interface ToolchainJson {
  name: string;
  summary: string;
  bpftool: string;
  libbpf: string;
  canSign: boolean;
  canSignMaps: boolean;
  signs: string;
  signatureMatch: string;
  headerStyle: string;
  flow: ToolchainProfile['flow'];
  /** The PKCS#7 it makes: signer id and whether it carries signed attributes (bpftool: skid, none). */
  signature: { sid: 'skid' | 'issuer-serial'; signedAttributes: boolean };
}

export interface SchemeJson {
  name: string;
  title: string;
  status: string;
  signs: string;
  checkedAt: string;
  lsmSees: string;
  specIds: string[];
  /** The scheme's errno table as the spec words it (empty when the scheme gives none). */
  errnoTable: { id: string; condition: string; result: string }[];
  defaultToolchain: string;
  defaultLsm: string[];
  profiles: ProfileJson[];
  toolchains: ToolchainJson[];
  /** The scheme's notes for docs/schemes.md (Markdown paragraphs). */
  notes: string[];
}

export interface ProfilesJson {
  format: typeof PROFILES_FORMAT;
  defaultProfile: string;
  schemes: SchemeJson[];
}

/** Stage ids added, removed, and kept but in another relative order, against `base`. */
export function stageDiff(p: KernelProfile, base: KernelProfile): ProfileJson['stagesVsDefault'] {
  const a = base.progLoadStages.map((s) => s.id);
  const b = p.progLoadStages.map((s) => s.id);
  const added = b.filter((x) => !a.includes(x));
  const removed = a.filter((x) => !b.includes(x));
  const keptA = a.filter((x) => b.includes(x));
  const keptB = b.filter((x) => a.includes(x));
  // A kept stage moved when the stage before it differs in the two orders.
  const moved = keptB.filter((x, i) => keptA[keptA.indexOf(x) - 1] !== keptB[i - 1]);
  return { added, removed, moved };
}

function profileJson(p: KernelProfile, base: KernelProfile): ProfileJson {
  return {
    name: p.name,
    aliases: [...(p.aliases ?? [])],
    release: p.release,
    summary: p.summary,
    lineage: [...p.lineage],
    fixes: [...p.fixes],
    uapi: [...p.uapi],
    digest: p.digest,
    structBpfMap: { sha: p.structBpfMapHasSha, excl: p.structBpfMapExcl },
    signature: { ...p.progSignature },
    mapHashRequiresFrozen: p.mapHash.requireFrozen,
    config: { ...p.config },
    stages: p.progLoadStages.map((s) => ({ id: s.id, name: s.name, phase: s.phase, needs: [...s.needs], provides: [...s.provides] })),
    stagesVsDefault: stageDiff(p, base),
    isDefault: p === base,
  };
}

function toolchainJson(t: ToolchainProfile): ToolchainJson {
  return {
    name: t.name,
    summary: t.summary,
    bpftool: t.bpftool,
    libbpf: t.libbpf,
    canSign: t.canSign,
    canSignMaps: t.canSignMaps,
    signs: t.signs,
    signatureMatch: t.signatureMatch,
    headerStyle: t.headerStyle,
    flow: { ...t.flow },
    signature: { sid: t.signatureFormat?.sid ?? 'skid', signedAttributes: !!t.signatureFormat?.signedAttributes },
  };
}

function schemeJson(s: Scheme, base: KernelProfile): SchemeJson {
  return {
    name: s.name,
    title: s.title,
    status: s.status,
    signs: s.signs,
    checkedAt: s.checkedAt,
    lsmSees: s.lsmSees,
    specIds: [...s.specIds],
    errnoTable: (s.errnoTable ?? []).map((r) => ({ ...r })),
    defaultToolchain: s.defaultToolchain,
    defaultLsm: [...s.defaultLsm],
    profiles: s.profiles.map((p) => profileJson(p, base)),
    toolchains: s.toolchains.map(toolchainJson),
    notes: [...(s.notes ?? [])],
  };
}

export function profilesReport(): ProfilesJson {
  const base = defaultProfile();
  return { format: PROFILES_FORMAT, defaultProfile: base.name, schemes: schemes().map((s) => schemeJson(s, base)) };
}

function diffText(d: ProfileJson['stagesVsDefault']): string {
  const parts = [
    ...(d.added.length ? [`adds ${d.added.join(', ')}`] : []),
    ...(d.removed.length ? [`drops ${d.removed.join(', ')}`] : []),
    ...(d.moved.length ? [`moves ${d.moved.join(', ')}`] : []),
  ];
  return parts.length ? parts.join('; ') : 'same stage order';
}

/** `bpfsig profiles` as text. */
export function formatProfiles(r: ProfilesJson, opts: { stages?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const s of r.schemes) {
    out.push(`scheme ${s.name}: ${s.title}`, `  status   ${s.status}`, `  signs    ${s.signs}`, `  checked  ${s.checkedAt}`, `  LSM sees ${s.lsmSees}`);
    out.push(`  default toolchain ${s.defaultToolchain}; default LSMs ${s.defaultLsm.length ? s.defaultLsm.join(',') : '(none beyond capability)'}`);
    out.push('  profiles:');
    for (const p of s.profiles) {
      const name = p.aliases.length ? `${p.name} (${p.aliases.join(', ')})` : p.name;
      out.push(`    ${name.padEnd(22)} ${p.release.padEnd(8)} ${p.summary}${p.isDefault ? '  [default]' : ''}`);
      out.push(`    ${''.padEnd(22)} ${p.fixes.length ? `fixes ${p.fixes.join(', ')}; ` : ''}uapi ${p.uapi.join(', ') || 'none'}; ${diffText(p.stagesVsDefault)}`);
      if (opts.stages) out.push(`    ${''.padEnd(22)} stages ${p.stages.map((x) => x.id).join(' → ')}`);
    }
    out.push('  toolchains:');
    for (const t of s.toolchains) {
      out.push(`    ${t.name.padEnd(22)} ${t.summary}`);
      const form = t.signature.sid !== 'skid' || t.signature.signedAttributes ? ` (${t.signature.sid} signer${t.signature.signedAttributes ? ', signed attributes' : ''})` : '';
      out.push(`    ${''.padEnd(22)} flow ${t.flow.name}; ${t.canSign ? `signs ${t.signs}${form}${t.canSignMaps ? ' (or with -M the hash chain)' : ''}` : 'cannot sign'}`);
    }
    out.push('');
  }
  return out;
}
