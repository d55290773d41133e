// LOAD-13: the check stage, standing in for bpf_check(). It is NOT a safety verifier: it performs the
// structural checks and the verifier steps that program signing depends on, in the kernel's order
// (OBSERVED on this machine's 6.18.44 kernel, test/transcripts/kernel-6.18.44/), with the kernel's
// messages and errnos:
//   1. the verifier log attributes (bpf_vlog_init);
//   2. fd_array entries when fd_array_cnt is set (process_fd_array);
//   3. check_btf_info_early, the sub-programs (add_subprog_and_kfunc), check_subprogs (jump ranges,
//      last instruction), check_btf_info (func_info, line_info, CO-RE relocations applied);
//   4. resolve_pseudo_ldimm64: the program digest first (DIG-2, DIG-4), then each instruction in
//      order: unknown opcodes, ld_imm64 pairs, map fds and fd_array indexes, map values, the
//      exclusive-map check (EXCL-4), MAX_USED_MAPS;
//   5. check_attach_btf_id: SYSCALL programs must be sleepable, attach targets, the sleepable rule;
//   6. check_cfg's reachability;
//   7. the main pass (do-check.ts): encodings, register reads, helpers, CAP-4, the ctx extent;
//   8. the stats line, then the log is finalized (-ENOSPC, which replaces the verifier's own error,
//      when it did not fit) and log_true_size written back.
// What is not modelled: value typing, bounds and stack safety, state pruning, and the per-instruction
// state lines the verifier prints for a failing path (docs/fidelity.md).

import { decodeProgram, type LdImm64Query, type LdImm64Words, type ResolveError } from '../../vm/decode.js';
import { isKnownOpcode } from '../../vm/check.js';
import { encodeInsns, ldImm64Value } from '../../vm/insn.js';
import { InsnArray, memoOnInsns } from '../../vm/insn-array.js';
import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import type { BpfMap } from '../objects/map.js';
import type { BpfProg } from '../objects/prog.js';
import { bpfTokenCapable } from '../security.js';
import { copyFromBpfPtr, copyToBpfPtr, copyToUser } from '../uaccess.js';
import { PROG_LOAD } from '../uapi/attr-layouts.js';
import { Limits, MapFlag, Pseudo, ProgType } from '../uapi/consts.js';
import { checkReachable, checkSubprogs, type CfgError } from './cfg.js';
import { derivedFromWalk, mainPassCache } from './check-cache.js';
import type { RegValue } from './verifier-text.js';
import { VerifierLog } from '../vlog.js';
import { bpfMapGet } from '../commands/fdget.js';
import { checkBtfInfoEarly, checkBtfInfoLate, checkAttachTarget, bindKfuncs } from './btf-info.js';
import { findSubprogs, type SubprogInfo } from '../kernel-btf/btf-info.js';
import { bpfProgCalcDigest } from './digest.js';
import { bpfMapPtrAccess } from './map-ptr-access.js';
import type { Btf as BtfModel } from '../../btf/btf.js';
import { registerLoadStage, type LoadCtx, type LoadStage } from './load.js';
import { needsRewrite, translate, type XlatedInput } from './xlated.js';

const LD_IMM64 = 0x18;
const CALL = 0x85;

/** Kernel address we give a BPF_PSEUDO_FUNC value: a code address for sub-program `idx`. */
const FUNC_ADDR_BASE = 0xffff_ffff_c000_0000n;

/**
 * How the verifier is about to bind an object to the program: a map named by an ld_imm64 (by raw
 * fd, or by fd_array index — `bound` says whether process_fd_array already took it), or a kfunc's
 * module BTF (call `off` ≠ 0, an fd_array index).
 */
export type Binding =
  | { readonly kind: 'map'; readonly via: 'fd' | 'fd_array'; readonly map: BpfMap; readonly bound: boolean; readonly pc: number }
  | { readonly kind: 'kfunc-btf'; readonly off: number; readonly pc: number };

/**
 * A rule a stage installs on bpf_check's state (Check.binding) to refuse some bindings, e.g. a
 * scheme that allows a signed program only the maps its signature covered (LT-LOAD-3). Returns 0 to
 * allow, or -errno after writing its verifier-log line (Check.fail).
 */
export interface BindingPolicy {
  readonly name: string;
  bind(c: Check, b: Binding): number;
}

/** What resolve_pseudo_ldimm64 made of one pseudo ld_imm64. */
export class ResolvedLdImm64 implements LdImm64Words {
  constructor(
    /** The 64-bit value the instruction loads: its low and high 32 bits (signed). */
    readonly lo: number,
    readonly hi: number,
    /** The map it names (MAP_FD, MAP_IDX: the map; MAP_VALUE, MAP_IDX_VALUE: its value at `off`), or null. */
    readonly map: BpfMap | null,
    /** A map value address (MAP_VALUE, MAP_IDX_VALUE) rather than the map itself. */
    readonly isValue: boolean,
    /** The offset into the value (the second slot's imm, unsigned). */
    readonly off: number,
    /** Whether bpf_insn_prepare_dump rewrites the instruction (all but BPF_PSEUDO_FUNC). */
    readonly dumped = true,
  ) {}

