// What a library user can iterate over: the registered kernel profiles with their scheme, the
// scheme's toolchain and default LSM stack, read from the registries (nothing here names a scheme,
// so a scheme registered later is listed too). `bpfsig profiles --json` has the full detail.
// A fresh signing identity for tests that need a second key. spec: PROF-1, PROF-2.

import { makeSigningIdentity } from '../keys/make-cert.js';
import { findToolchain } from '../loader/gen-loader/profiles.js';
import { defaultLsmFor, defaultToolchainFor, schemes } from '../schemes/registry.js';
import { presentFields } from '../syscall/attr.js';
import { defaultProfile } from '../syscall/profiles/index.js';
import { ATTR_LAYOUTS } from '../syscall/uapi/attr-layouts.js';
import { BpfCmd } from '../syscall/uapi/consts.js';

export interface ProfileInfo {
  /** The profile name runScenario's `profile` takes. */
  readonly name: string;
  readonly aliases: readonly string[];
  /** The scheme it belongs to (`kp`, `loadtime`, …) and the scheme's title. */
  readonly scheme: string;
  readonly schemeTitle: string;
  readonly summary: string;
  /** `uname -r`-style release it stands for. */
  readonly release: string;
  /** The profile a kernel gets when none is named. */
  readonly isDefault: boolean;
  /** BPF_PROG_LOAD's attr has the signature fields (signature, signature_size, keyring_id) on this kernel. */
  readonly signatureFields: boolean;
  /**
   * It has them and, as configured by default, can verify them: without
   * CONFIG_SYSTEM_DATA_VERIFICATION a signed load is -EOPNOTSUPP (KP-SIG-6, OBS-LOAD-2).
   */
  readonly verifiesSignatures: boolean;
  /** The toolchain the scheme makes this profile's skeletons with (what runScenario uses for an `object`), and whether it signs. */
  readonly toolchain: string;
  readonly toolchainSigns: boolean;
  /** The LSMs `lsm: 'default'` loads after capability. */
  readonly defaultLsm: readonly string[];
}

/** Every registered profile, scheme by scheme in registration order. */
export function listProfiles(): ProfileInfo[] {
  const def = defaultProfile().name;
  const progLoad = ATTR_LAYOUTS.get(BpfCmd.BPF_PROG_LOAD)!;
  return schemes().flatMap((s) =>
    s.profiles.map((p) => {
      const fields = presentFields(progLoad, p).some((f) => f.name === 'signature');
      return {
        name: p.name,
        aliases: [...(p.aliases ?? [])],
        scheme: s.name,
        schemeTitle: s.title,
        summary: p.summary,
        release: p.release,
        isDefault: p.name === def,
        signatureFields: fields,
        verifiesSignatures: fields && p.config.CONFIG_SYSTEM_DATA_VERIFICATION,
        toolchain: defaultToolchainFor(p.name)!,
        toolchainSigns: findToolchain(defaultToolchainFor(p.name)!)?.canSign ?? false,
        defaultLsm: [...defaultLsmFor(p.name)],
      };
    }),
  );
}

/** A signing identity as bpftool's `-k` and `-i` read them. */
export interface Identity {
  /** The self-signed certificate, PEM (`-i`), and its DER. */
  readonly certPem: string;
  readonly certDer: Uint8Array;
  /** The private key, PKCS#8 PEM (`-k`). */
  readonly keyPem: string;
}

/** A fresh RSA-2048 key and self-signed certificate the emulated kernel, bpftool and OpenSSL accept (what `bpfsig keygen` writes). */
export function makeIdentity(opts: { readonly cn?: string } = {}): Identity {
  const id = makeSigningIdentity(opts.cn !== undefined ? { cn: opts.cn } : {});
  return { certPem: id.certPem, certDer: id.certDer, keyPem: id.keyPem };
}
