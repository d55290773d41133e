// The light-skeleton runtime: `<name>__open()` and `<name>__load()` of a generated header, with
// bpf_load_and_run() as a libbpf's skel_internal.h implements it, run in an emulated process. Which
// libbpf is data (a LoaderFlow, from the toolchain registry): attr sizes, which steps run, which
// fields are passed. spec: LSK-RUN-1..9 (sequence, attr sizes, errstr strings), LSK-HDR-3
// (open/load), LSK-CTX-1..4 (ctx layout), TC-BT77-5 (keyring_id from the skeleton), HC-UAPI-2
// (signature_maps), TC-LB26-1 (fd_array_cnt, no GET_INFO), OBS-LSK-* and OBS-DEB-* (the real runs).

import { InputError } from '../errors.js';
import type { LoaderFlow } from './gen-loader/profiles.js';
import { candidateToolchains } from './lskel-identify.js';
import type { Process } from '../syscall/process.js';
import { TaskKilled, type OopsReport, type SysResult } from '../syscall/result.js';
import { BPF_MAP_INFO, MAP_CREATE, MAP_ELEM, MAP_FREEZE, OBJ_GET_INFO_BY_FD, PROG_LOAD, PROG_TEST_RUN } from '../syscall/uapi/attr-layouts.js';
import { BpfCmd, MapType, ProgFlag, ProgType } from '../syscall/uapi/consts.js';
import { encodePrefix } from '../syscall/uapi/layout.js';
import { pageSlabBytes, slabBytes } from '../abi/slab.js';
import { s32At, s32Bytes, u64At } from '../abi/le.js';

import type { LightSkeleton } from './lskel-reader.js';

/**
 * What the runtime needs of the loading process: its memory, bpf(2) and close(2). An emulated
 * Process is one; src/realkernel/ records the same flow through this boundary to run it on a real
 * kernel, and plays the real answers back through it.
 */
export type SkelProcess = Pick<Process, 'alloc' | 'bpf' | 'read' | 'close'> & Partial<Pick<Process, 'free'>>;

export interface SkelRunOptions {
  /** The bpf_load_and_run flow; default: that of the first registered toolchain that fits the header (candidateToolchains). */
  readonly flow?: LoaderFlow;
  /** skel->keyring_id (signed 7.7 skeletons; 0 = builtin keyring unless set, KP-Q-5). */
  readonly keyringId?: number;
  /** skel->ctx.log_level / log_size: the loader copies them into its inner loads. */
  readonly logLevel?: number;
  readonly logSize?: number;
  /**
   * Harness options that depart from libbpf (to reproduce published scenarios): skip MAP_FREEZE
   * (KP-META-4) or the GET_INFO hash request (KP-META-3, selftest metadata_hash_not_computed).
   */
  readonly skipFreeze?: boolean;
  readonly skipHash?: boolean;
  /** Harness: create the metadata map without excl_prog_hash (KP-META-5, LT-ERR-20, OBS-DEB-20/31). */
  readonly noExclHash?: boolean;
  /**
   * Harness: the stale-hash trick (KP-META-4, CLAIM-7): write these bytes (the blob as signed), ask
   * for the hash while the map is unfrozen, then write the skeleton's own (tampered) blob, freeze,
   * and load without asking again — the loader compares the cached, stale map->sha.
   */
  readonly staleHashOf?: Uint8Array;
}

