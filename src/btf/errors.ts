// Malformed BTF. Parsing code throws BtfFormatError naming the bad field; callers that read
// untrusted bytes (the ELF reader, the kernel's BTF_LOAD) turn it into their own error values.

import { Errno } from '../abi/errno.js';

export type BtfSection = 'btf' | 'btf.ext';

export class BtfFormatError extends Error {
  constructor(
    readonly section: BtfSection,
    message: string,
    readonly errno: number = Errno.EINVAL,
  ) {
    super(message);
    this.name = 'BtfFormatError';
  }
}

export function fail(section: BtfSection, message: string, errno: number = Errno.EINVAL): never {
  throw new BtfFormatError(section, message, errno);
}
