// BPF_MAP_CREATE: map_create() in the v6.18 step order.
// spec: MC-1..16, EXCL-1/2, CAP-6, SYS-7/V617-2 (on v6.17 excl_prog_hash lies past LAST_FIELD).
// Also OBSERVED on this machine's 6.18.44 kernel: map_ifindex (offload) → EOPNOTSUPP,
// map_token_fd without BPF_F_TOKEN_FD is ignored, BPF_F_TOKEN_FD with a non-token fd → EINVAL.

import { checkAttrFails } from '../attr.js';
import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import { O_CLOEXEC, O_RDONLY, O_RDWR, O_WRONLY, OpenFile, fmodeFor } from '../file.js';
import type { BpfMap, MapAttr, MapEnv } from '../objects/map.js';
import { bpfMapMetaAlloc } from '../objects/map_in_map.js';
import type { BpfProg } from '../objects/prog.js';
import { bpfProgPut } from '../prog-load/prog-fd.js';
import type { Btf } from '../objects/btf.js';
import { MAP_TYPES } from '../objects/map-types.js';
import { NotEmulated } from '../result.js';
import { bpfTokenCapable, capable, securityBpfMap, securityBpfMapCreate } from '../security.js';
import type { BpfPtr } from '../uaccess.js';
import { copyFromBpfPtr } from '../uaccess.js';
import { BpfCmd, Limits, MapFlag, MapType, mapTypeName } from '../uapi/consts.js';
import { btfGetByFd } from './fdget.js';

const NUMA_NO_NODE = -1;
/** nr_node_ids on the emulated machine: one NUMA node. */
const NR_NODE_IDS = 1;

/** bpf_get_file_flag(map_flags) */
export function bpfGetFileFlag(flags: number): number {
  if (flags & MapFlag.BPF_F_RDONLY && flags & MapFlag.BPF_F_WRONLY) return -Errno.EINVAL;
  if (flags & MapFlag.BPF_F_RDONLY) return O_RDONLY;
  if (flags & MapFlag.BPF_F_WRONLY) return O_WRONLY;
  return O_RDWR;
}

/** The bytes bpf_obj_name_cpy accepts in a name: A-Z, a-z, 0-9, '_' and '.' (1 in this table). */
const NAME_CHARS = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = /[A-Za-z0-9_.]/.test(String.fromCharCode(c)) ? 1 : 0;
  return t;
})();

/** bpf_obj_name_cpy: letters, digits, '_' and '.', NUL within 16 bytes. */
export function bpfObjNameCpy(raw: Uint8Array): string | number {
  for (let i = 0; i < Limits.BPF_OBJ_NAME_LEN; i++) {
    const c = raw[i]!;
    if (c === 0) {
      let name = '';
      for (let j = 0; j < i; j++) name += String.fromCharCode(raw[j]!);
      return name;
    }
    if (!NAME_CHARS[c]) return -Errno.EINVAL;
  }
  return -Errno.EINVAL; // no NUL in BPF_OBJ_NAME_LEN bytes
}

/** OPEN_FMODE(flags): the fmode bits security_bpf_map sees. */
const openFmode = (flags: number): number => (flags + 1) & 3;

/**
 * map_check_btf: a key type must have the map's key size (a keyless BTF needs the type's own
 * map_check_btf), the value type the value size, then the type's map_check_btf. MC-12
 */
function mapCheckBtf(map: BpfMap, btf: Btf, keyId: number, valueId: number): number {
  if (keyId) {
    const keySize = btf.resolveSize(keyId);
    if (keySize === undefined || keySize !== map.keySize) return -Errno.EINVAL;
  } else if (!map.checkBtf) {
    return -Errno.EINVAL;
  }
  const valueSize = btf.resolveSize(valueId);
  if (valueSize === undefined || valueSize !== map.valueSize) return -Errno.EINVAL;
  return map.checkBtf ? map.checkBtf(btf, keyId, valueId) : 0;
}

