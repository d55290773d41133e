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

import { InputError } from '../errors.js';
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

export interface RunSkeletonOptions {
  /** Kernel profile name (default v6.18). */
  readonly profile?: string;
  /** The signing certificate, DER. */
  readonly certDer?: Uint8Array;
  /** Where the certificate goes and which keyring_id the skeleton passes; a number = that keyring_id as is. */
  readonly keyring?: KeyringName | number;
  /** add_key description for the session placement (bpftool uses the certificate path). */
  readonly keyDescription?: string;
  readonly tampers?: readonly Tamper[];
  readonly skipFreeze?: boolean;
  readonly skipHash?: boolean;
  /** comm of the loading process (appears in audit records). */
  readonly comm?: string;
}

export interface SkelRun {
  readonly kernel: Kernel;
  readonly proc: Process;
  readonly profile: string;
  readonly keyring: { readonly name: KeyringName | null; readonly id: number; readonly cert: boolean };
  /** The add_key(2) call for the session placement. */
  readonly addKey: SysResult | null;
  readonly tampers: readonly AppliedTamper[];
  /** The skeleton as loaded (tampers applied). */
  readonly loaded: LightSkeleton;
  readonly result: SkelResult;
  /** Name of result.err's errno when the kernel rejected; null when it loaded or was not emulated. */
  readonly errno: string | null;
}

/** Run `<name>__open_and_load()` for `skel` in a fresh kernel set up as `opts` says. */
export function runSkeleton(skel: LightSkeleton, opts: RunSkeletonOptions = {}): SkelRun {
  const profile = opts.profile ?? 'v6.18';
  const keyringName = typeof opts.keyring === 'number' ? null : (opts.keyring ?? (opts.certDer ? 'session' : null));
  const keyringId = typeof opts.keyring === 'number' ? opts.keyring : keyringName ? KEYRING_IDS[keyringName] : 0;
  const cert = opts.certDer;
  if (cert && typeof opts.keyring === 'number') throw new InputError('a certificate needs a keyring placement (session, builtin, secondary or platform), not a raw keyring id');

  let kernel: Kernel;
  try {
    kernel = new Kernel({ profile, ...(cert && keyringName === 'builtin' ? { builtinCerts: [cert] } : {}) });
  } catch (e) {
    // The only ways construction fails here: an unknown profile or a certificate the kernel refuses at boot.
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
  const result = loadSkeleton(proc, loaded, {
    keyringId,
    ...(opts.skipFreeze ? { skipFreeze: true } : {}),
    ...(opts.skipHash ? { skipHash: true } : {}),
  });
  return {
    kernel,
    proc,
    profile: kernel.profile.name,
    keyring: { name: keyringName, id: keyringId, cert: !!cert },
    addKey,
    tampers: applied,
    loaded,
    result,
    errno: result.outcome === 'rejected' ? (errnoName(-result.err) ?? String(-result.err)) : null,
  };
}