export interface SkelResult {
  /**
   * loaded: `__load()` returned 0; rejected: it returned a kernel errno; not-emulated: a call on the
   * way reached a path bpfsig does not model, so there is no kernel answer (notEmulated says which);
   * oops: the kernel oopsed inside a call and the task was killed (`oops`).
   */
  readonly outcome: 'loaded' | 'rejected' | 'not-emulated' | 'oops';
  /** What `<name>__load()` returned: 0 or a negative errno; null when it never returned (`oops`); NOT_EMULATED_RET when not emulated. */
  readonly err: number | null;
  /** The path bpfsig does not model, when outcome is 'not-emulated'. */
  readonly notEmulated?: string;
  /**
   * Set when the kernel oopsed inside one of bpf_load_and_run's syscalls: the task was killed there,
   * so `<name>__load()` never returned and nothing after that call ran (no errstr, no close).
   */
  readonly oops: { readonly step: string; readonly sys: number; readonly report: OopsReport } | null;
  /** opts->errstr: which step failed, in libbpf's words; null on success. */
  readonly errstr: string | null;
  /** The loader program's return value (test.retval), when it ran. */
  readonly loaderRetval: number | null;
  /** fds the loader handed back through the ctx (maps, then programs), by skeleton name. */
  readonly mapFds: Record<string, number>;
  readonly progFds: Record<string, number>;
  /** The syscalls bpf_load_and_run made, in order. */
  readonly calls: readonly { step: string; res: SysResult }[];
  /** The flow that ran. */
  readonly flow: LoaderFlow;
  /** Address of the skeleton struct (its ctx) in the process. */
  readonly skelAddr: bigint;
}

/** The loader's license string with its NUL (a copy is placed per load: the program's .rodata). */
const LOADER_LICENSE = new Uint8Array(Buffer.from('Dual BSD/GPL\0', 'latin1'));

/** Offset of test.retval in the PROG_TEST_RUN attr. */
const TEST_RETVAL_OFF = BigInt(PROG_TEST_RUN.byName.get('test.retval')!.offset);

/** bpf_load_and_run's steps, and the name of the attr region each places. */
const ATTR_NAME = {
  map_create: 'map_create attr',
  map_update_elem: 'map_update_elem attr',
  map_freeze: 'map_freeze attr',
  obj_get_info_by_fd: 'obj_get_info_by_fd attr',
  prog_load: 'prog_load attr',
  prog_test_run: 'prog_test_run attr',
} as const;
type Step = keyof typeof ATTR_NAME;

/** skel_alloc + the parts of __open that matter here: ctx.sz, log settings, mmapable initial values. */
function openSkeleton(proc: SkelProcess, skel: LightSkeleton, opts: SkelRunOptions): bigint {
  // ctx | maps | progs | links | (keyring_id) — the kernel reads ctx.sz bytes of it (LSK-CTX-4).
  // The struct is laid out from the maps and programs; ctx.sz is what the skeleton says (a header
  // may say anything there: the kernel then reads that many bytes).
  const size = structSize(skel) + 4 * skel.links.length + 8;
  const bytes = slabBytes(size);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, size);
  dv.setUint32(0, skel.ctxSize, true); // ctx.sz
  dv.setUint32(8, opts.logLevel ?? 0, true);
  dv.setUint32(12, opts.logSize ?? 0, true);
  if (opts.logSize) dv.setBigUint64(16, proc.alloc(opts.logSize, 'skel log_buf'), true);
  skel.maps.forEach((m, i) => {
    if (!m.initialValue) return;
    // skel_prep_map_data: an anonymous shared mapping holding the initial value.
    // skel_prep_map_data: mmap(mmap_sz) — whole pages — then memcpy(val_sz). A copy past the
    // mapping would fault in the real program; mmap of 0 bytes fails (EINVAL) and __open() with it.
    const mapped = Math.ceil((m.mmapSize ?? 4096) / 4096) * 4096;
    if (mapped === 0 || m.initialValue.length > mapped)
      throw new InputError(`skel_prep_map_data for ${m.ident}: ${m.initialValue.length}-byte initial value, ${m.mmapSize}-byte mapping (the real __open() would ${mapped === 0 ? 'fail in mmap' : 'fault in memcpy'})`);
    const area = pageSlabBytes(mapped);
    area.set(m.initialValue);
    dv.setBigUint64(24 + 16 * i + 8, proc.alloc(area, `skel ${m.ident} initial value`), true);
  });
  return proc.alloc(bytes, `struct ${skel.name}`);
}

/** offsetof(struct <name>, links): the ctx, the map descriptors and the program descriptors. */
function structSize(skel: LightSkeleton): number {
  return 24 + 16 * skel.maps.length + 4 * skel.progs.length;
}

