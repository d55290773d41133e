// LOAD-13: the check stage, standing in for bpf_check(). It is NOT a safety verifier: it performs the
// structural checks and the verifier steps that program signing depends on, in the kernel's order,
// with the kernel's messages and errnos where we know them:
//   1. the verifier log attributes (bpf_vlog_init);
//   2. fd_array entries when fd_array_cnt is set (process_fd_array);
//   3. BTF info: func_info, line_info, CO-RE relocations (check_btf_info_early / check_btf_info);
//   4. the program digest, computed before maps are resolved (DIG-2, DIG-4);
//   5. instruction checks and ld_imm64 resolution through the interpreter's decoder: map fds and
//      fd_array indexes, map values, the exclusive-map check (EXCL-4), MAX_USED_MAPS;
//   6. the attach target and the sleepable rule (check_attach_btf_id);
//   7. calls: helper ids and where each helper may be called, kfuncs, reads of `struct bpf_map`
//      (CAP-4), and a SYSCALL program's ctx extent (max_ctx_offset, TRUN-1);
//   8. the log is finalized (-ENOSPC when it did not fit) and log_true_size written back.
// What is not modelled: the verifier's path exploration, register and pointer typing, bounds and
// stack-safety checks, and the log the verifier prints for them (docs/fidelity.md).

import { decodeProgram, type DecodedProgram, type LdImm64Query, type ResolveError } from '../../vm/decode.js';
import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import type { BpfMap } from '../objects/map.js';
import type { BpfProg } from '../objects/prog.js';
import { bpfTokenCapable } from '../security.js';
import { copyFromBpfPtr, copyToBpfPtr, copyToUser } from '../uaccess.js';
import { PROG_LOAD } from '../uapi/attr-layouts.js';
import { Limits, Pseudo, ProgType } from '../uapi/consts.js';
import { VerifierLog } from '../vlog.js';
import { bpfMapGet } from '../commands/fdget.js';
import { checkBtfInfo, checkAttachTarget, bindKfuncs } from './btf-info.js';
import { bpfProgCalcDigest } from './digest.js';
import { registerLoadStage, type LoadCtx } from './load.js';
import { BPF_FUNC_MAX_ID, HELPER_NAMES, HELPER_RULES } from './prog-types.js';

const LD_IMM64 = 0x18;
const CALL = 0x85;
const CLASS_LDX = 0x01;
const CLASS_ST = 0x02;
const CLASS_STX = 0x03;
const MODE_MEM = 0x60;
const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };

/** Kernel address we give a BPF_PSEUDO_FUNC value: a code address for sub-program `idx`. */
const FUNC_ADDR_BASE = 0xffff_ffff_c000_0000n;

/** The verifier's state for one check. */
class Check {
  readonly used: BpfMap[] = [];
  /** What bpf_insn_prepare_dump will show for each resolved ld_imm64, by pc: (src_reg, imm, next imm). */
  readonly dumpLdImm64 = new Map<number, readonly [number, number, number]>();
  /** env->insn_processed: 0 until the do_check phase runs (errors found before it print 0). */
  processed = 0;

