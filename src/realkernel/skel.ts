// A light-skeleton load on a real kernel, derived from the emulator's own skeleton runtime
// (src/loader/skel-runtime.ts) instead of a second copy of libbpf's sequence:
//
// 1. record: loadSkeleton() runs against a recording process whose every call succeeds; the
//    calls it makes (bpf with attr bytes, close) become plan steps, each after the first marked
//    `after_ok` (libbpf stops at the first failure) — pointers become buffer forms, returned fds
//    become step references;
// 2. run: the plan goes to the real kernel (runOnRealKernel) with the certificate's add_key first;
// 3. play back: loadSkeleton() runs again against a process that answers each call with what the
//    real kernel answered (test.retval and the ctx the loader wrote included), so err, errstr,
//    loaderRetval and the maps/progs handed back come out of the same code as the emulator's.
//
// spec: LSK-RUN-1..9, OBS-DEB-3 (how the real skeleton tests ran), OBS-DEB-16 (results never via fd 1).

import type { LightSkeleton } from '../loader/lskel-reader.js';
import { loadSkeleton, type SkelProcess, type SkelResult, type SkelRunOptions } from '../loader/skel-runtime.js';
import type { Json } from '../scenarios/transcript.js';
import { errnoName, errnoCode, isErrnoName } from '../syscall/errno.js';
import { sysResult, type SysResult } from '../syscall/result.js';
import { ATTR_LAYOUTS, BPF_MAP_INFO, BPF_PROG_INFO } from '../syscall/uapi/attr-layouts.js';
import { BpfCmd, cmdName } from '../syscall/uapi/consts.js';
import { decode, encode } from '../syscall/uapi/layout.js';
import { InputError } from '../errors.js';
import type { PlanStep, RealStep } from './request.js';

const BASE_ADDR = 0x7f5a_0000_0000n;
const FD_SENTINEL = 0x5a5a_0000;
const FD_CMDS = new Set<number>([BpfCmd.BPF_MAP_CREATE, BpfCmd.BPF_PROG_LOAD, BpfCmd.BPF_BTF_LOAD]);

interface Region {
  readonly addr: bigint;
  readonly bytes: Uint8Array;
  readonly label: string;
}

type Call = { kind: 'bpf'; cmd: number; attr: Region; size: number; fd: number | null } | { kind: 'close'; fd: number };

/** Process memory of fake, distinctive addresses; shared by the recorder and the playback. */
class FakeMemory {
  readonly regions: Region[] = [];
  private nextAddr = BASE_ADDR;

  alloc(bytes: Uint8Array | number, name = 'buf'): bigint {
    const b = typeof bytes === 'number' ? new Uint8Array(bytes) : bytes.slice();
    const addr = this.nextAddr;
    this.nextAddr += BigInt(Math.ceil(Math.max(b.length, 1) / 4096) * 4096 + 4096);
    this.regions.push({ addr, bytes: b, label: name });
    return addr;
  }

  region(addr: bigint): Region | undefined {
    return this.regions.find((r) => addr >= r.addr && addr < r.addr + BigInt(Math.max(r.bytes.length, 1)));
  }

  read(addr: bigint, len: number): Uint8Array | undefined {
    const r = this.region(addr);
    if (!r) return undefined;
    const off = Number(addr - r.addr);
    return off + len <= r.bytes.length ? r.bytes.slice(off, off + len) : undefined;
  }
}

/** Every call succeeds: fds are sentinels, other calls return 0. */
class RecordingProcess extends FakeMemory implements SkelProcess {
  readonly calls: Call[] = [];
  private fds = 0;
  bpf(cmd: number, attr: bigint, size: number): SysResult {
    const region = this.region(attr)!;
    const fd = FD_CMDS.has(cmd) ? FD_SENTINEL + ++this.fds : null;
    this.calls.push({ kind: 'bpf', cmd, attr: region, size, fd });
    return sysResult(fd ?? 0, this.calls.length);
  }
  close(fd: number): SysResult {
    this.calls.push({ kind: 'close', fd });
    return sysResult(0, this.calls.length);
  }
}

/** A fixture file the recorder may name instead of inlining bytes (`{file}` / `{file, flip}`). */
export interface KnownFile {
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly root?: string;
}

