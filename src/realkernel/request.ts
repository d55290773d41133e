// One request format for both backends: a `bpfsig-transcript/1` plan (../shared/fixtures/
// TRANSCRIPTS.md; steps without `expect`) is what the emulator's replayer executes, and what this
// module lowers for the guest runner (tools/realkernel/runner.c): every value form becomes bytes
// in numbered buffers plus relocations (a buffer's address, an fd or key serial from an earlier
// step) applied right before each call. The runner's answers come back here and are written as
// the plan's transcript, in the same shape tools/capture/capture.py writes for the host kernel.
//
// Plan additions for the real-kernel backend (the emulator's replayer ignores them):
//   "after_ok": true      skip this step when the previous one failed or was skipped (libbpf's
//                         `if (err < 0) goto cleanup`); "after_ok": "<step id>": skip it when that
//                         step failed or was skipped (a cleanup close of the fd it returned).
//                         A skipped step is left out of the transcript and named in its notes
//   "record": [keys…]     out keys to capture (as capture.py); "klog" also captures the kernel
//                         log lines the step produced — `type=1334` audit records go to `audit`,
//                         the others to `klog`
//   "readback": [keys…]   out keys read back for the caller (RealStep.raw) but not written to the
//                         transcript (e.g. a ctx holding guest addresses)

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { sharedPath } from '../shared-dir.js';
import { errnoName } from '../syscall/errno.js';
import { ATTR_LAYOUTS, INFO_LAYOUTS } from '../syscall/uapi/attr-layouts.js';
import { BpfCmd, KeySpec, parseCmd } from '../syscall/uapi/consts.js';
import { decode, readField, writeField, type FieldDef, type FieldValue, type Layout } from '../syscall/uapi/layout.js';
import type { Json, StepCall, Transcript, TranscriptStep } from '../scenarios/transcript.js';
import { InputError } from '../errors.js';

export interface PlanStep extends StepCall {
  readonly record?: readonly string[];
  readonly readback?: readonly string[];
  readonly after_ok?: boolean | string;
  readonly [k: string]: Json | undefined | readonly string[];
}

export interface Plan {
  readonly format: 'bpfsig-transcript/1';
  readonly root?: string;
  readonly case?: string;
  readonly description?: string;
  readonly notes?: readonly string[];
  readonly steps: readonly PlanStep[];
}

/** Fixture roots by name (`shared/fixtures` defaults to the shared folder). */
export type Roots = ReadonlyMap<string, string>;

const FAULT = -1;
/** Commands whose success value is an fd (capture.py writes `{"ret": "fd"}` for them). */
const FD_CMDS = new Set<number>([
  BpfCmd.BPF_MAP_CREATE,
  BpfCmd.BPF_PROG_LOAD,
  BpfCmd.BPF_BTF_LOAD,
  BpfCmd.BPF_MAP_GET_FD_BY_ID,
  BpfCmd.BPF_PROG_GET_FD_BY_ID,
  BpfCmd.BPF_BTF_GET_FD_BY_ID,
]);
/** Names capture.py uses where the errno table has aliases. */
const ERRNO_NAMES: Record<number, string> = { 95: 'EOPNOTSUPP', 11: 'EAGAIN', 35: 'EDEADLK', 524: 'ENOTSUPP' };

interface Placed {
  readonly id: number;
  readonly len: number;
  readonly struct?: Layout;
  readonly inner: Map<string, Placed>;
}

interface LoweredStep {
  readonly idx: number;
  readonly step: PlanStep;
  readonly cmdNum: number | undefined;
  attr?: Placed;
  readonly bufs: Map<string, Placed>;
}

export interface LoweredCase {
  readonly name: string;
  readonly plan: number;
  readonly steps: LoweredStep[];
  readonly text: string;
}

class PlanFormError extends InputError {}

/** Lowers the steps of one run of a plan (one CASE of the request). */
class CaseLowering {
  private nextBuf = 0;
  private readonly lines: string[] = [];
  private readonly byId = new Map<string, LoweredStep>();
  readonly steps: LoweredStep[] = [];
  private cur!: LoweredStep;

