// Where the emulated kernel's vmlinux BTF comes from — the one place that decides it
// (KernelOptions.kernelBtf / vmlinuxBtf, `--kernel-btf builtin|build|FILE`):
//
//   'builtin'  bpfsig's own vmlinux BTF for the profile (vmlinux.ts; the default). Type ids are ours.
//   'build'    the vmlinux BTF of the real build the profile models (v6.17 ↔ Debian 6.17.13,
//              v6.18.15 ↔ 6.18.15, v7.2 ↔ 7.2.12, v7.3 ↔ 7.3.4): what its /sys/kernel/btf/vmlinux
//              holds, so kfunc BTF ids, CO-RE offsets and program tags are that build's. Supplied
//              by the real-kernel backend (src/realkernel/btf.ts registers the provider; it reads
//              its cache and fetches once when the cache lacks it).
//   FILE       a raw vmlinux BTF file (e.g. a copy of some machine's /sys/kernel/btf/vmlinux).
//
// Nothing falls back silently: a choice that cannot be honoured is an error, and the kernel
// records which BTF it booted with (Kernel.btfSource) for reports.
//
// Parsing a real vmlinux BTF (5 MB, ~120k types) and deriving kallsyms from it takes most of a
// second, so the parsed object and the symbol table are kept per byte array (treated as read-only)
// and every kernel booted with the same bytes shares them (objects/btf.ts `share()`).

import { statSync } from 'node:fs';
import { InputError } from '../../errors.js';
import type { Btf as BtfModel } from '../../btf/btf.js';
import { Btf } from '../objects/btf.js';
import type { KernelProfile } from '../profiles/profile.js';
import { Kallsyms } from './kallsyms.js';
import { builtinVmlinuxImage, loadVmlinuxBtf } from './vmlinux.js';

/** `'builtin'`, `'build'`, or the path of a raw vmlinux BTF file. */
export type KernelBtfChoice = 'builtin' | 'build' | (string & {});

export type VmlinuxBtfKind = 'builtin' | 'build' | 'file' | 'bytes' | 'none';

export interface VmlinuxBtfSource {
  readonly kind: VmlinuxBtfKind;
  /** One line for reports: which BTF the kernel booted with. */
  readonly label: string;
  readonly bytes: Uint8Array | null;
}

/** A build's vmlinux BTF as the provider hands it out (the same array for the same build). */
export interface BuildBtf {
  readonly bytes: Uint8Array;
  readonly label: string;
}

/**
 * Gives the vmlinux BTF of the real build `profile` models, or throws an InputError with a
 * one-line reason (not tied to a build, not cached and not fetchable, …).
 */
export type BuildBtfProvider = (profile: KernelProfile) => BuildBtf;

/** A kernel BTF choice that cannot be honoured (bad file, no build, both options given). */
export class KernelBtfError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'KernelBtfError';
  }
}

let buildProvider: BuildBtfProvider | undefined;

/** Installed by the real-kernel backend (src/realkernel/btf.ts) when it is loaded. */
export function registerBuildBtfProvider(p: BuildBtfProvider): void {
  buildProvider = p;
}

/** Parse a `--kernel-btf` value: builtin, build, or a file path (anything else). */
export function parseKernelBtfChoice(v: string): KernelBtfChoice {
  if (!v.length) throw new KernelBtfError('--kernel-btf wants builtin, build or a file (raw vmlinux BTF)');
  return v;
}

const files = new Map<string, Uint8Array>();

function fileBtf(path: string): Uint8Array {
  let key: string;
  try {
    const st = statSync(path);
    key = `${path}\0${st.mtimeMs}\0${st.size}`;
  } catch {
    key = path; // loadVmlinuxBtf reports the error
  }
  const hit = files.get(key);
  if (hit) return hit;
  const r = loadVmlinuxBtf(path);
  if (!(r instanceof Uint8Array)) throw new KernelBtfError(`kernel BTF: ${r.error}`);
  files.set(key, r);
  return r;
}

/**
 * The vmlinux BTF a kernel of `profile` boots with. `vmlinuxBtf` (raw bytes, or null for a
 * kernel without BTF) and `kernelBtf` (a choice) are exclusive; neither means 'builtin'.
 */
export function vmlinuxBtfSource(
  profile: KernelProfile,
  opts: { readonly kernelBtf?: KernelBtfChoice; readonly vmlinuxBtf?: Uint8Array | null },
): VmlinuxBtfSource {
  if (opts.kernelBtf !== undefined && opts.vmlinuxBtf !== undefined) throw new KernelBtfError('give kernelBtf or vmlinuxBtf, not both');
  if (opts.vmlinuxBtf === null) return { kind: 'none', label: 'none (a kernel without BTF)', bytes: null };
  if (opts.vmlinuxBtf !== undefined) return { kind: 'bytes', label: `given (${opts.vmlinuxBtf.length} bytes)`, bytes: opts.vmlinuxBtf };
  const choice = opts.kernelBtf ?? 'builtin';
  if (choice === 'builtin') {
    return {
      kind: 'builtin',
      label: `built-in (bpfsig's vmlinux BTF for ${profile.name}; type ids are bpfsig's)`,
      // the shared image: the same array for the same profile options, so its parse is shared too
      bytes: builtinVmlinuxImage({ uapiFeatures: [...profile.uapi], bpfMapExcl: profile.structBpfMapExcl }),
    };
  }
  if (choice === 'build') {
    if (!buildProvider) throw new KernelBtfError(`kernel BTF 'build' needs the real-kernel backend (src/realkernel), which is not loaded`);
    const b = buildProvider(profile);
    return { kind: 'build', label: b.label, bytes: b.bytes };
  }
  return { kind: 'file', label: `file ${choice}`, bytes: fileBtf(choice) };
}

const parsed = new WeakMap<Uint8Array, Btf>();
const symbols = new WeakMap<BtfModel, Map<boolean, Kallsyms>>();

/**
 * The kernel's BTF object for these bytes (a fresh object sharing the parsed data) and the
 * kallsyms table derived from it; `{ error }` with the parser's last log line when the bytes are
 * not valid BTF.
 */
export function bootVmlinuxBtf(bytes: Uint8Array, kallsymsAll: boolean): { btf: Btf; kallsyms: Kallsyms } | { error: string } {
  let tmpl = parsed.get(bytes);
  if (!tmpl) {
    const log: string[] = [];
    const r = Btf.parse(bytes, { write: (s) => void log.push(s) });
    if (!r.ok) return { error: log.join('').trim().split('\n').pop() ?? `errno ${r.err}` };
    tmpl = r.btf;
    parsed.set(bytes, tmpl);
  }
  let byAll = symbols.get(tmpl.model);
  if (!byAll) symbols.set(tmpl.model, (byAll = new Map()));
  let kallsyms = byAll.get(kallsymsAll);
  if (!kallsyms) byAll.set(kallsymsAll, (kallsyms = Kallsyms.fromVmlinux(tmpl.model, { kallsymsAll })));
  return { btf: tmpl.share(), kallsyms };
}
