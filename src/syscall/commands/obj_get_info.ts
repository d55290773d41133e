// BPF_OBJ_GET_INFO_BY_FD for maps (with the 6.18 map hash) and BTF objects.
// spec: MHASH-1..7 (check order, memoized map->sha, copy-back), STB-2 / OBS-PROF-1 (frozen check),
// V617-3 (88-byte info on v6.17: a 104-byte request with a hash is E2BIG), OBS-MH-1 (order: type
// supports hashing → hash_size → frozen → copy out).
// OBSERVED on this machine's 6.18.44 kernel: a bad fd gives EBADFD (not EBADF); the tail-zero check
// of the info struct starts at offsetofend(hash_size) = 100, so a non-zero padding byte at 100..103
// gives E2BIG (a 2026 selftest, test_map_info_tail_zero, expects the same), while info_len is still
// clamped to sizeof = 104 (the fixture transcripts read info_len 104 back).

import { checkAttrFails } from '../attr.js';
import type { SyscallCtx } from '../context.js';
import { Errno } from '../errno.js';
import type { Btf } from '../objects/btf.js';
import type { BpfMap } from '../objects/map.js';
import { NotEmulated } from '../result.js';
import { checkUargTailZero, copyFromUser, copyToBpfPtr, copyToUser, userPtr, type BpfPtr } from '../uaccess.js';
import { BPF_BTF_INFO, BPF_MAP_INFO, OBJ_GET_INFO_BY_FD } from '../uapi/attr-layouts.js';
import { BpfCmd, Limits } from '../uapi/consts.js';
import { decode, encode, lastFieldEnd, readField, writeField, type Layout } from '../uapi/layout.js';

/** The info struct's size for a profile and where its tail-zero check starts. */
function infoSizes(ctx: SyscallCtx, l: Layout): { sizeof: number; tailFrom: number } {
  const p = ctx.kernel.profile;
  const end = lastFieldEnd(l, p.uapi);
  const sizeof = Math.ceil(end / 8) * 8;
  return { sizeof, tailFrom: p.infoTailFromLastField ? end : sizeof };
}

export function objGetInfoByFd(ctx: SyscallCtx, attrBytes: Uint8Array, uattr: BpfPtr): number {
  const p = ctx.kernel.profile;
  if (checkAttrFails(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attrBytes, p)) {
    return ctx.fail('SYS-4', 'CHECK_ATTR(BPF_OBJ_GET_INFO_BY_FD)', -Errno.EINVAL);
  }
  const a = decode(OBJ_GET_INFO_BY_FD, attrBytes, p.uapi);
  const file = ctx.proc.fds.get(Number(a['info.bpf_fd']));
  if (!file) return ctx.fail('MHASH-1', 'fdget', -Errno.EBADFD);
  switch (file.kind) {
    case 'bpf-map':
      return mapGetInfo(ctx, uattr, file.object as BpfMap, a['info.info'] as bigint, Number(a['info.info_len']));
    case 'btf':
      return btfGetInfo(ctx, uattr, file.object as Btf, a['info.info'] as bigint, Number(a['info.info_len']));
    case 'bpf-prog':
      throw new NotEmulated('BPF_OBJ_GET_INFO_BY_FD for programs');
    default:
      return ctx.fail('MHASH-1', 'not a BPF object', -Errno.EINVAL);
  }
}

/** put_user(info_len, &uattr->info.info_len) */
function putInfoLen(ctx: SyscallCtx, uattr: BpfPtr, len: number): boolean {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, len, true);
  return copyToBpfPtr(ctx.proc.mem, uattr, b, OBJ_GET_INFO_BY_FD.byName.get('info.info_len')!.offset);
}