  /** A resolution of `value`. */
  static of(value: bigint, map: BpfMap | null, isValue: boolean, off: number, dumped = true): ResolvedLdImm64 {
    return new ResolvedLdImm64(Number(BigInt.asIntN(32, value)), Number(BigInt.asIntN(32, value >> 32n)), map, isValue, off, dumped);
  }

  /** A map value's address: `base` (as a Region gives it: unsigned 32-bit halves) + `off`, without BigInt. */
  static mapValue(map: BpfMap, base: { readonly hi: number; readonly lo: number }, off: number): ResolvedLdImm64 {
    const lo = base.lo + off;
    const carry = lo >= 0x1_0000_0000 ? 1 : 0;
    return new ResolvedLdImm64(lo | 0, (base.hi + carry) | 0, map, true, off);
  }

  /** The 64-bit value (unsigned). */
  get value(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }

  /**
   * What bpf_insn_prepare_dump shows: (src_reg, imm, next imm) — a map by id, as BPF_PSEUDO_MAP_FD
   * or BPF_PSEUDO_MAP_VALUE (PINFO-4); a kernel symbol (BTF_ID) as its address.
   */
  dump(): readonly [number, number, number] {
    if (this.map) return this.isValue ? [Pseudo.BPF_PSEUDO_MAP_VALUE, this.map.id, this.off | 0] : [Pseudo.BPF_PSEUDO_MAP_FD, this.map.id, 0];
    return [0, this.lo, this.hi];
  }
}

/**
 * Values by instruction index: an array and the list of indexes set, in the order first set (issue
 * K: a Map.set per ld_imm64 cost more than the rest of the walk's bookkeeping).
 */
export class ByPc<V> {
  private readonly v: (V | undefined)[];
  private readonly pcs: number[] = [];

  /** `capacity`: the number of instructions (a hint: the array is made that long at once, up to 64 Ki). */
  constructor(capacity = 0) {
    this.v = new Array(Math.min(capacity, 65_536));
  }

  get(pc: number): V | undefined {
    return pc >= 0 && pc < this.v.length ? this.v[pc] : undefined;
  }

  set(pc: number, value: V): void {
    if (this.v[pc] === undefined) this.pcs.push(pc);
    this.v[pc] = value;
  }

  /** The indexes set, in the order first set. */
  keys(): readonly number[] {
    return this.pcs;
  }

  get size(): number {
    return this.pcs.length;
  }
}

/** A failed resolution, with the rule that refused it when that is not the generic LOAD-13/EXCL-4. */
type CheckResolveError = ResolveError & { readonly id?: string };

/** The verifier's state for one check. */
export class Check {
  /** Installed by a stage that restricts what the program may bind (null: no restriction). */
  binding: BindingPolicy | null = null;
  readonly used: BpfMap[] = [];
  /**
   * What resolve_pseudo_ldimm64 made of each pseudo ld_imm64, by pc: its value (the decoder takes it
   * from here), the map it names (for the verifier's register states and log text) and what
   * bpf_insn_prepare_dump will show for it (ResolvedLdImm64.dump).
   */
  readonly resolved: ByPc<ResolvedLdImm64>;
  /** env->insn_processed: 0 until the main pass runs (errors found before it print 0). */
  processed = 0;
  /** env->max_states_per_insn, total_states, peak_states. */
  states = { max: 0, total: 0, peak: 0 };

  constructor(
    readonly l: LoadCtx,
    readonly prog: BpfProg,
    readonly log: VerifierLog,
  ) {
    this.resolved = new ByPc(prog.len);
  }

  /** prog->insnsi decoded once into the compact form, with the bytes it was decoded from. */
  private compact: { readonly bytes: Uint8Array; readonly insns: InsnArray } | null = null;

  /**
   * prog->insnsi in the compact form, decoded once and shared by the passes. A stage that rewrites
   * the bytes in place (CO-RE: check_btf_info) calls insnsChanged() afterwards; a new array is
   * noticed by identity.
   */
  insns(): InsnArray {
    const bytes = this.prog.insns;
    if (this.compact?.bytes !== bytes) this.compact = { bytes, insns: InsnArray.intern(bytes) };
    return this.compact.insns;
  }

  /** The instruction bytes were patched in place: decode them again when next asked. */
  insnsChanged(): void {
    this.compact = null;
  }

  get ctx(): SyscallCtx {
    return this.l.ctx;
  }

  verbose(msg: string): void {
    this.log.write(msg);
  }

  /** Fail: the message goes to the verifier log and to the trace. */
  fail(id: string, msg: string, err: number): number {
    this.verbose(msg.endsWith('\n') ? msg : msg + '\n');
    return this.ctx.fail(id, msg.trim(), err);
  }

  /** __add_used_map: de-duplicate, MAX_USED_MAPS, check_map_prog_compatibility (EXCL-4), take a reference. */
  addUsedMap(map: BpfMap): number {
    if (this.used.includes(map)) return 0;
    if (this.used.length >= Limits.MAX_USED_MAPS) {
      return this.fail('LOAD-13', `The total number of maps per program has reached the limit of ${Limits.MAX_USED_MAPS}`, -Errno.E2BIG);
    }
    if (map.exclProgSha) {
      const digest = this.prog.digest;
      const same = digest !== null && digest.length === map.exclProgSha.length && digest.every((b, i) => b === map.exclProgSha![i]);
      if (!same) return this.fail('EXCL-4', "program's hash doesn't match map's excl_prog_hash", -Errno.EACCES);
      this.ctx.step('EXCL-4', 'exclusive map accepts this program', `map ${map.id} '${map.name}'`);
    }
    map.refcnt++;
    this.used.push(map);
    return 0;
  }

