// Replay a `bpfsig-transcript/1` against a fresh emulated kernel and compare, step by step, what
// the real kernel answered with what the emulator answers. A step the emulator cannot execute is
// `unsupported` — reported, never skipped, never compared as if the emulator had answered. A step
// that uses what an unsupported step produced (its fd or key, its output buffers) is unsupported
// too: its inputs are unknown. The replaying process's own fds 0-2 are never closed or replaced.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { sharedPath } from '../shared-dir.js';
import { isCapName, makeCred, type CapName } from '../syscall/creds.js';
import { errnoCode, isErrnoName } from '../syscall/errno.js';
import { Kernel, type KernelOptions } from '../syscall/kernel.js';
import type { Process } from '../syscall/process.js';
import { getProfile, profileForRelease, type KernelConfig, type KernelProfile } from '../syscall/profiles/index.js';
import { TaskKilled, type OopsReport, type SysResult } from '../syscall/result.js';
import { ATTR_LAYOUTS, INFO_LAYOUTS } from '../syscall/uapi/attr-layouts.js';
import { KeySpec, parseCmd } from '../syscall/uapi/consts.js';
import { decode, readField, writeField, type FieldDef, type Layout } from '../syscall/uapi/layout.js';
import type { Json, Transcript, TranscriptStep } from './transcript.js';

export type StepStatus = 'agree' | 'disagree' | 'unsupported';

export interface StepReport {
  readonly id: string;
  readonly cmd: string;
  readonly status: StepStatus;
  /** What the real kernel answered, e.g. `fd`, `ret=0`, `EPERM`. */
  readonly expected: string;
  /** What the emulator answered. */
  readonly actual: string;
  /** Output values that differ (`info.hash: expected …, got …`). */
  readonly mismatches: readonly string[];
  readonly detail?: string;
  /** Set when the kernel oopsed in this step: the replaying task was killed, the call never returned. */
  readonly oops?: OopsReport;
}

export interface ReplayReport {
  readonly file: string;
  readonly release: string;
  readonly profile: string;
  /** The vmlinux BTF the emulated kernel booted with (Kernel.btfSource). */
  readonly kernelBtf: { readonly kind: string; readonly label: string };
  readonly steps: readonly StepReport[];
  readonly counts: { agree: number; disagree: number; unsupported: number };
  readonly ok: boolean;
  /** The step in which a kernel oops killed the replaying task (later steps were not run), or null. */
  readonly oops: { readonly step: string; readonly report: OopsReport } | null;
}

export interface ReplayOptions {
  /** Transcript path (for messages and the default root). */
  readonly file: string;
  /** Profile name; default from kernel.release (profileForRelease). */
  readonly profile?: string;
  /** Fixture roots by name (`--root NAME=DIR`). */
  readonly roots?: ReadonlyMap<string, string>;
  /** Extra kernel options (tests). */
  readonly kernel?: Partial<KernelOptions>;
}

/** Steps of other syscalls than bpf() that a replayer may support (close, dup2, add_key, …). */
export type StepHandler = (r: Replayer, step: TranscriptStep) => SysResult;
const STEP_HANDLERS = new Map<string, StepHandler>();
export function registerStepHandler(cmd: string, h: StepHandler): void {
  STEP_HANDLERS.set(cmd, h);
}

/** Address the captures used for `{ "fault": true }`. */
const FAULT_ADDR = 0x10n;
const ERRNO_ALIASES: Record<string, string> = { ENOTSUP: 'EOPNOTSUPP', EWOULDBLOCK: 'EAGAIN', EDEADLOCK: 'EDEADLK' };

class StepError extends Error {}

/** The step needs the result of a step the emulator could not execute (or one that needs one). */
class DependsOnUnsupported extends Error {}

/** The replaying process's stdin, stdout and stderr: a transcript step never closes or replaces them. */
const STDIO_FDS = 3;

interface PlacedBuf {
  readonly addr: bigint;
  readonly len: number;
  /** A struct laid over the buffer (info structs), for `info.<field>` outputs. */
  readonly struct?: Layout;
  /** Buffers placed inside this one, by struct field name. */
  readonly inner: Map<string, PlacedBuf>;
}

interface StepRecord {
  readonly ret: number;
  readonly bufs: Map<string, PlacedBuf>;
  /** The step was unsupported: its ret and buffers are not a kernel's answer. */
  readonly unsupported?: true;
}

