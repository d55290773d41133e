// bpf_core_apply (kernel/bpf/btf.c): one CO-RE relocation at BPF_PROG_LOAD. Finds the target
// candidates in vmlinux BTF by essential name and kind (through the kernel's candidate caches),
// runs relo_core (relo-core.ts) and patches the instruction.
//
// The caches are kernel-wide state (two tables of 31 slots, slot = jhash(essential name) % 31, a
// newer entry evicts an older one). A slot hit compares the name only, not the kind, so after a
// relocation against `struct foo` a relocation against `enum foo` gets the struct's candidates, as
// in the kernel. Keep one CoreCandCache per emulated kernel to reproduce that across loads.
// Module BTFs are not modelled: the module search finds nothing, and its cache records that.

import type { Btf } from '../../btf/btf.js';
import { Errno } from '../errno.js';
import { jhash } from './jhash.js';
import {
  btfKindStr, calcRelo, coreReloKindStr, CoreReloKind, essentialNameLen, formatSpec, nameByOffset, parseSpec, patchInsn,
  specMatch, typeById, type CoreRelo, type CoreReloRes, type CoreSpec, type Log,
} from './relo-core.js';

export const VMLINUX_CAND_CACHE_SIZE = 31;
export const MODULE_CAND_CACHE_SIZE = 31;

interface CandEntry {
  /** The essential name (kmemdup_nul of the first name_len bytes). */
  name: string;
  kind: number;
  cands: number[];
}

const UTF8 = new TextEncoder();

function slotOf(name: string, size: number): number {
  return jhash(UTF8.encode(name)) % size;
}

/** The kernel's vmlinux_cand_cache and module_cand_cache. */
export class CoreCandCache {
  readonly vmlinux: Array<CandEntry | undefined> = new Array(VMLINUX_CAND_CACHE_SIZE).fill(undefined);
  readonly module: Array<CandEntry | undefined> = new Array(MODULE_CAND_CACHE_SIZE).fill(undefined);

  /** check_cand_cache: the entry in the name's slot if its name matches (the kind is not compared). */
  check(table: Array<CandEntry | undefined>, name: string): CandEntry | undefined {
    const cc = table[slotOf(name, table.length)];
    return cc && cc.name === name ? cc : undefined;
  }

  /** populate_cand_cache: the entry replaces whatever was in its slot. */
  populate(table: Array<CandEntry | undefined>, e: CandEntry): CandEntry {
    table[slotOf(e.name, table.length)] = { name: e.name, kind: e.kind, cands: e.cands.slice() };
    return table[slotOf(e.name, table.length)]!;
  }

  /** print_cand_cache (written at log level 2 after each relocation that searched candidates). */
  format(): string {
    const one = (table: Array<CandEntry | undefined>) =>
      table.map((cc, i) => (cc ? `[${i}]${cc.name}(${cc.cands.join(' ')}), ` : '')).join('');
    return `vmlinux_cand_cache:${one(this.vmlinux)}\nmodule_cand_cache:${one(this.module)}\n`;
  }
}

/** bpf_core_add_cands: ids ≥ start of the same kind whose essential name equals `name`. */
function addCands(e: CandEntry, targ: Btf, start: number): void {
  for (let i = start; i < targ.typeCount; i++) {
    const t = targ.type(i);
    if (t.kind !== e.kind) continue;
    const tn = nameByOffset(targ, t.nameOff);
    if (tn === undefined) continue;
    if (!tn.startsWith(e.name)) continue;
    if (essentialNameLen(tn) !== e.name.length) continue;
    e.cands.push(i);
  }
}

/** bpf_core_find_cands: the cache entry for the local type's essential name, or a negative errno. */
function findCands(local: Btf, vmlinux: Btf | undefined, localTypeId: number, cache: CoreCandCache): CandEntry | number {
  if (!vmlinux) return -Errno.EINVAL;
  const lt = typeById(local, localTypeId);
  if (!lt) return -Errno.EINVAL;
  const name = nameByOffset(local, lt.nameOff);
  if (!name) return -Errno.EINVAL;
  const probe: CandEntry = { name: name.slice(0, essentialNameLen(name)), kind: lt.kind, cands: [] };
  const hit = cache.check(cache.vmlinux, probe.name);
  if (hit) {
    if (hit.cands.length) return hit;
  } else {
    addCands(probe, vmlinux, 1);
    const cc = cache.populate(cache.vmlinux, probe);
    if (cc.cands.length) return cc;
  }
  // no vmlinux candidate: module BTFs (none are modelled, so the search adds nothing)
  const mod = cache.check(cache.module, probe.name);
  if (mod) return mod;
  return cache.populate(cache.module, { ...probe, cands: [] });
}