  /** The fd at fd_array[idx], read from the caller's memory. */
  fdArrayEntry(idx: number): number | { err: number; msg: string } {
    const memo = this.fdArrayMemo;
    if (memo) {
      let v = memo.get(idx);
      if (v === undefined) memo.set(idx, (v = this.readFdArrayEntry(idx)));
      return v;
    }
    return this.readFdArrayEntry(idx);
  }

  /**
   * fd_array entries read during one resolve walk. The kernel copies the entry from the caller's
   * memory for every ld_imm64 that names it; nothing can write that memory between two instructions
   * of the walk here (another thread runs only between stages, kernel.interleave), so the second
   * copy of an entry is the first one's value.
   */
  private fdArrayMemo: Map<number, number | { err: number; msg: string }> | null = null;

  /**
   * The maps named during one resolve walk, by how the ld_imm64 names them (fd, or fd_array index).
   * Naming the same map again resolves to the same map (the fd table and fd_array do not change
   * during the walk) and __add_used_map finds it already used, so nothing is done twice. Only
   * without a binding policy, which is asked about every instruction.
   */
  private walkMaps: Map<number, BpfMap> | null = null;

  private readFdArrayEntry(idx: number): number | { err: number; msg: string } {
    const fdArray = this.l.attr.fd_array;
    if (!fdArray) return { err: -Errno.EPROTO, msg: 'fd_idx without fd_array is invalid' };
    const b = copyFromBpfPtr(this.ctx.proc.mem, this.ctx.ptr(fdArray), 4, idx * 4);
    if (!b) return { err: -Errno.EFAULT, msg: `cannot read fd_array[${idx}]` };
    return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
  }

  /**
   * The map an ld_imm64 names, taken into used_maps; or an error for the decoder. `via` (the walk's
   * ld_imm64s) puts the binding before the installed policy, if any.
   */
  resolveMap(fd: number, via?: { via: 'fd' | 'fd_array'; pc: number }): BpfMap | CheckResolveError {
    const got = bpfMapGet(this.ctx, fd);
    if (typeof got === 'number') {
      this.verbose(`fd ${fd} is not pointing to valid bpf_map\n`);
      return { error: `fd ${fd} is not pointing to valid bpf_map`, errno: got };
    }
    if (via && this.binding) {
      const refused = this.binding.bind(this, { kind: 'map', via: via.via, map: got.map, bound: this.used.includes(got.map), pc: via.pc });
      if (refused) return { error: this.lastLogLine(), errno: refused, id: this.binding.name };
    }
    const err = this.addUsedMap(got.map);
    if (err) return { error: this.lastLogLine(), errno: err };
    return got.map;
  }

  lastLogLine(): string {
    return this.log.full.trimEnd().split('\n').pop() ?? '';
  }

  /** resolve_pseudo_ldimm64, one instruction at a time (called by the decoder in program order). */
  resolveLdImm64(q: LdImm64Query): ResolvedLdImm64 | CheckResolveError {
    switch (q.srcReg) {
      case Pseudo.BPF_PSEUDO_MAP_FD:
      case Pseudo.BPF_PSEUDO_MAP_IDX:
      case Pseudo.BPF_PSEUDO_MAP_VALUE:
      case Pseudo.BPF_PSEUDO_MAP_IDX_VALUE: {
        const isValue = q.srcReg === Pseudo.BPF_PSEUDO_MAP_VALUE || q.srcReg === Pseudo.BPF_PSEUDO_MAP_IDX_VALUE;
        if (!isValue && q.nextImm !== 0) {
          this.verbose('unrecognized bpf_ld_imm64 insn\n');
          return { error: 'unrecognized bpf_ld_imm64 insn', errno: -Errno.EINVAL };
        }
        const byIdx = q.srcReg === Pseudo.BPF_PSEUDO_MAP_IDX || q.srcReg === Pseudo.BPF_PSEUDO_MAP_IDX_VALUE;
        const walkKey = q.imm * 2 + (byIdx ? 1 : 0);
        let map = this.walkMaps?.get(walkKey);
        if (!map) {
          let fd = q.imm;
          if (byIdx) {
            const e = this.fdArrayEntry(q.imm);
            if (typeof e !== 'number') {
              this.verbose(e.msg + '\n');
              return { error: e.msg, errno: e.err };
            }
            fd = e;
          }
          const got = this.resolveMap(fd, { via: byIdx ? 'fd_array' : 'fd', pc: q.pc });
          if (!('kaddr' in got)) return got;
          map = got;
          this.walkMaps?.set(walkKey, map);
        }
        if (!isValue) return this.record(q.pc, ResolvedLdImm64.of(map.kaddr, map, false, 0));
        const region = map.valueRegion?.();
        if (!region) {
          this.verbose('no direct value access support for this map type\n');
          return { error: 'no direct value access support for this map type', errno: -Errno.EINVAL };
        }
        // array_map_direct_value_addr: single-entry arrays only, offset inside the value.
        const off = q.nextImm >>> 0;
        if (map.maxEntries !== 1 || off >= map.valueSize) {
          const msg = `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`;
          this.verbose(msg + '\n');
          return { error: msg, errno: map.maxEntries !== 1 ? -Errno.ENOTSUPP : -Errno.EINVAL };
        }
        return this.record(q.pc, ResolvedLdImm64.mapValue(map, region, off));
      }
      case Pseudo.BPF_PSEUDO_FUNC: {
        // A callback's address; the target was range-checked by the decoder's control-flow checks.
        return this.record(q.pc, ResolvedLdImm64.of(FUNC_ADDR_BASE + BigInt((q.pc + q.imm + 1) * 8), null, false, 0, false));
      }
      case Pseudo.BPF_PSEUDO_BTF_ID: {
        const vmlinux = this.ctx.kernel.vmlinuxBtf();
        const t = vmlinux?.model.types[q.imm];
        if (!vmlinux || !t) {
          this.verbose(`ldimm64 insn specifies invalid btf_id ${q.imm}.\n`);
          return { error: `ldimm64 insn specifies invalid btf_id ${q.imm}`, errno: -Errno.EINVAL };
        }
        const name = vmlinux.model.str(t.nameOff);
        const addr = this.ctx.kernel.kallsyms.lookup(name);
        if (addr === undefined) {
          this.verbose(`ldimm64 failed to find the address for kernel symbol '${name}'.\n`);
          return { error: `ldimm64 failed to find the address for kernel symbol '${name}'`, errno: -Errno.ENOENT };
        }
        return this.record(q.pc, ResolvedLdImm64.of(addr, null, false, 0));
      }
      default:
        this.verbose('unrecognized bpf_ld_imm64 insn\n');
        return { error: 'unrecognized bpf_ld_imm64 insn', errno: -Errno.EINVAL };
    }
  }