  constructor(
    private readonly plan: Plan,
    private readonly roots: Roots,
    private readonly planDir: string,
  ) {}

  private rootDir(name: string | undefined): string {
    const n = name ?? this.plan.root ?? 'shared/fixtures';
    const mapped = this.roots.get(n);
    if (mapped) return mapped;
    if (n === 'shared/fixtures') {
      const p = sharedPath('fixtures');
      if (!p) throw new PlanFormError('the plan names files under shared/fixtures, and ../shared is not there (set BPFSIG_SHARED)');
      return p;
    }
    return resolve(this.planDir, n);
  }

  private fileBytes(form: { file: string; flip?: number; root?: string }): Uint8Array {
    const path = isAbsolute(form.file) ? form.file : resolve(this.rootDir(form.root), form.file);
    let b: Uint8Array;
    try {
      b = new Uint8Array(readFileSync(path));
    } catch {
      throw new PlanFormError(`fixture file not found: ${form.file} (${path})`);
    }
    if (form.flip !== undefined) {
      if (form.flip < 0 || form.flip >= b.length) throw new PlanFormError(`flip offset ${form.flip} outside ${form.file}`);
      b = b.slice();
      b[form.flip]! ^= 0x01;
    }
    return b;
  }

  /** The runner argument for an fd form. */
  fdArg(form: Json): string {
    if (typeof form === 'number') return `n${form}`;
    if (typeof form === 'string') form = { fd: form };
    if (form && typeof form === 'object' && !Array.isArray(form) && 'fd' in form) {
      const ref = form.fd;
      if (typeof ref === 'number') return `n${ref}`;
      if (typeof ref !== 'string') throw new PlanFormError(`bad fd reference ${JSON.stringify(form)}`);
      const s = this.byId.get(ref);
      if (!s) throw new PlanFormError(`fd reference to unknown step '${ref}'`);
      if (typeof form.out === 'string') {
        const name = canonicalOut(s.cmdNum, form.out);
        const b = s.bufs.get(name);
        if (!b) throw new PlanFormError(`step '${ref}' has no output buffer '${form.out}'`);
        return `o${b.id},${typeof form.offset === 'number' ? form.offset : 0}`;
      }
      return `r${s.idx}`;
    }
    throw new PlanFormError(`bad fd reference ${JSON.stringify(form)}`);
  }

  keyArg(form: Json): string {
    if (typeof form === 'number') return `n${form}`;
    if (typeof form === 'string') {
      if (!Object.prototype.hasOwnProperty.call(KeySpec, form)) throw new PlanFormError(`unknown keyring name '${form}'`);
      return `n${KeySpec[form as keyof typeof KeySpec]}`;
    }
    if (form && typeof form === 'object' && !Array.isArray(form) && typeof form.key === 'string') {
      const s = this.byId.get(form.key);
      if (!s) throw new PlanFormError(`key reference to unknown step '${form.key}'`);
      return `r${s.idx}`;
    }
    throw new PlanFormError(`bad key reference ${JSON.stringify(form)}`);
  }

  private emitBuf(bytes: Uint8Array, fill?: number): number {
    const id = this.nextBuf++;
    const allFill = fill !== undefined && bytes.every((x) => x === fill);
    const hex = allFill ? '-' : Buffer.from(bytes).toString('hex') || '-';
    this.lines.push(`BUF ${id} ${bytes.length} ${hex}${allFill ? ` ${fill.toString(16).padStart(2, '0')}` : ''}`);
    return id;
  }

