// The emulated kernel's symbol table (/proc/kallsyms): name → address for the kernel functions in
// our vmlinux BTF (kfuncs, bpf_lsm_* hooks) and a handful of common text and data symbols.
// `bpf_kallsyms_lookup_name` (helper 179, LSK-HELP-1) and typeless ksyms resolve through `lookup`.
//
// Every address is ours (deterministic, not a real kernel's): text from 0xffffffff81000000 in the
// order listed, each function given a size from a hash of its name (64..1008 bytes, 16-aligned);
// read-only data from 0xffffffff82000000, data from 0xffffffff82800000; per-CPU variables at
// small offsets from 0 (section-relative, as /proc/kallsyms shows them), type 'A'.

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

export const KERNEL_TEXT_BASE = 0xffff_ffff_8100_0000n;
export const KERNEL_RODATA_BASE = 0xffff_ffff_8200_0000n;
export const KERNEL_DATA_BASE = 0xffff_ffff_8280_0000n;

/** Kernel functions that are not in our BTF but that programs and traces name. */
const EXTRA_TEXT: readonly string[] = [
  'startup_64', 'do_syscall_64', '__x64_sys_bpf', '__sys_bpf', 'kern_sys_bpf', 'map_create', 'bpf_prog_load',
  'bpf_check', 'bpf_prog_new_fd', 'bpf_prog_test_run_syscall', 'bpf_btf_load', 'btf_parse', 'bpf_core_apply',
  'security_bpf', 'security_bpf_map_create', 'verify_pkcs7_signature', 'bpf_prog_select_runtime', 'copy_process',
  'schedule', '__schedule', '__x64_sys_openat', '__x64_sys_getpid', '__x64_sys_execve',
];

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
  static fromVmlinux(vmlinux: Btf): Kallsyms {
    const out: KallsymsEntry[] = [];
    let text = KERNEL_TEXT_BASE;
    const seen = new Set<string>();
    const addText = (name: string, type: KallsymsType = 'T') => {
      seen.add(name);
      const size = 16 * (4 + (fnv1a(name) % 60));
      out.push({ name, addr: text, type, size });
      text += BigInt(size);
    };
    addText('_text');
    out.push({ name: '_stext', addr: KERNEL_TEXT_BASE, type: 'T', size: 0 });
    for (const n of EXTRA_TEXT) addText(n);
    for (let id = 1; id < vmlinux.typeCount; id++) {
      const t = vmlinux.type(id);
      if (t.kind === BtfKind.FUNC && !seen.has(vmlinux.name(t))) addText(vmlinux.name(t));
      else if (t.kind === BtfKind.DATASEC && vmlinux.name(t) === '.data..percpu') {
        for (let i = 0; i < t.vlen; i++) {
          const v = vmlinux.type(t.extra[3 * i]);
          out.push({ name: vmlinux.name(v), addr: BigInt(t.extra[3 * i + 1]), type: 'A', size: t.extra[3 * i + 2] });
        }
      }
    }
    out.push({ name: '_etext', addr: text, type: 'T', size: 0 });
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
  static builtin(opts: VmlinuxOptions = {}): Kallsyms {
    return Kallsyms.fromVmlinux(builtinVmlinux(opts));
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
