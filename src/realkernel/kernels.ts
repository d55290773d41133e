// The Debian kernel builds that verify BPF signatures (spec 10, OBS-DEB-1), the packages that hold
// their kernel and config, and the bpfsig profile that models each one. Data only.

import { getProfile } from '../syscall/profiles/index.js';
import type { KernelConfig, KernelProfile } from '../syscall/profiles/profile.js';
import { RealKernelError } from './errors.js';

export interface DebianKernel {
  /** `6.18.15`: what `--real` takes. */
  readonly kver: string;
  /** Debian's ABI name, `6.18.15+deb13-amd64` (the `boot/vmlinuz-*` suffix). */
  readonly abi: string;
  /** Packages to fetch: the one holding boot/vmlinuz-*, the one holding boot/config-*. */
  readonly kernelPackage: string;
  readonly configPackage: string;
  /** The profile that models this build (spec: OBS-DEB-60). */
  readonly profile: string;
  /**
   * What to replay against while `profile` is not in this build of bpfsig: a profile that runs the
   * same code for these cases, with its config overrides, and why it stands in. Undefined: none.
   */
  readonly standIn?: { readonly profile: string; readonly config: Partial<KernelConfig>; readonly why: string };
}

const DEBIAN_KERNELS: readonly DebianKernel[] = [
  { kver: '6.17.13', abi: '6.17.13+deb13-amd64', kernelPackage: 'linux-image-6.17.13+deb13-amd64', configPackage: 'linux-image-6.17.13+deb13-amd64', profile: 'v6.17' },
  {
    kver: '6.18.15',
    abi: '6.18.15+deb13-amd64',
    kernelPackage: 'linux-image-6.18.15+deb13-amd64',
    configPackage: 'linux-image-6.18.15+deb13-amd64',
    profile: 'v6.18.15',
    standIn: {
      profile: 'v6.18.44',
      config: { CONFIG_SYSTEM_DATA_VERIFICATION: true, refuseLsmAndTracingProgs: false },
      why: 'OBS-DEB-60: Debian 6.18.15 = v6.18 + STB-1 + STB-2 without STB-3, i.e. the v6.18.44 profile with CONFIG_SYSTEM_DATA_VERIFICATION=y (and without the 6.18.44 VM\'s refusal of LSM programs, OBS-LSK-5: Debian\'s CONFIG_LSM has bpf)',
    },
  },
  // 7.x: linux-image-* is a meta package; the kernel is in linux-binary-*, the config in linux-base-* (OBS-DEB-1).
  { kver: '7.2.12', abi: '7.2.12+deb13-amd64', kernelPackage: 'linux-binary-7.2.12+deb13-amd64', configPackage: 'linux-base-7.2.12+deb13-amd64', profile: 'v7.2' },
  { kver: '7.3.4', abi: '7.3.4+deb13-amd64', kernelPackage: 'linux-binary-7.3.4+deb13-amd64', configPackage: 'linux-base-7.3.4+deb13-amd64', profile: 'v7.3' },
];

export const BUSYBOX_PACKAGE = 'busybox-static';

export function debianKernels(): readonly DebianKernel[] {
  return DEBIAN_KERNELS;
}

export function debianKernel(kver: string): DebianKernel {
  const k = DEBIAN_KERNELS.find((d) => d.kver === kver || d.abi === kver);
  if (!k) throw new RealKernelError('unknown-kernel', `unknown real kernel '${kver}' (one of ${DEBIAN_KERNELS.map((d) => d.kver).join(', ')})`);
  return k;
}

export interface ProfileChoice {
  readonly profile: KernelProfile;
  /** Config overrides the choice needs (a stand-in's). */
  readonly config: Partial<KernelConfig>;
  /** Set when a stand-in is used: why it is faithful for these cases. */
  readonly standIn?: string;
}

/** The profile for a build: its own, else its stand-in (`allowStandIn`), else a clear error. */
export function profileForDebian(kver: string, opts: { allowStandIn?: boolean } = {}): ProfileChoice {
  const k = debianKernel(kver);
  const own = getProfile(k.profile);
  if (own) return { profile: own, config: { CONFIG_SYSTEM_DATA_VERIFICATION: true } };
  if (opts.allowStandIn && k.standIn) {
    const p = getProfile(k.standIn.profile);
    if (p) return { profile: p, config: k.standIn.config, standIn: `${k.standIn.profile} standing in for ${k.profile} (${k.standIn.why})` };
  }
  throw new RealKernelError('profile', `Debian ${k.kver} maps to profile ${k.profile}: profile not available in this build of bpfsig`);
}

/** The profile name a build maps to and whether this build of bpfsig has it (for listings). */
export function profileStatus(k: DebianKernel): { name: string; available: boolean; standIn?: string } {
  if (getProfile(k.profile)) return { name: k.profile, available: true };
  return { name: k.profile, available: false, ...(k.standIn && getProfile(k.standIn.profile) ? { standIn: k.standIn.profile } : {}) };
}
