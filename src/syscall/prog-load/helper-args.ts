// Helper argument and return types (the bpf_func_proto arg*_type / ret_type of each helper) and the
// first checks check_func_arg makes with them: the register was written (check_reg_arg:
// "R%d !read_ok"), then its type is one the argument type accepts (check_reg_type: "R%d type=%s
// expected=%s, %s…", EACCES). spec: LOAD-13. CONFIRMED by source reading (kernel/bpf/verifier.c
// compatible_reg_types, the protos in kernel/bpf/helpers.c, kernel/trace/bpf_trace.c,
// kernel/bpf/ringbuf.c, kernel/bpf/syscall.c); the message for a ctx passed as memory is OBSERVED
// on this machine's 6.18.44 kernel (prog_load_basic.json#sf_gpl_only_helper_gpl_no_args).
//
// Only helpers in HELPER_PROTOS are typed; a call to any other helper checks nothing here and
// returns a value of unknown type. What check_func_arg does after the type (offsets, sizes,
// initialised stack, map key and value bounds, reference tracking) is not modelled.

import type { RegValue } from './verifier-text.js';

/** The argument types used below (enum bpf_arg_type, base type plus the flags that matter here). */
export type ArgType =
  | 'anything'
  | 'const_map_ptr'
  | 'map_key'
  | 'map_value'
  | 'mem' // ARG_PTR_TO_MEM (with or without MEM_RDONLY / MEM_UNINIT)
  | 'mem_or_null'
  | 'const_size'
  | 'const_size_or_zero'
  | 'ctx'
  | 'func'
  | 'stack_or_null'
  | 'const_str'
  | 'ringbuf_mem';

/** What a helper returns (ret_type), as far as typing later instructions goes. */
export type RetType = 'integer' | 'map_value_or_null' | 'ringbuf_mem_or_null' | 'unknown';

export interface HelperProtoTypes {
  readonly args: readonly ArgType[];
  readonly ret: RetType;
}

const P = (ret: RetType, ...args: ArgType[]): HelperProtoTypes => ({ args, ret });
const probeRead = P('integer', 'mem', 'const_size_or_zero', 'anything');

/** Protos of the helpers the fixtures, the examples, light-skeleton loaders and common objects call. */
export const HELPER_PROTOS: ReadonlyMap<number, HelperProtoTypes> = new Map([
  [1, P('map_value_or_null', 'const_map_ptr', 'map_key')], // map_lookup_elem
  [2, P('integer', 'const_map_ptr', 'map_key', 'map_value', 'anything')], // map_update_elem
  [3, P('integer', 'const_map_ptr', 'map_key')], // map_delete_elem
  [4, probeRead], // probe_read
  [5, P('integer')], // ktime_get_ns
  [6, P('integer', 'mem', 'const_size')], // trace_printk
  [7, P('integer')], // get_prandom_u32
  [8, P('integer')], // get_smp_processor_id
  [12, P('integer', 'ctx', 'const_map_ptr', 'anything')], // tail_call
  [14, P('integer')], // get_current_pid_tgid
  [15, P('integer')], // get_current_uid_gid
  [16, P('integer', 'mem', 'const_size')], // get_current_comm
  [25, P('integer', 'ctx', 'const_map_ptr', 'anything', 'mem', 'const_size_or_zero')], // perf_event_output
  [27, P('integer', 'ctx', 'const_map_ptr', 'anything')], // get_stackid
  [35, P('integer')], // get_current_task
  [45, probeRead], // probe_read_str
  [87, P('integer', 'const_map_ptr', 'map_value', 'anything')], // map_push_elem
  [88, P('integer', 'const_map_ptr', 'map_value')], // map_pop_elem
  [89, P('integer', 'const_map_ptr', 'map_value')], // map_peek_elem
  [112, probeRead], // probe_read_user
  [113, probeRead], // probe_read_kernel
  [114, probeRead], // probe_read_user_str
  [115, probeRead], // probe_read_kernel_str
  [118, P('integer')], // jiffies64
  [125, P('integer')], // ktime_get_boot_ns
  [130, P('integer', 'const_map_ptr', 'mem', 'const_size_or_zero', 'anything')], // ringbuf_output
  [131, P('ringbuf_mem_or_null', 'const_map_ptr', 'const_size_or_zero', 'anything')], // ringbuf_reserve
  [132, P('unknown', 'ringbuf_mem', 'anything')], // ringbuf_submit (void)
  [133, P('unknown', 'ringbuf_mem', 'anything')], // ringbuf_discard (void)
  [148, probeRead], // copy_from_user
  [165, P('integer', 'mem_or_null', 'const_size_or_zero', 'const_str', 'mem_or_null', 'const_size_or_zero')], // snprintf
  [166, P('integer', 'anything', 'mem', 'const_size')], // sys_bpf
  [167, P('integer', 'mem', 'const_size', 'anything', 'anything')], // btf_find_by_name_kind
  [168, P('integer', 'anything')], // sys_close
  [179, P('integer', 'mem', 'const_size_or_zero', 'anything', 'mem')], // kallsyms_lookup_name
  [181, P('integer', 'anything', 'func', 'stack_or_null', 'anything')], // loop
  [182, P('integer', 'mem', 'const_size', 'const_str')], // strncmp
]);