  /** Place a pointer form: the buffer id (FAULT for `{fault: true}`); relocations are queued. */
  place(form: Json, name: string, bufs: Map<string, Placed>, relocs: string[]): number {
    if (form === null || typeof form !== 'object' || Array.isArray(form)) throw new PlanFormError(`${name}: bad pointer form ${JSON.stringify(form)}`);
    if (form.fault === true) return FAULT;
    let bytes: Uint8Array;
    let fill: number | undefined;
    const own: string[] = []; // relocations of this buffer, emitted once its id is known
    const inner = new Map<string, Placed>();
    let struct: Layout | undefined;
    const pendingI32: { off: number; arg: string }[] = [];
    const pendingPtr: { off: number; target: number }[] = [];
    if (typeof form.buf === 'string') bytes = new Uint8Array(Buffer.from(form.buf.replace(/\s+/g, ''), 'hex'));
    else if (typeof form.buf_len === 'number') {
      bytes = new Uint8Array(form.buf_len);
      if (typeof form.fill === 'string') {
        fill = parseInt(form.fill, 16);
        bytes.fill(fill);
      }
    } else if (typeof form.str === 'string') bytes = new Uint8Array(Buffer.from(form.str + '\0', 'utf8'));
    else if (typeof form.file === 'string') bytes = this.fileBytes(form as { file: string; flip?: number; root?: string });
    else if (Array.isArray(form.fd_array)) {
      bytes = new Uint8Array(4 * form.fd_array.length);
      form.fd_array.forEach((ref, i) => pendingI32.push({ off: 4 * i, arg: this.fdArg(typeof ref === 'string' ? { fd: ref } : ref) }));
    } else throw new PlanFormError(`${name}: unknown pointer form ${JSON.stringify(form)}`);
    if (typeof form.struct === 'string') {
      struct = INFO_LAYOUTS.get(form.struct);
      if (!struct) throw new PlanFormError(`${name}: unknown struct '${form.struct}'`);
      if (form.fields && typeof form.fields === 'object' && !Array.isArray(form.fields)) {
        for (const [fname, fv] of Object.entries(form.fields)) {
          const f = struct.byName.get(fname);
          if (!f) throw new PlanFormError(`${form.struct} has no field '${fname}'`);
          if (f.offset + f.size > bytes.length) throw new PlanFormError(`${form.struct}.${fname} lies past the buffer`);
          const v = this.fieldValue(f, fv, `${name}.${fname}`, inner, relocs);
          this.writeValue(bytes, f, v, pendingI32, pendingPtr);
        }
      }
    }
    if (Array.isArray(form.patch)) this.patches(bytes, form.patch, `${name}.patch`, inner, relocs, pendingI32, pendingPtr);
    const id = this.emitBuf(bytes, fill);
    for (const p of pendingPtr) own.push(`PTR ${id} ${p.off} ${p.target}`);
    for (const p of pendingI32) own.push(`I32 ${id} ${p.off} ${p.arg}`);
    relocs.push(...own);
    const placed: Placed = { id, len: bytes.length, ...(struct ? { struct } : {}), inner };
    bufs.set(name, placed);
    return id;
  }

  private patches(
    bytes: Uint8Array,
    patches: Json[],
    name: string,
    bufs: Map<string, Placed>,
    relocs: string[],
    i32: { off: number; arg: string }[],
    ptr: { off: number; target: number }[],
  ): void {
    patches.forEach((p, i) => {
      if (!p || typeof p !== 'object' || Array.isArray(p) || typeof p.offset !== 'number') throw new PlanFormError(`${name}[${i}]: needs an offset`);
      if (p.offset < 0 || p.offset + 8 > bytes.length) throw new PlanFormError(`${name}[${i}]: offset ${p.offset} outside the buffer`);
      if ('fd' in p && !('buf' in p)) i32.push({ off: p.offset, arg: this.fdArg(p) });
      else ptr.push({ off: p.offset, target: this.place(p, `${name}@${p.offset}`, bufs, relocs) });
    });
  }

  private fieldValue(f: FieldDef, v: Json, name: string, bufs: Map<string, Placed>, relocs: string[]): FieldValue | { arg: string } | { ptr: number } {
    if (typeof v === 'number') return f.size === 8 ? BigInt(v) : v;
    if (typeof v === 'string') {
      if (f.role === 'name' || f.role === 'bytes') return v;
      throw new PlanFormError(`${name}: a string is only valid for name fields`);
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      if ('fd' in v && !('buf' in v) && !('fd_array' in v)) return { arg: this.fdArg(v) };
      if ('key' in v && typeof v.key === 'string') return { arg: this.keyArg(v) };
      if (f.role === 'ptr' || f.size === 8) return { ptr: this.place(v, name, bufs, relocs) };
    }
    throw new PlanFormError(`${name}: bad value ${JSON.stringify(v)}`);
  }

