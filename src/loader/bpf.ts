// Userspace side of bpf(2), in the spirit of libbpf's bpf.c: thin wrappers that lay out attr bytes
// from the layout tables, place them (and their buffers) in the process's memory and call bpf().
// They return the kernel's SysResult unchanged; nothing here interprets errors.

import type { Process } from '../syscall/process.js';
import type { SysResult } from '../syscall/result.js';
import { ATTR_LAYOUTS, BPF_MAP_INFO, BPF_PROG_INFO, MAP_CREATE, MAP_FREEZE, PROG_LOAD, PROG_TEST_RUN } from '../syscall/uapi/attr-layouts.js';
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

export interface ProgLoadOpts {
  readonly progType: number;
  /** The instructions (8 bytes each). */
  readonly insns: Uint8Array;
  /** Default "GPL". */
  readonly license?: string;
  readonly name?: string;
  readonly progFlags?: number;
  readonly expectedAttachType?: number;
  /** int fds, placed in user memory for fd_array. */
  readonly fdArray?: readonly number[];
  readonly fdArrayCnt?: number;
  readonly logLevel?: number;
  /** A log buffer of this size is placed and read back into `log`. */
  readonly logSize?: number;
  /** A detached PKCS#7 signature (BPF_PROG_LOAD signature / signature_size). */
  readonly signature?: Uint8Array;
  readonly keyringId?: number;
  /** Any other attr fields, by layout name (they override the ones above). */
  readonly extra?: Record<string, FieldValue>;
  /** attr size; default the profile's offsetofend(LAST_FIELD). */
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

  /** BPF_PROG_LOAD; returns the result, the verifier log text (when a log buffer was given) and log_true_size. */
  progLoad(o: ProgLoadOpts): { res: SysResult; log: string; logTrueSize: number } {
    const logSize = o.logSize ?? 0;
    const logBuf = logSize ? this.buf(logSize, 'log_buf') : 0n;
    const f: Record<string, FieldValue> = {
      prog_type: o.progType,
      insns: this.buf(o.insns, 'insns'),
      insn_cnt: o.insns.length / 8,
      license: this.buf(new Uint8Array(Buffer.from((o.license ?? 'GPL') + '\0')), 'license'),
      prog_name: o.name ?? '',
      prog_flags: o.progFlags ?? 0,
      expected_attach_type: o.expectedAttachType ?? 0,
      log_level: o.logLevel ?? 0,
      log_size: logSize,
      log_buf: logBuf,
    };
    if (o.fdArray) f.fd_array = this.buf(new Uint8Array(new Int32Array(o.fdArray).buffer), 'fd_array');
    if (o.fdArrayCnt !== undefined) f.fd_array_cnt = o.fdArrayCnt;
    if (o.signature) {
      f.signature = this.buf(o.signature, 'signature');
      f.signature_size = o.signature.length;
    }
    if (o.keyringId !== undefined) f.keyring_id = o.keyringId;
    Object.assign(f, o.extra ?? {});
    const size = o.attrSize ?? lastFieldEnd(PROG_LOAD, this.proc.kernel.profile.uapi);
    const attr = this.buf(encodeLoose(PROG_LOAD, f, size), 'attr');
    const res = this.proc.bpf(BpfCmd.BPF_PROG_LOAD, attr, size);
    const raw = logSize ? this.proc.read(logBuf, logSize)! : new Uint8Array(0);
    const nul = raw.indexOf(0);
    const after = this.proc.read(attr, size)!;
    const lts = PROG_LOAD.byName.get('log_true_size')!;
    const logTrueSize = size >= lts.offset + 4 ? new DataView(after.buffer, after.byteOffset).getUint32(lts.offset, true) : 0;
    return { res, log: Buffer.from(raw.subarray(0, nul < 0 ? raw.length : nul)).toString('utf8'), logTrueSize };
  }

  /** BPF_PROG_TEST_RUN with a ctx (SYSCALL programs); returns the result, retval and the ctx afterwards. */
  progTestRun(fd: number, ctx?: Uint8Array, extra: Record<string, FieldValue> = {}): { res: SysResult; retval: number; ctxOut: Uint8Array | undefined } {
    const ctxAddr = ctx ? this.buf(ctx, 'ctx_in') : 0n;
    const f: Record<string, FieldValue> = { 'test.prog_fd': fd, 'test.ctx_in': ctxAddr, 'test.ctx_size_in': ctx?.length ?? 0, ...extra };
    const attr = this.buf(encode(PROG_TEST_RUN, f, 80), 'attr');
    const res = this.proc.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr, 80);
    const after = this.proc.read(attr, 80)!;
    const retval = new DataView(after.buffer, after.byteOffset).getInt32(PROG_TEST_RUN.byName.get('test.retval')!.offset, true);
    return { res, retval, ctxOut: ctx ? this.proc.read(ctxAddr, ctx.length) : undefined };
  }

  /**
   * BPF_OBJ_GET_INFO_BY_FD on a program. `fields` are written into the caller's struct first
   * (counts and buffer pointers are inputs); `bufs` asks for output arrays by pointer field name
   * (e.g. `{ map_ids: 16, xlated_prog_insns: 64 }`, sizes in bytes), read back after the call.
   */
  progGetInfo(
    fd: number,
    opts: { infoLen?: number; fields?: Record<string, FieldValue>; bufs?: Record<string, number> } = {},
  ): { res: SysResult; info: Decoded; infoLen: number; out: Record<string, Uint8Array> } {
    const size = BPF_PROG_INFO.sizeof!;
    const infoLen = opts.infoLen ?? size;
    const fields: Record<string, FieldValue> = { ...(opts.fields ?? {}) };
    const placed: Record<string, bigint> = {};
    for (const [name, len] of Object.entries(opts.bufs ?? {})) fields[name] = placed[name] = this.buf(len, name);
    const infoAddr = this.buf(encode(BPF_PROG_INFO, fields, Math.max(size, infoLen)), 'info');
    const attr = this.buf(encode(ATTR_LAYOUTS.get(BpfCmd.BPF_OBJ_GET_INFO_BY_FD)!, { 'info.bpf_fd': fd, 'info.info_len': infoLen, 'info.info': infoAddr }, 16), 'attr');
    const res = this.proc.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr, 16);
    const info = decode(BPF_PROG_INFO, this.proc.read(infoAddr, size)!);
    const after = this.proc.read(attr, 16)!;
    const out: Record<string, Uint8Array> = {};
    for (const [name, addr] of Object.entries(placed)) out[name] = this.proc.read(addr, opts.bufs![name]!)!;
    return { res, info, infoLen: new DataView(after.buffer, after.byteOffset).getUint32(4, true), out };
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

