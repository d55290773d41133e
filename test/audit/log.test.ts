import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, untrustedString, type AuditTask } from '../../src/audit/log.js';
import { formatAuditd, formatKernel, toJson, parseFields } from '../../src/audit/format.js';
import { parseAuditRule, AuditRuleError } from '../../src/audit/rules.js';
import { VirtualClock } from '../../src/syscall/clock.js';
import { setup, arrayMap } from '../support/kernel.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { hasTool } from '../support/tools.js';

const task: AuditTask = {
  pid: 4242, ppid: 1, auid: 1000, ses: 3, uid: 0, gid: 0, euid: 0, suid: 0, fsuid: 0, egid: 0, sgid: 0, fsgid: 0,
  tty: 'pts0', comm: 'loader', exe: '/usr/bin/loader', argv: ['loader'],
};

describe('audit core', () => {
  it('[AUD-SER-1] the first record takes the serial; SYSCALL, PROCTITLE and EOE close the event with the same stamp', () => {
    const log = new AuditLog(new VirtualClock(1732620000, 0n, 123_000_000), { firstSerial: 4242 });
    const ctx = log.syscallEntry(task, 321, [5n, 0x7ffc0000n, 0xa8n, 0n])!;
    log.log(ctx, 'BPF', 'prog-id=57 op=LOAD');
    log.syscallExit(ctx, 4);
    expect(log.records.map((r) => r.type)).toEqual(['BPF', 'SYSCALL', 'PROCTITLE', 'EOE']);
    expect(new Set(log.records.map((r) => r.serial))).toEqual(new Set([4242]));
    expect(formatAuditd(log.records)[0]).toBe('type=BPF msg=audit(1732620000.123:4242): prog-id=57 op=LOAD');
    expect(formatKernel(log.records)[0]).toBe('audit: type=1334 audit(1732620000.123:4242): prog-id=57 op=LOAD');
  });
  it('[AUD-SER-3] no record and no matching rule: no event at all; a matching rule: SYSCALL with its key', () => {
    const log = new AuditLog(new VirtualClock(), { rules: [parseAuditRule('-a always,exit -F arch=b64 -S bpf -F success=0 -k bpf-load')] });
    const ok = log.syscallEntry(task, 321, [5n]);
    log.syscallExit(ok, 4);
    expect(log.records).toHaveLength(0);
    const bad = log.syscallEntry(task, 321, [5n]);
    log.syscallExit(bad, -129);
    const sc = log.records.find((r) => r.type === 'SYSCALL')!;
    expect(parseFields(sc.body)).toMatchObject({ syscall: '321', success: 'no', exit: '-129', key: 'bpf-load', a0: '5' });
  });
  it('[AUD-BPF-2] audit off: nothing is recorded', () => {
    const log = new AuditLog(new VirtualClock(), { enabled: false });
    const ctx = log.syscallEntry(task, 321, [5n]);
    expect(log.log(ctx, 'BPF', 'prog-id=1 op=LOAD')).toBeNull();
    log.syscallExit(ctx, 0);
    expect(log.records).toHaveLength(0);
  });
  it('[AUD-SER-2] records logged during the syscall (an LSM record) come before SYSCALL, in the same event', () => {
    const log = new AuditLog(new VirtualClock());
    const ctx = log.syscallEntry(task, 321, [5n]);
    log.log(ctx, 'AVC', 'avc:  denied  { prog_load } for  pid=4242 comm="loader" tclass=bpf permissive=0');
    log.syscallExit(ctx, -13);
    expect(log.records.map((r) => r.type)).toEqual(['AVC', 'SYSCALL', 'PROCTITLE', 'EOE']);
  });
  it('[AUD-SC-4] untrusted strings are quoted, or hex-encoded when they hold a space, quote or control byte', () => {
    expect(untrustedString('kprobe-bpf')).toBe('"kprobe-bpf"');
    expect(untrustedString('a b')).toBe('612062');
    expect(untrustedString('a"b')).toBe('612262');
    expect(untrustedString('auditctl\0-e\x001')).toBe('617564697463746C002D650031');
  });
  it('[AUD-TYPE-2] auditd 3.0.9 writes IPE records as UNKNOWN[1420]', () => {
    const log = new AuditLog(new VirtualClock());
    log.log(null, 'IPE_ACCESS', 'ipe_op=BPF_PROG_LOAD ipe_hook=BPF_PROG_LOAD enforcing=1 pid=1 comm="x" rule="DEFAULT op=BPF_PROG_LOAD action=DENY"');
    expect(formatAuditd(log.records)[0]).toMatch(/^type=UNKNOWN\[1420\] msg=audit\(/);
    expect(formatAuditd(log.records, { allTypeNames: true })[0]).toMatch(/^type=IPE_ACCESS msg=/);
  });
  it('auditd omits EOE lines (as the real log shows); the kernel form and JSON keep them', () => {
    const { k, c } = setup();
    arrayMap(c);
    expect(formatAuditd(k.audit.records).some((l) => l.startsWith('type=EOE'))).toBe(false);
    expect(formatAuditd(k.audit.records, { eoe: true }).some((l) => l.startsWith('type=EOE'))).toBe(true);
    expect(toJson(k.audit.records)[0]!.records.map((r) => r.type)).toEqual(['SYSCALL', 'PROCTITLE', 'EOE']);
  });
  it('audit rules: auditctl syntax, with clear errors', () => {
    expect(parseAuditRule('-a always,exit -F arch=b64 -S bpf -k bpfsig')).toMatchObject({ action: 'always', key: 'bpfsig' });
    expect(() => parseAuditRule('-a always,task -S bpf')).toThrow(AuditRuleError);
    expect(() => parseAuditRule('-a always,exit -S nosuchcall')).toThrow(/unknown syscall 'nosuchcall'/);
    expect(() => parseAuditRule('-S bpf')).toThrow(/missing -a/);
  });
});

const AUSEARCH = hasTool('ausearch');
describe.skipIf(!AUSEARCH)(`[AUD-TOOL-1] ausearch reads our log${AUSEARCH ? '' : ' (skipped: ausearch not installed)'}`, () => {
  it('finds the bpf events by key and the BPF events by type, and labels them loaded-bpf-program', () => {
    const log = new AuditLog(new VirtualClock(1732620000, 1_000_000n), { rules: [parseAuditRule('-a always,exit -F arch=b64 -S bpf -k bpf-load')] });
    const a = log.syscallEntry(task, 321, [5n, 0x7ffc1000n, 0xa8n, 0n]);
    log.log(a, 'BPF', 'prog-id=57 op=LOAD');
    log.syscallExit(a, 4);
    const b = log.syscallEntry(task, 321, [5n, 0x7ffc1000n, 0xa8n, 0n]);
    log.syscallExit(b, -129);
    log.log(null, 'BPF', 'prog-id=57 op=UNLOAD');
    const dir = mkdtempSync(join(tmpdir(), 'bpfsig-audit-'));
    const file = join(dir, 'audit.log');
    writeFileSync(file, formatAuditd(log.records).join('\n') + '\n');
    const byKey = execFileSync('ausearch', ['-if', file, '-k', 'bpf-load', '--raw'], { encoding: 'utf8' });
    expect(byKey.trim().split('\n').filter((l) => l.startsWith('type=SYSCALL'))).toHaveLength(2);
    const byType = execFileSync('ausearch', ['-if', file, '-m', 'BPF', '--raw'], { encoding: 'utf8' });
    expect(byType).toContain('prog-id=57 op=LOAD');
    expect(byType).toContain('prog-id=57 op=UNLOAD');
    const csv = execFileSync('ausearch', ['-if', file, '-m', 'BPF', '--format', 'csv'], { encoding: 'utf8' });
    expect(csv).toContain('loaded-bpf-program');
    expect(csv).toContain('unloaded-bpf-program');
    const interp = execFileSync('ausearch', ['-if', file, '-k', 'bpf-load', '-sv', 'no', '-i'], { encoding: 'utf8' });
    expect(interp).toContain('exit=EKEYREJECTED');
    expect(interp).toContain('a0=BPF_PROG_LOAD');
  });
});

describe('kernels booted with rule texts (issue K: a text is parsed once and the rule shared)', () => {
  it('each kernel follows its own rules; a text that does not parse is refused at every boot', () => {
    const quiet = new Kernel({ profile: 'v6.18', audit: { rules: ['-a never,exit -F arch=b64 -S bpf'] } });
    const loud = new Kernel({ profile: 'v6.18', audit: { rules: ['-a always,exit -F arch=b64 -S bpf -k bpfsig'] } });
    const quiet2 = new Kernel({ profile: 'v6.18', audit: { rules: ['-a never,exit -F arch=b64 -S bpf'] } });
    for (const k of [quiet, loud, quiet2]) k.spawn().bpf(0, 0n, 0);
    expect(quiet.audit.records.filter((r) => r.type === 'SYSCALL')).toHaveLength(0);
    expect(quiet2.audit.records.filter((r) => r.type === 'SYSCALL')).toHaveLength(0);
    expect(loud.audit.records.filter((r) => r.type === 'SYSCALL').map((r) => r.body)).toEqual([expect.stringContaining('key="bpfsig"')]);
    for (let i = 0; i < 2; i++) expect(() => new Kernel({ profile: 'v6.18', audit: { rules: ['-a sometimes,exit -S bpf'] } })).toThrow(AuditRuleError);
  });
});
