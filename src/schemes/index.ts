// The built-in schemes, one line each. Adding a scheme is a folder under src/schemes/ whose
// index.ts calls registerScheme(), plus its line here.

import './kp/index.js';
import './hashchain/index.js';
import './loadtime/index.js';
import './hornet/index.js';

export {
  defaultCompareProfiles,
  defaultLsmFor,
  defaultLsmOptionsFor,
  defaultScheme,
  defaultToolchainFor,
  defaultToolchainName,
  getScheme,
  registerScheme,
  schemeOfProfile,
  schemeOfToolchain,
  schemes,
  type Scheme,
  type SchemeErrnoRow,
} from './registry.js';

// The profiles tied to real Debian builds (v6.17, v6.18.15, v7.2, v7.3) can boot with that build's
// own vmlinux BTF (KernelOptions.kernelBtf 'build'): the real-kernel backend provides it.
import '../realkernel/btf.js';
