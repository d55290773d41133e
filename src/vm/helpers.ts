// Helper functions: registered by id, with a typed signature so a trace can print a call the way a
// reader expects (`bpf_sys_bpf(cmd=0, attr=0xffff888100004000, size=72) = 4`).
//
// Two namespaces that are never merged (VM-EXEC-4): the conformance test helpers of uBPF
// (ids 0-5, VM-EXEC-2) and the kernel helpers the light-skeleton loader calls (VM-LDR-2,
// LSK-HELP-1, UAPI-CONST-10). The kernel table starts empty: the syscall layer fills it.

import type { AddressSpace, Region } from '../abi/memory.js';
import { hex } from '../abi/memory.js';

/** How an argument is shown in traces. */
export type HelperArgKind =
  | 'int' // signed 64-bit decimal
  | 'u32' // low 32 bits, unsigned decimal
  | 's32' // low 32 bits, signed decimal (an int cmd, an fd)
  | 'size' // unsigned decimal
  | 'ptr' // hex address
  | 'flags'; // hex

export type HelperRetKind = 'int' | 'ptr' | 'u64';

export interface HelperArg {
  readonly name: string;
  readonly kind: HelperArgKind;
}

export interface HelperProto {
  readonly id: number;
  readonly name: string;
  /** At most 5 arguments (r1..r5). */
  readonly args: readonly HelperArg[];
  readonly ret: HelperRetKind;
  /**
   * uBPF's "unwind" extension (`ubpf_set_unwind_function_index`): when this helper returns 0 the
   * whole program stops with r0 = 0. Only the conformance helper 5 has it (VM-EXEC-2).
   */
  readonly unwindOnZero?: boolean;
}

/** Memory as a helper sees it: the run's address space, with accessors that report faults as values. */
export interface HelperMemory {
  readonly space: AddressSpace;
  /** Copy of len bytes at addr, or undefined when any byte is not mapped. */
  read(addr: bigint, len: number): Uint8Array | undefined;
  /** Write bytes; false when the range is unmapped or read-only. */
  write(addr: bigint, data: Uint8Array): boolean;
  /** The region holding addr, if any (lets a helper tell user from kernel memory). */
  regionAt(addr: bigint): Region | undefined;
  /** Bytes of the NUL-terminated string at addr (without the NUL), reading at most max bytes. */
  readCString(addr: bigint, max: number): Uint8Array | undefined;
}

export interface HelperCall<Env> {
  /** r1..r5 as unsigned 64-bit values. */
  readonly args: readonly [bigint, bigint, bigint, bigint, bigint];
  readonly mem: HelperMemory;
  readonly env: Env;
  readonly pc: number;
  readonly proto: HelperProto;
}

/** r0 (any bigint; it is truncated to 64 bits), or an error that stops the program (kind 'helper'). */
export type HelperResult = bigint | { readonly error: string };

export type HelperImpl<Env> = (call: HelperCall<Env>) => HelperResult;

export interface HelperEntry<Env> {
  readonly proto: HelperProto;
  readonly impl: HelperImpl<Env>;
}

/** Observer for helper and kfunc calls (the syscall layer puts them in its trace). */
export interface HelperCallEvent {
  readonly pc: number;
  readonly via: 'helper' | 'kfunc' | 'callx';
  readonly proto: HelperProto;
  readonly args: readonly bigint[];
}

export interface HelperObserver {
  before?(event: HelperCallEvent): void;
  after?(event: HelperCallEvent, ret: bigint): void;
}

/** A helper table for one namespace. Ids are unique within a table. */
export class HelperTable<Env = unknown> {
  private readonly byId = new Map<number, HelperEntry<Env>>();

  constructor(readonly namespace: string) {}

