// KP Singh's scheme (Linux 6.18): the kernel checks a PKCS#7 signature over the loader's
// instructions at BPF_PROG_LOAD (LOAD-9); the loader checks its metadata map's hash later, when it
// runs in BPF_PROG_TEST_RUN. spec: KP-*, STB-*, V617-*, OBS-DEB-*, TC-BT71-*, TC-BT77-*.

import { registerScheme, type Scheme } from '../registry.js';
import { V6_17, V6_18, V6_18_15, V6_18_44, V6_18_STABLE, V7_2 } from './profiles.js';
import { BPFTOOL_7_1, BPFTOOL_7_7, BPFTOOL_7_8 } from './toolchains.js';

export const KP_SCHEME: Scheme = {
  name: 'kp',
  title: "KP Singh's signed BPF programs (Linux 6.18)",
  status: 'merged for 6.18 (2025-11-30); 2026 fixes in 6.18.y; still the scheme of Debian 6.18.15 and 7.2.12 (OBS-DEB-30)',
  signs: 'the loader program\'s instructions as sent (KP-LOAD-5); the metadata map is covered only by the hash the loader embeds (KP-DES-1)',
  checkedAt: 'LOAD-9, after the instructions are copied and before security_bpf_prog_load (KP-LOAD-1); the metadata hash is compared by the loader itself in BPF_PROG_TEST_RUN (KP-META-1)',
  lsmSees: 'security_bpf_prog_load runs only after a successful check and sees attr->signature, signature_size, keyring_id and kernel; no verdict is stored on the program (KP-LSM-3, KP-LOAD-4)',
  specIds: ['KP-LOAD-1', 'KP-SIG-1', 'KP-META-1', 'KP-LSM-3', 'STB-1', 'STB-2', 'STB-3', 'V617-1', 'OBS-DEB-60'],
  profiles: [V6_17, V6_18, V6_18_STABLE, V6_18_44, V6_18_15, V7_2],
  defaultProfile: 'v6.18',
  toolchains: [BPFTOOL_7_1, BPFTOOL_7_7, BPFTOOL_7_8],
  defaultToolchain: 'bpftool-7.7',
  // v6.18.44 (no signature verification on that machine), v6.18.15 and v7.2 (the Debian builds,
  // for --real) are named with --profiles.
  compareProfiles: ['v6.17', 'v6.18', 'v6.18-stable'],
  // A distribution that cares runs a "signed only" BPF-LSM policy (LSM-BPF-6) and audits what it
  // believed (AUD-FP-2); on v6.17 there is no signature field to require.
  defaultLsm: ['deny-unsigned', 'signature-audit'],
  profileLsm: { 'v6.17': ['signature-audit'] },
};

registerScheme(KP_SCHEME);
