// `runScenario(options)`: the library's one way in (docs/api.md). It takes what a user has — a BPF
// object or a light skeleton (a path or the bytes), a kernel profile, a certificate and where it
// goes, byte flips in the CLI's `BLOB:OFF` form, an LSM stack, a race — runs the skeleton's
// open + load on a fresh emulated kernel (runSkeleton, the path `bpfsig skel load` takes) or on a
// real Debian kernel (`real: 'KVER'`, runSkeletonReal), and returns the Run read back from it.
// An object becomes the profile's scheme's skeleton, made with the scheme's own toolchain
// (makeSkeleton: `bpftool gen skeleton -L -S`), signed with `cert` + `key` or a fresh identity.
// Bad input is an InputError with one line that says what is wrong.
// spec: ASK-12, ASK-13, KP-SIG-2, KP-Q-5, PK7-KEY-1..7, TC-BT77-3..5, SEQ-2.

import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { makeSigningIdentity, type SigningIdentity } from '../keys/make-cert.js';
import { certificateToDer, KeyFormatError, loadPrivateKey } from '../keys/pem.js';
import { DEFAULT_EXAMPLE, exampleObjectPath, readExampleObject } from '../loader/examples.js';
import { findToolchain, toolchainNames } from '../loader/gen-loader/profiles.js';
import { readLightSkeleton, type LightSkeleton } from '../loader/lskel-reader.js';
import type { LsmModule } from '../lsm/hooks.js';
import type { LsmOptions } from '../lsm/registry.js';
import { profileForDebian } from '../realkernel/kernels.js';
import { runSkeletonReal } from '../realkernel/skel-load.js';
import { makeSkeleton, openObjectBytes } from '../scenarios/make-skeleton.js';
import type { RaceSchedule } from '../scenarios/races.js';
import { KEYRING_NAMES, parseTamper, runSkeleton, type KeyringName, type Tamper } from '../scenarios/skel-run.js';
import { defaultToolchainFor, schemeOfProfile } from '../schemes/registry.js';
import { defaultProfile, getProfile, profileNames } from '../syscall/profiles/index.js';
import { runFromRealRun, runFromSkelRun, type Run } from './run.js';

/** A file path, or the file's bytes. For `cert` and `key`, a string holding PEM text is taken as the text. */
export type PathOrBytes = string | Uint8Array;

