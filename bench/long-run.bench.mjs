// Hostile sizes and long runs (issue L): a 1,000,000-instruction BPF_PROG_LOAD, and 10⁶ syscalls
// on one long-lived kernel with the default trace/audit retention (a ring) beside keepAll. Each
// measurement runs in its own `node --expose-gc` child (bench/long-run-worker.mjs) so the memory
// figures are after a full GC and belong to that workload alone.

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TRACE_CAPACITY } from '../dist/syscall/trace.js';
import { DEFAULT_AUDIT_CAPACITY } from '../dist/audit/log.js';

export const title = 'Hostile sizes and long runs (issue L)';

const here = dirname(fileURLToPath(import.meta.url));
const worker = (...args) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', join(here, 'long-run-worker.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 }));

export async function run() {
  const out = [];
  const load = worker('load', '1000000');
  out.push(
    '### A 1,000,000-instruction BPF_PROG_LOAD',
    '',
    'One valid SOCKET_FILTER program (999,999 × `r0 = imm`, `exit`) through the whole load path: copy-in,',
    'the check stage (sub-programs, digest, resolve walk, CFG, the main pass over every instruction),',
    'decode for the interpreter, the xlated dump. Floor: SHA-256 of the 8 MB of instruction bytes.',
    '',
    '| result | load (ms) | floor (ms) | × floor | heap retained (MB) | typed arrays retained (MB) | peak RSS growth (MB) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    `| ${load.outcome === 'ok' ? `fd ${load.ret}` : `${load.outcome} ${load.errno ?? ''}`} | ${load.ms.toFixed(0)} | ${load.floorMs.toFixed(1)} | ${(load.ms / load.floorMs).toFixed(1)}× | ${load.heapMB} | ${load.externalMB} | ${load.rssGrowthMB} |`,
    '',
    `Whole worker process peak RSS: ${load.maxRssMB} MB (Node itself and the emulator's modules included).`,
    'Issue L reported 7–13 s and 150–560 MB before (an object per instruction, parsed three times, and a',
    'log line per instruction built even with the log off).',
    '',
  );
  const ring = worker('calls', '1000000', 'ring');
  const all = worker('calls', '100000', 'all');
  const perCall = (s) => (s.length > 1 ? ((s[s.length - 1].heapMB - s[0].heapMB) * 1024) / (s[s.length - 1].calls - s[0].calls) : 0);
  out.push(
    '### 10⁶ calls on one kernel: trace and audit retention',
    '',
    '`BPF_MAP_UPDATE_ELEM` on an array map, 10⁶ times from one process, audit rules as default (every',
    'bpf() call logged). Heap after a full GC, relative to before the first call. Default retention: the',
    `trace keeps its newest ${DEFAULT_TRACE_CAPACITY.toLocaleString('en')} events and the audit log its newest ${DEFAULT_AUDIT_CAPACITY.toLocaleString('en')} records, each counting what it dropped`,
    '(`Trace.dropped`, `AuditLog.dropped`, `dropped` in `skel load --json`); `keepAll` keeps everything.',
    '',
    '| calls | heap (MB), default ring | trace events kept | dropped | audit records kept | dropped |',
    '|---:|---:|---:|---:|---:|---:|',
    ...ring.samples.map((s) => `| ${s.calls.toLocaleString('en')} | ${s.heapMB} | ${s.events} | ${s.dropped} | ${s.records} | ${s.auditDropped} |`),
    '',
    `With keepAll (10⁵ calls): ${all.samples.map((s) => `${s.calls.toLocaleString('en')} → ${s.heapMB} MB`).join(', ')}; about ${perCall(all.samples).toFixed(1)} KB per call, without bound.`,
    `Default ring between the 5th and 10th sample: ${((ring.samples[9].heapMB - ring.samples[4].heapMB) * 1024 / 500000).toFixed(3)} KB per call (flat).`,
    '',
    `Time: ${ring.usPerCall.toFixed(1)} µs per call; floor (the same update as plain JavaScript): ${ring.floorUs.toFixed(3)} µs; ${(ring.usPerCall / ring.floorUs).toFixed(0)}× floor. The emulator records every call (trace, audit, LSM hooks), which the floor does not.`,
  );
  return { markdown: out.join('\n') };
}