export class Replayer {
  readonly kernel: Kernel;
  readonly proc: Process;
  readonly results = new Map<string, StepRecord>();
  private readonly defaultRoot: string;

  constructor(
    readonly t: Transcript,
    readonly opts: ReplayOptions,
    readonly profile: KernelProfile,
  ) {
    const config: Partial<Record<keyof KernelConfig, boolean>> = {};
    for (const [k, v] of Object.entries(t.kernel.config ?? {})) {
      if (typeof v === 'boolean' && k in profile.config) config[k as keyof KernelConfig] = v as never;
    }
    this.kernel = new Kernel({ profile, config: config as Partial<KernelConfig>, ...opts.kernel });
    const caps = (t.creds?.caps ?? []).filter((c): c is CapName => isCapName(c));
    this.proc = this.kernel.spawn({
      comm: 'bpfsig-replay',
      argv: ['bpfsig', 'replay', opts.file],
      cred: makeCred({ uid: t.creds?.euid ?? 0, caps: t.creds ? caps : undefined }),
    });
    this.defaultRoot = resolve(dirname(opts.file), '..');
  }

  // ---- value forms -------------------------------------------------------------------------

  private resolveRoot(name: string | undefined): string {
    const n = name ?? this.t.root;
    const mapped = n !== undefined ? this.opts.roots?.get(n) : undefined;
    if (mapped) return mapped;
    // The shared fixtures have a known home (../shared, or BPFSIG_SHARED), wherever the transcript is.
    if (n === 'shared/fixtures') return sharedPath('fixtures') ?? this.defaultRoot;
    return this.defaultRoot;
  }

  private fileBytes(form: { file: string; flip?: number; root?: string }): Uint8Array {
    const root = this.resolveRoot(form.root);
    const path = isAbsolute(form.file) ? form.file : resolve(root, form.file);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch {
      throw new StepError(`fixture file not found: ${form.file} (root ${root}; map roots with --root NAME=DIR)`);
    }
    if (form.flip !== undefined) {
      if (form.flip < 0 || form.flip >= bytes.length) throw new StepError(`flip offset ${form.flip} outside ${form.file}`);
      bytes = bytes.slice();
      bytes[form.flip]! ^= 0x01;
    }
    return bytes;
  }