export interface ScenarioOptions {
  /**
   * A BPF object (`.bpf.o`): made into a light skeleton by the profile's scheme's toolchain for it (or
   * `toolchain`), signed with `cert` + `key`, or with a fresh identity when they are not given.
   * Default, when neither `object` nor `skeleton` is given: the built-in example
   * `examples/bpf/hello.bpf.o`.
   */
  readonly object?: PathOrBytes;
  /** The object's file name when `object` is bytes (bpftool names the skeleton after it: `hello.bpf.o` → `hello_bpf`). Default `object.bpf.o`. */
  readonly objectName?: string;
  /** A light skeleton header (`.lskel.h`), as `bpftool gen skeleton -L [-S]` wrote it. Excludes `object`. */
  readonly skeleton?: PathOrBytes;
  /** Kernel profile (`listProfiles()`); default: the registry's default profile. Excludes `real`. */
  readonly profile?: string;
  /**
   * The toolchain: for an `object`, the one that makes the skeleton (default: the profile's
   * scheme's); in every case, the one whose libbpf runs it (default for a `skeleton`: the first
   * that writes headers like it).
   */
  readonly toolchain?: string;
  /** For an `object`: sign it (default true when the toolchain can sign). */
  readonly sign?: boolean;
  /** For an `object`: sign the hash chain over the loader and its metadata map (-M); default: what the scheme does. */
  readonly signMaps?: boolean;
  /**
   * The certificate placed where `keyring` says (PEM or DER). With an `object` and no `key`, the
   * skeleton is signed by a fresh identity and this certificate is still the one placed — a
   * wrong-key load. Without `cert`, an object's signing certificate is placed.
   */
  readonly cert?: PathOrBytes;
  /** For an `object`: the private key (PEM) that signs it, with `cert`. */
  readonly key?: PathOrBytes;
  /**
   * `session` (default with a certificate; keyring_id -3), `builtin` (compiled in; 0), `secondary`
   * (1), `platform` (2), or a raw keyring_id — then no certificate is placed.
   */
  readonly keyring?: KeyringName | number;
  /** Byte flips before loading, as the CLI's `--tamper`: `data:OFF`, `insns:OFF`, `sig:OFF` (OFF decimal or 0x-hex). */
  readonly tamper?: readonly string[];
  /** LSMs after capability: registered names, modules of your own, or `'default'` for the profile's scheme's stack. Default: none. */
  readonly lsm?: readonly (string | LsmModule)[] | 'default';
  /** Options of the named LSMs (e.g. an IPE policy). */
  readonly lsmOptions?: LsmOptions;
  /** A second thread's syscalls at a stage boundary of the loader's BPF_PROG_LOAD. */
  readonly race?: RaceSchedule;
  /** Skip BPF_MAP_FREEZE of the metadata map (`--no-freeze`). */
  readonly noFreeze?: boolean;
  /** Skip the map-hash request (`--no-hash`). */
  readonly noHash?: boolean;
  /** The stale-hash trick (`--stale-hash`, KP-META-4): hash the blob as signed while unfrozen, then write the tampered blob and freeze. */
  readonly staleHash?: boolean;
  /** Create the metadata map without excl_prog_hash (`--no-excl`). */
  readonly noExcl?: boolean;
  /** comm of the loading process (in audit records). Default `skel_loader`. */
  readonly comm?: string;
  /** Run on this real Debian kernel under QEMU instead (docs/realkernel.md); the result is then a Promise. */
  readonly real?: string;
}

/** Options of a run on a real kernel. */
export type RealScenarioOptions = ScenarioOptions & { readonly real: string };

