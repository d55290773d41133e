// What the package promises about itself (docs/api.md "What the package contains"): a LICENSE
// matching package.json, dependencies that src/ imports (and only those), vitest an optional peer
// loaded only by the testing setup entry, the exports map, no source maps in the build, and the
// files the code reads at run time listed in `files`. The consumer project (npm run
// test:consumer) checks the packed tarball itself.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/shared-dir.js';

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  license: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  exports: Record<string, unknown>;
  files: string[];
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Bare package specifiers imported by a file (not node: builtins, not relative paths). */
function packagesImported(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*import\s+(?:type\s+)?(?:[^'"]*\s+from\s+)?'([^'.][^']*)'/gm)]
    .map((m) => m[1]!)
    .filter((s) => !s.startsWith('node:'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('the package', () => {
  it('LICENSE is the MIT license package.json names', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(PACKAGE_ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) /);
  });

  it('dependencies are exactly what src/ imports; vitest is an optional peer, imported only by the testing setup entry', () => {
    const byPackage = new Map<string, string[]>();
    for (const f of sources(join(PACKAGE_ROOT, 'src'))) {
      if (f.endsWith('.d.ts')) continue;
      for (const p of packagesImported(f)) byPackage.set(p, [...(byPackage.get(p) ?? []), relative(PACKAGE_ROOT, f)]);
    }
    const imported = [...byPackage.keys()].filter((p) => p !== 'vitest').sort();
    expect(Object.keys(pkg.dependencies).sort()).toEqual(imported);
    expect(byPackage.get('vitest')).toEqual(['src/testing/setup.ts']);
    expect(pkg.peerDependencies.vitest).toBeDefined();
    expect(pkg.peerDependenciesMeta.vitest?.optional).toBe(true);
  });

  it('exports the main entry, bpfsig/testing and its setup file, each with types', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './package.json', './testing', './testing/setup']);
    expect(pkg.exports['./testing']).toEqual({ types: './dist/testing/index.d.ts', import: './dist/testing/index.js' });
  });

  it('the build emits no source maps (the package does not ship src/)', () => {
    const build = readFileSync(join(PACKAGE_ROOT, 'tsconfig.build.json'), 'utf8');
    expect(build).toMatch(/"sourceMap":\s*false/);
    expect(pkg.files).not.toContain('src');
  });

  it('files lists what the code reads at run time: the example objects and the real-kernel runner source', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'LICENSE', 'docs', 'examples/bpf/*.bpf.o', 'tools/realkernel/runner.c']));
  });
});