/** Turn recorded calls into plan steps (pointers → buffer forms, sentinel fds → step references). */
class PlanWriter {
  private readonly fdStep = new Map<number, string>();
  constructor(
    private readonly mem: FakeMemory,
    private readonly known: readonly KnownFile[],
  ) {}

  private regionForm(r: Region, depth = 0): Json {
    const b = r.bytes;
    if (b.length && b.length % 4 === 0) {
      const dv = new DataView(b.buffer, b.byteOffset, b.length);
      const ints = Array.from({ length: b.length / 4 }, (_, i) => dv.getInt32(4 * i, true));
      if (ints.every((v) => this.fdStep.has(v))) return { fd_array: ints.map((v) => this.fdStep.get(v)!) };
    }
    for (const k of this.known) {
      if (k.bytes.length !== b.length) continue;
      let diff = -1;
      let n = 0;
      for (let i = 0; i < b.length && n < 2; i++) if (b[i] !== k.bytes[i]) (diff = i), n++;
      if (n === 0) return { file: k.file, ...(k.root ? { root: k.root } : {}) };
      if (n === 1 && (b[diff]! ^ k.bytes[diff]!) === 1) return { file: k.file, flip: diff, ...(k.root ? { root: k.root } : {}) };
    }
    const patch: Json[] = [];
    if (depth < 4 && b.length >= 8) {
      const dv = new DataView(b.buffer, b.byteOffset, b.length);
      for (let off = 0; off + 8 <= b.length; off += 8) {
        const v = dv.getBigUint64(off, true);
        const target = v >= BASE_ADDR ? this.mem.region(v) : undefined;
        if (target && target.addr === v) patch.push({ offset: off, ...(this.regionForm(target, depth + 1) as Record<string, Json>) });
      }
    }
    const allZero = b.every((x) => x === 0);
    const base: Record<string, Json> = allZero ? { buf_len: b.length } : { buf: Buffer.from(b).toString('hex') };
    if (patch.length) {
      // patched slots are written by the placement; keep the rest of the bytes as they are
      const copy = b.slice();
      for (const p of patch) copy.fill(0, (p as { offset: number }).offset, (p as { offset: number }).offset + 8);
      return { ...(copy.every((x) => x === 0) ? { buf_len: b.length } : { buf: Buffer.from(copy).toString('hex') }), patch };
    }
    return base;
  }

  bpfStep(id: string, c: Extract<Call, { kind: 'bpf' }>): PlanStep {
    const layout = ATTR_LAYOUTS.get(c.cmd);
    const bytes = c.attr.bytes.subarray(0, c.size);
    const step: Record<string, Json> = { id, cmd: cmdName(c.cmd), attr_size: c.size };
    if (layout) {
      const attr: Record<string, Json> = {};
      const values = decode(layout, bytes);
      const plain: Record<string, number | bigint | string> = {};
      for (const f of layout.fields) {
        if (f.offset + f.size > c.size) continue;
        const v = values[f.name]!;
        if (v === 0 || v === 0n || v === '' || v === '0000000000000000') continue;
        plain[f.name] = v;
        if (typeof v === 'bigint' && v >= BASE_ADDR && this.mem.region(v)?.addr === v) attr[f.name] = this.regionForm(this.mem.region(v)!);
        else if (f.size === 4 && typeof v === 'number' && this.fdStep.has(v | 0)) attr[f.name] = { fd: this.fdStep.get(v | 0)! };
        else attr[f.name] = typeof v === 'bigint' ? Number(v) : v;
      }
      // Nothing outside the named fields: the structured form says it all.
      const again = encode(layout, plain, Math.max(c.size, ...layout.fields.map((f) => f.offset + f.size))).subarray(0, c.size);
      if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) === 0) step.attr = attr;
      else step.attr_hex = Buffer.from(bytes).toString('hex');
    } else step.attr_hex = Buffer.from(bytes).toString('hex');
    if (c.fd !== null) this.fdStep.set(c.fd, id);
    return step as unknown as PlanStep;
  }

  closeStep(id: string, fd: number): PlanStep {
    return { id, cmd: 'close', fd: this.fdStep.has(fd) ? { fd: this.fdStep.get(fd)! } : fd } as PlanStep;
  }

  fdName(fd: number): string | undefined {
    return this.fdStep.get(fd);
  }
}

