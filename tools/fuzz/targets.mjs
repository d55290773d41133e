// The fuzz targets. Each has
//   setup()            → state shared by all inputs (examples read, keys made, seeds signed)
//   gen(r, state)      → one input, JSON-serialisable (written to the failure file as is)
//   run(input, state)  → the outcome: { kind: 'ok' | 'errno' | 'parse-error' | 'not-emulated', … }
// An outcome is valid only if it is a success, a kernel errno from errno.ts's table, a named parse
// error (InputError, a loader error kind, a BTF format error) or a named not-emulated outcome.
// Anything thrown that is not one of those is a failure (tools/fuzz/run.mjs).

import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../dist/errors.js';
import { bpf_prog_verify_signature } from '../../dist/keys/bpf-prog-signature.js';
import { KeyService } from '../../dist/keys/key-service.js';
import { makeSigningIdentity } from '../../dist/keys/make-cert.js';
import { signPkcs7 } from '../../dist/keys/sign.js';
import { readElf } from '../../dist/loader/elf/read-object.js';
import { genLoader } from '../../dist/loader/gen-loader/gen-loader.js';
import { toolchainNames } from '../../dist/loader/gen-loader/profiles.js';
import '../../dist/schemes/index.js'; // registers the schemes' toolchains and profiles
import { readLightSkeleton } from '../../dist/loader/lskel-reader.js';
import { writeLskelHeader, writeLskelHeaderChecked } from '../../dist/loader/lskel-writer.js';
import { runSkeleton } from '../../dist/scenarios/skel-run.js';
import { errnoName } from '../../dist/syscall/errno.js';
import { Kernel } from '../../dist/syscall/kernel.js';
import { ATTR_LAYOUTS } from '../../dist/syscall/uapi/attr-layouts.js';
import { changedSignatureValue } from './oracle.mjs';
import { mutate } from './rng.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLES = ['hello', 'subprog', 'kfunc_core'];
const example = (n) => new Uint8Array(readFileSync(join(REPO, 'examples', 'bpf', `${n}.bpf.o`)));
const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));

/** A kernel return value as an outcome: >= 0 ok, -errno with a name from the table, else a failure. */
export function retOutcome(ret, what) {
  if (ret >= 0) return { kind: 'ok', ret };
  const name = errnoName(ret);
  if (!name) throw new Error(`${what}: ${ret} is neither >= 0 nor a kernel errno`);
  return { kind: 'errno', errno: name };
}

function sysOutcome(res, what) {
  if (res.outcome === 'not-emulated') {
    if (!res.unsupported) throw new Error(`${what}: not emulated without a reason`);
    return { kind: 'not-emulated', reason: res.unsupported };
  }
  if ((res.outcome === 'errno') !== res.ret < 0) throw new Error(`${what}: outcome ${res.outcome} with ret ${res.ret}`);
  return retOutcome(res.ret, what);
}

/** Errors that are named parse errors of bad input (never a crash). */
function named(e) {
  if (e instanceof InputError) return { kind: 'parse-error', name: 'InputError', message: e.message };
  return undefined;
}

const COMMANDS = [...ATTR_LAYOUTS.keys()];

