// The verdict policies of Documentation/bpf/signing.rst for kernels that keep the signature verdict
// on the program (Linux 7.3, LT-LSM-3): BPF-LSM programs on lsm/bpf_prog_load that read
// prog->aux->sig. Standing in for those programs (LSM-BPF-7):
//
//  verdict-verified           deny a userspace load unless its verdict is BPF_SIG_VERIFIED; loads
//                             made by a loader program (kernel = true) pass (LSM-KERN-2).
//  verdict-keyring-allowlist  deny a userspace load unless it is verified against a system keyring
//                             or a user keyring whose serial is allowed (LsmOptions.keyringSerials).
//
// On a kernel without prog->aux->sig such a program would not load (its field access has nothing
// to relocate against): the module refuses to boot there, with a one-line reason.
// spec: LT-LSM-1, LT-LSM-3, LT-VERD-1..3, LSM-BPF-6, LSM-KERN-2.

import { Errno } from '../abi/errno.js';
import type { LsmHost, LsmModule, ProgSigView } from './hooks.js';
import { LsmConfigError, registerLsm } from './registry.js';

function requireVerdictKernel(name: string, kernel: LsmHost): void {
  if (!kernel.profile.progLoadStages.some((s) => s.provides.includes('sig-verdict')))
    throw new LsmConfigError(`LSM '${name}' reads prog->aux->sig, which profile ${kernel.profile.name} does not keep (Linux 7.3's load-time verification does)`);
}

const SYSTEM_KEYRINGS: ReadonlySet<ProgSigView['keyringType']> = new Set(['BPF_SIG_KEYRING_BUILTIN', 'BPF_SIG_KEYRING_SECONDARY', 'BPF_SIG_KEYRING_PLATFORM']);

export function verdictVerifiedModule(): LsmModule {
  const name = 'verdict-verified';
  return {
    name,
    boot: (k) => requireVerdictKernel(name, k),
    hooks: {
      bpf_prog_load: (a) => (a.kernel || a.prog.sig?.verdict === 'BPF_SIG_VERIFIED' ? 0 : -Errno.EPERM),
    },
  };
}

export function verdictKeyringAllowlistModule(serials: readonly number[]): LsmModule {
  const name = 'verdict-keyring-allowlist';
  const allowed = new Set(serials);
  return {
    name,
    boot: (k) => requireVerdictKernel(name, k),
    hooks: {
      bpf_prog_load: (a) => {
        if (a.kernel) return 0;
        const sig = a.prog.sig;
        if (!sig || sig.verdict !== 'BPF_SIG_VERIFIED') return -Errno.EPERM;
        if (SYSTEM_KEYRINGS.has(sig.keyringType)) return 0;
        return sig.keyringType === 'BPF_SIG_KEYRING_USER' && allowed.has(sig.keyringSerial) ? 0 : -Errno.EPERM;
      },
    },
  };
}

registerLsm({
  name: 'verdict-verified',
  summary: 'deny userspace loads whose prog->aux->sig verdict is not BPF_SIG_VERIFIED (signing.rst; Linux 7.3)',
  spec: ['LT-LSM-3', 'LT-VERD-1', 'LSM-KERN-2'],
  create: verdictVerifiedModule,
});

registerLsm({
  name: 'verdict-keyring-allowlist',
  summary: 'allow only loads verified against a system keyring or an allowed user keyring serial (signing.rst; Linux 7.3)',
  spec: ['LT-LSM-3', 'LT-VERD-2'],
  create: (o) => verdictKeyringAllowlistModule(o.keyringSerials ?? []),
});
