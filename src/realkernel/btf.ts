// The vmlinux BTF of each Debian build (issue J part 4; spec: OBS-DEB-1 for the packages): what
// its /sys/kernel/btf/vmlinux holds, so that a profile tied to a build (`kernelBtf: 'build'`,
// `--kernel-btf build`) has that build's kfunc BTF ids, CO-RE offsets and program tags.
//
// How it is obtained: from the kernel image already in the cache, without booting. The kernel
// exposes /sys/kernel/btf/vmlinux as the bytes between __start_BTF and __stop_BTF, i.e. the
// `.BTF` section of vmlinux, and that section is part of the image the boot loader loads: the
// bzImage's payload (boot protocol ≥ 2.08: payload_offset / payload_length in the setup header)
// is the compressed vmlinux ELF (`vmlinux.bin`, objcopy -R .comment -S: section headers kept),
// followed by its uncompressed size (le32). So: payload → decompress → ELF → `.BTF`. This needs
// neither QEMU nor the 170 MB package again (the cached vmlinuz is enough), takes about a second,
// and gives byte-for-byte the file the running kernel shows — the live suite checks that against
// the real kernel's BPF_OBJ_GET_INFO_BY_FD of BTF object 1 (test/realkernel/build-btf.test.ts).
//
// Cache: <cache>/debian/<abi>/vmlinux.btf and btf.json (size, sha256, where it came from), written
// once with a progress line; fetching the kernel first when it is not cached. Nothing falls back:
// when the cache lacks it and it cannot be fetched, the error says so.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BTF_MAGIC } from '../btf/btf.js';
import { KernelBtfError, registerBuildBtfProvider, type BuildBtf } from '../syscall/kernel-btf/source.js';
import type { KernelProfile } from '../syscall/profiles/profile.js';
import { cacheDir, cachedKernel, fetchKernel, kernelDir, progressOf, withCacheLock, type FetchOptions } from './cache.js';
import { RealKernelError } from './errors.js';
import { debianKernel, debianKernels, type DebianKernel } from './kernels.js';

export const BTF_FILE = 'vmlinux.btf';
export const BTF_META = 'btf.json';

export interface CachedBuildBtf {
  readonly kernel: DebianKernel;
  /** <cache>/debian/<abi>/vmlinux.btf */
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the BTF bytes (hex). */
  readonly sha256: string;
}

// ---- extraction ---------------------------------------------------------------------------------

interface Compressor {
  readonly name: string;
  readonly magic: readonly number[];
  /** Host command and arguments that decompress stdin to stdout (undefined: node's zlib). */
  readonly cmd?: readonly [string, ...string[]];
}

/** The kernel's compressors (CONFIG_KERNEL_*), by the magic its payload starts with. Debian: zstd. */
const COMPRESSORS: readonly Compressor[] = [
  { name: 'gzip', magic: [0x1f, 0x8b] },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], cmd: ['zstd', '-dc', '-q'] },
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], cmd: ['xz', '-dc', '-q'] },
  { name: 'lzma', magic: [0x5d, 0x00, 0x00], cmd: ['xz', '--format=lzma', '-dc', '-q'] },
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68], cmd: ['bzip2', '-dc', '-q'] },
  { name: 'lz4', magic: [0x02, 0x21, 0x4c, 0x18], cmd: ['lz4', '-dc', '-q'] },
  { name: 'lzo', magic: [0x89, 0x4c, 0x5a, 0x4f], cmd: ['lzop', '-dc', '-q'] },
];

const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
const u64 = (b: Uint8Array, o: number) => u32(b, o) + u32(b, o + 4) * 2 ** 32;

/** The compressed vmlinux of an x86 bzImage and the size it decompresses to. */
function bzImagePayload(img: Uint8Array, what: string): { payload: Uint8Array; size: number } {
  if (img.length < 0x250 || u32(img, 0x202) !== 0x53726448 /* "HdrS" */) throw new RealKernelError('btf', `${what} is not an x86 bzImage (no "HdrS" setup header)`);
  const version = u16(img, 0x206);
  if (version < 0x208) throw new RealKernelError('btf', `${what}: boot protocol ${version >> 8}.${version & 0xff} has no payload fields (2.08 or later needed)`);
  const setupSects = img[0x1f1] || 4;
  const start = (setupSects + 1) * 512 + u32(img, 0x248);
  const len = u32(img, 0x24c);
  if (len < 8 || start + len > img.length) throw new RealKernelError('btf', `${what}: payload (offset ${start}, ${len} bytes) lies outside the image (${img.length} bytes)`);
  const all = img.subarray(start, start + len);
  // The build appends the uncompressed size, le32, after the compressed stream (size_append).
  return { payload: all.subarray(0, len - 4), size: u32(all, len - 4) };
}

