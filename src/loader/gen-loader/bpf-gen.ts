// The loader-program generator: our own implementation of what libbpf's gen_loader.c emits.
//
// A BpfGen accumulates two buffers: the loader program (a BPF_PROG_TYPE_SYSCALL program, `insns`)
// and the data blob (`data`, later the value of the single-element `__loader.map`). Every bpf()
// command the object load needs becomes an attr placed in the blob plus instructions that patch
// pointers/fds into that attr at run time and call bpf_sys_bpf. Register use: r6 = ctx for the whole
// run, r7 = result of the last syscall (or error), r10 = frame pointer; the stack holds
// `struct loader_stack { u32 btf_fd; u32 inner_map_fd; u32 prog_fd[32]; }` (136 bytes).
//
// spec: LSK-PROG-1..7 (prologue, cleanup, syscall shape, body, finish), LSK-SIGM-1..6 (signature
// match block, hash embedding, off-by-one), LSK-BLOB-1..3 (blob layout), LSK-CTX-1..4 (ctx offsets),
// LSK-HELP-1 (helper ids), LSK-INNER-1 (attr sizes).

import { createHash } from 'node:crypto';
import { Errno } from '../../syscall/errno.js';
import {
  type Insn, BPF_ADD, BPF_AND, BPF_B, BPF_DW, BPF_H, BPF_JA, BPF_JEQ, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSLE, BPF_JSLT,
  BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_RSH, BPF_W, Helper, R0, R1, R10, R2, R3, R4, R6, R7, R8, R9,
  alu32Imm, alu64Imm, call, encodeInsns, exit, jmpImm, jmpReg, ldImm64, ldxMem, mov64Imm, mov64Reg, sizeCode, stMem, stxMem,
} from '../insn.js';
import { BtfKind } from '../../btf/btf.js';
import { MapType } from '../uapi.js';
import type { SignatureMatch } from './profiles.js';

export const MAX_USED_MAPS = 64;
export const MAX_USED_PROGS = 32;
export const MAX_KFUNC_DESCS = 256;
export const MAX_FD_ARRAY_SZ = MAX_USED_MAPS + MAX_KFUNC_DESCS;

/** sizeof(struct loader_stack) and its field offsets (stack grows down from r10). */
export const LOADER_STACK_SIZE = 4 + 4 + 4 * MAX_USED_PROGS;
const stackOff = (fieldOff: number) => -LOADER_STACK_SIZE + fieldOff;
const STACK_BTF_FD = stackOff(0);
const STACK_INNER_MAP_FD = stackOff(4);
const stackProgFd = (i: number) => stackOff(8 + 4 * i);

/** struct bpf_loader_ctx / bpf_map_desc / bpf_prog_desc (spec: LSK-CTX-1..3). */
export const LOADER_CTX_SIZE = 24;
export const MAP_DESC_SIZE = 16;
export const PROG_DESC_SIZE = 4;
const CTX_FLAGS = 4;
const CTX_LOG_LEVEL = 8;
const CTX_LOG_SIZE = 12;
const CTX_LOG_BUF = 16;
const MAP_DESC_MAP_FD = 0;
const MAP_DESC_MAX_ENTRIES = 4;
const MAP_DESC_INITIAL_VALUE = 8;
export const BPF_SKEL_KERNEL = 1;

/** bpf() commands. */
export const BPF_MAP_CREATE = 0;
export const BPF_MAP_UPDATE_ELEM = 2;
export const BPF_PROG_LOAD = 5;
export const BPF_BTF_LOAD = 18;
export const BPF_MAP_FREEZE = 22;

/** union bpf_attr field offsets (spec: UAPI-LAYOUT, 01 §2). */
export const Attr = {
  btf: { btf: 0, btf_log_buf: 8, btf_size: 16, btf_log_size: 20, btf_log_level: 24, size: 28 },
  map: {
    map_type: 0, key_size: 4, value_size: 8, max_entries: 12, map_flags: 16, inner_map_fd: 20, numa_node: 24,
    map_name: 28, map_ifindex: 44, btf_fd: 48, btf_key_type_id: 52, btf_value_type_id: 56,
    btf_vmlinux_value_type_id: 60, map_extra: 64, size: 72,
  },
  elem: { map_fd: 0, key: 8, value: 16, flags: 24, size: 32 },
  freeze: { map_fd: 0, size: 4 },
  prog: {
    prog_type: 0, insn_cnt: 4, insns: 8, license: 16, log_level: 24, log_size: 28, log_buf: 32, kern_version: 40,
    prog_flags: 44, prog_name: 48, prog_ifindex: 64, expected_attach_type: 68, prog_btf_fd: 72,
    func_info_rec_size: 76, func_info: 80, func_info_cnt: 88, line_info_rec_size: 92, line_info: 96,
    line_info_cnt: 104, attach_btf_id: 108, attach_btf_obj_fd: 112, core_relo_cnt: 116, fd_array: 120,
    core_relos: 128, core_relo_rec_size: 136, size: 140,
  },
} as const;

