// Load one light skeleton in a fresh emulated kernel, the way a user's program would on a machine
// set up for it: the signing certificate placed where the chosen keyring_id looks for it, the
// skeleton's blobs optionally tampered with, then `<name>__open()` + `<name>__load()`.
// `bpfsig skel load`, `bpfsig demo` and the comparison tests all go through here.
//
// Keyrings (spec: PK7-KEY-1..7, KP-SIG-2, KP-Q-5, TC-BT77-4/5):
//   session   — add_key("asymmetric", desc, DER, KEY_SPEC_SESSION_KEYRING) from the loading
//               process, then skel->keyring_id = -3 (what bpftool prog load -S and the selftests do);
//   builtin   — the certificate is compiled into the kernel (.builtin_trusted_keys);
//               skel->keyring_id stays 0, the zero-initialised default;
//   secondary — the kernel loaded it into .secondary_trusted_keys; keyring_id 1
//               (VERIFY_USE_SECONDARY_KEYRING, which also searches the builtin ring);
//   platform  — the kernel loaded it into .platform; keyring_id 2 (VERIFY_USE_PLATFORM_KEYRING).

import type { KernelBtfChoice } from '../syscall/kernel-btf/source.js';
import type { AuditSeries } from '../audit/series.js';
import { InputError } from '../errors.js';
import { findToolchain, toolchainNames, type ToolchainProfile } from '../loader/gen-loader/profiles.js';
import { candidateToolchains } from '../loader/lskel-identify.js';
import type { LsmModule } from '../lsm/hooks.js';
import type { LsmOptions } from '../lsm/registry.js';
import { defaultLsmFor, defaultLsmOptionsFor, schemeOfProfile } from '../schemes/registry.js';
import { armRace, type RaceRecord, type RaceSchedule } from './races.js';
import { defaultProfile } from '../syscall/profiles/index.js';
import { KEY_SPEC_SESSION_KEYRING } from '../keys/process-keyrings.js';
import type { LightSkeleton } from '../loader/lskel-reader.js';
import { loadSkeleton, type SkelResult } from '../loader/skel-runtime.js';
import { errnoName } from '../syscall/errno.js';
import { Kernel } from '../syscall/kernel.js';
import type { Process } from '../syscall/process.js';
import type { SysResult } from '../syscall/result.js';

export const KEYRING_NAMES = ['session', 'builtin', 'secondary', 'platform'] as const;
export type KeyringName = (typeof KEYRING_NAMES)[number];

/** The keyring_id each placement implies (PK7-KEY-1: 0 builtin, 1 secondary, 2 platform; -3 session). */
export const KEYRING_IDS: Readonly<Record<KeyringName, number>> = {
  session: KEY_SPEC_SESSION_KEYRING,
  builtin: 0,
  secondary: 1,
  platform: 2,
};

export type TamperBlob = 'data' | 'insns' | 'sig';
export const TAMPER_BLOBS: readonly TamperBlob[] = ['data', 'insns', 'sig'];

export interface Tamper {
  readonly blob: TamperBlob;
  readonly offset: number;
}

export interface AppliedTamper extends Tamper {
  readonly before: number;
  readonly after: number;
}

/** `data:OFF` / `insns:OFF` / `sig:OFF`, OFF decimal or 0x-hex. Undefined when malformed. */
export function parseTamper(spec: string): Tamper | undefined {
  const m = /^(data|insns|sig):(0x[0-9a-fA-F]+|\d+)$/.exec(spec.trim());
  if (!m) return undefined;
  const offset = Number(m[2]);
  return Number.isSafeInteger(offset) ? { blob: m[1] as TamperBlob, offset } : undefined;
}

const BLOB_LABEL: Record<TamperBlob, string> = { data: 'data blob (opts_data)', insns: 'loader instructions (opts_insn)', sig: 'signature (opts_sig)' };

/**
 * A copy of the skeleton with each tamper applied: byte OFF of the blob XOR 0x01 (the transcripts'
 * `flip`). An offset outside the blob, or a `sig` tamper on an unsigned skeleton, is an InputError.
 */