function mapGetInfo(ctx: SyscallCtx, uattr: BpfPtr, map: BpfMap, uinfo: bigint, infoLenIn: number): number {
  const p = ctx.kernel.profile;
  const mem = ctx.proc.mem;
  const { sizeof, tailFrom } = infoSizes(ctx, BPF_MAP_INFO);
  // MHASH-1
  const tz = checkUargTailZero(mem, userPtr(uinfo), tailFrom, infoLenIn);
  if (tz) return ctx.fail('MHASH-1', 'bpf_check_uarg_tail_zero(info)', tz);
  const infoLen = Math.min(sizeof, infoLenIn);
  const info = new Uint8Array(sizeof);
  const hasHash = p.uapi.has('signing-6.18');
  // MHASH-2: since 6.18 the caller's struct is read first (hash and hash_size are inputs).
  if (hasHash && infoLen > 0) {
    const inb = copyFromUser(mem, uinfo, infoLen);
    if (!inb) return ctx.fail('MHASH-2', 'copy info in', -Errno.EFAULT);
    info.set(inb);
  }
  // MHASH-3
  const put = (name: string, v: number | bigint | string) => writeField(info, BPF_MAP_INFO.byName.get(name)!, v);
  put('type', map.mapType);
  put('id', map.id);
  put('key_size', map.keySize);
  put('value_size', map.valueSize);
  put('max_entries', map.maxEntries);
  put('map_flags', map.mapFlags);
  put('map_extra', map.mapExtra);
  info.fill(0, 24, 40);
  info.set(Buffer.from(map.name, 'latin1').subarray(0, 16), 24);
  if (map.btf) {
    put('btf_id', map.btf.id);
    put('btf_key_type_id', map.btfKeyTypeId);
    put('btf_value_type_id', map.btfValueTypeId);
  }
  put('btf_vmlinux_value_type_id', map.btfVmlinuxValueTypeId);
  // MHASH-4 / MHASH-5
  if (hasHash) {
    const hash = readField(info, BPF_MAP_INFO.byName.get('hash')!) as bigint;
    const hashSize = readField(info, BPF_MAP_INFO.byName.get('hash_size')!) as number;
    if (hash) {
      if (!map.getHash) return ctx.fail('MHASH-4', `${map.typeName} has no map_get_hash`, -Errno.EINVAL);
      if (hashSize !== Limits.SHA256_DIGEST_SIZE) return ctx.fail('MHASH-4', 'hash_size != 32', -Errno.EINVAL);
      if (p.mapHash.requireFrozen && !map.frozen) return ctx.fail('STB-2', 'map not frozen', -Errno.EPERM);
      const err = map.getHash();
      if (err) return ctx.fail('MHASH-7', 'map_get_hash', err);
      ctx.step('MHASH-7', 'map->sha computed', Buffer.from(map.sha!).toString('hex'));
      if (!copyToUser(mem, hash, map.sha!)) return ctx.fail('MHASH-4', 'copy hash out', -Errno.EFAULT);
    } else if (hashSize) {
      return ctx.fail('MHASH-5', 'hash_size without hash', -Errno.EINVAL);
    }
  }
  // MHASH-6
  if (!copyToUser(mem, uinfo, info.subarray(0, infoLen)) || !putInfoLen(ctx, uattr, infoLen)) {
    return ctx.fail('MHASH-6', 'copy info out', -Errno.EFAULT);
  }
  return 0;
}

function btfGetInfo(ctx: SyscallCtx, uattr: BpfPtr, btf: Btf, uinfo: bigint, infoLenIn: number): number {
  const mem = ctx.proc.mem;
  const { sizeof, tailFrom } = infoSizes(ctx, BPF_BTF_INFO);
  const tz = checkUargTailZero(mem, userPtr(uinfo), tailFrom, infoLenIn);
  if (tz) return ctx.fail('SYS-1', 'bpf_check_uarg_tail_zero(info)', tz);
  const infoLen = Math.min(sizeof, infoLenIn);
  const inb = infoLen ? copyFromUser(mem, uinfo, infoLen) : new Uint8Array(0);
  if (!inb) return ctx.fail('SYS-2', 'copy info in', -Errno.EFAULT);
  const req = decode(BPF_BTF_INFO, inb);
  // The caller gives a buffer (btf, btf_size) and a name buffer (name, name_len).
  const btfBuf = req.btf as bigint;
  const btfSize = req.btf_size as number;
  if (btfBuf && btf.size && !copyToUser(mem, btfBuf, btf.data.subarray(0, Math.min(btfSize, btf.size)))) {
    return ctx.fail('SYS-2', 'copy btf out', -Errno.EFAULT);
  }
  const nameBuf = req.name as bigint;
  const nameLen = req.name_len as number;
  if (nameBuf && nameLen) {
    const nb = Buffer.from(btf.name + '\0', 'latin1').subarray(0, nameLen);
    if (!copyToUser(mem, nameBuf, nb)) return ctx.fail('SYS-2', 'copy name out', -Errno.EFAULT);
  }
  const out = encode(
    BPF_BTF_INFO,
    { btf: btfBuf, btf_size: btf.size, id: btf.id, name: nameBuf, name_len: btf.name.length + 1, kernel_btf: btf.kernel ? 1 : 0 },
    sizeof,
  );
  if (!copyToUser(mem, uinfo, out.subarray(0, infoLen)) || !putInfoLen(ctx, uattr, infoLen)) return ctx.fail('SYS-2', 'copy info out', -Errno.EFAULT);
  return 0;
}
