// Blaise Boscaccy's BPF signature hash chains (posted 2025-09, never merged): the PKCS#7 signature
// covers a digest over the loader's instructions and a hash chain over the maps it names, checked
// at BPF_PROG_LOAD (LOAD-9) — so a tampered metadata map fails the load itself, before any LSM hook
// or audit record. spec: HC-* (02-schemes.md §4), TC-HCM-* (§8.3), SEQ-1..3, CLAIM-1/3/6/8/11/21/24/27.

import { registerScheme, type Scheme } from '../registry.js';
import { HASHCHAIN_V1, HASHCHAIN_V2 } from './profiles.js';
import { HASHCHAIN_TOOLCHAIN } from './toolchains.js';

export const HASHCHAIN_SCHEME: Scheme = {
  name: 'hashchain',
  title: "Blaise Boscaccy's BPF signature hash chains (never merged)",
  status: 'posted as RFC 2025-09-09, v1 2025-09-26 (syzbot: general protection fault), v2 2025-09-29; never merged (HC-HIST-1)',
  signs:
    'with signature_maps_size = k > 0: the 32-byte f = SHA256(SHA256(insns) ‖ h_0), h_{k-1} = H(M_{k-1}), h_n = SHA256(h_{n+1} ‖ H(M_n)), M_n the map at fd_array[signature_maps[n]] (HC-SIG-1..4); bpftool -M signs one map, __loader.map at index 0 (TC-HCM-2). With k = 0: the instructions, as KP (HC-SIG-5)',
  checkedAt:
    'LOAD-9, inside bpf_prog_verify_signature, before security_bpf_prog_load and bpf_check (HC-LSM-1): a chain mismatch fails BPF_PROG_LOAD with EKEYREJECTED; the map fds are resolved there, apart from bpf_check (HC-NOT-3); no frozen or exclusivity check (HC-NOT-1/2)',
  lsmSees:
    'security_bpf_prog_load runs only after the chain verified; no verdict is stored on the program: an LSM can only read attr->signature_maps_size next to attr->signature (HC-LSM-2)',
  specIds: ['HC-UAPI-1', 'HC-UAPI-2', 'HC-SIG-1', 'HC-SIG-3', 'HC-SIG-5', 'HC-CHK-1', 'HC-CHK-3', 'HC-NOT-3', 'HC-Q-1', 'HC-Q-2', 'HC-LSM-1', 'TC-HCM-1', 'TC-HCM-3'],
  // spec: HC-ERR-1..10 (02-schemes.md §4.8); each row is a test title in test/schemes/hashchain-kernel.test.ts.
  errnoTable: [
    { id: 'HC-ERR-1', condition: 'signature_maps_size == 0', result: "exactly KP-ERR-* (v6.18's table and trace)" },
    { id: 'HC-ERR-2', condition: 'keyring unusable (checked first)', result: '-EINVAL' },
    { id: 'HC-ERR-3', condition: 'unreadable signature_maps', result: '-EFAULT (v2); kernel oops (v1, HC-Q-2)' },
    { id: 'HC-ERR-4', condition: 'signature_maps allocation fails (count × 4 > INT_MAX)', result: '-ENOMEM (v2); kernel oops (v1)' },
    { id: 'HC-ERR-5', condition: 'unreadable fd_array slot (user pointer)', result: "a positive byte count (copy_from_user's bytes not copied), not an fd (HC-Q-1)" },
    { id: 'HC-ERR-6', condition: 'unreadable fd_array slot (kernel pointer)', result: '-EFAULT' },
    { id: 'HC-ERR-7', condition: 'slot holds no fd / a non-map fd (BTF, program)', result: '-EBADF / -EINVAL' },
    { id: 'HC-ERR-8', condition: 'map type without map_get_hash (hash, per-CPU array, ringbuf, …)', result: '-EINVAL' },
    { id: 'HC-ERR-9', condition: 'tampered map or insns, or a KP-style signature over raw insns with k > 0', result: '-EKEYREJECTED' },
    { id: 'HC-ERR-10', condition: 'malformed PKCS#7 (after the chain was built)', result: '-EBADMSG' },
  ],
  profiles: [HASHCHAIN_V2, HASHCHAIN_V1],
  toolchains: [HASHCHAIN_TOOLCHAIN],
  defaultToolchain: 'hashchain',
  // Its skeletons are made with -M (TC-HCM-1): without it the kernel checks KP's signature (HC-SIG-5).
  defaultSignMaps: true,
  // v1 differs from v2 only on bad signature_maps input (HC-Q-2), which no comparison case sends.
  compareProfiles: ['hashchain-v2'],
  // The same "signed only" policy and belief audit as KP's stack: what changes is when they run.
  defaultLsm: ['deny-unsigned', 'signature-audit'],
};

registerScheme(HASHCHAIN_SCHEME);
