// /proc/kallsyms of the emulated kernel: every function and variable its BTF names, at deterministic
// addresses in the kernel text and data ranges. Used by kfunc calls, ksym ld_imm64, attach targets
// and bpf_kallsyms_lookup_name. The addresses are ours (a real kernel's depend on its build).

import { BtfKind, type Btf } from '../btf/btf.js';

const TEXT_BASE = 0xffff_ffff_8100_0000n;
const DATA_BASE = 0xffff_ffff_8300_0000n;

export interface KallsymsTable {
  lookup(name: string): bigint | undefined;
}

export class Kallsyms implements KallsymsTable {
  private readonly table = new Map<string, bigint>();

  add(name: string, addr: bigint): void {
    if (!this.table.has(name)) this.table.set(name, addr);
  }

  lookup(name: string): bigint | undefined {
    return this.table.get(name);
  }

  symbols(): [string, bigint][] {
    return [...this.table];
  }

  /** A table with every FUNC (text) and VAR (data) of a BTF, in type-id order. */
  static fromBtf(btf: Btf | null): Kallsyms {
    const k = new Kallsyms();
    if (!btf) return k;
    let fi = 0n;
    let vi = 0n;
    for (const t of btf.types) {
      if (t.kind === BtfKind.FUNC) k.add(btf.str(t.nameOff), TEXT_BASE + 0x40n * fi++);
      else if (t.kind === BtfKind.VAR) k.add(btf.str(t.nameOff), DATA_BASE + 0x40n * vi++);
    }
    return k;
  }
}
