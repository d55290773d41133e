// Loading an object that declares one map of every type bpfsig models (examples/bpf/all_maps.bpf.o:
// 20 maps, hash tables, LRU lists, a bloom filter, an LPM trie, maps of maps, ring buffers, the
// local-storage maps) through its light skeleton, set against the minimal object (the shared
// fixture `minimal`, or the example `hello` without ../shared) loaded the same way in the same run.

import { existsSync, readFileSync } from 'node:fs';
// Internal modules (the package entry is the small public API of docs/api.md); the schemes
// register the kernel profiles and toolchains looked up by name.
import '../dist/schemes/index.js';
import { Kernel } from '../dist/syscall/kernel.js';
import { genLoader, readElf, readExampleObject, writeLskelHeader } from '../dist/loader/index.js';
import { loadSkeleton } from '../dist/loader/skel-runtime.js';
import { readLightSkeleton } from '../dist/loader/lskel-reader.js';
import { sharedPath } from '../dist/shared-dir.js';
import { timeMedian } from './timing.mjs';

export const title = 'Every map type: light-skeleton load as a ratio to the minimal object (v6.18.44)';

function skeleton(bytes, name) {
  const obj = readElf(bytes, { objectName: name });
  if (!obj.ok) throw new Error(obj.error.message);
  const out = genLoader(obj.value, { profile: 'bpftool-7.7' });
  if (!out.ok) throw new Error(out.error.message);
  return readLightSkeleton(writeLskelHeader(obj.value, out.value, { name }));
}

export async function run() {
  const minPath = sharedPath('fixtures', 'bpf', 'minimal', 'minimal.bpf.o');
  const minimalName = minPath && existsSync(minPath) ? 'minimal' : 'hello';
  const minimalBytes = minimalName === 'minimal' ? new Uint8Array(readFileSync(minPath)) : readExampleObject('hello');
  const all = skeleton(readExampleObject('all_maps'), 'all_maps_bpf');
  const min = skeleton(minimalBytes, `${minimalName}_bpf`);
  const load = (skel) => () => {
    const k = new Kernel({ profile: 'v6.18.44' });
    const p = k.spawn({ comm: 'bench' });
    const r = loadSkeleton(p, skel, {});
    if (r.err !== 0) throw new Error(`load failed: ${r.errstr}`);
    return k;
  };
  const k = load(all)();
  const maps = k.trace.events.filter((e) => e.kind === 'object' && e.type === 'map' && e.action === 'alloc_id').length;
  const tMin = timeMedian(load(min), 40, { warmup: 10 });
  const tAll = timeMedian(load(all), 20, { warmup: 10 });
  const fmt = (us) => (us >= 100 ? us.toFixed(0) : us.toFixed(1));
  const markdown = `
Workload: \`bpftool gen skeleton -L\` (7.7, unsigned) of each object, loaded on a freshly booted
emulated v6.18.44 kernel (boot, bpf_load_and_run with the loader run by the interpreter, the check
stage on the loader and on the inner programs, audit and trace). \`all_maps\`: ${all.insns.length / 8} loader
instructions, ${maps} maps created in all (the loader's metadata map, the 20 declared maps and the
inner-map templates libbpf creates for the two maps of maps); \`${minimalName}\`:
${min.insns.length / 8} loader instructions.

| Object | µs per load | × ${minimalName} |
|---|---:|---:|
| ${minimalName} (floor) | ${fmt(tMin)} | 1.0 |
| all_maps (every modelled map type) | ${fmt(tAll)} | ${(tAll / tMin).toFixed(1)} |

Map creation itself is cheap: hash tables and LPM tries allocate element slots lazily, LRU maps
build their nodes and lists at creation (32 here). The ratio is dominated by the longer loader
(one create, and for maps of maps an inner template, per map) and the check stage's walk of it.
`;
  return { markdown };
}
