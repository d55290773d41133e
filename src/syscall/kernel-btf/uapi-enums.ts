// UAPI enumerations the emulated vmlinux BTF carries that the syscall layer does not otherwise
// need, derived from the one UAPI table (src/syscall/uapi/consts.ts).

import { AttachType } from '../uapi/consts.js';

/** enum bpf_attach_type, in value order (index = value); `__MAX_BPF_ATTACH_TYPE` last. */
export const BPF_ATTACH_TYPES: readonly string[] = [
  ...Object.entries(AttachType)
    .sort((a, b) => a[1] - b[1])
    .map(([name]) => name),
  '__MAX_BPF_ATTACH_TYPE',
];