export interface SkelRealOptions extends SkelRunOptions {
  /** add_key before the load: the certificate DER, where (a KEY_SPEC name), and its description. */
  readonly addKey?: { readonly der: Uint8Array; readonly keyring: string; readonly description: string; readonly file?: KnownFile };
  /** Fixture files the plan may name instead of inlining (the skeleton's blobs). */
  readonly knownFiles?: readonly KnownFile[];
  /** Also read each handed-back map's and program's info (id, name, type, tag). */
  readonly info?: boolean;
  /** Prefix for step ids (`<run>/`), so several loads can share one plan. */
  readonly run?: string;
  /** Record the kernel log (audit) per step (default true). */
  readonly klog?: boolean;
}

export interface SkelPlan {
  readonly steps: PlanStep[];
  /** Step ids of the loader's own calls, in order (what playback answers from). */
  readonly flow: string[];
  readonly addKeyId: string | null;
  readonly testRunId: string | null;
  readonly infoIds: { readonly maps: string[]; readonly progs: string[] };
}

/** The plan steps of `<name>__open()` + `<name>__load()` (recorded from the skeleton runtime). */
export function skelLoadPlan(skel: LightSkeleton, opts: SkelRealOptions = {}): SkelPlan {
  const rec = new RecordingProcess();
  const result = loadSkeleton(rec, skel, opts);
  const w = new PlanWriter(rec, opts.knownFiles ?? []);
  const pre = opts.run ? `${opts.run}/` : '';
  const klog = opts.klog !== false;
  const steps: PlanStep[] = [];
  let addKeyId: string | null = null;
  if (opts.addKey) {
    addKeyId = `${pre}add_key`;
    const f = opts.addKey.file;
    steps.push({
      id: addKeyId,
      cmd: 'add_key',
      type: 'asymmetric',
      description: opts.addKey.description,
      payload: f ? { file: f.file, ...(f.root ? { root: f.root } : {}) } : { buf: Buffer.from(opts.addKey.der).toString('hex') },
      keyring: opts.addKey.keyring,
    } as PlanStep);
  }
  const flow: string[] = [];
  let testRunId: string | null = null;
  const infoIds = { maps: [] as string[], progs: [] as string[] };
  let bpfIdx = 0;
  const used = new Set<string>();
  const uniq = (id: string) => {
    let u = id;
    for (let n = 2; used.has(u); n++) u = `${id}_${n}`;
    used.add(u);
    return u;
  };
  const infoSteps: PlanStep[] = [];
  rec.calls.forEach((c, i) => {
    let step: PlanStep;
    let afterOk: boolean | string | undefined = i > 0 ? true : undefined;
    if (c.kind === 'bpf') {
      const name = result.calls[bpfIdx++]?.step ?? cmdName(c.cmd).toLowerCase();
      step = w.bpfStep(uniq(`${pre}${name}`), c);
    } else {
      // libbpf's cleanup closes what it opened, also after a failure: run it when the fd exists.
      const owner = w.fdName(c.fd);
      step = w.closeStep(uniq(`${pre}close_${(owner ?? String(c.fd)).slice(pre.length)}`), c.fd);
      afterOk = owner;
    }
    const record: string[] = [];
    const readback: string[] = [];
    if (c.kind === 'bpf' && c.cmd === BpfCmd.BPF_PROG_TEST_RUN) {
      record.push('test.retval');
      readback.push('test.ctx_in');
      testRunId = step.id;
    }
    if (c.kind === 'bpf' && c.cmd === BpfCmd.BPF_PROG_LOAD && opts.logSize) record.push('log_buf');
    if (klog) record.push('klog');
    const full = { ...step, ...(afterOk !== undefined ? { after_ok: afterOk } : {}), ...(record.length ? { record } : {}), ...(readback.length ? { readback } : {}) } as PlanStep;
    steps.push(full);
    flow.push(full.id);
    // The maps and programs the loader handed back, read through the fds it wrote into the ctx
    // (after the loader's own cleanup, which closes only the loader map and program).
    if (testRunId === step.id && opts.info) {
      const ran = testRunId;
      skel.maps.forEach((m, mi) => {
        const id = uniq(`${pre}info_map_${m.ident}`);
        infoIds.maps.push(id);
        infoSteps.push({
          id,
          cmd: 'BPF_OBJ_GET_INFO_BY_FD',
          attr_size: 16,
          attr: { bpf_fd: { fd: ran, out: 'test.ctx_in', offset: 24 + 16 * mi }, info_len: BPF_MAP_INFO.sizeof!, info: { buf_len: BPF_MAP_INFO.sizeof!, struct: 'bpf_map_info' } },
          record: ['info.id', 'info.name', 'info.type'],
          after_ok: ran,
        } as unknown as PlanStep);
      });
      skel.progs.forEach((p, pj) => {
        const id = uniq(`${pre}info_prog_${p}`);
        infoIds.progs.push(id);
        infoSteps.push({
          id,
          cmd: 'BPF_OBJ_GET_INFO_BY_FD',
          attr_size: 16,
          attr: {
            bpf_fd: { fd: ran, out: 'test.ctx_in', offset: 24 + 16 * skel.maps.length + 4 * pj },
            info_len: BPF_PROG_INFO.sizeof!,
            info: { buf_len: BPF_PROG_INFO.sizeof!, struct: 'bpf_prog_info' },
          },
          record: ['info.id', 'info.name', 'info.type', 'info.tag'],
          after_ok: ran,
        } as unknown as PlanStep);
      });
    }
  });
  steps.push(...infoSteps);
  return { steps, flow, addKeyId, testRunId, infoIds };
}

