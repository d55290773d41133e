// The kernel helpers a light-skeleton loader calls, run by the interpreter for BPF_PROG_TYPE_SYSCALL
// programs. spec: LSK-HELP-1 (ids and uses), LSK-HELP-3 (semantics), SYS-6 (bpf_sys_bpf: allowed
// commands, kernel pointers, kernel = true), VM-LDR-2, UAPI-CONST-10.

import { kernelHelperTable, KERNEL_HELPER_PROTOS, type HelperCall, type HelperResult, type HelperTable } from '../../vm/helpers.js';
import type { SyscallCtx } from '../context.js';
import { btfFindByNameKind } from '../kernel-btf/btf-find.js';
import { Errno } from '../errno.js';
import { PAGE_SIZE, TASK_SIZE } from '../memory.js';
import type { BpfMap } from '../objects/map.js';
import type { BpfProg } from '../objects/prog.js';
import { BpfCmd, MapType } from '../uapi/consts.js';

export interface ProgRunEnv {
  /** The syscall that runs the program (BPF_PROG_TEST_RUN): inner bpf() calls nest under it. */
  readonly ctx: SyscallCtx;
  readonly prog: BpfProg;
}

/** SYS-6: the commands bpf_sys_bpf passes on; anything else is -EINVAL. */
const SYS_BPF_COMMANDS: ReadonlySet<number> = new Set([
  BpfCmd.BPF_MAP_CREATE,
  BpfCmd.BPF_MAP_DELETE_ELEM,
  BpfCmd.BPF_MAP_UPDATE_ELEM,
  BpfCmd.BPF_MAP_FREEZE,
  BpfCmd.BPF_MAP_GET_FD_BY_ID,
  BpfCmd.BPF_PROG_LOAD,
  BpfCmd.BPF_BTF_LOAD,
  BpfCmd.BPF_LINK_CREATE,
  BpfCmd.BPF_RAW_TRACEPOINT_OPEN,
]);

const neg = (e: number): bigint => BigInt(-e);
const i32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** copy_from_kernel_nofault refuses user addresses (x86: below TASK_SIZE_MAX + PAGE_SIZE) with -ERANGE. */
function kernelRead(call: HelperCall<ProgRunEnv>, src: bigint, size: number): Uint8Array | number {
  if (src < TASK_SIZE + BigInt(PAGE_SIZE)) return -Errno.ERANGE;
  return call.mem.read(src, size) ?? -Errno.EFAULT;
}

/** bpf_sys_bpf(cmd, attr, attr_size): __sys_bpf with a kernel pointer. */
function sysBpf(call: HelperCall<ProgRunEnv>): HelperResult {
  const [cmdArg, attr, size] = call.args;
  const cmd = i32(cmdArg);
  if (!SYS_BPF_COMMANDS.has(cmd)) return neg(Errno.EINVAL);
  const { ctx } = call.env;
  const r = ctx.kernel.kernBpf(ctx, cmd, attr, Number(BigInt.asUintN(32, size)));
  if (r.unsupported) return { error: `inner bpf() not emulated: ${r.unsupported}` };
  return BigInt(r.ret);
}

/** bpf_sys_close(fd): close_fd in the calling process. */
function sysClose(call: HelperCall<ProgRunEnv>): HelperResult {
  const { ctx } = call.env;
  return BigInt(ctx.kernel.closeFd(ctx, i32(call.args[0])));
}

/** bpf_probe_read_kernel(dst, size, unsafe_ptr): on failure dst is zeroed and the error returned. */
function probeReadKernel(call: HelperCall<ProgRunEnv>): HelperResult {
  const [dst, sizeArg, src] = call.args;
  const size = Number(BigInt.asUintN(32, sizeArg));
  const got = kernelRead(call, src, size);
  const bytes = typeof got === 'number' ? new Uint8Array(size) : got;
  if (!call.mem.write(dst, bytes)) return { error: `bpf_probe_read_kernel: destination ${dst.toString(16)} not writable` };
  return typeof got === 'number' ? BigInt(got) : 0n;
}

