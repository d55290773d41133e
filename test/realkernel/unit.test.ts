// The real-kernel backend's host side, without QEMU: the cpio writer, the lowering of plans into
// runner requests, the parsing of the runner's answers, the skeleton flow recorded from the
// emulator's skeleton runtime and played back, and the one-line errors.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readLightSkeleton } from '../../src/loader/lskel-reader.js';
import { RealKernelError } from '../../src/realkernel/errors.js';
import { cpioNewc } from '../../src/realkernel/initramfs.js';
import { debianKernel, debianKernels, profileForDebian } from '../../src/realkernel/kernels.js';
import { bootKernel } from '../../src/realkernel/qemu.js';
import { lowerPlans, normalizeAudit, parseResults, realSteps, type Plan } from '../../src/realkernel/request.js';
import { diedBeforeRunner, panicLine } from '../../src/realkernel/run.js';
import { playBackSkeleton, skelLoadPlan } from '../../src/realkernel/skel.js';
import { applyTampers, runSkeleton } from '../../src/scenarios/skel-run.js';
import { getProfile } from '../../src/syscall/profiles/index.js';
import { describeShared, fixturePath } from '../support/shared.js';

describe('realkernel: host side', () => {
  it('[OBS-DEB-2] cpio newc: 110-byte headers, 4-byte alignment, a TRAILER!!! entry', () => {
    const a = cpioNewc([{ name: 'req', mode: 0o100644, data: new Uint8Array([1, 2, 3]) }]);
    const text = Buffer.from(a).toString('latin1');
    expect(text.startsWith('070701')).toBe(true);
    expect(a.length % 4).toBe(0);
    expect(text.slice(110, 114)).toBe('req\0');
    expect(text.indexOf('070701', 1)).toBe(116 + 4); // header + name (4, padded to 116) + data (3, padded to 4)
    expect(text).toContain('TRAILER!!!');
    expect(parseInt(text.slice(54, 62), 16)).toBe(3); // c_filesize
  });

  const plan: Plan = {
    format: 'bpfsig-transcript/1',
    steps: [
      { id: 'a/load', cmd: 'BPF_PROG_LOAD', attr_size: 168, attr: { prog_type: 1, insn_cnt: 2, insns: { buf: 'b7000000000000009500000000000000' }, license: { str: 'GPL' }, signature: { fault: true }, signature_size: 64 }, record: ['klog'] },
      { id: 'a/close', cmd: 'close', fd: { fd: 'a/load' }, after_ok: 'a/load' },
      { id: 'b/ring', cmd: 'add_key', type: 'keyring', description: 'r', payload: null, keyring: 'KEY_SPEC_SESSION_KEYRING' },
      { id: 'b/info', cmd: 'BPF_OBJ_GET_INFO_BY_FD', attr_size: 16, attr: { bpf_fd: 7, info_len: 104, info: { buf_len: 104, struct: 'bpf_map_info', fields: { key_size: 4 } } }, record: ['info_len', 'info.key_size'], after_ok: true },
    ],
  };

  it('lowers a plan: one case per run, buffers, pointer and fd relocations, flags', () => {
    const req = lowerPlans([{ plan, dir: '/' }]);
    expect(req.cases.map((c) => c.name)).toEqual(['p0:a', 'p0:b']);
    const a = req.cases[0]!.text.split('\n');
    expect(a[0]).toBe('STEP 0 k');
    expect(a).toContain('PTR 2 8 0'); // insns → buffer 0
    expect(a).toContain('PTR 2 152 -1'); // the unmapped signature pointer
    expect(a).toContain('CALL bpf 5 2 168');
    expect(a).toContain('STEP 1 d 0');
    expect(a).toContain('CALL close r0');
    const b = req.cases[1]!.text;
    expect(b).toMatch(/CALL add_key 0 1 -1 n-3/);
    expect(b).toMatch(/STEP 1 c\n/);
    expect(b).toMatch(/OUT \d+/);
  });

  it('reads the runner\'s answers back into transcript steps (errno names, out values, audit records)', () => {
    const req = lowerPlans([{ plan, dir: '/' }]);
    const info = new Uint8Array(104);
    info[8] = 4;
    const attr = Buffer.alloc(16);
    attr.writeUInt32LE(104, 4);
    const text = [
      'U 6.18.15+deb13-amd64',
      'C p0:a',
      'R 0 -1 12',
      'K 0 audit: type=1334 audit(1.2:3): prog-id=41 op=LOAD',
      'K 0 PKCS7: Unknown OID: [40] 2.16.840.1.101.3.4.2.0',
      'X 1',
      'E p0:a 0',
      'C p0:b',
      'R 0 123 0',
      'R 1 0 0',
      `O 1 2 ${Buffer.from(info).toString('hex')}`, // buffers 0, 1: add_key's type and description
      `O 1 3 ${attr.toString('hex')}`,
      'E p0:b 0',
      'DONE 2',
    ].join('\n');
    const res = parseResults(text);
    expect(res.done).toBe(true);
    const a = realSteps(req.cases[0]!, res.cases.get('p0:a'));
    expect(a[0]!.expect).toEqual({ errno: 'ENOMEM' });
    expect(a[0]!.audit).toEqual(['type=1334 prog-id=#1 op=LOAD']);
    expect(a[0]!.klog).toEqual(['PKCS7: Unknown OID: [40] 2.16.840.1.101.3.4.2.0']);
    expect(a[1]!.skipped).toBe(true);
    const b = realSteps(req.cases[1]!, res.cases.get('p0:b'));
    expect(b[0]!.expect).toEqual({ ret: 'key' });
    expect(b[1]!.expect).toEqual({ ret: 0, out: { info_len: 104, 'info.key_size': 4 } });
  });

  it('[AUD-BPF-1] normalizes audit records: ids numbered per case in order of appearance', () => {
    const ids = new Map<string, number>();
    expect(normalizeAudit('audit: type=1334 audit(17.1:9): prog-id=8 op=LOAD', ids)).toBe('type=1334 prog-id=#1 op=LOAD');
    expect(normalizeAudit('type=1334 prog-id=9 op=LOAD', ids)).toBe('type=1334 prog-id=#2 op=LOAD');
    expect(normalizeAudit('audit: type=1334 audit(17.1:9): prog-id=8 op=UNLOAD', ids)).toBe('type=1334 prog-id=#1 op=UNLOAD');
  });

  it('knows the four builds and maps each to its profile, or says the profile is not in this build', () => {
    expect(debianKernels().map((k) => `${k.kver}→${k.profile}`)).toEqual(['6.17.13→v6.17', '6.18.15→v6.18.15', '7.2.12→v7.2', '7.3.4→v7.3']);
    expect(() => debianKernel('6.1.0')).toThrow(/unknown real kernel '6.1.0' \(one of 6.17.13, 6.18.15, 7.2.12, 7.3.4\)/);
    for (const k of debianKernels()) {
      if (getProfile(k.profile)) expect(profileForDebian(k.kver).profile.name).toBe(k.profile);
      else expect(() => profileForDebian(k.kver)).toThrow(new RegExp(`maps to profile ${k.profile}: profile not available in this build`));
    }
  });

  it('a missing QEMU is one named error, not a crash', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(bootKernel('/nonexistent/vmlinuz', new Uint8Array(4), { timeoutMs: 1000 })).rejects.toSatisfy(
        (e: unknown) => e instanceof RealKernelError && e.kind === 'no-qemu' && !e.message.includes('\n'),
      );
    } finally {
      process.env.PATH = path;
    }
  });
});