  private writeValue(
    bytes: Uint8Array,
    f: FieldDef,
    v: FieldValue | { arg: string } | { ptr: number },
    i32: { off: number; arg: string }[],
    ptr: { off: number; target: number }[],
  ): void {
    if (typeof v === 'object') {
      if (f.offset + f.size > bytes.length) return; // past the attr size: the kernel never sees it
      if ('arg' in v) {
        if (f.size !== 4) throw new PlanFormError(`${f.name}: an fd or key goes in a 4-byte field`);
        i32.push({ off: f.offset, arg: v.arg });
      } else ptr.push({ off: f.offset, target: v.ptr });
      return;
    }
    if (f.offset + f.size > bytes.length) return;
    writeField(bytes, f, v);
  }

  lowerStep(step: PlanStep): void {
    const idx = this.steps.length;
    const cmdNum = step.cmd.startsWith('BPF_') ? parseCmd(step.cmd) : undefined;
    if (step.cmd.startsWith('BPF_') && cmdNum === undefined) throw new PlanFormError(`${step.id}: unknown command ${step.cmd}`);
    let dep = '';
    if (typeof step.after_ok === 'string') {
      const d = this.byId.get(step.after_ok);
      if (!d) throw new PlanFormError(`${step.id}: after_ok names unknown step '${step.after_ok}'`);
      dep = ` ${d.idx}`;
    }
    const flags = `${step.after_ok === true ? 'c' : ''}${dep ? 'd' : ''}${step.record?.includes('klog') ? 'k' : ''}` || '-';
    this.cur = { idx, step, cmdNum, bufs: new Map() };
    this.lines.push(`STEP ${idx} ${flags}${dep}`);
    const relocs: string[] = [];
    let call: string;
    if (cmdNum !== undefined) {
      const layout = ATTR_LAYOUTS.get(cmdNum);
      const size = step.attr_size ?? (layout ? Math.max(...layout.fields.map((f) => f.offset + f.size)) : 0);
      const i32: { off: number; arg: string }[] = [];
      const ptr: { off: number; target: number }[] = [];
      let attr: Uint8Array;
      if (typeof step.attr_hex === 'string') {
        attr = new Uint8Array(Buffer.from(step.attr_hex.replace(/\s+/g, ''), 'hex'));
        if (Array.isArray(step.patch)) this.patches(attr, step.patch, 'attr.patch', this.cur.bufs, relocs, i32, ptr);
      } else {
        if (!layout) throw new PlanFormError(`${step.id}: no attr layout for ${step.cmd}`);
        attr = new Uint8Array(Math.max(size, 0));
        for (const [k, v] of Object.entries(step.attr ?? {})) {
          const f = layout.byName.get(k);
          if (!f) throw new PlanFormError(`${step.cmd} attr has no field '${k}'`);
          this.writeValue(attr, f, this.fieldValue(f, v, f.name, this.cur.bufs, relocs), i32, ptr);
        }
      }
      const id = this.emitBuf(attr);
      this.cur.attr = { id, len: attr.length, inner: new Map() };
      for (const p of ptr) relocs.push(`PTR ${id} ${p.off} ${p.target}`);
      for (const p of i32) relocs.push(`I32 ${id} ${p.off} ${p.arg}`);
      call = `CALL bpf ${cmdNum} ${id} ${size}`;
    } else if (step.cmd === 'add_key') {
      if (typeof step.type !== 'string') throw new PlanFormError(`${step.id}: add_key needs a "type"`);
      const type = this.emitBuf(new Uint8Array(Buffer.from(step.type + '\0')));
      const desc = typeof step.description === 'string' ? this.emitBuf(new Uint8Array(Buffer.from(step.description + '\0'))) : -1;
      const payload = step.payload && typeof step.payload === 'object' ? this.place(step.payload as Json, 'payload', this.cur.bufs, relocs) : -1;
      call = `CALL add_key ${type} ${desc} ${payload} ${this.keyArg((step.keyring as Json) ?? null)}`;
    } else if (step.cmd === 'keyctl') {
      const args = Array.isArray(step.args) ? step.args : [];
      const op = typeof step.op === 'number' ? step.op : NaN;
      if (!Number.isInteger(op)) throw new PlanFormError(`${step.id}: keyctl needs a numeric "op"`);
      call = `CALL keyctl n${op} ${args.slice(0, 4).map((a) => this.keyArg(a)).join(' ')}`;
    } else if (step.cmd === 'close') {
      call = `CALL close ${this.fdArg((step.fd as Json) ?? null)}`;
    } else if (step.cmd === 'dup2') {
      call = `CALL dup2 ${this.fdArg((step.fd as Json) ?? null)} ${typeof step.newfd === 'number' ? `n${step.newfd}` : this.fdArg((step.newfd as Json) ?? null)}`;
    } else throw new PlanFormError(`${step.id}: unknown step command '${step.cmd}'`);
    this.lines.push(...relocs, call);
    for (const b of this.outBuffers(this.cur, [...(step.record ?? []), ...(step.readback ?? [])])) this.lines.push(`OUT ${b}`);
    this.steps.push(this.cur);
    this.byId.set(step.id, this.cur);
  }