/** Run `<name>__open()` + `<name>__load()` for a parsed skeleton in a process. */
export function loadSkeleton(proc: SkelProcess, skel: LightSkeleton, opts: SkelRunOptions = {}): SkelResult {
  const flow = opts.flow ?? defaultFlow(skel);
  const skelAddr = openSkeleton(proc, skel, opts);
  const calls: { step: string; res: SysResult }[] = [];
  let r: RunOutcome;
  try {
    r = bpfLoadAndRun(proc, skel, skelAddr, flow, opts, calls);
  } catch (e) {
    // The task died inside a syscall: <name>__load() never returns, no errstr is set.
    if (!(e instanceof KilledIn)) throw e;
    r = { outcome: 'oops', err: null, errstr: null, loaderRetval: null, calls, oops: { step: e.step, sys: e.killed.sys, report: e.killed.oops }, notEmulated: undefined };
  }
  const mapFds: Record<string, number> = {};
  const progFds: Record<string, number> = {};
  if (r.outcome === 'loaded') {
    const ctx = proc.read(skelAddr, structSize(skel))!;
    const maps = skel.maps;
    for (let i = 0; i < maps.length; i++) mapFds[maps[i]!.ident] = s32At(ctx, 24 + 16 * i);
    const progs = skel.progs;
    for (let j = 0; j < progs.length; j++) progFds[progs[j]!] = s32At(ctx, 24 + 16 * maps.length + 4 * j);
  }
  // The result's members in one order whatever the outcome (notEmulated only when set), built
  // without a spread (issue K).
  const { outcome, err, errstr, loaderRetval, calls: made, oops, notEmulated } = r;
  return notEmulated !== undefined
    ? { outcome, err, errstr, loaderRetval, calls: made, oops, notEmulated, mapFds, progFds, skelAddr, flow }
    : { outcome, err, errstr, loaderRetval, calls: made, oops, mapFds, progFds, skelAddr, flow };
}

/** What bpf_load_and_run came to (SkelResult without what loadSkeleton adds; notEmulated always present). */
type RunOutcome = Omit<SkelResult, 'mapFds' | 'progFds' | 'skelAddr' | 'flow' | 'notEmulated'> & { readonly notEmulated: string | undefined };

/**
 * `<name>__destroy()`: close the fds the load handed back and free the skeleton struct, its log
 * buffer and the initial-value mappings `__open()` made (when the process can free memory).
 */
export function destroySkeleton(proc: SkelProcess, skel: LightSkeleton, r: SkelResult): void {
  // programs first, then maps, each in the order the load handed them back
  for (const k in r.progFds) if (r.progFds[k]! > 0) proc.close(r.progFds[k]!);
  for (const k in r.mapFds) if (r.mapFds[k]! > 0) proc.close(r.mapFds[k]!);
  if (!proc.free) return;
  const ctx = proc.read(r.skelAddr, structSize(skel));
  if (ctx) {
    const logBuf = u64At(ctx, 16);
    if (logBuf) proc.free(logBuf);
    const maps = skel.maps;
    for (let i = 0; i < maps.length; i++) {
      const iv = maps[i]!.initialValue ? u64At(ctx, 24 + 16 * i + 8) : 0n;
      if (iv) proc.free(iv);
    }
  }
  proc.free(r.skelAddr);
}

/** The flow of the first registered toolchain whose skeletons look like this one. */
export function defaultFlow(skel: LightSkeleton): LoaderFlow {
  const t = candidateToolchains(skel)[0];
  if (!t) throw new RangeError(`no registered toolchain writes ${skel.style} skeletons like '${skel.name}'`);
  return t.flow;
}

/** A TaskKilled out of one of bpf_load_and_run's syscalls, with the step it was in. */
class KilledIn extends Error {
  constructor(
    readonly step: string,
    readonly killed: TaskKilled,
  ) {
    super(killed.message);
  }
}