  /** An fd named by a step id (or read from a step's output buffer). */
  fdOf(form: Json): number {
    if (typeof form === 'number') return form;
    if (form && typeof form === 'object' && !Array.isArray(form) && 'fd' in form) {
      const ref = form.fd;
      if (typeof ref === 'number') return ref;
      if (typeof ref !== 'string') throw new StepError(`bad fd reference ${JSON.stringify(form)}`);
      const rec = this.results.get(ref);
      if (!rec) throw new StepError(`fd reference to unknown step '${ref}'`);
      if (rec.unsupported) throw new DependsOnUnsupported(`uses the fd of step '${ref}', which was not emulated`);
      if (typeof form.out === 'string') {
        const b = rec.bufs.get(form.out);
        if (!b) throw new StepError(`step '${ref}' has no output buffer '${form.out}'`);
        const off = typeof form.offset === 'number' ? form.offset : 0;
        const bytes = this.proc.read(b.addr + BigInt(off), 4);
        if (!bytes) throw new StepError(`cannot read ${form.out}+${off} of step '${ref}'`);
        return new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true);
      }
      return rec.ret;
    }
    throw new StepError(`bad fd reference ${JSON.stringify(form)}`);
  }

  keyOf(form: Json): number {
    if (typeof form === 'number') return form;
    if (typeof form === 'string') {
      if (!Object.prototype.hasOwnProperty.call(KeySpec, form)) throw new StepError(`unknown keyring name '${form}' (expected one of ${Object.keys(KeySpec).join(', ')})`);
      return KeySpec[form as keyof typeof KeySpec];
    }
    if (form && typeof form === 'object' && !Array.isArray(form) && typeof form.key === 'string') {
      const rec = this.results.get(form.key);
      if (!rec) throw new StepError(`key reference to unknown step '${form.key}'`);
      if (rec.unsupported) throw new DependsOnUnsupported(`uses the key of step '${form.key}', which was not emulated`);
      return rec.ret;
    }
    throw new StepError(`bad key reference ${JSON.stringify(form)}`);
  }

  /** The bytes of a buffer form (`buf`, `file`, `str`), for payloads that are not placed as pointers. */
  bytesOf(form: Json, name: string): Uint8Array | null {
    if (form === null) return null;
    const bufs = new Map<string, PlacedBuf>();
    const addr = this.placePointer(form, name, bufs);
    const b = bufs.get(name);
    if (!b) throw new StepError(`${name}: not a buffer form`);
    return this.proc.read(addr, b.len) ?? new Uint8Array(0);
  }

  /** Place a pointer form in process memory; its address (0x10 for a fault). */
  placePointer(form: Json, name: string, bufs: Map<string, PlacedBuf>): bigint {
    if (form === null || typeof form !== 'object' || Array.isArray(form)) throw new StepError(`${name}: bad pointer form ${JSON.stringify(form)}`);
    if (form.fault === true) return FAULT_ADDR;
    let bytes: Uint8Array;
    let struct: Layout | undefined;
    const inner = new Map<string, PlacedBuf>();
    if (typeof form.buf === 'string') bytes = new Uint8Array(Buffer.from(form.buf.replace(/\s+/g, ''), 'hex'));
    else if (typeof form.buf_len === 'number') {
      bytes = new Uint8Array(form.buf_len);
      if (typeof form.fill === 'string') bytes.fill(parseInt(form.fill, 16));
    } else if (typeof form.str === 'string') bytes = new Uint8Array(Buffer.from(form.str + '\0', 'utf8'));
    else if (typeof form.file === 'string') bytes = this.fileBytes(form as { file: string; flip?: number; root?: string });
    else if (Array.isArray(form.fd_array)) {
      bytes = new Uint8Array(4 * form.fd_array.length);
      const dv = new DataView(bytes.buffer);
      form.fd_array.forEach((ref, i) => dv.setInt32(4 * i, typeof ref === 'string' ? this.fdOf({ fd: ref }) : this.fdOf(ref), true));
    } else throw new StepError(`${name}: unknown pointer form ${JSON.stringify(form)}`);
    if (typeof form.struct === 'string') {
      struct = INFO_LAYOUTS.get(form.struct);
      if (!struct) throw new StepError(`${name}: unknown struct '${form.struct}'`);
      if (form.fields && typeof form.fields === 'object' && !Array.isArray(form.fields)) {
        for (const [fname, fv] of Object.entries(form.fields)) {
          const f = struct.byName.get(fname);
          if (!f) throw new StepError(`${form.struct} has no field '${fname}'`);
          if (f.offset + f.size > bytes.length) throw new StepError(`${form.struct}.${fname} lies past the buffer`);
          writeField(bytes, f, this.fieldValue(f, fv, `${name}.${fname}`, inner));
        }
      }
    }
    if (Array.isArray(form.patch)) this.applyPatches(bytes, form.patch, `${name}.patch`, inner);
    const addr = this.proc.alloc(bytes, name);
    bufs.set(name, { addr, len: bytes.length, ...(struct ? { struct } : {}), inner });
    return addr;
  }

  private applyPatches(bytes: Uint8Array, patches: Json[], name: string, bufs: Map<string, PlacedBuf>): void {
    patches.forEach((p, i) => {
      if (!p || typeof p !== 'object' || Array.isArray(p) || typeof p.offset !== 'number') throw new StepError(`${name}[${i}]: needs an offset`);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (p.offset < 0 || p.offset + 8 > bytes.length) throw new StepError(`${name}[${i}]: offset ${p.offset} outside the buffer`);
      if ('fd' in p && !('buf' in p)) dv.setInt32(p.offset, this.fdOf(p), true);
      else dv.setBigUint64(p.offset, this.placePointer(p, `${name}@${p.offset}`, bufs), true);
    });
  }

  /** The value of an attr or struct field from its transcript form. */
  fieldValue(f: FieldDef, v: Json, name: string, bufs: Map<string, PlacedBuf>): number | bigint | string {
    if (typeof v === 'number') return f.size === 8 ? BigInt(v) : v;
    if (typeof v === 'string') {
      if (f.role === 'name') return v;
      if (f.role === 'bytes') return v;
      throw new StepError(`${name}: a string is only valid for name fields`);
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      if ('fd' in v && !('buf' in v) && !('fd_array' in v)) return this.fdOf(v);
      if ('key' in v && typeof v.key === 'string') return this.keyOf(v);
      if (f.role === 'ptr' || f.size === 8) return this.placePointer(v, name, bufs);
    }
    throw new StepError(`${name}: bad value ${JSON.stringify(v)}`);
  }

  // ---- running a step --------------------------------------------------------------------------

  runBpfStep(step: TranscriptStep, cmd: number): { res: SysResult; bufs: Map<string, PlacedBuf>; attrAddr: bigint; size: number } {
    const layout = ATTR_LAYOUTS.get(cmd);
    const bufs = new Map<string, PlacedBuf>();
    let attr: Uint8Array;
    const size = step.attr_size ?? (layout ? Math.max(...layout.fields.map((f) => f.offset + f.size)) : 0);
    if (typeof step.attr_hex === 'string') {
      attr = new Uint8Array(Buffer.from(step.attr_hex.replace(/\s+/g, ''), 'hex'));
      if (Array.isArray(step.patch)) this.applyPatches(attr, step.patch, 'attr.patch', bufs);
    } else {
      if (!layout) throw new StepError(`no attr layout for ${step.cmd}`);
      attr = new Uint8Array(Math.max(size, ...layout.fields.map((f) => f.offset + f.size)));
      for (const [k, v] of Object.entries(step.attr ?? {})) {
        const f = layout.byName.get(k);
        if (!f) throw new StepError(`${step.cmd} attr has no field '${k}'`);
        writeField(attr, f, this.fieldValue(f, v, f.name, bufs));
      }
      attr = attr.subarray(0, Math.max(size, 0));
    }
    const attrAddr = this.proc.alloc(attr.slice(), 'attr');
    const res = this.proc.bpf(cmd, attrAddr, size);
    return { res, bufs, attrAddr, size };
  }

  /** Compare `expect.out` with memory after the call. */
  checkOut(step: TranscriptStep, cmd: number, bufs: Map<string, PlacedBuf>, attrAddr: bigint, size: number): string[] {
    const out = step.expect.out;
    if (!out) return [];
    const layout = ATTR_LAYOUTS.get(cmd);
    const attrNow = this.proc.read(attrAddr, Math.max(size, 0)) ?? new Uint8Array(0);
    const mism: string[] = [];
    for (const [outKey, want] of Object.entries(out)) {
      let got: Json | undefined;
      // `<key>:masked`: the instructions with ld_imm64 and non-local call immediates zeroed (tools/capture).
      const masked = outKey.endsWith(':masked');
      const key = masked ? outKey.slice(0, -':masked'.length) : outKey;
      const attrField = layout?.byName.get(key);
      if (attrField && attrField.role !== 'ptr') {
        let v = readField(attrNow, attrField);
        if (key.endsWith('retval') && typeof v === 'number') v = v | 0;
        got = typeof v === 'bigint' ? Number(v) : v;
      } else if (attrField) {
        const b = bufs.get(attrField.name);
        if (!b) {
          mism.push(`${key}: no buffer was placed for it`);
          continue;
        }
        const bytes = this.proc.read(b.addr, b.len) ?? new Uint8Array(0);
        if (key.endsWith('log_buf')) {
          const nul = bytes.indexOf(0);
          got = Buffer.from(bytes.subarray(0, nul < 0 ? bytes.length : nul)).toString('utf8');
        } else got = Buffer.from(bytes).toString('hex');
      } else if (key.includes('.')) {
        const [ptrName, fieldName] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
        const ptrField = layout?.byName.get(ptrName);
        const b = ptrField ? bufs.get(ptrField.name) : undefined;
        if (!b || !b.struct) {
          mism.push(`${key}: no struct buffer for '${ptrName}'`);
          continue;
        }
        const f = b.struct.byName.get(fieldName);
        if (!f) {
          mism.push(`${key}: ${b.struct.name} has no field '${fieldName}'`);
          continue;
        }
        const sbytes = this.proc.read(b.addr, b.len) ?? new Uint8Array(0);
        if (f.role === 'ptr') {
          const inner = b.inner.get(`${ptrField!.name}.${fieldName}`);
          got = inner ? Buffer.from(this.proc.read(inner.addr, inner.len) ?? []).toString('hex') : undefined;
        } else {
          const v = decode(b.struct, sbytes)[f.name]!;
          got = typeof v === 'bigint' ? Number(v) : v;
        }
      } else {
        mism.push(`${key}: not a field of ${step.cmd}`);
        continue;
      }
      if (masked && typeof got === 'string') got = maskInsns(got);
      if (!sameValue(want, got)) mism.push(`${outKey}: kernel ${JSON.stringify(want)}, emulator ${JSON.stringify(got)}`);
    }
    return mism;
  }

  runStep(step: TranscriptStep): StepReport {
    const expected = describeExpect(step);
    const cmdNum = step.cmd.startsWith('BPF_') ? parseCmd(step.cmd) : undefined;
    try {
      let res: SysResult;
      let mism: string[] = [];
      let bufs = new Map<string, PlacedBuf>();
      if (cmdNum !== undefined) {
        const r = this.runBpfStep(step, cmdNum);
        res = r.res;
        bufs = r.bufs;
        if (res.outcome !== 'not-emulated') mism = this.checkOut(step, cmdNum, r.bufs, r.attrAddr, r.size);
      } else {
        const h = STEP_HANDLERS.get(step.cmd);
        if (!h) {
          this.results.set(step.id, { ret: -1, bufs, unsupported: true });
          return { id: step.id, cmd: step.cmd, status: 'unsupported', expected, actual: 'not emulated', mismatches: [], detail: `no handler for '${step.cmd}' steps` };
        }
        res = h(this, step);
      }
      if (res.outcome === 'not-emulated') {
        this.results.set(step.id, { ret: res.ret, bufs, unsupported: true });
        return { id: step.id, cmd: step.cmd, status: 'unsupported', expected, actual: `not emulated: ${res.unsupported}`, mismatches: [] };
      }
      this.results.set(step.id, { ret: res.ret, bufs });
      const actual = res.ret < 0 ? res.errno ?? `ret=${res.ret}` : res.nonFd ? `ret=${res.ret} (not an fd: ${res.nonFd})` : `ret=${res.ret}`;
      const retOk = matchesExpect(step, res);
      const status: StepStatus = retOk && mism.length === 0 ? 'agree' : 'disagree';
      return { id: step.id, cmd: step.cmd, status, expected, actual, mismatches: mism };
    } catch (e) {
      if (e instanceof DependsOnUnsupported || e instanceof StdioStep) {
        this.results.set(step.id, { ret: -1, bufs: new Map(), unsupported: true });
        return { id: step.id, cmd: step.cmd, status: 'unsupported', expected, actual: 'not run', mismatches: [], detail: e.message };
      }
      if (e instanceof StepError) {
        this.results.set(step.id, { ret: -1, bufs: new Map() });
        return { id: step.id, cmd: step.cmd, status: 'disagree', expected, actual: 'not run', mismatches: [], detail: e.message };
      }
      if (e instanceof TaskKilled) {
        // The call never returned: no value to compare, and the task is gone.
        this.killedAt = step.id;
        return { id: step.id, cmd: step.cmd, status: 'disagree', expected, actual: 'KERNEL OOPS (the call never returned; the task was killed)', mismatches: [], detail: `${e.oops.text} in ${e.oops.where}: ${e.oops.detail} [${e.oops.rule}]`, oops: e.oops };
      }
      throw e;
    }
  }

  /** The step in which a kernel oops killed the replaying task; later steps cannot run. */
  killedAt: string | undefined;

  /** Close every fd a run left open (runs are separated by the `<run>/` prefix of step ids). */
  closeAll(): void {
    for (const fd of this.proc.fds.fds()) if (fd > 2) this.proc.close(fd);
  }
}

