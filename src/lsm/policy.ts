// A programmable LSM: TypeScript callbacks stand in for BPF-LSM programs attached to the hooks.
// spec: LSM-BPF-7, LSM-BPF-6 (a "signed only" policy on bpf_prog_load), LSM-EMU-1.

import type { IntHooks, LsmModule, VoidHooks } from './hooks.js';

/**
 * A module named `name` (default `bpf`, the BPF LSM) whose hooks are the given callbacks. A
 * callback returns 0 to allow or a negative errno to deny, as a BPF-LSM program does (LSM-BPF-3).
 */
export function policyModule(hooks: Partial<IntHooks & VoidHooks>, name = 'bpf'): LsmModule {
  return { name, hooks };
}
