// Issue K: the main pass (do-check.ts) remembered for identical instruction bytes under an
// identical profile and program (type, GPL, sleepable, func_info, log on or off), shared by every
// kernel in the process. A skeleton loaded again and again runs the same loader: its walk of every
// path is the same walk each time.
//
// The walk is a function of the instructions, those settings and the answers its environment gives
// (DoCheckEnv): what each ld_imm64 loads (a map's name, sizes, type and entries; the log's text
// for it), kfunc names, struct bpf_map access rules, constants read from frozen read-only maps, and
// allow_ptr_leaks (a capable() call, with its hook events in the trace). An entry keeps every answer
// the walk used; a lookup asks the same questions of the current environment and uses the entry only
// when every answer is the same. So a different map (another size, type, name, a map no longer
// frozen or with other contents), another kfunc table or other capabilities miss the cache.
//
// allow_ptr_leaks is the one question with side effects. The pure questions are asked first (no
// trace); then allowPtrLeaks() is asked as often and in the order the walk asked it, so the trace
// gets the same hook events a walk would give. Where an answer differs from the recorded one the
// walk is run for real, fed the answers already obtained (no hook is called twice); a refusal where
// the recorded walk went on ends as the walk would have ended there (CAP-4, with the counters the
// walk had at that point; the log then has no path lines, so only entries recorded with the log off
// take that shortcut).
//
// Map identities are not part of the key: an entry names maps by what the walk saw, and the
// result's per-call maps (callMaps) are translated to the current program's maps.

import type { BpfInsn } from '../../vm/insn.js';
import { contentHash, type InsnArray } from '../../vm/insn-array.js';
import { Errno } from '../errno.js';
import { doCheck, POISONED, type DoCheckEnv, type DoCheckResult } from './do-check.js';
import type { RegValue } from './verifier-text.js';

/** The settings the walk reads besides its environment's answers. */
export interface MainPassKey {
  /** The profile's name. */
  readonly profile: string;
  readonly progType: number;
  readonly gplCompatible: boolean;
  readonly sleepable: boolean;
  readonly hasFuncInfo: boolean;
  readonly logging: boolean;
}

type Answer =
  | { readonly q: 'ldImm64'; readonly pc: number; readonly value: RegValue }
  | { readonly q: 'ldImm64Text'; readonly pc: number; readonly text: string }
  | { readonly q: 'kfuncName'; readonly insn: BpfInsn; readonly name: string }
  | { readonly q: 'mapPtrAccess'; readonly off: number; readonly size: number; readonly refused: string | null | undefined }
  | { readonly q: 'readOnlyValue'; readonly ref: unknown; readonly off: number; readonly size: number; readonly value: bigint | undefined };

interface Entry {
  readonly bytes: Uint8Array;
  readonly key: MainPassKey;
  /** The pure answers, one per distinct question, in the order first asked. */
  readonly answers: readonly Answer[];
  /** allowPtrLeaks() answers, in order. */
  readonly ptrLeaks: readonly boolean[];
  readonly result: DoCheckResult;
}

/** Programs above this size are not kept (a 1M-instruction walk would pin its bytes and marks). */
const MAX_INSNS = 65_536;
const CAPACITY = 64;

export interface MainPassCacheStats {
  hits: number;
  misses: number;
  /** Lookups that found an entry whose answers differed (counted in misses too). */
  stale: number;
}

/** The cache (module state: shared across kernels; `clear()` for tests). */
export class MainPassCache {
  private readonly entries = new Map<string, Entry>();
  readonly stats: MainPassCacheStats = { hits: 0, misses: 0, stale: 0 };

