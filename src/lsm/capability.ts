// The capability LSM: only `capable` (cap_capable). It has no bpf_* hooks. spec: CAP-5, LSM-STACK-4.

import { Errno } from '../abi/errno.js';
import type { LsmModule } from './hooks.js';

export const capabilityModule: LsmModule = {
  name: 'capability',
  hooks: {
    capable: ({ cred, cap }) => (cred.caps.has(cap) ? 0 : -Errno.EPERM),
  },
};