export function applyTampers(skel: LightSkeleton, tampers: readonly Tamper[]): { skel: LightSkeleton; applied: AppliedTamper[] } {
  const copy = {
    ...skel,
    insns: skel.insns.slice(),
    data: skel.data.slice(),
    ...(skel.signature ? { signature: skel.signature.slice() } : {}),
  };
  const applied: AppliedTamper[] = [];
  for (const t of tampers) {
    const blob = t.blob === 'data' ? copy.data : t.blob === 'insns' ? copy.insns : copy.signature;
    if (!blob) throw new InputError(`tamper ${t.blob}:${t.offset}: the skeleton has no signature (opts_sig): it was not generated with -S`);
    if (t.offset < 0 || t.offset >= blob.length)
      throw new InputError(`tamper ${t.blob}:${t.offset}: offset outside the ${BLOB_LABEL[t.blob]}, which is ${blob.length} bytes (offsets 0..${blob.length - 1})`);
    const before = blob[t.offset]!;
    blob[t.offset] = before ^ 0x01;
    applied.push({ ...t, before, after: blob[t.offset]! });
  }
  return { skel: copy, applied };
}

/** How a skeleton is set up and run, on the emulator (runSkeleton) and on a real kernel (runSkeletonReal). */
export interface SkeletonSetupOptions {
  /**
   * The toolchain whose libbpf runs the skeleton (its bpf_load_and_run flow). Default: the first
   * registered toolchain that writes skeletons like this one (candidateToolchains).
   */
  readonly toolchain?: string;
  /** The signing certificate, DER. */
  readonly certDer?: Uint8Array;
  /**
   * Where the certificate goes and which keyring_id the skeleton passes; a number = that keyring_id
   * as is. (A real kernel takes only the session placement or a raw id: builtin, secondary and
   * platform need the kernel to hold the certificate.)
   */
  readonly keyring?: KeyringName | number;
  /** add_key description for the session placement (bpftool uses the certificate path). */
  readonly keyDescription?: string;
  readonly tampers?: readonly Tamper[];
  readonly skipFreeze?: boolean;
  readonly skipHash?: boolean;
}

/** The keyring placement `opts` asks for (session when there is a certificate and no keyring), and the keyring_id the skeleton passes. */
export function keyringChoice(opts: Pick<SkeletonSetupOptions, 'keyring' | 'certDer'>): { name: KeyringName | null; id: number } {
  const name = typeof opts.keyring === 'number' ? null : (opts.keyring ?? (opts.certDer ? 'session' : null));
  const id = typeof opts.keyring === 'number' ? opts.keyring : name ? KEYRING_IDS[name] : 0;
  return { name, id };
}

export interface RunSkeletonOptions extends SkeletonSetupOptions {
  /** Kernel profile name (default: the registry's default profile, v6.18). */
  readonly profile?: string;
  /** Create the metadata map without excl_prog_hash (KP-META-5, LT-ERR-20). */
  readonly noExclHash?: boolean;
  /**
   * The stale-hash trick (KP-META-4, CLAIM-7): the map's hash is taken over the blob as signed while
   * the map is unfrozen, then the tampered blob (`tampers`) is written and the map frozen.
   */
  readonly staleHash?: boolean;
  /** comm of the loading process (appears in audit records). */
  readonly comm?: string;
  /**
   * LSMs after `capability`: names of registered LSMs or modules of your own, or `'default'` for the
   * profile's scheme's default stack (defaultLsmFor). Default: none (a kernel with only capability).
   */
  readonly lsm?: readonly (string | LsmModule)[] | 'default';
  /** Options for the named LSMs (e.g. the IPE policy). */
  readonly lsmOptions?: LsmOptions;
  /** A second thread's syscalls at a stage boundary of the loader's BPF_PROG_LOAD (src/scenarios/races.ts). */
  readonly race?: RaceSchedule;
  /** The kernel's vmlinux BTF: 'builtin' (default), 'build' (the profile's real build), or a file (KernelOptions.kernelBtf). */
  readonly kernelBtf?: KernelBtfChoice;
  /** The audit series the kernel joins (its clock and serials follow the previous run's; src/audit/series.ts). */
  readonly audit?: AuditSeries;
}

export interface SkelRun {
  readonly kernel: Kernel;
  readonly proc: Process;
  readonly profile: string;
  /** The scheme the profile belongs to. */
  readonly scheme: string;
  /** The toolchain whose flow ran the skeleton, and the other toolchains that could have made it. */
  readonly toolchain: string;
  readonly toolchainCandidates: readonly string[];
  /** The LSMs loaded after capability, in order. */
  readonly lsm: readonly string[];
  /** What the race's second thread did, and where; null when no race was asked for or it never fired. */
  readonly race: RaceRecord | null;
  readonly keyring: { readonly name: KeyringName | null; readonly id: number; readonly cert: boolean };
  /** The add_key(2) call for the session placement. */
  readonly addKey: SysResult | null;
  readonly tampers: readonly AppliedTamper[];
  /** The skeleton as loaded (tampers applied). */
  readonly loaded: LightSkeleton;
  readonly result: SkelResult;
  /** Name of result.err's errno when the kernel rejected; null when it loaded, was not emulated or never returned (result.oops). */
  readonly errno: string | null;
}