  private record(pc: number, r: ResolvedLdImm64): ResolvedLdImm64 {
    this.resolved.set(pc, r);
    return r;
  }

  /**
   * add_kfunc_call's BTF lookup for kfunc calls into module BTF (call `off` ≠ 0, an fd_array index):
   * the installed policy may refuse the binding before the kfunc is looked up. 0 or -errno.
   */
  bindKfuncBtfs(): number {
    if (!this.binding) return 0;
    const insns = this.insns();
    for (let pc = 0; pc < insns.length; pc++) {
      const i = insns.get(pc)!;
      if (i.code === LD_IMM64) {
        pc++;
        continue;
      }
      if (i.code !== CALL || i.src !== Pseudo.BPF_PSEUDO_KFUNC_CALL || i.off === 0) continue;
      const refused = this.binding.bind(this, { kind: 'kfunc-btf', off: i.off, pc });
      if (refused) return refused;
    }
    return 0;
  }

  /**
   * resolve_pseudo_ldimm64's walk: each instruction in order — reserved LDX fields, ld_imm64 pairs
   * and their resolution (maps, the exclusive-map check), unknown opcodes. Returns 0 or -errno.
   */
  resolveWalk(): number {
    const insns = this.insns();
    const scan = memoOnInsns(insns, 'resolve_pseudo_ldimm64', () => scanLdImm64(insns));
    const { dst, src, imm } = insns;
    this.fdArrayMemo = new Map();
    this.walkMaps = this.binding ? null : new Map();
    // One query for the walk, filled in for each instruction (resolveLdImm64 keeps nothing of it).
    const q = { pc: 0, srcReg: 0, dst: 0, imm: 0, nextImm: 0 };
    try {
      // The pseudo ld_imm64s before the first malformed instruction resolve in order, then its error.
      for (const pc of scan.pseudo) {
        q.pc = pc;
        q.srcReg = src[pc]!;
        q.dst = dst[pc]!;
        q.imm = imm[pc]!;
        q.nextImm = imm[pc + 1]!;
        const v = this.resolveLdImm64(q);
        // A binding policy's refusal is already in the log and the trace (Check.fail).
        if (!(v instanceof ResolvedLdImm64)) return v.id ? (v.errno ?? -Errno.EINVAL) : this.ctx.fail(v.errno === -Errno.EACCES ? 'EXCL-4' : 'LOAD-13', v.error, v.errno ?? -Errno.EINVAL);
      }
    } finally {
      this.fdArrayMemo = null;
      this.walkMaps = null;
    }
    return scan.error ? this.fail('LOAD-13', scan.error, -Errno.EINVAL) : 0;
  }
}

/**
 * resolve_pseudo_ldimm64's checks of the instructions alone, in order: reserved LDX fields, ld_imm64
 * pairs, unknown opcodes. The pseudo ld_imm64s met before the first error (which ends the walk), and
 * that error. A pure function of the instructions: remembered with them (memoOnInsns).
 */
