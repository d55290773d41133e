// `bpfsig compare`: every scheme on the same inputs. For one object, each profile's scheme makes
// its skeleton with its own toolchain and key; every case runs under every profile on a fresh
// kernel with the scheme's default LSM stack; cross-toolchain cells load one scheme's skeleton
// under another scheme's kernel. Each cell is read back from its run (cell.ts). Nothing here names
// a scheme: profiles, toolchains and LSM stacks come from the registries.
// spec: SEQ-1..3, CLAIM-2, CLAIM-3, CLAIM-5, CLAIM-6, CLAIM-8, CLAIM-20, CLAIM-21, PROF-2.

import { createHash } from 'node:crypto';
import { AuditSeries } from '../../audit/series.js';
import { InputError } from '../../errors.js';
import { makeSigningIdentity, type SigningIdentity } from '../../keys/make-cert.js';
import { DEFAULT_EXAMPLE, exampleObjectPath, readExampleObject } from '../../loader/examples.js';
import type { BpfObject } from '../../loader/elf/object-types.js';
import type { LightSkeleton } from '../../loader/lskel-reader.js';
import { defaultCompareProfiles, defaultToolchainFor, schemeOfProfile } from '../../schemes/registry.js';
import { defaultProfile, getProfile } from '../../syscall/profiles/index.js';
import { makeSkeleton, openObjectBytes } from '../make-skeleton.js';
import { tamperTarget } from '../scheme-demo.js';
import { runSkeleton } from '../skel-run.js';
import { CASES, type CaseDef, type CaseInputs } from './cases.js';
import { cellFacts, type CellFacts } from './cell.js';
import { exploreRace, RACES, type RaceExploration } from './explore-races.js';

export const COMPARE_FORMAT = 'bpfsig-compare/1';

/** How a scheme makes its skeletons: a toolchain, signed with -S or -S -M. */
export interface Recipe {
  readonly toolchain: string;
  readonly signMaps: boolean;
}

export const recipeName = (r: Recipe): string => (r.signMaps ? `${r.toolchain} -M` : r.toolchain);

export interface CompareOptions {
  /** The object (default: the built-in example). */
  readonly object?: { readonly bytes: Uint8Array; readonly file: string };
  /** Profiles to run (default: defaultCompareProfiles()). */
  readonly profiles?: readonly string[];
  /** Case ids (default: all). */
  readonly cases?: readonly string[];
  /** Add cross-toolchain cells (each profile loading the other schemes' intact skeletons). Default true. */
  readonly cross?: boolean;
  /** The scheme key (default: a fresh RSA-2048 identity) and the "other" key of the wrong-key case. */
  readonly identity?: SigningIdentity;
  readonly otherIdentity?: SigningIdentity;
  /** Also explore every stage boundary of each profile's loader load with each built-in race. */
  readonly races?: boolean;
  /**
   * The audit series every kernel of the comparison joins, in the order they boot (default: a new
   * one), so cells' audit records never share a serial or a timestamp (`--audit-file`).
   */
  readonly audit?: AuditSeries;
}

export interface CompareColumn {
  readonly profile: string;
  readonly scheme: string;
  readonly recipe: Recipe;
  /** The LSMs the cells of this column ran, after capability. */
  readonly lsm: readonly string[];
}

export interface CompareCell extends CellFacts {
  readonly profile: string;
  readonly case: string;
  /** The skeleton's recipe: the profile's own scheme's, or another scheme's in a cross cell. */
  readonly recipe: Recipe;
  readonly cross: boolean;
  /** The case changed a signed byte and the skeleton loaded anyway (KP-META-4's altered programs, CLAIM-7). */
  readonly tamperAccepted: boolean;
}

export interface CompareSkip {
  readonly profile: string;
  readonly case: string;
  readonly recipe: Recipe;
  readonly reason: string;
}

export interface CompareResult {
  readonly format: typeof COMPARE_FORMAT;
  readonly object: { readonly file: string; readonly name: string; readonly sha256: string };
  readonly columns: readonly CompareColumn[];
  readonly cases: readonly { readonly id: string; readonly title: string; readonly spec: readonly string[] }[];
  readonly cells: readonly CompareCell[];
  readonly skipped: readonly CompareSkip[];
  /** With `races`: per profile and race, the outcome at every stage boundary. */
  readonly races?: readonly RaceExploration[];
}

export function recipeOf(profile: string): Recipe {
  const s = schemeOfProfile(profile);
  if (!s) throw new InputError(`profile '${profile}' belongs to no registered scheme`);
  return { toolchain: defaultToolchainFor(profile) ?? s.defaultToolchain, signMaps: s.defaultSignMaps ?? false };
}

export interface Made {
  readonly inputs: CaseInputs;
  readonly canSign: boolean;
}

/** The skeletons of one recipe, and the data byte whose change alters the loaded program. */
export function makeInputs(obj: BpfObject, r: Recipe, id: SigningIdentity, other: SigningIdentity, audit: AuditSeries): Made {
  const unsigned = makeSkeleton(obj, { toolchain: r.toolchain, name: obj.name });
  const canSign = unsigned.toolchain.canSign;
  const sign = (who: SigningIdentity): LightSkeleton =>
    canSign ? makeSkeleton(obj, { toolchain: r.toolchain, identity: who, signMaps: r.signMaps, name: obj.name }).skeleton : unsigned.skeleton;
  // Locate the program inside the blob from an unsigned run on the default profile (tamperTarget).
  const probe = runSkeleton(unsigned.skeleton, { profile: defaultProfile().name, toolchain: r.toolchain, audit });
  const target = tamperTarget(probe, unsigned.skeleton.data);
  return {
    canSign,
    inputs: {
      signed: sign(id),
      unsigned: unsigned.skeleton,
      otherKey: sign(other),
      certDer: id.certDer,
      dataOffset: target?.offset ?? Math.floor(unsigned.skeleton.data.length / 2),
    },
  };
}