export const TARGETS = {
  /** Raw bpf(2) attrs: a layout's fields set to interesting values, or random bytes, any size. */
  attr: {
    setup() {
      return { kernel: null, uses: 0 };
    },
    gen(r) {
      const cmd = r.bool(0.9) ? r.pick(COMMANDS) : r.int(48);
      const layout = ATTR_LAYOUTS.get(cmd);
      const size = r.pick([0, 1, 4, 8, 16, 32, 48, 64, 72, 92, 120, 128, 144, 160, 168, 176, 200, 4096, r.int(300)]);
      const attr = new Uint8Array(Math.max(size, 1));
      const dv = new DataView(attr.buffer);
      if (layout && r.bool(0.8)) {
        for (const f of layout.fields) {
          if (f.offset + f.size > attr.length || r.bool(0.5)) continue;
          if (f.size === 8) dv.setBigUint64(f.offset, r.pick([0n, 0n, 0x10n, 0x1000n, 7n, 0xffff_ffff_ffffn, 0xffff_8880_0000_0000n, 0xffff_ffff_ffff_ffffn]), true);
          else if (f.size === 4) dv.setUint32(f.offset, r.pick([0, 1, 2, 3, 4, 5, 8, 32, 128, 4096, r.u32()]), true);
          else if (f.size === 2) dv.setUint16(f.offset, r.int(65536), true);
          else if (f.size === 1) dv.setUint8(f.offset, r.int(256));
          else attr.set(r.bytes(Math.min(f.size, attr.length - f.offset)), f.offset);
        }
        // Some pointers at a real buffer the process owns (placed at run time).
        if (r.bool(0.5)) for (const f of layout.fields) if (f.size === 8 && f.role === 'ptr' && f.offset + 8 <= attr.length && r.bool(0.5)) dv.setBigUint64(f.offset, 0xb0ffn, true);
      } else attr.set(r.bytes(attr.length));
      const buf = r.bool(0.5) ? r.bytes(r.int(256)) : new Uint8Array(r.int(64));
      return { cmd, size, attr: hex(attr.subarray(0, size)), buf: hex(buf), fresh: r.bool(0.05), caps: r.bool(0.9) };
    },
    run(input, st) {
      if (!st.kernel || input.fresh || ++st.uses > 200) {
        // maxMapBytes: the emulator's per-map storage limit (default 256 MiB) kept small, so 200
        // inputs on one kernel cannot hold gigabytes of maps.
        st.kernel = new Kernel({ profile: 'v6.18', maxMapBytes: 4 << 20, trace: { capacity: 2000 }, audit: { retention: { capacity: 2000 } } });
        st.uses = 0;
      }
      const p = st.kernel.spawn(input.caps ? {} : { uid: 1000, caps: [] });
      const buf = p.alloc(Math.max(unhex(input.buf).length, 1), 'buf');
      const attr = unhex(input.attr);
      // 0xb0ff stands for "the buffer"; patch it in.
      const dv = new DataView(attr.buffer);
      for (let o = 0; o + 8 <= attr.length; o += 8) if (dv.getBigUint64(o, true) === 0xb0ffn) dv.setBigUint64(o, buf, true);
      const addr = attr.length ? p.alloc(attr, 'attr') : 0n;
      return sysOutcome(p.bpf(input.cmd, addr, input.size), `bpf(${input.cmd}, size ${input.size})`);
    },
  },

  /** PKCS#7 signatures over a loader: a valid bpftool-7.7-style signature, mutated. */
  pkcs7: {
    setup(saved) {
      const id = identity(saved);
      const data = new Uint8Array(2392).map((_, i) => (i * 31) & 0xff);
      const sig = signPkcs7(data, { key: id.privateKey, cert: id.certDer });
      return { id, data, sig };
    },
    /** The key is random (node:crypto cannot derive one from a seed): failure files keep it for --replay. */
    snapshot: (st) => snapshotIdentity(st.id),
    gen(r, st) {
      return { sig: hex(mutate(r, st.sig, 6)), dataFlip: r.bool(0.1) ? r.int(st.data.length) : -1, keyring: r.pick([0, 1, 2, -3]) };
    },
    run(input, st) {
      const ks = new KeyService();
      const proc = ks.createProcessKeyrings(0);
      if (input.keyring === -3) proc.add_key('asymmetric', 'fuzz', st.id.certDer, -3);
      else ks.load_builtin_certificate(st.id.certDer);
      const sig = unhex(input.sig);
      const data = st.data.slice();
      if (input.dataFlip >= 0) data[input.dataFlip] ^= 1;
      const res = bpf_prog_verify_signature(ks, { keyringId: input.keyring, signatureSize: sig.length, copySignature: () => sig, insns: data, proc }, { copyErrorsAsEnomem: true, systemDataVerification: true });
      const o = retOutcome(res.ret, 'bpf_prog_verify_signature');
      // False accepts: changed data, or a changed signature value (the RSA-2048 encryptedDigest, the
      // last 256 bytes of a bpftool-style PKCS#7), that still verifies. Other changes may verify, as
      // in the kernel: its ASN.1 decoder ignores bytes after the outer SEQUENCE, and the parser
      // does not check SignedData.digestAlgorithms or algorithm parameters (PK7-PARSE-3, PK7-PARSE-9).
      if (o.kind === 'ok') {
        if (input.dataFlip >= 0) o.falseAccept = 'changed data verified';
        else {
          const changed = changedSignatureValue(st.sig, sig);
          if (changed) o.falseAccept = `a changed signature value verified (bytes ${changed.from}..${changed.to})`;
        }
      }
      return o;
    },
    check(o) {
      return o.falseAccept;
    },
  },

  /** BPF objects: the examples, mutated, through readElf, genLoader (both toolchains) and the header writer. */
  elf: {
    setup() {
      return { objs: EXAMPLES.map(example) };
    },
    gen(r, st) {
      const base = r.int(st.objs.length);
      return { base, obj: hex(mutate(r, st.objs[base], 8)), toolchain: r.pick(toolchainNames()) };
    },
    run(input) {
      const bytes = unhex(input.obj);
      const obj = readElf(bytes, { objectName: 'fuzz_bpf' });
      if (!obj.ok) return { kind: 'parse-error', name: obj.error.kind };
      const out = genLoader(obj.value, { profile: input.toolchain, sign: false });
      if (!out.ok) return { kind: 'parse-error', name: out.error.kind };
      const h = writeLskelHeaderChecked(obj.value, out.value);
      if (!h.ok) return { kind: 'parse-error', name: h.error.kind };
      return { kind: 'ok' };
    },
  },

  /** .lskel.h headers (both styles) with edited text, read and loaded. */
  lskel: {
    setup() {
      const headers = [];
      for (const n of EXAMPLES) {
        const o = readElf(example(n), { objectName: `${n}_bpf` });
        for (const tc of toolchainNames()) {
          const g = genLoader(o.value, { profile: tc, sign: false });
          if (g.ok) headers.push(writeLskelHeader(o.value, g.value));
        }
      }
      return { headers };
    },
    gen(r, st) {
      const base = r.int(st.headers.length);
      const text = st.headers[base];
      let t = text;
      const edits = 1 + r.int(3);
      for (let e = 0; e < edits; e++) {
        const kind = r.int(5);
        if (kind === 0) {
          // a number in the text changed
          const nums = [...t.matchAll(/\d+/g)];
          if (nums.length) {
            const m = r.pick(nums);
            t = t.slice(0, m.index) + String(r.pick([0, 1, 7, 4095, 4096, 4097, 65536, 1 << 24, r.int(100000)])) + t.slice(m.index + m[0].length);
          }
        } else if (kind === 1) {
          // a byte of text flipped
          const at = r.int(t.length);
          t = t.slice(0, at) + String.fromCharCode(t.charCodeAt(at) ^ (1 << r.int(7))) + t.slice(at + 1);
        } else if (kind === 2) {
          // a span deleted or duplicated
          const at = r.int(t.length);
          const len = r.int(200);
          t = r.bool() ? t.slice(0, at) + t.slice(at + len) : t.slice(0, at + len) + t.slice(at, at + len) + t.slice(at + len);
        } else if (kind === 3) {
          // an escape inserted into a literal
          const at = t.indexOf('"', r.int(t.length));
          if (at >= 0) t = t.slice(0, at + 1) + r.pick(['\\x', '\\777', '\\q', '\\', '\\0\\0\\0\\0'.repeat(r.int(2000)), '"', '\\\n']) + t.slice(at + 1);
        } else t = t.slice(0, r.int(t.length));
      }
      return { base, text: t };
    },
    run(input) {
      let skel;
      try {
        skel = readLightSkeleton(input.text, 'fuzz.lskel.h');
      } catch (e) {
        const n = named(e);
        if (n) return n;
        throw e;
      }
      try {
        const run = runSkeleton(skel, { profile: 'v6.18' });
        return skelOutcome(run);
      } catch (e) {
        const n = named(e);
        if (n) return n;
        throw e;
      }
    },
  },

  /** The loader's context: ctx.sz, log settings, map descriptors and initial values, the data blob. */
  'loader-ctx': {
    setup() {
      return TARGETS.lskel.setup();
    },
    gen(r, st) {
      const base = r.int(st.headers.length);
      const skel = readLightSkeleton(st.headers[base], 'base');
      return {
        base,
        ctxSize: r.bool(0.5) ? skel.ctxSize : r.pick([0, 4, 8, 23, 24, skel.ctxSize - 4, skel.ctxSize + 4, skel.ctxSize + 4096, 65535, 65536]),
        logLevel: r.pick([0, 0, 0, 1, 2, 3, 4, 0x10, r.u32()]),
        logSize: r.pick([0, 0, 1, 64, 4096, 1 << 20, r.u32() & 0xffffff]),
        maps: skel.maps.map(() => (r.bool(0.7) ? null : { mmapSize: r.pick([1, 4096, 8192, 4095]), valueLen: r.pick([0, 1, 4, 4096, 4097]) })),
        dataFlips: Array.from({ length: r.int(4) }, () => r.int(1 << 20)),
        skipFreeze: r.bool(0.1),
        skipHash: r.bool(0.1),
      };
    },
    run(input, st) {
      const base = readLightSkeleton(st.headers[input.base], 'base');
      const data = base.data.slice();
      for (const f of input.dataFlips) data[f % data.length] ^= 1 << (f & 7);
      const maps = base.maps.map((m, i) => {
        const e = input.maps[i];
        if (!e) return m;
        return { ident: m.ident, mmapSize: e.mmapSize, initialValue: new Uint8Array(e.valueLen).fill(0xa5) };
      });
      const skel = { ...base, data, maps, ctxSize: Math.max(0, input.ctxSize) };
      try {
        const run = runSkeleton(skel, { profile: 'v6.18', skipFreeze: input.skipFreeze, skipHash: input.skipHash });
        return skelOutcome(run);
      } catch (e) {
        const n = named(e);
        if (n) return n;
        throw e;
      }
    },
  },
};

