// Per-build kernel BTF (issue J part 4): the profiles tied to Debian builds boot with that build's
// own vmlinux BTF (`kernelBtf: 'build'`), extracted from the cached vmlinuz (src/realkernel/btf.ts).
//
// - Offline, always: the extraction on synthetic images, the choice's errors (never a silent
//   fallback), and the stored answers of the real kernels (test/transcripts/debian-<kver>/
//   vmlinux_btf.json) against the digests of their BTF (build-btf.json: size and SHA-256 only —
//   no kernel BTF is committed).
// - With the build's BTF in the cache ($BPFSIG_CACHE; BPFSIG_REAL=1 fetches it when missing):
//   the cached BTF is the one of the digest; every stored transcript of the build replays with it
//   (the steps in BUILTIN_BTF_PENDING, which differ with the built-in BTF, must now agree); and
//   the kfunc/CO-RE objects under v6.18.15 get the real kernel's tag and BTF ids.
// - Live (BPFSIG_REAL=1, QEMU): one boot per build reads /sys/kernel/btf/vmlinux back through
//   BPF_BTF_GET_FD_BY_ID(1) + BPF_OBJ_GET_INFO_BY_FD and compares it, byte for byte (SHA-256), with
//   the extracted file, and the stored vmlinux_btf.json with what the kernel answers now.
// Tests that cannot run here report themselves skipped by name, with the reason.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBtf, cachedBuildBtf, extractVmlinuxBtf } from '../../src/realkernel/btf.js';
import { diffTranscript, type DiffReport } from '../../src/realkernel/differential.js';
import { RealKernelError, UNAVAILABLE_KINDS } from '../../src/realkernel/errors.js';
import { debianKernels, profileForDebian } from '../../src/realkernel/kernels.js';
import { loadPlan } from '../../src/realkernel/replay-real.js';
import { runOnRealKernel } from '../../src/realkernel/run.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { runSkeleton } from '../../src/scenarios/skel-run.js';
import { loadTranscript, type Transcript } from '../../src/scenarios/transcript.js';
import { readLightSkeleton } from '../../src/loader/lskel-reader.js';
import { builtinVmlinuxBtf } from '../../src/syscall/kernel-btf/vmlinux.js';
import { KernelBtfError } from '../../src/syscall/kernel-btf/source.js';
import { Kernel } from '../../src/syscall/kernel.js';
import type { BpfProg } from '../../src/syscall/objects/prog.js';
import { fixturePath, HAS_SHARED } from '../support/shared.js';
import { cli, cliJson, noStackTrace } from '../cli/support.js';
import { BUILTIN_BTF_PENDING, canonical, LIVE, LIVE_OFF_REASON, PENDING, TRANSCRIPTS } from './support.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
/** Size and SHA-256 of each build's vmlinux BTF, written when the stored answers were captured. */
const DIGESTS = JSON.parse(readFileSync(join(HERE, 'build-btf.json'), 'utf8')) as Record<string, { abi: string; size: number; sha256: string }>;
const PLAN = join(REPO, 'tools/capture/plans/vmlinux_btf.json');
const roots = () => new Map([['shared/fixtures', fixturePath()]]);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The build's BTF (cached; fetched only with BPFSIG_REAL=1), or why it cannot be had here. */
function btfOf(kver: string): { ok: true } | { ok: false; why: string } {
  if (!cachedBuildBtf(kver) && !LIVE) {
    return { ok: false, why: `skipped: Debian ${kver}'s vmlinux BTF is not in the cache (bpfsig real fetch ${kver} --btf, or BPFSIG_REAL=1 fetches it)` };
  }
  try {
    buildBtf(kver);
    return { ok: true };
  } catch (e) {
    if (e instanceof RealKernelError && UNAVAILABLE_KINDS.includes(e.kind)) return { ok: false, why: `skipped: ${e.message}` };
    throw e;
  }
}