function scanLdImm64(insns: InsnArray): { readonly pseudo: readonly number[]; readonly error: string | null } {
  const { code, dst, src, off, imm } = insns;
  const n = insns.length;
  const pseudo: number[] = [];
  const end = (error: string) => ({ pseudo, error });
  for (let pc = 0; pc < n; pc++) {
    const c = code[pc]!;
    const cls = c & 0x07;
    const mode = c & 0xe0;
    if (cls === 0x01 && ((mode !== 0x60 && mode !== 0x80) || imm[pc] !== 0)) return end('BPF_LDX uses reserved fields');
    if (c === LD_IMM64) {
      const k = pc + 1;
      if (k >= n || code[k] !== 0 || dst[k] !== 0 || src[k] !== 0 || off[k] !== 0) return end('invalid bpf_ld_imm64 insn');
      if (src[pc] !== 0) pseudo.push(pc);
      pc++;
      continue;
    }
    if (!isKnownOpcode(c)) return end(`unknown opcode ${c.toString(16).padStart(2, '0')}`);
  }
  return { pseudo, error: null };
}

/** bpf_vlog_finalize + the log_true_size copy-back. Returns the error that overrides the result, or 0. */
function finalizeLog(l: LoadCtx, log: VerifierLog): number {
  const { ctx } = l;
  const { bytes, err } = log.finalize();
  if (log.needed && bytes.length && !copyToUser(ctx.proc.mem, log.ubuf, bytes)) return -Errno.EFAULT;
  const f = PROG_LOAD.byName.get('log_true_size')!;
  if (l.uattrSize >= f.offset + f.size) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, log.trueSize, true);
    if (!copyToBpfPtr(ctx.proc.mem, l.uattr, b, f.offset)) return -Errno.EFAULT;
  }
  return err;
}

/** bpf_check's state for one load, shared by its stages. */
export function checkState(l: LoadCtx): Check {
  const c = l.scratch.get(CHECK_KEY);
  if (!(c instanceof Check)) throw new RangeError('bpf_check state requested before bpf_check opened it (LOAD-13)');
  return c;
}

const CHECK_KEY = 'bpf_check';

/**
 * bpf_check's exit path, on success and on failure alike: print_verification_stats (the last line
 * of every log, with the state counters of the main pass's checkpoints, PINFO-5), finalize the log,
 * and on failure drop the maps taken. A log that did not fit (-ENOSPC) or could not be copied
 * replaces the verifier's result.
 */
function checkExit(l: LoadCtx, err: number): number {
  const c = checkState(l);
  const { ctx, prog, log } = c;
  // (the line is built only when the log keeps text: VerifierLog.write drops it at level 0)
  if (log.level) c.verbose(`processed ${c.processed} insns (limit ${Limits.BPF_COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ${c.states.max} total_states ${c.states.total} peak_states ${c.states.peak} mark_read 0\n`);
  prog.verifiedInsns = c.processed;
  const logErr = finalizeLog(l, log);
  l.scratch.delete(CHECK_KEY);
  const ret = logErr || err;
  if (ret) {
    for (const m of c.used) ctx.kernel.mapPut(m);
    c.used.length = 0;
    if (logErr) return ctx.fail('LOAD-13', err ? 'verifier log (replaces the verifier error)' : 'verifier log', logErr);
    return ret;
  }
  prog.usedMaps = [...c.used];
  return 0;
}

/** A stage inside bpf_check: it reads and extends bpf_check's state. */
function checkStage(id: string, name: string, needs: LoadStage['needs'], provides: LoadStage['provides'], run: (c: Check) => number): LoadStage {
  return registerLoadStage({ id, name, needs: ['verifier-log', ...needs], provides, phase: 'before', within: CHECK_KEY, run: (l) => run(checkState(l)) });
}

/** LOAD-13: bpf_check() begins — bpf_vlog_init, then its state; its exit path runs whatever follows. */
export const BPF_CHECK_ENTRY = registerLoadStage({
  id: 'LOAD-13',
  name: 'bpf_check',
  needs: ['prog', 'insns'],
  provides: ['verifier-log'],
  phase: 'before',
  opens: CHECK_KEY,
  run: (l) => {
    const log = VerifierLog.init(l.attr.log_level, l.attr.log_buf, l.attr.log_size);
    if (typeof log === 'number') return l.ctx.fail('LOAD-13', 'verifier log attributes', log);
    l.log = log;
    l.scratch.set(CHECK_KEY, new Check(l, l.prog!, log));
    return 0;
  },
  unwind: checkExit,
});

/**
 * process_fd_array: with fd_array_cnt every entry is taken into used_maps up front. In v6.18 the
 * digest is not computed yet at this point (DIG-4 caveat, OBS-DEB-33), so an exclusive map listed
 * here is compared against an all-zero digest.
 */
export const PROCESS_FD_ARRAY = checkStage('LOAD-13.fd_array', 'process_fd_array', ['prog'], ['fd-array'], (c) => {
  const cnt = c.l.attr.fd_array_cnt;
  for (let i = 0; i < cnt; i++) {
    const fd = c.fdArrayEntry(i);
    if (typeof fd !== 'number') return c.fail('LOAD-13', fd.msg, fd.err);
    const f = c.ctx.proc.fds.get(fd);
    if (f?.kind === 'btf') continue; // a BTF in fd_array is a kfunc module BTF: not modelled beyond accepting it
    const m = c.resolveMap(fd);
    if (!('kaddr' in m)) return m.errno ?? -Errno.EINVAL;
  }
  return 0;
});