/**
 * Zero every ld_imm64 immediate, every non-local call immediate and the per-CPU address of a
 * `mov64 rX = imm; rX = per_cpu(rX)` pair (hex in, hex out): tools/capture's `:masked` outputs.
 */
export function maskInsns(hex: string): string {
  const b = Buffer.from(hex, 'hex');
  for (let i = 0; i + 8 <= b.length; i += 8) {
    const code = b[i]!;
    const src = b[i + 1]! >> 4;
    if (code === 0x18) {
      b.fill(0, i + 4, i + 8);
      if (i + 16 <= b.length) b.fill(0, i + 12, i + 16);
      i += 8;
    } else if (code === 0x85 && src !== 1) b.fill(0, i + 4, i + 8);
    else if (code === 0xb7 && i + 16 <= b.length && b[i + 8] === 0xbf && b[i + 10] === 0xff && b[i + 11] === 0xff) b.fill(0, i + 4, i + 8);
  }
  return b.toString('hex');
}

function sameValue(want: Json, got: Json | undefined): boolean {
  if (typeof want === 'string' && typeof got === 'string') return want.toLowerCase() === got.toLowerCase();
  return want === got;
}

function describeExpect(step: TranscriptStep): string {
  const e = step.expect;
  if (e.errno) return ERRNO_ALIASES[e.errno] ?? e.errno;
  if (e.ret === 'fd') return 'fd';
  if (e.ret === 'key') return 'key';
  return `ret=${e.ret}`;
}