  clear(): void {
    this.entries.clear();
    this.stats.hits = this.stats.misses = this.stats.stale = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** do_check's main pass over `insns` (decoded from `bytes`), from the cache when every answer matches. */
  run(insns: InsnArray, bytes: Uint8Array, key: MainPassKey, env: DoCheckEnv): DoCheckResult {
    if (insns.length > MAX_INSNS) return doCheck(insns, env);
    const id = cacheId(insns, bytes, key);
    const e = this.entries.get(id);
    if (e && sameBytes(e.bytes, bytes)) {
      const hit = replay(e, env, insns);
      if (hit) {
        this.stats.hits++;
        // most recently used last
        this.entries.delete(id);
        this.entries.set(id, e);
        return hit;
      }
      this.stats.stale++;
    }
    this.stats.misses++;
    const rec = recorder(env);
    const result = doCheck(insns, rec.env);
    this.entries.delete(id);
    this.entries.set(id, { bytes: bytes.slice(), key, answers: rec.answers, ptrLeaks: rec.ptrLeaks, result });
    while (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value!);
    return result;
  }
}

export const mainPassCache = new MainPassCache();

/** The entry's name: the settings and a content hash (an interned `insns` already has it: `bytes` decoded). */
function cacheId(insns: InsnArray, bytes: Uint8Array, k: MainPassKey): string {
  const h = insns.contentKey ?? contentHash(bytes);
  return `${k.profile}|${k.progType}|${+k.gplCompatible}${+k.sleepable}${+k.hasFuncInfo}${+k.logging}|${h}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

const insnKey = (i: BpfInsn) => `${i.code},${i.dst},${i.src},${i.off},${i.imm}`;

/** An environment that records every answer it gives. */
function recorder(env: DoCheckEnv): { env: DoCheckEnv; answers: Answer[]; ptrLeaks: boolean[] } {
  const answers: Answer[] = [];
  const ptrLeaks: boolean[] = [];
  const memo = new Map<string, unknown>();
  const once = <T>(k: string, ask: () => T, rec: (v: T) => Answer): T => {
    if (memo.has(k)) return memo.get(k) as T;
    const v = ask();
    memo.set(k, v);
    answers.push(rec(v));
    return v;
  };
  const refs = new Map<unknown, number>();
  const refId = (ref: unknown) => {
    if (!refs.has(ref)) refs.set(ref, refs.size);
    return refs.get(ref)!;
  };
  const { mapPtrAccess, readOnlyValue } = env;
  return {
    answers,
    ptrLeaks,
    env: {
      ...env,
      allowPtrLeaks: () => {
        const v = env.allowPtrLeaks();
        ptrLeaks.push(v);
        return v;
      },
      ldImm64: (pc) => once(`l${pc}`, () => env.ldImm64(pc), (value) => ({ q: 'ldImm64', pc, value })),
      ldImm64Text: (pc) => once(`t${pc}`, () => env.ldImm64Text(pc), (text) => ({ q: 'ldImm64Text', pc, text })),
      kfuncName: (insn) => once(`k${insnKey(insn)}`, () => env.kfuncName(insn), (name) => ({ q: 'kfuncName', insn: { ...insn }, name })),
      ...(mapPtrAccess ? { mapPtrAccess: (off: number, size: number) => once(`m${off},${size}`, () => mapPtrAccess(off, size), (refused) => ({ q: 'mapPtrAccess', off, size, refused })) } : {}),
      ...(readOnlyValue
        ? {
            readOnlyValue: (ref: unknown, off: number, size: number) =>
              once(`r${refId(ref)},${off},${size}`, () => readOnlyValue(ref, off, size), (value) => ({ q: 'readOnlyValue', ref, off, size, value })),
          }
        : {}),
    },
  };
}

/**
 * Ask the entry's questions of `env`. The cached result (its maps translated) when every answer
 * matches; a walk run for real when allowPtrLeaks() answers differently; undefined when a pure
 * answer differs (nothing was called that leaves a trace).
 */
function replay(e: Entry, env: DoCheckEnv, insns: InsnArray): DoCheckResult | undefined {
  const refMap = new Map<unknown, unknown>();
  const sameRef = (was: unknown, now: unknown): boolean => {
    if (refMap.has(was)) return refMap.get(was) === now;
    for (const v of refMap.values()) if (v === now) return false;
    refMap.set(was, now);
    return true;
  };
  for (const a of e.answers) {
    switch (a.q) {
      case 'ldImm64':
        if (!sameValue(a.value, env.ldImm64(a.pc), sameRef)) return undefined;
        break;
      case 'ldImm64Text':
        // Asked by the walk only for log lines, so recorded only when the log was on.
        if (env.ldImm64Text(a.pc) !== a.text) return undefined;
        break;
      case 'kfuncName':
        if (env.kfuncName(a.insn) !== a.name) return undefined;
        break;
      case 'mapPtrAccess':
        if (env.mapPtrAccess?.(a.off, a.size) !== a.refused) return undefined;
        break;
      case 'readOnlyValue': {
        if (!refMap.has(a.ref)) return undefined;
        if (env.readOnlyValue?.(refMap.get(a.ref), a.off, a.size) !== a.value) return undefined;
        break;
      }
    }
  }
  // allow_ptr_leaks: asked as the walk asked it (its hook events go to the trace now).
  const got: boolean[] = [];
  for (let i = 0; i < e.ptrLeaks.length; i++) {
    const v = env.allowPtrLeaks();
    got.push(v);
    if (v === e.ptrLeaks[i]) continue;
    const at = e.result.ptrLeakChecks[i]!;
    if (!v && !e.key.logging) {
      // The walk would have been refused here, with its counters as they were then.
      return {
        ...e.result,
        processed: at.processed,
        totalStates: at.totalStates,
        peakStates: at.totalStates,
        maxStatesPerInsn: at.maxStatesPerInsn,
        pathLog: [],
        error: { id: 'CAP-4', message: "'struct bpf_map' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN", errno: -Errno.EACCES },
      };
    }
    // Walk for real; the answers obtained so far are not asked again.
    return doCheck(insns, { ...env, allowPtrLeaks: () => (got.length ? got.shift()! : env.allowPtrLeaks()) });
  }
  const callMaps = new Map<number, unknown>();
  for (const [pc, m] of e.result.callMaps) callMaps.set(pc, m === POISONED ? m : refMap.get(m));
  return { ...e.result, callMaps };
}

/** Two register values the walk cannot tell apart (map references compared through `sameRef`). */
function sameValue(a: RegValue, b: RegValue, sameRef: (was: unknown, now: unknown) => boolean): boolean {
  if (a.kind !== b.kind) return false;
  const x = a as AnyValue;
  const y = b as AnyValue;
  // Every field by name (monomorphic reads; the type below fails to compile when one is missing).
  if (
    x.value !== y.value || x.maybePtr !== y.maybePtr || x.off !== y.off || x.subprog !== y.subprog || x.id !== y.id ||
    x.map !== y.map || x.ks !== y.ks || x.vs !== y.vs || x.mt !== y.mt || x.entries !== y.entries
  ) {
    return false;
  }
  if ('ref' in x !== 'ref' in y) return false;
  return !('ref' in x) || sameRef(x.ref, y.ref);
}

/** Every field any kind of RegValue has. */
type ValueKey = RegValue extends infer V ? (V extends unknown ? keyof V : never) : never;
type AnyValue = Partial<Record<ValueKey, unknown>>;
/** The fields sameValue compares besides kind and ref: a RegValue field missing here fails to compile. */
type Compared = 'value' | 'maybePtr' | 'off' | 'subprog' | 'id' | 'map' | 'ks' | 'vs' | 'mt' | 'entries';
const EVERY_FIELD_COMPARED: Exclude<ValueKey, 'ref' | 'kind'> extends Compared ? true : never = true;
void EVERY_FIELD_COMPARED;

/**
 * Results derived from one walk (the xlated rewrite), remembered with it: a cached walk hands out
 * the same `seen` array each time, so what was computed from a walk under `key` is found again. The
 * key must name every other input of `make`: its parts (primitives) are compared one by one with
 * the remembered ones (at most DERIVED_PER_WALK keys per walk, the oldest forgotten first).
 */
const DERIVED_PER_WALK = 16;
const derived = new WeakMap<Uint8Array, { readonly key: readonly unknown[]; readonly value: unknown }[]>();
export function derivedFromWalk<T>(walk: DoCheckResult, key: readonly unknown[], make: () => T): T {
  let list = derived.get(walk.seen);
  if (!list) derived.set(walk.seen, (list = []));
  for (const e of list) if (sameParts(e.key, key)) return e.value as T;
  const value = make();
  list.push({ key: key.slice(), value });
  if (list.length > DERIVED_PER_WALK) list.shift();
  return value;
}

function sameParts(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