/** reg_type_str of the register types the compatible lists name, in the kernel's order. */
const MEM_TYPES = ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'];
const COMPATIBLE: Record<ArgType, readonly string[] | null> = {
  anything: null,
  const_map_ptr: ['map_ptr'],
  map_key: MEM_TYPES,
  map_value: MEM_TYPES,
  mem: MEM_TYPES,
  mem_or_null: MEM_TYPES,
  const_size: ['scalar'],
  const_size_or_zero: ['scalar'],
  ctx: ['ctx'],
  func: ['func'],
  stack_or_null: ['fp'],
  const_str: ['map_value'],
  ringbuf_mem: ['ringbuf_mem'],
};
const MAYBE_NULL: ReadonlySet<ArgType> = new Set(['mem_or_null', 'stack_or_null']);

/**
 * The register type a value has, as reg_type_str prints it; undefined when bpfsig does not know it
 * (a load from memory, a helper result it does not type): such a register passes every check.
 */
export function regTypeStr(v: RegValue): string | undefined {
  switch (v.kind) {
    case 'const':
      return 'scalar';
    case 'scalar':
      return v.maybePtr ? undefined : 'scalar';
    case 'ctx':
      return 'ctx';
    case 'fp':
      return 'fp';
    case 'map_ptr':
      return 'map_ptr';
    case 'map_value':
      return 'map_value';
    case 'map_value_or_null':
      return 'map_value_or_null';
    case 'ringbuf_mem':
      return 'ringbuf_mem';
    case 'ringbuf_mem_or_null':
      return 'ringbuf_mem_or_null';
    case 'func':
      return 'func';
  }
}

/**
 * check_func_arg's register checks for argument `arg` (0-based) of a typed helper. Returns the
 * verifier's message (EACCES) or undefined.
 */
export function checkFuncArg(proto: HelperProtoTypes, arg: number, reg: RegValue | undefined): string | undefined {
  const t = proto.args[arg];
  if (!t) return undefined;
  const regno = arg + 1;
  if (!reg) return `R${regno} !read_ok`;
  const allowed = COMPATIBLE[t];
  if (!allowed) return undefined;
  // A NULL (the constant 0) is a scalar: fine where the argument may be NULL.
  if (reg.kind === 'const' && reg.value === 0n && MAYBE_NULL.has(t)) return undefined;
  const got = regTypeStr(reg);
  if (got === undefined || allowed.includes(got)) return undefined;
  return `R${regno} type=${got} expected=${allowed.join(', ')}`;
}