/** The toolchain that runs `skel`: the one named, else the first that fits its header. */
export function pickToolchain(skel: LightSkeleton, name?: string): { toolchain: ToolchainProfile; candidates: ToolchainProfile[] } {
  const candidates = candidateToolchains(skel);
  if (name !== undefined) {
    const t = findToolchain(name);
    if (!t) throw new InputError(`unknown toolchain '${name}' (one of ${toolchainNames().join(', ')})`);
    return { toolchain: t, candidates };
  }
  const t = candidates[0];
  if (!t) throw new InputError(`no known toolchain writes a skeleton like '${skel.name}' (${skel.style}${skel.signature ? ', signed' : ''}); name one with --toolchain`);
  return { toolchain: t, candidates };
}

/** Run `<name>__open_and_load()` for `skel` in a fresh kernel set up as `opts` says. */
export function runSkeleton(skel: LightSkeleton, opts: RunSkeletonOptions = {}): SkelRun {
  const { toolchain, candidates } = pickToolchain(skel, opts.toolchain);
  const { name: keyringName, id: keyringId } = keyringChoice(opts);
  const cert = opts.certDer;
  if (cert && typeof opts.keyring === 'number') throw new InputError('a certificate needs a keyring placement (session, builtin, secondary or platform), not a raw keyring id');

  const profileName = opts.profile ?? defaultProfile().name;
  const lsm = opts.lsm === 'default' ? defaultLsmFor(profileName) : (opts.lsm ?? []);
  // The scheme's options for its stack, with the caller's on top (e.g. --ipe-permissive keeps the scheme's policy).
  const lsmOptions = opts.lsm === 'default' ? { ...defaultLsmOptionsFor(profileName), ...opts.lsmOptions } : opts.lsmOptions;
  let kernel: Kernel;
  try {
    kernel = new Kernel({
      profile: profileName,
      lsm,
      ...(lsmOptions ? { lsmOptions } : {}),
      ...(cert && keyringName === 'builtin' ? { builtinCerts: [cert] } : {}),
      ...(opts.kernelBtf !== undefined ? { kernelBtf: opts.kernelBtf } : {}),
      ...(opts.audit ? { audit: { series: opts.audit } } : {}),
    });
  } catch (e) {
    // The ways construction fails here: an unknown profile or LSM, bad LSM options, a certificate the kernel refuses at boot,
    // or a kernel BTF choice it cannot honour (already an InputError, kept with its class: RealKernelError's kind).
    if (e instanceof InputError) throw e;
    throw new InputError((e as Error).message);
  }
  if (cert && (keyringName === 'secondary' || keyringName === 'platform')) {
    const r = keyringName === 'secondary' ? kernel.keys.load_secondary_certificate(cert) : kernel.keys.load_platform_certificate(cert);
    if (r < 0) throw new InputError(`the kernel refused the certificate for the ${keyringName} keyring: -${errnoName(-r) ?? r}`);
  }
  const proc = kernel.spawn({ comm: opts.comm ?? 'skel_loader' });
  let addKey: SysResult | null = null;
  if (cert && keyringName === 'session') {
    // Not an input error if it fails: the load then shows what the kernel does without the key.
    addKey = proc.addKey('asymmetric', opts.keyDescription ?? 'bpfsig signing key', cert, KEY_SPEC_SESSION_KEYRING);
  }
  const { skel: loaded, applied } = applyTampers(skel, opts.tampers ?? []);
  const race = opts.race ? armRace(proc, opts.race) : null;
  const result = loadSkeleton(proc, loaded, {
    flow: toolchain.flow,
    keyringId,
    ...(opts.skipFreeze ? { skipFreeze: true } : {}),
    ...(opts.skipHash ? { skipHash: true } : {}),
    ...(opts.noExclHash ? { noExclHash: true } : {}),
    ...(opts.staleHash ? { staleHashOf: skel.data } : {}),
  });
  return {
    kernel,
    proc,
    profile: kernel.profile.name,
    scheme: schemeOfProfile(kernel.profile.name)?.name ?? kernel.profile.scheme,
    toolchain: toolchain.name,
    toolchainCandidates: candidates.map((t) => t.name),
    lsm: kernel.lsm.order.slice(1),
    race: race?.fired() ?? null,
    keyring: { name: keyringName, id: keyringId, cert: !!cert },
    addKey,
    tampers: applied,
    loaded,
    result,
    errno: result.outcome === 'rejected' && result.err !== null ? (errnoName(-result.err) ?? String(-result.err)) : null,
  };
}