export function mapCreate(ctx: SyscallCtx, attrBytes: Uint8Array, uattr: BpfPtr): number {
  const k = ctx.kernel;
  const a = ctx.attrOf(BpfCmd.BPF_MAP_CREATE);

  // MC-1 / SYS-4: on v6.17 a non-zero excl_prog_hash lies past LAST_FIELD (V617-2, SYS-7).
  if (checkAttrFails(BpfCmd.BPF_MAP_CREATE, attrBytes, k.profile)) return ctx.fail('MC-1', 'CHECK_ATTR(BPF_MAP_CREATE)', -Errno.EINVAL);

  // MC-2: remember and clear BPF_F_TOKEN_FD.
  const tokenFlag = (a.map_flags & MapFlag.BPF_F_TOKEN_FD) !== 0;
  const mapFlags = a.map_flags & ~MapFlag.BPF_F_TOKEN_FD;
  const mapType = a.map_type;

  // MC-3
  if (a.btf_vmlinux_value_type_id) {
    if (mapType !== MapType.BPF_MAP_TYPE_STRUCT_OPS || a.btf_key_type_id || a.btf_value_type_id) {
      return ctx.fail('MC-3', 'btf_vmlinux_value_type_id only for STRUCT_OPS', -Errno.EINVAL);
    }
  } else if (a.btf_key_type_id && !a.btf_value_type_id) {
    return ctx.fail('MC-3', 'btf_key_type_id without btf_value_type_id', -Errno.EINVAL);
  }
  // MC-4
  if (mapType !== MapType.BPF_MAP_TYPE_BLOOM_FILTER && mapType !== MapType.BPF_MAP_TYPE_ARENA && a.map_extra !== 0n) {
    return ctx.fail('MC-4', 'map_extra for a type without it', -Errno.EINVAL);
  }
  // MC-5
  const fFlags = bpfGetFileFlag(mapFlags);
  if (fFlags < 0) return ctx.fail('MC-5', 'bpf_get_file_flag', fFlags);
  const numaNode = mapFlags & MapFlag.BPF_F_NUMA_NODE ? a.numa_node | 0 : NUMA_NO_NODE;
  if (numaNode !== NUMA_NO_NODE && (numaNode >>> 0 >= NR_NODE_IDS || numaNode < 0)) {
    return ctx.fail('MC-5', 'numa_node', -Errno.EINVAL);
  }
  // MC-6
  const ops = MAP_TYPES.get(mapType);
  if (!ops) return ctx.fail('MC-6', `unknown map type ${mapType}`, -Errno.EINVAL);
  const attr: MapAttr = {
    map_type: mapType,
    key_size: a.key_size,
    value_size: a.value_size,
    max_entries: a.max_entries,
    map_flags: mapFlags,
    numa_node: numaNode,
    map_extra: a.map_extra,
    map_name: a.map_name,
    raw: a,
  };
  if (!ops.alloc) throw new NotEmulated(`map type ${mapTypeName(mapType)}`);
  const env: MapEnv = {
    kmem: k.kmem,
    nrCpus: k.config.nrCpus,
    hasSha: k.profile.structBpfMapHasSha,
    hasExcl: k.profile.structBpfMapExcl,
    maxMapBytes: k.limits.maxMapBytes,
    fdget: (fd) => ctx.proc.fds.get(fd),
    exclMapNotInner: k.profile.exclMapNotInner === true,
    capableSysAdmin: () => capable(ctx, 'CAP_SYS_ADMIN'),
    put: { map: (m) => k.mapPut(m), prog: (p) => bpfProgPut(k, p as BpfProg) },
  };
  // MC-7
  const chk = ops.allocCheck ? ops.allocCheck(attr, env) : 0;
  if (chk) return ctx.fail('MC-7', `${mapTypeName(mapType)} map_alloc_check`, chk);
  // MC-8: tokens. No BPF token exists in the emulated system, so a token fd is never one.
  if (tokenFlag) {
    const f = ctx.proc.fds.get(a.map_token_fd);
    return ctx.fail('MC-8', 'bpf_token_get_from_fd', f ? -Errno.EINVAL : -Errno.EBADF);
  }
  // MC-9
  if (k.sysctl.unprivileged_bpf_disabled && !bpfTokenCapable(ctx, 'CAP_BPF')) {
    return ctx.fail('MC-9', 'unprivileged_bpf_disabled and no CAP_BPF', -Errno.EPERM);
  }
  if (ops.privilege === 'CAP_BPF' && !bpfTokenCapable(ctx, 'CAP_BPF')) return ctx.fail('MC-9', 'map type needs CAP_BPF', -Errno.EPERM);
  if (ops.privilege === 'CAP_NET_ADMIN' && !bpfTokenCapable(ctx, 'CAP_NET_ADMIN')) {
    return ctx.fail('MC-9', 'map type needs CAP_NET_ADMIN', -Errno.EPERM);
  }
  // MC-10. An offloaded map (map_ifindex) needs a device that supports offload: the emulated
  // machine has none (OBSERVED: EOPNOTSUPP for ifindex 1 on this machine's kernel).
  if (a.map_ifindex) {
    if (!capable(ctx, 'CAP_SYS_ADMIN')) return ctx.fail('MC-10', 'bpf_map_offload_map_alloc', -Errno.EPERM);
    if (mapType !== MapType.BPF_MAP_TYPE_ARRAY && mapType !== MapType.BPF_MAP_TYPE_HASH) {
      return ctx.fail('MC-10', 'bpf_map_offload_map_alloc', -Errno.EINVAL);
    }
    return ctx.fail('MC-10', 'bpf_map_offload_map_alloc: no offload device', -Errno.EOPNOTSUPP);
  }
  // Map-in-map types take the inner map template first (bpf_map_meta_alloc).
  let meta: BpfMap | null = null;
  if (ops.innerMap) {
    const mm = bpfMapMetaAlloc(env.fdget, a.inner_map_fd, env.exclMapNotInner === true);
    if (typeof mm === 'number') return ctx.fail('MC-10', 'bpf_map_meta_alloc(inner_map_fd)', mm);
    meta = mm;
  }
  const m = ops.alloc(attr, env);
  if (typeof m === 'number') return ctx.fail('MC-10', `${mapTypeName(mapType)} map_alloc`, m);
  const map = m;
  map.innerMapMeta = meta;
  // bpf_bypass_spec_v1 at allocation: the creator's CAP_PERFMON (or CAP_SYS_ADMIN); read from the
  // credentials, without the capable() hook the kernel's perfmon_capable() also calls.
  map.bypassSpecV1 = ctx.proc.cred.caps.has('CAP_PERFMON') || ctx.proc.cred.caps.has('CAP_SYS_ADMIN');
  const freeMap = (id: string, name: string, err: number): number => {
    k.mapPut(map);
    return ctx.fail(id, name, err);
  };
  // MC-11
  const name = bpfObjNameCpy(attrBytes.subarray(28, 28 + Limits.BPF_OBJ_NAME_LEN));
  if (typeof name === 'number') return freeMap('MC-11', 'bpf_obj_name_cpy(map_name)', name);
  map.name = name;
  // MC-12
  if (a.btf_key_type_id || a.btf_value_type_id || a.btf_vmlinux_value_type_id) {
    const btf = btfGetByFd(ctx, a.btf_fd);
    if (typeof btf === 'number') return freeMap('MC-12', 'btf_get_by_fd', btf);
    if (btf.kernel) return freeMap('MC-12', 'kernel BTF', -Errno.EACCES);
    btf.refcnt++;
    map.btf = btf;
    if (a.btf_value_type_id) {
      const err = mapCheckBtf(map, btf, a.btf_key_type_id, a.btf_value_type_id);
      if (err) return freeMap('MC-12', 'map_check_btf', err);
    }
    map.btfKeyTypeId = a.btf_key_type_id;
    map.btfValueTypeId = a.btf_value_type_id;
    map.btfVmlinuxValueTypeId = a.btf_vmlinux_value_type_id;
  }
  // MC-13 / EXCL-1
  const exclPtr = a.excl_prog_hash;
  const exclSize = a.excl_prog_hash_size;
  if (exclPtr) {
    if (exclSize !== Limits.SHA256_DIGEST_SIZE) return freeMap('EXCL-1', 'excl_prog_hash_size != 32', -Errno.EINVAL);
    const sha = copyFromBpfPtr(ctx.proc.mem, ctx.ptr(exclPtr), Limits.SHA256_DIGEST_SIZE);
    if (!sha) return freeMap('EXCL-1', 'copy excl_prog_hash', -Errno.EFAULT);
    map.exclProgSha = sha;
    ctx.step('EXCL-1', 'exclusive map', Buffer.from(sha).toString('hex'));
  } else if (exclSize) {
    return freeMap('EXCL-1', 'excl_prog_hash_size without excl_prog_hash', -Errno.EINVAL);
  }
  // MC-14
  map.lsmBlob = true;
  const lsm = securityBpfMapCreate(ctx, map, a);
  if (lsm) return freeMap('MC-14', 'security_bpf_map_create', lsm);
  // MC-15: id, then the fd (security_bpf_map first).
  const id = k.mapIdr.allocCyclic(map);
  if (id < 0) return freeMap('MC-15', 'bpf_map_alloc_id', id);
  map.id = id;
  map.writeStruct();
  k.trace.emit({ kind: 'object', sys: ctx.sys, action: 'alloc_id', type: 'map', id, name: map.name });
  const fd = bpfMapNewFd(ctx, map, fFlags | O_CLOEXEC);
  if (fd < 0) {
    k.mapPut(map);
    return ctx.fail('MC-15', 'bpf_map_new_fd', fd);
  }
  return fd;
}

/** bpf_map_new_fd: security_bpf_map, then an anon inode fd. */
export function bpfMapNewFd(ctx: SyscallCtx, map: BpfMap, flags: number): number {
  const err = securityBpfMap(ctx, map, openFmode(flags));
  if (err < 0) return err;
  const k = ctx.kernel;
  const file = new OpenFile('bpf-map', map, fmodeFor(flags), () => k.mapPut(map), `map ${map.id} '${map.name}'`);
  return k.installFd(ctx, file);
}
