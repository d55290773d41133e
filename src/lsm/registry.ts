// LSMs by name, as `lsm=` names them: `--lsm NAME[,NAME…]` on the CLI and `new Kernel({ lsm: [...] })`
// in the library take these names (or user-written modules). Built-in policy modules register
// here; IPE and scheme LSMs (Hornet) register from their own folders. spec: LSM-STACK-3, LSM-BPF-7.

import type { LsmModule } from './hooks.js';

/** Options a named LSM may take (each module reads what it needs). */
export interface LsmOptions {
  /** IPE: the policy text (IPE-5). */
  readonly ipePolicy?: string;
  /** Where the IPE policy came from, for messages. */
  readonly ipePolicyFile?: string;
  /**
   * IPE: a PKCS#7-signed policy (DER, the policy text as its content), deployed from userspace at
   * startup through securityfs (`new_policy`, then `policies/<name>/active`), which writes
   * IPE_POLICY_LOAD and IPE_CONFIG_CHANGE records (AUD-IPE-4). `ipePolicy` is a boot policy instead
   * (CONFIG_IPE_BOOT_POLICY: active from IPE's init, no record).
   */
  readonly ipePolicySigned?: Uint8Array;
  /** IPE: enforcing (default) or permissive — the boot parameter `ipe.enforce=` (AUD-IPE-1 `enforcing=`). */
  readonly ipeEnforce?: boolean;
  /** IPE: audit ALLOW decisions too — `ipe.success_audit=1`; by default IPE audits only denials. */
  readonly ipeSuccessAudit?: boolean;
  /**
   * IPE: which revision of the Hornet integration. `v7` (default; the patch merged into the LSM tree
   * and in linux-next): post_integrity stores the verdict in the program's blob and bpf_prog_load
   * evaluates the policy (verdict NONE when no integrity LSM ran). `v5`: the evaluation happens in
   * bpf_prog_load_post_integrity itself, so only loads an integrity LSM reported on are evaluated.
   */
  readonly ipeRevision?: 'v7' | 'v5';
  /** Keyring allow-list policies: allowed keyring serials (signing.rst, LT-LSM-3). */
  readonly keyringSerials?: readonly number[];
  /** Scheme-specific options (e.g. Hornet's revision), by key. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface LsmFactory {
  /** The name in `lsm=` / `--lsm`. */
  readonly name: string;
  /** One line for help text. */
  readonly summary: string;
  /** Spec ids it implements. */
  readonly spec: readonly string[];
  /** Build an instance (a fresh module per kernel: modules may keep state). */
  create(opts: LsmOptions): LsmModule;
}

/** An LSM name the registry does not know, or options a module refuses. */
export class LsmConfigError extends Error {
  override readonly name: string = 'LsmConfigError';
}

const FACTORIES = new Map<string, LsmFactory>();

export function registerLsm(f: LsmFactory): void {
  const clash = FACTORIES.get(f.name);
  if (clash && clash !== f) throw new RangeError(`LSM '${f.name}' is registered twice`);
  FACTORIES.set(f.name, f);
}

export function lsmFactories(): LsmFactory[] {
  return [...FACTORIES.values()];
}

export function findLsm(name: string): LsmFactory | undefined {
  return FACTORIES.get(name);
}

/** Modules for a list of names or ready-made modules, in `lsm=` order. */
export function createLsms(list: readonly (string | LsmModule)[], opts: LsmOptions = {}): LsmModule[] {
  return list.map((x) => {
    if (typeof x !== 'string') return x;
    const f = FACTORIES.get(x);
    if (!f) throw new LsmConfigError(`unknown LSM '${x}' (known: ${[...FACTORIES.keys()].join(', ')})`);
    return f.create(opts);
  });
}
