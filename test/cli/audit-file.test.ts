// --audit-file on every command that runs loads, and the audit series behind it: the whole log of
// every kernel the command booted, in auditd's form and nothing else, with no serial or timestamp
// reused within one file (two runs used to share serial 1 and the same instant, and ausearch merged
// their events). ausearch and aureport read the file whole when they are installed.
// spec: AUD-FMT-2, AUD-SER-1, AUD-EMIT-1, AUD-TOOL-1, AUD-TOOL-2.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAuditd } from '../../src/audit/format.js';
import { AuditSeries } from '../../src/audit/series.js';
import { DEFAULT_EPOCH_SEC } from '../../src/syscall/clock.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { BpfClient } from '../../src/loader/bpf.js';
import { MapType } from '../../src/syscall/uapi/consts.js';
import { cli, tempDir } from './support.js';
import { HAS_SHARED, fixturePath } from '../support/shared.js';
import { hasTool } from '../support/tools.js';

const LINE = /^type=(\S+) msg=audit\((\d+\.\d{3}):(\d+)\): ?/;

/**
 * Every line is an auditd record, and the file never reuses a serial: a new event's serial is above
 * every earlier one and its time not before the previous new event's; the records of one serial
 * share one stamp; an event ends with its SYSCALL record (then PROCTITLE), so a record of that
 * serial after them is a second event with the same serial. Events may interleave (a second
 * thread's syscalls run while the first thread's BPF_PROG_LOAD is in progress, as in a race).
 */
function auditdFileProblems(text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith('\n')) problems.push('no final newline');
  const lines = text.replace(/\n$/, '').split('\n');
  const events = new Map<number, { time: string; ended: boolean; proctitle: boolean }>();
  let maxSerial = 0;
  let lastTime = 0;
  for (const l of lines) {
    const m = LINE.exec(l);
    if (!m) {
      problems.push(`not an auditd record: ${l}`);
      continue;
    }
    const [, type, time] = m;
    const serial = Number(m[3]);
    const ev = events.get(serial);
    if (!ev) {
      if (serial <= maxSerial) problems.push(`serial ${serial} is not above the serials before it`);
      if (Number(time) < lastTime) problems.push(`time goes back at serial ${serial}`);
      events.set(serial, { time: time!, ended: type === 'SYSCALL', proctitle: false });
      maxSerial = Math.max(maxSerial, serial);
      lastTime = Number(time);
      continue;
    }
    if (ev.time !== time) problems.push(`serial ${serial} with two stamps`);
    if (type === 'PROCTITLE' && ev.ended && !ev.proctitle) ev.proctitle = true;
    else if (ev.ended) problems.push(`serial ${serial} is used by a second event (a ${type} record after its SYSCALL)`);
    else if (type === 'SYSCALL') ev.ended = true;
  }
  return problems;
}

function checkAuditdFile(text: string): { lines: string[]; serials: Map<number, string> } {
  expect(auditdFileProblems(text)).toEqual([]);
  const lines = text.slice(0, -1).split('\n');
  const serials = new Map<number, string>();
  for (const l of lines) {
    const m = LINE.exec(l)!;
    serials.set(Number(m[3]), m[2]!);
  }
  return { lines, serials };
}

/** A kernel that logs one event: a map created by a process (BPF_MAP_CREATE is audited by the default rules). */
function oneEvent(series: AuditSeries): Kernel {
  const k = new Kernel({ audit: { series } });
  const c = new BpfClient(k.spawn({ comm: 'series' }));
  c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
  return k;
}

