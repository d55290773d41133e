// `--kernel-btf builtin|build|FILE`, shared by the commands that boot emulated kernels (skel load,
// replay). 'build' takes the vmlinux BTF of the real Debian build the profile models (fetched once
// into the cache, docs/realkernel.md); FILE is a raw vmlinux BTF such as a copy of
// /sys/kernel/btf/vmlinux. A choice that cannot be honoured is an error, never a fallback.

import '../realkernel/btf.js'; // registers the 'build' provider
import { parseKernelBtfChoice, type KernelBtfChoice } from '../syscall/kernel-btf/source.js';

export const KERNEL_BTF_FLAG = { 'kernel-btf': { type: 'string' } } as const;

/** The flag's help, its text starting at column `col` as the command's other options do. */
export function kernelBtfHelp(col: number): string {
  const text = [
    "the kernel's vmlinux BTF: builtin (bpfsig's own, the default), build",
    '(the real build the profile models — v6.17, v6.18.15, v7.2, v7.3: its',
    '/sys/kernel/btf/vmlinux, fetched once into the cache, so kfunc BTF ids,',
    "CO-RE offsets and program tags are that build's), or FILE (raw BTF)",
  ];
  return text.map((t, i) => (i ? ' '.repeat(col) : '  --kernel-btf SRC'.padEnd(col)) + t).join('\n');
}

export function kernelBtfOption(values: { readonly 'kernel-btf'?: string | undefined }): { kernelBtf?: KernelBtfChoice } {
  const v = values['kernel-btf'];
  return v === undefined ? {} : { kernelBtf: parseKernelBtfChoice(v) };
}