/** What one relocation did, for the trace. */
export interface CoreReloResult {
  /** Index of the record (relo #N in the log). */
  index: number;
  insnIdx: number;
  kind: number;
  kindName: string;
  localTypeId: number;
  /** The local access spec as the kernel formats it, when it parsed. */
  localSpec?: string;
  /** Target candidate ids that were tried. */
  candidates: number[];
  /** The target spec chosen (first matching candidate). */
  targetSpec?: string;
  outcome: 'patched' | 'poisoned' | 'failed';
  origVal?: bigint;
  newVal?: bigint;
  /** 0, or the negative errno bpf_core_apply returned. */
  err: number;
}

export interface CoreApplyCtx {
  /** The program's BTF (prog->aux->btf, loaded with BPF_BTF_LOAD). */
  local: Btf;
  /** The kernel's vmlinux BTF (undefined: a kernel without BTF). */
  vmlinux: Btf | undefined;
  /** The verifier log; lines end in "\n" where the kernel's do. */
  log: Log;
  /** The verifier log level (BPF_LOG_LEVEL2 = 2 prints the candidate caches). */
  logLevel?: number;
  /** Kernel-wide candidate caches; a fresh one when absent. */
  cache?: CoreCandCache;
}

/** bpf_core_calc_relo_insn: the relocation result over the candidate list, or a negative errno. */
function calcReloInsn(ctx: CoreApplyCtx, relo: CoreRelo, idx: number, cands: number[], out: CoreReloResult): { err: number; res?: CoreReloRes } {
  const { local, log } = ctx;
  const lt = local.type(relo.typeId);
  const localName = nameByOffset(local, lt.nameOff);
  if (localName === undefined) return { err: -Errno.EINVAL };
  const parsed = parseSpec(local, relo, log);
  if (parsed.err) {
    const specStr = nameByOffset(local, relo.accessStrOff);
    log(`prog '': relo #${idx}: parsing [${relo.typeId}] ${btfKindStr(lt.kind)} ${localName || '<anon>'} + ${specStr ?? '<?>'} failed: ${parsed.err}\n`);
    return { err: -Errno.EINVAL };
  }
  const localSpec = parsed.spec;
  out.localSpec = formatSpec(localSpec);
  log(`prog '': relo #${idx}: ${out.localSpec}\n`);
  if (relo.kind === CoreReloKind.TYPE_ID_LOCAL) {
    const v = BigInt(localSpec.rootTypeId);
    return { err: 0, res: { origVal: v, newVal: v, poison: false, validate: false, failMemszAdjust: false, origSz: 0, newSz: 0, origTypeId: 0, newTypeId: 0 } };
  }
  if (!localName) {
    log(`prog '': relo #${idx}: <${coreReloKindStr(relo.kind)}> (${relo.kind}) relocation doesn't support anonymous types\n`);
    return { err: -Errno.EOPNOTSUPP };
  }
  let targRes: CoreReloRes | undefined;
  let targSpec: CoreSpec | undefined;
  let matched = 0;
  for (let i = 0; i < cands.length; i++) {
    const m = specMatch(localSpec, ctx.vmlinux!, cands[i]);
    const specBuf = formatSpec(m.spec);
    if (m.res < 0) {
      log(`prog '': relo #${idx}: error matching candidate #${i} ${specBuf}: ${m.res}\n `);
      return { err: m.res };
    }
    log(`prog '': relo #${idx}: ${m.res === 0 ? 'non-matching' : 'matching'} candidate #${i} ${specBuf}\n`);
    if (m.res === 0) continue;
    const c = calcRelo(relo, idx, localSpec, m.spec, log);
    if (c.err) return { err: c.err };
    if (matched === 0) {
      targRes = c.res;
      targSpec = m.spec;
      out.targetSpec = specBuf;
    } else if (m.spec.bitOffset !== targSpec!.bitOffset) {
      log(`prog '': relo #${idx}: field offset ambiguity: ${m.spec.bitOffset} != ${targSpec!.bitOffset}\n`);
      return { err: -Errno.EINVAL };
    } else if (c.res.poison !== targRes!.poison || c.res.newVal !== targRes!.newVal) {
      log(`prog '': relo #${idx}: relocation decision ambiguity: ${c.res.poison ? 'failure' : 'success'} ${c.res.newVal} != ` +
        `${targRes!.poison ? 'failure' : 'success'} ${targRes!.newVal}\n`);
      return { err: -Errno.EINVAL };
    }
    matched++;
  }
  if (matched === 0) {
    log(`prog '': relo #${idx}: no matching targets found\n`);
    const c = calcRelo(relo, idx, localSpec, undefined, log);
    if (c.err) return { err: c.err };
    targRes = c.res;
  }
  return { err: 0, res: targRes };
}