describe('the audit series', () => {
  it('[AUD-EMIT-1] the first kernel starts where a lone kernel starts (serial 1, the default epoch)', () => {
    const series = new AuditSeries();
    const k = oneEvent(series);
    const lone = oneEvent(new AuditSeries());
    expect(k.audit.records[0]).toMatchObject({ serial: 1, sec: DEFAULT_EPOCH_SEC });
    expect(series.records()).toEqual(lone.audit.records);
  });

  it('[AUD-FMT-2] the next kernel starts after the previous one: a later whole second, the next serial', () => {
    const series = new AuditSeries();
    const a = oneEvent(series);
    const b = oneEvent(series);
    const lastA = a.audit.records[a.audit.records.length - 1]!;
    const firstB = b.audit.records[0]!;
    expect(firstB.serial).toBe(lastA.serial + 1);
    expect(firstB.sec).toBeGreaterThan(lastA.sec);
    expect(series.kernels).toBe(2);
    expect(series.records()).toEqual([...a.audit.records, ...b.audit.records]);
    checkAuditdFile(series.auditdText());
  });

  it('two kernels outside a series reuse serial 1 at the same instant (what --audit-file used to write)', () => {
    const a = oneEvent(new AuditSeries());
    const b = oneEvent(new AuditSeries());
    const text = formatAuditd([...a.audit.records, ...b.audit.records]).join('\n') + '\n';
    expect(auditdFileProblems(text)).toContain('serial 1 is used by a second event (a SYSCALL record after its SYSCALL)');
  });

  it('the series keeps the whole log even when a kernel\'s own log keeps only its newest records (a retention ring)', () => {
    const series = new AuditSeries();
    const k = new Kernel({ audit: { series, retention: { capacity: 4 } } });
    const c = new BpfClient(k.spawn({ comm: 'series' }));
    for (let n = 0; n < 6; n++) c.mapCreate({ mapType: MapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    expect(k.audit.dropped).toBeGreaterThan(0);
    const all = series.records();
    expect(all.length).toBe(k.audit.dropped + k.audit.records.length);
    expect(all.slice(-k.audit.records.length)).toEqual(k.audit.records);
    expect([...new Set(all.map((r) => r.serial))]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('records a kernel logs after the next one booted are not lost, and a series is deterministic', () => {
    const s1 = new AuditSeries();
    oneEvent(s1);
    oneEvent(s1);
    const s2 = new AuditSeries();
    oneEvent(s2);
    oneEvent(s2);
    expect(s1.auditdText()).toBe(s2.auditdText());
  });
});

describe('--audit-file', () => {
  const dir = tempDir('bpfsig-audit-file-');

  it('[AUD-FMT-2] demo: both runs, in order, no serial or stamp shared between them', async () => {
    const file = join(dir, 'demo.log');
    const r = await cli('demo', '--audit-file', file);
    expect(r.code).toBe(0);
    const { lines, serials } = checkAuditdFile(readFileSync(file, 'utf8'));
    // Two runs of the same skeleton: two loader LOADs, two UNLOADs, each in its own event.
    expect(lines.filter((l) => / op=LOAD$/.test(l) && /prog-id=1 /.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /prog-id=1 op=UNLOAD$/.test(l))).toHaveLength(2);
    expect(new Set(serials.values()).size).toBe(serials.size);
    // The file holds audit records only: the report went to stdout.
    expect(r.out).toContain('what happened');
  });

  it('demo maps: the two map walks in one log', async () => {
    const file = join(dir, 'maps.log');
    expect((await cli('demo', 'maps', '--audit-file', file)).code).toBe(0);
    checkAuditdFile(readFileSync(file, 'utf8'));
  });

  it('compare: every cell\'s records, with the same stamps the report shows for the cell', async () => {
    const file = join(dir, 'compare.log');
    const r = await cli('compare', '--profiles', 'v6.18,v7.3', '--cases', 'intact,data-byte', '--format', 'json', '--audit-file', file);
    expect(r.code).toBe(0);
    const { lines } = checkAuditdFile(readFileSync(file, 'utf8'));
    const json = JSON.parse(r.out) as { cells: { audit: string[] }[] };
    const inFile = new Set(lines);
    for (const c of json.cells) for (const a of c.audit) expect(inFile.has(a), a).toBe(true);
  });

  it('claims: every kernel the claims booted (comparisons, skeleton runs, raw loads) in one log', async () => {
    const file = join(dir, 'claims.log');
    const r = await cli('claims', '--claim', '2,9', '--audit-file', file);
    expect(r.code).toBe(0);
    const { lines } = checkAuditdFile(readFileSync(file, 'utf8'));
    expect(lines.some((l) => /^type=BPF .*op=LOAD$/.test(l))).toBe(true);
  });

  it.skipIf(!HAS_SHARED)('skel load: the one run\'s log', async () => {
    const file = join(dir, 'skel.log');
    const r = await cli('skel', 'load', fixturePath('bpf', 'minimal', 'minimal.v77-signed.lskel.h'), '--cert', fixturePath('keys', 'signing-rsa2048', 'cert.pem'), '--tamper', 'data:100', '--audit-file', file);
    expect(r.code).toBe(1);
    const { lines } = checkAuditdFile(readFileSync(file, 'utf8'));
    expect(lines.some((l) => /^type=BPF .*op=LOAD$/.test(l))).toBe(true);
  });

  it.skipIf(!HAS_SHARED)('replay: one kernel per file, serials continue across files', async () => {
    const file = join(dir, 'replay.log');
    const a = fixturePath('kernel-6.18', 'freeze_semantics.json');
    const b = fixturePath('kernel-6.18', 'map_hash_padding.json');
    const r = await cli('replay', a, b, '--audit-file', file);
    expect(r.code).toBe(0);
    const { serials } = checkAuditdFile(readFileSync(file, 'utf8'));
    const one = await cli('replay', a, '--audit-file', join(dir, 'replay1.log'));
    expect(one.code).toBe(0);
    const first = checkAuditdFile(readFileSync(join(dir, 'replay1.log'), 'utf8'));
    expect(serials.size).toBeGreaterThan(first.serials.size);
  });

  it('an unwritable path is a one-line input error; --real excludes it', async () => {
    const r = await cli('demo', '--audit-file', join(dir, 'no', 'such', 'dir', 'x.log'));
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/cannot write --audit-file .*ENOENT/);
    expect((await cli('skel', 'load', 'x.lskel.h', '--real', '6.18.15', '--audit-file', 'x')).code).toBe(2);
  });
});

const AUDIT_TOOLS = hasTool('ausearch') && hasTool('aureport');
describe.skipIf(!AUDIT_TOOLS)(`[AUD-TOOL-1] ausearch and aureport read the --audit-file whole${AUDIT_TOOLS ? '' : ' (skipped: auditd tools (ausearch, aureport) not installed)'}`, () => {
  const dir = tempDir('bpfsig-audit-tools-');

  const read = (file: string) => {
    const text = readFileSync(file, 'utf8');
    const { lines, serials } = checkAuditdFile(text);
    const raw = execFileSync('ausearch', ['-if', file, '--raw'], { encoding: 'utf8' });
    const rawLines = raw.trim().split('\n');
    const summary = execFileSync('aureport', ['-if', file, '--summary'], { encoding: 'utf8' });
    const events = Number(/Number of events: (\d+)/.exec(summary)?.[1]);
    return { lines, serials, rawLines, events, summary };
  };

  it('demo: ausearch returns every record, aureport counts one event per serial', async () => {
    const file = join(dir, 'demo.log');
    expect((await cli('demo', '--audit-file', file)).code).toBe(0);
    const { lines, serials, rawLines, events } = read(file);
    expect(rawLines).toHaveLength(lines.length);
    expect(new Set(rawLines)).toEqual(new Set(lines));
    expect(events).toBe(serials.size);
    // ausearch groups by stamp: asking for one serial returns that event and no other run's.
    for (const serial of [1, serials.size]) {
      const ev = execFileSync('ausearch', ['-if', file, '--raw', '-a', String(serial)], { encoding: 'utf8' }).trim().split('\n');
      expect(ev.length).toBeGreaterThan(0);
      for (const l of ev) expect(LINE.exec(l)![3]).toBe(String(serial));
      expect(ev).toEqual(lines.filter((l) => LINE.exec(l)![3] === String(serial)));
    }
  });

  it('compare (every default profile, two cases, cross cells): read whole, failed syscalls counted', async () => {
    const file = join(dir, 'compare.log');
    expect((await cli('compare', '--cases', 'intact,data-byte,insn-byte', '--audit-file', file)).code).toBe(0);
    const { lines, serials, rawLines, events, summary } = read(file);
    expect(rawLines).toHaveLength(lines.length);
    expect(events).toBe(serials.size);
    const failed = new Set(lines.filter((l) => /^type=SYSCALL .* success=no /.test(l)).map((l) => LINE.exec(l)![3]));
    expect(Number(/Number of failed syscalls: (\d+)/.exec(summary)?.[1])).toBe(failed.size);
    expect(failed.size).toBeGreaterThan(0);
    // The BPF events are all found and labelled by ausearch (loaded-/unloaded-bpf-program).
    const csv = execFileSync('ausearch', ['-if', file, '-m', 'BPF', '--format', 'csv'], { encoding: 'utf8' });
    const bpfEvents = new Set(lines.filter((l) => l.startsWith('type=BPF ')).map((l) => LINE.exec(l)![3]));
    expect(csv.trim().split('\n').filter((l) => /loaded-bpf-program/.test(l)).length).toBeGreaterThanOrEqual(bpfEvents.size);
  });
});