/** bpf_load_and_run(opts), libbpf's sequence with its attr sizes and errstr strings (LSK-RUN-1..7). */
function bpfLoadAndRun(
  user: SkelProcess,
  skel: LightSkeleton,
  ctxAddr: bigint,
  flow: LoaderFlow,
  o: SkelRunOptions,
  calls: { step: string; res: SysResult }[],
): RunOutcome {
  // Everything bpf_load_and_run allocates lives on its stack in C: freed when it returns (issue K:
  // a process that loads skeletons again and again keeps a constant number of regions).
  const temp: bigint[] = [];
  const proc: SkelProcess = {
    bpf: (cmd, attr, size) => user.bpf(cmd, attr, size),
    read: (addr, len) => user.read(addr, len),
    close: (fd) => user.close(fd),
    alloc: (bytes, name) => {
      const a = user.alloc(bytes, name);
      temp.push(a);
      return a;
    },
  };
  const sys = (step: Step, cmd: number, layout: typeof MAP_CREATE, fields: Record<string, number | bigint | string>, size: number) => {
    // the attr the program passes: its first `size` bytes, in a buffer of their own
    const addr = proc.alloc(encodePrefix(layout, fields, size), ATTR_NAME[step]);
    let res: SysResult;
    try {
      res = proc.bpf(cmd, addr, size);
    } catch (e) {
      throw e instanceof TaskKilled ? new KilledIn(step, e) : e;
    }
    calls.push({ step, res });
    return { res, addr };
  };
  let mapFd = -1;
  let progFd = -1;
  let errstr: string | null = null;
  let loaderRetval: number | null = null;
  let err = 0;
  let notEmulated: string | undefined;
  const done = () => {
    if (mapFd >= 0) proc.close(mapFd);
    if (progFd >= 0) proc.close(progFd);
    if (user.free) for (const a of temp) user.free(a);
    const outcome = notEmulated !== undefined ? 'not-emulated' : err === 0 ? 'loaded' : 'rejected';
    return { outcome, err, errstr, loaderRetval, calls, oops: null, notEmulated } as const;
  };
  // set_err: err = -errno (userspace build). A call bpfsig does not model has no errno to set:
  // the run stops there as not emulated.
  const failed = (res: SysResult, what: string) => {
    errstr = what;
    err = res.ret;
    if (res.outcome === 'not-emulated') notEmulated = res.unsupported ?? 'not emulated';
  };

  // LSK-RUN-1: skel_map_create (1.7: attr size 92 with excl_prog_hash; 1.1: 72).
  const signed = flow.signatureFields && skel.signature !== undefined;
  const mc = sys(
    'map_create',
    BpfCmd.BPF_MAP_CREATE,
    MAP_CREATE,
    {
      map_type: MapType.BPF_MAP_TYPE_ARRAY,
      key_size: 4,
      value_size: skel.data.length,
      max_entries: 1,
      map_name: '__loader.map',
      ...(flow.exclProgHash && skel.exclHash && !o.noExclHash ? { excl_prog_hash: proc.alloc(skel.exclHash, 'excl_prog_hash'), excl_prog_hash_size: skel.exclHash.length } : {}),
    },
    flow.mapCreateAttrSize,
  );
  mapFd = mc.res.ret;
  if (mc.res.outcome !== 'ok') {
    failed(mc.res, 'failed to create loader map');
    return done();
  }
  const update = (data: Uint8Array) => sys('map_update_elem', BpfCmd.BPF_MAP_UPDATE_ELEM, MAP_ELEM, { map_fd: mapFd, key: proc.alloc(4, 'key'), value: proc.alloc(data, 'opts->data'), flags: 0n }, 32);
  const getInfoHash = () => {
    const info = proc.alloc(encodePrefix(BPF_MAP_INFO, { hash: proc.alloc(32, 'sha'), hash_size: 32 }, BPF_MAP_INFO.sizeof!), 'bpf_map_info');
    return sys('obj_get_info_by_fd', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, OBJ_GET_INFO_BY_FD, { 'info.bpf_fd': mapFd, 'info.info': info, 'info.info_len': BPF_MAP_INFO.sizeof! }, 16);
  };
  if (o.staleHashOf) {
    // KP-META-4: hash the blob as signed while the map is still writable, then replace it.
    const first = update(o.staleHashOf);
    if (first.res.outcome !== 'ok') {
      failed(first.res, 'failed to update loader map');
      return done();
    }
    const early = getInfoHash();
    if (early.res.outcome !== 'ok') {
      failed(early.res, 'failed to fetch obj info');
      return done();
    }
  }
  // LSK-RUN-2
  const up = update(skel.data);
  if (up.res.outcome !== 'ok') {
    failed(up.res, 'failed to update loader map');
    return done();
  }
  // LSK-RUN-3
  if (flow.freeze && !o.skipFreeze) {
    const fr = sys('map_freeze', BpfCmd.BPF_MAP_FREEZE, MAP_FREEZE, { map_fd: mapFd }, 4);
    if (fr.res.outcome !== 'ok') {
      failed(fr.res, 'failed to freeze map');
      return done();
    }
  }
  // LSK-RUN-4: the hash is discarded; the call makes the kernel fill map->sha. (The stale-hash
  // harness asked for it already, before the tamper.)
  if (flow.getInfoHash && !o.skipHash && !o.staleHashOf) {
    const gi = getInfoHash();
    if (gi.res.outcome !== 'ok') {
      failed(gi.res, 'failed to fetch obj info');
      return done();
    }
  }
  // LSK-RUN-5: attr size offsetofend(keyring_id) = 168 (1.7), offsetofend(fd_array) = 128 (1.1),
  // offsetofend(signature_maps_size) = 180 (hash chains, HC-UAPI-2).
  const ctx = proc.read(ctxAddr, 24)!;
  const cdv = new DataView(ctx.buffer, ctx.byteOffset);
  const loadFields: Record<string, number | bigint | string> = {
    prog_type: ProgType.BPF_PROG_TYPE_SYSCALL,
    insns: proc.alloc(skel.insns, 'opts->insns'),
    insn_cnt: skel.insns.length / 8,
    license: proc.alloc(LOADER_LICENSE.slice(), 'license'),
    prog_name: '__loader.prog',
    fd_array: proc.alloc(s32Bytes(mapFd), '&map_fd'),
    log_level: cdv.getUint32(8, true),
    log_size: cdv.getUint32(12, true),
    log_buf: cdv.getBigUint64(16, true),
    prog_flags: ProgFlag.BPF_F_SLEEPABLE,
  };
  if (flow.signatureFields) {
    if (skel.signature) {
      loadFields.signature = proc.alloc(skel.signature, 'opts->signature');
      loadFields.signature_size = skel.signature.length;
    }
    loadFields.keyring_id = o.keyringId ?? 0;
  }
  // TC-LB26-1: the 2026 load-time flow binds the metadata map through a counted fd_array when signed.
  if (signed && flow.fdArrayCntWhenSigned) loadFields.fd_array_cnt = flow.fdArrayCntWhenSigned;
  // HC-UAPI-2: attr.signature_maps / _size = opts->signature_maps / _sz, as the header assigned them
  // (the -M header: opts_signature_maps and its count; other signed headers of that bpftool: NULL
  // and 0). The static array lives in the program's read-only data.
  const sm = skel.signatureMapsOpts;
  if (flow.signatureMaps && sm) {
    loadFields.signature_maps = sm.ptr === 'array' ? proc.alloc(new Uint8Array(new Int32Array(skel.signatureMaps!).buffer), 'opts_signature_maps') : 0n;
    loadFields.signature_maps_size = sm.sz;
  }
  const pl = sys('prog_load', BpfCmd.BPF_PROG_LOAD, PROG_LOAD, loadFields, flow.progLoadAttrSize);
  progFd = pl.res.ret;
  if (pl.res.outcome !== 'ok') {
    failed(pl.res, 'failed to load loader prog');
    return done();
  }
  // LSK-RUN-6: BPF_PROG_RUN with the skeleton as ctx; the syscall returns 0 whatever the loader did.
  const tr = sys(
    'prog_test_run',
    BpfCmd.BPF_PROG_TEST_RUN,
    PROG_TEST_RUN,
    { 'test.prog_fd': progFd, 'test.ctx_in': ctxAddr, 'test.ctx_size_in': skel.ctxSize },
    80,
  );
  if (tr.res.outcome !== 'ok') {
    failed(tr.res, 'failed to execute loader prog');
    return done();
  }
  // test.retval as the program reads it back (the one field it looks at)
  loaderRetval = s32At(proc.read(tr.addr + TEST_RETVAL_OFF, 4)!);
  if (loaderRetval < 0) {
    errstr = 'error returned by loader prog';
    err = loaderRetval;
    return done();
  }
  err = 0;
  return done();
}
