// The emulated kernel's vmlinux BTF (what /sys/kernel/btf/vmlinux holds on a real machine): built
// from declarations with the BTF builder, deterministic byte for byte; or read from a real
// vmlinux BTF file the user gives.
//
// Layout of the built-in BTF, in type-id order: base ints, typedefs, the UAPI enums, structs,
// `union bpf_attr`; then the kfunc FUNCs, other traceable FUNCs, the `bpf_lsm_<hook>` FUNCs, the `btf_trace_<tp>`
// typedefs, the per-CPU VARs and their `.data..percpu` DATASEC. Type ids are therefore ours (a
// real kernel's ids depend on its build); see docs/fidelity.md.

import { readFileSync, statSync } from 'node:fs';
import { Btf, BTF_FUNC_STATIC, BTF_MAGIC, BTF_VAR_GLOBAL_ALLOCATED, BtfKind } from '../../btf/btf.js';
import { BtfFormatError } from '../../btf/errors.js';
import type { UapiFeature } from '../uapi/layout.js';
import { CTypes, parseSignature } from './ctypes.js';
import { KFUNCS, LSM_HOOKS, PERCPU_VARS, TRACED_FUNCS, TRACEPOINTS } from './vmlinux-funcs.js';
import { defineVmlinuxTypes } from './vmlinux-types.js';

export interface VmlinuxOptions {
  /** UAPI additions in `union bpf_attr` (default `['signing-6.18']`, the v6.18 kernel). */
  uapiFeatures?: readonly UapiFeature[];
  /** `struct bpf_map` with `u32 excl` at 32 and `ops` at 40 (OBSERVED on 6.18.44; default false = MHASH-8). */
  bpfMapExcl?: boolean;
}

/** Name prefix of the FUNCs BPF-LSM programs attach to. spec: LSM-BPF-2 */
export const BPF_LSM_PREFIX = 'bpf_lsm_';
/** Name prefix of the typedefs tp_btf / raw_tp programs attach to. */
export const BTF_TRACE_PREFIX = 'btf_trace_';
/** The ELF section pahole puts per-CPU variables in (the DATASEC of typed per-CPU ksyms). */
export const PERCPU_SECTION = '.data..percpu';

function build(opts: VmlinuxOptions): Uint8Array {
  const c = new CTypes();
  defineVmlinuxTypes(c, { uapiFeatures: opts.uapiFeatures ?? ['signing-6.18'], bpfMapExcl: opts.bpfMapExcl ?? false });

  // pahole encodes kernel functions with static linkage (OBSERVED on 6.18.44)
  for (const s of KFUNCS) {
    const sig = parseSignature(s);
    c.b.func(sig.name, c.proto(sig), BTF_FUNC_STATIC);
  }
  for (const s of TRACED_FUNCS) {
    const sig = parseSignature(s);
    c.b.func(sig.name, c.proto(sig), BTF_FUNC_STATIC);
  }
  for (const s of LSM_HOOKS) {
    const sig = parseSignature(s);
    c.b.func(BPF_LSM_PREFIX + sig.name, c.proto(sig), BTF_FUNC_STATIC);
  }
  // typedef void (*btf_trace_<tp>)(void *__data, args...), parameters unnamed
  for (const s of TRACEPOINTS) {
    const sig = parseSignature(s);
    const proto = c.proto({ ret: 'void', name: sig.name, params: [{ name: '', type: 'void *' }, ...sig.params] }, false);
    c.typedef(BTF_TRACE_PREFIX + sig.name, c.ptr(proto));
  }
  const secinfo: Array<{ type: number; offset: number; size: number }> = [];
  let off = 0;
  for (const [name, type] of PERCPU_VARS) {
    const size = c.sizeOf(type);
    const align = c.alignOf(type);
    off = Math.ceil(off / align) * align;
    secinfo.push({ type: c.b.var(name, c.t(type), BTF_VAR_GLOBAL_ALLOCATED), offset: off, size });
    off += size;
  }
  c.b.datasec(PERCPU_SECTION, off, secinfo);

  const missing = c.undefinedComposites();
  if (missing.length) throw new Error(`built-in vmlinux BTF: types used but never defined: ${missing.join(', ')}`);
  return c.b.build();
}

const cache = new Map<string, Uint8Array>();

function key(opts: VmlinuxOptions): string {
  return JSON.stringify([opts.uapiFeatures ?? ['signing-6.18'], opts.bpfMapExcl ?? false]);
}

/** The built-in vmlinux BTF as raw bytes (a fresh copy; identical on every call). */
export function builtinVmlinuxBtf(opts: VmlinuxOptions = {}): Uint8Array {
  return builtinVmlinuxImage(opts).slice();
}

/**
 * The built-in vmlinux BTF for these options: one array per options, shared and never written
 * (issue K: kernels booted from it share its parse and kallsyms, kernel-btf/source.ts).
 */
export function builtinVmlinuxImage(opts: VmlinuxOptions = {}): Uint8Array {
  const k = key(opts);
  let bytes = cache.get(k);
  if (!bytes) {
    bytes = build(opts);
    cache.set(k, bytes);
  }
  return bytes;
}

const models = new Map<string, Btf>();

/** The built-in vmlinux BTF parsed into the shared model (one shared, read-only instance per options). */
export function builtinVmlinux(opts: VmlinuxOptions = {}): Btf {
  const k = key(opts);
  let m = models.get(k);
  if (!m) {
    m = Btf.parse(builtinVmlinuxBtf(opts));
    models.set(k, m);
  }
  return m;
}

/**
 * Reads a vmlinux BTF file such as /sys/kernel/btf/vmlinux. Returns its bytes, or `{ error }`
 * with a message a user can act on (missing file, an ELF image instead of raw BTF, bad BTF).
 */
export function loadVmlinuxBtf(path: string): Uint8Array | { error: string } {
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) return { error: `${path} is a directory, not a BTF file` };
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}` };
  }
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    return { error: `${path} is an ELF file; give raw BTF (/sys/kernel/btf/vmlinux, or: objcopy -O binary --only-section=.BTF vmlinux vmlinux.btf)` };
  }
  if (bytes.length < 24) return { error: `${path} is ${bytes.length} bytes, too short for a BTF header (24 bytes)` };
  const magic = bytes[0] | (bytes[1] << 8);
  if (magic !== BTF_MAGIC) {
    return { error: `${path} is not BTF: magic 0x${magic.toString(16).padStart(4, '0')}, expected 0xeb9f${magic === 0x9feb ? ' (this is big-endian BTF, which is not supported)' : ''}` };
  }
  try {
    const btf = Btf.parse(bytes);
    if (btf.findByNameKind('int', BtfKind.INT) < 0) return { error: `${path} is split BTF or not a vmlinux BTF (it has no 'int' type); give the base vmlinux BTF` };
  } catch (e) {
    if (e instanceof BtfFormatError) return { error: `${path}: bad BTF: ${e.message}` };
    throw e;
  }
  return bytes;
}