  /** The buffers to read back for these out keys. */
  private outBuffers(s: LoweredStep, keys: readonly string[]): number[] {
    const ids = new Set<number>();
    const layout = s.cmdNum !== undefined ? ATTR_LAYOUTS.get(s.cmdNum) : undefined;
    for (const key of keys) {
      if (key === 'klog') continue;
      const f = layout?.byName.get(key);
      if (f && f.role !== 'ptr') ids.add(s.attr!.id);
      else if (f) {
        const b = s.bufs.get(f.name);
        if (b) ids.add(b.id);
      } else if (key.includes('.')) {
        const [ptrName, fieldName] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
        const pf = layout?.byName.get(ptrName);
        const b = pf ? s.bufs.get(pf.name) : undefined;
        if (!b) throw new PlanFormError(`${s.step.id}: ${key}: no struct buffer for '${ptrName}'`);
        ids.add(b.id);
        const inner = b.inner.get(`${pf!.name}.${fieldName}`);
        if (inner) ids.add(inner.id);
      } else throw new PlanFormError(`${s.step.id}: ${key}: not a field of ${s.step.cmd}`);
    }
    return [...ids];
  }

  text(): string {
    return this.lines.join('\n');
  }
}

function canonicalOut(cmdNum: number | undefined, key: string): string {
  const layout = cmdNum !== undefined ? ATTR_LAYOUTS.get(cmdNum) : undefined;
  return layout?.byName.get(key)?.name ?? key;
}

/** Split a plan into runs (`<run>/<step>` ids); each run is a case with a fresh process. */
function runsOf(plan: Plan): { run: string; steps: PlanStep[] }[] {
  const out: { run: string; steps: PlanStep[] }[] = [];
  for (const s of plan.steps) {
    const slash = s.id.indexOf('/');
    const run = slash > 0 ? s.id.slice(0, slash) : '';
    if (!out.length || out[out.length - 1]!.run !== run) out.push({ run, steps: [] });
    out[out.length - 1]!.steps.push(s);
  }
  return out;
}

export interface Request {
  readonly text: string;
  readonly cases: LoweredCase[];
}

/** Lower plans into one runner request (one boot). */
export function lowerPlans(plans: readonly { plan: Plan; dir: string }[], roots: Roots = new Map()): Request {
  const cases: LoweredCase[] = [];
  const parts = ['REQ 1'];
  plans.forEach(({ plan, dir }, pi) => {
    if (plan.format !== 'bpfsig-transcript/1') throw new PlanFormError(`plan ${pi} is not a bpfsig-transcript/1 plan`);
    for (const { run, steps } of runsOf(plan)) {
      const low = new CaseLowering(plan, roots, dir);
      for (const s of steps) low.lowerStep(s);
      const name = `p${pi}${run ? `:${run.replace(/\s+/g, '_')}` : ''}`;
      parts.push(`CASE ${name}`, low.text(), 'ENDCASE');
      cases.push({ name, plan: pi, steps: low.steps, text: low.text() });
    }
  });
  parts.push('END', '');
  return { text: parts.join('\n'), cases };
}

// ---- results ----------------------------------------------------------------------------------