function decompress(payload: Uint8Array, size: number, what: string): Uint8Array {
  const c = COMPRESSORS.find((x) => x.magic.every((m, i) => payload[i] === m));
  if (!c) throw new RealKernelError('btf', `${what}: unknown compression of the kernel payload (starts ${Buffer.from(payload.subarray(0, 6)).toString('hex')})`);
  let out: Uint8Array;
  if (!c.cmd) {
    out = gunzipSync(payload);
  } else {
    const [cmd, ...args] = c.cmd;
    const r = spawnSync(cmd, args, { input: payload, maxBuffer: 1 << 30 });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RealKernelError('no-decompressor', `${what} is ${c.name}-compressed and '${cmd}' is not installed (apt-get install ${cmd === 'xz' ? 'xz-utils' : cmd})`);
    }
    if (r.status !== 0 || !r.stdout) throw new RealKernelError('btf', `${what}: ${cmd} failed: ${(r.stderr ?? '').toString().trim().split('\n').pop() ?? r.status}`);
    out = new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
  }
  if (out.length !== size) throw new RealKernelError('btf', `${what}: the payload decompressed to ${out.length} bytes, the image says ${size}`);
  return out;
}

/** The bytes of section `name` of a little-endian ELF64 file, or undefined when it has none. */
function elfSection(elf: Uint8Array, name: string, what: string): Uint8Array | undefined {
  if (elf.length < 64 || u32(elf, 0) !== 0x464c457f) throw new RealKernelError('btf', `${what}: the decompressed payload is not an ELF file`);
  if (elf[4] !== 2 || elf[5] !== 1) throw new RealKernelError('btf', `${what}: the payload is not a little-endian 64-bit ELF`);
  const shoff = u64(elf, 0x28);
  const shentsize = u16(elf, 0x3a);
  const shnum = u16(elf, 0x3c);
  const shstrndx = u16(elf, 0x3e);
  if (!shoff || shstrndx >= shnum || shoff + shnum * shentsize > elf.length) throw new RealKernelError('btf', `${what}: the vmlinux ELF has no usable section headers`);
  const sh = (i: number) => {
    const o = shoff + i * shentsize;
    return { name: u32(elf, o), offset: u64(elf, o + 0x18), size: u64(elf, o + 0x20) };
  };
  const strtab = sh(shstrndx);
  const want = Buffer.from(name + '\0', 'latin1');
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const at = strtab.offset + s.name;
    if (Buffer.from(elf.subarray(at, at + want.length)).equals(want)) {
      if (s.offset + s.size > elf.length) throw new RealKernelError('btf', `${what}: section ${name} lies outside the file`);
      return elf.subarray(s.offset, s.offset + s.size);
    }
  }
  return undefined;
}

/**
 * The `.BTF` section of the vmlinux inside an x86 bzImage (= /sys/kernel/btf/vmlinux of that
 * kernel). Throws RealKernelError: 'btf' for an image without it, 'no-decompressor' when the
 * payload's compressor has no command here.
 */
export function extractVmlinuxBtf(vmlinuz: Uint8Array, what = 'the kernel image'): Uint8Array {
  const { payload, size } = bzImagePayload(vmlinuz, what);
  const elf = decompress(payload, size, what);
  const btf = elfSection(elf, '.BTF', what);
  if (!btf) throw new RealKernelError('btf', `${what}: the vmlinux has no .BTF section (a kernel built without CONFIG_DEBUG_INFO_BTF)`);
  if (btf.length < 24 || u16(btf, 0) !== BTF_MAGIC) throw new RealKernelError('btf', `${what}: the .BTF section does not start with the BTF magic`);
  return btf.slice();
}

// ---- cache --------------------------------------------------------------------------------------

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The build's cached BTF, or undefined when it was never extracted. */
export function cachedBuildBtf(kver: string): CachedBuildBtf | undefined {
  const k = debianKernel(kver);
  const dir = kernelDir(k);
  const path = join(dir, BTF_FILE);
  const metaPath = join(dir, BTF_META);
  if (!existsSync(path) || !existsSync(metaPath)) return undefined;
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { size?: number; sha256?: string };
    if (typeof meta.sha256 !== 'string' || meta.size !== statSync(path).size) return undefined;
    return { kernel: k, path, size: meta.size, sha256: meta.sha256 };
  } catch {
    return undefined;
  }
}

