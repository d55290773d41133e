// A light skeleton made from an object the way a toolchain would make it (`bpftool gen skeleton
// -L [-S [-M]] -k KEY -i CERT`), parsed back as a user's program would include it. The demo, the
// comparison of schemes and the tests make their skeletons here. spec: TC-BT77-3, TC-HCM-3, TC-LB26-2.

import { InputError } from '../errors.js';
import type { SigningIdentity } from '../keys/make-cert.js';
import { signPkcs7 } from '../keys/sign.js';
import type { BpfObject } from '../loader/elf/object-types.js';
import { objectNameFromPath, readElf } from '../loader/elf/read-object.js';
import { DEFAULT_EPOCH } from '../keys/clock.js';
import { genLoader, type LoaderOutput, type SignRequest } from '../loader/gen-loader/gen-loader.js';
import { toolchain as toolchainByName, type ToolchainProfile } from '../loader/gen-loader/profiles.js';
import { readLightSkeleton, type LightSkeleton } from '../loader/lskel-reader.js';
import { writeLskelHeader } from '../loader/lskel-writer.js';

export interface MakeSkeletonOptions {
  /** The toolchain (a registered name or a profile). */
  readonly toolchain: string | ToolchainProfile;
  /** Sign with this key and certificate (-S -k -i); unsigned without. */
  readonly identity?: Pick<SigningIdentity, 'privateKey' | 'certDer'>;
  /** -M: sign the hash chain over the loader and its metadata map. */
  readonly signMaps?: boolean;
  /** Object name (bpftool: from the file name, e.g. minimal.bpf.o → minimal_bpf). */
  readonly name: string;
  /** signingTime for toolchains that sign with signed attributes (default: the keys clock's epoch, 2025-11-30). */
  readonly signingTime?: Date;
}

export interface MadeSkeleton {
  readonly obj: BpfObject;
  readonly loader: LoaderOutput;
  readonly header: string;
  readonly skeleton: LightSkeleton;
  readonly toolchain: ToolchainProfile;
}

/** Open an object's bytes; an InputError naming `file` when they are not a usable BPF object. */
export function openObjectBytes(bytes: Uint8Array, file: string): BpfObject {
  const r = readElf(bytes, { objectName: objectNameFromPath(file) });
  if (!r.ok) throw new InputError(`${file}: not a usable BPF object (${r.error.kind}): ${r.error.message}`);
  return r.value;
}

export function makeSkeleton(obj: BpfObject, opts: MakeSkeletonOptions): MadeSkeleton {
  const toolchain = typeof opts.toolchain === 'string' ? toolchainByName(opts.toolchain) : opts.toolchain;
  const id = opts.identity;
  const gen = genLoader(obj, {
    profile: toolchain,
    sign: id !== undefined,
    signMaps: id !== undefined && (opts.signMaps ?? false),
    ...(id ? { signer: (content: Uint8Array, request: SignRequest) => signPkcs7(content, { ...request, key: id.privateKey, cert: id.certDer }) } : {}),
    // Signed attributes carry a signing time: the keys clock's epoch keeps generated skeletons reproducible.
    signingTime: opts.signingTime ?? new Date(DEFAULT_EPOCH * 1000),
  });
  if (!gen.ok) throw new InputError(`${opts.name}: cannot generate a ${toolchain.name} loader (${gen.error.kind}): ${gen.error.message}`);
  const header = writeLskelHeader(obj, gen.value);
  return { obj, loader: gen.value, header, skeleton: readLightSkeleton(header, `${obj.name}.lskel.h`), toolchain };
}
