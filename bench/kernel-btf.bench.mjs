// Kernel BTF (src/syscall/kernel-btf): CO-RE relocation of the kfunc example's records against the
// built-in vmlinux and, when present, this machine's vmlinux BTF, with a cold candidate cache (a
// full candidate scan per relocation), against the floor of one bare pass over the target's type
// array (what any candidate search must at least do). Also: parsing the built-in vmlinux BTF
// against the floor of hashing its bytes.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Btf } from '../dist/btf/btf.js';
import { relocateObject } from '../dist/loader/gen-loader/relocate.js';
import { bpfCoreApply, builtinVmlinuxBtf, CoreCandCache, loadVmlinuxBtf } from '../dist/syscall/kernel-btf/index.js';
import { readElf } from '../dist/loader/index.js';
import { timeFor } from './timing.mjs';

export const title = 'Kernel BTF and CO-RE (src/syscall/kernel-btf)';

const here = dirname(fileURLToPath(import.meta.url));

/** µs per call, over at least 300 ms after 20 warm-up calls. */
const timeIt = (fn) => timeFor(fn, { warmup: 20 });

export async function run() {
  const obj = readElf(new Uint8Array(readFileSync(join(here, '../examples/bpf/kfunc_core.bpf.o'))), { objectName: 'kfunc_core' }).value;
  const local = Btf.parse(obj.btf.rawData());
  const [lp] = relocateObject(obj, { ksymAddr: () => 0n });
  const relos = lp.relocs.filter((r) => r.kind === 'core')
    .map((r) => ({ insnOff: r.insnIdx * 8, typeId: r.core.typeId, accessStrOff: r.core.accessStrOff, kind: r.core.kind }));
  const targets = [['built-in vmlinux', builtinVmlinuxBtf()]];
  if (existsSync('/sys/kernel/btf/vmlinux')) {
    const real = loadVmlinuxBtf('/sys/kernel/btf/vmlinux');
    if (real instanceof Uint8Array) targets.push(['/sys/kernel/btf/vmlinux', real]);
  }
  const rows = [];
  for (const [name, bytes] of targets) {
    const target = Btf.parse(bytes);
    const apply = timeIt(() => bpfCoreApply(local, target, lp.insns, relos, () => {}, { cache: new CoreCandCache() }));
    const floor = timeIt(() => {
      let n = 0;
      for (const t of target.types) if (t.kind === 4) n++;
      return n;
    });
    rows.push(`| ${name} | ${target.typeCount} | ${relos.length} | ${apply.toFixed(1)} | ${floor.toFixed(1)} | ${(apply / floor).toFixed(1)}× |`);
  }
  const vm = builtinVmlinuxBtf();
  const parse = timeIt(() => Btf.parse(vm));
  const hash = timeIt(() => createHash('sha256').update(vm).digest());
  return {
    markdown: [
      'CO-RE: `bpfCoreApply` on the kfunc_core example (2 relocations), cold candidate cache, versus',
      'one bare pass over the target\'s type array.',
      '',
      '| target | types | relocations | apply (µs) | floor (µs) | ratio |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      `Parsing the built-in vmlinux BTF (${vm.length} bytes): ${parse.toFixed(0)} µs, ${(parse / hash).toFixed(1)}× the SHA-256 of the same bytes (${hash.toFixed(1)} µs).`,
    ].join('\n'),
  };
}