export interface RawStep {
  ret: number;
  errno: number;
  skipped: boolean;
  readonly outs: Map<number, Uint8Array>;
  readonly klog: string[];
}

export interface RawCase {
  readonly name: string;
  readonly steps: Map<number, RawStep>;
  exit: number | null;
}

export interface RawResults {
  readonly uname: string;
  readonly cases: Map<string, RawCase>;
  readonly done: boolean;
}

export function parseResults(text: string): RawResults {
  const cases = new Map<string, RawCase>();
  let uname = '';
  let cur: RawCase | undefined;
  let done = false;
  const stepOf = (idx: number): RawStep => {
    if (!cur) throw new Error('runner output outside a case');
    let s = cur.steps.get(idx);
    if (!s) cur.steps.set(idx, (s = { ret: -1, errno: 0, skipped: false, outs: new Map(), klog: [] }));
    return s;
  };
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    const tag = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    switch (tag) {
      case 'U':
        uname = rest.trim();
        break;
      case 'C':
        cur = { name: rest.trim(), steps: new Map(), exit: null };
        cases.set(cur.name, cur);
        break;
      case 'R': {
        const [i, r, e] = rest.split(' ');
        const s = stepOf(Number(i));
        s.ret = Number(r);
        s.errno = Number(e);
        break;
      }
      case 'X':
        stepOf(Number(rest)).skipped = true;
        break;
      case 'O': {
        const [i, b, hex] = rest.split(' ');
        stepOf(Number(i)).outs.set(Number(b), new Uint8Array(Buffer.from(hex ?? '', 'hex')));
        break;
      }
      case 'K': {
        const sp2 = rest.indexOf(' ');
        stepOf(Number(rest.slice(0, sp2))).klog.push(rest.slice(sp2 + 1));
        break;
      }
      case 'E': {
        const parts = rest.trim().split(' ');
        const c = cases.get(parts[0]!);
        if (c) c.exit = Number(parts[1]);
        cur = undefined;
        break;
      }
      case 'DONE':
        done = true;
        break;
    }
  }
  return { uname, cases, done };
}

export function errnoNameOf(e: number): string {
  return ERRNO_NAMES[e] ?? errnoName(e) ?? `E${e}`;
}

/** `audit: type=1334 audit(1765.1:7): prog-id=12 op=LOAD` → `type=1334 prog-id=#1 op=LOAD` (ids numbered per case). */
export function normalizeAudit(text: string, ids: Map<string, number>): string {
  const body = text.replace(/^audit:\s*/, '').replace(/\s*audit\([^)]*\):\s*/, ' ');
  return body.replace(/prog-id=(\d+)/g, (_, id: string) => {
    if (!ids.has(id)) ids.set(id, ids.size + 1);
    return `prog-id=#${ids.get(id)}`;
  });
}

export interface RealStep {
  readonly step: PlanStep;
  /** null when the step was skipped (after_ok) or never ran. */
  readonly ret: number | null;
  readonly errno: string | null;
  readonly skipped: boolean;
  readonly expect: TranscriptStep['expect'] | null;
  /** `type=1334` records this step produced, normalized (normalizeAudit). */
  readonly audit: string[];
  /** Other kernel log lines it produced. */
  readonly klog: string[];
  /** Read-back values by out key (record and readback keys). */
  readonly raw: Map<string, Json>;
  /** Raw bytes of read-back pointer buffers by out key. */
  readonly rawBytes: Map<string, Uint8Array>;
}

