// Errors of the loader (ELF reading, BTF, relocation, loader generation).
//
// Parsing code deep inside the loader throws ObjectFormatError with a message that names what is
// wrong (section, offset, field). The public entry points (readElf, genLoader) catch it — and any
// other exception raised while walking untrusted bytes — and hand back a LoaderError value, so no
// exception escapes the module for malformed input.

import { BtfFormatError } from '../btf/errors.js';
import { Errno } from '../syscall/errno.js';

export type LoaderErrorKind =
  | 'elf' // ELF header, section table, symbol or relocation table
  | 'btf' // .BTF
  | 'btf.ext' // .BTF.ext
  | 'maps' // BTF-defined maps in .maps
  | 'program' // program sections, section names, subprograms
  | 'relocation' // relocations against programs
  | 'extern' // kfunc / ksym / kconfig externs
  | 'unsupported' // a valid object this generator does not handle (said so explicitly)
  | 'generation'; // gen_loader failed (e.g. -ERANGE jump offsets)

export interface LoaderError {
  readonly kind: LoaderErrorKind;
  /** What is wrong, naming the section / symbol / field. */
  readonly message: string;
  /** Errno-style code (positive) for the condition, close to what libbpf returns; libbpf's own
   *  LIBBPF_ERRNO__FORMAT / __RELOC codes are reported as EINVAL. */
  readonly errno: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: LoaderError };

/** Thrown inside the loader; converted to a LoaderError at the public boundary. */
export class ObjectFormatError extends Error {
  constructor(
    readonly kind: LoaderErrorKind,
    message: string,
    readonly errno: number = Errno.EINVAL,
  ) {
    super(message);
    this.name = 'ObjectFormatError';
  }
}

export function fail(kind: LoaderErrorKind, message: string, errno: number = Errno.EINVAL): never {
  throw new ObjectFormatError(kind, message, errno);
}

/** Runs `fn`, turning any exception into a LoaderError of the given default kind. */
export function capture<T>(defaultKind: LoaderErrorKind, fn: () => T): Result<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof ObjectFormatError) return { ok: false, error: { kind: e.kind, message: e.message, errno: e.errno } };
    if (e instanceof BtfFormatError) return { ok: false, error: { kind: e.section, message: e.message, errno: e.errno } };
    // A RangeError from a DataView read or similar: the bytes ended where a structure said more
    // would follow. Report it as malformed input, never as a crash.
    const msg = e instanceof Error ? e.message : String(e);
    return { ok: false, error: { kind: defaultKind, message: `malformed input: ${msg}`, errno: Errno.EINVAL } };
  }
}

export function formatLoaderError(e: LoaderError): string {
  return `${e.kind}: ${e.message}`;
}
