// The emulated kernel's symbol table (/proc/kallsyms): name → address for the kernel functions in
// our vmlinux BTF (kfuncs, bpf_lsm_* hooks) and a handful of common text and data symbols.
// `bpf_kallsyms_lookup_name` (helper 179, LSK-HELP-1) and typeless ksyms resolve through `lookup`.
//
// Every address is ours (deterministic, not a real kernel's): text from 0xffffffff81000000 in the
// order listed, each function given a size from a hash of its name (64..1008 bytes, 16-aligned) and
// preceded by its 16-byte `__pfx_` padding symbol, as x86-64 6.x kernels list them (OBSERVED on
// 6.18.44: 280 bpf_lsm_* functions give 560 bpf_lsm_* names, LSM-BPF-2). Data symbols exist only
// with CONFIG_KALLSYMS_ALL (option `kallsymsAll`, default on as in distribution kernels; the
// observed 6.18.44 kernel has it off): read-only data from 0xffffffff82000000, data from
// 0xffffffff82800000, per-CPU variables as offsets from 0 with type 'A'.

import type { Btf } from '../../btf/btf.js';
import { BtfKind } from '../../btf/btf.js';
import { builtinVmlinux, type VmlinuxOptions } from './vmlinux.js';

export type KallsymsType = 'T' | 't' | 'R' | 'D' | 'B' | 'A';

export interface KallsymsEntry {
  readonly name: string;
  readonly addr: bigint;
  readonly type: KallsymsType;
  readonly size: number;
}

export interface KallsymsOptions {
  /** CONFIG_KALLSYMS_ALL: data and per-CPU symbols are listed too (default true). */
  kallsymsAll?: boolean;
}

export const KERNEL_TEXT_BASE = 0xffff_ffff_8100_0000n;
export const KERNEL_RODATA_BASE = 0xffff_ffff_8200_0000n;
export const KERNEL_DATA_BASE = 0xffff_ffff_8280_0000n;

/** Kernel functions that are not in our BTF but that programs and traces name ('t': static). */
const EXTRA_TEXT: ReadonlyArray<readonly [string, KallsymsType]> = [
  ['do_syscall_64', 'T'], ['__x64_sys_bpf', 'T'], ['__sys_bpf', 't'], ['kern_sys_bpf', 'T'], ['map_create', 't'],
  ['bpf_prog_load', 't'], ['bpf_check', 'T'], ['bpf_prog_new_fd', 'T'], ['bpf_prog_test_run_syscall', 'T'],
  ['bpf_core_apply', 'T'], ['security_bpf', 'T'], ['security_bpf_map_create', 'T'], ['verify_pkcs7_signature', 'T'],
  ['bpf_prog_select_runtime', 'T'], ['copy_process', 'T'], ['schedule', 'T'], ['__schedule', 't'],
  ['__x64_sys_openat', 'T'], ['__x64_sys_getpid', 'T'], ['__x64_sys_execve', 'T'],
];

/** Functions of our vmlinux BTF that are static in the kernel (listed 't'). */
const STATIC_TEXT = new Set(['do_sys_openat2']);

const RODATA: readonly string[] = ['linux_banner', 'bpf_map_fops', 'bpf_prog_fops', 'bpf_link_fops', 'btf_fops'];
const DATA: ReadonlyArray<readonly [string, number]> = [
  ['init_task', 3264], ['init_cred', 184], ['init_mm', 1472], ['jiffies', 8], ['btf_vmlinux', 8],
];