describeShared('realkernel: skeleton loads derived from the skeleton runtime', () => {
  const header = fixturePath('bpf/minimal/minimal.v77-signed.lskel.h');
  const skel = readLightSkeleton(readFileSync(header, 'latin1'), header);

  it('[LSK-RUN-1][LSK-RUN-5][LSK-RUN-6] records the same calls, attr sizes and order as the emulated load', () => {
    const p = skelLoadPlan(skel, { keyringId: -3 });
    const emu = runSkeleton(skel, { certDer: new Uint8Array(readFileSync(fixturePath('keys/signing-rsa2048/cert.der'))), keyring: 'session' });
    expect(emu.result.err).toBe(0);
    const bpfSteps = p.steps.filter((s) => s.cmd.startsWith('BPF_'));
    expect(bpfSteps.map((s) => s.id)).toEqual(emu.result.calls.map((c) => c.step));
    expect(bpfSteps.map((s) => s.attr_size)).toEqual([92, 32, 4, 16, 168, 80]);
    expect(p.steps.slice(1).every((s) => s.after_ok !== undefined)).toBe(true);
    const load = p.steps.find((s) => s.cmd === 'BPF_PROG_LOAD')!;
    expect(load.attr!.keyring_id).toBe(-3);
    expect(load.attr!.fd_array).toEqual({ fd_array: ['map_create'] });
  });

  it('names fixture files and one-byte flips instead of inlining them', () => {
    const known = ['insns.bin', 'data.bin', 'excl_hash.bin', 'sig.der'].map((f) => ({ file: `bpf/minimal/minimal.v77-signed.${f}`, bytes: new Uint8Array(readFileSync(fixturePath(`bpf/minimal/minimal.v77-signed.${f}`))) }));
    const { skel: t } = applyTampers(skel, [{ blob: 'data', offset: 100 }]);
    const p = skelLoadPlan(t, { keyringId: -3, knownFiles: known });
    expect(p.steps.find((s) => s.id === 'map_update_elem')!.attr!.value).toEqual({ file: 'bpf/minimal/minimal.v77-signed.data.bin', flip: 100 });
    expect(p.steps.find((s) => s.id === 'prog_load')!.attr!.signature).toEqual({ file: 'bpf/minimal/minimal.v77-signed.sig.der' });
  });

  it('[OBS-DEB-15] plays real answers back through the runtime: PROG_LOAD fd, retval −22 → errstr and −EINVAL', () => {
    const p = skelLoadPlan(skel, { keyringId: -3 });
    const answers = p.steps.map((s) => ({
      step: s,
      ret: s.cmd === 'BPF_MAP_CREATE' ? 3 : s.cmd === 'BPF_PROG_LOAD' ? 4 : 0,
      errno: null,
      skipped: false,
      expect: { ret: 0 },
      audit: [],
      klog: [],
      raw: new Map(s.cmd === 'BPF_PROG_TEST_RUN' ? [['test.retval', -22]] : []),
      rawBytes: new Map(),
    }));
    const r = playBackSkeleton(skel, p, answers);
    expect(r.err).toBe(-22);
    expect(r.errstr).toBe('error returned by loader prog');
    expect(r.loaderRetval).toBe(-22);
  });
});

describe('a guest that panics before the runner starts is booted again (runOnRealKernel)', () => {
  const panic = '[    1.486364] Kernel panic - not syncing: Fatal exception in interrupt\n[    3.780323] Shutting down cpus with NMI\n';
  it('no runner output and a panic on the console: died in its own boot', () => {
    expect(diedBeforeRunner(parseResults(''), panic)).toBe(true);
    expect(panicLine(panic)).toBe('[    1.486364] Kernel panic - not syncing: Fatal exception in interrupt');
  });
  it('a panic after the runner spoke is a result, not retried; no panic is not retried either', () => {
    expect(diedBeforeRunner(parseResults('U 6.18.15+deb13-amd64\n'), panic)).toBe(false);
    expect(diedBeforeRunner(parseResults('U 6.18.15+deb13-amd64\nC case1\n'), panic)).toBe(false);
    expect(diedBeforeRunner(parseResults(''), 'reboot: Power down\n')).toBe(false);
  });
});