function matchesExpect(step: TranscriptStep, res: SysResult): boolean {
  const e = step.expect;
  if (e.errno) {
    const name = ERRNO_ALIASES[e.errno] ?? e.errno;
    return isErrnoName(name) && res.ret === -errnoCode(name);
  }
  if (e.ret === 'fd') return res.ret >= 0 && !res.nonFd;
  if (e.ret === 'key') return res.ret >= 0;
  return res.ret === e.ret;
}

/** Replay one transcript on a fresh kernel. */
export function replayTranscript(t: Transcript, opts: ReplayOptions): ReplayReport {
  const profile = opts.profile ? getProfile(opts.profile) : profileForRelease(t.kernel.release);
  if (!profile) throw new RangeError(opts.profile ? `unknown profile '${opts.profile}'` : `no profile for kernel release ${t.kernel.release}`);
  const r = new Replayer(t, opts, profile);
  const steps: StepReport[] = [];
  let run: string | undefined;
  for (const step of t.steps) {
    if (r.killedAt !== undefined) {
      steps.push({ id: step.id, cmd: step.cmd, status: 'disagree', expected: describeExpect(step), actual: 'not run', mismatches: [], detail: `the replaying task was killed by the kernel oops in step ${r.killedAt}` });
      continue;
    }
    const slash = step.id.indexOf('/');
    const thisRun = slash > 0 ? step.id.slice(0, slash) : undefined;
    if (thisRun !== run) {
      if (run !== undefined) r.closeAll();
      run = thisRun;
    }
    steps.push(r.runStep(step));
  }
  if (r.killedAt === undefined) r.closeAll();
  const counts = { agree: 0, disagree: 0, unsupported: 0 };
  for (const s of steps) counts[s.status]++;
  const oopsStep = steps.find((s) => s.oops);
  return {
    file: opts.file,
    release: t.kernel.release,
    profile: profile.name,
    kernelBtf: { ...r.kernel.btfSource },
    steps,
    counts,
    ok: counts.disagree === 0 && counts.unsupported === 0,
    oops: oopsStep ? { step: oopsStep.id, report: oopsStep.oops! } : null,
  };
}

/** A close or dup2 step aimed at the replaying process's stdin/stdout/stderr: never carried out. */
class StdioStep extends Error {}

function notStdio(fd: number, what: string): number {
  if (fd >= 0 && fd < STDIO_FDS) throw new StdioStep(`${what} ${fd} is the replaying process's ${['stdin', 'stdout', 'stderr'][fd]}: not replayed`);
  return fd;
}

// close, dup2 and add_key steps: the capturing program's own calls.
registerStepHandler('add_key', (r, step) => {
  if (typeof step.type !== 'string') throw new StepError('add_key needs a "type"');
  const desc = typeof step.description === 'string' ? step.description : null;
  return r.proc.addKey(step.type, desc, r.bytesOf(step.payload ?? null, 'payload'), r.keyOf(step.keyring ?? null));
});
registerStepHandler('close', (r, step) => r.proc.close(notStdio(r.fdOf(step.fd ?? null), 'close of fd')));
registerStepHandler('dup2', (r, step) =>
  r.proc.dup2(r.fdOf(step.fd ?? null), notStdio(typeof step.newfd === 'number' ? step.newfd : r.fdOf(step.newfd ?? null), 'dup2 onto fd')),
);