/**
 * The build's BTF in the cache: extracted from the cached kernel image (fetched first when the
 * kernel itself is not cached), once, with a progress line. Errors keep the kind of what failed
 * (`registry`, `no-apt`: it could not be fetched) and say that the BTF is missing.
 */
export function fetchBuildBtf(kver: string, opts: FetchOptions = {}): CachedBuildBtf {
  const hit = cachedBuildBtf(kver);
  if (hit) return hit;
  const k = debianKernel(kver);
  if (!cachedKernel(k.kver)) {
    try {
      fetchKernel(k.kver, opts);
    } catch (e) {
      if (e instanceof RealKernelError) throw new RealKernelError(e.kind, `Debian ${k.kver}'s vmlinux BTF is not in the cache (${kernelDir(k)}) and cannot be fetched: ${e.message}`);
      throw e;
    }
  }
  return withCacheLock(() => {
    const again = cachedBuildBtf(kver);
    if (again) return again;
    const kc = cachedKernel(k.kver);
    if (!kc) throw new RealKernelError('registry', `Debian ${k.kver} vanished from the cache while its BTF was being extracted`);
    const t0 = Date.now();
    const btf = extractVmlinuxBtf(new Uint8Array(readFileSync(kc.vmlinuz)), `Debian ${k.kver}'s vmlinuz`);
    const dir = kernelDir(k);
    const digest = sha256(btf);
    // Write beside, then rename: a reader never sees a partial file.
    writeFileSync(join(dir, `.${BTF_FILE}.tmp`), btf);
    renameSync(join(dir, `.${BTF_FILE}.tmp`), join(dir, BTF_FILE));
    const meta = { kver: k.kver, abi: k.abi, size: btf.length, sha256: digest, from: 'vmlinuz: .BTF section of the compressed vmlinux (= /sys/kernel/btf/vmlinux)', extracted: new Date().toISOString() };
    writeFileSync(join(dir, BTF_META), JSON.stringify(meta, null, 1) + '\n');
    progressOf(opts)(
      `bpfsig: extracted the vmlinux BTF of Debian ${k.kver} (${(btf.length / 1e6).toFixed(1)} MB, sha256 ${digest.slice(0, 12)}…) from its vmlinuz into ${join(dir, BTF_FILE)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    return cachedBuildBtf(kver)!;
  });
}

const loaded = new Map<string, BuildBtf & { readonly sha256: string }>();

/**
 * The build's BTF bytes (the same array on every call, so kernels share one parse), checked
 * against the digest written when it was extracted. Fetches and extracts when needed.
 */
export function buildBtf(kver: string, opts: FetchOptions = {}): BuildBtf & { readonly sha256: string } {
  const k = debianKernel(kver);
  const key = `${cacheDir()}\0${k.kver}`;
  const hit = loaded.get(key);
  if (hit) return hit;
  const c = fetchBuildBtf(k.kver, opts);
  const bytes = new Uint8Array(readFileSync(c.path));
  const digest = sha256(bytes);
  if (digest !== c.sha256) throw new RealKernelError('btf', `${c.path} does not match its ${BTF_META} (sha256 ${digest.slice(0, 12)}…, recorded ${c.sha256.slice(0, 12)}…): delete both files and ask again`);
  const b = { bytes, sha256: digest, label: `Debian ${k.abi} (its /sys/kernel/btf/vmlinux, from the cached vmlinuz; sha256 ${digest.slice(0, 12)}…)` };
  loaded.set(key, b);
  return b;
}

/** The Debian build a profile models (v6.17 ↔ 6.17.13, v6.18.15 ↔ 6.18.15, v7.2 ↔ 7.2.12, v7.3 ↔ 7.3.4). */
export function buildOfProfile(profile: string): DebianKernel | undefined {
  return debianKernels().find((k) => k.profile === profile);
}

/** kernelBtf 'build' (src/syscall/kernel-btf/source.ts): the profile's build's BTF. */
export function buildBtfForProfile(profile: KernelProfile, opts: FetchOptions = {}): BuildBtf {
  const k = buildOfProfile(profile.name);
  if (!k) {
    const tied = debianKernels().map((d) => `${d.profile} (Debian ${d.kver})`).join(', ');
    throw new KernelBtfError(`profile ${profile.name} is not tied to a real build, so it has no build BTF; kernel BTF 'build' works with ${tied}`);
  }
  return buildBtf(k.kver, opts);
}

registerBuildBtfProvider((profile) => buildBtfForProfile(profile));