  constructor(
    readonly l: LoadCtx,
    readonly prog: BpfProg,
    readonly log: VerifierLog,
  ) {}

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
    const fdArray = this.l.attr.fd_array as bigint;
    if (!fdArray) return { err: -Errno.EPROTO, msg: 'fd_idx without fd_array is invalid' };
    const b = copyFromBpfPtr(this.ctx.proc.mem, this.ctx.ptr(fdArray), 4, idx * 4);
    if (!b) return { err: -Errno.EFAULT, msg: `cannot read fd_array[${idx}]` };
    return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
  }

  /** The map an ld_imm64 names, taken into used_maps; or an error for the decoder. */
  resolveMap(fd: number): BpfMap | ResolveError {
    const got = bpfMapGet(this.ctx, fd);
    if (typeof got === 'number') {
      this.verbose(`fd ${fd} is not pointing to valid bpf_map\n`);
      return { error: `fd ${fd} is not pointing to valid bpf_map`, errno: got };
    }
    const err = this.addUsedMap(got.map);
    if (err) return { error: this.lastLogLine(), errno: err };
    return got.map;
  }

  lastLogLine(): string {
    return this.log.full.trimEnd().split('\n').pop() ?? '';
  }

  /** resolve_pseudo_ldimm64, one instruction at a time (called by the decoder in program order). */
  resolveLdImm64(q: LdImm64Query): bigint | ResolveError {
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
        let fd = q.imm;
        if (q.srcReg === Pseudo.BPF_PSEUDO_MAP_IDX || q.srcReg === Pseudo.BPF_PSEUDO_MAP_IDX_VALUE) {
          const e = this.fdArrayEntry(q.imm);
          if (typeof e !== 'number') {
            this.verbose(e.msg + '\n');
            return { error: e.msg, errno: e.err };
          }
          fd = e;
        }
        const map = this.resolveMap(fd);
        if (!('kaddr' in map)) return map;
        // The dump names the map by id, as BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE (PINFO-4).
        this.dumpLdImm64.set(q.pc, [isValue ? Pseudo.BPF_PSEUDO_MAP_VALUE : Pseudo.BPF_PSEUDO_MAP_FD, map.id, isValue ? q.nextImm : 0]);
        if (!isValue) return map.kaddr;
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
        return region.base + BigInt(off);
      }
      case Pseudo.BPF_PSEUDO_FUNC: {
        // A callback's address; the target was range-checked by the decoder's control-flow checks.
        return FUNC_ADDR_BASE + BigInt((q.pc + q.imm + 1) * 8);
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
        this.dumpLdImm64.set(q.pc, [0, Number(BigInt.asIntN(32, addr)), Number(BigInt.asIntN(32, addr >> 32n))]);
        return addr;
      }
      default:
        this.verbose('unrecognized bpf_ld_imm64 insn\n');
        return { error: 'unrecognized bpf_ld_imm64 insn', errno: -Errno.EINVAL };
    }
  }

  /**
   * The call and memory-access rules the signed loader depends on, over the decoded program:
   * helper ids and call sites, kfunc permission, `struct bpf_map` reads (CAP-4), ctx extent.
   */
  checkCalls(): number {
    const prog = this.prog;
    const dec = prog.decoded!;
    // Instructions reached so far on the walk: on a straight-line program, what do_check has
    // processed when it stops at this one.
    let walked = 0;
    const mapPtrRegs = new Set<number>();
    const ctxRegs = new Set<number>([1]);
    let maxCtx = 0;
    for (let pc = 0; pc < dec.len; pc++) {
      const code = dec.code[pc]!;
      const dst = dec.dst[pc]!;
      const src = dec.src[pc]!;
      this.processed = ++walked;
      if (code === LD_IMM64) {
        ctxRegs.delete(dst);
        if (src === Pseudo.BPF_PSEUDO_MAP_FD || src === Pseudo.BPF_PSEUDO_MAP_IDX) mapPtrRegs.add(dst);
        else mapPtrRegs.delete(dst);
        pc++;
        continue;
      }
      if (code === CALL && src === 0) {
        const id = dec.imm[pc]!;
        if (id <= 0 || id >= BPF_FUNC_MAX_ID) return this.fail('LOAD-13', `invalid func unknown#${id}`, -Errno.EINVAL);
        const rule = HELPER_RULES.get(id);
        const name = `bpf_${HELPER_NAMES[id]}`;
        if (rule?.types && !rule.types.has(prog.type)) return this.fail('LOAD-13', `program of this type cannot use helper ${name}#${id}`, -Errno.EINVAL);
        if (rule?.sleepableOnly && !prog.sleepable) return this.fail('LOAD-13', 'helper call might sleep in a non-sleepable prog', -Errno.EINVAL);
      }
      if (code === CALL) {
        for (const r of [0, 1, 2, 3, 4, 5]) {
          mapPtrRegs.delete(r);
          ctxRegs.delete(r);
        }
        continue;
      }
      const cls = code & 0x07;
      const isMem = (code & 0xe0) === MODE_MEM || (code & 0xe0) === 0x80; // MEM or MEMSX
      if (cls === CLASS_LDX && isMem) {
        if (mapPtrRegs.has(src)) {
          // CAP-4: reading struct bpf_map needs allow_ptr_leaks (CAP_PERFMON or CAP_SYS_ADMIN).
          if (!bpfTokenCapable(this.ctx, 'CAP_PERFMON')) {
            return this.fail('CAP-4', "'struct bpf_map' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN", -Errno.EACCES);
          }
        }
        if (ctxRegs.has(src)) maxCtx = Math.max(maxCtx, dec.off[pc]! + (SIZE_BYTES[code & 0x18] ?? 8));
      } else if ((cls === CLASS_ST || cls === CLASS_STX) && (code & 0xe0) === MODE_MEM) {
        if (ctxRegs.has(dst)) maxCtx = Math.max(maxCtx, dec.off[pc]! + (SIZE_BYTES[code & 0x18] ?? 8));
      }
      // Register moves carry the pointer kinds; any other write to dst clears them.
      const writesDst = cls === CLASS_LDX || cls === 0x04 || cls === 0x07;
      if (writesDst) {
        const isMovReg = (cls === 0x07 || cls === 0x04) && (code & 0xf0) === 0xb0 && (code & 0x08) !== 0 && dec.off[pc] === 0;
        const fromMap = isMovReg && cls === 0x07 && mapPtrRegs.has(src);
        const fromCtx = isMovReg && cls === 0x07 && ctxRegs.has(src);
        mapPtrRegs.delete(dst);
        ctxRegs.delete(dst);
        if (fromMap) mapPtrRegs.add(dst);
        if (fromCtx) ctxRegs.add(dst);
      }
    }
    if (prog.type === ProgType.BPF_PROG_TYPE_SYSCALL) prog.maxCtxOffset = maxCtx;
    const walk = verifierPathWalk(dec);
    this.processed = walk.processed;
    if (walk.exitWithoutR0) return this.fail('LOAD-13', 'R0 !read_ok', -Errno.EACCES);
    return 0;
  }
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