/** bpf_copy_from_user(dst, size, user_ptr): on failure dst is zeroed and -EFAULT returned. */
function copyFromUser(call: HelperCall<ProgRunEnv>): HelperResult {
  const [dst, sizeArg, src] = call.args;
  const size = Number(BigInt.asUintN(32, sizeArg));
  const region = call.mem.regionAt(src);
  const got = region && region.kind === 'user' && src + BigInt(size) <= TASK_SIZE ? call.mem.read(src, size) : undefined;
  if (!call.mem.write(dst, got ?? new Uint8Array(size))) return { error: `bpf_copy_from_user: destination ${dst.toString(16)} not writable` };
  return got ? 0n : neg(Errno.EFAULT);
}

/** The NUL-terminated name the two lookup helpers take: name_sz includes the NUL. */
function readName(call: HelperCall<ProgRunEnv>, ptr: bigint, nameSz: number): string | undefined {
  if (nameSz <= 1) return undefined;
  const b = call.mem.read(ptr, nameSz);
  if (!b || b[nameSz - 1] !== 0) return undefined;
  const nul = b.indexOf(0);
  return Buffer.from(b.subarray(0, nul)).toString('latin1');
}

/** bpf_btf_find_by_name_kind(name, name_sz, kind, flags): the vmlinux type id, or -errno (LSK-HELP-1). */
function btfFindByNameKindHelper(call: HelperCall<ProgRunEnv>): HelperResult {
  const [namePtr, nameSz, kind, flags] = call.args;
  const size = Number(BigInt.asUintN(32, nameSz));
  // The verifier made sure name_sz bytes are readable (ARG_CONST_SIZE); a fault here is ours to report.
  const name = size ? call.mem.read(namePtr, size) : new Uint8Array(0);
  if (!name) return { error: `bpf_btf_find_by_name_kind: name ${namePtr.toString(16)} (${size} bytes) not readable` };
  return btfFindByNameKind(call.env.ctx.kernel.vmlinuxBtf()?.model, name, kind, flags);
}

/** bpf_kallsyms_lookup_name(name, name_sz, flags, res): *res = the address, or -errno. */
function kallsymsLookupName(call: HelperCall<ProgRunEnv>): HelperResult {
  const [namePtr, nameSz, flags, res] = call.args;
  if (flags) return neg(Errno.EINVAL);
  const name = readName(call, namePtr, Number(BigInt.asUintN(32, nameSz)));
  if (name === undefined) return neg(Errno.EINVAL);
  const addr = call.env.ctx.kernel.kallsyms.lookup(name);
  if (addr === undefined) return neg(Errno.ENOENT);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, addr, true);
  if (!call.mem.write(res, out)) return { error: `bpf_kallsyms_lookup_name: result pointer ${res.toString(16)} not writable` };
  return 0n;
}

/** bpf_trace_printk(fmt, fmt_size, …): the formatted line goes to the kernel's trace pipe. */
function tracePrintk(call: HelperCall<ProgRunEnv>): HelperResult {
  const [fmt, fmtSize, a1, a2, a3] = call.args;
  const raw = call.mem.read(fmt, Number(BigInt.asUintN(32, fmtSize)));
  if (!raw) return neg(Errno.EFAULT);
  const nul = raw.indexOf(0);
  if (nul < 0) return neg(Errno.EINVAL);
  const args = [a1, a2, a3];
  let i = 0;
  const text = Buffer.from(raw.subarray(0, nul))
    .toString('latin1')
    .replace(/%(l{0,2})([dusxp%])/g, (_m, _l: string, c: string) => {
      if (c === '%') return '%';
      const v = args[i++] ?? 0n;
      if (c === 'd') return BigInt.asIntN(_l ? 64 : 32, v).toString();
      if (c === 'u') return BigInt.asUintN(_l ? 64 : 32, v).toString();
      if (c === 'x' || c === 'p') return BigInt.asUintN(64, v).toString(16);
      return '';
    });
  call.env.ctx.kernel.tracePipe.push(text);
  return BigInt(text.length);
}

/** The map a program passes as ARG_CONST_MAP_PTR: one of the maps it was loaded with. */
function mapArg(call: HelperCall<ProgRunEnv>, addr: bigint): BpfMap | { error: string } {
  const m = call.env.prog.usedMaps.find((x) => x.kaddr === addr);
  return m ?? { error: `${call.proto.name}: ${addr.toString(16)} is not a map the program uses` };
}

/** Bytes the verifier guaranteed readable (a key, a value). */
function memArg(call: HelperCall<ProgRunEnv>, addr: bigint, len: number, what: string): Uint8Array | { error: string } {
  return call.mem.read(addr, len) ?? { error: `${call.proto.name}: ${what} at ${addr.toString(16)} (${len} bytes) not readable` };
}