/** The real kernel's answers in vmlinux_btf.json: the BTF size and, by name, bpf_btf_find_by_name_kind's ids. */
function realAnswers(kver: string): { size: number; ids: Map<string, bigint> } {
  const t = loadTranscript(join(TRANSCRIPTS, `debian-${kver}`, 'vmlinux_btf.json'));
  const info = t.steps.find((s) => s.id === 'vmlinux_info')!.expect.out as Record<string, number>;
  const ctx = Buffer.from((t.steps.find((s) => s.id === 'btf_ids')!.expect.out as Record<string, string>)['test.ctx_in']!, 'hex');
  // The plan's note lists the names in ctx order: "… the names, in order: FUNC bpf_task_acquire, …."
  const note = t.notes?.find((n) => n.includes('the names, in order: ')) ?? '';
  const names = note.slice(note.indexOf('the names, in order: ') + 21).replace(/\.$/, '').split(', ').map((x) => x.split(' ')[1]!);
  return { size: info['info.btf_size']!, ids: new Map(names.map((n, i) => [n, ctx.readBigInt64LE(8 * i)])) };
}

// ---- extraction, offline ----------------------------------------------------------------------

/** A little-endian ELF64 with one .BTF section (plus the section-name table). */
function elfWithBtf(btf: Uint8Array | null): Uint8Array {
  const shstr = Buffer.from('\0.BTF\0.shstrtab\0', 'latin1');
  const body = Buffer.concat([Buffer.from(btf ?? new Uint8Array(8)), shstr]);
  const shoff = 64 + body.length + ((8 - (body.length % 8)) % 8);
  const out = Buffer.alloc(shoff + 3 * 64);
  out.writeUInt32LE(0x464c457f, 0);
  out[4] = 2; // ELFCLASS64
  out[5] = 1; // little-endian
  out.writeBigUInt64LE(BigInt(shoff), 0x28);
  out.writeUInt16LE(64, 0x3a);
  out.writeUInt16LE(3, 0x3c);
  out.writeUInt16LE(2, 0x3e);
  body.copy(out, 64);
  const sec = (i: number, name: number, off: number, size: number) => {
    out.writeUInt32LE(name, shoff + 64 * i);
    out.writeBigUInt64LE(BigInt(off), shoff + 64 * i + 0x18);
    out.writeBigUInt64LE(BigInt(size), shoff + 64 * i + 0x20);
  };
  const dataLen = btf ? btf.length : 8;
  sec(1, btf ? 1 : 6, 64, dataLen); // ".BTF", or (no BTF) a section named "shstrtab"
  sec(2, 6, 64 + dataLen, shstr.length);
  return new Uint8Array(out);
}

/** An x86 bzImage: setup header (boot protocol 2.15) and the compressed payload + its le32 size. */
function bzImage(payload: Uint8Array, size: number): Uint8Array {
  const setupSects = 3;
  const start = (setupSects + 1) * 512;
  const img = Buffer.alloc(start + 0x100 + payload.length + 4);
  img[0x1f1] = setupSects;
  img.write('HdrS', 0x202, 'latin1');
  img.writeUInt16LE(0x020f, 0x206);
  img.writeUInt32LE(0x100, 0x248);
  img.writeUInt32LE(payload.length + 4, 0x24c);
  Buffer.from(payload).copy(img, start + 0x100);
  img.writeUInt32LE(size, start + 0x100 + payload.length);
  return new Uint8Array(img);
}

const HAS_ZSTD = spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0;

