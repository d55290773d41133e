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
import type { BpfProg } from '../objects/prog.js';
import { capable, bpfTokenCapable } from '../security.js';
import { checkUargTailZero, copyFromUser, copyToBpfPtr, copyToUser, userPtr, type BpfPtr } from '../uaccess.js';
import { BPF_BTF_INFO, BPF_MAP_INFO, BPF_PROG_INFO, OBJ_GET_INFO_BY_FD } from '../uapi/attr-layouts.js';
import { BpfCmd, Limits } from '../uapi/consts.js';
import { encode, lastFieldEnd, writeField, type FieldDef, type Layout, type UapiFeature } from '../uapi/layout.js';
import { decodeBpfBtfInfo, decodeBpfProgInfo } from '../../abi/uapi/attr-types.js';

/** lastFieldEnd per UAPI feature set and layout (a function of the two; the tables never change). */
const LAST_FIELD_END = new WeakMap<ReadonlySet<UapiFeature>, Map<Layout, number>>();

/** The info struct's size for a profile and where its tail-zero check starts. */
function infoSizes(ctx: SyscallCtx, l: Layout): { sizeof: number; tailFrom: number } {
  const p = ctx.kernel.profile;
  let byLayout = LAST_FIELD_END.get(p.uapi);
  if (!byLayout) LAST_FIELD_END.set(p.uapi, (byLayout = new Map()));
  let end = byLayout.get(l);
  if (end === undefined) byLayout.set(l, (end = lastFieldEnd(l, p.uapi)));
  const sizeof = Math.ceil(end / 8) * 8;
  return { sizeof, tailFrom: p.infoTailFromLastField ? end : sizeof };
}

/** struct bpf_map_info's fields, looked up once. */
const MI = (name: string) => BPF_MAP_INFO.byName.get(name)!;
const MAP_INFO = {
  type: MI('type'),
  id: MI('id'),
  keySize: MI('key_size'),
  valueSize: MI('value_size'),
  maxEntries: MI('max_entries'),
  mapFlags: MI('map_flags'),
  name: MI('name'),
  btfId: MI('btf_id'),
  btfKeyTypeId: MI('btf_key_type_id'),
  btfValueTypeId: MI('btf_value_type_id'),
  btfVmlinuxValueTypeId: MI('btf_vmlinux_value_type_id'),
  mapExtra: MI('map_extra'),
  hash: MI('hash'),
  hashSize: MI('hash_size'),
} as const;