function bpfCheck(l: LoadCtx): number {
  const { ctx } = l;
  const prog = l.prog!;
  // 1. bpf_vlog_init
  const log = VerifierLog.init(Number(l.attr.log_level ?? 0), l.attr.log_buf as bigint, Number(l.attr.log_size ?? 0));
  if (typeof log === 'number') return ctx.fail('LOAD-13', 'verifier log attributes', log);
  l.log = log;
  const c = new Check(l, prog, log);
  const err = runChecks(c);
  // print_verification_stats: the last line of every log, success or not. bpfsig does not model
  // verifier states, so the state counters are 0 (what the kernel prints for programs without
  // prune points; PINFO-5).
  c.verbose(`processed ${c.processed} insns (limit ${Limits.BPF_COMPLEXITY_LIMIT_INSNS}) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n`);
  prog.verifiedInsns = c.processed;
  const logErr = finalizeLog(l, log);
  const ret = err || logErr;
  if (ret) {
    for (const m of c.used) ctx.kernel.mapPut(m);
    if (!err) return ctx.fail('LOAD-13', 'verifier log', logErr);
    return ret;
  }
  prog.usedMaps = c.used;
  return 0;
}

function runChecks(c: Check): number {
  const { l, prog, ctx } = c;
  const k = ctx.kernel;
  // 2. process_fd_array: with fd_array_cnt every entry is taken into used_maps up front. In v6.18
  // the digest is not computed yet at this point (DIG-4 caveat), so an exclusive map listed here is
  // compared against an all-zero digest.
  const cnt = Number(l.attr.fd_array_cnt ?? 0);
  for (let i = 0; i < cnt; i++) {
    const fd = c.fdArrayEntry(i);
    if (typeof fd !== 'number') return c.fail('LOAD-13', fd.msg, fd.err);
    const f = ctx.proc.fds.get(fd);
    if (f?.kind === 'btf') continue; // a BTF in fd_array is a kfunc module BTF: not modelled beyond accepting it
    const m = c.resolveMap(fd);
    if (!('kaddr' in m)) return m.errno ?? -Errno.EINVAL;
  }
  // 3. BTF info (func_info, line_info, CO-RE relocations) and kfunc descriptors.
  const bi = checkBtfInfo(c.l, prog, (msg) => c.verbose(msg));
  if (bi) return bi;
  // 4. the digest, at the start of resolve_pseudo_ldimm64 (DIG-4).
  prog.digest = bpfProgCalcDigest(prog.insns, k.profile.digest);
  ctx.step('DIG-2', 'program digest', Buffer.from(prog.digest).toString('hex'));
  // 5. instructions, ld_imm64 resolution, exclusive maps.
  const dec = decodeProgram(prog.insns, {
    resolveLdImm64: (q) => c.resolveLdImm64(q),
    resolveKfunc: bindKfuncs(c.l, prog, (msg) => c.verbose(msg)),
  });
  if (!dec.ok) {
    const e = dec.error;
    if (!c.log.full.endsWith(e.message + '\n')) c.verbose(e.message + '\n');
    return ctx.fail(e.errno === -Errno.EACCES ? 'EXCL-4' : 'LOAD-13', e.message, e.errno);
  }
  prog.decoded = dec.program;
  prog.xlated = xlatedDump(prog.insns, c.dumpLdImm64);
  // 6. check_attach_btf_id: attach target, sleepable rule.
  const at = checkAttachTarget(c.l, prog, (msg) => c.verbose(msg));
  if (at) return at;
  // 7. calls, struct bpf_map reads, ctx extent.
  return c.checkCalls();
}