/** The CPU programs run on: bpfsig runs everything on CPU 0. */
const CPU = 0;

/** bpf_map_lookup_elem(map, key): the value's address or NULL (LRU maps set the reference bit). */
function mapLookupElem(call: HelperCall<ProgRunEnv>): HelperResult {
  const m = mapArg(call, call.args[0]);
  if ('error' in m) return m;
  const key = memArg(call, call.args[1], m.keySize, 'key');
  if ('error' in key) return key;
  return m.progLookup ? m.progLookup(key, CPU) : { error: `bpf_map_lookup_elem on ${m.typeName}: not emulated` };
}

function mapUpdateElem(call: HelperCall<ProgRunEnv>): HelperResult {
  const m = mapArg(call, call.args[0]);
  if ('error' in m) return m;
  const key = memArg(call, call.args[1], m.keySize, 'key');
  if ('error' in key) return key;
  const value = memArg(call, call.args[2], m.valueSize, 'value');
  if ('error' in value) return value;
  return m.progUpdate ? BigInt(m.progUpdate(key, value, call.args[3], CPU)) : { error: `bpf_map_update_elem on ${m.typeName}: not emulated` };
}

function mapDeleteElem(call: HelperCall<ProgRunEnv>): HelperResult {
  const m = mapArg(call, call.args[0]);
  if ('error' in m) return m;
  const key = memArg(call, call.args[1], m.keySize, 'key');
  if ('error' in key) return key;
  return m.progDelete ? BigInt(m.progDelete(key, CPU)) : { error: `bpf_map_delete_elem on ${m.typeName}: not emulated` };
}

function mapPushElem(call: HelperCall<ProgRunEnv>): HelperResult {
  const m = mapArg(call, call.args[0]);
  if ('error' in m) return m;
  const value = memArg(call, call.args[1], m.valueSize, 'value');
  if ('error' in value) return value;
  return m.push ? BigInt(m.push(value, call.args[2])) : { error: `bpf_map_push_elem on ${m.typeName}: not emulated` };
}

/** bpf_map_pop_elem / bpf_map_peek_elem: the value into the program's buffer (zeroed when empty). */
function mapPopPeek(call: HelperCall<ProgRunEnv>, pop: boolean): HelperResult {
  const m = mapArg(call, call.args[0]);
  if ('error' in m) return m;
  const fn = pop ? m.pop : m.peek;
  if (!fn) return { error: `${call.proto.name} on ${m.typeName}: not emulated` };
  if (m.mapType === MapType.BPF_MAP_TYPE_BLOOM_FILTER && !pop) {
    const v = memArg(call, call.args[1], m.valueSize, 'value');
    if ('error' in v) return v;
    const r = m.peek!(v);
    return typeof r === 'number' ? BigInt(r) : 0n;
  }
  const r = fn.call(m);
  const out = typeof r === 'number' ? new Uint8Array(m.valueSize) : r;
  if (!call.mem.write(call.args[1], out)) return { error: `${call.proto.name}: value buffer not writable` };
  return typeof r === 'number' ? BigInt(r) : 0n;
}

let TABLE: HelperTable<ProgRunEnv> | undefined;

/** The kernel helper table for SYSCALL programs (built once). */
export function syscallProgHelpers(): HelperTable<ProgRunEnv> {
  if (TABLE) return TABLE;
  const P = KERNEL_HELPER_PROTOS;
  TABLE = kernelHelperTable<ProgRunEnv>()
    .register(P.sys_bpf, sysBpf)
    .register(P.sys_close, sysClose)
    .register(P.probe_read_kernel, probeReadKernel)
    .register(P.copy_from_user, copyFromUser)
    .register(P.btf_find_by_name_kind, btfFindByNameKindHelper)
    .register(P.kallsyms_lookup_name, kallsymsLookupName)
    .register(P.trace_printk, tracePrintk)
    .register(P.map_lookup_elem, mapLookupElem)
    .register(P.map_update_elem, mapUpdateElem)
    .register(P.map_delete_elem, mapDeleteElem)
    .register(P.map_push_elem, mapPushElem)
    .register(P.map_pop_elem, (c) => mapPopPeek(c, true))
    .register(P.map_peek_elem, (c) => mapPopPeek(c, false))
    .register(P.get_smp_processor_id, () => BigInt(CPU));
  return TABLE;
}