export function objGetInfoByFd(ctx: SyscallCtx, attrBytes: Uint8Array, uattr: BpfPtr): number {
  const p = ctx.kernel.profile;
  if (checkAttrFails(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attrBytes, p)) {
    return ctx.fail('SYS-4', 'CHECK_ATTR(BPF_OBJ_GET_INFO_BY_FD)', -Errno.EINVAL);
  }
  const a = ctx.attrOf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD);
  const file = ctx.proc.fds.get(a.bpf_fd);
  if (!file) return ctx.fail('MHASH-1', 'fdget', -Errno.EBADFD);
  switch (file.kind) {
    case 'bpf-map':
      return mapGetInfo(ctx, uattr, file.object as BpfMap, a.info, a.info_len);
    case 'btf':
      return btfGetInfo(ctx, uattr, file.object as Btf, a.info, a.info_len);
    case 'bpf-prog':
      return progGetInfo(ctx, uattr, file.object as BpfProg, a.info, a.info_len);
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
  // The caller's hash and hash_size are inputs: read before the fields are filled in.
  const dv = new DataView(info.buffer, info.byteOffset, info.byteLength);
  const reqHash = hasHash ? dv.getBigUint64(MAP_INFO.hash.offset, true) : 0n;
  const reqHashSize = hasHash ? dv.getUint32(MAP_INFO.hashSize.offset, true) : 0;
  // MHASH-3 (the layout's writer, through one DataView)
  const put = (f: FieldDef, v: number | bigint | string) => writeField(info, f, v, dv);
  put(MAP_INFO.type, map.mapType);
  put(MAP_INFO.id, map.id);
  put(MAP_INFO.keySize, map.keySize);
  put(MAP_INFO.valueSize, map.valueSize);
  put(MAP_INFO.maxEntries, map.maxEntries);
  put(MAP_INFO.mapFlags, map.mapFlags);
  put(MAP_INFO.mapExtra, map.mapExtra);
  put(MAP_INFO.name, map.name); // char[16]: latin1, the rest zero
  if (map.btf) {
    put(MAP_INFO.btfId, map.btf.id);
    put(MAP_INFO.btfKeyTypeId, map.btfKeyTypeId);
    put(MAP_INFO.btfValueTypeId, map.btfValueTypeId);
  }
  put(MAP_INFO.btfVmlinuxValueTypeId, map.btfVmlinuxValueTypeId);
  // MHASH-4 / MHASH-5
  if (hasHash) {
    const hash = reqHash;
    const hashSize = reqHashSize;
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
  const req = decodeBpfBtfInfo(inb, ctx.kernel.profile.uapi);
  // btf_get_info_by_fd (kernel/bpf/btf.c): the caller gives a buffer (btf, btf_size) and a name
  // buffer (name, name_len). min(btf_size, data_size) bytes are copied (to a NULL btf: EFAULT);
  // name and name_len are both set or both zero (else EINVAL); name_len comes back as strlen(name),
  // and a name buffer too short for name + NUL gets what fits, NUL-terminated, and ENOSPC after
  // the info is written. OBSERVED on Debian 6.18.15 (vmlinux_btf.json): name_len 7 for "vmlinux".
  const btfBuf = req.btf;
  const btfSize = req.btf_size;
  const btfCopy = Math.min(btfSize, btf.size);
  if (btfCopy && !copyToUser(mem, btfBuf, btf.data.subarray(0, btfCopy))) return ctx.fail('SYS-2', 'copy btf out', -Errno.EFAULT);
  const nameBuf = req.name;
  const unameLen = req.name_len;
  if (!nameBuf !== !unameLen) return ctx.fail('SYS-4', 'bpf_btf_info: name without name_len or the reverse', -Errno.EINVAL);
  const name = Buffer.from(btf.name, 'latin1');
  let ret = 0;
  if (nameBuf) {
    const nb = new Uint8Array(Math.min(unameLen, name.length + 1));
    nb.set(name.subarray(0, nb.length - 1));
    if (!copyToUser(mem, nameBuf, nb)) return ctx.fail('SYS-2', 'copy name out', -Errno.EFAULT);
    if (unameLen < name.length + 1) ret = -Errno.ENOSPC;
  }
  const out = encode(
    BPF_BTF_INFO,
    { btf: btfBuf, btf_size: btf.size, id: btf.id, name: nameBuf, name_len: name.length, kernel_btf: btf.kernel ? 1 : 0 },
    sizeof,
  );
  if (!copyToUser(mem, uinfo, out.subarray(0, infoLen)) || !putInfoLen(ctx, uattr, infoLen)) return ctx.fail('SYS-2', 'copy info out', -Errno.EFAULT);
  return ret ? ctx.fail('SYS-4', 'bpf_btf_info: name buffer too short', ret) : 0;
}

/** sizeof(struct bpf_func_info), sizeof(struct bpf_line_info), sizeof(__u64). */
const FUNC_INFO_REC = 8;
const LINE_INFO_REC = 16;
const JITED_LINE_INFO_REC = 8;

/**
 * bpf_prog_get_info_by_fd. spec: PINFO-1..6 (docs/fidelity.md): the caller's struct is read first
 * (counts and buffer pointers are inputs), each array is copied up to the smaller of the caller's
 * count and the real one, the real counts are written back. bpfsig models an interpreter-only
 * kernel (no JIT): jited_prog_len is 0 and the one "jited" symbol is the program itself.
 */
function progGetInfo(ctx: SyscallCtx, uattr: BpfPtr, prog: BpfProg, uinfo: bigint, infoLenIn: number): number {
  const mem = ctx.proc.mem;
  const { sizeof, tailFrom } = infoSizes(ctx, BPF_PROG_INFO);
  const tz = checkUargTailZero(mem, userPtr(uinfo), tailFrom, infoLenIn);
  if (tz) return ctx.fail('PINFO-1', 'bpf_check_uarg_tail_zero(info)', tz);
  const infoLen = Math.min(sizeof, infoLenIn);
  const info = new Uint8Array(sizeof);
  if (infoLen) {
    const inb = copyFromUser(mem, uinfo, infoLen);
    if (!inb) return ctx.fail('PINFO-1', 'copy info in', -Errno.EFAULT);
    info.set(inb);
  }
  const F = (name: string) => BPF_PROG_INFO.byName.get(name)!;
  // The caller's struct, decoded once: the counts and buffers it asks for.
  const req = decodeBpfProgInfo(info, ctx.kernel.profile.uapi);
  const put = (name: string, v: number | bigint | string) => writeField(info, F(name), v);
  const efault = (what: string) => ctx.fail('PINFO-3', `copy ${what} out`, -Errno.EFAULT);

  // PINFO-2: identity.
  put('type', prog.type);
  put('id', prog.id);
  put('load_time', prog.loadTime);
  put('created_by_uid', prog.createdByUid);
  // gpl_compatible is a one-bit field: the other 31 bits keep what the caller passed.
  put('gpl_compatible', (req.gpl_compatible & ~1) | (prog.gplCompatible ? 1 : 0));
  info.set(prog.tag, F('tag').offset);
  info.fill(0, F('name').offset, F('name').offset + 16);
  info.set(Buffer.from(prog.name, 'latin1').subarray(0, 16), F('name').offset);

  // PINFO-3: map ids, up to the caller's nr_map_ids.
  const wantMaps = req.nr_map_ids;
  put('nr_map_ids', prog.usedMaps.length);
  const nMaps = Math.min(wantMaps, prog.usedMaps.length);
  if (nMaps) {
    const ids = new Uint8Array(4 * nMaps);
    prog.usedMaps.slice(0, nMaps).forEach((m, i) => new DataView(ids.buffer).setUint32(4 * i, m.id, true));
    if (!copyToUser(mem, req.map_ids, ids)) return efault('map_ids');
  }

  // set_info_rec_size: a record size the caller gives must be the kernel's.
  for (const [nr, given, rec, size] of [
    [req.nr_func_info, req.func_info_rec_size, 'func_info_rec_size', FUNC_INFO_REC],
    [req.nr_line_info, req.line_info_rec_size, 'line_info_rec_size', LINE_INFO_REC],
    [req.nr_jited_line_info, req.jited_line_info_rec_size, 'jited_line_info_rec_size', JITED_LINE_INFO_REC],
  ] as const) {
    if ((nr || given) && given !== size) return ctx.fail('PINFO-4', `${rec} must be ${size}`, -Errno.EINVAL);
    put(rec, size);
  }

  put('run_time_ns', 0n); // kernel.bpf_stats_enabled is 0: no run statistics
  put('run_cnt', 0n);
  put('recursion_misses', 0n);
  put('verified_insns', prog.verifiedInsns);
  if (prog.btf) put('btf_id', prog.btf.id);

  if (!bpfTokenCapable(ctx, 'CAP_BPF')) {
    // PINFO-5: without CAP_BPF, no code, symbols or debug records.
    for (const f of ['jited_prog_len', 'xlated_prog_len', 'nr_jited_ksyms', 'nr_jited_func_lens', 'nr_func_info', 'nr_line_info', 'nr_jited_line_info']) put(f, 0);
    return finishInfo(ctx, uattr, uinfo, info, infoLen);
  }
  // bpf_dump_raw_ok: kallsyms_show_value with kptr_restrict 1 — CAP_SYSLOG.
  const rawOk = capable(ctx, 'CAP_SYSLOG');
  const xlated = prog.xlated ?? prog.insns;

  const wantXlated = req.xlated_prog_len;
  put('xlated_prog_len', xlated.length);
  if (xlated.length && wantXlated) {
    const dump = xlated.slice();
    if (!rawOk) zeroHelperImms(dump);
    if (!copyToUser(mem, req.xlated_prog_insns, dump.subarray(0, Math.min(wantXlated, dump.length)))) return efault('xlated_prog_insns');
  }
  put('jited_prog_len', 0); // no JIT image: nothing is copied to jited_prog_insns

  const wantKsyms = req.nr_jited_ksyms;
  put('nr_jited_ksyms', 1);
  if (wantKsyms) {
    if (rawOk) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, progImageAddr(ctx), true);
      if (!copyToUser(mem, req.jited_ksyms, b)) return efault('jited_ksyms');
    } else put('jited_ksyms', 0n);
  }
  const wantLens = req.nr_jited_func_lens;
  put('nr_jited_func_lens', 1);
  if (wantLens) {
    if (rawOk) {
      if (!copyToUser(mem, req.jited_func_lens, new Uint8Array(4))) return efault('jited_func_lens');
    } else put('jited_func_lens', 0n);
  }

  // The attach target is reported to CAP_BPF callers only.
  put('attach_btf_id', prog.attachBtfId);
  if (prog.attachBtf) put('attach_btf_obj_id', prog.attachBtf.id);

  const wantFunc = req.nr_func_info;
  const nFunc = prog.funcInfo.length / FUNC_INFO_REC;
  put('nr_func_info', nFunc);
  if (nFunc && wantFunc && !copyToUser(mem, req.func_info, prog.funcInfo.subarray(0, FUNC_INFO_REC * Math.min(wantFunc, nFunc)))) return efault('func_info');

  const wantLine = req.nr_line_info;
  const nLine = prog.lineInfo.length / LINE_INFO_REC;
  put('nr_line_info', nLine);
  if (nLine && wantLine && !copyToUser(mem, req.line_info, prog.lineInfo.subarray(0, LINE_INFO_REC * Math.min(wantLine, nLine)))) return efault('line_info');
  put('nr_jited_line_info', 0); // no JIT: no jited line info

  const wantTags = req.nr_prog_tags;
  put('nr_prog_tags', 1);
  if (wantTags && !copyToUser(mem, req.prog_tags, prog.tag)) return efault('prog_tags');

  return finishInfo(ctx, uattr, uinfo, info, infoLen);
}

function finishInfo(ctx: SyscallCtx, uattr: BpfPtr, uinfo: bigint, info: Uint8Array, infoLen: number): number {
  if (!copyToUser(ctx.proc.mem, uinfo, info.subarray(0, infoLen)) || !putInfoLen(ctx, uattr, infoLen)) {
    return ctx.fail('PINFO-3', 'copy info out', -Errno.EFAULT);
  }
  return 0;
}

/** Without bpf_dump_raw_ok a helper call's immediate is not shown. */
function zeroHelperImms(insns: Uint8Array): void {
  const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  for (let pc = 0; pc < insns.length / 8; pc++) {
    const code = insns[pc * 8]!;
    if (code === 0x18) {
      pc++;
      continue;
    }
    if (code === 0x85 && insns[pc * 8 + 1]! >> 4 === 0) dv.setInt32(pc * 8 + 4, 0, true);
  }
}

/** prog->bpf_func of an interpreted program: the interpreter's entry (0 when kallsyms lacks it). */
function progImageAddr(ctx: SyscallCtx): bigint {
  return ctx.kernel.kallsyms.lookup('___bpf_prog_run') ?? 0n;
}