/**
 * bpf_core_apply(ctx, relo, relo_idx, insn): relocates the instruction at `relo.insnOff / 8` of
 * `insns` (patched in place). Returns 0 (patched, or poisoned with `call 0xbad2310` when no target
 * matched) or a negative errno, and fills `out` for the trace.
 */
export function bpfCoreApplyOne(ctx: CoreApplyCtx, relo: CoreRelo, idx: number, insns: Uint8Array, out?: CoreReloResult): number {
  const r: CoreReloResult = out ?? { index: idx, insnIdx: 0, kind: 0, kindName: '', localTypeId: 0, candidates: [], outcome: 'failed', err: 0 };
  Object.assign(r, {
    index: idx, insnIdx: Math.floor(relo.insnOff / 8), kind: relo.kind, kindName: coreReloKindStr(relo.kind), localTypeId: relo.typeId,
    candidates: [], outcome: 'failed', err: 0,
  });
  const fail = (err: number): number => {
    r.err = err;
    r.outcome = 'failed';
    return err;
  };
  if (!typeById(ctx.local, relo.typeId)) {
    ctx.log(`relo #${idx}: bad type id ${relo.typeId}\n`);
    return fail(-Errno.EINVAL);
  }
  const needCands = relo.kind !== CoreReloKind.TYPE_ID_LOCAL;
  const cache = ctx.cache ?? new CoreCandCache();
  // the kernel's `out:` label: at log level 2 the caches are printed after every relocation that searched
  const done = (err: number): number => {
    if (needCands && ((ctx.logLevel ?? 0) & 2)) ctx.log(cache.format());
    return err ? fail(err) : 0;
  };
  let cands: number[] = [];
  if (needCands) {
    const cc = findCands(ctx.local, ctx.vmlinux, relo.typeId, cache);
    if (typeof cc === 'number') {
      ctx.log(`target candidate search failed for ${relo.typeId}\n`);
      return done(cc);
    }
    for (const id of cc.cands) ctx.log(`CO-RE relocating ${btfKindStr(cc.kind)} ${cc.name}: found target candidate [${id}]\n`);
    cands = cc.cands.slice();
    r.candidates = cands.slice();
  }
  const calc = calcReloInsn(ctx, relo, idx, cands, r);
  if (calc.err) return done(calc.err);
  const res = calc.res!;
  r.origVal = res.origVal;
  r.newVal = res.newVal;
  const p = patchInsn(insns, r.insnIdx, relo, idx, res, ctx.log);
  if (!p.err) r.outcome = p.poisoned ? 'poisoned' : 'patched';
  return done(p.err);
}

/** A CO-RE relocation record (struct bpf_core_relo, 16 bytes). */
export type CoreReloRecord = CoreRelo;

/**
 * Applies a list of CO-RE relocations to a copy of `insns`, as check_core_relo does once the records
 * are copied in: insn_off must be 8-aligned and inside the program, then bpf_core_apply for each.
 * Returns the relocated instructions and one result per record, or the first error with its errno
 * and the last verifier-log line.
 */
export function bpfCoreApply(
  local: Btf, target: Btf | undefined, insns: Uint8Array, relos: readonly CoreReloRecord[], log: Log = () => {},
  opts: { cache?: CoreCandCache; logLevel?: number } = {},
): { insns: Uint8Array; results: CoreReloResult[] } | { errno: number; message: string; results: CoreReloResult[] } {
  const out = insns.slice();
  const progLen = Math.floor(out.length / 8);
  let last = '';
  const ctx: CoreApplyCtx = {
    local, vmlinux: target, cache: opts.cache ?? new CoreCandCache(), logLevel: opts.logLevel,
    log: (s) => {
      if (s.trim()) last = s.trim();
      log(s);
    },
  };
  const results: CoreReloResult[] = [];
  for (let i = 0; i < relos.length; i++) {
    const relo = relos[i];
    if (relo.insnOff % 8 || Math.floor(relo.insnOff / 8) >= progLen) {
      ctx.log(`Invalid core_relo[${i}].insn_off:${relo.insnOff} prog->len:${progLen}\n`);
      return { errno: Errno.EINVAL, message: last, results };
    }
    const r = {} as CoreReloResult;
    const err = bpfCoreApplyOne(ctx, relo, i, out, r);
    results.push(r);
    if (err) return { errno: -err, message: last, results };
  }
  return { insns: out, results };
}