function readInput(v: PathOrBytes, what: string): Uint8Array {
  if (typeof v !== 'string') return v;
  try {
    return new Uint8Array(readFileSync(v));
  } catch (e) {
    throw new InputError(`cannot read ${what} '${v}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const isPemText = (v: PathOrBytes): v is string => typeof v === 'string' && v.trimStart().startsWith('-----BEGIN ');
const pemOrFile = (v: PathOrBytes, what: string): Uint8Array => (isPemText(v) ? new Uint8Array(Buffer.from(v, 'latin1')) : readInput(v, what));
const label = (v: PathOrBytes): string => (typeof v === 'string' && !isPemText(v) ? `'${v}'` : '(given bytes)');

function certDerOf(v: PathOrBytes): Uint8Array {
  try {
    return certificateToDer(pemOrFile(v, 'certificate'));
  } catch (e) {
    if (e instanceof KeyFormatError) throw new InputError(`cert ${label(v)}: ${e.message}`);
    throw e;
  }
}

let freshIdentity: SigningIdentity | undefined;
/** The fresh signing identity: an RSA-2048 key and self-signed certificate, made once per process. */
function fresh(): SigningIdentity {
  return (freshIdentity ??= makeSigningIdentity({ cn: 'bpfsig runScenario signing key' }));
}

function parseTampers(list: readonly string[] | undefined): Tamper[] {
  if (list !== undefined && !Array.isArray(list)) throw new InputError(`tamper must be a list of BLOB:OFF strings, e.g. ['data:100']`);
  return (list ?? []).map((t) => {
    const parsed = typeof t === 'string' ? parseTamper(t) : undefined;
    if (!parsed) throw new InputError(`tamper '${String(t)}': expected data:OFF, insns:OFF or sig:OFF (OFF decimal or 0x-hex)`);
    return parsed;
  });
}

function checkKeyring(k: ScenarioOptions['keyring']): void {
  if (k === undefined) return;
  if (typeof k === 'number') {
    if (!Number.isInteger(k) || k < -(2 ** 31) || k >= 2 ** 31) throw new InputError(`keyring ${k}: a keyring id is a 32-bit integer`);
  } else if (!(KEYRING_NAMES as readonly string[]).includes(k)) throw new InputError(`keyring must be one of ${KEYRING_NAMES.join(', ')} or a keyring id, not '${String(k)}'`);
}

interface Prepared {
  readonly skel: LightSkeleton;
  readonly certDer: Uint8Array | undefined;
  readonly keyDescription: string | undefined;
  readonly signer: Run['signer'];
  /** The toolchain whose libbpf runs it: the one that made an object's skeleton, else the one asked for. */
  readonly toolchain: string | undefined;
}

/** The skeleton to load and the certificate to place, from the options; `profile` decides an object's scheme. */
function prepare(o: ScenarioOptions, profile: string): Prepared {
  if (o.object !== undefined && o.skeleton !== undefined) throw new InputError('give object or skeleton, not both');
  if (o.toolchain !== undefined && !findToolchain(o.toolchain)) throw new InputError(`unknown toolchain '${o.toolchain}' (one of ${toolchainNames().join(', ')})`);
  checkKeyring(o.keyring);
  const rawKeyring = typeof o.keyring === 'number';
  if (o.cert !== undefined && rawKeyring) throw new InputError('a certificate needs a keyring placement (session, builtin, secondary or platform), not a raw keyring id');
  const certDer = o.cert !== undefined ? certDerOf(o.cert) : undefined;
  const certName = typeof o.cert === 'string' && !isPemText(o.cert) ? o.cert : undefined;

  if (o.skeleton !== undefined) {
    for (const k of ['key', 'sign', 'signMaps', 'objectName'] as const)
      if (o[k] !== undefined) throw new InputError(`${k} applies to an object; a skeleton comes signed (or not) as its header says`);
    const text = Buffer.from(readInput(o.skeleton, 'skeleton')).toString('latin1');
    const file = typeof o.skeleton === 'string' ? o.skeleton : 'skeleton.lskel.h';
    return { skel: readLightSkeleton(text, file), certDer, keyDescription: certName, signer: null, toolchain: o.toolchain };
  }

  let bytes: Uint8Array;
  let file: string;
  if (o.object !== undefined) {
    bytes = readInput(o.object, 'object');
    file = typeof o.object === 'string' ? o.object : (o.objectName ?? 'object.bpf.o');
  } else {
    const b = readExampleObject(DEFAULT_EXAMPLE);
    if (!b) throw new InputError(`the example object ${exampleObjectPath(DEFAULT_EXAMPLE)} is not installed (the package's examples/bpf/ folder is missing)`);
    bytes = b;
    file = `${DEFAULT_EXAMPLE}.bpf.o`;
  }
  const obj = openObjectBytes(bytes, file);
  const scheme = schemeOfProfile(profile);
  const toolchainName = o.toolchain ?? defaultToolchainFor(profile);
  if (!toolchainName) throw new InputError(`profile '${profile}' belongs to no registered scheme: name a toolchain`);
  const toolchain = findToolchain(toolchainName)!;
  if (o.sign === true && !toolchain.canSign) throw new InputError(`toolchain ${toolchain.name} cannot sign (sign: true)`);
  if (o.signMaps && !toolchain.canSignMaps) throw new InputError(`toolchain ${toolchain.name} cannot sign maps (signMaps: true)`);
  const sign = (o.sign ?? true) && toolchain.canSign;
  if (o.key !== undefined && !sign) throw new InputError(`key given, but the skeleton is not signed (${o.sign === false ? 'sign: false' : `${toolchain.name} cannot sign`})`);
  if (o.key !== undefined && o.cert === undefined) throw new InputError('key needs its cert (the certificate goes into the signature and the keyring)');

  let identity: Pick<SigningIdentity, 'privateKey' | 'certDer'> | undefined;
  let signer: Run['signer'] = 'unsigned';
  if (sign && o.key !== undefined) {
    let privateKey;
    try {
      privateKey = loadPrivateKey(pemOrFile(o.key, 'key'));
    } catch (e) {
      if (e instanceof KeyFormatError) throw new InputError(`key ${label(o.key)}: ${e.message}`);
      throw e;
    }
    identity = { privateKey, certDer: certDer! };
    signer = 'given';
  } else if (sign) {
    identity = fresh();
    signer = 'fresh';
  }
  const made = makeSkeleton(obj, { toolchain, ...(identity ? { identity } : {}), signMaps: sign && (o.signMaps ?? ((scheme?.defaultSignMaps ?? false) && toolchain.canSignMaps)), name: obj.name });
  // The certificate to place: the one given, else the signer's — unless a raw keyring id says none goes anywhere.
  const placed = certDer ?? (!rawKeyring && identity ? identity.certDer : undefined);
  return { skel: made.skeleton, certDer: placed, keyDescription: certName, signer, toolchain: toolchain.name };
}

/**
 * Run one scenario: a fresh emulated kernel (synchronous), or with `real` a real Debian kernel
 * under QEMU (a Promise). Throws InputError (RealKernelError for a real kernel that cannot run)
 * with a one-line message for bad input; a kernel's refusal is never thrown — it is in the Run.
 */
export function runScenario(options: RealScenarioOptions): Promise<Run>;
export function runScenario(options?: ScenarioOptions & { readonly real?: undefined }): Run;
export function runScenario(options?: ScenarioOptions): Run | Promise<Run>;
export function runScenario(options: ScenarioOptions = {}): Run | Promise<Run> {
  if (typeof options !== 'object' || options === null) throw new InputError('runScenario takes an options object');
  if (options.real !== undefined) return runReal(options as RealScenarioOptions);
  const tampers = parseTampers(options.tamper);
  const profile = options.profile ?? defaultProfile().name;
  if (!getProfile(profile)) throw new InputError(`unknown profile '${profile}' (one of ${profileNames().join(', ')})`);
  const p = prepare(options, profile);
  const run = runSkeleton(p.skel, {
    profile,
    ...(p.toolchain !== undefined ? { toolchain: p.toolchain } : {}),
    ...(p.certDer ? { certDer: p.certDer } : {}),
    ...(p.keyDescription ? { keyDescription: p.keyDescription } : {}),
    ...(options.keyring !== undefined ? { keyring: options.keyring } : {}),
    tampers,
    ...(options.noFreeze ? { skipFreeze: true } : {}),
    ...(options.noHash ? { skipHash: true } : {}),
    ...(options.staleHash ? { staleHash: true } : {}),
    ...(options.noExcl ? { noExclHash: true } : {}),
    ...(options.comm !== undefined ? { comm: options.comm } : {}),
    ...(options.lsm !== undefined ? { lsm: options.lsm } : {}),
    ...(options.lsmOptions ? { lsmOptions: options.lsmOptions } : {}),
    ...(options.race ? { race: options.race } : {}),
  });
  return runFromSkelRun(run, p.signer);
}

async function runReal(o: RealScenarioOptions): Promise<Run> {
  const tampers = parseTampers(o.tamper);
  if (o.profile !== undefined) throw new InputError('real and profile exclude each other (the real kernel maps to its own profile)');
  for (const k of ['lsm', 'lsmOptions', 'race', 'staleHash', 'noExcl', 'comm'] as const)
    if (o[k] !== undefined && o[k] !== false) throw new InputError(`${k} is not possible on a real kernel (real: '${o.real}'): it runs the kernel's own LSMs and one loading process`);
  // The profile that models the build decides an object's scheme and toolchain.
  const profile = profileForDebian(o.real, { allowStandIn: true }).profile.name;
  const p = prepare(o, profile);
  const run = await runSkeletonReal(o.real, p.skel, {
    ...(p.certDer ? { certDer: p.certDer } : {}),
    ...(p.keyDescription ? { keyDescription: p.keyDescription } : {}),
    ...(o.keyring !== undefined ? { keyring: o.keyring } : {}),
    tampers,
    ...(o.noFreeze ? { skipFreeze: true } : {}),
    ...(o.noHash ? { skipHash: true } : {}),
    ...(p.toolchain !== undefined ? { toolchain: p.toolchain } : {}),
  });
  return runFromRealRun(run, p.signer);
}