/**
 * The instructions after the verifier, as GET_INFO dumps them (bpf_insn_prepare_dump): resolved
 * ld_imm64s rewritten; everything else as submitted. bpfsig does not model the verifier's other
 * rewrites (helper call immediates, ctx access conversion, inlining): docs/fidelity.md, PINFO-4.
 */
function xlatedDump(insns: Uint8Array, ld: ReadonlyMap<number, readonly [number, number, number]>): Uint8Array {
  const out = insns.slice();
  const dv = new DataView(out.buffer);
  for (const [pc, [src, imm, next]] of ld) {
    out[pc * 8 + 1] = (out[pc * 8 + 1]! & 0x0f) | (src << 4);
    dv.setInt32(pc * 8 + 4, imm, true);
    dv.setInt32(pc * 8 + 12, next, true);
  }
  return out;
}

/**
 * env->insn_processed, as a walk of every path: a conditional jump explores both ways, a
 * bpf-to-bpf call enters the callee and its exit returns to the caller, an ld_imm64 counts once.
 * The walk also finds the one register-state error bpfsig models: an `exit` reached with R0 never
 * written on that path ("R0 !read_ok"). The kernel prunes paths whose state equals one it has
 * already verified, which bpfsig does not model: the count is the kernel's for programs where
 * nothing is pruned (straight-line code and simple branches, observed) and an upper bound
 * otherwise. A back edge (a loop) ends the walk of that path; the count is capped at the
 * complexity limit. spec: PINFO-5.
 */
function verifierPathWalk(dec: DecodedProgram<unknown>): { processed: number; exitWithoutR0: boolean } {
  const limit = Limits.BPF_COMPLEXITY_LIMIT_INSNS;
  let n = 0;
  const pending: { pc: number; ret: readonly number[]; r0: boolean }[] = [{ pc: 0, ret: [], r0: false }];
  while (pending.length && n < limit) {
    let { pc, ret, r0 } = pending.pop()!;
    while (pc >= 0 && pc < dec.len && n < limit) {
      n++;
      const code = dec.code[pc]!;
      const cls = code & 0x07;
      if (code === LD_IMM64) {
        if (dec.dst[pc] === 0) r0 = true;
        pc += 2;
        continue;
      }
      if (cls !== 0x05 && cls !== 0x06) {
        if ((cls === 0x04 || cls === 0x07 || cls === CLASS_LDX) && dec.dst[pc] === 0) r0 = true;
        pc++;
        continue;
      }
      const op = code & 0xf0;
      if (op === 0x90) {
        if (!r0) return { processed: n, exitWithoutR0: true };
        // exit: back to the caller (R0 is the callee's return value), or the end of this path
        if (!ret.length) break;
        pc = ret[ret.length - 1]!;
        ret = ret.slice(0, -1);
        continue;
      }
      if (op === 0x80) {
        if (dec.src[pc] === Pseudo.BPF_PSEUDO_CALL) {
          ret = [...ret, pc + 1];
          pc = pc + dec.imm[pc]! + 1;
          r0 = false;
        } else {
          r0 = true;
          pc++;
        }
        continue;
      }
      const target = pc + 1 + (op === 0x00 && cls === 0x06 ? dec.imm[pc]! : dec.off[pc]!);
      if (target <= pc) break; // a loop: not walked
      if (op === 0x00) {
        pc = target;
        continue;
      }
      pending.push({ pc: target, ret, r0 });
      pc++;
    }
  }
  return { processed: Math.min(n, limit), exitWithoutR0: false };
}

registerLoadStage({ id: 'LOAD-13', name: 'bpf_check (structural)', run: bpfCheck });