/** Decode one out key from the read-back buffers, in capture.py's forms. */
function outValue(s: LoweredStep, key: string, outs: Map<number, Uint8Array>): { value: Json; bytes?: Uint8Array } | undefined {
  const layout = s.cmdNum !== undefined ? ATTR_LAYOUTS.get(s.cmdNum) : undefined;
  const f = layout?.byName.get(key);
  if (f && f.role !== 'ptr') {
    const bytes = outs.get(s.attr!.id);
    if (!bytes) return undefined;
    let v = readField(bytes, f);
    if (key.endsWith('retval') && typeof v === 'number') v = v | 0;
    return { value: typeof v === 'bigint' ? Number(v) : v };
  }
  if (f) {
    const b = s.bufs.get(f.name);
    const bytes = b ? outs.get(b.id) : undefined;
    if (!bytes) return undefined;
    if (key.endsWith('log_buf')) {
      const nul = bytes.indexOf(0);
      return { value: Buffer.from(bytes.subarray(0, nul < 0 ? bytes.length : nul)).toString('utf8'), bytes };
    }
    return { value: Buffer.from(bytes).toString('hex'), bytes };
  }
  const [ptrName, fieldName] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
  const pf = layout?.byName.get(ptrName);
  const b = pf ? s.bufs.get(pf.name) : undefined;
  const sbytes = b ? outs.get(b.id) : undefined;
  if (!b || !b.struct || !sbytes) return undefined;
  const sf = b.struct.byName.get(fieldName);
  if (!sf) return undefined;
  if (sf.role === 'ptr') {
    const inner = b.inner.get(`${pf!.name}.${fieldName}`);
    const ib = inner ? outs.get(inner.id) : undefined;
    return ib ? { value: Buffer.from(ib).toString('hex'), bytes: ib } : undefined;
  }
  const v = decode(b.struct, sbytes)[sf.name]!;
  return { value: typeof v === 'bigint' ? Number(v) : v };
}

/** The runner's answers for one lowered case, step by step. */
export function realSteps(c: LoweredCase, raw: RawCase | undefined): RealStep[] {
  const ids = new Map<string, number>();
  return c.steps.map((s) => {
    const r = raw?.steps.get(s.idx);
    const rawVals = new Map<string, Json>();
    const rawBytes = new Map<string, Uint8Array>();
    if (!r || r.skipped) return { step: s.step, ret: null, errno: null, skipped: !!r?.skipped, expect: null, audit: [], klog: [], raw: rawVals, rawBytes };
    const errno = r.ret < 0 ? errnoNameOf(r.errno) : null;
    const expect: { ret?: number | 'fd' | 'key'; errno?: string; out?: Record<string, Json> } = {};
    if (errno) expect.errno = errno;
    else expect.ret = s.step.cmd === 'add_key' ? 'key' : s.cmdNum !== undefined && FD_CMDS.has(s.cmdNum) ? 'fd' : r.ret;
    const out: Record<string, Json> = {};
    for (const key of [...(s.step.record ?? []), ...(s.step.readback ?? [])]) {
      if (key === 'klog') continue;
      const v = outValue(s, key, r.outs);
      if (!v) continue;
      rawVals.set(key, v.value);
      if (v.bytes) rawBytes.set(key, v.bytes);
      if (s.step.record?.includes(key)) out[key] = v.value;
    }
    if (Object.keys(out).length) expect.out = out;
    const audit: string[] = [];
    const klog: string[] = [];
    for (const line of r.klog) {
      if (/type=1334\b/.test(line)) audit.push(normalizeAudit(line, ids));
      else if (!/^audit:/.test(line)) klog.push(line);
    }
    return { step: s.step, ret: r.ret, errno, skipped: false, expect, audit, klog, raw: rawVals, rawBytes };
  });
}

const STEP_KEY_ORDER = ['id', 'cmd', 'attr_size', 'attr', 'attr_hex', 'patch', 'fd', 'newfd', 'op', 'args', 'type', 'description', 'payload', 'keyring', 'expect', 'audit', 'klog', 'note', 'raw'];

/** A transcript step (capture.py's key order) from a real step; undefined for a skipped step. */
export function transcriptStep(r: RealStep): TranscriptStep | undefined {
  if (!r.expect) return undefined;
  const src: Record<string, unknown> = { ...r.step, expect: r.expect };
  if (r.step.record?.includes('klog')) {
    src.audit = r.audit;
    if (r.klog.length) src.klog = r.klog;
  }
  const out: Record<string, unknown> = {};
  for (const k of STEP_KEY_ORDER) if (k in src) out[k] = src[k];
  for (const [k, v] of Object.entries(src)) if (!(k in out) && k !== 'record' && k !== 'readback' && k !== 'after_ok') out[k] = v;
  return out as unknown as TranscriptStep;
}

export type { Transcript };