/** A signing identity: fresh, or the one a failure file saved. */
export function identity(saved) {
  if (!saved) {
    const id = makeSigningIdentity();
    return { privateKey: id.privateKey, certDer: id.certDer };
  }
  return { privateKey: createPrivateKey(saved.keyPem), certDer: unhex(saved.certDer) };
}

export function snapshotIdentity(id) {
  return { keyPem: String(id.privateKey.export({ format: 'pem', type: 'pkcs8' })), certDer: hex(id.certDer) };
}

/** A skeleton run as an outcome: loaded, a kernel errno, or not emulated — each call checked too. */
export function skelOutcome(run) {
  for (const c of run.result.calls) sysOutcome(c.res, c.step);
  for (const e of run.kernel.trace.events) {
    if (e.kind !== 'exit') continue;
    if (e.outcome === 'not-emulated' ? e.errno !== null || !e.unsupported : e.ret < 0 && !errnoName(e.ret)) throw new Error(`trace exit of #${e.sys}: outcome ${e.outcome} ret ${e.ret}`);
  }
  const r = run.result;
  if (r.outcome === 'not-emulated') return { kind: 'not-emulated', reason: r.notEmulated };
  if (r.outcome === 'loaded') return { kind: 'ok' };
  return retOutcome(r.err, 'skeleton load');
}