/** check_btf_info_early, the sub-programs (add_subprog_and_kfunc, check_subprogs), check_btf_info: func/line info, CO-RE applied in place. */
export const CHECK_BTF_INFO = checkStage('LOAD-13.btf_info', 'check_subprogs and check_btf_info (CO-RE)', ['prog'], ['btf-info'], (c) => {
  const { l, prog, ctx } = c;
  const verbose = (msg: string) => c.verbose(msg);
  const early = checkBtfInfoEarly(l, prog, verbose);
  if (typeof early === 'number') return early;
  const found = subprogLayout(c.insns(), prog.insns);
  if (typeof found.subprogs === 'number') {
    for (const line of found.log) c.verbose(line);
    return ctx.fail('LOAD-13', 'call to invalid destination', found.subprogs);
  }
  // add_subprog_and_kfunc: a kfunc in module BTF binds that BTF (an installed policy may refuse it).
  const kfuncBtf = c.bindKfuncBtfs();
  if (kfuncBtf) return kfuncBtf;
  if (found.check) return c.fail('LOAD-13', found.check.message, -Errno.EINVAL);
  const late = checkBtfInfoLate(l, prog, verbose, early, found.subprogs);
  // CO-RE patched prog->insnsi in place (check_core_relo runs only with core_relo_cnt set).
  if (l.attr.core_relo_cnt) c.insnsChanged();
  return late;
});

/**
 * add_subprog_and_kfunc's sub-programs (findSubprogs, with the log lines it wrote) and check_subprogs'
 * verdict on them: a pure function of the instructions, remembered with their decoded form (the
 * sub-program list frozen: every load of the same bytes shares it). `bytes` are the bytes `insns`
 * was decoded from.
 */
function subprogLayout(insns: InsnArray, bytes: Uint8Array): {
  readonly subprogs: readonly SubprogInfo[] | number;
  readonly log: readonly string[];
  readonly check: CfgError | undefined;
} {
  return memoOnInsns(insns, 'add_subprog_and_kfunc', () => {
    const log: string[] = [];
    const found = findSubprogs(bytes, (m) => log.push(m));
    if (typeof found === 'number') return { subprogs: found, log, check: undefined };
    const subprogs = Object.freeze(found.map((s) => Object.freeze(s)));
    return { subprogs, log, check: checkSubprogs(insns, subprogs.map((s) => s.start)) };
  });
}

/** resolve_pseudo_ldimm64: the digest first (DIG-4; kept if an earlier stage computed it), then each instruction in order. */
export const RESOLVE_PSEUDO_LDIMM64 = checkStage('LOAD-13.resolve', 'resolve_pseudo_ldimm64', ['prog', 'btf-info'], ['digest', 'used-maps'], (c) => {
  const { prog, ctx } = c;
  if (!prog.digest) {
    // A function of the instruction bytes alone: remembered with their decoded form (a copy handed out).
    const algo = ctx.kernel.profile.digest;
    const d = memoOnInsns(c.insns(), digestMemoKey(algo), () => {
      const digest = bpfProgCalcDigest(prog.insns, algo);
      return { digest, hex: Buffer.from(digest).toString('hex') };
    });
    prog.digest = d.digest.slice();
    ctx.step('DIG-2', 'program digest', d.hex);
  }
  return c.resolveWalk();
});

/** The digest's memo key per algorithm, made once (a string built per load is hashed again per lookup). */
const digestKeys = new Map<string, string>();
function digestMemoKey(algo: string): string {
  let k = digestKeys.get(algo);
  if (k === undefined) digestKeys.set(algo, (k = `digest ${algo}`));
  return k;
}

/** check_attach_btf_id: SYSCALL programs must be sleepable, attach targets, the sleepable rule. */
export const CHECK_ATTACH_BTF_ID = checkStage('LOAD-13.attach', 'check_attach_btf_id', ['prog', 'btf-info'], [], (c) => {
  const { l, prog } = c;
  if (prog.type === ProgType.BPF_PROG_TYPE_SYSCALL && !prog.sleepable) return c.fail('LOAD-13', 'Syscall programs can only be sleepable', -Errno.EINVAL);
  return checkAttachTarget(l, prog, (msg) => c.verbose(msg));
});

/** check_cfg's reachability, over the CO-RE-relocated instructions (check_btf_info patched them in place). */
export const CHECK_CFG = checkStage('LOAD-13.cfg', 'check_cfg', ['btf-info'], [], (c) => {
  const cfg = checkReachable(c.insns());
  return cfg ? c.fail('LOAD-13', cfg.message, -Errno.EINVAL) : 0;
});

