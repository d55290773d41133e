// `bpfsig/testing`: vitest matchers over a Run (docs/api.md). Register them with
// `expect.extend(bpfsigMatchers)`, or list `bpfsig/testing/setup` in vitest's `setupFiles`.
// This module does not import vitest (a peer dependency, >= 3.2): only the type augmentation
// below refers to it, so TypeScript users get the matchers on `expect(run)`.

import type { HookExpectation } from './matchers.js';

export { bpfsigMatchers, type HookExpectation, type MatcherContext, type MatcherResult } from './matchers.js';

/** The matchers as they appear on `expect(run)`. */
export interface BpfsigMatchers<R = unknown> {
  /** The skeleton loaded (`<name>__load()` returned 0). */
  toLoad(): R;
  /**
   * The load failed at `syscall` (`'BPF_PROG_LOAD'`, or `'BPF_PROG_TEST_RUN'` when the loader
   * program returned the error) with `errno` (`'EKEYREJECTED'` or `-129`); any errno when omitted.
   */
  toFailAt(syscall: string, errno?: string | number): R;
  /** LSM hook `name` was called, optionally with this return, verdict, caller (kernel) and LSM. */
  toHaveCalledHook(name: string, expect?: HookExpectation): R;
  /** An audit record's line contains this text or matches this RegExp. */
  toHaveAuditRecord(text: string | RegExp): R;
  /** An LSM admitted, or audit recorded, a signed load that did not complete. */
  toBeFalsePositive(): R;
}

// Vitest 3.2 and later: one `Matchers` interface types `expect(run)`, `expect.extend` and
// `.resolves`/`.rejects` (vitest's Assertion extends it). spec: ASK-13.
declare module 'vitest' {
  interface Matchers<T = any> extends BpfsigMatchers<void> {}
}