  register(proto: HelperProto, impl: HelperImpl<Env>): this {
    if (proto.args.length > 5) throw new RangeError(`helper ${proto.name}: at most 5 arguments`);
    if (this.byId.has(proto.id)) {
      throw new RangeError(`helper id ${proto.id} is already registered in the ${this.namespace} table`);
    }
    this.byId.set(proto.id, { proto, impl });
    return this;
  }

  get(id: number): HelperEntry<Env> | undefined {
    return this.byId.get(id);
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  protos(): HelperProto[] {
    return [...this.byId.values()].map((e) => e.proto).sort((a, b) => a.id - b.id);
  }
}

function formatArg(kind: HelperArgKind, v: bigint): string {
  const u = BigInt.asUintN(64, v);
  switch (kind) {
    case 'int':
      return BigInt.asIntN(64, u).toString();
    case 'u32':
      return BigInt.asUintN(32, u).toString();
    case 's32':
      return BigInt.asIntN(32, u).toString();
    case 'size':
      return u.toString();
    case 'ptr':
    case 'flags':
      return hex(u);
  }
}

function formatRet(kind: HelperRetKind, v: bigint): string {
  const u = BigInt.asUintN(64, v);
  return kind === 'int' ? BigInt.asIntN(64, u).toString() : hex(u);
}

/** `name(a=1, p=0x…)` or, with a return value, `name(a=1, p=0x…) = r`. */
export function formatHelperCall(proto: HelperProto, args: readonly bigint[], ret?: bigint): string {
  const shown = proto.args.map((a, i) => `${a.name}=${formatArg(a.kind, args[i] ?? 0n)}`).join(', ');
  const call = `${proto.name}(${shown})`;
  return ret === undefined ? call : `${call} = ${formatRet(proto.ret, ret)}`;
}

/** Build the HelperMemory view of an address space. */
export function helperMemory(space: AddressSpace): HelperMemory {
  return {
    space,
    read: (addr, len) => space.read(BigInt.asUintN(64, addr), len),
    write: (addr, data) => space.write(BigInt.asUintN(64, addr), data),
    regionAt: (addr) => space.findBig(BigInt.asUintN(64, addr)),
    readCString(addr, max) {
      const a = BigInt.asUintN(64, addr);
      const r = space.resolve(a, 1);
      if (!r) return undefined;
      const end = Math.min(r.region.size, r.offset + max);
      const bytes = r.region.bytes;
      for (let i = r.offset; i < end; i++) {
        if (bytes[i] === 0) return bytes.slice(r.offset, i);
      }
      return undefined; // no NUL inside the region (or within max bytes)
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Kernel helper prototypes (VM-LDR-2, LSK-HELP-1, UAPI-CONST-10). Names and argument lists follow
// include/uapi/linux/bpf.h; implementations belong to the syscall layer.

export const BPF_FUNC_map_lookup_elem = 1;
export const BPF_FUNC_map_update_elem = 2;
export const BPF_FUNC_map_delete_elem = 3;
export const BPF_FUNC_trace_printk = 6;
export const BPF_FUNC_get_smp_processor_id = 8;
export const BPF_FUNC_map_push_elem = 87;
export const BPF_FUNC_map_pop_elem = 88;
export const BPF_FUNC_map_peek_elem = 89;
export const BPF_FUNC_probe_read_kernel = 113;
export const BPF_FUNC_copy_from_user = 148;
export const BPF_FUNC_sys_bpf = 166;
export const BPF_FUNC_btf_find_by_name_kind = 167;
export const BPF_FUNC_sys_close = 168;
export const BPF_FUNC_kallsyms_lookup_name = 179;

export const KERNEL_HELPER_PROTOS = {
  map_lookup_elem: {
    id: BPF_FUNC_map_lookup_elem,
    name: 'bpf_map_lookup_elem',
    args: [
      { name: 'map', kind: 'ptr' },
      { name: 'key', kind: 'ptr' },
    ],
    ret: 'ptr',
  },
  map_update_elem: {
    id: BPF_FUNC_map_update_elem,
    name: 'bpf_map_update_elem',
    args: [
      { name: 'map', kind: 'ptr' },
      { name: 'key', kind: 'ptr' },
      { name: 'value', kind: 'ptr' },
      { name: 'flags', kind: 'flags' },
    ],
    ret: 'int',
  },
  map_delete_elem: {
    id: BPF_FUNC_map_delete_elem,
    name: 'bpf_map_delete_elem',
    args: [
      { name: 'map', kind: 'ptr' },
      { name: 'key', kind: 'ptr' },
    ],
    ret: 'int',
  },
  get_smp_processor_id: { id: BPF_FUNC_get_smp_processor_id, name: 'bpf_get_smp_processor_id', args: [], ret: 'int' },
  map_push_elem: {
    id: BPF_FUNC_map_push_elem,
    name: 'bpf_map_push_elem',
    args: [
      { name: 'map', kind: 'ptr' },
      { name: 'value', kind: 'ptr' },
      { name: 'flags', kind: 'flags' },
    ],
    ret: 'int',
  },
  map_pop_elem: {
    id: BPF_FUNC_map_pop_elem,
    name: 'bpf_map_pop_elem',
    args: [
      { name: 'map', kind: 'ptr' },
      { name: 'value', kind: 'ptr' },
    ],
    ret: 'int',
  },
  map_peek_elem: {
    id: BPF_FUNC_map_peek_elem,
    name: 'bpf_map_peek_elem',
    args: [
      { name: 'map', kind: 'ptr' },
      { name: 'value', kind: 'ptr' },
    ],
    ret: 'int',
  },
  trace_printk: {
    id: BPF_FUNC_trace_printk,
    name: 'bpf_trace_printk',
    args: [
      { name: 'fmt', kind: 'ptr' },
      { name: 'fmt_size', kind: 'u32' },
      { name: 'arg1', kind: 'int' },
      { name: 'arg2', kind: 'int' },
      { name: 'arg3', kind: 'int' },
    ],
    ret: 'int',
  },
  probe_read_kernel: {
    id: BPF_FUNC_probe_read_kernel,
    name: 'bpf_probe_read_kernel',
    args: [
      { name: 'dst', kind: 'ptr' },
      { name: 'size', kind: 'u32' },
      { name: 'unsafe_ptr', kind: 'ptr' },
    ],
    ret: 'int',
  },
  copy_from_user: {
    id: BPF_FUNC_copy_from_user,
    name: 'bpf_copy_from_user',
    args: [
      { name: 'dst', kind: 'ptr' },
      { name: 'size', kind: 'u32' },
      { name: 'user_ptr', kind: 'ptr' },
    ],
    ret: 'int',
  },
  sys_bpf: {
    id: BPF_FUNC_sys_bpf,
    name: 'bpf_sys_bpf',
    args: [
      { name: 'cmd', kind: 's32' },
      { name: 'attr', kind: 'ptr' },
      { name: 'size', kind: 'u32' },
    ],
    ret: 'int',
  },
  btf_find_by_name_kind: {
    id: BPF_FUNC_btf_find_by_name_kind,
    name: 'bpf_btf_find_by_name_kind',
    args: [
      { name: 'name', kind: 'ptr' },
      { name: 'name_sz', kind: 's32' },
      { name: 'kind', kind: 'u32' },
      { name: 'flags', kind: 'flags' },
    ],
    ret: 'int',
  },
  sys_close: {
    id: BPF_FUNC_sys_close,
    name: 'bpf_sys_close',
    args: [{ name: 'fd', kind: 's32' }],
    ret: 'int',
  },
  kallsyms_lookup_name: {
    id: BPF_FUNC_kallsyms_lookup_name,
    name: 'bpf_kallsyms_lookup_name',
    args: [
      { name: 'name', kind: 'ptr' },
      { name: 'name_sz', kind: 's32' },
      { name: 'flags', kind: 'flags' },
      { name: 'res', kind: 'ptr' },
    ],
    ret: 'int',
  },
} as const satisfies Record<string, HelperProto>;

/**
 * An empty kernel helper table (namespace 'kernel'). The syscall layer registers the helpers of
 * KERNEL_HELPER_PROTOS with their implementations; a loader calling a helper that is not
 * registered stops with 'unknown_helper'.
 */
export function kernelHelperTable<Env>(): HelperTable<Env> {
  return new HelperTable<Env>('kernel');
}

// ---------------------------------------------------------------------------------------------
// Conformance helpers (VM-EXEC-2): the semantics of uBPF's ubpf_plugin/test_helpers.h.

export const CONFORMANCE_HELPER_PROTOS = {
  gather_bytes: {
    id: 0,
    name: 'gather_bytes',
    args: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, kind: 'int' as const })),
    ret: 'u64',
  },
  memfrob: {
    id: 1,
    name: 'memfrob',
    args: [
      { name: 'p', kind: 'ptr' },
      { name: 'n', kind: 'size' },
    ],
    ret: 'u64',
  },
  no_op: { id: 2, name: 'no_op', args: [], ret: 'u64' },
  sqrti: { id: 3, name: 'sqrti', args: [{ name: 'a', kind: 'size' }], ret: 'u64' },
  strcmp_ext: {
    id: 4,
    name: 'strcmp_ext',
    args: [
      { name: 'a', kind: 'ptr' },
      { name: 'b', kind: 'ptr' },
    ],
    ret: 'int',
  },
  unwind: { id: 5, name: 'unwind', args: [{ name: 'a', kind: 'int' }], ret: 'u64', unwindOnZero: true },
} as const satisfies Record<string, HelperProto>;

/** Longest string strcmp_ext will scan before giving up (our bound; uBPF has none). */
const STRCMP_MAX = 1 << 20;

/** The conformance helper table: ids 0-5 with uBPF test_helpers.h semantics (VM-EXEC-2). */
export function conformanceHelperTable<Env = unknown>(): HelperTable<Env> {
  const P = CONFORMANCE_HELPER_PROTOS;
  const t = new HelperTable<Env>('conformance');
  t.register(P.gather_bytes, ({ args: [a, b, c, d, e] }) => {
    const byte = (v: bigint): bigint => v & 0xffn;
    return (byte(a) << 32n) | (byte(b) << 24n) | (byte(c) << 16n) | (byte(d) << 8n) | byte(e);
  });
  t.register(P.memfrob, ({ args: [p, n], mem }) => {
    if (n === 0n) return 0n;
    if (n > 0xffff_ffffn) return { error: `memfrob: length ${n} is too large` };
    const bytes = mem.read(p, Number(n));
    if (!bytes) return { error: `memfrob: cannot read ${n} bytes at ${hex(p)}` };
    for (let i = 0; i < bytes.length; i++) bytes[i]! ^= 42;
    if (!mem.write(p, bytes)) return { error: `memfrob: cannot write ${n} bytes at ${hex(p)}` };
    return 0n;
  });
  t.register(P.no_op, () => 0n);
  t.register(P.sqrti, ({ args: [a] }) => BigInt(Math.trunc(Math.sqrt(Number(a)))));
  t.register(P.strcmp_ext, ({ args: [a, b], mem }) => {
    const sa = mem.readCString(a, STRCMP_MAX);
    const sb = mem.readCString(b, STRCMP_MAX);
    if (!sa || !sb) return { error: `strcmp_ext: unreadable string at ${hex(sa ? b : a)}` };
    const n = Math.min(sa.length, sb.length);
    for (let i = 0; i < n; i++) if (sa[i] !== sb[i]) return BigInt(sa[i]! - sb[i]!);
    return BigInt(sa.length > n ? sa[n]! : sb.length > n ? -sb[n]! : 0);
  });
  t.register(P.unwind, ({ args: [a] }) => a);
  return t;
}