const BPF_OBJ_NAME_LEN = 16;
const SHA256_DWORD_SIZE = 4;
/** SHA256_DIGEST_LENGTH: offset of `u32 excl` in struct bpf_map, right after sha[32] (LSK-SIGM-8). */
const SHA256_DIGEST_LENGTH = 32;

const isSimm16 = (v: number) => v === ((v << 16) >> 16);
const CORE_RELO_SIZE = 16;

/** Which libbpf's gen_loader to reproduce. */
export interface GenFlavor {
  /** libbpf 1.7 emits the kfunc BTF fd store before the vmlinux check; 1.1 after. */
  readonly kfuncStoreFdFirst: boolean;
  /** gen_loader_opts.gen_hash (bpftool -S): the loader is signed. */
  readonly genHash: boolean;
  /**
   * With gen_hash: the metadata check the loader carries — libbpf 1.7's four map->sha compares
   * (LSK-SIGM-2, off-by-one jump, LSK-SIGM-6), the 2026-06 hardened block (exclusivity of map
   * idx 0 read at offset 32 first, jumps fixed: TC-LB2606-1/4, LSK-SIGM-8), or none (the 2026
   * load-time loader, debb5e82: TC-LB26-1). Default: libbpf 1.7's.
   */
  readonly signatureMatch?: SignatureMatch;
  /** With gen_hash: skip the ctx max_entries and initial_value overrides (TC-LB2606-5/6; kept by debb5e82). */
  readonly skipCtxOverrides?: boolean;
}

export interface MapCreateArgs {
  mapType: number;
  name: string | undefined;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags: number;
  mapExtra: number;
  numaNode: number;
  mapIfindex: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  btfVmlinuxValueTypeId: number;
}

export interface ProgLoadArgs {
  progType: number;
  name: string;
  license: string;
  insns: Uint8Array;
  expectedAttachType: number;
  attachBtfId: number;
  progIfindex: number;
  progFlags: number;
  funcInfo: Uint8Array;
  funcInfoRecSize: number;
  funcInfoCnt: number;
  lineInfo: Uint8Array;
  lineInfoRecSize: number;
  lineInfoCnt: number;
}

interface KsymRelo {
  name: string;
  isWeak: boolean;
  isTypeless: boolean;
  isLd64: boolean;
  kind: number;
  insnIdx: number;
}

interface KsymDesc {
  name: string;
  kind: number;
  ref: number;
  /** kfunc: fd_array index of its BTF fd */
  off: number;
  typeless: boolean;
  /** blob offset of the first instruction using it */
  insn: number;
}

function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

export class BpfGen {
  private insns: Insn[] = [];
  private data = new Uint8Array(4096);
  private dataLen = 0;
  error = 0;
  private cleanupLabel = 0;
  nrProgs = 0;
  nrMaps = 0;
  private logLevel = 0;
  private relos: KsymRelo[] = [];
  private coreRelos: Uint8Array[] = [];
  private attachTarget = '';
  private attachKind = 0;
  private ksyms: KsymDesc[] = [];
  private fdArray = 0;
  private nrFdArray = 0;
  private hashInsnOffset: number[] = [];

  constructor(private readonly flavor: GenFlavor) {}

  // ---- buffers ----

  private emit(insn: Insn): void {
    if (this.error) return; // libbpf: realloc_insn_buf() returns the sticky error, emit() bails
    this.insns.push(insn);
  }

  private emit2(pair: [Insn, Insn]): void {
    this.emit(pair[0]);
    this.emit(pair[1]);
  }

  /** add_data(): appends `size` bytes (zeros if data is absent) padded to 8; returns the offset. */
  private addData(data: Uint8Array | undefined, size: number): number {
    if (this.error) return 0;
    const size8 = Math.ceil(size / 8) * 8;
    if (this.dataLen + size8 > 0x7fffffff) {
      this.error = -Errno.ERANGE;
      return 0;
    }
    while (this.dataLen + size8 > this.data.length) {
      const grown = new Uint8Array(this.data.length * 2);
      grown.set(this.data.subarray(0, this.dataLen));
      this.data = grown;
    }
    const off = this.dataLen;
    this.data.fill(0, off, off + size8);
    if (data) this.data.set(data.subarray(0, size), off);
    this.dataLen += size8;
    return off;
  }

  private get insnCnt(): number {
    return this.insns.length;
  }

  private blobFdArrayOff(index: number): number {
    return this.fdArray + index * 4;
  }

  // ---- emit helpers (libbpf names) ----