/** The main pass (do-check.ts), then the program decoded once for the interpreter and the xlated dump. */
export const DO_CHECK = checkStage('LOAD-13.do_check', 'do_check (structural stand-in)', ['used-maps', 'btf-info'], ['verified'], (c) => {
  const { l, prog, ctx } = c;
  const verbose = (msg: string) => c.verbose(msg);
  const relocated = c.insns();
  const logging = c.log.level !== 0;
  const key = { profile: ctx.kernel.profile.name, progType: prog.type, gplCompatible: prog.gplCompatible, sleepable: prog.sleepable, hasFuncInfo: prog.funcInfo.length > 0, logging };
  const main = mainPassCache.run(relocated, prog.insns, key, {
    progType: prog.type,
    gplCompatible: prog.gplCompatible,
    sleepable: prog.sleepable,
    allowPtrLeaks: () => bpfTokenCapable(ctx, 'CAP_PERFMON'),
    ldImm64: (pc) => regValueOfLdImm64(c, pc),
    ldImm64Text: (pc) => ldImm64Text(c, pc),
    kfuncName: (insn) => kfuncName(ctx, insn.imm),
    mapPtrAccess: (off, size) => {
      const vmlinux = ctx.kernel.vmlinuxBtf();
      return vmlinux ? mapPtrAccessOf(vmlinux.model, off, size) : null;
    },
    readOnlyValue: (ref, off, size) => mapDirectRead(ref as BpfMap, off, size),
    hasFuncInfo: key.hasFuncInfo,
    logging,
  });
  for (const line of main.pathLog) c.verbose(line + '\n');
  c.processed = main.processed;
  c.states = { max: main.maxStatesPerInsn, total: main.totalStates, peak: main.peakStates };
  if (main.error) return c.fail(main.error.id, main.error.message, main.error.errno);
  if (prog.type === ProgType.BPF_PROG_TYPE_SYSCALL) prog.maxCtxOffset = main.maxCtxOffset;
  // The interpreter's program: resolved ld_imm64 values come from the resolve stage, kfuncs are bound here.
  const dec = decodeProgram(relocated, {
    resolveLdImm64: (q) => c.resolved.get(q.pc) ?? { error: 'unrecognized bpf_ld_imm64 insn' },
    resolveKfunc: bindKfuncs(l, prog, verbose),
  });
  if (!dec.ok) return c.fail('LOAD-13', dec.error.message, dec.error.errno);
  prog.decoded = dec.program;
  // The verifier's rewrites (xlated.ts), then bpf_insn_prepare_dump's view of map ld_imm64s.
  const xin: XlatedInput = {
    insns: relocated,
    progType: prog.type,
    seen: main.seen,
    callMaps: main.callMaps,
    ctxAccess: main.ctxAccess,
    loopInline: main.loopInline,
    stackDepth: main.stackDepth,
    bpfCapable: bpfTokenCapable(ctx, 'CAP_BPF'),
    bypassSpecV1: (m) => m.bypassSpecV1,
    layout: {
      // OBSERVED 312 on 6.18.44; without map->sha (v6.17) 32 bytes less (INFERRED)
      arrayValueOffset: ctx.kernel.profile.structBpfMapHasSha ? 312 : 280,
      cpuNumber: Number(BigInt.asIntN(32, ctx.kernel.kallsyms.lookup('cpu_number') ?? 0n)),
      jiffies: ctx.kernel.kallsyms.lookup('jiffies') ?? 0n,
    },
  };
  // The rewrite depends on the walk, the layout, privilege and what it reads of each call's map.
  const tkey: unknown[] = [xin.bpfCapable, xin.layout.arrayValueOffset, xin.layout.cpuNumber, xin.layout.jiffies];
  for (const [pc, m] of main.callMaps) {
    if (m instanceof Object && 'mapType' in m) pushMapShape(tkey, pc, m as BpfMap);
    else tkey.push(pc, 'other', m);
  }
  const t = derivedFromWalk(main, tkey, () => {
    if (!needsRewrite(xin)) return null;
    const r = translate(xin);
    return { bytes: encodeInsns(r.insns), orig: r.orig };
  });
  // The dump's inputs are final here: the rewrite (immutable, shared by identical walks), the
  // instruction bytes as loaded and the ld_imm64 ids of this load (the check is done with them).
  const insnsAsLoaded = prog.insns;
  const ld = c.resolved;
  prog.setXlated(() => (t ? xlatedDump(t.bytes, t.orig, ld) : xlatedDump(insnsAsLoaded, null, ld)));
  return 0;
});

/** bpf_check() returns: its exit path (stats line, log finalized, log_true_size written back). */
export const BPF_CHECK_EXIT = registerLoadStage({
  id: 'LOAD-13.exit',
  name: 'bpf_check exit (stats, log)',
  needs: ['verifier-log', 'verified'],
  provides: ['checked'],
  phase: 'before',
  closes: CHECK_KEY,
  run: (l) => checkExit(l, 0),
});

/** bpf_check() in v6.18's order, as one list of stages. */
export const BPF_CHECK_STAGES: readonly LoadStage[] = [
  BPF_CHECK_ENTRY,
  PROCESS_FD_ARRAY,
  CHECK_BTF_INFO,
  RESOLVE_PSEUDO_LDIMM64,
  CHECK_ATTACH_BTF_ID,
  CHECK_CFG,
  DO_CHECK,
  BPF_CHECK_EXIT,
];

/**
 * bpf_map_direct_read: a load from the value of a frozen map that programs may only read
 * (bpf_map_is_rdonly: BPF_F_RDONLY_PROG, frozen, no syscall writer active) is a known constant.
 */