export function runCompare(opts: CompareOptions = {}): CompareResult {
  const object = opts.object ?? defaultObject();
  const obj = openObjectBytes(object.bytes, object.file);
  const profiles = [...(opts.profiles ?? defaultCompareProfiles())];
  for (const p of profiles) if (!getProfile(p)) throw new InputError(`unknown profile '${p}'`);
  const caseIds = opts.cases ?? CASES.map((c) => c.id);
  const cases: CaseDef[] = caseIds.map((id) => {
    const c = CASES.find((x) => x.id === id);
    if (!c) throw new InputError(`unknown case '${id}' (one of ${CASES.map((x) => x.id).join(', ')})`);
    return c;
  });
  const id = opts.identity ?? makeSigningIdentity({ cn: 'bpfsig compare signing key' });
  const other = opts.otherIdentity ?? makeSigningIdentity({ cn: 'bpfsig compare other key' });
  const audit = opts.audit ?? new AuditSeries();
  // The keys are random: the kernel's log lines name them by key id; the report names them by role.
  const keyNames = new Map<string, string>();
  if (id.certificate.skid) keyNames.set(Buffer.from(id.certificate.skid).toString('hex'), '<scheme key id>');
  if (other.certificate.skid) keyNames.set(Buffer.from(other.certificate.skid).toString('hex'), '<other key id>');

  const made = new Map<string, Made>();
  const inputsFor = (r: Recipe): Made => {
    const key = recipeName(r);
    let m = made.get(key);
    if (!m) made.set(key, (m = makeInputs(obj, r, id, other, audit)));
    return m;
  };

  const columns: CompareColumn[] = [];
  const cells: CompareCell[] = [];
  const skipped: CompareSkip[] = [];
  const runCell = (profile: string, c: CaseDef, recipe: Recipe, cross: boolean) => {
    const m = inputsFor(recipe);
    if (c.needsSignature && !m.canSign) {
      skipped.push({ profile, case: c.id, recipe, reason: `${recipe.toolchain} cannot sign` });
      return;
    }
    const { skel, options } = c.build(m.inputs);
    const run = runSkeleton(skel, { ...options, profile, toolchain: recipe.toolchain, lsm: 'default', comm: 'skel_loader', audit });
    const facts = withKeyNames(cellFacts(run), keyNames);
    // A race that never reached what the loader uses changed nothing that was signed.
    const raced = run.race === null || run.race.effective;
    cells.push({ profile, case: c.id, recipe, cross, ...facts, tamperAccepted: (c.tampers ?? false) && m.canSign && facts.loaded && raced });
    return run;
  };
  for (const profile of profiles) {
    const recipe = recipeOf(profile);
    let lsm: readonly string[] = [];
    for (const c of cases) {
      const run = runCell(profile, c, recipe, false);
      if (run) lsm = run.lsm;
    }
    columns.push({ profile, scheme: schemeOfProfile(profile)!.name, recipe, lsm });
  }
  if (opts.cross ?? true) {
    const intact = CASES.find((c) => c.id === 'intact')!;
    const recipes = [...new Map(profiles.map((p) => [recipeName(recipeOf(p)), recipeOf(p)])).values()];
    for (const profile of profiles) for (const r of recipes) if (recipeName(r) !== recipeName(recipeOf(profile))) runCell(profile, intact, r, true);
  }
  const races: RaceExploration[] = [];
  if (opts.races) {
    for (const race of RACES)
      for (const profile of profiles) {
        const recipe = recipeOf(profile);
        const m = inputsFor(recipe);
        if (m.canSign) races.push(exploreRace(profile, recipe.toolchain, m.inputs, race, audit));
      }
  }
  return {
    format: COMPARE_FORMAT,
    object: { file: object.file, name: obj.name, sha256: createHash('sha256').update(object.bytes).digest('hex') },
    columns,
    cases: cases.map((c) => ({ id: c.id, title: c.title, spec: [...c.spec] })),
    cells,
    skipped,
    ...(opts.races ? { races } : {}),
  };
}

/**
 * The stage details with each random key's id (the SKID the kernel's PKCS#7 code prints) replaced
 * by its role, so the report is the same on every run (the keys are made fresh each time).
 */
function withKeyNames(f: CellFacts, names: ReadonlyMap<string, string>): CellFacts {
  if (names.size === 0) return f;
  const scrub = (t: string | null): string | null => {
    if (t === null) return t;
    let out = t;
    for (const [hex, name] of names) out = out.split(hex).join(name);
    return out;
  };
  return {
    ...f,
    sequence: f.sequence.map((i) => (i.kind === 'stage' || i.kind === 'step' ? { ...i, detail: scrub(i.detail) } : i)),
  };
}

export function defaultObject(): { bytes: Uint8Array; file: string } {
  const bytes = readExampleObject(DEFAULT_EXAMPLE);
  if (!bytes) throw new InputError(`the example object ${exampleObjectPath(DEFAULT_EXAMPLE)} is not installed (the package's examples/bpf/ folder is missing)`);
  // Named relative to the package, so the report does not depend on where it is installed.
  return { bytes, file: `examples/bpf/${DEFAULT_EXAMPLE}.bpf.o` };
}
