// Errors of the real-kernel backend: one line each, named, so the CLI prints them as they are and
// tests can skip themselves by name (spec 10, OBS-DEB-1/2). They extend InputError: like a missing
// file, a missing tool is a fact about this machine, never a kernel errno.

import { InputError } from '../errors.js';

export type RealKernelErrorKind =
  | 'no-qemu' // qemu-system-x86_64 is not installed
  | 'no-gcc' // gcc (or a static libc) is missing: the runner cannot be built
  | 'no-apt' // apt-get / dpkg-deb are missing: the packages cannot be fetched
  | 'registry' // Debian's registry did not answer or lacks the package
  | 'no-decompressor' // the kernel image's compressor (zstd, xz, …) has no command on this machine
  | 'btf' // the kernel image holds no usable .BTF section
  | 'unknown-kernel' // not one of the builds we know
  | 'boot' // the guest did not boot, crashed, or timed out
  | 'profile'; // the profile a build maps to is not available in this build of bpfsig

export class RealKernelError extends InputError {
  constructor(
    readonly kind: RealKernelErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'RealKernelError';
  }
}

/** Kinds that mean "this machine cannot run real kernels" (tests report themselves skipped). */
export const UNAVAILABLE_KINDS: readonly RealKernelErrorKind[] = ['no-qemu', 'no-gcc', 'no-apt', 'registry', 'no-decompressor'];