function mapDirectRead(map: BpfMap, off: number, size: number): bigint | undefined {
  if (!(map.mapFlags & MapFlag.BPF_F_RDONLY_PROG) || !map.frozen || map.writeActive > 0) return undefined;
  const region = map.valueRegion?.();
  if (!region || off < 0 || off + size > map.valueSize) return undefined;
  const dv = region.view;
  switch (size) {
    case 1: return BigInt(dv.getUint8(off));
    case 2: return BigInt(dv.getUint16(off, true));
    case 4: return BigInt(dv.getUint32(off, true));
    case 8: return dv.getBigUint64(off, true);
    default: return undefined;
  }
}

/**
 * bpfMapPtrAccess remembered per BTF object and (off, size): a pure function of the BTF, which the
 * kernel does not modify after parsing it; an append (more types or strings) forgets what was
 * remembered. At most 256 answers per BTF object.
 */
function mapPtrAccessOf(btf: BtfModel, off: number, size: number): string | null {
  let m = mapPtrAnswers.get(btf);
  if (!m || m.types !== btf.typeCount || m.strs !== btf.stringsSize) {
    mapPtrAnswers.set(btf, (m = { types: btf.typeCount, strs: btf.stringsSize, answers: new Map() }));
  }
  const key = `${off},${size}`;
  const known = m.answers.get(key);
  if (known !== undefined) return known;
  const v = bpfMapPtrAccess(btf, off, size);
  if (m.answers.size >= 256) m.answers.clear();
  m.answers.set(key, v);
  return v;
}
const mapPtrAnswers = new WeakMap<BtfModel, { readonly types: number; readonly strs: number; readonly answers: Map<string, string | null> }>();

/** What the xlated pass reads of a map (map_gen_lookup): type, flags, sizes, entries, bypass_spec_v1. */
function pushMapShape(key: unknown[], pc: number, m: BpfMap): void {
  key.push(pc, 'map', m.mapType, m.mapFlags, m.keySize, m.valueSize, m.maxEntries, m.bypassSpecV1);
}

/** An ld_imm64 as the main pass sees it: the register value it loads. */
function regValueOfLdImm64(c: Check, pc: number): RegValue {
  const m = c.resolved.get(pc);
  if (m?.map) {
    const map = m.map;
    if (!m.isValue) return { kind: 'map_ptr', map: map.name, ks: map.keySize, vs: map.valueSize, ref: map, mt: map.mapType, entries: map.maxEntries };
    return m.off
      ? { kind: 'map_value', map: map.name, ks: map.keySize, vs: map.valueSize, ref: map, mt: map.mapType, entries: map.maxEntries, off: m.off }
      : { kind: 'map_value', map: map.name, ks: map.keySize, vs: map.valueSize, ref: map, mt: map.mapType, entries: map.maxEntries };
  }
  const insns = c.insns();
  const src = insns.src[pc]!;
  if (src === Pseudo.BPF_PSEUDO_FUNC) return { kind: 'func', subprog: pc + insns.imm[pc]! + 1 };
  return src === 0 ? { kind: 'const', value: m?.value ?? encodedImm64(insns, pc) } : { kind: 'scalar', maybePtr: true };
}

/** The log's text for an ld_imm64 (print_imm; do_check's print_bpf_insn has no cb_imm): its 64-bit value. */
function ldImm64Text(c: Check, pc: number): string {
  const insns = c.insns();
  const v = insns.src[pc] === Pseudo.BPF_PSEUDO_FUNC ? encodedImm64(insns, pc) : (c.resolved.get(pc)?.value ?? encodedImm64(insns, pc));
  return '0x' + v.toString(16);
}

/** The 64-bit immediate of the ld_imm64 at pc as encoded (VM-ISA-8). */
const encodedImm64 = (insns: InsnArray, pc: number): bigint => ldImm64Value(insns.get(pc)!, insns.get(pc + 1)!);

/** A kfunc's name in the log (its vmlinux BTF name). */
function kfuncName(ctx: SyscallCtx, btfId: number): string {
  const vmlinux = ctx.kernel.vmlinuxBtf();
  const t = vmlinux?.model.types[btfId];
  return t ? vmlinux!.model.str(t.nameOff) : 'unknown';
}

/**
 * The translated instructions as GET_INFO dumps them (bpf_insn_prepare_dump): a map ld_imm64 names
 * its map by id, as BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE (PINFO-4). `orig` maps each
 * translated slot to the loaded one it came from.
 */
function xlatedDump(insns: Uint8Array, orig: readonly (number | undefined)[] | null, ld: ByPc<ResolvedLdImm64>): Uint8Array {
  const out = insns.slice();
  const dv = new DataView(out.buffer);
  // orig null: nothing was rewritten, slot k is loaded slot k
  const slots: Iterable<[number, number | undefined]> = orig ? orig.entries() : ld.keys().map((k) => [k, k] as [number, number]);
  for (const [pc, o] of slots) {
    const r = o === undefined ? undefined : ld.get(o);
    if (!r?.dumped || out[pc * 8] !== 0x18) continue;
    const [src, imm, next] = r.dump();
    out[pc * 8 + 1] = (out[pc * 8 + 1]! & 0x0f) | (src << 4);
    dv.setInt32(pc * 8 + 4, imm, true);
    dv.setInt32(pc * 8 + 12, next, true);
  }
  return out;
}
