// Userspace side of bpf(2), in the spirit of libbpf's bpf.c: thin wrappers that lay out attr bytes
// from the layout tables, place them (and their buffers) in the process's memory and call bpf().
// They return the kernel's SysResult unchanged; nothing here interprets errors.

import type { Process } from '../syscall/process.js';
import type { SysResult } from '../syscall/result.js';
import { ATTR_LAYOUTS, BPF_MAP_INFO, MAP_CREATE, MAP_FREEZE } from '../syscall/uapi/attr-layouts.js';
import { BpfCmd } from '../syscall/uapi/consts.js';
import { decode, encode, lastFieldEnd, type Decoded, type FieldValue, type Layout } from '../syscall/uapi/layout.js';

export interface MapCreateOpts {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags?: number;
  readonly name?: string;
  readonly btfFd?: number;
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  /** excl_prog_hash: the SHA-256 of the only program allowed to use the map (EXCL-1). */
  readonly exclProgHash?: Uint8Array;
  /** excl_prog_hash_size; defaults to the length of exclProgHash. */
  readonly exclProgHashSize?: number;
  /** attr size passed to bpf(); default 92 (libbpf 1.7 skel_map_create, offsetofend(excl_prog_hash_size)). */
  readonly attrSize?: number;
}

export class BpfClient {
  constructor(readonly proc: Process) {}

  /** bpf(cmd, attr, size) with the attr built from named fields of the command's layout. */
  call(cmd: number, fields: Record<string, FieldValue>, size?: number): SysResult {
    const l = ATTR_LAYOUTS.get(cmd);
    if (!l) throw new RangeError(`no attr layout for command ${cmd}`);
    const sz = size ?? lastFieldEnd(l, this.proc.kernel.profile.uapi);
    const bytes = encode(l, fields, Math.max(sz, 0));
    return this.proc.bpf(cmd, this.proc.alloc(bytes, 'attr'), sz);
  }

  /** A user buffer holding `data`; its address. */
  buf(data: Uint8Array | number, name = 'buf'): bigint {
    return this.proc.alloc(data, name);
  }

  mapCreate(o: MapCreateOpts): SysResult {
    const f: Record<string, FieldValue> = {
      map_type: o.mapType,
      key_size: o.keySize,
      value_size: o.valueSize,
      max_entries: o.maxEntries,
      map_flags: o.mapFlags ?? 0,
      map_name: o.name ?? '',
    };
    if (o.btfFd !== undefined) f.btf_fd = o.btfFd;
    if (o.btfKeyTypeId !== undefined) f.btf_key_type_id = o.btfKeyTypeId;
    if (o.btfValueTypeId !== undefined) f.btf_value_type_id = o.btfValueTypeId;
    const size = o.attrSize ?? 92;
    if (o.exclProgHash) f.excl_prog_hash = this.buf(o.exclProgHash, 'excl_prog_hash');
    if (o.exclProgHash || o.exclProgHashSize !== undefined) f.excl_prog_hash_size = o.exclProgHashSize ?? o.exclProgHash!.length;
    const bytes = encodeLoose(MAP_CREATE, f, size);
    return this.proc.bpf(BpfCmd.BPF_MAP_CREATE, this.proc.alloc(bytes, 'attr'), size);
  }

  mapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags = 0n): SysResult {
    return this.call(BpfCmd.BPF_MAP_UPDATE_ELEM, { map_fd: fd, key: this.buf(key, 'key'), value: this.buf(value, 'value'), flags }, 32);
  }

  mapDelete(fd: number, key: Uint8Array): SysResult {
    return this.call(BpfCmd.BPF_MAP_DELETE_ELEM, { map_fd: fd, key: this.buf(key, 'key') }, 16);
  }

  mapLookup(fd: number, key: Uint8Array, valueSize: number): { res: SysResult; value: Uint8Array | undefined } {
    const out = this.buf(valueSize, 'value');
    const res = this.call(BpfCmd.BPF_MAP_LOOKUP_ELEM, { map_fd: fd, key: this.buf(key, 'key'), value: out, flags: 0n }, 32);
    return { res, value: this.proc.read(out, valueSize) };
  }

  mapFreeze(fd: number): SysResult {
    return this.proc.bpf(BpfCmd.BPF_MAP_FREEZE, this.proc.alloc(encode(MAP_FREEZE, { map_fd: fd }, 4), 'attr'), 4);
  }

  /**
   * BPF_OBJ_GET_INFO_BY_FD on a map. With `hash`, asks for the map hash as libbpf 1.7's
   * bpf_load_and_run does (info_len 104, hash_size 32).
   */
  mapGetInfo(fd: number, opts: { hash?: boolean; infoLen?: number } = {}): { res: SysResult; info: Decoded; hash?: Uint8Array } {
    const infoLen = opts.infoLen ?? BPF_MAP_INFO.sizeof!;
    const infoBytes = new Uint8Array(Math.max(infoLen, BPF_MAP_INFO.sizeof!));
    let hashAddr: bigint | undefined;
    if (opts.hash) {
      hashAddr = this.buf(32, 'hash');
      infoBytes.set(encode(BPF_MAP_INFO, { hash: hashAddr, hash_size: 32 }, BPF_MAP_INFO.sizeof!));
    }
    const infoAddr = this.buf(infoBytes, 'info');
    const res = this.call(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, { 'info.bpf_fd': fd, 'info.info_len': infoLen, 'info.info': infoAddr }, 16);
    const info = decode(BPF_MAP_INFO, this.proc.read(infoAddr, infoBytes.length)!);
    const hash = hashAddr !== undefined ? this.proc.read(hashAddr, 32) : undefined;
    return { res, info, ...(hash ? { hash } : {}) };
  }

  btfLoad(data: Uint8Array, opts: { logLevel?: number; logSize?: number } = {}): { res: SysResult; log: string } {
    const logSize = opts.logSize ?? 0;
    const logBuf = logSize ? this.buf(logSize, 'btf_log') : 0n;
    const res = this.call(
      BpfCmd.BPF_BTF_LOAD,
      { btf: this.buf(data, 'btf'), btf_size: data.length, btf_log_buf: logBuf, btf_log_size: logSize, btf_log_level: opts.logLevel ?? 0 },
      32,
    );
    const raw = logSize ? this.proc.read(logBuf, logSize)! : new Uint8Array(0);
    const nul = raw.indexOf(0);
    return { res, log: Buffer.from(raw.subarray(0, nul < 0 ? raw.length : nul)).toString('utf8') };
  }
}

/** encode() for fields that may lie past `size` (they are then simply not passed, as with a short attr). */
function encodeLoose(l: Layout, fields: Record<string, FieldValue>, size: number): Uint8Array {
  const full = encode(l, fields, Math.max(size, 128));
  return full.subarray(0, size);
}

