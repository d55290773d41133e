// The scheme registry. A scheme is a folder (src/schemes/<name>/) holding its kernel profiles, its
// toolchains (how `gen skeleton` signs, which bpf_load_and_run flow its skeletons use), its default
// LSM stack, any stage of its own, and what reports say about it. Registering a scheme registers its
// profiles (whose stage lists are checked then) and toolchains; the shared pipeline, the CLI and the
// reports list them from here and know no scheme by name. spec: PROF-1, PROF-2, TC-*.

import { registerToolchain, type ToolchainProfile } from '../loader/gen-loader/profiles.js';
import type { LsmOptions } from '../lsm/registry.js';
import { registerProfile, type KernelProfile } from '../syscall/profiles/index.js';

/** One row of a scheme's errno table, as the spec words it. */
export interface SchemeErrnoRow {
  readonly id: string;
  readonly condition: string;
  readonly result: string;
}

export interface Scheme {
  /** Folder name: `kp`, `hashchain`, `loadtime`, `hornet`. */
  readonly name: string;
  readonly title: string;
  /** Merged, released, posted, refused… with dates. */
  readonly status: string;
  /** What the PKCS#7 signature covers. */
  readonly signs: string;
  /** Where the kernel checks it, in stage terms. */
  readonly checkedAt: string;
  /** What an LSM can observe about the signature. */
  readonly lsmSees: string;
  /** Spec ids the scheme implements (for docs/schemes.md and the fidelity table). */
  readonly specIds: readonly string[];
  /** Its errno table as the spec words it (docs/schemes.md prints it; the rows' ids are test titles). */
  readonly errnoTable?: readonly SchemeErrnoRow[];
  readonly profiles: readonly KernelProfile[];
  /** The profile a kernel gets when none is named (only one scheme sets it). */
  readonly defaultProfile?: string;
  readonly toolchains: readonly ToolchainProfile[];
  /** The toolchain this scheme's skeletons are made with (compare, demo). */
  readonly defaultToolchain: string;
  /** A different toolchain for some of its profiles (e.g. the map-entry form an older revision decodes). */
  readonly profileToolchain?: Readonly<Record<string, string>>;
  /** Its skeletons are signed with -M (the hash chain over the metadata map). */
  readonly defaultSignMaps?: boolean;
  /** The profiles `bpfsig compare` runs by default (default: all of them). */
  readonly compareProfiles?: readonly string[];
  /** LSMs loaded by default after `capability`, by name (what `demo` and `compare` run). */
  readonly defaultLsm: readonly string[];
  /** A different default stack for some of its profiles (e.g. a kernel without signature fields). */
  readonly profileLsm?: Readonly<Record<string, readonly string[]>>;
  /** Options for the default stack (e.g. the IPE policy it loads). */
  readonly defaultLsmOptions?: LsmOptions;
  /** Paragraphs (Markdown) docs/schemes.md prints under the scheme's summary: choices, revisions, caveats. */
  readonly notes?: readonly string[];
}

const SCHEMES = new Map<string, Scheme>();
const BY_PROFILE = new Map<string, Scheme>();
const BY_TOOLCHAIN = new Map<string, Scheme>();

/** Register a scheme: its profiles (stage orders checked) and toolchains. */
export function registerScheme(s: Scheme): void {
  if (SCHEMES.has(s.name)) throw new RangeError(`scheme '${s.name}' is registered twice`);
  for (const p of s.profiles) {
    if (p.scheme !== s.name) throw new RangeError(`profile ${p.name} says scheme '${p.scheme}' but is registered by '${s.name}'`);
    registerProfile(p, { default: s.defaultProfile === p.name });
    BY_PROFILE.set(p.name, s);
  }
  for (const t of s.toolchains) {
    registerToolchain(t);
    BY_TOOLCHAIN.set(t.name, s);
  }
  if (!s.toolchains.some((t) => t.name === s.defaultToolchain) && !BY_TOOLCHAIN.has(s.defaultToolchain))
    throw new RangeError(`scheme '${s.name}': default toolchain '${s.defaultToolchain}' is not registered`);
  SCHEMES.set(s.name, s);
}

export function schemes(): Scheme[] {
  return [...SCHEMES.values()];
}

export function getScheme(name: string): Scheme | undefined {
  return SCHEMES.get(name);
}

/** The scheme a profile belongs to. */
export function schemeOfProfile(profile: string): Scheme | undefined {
  return BY_PROFILE.get(profile);
}

/** The scheme a toolchain belongs to. */
export function schemeOfToolchain(toolchain: string): Scheme | undefined {
  return BY_TOOLCHAIN.get(toolchain);
}

/** The scheme of the default profile (the one a kernel gets when none is named). */
export function defaultScheme(): Scheme {
  const s = [...SCHEMES.values()].find((x) => x.defaultProfile !== undefined);
  if (!s) throw new RangeError('no scheme names a default profile');
  return s;
}

/** The toolchain of the default scheme (what `gen skeleton` uses when none is named). */
export function defaultToolchainName(): string {
  return defaultScheme().defaultToolchain;
}

/** The toolchain a profile's skeletons are made with: its scheme's default, or the profile's own override. */
export function defaultToolchainFor(profile: string): string | undefined {
  const s = BY_PROFILE.get(profile);
  return s ? (s.profileToolchain?.[profile] ?? s.defaultToolchain) : undefined;
}

/** The default LSM stack for a profile: its scheme's, or the profile's own override. */
export function defaultLsmFor(profile: string): readonly string[] {
  const s = BY_PROFILE.get(profile);
  if (!s) return [];
  return s.profileLsm?.[profile] ?? s.defaultLsm;
}

/** Options for a profile's default LSM stack. */
export function defaultLsmOptionsFor(profile: string): LsmOptions {
  return BY_PROFILE.get(profile)?.defaultLsmOptions ?? {};
}

/** The profiles `bpfsig compare` runs when none are named: each scheme's compareProfiles, in registration order. */
export function defaultCompareProfiles(): string[] {
  return [...SCHEMES.values()].flatMap((s) => s.compareProfiles ?? s.profiles.map((p) => p.name));
}
