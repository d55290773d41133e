// `--kernel-btf builtin|build|FILE`, shared by the commands that boot emulated kernels (skel load,
// replay). 'build' takes the vmlinux BTF of the real Debian build the profile models (fetched once
// into the cache, docs/realkernel.md); FILE is a raw vmlinux BTF such as a copy of
// /sys/kernel/btf/vmlinux. A choice that cannot be honoured is an error, never a fallback.

import { buildOfProfile } from '../realkernel/btf.js'; // (importing it registers the 'build' provider)
import { debianKernels } from '../realkernel/kernels.js';
import { parseKernelBtfChoice, type KernelBtfChoice } from '../syscall/kernel-btf/source.js';
import { getProfile } from '../syscall/profiles/index.js';
import { UsageError } from './command.js';

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

/**
 * The option for KernelOptions / runSkeleton. With `profile` known (skel load), 'build' on a
 * profile tied to no build is bad usage (exit 2) before anything runs; otherwise the kernel's own
 * error applies (an InputError: exit 3).
 */
export function kernelBtfOption(values: { readonly 'kernel-btf'?: string | undefined }, profile?: string): { kernelBtf?: KernelBtfChoice } {
  const v = values['kernel-btf'];
  if (v === undefined) return {};
  if (!v.length) throw new UsageError('--kernel-btf wants builtin, build or a file (raw vmlinux BTF)');
  if (v === 'build' && profile !== undefined && !buildOfProfile(getProfile(profile)?.name ?? profile)) {
    const tied = debianKernels().map((d) => `${d.profile} (Debian ${d.kver})`).join(', ');
    throw new UsageError(`--kernel-btf build: profile ${profile} is not tied to a real build; these are: ${tied}`);
  }
  return { kernelBtf: parseKernelBtfChoice(v) };
}
