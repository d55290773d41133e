#!/usr/bin/env node
// Child process of long-run.bench.mjs (run with --expose-gc so heap figures are after a full GC):
//   node --expose-gc bench/long-run-worker.mjs load N        one N-instruction BPF_PROG_LOAD
//   node --expose-gc bench/long-run-worker.mjs calls N ring|all   N BPF_MAP_UPDATE_ELEM calls
// Prints one JSON object.

import { createHash } from 'node:crypto';
import '../dist/schemes/index.js'; // registers the kernel profiles
import { Kernel } from '../dist/syscall/kernel.js';
import { MAP_CREATE, MAP_ELEM, PROG_LOAD } from '../dist/syscall/uapi/attr-layouts.js';
import { BpfCmd, MapType, ProgType } from '../dist/syscall/uapi/consts.js';
import { encode } from '../dist/syscall/uapi/layout.js';

const [what, nArg, mode] = process.argv.slice(2);
const N = Number(nArg);
const gc = globalThis.gc ?? (() => {});
const mem = () => {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, rss: m.rss };
};
const MB = (b) => Math.round((b / 2 ** 20) * 10) / 10;

if (what === 'load') {
  // A valid program: N-1 times `r0 = imm`, then `exit` (SOCKET_FILTER, GPL).
  const insns = new Uint8Array(N * 8);
  for (let i = 0; i < N - 1; i++) {
    insns[i * 8] = 0xb7;
    insns[i * 8 + 4] = i & 0x7f;
  }
  insns[(N - 1) * 8] = 0x95;
  // Floor: SHA-256 over the instruction bytes (the kernel computes the program digest anyway).
  let floor = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    createHash('sha256').update(insns).digest();
    floor = Math.min(floor, performance.now() - t);
  }
  const k = new Kernel({ profile: 'v6.18' });
  const p = k.spawn();
  const attr = p.alloc(
    encode(PROG_LOAD, { prog_type: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: p.alloc(insns, 'insns'), insn_cnt: N, license: p.alloc(new Uint8Array(Buffer.from('GPL\0')), 'license') }, 128),
    'attr',
  );
  const m0 = mem();
  let peakRss = m0.rss;
  const t0 = performance.now();
  const r = p.bpf(BpfCmd.BPF_PROG_LOAD, attr, 128);
  const ms = performance.now() - t0;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const m1 = mem();
  const verified = k.trace.events.find((e) => e.kind === 'stage' && e.id === 'DIG-2') !== undefined;
  console.log(JSON.stringify({ outcome: r.outcome, ret: r.ret, errno: r.errno, verified, ms, floorMs: floor, heapMB: MB(m1.heap - m0.heap), externalMB: MB(m1.external - m0.external), rssGrowthMB: MB(peakRss - m0.rss), maxRssMB: MB(process.resourceUsage().maxRSS * 1024) }));
} else if (what === 'calls') {
  const keepAll = mode === 'all';
  const k = new Kernel({ profile: 'v6.18', ...(keepAll ? { trace: { keepAll: true }, audit: { retention: { keepAll: true } } } : {}) });
  const p = k.spawn();
  const fd = p.bpf(BpfCmd.BPF_MAP_CREATE, p.alloc(encode(MAP_CREATE, { map_type: MapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4 }, 72), 'attr'), 72).ret;
  const attr = p.alloc(encode(MAP_ELEM, { map_fd: fd, key: p.alloc(4, 'key'), value: p.alloc(8, 'value'), flags: 0n }, 32), 'attr');
  const m0 = mem();
  const samples = [];
  const step = N / 10;
  const t0 = performance.now();
  for (let i = 1; i <= N; i++) {
    const r = p.bpf(BpfCmd.BPF_MAP_UPDATE_ELEM, attr, 32);
    if (r.ret !== 0) throw new Error(`call ${i}: ${r.errno}`);
    if (i % step === 0) {
      const m = mem();
      samples.push({ calls: i, heapMB: MB(m.heap - m0.heap), events: k.trace.events.length, dropped: k.trace.dropped, records: k.audit.records.length, auditDropped: k.audit.dropped });
    }
  }
  const usPerCall = ((performance.now() - t0) * 1000) / N;
  // Floor: the same update as plain JavaScript (read the 32-byte attr, copy 8 bytes into a slot).
  const attrBytes = p.read(attr, 32);
  const slots = new Uint8Array(32);
  const value = new Uint8Array(8).fill(7);
  let floor = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) {
      const dv = new DataView(attrBytes.buffer, attrBytes.byteOffset, 32);
      slots.set(value, (dv.getUint32(0, true) & 3) * 8);
    }
    floor = Math.min(floor, ((performance.now() - t) * 1000) / N);
  }
  console.log(JSON.stringify({ keepAll, usPerCall, floorUs: floor, samples }));
}
