// The main job as a whole: `bpfsig compare`'s default matrix (every default profile × every case,
// plus the cross-toolchain cells, each on a fresh kernel with the scheme's default LSMs), set
// against one signed skeleton load measured in the same run (the unit the matrix is made of).

// Internal modules (the package entry is the small public API of docs/api.md); the schemes
// register the kernel profiles and toolchains looked up by name.
import '../dist/schemes/index.js';
import { runCompare } from '../dist/scenarios/compare/compare.js';
import { runSkeleton } from '../dist/scenarios/skel-run.js';
import { makeSkeleton, openObjectBytes } from '../dist/scenarios/make-skeleton.js';
import { makeSigningIdentity } from '../dist/keys/make-cert.js';
import { readExampleObject } from '../dist/loader/examples.js';

export const title = 'bpfsig compare: the default matrix, as a ratio to one load';

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

export async function run() {
  const id = makeSigningIdentity();
  const other = makeSigningIdentity();
  const obj = openObjectBytes(readExampleObject('hello'), 'hello.bpf.o');
  const skel = makeSkeleton(obj, { toolchain: 'bpftool-7.7', identity: id, name: obj.name }).skeleton;
  const one = () => runSkeleton(skel, { profile: 'v6.18', certDer: id.certDer, keyring: 'session', lsm: 'default' });
  for (let i = 0; i < 10; i++) one();
  const loads = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) one();
    loads.push(Number(process.hrtime.bigint() - t0) / 1e6 / 20);
  }
  const tLoad = median(loads);
  let cells = 0;
  const matrix = [];
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    const res = runCompare({ identity: id, otherIdentity: other });
    matrix.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cells = res.cells.length;
  }
  const tMatrix = median(matrix);
  const markdown = `
Workload: the default comparison of the built-in example (${cells} cells: every default profile ×
every case, and the cross-toolchain cells), one fresh kernel per cell plus the skeletons each scheme's
toolchain makes, against one signed bpftool-7.7 skeleton load on v6.18 with the default LSMs.

| Measure | ms | × one load |
|---|---:|---:|
| One signed skeleton load (boot, add_key, bpf_load_and_run, LSMs, audit) | ${tLoad.toFixed(2)} | 1.0 |
| The default matrix (${cells} cells, keys given) | ${tMatrix.toFixed(0)} | ${(tMatrix / tLoad).toFixed(0)} |
| … per cell | ${(tMatrix / cells).toFixed(2)} | ${(tMatrix / cells / tLoad).toFixed(2)} |
`;
  return { markdown };
}
