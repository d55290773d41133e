// `--lsm NAME[,NAME…]` and `--ipe-policy FILE`, shared by the commands that run loads.
// spec: LSM-STACK-3 (lsm= order after capability), IPE-5 (policy text).

import { readFileSync } from 'node:fs';
import { lsmFactories, type LsmOptions } from '../lsm/registry.js';
import { InputError, UsageError } from './command.js';

export function lsmOptionsHelp(): string {
  const names = lsmFactories()
    .map((f) => `                        ${f.name.padEnd(20)} ${f.summary}`)
    .join('\n');
  return `  --lsm LIST          LSMs after capability, in lsm= order, comma-separated; 'default' for the
                      profile's scheme's default stack (bpfsig profiles), 'none' for none (default):
${names}
  --ipe-policy FILE   the IPE policy (with --lsm …ipe…)`;
}

/** The LSM list and options; 'default' stays a keyword for the scenario runner. */
export function parseLsmOptions(list: string | undefined, ipePolicy: string | undefined): { lsm: string[] | 'default'; options?: LsmOptions } {
  const names = list === undefined || list === 'none' ? [] : list === 'default' ? 'default' : list.split(',').map((x) => x.trim());
  if (Array.isArray(names)) {
    for (const n of names) if (!n || !lsmFactories().some((f) => f.name === n)) throw new UsageError(`--lsm: unknown LSM '${n}' (known: ${lsmFactories().map((f) => f.name).join(', ')})`);
    if (new Set(names).size !== names.length) throw new UsageError('--lsm names an LSM twice');
  }
  if (ipePolicy === undefined) return { lsm: names };
  let text: string;
  try {
    text = readFileSync(ipePolicy, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read --ipe-policy '${ipePolicy}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { lsm: names, options: { ipePolicy: text, ipePolicyFile: ipePolicy } };
}