/** FNV-1a over the name: a stable pseudo-size so addresses do not all sit 16 bytes apart. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class Kallsyms {
  private readonly entries: readonly KallsymsEntry[];
  private readonly byName = new Map<string, KallsymsEntry>();

  constructor(entries: readonly KallsymsEntry[]) {
    this.entries = [...entries].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    // kallsyms_lookup_name returns the first symbol of that name (in table order)
    for (const e of entries) if (!this.byName.has(e.name)) this.byName.set(e.name, e);
  }

  /** The table for a vmlinux BTF: its FUNCs (in type-id order) and per-CPU VARs, plus the extras above. */
  static fromVmlinux(vmlinux: Btf, opts: KallsymsOptions = {}): Kallsyms {
    const all = opts.kallsymsAll ?? true;
    const out: KallsymsEntry[] = [];
    out.push({ name: '_text', addr: KERNEL_TEXT_BASE, type: 'T', size: 0 });
    out.push({ name: '_stext', addr: KERNEL_TEXT_BASE, type: 'T', size: 0 });
    out.push({ name: 'startup_64', addr: KERNEL_TEXT_BASE, type: 'T', size: 64 });
    let text = KERNEL_TEXT_BASE + 64n;
    const seen = new Set<string>();
    const addText = (name: string, type: KallsymsType) => {
      seen.add(name);
      const size = 16 * (4 + (fnv1a(name) % 60));
      out.push({ name: `__pfx_${name}`, addr: text, type, size: 16 });
      out.push({ name, addr: text + 16n, type, size: size - 16 });
      text += BigInt(size);
    };
    for (const [n, type] of EXTRA_TEXT) addText(n, type);
    for (let id = 1; id < vmlinux.typeCount; id++) {
      const t = vmlinux.type(id);
      const name = vmlinux.name(t);
      if (t.kind === BtfKind.FUNC && !seen.has(name)) addText(name, STATIC_TEXT.has(name) ? 't' : 'T');
      else if (all && t.kind === BtfKind.DATASEC && name === '.data..percpu') {
        for (let i = 0; i < t.vlen; i++) {
          const v = vmlinux.type(t.extra[3 * i]);
          out.push({ name: vmlinux.name(v), addr: BigInt(t.extra[3 * i + 1]), type: 'A', size: t.extra[3 * i + 2] });
        }
      }
    }
    out.push({ name: '_etext', addr: text, type: 'T', size: 0 });
    if (!all) return new Kallsyms(out);
    let ro = KERNEL_RODATA_BASE;
    for (const n of RODATA) {
      out.push({ name: n, addr: ro, type: 'R', size: 256 });
      ro += 256n;
    }
    let data = KERNEL_DATA_BASE;
    for (const [n, size] of DATA) {
      out.push({ name: n, addr: data, type: 'D', size });
      data += BigInt(Math.ceil(size / 64) * 64);
    }
    return new Kallsyms(out);
  }

  /** The table of the built-in vmlinux. */
  static builtin(opts: VmlinuxOptions & KallsymsOptions = {}): Kallsyms {
    return Kallsyms.fromVmlinux(builtinVmlinux(opts), opts);
  }

  /** kallsyms_lookup_name: the address, or undefined (the kernel returns 0) when there is no such symbol. */
  lookup(name: string): bigint | undefined {
    return this.byName.get(name)?.addr;
  }

  /** The symbol containing `addr` and the offset into it (kallsyms_lookup, for `sym+off` in traces). */
  symbolize(addr: bigint): { name: string; offset: bigint } | undefined {
    let best: KallsymsEntry | undefined;
    for (const e of this.entries) {
      if (e.type === 'A') continue;
      if (e.addr <= addr && (!best || e.addr >= best.addr) && addr < e.addr + BigInt(Math.max(e.size, 1))) best = e;
    }
    return best ? { name: best.name, offset: addr - best.addr } : undefined;
  }

  /** [name, address] pairs in address order. */
  symbols(): [string, bigint][] {
    return this.entries.map((e) => [e.name, e.addr]);
  }

  /** /proc/kallsyms text, as root sees it (`ffffffff81000000 T _text`). */
  format(): string {
    return this.entries.map((e) => `${e.addr.toString(16).padStart(16, '0')} ${e.type} ${e.name}\n`).join('');
  }
}
