// Issue K: what a kernel builds from its vmlinux BTF at boot — the parse (btf_parse of the image)
// and the kallsyms table derived from it — made once per distinct image and shared by every kernel
// booted from it. Both are read-only after they are made; each kernel still gets its own BTF object
// (id, refcount) over the shared parse (Btf.sharing()).
//
// Keys: the built-in image by the options it is built from (the profile's UAPI features and its
// struct bpf_map layout: builtinVmlinuxBtf is deterministic per options); bytes a caller gives by
// their SHA-256 and length, compared byte for byte on a hit. kallsyms also by CONFIG_KALLSYMS_ALL.

import { createHash } from 'node:crypto';
import { Btf } from '../objects/btf.js';
import { Kallsyms } from './kallsyms.js';
import { builtinVmlinuxBtf, type VmlinuxOptions } from './vmlinux.js';

export interface KernelBtfImage {
  readonly bytes: Uint8Array;
  /** The parsed image (a template: kernels use `btf.sharing()`). */
  readonly btf: Btf;
  /** kallsyms for this image, with or without CONFIG_KALLSYMS_ALL. */
  kallsyms(all: boolean): Kallsyms;
}

const images = new Map<string, KernelBtfImage | { readonly error: string; readonly bytes: Uint8Array }>();
/** Images of bytes callers gave are few (a real /sys/kernel/btf/vmlinux or two): keep a handful. */
const GIVEN_CAPACITY = 4;
let given = 0;

function make(bytes: Uint8Array): KernelBtfImage | { readonly error: string; readonly bytes: Uint8Array } {
  const log: string[] = [];
  const r = Btf.parse(bytes, { write: (s) => void log.push(s) });
  if (!r.ok) return { error: log.join('').trim().split('\n').pop() ?? `errno ${r.err}`, bytes };
  const tables = new Map<boolean, Kallsyms>();
  const btf = r.btf;
  return {
    bytes,
    btf,
    kallsyms(all) {
      let k = tables.get(all);
      if (!k) tables.set(all, (k = Kallsyms.fromVmlinux(btf.model, { kallsymsAll: all })));
      return k;
    },
  };
}

/** The built-in vmlinux image for these options. */
export function builtinKernelBtf(opts: VmlinuxOptions): KernelBtfImage | { readonly error: string } {
  const key = 'builtin:' + JSON.stringify([opts.uapiFeatures ?? ['signing-6.18'], opts.bpfMapExcl ?? false]);
  let img = images.get(key);
  if (!img) images.set(key, (img = make(builtinVmlinuxBtf(opts))));
  return img;
}

/** The image of bytes a caller gave (e.g. a real /sys/kernel/btf/vmlinux). */
export function kernelBtfOf(bytes: Uint8Array): KernelBtfImage | { readonly error: string } {
  const key = `bytes:${bytes.length}:${createHash('sha256').update(bytes).digest('base64')}`;
  const img = images.get(key);
  if (img && img.bytes.length === bytes.length && Buffer.compare(img.bytes, bytes) === 0) return img;
  if (given >= GIVEN_CAPACITY) {
    for (const k of images.keys()) if (k.startsWith('bytes:')) images.delete(k);
    given = 0;
  }
  const made = make(bytes.slice());
  images.set(key, made);
  given++;
  return made;
}