describe('[OBS-DEB-1] the vmlinux BTF of a kernel image (.BTF of the compressed vmlinux)', () => {
  const btf = builtinVmlinuxBtf();
  const elf = elfWithBtf(btf);

  it('a gzip payload: the .BTF section, byte for byte', () => {
    expect(Buffer.from(extractVmlinuxBtf(bzImage(gzipSync(elf), elf.length))).equals(Buffer.from(btf))).toBe(true);
  });
  it.skipIf(!HAS_ZSTD)(`a zstd payload, as Debian builds them (CONFIG_KERNEL_ZSTD)${HAS_ZSTD ? '' : ' [skipped: zstd not installed]'}`, () => {
    const z = spawnSync('zstd', ['-c', '-q'], { input: elf, maxBuffer: 1 << 28 }).stdout;
    expect(Buffer.from(extractVmlinuxBtf(bzImage(new Uint8Array(z), elf.length))).equals(Buffer.from(btf))).toBe(true);
  });
  it('refusals name what is wrong', () => {
    const err = (img: Uint8Array) => {
      try {
        extractVmlinuxBtf(img, 'img');
      } catch (e) {
        expect(e).toBeInstanceOf(RealKernelError);
        return `${(e as RealKernelError).kind}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    expect(err(elf)).toMatch(/^btf: img is not an x86 bzImage/);
    expect(err(bzImage(new Uint8Array([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0]), 8))).toMatch(/^btf: img: unknown compression of the kernel payload \(starts 123456780000\)/);
    expect(err(bzImage(gzipSync(elf), elf.length + 1))).toMatch(/decompressed to \d+ bytes, the image says \d+/);
    const noBtf = elfWithBtf(null);
    expect(err(bzImage(gzipSync(noBtf), noBtf.length))).toMatch(/^btf: img: the vmlinux has no \.BTF section/);
  });
});

// ---- the choice, offline ----------------------------------------------------------------------

describe('choosing the kernel BTF (KernelOptions.kernelBtf): an error, never a silent fallback', () => {
  it('the default is the built-in BTF, and the kernel says so', () => {
    const k = new Kernel({ profile: 'v6.18.15' });
    expect(k.btfSource.kind).toBe('builtin');
    expect(k.btfSource.label).toMatch(/^built-in/);
  });
  it("'build' on a profile tied to no build names the ones that are", () => {
    expect(() => new Kernel({ profile: 'v6.18', kernelBtf: 'build' })).toThrow(KernelBtfError);
    expect(() => new Kernel({ profile: 'v6.18', kernelBtf: 'build' })).toThrow(
      "profile v6.18 is not tied to a real build, so it has no build BTF; kernel BTF 'build' works with v6.17 (Debian 6.17.13), v6.18.15 (Debian 6.18.15), v7.2 (Debian 7.2.12), v7.3 (Debian 7.3.4)",
    );
  });
  it('kernelBtf and vmlinuxBtf are exclusive', () => {
    expect(() => new Kernel({ kernelBtf: 'builtin', vmlinuxBtf: null })).toThrow('give kernelBtf or vmlinuxBtf, not both');
  });
  it('a file: raw BTF is used as given; a missing file or an ELF image is a one-line error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfsig-kbtf-'));
    try {
      const bytes = builtinVmlinuxBtf();
      writeFileSync(join(dir, 'vmlinux.btf'), bytes);
      const k = new Kernel({ profile: 'v6.18.15', kernelBtf: join(dir, 'vmlinux.btf') });
      expect(k.btfSource).toEqual({ kind: 'file', label: `file ${join(dir, 'vmlinux.btf')}` });
      expect(k.vmlinuxBtf()!.size).toBe(bytes.length);
      expect(() => new Kernel({ kernelBtf: join(dir, 'nope') })).toThrow(`kernel BTF: cannot read ${join(dir, 'nope')}: no such file`);
      writeFileSync(join(dir, 'vmlinux'), elfWithBtf(bytes));
      expect(() => new Kernel({ kernelBtf: join(dir, 'vmlinux') })).toThrow(/is an ELF file; give raw BTF/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("'build' with an empty cache and no way to fetch says both, with the fetcher's reason", () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfsig-kbtf-cache-'));
    const saved = { cache: process.env.BPFSIG_CACHE, path: process.env.PATH };
    process.env.BPFSIG_CACHE = dir;
    process.env.PATH = dir; // no apt-get, no dpkg-deb: nothing can be fetched
    try {
      let caught: unknown;
      try {
        new Kernel({ profile: 'v6.18.15', kernelBtf: 'build' });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(RealKernelError);
      expect((caught as RealKernelError).kind).toBe('no-apt');
      expect((caught as Error).message).toBe(
        `Debian 6.18.15's vmlinux BTF is not in the cache (${join(dir, 'debian', '6.18.15+deb13-amd64')}) and cannot be fetched: apt-get and dpkg-deb are needed to fetch Debian kernels (a Debian or Ubuntu host)`,
      );
    } finally {
      process.env.BPFSIG_CACHE = saved.cache;
      if (saved.cache === undefined) delete process.env.BPFSIG_CACHE;
      process.env.PATH = saved.path;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- stored answers ---------------------------------------------------------------------------

describe('[LSK-HELP-1] the stored answers and the BTF they belong to', () => {
  for (const k of debianKernels()) {
    const d = DIGESTS[k.kver];
    it(`Debian ${k.kver}: build-btf.json has the size of the BTF the real kernel reported (vmlinux_btf.json)`, () => {
      expect(d, `build-btf.json lacks ${k.kver}`).toBeDefined();
      expect(d!.abi).toBe(k.abi);
      const real = realAnswers(k.kver);
      expect(real.size).toBe(d!.size);
      // the names the fixtures and examples use exist; the made-up one does not (-ENOENT)
      expect(real.ids.get('bpf_task_acquire')! > 0n).toBe(true);
      expect(real.ids.get('bpfsig_no_such_type')).toBe(-2n);
    });
    const cached = cachedBuildBtf(k.kver);
    it.skipIf(!cached)(
      `Debian ${k.kver}: the cached BTF is the one of build-btf.json${cached ? '' : ` [skipped: not in the cache (bpfsig real fetch ${k.kver} --btf)]`}`,
      () => {
        expect({ size: cached!.size, sha256: cached!.sha256 }).toEqual({ size: d!.size, sha256: d!.sha256 });
      },
    );
  }
});

// ---- every stored transcript, replayed with the build's own BTF -------------------------------

describe.runIf(HAS_SHARED)("the emulator beside real Debian kernels, booted with each build's own BTF (kernelBtf: 'build')", () => {
  for (const k of debianKernels()) {
    const dir = join(TRANSCRIPTS, `debian-${k.kver}`);
    describe(`Debian ${k.kver} → ${k.profile}`, () => {
      const have = btfOf(k.kver);
      if (!have.ok) {
        it.skip(have.why, () => {});
        return;
      }
      let choice;
      try {
        choice = profileForDebian(k.kver);
      } catch (e) {
        if (!(e instanceof RealKernelError)) throw e;
        it.skip(`skipped: ${e.message}`, () => {});
        return;
      }
      const c = choice;
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
        const path = join(dir, f);
        const t = loadTranscript(path);
        describe(f, () => {
          let rep: DiffReport;
          beforeAll(() => {
            rep = diffTranscript(t, c.profile, { file: path, roots: roots(), kernel: { kernelBtf: 'build' } }, c.config);
          });
          it.each(t.steps.map((s, i) => [s.id, i] as const))('[LSK-PROG-6][LSK-HELP-1] %s', (id, i) => {
            const s = rep.steps[i]!;
            const key = `${k.kver}/${f}#${id}`;
            const what = `${key}: kernel ${s.expected}, emulator ${s.actual}${s.mismatches.length ? `; ${s.mismatches.join('; ')}` : ''}${s.detail ? ` (${s.detail})` : ''}`;
            if (PENDING[key] !== undefined) expect(s.status, `${key} now agrees with the kernel: remove it from PENDING`).not.toBe('agree');
            else expect(s.status, what).toBe('agree');
          });
        });
      }
    });
  }
  it('every BUILTIN_BTF_PENDING entry is a step replayed here', () => {
    for (const key of Object.keys(BUILTIN_BTF_PENDING)) {
      const [kver, rest] = key.split('/', 2) as [string, string];
      expect(existsSync(join(TRANSCRIPTS, `debian-${kver}`, rest.split('#')[0]!)), key).toBe(true);
    }
  });
});

// ---- kfuncs and CO-RE under v6.18.15 ----------------------------------------------------------

function loadedProg(run: ReturnType<typeof runSkeleton>, name: string): BpfProg {
  const p = run.kernel.progIdr.values().find((x) => x.name === name);
  if (!p) throw new Error(`no program '${name}' loaded (${run.errno ?? 'loaded'})`);
  return p;
}

/** kfunc call immediates (BPF_PSEUDO_KFUNC_CALL) and typed-ksym ld_imm64 ids (BPF_PSEUDO_BTF_ID) of the instructions. */
function btfIdsIn(insns: Uint8Array): { kfuncs: number[]; ksyms: number[] } {
  const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const out = { kfuncs: [] as number[], ksyms: [] as number[] };
  for (let o = 0; o < insns.length; o += 8) {
    const code = insns[o]!;
    const src = insns[o + 1]! >> 4;
    if (code === 0x85 && src === 2) out.kfuncs.push(dv.getInt32(o + 4, true));
    if (code === 0x18 && src === 3) out.ksyms.push(dv.getInt32(o + 4, true));
    if (code === 0x18) o += 8;
  }
  return out;
}

const tagOf = (p: BpfProg) => Buffer.from(p.digest!.subarray(0, 8)).toString('hex');

describe.runIf(HAS_SHARED)("[LSK-PROG-6][DIG-1] kfuncs and CO-RE under v6.18.15 with Debian 6.18.15's own BTF", () => {
  const have = btfOf('6.18.15');
  if (!have.ok) {
    it.skip(have.why, () => {});
    return;
  }
  const real = realAnswers('6.18.15');
  const xl = loadTranscript(join(TRANSCRIPTS, 'debian-6.18.15', 'examples_xlated.json'));
  const realTag = (xl.steps.find((s) => s.id === 'kfunc_core/xlated_on_fork')!.expect.out as Record<string, string>)['info.tag']!;
  const kfuncCore = () => {
    const obj = openObjectBytes(new Uint8Array(readFileSync(join(REPO, 'examples/bpf/kfunc_core.bpf.o'))), 'kfunc_core.bpf.o');
    return makeSkeleton(obj, { toolchain: 'bpftool-7.7', name: 'kfunc_core_bpf' }).skeleton;
  };

  it("examples/bpf/kfunc_core: the program tag, kfunc ids, typed ksym id and attach target are the real kernel's", () => {
    const run = runSkeleton(kfuncCore(), { profile: 'v6.18.15', kernelBtf: 'build' });
    expect(run.errno).toBeNull();
    expect(run.kernel.btfSource.kind).toBe('build');
    const p = loadedProg(run, 'on_fork');
    expect(tagOf(p)).toBe(realTag);
    const ids = btfIdsIn(p.insns);
    expect(ids.kfuncs).toEqual([real.ids.get('bpf_task_acquire'), real.ids.get('bpf_task_release')].map(Number));
    expect(ids.ksyms).toEqual([Number(real.ids.get('bpf_prog_active'))]);
    expect(p.attachBtfId).toBe(Number(real.ids.get('btf_trace_sched_process_fork')));
  });

  it('with the built-in BTF the same load has other ids, so another tag (what the build BTF fixes)', () => {
    const run = runSkeleton(kfuncCore(), { profile: 'v6.18.15' });
    expect(run.errno).toBeNull();
    const p = loadedProg(run, 'on_fork');
    expect(tagOf(p)).not.toBe(realTag);
    expect(btfIdsIn(p.insns).kfuncs).not.toEqual([real.ids.get('bpf_task_acquire'), real.ids.get('bpf_task_release')].map(Number));
  });

  it("the shared kfunc fixture's bpftool 7.7 skeleton: kfunc ids and attach target are the real kernel's", () => {
    const skel = readLightSkeleton(readFileSync(fixturePath('bpf/kfunc/kfunc.v77.lskel.h'), 'utf8'));
    const run = runSkeleton(skel, { profile: 'v6.18.15', kernelBtf: 'build' });
    expect(run.errno).toBeNull();
    const p = loadedProg(run, 'on_newtask');
    expect(btfIdsIn(p.insns).kfuncs).toEqual([real.ids.get('bpf_task_acquire'), real.ids.get('bpf_task_release')].map(Number));
    expect(p.attachBtfId).toBe(Number(real.ids.get('btf_trace_task_newtask')));
  });
});

// ---- live: the extracted file is the kernel's /sys/kernel/btf/vmlinux ---------------------------

describe('live: the extracted BTF is what each real kernel shows (BPF_BTF_GET_FD_BY_ID 1)', () => {
  for (const k of debianKernels()) {
    const title = `[OBS-DEB-1] Debian ${k.kver}: BTF object 1 read back under QEMU = the .BTF of its vmlinuz; vmlinux_btf.json still holds`;
    if (!LIVE || !HAS_SHARED) {
      it.skip(`${title} — ${!LIVE ? LIVE_OFF_REASON : 'skipped: ../shared not found (set BPFSIG_SHARED)'}`, () => {});
      continue;
    }
    it(title, { timeout: 600_000 }, async (ctx) => {
      let r;
      try {
        buildBtf(k.kver);
        r = await runOnRealKernel(k.kver, [{ plan: loadPlan(PLAN), file: PLAN }], { timeoutMs: 300_000 });
      } catch (e) {
        if (e instanceof RealKernelError && UNAVAILABLE_KINDS.includes(e.kind)) return ctx.skip(`skipped: ${e.message}`);
        throw e;
      }
      const info = r.plans[0]!.steps.find((s) => s.step.id === 'vmlinux_info')!;
      const size = info.raw.get('info.btf_size') as number;
      const bytes = info.rawBytes.get('info.btf')!.subarray(0, size);
      const cached = cachedBuildBtf(k.kver)!;
      expect({ size, sha256: sha256(bytes) }).toEqual({ size: cached.size, sha256: cached.sha256 });
      const stored = loadTranscript(join(TRANSCRIPTS, `debian-${k.kver}`, 'vmlinux_btf.json')) as Transcript;
      expect(canonical(r.plans[0]!.transcript)).toEqual(canonical(stored));
    });
  }
});

// ---- the command line -------------------------------------------------------------------------

describe.runIf(HAS_SHARED)('--kernel-btf on skel load and replay', () => {
  const minimal = () => fixturePath('bpf', 'minimal', 'minimal.v77.lskel.h');
  it('a profile tied to no build: bad usage (exit 2), nothing run, no fallback', async () => {
    const r = await cli('skel', 'load', minimal(), '--profile', 'v6.18', '--kernel-btf', 'build');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/--kernel-btf build: profile v6\.18 is not tied to a real build; these are: v6\.17 \(Debian 6\.17\.13\), v6\.18\.15/);
    expect(noStackTrace(r.err)).toBe(true);
  });
  it('a missing BTF file: unusable input (exit 3), one line', async () => {
    const r = await cli('skel', 'load', minimal(), '--profile', 'v6.18', '--kernel-btf', '/nonexistent/vmlinux.btf');
    expect(r.code).toBe(3);
    expect(r.err.trim()).toBe('bpfsig skel: kernel BTF: cannot read /nonexistent/vmlinux.btf: no such file');
  });
  it('--real and --kernel-btf exclude each other (exit 2)', async () => {
    const r = await cli('skel', 'load', minimal(), '--real', '6.18.15', '--kernel-btf', 'build');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--real and --kernel-btf exclude each other/);
  });
  it('the JSON says which BTF the kernel booted with (built-in by default)', async () => {
    const { code, json } = await cliJson('skel', 'load', minimal(), '--profile', 'v6.18.15', '--json');
    expect(code).toBe(0);
    expect(json.kernelBtf.kind).toBe('builtin');
  });
  const have73 = btfOf('7.3.4');
  it.skipIf(!have73.ok)(`an alias names the same build (loadtime-2026 = v7.3 ↔ Debian 7.3.4)${have73.ok ? '' : ` [${have73.why}]`}`, async () => {
    const { json } = await cliJson('skel', 'load', minimal(), '--profile', 'loadtime-2026', '--kernel-btf', 'build', '--json');
    expect(json.profile).toBe('v7.3');
    expect(json.kernelBtf.label).toMatch(/^Debian 7\.3\.4\+deb13-amd64/);
  });
  const have = btfOf('6.18.15');
  it.skipIf(!have.ok)(`v6.18.15 --kernel-btf build: the JSON and the text name Debian's BTF; replay with it agrees on kfunc_core's tag${have.ok ? '' : ` [${have.why}]`}`, async () => {
    const { code, json } = await cliJson('skel', 'load', fixturePath('bpf', 'kfunc', 'kfunc.v77.lskel.h'), '--profile', 'v6.18.15', '--kernel-btf', 'build', '--json');
    expect(code).toBe(0);
    expect(json.kernelBtf).toEqual({ kind: 'build', label: expect.stringMatching(/^Debian 6\.18\.15\+deb13-amd64 \(its \/sys\/kernel\/btf\/vmlinux/) });
    const text = await cli('skel', 'load', fixturePath('bpf', 'kfunc', 'kfunc.v77.lskel.h'), '--profile', 'v6.18.15', '--kernel-btf', 'build');
    expect(text.out).toMatch(/; kernel BTF: Debian 6\.18\.15\+deb13-amd64/);
    const xl = join(TRANSCRIPTS, 'debian-6.18.15', 'examples_xlated.json');
    const builtin = await cli('replay', xl, '--profile', 'v6.18.15', '--root', `shared/fixtures=${fixturePath()}`);
    const build = await cli('replay', xl, '--profile', 'v6.18.15', '--root', `shared/fixtures=${fixturePath()}`, '--kernel-btf', 'build');
    expect(builtin.out).toMatch(/kfunc_core\/xlated_on_fork/);
    expect(build.out).not.toMatch(/kfunc_core\/xlated_on_fork/);
    expect(build.out).toMatch(/→ profile v6\.18\.15; kernel BTF: Debian 6\.18\.15/);
  });
});