  /** *(u64 *)(blob + off) = (u64)(void *)(blob + data) */
  private emitRelStore(off: number, data: number): void {
    this.emit2(ldImm64(R0, BPF_PSEUDO_MAP_IDX_VALUE, 0, data));
    this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, off));
    this.emit(stxMem(BPF_DW, R1, R0, 0));
  }

  private moveBlob2Blob(off: number, size: number, blobOff: number): void {
    this.emit2(ldImm64(R2, BPF_PSEUDO_MAP_IDX_VALUE, 0, blobOff));
    this.emit(ldxMem(sizeCode(size), R0, R2, 0));
    this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, off));
    this.emit(stxMem(sizeCode(size), R1, R0, 0));
  }

  private moveBlob2Ctx(ctxOff: number, size: number, blobOff: number): void {
    this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, blobOff));
    this.emit(ldxMem(sizeCode(size), R0, R1, 0));
    this.emit(stxMem(sizeCode(size), R6, R0, ctxOff));
  }

  private moveCtx2Blob(off: number, size: number, ctxOff: number, checkNonZero: boolean): void {
    this.emit(ldxMem(sizeCode(size), R0, R6, ctxOff));
    // keep the blob's value when the ctx field is zero (e.g. max_entries not overridden)
    if (checkNonZero) this.emit(jmpImm(BPF_JEQ, R0, 0, 3));
    this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, off));
    this.emit(stxMem(sizeCode(size), R1, R0, 0));
  }

  private moveStack2Blob(off: number, size: number, stackOffset: number): void {
    this.emit(ldxMem(sizeCode(size), R0, R10, stackOffset));
    this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, off));
    this.emit(stxMem(sizeCode(size), R1, R0, 0));
  }

  private moveStack2Ctx(ctxOff: number, size: number, stackOffset: number): void {
    this.emit(ldxMem(sizeCode(size), R0, R10, stackOffset));
    this.emit(stxMem(sizeCode(size), R6, R0, ctxOff));
  }

  /** spec: LSK-PROG-5 — r1 = cmd; r2 = &blob[attr]; r3 = size; call bpf_sys_bpf; r7 = r0 */
  private emitSysBpf(cmd: number, attr: number, attrSize: number): void {
    this.emit(mov64Imm(R1, cmd));
    this.emit2(ldImm64(R2, BPF_PSEUDO_MAP_IDX_VALUE, 0, attr));
    this.emit(mov64Imm(R3, attrSize));
    this.emit(call(Helper.sys_bpf));
    this.emit(mov64Reg(R7, R0));
  }

  /** spec: LSK-PROG-4 — if (r7 < 0) goto cleanup; -ERANGE when the offset does not fit s16. */
  private emitCheckErr(): void {
    const off = -(this.insnCnt - this.cleanupLabel) - 1;
    if (off === ((off << 16) >> 16)) {
      this.emit(jmpImm(BPF_JSLT, R7, 0, off));
    } else {
      this.error = -Errno.ERANGE;
      this.emit(jmpImm(BPF_JA, 0, 0, -1)); // never written: emit() bails once error is set (TC-LB2606-2)
    }
  }

  private emitSysCloseTail(): void {
    this.emit(jmpImm(BPF_JSLE, R1, 0, 2 + (this.logLevel ? 6 : 0)));
    this.emit(mov64Reg(R9, R1));
    this.emit(call(Helper.sys_close));
  }

  private emitSysCloseStack(stackOffset: number): void {
    this.emit(ldxMem(BPF_W, R1, R10, stackOffset));
    this.emitSysCloseTail();
  }

  private emitSysCloseBlob(blobOff: number): void {
    this.emit2(ldImm64(R0, BPF_PSEUDO_MAP_IDX_VALUE, 0, blobOff));
    this.emit(ldxMem(BPF_W, R1, R0, 0));
    this.emitSysCloseTail();
  }

  // ---- bpf_gen__init ----

  /** spec: LSK-PROG-1/2/3, LSK-SIGM-1 */
  init(logLevel: number, nrProgs: number, nrMaps: number): void {
    this.fdArray = this.addData(undefined, MAX_FD_ARRAY_SZ * 4);
    this.logLevel = logLevel;
    this.emit(mov64Reg(R6, R1)); // save ctx
    // zero the stack: bpf_probe_read_kernel(r10 - stack_sz, stack_sz, NULL)
    this.emit(mov64Reg(R1, R10));
    this.emit(alu64Imm(BPF_ADD, R1, -LOADER_STACK_SIZE));
    this.emit(mov64Imm(R2, LOADER_STACK_SIZE));
    this.emit(mov64Imm(R3, 0));
    this.emit(call(Helper.probe_read_kernel));
    const nrProgsSz = 8 + 4 * nrProgs;
    this.emit(jmpImm(BPF_JA, 0, 0, (nrProgsSz / 4) * 3 + 2 + nrMaps * (6 + (this.logLevel ? 6 : 0))));
    this.cleanupLabel = this.insnCnt;
    for (let i = 0; i < nrProgsSz; i += 4) {
      this.emit(ldxMem(BPF_W, R1, R10, -LOADER_STACK_SIZE + i));
      this.emit(jmpImm(BPF_JSLE, R1, 0, 1));
      this.emit(call(Helper.sys_close));
    }
    for (let i = 0; i < nrMaps; i++) this.emitSysCloseBlob(this.blobFdArrayOff(i));
    this.emit(mov64Reg(R0, R7));
    this.emit(exit());
    if (this.flavor.genHash && this.match !== 'none') this.emitSignatureMatch();
  }

  /** The signature-match block this loader carries (none without gen_hash). */
  private get match(): SignatureMatch {
    return this.flavor.genHash ? (this.flavor.signatureMatch ?? 'libbpf-1.7') : 'none';
  }

  /** Signed loaders of the 2026 libbpfs ignore the host's ctx overrides (TC-LB2606-5/6). */
  private get ctxOverrides(): boolean {
    return !(this.flavor.genHash && this.flavor.skipCtxOverrides);
  }

  /**
   * spec: LSK-SIGM-2, LSK-SIGM-6 — for each dword of SHA-256(blob): compare the metadata map's
   * `map->sha` dword with the embedded constant; on mismatch r7 = -EINVAL and jump to cleanup.
   * libbpf 1.7 computes the jump offset before `r7 = -EINVAL` is emitted, so it lands one instruction
   * past cleanup_label (the v6.18-era off-by-one). The 2026-06 loader (TC-LB2606-1, 5a5b5b0d) uses
   * `- 2` and lands on cleanup_label, and first rejects a non-exclusive metadata map by reading the
   * `u32 excl` member at offset 32 (TC-LB2606-4, 7e3bab2a, LSK-SIGM-8). On -ERANGE nothing more is
   * written (emit() bails once the error is set; the 2026 code drops the dead self-loop).
   */
  private emitSignatureMatch(): void {
    const hardened = this.match === 'libbpf-2026-06';
    const adjust = hardened ? 2 : 1;
    if (hardened) {
      this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX, 0, 0));
      this.emit(ldxMem(BPF_W, R2, R1, SHA256_DIGEST_LENGTH));
      const off = -(this.insnCnt - this.cleanupLabel) - adjust;
      if (isSimm16(off)) {
        this.emit(mov64Imm(R7, -Errno.EINVAL));
        this.emit(jmpImm(BPF_JNE, R2, 1, off));
      } else {
        this.error = -Errno.ERANGE;
      }
    }
    for (let i = 0; i < SHA256_DWORD_SIZE; i++) {
      this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX, 0, 0));
      this.emit(ldxMem(BPF_DW, R2, R1, i * 8));
      this.hashInsnOffset[i] = this.insnCnt;
      this.emit2(ldImm64(R3, 0, 0, 0));
      const off = -(this.insnCnt - this.cleanupLabel) - adjust;
      if (!isSimm16(off)) {
        this.error = -Errno.ERANGE;
        return;
      }
      this.emit(mov64Imm(R7, -Errno.EINVAL));
      this.emit(jmpReg(BPF_JNE, R2, R3, off));
    }
  }

  // ---- BTF, maps ----

  loadBtf(raw: Uint8Array): void {
    const A = Attr.btf;
    const btfData = this.addData(raw, raw.length);
    const attr = new Uint8Array(A.size);
    attr.set(u32le(raw.length), A.btf_size);
    const btfLoadAttr = this.addData(attr, A.size);
    this.moveCtx2Blob(btfLoadAttr + A.btf_log_level, 4, CTX_LOG_LEVEL, false);
    this.moveCtx2Blob(btfLoadAttr + A.btf_log_size, 4, CTX_LOG_SIZE, false);
    this.moveCtx2Blob(btfLoadAttr + A.btf_log_buf, 8, CTX_LOG_BUF, false);
    this.emitRelStore(btfLoadAttr + A.btf, btfData);
    this.emitSysBpf(BPF_BTF_LOAD, btfLoadAttr, A.size);
    this.emitCheckErr();
    this.emit(stxMem(BPF_W, R10, R7, STACK_BTF_FD));
  }

  /** `mapIdx` < 0 creates an inner map (fd kept on the stack). */
  mapCreate(a: MapCreateArgs, mapIdx: number): void {
    const A = Attr.map;
    const attr = new Uint8Array(A.size);
    const dv = new DataView(attr.buffer);
    dv.setUint32(A.map_type, a.mapType, true);
    dv.setUint32(A.key_size, a.keySize, true);
    dv.setUint32(A.value_size, a.valueSize, true);
    dv.setUint32(A.map_flags, a.mapFlags, true);
    dv.setBigUint64(A.map_extra, BigInt(a.mapExtra), true);
    if (a.name) attr.set(new TextEncoder().encode(a.name).subarray(0, BPF_OBJ_NAME_LEN - 1), A.map_name);
    dv.setUint32(A.numa_node, a.numaNode, true);
    dv.setUint32(A.map_ifindex, a.mapIfindex, true);
    dv.setUint32(A.max_entries, a.maxEntries, true);
    dv.setUint32(A.btf_key_type_id, a.btfKeyTypeId, true);
    dv.setUint32(A.btf_value_type_id, a.btfValueTypeId, true);
    dv.setUint32(A.btf_vmlinux_value_type_id, a.btfVmlinuxValueTypeId, true);
    const mapCreateAttr = this.addData(attr, A.size);
    let closeInner = false;
    if (a.btfValueTypeId) this.moveStack2Blob(mapCreateAttr + A.btf_fd, 4, STACK_BTF_FD);
    if (a.mapType === MapType.ARRAY_OF_MAPS || a.mapType === MapType.HASH_OF_MAPS) {
      this.moveStack2Blob(mapCreateAttr + A.inner_map_fd, 4, STACK_INNER_MAP_FD);
      closeInner = true;
    }
    // spec: LSK-CTX-4, LSK-HASH-2 — ctx.maps[i].max_entries overrides the blob when non-zero;
    // not in a signed 2026 loader (TC-LB2606-5, 364ee320)
    if (mapIdx >= 0 && this.ctxOverrides)
      this.moveCtx2Blob(mapCreateAttr + A.max_entries, 4, LOADER_CTX_SIZE + MAP_DESC_SIZE * mapIdx + MAP_DESC_MAX_ENTRIES, true);
    this.emitSysBpf(BPF_MAP_CREATE, mapCreateAttr, A.size);
    this.emitCheckErr();
    if (mapIdx < 0) {
      this.emit(stxMem(BPF_W, R10, R7, STACK_INNER_MAP_FD));
    } else if (mapIdx !== this.nrMaps) {
      this.error = -Errno.EDOM;
      return;
    } else {
      if (this.nrMaps === MAX_USED_MAPS) {
        this.error = -Errno.E2BIG;
        return;
      }
      const idx = this.nrMaps++;
      this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, this.blobFdArrayOff(idx)));
      this.emit(stxMem(BPF_W, R1, R7, 0));
    }
    if (closeInner) this.emitSysCloseStack(STACK_INNER_MAP_FD);
  }

  /**
   * spec: LSK-PROG-6, LSK-HASH-2 — the initial value in the blob, optionally replaced at run time by
   * ctx.maps[i].initial_value (bpf_copy_from_user, or bpf_probe_read_kernel for kernel skeletons).
   */
  mapUpdateElem(mapIdx: number, value: Uint8Array, valueSize: number): void {
    const A = Attr.elem;
    const valueOff = this.addData(value, valueSize);
    const keyOff = this.addData(u32le(0), 4);
    // not in a signed 2026 loader: the signed blob value is authoritative (TC-LB2606-6, 62fab2fc)
    if (this.ctxOverrides) {
      this.emit(ldxMem(BPF_DW, R3, R6, LOADER_CTX_SIZE + MAP_DESC_SIZE * mapIdx + MAP_DESC_INITIAL_VALUE));
      this.emit(jmpImm(BPF_JEQ, R3, 0, 8));
      this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, valueOff));
      this.emit(mov64Imm(R2, valueSize));
      this.emit(ldxMem(BPF_W, R0, R6, CTX_FLAGS));
      this.emit(jmpImm(BPF_JSET, R0, BPF_SKEL_KERNEL, 2));
      this.emit(call(Helper.copy_from_user));
      this.emit(jmpImm(BPF_JA, 0, 0, 1));
      this.emit(call(Helper.probe_read_kernel));
    }
    const attrOff = this.addData(new Uint8Array(A.size), A.size);
    this.moveBlob2Blob(attrOff + A.map_fd, 4, this.blobFdArrayOff(mapIdx));
    this.emitRelStore(attrOff + A.key, keyOff);
    this.emitRelStore(attrOff + A.value, valueOff);
    this.emitSysBpf(BPF_MAP_UPDATE_ELEM, attrOff, A.size);
    this.emitCheckErr();
  }

  mapFreeze(mapIdx: number): void {
    const A = Attr.freeze;
    const attrOff = this.addData(new Uint8Array(A.size), A.size);
    this.moveBlob2Blob(attrOff + A.map_fd, 4, this.blobFdArrayOff(mapIdx));
    this.emitSysBpf(BPF_MAP_FREEZE, attrOff, A.size);
    this.emitCheckErr();
  }

  // ---- attach targets and externs ----

  /** bpf_gen__record_attach_target(): the target name is looked up at run time. */
  recordAttachTarget(name: string, kind: number): void {
    this.attachKind = kind;
    this.attachTarget = name;
    if (new TextEncoder().encode(name).length >= 128) this.error = -Errno.ENOSPC;
  }

  private addString(s: string): [off: number, len: number] {
    const enc = new TextEncoder().encode(s);
    const z = new Uint8Array(enc.length + 1);
    z.set(enc);
    return [this.addData(z, z.length), z.length];
  }

  private emitFindAttachTarget(): void {
    const [name, len] = this.addString(this.attachTarget);
    this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, name));
    this.emit(mov64Imm(R2, len));
    this.emit(mov64Imm(R3, this.attachKind));
    this.emit(mov64Imm(R4, 0));
    this.emit(call(Helper.btf_find_by_name_kind));
    this.emit(mov64Reg(R7, R0));
    this.emitCheckErr();
    // on success btf_id is in the low 32 bits of r7, btf_obj_fd in the high 32 bits
  }

  recordExtern(name: string, isWeak: boolean, isTypeless: boolean, isLd64: boolean, kind: number, insnIdx: number): void {
    this.relos.push({ name, isWeak, isTypeless, isLd64, kind, insnIdx });
  }

  /** struct bpf_core_relo handed to the kernel in PROG_LOAD (libbpf ≥ 1.0 gen_loader). */
  recordRelocCore(insnOff: number, typeId: number, accessStrOff: number, kind: number): void {
    const rec = new Uint8Array(CORE_RELO_SIZE);
    const dv = new DataView(rec.buffer);
    dv.setUint32(0, insnOff, true);
    dv.setUint32(4, typeId, true);
    dv.setUint32(8, accessStrOff, true);
    dv.setUint32(12, kind, true);
    this.coreRelos.push(rec);
  }

  private getKsymDesc(relo: KsymRelo): KsymDesc {
    const found = this.ksyms.find((k) => k.name === relo.name);
    if (found) {
      found.ref++;
      return found;
    }
    const k: KsymDesc = { name: relo.name, kind: relo.kind, ref: 1, off: 0, typeless: false, insn: 0 };
    this.ksyms.push(k);
    return k;
  }

  private emitFindByNameKind(relo: KsymRelo): void {
    const [nameOff, len] = this.addString(relo.name);
    this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, nameOff));
    this.emit(mov64Imm(R2, len));
    this.emit(mov64Imm(R3, relo.kind));
    this.emit(mov64Imm(R4, 0));
    this.emit(call(Helper.btf_find_by_name_kind));
    this.emit(mov64Reg(R7, R0));
  }

  private emitKallsymsLookupName(relo: KsymRelo): void {
    const [nameOff, len] = this.addString(relo.name);
    const resOff = this.addData(undefined, 8);
    this.emit2(ldImm64(R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, nameOff));
    this.emit(mov64Imm(R2, len));
    this.emit(mov64Imm(R3, 0));
    this.emit2(ldImm64(R4, BPF_PSEUDO_MAP_IDX_VALUE, 0, resOff));
    this.emit(mov64Reg(R7, R4));
    this.emit(call(Helper.kallsyms_lookup_name));
    this.emit(ldxMem(BPF_DW, R9, R7, 0));
    this.emit(mov64Reg(R7, R0));
  }

  private addKfuncBtfFd(): number {
    if (this.nrFdArray === MAX_KFUNC_DESCS) {
      const cur = this.addData(undefined, 4);
      return (cur - this.fdArray) / 4;
    }
    return MAX_USED_MAPS + this.nrFdArray++;
  }

  /** kfunc call: imm = BTF id, off = fd_array index of the module BTF fd (0 for vmlinux). */
  private emitReloKfuncBtf(relo: KsymRelo, insn: number): void {
    const k = this.getKsymDesc(relo);
    if (k.ref > 1) {
      this.moveBlob2Blob(insn + 4, 4, k.insn + 4);
      this.moveBlob2Blob(insn + 2, 2, k.insn + 2);
      return;
    }
    k.insn = insn;
    this.emitFindByNameKind(relo);
    if (!relo.isWeak) this.emitCheckErr();
    const idx = this.addKfuncBtfFd();
    if (idx > 0x7fff) {
      this.error = -Errno.E2BIG;
      return;
    }
    k.off = idx;
    this.emit(jmpImm(BPF_JSGE, R7, 0, 3)); // success
    this.emit(stMem(BPF_W, R8, 4, 0)); // weak and missing: imm = 0, off = 0
    this.emit(stMem(BPF_H, R8, 2, 0));
    this.emit(jmpImm(BPF_JA, 0, 0, 10));
    this.emit(stxMem(BPF_W, R8, R7, 4)); // imm = btf_id
    this.emit(mov64Reg(R9, R7));
    this.emit(alu64Imm(BPF_RSH, R9, 32)); // r9 = btf fd
    if (this.flavor.kfuncStoreFdFirst) {
      // libbpf 1.7: store the fd in its fd_array slot, then decide insn->off
      this.emit2(ldImm64(R0, BPF_PSEUDO_MAP_IDX_VALUE, 0, this.blobFdArrayOff(idx)));
      this.emit(stxMem(BPF_W, R0, R9, 0));
      this.emit(jmpImm(BPF_JNE, R9, 0, 2));
      this.emit(stMem(BPF_H, R8, 2, 0));
      this.emit(jmpImm(BPF_JA, 0, 0, 1));
      this.emit(stMem(BPF_H, R8, 2, idx));
    } else {
      // libbpf 1.1: vmlinux BTF (fd 0) skips the fd store
      this.emit(jmpImm(BPF_JNE, R9, 0, 2));
      this.emit(stMem(BPF_H, R8, 2, 0));
      this.emit(jmpImm(BPF_JA, 0, 0, 4));
      this.emit2(ldImm64(R0, BPF_PSEUDO_MAP_IDX_VALUE, 0, this.blobFdArrayOff(idx)));
      this.emit(stxMem(BPF_W, R0, R9, 0));
      this.emit(stMem(BPF_H, R8, 2, idx));
    }
  }

  /** typeless ksym: the address from bpf_kallsyms_lookup_name goes into the ld_imm64 pair. */
  private emitReloKsymTypeless(relo: KsymRelo, insn: number): void {
    const k = this.getKsymDesc(relo);
    if (k.ref > 1) {
      this.moveBlob2Blob(insn + 4, 4, k.insn + 4);
      this.moveBlob2Blob(insn + 8 + 4, 4, k.insn + 8 + 4);
      return;
    }
    k.insn = insn;
    k.typeless = true;
    this.emitKallsymsLookupName(relo);
    this.emit(jmpImm(BPF_JEQ, R7, -Errno.ENOENT, 1));
    this.emitCheckErr();
    this.emit(stxMem(BPF_W, R8, R9, 4));
    this.emit(alu64Imm(BPF_RSH, R9, 32));
    this.emit(stxMem(BPF_W, R8, R9, 8 + 4));
  }

  /** typed ksym: imm = BTF id, next imm = BTF object fd; src_reg cleared when unresolved. */
  private emitReloKsymBtf(relo: KsymRelo, insn: number): void {
    const k = this.getKsymDesc(relo);
    if (k.ref > 1) {
      // copy btf_obj_fd, then btf_id; r0 still holds the id: skip the src_reg reset when it is set
      this.moveBlob2Blob(insn + 8 + 4, 4, k.insn + 8 + 4);
      this.moveBlob2Blob(insn + 4, 4, k.insn + 4);
      this.emit(jmpImm(BPF_JNE, R0, 0, 3));
    } else {
      k.insn = insn;
      this.emitFindByNameKind(relo);
      if (!relo.isWeak) this.emitCheckErr();
      this.emit(jmpImm(BPF_JSGE, R7, 0, 3)); // found: go store id and fd
      this.emit(stMem(BPF_W, R8, 4, 0)); // weak and missing: imm = 0, next imm = 0
      this.emit(stMem(BPF_W, R8, 8 + 4, 0));
      this.emit(jmpImm(BPF_JA, 0, 0, 4));
      this.emit(stxMem(BPF_W, R8, R7, 4)); // imm = btf_id
      this.emit(alu64Imm(BPF_RSH, R7, 32));
      this.emit(stxMem(BPF_W, R8, R7, 8 + 4)); // next imm = btf_obj_fd
      this.emit(jmpImm(BPF_JA, 0, 0, 3)); // keep src_reg
    }
    // clear the src_reg set by relocation, otherwise the verifier rejects the ld_imm64
    this.emit(ldxMem(BPF_B, R9, R8, 1));
    this.emit(alu32Imm(BPF_AND, R9, 0x0f));
    this.emit(stxMem(BPF_B, R8, R9, 1));
  }

  private emitRelo(relo: KsymRelo, insnsOff: number): void {
    const insn = insnsOff + 8 * relo.insnIdx;
    this.emit2(ldImm64(R8, BPF_PSEUDO_MAP_IDX_VALUE, 0, insn));
    if (relo.kind === BtfKind.VAR) {
      if (relo.isTypeless) this.emitReloKsymTypeless(relo, insn);
      else this.emitReloKsymBtf(relo, insn);
    } else if (relo.kind === BtfKind.FUNC) {
      this.emitReloKfuncBtf(relo, insn);
    } else {
      this.error = -Errno.EDOM;
    }
  }

  /** After PROG_LOAD, successful or not: close the BTF fds taken for typed ksyms and kfuncs. */
  private cleanupRelos(): void {
    for (const k of this.ksyms) {
      if (k.kind === BtfKind.VAR && !k.typeless) {
        this.emitSysCloseBlob(k.insn + 8 + 4);
      } else if (k.kind === BtfKind.FUNC) {
        this.emitSysCloseBlob(this.blobFdArrayOff(k.off));
        if (k.off < MAX_FD_ARRAY_SZ) this.nrFdArray--;
      }
    }
    this.ksyms = [];
    this.relos = [];
  }

  // ---- PROG_LOAD ----

  progLoad(a: ProgLoadArgs): void {
    const A = Attr.prog;
    const [licenseOff] = this.addString(a.license);
    const insnsOff = this.addData(a.insns, a.insns.length);
    const funcInfo = this.addData(a.funcInfo, a.funcInfoCnt * a.funcInfoRecSize);
    const lineInfo = this.addData(a.lineInfo, a.lineInfoCnt * a.lineInfoRecSize);
    const coreBytes = new Uint8Array(this.coreRelos.length * CORE_RELO_SIZE);
    this.coreRelos.forEach((r, i) => coreBytes.set(r, i * CORE_RELO_SIZE));
    const coreRelos = this.addData(coreBytes, coreBytes.length);

    const attr = new Uint8Array(A.size);
    const dv = new DataView(attr.buffer);
    dv.setUint32(A.prog_type, a.progType, true);
    dv.setUint32(A.expected_attach_type, a.expectedAttachType, true);
    dv.setUint32(A.attach_btf_id, a.attachBtfId, true);
    dv.setUint32(A.prog_ifindex, a.progIfindex, true);
    dv.setUint32(A.kern_version, 0, true);
    dv.setUint32(A.insn_cnt, a.insns.length / 8, true);
    dv.setUint32(A.prog_flags, a.progFlags, true);
    dv.setUint32(A.func_info_rec_size, a.funcInfoRecSize, true);
    dv.setUint32(A.func_info_cnt, a.funcInfoCnt, true);
    dv.setUint32(A.line_info_rec_size, a.lineInfoRecSize, true);
    dv.setUint32(A.line_info_cnt, a.lineInfoCnt, true);
    dv.setUint32(A.core_relo_cnt, this.coreRelos.length, true);
    dv.setUint32(A.core_relo_rec_size, CORE_RELO_SIZE, true);
    attr.set(new TextEncoder().encode(a.name).subarray(0, BPF_OBJ_NAME_LEN - 1), A.prog_name);
    const progLoadAttr = this.addData(attr, A.size);

    this.emitRelStore(progLoadAttr + A.license, licenseOff);
    this.emitRelStore(progLoadAttr + A.insns, insnsOff);
    this.emitRelStore(progLoadAttr + A.func_info, funcInfo);
    this.emitRelStore(progLoadAttr + A.line_info, lineInfo);
    this.emitRelStore(progLoadAttr + A.core_relos, coreRelos);
    // fd_array points at the blob's fd area: the target program references maps by index
    this.emitRelStore(progLoadAttr + A.fd_array, this.fdArray);
    this.moveCtx2Blob(progLoadAttr + A.log_level, 4, CTX_LOG_LEVEL, false);
    this.moveCtx2Blob(progLoadAttr + A.log_size, 4, CTX_LOG_SIZE, false);
    this.moveCtx2Blob(progLoadAttr + A.log_buf, 8, CTX_LOG_BUF, false);
    this.moveStack2Blob(progLoadAttr + A.prog_btf_fd, 4, STACK_BTF_FD);
    if (this.attachKind) {
      this.emitFindAttachTarget();
      this.emit2(ldImm64(R0, BPF_PSEUDO_MAP_IDX_VALUE, 0, progLoadAttr));
      this.emit(stxMem(BPF_W, R0, R7, A.attach_btf_id));
      this.emit(alu64Imm(BPF_RSH, R7, 32));
      this.emit(stxMem(BPF_W, R0, R7, A.attach_btf_obj_fd));
    }
    for (const r of this.relos) this.emitRelo(r, insnsOff);
    this.emitSysBpf(BPF_PROG_LOAD, progLoadAttr, A.size);
    this.cleanupRelos();
    if (this.attachKind) {
      this.emitSysCloseBlob(progLoadAttr + A.attach_btf_obj_fd);
      this.attachKind = 0;
    }
    this.emitCheckErr();
    this.emit(stxMem(BPF_W, R10, R7, stackProgFd(this.nrProgs)));
    this.nrProgs++;
    this.coreRelos = [];
  }

  // ---- bpf_gen__finish ----

  /** spec: LSK-PROG-7, LSK-SIGM-3 */
  finish(nrProgs: number, nrMaps: number): void {
    if (nrProgs < this.nrProgs || nrMaps !== this.nrMaps) {
      this.error = -Errno.EFAULT;
      return;
    }
    this.emitSysCloseStack(STACK_BTF_FD);
    for (let i = 0; i < this.nrProgs; i++)
      this.moveStack2Ctx(LOADER_CTX_SIZE + MAP_DESC_SIZE * this.nrMaps + PROG_DESC_SIZE * i, 4, stackProgFd(i));
    for (let i = 0; i < this.nrMaps; i++)
      this.moveBlob2Ctx(LOADER_CTX_SIZE + MAP_DESC_SIZE * i + MAP_DESC_MAP_FD, 4, this.blobFdArrayOff(i));
    this.emit(mov64Imm(R0, 0));
    this.emit(exit());
    // 77ff0937: no hash when generation failed; debb5e82: no hash at all (no block to patch)
    if (this.match !== 'none' && !this.error) this.computeShaUpdateOffsets();
  }

  /** spec: LSK-SIGM-3 — dword i of SHA-256(blob), read little-endian, split over the ld_imm64 pair. */
  private computeShaUpdateOffsets(): void {
    const sha = createHash('sha256').update(this.dataBytes()).digest();
    for (let i = 0; i < SHA256_DWORD_SIZE; i++) {
      const at = this.hashInsnOffset[i];
      this.insns[at].imm = sha.readInt32LE(8 * i);
      this.insns[at + 1].imm = sha.readInt32LE(8 * i + 4);
    }
  }

  insnBytes(): Uint8Array {
    return encodeInsns(this.insns);
  }

  dataBytes(): Uint8Array {
    return this.data.slice(0, this.dataLen);
  }
}
