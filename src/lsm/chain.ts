// The ordered LSM chain with the kernel's call_int_hook semantics.
// spec: LSM-STACK-1 (the first return that differs from the default, 0, wins and later LSMs are not
// called), LSM-STACK-2 (void hooks call every LSM), LSM-STACK-3 (capability is always first),
// LSM-STACK-4 (capability implements no bpf_* hook), LSM-EMU-1 (every call recorded).

import type { TraceValue } from '../abi/records.js';
import { capabilityModule } from './capability.js';
import type { IntHookName, IntHooks, LsmContext, LsmHost, LsmModule, VoidHookName, VoidHooks } from './hooks.js';

/** Where the chain reports each call: the kernel forwards these into its trace. */
/** The `lsm` of a hook call no module implements (the default 0 of call_int_hook). */
export const NO_LSM = 'none';

export type HookRecorder = (hook: string, lsm: string, ret: number, args: Record<string, TraceValue | boolean>) => void;

export class LsmChain {
  private readonly modules: LsmModule[];

  /** `modules` in `lsm=` order; capability is put first whatever the order says (LSM_ORDER_FIRST). */
  constructor(modules: readonly LsmModule[] = []) {
    const rest = modules.filter((m) => m.name !== 'capability');
    const cap = modules.find((m) => m.name === 'capability') ?? capabilityModule;
    this.modules = [cap, ...rest];
  }

  /** The active LSMs in call order, e.g. `capability,bpf`. */
  get order(): string[] {
    return this.modules.map((m) => m.name);
  }

  /** Each module's boot step, in `lsm=` order (the kernel calls this once, at the end of boot). */
  boot(kernel: LsmHost): void {
    for (const m of this.modules) m.boot?.(kernel);
  }

  add(module: LsmModule): void {
    if (module.name === 'capability') throw new RangeError('the capability LSM is always present and first');
    this.modules.push(module);
  }

  remove(name: string): void {
    const i = this.modules.findIndex((m) => m.name === name);
    if (i > 0) this.modules.splice(i, 1);
  }

  has(name: string): boolean {
    return this.modules.some((m) => m.name === name);
  }

  /** call_int_hook: the first non-zero return wins. */
  callInt<H extends IntHookName>(
    hook: H,
    args: Parameters<IntHooks[H]>[0],
    ctx: LsmContext,
    record: HookRecorder,
    traceArgs: Record<string, TraceValue | boolean>,
  ): number {
    let called = false;
    for (const m of this.modules) {
      const fn = m.hooks[hook] as ((a: typeof args, c: LsmContext) => number) | undefined;
      if (!fn) continue;
      called = true;
      const ret = fn(args, ctx);
      record(hook, m.name, ret, traceArgs);
      if (ret !== 0) return ret;
    }
    // The security_* call still happened: the trace shows it, answered by nobody (NO_LSM).
    if (!called) record(hook, NO_LSM, 0, traceArgs);
    return 0;
  }

  /** call_void_hook: every LSM that implements it. */
  callVoid<H extends VoidHookName>(
    hook: H,
    args: Parameters<VoidHooks[H]>[0],
    ctx: LsmContext,
    record: HookRecorder,
    traceArgs: Record<string, TraceValue | boolean>,
  ): void {
    let called = false;
    for (const m of this.modules) {
      const fn = m.hooks[hook] as ((a: typeof args, c: LsmContext) => void) | undefined;
      if (!fn) continue;
      called = true;
      fn(args, ctx);
      record(hook, m.name, 0, traceArgs);
    }
    if (!called) record(hook, NO_LSM, 0, traceArgs);
  }
}
