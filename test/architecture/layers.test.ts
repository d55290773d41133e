// Issue K: the layer diagram of docs/architecture.md, checked on the import graph of src/.
//   - src/abi/ (errno, UAPI constants and layouts, the address-space model, credentials, the clock,
//     the retention ring) imports nothing else of bpfsig;
//   - vm/, keys/, lsm/, audit/, btf/ import nothing from syscall/ (nor from the layers above it);
//   - `bpfsig --help` and `--version` load no command and no emulator module: what src/cli/main.ts
//     imports statically is a handful of small CLI modules.
// Type-only imports count: they are dependencies too.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The relative imports of a module (static and type imports, re-exports; dynamic ones apart). */
function imports(file: string): { static: string[]; dynamic: string[] } {
  const text = readFileSync(file, 'utf8');
  const target = (spec: string) => relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  const stat = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'(\.[^']+)'/gm), ...text.matchAll(/^\s*import\s+'(\.[^']+)'/gm)].map((m) => target(m[1]!));
  const dyn = [...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)].map((m) => target(m[1]!));
  return { static: stat, dynamic: dyn };
}

const all = files(SRC).map((f) => ({ mod: relative(SRC, f), ...imports(f) }));
const top = (m: string) => m.split('/')[0]!;

describe('the layers of docs/architecture.md (issue K)', () => {
  it('finds the modules and their imports', () => {
    expect(all.length).toBeGreaterThan(200);
    expect(all.find((m) => m.mod === 'vm/errors.ts')!.static).toContain('abi/errno.ts');
    expect(all.find((m) => m.mod === 'vm/interpreter.ts')!.static).toEqual(expect.arrayContaining(['vm/helpers.ts', 'abi/memory.ts'])); // a multi-line import
    expect(all.find((m) => m.mod === 'cli/commands.ts')!.dynamic).toContain('cli/cmd-skel.ts');
  });

  it('src/abi/ is a leaf: it imports only itself', () => {
    const bad = all.filter((m) => top(m.mod) === 'abi').flatMap((m) => [...m.static, ...m.dynamic].filter((t) => top(t) !== 'abi').map((t) => `${m.mod} → ${t}`));
    expect(bad).toEqual([]);
  });

  it.each(['vm', 'keys', 'lsm', 'audit', 'btf'])('%s/ imports nothing from syscall/ or the layers above', (dir) => {
    const above = new Set(['syscall', 'loader', 'scenarios', 'schemes', 'cli', 'realkernel', 'api', 'testing', 'index.ts']);
    const bad = all.filter((m) => top(m.mod) === dir).flatMap((m) => [...m.static, ...m.dynamic].filter((t) => above.has(top(t))).map((t) => `${m.mod} → ${t}`));
    expect(bad).toEqual([]);
  });

  it('bpfsig --help loads only the CLI shell: the static imports of cli/main.ts', () => {
    const byMod = new Map(all.map((m) => [m.mod, m]));
    const seen = new Set<string>();
    const walk = (m: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      for (const t of byMod.get(m)?.static ?? []) walk(t);
    };
    walk('cli/main.ts');
    expect([...seen].sort()).toEqual(['cli/command.ts', 'cli/commands.ts', 'cli/exit-codes.ts', 'cli/main.ts', 'cli/summaries.ts', 'errors.ts']);
  });
});