/** Answers each call with the real kernel's answer (by the order of the recorded flow). */
class PlaybackProcess extends FakeMemory implements SkelProcess {
  private i = 0;
  constructor(private readonly answers: readonly RealStep[]) {
    super();
  }
  private next(kind: string): RealStep {
    const a = this.answers[this.i++];
    if (!a) throw new InputError(`real-kernel playback: the skeleton runtime made a ${kind} call the real run has no answer for`);
    if (a.ret === null) throw new InputError(`real-kernel playback: step ${a.step.id} did not run on the real kernel, but the skeleton runtime went on to it`);
    return a;
  }
  bpf(cmd: number, attr: bigint, _size: number): SysResult {
    const a = this.next(cmdName(cmd));
    if (a.step.cmd !== cmdName(cmd)) throw new InputError(`real-kernel playback: expected ${a.step.cmd}, the runtime made ${cmdName(cmd)}`);
    if (cmd === BpfCmd.BPF_PROG_TEST_RUN && a.ret! >= 0) {
      const r = this.region(attr)!;
      const retval = a.raw.get('test.retval');
      if (typeof retval === 'number') new DataView(r.bytes.buffer, r.bytes.byteOffset).setUint32(PROG_TEST_RUN_RETVAL, retval >>> 0, true);
      // the ctx the loader wrote (fds of the maps and programs it created)
      const ctxAddr = new DataView(r.bytes.buffer, r.bytes.byteOffset).getBigUint64(PROG_TEST_RUN_CTX_IN, true);
      const ctx = this.region(ctxAddr);
      const real = a.rawBytes.get('test.ctx_in');
      if (ctx && real) ctx.bytes.set(real.subarray(0, ctx.bytes.length));
    }
    // The runner reports what userspace saw: -1 and errno. The runtime works with the kernel's -errno.
    return sysResult(a.ret! < 0 && a.errno && isErrnoName(a.errno) ? -errnoCode(a.errno) : a.ret!, this.i);
  }
  /** close(2) of the loader's own fds: its answer changes nothing in the runtime's result. */
  close(_fd: number): SysResult {
    return sysResult(0, this.i);
  }
}

const PROG_TEST_RUN_RETVAL = ATTR_LAYOUTS.get(BpfCmd.BPF_PROG_TEST_RUN)!.byName.get('test.retval')!.offset;
const PROG_TEST_RUN_CTX_IN = ATTR_LAYOUTS.get(BpfCmd.BPF_PROG_TEST_RUN)!.byName.get('test.ctx_in')!.offset;

/** Run the skeleton runtime again on the real answers: the SkelResult the real kernel gives. */
export function playBackSkeleton(skel: LightSkeleton, plan: SkelPlan, real: readonly RealStep[], opts: SkelRunOptions = {}): SkelResult {
  const byId = new Map(real.map((r) => [r.step.id, r]));
  const answers = plan.flow.map((id) => byId.get(id)!).filter((a) => a && a.ret !== null && a.step.cmd !== 'close');
  return loadSkeleton(new PlaybackProcess(answers), skel, opts);
}

export function errnoOf(ret: number): string | null {
  return ret < 0 ? (errnoName(-ret) ?? String(-ret)) : null;
}
